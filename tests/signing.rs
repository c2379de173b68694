//! Signed schemas: what `with_typed` writes, what a verifier accepts and
//! rejects (each problem by name), key rings, rotation, clocks, and that
//! no key material ever shows.

#[path = "common/wire.rs"]
mod wire;

use std::time::{Duration, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use opentelemetry::baggage::{Baggage as OtelBaggage, BaggageExt};
use opentelemetry::{Context, KeyValue};
use proptest::prelude::*;
use sha2::Sha256;
use typed_baggage::prelude::*;
use typed_baggage::propagation::BaggagePropagator;
use typed_baggage::schema::Signature;
use typed_baggage::signing::{KeyError, KeyRing, SigningKey, Weakness};
use typed_baggage::{Error, Limit, SignatureProblem};
use wire::edit;

#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "app.", signed, max_age_secs = 300)]
struct UserCtx {
    user_id: u64,
    tier: Tier,
    #[baggage(rename = "geo")]
    region: Option<String>,
    features: Vec<String>,
    #[baggage(default)]
    retries: u8,
}

#[derive(Baggage, Debug, Clone, Copy, PartialEq)]
#[baggage(rename_all = "snake_case")]
enum Tier {
    Free,
    Premium,
}

/// Another signed schema, with its signature key named.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(signed = "acct.signature")]
struct Account {
    #[baggage(rename = "acct.id")]
    id: u64,
    #[baggage(rename = "acct.plan")]
    plan: String,
}

/// An unsigned schema sharing the baggage.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "ff.")]
struct Flags {
    new_checkout: bool,
}

const NOW: u64 = 1_767_225_600; // 2026-01-01T00:00:00Z
/// A random key (from `/dev/urandom`).
const SECRET: [u8; 32] = [
    113, 112, 181, 198, 59, 223, 94, 221, 226, 220, 253, 218, 43, 163, 124, 227, 92, 147, 92, 194,
    135, 170, 6, 244, 21, 70, 96, 40, 239, 238, 18, 111,
];

/// Another random-looking key for each `seed`: 32 bytes of SplitMix64.
fn secret(seed: u64) -> [u8; 32] {
    let mut state = seed;
    let mut out = [0u8; 32];
    for chunk in out.chunks_mut(8) {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        chunk.copy_from_slice(&z.to_be_bytes());
    }
    out
}

fn key(id: &str, secret: &[u8]) -> SigningKey {
    SigningKey::new(id, secret).unwrap()
}

/// A ring with the key `k1` whose clock reads `now`.
fn ring_at(now: u64) -> KeyRing {
    KeyRing::new(key("k1", &SECRET)).with_clock(move || UNIX_EPOCH + Duration::from_secs(now))
}

/// A context carrying a key ring (and no baggage).
fn with_ring(ring: KeyRing) -> Context {
    Context::new().with_value(ring)
}

/// `cx`, with `ring` in place of its key ring (baggage kept).
fn reread_with(cx: &Context, ring: KeyRing) -> Context {
    cx.with_value(ring)
}

fn user() -> UserCtx {
    UserCtx {
        user_id: 12345,
        tier: Tier::Free,
        region: Some("eu-west".into()),
        features: vec!["dark_mode".into(), "a,b".into()],
        retries: 1,
    }
}

fn signed(value: &UserCtx) -> Context {
    with_ring(ring_at(NOW)).with_typed(value).unwrap()
}

fn get(cx: &Context, key: &str) -> Option<String> {
    cx.baggage().get(key).map(|v| v.to_string())
}

fn problem(result: Result<UserCtx, Error>) -> SignatureProblem {
    match result {
        Err(Error::Signature {
            key,
            schema,
            problem,
        }) => {
            assert_eq!((key.as_ref(), schema), ("app.sig", "UserCtx"));
            problem
        }
        other => panic!("expected a signature error, got {other:?}"),
    }
}

#[test]
fn the_schema_says_it_is_signed() {
    assert_eq!(
        UserCtx::SCHEMA.signature,
        Some(Signature {
            key: "app.sig",
            max_age_secs: Some(300),
            bind_trace: false
        })
    );
    assert_eq!(
        Account::SCHEMA.signature,
        Some(Signature {
            key: "acct.signature",
            max_age_secs: None,
            bind_trace: false
        })
    );
    assert_eq!(Flags::SCHEMA.signature, None);
    assert_eq!(
        UserCtx::SCHEMA.keys(),
        [
            "app.user_id",
            "app.tier",
            "app.geo",
            "app.features",
            "app.retries",
            "app.sig"
        ]
    );
}

#[test]
fn with_typed_writes_the_fields_and_one_signature_entry() {
    let cx = signed(&user());
    let mut keys: Vec<String> = cx.baggage().iter().map(|(k, _)| k.to_string()).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "app.features",
            "app.geo",
            "app.retries",
            "app.sig",
            "app.tier",
            "app.user_id"
        ]
    );
    let sig = get(&cx, "app.sig").unwrap();
    let parts: Vec<&str> = sig.split('.').collect();
    assert_eq!(parts.len(), 4, "{sig}");
    assert_eq!(&parts[..3], ["v1", "k1", "1767225600"]);
    assert_eq!(parts[3].len(), 43);
    assert!(parts[3]
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    assert_eq!(cx.typed::<UserCtx>().unwrap(), user());
}

/// The documented canonical form, computed here from the description in
/// `typed_baggage::signing` with the `hmac` crate directly, so that a peer
/// in another language can implement it from the text.
fn reference_mac(
    secret: &[u8],
    sig_key: &str,
    schema: &str,
    kid: &str,
    issued: u64,
    trace: Option<[u8; 16]>,
    members: &[(&str, &str)],
) -> String {
    let mut sorted = members.to_vec();
    sorted.sort();
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).unwrap();
    let put = |bytes: &[u8], mac: &mut Hmac<Sha256>| {
        mac.update(&(bytes.len() as u64).to_be_bytes());
        mac.update(bytes);
    };
    mac.update(b"typed-baggage signed schema v1\0");
    put(sig_key.as_bytes(), &mut mac);
    put(schema.as_bytes(), &mut mac);
    put(kid.as_bytes(), &mut mac);
    mac.update(&issued.to_be_bytes());
    put(trace.as_ref().map_or(&[][..], |t| &t[..]), &mut mac);
    mac.update(&(sorted.len() as u64).to_be_bytes());
    for (k, v) in sorted {
        put(k.as_bytes(), &mut mac);
        put(v.as_bytes(), &mut mac);
    }
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

#[test]
fn the_signature_is_the_documented_hmac_of_the_canonical_form() {
    let cx = signed(&user());
    let expected = reference_mac(
        &SECRET,
        "app.sig",
        "UserCtx",
        "k1",
        NOW,
        None,
        &[
            ("app.user_id", "12345"),
            ("app.tier", "free"),
            ("app.geo", "eu-west"),
            // The decoded value: the comma inside an element is `%2C` in
            // the entry value itself (the `Vec` encoding), not a wire choice.
            ("app.features", "dark_mode,a%2Cb"),
            ("app.retries", "1"),
        ],
    );
    assert_eq!(
        get(&cx, "app.sig").unwrap(),
        format!("v1.k1.1767225600.{expected}")
    );
    // A `None` field is not in the canonical form.
    let cx = signed(&UserCtx {
        region: None,
        ..user()
    });
    let expected = reference_mac(
        &SECRET,
        "app.sig",
        "UserCtx",
        "k1",
        NOW,
        None,
        &[
            ("app.user_id", "12345"),
            ("app.tier", "free"),
            ("app.features", "dark_mode,a%2Cb"),
            ("app.retries", "1"),
        ],
    );
    assert_eq!(
        get(&cx, "app.sig").unwrap(),
        format!("v1.k1.1767225600.{expected}")
    );
}

#[test]
fn a_trace_bound_signature_is_the_documented_hmac_with_the_trace_id() {
    use opentelemetry::trace::{
        SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState,
    };
    #[derive(Baggage, Debug, PartialEq)]
    #[baggage(prefix = "pay.", signed, bind_trace)]
    struct Payment {
        order_id: u64,
    }
    let trace = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap();
    let cx = with_ring(ring_at(NOW))
        .with_remote_span_context(SpanContext::new(
            trace,
            SpanId::from_hex("00f067aa0ba902b7").unwrap(),
            TraceFlags::SAMPLED,
            true,
            TraceState::default(),
        ))
        .with_typed(&Payment { order_id: 7 })
        .unwrap();
    let expected = reference_mac(
        &SECRET,
        "pay.sig",
        "Payment",
        "k1",
        NOW,
        Some(trace.to_bytes()),
        &[("pay.order_id", "7")],
    );
    assert_eq!(
        get(&cx, "pay.sig").unwrap(),
        format!("v1.k1.1767225600.4bf92f3577b34da6a3ce929d0e0e4736.{expected}")
    );
}

#[test]
fn a_missing_signature_is_rejected() {
    let cx = edit(&signed(&user()), "app.sig", None);
    assert_eq!(problem(cx.typed()), SignatureProblem::Missing);
    // Entries written by hand, as a client would, are not read at all.
    let forged = with_ring(ring_at(NOW)).with_baggage([
        KeyValue::new("app.user_id", "1"),
        KeyValue::new("app.tier", "premium"),
        KeyValue::new("app.features", ""),
    ]);
    let err = forged.typed::<UserCtx>().unwrap_err();
    assert_eq!(err.keys().collect::<Vec<_>>(), ["app.sig"]);
    assert_eq!(
        err.to_string(),
        "baggage key `app.sig` (the signature of schema `UserCtx`) is missing: the schema is \
         signed, so it is read only with a signature made by a key of the key ring"
    );
}

#[test]
fn a_malformed_signature_is_rejected_and_says_which_part() {
    let cx = signed(&user());
    let good = get(&cx, "app.sig").unwrap();
    let mac = good.rsplit('.').next().unwrap().to_owned();
    for (bad, detail) in [
        ("", "it does not start with the version `v1.`"),
        ("garbage", "it does not start with the version `v1.`"),
        (
            &*format!("v2.k1.{NOW}.{mac}"),
            "its version is not `v1`, the one this build reads",
        ),
        (
            &*format!("v1.k1.{NOW}"),
            "it does not have four parts separated by `.`",
        ),
        (
            &*format!("v1.k%1.{NOW}.{mac}"),
            "its key id is not 1 to 32 characters among A-Z a-z 0-9 - _",
        ),
        (
            &*format!("v1.k1.soon.{mac}"),
            "its issue time is not a whole number of seconds",
        ),
        (
            &*format!("v1.k1.{NOW}.{}", &mac[1..]),
            "its MAC is not 43 characters of unpadded base64url (32 bytes)",
        ),
    ] {
        let got = problem(edit(&cx, "app.sig", Some(bad)).typed());
        assert_eq!(
            got,
            SignatureProblem::Malformed {
                found: bad.to_owned(),
                detail
            },
            "{bad}"
        );
    }
    // A hostile value is cut and escaped in the message.
    let hostile = format!("v9\n{}", "x".repeat(500));
    let err = edit(&cx, "app.sig", Some(&hostile))
        .typed::<UserCtx>()
        .unwrap_err();
    let text = err.to_string();
    assert!(!text.contains('\n'), "{text}");
    assert!(text.len() < 400, "{text}");
    assert!(text.contains(r#"found "v9\nxxx"#), "{text}");
}

#[test]
fn an_unknown_key_id_is_rejected() {
    let other = KeyRing::new(key("k9", &secret(9)));
    let cx = with_ring(other).with_typed(&user()).unwrap();
    let cx = reread_with(&cx, ring_at(NOW));
    assert_eq!(
        problem(cx.typed()),
        SignatureProblem::UnknownKeyId {
            key_id: "k9".into()
        }
    );
}

#[test]
fn a_signature_by_another_key_of_the_same_id_is_rejected() {
    let impostor =
        KeyRing::new(key("k1", &secret(8))).with_clock(|| UNIX_EPOCH + Duration::from_secs(NOW));
    let cx = with_ring(impostor).with_typed(&user()).unwrap();
    let cx = reread_with(&cx, ring_at(NOW));
    assert_eq!(problem(cx.typed()), SignatureProblem::Mismatch);
}

#[test]
fn every_field_is_covered() {
    let cx = signed(&user());
    for (key, forged) in [
        ("app.user_id", "1"),
        ("app.tier", "premium"),
        ("app.geo", "us-east"),
        ("app.features", "dark_mode,beta"),
        ("app.retries", "2"),
    ] {
        let tampered = edit(&cx, key, Some(forged));
        assert_eq!(
            problem(tampered.typed()),
            SignatureProblem::Mismatch,
            "{key}"
        );
        // Removing a signed entry (even an optional or defaulted one) is a change too.
        let removed = edit(&cx, key, None);
        assert_eq!(
            problem(removed.typed()),
            SignatureProblem::Mismatch,
            "{key}"
        );
    }
}

#[test]
fn an_entry_of_the_schema_added_after_signing_is_rejected() {
    let cx = signed(&UserCtx {
        region: None,
        retries: 0,
        ..user()
    });
    // `app.geo` (an Option) and `app.retries` (a default) were absent when signed.
    for key in ["app.geo", "app.retries"] {
        let added = edit(&cx, key, Some("1"));
        assert_eq!(problem(added.typed()), SignatureProblem::Mismatch, "{key}");
    }
}

#[test]
fn the_key_id_and_issue_time_are_covered() {
    let cx = signed(&user());
    let sig = get(&cx, "app.sig").unwrap();
    // Re-labelled to another key id the verifier holds: the MAC no longer matches.
    let ring = ring_at(NOW).with_verifying_key(key("k0", &SECRET)).unwrap();
    let relabelled = edit(&cx, "app.sig", Some(&sig.replacen(".k1.", ".k0.", 1)));
    assert_eq!(
        problem(reread_with(&relabelled, ring).typed()),
        SignatureProblem::Mismatch
    );
    // Made younger to escape the maximum age: no longer matches.
    let younger = edit(
        &cx,
        "app.sig",
        Some(&sig.replacen(&NOW.to_string(), &(NOW + 100).to_string(), 1)),
    );
    assert_eq!(problem(younger.typed()), SignatureProblem::Mismatch);
}

#[test]
fn a_signature_replayed_onto_another_users_entries_is_rejected() {
    let premium = signed(&UserCtx {
        user_id: 1,
        tier: Tier::Premium,
        ..user()
    });
    let free = signed(&UserCtx {
        user_id: 2,
        ..user()
    });
    // User 2 takes user 1's (premium) signature and claims premium.
    let forged = edit(
        &edit(&free, "app.tier", Some("premium")),
        "app.sig",
        get(&premium, "app.sig").as_deref(),
    );
    assert_eq!(problem(forged.typed()), SignatureProblem::Mismatch);
    // Replaying user 1's whole context unchanged verifies: replay is not
    // prevented, only bounded by the maximum age (see the threat model).
    assert_eq!(premium.typed::<UserCtx>().unwrap().user_id, 1);
}

#[test]
fn a_signature_moved_to_another_schema_is_rejected() {
    // Two schemas with the same fields: only their signature keys differ,
    // and the signature key is under the MAC.
    #[derive(Baggage, Debug, PartialEq)]
    #[baggage(prefix = "p.", signed = "p.sig_a")]
    struct A {
        x: u8,
    }
    #[derive(Baggage, Debug, PartialEq)]
    #[baggage(prefix = "p.", signed = "p.sig_b")]
    struct B {
        x: u8,
    }
    let cx = with_ring(ring_at(NOW)).with_typed(&A { x: 1 }).unwrap();
    assert_eq!(cx.typed::<A>().unwrap(), A { x: 1 });
    let moved = edit(&cx, "p.sig_b", get(&cx, "p.sig_a").as_deref());
    assert!(matches!(
        moved.typed::<B>(),
        Err(Error::Signature {
            problem: SignatureProblem::Mismatch,
            ..
        })
    ));
}

#[test]
fn a_new_field_must_reach_readers_before_writers() {
    // Two versions of one schema, as two services build it: the second
    // adds an optional field. The schema keeps its name, which is signed.
    mod v1 {
        use typed_baggage::Baggage;
        #[derive(Baggage, Debug, PartialEq)]
        #[baggage(prefix = "v.", signed)]
        pub struct Versioned {
            pub a: u8,
        }
    }
    mod v2 {
        use typed_baggage::Baggage;
        #[derive(Baggage, Debug, PartialEq)]
        #[baggage(prefix = "v.", signed)]
        pub struct Versioned {
            pub a: u8,
            pub b: Option<u8>,
        }
    }
    use v1::Versioned as V1;
    use v2::Versioned as V2;
    assert_eq!(V1::SCHEMA.name, V2::SCHEMA.name);
    let cx = with_ring(ring_at(NOW));
    // An old writer, a new reader: verifies.
    let old_writer = cx.with_typed(&V1 { a: 1 }).unwrap();
    assert_eq!(old_writer.typed::<V2>().unwrap(), V2 { a: 1, b: None });
    // A new writer that leaves the field out, an old reader: verifies.
    let new_writer = cx.with_typed(&V2 { a: 1, b: None }).unwrap();
    assert_eq!(new_writer.typed::<V1>().unwrap(), V1 { a: 1 });
    // A new writer that sets it, an old reader: cannot check it, rejects.
    let new_writer = cx.with_typed(&V2 { a: 1, b: Some(2) }).unwrap();
    assert!(matches!(
        new_writer.typed::<V1>(),
        Err(Error::Signature {
            problem: SignatureProblem::Mismatch,
            ..
        })
    ));
}

#[test]
fn swapping_values_between_members_is_rejected() {
    #[derive(Baggage, Debug, PartialEq)]
    #[baggage(prefix = "route.", signed)]
    struct Route {
        from: String,
        to: String,
    }
    let cx = with_ring(ring_at(NOW))
        .with_typed(&Route {
            from: "eu".into(),
            to: "us".into(),
        })
        .unwrap();
    let swapped = edit(&edit(&cx, "route.from", Some("us")), "route.to", Some("eu"));
    assert!(matches!(
        swapped.typed::<Route>(),
        Err(Error::Signature {
            problem: SignatureProblem::Mismatch,
            ..
        })
    ));
    assert_eq!(
        cx.typed::<Route>().unwrap(),
        Route {
            from: "eu".into(),
            to: "us".into()
        }
    );
}

#[test]
fn expiry_and_clock_skew() {
    let cx = signed(&user());
    let at = |now: u64| reread_with(&cx, ring_at(now));
    // max_age_secs = 300, default skew 60 s.
    assert!(at(NOW + 360).typed::<UserCtx>().is_ok());
    assert_eq!(
        problem(at(NOW + 361).typed()),
        SignatureProblem::Expired {
            age_secs: 361,
            max_age_secs: 300
        }
    );
    assert!(at(NOW - 60).typed::<UserCtx>().is_ok());
    assert_eq!(
        problem(at(NOW - 61).typed()),
        SignatureProblem::NotYetValid {
            ahead_secs: 61,
            skew_secs: 60
        }
    );
    // A ring with a shorter maximum age and no skew.
    let strict = ring_at(NOW + 31)
        .with_max_age(Duration::from_secs(30))
        .with_clock_skew(Duration::ZERO);
    assert_eq!(
        problem(reread_with(&cx, strict).typed()),
        SignatureProblem::Expired {
            age_secs: 31,
            max_age_secs: 30
        }
    );
    let err = at(NOW + 361).typed::<UserCtx>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "baggage key `app.sig` (the signature of schema `UserCtx`) has expired: it was issued \
         361 s ago, and at most 300 s are allowed"
    );
}

#[test]
fn rotation_accepts_old_and_new_keys_until_the_old_one_is_removed() {
    let old = secret(1);
    let new = secret(2);
    let clock = || UNIX_EPOCH + Duration::from_secs(NOW);
    let step0 = KeyRing::new(key("old", &old)).with_clock(clock);
    let step1 = KeyRing::new(key("old", &old))
        .with_verifying_key(key("new", &new))
        .unwrap()
        .with_clock(clock);
    let step2 = KeyRing::new(key("new", &new))
        .with_verifying_key(key("old", &old))
        .unwrap()
        .with_clock(clock);
    let step3 = KeyRing::new(key("new", &new)).with_clock(clock);

    let by_old = with_ring(step0).with_typed(&user()).unwrap();
    let by_new = with_ring(step2.clone()).with_typed(&user()).unwrap();
    assert!(get(&by_new, "app.sig").unwrap().starts_with("v1.new."));
    for ring in [step1.clone(), step2.clone()] {
        assert!(reread_with(&by_old, ring.clone())
            .typed::<UserCtx>()
            .is_ok());
        assert!(reread_with(&by_new, ring).typed::<UserCtx>().is_ok());
    }
    assert!(reread_with(&by_new, step3.clone())
        .typed::<UserCtx>()
        .is_ok());
    assert_eq!(
        problem(reread_with(&by_old, step3).typed()),
        SignatureProblem::UnknownKeyId {
            key_id: "old".into()
        }
    );
}

/// Percent-encodes `s` with every byte as `%XX`, a choice some peers could make.
fn encode_all(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

#[test]
fn header_order_and_percent_encoding_do_not_matter() {
    let cx = signed(&user())
        .with_typed(&Flags { new_checkout: true })
        .unwrap();
    let propagator = BaggagePropagator::new();
    let header = propagator.header_value(cx.baggage()).unwrap();
    let mut members: Vec<String> = header.split(',').map(str::to_owned).collect();
    members.reverse();
    // Re-encode every value byte by byte, as another SDK might.
    let reencoded: Vec<String> = members
        .iter()
        .map(|m| {
            let (k, v) = m.split_once('=').unwrap();
            let decoded = percent_decode(v);
            format!("{k}={}", encode_all(&decoded))
        })
        .collect();
    for header in [members.join(","), reencoded.join(" , ")] {
        let parsed = propagator.parse([header.as_str()]).unwrap();
        let read = reread_with(
            &Context::new().with_baggage(parsed_entries(&parsed)),
            ring_at(NOW),
        );
        assert_eq!(read.typed::<UserCtx>().unwrap(), user(), "{header}");
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn parsed_entries(b: &OtelBaggage) -> Vec<KeyValue> {
    b.iter()
        .map(|(k, (v, _))| KeyValue::new(k.clone(), v.to_string()))
        .collect()
}

#[test]
fn other_schemas_and_unrelated_entries_do_not_matter() {
    let cx = signed(&user())
        .with_typed(&Flags { new_checkout: true })
        .unwrap()
        .with_typed(&Account {
            id: 9,
            plan: "team".into(),
        })
        .unwrap();
    let cx = edit(&cx, "other.team", Some("payments"));
    assert_eq!(cx.typed::<UserCtx>().unwrap(), user());
    assert_eq!(cx.typed::<Account>().unwrap().id, 9);
    // Rewriting another schema, or removing it, leaves this one valid.
    let cx = cx
        .with_typed(&Flags {
            new_checkout: false,
        })
        .unwrap();
    let cx = cx.without_typed::<Account>();
    assert_eq!(get(&cx, "acct.signature"), None);
    assert_eq!(cx.typed::<UserCtx>().unwrap(), user());
    // A property added to a member is not covered (and not read).
    let mut b = OtelBaggage::new();
    for (k, (v, _)) in cx.baggage() {
        let _ = b.insert_with_metadata(k.clone(), v.clone(), "ttl=30");
    }
    assert_eq!(cx.with_baggage(b).typed::<UserCtx>().unwrap(), user());
}

#[test]
fn without_typed_removes_the_signature_and_rewriting_replaces_it() {
    let cx = signed(&user());
    let gone = cx.without_typed::<UserCtx>();
    assert_eq!(gone.baggage().len(), 0);
    let later = reread_with(&cx, ring_at(NOW + 10))
        .with_typed(&UserCtx {
            tier: Tier::Premium,
            ..user()
        })
        .unwrap();
    let sig = get(&later, "app.sig").unwrap();
    assert!(sig.starts_with(&format!("v1.k1.{}.", NOW + 10)), "{sig}");
    assert_eq!(later.typed::<UserCtx>().unwrap().tier, Tier::Premium);
}

#[test]
fn the_signature_counts_towards_the_limits() {
    #[derive(Baggage, Debug)]
    #[baggage(prefix = "s.", signed, max_bytes = 64)]
    struct Small {
        // A `String`: unbounded, so the budget is checked when written (a
        // bounded schema with its signature over budget does not compile).
        a: String,
    }
    // `s.a=1` takes 5 bytes, `s.sig=v1.k1.1767225600.<43 characters>` 66,
    // and the comma between them 1.
    let err = with_ring(ring_at(NOW))
        .with_typed(&Small { a: "1".into() })
        .unwrap_err();
    assert_eq!(
        err,
        Error::LimitExceeded {
            limit: Limit::SchemaBytes { schema: "Small" },
            size: 5 + 66 + 1,
            allowance: 64
        }
    );
}

#[test]
fn from_baggage_uses_the_ring_of_the_current_context() {
    let cx = signed(&user());
    let baggage = cx.baggage();
    {
        let _guard = with_ring(ring_at(NOW)).attach();
        assert_eq!(UserCtx::from_baggage(baggage).unwrap(), user());
    }
    {
        // Also from inside `map_current` (a nested read of the current context).
        let _guard = cx.clone().attach();
        let read = Context::map_current(|current| UserCtx::from_baggage(current.baggage()));
        assert_eq!(read.unwrap(), user());
    }
    {
        let _guard = with_ring(KeyRing::new(key("k1", &secret(1)))).attach();
        assert!(matches!(
            UserCtx::from_baggage(baggage),
            Err(Error::Signature {
                problem: SignatureProblem::Mismatch,
                ..
            })
        ));
    }
}

/// Everything about the process-wide ring in one test, as tests run in
/// parallel: the others carry their ring in the context, which wins.
#[test]
fn the_installed_ring_is_used_when_the_context_has_none() {
    assert!(KeyRing::installed().is_none());
    let err = Context::new().with_typed(&user()).unwrap_err();
    assert_eq!(
        err,
        Error::Signature {
            key: "app.sig".into(),
            schema: "UserCtx",
            problem: SignatureProblem::NoKeyRing
        }
    );
    assert_eq!(
        err.to_string(),
        "baggage key `app.sig` (the signature of schema `UserCtx`) cannot be made or checked: \
         no key ring is installed (`KeyRing::install`) or carried in the context"
    );
    let without_ring = Context::new().with_baggage(parsed_entries(signed(&user()).baggage()));
    assert_eq!(problem(without_ring.typed()), SignatureProblem::NoKeyRing);

    assert!(KeyRing::new(key("g1", &secret(5))).install().is_none());
    let cx = Context::new().with_typed(&user()).unwrap();
    assert!(get(&cx, "app.sig").unwrap().starts_with("v1.g1."));
    assert_eq!(cx.typed::<UserCtx>().unwrap(), user());
    assert_eq!(UserCtx::from_context(&cx).unwrap(), user());
    {
        let _guard = cx.clone().attach();
        assert_eq!(UserCtx::from_current().unwrap(), user());
    }
    // The context's ring wins over the installed one.
    assert_eq!(
        problem(reread_with(&cx, ring_at(NOW)).typed()),
        SignatureProblem::UnknownKeyId {
            key_id: "g1".into()
        }
    );
    // Installing again replaces it (rotation without a restart).
    let previous = KeyRing::new(key("g2", &secret(6)))
        .with_verifying_key(key("g1", &secret(5)))
        .unwrap()
        .install();
    assert_eq!(
        previous.map(|r| r.active_key_id().to_owned()).as_deref(),
        Some("g1")
    );
    assert_eq!(cx.typed::<UserCtx>().unwrap(), user());
    assert_eq!(
        KeyRing::uninstall()
            .map(|r| r.active_key_id().to_owned())
            .as_deref(),
        Some("g2")
    );
    assert!(KeyRing::installed().is_none());
}

#[test]
fn keys_never_show() {
    // `secret-key, kept out of messages`
    let secret_b64 = "c2VjcmV0LWtleSwga2VwdCBvdXQgb2YgbWVzc2FnZXM";
    let ring = KeyRing::parse(&format!("live:{secret_b64}")).unwrap();
    let shown = format!(
        "{ring:?} {:?}",
        SigningKey::from_base64("k", secret_b64).unwrap()
    );
    assert!(
        !shown.contains(secret_b64) && !shown.contains("secret-"),
        "{shown}"
    );
    assert!(shown.contains("<redacted>"));
    // The errors of a bad ring never echo an entry.
    for (text, err) in [
        (
            secret_b64.to_owned(),
            KeyError::NotAnEntry {
                origin: "the key ring text".into(),
                entry: 1,
            },
        ),
        (
            format!("{secret_b64}{secret_b64}:k1"),
            KeyError::InvalidKeyId {
                origin: "entry 1 of the key ring text".into(),
                reason: "it is longer than 32 characters",
            },
        ),
        (
            format!("k1:{secret_b64}!"),
            KeyError::InvalidBase64 {
                key_id: "k1".into(),
            },
        ),
        (
            "k1:c2hvcnQ".to_owned(),
            KeyError::TooShort {
                key_id: "k1".into(),
                len: 5,
                min: 32,
            },
        ),
        (
            format!("k1:{secret_b64},k1:{secret_b64}"),
            KeyError::DuplicateKeyId {
                key_id: "k1".into(),
            },
        ),
        (
            " , ".to_owned(),
            KeyError::Empty {
                origin: "the key ring text".into(),
            },
        ),
    ] {
        let got = KeyRing::parse(&text).unwrap_err();
        assert_eq!(got, err, "{text}");
        let message = format!("{got} {got:?}");
        assert!(!message.contains(secret_b64), "{message}");
    }
    // Nor does a signature error.
    let cx = with_ring(ring.clone()).with_typed(&user()).unwrap();
    let err = edit(&cx, "app.tier", Some("premium"))
        .typed::<UserCtx>()
        .unwrap_err();
    let message = format!("{err} {err:?}");
    assert!(!message.contains(secret_b64), "{message}");
    // And the baggage holds only the signature, never the key.
    for (_, (v, _)) in cx.baggage() {
        assert!(!v.as_str().contains(secret_b64));
    }
}

#[test]
fn key_rings_from_the_environment() {
    // A variable name no other test uses; set before any read of it.
    const VAR: &str = "TYPED_BAGGAGE_TEST_KEYS_FROM_ENV";
    assert_eq!(
        KeyRing::from_env(VAR).unwrap_err(),
        KeyError::EnvNotSet { var: VAR.into() }
    );
    let a = URL_SAFE_NO_PAD.encode(secret(1));
    let b =
        base64::engine::general_purpose::STANDARD.encode(&[secret(2), secret(3)].concat()[..48]);
    std::env::set_var(VAR, format!(" k2:{b},\n k1:{a} ,"));
    let ring = KeyRing::from_env(VAR).unwrap();
    assert_eq!(ring.key_ids().collect::<Vec<_>>(), ["k2", "k1"]);
    assert_eq!(ring.active_key_id(), "k2");
    std::env::set_var(VAR, "k1:AAAA");
    assert_eq!(
        KeyRing::from_env(VAR).unwrap_err().to_string(),
        "the key `k1` has 3 bytes, and at least 32 are needed: make one with `openssl rand \
         -base64 32`"
    );
    std::env::set_var(VAR, "");
    assert_eq!(
        KeyRing::from_env(VAR).unwrap_err().to_string(),
        format!(
            "the environment variable `{VAR}` holds no key: write the key ring as \
             `kid:base64key,kid2:base64key2` (the first key signs)"
        )
    );
    std::env::remove_var(VAR);
}

#[test]
fn signing_keys_are_checked() {
    assert_eq!(
        SigningKey::new("k1", &[0; 31]).unwrap_err(),
        KeyError::TooShort {
            key_id: "k1".into(),
            len: 31,
            min: 32
        }
    );
    assert!(SigningKey::new("k1", &SECRET).is_ok());
    // 32 zero bytes are long enough, but not a key (see `tests/signing_seams.rs`).
    assert_eq!(
        SigningKey::new("k1", &[0; 32]).unwrap_err(),
        KeyError::Weak {
            key_id: "k1".into(),
            weakness: Weakness::FewDistinctBytes {
                distinct: 1,
                min: 8
            }
        }
    );
    for bad in ["", "k.1", "k:1", "k 1", "ключ"] {
        assert!(
            matches!(
                SigningKey::new(bad, &SECRET),
                Err(KeyError::InvalidKeyId { .. })
            ),
            "{bad:?}"
        );
    }
    let ring = KeyRing::new(key("a", &secret(0)));
    assert_eq!(
        ring.with_verifying_key(key("a", &secret(1))).unwrap_err(),
        KeyError::DuplicateKeyId { key_id: "a".into() }
    );
}

#[cfg(feature = "tower")]
#[test]
fn an_allowlist_of_a_signed_schema_lets_its_signature_through() {
    let allow = typed_baggage::tower::Allowlist::new().schema::<UserCtx>();
    assert!(allow.allows("app.sig") && allow.allows("app.user_id"));
}

/// A signed schema derived where nothing from the prelude is what it seems
/// (the generated code names everything by absolute path).
#[deny(unused_qualifications, unused_results)]
#[allow(dead_code, non_camel_case_types)]
mod shadowed {
    pub struct Result;
    pub struct Option;
    pub struct Some;
    pub struct None;
    pub struct Ok;
    pub struct Err;
    pub struct String;
    pub struct str;
    pub mod core {}
    pub mod std {}
    pub mod typed_baggage {}

    #[derive(::typed_baggage::Baggage, Debug, PartialEq)]
    #[baggage(prefix = "h.", signed, max_age_secs = 60)]
    pub struct Ctx {
        pub id: u64,
        pub name: ::core::option::Option<::std::string::String>,
    }
}

#[test]
fn a_signed_schema_derives_in_a_module_that_shadows_the_prelude() {
    let value = shadowed::Ctx {
        id: 3,
        name: Some("n".into()),
    };
    let cx = with_ring(ring_at(NOW)).with_typed(&value).unwrap();
    assert_eq!(cx.typed::<shadowed::Ctx>().unwrap(), value);
    assert_eq!(
        shadowed::Ctx::SCHEMA.signature,
        Some(Signature {
            key: "h.sig",
            max_age_secs: Some(60),
            bind_trace: false
        })
    );
}

/// A value of the schema for property tests.
fn any_user() -> impl Strategy<Value = UserCtx> {
    (
        any::<u64>(),
        any::<bool>(),
        proptest::option::of(".{0,12}"),
        proptest::collection::vec(".{0,6}", 0..4),
        any::<u8>(),
    )
        .prop_map(|(user_id, premium, region, features, retries)| UserCtx {
            user_id,
            tier: if premium { Tier::Premium } else { Tier::Free },
            region,
            features,
            retries,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any change to any entry the signature covers, or to the signature,
    /// is detected: a value changed, an entry removed, an absent one added.
    #[test]
    fn any_change_to_a_signed_entry_is_detected(
        user in any_user(),
        which in 0usize..6,
        new_value in ".{0,16}",
        remove in any::<bool>(),
    ) {
        let cx = signed(&user);
        let keys = UserCtx::SCHEMA.keys();
        let key: &str = &keys[which];
        let old = get(&cx, key);
        prop_assume!(old.as_deref() != Some(new_value.as_str()) || remove);
        let changed = if remove && old.is_some() {
            edit(&cx, key, None)
        } else {
            prop_assume!(old.as_deref() != Some(new_value.as_str()));
            edit(&cx, key, Some(&new_value))
        };
        match changed.typed::<UserCtx>() {
            Err(Error::Signature { key: k, problem, .. }) => {
                prop_assert_eq!(k.as_ref(), "app.sig");
                prop_assert!(
                    matches!(
                        problem,
                        SignatureProblem::Mismatch
                            | SignatureProblem::Missing
                            | SignatureProblem::Malformed { .. }
                            | SignatureProblem::UnknownKeyId { .. }
                            | SignatureProblem::Expired { .. }
                            | SignatureProblem::NotYetValid { .. }
                    ),
                    "{:?}", problem
                );
                if key != "app.sig" {
                    prop_assert_eq!(problem, SignatureProblem::Mismatch);
                }
            }
            other => prop_assert!(false, "{key} changed to {new_value:?} (remove {remove}) was read: {other:?}"),
        }
    }

    /// Unrelated entries added or removed, and the order of the header,
    /// leave the signature valid and the value unchanged.
    #[test]
    fn unrelated_entries_do_not_break_the_signature(
        user in any_user(),
        extra in proptest::collection::btree_map("[a-z]{1,8}\\.[a-z]{1,8}", ".{0,12}", 0..8),
        drop_flags in any::<bool>(),
    ) {
        let base = with_ring(ring_at(NOW))
            .with_typed(&Flags { new_checkout: true })
            .unwrap()
            .with_typed(&user)
            .unwrap();
        let mut cx = if drop_flags { base.without_typed::<Flags>() } else { base };
        for (k, v) in &extra {
            if !UserCtx::SCHEMA.contains_key(k) {
                cx = edit(&cx, k, Some(v));
            }
        }
        // Through the header, in reverse order.
        let propagator = BaggagePropagator::new();
        let header = propagator.header_value(cx.baggage()).unwrap();
        let reversed: Vec<&str> = header.split(',').rev().collect();
        let parsed = propagator.parse([reversed.join(",").as_str()]).unwrap();
        let read = reread_with(&Context::new().with_baggage(parsed_entries(&parsed)), ring_at(NOW + 1));
        prop_assert_eq!(read.typed::<UserCtx>().unwrap(), user);
    }
}

/// The direct readers that skip building a baggage (`read_typed`,
/// `from_headers`) still verify a signed schema.
#[test]
fn direct_header_readers_verify_signed_schemas() {
    let cx = signed(&user());
    let header = BaggagePropagator::new().header_value(cx.baggage()).unwrap();
    let forged = header.replace("app.tier=free", "app.tier=premium");
    assert_ne!(forged, header);
    let _guard = with_ring(ring_at(NOW)).attach();
    let propagator = BaggagePropagator::new();
    assert_eq!(
        propagator
            .read_typed::<UserCtx, _>([header.as_str()])
            .unwrap(),
        user()
    );
    let err = propagator
        .read_typed::<UserCtx, _>([forged.as_str()])
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Signature {
                problem: SignatureProblem::Mismatch,
                ..
            }
        ),
        "{err}"
    );
    let mut headers = http::HeaderMap::new();
    headers.insert("baggage", forged.parse().unwrap());
    assert!(matches!(
        UserCtx::from_headers(&headers),
        Err(Error::Signature {
            problem: SignatureProblem::Mismatch,
            ..
        })
    ));
    headers.insert("baggage", header.parse().unwrap());
    assert_eq!(UserCtx::from_headers(&headers).unwrap(), user());
}
