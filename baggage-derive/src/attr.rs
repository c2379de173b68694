//! The `#[baggage(...)]` attributes, parsed once into plain structs.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::parse::Parse;
use syn::spanned::Spanned;
use syn::{Attribute, LitInt, LitStr, Path};

use crate::case::{RenameRule, RULE_NAMES};

// Attribute names.
pub const PREFIX: &str = "prefix";
pub const RENAME_ALL: &str = "rename_all";
pub const CRATE: &str = "crate";
pub const MAX_BYTES: &str = "max_bytes";
pub const SIGNED: &str = "signed";
pub const MAX_AGE_SECS: &str = "max_age_secs";
pub const BIND_TRACE: &str = "bind_trace";
pub const LOCAL: &str = "local";
pub const RENAME: &str = "rename";
pub const DEFAULT: &str = "default";
pub const SKIP: &str = "skip";
pub const WITH: &str = "with";
pub const FROM_STR: &str = "from_str";
pub const ALLOW_SECRET: &str = "allow_secret";
pub const MAX_LEN: &str = "max_len";
pub const MAX_ITEM_LEN: &str = "max_item_len";
pub const FLATTEN: &str = "flatten";
pub const METRIC_LABEL: &str = "metric_label";
pub const ALLOW_HIGH_CARDINALITY: &str = "allow_high_cardinality";

/// Collects every error of one derive, each at its own tokens.
#[derive(Default)]
pub struct Ctxt {
    errors: Vec<syn::Error>,
}

impl Ctxt {
    pub fn error(&mut self, span: Span, msg: impl std::fmt::Display) {
        self.errors.push(syn::Error::new(span, msg));
    }

    pub fn syn_error(&mut self, e: syn::Error) {
        self.errors.push(e);
    }

    /// All errors combined into one, if any, in the order of their place in
    /// the source (where the compiler tells positions to proc macros, since
    /// Rust 1.88; before, in the order they were found).
    pub fn check(mut self) -> Result<(), syn::Error> {
        self.errors.sort_by_key(|e| {
            let start = e.span().start();
            (start.line, start.column)
        });
        let mut iter = self.errors.into_iter();
        match iter.next() {
            None => Ok(()),
            Some(mut first) => {
                for e in iter {
                    first.combine(e);
                }
                Err(first)
            }
        }
    }
}

/// A value with the span of the attribute that set it.
pub struct Attr<T> {
    pub value: T,
    pub span: Span,
}

#[derive(Default)]
pub struct ContainerAttrs {
    pub prefix: Option<Attr<String>>,
    pub rename_all: Option<Attr<RenameRule>>,
    pub krate: Option<Path>,
    pub max_bytes: Option<Attr<usize>>,
    /// `signed`, or `signed = "key"` (the key of the signature entry).
    pub signed: Option<Attr<Option<LitStr>>>,
    pub max_age_secs: Option<Attr<u64>>,
    /// `bind_trace`: the signature covers the trace id too.
    pub bind_trace: Option<Span>,
    /// `local`: the schema stays in the service (never carried).
    pub local: Option<Span>,
}

pub enum DefaultAttr {
    Trait,
    Path(Path),
}

#[derive(Default)]
pub struct FieldAttrs {
    pub rename: Option<Attr<String>>,
    pub default: Option<Attr<DefaultAttr>>,
    pub skip: Option<Span>,
    pub with: Option<Attr<Path>>,
    pub from_str: Option<Span>,
    /// `allow_secret = "reason"`: the reason.
    pub allow_secret: Option<Attr<String>>,
    pub max_len: Option<Attr<usize>>,
    pub max_item_len: Option<Attr<usize>>,
    pub flatten: Option<Span>,
    /// `prefix = "..."` on a flattened field.
    pub prefix: Option<Attr<String>>,
    pub metric_label: Option<Span>,
    /// The reason given, at the span of the attribute's name.
    pub allow_high_cardinality: Option<Attr<String>>,
}

#[derive(Default)]
pub struct VariantAttrs {
    pub rename: Option<Attr<String>>,
}

/// Where an attribute stands, for "not valid here" errors.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Struct,
    Enum,
    Field,
    Variant,
}

impl Place {
    fn allowed(self) -> &'static [&'static str] {
        match self {
            Place::Struct => &[
                PREFIX,
                RENAME_ALL,
                CRATE,
                MAX_BYTES,
                SIGNED,
                MAX_AGE_SECS,
                BIND_TRACE,
                LOCAL,
            ],
            Place::Enum => &[RENAME_ALL, CRATE],
            Place::Field => &[
                RENAME,
                DEFAULT,
                SKIP,
                WITH,
                FROM_STR,
                ALLOW_SECRET,
                MAX_LEN,
                MAX_ITEM_LEN,
                FLATTEN,
                PREFIX,
                METRIC_LABEL,
                ALLOW_HIGH_CARDINALITY,
            ],
            Place::Variant => &[RENAME],
        }
    }

    fn name(self) -> &'static str {
        match self {
            Place::Struct => "a struct",
            Place::Enum => "an enum",
            Place::Field => "a field",
            Place::Variant => "an enum variant",
        }
    }
}

fn baggage_attrs(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|a| a.path().is_ident("baggage"))
}

fn set_once<T>(cx: &mut Ctxt, slot: &mut Option<T>, value: T, name: &str, span: Span) {
    if slot.is_some() {
        cx.error(
            span,
            format!("duplicate baggage attribute `{name}`: remove one of them"),
        );
    } else {
        *slot = Some(value);
    }
}

/// A container flag, `name` alone: set once. A value is an error that says
/// how to write the flag (`how`), and is skipped so that parsing goes on
/// with the next attribute.
fn flag(
    cx: &mut Ctxt,
    meta: &ParseNestedMeta,
    slot: &mut Option<Span>,
    name: &str,
    how: &str,
    span: Span,
) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        cx.error(
            span,
            format!("`{name}` takes no value: write {how}, or leave `{name}` out"),
        );
        let _ = meta.value()?.parse::<syn::Expr>()?;
    }
    set_once(cx, slot, span, name, span);
    Ok(())
}

/// A whole number after `name =` (`form`: `max_len = 64`).
fn number(cx: &mut Ctxt, meta: &ParseNestedMeta, form: &str) -> syn::Result<Option<Attr<usize>>> {
    let lit = value::<LitInt>(meta, "a whole number", form)?;
    match lit.base10_parse::<usize>() {
        Ok(n) => Ok(Some(Attr {
            value: n,
            span: lit.span(),
        })),
        Err(e) => {
            cx.error(
                lit.span(),
                format!("write a whole number, as in `{form}`: {e}"),
            );
            Ok(None)
        }
    }
}

/// The value after `name =`; if it is missing or of the wrong kind, an
/// error at the user's tokens that shows the right form (`kind`, `form`:
/// "a string", `rename = "user_id"`).
fn value<T: Parse>(meta: &ParseNestedMeta, kind: &str, form: &str) -> syn::Result<T> {
    let name = meta
        .path
        .get_ident()
        .map(ToString::to_string)
        .unwrap_or_default();
    if !meta.input.peek(syn::Token![=]) {
        return Err(meta.error(format!("`{name}` needs a value: write `{form}`")));
    }
    meta.value()?
        .parse::<T>()
        .map_err(|e| syn::Error::new(e.span(), format!("`{name}` takes {kind}: write `{form}`")))
}

fn lit_str(meta: &ParseNestedMeta, form: &str) -> syn::Result<LitStr> {
    value(meta, "a string", form)
}

/// A string after `name =` (`form`: `rename = "user_id"`), kept in `slot`
/// with its span, once.
fn string(
    cx: &mut Ctxt,
    meta: &ParseNestedMeta,
    slot: &mut Option<Attr<String>>,
    name: &str,
    form: &str,
) -> syn::Result<()> {
    let s = lit_str(meta, form)?;
    let value = Attr {
        value: s.value(),
        span: s.span(),
    };
    set_once(cx, slot, value, name, meta.path.span());
    Ok(())
}

/// Where a known attribute goes, in words.
fn belongs(name: &str) -> &'static str {
    match name {
        MAX_BYTES | SIGNED | MAX_AGE_SECS | BIND_TRACE => "a struct",
        PREFIX => "a struct, or a field with `flatten`",
        RENAME_ALL | CRATE => "a struct or an enum",
        RENAME => "a field or an enum variant",
        _ => "a field",
    }
}

/// Reports an attribute that is unknown, or known but not valid at `place`.
fn unknown(cx: &mut Ctxt, meta: &ParseNestedMeta, place: Place) -> syn::Result<()> {
    let name = meta
        .path
        .get_ident()
        .map(|i| i.to_string())
        .unwrap_or_else(|| {
            meta.path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect::<Vec<_>>()
                .join("::")
        });
    let allowed = place
        .allowed()
        .iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let is_known = [Place::Struct, Place::Enum, Place::Field, Place::Variant]
        .iter()
        .any(|p| p.allowed().contains(&name.as_str()));
    if is_known {
        cx.error(
            meta.path.span(),
            format!(
                "baggage attribute `{name}` is not valid on {}: it goes on {}; allowed here: {allowed}",
                place.name(),
                belongs(&name),
            ),
        );
    } else {
        cx.error(
            meta.path.span(),
            format!(
                "unknown baggage attribute `{name}`; allowed on {}: {allowed}",
                place.name()
            ),
        );
    }
    // Skip a value, if any, so that parsing goes on with the next attribute.
    if meta.input.peek(syn::Token![=]) {
        let _ = meta.value()?.parse::<syn::Expr>();
    } else if meta.input.peek(syn::token::Paren) {
        let _ = meta.parse_nested_meta(|inner| {
            if inner.input.peek(syn::Token![=]) {
                let _ = inner.value()?.parse::<syn::Expr>()?;
            }
            Ok(())
        });
    }
    Ok(())
}

fn parse_each(
    cx: &mut Ctxt,
    attrs: &[Attribute],
    mut f: impl FnMut(&mut Ctxt, &ParseNestedMeta) -> syn::Result<()>,
) {
    for attr in baggage_attrs(attrs) {
        if let syn::Meta::Path(path) = &attr.meta {
            cx.error(
                path.span(),
                "`#[baggage]` needs attributes in parentheses, such as `#[baggage(rename = \"user_id\")]`; remove it if there are none",
            );
            continue;
        }
        if let Err(e) = attr.parse_nested_meta(|meta| f(cx, &meta)) {
            cx.syn_error(e);
        }
    }
}

pub fn container(cx: &mut Ctxt, attrs: &[Attribute], place: Place) -> ContainerAttrs {
    let mut out = ContainerAttrs::default();
    parse_each(cx, attrs, |cx, meta| {
        let span = meta.path.span();
        if place == Place::Struct && meta.path.is_ident(PREFIX) {
            string(cx, meta, &mut out.prefix, PREFIX, "prefix = \"app.\"")?;
        } else if meta.path.is_ident(RENAME_ALL) {
            let s = lit_str(meta, "rename_all = \"snake_case\"")?;
            match RenameRule::from_name(&s.value()) {
                Some(rule) => set_once(
                    cx,
                    &mut out.rename_all,
                    Attr {
                        value: rule,
                        span: s.span(),
                    },
                    RENAME_ALL,
                    span,
                ),
                None => cx.error(
                    s.span(),
                    format!(
                        "unknown rename_all rule {:?}; expected one of {RULE_NAMES}",
                        s.value()
                    ),
                ),
            }
        } else if meta.path.is_ident(CRATE) {
            let s = lit_str(meta, "crate = \"typed_baggage\"")?;
            match s.parse::<Path>() {
                Ok(p) => set_once(cx, &mut out.krate, p, CRATE, span),
                Err(_) => cx.error(
                    s.span(),
                    "`crate` must be a path, such as `crate = \"my_baggage\"`",
                ),
            }
        } else if place == Place::Struct && meta.path.is_ident(MAX_BYTES) {
            let lit = value::<LitInt>(meta, "a whole number of bytes", "max_bytes = 512")?;
            match lit.base10_parse::<usize>() {
                Ok(n) => set_once(
                    cx,
                    &mut out.max_bytes,
                    Attr {
                        value: n,
                        span: lit.span(),
                    },
                    MAX_BYTES,
                    span,
                ),
                Err(e) => cx.error(
                    lit.span(),
                    format!("`max_bytes` must be a whole number of bytes: {e}"),
                ),
            }
        } else if place == Place::Struct && meta.path.is_ident(SIGNED) {
            let key = if meta.input.peek(syn::Token![=]) {
                Some(lit_str(meta, "signed = \"app.sig\"")?)
            } else {
                None
            };
            set_once(cx, &mut out.signed, Attr { value: key, span }, SIGNED, span);
        } else if place == Place::Struct && meta.path.is_ident(MAX_AGE_SECS) {
            let lit = value::<LitInt>(meta, "a whole number of seconds", "max_age_secs = 300")?;
            match lit.base10_parse::<u64>() {
                Ok(n) => set_once(
                    cx,
                    &mut out.max_age_secs,
                    Attr {
                        value: n,
                        span: lit.span(),
                    },
                    MAX_AGE_SECS,
                    span,
                ),
                Err(e) => cx.error(
                    lit.span(),
                    format!("`max_age_secs` must be a whole number of seconds: {e}"),
                ),
            }
        } else if place == Place::Struct && meta.path.is_ident(BIND_TRACE) {
            flag(
                cx,
                meta,
                &mut out.bind_trace,
                BIND_TRACE,
                "`#[baggage(signed, bind_trace)]` to bind the signature to the trace",
                span,
            )?;
        } else if place == Place::Struct && meta.path.is_ident(LOCAL) {
            flag(
                cx,
                meta,
                &mut out.local,
                LOCAL,
                "`#[baggage(local)]` to keep the schema in this service",
                span,
            )?;
        } else {
            unknown(cx, meta, place)?;
        }
        Ok(())
    });
    out
}

pub fn field(cx: &mut Ctxt, attrs: &[Attribute]) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    parse_each(cx, attrs, |cx, meta| {
        let span = meta.path.span();
        if meta.path.is_ident(RENAME) {
            string(cx, meta, &mut out.rename, RENAME, "rename = \"user_id\"")?;
        } else if meta.path.is_ident(DEFAULT) {
            let value = if meta.input.peek(syn::Token![=]) {
                let s = lit_str(meta, "default = \"default_region\"")?;
                match s.parse::<Path>() {
                    Ok(p) => DefaultAttr::Path(p),
                    Err(_) => {
                        cx.error(s.span(), "`default = \"...\"` must name a function, such as `default = \"default_region\"`");
                        return Ok(());
                    }
                }
            } else {
                DefaultAttr::Trait
            };
            set_once(cx, &mut out.default, Attr { value, span }, DEFAULT, span);
        } else if meta.path.is_ident(SKIP) {
            set_once(cx, &mut out.skip, span, SKIP, span);
        } else if meta.path.is_ident(WITH) {
            let path = value::<Path>(
                meta,
                "the path of a module, without quotes",
                "with = my_codec",
            )?;
            set_once(cx, &mut out.with, Attr { value: path, span }, WITH, span);
        } else if meta.path.is_ident(FROM_STR) {
            set_once(cx, &mut out.from_str, span, FROM_STR, span);
        } else if meta.path.is_ident(ALLOW_SECRET) {
            // A malformed `allow_secret` is reported once, and still counts
            // as the escape hatch, so the secret itself is not reported too.
            let malformed = Attr {
                value: String::new(),
                span,
            };
            if !meta.input.peek(syn::Token![=]) {
                cx.error(span, "`allow_secret` needs the reason this field is not a secret, for the reader of the code: write `allow_secret = \"a public id, not a credential\"`");
                out.allow_secret.get_or_insert(malformed);
                return Ok(());
            }
            let s = lit_str(meta, "allow_secret = \"a public id, not a credential\"")?;
            if s.value().trim().is_empty() {
                cx.error(s.span(), "the reason of `allow_secret` is empty: say why this field is not a secret, such as `allow_secret = \"a public id, not a credential\"`");
                out.allow_secret.get_or_insert(malformed);
                return Ok(());
            }
            set_once(
                cx,
                &mut out.allow_secret,
                Attr {
                    value: s.value(),
                    span,
                },
                ALLOW_SECRET,
                span,
            );
        } else if meta.path.is_ident(MAX_LEN) {
            if let Some(n) = number(cx, meta, "max_len = 64")? {
                set_once(cx, &mut out.max_len, n, MAX_LEN, span);
            }
        } else if meta.path.is_ident(MAX_ITEM_LEN) {
            if let Some(n) = number(cx, meta, "max_item_len = 32")? {
                set_once(cx, &mut out.max_item_len, n, MAX_ITEM_LEN, span);
            }
        } else if meta.path.is_ident(METRIC_LABEL) {
            set_once(cx, &mut out.metric_label, span, METRIC_LABEL, span);
        } else if meta.path.is_ident(ALLOW_HIGH_CARDINALITY) {
            let s = lit_str(
                meta,
                "allow_high_cardinality = \"why its values are few enough\"",
            )?;
            if s.value().trim().is_empty() {
                cx.error(
                    s.span(),
                    "`allow_high_cardinality` needs a reason: say why this field's values are few enough for a metric label, such as `allow_high_cardinality = \"one of 12 data centres\"`",
                );
                return Ok(());
            }
            set_once(
                cx,
                &mut out.allow_high_cardinality,
                Attr {
                    value: s.value(),
                    span,
                },
                ALLOW_HIGH_CARDINALITY,
                span,
            );
        } else if meta.path.is_ident(FLATTEN) {
            set_once(cx, &mut out.flatten, span, FLATTEN, span);
        } else if meta.path.is_ident(PREFIX) {
            string(cx, meta, &mut out.prefix, PREFIX, "prefix = \"billing.\"")?;
        } else {
            unknown(cx, meta, Place::Field)?;
        }
        Ok(())
    });
    out
}

pub fn variant(cx: &mut Ctxt, attrs: &[Attribute]) -> VariantAttrs {
    let mut out = VariantAttrs::default();
    parse_each(cx, attrs, |cx, meta| {
        if meta.path.is_ident(RENAME) {
            string(cx, meta, &mut out.rename, RENAME, "rename = \"free\"")?;
        } else {
            unknown(cx, meta, Place::Variant)?;
        }
        Ok(())
    });
    out
}

/// The doc comment, one space of indentation removed from each line.
pub fn doc(attrs: &[Attribute]) -> String {
    let mut lines = Vec::new();
    for attr in attrs {
        if !attr.path().is_ident("doc") {
            continue;
        }
        if let syn::Meta::NameValue(nv) = &attr.meta {
            if let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &nv.value
            {
                let v = s.value();
                lines.push(v.strip_prefix(' ').unwrap_or(&v).trim_end().to_owned());
            }
        }
    }
    lines.join("\n").trim().to_owned()
}
