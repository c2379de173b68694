//! Signed schemas on every signal: spans, log records, `tracing` lines and
//! metric labels take the fields of a `#[baggage(signed)]` schema only when
//! its signature verifies, as `from_context` reads them. A client that
//! forges the fields, alters one after signing, or replays them without
//! the signature gets none of them into telemetry, and each value left out
//! is counted.

#[path = "common/loopback.rs"]
mod loopback;

use std::io;
use std::sync::{Arc, Mutex};

use axum::routing::get;
use axum::Router;
use loopback::{plain_client, send, serve};
use opentelemetry::baggage::{Baggage as OtelBaggage, BaggageExt};
use opentelemetry::context::FutureExt;
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::{Span as _, Tracer as _, TracerProvider as _};
use opentelemetry::{Context, Key, KeyValue, Value};
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use serde_json::{json, Value as Json};
use typed_baggage::attributes::BaggageAttributes;
use typed_baggage::metrics::labelled::Labelled;
use typed_baggage::prelude::*;
use typed_baggage::sdk::BaggageSpanProcessor;
use typed_baggage::signing::{KeyRing, SigningKey};
use typed_baggage::tower::{BaggageLayer, InboundPolicy};
use typed_baggage::tracing_fmt::BaggageFormat;

#[derive(Baggage, Debug, Clone, Copy, PartialEq)]
#[baggage(rename_all = "snake_case")]
enum Tier {
    Free,
    Premium,
}

/// What the gateway vouches for: signed.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "pass.", signed)]
struct Pass {
    #[baggage(metric_label)]
    tier: Tier,
    account: u64,
}

/// Who is calling: propagated, not signed.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "app.")]
struct UserCtx {
    user_id: u64,
}

/// A random key (`openssl rand -base64 32`).
const KEY_B64: &str = "rqKe91XztbYuRiDSCvaCzdWEBcfKqhBT9SnQllhHibI";

fn ring() -> KeyRing {
    KeyRing::new(SigningKey::from_base64("gw1", KEY_B64).unwrap())
}

fn pass() -> Pass {
    Pass {
        tier: Tier::Premium,
        account: 7001,
    }
}

/// The gateway's context: the signed pass and the caller, under its ring.
fn genuine() -> Context {
    Context::new()
        .with_value(ring())
        .with_typed(&pass())
        .unwrap()
        .with_typed(&UserCtx { user_id: 42 })
        .unwrap()
}

/// `cx`'s baggage with `key` set to `value` (or removed for `None`), under
/// the same ring.
fn edit(cx: &Context, key: &str, value: Option<&str>) -> Context {
    let mut b = OtelBaggage::new();
    for (k, (v, m)) in cx.baggage() {
        if k.as_str() != key {
            let _ = b.insert_with_metadata(k.clone(), v.clone(), m.clone());
        }
    }
    if let Some(value) = value {
        let _ = b.insert(key.to_owned(), value.to_owned());
    }
    cx.with_baggage(b)
}

/// The ways a client meets a signed schema: the genuine context, and three
/// attacks on it.
fn contexts() -> Vec<(&'static str, Context)> {
    let genuine = genuine();
    let forged = Context::new().with_value(ring()).with_baggage([
        KeyValue::new("pass.tier", "premium"),
        KeyValue::new("pass.account", "7001"),
        KeyValue::new("app.user_id", "42"),
    ]);
    vec![
        ("altered", edit(&genuine, "pass.account", Some("1"))),
        ("forged", forged),
        ("unsigned", edit(&genuine, "pass.sig", None)),
        ("genuine", genuine),
    ]
}

fn rules() -> BaggageAttributes {
    BaggageAttributes::new()
        .schema::<Pass>()
        .schema::<UserCtx>()
}

#[test]
fn the_fields_of_a_signed_schema_become_attributes_only_when_it_verifies() {
    let rules = rules();
    let user = KeyValue::new("app.user_id", 42i64);
    for (attack, cx) in contexts() {
        let expected = match attack {
            "genuine" => vec![
                KeyValue::new("app.user_id", 42i64),
                KeyValue::new("pass.account", 7001i64),
                KeyValue::new("pass.tier", "premium"),
            ],
            _ => vec![user.clone()],
        };
        assert_eq!(rules.context_attributes(&cx), expected, "{attack}");
        // The same verdict as a handler's read.
        assert_eq!(cx.typed::<Pass>().is_ok(), attack == "genuine", "{attack}");
    }
    // Each value left out is counted: two fields, three attacks.
    assert_eq!(rules.invalid_values(), 6);
}

#[test]
fn without_a_key_ring_a_genuine_signature_cannot_be_checked_and_nothing_is_copied() {
    let rules = rules();
    // The gateway's header, read where no key ring is at hand (none in the
    // context, none installed in this test binary).
    let received = Context::new().with_baggage(
        genuine()
            .baggage()
            .iter()
            .map(|(k, (v, _))| KeyValue::new(k.clone(), v.clone()))
            .collect::<Vec<_>>(),
    );
    assert_eq!(
        rules.context_attributes(&received),
        [KeyValue::new("app.user_id", 42i64)]
    );
    assert_eq!(rules.invalid_values(), 2);
    // `attributes` of a bare baggage checks with the current context's ring.
    let _attached = Context::new().with_value(ring()).attach();
    assert_eq!(rules.attributes(received.baggage()).len(), 3);
    assert_eq!(rules.invalid_values(), 2);
}

/// Gives the requests of a service its key ring, as a service's own
/// middleware does before the baggage layer.
async fn with_ring(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let cx = Context::current().with_value(ring());
    next.run(request).with_context(cx).await
}

/// The header a client sends for `cx`.
fn header(cx: &Context) -> String {
    let mut headers = http::HeaderMap::new();
    typed_baggage::http::inject(cx, &mut headers);
    headers
        .get("baggage")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn over_http_a_span_carries_a_signed_schema_only_from_a_genuine_header() {
    let spans = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_span_processor(BaggageSpanProcessor::new(rules()))
        .with_simple_exporter(spans.clone())
        .build();
    let tracer = provider.tracer("shop");
    let app = Router::new()
        .route(
            "/pay",
            get(move || {
                let mut span = tracer.start("charge");
                span.end();
                async { "ok" }
            }),
        )
        .layer(BaggageLayer::new(InboundPolicy::TrustAll))
        .layer(axum::middleware::from_fn(with_ring));
    let addr = serve(app).await;
    let url = format!("http://{addr}/pay");
    let attacks = contexts();
    for (attack, cx) in &attacks {
        let sent = header(cx);
        let reply = send(&plain_client(), &url, &[("baggage", sent.as_bytes())]).await;
        assert_eq!(reply.status, 200, "{attack}: {}", reply.body);
    }
    let finished = spans.get_finished_spans().unwrap();
    assert_eq!(finished.len(), attacks.len());
    for ((attack, _), span) in attacks.iter().zip(&finished) {
        let mut keys: Vec<&str> = span.attributes.iter().map(|kv| kv.key.as_str()).collect();
        keys.sort_unstable();
        let expected: &[&str] = match *attack {
            "genuine" => &["app.user_id", "pass.account", "pass.tier"],
            _ => &["app.user_id"],
        };
        assert_eq!(keys, expected, "{attack}");
    }
    let genuine = finished.last().unwrap();
    assert!(genuine.attributes.contains(&KeyValue::new(
        Key::from("pass.tier"),
        Value::from("premium")
    )));
}

/// Log lines written by the `tracing` formatter.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn log_lines_and_metric_labels_leave_out_a_signed_schema_that_does_not_verify() {
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(move || writer.clone())
        .map_event_format(|json| BaggageFormat::json(json, rules()))
        .finish();
    let exporter = InMemoryMetricExporter::default();
    let meters = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(exporter.clone()).build())
        .build();
    let requests = Labelled::new::<Pass>(meters.meter("shop").u64_counter("requests").build());

    tracing::subscriber::with_default(subscriber, || {
        for (attack, cx) in contexts() {
            let _attached = cx.attach();
            tracing::info!(attack, "charged");
            requests.add(1, &[]);
        }
    });

    let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<Json> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|l: &Json| l["fields"]["message"] == json!("charged"))
        .collect();
    assert_eq!(lines.len(), 4);
    // Three attacks, one warning: logged once per schema (by the labelled
    // instrument; the formatter does not log from inside its own event).
    let warnings: Vec<Json> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|l: &Json| l["level"] == json!("WARN"))
        .collect();
    assert_eq!(warnings.len(), 1, "{text}");
    assert_eq!(warnings[0]["fields"]["schema"], json!("Pass"));
    assert_eq!(warnings[0]["fields"]["signature_key"], json!("pass.sig"));
    assert!(warnings[0]["fields"]["message"]
        .as_str()
        .unwrap()
        .contains("its signature does not verify"));
    for line in &lines {
        let genuine = line["fields"]["attack"] == json!("genuine");
        assert_eq!(line["app.user_id"], json!(42), "{line}");
        if genuine {
            assert_eq!(line["pass.tier"], json!("premium"), "{line}");
            assert_eq!(line["pass.account"], json!(7001), "{line}");
        } else {
            assert!(line.get("pass.tier").is_none(), "{line}");
            assert!(line.get("pass.account").is_none(), "{line}");
        }
    }

    // Only the genuine pass labels its recording; the three attacks record
    // without the tier. Their tier was there, so it is not missing: it is
    // counted as a value left out.
    meters.force_flush().unwrap();
    let exports = exporter.get_finished_metrics().unwrap();
    let mut points = Vec::new();
    for scope in exports.last().unwrap().scope_metrics() {
        for metric in scope.metrics().filter(|m| m.name() == "requests") {
            let AggregatedMetrics::U64(MetricData::Sum(sum)) = metric.data() else {
                panic!("{:?}", metric.data());
            };
            for p in sum.data_points() {
                let attributes: Vec<String> = p
                    .attributes()
                    .map(|kv| format!("{}={}", kv.key, kv.value))
                    .collect();
                points.push(format!("{} = {}", attributes.join(","), p.value()));
            }
        }
    }
    points.sort();
    assert_eq!(points, [" = 3", "pass.tier=premium = 1"]);
    assert_eq!(requests.missing_labels(), 0);
    assert_eq!(requests.invalid_values(), 3);
}
