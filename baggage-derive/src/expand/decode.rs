//! `__decode`: each carried field read from the baggage into a variable,
//! then the struct built from them, or every field's error collected.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::Path;

use super::{codec_fns, flatten_site, len_checks, prefix_len, private, CodecFns};
use crate::ast::{Field, Struct};
use crate::attr::DefaultAttr;

/// The `__decode` function of the `Baggage` impl; `runtime_checks` are its
/// first statements.
pub fn decode_fn(s: &Struct, krate: &Path, runtime_checks: &TokenStream) -> TokenStream {
    let p = private(krate);
    let prefix_len = prefix_len(s);
    let mut decodes = Decodes::default();
    // The variables of the carried fields, and the struct's field inits.
    let mut names = Vec::new();
    let mut inits = Vec::new();
    for f in &s.fields {
        let member = f.ident;
        if f.attrs.skip.is_some() {
            inits.push(quote!(#member: ::core::default::Default::default()));
            continue;
        }
        let var = format_ident!("__f{}", names.len());
        names.push(var.clone());
        inits.push(quote!(#member: #var));
        if f.attrs.flatten.is_some() {
            let ty = f.ty;
            let site = flatten_site(f);
            decodes.push_both(quote!(let #var = <#ty as #krate::Baggage>::__decode(__baggage, __remap.child(#site));));
            continue;
        }
        let read = match codec_fns(f, krate) {
            None => plain_read(f, krate),
            Some(codec) => codec_read(f, krate, &codec),
        };
        decodes.push(var, &read, &f.key, &prefix_len);
    }
    let build = build(&names, &inits, &p);
    let Decodes {
        declared: declared_decodes,
        remapped: remapped_decodes,
    } = decodes;
    quote! {
        #[inline]
        fn __decode<__L: #p::Lookup + ?::core::marker::Sized>(
            __baggage: &__L,
            __remap: #p::Remap,
        ) -> ::core::result::Result<Self, #krate::Error> {
            #runtime_checks
            if __remap.keeps_keys() {
                #(#declared_decodes)*
                #build
            } else {
                #(#remapped_decodes)*
                #build
            }
        }
    }
}

/// The read of a plain `BaggageField`, with its default and length checks:
/// a `Result` expression of `__key`.
fn plain_read(f: &Field, krate: &Path) -> TokenStream {
    let p = private(krate);
    let ty = f.ty;
    let default = match f.attrs.default.as_ref().map(|d| &d.value) {
        None => quote!(::core::option::Option::None),
        Some(DefaultAttr::Trait) => {
            quote_spanned!(ty.span()=> ::core::option::Option::Some(<#ty as ::core::default::Default>::default))
        }
        Some(DefaultAttr::Path(path)) => {
            quote_spanned!(path.span()=> ::core::option::Option::Some(#path))
        }
    };
    // A `max_len` field is counted on its text before it is decoded.
    let read = match &f.attrs.max_len {
        Some(m) => {
            let max = m.value;
            quote!(#p::decode_bounded_field::<#ty, _, _>(__baggage, __key, #default, #max))
        }
        None => quote!(#p::decode_field::<#ty, _, _>(__baggage, __key, #default)),
    };
    let len_checks = len_checks(f, krate);
    if len_checks.is_empty() {
        read
    } else {
        quote!(#read.and_then(|__value| {
            let __v = &__value;
            #(#len_checks?;)*
            ::core::result::Result::Ok(__value)
        }))
    }
}

/// The read of a field with a codec: `None` for an absent key if the field
/// is an `Option`, else its default or an error.
fn codec_read(f: &Field, krate: &Path, codec: &CodecFns) -> TokenStream {
    let p = private(krate);
    let ty = f.ty;
    let CodecFns {
        inner,
        expected,
        decode,
        ..
    } = codec;
    let read = quote!(#p::decode_codec::<#inner, _, _, _>(__baggage, __key, #expected, #decode));
    if f.option_inner().is_some() {
        return read;
    }
    match f.attrs.default.as_ref().map(|d| &d.value) {
        None => quote!(#p::require(#read, __key, #expected)),
        Some(DefaultAttr::Trait) => {
            quote_spanned!(ty.span()=> #read.map(|v| v.unwrap_or_else(<#ty as ::core::default::Default>::default)))
        }
        Some(DefaultAttr::Path(path)) => {
            quote_spanned!(path.span()=> #read.map(|v| v.unwrap_or_else(#path)))
        }
    }
}

/// The value of `__decode`: `Ok(Self { .. })` if every field variable in
/// `names` is `Ok`, else all their errors; `inits` are the field inits.
fn build(names: &[Ident], inits: &[TokenStream], p: &TokenStream) -> TokenStream {
    if names.is_empty() {
        return quote!(::core::result::Result::Ok(Self { #(#inits),* }));
    }
    let oks = names.iter().map(|n| quote!(::core::result::Result::Ok(#n)));
    quote! {
        match (#(#names,)*) {
            (#(#oks,)*) => ::core::result::Result::Ok(Self { #(#inits),* }),
            (#(#names,)*) => ::core::result::Result::Err(
                #p::collect_errors([#(::core::result::Result::err(#names)),*])
            ),
        }
    }
}

/// The statements of a generated `__decode`, twice: with the keys as
/// declared, passed as `&'static str` (the path every read takes unless the
/// schema is flattened under a prefix), and with the keys rebuilt under the
/// flatten-site prefix. Each field statement binds `__key` for its read.
#[derive(Default)]
struct Decodes {
    /// The statements with the declared keys.
    declared: Vec<TokenStream>,
    /// The statements with the keys under the flatten site's prefix.
    remapped: Vec<TokenStream>,
}

impl Decodes {
    /// A field read: `read` evaluates to the field's `Result`, using `__key`.
    fn push(&mut self, var: Ident, read: &TokenStream, key: &str, prefix_len: &usize) {
        self.declared.push(quote! {
            let #var = {
                let __key: &'static ::core::primitive::str = #key;
                #read
            };
        });
        self.remapped.push(quote! {
            let #var = {
                let __key = __remap.key(#key, #prefix_len);
                let __key = &__key;
                #read
            };
        });
    }

    /// A statement the same on both paths (a flattened schema's read).
    fn push_both(&mut self, statement: TokenStream) {
        self.declared.push(statement.clone());
        self.remapped.push(statement);
    }
}
