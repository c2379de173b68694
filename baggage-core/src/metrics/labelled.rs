//! Instruments that label themselves: each recording takes its attributes
//! from the current context's `#[baggage(metric_label)]` fields of one
//! schema.
//!
//! The OpenTelemetry specification has span and log processors but no
//! metric processor, so a metric's attributes are whatever the recording
//! site passes. [`Labelled`] wraps a [`Counter`], an [`UpDownCounter`] or a
//! [`Histogram`] and adds, to the attributes given at each recording, the
//! metric labels of a schema read from the current context:
//!
//! - **Only metric labels.** The fields marked `#[baggage(metric_label)]`,
//!   whose types the derive already holds to few values ([`LowCardinality`](crate::LowCardinality),
//!   or `allow_high_cardinality = "reason"`). A schema without one does not
//!   compile with `Labelled::new`.
//! - **Typed**, as [`Baggage::metric_attributes`] gives them (`bool` as a
//!   boolean, an enum as its wire text), read by the rules of
//!   [`crate::attributes`]: a local schema's labels from the context's local
//!   entries, never from the baggage.
//! - **The recording's own attributes win**: a label of the same name as
//!   an attribute given to `add` or `record` is left out.
//! - **Absent or invalid context never panics and never loses the
//!   recording**: it is recorded without the labels it cannot have. A
//!   required label absent from the context is counted
//!   ([`missing_labels`](Labelled::missing_labels), the metric
//!   `baggage.metric_labels.missing`) and logged once per key; a value that
//!   does not decode as its field's type is counted
//!   ([`invalid_values`](Labelled::invalid_values),
//!   `baggage.attributes.invalid`) and logged once per key. An optional
//!   label (`Option<T>`) that is `None` is simply absent.
//!
//! ```
//! use opentelemetry::metrics::MeterProvider;
//! use opentelemetry::{Context, KeyValue};
//! use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
//! use typed_baggage::metrics::labelled::Labelled;
//! use typed_baggage::prelude::*;
//!
//! #[derive(Baggage, Clone, Copy)]
//! #[baggage(rename_all = "snake_case")]
//! enum Tier { Free, Premium }
//!
//! #[derive(Baggage)]
//! #[baggage(prefix = "app.")]
//! struct UserCtx {
//!     user_id: u64,
//!     #[baggage(metric_label)]
//!     tier: Tier,
//! }
//!
//! let exporter = InMemoryMetricExporter::default();
//! let provider = SdkMeterProvider::builder()
//!     .with_reader(PeriodicReader::builder(exporter.clone()).build())
//!     .build();
//! let requests = Labelled::new::<UserCtx>(provider.meter("shop").u64_counter("requests").build());
//!
//! let _guard = Context::new().with_typed(&UserCtx { user_id: 7, tier: Tier::Premium })?.attach();
//! requests.add(1, &[KeyValue::new("route", "/pay")]);
//! assert_eq!(
//!     requests.labels(&[KeyValue::new("route", "/pay")]),
//!     [KeyValue::new("route", "/pay"), KeyValue::new("app.tier", "premium")],
//! );
//! # Ok::<(), typed_baggage::Error>(())
//! ```

use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use opentelemetry::metrics::{Counter, Histogram, UpDownCounter};
use opentelemetry::{Context, KeyValue};

use super::BaggageMetrics;
use crate::attributes::BaggageAttributes;
use crate::context::entries_in;
use crate::schema::Requirement;
use crate::{Baggage, Schema};

/// A required metric label of the schema.
struct RequiredLabel {
    key: Cow<'static, str>,
    /// Set once its first absence has been logged.
    logged: AtomicBool,
}

/// An instrument whose recordings carry the metric labels of the schema it
/// was made for, read from the current context. See the [module
/// documentation](self).
///
/// Cheap to clone: clones share the instrument and the counts.
#[derive(Clone)]
pub struct Labelled<I> {
    instrument: I,
    schema: &'static Schema,
    rules: BaggageAttributes,
    required: Arc<[RequiredLabel]>,
    missing: Arc<AtomicU64>,
    metrics: Arc<OnceLock<BaggageMetrics>>,
}

impl<I> fmt::Debug for Labelled<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Labelled")
            .field("schema", &self.schema.name)
            .field("missing_labels", &self.missing_labels())
            .field("invalid_values", &self.invalid_values())
            .finish_non_exhaustive()
    }
}

impl<I> Labelled<I> {
    /// Wraps `instrument` so that its recordings carry `T`'s metric labels.
    /// `T` must have at least one `#[baggage(metric_label)]` field: without
    /// one this does not compile.
    pub fn new<T: Baggage>(instrument: I) -> Self {
        const {
            let message = crate::checks::unlabelled_message(&T::SCHEMA);
            if !message.is_empty() {
                panic!("{}", message.as_str());
            }
        }
        let required: Vec<RequiredLabel> = T::SCHEMA
            .resolved()
            .into_iter()
            .filter(|r| r.field.metric_label && r.field.requirement == Requirement::Required)
            .map(|r| RequiredLabel {
                key: r.key,
                logged: AtomicBool::new(false),
            })
            .collect();
        Labelled {
            instrument,
            schema: const { &T::SCHEMA },
            rules: BaggageAttributes::new().schema_keys::<T>(|field| field.metric_label),
            required: required.into(),
            missing: Arc::new(AtomicU64::new(0)),
            metrics: Arc::new(OnceLock::new()),
        }
    }

    /// Counts missing labels and invalid values into these instruments,
    /// instead of instruments made from the global meter provider when the
    /// first one is counted.
    pub fn with_metrics(mut self, metrics: BaggageMetrics) -> Self {
        self.rules = self.rules.metrics(metrics.clone());
        self.metrics = Arc::new(OnceLock::from(metrics));
        self
    }

    /// The wrapped instrument, to record without labels.
    pub fn inner(&self) -> &I {
        &self.instrument
    }

    /// How many recordings lacked a required label, one count per label
    /// (shared by clones).
    pub fn missing_labels(&self) -> u64 {
        self.missing.load(Ordering::Relaxed)
    }

    /// How many label values were left out because they did not decode as
    /// their field's type (shared by clones).
    pub fn invalid_values(&self) -> u64 {
        self.rules.invalid_values()
    }

    /// The attributes a recording with `attributes` would carry in the
    /// current context: `attributes`, then the labels (in the order of
    /// their names) that `attributes` does not already name.
    pub fn labels(&self, attributes: &[KeyValue]) -> Vec<KeyValue> {
        Context::map_current(|cx| self.labels_in(cx, attributes))
    }

    fn labels_in(&self, cx: &Context, attributes: &[KeyValue]) -> Vec<KeyValue> {
        let entries = entries_in(self.schema, cx);
        for label in self.required.iter() {
            if entries.get(label.key.as_ref()).is_none() {
                self.missing_label(label);
            }
        }
        let mut invalid = Vec::new();
        let labels = self.rules.collect(
            cx,
            |name| attributes.iter().any(|kv| kv.key.as_str() == name),
            &mut invalid,
        );
        if !invalid.is_empty() {
            self.rules.report(invalid);
        }
        let mut all = Vec::with_capacity(attributes.len() + labels.len());
        all.extend_from_slice(attributes);
        all.extend(labels);
        all
    }

    #[cold]
    fn missing_label(&self, label: &RequiredLabel) {
        let _ = self.missing.fetch_add(1, Ordering::Relaxed);
        self.metrics
            .get_or_init(BaggageMetrics::global)
            .label_missing(label.key.clone());
        if !label.logged.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                target: crate::report::LOG_TARGET,
                key = &*label.key,
                schema = self.schema.name,
                "metric recorded without a required label: the key is absent from the context (logged once per key; counted every time)"
            );
        }
    }
}

impl<V> Labelled<Counter<V>> {
    /// Adds `value`, with `attributes` and the context's labels.
    pub fn add(&self, value: V, attributes: &[KeyValue]) {
        self.instrument.add(value, &self.labels(attributes));
    }
}

impl<V> Labelled<UpDownCounter<V>> {
    /// Adds `value` (negative to subtract), with `attributes` and the
    /// context's labels.
    pub fn add(&self, value: V, attributes: &[KeyValue]) {
        self.instrument.add(value, &self.labels(attributes));
    }
}

impl<V> Labelled<Histogram<V>> {
    /// Records `value`, with `attributes` and the context's labels.
    pub fn record(&self, value: V, attributes: &[KeyValue]) {
        self.instrument.record(value, &self.labels(attributes));
    }
}
