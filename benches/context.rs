//! `attach` and `read`: typed baggage in a `Context` against the code users
//! write by hand, for a 2-field, the representative 6-field and a 30-field
//! schema. See `BENCHMARKS.md`.
//!
//! In each group, for each schema:
//! - `typed`: `cx.with_typed(&value)` / `T::from_context(&cx)`;
//! - `hand`: the idiomatic hand-written code (`benches/common/mod.rs`);
//! - `copy` (attach): the other hand-written attach: the existing baggage
//!   copied with `insert_with_metadata`, the values `insert`ed;
//! - `floor`: the least any implementation can do.

mod common;

use std::hint::black_box;

use common::{Large, Small, UserCtx};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use opentelemetry::Context;
use typed_baggage::prelude::*;

/// Benchmarks the four ways to attach `value` to `cx`.
fn attach_three<T: Baggage + common::HandEntries>(
    c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    cx: &Context,
    value: &T,
    hand: impl Fn(&T, &Context) -> Context,
    floor: impl Fn(&Context) -> Context,
) {
    // The three write the same entries.
    let typed = cx.with_typed(value).unwrap();
    assert_eq!(
        sorted(&typed),
        sorted(&hand(value, cx)),
        "{name}: typed and hand differ"
    );
    assert_eq!(
        sorted(&typed),
        sorted(&floor(cx)),
        "{name}: typed and floor differ"
    );
    assert_eq!(
        sorted(&typed),
        sorted(&common::copy_with(cx, value)),
        "{name}: typed and copy differ"
    );

    c.bench_with_input(BenchmarkId::new("typed", name), cx, |b, cx| {
        b.iter(|| black_box(cx).with_typed(black_box(value)).unwrap())
    });
    c.bench_with_input(BenchmarkId::new("hand", name), cx, |b, cx| {
        b.iter(|| hand(black_box(value), black_box(cx)))
    });
    c.bench_with_input(BenchmarkId::new("copy", name), cx, |b, cx| {
        b.iter(|| common::copy_with(black_box(cx), black_box(value)))
    });
    c.bench_with_input(BenchmarkId::new("floor", name), cx, |b, cx| {
        b.iter(|| floor(black_box(cx)))
    });
}

/// A context's baggage as sorted `(key, value)` pairs.
fn sorted(cx: &Context) -> Vec<(String, String)> {
    use opentelemetry::baggage::BaggageExt;
    let mut v: Vec<_> = cx
        .baggage()
        .iter()
        .map(|(k, (v, _))| (k.to_string(), v.to_string()))
        .collect();
    v.sort();
    v
}

fn attach(c: &mut Criterion) {
    let mut g = c.benchmark_group("attach");
    let empty = Context::new();
    attach_three(
        &mut g,
        "small",
        &empty,
        &Small::sample(),
        Small::attach_hand,
        Small::attach_floor,
    );
    attach_three(
        &mut g,
        "representative",
        &empty,
        &UserCtx::sample(),
        UserCtx::attach_hand,
        UserCtx::attach_floor,
    );
    attach_three(
        &mut g,
        "large",
        &empty,
        &Large::sample(),
        Large::attach_hand,
        Large::attach_floor,
    );
    // Merging into a context that already carries 8 entries of other teams.
    attach_three(
        &mut g,
        "representative_merge_8",
        &common::upstream(8),
        &UserCtx::sample(),
        UserCtx::attach_hand,
        UserCtx::attach_floor,
    );
    g.finish();
}

/// Benchmarks the three ways to read `T` from `cx`.
fn read_three<T: Baggage + PartialEq + std::fmt::Debug, E: std::fmt::Debug>(
    c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    cx: &Context,
    hand: impl Fn(&Context) -> Result<T, E>,
    floor: impl Fn(&Context) -> Option<T>,
) {
    // The three read the same value.
    let typed = T::from_context(cx).unwrap();
    assert_eq!(hand(cx).unwrap(), typed, "{name}: hand");
    assert_eq!(floor(cx).unwrap(), typed, "{name}: floor");

    c.bench_with_input(BenchmarkId::new("typed", name), cx, |b, cx| {
        b.iter(|| T::from_context(black_box(cx)).unwrap())
    });
    c.bench_with_input(BenchmarkId::new("hand", name), cx, |b, cx| {
        b.iter(|| hand(black_box(cx)).unwrap())
    });
    c.bench_with_input(BenchmarkId::new("floor", name), cx, |b, cx| {
        b.iter(|| floor(black_box(cx)).unwrap())
    });
}

fn read(c: &mut Criterion) {
    let mut g = c.benchmark_group("read");
    // Each context also carries 8 entries of other teams, as in a service.
    let up = common::upstream(8);
    read_three(
        &mut g,
        "small",
        &up.with_typed(&Small::sample()).unwrap(),
        Small::read_hand,
        Small::read_floor,
    );
    read_three(
        &mut g,
        "representative",
        &up.with_typed(&UserCtx::sample()).unwrap(),
        UserCtx::read_hand,
        UserCtx::read_floor,
    );
    read_three(
        &mut g,
        "large",
        &up.with_typed(&Large::sample()).unwrap(),
        Large::read_hand,
        Large::read_floor,
    );
    g.finish();
}

criterion_group!(benches, attach, read);
criterion_main!(benches);
