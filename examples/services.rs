//! A gateway and two downstream axum services on loopback ports, calling
//! each other over real HTTP with typed baggage; the gateway signs the user
//! and compliance context, downstream services verify it.
//!
//! Run with `cargo run --example services --features full` (with the key
//! ring in `TYPED_BAGGAGE_KEYS`, `kid:base64key`, or a public demo key).

#[path = "shared/chain.rs"]
mod chain;

use opentelemetry::baggage::BaggageExt;
use opentelemetry::Context;
use typed_baggage::prelude::*;
use typed_baggage::tower::{inject_for, Destinations};

#[tokio::main]
async fn main() {
    let chain::Chain {
        gateway,
        checkout,
        storage,
    } = chain::start_chain().await;
    println!("gateway on {gateway}, checkout on {checkout}, storage on {storage}\n");
    let client = chain::outside_client();

    for user in [1, 2, 3] {
        println!("-- an outside client buys as user {user}");
        let (status, body) =
            chain::get_text(&client, &format!("http://{gateway}/buy?user={user}"), &[]).await;
        println!("HTTP {status}\n{body}");
    }

    println!("-- a client forges `app.tier=premium` as the free user 2");
    let forged = [(
        "baggage",
        "app.user_id=2,app.tier=premium,ff.new_checkout=true",
    )];
    let (status, body) =
        chain::get_text(&client, &format!("http://{gateway}/buy?user=2"), &forged).await;
    println!("HTTP {status}\n{body}");

    println!("-- inside the network, the gateway's signed header for user 2, with `app.tier` changed to premium, sent straight to checkout");
    let genuine = Context::new()
        .with_typed(&chain::UserCtx {
            user_id: 2,
            tier: chain::Tier::Free,
            org_id: None,
        })
        .expect("fits");
    let genuine = typed_baggage::http::default_propagator()
        .header_value(genuine.baggage())
        .expect("some baggage");
    let tampered = genuine.replace("app.tier=free", "app.tier=premium");
    println!("genuine:  {genuine}\ntampered: {tampered}");
    let (status, body) = chain::get_text(
        &client,
        &format!("http://{checkout}/checkout"),
        &[("baggage", &tampered)],
    )
    .await;
    println!("HTTP {status}\n{body}");

    println!("-- checkout called directly with a broken context is rejected by its extractor");
    let broken = [("baggage", "app.user_id=12a,ff.new_checkout=yes")];
    let (status, body) =
        chain::get_text(&client, &format!("http://{checkout}/checkout"), &broken).await;
    println!("HTTP {status}\n{body}");

    println!("-- baggage never leaves for third parties");
    let cx = Context::new()
        .with_typed(&chain::UserCtx {
            user_id: 1,
            tier: chain::Tier::Premium,
            org_id: Some(7),
        })
        .expect("fits");
    let allowed = Destinations::hosts(["127.0.0.1", "*.internal"]);
    for url in [
        "http://billing.internal/charge",
        "https://api.payments-provider.example/v1/charge",
    ] {
        let mut req = http::Request::get(url).body(()).expect("valid request");
        let sent = inject_for(&Default::default(), &cx, &mut req, &allowed);
        println!(
            "{url}: baggage {} (header: {:?})",
            if sent { "attached" } else { "withheld" },
            req.headers().get("baggage")
        );
    }
}
