//! A fieldless enum: its `BaggageValue` impl (each variant one word on the
//! wire) and its `LowCardinality` impl.

use proc_macro2::TokenStream;
use quote::quote;
use syn::Path;

use crate::ast::Enum;

/// The `BaggageValue` and `LowCardinality` impls of a checked fieldless enum.
pub fn expand(e: &Enum, krate: &Path) -> TokenStream {
    let ident = &e.original.ident;
    let names: Vec<&str> = e.variants.iter().map(|v| v.name.as_str()).collect();
    // The longest name on the wire, alone and as a list element (where `%`
    // and `,` are escaped first).
    let wire_len = baggage_rules::size::wire_len;
    let max_wire = names.iter().map(|n| wire_len(n, false)).max().unwrap_or(0);
    let max_in_list = names.iter().map(|n| wire_len(n, true)).max().unwrap_or(0);
    let idents: Vec<&syn::Ident> = e.variants.iter().map(|v| v.ident).collect();
    let expected = format!(
        "one of {} ({ident})",
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    quote! {
        #[automatically_derived]
        impl #krate::BaggageValue for #ident {
            const EXPECTED: &'static ::core::primitive::str = #expected;
            const CARDINALITY: #krate::schema::Cardinality = #krate::schema::Cardinality::Low;
            const FORMAT: #krate::schema::Format = #krate::schema::Format::Enum { variants: &[#(#names),*] };
            const MAX_WIRE_LEN: ::core::option::Option<::core::primitive::usize> = ::core::option::Option::Some(#max_wire);
            const MAX_WIRE_LEN_IN_LIST: ::core::option::Option<::core::primitive::usize> = ::core::option::Option::Some(#max_in_list);

            #[inline]
            fn encode(&self, __out: &mut ::std::string::String) {
                __out.push_str(match self {
                    #(Self::#idents => #names,)*
                });
            }

            #[inline]
            fn encode_static(&self) -> ::core::option::Option<&'static ::core::primitive::str> {
                ::core::option::Option::Some(match self {
                    #(Self::#idents => #names,)*
                })
            }

            #[inline]
            fn decode(__text: &::core::primitive::str) -> ::core::result::Result<Self, #krate::ValueError> {
                match __text {
                    #(#names => ::core::result::Result::Ok(Self::#idents),)*
                    _ => ::core::result::Result::Err(#krate::ValueError::invalid(__text)),
                }
            }
        }

        /// A fieldless enum has as many values as variants: fit to be a metric label.
        #[automatically_derived]
        impl #krate::LowCardinality for #ident {}
    }
}
