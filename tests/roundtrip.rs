//! Property tests: every value of every accepted type reads back as itself
//! through the context (`with_typed` then `from_context`).

use opentelemetry::Context;
use proptest::prelude::*;
use typed_baggage::prelude::*;

/// Writes `value` into a fresh context and reads it back.
fn through_context<T: Baggage>(value: &T) -> T {
    let cx = Context::new().with_typed(value).expect("within limits");
    T::from_context(&cx).expect("decodes")
}

#[derive(Baggage, Debug, Clone, Copy, PartialEq, Eq)]
#[baggage(rename_all = "kebab-case")]
enum Tier {
    Free,
    Premium,
    EnterpriseGold,
    #[baggage(rename = "legacy gold, 100%")]
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

/// A field of one type, alone, required and optional.
macro_rules! single_type_round_trip {
    ($($name:ident: $t:ty = $strategy:expr;)*) => {$(
        mod $name {
            use super::*;

            #[derive(Baggage, Debug, Clone, PartialEq)]
            #[baggage(prefix = "t.")]
            struct One {
                value: $t,
                maybe: Option<$t>,
            }

            proptest! {
                #![proptest_config(ProptestConfig::with_cases(256))]
                #[test]
                fn round_trips(value in $strategy, maybe in proptest::option::of($strategy)) {
                    let one = One { value, maybe };
                    prop_assert_eq!(through_context(&one), one);
                }
            }
        }
    )*};
}

single_type_round_trip! {
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
    t_string: String = any::<String>();
    t_enum: Tier = tier();
    t_vec_string: Vec<String> = proptest::collection::vec(any::<String>(), 0..6);
    t_vec_u64: Vec<u64> = proptest::collection::vec(any::<u64>(), 0..6);
    t_vec_char: Vec<char> = proptest::collection::vec(any::<char>(), 0..6);
    t_vec_enum: Vec<Tier> = proptest::collection::vec(tier(), 0..6);
    t_vec_vec: Vec<Vec<String>> = proptest::collection::vec(proptest::collection::vec(any::<String>(), 0..3), 0..3);
}

/// Floats compare by bits (so `-0.0` and `0.0` differ), NaN as NaN.
macro_rules! float_round_trip {
    ($($name:ident: $t:ty;)*) => {$(
        mod $name {
            use super::*;

            #[derive(Baggage, Debug, Clone, PartialEq)]
            struct One {
                value: $t,
                many: Vec<$t>,
            }

            fn same(a: $t, b: $t) -> bool {
                (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
            }

            proptest! {
                #![proptest_config(ProptestConfig::with_cases(1024))]
                #[test]
                fn round_trips(bits in any::<u64>(), many in proptest::collection::vec(any::<$t>(), 0..4)) {
                    // Every bit pattern: normals, subnormals, zeros, infinities, NaNs.
                    let value = <$t>::from_bits(bits as _);
                    let back = through_context(&One { value, many: many.clone() });
                    prop_assert!(same(back.value, value), "{} read back as {}", value, back.value);
                    prop_assert_eq!(back.many.len(), many.len());
                    for (a, b) in back.many.iter().zip(&many) {
                        prop_assert!(same(*a, *b));
                    }
                }
            }
        }
    )*};
}

float_round_trip! {
    t_f32: f32;
    t_f64: f64;
}

#[test]
fn float_edge_values_round_trip_exactly() {
    #[derive(Baggage, Debug, PartialEq)]
    struct F {
        a: f64,
        b: f32,
    }
    for (a, b) in [
        (0.1, 0.1f32),
        (1e300, 3.4e38),
        (-0.0, -0.0),
        (f64::MIN_POSITIVE, f32::MIN_POSITIVE),
        (5e-324, 1e-45),
        (f64::MAX, f32::MAX),
        (f64::INFINITY, f32::NEG_INFINITY),
    ] {
        let back = through_context(&F { a, b });
        assert_eq!(back.a.to_bits(), a.to_bits());
        assert_eq!(back.b.to_bits(), b.to_bits());
    }
}

/// A `FromStr + Display` type carried with `#[baggage(from_str)]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Version {
    major: u16,
    minor: u16,
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl std::str::FromStr for Version {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (a, b) = s
            .split_once('.')
            .ok_or_else(|| format!("no `.` in {s:?}"))?;
        Ok(Version {
            major: a.parse().map_err(|e| format!("major: {e}"))?,
            minor: b.parse().map_err(|e| format!("minor: {e}"))?,
        })
    }
}

/// A custom codec: a `Duration` as whole milliseconds.
mod millis {
    use std::time::Duration;

    pub fn encode(value: &Duration, out: &mut String) {
        out.push_str(&value.as_millis().to_string());
    }

    pub fn decode(text: &str) -> Result<Duration, std::num::ParseIntError> {
        text.parse::<u64>().map(Duration::from_millis)
    }
}

fn default_region() -> String {
    "us-east".to_owned()
}

/// Every kind of field in one struct.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "app.", rename_all = "camelCase")]
struct Everything {
    user_id: u64,
    balance_cents: i64,
    tier: Tier,
    is_premium: bool,
    score: f64,
    initial: char,
    name: String,
    features: Vec<String>,
    #[baggage(rename = "geo")]
    region: Option<String>,
    #[baggage(default)]
    retries: u8,
    #[baggage(default = "default_region")]
    home: String,
    #[baggage(from_str)]
    client_version: Version,
    #[baggage(from_str)]
    min_version: Option<Version>,
    #[baggage(with = millis)]
    timeout: std::time::Duration,
    #[baggage(skip)]
    local_only: Vec<String>,
}

fn everything() -> impl Strategy<Value = Everything> {
    (
        (
            any::<u64>(),
            any::<i64>(),
            tier(),
            any::<bool>(),
            any::<f64>().prop_filter("not NaN", |f| !f.is_nan()),
        ),
        (
            any::<char>(),
            any::<String>(),
            proptest::collection::vec(any::<String>(), 0..5),
            proptest::option::of(any::<String>()),
        ),
        (
            any::<u8>(),
            any::<String>(),
            (any::<u16>(), any::<u16>()),
            proptest::option::of((any::<u16>(), any::<u16>())),
        ),
        any::<u64>(),
    )
        .prop_map(
            |(
                (user_id, balance_cents, tier, is_premium, score),
                (initial, name, features, region),
                (retries, home, (a, b), min),
                timeout_ms,
            )| Everything {
                user_id,
                balance_cents,
                tier,
                is_premium,
                score,
                initial,
                name,
                features,
                region,
                retries,
                home,
                client_version: Version { major: a, minor: b },
                min_version: min.map(|(major, minor)| Version { major, minor }),
                timeout: std::time::Duration::from_millis(timeout_ms),
                local_only: Vec::new(),
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]
    #[test]
    fn a_struct_of_every_field_kind_round_trips(value in everything()) {
        prop_assert_eq!(through_context(&value), value);
    }
}

/// A schema's entries as text, and those of everyone else.
fn split_entries(cx: &Context) -> [std::collections::BTreeMap<String, String>; 2] {
    use opentelemetry::baggage::BaggageExt;
    let mut split: [std::collections::BTreeMap<String, String>; 2] = Default::default();
    for (key, (value, _)) in cx.baggage() {
        let side = usize::from(!key.as_str().starts_with("app."));
        split[side].insert(key.to_string(), value.to_string());
    }
    split
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    /// The two writes, into an empty baggage and over one that holds
    /// another team's entries and stale values of the same schema, write
    /// the same text for every value, and the second keeps the others as
    /// they were and reads back as written; the general path writes the
    /// same as the direct one. (That each type's text made
    /// without the scratch buffer is what `encode` writes is
    /// `value.rs`'s unit tests' part.)
    #[test]
    fn a_write_over_other_entries_writes_what_a_first_write_writes(
        value in everything(),
        stale in everything(),
    ) {
        use opentelemetry::{baggage::BaggageExt, KeyValue};
        let others = [KeyValue::new("other.team", "x,y%z"), KeyValue::new("zz", "1")];
        let upstream = Context::new()
            .with_baggage(others)
            .with_typed(&stale)
            .expect("within limits");
        let over = upstream.with_typed(&value).expect("within limits");
        let first = Context::new().with_typed(&value).expect("within limits");
        let [ours_over, others_over] = split_entries(&over);
        let [ours_first, others_first] = split_entries(&first);
        prop_assert_eq!(ours_over, ours_first);
        prop_assert!(others_first.is_empty());
        prop_assert_eq!(
            others_over.into_iter().collect::<Vec<_>>(),
            [("other.team".to_owned(), "x,y%z".to_owned()), ("zz".to_owned(), "1".to_owned())]
        );
        // The general path (the list of entries and the merge) writes the
        // same over the same baggage.
        let general = typed_baggage::__private::with_typed_general(&upstream, &value)
            .expect("within limits");
        prop_assert_eq!(split_entries(&general), split_entries(&over));
        prop_assert_eq!(Everything::from_context(&over).expect("decodes"), value);
    }
}

#[test]
fn skip_field_is_not_carried_and_reads_back_as_default() {
    let mut v = Everything {
        user_id: 1,
        balance_cents: -5,
        tier: Tier::Free,
        is_premium: false,
        score: 0.5,
        initial: 'x',
        name: "n".into(),
        features: vec![],
        region: None,
        retries: 0,
        home: "eu".into(),
        client_version: Version { major: 2, minor: 1 },
        min_version: None,
        timeout: std::time::Duration::from_millis(1500),
        local_only: vec!["secret-ish".into()],
    };
    let cx = Context::new().with_typed(&v).unwrap();
    use opentelemetry::baggage::BaggageExt;
    let keys: std::collections::BTreeSet<String> =
        cx.baggage().iter().map(|(k, _)| k.to_string()).collect();
    assert_eq!(
        keys.into_iter().collect::<Vec<_>>(),
        [
            "app.balanceCents",
            "app.clientVersion",
            "app.features",
            "app.home",
            "app.initial",
            "app.isPremium",
            "app.name",
            "app.retries",
            "app.score",
            "app.tier",
            "app.timeout",
            "app.userId"
        ]
    );
    assert_eq!(
        cx.baggage().get("app.timeout").map(|v| v.as_str()),
        Some("1500")
    );
    assert_eq!(
        cx.baggage().get("app.clientVersion").map(|v| v.as_str()),
        Some("2.1")
    );
    v.local_only.clear();
    assert_eq!(Everything::from_context(&cx).unwrap(), v);
}
