//! Wire interop with the OpenTelemetry SDKs of Python (`opentelemetry-api`)
//! and JavaScript (`@opentelemetry/core`), run as subprocesses: a typed
//! schema goes out through our `BaggagePropagator` and is read by each
//! peer's own `W3CBaggagePropagator`, and what each peer writes is read
//! back by ours.
//!
//! The peers are `tests/peers/py_peer.py` and `tests/peers/js_peer.js`, at
//! the versions pinned in `tests/peers/requirements.txt` and
//! `tests/peers/package-lock.json`, installed by `.ci/setup-peers` into
//! `target/peers/`. The first interop test of a run installs them itself
//! (it runs `.ci/setup-peers`, once, under a file lock, so parallel runs
//! wait for one another; an install that is already there is kept), and a
//! test whose peer cannot be installed fails with the reason. Setting
//! `TYPED_BAGGAGE_SKIP_INTEROP=1` skips the install, and every interop test
//! then fails saying that interop was not tested: no run is ever green
//! without the peers. Every peer call checks that the installed SDK is the
//! pinned one.
//!
//! Overrides: `TYPED_BAGGAGE_PEERS_DIR` (instead of `target/peers`),
//! `TYPED_BAGGAGE_PYTHON` (the Python interpreter), `TYPED_BAGGAGE_NODE`
//! (the `node` binary) and `TYPED_BAGGAGE_NODE_PATH` (its `node_modules`).
//!
//! What the peers do to values, as these tests pin it down:
//!
//! - Python writes a space as `+` and a `+` as `%2B` (`quote_plus`). Our
//!   default propagator reads by the specification, where `+` is a `+`, so
//!   Python's `"New York"` reads as `"New+York"`; with
//!   `BaggagePropagator::builder().plus_as_space(true)` it reads as
//!   `"New York"`, and Python's real `+` still reads as `+`.
//! - Python strips leading and trailing whitespace from every value it
//!   reads; it keeps properties (`;p=1`) inside the value; it reads only
//!   the first `baggage` header; it drops members with raw non-ASCII (we
//!   never send any).
//! - JavaScript drops a member whose value is empty when it reads one, so
//!   an empty `String` field that goes through a JavaScript service comes
//!   back missing. It keeps properties as metadata and writes them back; it
//!   reads every `baggage` header.

use std::collections::BTreeMap;

use opentelemetry::baggage::{Baggage as OtelBaggage, BaggageExt};
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::Context;
use serde_json::{json, Value};
use typed_baggage::prelude::*;
use typed_baggage::propagation::BaggagePropagator;
use typed_baggage::Error;

// ------------------------------------------------------------------ schemas

#[derive(Baggage, Debug, Clone, Copy, PartialEq)]
#[baggage(rename_all = "snake_case")]
enum Tier {
    Free,
    Premium,
    EnterpriseGold,
}

/// One field per kind of awkward text, plus a list, a number and an enum.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "it.")]
struct Wire {
    plain: String,
    space: String,
    plus: String,
    percent: String,
    /// A literal `%20` that must never be decoded twice.
    pct20: String,
    comma: String,
    semicolon: String,
    equals: String,
    accent: String,
    german: String,
    emoji: String,
    /// Every other ASCII punctuation, including the `!*'()` that
    /// JavaScript's `encodeURIComponent` writes raw.
    punct: String,
    tags: Vec<String>,
    count: i64,
    tier: Tier,
}

fn wire() -> Wire {
    Wire {
        plain: "us-west".into(),
        space: "New York".into(),
        plus: "1+1=2".into(),
        percent: "100% sure".into(),
        pct20: "a%20b".into(),
        comma: "x,y".into(),
        semicolon: "k;v".into(),
        equals: "x=y=z".into(),
        accent: "héllo".into(),
        german: "Grüße".into(),
        emoji: "🚀 launch".into(),
        punct: "!*'()\"\\/?#&[]@:<>{}|^`$".into(),
        tags: vec![
            "a,b".into(),
            "c".into(),
            "50%".into(),
            "x y".into(),
            "1+1".into(),
        ],
        count: -42,
        tier: Tier::EnterpriseGold,
    }
}

/// The baggage entries `wire()` is written as: the text every peer must
/// see. A list is our own encoding inside the entry (`,` between elements,
/// an element's `,` and `%` as `%2C` and `%25`); a peer sees that text.
const WIRE_ENTRIES: &[(&str, &str)] = &[
    ("it.plain", "us-west"),
    ("it.space", "New York"),
    ("it.plus", "1+1=2"),
    ("it.percent", "100% sure"),
    ("it.pct20", "a%20b"),
    ("it.comma", "x,y"),
    ("it.semicolon", "k;v"),
    ("it.equals", "x=y=z"),
    ("it.accent", "héllo"),
    ("it.german", "Grüße"),
    ("it.emoji", "🚀 launch"),
    ("it.punct", "!*'()\"\\/?#&[]@:<>{}|^`$"),
    ("it.tags", "a%2Cb,c,50%25,x y,1+1"),
    ("it.count", "-42"),
    ("it.tier", "enterprise_gold"),
];

/// `wire()` as our default (specification) propagator reads it from
/// Python: every space Python meant arrives as `+`.
fn wire_with_plus_for_space() -> Wire {
    Wire {
        space: "New+York".into(),
        percent: "100%+sure".into(),
        emoji: "🚀+launch".into(),
        tags: vec![
            "a,b".into(),
            "c".into(),
            "50%".into(),
            "x+y".into(),
            "1+1".into(),
        ],
        ..wire()
    }
}

/// Whitespace at the edges, and an empty value.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "pad.")]
struct Padded {
    lead: String,
    trail: String,
    both: String,
    inner: String,
    empty: String,
}

fn padded() -> Padded {
    Padded {
        lead: " lead".into(),
        trail: "trail ".into(),
        both: "  both  ".into(),
        inner: "in ner".into(),
        empty: String::new(),
    }
}

const PADDED_ENTRIES: &[(&str, &str)] = &[
    ("pad.lead", " lead"),
    ("pad.trail", "trail "),
    ("pad.both", "  both  "),
    ("pad.inner", "in ner"),
    ("pad.empty", ""),
];

// -------------------------------------------------------------- our side

/// The `baggage` header our default propagator writes for `cx`.
fn inject(cx: &Context) -> String {
    let mut carrier = std::collections::HashMap::new();
    BaggagePropagator::default().inject_context(cx, &mut carrier);
    carrier.remove("baggage").expect("a baggage header")
}

fn inject_typed<T: Baggage>(value: &T) -> String {
    inject(&Context::new().with_typed(value).expect("within limits"))
}

/// A carrier with any number of `baggage` headers, as HTTP allows.
struct Headers<'a>(&'a [String]);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.get_all(key).and_then(|all| all.first().copied())
    }

    fn keys(&self) -> Vec<&str> {
        if self.0.is_empty() {
            vec![]
        } else {
            vec!["baggage"]
        }
    }

    fn get_all(&self, key: &str) -> Option<Vec<&str>> {
        (key.eq_ignore_ascii_case("baggage") && !self.0.is_empty())
            .then(|| self.0.iter().map(String::as_str).collect())
    }
}

fn extract(propagator: &BaggagePropagator, headers: &[String]) -> Context {
    propagator.extract_with_context(&Context::new(), &Headers(headers))
}

fn spec() -> BaggagePropagator {
    BaggagePropagator::default()
}

fn plus_as_space() -> BaggagePropagator {
    BaggagePropagator::builder().plus_as_space(true).build()
}

/// Key to (value, metadata), as our propagator read it.
fn entries(cx: &Context) -> BTreeMap<String, (String, String)> {
    cx.baggage()
        .iter()
        .map(|(k, (v, m))| (k.to_string(), (v.to_string(), m.as_str().to_owned())))
        .collect()
}

/// The `key=value` pairs as the JSON entries a peer injects.
fn json_entries(pairs: &[(&str, &str)]) -> Value {
    Value::Array(pairs.iter().map(|(k, v)| json!([k, v])).collect())
}

/// What a peer reports it extracted, for pairs and no metadata: Python
/// reports `{key: value}`, JavaScript `{key: [value, null]}`.
fn python_view(pairs: &[(&str, &str)]) -> Value {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect()
}

fn js_view(pairs: &[(&str, &str)]) -> Value {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), json!([v, null])))
        .collect()
}

fn header_of(result: &Value) -> Vec<String> {
    vec![result
        .as_str()
        .unwrap_or_else(|| panic!("a peer header, got {result}"))
        .to_owned()]
}

#[path = "common/peers.rs"]
mod peers;

use peers::{node, python};

fn extract_req(headers: &[String]) -> Value {
    json!({ "op": "extract", "headers": headers })
}

fn relay_req(headers: &[String]) -> Value {
    json!({ "op": "relay", "headers": headers })
}

fn inject_req(entries: Value) -> Value {
    json!({ "op": "inject", "entries": entries })
}

// ----------------------------------------------------------------- Python

#[test]
fn rust_to_python() {
    let python = python();

    let wire_header = vec![inject_typed(&wire())];
    // Python drops a member with raw non-ASCII; we percent-encode all of it,
    // and a `+` too (Python would read a raw one as a space).
    assert!(wire_header[0].is_ascii() && !wire_header[0].contains('+'));
    let padded_header = vec![inject_typed(&padded())];
    let mut with_properties = OtelBaggage::new();
    with_properties.insert_with_metadata("it.meta", "v", "p=1;flag");
    let properties_header = vec![spec().header_value(&with_properties).expect("a header")];
    assert_eq!(properties_header[0], "it.meta=v;p=1;flag");
    let two_headers = vec!["it.a=1".to_owned(), "it.b=2".to_owned()];

    let results = python.call(vec![
        extract_req(&wire_header),
        relay_req(&wire_header),
        extract_req(&padded_header),
        relay_req(&padded_header),
        extract_req(&properties_header),
        relay_req(&properties_header),
        extract_req(&two_headers),
    ]);
    let [wire_seen, wire_relayed, padded_seen, padded_relayed, properties_seen, properties_relayed, two_seen] =
        <[Value; 7]>::try_from(results).expect("7 results");

    // Python reads exactly what we wrote, the list as our list text.
    assert_eq!(wire_seen, python_view(WIRE_ENTRIES));
    // A Rust -> Python -> Rust round trip reads back the same struct, when
    // we read Python's `+` as the space it means.
    let back = extract(&plus_as_space(), &header_of(&wire_relayed));
    assert_eq!(Wire::from_context(&back).unwrap(), wire());

    // Python strips leading and trailing spaces from what it reads: a
    // value with edge spaces does not survive a Python service. The inner
    // space and the empty value do.
    assert_eq!(
        padded_seen,
        json!({
            "pad.lead": "lead",
            "pad.trail": "trail",
            "pad.both": "both",
            "pad.inner": "in ner",
            "pad.empty": "",
        })
    );
    let back = extract(&plus_as_space(), &header_of(&padded_relayed));
    assert_eq!(
        Padded::from_context(&back).unwrap(),
        Padded {
            lead: "lead".into(),
            trail: "trail".into(),
            both: "both".into(),
            ..padded()
        }
    );

    // Python has no metadata: properties stay inside the value it reads,
    // and it forwards them encoded, as part of the value (`%3B`), so after
    // a Python service they are value text, not properties.
    assert_eq!(properties_seen, json!({ "it.meta": "v;p=1;flag" }));
    assert_eq!(header_of(&properties_relayed), ["it.meta=v%3Bp%3D1%3Bflag"]);
    let back = extract(&spec(), &header_of(&properties_relayed));
    assert_eq!(
        entries(&back)["it.meta"],
        ("v;p=1;flag".to_owned(), String::new())
    );

    // Python reads only the first of several `baggage` headers; we read all.
    assert_eq!(two_seen, json!({ "it.a": "1" }));
    assert_eq!(extract(&spec(), &two_headers).baggage().len(), 2);
}

#[test]
fn python_to_rust() {
    let python = python();

    let results = python.call(vec![
        inject_req(json_entries(WIRE_ENTRIES)),
        inject_req(json_entries(PADDED_ENTRIES)),
    ]);
    let [wire_header, padded_header] = <[Value; 2]>::try_from(results).expect("2 results");
    let (wire_header, padded_header) = (header_of(&wire_header), header_of(&padded_header));

    // quote_plus: a space is `+`, a real `+` is `%2B`.
    assert!(wire_header[0].contains("it.space=New+York"));
    assert!(wire_header[0].contains("it.plus=1%2B1%3D2"));
    assert!(wire_header[0].contains("it.pct20=a%2520b"));

    // With plus_as_space, everything Python sends reads back exactly.
    let cx = extract(&plus_as_space(), &wire_header);
    assert_eq!(Wire::from_context(&cx).unwrap(), wire());
    // By the specification (the default), `+` is `+`: Python's spaces read
    // as `+`, in plain values and inside the list alike; Python's real `+`
    // (`%2B`) is still `+`.
    let cx = extract(&spec(), &wire_header);
    assert_eq!(Wire::from_context(&cx).unwrap(), wire_with_plus_for_space());

    // Python does not strip what it writes, only what it reads: edge spaces
    // and an empty value from Python arrive whole.
    let cx = extract(&plus_as_space(), &padded_header);
    assert_eq!(Padded::from_context(&cx).unwrap(), padded());
    let cx = extract(&spec(), &padded_header);
    assert_eq!(
        Padded::from_context(&cx).unwrap(),
        Padded {
            lead: "+lead".into(),
            trail: "trail+".into(),
            both: "++both++".into(),
            inner: "in+ner".into(),
            empty: String::new(),
        }
    );
}

// ------------------------------------------------------------- JavaScript

#[test]
fn rust_to_javascript() {
    let node = node();

    let wire_header = vec![inject_typed(&wire())];
    let padded_header = vec![inject_typed(&padded())];
    let mut with_properties = OtelBaggage::new();
    with_properties.insert_with_metadata("it.meta", "v w", "p=1;flag");
    with_properties.insert("it.plain", "x");
    let properties_header = vec![spec().header_value(&with_properties).expect("a header")];
    assert_eq!(properties_header[0], "it.meta=v%20w;p=1;flag,it.plain=x");
    // Our header for `wire()`, its members split over two `baggage` headers.
    let members: Vec<&str> = wire_header[0].split(',').collect();
    let (first, second) = members.split_at(members.len() / 2);
    let split_headers = vec![first.join(","), second.join(",")];

    let results = node.call(vec![
        extract_req(&wire_header),
        relay_req(&wire_header),
        extract_req(&padded_header),
        relay_req(&padded_header),
        extract_req(&properties_header),
        relay_req(&properties_header),
        extract_req(&split_headers),
    ]);
    let [wire_seen, wire_relayed, padded_seen, padded_relayed, properties_seen, properties_relayed, split_seen] =
        <[Value; 7]>::try_from(results).expect("7 results");

    // JavaScript reads exactly what we wrote, the list as our list text.
    assert_eq!(wire_seen, js_view(WIRE_ENTRIES));
    // Rust -> JavaScript -> Rust reads back the same struct, with either
    // reading of `+` (JavaScript never writes a raw `+`).
    for propagator in [spec(), plus_as_space()] {
        let back = extract(&propagator, &header_of(&wire_relayed));
        assert_eq!(Wire::from_context(&back).unwrap(), wire());
    }

    // JavaScript keeps edge spaces, but drops a member whose value is empty
    // when it reads one: an empty `String` field is gone after a JavaScript
    // service, and reading the schema back names the missing key.
    assert_eq!(
        padded_seen,
        js_view(&[
            ("pad.lead", " lead"),
            ("pad.trail", "trail "),
            ("pad.both", "  both  "),
            ("pad.inner", "in ner"),
        ])
    );
    let back = extract(&spec(), &header_of(&padded_relayed));
    let err = Padded::from_context(&back).unwrap_err();
    assert!(
        matches!(&err, Error::Missing { key, .. } if key == "pad.empty"),
        "{err:?}"
    );
    assert!(err.to_string().contains("`pad.empty`"), "{err}");

    // JavaScript keeps properties as the entry's metadata and forwards them
    // as they were.
    assert_eq!(
        properties_seen,
        json!({ "it.meta": ["v w", "p=1;flag"], "it.plain": ["x", null] })
    );
    let back = extract(&spec(), &header_of(&properties_relayed));
    assert_eq!(
        entries(&back)["it.meta"],
        ("v w".to_owned(), "p=1;flag".to_owned())
    );

    // JavaScript reads every `baggage` header, as one list; so do we.
    assert_eq!(split_seen, js_view(WIRE_ENTRIES));
    let cx = extract(&spec(), &split_headers);
    assert_eq!(Wire::from_context(&cx).unwrap(), wire());
}

#[test]
fn javascript_to_rust() {
    let node = node();

    let results = node.call(vec![
        inject_req(json_entries(WIRE_ENTRIES)),
        inject_req(json_entries(PADDED_ENTRIES)),
        inject_req(json!([
            ["it.meta", "v", "p=1"],
            ["it.flags", "w x", "flag;q=2"]
        ])),
    ]);
    let [wire_header, padded_header, properties_header] =
        <[Value; 3]>::try_from(results).expect("3 results");
    let wire_header = header_of(&wire_header);

    // encodeURIComponent: a space is `%20`, `+` is `%2B`, `!*'()` are raw.
    assert!(wire_header[0].contains("it.space=New%20York"));
    assert!(wire_header[0].contains("it.plus=1%2B1%3D2"));
    assert!(wire_header[0].contains("it.punct=!*'()%22"));
    for propagator in [spec(), plus_as_space()] {
        let cx = extract(&propagator, &wire_header);
        assert_eq!(Wire::from_context(&cx).unwrap(), wire());
    }

    // Edge spaces and an empty value: JavaScript writes them whole (it only
    // drops empty values when it reads).
    let cx = extract(&spec(), &header_of(&padded_header));
    assert_eq!(Padded::from_context(&cx).unwrap(), padded());

    // Properties written by JavaScript are the entry's metadata here, and
    // we write them back verbatim.
    let properties_header = header_of(&properties_header);
    assert_eq!(
        properties_header[0],
        "it.meta=v;p=1,it.flags=w%20x;flag;q=2"
    );
    let cx = extract(&spec(), &properties_header);
    assert_eq!(
        entries(&cx),
        BTreeMap::from([
            ("it.meta".to_owned(), ("v".to_owned(), "p=1".to_owned())),
            (
                "it.flags".to_owned(),
                ("w x".to_owned(), "flag;q=2".to_owned())
            ),
        ])
    );
    // Our members are sorted by key; each is the JavaScript member verbatim.
    assert_eq!(inject(&cx), "it.flags=w%20x;flag;q=2,it.meta=v;p=1");
}

// ----------------------------------------------------- signed, through peers

/// A signed schema relayed through each peer (extracted and injected again
/// by its own SDK): the signature covers the decoded values, so it verifies
/// after any peer that keeps them, whatever that peer's percent-encoding,
/// and is a mismatch after a peer that changes one.
#[cfg(feature = "signing")]
mod signed {
    use super::*;
    use typed_baggage::signing::{KeyRing, SigningKey};
    use typed_baggage::SignatureProblem;

    #[derive(Baggage, Debug, Clone, PartialEq)]
    #[baggage(prefix = "sg.", signed)]
    struct Awkward {
        space: String,
        plus: String,
        percent: String,
        comma: String,
        semicolon: String,
        equals: String,
        emoji: String,
        punct: String,
        tags: Vec<String>,
    }

    fn awkward() -> Awkward {
        let w = wire();
        Awkward {
            space: w.space,
            plus: w.plus,
            percent: w.percent,
            comma: w.comma,
            semicolon: w.semicolon,
            equals: w.equals,
            emoji: w.emoji,
            punct: w.punct,
            tags: w.tags,
        }
    }

    fn ring() -> KeyRing {
        // A random key: weak keys (32 equal bytes) are refused at load.
        KeyRing::new(
            SigningKey::from_base64("k1", "4eiNAc2Rmmbo7Adka/PhQTFCGKoIfred9625L8vQ/3I")
                .expect("a random 32-byte key"),
        )
    }

    fn signed_header(value: &Awkward) -> Vec<String> {
        let cx = Context::new().with_value(ring());
        vec![inject(&cx.with_typed(value).expect("within limits"))]
    }

    fn read(propagator: &BaggagePropagator, relayed: &Value) -> Result<Awkward, Error> {
        Awkward::from_context(&extract(propagator, &header_of(relayed)).with_value(ring()))
    }

    fn is_mismatch(read: Result<Awkward, Error>) -> bool {
        matches!(
            read,
            Err(Error::Signature {
                problem: SignatureProblem::Mismatch,
                ..
            })
        )
    }

    #[test]
    fn a_signature_survives_python_when_its_plus_is_read_as_space() {
        let python = python();
        let header = signed_header(&awkward());
        let edged = signed_header(&Awkward {
            space: " edge ".into(),
            ..awkward()
        });
        let results = python.call(vec![relay_req(&header), relay_req(&edged)]);
        let [relayed, edged_relayed] = <[Value; 2]>::try_from(results).expect("2 results");
        // Python writes a space as `+`: read by the specification that is a
        // `+`, a changed value, which the signature reports; read with
        // `plus_as_space`, every value is what was signed.
        assert!(is_mismatch(read(&spec(), &relayed)));
        assert_eq!(read(&plus_as_space(), &relayed).unwrap(), awkward());
        // Python strips edge spaces: the value changed on the way.
        assert!(is_mismatch(read(&plus_as_space(), &edged_relayed)));
    }

    #[test]
    fn a_signature_survives_javascript() {
        let node = node();
        let header = signed_header(&awkward());
        let results = node.call(vec![relay_req(&header)]);
        let [relayed] = <[Value; 1]>::try_from(results).expect("1 result");
        // JavaScript encodes differently (`!*'()` raw) but keeps every value.
        assert_ne!(header_of(&relayed), header);
        for propagator in [spec(), plus_as_space()] {
            assert_eq!(read(&propagator, &relayed).unwrap(), awkward());
        }
    }
}
