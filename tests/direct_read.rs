//! The fast read paths give exactly the results of the plain ones:
//! - `BaggagePropagator::read_typed` (and `Baggage::from_headers`) read a
//!   header straight into a schema; the result, and the drops counted, are
//!   those of `extract_with_context` from an empty context followed by
//!   `from_context`;
//! - `from_baggage` walks a small baggage once instead of looking each key
//!   up; the result is that of one lookup per key.

use std::collections::HashMap;

use opentelemetry::baggage::{Baggage as OtelBaggage, BaggageExt};
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::{Context, KeyValue};
use typed_baggage::prelude::*;
use typed_baggage::propagation::BaggagePropagator;
use typed_baggage::Error;

#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "app.")]
struct UserCtx {
    user_id: u64,
    tier: Tier,
    is_premium: bool,
    features: Vec<String>,
    #[baggage(rename = "geo")]
    region: Option<String>,
    #[baggage(default)]
    retries: u8,
    #[baggage(from_str)]
    addr: Option<std::net::Ipv4Addr>,
    #[baggage(skip)]
    local: u32,
}

#[derive(Baggage, Debug, Clone, Copy, PartialEq)]
#[baggage(rename_all = "snake_case")]
enum Tier {
    Free,
    Premium,
}

/// Headers that exercise every rule of the reader: encoding, OWS,
/// properties, duplicates, malformed members, several headers, limits.
fn header_cases() -> Vec<Vec<String>> {
    let ok =
        "app.user_id=7,app.tier=premium,app.is_premium=true,app.features=a%2Cb,app.geo=eu%20west";
    let mut cases: Vec<Vec<String>> = vec![
        vec![],
        vec![String::new()],
        vec![ok.into()],
        vec![format!("{ok},app.retries=3,app.addr=10.0.0.1")],
        // properties, OWS, `=` in a value
        vec![format!(" {ok} ;p=1 , app.retries = 4 ; ttl=30,other=k=v")],
        // the last duplicate wins
        vec![format!("{ok},app.user_id=8,app.user_id=9")],
        vec![ok.into(), "app.tier=free".into()],
        // malformed members are dropped alone
        vec![format!("{ok},app.retries=%zz,bad key=1,noequals")],
        vec![format!("{ok},app.geo=x;;")],
        // bad values are reported, several at once
        vec![
            "app.user_id=-1,app.tier=gold,app.is_premium=yes,app.features=,app.retries=300".into(),
        ],
        vec!["app.user_id=1".into()],
        // non-ASCII after decoding, lossy
        vec![format!("{ok},app.geo=%FF%C3%A9")],
        // over the member limit: nothing is read
        vec![format!(
            "{ok},{}",
            (0..60)
                .map(|i| format!("k{i}=v"))
                .collect::<Vec<_>>()
                .join(",")
        )],
        // over the byte limit: nothing is read
        vec![format!("{ok},big={}", "x".repeat(8200))],
        vec![
            format!("{ok},big={}", "x".repeat(4000)),
            format!("more={}", "y".repeat(4200)),
        ],
    ];
    // Exactly at the member limit.
    cases.push(vec![format!(
        "{ok},{}",
        (0..59)
            .map(|i| format!("k{i}=v"))
            .collect::<Vec<_>>()
            .join(",")
    )]);
    cases
}

/// What the plain path reads, and how many members it dropped.
fn plain(p: &BaggagePropagator, headers: &[String]) -> (Result<UserCtx, Error>, u64) {
    let before = p.counters().extract_members_dropped();
    let carrier = MultiHeader(headers);
    let cx = p.extract_with_context(&Context::new(), &carrier);
    let read = UserCtx::from_context(&cx);
    (read, p.counters().extract_members_dropped() - before)
}

fn direct(p: &BaggagePropagator, headers: &[String]) -> (Result<UserCtx, Error>, u64) {
    let before = p.counters().extract_members_dropped();
    let read = p.read_typed(headers.iter().map(String::as_str));
    (read, p.counters().extract_members_dropped() - before)
}

/// A carrier with every value of the `baggage` header.
struct MultiHeader<'a>(&'a [String]);

impl opentelemetry::propagation::Extractor for MultiHeader<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        (key == "baggage")
            .then(|| self.0.first().map(String::as_str))
            .flatten()
    }

    fn keys(&self) -> Vec<&str> {
        vec!["baggage"]
    }

    fn get_all(&self, key: &str) -> Option<Vec<&str>> {
        (key == "baggage" && !self.0.is_empty())
            .then(|| self.0.iter().map(String::as_str).collect())
    }
}

#[test]
fn read_typed_is_extract_then_from_context() {
    for plus_as_space in [false, true] {
        let p = BaggagePropagator::builder()
            .plus_as_space(plus_as_space)
            .build();
        for headers in header_cases() {
            let expected = plain(&p, &headers);
            assert_eq!(direct(&p, &headers), expected, "{headers:?}");
        }
    }
    // A few of the cases, spelled out, so that the comparison above is not
    // between two equally wrong results.
    let p = BaggagePropagator::new();
    let cases = header_cases();
    let user = direct(&p, &cases[5]).0.unwrap();
    assert_eq!(user.user_id, 9);
    assert_eq!(user.features, ["a", "b"]);
    assert_eq!(user.region.as_deref(), Some("eu west"));
    assert_eq!(direct(&p, &cases[6]).0.unwrap().tier, Tier::Free);
    assert_eq!(direct(&p, &cases[7]).1, 3);
    assert!(matches!(direct(&p, &cases[9]).0, Err(Error::Multiple(ref e)) if e.len() == 4));
    assert!(matches!(direct(&p, &cases[12]).0, Err(Error::Multiple(_))));
    assert_eq!(direct(&p, &cases[15]).0.unwrap().user_id, 7);
}

#[cfg(feature = "http")]
#[test]
fn from_headers_is_extract_then_from_context() {
    for headers in header_cases() {
        let mut map = http::HeaderMap::new();
        for h in &headers {
            map.append("baggage", http::HeaderValue::from_str(h).unwrap());
        }
        let cx = typed_baggage::http::extract_with_context(&Context::new(), &map);
        assert_eq!(
            UserCtx::from_headers(&map),
            UserCtx::from_context(&cx),
            "{headers:?}"
        );
    }
}

/// A baggage of the schema's entries, some missing or bad, and `others`
/// entries of other schemas.
fn baggage(own: &[(&str, &str)], others: usize) -> OtelBaggage {
    own.iter()
        .map(|(k, v)| KeyValue::new(k.to_string(), v.to_string()))
        .chain((0..others).map(|i| KeyValue::new(format!("other.k{i}"), format!("v{i}"))))
        .collect()
}

#[test]
fn from_baggage_walking_a_small_baggage_is_one_lookup_per_key() {
    let full: &[(&str, &str)] = &[
        ("app.user_id", "12"),
        ("app.tier", "free"),
        ("app.is_premium", "FALSE"),
        ("app.features", "x,y%2Cz"),
        ("app.geo", "here"),
        ("app.retries", "2"),
        ("app.addr", "127.0.0.1"),
    ];
    let partial: &[(&str, &str)] = &[("app.user_id", "12"), ("app.tier", "free")];
    let bad: &[(&str, &str)] = &[
        ("app.user_id", "x"),
        ("app.tier", "gold"),
        ("app.is_premium", "1"),
        ("app.features", ""),
        ("app.retries", "-1"),
        ("app.addr", "nope"),
    ];
    // Other schemas' keys that share a length with one of ours.
    let lookalikes: &[(&str, &str)] = &[
        ("app.user_ix", "1"),
        ("app.tieR", "x"),
        ("xpp.geo", "y"),
        ("app.retries", "1"),
    ];
    for own in [full, partial, bad, lookalikes, &[]] {
        // Both sides of the threshold between walking and looking up.
        for others in 0..24 {
            let b = baggage(own, others);
            let walked = UserCtx::from_baggage(&b);
            let looked_up = UserCtx::__decode(&b, typed_baggage::__private::DeclaredKeys);
            assert_eq!(walked, looked_up, "{own:?} + {others}");
        }
    }
    let read = UserCtx::from_baggage(&baggage(full, 2)).unwrap();
    assert_eq!(
        read,
        UserCtx {
            user_id: 12,
            tier: Tier::Free,
            is_premium: false,
            features: vec!["x".into(), "y,z".into()],
            region: Some("here".into()),
            retries: 2,
            addr: Some([127, 0, 0, 1].into()),
            local: 0,
        }
    );
    let cx = Context::new().with_baggage(baggage(full, 30));
    assert_eq!(UserCtx::from_context(&cx).unwrap(), read);
}

#[test]
fn hash_map_carrier_gives_the_same_as_read_typed() {
    let p = BaggagePropagator::new();
    let header = "app.user_id=5,app.tier=premium,app.is_premium=true,app.features=";
    let carrier = HashMap::from([("baggage".to_string(), header.to_string())]);
    let cx = p.extract_with_context(&Context::new(), &carrier);
    assert_eq!(cx.baggage().len(), 4);
    assert_eq!(
        p.read_typed::<UserCtx, _>([header]),
        UserCtx::from_context(&cx)
    );
    assert_eq!(
        p.read_typed::<UserCtx, _>([header]).unwrap().features,
        Vec::<String>::new()
    );
}

#[cfg(feature = "http")]
#[test]
fn oversize_header_maps_are_rejected_from_their_lengths() {
    let p = BaggagePropagator::new();
    let counters = p.counters();
    let chunk = format!("app.user_id=1,pad={}", "x".repeat(8000));
    let mut map = http::HeaderMap::new();
    for _ in 0..128 {
        map.append("baggage", http::HeaderValue::from_str(&chunk).unwrap());
    }
    let upstream = Context::new().with_baggage([KeyValue::new("kept", "yes")]);
    let cx = typed_baggage::http::extract_with(&p, &upstream, &map);
    // Rejected whole, counted once, the context as it was.
    assert_eq!(counters.extract_headers_rejected(), 1);
    assert_eq!(cx.baggage().len(), 1);
    assert_eq!(cx.baggage().get("kept").map(|v| v.as_str()), Some("yes"));
    // The same as the propagator on the same values.
    let values: Vec<&str> = map
        .get_all("baggage")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(p.parse(values.iter().copied()).is_none());
    assert_eq!(counters.extract_headers_rejected(), 2);
    // One value just over the limit, with bytes that are not visible ASCII.
    let mut map = http::HeaderMap::new();
    let mut raw = b"app.user_id=1,pad=".to_vec();
    raw.resize(8193, 0xFF);
    map.insert("baggage", http::HeaderValue::from_bytes(&raw).unwrap());
    let cx = typed_baggage::http::extract_with(&p, &Context::new(), &map);
    assert_eq!(cx.baggage().len(), 0);
    assert_eq!(counters.extract_headers_rejected(), 3);
    assert_eq!(counters.extract_members_dropped(), 0);
}
