//! What signing costs: `with_typed` and `from_context` of one schema,
//! unsigned and `#[baggage(signed)]`, the rest identical.
//!
//! ```sh
//! cargo bench --bench signing --features signing
//! ```
//!
//! Groups `with_typed` and `from_context`, each with:
//! - `unsigned`: the plain schema;
//! - `signed`: the same fields, signed, the key ring carried in the context;
//! - `signed_installed`: signed, the key ring installed for the process
//!   (the context carries none).
//!
//! - `hmac/floor`: the bare HMAC-SHA256 (keyed state cloned, as the ring
//!   keeps it) over the canonical form of the same entries: the least any
//!   signature of them can cost.
//!
//! The overhead ratio is `signed / unsigned` of the mean times in
//! `target/criterion/<group>/<variant>/new/estimates.json`.
//!
//! Measured on the 2-core development machine (AMD EPYC, SHA extensions),
//! while other builds ran (load 5 to 13), so the absolute times are high
//! and vary by about ±30% between runs; two full runs gave:
//!
//! | | unsigned | signed | ratio |
//! |---|---|---|---|
//! | `with_typed` | 2.8 – 4.0 µs | 4.0 – 4.9 µs | ×1.2 – ×1.5 |
//! | `from_context` | 0.33 – 0.57 µs | 1.5 – 2.0 µs | ×2.9 – ×4.8 |
//! | `hmac/floor` | | 0.42 µs | |
//!
//! So signing adds about 1 µs to a write or a read; less than half of it is
//! the HMAC itself, the rest is reading the schema's entries, sorting them
//! and parsing the signature. A read is cheap to begin with, hence its
//! larger ratio.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use hmac::{Hmac, KeyInit, Mac};
use opentelemetry::baggage::BaggageExt;
use opentelemetry::{Context, KeyValue};
use typed_baggage::prelude::*;
use typed_baggage::signing::{KeyRing, SigningKey};

#[derive(Baggage, Debug, Clone, Copy, PartialEq)]
#[baggage(rename_all = "snake_case")]
enum Tier {
    Free,
    Premium,
}

/// The representative user context of the README, unsigned.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "app.")]
struct Plain {
    user_id: u64,
    tier: Tier,
    is_premium: bool,
    features: Vec<String>,
    #[baggage(rename = "geo")]
    region: Option<String>,
    #[baggage(default)]
    retries: u8,
}

/// The same fields, signed.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "app.", signed, max_age_secs = 300)]
struct Signed {
    user_id: u64,
    tier: Tier,
    is_premium: bool,
    features: Vec<String>,
    #[baggage(rename = "geo")]
    region: Option<String>,
    #[baggage(default)]
    retries: u8,
}

fn plain() -> Plain {
    Plain {
        user_id: 12345,
        tier: Tier::Premium,
        is_premium: true,
        features: vec!["new_checkout".into(), "dark_mode".into()],
        region: Some("us-west".into()),
        retries: 0,
    }
}

fn signed() -> Signed {
    let p = plain();
    Signed {
        user_id: p.user_id,
        tier: p.tier,
        is_premium: p.is_premium,
        features: p.features,
        region: p.region,
        retries: p.retries,
    }
}

fn ring() -> KeyRing {
    // A random key (weak keys such as 32 equal bytes are refused at load).
    KeyRing::new(SigningKey::from_base64("k1", KEY_B64).unwrap())
}

/// The key of [`ring`], base64.
const KEY_B64: &str = "4eiNAc2Rmmbo7Adka/PhQTFCGKoIfred9625L8vQ/3I";

/// The key of [`ring`], as bytes (for the hand-made floor).
fn key_bytes() -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(KEY_B64)
        .unwrap()
}

/// A context with some other service's entries, as a hop has.
fn upstream() -> Context {
    Context::new().with_baggage([
        KeyValue::new("other.team", "payments"),
        KeyValue::new("ff.new_checkout", "true"),
    ])
}

fn bench(c: &mut Criterion) {
    let plain_cx = upstream();
    let signed_cx = upstream().with_value(ring());
    // The installed ring is used only where the context carries none.
    let _ = ring().install();

    // Same entries, plus the signature.
    let written_plain = plain_cx.with_typed(&plain()).unwrap();
    let written_signed = signed_cx.with_typed(&signed()).unwrap();
    assert_eq!(
        written_signed.baggage().len(),
        written_plain.baggage().len() + 1
    );
    assert_eq!(written_plain.typed::<Plain>().unwrap(), plain());
    assert_eq!(written_signed.typed::<Signed>().unwrap(), signed());
    let installed_written = upstream().with_typed(&signed()).unwrap();
    assert_eq!(installed_written.typed::<Signed>().unwrap(), signed());

    let mut g = c.benchmark_group("with_typed");
    let (p, s) = (plain(), signed());
    g.bench_function("unsigned", |b| {
        b.iter(|| black_box(&plain_cx).with_typed(black_box(&p)).unwrap())
    });
    g.bench_function("signed", |b| {
        b.iter(|| black_box(&signed_cx).with_typed(black_box(&s)).unwrap())
    });
    g.bench_function("signed_installed", |b| {
        b.iter(|| black_box(&plain_cx).with_typed(black_box(&s)).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("from_context");
    g.bench_function("unsigned", |b| {
        b.iter(|| Plain::from_context(black_box(&written_plain)).unwrap())
    });
    g.bench_function("signed", |b| {
        b.iter(|| Signed::from_context(black_box(&written_signed)).unwrap())
    });
    g.bench_function("signed_installed", |b| {
        b.iter(|| Signed::from_context(black_box(&installed_written)).unwrap())
    });
    g.finish();

    // The canonical form of the signed entries, as `typed_baggage::signing`
    // documents it, and the bare HMAC over it.
    let mut members: Vec<(String, String)> = written_signed
        .baggage()
        .iter()
        .filter(|(k, _)| Signed::SCHEMA.field(k.as_str()).is_some())
        .map(|(k, (v, _))| (k.to_string(), v.to_string()))
        .collect();
    members.sort();
    fn put(buf: &mut Vec<u8>, bytes: &[u8]) {
        buf.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
        buf.extend_from_slice(bytes);
    }
    let mut canonical = b"typed-baggage signed schema v1\0".to_vec();
    put(&mut canonical, b"app.sig");
    // the schema's name, as the MAC covers it
    put(&mut canonical, b"UserCtx");
    put(&mut canonical, b"k1");
    canonical.extend_from_slice(&1_767_225_600u64.to_be_bytes());
    // no trace bound
    put(&mut canonical, b"");
    canonical.extend_from_slice(&(members.len() as u64).to_be_bytes());
    for (k, v) in &members {
        put(&mut canonical, k.as_bytes());
        put(&mut canonical, v.as_bytes());
    }
    let keyed = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&key_bytes()).unwrap();
    let mut g = c.benchmark_group("hmac");
    g.bench_function("floor", |b| {
        b.iter(|| {
            let mut mac = black_box(&keyed).clone();
            mac.update(black_box(&canonical));
            mac.finalize().into_bytes()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
