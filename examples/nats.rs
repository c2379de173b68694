//! Typed baggage across NATS: a producer publishes an order with typed
//! context, a consumer reads it typed.
//!
//! ```text
//! cargo run --example nats --features nats
//! ```
//!
//! Starts its own `nats-server` (from `PATH`) on a free loopback port, or
//! uses the server at `NATS_URL` if that is set. The producer sends baggage
//! only toward `orders.*`: the same context published to `audit.log`
//! carries none. The consumer accepts only the order schema's keys from
//! its publishers (an allowlist), so a key it does not know is dropped.

#[path = "shared/nats_server.rs"]
mod nats_server;

use std::error::Error;
use std::time::Duration;

use futures_util::StreamExt;
use opentelemetry::baggage::BaggageExt;
use opentelemetry::{Context, KeyValue};
use typed_baggage::nats;
use typed_baggage::policy::{Allowlist, Destinations, InboundPolicy};
use typed_baggage::prelude::*;

/// What every service handling an order needs to know.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "order.")]
struct OrderCtx {
    order_id: u64,
    channel: Channel,
    #[baggage(rename = "geo")]
    region: Option<String>,
}

#[derive(Baggage, Debug, Clone, Copy, PartialEq)]
#[baggage(rename_all = "snake_case")]
enum Channel {
    Web,
    Mobile,
}

/// The longest wait for a message.
const RECEIVE_WITHIN: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // A server of our own, unless one is given.
    let (_server, url) = match std::env::var("NATS_URL") {
        Ok(url) => (None, url),
        Err(_) => {
            let server = nats_server::NatsServer::start()?;
            let url = server.url();
            (Some(server), url)
        }
    };
    let client = async_nats::connect(&url).await?;
    let mut orders = client.subscribe("orders.created").await?;
    let mut audit = client.subscribe("audit.log").await?;
    client.flush().await?;

    // Producer: the order's context, and one key that is none of the
    // consumer's business.
    let order = OrderCtx {
        order_id: 1042,
        channel: Channel::Mobile,
        region: Some("eu west".into()),
    };
    let cx = Context::new()
        .with_baggage([KeyValue::new("internal.cost_center", "r&d")])
        .with_typed(&order)?;
    let allowed = Destinations::subjects(["orders.*"])?;
    let headers = async_nats::HeaderMap::new();
    nats::publish(
        &client,
        &cx,
        "orders.created",
        headers.clone(),
        "{}".into(),
        &allowed,
    )
    .await?;
    nats::publish(&client, &cx, "audit.log", headers, "{}".into(), &allowed).await?;
    client.flush().await?;

    // Consumer: only the order schema's keys are accepted.
    let message = tokio::time::timeout(RECEIVE_WITHIN, orders.next())
        .await?
        .ok_or("the subscription to orders.created ended")?;
    let policy = InboundPolicy::Allow(Allowlist::new().schema::<OrderCtx>());
    let read: OrderCtx = nats::typed(&policy, &message)?;
    println!("orders.created carried: {:?}", header(&message));
    println!("consumer read:          {read:?}");
    let kept = nats::context(&policy, &message);
    println!(
        "consumer dropped:       internal.cost_center (kept {} keys)",
        kept.baggage().len()
    );
    if read != order || kept.baggage().get("internal.cost_center").is_some() {
        return Err("the consumer did not read what the producer sent".into());
    }

    let message = tokio::time::timeout(RECEIVE_WITHIN, audit.next())
        .await?
        .ok_or("the subscription to audit.log ended")?;
    println!("audit.log carried:      {:?}", header(&message));
    if header(&message).is_some() {
        return Err("baggage went to a subject that is not allowed".into());
    }
    Ok(())
}

/// The `baggage` header of a message, if any.
fn header(message: &async_nats::Message) -> Option<&str> {
    message
        .headers
        .as_ref()
        .and_then(|h| h.get("baggage"))
        .map(|v| v.as_str())
}
