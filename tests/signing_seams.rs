//! Regression tests for three seams of signed schemas (issue 14, items 2, 9
//! and 10), each written as an attack through the public API:
//!
//! - a signature made for one schema presented as another schema with the
//!   same signature key and the same fields;
//! - a signed header captured in one trace and replayed in another, against
//!   a schema bound to the trace (`#[baggage(signed, bind_trace)]`);
//! - key rings loaded with keys of the right length and no entropy.

#[path = "common/wire.rs"]
mod wire;

use std::collections::HashMap;
use std::time::{Duration, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use opentelemetry::baggage::BaggageExt;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use typed_baggage::prelude::*;
use typed_baggage::propagation::BaggagePropagator;
use typed_baggage::schema::Signature;
use typed_baggage::signing::{
    check_distinct, KeyError, KeyRing, SchemaClash, SigningKey, Weakness,
};
use typed_baggage::{Error, SignatureProblem};
use wire::edit;

const NOW: u64 = 1_767_225_600; // 2026-01-01T00:00:00Z

/// A random key (`openssl rand -base64 32`).
const KEY_B64: &str = "nhw5DfT0KJTvrx4w5ryqM2AXNLg2OCQDt9JswZHQ5TQ";

/// A ring with the key `k1` whose clock reads `NOW`.
fn ring() -> KeyRing {
    KeyRing::new(SigningKey::from_base64("k1", KEY_B64).unwrap())
        .with_clock(|| UNIX_EPOCH + Duration::from_secs(NOW))
}

fn get(cx: &Context, key: &str) -> Option<String> {
    cx.baggage().get(key).map(|v| v.to_string())
}

// ---------------------------------------------------------------------------
// 1. A signature is bound to its schema.
// ---------------------------------------------------------------------------

/// A pass for an ordinary user...
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "acl.", signed, max_age_secs = 300)]
struct UserPass {
    user_id: u64,
    scope: String,
}

/// ... and one for an administrator: the same prefix, so the same
/// signature key `acl.sig`, and the same field names.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "acl.", signed, max_age_secs = 300)]
struct AdminPass {
    user_id: u64,
    scope: String,
}

#[test]
fn a_pass_signed_for_one_schema_does_not_verify_as_another_with_the_same_keys() {
    let pass = UserPass {
        user_id: 42,
        scope: "billing".into(),
    };
    let cx = Context::new().with_value(ring()).with_typed(&pass).unwrap();
    assert_eq!(cx.typed::<UserPass>().unwrap(), pass);
    // The attacker holds a genuine user pass and presents it, unchanged, to
    // a service that reads the administrator's schema.
    let err = cx.typed::<AdminPass>().unwrap_err();
    assert_eq!(
        err,
        Error::Signature {
            key: "acl.sig".into(),
            schema: "AdminPass",
            problem: SignatureProblem::Mismatch,
        }
    );
    let message = err.to_string();
    assert!(
        message.starts_with(
            "baggage key `acl.sig` (the signature of schema `AdminPass`) does not match"
        ),
        "{message}"
    );
    // Through the wire too: the header of the user pass read as the admin's.
    let propagator = BaggagePropagator::new();
    let header = propagator.header_value(cx.baggage()).unwrap();
    let _guard = Context::new().with_value(ring()).attach();
    assert_eq!(
        propagator
            .read_typed::<UserPass, _>([header.as_str()])
            .unwrap(),
        pass
    );
    assert!(matches!(
        propagator.read_typed::<AdminPass, _>([header.as_str()]),
        Err(Error::Signature {
            problem: SignatureProblem::Mismatch,
            schema: "AdminPass",
            ..
        })
    ));
}

#[test]
fn the_two_schemas_sign_the_same_entries_differently() {
    // Same entries, same key, same time: only the schema's name differs,
    // and so does the MAC.
    let cx = Context::new().with_value(ring());
    let user = cx
        .with_typed(&UserPass {
            user_id: 1,
            scope: "s".into(),
        })
        .unwrap();
    let admin = cx
        .with_typed(&AdminPass {
            user_id: 1,
            scope: "s".into(),
        })
        .unwrap();
    let (u, a) = (
        get(&user, "acl.sig").unwrap(),
        get(&admin, "acl.sig").unwrap(),
    );
    let prefix = format!("v1.k1.{NOW}.");
    assert!(u.starts_with(&prefix) && a.starts_with(&prefix), "{u} {a}");
    assert_ne!(u, a);
    // The admin's own signature verifies as the admin's.
    assert_eq!(admin.typed::<AdminPass>().unwrap().user_id, 1);
}

#[test]
fn check_distinct_names_the_schemas_that_share_a_signature_key() {
    assert_eq!(
        check_distinct(&[&UserPass::SCHEMA, &AdminPass::SCHEMA]),
        Err(SchemaClash::SharedSignatureKey {
            key: "acl.sig",
            first: "UserPass",
            second: "AdminPass",
        })
    );
    assert_eq!(
        check_distinct(&[&UserPass::SCHEMA, &AdminPass::SCHEMA])
            .unwrap_err()
            .to_string(),
        "the signed schemas `UserPass` and `AdminPass` both write their signature under the \
         baggage key `acl.sig`: expected one signature key per schema, found two schemas \
         sharing one (each would overwrite the other's signature in a baggage that carries \
         both); give one of them another `prefix`, or another key with `signed = \"...\"`"
    );
    // A schema listed twice is one schema; unsigned schemas and signed ones
    // with their own keys do not clash.
    #[derive(Baggage)]
    #[baggage(prefix = "ff.")]
    struct Flags {
        beta: bool,
    }
    #[derive(Baggage)]
    #[baggage(prefix = "acl.", signed = "acl.admin_sig")]
    struct Renamed {
        user_id: u64,
    }
    assert_eq!(
        check_distinct(&[
            &UserPass::SCHEMA,
            &Flags::SCHEMA,
            &UserPass::SCHEMA,
            &Renamed::SCHEMA
        ]),
        Ok(())
    );
    assert_eq!(check_distinct(&[]), Ok(()));
}

#[test]
fn check_distinct_finds_a_field_that_is_another_schemas_signature_key() {
    // An unsigned schema whose field `acl.sig` would overwrite the signature.
    #[derive(Baggage)]
    #[baggage(prefix = "acl.")]
    struct Diagnostics {
        sig: String,
    }
    let clash = check_distinct(&[&Diagnostics::SCHEMA, &UserPass::SCHEMA]).unwrap_err();
    assert_eq!(
        clash,
        SchemaClash::SignatureKeyIsAField {
            key: "acl.sig",
            signed: "UserPass",
            other: "Diagnostics",
        }
    );
    let message = clash.to_string();
    assert!(
        message.starts_with(
            "the baggage key `acl.sig` holds the signature of schema `UserPass` and is a field \
             of schema `Diagnostics`"
        ),
        "{message}"
    );
}

#[test]
fn same_named_schemas_in_two_modules_are_told_apart_only_by_check_distinct() {
    // Two types of the same name and signature key: the MAC covers the
    // name and the entries, which are equal, so their signatures are
    // interchangeable. This is what `check_distinct` is for.
    mod billing {
        use typed_baggage::Baggage;
        #[derive(Baggage, Debug, PartialEq)]
        #[baggage(prefix = "acl.", signed)]
        pub struct Pass {
            pub user_id: u64,
        }
    }
    mod admin {
        use typed_baggage::Baggage;
        #[derive(Baggage, Debug, PartialEq)]
        #[baggage(prefix = "acl.", signed, max_age_secs = 60)]
        pub struct Pass {
            pub user_id: u64,
        }
    }
    let cx = Context::new()
        .with_value(ring())
        .with_typed(&billing::Pass { user_id: 7 })
        .unwrap();
    assert_eq!(
        cx.typed::<admin::Pass>().unwrap(),
        admin::Pass { user_id: 7 }
    );
    assert_eq!(
        check_distinct(&[&billing::Pass::SCHEMA, &admin::Pass::SCHEMA]),
        Err(SchemaClash::SharedSignatureKey {
            key: "acl.sig",
            first: "Pass",
            second: "Pass",
        })
    );
}

// ---------------------------------------------------------------------------
// 2. Replay across traces.
// ---------------------------------------------------------------------------

/// A payment authorisation, valid only in the trace it was made in.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "pay.", signed, bind_trace, max_age_secs = 300)]
struct Payment {
    order_id: u64,
    amount_cents: u64,
}

/// The same schema, not bound to the trace.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "pay.", signed, max_age_secs = 300)]
struct Unbound {
    order_id: u64,
    amount_cents: u64,
}

const T1: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const T2: &str = "0af7651916cd43dd8448eb211c80319c";

/// A remote span context of trace `trace`, as extracted from a
/// `traceparent` header.
fn span_of(trace: &str) -> SpanContext {
    SpanContext::new(
        TraceId::from_hex(trace).unwrap(),
        SpanId::from_hex("00f067aa0ba902b7").unwrap(),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    )
}

/// A context in trace `trace`.
fn in_trace(trace: &str) -> Context {
    Context::new().with_remote_span_context(span_of(trace))
}

/// A context with the baggage of `cx` and the ring, and no trace.
fn baggage_only(cx: &Context) -> Context {
    let entries: Vec<KeyValue> = cx
        .baggage()
        .iter()
        .map(|(k, (v, _))| KeyValue::new(k.clone(), v.to_string()))
        .collect();
    Context::new().with_value(ring()).with_baggage(entries)
}

fn payment() -> Payment {
    Payment {
        order_id: 991,
        amount_cents: 12_500,
    }
}

/// The headers a service sends for `payment()` written in trace `trace`:
/// `traceparent` and `baggage`.
fn headers_in(trace: &str) -> HashMap<String, String> {
    let cx = in_trace(trace)
        .with_value(ring())
        .with_typed(&payment())
        .unwrap();
    let mut headers = HashMap::new();
    TraceContextPropagator::new().inject_context(&cx, &mut headers);
    BaggagePropagator::new().inject_context(&cx, &mut headers);
    headers
}

/// What a receiving service reads from `headers`, with the ring.
fn receive(headers: &HashMap<String, String>) -> Context {
    let cx = TraceContextPropagator::new().extract_with_context(&Context::new(), headers);
    BaggagePropagator::new()
        .extract_with_context(&cx, headers)
        .with_value(ring())
}

#[test]
fn bind_trace_is_in_the_schema_and_its_size_bound() {
    assert_eq!(
        Payment::SCHEMA.signature,
        Some(Signature {
            key: "pay.sig",
            max_age_secs: Some(300),
            bind_trace: true
        })
    );
    assert!(!Unbound::SCHEMA.signature.unwrap().bind_trace);
    // The trace id takes 32 hexadecimal digits and a `.` more.
    assert_eq!(
        Payment::MAX_ENCODED_LEN.unwrap() - Unbound::MAX_ENCODED_LEN.unwrap(),
        33
    );
}

#[test]
fn a_bound_signature_verifies_in_its_own_trace() {
    let cx = in_trace(T1)
        .with_value(ring())
        .with_typed(&payment())
        .unwrap();
    let sig = get(&cx, "pay.sig").unwrap();
    let parts: Vec<&str> = sig.split('.').collect();
    assert_eq!(parts.len(), 5, "{sig}");
    assert_eq!(&parts[..4], ["v1", "k1", "1767225600", T1]);
    assert_eq!(parts[4].len(), 43);
    // The wire length of the value is what the size bound counts on.
    assert!(sig.len() <= Payment::SCHEMA.signature.unwrap().max_value_len());
    assert_eq!(cx.typed::<Payment>().unwrap(), payment());
    // Through the wire, with `traceparent` propagated along with `baggage`.
    let headers = headers_in(T1);
    assert!(headers["traceparent"].contains(T1));
    let received = receive(&headers);
    assert_eq!(
        received.span().span_context().trace_id(),
        TraceId::from_hex(T1).unwrap()
    );
    assert_eq!(received.typed::<Payment>().unwrap(), payment());
    // `from_current` and `from_baggage` check against the current context.
    let _guard = received.clone().attach();
    assert_eq!(Payment::from_current().unwrap(), payment());
    assert_eq!(
        Payment::from_baggage(received.baggage()).unwrap(),
        payment()
    );
}

/// The error for a genuine signature made in `signed_in`, read in `read_in`.
fn other_trace(signed_in: &str, read_in: &str) -> Error {
    Error::Invalid {
        key: "pay.sig".into(),
        expected: format!(
            "a signature of schema `Payment` made in the trace it is read in, {read_in} (it is \
             signed with `bind_trace`)"
        )
        .into(),
        found: format!("a signature made in trace {signed_in}"),
        detail: Some(
            "the baggage was copied from another trace, or a hop started a new trace instead \
             of continuing this one: propagate the `traceparent` header along with `baggage`, \
             and read the schema in the context extracted from both"
                .into(),
        ),
    }
}

#[test]
fn a_bound_header_replayed_in_another_trace_is_rejected() {
    // The attacker captured the headers of a payment in trace T1, and sends
    // its `baggage` again, unchanged and well within the maximum age, in a
    // request of their own, trace T2.
    let captured = headers_in(T1);
    let mut replay = headers_in(T2);
    replay.insert("baggage".into(), captured["baggage"].clone());
    let err = receive(&replay).typed::<Payment>().unwrap_err();
    assert_eq!(err, other_trace(T1, T2));
    assert_eq!(err.key(), Some("pay.sig"));
    assert_eq!(
        err.to_string(),
        format!(
            "baggage key `pay.sig` has an invalid value: expected a signature of schema \
             `Payment` made in the trace it is read in, {T2} (it is signed with `bind_trace`), \
             found \"a signature made in trace {T1}\" (the baggage was copied from another \
             trace, or a hop started a new trace instead of continuing this one: propagate \
             the `traceparent` header along with `baggage`, and read the schema in the \
             context extracted from both)"
        )
    );
    // The same replay through the current context.
    {
        let _guard = receive(&replay).attach();
        assert_eq!(Payment::from_current().unwrap_err(), other_trace(T1, T2));
    }
    // The same baggage in its own trace still verifies.
    assert_eq!(receive(&captured).typed::<Payment>().unwrap(), payment());
}

#[test]
fn rewriting_the_trace_id_in_a_bound_signature_is_a_mismatch() {
    // The attacker writes T2 in place of T1 in the signature's value: the
    // trace id is under the MAC.
    let cx = in_trace(T1)
        .with_value(ring())
        .with_typed(&payment())
        .unwrap();
    let sig = get(&cx, "pay.sig").unwrap();
    let forged = edit(&cx, "pay.sig", Some(&sig.replace(T1, T2)));
    let in_t2 = forged.with_remote_span_context(span_of(T2));
    assert_eq!(
        in_t2.typed::<Payment>().unwrap_err(),
        Error::Signature {
            key: "pay.sig".into(),
            schema: "Payment",
            problem: SignatureProblem::Mismatch,
        }
    );
    // Or removes it, so that it looks like a signature of no trace.
    let stripped = edit(&cx, "pay.sig", Some(&sig.replace(&format!("{T1}."), "")));
    let in_t2 = stripped.with_remote_span_context(span_of(T2));
    assert!(matches!(
        in_t2.typed::<Payment>(),
        Err(Error::Signature {
            problem: SignatureProblem::Malformed {
                detail: "it has no trace id, and the schema is signed with `bind_trace`: \
                         expected `v1.<key id>.<issued>.<trace id>.<MAC>`",
                ..
            },
            ..
        })
    ));
}

#[test]
fn an_unbound_signature_does_not_pass_for_a_bound_one() {
    // A signature of the same name, prefix and fields but not bound (made
    // with no trace) is neither accepted by the bound schema nor the other
    // way round.
    #[derive(Baggage, Debug, Clone, PartialEq)]
    #[baggage(prefix = "pay.", signed)]
    struct Payment {
        order_id: u64,
        amount_cents: u64,
    }
    let unbound = in_trace(T1)
        .with_value(ring())
        .with_typed(&Payment {
            order_id: 991,
            amount_cents: 12_500,
        })
        .unwrap();
    assert!(matches!(
        unbound.typed::<self::Payment>(),
        Err(Error::Signature {
            problem: SignatureProblem::Malformed { .. },
            ..
        })
    ));
    let bound = in_trace(T1)
        .with_value(ring())
        .with_typed(&payment())
        .unwrap();
    assert!(matches!(
        bound.typed::<Payment>(),
        Err(Error::Signature {
            problem: SignatureProblem::Malformed {
                detail: "it has a trace id, and the schema is not signed with `bind_trace`: \
                         expected `v1.<key id>.<issued>.<MAC>`",
                ..
            },
            ..
        })
    ));
}

#[test]
fn binding_needs_a_trace_on_both_sides() {
    // Writing: no span context, nothing to bind to.
    let err = Context::new()
        .with_value(ring())
        .with_typed(&payment())
        .unwrap_err();
    assert_eq!(
        err,
        Error::Invalid {
            key: "pay.sig".into(),
            expected: "a trace to bind the signature of schema `Payment` to (it is signed with \
                       `bind_trace`)"
                .into(),
            found: "no trace".into(),
            detail: Some(
                "the context written to has no valid span context: start a span, or extract \
                 `traceparent`, before `with_typed`"
                    .into()
            ),
        }
    );
    // An invalid span context (all-zero trace id) is no trace either.
    let invalid = Context::new()
        .with_remote_span_context(SpanContext::empty_context())
        .with_value(ring());
    assert_eq!(invalid.with_typed(&payment()).unwrap_err(), err);

    // Reading: a hop dropped `traceparent`, so the reader has no trace.
    let mut headers = headers_in(T1);
    assert!(headers.remove("traceparent").is_some());
    let err = receive(&headers).typed::<Payment>().unwrap_err();
    assert_eq!(
        err,
        Error::Invalid {
            key: "pay.sig".into(),
            expected: format!(
                "a signature of schema `Payment` read in the trace it was made in, {T1} (it is \
                 signed with `bind_trace`)"
            )
            .into(),
            found: "no trace".into(),
            detail: Some(
                "the context read from has no valid span context: propagate the `traceparent` \
                 header along with `baggage`, and read the schema in the context extracted \
                 from both"
                    .into()
            ),
        }
    );
    assert!(err.to_string().contains("no valid span context"), "{err}");
}

#[test]
fn a_tampered_bound_signature_is_a_mismatch_before_anything_about_traces() {
    // In the wrong trace *and* tampered: the MAC is checked first, so the
    // message never vouches for a trace id that a forger wrote.
    let cx = in_trace(T1)
        .with_value(ring())
        .with_typed(&payment())
        .unwrap();
    let tampered = edit(&cx, "pay.amount_cents", Some("1"));
    for read in [
        tampered.with_remote_span_context(span_of(T2)),
        baggage_only(&tampered),
    ] {
        assert_eq!(
            read.typed::<Payment>().unwrap_err(),
            Error::Signature {
                key: "pay.sig".into(),
                schema: "Payment",
                problem: SignatureProblem::Mismatch,
            }
        );
    }
}

// ---------------------------------------------------------------------------
// 3. Weak keys.
// ---------------------------------------------------------------------------

/// Every weak key of the test, with the rule it breaks.
fn weak_keys() -> Vec<(&'static str, Vec<u8>, Weakness)> {
    let random16: Vec<u8> = STANDARD
        .decode("4eiNAc2Rmmbo7Adka/PhQTFCGKoIfred9625L8vQ/3I=")
        .unwrap()[..16]
        .to_vec();
    vec![
        (
            "32 zero bytes",
            vec![0; 32],
            Weakness::FewDistinctBytes {
                distinct: 1,
                min: 8,
            },
        ),
        (
            "32 times 0xff",
            vec![0xff; 32],
            Weakness::FewDistinctBytes {
                distinct: 1,
                min: 8,
            },
        ),
        (
            "64 times the same byte",
            vec![b'k'; 64],
            Weakness::FewDistinctBytes {
                distinct: 1,
                min: 8,
            },
        ),
        (
            "one bit set",
            {
                let mut k = vec![0; 32];
                k[5] = 1;
                k
            },
            Weakness::FewDistinctBytes {
                distinct: 2,
                min: 8,
            },
        ),
        (
            "`abcd` repeated",
            b"abcd".repeat(8),
            Weakness::FewDistinctBytes {
                distinct: 4,
                min: 8,
            },
        ),
        (
            "`passwd12` repeated",
            b"passwd12".repeat(4),
            // 7 distinct bytes: `s` twice.
            Weakness::FewDistinctBytes {
                distinct: 7,
                min: 8,
            },
        ),
        (
            "`Pa55w0rd!` repeated",
            b"Pa55w0rd!".repeat(4),
            Weakness::Repeats { period: 9 },
        ),
        (
            "16 random bytes written twice",
            random16.repeat(2),
            Weakness::Repeats { period: 16 },
        ),
        (
            "0, 1, 2, ..., 31",
            (0..32).collect(),
            Weakness::Run {
                same: 31,
                steps: 31,
            },
        ),
        (
            "255, 254, ..., 224",
            (0..32).map(|i| 255 - i).collect(),
            Weakness::Run {
                same: 31,
                steps: 31,
            },
        ),
        (
            "the alphabet",
            b"abcdefghijklmnopqrstuvwxyzABCDEF".to_vec(),
            Weakness::Run {
                same: 30,
                steps: 31,
            },
        ),
        (
            "20 zero bytes and 12 random ones",
            {
                let mut k = vec![0; 20];
                k.extend_from_slice(&random16[..12]);
                k
            },
            Weakness::Run {
                same: 19,
                steps: 31,
            },
        ),
    ]
}

#[test]
fn weak_keys_are_refused_from_bytes_and_say_why_without_the_key() {
    for (what, secret, weakness) in weak_keys() {
        let err = SigningKey::new("live-2026", &secret).unwrap_err();
        assert_eq!(
            err,
            KeyError::Weak {
                key_id: "live-2026".into(),
                weakness
            },
            "{what}"
        );
        let message = format!("{err} {err:?}");
        assert!(
            message.starts_with("the key `live-2026` is too weak: "),
            "{what}: {message}"
        );
        assert!(
            message.contains("make a random one with `openssl rand -base64 32`"),
            "{what}: {message}"
        );
        for shown in [
            STANDARD.encode(&secret),
            URL_SAFE_NO_PAD.encode(&secret),
            secret
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
            format!("{secret:?}"),
        ] {
            assert!(!message.contains(&shown), "{what}: {message}");
        }
        // From base64 too.
        assert_eq!(
            SigningKey::from_base64("live-2026", &STANDARD.encode(&secret)).unwrap_err(),
            err,
            "{what}"
        );
    }
    assert_eq!(
        SigningKey::new("k1", &[0; 32]).unwrap_err().to_string(),
        "the key `k1` is too weak: it has 1 distinct byte value, and at least 8 are needed (a \
         random 32-byte key has about 30); make a random one with `openssl rand -base64 32` \
         (the key is not shown)"
    );
    assert_eq!(
        SigningKey::new("k1", &b"Pa55w0rd!".repeat(4))
            .unwrap_err()
            .to_string(),
        "the key `k1` is too weak: it is a pattern of 9 bytes repeated, and a key must not \
         repeat a pattern of at most half its length; make a random one with `openssl rand \
         -base64 32` (the key is not shown)"
    );
    assert_eq!(
        SigningKey::new("k1", &(0..32).collect::<Vec<u8>>())
            .unwrap_err()
            .to_string(),
        "the key `k1` is too weak: 31 of its 31 steps from one byte to the next are the same \
         (a run such as 0, 1, 2, 3, or long stretches of one byte), and at most half may be; \
         make a random one with `openssl rand -base64 32` (the key is not shown)"
    );
}

#[test]
fn weak_keys_are_refused_from_the_environment() {
    // A variable no other test uses.
    const VAR: &str = "TYPED_BAGGAGE_TEST_WEAK_KEYS";
    let good = KEY_B64;
    for (what, secret, weakness) in weak_keys() {
        let weak = STANDARD.encode(&secret);
        // As the signing key, and as a verifying key after a good one.
        for (text, key_id) in [
            (format!("zero:{weak}"), "zero"),
            (format!("k2:{good},\n old:{weak}"), "old"),
        ] {
            std::env::set_var(VAR, &text);
            let err = KeyRing::from_env(VAR).unwrap_err();
            assert_eq!(
                err,
                KeyError::Weak {
                    key_id: key_id.into(),
                    weakness
                },
                "{what}"
            );
            let message = format!("{err} {err:?}");
            assert!(!message.contains(&weak), "{what}: {message}");
            assert_eq!(KeyRing::parse(&text).unwrap_err(), err, "{what}");
        }
    }
    std::env::set_var(VAR, format!("k2:{good}"));
    assert_eq!(KeyRing::from_env(VAR).unwrap().active_key_id(), "k2");
    std::env::remove_var(VAR);
}

/// SplitMix64, a fixed-seed generator: the same "random" keys on every run.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn key(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next().to_le_bytes());
        }
        out.truncate(len);
        out
    }
}

#[test]
fn random_keys_still_load() {
    // Keys made with `openssl rand -base64 32` and `-base64 48`.
    for b64 in [
        "4eiNAc2Rmmbo7Adka/PhQTFCGKoIfred9625L8vQ/3I=",
        "nhw5DfT0KJTvrx4w5ryqM2AXNLg2OCQDt9JswZHQ5TQ=",
        "tc8ARuHhthq3wF3GF//1iZxURd2y3wWfjKDOHbgHDNU=",
        "DZ9TzZGSF+ET6Mgb35hQB1LnNG8Gy/BUL1Os7imvjCA=",
    ] {
        let key = SigningKey::from_base64("k1", b64);
        assert!(key.is_ok(), "{b64}: {key:?}");
    }
    // And 20 000 keys of 32 and 64 bytes from a fixed-seed generator: none
    // is refused (the rules refuse a random key with a probability below
    // 2^-80).
    let mut rng = SplitMix64(0x7970_6564_2d62_6167);
    let mut loaded = 0;
    for len in [32, 64] {
        for i in 0..10_000 {
            let secret = rng.key(len);
            match SigningKey::new("k1", &secret) {
                Ok(_) => loaded += 1,
                Err(e) => panic!("random key {i} of {len} bytes refused: {e}"),
            }
        }
    }
    assert_eq!(loaded, 20_000);
    // A ring from the environment of random keys, and it signs and verifies.
    let text = format!(
        "a:{},b:{}",
        URL_SAFE_NO_PAD.encode(rng.key(32)),
        STANDARD.encode(rng.key(48))
    );
    let ring = KeyRing::parse(&text).unwrap();
    assert_eq!(ring.key_ids().collect::<Vec<_>>(), ["a", "b"]);
    let cx = Context::new()
        .with_value(ring)
        .with_typed(&UserPass {
            user_id: 1,
            scope: "s".into(),
        })
        .unwrap();
    assert_eq!(cx.typed::<UserPass>().unwrap().user_id, 1);
}
