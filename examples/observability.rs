//! One request's context on every signal: a service on loopback behind
//! the tower `BaggageLayer` (no OpenTelemetry SDK needed for the log
//! lines), its own middleware adding a local route (`#[baggage(local)]`),
//! and a handler that logs with `tracing` and counts with a labelled
//! counter. It prints the request's JSON log lines, the counter's data
//! points and the span's attributes, then shows that the local route never
//! left the service.
//!
//! Run with `cargo run --example observability --features full`.

use std::sync::{Arc, Mutex};

use axum::routing::get;
use axum::Router;
use opentelemetry::context::FutureExt;
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::{Tracer as _, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use typed_baggage::attributes::BaggageAttributes;
use typed_baggage::metrics::labelled::Labelled;
use typed_baggage::prelude::*;
use typed_baggage::sdk::BaggageSpanProcessor;
use typed_baggage::tower::{BaggageLayer, InboundPolicy};
use typed_baggage::tracing_fmt::BaggageFormat;

#[derive(Baggage, Debug, Clone, Copy, PartialEq)]
#[baggage(rename_all = "snake_case")]
enum Tier {
    Free,
    Premium,
}

/// Who is calling: set by the gateway, propagated to every service.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "app.")]
struct UserCtx {
    user_id: u64,
    #[baggage(metric_label)]
    tier: Tier,
}

#[derive(Baggage, Debug, Clone, Copy, PartialEq)]
#[baggage(rename_all = "snake_case")]
enum Route {
    Checkout,
    Refund,
}

/// Which route and shard handle the request: this service's own business,
/// on its telemetry, never sent downstream.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "route.", local)]
struct RouteCtx {
    #[baggage(metric_label)]
    name: Route,
    shard: u32,
}

/// The bytes of the log lines: printed, and checked below.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lines").extend_from_slice(buf);
        std::io::stdout().write_all(buf)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stdout().flush()
    }
}

async fn add_route(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let route = RouteCtx {
        name: Route::Checkout,
        shard: 3,
    };
    let cx = Context::current().with_typed(&route).expect("fits");
    next.run(request).with_context(cx).await
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rules = BaggageAttributes::new()
        .schema::<UserCtx>()
        .schema::<RouteCtx>();

    // Logs: the fmt layer's JSON lines, with the context's typed fields.
    let lines = Lines::default();
    let writer = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .without_time()
        .with_writer(move || writer.clone())
        .map_event_format({
            let rules = rules.clone();
            |json| BaggageFormat::json(json, rules)
        })
        .finish();
    let _logs = tracing::subscriber::set_default(subscriber);

    // Spans and metrics, in memory (OTLP in a real service).
    let spans = InMemorySpanExporter::default();
    let tracer_provider = SdkTracerProvider::builder()
        .with_span_processor(BaggageSpanProcessor::new(rules))
        .with_simple_exporter(spans.clone())
        .build();
    let metrics = InMemoryMetricExporter::default();
    let meter_provider = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(metrics.clone()).build())
        .build();
    let requests =
        Labelled::new::<UserCtx>(meter_provider.meter("shop").u64_counter("requests").build());
    let routed =
        Labelled::new::<RouteCtx>(meter_provider.meter("shop").u64_counter("routed").build());

    let tracer = tracer_provider.tracer("shop");
    let handler = move || {
        let (requests, routed, tracer) = (requests.clone(), routed.clone(), tracer.clone());
        async move {
            tracer.in_span("charge", |_cx| {
                tracing::info!(amount_cents = 4999, "card charged");
            });
            requests.add(1, &[KeyValue::new("http.route", "/pay")]);
            routed.add(1, &[]);
            // What a call downstream would carry: the propagated entries only.
            let mut outgoing = http::HeaderMap::new();
            typed_baggage::http::inject(&Context::current(), &mut outgoing);
            outgoing
                .get("baggage")
                .map(|v| v.to_str().unwrap_or_default().to_owned())
                .unwrap_or_default()
        }
    };
    let app = Router::new()
        .route("/pay", get(handler))
        .layer(axum::middleware::from_fn(add_route))
        .layer(BaggageLayer::new(InboundPolicy::TrustAll));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });

    // A caller: its user, and a forged route that must not pass for ours.
    println!("== the request's log lines (stdout of the service)");
    let sent = "app.user_id=12345,app.tier=premium,route.name=refund";
    let outgoing = reqwest::Client::new()
        .get(format!("http://{addr}/pay"))
        .header("baggage", sent)
        .send()
        .await?
        .text()
        .await?;

    let text = String::from_utf8(lines.0.lock().expect("lines").clone())?;
    let line: serde_json::Value = serde_json::from_str(text.lines().next().ok_or("no log line")?)?;
    assert_eq!(line["app.user_id"], 12345);
    assert_eq!(line["app.tier"], "premium");
    assert_eq!(line["route.name"], "checkout");

    println!("\n== the span's attributes");
    let finished = spans.get_finished_spans()?;
    for kv in &finished[0].attributes {
        println!("{} = {}", kv.key, kv.value);
    }

    println!("\n== the counters' data points");
    meter_provider.force_flush()?;
    for scope in metrics
        .get_finished_metrics()?
        .last()
        .ok_or("no export")?
        .scope_metrics()
    {
        for metric in scope.metrics() {
            if let AggregatedMetrics::U64(MetricData::Sum(sum)) = metric.data() {
                for point in sum.data_points() {
                    let labels: Vec<String> = point
                        .attributes()
                        .map(|kv| format!("{}={}", kv.key, kv.value))
                        .collect();
                    println!(
                        "{} {{{}}} {}",
                        metric.name(),
                        labels.join(", "),
                        point.value()
                    );
                }
            }
        }
    }

    println!("\n== what a call downstream carries");
    println!("baggage: {outgoing}");
    assert_eq!(
        outgoing,
        "app.tier=premium,app.user_id=12345,route.name=refund"
    );
    println!("(the client's own `route.name=refund` passes through as plain baggage; the local route.name=checkout and route.shard=3 never leave)");
    Ok(())
}
