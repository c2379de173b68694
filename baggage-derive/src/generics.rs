//! Generic-bound inference: the trait bounds that a struct's field types
//! need, written into the impl's `where` clause, and the `const` checks that
//! report a field type which does not meet them.

use proc_macro2::{TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{DeriveInput, GenericParam, Path, Type};

use crate::ast::{Codec, Field, Struct};
use crate::attr::DefaultAttr;
use crate::respan::respan;

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
pub struct Bounds<'a> {
    /// The path of the runtime crate.
    krate: &'a Path,
    /// The names of the struct's generic parameters, and `Self`.
    generic_names: Vec<String>,
    /// The predicates of the `where` clause: the user's, then the inferred.
    where_preds: Vec<TokenStream>,
    /// The `__private::assert_*` calls on types that use no generic parameter.
    checks: Vec<TokenStream>,
}

impl<'a> Bounds<'a> {
    /// The bounds of the `Baggage` impl of `s`: the user's where clause, and
    /// what each field's attributes require of its type, in field order.
    pub fn of_struct(s: &Struct, krate: &'a Path) -> Self {
        let mut bounds = Bounds::new(s.original, krate);
        for f in &s.fields {
            bounds.require_field(f);
        }
        bounds
    }

    /// No inferred bounds yet: the user's where clause only.
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

    /// What the generated code needs of one field's type: `Default` for a
    /// skipped field or `#[baggage(default)]`, `Baggage` for a flattened
    /// one, the length traits for `max_len` and `max_item_len`,
    /// `BaggageField` or `FromStr + Display` for the codec, and the
    /// `LowCardinality` rule of a metric label.
    fn require_field(&mut self, f: &Field) {
        let krate = self.krate;
        let p = quote!(#krate::__private);
        let ty = f.ty;
        if f.attrs.skip.is_some() {
            self.require(ty, quote!(::core::default::Default), &[], "assert_default");
            return;
        }
        if f.attrs.flatten.is_some() {
            self.require(ty, quote!(#krate::Baggage), &[], "assert_baggage");
            return;
        }
        if let Some(DefaultAttr::Trait) = f.attrs.default.as_ref().map(|d| &d.value) {
            self.require(ty, quote!(::core::default::Default), &[], "assert_default");
        }
        if f.attrs.metric_label.is_some() && f.attrs.allow_high_cardinality.is_none() {
            self.require_rule(ty, quote!(#krate::LowCardinality), "assert_low_cardinality");
        }
        if f.attrs.max_len.is_some() {
            self.require(ty, quote!(#p::LenBounded), &[], "assert_len_bounded");
        }
        if f.attrs.max_item_len.is_some() {
            self.require(
                ty,
                quote!(#p::ItemLenBounded),
                &[],
                "assert_item_len_bounded",
            );
        }
        match f.codec() {
            Codec::Plain => {
                self.require(ty, quote!(#krate::BaggageField), &[], "assert_field");
            }
            Codec::FromStr { inner } => self.require(
                inner,
                quote!(::core::str::FromStr + ::core::fmt::Display),
                &[quote!(<#inner as ::core::str::FromStr>::Err: ::core::fmt::Display)],
                "assert_from_str",
            ),
            // The module's functions name the types they take.
            Codec::With { .. } => {}
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

    /// `require` and `require_rule`: `impl_needs` says whether the impl
    /// needs the bound in its where clause when `ty` names no generic
    /// parameter (a type that names one always gets a where bound).
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

    /// The impl's `where` clause (nothing if there is no predicate).
    pub fn where_clause(&self) -> TokenStream {
        let preds = &self.where_preds;
        if preds.is_empty() {
            quote!()
        } else {
            quote!(where #(#preds),*)
        }
    }

    /// The `const` item that checks the field types, if any needs a check.
    pub fn checks(&self) -> TokenStream {
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
