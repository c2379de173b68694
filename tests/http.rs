//! `http::HeaderMap` helpers: typed reads, every header, hostile bytes.
#![cfg(feature = "http")]

#[path = "common/caller.rs"]
mod caller;

use std::collections::HashMap;

use caller::{caller_and_shard, Shard, CALLER_HEADER, FORGED_SHARD};
use http::{HeaderMap, HeaderValue};
use opentelemetry::baggage::BaggageExt;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::Context;
use typed_baggage::prelude::*;
use typed_baggage::propagation::BaggagePropagator;
use typed_baggage::Error;

#[derive(Baggage, Debug, PartialEq)]
#[baggage(prefix = "app.")]
struct UserCtx {
    user_id: u64,
    city: String,
}

#[test]
fn inject_then_from_headers_round_trips() {
    let user = UserCtx {
        user_id: 5,
        city: "São Paulo, 100% +".into(),
    };
    let mut headers = HeaderMap::new();
    headers.insert("baggage", HeaderValue::from_static("stale=1"));
    typed_baggage::http::inject(&Context::new().with_typed(&user).unwrap(), &mut headers);
    assert_eq!(headers.get_all("baggage").iter().count(), 1);
    assert_eq!(
        headers["baggage"],
        "app.city=S%C3%A3o%20Paulo%2C%20100%25%20%2B,app.user_id=5"
    );
    assert_eq!(UserCtx::from_headers(&headers).unwrap(), user);
}

#[test]
fn every_baggage_header_is_read() {
    let mut headers = HeaderMap::new();
    headers.append("baggage", HeaderValue::from_static("app.user_id=9"));
    headers.append("baggage", HeaderValue::from_static("app.city=Oslo"));
    assert_eq!(
        UserCtx::from_headers(&headers).unwrap(),
        UserCtx {
            user_id: 9,
            city: "Oslo".into()
        }
    );
}

/// Reads `value` as the `baggage` header, both ways: only `app.city` is
/// spoiled (one member dropped, and the one error of the typed read).
fn only_the_city_is_spoiled(value: &[u8]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.append("baggage", HeaderValue::from_bytes(value).unwrap());
    let propagator = typed_baggage::propagation::BaggagePropagator::new();
    let cx = typed_baggage::http::extract_with(&propagator, &Context::new(), &headers);
    assert_eq!(propagator.counters().extract_members_dropped(), 1);
    let mut keys: Vec<String> = cx.baggage().iter().map(|(k, _)| k.to_string()).collect();
    keys.sort();
    assert_eq!(keys, ["app.user_id", "other"]);
    let err = UserCtx::from_headers(&headers).unwrap_err();
    assert_eq!(err.keys().collect::<Vec<_>>(), ["app.city"]);
    headers
}

#[test]
fn a_header_with_raw_non_ascii_bytes_loses_only_the_spoiled_member() {
    only_the_city_is_spoiled(b"app.user_id=9,app.city=Z\xfcrich,other=1");
}

/// Raw UTF-8 (not visible ASCII, so not `HeaderValue::to_str`'s text, but
/// text all the same): the member that holds it is spoiled, as with bytes
/// that are not UTF-8, and the others are read.
#[test]
fn a_header_with_raw_utf8_loses_only_the_spoiled_member() {
    let mut headers = only_the_city_is_spoiled("app.user_id=9,app.city=Zürich,other=1".as_bytes());
    assert!(headers.get("baggage").unwrap().to_str().is_err());
    // Percent-encoded, the same city is read.
    headers.insert(
        "baggage",
        HeaderValue::from_static("app.user_id=9,app.city=Z%C3%BCrich"),
    );
    assert_eq!(UserCtx::from_headers(&headers).unwrap().city, "Zürich");
}

#[test]
fn no_header_means_no_baggage_and_a_missing_key_error() {
    let err = UserCtx::from_headers(&HeaderMap::new()).unwrap_err();
    assert_eq!(err.keys().collect::<Vec<_>>(), ["app.user_id", "app.city"]);
}

#[test]
fn a_local_schema_is_never_written_to_headers_nor_read_from_them() {
    let cx = caller_and_shard();
    let mut headers = HeaderMap::new();
    typed_baggage::http::inject(&cx, &mut headers);
    let sent: Vec<_> = headers
        .get_all("baggage")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(sent, [CALLER_HEADER]);

    // Any OpenTelemetry injector, through the propagator.
    let mut carrier: HashMap<String, String> = HashMap::new();
    BaggagePropagator::new().inject_context(&cx, &mut carrier);
    assert_eq!(
        carrier,
        HashMap::from([("baggage".to_owned(), CALLER_HEADER.to_owned())])
    );

    // What a client forges under the local schema's keys is refused by the
    // direct read, and never becomes the local entries of the context.
    let mut forged = HeaderMap::new();
    forged.insert(
        "baggage",
        HeaderValue::from_str(&format!("{FORGED_SHARD},{CALLER_HEADER}")).unwrap(),
    );
    assert_eq!(
        Shard::from_headers(&forged).unwrap_err(),
        Error::Local { schema: "Shard" }
    );
    let incoming = typed_baggage::http::extract(&forged);
    assert!(incoming.local_baggage().is_empty());
    assert_eq!(
        incoming.baggage().get("shard.id").map(|v| v.as_str()),
        Some("9")
    );
    let err = Shard::from_context(&incoming).unwrap_err();
    assert_eq!(err.keys().collect::<Vec<_>>(), ["shard.id", "shard.route"]);
}
