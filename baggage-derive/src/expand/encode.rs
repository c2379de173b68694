//! The writers of the `Baggage` impl: `__encode` (the baggage entries),
//! `__key_values` and `__metric_key_values` (OpenTelemetry attributes) and
//! `__attributes` (each field's attribute reader).

use proc_macro2::TokenStream;
use quote::quote;
use syn::Path;

use super::{codec_fns, flatten_site, len_checks, prefix_len, private, CodecFns};
use crate::ast::{Field, Struct};

/// `__encode`, `__key_values`, `__metric_key_values` and `__attributes`;
/// `runtime_checks` are the first statements of `__encode`.
pub fn encode_fns(s: &Struct, krate: &Path, runtime_checks: &TokenStream) -> TokenStream {
    let p = private(krate);
    let mut w = Writers::default();
    for f in s.fields.iter().filter(|f| f.attrs.skip.is_none()) {
        if f.attrs.flatten.is_some() {
            w.flattened(f, krate);
        } else {
            match codec_fns(f, krate) {
                None => w.plain(f, krate, prefix_len(s)),
                Some(codec) => w.codec(f, krate, prefix_len(s), &codec),
            }
        }
    }
    let Writers {
        encodes,
        kvs,
        metric_kvs,
        attribute_fns,
        flattened_attributes,
    } = w;
    quote! {
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

        // `#[inline]`: compiled where a program uses it, not for every
        // schema a crate declares (as `__encode`, and `__decode`, which is
        // generic).
        #[inline]
        fn __key_values(
            &self,
            __out: &mut ::std::vec::Vec<#p::otel::KeyValue>,
            __remap: #p::Remap,
        ) {
            #(#kvs)*
        }

        #[inline]
        fn __metric_key_values(
            &self,
            __out: &mut ::std::vec::Vec<#p::otel::KeyValue>,
            __remap: #p::Remap,
        ) {
            #(#metric_kvs)*
        }

        #[inline]
        fn __attributes(__out: &mut ::std::vec::Vec<#p::KeyedAttribute>, __remap: #p::Remap) {
            #(__out.push(#attribute_fns);)*
            #(#flattened_attributes)*
        }
    }
}

/// The statements of the writers, one field at a time, in field order.
#[derive(Default)]
struct Writers {
    /// `__encode`'s: each puts a field's entry, or pushes to `__errors`.
    encodes: Vec<TokenStream>,
    /// `__key_values`': each pushes a field's `KeyValue` to `__out`.
    kvs: Vec<TokenStream>,
    /// `__metric_key_values`': those of the metric labels.
    metric_kvs: Vec<TokenStream>,
    /// `__attributes`': the own fields' readers, each with its key as
    /// the same `Remap` resolves it for decoding.
    attribute_fns: Vec<TokenStream>,
    /// `__attributes`': the flattened schemas' calls, after the own fields.
    flattened_attributes: Vec<TokenStream>,
}

impl Writers {
    /// A flattened field: the flattened schema's writers, under the
    /// field's prefix.
    fn flattened(&mut self, f: &Field, krate: &Path) {
        let p = private(krate);
        let (member, ty) = (f.ident, f.ty);
        let site = flatten_site(f);
        self.encodes.push(quote!(#p::push_err(&mut __errors, <#ty as #krate::Baggage>::__encode(&self.#member, __entries, __remap.child(#site)));));
        self.kvs.push(quote!(<#ty as #krate::Baggage>::__key_values(&self.#member, __out, __remap.child(#site));));
        self.metric_kvs.push(quote!(<#ty as #krate::Baggage>::__metric_key_values(&self.#member, __out, __remap.child(#site));));
        self.flattened_attributes
            .push(quote!(<#ty as #krate::Baggage>::__attributes(__out, __remap.child(#site));));
    }

    /// A plain `BaggageField`, after its length checks.
    fn plain(&mut self, f: &Field, krate: &Path, prefix_len: usize) {
        let p = private(krate);
        let (member, ty, key) = (f.ident, f.ty, &f.key);
        let len_checks = len_checks(f, krate);
        self.encodes.push(quote! {{
            let __key = __remap.key(#key, #prefix_len);
            let __v = &self.#member;
            {
                let __key = &__key;
                #(#p::push_err(&mut __errors, #len_checks);)*
            }
            #p::put_field::<#ty>(__entries, __key, __v);
        }});
        let kv = quote!(#p::field_kv::<#ty>(__out, __remap.key(#key, #prefix_len), &self.#member););
        self.push_kv(f, kv);
        self.attribute_fns
            .push(quote!((__remap.key(#key, #prefix_len), #p::attribute_of::<#ty>)));
    }

    /// A field with a codec: an absent `Option` writes no entry.
    fn codec(&mut self, f: &Field, krate: &Path, prefix_len: usize, codec: &CodecFns) {
        let p = private(krate);
        let (member, key) = (f.ident, &f.key);
        let CodecFns {
            inner,
            decode,
            encode,
            ..
        } = codec;
        let value = if f.option_inner().is_some() {
            quote!(::core::option::Option::as_ref(&self.#member))
        } else {
            quote!(::core::option::Option::Some(&self.#member))
        };
        self.encodes.push(
            quote!(__entries.put::<#inner>(__remap.key(#key, #prefix_len), #value, #encode);),
        );
        let kv =
            quote!(#p::codec_kv::<#inner>(__out, __remap.key(#key, #prefix_len), #value, #encode););
        self.push_kv(f, kv);
        self.attribute_fns.push(quote! {
            (__remap.key(#key, #prefix_len), |__text: &::core::primitive::str| #p::codec_attribute::<#inner, _>(__text, #decode))
        });
    }

    /// A field's `KeyValue` statement, for the metric labels too if it is one.
    fn push_kv(&mut self, f: &Field, kv: TokenStream) {
        if f.attrs.metric_label.is_some() {
            self.metric_kvs.push(kv.clone());
        }
        self.kvs.push(kv);
    }
}
