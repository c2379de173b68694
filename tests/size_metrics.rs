//! Size telemetry: the propagator's and the tower layer's OpenTelemetry
//! metrics, read back exactly through the SDK's in-memory metric exporter.

use std::collections::HashMap;
use std::convert::Infallible;

use http::Request;
use opentelemetry::baggage::{Baggage, BaggageExt};
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use tower::{Layer, Service, ServiceExt};
use typed_baggage::metrics::{BaggageMetrics, METER_NAME};
use typed_baggage::propagation::BaggagePropagator;
use typed_baggage::tower::{Allowlist, BaggageLayer, InboundPolicy};

/// A meter provider of its own (no global state), and a propagator that
/// records into it.
struct Setup {
    provider: SdkMeterProvider,
    exporter: InMemoryMetricExporter,
    propagator: BaggagePropagator,
}

fn setup() -> Setup {
    let exporter = InMemoryMetricExporter::default();
    let provider = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(exporter.clone()).build())
        .build();
    let propagator = BaggagePropagator::builder()
        .metrics(BaggageMetrics::new(&provider.meter(METER_NAME)))
        .build();
    Setup {
        provider,
        exporter,
        propagator,
    }
}

impl Setup {
    /// Every data point, one line each, sorted: `name unit {attributes} values`.
    fn points(&self) -> Vec<String> {
        self.provider.force_flush().unwrap();
        let exports = self.exporter.get_finished_metrics().unwrap();
        let last = exports.last().expect("an export");
        let mut out = Vec::new();
        for scope in last.scope_metrics() {
            assert_eq!(scope.scope().name(), METER_NAME);
            for metric in scope.metrics() {
                let (name, unit) = (metric.name(), metric.unit());
                match metric.data() {
                    AggregatedMetrics::U64(MetricData::Histogram(h)) => {
                        for p in h.data_points() {
                            out.push(format!(
                                "{name} {unit} {{{}}} count={} sum={} min={} max={}",
                                attributes(p.attributes()),
                                p.count(),
                                p.sum(),
                                p.min().unwrap(),
                                p.max().unwrap(),
                            ));
                        }
                    }
                    AggregatedMetrics::U64(MetricData::Sum(s)) => {
                        assert!(s.is_monotonic());
                        for p in s.data_points() {
                            out.push(format!(
                                "{name} {unit} {{{}}} = {}",
                                attributes(p.attributes()),
                                p.value()
                            ));
                        }
                    }
                    other => panic!("{name}: unexpected data {other:?}"),
                }
            }
        }
        out.sort();
        out
    }

    /// The bucket counts of one histogram's only data point.
    fn buckets(&self, name: &str) -> (Vec<f64>, Vec<u64>) {
        self.provider.force_flush().unwrap();
        let exports = self.exporter.get_finished_metrics().unwrap();
        let last = exports.last().unwrap();
        for scope in last.scope_metrics() {
            for metric in scope.metrics() {
                if metric.name() == name {
                    if let AggregatedMetrics::U64(MetricData::Histogram(h)) = metric.data() {
                        let p = h.data_points().next().unwrap();
                        return (p.bounds().collect(), p.bucket_counts().collect());
                    }
                }
            }
        }
        panic!("no histogram {name}")
    }
}

fn attributes<'a>(kvs: impl Iterator<Item = &'a KeyValue>) -> String {
    let mut parts: Vec<String> = kvs.map(|kv| format!("{}={}", kv.key, kv.value)).collect();
    parts.sort();
    parts.join(",")
}

fn headers(value: &str) -> HashMap<String, String> {
    HashMap::from([("baggage".to_owned(), value.to_owned())])
}

#[test]
fn extract_records_size_entries_and_malformed_drops() {
    let s = setup();
    let cx = s
        .propagator
        .extract_with_context(&Context::new(), &headers("a=1,b=2,c"));
    assert_eq!(cx.baggage().len(), 2);
    let cx = s
        .propagator
        .extract_with_context(&Context::new(), &headers("k=v"));
    assert_eq!(cx.baggage().len(), 1);
    assert_eq!(
        s.points(),
        [
            "baggage.entries {entry} {baggage.direction=incoming} count=2 sum=3 min=1 max=2",
            "baggage.entries.dropped {entry} {baggage.direction=incoming,baggage.reason=malformed} = 1",
            "baggage.size By {baggage.direction=incoming} count=2 sum=12 min=3 max=9",
        ]
    );
}

#[test]
fn no_header_records_nothing() {
    let s = setup();
    let _ = s
        .propagator
        .extract_with_context(&Context::new(), &HashMap::<String, String>::new());
    let mut none = HashMap::new();
    s.propagator.inject_context(&Context::new(), &mut none);
    assert!(none.is_empty());
    s.provider.force_flush().unwrap();
    let exports = s.exporter.get_finished_metrics().unwrap();
    assert!(exports.iter().all(|rm| rm.scope_metrics().count() == 0));
}

#[test]
fn rejected_headers_are_counted_with_their_size() {
    let s = setup();
    let oversize = format!("k={}", "x".repeat(9000));
    let many = vec!["a=1"; 65].join(",");
    for header in [oversize.as_str(), many.as_str()] {
        let cx = s
            .propagator
            .extract_with_context(&Context::new(), &headers(header));
        assert_eq!(cx.baggage().len(), 0);
    }
    assert_eq!(
        s.points(),
        [
            "baggage.entries {entry} {baggage.direction=incoming} count=2 sum=0 min=0 max=0",
            "baggage.headers.rejected {header} {baggage.direction=incoming,baggage.reason=byte_limit} = 1",
            "baggage.headers.rejected {header} {baggage.direction=incoming,baggage.reason=member_limit} = 1",
            format!(
                "baggage.size By {{baggage.direction=incoming}} count=2 sum={} min={} max=9002",
                9002 + many.len(),
                many.len()
            )
            .as_str(),
        ]
    );
}

#[test]
fn inject_records_size_entries_and_each_kind_of_drop() {
    let s = setup();
    // 64 small members, the most an OpenTelemetry `Baggage` holds
    let many: Baggage = (0..70)
        .map(|i| KeyValue::new(format!("k{i:02}"), "v"))
        .collect();
    assert_eq!(many.len(), 64);
    let header = s.propagator.header_value(&many).unwrap();
    assert_eq!(header.split(',').count(), 64);

    // one member too wide for 8192 bytes, one with forged properties, one fine
    let mut mixed = Baggage::new();
    mixed.insert("wide", "é".repeat(1500)); // 9000 bytes encoded
    mixed.insert_with_metadata("forged", "1", "p=1,admin=true");
    mixed.insert("ok", "1");
    assert_eq!(s.propagator.header_value(&mixed).as_deref(), Some("ok=1"));

    assert_eq!(
        s.points(),
        [
            "baggage.entries {entry} {baggage.direction=outgoing} count=2 sum=65 min=1 max=64",
            "baggage.entries.dropped {entry} {baggage.direction=outgoing,baggage.reason=byte_limit} = 1",
            "baggage.entries.dropped {entry} {baggage.direction=outgoing,baggage.reason=malformed} = 1",
            format!(
                "baggage.size By {{baggage.direction=outgoing}} count=2 sum={} min=4 max={}",
                header.len() + 4,
                header.len()
            )
            .as_str(),
        ]
    );
    assert_eq!(header.len(), 64 * "k00=v".len() + 63);
}

#[test]
fn histogram_buckets_follow_the_w3c_limits() {
    let s = setup();
    for header in ["a=1", &format!("k={}", "x".repeat(100)), &"a=1,".repeat(40)] {
        let _ = s
            .propagator
            .extract_with_context(&Context::new(), &headers(header));
    }
    let (bounds, counts) = s.buckets("baggage.size");
    assert_eq!(
        bounds,
        [0.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 2048.0, 4096.0, 8192.0, 16384.0]
    );
    // 3 bytes, 102 bytes, 160 bytes
    assert_eq!(counts, [0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    let (bounds, counts) = s.buckets("baggage.entries");
    assert_eq!(bounds, [0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]);
    // 1, 1 and 40 list-members read (the 40 `a=1` are 40 members, though
    // the baggage keeps one key: every way in counts what it read the same)
    assert_eq!(counts, [0, 2, 0, 0, 0, 0, 0, 1, 0]);
}

/// Runs one request with `baggage` through a layer and returns the keys the
/// handler saw.
async fn serve(layer: BaggageLayer, baggage: &str) -> Vec<String> {
    let service = layer.layer(tower::service_fn(|_req: Request<()>| async {
        let mut keys: Vec<String> = Context::map_current(|cx| {
            cx.baggage()
                .iter()
                .map(|(k, _)| k.to_string())
                .collect::<Vec<_>>()
        });
        keys.sort();
        Ok::<_, Infallible>(http::Response::new(keys))
    }));
    let request = Request::builder()
        .header("baggage", baggage)
        .body(())
        .unwrap();
    let mut service = service;
    service
        .ready()
        .await
        .unwrap()
        .call(request)
        .await
        .unwrap()
        .into_body()
}

#[tokio::test]
async fn inbound_policy_drops_are_counted() {
    let s = setup();
    let allow = BaggageLayer::new(InboundPolicy::Allow(Allowlist::new().key("ff.a")))
        .with_propagator(s.propagator.clone());
    let seen = serve(allow, "ff.a=1,app.tier=premium,x=2").await;
    assert_eq!(seen, ["ff.a"]);
    let drop_all = BaggageLayer::new(InboundPolicy::DropAll).with_propagator(s.propagator.clone());
    assert!(serve(drop_all.clone(), "app.tier=premium").await.is_empty());
    assert!(serve(drop_all, "app.tier=premium").await.is_empty());
    assert_eq!(
        s.points(),
        [
            // read by the propagator before the allowlist applied
            "baggage.entries {entry} {baggage.direction=incoming} count=1 sum=3 min=3 max=3",
            "baggage.entries.dropped {entry} {baggage.direction=incoming,baggage.reason=policy} = 2",
            "baggage.headers.rejected {header} {baggage.direction=incoming,baggage.reason=policy} = 2",
            "baggage.size By {baggage.direction=incoming} count=1 sum=27 min=27 max=27",
        ]
    );
}

#[test]
fn the_default_propagator_records_into_the_global_meter_provider() {
    // The only test in this binary that touches the global provider.
    let exporter = InMemoryMetricExporter::default();
    let provider = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(exporter.clone()).build())
        .build();
    opentelemetry::global::set_meter_provider(provider.clone());
    // made after the provider is installed: records into it
    let propagator = BaggagePropagator::new();
    let cx = Context::new().with_baggage([KeyValue::new("a", "1")]);
    let mut carrier = HashMap::new();
    propagator.inject_context(&cx, &mut carrier);
    assert_eq!(carrier["baggage"], "a=1");
    let s = Setup {
        provider,
        exporter,
        propagator,
    };
    assert_eq!(
        s.points(),
        [
            "baggage.entries {entry} {baggage.direction=outgoing} count=1 sum=1 min=1 max=1",
            "baggage.size By {baggage.direction=outgoing} count=1 sum=3 min=3 max=3",
        ]
    );
}
