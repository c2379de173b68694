//! `with_typed` / `from_context` semantics: merge, all or nothing, limits
//! measured on the encoded header, and decode errors.

use std::borrow::Cow;
use std::collections::BTreeMap;

use opentelemetry::baggage::{BaggageExt, BaggageMetadata, KeyValueMetadata};
use opentelemetry::{Context, KeyValue, Value};
use typed_baggage::prelude::*;
use typed_baggage::{Error, Limit};

#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "app.")]
struct UserCtx {
    user_id: u64,
    tier: Tier,
    #[baggage(rename = "geo")]
    region: Option<String>,
    #[baggage(default)]
    retries: u8,
}

#[derive(Baggage, Debug, Clone, Copy, PartialEq)]
#[baggage(rename_all = "snake_case")]
enum Tier {
    Free,
    Premium,
    EnterpriseGold,
}

fn user() -> UserCtx {
    UserCtx {
        user_id: 12345,
        tier: Tier::Premium,
        region: Some("us-west".into()),
        retries: 2,
    }
}

/// The baggage as a sorted map of key to (value, metadata).
fn entries(cx: &Context) -> BTreeMap<String, (String, String)> {
    cx.baggage()
        .iter()
        .map(|(k, (v, m))| (k.to_string(), (v.to_string(), m.as_str().to_owned())))
        .collect()
}

fn map(pairs: &[(&str, &str, &str)]) -> BTreeMap<String, (String, String)> {
    pairs
        .iter()
        .map(|(k, v, m)| (k.to_string(), (v.to_string(), m.to_string())))
        .collect()
}

#[test]
fn writes_the_documented_entries() {
    let cx = Context::new().with_typed(&user()).unwrap();
    assert_eq!(
        entries(&cx),
        map(&[
            ("app.user_id", "12345", ""),
            ("app.tier", "premium", ""),
            ("app.geo", "us-west", ""),
            ("app.retries", "2", ""),
        ])
    );
}

#[test]
fn merge_keeps_other_entries_with_their_metadata_and_replaces_own_keys() {
    let upstream = Context::new().with_baggage([
        KeyValueMetadata::new("other.team", "payments", "owner=billing"),
        KeyValueMetadata::new("app.user_id", "1", ""),
        KeyValueMetadata::new("app.unrelated", "kept", ""),
    ]);
    let cx = upstream.with_typed(&user()).unwrap();
    assert_eq!(
        entries(&cx),
        map(&[
            ("other.team", "payments", "owner=billing"),
            ("app.unrelated", "kept", ""),
            ("app.user_id", "12345", ""),
            ("app.tier", "premium", ""),
            ("app.geo", "us-west", ""),
            ("app.retries", "2", ""),
        ])
    );
    // The input context is a value: it still has what it had.
    assert_eq!(
        entries(&upstream).get("app.user_id").map(|v| v.0.as_str()),
        Some("1")
    );
}

#[test]
fn none_removes_a_stale_upstream_value() {
    let upstream = Context::new().with_typed(&user()).unwrap();
    let moved = UserCtx {
        region: None,
        ..user()
    };
    let cx = upstream.with_typed(&moved).unwrap();
    assert_eq!(cx.baggage().get("app.geo"), None);
    assert_eq!(cx.typed::<UserCtx>().unwrap(), moved);
}

#[test]
fn two_schemas_share_one_baggage() {
    #[derive(Baggage, Debug, PartialEq)]
    #[baggage(prefix = "ff.")]
    struct Flags {
        new_checkout: bool,
    }
    let cx = Context::new()
        .with_typed(&user())
        .unwrap()
        .with_typed(&Flags { new_checkout: true })
        .unwrap();
    assert_eq!(cx.typed::<UserCtx>().unwrap(), user());
    assert_eq!(cx.typed::<Flags>().unwrap(), Flags { new_checkout: true });
    let without = cx.without_typed::<UserCtx>();
    assert_eq!(entries(&without), map(&[("ff.new_checkout", "true", "")]));
}

#[test]
fn from_current_reads_the_attached_context() {
    assert!(matches!(UserCtx::from_current(), Err(Error::Multiple(_))));
    {
        let _guard = Context::new().with_typed(&user()).unwrap().attach();
        assert_eq!(UserCtx::from_current().unwrap(), user());
    }
    assert!(UserCtx::from_current().is_err());
}

#[test]
fn absent_default_and_optional_fields() {
    let cx = Context::new().with_baggage([
        KeyValue::new("app.user_id", "7"),
        KeyValue::new("app.tier", "free"),
    ]);
    assert_eq!(
        cx.typed::<UserCtx>().unwrap(),
        UserCtx {
            user_id: 7,
            tier: Tier::Free,
            region: None,
            retries: 0
        }
    );
}

#[test]
fn unknown_keys_are_ignored() {
    let cx = Context::new().with_baggage([
        KeyValue::new("app.user_id", "7"),
        KeyValue::new("app.tier", "free"),
        KeyValue::new("app.color", "blue"),
        KeyValue::new("zzz", "1"),
    ]);
    assert_eq!(cx.typed::<UserCtx>().unwrap().user_id, 7);
}

#[test]
fn missing_key_error_names_key_and_expectation() {
    let cx = Context::new().with_baggage([KeyValue::new("app.tier", "free")]);
    let err = cx.typed::<UserCtx>().unwrap_err();
    assert_eq!(
        err,
        Error::Missing {
            key: Cow::Borrowed("app.user_id"),
            expected: Cow::Borrowed("an unsigned 64-bit integer (u64)"),
        }
    );
    assert_eq!(
        err.to_string(),
        "baggage key `app.user_id` is missing: expected an unsigned 64-bit integer (u64)"
    );
}

#[test]
fn unknown_enum_value_lists_the_allowed_ones() {
    let cx = Context::new().with_baggage([
        KeyValue::new("app.user_id", "7"),
        KeyValue::new("app.tier", "Premium"),
    ]);
    let err = cx.typed::<UserCtx>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "baggage key `app.tier` has an invalid value: expected one of `free`, `premium`, \
         `enterprise_gold` (Tier), found \"Premium\""
    );
}

#[test]
fn overflow_is_its_own_error() {
    let cx = Context::new().with_baggage([
        KeyValue::new("app.user_id", "18446744073709551616"),
        KeyValue::new("app.tier", "free"),
        KeyValue::new("app.retries", "-1"),
    ]);
    let err = cx.typed::<UserCtx>().unwrap_err();
    assert_eq!(
        err,
        Error::Multiple(vec![
            Error::OutOfRange {
                key: "app.user_id".into(),
                expected: "an unsigned 64-bit integer (u64)".into(),
                found: "18446744073709551616".into(),
            },
            Error::OutOfRange {
                key: "app.retries".into(),
                expected: "an unsigned 8-bit integer (u8)".into(),
                found: "-1".into(),
            },
        ])
    );
}

#[test]
fn every_bad_field_is_reported_in_field_order() {
    let cx = Context::new().with_baggage([
        KeyValue::new("app.user_id", "x"),
        KeyValue::new("app.retries", "many"),
    ]);
    let err = cx.typed::<UserCtx>().unwrap_err();
    assert_eq!(
        err.keys().collect::<Vec<_>>(),
        ["app.user_id", "app.tier", "app.retries"]
    );
    assert!(matches!(err.errors()[1], Error::Missing { .. }));
}

#[test]
fn hostile_found_values_are_cut_and_escaped() {
    let hostile = format!("\u{1b}[31m{}", "A".repeat(4_000));
    let cx = Context::new().with_baggage([
        KeyValue::new("app.user_id", hostile),
        KeyValue::new("app.tier", "free"),
    ]);
    let err = cx.typed::<UserCtx>().unwrap_err();
    let Error::Invalid { found, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        found.len(),
        typed_baggage::FOUND_EXCERPT_BYTES + '…'.len_utf8()
    );
    let msg = err.to_string();
    assert!(msg.contains("found \"\\u{1b}[31mAAAA"), "{msg}");
    assert!(!msg.contains('\u{1b}'));
    assert!(msg.len() < 300);
}

#[test]
fn key_values_are_typed() {
    let kv: Vec<KeyValue> = user().key_values().collect();
    assert_eq!(
        kv,
        [
            KeyValue::new("app.user_id", 12345i64),
            KeyValue::new("app.tier", "premium"),
            KeyValue::new("app.geo", "us-west"),
            KeyValue::new("app.retries", 2i64),
        ]
    );
    #[derive(Baggage)]
    struct Mixed {
        big: u64,
        ratio: f32,
        on: bool,
        tags: Vec<String>,
    }
    let kv: Vec<KeyValue> = Mixed {
        big: u64::MAX,
        ratio: 0.5,
        on: false,
        tags: vec!["a".into(), "b,c".into()],
    }
    .key_values()
    .collect();
    assert_eq!(kv[0].value, Value::String(u64::MAX.to_string().into()));
    assert_eq!(kv[1].value, Value::F64(0.5));
    assert_eq!(kv[2].value, Value::Bool(false));
    assert_eq!(
        kv[3].value,
        Value::Array(opentelemetry::Array::String(vec!["a".into(), "b,c".into()]))
    );
}

// ---- limits ---------------------------------------------------------------

#[derive(Baggage, Debug, PartialEq)]
struct Text {
    v: String,
}

/// A context holding `n` entries `k0=x`, `k1=x`, ...
fn with_members(n: usize) -> Context {
    Context::new().with_baggage(
        (0..n)
            .map(|i| KeyValue::new(format!("k{i}"), "x"))
            .collect::<Vec<_>>(),
    )
}

#[test]
fn sixty_four_members_fit_and_sixty_five_do_not() {
    let at = with_members(63)
        .with_typed(&Text { v: "a".into() })
        .unwrap();
    assert_eq!(at.baggage().len(), 64);

    let full = with_members(64);
    let err = full.with_typed(&Text { v: "a".into() }).unwrap_err();
    assert_eq!(
        err,
        Error::LimitExceeded {
            limit: Limit::Members,
            size: 65,
            allowance: 64
        }
    );
    // Nothing half-applied: the context is exactly as it was.
    assert_eq!(entries(&full), entries(&with_members(64)));
    // Replacing a key the schema owns does not add a member.
    let owns = Context::new().with_baggage(
        (0..63)
            .map(|i| KeyValue::new(format!("k{i}"), "x"))
            .chain([KeyValue::new("v", "old")])
            .collect::<Vec<_>>(),
    );
    assert_eq!(
        owns.with_typed(&Text { v: "new".into() })
            .unwrap()
            .baggage()
            .len(),
        64
    );
}

#[test]
fn bytes_are_measured_on_the_encoded_header() {
    // `v=` + 2730 spaces, each `%20` on the wire: 2 + 8190 = 8192 bytes.
    let at = Text {
        v: " ".repeat(2730),
    };
    assert!(Context::new().with_typed(&at).is_ok());
    let over = Text {
        v: " ".repeat(2731),
    };
    assert_eq!(
        Context::new().with_typed(&over).unwrap_err(),
        Error::LimitExceeded {
            limit: Limit::Bytes,
            size: 8195,
            allowance: 8192
        }
    );
}

#[test]
fn bytes_count_every_member_separator_and_metadata() {
    // `a=<4000>;p=1` (4006) + `,` + `v=<m>` (2 + m): exactly 8192 when m = 4183.
    let base = Context::new().with_baggage([KeyValueMetadata::new(
        "a",
        "x".repeat(4000),
        BaggageMetadata::from("p=1"),
    )]);
    assert!(base
        .with_typed(&Text {
            v: "y".repeat(4183)
        })
        .is_ok());
    let err = base
        .with_typed(&Text {
            v: "y".repeat(4184),
        })
        .unwrap_err();
    assert_eq!(
        err,
        Error::LimitExceeded {
            limit: Limit::Bytes,
            size: 8193,
            allowance: 8192
        }
    );
    assert_eq!(
        err.to_string(),
        "the W3C baggage limit of header bytes exceeded: the baggage would take 8193 bytes, 8192 allowed"
    );
}

#[test]
fn schema_budget_is_checked_on_its_own_entries() {
    #[derive(Baggage, Debug, PartialEq)]
    #[baggage(max_bytes = 20)]
    struct Small {
        a: String,
        b: u8,
    }
    // `a=<14>,b=1` is 2 + 14 + 1 + 3 = 20 bytes.
    let at = Small {
        a: "x".repeat(14),
        b: 1,
    };
    assert_eq!(
        Context::new()
            .with_typed(&at)
            .unwrap()
            .typed::<Small>()
            .unwrap(),
        at
    );
    let err = Context::new()
        .with_typed(&Small {
            a: "x".repeat(15),
            b: 1,
        })
        .unwrap_err();
    assert_eq!(
        err,
        Error::LimitExceeded {
            limit: Limit::SchemaBytes { schema: "Small" },
            size: 21,
            allowance: 20
        }
    );
    // Entries of other schemas do not count against it.
    let busy = with_members(40);
    assert!(busy.with_typed(&at).is_ok());
}

#[test]
fn failed_with_typed_leaves_the_current_context_alone() {
    let _guard = with_members(64).attach();
    let before = entries(&Context::current());
    assert!(Context::current()
        .with_typed(&Text { v: "a".into() })
        .is_err());
    assert_eq!(entries(&Context::current()), before);
}

// ---- a write into an empty baggage and over stale keys ---------------------
//
// An unsigned schema's write goes straight into a new baggage, after the
// entries it keeps; a signed schema's, or one that fails a check, writes
// a key twice or meets a limit of OpenTelemetry's, goes through the list
// of entries and the merge (the unit tests of `context`
// compare the two over any baggage with hand-written schemas; here the
// derived fields of every kind, through `__private::with_typed_general`).
// Into an empty baggage or over the schema's own stale keys, both ways, a
// write must give the same context or the same error, at every limit.

#[test]
fn a_value_over_what_opentelemetry_holds_is_an_error_not_a_dropped_entry() {
    // 9002 bytes: OpenTelemetry's `Baggage` refuses an entry this size
    // without a word; the write must say which limit it breaks.
    let err = Context::new()
        .with_typed(&Text {
            v: "y".repeat(9000),
        })
        .unwrap_err();
    assert_eq!(
        err,
        Error::LimitExceeded {
            limit: Limit::Bytes,
            size: 9002,
            allowance: 8192
        }
    );
}

mod first_write {
    use super::*;
    use proptest::prelude::*;

    /// A custom codec: whole milliseconds.
    mod millis {
        pub fn encode(value: &u64, out: &mut String) {
            out.push_str(&value.to_string());
        }

        pub fn decode(text: &str) -> Result<u64, std::num::ParseIntError> {
            text.parse()
        }
    }

    #[derive(Baggage, Debug, Clone, PartialEq)]
    #[baggage(prefix = "p.", max_bytes = 700)]
    pub struct Probe {
        #[baggage(max_len = 40)]
        name: String,
        #[baggage(max_item_len = 6)]
        tags: Vec<String>,
        note: Option<String>,
        n: u32,
        #[baggage(with = millis)]
        wait: Option<u64>,
    }

    /// Bulk for the W3C byte limit: a space takes three bytes on the wire.
    #[derive(Baggage, Debug, Clone, PartialEq)]
    #[baggage(prefix = "q.")]
    pub struct Bulk {
        spaces: Option<String>,
        plain: String,
    }

    /// Texts whose encoded size differs from their length, of every length
    /// around the limits the strategies aim at.
    fn text(max: usize) -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![Just('a'), Just(' '), Just(','), Just('%'), Just('é')],
            0..max,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    fn probe() -> impl Strategy<Value = Probe> {
        (
            text(48),
            proptest::collection::vec(text(8), 0..6),
            proptest::option::of(text(300)),
            any::<u32>(),
            proptest::option::of(any::<u64>()),
        )
            .prop_map(|(name, tags, note, n, wait)| Probe {
                name,
                tags,
                note,
                n,
                wait,
            })
    }

    fn bulk() -> impl Strategy<Value = Bulk> {
        (
            proptest::option::of((2600usize..2800).prop_map(|n| " ".repeat(n))),
            (0usize..400).prop_map(|n| "b".repeat(n)),
        )
            .prop_map(|(spaces, plain)| Bulk { spaces, plain })
    }

    /// A write's entries, or its error.
    type Written = Result<BTreeMap<String, (String, String)>, Error>;

    /// A baggage holding only the schema's own keys, with stale values (all
    /// replaced or removed by a write), so that no other entry counts
    /// against a limit.
    fn stale<T: Baggage>() -> Context {
        let stale = Context::new().with_baggage(
            T::SCHEMA
                .fields
                .iter()
                .map(|f| KeyValue::new(f.key, "stale"))
                .collect::<Vec<_>>(),
        );
        assert_eq!(stale.baggage().len(), T::SCHEMA.fields.len());
        stale
    }

    /// The same write over [`stale`] keys.
    fn over_stale<T: Baggage>(value: &T) -> Written {
        stale::<T>().with_typed(value).map(|cx| entries(&cx))
    }

    fn first<T: Baggage>(value: &T) -> Written {
        Context::new().with_typed(value).map(|cx| entries(&cx))
    }

    /// The same write through the general path (the list of entries and
    /// the merge, as a signed schema's goes), into an empty baggage and
    /// over the schema's own stale keys.
    fn general<T: Baggage>(value: &T) -> [Written; 2] {
        let write = |cx: &Context| {
            typed_baggage::__private::with_typed_general(cx, value).map(|cx| entries(&cx))
        };
        [write(&Context::new()), write(&stale::<T>())]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn gives_what_a_write_over_stale_keys_and_the_general_write_give(p in probe()) {
            let direct = first(&p);
            prop_assert_eq!(&direct, &over_stale(&p));
            for general in general(&p) {
                prop_assert_eq!(&direct, &general);
            }
        }

        #[test]
        fn gives_what_a_write_over_stale_keys_and_the_general_write_give_at_the_byte_limit(
            b in bulk()
        ) {
            let direct = first(&b);
            prop_assert_eq!(&direct, &over_stale(&b));
            for general in general(&b) {
                prop_assert_eq!(&direct, &general);
            }
        }
    }

    #[test]
    fn the_strategies_reach_both_sides_of_every_limit() {
        // Each outcome the properties compare, written once by hand.
        let ok = Probe {
            name: "a".into(),
            tags: vec!["x".into()],
            note: None,
            n: 1,
            wait: Some(5),
        };
        assert!(first(&ok).is_ok());
        let mut long = ok.clone();
        long.name = "a".repeat(41);
        assert!(matches!(first(&long), Err(Error::TooLong { .. })));
        let mut budget = ok.clone();
        budget.note = Some(" ".repeat(300));
        assert!(matches!(
            first(&budget),
            Err(Error::LimitExceeded {
                limit: Limit::SchemaBytes { .. },
                ..
            })
        ));
        // `q.spaces=` + 2700 × `%20`, `,`, `q.plain=` + 74: 8109 + 1 + 82.
        let at = Bulk {
            spaces: Some(" ".repeat(2700)),
            plain: "b".repeat(74),
        };
        assert_eq!(
            Context::new().with_typed(&at).map(|cx| {
                typed_baggage::propagation::BaggagePropagator::new()
                    .header_value(cx.baggage())
                    .map(|h| h.len())
            }),
            Ok(Some(8192))
        );
        assert!(first(&at).is_ok());
        let over = Bulk {
            spaces: Some(" ".repeat(2700)),
            plain: "b".repeat(75),
        };
        assert!(matches!(
            first(&over),
            Err(Error::LimitExceeded {
                limit: Limit::Bytes,
                ..
            })
        ));
    }
}
