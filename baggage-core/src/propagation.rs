//! The W3C `baggage` header propagator.
//!
//! [`BaggagePropagator`] is an [`opentelemetry::propagation::TextMapPropagator`]
//! that follows the [W3C Baggage](https://www.w3.org/TR/baggage/) header
//! format to the letter, so that every value round-trips through the header
//! exactly, between Rust services and with the other OpenTelemetry SDKs.
//!
//! ```
//! use opentelemetry::baggage::BaggageExt;
//! use opentelemetry::propagation::TextMapPropagator;
//! use opentelemetry::{Context, KeyValue};
//! use std::collections::HashMap;
//! use typed_baggage::propagation::BaggagePropagator;
//!
//! let propagator = BaggagePropagator::new();
//!
//! // outgoing request
//! let cx = Context::new().with_baggage([
//!     KeyValue::new("app.user", "Amélie"),
//!     KeyValue::new("app.expr", "a+b=c 100%"),
//! ]);
//! let mut headers = HashMap::new();
//! propagator.inject_context(&cx, &mut headers);
//! assert_eq!(headers["baggage"], "app.expr=a%2Bb%3Dc%20100%25,app.user=Am%C3%A9lie");
//!
//! // incoming request, in the next service
//! let cx = propagator.extract_with_context(&Context::new(), &headers);
//! assert_eq!(cx.baggage().get("app.expr").map(|v| v.as_str()), Some("a+b=c 100%"));
//! assert_eq!(cx.baggage().get("app.user").map(|v| v.as_str()), Some("Amélie"));
//! ```
//!
//! # Writing (inject)
//!
//! Each entry becomes one list-member `key=value[;properties]`, members
//! joined with `,` and sorted by key, so that the same baggage always makes
//! the same header. The key is written as is (a baggage key is always an
//! RFC 7230 token); the value is percent-encoded by
//! [`wire::encode_value`](crate::wire::encode_value): only
//! `A-Z a-z 0-9 - _ . ~` are written raw, every other byte as `%XX` (`%20`
//! for a space, `%2B` for `+`), which every peer SDK decodes correctly. The
//! properties (an entry's [`BaggageMetadata`](opentelemetry::baggage::BaggageMetadata))
//! are written exactly as they were received, never decoded nor re-encoded.
//!
//! The header never breaks the W3C limits, 64 list-members and 8192 bytes
//! ([`crate::limits`]), and never carries a partial member: in key order,
//! a member that would not fit is left out whole, and later, smaller
//! members still go if they fit. A member whose properties are not valid
//! W3C properties (which only code that builds its own
//! `BaggageMetadata` can cause) is left out too, so a `,` or a line break
//! in them can never forge members or headers. Every member left out is
//! counted ([`Counters`]) and logged.
//!
//! # Reading (extract)
//!
//! Every `baggage` header ([`Extractor::get_all`]) is read, as one list,
//! by the grammar of the specification:
//!
//! ```text
//! list-member = key OWS "=" OWS value *( OWS ";" OWS property )
//! property    = key OWS "=" OWS value / key OWS
//! OWS         = *( SP / HTAB )
//! ```
//!
//! - The key is an RFC 7230 token. A member is split on its *first* `=`
//!   only: `k=a=b` has the value `a=b`.
//! - The value is percent-decoded; decoded bytes that are not UTF-8 become
//!   U+FFFD. A raw `+` is a `+` (see [`BaggagePropagatorBuilder::plus_as_space`]).
//! - Properties are kept as they came: the text after the member's first
//!   `;`, without the surrounding OWS, becomes the entry's metadata, and is
//!   written back the same way.
//! - Empty list-members (`a=1,,b=2`, a trailing `,`) are skipped, as the
//!   list rules of RFC 7230 allow.
//! - A malformed member (no `=`, a key that is not a token, a value byte
//!   outside `baggage-octet`, a `%` without two hex digits, a malformed
//!   property) is dropped alone; the other members are kept. Each is
//!   counted and logged.
//! - Duplicate keys: the last one wins.
//! - Headers over the limits are rejected whole and the context comes
//!   back unchanged: more than 8192 bytes in all (the lengths of the
//!   header values added up, OWS included; the separators a proxy would
//!   put between combined headers are not counted), or more than 64
//!   list-members (malformed ones count, empty ones do not). The size is
//!   checked from the lengths before anything is read, and members are
//!   counted only up to the 65th, so a hostile header costs no more than
//!   reading 8 KiB of it and allocates nothing in proportion to it.
//!
//! When at least one member is read, the extracted baggage replaces the
//! baggage of the given context (as the OpenTelemetry SDK's propagator
//! does). When none is (no header, an empty header, a header over the
//! limits, or only malformed members), the context comes back unchanged:
//! a garbage header never wipes baggage the context already had.
//!
//! The keys and values of the extracted baggage are shared, not copied,
//! when they come again: each thread keeps the last keys and, apart, the
//! last values it received (up to 256 of each, each at most 64 bytes; a
//! longer text is copied every time) as `Arc<str>`, and a text that comes
//! again is a reference to the same text. A thread that has read a header
//! holds these two tables, 16 KiB and at most 32 KiB of text, until it
//! exits; a value stays in its thread's table after its request, until a
//! newer value takes its slot. The entries read the same either way: an
//! OpenTelemetry [`Key`](opentelemetry::Key) or
//! [`StringValue`](opentelemetry::StringValue) hashes, compares and prints
//! as its text.
//!
//! # Logging
//!
//! Drops and rejections are logged under the target `typed_baggage`: one
//! event per extraction (how many members, the reason and an excerpt of the
//! first, cut and escaped), rate-limited process-wide to 20 events a second
//! at WARN and 20 at DEBUG, the number left out reported in the next event
//! (`suppressed=N`). Counters and metrics are exact.

use std::fmt;

use opentelemetry::baggage::{Baggage as OtelBaggage, BaggageExt};
use opentelemetry::propagation::text_map_propagator::FieldIter;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::Context;

use crate::keys::is_valid_key;
use crate::limits::{member_len, MAX_BYTES, MAX_MEMBERS};
use crate::metrics::{BaggageMetrics, Direction};
use crate::read;
use crate::report::{OutgoingDrops, Over, Reporter};
use crate::wire::{check_properties, encode_value};

pub use crate::report::Counters;

/// The header name, lower case as the specification recommends.
pub(crate) const HEADER: &str = "baggage";

/// A W3C-conformant `baggage` header propagator; see the [module
/// documentation](self) for exactly what it reads and writes.
///
/// Cheap to clone: clones share their [`Counters`].
///
/// ```
/// use opentelemetry::propagation::{TextMapCompositePropagator, TextMapPropagator};
/// use typed_baggage::propagation::BaggagePropagator;
///
/// let propagator = BaggagePropagator::new();
/// let counters = propagator.counters();
/// // install it, e.g. next to the trace-context propagator
/// let composite = TextMapCompositePropagator::new(vec![Box::new(propagator)]);
/// assert_eq!(composite.fields().collect::<Vec<_>>(), ["baggage"]);
/// assert_eq!(counters.extract_members_dropped(), 0);
/// ```
#[derive(Clone)]
pub struct BaggagePropagator {
    plus_as_space: bool,
    reporter: Reporter,
    fields: [String; 1],
}

impl fmt::Debug for BaggagePropagator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BaggagePropagator")
            .field("plus_as_space", &self.plus_as_space)
            .field("counters", self.reporter.counters())
            .finish()
    }
}

impl Default for BaggagePropagator {
    fn default() -> Self {
        BaggagePropagator::new()
    }
}

impl BaggagePropagator {
    /// A propagator with the default options (a raw `+` reads as `+`) and
    /// its own [`Counters`].
    ///
    /// ```
    /// use typed_baggage::propagation::BaggagePropagator;
    /// let propagator = BaggagePropagator::new();
    /// assert!(!propagator.plus_as_space());
    /// ```
    pub fn new() -> Self {
        BaggagePropagator::builder().build()
    }

    /// A builder for a propagator with other options.
    ///
    /// ```
    /// use typed_baggage::propagation::BaggagePropagator;
    /// let propagator = BaggagePropagator::builder().plus_as_space(true).build();
    /// assert!(propagator.plus_as_space());
    /// ```
    pub fn builder() -> BaggagePropagatorBuilder {
        BaggagePropagatorBuilder {
            plus_as_space: false,
            counters: None,
            metrics: None,
        }
    }

    /// A handle on this propagator's counters of dropped members and
    /// rejected headers (shared, not a snapshot).
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use opentelemetry::{propagation::TextMapPropagator, Context};
    /// use typed_baggage::propagation::BaggagePropagator;
    ///
    /// let propagator = BaggagePropagator::new();
    /// let counters = propagator.counters();
    /// let headers = HashMap::from([("baggage".to_owned(), "ok=1,no-equals".to_owned())]);
    /// propagator.extract_with_context(&Context::new(), &headers);
    /// assert_eq!(counters.extract_members_dropped(), 1);
    /// ```
    pub fn counters(&self) -> Counters {
        self.reporter.counters().clone()
    }

    /// Whether a raw `+` in a value is read as a space
    /// ([`BaggagePropagatorBuilder::plus_as_space`]).
    ///
    /// ```
    /// use typed_baggage::propagation::BaggagePropagator;
    /// assert!(!BaggagePropagator::default().plus_as_space());
    /// ```
    pub fn plus_as_space(&self) -> bool {
        self.plus_as_space
    }

    /// Writes the `baggage` header of `baggage`, or returns `None` if no
    /// member can be written. This is what [`TextMapPropagator::inject_context`]
    /// sets; it is here for carriers that are not an [`Injector`].
    ///
    /// ```
    /// use opentelemetry::baggage::Baggage;
    /// use typed_baggage::propagation::BaggagePropagator;
    ///
    /// let mut baggage = Baggage::new();
    /// baggage.insert_with_metadata("b", "x y", "ttl=30;sensitive");
    /// baggage.insert("a", "1");
    /// let header = BaggagePropagator::new().header_value(&baggage);
    /// assert_eq!(header.as_deref(), Some("a=1,b=x%20y;ttl=30;sensitive"));
    /// assert_eq!(BaggagePropagator::new().header_value(&Baggage::new()), None);
    /// ```
    pub fn header_value(&self, baggage: &OtelBaggage) -> Option<String> {
        if baggage.is_empty() {
            return None;
        }
        let mut members: Vec<(&str, &str, &str)> = baggage
            .iter()
            .map(|(key, (value, metadata))| (key.as_str(), value.as_str(), metadata.as_str()))
            .collect();
        // Keys are unique, so the order is total and the header
        // reproducible; what sorting costs is in `BENCHMARKS.md`.
        members.sort_unstable_by(|a, b| a.0.cmp(b.0));

        let mut header = String::new();
        let mut written = 0usize;
        let mut drops = OutgoingDrops::default();
        for (key, value, metadata) in members {
            if !is_valid_key(key) || check_properties(metadata).is_err() {
                drops.invalid(key);
                continue;
            }
            let len = member_len(key, value, metadata);
            let separator = usize::from(written > 0);
            let size = header.len() + separator + len;
            if written >= MAX_MEMBERS || size > MAX_BYTES {
                let over = if written >= MAX_MEMBERS {
                    Over::Members
                } else {
                    Over::Bytes
                };
                drops.over(over, key, len);
                continue;
            }
            if header.is_empty() {
                header.reserve(size.max(64));
            }
            if separator == 1 {
                header.push(',');
            }
            header.push_str(key);
            header.push('=');
            encode_value(value, &mut header);
            if !metadata.is_empty() {
                header.push(';');
                header.push_str(metadata);
            }
            written += 1;
        }
        self.reporter.left_out(&drops);
        self.reporter
            .measured(Direction::Outgoing, header.len(), written);
        (written > 0).then_some(header)
    }

    /// Reads baggage from the values of every `baggage` header, as one list,
    /// or returns `None` if there is nothing to read: no member, or headers
    /// over the limits. This is what [`TextMapPropagator::extract_with_context`]
    /// puts in the context; it is here for carriers that are not an
    /// [`Extractor`].
    ///
    /// ```
    /// use typed_baggage::propagation::BaggagePropagator;
    ///
    /// let propagator = BaggagePropagator::new();
    /// let baggage = propagator.parse(["a = 1 ;p", "b=x%20y, c=k=v"]).unwrap();
    /// assert_eq!(baggage.len(), 3);
    /// assert_eq!(baggage.get_with_metadata("a").map(|(v, m)| (v.as_str(), m.as_str())), Some(("1", "p")));
    /// assert_eq!(baggage.get("b").map(|v| v.as_str()), Some("x y"));
    /// assert_eq!(baggage.get("c").map(|v| v.as_str()), Some("k=v"));
    /// assert!(propagator.parse(["no-equals"]).is_none());
    /// ```
    pub fn parse<'h, I>(&self, headers: I) -> Option<OtelBaggage>
    where
        I: IntoIterator<Item = &'h str>,
        I::IntoIter: Clone,
    {
        let headers = headers.into_iter();
        self.extract_values(|| headers.clone())
    }

    /// The read pipeline in context mode ([`crate::read`]) over the raw
    /// bytes of a carrier's values: what every extract calls.
    pub(crate) fn extract_values<'h, V: read::CarrierValue<'h>, I: Iterator<Item = V>>(
        &self,
        values: impl Fn() -> I,
    ) -> Option<OtelBaggage> {
        read::receive(&self.reporter, values)?.into_baggage(&self.reporter, self.plus_as_space)
    }

    /// The read pipeline in direct mode ([`crate::read`]) over the raw
    /// bytes of a carrier's values: what every typed read from a carrier calls.
    pub(crate) fn read_values<'h, T, V, I>(&self, values: impl Fn() -> I) -> Result<T, crate::Error>
    where
        T: crate::Baggage,
        V: read::CarrierValue<'h>,
        I: Iterator<Item = V>,
    {
        read::typed_from(&self.reporter, self.plus_as_space, values)
    }

    /// Reads a typed schema straight from the values of every `baggage`
    /// header, without building an OpenTelemetry baggage and context first.
    ///
    /// The result is exactly that of [`Baggage::from_context`](crate::Baggage::from_context) on the
    /// context that [`TextMapPropagator::extract_with_context`] makes of
    /// the same headers from an empty context (the same members read, the
    /// same drops counted and logged, the last of duplicate keys winning),
    /// at a fraction of the cost: only the schema's values are copied. This
    /// is what [`Baggage::from_headers`](crate::Baggage::from_headers) uses;
    /// it is here for carriers that are not an `http::HeaderMap`.
    ///
    /// ```
    /// use typed_baggage::prelude::*;
    /// use typed_baggage::propagation::BaggagePropagator;
    ///
    /// #[derive(Baggage, Debug, PartialEq)]
    /// #[baggage(prefix = "app.")]
    /// struct UserCtx { user_id: u64, region: Option<String> }
    ///
    /// let propagator = BaggagePropagator::new();
    /// let user: UserCtx = propagator.read_typed(["other=1,app.user_id=7", "app.region=eu%20west"])?;
    /// assert_eq!(user, UserCtx { user_id: 7, region: Some("eu west".into()) });
    /// # Ok::<(), typed_baggage::Error>(())
    /// ```
    pub fn read_typed<'h, T, I>(&self, headers: I) -> Result<T, crate::Error>
    where
        T: crate::Baggage,
        I: IntoIterator<Item = &'h str>,
        I::IntoIter: Clone,
    {
        let headers = headers.into_iter();
        self.read_values(|| headers.clone())
    }

    /// The reporter of this propagator's drops and sizes (for the layers
    /// that apply an inbound policy).
    #[cfg_attr(not(feature = "tower"), allow(dead_code))]
    pub(crate) fn reporter(&self) -> &Reporter {
        &self.reporter
    }
}

/// Every `baggage` value an [`Extractor`] holds ([`Extractor::get_all`],
/// falling back to [`Extractor::get`]): the text-map carrier adapter.
pub(crate) fn baggage_fields(extractor: &dyn Extractor) -> Vec<&str> {
    extractor
        .get_all(HEADER)
        .or_else(|| extractor.get(HEADER).map(|one| vec![one]))
        .unwrap_or_default()
}

/// The process-wide propagator every carrier uses unless given another
/// (`http`, `env`, `messages`, the tower layers): one per process, so that
/// its [`Counters`] count every drop, whichever way baggage came in.
///
/// ```
/// let counters = typed_baggage::propagation::default_propagator().counters();
/// let _dropped_so_far = counters.extract_members_dropped();
/// ```
pub fn default_propagator() -> &'static BaggagePropagator {
    static DEFAULT: std::sync::OnceLock<BaggagePropagator> = std::sync::OnceLock::new();
    DEFAULT.get_or_init(BaggagePropagator::default)
}

impl TextMapPropagator for BaggagePropagator {
    /// Sets the `baggage` header to [`BaggagePropagator::header_value`] of
    /// the context's baggage; sets nothing if there is no member to send.
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
        if let Some(header) = self.header_value(cx.baggage()) {
            injector.set(HEADER, header);
        }
    }

    /// Reads every `baggage` header ([`Extractor::get_all`], falling back to
    /// [`Extractor::get`]) with [`BaggagePropagator::parse`]. The result
    /// replaces the context's baggage; with nothing read, `cx` comes back
    /// unchanged.
    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        let headers = baggage_fields(extractor);
        match self.extract_values(|| headers.iter().copied()) {
            Some(baggage) => cx.with_baggage(baggage),
            None => cx.clone(),
        }
    }

    /// `["baggage"]`.
    fn fields(&self) -> FieldIter<'_> {
        FieldIter::new(&self.fields)
    }
}

/// Builds a [`BaggagePropagator`] with options.
///
/// ```
/// use typed_baggage::propagation::{BaggagePropagator, Counters};
///
/// let shared = Counters::new();
/// let propagator = BaggagePropagator::builder()
///     .plus_as_space(true)
///     .counters(shared.clone())
///     .build();
/// assert!(propagator.plus_as_space());
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct BaggagePropagatorBuilder {
    plus_as_space: bool,
    counters: Option<Counters>,
    metrics: Option<BaggageMetrics>,
}

impl BaggagePropagatorBuilder {
    /// Reads a raw `+` in a value as a space (default: `false`, a `+` is a
    /// `+`). Only reading changes: the propagator always writes a space as
    /// `%20` and a `+` as `%2B`, which every peer reads right.
    ///
    /// Turn it on when the peers that send you baggage are Python services.
    /// The OpenTelemetry Python API encodes values with `quote_plus`, which
    /// writes a space as `+` (and a real `+` as `%2B`), so without this
    /// option `"a b"` from Python reads as `"a+b"`. The specification's
    /// percent-encoding (RFC 3986) gives `+` no special meaning, and Go and
    /// Java SDKs may send a real `+` raw, so the option is off by default:
    /// with it on, their `+` would read as a space.
    ///
    /// ```
    /// use opentelemetry::baggage::BaggageExt;
    /// use opentelemetry::{propagation::TextMapPropagator, Context};
    /// use std::collections::HashMap;
    /// use typed_baggage::propagation::BaggagePropagator;
    ///
    /// // what a Python service sends for {"city": "New York", "expr": "1+1"}
    /// let headers = HashMap::from([("baggage".to_owned(), "city=New+York,expr=1%2B1".to_owned())]);
    ///
    /// let spec = BaggagePropagator::new().extract_with_context(&Context::new(), &headers);
    /// assert_eq!(spec.baggage().get("city").map(|v| v.as_str()), Some("New+York"));
    ///
    /// let python = BaggagePropagator::builder().plus_as_space(true).build();
    /// let cx = python.extract_with_context(&Context::new(), &headers);
    /// assert_eq!(cx.baggage().get("city").map(|v| v.as_str()), Some("New York"));
    /// assert_eq!(cx.baggage().get("expr").map(|v| v.as_str()), Some("1+1"));
    /// ```
    pub fn plus_as_space(mut self, yes: bool) -> Self {
        self.plus_as_space = yes;
        self
    }

    /// Counts into `counters` instead of a new set, e.g. to share one set
    /// between several propagators or to read it from a metrics exporter.
    ///
    /// ```
    /// use typed_baggage::propagation::{BaggagePropagator, Counters};
    ///
    /// let shared = Counters::new();
    /// let a = BaggagePropagator::builder().counters(shared.clone()).build();
    /// let b = BaggagePropagator::builder().counters(shared.clone()).build();
    /// assert!(a.counters().same_as(&b.counters()));
    /// ```
    pub fn counters(mut self, counters: Counters) -> Self {
        self.counters = Some(counters);
        self
    }

    /// Records the size telemetry of [`crate::metrics`] into these
    /// instruments, instead of into instruments made from the global meter
    /// provider when the propagator first records.
    ///
    /// ```
    /// use opentelemetry::metrics::MeterProvider;
    /// use opentelemetry_sdk::metrics::SdkMeterProvider;
    /// use typed_baggage::metrics::{BaggageMetrics, METER_NAME};
    /// use typed_baggage::propagation::BaggagePropagator;
    ///
    /// let provider = SdkMeterProvider::builder().build();
    /// let propagator = BaggagePropagator::builder()
    ///     .metrics(BaggageMetrics::new(&provider.meter(METER_NAME)))
    ///     .build();
    /// # let _ = propagator;
    /// ```
    pub fn metrics(mut self, metrics: BaggageMetrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// The propagator.
    ///
    /// ```
    /// use typed_baggage::propagation::BaggagePropagator;
    /// let propagator = BaggagePropagator::builder().build();
    /// assert!(!propagator.plus_as_space());
    /// ```
    pub fn build(self) -> BaggagePropagator {
        BaggagePropagator {
            plus_as_space: self.plus_as_space,
            reporter: Reporter::new(self.counters.unwrap_or_default(), self.metrics),
            fields: [HEADER.to_owned()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Metadata, Subscriber};

    /// Records every event as `target level field=value ...`.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<String>>);

    struct Line<'a>(&'a mut String);

    impl Visit for Line<'_> {
        fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
            self.0.push_str(&format!(" {}={:?}", field.name(), value));
        }
    }

    impl Subscriber for &'static Recorder {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            let mut line = format!("{} {}", event.metadata().target(), event.metadata().level());
            event.record(&mut Line(&mut line));
            if let Ok(mut lines) = self.0.lock() {
                lines.push(line);
            }
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    fn logs(f: impl FnOnce()) -> Vec<String> {
        let recorder: &'static Recorder = Box::leak(Box::default());
        tracing::subscriber::with_default(recorder, f);
        let lines = recorder.0.lock().map(|l| l.clone()).unwrap_or_default();
        lines
    }

    #[test]
    fn malformed_member_log_names_the_reason_and_cuts_the_member() {
        let propagator = BaggagePropagator::new();
        let hostile = format!("k=%zz{}\r\nx-forged: 1", "a".repeat(200));
        let lines = logs(|| {
            assert!(propagator
                .parse(["ok=1", hostile.as_str(), "no-equals"])
                .is_some());
        });
        // One summary for the extraction: how many, the first one's reason
        // and excerpt.
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].contains("dropped=2"), "{lines:?}");
        assert_eq!(propagator.counters().extract_members_dropped(), 2);
        let line = &lines[0];
        assert!(line.starts_with("typed_baggage WARN"), "{line}");
        assert!(
            line.contains("reason=\"value has a `%` not followed by two hex digits\""),
            "{line}"
        );
        assert!(
            line.contains(&format!("member=\"k=%zz{}…\"", "a".repeat(91))),
            "{line}"
        );
        assert!(!line.contains('\n') && !line.contains("x-forged"), "{line}");
    }

    #[test]
    fn rejected_header_log_names_the_limit_and_cuts_the_header() {
        let propagator = BaggagePropagator::new();
        let huge = format!("k={}", "x".repeat(1 << 20));
        let lines = logs(|| assert!(propagator.parse([huge.as_str()]).is_none()));
        assert_eq!(lines.len(), 1, "{lines:?}");
        let line = &lines[0];
        assert!(
            line.contains("limit=\"bytes\" size=1048578 allowance=8192"),
            "{line}"
        );
        assert!(line.len() < 300, "{line}");

        let many = vec!["a=1"; 100].join(",");
        let lines = logs(|| assert!(propagator.parse([many.as_str()]).is_none()));
        assert!(
            lines[0].contains("limit=\"list-members\" size=65 allowance=64"),
            "{lines:?}"
        );
        assert_eq!(propagator.counters().extract_headers_rejected(), 2);
    }

    #[test]
    fn inject_drop_log_names_the_key_and_the_limit() {
        let propagator = BaggagePropagator::new();
        let mut baggage = OtelBaggage::new();
        baggage.insert("wide", "é".repeat(2000));
        baggage.insert_with_metadata("bad", "1", "p,q");
        let lines = logs(|| assert_eq!(propagator.header_value(&baggage), None));
        // One summary for the header: how many of each, and the first.
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].contains("invalid=1 over_bytes=1 over_members=0"),
            "{lines:?}"
        );
        assert!(lines[0].contains("key=\"bad\""), "{lines:?}");
        let c = propagator.counters();
        assert_eq!(
            (c.inject_members_invalid(), c.inject_members_dropped()),
            (1, 1)
        );
    }

    #[test]
    fn clones_share_counters() {
        let a = BaggagePropagator::new();
        let b = a.clone();
        assert!(b.parse(["bad"]).is_none());
        assert_eq!(a.counters().extract_members_dropped(), 1);
        assert!(format!("{a:?}").contains("extract_members_dropped: 1"));
    }
}
