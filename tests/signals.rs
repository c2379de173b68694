//! Context on every signal, as a service meets it: typed fields on the
//! JSON and text lines of `tracing-subscriber`'s `fmt` layer (behind the
//! tower layer alone, over loopback, and under `tracing-opentelemetry`),
//! metrics that label themselves, and a local schema on spans, log records,
//! log lines and metrics that a client cannot forge, and the fields of a
//! signed schema only where its signature verifies.

#[path = "common/loopback.rs"]
mod loopback;
#[path = "common/wire.rs"]
mod wire;

use std::io;
use std::sync::{Arc, Mutex};

use axum::routing::get;
use axum::Router;
use loopback::{plain_client, send, serve};
use opentelemetry::baggage::BaggageExt;
use opentelemetry::context::FutureExt;
use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, LoggerProvider as _};
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry::{Context, Key, KeyValue, Value};
use opentelemetry_sdk::logs::{InMemoryLogExporter, SdkLoggerProvider};
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use serde_json::{json, Value as Json};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use typed_baggage::attributes::BaggageAttributes;
use typed_baggage::metrics::labelled::Labelled;
use typed_baggage::metrics::{BaggageMetrics, METER_NAME};
use typed_baggage::prelude::*;
use typed_baggage::sdk::{BaggageLogProcessor, BaggageSpanProcessor};
use typed_baggage::tower::{BaggageLayer, InboundPolicy};
use typed_baggage::tracing_fmt::BaggageFormat;

#[derive(Baggage, Debug, Clone, Copy, PartialEq)]
#[baggage(rename_all = "snake_case")]
enum Tier {
    Free,
    Premium,
}

#[derive(Baggage, Debug, Clone, Copy, PartialEq)]
#[baggage(rename_all = "snake_case")]
enum Route {
    Checkout,
    Refund,
}

/// Who is calling: sent by the gateway, propagated.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "app.")]
struct UserCtx {
    user_id: u64,
    #[baggage(metric_label)]
    tier: Tier,
    beta: bool,
}

/// Which route handles the request: this service's own, never sent.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "route.", local)]
struct RouteCtx {
    #[baggage(metric_label)]
    name: Route,
    shard: u32,
}

fn route() -> RouteCtx {
    RouteCtx {
        name: Route::Checkout,
        shard: 3,
    }
}

/// What a client sends: a user, and a forged copy of the local keys.
const SENT: &str = "app.user_id=12345,app.tier=premium,app.beta=true,route.name=refund,route.shard=9,ff.note=%1B%5B2J%E2%80%AEx";

fn rules() -> BaggageAttributes {
    BaggageAttributes::new()
        .schema::<UserCtx>()
        .schema::<RouteCtx>()
        .keys(|key| key.starts_with("ff."))
}

/// The bytes a `fmt` layer writes, shared with the test.
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

impl Sink {
    /// A `fmt` subscriber writing JSON lines into this sink, with the
    /// fields `rules` picks.
    fn json_subscriber(&self, rules: BaggageAttributes) -> impl tracing::Subscriber {
        let writer = self.clone();
        tracing_subscriber::fmt()
            .json()
            .with_writer(move || writer.clone())
            .map_event_format(move |json| BaggageFormat::json(json, rules))
            .finish()
    }

    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).expect("utf-8 log output")
    }

    /// Every line, parsed as JSON.
    fn json_lines(&self) -> Vec<Json> {
        self.text()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
            .collect()
    }

    /// The JSON line of the event whose message is `message`.
    fn json_event(&self, message: &str) -> Json {
        let lines = self.json_lines();
        let mut found = lines
            .iter()
            .filter(|line| line["fields"]["message"] == message);
        let line = found
            .next()
            .unwrap_or_else(|| panic!("no line {message:?} in {lines:#?}"));
        assert!(found.next().is_none(), "{message:?} logged twice");
        line.clone()
    }
}

/// The baggage fields of a JSON line: every top-level name with a dot.
fn fields(line: &Json) -> Vec<(String, Json)> {
    let mut out: Vec<(String, Json)> = line
        .as_object()
        .expect("an object")
        .iter()
        .filter(|(name, _)| name.contains('.'))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn expected_fields() -> Vec<(String, Json)> {
    vec![
        ("app.beta".into(), json!(true)),
        ("app.tier".into(), json!("premium")),
        ("app.user_id".into(), json!(12345)),
        ("ff.note".into(), json!("\\u{1b}[2J\\u{202e}x")),
        ("route.name".into(), json!("checkout")),
        ("route.shard".into(), json!(3)),
    ]
}

/// A handler's service: the tower layer trusts what comes in (an internal
/// hop), the service's own middleware adds the local route.
fn service(handler: Router) -> Router {
    async fn add_route(
        request: axum::extract::Request,
        next: axum::middleware::Next,
    ) -> axum::response::Response {
        let cx = Context::current().with_typed(&route()).expect("fits");
        next.run(request).with_context(cx).await
    }
    handler
        .layer(axum::middleware::from_fn(add_route))
        .layer(BaggageLayer::new(InboundPolicy::TrustAll))
}

#[tokio::test]
async fn json_log_lines_carry_typed_fields_behind_the_tower_layer_alone() {
    let sink = Sink::default();
    let subscriber = sink.json_subscriber(rules());
    // The test's runtime runs the server's tasks on this thread.
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = service(Router::new().route(
        "/pay",
        get(|| async {
            tracing::info!(amount = 42, "charged");
            "ok"
        }),
    ));
    let addr = serve(app).await;
    let reply = send(
        &plain_client(),
        &format!("http://{addr}/pay"),
        &[("baggage", SENT.as_bytes())],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    tracing::info!("outside any request");

    let charged = sink.json_event("charged");
    assert_eq!(fields(&charged), expected_fields());
    assert_eq!(charged["fields"]["amount"], json!(42));
    assert_eq!(charged["level"], json!("INFO"));
    assert_eq!(fields(&sink.json_event("outside any request")), []);
}

#[test]
fn text_log_lines_end_with_the_typed_fields() {
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .without_time()
        .with_ansi(false)
        .with_target(false)
        .with_writer(move || writer.clone())
        .map_event_format(|text| BaggageFormat::text(text, rules()))
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let cx = Context::new()
            .with_typed(&UserCtx {
                user_id: 12345,
                tier: Tier::Free,
                beta: false,
            })
            .and_then(|cx| cx.with_typed(&route()))
            .unwrap();
        let _attached = cx.attach();
        tracing::warn!(retry = 2, "declined");
    });
    assert_eq!(
        sink.text(),
        " WARN declined retry=2 app.beta=false app.tier=\"free\" app.user_id=12345 route.name=\"checkout\" route.shard=3\n"
    );
}

#[test]
fn under_tracing_opentelemetry_a_span_parented_on_a_request_context_gives_its_events_the_fields() {
    let (provider, spans) = span_pipeline(rules());
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("shop")))
        .with(
            tracing_subscriber::fmt::layer()
                .json()
                .with_writer(move || writer.clone())
                .map_event_format(|json| BaggageFormat::json(json, rules())),
        );

    // The request's context, as an extract and the service's middleware
    // make it: the client's baggage (with its forged route) and the local
    // route.
    let incoming = Context::new().with_baggage(
        SENT.split(',')
            .map(|kv| kv.split_once('=').unwrap())
            .map(|(k, v)| KeyValue::new(k.to_owned(), percent_decoded(v))),
    );
    let cx = incoming.with_typed(&route()).unwrap();
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("handle");
        span.set_parent(cx).expect("the span is new");
        span.in_scope(|| tracing::info!("inside"));
    });

    assert_eq!(fields(&sink.json_event("inside")), expected_fields());
    let finished = spans.get_finished_spans().unwrap();
    assert_eq!(finished.len(), 1);
    let attribute = |key: &str| {
        finished[0]
            .attributes
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| kv.value.clone())
    };
    // The local route on the span, never the forged one.
    assert_eq!(attribute("route.name"), Some(Value::from("checkout")));
    assert_eq!(attribute("route.shard"), Some(Value::I64(3)));
    assert_eq!(attribute("app.user_id"), Some(Value::I64(12345)));
}

/// `%XX` escapes decoded, as the propagator decodes them.
fn percent_decoded(v: &str) -> String {
    let ctx = typed_baggage::propagation::BaggagePropagator::new()
        .parse([format!("k={v}").as_str()])
        .unwrap();
    ctx.get("k").unwrap().to_string()
}

/// A span pipeline whose processor copies what `rules` picks: the
/// provider (kept alive by the caller) and the spans it exports.
fn span_pipeline(rules: BaggageAttributes) -> (SdkTracerProvider, InMemorySpanExporter) {
    let spans = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_span_processor(BaggageSpanProcessor::new(rules))
        .with_simple_exporter(spans.clone())
        .build();
    (provider, spans)
}

/// The attributes of one log record emitted in each of `contexts`, through
/// a `BaggageLogProcessor` with `rules`.
fn log_attributes(rules: BaggageAttributes, contexts: &[Context]) -> Vec<Vec<(Key, AnyValue)>> {
    let logs = InMemoryLogExporter::default();
    let provider = SdkLoggerProvider::builder()
        .with_log_processor(BaggageLogProcessor::new(rules))
        .with_simple_exporter(logs.clone())
        .build();
    let logger = provider.logger("shop");
    for cx in contexts {
        let _attached = cx.clone().attach();
        let mut record = logger.create_log_record();
        record.set_body("paid".into());
        logger.emit(record);
    }
    logs.get_emitted_logs()
        .unwrap()
        .iter()
        .map(|log| log.record.attributes_iter().cloned().collect())
        .collect()
}

#[test]
fn a_local_field_is_on_log_records_and_a_forged_one_is_not() {
    let forged = Context::new().with_baggage([KeyValue::new("route.name", "refund")]);
    let attributes = log_attributes(
        BaggageAttributes::new().schema::<RouteCtx>(),
        &[forged.clone(), forged.with_typed(&route()).unwrap()],
    );
    assert_eq!(
        attributes,
        [
            vec![],
            vec![
                (Key::from("route.name"), AnyValue::from("checkout")),
                (Key::from("route.shard"), AnyValue::Int(3)),
            ]
        ]
    );
}

/// A meter provider of the test's own.
struct Meters {
    provider: SdkMeterProvider,
    exporter: InMemoryMetricExporter,
}

impl Meters {
    fn new() -> Self {
        let exporter = InMemoryMetricExporter::default();
        let provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(exporter.clone()).build())
            .build();
        Meters { provider, exporter }
    }

    /// Every data point of the metric `name`, as `attributes = value`,
    /// attributes sorted.
    fn points(&self, name: &str) -> Vec<String> {
        self.provider.force_flush().unwrap();
        let exports = self.exporter.get_finished_metrics().unwrap();
        let mut out = Vec::new();
        for scope in exports.last().expect("an export").scope_metrics() {
            for metric in scope.metrics().filter(|m| m.name() == name) {
                let mut line = |attributes: Vec<String>, value: String| {
                    let mut attributes = attributes;
                    attributes.sort();
                    out.push(format!("{} = {value}", attributes.join(",")));
                };
                let text = |kv: &KeyValue| format!("{}={}", kv.key, kv.value);
                match metric.data() {
                    AggregatedMetrics::U64(MetricData::Sum(sum)) => {
                        for p in sum.data_points() {
                            line(p.attributes().map(text).collect(), p.value().to_string());
                        }
                    }
                    AggregatedMetrics::I64(MetricData::Sum(sum)) => {
                        for p in sum.data_points() {
                            line(p.attributes().map(text).collect(), p.value().to_string());
                        }
                    }
                    AggregatedMetrics::F64(MetricData::Histogram(h)) => {
                        for p in h.data_points() {
                            line(
                                p.attributes().map(text).collect(),
                                format!("count {} sum {}", p.count(), p.sum()),
                            );
                        }
                    }
                    other => panic!("{name}: {other:?}"),
                }
            }
        }
        out.sort();
        out
    }
}

#[tokio::test]
async fn instruments_label_themselves_from_the_request_context() {
    let meters = Meters::new();
    let meter = meters.provider.meter("shop");
    let baggage_metrics = BaggageMetrics::new(&meters.provider.meter(METER_NAME));
    let requests = Labelled::new::<UserCtx>(meter.u64_counter("requests").build())
        .with_metrics(baggage_metrics.clone());
    let latency = Labelled::new::<RouteCtx>(meter.f64_histogram("latency").build())
        .with_metrics(baggage_metrics.clone());
    let in_flight = Labelled::new::<UserCtx>(meter.i64_up_down_counter("in_flight").build())
        .with_metrics(baggage_metrics);

    let (r, l, f) = (requests.clone(), latency.clone(), in_flight.clone());
    let app = service(Router::new().route(
        "/pay",
        get(move || {
            let (requests, latency, in_flight) = (r.clone(), l.clone(), f.clone());
            async move {
                in_flight.add(1, &[]);
                requests.add(1, &[KeyValue::new("http.route", "/pay")]);
                latency.record(0.25, &[]);
                in_flight.add(-1, &[]);
                "ok"
            }
        }),
    ));
    let addr = serve(app).await;
    let url = format!("http://{addr}/pay");
    for sent in [SENT, "", "app.user_id=1,app.tier=gold,app.beta=true"] {
        let reply = send(&plain_client(), &url, &[("baggage", sent.as_bytes())]).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }

    // The premium caller's recording carries the tier; no context, or a
    // tier that does not decode, records without it.
    assert_eq!(
        meters.points("requests"),
        [
            "app.tier=premium,http.route=/pay = 1",
            "http.route=/pay = 2"
        ]
    );
    // The local route labels every recording, whatever the client sent.
    assert_eq!(
        meters.points("latency"),
        ["route.name=checkout = count 3 sum 0.75"]
    );
    assert_eq!(meters.points("in_flight"), [" = 0", "app.tier=premium = 0"]);
    // Counted, per instrument and in the shared metrics: the request
    // without context lacked the required tier, the gold tier did not
    // decode (once for `requests`, twice for `in_flight`).
    assert_eq!(
        (requests.missing_labels(), requests.invalid_values()),
        (1, 1)
    );
    assert_eq!(
        (in_flight.missing_labels(), in_flight.invalid_values()),
        (2, 2)
    );
    assert_eq!((latency.missing_labels(), latency.invalid_values()), (0, 0));
    assert_eq!(
        meters.points("baggage.metric_labels.missing"),
        ["baggage.key=app.tier = 3"]
    );
    assert_eq!(
        meters.points("baggage.attributes.invalid"),
        ["baggage.key=app.tier = 3"]
    );
}

#[test]
fn the_recordings_own_attributes_win_over_a_label_of_the_same_name() {
    let meters = Meters::new();
    let requests = Labelled::new::<UserCtx>(
        meters
            .provider
            .meter("shop")
            .u64_counter("requests")
            .build(),
    );
    let cx = Context::new()
        .with_typed(&UserCtx {
            user_id: 1,
            tier: Tier::Premium,
            beta: false,
        })
        .unwrap();
    let _attached = cx.attach();
    assert_eq!(
        requests.labels(&[KeyValue::new("app.tier", "overridden")]),
        [KeyValue::new("app.tier", "overridden")]
    );
    requests.add(1, &[]);
    assert_eq!(meters.points("requests"), ["app.tier=premium = 1"]);
    assert_eq!(requests.missing_labels(), 0);
}

/// A schema that flattens `UserCtx` under another prefix: its labels are
/// the flattened ones, under their keys on the wire.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "edge.")]
struct EdgeCtx {
    #[baggage(flatten, prefix = "edge.user.")]
    user: UserCtx,
    hop: u8,
}

#[test]
fn a_flattened_schemas_labels_are_read_under_their_keys_on_the_wire() {
    let meters = Meters::new();
    let requests = Labelled::new::<EdgeCtx>(
        meters
            .provider
            .meter("edge")
            .u64_counter("requests")
            .build(),
    );
    let edge = EdgeCtx {
        user: UserCtx {
            user_id: 5,
            tier: Tier::Free,
            beta: true,
        },
        hop: 1,
    };
    // The same keys without the flatten site's prefix are someone else's.
    let cx = Context::new()
        .with_baggage([KeyValue::new("app.tier", "premium")])
        .with_typed(&edge)
        .unwrap();
    let _attached = cx.attach();
    requests.add(1, &[]);
    assert_eq!(meters.points("requests"), ["edge.user.tier=free = 1"]);
}

/// Signed schemas on every signal: spans, log records, `tracing` lines and
/// metric labels take the fields of a `#[baggage(signed)]` schema only when
/// its signature verifies, as `from_context` reads them. A client that
/// forges the fields, alters one after signing, or sends them without the
/// signature gets none of them into telemetry, and each value left out is
/// counted.
mod signed {
    use super::*;
    use crate::wire::edit;
    use opentelemetry::trace::{Span as _, Tracer as _};
    use typed_baggage::signing::{KeyRing, SigningKey};

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
        let (provider, spans) = span_pipeline(rules());
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

    #[test]
    fn log_lines_and_metric_labels_leave_out_a_signed_schema_that_does_not_verify() {
        let sink = Sink::default();
        let subscriber = sink.json_subscriber(rules());
        let meters = Meters::new();
        let requests = Labelled::new::<Pass>(
            meters
                .provider
                .meter("shop")
                .u64_counter("requests")
                .build(),
        );

        tracing::subscriber::with_default(subscriber, || {
            for (attack, cx) in contexts() {
                let _attached = cx.attach();
                tracing::info!(attack, "charged");
                requests.add(1, &[]);
            }
        });

        let text = sink.text();
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
        let points = meters.points("requests");
        assert_eq!(points, [" = 3", "pass.tier=premium = 1"]);
        assert_eq!(requests.missing_labels(), 0);
        assert_eq!(requests.invalid_values(), 3);
    }

    #[test]
    fn log_records_carry_a_signed_schema_only_when_it_verifies() {
        let attacks = contexts();
        let cxs: Vec<Context> = attacks.iter().map(|(_, cx)| cx.clone()).collect();
        let emitted = log_attributes(rules(), &cxs);
        assert_eq!(emitted.len(), attacks.len());
        for ((attack, _), attributes) in attacks.iter().zip(&emitted) {
            let mut keys: Vec<String> = attributes.iter().map(|(k, _)| k.to_string()).collect();
            keys.sort_unstable();
            let expected: &[&str] = match *attack {
                "genuine" => &["app.user_id", "pass.account", "pass.tier"],
                _ => &["app.user_id"],
            };
            assert_eq!(keys, expected, "{attack}");
        }
    }

    /// A pass whose signature also covers the trace it was made in.
    #[derive(Baggage, Debug, Clone, PartialEq)]
    #[baggage(prefix = "bound.", signed, bind_trace)]
    struct BoundPass {
        account: u64,
    }

    /// A context of the remote trace `trace`, with the service's ring.
    fn in_trace(trace: u128) -> Context {
        use opentelemetry::trace::{
            SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState,
        };
        Context::new()
            .with_value(ring())
            .with_remote_span_context(SpanContext::new(
                TraceId::from(trace),
                SpanId::from(7u64),
                TraceFlags::SAMPLED,
                true,
                TraceState::default(),
            ))
    }

    #[test]
    fn a_pass_bound_to_its_trace_labels_that_traces_spans_and_not_a_replay() {
        let (provider, spans) = span_pipeline(BaggageAttributes::new().schema::<BoundPass>());
        let tracer = provider.tracer("shop");
        let signed = in_trace(1).with_typed(&BoundPass { account: 7 }).unwrap();
        // The same entries, signature and all, sent again in another trace.
        let replayed = in_trace(2).with_baggage(
            signed
                .baggage()
                .iter()
                .map(|(k, (v, _))| KeyValue::new(k.clone(), v.clone()))
                .collect::<Vec<_>>(),
        );
        for cx in [&signed, &replayed] {
            let mut span = tracer.start_with_context("charge", cx);
            span.end();
        }
        let finished = spans.get_finished_spans().unwrap();
        let attributes: Vec<Vec<KeyValue>> =
            finished.iter().map(|s| s.attributes.clone()).collect();
        assert_eq!(
            attributes,
            [vec![KeyValue::new("bound.account", 7i64)], vec![]]
        );
        // The same verdicts as a handler's reads.
        assert!(signed.typed::<BoundPass>().is_ok());
        assert!(replayed.typed::<BoundPass>().is_err());
    }
}
