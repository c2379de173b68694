//! Header extraction on arbitrary bytes: the `BaggagePropagator` on text,
//! and the `http::HeaderMap` path on the raw bytes. Neither may panic, what
//! they read must obey the W3C rules, and both paths must read the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use opentelemetry::baggage::BaggageExt;
use opentelemetry::propagation::TextMapPropagator;
use typed_baggage::propagation::BaggagePropagator;
use typed_baggage_fuzz::{
    assert_context_follows_parse, check_extracted, entries, existing, raw_headers, text_headers,
    Headers,
};

fuzz_target!(|data: &[u8]| {
    let plus_as_space = data.first().is_some_and(|b| b & 1 == 1);
    let propagator = BaggagePropagator::builder()
        .plus_as_space(plus_as_space)
        .build();
    let counters = propagator.counters();

    // the propagator on text
    let text = text_headers(data);
    let headers: Vec<&str> = text.iter().map(|h| h.as_ref()).collect();
    let parsed = propagator.parse(headers.iter().copied());
    check_extracted(&headers, parsed.as_ref());
    let rejected = counters.extract_headers_rejected();
    assert!(rejected <= 1);
    if rejected == 1 {
        assert!(parsed.is_none());
        assert_eq!(counters.extract_members_dropped(), 0);
    }
    let cx = propagator.extract_with_context(&existing(), &Headers(headers.clone()));
    assert_context_follows_parse(&cx, parsed.as_ref());

    // the same bytes as `http` header values: every piece that is a valid
    // header value goes in as is; `HeaderExtractor` reads bytes that are not
    // UTF-8 lossily, so the result must be the same as above.
    let raw = raw_headers(data);
    let values: Result<Vec<http::HeaderValue>, _> = raw
        .iter()
        .map(|r| http::HeaderValue::from_bytes(r))
        .collect();
    if let Ok(values) = values {
        let mut map = http::HeaderMap::new();
        for v in values {
            map.append("baggage", v);
        }
        let from_map = typed_baggage::http::extract_with(&propagator, &existing(), &map);
        assert_eq!(entries(from_map.baggage()), entries(cx.baggage()));
    }
});
