//! Size telemetry: how big the baggage that comes and goes is, and what was
//! dropped, as OpenTelemetry metrics, so that "everything in baggage" shows
//! on a dashboard before it breaks a limit.
//!
//! The [`BaggagePropagator`](crate::propagation::BaggagePropagator) records
//! them on every extract and inject, and the tower
//! [`BaggageLayer`](crate::tower::BaggageLayer) adds its inbound policy's
//! drops. The instruments, under the meter [`METER_NAME`]:
//!
//! | name | instrument | unit | attributes | what |
//! |---|---|---|---|---|
//! | `baggage.size` | histogram | `By` | `baggage.direction` | the encoded size of the `baggage` header: written (outgoing), or received, all `baggage` headers of a request together (incoming; rejected ones too) |
//! | `baggage.entries` | histogram | `{entry}` | `baggage.direction` | the list-members written (outgoing), or read by the propagator (incoming, before an inbound policy; `0` when none could be) |
//! | `baggage.entries.dropped` | counter | `{entry}` | `baggage.direction`, `baggage.reason` | list-members left out one by one |
//! | `baggage.headers.rejected` | counter | `{header}` | `baggage.direction`, `baggage.reason` | incoming `baggage` headers rejected whole (one count per request) |
//! | `baggage.attributes.invalid` | counter | `{entry}` | `baggage.key` | values of schema keys left out of telemetry (a span, a log record, a `tracing` event, a metric's labels) because they do not decode as their field's type (`baggage.key` is a schema key, so its values are few) |
//! | `baggage.metric_labels.missing` | counter | `{label}` | `baggage.key` | recordings of a [`labelled`] instrument made without a required metric label, absent from the context |
//!
//! `baggage.direction` is `incoming` (extract) or `outgoing` (inject).
//! `baggage.reason` is one of:
//!
//! | reason | where |
//! |---|---|
//! | `malformed` | a member that does not follow the W3C grammar: dropped alone on extract; on inject, a key or properties built in code that are not valid |
//! | `member_limit` | more than 64 list-members: the header rejected on extract (on inject the members past the 64th would be left out, but an OpenTelemetry `Baggage` never holds more than 64) |
//! | `byte_limit` | more than 8192 bytes: the header rejected on extract, the members that would not fit left out on inject |
//! | `policy` | the inbound policy of a [`BaggageLayer`](crate::tower::BaggageLayer): entries not in its allowlist, or the whole header under drop-all (which is not read, so it records no size) |
//!
//! The histograms' bucket boundaries are suited to the W3C limits:
//! [`SIZE_BOUNDARIES`] and [`ENTRIES_BOUNDARIES`].
//!
//! By default a propagator records into the global meter provider
//! ([`opentelemetry::global::set_meter_provider`]), creating its instruments
//! when it first records: install the meter provider before the first
//! request. [`BaggagePropagatorBuilder::metrics`](crate::propagation::BaggagePropagatorBuilder::metrics)
//! records into a meter of your choice instead.
//!
//! ```
//! use opentelemetry::metrics::MeterProvider;
//! use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
//! use typed_baggage::metrics::BaggageMetrics;
//! use typed_baggage::propagation::BaggagePropagator;
//!
//! let exporter = InMemoryMetricExporter::default();
//! let provider = SdkMeterProvider::builder()
//!     .with_reader(PeriodicReader::builder(exporter.clone()).build())
//!     .build();
//! let propagator = BaggagePropagator::builder()
//!     .metrics(BaggageMetrics::new(&provider.meter(typed_baggage::metrics::METER_NAME)))
//!     .build();
//! let baggage = propagator.parse(["a=1,b=2,c"]).unwrap();
//! assert_eq!(baggage.len(), 2);
//! provider.force_flush().unwrap();
//!
//! // baggage.size (9 By) and baggage.entries (2), incoming; and one member
//! // dropped: baggage.entries.dropped {incoming, malformed}
//! let exported = exporter.get_finished_metrics().unwrap();
//! let mut names: Vec<&str> = exported[0]
//!     .scope_metrics()
//!     .flat_map(|scope| scope.metrics())
//!     .map(|metric| metric.name())
//!     .collect();
//! names.sort();
//! assert_eq!(names, ["baggage.entries", "baggage.entries.dropped", "baggage.size"]);
//! ```

pub mod labelled;

use std::fmt;

use opentelemetry::metrics::{Counter, Histogram, Meter};
use opentelemetry::{InstrumentationScope, KeyValue};

/// The name of the meter (its instrumentation scope) the instruments are
/// made with by default: `typed-baggage`.
pub const METER_NAME: &str = "typed-baggage";

/// Histogram of the encoded size of the `baggage` header, in bytes (`By`).
pub const SIZE: &str = "baggage.size";
/// Histogram of the number of list-members (`{entry}`).
pub const ENTRIES: &str = "baggage.entries";
/// Counter of list-members dropped one by one (`{entry}`).
pub const ENTRIES_DROPPED: &str = "baggage.entries.dropped";
/// Counter of incoming `baggage` headers rejected whole (`{header}`).
pub const HEADERS_REJECTED: &str = "baggage.headers.rejected";

/// Counter of schema values left out of telemetry (`{entry}`): by the span
/// and log processors, the `tracing` formatter and the labelled instruments.
pub const ATTRIBUTES_INVALID: &str = "baggage.attributes.invalid";

/// Counter of metric labels of required fields absent from the context of a
/// recording by a [`labelled`] instrument (`{label}`).
pub const LABELS_MISSING: &str = "baggage.metric_labels.missing";

/// Attribute: `incoming` (extract) or `outgoing` (inject).
pub const DIRECTION: &str = "baggage.direction";
/// Attribute: why entries were dropped or a header rejected; see the
/// [module documentation](self).
pub const REASON: &str = "baggage.reason";

/// Attribute: the baggage key of a value left out.
pub const KEY: &str = "baggage.key";

/// Bucket boundaries of [`SIZE`], in bytes, up to the W3C limit of 8192.
pub const SIZE_BOUNDARIES: [f64; 10] = [
    0.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 2048.0, 4096.0, 8192.0, 16384.0,
];
/// Bucket boundaries of [`ENTRIES`], up to the W3C limit of 64 list-members.
pub const ENTRIES_BOUNDARIES: [f64; 8] = [0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];

/// Which way baggage goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Incoming,
    Outgoing,
}

impl Direction {
    fn as_str(self) -> &'static str {
        match self {
            Direction::Incoming => "incoming",
            Direction::Outgoing => "outgoing",
        }
    }
}

/// Why entries were dropped or a header rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    Malformed,
    MemberLimit,
    ByteLimit,
    #[cfg_attr(not(feature = "tower"), allow(dead_code))]
    Policy,
}

impl Reason {
    fn as_str(self) -> &'static str {
        match self {
            Reason::Malformed => "malformed",
            Reason::MemberLimit => "member_limit",
            Reason::ByteLimit => "byte_limit",
            Reason::Policy => "policy",
        }
    }
}

/// The instruments of the [module documentation](self), made once from a
/// meter and shared by clones.
///
/// ```
/// use typed_baggage::metrics::BaggageMetrics;
///
/// // into the global meter provider, under the meter `typed-baggage`
/// let metrics = BaggageMetrics::global();
/// # let _ = metrics;
/// ```
#[derive(Clone)]
pub struct BaggageMetrics {
    size: Histogram<u64>,
    entries: Histogram<u64>,
    dropped: Counter<u64>,
    rejected: Counter<u64>,
    invalid: Counter<u64>,
    labels_missing: Counter<u64>,
}

impl fmt::Debug for BaggageMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BaggageMetrics").finish_non_exhaustive()
    }
}

impl BaggageMetrics {
    /// Makes the instruments with `meter`.
    ///
    /// ```
    /// use opentelemetry::metrics::MeterProvider;
    /// use opentelemetry_sdk::metrics::SdkMeterProvider;
    /// use typed_baggage::metrics::{BaggageMetrics, METER_NAME};
    ///
    /// let provider = SdkMeterProvider::builder().build();
    /// let metrics = BaggageMetrics::new(&provider.meter(METER_NAME));
    /// # let _ = metrics;
    /// ```
    pub fn new(meter: &Meter) -> Self {
        BaggageMetrics {
            size: meter
                .u64_histogram(SIZE)
                .with_unit("By")
                .with_description("Encoded size of the baggage header, in bytes.")
                .with_boundaries(SIZE_BOUNDARIES.to_vec())
                .build(),
            entries: meter
                .u64_histogram(ENTRIES)
                .with_unit("{entry}")
                .with_description("Number of baggage list-members written or read.")
                .with_boundaries(ENTRIES_BOUNDARIES.to_vec())
                .build(),
            dropped: meter
                .u64_counter(ENTRIES_DROPPED)
                .with_unit("{entry}")
                .with_description("Baggage list-members dropped one by one.")
                .build(),
            rejected: meter
                .u64_counter(HEADERS_REJECTED)
                .with_unit("{header}")
                .with_description("Incoming baggage headers rejected whole.")
                .build(),
            invalid: meter
                .u64_counter(ATTRIBUTES_INVALID)
                .with_unit("{entry}")
                .with_description(
                    "Baggage values of schema keys left out of telemetry: they do not decode as their field's type.",
                )
                .build(),
            labels_missing: meter
                .u64_counter(LABELS_MISSING)
                .with_unit("{label}")
                .with_description(
                    "Metric labels of required schema fields absent from the context of a recording: recorded without them.",
                )
                .build(),
        }
    }

    /// Makes the instruments with the global meter provider's meter
    /// [`METER_NAME`] (versioned as this crate). Instruments made before a
    /// meter provider is installed record nothing.
    pub fn global() -> Self {
        let scope = InstrumentationScope::builder(METER_NAME)
            .with_version(env!("CARGO_PKG_VERSION"))
            .build();
        BaggageMetrics::new(&opentelemetry::global::meter_with_scope(scope))
    }

    /// One header's size and entries.
    pub(crate) fn record(&self, direction: Direction, bytes: usize, entries: usize) {
        let attributes = [KeyValue::new(DIRECTION, direction.as_str())];
        self.size.record(to_u64(bytes), &attributes);
        self.entries.record(to_u64(entries), &attributes);
    }

    /// `n` entries dropped.
    pub(crate) fn dropped(&self, direction: Direction, reason: Reason, n: u64) {
        if n > 0 {
            self.dropped.add(
                n,
                &[
                    KeyValue::new(DIRECTION, direction.as_str()),
                    KeyValue::new(REASON, reason.as_str()),
                ],
            );
        }
    }

    /// One incoming header rejected whole.
    pub(crate) fn rejected(&self, reason: Reason) {
        self.rejected.add(
            1,
            &[
                KeyValue::new(DIRECTION, Direction::Incoming.as_str()),
                KeyValue::new(REASON, reason.as_str()),
            ],
        );
    }
}

impl BaggageMetrics {
    /// One value of `key` left out of telemetry.
    pub(crate) fn invalid(&self, key: std::borrow::Cow<'static, str>) {
        self.invalid.add(1, &[KeyValue::new(KEY, key)]);
    }

    /// One recording of a labelled instrument without the label `key`.
    pub(crate) fn label_missing(&self, key: std::borrow::Cow<'static, str>) {
        self.labels_missing.add(1, &[KeyValue::new(KEY, key)]);
    }
}

fn to_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}
