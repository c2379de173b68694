//! A gateway and two downstream services on loopback, calling each other
//! over real HTTP, shared by `examples/services.rs` and `tests/services.rs`.
//!
//! - gateway (edge, drop-all): authenticates the caller, sets typed user,
//!   feature-flag and compliance context, calls checkout. The user and
//!   compliance schemas are signed: the gateway is the only place they are
//!   written, and it signs them with the key ring.
//! - checkout (internal, trust-all): premium users go to the priority
//!   queue; the experiment group gets the new checkout; calls storage.
//!   It reads the user only if the gateway's signature verifies.
//! - storage (internal, trust-all): EU data stays in the EU store, as the
//!   signed compliance context says.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Once;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use opentelemetry::context::FutureExt;
use opentelemetry::Context;
use tower::{Service, ServiceBuilder, ServiceExt};
use typed_baggage::axum::Typed;
use typed_baggage::prelude::*;
use typed_baggage::signing::{KeyError, KeyRing, SigningKey, KEYS_ENV};
use typed_baggage::tower::{
    BaggageLayer, Destinations, InboundPolicy, OutboundBaggageLayer, OutboundBaggageService,
};

/// Who is calling: set once at the gateway, signed there, so that no hop
/// after it can change it (`app.sig` holds the signature).
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "app.", signed, max_age_secs = 300)]
pub struct UserCtx {
    /// The account id.
    pub user_id: u64,
    /// The subscription tier.
    pub tier: Tier,
    /// The organisation the user acts for, if any.
    pub org_id: Option<u64>,
}

/// Subscription tiers.
#[derive(Baggage, Debug, Clone, Copy, PartialEq)]
#[baggage(rename_all = "snake_case")]
pub enum Tier {
    Free,
    Premium,
}

/// Feature flags, consistent across services.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "ff.")]
pub struct Flags {
    pub new_checkout: bool,
    pub experiment_group: Option<String>,
}

/// How this request's data must be handled; signed at the gateway too.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "compliance.", signed, max_age_secs = 300)]
pub struct Compliance {
    pub gdpr_region: Region,
    pub audit_id: String,
}

/// Data-protection regions.
#[derive(Baggage, Debug, Clone, Copy, PartialEq)]
#[baggage(rename_all = "lowercase")]
pub enum Region {
    Eu,
    Us,
}

/// A demo key, for when `TYPED_BAGGAGE_KEYS` is not set. Anyone can read it
/// here: a real service must never sign with it.
const DEMO_KEY: &[u8; 32] = b"typed-baggage demo key, public!!";

/// The key ring of every service of the chain: `TYPED_BAGGAGE_KEYS`
/// (`kid:base64key,...`, the first key signs), or else the demo key.
pub fn key_ring() -> KeyRing {
    let ring = match KeyRing::from_env(KEYS_ENV) {
        Ok(ring) => ring,
        Err(KeyError::EnvNotSet { .. }) => {
            KeyRing::new(SigningKey::new("demo", DEMO_KEY).expect("the demo key is 32 bytes"))
        }
        Err(e) => panic!("{e}"),
    };
    ring.with_max_age(Duration::from_secs(300))
}

/// What each service does at startup: install the key ring. (The three
/// services of the example share a process, so they share one ring.)
pub fn install_key_ring() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = key_ring().install();
    });
}

/// An HTTP client that sends baggage to loopback services only.
pub type HttpClient = OutboundBaggageService<Client<HttpConnector, Full<Bytes>>>;

/// The client every service uses.
pub fn client() -> HttpClient {
    ServiceBuilder::new()
        .layer(OutboundBaggageLayer::new(Destinations::hosts([
            "127.0.0.1",
            "localhost",
        ])))
        .service(Client::builder(TokioExecutor::new()).build_http())
}

/// A plain client, as an outside caller has: sends the headers it is given.
pub fn outside_client() -> Client<HttpConnector, Full<Bytes>> {
    Client::builder(TokioExecutor::new()).build_http()
}

/// GET `url` through `client`, returning status and body.
pub async fn get_text<S>(client: &S, url: &str, headers: &[(&str, &str)]) -> (u16, String)
where
    S: Service<http::Request<Full<Bytes>>, Response = http::Response<hyper::body::Incoming>>
        + Clone,
    S::Error: std::fmt::Debug,
{
    let mut req = http::Request::get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(Full::new(Bytes::new())).expect("valid request");
    let resp = client
        .clone()
        .ready()
        .await
        .expect("client ready")
        .call(req)
        .await
        .expect("request sent");
    let status = resp.status().as_u16();
    let body = resp
        .into_body()
        .collect()
        .await
        .expect("body read")
        .to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// Binds a server on an ephemeral loopback port and serves `app` in the background.
pub async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("server runs") });
    addr
}

#[derive(Clone)]
struct Next {
    client: HttpClient,
    url: String,
}

/// storage: decides data handling from the compliance context.
pub fn storage() -> Router {
    install_key_ring();
    Router::new()
        .route(
            "/store",
            get(|Typed(c): Typed<Compliance>| async move {
                let place = match c.gdpr_region {
                    Region::Eu => "EU data store (GDPR)",
                    Region::Us => "US data store",
                };
                format!(
                    "storage: order data written to the {place}, audit {}\n",
                    c.audit_id
                )
            }),
        )
        .layer(BaggageLayer::new(InboundPolicy::TrustAll))
}

/// checkout: queue by tier, flow by experiment, then storage.
pub fn checkout(storage: SocketAddr) -> Router {
    install_key_ring();
    let next = Next {
        client: client(),
        url: format!("http://{storage}/store"),
    };
    Router::new()
        .route(
            "/checkout",
            get(
                |State(next): State<Next>,
                 Typed(user): Typed<UserCtx>,
                 Typed(flags): Typed<Flags>| async move {
                    let queue = match user.tier {
                        Tier::Premium => "priority",
                        Tier::Free => "standard",
                    };
                    let flow = match (flags.new_checkout, flags.experiment_group.as_deref()) {
                        (true, Some(group)) => format!("new checkout (experiment group {group})"),
                        (true, None) => "new checkout".to_owned(),
                        (false, _) => "classic checkout".to_owned(),
                    };
                    // The context crosses this await, and the outbound layer sends it on.
                    let (status, stored) = get_text(&next.client, &next.url, &[]).await;
                    let org = match user.org_id {
                        Some(org) => format!(" of org {org}"),
                        None => String::new(),
                    };
                    let mut out = format!(
                        "checkout: user {}{org} in the {queue} queue, {flow}\n",
                        user.user_id
                    );
                    if status == 200 {
                        out.push_str(&stored);
                    } else {
                        out.push_str(&format!("checkout: storage failed with {status}: {stored}"));
                    }
                    out
                },
            ),
        )
        .with_state(next)
        .layer(BaggageLayer::new(InboundPolicy::TrustAll))
}

#[derive(serde::Deserialize)]
struct Login {
    user: u64,
}

/// The gateway's "authentication": the user table.
fn authenticate(user_id: u64) -> Option<(UserCtx, Flags, Compliance)> {
    let (tier, org_id, region, group) = match user_id {
        1 => (Tier::Premium, Some(7), Region::Eu, Some("variant_b")),
        2 => (Tier::Free, None, Region::Us, None),
        3 => (Tier::Free, Some(7), Region::Eu, Some("control")),
        _ => return None,
    };
    Some((
        UserCtx {
            user_id,
            tier,
            org_id,
        },
        Flags {
            new_checkout: group.is_some(),
            experiment_group: group.map(str::to_owned),
        },
        Compliance {
            gdpr_region: region,
            audit_id: format!("audit-{user_id}"),
        },
    ))
}

/// gateway: an edge facing the internet; incoming baggage is dropped.
pub fn gateway(checkout: SocketAddr) -> Router {
    install_key_ring();
    let next = Next {
        client: client(),
        url: format!("http://{checkout}/checkout"),
    };
    Router::new()
        .route(
            "/buy",
            get(|State(next): State<Next>, Query(login): Query<Login>| async move {
                let Some((user, flags, compliance)) = authenticate(login.user) else {
                    return (StatusCode::UNAUTHORIZED, "unknown user\n".to_owned());
                };
                // Whatever the client sent in `baggage` is gone: the layer dropped it.
                let outside = UserCtx::from_current().is_ok();
                // The signed schemas are signed here, with the installed key ring.
                let cx = Context::current()
                    .with_typed(&user)
                    .and_then(|cx| cx.with_typed(&flags))
                    .and_then(|cx| cx.with_typed(&compliance));
                let cx = match cx {
                    Ok(cx) => cx,
                    Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
                };
                let (status, body) = get_text(&next.client, &next.url, &[]).with_context(cx).await;
                let head = format!(
                    "gateway: authenticated user {} ({:?}); client baggage reached the handler: {outside}\n",
                    user.user_id, user.tier
                );
                (StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY), head + &body)
            }),
        )
        .with_state(next)
        .layer(BaggageLayer::new(InboundPolicy::DropAll))
}

/// Where the three services listen.
pub struct Chain {
    pub gateway: SocketAddr,
    pub checkout: SocketAddr,
    pub storage: SocketAddr,
}

/// Starts storage, checkout and gateway.
pub async fn start_chain() -> Chain {
    let storage = serve(storage()).await;
    let checkout = serve(checkout(storage)).await;
    let gateway = serve(gateway(checkout)).await;
    Chain {
        gateway,
        checkout,
        storage,
    }
}
