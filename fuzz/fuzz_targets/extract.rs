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

    // the same bytes as `http` header values, read by `http::extract_with`,
    // which measures the size limit on the raw bytes. Every byte that is not
    // ASCII spoils its member whatever it is read as, so the text path on
    // the pieces with each such byte as DEL (one byte for one, not a
    // baggage-octet either) must read the same.
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
        let ascii: Vec<String> = raw
            .iter()
            .map(|r| r.iter().map(|&b| char::from(b.min(0x7f))).collect())
            .collect();
        let expected = BaggagePropagator::builder()
            .plus_as_space(plus_as_space)
            .build()
            .extract_with_context(
                &existing(),
                &Headers(ascii.iter().map(String::as_str).collect()),
            );
        assert_eq!(entries(from_map.baggage()), entries(expected.baggage()));
    }
});
