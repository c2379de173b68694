//! Code generation: the expansion of `#[derive(Baggage)]`. Parsing and
//! checking live in `ast`, `attr` and `valid`; this module only calls them.
//!
//! [`derive()`] parses and checks the input, then hands a struct to
//! [`expand_struct`], which puts together the `Baggage` impl from its parts:
//! [`schema`] (the `SCHEMA` constant and the compile-time checks of the
//! whole schema), [`decode`] (`__decode`) and [`encode`] (`__write` and the
//! other writers); the bounds of the impl come from [`crate::generics`]. A
//! fieldless enum goes to [`enum_`]. This file also holds what several of
//! those parts share about one field.

mod decode;
mod encode;
mod enum_;
mod schema;

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{DeriveInput, Path, Type};

use crate::ast::{Codec, Field, Input, Struct};
use crate::attr::Ctxt;
use crate::generics::Bounds;
use crate::{fallback, valid};

/// The expansion of `#[derive(Baggage)]` on `input`: the impl, or the
/// errors and a stub impl (see [`fallback`]).
pub fn derive(input: &DeriveInput) -> TokenStream {
    let mut cx = Ctxt::default();
    let parsed = Input::from_syn(&mut cx, input);
    match &parsed {
        Some(Input::Struct(s)) => valid::check_struct(&mut cx, s),
        Some(Input::Enum(e)) => valid::check_enum(&mut cx, e),
        None => {}
    }
    let krate = match &parsed {
        Some(Input::Struct(s)) => s.attrs.krate.clone(),
        Some(Input::Enum(e)) => e.attrs.krate.clone(),
        None => None,
    }
    .unwrap_or_else(|| syn::parse_quote!(::typed_baggage));
    match cx.check() {
        Err(errors) => fallback::expand(input, &krate, errors),
        Ok(()) => match parsed {
            Some(Input::Struct(s)) => expand_struct(&s, &krate),
            Some(Input::Enum(e)) => enum_::expand(&e, &krate),
            None => fallback::expand(
                input,
                &krate,
                syn::Error::new(input.span(), "cannot derive Baggage"),
            ),
        },
    }
}

/// The `Baggage` impl of a checked struct, with the `const` items that check
/// its field types and its schema.
fn expand_struct(s: &Struct, krate: &Path) -> TokenStream {
    let input = s.original;
    let ident = &input.ident;
    // The user's where clause is part of `bounds`.
    let (impl_generics, ty_generics, _) = input.generics.split_for_impl();
    let bounds = Bounds::of_struct(s, krate);
    let where_clause = bounds.where_clause();
    let checks = bounds.checks();
    let signing_check = schema::signing_check(s, krate);
    let schema = schema::schema_const(s, krate);
    let schema_checks = schema::const_checks(s, krate);
    let decode = decode::decode_fn(
        s,
        krate,
        &schema::runtime_checks(
            s,
            krate,
            quote!(return ::core::result::Result::Err(__duplicate);),
        ),
    );
    let encode = encode::encode_fns(
        s,
        krate,
        &schema::runtime_checks(s, krate, quote!(__w.fail(__duplicate);)),
    );
    quote! {
        #checks
        #signing_check

        #[automatically_derived]
        impl #impl_generics #krate::Baggage for #ident #ty_generics #where_clause {
            #schema

            #decode

            #encode
        }

        #(#schema_checks)*
    }
}

/// A type as its source text, without the spaces token printing adds.
pub fn type_text(ty: &Type) -> String {
    let raw = ty.to_token_stream().to_string();
    let mut out = String::with_capacity(raw.len());
    for part in raw.split(' ') {
        let glue = matches!(out.chars().last(), Some('<' | ':' | '&' | '(' | '['))
            || part.starts_with(['<', '>', ':', ',', ')', ']'])
            || out.is_empty();
        if !glue {
            out.push(' ');
        }
        out.push_str(part);
    }
    out
}

/// The path of the runtime's items for generated code only.
fn private(krate: &Path) -> TokenStream {
    quote!(#krate::__private)
}

/// `Option::Some(value)` or `Option::None`, as an expression.
fn option<T: ToTokens>(value: Option<T>) -> TokenStream {
    match value {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    }
}

/// The length of the struct's `prefix`, which `__private::Remap::key`
/// replaces with the flatten site's prefix.
fn prefix_len(s: &Struct) -> usize {
    s.attrs.prefix.as_ref().map_or(0, |p| p.value.len())
}

/// The prefix that a flattened field puts its schema's keys under, as an
/// `Option<&str>` expression (`None`: the schema's own).
fn flatten_site(f: &Field) -> TokenStream {
    option(f.attrs.prefix.as_ref().map(|p| &p.value))
}

/// The codec of a `from_str` or `with` field, as the generated code uses it.
struct CodecFns<'a> {
    /// The field's type without `Option`, which the codec reads and writes.
    inner: &'a Type,
    /// What the codec accepts, in words, for the schema and for errors.
    expected: String,
    /// The function from text to `Result<inner, _>`.
    decode: TokenStream,
    /// The function that writes an `inner` as text.
    encode: TokenStream,
}

/// The codec of `f`, or `None` for a plain `BaggageField`.
fn codec_fns<'a>(f: &'a Field, krate: &Path) -> Option<CodecFns<'a>> {
    match f.codec() {
        Codec::Plain => None,
        Codec::With { path, inner } => {
            let path_text = path.to_token_stream().to_string().replace(' ', "");
            Some(CodecFns {
                inner,
                expected: format!("a value that `{path_text}::decode` accepts"),
                decode: quote_spanned!(path.span()=> #path::decode),
                encode: quote_spanned!(path.span()=> #path::encode),
            })
        }
        Codec::FromStr { inner } => {
            let p = private(krate);
            Some(CodecFns {
                inner,
                expected: format!("a `{}` in its `FromStr` form", type_text(inner)),
                decode: quote!(<#inner as ::core::str::FromStr>::from_str),
                encode: quote!(#p::encode_display::<#inner>),
            })
        }
    }
}
