//! The service chain over real sockets on loopback: typed baggage across
//! hops, the edge policies against forged baggage, the extractor's 400, the
//! outbound destination allowlist, and isolation under concurrency.

#[path = "../examples/shared/chain.rs"]
mod chain;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use chain::{Flags, Tier, UserCtx};
use opentelemetry::context::FutureExt;
use typed_baggage::axum::Typed;
use typed_baggage::prelude::*;
use typed_baggage::tower::{
    Allowlist, BaggageLayer, Destinations, InboundPolicy, OutboundBaggageLayer,
};

#[tokio::test]
async fn the_chain_decides_from_typed_context() {
    let gateway = chain::start_chain().await.gateway;
    let client = chain::client();
    let (status, body) =
        chain::get_text(&client, &format!("http://{gateway}/buy?user=1"), &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        "gateway: authenticated user 1 (Premium); client baggage reached the handler: false\n\
         checkout: user 1 in the priority queue, new checkout (experiment group variant_b)\n\
         storage: order data written to the EU data store (GDPR), audit audit-1\n"
    );
    let (_, body) = chain::get_text(&client, &format!("http://{gateway}/buy?user=2"), &[]).await;
    assert_eq!(
        body,
        "gateway: authenticated user 2 (Free); client baggage reached the handler: false\n\
         checkout: user 2 in the standard queue, classic checkout\n\
         storage: order data written to the US data store, audit audit-2\n"
    );
}

#[tokio::test]
async fn forged_tier_never_reaches_a_handler_behind_a_drop_all_edge() {
    let gateway = chain::start_chain().await.gateway;
    let forged = [(
        "baggage",
        "app.user_id=2,app.tier=premium,ff.new_checkout=true,compliance.gdpr_region=us",
    )];
    let (status, body) = chain::get_text(
        &chain::outside_client(),
        &format!("http://{gateway}/buy?user=2"),
        &forged,
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        body.contains("client baggage reached the handler: false"),
        "{body}"
    );
    assert!(
        body.contains("user 2 in the standard queue, classic checkout"),
        "{body}"
    );
}

/// An edge that accepts only the feature-flag schema from outside.
fn allowlist_edge() -> Router {
    Router::new()
        .route(
            "/",
            get(|| async {
                let user = UserCtx::from_current();
                let flags = Flags::from_current();
                format!(
                    "user: {}; flags: {:?}",
                    match user {
                        Ok(u) => format!("{:?}", u.tier),
                        Err(e) => format!("none ({} bad keys)", e.keys().count()),
                    },
                    flags.ok()
                )
            }),
        )
        .layer(BaggageLayer::new(InboundPolicy::Allow(
            Allowlist::new().schema::<Flags>(),
        )))
}

#[tokio::test]
async fn forged_tier_never_reaches_a_handler_behind_an_allowlist_edge() {
    let edge = chain::serve(allowlist_edge()).await;
    let forged = [(
        "baggage",
        "app.user_id=2,app.tier=premium,ff.new_checkout=true,ff.experiment_group=b",
    )];
    let (status, body) = chain::get_text(
        &chain::outside_client(),
        &format!("http://{edge}/"),
        &forged,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        "user: none (2 bad keys); flags: Some(Flags { new_checkout: true, experiment_group: Some(\"b\") })"
    );
}

#[tokio::test]
async fn the_extractor_rejects_missing_or_invalid_baggage_with_400_naming_the_keys() {
    let storage = chain::serve(chain::storage()).await;
    let checkout = chain::serve(chain::checkout(storage)).await;
    let client = chain::outside_client();
    let url = format!("http://{checkout}/checkout");

    let (status, body) = chain::get_text(&client, &url, &[]).await;
    assert_eq!(status, 400);
    assert_eq!(
        body.lines().next(),
        Some("invalid baggage: app.user_id, app.tier")
    );

    let bad = [(
        "baggage",
        "app.user_id=12a,app.tier=gold,ff.new_checkout=true",
    )];
    let (status, body) = chain::get_text(&client, &url, &bad).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        "invalid baggage: app.user_id, app.tier\n\
         baggage key `app.user_id` has an invalid value: expected an unsigned 64-bit integer (u64), found \"12a\" (not a decimal integer)\n\
         baggage key `app.tier` has an invalid value: expected one of `free`, `premium` (Tier), found \"gold\"\n"
    );
}

/// Echoes the `baggage` header it received.
fn echo() -> Router {
    Router::new().route(
        "/",
        get(|headers: http::HeaderMap| async move {
            headers
                .get("baggage")
                .map(|v| v.to_str().unwrap_or("<binary>").to_owned())
                .unwrap_or_else(|| "<none>".to_owned())
        }),
    )
}

#[tokio::test]
async fn outbound_baggage_goes_only_to_allowed_destinations() {
    use tower::ServiceBuilder;
    let port = chain::serve(echo()).await.port();
    // Only `localhost` is allowed: the same server reached as 127.0.0.1 is "elsewhere".
    let client = ServiceBuilder::new()
        .layer(OutboundBaggageLayer::new(Destinations::hosts([
            "localhost",
        ])))
        .service(
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http(),
        );
    let cx = opentelemetry::Context::new()
        .with_typed(&UserCtx {
            user_id: 9,
            tier: Tier::Premium,
        })
        .unwrap();
    let allowed = chain::get_text(&client, &format!("http://localhost:{port}/"), &[])
        .with_context(cx.clone())
        .await;
    assert_eq!(allowed.0, 200);
    let mut members: Vec<&str> = allowed.1.split(',').collect();
    members.sort_unstable();
    assert_eq!(members, ["app.tier=premium", "app.user_id=9"]);

    // A baggage header set by hand is removed too on the way to a third party.
    let third_party = chain::get_text(
        &client,
        &format!("http://127.0.0.1:{port}/"),
        &[("baggage", "leak=1")],
    )
    .with_context(cx)
    .await;
    assert_eq!(third_party.1, "<none>");
}

#[tokio::test]
async fn context_survives_awaits_and_spawned_tasks() {
    let app = Router::new()
        .route(
            "/",
            get(|| async {
                let before = UserCtx::from_current().map(|u| u.user_id);
                tokio::task::yield_now().await;
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                let after = UserCtx::from_current().map(|u| u.user_id);
                let spawned = tokio::spawn(
                    async { UserCtx::from_current().map(|u| u.user_id) }.with_current_context(),
                )
                .await
                .expect("task ran");
                format!("{before:?} {after:?} {spawned:?}")
            }),
        )
        .layer(BaggageLayer::new(InboundPolicy::TrustAll));
    let addr = chain::serve(app).await;
    let (_, body) = chain::get_text(
        &chain::outside_client(),
        &format!("http://{addr}/"),
        &[("baggage", "app.user_id=41,app.tier=free")],
    )
    .await;
    assert_eq!(body, "Ok(41) Ok(41) Ok(41)");
}

/// Two hops: `hop1` reads the user, awaits a call to `hop2` (which reads it
/// too), reads it again; every read must be this request's user.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_concurrent_requests_never_see_each_others_baggage() {
    const REQUESTS: usize = 10_000;
    const CLIENTS: usize = 64;

    let hop2 = chain::serve(
        Router::new()
            .route(
                "/",
                get(|Typed(u): Typed<UserCtx>| async move { u.user_id.to_string() }),
            )
            .layer(BaggageLayer::new(InboundPolicy::TrustAll)),
    )
    .await;
    let client = chain::client();
    let hop2_url = format!("http://{hop2}/");
    let hop1 = chain::serve(
        Router::new()
            .route(
                "/",
                get(move |Typed(u): Typed<UserCtx>| {
                    let client = client.clone();
                    let url = hop2_url.clone();
                    async move {
                        tokio::task::yield_now().await;
                        let (_, downstream) = chain::get_text(&client, &url, &[]).await;
                        let again = UserCtx::from_current()
                            .map(|u| u.user_id.to_string())
                            .unwrap_or_default();
                        format!("{} {downstream} {again}", u.user_id)
                    }
                }),
            )
            .layer(BaggageLayer::new(InboundPolicy::TrustAll)),
    )
    .await;

    let next = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let next = next.clone();
        let url = format!("http://{hop1}/");
        clients.push(tokio::spawn(async move {
            let client = chain::outside_client();
            let mut checked = 0usize;
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= REQUESTS {
                    return checked;
                }
                let id = 1_000_000 + n as u64;
                let header = format!("app.user_id={id},app.tier=free");
                let (status, body) = chain::get_text(&client, &url, &[("baggage", &header)]).await;
                assert_eq!(status, 200, "{body}");
                assert_eq!(
                    body,
                    format!("{id} {id} {id}"),
                    "request {n} saw another request's baggage"
                );
                checked += 1;
            }
        }));
    }
    let mut total = 0;
    for c in clients {
        total += c.await.expect("client task");
    }
    assert_eq!(total, REQUESTS);
}
