//! Code generation only: no parsing, no checking.

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{DeriveInput, GenericParam, Path, Type};

use crate::ast::{Enum, Field, Input, Struct};
use crate::attr::{Ctxt, DefaultAttr};
use crate::{fallback, valid};

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
            Some(Input::Enum(e)) => expand_enum(&e, &krate),
            None => fallback::expand(
                input,
                &krate,
                syn::Error::new(input.span(), "cannot derive Baggage"),
            ),
        },
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

/// How one field is carried.
enum Codec<'a> {
    /// A `BaggageField` type.
    Plain,
    /// `from_str`: `Display` out, `FromStr` in.
    FromStr { inner: &'a Type },
    /// `with = path`: the module's `encode` and `decode`.
    With { path: &'a Path, inner: &'a Type },
}

fn codec<'a>(f: &'a Field) -> Codec<'a> {
    let inner = f.option_inner().unwrap_or(f.ty);
    if let Some(w) = &f.attrs.with {
        Codec::With {
            path: &w.value,
            inner,
        }
    } else if f.attrs.from_str.is_some() {
        Codec::FromStr { inner }
    } else {
        Codec::Plain
    }
}

/// The trait bounds that field types need, and the checks that report a
/// field type which does not meet them.
///
/// A bound on a type that uses none of the struct's generic parameters is
/// either always true or always false. rustc rejects a false one in a `where`
/// clause at once, but with a help line about an unstable feature
/// (`trivial_bounds`, rust-lang/rust#48214). So such a bound is written
/// `for<'__typed_baggage> Ty: Trait + '__typed_baggage`, which rustc does not
/// check in advance and which holds exactly when `Ty: Trait` (a type that
/// names no lifetime parameter is `'static`), and a `const` item calls a
/// `__private::assert_*` function on the type, spanned at the field's type:
/// one error, at the type, with the trait's `on_unimplemented` message, and
/// none from the impl, whose where clause assumes the bound.
///
/// A bound on a type that uses a generic parameter is a plain `where` bound,
/// spanned at the type, checked where the schema is used with a concrete type.
struct Bounds<'a> {
    krate: &'a Path,
    /// The names of the struct's generic parameters, and `Self`.
    generic_names: Vec<String>,
    where_preds: Vec<TokenStream>,
    checks: Vec<TokenStream>,
}

impl<'a> Bounds<'a> {
    fn new(input: &DeriveInput, krate: &'a Path) -> Self {
        let mut generic_names: Vec<String> = input
            .generics
            .params
            .iter()
            .map(|p| match p {
                GenericParam::Type(t) => t.ident.to_string(),
                GenericParam::Lifetime(l) => l.lifetime.ident.to_string(),
                GenericParam::Const(c) => c.ident.to_string(),
            })
            .collect();
        generic_names.push("Self".to_owned());
        let where_preds = input
            .generics
            .where_clause
            .as_ref()
            .map(|w| w.predicates.iter().map(|p| p.to_token_stream()).collect())
            .unwrap_or_default();
        Bounds {
            krate,
            generic_names,
            where_preds,
            checks: Vec::new(),
        }
    }

    /// Whether `tokens` name one of the struct's generic parameters.
    fn uses_generics(&self, tokens: TokenStream) -> bool {
        tokens.into_iter().any(|tt| match tt {
            TokenTree::Ident(i) => self.generic_names.iter().any(|g| i == g),
            TokenTree::Group(g) => self.uses_generics(g.stream()),
            _ => false,
        })
    }

    /// Requires `ty: bound`; `check` names the `__private` function that
    /// asserts it (`assert_field`, `assert_default`, `assert_from_str`).
    /// `extra` are further predicates of the same requirement.
    fn require(&mut self, ty: &Type, bound: TokenStream, extra: &[TokenStream], check: &str) {
        let span = ty.span();
        if self.uses_generics(ty.to_token_stream()) {
            let bound = respan(bound, span);
            self.where_preds.push(quote_spanned!(span=> #ty: #bound));
            self.where_preds.extend(extra.iter().cloned());
        } else {
            self.where_preds
                .push(quote!(for<'__typed_baggage> #ty: #bound + '__typed_baggage));
            self.where_preds.extend(
                extra
                    .iter()
                    .map(|p| quote!(for<'__typed_baggage> #p + '__typed_baggage)),
            );
            let krate = self.krate;
            let check = format_ident!("{}", check, span = span);
            let path = respan(quote!(#krate::__private::#check), span);
            self.checks.push(quote_spanned!(span=> #path::<#ty>();));
        }
    }

    fn where_clause(&self) -> TokenStream {
        let preds = &self.where_preds;
        if preds.is_empty() {
            quote!()
        } else {
            quote!(where #(#preds),*)
        }
    }

    /// The `const` item that checks the field types, if any needs a check.
    fn checks(&self) -> TokenStream {
        if self.checks.is_empty() {
            return quote!();
        }
        let checks = &self.checks;
        quote! {
            const _: () = {
                #(#checks)*
            };
        }
    }
}

/// `tokens` with every span set to `span`, so that an error about them
/// points at the user's tokens rather than at the derive.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|tt| match tt {
            TokenTree::Group(g) => {
                let mut group = Group::new(g.delimiter(), respan(g.stream(), span));
                group.set_span(span);
                TokenTree::Group(group)
            }
            mut other => {
                other.set_span(span);
                other
            }
        })
        .collect()
}

fn expand_struct(s: &Struct, krate: &Path) -> TokenStream {
    let input = s.original;
    let ident = &input.ident;
    // The user's where clause is part of `bounds`.
    let (impl_generics, ty_generics, _) = input.generics.split_for_impl();
    let mut bounds = Bounds::new(input, krate);
    let p = quote!(#krate::__private);

    let mut schema_fields = Vec::new();
    let mut decodes = Vec::new();
    let mut names = Vec::new();
    let mut inits = Vec::new();
    let mut encodes = Vec::new();
    let mut kvs = Vec::new();

    for f in &s.fields {
        let member = f.ident;
        let ty = f.ty;
        if f.attrs.skip.is_some() {
            bounds.require(ty, quote!(::core::default::Default), &[], "assert_default");
            inits.push(quote!(#member: ::core::default::Default::default()));
            continue;
        }
        if let Some(DefaultAttr::Trait) = f.attrs.default.as_ref().map(|d| &d.value) {
            bounds.require(ty, quote!(::core::default::Default), &[], "assert_default");
        }
        let key = &f.key;
        let var = format_ident!("__f{}", names.len());
        names.push(var.clone());
        inits.push(quote!(#member: #var));
        let field_name = crate::ast::unraw(member);
        let rust_type = type_text(ty);
        let doc = &f.doc;
        let is_option = f.option_inner().is_some();
        let requirement = |plain_required: TokenStream| {
            if f.attrs.default.is_some() {
                quote!(#krate::schema::Requirement::Default)
            } else if matches!(codec(f), Codec::Plain) {
                quote!(if #plain_required { #krate::schema::Requirement::Required } else { #krate::schema::Requirement::Optional })
            } else if is_option {
                quote!(#krate::schema::Requirement::Optional)
            } else {
                quote!(#krate::schema::Requirement::Required)
            }
        };
        match codec(f) {
            Codec::Plain => {
                bounds.require(ty, quote!(#krate::BaggageField), &[], "assert_field");
                let value = quote!(<#ty as #krate::BaggageField>::Value);
                let req = requirement(quote!(<#ty as #krate::BaggageField>::REQUIRED));
                schema_fields.push(quote! {
                    #krate::schema::FieldSchema {
                        key: #key,
                        field: #field_name,
                        rust_type: #rust_type,
                        format: <#value as #krate::BaggageValue>::EXPECTED,
                        requirement: #req,
                        cardinality: <#value as #krate::BaggageValue>::CARDINALITY,
                        doc: #doc,
                    }
                });
                let default = match f.attrs.default.as_ref().map(|d| &d.value) {
                    None => quote!(::core::option::Option::None),
                    Some(DefaultAttr::Trait) => {
                        quote_spanned!(ty.span()=> ::core::option::Option::Some(<#ty as ::core::default::Default>::default))
                    }
                    Some(DefaultAttr::Path(path)) => {
                        quote_spanned!(path.span()=> ::core::option::Option::Some(#path))
                    }
                };
                decodes.push(
                    quote!(let #var = #p::decode_field::<#ty, _>(__baggage, #key, #default);),
                );
                encodes.push(quote!(#p::put_field::<#ty>(__entries, #key, &self.#member);));
                kvs.push(quote!(#p::field_kv::<#ty>(&mut __out, #key, &self.#member);));
            }
            Codec::FromStr { inner } | Codec::With { inner, .. } => {
                let (expected, decode_fn, encode_fn) = match codec(f) {
                    Codec::With { path, .. } => {
                        let path_text = path.to_token_stream().to_string().replace(' ', "");
                        (
                            format!("a value that `{path_text}::decode` accepts"),
                            quote_spanned!(path.span()=> #path::decode),
                            quote_spanned!(path.span()=> #path::encode),
                        )
                    }
                    _ => {
                        bounds.require(
                            inner,
                            quote!(::core::str::FromStr + ::core::fmt::Display),
                            &[quote!(<#inner as ::core::str::FromStr>::Err: ::core::fmt::Display)],
                            "assert_from_str",
                        );
                        (
                            format!("a `{}` in its `FromStr` form", type_text(inner)),
                            quote!(<#inner as ::core::str::FromStr>::from_str),
                            quote!(#p::encode_display::<#inner>),
                        )
                    }
                };
                let req = requirement(quote!(true));
                schema_fields.push(quote! {
                    #krate::schema::FieldSchema {
                        key: #key,
                        field: #field_name,
                        rust_type: #rust_type,
                        format: #expected,
                        requirement: #req,
                        cardinality: #krate::schema::Cardinality::High,
                        doc: #doc,
                    }
                });
                let read = quote!(#p::decode_codec::<#inner, _, _>(__baggage, #key, #expected, #decode_fn));
                let decode = if is_option {
                    read
                } else {
                    match f.attrs.default.as_ref().map(|d| &d.value) {
                        None => quote!(#p::require(#read, #key, #expected)),
                        Some(DefaultAttr::Trait) => {
                            quote_spanned!(ty.span()=> #read.map(|v| v.unwrap_or_else(<#ty as ::core::default::Default>::default)))
                        }
                        Some(DefaultAttr::Path(path)) => {
                            quote_spanned!(path.span()=> #read.map(|v| v.unwrap_or_else(#path)))
                        }
                    }
                };
                decodes.push(quote!(let #var = #decode;));
                let value = if is_option {
                    quote!(::core::option::Option::as_ref(&self.#member))
                } else {
                    quote!(::core::option::Option::Some(&self.#member))
                };
                encodes.push(quote!(__entries.put::<#inner>(#key, #value, #encode_fn);));
                kvs.push(quote!(#p::codec_kv::<#inner>(&mut __out, #key, #value, #encode_fn);));
            }
        }
    }

    let name = ident.to_string();
    let doc = crate::attr::doc(&input.attrs);
    let prefix = s
        .attrs
        .prefix
        .as_ref()
        .map(|p| p.value.clone())
        .unwrap_or_default();
    let max_bytes = match &s.attrs.max_bytes {
        Some(m) => {
            let n = m.value;
            quote!(::core::option::Option::Some(#n))
        }
        None => quote!(::core::option::Option::None),
    };
    let build = if names.is_empty() {
        quote!(::core::result::Result::Ok(Self { #(#inits),* }))
    } else {
        let oks = names.iter().map(|n| quote!(::core::result::Result::Ok(#n)));
        quote! {
            match (#(#names,)*) {
                (#(#oks,)*) => ::core::result::Result::Ok(Self { #(#inits),* }),
                (#(#names,)*) => ::core::result::Result::Err(
                    #p::collect_errors([#(::core::result::Result::err(#names)),*])
                ),
            }
        }
    };
    let n_fields = names.len();
    let where_clause = bounds.where_clause();
    let checks = bounds.checks();

    quote! {
        #checks

        #[automatically_derived]
        impl #impl_generics #krate::Baggage for #ident #ty_generics #where_clause {
            const SCHEMA: #krate::Schema = #krate::Schema {
                name: #name,
                doc: #doc,
                prefix: #prefix,
                max_bytes: #max_bytes,
                fields: &[#(#schema_fields),*],
            };

            fn __decode<__L: #p::Lookup + ?::core::marker::Sized>(
                __baggage: &__L,
            ) -> ::core::result::Result<Self, #krate::Error> {
                #(#decodes)*
                #build
            }

            fn key_values(&self) -> #krate::KeyValues {
                let mut __out = ::std::vec::Vec::with_capacity(#n_fields);
                #(#kvs)*
                #p::key_values(__out)
            }

            fn __encode(&self, __entries: &mut #p::Entries) {
                #(#encodes)*
            }
        }
    }
}

fn expand_enum(e: &Enum, krate: &Path) -> TokenStream {
    let ident = &e.original.ident;
    let names: Vec<&str> = e.variants.iter().map(|v| v.name.as_str()).collect();
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
    }
}
