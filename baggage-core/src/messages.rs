//! Message queues: typed baggage on a message's headers, for any broker
//! client.
//!
//! A message carries baggage as a `baggage` header, with the same value as
//! the HTTP header. This module is the carrier adapter for message-header
//! maps: a broker client implements the small [`MessageHeaders`] trait for
//! its header type (the `nats` feature does it for `async_nats::HeaderMap`),
//! and reads and writes through the crate's one pipeline and one trust model.
//!
//! - **Reading** always names an [`InboundPolicy`]: a consumer of untrusted
//!   publishers drops everything ([`InboundPolicy::DropAll`]) or keeps an
//!   [`Allowlist`](crate::policy::Allowlist); only a consumer whose
//!   publishers are trusted peers uses [`InboundPolicy::TrustAll`].
//!   [`context`] reads into a [`Context`], [`typed`] straight into a schema.
//!   The values go through the same read pipeline as the HTTP carrier
//!   (W3C limits measured on the raw bytes, one parser, malformed members
//!   dropped alone, counted and logged), so the same bytes give the same
//!   answer on a message as in an HTTP request.
//! - **Writing** ([`inject`]) names the message's subject and the
//!   [`Destinations`] that may receive baggage
//!   ([`Destinations::subjects`], NATS syntax): toward an allowed subject
//!   the context's baggage replaces every `baggage` header; toward any
//!   other, every `baggage` header is removed, even one set by hand.
//!
//! Header names: every header whose name is `baggage` in any letter case
//! (`Baggage`, `BAGGAGE`) is read, since brokers that keep the case of
//! names (NATS, Kafka) deliver what each publisher wrote; each may have
//! several values. They are read as one list: spelling by spelling in byte
//! order of the name (so the same message always reads the same way,
//! whatever order a broker's map keeps), the values of one spelling in the
//! order they came. Writing always uses the lower-case `baggage`.
//!
//! ```
//! use opentelemetry::Context;
//! use typed_baggage::messages;
//! use typed_baggage::policy::{Allowlist, Destinations, InboundPolicy};
//! use typed_baggage::prelude::*;
//!
//! #[derive(Baggage, Debug, PartialEq)]
//! #[baggage(prefix = "app.")]
//! struct Order { order_id: u64, tier: String }
//!
//! // producer: baggage goes only to `orders.*`
//! let allowed = Destinations::subjects(["orders.*"])?;
//! let cx = Context::new().with_typed(&Order { order_id: 7, tier: "gold".into() })?;
//! let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
//! assert!(messages::inject(&cx, &mut headers, "orders.created", &allowed));
//! assert_eq!(headers, [("baggage".to_owned(), b"app.order_id=7,app.tier=gold".to_vec())]);
//!
//! // consumer: trusts its publishers
//! let order: Order = messages::typed(&InboundPolicy::TrustAll, &headers)?;
//! assert_eq!(order, Order { order_id: 7, tier: "gold".into() });
//!
//! // consumer of untrusted publishers: only the order id is accepted
//! let policy = InboundPolicy::Allow(Allowlist::new().key("app.order_id"));
//! let cx = messages::context(&policy, &headers);
//! assert_eq!(Order::from_context(&cx).unwrap_err().to_string(),
//!            "baggage key `app.tier` is missing: expected any text (String)");
//!
//! // a subject that is not allowed gets no baggage, even one set by hand
//! let mut headers = vec![("Baggage".to_owned(), b"app.tier=gold".to_vec())];
//! assert!(!messages::inject(&cx, &mut headers, "audit.log", &allowed));
//! assert!(headers.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use opentelemetry::baggage::BaggageExt;
use opentelemetry::Context;

use crate::policy::{Destinations, InboundPolicy};
use crate::propagation::BaggagePropagator;
use crate::{Baggage, Error};

/// The header name baggage travels on. Read in any letter case, written
/// in lower case.
pub const BAGGAGE_HEADER: &str = "baggage";

/// A message's header map, as a broker client holds it: names to values,
/// each value raw bytes, several values allowed per name.
///
/// Names are compared exactly here: this module finds the spellings of
/// [`BAGGAGE_HEADER`] in [`header_names`](Self::header_names) itself. A
/// list of `(name, value)` pairs (the shape of Kafka and AMQP headers)
/// implements it, and so does `async_nats::HeaderMap` (feature `nats`).
///
/// ```
/// use typed_baggage::messages::MessageHeaders;
///
/// /// A broker whose messages carry at most one value per header name.
/// #[derive(Default)]
/// struct Single(std::collections::BTreeMap<String, Vec<u8>>);
///
/// impl MessageHeaders for Single {
///     fn header_names(&self) -> impl Iterator<Item = &str> {
///         self.0.keys().map(String::as_str)
///     }
///     fn header_values(&self, name: &str) -> impl Iterator<Item = &[u8]> {
///         self.0.get(name).map(Vec::as_slice).into_iter()
///     }
///     fn remove_header(&mut self, name: &str) {
///         self.0.remove(name);
///     }
///     fn append_header(&mut self, name: &str, value: &str) -> bool {
///         // one value per name: a second one cannot be carried
///         if self.0.contains_key(name) {
///             return false;
///         }
///         self.0.insert(name.to_owned(), value.as_bytes().to_vec());
///         true
///     }
/// }
///
/// use opentelemetry::{baggage::BaggageExt, Context, KeyValue};
/// use typed_baggage::{messages, policy::{Destinations, InboundPolicy}};
///
/// let cx = Context::new().with_baggage([KeyValue::new("k", "v")]);
/// let mut headers = Single::default();
/// assert!(messages::inject(&cx, &mut headers, "jobs.run", &Destinations::any()));
/// let read = messages::context(&InboundPolicy::TrustAll, &headers);
/// assert_eq!(read.baggage().get("k").map(|v| v.as_str()), Some("v"));
/// ```
pub trait MessageHeaders {
    /// The name of every header, once or once per value; the same names
    /// each time while the map is not changed.
    fn header_names(&self) -> impl Iterator<Item = &str>;

    /// Every value of the header named exactly `name`, as raw bytes, in the
    /// order they came; none if there is no such header.
    fn header_values(&self, name: &str) -> impl Iterator<Item = &[u8]>;

    /// Removes every value of the header named exactly `name`.
    fn remove_header(&mut self, name: &str);

    /// Adds `value` (visible ASCII) to the header `name`, after any
    /// values it has; `false` if the map cannot hold it (nothing added).
    fn append_header(&mut self, name: &str, value: &str) -> bool;
}

/// Headers as a list of `(name, value)` pairs, in the order they came: the
/// shape of Kafka and AMQP headers.
///
/// ```
/// use typed_baggage::messages;
/// use typed_baggage::policy::InboundPolicy;
/// use opentelemetry::baggage::BaggageExt;
///
/// let headers = vec![
///     ("baggage".to_owned(), b"a=1".to_vec()),
///     ("content-type".to_owned(), b"application/json".to_vec()),
///     ("BAGGAGE".to_owned(), b"b=2".to_vec()),
/// ];
/// let cx = messages::context(&InboundPolicy::TrustAll, &headers);
/// assert_eq!(cx.baggage().len(), 2);
/// ```
impl MessageHeaders for Vec<(String, Vec<u8>)> {
    fn header_names(&self) -> impl Iterator<Item = &str> {
        self.iter().map(|(name, _)| name.as_str())
    }

    fn header_values(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        self.iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, value)| value.as_slice())
    }

    fn remove_header(&mut self, name: &str) {
        self.retain(|(n, _)| n != name);
    }

    fn append_header(&mut self, name: &str, value: &str) -> bool {
        self.push((name.to_owned(), value.as_bytes().to_vec()));
        true
    }
}

/// The spellings of [`BAGGAGE_HEADER`] a message uses, each once, in byte
/// order: usually one, found without allocating.
enum Spellings<'h> {
    One([&'h str; 1]),
    Many(Vec<&'h str>),
}

impl<'h> Spellings<'h> {
    fn of<H: MessageHeaders + ?Sized>(headers: &'h H) -> Self {
        let mut names = headers
            .header_names()
            .filter(|name| name.eq_ignore_ascii_case(BAGGAGE_HEADER));
        let Some(first) = names.next() else {
            return Spellings::Many(Vec::new());
        };
        let mut others = names.filter(|name| *name != first).peekable();
        if others.peek().is_none() {
            return Spellings::One([first]);
        }
        let mut all: Vec<&str> = std::iter::once(first).chain(others).collect();
        all.sort_unstable();
        all.dedup();
        Spellings::Many(all)
    }

    fn as_slice(&self) -> &[&'h str] {
        match self {
            Spellings::One(one) => one,
            Spellings::Many(many) => many,
        }
    }

    /// The values of every spelling, spelling by spelling: the `baggage`
    /// values of `headers`, as the read pipeline takes them.
    fn values<'s, H: MessageHeaders + ?Sized>(
        &'s self,
        headers: &'h H,
    ) -> impl Iterator<Item = &'h [u8]> + use<'s, 'h, H> {
        self.as_slice()
            .iter()
            .flat_map(|name| headers.header_values(name))
    }
}

/// Reads the baggage of a message's `headers` under `policy` into a copy
/// of the current context; see [`context_with`].
///
/// ```
/// use opentelemetry::baggage::BaggageExt;
/// use typed_baggage::messages;
/// use typed_baggage::policy::InboundPolicy;
///
/// let headers = vec![("baggage".to_owned(), b"app.tier=gold".to_vec())];
/// let trusted = messages::context(&InboundPolicy::TrustAll, &headers);
/// assert_eq!(trusted.baggage().get("app.tier").map(|v| v.as_str()), Some("gold"));
/// let edge = messages::context(&InboundPolicy::DropAll, &headers);
/// assert!(edge.baggage().is_empty());
/// ```
pub fn context<H: MessageHeaders + ?Sized>(policy: &InboundPolicy, headers: &H) -> Context {
    Context::map_current(|cx| {
        context_with(
            crate::propagation::default_propagator(),
            policy,
            cx,
            headers,
        )
    })
}

/// Reads the baggage of a message's `headers` under `policy` into a copy of
/// `cx`, with `propagator` (its options and counters).
///
/// Every `baggage` header, in any letter case, is read through the one read
/// pipeline, the policy applied as at every carrier
/// ([`InboundPolicy`]): drop-all reads nothing, an allowlist keeps only its
/// keys (the others dropped, counted and logged as one summary). The
/// context's baggage is then exactly what the message let in: none, if the
/// message carries none, or none that the policy or the limits accept. So a
/// consumer's own baggage never passes for the message's. The headers are
/// not changed: to forward a message, write its headers with [`inject`],
/// which replaces every `baggage` header.
///
/// ```
/// use opentelemetry::{baggage::BaggageExt, Context};
/// use typed_baggage::messages;
/// use typed_baggage::policy::InboundPolicy;
/// use typed_baggage::propagation::BaggagePropagator;
///
/// let propagator = BaggagePropagator::new();
/// let headers = vec![("baggage".to_owned(), b"ok=1,no-equals".to_vec())];
/// let cx = messages::context_with(&propagator, &InboundPolicy::TrustAll, &Context::new(), &headers);
/// assert_eq!(cx.baggage().get("ok").map(|v| v.as_str()), Some("1"));
/// assert_eq!(propagator.counters().extract_members_dropped(), 1);
/// ```
pub fn context_with<H: MessageHeaders + ?Sized>(
    propagator: &BaggagePropagator,
    policy: &InboundPolicy,
    cx: &Context,
    headers: &H,
) -> Context {
    let spellings = Spellings::of(headers);
    let values = || spellings.values(headers);
    cx.with_baggage(policy.admit(propagator, values).baggage)
}

/// Reads `T` from a message's `headers` under `policy`; see [`typed_with`].
///
/// ```
/// use typed_baggage::prelude::*;
/// use typed_baggage::messages;
/// use typed_baggage::policy::InboundPolicy;
///
/// #[derive(Baggage, Debug, PartialEq)]
/// #[baggage(prefix = "app.")]
/// struct Job { job_id: u64 }
///
/// let headers = vec![("baggage".to_owned(), b"app.job_id=42".to_vec())];
/// assert_eq!(messages::typed::<Job, _>(&InboundPolicy::TrustAll, &headers)?, Job { job_id: 42 });
/// let err = messages::typed::<Job, _>(&InboundPolicy::DropAll, &headers).unwrap_err();
/// assert_eq!(err.to_string(), "baggage key `app.job_id` is missing: expected an unsigned 64-bit integer (u64)");
/// # Ok::<(), typed_baggage::Error>(())
/// ```
pub fn typed<T: Baggage, H: MessageHeaders + ?Sized>(
    policy: &InboundPolicy,
    headers: &H,
) -> Result<T, Error> {
    typed_with(crate::propagation::default_propagator(), policy, headers)
}

/// Reads `T` from a message's `headers` under `policy`, with `propagator`:
/// the same value or the same error as `T::from_context` on
/// [`context_with`]'s context, through the same pipeline.
///
/// Under [`InboundPolicy::TrustAll`] it is the pipeline's direct mode (only
/// `T`'s values are copied); under the other policies, `T` is read from
/// what the policy let in. A signed schema is verified with the key ring of
/// the current context, as [`Baggage::from_current`] does.
///
/// ```
/// use typed_baggage::prelude::*;
/// use typed_baggage::messages;
/// use typed_baggage::policy::{Allowlist, InboundPolicy};
/// use typed_baggage::propagation::BaggagePropagator;
///
/// #[derive(Baggage, Debug, PartialEq)]
/// #[baggage(prefix = "ff.")]
/// struct Flags { dark_mode: bool }
///
/// let headers = vec![("baggage".to_owned(), b"ff.dark_mode=true,app.tier=gold".to_vec())];
/// let policy = InboundPolicy::Allow(Allowlist::new().schema::<Flags>());
/// let flags: Flags = messages::typed_with(&BaggagePropagator::new(), &policy, &headers)?;
/// assert_eq!(flags, Flags { dark_mode: true });
/// # Ok::<(), typed_baggage::Error>(())
/// ```
pub fn typed_with<T: Baggage, H: MessageHeaders + ?Sized>(
    propagator: &BaggagePropagator,
    policy: &InboundPolicy,
    headers: &H,
) -> Result<T, Error> {
    let spellings = Spellings::of(headers);
    let values = || spellings.values(headers);
    policy.admit_typed(propagator, values)
}

/// Writes the baggage of `cx` on a message to `subject`, if `destinations`
/// allow the subject ([`Destinations::allows_subject`]); see
/// [`inject_with`].
///
/// ```
/// use opentelemetry::{baggage::BaggageExt, Context, KeyValue};
/// use typed_baggage::messages;
/// use typed_baggage::policy::Destinations;
///
/// let cx = Context::new().with_baggage([KeyValue::new("app.tier", "gold")]);
/// let allowed = Destinations::subjects(["orders.>"])?;
///
/// let mut headers = Vec::new();
/// assert!(messages::inject(&cx, &mut headers, "orders.eu.created", &allowed));
/// assert_eq!(headers, [("baggage".to_owned(), b"app.tier=gold".to_vec())]);
///
/// let mut headers = vec![("baggage".to_owned(), b"set=by-hand".to_vec())];
/// assert!(!messages::inject(&cx, &mut headers, "audit.log", &allowed));
/// assert!(headers.is_empty());
/// # Ok::<(), typed_baggage::policy::SubjectPatternError>(())
/// ```
pub fn inject<H: MessageHeaders + ?Sized>(
    cx: &Context,
    headers: &mut H,
    subject: &str,
    destinations: &Destinations,
) -> bool {
    inject_with(
        crate::propagation::default_propagator(),
        cx,
        headers,
        subject,
        destinations,
    )
}

/// Writes the baggage of `cx` on a message to `subject` with `propagator`,
/// if `destinations` allow the subject. Returns whether they do.
///
/// Every `baggage` header already there, in any letter case, is removed
/// first, so that a message carries only the context's baggage, and a
/// subject that is not allowed gets none, even one set by hand (its removal
/// is logged at `DEBUG`, rate-limited). Toward an allowed subject, the
/// header is [`BaggagePropagator::header_value`] of the context's baggage
/// (none for empty baggage): the W3C limits held, every member left out
/// counted and logged.
///
/// ```
/// use opentelemetry::{baggage::BaggageExt, Context, KeyValue};
/// use typed_baggage::messages;
/// use typed_baggage::policy::Destinations;
/// use typed_baggage::propagation::BaggagePropagator;
///
/// let cx = Context::new().with_baggage([KeyValue::new("k", "a b")]);
/// let mut headers = vec![("BAGGAGE".to_owned(), b"old=1".to_vec())];
/// let sent = messages::inject_with(&BaggagePropagator::new(), &cx, &mut headers, "jobs", &Destinations::any());
/// assert!(sent);
/// assert_eq!(headers, [("baggage".to_owned(), b"k=a%20b".to_vec())]);
/// ```
pub fn inject_with<H: MessageHeaders + ?Sized>(
    propagator: &BaggagePropagator,
    cx: &Context,
    headers: &mut H,
    subject: &str,
    destinations: &Destinations,
) -> bool {
    let allowed = destinations.allows_subject(subject);
    let spellings: Vec<String> = match Spellings::of(headers) {
        Spellings::One([one]) => vec![one.to_owned()],
        Spellings::Many(many) => many.into_iter().map(str::to_owned).collect(),
    };
    for name in &spellings {
        headers.remove_header(name);
    }
    if !allowed {
        if !spellings.is_empty() {
            crate::policy::outgoing_removed(Some(subject));
        }
        return false;
    }
    if let Some(value) = propagator.header_value(cx.baggage()) {
        // The propagator writes visible ASCII only: every map holds it.
        let _ = headers.append_header(BAGGAGE_HEADER, &value);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(pairs: &[(&str, &[u8])]) -> Vec<(String, Vec<u8>)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), v.to_vec()))
            .collect()
    }

    #[test]
    fn spellings_are_found_once_each_in_byte_order() {
        let none = list(&[("content-type", b"x")]);
        assert!(Spellings::of(&none).as_slice().is_empty());
        let one = list(&[("baggage", b"a=1"), ("x", b""), ("baggage", b"b=2")]);
        assert!(matches!(Spellings::of(&one), Spellings::One(["baggage"])));
        let many = list(&[
            ("baggage", b""),
            ("Baggage", b""),
            ("baggage", b""),
            ("BAGGAGE", b""),
            ("baggages", b""),
        ]);
        assert_eq!(
            Spellings::of(&many).as_slice(),
            ["BAGGAGE", "Baggage", "baggage"]
        );
    }

    #[test]
    fn values_are_read_spelling_by_spelling_so_the_last_wins_alike() {
        let a = list(&[("baggage", b"k=lower"), ("Baggage", b"k=title")]);
        let b = list(&[("Baggage", b"k=title"), ("baggage", b"k=lower")]);
        let read = |h: &Vec<(String, Vec<u8>)>| {
            let cx = context_with(
                &BaggagePropagator::new(),
                &InboundPolicy::TrustAll,
                &Context::new(),
                h,
            );
            cx.baggage().get("k").map(|v| v.to_string())
        };
        assert_eq!(read(&a), Some("lower".to_owned()));
        assert_eq!(read(&b), Some("lower".to_owned()));
    }
}
