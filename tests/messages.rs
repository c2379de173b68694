//! The message carrier (`typed_baggage::messages`) over a plain list of
//! headers, the shape of Kafka and AMQP headers, without a broker (the NATS
//! broker is in `nats.rs`):
//!
//! - the same bytes give the same answer through a message's headers and
//!   through `http::extract_with_context` (the one read pipeline): values,
//!   properties, drops and rejections, typed values and errors;
//! - bytes an HTTP header cannot carry still go through that pipeline;
//! - `baggage` is read in any letter case, every value of every spelling;
//! - the inbound policies stop a forged key (drop-all, allowlists);
//! - baggage is written only toward allowed subjects, and a subject that is
//!   not allowed gets no `baggage` header, even one set by hand;
//! - typed errors name the key and escape the attacker's bytes;
//! - no input makes a read or a write panic.

#[path = "common/caller.rs"]
mod caller;

use caller::{caller, caller_and_shard, Caller, Shard, Tier, FORGED_SHARD};

use http::{HeaderMap, HeaderValue};
use opentelemetry::baggage::{Baggage as OtelBaggage, BaggageExt};
use opentelemetry::{Context, KeyValue};
use proptest::prelude::*;
use typed_baggage::messages::{self, MessageHeaders};
use typed_baggage::policy::{Allowlist, Destinations, InboundPolicy};
use typed_baggage::prelude::*;
use typed_baggage::propagation::BaggagePropagator;
use typed_baggage::Error;

/// A small schema, flattened twice below.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "org.")]
struct Org {
    id: i32,
    name: Option<String>,
}

/// Flattened keys, one set under a site prefix.
#[derive(Baggage, Debug, Clone, PartialEq)]
struct Payment {
    #[baggage(flatten)]
    org: Org,
    #[baggage(flatten, prefix = "payer.")]
    payer: Org,
    #[baggage(default)]
    retries: u8,
}

/// Feature flags: what an edge accepts from outside.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "ff.")]
struct Flags {
    dark_mode: bool,
}

/// The header our propagator writes for [`caller`].
const CALLER_HEADER: &[u8] = b"app.region=eu%20west,app.tier=premium,app.user_id=7";

type Headers = Vec<(String, Vec<u8>)>;

fn headers(pairs: &[(&str, &[u8])]) -> Headers {
    pairs
        .iter()
        .map(|(n, v)| ((*n).to_owned(), v.to_vec()))
        .collect()
}

/// `(key, value, properties)` of every entry, sorted by key.
fn entries(baggage: &OtelBaggage) -> Vec<(String, String, String)> {
    let mut all: Vec<_> = baggage
        .iter()
        .map(|(k, (v, m))| (k.to_string(), v.to_string(), m.as_str().to_owned()))
        .collect();
    all.sort();
    all
}

/// The values of every header named `baggage` in any letter case.
fn baggage_headers(h: &Headers) -> Vec<(&str, &[u8])> {
    h.iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("baggage"))
        .map(|(n, v)| (n.as_str(), v.as_slice()))
        .collect()
}

// ---- one pipeline: the same bytes, the same answer --------------------------

/// Asserts that `values`, sent as the `baggage` headers of a message and of
/// an HTTP request, read the same: the baggage (`http::extract_with_context`),
/// the counters of drops and rejections, and typed values and errors, under
/// each policy. Returns the baggage read.
fn same_answer(values: &[Vec<u8>]) -> Vec<(String, String, String)> {
    let mut h = HeaderMap::new();
    let mut message: Headers = vec![("content-type".into(), b"application/json".to_vec())];
    for v in values {
        let v = HeaderValue::from_bytes(v).expect("a value HTTP carries");
        h.append("baggage", v.clone());
        message.push(("baggage".into(), v.as_bytes().to_vec()));
        message.push(("x-other".into(), b"app.user_id=666".to_vec()));
    }

    // Context mode, against the HTTP carrier's default reading.
    let over_http = typed_baggage::http::extract_with_context(&Context::new(), &h);
    let ours = BaggagePropagator::new();
    let theirs = BaggagePropagator::new();
    let trusted =
        messages::context_with(&ours, &InboundPolicy::TrustAll, &Context::new(), &message);
    let read = entries(trusted.baggage());
    assert_eq!(read, entries(over_http.baggage()), "{values:?}");

    // The same drops and rejections, counted by the same pipeline.
    let _ = typed_baggage::http::extract_with(&theirs, &Context::new(), &h);
    let (a, b) = (ours.counters(), theirs.counters());
    assert_eq!(
        (a.extract_members_dropped(), a.extract_headers_rejected()),
        (b.extract_members_dropped(), b.extract_headers_rejected()),
        "{values:?}"
    );

    // Direct mode: the same value or the same error as over HTTP.
    fn typed_alike<T: Baggage + std::fmt::Debug>(message: &Headers, h: &HeaderMap) {
        let ours = messages::typed_with::<T, _>(
            &BaggagePropagator::new(),
            &InboundPolicy::TrustAll,
            message,
        );
        assert_eq!(format!("{ours:?}"), format!("{:?}", T::from_headers(h)));
        let cx = messages::context(&InboundPolicy::TrustAll, message);
        assert_eq!(format!("{ours:?}"), format!("{:?}", T::from_context(&cx)));
    }
    typed_alike::<Caller>(&message, &h);
    typed_alike::<Payment>(&message, &h);
    typed_alike::<Flags>(&message, &h);

    // The policies, applied to what the pipeline read.
    let dropped = messages::context(&InboundPolicy::DropAll, &message);
    assert!(dropped.baggage().is_empty());
    let allow = InboundPolicy::Allow(Allowlist::new().schema::<Flags>().key("app.tier"));
    let kept = entries(messages::context(&allow, &message).baggage());
    let expected: Vec<_> = read
        .iter()
        .filter(|(k, _, _)| k == "app.tier" || k == "ff.dark_mode")
        .cloned()
        .collect();
    assert_eq!(kept, expected, "{values:?}");
    let flags = messages::typed::<Flags, _>(&allow, &message);
    assert_eq!(
        format!("{flags:?}"),
        format!("{:?}", Flags::from_headers(&h))
    );
    read
}

/// One header value for the property: members, raw bytes an HTTP header
/// carries, or padding near the limits.
fn header_value() -> impl Strategy<Value = Vec<u8>> {
    let key = prop::sample::select(
        &[
            "app.user_id",
            "app.tier",
            "app.region",
            "org.id",
            "payer.id",
            "payer.name",
            "ff.dark_mode",
            "retries",
            "APP.tier",
            "bad key",
        ][..],
    );
    let value = prop::sample::select(
        &[
            "7",
            "-1",
            "premium",
            "gold",
            "true",
            "eu%20west",
            "%zz",
            "%FF",
            "",
            "a=b",
            "x+y",
        ][..],
    );
    let member = (key, value, any::<bool>())
        .prop_map(|(k, v, p)| format!("{k}={v}{}", if p { ";ttl=30" } else { "" }).into_bytes());
    prop_oneof![
        6 => prop::collection::vec(member.clone(), 0..8).prop_map(|ms| ms.join(&b","[..])),
        2 => prop::collection::vec(prop_oneof![0x20u8..0x7f, Just(b'\t'), 0x80u8..=0xff], 0..64),
        1 => (member.clone(), 8000usize..8300).prop_map(|(mut m, n)| {
            m.extend_from_slice(b",pad=");
            m.extend(std::iter::repeat_n(b'x', n));
            m
        }),
        1 => (0usize..80).prop_map(|n| vec![&b"k=1"[..]; n].join(&b","[..])),
        1 => (member, 0usize..3000).prop_map(|(mut m, n)| {
            m.push(b',');
            m.extend(std::iter::repeat_n(0xe9u8, n));
            m
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_same_bytes_give_the_same_answer_through_a_message_and_http(
        values in prop::collection::vec(header_value(), 0..5)
    ) {
        let _ = same_answer(&values);
    }
}

#[test]
fn over_limit_and_malformed_headers_read_as_over_http() {
    let v = |s: &str| s.as_bytes().to_vec();
    // Well-formed, the schema's own.
    let read = same_answer(&[CALLER_HEADER.to_vec()]);
    assert_eq!(read.len(), 3);
    // Malformed members are dropped alone.
    let read = same_answer(&[v(
        "app.user_id=7,no-equals,bad key=1,app.tier=premium;p,x=%zz",
    )]);
    assert_eq!(
        read,
        [
            ("app.tier".into(), "premium".into(), "p".into()),
            ("app.user_id".into(), "7".into(), String::new()),
        ]
    );
    // Several values read as one list, the last of a duplicate key winning.
    let read = same_answer(&[
        v("app.tier=free"),
        v(""),
        v("app.tier=premium,app.user_id=7"),
    ]);
    assert_eq!(read.len(), 2);
    assert_eq!(read[0].1, "premium");
    // 8192 bytes in all are read; one more and nothing is.
    let pad = |n: usize| format!("app.user_id=7,pad={}", "x".repeat(n - 18));
    assert_eq!(same_answer(&[v(&pad(8192))]).len(), 2);
    assert!(same_answer(&[v(&pad(8193))]).is_empty());
    assert!(same_answer(&[v(&pad(4096)), v(&pad(4097))]).is_empty());
    // 64 members are read; 65 and nothing is.
    let members = |n: usize| {
        (0..n)
            .map(|i| format!("k{i}=1"))
            .collect::<Vec<_>>()
            .join(",")
    };
    assert_eq!(same_answer(&[v(&members(64))]).len(), 64);
    assert!(same_answer(&[v(&members(65))]).is_empty());
    // Bytes that are not UTF-8 spoil their member only, and count once.
    let mut spoiled = b"app.user_id=7,app.region=".to_vec();
    spoiled.extend([0xff; 8000]);
    let read = same_answer(&[spoiled]);
    assert_eq!(read, [("app.user_id".into(), "7".into(), String::new())]);
}

#[test]
fn bytes_http_cannot_carry_still_go_through_the_one_pipeline() {
    // A line break or NUL cannot be in an HTTP header value, but a broker
    // may carry it: its member is malformed and dropped alone, as the
    // pipeline drops it from any text.
    let value = "app.user_id=7,app.region=a\r\nb,org.id=\0,app.tier=free";
    let message = headers(&[("baggage", value.as_bytes())]);
    let propagator = BaggagePropagator::new();
    let read = messages::context_with(
        &propagator,
        &InboundPolicy::TrustAll,
        &Context::new(),
        &message,
    );
    let reference = BaggagePropagator::new();
    let expected = reference.parse([value]).expect("members read");
    assert_eq!(entries(read.baggage()), entries(&expected));
    assert_eq!(entries(read.baggage()).len(), 2);
    assert_eq!(propagator.counters().extract_members_dropped(), 2);
    assert_eq!(reference.counters().extract_members_dropped(), 2);
}

// ---- header names, spellings and values -------------------------------------

#[test]
fn baggage_is_read_in_any_letter_case_every_value_of_every_spelling() {
    let message = headers(&[
        ("baggage", b"app.user_id=7"),
        ("BAGGAGE", b"app.tier=premium"),
        ("Baggage", b"app.region=eu%20west"),
        ("baggage", b"other=1"),
        ("baggages", b"app.user_id=666"),
        ("x-baggage", b"app.user_id=666"),
    ]);
    let read: Caller = messages::typed(&InboundPolicy::TrustAll, &message).unwrap();
    assert_eq!(read, caller());
    let cx = messages::context(&InboundPolicy::TrustAll, &message);
    assert_eq!(cx.baggage().len(), 4);
    assert_eq!(Caller::from_context(&cx).unwrap(), caller());
}

#[test]
fn inject_replaces_every_spelling_with_one_header_and_keeps_the_others() {
    let cx = Context::new().with_typed(&caller()).unwrap();
    let mut message = headers(&[
        ("Baggage", b"app.tier=free"),
        ("content-type", b"application/json"),
        ("baggage", b"app.user_id=1"),
        ("BAGGAGE", b"forged=1"),
        ("x-trace", b"1"),
    ]);
    let anywhere = Destinations::any();
    assert!(messages::inject(
        &cx,
        &mut message,
        "orders.created",
        &anywhere
    ));
    assert_eq!(
        message,
        headers(&[
            ("content-type", b"application/json"),
            ("x-trace", b"1"),
            ("baggage", CALLER_HEADER),
        ])
    );
    // Written by one propagator, read back by the pipeline.
    let back: Caller = messages::typed(&InboundPolicy::TrustAll, &message).unwrap();
    assert_eq!(back, caller());

    // Empty baggage: the hand-set header goes, and none is written.
    let mut message = headers(&[("baggage", b"hand.set=1"), ("x-trace", b"1")]);
    assert!(messages::inject(
        &Context::new(),
        &mut message,
        "orders.created",
        &anywhere
    ));
    assert_eq!(message, headers(&[("x-trace", b"1")]));
}

// ---- trust: policies on the way in, subjects on the way out ----------------

#[test]
fn a_forged_key_is_stopped_by_drop_all_and_by_an_allowlist() {
    // An untrusted publisher claims a tier and sets a flag.
    let forged = headers(&[(
        "baggage",
        b"app.user_id=7,app.tier=premium,app.region=eu,ff.dark_mode=true",
    )]);

    // Drop-all: nothing read; a typed read names the first missing key.
    let cx = messages::context(&InboundPolicy::DropAll, &forged);
    assert!(cx.baggage().is_empty());
    let err = messages::typed::<Caller, _>(&InboundPolicy::DropAll, &forged).unwrap_err();
    assert_eq!(err.keys().collect::<Vec<_>>(), ["app.user_id", "app.tier"]);
    assert!(
        matches!(&err, Error::Multiple(all) if matches!(&all[1], Error::Missing { key, expected } if key == "app.tier" && expected.contains("free"))),
        "{err:?}"
    );

    // An allowlist of the flags: the flags read, the forged tier dropped.
    let edge = InboundPolicy::Allow(Allowlist::new().schema::<Flags>());
    let flags: Flags = messages::typed(&edge, &forged).unwrap();
    assert_eq!(flags, Flags { dark_mode: true });
    let cx = messages::context(&edge, &forged);
    assert_eq!(
        entries(cx.baggage()),
        [("ff.dark_mode".into(), "true".into(), String::new())]
    );
    let err = messages::typed::<Caller, _>(&edge, &forged).unwrap_err();
    assert!(err.keys().any(|k| k == "app.tier"), "{err}");

    // An allowlist of single keys: the user id and region, not the tier.
    let keys = InboundPolicy::Allow(Allowlist::new().key("app.user_id").key("app.region"));
    let err = messages::typed::<Caller, _>(&keys, &forged).unwrap_err();
    assert!(
        matches!(&err, Error::Missing { key, .. } if key == "app.tier"),
        "{err:?}"
    );
    let cx = messages::context(&keys, &forged);
    assert_eq!(cx.baggage().get("app.tier"), None);
    assert_eq!(
        cx.baggage().get("app.user_id").map(|v| v.as_str()),
        Some("7")
    );

    // Trust-all reads what the publisher sent.
    let read: Caller = messages::typed(&InboundPolicy::TrustAll, &forged).unwrap();
    assert_eq!(read.tier, Tier::Premium);
}

#[test]
fn a_consumers_own_baggage_never_passes_for_the_messages() {
    let own = Context::new().with_baggage([KeyValue::new("app.tier", "premium")]);
    let _guard = own.attach();
    let forged = headers(&[("baggage", b"app.tier=premium")]);
    let cx = messages::context(&InboundPolicy::DropAll, &forged);
    assert!(cx.baggage().is_empty());
    let nothing: Headers = Vec::new();
    let cx = messages::context(&InboundPolicy::TrustAll, &nothing);
    assert!(cx.baggage().is_empty());
}

#[test]
fn baggage_goes_only_to_allowed_subjects() {
    let cx = Context::new().with_typed(&caller()).unwrap();
    let allowed = Destinations::subjects(["orders.*", "billing.>"]).unwrap();
    let send = |subject: &str| {
        let mut message = headers(&[
            ("baggage", b"hand.set=1"),
            ("Baggage", b"hand.too=1"),
            ("x-trace", b"1"),
        ]);
        let sent = messages::inject(&cx, &mut message, subject, &allowed);
        (sent, message)
    };
    for subject in [
        "orders.created",
        "orders.paid",
        "billing.eu",
        "billing.eu.invoice",
    ] {
        let (sent, message) = send(subject);
        assert!(sent, "{subject}");
        assert_eq!(baggage_headers(&message), [("baggage", CALLER_HEADER)]);
    }
    for subject in [
        "audit.log",
        "orders",
        "orders.created.eu",
        "Orders.created",
        "billing",
        "",
        "orders..created",
        "orders.*",
        "billing.>",
        "orders.created\r\nHPUB evil",
        "orders. created",
    ] {
        let (sent, message) = send(subject);
        assert!(!sent, "{subject:?}");
        assert_eq!(message, headers(&[("x-trace", b"1")]), "{subject:?}");
    }
    // Host rules allow no subject.
    let mut message = Headers::new();
    assert!(!messages::inject(
        &cx,
        &mut message,
        "orders.created",
        &Destinations::hosts(["orders.created"])
    ));
    assert!(message.is_empty());
}

// ---- errors and hostile input -----------------------------------------------

#[test]
fn typed_errors_name_the_key_and_escape_the_attackers_bytes() {
    let hostile = format!(
        "app.user_id=12%0D%0Aforged:%201{},app.tier=gold",
        "9".repeat(500)
    );
    let message = headers(&[("baggage", hostile.as_bytes())]);
    let err = messages::typed::<Caller, _>(&InboundPolicy::TrustAll, &message).unwrap_err();
    assert_eq!(err.keys().collect::<Vec<_>>(), ["app.user_id", "app.tier"]);
    let text = err.to_string();
    assert!(!text.contains('\n') && !text.contains('\r'), "{text}");
    assert!(text.contains(r#"found "12\r\nforged: 1999"#), "{text}");
    assert!(
        text.contains(r#"expected one of `free`, `premium` (Tier), found "gold""#),
        "{text}"
    );
    assert!(text.len() < 600, "{}", text.len());
    assert!(
        matches!(&err, Error::Multiple(all) if matches!(&all[0], Error::Invalid { found, .. } if found.len() <= typed_baggage::FOUND_EXCERPT_BYTES + 3)),
        "{err:?}"
    );
}

/// Any header name, any bytes: a strategy of message headers with the
/// spellings of `baggage` favoured.
fn any_headers() -> impl Strategy<Value = Headers> {
    let name = prop_oneof![
        3 => prop::sample::select(&["baggage", "Baggage", "BAGGAGE", "bAgGaGe"][..]).prop_map(String::from),
        1 => ".{0,12}",
    ];
    let value = prop_oneof![
        2 => prop::collection::vec(any::<u8>(), 0..200),
        1 => "(app\\.(user_id|tier|region)=[a-z0-9%]{0,6}[,;]?){0,6}".prop_map(String::into_bytes),
        1 => (0usize..9000).prop_map(|n| vec![b'x'; n]),
    ];
    prop::collection::vec((name, value), 0..8)
}

fn policies() -> [InboundPolicy; 3] {
    [
        InboundPolicy::TrustAll,
        InboundPolicy::DropAll,
        InboundPolicy::Allow(Allowlist::new().schema::<Caller>().key("org.id")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 1_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn no_input_makes_a_read_or_a_write_panic(
        message in any_headers(),
        subject in prop_oneof![Just("orders.created".to_owned()), ".{0,20}"],
    ) {
        for policy in policies() {
            let cx = messages::context(&policy, &message);
            let _ = messages::typed::<Caller, _>(&policy, &message);
            let _ = messages::typed::<Payment, _>(&policy, &message);
            if matches!(policy, InboundPolicy::DropAll) {
                prop_assert!(cx.baggage().is_empty());
            }
        }
        let others: Vec<_> = message
            .iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case("baggage"))
            .cloned()
            .collect();
        let cx = Context::new().with_typed(&caller()).unwrap();
        let allowed = Destinations::subjects(["orders.*"]).unwrap();
        let mut written = message.clone();
        let sent = messages::inject(&cx, &mut written, &subject, &allowed);
        prop_assert_eq!(sent, allowed.allows_subject(&subject));
        let spellings = baggage_headers(&written);
        if sent {
            prop_assert_eq!(spellings, [("baggage", CALLER_HEADER)]);
        } else {
            prop_assert!(spellings.is_empty());
        }
        let kept: Vec<_> = written
            .iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case("baggage"))
            .cloned()
            .collect();
        prop_assert_eq!(kept, others);
    }
}

// ---- a carrier of the user's own ---------------------------------------------

/// A broker's headers that hold one value per name, as text.
#[derive(Default, Debug)]
struct OneValue(std::collections::BTreeMap<String, String>);

impl MessageHeaders for OneValue {
    fn header_names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
    fn header_values(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        self.0.get(name).map(|v| v.as_bytes()).into_iter()
    }
    fn remove_header(&mut self, name: &str) {
        let _ = self.0.remove(name);
    }
    fn append_header(&mut self, name: &str, value: &str) -> bool {
        if self.0.contains_key(name) {
            return false;
        }
        let _ = self.0.insert(name.to_owned(), value.to_owned());
        true
    }
}

#[test]
fn a_carrier_of_ones_own_reads_and_writes_through_the_same_functions() {
    let cx = Context::new().with_typed(&caller()).unwrap();
    let mut h = OneValue::default();
    let _ = h.0.insert("BAGGAGE".into(), "app.tier=free".into());
    let allowed = Destinations::subjects(["orders.*"]).unwrap();
    assert!(messages::inject(&cx, &mut h, "orders.created", &allowed));
    assert_eq!(h.0.len(), 1);
    assert_eq!(h.0["baggage"].as_bytes(), CALLER_HEADER);
    let read: Caller = messages::typed(&InboundPolicy::TrustAll, &h).unwrap();
    assert_eq!(read, caller());
}

// ---- signed schemas ----------------------------------------------------------

#[cfg(feature = "signing")]
mod signed {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};
    use typed_baggage::signing::{KeyRing, SigningKey};
    use typed_baggage::SignatureProblem;

    /// A grant, signed by the producer's key ring.
    #[derive(Baggage, Debug, Clone, PartialEq)]
    #[baggage(prefix = "acl.", signed, max_age_secs = 300)]
    struct Grant {
        user_id: u64,
        scope: String,
    }

    fn ring() -> KeyRing {
        // A random key (`openssl rand -base64 32`), a fixed clock.
        KeyRing::new(
            SigningKey::from_base64("k1", "nhw5DfT0KJTvrx4w5ryqM2AXNLg2OCQDt9JswZHQ5TQ").unwrap(),
        )
        .with_clock(|| UNIX_EPOCH + Duration::from_secs(1_767_225_600))
    }

    #[test]
    fn a_signed_schema_verifies_across_a_message_and_a_forged_one_does_not() {
        let grant = Grant {
            user_id: 7,
            scope: "billing".into(),
        };
        let signer = Context::new().with_value(ring());
        let cx = signer.with_typed(&grant).unwrap();
        let mut message = Headers::new();
        assert!(messages::inject(
            &cx,
            &mut message,
            "jobs",
            &Destinations::any()
        ));

        let _guard = Context::new().with_value(ring()).attach();
        let read: Grant = messages::typed(&InboundPolicy::TrustAll, &message).unwrap();
        assert_eq!(read, grant);
        let allow = InboundPolicy::Allow(Allowlist::new().schema::<Grant>());
        assert_eq!(
            messages::typed::<Grant, _>(&allow, &message).unwrap(),
            grant
        );
        let via_context = Grant::from_context(&messages::context(&allow, &message)).unwrap();
        assert_eq!(via_context, grant);

        // A publisher widens the scope: the signature no longer holds.
        let (_, value) = &mut message[0];
        let text = String::from_utf8(value.clone()).unwrap();
        *value = text
            .replace("acl.scope=billing", "acl.scope=admin")
            .into_bytes();
        let err = messages::typed::<Grant, _>(&InboundPolicy::TrustAll, &message).unwrap_err();
        assert!(
            matches!(&err, Error::Signature { key, problem: SignatureProblem::Mismatch, .. } if key == "acl.sig"),
            "{err:?}"
        );
    }
}

#[test]
fn a_local_schema_is_never_written_to_a_message_nor_read_from_one() {
    let mut out: Headers = Vec::new();
    assert!(messages::inject(
        &caller_and_shard(),
        &mut out,
        "orders.created",
        &Destinations::subjects(["orders.>"]).unwrap()
    ));
    assert_eq!(baggage_headers(&out), [("baggage", CALLER_HEADER)]);

    let forged = format!(
        "{FORGED_SHARD},{}",
        std::str::from_utf8(CALLER_HEADER).unwrap()
    );
    let incoming = headers(&[("baggage", forged.as_bytes())]);
    for policy in policies() {
        assert_eq!(
            messages::typed::<Shard, _>(&policy, &incoming).unwrap_err(),
            Error::Local { schema: "Shard" },
            "{policy:?}"
        );
        assert!(messages::context(&policy, &incoming)
            .local_baggage()
            .is_empty());
    }
    assert_eq!(
        messages::typed::<Caller, _>(&InboundPolicy::TrustAll, &incoming).unwrap(),
        caller()
    );
}
