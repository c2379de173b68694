//! reqwest: typed baggage on outgoing requests, only to allowed
//! destinations, on every redirect hop.
//!
//! [`BaggageMiddleware`] is a [`reqwest_middleware`] middleware: on each
//! request it writes the current context's baggage (the `baggage` header
//! of [`BaggagePropagator::header_value`]) when the request's host is an
//! allowed [`Destinations`], and removes every `baggage` header, even one
//! set by hand, when it is not. It is the tower
//! [`OutboundBaggageLayer`](crate::tower::OutboundBaggageLayer) for reqwest:
//! the same destinations, the same header.
//!
//! # Redirects
//!
//! reqwest follows redirects inside the client, below every middleware,
//! and sends each hop with the headers of the first request (it removes
//! only credentials across hosts). So a middleware alone cannot keep
//! baggage from the target of a redirect: the client must be built with
//! [`Destinations::reqwest_redirect_policy`], which refuses a redirect
//! toward a host that is not allowed when the chain began at an allowed
//! host (whose request carried the baggage, or may have). The call then
//! fails with a redirect error ([`reqwest::Error::is_redirect`]) whose
//! source is a [`RedirectRefused`] naming the host, and nothing is sent
//! there. Every other redirect is left to reqwest's own policy (at most 10
//! hops): a chain that began at a host that is not allowed carries no
//! baggage, and is followed as usual. [`BaggageMiddleware::client`] builds
//! a client with both.
//!
//! Why a veto on reqwest's redirects, rather than the middleware following
//! them itself (with redirects off in the client) and applying the
//! destinations on each hop: that would be a second implementation of
//! redirects (`303` to `GET`, bodies on `307`/`308`, credentials removed
//! across hosts, `Referer`, `https_only`) to keep right, and a client
//! built with redirects on would still follow them below it, with the
//! baggage. The policy keeps reqwest's one implementation, and refuses
//! only the hop that would carry baggage where it may not go. A caller
//! that wants such a redirect followed anyway sends a new request to
//! [`RedirectRefused::url`] through the middleware, which sends no
//! baggage there.
//!
//! # What is never sent
//!
//! The header is written by the propagator, which leaves out (counts and
//! logs, [`Counters::inject_members_invalid`](crate::propagation::Counters::inject_members_invalid))
//! every member whose key or properties break the W3C grammar, and
//! percent-encodes every value: it is visible ASCII, so always a valid
//! header value, whatever the baggage holds. A `baggage` header among the
//! client's default headers (`ClientBuilder::default_headers`) is added by
//! reqwest after every middleware, to every host: never put one there.
//!
//! ```
//! use opentelemetry::Context;
//! use typed_baggage::prelude::*;
//! use typed_baggage::policy::Destinations;
//! use typed_baggage::reqwest::BaggageMiddleware;
//!
//! #[derive(Baggage)]
//! #[baggage(prefix = "app.")]
//! struct UserCtx { user_id: u64 }
//!
//! // baggage to `*.internal` only, on every hop
//! let middleware = BaggageMiddleware::new(Destinations::hosts(["*.internal"]));
//! let client = middleware.client(reqwest::Client::builder())?.build();
//!
//! // in a handler, in the request's context:
//! // client.get("http://billing.internal/pay").send().await?;
//! # let _ = client;
//! # Ok::<(), reqwest::Error>(())
//! ```

use std::fmt;

use ::reqwest::redirect::{Attempt, Policy};
use ::reqwest::{Request, Response, Url};
use http::Extensions;
use opentelemetry::Context;
use reqwest_middleware::{Middleware, Next};

use crate::error::excerpt;
use crate::http::{inject_with, BAGGAGE_HEADER};
use crate::policy::Destinations;
use crate::propagation::BaggagePropagator;
use crate::report::limited;

/// A [`reqwest_middleware`] middleware that writes the current context's
/// baggage on requests toward allowed [`Destinations`] only, and removes
/// any `baggage` header from requests to everywhere else.
///
/// The client must refuse redirects that would carry the baggage to a
/// host that is not allowed ([`Destinations::reqwest_redirect_policy`];
/// [`BaggageMiddleware::client`] sets it): see the [module
/// documentation](self#redirects).
///
/// Cheap to clone.
///
/// ```
/// use typed_baggage::policy::Destinations;
/// use typed_baggage::reqwest::BaggageMiddleware;
///
/// let destinations = Destinations::hosts(["*.internal"]);
/// // with other middlewares: the redirect policy and the middleware, by hand
/// let client = reqwest::Client::builder()
///     .redirect(destinations.reqwest_redirect_policy())
///     .build()?;
/// let client = reqwest_middleware::ClientBuilder::new(client)
///     .with(BaggageMiddleware::new(destinations))
///     .build();
/// # let _ = client;
/// # Ok::<(), reqwest::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct BaggageMiddleware {
    destinations: Destinations,
    propagator: BaggagePropagator,
}

impl BaggageMiddleware {
    /// A middleware sending baggage to `destinations` only, with the
    /// default W3C propagator ([`crate::http::default_propagator`]).
    ///
    /// ```
    /// use typed_baggage::policy::Destinations;
    /// use typed_baggage::reqwest::BaggageMiddleware;
    ///
    /// let middleware = BaggageMiddleware::new(Destinations::hosts(["billing.internal"]));
    /// assert!(middleware.destinations().allows_host("billing.internal"));
    /// ```
    pub fn new(destinations: Destinations) -> Self {
        BaggageMiddleware {
            destinations,
            propagator: crate::http::default_propagator().clone(),
        }
    }

    /// Uses a configured propagator (its counters count what is left out).
    ///
    /// ```
    /// use typed_baggage::policy::Destinations;
    /// use typed_baggage::propagation::BaggagePropagator;
    /// use typed_baggage::reqwest::BaggageMiddleware;
    ///
    /// let propagator = BaggagePropagator::new();
    /// let counters = propagator.counters();
    /// let middleware = BaggageMiddleware::new(Destinations::any()).with_propagator(propagator);
    /// # let _ = middleware;
    /// // e.g. in a metrics callback: members left out of outgoing headers
    /// assert_eq!(counters.inject_members_dropped() + counters.inject_members_invalid(), 0);
    /// ```
    pub fn with_propagator(mut self, propagator: BaggagePropagator) -> Self {
        self.propagator = propagator;
        self
    }

    /// The destinations baggage may go to.
    ///
    /// ```
    /// use typed_baggage::policy::Destinations;
    /// use typed_baggage::reqwest::BaggageMiddleware;
    ///
    /// let middleware = BaggageMiddleware::new(Destinations::none());
    /// assert!(!middleware.destinations().allows_host("localhost"));
    /// ```
    pub fn destinations(&self) -> &Destinations {
        &self.destinations
    }

    /// A client builder of `reqwest-middleware` with this middleware,
    /// over the client `builder` makes with
    /// [`Destinations::reqwest_redirect_policy`] as its redirect policy
    /// (replacing any policy set on `builder`: for another limit than
    /// reqwest's 10 hops, set
    /// [`Destinations::reqwest_redirect_policy_with`] and add the
    /// middleware by hand). Add other middlewares to it, then `build()`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use typed_baggage::policy::Destinations;
    /// use typed_baggage::reqwest::BaggageMiddleware;
    ///
    /// let client = BaggageMiddleware::new(Destinations::hosts(["*.internal"]))
    ///     .client(reqwest::Client::builder().timeout(Duration::from_secs(5)))?
    ///     .build();
    /// # let _ = client;
    /// # Ok::<(), reqwest::Error>(())
    /// ```
    pub fn client(
        self,
        builder: ::reqwest::ClientBuilder,
    ) -> Result<reqwest_middleware::ClientBuilder, ::reqwest::Error> {
        let client = builder
            .redirect(self.destinations.reqwest_redirect_policy())
            .build()?;
        Ok(reqwest_middleware::ClientBuilder::new(client).with(self))
    }

    /// Applies the destinations to one request, as the middleware does:
    /// toward an allowed host, the `baggage` headers are replaced by the
    /// baggage of `cx` (none if it has none); toward any other, they are
    /// removed (logged at `DEBUG`). Returns whether the host is allowed.
    ///
    /// For a plain `reqwest::Client`, without `reqwest-middleware`.
    ///
    /// ```
    /// use opentelemetry::{baggage::BaggageExt, Context, KeyValue};
    /// use typed_baggage::policy::Destinations;
    /// use typed_baggage::reqwest::BaggageMiddleware;
    ///
    /// let middleware = BaggageMiddleware::new(Destinations::hosts(["billing.internal"]));
    /// let cx = Context::new().with_baggage([KeyValue::new("app.user_id", "7")]);
    /// let client = reqwest::Client::new();
    ///
    /// let mut request = client.get("http://billing.internal/pay").build()?;
    /// assert!(middleware.inject(&cx, &mut request));
    /// assert_eq!(request.headers()["baggage"], "app.user_id=7");
    ///
    /// let mut request = client
    ///     .get("https://api.example.com/")
    ///     .header("baggage", "set.by=hand")
    ///     .build()?;
    /// assert!(!middleware.inject(&cx, &mut request));
    /// assert!(request.headers().get("baggage").is_none());
    /// # Ok::<(), reqwest::Error>(())
    /// ```
    pub fn inject(&self, cx: &Context, request: &mut Request) -> bool {
        let allowed = allows_url(&self.destinations, request.url());
        if allowed {
            inject_with(&self.propagator, cx, request.headers_mut());
        } else if request.headers_mut().remove(&BAGGAGE_HEADER).is_some() {
            crate::policy::outgoing_removed(request.url().host_str());
        }
        allowed
    }
}

#[async_trait::async_trait]
impl Middleware for BaggageMiddleware {
    async fn handle(
        &self,
        mut request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let _ = Context::map_current(|cx| self.inject(cx, &mut request));
        next.run(request, extensions).await
    }
}

impl Destinations {
    /// A reqwest redirect policy that keeps baggage to these destinations
    /// on every hop: reqwest's default policy (at most 10 redirects), but a
    /// redirect toward a host that is not allowed is refused when the
    /// chain began at an allowed host (whose request carried the baggage),
    /// with a [`RedirectRefused`] error. See the [module
    /// documentation](crate::reqwest#redirects).
    ///
    /// ```
    /// use typed_baggage::policy::Destinations;
    ///
    /// let client = reqwest::Client::builder()
    ///     .redirect(Destinations::hosts(["*.internal"]).reqwest_redirect_policy())
    ///     .build()?;
    /// # let _ = client;
    /// # Ok::<(), reqwest::Error>(())
    /// ```
    pub fn reqwest_redirect_policy(&self) -> Policy {
        self.reqwest_redirect_policy_with(Policy::default())
    }

    /// [`Destinations::reqwest_redirect_policy`] over another policy:
    /// `policy` decides every redirect that does not carry baggage toward
    /// a host that is not allowed.
    ///
    /// ```
    /// use reqwest::redirect::Policy;
    /// use typed_baggage::policy::Destinations;
    ///
    /// // at most 3 redirects, baggage only to `*.internal`
    /// let policy = Destinations::hosts(["*.internal"]).reqwest_redirect_policy_with(Policy::limited(3));
    /// let client = reqwest::Client::builder().redirect(policy).build()?;
    /// # let _ = client;
    /// # Ok::<(), reqwest::Error>(())
    /// ```
    pub fn reqwest_redirect_policy_with(&self, policy: Policy) -> Policy {
        let destinations = self.clone();
        Policy::custom(move |attempt| match refuse(&destinations, &attempt) {
            Some(refused) => attempt.error(refused),
            None => policy.redirect(attempt),
        })
    }
}

/// The refusal of a redirect that would carry baggage to `attempt`'s host,
/// or `None`. The chain carries baggage if its first request went to an
/// allowed host (an empty chain, which reqwest never makes, counts as one
/// that does).
fn refuse(destinations: &Destinations, attempt: &Attempt<'_>) -> Option<RedirectRefused> {
    let carries = attempt
        .previous()
        .first()
        .is_none_or(|first| allows_url(destinations, first));
    if !carries || allows_url(destinations, attempt.url()) {
        return None;
    }
    let refused = RedirectRefused {
        url: attempt.url().clone(),
    };
    redirect_refused(&refused);
    Some(refused)
}

/// `true` if baggage may be sent to `url`: its host is allowed (a URL
/// without a host only under [`Destinations::any`]), as
/// `Destinations::allows` (feature `tower`) decides for an `http::Uri`.
fn allows_url(destinations: &Destinations, url: &Url) -> bool {
    match url.host_str() {
        Some(host) => destinations.allows_host(host),
        None => destinations.allows_any(),
    }
}

/// A redirect [`Destinations::reqwest_redirect_policy`] did not follow:
/// the request carried baggage to an allowed host, and the redirect goes to
/// a host that is not allowed. The source of the `reqwest::Error` the call
/// returns ([`reqwest::Error::is_redirect`]).
///
/// ```
/// # async fn call(client: reqwest_middleware::ClientWithMiddleware) {
/// use std::error::Error as _;
/// use typed_baggage::reqwest::RedirectRefused;
///
/// match client.get("http://billing.internal/pay").send().await {
///     Err(reqwest_middleware::Error::Reqwest(e)) if e.is_redirect() => {
///         if let Some(refused) = e.source().and_then(|s| s.downcast_ref::<RedirectRefused>()) {
///             eprintln!("{refused}; not followed: {}", refused.url());
///         }
///     }
///     _ => {}
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectRefused {
    url: Url,
}

impl RedirectRefused {
    /// Where the redirect pointed (the `Location` the server sent, as
    /// reqwest parsed it). A new request there through
    /// [`BaggageMiddleware`] carries no baggage.
    pub fn url(&self) -> &Url {
        &self.url
    }
}

impl fmt::Display for RedirectRefused {
    /// Names the host, cut to at most
    /// [`FOUND_EXCERPT_BYTES`](crate::FOUND_EXCERPT_BYTES) bytes and escaped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "redirect not followed: the request carried baggage, so each hop must go to an \
             allowed destination, found host {:?}",
            excerpt(self.url.host_str().unwrap_or_default())
        )
    }
}

impl std::error::Error for RedirectRefused {}

/// A redirect refused because it would carry baggage to a host that is not allowed.
#[cold]
fn redirect_refused(refused: &RedirectRefused) {
    limited!(
        DEBUG,
        "redirect not followed: it would carry baggage to a destination that is not allowed",
        host = ?refused.url.host_str().map(excerpt)
    );
}
