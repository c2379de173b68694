//! Trust at every carrier: which incoming baggage a service accepts
//! ([`InboundPolicy`], [`Allowlist`]) and where outgoing baggage may go
//! ([`Destinations`]: hosts for HTTP, subjects for message queues).
//!
//! Every carrier applies the same policy the same way: an inbound policy
//! reads a carrier's values through the read pipeline (or, under drop-all,
//! not at all), and outgoing baggage goes only to allowed destinations. The
//! `tower` module re-exports these types for its layers; a carrier adds an
//! adapter, never a policy of its own.

use std::collections::HashSet;
use std::sync::Arc;

use opentelemetry::baggage::{Baggage as OtelBaggage, BaggageExt};
use opentelemetry::propagation::Extractor;
use opentelemetry::Context;

use crate::error::excerpt;
use crate::metrics::{Direction, Reason};
use crate::propagation::{BaggagePropagator, HEADER};
use crate::read::CarrierValue;
use crate::report::{limited, Reporter};
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
/// use typed_baggage::policy::Allowlist;
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

/// What an [`InboundPolicy`] let in from one carrier: the baggage, and how
/// many entries (or, under drop-all, whole carriers) it dropped.
#[derive(Debug, Default)]
pub(crate) struct Admitted {
    pub(crate) baggage: OtelBaggage,
    /// Read by the carriers that keep counters of their own (the tower layer).
    #[cfg_attr(not(feature = "tower"), allow(dead_code))]
    pub(crate) dropped: u64,
}

impl InboundPolicy {
    /// A copy of `cx` whose baggage is what this policy admits of the
    /// `baggage` field of any OpenTelemetry [`Extractor`] (every value of
    /// it, as one list): the way in for a carrier that has an `Extractor`
    /// and no adapter of its own. Nothing admitted is empty baggage: under
    /// a policy, what the caller sent replaces what `cx` had.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use opentelemetry::{baggage::BaggageExt, Context};
    /// use typed_baggage::policy::{Allowlist, InboundPolicy};
    /// use typed_baggage::propagation::BaggagePropagator;
    ///
    /// let carrier = HashMap::from([("baggage".to_owned(), "ff.beta=true,app.tier=premium".to_owned())]);
    /// let edge = InboundPolicy::Allow(Allowlist::new().key("ff.beta"));
    /// let cx = edge.extract(&BaggagePropagator::new(), &Context::new(), &carrier);
    /// assert_eq!(cx.baggage().get("ff.beta").map(|v| v.as_str()), Some("true"));
    /// assert_eq!(cx.baggage().get("app.tier"), None); // forged, dropped
    /// ```
    pub fn extract(
        &self,
        propagator: &BaggagePropagator,
        cx: &Context,
        extractor: &dyn Extractor,
    ) -> Context {
        let values = extractor
            .get_all(HEADER)
            .or_else(|| extractor.get(HEADER).map(|v| vec![v]))
            .unwrap_or_default();
        cx.with_baggage(self.admit(propagator, || values.iter().copied()).baggage)
    }

    /// Reads a carrier's `baggage` values under this policy: through the
    /// read pipeline's context mode, except under drop-all, which reads
    /// nothing; an allowlist keeps only its keys. Drops are recorded, and
    /// logged as one summary.
    pub(crate) fn admit<'h, V, I>(
        &self,
        propagator: &BaggagePropagator,
        values: impl Fn() -> I,
    ) -> Admitted
    where
        V: CarrierValue<'h>,
        I: Iterator<Item = V>,
    {
        match self {
            InboundPolicy::TrustAll => Admitted {
                baggage: propagator.extract_values(values).unwrap_or_default(),
                dropped: 0,
            },
            InboundPolicy::DropAll => {
                let present = values().next().is_some();
                if present {
                    policy_rejected(propagator.reporter());
                }
                Admitted {
                    baggage: OtelBaggage::new(),
                    dropped: u64::from(present),
                }
            }
            InboundPolicy::Allow(allow) => {
                let extracted = propagator.extract_values(values).unwrap_or_default();
                let mut dropped = 0u64;
                let kept = crate::keys::retain(&extracted, |key| {
                    let allowed = allow.allows(key);
                    dropped += u64::from(!allowed);
                    allowed
                });
                if dropped > 0 {
                    let first = extracted
                        .iter()
                        .map(|(key, _)| key.as_str())
                        .find(|key| !allow.allows(key))
                        .unwrap_or_default();
                    policy_dropped(propagator.reporter(), dropped, first);
                }
                Admitted {
                    baggage: kept,
                    dropped,
                }
            }
        }
    }
}

/// Where outgoing baggage may go.
///
/// Cheap to clone: clones share the host names.
///
/// ```
/// use typed_baggage::policy::Destinations;
///
/// let d = Destinations::hosts(["billing.internal", "*.svc.cluster.local"]);
/// assert!(d.allows(&"http://billing.internal/pay".parse().unwrap()));
/// assert!(d.allows(&"http://api.orders.svc.cluster.local:8080/".parse().unwrap()));
/// assert!(!d.allows(&"https://api.stripe.com/v1".parse().unwrap()));
/// assert!(!d.allows(&"/relative".parse().unwrap())); // no host: not sent
/// ```
#[derive(Debug, Clone)]
pub struct Destinations {
    rule: Arc<DestinationRule>,
}

#[derive(Debug)]
struct DestinationRule {
    any: bool,
    exact: HashSet<String>,
    suffixes: Vec<String>,
    /// Message subjects, NATS syntax ([`Destinations::subjects`]).
    subjects: Vec<SubjectPattern>,
}

impl Destinations {
    /// Every destination: only for a client that talks to internal services alone.
    ///
    /// ```
    /// use typed_baggage::policy::Destinations;
    /// assert!(Destinations::any().allows(&"https://example.com/".parse().unwrap()));
    /// ```
    pub fn any() -> Self {
        Destinations::rule(true, HashSet::new(), Vec::new())
    }

    /// No destination.
    ///
    /// ```
    /// use typed_baggage::policy::Destinations;
    /// assert!(!Destinations::none().allows(&"http://localhost/".parse().unwrap()));
    /// ```
    pub fn none() -> Self {
        Destinations::rule(false, HashSet::new(), Vec::new())
    }

    /// These hosts: `name` exactly, or `*.domain` for every subdomain of
    /// `domain` (not `domain` itself). Case-insensitive; ports are ignored.
    ///
    /// ```
    /// use typed_baggage::policy::Destinations;
    /// let d = Destinations::hosts(["*.internal"]);
    /// assert!(d.allows(&"http://Billing.Internal:8080/".parse().unwrap()));
    /// assert!(!d.allows(&"http://internal/".parse().unwrap()));
    /// ```
    pub fn hosts<I, H>(hosts: I) -> Self
    where
        I: IntoIterator<Item = H>,
        H: AsRef<str>,
    {
        let mut exact = HashSet::new();
        let mut suffixes = Vec::new();
        for h in hosts {
            let h = h.as_ref().to_ascii_lowercase();
            match h.strip_prefix("*.") {
                Some(domain) => suffixes.push(format!(".{domain}")),
                None => {
                    let _ = exact.insert(h);
                }
            }
        }
        Destinations::rule(false, exact, suffixes)
    }

    fn rule(any: bool, exact: HashSet<String>, suffixes: Vec<String>) -> Self {
        Destinations {
            rule: Arc::new(DestinationRule {
                any,
                exact,
                suffixes,
                subjects: Vec::new(),
            }),
        }
    }

    /// `true` if baggage may be sent to `host` (a DNS name or an IP
    /// address, any letter case, a trailing `.` ignored).
    ///
    /// ```
    /// use typed_baggage::policy::Destinations;
    /// let d = Destinations::hosts(["billing.internal", "*.svc.cluster.local"]);
    /// assert!(d.allows_host("Billing.Internal."));
    /// assert!(d.allows_host("orders.svc.cluster.local"));
    /// assert!(!d.allows_host("api.stripe.com"));
    /// ```
    pub fn allows_host(&self, host: &str) -> bool {
        let rule = &*self.rule;
        if rule.any {
            return true;
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        rule.exact.contains(&host) || rule.suffixes.iter().any(|s| host.ends_with(s.as_str()))
    }

    /// `true` if every destination is allowed ([`Destinations::any`]),
    /// even one without a host.
    ///
    /// ```
    /// use typed_baggage::policy::Destinations;
    /// assert!(Destinations::any().allows_any() && !Destinations::hosts(["a"]).allows_any());
    /// ```
    pub fn allows_any(&self) -> bool {
        self.rule.any
    }
}

/// The `dropped` incoming entries an inbound allowlist dropped from one
/// request, `first_key` the key of one of them: recorded, and logged as one
/// summary.
#[cold]
fn policy_dropped(reporter: &Reporter, dropped: u64, first_key: &str) {
    reporter
        .metrics()
        .dropped(Direction::Incoming, Reason::Policy, dropped);
    limited!(
        DEBUG,
        "inbound baggage entries dropped: not in the allowlist",
        dropped,
        key = ?excerpt(first_key)
    );
}

/// An incoming header an inbound policy dropped whole.
#[cold]
fn policy_rejected(reporter: &Reporter) {
    reporter.metrics().rejected(Reason::Policy);
    limited!(
        DEBUG,
        "inbound baggage header dropped: the policy is drop-all",
        policy = "drop-all"
    );
}
