//! `__decode`: each carried field read from the baggage through a
//! `__private::Decoder`, then the struct built from them, or every field's
//! error collected.
//!
//! Each field is one call of the decoder, which resolves the key, reads,
//! checks the lengths and keeps the error; those steps are written once in
//! the runtime, not per field here (what a crate of many schemas compiles
//! is mostly these calls).

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::Path;

use super::{codec_fns, prefix_len, private, CodecFns};
use crate::ast::{Field, Struct};
use crate::attr::DefaultAttr;

/// The `__decode` function of the `Baggage` impl; `runtime_checks` are its
/// first statements.
pub fn decode_fn(s: &Struct, krate: &Path, runtime_checks: &TokenStream) -> TokenStream {
    let p = private(krate);
    let prefix_len = prefix_len(s);
    let mut decodes = Vec::new();
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
        let read = if f.attrs.flatten.is_some() {
            flattened_read(f)
        } else {
            match codec_fns(f, krate) {
                None => plain_read(f, prefix_len),
                Some(codec) => codec_read(f, prefix_len, &codec),
            }
        };
        decodes.push(quote!(let #var = #read;));
    }
    let build = build(&names, &inits, &p);
    let decoder = if names.is_empty() {
        quote!()
    } else {
        quote!(let __d = #p::Decoder::new(__baggage, __keys);)
    };
    quote! {
        #[inline]
        fn __decode<__L: #p::Lookup + ?::core::marker::Sized, __K: #p::KeySource>(
            __baggage: &__L,
            __keys: __K,
        ) -> ::core::result::Result<Self, #krate::Error> {
            #runtime_checks
            #decoder
            #(#decodes)*
            #build
        }
    }
}

/// A flattened schema's read: under the field's site prefix if it has one,
/// else with the keys of this one.
fn flattened_read(f: &Field) -> TokenStream {
    let ty = f.ty;
    match &f.attrs.prefix {
        None => quote!(__d.flattened::<#ty>()),
        Some(site) => {
            let site = &site.value;
            quote!(__d.flattened_under::<#ty>(#site))
        }
    }
}

/// The `Option<fn() -> T>` of a field's `#[baggage(default)]`, for the
/// field type `ty`.
fn default_fn(f: &Field, ty: &syn::Type) -> TokenStream {
    match f.attrs.default.as_ref().map(|d| &d.value) {
        None => quote!(::core::option::Option::None),
        Some(DefaultAttr::Trait) => {
            quote_spanned!(ty.span()=> ::core::option::Option::Some(<#ty as ::core::default::Default>::default))
        }
        Some(DefaultAttr::Path(path)) => {
            quote_spanned!(path.span()=> ::core::option::Option::Some(#path))
        }
    }
}

/// The read of a plain `BaggageField`, with its default and length checks:
/// a `Result` expression.
fn plain_read(f: &Field, prefix_len: usize) -> TokenStream {
    let (ty, key) = (f.ty, &f.key);
    let default = default_fn(f, ty);
    // A `max_len` field is counted on its text before it is decoded.
    let read = match &f.attrs.max_len {
        Some(m) => {
            let max = m.value;
            quote!(__d.bounded_field::<#ty>(#key, #prefix_len, #default, #max))
        }
        None => quote!(__d.field::<#ty>(#key, #prefix_len, #default)),
    };
    match &f.attrs.max_item_len {
        Some(m) => {
            let max = m.value;
            quote!({
                let __v = #read;
                __d.item_bounded::<#ty>(__v, #key, #prefix_len, #max)
            })
        }
        None => read,
    }
}

/// The read of a field with a codec: `None` for an absent key if the field
/// is an `Option`, else its default or an error.
fn codec_read(f: &Field, prefix_len: usize, codec: &CodecFns) -> TokenStream {
    let key = &f.key;
    let CodecFns {
        inner,
        expected,
        decode,
        ..
    } = codec;
    if f.option_inner().is_some() {
        return quote!(__d.codec::<#inner, _>(#key, #prefix_len, #expected, #decode));
    }
    let default = default_fn(f, f.ty);
    quote!(__d.required_codec::<#inner, _>(#key, #prefix_len, #expected, #decode, #default))
}

/// The value of `__decode`: `Ok(Self { .. })` if every field variable in
/// `names` is `Ok`, else all their errors; `inits` are the field inits.
fn build(names: &[Ident], inits: &[TokenStream], p: &TokenStream) -> TokenStream {
    if names.is_empty() {
        return quote!(::core::result::Result::Ok(Self { #(#inits),* }));
    }
    // On the error path only, the results as nested pairs,
    // `(f0, (f1, (.., ())))`: one generic function of the runtime collects
    // the errors of any number of fields.
    let nested = names
        .iter()
        .rev()
        .fold(quote!(()), |rest, name| quote!((#name, #rest)));
    quote! {
        match (#(#names,)*) {
            (#(::core::result::Result::Ok(#names),)*) => ::core::result::Result::Ok(Self { #(#inits),* }),
            (#(#names,)*) => ::core::result::Result::Err(#p::collect_errors(#nested)),
        }
    }
}
