//! Tower middleware: trust at the edge, baggage only to allowed destinations.
//!
//! - [`BaggageLayer`] (server side) extracts the incoming `baggage` header,
//!   applies an explicit [`InboundPolicy`], and runs the inner service
//!   inside the resulting context: its `call` and every poll of its
//!   future, so `T::from_current()` works anywhere in a handler, across
//!   `.await` points, and a client layer in the same stack (a proxy) sends
//!   the caller's baggage on. Spawned tasks keep it with
//!   `opentelemetry::context::FutureExt::with_current_context`. It also
//!   removes any `baggage` header from the responses, unless
//!   [`BaggageLayer::allow_response_baggage`] says otherwise.
//! - [`OutboundBaggageLayer`] (client side) writes the current context's
//!   baggage on outgoing requests only toward allowed [`Destinations`], and
//!   removes any `baggage` header from requests to everywhere else, so
//!   baggage never leaks to third parties.
//!
//! Baggage from the public internet is attacker-controlled: a client can
//! send `app.tier=premium`. An edge service uses [`InboundPolicy::DropAll`]
//! or an [`Allowlist`]; an internal hop behind such an edge uses
//! [`InboundPolicy::TrustAll`].
//!
//! ```
//! use typed_baggage::prelude::*;
//! use typed_baggage::tower::{Allowlist, BaggageLayer, InboundPolicy};
//!
//! #[derive(Baggage)]
//! #[baggage(prefix = "ff.")]
//! struct Flags { new_checkout: bool }
//!
//! // An edge that accepts only the feature-flag schema from clients.
//! let layer = BaggageLayer::new(InboundPolicy::Allow(Allowlist::new().schema::<Flags>()));
//! # let _ = layer;
//! ```
//!
//! # Redirects: the order of the layers
//!
//! [`OutboundBaggageLayer`] checks the destination of each request it
//! sends. A layer that follows redirects (`tower-http`'s
//! `FollowRedirectLayer`) sends the next request itself, with the headers
//! of the first one, to wherever the `Location` points: placed *between*
//! the outbound layer and the client, it would carry baggage meant for an
//! allowed host to any host that host redirects to. Two orders are safe:
//!
//! - **The redirect layer outside, the outbound layer inside** (`.layer(
//!   FollowRedirectLayer::new()).layer(OutboundBaggageLayer::new(..))`):
//!   every hop goes through the outbound layer, which writes the baggage
//!   of the current context toward an allowed host and removes it toward
//!   any other. The redirect's request is sent when the response future
//!   is polled, so the future must run in the request's context (inside a
//!   [`BaggageLayer`] handler, or with `.with_context(cx)`).
//! - **The outbound layer outside, the redirect layer inside, with
//!   `Destinations::redirect_policy()` as its policy** (feature
//!   `follow-redirect`): the policy removes the `baggage` header from each
//!   redirect toward a destination that is not allowed.
//!
//! The outbound layer outside a redirect layer with any other policy is
//! **not** safe: the layers cannot see each other, so nothing stops it.
//!
//! # Responses
//!
//! Baggage goes downstream only. A response with a `baggage` header would
//! hand a service's context (or, from a handler that echoes request
//! headers, the caller's own input) back out, to clients a service does
//! not know. [`BaggageLayer`] removes every `baggage` header from the
//! responses of its service, counts the responses it took one from
//! ([`BaggageLayer::response_baggage_removed`]) and logs each at `DEBUG`,
//! unless [`BaggageLayer::allow_response_baggage`] allows it.
//!
//! # Logs
//!
//! Every drop is counted and recorded exactly (the propagator's
//! [`Counters`](crate::propagation::Counters), the layer's counters, the
//! [`metrics`](crate::metrics)), and logged under the `tracing` target
//! `typed_baggage` in a way a hostile peer cannot use to fill the logs:
//!
//! - one event per request, never one per entry: the malformed members of
//!   one extraction make one `WARN` event (how many, the reason and an
//!   excerpt of the first), the entries an [`Allowlist`] drops from one
//!   request one `DEBUG` event (how many, and an excerpt of one key);
//! - what an event quotes from a request is cut to at most
//!   [`FOUND_EXCERPT_BYTES`](crate::FOUND_EXCERPT_BYTES) bytes and escaped;
//! - at most 20 events a second at `WARN`, and 20 at `DEBUG`, for the
//!   whole process (events the subscriber does not want are not counted);
//!   the events left out over that are counted, and the next event written
//!   says how many (`suppressed=N`).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{ready, Context as TaskContext, Poll};

use http::{Request, Response, Uri};
use opentelemetry::baggage::BaggageExt;
use opentelemetry::context::{FutureExt, WithContext};
use opentelemetry::Context;
use tower_layer::Layer;
use tower_service::Service;

use crate::http::BAGGAGE_HEADER;
use crate::propagation::BaggagePropagator;
use crate::report::limited;
use crate::Baggage;

pub use crate::policy::{Allowlist, Destinations, InboundPolicy};

use crate::policy::outgoing_removed;

/// Counters shared by the clones of one layer.
#[derive(Debug, Default)]
struct Counters {
    dropped_by_policy: AtomicU64,
    response_baggage_removed: AtomicU64,
}

/// Server-side layer: extracts incoming baggage under an [`InboundPolicy`],
/// runs the inner service inside that context, and removes baggage from
/// its responses.
#[derive(Debug, Clone)]
pub struct BaggageLayer {
    policy: Arc<InboundPolicy>,
    propagator: BaggagePropagator,
    counters: Arc<Counters>,
    allow_response_baggage: bool,
}

impl BaggageLayer {
    /// A layer with this policy and the default W3C propagator.
    pub fn new(policy: InboundPolicy) -> Self {
        BaggageLayer {
            policy: Arc::new(policy),
            propagator: crate::http::default_propagator().clone(),
            counters: Arc::default(),
            allow_response_baggage: false,
        }
    }

    /// Uses a configured propagator (for example one that reads Python's `+` as space).
    pub fn with_propagator(mut self, propagator: BaggagePropagator) -> Self {
        self.propagator = propagator;
        self
    }

    /// Lets the responses of the service carry a `baggage` header (default:
    /// `false`, every `baggage` header of a response is removed, and the
    /// response counted and logged at `DEBUG`).
    ///
    /// Only for a service whose callers are trusted peers that expect
    /// baggage back, a protocol of their own: baggage goes downstream, and
    /// a response header reaches whoever made the request.
    ///
    /// ```
    /// use typed_baggage::tower::{BaggageLayer, InboundPolicy};
    ///
    /// let layer = BaggageLayer::new(InboundPolicy::TrustAll).allow_response_baggage(true);
    /// assert!(layer.allows_response_baggage());
    /// assert!(!BaggageLayer::new(InboundPolicy::TrustAll).allows_response_baggage());
    /// ```
    pub fn allow_response_baggage(mut self, allow: bool) -> Self {
        self.allow_response_baggage = allow;
        self
    }

    /// Whether the responses may carry a `baggage` header
    /// ([`BaggageLayer::allow_response_baggage`]).
    ///
    /// ```
    /// use typed_baggage::tower::{BaggageLayer, InboundPolicy};
    /// assert!(!BaggageLayer::new(InboundPolicy::DropAll).allows_response_baggage());
    /// ```
    pub fn allows_response_baggage(&self) -> bool {
        self.allow_response_baggage
    }

    /// How many incoming entries the policy has dropped so far.
    ///
    /// ```
    /// use typed_baggage::tower::{BaggageLayer, InboundPolicy};
    /// assert_eq!(BaggageLayer::new(InboundPolicy::DropAll).dropped_by_policy(), 0);
    /// ```
    pub fn dropped_by_policy(&self) -> u64 {
        self.counters.dropped_by_policy.load(Ordering::Relaxed)
    }

    /// How many responses the layer has removed a `baggage` header from so
    /// far (see [`BaggageLayer::allow_response_baggage`]).
    ///
    /// ```
    /// use axum::{routing::get, Router};
    /// use typed_baggage::tower::{BaggageLayer, InboundPolicy};
    ///
    /// let layer = BaggageLayer::new(InboundPolicy::TrustAll);
    /// // a handler that (wrongly) answers with baggage: the layer removes it
    /// let app: Router = Router::new()
    ///     .route("/", get(|| async { ([("baggage", "internal.cost=17")], "ok") }))
    ///     .layer(layer.clone());
    /// # let _ = app;
    /// // e.g. in a metrics callback
    /// assert_eq!(layer.response_baggage_removed(), 0);
    /// ```
    pub fn response_baggage_removed(&self) -> u64 {
        self.counters
            .response_baggage_removed
            .load(Ordering::Relaxed)
    }
}

impl<S> Layer<S> for BaggageLayer {
    type Service = BaggageService<S>;

    fn layer(&self, inner: S) -> BaggageService<S> {
        BaggageService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`BaggageLayer`] makes.
#[derive(Debug, Clone)]
pub struct BaggageService<S> {
    inner: S,
    layer: BaggageLayer,
}

/// The context the inbound layer made for a request, in its extensions.
#[derive(Debug, Clone)]
pub struct IncomingContext(pub Context);

impl IncomingContext {
    /// The context a request's handler reads baggage from: the one the
    /// inbound layer put in `extensions`, or else the current context. What
    /// the axum extractor and the gRPC read use.
    ///
    /// ```
    /// use opentelemetry::{baggage::BaggageExt, Context, KeyValue};
    /// use typed_baggage::tower::IncomingContext;
    ///
    /// let mut extensions = http::Extensions::new();
    /// let cx = Context::new().with_baggage([KeyValue::new("k", "v")]);
    /// extensions.insert(IncomingContext(cx));
    /// let read = IncomingContext::of(&extensions);
    /// assert_eq!(read.baggage().get("k").map(|v| v.as_str()), Some("v"));
    /// ```
    pub fn of(extensions: &http::Extensions) -> Context {
        match extensions.get::<IncomingContext>() {
            Some(IncomingContext(cx)) => cx.clone(),
            None => Context::current(),
        }
    }

    /// Reads `T` from the context [`IncomingContext::of`] gives, without
    /// cloning it. A local schema (`#[baggage(local)]`) never came with the
    /// request: it is read from the current context, where the service's
    /// own middleware wrote it.
    pub fn read<T: Baggage>(extensions: &http::Extensions) -> Result<T, crate::Error> {
        if T::SCHEMA.local {
            return T::from_current();
        }
        match extensions.get::<IncomingContext>() {
            Some(IncomingContext(cx)) => T::from_context(cx),
            None => T::from_current(),
        }
    }
}

impl<S> BaggageService<S> {
    /// The context of `req` under the layer's policy; the request's
    /// `baggage` header is removed unless the policy trusts it.
    fn incoming<B>(&self, req: &mut Request<B>) -> Context {
        let layer = &self.layer;
        let values = req.headers().get_all(&BAGGAGE_HEADER);
        let admitted = layer.policy.admit(&layer.propagator, || values.iter());
        if !matches!(*layer.policy, InboundPolicy::TrustAll) {
            let _ = req.headers_mut().remove(&BAGGAGE_HEADER);
        }
        if admitted.dropped > 0 {
            let _ = layer
                .counters
                .dropped_by_policy
                .fetch_add(admitted.dropped, Ordering::Relaxed);
        }
        Context::current().with_baggage(admitted.baggage)
    }
}

impl<S, B, ResBody> Service<Request<B>> for BaggageService<S>
where
    S: Service<Request<B>, Response = Response<ResBody>>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let cx = self.incoming(&mut req);
        let _ = req.extensions_mut().insert(IncomingContext(cx.clone()));
        // The context is current for the inner `call` too, not only for its
        // future: a client layer below (a proxy) reads it there. The guard
        // is dropped before this returns, never held across an await.
        let inner = {
            let _guard = cx.clone().attach();
            self.inner.call(req)
        };
        let strip = (!self.layer.allow_response_baggage).then(|| self.layer.counters.clone());
        ResponseFuture {
            inner: inner.with_context(cx),
            strip: strip.map(ResponseStrip),
        }
    }
}

/// Removes `baggage` from the responses of one layer, counting them.
struct ResponseStrip(Arc<Counters>);

impl ResponseStrip {
    fn apply<B>(&self, response: &mut Response<B>) {
        let headers = response.headers_mut();
        if !headers.contains_key(&BAGGAGE_HEADER) {
            return;
        }
        let values = headers.get_all(&BAGGAGE_HEADER).iter().count();
        let _ = headers.remove(&BAGGAGE_HEADER);
        let _ = self
            .0
            .response_baggage_removed
            .fetch_add(1, Ordering::Relaxed);
        response_baggage_removed(values);
    }
}

pin_project_lite::pin_project! {
    /// The future of [`BaggageService`]: the inner service's future, polled
    /// inside the request's context, whose response has its `baggage`
    /// headers removed unless the layer allows them.
    pub struct ResponseFuture<F> {
        #[pin]
        inner: WithContext<F>,
        strip: Option<ResponseStrip>,
    }
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("removes_response_baggage", &self.strip.is_some())
            .finish_non_exhaustive()
    }
}

impl<F, ResBody, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
{
    type Output = Result<Response<ResBody>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut output = ready!(this.inner.poll(cx));
        if let (Ok(response), Some(strip)) = (&mut output, this.strip.as_ref()) {
            strip.apply(response);
        }
        Poll::Ready(output)
    }
}

impl Destinations {
    /// `true` if baggage may be sent to `uri`. A URI without a host is not allowed.
    pub fn allows(&self, uri: &Uri) -> bool {
        match uri.host() {
            Some(host) => self.allows_host(host),
            None => self.allows_any(),
        }
    }

    /// Removes every `baggage` header from `req` if its destination is not
    /// allowed (logged at `DEBUG`). Returns whether the destination is allowed.
    ///
    /// ```
    /// use typed_baggage::tower::Destinations;
    ///
    /// let d = Destinations::hosts(["billing.internal"]);
    /// let mut req = http::Request::get("http://elsewhere.example/")
    ///     .header("baggage", "app.user_id=7")
    ///     .body(())
    ///     .unwrap();
    /// assert!(!d.strip(&mut req));
    /// assert!(req.headers().get("baggage").is_none());
    /// ```
    pub fn strip<B>(&self, req: &mut Request<B>) -> bool {
        let allowed = self.allows(req.uri());
        if !allowed && req.headers_mut().remove(&BAGGAGE_HEADER).is_some() {
            outgoing_removed(req.uri().host());
        }
        allowed
    }
}

#[cfg(feature = "follow-redirect")]
mod follow_redirect {
    use http::Request;
    use tower_http::follow_redirect::policy::{Action, Attempt, Policy, Standard};

    use super::Destinations;

    impl Destinations {
        /// A `tower-http` follow-redirect policy that keeps outgoing
        /// baggage to these destinations on every hop: tower-http's
        /// [`Standard`] policy (at most 20 redirects, credentials removed
        /// across origins), and the `baggage` header removed from each
        /// request toward a destination that is not allowed.
        ///
        /// With it, the redirect layer may sit below the
        /// [`OutboundBaggageLayer`](super::OutboundBaggageLayer); with any
        /// other policy it must sit above it (see the [module
        /// documentation](super#redirects-the-order-of-the-layers)).
        ///
        /// ```
        /// use tower_http::follow_redirect::{FollowRedirect, FollowRedirectLayer};
        /// use tower_layer::Layer;
        /// use typed_baggage::tower::{
        ///     Destinations, OutboundBaggageLayer, OutboundBaggageService, RedirectPolicy,
        /// };
        ///
        /// /// Any HTTP client (`hyper-util`'s, ...): baggage to `*.internal`
        /// /// only, on the first request and on every redirect.
        /// fn with_baggage<C: Clone>(client: C) -> OutboundBaggageService<FollowRedirect<C, RedirectPolicy>> {
        ///     let destinations = Destinations::hosts(["*.internal"]);
        ///     let client = FollowRedirectLayer::with_policy(destinations.redirect_policy()).layer(client);
        ///     OutboundBaggageLayer::new(destinations).layer(client)
        /// }
        /// # let _ = with_baggage(axum::Router::<()>::new());
        /// ```
        pub fn redirect_policy(&self) -> RedirectPolicy {
            RedirectPolicy::new(self.clone(), Standard::default())
        }
    }

    /// A follow-redirect policy: `P` decides which redirects to follow,
    /// and the `baggage` header is removed from every request (the first
    /// and each redirect) toward a destination that is not allowed.
    ///
    /// ```
    /// use tower_http::follow_redirect::policy::{Limited, Policy};
    /// use typed_baggage::tower::{Destinations, RedirectPolicy};
    ///
    /// // at most 3 redirects, baggage only to `*.internal`
    /// let mut policy = RedirectPolicy::new(Destinations::hosts(["*.internal"]), Limited::new(3));
    ///
    /// // what the redirect layer calls before it sends each request
    /// let mut to_internal = http::Request::get("http://billing.internal/")
    ///     .header("baggage", "app.user_id=7")
    ///     .body(())
    ///     .unwrap();
    /// Policy::<(), ()>::on_request(&mut policy, &mut to_internal);
    /// assert_eq!(to_internal.headers()["baggage"], "app.user_id=7");
    ///
    /// let mut elsewhere = http::Request::get("https://attacker.example/")
    ///     .header("baggage", "app.user_id=7")
    ///     .body(())
    ///     .unwrap();
    /// Policy::<(), ()>::on_request(&mut policy, &mut elsewhere);
    /// assert!(elsewhere.headers().get("baggage").is_none());
    /// ```
    #[derive(Debug, Clone)]
    pub struct RedirectPolicy<P = Standard> {
        destinations: Destinations,
        policy: P,
    }

    impl<P> RedirectPolicy<P> {
        /// Follows the redirects `policy` follows, sending baggage to
        /// `destinations` only.
        pub fn new(destinations: Destinations, policy: P) -> Self {
            RedirectPolicy {
                destinations,
                policy,
            }
        }
    }

    impl<P, B, E> Policy<B, E> for RedirectPolicy<P>
    where
        P: Policy<B, E>,
    {
        fn redirect(&mut self, attempt: &Attempt<'_>) -> Result<Action, E> {
            self.policy.redirect(attempt)
        }

        fn on_request(&mut self, request: &mut Request<B>) {
            self.policy.on_request(request);
            let _ = self.destinations.strip(request);
        }

        fn clone_body(&self, body: &B) -> Option<B> {
            self.policy.clone_body(body)
        }
    }
}

#[cfg(feature = "follow-redirect")]
pub use follow_redirect::RedirectPolicy;

/// Writes the baggage of `cx` on `req` if its destination is allowed, and
/// removes any `baggage` header otherwise. Returns whether baggage was written.
pub fn inject_for<B>(
    propagator: &BaggagePropagator,
    cx: &Context,
    req: &mut Request<B>,
    destinations: &Destinations,
) -> bool {
    let allowed = destinations.strip(req);
    if allowed {
        crate::http::inject_with(propagator, cx, req.headers_mut());
    }
    allowed
}

/// Client-side layer: writes the current context's baggage on outgoing
/// requests toward allowed [`Destinations`] only.
///
/// It checks each request it sends. A layer that follows redirects must sit
/// above it, or below it with `Destinations::redirect_policy()` (feature
/// `follow-redirect`; see the
/// [module documentation](self#redirects-the-order-of-the-layers)).
#[derive(Debug, Clone)]
pub struct OutboundBaggageLayer {
    destinations: Destinations,
    propagator: BaggagePropagator,
}

impl OutboundBaggageLayer {
    /// A layer sending baggage to `destinations` only.
    pub fn new(destinations: Destinations) -> Self {
        OutboundBaggageLayer {
            destinations,
            propagator: crate::http::default_propagator().clone(),
        }
    }

    /// Uses a configured propagator.
    pub fn with_propagator(mut self, propagator: BaggagePropagator) -> Self {
        self.propagator = propagator;
        self
    }
}

impl<S> Layer<S> for OutboundBaggageLayer {
    type Service = OutboundBaggageService<S>;

    fn layer(&self, inner: S) -> OutboundBaggageService<S> {
        OutboundBaggageService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`OutboundBaggageLayer`] makes.
#[derive(Debug, Clone)]
pub struct OutboundBaggageService<S> {
    inner: S,
    layer: OutboundBaggageLayer,
}

impl<S, B> Service<Request<B>> for OutboundBaggageService<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> S::Future {
        Context::map_current(|cx| {
            inject_for(
                &self.layer.propagator,
                cx,
                &mut req,
                &self.layer.destinations,
            )
        });
        self.inner.call(req)
    }
}

/// `values` `baggage` header values removed from one response of a server.
#[cold]
fn response_baggage_removed(values: usize) {
    limited!(
        DEBUG,
        "baggage removed from a response: responses carry no baggage unless the layer allows it",
        values
    );
}
