//! Typed baggage in an `opentelemetry::Context`: merge, limits, all or nothing.

use std::cell::Cell;

use opentelemetry::baggage::{Baggage as OtelBaggage, BaggageExt};
use opentelemetry::{Context, Key, StringValue};

use std::borrow::Cow;

use crate::__private::Remap;
use crate::error::{Error, Limit};
use crate::limits::{MAX_BYTES, MAX_MEMBERS};
use crate::schema::{Schema, Signature};
use crate::wire::{member_len, member_len_bound};
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
        let mut entries = Entries::take_buffers();
        entries.items.reserve(const { T::SCHEMA.key_count() + 1 });
        let mut written = value.__encode(&mut entries, Remap::NONE);
        if let (Ok(()), Some(signature)) = (&written, T::SCHEMA.signature) {
            written = sign(&T::SCHEMA, signature, self, &mut entries);
        }
        if let Err(e) = written {
            entries.return_buffers();
            return Err(e);
        }
        let baggage = merge(
            self.baggage(),
            &mut entries,
            T::SCHEMA.name,
            T::SCHEMA.max_bytes,
        );
        entries.return_buffers();
        Ok(self.with_baggage(baggage?))
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

/// The capacity the scratch text starts with: room for the usual value.
const SCRATCH_CAPACITY: usize = 64;

/// A scratch text that grew past this is not kept for the next `with_typed`.
const SCRATCH_KEPT: usize = 1024;

thread_local! {
    /// The buffers of the last `with_typed` on this thread (an empty list
    /// and the scratch text), reused by the next one so that encoding
    /// allocates only the values themselves.
    static BUFFERS: Cell<Entries> = const {
        Cell::new(Entries {
            items: Vec::new(),
            scratch: String::new(),
        })
    };
}

impl Entries {
    /// Empty entries, with this thread's buffers if they are free (they are
    /// not while a `with_typed` runs inside an encoder of another one).
    fn take_buffers() -> Self {
        BUFFERS.try_with(Cell::take).unwrap_or_default()
    }

    /// Empties the entries and hands their buffers back to this thread.
    fn return_buffers(mut self) {
        self.items.clear();
        if self.scratch.capacity() > SCRATCH_KEPT {
            self.scratch = String::new();
        }
        let _ = BUFFERS.try_with(|buffers| buffers.set(self));
    }

    /// Writes `key` with the text `encode` appends, or removes it for `None`.
    ///
    /// The text is written to a scratch buffer and copied into an
    /// allocation of its exact size: one allocation per value.
    #[inline]
    pub fn put<T: ?Sized>(
        &mut self,
        key: Cow<'static, str>,
        value: Option<&T>,
        encode: impl FnOnce(&T, &mut String),
    ) {
        let entry = value.map(|v| {
            if self.scratch.capacity() == 0 {
                self.scratch.reserve(SCRATCH_CAPACITY);
            }
            self.scratch.clear();
            encode(v, &mut self.scratch);
            StringValue::from(self.scratch.as_str().to_owned())
        });
        self.items.push((key, entry));
    }

    /// Writes `key` with a constant text: no allocation.
    #[inline]
    pub fn put_static(&mut self, key: Cow<'static, str>, text: &'static str) {
        self.items.push((key, Some(StringValue::from(text))));
    }

    /// Writes `key` with the text `value`.
    #[cfg(feature = "signing")]
    pub(crate) fn put_text(&mut self, key: &'static str, value: String) {
        self.items
            .push((Cow::Borrowed(key), Some(StringValue::from(value))));
    }

    fn owns(&self, key: &str) -> bool {
        self.items.iter().any(|(k, _)| k == key)
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

/// Builds the merged baggage, or says which limit it would break. The
/// entries' values are moved into it.
///
/// Sizes are first bounded from the lengths alone (a value byte takes at
/// most 3 bytes encoded); the exact encoded size is counted only when the
/// bound is over an allowance, so the usual case costs nothing per byte.
fn merge(
    current: &OtelBaggage,
    entries: &mut Entries,
    schema: &'static str,
    max_bytes: Option<usize>,
) -> Result<OtelBaggage, Error> {
    let own = || {
        entries
            .items
            .iter()
            .filter_map(|(key, value)| Some((key.as_ref(), value.as_ref()?.as_str(), "")))
    };
    let (own_members, own_bound) = own().fold((0, 0), |(n, bound), (k, v, m)| {
        (n + 1, bound + member_len_bound(k, v, m))
    });
    if let Some(allowance) = max_bytes {
        let size = encoded_size(own_bound, own, own_members, allowance);
        if size > allowance {
            return Err(Error::LimitExceeded {
                limit: Limit::SchemaBytes { schema },
                size,
                allowance,
            });
        }
    }
    // The entries of other schemas, kept; measured before ours are added.
    // A bit per key of ours (from its length and last byte) tells most
    // other keys apart from all of ours without comparing them.
    let ours = entries
        .items
        .iter()
        .fold(0u64, |set, (key, _)| set | key_bit(key));
    let mut merged = retain(current, |key| {
        ours & key_bit(key) == 0 || !entries.owns(key)
    });
    let members = own_members + merged.len();
    if members > MAX_MEMBERS {
        return Err(Error::LimitExceeded {
            limit: Limit::Members,
            size: members,
            allowance: MAX_MEMBERS,
        });
    }
    let others = || {
        merged
            .iter()
            .map(|(key, (value, metadata))| (key.as_str(), value.as_str(), metadata.as_str()))
    };
    let others_bound: usize = others()
        .map(|(key, value, metadata)| member_len_bound(key, value, metadata))
        .sum();
    let size = encoded_size(
        own_bound + others_bound,
        || own().chain(others()),
        members,
        MAX_BYTES,
    );
    if size > MAX_BYTES {
        return Err(Error::LimitExceeded {
            limit: Limit::Bytes,
            size,
            allowance: MAX_BYTES,
        });
    }
    for (key, value) in entries.items.drain(..) {
        if let Some(v) = value {
            let key = match key {
                Cow::Borrowed(k) => Key::from_static_str(k),
                Cow::Owned(k) => Key::from(k),
            };
            merged.insert(key, v);
        }
    }
    Ok(merged)
}

/// The bit of `key` in a set of 64: of its length and its last byte.
#[inline]
fn key_bit(key: &str) -> u64 {
    let last = key.as_bytes().last().copied().unwrap_or(0);
    1 << ((key.len() ^ usize::from(last).wrapping_mul(7)) % 64)
}

/// The encoded header size of the `count` list-members `(key, value,
/// properties)` that `members` iterates, joined with `,`; or, when `bound`
/// (the sum of their [`member_len_bound`]s) is within `allowance`, that
/// bound with the separators.
fn encoded_size<'a, I: Iterator<Item = (&'a str, &'a str, &'a str)>>(
    bound: usize,
    members: impl Fn() -> I,
    count: usize,
    allowance: usize,
) -> usize {
    let separators = count.saturating_sub(1);
    if bound + separators <= allowance {
        return bound + separators;
    }
    members()
        .map(|(key, value, metadata)| member_len(key, value, metadata))
        .sum::<usize>()
        + separators
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

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(members: &[(&str, &str, &str)]) -> usize {
        members
            .iter()
            .map(|(k, v, m)| member_len(k, v, m))
            .sum::<usize>()
            + members.len().saturating_sub(1)
    }

    #[test]
    fn encoded_size_is_exact_whenever_it_is_over_the_allowance() {
        let plain = "v".repeat(3000);
        let spaces = " ".repeat(3000);
        let cases: [&[(&str, &str, &str)]; 4] = [
            &[("k", "short", ""), ("p", "x y", "a=1")],
            &[("k", &plain, ""), ("l", &plain, "")],
            &[("k", &spaces, "")],
            &[("k", &plain, ""), ("s", &spaces, "")],
        ];
        for members in cases {
            let size = exact(members);
            for allowance in [0, 10, size - 1, size, size + 1, 3 * size, MAX_BYTES] {
                let bound = members
                    .iter()
                    .map(|(k, v, m)| member_len_bound(k, v, m))
                    .sum();
                let got = encoded_size(bound, || members.iter().copied(), members.len(), allowance);
                // Within the allowance exactly when the exact size is.
                assert_eq!(got <= allowance, size <= allowance, "{allowance}");
                if size > allowance {
                    assert_eq!(got, size, "{allowance}");
                } else {
                    assert!(got >= size);
                }
            }
        }
    }

    #[test]
    fn buffers_are_reused_and_survive_a_nested_take() {
        let mut outer = Entries::take_buffers();
        outer.put("k".into(), Some("value"), |v: &str, out| out.push_str(v));
        // A `with_typed` inside an encoder finds the buffers taken and uses
        // its own; whichever ends last leaves its buffers for the next.
        let inner = Entries::take_buffers();
        assert_eq!(inner.scratch.capacity(), 0);
        inner.return_buffers();
        assert_eq!(outer.iter().collect::<Vec<_>>(), [("k", Some("value"))]);
        outer.return_buffers();
        let again = Entries::take_buffers();
        assert!(again.items.is_empty());
        assert!(again.scratch.capacity() >= SCRATCH_CAPACITY);
        again.return_buffers();
    }
}
