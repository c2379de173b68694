//! Bounded work on hostile input through the `http::HeaderMap` path (the one
//! servers use: `http::extract*`, `from_headers`, the tower layer): the size
//! limit is measured on the raw header bytes, an oversize header is rejected
//! from its length alone, and the bytes allocated stay below a stated bound
//! whatever the request holds. (The propagator on text has the same tests
//! in `conformance.rs`.) Allocation is counted, per thread, by a counting
//! global allocator; time is never asserted.
#![cfg(feature = "http")]

use http::{HeaderMap, HeaderValue};
use opentelemetry::baggage::BaggageExt;
use opentelemetry::{Context, KeyValue};
use typed_baggage::propagation::{BaggagePropagator, Counters};

#[path = "common/alloc.rs"]
mod alloc;

#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;

/// The most a rejected header may cost: a log excerpt and a context clone,
/// nothing in proportion to the header.
const REJECT_BOUND: usize = 4096;

/// What reading an accepted header may cost: the decoded values (at most
/// the 8192 header bytes, or three times that for bytes read as U+FFFD),
/// the baggage map of at most 64 entries, and the context.
const ACCEPT_BOUND: usize = 64 * 1024;

fn existing() -> Context {
    Context::new().with_baggage([KeyValue::new("existing", "1")])
}

fn sorted_entries(cx: &Context) -> Vec<(String, String)> {
    let mut all: Vec<_> = cx
        .baggage()
        .iter()
        .map(|(k, (v, _))| (k.to_string(), v.to_string()))
        .collect();
    all.sort();
    all
}

/// Extracts `headers` into `existing()`, returning the entries, the counters
/// and the bytes allocated by the extraction alone.
fn extract(headers: &HeaderMap) -> (Vec<(String, String)>, Counters, usize) {
    let cx = existing();
    // warm up once-only allocations: tracing callsites on a rejected
    // header, and the thread's table of received keys (made on its first
    // accepted header, 4 KiB once per thread) on an accepted one
    let mut warm = HeaderMap::new();
    warm.append("baggage", HeaderValue::from_static("a=1"));
    warm.append("baggage", HeaderValue::from_bytes(&[b'x'; 9000]).unwrap());
    typed_baggage::http::extract_with(&BaggagePropagator::new(), &cx, &warm);
    typed_baggage::http::extract_with(&BaggagePropagator::new(), &cx, &one(b"warm=1"));

    let propagator = BaggagePropagator::new();
    let (out, allocated) =
        alloc::bytes(|| typed_baggage::http::extract_with(&propagator, &cx, headers));
    (sorted_entries(&out), propagator.counters(), allocated)
}

fn one(value: &[u8]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.append("baggage", HeaderValue::from_bytes(value).unwrap());
    headers
}

fn kept() -> Vec<(String, String)> {
    vec![("existing".into(), "1".into())]
}

#[test]
fn one_mebibyte_header_is_rejected_from_its_length() {
    for byte in [b'x', 0x80, 0xff] {
        let mut value = b"k=".to_vec();
        value.resize(2 + (1 << 20), byte);
        let (got, c, allocated) = extract(&one(&value));
        assert_eq!(got, kept(), "byte {byte:#x}");
        assert_eq!(
            (c.extract_headers_rejected(), c.extract_members_dropped()),
            (1, 0)
        );
        assert!(
            allocated < REJECT_BOUND,
            "byte {byte:#x}: {allocated} bytes"
        );
    }
}

#[test]
fn allocation_does_not_grow_with_an_oversize_header() {
    // 16 KiB, 64 KiB, 256 KiB, 1 MiB, 4 MiB: the cost is the same.
    let costs: Vec<usize> = (0..5)
        .map(|i| {
            let len = (16 * 1024) << (2 * i);
            let (got, c, allocated) = extract(&one(&vec![0xfe; len]));
            assert_eq!((got, c.extract_headers_rejected()), (kept(), 1));
            allocated
        })
        .collect();
    assert!(
        costs.iter().all(|&c| c == costs[0] && c < REJECT_BOUND),
        "{costs:?}"
    );
}

#[test]
fn hundred_thousand_members_are_rejected_at_the_sixty_fifth() {
    let header = (0..100_000)
        .map(|i| format!("k{i}=v"))
        .collect::<Vec<_>>()
        .join(",");
    // over 8 KiB: rejected from the length
    let (got, c, allocated) = extract(&one(header.as_bytes()));
    assert_eq!((got, c.extract_headers_rejected()), (kept(), 1));
    assert!(allocated < REJECT_BOUND, "{allocated} bytes");
    // within 8 KiB: 2048 members of `a=1`, counted only up to the 65th
    let header = vec!["a=1"; 2048].join(",");
    assert!(header.len() <= 8192);
    let (got, c, allocated) = extract(&one(header.as_bytes()));
    assert_eq!((got, c.extract_headers_rejected()), (kept(), 1));
    assert!(allocated < REJECT_BOUND, "{allocated} bytes");
}

#[test]
fn hundred_thousand_headers_cost_no_more_than_one() {
    // 100 000 `baggage` headers: over 8 KiB together, rejected whole
    let mut headers = HeaderMap::new();
    for i in 0..100_000 {
        headers.append(
            "baggage",
            HeaderValue::from_str(&format!("k{i}=v")).unwrap(),
        );
    }
    let (got, c, allocated) = extract(&headers);
    assert_eq!((got, c.extract_headers_rejected()), (kept(), 1));
    assert!(allocated < REJECT_BOUND, "{allocated} bytes");

    // 100 000 empty `baggage` headers hold nothing: skipped, nothing kept of them
    let mut headers = HeaderMap::new();
    for _ in 0..100_000 {
        headers.append("baggage", HeaderValue::from_static(""));
    }
    headers.append("baggage", HeaderValue::from_static("a=1"));
    let (got, c, allocated) = extract(&headers);
    assert_eq!(got, [("a".to_owned(), "1".to_owned())]);
    assert_eq!(c.extract_headers_rejected(), 0);
    assert!(allocated < REJECT_BOUND, "{allocated} bytes");
}

#[test]
fn many_one_byte_headers_within_the_byte_limit_cost_no_more_than_one() {
    // 8192 `baggage` headers of one byte each: 8192 bytes, within the byte
    // limit. Members are counted on the raw bytes before any text is made,
    // and only values that hold a member are kept as text.
    let many = |value: &'static str, n: usize| {
        let mut headers = HeaderMap::new();
        for _ in 0..n {
            headers.append("baggage", HeaderValue::from_static(value));
        }
        headers
    };
    // one-byte members: 8192 of them, rejected at the 65th
    let (got, c, allocated) = extract(&many("a", 8192));
    assert_eq!((got, c.extract_headers_rejected()), (kept(), 1));
    assert!(allocated < REJECT_BOUND, "{allocated} bytes");
    // separators only: no member, nothing kept of them
    let mut headers = many(",", 8188);
    headers.append("baggage", HeaderValue::from_static("a=1"));
    let (got, c, allocated) = extract(&headers);
    assert_eq!(got, [("a".to_owned(), "1".to_owned())]);
    assert_eq!(c.extract_headers_rejected(), 0);
    assert!(allocated < REJECT_BOUND, "{allocated} bytes");
    // the direct read of a schema goes through the same pipeline
    #[derive(typed_baggage::Baggage, Debug, PartialEq)]
    struct A {
        a: u8,
    }
    let (read, allocated) = alloc::bytes(|| {
        <A as typed_baggage::Baggage>::from_headers(&headers).map_err(|e| e.to_string())
    });
    assert_eq!(read, Ok(A { a: 1 }));
    assert!(allocated < REJECT_BOUND, "{allocated} bytes");
}

#[test]
fn a_list_over_its_max_len_is_rejected_before_it_is_decoded() {
    use opentelemetry::baggage::BaggageExt;
    #[derive(typed_baggage::Baggage, Debug)]
    struct Tags {
        #[baggage(max_len = 3)]
        tags: Vec<String>,
    }
    // 4000 elements of a list bounded to 3: counted from its separators,
    // never split into 4000 strings.
    let list = vec!["x"; 4000].join(",");
    let cx = Context::new().with_baggage([opentelemetry::KeyValue::new("tags", list.clone())]);
    let (read, allocations) = alloc::bytes(|| {
        <Tags as typed_baggage::Baggage>::from_context(&cx).map_err(|e| e.to_string())
    });
    assert_eq!(
        read.unwrap_err(),
        "baggage key `tags` is too long: expected at most 3 elements, found 4000"
    );
    // (decoding would allocate the 4000 strings and a list of them: over 100 KB)
    assert!(allocations < REJECT_BOUND, "{allocations} bytes");
    // within the bound it is read as before
    let cx = Context::new().with_baggage([opentelemetry::KeyValue::new("tags", "a,b%2Cc,")]);
    let tags = <Tags as typed_baggage::Baggage>::from_context(&cx).unwrap();
    assert_eq!(tags.tags, ["a", "b,c", ""]);
}

#[test]
fn accepted_header_costs_at_most_a_bounded_amount() {
    // the largest header accepted: 64 members, 8192 bytes, each value all
    // percent-escapes, so decoding has the most to do
    let value = "%41".repeat(41);
    let header = (0..64)
        .map(|i| format!("k{i:02}={value}"))
        .collect::<Vec<_>>()
        .join(",");
    assert!(header.len() <= 8192, "{}", header.len());
    let (got, c, allocated) = extract(&one(header.as_bytes()));
    assert_eq!(got.len(), 64);
    assert!(got.iter().all(|(_, v)| *v == "A".repeat(41)));
    assert_eq!(c.extract_members_dropped(), 0);
    assert!(allocated < ACCEPT_BOUND, "{allocated} bytes");

    // bytes that are not UTF-8: read as U+FFFD (3 bytes each), still bounded
    let mut value = b"k=".to_vec();
    value.resize(8192, 0xff);
    let (got, c, allocated) = extract(&one(&value));
    assert_eq!((got, c.extract_members_dropped()), (kept(), 1));
    assert!(allocated < ACCEPT_BOUND, "{allocated} bytes");
}

#[test]
fn work_grows_linearly_with_an_accepted_header() {
    // Allocation for n members of the same shape is a + b·n: the increments
    // between 8, 16, 32 and 64 members double with n, no faster. (The keys
    // of each header are new to the thread, so that none is shared with a
    // key the thread received before.)
    let cost = |n: usize| {
        let header = (0..n)
            .map(|i| format!("n{n:02}key{i:03}=value%20{i:03}"))
            .collect::<Vec<_>>()
            .join(",");
        let (got, _, allocated) = extract(&one(header.as_bytes()));
        assert_eq!(got.len(), n);
        allocated
    };
    let ns = [8, 16, 32, 64];
    let c: Vec<usize> = ns.into_iter().map(cost).collect();
    let per_member = (c[3] - c[2]) / 32;
    assert!(per_member > 0 && per_member < 512, "{c:?}");
    for (i, n) in ns.into_iter().enumerate().take(3) {
        // from n to 2n members costs about n members more: at most twice that
        let step = c[i + 1] - c[i];
        assert!(step <= 2 * per_member * n, "{c:?}");
    }
}

#[test]
fn non_utf8_bytes_count_as_one_byte_each_toward_the_size_limit() {
    // 8000 raw bytes of 0xFF are 8000 bytes on the wire (24 000 once read as
    // U+FFFD): within the limit, so only their member is dropped.
    let mut value = b"a=1,b=".to_vec();
    value.resize(8000, 0xff);
    value.extend_from_slice(b",c=3");
    let (got, c, _) = extract(&one(&value));
    assert_eq!(
        got,
        [
            ("a".to_owned(), "1".to_owned()),
            ("c".to_owned(), "3".to_owned())
        ]
    );
    assert_eq!(
        (c.extract_members_dropped(), c.extract_headers_rejected()),
        (1, 0)
    );
}
