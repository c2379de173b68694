//! gRPC with [tonic]: typed baggage on tonic servers and clients.
//!
//! gRPC metadata travels as HTTP/2 headers, and tonic servers and clients
//! are tower services over `http::Request`, so a gRPC hop uses the HTTP
//! carrier as it is: the same layers, the same read pipeline, the same
//! trust model. This module adds only what is gRPC's own: reading a typed
//! schema in a handler, with a [`Status`] for what is missing or invalid.
//!
//! - **Server**: [`BaggageLayer`](crate::tower::BaggageLayer) with its
//!   [`InboundPolicy`](crate::policy::InboundPolicy), on the server
//!   (`Server::builder().layer(BaggageLayer::new(policy))`). It reads the
//!   `baggage` metadata under the policy (drop-all removes it from the
//!   request, an allowlist keeps its keys, over the W3C limits nothing is
//!   read), and runs the handler inside the resulting context, so that an
//!   outgoing call from the handler forwards it. It removes `baggage`
//!   from the response headers, which carry the response metadata and the
//!   status of a call that fails before any message. (Trailers, which
//!   carry the status of a streaming call that ends after messages, are
//!   in the body, out of the layer's reach: never put baggage in a
//!   `Status`'s metadata.)
//! - **Handler**: [`BaggageRequestExt::typed`] reads a schema from that
//!   context; a missing or invalid field is
//!   [`Status::invalid_argument`], the message naming the keys
//!   ([`invalid_argument`]). The handler never reads the raw metadata, so
//!   it cannot bypass the policy.
//! - **Client**: [`OutboundBaggageLayer`](crate::tower::OutboundBaggageLayer)
//!   around the channel writes the current context's baggage toward
//!   allowed [`Destinations`](crate::policy::Destinations) only, and
//!   removes `baggage` metadata set by hand toward any other. The
//!   destination is the host of the request's URI: build the client with
//!   its **origin set to the channel's endpoint**
//!   (`HopClient::with_origin(layered_channel, endpoint_uri)`), since a
//!   client made with `new` sends URIs with a path only (the channel adds
//!   its endpoint below the layer), and a request without a host gets no
//!   baggage (unless the destinations are [`Destinations::any`](crate::policy::Destinations::any)).
//!
//! ```
//! use tonic::client::Grpc;
//! use tower_layer::Layer;
//! use typed_baggage::grpc::BaggageRequestExt;
//! use typed_baggage::prelude::*;
//! use typed_baggage::tower::{
//!     BaggageLayer, Destinations, InboundPolicy, OutboundBaggageLayer, OutboundBaggageService,
//! };
//!
//! #[derive(Baggage, Debug, PartialEq)]
//! #[baggage(prefix = "app.")]
//! struct UserCtx { user_id: u64 }
//!
//! // server: `Server::builder().layer(layer).add_service(...)`
//! let layer = BaggageLayer::new(InboundPolicy::TrustAll);
//!
//! // in a handler of the service
//! fn handle(request: tonic::Request<()>) -> Result<u64, tonic::Status> {
//!     let user: UserCtx = request.typed()?;
//!     Ok(user.user_id)
//! }
//!
//! // client: baggage to `*.internal` only, the destination being the
//! // channel's endpoint, set as the client's origin
//! fn client<C>(channel: C, endpoint: http::Uri) -> Grpc<OutboundBaggageService<C>> {
//!     let outbound = OutboundBaggageLayer::new(Destinations::hosts(["*.internal"]));
//!     Grpc::with_origin(outbound.layer(channel), endpoint)
//! }
//! # let _ = (layer, handle, client::<()>);
//! ```
//!
//! Generated clients have the same constructor
//! (`HopClient::with_origin(outbound.layer(channel), endpoint.uri().clone())`,
//! with `channel = endpoint.connect_lazy()`), and so the layer judges the
//! host the channel connects to. A channel that balances over several
//! endpoints ([`Channel::balance_list`]) sends each call to one of them,
//! which the layer above it cannot see: give it endpoints that the
//! destinations all allow, or all refuse.
//!
//! [`Channel::balance_list`]: https://docs.rs/tonic/0.14/tonic/transport/channel/struct.Channel.html#method.balance_list

use std::sync::Arc;

use opentelemetry::Context;
use tonic::{Request, Status};

use crate::tower::IncomingContext;
use crate::{Baggage, Error};

/// Typed baggage of a tonic request, in a handler: read from the context
/// that [`BaggageLayer`](crate::tower::BaggageLayer) made for the request
/// (after its inbound policy), or else from the current context, as the
/// axum extractor reads it.
///
/// ```
/// use opentelemetry::Context;
/// use typed_baggage::grpc::BaggageRequestExt;
/// use typed_baggage::prelude::*;
/// use typed_baggage::tower::IncomingContext;
///
/// #[derive(Baggage, Debug, PartialEq)]
/// #[baggage(prefix = "app.")]
/// struct UserCtx { user_id: u64, region: Option<String> }
///
/// // what the layer puts in the request's extensions
/// let cx = Context::new().with_typed(&UserCtx { user_id: 7, region: None })?;
/// let mut request = tonic::Request::new(());
/// request.extensions_mut().insert(IncomingContext(cx));
///
/// assert_eq!(request.typed::<UserCtx>()?, UserCtx { user_id: 7, region: None });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait BaggageRequestExt: sealed::Sealed {
    /// The context the layer made for this request, or the current one.
    ///
    /// A handler that calls other services runs in this context already
    /// (the layer polls it there); this is for work it hands to other
    /// tasks (`tokio::spawn(work.with_context(request.baggage_context()))`).
    ///
    /// ```
    /// use opentelemetry::{baggage::BaggageExt, Context, KeyValue};
    /// use typed_baggage::grpc::BaggageRequestExt;
    /// use typed_baggage::tower::IncomingContext;
    ///
    /// let cx = Context::new().with_baggage([KeyValue::new("app.user_id", "7")]);
    /// let mut request = tonic::Request::new(());
    /// request.extensions_mut().insert(IncomingContext(cx));
    /// let value = request.baggage_context().baggage().get("app.user_id").map(|v| v.to_string());
    /// assert_eq!(value.as_deref(), Some("7"));
    /// ```
    fn baggage_context(&self) -> Context;

    /// Reads `T` from [`BaggageRequestExt::baggage_context`]: a missing
    /// or invalid field (every one, for several) is
    /// [`Status::invalid_argument`], whose message names the keys
    /// ([`invalid_argument`]).
    ///
    /// ```
    /// use typed_baggage::grpc::BaggageRequestExt;
    /// use typed_baggage::prelude::*;
    /// use typed_baggage::tower::IncomingContext;
    ///
    /// #[derive(Baggage, Debug)]
    /// #[baggage(prefix = "app.")]
    /// struct UserCtx { user_id: u64 }
    ///
    /// let mut request = tonic::Request::new(());
    /// request.extensions_mut().insert(IncomingContext(opentelemetry::Context::new()));
    /// let status = request.typed::<UserCtx>().unwrap_err();
    /// assert_eq!(status.code(), tonic::Code::InvalidArgument);
    /// assert_eq!(
    ///     status.message(),
    ///     "invalid baggage: app.user_id: baggage key `app.user_id` is missing: \
    ///      expected an unsigned 64-bit integer (u64)"
    /// );
    /// ```
    fn typed<T: Baggage>(&self) -> Result<T, Status>;
}

impl<M> BaggageRequestExt for Request<M> {
    fn baggage_context(&self) -> Context {
        IncomingContext::of(self.extensions())
    }

    fn typed<T: Baggage>(&self) -> Result<T, Status> {
        IncomingContext::read::<T>(self.extensions()).map_err(invalid_argument)
    }
}

mod sealed {
    pub trait Sealed {}
    impl<M> Sealed for tonic::Request<M> {}
}

/// The [`Status`] of a typed read that failed: `INVALID_ARGUMENT`, the
/// message `invalid baggage: <keys>: <error>`, and the [`Error`] itself as
/// the status's source (for a server-side interceptor or log to downcast).
///
/// The message is the error's `Display`, which names each key, what was
/// expected and what was found, the found text cut to at most
/// [`FOUND_EXCERPT_BYTES`](crate::FOUND_EXCERPT_BYTES) bytes and escaped:
/// what a caller sent is never echoed back raw. (tonic percent-encodes the
/// message on the wire, `grpc-message`.)
///
/// ```
/// use typed_baggage::grpc::invalid_argument;
/// use typed_baggage::Error;
///
/// let status = invalid_argument(Error::Invalid {
///     key: "app.user_id".into(),
///     expected: "an unsigned 64-bit integer (u64)".into(),
///     found: "12a".into(),
///     detail: None,
/// });
/// assert_eq!(status.code(), tonic::Code::InvalidArgument);
/// assert_eq!(
///     status.message(),
///     "invalid baggage: app.user_id: baggage key `app.user_id` has an invalid value: \
///      expected an unsigned 64-bit integer (u64), found \"12a\""
/// );
/// let source = std::error::Error::source(&status).and_then(|e| e.downcast_ref::<Error>());
/// assert_eq!(source.and_then(Error::key), Some("app.user_id"));
/// ```
pub fn invalid_argument(error: Error) -> Status {
    let keys: Vec<&str> = error.keys().collect();
    let message = if keys.is_empty() {
        format!("invalid baggage: {error}")
    } else {
        format!("invalid baggage: {}: {error}", keys.join(", "))
    };
    let mut status = Status::invalid_argument(message);
    let _ = status.set_source(Arc::new(error));
    status
}
