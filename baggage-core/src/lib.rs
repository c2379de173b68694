//! Runtime of [typed-baggage](https://docs.rs/typed-baggage): the traits that
//! `#[derive(Baggage)]` implements, the value codecs, the typed
//! [`opentelemetry::Context`] extension, the W3C limits and the one
//! [`Error`] type.
//!
//! Users depend on `typed-baggage`, which re-exports everything here along
//! with the derive; this crate has no proc-macro dependency.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod context;
mod error;
pub mod limits;
pub mod schema;
mod value;
pub mod wire;

#[cfg(feature = "propagation")]
pub mod propagation;

#[cfg(feature = "http")]
pub mod http;

#[cfg(feature = "tower")]
pub mod tower;

#[cfg(feature = "axum")]
pub mod axum;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use context::BaggageContextExt;
pub use error::{Error, Limit, FOUND_EXCERPT_BYTES};
pub use schema::Schema;
pub use value::{BaggageField, BaggageValue, ValueError};

use opentelemetry::baggage::{Baggage as OtelBaggage, BaggageExt};
use opentelemetry::{Context, KeyValue};

/// A typed baggage schema: a struct whose fields are baggage entries.
///
/// Implemented by `#[derive(Baggage)]` on a struct with named fields; see the
/// crate documentation of `typed-baggage` for the attributes.
///
/// ```
/// use typed_baggage::prelude::*;
/// use opentelemetry::Context;
///
/// #[derive(Baggage, Debug, PartialEq)]
/// #[baggage(prefix = "app.")]
/// struct UserCtx { user_id: u64, is_premium: bool }
///
/// let user = UserCtx { user_id: 12345, is_premium: true };
/// let _guard = Context::current().with_typed(&user)?.attach();
/// // anywhere downstream, on this thread or in a future that carries the context:
/// assert_eq!(UserCtx::from_current()?, user);
/// # Ok::<(), typed_baggage::Error>(())
/// ```
pub trait Baggage: Sized {
    /// The keys, types, formats and docs of this schema, as data.
    const SCHEMA: Schema;

    /// Reads the schema from an OpenTelemetry baggage. Keys that belong to
    /// no field are ignored; every bad field is reported (several as
    /// [`Error::Multiple`]).
    #[inline]
    fn from_baggage(baggage: &OtelBaggage) -> Result<Self, Error> {
        __private::decode_baggage(baggage)
    }

    /// Reads the schema from a context's baggage.
    #[inline]
    fn from_context(cx: &Context) -> Result<Self, Error> {
        Self::from_baggage(cx.baggage())
    }

    /// Reads the schema from the current context's baggage.
    #[inline]
    fn from_current() -> Result<Self, Error> {
        Context::map_current(Self::from_context)
    }

    /// The fields as typed OpenTelemetry attributes, for spans and logs:
    /// integers that fit as `i64`, floats as `f64`, `bool` as `bool`,
    /// vectors as string arrays, everything else as strings. Absent
    /// `Option`s are left out.
    ///
    /// ```
    /// use typed_baggage::prelude::*;
    /// use opentelemetry::{KeyValue, Value};
    ///
    /// #[derive(Baggage)]
    /// struct Ctx { user_id: u64, beta: bool, region: Option<String> }
    ///
    /// let kv: Vec<KeyValue> = Ctx { user_id: 7, beta: true, region: None }.key_values().collect();
    /// assert_eq!(kv, [KeyValue::new("user_id", 7i64), KeyValue::new("beta", true)]);
    /// ```
    fn key_values(&self) -> KeyValues;

    /// Reads the schema straight from HTTP headers (every `baggage` header,
    /// by the W3C rules of [`propagation::BaggagePropagator`]).
    ///
    /// This trusts the headers: at an edge facing the internet, read typed
    /// baggage through [`tower::BaggageLayer`] and its inbound policy instead.
    ///
    /// The result is that of [`from_context`](Self::from_context) on the
    /// context [`http::extract_with_context`] makes of the headers, without
    /// building that context: only the schema's values are copied
    /// ([`propagation::BaggagePropagator::read_typed`]).
    #[cfg(feature = "http")]
    fn from_headers(headers: &::http::HeaderMap) -> Result<Self, Error> {
        http::read_typed(http::default_propagator(), headers)
    }

    #[doc(hidden)]
    fn __decode<L: __private::Lookup + ?Sized>(source: &L) -> Result<Self, Error>;

    #[doc(hidden)]
    fn __encode(&self, entries: &mut __private::Entries);
}

/// The iterator [`Baggage::key_values`] returns.
#[derive(Debug)]
pub struct KeyValues(std::vec::IntoIter<KeyValue>);

impl Iterator for KeyValues {
    type Item = KeyValue;

    #[inline]
    fn next(&mut self) -> Option<KeyValue> {
        self.0.next()
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl ExactSizeIterator for KeyValues {}
