//! `inject`, `extract` and `end_to_end`: typed-baggage's W3C propagator
//! against `opentelemetry_sdk::propagation::BaggagePropagator`, and a header
//! read into a typed struct against the SDK's extract plus a hand-written
//! decode. See `BENCHMARKS.md`.

mod common;

use std::collections::HashMap;
use std::hint::black_box;

use common::{Large, Small, UserCtx};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use opentelemetry::baggage::BaggageExt;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::Context;
use opentelemetry_sdk::propagation::BaggagePropagator as SdkPropagator;
use typed_baggage::prelude::*;
use typed_baggage::propagation::BaggagePropagator;

/// A context's baggage as sorted `(key, value, metadata)` triples.
fn entries(cx: &Context) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = cx
        .baggage()
        .iter()
        .map(|(k, (v, m))| (k.to_string(), v.to_string(), m.as_str().to_owned()))
        .collect();
    v.sort();
    v
}

fn carrier(header: &str) -> HashMap<String, String> {
    HashMap::from([("baggage".to_owned(), header.to_owned())])
}

fn inject(c: &mut Criterion) {
    let ours = BaggagePropagator::new();
    let sdk = SdkPropagator::new();
    let mut g = c.benchmark_group("inject");
    for (name, header) in common::wire_headers() {
        let cx = Context::new().with_baggage(common::baggage_of(&header));
        // Both write every member, and the headers read back the same.
        for written in [inject_with(&ours, &cx), inject_with(&sdk, &cx)] {
            let back = ours.extract_with_context(&Context::new(), &carrier(&written));
            assert_eq!(entries(&back), entries(&cx), "{name}");
        }
        g.bench_with_input(BenchmarkId::new("typed_baggage", name), &cx, |b, cx| {
            b.iter(|| {
                let mut headers = HashMap::new();
                ours.inject_context(black_box(cx), &mut headers);
                headers
            })
        });
        g.bench_with_input(BenchmarkId::new("opentelemetry_sdk", name), &cx, |b, cx| {
            b.iter(|| {
                let mut headers = HashMap::new();
                sdk.inject_context(black_box(cx), &mut headers);
                headers
            })
        });
    }
    g.finish();
}

fn inject_with(p: &dyn TextMapPropagator, cx: &Context) -> String {
    let mut headers = HashMap::new();
    p.inject_context(cx, &mut headers);
    headers.remove("baggage").unwrap()
}

fn extract(c: &mut Criterion) {
    let ours = BaggagePropagator::new();
    let sdk = SdkPropagator::new();
    let mut g = c.benchmark_group("extract");
    for (name, header) in common::wire_headers() {
        let headers = carrier(&header);
        // Both read the same baggage from these headers.
        let a = ours.extract_with_context(&Context::new(), &headers);
        let b = sdk.extract_with_context(&Context::new(), &headers);
        assert_eq!(entries(&a), entries(&b), "{name}");
        assert_eq!(entries(&a).len(), header.split(',').count(), "{name}");
        g.bench_with_input(BenchmarkId::new("typed_baggage", name), &headers, |b, h| {
            b.iter(|| ours.extract_with_context(&Context::new(), black_box(h)))
        });
        g.bench_with_input(
            BenchmarkId::new("opentelemetry_sdk", name),
            &headers,
            |b, h| b.iter(|| sdk.extract_with_context(&Context::new(), black_box(h))),
        );
    }
    g.finish();
}

/// Benchmarks `T::from_headers` against the SDK's extract and `hand`.
fn end_to_end_one<T: Baggage + PartialEq + std::fmt::Debug, E: std::fmt::Debug>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    cx: &Context,
    hand: impl Fn(&Context) -> Result<T, E>,
) {
    let sdk = SdkPropagator::new();
    let mut headers = http::HeaderMap::new();
    typed_baggage::http::inject(cx, &mut headers);
    let decode_hand = |h: &http::HeaderMap| {
        let cx = sdk.extract_with_context(&Context::new(), &opentelemetry_http::HeaderExtractor(h));
        hand(&cx)
    };
    // Both read the value that was sent.
    let sent = T::from_context(cx).unwrap();
    assert_eq!(T::from_headers(&headers).unwrap(), sent, "{name}");
    assert_eq!(decode_hand(&headers).unwrap(), sent, "{name}");

    g.bench_with_input(BenchmarkId::new("typed", name), &headers, |b, h| {
        b.iter(|| T::from_headers(black_box(h)).unwrap())
    });
    g.bench_with_input(BenchmarkId::new("sdk_hand", name), &headers, |b, h| {
        b.iter(|| decode_hand(black_box(h)).unwrap())
    });
}

fn end_to_end(c: &mut Criterion) {
    let mut g = c.benchmark_group("end_to_end");
    let empty = Context::new();
    end_to_end_one(
        &mut g,
        "small",
        &empty.with_typed(&Small::sample()).unwrap(),
        Small::read_hand,
    );
    end_to_end_one(
        &mut g,
        "representative",
        &empty.with_typed(&UserCtx::sample()).unwrap(),
        UserCtx::read_hand,
    );
    end_to_end_one(
        &mut g,
        "large",
        &empty.with_typed(&Large::sample()).unwrap(),
        Large::read_hand,
    );
    // The header also carries 8 entries of other teams, as it does between
    // services.
    end_to_end_one(
        &mut g,
        "representative_plus_8",
        &common::upstream(8).with_typed(&UserCtx::sample()).unwrap(),
        UserCtx::read_hand,
    );
    g.finish();
}

criterion_group!(benches, inject, extract, end_to_end);
criterion_main!(benches);
