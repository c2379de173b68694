//! A test carrier and entry helpers shared by the wire tests.
#![allow(dead_code)]

use opentelemetry::baggage::{Baggage as OtelBaggage, BaggageExt};
use opentelemetry::propagation::Extractor;
use opentelemetry::Context;

/// HTTP headers as a list: several `baggage` lines are kept apart, and
/// `get_all` returns all of them (like `http::HeaderMap`).
#[derive(Debug, Default, Clone)]
pub struct Headers(pub Vec<(String, String)>);

impl Headers {
    pub fn baggage<I: IntoIterator<Item = S>, S: Into<String>>(values: I) -> Self {
        Headers(
            values
                .into_iter()
                .map(|v| ("baggage".to_owned(), v.into()))
                .collect(),
        )
    }
}

impl Extractor for Headers {
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.iter().map(|(k, _)| k.as_str()).collect()
    }

    fn get_all(&self, key: &str) -> Option<Vec<&str>> {
        let all: Vec<&str> = self
            .0
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
            .collect();
        (!all.is_empty()).then_some(all)
    }
}

/// One entry, `(key, value, properties)`.
pub type Entry = (String, String, String);

/// The entries of a baggage, sorted by key.
pub fn entries(baggage: &OtelBaggage) -> Vec<Entry> {
    let mut all: Vec<_> = baggage
        .iter()
        .map(|(k, (v, m))| (k.to_string(), v.to_string(), m.as_str().to_owned()))
        .collect();
    all.sort();
    all
}

/// An entry, for expected values.
pub fn e(key: &str, value: &str, properties: &str) -> Entry {
    (key.to_owned(), value.to_owned(), properties.to_owned())
}

/// `cx` with its baggage's entry `key` set to `value`, or removed for
/// `None`, everything else kept: what a client that edits a header sends.
pub fn edit(cx: &Context, key: &str, value: Option<&str>) -> Context {
    let mut b = OtelBaggage::new();
    for (k, (v, m)) in cx.baggage() {
        if k.as_str() != key {
            let _ = b.insert_with_metadata(k.clone(), v.clone(), m.clone());
        }
    }
    if let Some(value) = value {
        let _ = b.insert(key.to_owned(), value.to_owned());
    }
    cx.with_baggage(b)
}
