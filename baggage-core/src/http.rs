//! `http::HeaderMap` helpers: carry a context's baggage on HTTP headers.
//!
//! ```
//! use typed_baggage::prelude::*;
//! use opentelemetry::Context;
//!
//! #[derive(Baggage, Debug, PartialEq)]
//! #[baggage(prefix = "app.")]
//! struct UserCtx { user_id: u64, region: String }
//!
//! // client side
//! let cx = Context::new().with_typed(&UserCtx { user_id: 7, region: "eu west".into() })?;
//! let mut headers = http::HeaderMap::new();
//! typed_baggage::http::inject(&cx, &mut headers);
//! let header = headers["baggage"].to_str().unwrap();
//! assert!(header.contains("app.region=eu%20west"));
//!
//! // server side
//! assert_eq!(UserCtx::from_headers(&headers)?, UserCtx { user_id: 7, region: "eu west".into() });
//! # Ok::<(), typed_baggage::Error>(())
//! ```

use std::borrow::Cow;

use http::header::{HeaderMap, HeaderName, HeaderValue};
use opentelemetry::baggage::BaggageExt;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::Context;

use crate::propagation::BaggagePropagator;
use crate::read::CarrierValue;

/// The header baggage travels on.
pub const BAGGAGE_HEADER: HeaderName = HeaderName::from_static("baggage");

/// The propagator the helpers of this module and the tower layers use
/// unless given another: the process-wide one, shared by every carrier
/// (see [`crate::propagation::default_propagator`]).
///
/// ```
/// let counters = typed_baggage::http::default_propagator().counters();
/// let _dropped_so_far = counters.extract_members_dropped();
/// ```
pub fn default_propagator() -> &'static BaggagePropagator {
    crate::propagation::default_propagator()
}

/// Writes the baggage of `cx` to `headers` with the W3C propagator
/// (replacing any `baggage` header already there; none is written for
/// empty baggage).
pub fn inject(cx: &Context, headers: &mut HeaderMap) {
    inject_with(default_propagator(), cx, headers);
}

/// [`inject`] with a configured propagator.
pub fn inject_with(propagator: &BaggagePropagator, cx: &Context, headers: &mut HeaderMap) {
    let _ = headers.remove(&BAGGAGE_HEADER);
    propagator.inject_context(cx, &mut HeaderInjector(headers));
}

/// Reads the baggage of `headers` into a copy of the current context.
pub fn extract(headers: &HeaderMap) -> Context {
    Context::map_current(|cx| extract_with_context(cx, headers))
}

/// Reads the baggage of `headers` into a copy of `cx`.
pub fn extract_with_context(cx: &Context, headers: &HeaderMap) -> Context {
    extract_with(default_propagator(), cx, headers)
}

/// [`extract_with_context`] with a configured propagator.
///
/// The same as the propagator's `extract_with_context` on a
/// [`HeaderExtractor`], through the one read pipeline of the crate: the
/// size limit counts the bytes as they came (a byte that is not UTF-8 is
/// one byte, though it is read as the three-byte U+FFFD), headers over the
/// limits are rejected from their lengths and raw bytes alone, never
/// copied, and only values that hold a list-member are read as text. So
/// the work is bounded: at most 8192 bytes are ever read or copied,
/// whatever the request holds.
pub fn extract_with(propagator: &BaggagePropagator, cx: &Context, headers: &HeaderMap) -> Context {
    let values = headers.get_all(&BAGGAGE_HEADER);
    match propagator.extract_values(|| values.iter()) {
        Some(baggage) => cx.with_baggage(baggage),
        None => cx.clone(),
    }
}

/// Reads `T` from every `baggage` header of `headers` with `propagator`,
/// through the read pipeline's direct mode: the same answer as
/// `T::from_context` on [`extract_with`]'s context.
pub(crate) fn read_typed<T: crate::Baggage>(
    propagator: &BaggagePropagator,
    headers: &HeaderMap,
) -> Result<T, crate::Error> {
    let values = headers.get_all(&BAGGAGE_HEADER);
    propagator.read_values(|| values.iter())
}

/// A header value as the read pipeline takes it: its raw bytes, and its
/// text borrowed when they are UTF-8, as for any raw bytes (the usual
/// `baggage` header is visible ASCII). `HeaderValue::to_str` would check
/// each byte for visible ASCII, a second walk before the parse checks
/// every value byte against the baggage grammar anyway; where it fails on
/// UTF-8 bytes, the lossy text is that same text.
impl<'h> CarrierValue<'h> for &'h HeaderValue {
    #[inline]
    fn bytes(self) -> &'h [u8] {
        self.as_bytes()
    }
    #[inline]
    fn borrowed_text(self) -> Option<&'h str> {
        self.as_bytes().borrowed_text()
    }
}

/// Writes into an [`http::HeaderMap`]; a value that is not a valid header
/// value is not written (the propagator writes only visible ASCII).
#[derive(Debug)]
pub struct HeaderInjector<'a>(pub &'a mut HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::try_from(value),
        ) {
            let _ = self.0.insert(name, value);
        }
    }
}

/// Reads from an [`http::HeaderMap`], every value of a repeated header.
///
/// Unlike `opentelemetry-http`'s extractor, a header value with bytes that
/// are not visible ASCII is not silently skipped: it is read lossily (each
/// invalid byte as U+FFFD), so that the propagator sees it, drops the
/// members it spoils, and counts and logs the drop.
///
/// To read baggage from a `HeaderMap`, prefer [`extract_with`]: it measures
/// the limits on the raw bytes and never copies an oversize header, while
/// this extractor converts every `baggage` value up front.
#[derive(Debug)]
pub struct HeaderExtractor<'a> {
    headers: &'a HeaderMap,
    baggage: Vec<Cow<'a, str>>,
}

impl<'a> HeaderExtractor<'a> {
    /// Wraps `headers`.
    pub fn new(headers: &'a HeaderMap) -> Self {
        let baggage = headers
            .get_all(&BAGGAGE_HEADER)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()))
            .collect();
        HeaderExtractor { headers, baggage }
    }
}

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        if key.eq_ignore_ascii_case(BAGGAGE_HEADER.as_str()) {
            return self.baggage.first().map(|v| v.as_ref());
        }
        self.headers.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.headers.keys().map(HeaderName::as_str).collect()
    }

    fn get_all(&self, key: &str) -> Option<Vec<&str>> {
        if key.eq_ignore_ascii_case(BAGGAGE_HEADER.as_str()) {
            if self.baggage.is_empty() {
                return None;
            }
            return Some(self.baggage.iter().map(|v| v.as_ref()).collect());
        }
        let all: Vec<&str> = self
            .headers
            .get_all(key)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        (!all.is_empty()).then_some(all)
    }
}
