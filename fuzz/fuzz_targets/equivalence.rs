//! One read pipeline, one answer: on any `baggage` header values (the
//! input's bytes split on `\n`, each a header value as a client can send
//! it), the direct read and the context read give the same value or the
//! same error, and the processors see the same typed values
//! ([`typed_baggage_fuzz::equivalence`]).
#![no_main]

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use typed_baggage_fuzz::{equivalence, raw_headers};

fuzz_target!(|data: &[u8]| {
    let mut h = HeaderMap::new();
    for value in raw_headers(data) {
        if let Ok(v) = HeaderValue::from_bytes(value) {
            h.append("baggage", v);
        }
    }
    equivalence::check_all(&h);
});
