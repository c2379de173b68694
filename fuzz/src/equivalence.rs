//! The equivalence of the read pipeline's two modes, as one property that
//! the `equivalence` fuzz target and `tests/pipeline_equivalence.rs` both
//! assert (the test includes this file with `#[path]`).
//!
//! For any `baggage` header values, `T::from_headers(&h)` (direct mode) and
//! `T::from_context(&http::extract_with_context(&Context::new(), &h))`
//! (context mode) give the same value or the same error, and where the
//! schema reads, the span and log processors' rules see exactly its typed
//! values.

use http::HeaderMap;
use opentelemetry::baggage::BaggageExt;
use opentelemetry::{Context, KeyValue};
use typed_baggage::prelude::*;
use typed_baggage::sdk::BaggageAttributes;

/// A schema of every kind of field.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "app.")]
pub struct UserCtx {
    pub user_id: u64,
    pub tier: Tier,
    pub is_premium: bool,
    pub features: Vec<String>,
    #[baggage(rename = "geo")]
    pub region: Option<String>,
    #[baggage(default)]
    pub retries: u8,
    #[baggage(max_len = 3)]
    pub tags: Option<Vec<u16>>,
    pub ratio: Option<f64>,
}

/// A derived enum.
#[derive(Baggage, Debug, Clone, Copy, PartialEq)]
#[baggage(rename_all = "snake_case")]
pub enum Tier {
    Free,
    Premium,
}

/// A small schema, flattened twice below.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "org.")]
pub struct Org {
    pub id: i32,
    pub name: Option<String>,
}

/// A schema with flattened keys, one set under a site prefix.
#[derive(Baggage, Debug, Clone, PartialEq)]
pub struct Request {
    #[baggage(flatten)]
    pub user: Org,
    #[baggage(flatten, prefix = "payer.")]
    pub payer: Org,
    pub route: Option<char>,
}

/// Asserts the property for schema `T` on `h`.
pub fn check<T: Baggage + std::fmt::Debug>(h: &HeaderMap) {
    let direct = T::from_headers(h);
    let cx = typed_baggage::http::extract_with_context(&Context::new(), h);
    let via_context = T::from_context(&cx);
    assert_eq!(format!("{direct:?}"), format!("{via_context:?}"));
    if let Ok(value) = &direct {
        let baggage = cx.baggage();
        let mut expected: Vec<KeyValue> = value
            .key_values()
            .filter(|kv| baggage.get(kv.key.as_str()).is_some())
            .collect();
        expected.sort_by(|a, b| a.key.as_str().cmp(b.key.as_str()));
        let seen = BaggageAttributes::new().schema::<T>().attributes(baggage);
        assert_eq!(seen, expected);
    }
}

/// Asserts the property for every schema here.
pub fn check_all(h: &HeaderMap) {
    check::<UserCtx>(h);
    check::<Request>(h);
    check::<Org>(h);
}
