//! Conformance of `typed_baggage::propagation::BaggagePropagator` with the
//! W3C Baggage specification (`baggage/HTTP_HEADER_FORMAT.md`).
//!
//! The expected results are written from the text of the specification,
//! not from our encoder: headers are spelled out by hand, and where the
//! specification leaves a choice (which octets to percent-encode), the test
//! checks what the specification requires of any header (only
//! `baggage-octet`s, every `%` followed by two hex digits) and that it reads
//! back.
#![cfg(feature = "propagation")]

use opentelemetry::baggage::{Baggage as OtelBaggage, BaggageExt};
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::{Context, KeyValue};
use proptest::prelude::*;
use typed_baggage::prelude::*;
use typed_baggage::propagation::{BaggagePropagator, Counters};

// ---------------------------------------------------------------------------
// helpers

#[path = "common/wire.rs"]
mod wire;
use wire::{e, entries, Headers};

/// An extractor with only `get` (the trait's default `get_all`).
struct OnlyGet(Option<String>);

impl Extractor for OnlyGet {
    fn get(&self, key: &str) -> Option<&str> {
        (key == "baggage").then_some(self.0.as_deref()).flatten()
    }
    fn keys(&self) -> Vec<&str> {
        vec!["baggage"]
    }
}

/// An extractor whose `get_all` says nothing, so only `get` works.
struct GetAllNone(String);

impl Extractor for GetAllNone {
    fn get(&self, key: &str) -> Option<&str> {
        (key == "baggage").then_some(self.0.as_str())
    }
    fn keys(&self) -> Vec<&str> {
        vec!["baggage"]
    }
    fn get_all(&self, _key: &str) -> Option<Vec<&str>> {
        None
    }
}

/// What a fresh propagator reads from `headers` into an empty context,
/// with its counters.
fn read<S: AsRef<str>>(headers: &[S]) -> (Vec<(String, String, String)>, Counters) {
    let propagator = BaggagePropagator::new();
    let cx = propagator.extract_with_context(
        &Context::new(),
        &Headers::baggage(headers.iter().map(AsRef::as_ref)),
    );
    (entries(cx.baggage()), propagator.counters())
}

/// Reads one header, asserting that no member was dropped and no header rejected.
fn read_clean(header: &str) -> Vec<(String, String, String)> {
    let (got, counters) = read(&[header]);
    assert_eq!(counters.extract_members_dropped(), 0, "{header:?}");
    assert_eq!(counters.extract_headers_rejected(), 0, "{header:?}");
    got
}

/// Reads one header that has `dropped` malformed members.
fn read_dropping(header: &str, dropped: u64) -> Vec<(String, String, String)> {
    let (got, counters) = read(&[header]);
    assert_eq!(counters.extract_members_dropped(), dropped, "{header:?}");
    assert_eq!(counters.extract_headers_rejected(), 0, "{header:?}");
    got
}

/// The header a fresh propagator writes for `baggage`.
fn write(baggage: OtelBaggage) -> Option<String> {
    let mut carrier = std::collections::HashMap::new();
    BaggagePropagator::new().inject_context(&Context::new().with_baggage(baggage), &mut carrier);
    carrier.remove("baggage")
}

fn baggage_of(items: &[(&str, &str, &str)]) -> OtelBaggage {
    let mut b = OtelBaggage::new();
    for (k, v, m) in items {
        assert_eq!(
            b.insert_with_metadata(k.to_string(), v.to_string(), *m),
            None
        );
    }
    assert_eq!(b.len(), items.len(), "the test baggage itself was refused");
    b
}

/// What the specification requires of every header: list-members of
/// `baggage-octet`s (after the key and `=`), every `%` followed by two hex
/// digits.
fn assert_header_is_conformant(header: &str) {
    let octet = |b: u8| matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E);
    for member in header.split(',') {
        let (key, rest) = member.split_once('=').expect("member has =");
        assert!(
            !key.is_empty()
                && key
                    .bytes()
                    .all(|b| octet(b) && !b"()/:<=>?@[]{}".contains(&b)),
            "{header:?}"
        );
        let value = rest.split(';').next().unwrap_or_default();
        let bytes = value.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            assert!(octet(b), "byte {b:#04x} in {header:?}");
            if b == b'%' {
                assert!(
                    bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                        && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit),
                    "{header:?}"
                );
            }
        }
    }
}

fn round_trip(baggage: OtelBaggage) -> OtelBaggage {
    let header = write(baggage).expect("a header");
    assert_header_is_conformant(&header);
    let propagator = BaggagePropagator::new();
    let cx = propagator.extract_with_context(&Context::new(), &Headers::baggage([header.clone()]));
    assert_eq!(
        propagator.counters().extract_members_dropped(),
        0,
        "{header:?}"
    );
    cx.baggage()
        .iter()
        .map(|(k, (v, m))| (k.clone(), (v.clone(), m.clone())))
        .collect()
}

// ---------------------------------------------------------------------------
// grammar

#[test]
fn simple_members() {
    assert_eq!(read_clean("k=v"), [e("k", "v", "")]);
    assert_eq!(
        read_clean("userId=alice,serverNode=DF%2028,isProduction=false"),
        [
            e("isProduction", "false", ""),
            e("serverNode", "DF 28", ""),
            e("userId", "alice", "")
        ]
    );
}

#[test]
fn spec_example_with_properties() {
    // The example of the specification, section "Example".
    assert_eq!(
        read_clean("key1=value1;property1;property2, key2 = value2, key3=value3; propertyKey=propertyValue"),
        [
            e("key1", "value1", "property1;property2"),
            e("key2", "value2", ""),
            e("key3", "value3", "propertyKey=propertyValue"),
        ]
    );
}

#[test]
fn ows_around_equals_semicolon_and_comma_is_spaces_and_tabs() {
    assert_eq!(
        read_clean(" \t k1 \t= \t v1 \t; \t p1 \t= \t x \t; p2 \t, \t k2=v2\t,k3 =v3 "),
        [
            e("k1", "v1", "p1 \t= \t x \t; p2"),
            e("k2", "v2", ""),
            e("k3", "v3", "")
        ]
    );
    // Spec example: "Values and names might begin and end with spaces".
    assert_eq!(read_clean("userId =   alice"), [e("userId", "alice", "")]);
}

#[test]
fn other_whitespace_is_not_ows() {
    // OWS is SP / HTAB only. A line feed, a vertical tab or a no-break space
    // is neither OWS nor a baggage-octet nor a token character.
    assert_eq!(read_dropping("a=1\n,b=2", 1), [e("b", "2", "")]);
    assert_eq!(read_dropping("\u{0B}a=1,b=2", 1), [e("b", "2", "")]);
    assert_eq!(read_dropping("a=\u{A0}1,b=2", 1), [e("b", "2", "")]);
}

#[test]
fn value_may_contain_equals_split_on_first_only() {
    assert_eq!(read_clean("k=a=b"), [e("k", "a=b", "")]);
    assert_eq!(read_clean("k = =a==b= "), [e("k", "=a==b=", "")]);
    assert_eq!(read_clean("k=x;p=a=b"), [e("k", "x", "p=a=b")]);
}

#[test]
fn empty_value_is_a_value() {
    assert_eq!(read_clean("k=,j= ;p"), [e("j", "", "p"), e("k", "", "")]);
}

#[test]
fn empty_list_members_are_skipped_silently() {
    assert_eq!(read_clean("a=1,,b=2"), [e("a", "1", ""), e("b", "2", "")]);
    assert_eq!(
        read_clean(",a=1, ,\t,b=2,"),
        [e("a", "1", ""), e("b", "2", "")]
    );
}

#[test]
fn member_without_equals_is_dropped_alone() {
    assert_eq!(
        read_dropping("a=1,flag,b=2", 1),
        [e("a", "1", ""), e("b", "2", "")]
    );
    assert_eq!(read_dropping("a=1,k;p=1", 1), [e("a", "1", "")]);
}

#[test]
fn key_must_be_a_token() {
    assert_eq!(read_dropping("=v,a=1", 1), [e("a", "1", "")]);
    assert_eq!(read_dropping("a b=v,a=1", 1), [e("a", "1", "")]);
    assert_eq!(
        read_dropping(
            "a/b=v,a(b)=v,a@b=v,a?b=v,a[b]=v,a{b}=v,a:b=v,a\"b=v,a\\b=v",
            9
        ),
        []
    );
    assert_eq!(read_dropping("ké=v,a=1", 1), [e("a", "1", "")]);
    // every tchar is fine, and a key is never percent-decoded
    assert_eq!(
        read_clean("!#$%&'*+-.^_`|~09AZaz=v,k%41=w"),
        [e("!#$%&'*+-.^_`|~09AZaz", "v", ""), e("k%41", "w", "")]
    );
}

#[test]
fn value_bytes_must_be_baggage_octets() {
    // space, DQUOTE, backslash, controls, DEL and non-ASCII are not baggage-octets
    for bad in [
        "k=a b",
        "k=\"q\"",
        "k=a\\b",
        "k=a\u{1}b",
        "k=\u{7F}",
        "k=é",
        "k=🚀",
    ] {
        assert_eq!(
            read_dropping(&format!("{bad},ok=1"), 1),
            [e("ok", "1", "")],
            "{bad:?}"
        );
    }
    // a comma ends the member, so `a,b` is `k=a` and the malformed member `b`
    assert_eq!(read_dropping("k=a,b", 1), [e("k", "a", "")]);
    // every baggage-octet other than `%` is fine raw, and means itself
    let raw: String = (0x21u8..=0x7e)
        .filter(|b| !matches!(b, b'"' | b',' | b';' | b'\\' | b'%'))
        .map(char::from)
        .collect();
    assert_eq!(read_clean(&format!("k={raw}")), [e("k", &raw, "")]);
}

#[test]
fn plus_is_plus_unless_plus_as_space() {
    assert_eq!(read_clean("k=a+b%2Bc%20d"), [e("k", "a+b+c d", "")]);
    let python = BaggagePropagator::builder().plus_as_space(true).build();
    let cx =
        python.extract_with_context(&Context::new(), &Headers::baggage(["k=a+b%2Bc%20d;p=x+y"]));
    // properties are never decoded, so their `+` stays
    assert_eq!(entries(cx.baggage()), [e("k", "a b+c d", "p=x+y")]);
}

// ---------------------------------------------------------------------------
// percent-encoding

#[test]
fn every_percent_encoded_byte_decodes() {
    for b in 0u8..=0xff {
        let expected = if b.is_ascii() {
            char::from(b)
        } else {
            '\u{FFFD}'
        }
        .to_string();
        for header in [format!("k=%{b:02X}"), format!("k=%{b:02x}")] {
            assert_eq!(read_clean(&header), [e("k", &expected, "")], "{header:?}");
        }
    }
}

#[test]
fn every_byte_value_round_trips() {
    // Each byte 0x00-0x7F is a one-byte value; 0x80-0xFF are code points
    // U+0080-U+00FF, two bytes in UTF-8. All are written as the
    // specification requires and read back unchanged.
    for b in 0u8..=0xff {
        let value = char::from(b).to_string();
        let got = round_trip(baggage_of(&[("k", &value, "")]));
        assert_eq!(
            got.get("k").map(|v| v.as_str()),
            Some(value.as_str()),
            "{b:#04x}"
        );
    }
    // and all of them in one value
    let all: String = (0u8..=0xff).map(char::from).collect();
    let got = round_trip(baggage_of(&[("k", &all, "")]));
    assert_eq!(got.get("k").map(|v| v.as_str()), Some(all.as_str()));
}

#[test]
fn space_plus_and_percent_are_encoded() {
    assert_eq!(
        write(baggage_of(&[("k", "a b+c%d", "")])).as_deref(),
        Some("k=a%20b%2Bc%25d")
    );
}

#[test]
fn multibyte_utf8_and_emoji() {
    // Spec example: userId="Amélie"
    assert_eq!(
        read_clean("userId=Am%C3%A9lie"),
        [e("userId", "Amélie", "")]
    );
    assert_eq!(read_clean("k=%F0%9F%9A%80%e2%82%ac"), [e("k", "🚀€", "")]);
    for value in [
        "Amélie",
        "日本語",
        "🚀👩‍👩‍👧‍👦",
        "\u{10FFFF}",
        "a\u{0}b",
        "mixed ü + 🚀 = ok%",
    ] {
        let got = round_trip(baggage_of(&[("k", value, "")]));
        assert_eq!(got.get("k").map(|v| v.as_str()), Some(value));
    }
}

#[test]
fn invalid_utf8_becomes_replacement_character() {
    assert_eq!(read_clean("k=%FF"), [e("k", "\u{FFFD}", "")]);
    assert_eq!(read_clean("k=a%C3%28b"), [e("k", "a\u{FFFD}(b", "")]);
    // a truncated sequence at the end, an overlong encoding, a surrogate
    assert_eq!(read_clean("k=%E2%82"), [e("k", "\u{FFFD}", "")]);
    assert_eq!(read_clean("k=%C0%AF"), [e("k", "\u{FFFD}\u{FFFD}", "")]);
    assert_eq!(
        read_clean("k=%ED%A0%80"),
        [e("k", "\u{FFFD}\u{FFFD}\u{FFFD}", "")]
    );
}

#[test]
fn bad_percent_sequences_drop_the_member() {
    for bad in [
        "k=%", "k=abc%", "k=%4", "k=%zz", "k=%4g", "k=%%41", "k=100%",
    ] {
        assert_eq!(
            read_dropping(&format!("{bad},ok=1"), 1),
            [e("ok", "1", "")],
            "{bad:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// properties

#[test]
fn properties_are_kept_verbatim_and_written_back_verbatim() {
    let header = "k=v;flag;ttl=30;enc=a%2Cb%FF; spaced \t= x=y ;last";
    let got = read_clean(header);
    let props = "flag;ttl=30;enc=a%2Cb%FF; spaced \t= x=y ;last";
    assert_eq!(got, [e("k", "v", props)]);
    // re-injected exactly as received: `%2C` stays `%2C`, `%FF` stays `%FF`
    let propagator = BaggagePropagator::new();
    let cx = propagator.extract_with_context(&Context::new(), &Headers::baggage([header]));
    let mut out = std::collections::HashMap::new();
    propagator.inject_context(&cx, &mut out);
    assert_eq!(out["baggage"], format!("k=v;{props}"));
}

#[test]
fn property_without_value_and_with_empty_value() {
    assert_eq!(read_clean("k=v;p"), [e("k", "v", "p")]);
    assert_eq!(read_clean("k=v;p="), [e("k", "v", "p=")]);
    assert_eq!(read_clean("k=v ; p ; q"), [e("k", "v", "p ; q")]);
}

#[test]
fn malformed_properties_drop_the_member() {
    for bad in [
        "k=v;",
        "k=v;;p",
        "k=v;p;",
        "k=v;=x",
        "k=v;p q",
        "k=v;p/q=1",
        "k=v;p=a b",
        "k=v;p=%zz",
        "k=v;p=\"x\"",
    ] {
        assert_eq!(
            read_dropping(&format!("{bad},ok=1"), 1),
            [e("ok", "1", "")],
            "{bad:?}"
        );
    }
}

#[test]
fn properties_written_by_code_are_checked_before_sending() {
    let propagator = BaggagePropagator::new();
    let mut b = OtelBaggage::new();
    b.insert_with_metadata("ok", "1", "p=1;q");
    // would forge a member `admin=true` and a header line
    b.insert_with_metadata("forged", "1", "p=1,admin=true");
    b.insert_with_metadata("crlf", "1", "p=1\r\nx-evil: 1");
    assert_eq!(propagator.header_value(&b).as_deref(), Some("ok=1;p=1;q"));
    assert_eq!(propagator.counters().inject_members_invalid(), 2);
    assert_eq!(propagator.counters().inject_members_dropped(), 0);
}

// ---------------------------------------------------------------------------
// lists, duplicates, several headers

#[test]
fn duplicate_keys_last_one_wins() {
    assert_eq!(
        read_clean("k=1,j=x,k=2;p"),
        [e("j", "x", ""), e("k", "2", "p")]
    );
    let (got, _) = read(&["k=1;p", "k=2"]);
    assert_eq!(got, [e("k", "2", "")]);
}

#[test]
fn several_headers_are_one_list() {
    // Spec example: "Baggage might be split into multiple headers"
    let (got, c) = read(&["userId=alice", "serverNode=DF%2028,isProduction=false"]);
    assert_eq!(
        got,
        [
            e("isProduction", "false", ""),
            e("serverNode", "DF 28", ""),
            e("userId", "alice", "")
        ]
    );
    assert_eq!(
        (c.extract_members_dropped(), c.extract_headers_rejected()),
        (0, 0)
    );
    // Spec example with spaces, and an empty header among them
    let (got, _) = read(&[
        "userId =   alice",
        "",
        "serverNode = DF%2028, isProduction = false",
    ]);
    assert_eq!(got.len(), 3);
    // a malformed member in one header does not affect the others
    let (got, c) = read(&["a=1,bad", "b=%zz,c=3"]);
    assert_eq!(got, [e("a", "1", ""), e("c", "3", "")]);
    assert_eq!(c.extract_members_dropped(), 2);
}

#[test]
fn extractors_without_get_all() {
    let propagator = BaggagePropagator::new();
    let cx = propagator.extract_with_context(&Context::new(), &OnlyGet(Some("a=1".into())));
    assert_eq!(entries(cx.baggage()), [e("a", "1", "")]);
    let cx = propagator.extract_with_context(&Context::new(), &GetAllNone("b=2".into()));
    assert_eq!(entries(cx.baggage()), [e("b", "2", "")]);
    // and the standard HashMap carrier
    let map = std::collections::HashMap::from([("baggage".to_owned(), "c=3".to_owned())]);
    let cx = propagator.extract_with_context(&Context::new(), &map);
    assert_eq!(entries(cx.baggage()), [e("c", "3", "")]);
}

// ---------------------------------------------------------------------------
// the context

fn existing() -> Context {
    Context::new().with_baggage([KeyValue::new("existing", "1")])
}

#[test]
fn absent_header_leaves_the_context_unchanged() {
    let propagator = BaggagePropagator::new();
    let cx = propagator.extract_with_context(&existing(), &Headers::default());
    assert_eq!(entries(cx.baggage()), [e("existing", "1", "")]);
    let cx = propagator.extract_with_context(&existing(), &OnlyGet(None));
    assert_eq!(entries(cx.baggage()), [e("existing", "1", "")]);
}

#[test]
fn valid_header_replaces_the_baggage() {
    let propagator = BaggagePropagator::new();
    let cx = propagator.extract_with_context(&existing(), &Headers::baggage(["a=1,bad"]));
    assert_eq!(entries(cx.baggage()), [e("a", "1", "")]);
}

#[test]
fn header_without_any_member_leaves_the_context_unchanged() {
    let propagator = BaggagePropagator::new();
    for headers in [vec!["garbage"], vec![""], vec![" , ,"], vec!["a=%zz", "b"]] {
        let cx = propagator.extract_with_context(&existing(), &Headers::baggage(headers.clone()));
        assert_eq!(
            entries(cx.baggage()),
            [e("existing", "1", "")],
            "{headers:?}"
        );
    }
    assert_eq!(propagator.counters().extract_members_dropped(), 3);
}

#[test]
fn fields_is_baggage() {
    assert_eq!(
        BaggagePropagator::new().fields().collect::<Vec<_>>(),
        ["baggage"]
    );
}

// ---------------------------------------------------------------------------
// limits

fn members(n: usize) -> String {
    (0..n)
        .map(|i| format!("k{i}=v"))
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn sixty_four_members_are_accepted_sixty_five_rejected() {
    let (got, c) = read(&[&members(64)]);
    assert_eq!(got.len(), 64);
    assert_eq!(c.extract_headers_rejected(), 0);

    // empty list-members are not members
    let (got, _) = read(&[&format!(",,{},,", members(64))]);
    assert_eq!(got.len(), 64);

    let propagator = BaggagePropagator::new();
    let cx = propagator.extract_with_context(&existing(), &Headers::baggage([members(65)]));
    assert_eq!(entries(cx.baggage()), [e("existing", "1", "")]);
    assert_eq!(propagator.counters().extract_headers_rejected(), 1);
    assert_eq!(propagator.counters().extract_members_dropped(), 0);

    // a malformed member is still a list-member of the header
    let (got, c) = read(&[&format!("{},bad", members(64))]);
    assert_eq!((got.len(), c.extract_headers_rejected()), (0, 1));

    // the limit is on all headers together
    let (got, c) = read(&[&members(32), &members(64).split_off(members(32).len() + 1)]);
    assert_eq!((got.len(), c.extract_headers_rejected()), (64, 0));
    let (got, c) = read(&[&members(33), &members(65).split_off(members(33).len() + 1)]);
    assert_eq!((got.len(), c.extract_headers_rejected()), (0, 1));
}

#[test]
fn eight_kib_accepted_one_more_byte_rejected() {
    let exactly = format!("k={}", "x".repeat(8190));
    assert_eq!(exactly.len(), 8192);
    assert_eq!(read_clean(&exactly), [e("k", &"x".repeat(8190), "")]);

    let over = format!("k={}", "x".repeat(8191));
    let propagator = BaggagePropagator::new();
    let cx = propagator.extract_with_context(&existing(), &Headers::baggage([over]));
    assert_eq!(entries(cx.baggage()), [e("existing", "1", "")]);
    assert_eq!(propagator.counters().extract_headers_rejected(), 1);

    // OWS counts: it is part of the header
    let (got, c) = read(&[&format!(" k={} ", "x".repeat(8189))]);
    assert_eq!((got.len(), c.extract_headers_rejected()), (0, 1));

    // across headers: 4096 + 4096 is fine, 4096 + 4097 is not
    let half = |key: &str, n: usize| format!("{key}={}", "x".repeat(n - key.len() - 1));
    let (got, c) = read(&[&half("a", 4096), &half("b", 4096)]);
    assert_eq!((got.len(), c.extract_headers_rejected()), (2, 0));
    let (got, c) = read(&[&half("a", 4096), &half("b", 4097)]);
    assert_eq!((got.len(), c.extract_headers_rejected()), (0, 1));
}

#[test]
fn inject_never_sends_a_partial_member() {
    // 1300 `é` are 2600 bytes in the baggage, 7800 on the wire.
    let wide = "é".repeat(1300);
    // `a=` + 7800 + `,b=` + 387 is exactly 8192 bytes
    let b = baggage_of(&[("a", &wide, ""), ("b", &"x".repeat(387), "")]);
    let header = write(b).expect("a header");
    assert_eq!(header.len(), 8192);

    let propagator = BaggagePropagator::new();
    let b = baggage_of(&[
        ("a", &wide, ""),
        ("b", &"x".repeat(388), ""), // one byte too many: left out whole
        ("c", "1", "p"),             // still fits after b is left out
    ]);
    let header = propagator.header_value(&b).expect("a header");
    assert_eq!(header.len(), 7802 + ",c=1;p".len());
    assert!(header.starts_with("a=%C3%A9") && header.ends_with(",c=1;p"));
    assert_eq!(propagator.counters().inject_members_dropped(), 1);

    // a single member that can never fit
    let b = baggage_of(&[("big", &"é".repeat(2000), "")]);
    assert_eq!(propagator.header_value(&b), None);
    assert_eq!(propagator.counters().inject_members_dropped(), 2);
}

#[test]
fn inject_is_sorted_by_key() {
    let b = baggage_of(&[
        ("zeta", "1", ""),
        ("alpha", "2", "p"),
        ("Mid", "3", ""),
        ("beta", "", ""),
    ]);
    assert_eq!(write(b).as_deref(), Some("Mid=3,alpha=2;p,beta=,zeta=1"));
    assert_eq!(write(OtelBaggage::new()), None);
}

// ---------------------------------------------------------------------------
// hostile headers

#[path = "common/alloc.rs"]
mod alloc;

#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;

/// Extracts `headers` into `existing()`, returning the entries, the counters
/// and the bytes allocated by the extraction alone.
fn hostile(headers: &Headers) -> (Vec<(String, String, String)>, Counters, usize) {
    let propagator = BaggagePropagator::new();
    let cx = existing();
    // warm up once-only allocations (callsite registration etc.)
    propagator.extract_with_context(&cx, &Headers::baggage([members(65)]));
    let propagator = BaggagePropagator::new();
    let (out, allocated) = alloc::bytes(|| propagator.extract_with_context(&cx, headers));
    (entries(out.baggage()), propagator.counters(), allocated)
}

#[test]
fn one_mebibyte_header_is_rejected_cheaply() {
    let headers = Headers::baggage(["k=".to_owned() + &"x".repeat(1 << 20)]);
    let (got, c, allocated) = hostile(&headers);
    assert_eq!(got, [e("existing", "1", "")]);
    assert_eq!(
        (c.extract_headers_rejected(), c.extract_members_dropped()),
        (1, 0)
    );
    assert!(allocated < 4096, "allocated {allocated} bytes");

    // control: the counter does see what an accepted header costs
    let (got, _, allocated) = hostile(&Headers::baggage([format!("k={}", "x".repeat(8190))]));
    assert_eq!(got.len(), 1);
    assert!(allocated >= 8190, "allocated {allocated} bytes");
}

#[test]
fn hundred_thousand_members_are_rejected_cheaply() {
    let headers = Headers::baggage([members(100_000)]);
    let (got, c, allocated) = hostile(&headers);
    assert_eq!(got, [e("existing", "1", "")]);
    assert_eq!(
        (c.extract_headers_rejected(), c.extract_members_dropped()),
        (1, 0)
    );
    assert!(allocated < 4096, "allocated {allocated} bytes");

    // the same number of members spread over as many headers
    let headers = Headers::baggage((0..100_000).map(|i| format!("k{i}=v")));
    let (got, c, allocated) = hostile(&headers);
    assert_eq!(got, [e("existing", "1", "")]);
    assert_eq!(c.extract_headers_rejected(), 1);
    // `get_all` itself collects 100 000 `&str`; the propagator adds little
    let (all, get_all_cost) = alloc::bytes(|| headers.get_all("baggage").map(|v| v.len()));
    assert_eq!(all, Some(100_000));
    assert!(
        allocated < get_all_cost + 4096,
        "allocated {allocated} bytes, get_all {get_all_cost}"
    );

    // within 8 KiB: 4000 members of `a=1` are counted only up to 65
    let headers = Headers::baggage([vec!["a=1"; 2000].join(",")]);
    let (got, c, allocated) = hostile(&headers);
    assert_eq!(got, [e("existing", "1", "")]);
    assert_eq!(c.extract_headers_rejected(), 1);
    assert!(allocated < 4096, "allocated {allocated} bytes");
}

#[test]
fn hostile_members_are_dropped_alone() {
    let (got, c) = read(&["a=1,k=abc%,b=2"]);
    assert_eq!(
        (got, c.extract_members_dropped()),
        (vec![e("a", "1", ""), e("b", "2", "")], 1)
    );
    let (got, c) = read(&["k=%zz"]);
    assert_eq!((got, c.extract_members_dropped()), (vec![], 1));
    // a raw NUL is a control byte: not a baggage-octet
    let (got, c) = read(&["k=a\0b,j=\0,\0=1,ok=1"]);
    assert_eq!(
        (got, c.extract_members_dropped()),
        (vec![e("ok", "1", "")], 3)
    );
    // but an encoded NUL is just a value
    assert_eq!(read_clean("k=a%00b"), [e("k", "a\0b", "")]);
    // decoded bytes that are not UTF-8
    assert_eq!(read_clean("k=%FF%FE"), [e("k", "\u{FFFD}\u{FFFD}", "")]);
    // a header that is nothing but separators
    assert_eq!(read_clean(&",".repeat(8192)), []);
    assert_eq!(read_dropping(&"=".repeat(8192), 1), []);
    assert_eq!(read_dropping(&";".repeat(8192), 1), []);
    assert_eq!(read_dropping(&"%".repeat(8192), 1), []);
}

// ---------------------------------------------------------------------------
// typed round trip

#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "app.")]
struct Tricky {
    plain: String,
    empty: String,
    spaces: String,
    separators: String,
    percent: String,
    plus: String,
    controls: String,
    unicode: String,
    tags: Vec<String>,
    none: Vec<String>,
    blank: Vec<String>,
    maybe: Option<String>,
}

#[test]
fn typed_round_trip_through_the_header() {
    let value = Tricky {
        plain: "us-west".into(),
        empty: String::new(),
        spaces: "  leading and trailing  ".into(),
        separators: "a,b;c=d=e\"f\\g".into(),
        percent: "100% %41 %zz %".into(),
        plus: "1+1 = 2 + +".into(),
        controls: "\0\t\r\n\u{7F}".into(),
        unicode: "Amélie 日本 🚀 \u{FFFD} \u{10FFFF}".into(),
        tags: vec![
            "".into(),
            "a,b".into(),
            "%2C".into(),
            " x y ".into(),
            "🚀".into(),
        ],
        none: vec![],
        blank: vec![String::new()],
        maybe: Some("=;,".into()),
    };
    let propagator = BaggagePropagator::new();
    let cx = Context::new().with_typed(&value).expect("fits");
    let mut carrier = std::collections::HashMap::new();
    propagator.inject_context(&cx, &mut carrier);
    assert_header_is_conformant(&carrier["baggage"]);

    let read = propagator.extract_with_context(&Context::new(), &carrier);
    assert_eq!(Tricky::from_context(&read).expect("decodes"), value);
    let c = propagator.counters();
    assert_eq!(
        (
            c.extract_members_dropped(),
            c.inject_members_dropped(),
            c.inject_members_invalid()
        ),
        (0, 0, 0)
    );
}

// ---------------------------------------------------------------------------
// properties of all inputs

fn key() -> impl Strategy<Value = String> {
    "[!#$%&'*+.^_`|~0-9A-Za-z-]{1,16}"
}

fn property() -> impl Strategy<Value = String> {
    let ows = "[ \t]{0,2}";
    let value = "([!#$&'()*+./0-9:<=>?@A-Z^_`a-z{|}~-]|%[0-9a-fA-F]{2}){0,8}";
    (key(), ows, ows, prop::option::of(value)).prop_map(|(k, a, b, v)| match v {
        Some(v) => format!("{k}{a}={b}{v}"),
        None => format!("{k}{a}"),
    })
}

fn properties() -> impl Strategy<Value = String> {
    prop::collection::vec((property(), "[ \t]{0,2}", "[ \t]{0,2}"), 0..4).prop_map(|ps| {
        let mut out = String::new();
        for (i, (p, a, b)) in ps.into_iter().enumerate() {
            if i > 0 {
                out.push_str(&a);
                out.push(';');
                out.push_str(&b);
            }
            out.push_str(&p);
        }
        out
    })
}

fn any_value() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..20).prop_map(|cs| cs.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn inject_then_extract_is_identity(
        items in prop::collection::btree_map(key(), (any_value(), properties()), 0..10)
    ) {
        let mut baggage = OtelBaggage::new();
        for (k, (v, m)) in &items {
            baggage.insert_with_metadata(k.clone(), v.clone(), m.as_str());
        }
        prop_assert_eq!(baggage.len(), items.len());
        let expected = entries(&baggage);

        let propagator = BaggagePropagator::new();
        let mut carrier = std::collections::HashMap::new();
        propagator.inject_context(&Context::new().with_baggage(baggage), &mut carrier);
        let cx = propagator.extract_with_context(&existing(), &carrier);
        let got = if items.is_empty() {
            prop_assert!(!carrier.contains_key("baggage"));
            vec![]
        } else {
            assert_header_is_conformant(&carrier["baggage"]);
            entries(cx.baggage())
        };
        prop_assert_eq!(got, expected);
        let c = propagator.counters();
        prop_assert_eq!(
            (c.extract_members_dropped(), c.extract_headers_rejected(), c.inject_members_dropped(), c.inject_members_invalid()),
            (0, 0, 0, 0)
        );
    }

    #[test]
    fn whatever_is_read_is_written_and_read_back_the_same(
        header in prop::collection::vec(
            prop_oneof![
                Just(",".to_owned()), Just(";".to_owned()), Just("=".to_owned()), Just("%".to_owned()),
                Just(" ".to_owned()), Just("\t".to_owned()), key(), "%[0-9a-fA-F]{2}", any_value(),
            ],
            0..40,
        ).prop_map(|parts| parts.concat())
    ) {
        let propagator = BaggagePropagator::new();
        let first = propagator.extract_with_context(&Context::new(), &Headers::baggage([header.as_str()]));
        let first_entries = entries(first.baggage());
        let mut carrier = std::collections::HashMap::new();
        propagator.inject_context(&first, &mut carrier);
        let second = BaggagePropagator::new().extract_with_context(&Context::new(), &carrier);
        prop_assert_eq!(entries(second.baggage()), first_entries.clone());
        // and the header written for it is conformant
        if let Some(written) = carrier.get("baggage") {
            assert_header_is_conformant(written);
        } else {
            prop_assert!(first_entries.is_empty());
        }
    }
}
