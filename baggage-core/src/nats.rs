//! NATS: typed baggage on [`async_nats`] messages.
//!
//! The message carrier of [`crate::messages`] for `async_nats`: its
//! [`HeaderMap`] is a [`MessageHeaders`], so [`messages::inject`],
//! [`messages::context`] and [`messages::typed`] take it as is; [`publish`]
//! publishes with the context's baggage toward allowed subjects only, and
//! [`context`] and [`typed`] read a received [`Message`] under an inbound
//! policy. Nothing here parses, measures or filters: the read pipeline,
//! the policies and the destinations are the crate's own.
//!
//! ```no_run
//! use opentelemetry::Context;
//! use typed_baggage::nats;
//! use typed_baggage::policy::{Destinations, InboundPolicy};
//! use typed_baggage::prelude::*;
//!
//! #[derive(Baggage, Debug)]
//! #[baggage(prefix = "app.")]
//! struct Order { order_id: u64 }
//!
//! // producer: baggage only toward `orders.*`
//! # async fn produce() -> Result<(), Box<dyn std::error::Error>> {
//! let client = async_nats::connect("127.0.0.1:4222").await?;
//! let allowed = Destinations::subjects(["orders.*"])?;
//! let cx = Context::current().with_typed(&Order { order_id: 7 })?;
//! nats::publish(&client, &cx, "orders.created", async_nats::HeaderMap::new(), "{}".into(), &allowed).await?;
//! # Ok(())
//! # }
//!
//! // consumer, for each message received: its publishers are trusted peers
//! fn handle(message: &async_nats::Message) -> Result<(), typed_baggage::Error> {
//!     let order: Order = nats::typed(&InboundPolicy::TrustAll, message)?;
//!     println!("order {}", order.order_id);
//!     Ok(())
//! }
//! ```
//!
//! Header names are case-sensitive in NATS: a header `Baggage` from
//! another client is a header of its own, read as baggage too (see
//! [`crate::messages`]). `async_nats` holds header values as text, so a
//! message whose header block is not UTF-8 never reaches this module (the
//! client rejects it).

use std::str::FromStr;

use async_nats::client::PublishError;
use async_nats::{Client, HeaderMap, HeaderName, HeaderValue, Message, ToSubject};
use bytes::Bytes;
use opentelemetry::Context;

use crate::messages::{self, MessageHeaders};
use crate::policy::{Destinations, InboundPolicy};
use crate::{Baggage, Error};

/// `async_nats` headers: every name, each with its values in the order
/// they came.
///
/// ```
/// use async_nats::HeaderMap;
/// use opentelemetry::{baggage::BaggageExt, Context, KeyValue};
/// use typed_baggage::messages;
/// use typed_baggage::policy::{Destinations, InboundPolicy};
///
/// let cx = Context::new().with_baggage([KeyValue::new("app.tier", "gold")]);
/// let mut headers = HeaderMap::new();
/// headers.insert("Baggage", "app.tier=forged");
/// assert!(messages::inject(&cx, &mut headers, "orders.created", &Destinations::subjects(["orders.*"])?));
/// assert!(headers.get("Baggage").is_none());
/// assert_eq!(headers.get("baggage").map(|v| v.as_str()), Some("app.tier=gold"));
///
/// let read = messages::context(&InboundPolicy::TrustAll, &headers);
/// assert_eq!(read.baggage().get("app.tier").map(|v| v.as_str()), Some("gold"));
/// # Ok::<(), typed_baggage::policy::SubjectPatternError>(())
/// ```
impl MessageHeaders for HeaderMap {
    fn header_names(&self) -> impl Iterator<Item = &str> {
        self.iter().map(|(name, _)| name.as_ref())
    }

    fn header_values(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        // A name that is not a NATS header name has no value (and is never
        // turned into one: `get_all` panics on it).
        let values = match HeaderName::from_str(name) {
            Ok(name) => Some(self.get_all(name)),
            Err(_) => None,
        };
        values
            .into_iter()
            .flatten()
            .map(|value| value.as_str().as_bytes())
    }

    fn remove_header(&mut self, name: &str) {
        if !self.iter().any(|(n, _)| AsRef::<str>::as_ref(n) == name) {
            return;
        }
        // `HeaderMap` has no removal: the others are copied into a new map.
        let mut kept = HeaderMap::new();
        for (n, values) in self.iter() {
            if AsRef::<str>::as_ref(n) != name {
                for value in values {
                    kept.append(n.clone(), value.clone());
                }
            }
        }
        *self = kept;
    }

    fn append_header(&mut self, name: &str, value: &str) -> bool {
        // The checked conversions: `append` with a `&str` panics on a name
        // or value NATS cannot carry.
        match (HeaderName::from_str(name), HeaderValue::from_str(value)) {
            (Ok(name), Ok(value)) => {
                self.append(name, value);
                true
            }
            _ => false,
        }
    }
}

/// Publishes `payload` to `subject` with `headers`, and the baggage of `cx`
/// if `destinations` allow the subject: [`messages::inject`] on the headers
/// (every `baggage` header already there replaced, or removed toward a
/// subject that is not allowed), then [`Client::publish_with_headers`].
///
/// The subject checked is the subject published to.
///
/// ```no_run
/// use opentelemetry::{baggage::BaggageExt, Context, KeyValue};
/// use typed_baggage::nats;
/// use typed_baggage::policy::Destinations;
///
/// # async fn run(client: async_nats::Client) -> Result<(), Box<dyn std::error::Error>> {
/// let cx = Context::new().with_baggage([KeyValue::new("app.tier", "gold")]);
/// let allowed = Destinations::subjects(["billing.>"])?;
/// // sent with `baggage: app.tier=gold`
/// nats::publish(&client, &cx, "billing.eu.invoice", async_nats::HeaderMap::new(), "{}".into(), &allowed).await?;
/// // sent without any `baggage` header
/// nats::publish(&client, &cx, "audit.log", async_nats::HeaderMap::new(), "{}".into(), &allowed).await?;
/// # Ok(())
/// # }
/// ```
pub async fn publish<S: ToSubject>(
    client: &Client,
    cx: &Context,
    subject: S,
    mut headers: HeaderMap,
    payload: Bytes,
    destinations: &Destinations,
) -> Result<(), PublishError> {
    let subject = subject.to_subject();
    let _ = messages::inject(cx, &mut headers, subject.as_str(), destinations);
    client.publish_with_headers(subject, headers, payload).await
}

/// Reads the baggage of a received `message` under `policy` into a copy of
/// the current context: [`messages::context`] on its headers (none: no
/// baggage).
///
/// ```no_run
/// use typed_baggage::nats;
/// use typed_baggage::policy::InboundPolicy;
///
/// # fn handle(message: async_nats::Message) {
/// // a consumer of untrusted publishers reads nothing
/// let cx = nats::context(&InboundPolicy::DropAll, &message);
/// # let _ = cx;
/// # }
/// ```
pub fn context(policy: &InboundPolicy, message: &Message) -> Context {
    match &message.headers {
        Some(headers) => messages::context(policy, headers),
        None => messages::context(policy, &HeaderMap::new()),
    }
}

/// Reads `T` from a received `message` under `policy`:
/// [`messages::typed`] on its headers (none: no baggage).
///
/// ```no_run
/// use typed_baggage::prelude::*;
/// use typed_baggage::nats;
/// use typed_baggage::policy::{Allowlist, InboundPolicy};
///
/// #[derive(Baggage)]
/// #[baggage(prefix = "app.")]
/// struct Order { order_id: u64 }
///
/// # fn handle(message: async_nats::Message) -> Result<(), typed_baggage::Error> {
/// let policy = InboundPolicy::Allow(Allowlist::new().schema::<Order>());
/// let order: Order = nats::typed(&policy, &message)?;
/// # let _ = order.order_id;
/// # Ok(())
/// # }
/// ```
pub fn typed<T: Baggage>(policy: &InboundPolicy, message: &Message) -> Result<T, Error> {
    match &message.headers {
        Some(headers) => messages::typed(policy, headers),
        None => messages::typed(policy, &HeaderMap::new()),
    }
}
