//! Failure behaviour, as documented in the README ("When baggage is bad")
//! and the crate docs: what a handler sees when incoming baggage is
//! malformed, oversize, partly valid or forged, and what `with_typed` does
//! when the context is already full. (The grammar itself is tested in
//! `conformance.rs`, the edge policies against forged baggage over real
//! sockets in `services.rs`.)
#![cfg(all(feature = "tower", feature = "derive"))]

use std::collections::BTreeMap;
use std::convert::Infallible;

use http::{HeaderValue, Request};
use opentelemetry::baggage::{BaggageExt, KeyValueMetadata};
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::{Context, KeyValue};
use proptest::prelude::*;
use tower::{service_fn, Layer, ServiceExt};
use typed_baggage::prelude::*;
use typed_baggage::propagation::{BaggagePropagator, Counters};
use typed_baggage::tower::{BaggageLayer, InboundPolicy};
use typed_baggage::{Error, Limit};

#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "app.")]
struct UserCtx {
    user_id: u64,
    tier: Tier,
    region: Option<String>,
}

#[derive(Baggage, Debug, Clone, Copy, PartialEq)]
#[baggage(rename_all = "snake_case")]
enum Tier {
    Free,
    Premium,
}

// ---- what a handler sees ------------------------------------------------

/// Sends one request with these `baggage` headers through a trust-all
/// `BaggageLayer` to a handler that reads `UserCtx::from_current()`, while
/// the server's own context holds baggage of its own; returns what the
/// handler read, the other entries it saw, and the propagator's counters.
async fn handler_sees(headers: &[&str]) -> (Result<UserCtx, Error>, Vec<String>, Counters) {
    let propagator = BaggagePropagator::new();
    let counters = propagator.counters();
    let layer = BaggageLayer::new(InboundPolicy::TrustAll).with_propagator(propagator);
    let handler = layer.layer(service_fn(|_req: Request<()>| async {
        let keys: Vec<String> =
            Context::map_current(|cx| cx.baggage().iter().map(|(k, _)| k.to_string()).collect());
        Ok::<_, Infallible>(http::Response::new((UserCtx::from_current(), keys)))
    }));
    let mut req = Request::new(());
    for h in headers {
        req.headers_mut()
            .append("baggage", HeaderValue::from_str(h).unwrap());
    }
    let server_own = Context::new().with_baggage([KeyValue::new("server.own", "1")]);
    let _guard = server_own.attach();
    let (read, mut keys) = handler.oneshot(req).await.unwrap().into_body();
    keys.sort();
    (read, keys, counters)
}

fn missing(err: &Error) -> Vec<&str> {
    err.errors()
        .iter()
        .filter(|e| matches!(e, Error::Missing { .. }))
        .filter_map(Error::key)
        .collect()
}

#[tokio::test]
async fn well_formed_baggage_is_read_and_the_servers_own_baggage_is_not_mixed_in() {
    let (read, keys, c) =
        handler_sees(&["app.user_id=7,app.tier=premium,app.region=eu%20west"]).await;
    assert_eq!(
        read.unwrap(),
        UserCtx {
            user_id: 7,
            tier: Tier::Premium,
            region: Some("eu west".into())
        }
    );
    assert_eq!(keys, ["app.region", "app.tier", "app.user_id"]);
    assert_eq!(c.extract_members_dropped(), 0);
}

#[tokio::test]
async fn a_malformed_member_is_dropped_alone_and_its_key_reads_as_missing() {
    // `pre mium` has a raw space: not a baggage-octet
    let (read, keys, c) = handler_sees(&["app.user_id=7,app.tier=pre mium,other=1"]).await;
    let err = read.unwrap_err();
    assert_eq!(
        err,
        Error::Missing {
            key: "app.tier".into(),
            expected: "one of `free`, `premium` (Tier)".into()
        }
    );
    assert_eq!(keys, ["app.user_id", "other"]);
    assert_eq!(
        (c.extract_members_dropped(), c.extract_headers_rejected()),
        (1, 0)
    );
}

#[tokio::test]
async fn a_header_of_garbage_gives_no_baggage_at_all() {
    let (read, keys, c) = handler_sees(&["garbage;;==,\t,%zz"]).await;
    assert_eq!(missing(&read.unwrap_err()), ["app.user_id", "app.tier"]);
    // not even the server's own baggage: the layer starts every request clean
    assert!(keys.is_empty(), "{keys:?}");
    assert_eq!(c.extract_members_dropped(), 2);
}

#[tokio::test]
async fn an_oversize_header_is_rejected_whole_never_half_read() {
    // valid members first, then padding past 8192 bytes
    let header = format!("app.user_id=7,app.tier=free,pad={}", "x".repeat(8192));
    let (read, keys, c) = handler_sees(&[&header]).await;
    assert_eq!(missing(&read.unwrap_err()), ["app.user_id", "app.tier"]);
    assert!(keys.is_empty(), "{keys:?}");
    assert_eq!(
        (c.extract_headers_rejected(), c.extract_members_dropped()),
        (1, 0)
    );

    // 65 members: the same
    let mut members: Vec<String> = (0..63).map(|i| format!("k{i}=v")).collect();
    members.extend(["app.user_id=7".into(), "app.tier=free".into()]);
    let (read, keys, c) = handler_sees(&[&members.join(",")]).await;
    assert_eq!(missing(&read.unwrap_err()), ["app.user_id", "app.tier"]);
    assert!(keys.is_empty(), "{keys:?}");
    assert_eq!(c.extract_headers_rejected(), 1);

    // split over two headers, the limits are on both together
    let (read, _, c) = handler_sees(&[
        "app.user_id=7,app.tier=free",
        &format!("pad={}", "x".repeat(8170)),
    ])
    .await;
    assert!(read.is_err());
    assert_eq!(c.extract_headers_rejected(), 1);
}

#[tokio::test]
async fn a_well_formed_member_with_a_bad_value_is_an_error_naming_it() {
    let (read, keys, c) = handler_sees(&["app.user_id=12a,app.tier=premium"]).await;
    let err = read.unwrap_err();
    assert_eq!(err.keys().collect::<Vec<_>>(), ["app.user_id"]);
    assert_eq!(
        err.to_string(),
        "baggage key `app.user_id` has an invalid value: expected an unsigned 64-bit integer (u64), found \"12a\" (not a decimal integer)"
    );
    // the wire was fine: nothing dropped, the entry is there for others to read
    assert_eq!(keys, ["app.tier", "app.user_id"]);
    assert_eq!(c.extract_members_dropped(), 0);
}

#[tokio::test]
async fn forged_baggage_is_read_as_sent_when_the_policy_trusts_it() {
    // Baggage is plain text: trust-all reads a forged tier like any other.
    // Edges facing clients use DropAll or an Allowlist (see services.rs).
    let (read, _, _) = handler_sees(&["app.user_id=1,app.tier=premium"]).await;
    assert_eq!(read.unwrap().tier, Tier::Premium);
}

#[tokio::test]
async fn no_header_gives_missing_keys_and_counts_nothing() {
    let (read, keys, c) = handler_sees(&[]).await;
    assert_eq!(missing(&read.unwrap_err()), ["app.user_id", "app.tier"]);
    assert!(keys.is_empty());
    assert_eq!(
        (c.extract_members_dropped(), c.extract_headers_rejected()),
        (0, 0)
    );
}

// ---- with_typed on a full context ----------------------------------------

/// The baggage of a context, key -> (value, metadata).
fn entries(cx: &Context) -> BTreeMap<String, (String, String)> {
    cx.baggage()
        .iter()
        .map(|(k, (v, m))| (k.to_string(), (v.to_string(), m.as_str().to_owned())))
        .collect()
}

fn user() -> UserCtx {
    UserCtx {
        user_id: 7,
        tier: Tier::Free,
        region: Some("eu".into()),
    }
}

#[test]
fn a_context_of_eight_kib_takes_nothing_more_and_stays_as_it_was() {
    // one entry with properties, 8190 bytes on the wire, leaves no room
    let full =
        Context::new().with_baggage([KeyValueMetadata::new("big", "x".repeat(8180), "ttl=30")]);
    let before = entries(&full);
    let err = full.with_typed(&user()).unwrap_err();
    assert!(
        matches!(err, Error::LimitExceeded { limit: Limit::Bytes, size, allowance: 8192 } if size > 8192),
        "{err:?}"
    );
    assert_eq!(entries(&full), before);
    assert_eq!(
        full.baggage()
            .get_with_metadata("big")
            .map(|(_, m)| m.as_str()),
        Some("ttl=30")
    );
    // what it holds still goes out whole
    let header = BaggagePropagator::new()
        .header_value(full.baggage())
        .unwrap();
    assert_eq!(header.len(), 4 + 8180 + 7);
}

#[test]
fn a_schema_that_does_not_fit_is_not_written_in_part() {
    // 62 members + 3 fields = 65: none of the three is written
    let base = Context::new().with_baggage(
        (0..62)
            .map(|i| KeyValue::new(format!("k{i}"), "v"))
            .collect::<Vec<_>>(),
    );
    let err = base.with_typed(&user()).unwrap_err();
    assert_eq!(
        err,
        Error::LimitExceeded {
            limit: Limit::Members,
            size: 65,
            allowance: 64
        }
    );
    assert!(entries(&base).keys().all(|k| !k.starts_with("app.")));
    // with `region: None` it is 64 and fits
    let fits = base
        .with_typed(&UserCtx {
            region: None,
            ..user()
        })
        .unwrap();
    assert_eq!(fits.baggage().len(), 64);
}

#[test]
fn a_failed_update_keeps_the_previous_value_whole() {
    let cx = Context::new().with_typed(&user()).unwrap();
    let too_big = UserCtx {
        region: Some("é".repeat(3000)),
        ..user()
    };
    assert!(matches!(
        cx.with_typed(&too_big),
        Err(Error::LimitExceeded {
            limit: Limit::Bytes,
            ..
        })
    ));
    // no field of the new value leaked into the old context
    assert_eq!(cx.typed::<UserCtx>().unwrap(), user());
}

// ---- the limits, measured independently, on arbitrary contexts ---------

/// The header bytes of one member, measured by hand from the W3C grammar:
/// `key=value[;properties]`, the value percent-encoded except `A-Za-z0-9-_.~`.
fn member_bytes(key: &str, value: &str, metadata: &str) -> usize {
    let value: usize = value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                1
            } else {
                3
            }
        })
        .sum();
    key.len()
        + 1
        + value
        + if metadata.is_empty() {
            0
        } else {
            1 + metadata.len()
        }
}

fn base_entry(value: BoxedStrategy<String>) -> impl Strategy<Value = (String, String, String)> {
    (
        prop_oneof![
            30 => "[a-z]{1,8}",
            1 => Just("app.user_id".to_owned()),
            1 => Just("app.region".to_owned())
        ],
        value,
        prop_oneof![Just(String::new()), Just("p=1".to_owned())],
    )
}

/// Contexts near the member limit (many small entries) or near the byte
/// limit (fewer, larger ones, some of them all percent-escapes).
fn base_entries() -> impl Strategy<Value = Vec<(String, String, String)>> {
    prop_oneof![
        prop::collection::vec(base_entry("[a-z ]{0,8}".boxed()), 58..70),
        prop::collection::vec(
            base_entry(prop_oneof!["[a-z ]{0,8}", "[a-z]{100,400}", "é{0,300}"].boxed()),
            0..40
        ),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// `with_typed` succeeds exactly when the merged baggage fits 64 members
    /// and 8192 header bytes, measured here by hand; on success the result
    /// is the old entries (minus the schema's keys) plus the new ones, on
    /// failure the error names the limit and the exact size.
    #[test]
    fn with_typed_is_all_or_nothing_at_the_exact_limits(
        base in base_entries(),
        region in prop::option::of(prop_oneof!["[a-z]{0,10}", "é{0,1500}"]),
        user_id in any::<u64>(),
    ) {
        let base_cx = Context::new().with_baggage(
            base.iter().map(|(k, v, m)| KeyValueMetadata::new(k.clone(), v.clone(), m.as_str())).collect::<Vec<_>>(),
        );
        let before = entries(&base_cx);
        let value = UserCtx { user_id, tier: Tier::Premium, region: region.clone() };

        let mut expected: BTreeMap<String, (String, String)> = before
            .clone()
            .into_iter()
            .filter(|(k, _)| !UserCtx::SCHEMA.contains_key(k))
            .collect();
        expected.insert("app.user_id".into(), (user_id.to_string(), String::new()));
        expected.insert("app.tier".into(), ("premium".into(), String::new()));
        if let Some(r) = &region {
            expected.insert("app.region".into(), (r.clone(), String::new()));
        }
        let members = expected.len();
        let bytes = expected.iter().map(|(k, (v, m))| member_bytes(k, v, m)).sum::<usize>() + members - 1;

        match base_cx.with_typed(&value) {
            Ok(cx) => {
                prop_assert!(members <= 64 && bytes <= 8192, "{} members, {} bytes accepted", members, bytes);
                prop_assert_eq!(entries(&cx), expected);
                prop_assert_eq!(cx.typed::<UserCtx>().unwrap(), value);
            }
            Err(err) => {
                let want = if members > 64 {
                    Error::LimitExceeded { limit: Limit::Members, size: members, allowance: 64 }
                } else {
                    Error::LimitExceeded { limit: Limit::Bytes, size: bytes, allowance: 8192 }
                };
                prop_assert_eq!(err, want);
            }
        }
        prop_assert_eq!(entries(&base_cx), before);
    }
}

// ---- forwarding what was read -------------------------------------------

#[test]
fn forwarding_a_header_that_grows_when_re_encoded_leaves_out_whole_members() {
    // What the extract-inject-extract fuzz target showed on its first run
    // (from a seed of raw `!`): `!` is a valid raw value byte, and is
    // written back as `%21`. 2000 of them fit the 8192
    // bytes read, but not the 6000 they take when sent on.
    let header = format!("a=1,big={},z=2", "!".repeat(2000));
    let propagator = BaggagePropagator::new();
    let mut carrier = std::collections::HashMap::new();
    carrier.insert("baggage".to_owned(), header);
    let read = propagator.extract_with_context(&Context::new(), &carrier);
    assert_eq!(read.baggage().len(), 3);

    let forwarded = propagator.header_value(read.baggage()).unwrap();
    assert_eq!(forwarded.len(), "a=1,big=".len() + 6000 + ",z=2".len());
    assert!(forwarded.len() <= 8192);

    let bigger = Context::new().with_baggage([
        KeyValue::new("a", "1"),
        KeyValue::new("big", "!".repeat(2800)),
        KeyValue::new("z", "2"),
    ]);
    // 2800 `!` read raw are 8400 bytes once written: `big` is left out
    // whole and counted, the members around it still go
    assert_eq!(
        propagator.header_value(bigger.baggage()).as_deref(),
        Some("a=1,z=2")
    );
    assert_eq!(propagator.counters().inject_members_dropped(), 1);
}
