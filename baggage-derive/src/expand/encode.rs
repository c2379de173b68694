//! The writers of the `Baggage` impl: `__write` (each field to a
//! `__private::Writer`: the baggage's entries, or OpenTelemetry attributes)
//! and `__attributes` (each field's attribute reader).

use proc_macro2::TokenStream;
use quote::quote;
use syn::Path;

use super::{codec_fns, flatten_site, prefix_len, private, CodecFns};
use crate::ast::{Field, Struct};

/// `__write` and `__attributes`; `runtime_checks` are the first statements
/// of `__write`.
pub fn encode_fns(s: &Struct, krate: &Path, runtime_checks: &TokenStream) -> TokenStream {
    let p = private(krate);
    let mut writes = Vec::new();
    let mut attribute_fns = Vec::new();
    let mut flattened_attributes = Vec::new();
    let prefix_len = prefix_len(s);
    for f in s.fields.iter().filter(|f| f.attrs.skip.is_none()) {
        let (member, ty) = (f.ident, f.ty);
        if f.attrs.flatten.is_some() {
            // The flattened schema's fields, under the field's prefix.
            let site = flatten_site(f);
            writes.push(quote!(<#ty as #krate::Baggage>::__write(&self.#member, __w, __remap.child(#site));));
            flattened_attributes
                .push(quote!(<#ty as #krate::Baggage>::__attributes(__out, __remap.child(#site));));
            continue;
        }
        let key = &f.key;
        let resolved = quote!(__remap.key(#key, #prefix_len));
        let metric_label = f.attrs.metric_label.is_some();
        match codec_fns(f, krate) {
            None => {
                writes.push(plain_write(f, &resolved, metric_label));
                attribute_fns.push(quote!((#key, #p::attribute_of::<#ty>)));
            }
            Some(codec) => {
                writes.push(codec_write(f, &resolved, metric_label, &codec));
                let CodecFns { inner, decode, .. } = codec;
                attribute_fns.push(quote! {
                    (#key, |__text: &::core::primitive::str| #p::codec_attribute::<#inner, _>(__text, #decode))
                });
            }
        }
    }
    quote! {
        // `#[inline]`: compiled where a program uses it, not for every
        // schema a crate declares (as `__decode`, which is generic).
        #[inline]
        fn __write<__W: #p::Writer>(&self, __w: &mut __W, __remap: #p::Remap) {
            #runtime_checks
            #(#writes)*
        }

        #[inline]
        fn __attributes(__out: &mut ::std::vec::Vec<#p::KeyedAttribute>, __remap: #p::Remap) {
            #p::push_attributes(__out, __remap, #prefix_len, &[#(#attribute_fns),*]);
            #(#flattened_attributes)*
        }
    }
}

/// A plain `BaggageField`, after its length checks; `resolved` is its key.
fn plain_write(f: &Field, resolved: &TokenStream, metric_label: bool) -> TokenStream {
    let (member, ty) = (f.ident, f.ty);
    let mut checks = Vec::new();
    if let Some(m) = &f.attrs.max_len {
        let max = m.value;
        checks.push(quote!(__w.max_len::<#ty>(&__key, &self.#member, #max);));
    }
    if let Some(m) = &f.attrs.max_item_len {
        let max = m.value;
        checks.push(quote!(__w.max_item_len::<#ty>(&__key, &self.#member, #max);));
    }
    if checks.is_empty() {
        return quote!(__w.plain::<#ty>(#resolved, &self.#member, #metric_label););
    }
    quote! {{
        let __key = #resolved;
        #(#checks)*
        __w.plain::<#ty>(__key, &self.#member, #metric_label);
    }}
}

/// A field with a codec: an absent `Option` writes no value.
fn codec_write(
    f: &Field,
    resolved: &TokenStream,
    metric_label: bool,
    codec: &CodecFns,
) -> TokenStream {
    let member = f.ident;
    let CodecFns { inner, encode, .. } = codec;
    let value = if f.option_inner().is_some() {
        quote!(::core::option::Option::as_ref(&self.#member))
    } else {
        quote!(::core::option::Option::Some(&self.#member))
    };
    quote!(__w.codec::<#inner>(#resolved, #value, #encode, #metric_label);)
}
