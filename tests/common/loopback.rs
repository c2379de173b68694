//! Loopback plumbing shared by the layer tests: servers on 127.0.0.1:0, a
//! plain client, the replies; a recorder of `typed_baggage` log lines; a
//! propagator whose metrics the test reads back.
#![allow(dead_code)]

use std::fmt;
use std::net::SocketAddr;

use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use opentelemetry::baggage::BaggageExt;
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::Context;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use tower::{Service, ServiceExt};
use typed_baggage::metrics::{BaggageMetrics, METER_NAME};
use typed_baggage::propagation::BaggagePropagator;
use typed_baggage::tower::BaggageLayer;

/// Serves `app` on an ephemeral loopback port.
pub async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("server runs") });
    addr
}

/// Serves a tower service with hyper, as a proxy does: every connection
/// hands its requests to a clone of `service`.
pub async fn serve_service<S>(service: S) -> SocketAddr
where
    S: Service<Request<Incoming>, Response = Response<Incoming>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let service = service.clone();
            tokio::spawn(async move {
                let per_request =
                    hyper::service::service_fn(move |req| service.clone().oneshot(req));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), per_request)
                    .await;
            });
        }
    });
    addr
}

/// A client that sends exactly the headers it is given, as an outside caller.
pub fn plain_client() -> Client<HttpConnector, Full<Bytes>> {
    Client::builder(TokioExecutor::new()).build_http()
}

/// What came back: status, every `baggage` header of the response, body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub baggage: Vec<String>,
    pub body: String,
}

/// GET `url` through `client` with `headers`.
pub async fn send<S>(client: &S, url: &str, headers: &[(&str, &[u8])]) -> Reply
where
    S: Service<Request<Full<Bytes>>, Response = Response<Incoming>> + Clone,
    S::Error: fmt::Debug,
{
    let mut req = Request::get(url);
    for (name, value) in headers {
        req = req.header(*name, HeaderValue::from_bytes(value).expect("header value"));
    }
    let req = req.body(Full::new(Bytes::new())).expect("request");
    let response = client
        .clone()
        .ready()
        .await
        .expect("client ready")
        .call(req)
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    let baggage = all_baggage(response.headers());
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Reply {
        status,
        baggage,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// Every `baggage` header value, as text.
pub fn all_baggage(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all("baggage")
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect()
}

/// The `baggage` headers a request carried, joined with ` | `, or `<none>`.
pub fn received(headers: &HeaderMap) -> String {
    let all = all_baggage(headers);
    if all.is_empty() {
        "<none>".to_owned()
    } else {
        all.join(" | ")
    }
}

/// Answers with the `baggage` headers it received.
pub fn echo() -> Router {
    Router::new().route(
        "/",
        get(|headers: HeaderMap| async move { received(&headers) }),
    )
}

#[path = "logs.rs"]
mod logs;
#[allow(unused_imports)] // each test file uses what it needs
pub use logs::Lines;

/// A meter provider of the test's own, and a propagator recording into it.
pub struct Metered {
    pub provider: SdkMeterProvider,
    pub exporter: InMemoryMetricExporter,
    pub propagator: BaggagePropagator,
}

impl Metered {
    pub fn new() -> Self {
        let exporter = InMemoryMetricExporter::default();
        let provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(exporter.clone()).build())
            .build();
        let propagator = BaggagePropagator::builder()
            .metrics(BaggageMetrics::new(&provider.meter(METER_NAME)))
            .build();
        Metered {
            provider,
            exporter,
            propagator,
        }
    }

    /// The `baggage.entries.dropped` counts, `reason = value`, sorted.
    pub fn dropped(&self) -> Vec<String> {
        self.provider.force_flush().unwrap();
        let exports = self.exporter.get_finished_metrics().unwrap();
        let mut out = Vec::new();
        for scope in exports.last().expect("an export").scope_metrics() {
            for metric in scope.metrics() {
                if metric.name() != "baggage.entries.dropped" {
                    continue;
                }
                let AggregatedMetrics::U64(MetricData::Sum(sum)) = metric.data() else {
                    panic!("{metric:?}");
                };
                for p in sum.data_points() {
                    let mut attributes: Vec<String> = p
                        .attributes()
                        .map(|kv| format!("{}={}", kv.key, kv.value))
                        .collect();
                    attributes.sort();
                    out.push(format!("{} = {}", attributes.join(","), p.value()));
                }
            }
        }
        out.sort();
        out
    }
}

/// Answers with the baggage keys the handler's context holds, sorted.
pub fn keys_seen(layer: BaggageLayer) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async {
                let mut keys: Vec<String> = Context::map_current(|cx| {
                    cx.baggage().iter().map(|(k, _)| k.to_string()).collect()
                });
                keys.sort();
                keys.join(",")
            }),
        )
        .layer(layer)
}
