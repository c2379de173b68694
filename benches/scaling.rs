//! Scaling: the cost per member and per byte stays flat (no quadratic
//! path), and a hostile header is rejected in time bounded by the limit,
//! not by its size. See `BENCHMARKS.md`.
//!
//! - `scaling_members`: extract, inject and attach (`with_typed` of the
//!   representative schema merged into a context of other entries) for 1
//!   to 64 members of 16-byte values;
//! - `scaling_bytes`: extract of headers of 8 members (`kN=aaa…`) from
//!   100 B to 8 KiB;
//! - `hostile`: headers over the limits, 16 KiB to 1 MiB in one header or in
//!   many `baggage` headers of 8 KiB, and 8 KiB of 2-byte members.

mod common;

use std::collections::HashMap;
use std::hint::black_box;

use common::UserCtx;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use opentelemetry::baggage::BaggageExt;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::Context;
use typed_baggage::prelude::*;
use typed_baggage::propagation::BaggagePropagator;

fn carrier(header: &str) -> HashMap<String, String> {
    HashMap::from([("baggage".to_owned(), header.to_owned())])
}

fn scaling_members(c: &mut Criterion) {
    let p = BaggagePropagator::new();
    let mut g = c.benchmark_group("scaling_members");
    for n in [1usize, 2, 4, 8, 16, 32, 64] {
        g.throughput(Throughput::Elements(n as u64));
        let header = common::header_of(n, 16);
        let headers = carrier(&header);
        assert_eq!(
            p.extract_with_context(&Context::new(), &headers)
                .baggage()
                .len(),
            n
        );
        g.bench_with_input(BenchmarkId::new("extract", n), &headers, |b, h| {
            b.iter(|| p.extract_with_context(&Context::new(), black_box(h)))
        });
        let cx = Context::new().with_baggage(common::baggage_of(&header));
        g.bench_with_input(BenchmarkId::new("inject", n), &cx, |b, cx| {
            b.iter(|| {
                let mut out = HashMap::new();
                p.inject_context(black_box(cx), &mut out);
                out
            })
        });
        // The representative schema's 6 entries merged into n - 6 others.
        if n > 6 {
            let up = common::upstream(n - 6);
            let user = UserCtx::sample();
            assert_eq!(up.with_typed(&user).unwrap().baggage().len(), n);
            g.bench_with_input(BenchmarkId::new("attach_merge", n), &up, |b, cx| {
                b.iter(|| black_box(cx).with_typed(black_box(&user)).unwrap())
            });
        }
    }
    g.finish();
}

fn scaling_bytes(c: &mut Criterion) {
    let p = BaggagePropagator::new();
    let mut g = c.benchmark_group("scaling_bytes");
    for target in [100usize, 256, 512, 1024, 2048, 4096, 8192] {
        let header = sized_header(8, target);
        assert!(header.len() <= target && header.len() + 8 >= target);
        g.throughput(Throughput::Bytes(header.len() as u64));
        let headers = carrier(&header);
        assert_eq!(
            p.extract_with_context(&Context::new(), &headers)
                .baggage()
                .len(),
            8
        );
        g.bench_with_input(BenchmarkId::new("extract", target), &headers, |b, h| {
            b.iter(|| p.extract_with_context(&Context::new(), black_box(h)))
        });
    }
    g.finish();
}

/// A header of `members` list-members `kN=aaa…` of equal size, `total`
/// bytes at most and at least `total - members`.
fn sized_header(members: usize, total: usize) -> String {
    let per_member = (total - (members - 1)) / members;
    (0..members)
        .map(|i| {
            let key = format!("k{i}");
            let value: String = (0..per_member - key.len() - 1)
                .map(|j| char::from(b'a' + (j % 26) as u8))
                .collect();
            format!("{key}={value}")
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn hostile(c: &mut Criterion) {
    let p = BaggagePropagator::new();
    let mut g = c.benchmark_group("hostile");
    for kib in [16usize, 64, 256, 1024] {
        // One header of valid-looking members, far over 8192 bytes.
        let member = "app.k=vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv";
        let mut one = String::with_capacity(kib * 1024);
        while one.len() + member.len() < kib * 1024 {
            if !one.is_empty() {
                one.push(',');
            }
            one.push_str(member);
        }
        let headers = carrier(&one);
        let before = p.counters().extract_headers_rejected();
        assert_eq!(
            p.extract_with_context(&Context::new(), &headers)
                .baggage()
                .len(),
            0
        );
        assert_eq!(p.counters().extract_headers_rejected(), before + 1);
        g.bench_with_input(BenchmarkId::new("one_header", kib), &headers, |b, h| {
            b.iter(|| p.extract_with_context(&Context::new(), black_box(h)))
        });

        // The same bytes in many `baggage` headers of 8 KiB each.
        let mut many = http::HeaderMap::new();
        let chunk = common::header_of(32, 245);
        for _ in 0..kib / 8 {
            many.append("baggage", http::HeaderValue::from_str(&chunk).unwrap());
        }
        assert_eq!(
            typed_baggage::http::extract_with(&p, &Context::new(), &many)
                .baggage()
                .len(),
            0
        );
        g.bench_with_input(BenchmarkId::new("many_headers", kib), &many, |b, h| {
            b.iter(|| typed_baggage::http::extract_with(&p, &Context::new(), black_box(h)))
        });
    }
    // Within 8192 bytes but 2048 members: rejected after counting 65.
    let tiny = vec!["a=1"; 2048].join(",");
    assert!(tiny.len() <= 8192);
    let headers = carrier(&tiny);
    assert_eq!(
        p.extract_with_context(&Context::new(), &headers)
            .baggage()
            .len(),
        0
    );
    g.bench_with_input(BenchmarkId::new("members_8KiB", 2048), &headers, |b, h| {
        b.iter(|| p.extract_with_context(&Context::new(), black_box(h)))
    });
    g.finish();
}

criterion_group!(benches, scaling_members, scaling_bytes, hostile);
criterion_main!(benches);
