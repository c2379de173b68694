//! reqwest with `BaggageMiddleware`, against real servers on loopback
//! (`localhost` is the allowed host; the same servers reached as
//! `127.0.0.1` are elsewhere):
//!
//! - baggage goes to an allowed host, in place of a header set by hand,
//!   and nowhere else, not even the header set by hand;
//! - a server behind `BaggageLayer` reads the caller's typed context;
//! - an allowed host that redirects to a host that is not allowed never
//!   delivers baggage there (and, without the redirect policy, it would:
//!   the harness follows redirects);
//! - redirects that carry no baggage where it may not go are followed,
//!   within the redirect limit;
//! - members that cannot be written are left out and counted, never a panic.

#[path = "common/caller.rs"]
mod caller;

use caller::{caller, caller_and_shard, Caller, CALLER_HEADER};

// (its log recorder is for other tests)
#[allow(unused_imports)]
#[path = "common/loopback.rs"]
mod loopback;

use std::error::Error as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use http::header::LOCATION;
use http::{HeaderMap, StatusCode};
use loopback::{echo, received, serve};
use opentelemetry::baggage::{Baggage as OtelBaggage, BaggageExt};
use opentelemetry::context::FutureExt;
use opentelemetry::Context;
use reqwest::redirect::Policy;
use reqwest_middleware::ClientWithMiddleware;
use typed_baggage::axum::Typed;
use typed_baggage::policy::Destinations;
use typed_baggage::prelude::*;
use typed_baggage::propagation::BaggagePropagator;
use typed_baggage::reqwest::{BaggageMiddleware, RedirectRefused};
use typed_baggage::tower::{BaggageLayer, InboundPolicy};

fn cx() -> Context {
    Context::new().with_typed(&caller()).expect("fits")
}

/// Only `localhost` is allowed.
fn internal() -> Destinations {
    Destinations::hosts(["localhost"])
}

/// The client of the middleware: its redirect policy and the middleware.
fn client() -> ClientWithMiddleware {
    BaggageMiddleware::new(internal())
        .client(reqwest::Client::builder())
        .expect("client")
        .build()
}

fn localhost(addr: SocketAddr) -> String {
    format!("http://localhost:{}/", addr.port())
}

fn elsewhere(addr: SocketAddr) -> String {
    format!("http://127.0.0.1:{}/", addr.port())
}

/// GET `url` through `client` in `cx`, with a `baggage` header set by hand:
/// the status and body of the answer.
async fn fetch(client: &ClientWithMiddleware, url: &str, cx: Context) -> (u16, String) {
    let response = client
        .get(url)
        .header("baggage", "hand.set=1")
        .send()
        .with_context(cx)
        .await
        .expect("answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

/// The `baggage` headers each request a server received, in order.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<String>>>);

impl Seen {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// Answers 302 to `to`, recording what it received.
async fn redirecting_to(to: String, seen: Seen) -> SocketAddr {
    serve(Router::new().route(
        "/",
        get(move |headers: HeaderMap| {
            let (to, seen) = (to.clone(), seen.clone());
            async move {
                seen.0.lock().unwrap().push(received(&headers));
                (StatusCode::FOUND, [(LOCATION, to)], "moved")
            }
        }),
    ))
    .await
}

/// Answers with the `baggage` headers it received, recording them.
async fn recording_echo(seen: Seen) -> SocketAddr {
    serve(Router::new().route(
        "/",
        get(move |headers: HeaderMap| {
            let seen = seen.clone();
            async move {
                let got = received(&headers);
                seen.0.lock().unwrap().push(got.clone());
                got
            }
        }),
    ))
    .await
}

#[tokio::test]
async fn baggage_goes_to_an_allowed_host_and_nowhere_else() {
    let server = serve(echo()).await;
    let client = client();

    // Allowed: the context's baggage, in place of the header set by hand.
    assert_eq!(
        fetch(&client, &localhost(server), cx()).await,
        (200, CALLER_HEADER.to_owned())
    );
    // Allowed, no baggage in the context: the header set by hand is gone too.
    assert_eq!(
        fetch(&client, &localhost(server), Context::new()).await,
        (200, "<none>".to_owned())
    );
    // The same server as `127.0.0.1`, not allowed: nothing at all.
    assert_eq!(
        fetch(&client, &elsewhere(server), cx()).await,
        (200, "<none>".to_owned())
    );
    // Without the middleware the header set by hand would arrive: the
    // harness sends it.
    let plain = ClientWithMiddleware::from(reqwest::Client::new());
    assert_eq!(
        fetch(&plain, &elsewhere(server), cx()).await,
        (200, "hand.set=1".to_owned())
    );
}

#[tokio::test]
async fn a_server_behind_the_layer_reads_the_callers_typed_context() {
    let server = serve(
        Router::new()
            .route(
                "/",
                get(|Typed(c): Typed<Caller>| async move { format!("{c:?}") }),
            )
            .layer(BaggageLayer::new(InboundPolicy::TrustAll)),
    )
    .await;
    assert_eq!(
        fetch(&client(), &localhost(server), cx()).await,
        (200, format!("{:?}", caller()))
    );
    let (status, body) = fetch(&client(), &elsewhere(server), cx()).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.starts_with("invalid baggage: app.user_id, app.tier\n"),
        "{body}"
    );
}

#[tokio::test]
async fn an_allowed_host_redirecting_elsewhere_never_delivers_baggage_there() {
    let (a_seen, b_seen) = (Seen::default(), Seen::default());
    let b = recording_echo(b_seen.clone()).await;
    let a = redirecting_to(elsewhere(b), a_seen.clone()).await;

    let err = client()
        .get(localhost(a))
        .header("baggage", "hand.set=1")
        .send()
        .with_context(cx())
        .await
        .expect_err("the redirect is refused");
    assert_eq!(a_seen.take(), [CALLER_HEADER]);
    assert_eq!(b_seen.take(), Vec::<String>::new(), "B was never called");

    // The error says why, and where the redirect pointed.
    let reqwest_middleware::Error::Reqwest(err) = err else {
        panic!("{err:?}");
    };
    assert!(err.is_redirect(), "{err:?}");
    let refused = err
        .source()
        .and_then(|s| s.downcast_ref::<RedirectRefused>())
        .expect("the source is RedirectRefused");
    assert_eq!(refused.url().as_str(), elsewhere(b));
    assert_eq!(
        refused.to_string(),
        "redirect not followed: the request carried baggage, so each hop must go to an \
         allowed destination, found host \"127.0.0.1\""
    );

    // Followed by hand through the middleware: no baggage goes there.
    assert_eq!(
        fetch(&client(), refused.url().as_str(), cx()).await,
        (200, "<none>".to_owned())
    );
    assert_eq!(b_seen.take(), ["<none>"]);

    // Without the redirect policy, reqwest follows it below the middleware
    // with the first request's headers: the baggage would reach B.
    let unsafe_client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(BaggageMiddleware::new(internal()))
        .build();
    assert_eq!(
        fetch(&unsafe_client, &localhost(a), cx()).await,
        (200, CALLER_HEADER.to_owned())
    );
    assert_eq!(b_seen.take(), [CALLER_HEADER]);
}

#[tokio::test]
async fn a_chain_of_allowed_hosts_is_followed_until_it_leaves_them() {
    let (a_seen, b_seen, c_seen) = (Seen::default(), Seen::default(), Seen::default());
    let c = recording_echo(c_seen.clone()).await;
    let b = redirecting_to(elsewhere(c), b_seen.clone()).await;
    let a = redirecting_to(localhost(b), a_seen.clone()).await;

    let err = client()
        .get(localhost(a))
        .send()
        .with_context(cx())
        .await
        .expect_err("the last redirect is refused");
    assert!(err.is_redirect(), "{err:?}");
    assert_eq!(a_seen.take(), [CALLER_HEADER]);
    assert_eq!(b_seen.take(), [CALLER_HEADER]);
    assert_eq!(c_seen.take(), Vec::<String>::new());

    // Allowed to allowed: followed, the baggage with it.
    let a = redirecting_to(localhost(c), a_seen.clone()).await;
    assert_eq!(
        fetch(&client(), &localhost(a), cx()).await,
        (200, CALLER_HEADER.to_owned())
    );
    assert_eq!(c_seen.take(), [CALLER_HEADER]);
}

#[tokio::test]
async fn redirects_from_a_host_not_allowed_carry_nothing_and_are_followed() {
    let (a_seen, b_seen) = (Seen::default(), Seen::default());
    let b = recording_echo(b_seen.clone()).await;
    // 127.0.0.1 (not allowed) to 127.0.0.1, and to localhost (allowed).
    for next in [elsewhere(b), localhost(b)] {
        let a = redirecting_to(next, a_seen.clone()).await;
        assert_eq!(
            fetch(&client(), &elsewhere(a), cx()).await,
            (200, "<none>".to_owned())
        );
        assert_eq!(a_seen.take(), ["<none>"]);
        assert_eq!(b_seen.take(), ["<none>"]);
    }
}

#[tokio::test]
async fn the_redirect_limit_still_holds() {
    // A host that redirects to itself, forever.
    let seen = Seen::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    let app = {
        let seen = seen.clone();
        Router::new().route(
            "/",
            get(move |headers: HeaderMap| {
                let seen = seen.clone();
                async move {
                    seen.0.lock().unwrap().push(received(&headers));
                    (StatusCode::FOUND, [(LOCATION, localhost(addr))], "again")
                }
            }),
        )
    };
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serves") });

    let policy = internal().reqwest_redirect_policy_with(Policy::limited(3));
    let client = reqwest::Client::builder()
        .redirect(policy)
        .build()
        .expect("client");
    let client = reqwest_middleware::ClientBuilder::new(client)
        .with(BaggageMiddleware::new(internal()))
        .build();
    // Bounded even if the limit were not kept: a test never hangs.
    let err = tokio::time::timeout(
        Duration::from_secs(30),
        client.get(localhost(addr)).send().with_context(cx()),
    )
    .await
    .expect("the limit ends the loop")
    .expect_err("too many redirects");
    let reqwest_middleware::Error::Reqwest(err) = err else {
        panic!("{err:?}");
    };
    assert!(err.is_redirect(), "{err:?}");
    assert_eq!(
        err.source().map(ToString::to_string).as_deref(),
        Some("too many redirects")
    );
    // The first request and 3 redirects, each with the baggage (allowed).
    assert_eq!(seen.take(), [CALLER_HEADER; 4]);
}

#[tokio::test]
async fn members_that_cannot_be_written_are_left_out_and_counted() {
    let server = serve(echo()).await;
    let propagator = BaggagePropagator::new();
    let counters = propagator.counters();
    let client = BaggageMiddleware::new(internal())
        .with_propagator(propagator)
        .client(reqwest::Client::builder())
        .expect("client")
        .build();

    let mut baggage = OtelBaggage::new();
    baggage.insert("ok", "line\r\nbreak \"quoted\" é");
    baggage.insert_with_metadata("forged", "1", "p=1\r\nx-injected: 1");
    baggage.insert_with_metadata("also", "1", "p,admin=true");
    baggage.insert("wide", "é".repeat(3000));
    let cx = Context::new().with_baggage(baggage);

    assert_eq!(
        fetch(&client, &localhost(server), cx).await,
        (200, "ok=line%0D%0Abreak%20%22quoted%22%20%C3%A9".to_owned())
    );
    assert_eq!(counters.inject_members_invalid(), 2);
    assert_eq!(counters.inject_members_dropped(), 1);
}

#[tokio::test]
async fn a_local_schema_is_never_sent_by_the_middleware() {
    let echo = serve(echo()).await;
    let (status, body) = fetch(&client(), &localhost(echo), caller_and_shard()).await;
    assert_eq!((status, body.as_str()), (200, CALLER_HEADER));
    // Only local context: no header at all.
    let only_local = Context::new().with_typed(&caller::shard()).expect("fits");
    assert_eq!(
        fetch(&client(), &localhost(echo), only_local).await,
        (200, "<none>".to_owned())
    );
}
