//! Typed baggage across a real NATS broker: a `nats-server` the test starts
//! on a free loopback port, waits for (bounded) and stops. Without
//! `nats-server` on `PATH` every test here fails, saying so.
//!
//! - a producer publishes with typed context, a consumer that trusts its
//!   publishers reads it typed;
//! - a forged key from an untrusted publisher is stopped by drop-all and by
//!   allowlists;
//! - the producer sends baggage only to allowed subjects: a subject that is
//!   not allowed receives the message without a `baggage` header, even one
//!   set by hand;
//! - over-limit and malformed headers read as the HTTP carrier reads the
//!   same bytes (one pipeline).

#[path = "common/caller.rs"]
mod caller;

use caller::{caller, caller_and_shard, Caller, Shard, Tier, CALLER_HEADER, FORGED_SHARD};

#[path = "../examples/shared/nats_server.rs"]
mod nats_server;

use std::time::Duration;

use async_nats::{Client, HeaderMap, Message, Subscriber};
use futures_util::StreamExt;
use opentelemetry::baggage::{Baggage as OtelBaggage, BaggageExt};
use opentelemetry::Context;
use typed_baggage::messages;
use typed_baggage::nats;
use typed_baggage::policy::{Allowlist, Destinations, InboundPolicy};
use typed_baggage::prelude::*;
use typed_baggage::propagation::BaggagePropagator;

use nats_server::NatsServer;

/// Feature flags: what a consumer of untrusted publishers accepts.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "ff.")]
struct Flags {
    dark_mode: bool,
}

/// The longest wait for one message.
const RECEIVE_WITHIN: Duration = Duration::from_secs(10);

/// A server of the test's own and a client connected to it.
async fn broker() -> (NatsServer, Client) {
    let server = NatsServer::start().unwrap_or_else(|why| panic!("no NATS broker: {why}"));
    let client = async_nats::connect(server.url())
        .await
        .unwrap_or_else(|e| panic!("connect to {}: {e}", server.url()));
    (server, client)
}

/// A subscription, known to the server when this returns.
async fn subscribe(client: &Client, subject: &str) -> Subscriber {
    let sub = client
        .subscribe(subject.to_owned())
        .await
        .expect("subscribe");
    client.flush().await.expect("flush");
    sub
}

/// The next message, within [`RECEIVE_WITHIN`].
async fn next(sub: &mut Subscriber) -> Message {
    tokio::time::timeout(RECEIVE_WITHIN, sub.next())
        .await
        .expect("a message within the time allowed")
        .expect("the subscription is open")
}

/// Publishes `headers` as set by hand (no baggage of ours) to `subject`.
async fn publish_raw(client: &Client, subject: &str, headers: HeaderMap) {
    client
        .publish_with_headers(subject.to_owned(), headers, "{}".into())
        .await
        .expect("publish");
    client.flush().await.expect("flush");
}

/// Every `baggage` header of a message, in any letter case, as
/// `(name, value)`, sorted.
fn baggage_headers(message: &Message) -> Vec<(String, String)> {
    let Some(headers) = &message.headers else {
        return Vec::new();
    };
    let mut all: Vec<_> = headers
        .iter()
        .filter(|(name, _)| AsRef::<str>::as_ref(*name).eq_ignore_ascii_case("baggage"))
        .flat_map(|(name, values)| {
            values
                .iter()
                .map(move |v| (name.to_string(), v.as_str().to_owned()))
        })
        .collect();
    all.sort();
    all
}

/// `(key, value, properties)` of every entry, sorted by key.
fn entries(baggage: &OtelBaggage) -> Vec<(String, String, String)> {
    let mut all: Vec<_> = baggage
        .iter()
        .map(|(k, (v, m))| (k.to_string(), v.to_string(), m.as_str().to_owned()))
        .collect();
    all.sort();
    all
}

/// `future`, checked to be `Send` at compile time.
fn send<F: std::future::Future + Send>(future: F) -> F {
    future
}

#[test]
fn without_nats_server_on_path_the_tests_fail_with_the_reason() {
    let why = NatsServer::start_program("nats-server-that-is-not-installed")
        .err()
        .expect("no such program");
    assert!(why.contains("is not on PATH"), "{why}");
    assert!(why.contains("apt-get install -y nats-server"), "{why}");
}

#[tokio::test]
async fn a_producer_publishes_typed_context_and_a_trusting_consumer_reads_it_typed() {
    let (_server, client) = broker().await;
    let mut orders = subscribe(&client, "orders.created").await;

    let cx = Context::new().with_typed(&caller()).expect("fits");
    let allowed = Destinations::subjects(["orders.*"]).expect("patterns");
    // `Send`, so a producer can publish from any task.
    let publishing = send(nats::publish(
        &client,
        &cx,
        "orders.created",
        HeaderMap::new(),
        "{}".into(),
        &allowed,
    ));
    publishing.await.expect("publish");

    let message = next(&mut orders).await;
    assert_eq!(
        baggage_headers(&message),
        [("baggage".to_owned(), CALLER_HEADER.to_owned())]
    );
    let read: Caller = nats::typed(&InboundPolicy::TrustAll, &message).expect("typed");
    assert_eq!(read, caller());
    let cx = nats::context(&InboundPolicy::TrustAll, &message);
    assert_eq!(Caller::from_context(&cx).expect("from context"), caller());
    // The message's own headers, through the generic carrier.
    let headers = message.headers.as_ref().expect("headers");
    let direct: Caller = messages::typed(&InboundPolicy::TrustAll, headers).expect("typed");
    assert_eq!(direct, caller());
}

#[tokio::test]
async fn a_forged_key_from_an_untrusted_publisher_is_stopped_by_drop_all_and_allowlists() {
    let (_server, client) = broker().await;
    let mut inbox = subscribe(&client, "signup.requested").await;

    // The untrusted publisher claims a tier, in two spellings of the header.
    let mut forged = HeaderMap::new();
    forged.insert(
        "baggage",
        "app.user_id=7,app.tier=premium,ff.dark_mode=true",
    );
    forged.insert("Baggage", "app.region=eu");
    publish_raw(&client, "signup.requested", forged).await;
    let message = next(&mut inbox).await;
    assert_eq!(baggage_headers(&message).len(), 2, "the broker kept both");

    // Trust-all would believe it: the forgery did arrive.
    let believed: Caller = nats::typed(&InboundPolicy::TrustAll, &message).expect("typed");
    assert_eq!(believed.tier, Tier::Premium);
    assert_eq!(believed.region.as_deref(), Some("eu"));

    // Drop-all reads nothing.
    let cx = nats::context(&InboundPolicy::DropAll, &message);
    assert!(cx.baggage().is_empty());
    let err = nats::typed::<Caller>(&InboundPolicy::DropAll, &message).expect_err("dropped");
    assert_eq!(err.keys().collect::<Vec<_>>(), ["app.user_id", "app.tier"]);

    // An allowlist of the flags schema: the flag is read, the tier is not.
    let flags_only = InboundPolicy::Allow(Allowlist::new().schema::<Flags>());
    let flags: Flags = nats::typed(&flags_only, &message).expect("flags");
    assert_eq!(flags, Flags { dark_mode: true });
    let cx = nats::context(&flags_only, &message);
    assert_eq!(
        entries(cx.baggage()),
        [("ff.dark_mode".into(), "true".into(), String::new())]
    );

    // An allowlist of single keys: the user and region, not the tier.
    let keys = InboundPolicy::Allow(Allowlist::new().key("app.user_id").key("app.region"));
    let err = nats::typed::<Caller>(&keys, &message).expect_err("tier dropped");
    assert_eq!(err.keys().collect::<Vec<_>>(), ["app.tier"]);
    let cx = nats::context(&keys, &message);
    assert_eq!(cx.baggage().get("app.tier"), None);
    assert_eq!(
        cx.baggage().get("app.user_id").map(|v| v.as_str()),
        Some("7")
    );
}

#[tokio::test]
async fn the_producer_sends_baggage_only_to_allowed_subjects() {
    let (_server, client) = broker().await;
    let mut everything = subscribe(&client, ">").await;

    let cx = Context::new().with_typed(&caller()).expect("fits");
    let allowed = Destinations::subjects(["orders.*", "billing.>"]).expect("patterns");
    let subjects = [
        ("orders.created", true),
        ("audit.log", false),
        ("billing.eu.invoice", true),
        ("orders.created.eu", false),
        ("billing", false),
        ("Orders.created", false),
    ];
    for (subject, _) in subjects {
        // Each message carries a `baggage` header set by hand, in two
        // spellings, and a header of its own.
        let mut headers = HeaderMap::new();
        headers.insert("baggage", "hand.set=1");
        headers.insert("BAGGAGE", "app.tier=free");
        headers.insert("x-trace", "t-1");
        nats::publish(&client, &cx, subject, headers, "{}".into(), &allowed)
            .await
            .expect("publish");
    }
    client.flush().await.expect("flush");

    // One connection: the messages arrive in the order they were sent.
    for (subject, allowed) in subjects {
        let message = next(&mut everything).await;
        assert_eq!(message.subject.as_str(), subject);
        let trace = message.headers.as_ref().and_then(|h| h.get("x-trace"));
        assert_eq!(trace.map(|v| v.as_str()), Some("t-1"), "{subject}");
        if allowed {
            assert_eq!(
                baggage_headers(&message),
                [("baggage".to_owned(), CALLER_HEADER.to_owned())],
                "{subject}"
            );
            let read: Caller = nats::typed(&InboundPolicy::TrustAll, &message).expect("typed");
            assert_eq!(read, caller());
        } else {
            assert_eq!(baggage_headers(&message), [], "{subject}");
            let cx = nats::context(&InboundPolicy::TrustAll, &message);
            assert!(cx.baggage().is_empty(), "{subject}");
        }
    }
}

#[tokio::test]
async fn over_limit_and_malformed_headers_read_as_the_http_carrier_reads_them() {
    let (_server, client) = broker().await;
    let mut inbox = subscribe(&client, "limits.>").await;

    let pad = |n: usize| format!("app.user_id=7,pad={}", "x".repeat(n - 18));
    let members = |n: usize| {
        (0..n)
            .map(|i| format!("k{i}=1"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("typed", vec![CALLER_HEADER.to_owned()]),
        (
            "malformed",
            vec!["app.user_id=7,no-equals,bad key=1,app.tier=premium;ttl=30,x=%zz".to_owned()],
        ),
        (
            "several",
            vec![
                "app.tier=free".to_owned(),
                "app.tier=premium,app.user_id=7".to_owned(),
            ],
        ),
        ("bytes-at-limit", vec![pad(8192)]),
        ("bytes-over-limit", vec![pad(8193)]),
        ("bytes-over-limit-in-two", vec![pad(4096), pad(4097)]),
        ("members-at-limit", vec![members(64)]),
        ("members-over-limit", vec![members(65)]),
        // Raw UTF-8 is not a `baggage-octet`: its member is malformed.
        (
            "raw-utf8",
            vec!["app.region=Zürich,app.user_id=7".to_owned()],
        ),
    ];
    for (name, values) in &cases {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append("baggage", v.as_str());
        }
        publish_raw(&client, &format!("limits.{name}"), headers).await;
    }

    let mut answers = Vec::new();
    for (name, values) in &cases {
        let message = next(&mut inbox).await;
        assert_eq!(message.subject.as_str(), format!("limits.{name}"));
        let headers = message.headers.as_ref().expect("headers");
        let got: Vec<&str> = headers.get_all("baggage").map(|v| v.as_str()).collect();
        assert_eq!(&got, values, "the broker delivered the bytes as sent");

        // The same bytes as HTTP headers.
        let mut h = http::HeaderMap::new();
        for v in values {
            h.append(
                "baggage",
                http::HeaderValue::from_str(v).expect("a value HTTP carries"),
            );
        }
        let over_http = typed_baggage::http::extract_with_context(&Context::new(), &h);
        let ours = BaggagePropagator::new();
        let over_nats =
            messages::context_with(&ours, &InboundPolicy::TrustAll, &Context::new(), headers);
        assert_eq!(
            entries(over_nats.baggage()),
            entries(over_http.baggage()),
            "{name}"
        );
        let theirs = BaggagePropagator::new();
        let _ = typed_baggage::http::extract_with(&theirs, &Context::new(), &h);
        let (a, b) = (ours.counters(), theirs.counters());
        let counts = (a.extract_members_dropped(), a.extract_headers_rejected());
        assert_eq!(
            counts,
            (b.extract_members_dropped(), b.extract_headers_rejected()),
            "{name}"
        );
        let typed = nats::typed::<Caller>(&InboundPolicy::TrustAll, &message);
        assert_eq!(
            format!("{typed:?}"),
            format!("{:?}", Caller::from_headers(&h)),
            "{name}"
        );
        answers.push((*name, entries(over_nats.baggage()).len(), counts));
    }
    // What the pipeline made of each: entries read, (members dropped,
    // headers rejected).
    assert_eq!(
        answers,
        [
            ("typed", 3, (0, 0)),
            ("malformed", 2, (3, 0)),
            ("several", 2, (0, 0)),
            ("bytes-at-limit", 2, (0, 0)),
            ("bytes-over-limit", 0, (0, 1)),
            ("bytes-over-limit-in-two", 0, (0, 1)),
            ("members-at-limit", 64, (0, 0)),
            ("members-over-limit", 0, (0, 1)),
            ("raw-utf8", 1, (1, 0)),
        ]
    );
}

#[tokio::test]
async fn a_local_schema_is_never_published_nor_read_from_a_message() {
    let (_server, client) = broker().await;
    let mut orders = subscribe(&client, "orders.created").await;
    let allowed = Destinations::subjects(["orders.*"]).expect("patterns");
    nats::publish(
        &client,
        &caller_and_shard(),
        "orders.created",
        HeaderMap::new(),
        "{}".into(),
        &allowed,
    )
    .await
    .expect("publish");
    let message = next(&mut orders).await;
    assert_eq!(
        baggage_headers(&message),
        [("baggage".to_owned(), CALLER_HEADER.to_owned())]
    );

    // A publisher that forges the local keys: refused, never local.
    let mut forged = HeaderMap::new();
    forged.insert(
        "baggage",
        format!("{FORGED_SHARD},{CALLER_HEADER}").as_str(),
    );
    publish_raw(&client, "orders.created", forged).await;
    let message = next(&mut orders).await;
    let err = nats::typed::<Shard>(&InboundPolicy::TrustAll, &message).unwrap_err();
    assert_eq!(err, typed_baggage::Error::Local { schema: "Shard" });
    assert!(nats::context(&InboundPolicy::TrustAll, &message)
        .local_baggage()
        .is_empty());
}
