//! Extract, inject, extract: the second read equals the first whenever the
//! re-encoded header fits the W3C limits; otherwise the members that do not
//! fit are left out whole and counted, and the rest read back the same.
//! The written header is always conformant, and writing is stable.
#![no_main]

use libfuzzer_sys::fuzz_target;
use opentelemetry::baggage::BaggageExt;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::Context;
use typed_baggage::propagation::BaggagePropagator;
use typed_baggage_fuzz::{
    assert_header_is_conformant, entries, fits_on_the_wire, inject, text_headers, Headers,
};

fuzz_target!(|data: &[u8]| {
    let plus_as_space = data.first().is_some_and(|b| b & 1 == 1);
    let propagator = BaggagePropagator::builder()
        .plus_as_space(plus_as_space)
        .build();
    let counters = propagator.counters();
    let text = text_headers(data);
    let headers: Vec<&str> = text.iter().map(|h| h.as_ref()).collect();

    let first = propagator.extract_with_context(&Context::new(), &Headers(headers));
    let first_entries = entries(first.baggage());

    let header = inject(&propagator, &first);
    if let Some(header) = &header {
        assert_header_is_conformant(header);
    }
    assert_eq!(
        counters.inject_members_invalid(),
        0,
        "a read member is invalid to write"
    );

    let dropped_before = counters.extract_members_dropped();
    let second = match &header {
        Some(h) => propagator.extract_with_context(&Context::new(), &Headers(vec![h])),
        None => Context::new(),
    };
    assert_eq!(
        counters.extract_members_dropped(),
        dropped_before,
        "{header:?}"
    );
    let second_entries = entries(second.baggage());

    let left_out = counters.inject_members_dropped();
    if fits_on_the_wire(&first_entries) {
        assert_eq!(left_out, 0);
        assert_eq!(second_entries, first_entries);
    } else {
        // Values read raw can grow when written back (`!` is sent as `%21`):
        // whole members are left out, each counted, none is cut.
        assert!(left_out > 0);
        assert_eq!(
            second_entries.len() as u64 + left_out,
            first_entries.len() as u64
        );
        for e in &second_entries {
            assert!(first_entries.contains(e), "{e:?} was not read first");
        }
    }

    // writing what was read back gives the same header
    assert_eq!(inject(&propagator, &second), header);
});
