//! Runtime of [typed-baggage](https://docs.rs/typed-baggage): the traits that
//! `#[derive(Baggage)]` implements, the value codecs, the typed
//! [`opentelemetry::Context`] extension, the W3C limits and the one
//! [`Error`] type.
//!
//! Users depend on `typed-baggage`, which re-exports everything here along
//! with the derive; this crate has no proc-macro dependency.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// No panic that input can reach: library code has no `unwrap`, `expect` or
// slice indexing (unit tests may use them).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod bounds;
mod checks;
mod context;
mod decode;
mod encode;
mod error;
mod keys;
pub mod limits;
pub mod schema;
mod signature;
#[cfg(test)]
mod test_schemas;
mod value;
pub mod wire;

#[cfg(feature = "propagation")]
pub mod propagation;

#[cfg(feature = "propagation")]
pub mod policy;

#[cfg(feature = "propagation")]
mod intern;

#[cfg(feature = "propagation")]
mod read;

#[cfg(feature = "propagation")]
mod report;

#[cfg(feature = "propagation")]
pub mod metrics;

#[cfg(feature = "propagation")]
pub mod attributes;

#[cfg(feature = "http")]
pub mod http;

#[cfg(feature = "messages")]
pub mod messages;

#[cfg(feature = "nats")]
pub mod nats;

#[cfg(feature = "env")]
pub mod env;

#[cfg(feature = "tower")]
pub mod tower;

#[cfg(feature = "axum")]
pub mod axum;

#[cfg(feature = "grpc")]
pub mod grpc;

#[cfg(feature = "reqwest")]
pub mod reqwest;

#[cfg(feature = "sdk")]
pub mod sdk;

#[cfg(feature = "tracing")]
pub mod tracing_fmt;

#[cfg(feature = "signing")]
pub mod signing;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use context::BaggageContextExt;
pub use error::{Error, Limit, SignatureProblem, DETAIL_EXCERPT_BYTES, FOUND_EXCERPT_BYTES};
pub use schema::Schema;
pub use value::{BaggageField, BaggageValue, LowCardinality, ValueError};

use opentelemetry::baggage::Baggage as OtelBaggage;
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
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a baggage schema",
    label = "not a baggage schema",
    note = "a schema is a struct with named fields and `#[derive(Baggage)]`"
)]
pub trait Baggage: Sized {
    /// The keys, types, formats and docs of this schema, as data.
    const SCHEMA: Schema;

    /// The most bytes this schema's own entries can take on the wire, if
    /// every field is bounded (see [`Schema::max_encoded_len`]). With a
    /// `max_bytes` budget, a bounded schema that could exceed it is a
    /// compile error; an unbounded one is checked when it is written.
    const MAX_ENCODED_LEN: Option<usize> = Self::SCHEMA.max_encoded_len();

    /// Reads the schema from an OpenTelemetry baggage. Keys that belong to
    /// no field are ignored; every bad field is reported (several as
    /// [`Error::Multiple`]).
    ///
    /// A signed schema (`#[baggage(signed)]`) is read only if its signature
    /// verifies ([`Error::Signature`] otherwise), with the key ring of the
    /// current context, or else the installed one (see `signing`).
    #[inline]
    fn from_baggage(baggage: &OtelBaggage) -> Result<Self, Error> {
        if let Some(sig) = Self::SCHEMA.signature {
            Context::map_current(|cx| signature::verify(&Self::SCHEMA, sig, cx, baggage))?;
        }
        decode::decode_baggage(baggage)
    }

    /// Reads the schema from a context's baggage.
    ///
    /// A signed schema (`#[baggage(signed)]`) is read only if its signature
    /// verifies ([`Error::Signature`] otherwise), with the key ring that
    /// `cx` carries, or else the installed one (see `signing`).
    ///
    /// A local schema (`#[baggage(local)]`) is read from the context's
    /// local entries ([`BaggageContextExt::local_baggage`]), never from its
    /// baggage: what a client sent cannot pass for it.
    #[inline]
    fn from_context(cx: &Context) -> Result<Self, Error> {
        let baggage = context::entries_in(&Self::SCHEMA, cx);
        if let Some(sig) = Self::SCHEMA.signature {
            signature::verify(&Self::SCHEMA, sig, cx, baggage)?;
        }
        decode::decode_baggage(baggage)
    }

    /// Reads the schema from the current context's baggage.
    #[inline]
    fn from_current() -> Result<Self, Error> {
        Context::map_current(Self::from_context)
    }

    /// The fields as typed OpenTelemetry attributes, named by their keys,
    /// in field order, for any telemetry recorded by hand:
    ///
    /// | field type | attribute value |
    /// |---|---|
    /// | integers | `i64` when the value fits, else its decimal text (a `u64` above `i64::MAX`, a large `i128`/`u128`) |
    /// | `f32`, `f64` | `f64` (an `f32` as the `f64` its shortest text names: `0.1`, not `0.10000000149011612`) |
    /// | `bool` | `bool` |
    /// | `Vec<T>` | an array of strings, each element's entry text |
    /// | `String`, `char`, enums, `from_str` and `with` fields | the entry text, a string |
    /// | `Option<T>` | as `T`; left out when `None` |
    ///
    /// The span and log processors of the `sdk` feature give the same
    /// attributes, read from the baggage.
    ///
    /// ```
    /// use typed_baggage::prelude::*;
    /// use opentelemetry::{Array, KeyValue, Value};
    ///
    /// #[derive(Baggage, Clone, Copy)]
    /// #[baggage(rename_all = "snake_case")]
    /// enum Tier { Free, Premium }
    ///
    /// #[derive(Baggage)]
    /// #[baggage(prefix = "app.")]
    /// struct Ctx {
    ///     user_id: u64,
    ///     beta: bool,
    ///     tier: Tier,
    ///     ratio: f32,
    ///     features: Vec<String>,
    ///     region: Option<String>,
    /// }
    ///
    /// let ctx = Ctx {
    ///     user_id: 7,
    ///     beta: true,
    ///     tier: Tier::Premium,
    ///     ratio: 0.1,
    ///     features: vec!["dark".into(), "a,b".into()],
    ///     region: None,
    /// };
    /// let kv: Vec<KeyValue> = ctx.key_values().collect();
    /// assert_eq!(kv, [
    ///     KeyValue::new("app.user_id", 7i64),
    ///     KeyValue::new("app.beta", true),
    ///     KeyValue::new("app.tier", "premium"),
    ///     KeyValue::new("app.ratio", 0.1f64),
    ///     KeyValue::new("app.features", Value::Array(Array::String(vec!["dark".into(), "a,b".into()]))),
    /// ]);
    /// // e.g. span.set_attributes(ctx.key_values());
    /// ```
    fn key_values(&self) -> KeyValues {
        let mut out = Vec::with_capacity(Self::SCHEMA.key_count());
        self.__write(&mut encode::KvWriter::<false>(&mut out), keys::Remap::NONE);
        encode::key_values(out)
    }

    /// Only the fields marked `#[baggage(metric_label)]`, as typed
    /// attributes (as in [`key_values`](Baggage::key_values)), for the
    /// attributes of metrics. A metric label's type must be
    /// [`LowCardinality`] (`bool`, a fieldless enum, an `Option` of one), or
    /// the field must say why its values are few with
    /// `allow_high_cardinality = "reason"`; anything else does not compile.
    ///
    /// ```
    /// use typed_baggage::prelude::*;
    /// use opentelemetry::KeyValue;
    ///
    /// #[derive(Baggage)]
    /// struct Ctx {
    ///     user_id: u64,
    ///     #[baggage(metric_label)]
    ///     beta: bool,
    /// }
    ///
    /// let ctx = Ctx { user_id: 7, beta: true };
    /// let labels: Vec<KeyValue> = ctx.metric_attributes().collect();
    /// assert_eq!(labels, [KeyValue::new("beta", true)]);
    /// // requests.add(1, &labels);
    /// ```
    fn metric_attributes(&self) -> KeyValues {
        let mut out = Vec::new();
        self.__write(&mut encode::KvWriter::<true>(&mut out), keys::Remap::NONE);
        encode::key_values(out)
    }

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

    /// Reads the schema from this process's `BAGGAGE` environment variable
    /// (the specification's environment carrier, as a parent writes it with
    /// [`env::inject`]) under an explicit inbound policy: `TrustAll` when
    /// whoever starts the process is trusted, `DropAll` or an allowlist
    /// when not (a CI job started by a pull request, a tool a user runs).
    ///
    /// ```
    /// use typed_baggage::prelude::*;
    /// use typed_baggage::policy::InboundPolicy;
    ///
    /// #[derive(Baggage, Debug)]
    /// #[baggage(prefix = "job.")]
    /// struct JobCtx { tenant: String }
    ///
    /// // this doctest's process has no BAGGAGE: the key is missing
    /// let err = JobCtx::from_env(&InboundPolicy::TrustAll).unwrap_err();
    /// assert_eq!(err.keys().collect::<Vec<_>>(), ["job.tenant"]);
    /// ```
    #[cfg(feature = "env")]
    fn from_env(policy: &policy::InboundPolicy) -> Result<Self, Error> {
        env::typed(policy)
    }

    /// For each key the schema reads (flattened ones resolved under
    /// `remap`, by the rule decoding uses): the key and a reader of one
    /// entry value as the field's typed attribute (what
    /// [`key_values`](Baggage::key_values) gives for the decoded value).
    #[doc(hidden)]
    fn __attributes(out: &mut Vec<decode::KeyedAttribute>, remap: keys::Remap) {
        let _ = (out, remap);
    }

    #[doc(hidden)]
    fn __decode<L: decode::Lookup + ?Sized, K: keys::KeySource>(
        source: &L,
        keys: K,
    ) -> Result<Self, Error>;

    /// Writes each field to `writer` (the baggage's entries, or
    /// attributes), its key resolved under `remap`.
    #[doc(hidden)]
    fn __write<W: encode::Writer>(&self, writer: &mut W, remap: keys::Remap);
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
