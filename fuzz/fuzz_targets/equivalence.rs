//! One read pipeline, one answer: on any `baggage` header values (the
//! input's bytes split on `\n`, each a header value as a client can send
//! it), the direct read `T::from_headers` and the context read
//! `T::from_context(&http::extract_with_context(..))` give the same value
//! or the same error, and the span/log attribute rules see the same typed
//! values where the schema reads.
#![no_main]

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use opentelemetry::baggage::BaggageExt;
use opentelemetry::{Context, KeyValue};
use typed_baggage::prelude::*;
use typed_baggage::sdk::BaggageAttributes;
use typed_baggage_fuzz::raw_headers;

#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "app.")]
struct UserCtx {
    user_id: u64,
    tier: Tier,
    is_premium: bool,
    features: Vec<String>,
    #[baggage(rename = "geo")]
    region: Option<String>,
    #[baggage(default)]
    retries: u8,
    #[baggage(max_len = 3)]
    tags: Option<Vec<u16>>,
}

#[derive(Baggage, Debug, Clone, Copy, PartialEq)]
#[baggage(rename_all = "snake_case")]
enum Tier {
    Free,
    Premium,
}

#[derive(Baggage, Debug, Clone, PartialEq)]
struct Org {
    id: i32,
    name: Option<String>,
}

#[derive(Baggage, Debug, Clone, PartialEq)]
struct Request {
    #[baggage(flatten)]
    org: Org,
    #[baggage(flatten, prefix = "payer.")]
    payer: Org,
    route: Option<char>,
}

fn check<T: Baggage + std::fmt::Debug>(h: &HeaderMap) {
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

fuzz_target!(|data: &[u8]| {
    let mut h = HeaderMap::new();
    for value in raw_headers(data) {
        if let Ok(v) = HeaderValue::from_bytes(value) {
            h.append("baggage", v);
        }
    }
    check::<UserCtx>(&h);
    check::<Request>(&h);
    check::<Org>(&h);
});
