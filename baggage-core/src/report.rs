//! What the pipelines drop, reject and measure: counted ([`Counters`]),
//! recorded ([`crate::metrics`]) and logged, in one place, so that every
//! carrier reports the same event the same way.
//!
//! Log lines go to [`tracing`] under the target `typed_baggage`. The text
//! they quote from a carrier is cut to a short excerpt and escaped, so a
//! hostile header cannot flood or forge log lines.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use crate::error::excerpt;
use crate::limits::{MAX_BYTES, MAX_MEMBERS};
use crate::metrics::{BaggageMetrics, Direction, Reason};
use crate::wire::Malformed;
use crate::FOUND_EXCERPT_BYTES;

/// The `tracing` target of every log line of the pipelines.
pub(crate) const LOG_TARGET: &str = "typed_baggage";

/// What a [`BaggagePropagator`](crate::propagation::BaggagePropagator)
/// dropped or rejected, since it was made.
///
/// A cheap handle: clones share the same atomic counters, so one clone can
/// be read (e.g. by a metrics callback) while the propagator counts into
/// another.
///
/// ```
/// use std::collections::HashMap;
/// use opentelemetry::{propagation::TextMapPropagator, Context};
/// use typed_baggage::propagation::BaggagePropagator;
///
/// let propagator = BaggagePropagator::new();
/// let counters = propagator.counters();
/// let oversize = "k=v,".repeat(3000);
/// let headers = HashMap::from([("baggage".to_owned(), oversize)]);
/// propagator.extract_with_context(&Context::new(), &headers);
/// assert_eq!(counters.extract_headers_rejected(), 1);
/// assert_eq!(counters.extract_members_dropped(), 0);
/// ```
#[derive(Clone, Default)]
pub struct Counters {
    inner: Arc<CounterCells>,
}

#[derive(Default)]
struct CounterCells {
    extract_members_dropped: AtomicU64,
    extract_headers_rejected: AtomicU64,
    inject_members_dropped: AtomicU64,
    inject_members_invalid: AtomicU64,
}

impl Counters {
    /// A new set of counters, all zero.
    ///
    /// ```
    /// use typed_baggage::propagation::Counters;
    /// assert_eq!(Counters::new().inject_members_dropped(), 0);
    /// ```
    pub fn new() -> Self {
        Counters::default()
    }

    /// Malformed list-members dropped while extracting (each one alone,
    /// the rest of its header kept).
    ///
    /// ```
    /// use typed_baggage::propagation::Counters;
    /// assert_eq!(Counters::new().extract_members_dropped(), 0);
    /// ```
    pub fn extract_members_dropped(&self) -> u64 {
        self.inner.extract_members_dropped.load(Ordering::Relaxed)
    }

    /// Extractions whose `baggage` headers were rejected whole because
    /// together they broke a W3C limit (8192 bytes, 64 list-members).
    ///
    /// ```
    /// use typed_baggage::propagation::Counters;
    /// assert_eq!(Counters::new().extract_headers_rejected(), 0);
    /// ```
    pub fn extract_headers_rejected(&self) -> u64 {
        self.inner.extract_headers_rejected.load(Ordering::Relaxed)
    }

    /// Members left out while injecting because the header would have
    /// broken a W3C limit (8192 encoded bytes, 64 list-members).
    ///
    /// ```
    /// use opentelemetry::baggage::Baggage;
    /// use typed_baggage::propagation::BaggagePropagator;
    ///
    /// // 3000 bytes of `é` is 9000 bytes once percent-encoded
    /// let mut baggage = Baggage::new();
    /// baggage.insert("big", "é".repeat(1500));
    /// baggage.insert("small", "1");
    /// let propagator = BaggagePropagator::new();
    /// assert_eq!(propagator.header_value(&baggage).as_deref(), Some("small=1"));
    /// assert_eq!(propagator.counters().inject_members_dropped(), 1);
    /// ```
    pub fn inject_members_dropped(&self) -> u64 {
        self.inner.inject_members_dropped.load(Ordering::Relaxed)
    }

    /// Members left out while injecting because their properties (or key)
    /// do not follow the W3C grammar, which only baggage built in code with
    /// its own `BaggageMetadata` can cause.
    ///
    /// ```
    /// use opentelemetry::baggage::Baggage;
    /// use typed_baggage::propagation::BaggagePropagator;
    ///
    /// let mut baggage = Baggage::new();
    /// baggage.insert_with_metadata("forged", "1", "p=1,admin=true");
    /// let propagator = BaggagePropagator::new();
    /// assert_eq!(propagator.header_value(&baggage), None);
    /// assert_eq!(propagator.counters().inject_members_invalid(), 1);
    /// ```
    pub fn inject_members_invalid(&self) -> u64 {
        self.inner.inject_members_invalid.load(Ordering::Relaxed)
    }

    /// Whether `self` and `other` are handles on the same counters.
    ///
    /// ```
    /// use typed_baggage::propagation::Counters;
    /// let a = Counters::new();
    /// assert!(a.same_as(&a.clone()) && !a.same_as(&Counters::new()));
    /// ```
    pub fn same_as(&self, other: &Counters) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl fmt::Debug for Counters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Counters")
            .field("extract_members_dropped", &self.extract_members_dropped())
            .field("extract_headers_rejected", &self.extract_headers_rejected())
            .field("inject_members_dropped", &self.inject_members_dropped())
            .field("inject_members_invalid", &self.inject_members_invalid())
            .finish()
    }
}

/// Which W3C limit a header or member broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Over {
    Bytes,
    Members,
}

impl Over {
    fn name(self) -> &'static str {
        match self {
            Over::Bytes => "bytes",
            Over::Members => "list-members",
        }
    }

    fn reason(self) -> Reason {
        match self {
            Over::Bytes => Reason::ByteLimit,
            Over::Members => Reason::MemberLimit,
        }
    }
}

/// Where a pipeline reports: a propagator's counters and its instruments.
#[derive(Clone, Default)]
pub(crate) struct Reporter {
    counters: Counters,
    /// Made at the first record unless given: see [`crate::metrics`].
    metrics: Arc<OnceLock<BaggageMetrics>>,
}

impl Reporter {
    pub(crate) fn new(counters: Counters, metrics: Option<BaggageMetrics>) -> Self {
        Reporter {
            counters,
            metrics: Arc::new(match metrics {
                Some(m) => OnceLock::from(m),
                None => OnceLock::new(),
            }),
        }
    }

    pub(crate) fn counters(&self) -> &Counters {
        &self.counters
    }

    /// The instruments, made from the global meter provider at the first
    /// record unless given.
    #[inline]
    pub(crate) fn metrics(&self) -> &BaggageMetrics {
        self.metrics.get_or_init(BaggageMetrics::global)
    }

    /// Records the size and member count of baggage read or written.
    #[inline]
    pub(crate) fn measured(&self, direction: Direction, bytes: usize, members: usize) {
        self.metrics().record(direction, bytes, members);
    }

    /// A malformed incoming list-member, dropped alone.
    #[cold]
    pub(crate) fn malformed_member(&self, malformed: Malformed, member: &str) {
        self.counters
            .inner
            .extract_members_dropped
            .fetch_add(1, Ordering::Relaxed);
        self.metrics()
            .dropped(Direction::Incoming, Reason::Malformed, 1);
        tracing::warn!(
            target: LOG_TARGET,
            reason = malformed.reason(),
            member = ?excerpt(member),
            "dropped a malformed baggage list-member"
        );
    }

    /// Incoming values of `size` bytes (or members) rejected whole, over a
    /// limit; `start` is the beginning of the first value, for the log.
    #[cold]
    pub(crate) fn rejected(&self, over: Over, size: usize, start: &[u8]) {
        let allowance = match over {
            Over::Bytes => MAX_BYTES,
            Over::Members => MAX_MEMBERS,
        };
        self.counters
            .inner
            .extract_headers_rejected
            .fetch_add(1, Ordering::Relaxed);
        self.metrics().rejected(over.reason());
        let start = start.get(..4 * FOUND_EXCERPT_BYTES).unwrap_or(start);
        tracing::warn!(
            target: LOG_TARGET,
            limit = over.name(),
            size,
            allowance,
            start = ?excerpt(&String::from_utf8_lossy(start)),
            "rejected the whole baggage header: over the W3C limit"
        );
    }

    /// An outgoing member whose key or properties break the grammar, not sent.
    #[cold]
    pub(crate) fn invalid_outgoing(&self, key: &str, metadata: &str) {
        self.counters
            .inner
            .inject_members_invalid
            .fetch_add(1, Ordering::Relaxed);
        self.metrics()
            .dropped(Direction::Outgoing, Reason::Malformed, 1);
        tracing::warn!(
            target: LOG_TARGET,
            key = ?excerpt(key),
            properties = ?excerpt(metadata),
            "baggage member not sent: its key or properties do not follow the W3C grammar"
        );
    }

    /// An outgoing member of `member_bytes` left out, over a limit.
    #[cold]
    pub(crate) fn outgoing_over(&self, over: Over, key: &str, member_bytes: usize) {
        self.counters
            .inner
            .inject_members_dropped
            .fetch_add(1, Ordering::Relaxed);
        self.metrics()
            .dropped(Direction::Outgoing, over.reason(), 1);
        tracing::warn!(
            target: LOG_TARGET,
            key = ?excerpt(key),
            member_bytes,
            limit = over.name(),
            max_members = MAX_MEMBERS,
            max_bytes = MAX_BYTES,
            "baggage member not sent: the header would break the W3C limit"
        );
    }

    /// Incoming entries an inbound policy dropped.
    #[cfg_attr(not(feature = "tower"), allow(dead_code))]
    pub(crate) fn policy_dropped(&self, n: u64) {
        self.metrics()
            .dropped(Direction::Incoming, Reason::Policy, n);
    }

    /// An incoming header an inbound policy dropped whole.
    #[cfg_attr(not(feature = "tower"), allow(dead_code))]
    pub(crate) fn policy_rejected(&self) {
        self.metrics().rejected(Reason::Policy);
    }
}
