//! On error: the compile errors, plus a stub impl so that code using the
//! type does not add follow-on errors to the real ones.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Path};

pub fn expand(input: &DeriveInput, krate: &Path, errors: syn::Error) -> TokenStream {
    let errors = errors.to_compile_error();
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let p = quote!(#krate::__private);
    let stub = match &input.data {
        Data::Enum(_) if input.generics.params.is_empty() => quote! {
            #[automatically_derived]
            impl #krate::BaggageValue for #ident {
                const EXPECTED: &'static ::core::primitive::str = "";
                fn encode(&self, _: &mut ::std::string::String) {
                    ::core::unimplemented!("#[derive(Baggage)] failed")
                }
                fn decode(_: &::core::primitive::str) -> ::core::result::Result<Self, #krate::ValueError> {
                    ::core::unimplemented!("#[derive(Baggage)] failed")
                }
            }
            #[automatically_derived]
            impl #krate::LowCardinality for #ident {}
        },
        Data::Enum(_) => quote!(),
        _ => quote! {
            #[automatically_derived]
            impl #impl_generics #krate::Baggage for #ident #ty_generics #where_clause {
                const SCHEMA: #krate::Schema = #krate::Schema {
                    name: "",
                    crate_name: ::core::env!("CARGO_PKG_NAME"),
                    doc: "",
                    prefix: "",
                    max_bytes: ::core::option::Option::None,
                    fields: &[],
                    flattened: &[],
                    signature: ::core::option::Option::None,
                    local: false,
                };
                fn __decode<__L: #p::Lookup + ?::core::marker::Sized, __K: #p::KeySource>(_: &__L, _: __K) -> ::core::result::Result<Self, #krate::Error> {
                    ::core::unimplemented!("#[derive(Baggage)] failed")
                }
                fn __write<__W: #p::Writer>(&self, _: &mut __W, _: #p::Remap) {
                    ::core::unimplemented!("#[derive(Baggage)] failed")
                }
            }
        },
    };
    quote! {
        #errors
        #stub
    }
}
