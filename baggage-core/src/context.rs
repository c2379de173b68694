//! Typed baggage in an `opentelemetry::Context`: merge, limits, all or nothing.

use opentelemetry::baggage::{Baggage as OtelBaggage, BaggageExt};
use opentelemetry::{Context, Key};

use std::borrow::Cow;

use crate::encode::Entries;
use crate::error::{Error, Limit};
use crate::keys::{retain, KeySet, Remap};
use crate::limits::{encoded_size, member_len_bound, MAX_BYTES, MAX_MEMBERS};
use crate::signature::sign;
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
    let owns = |key: &str| entries.owns(key);
    let ours = KeySet::new(entries.items.iter().map(|(key, _)| key.as_ref()), &owns);
    let mut merged = retain(current, |key| !ours.contains(key));
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
