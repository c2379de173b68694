//! A test carrier shared by the wire tests.
#![allow(dead_code)]

use opentelemetry::propagation::Extractor;

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
