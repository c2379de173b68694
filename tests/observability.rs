//! Baggage on spans and log records: `BaggageSpanProcessor` and
//! `BaggageLogProcessor` against the SDK's in-memory exporters, asserting
//! the exact attributes, their types, the filters, the prefix, the length
//! cap and the precedence of the span's and record's own attributes.

use std::net::IpAddr;

use opentelemetry::baggage::BaggageExt;
use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, LoggerProvider as _};
use opentelemetry::trace::{Tracer as _, TracerProvider as _};
use opentelemetry::{Array, Context, Key, KeyValue, StringValue, Value};
use opentelemetry_sdk::logs::{InMemoryLogExporter, SdkLoggerProvider};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use typed_baggage::prelude::*;
use typed_baggage::sdk::{BaggageAttributes, BaggageLogProcessor, BaggageSpanProcessor};

#[derive(Baggage, Debug, Clone, Copy, PartialEq)]
#[baggage(rename_all = "snake_case")]
enum Tier {
    Free,
    Premium,
}

/// Every kind of attribute type.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "app.")]
struct UserCtx {
    user_id: u64,
    tier: Tier,
    is_premium: bool,
    ratio: f32,
    features: Vec<String>,
    #[baggage(rename = "geo")]
    region: Option<String>,
    big: u128,
    #[baggage(from_str)]
    client_ip: Option<IpAddr>,
}

fn user() -> UserCtx {
    UserCtx {
        user_id: 12345,
        tier: Tier::Premium,
        is_premium: true,
        ratio: 0.1,
        features: vec!["new_checkout".into(), "a,b".into()],
        region: Some("us-west".into()),
        big: u128::MAX,
        client_ip: Some("10.0.0.1".parse().unwrap()),
    }
}

fn strings(items: &[&str]) -> Value {
    Value::Array(Array::String(
        items
            .iter()
            .map(|s| StringValue::from(s.to_string()))
            .collect(),
    ))
}

/// The attributes of `user()` as typed attributes, by name.
fn user_attributes(prefix: &str) -> Vec<KeyValue> {
    let k = |name: &str| Key::from(format!("{prefix}{name}"));
    vec![
        KeyValue::new(k("app.big"), u128::MAX.to_string()),
        KeyValue::new(k("app.client_ip"), "10.0.0.1"),
        KeyValue::new(k("app.features"), strings(&["new_checkout", "a,b"])),
        KeyValue::new(k("app.geo"), "us-west"),
        KeyValue::new(k("app.is_premium"), true),
        KeyValue::new(k("app.ratio"), 0.1f64),
        KeyValue::new(k("app.tier"), "premium"),
        KeyValue::new(k("app.user_id"), 12345i64),
    ]
}

/// A tracer provider with the baggage processor and an in-memory exporter.
fn tracing_with(rules: BaggageAttributes) -> (SdkTracerProvider, InMemorySpanExporter) {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_span_processor(BaggageSpanProcessor::new(rules))
        .with_simple_exporter(exporter.clone())
        .build();
    (provider, exporter)
}

/// Starts and ends one span named `name` under `cx`, with `own` attributes.
fn span_in(provider: &SdkTracerProvider, cx: &Context, name: &'static str, own: Vec<KeyValue>) {
    let tracer = provider.tracer("test");
    let span = tracer
        .span_builder(name)
        .with_attributes(own)
        .start_with_context(&tracer, cx);
    drop(span);
}

fn span_attributes(exporter: &InMemorySpanExporter) -> Vec<Vec<KeyValue>> {
    exporter
        .get_finished_spans()
        .unwrap()
        .into_iter()
        .map(|s| s.attributes)
        .collect()
}

#[test]
fn schema_fields_become_typed_span_attributes() {
    let (provider, exporter) = tracing_with(BaggageAttributes::new().schema::<UserCtx>());
    let cx = Context::new().with_typed(&user()).unwrap();
    span_in(&provider, &cx, "checkout", vec![]);
    assert_eq!(span_attributes(&exporter), [user_attributes("")]);
}

#[test]
fn typed_attributes_are_what_key_values_gives() {
    // The processor reads the text; key_values() the struct: the same attributes.
    let (provider, exporter) = tracing_with(BaggageAttributes::new().schema::<UserCtx>());
    let cx = Context::new().with_typed(&user()).unwrap();
    span_in(&provider, &cx, "checkout", vec![]);
    let mut from_struct: Vec<KeyValue> = user().key_values().collect();
    from_struct.sort_by(|a, b| a.key.as_str().cmp(b.key.as_str()));
    assert_eq!(span_attributes(&exporter), [from_struct]);
}

#[test]
fn only_the_schema_keys_are_copied() {
    let (provider, exporter) = tracing_with(BaggageAttributes::new().schema::<UserCtx>());
    let cx = Context::new()
        .with_baggage([
            KeyValue::new("session", "s-1"),
            KeyValue::new("app.other", "x"),
        ])
        .with_typed(&UserCtx {
            region: None,
            client_ip: None,
            ..user()
        })
        .unwrap();
    span_in(&provider, &cx, "checkout", vec![]);
    let names: Vec<String> = span_attributes(&exporter)[0]
        .iter()
        .map(|kv| kv.key.to_string())
        .collect();
    assert_eq!(
        names,
        [
            "app.big",
            "app.features",
            "app.is_premium",
            "app.ratio",
            "app.tier",
            "app.user_id"
        ]
    );
}

#[test]
fn key_predicate_copies_other_keys_as_strings_and_schema_keys_stay_typed() {
    #[derive(Baggage)]
    #[baggage(prefix = "ff.")]
    struct Flags {
        new_checkout: bool,
    }
    let rules = BaggageAttributes::new()
        .schema::<Flags>()
        // accepts `ff.new_checkout` too: it stays a bool
        .keys(|key| key.starts_with("ff.") || key == "tenant");
    let (provider, exporter) = tracing_with(rules);
    let cx = Context::new().with_baggage([
        KeyValue::new("ff.new_checkout", "true"),
        KeyValue::new("ff.variant", "7"),
        KeyValue::new("tenant", "acme"),
        KeyValue::new("session", "s-1"),
    ]);
    span_in(&provider, &cx, "checkout", vec![]);
    assert_eq!(
        span_attributes(&exporter),
        [vec![
            KeyValue::new("ff.new_checkout", true),
            KeyValue::new("ff.variant", "7"),
            KeyValue::new("tenant", "acme"),
        ]]
    );
}

#[test]
fn all_keys_copies_everything_as_strings() {
    let (provider, exporter) = tracing_with(BaggageAttributes::new().all_keys());
    let cx = Context::new().with_baggage([
        KeyValue::new("b", "2"),
        KeyValue::new("a", "x y"),
        KeyValue::new("c", ""),
    ]);
    span_in(&provider, &cx, "s", vec![]);
    assert_eq!(
        span_attributes(&exporter),
        [vec![
            KeyValue::new("a", "x y"),
            KeyValue::new("b", "2"),
            KeyValue::new("c", ""),
        ]]
    );
}

#[test]
fn no_rules_copy_nothing_and_no_baggage_adds_nothing() {
    let (provider, exporter) = tracing_with(BaggageAttributes::new());
    let cx = Context::new().with_baggage([KeyValue::new("a", "1")]);
    span_in(&provider, &cx, "s", vec![KeyValue::new("own", 1i64)]);
    let (provider2, exporter2) = tracing_with(BaggageAttributes::new().all_keys());
    span_in(
        &provider2,
        &Context::new(),
        "s",
        vec![KeyValue::new("own", 1i64)],
    );
    assert_eq!(
        span_attributes(&exporter),
        [vec![KeyValue::new("own", 1i64)]]
    );
    assert_eq!(
        span_attributes(&exporter2),
        [vec![KeyValue::new("own", 1i64)]]
    );
}

#[test]
fn prefix_names_every_attribute() {
    let rules = BaggageAttributes::new()
        .schema::<UserCtx>()
        .keys(|k| k == "tenant")
        .prefix("baggage.");
    let (provider, exporter) = tracing_with(rules);
    let cx = Context::new()
        .with_baggage([KeyValue::new("tenant", "acme")])
        .with_typed(&user())
        .unwrap();
    span_in(&provider, &cx, "s", vec![]);
    let mut expected = user_attributes("baggage.");
    expected.push(KeyValue::new("baggage.tenant", "acme"));
    assert_eq!(span_attributes(&exporter), [expected.clone()]);

    // the order of the builder calls does not matter
    let before = BaggageAttributes::new()
        .prefix("baggage.")
        .keys(|k| k == "tenant")
        .schema::<UserCtx>();
    let baggage = cx.baggage();
    assert_eq!(before.attributes(baggage), expected);
    // and a prefix set again replaces the first
    let again = before.prefix("bg.");
    assert_eq!(
        again.attributes(baggage)[0],
        KeyValue::new("bg.app.big", u128::MAX.to_string())
    );
}

#[test]
fn the_spans_own_attributes_win() {
    let rules = BaggageAttributes::new().schema::<UserCtx>().all_keys();
    let (provider, exporter) = tracing_with(rules);
    let cx = Context::new()
        .with_baggage([KeyValue::new("tenant", "from-baggage")])
        .with_typed(&user())
        .unwrap();
    span_in(
        &provider,
        &cx,
        "s",
        vec![
            KeyValue::new("tenant", "own"),
            KeyValue::new("app.user_id", "own-id"),
        ],
    );
    let attributes = &span_attributes(&exporter)[0];
    // the span's two, then the baggage's without the two names it already has
    assert_eq!(attributes[0], KeyValue::new("tenant", "own"));
    assert_eq!(attributes[1], KeyValue::new("app.user_id", "own-id"));
    let rest: Vec<&str> = attributes[2..].iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(
        rest,
        [
            "app.big",
            "app.client_ip",
            "app.features",
            "app.geo",
            "app.is_premium",
            "app.ratio",
            "app.tier"
        ]
    );
    assert_eq!(
        attributes
            .iter()
            .filter(|kv| kv.key.as_str() == "tenant")
            .count(),
        1
    );
}

#[test]
fn with_a_prefix_the_spans_attribute_and_the_baggage_both_stay() {
    let rules = BaggageAttributes::new().all_keys().prefix("baggage.");
    let (provider, exporter) = tracing_with(rules);
    let cx = Context::new().with_baggage([KeyValue::new("tenant", "b")]);
    span_in(&provider, &cx, "s", vec![KeyValue::new("tenant", "own")]);
    assert_eq!(
        span_attributes(&exporter),
        [vec![
            KeyValue::new("tenant", "own"),
            KeyValue::new("baggage.tenant", "b"),
        ]]
    );
}

#[test]
fn length_cap_cuts_strings_on_char_boundaries_only() {
    #[derive(Baggage)]
    struct Notes {
        note: String,
        tags: Vec<String>,
        count: u64,
        letter: char,
    }
    let rules = BaggageAttributes::new()
        .schema::<Notes>()
        .keys(|k| k == "raw")
        .max_value_len(3);
    let (provider, exporter) = tracing_with(rules);
    let cx = Context::new()
        .with_baggage([KeyValue::new("raw", "ünïcödé")])
        .with_typed(&Notes {
            note: "héllo".into(),
            tags: vec!["ab".into(), "çdéf".into()],
            count: 1234567,
            letter: 'é',
        })
        .unwrap();
    span_in(&provider, &cx, "s", vec![]);
    assert_eq!(
        span_attributes(&exporter),
        [vec![
            KeyValue::new("count", 1234567i64),
            KeyValue::new("letter", "é"),
            KeyValue::new("note", "hél"),
            KeyValue::new("raw", "ünï"),
            KeyValue::new("tags", strings(&["ab", "çdé"])),
        ]]
    );
}

#[test]
fn a_value_that_does_not_decode_is_left_out_and_counted() {
    let rules = BaggageAttributes::new().schema::<UserCtx>();
    let (provider, exporter) = tracing_with(rules.clone());
    let cx = Context::new().with_baggage([
        KeyValue::new("app.user_id", "abc"),
        KeyValue::new("app.tier", "platinum"),
        KeyValue::new("app.is_premium", "True"),
        KeyValue::new("app.client_ip", "not-an-ip"),
    ]);
    span_in(&provider, &cx, "s", vec![]);
    span_in(&provider, &cx, "s", vec![]);
    assert_eq!(
        span_attributes(&exporter),
        [
            vec![KeyValue::new("app.is_premium", true)],
            vec![KeyValue::new("app.is_premium", true)],
        ]
    );
    assert_eq!(rules.invalid_values(), 6);
}

#[test]
fn child_spans_get_the_baggage_of_their_parent_context() {
    let (provider, exporter) = tracing_with(BaggageAttributes::new().schema::<UserCtx>());
    let tracer = provider.tracer("test");
    let _guard = Context::new().with_typed(&user()).unwrap().attach();
    tracer.in_span("parent", |_cx| {
        tracer.in_span("child", |_cx| {});
    });
    let spans = exporter.get_finished_spans().unwrap();
    assert_eq!(spans.len(), 2);
    for span in spans {
        assert_eq!(span.attributes, user_attributes(""), "{}", span.name);
    }
}

// ---- log records -----------------------------------------------------------

fn logging_with(rules: BaggageAttributes) -> (SdkLoggerProvider, InMemoryLogExporter) {
    let exporter = InMemoryLogExporter::default();
    let provider = SdkLoggerProvider::builder()
        .with_log_processor(BaggageLogProcessor::new(rules))
        .with_simple_exporter(exporter.clone())
        .build();
    (provider, exporter)
}

fn emit(provider: &SdkLoggerProvider, own: Vec<(&'static str, AnyValue)>) {
    let logger = provider.logger("test");
    let mut record = logger.create_log_record();
    record.set_body("paid".into());
    for (k, v) in own {
        record.add_attribute(k, v);
    }
    logger.emit(record);
}

fn log_attributes(exporter: &InMemoryLogExporter) -> Vec<Vec<(String, AnyValue)>> {
    exporter
        .get_emitted_logs()
        .unwrap()
        .into_iter()
        .map(|log| {
            log.record
                .attributes_iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect()
        })
        .collect()
}

fn s(v: &str) -> AnyValue {
    AnyValue::String(v.to_owned().into())
}

#[test]
fn schema_fields_become_typed_log_attributes() {
    let (provider, exporter) = logging_with(BaggageAttributes::new().schema::<UserCtx>());
    let _guard = Context::new().with_typed(&user()).unwrap().attach();
    emit(&provider, vec![]);
    assert_eq!(
        log_attributes(&exporter),
        [vec![
            ("app.big".to_owned(), s(&u128::MAX.to_string())),
            ("app.client_ip".to_owned(), s("10.0.0.1")),
            (
                "app.features".to_owned(),
                AnyValue::ListAny(Box::new(vec![s("new_checkout"), s("a,b")]))
            ),
            ("app.geo".to_owned(), s("us-west")),
            ("app.is_premium".to_owned(), AnyValue::Boolean(true)),
            ("app.ratio".to_owned(), AnyValue::Double(0.1)),
            ("app.tier".to_owned(), s("premium")),
            ("app.user_id".to_owned(), AnyValue::Int(12345)),
        ]]
    );
}

#[test]
fn the_records_own_attributes_win_and_filters_and_prefix_apply() {
    let rules = BaggageAttributes::new()
        .keys(|k| k != "session")
        .prefix("bg.")
        .max_value_len(2);
    let (provider, exporter) = logging_with(rules);
    let _guard = Context::new()
        .with_baggage([
            KeyValue::new("tenant", "acme"),
            KeyValue::new("session", "s-1"),
            KeyValue::new("zone", "b"),
        ])
        .attach();
    emit(
        &provider,
        vec![("bg.tenant", s("own")), ("n", AnyValue::Int(1))],
    );
    assert_eq!(
        log_attributes(&exporter),
        [vec![
            ("bg.tenant".to_owned(), s("own")),
            ("n".to_owned(), AnyValue::Int(1)),
            ("bg.zone".to_owned(), s("b")),
        ]]
    );
}

#[test]
fn a_record_outside_any_baggage_gets_nothing() {
    let (provider, exporter) = logging_with(BaggageAttributes::new().all_keys());
    emit(&provider, vec![("n", AnyValue::Int(1))]);
    assert_eq!(
        log_attributes(&exporter),
        [vec![("n".to_owned(), AnyValue::Int(1))]]
    );
}

#[test]
fn an_invalid_value_is_left_out_of_log_records_too() {
    let rules = BaggageAttributes::new().schema::<UserCtx>();
    let (provider, exporter) = logging_with(rules.clone());
    let _guard = Context::new()
        .with_baggage([
            KeyValue::new("app.user_id", "-1"),
            KeyValue::new("app.geo", "eu"),
        ])
        .attach();
    emit(&provider, vec![]);
    assert_eq!(
        log_attributes(&exporter),
        [vec![("app.geo".to_owned(), s("eu"))]]
    );
    assert_eq!(rules.invalid_values(), 1);
}

// ---- values left out: counted, metered, logged once -------------------------

#[path = "common/logs.rs"]
mod recorded;

#[test]
fn a_left_out_value_is_logged_once_per_key_and_metered() {
    use opentelemetry::metrics::MeterProvider as _;
    use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
    use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
    use tracing_subscriber::layer::SubscriberExt;
    use typed_baggage::metrics::{BaggageMetrics, METER_NAME};

    let metric_exporter = InMemoryMetricExporter::default();
    let meter_provider = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(metric_exporter.clone()).build())
        .build();
    let rules = BaggageAttributes::new()
        .schema::<UserCtx>()
        .metrics(BaggageMetrics::new(&meter_provider.meter(METER_NAME)));
    let (provider, exporter) = tracing_with(rules.clone());
    let lines = recorded::Lines::default();
    let subscriber = tracing_subscriber::registry().with(lines.clone());
    tracing::subscriber::with_default(subscriber, || {
        let bad_id = Context::new().with_baggage([KeyValue::new("app.user_id", "12a")]);
        let bad_both = Context::new().with_baggage([
            KeyValue::new("app.user_id", "-1"),
            KeyValue::new("app.tier", "gold"),
        ]);
        span_in(&provider, &bad_id, "a", vec![]);
        span_in(&provider, &bad_id, "b", vec![]);
        span_in(&provider, &bad_both, "c", vec![]);
    });
    assert_eq!(span_attributes(&exporter), [vec![], vec![], vec![]]);
    assert_eq!(rules.invalid_values(), 4);
    let lines = lines.0.lock().unwrap().clone();
    assert_eq!(
        lines,
        [
            "WARN typed_baggage message=baggage value not copied to telemetry: it does not decode as its field's type (logged once per key; counted every time) key=\"app.user_id\" schema=\"UserCtx\" field=\"user_id\" expected=\"an unsigned 64-bit integer (u64)\" error=invalid value \"12a\": not a decimal integer",
            "WARN typed_baggage message=baggage value not copied to telemetry: it does not decode as its field's type (logged once per key; counted every time) key=\"app.tier\" schema=\"UserCtx\" field=\"tier\" expected=\"one of `free`, `premium` (Tier)\" error=invalid value \"gold\"",
        ]
    );

    meter_provider.force_flush().unwrap();
    let exports = metric_exporter.get_finished_metrics().unwrap();
    let mut points = Vec::new();
    for scope in exports.last().unwrap().scope_metrics() {
        for metric in scope.metrics() {
            if let AggregatedMetrics::U64(MetricData::Sum(sum)) = metric.data() {
                for p in sum.data_points() {
                    let attributes: Vec<String> = p
                        .attributes()
                        .map(|kv| format!("{}={}", kv.key, kv.value))
                        .collect();
                    points.push(format!(
                        "{} {} {:?} = {}",
                        metric.name(),
                        metric.unit(),
                        attributes,
                        p.value()
                    ));
                }
            }
        }
    }
    points.sort();
    assert_eq!(
        points,
        [
            "baggage.attributes.invalid {entry} [\"baggage.key=app.tier\"] = 1",
            "baggage.attributes.invalid {entry} [\"baggage.key=app.user_id\"] = 3",
        ]
    );
}

// ---- through the `tracing` crate ---------------------------------------------

#[test]
fn tracing_spans_and_events_carry_the_baggage() {
    use opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge;
    use tracing_subscriber::layer::SubscriberExt;

    let rules = BaggageAttributes::new()
        .schema::<UserCtx>()
        .prefix("baggage.");
    let (tracer_provider, spans) = tracing_with(rules.clone());
    let (logger_provider, logs) = logging_with(rules);
    let subscriber = tracing_subscriber::registry()
        .with(
            tracing_opentelemetry::layer()
                .with_tracer(tracer_provider.tracer("test"))
                .with_location(false)
                .with_threads(false)
                .with_target(false)
                .with_tracked_inactivity(false),
        )
        .with(OpenTelemetryTracingBridge::new(&logger_provider));
    tracing::subscriber::with_default(subscriber, || {
        let _guard = Context::new().with_typed(&user()).unwrap().attach();
        let _outer = tracing::info_span!("checkout").entered();
        let _inner = tracing::info_span!("charge", amount = 5i64).entered();
        tracing::info!(amount = 5i64, "card charged");
    });

    let expected = user_attributes("baggage.");
    let spans = spans.get_finished_spans().unwrap();
    let names: Vec<&str> = spans.iter().map(|s| s.name.as_ref()).collect();
    assert_eq!(names, ["charge", "checkout"]);
    assert_eq!(spans[0].attributes[0], KeyValue::new("amount", 5i64));
    assert_eq!(spans[0].attributes[1..], expected[..]);
    assert_eq!(spans[1].attributes, expected);

    let records = log_attributes(&logs);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0][0], ("amount".to_owned(), AnyValue::Int(5)));
    let names: Vec<&str> = records[0][1..].iter().map(|(k, _)| k.as_str()).collect();
    let expected_names: Vec<&str> = expected.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(names, expected_names);
    assert_eq!(
        records[0].last().unwrap(),
        &("baggage.app.user_id".to_owned(), AnyValue::Int(12345))
    );
}
