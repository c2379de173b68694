//! Baggage on spans and log lines, typed: a service instrumented with the
//! `tracing` crate, its spans sent to OpenTelemetry by
//! `tracing-opentelemetry` and its events by `opentelemetry-appender-tracing`.
//! The `BaggageSpanProcessor` and `BaggageLogProcessor` add the schemas'
//! fields to every span and log record, as typed attributes, and the
//! exporters (in memory here; OTLP or stdout in a real service) print them.
//!
//! Run with `cargo run --example logging --features sdk`.

#[path = "shared/schemas.rs"]
mod schemas;

use opentelemetry::baggage::BaggageExt;
use opentelemetry::logs::AnyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry::{Context, KeyValue, Value};
use opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge;
use opentelemetry_sdk::logs::{InMemoryLogExporter, SdkLoggerProvider};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use schemas::{Flags, UserCtx};
use tracing_subscriber::layer::SubscriberExt;
use typed_baggage::prelude::*;
use typed_baggage::sdk::{BaggageAttributes, BaggageLogProcessor, BaggageSpanProcessor};

/// A handler deep in the service: it logs, and its spans and log lines
/// carry who the user is without being told.
fn charge(amount_cents: i64) {
    let _span = tracing::info_span!("charge", amount_cents).entered();
    tracing::info!(amount_cents, "card charged");
}

fn checkout() -> Result<(), typed_baggage::Error> {
    let _span = tracing::info_span!("checkout").entered();
    let flags = Flags::from_current()?;
    tracing::info!(new_checkout = flags.new_checkout, "checkout started");
    charge(4_999);
    // Metric labels: only the low-cardinality fields, never the user id.
    let labels: Vec<KeyValue> = UserCtx::from_current()?
        .metric_attributes()
        .chain(flags.metric_attributes())
        .collect();
    println!("labels for an `orders` counter: {}", kvs(&labels));
    Ok(())
}

fn main() -> Result<(), typed_baggage::Error> {
    // One set of rules for spans and logs: the two schemas, typed; any
    // `session.*` key as a string; every attribute under `baggage.`.
    let rules = BaggageAttributes::new()
        .schema::<UserCtx>()
        .schema::<Flags>()
        .keys(|key| key.starts_with("session."))
        .prefix("baggage.")
        .max_value_len(64);

    let spans = InMemorySpanExporter::default();
    let tracer_provider = SdkTracerProvider::builder()
        .with_span_processor(BaggageSpanProcessor::new(rules.clone()))
        .with_simple_exporter(spans.clone())
        .build();
    let logs = InMemoryLogExporter::default();
    let logger_provider = SdkLoggerProvider::builder()
        // before the exporting processor: a log processor changes the record
        // for the processors after it
        .with_log_processor(BaggageLogProcessor::new(rules.clone()))
        .with_simple_exporter(logs.clone())
        .build();

    let spans_layer = tracing_opentelemetry::layer()
        .with_tracer(tracer_provider.tracer("shop"))
        // keep the printout to the point
        .with_location(false)
        .with_threads(false)
        .with_target(false)
        .with_tracked_inactivity(false);
    let subscriber = tracing_subscriber::registry()
        .with(spans_layer)
        .with(OpenTelemetryTracingBridge::new(&logger_provider));
    // Global, as in a service: the processors' own warnings reach the logs.
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
    (|| {
        // The gateway sets the context once...
        let cx = Context::new()
            .with_baggage([KeyValue::new("session.id", "s-42")])
            .with_typed(&schemas::example_user())?
            .with_typed(&schemas::example_flags())?;
        let _guard = cx.attach();
        // ...and every span and log line below carries it.
        checkout()?;

        // A forged value that does not decode as its field's type is left
        // out (a typed attribute never changes type), counted, and logged
        // once per key.
        let mut forged: Vec<KeyValue> = Context::map_current(|cx| {
            cx.baggage()
                .iter()
                .filter(|(key, _)| key.as_str() != "app.user_id")
                .map(|(key, (value, _))| KeyValue::new(key.clone(), value.clone()))
                .collect()
        });
        forged.push(KeyValue::new("app.user_id", "12a"));
        let _guard = Context::current().with_baggage(forged).attach();
        tracing::info!("request with a forged user id");
        tracing::info!("another line of the same request");
        Ok::<(), typed_baggage::Error>(())
    })()?;

    println!("\nspans:");
    for span in spans.get_finished_spans().unwrap_or_default() {
        println!("  {} {}", span.name, kvs(&span.attributes));
    }
    println!("\nlog records:");
    for log in logs.get_emitted_logs().unwrap_or_default() {
        let record = &log.record;
        let body = match record.body() {
            Some(AnyValue::String(s)) => s.to_string(),
            Some(other) => format!("{other:?}"),
            None => String::new(),
        };
        let attributes: Vec<String> = record
            .attributes_iter()
            .map(|(k, v)| format!("{k}={}", any(v)))
            .collect();
        println!(
            "  {} {:?}: {body} {{{}}}",
            record.severity_text().unwrap_or_default(),
            record.target().map(|t| t.to_string()).unwrap_or_default(),
            attributes.join(", ")
        );
    }
    println!(
        "\nvalues left out because they did not decode: {}",
        rules.invalid_values()
    );
    Ok(())
}

/// `key=value` with the value's type visible: strings quoted, arrays in brackets.
fn kvs(kvs: &[KeyValue]) -> String {
    let parts: Vec<String> = kvs
        .iter()
        .map(|kv| {
            let v = match &kv.value {
                Value::String(s) => format!("{:?}", s.as_str()),
                Value::Array(a) => a.to_string(),
                other => other.to_string(),
            };
            format!("{}={v}", kv.key)
        })
        .collect();
    format!("{{{}}}", parts.join(", "))
}

fn any(v: &AnyValue) -> String {
    match v {
        AnyValue::String(s) => format!("{:?}", s.as_str()),
        AnyValue::Int(i) => i.to_string(),
        AnyValue::Double(d) => d.to_string(),
        AnyValue::Boolean(b) => b.to_string(),
        AnyValue::ListAny(items) => {
            let items: Vec<String> = items.iter().map(any).collect();
            format!("[{}]", items.join(","))
        }
        other => format!("{other:?}"),
    }
}
