//! The schema of a struct: its `SCHEMA` constant (a `FieldSchema` for each
//! field, the flattened schemas, the signature), and the checks of the
//! whole schema, at compile time where the schema is concrete and where it
//! is used otherwise.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};

use super::{codec_fns, flatten_site, option, private, type_text};
use crate::ast::{Field, Struct};
use crate::respan::respan;

/// The `const SCHEMA` item of the `Baggage` impl.
pub fn schema_const(s: &Struct, krate: &syn::Path) -> TokenStream {
    let input = s.original;
    let name = input.ident.to_string();
    let doc = crate::attr::doc(&input.attrs);
    let prefix = s
        .attrs
        .prefix
        .as_ref()
        .map(|p| p.value.clone())
        .unwrap_or_default();
    let max_bytes = option(s.attrs.max_bytes.as_ref().map(|m| m.value));
    let carried = s.fields.iter().filter(|f| f.attrs.skip.is_none());
    let (flattened, own): (Vec<&Field>, Vec<&Field>) =
        carried.partition(|f| f.attrs.flatten.is_some());
    let schema_fields = own.iter().map(|f| field_schema(f, krate));
    let flattened = flattened.iter().map(|f| flattened_schema(f, krate));
    let signature = signature(s, krate);
    let local = s.attrs.local.is_some();
    quote! {
        const SCHEMA: #krate::Schema = #krate::Schema {
            name: #name,
            crate_name: ::core::env!("CARGO_PKG_NAME"),
            doc: #doc,
            prefix: #prefix,
            max_bytes: #max_bytes,
            fields: &[#(#schema_fields),*],
            flattened: &[#(#flattened),*],
            signature: #signature,
            local: #local,
        };
    }
}

/// The `FieldSchema` of a carried field that is not flattened.
fn field_schema(f: &Field, krate: &syn::Path) -> TokenStream {
    let ty = f.ty;
    let key = &f.key;
    let field_name = crate::ast::unraw(f.ident);
    let rust_type = type_text(ty);
    let doc = &f.doc;
    let metric_label = f.attrs.metric_label.is_some();
    let Some(codec) = codec_fns(f, krate) else {
        // What the type says comes from `plain_field`; the derive adds only
        // the length bounds a field declares.
        let p = private(krate);
        let defaulted = f.attrs.default.is_some();
        let plain = quote! {
            #p::plain_field::<#ty>(#key, #field_name, #rust_type, #doc, #metric_label, #defaulted)
        };
        let max_len = f.attrs.max_len.as_ref().map(|m| m.value);
        let max_item_len = f.attrs.max_item_len.as_ref().map(|m| m.value);
        if max_len.is_none() && max_item_len.is_none() {
            return plain;
        }
        // With `max_len`, the wire bound is the declared one; without it,
        // the type's (as `plain_field` has it).
        let max_wire_len = max_len.map(|n| {
            let item = option(max_item_len);
            quote! {
                max_wire_len: #p::len_bound(
                    <#ty as #p::LenBounded>::CHARS,
                    <#ty as #p::LenBounded>::ITEM_IN_LIST,
                    #n,
                    #item,
                ),
            }
        });
        let (max_len, max_item_len) = (option(max_len), option(max_item_len));
        return quote! {
            #krate::schema::FieldSchema {
                max_len: #max_len,
                max_item_len: #max_item_len,
                #max_wire_len
                ..#plain
            }
        };
    };
    let expected = codec.expected;
    let req = requirement(f, krate);
    quote! {
        #krate::schema::FieldSchema {
            key: #key,
            field: #field_name,
            rust_type: #rust_type,
            format: #expected,
            wire: &#krate::schema::Format::Custom { expected: #expected },
            requirement: #req,
            cardinality: #krate::schema::Cardinality::High,
            metric_label: #metric_label,
            doc: #doc,
            max_len: ::core::option::Option::None,
            max_item_len: ::core::option::Option::None,
            max_wire_len: ::core::option::Option::None,
        }
    }
}

/// The `Requirement` of a codec field (`with`, `from_str`): `Default` with
/// a default, else by whether it is an `Option`. (A plain field's is its
/// type's, in `plain_field`.)
fn requirement(f: &Field, krate: &syn::Path) -> TokenStream {
    if f.attrs.default.is_some() {
        quote!(#krate::schema::Requirement::Default)
    } else if f.option_inner().is_some() {
        quote!(#krate::schema::Requirement::Optional)
    } else {
        quote!(#krate::schema::Requirement::Required)
    }
}

/// The `Flattened` entry of a flattened field.
fn flattened_schema(f: &Field, krate: &syn::Path) -> TokenStream {
    let ty = f.ty;
    let field_name = crate::ast::unraw(f.ident);
    let site = flatten_site(f);
    quote! {
        #krate::schema::Flattened {
            field: #field_name,
            prefix: #site,
            schema: &<#ty as #krate::Baggage>::SCHEMA,
        }
    }
}

/// The schema's `signature`: `Some(Signature)` for a `signed` schema.
fn signature(s: &Struct, krate: &syn::Path) -> TokenStream {
    match s.signature_key() {
        Some((key, _)) => {
            let max_age = option(s.attrs.max_age_secs.as_ref().map(|m| m.value));
            let bind_trace = s.attrs.bind_trace.is_some();
            quote!(::core::option::Option::Some(#krate::schema::Signature {
                key: #key,
                max_age_secs: #max_age,
                bind_trace: #bind_trace,
            }))
        }
        None => quote!(::core::option::Option::None),
    }
}

/// For a `signed` schema, a `const` item that, without the `signing`
/// feature, panics with a message that says to enable it, at the user's
/// `signed`.
pub fn signing_check(s: &Struct, krate: &syn::Path) -> TokenStream {
    if s.signature_key().is_none() {
        return quote!();
    }
    let span = s
        .attrs
        .signed
        .as_ref()
        .map_or_else(Span::call_site, |a| a.span);
    let check = format_ident!("require_signing_feature", span = span);
    let path = respan(quote!(#krate::__private::#check), span);
    quote_spanned!(span=> const _: () = #path();)
}

/// Compile-time checks of the whole schema, for a schema without generic
/// parameters (a generic one is checked when its keys are known, by
/// [`runtime_checks`]): no two keys the same once flattened schemas are in
/// (at the first `flatten`), and the schema within its `max_bytes`.
pub fn const_checks(s: &Struct, krate: &syn::Path) -> Vec<TokenStream> {
    let input = s.original;
    if !input.generics.params.is_empty() {
        return Vec::new();
    }
    let ident = &input.ident;
    let p = private(krate);
    let mut checks = Vec::new();
    if let Some(span) = s.fields.iter().find_map(|f| f.attrs.flatten) {
        checks.push(const_check(
            span,
            quote!(#p::duplicate_message(&<#ident as #krate::Baggage>::SCHEMA)),
        ));
    }
    if let Some(m) = &s.attrs.max_bytes {
        checks.push(const_check(
            m.span,
            quote!(#p::budget_message(&<#ident as #krate::Baggage>::SCHEMA)),
        ));
    }
    checks
}

/// The first statements of `__decode` and `__write` of a generic schema
/// with a flattened field: a compile error where the schema is used with a
/// signed schema flattened in, and for a duplicate key, `on_duplicate` with
/// the error as `__duplicate`.
pub fn runtime_checks(s: &Struct, krate: &syn::Path, on_duplicate: TokenStream) -> TokenStream {
    let is_generic = !s.original.generics.params.is_empty();
    let has_flatten = s.fields.iter().any(|f| f.attrs.flatten.is_some());
    if !(is_generic && has_flatten) {
        return quote!();
    }
    let p = private(krate);
    quote! {
        // A signed schema flattened in: a compile error where the
        // generic schema is used with it.
        const {
            let __message = #p::flattened_message(&<Self as #krate::Baggage>::SCHEMA);
            if !__message.is_empty() {
                ::core::panic!("{}", __message.as_str());
            }
        }
        if const { <Self as #krate::Baggage>::SCHEMA.duplicate_key().is_some() } {
            let __duplicate = #p::duplicate_error(&<Self as #krate::Baggage>::SCHEMA);
            #on_duplicate
        }
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
