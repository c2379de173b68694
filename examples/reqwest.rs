//! Typed baggage on reqwest requests, only to allowed destinations, on
//! every redirect hop, on loopback:
//!
//! - **billing** (internal, reached as `localhost`, the allowed host):
//!   reads the caller's typed context;
//! - **partner** (a third party, reached as `127.0.0.1`): must never see
//!   the baggage, neither when called directly nor when billing redirects
//!   to it.
//!
//! ```text
//! cargo run --example reqwest --features reqwest,axum
//! ```

use std::net::SocketAddr;

use axum::routing::get;
use axum::Router;
use http::header::LOCATION;
use http::{HeaderMap, StatusCode};
use opentelemetry::context::FutureExt;
use opentelemetry::Context;
use typed_baggage::axum::Typed;
use typed_baggage::policy::Destinations;
use typed_baggage::prelude::*;
use typed_baggage::reqwest::{BaggageMiddleware, RedirectRefused};
use typed_baggage::tower::{BaggageLayer, InboundPolicy};

/// Who is calling.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "app.")]
struct UserCtx {
    user_id: u64,
    region: String,
}

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("the server runs") });
    addr
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The partner answers with the baggage it received.
    let partner = serve(Router::new().route(
        "/",
        get(|headers: HeaderMap| async move {
            match headers.get("baggage") {
                Some(v) => format!("partner received baggage: {}", v.to_str().unwrap_or("?")),
                None => "partner received no baggage".to_owned(),
            }
        }),
    ))
    .await;
    let partner_url = format!("http://127.0.0.1:{}/", partner.port());

    // Billing reads the typed caller; `/export` redirects to the partner.
    let billing = serve(
        Router::new()
            .route(
                "/",
                get(|Typed(user): Typed<UserCtx>| async move {
                    format!(
                        "billing: invoice for user {} ({})",
                        user.user_id, user.region
                    )
                }),
            )
            .route(
                "/export",
                get(move || {
                    let to = partner_url.clone();
                    async move { (StatusCode::FOUND, [(LOCATION, to)]) }
                }),
            )
            .layer(BaggageLayer::new(InboundPolicy::TrustAll)),
    )
    .await;

    // The client: baggage to `localhost` only, on every hop.
    let client = BaggageMiddleware::new(Destinations::hosts(["localhost"]))
        .client(reqwest::Client::builder())?
        .build();
    let cx = Context::new().with_typed(&UserCtx {
        user_id: 7,
        region: "eu west".into(),
    })?;

    let billing_url = format!("http://localhost:{}", billing.port());
    let body = client
        .get(&billing_url)
        .send()
        .with_context(cx.clone())
        .await?
        .text()
        .await?;
    println!("{body}");
    assert_eq!(body, "billing: invoice for user 7 (eu west)");

    let body = client
        .get(format!("http://127.0.0.1:{}/", partner.port()))
        .header("baggage", "set.by=hand")
        .send()
        .with_context(cx.clone())
        .await?
        .text()
        .await?;
    println!("{body}");
    assert_eq!(body, "partner received no baggage");

    // Billing redirects to the partner: the redirect is refused, since the
    // request carried baggage; followed by hand, it carries none.
    let err = client
        .get(format!("{billing_url}/export"))
        .send()
        .with_context(cx.clone())
        .await
        .expect_err("the redirect is refused");
    let refused = match &err {
        reqwest_middleware::Error::Reqwest(e) => std::error::Error::source(e)
            .and_then(|s| s.downcast_ref::<RedirectRefused>())
            .cloned(),
        reqwest_middleware::Error::Middleware(_) => None,
    }
    .expect("a refused redirect");
    println!("{refused}");
    let body = client
        .get(refused.url().as_str())
        .send()
        .with_context(cx)
        .await?
        .text()
        .await?;
    println!("followed by hand: {body}");
    assert_eq!(body, "partner received no baggage");
    Ok(())
}
