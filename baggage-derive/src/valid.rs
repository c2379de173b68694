//! Checks that span several attributes or fields.

use std::collections::HashMap;

use syn::spanned::Spanned;

use crate::ast::{unraw, Enum, Field, Struct};
use crate::attr::{Attr, Ctxt, DefaultAttr, FieldAttrs};
use proc_macro2::Span;

use baggage_rules::key::{first_invalid_char as first_bad_char, TOKEN_HELP};
use baggage_rules::size::MAX_BYTES;

fn describe(c: char) -> String {
    match c {
        ' ' => "a space".to_owned(),
        c if c.is_control() => format!("the control character {c:?}"),
        c => format!("`{c}`"),
    }
}

/// How the keys of `fields` were made, where it is not plain to see: `""`,
/// or ` (...)` naming the prefix and the `rename_all` rule.
fn key_origins(s: &Struct, fields: &[&Field]) -> String {
    let rule = s.attrs.rename_all.as_ref().map(|r| r.value);
    let renamed_by_rule: Vec<String> = fields
        .iter()
        .filter(|f| f.attrs.rename.is_none())
        .filter_map(|f| {
            let raw = unraw(f.ident);
            let new = rule?.apply(&raw);
            (new != raw).then(|| format!("`{raw}` becomes {new:?}"))
        })
        .collect();
    let mut parts = Vec::new();
    if let Some(rule) = rule.filter(|_| !renamed_by_rule.is_empty()) {
        parts.push(format!(
            "under `rename_all = {:?}`, {}",
            rule.name(),
            renamed_by_rule.join(" and ")
        ));
    }
    if let Some(prefix) = s.attrs.prefix.as_ref().filter(|p| !p.value.is_empty()) {
        parts.push(format!("after the prefix {:?}", prefix.value));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join("; "))
    }
}

/// Reports a prefix with a character no baggage key may have; `true` if
/// there is none.
fn check_prefix_chars(cx: &mut Ctxt, prefix: &Attr<String>) -> bool {
    match first_bad_char(&prefix.value) {
        Some(c) => {
            cx.error(
                prefix.span,
                format!(
                    "the prefix {:?} has {}, which is not allowed in a baggage key; {TOKEN_HELP}",
                    prefix.value,
                    describe(c)
                ),
            );
            false
        }
        None => true,
    }
}

pub fn check_struct(cx: &mut Ctxt, s: &Struct) {
    if let Some(prefix) = &s.attrs.prefix {
        check_prefix_chars(cx, prefix);
    }
    if let Some(max) = &s.attrs.max_bytes {
        if max.value == 0 || max.value > MAX_BYTES {
            cx.error(
                max.span,
                format!("`max_bytes = {}` is out of range: a schema budget is from 1 to {MAX_BYTES} bytes, the W3C limit for the whole baggage", max.value),
            );
        }
    }
    let mut seen: HashMap<&str, &Field> = HashMap::new();
    for f in &s.fields {
        let a = &f.attrs;
        if a.skip.is_some() {
            let others = given(a).into_iter().filter(|(name, _)| *name != "skip");
            for (name, span) in others {
                cx.error(span, format!("`{name}` has no effect on a `skip` field, which is not carried in baggage; remove `{name}` or `skip`"));
            }
            continue;
        }
        if a.flatten.is_some() {
            check_flatten(cx, f);
            continue;
        }
        if let Some(prefix) = &a.prefix {
            cx.error(prefix.span, "`prefix` on a field goes with `flatten`, to put a flattened schema's keys under another prefix; for this field's own key use `rename = \"...\"`, or put `prefix` on the struct");
        }
        check_secret(cx, f, s.attrs.local.is_some());
        check_lengths(cx, f);
        if let (None, Some(allow)) = (a.metric_label, &a.allow_high_cardinality) {
            cx.error(
                allow.span,
                "`allow_high_cardinality` only applies to a metric label: add `metric_label` to make this field one, or remove `allow_high_cardinality`",
            );
        }
        if let (true, Some(from_str)) = (a.with.is_some(), a.from_str) {
            cx.error(
                from_str,
                "a field takes either `with = module` or `from_str`, not both; keep `from_str` to read the type with `FromStr` and write it with `Display`, or `with` to use the module's `encode` and `decode`",
            );
        }
        if let Some(default) = &a.default {
            if f.option_inner().is_some() {
                let what = match default.value {
                    DefaultAttr::Trait => "`default`",
                    DefaultAttr::Path(_) => "`default = \"...\"`",
                };
                cx.error(
                    default.span,
                    format!("{what} cannot be used on an `Option` field: an absent key already reads as `None`, and a default `Some` would not round-trip (`None` is written as an absent key); remove {what}, or make the field a plain type to give it a default"),
                );
            }
        }
        // The part of the key after the prefix: a bad prefix is reported
        // once, at the prefix, and a rename to "" is empty even after one.
        let name = f
            .key
            .get(s.attrs.prefix.as_ref().map_or(0, |p| p.value.len())..)
            .unwrap_or_default();
        if name.is_empty() {
            cx.error(
                f.key_span,
                "`rename` is empty, and a baggage key needs at least one character; write the key, such as `rename = \"user_id\"`",
            );
        } else if let Some(c) = first_bad_char(name) {
            cx.error(
                f.key_span,
                format!("the baggage key {:?} has {}, which is not allowed in a baggage key; {TOKEN_HELP}", f.key, describe(c)),
            );
        }
        if let Some(first) = seen.get(f.key.as_str()) {
            cx.error(
                f.key_span,
                format!(
                    "the fields `{}` and `{}` both have the baggage key {:?}{}; give one of them another key with `#[baggage(rename = \"...\")]`",
                    first.ident,
                    f.ident,
                    f.key,
                    key_origins(s, &[first, f]),
                ),
            );
        } else {
            seen.insert(&f.key, f);
        }
    }
    check_signed(cx, s);
}

/// `signed`, `max_age_secs` and `bind_trace`: the signature's key is a
/// valid key that no field has; a maximum age and a trace binding only on a
/// signed schema.
fn check_signed(cx: &mut Ctxt, s: &Struct) {
    if let (Some(_), Some(signed)) = (s.attrs.local, &s.attrs.signed) {
        cx.error(
            signed.span,
            "a local schema never leaves this service, so nobody could forge it and nothing would check a signature: remove `signed`, or remove `local` to send the schema signed",
        );
    }
    if let (Some(span), None) = (s.attrs.bind_trace, &s.attrs.signed) {
        cx.error(
            span,
            "`bind_trace` binds a schema's signature to the trace, and this schema is not signed: add `signed` to its `#[baggage(...)]`, or remove `bind_trace`",
        );
    }
    if let Some(max_age) = &s.attrs.max_age_secs {
        if s.attrs.signed.is_none() {
            cx.error(
                max_age.span,
                "`max_age_secs` is how long a signature stays valid, and this schema is not signed: add `signed` to its `#[baggage(...)]`, or remove `max_age_secs`",
            );
        } else if max_age.value == 0 {
            cx.error(
                max_age.span,
                "`max_age_secs = 0` would reject every signature: give the most seconds a signature stays valid, at least 1",
            );
        }
    }
    let Some(signed) = &s.attrs.signed else {
        return;
    };
    let Some((key, span)) = s.signature_key() else {
        cx.error(
            signed.span,
            "a signed schema without a `prefix` needs the key of its signature entry: write `signed = \"user.sig\"`, or give the schema a `prefix` (the signature is then written under the prefix followed by `sig`)",
        );
        return;
    };
    let explicit = signed.value.is_some();
    if explicit {
        if key.is_empty() {
            cx.error(
                span,
                "the key of the signature is empty, and a baggage key needs at least one character; write one, such as `signed = \"user.sig\"`",
            );
        } else if let Some(c) = first_bad_char(&key) {
            cx.error(
                span,
                format!("the signature key {key:?} has {}, which is not allowed in a baggage key; {TOKEN_HELP}", describe(c)),
            );
        }
    }
    let origin = if explicit {
        format!("`signed = {key:?}`")
    } else {
        "`signed` writes it under the prefix followed by `sig`".to_owned()
    };
    for f in s.fields.iter().filter(|f| f.attrs.skip.is_none()) {
        if f.key == key {
            cx.error(
                f.key_span,
                format!(
                    "the field `{}` has the baggage key {key:?}, which holds this schema's signature ({origin}); give the field another key with `#[baggage(rename = \"...\")]`, or the signature another key with `signed = \"...\"`",
                    f.ident
                ),
            );
        }
    }
}

/// A carried field whose name or key looks like a secret needs
/// `allow_secret = "reason"`; one that does not must not have it. The
/// reason given is where the value would go: downstream for baggage, to
/// telemetry for a local schema.
fn check_secret(cx: &mut Ctxt, f: &Field, local: bool) {
    let goes = if local {
        "a local schema never leaves the service, but its fields are copied to spans, log lines and metric labels, which tracing backends keep and many people read"
    } else {
        "it travels in plain text to every downstream service and often beyond, proxies and tracing backends log it, and any client can forge it"
    };
    let name = unraw(f.ident);
    let hit = baggage_rules::secret::matches(&name)
        .map(|part| (format!("the field `{name}`"), part, f.ident.span()))
        .or_else(|| {
            baggage_rules::secret::matches(&f.key)
                .map(|part| (format!("the baggage key {:?}", f.key), part, f.key_span))
        });
    match (hit, &f.attrs.allow_secret) {
        (Some((what, part, span)), None) => cx.error(
            span,
            format!(
                "{what} looks like a secret or a personal identifier (it has the word `{part}`), and baggage is the wrong place for one: \
                 {goes}; \
                 send credentials in an authenticated channel (an `Authorization` header, a server-side session) and keep personal data out of request context; \
                 if this is not a secret, say why with `#[baggage(allow_secret = \"reason\")]`"
            ),
        ),
        (None, Some(allow)) if !allow.value.is_empty() => cx.error(
            allow.span,
            format!(
                "`allow_secret` on the field `{name}`, whose name and key {:?} do not look like a secret: remove `allow_secret`",
                f.key
            ),
        ),
        _ => {}
    }
}

/// `max_len` and `max_item_len`: numbers that make sense, on fields that
/// typed-baggage itself reads (not through a codec).
fn check_lengths(cx: &mut Ctxt, f: &Field) {
    let a = &f.attrs;
    for (name, attr) in [("max_len", &a.max_len), ("max_item_len", &a.max_item_len)] {
        let Some(attr) = attr else { continue };
        if attr.value == 0 {
            cx.error(
                attr.span,
                format!("`{name} = 0` allows only empty values; give the largest length a value may have, such as `{name} = 64`"),
            );
        }
        if a.with.is_some() || a.from_str.is_some() {
            cx.error(
                attr.span,
                format!("`{name}` bounds a `String` or `Vec` field that typed-baggage encodes itself; with `with` or `from_str` the codec decides the text, so check the length there"),
            );
        }
    }
}

/// Every attribute given on a field, with the span to report it at.
fn given(a: &FieldAttrs) -> Vec<(&'static str, Span)> {
    [
        a.rename.as_ref().map(|r| ("rename", r.span)),
        a.default.as_ref().map(|d| ("default", d.span)),
        a.skip.map(|s| ("skip", s)),
        a.with.as_ref().map(|w| ("with", w.span)),
        a.from_str.map(|s| ("from_str", s)),
        a.allow_secret.as_ref().map(|r| ("allow_secret", r.span)),
        a.max_len.as_ref().map(|r| ("max_len", r.span)),
        a.max_item_len.as_ref().map(|r| ("max_item_len", r.span)),
        a.flatten.map(|s| ("flatten", s)),
        a.prefix.as_ref().map(|r| ("prefix", r.span)),
        a.metric_label.map(|s| ("metric_label", s)),
        a.allow_high_cardinality
            .as_ref()
            .map(|r| ("allow_high_cardinality", r.span)),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// A flattened field takes only `prefix`, and the prefix must be a valid
/// start of a key that does not look like a secret.
fn check_flatten(cx: &mut Ctxt, f: &Field) {
    let a = &f.attrs;
    // `skip` with `flatten` is reported at the `skip` field.
    let others = given(a)
        .into_iter()
        .filter(|(name, _)| !matches!(*name, "flatten" | "prefix" | "skip"));
    for (name, span) in others {
        cx.error(span, format!("`{name}` has no effect on a `flatten` field, whose keys and codecs are those of the flattened schema; put `{name}` on the fields of that schema, or remove it"));
    }
    if let Some(prefix) = &a.prefix {
        if check_prefix_chars(cx, prefix) {
            if let Some(part) = baggage_rules::secret::matches(&prefix.value) {
                cx.error(
                    prefix.span,
                    format!("the prefix {:?} looks like a secret (it has the word `{part}`), and baggage travels in plain text; choose another prefix", prefix.value),
                );
            }
        }
    }
}

pub fn check_enum(cx: &mut Ctxt, e: &Enum) {
    let input = e.original;
    if !input.generics.params.is_empty() {
        cx.error(input.generics.params.span(), "#[derive(Baggage)] on an enum does not take generic parameters: a fieldless enum has no use for them; remove them");
    }
    let syn::Data::Enum(data) = &input.data else {
        return;
    };
    if data.variants.is_empty() {
        cx.error(input.ident.span(), "#[derive(Baggage)] needs at least one variant: an enum with none has no value to carry; add the values it can take as fieldless variants");
    }
    let mut seen: HashMap<&str, &syn::Ident> = HashMap::new();
    for v in &e.variants {
        if v.name.is_empty() {
            cx.error(v.name_span, "an enum value on the wire cannot be empty (peers drop empty values); give the variant a non-empty `rename`");
        }
        if let Some(first) = seen.get(v.name.as_str()) {
            cx.error(
                v.name_span,
                format!(
                    "the variants `{first}` and `{}` are both written {:?}; give one of them another name with `#[baggage(rename = \"...\")]`",
                    v.ident, v.name
                ),
            );
        } else {
            seen.insert(&v.name, v.ident);
        }
    }
}
