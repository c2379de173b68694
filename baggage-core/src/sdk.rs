//! Baggage on spans and log records: processors for `opentelemetry_sdk`.
//!
//! [`BaggageSpanProcessor`] copies the parent context's baggage into the
//! attributes of every span when it starts; [`BaggageLogProcessor`] copies
//! the current context's baggage into the attributes of every log record
//! when it is emitted. What is copied, and how, is one [`BaggageAttributes`]
//! that both take. Both follow the rules of [`crate::attributes`] (which keys, typed
//! values, values that do not decode, names, length caps; local schemas
//! read from the context's local entries), and one more:
//!
//! - **The span's or record's own attributes win.** An attribute that the
//!   span already has when it starts (given to the span builder), or that
//!   the log record already has when it reaches the processor, is not
//!   overwritten nor duplicated by baggage of the same name. An attribute a
//!   span sets *after* it starts cannot be seen at start: use a prefix to
//!   keep the two apart.
//!
//! ```
//! use opentelemetry::trace::{Tracer, TracerProvider};
//! use opentelemetry::{Context, KeyValue};
//! use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
//! use typed_baggage::prelude::*;
//! use typed_baggage::sdk::{BaggageAttributes, BaggageSpanProcessor};
//!
//! #[derive(Baggage)]
//! #[baggage(prefix = "app.")]
//! struct UserCtx { user_id: u64, beta: bool }
//!
//! let exporter = InMemorySpanExporter::default();
//! let provider = SdkTracerProvider::builder()
//!     .with_span_processor(BaggageSpanProcessor::new(
//!         BaggageAttributes::new().schema::<UserCtx>().prefix("baggage."),
//!     ))
//!     .with_simple_exporter(exporter.clone())
//!     .build();
//!
//! let cx = Context::new().with_typed(&UserCtx { user_id: 7, beta: true })?;
//! let _guard = cx.attach();
//! provider.tracer("checkout").in_span("charge", |_cx| {});
//!
//! let spans = exporter.get_finished_spans().unwrap();
//! assert_eq!(spans[0].attributes, [
//!     KeyValue::new("baggage.app.beta", true),
//!     KeyValue::new("baggage.app.user_id", 7i64),
//! ]);
//! # Ok::<(), typed_baggage::Error>(())
//! ```

use std::time::Duration;

use opentelemetry::logs::{AnyValue, LogRecord as _};
use opentelemetry::trace::Span as _;
use opentelemetry::{Array, Context, InstrumentationScope, Key, Value};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::{LogProcessor, SdkLogRecord};
use opentelemetry_sdk::trace::{Span, SpanData, SpanProcessor};

pub use crate::attributes::BaggageAttributes;

/// An attribute value as a log-record value.
fn any_value(value: Value) -> AnyValue {
    match value {
        Value::Bool(b) => AnyValue::Boolean(b),
        Value::I64(i) => AnyValue::Int(i),
        Value::F64(f) => AnyValue::Double(f),
        Value::String(s) => AnyValue::String(s),
        Value::Array(Array::Bool(v)) => v.into_iter().collect(),
        Value::Array(Array::I64(v)) => v.into_iter().collect(),
        Value::Array(Array::F64(v)) => v.into_iter().collect(),
        Value::Array(Array::String(v)) => v.into_iter().collect(),
        other => AnyValue::String(other.to_string().into()),
    }
}

/// Copies the parent context's baggage into the attributes of every span
/// when it starts, by the rules of a [`BaggageAttributes`].
///
/// Add it to the tracer provider next to the exporting processor; the
/// order does not matter for spans.
///
/// ```
/// use opentelemetry::trace::{Tracer, TracerProvider};
/// use opentelemetry::{Context, KeyValue};
/// use opentelemetry::baggage::BaggageExt;
/// use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
/// use typed_baggage::sdk::{BaggageAttributes, BaggageSpanProcessor};
///
/// let exporter = InMemorySpanExporter::default();
/// let provider = SdkTracerProvider::builder()
///     .with_span_processor(BaggageSpanProcessor::new(BaggageAttributes::new().all_keys()))
///     .with_simple_exporter(exporter.clone())
///     .build();
///
/// let cx = Context::new().with_baggage([KeyValue::new("tenant", "acme")]);
/// let tracer = provider.tracer("t");
/// // The span's own `tenant` wins over the baggage's.
/// let span = tracer
///     .span_builder("load")
///     .with_attributes([KeyValue::new("tenant", "own")])
///     .start_with_context(&tracer, &cx);
/// drop(span);
///
/// let spans = exporter.get_finished_spans().unwrap();
/// assert_eq!(spans[0].attributes, [KeyValue::new("tenant", "own")]);
/// ```
#[derive(Debug, Clone)]
pub struct BaggageSpanProcessor {
    rules: BaggageAttributes,
}

impl BaggageSpanProcessor {
    /// A processor that copies baggage by these rules.
    pub fn new(rules: BaggageAttributes) -> Self {
        BaggageSpanProcessor { rules }
    }

    /// The rules, e.g. to read [`BaggageAttributes::invalid_values`].
    pub fn rules(&self) -> &BaggageAttributes {
        &self.rules
    }
}

impl SpanProcessor for BaggageSpanProcessor {
    /// Adds the attributes of the parent context's baggage and local
    /// entries that the span does not already have.
    fn on_start(&self, span: &mut Span, parent_cx: &Context) {
        let mut invalid = Vec::new();
        let mut own: Option<Vec<Key>> = None;
        let attributes = self.rules.collect(
            parent_cx,
            |name| {
                // The span's attributes are copied out only when there is
                // something to compare them with.
                own.get_or_insert_with(|| own_span_attributes(span))
                    .iter()
                    .any(|k| k.as_str() == name)
            },
            &mut invalid,
        );
        if !attributes.is_empty() {
            span.set_attributes(attributes);
        }
        if !invalid.is_empty() {
            self.rules.report(invalid);
        }
    }

    fn on_end(&self, _span: SpanData) {}

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}

/// The names of the attributes a span has at start.
fn own_span_attributes(span: &Span) -> Vec<Key> {
    span.exported_data()
        .map(|data| data.attributes.into_iter().map(|kv| kv.key).collect())
        .unwrap_or_default()
}

/// Copies the current context's baggage into the attributes of every log
/// record when it is emitted, by the rules of a [`BaggageAttributes`].
///
/// A log processor changes the record for the processors after it: add
/// this one to the logger provider **before** the exporting processor.
///
/// ```
/// use opentelemetry::logs::{AnyValue, LogRecord, Logger, LoggerProvider};
/// use opentelemetry::{Context, Key, KeyValue};
/// use opentelemetry::baggage::BaggageExt;
/// use opentelemetry_sdk::logs::{InMemoryLogExporter, SdkLoggerProvider};
/// use typed_baggage::sdk::{BaggageAttributes, BaggageLogProcessor};
///
/// let exporter = InMemoryLogExporter::default();
/// let provider = SdkLoggerProvider::builder()
///     .with_log_processor(BaggageLogProcessor::new(BaggageAttributes::new().all_keys()))
///     .with_simple_exporter(exporter.clone())
///     .build();
///
/// let _guard = Context::new().with_baggage([KeyValue::new("tenant", "acme")]).attach();
/// let logger = provider.logger("app");
/// let mut record = logger.create_log_record();
/// record.set_body("paid".into());
/// logger.emit(record);
///
/// let logs = exporter.get_emitted_logs().unwrap();
/// let attributes: Vec<_> = logs[0].record.attributes_iter().cloned().collect();
/// assert_eq!(attributes, [(Key::from("tenant"), AnyValue::from("acme"))]);
/// ```
#[derive(Debug, Clone)]
pub struct BaggageLogProcessor {
    rules: BaggageAttributes,
}

impl BaggageLogProcessor {
    /// A processor that copies baggage by these rules.
    pub fn new(rules: BaggageAttributes) -> Self {
        BaggageLogProcessor { rules }
    }

    /// The rules, e.g. to read [`BaggageAttributes::invalid_values`].
    pub fn rules(&self) -> &BaggageAttributes {
        &self.rules
    }
}

impl LogProcessor for BaggageLogProcessor {
    /// Adds the attributes of the current context's baggage and local
    /// entries that the record does not already have.
    fn emit(&self, record: &mut SdkLogRecord, _scope: &InstrumentationScope) {
        let mut invalid = Vec::new();
        let attributes = Context::map_current(|cx| {
            self.rules.collect(
                cx,
                |name| record.attributes_iter().any(|(k, _)| k.as_str() == name),
                &mut invalid,
            )
        });
        for kv in attributes {
            record.add_attribute(kv.key, any_value(kv.value));
        }
        if !invalid.is_empty() {
            // After the record is complete and the context released: the
            // log line may come back here through a tracing-to-OpenTelemetry
            // bridge, and then finds the key already logged.
            self.rules.report(invalid);
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_values_keep_their_types() {
        assert_eq!(any_value(Value::I64(-3)), AnyValue::Int(-3));
        assert_eq!(any_value(Value::F64(0.5)), AnyValue::Double(0.5));
        assert_eq!(any_value(Value::Bool(true)), AnyValue::Boolean(true));
        assert_eq!(
            any_value(Value::Array(Array::String(vec!["a".into()]))),
            AnyValue::ListAny(Box::new(vec![AnyValue::String("a".into())]))
        );
    }
}
