//! Typed decode of every field type from arbitrary text. A decode returns
//! a value or an error, never panics; a value decoded once is a fixed point
//! (encode then decode gives it back, encode gives the same text again); an
//! error's message is bounded. The same text split on `\n` fills a schema
//! with a field of every kind (`Option`, `default`, `from_str`, enum, nested
//! `Vec`), which must decode to a value or to errors naming its keys, and a
//! decoded value must survive `with_typed`, the header and `from_context`.
#![no_main]

use std::fmt::Debug;
use std::net::IpAddr;

use libfuzzer_sys::fuzz_target;
use opentelemetry::baggage::Baggage as OtelBaggage;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::Context;
use typed_baggage::prelude::*;
use typed_baggage::propagation::BaggagePropagator;
use typed_baggage::{Error, Limit, FOUND_EXCERPT_BYTES};
use typed_baggage_fuzz::{inject, Headers};

#[derive(Baggage, Debug, Clone, Copy, PartialEq, Eq)]
#[baggage(rename_all = "kebab-case")]
enum Tier {
    Free,
    Premium,
    EnterpriseGold,
    #[baggage(rename = "legacy gold, 100%")]
    Legacy,
}

/// A field of every kind.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "f.")]
struct All {
    u8: u8,
    u16: u16,
    u32: Option<u32>,
    u64: u64,
    u128: u128,
    usize: usize,
    i8: i8,
    i16: i16,
    i32: i32,
    i64: Option<i64>,
    i128: i128,
    isize: isize,
    f32: f32,
    f64: Option<f64>,
    bool: bool,
    char: char,
    string: String,
    tier: Tier,
    maybe_tier: Option<Tier>,
    tags: Vec<String>,
    ids: Vec<u64>,
    nested: Vec<Vec<String>>,
    tiers: Vec<Tier>,
    #[baggage(default)]
    retries: u8,
    #[baggage(from_str)]
    ip: Option<IpAddr>,
}

const ENCODED_EXCERPT_MAX: usize = FOUND_EXCERPT_BYTES + '…'.len_utf8();

fn enc<T: BaggageValue>(v: &T) -> String {
    let mut s = String::new();
    v.encode(&mut s);
    s
}

/// Values compared as their `Debug` text: exact for floats (`-0.0` is not
/// `0.0`), and every NaN is the same NaN, which is what the encoding keeps.
fn same<T: Debug>(a: &T, b: &T) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

fn check<T: BaggageValue + Debug>(text: &str) {
    match T::decode(text) {
        Ok(v) => {
            let e = enc(&v);
            let back = match T::decode(&e) {
                Ok(back) => back,
                Err(err) => panic!("{v:?} encoded as {e:?} does not decode: {err}"),
            };
            assert!(same(&back, &v), "{text:?} -> {v:?} -> {e:?} -> {back:?}");
            assert_eq!(enc(&back), e);
        }
        Err(err) => {
            assert!(err.found().len() <= ENCODED_EXCERPT_MAX, "{err:?}");
            let msg = err.at("k", T::EXPECTED).to_string();
            assert!(msg.len() < 2048, "{msg}");
        }
    }
}

fn every_type(text: &str) {
    check::<u8>(text);
    check::<u16>(text);
    check::<u32>(text);
    check::<u64>(text);
    check::<u128>(text);
    check::<usize>(text);
    check::<i8>(text);
    check::<i16>(text);
    check::<i32>(text);
    check::<i64>(text);
    check::<i128>(text);
    check::<isize>(text);
    check::<f32>(text);
    check::<f64>(text);
    check::<bool>(text);
    check::<char>(text);
    check::<String>(text);
    check::<Tier>(text);
    check::<Vec<u8>>(text);
    check::<Vec<i64>>(text);
    check::<Vec<f64>>(text);
    check::<Vec<bool>>(text);
    check::<Vec<char>>(text);
    check::<Vec<String>>(text);
    check::<Vec<Tier>>(text);
    check::<Vec<Vec<String>>>(text);
    check::<Vec<Vec<u32>>>(text);
    check::<Vec<Vec<Vec<String>>>>(text);
}

/// A piece that is exactly ESC leaves its key out.
const ABSENT: &str = "\u{1b}";

fn schema(text: &str) {
    let mut baggage = OtelBaggage::new();
    for (field, piece) in All::SCHEMA.fields.iter().zip(text.split('\n')) {
        if piece != ABSENT {
            baggage.insert(field.key, piece.to_owned());
        }
    }
    let value = match All::from_baggage(&baggage) {
        Ok(value) => value,
        Err(err) => {
            for one in err.errors() {
                let key = one.key().expect("a decode error names its key");
                assert!(All::SCHEMA.contains_key(key), "{key}");
                assert!(!matches!(
                    one,
                    Error::Multiple(_) | Error::LimitExceeded { .. }
                ));
            }
            assert!(err.to_string().len() < 64 * 1024);
            return;
        }
    };
    let cx = match Context::new().with_typed(&value) {
        Ok(cx) => cx,
        // The text fit the baggage raw; percent-encoded it may not.
        Err(Error::LimitExceeded {
            limit: Limit::Bytes,
            size,
            allowance,
        }) => {
            assert!(size > allowance);
            return;
        }
        Err(other) => panic!("with_typed of a decoded value: {other}"),
    };
    let back = All::from_context(&cx).expect("what with_typed wrote decodes");
    assert!(same(&back, &value), "{value:?} != {back:?}");

    let propagator = BaggagePropagator::new();
    let header = inject(&propagator, &cx).expect("a header");
    let read = propagator.extract_with_context(&Context::new(), &Headers(vec![&header]));
    let c = propagator.counters();
    assert_eq!(
        (
            c.inject_members_dropped(),
            c.extract_members_dropped(),
            c.extract_headers_rejected()
        ),
        (0, 0, 0),
        "{header:?}"
    );
    let wired = All::from_context(&read).expect("what the header carried decodes");
    assert!(
        same(&wired, &value),
        "{value:?} != {wired:?} via {header:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    every_type(&text);
    schema(&text);
});
