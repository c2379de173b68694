//! Helpers shared by the fuzz targets of typed-baggage.
//!
//! Every target turns its input into one or more `baggage` header values:
//! the input bytes split on `\n`, each piece read as UTF-8 lossily (what
//! `typed_baggage::http::HeaderExtractor` does with raw header bytes).

pub mod equivalence;

use std::borrow::Cow;
use std::collections::HashMap;

use opentelemetry::baggage::{Baggage as OtelBaggage, BaggageExt};
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::Context;
use typed_baggage::limits::{MAX_BYTES, MAX_MEMBERS};
use typed_baggage::propagation::BaggagePropagator;
use typed_baggage::wire::{encoded_len, is_baggage_octet, is_valid_key};

/// One entry, `(key, value, properties)`.
pub type Entry = (String, String, String);

/// The raw header values of an input: its bytes split on `\n`.
pub fn raw_headers(data: &[u8]) -> Vec<&[u8]> {
    data.split(|&b| b == b'\n').collect()
}

/// The header values as text, each piece read lossily.
pub fn text_headers(data: &[u8]) -> Vec<Cow<'_, str>> {
    raw_headers(data)
        .into_iter()
        .map(String::from_utf8_lossy)
        .collect()
}

/// Several `baggage` headers, as `http::HeaderMap` hands them out.
pub struct Headers<'a>(pub Vec<&'a str>);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        (key == "baggage")
            .then(|| self.0.first().copied())
            .flatten()
    }
    fn keys(&self) -> Vec<&str> {
        vec!["baggage"]
    }
    fn get_all(&self, key: &str) -> Option<Vec<&str>> {
        (key == "baggage" && !self.0.is_empty()).then(|| self.0.clone())
    }
}

/// The entries of a baggage, sorted by key.
pub fn entries(baggage: &OtelBaggage) -> Vec<Entry> {
    let mut all: Vec<Entry> = baggage
        .iter()
        .map(|(k, (v, m))| (k.to_string(), v.to_string(), m.as_str().to_owned()))
        .collect();
    all.sort();
    all
}

/// A context that already holds one entry, to see whether extraction keeps
/// or replaces it.
pub fn existing() -> Context {
    Context::new().with_baggage([opentelemetry::KeyValue::new("existing", "1")])
}

/// What the W3C specification requires of every header we write: members
/// `key=value[;properties]` with a token key, a value of baggage-octets with
/// every `%` followed by two hex digits, at most 64 members and 8192 bytes.
pub fn assert_header_is_conformant(header: &str) {
    assert!(header.len() <= MAX_BYTES, "{} bytes", header.len());
    let members: Vec<&str> = header.split(',').collect();
    assert!(members.len() <= MAX_MEMBERS, "{} members", members.len());
    for member in members {
        let (key, rest) = member.split_once('=').expect("member has `=`");
        assert!(is_valid_key(key), "key {key:?} in {header:?}");
        let value = rest.split(';').next().unwrap_or_default();
        let bytes = value.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            assert!(is_baggage_octet(b), "byte {b:#04x} in {header:?}");
            if b == b'%' {
                assert!(
                    bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                        && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit),
                    "{header:?}"
                );
            }
        }
    }
}

/// The bytes the header for `entries` takes, and whether it fits the W3C
/// limits: then inject must write every one of them.
pub fn fits_on_the_wire(entries: &[Entry]) -> bool {
    let bytes: usize = entries
        .iter()
        .map(|(k, v, m)| k.len() + 1 + encoded_len(v) + if m.is_empty() { 0 } else { 1 + m.len() })
        .sum::<usize>()
        + entries.len().saturating_sub(1);
    entries.len() <= MAX_MEMBERS && bytes <= MAX_BYTES
}

/// Injects `cx` with `propagator`, returning the header (if any).
pub fn inject(propagator: &BaggagePropagator, cx: &Context) -> Option<String> {
    let mut carrier = HashMap::new();
    propagator.inject_context(cx, &mut carrier);
    carrier.remove("baggage")
}

/// Checks what one extraction read, against the rules every read obeys.
pub fn check_extracted(headers: &[&str], parsed: Option<&OtelBaggage>) {
    let total: usize = headers.iter().map(|h| h.len()).sum();
    if total > MAX_BYTES {
        assert!(parsed.is_none(), "{total} bytes accepted");
    }
    if let Some(baggage) = parsed {
        assert!(!baggage.is_empty(), "Some(empty baggage)");
        assert!(baggage.len() <= MAX_MEMBERS, "{} members", baggage.len());
        for (key, (value, _)) in baggage {
            assert!(is_valid_key(key.as_str()), "key {key:?}");
            // a decoded value is never longer than the text it came from
            assert!(value.as_str().len() <= total, "value longer than input");
        }
    }
}

/// Whether the extracted context is what `parse` says: the parsed baggage,
/// or the context it was given, unchanged.
pub fn assert_context_follows_parse(cx: &Context, parsed: Option<&OtelBaggage>) {
    match parsed {
        Some(b) => assert_eq!(entries(cx.baggage()), entries(b)),
        None => assert_eq!(entries(cx.baggage()), entries(existing().baggage())),
    }
}
