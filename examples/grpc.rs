//! Typed baggage across gRPC hops with tonic, on loopback:
//!
//! - **edge** (faces clients, accepts only the feature-flag schema from
//!   them): authenticates the caller, sets the typed user, calls orders;
//! - **orders** (internal, trusts its peers): reads the user and the flags
//!   the edge forwarded, typed; a call without them is `INVALID_ARGUMENT`,
//!   the message naming the keys.
//!
//! The service comes from `tests/proto/echo.proto` (the `Hop` service:
//! each hop answers with what it read, and with the next hop's answer).
//!
//! ```text
//! cargo run --example grpc --features grpc
//! ```

use std::net::SocketAddr;

use opentelemetry::context::FutureExt;
use opentelemetry::Context;
use tokio::net::TcpListener;
use tonic::metadata::MetadataValue;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Endpoint, Server};
use tonic::{Request, Response, Status};
use tower::Layer;
use typed_baggage::grpc::BaggageRequestExt;
use typed_baggage::prelude::*;
use typed_baggage::tower::{
    Allowlist, BaggageLayer, Destinations, InboundPolicy, OutboundBaggageLayer,
    OutboundBaggageService,
};
use typed_baggage_test_proto::hop_client::HopClient;
use typed_baggage_test_proto::hop_server::{Hop, HopServer};
use typed_baggage_test_proto::{CallReply, CallRequest};

/// Who is calling: set by the edge, after authentication.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "app.")]
struct UserCtx {
    user_id: u64,
    tier: Tier,
}

#[derive(Baggage, Debug, Clone, Copy, PartialEq)]
#[baggage(rename_all = "snake_case")]
enum Tier {
    Free,
    Premium,
}

/// What clients may set themselves.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "ff.")]
struct Flags {
    new_checkout: bool,
}

/// A client whose outbound layer sends baggage to `localhost` only (the
/// internal services), the destination being the channel's endpoint.
fn internal_client(addr: SocketAddr) -> HopClient<OutboundBaggageService<Channel>> {
    let endpoint = Endpoint::from_shared(format!("http://localhost:{}", addr.port()))
        .expect("a valid endpoint");
    let outbound = OutboundBaggageLayer::new(Destinations::hosts(["localhost"]))
        .layer(endpoint.connect_lazy());
    HopClient::with_origin(outbound, endpoint.uri().clone())
}

/// The edge: the user comes from authentication (here: the note), never
/// from the client's baggage.
struct Edge {
    orders: HopClient<OutboundBaggageService<Channel>>,
}

#[tonic::async_trait]
impl Hop for Edge {
    async fn call(&self, request: Request<CallRequest>) -> Result<Response<CallReply>, Status> {
        let forged = request.typed::<UserCtx>().is_ok();
        let user = match request.get_ref().note.as_str() {
            "alice" => UserCtx {
                user_id: 1,
                tier: Tier::Premium,
            },
            _ => UserCtx {
                user_id: 2,
                tier: Tier::Free,
            },
        };
        // The allowlisted flags are in the current context already; the
        // user joins them, and the call to orders carries both.
        let cx = Context::current()
            .with_typed(&user)
            .map_err(|e| Status::internal(e.to_string()))?;
        let next = self
            .orders
            .clone()
            .call(CallRequest::default())
            .with_context(cx)
            .await?
            .into_inner();
        Ok(Response::new(CallReply {
            seen: format!(
                "edge: authenticated {user:?}; a user from the client's baggage: {forged}"
            ),
            baggage: Vec::new(),
            next: Some(Box::new(next)),
        }))
    }
}

/// Orders: trusts the edge, reads the typed user and flags.
struct Orders;

#[tonic::async_trait]
impl Hop for Orders {
    async fn call(&self, request: Request<CallRequest>) -> Result<Response<CallReply>, Status> {
        let user: UserCtx = request.typed()?;
        let flags = request.typed::<Flags>().ok();
        let queue = match user.tier {
            Tier::Premium => "priority",
            Tier::Free => "standard",
        };
        let checkout = match flags {
            Some(Flags { new_checkout: true }) => "new",
            _ => "classic",
        };
        Ok(Response::new(CallReply {
            seen: format!(
                "orders: user {} in the {queue} queue, {checkout} checkout",
                user.user_id
            ),
            baggage: Vec::new(),
            next: None,
        }))
    }
}

async fn serve<S: Hop>(layer: BaggageLayer, service: S) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let server = Server::builder()
        .layer(layer)
        .add_service(HopServer::new(service))
        .serve_with_incoming(TcpIncoming::from(listener));
    tokio::spawn(async move { server.await.expect("the server runs") });
    addr
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let orders = serve(BaggageLayer::new(InboundPolicy::TrustAll), Orders).await;
    let edge = serve(
        BaggageLayer::new(InboundPolicy::Allow(Allowlist::new().schema::<Flags>())),
        Edge {
            orders: internal_client(orders),
        },
    )
    .await;

    // A client on the internet: it forges a premium tier, and opts in to
    // the new checkout (a flag it may set).
    let outside = HopClient::new(
        Endpoint::from_shared(format!("http://127.0.0.1:{}", edge.port()))?.connect_lazy(),
    );
    for who in ["alice", "bob"] {
        let mut request = Request::new(CallRequest { note: who.into() });
        request.metadata_mut().insert(
            "baggage",
            MetadataValue::from_static("app.user_id=1,app.tier=premium,ff.new_checkout=true"),
        );
        let reply = outside.clone().call(request).await?.into_inner();
        let orders = reply.next.map(|n| n.seen).unwrap_or_default();
        println!("{who}:\n  {}\n  {orders}", reply.seen);
        assert!(reply
            .seen
            .ends_with("a user from the client's baggage: false"));
        assert!(orders.ends_with("new checkout"));
    }

    // Orders called without the edge's baggage: the keys are named.
    let direct = HopClient::new(
        Endpoint::from_shared(format!("http://127.0.0.1:{}", orders.port()))?.connect_lazy(),
    );
    let status = direct
        .clone()
        .call(CallRequest::default())
        .await
        .expect_err("no user");
    println!(
        "orders, called directly: {:?}: {}",
        status.code(),
        status.message()
    );
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    Ok(())
}
