//! What the pipelines drop, reject and measure: counted ([`Counters`]),
//! recorded ([`crate::metrics`]) and logged, in one place, so that every
//! carrier reports the same event the same way.
//!
//! Log lines go to [`tracing`] under the target `typed_baggage`. They are
//! written so that a hostile peer cannot fill the logs:
//!
//! - **One summary per extraction or request.** The malformed members of
//!   one extraction make one event (how many, the reason and an excerpt of
//!   the first one), and so do the entries an inbound allowlist drops from
//!   one request (how many, and an excerpt of the first key); never one
//!   event per member.
//! - **Cut and escaped.** The text an event quotes from a carrier is cut to
//!   an excerpt of at most [`FOUND_EXCERPT_BYTES`] bytes and printed
//!   escaped (`{:?}`), so a hostile header can neither make long lines nor
//!   forge lines.
//! - **Rate-limited, process-wide.** At most [`EVENTS_PER_SECOND`] events
//!   a second at `WARN`, and as many at `DEBUG`, are written by the whole
//!   process (an event the subscriber does not want is not counted). The
//!   events over the budget are not written but counted, and the next
//!   event written says how many were left out (`suppressed=N`).
//!
//! The counters and metrics are exact whatever the logs leave out: they
//! count every member and every request.

use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use crate::error::excerpt;
use crate::limits::{MAX_BYTES, MAX_MEMBERS};
use crate::metrics::{BaggageMetrics, Direction, Reason};
use crate::wire::Malformed;
use crate::FOUND_EXCERPT_BYTES;

/// The `tracing` target of every log line of the pipelines.
pub(crate) const LOG_TARGET: &str = "typed_baggage";

/// The most log events the pipelines write a second, process-wide, at each
/// of the levels `WARN` and `DEBUG` (the number the `tower` module
/// documents, and `tests/log_flood.rs` holds the logs to).
pub(crate) const EVENTS_PER_SECOND: u64 = 20;

/// The process-wide budget of `WARN` events.
pub(crate) static WARNINGS: Budget = Budget::new(EVENTS_PER_SECOND);
/// The process-wide budget of `DEBUG` events.
#[cfg_attr(not(feature = "tower"), allow(dead_code))]
pub(crate) static DEBUGS: Budget = Budget::new(EVENTS_PER_SECOND);

/// Bits of [`Budget::window`] that count the events of the current second.
const COUNT_BITS: u32 = 24;
const COUNT_MASK: u64 = (1 << COUNT_BITS) - 1;

/// A number of log events a second, shared by every thread: a window of one
/// second and the events admitted in it, in one atomic word, so that no more
/// than `per_second` are ever admitted in a second, however many threads
/// race; and the count of events refused since the last one admitted.
pub(crate) struct Budget {
    /// The window's second (since the first event of the process) above
    /// [`COUNT_BITS`], the events admitted in it below.
    window: AtomicU64,
    suppressed: AtomicU64,
    per_second: u64,
}

impl Budget {
    pub(crate) const fn new(per_second: u64) -> Self {
        Budget {
            window: AtomicU64::new(0),
            suppressed: AtomicU64::new(0),
            per_second,
        }
    }

    /// Admits one event now: `Some(n)`, `n` the events refused since the
    /// last one admitted, or `None` (refused and counted).
    pub(crate) fn admit(&self) -> Option<u64> {
        static START: OnceLock<Instant> = OnceLock::new();
        self.admit_at(START.get_or_init(Instant::now).elapsed().as_secs())
    }

    /// [`Budget::admit`] at `second`.
    pub(crate) fn admit_at(&self, second: u64) -> Option<u64> {
        let mut current = self.window.load(Ordering::Relaxed);
        loop {
            let (window, count) = (current >> COUNT_BITS, current & COUNT_MASK);
            // A thread that read the clock before another opened the next
            // window counts in that window.
            let next = if second > window {
                (second << COUNT_BITS) | 1
            } else if count < self.per_second {
                current + 1
            } else {
                let _ = self.suppressed.fetch_add(1, Ordering::Relaxed);
                return None;
            };
            match self.window.compare_exchange_weak(
                current,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some(self.suppressed.swap(0, Ordering::Relaxed)),
                Err(actual) => current = actual,
            }
        }
    }
}

/// Writes one event at `$level` (`WARN` or `DEBUG`) if the subscriber
/// wants it and the level's process-wide [`Budget`] admits it, with the
/// field `suppressed`: the events of that level left out before it.
macro_rules! limited {
    ($level:ident, $message:literal, $($field:tt)+) => {
        if tracing::enabled!(target: $crate::report::LOG_TARGET, tracing::Level::$level) {
            if let Some(suppressed) = limited!(@budget $level).admit() {
                tracing::event!(
                    target: $crate::report::LOG_TARGET,
                    tracing::Level::$level,
                    $($field)+,
                    suppressed,
                    $message
                );
            }
        }
    };
    (@budget WARN) => { $crate::report::WARNINGS };
    (@budget DEBUG) => { $crate::report::DEBUGS };
}

/// For the modules that report events of their own (the tower layers).
#[cfg_attr(not(feature = "tower"), allow(unused_imports))]
pub(crate) use limited;

/// The members one outgoing header left out, tallied as the encoder meets
/// them and reported once by [`Reporter::left_out`].
#[derive(Default)]
pub(crate) struct OutgoingDrops<'a> {
    invalid: u64,
    over_bytes: u64,
    over_members: u64,
    first: Option<LeftOut<'a>>,
}

/// Why the first member an outgoing header left out was left out.
#[derive(Clone, Copy)]
enum LeftOut<'a> {
    Invalid {
        key: &'a str,
    },
    Over {
        over: Over,
        key: &'a str,
        member_bytes: usize,
    },
}

impl<'a> OutgoingDrops<'a> {
    /// A member whose key or properties break the grammar.
    pub(crate) fn invalid(&mut self, key: &'a str) {
        self.invalid += 1;
        self.first.get_or_insert(LeftOut::Invalid { key });
    }

    /// A member of `member_bytes` that would break a limit.
    pub(crate) fn over(&mut self, over: Over, key: &'a str, member_bytes: usize) {
        match over {
            Over::Bytes => self.over_bytes += 1,
            Over::Members => self.over_members += 1,
        }
        self.first.get_or_insert(LeftOut::Over {
            over,
            key,
            member_bytes,
        });
    }
}

/// The malformed list-members of one extraction, noted as the parser meets
/// them and reported once, as one summary, by [`Reporter::malformed`].
#[derive(Default)]
pub(crate) struct MalformedMembers<'a> {
    count: Cell<u64>,
    first: Cell<Option<(Malformed, &'a str)>>,
}

impl<'a> MalformedMembers<'a> {
    /// Notes one malformed member, dropped.
    #[inline]
    pub(crate) fn note(&self, malformed: Malformed, member: &'a str) {
        let count = self.count.get();
        if count == 0 {
            self.first.set(Some((malformed, member)));
        }
        self.count.set(count + 1);
    }
}

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

    /// The malformed incoming list-members of one extraction, each dropped
    /// alone: counted and recorded one by one, logged as one summary.
    #[inline]
    pub(crate) fn malformed(&self, members: &MalformedMembers<'_>) {
        if let Some((malformed, member)) = members.first.get() {
            self.malformed_cold(members.count.get(), malformed, member);
        }
    }

    #[cold]
    fn malformed_cold(&self, dropped: u64, malformed: Malformed, member: &str) {
        self.counters
            .inner
            .extract_members_dropped
            .fetch_add(dropped, Ordering::Relaxed);
        self.metrics()
            .dropped(Direction::Incoming, Reason::Malformed, dropped);
        limited!(
            WARN,
            "dropped malformed baggage list-members",
            dropped,
            reason = malformed.reason(),
            member = ?excerpt(member)
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
        limited!(
            WARN,
            "rejected the whole baggage header: over the W3C limit",
            limit = over.name(),
            size,
            allowance,
            start = ?excerpt(&String::from_utf8_lossy(start))
        );
    }

    /// The outgoing members one header left out: counted and recorded
    /// exactly, logged as one summary (how many of each, and the first).
    #[inline]
    pub(crate) fn left_out(&self, drops: &OutgoingDrops<'_>) {
        if let Some(first) = drops.first {
            self.left_out_cold(drops, first);
        }
    }

    #[cold]
    fn left_out_cold(&self, drops: &OutgoingDrops<'_>, first: LeftOut<'_>) {
        let inner = &self.counters.inner;
        inner
            .inject_members_invalid
            .fetch_add(drops.invalid, Ordering::Relaxed);
        inner
            .inject_members_dropped
            .fetch_add(drops.over_bytes + drops.over_members, Ordering::Relaxed);
        let metrics = self.metrics();
        for (n, reason) in [
            (drops.invalid, Reason::Malformed),
            (drops.over_bytes, Reason::ByteLimit),
            (drops.over_members, Reason::MemberLimit),
        ] {
            if n > 0 {
                metrics.dropped(Direction::Outgoing, reason, n);
            }
        }
        let (why, key, member_bytes) = match first {
            LeftOut::Invalid { key } => (
                "its key or properties do not follow the W3C grammar",
                key,
                0,
            ),
            LeftOut::Over {
                over,
                key,
                member_bytes,
            } => (
                match over {
                    Over::Bytes => "the header would break the W3C byte limit",
                    Over::Members => "the header would break the W3C member limit",
                },
                key,
                member_bytes,
            ),
        };
        limited!(
            WARN,
            "baggage members not sent",
            invalid = drops.invalid,
            over_bytes = drops.over_bytes,
            over_members = drops.over_members,
            first = why,
            key = ?excerpt(key),
            member_bytes,
            max_members = MAX_MEMBERS,
            max_bytes = MAX_BYTES
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_admits_its_events_a_second_and_reports_the_rest_with_the_next() {
        let budget = Budget::new(3);
        let second: Vec<Option<u64>> = (0..5).map(|_| budget.admit_at(7)).collect();
        assert_eq!(second, [Some(0), Some(0), Some(0), None, None]);
        // a late reader of the clock counts in the window already open
        assert_eq!(budget.admit_at(6), None);
        // the next second: the three left out are reported with the first event
        assert_eq!(budget.admit_at(8), Some(3));
        assert_eq!(budget.admit_at(8), Some(0));
        assert_eq!(budget.admit_at(8), Some(0));
        assert_eq!(budget.admit_at(8), None);
        assert_eq!(budget.admit_at(20), Some(1));
    }

    #[test]
    fn a_budget_never_admits_more_than_its_events_a_second_across_threads() {
        let budget = Budget::new(50);
        let admitted = std::thread::scope(|s| {
            let threads: Vec<_> = (0..4)
                .map(|_| s.spawn(|| (0..1000).filter(|_| budget.admit_at(1).is_some()).count()))
                .collect();
            threads
                .into_iter()
                .map(|t| t.join().unwrap())
                .sum::<usize>()
        });
        assert_eq!(admitted, 50);
        assert_eq!(budget.admit_at(2), Some(4000 - 50));
    }

    #[test]
    fn malformed_members_keep_the_count_and_the_first() {
        let members = MalformedMembers::default();
        assert_eq!(members.first.get(), None);
        members.note(Malformed::NoEquals, "a");
        members.note(Malformed::Key, "b c=1");
        assert_eq!(members.count.get(), 2);
        assert_eq!(members.first.get(), Some((Malformed::NoEquals, "a")));
    }
}
