//! A schema's JSON Schema over the baggage entries
//! (`baggage_contract::json_schema::entries_schema`), used by services in
//! other languages: the real `jsonschema` package in Python and `ajv` in
//! JavaScript validate received baggage with it, and agree with the Rust
//! reader on a shared corpus of valid and invalid baggage.
//!
//! The corpus is made here, not by our encoder: values chosen at and across
//! each field's edges (ranges, signs, leading zeros, letter case, Unicode
//! lengths, list escapes, whitespace, empty values), written on the wire
//! with every byte outside the unreserved set percent-encoded, one field
//! varied at a time from a valid base and in seeded random combinations.
//!
//! Two comparisons per case:
//! - **the validators alone**: each peer validates the entries as the Rust
//!   propagator decoded them; they must agree with the Rust reader on every
//!   case;
//! - **as a service receives it**: each peer's own SDK reads the header and
//!   its validator checks what the SDK read. They agree with the Rust reader
//!   wherever the SDK read the same entries; where it did not, the
//!   difference must be one of the SDKs' documented readings (Python strips
//!   whitespace around values; JavaScript drops a member whose value is
//!   empty; see `tests/interop.rs`).
//!
//! The peers install themselves (`tests/common/peers.rs`).

#[path = "common/peers.rs"]
mod peers;

use std::collections::{BTreeMap, HashMap};

use baggage_contract::json_schema::entries_schema;
use opentelemetry::baggage::BaggageExt;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::Context;
use serde_json::{json, Value};
use typed_baggage::prelude::*;
use typed_baggage::propagation::BaggagePropagator;
use typed_baggage::schema::document::{self, Document, SchemaDoc};

#[derive(Baggage, Debug, Clone, Copy, PartialEq)]
#[baggage(rename_all = "kebab-case")]
enum Tier {
    Free,
    Premium,
    EnterprisePlus,
}

/// Every format the JSON Schema export knows, with the bounds it checks.
#[derive(Baggage, Debug)]
#[baggage(prefix = "app.")]
#[allow(dead_code)]
struct Contract {
    user_id: u64,
    tier: Tier,
    retries: i8,
    ratio: Option<f64>,
    beta: Option<bool>,
    initial: Option<char>,
    #[baggage(max_len = 8)]
    region: Option<String>,
    #[baggage(max_len = 3, max_item_len = 4)]
    tags: Option<Vec<String>>,
    ids: Option<Vec<u16>>,
    tiers: Option<Vec<Tier>>,
    #[baggage(default)]
    note: String,
}

/// The values tried for each key (decoded text; `None`: the key is absent).
fn candidates() -> Vec<(&'static str, Vec<Option<&'static str>>)> {
    vec![
        (
            "app.user_id",
            vec![
                Some("0"),
                Some("42"),
                Some("18446744073709551615"),
                Some("18446744073709551616"),
                Some("99999999999999999999"),
                Some("-1"),
                Some("+7"),
                Some("007"),
                Some("+"),
                Some("1e3"),
                Some("0x10"),
                Some("1.0"),
                Some("\u{663}"),
                Some("7\n"),
                Some("abc"),
                Some(" 7"),
                Some(""),
                None,
            ],
        ),
        (
            "app.tier",
            vec![
                Some("free"),
                Some("enterprise-plus"),
                Some("Free"),
                Some("enterprise_plus"),
                Some("gold"),
                Some("free\n"),
                Some(" free"),
                Some(""),
                None,
            ],
        ),
        (
            "app.retries",
            vec![
                Some("-128"),
                Some("127"),
                Some("128"),
                Some("-129"),
                Some("-0"),
                Some("+5"),
                Some("-005"),
                Some("--1"),
                Some("1-"),
                None,
            ],
        ),
        (
            "app.ratio",
            vec![
                Some("0.5"),
                Some("-1e10"),
                Some(".5"),
                Some("5."),
                Some("inf"),
                Some("-Infinity"),
                Some("NaN"),
                Some("1E-7"),
                Some("1,5"),
                Some("1e"),
                Some("0x1p3"),
                Some("abc"),
                Some(""),
                None,
            ],
        ),
        (
            "app.beta",
            vec![
                Some("true"),
                Some("FALSE"),
                Some("TrUe"),
                Some("yes"),
                Some("1"),
                Some(""),
                None,
            ],
        ),
        (
            "app.initial",
            vec![
                Some("a"),
                Some("\u{e9}"),
                Some("\u{1f600}"),
                Some("ab"),
                Some("e\u{301}"),
                Some(""),
                None,
            ],
        ),
        (
            "app.region",
            vec![
                Some("eu-west"),
                Some("eu-west-1"),
                Some("\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}"),
                Some("\u{65e5}\u{672c}\u{65e5}\u{672c}\u{65e5}\u{672c}\u{65e5}\u{672c}\u{65e5}"),
                Some("\u{1f600}\u{1f600}\u{1f600}\u{1f600}\u{1f600}\u{1f600}\u{1f600}\u{1f600}"),
                Some("a,b;c=d"),
                Some(""),
                None,
            ],
        ),
        (
            "app.tags",
            vec![
                Some("a,b,c"),
                Some("a,b,c,d"),
                Some("abcd,efghi"),
                Some("%00"),
                Some(""),
                Some("a%2Cb"),
                Some("a%2cb,c"),
                Some("100%"),
                Some("a%25"),
                Some("a,,b"),
                Some("%2C%2C%2C%2C,x"),
                Some("\u{e9}\u{e9}\u{e9}\u{e9}"),
                None,
            ],
        ),
        (
            "app.ids",
            vec![
                Some("1,2,3"),
                Some(""),
                Some("65535"),
                Some("65536"),
                Some("1,,2"),
                Some("%00"),
                Some("1, 2"),
                Some("+1,007"),
                Some("-1"),
                Some("1,2,"),
                None,
            ],
        ),
        (
            "app.tiers",
            vec![
                Some("free,premium"),
                Some("free,gold"),
                Some(""),
                Some("%00"),
                Some("Free"),
                None,
            ],
        ),
        ("app.note", vec![Some("anything at all"), Some(""), None]),
    ]
}

/// A valid assignment: the first candidate of each key.
fn base() -> BTreeMap<&'static str, &'static str> {
    candidates()
        .into_iter()
        .filter_map(|(k, vs)| vs[0].map(|v| (k, v)))
        .collect()
}

/// Every byte outside `A-Z a-z 0-9 - . _ ~` as `%XX`: what any encoder may
/// write, and every peer must decode.
fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn header(entries: &BTreeMap<&str, &str>) -> String {
    entries
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect::<Vec<_>>()
        .join(",")
}

/// The corpus: the base, each key's every candidate in turn, and seeded
/// random combinations.
fn corpus() -> Vec<BTreeMap<&'static str, &'static str>> {
    let cands = candidates();
    let mut cases = vec![base()];
    for (key, values) in &cands {
        for v in values.iter().skip(1) {
            let mut case = base();
            match v {
                Some(v) => case.insert(key, v),
                None => case.remove(key),
            };
            cases.push(case);
        }
    }
    // xorshift64*, seeded: the same combinations every run.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |n: usize| {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) % n as u64) as usize
    };
    for _ in 0..400 {
        let mut case = BTreeMap::new();
        for (key, values) in &cands {
            // Mostly the valid first value, so that one bad field decides.
            let pick = if next(3) == 0 { next(values.len()) } else { 0 };
            if let Some(v) = values[pick] {
                case.insert(*key, v);
            }
        }
        cases.push(case);
    }
    cases
}

fn propagator() -> BaggagePropagator {
    BaggagePropagator::default()
}

/// What the Rust reader says of a header, and the entries it decoded.
fn rust_read(header: &str) -> (bool, BTreeMap<String, String>) {
    let carrier = HashMap::from([("baggage".to_owned(), header.to_owned())]);
    let cx = propagator().extract_with_context(&Context::new(), &carrier);
    let entries = cx
        .baggage()
        .iter()
        .map(|(k, (v, _))| (k.to_string(), v.to_string()))
        .collect();
    (cx.typed::<Contract>().is_ok(), entries)
}

fn schema_doc() -> SchemaDoc {
    SchemaDoc::of(&Contract::SCHEMA)
}

/// Per case: what the Rust reader says, the entries it decoded, the header.
type RustView = Vec<(bool, BTreeMap<String, String>, String)>;

fn rust_view() -> RustView {
    corpus()
        .iter()
        .map(|case| {
            let h = header(case);
            let (ok, entries) = rust_read(&h);
            (ok, entries, h)
        })
        .collect()
}

/// Both comparisons for one peer; returns (cases, agreements as received).
fn agree(peer: &peers::Peer, reading_difference: impl Fn(&str, &str) -> bool) -> (usize, usize) {
    let schema = entries_schema(&schema_doc());
    let view = rust_view();
    let valid = view.iter().filter(|(ok, _, _)| *ok).count();
    assert!(
        valid >= 20 && view.len() - valid >= 100,
        "the corpus must hold both: {valid} valid of {}",
        view.len()
    );

    // The validators alone, on the entries the Rust propagator decoded.
    let requests = view
        .iter()
        .map(|(_, entries, _)| json!({ "op": "validate", "schema": schema, "instance": entries }))
        .collect();
    let verdicts = peer.call(requests);
    let disagreements: Vec<String> = view
        .iter()
        .zip(&verdicts)
        .filter(|((ok, _, _), v)| v.as_bool() != Some(*ok))
        .map(|((ok, entries, h), v)| format!("rust {ok}, {} {v}: {entries:?} ({h})", peer.name))
        .collect();
    assert!(
        disagreements.is_empty(),
        "{} of {} cases: {} disagrees with the Rust reader:\n{}",
        disagreements.len(),
        view.len(),
        peer.name,
        disagreements.join("\n")
    );

    // As a service receives it: the peer's SDK reads the header.
    let requests = view
        .iter()
        .map(|(_, _, h)| json!({ "op": "validate_received", "schema": schema, "headers": [h] }))
        .collect();
    let results = peer.call(requests);
    let mut agreed = 0;
    for ((ok, entries, h), result) in view.iter().zip(&results) {
        let theirs: BTreeMap<String, String> =
            serde_json::from_value(result["entries"].clone()).expect("entries");
        if result["valid"].as_bool() == Some(*ok) {
            agreed += 1;
            continue;
        }
        // A disagreement is allowed only where the SDK read other entries,
        // each difference one the SDK is known for.
        assert_ne!(
            &theirs, entries,
            "{} read the same entries and disagrees with the Rust reader ({ok}): {h}",
            peer.name
        );
        for key in entries.keys().chain(theirs.keys()) {
            let (ours, their) = (entries.get(key), theirs.get(key));
            if ours != their {
                assert!(
                    reading_difference(
                        ours.map_or("<absent>", String::as_str),
                        their.map_or("<absent>", String::as_str)
                    ),
                    "{}: `{key}` read as {their:?}, Rust read {ours:?}: not a documented difference ({h})",
                    peer.name
                );
            }
        }
    }
    (view.len(), agreed)
}

#[test]
fn python_jsonschema_agrees_with_the_rust_reader() {
    let (cases, agreed) = agree(&peers::python(), |ours, theirs| ours.trim() == theirs);
    // Most cases are read identically; the rest differ by Python's strip.
    assert!(agreed * 10 >= cases * 9, "{agreed} of {cases}");
    eprintln!("python: {agreed} of {cases} agree as received, all {cases} on the same entries");
}

#[test]
fn javascript_ajv_agrees_with_the_rust_reader() {
    let (cases, agreed) = agree(&peers::node(), |ours, theirs| {
        ours.is_empty() && theirs == "<absent>"
    });
    assert!(agreed * 10 >= cases * 9, "{agreed} of {cases}");
    eprintln!("javascript: {agreed} of {cases} agree as received, all {cases} on the same entries");
}

/// The document's own JSON Schema (`document::JSON_SCHEMA`) holds the
/// documents this crate writes, for both validators, and refuses a broken one.
#[test]
fn documents_validate_against_their_json_schema() {
    let schema: Value = serde_json::from_str(document::JSON_SCHEMA).expect("JSON");
    let doc = Document::new("checkout", &[&Contract::SCHEMA], &[&Contract::SCHEMA]);
    let good = serde_json::to_value(&doc).unwrap();
    let mut bad = good.clone();
    bad["writes"][0]["entries"][0]["format"] = json!({ "kind": "integer", "min": 0, "max": "1" });
    let mut unknown = good.clone();
    unknown["writes"][0]["surprise"] = json!(true);
    for peer in [peers::python(), peers::node()] {
        let verdicts = peer.call(vec![
            json!({ "op": "validate", "schema": schema, "instance": good }),
            json!({ "op": "validate", "schema": schema, "instance": bad }),
            json!({ "op": "validate", "schema": schema, "instance": unknown }),
        ]);
        assert_eq!(
            verdicts,
            [json!(true), json!(false), json!(false)],
            "{}",
            peer.name
        );
    }
}
