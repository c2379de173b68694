//! Property tests through the wire: every value of every accepted type goes
//! `with_typed` → inject → the `baggage` header → extract → `from_context`
//! and reads back as itself. Each case picks one of three wires: the
//! propagator on a text-map carrier, the same with `plus_as_space` reading
//! (values are written with `%20` and `%2B`, so it must not matter), and
//! `http::HeaderMap` with `from_headers`.
//!
//! Cases in all: 24 single-type schemas (22 types and 2 floats) and a
//! schema of every field kind, 4096 each: 102 400 per run.
#![cfg(all(feature = "http", feature = "derive"))]

use std::collections::HashMap;

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::Context;
use proptest::prelude::*;
use typed_baggage::prelude::*;
use typed_baggage::propagation::BaggagePropagator;

/// Cases for each schema.
const CASES: u32 = 4096;

/// Sends `value` over wire number `wire` (0, 1 or 2) and reads it back.
fn through_the_wire<T: Baggage>(value: &T, wire: u8) -> T {
    let cx = Context::new().with_typed(value).expect("within limits");
    let read = match wire {
        0 | 1 => {
            let propagator = BaggagePropagator::builder()
                .plus_as_space(wire == 1)
                .build();
            let mut carrier = HashMap::new();
            propagator.inject_context(&cx, &mut carrier);
            let read = propagator.extract_with_context(&Context::new(), &carrier);
            let c = propagator.counters();
            assert_eq!(
                (c.inject_members_dropped(), c.extract_members_dropped()),
                (0, 0),
                "{carrier:?}"
            );
            read
        }
        _ => {
            let mut headers = http::HeaderMap::new();
            typed_baggage::http::inject(&cx, &mut headers);
            return T::from_headers(&headers).expect("decodes from headers");
        }
    };
    T::from_context(&read).expect("decodes")
}

fn wire() -> impl Strategy<Value = u8> {
    0u8..3
}

#[derive(Baggage, Debug, Clone, Copy, PartialEq, Eq)]
#[baggage(rename_all = "SCREAMING-KEBAB-CASE")]
enum Tier {
    Free,
    Premium,
    EnterpriseGold,
    #[baggage(rename = "legacy gold, 100% + more")]
    Legacy,
}

fn tier() -> impl Strategy<Value = Tier> {
    prop_oneof![
        Just(Tier::Free),
        Just(Tier::Premium),
        Just(Tier::EnterpriseGold),
        Just(Tier::Legacy)
    ]
}

/// Text that is hard for the wire: every separator, `%`, `+`, spaces at
/// both ends, controls, non-ASCII, and now and then any character at all.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[ ,;=%+\"\\\\\t\r\n\u{0}a-z0-9é🚀]{0,12}",
        1 => any::<String>(),
    ]
}

/// One field of one type, required and optional.
macro_rules! single_type {
    ($($name:ident: $t:ty = $strategy:expr;)*) => {$(
        mod $name {
            use super::*;

            #[derive(Baggage, Debug, Clone, PartialEq)]
            #[baggage(prefix = "w.")]
            struct One {
                value: $t,
                maybe: Option<$t>,
            }

            proptest! {
                #![proptest_config(ProptestConfig::with_cases(CASES))]
                #[test]
                fn round_trips(value in $strategy, maybe in proptest::option::of($strategy), wire in wire()) {
                    let one = One { value, maybe };
                    prop_assert_eq!(through_the_wire(&one, wire), one);
                }
            }
        }
    )*};
}

single_type! {
    t_u8: u8 = any::<u8>();
    t_u16: u16 = any::<u16>();
    t_u32: u32 = any::<u32>();
    t_u64: u64 = any::<u64>();
    t_u128: u128 = any::<u128>();
    t_usize: usize = any::<usize>();
    t_i8: i8 = any::<i8>();
    t_i16: i16 = any::<i16>();
    t_i32: i32 = any::<i32>();
    t_i64: i64 = any::<i64>();
    t_i128: i128 = any::<i128>();
    t_isize: isize = any::<isize>();
    t_bool: bool = any::<bool>();
    t_char: char = any::<char>();
    t_string: String = text();
    t_enum: Tier = tier();
    t_vec_string: Vec<String> = proptest::collection::vec(text(), 0..5);
    t_vec_i64: Vec<i64> = proptest::collection::vec(any::<i64>(), 0..5);
    t_vec_char: Vec<char> = proptest::collection::vec(any::<char>(), 0..5);
    t_vec_enum: Vec<Tier> = proptest::collection::vec(tier(), 0..5);
    t_vec_vec: Vec<Vec<String>> = proptest::collection::vec(proptest::collection::vec(text(), 0..3), 0..3);
    t_vec_vec_u8: Vec<Vec<u8>> = proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..3), 0..3);
}

/// Floats compare by bits (`-0.0` is not `0.0`), every NaN as NaN.
macro_rules! floats {
    ($($name:ident: $t:ty;)*) => {$(
        mod $name {
            use super::*;

            #[derive(Baggage, Debug, Clone, PartialEq)]
            struct One {
                value: $t,
                maybe: Option<$t>,
                many: Vec<$t>,
            }

            fn same(a: $t, b: $t) -> bool {
                (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
            }

            proptest! {
                #![proptest_config(ProptestConfig::with_cases(CASES))]
                #[test]
                fn round_trips(
                    bits in any::<u64>(),
                    maybe in proptest::option::of(any::<$t>()),
                    many in proptest::collection::vec(any::<$t>(), 0..3),
                    wire in wire(),
                ) {
                    // every bit pattern: normals, subnormals, zeros, infinities, NaNs
                    let value = <$t>::from_bits(bits as _);
                    let back = through_the_wire(&One { value, maybe, many: many.clone() }, wire);
                    prop_assert!(same(back.value, value), "{} read back as {}", value, back.value);
                    prop_assert_eq!(back.maybe.is_some(), maybe.is_some());
                    if let (Some(a), Some(b)) = (back.maybe, maybe) {
                        prop_assert!(same(a, b));
                    }
                    prop_assert_eq!(back.many.len(), many.len());
                    for (a, b) in back.many.iter().zip(&many) {
                        prop_assert!(same(*a, *b));
                    }
                }
            }
        }
    )*};
}

floats! {
    t_f32: f32;
    t_f64: f64;
}

/// A `FromStr + Display` type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Version(u16, u16);

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

impl std::str::FromStr for Version {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (a, b) = s.split_once('.').ok_or("no `.`")?;
        Ok(Version(
            a.parse().map_err(|e| format!("{e}"))?,
            b.parse().map_err(|e| format!("{e}"))?,
        ))
    }
}

/// A custom codec: text written reversed.
mod reversed {
    // The codec signature is `encode(&T, &mut String)` with `T = String`.
    #[allow(clippy::ptr_arg)]
    pub fn encode(value: &String, out: &mut String) {
        out.extend(value.chars().rev());
    }

    pub fn decode(text: &str) -> Result<String, std::convert::Infallible> {
        Ok(text.chars().rev().collect())
    }
}

fn default_home() -> String {
    "home".to_owned()
}

/// A field of every kind.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "app.", rename_all = "kebab-case")]
struct Everything {
    user_id: u64,
    balance: i128,
    tier: Tier,
    maybe_tier: Option<Tier>,
    premium: bool,
    initial: char,
    name: String,
    tags: Vec<String>,
    nested: Vec<Vec<String>>,
    #[baggage(rename = "geo")]
    region: Option<String>,
    #[baggage(default)]
    retries: u8,
    #[baggage(default = "default_home")]
    home: String,
    #[baggage(from_str)]
    version: Version,
    #[baggage(from_str)]
    min_version: Option<Version>,
    #[baggage(with = reversed)]
    mirrored: String,
    #[baggage(skip)]
    local: u32,
}

fn everything() -> impl Strategy<Value = Everything> {
    (
        (
            any::<u64>(),
            any::<i128>(),
            tier(),
            proptest::option::of(tier()),
        ),
        (
            any::<bool>(),
            any::<char>(),
            text(),
            proptest::collection::vec(text(), 0..4),
        ),
        (
            proptest::collection::vec(proptest::collection::vec(text(), 0..3), 0..3),
            proptest::option::of(text()),
            any::<u8>(),
            text(),
        ),
        (
            any::<(u16, u16)>(),
            proptest::option::of(any::<(u16, u16)>()),
            text(),
        ),
    )
        .prop_map(
            |(
                (user_id, balance, tier, maybe_tier),
                (premium, initial, name, tags),
                (nested, region, retries, home),
                ((a, b), min, mirrored),
            )| Everything {
                user_id,
                balance,
                tier,
                maybe_tier,
                premium,
                initial,
                name,
                tags,
                nested,
                region,
                retries,
                home,
                version: Version(a, b),
                min_version: min.map(|(a, b)| Version(a, b)),
                mirrored,
                local: 0,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]
    #[test]
    fn a_schema_of_every_field_kind_round_trips(value in everything(), wire in wire()) {
        prop_assert_eq!(through_the_wire(&value, wire), value);
    }
}

#[test]
fn defaults_and_skip_fill_absent_keys_after_the_wire() {
    // `retries` and `home` read as their defaults when a peer leaves them out
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "baggage",
        http::HeaderValue::from_static(
            "app.user-id=1,app.balance=-2,app.tier=FREE,app.premium=True,app.initial=x,\
             app.name=,app.tags=,app.nested=,app.version=1.2,app.mirrored=cba",
        ),
    );
    let read = Everything::from_headers(&headers).unwrap();
    assert_eq!(
        read,
        Everything {
            user_id: 1,
            balance: -2,
            tier: Tier::Free,
            maybe_tier: None,
            premium: true,
            initial: 'x',
            name: String::new(),
            tags: vec![],
            nested: vec![],
            region: None,
            retries: 0,
            home: "home".into(),
            version: Version(1, 2),
            min_version: None,
            mirrored: "abc".into(),
            local: 0,
        }
    );
}
