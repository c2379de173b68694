//! Code generation only: no parsing, no checking.

use proc_macro2::{Group, Ident, Span, TokenStream, TokenTree};
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
        self.require_as(ty, bound, extra, check, true);
    }

    /// Like `require`, for a bound that the generated code does not need
    /// (a rule, such as a metric label's cardinality): a type that names no
    /// generic parameter is only checked, so that a failed check is one
    /// error at the type and the impl still holds where the schema is used.
    fn require_rule(&mut self, ty: &Type, bound: TokenStream, check: &str) {
        self.require_as(ty, bound, &[], check, false);
    }

    fn require_as(
        &mut self,
        ty: &Type,
        bound: TokenStream,
        extra: &[TokenStream],
        check: &str,
        impl_needs: bool,
    ) {
        let span = ty.span();
        if self.uses_generics(ty.to_token_stream()) {
            let bound = respan(bound, span);
            self.where_preds.push(quote_spanned!(span=> #ty: #bound));
            self.where_preds.extend(extra.iter().cloned());
        } else {
            if impl_needs {
                self.where_preds
                    .push(quote!(for<'__typed_baggage> #ty: #bound + '__typed_baggage));
                self.where_preds.extend(
                    extra
                        .iter()
                        .map(|p| quote!(for<'__typed_baggage> #p + '__typed_baggage)),
                );
            }
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
    let prefix = s
        .attrs
        .prefix
        .as_ref()
        .map(|p| p.value.clone())
        .unwrap_or_default();
    let prefix_len = prefix.len();

    let mut schema_fields = Vec::new();
    let mut flattened = Vec::new();
    let mut decodes = Decodes::default();
    let mut names = Vec::new();
    let mut inits = Vec::new();
    let mut encodes = Vec::new();
    let mut kvs = Vec::new();
    let mut metric_kvs = Vec::new();
    // Per-field attribute readers, own fields first, then the flattened
    // schemas' (the order of `Schema::resolved`).
    let mut attribute_fns = Vec::new();
    let mut flattened_attributes = Vec::new();

    for f in &s.fields {
        let member = f.ident;
        let ty = f.ty;
        if f.attrs.skip.is_some() {
            bounds.require(ty, quote!(::core::default::Default), &[], "assert_default");
            inits.push(quote!(#member: ::core::default::Default::default()));
            continue;
        }
        let var = format_ident!("__f{}", names.len());
        names.push(var.clone());
        inits.push(quote!(#member: #var));
        let field_name = crate::ast::unraw(member);
        if f.attrs.flatten.is_some() {
            bounds.require(ty, quote!(#krate::Baggage), &[], "assert_baggage");
            let site = match &f.attrs.prefix {
                Some(pfx) => {
                    let v = &pfx.value;
                    quote!(::core::option::Option::Some(#v))
                }
                None => quote!(::core::option::Option::None),
            };
            flattened.push(quote! {
                #krate::schema::Flattened {
                    field: #field_name,
                    prefix: #site,
                    schema: &<#ty as #krate::Baggage>::SCHEMA,
                }
            });
            decodes.push_both(quote!(let #var = <#ty as #krate::Baggage>::__decode(__baggage, __remap.child(#site));));
            encodes.push(quote!(#p::push_err(&mut __errors, <#ty as #krate::Baggage>::__encode(&self.#member, __entries, __remap.child(#site)));));
            kvs.push(quote!(<#ty as #krate::Baggage>::__key_values(&self.#member, __out, __remap.child(#site));));
            metric_kvs.push(quote!(<#ty as #krate::Baggage>::__metric_key_values(&self.#member, __out, __remap.child(#site));));
            flattened_attributes.push(quote!(<#ty as #krate::Baggage>::__attributes(__out);));
            continue;
        }
        if let Some(DefaultAttr::Trait) = f.attrs.default.as_ref().map(|d| &d.value) {
            bounds.require(ty, quote!(::core::default::Default), &[], "assert_default");
        }
        let key = &f.key;
        let rust_type = type_text(ty);
        let doc = &f.doc;
        let is_option = f.option_inner().is_some();
        let metric_label = f.attrs.metric_label.is_some();
        if metric_label && f.attrs.allow_high_cardinality.is_none() {
            bounds.require_rule(ty, quote!(#krate::LowCardinality), "assert_low_cardinality");
        }
        let opt = |v: Option<usize>| match v {
            Some(n) => quote!(::core::option::Option::Some(#n)),
            None => quote!(::core::option::Option::None),
        };
        let max_len_value = f.attrs.max_len.as_ref().map(|m| m.value);
        let max_item_value = f.attrs.max_item_len.as_ref().map(|m| m.value);
        let max_len = opt(max_len_value);
        let max_item_len = opt(max_item_value);
        // Length checks after decode and before encode.
        let mut len_checks = Vec::new();
        if f.attrs.max_len.is_some() {
            bounds.require(ty, quote!(#p::LenBounded), &[], "assert_len_bounded");
            len_checks.push(quote!(#p::check_len::<#ty, _>(__key, __v, #max_len)));
        }
        if let Some(m) = &f.attrs.max_item_len {
            bounds.require(
                ty,
                quote!(#p::ItemLenBounded),
                &[],
                "assert_item_len_bounded",
            );
            let n = m.value;
            len_checks.push(quote!(#p::check_item_len::<#ty, _>(__key, __v, #n)));
        }
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
                let max_wire_len = match max_len_value {
                    Some(n) => quote!(#p::len_bound(
                        <#ty as #p::LenBounded>::CHARS,
                        <#ty as #p::LenBounded>::ITEM_IN_LIST,
                        #n,
                        #max_item_len,
                    )),
                    None => quote!(<#value as #krate::BaggageValue>::MAX_WIRE_LEN),
                };
                schema_fields.push(quote! {
                    #krate::schema::FieldSchema {
                        key: #key,
                        field: #field_name,
                        rust_type: #rust_type,
                        format: <#value as #krate::BaggageValue>::EXPECTED,
                        requirement: #req,
                        cardinality: <#value as #krate::BaggageValue>::CARDINALITY,
                        metric_label: #metric_label,
                        doc: #doc,
                        max_len: #max_len,
                        max_item_len: #max_item_len,
                        max_wire_len: #max_wire_len,
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
                let read = quote!(#p::decode_field::<#ty, _, _>(__baggage, __key, #default));
                let read = if len_checks.is_empty() {
                    read
                } else {
                    quote!(#read.and_then(|__value| {
                        let __v = &__value;
                        #(#len_checks?;)*
                        ::core::result::Result::Ok(__value)
                    }))
                };
                decodes.push(var.clone(), &read, key, &prefix_len);
                encodes.push(quote! {{
                    let __key = __remap.key(#key, #prefix_len);
                    let __v = &self.#member;
                    {
                        let __key = &__key;
                        #(#p::push_err(&mut __errors, #len_checks);)*
                    }
                    #p::put_field::<#ty>(__entries, __key, __v);
                }});
                let kv = quote!(#p::field_kv::<#ty>(__out, __remap.key(#key, #prefix_len), &self.#member););
                if metric_label {
                    metric_kvs.push(kv.clone());
                }
                kvs.push(kv);
                attribute_fns.push(quote!(#p::attribute_of::<#ty>));
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
                        metric_label: #metric_label,
                        doc: #doc,
                        max_len: ::core::option::Option::None,
                        max_item_len: ::core::option::Option::None,
                        max_wire_len: ::core::option::Option::None,
                    }
                });
                let read = quote!(#p::decode_codec::<#inner, _, _, _>(__baggage, __key, #expected, #decode_fn));
                let decode = if is_option {
                    read
                } else {
                    match f.attrs.default.as_ref().map(|d| &d.value) {
                        None => quote!(#p::require(#read, __key, #expected)),
                        Some(DefaultAttr::Trait) => {
                            quote_spanned!(ty.span()=> #read.map(|v| v.unwrap_or_else(<#ty as ::core::default::Default>::default)))
                        }
                        Some(DefaultAttr::Path(path)) => {
                            quote_spanned!(path.span()=> #read.map(|v| v.unwrap_or_else(#path)))
                        }
                    }
                };
                decodes.push(var.clone(), &decode, key, &prefix_len);
                let value = if is_option {
                    quote!(::core::option::Option::as_ref(&self.#member))
                } else {
                    quote!(::core::option::Option::Some(&self.#member))
                };
                encodes.push(quote!(__entries.put::<#inner>(__remap.key(#key, #prefix_len), #value, #encode_fn);));
                let kv = quote!(#p::codec_kv::<#inner>(__out, __remap.key(#key, #prefix_len), #value, #encode_fn););
                if metric_label {
                    metric_kvs.push(kv.clone());
                }
                kvs.push(kv);
                attribute_fns.push(quote! {
                    |__text: &::core::primitive::str| #p::codec_attribute::<#inner, _>(__text, #decode_fn)
                });
            }
        }
    }

    let name = ident.to_string();
    let doc = crate::attr::doc(&input.attrs);
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
    let (signature, signing_check) = match s.signature_key() {
        Some((key, _)) => {
            let max_age = match &s.attrs.max_age_secs {
                Some(m) => {
                    let n = m.value;
                    quote!(::core::option::Option::Some(#n))
                }
                None => quote!(::core::option::Option::None),
            };
            // Without the `signing` feature this const panics, with a message
            // that says to enable it, at the user's `signed`.
            let span = s
                .attrs
                .signed
                .as_ref()
                .map_or_else(Span::call_site, |a| a.span);
            let check = format_ident!("require_signing_feature", span = span);
            let path = respan(quote!(#krate::__private::#check), span);
            (
                quote!(::core::option::Option::Some(#krate::schema::Signature {
                    key: #key,
                    max_age_secs: #max_age,
                })),
                quote_spanned!(span=> const _: () = #path();),
            )
        }
        None => (quote!(::core::option::Option::None), quote!()),
    };
    let where_clause = bounds.where_clause();
    let checks = bounds.checks();

    // Compile-time checks of the whole schema, for a schema without generic
    // parameters; a generic one is checked when its keys are known.
    let is_generic = !input.generics.params.is_empty();
    let first_flatten = s.fields.iter().find_map(|f| f.attrs.flatten);
    let mut schema_checks = Vec::new();
    let mut runtime_checks = quote!();
    if let Some(span) = first_flatten {
        if is_generic {
            runtime_checks = quote! {
                // A signed schema flattened in: a compile error where the
                // generic schema is used with it.
                const {
                    let __message = #p::signed_flattened_message(&<Self as #krate::Baggage>::SCHEMA);
                    if !__message.is_empty() {
                        ::core::panic!("{}", __message.as_str());
                    }
                }
                if const { <Self as #krate::Baggage>::SCHEMA.duplicate_key().is_some() } {
                    return ::core::result::Result::Err(#p::duplicate_error(&<Self as #krate::Baggage>::SCHEMA));
                }
            };
        } else {
            schema_checks.push(const_check(
                span,
                quote!(#p::duplicate_message(&<#ident as #krate::Baggage>::SCHEMA)),
            ));
        }
    }
    if let (Some(m), false) = (&s.attrs.max_bytes, is_generic) {
        schema_checks.push(const_check(
            m.span,
            quote!(#p::budget_message(&<#ident as #krate::Baggage>::SCHEMA)),
        ));
    }

    let Decodes {
        declared: declared_decodes,
        remapped: remapped_decodes,
    } = decodes;
    quote! {
        #checks
        #signing_check

        #[automatically_derived]
        impl #impl_generics #krate::Baggage for #ident #ty_generics #where_clause {
            const SCHEMA: #krate::Schema = #krate::Schema {
                name: #name,
                doc: #doc,
                prefix: #prefix,
                max_bytes: #max_bytes,
                fields: &[#(#schema_fields),*],
                flattened: &[#(#flattened),*],
                signature: #signature,
            };

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

            #[inline]
            fn __encode(
                &self,
                __entries: &mut #p::Entries,
                __remap: #p::Remap,
            ) -> ::core::result::Result<(), #krate::Error> {
                #runtime_checks
                #[allow(unused_mut)]
                let mut __errors = ::std::vec::Vec::new();
                #(#encodes)*
                #p::encode_result(__errors)
            }

            fn __key_values(
                &self,
                __out: &mut ::std::vec::Vec<#p::otel::KeyValue>,
                __remap: #p::Remap,
            ) {
                #(#kvs)*
            }

            fn __metric_key_values(
                &self,
                __out: &mut ::std::vec::Vec<#p::otel::KeyValue>,
                __remap: #p::Remap,
            ) {
                #(#metric_kvs)*
            }

            fn __attributes(__out: &mut ::std::vec::Vec<#p::AttributeFn>) {
                #(__out.push(#attribute_fns);)*
                #(#flattened_attributes)*
            }
        }

        #(#schema_checks)*
    }
}

/// The statements of a generated `__decode`, twice: with the keys as
/// declared, passed as `&'static str` (the path every read takes unless the
/// schema is flattened under a prefix), and with the keys rebuilt under the
/// flatten-site prefix. Each field statement binds `__key` for its read.
#[derive(Default)]
struct Decodes {
    declared: Vec<TokenStream>,
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

/// A `const` item that fails to compile, with the message `message`
/// builds, at `span`, if the message is not empty.
fn const_check(span: Span, message: TokenStream) -> TokenStream {
    quote_spanned! {span=>
        const _: () = {
            let __message = #message;
            if !__message.is_empty() {
                ::core::panic!("{}", __message.as_str());
            }
        };
    }
}

fn expand_enum(e: &Enum, krate: &Path) -> TokenStream {
    let ident = &e.original.ident;
    let names: Vec<&str> = e.variants.iter().map(|v| v.name.as_str()).collect();
    // The longest name on the wire, alone and as a list element (where `%`
    // and `,` are escaped first).
    let wire_len = |name: &str, in_list: bool| -> usize {
        name.bytes()
            .map(|b| match b {
                b'%' | b',' if in_list => 5,
                b if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') => 1,
                _ => 3,
            })
            .sum()
    };
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
