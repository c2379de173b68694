//! The derive input, borrowed and annotated with parsed attributes.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident, Path, Type};

use crate::attr::{self, ContainerAttrs, Ctxt, FieldAttrs, Place};

pub enum Input<'a> {
    Struct(Struct<'a>),
    Enum(Enum<'a>),
}

pub struct Struct<'a> {
    pub original: &'a DeriveInput,
    pub attrs: ContainerAttrs,
    pub fields: Vec<Field<'a>>,
}

pub struct Field<'a> {
    pub ident: &'a Ident,
    pub ty: &'a Type,
    pub attrs: FieldAttrs,
    pub doc: String,
    /// The key on the wire: prefix + (rename | rename_all(name) | name).
    pub key: String,
    /// The span the key comes from (the `rename` literal or the field name).
    pub key_span: Span,
}

pub struct Enum<'a> {
    pub original: &'a DeriveInput,
    pub attrs: ContainerAttrs,
    pub variants: Vec<Variant<'a>>,
}

pub struct Variant<'a> {
    pub ident: &'a Ident,
    /// The text on the wire.
    pub name: String,
    pub name_span: Span,
}

/// The name of an identifier without `r#`.
pub fn unraw(ident: &Ident) -> String {
    let s = ident.to_string();
    s.strip_prefix("r#").map(str::to_owned).unwrap_or(s)
}

impl<'a> Input<'a> {
    /// Builds the input; shape errors (tuple struct, union, ...) are final.
    pub fn from_syn(cx: &mut Ctxt, input: &'a DeriveInput) -> Option<Self> {
        match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => {
                    let attrs = attr::container(cx, &input.attrs, Place::Struct);
                    let prefix = attrs
                        .prefix
                        .as_ref()
                        .map(|p| p.value.clone())
                        .unwrap_or_default();
                    let fields = named
                        .named
                        .iter()
                        .filter_map(|f| {
                            let ident = f.ident.as_ref()?;
                            let fattrs = attr::field(cx, &f.attrs);
                            let (name, key_span) = match &fattrs.rename {
                                Some(r) => (r.value.clone(), r.span),
                                None => {
                                    let raw = unraw(ident);
                                    let name = match &attrs.rename_all {
                                        Some(rule) => rule.value.apply(&raw),
                                        None => raw,
                                    };
                                    (name, ident.span())
                                }
                            };
                            Some(Field {
                                ident,
                                ty: &f.ty,
                                doc: attr::doc(&f.attrs),
                                key: format!("{prefix}{name}"),
                                key_span,
                                attrs: fattrs,
                            })
                        })
                        .collect();
                    Some(Input::Struct(Struct {
                        original: input,
                        attrs,
                        fields,
                    }))
                }
                Fields::Unnamed(fields) => {
                    cx.error(
                        fields.span(),
                        "#[derive(Baggage)] needs named fields: each field is a baggage key; write `struct Name { field: Type }`",
                    );
                    None
                }
                Fields::Unit => {
                    cx.error(
                        input.ident.span(),
                        "#[derive(Baggage)] needs named fields: a unit struct carries no baggage; add fields, or use a fieldless enum for a value",
                    );
                    None
                }
            },
            Data::Enum(data) => {
                let attrs = attr::container(cx, &input.attrs, Place::Enum);
                let mut variants = Vec::new();
                for v in &data.variants {
                    if !matches!(v.fields, Fields::Unit) {
                        cx.error(
                            v.fields.span(),
                            format!(
                                "#[derive(Baggage)] on an enum needs fieldless variants: `{}` carries data; a baggage value is one word on the wire, so use a struct for several values",
                                v.ident
                            ),
                        );
                        continue;
                    }
                    let vattrs = attr::variant(cx, &v.attrs);
                    let (name, name_span) = match &vattrs.rename {
                        Some(r) => (r.value.clone(), r.span),
                        None => {
                            let raw = unraw(&v.ident);
                            let name = match &attrs.rename_all {
                                Some(rule) => rule.value.apply(&raw),
                                None => raw,
                            };
                            (name, v.ident.span())
                        }
                    };
                    variants.push(Variant {
                        ident: &v.ident,
                        name,
                        name_span,
                    });
                }
                Some(Input::Enum(Enum {
                    original: input,
                    attrs,
                    variants,
                }))
            }
            Data::Union(data) => {
                cx.error(
                    data.union_token.span(),
                    "#[derive(Baggage)] does not support unions: use a struct with named fields",
                );
                None
            }
        }
    }
}

impl Struct<'_> {
    /// The key of the signature entry of a `signed` schema, and the span it
    /// comes from: `signed = "key"`, or the prefix followed by `sig`
    /// (`None` without a prefix: then the key must be given).
    pub fn signature_key(&self) -> Option<(String, Span)> {
        let signed = self.attrs.signed.as_ref()?;
        match &signed.value {
            Some(key) => Some((key.value(), key.span())),
            None => {
                let prefix = self.attrs.prefix.as_ref().filter(|p| !p.value.is_empty())?;
                Some((format!("{}sig", prefix.value), signed.span))
            }
        }
    }
}

impl Field<'_> {
    /// `Some(inner)` if the type is written `Option<inner>`.
    pub fn option_inner(&self) -> Option<&Type> {
        option_inner(self.ty)
    }

    /// How the field is carried, from its `with` and `from_str` attributes.
    pub fn codec(&self) -> Codec<'_> {
        let inner = self.option_inner().unwrap_or(self.ty);
        if let Some(w) = &self.attrs.with {
            Codec::With {
                path: &w.value,
                inner,
            }
        } else if self.attrs.from_str.is_some() {
            Codec::FromStr { inner }
        } else {
            Codec::Plain
        }
    }
}

/// How one field is carried.
pub enum Codec<'a> {
    /// A `BaggageField` type.
    Plain,
    /// `from_str`: `Display` out, `FromStr` in.
    FromStr { inner: &'a Type },
    /// `with = path`: the module's `encode` and `decode`.
    With { path: &'a Path, inner: &'a Type },
}

pub fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(tp) = ty else { return None };
    if tp.qself.is_some() {
        return None;
    }
    let last = tp.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first() {
        Some(syn::GenericArgument::Type(inner)) if args.args.len() == 1 => Some(inner),
        _ => None,
    }
}
