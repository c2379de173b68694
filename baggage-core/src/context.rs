//! Typed baggage in an `opentelemetry::Context`: merge, limits, all or nothing.

use opentelemetry::baggage::{Baggage as OtelBaggage, BaggageExt};
use opentelemetry::{Context, Key, StringValue};

use std::borrow::Cow;

use crate::__private::Remap;
use crate::error::{Error, Limit};
use crate::limits::{MAX_BYTES, MAX_MEMBERS};
use crate::schema::{Schema, Signature};
use crate::wire::member_len;
use crate::Baggage;

/// Typed baggage on [`opentelemetry::Context`].
///
/// ```
/// use typed_baggage::prelude::*;
/// use opentelemetry::{baggage::BaggageExt, Context, KeyValue};
///
/// #[derive(Baggage, Debug, PartialEq)]
/// #[baggage(prefix = "app.")]
/// struct UserCtx { user_id: u64, region: Option<String> }
///
/// // Another service's entries are kept; ours are replaced.
/// let upstream = Context::new().with_baggage([
///     KeyValue::new("other.team", "payments"),
///     KeyValue::new("app.region", "stale"),
/// ]);
/// let user = UserCtx { user_id: 7, region: None };
/// let cx = upstream.with_typed(&user)?;
/// assert_eq!(cx.typed::<UserCtx>()?, user);
/// assert_eq!(cx.baggage().get("other.team").map(|v| v.as_str()), Some("payments"));
/// assert_eq!(cx.baggage().get("app.region"), None); // None removed the stale value
/// # Ok::<(), typed_baggage::Error>(())
/// ```
pub trait BaggageContextExt {
    /// A copy of this context whose baggage carries `value`.
    ///
    /// Merge, never clobber: every entry that is not one of `T`'s keys is
    /// kept; `T`'s keys are replaced; a key whose field is `None` is removed,
    /// so a stale upstream value is never read back.
    ///
    /// All or nothing: if a field is longer than its `max_len` allows
    /// ([`Error::TooLong`], every such field reported), or the resulting
    /// baggage would break a limit (the W3C 64 list-members or 8192 encoded
    /// header bytes across the whole baggage, or `T`'s `max_bytes` budget:
    /// [`Error::LimitExceeded`]), this returns the error and no context is
    /// made; `self` is never changed.
    fn with_typed<T: Baggage>(&self, value: &T) -> Result<Context, Error>;

    /// Reads `T` from this context's baggage; the same as [`Baggage::from_context`].
    fn typed<T: Baggage>(&self) -> Result<T, Error>;

    /// A copy of this context without any of `T`'s keys (other entries kept).
    fn without_typed<T: Baggage>(&self) -> Context;
}

impl BaggageContextExt for Context {
    fn with_typed<T: Baggage>(&self, value: &T) -> Result<Context, Error> {
        let mut entries = Entries::with_capacity(T::SCHEMA.key_count() + 1);
        value.__encode(&mut entries, Remap::NONE)?;
        if let Some(signature) = T::SCHEMA.signature {
            sign(&T::SCHEMA, signature, self, &mut entries)?;
        }
        let baggage = merge(
            self.baggage(),
            &entries,
            T::SCHEMA.name,
            T::SCHEMA.max_bytes,
        )?;
        Ok(self.with_baggage(baggage))
    }

    fn typed<T: Baggage>(&self) -> Result<T, Error> {
        T::from_context(self)
    }

    fn without_typed<T: Baggage>(&self) -> Context {
        self.with_baggage(retain(self.baggage(), |key| !T::SCHEMA.contains_key(key)))
    }
}

/// The entries one schema value writes: for each carried key, the encoded
/// value, or `None` to remove the key.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct Entries {
    items: Vec<(Cow<'static, str>, Option<StringValue>)>,
    scratch: String,
}

impl Entries {
    pub(crate) fn with_capacity(n: usize) -> Self {
        Entries {
            items: Vec::with_capacity(n),
            scratch: String::new(),
        }
    }

    /// Writes `key` with the text `encode` appends, or removes it for `None`.
    #[inline]
    pub fn put<T: ?Sized>(
        &mut self,
        key: Cow<'static, str>,
        value: Option<&T>,
        encode: impl FnOnce(&T, &mut String),
    ) {
        let entry = value.map(|v| {
            self.scratch.clear();
            encode(v, &mut self.scratch);
            StringValue::from(self.scratch.as_str().to_owned())
        });
        self.items.push((key, entry));
    }

    /// Writes `key` with the text `value`.
    #[cfg(feature = "signing")]
    pub(crate) fn put_text(&mut self, key: &'static str, value: String) {
        self.items
            .push((Cow::Borrowed(key), Some(StringValue::from(value))));
    }

    fn owns(&self, key: &str) -> bool {
        self.items.iter().any(|(k, _)| *k == key)
    }

    /// The entries written, `(key, value)`, `None` meaning removed.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Option<&str>)> + '_ {
        self.items
            .iter()
            .map(|(k, v)| (k.as_ref(), v.as_ref().map(StringValue::as_str)))
    }
}

/// Adds the signature entry of a signed schema to `entries`, with the key
/// ring that `cx` carries or else the installed one.
#[cfg(feature = "signing")]
#[inline]
fn sign(
    schema: &Schema,
    signature: Signature,
    cx: &Context,
    entries: &mut Entries,
) -> Result<(), Error> {
    crate::signing::sign(schema, signature, cx, entries)
}

/// Checks the signature of a signed schema in `baggage`, with the key ring
/// that `cx` carries or else the installed one.
#[cfg(feature = "signing")]
#[inline]
pub(crate) fn verify_signature(
    schema: &Schema,
    signature: Signature,
    cx: &Context,
    baggage: &OtelBaggage,
) -> Result<(), Error> {
    crate::signing::verify(schema, signature, cx, baggage)
}

/// Without the `signing` feature a signed schema can be neither written nor
/// read (the derive makes `signed` a compile error then; only a hand-made
/// schema gets here).
#[cfg(not(feature = "signing"))]
#[cold]
fn sign(schema: &Schema, signature: Signature, _: &Context, _: &mut Entries) -> Result<(), Error> {
    Err(signing_disabled(schema, signature))
}

/// Without the `signing` feature a signed schema can be neither written nor read.
#[cfg(not(feature = "signing"))]
#[cold]
pub(crate) fn verify_signature(
    schema: &Schema,
    signature: Signature,
    _: &Context,
    _: &OtelBaggage,
) -> Result<(), Error> {
    Err(signing_disabled(schema, signature))
}

#[cfg(not(feature = "signing"))]
fn signing_disabled(schema: &Schema, signature: Signature) -> Error {
    Error::Signature {
        key: signature.key.into(),
        schema: schema.name,
        problem: crate::error::SignatureProblem::SigningDisabled,
    }
}

/// Builds the merged baggage, or says which limit it would break.
fn merge(
    current: &OtelBaggage,
    entries: &Entries,
    schema: &'static str,
    max_bytes: Option<usize>,
) -> Result<OtelBaggage, Error> {
    let (mut own_members, mut own_bytes) = (0usize, 0usize);
    for (key, value) in &entries.items {
        if let Some(v) = value {
            own_members += 1;
            own_bytes += member_len(key, v.as_str(), "");
        }
    }
    if let Some(allowance) = max_bytes {
        let size = own_bytes + own_members.saturating_sub(1);
        if size > allowance {
            return Err(Error::LimitExceeded {
                limit: Limit::SchemaBytes { schema },
                size,
                allowance,
            });
        }
    }
    let (mut members, mut bytes) = (own_members, own_bytes);
    for (key, (value, metadata)) in current {
        if !entries.owns(key.as_str()) {
            members += 1;
            bytes += member_len(key.as_str(), value.as_str(), metadata.as_str());
        }
    }
    if members > MAX_MEMBERS {
        return Err(Error::LimitExceeded {
            limit: Limit::Members,
            size: members,
            allowance: MAX_MEMBERS,
        });
    }
    let size = bytes + members.saturating_sub(1);
    if size > MAX_BYTES {
        return Err(Error::LimitExceeded {
            limit: Limit::Bytes,
            size,
            allowance: MAX_BYTES,
        });
    }
    let mut merged = retain(current, |key| !entries.owns(key));
    for (key, value) in &entries.items {
        if let Some(v) = value {
            let key = match key {
                Cow::Borrowed(k) => Key::from_static_str(k),
                Cow::Owned(k) => Key::from(k.clone()),
            };
            merged.insert(key, v.clone());
        }
    }
    Ok(merged)
}

/// A copy of `baggage` with only the entries whose key `keep` accepts
/// (values and properties as they were).
pub(crate) fn retain(baggage: &OtelBaggage, mut keep: impl FnMut(&str) -> bool) -> OtelBaggage {
    let mut kept = OtelBaggage::new();
    for (key, (value, metadata)) in baggage {
        if keep(key.as_str()) {
            let _ = kept.insert_with_metadata(key.clone(), value.clone(), metadata.clone());
        }
    }
    kept
}
