//! Exact allocation counts, with a counting global allocator: reading
//! numbers, booleans and enums allocates nothing; strings and vectors
//! allocate what they own; `with_typed` allocates its encoded values and
//! nothing beyond what any context with the same baggage needs.
//!
//! Counts are per thread, so the tests of this file running in parallel
//! do not see each other's allocations.

#[path = "../benches/common/mod.rs"]
mod common;

use common::{Small, Tier, UserCtx};
use opentelemetry::baggage::BaggageExt;
use opentelemetry::{Context, KeyValue};
use typed_baggage::prelude::*;

#[path = "common/alloc.rs"]
mod alloc;

#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;

use alloc::count;

/// Numbers, booleans, enums and a char: nothing to own.
#[derive(Baggage, Debug, PartialEq)]
#[baggage(prefix = "n.")]
struct Scalars {
    a: u8,
    b: u16,
    c: u32,
    d: u64,
    e: i64,
    f: f64,
    g: bool,
    h: Tier,
    i: char,
    j: Option<u32>,
    #[baggage(default)]
    k: i8,
}

fn scalars() -> Scalars {
    Scalars {
        a: 1,
        b: 2,
        c: 3,
        d: 4,
        e: -5,
        f: 0.5,
        g: true,
        h: Tier::EnterpriseGold,
        i: 'é',
        j: Some(7),
        k: -1,
    }
}

/// The contexts a schema is read from: with the schema's entries only (read
/// by walking the baggage) and with 40 other entries (read by looking each
/// key up).
fn contexts<T: Baggage>(value: &T) -> [Context; 2] {
    [
        Context::new().with_typed(value).unwrap(),
        common::upstream(40).with_typed(value).unwrap(),
    ]
}

#[test]
fn reading_numbers_booleans_and_enums_allocates_nothing() {
    for cx in contexts(&scalars()) {
        let mut read = None;
        assert_eq!(count(|| read = Some(Scalars::from_context(&cx))), (0, 0));
        assert_eq!(read.unwrap().unwrap(), scalars());
    }
    for cx in contexts(&Small::sample()) {
        assert_eq!(count(|| Small::from_context(&cx).unwrap()), (0, 0));
    }
}

#[test]
fn reading_the_representative_schema_allocates_what_it_owns() {
    // `features`: the vector and its 3 strings; `region`: its string.
    // `user_id`, `tier`, `is_premium`, `retries`: nothing.
    let user = UserCtx::sample();
    for cx in contexts(&user) {
        assert_eq!(count(|| UserCtx::from_context(&cx).unwrap()), (5, 0));
        assert_eq!(UserCtx::from_context(&cx).unwrap(), user);
    }
    // Without the region, and with one feature: 2 allocations.
    let user = UserCtx {
        features: vec!["a".into()],
        region: None,
        ..UserCtx::sample()
    };
    for cx in contexts(&user) {
        assert_eq!(count(|| UserCtx::from_context(&cx).unwrap()), (2, 0));
    }
}

#[test]
fn reading_from_headers_allocates_the_values_and_one_buffer() {
    let cx = common::upstream(8)
        .with_typed(&UserCtx::sample())
        .and_then(|cx| cx.with_typed(&scalars()))
        .unwrap();
    let mut headers = http::HeaderMap::new();
    typed_baggage::http::inject(&cx, &mut headers);
    // Warm the process-wide propagator up.
    let _ = UserCtx::from_headers(&headers).unwrap();
    // No baggage and no context are built, and one header is read where it
    // is: the list of the schema's members, the values that arrive
    // percent-encoded (here `features`, whose commas travel as `%2C`), and
    // what the struct owns (5, as from a context).
    assert_eq!(
        count(|| UserCtx::from_headers(&headers).unwrap()),
        (1 + 1 + 5, 0)
    );
    // `i: 'é'` travels as `%C3%A9`.
    let mut read = None;
    assert_eq!(
        count(|| read = Some(Scalars::from_headers(&headers))),
        (1 + 1, 0)
    );
    assert_eq!(read.unwrap().unwrap(), scalars());

    // The same members in two `baggage` headers: the read pipeline keeps
    // the first value's text in place and the others in one list.
    let value = headers.get("baggage").unwrap().to_str().unwrap().to_owned();
    let (first, second) = value.split_at(value.find(",app.").unwrap());
    let mut split = http::HeaderMap::new();
    split.append("baggage", first.parse().unwrap());
    split.append("baggage", second.trim_start_matches(',').parse().unwrap());
    let mut read = None;
    assert_eq!(
        count(|| read = Some(UserCtx::from_headers(&split))),
        (1 + 1 + 1 + 5, 0)
    );
    assert_eq!(read.unwrap().unwrap(), UserCtx::sample());
}

#[test]
fn extracting_texts_the_thread_received_before_allocates_none_of_them() {
    let header = |text: &'static str| {
        let mut headers = http::HeaderMap::new();
        headers.append("baggage", http::HeaderValue::from_static(text));
        headers
    };
    let extract =
        |h: &http::HeaderMap| typed_baggage::http::extract_with_context(&Context::new(), h);
    // Warm the thread up (its tables of received texts, the propagator),
    // with keys of its own and the values `1` and `2`.
    let _ = extract(&header("warm.a=1,warm.b=2"));
    let seen = header("a.key=1,b.key=2,c.key=3");
    let new = count(|| extract(&seen));
    let again = count(|| extract(&seen));
    // The first time, each key is made, and the value `3` (one allocation
    // each; `1` and `2` came before); after that every text is shared.
    assert_eq!((new.0 - again.0, new.1, again.1), (3 + 1, 0, 0));
    // A value the thread has not received (a new user id) is made, alone.
    let next_user = header("a.key=1,b.key=2,c.key=4");
    let one_new = count(|| extract(&next_user));
    assert_eq!((one_new.0 - again.0, one_new.1), (1, 0));
    // Keys received again read as any other.
    let cx = extract(&seen);
    let mut entries: Vec<_> = cx
        .baggage()
        .iter()
        .map(|(k, (v, _))| (k.as_str().to_owned(), v.as_str().to_owned()))
        .collect();
    entries.sort();
    assert_eq!(
        entries,
        [("a.key", "1"), ("b.key", "2"), ("c.key", "3")].map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
    // Other keys are made the first time they come, as the first were
    // (with one value not received before, as the first had).
    let other = header("d.key=1,e.key=2,f.key=5");
    let other = count(|| extract(&other));
    assert_eq!(other, new);
}

#[test]
fn with_typed_allocates_its_values_and_what_the_context_needs() {
    let empty = Context::new();
    let user = UserCtx::sample();
    // A first write into an empty baggage puts each value straight into
    // it (no list of entries), each made at its exact length: not even the
    // thread's first call allocates a scratch text (only a codec's or a
    // float's value is written in one).
    let first = count(|| empty.with_typed(&user).unwrap());

    // The same baggage from pre-built static strings: the baggage's hash
    // table (allocated at the first entry, grown at the fourth) and the
    // context (its map, the map's `Arc` and the baggage's `Arc`).
    let floor = count(|| UserCtx::attach_floor(&empty));
    assert_eq!(floor, (5, 0));
    // Plus one allocation per encoded value that is not a constant text:
    // `user_id`, `features`, `region` and `retries` (`tier` and
    // `is_premium` are written as static text).
    assert_eq!(count(|| empty.with_typed(&user).unwrap()), (5 + 4, 0));
    assert_eq!(first, (5 + 4, 0));

    // Merging into 8 entries of other teams: those are copied (key and
    // value each), the table grows once more, the context's map is cloned.
    let upstream = common::upstream(8);
    let floor = count(|| UserCtx::attach_floor(&upstream));
    assert_eq!(floor, (8 * 2 + 3 + 3, 0));
    // An unsigned schema's write puts its values straight into the copy
    // of the others' entries: no list of entries, not even the thread's
    // first merge.
    let first_over_others = count(|| upstream.with_typed(&user).unwrap());
    assert_eq!(
        count(|| upstream.with_typed(&user).unwrap()),
        (floor.0 + 4, 0)
    );
    assert_eq!(first_over_others, (floor.0 + 4, 0));

    // Only constants: nothing beyond the floor.
    let floor = count(|| {
        let mut b = opentelemetry::baggage::Baggage::new();
        b.insert("app.user_id", "12345678901");
        b.insert("app.is_premium", "true");
        empty.with_baggage(b)
    });
    assert_eq!(
        count(|| empty.with_typed(&Small::sample()).unwrap()),
        (floor.0 + 1, 0)
    );
    let only_static = Context::new().with_baggage([KeyValue::new("x", "y")]);
    assert_eq!(only_static.baggage().len(), 1);
}

/// A value written in the scratch text (a float, by `ryu`) takes the
/// thread's scratch text: allocated by the thread's first such write, kept
/// for the next ones, which allocate only the value.
#[test]
fn the_scratch_text_is_allocated_once_per_thread() {
    #[derive(Baggage)]
    #[baggage(prefix = "m.")]
    struct Measured {
        ratio: f64,
    }
    let empty = Context::new();
    let value = Measured { ratio: 0.25 };
    let floor = count(|| {
        let mut b = opentelemetry::baggage::Baggage::new();
        b.insert("m.ratio", String::from("0.25"));
        empty.with_baggage(b)
    });
    let first = count(|| empty.with_typed(&value).unwrap());
    let again = count(|| empty.with_typed(&value).unwrap());
    assert_eq!(again, floor);
    assert_eq!(first, (floor.0 + 1, 0));
}

#[test]
fn encoded_values_are_exact() {
    // What the counts above rely on: the values written are the ones read.
    let cx = Context::new().with_typed(&UserCtx::sample()).unwrap();
    let b = cx.baggage();
    let text = |k: &str| b.get(k).map(|v| v.as_str().to_owned());
    assert_eq!(text("app.tier").as_deref(), Some("premium"));
    assert_eq!(text("app.is_premium").as_deref(), Some("true"));
    assert_eq!(
        text("app.features").as_deref(),
        Some("new_checkout,dark_mode,beta_search")
    );
    assert_eq!(b.len(), 6);
}
