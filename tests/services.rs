//! The service chain over real sockets on loopback: typed baggage across
//! hops, the edge policies against forged baggage, signed schemas against
//! tampered baggage, the extractor's 400, the outbound destination
//! allowlist, and isolation under concurrency.

#[path = "../examples/shared/chain.rs"]
mod chain;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use chain::{Flags, Tier, UserCtx};
use opentelemetry::context::FutureExt;
use opentelemetry::Context;
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
         checkout: user 1 of org 7 in the priority queue, new checkout (experiment group variant_b)\n\
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
                        Err(e) =>
                            format!("none (bad: {})", e.keys().collect::<Vec<_>>().join(", ")),
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
        "user: none (bad: app.sig); flags: Some(Flags { new_checkout: true, experiment_group: Some(\"b\") })"
    );
}

#[tokio::test]
async fn the_extractor_rejects_missing_or_invalid_baggage_with_400_naming_the_keys() {
    let storage = chain::serve(chain::storage()).await;
    let checkout = chain::serve(chain::checkout(storage)).await;
    let client = chain::outside_client();
    let url = format!("http://{checkout}/checkout");

    // No baggage: the signed user is not there.
    let (status, body) = chain::get_text(&client, &url, &[]).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        "invalid baggage: app.sig\n\
         baggage key `app.sig` (the signature of schema `UserCtx`) is missing: the schema is \
         signed, so it is read only with a signature made by a key of the key ring\n"
    );

    // Unsigned values, as a client would write them, are not even parsed.
    let bad = [("baggage", "app.user_id=12a,app.tier=gold")];
    let (status, body) = chain::get_text(&client, &url, &bad).await;
    assert_eq!(status, 400);
    assert_eq!(body.lines().next(), Some("invalid baggage: app.sig"));

    // A genuine signed user and a bad flag: the flag is named.
    let header = signed_header(&UserCtx {
        user_id: 2,
        tier: Tier::Free,
        org_id: None,
    });
    let bad = format!("{header},ff.new_checkout=yes");
    let (status, body) = chain::get_text(&client, &url, &[("baggage", &bad)]).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        "invalid baggage: ff.new_checkout\n\
         baggage key `ff.new_checkout` has an invalid value: expected a boolean (`true` or `false`, any letter case), found \"yes\"\n"
    );
}

/// The `baggage` header that carries `user`, signed with the chain's key
/// ring (as the gateway would write it).
fn signed_header(user: &UserCtx) -> String {
    chain::install_key_ring();
    let cx = Context::new().with_typed(user).expect("fits");
    typed_baggage::http::default_propagator()
        .header_value(opentelemetry::baggage::BaggageExt::baggage(&cx))
        .expect("some baggage")
}

/// In checkout's place: answers with the `baggage` header it received,
/// which is what a proxy between gateway and checkout sees.
fn capture() -> Router {
    Router::new().route(
        "/checkout",
        get(|headers: http::HeaderMap| async move {
            headers
                .get("baggage")
                .map(|v| v.to_str().unwrap_or("<binary>").to_owned())
                .unwrap_or_else(|| "<none>".to_owned())
        }),
    )
}

/// The `baggage` header the gateway sends downstream for `user`, signed.
async fn gateway_header(user: u64) -> String {
    let capture = chain::serve(capture()).await;
    let gateway = chain::serve(chain::gateway(capture)).await;
    let (status, body) = chain::get_text(
        &chain::outside_client(),
        &format!("http://{gateway}/buy?user={user}"),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let header = body.lines().nth(1).expect("the captured header").to_owned();
    assert!(header.contains("app.sig=v1."), "{header}");
    header
}

/// The value of `key` in a header.
fn member_value(header: &str, key: &str) -> String {
    header
        .split(',')
        .find_map(|m| m.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key} in {header}"))
        .to_owned()
}

/// `header` with `key` set to `value` in place (appended if absent), or
/// removed for `None`.
fn set_member(header: &str, key: &str, value: Option<&str>) -> String {
    let prefix = format!("{key}=");
    let mut members: Vec<String> = Vec::new();
    let mut found = false;
    for m in header.split(',') {
        if m.starts_with(&prefix) {
            found = true;
            if let Some(v) = value {
                members.push(format!("{key}={v}"));
            }
        } else {
            members.push(m.to_owned());
        }
    }
    if let (false, Some(v)) = (found, value) {
        members.push(format!("{key}={v}"));
    }
    members.join(",")
}

const MISMATCH: &str = "invalid baggage: app.sig\n\
    baggage key `app.sig` (the signature of schema `UserCtx`) does not match the schema's \
    entries: an entry, the key id or the issue time was changed after signing (tampered or \
    forged), or the signer's key differs from this service's key of the same id\n";

/// Headers the gateway signed, changed on the way, and sent straight to
/// checkout (as an attacker inside the network, or a compromised proxy
/// between gateway and checkout, could): checkout, the first hop that
/// reads the user, rejects each one with 400, before its handler runs.
#[tokio::test]
async fn tampered_signed_baggage_is_rejected_at_the_first_hop_that_verifies() {
    let free = gateway_header(2).await; // user 2: free, no org
    let premium = gateway_header(1).await; // user 1: premium, org 7
    let storage = chain::serve(chain::storage()).await;
    let checkout = chain::serve(chain::checkout(storage)).await;
    let url = format!("http://{checkout}/checkout");
    let client = chain::outside_client();

    let (status, body) = chain::get_text(&client, &url, &[("baggage", &free)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.starts_with("checkout: user 2 in the standard queue"),
        "{body}"
    );

    let swapped = set_member(
        &set_member(&premium, "app.user_id", Some("7")),
        "app.org_id",
        Some("1"),
    );
    let cases = [
        (
            "changed tier",
            set_member(&free, "app.tier", Some("premium")),
        ),
        (
            "changed user id",
            set_member(&free, "app.user_id", Some("1")),
        ),
        (
            "signature replayed from another user",
            set_member(
                &set_member(&free, "app.tier", Some("premium")),
                "app.sig",
                Some(&member_value(&premium, "app.sig")),
            ),
        ),
        ("values swapped between members", swapped),
        (
            "a member of the schema added",
            set_member(&free, "app.org_id", Some("7")),
        ),
        (
            "a member of the schema removed",
            set_member(&premium, "app.org_id", None),
        ),
        (
            "a second member with the same key, after the signed one",
            format!("{free},app.tier=premium"),
        ),
    ];
    for (what, header) in cases {
        let (status, body) = chain::get_text(&client, &url, &[("baggage", &header)]).await;
        assert_eq!((status, body.as_str()), (400, MISMATCH), "{what}: {header}");
    }

    // A signature without its entries, or entries without a signature.
    let sig_only = format!("app.sig={}", member_value(&premium, "app.sig"));
    let (status, body) = chain::get_text(&client, &url, &[("baggage", &sig_only)]).await;
    assert_eq!((status, body.as_str()), (400, MISMATCH));
    let unsigned = set_member(&premium, "app.sig", None);
    let (status, body) = chain::get_text(&client, &url, &[("baggage", &unsigned)]).await;
    assert_eq!(status, 400);
    assert!(body.contains("`app.sig` (the signature of schema `UserCtx`) is missing"));

    // Signed too long ago (the ring allows 300 s, and 60 s of clock skew).
    chain::install_key_ring();
    let ring = chain::key_ring()
        .with_clock(|| std::time::SystemTime::now() - std::time::Duration::from_secs(600));
    let old = Context::new()
        .with_value(ring)
        .with_typed(&UserCtx {
            user_id: 2,
            tier: Tier::Free,
            org_id: None,
        })
        .unwrap();
    let old = typed_baggage::http::default_propagator()
        .header_value(opentelemetry::baggage::BaggageExt::baggage(&old))
        .unwrap();
    let (status, body) = chain::get_text(&client, &url, &[("baggage", &old)]).await;
    assert_eq!(status, 400);
    // (600 s, or 601 if a second passed between signing and checking.)
    assert!(
        body.contains("has expired: it was issued 60")
            && body.contains("at most 300 s are allowed"),
        "{body}"
    );
}

/// Reordering the members of a signed header is not tampering: the
/// signature covers the entries, not their order, so it still verifies and
/// reads the same values. A forged duplicate placed before the signed
/// member is overridden by it (the last member with a key wins), so it
/// never takes effect; placed after, it is rejected (above).
#[tokio::test]
async fn reordering_the_members_of_a_signed_header_changes_nothing() {
    let premium = gateway_header(1).await;
    let free = gateway_header(2).await;
    let storage = chain::serve(chain::storage()).await;
    let checkout = chain::serve(chain::checkout(storage)).await;
    let url = format!("http://{checkout}/checkout");
    let client = chain::outside_client();

    let (status, genuine) = chain::get_text(&client, &url, &[("baggage", &premium)]).await;
    assert_eq!(status, 200, "{genuine}");
    assert!(genuine.starts_with("checkout: user 1 of org 7 in the priority queue"));
    let reversed: Vec<&str> = premium.split(',').rev().collect();
    let (status, body) = chain::get_text(&client, &url, &[("baggage", &reversed.join(","))]).await;
    assert_eq!((status, body), (200, genuine));

    let shadowed = format!("app.tier=premium,{free}");
    let (status, body) = chain::get_text(&client, &url, &[("baggage", &shadowed)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.starts_with("checkout: user 2 in the standard queue"),
        "{body}"
    );
}

/// The compliance schema is signed too and read only by storage: a region
/// changed on the way passes checkout (which does not read it) and is
/// rejected by storage, the first hop that verifies it.
#[tokio::test]
async fn a_tampered_compliance_region_is_rejected_by_storage() {
    let header = gateway_header(2).await; // US
    assert_eq!(member_value(&header, "compliance.gdpr_region"), "us");
    let storage = chain::serve(chain::storage()).await;
    let checkout = chain::serve(chain::checkout(storage)).await;
    let client = chain::outside_client();
    let moved = set_member(&header, "compliance.gdpr_region", Some("eu"));
    let (status, body) = chain::get_text(
        &client,
        &format!("http://{checkout}/checkout"),
        &[("baggage", &moved)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        "checkout: user 2 in the standard queue, classic checkout\n\
         checkout: storage failed with 400: invalid baggage: compliance.sig\n\
         baggage key `compliance.sig` (the signature of schema `Compliance`) does not match the \
         schema's entries: an entry, the key id or the issue time was changed after signing \
         (tampered or forged), or the signer's key differs from this service's key of the same id\n"
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
    chain::install_key_ring();
    let cx = opentelemetry::Context::new()
        .with_typed(&UserCtx {
            user_id: 9,
            tier: Tier::Premium,
            org_id: None,
        })
        .unwrap();
    let allowed = chain::get_text(&client, &format!("http://localhost:{port}/"), &[])
        .with_context(cx.clone())
        .await;
    assert_eq!(allowed.0, 200);
    let mut members: Vec<&str> = allowed.1.split(',').collect();
    members.sort_unstable();
    assert_eq!(members.len(), 3, "{members:?}");
    assert!(members[0].starts_with("app.sig=v1."), "{members:?}");
    assert_eq!(members[1..], ["app.tier=premium", "app.user_id=9"]);

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
    let header = signed_header(&UserCtx {
        user_id: 41,
        tier: Tier::Free,
        org_id: None,
    });
    let (_, body) = chain::get_text(
        &chain::outside_client(),
        &format!("http://{addr}/"),
        &[("baggage", &header)],
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
    chain::install_key_ring();

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
                let header = signed_header(&UserCtx {
                    user_id: id,
                    tier: Tier::Free,
                    org_id: None,
                });
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
