//! gRPC with tonic, over real sockets on loopback: tonic servers behind
//! `BaggageLayer` and tonic clients behind `OutboundBaggageLayer`, the
//! service generated from `tests/proto/echo.proto` at build time.
//!
//! - a typed chain of two hops: client → A → B, B reads what A forwarded;
//! - a forged key stopped at a drop-all edge and at an allowlist edge;
//! - a handler's typed read: `INVALID_ARGUMENT` naming the keys, what the
//!   caller sent cut and escaped;
//! - the client sends baggage only toward allowed hosts, and none without
//!   an origin (no host to judge);
//! - over the W3C limits nothing is read, and the rejection is counted;
//! - what a handler reads is what the HTTP pipeline reads from the same
//!   bytes;
//! - responses carry no baggage out.

#[path = "common/caller.rs"]
mod caller;

use caller::{caller, caller_and_shard, Caller, Shard, CALLER_HEADER, FORGED_SHARD};

use std::net::SocketAddr;

use opentelemetry::context::FutureExt;
use opentelemetry::Context;
use tokio::net::TcpListener;
use tonic::metadata::MetadataValue;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Endpoint, Server};
use tonic::{Code, Request, Response, Status};
use tower::Layer;
use typed_baggage::grpc::{invalid_argument, BaggageRequestExt};
use typed_baggage::prelude::*;
use typed_baggage::propagation::BaggagePropagator;
use typed_baggage::tower::{
    Allowlist, BaggageLayer, Destinations, InboundPolicy, OutboundBaggageLayer,
    OutboundBaggageService,
};
use typed_baggage_test_proto::hop_client::HopClient;
use typed_baggage_test_proto::hop_server::{Hop, HopServer};
use typed_baggage_test_proto::{CallReply, CallRequest};

/// What an edge accepts from outside.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "ff.")]
struct Flags {
    new_checkout: bool,
}

/// What hop A adds to the context it forwards.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "route.")]
struct Route {
    via: String,
    hops: u8,
}

/// A client whose outbound layer sends baggage to `destinations` only.
type Client = HopClient<OutboundBaggageService<Channel>>;

/// What a hop reads from its request, as text (or fails the call with).
type Read = fn(&Request<CallRequest>) -> Result<String, Status>;

/// One hop: reads with `read`, then, if it has a next hop, calls it in the
/// current context (with `adds` added).
#[derive(Clone)]
struct Node {
    read: Read,
    next: Option<Client>,
    adds: Option<Route>,
    answers_with_baggage: bool,
}

impl Node {
    fn reading(read: Read) -> Self {
        Node {
            read,
            next: None,
            adds: None,
            answers_with_baggage: false,
        }
    }

    fn then(mut self, next: Client) -> Self {
        self.next = Some(next);
        self
    }
}

#[tonic::async_trait]
impl Hop for Node {
    async fn call(&self, request: Request<CallRequest>) -> Result<Response<CallReply>, Status> {
        let baggage = metadata_baggage(&request);
        let seen = (self.read)(&request)?;
        let next = match &self.next {
            None => None,
            Some(client) => {
                let cx = match &self.adds {
                    Some(route) => Context::current().with_typed(route).expect("fits"),
                    None => Context::current(),
                };
                let note = request.into_inner().note;
                let reply = client
                    .clone()
                    .call(CallRequest { note })
                    .with_context(cx)
                    .await?;
                Some(Box::new(reply.into_inner()))
            }
        };
        let mut response = Response::new(CallReply {
            seen,
            baggage,
            next,
        });
        if self.answers_with_baggage {
            let _ = response
                .metadata_mut()
                .insert("baggage", MetadataValue::from_static("internal.cost=17"));
        }
        Ok(response)
    }
}

/// The `baggage` metadata values of a request, as text.
fn metadata_baggage(request: &Request<CallRequest>) -> Vec<String> {
    request
        .metadata()
        .get_all("baggage")
        .iter()
        .map(|v| v.to_str().unwrap_or("<not ascii>").to_owned())
        .collect()
}

/// The caller, or the status message of the failed read.
fn read_caller(request: &Request<CallRequest>) -> Result<String, Status> {
    Ok(match request.typed::<Caller>() {
        Ok(c) => format!("{c:?}"),
        Err(status) => format!("{:?}: {}", status.code(), status.message()),
    })
}

/// The caller, or the call fails with the read's status.
fn require_caller(request: &Request<CallRequest>) -> Result<String, Status> {
    Ok(format!("{:?}", request.typed::<Caller>()?))
}

/// The caller and the route, both required.
fn require_caller_and_route(request: &Request<CallRequest>) -> Result<String, Status> {
    Ok(format!(
        "{:?} {:?}",
        request.typed::<Caller>()?,
        request.typed::<Route>()?
    ))
}

/// The flags and the caller, each or its error.
fn read_flags_and_caller(request: &Request<CallRequest>) -> Result<String, Status> {
    let flags = match request.typed::<Flags>() {
        Ok(f) => format!("{f:?}"),
        Err(status) => status.message().to_owned(),
    };
    Ok(format!("{flags} | {}", read_caller(request)?))
}

fn read_nothing(_: &Request<CallRequest>) -> Result<String, Status> {
    Ok(String::new())
}

/// Serves `node` behind `layer` on an ephemeral loopback port.
async fn serve(layer: BaggageLayer, node: Node) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let server = Server::builder()
        .layer(layer)
        .add_service(HopServer::new(node))
        .serve_with_incoming(TcpIncoming::from(listener));
    tokio::spawn(async move { server.await.expect("server runs") });
    addr
}

/// A client of `url` (`http://host:port`) whose outbound layer sends
/// baggage to `destinations` only, its origin the channel's endpoint.
fn client(url: String, destinations: Destinations) -> Client {
    let endpoint = Endpoint::from_shared(url).expect("endpoint");
    let outbound = OutboundBaggageLayer::new(destinations).layer(endpoint.connect_lazy());
    HopClient::with_origin(outbound, endpoint.uri().clone())
}

/// `localhost` is the only allowed host: `127.0.0.1` is elsewhere.
fn internal() -> Destinations {
    Destinations::hosts(["localhost"])
}

fn via_localhost(addr: SocketAddr) -> String {
    format!("http://localhost:{}", addr.port())
}

/// Calls `addr` as an outside caller: no layer, the `baggage` metadata
/// values exactly as given.
async fn call_from_outside(addr: SocketAddr, baggage: &[&str]) -> Result<CallReply, Status> {
    let channel = Endpoint::from_shared(format!("http://127.0.0.1:{}", addr.port()))
        .expect("endpoint")
        .connect_lazy();
    let mut request = Request::new(CallRequest {
        note: "outside".into(),
    });
    for value in baggage {
        let _ = request
            .metadata_mut()
            .append("baggage", value.parse().expect("ascii metadata"));
    }
    HopClient::new(channel)
        .call(request)
        .await
        .map(Response::into_inner)
}

#[tokio::test]
async fn typed_baggage_crosses_two_grpc_hops() {
    let b = serve(
        BaggageLayer::new(InboundPolicy::TrustAll),
        Node::reading(require_caller_and_route),
    )
    .await;
    let mut a = Node::reading(require_caller).then(client(via_localhost(b), internal()));
    a.adds = Some(Route {
        via: "a".into(),
        hops: 1,
    });
    let a = serve(BaggageLayer::new(InboundPolicy::TrustAll), a).await;

    let cx = Context::new().with_typed(&caller()).expect("fits");
    let reply = client(via_localhost(a), internal())
        .call(CallRequest { note: "n".into() })
        .with_context(cx)
        .await
        .expect("the chain answers")
        .into_inner();

    assert_eq!(reply.seen, format!("{:?}", caller()));
    assert_eq!(reply.baggage, [CALLER_HEADER]);
    let b = reply.next.expect("A called B");
    assert_eq!(
        b.seen,
        format!(
            "{:?} {:?}",
            caller(),
            Route {
                via: "a".into(),
                hops: 1
            }
        )
    );
    assert_eq!(
        b.baggage,
        [format!("{CALLER_HEADER},route.hops=1,route.via=a")]
    );
    assert_eq!(b.next, None);
}

/// What an outside caller forges: a premium tier, and a flag.
const FORGED: &str = "app.user_id=2,app.tier=premium,ff.new_checkout=true";

#[tokio::test]
async fn a_forged_tier_is_stopped_at_a_drop_all_edge() {
    let b = serve(
        BaggageLayer::new(InboundPolicy::TrustAll),
        Node::reading(read_caller),
    )
    .await;
    let edge_layer = BaggageLayer::new(InboundPolicy::DropAll);
    let edge = serve(
        edge_layer.clone(),
        Node::reading(read_caller).then(client(via_localhost(b), internal())),
    )
    .await;

    let reply = call_from_outside(edge, &[FORGED]).await.expect("answers");

    let nothing = "InvalidArgument: invalid baggage: app.user_id, app.tier: 2 baggage errors: \
                   baggage key `app.user_id` is missing: expected an unsigned 64-bit integer (u64); \
                   baggage key `app.tier` is missing: expected one of `free`, `premium` (Tier)";
    // The edge's handler reads no caller, and its request no longer
    // carries the header: nothing can forward it.
    assert_eq!(reply.seen, nothing);
    assert!(reply.baggage.is_empty(), "{:?}", reply.baggage);
    let b = reply.next.expect("the edge called B");
    assert_eq!(b.seen, nothing);
    assert!(b.baggage.is_empty(), "{:?}", b.baggage);
    assert_eq!(edge_layer.dropped_by_policy(), 1);
}

#[tokio::test]
async fn a_forged_tier_is_stopped_at_an_allowlist_edge() {
    let b = serve(
        BaggageLayer::new(InboundPolicy::TrustAll),
        Node::reading(read_flags_and_caller),
    )
    .await;
    let edge_layer = BaggageLayer::new(InboundPolicy::Allow(Allowlist::new().schema::<Flags>()));
    let edge = serve(
        edge_layer.clone(),
        Node::reading(read_flags_and_caller).then(client(via_localhost(b), internal())),
    )
    .await;

    let reply = call_from_outside(edge, &[FORGED]).await.expect("answers");

    let seen = "Flags { new_checkout: true } | InvalidArgument: invalid baggage: app.user_id, \
                app.tier: 2 baggage errors: baggage key `app.user_id` is missing: expected an \
                unsigned 64-bit integer (u64); baggage key `app.tier` is missing: expected one \
                of `free`, `premium` (Tier)";
    assert_eq!(reply.seen, seen);
    assert!(reply.baggage.is_empty(), "{:?}", reply.baggage);
    let b = reply.next.expect("the edge called B");
    assert_eq!(b.seen, seen);
    // B receives the flag, written again from the edge's context, and
    // nothing of the forged caller.
    assert_eq!(b.baggage, ["ff.new_checkout=true"]);
    assert_eq!(edge_layer.dropped_by_policy(), 2);
}

#[tokio::test]
async fn a_typed_read_fails_with_invalid_argument_naming_the_keys() {
    let server = serve(
        BaggageLayer::new(InboundPolicy::TrustAll),
        Node::reading(require_caller),
    )
    .await;

    // Nothing sent: both required keys are named.
    let status = call_from_outside(server, &[]).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        status.message(),
        "invalid baggage: app.user_id, app.tier: 2 baggage errors: baggage key `app.user_id` \
         is missing: expected an unsigned 64-bit integer (u64); baggage key `app.tier` is \
         missing: expected one of `free`, `premium` (Tier)"
    );

    // A hostile value: cut and escaped in the message, never echoed raw.
    let hostile = format!(
        "app.user_id=12a%0D%0Ax-forged:%20{},app.tier=premium",
        "9".repeat(500)
    );
    let status = call_from_outside(server, &[&hostile]).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let message = status.message();
    assert!(
        message.starts_with(
            "invalid baggage: app.user_id: baggage key `app.user_id` has an invalid value: \
             expected an unsigned 64-bit integer (u64), found \"12a\\r\\nx-forged: 999"
        ),
        "{message}"
    );
    assert!(
        !message.contains('\r') && !message.contains('\n'),
        "{message}"
    );
    assert!(message.len() < 300, "{} bytes: {message}", message.len());

    // A valid caller reads.
    let reply = call_from_outside(server, &[CALLER_HEADER])
        .await
        .expect("answers");
    assert_eq!(reply.seen, format!("{:?}", caller()));
}

#[tokio::test]
async fn the_client_sends_baggage_only_toward_allowed_hosts() {
    let server = serve(
        BaggageLayer::new(InboundPolicy::TrustAll),
        Node::reading(read_nothing),
    )
    .await;
    let cx = Context::new().with_typed(&caller()).expect("fits");
    let hand_set = || {
        let mut request = Request::new(CallRequest::default());
        let _ = request
            .metadata_mut()
            .insert("baggage", MetadataValue::from_static("hand.set=1"));
        request
    };

    // Allowed (`localhost`): the context's baggage, in place of the
    // header set by hand.
    let reply = client(via_localhost(server), internal())
        .call(hand_set())
        .with_context(cx.clone())
        .await
        .expect("answers")
        .into_inner();
    assert_eq!(reply.baggage, [CALLER_HEADER]);

    // The same server as `127.0.0.1`, not allowed: nothing, not even the
    // header set by hand.
    let reply = client(format!("http://127.0.0.1:{}", server.port()), internal())
        .call(hand_set())
        .with_context(cx.clone())
        .await
        .expect("answers")
        .into_inner();
    assert!(reply.baggage.is_empty(), "{:?}", reply.baggage);

    // A client made with `new`, not `with_origin`: its requests name no
    // host above the channel, so the layer sends nothing (fails closed).
    let channel = Endpoint::from_shared(via_localhost(server))
        .expect("endpoint")
        .connect_lazy();
    let mut no_origin = HopClient::new(OutboundBaggageLayer::new(internal()).layer(channel));
    let reply = no_origin
        .call(hand_set())
        .with_context(cx)
        .await
        .expect("answers")
        .into_inner();
    assert!(reply.baggage.is_empty(), "{:?}", reply.baggage);
}

#[tokio::test]
async fn over_the_w3c_limits_nothing_is_read_and_the_rejection_is_counted() {
    let propagator = BaggagePropagator::new();
    let counters = propagator.counters();
    let server = serve(
        BaggageLayer::new(InboundPolicy::TrustAll).with_propagator(propagator),
        Node::reading(read_caller),
    )
    .await;

    // 8193 bytes in two values: one too many.
    let first = format!("{CALLER_HEADER},pad=");
    let first = format!("{first}{}", "x".repeat(8000 - first.len()));
    let second = format!("more={}", "y".repeat(193 - "more=".len()));
    assert_eq!(first.len() + second.len(), 8193);
    let reply = call_from_outside(server, &[&first, &second])
        .await
        .expect("answers");
    assert!(
        reply
            .seen
            .starts_with("InvalidArgument: invalid baggage: app.user_id, app.tier"),
        "{}",
        reply.seen
    );
    assert_eq!(counters.extract_headers_rejected(), 1);

    // 8192 bytes: read.
    let second = &second[..second.len() - 1];
    let reply = call_from_outside(server, &[&first, second])
        .await
        .expect("answers");
    assert_eq!(reply.seen, format!("{:?}", caller()));
    assert_eq!(counters.extract_headers_rejected(), 1);
}

#[tokio::test]
async fn a_handler_reads_what_the_http_pipeline_reads_from_the_same_bytes() {
    let server = serve(
        BaggageLayer::new(InboundPolicy::TrustAll),
        Node::reading(read_caller),
    )
    .await;
    let cases: [&[&str]; 7] = [
        &["app.user_id = 7 ,app.tier=premium,\tapp.region=eu%20west"],
        &["app.user_id=1,app.tier=free", "app.user_id=2"],
        &["app.user_id=7,app.tier=premium,no-equals,app.region=%zz"],
        &["app.user_id=7;p=1,app.tier=premium;ttl", "app.region=a=b"],
        &["app.user_id=18446744073709551616,app.tier=gold"],
        &[",,, ,", "app.tier=free,app.user_id=0,app.region="],
        &["app.user_id=7,app.tier=Premium,app.region=%C3%A9t%C3%A9+"],
    ];
    let direct = BaggagePropagator::new();
    for values in cases {
        let expected = match direct.read_typed::<Caller, _>(values.iter().copied()) {
            Ok(c) => format!("{c:?}"),
            Err(e) => {
                let status = invalid_argument(e);
                format!("{:?}: {}", status.code(), status.message())
            }
        };
        let reply = call_from_outside(server, values).await.expect("answers");
        assert_eq!(reply.seen, expected, "{values:?}");
    }
}

#[tokio::test]
async fn responses_carry_no_baggage_out() {
    let layer = BaggageLayer::new(InboundPolicy::TrustAll);
    let mut node = Node::reading(read_nothing);
    node.answers_with_baggage = true;
    let server = serve(layer.clone(), node).await;
    let channel = Endpoint::from_shared(format!("http://127.0.0.1:{}", server.port()))
        .expect("endpoint")
        .connect_lazy();
    let response = HopClient::new(channel)
        .call(CallRequest::default())
        .await
        .expect("answers");
    assert!(response.metadata().get("baggage").is_none());
    assert_eq!(layer.response_baggage_removed(), 1);

    let mut node = Node::reading(read_nothing);
    node.answers_with_baggage = true;
    let allowed = serve(
        BaggageLayer::new(InboundPolicy::TrustAll).allow_response_baggage(true),
        node,
    )
    .await;
    let channel = Endpoint::from_shared(format!("http://127.0.0.1:{}", allowed.port()))
        .expect("endpoint")
        .connect_lazy();
    let response = HopClient::new(channel)
        .call(CallRequest::default())
        .await
        .expect("answers");
    assert_eq!(
        response
            .metadata()
            .get("baggage")
            .map(|v| v.to_str().unwrap()),
        Some("internal.cost=17")
    );
}

/// The local schema, or the status message of the failed read.
fn read_shard(request: &Request<CallRequest>) -> Result<String, Status> {
    Ok(match request.typed::<Shard>() {
        Ok(s) => format!("{s:?}"),
        Err(status) => format!("{:?}: {}", status.code(), status.message()),
    })
}

#[tokio::test]
async fn a_local_schema_is_never_sent_in_metadata_nor_read_from_it() {
    let b = serve(
        BaggageLayer::new(InboundPolicy::TrustAll),
        Node::reading(read_shard),
    )
    .await;
    let reply = client(via_localhost(b), internal())
        .call(CallRequest { note: "n".into() })
        .with_context(caller_and_shard())
        .await
        .expect("B answers")
        .into_inner();
    assert_eq!(reply.baggage, [CALLER_HEADER]);
    // B has no local entries of its own: the read finds nothing.
    assert_eq!(
        reply.seen,
        "InvalidArgument: invalid baggage: shard.id, shard.route: 2 baggage errors: baggage key `shard.id` is missing: expected an unsigned 32-bit integer (u32); baggage key `shard.route` is missing: expected any text (String)"
    );

    // A caller that forges the local keys in metadata: not read either.
    let forged = format!("{FORGED_SHARD},{CALLER_HEADER}");
    let reply = call_from_outside(b, &[&forged]).await.expect("B answers");
    assert_eq!(reply.baggage, [forged.as_str()]);
    assert!(
        reply
            .seen
            .starts_with("InvalidArgument: invalid baggage: shard.id, shard.route:"),
        "{}",
        reply.seen
    );
}
