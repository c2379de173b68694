//! Tower middleware: trust at the edge, baggage only to allowed destinations.
//!
//! - [`BaggageLayer`] (server side) extracts the incoming `baggage` header,
//!   applies an explicit [`InboundPolicy`], and runs the inner service's
//!   future inside the resulting context, so `T::from_current()` works
//!   anywhere in a handler, across `.await` points. Spawned tasks keep it
//!   with `opentelemetry::context::FutureExt::with_current_context`.
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

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use http::{Request, Uri};
use opentelemetry::baggage::{Baggage as OtelBaggage, BaggageExt};
use opentelemetry::context::{FutureExt, WithContext};
use opentelemetry::Context;
use tower_layer::Layer;
use tower_service::Service;

use crate::http::BAGGAGE_HEADER;
use crate::propagation::BaggagePropagator;
use crate::schema::Schema;
use crate::Baggage;

/// Which incoming baggage a service accepts. There is no default: every
/// service says what it trusts.
#[derive(Debug, Clone)]
pub enum InboundPolicy {
    /// Accept every entry: an internal hop whose callers are trusted peers.
    TrustAll,
    /// Accept nothing: an edge facing the internet. The header is not even
    /// parsed, and it is removed from the request so that nothing forwards it.
    DropAll,
    /// Accept only the entries an [`Allowlist`] names; drop (count and log) the rest.
    Allow(Allowlist),
}

/// The keys an edge accepts from outside: single keys, and whole typed schemas.
///
/// ```
/// use typed_baggage::prelude::*;
/// use typed_baggage::tower::Allowlist;
///
/// #[derive(Baggage)]
/// #[baggage(prefix = "ff.")]
/// struct Flags { new_checkout: bool, experiment: Option<String> }
///
/// let allow = Allowlist::new().schema::<Flags>().key("client.version");
/// assert!(allow.allows("ff.new_checkout") && allow.allows("ff.experiment"));
/// assert!(allow.allows("client.version"));
/// assert!(!allow.allows("app.tier"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Allowlist {
    keys: HashSet<String>,
    schemas: Vec<&'static Schema>,
}

impl Allowlist {
    /// An empty allowlist (accepts nothing until keys are added).
    pub fn new() -> Self {
        Self::default()
    }

    /// Accepts one key.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        let _ = self.keys.insert(key.into());
        self
    }

    /// Accepts every key of a typed schema, flattened ones resolved (its
    /// signature too, for a signed one): the keys the schema reads, by the
    /// same rule ([`Schema::contains_key`]).
    pub fn schema<T: Baggage>(mut self) -> Self {
        self.schemas.push(&T::SCHEMA);
        self
    }

    /// `true` if `key` is accepted.
    pub fn allows(&self, key: &str) -> bool {
        self.keys.contains(key) || self.schemas.iter().any(|s| s.contains_key(key))
    }
}

/// Counters shared by the clones of one layer.
#[derive(Debug, Default)]
struct Counters {
    dropped_by_policy: AtomicU64,
}

/// Server-side layer: extracts incoming baggage under an [`InboundPolicy`]
/// and runs the inner service inside that context.
#[derive(Debug, Clone)]
pub struct BaggageLayer {
    policy: Arc<InboundPolicy>,
    propagator: BaggagePropagator,
    counters: Arc<Counters>,
}

impl BaggageLayer {
    /// A layer with this policy and the default W3C propagator.
    pub fn new(policy: InboundPolicy) -> Self {
        BaggageLayer {
            policy: Arc::new(policy),
            propagator: crate::http::default_propagator().clone(),
            counters: Arc::default(),
        }
    }

    /// Uses a configured propagator (for example one that reads Python's `+` as space).
    pub fn with_propagator(mut self, propagator: BaggagePropagator) -> Self {
        self.propagator = propagator;
        self
    }

    /// How many incoming entries the policy has dropped so far.
    pub fn dropped_by_policy(&self) -> u64 {
        self.counters.dropped_by_policy.load(Ordering::Relaxed)
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

impl<S, B> Service<Request<B>> for BaggageService<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = WithContext<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let parent = Context::current();
        let cx = match &*self.layer.policy {
            InboundPolicy::TrustAll => crate::http::extract_with(
                &self.layer.propagator,
                &parent.with_baggage(OtelBaggage::new()),
                req.headers(),
            ),
            InboundPolicy::DropAll => {
                let dropped = req.headers_mut().remove(&BAGGAGE_HEADER).is_some();
                if dropped {
                    let _ = self
                        .layer
                        .counters
                        .dropped_by_policy
                        .fetch_add(1, Ordering::Relaxed);
                    self.layer.propagator.reporter().policy_rejected();
                    tracing::debug!(target: "typed_baggage", "inbound baggage header dropped: policy is drop-all");
                }
                parent.with_baggage(OtelBaggage::new())
            }
            InboundPolicy::Allow(allow) => {
                let extracted = crate::http::extract_with(
                    &self.layer.propagator,
                    &parent.with_baggage(OtelBaggage::new()),
                    req.headers(),
                );
                let _ = req.headers_mut().remove(&BAGGAGE_HEADER);
                let mut dropped = 0u64;
                let kept = crate::keys::retain(extracted.baggage(), |key| {
                    let allowed = allow.allows(key);
                    if !allowed {
                        dropped += 1;
                        tracing::debug!(target: "typed_baggage", key, "inbound baggage entry dropped: not in the allowlist");
                    }
                    allowed
                });
                if dropped > 0 {
                    let _ = self
                        .layer
                        .counters
                        .dropped_by_policy
                        .fetch_add(dropped, Ordering::Relaxed);
                    self.layer.propagator.reporter().policy_dropped(dropped);
                }
                parent.with_baggage(kept)
            }
        };
        let _ = req.extensions_mut().insert(IncomingContext(cx.clone()));
        self.inner.call(req).with_context(cx)
    }
}

/// Where outgoing baggage may go.
///
/// ```
/// use typed_baggage::tower::Destinations;
///
/// let d = Destinations::hosts(["billing.internal", "*.svc.cluster.local"]);
/// assert!(d.allows(&"http://billing.internal/pay".parse().unwrap()));
/// assert!(d.allows(&"http://api.orders.svc.cluster.local:8080/".parse().unwrap()));
/// assert!(!d.allows(&"https://api.stripe.com/v1".parse().unwrap()));
/// assert!(!d.allows(&"/relative".parse().unwrap())); // no host: not sent
/// ```
#[derive(Debug, Clone)]
pub struct Destinations {
    any: bool,
    exact: HashSet<String>,
    suffixes: Vec<String>,
}

impl Destinations {
    /// Every destination: only for a client that talks to internal services alone.
    pub fn any() -> Self {
        Destinations {
            any: true,
            exact: HashSet::new(),
            suffixes: Vec::new(),
        }
    }

    /// No destination.
    pub fn none() -> Self {
        Destinations {
            any: false,
            exact: HashSet::new(),
            suffixes: Vec::new(),
        }
    }

    /// These hosts: `name` exactly, or `*.domain` for every subdomain of
    /// `domain` (not `domain` itself). Case-insensitive; ports are ignored.
    pub fn hosts<I, H>(hosts: I) -> Self
    where
        I: IntoIterator<Item = H>,
        H: AsRef<str>,
    {
        let mut d = Destinations::none();
        for h in hosts {
            let h = h.as_ref().to_ascii_lowercase();
            match h.strip_prefix("*.") {
                Some(domain) => d.suffixes.push(format!(".{domain}")),
                None => {
                    let _ = d.exact.insert(h);
                }
            }
        }
        d
    }

    /// `true` if baggage may be sent to `uri`. A URI without a host is not allowed.
    pub fn allows(&self, uri: &Uri) -> bool {
        if self.any {
            return true;
        }
        let Some(host) = uri.host() else { return false };
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.exact.contains(&host) || self.suffixes.iter().any(|s| host.ends_with(s.as_str()))
    }
}

/// Writes the baggage of `cx` on `req` if its destination is allowed, and
/// removes any `baggage` header otherwise. Returns whether baggage was written.
pub fn inject_for<B>(
    propagator: &BaggagePropagator,
    cx: &Context,
    req: &mut Request<B>,
    destinations: &Destinations,
) -> bool {
    let allowed = destinations.allows(req.uri());
    if allowed {
        crate::http::inject_with(propagator, cx, req.headers_mut());
    } else if req.headers_mut().remove(&BAGGAGE_HEADER).is_some() {
        tracing::debug!(target: "typed_baggage", host = ?req.uri().host(), "outgoing baggage header removed: destination not allowed");
    }
    allowed
}

/// Client-side layer: writes the current context's baggage on outgoing
/// requests toward allowed [`Destinations`] only.
#[derive(Debug, Clone)]
pub struct OutboundBaggageLayer {
    destinations: Arc<Destinations>,
    propagator: BaggagePropagator,
}

impl OutboundBaggageLayer {
    /// A layer sending baggage to `destinations` only.
    pub fn new(destinations: Destinations) -> Self {
        OutboundBaggageLayer {
            destinations: Arc::new(destinations),
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
