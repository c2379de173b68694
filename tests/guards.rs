//! The run-time side of the anti-pattern guards: `max_len` and
//! `max_item_len` (rejected when written and when read), the computed size
//! bound `MAX_ENCODED_LEN` (never below a real encoding, and reached by the
//! worst case), and `#[baggage(flatten)]` (keys, prefixes, errors, runtime
//! duplicate keys of generic schemas). The compile-time side is in
//! `tests/ui` (trybuild).

use opentelemetry::baggage::BaggageExt;
use opentelemetry::{Context, KeyValue, Value};
use proptest::prelude::*;
use typed_baggage::prelude::*;
use typed_baggage::propagation::BaggagePropagator;
use typed_baggage::wire::encoded_len;
use typed_baggage::Error;

#[derive(Baggage, Debug, Clone, Copy, PartialEq, Eq)]
#[baggage(rename_all = "snake_case")]
enum Tier {
    Free,
    Premium,
}

/// Every field bounded: integers, an enum, a bool, a bounded string and a
/// bounded list of bounded strings.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "app.", max_bytes = 512)]
struct Bounded {
    user_id: u64,
    tier: Tier,
    beta: bool,
    #[baggage(max_len = 8)]
    region: String,
    #[baggage(max_len = 3, max_item_len = 5)]
    tags: Vec<String>,
    #[baggage(max_len = 4)]
    note: Option<String>,
    retries: i8,
}

fn bounded() -> Bounded {
    Bounded {
        user_id: 7,
        tier: Tier::Premium,
        beta: true,
        region: "eu-west".into(),
        tags: vec!["a".into(), "bc".into()],
        note: None,
        retries: -1,
    }
}

fn too_long(key: &str, max: usize, found: usize, unit: &str) -> Error {
    Error::TooLong {
        key: key.to_owned().into(),
        max,
        found,
        unit: unit.to_owned().into(),
    }
}

#[test]
fn max_len_rejects_long_values_when_written_and_leaves_the_context_alone() {
    let before = Context::new().with_baggage([KeyValue::new("other", "kept")]);
    let mut v = bounded();
    v.region = "ééééééééé".into(); // nine characters, eighteen bytes
    v.tags = vec!["a".into(), "b".into(), "c".into(), "d".into()];
    v.note = Some("12345".into());
    let err = before.with_typed(&v).unwrap_err();
    assert_eq!(
        err,
        Error::Multiple(vec![
            too_long("app.region", 8, 9, "characters"),
            too_long("app.tags", 3, 4, "elements"),
            too_long("app.note", 4, 5, "characters"),
        ])
    );
    assert_eq!(
        err.errors()[0].to_string(),
        "baggage key `app.region` is too long: expected at most 8 characters, found 9"
    );
    // Nothing was written: the context is as it was.
    assert_eq!(before.baggage().iter().count(), 1);
    assert_eq!(before.baggage().get("app.region"), None);
}

#[test]
fn max_item_len_names_the_element() {
    let mut v = bounded();
    v.tags = vec!["ok".into(), "toolong".into()];
    let err = Context::new().with_typed(&v).unwrap_err();
    assert_eq!(err, too_long("app.tags", 5, 7, "characters in element 1"));
}

#[test]
fn values_exactly_at_the_bound_are_accepted() {
    let mut v = bounded();
    v.region = "😀😀😀😀😀😀😀😀".into(); // eight characters, 32 bytes
    v.tags = vec!["abcde".into(), "ééééé".into(), "".into()];
    v.note = Some("four".into());
    let cx = Context::new().with_typed(&v).unwrap();
    assert_eq!(cx.typed::<Bounded>().unwrap(), v);
}

#[test]
fn max_len_rejects_long_values_when_read() {
    let cx = Context::new().with_baggage([
        KeyValue::new("app.user_id", "1"),
        KeyValue::new("app.tier", "free"),
        KeyValue::new("app.beta", "false"),
        KeyValue::new("app.region", "a-very-long-region"),
        KeyValue::new("app.tags", "x,y,z,w"),
        KeyValue::new("app.retries", "0"),
    ]);
    let err = cx.typed::<Bounded>().unwrap_err();
    assert_eq!(
        err,
        Error::Multiple(vec![
            too_long("app.region", 8, 18, "characters"),
            too_long("app.tags", 3, 4, "elements"),
        ])
    );
}

/// The bytes a schema value takes on the wire, measured as the `max_bytes`
/// budget is: the header our propagator writes for its entries alone.
fn wire_size<T: Baggage>(value: &T) -> usize {
    let cx = Context::new().with_typed(value).unwrap();
    BaggagePropagator::new()
        .header_value(cx.baggage())
        .map_or(0, |h| h.len())
}

#[test]
fn the_size_bound_is_reached_by_the_worst_case() {
    let worst = Bounded {
        user_id: u64::MAX,
        tier: Tier::Premium,
        beta: false,
        region: "😀".repeat(8),
        tags: vec!["😀".repeat(5), "😀".repeat(5), "😀".repeat(5)],
        note: Some("😀".repeat(4)),
        retries: i8::MIN,
    };
    assert_eq!(Some(wire_size(&worst)), Bounded::MAX_ENCODED_LEN);
    // app.user_id=(20) app.tier=(7) app.beta=(5) app.region=(8*12)
    // app.tags=(3*5*12 + 2 commas as %2C) app.note=(4*12) app.retries=(4), 6 commas
    assert_eq!(
        Bounded::MAX_ENCODED_LEN,
        Some(12 + 20 + 9 + 7 + 9 + 5 + 11 + 96 + 9 + (180 + 2 * 3) + 9 + 48 + 12 + 4 + 6)
    );
}

#[test]
fn unbounded_schemas_have_no_bound() {
    #[derive(Baggage)]
    struct Free {
        _id: u32,
        _name: String,
    }
    #[derive(Baggage)]
    struct Listy {
        #[baggage(max_len = 3)]
        _tags: Vec<String>,
    }
    assert_eq!(Free::MAX_ENCODED_LEN, None);
    // Three elements, but each of any length.
    assert_eq!(Listy::MAX_ENCODED_LEN, None);
    assert_eq!(Free::SCHEMA.fields[0].max_wire_len, Some(10));
    assert_eq!(Free::SCHEMA.fields[1].max_wire_len, None);
}

#[test]
fn value_bounds_are_exact_for_the_extremes() {
    fn wire<T: BaggageValue>(v: T) -> usize {
        let mut s = String::new();
        v.encode(&mut s);
        encoded_len(&s)
    }
    assert_eq!(Some(wire(u8::MAX)), u8::MAX_WIRE_LEN);
    assert_eq!(Some(wire(u64::MAX)), u64::MAX_WIRE_LEN);
    assert_eq!(Some(wire(u128::MAX)), u128::MAX_WIRE_LEN);
    assert_eq!(Some(wire(i8::MIN)), i8::MAX_WIRE_LEN);
    assert_eq!(Some(wire(i64::MIN)), i64::MAX_WIRE_LEN);
    assert_eq!(Some(wire(i128::MIN)), i128::MAX_WIRE_LEN);
    assert_eq!(Some(wire(usize::MAX)), usize::MAX_WIRE_LEN);
    assert_eq!(Some(wire(false)), bool::MAX_WIRE_LEN);
    assert_eq!(Some(wire('😀')), char::MAX_WIRE_LEN);
    assert_eq!(Some(wire(Tier::Premium)), Tier::MAX_WIRE_LEN);
    assert_eq!(Tier::MAX_WIRE_LEN_IN_LIST, Some(7));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn float_text_never_exceeds_its_bound(a in any::<u64>(), b in any::<u32>()) {
        let mut s = String::new();
        f64::from_bits(a).encode(&mut s);
        prop_assert!(Some(encoded_len(&s)) <= f64::MAX_WIRE_LEN, "{s}");
        s.clear();
        f32::from_bits(b).encode(&mut s);
        prop_assert!(Some(encoded_len(&s)) <= f32::MAX_WIRE_LEN, "{s}");
    }

    #[test]
    fn any_bounded_value_fits_its_bound(
        user_id in any::<u64>(),
        beta in any::<bool>(),
        region in "\\PC{0,8}",
        tags in prop::collection::vec("[,%a-z😀é ]{0,5}", 0..=3),
        note in prop::option::of("\\PC{0,4}"),
        retries in any::<i8>(),
    ) {
        let v = Bounded { user_id, tier: Tier::Free, beta, region, tags, note, retries };
        let size = wire_size(&v);
        prop_assert!(Some(size) <= Bounded::MAX_ENCODED_LEN, "{size}");
        let cx = Context::new().with_typed(&v).unwrap();
        prop_assert_eq!(cx.typed::<Bounded>().unwrap(), v);
    }
}

// --- flatten ---------------------------------------------------------------

#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "user.")]
struct User {
    id: u64,
    #[baggage(max_len = 4)]
    plan: Option<String>,
}

#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "req.")]
struct Request {
    #[baggage(flatten)]
    user: User,
    #[baggage(flatten, prefix = "payer.")]
    payer: User,
    beta: bool,
}

#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "acct.")]
struct Account {
    #[baggage(flatten)]
    user: User,
    region: String,
}

/// Flattens `Account` under another prefix: the outermost prefix wins, for
/// the keys `Account` flattens in turn too.
#[derive(Baggage, Debug, Clone, PartialEq)]
struct Envelope {
    #[baggage(flatten, prefix = "env.")]
    account: Account,
    #[baggage(flatten)]
    owner: User,
}

fn request() -> Request {
    Request {
        user: User {
            id: 1,
            plan: Some("pro".into()),
        },
        payer: User { id: 2, plan: None },
        beta: true,
    }
}

fn entries(cx: &Context) -> Vec<(String, String)> {
    let mut v: Vec<_> = cx
        .baggage()
        .iter()
        .map(|(k, (v, _))| (k.as_str().to_owned(), v.as_str().to_owned()))
        .collect();
    v.sort();
    v
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn flattened_schemas_keep_their_keys_or_take_the_site_prefix() {
    let cx = Context::new().with_typed(&request()).unwrap();
    assert_eq!(
        entries(&cx),
        pairs(&[
            ("payer.id", "2"),
            ("req.beta", "true"),
            ("user.id", "1"),
            ("user.plan", "pro"),
        ])
    );
    assert_eq!(cx.typed::<Request>().unwrap(), request());
    let keys: Vec<_> = Request::SCHEMA
        .resolved()
        .into_iter()
        .map(|f| f.key.into_owned())
        .collect();
    assert_eq!(
        keys,
        ["req.beta", "user.id", "user.plan", "payer.id", "payer.plan"]
    );
    assert!(Request::SCHEMA.contains_key("payer.plan"));
    assert!(!Request::SCHEMA.contains_key("user.beta"));
    assert_eq!(Request::SCHEMA.key_count(), 5);
}

#[test]
fn the_outermost_prefix_wins() {
    let e = Envelope {
        account: Account {
            user: User {
                id: 1,
                plan: Some("pro".into()),
            },
            region: "eu".into(),
        },
        owner: User { id: 3, plan: None },
    };
    let cx = Context::new().with_typed(&e).unwrap();
    assert_eq!(
        entries(&cx),
        pairs(&[
            ("env.id", "1"),
            ("env.plan", "pro"),
            ("env.region", "eu"),
            ("user.id", "3"),
        ])
    );
    assert_eq!(cx.typed::<Envelope>().unwrap(), e);
    assert_eq!(Envelope::SCHEMA.duplicate_key(), None);
    // Bounds follow the prefixes: `env.id=` is one byte shorter than `user.id=`.
    assert_eq!(Envelope::MAX_ENCODED_LEN, None); // `region` is an unbounded String
}

#[test]
fn errors_of_flattened_fields_name_the_wire_key() {
    let cx = Context::new().with_baggage([
        KeyValue::new("user.id", "x"),
        KeyValue::new("payer.plan", "enterprise"),
        KeyValue::new("req.beta", "true"),
    ]);
    let err = cx.typed::<Request>().unwrap_err();
    assert_eq!(
        err.keys().collect::<Vec<_>>(),
        ["user.id", "payer.id", "payer.plan"]
    );
    let mut bad = request();
    bad.payer.plan = Some("enterprise".into());
    assert_eq!(
        Context::new().with_typed(&bad).unwrap_err(),
        too_long("payer.plan", 4, 10, "characters")
    );
}

#[test]
fn without_typed_and_key_values_cover_flattened_keys() {
    let cx = Context::new()
        .with_baggage([KeyValue::new("other", "kept")])
        .with_typed(&request())
        .unwrap();
    let cleared = cx.without_typed::<Request>();
    assert_eq!(entries(&cleared), pairs(&[("other", "kept")]));
    let kv: Vec<KeyValue> = request().key_values().collect();
    assert_eq!(
        kv,
        [
            KeyValue::new("user.id", Value::I64(1)),
            KeyValue::new("user.plan", "pro"),
            KeyValue::new("payer.id", Value::I64(2)),
            KeyValue::new("req.beta", true),
        ]
    );
}

/// A write over a baggage that already holds every key of a flattened
/// schema (an upstream's stale values, with properties) and keys of others
/// that look like them: each of the schema's keys, under its site's prefix
/// or its own, is replaced or (for a `None`) removed; every other entry is
/// kept as it was, properties and all.
#[test]
fn a_write_over_stale_flattened_keys_replaces_or_removes_each_and_keeps_the_rest() {
    use opentelemetry::baggage::KeyValueMetadata;
    let stale = |k: &str| KeyValueMetadata::new(k.to_owned(), "stale", "p=1");
    let mut upstream: Vec<KeyValueMetadata> = [
        "user.id",
        "user.plan",
        "payer.id",
        "payer.plan",
        "req.beta",
        // not the schema's: an unflattened key, another site, lookalikes
        "req.user.id",
        "acct.user.id",
        "user.idx",
        "payer.plan2",
        "other",
    ]
    .into_iter()
    .map(stale)
    .collect();
    for i in 0..20 {
        upstream.push(stale(&format!("team{i}.key")));
    }
    let cx = Context::new()
        .with_baggage(upstream)
        .with_typed(&request())
        .unwrap();
    let b = cx.baggage();
    // replaced, without the stale properties
    for (key, value) in [
        ("user.id", "1"),
        ("user.plan", "pro"),
        ("payer.id", "2"),
        ("req.beta", "true"),
    ] {
        let (v, m) = b.get_with_metadata(key).unwrap();
        assert_eq!((v.as_str(), m.as_str()), (value, ""), "{key}");
    }
    // `payer.plan` is `None`: removed
    assert_eq!(b.get("payer.plan"), None);
    // everything else as it came
    let mut kept = 0;
    for (key, (v, m)) in b {
        if !["user.id", "user.plan", "payer.id", "req.beta"].contains(&key.as_str()) {
            assert_eq!((v.as_str(), m.as_str()), ("stale", "p=1"), "{key}");
            kept += 1;
        }
    }
    assert_eq!(kept, 25);
    assert_eq!(cx.typed::<Request>().unwrap(), request());
    // the stale value of a `None` field alone (nothing of the schema's is
    // replaced), under a flatten site's prefix and under a schema's own
    for key in ["payer.plan", "user.plan"] {
        let mut value = request();
        value.user.plan = None;
        let cx = Context::new()
            .with_baggage([stale(key), stale("other")])
            .with_typed(&value)
            .unwrap();
        assert_eq!(
            entries(&cx),
            pairs(&[
                ("other", "stale"),
                ("payer.id", "2"),
                ("req.beta", "true"),
                ("user.id", "1")
            ]),
            "{key}"
        );
    }
    // and the same through a schema flattening one that flattens in turn
    let envelope = Envelope {
        account: Account {
            user: User { id: 3, plan: None },
            region: "eu".into(),
        },
        owner: User {
            id: 4,
            plan: Some("free".into()),
        },
    };
    let keys = ["env.id", "env.plan", "env.region", "user.id", "user.plan"];
    let cx = Context::new()
        .with_baggage(
            keys.into_iter()
                .chain(["acct.region", "other"])
                .map(stale)
                .collect::<Vec<_>>(),
        )
        .with_typed(&envelope)
        .unwrap();
    assert_eq!(
        entries(&cx),
        pairs(&[
            ("acct.region", "stale"),
            ("env.id", "3"),
            ("env.region", "eu"),
            ("other", "stale"),
            ("user.id", "4"),
            ("user.plan", "free"),
        ])
    );
}

/// A generic schema's keys are known only when it is used with a type:
/// a collision is a run-time error, both ways.
#[derive(Baggage, Debug, PartialEq)]
struct Flag {
    on: bool,
}

#[derive(Baggage, Debug, PartialEq)]
struct Pair<A, B> {
    #[baggage(flatten)]
    a: A,
    #[baggage(flatten)]
    b: B,
}

#[test]
fn generic_schemas_report_duplicate_keys_at_run_time() {
    let same = Pair {
        a: User { id: 1, plan: None },
        b: User { id: 2, plan: None },
    };
    let expected = Error::DuplicateKey {
        key: "user.id".into(),
        schema: "Pair",
    };
    assert_eq!(Context::new().with_typed(&same).unwrap_err(), expected);
    assert_eq!(
        Context::new().typed::<Pair<User, User>>().unwrap_err(),
        expected
    );
    // Nested, the collision is one error, not one per level.
    let nested = Pair {
        a: Pair {
            a: User { id: 1, plan: None },
            b: User { id: 2, plan: None },
        },
        b: Flag { on: true },
    };
    assert_eq!(Context::new().with_typed(&nested).unwrap_err(), expected);
    // Attributes cannot fail: they name every field, the colliding key twice.
    let kv: Vec<KeyValue> = same.key_values().collect();
    assert_eq!(
        kv,
        [
            KeyValue::new("user.id", Value::I64(1)),
            KeyValue::new("user.id", Value::I64(2)),
        ]
    );
    // Distinct keys work.
    let fine = Pair {
        a: User { id: 1, plan: None },
        b: Flag { on: true },
    };
    let cx = Context::new().with_typed(&fine).unwrap();
    assert_eq!(cx.typed::<Pair<User, Flag>>().unwrap(), fine);
}

#[derive(Baggage, Debug, PartialEq)]
#[baggage(prefix = "exp.")]
struct Experiment {
    #[baggage(metric_label)]
    enabled: bool,
    arm: u32,
}

#[derive(Baggage, Debug, PartialEq)]
struct Call {
    #[baggage(flatten, prefix = "checkout.")]
    experiment: Experiment,
    #[baggage(metric_label)]
    tier: Tier,
}

#[test]
fn metric_labels_of_flattened_schemas_come_with_their_wire_keys() {
    let call = Call {
        experiment: Experiment {
            enabled: true,
            arm: 3,
        },
        tier: Tier::Free,
    };
    let labels: Vec<KeyValue> = call.metric_attributes().collect();
    assert_eq!(
        labels,
        [
            KeyValue::new("checkout.enabled", true),
            KeyValue::new("tier", "free"),
        ]
    );
}

#[cfg(feature = "sdk")]
#[test]
fn span_attributes_of_a_flattened_schema_are_typed_under_their_wire_keys() {
    use typed_baggage::sdk::BaggageAttributes;
    let cx = Context::new()
        .with_typed(&Call {
            experiment: Experiment {
                enabled: true,
                arm: 3,
            },
            tier: Tier::Premium,
        })
        .unwrap();
    let mut got = BaggageAttributes::new()
        .schema::<Call>()
        .attributes(cx.baggage());
    got.sort_by(|a, b| a.key.as_str().cmp(b.key.as_str()));
    assert_eq!(
        got,
        [
            KeyValue::new("checkout.arm", 3i64),
            KeyValue::new("checkout.enabled", true),
            KeyValue::new("tier", "premium"),
        ]
    );
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

fn no_wait() -> std::time::Duration {
    std::time::Duration::ZERO
}

/// Every kind of field the generated reader and writer hand to the runtime
/// (bounds, codecs with and without a default, an `Option` codec, a metric
/// label), in a schema that is read and written under a flatten site's
/// prefix: its keys are rebuilt, never the declared ones.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "lim.")]
struct Limits {
    #[baggage(max_len = 4)]
    zone: String,
    #[baggage(max_len = 2, max_item_len = 3)]
    tags: Vec<String>,
    #[baggage(with = millis)]
    timeout: std::time::Duration,
    #[baggage(with = millis)]
    grace: Option<std::time::Duration>,
    #[baggage(with = millis, default = "no_wait")]
    wait: std::time::Duration,
    #[baggage(metric_label)]
    strict: bool,
}

#[derive(Baggage, Debug, Clone, PartialEq)]
struct Job {
    #[baggage(flatten, prefix = "job.")]
    limits: Limits,
    id: u64,
}

fn job() -> Job {
    Job {
        limits: Limits {
            zone: "eu".into(),
            tags: vec!["a".into(), "bcd".into()],
            timeout: std::time::Duration::from_millis(250),
            grace: None,
            wait: std::time::Duration::from_millis(5),
            strict: true,
        },
        id: 9,
    }
}

/// What a hand-written service puts in baggage for a `Job`, with `edits`
/// replacing (or with `None`, removing) entries.
fn job_entries(edits: &[(&str, Option<&str>)]) -> Context {
    let mut items = vec![
        ("job.zone", "eu"),
        ("job.tags", "a,bcd"),
        ("job.timeout", "250"),
        ("job.wait", "5"),
        ("job.strict", "true"),
        ("id", "9"),
    ];
    for (key, value) in edits {
        items.retain(|(k, _)| k != key);
        if let Some(v) = value {
            items.push((key, v));
        }
    }
    Context::new().with_baggage(
        items
            .into_iter()
            .map(|(k, v)| KeyValue::new(k.to_owned(), v.to_owned())),
    )
}

#[test]
fn every_field_kind_of_a_schema_flattened_under_a_prefix_uses_the_wire_key() {
    // Written: under the site's keys, the `None` codec absent.
    let cx = Context::new().with_typed(&job()).unwrap();
    let mut written = entries(&cx);
    written.sort();
    assert_eq!(
        written,
        pairs(&[
            ("id", "9"),
            ("job.strict", "true"),
            ("job.tags", "a,bcd"),
            ("job.timeout", "250"),
            ("job.wait", "5"),
            ("job.zone", "eu"),
        ])
    );
    assert_eq!(cx.typed::<Job>().unwrap(), job());
    // What a peer wrote reads the same; an absent defaulted codec takes its
    // default, an absent `Option` codec is `None`.
    assert_eq!(job_entries(&[]).typed::<Job>().unwrap(), job());
    let waited = job_entries(&[("job.wait", None)]).typed::<Job>().unwrap();
    assert_eq!(waited.limits.wait, std::time::Duration::ZERO);
    let graced = job_entries(&[("job.grace", Some("7"))])
        .typed::<Job>()
        .unwrap();
    assert_eq!(
        graced.limits.grace,
        Some(std::time::Duration::from_millis(7))
    );

    // Attributes, and the metric label alone, under the same keys.
    let kv: Vec<KeyValue> = job().key_values().collect();
    let keys: Vec<String> = kv.iter().map(|kv| kv.key.to_string()).collect();
    assert_eq!(
        keys,
        [
            "job.zone",
            "job.tags",
            "job.timeout",
            "job.wait",
            "job.strict",
            "id"
        ]
    );
    assert_eq!(kv[2].value, Value::from("250"));
    assert_eq!(
        job().metric_attributes().collect::<Vec<_>>(),
        [KeyValue::new("job.strict", true)]
    );
}

#[test]
fn every_field_kind_of_a_schema_flattened_under_a_prefix_fails_under_the_wire_key() {
    // Written: both bounds, named by the site's key.
    let mut long = job();
    long.limits.zone = "antarctica".into();
    long.limits.tags = vec!["abcd".into()];
    assert_eq!(
        Context::new().with_typed(&long).unwrap_err(),
        Error::Multiple(vec![
            too_long("job.zone", 4, 10, "characters"),
            too_long("job.tags", 3, 4, "characters in element 0"),
        ])
    );
    // Read: each field's own error, in field order, under the site's key.
    let err = job_entries(&[
        ("job.zone", Some("antarctica")),
        ("job.tags", Some("a,b,c")),
        ("job.timeout", Some("soon")),
        ("job.grace", Some("-1")),
        ("job.strict", None),
    ])
    .typed::<Job>()
    .unwrap_err();
    assert_eq!(
        err.keys().collect::<Vec<_>>(),
        [
            "job.zone",
            "job.tags",
            "job.timeout",
            "job.grace",
            "job.strict"
        ]
    );
    assert_eq!(err.errors()[0], too_long("job.zone", 4, 10, "characters"));
    assert_eq!(err.errors()[1], too_long("job.tags", 2, 3, "elements"));
    assert_eq!(
        err.errors()[2].to_string(),
        "baggage key `job.timeout` has an invalid value: expected a value that \
         `millis::decode` accepts, found \"soon\" (invalid digit found in string)"
    );
    let item = job_entries(&[("job.tags", Some("a,bcde"))])
        .typed::<Job>()
        .unwrap_err();
    assert_eq!(item, too_long("job.tags", 3, 4, "characters in element 1"));
    // A required codec without a default, absent.
    let missing = job_entries(&[("job.timeout", None)])
        .typed::<Job>()
        .unwrap_err();
    assert_eq!(missing.keys().collect::<Vec<_>>(), ["job.timeout"]);
    assert!(missing.to_string().contains("missing"), "{missing}");
    // The declared keys are not read in place of the site's.
    let declared = Context::new().with_baggage([
        KeyValue::new("lim.zone", "eu"),
        KeyValue::new("lim.tags", "a"),
        KeyValue::new("lim.timeout", "1"),
        KeyValue::new("lim.strict", "true"),
        KeyValue::new("id", "9"),
    ]);
    assert_eq!(
        declared
            .typed::<Job>()
            .unwrap_err()
            .keys()
            .collect::<Vec<_>>(),
        ["job.zone", "job.tags", "job.timeout", "job.strict"]
    );
}
