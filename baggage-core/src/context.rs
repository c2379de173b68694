//! Typed baggage in an `opentelemetry::Context`: merge, limits, all or nothing.

use opentelemetry::baggage::{Baggage as OtelBaggage, BaggageExt};
use opentelemetry::{Context, Key, StringValue};

use std::borrow::Cow;
use std::sync::LazyLock;

use crate::encode::{value_text, Entries, EntriesWriter, Writer};
use crate::error::{Error, Limit};
use crate::keys::{retain, retain_each, KeySet, Remap};
use crate::limits::{encoded_size, member_len_bound, MAX_BYTES, MAX_MEMBERS};
use crate::signature::sign;
use crate::value::BaggageField;
use crate::{Baggage, Schema};

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

    /// The entries of the local schemas (`#[baggage(local)]`) written into
    /// this context: beside its baggage, never written by a carrier, read
    /// by the same `from_context` and `from_current` as propagated schemas
    /// and copied to telemetry by the same rules. Empty if there are none.
    ///
    /// ```
    /// use typed_baggage::prelude::*;
    /// use opentelemetry::{baggage::BaggageExt, Context};
    ///
    /// /// Which route handles the request: for this service's telemetry only.
    /// #[derive(Baggage, Debug, PartialEq)]
    /// #[baggage(prefix = "route.", local)]
    /// struct RouteCtx { name: String }
    ///
    /// let cx = Context::new().with_typed(&RouteCtx { name: "checkout".into() })?;
    /// assert_eq!(cx.local_baggage().get("route.name").map(|v| v.as_str()), Some("checkout"));
    /// assert!(cx.baggage().is_empty()); // nothing a carrier would send
    /// assert_eq!(RouteCtx::from_context(&cx)?, RouteCtx { name: "checkout".into() });
    /// # Ok::<(), typed_baggage::Error>(())
    /// ```
    fn local_baggage(&self) -> &OtelBaggage;
}

/// The entries of local schemas, in a `Context` beside its baggage. No
/// carrier knows this type: it is never written nor read by one.
#[derive(Debug, Default)]
struct LocalEntries(OtelBaggage);

/// The entries of a context without local schemas.
static NO_LOCAL_ENTRIES: LazyLock<OtelBaggage> = LazyLock::new(OtelBaggage::new);

/// Where the entries of `schema` live in `cx`: the baggage, or for a local
/// schema the local entries. Every typed read and write of a context asks
/// this one rule.
pub(crate) fn entries_in<'c>(schema: &Schema, cx: &'c Context) -> &'c OtelBaggage {
    if schema.local {
        cx.local_baggage()
    } else {
        cx.baggage()
    }
}

/// A copy of `cx` whose entries of `schema`'s kind are `entries`.
fn with_entries(schema: &Schema, cx: &Context, entries: OtelBaggage) -> Context {
    if schema.local {
        cx.with_value(LocalEntries(entries))
    } else {
        cx.with_baggage(entries)
    }
}

/// The keys a write of `T` replaces and `without_typed` removes: every key
/// of its schema, whatever the value (a `None` removes its key), flattened
/// schemas resolved, and its signature's. Both writes rely on `__write`
/// writing exactly these keys, as the derive's does (every carried field,
/// under the key `Schema::find` resolves); `DirectWrite::finish` checks it
/// in debug builds.
#[inline]
fn keys_of<T: Baggage>() -> KeySet<impl Fn(&str) -> bool> {
    KeySet::from_bits(const { T::SCHEMA.key_bits() }, |key| {
        T::SCHEMA.contains_key(key)
    })
}

impl BaggageContextExt for Context {
    fn with_typed<T: Baggage>(&self, value: &T) -> Result<Context, Error> {
        let current = entries_in(&T::SCHEMA, self);
        let ours = keys_of::<T>();
        if T::SCHEMA.signature.is_none() {
            let mut first = DirectWrite::new(current, &ours);
            value.__write(&mut first, Remap::NONE);
            let within = const { T::SCHEMA.surely_within_limits() };
            if let Some(written) = first.finish(&T::SCHEMA, &ours, within) {
                return Ok(with_entries(&T::SCHEMA, self, written?));
            }
            // A field failed a check, a key was written twice, or
            // OpenTelemetry refused an insert at one of its limits: the
            // general write names what failed (writing again what this one
            // wrote, on this error path only).
        }
        general_write(self, value, current, &ours)
    }

    fn typed<T: Baggage>(&self) -> Result<T, Error> {
        T::from_context(self)
    }

    fn without_typed<T: Baggage>(&self) -> Context {
        let ours = keys_of::<T>();
        let kept = retain(entries_in(&T::SCHEMA, self), |key| !ours.contains(key));
        with_entries(&T::SCHEMA, self, kept)
    }

    fn local_baggage(&self) -> &OtelBaggage {
        match self.get::<LocalEntries>() {
            Some(LocalEntries(entries)) => entries,
            None => &NO_LOCAL_ENTRIES,
        }
    }
}

/// The general write of `value` into `cx`, whose entries of `T`'s kind are
/// `current` and whose keys of `T` are `ours`: through the list of entries
/// ([`EntriesWriter`]), the signature if the schema is signed, and
/// [`merge`]. Every failure is named here.
pub(crate) fn general_write<T: Baggage>(
    cx: &Context,
    value: &T,
    current: &OtelBaggage,
    ours: &KeySet<impl Fn(&str) -> bool>,
) -> Result<Context, Error> {
    let mut entries = Entries::take_buffers();
    entries.items.reserve(const { T::SCHEMA.key_count() + 1 });
    let mut writer = EntriesWriter::new(&mut entries);
    value.__write(&mut writer, Remap::NONE);
    let mut written = writer.finish();
    if let (Ok(()), Some(signature)) = (&written, T::SCHEMA.signature) {
        written = sign(&T::SCHEMA, signature, cx, &mut entries);
    }
    if let Err(e) = written {
        entries.return_buffers();
        return Err(e);
    }
    let baggage = merge(
        current,
        &mut entries,
        ours,
        T::SCHEMA.name,
        T::SCHEMA.max_bytes,
    );
    entries.return_buffers();
    Ok(with_entries(&T::SCHEMA, cx, baggage?))
}

/// [`BaggageContextExt::with_typed`] through the general write (the list
/// of entries, the signature if the schema is signed, and the merge)
/// whatever the schema: for tests that compare it with the direct write.
/// Not public API.
pub fn with_typed_general<T: Baggage>(cx: &Context, value: &T) -> Result<Context, Error> {
    general_write(cx, value, entries_in(&T::SCHEMA, cx), &keys_of::<T>())
}

/// The write of an unsigned schema: the entries of the current baggage
/// that are not the schema's copied into a new baggage ([`others_of`]),
/// then each value written straight into it, counted and measured as it
/// goes, without the list of entries.
///
/// Where every field passed its checks and every entry written is in the
/// baggage (no key written twice, no insert refused), it gives what
/// [`merge`] gives: the same entries, or the same limit error, through the
/// same checks ([`check_budget`], then [`check_whole`]). Otherwise
/// `with_typed` writes again through the entries and `merge`, which name
/// what failed.
struct DirectWrite {
    /// The thread's scratch buffers, taken only for a value that is encoded
    /// in one (see [`value_text`]) and handed back when the write is done.
    scratch: Option<Entries>,
    baggage: OtelBaggage,
    /// The entries of other schemas kept, and their `member_len_bound`s.
    others: usize,
    others_bound: usize,
    /// The schema's entries written, and their `member_len_bound`s.
    members: usize,
    bound: usize,
    clean: bool,
}

impl DirectWrite {
    /// A write over `current`, whose keys in `ours` (the schema's) it
    /// replaces or removes.
    fn new(current: &OtelBaggage, ours: &KeySet<impl Fn(&str) -> bool>) -> Self {
        let (baggage, others_bound) = others_of(current, ours);
        DirectWrite {
            scratch: None,
            others: baggage.len(),
            baggage,
            others_bound,
            members: 0,
            bound: 0,
            clean: true,
        }
    }

    /// The scratch buffers, taken from the thread at the first need.
    #[inline]
    fn scratch(&mut self) -> &mut Entries {
        self.scratch.get_or_insert_with(Entries::take_buffers)
    }

    #[inline]
    fn insert(&mut self, key: Cow<'static, str>, text: StringValue) {
        self.members += 1;
        self.bound += member_len_bound(&key, text.as_str(), "");
        let _ = self.baggage.insert(otel_key(key), text);
    }

    /// What [`merge`] gives, or `None` if this write cannot tell (see the
    /// type). `ours`: the schema's keys, as given to [`DirectWrite::new`].
    /// `within`: the schema is surely within every limit
    /// ([`Schema::surely_within_limits`]), so that its own entries need not
    /// be measured.
    fn finish(
        mut self,
        schema: &Schema,
        ours: &KeySet<impl Fn(&str) -> bool>,
        within: bool,
    ) -> Option<Result<OtelBaggage, Error>> {
        if let Some(scratch) = self.scratch.take() {
            scratch.return_buffers();
        }
        // A key written twice, or an insert OpenTelemetry refused (past its
        // own limits, which the W3C limits are within), leaves fewer
        // entries than were written.
        if !self.clean || self.baggage.len() != self.others + self.members {
            return None;
        }
        let own = || members_of(&self.baggage).filter(|(key, _, _)| ours.contains(key));
        debug_assert_eq!(
            own().count(),
            self.members,
            "a key written outside the schema's"
        );
        if !within {
            let budget = check_budget(schema.name, schema.max_bytes, self.members, self.bound, own);
            if let Err(e) = budget {
                return Some(Err(e));
            }
        }
        if within && self.others == 0 {
            return Some(Ok(self.baggage));
        }
        let members = self.others + self.members;
        let bound = self.others_bound + self.bound;
        let all = || members_of(&self.baggage);
        Some(check_whole(members, bound, all).map(|()| self.baggage))
    }
}

impl Writer for DirectWrite {
    #[inline]
    fn plain<F: BaggageField>(&mut self, key: Cow<'static, str>, value: &F, _metric_label: bool) {
        // A `None` writes nothing: `others_of` left its stale value out.
        if let Some(value) = value.value() {
            let text = value_text(value, || self.scratch());
            self.insert(key, text);
        }
    }

    #[inline]
    fn codec<T: ?Sized>(
        &mut self,
        key: Cow<'static, str>,
        value: Option<&T>,
        encode: impl FnOnce(&T, &mut String),
        _metric_label: bool,
    ) {
        if let Some(value) = value {
            let text = self.scratch().text(value, encode);
            self.insert(key, text);
        }
    }

    const CHECKS_LENGTHS: bool = true;

    #[inline]
    fn length_checked(&mut self, checked: Result<(), Error>) {
        self.clean &= checked.is_ok();
    }

    fn fail(&mut self, _error: Error) {
        self.clean = false;
    }
}

/// The members of a baggage as the limits measure them: `(key, value,
/// properties)`.
fn members_of(baggage: &OtelBaggage) -> impl Iterator<Item = (&str, &str, &str)> {
    baggage
        .iter()
        .map(|(key, (value, metadata))| (key.as_str(), value.as_str(), metadata.as_str()))
}

/// The `max_bytes` budget of `schema` over its own `members` (`count` of
/// them, `bound` the sum of their `member_len_bound`s).
fn check_budget<'a, I: Iterator<Item = (&'a str, &'a str, &'a str)>>(
    schema: &'static str,
    max_bytes: Option<usize>,
    count: usize,
    bound: usize,
    members: impl Fn() -> I,
) -> Result<(), Error> {
    let Some(allowance) = max_bytes else {
        return Ok(());
    };
    let size = encoded_size(bound, members, count, allowance);
    if size > allowance {
        return Err(Error::LimitExceeded {
            limit: Limit::SchemaBytes { schema },
            size,
            allowance,
        });
    }
    Ok(())
}

/// The W3C limits of a whole baggage of `count` `members` (`bound` the sum
/// of their `member_len_bound`s): the list-members, then the header bytes.
fn check_whole<'a, I: Iterator<Item = (&'a str, &'a str, &'a str)>>(
    count: usize,
    bound: usize,
    members: impl Fn() -> I,
) -> Result<(), Error> {
    if count > MAX_MEMBERS {
        return Err(Error::LimitExceeded {
            limit: Limit::Members,
            size: count,
            allowance: MAX_MEMBERS,
        });
    }
    let size = encoded_size(bound, members, count, MAX_BYTES);
    if size > MAX_BYTES {
        return Err(Error::LimitExceeded {
            limit: Limit::Bytes,
            size,
            allowance: MAX_BYTES,
        });
    }
    Ok(())
}

/// An entry's key as OpenTelemetry holds it (a declared key without a copy).
#[inline]
fn otel_key(key: Cow<'static, str>) -> Key {
    match key {
        Cow::Borrowed(k) => Key::from_static_str(k),
        Cow::Owned(k) => Key::from(k),
    }
}

/// The entries of `current` whose keys are not in `ours` (a schema's
/// keys), copied into a new baggage with their properties: the entries of
/// other schemas that a write keeps, with the sum of their
/// [`member_len_bound`]s, measured as they are copied.
fn others_of(current: &OtelBaggage, ours: &KeySet<impl Fn(&str) -> bool>) -> (OtelBaggage, usize) {
    if current.is_empty() {
        // Nothing to keep (a gateway's first write).
        return (OtelBaggage::new(), 0);
    }
    let mut bound = 0;
    let kept = retain_each(
        current,
        |key| !ours.contains(key),
        |key, value, metadata| bound += member_len_bound(key, value, metadata),
    );
    // (OpenTelemetry refuses none of them: they are in a baggage already,
    // and its limits hold for any part of one. Were it to, the bound of
    // the entries tried would still be at least that of those kept.)
    (kept, bound)
}

/// Builds the merged baggage, or says which limit it would break: the
/// entries of `current` whose keys are not in `ours` (the schema's keys),
/// and the entries written. The entries' values are moved into it.
///
/// Sizes are first bounded from the lengths alone (a value byte takes at
/// most 3 bytes encoded); the exact encoded size is counted only when the
/// bound is over an allowance, so the usual case costs nothing per byte.
fn merge(
    current: &OtelBaggage,
    entries: &mut Entries,
    ours: &KeySet<impl Fn(&str) -> bool>,
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
    check_budget(schema, max_bytes, own_members, own_bound, own)?;
    let (mut merged, others_bound) = others_of(current, ours);
    check_whole(own_members + merged.len(), own_bound + others_bound, || {
        own().chain(members_of(&merged))
    })?;
    for (key, value) in entries.items.drain(..) {
        if let Some(v) = value {
            merged.insert(otel_key(key), v);
        }
    }
    Ok(merged)
}

/// `merge`, the rules of `with_typed` that need no derived schema: what is
/// kept, replaced and removed, and each limit at its edge.
#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::baggage::BaggageMetadata;

    /// `merge` with the keys of the entries written as the schema's keys.
    fn merged(
        current: &OtelBaggage,
        entries: &mut Entries,
        schema: &'static str,
        max_bytes: Option<usize>,
    ) -> Result<OtelBaggage, Error> {
        let keys: Vec<String> = entries.items.iter().map(|(k, _)| k.to_string()).collect();
        let contains = |key: &str| keys.iter().any(|k| k == key);
        let ours = KeySet::new(keys.iter().map(String::as_str), contains);
        merge(current, entries, &ours, schema, max_bytes)
    }

    fn entries(pairs: &[(&'static str, Option<&'static str>)]) -> Entries {
        let mut e = Entries::default();
        for &(key, value) in pairs {
            match value {
                Some(text) => e
                    .items
                    .push((Cow::Borrowed(key), Some(StringValue::from(text)))),
                None => e.items.push((Cow::Borrowed(key), None)),
            }
        }
        e
    }

    fn text(b: &OtelBaggage) -> Vec<(String, String, String)> {
        let mut all: Vec<_> = b
            .iter()
            .map(|(k, (v, m))| (k.to_string(), v.to_string(), m.as_str().to_owned()))
            .collect();
        all.sort();
        all
    }

    fn others(pairs: &[(&str, String)]) -> OtelBaggage {
        let mut b = OtelBaggage::new();
        for (k, v) in pairs {
            let _ = b.insert(k.to_string(), v.clone());
        }
        assert_eq!(b.len(), pairs.len(), "the SDK kept every entry");
        b
    }

    #[test]
    fn own_keys_replace_or_remove_and_others_stay_with_their_properties() {
        let mut current = OtelBaggage::new();
        let _ = current.insert_with_metadata("a", "1", BaggageMetadata::from("p=1"));
        let _ = current.insert("b", "2");
        let _ = current.insert("c", "3");
        let mut own = entries(&[("b", Some("20")), ("c", None), ("d", Some("4"))]);
        let merged = merged(&current, &mut own, "S", None).unwrap();
        let s = |x: &str| x.to_owned();
        assert_eq!(
            text(&merged),
            [
                (s("a"), s("1"), s("p=1")),
                (s("b"), s("20"), s("")),
                (s("d"), s("4"), s(""))
            ]
        );
    }

    #[test]
    fn the_schema_budget_is_exact() {
        // `k1=aaaa,k2=%20` is 7 + 1 + 6 = 14 bytes.
        let own = || entries(&[("k1", Some("aaaa")), ("k2", Some(" "))]);
        assert!(merged(&OtelBaggage::new(), &mut own(), "S", Some(14)).is_ok());
        match merged(&OtelBaggage::new(), &mut own(), "S", Some(13)) {
            Err(Error::LimitExceeded {
                limit: Limit::SchemaBytes { schema: "S" },
                size: 14,
                allowance: 13,
            }) => {}
            other => panic!("expected the schema budget, got {other:?}"),
        }
        // Removed keys take no room.
        let mut removed = entries(&[("k1", Some("aaaa")), ("k2", None)]);
        assert!(merged(&OtelBaggage::new(), &mut removed, "S", Some(7)).is_ok());
    }

    #[test]
    fn the_member_limit_counts_kept_and_own_entries_once() {
        let full: Vec<(String, String)> = (0..MAX_MEMBERS)
            .map(|i| (format!("o{i}"), "v".to_owned()))
            .collect();
        let pairs = |n: usize| -> Vec<(&str, String)> {
            full[..n]
                .iter()
                .map(|(k, v)| (k.as_str(), v.clone()))
                .collect()
        };
        // 63 others and one own key: 64.
        let current = others(&pairs(MAX_MEMBERS - 1));
        assert!(merged(&current, &mut entries(&[("k", Some("v"))]), "S", None).is_ok());
        // 64 others and one own key: 65.
        let current = others(&pairs(MAX_MEMBERS));
        match merged(&current, &mut entries(&[("k", Some("v"))]), "S", None) {
            Err(Error::LimitExceeded {
                limit: Limit::Members,
                size: 65,
                allowance: 64,
            }) => {}
            other => panic!("expected the member limit, got {other:?}"),
        }
        // An own key that replaces one of the 64 is not one more.
        let mut replacing = entries(&[("o0", Some("w"))]);
        assert!(merged(&current, &mut replacing, "S", None).is_ok());
    }

    #[test]
    fn the_byte_limit_is_exact() {
        // o1=<3000>,o2=<3000>,o3=<x>,k=v: 3003 + 3003 + (3 + x) + 3 + 3 commas.
        let x = MAX_BYTES - (3003 + 3003 + 3 + 3 + 3);
        let current = |x: usize| {
            others(&[
                ("o1", "a".repeat(3000)),
                ("o2", "b".repeat(3000)),
                ("o3", "c".repeat(x)),
            ])
        };
        let own = || entries(&[("k", Some("v"))]);
        assert!(merged(&current(x), &mut own(), "S", None).is_ok());
        match merged(&current(x + 1), &mut own(), "S", None) {
            Err(Error::LimitExceeded {
                limit: Limit::Bytes,
                size,
                allowance,
            }) => assert_eq!((size, allowance), (MAX_BYTES + 1, MAX_BYTES)),
            other => panic!("expected the byte limit, got {other:?}"),
        }
        // An own value that needs percent-encoding is measured encoded.
        let own_space = || entries(&[("k", Some(" "))]);
        assert!(merged(&current(x - 2), &mut own_space(), "S", None).is_ok());
        assert!(merged(&current(x - 1), &mut own_space(), "S", None).is_err());
    }

    /// The SDK holds up to 8192 bytes of keys and values; written out, with
    /// a `=` per member and the commas, that can be more than the W3C
    /// allows, and a write that only removes keys still says so.
    #[test]
    fn a_baggage_over_the_limit_once_written_is_refused_even_by_a_removal() {
        let pairs: Vec<(String, String)> = (0..MAX_MEMBERS)
            .map(|i| (format!("k{i:02}"), "v".repeat(MAX_BYTES / MAX_MEMBERS - 3)))
            .collect();
        let current = others(
            &pairs
                .iter()
                .map(|(k, v)| (k.as_str(), v.clone()))
                .collect::<Vec<_>>(),
        );
        let written = MAX_BYTES + 2 * MAX_MEMBERS - 1;
        match merged(&current, &mut entries(&[("absent", None)]), "S", None) {
            Err(Error::LimitExceeded {
                limit: Limit::Bytes,
                size,
                allowance,
            }) => assert_eq!((size, allowance), (written, MAX_BYTES)),
            other => panic!("expected the byte limit, got {other:?}"),
        }
    }

    use crate::test_schemas::{Budget, Plain};

    /// A direct write of `T`'s schema with nothing else kept, finished.
    fn finish<T: Baggage>(first: DirectWrite, within: bool) -> Option<Result<OtelBaggage, Error>> {
        first.finish(&T::SCHEMA, &keys_of::<T>(), within)
    }

    /// A write of `T`'s schema over an empty baggage.
    fn first_write<T: Baggage>() -> DirectWrite {
        DirectWrite::new(&OtelBaggage::new(), &keys_of::<T>())
    }

    #[test]
    fn with_typed_writes_the_schema_and_keeps_the_rest() {
        let cx = Context::new().with_baggage([
            opentelemetry::KeyValue::new("other", "x"),
            opentelemetry::KeyValue::new("p.tag", "old"),
        ]);
        let cx = cx.with_typed(&Plain { id: 7, tag: None }).unwrap();
        let b = cx.baggage();
        assert_eq!(b.get("p.id").map(|v| v.as_str()), Some("7"));
        assert_eq!(b.get("p.tag"), None, "a `None` removes its key");
        assert_eq!(b.get("other").map(|v| v.as_str()), Some("x"));
        assert_eq!(cx.typed::<Plain>().unwrap(), Plain { id: 7, tag: None });
        let cx = cx
            .with_typed(&Plain {
                id: 8,
                tag: Some("t".into()),
            })
            .unwrap();
        assert_eq!(
            cx.typed::<Plain>().unwrap(),
            Plain {
                id: 8,
                tag: Some("t".into())
            }
        );
    }

    /// The first write decides only what it can tell: the baggage it
    /// built, or the merge's limit error; anything else goes to the merge.
    #[test]
    fn a_first_write_gives_its_baggage_or_the_limit_error_and_leaves_the_rest_to_the_merge() {
        let s = |x: &str| x.to_owned();
        let plain = Plain {
            id: 7,
            tag: Some("x".into()),
        };
        let mut first = first_write::<Plain>();
        plain.__write(&mut first, Remap::NONE);
        let baggage = finish::<Plain>(first, false).expect("told").expect("fits");
        assert_eq!(
            text(&baggage),
            [(s("p.id"), s("7"), s("")), (s("p.tag"), s("x"), s(""))]
        );
        // A `None` writes nothing into an empty baggage.
        let mut first = first_write::<Plain>();
        Plain { id: 1, tag: None }.__write(&mut first, Remap::NONE);
        let baggage = finish::<Plain>(first, false).expect("told").expect("fits");
        assert_eq!(text(&baggage), [(s("p.id"), s("1"), s(""))]);
        // A key written twice leaves fewer entries than were written.
        let mut first = first_write::<Plain>();
        plain.__write(&mut first, Remap::NONE);
        plain.__write(&mut first, Remap::NONE);
        assert!(finish::<Plain>(first, false).is_none());
        // (so it does for a schema that needs no measuring)
        let mut first = first_write::<Plain>();
        plain.__write(&mut first, Remap::NONE);
        plain.__write(&mut first, Remap::NONE);
        assert!(finish::<Plain>(first, true).is_none());
        // A schema that cannot be written.
        let mut first = first_write::<Plain>();
        plain.__write(&mut first, Remap::NONE);
        first.fail(Error::Multiple(Vec::new()));
        assert!(finish::<Plain>(first, false).is_none());
        let mut first = first_write::<Plain>();
        plain.__write(&mut first, Remap::NONE);
        first.fail(Error::Multiple(Vec::new()));
        assert!(finish::<Plain>(first, true).is_none());
        // A codec's value, written by its function; an absent one, nothing.
        let mut first = first_write::<Plain>();
        let decimal = |v: &u64, out: &mut String| out.push_str(&v.to_string());
        first.codec(Cow::Borrowed("p.id"), Some(&5u64), decimal, false);
        first.codec(Cow::Borrowed("p.tag"), None, decimal, false);
        // Lengths within their bounds.
        first.max_len(&Cow::Borrowed("c"), &"abc".to_owned(), 3);
        first.max_item_len(&Cow::Borrowed("c"), &vec!["abc".to_owned()], 3);
        let baggage = finish::<Plain>(first, false).expect("told").expect("fits");
        assert_eq!(text(&baggage), [(s("p.id"), s("5"), s(""))]);
        // A length over its bound: the merge names it.
        let mut first = first_write::<Plain>();
        first.max_len(&Cow::Borrowed("c"), &"abcd".to_owned(), 3);
        assert!(finish::<Plain>(first, false).is_none());
        let mut first = first_write::<Plain>();
        first.max_item_len(&Cow::Borrowed("c"), &vec!["abcd".to_owned()], 3);
        assert!(finish::<Plain>(first, false).is_none());
        // Over the schema's budget (`b.id=7,b.tag=` and 20 bytes: 33 of
        // 24): the error the merge gives for the same entries.
        let over = Budget {
            id: 7,
            tag: Some("y".repeat(20)),
        };
        let mut first = first_write::<Plain>();
        over.__write(&mut first, Remap::NONE);
        let from_first = finish::<Budget>(first, false).expect("told");
        let mut own = Entries::default();
        let mut writer = EntriesWriter::new(&mut own);
        over.__write(&mut writer, Remap::NONE);
        assert!(writer.finish().is_ok());
        let from_merge = merged(&OtelBaggage::new(), &mut own, "Budget", Some(24));
        assert_eq!(from_first.unwrap_err(), from_merge.unwrap_err());
    }

    /// One write of `value` over `current` both ways: the direct write of
    /// an unsigned schema ([`DirectWrite`], `None` where it leaves the case
    /// to the general write), and the general write (the list of entries,
    /// [`merge`]).
    #[allow(clippy::type_complexity)]
    fn both_ways<T: Baggage>(
        value: &T,
        current: &OtelBaggage,
    ) -> (
        Option<Result<Vec<(String, String, String)>, Error>>,
        Result<Vec<(String, String, String)>, Error>,
    ) {
        both_ways_within(value, current, T::SCHEMA.surely_within_limits())
    }

    /// [`both_ways`], the direct write told `within` (that the value
    /// written is surely within every limit on its own).
    #[allow(clippy::type_complexity)]
    fn both_ways_within<T: Baggage>(
        value: &T,
        current: &OtelBaggage,
        within: bool,
    ) -> (
        Option<Result<Vec<(String, String, String)>, Error>>,
        Result<Vec<(String, String, String)>, Error>,
    ) {
        let ours = keys_of::<T>();
        let mut first = DirectWrite::new(current, &ours);
        value.__write(&mut first, Remap::NONE);
        let direct = first
            .finish(&T::SCHEMA, &ours, within)
            .map(|r| r.map(|b| text(&b)));
        let mut entries = Entries::default();
        let mut writer = EntriesWriter::new(&mut entries);
        value.__write(&mut writer, Remap::NONE);
        let general = writer
            .finish()
            .and_then(|()| {
                merge(
                    current,
                    &mut entries,
                    &ours,
                    T::SCHEMA.name,
                    T::SCHEMA.max_bytes,
                )
            })
            .map(|b| text(&b));
        (direct, general)
    }

    /// A baggage as OpenTelemetry holds it, from `(key, value, properties)`
    /// (an entry it refuses is left out, as it would be upstream).
    fn baggage_of(entries: &[(String, String, String)]) -> OtelBaggage {
        let mut b = OtelBaggage::new();
        for (k, v, m) in entries {
            let _ = b.insert_with_metadata(k.clone(), v.clone(), BaggageMetadata::from(m.as_str()));
        }
        b
    }

    mod direct_write {
        use super::*;
        use proptest::prelude::*;

        /// Another service's entry, or a stale one of the schemas' own,
        /// with a value whose encoded size is up to three times its length.
        fn entry() -> impl Strategy<Value = (String, String, String)> {
            let key = prop_oneof![
                4 => (0usize..80).prop_map(|i| format!("k{i}")),
                1 => prop_oneof![Just("p.id"), Just("p.tag"), Just("b.id"), Just("b.tag")]
                    .prop_map(str::to_owned),
            ];
            let value = (0usize..400, any::<bool>()).prop_map(|(n, spaces)| {
                if spaces {
                    " ".repeat(n)
                } else {
                    "v".repeat(n)
                }
            });
            let properties = prop_oneof![Just(String::new()), Just("p=1".to_owned())];
            (key, value, properties)
        }

        fn tag() -> impl Strategy<Value = Option<String>> {
            proptest::option::of((0usize..40, any::<bool>()).prop_map(|(n, spaces)| {
                if spaces {
                    " ".repeat(n)
                } else {
                    "t".repeat(n)
                }
            }))
        }

        fn check<T: Baggage>(value: &T, current: &OtelBaggage) -> Result<(), TestCaseError> {
            check_within(value, current, T::SCHEMA.surely_within_limits())
        }

        fn check_within<T: Baggage>(
            value: &T,
            current: &OtelBaggage,
            within: bool,
        ) -> Result<(), TestCaseError> {
            match both_ways_within(value, current, within) {
                (Some(direct), general) => prop_assert_eq!(direct, general),
                // Left to the general write only where it has an error to name.
                (None, general) => prop_assert!(general.is_err(), "{:?}", general),
            }
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            /// Over any baggage, at and past every limit (64 members, 8,192
            /// bytes, the schema's own budget), the direct write of an
            /// unsigned schema gives what the general write gives.
            #[test]
            fn gives_what_the_merge_gives_over_any_baggage(
                id in any::<u64>(),
                tag in tag(),
                entries in proptest::collection::vec(entry(), 0..72),
            ) {
                let current = baggage_of(&entries);
                check(&Plain { id, tag: tag.clone() }, &current)?;
                check(&Budget { id, tag }, &current)?;
                // A value surely within every limit on its own (`p.id=`
                // and at most 20 digits), told so.
                check_within(&Plain { id, tag: None }, &current, true)?;
            }
        }

        #[test]
        fn the_cases_compared_reach_every_outcome() {
            let many = |n: usize| -> Vec<_> {
                (0..n)
                    .map(|i| (format!("k{i}"), "v".to_owned(), String::new()))
                    .collect()
            };
            let plain = Plain { id: 1, tag: None };
            // 63 others and one entry of ours: 64 members; 64 others: 65.
            let (direct, general) = both_ways(&plain, &baggage_of(&many(63)));
            assert_eq!(direct.expect("told").map(|b| b.len()), Ok(64));
            assert!(general.is_ok());
            let (direct, general) = both_ways(&plain, &baggage_of(&many(64)));
            let members = Error::LimitExceeded {
                limit: Limit::Members,
                size: 65,
                allowance: 64,
            };
            // (OpenTelemetry holds 64 at most, so it refused our entry:
            // the general write names the limit)
            assert!(direct.is_none(), "{direct:?}");
            assert_eq!(general, Err(members));
            // Stale values of ours are replaced, a `None`'s removed, with
            // their properties; the others' are kept with theirs.
            let stale = [
                ("p.id", "9", "p=1"),
                ("p.tag", "old", "p=1"),
                ("k1", "v", "q=2"),
            ]
            .map(|(k, v, m)| (k.to_owned(), v.to_owned(), m.to_owned()));
            let (direct, general) = both_ways(&plain, &baggage_of(&stale));
            let want = vec![
                ("k1".to_owned(), "v".to_owned(), "q=2".to_owned()),
                ("p.id".to_owned(), "1".to_owned(), String::new()),
            ];
            assert_eq!(direct.expect("told"), Ok(want.clone()));
            assert_eq!(general, Ok(want));
            // Past the byte limit with others' bytes: 2,731 spaces (8,193
            // encoded) in one other entry, and ours.
            let wide = [("k".to_owned(), " ".repeat(2731), String::new())];
            let (direct, general) = both_ways(&plain, &baggage_of(&wide));
            assert!(matches!(
                direct.expect("told"),
                Err(Error::LimitExceeded {
                    limit: Limit::Bytes,
                    ..
                })
            ));
            assert!(matches!(
                general,
                Err(Error::LimitExceeded {
                    limit: Limit::Bytes,
                    ..
                })
            ));
            // The budget counts ours alone, however many others there are.
            let busy = baggage_of(&many(40));
            let over = Budget {
                id: 1,
                tag: Some("y".repeat(20)),
            };
            let (direct, general) = both_ways(&over, &busy);
            let budget = Error::LimitExceeded {
                limit: Limit::SchemaBytes { schema: "Budget" },
                size: 33,
                allowance: 24,
            };
            assert_eq!(direct.expect("told"), Err(budget.clone()));
            assert_eq!(general, Err(budget));
            // Others OpenTelemetry holds but the W3C limit does not allow
            // (8,100 bytes of spaces encode to three times that), with a
            // value of ours that OpenTelemetry refuses: left to the general
            // write, which names the limit.
            let near = [("k".to_owned(), " ".repeat(8100), String::new())];
            let big = Plain {
                id: 1,
                tag: Some("t".repeat(200)),
            };
            let (direct, general) = both_ways(&big, &baggage_of(&near));
            assert!(direct.is_none(), "{direct:?}");
            assert!(matches!(
                general,
                Err(Error::LimitExceeded {
                    limit: Limit::Bytes,
                    ..
                })
            ));
            // Over the byte limit with nothing else kept: `p.tag=` and
            // 2,731 spaces (8,199 encoded), a value OpenTelemetry holds, and
            // `,p.id=1`.
            let spaces = Plain {
                id: 1,
                tag: Some(" ".repeat(2731)),
            };
            let (direct, general) = both_ways(&spaces, &OtelBaggage::new());
            let bytes = |size| Error::LimitExceeded {
                limit: Limit::Bytes,
                size,
                allowance: 8192,
            };
            assert_eq!(direct.expect("told"), Err(bytes(8199 + 1 + 6)));
            assert_eq!(general, Err(bytes(8199 + 1 + 6)));
            // A schema surely within every limit on its own is measured
            // with the others it is written beside (`k=` and 8,193 encoded).
            let ours = keys_of::<Plain>();
            let mut first = DirectWrite::new(&baggage_of(&wide), &ours);
            Plain { id: 1, tag: None }.__write(&mut first, Remap::NONE);
            assert_eq!(
                first
                    .finish(&Plain::SCHEMA, &ours, true)
                    .expect("told")
                    .map(|b| text(&b)),
                Err(bytes(2 + 8193 + 1 + 6))
            );
        }
    }

    #[test]
    fn a_write_replaces_every_key_of_its_schema_and_its_signature() {
        use crate::test_schemas::Signed;
        let ours = keys_of::<Signed>();
        let keys = Signed::SCHEMA.keys();
        assert_eq!(keys.len(), 3, "two fields and the signature: {keys:?}");
        for key in &keys {
            assert!(ours.contains(key), "{key}");
        }
        for other in ["s.idx", "s.i", "p.id", "id", ""] {
            assert!(!ours.contains(other), "{other}");
        }
        let plain = keys_of::<Plain>();
        assert!(plain.contains("p.id") && plain.contains("p.tag"));
        assert!(!plain.contains("s.id") && !plain.contains("b.tag"));
    }

    /// A first write takes the thread's scratch buffers only for a value
    /// encoded in them (a codec's), and hands them back when it is done.
    #[test]
    fn a_first_write_takes_the_scratch_only_for_a_value_encoded_in_it() {
        drop(Entries::take_buffers());
        let mut first = first_write::<Plain>();
        Plain {
            id: 7,
            tag: Some("x".into()),
        }
        .__write(&mut first, Remap::NONE);
        assert!(first.scratch.is_none(), "an integer and a string need none");
        assert!(finish::<Plain>(first, false).is_some());
        assert_eq!(Entries::take_buffers().scratch_capacity(), 0);
        let mut first = first_write::<Plain>();
        let decimal = |v: &u64, out: &mut String| out.push_str(&v.to_string());
        first.codec(Cow::Borrowed("p.id"), Some(&5u64), decimal, false);
        assert!(
            first.scratch.is_some(),
            "a codec writes in the scratch text"
        );
        assert!(finish::<Plain>(first, false).is_some());
        assert!(
            Entries::take_buffers().scratch_capacity() > 0,
            "handed back"
        );
    }

    #[test]
    fn without_typed_removes_only_the_schema() {
        let cx = Context::new()
            .with_baggage([
                opentelemetry::KeyValue::new("other", "x"),
                opentelemetry::KeyValue::new("p.other", "y"),
            ])
            .with_typed(&Plain {
                id: 7,
                tag: Some("t".into()),
            })
            .unwrap();
        let cx = cx.without_typed::<Plain>();
        let b = cx.baggage();
        let mut keys: Vec<&str> = b.iter().map(|(k, _)| k.as_str()).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["other", "p.other"]);
    }

    #[test]
    fn with_typed_holds_the_schema_budget() {
        // `b.id=<n digits>`: 5 + n bytes, within 24 up to 19 digits.
        assert!(Context::new()
            .with_typed(&Budget {
                id: 10u64.pow(18),
                tag: None
            })
            .is_ok());
        match Context::new().with_typed(&Budget {
            id: u64::MAX,
            tag: None,
        }) {
            Err(Error::LimitExceeded {
                limit: Limit::SchemaBytes { schema: "Budget" },
                size: 25,
                allowance: 24,
            }) => {}
            other => panic!("expected the schema budget, got {other:?}"),
        }
    }

    #[test]
    fn a_local_schema_lives_beside_the_baggage_and_only_there() {
        use crate::test_schemas::{Local, Plain};
        use opentelemetry::KeyValue;

        // A client's forged `l.id` in the baggage is not the local schema.
        let forged = Context::new().with_baggage([KeyValue::new("l.id", "9")]);
        assert_eq!(
            Local::from_context(&forged)
                .unwrap_err()
                .keys()
                .collect::<Vec<_>>(),
            ["l.id"]
        );

        let local = Local {
            id: 1,
            tag: Some("t".into()),
        };
        let plain = Plain { id: 2, tag: None };
        let cx = forged
            .with_typed(&local)
            .unwrap()
            .with_typed(&plain)
            .unwrap();
        assert_eq!(
            text(cx.local_baggage()),
            [
                ("l.id".to_owned(), "1".to_owned(), String::new()),
                ("l.tag".to_owned(), "t".to_owned(), String::new()),
            ]
        );
        // The baggage holds what it held and the propagated schema, never
        // the local entries.
        assert_eq!(cx.baggage().get("l.id").map(|v| v.as_str()), Some("9"));
        assert_eq!(cx.baggage().get("l.tag"), None);
        assert_eq!(cx.baggage().len(), 2);
        assert_eq!(cx.typed::<Local>().unwrap(), local);
        assert_eq!(cx.typed::<Plain>().unwrap(), plain);

        // Merge, never clobber, in the local entries too.
        let next = cx.with_typed(&Local { id: 3, tag: None }).unwrap();
        assert_eq!(
            text(next.local_baggage()),
            [("l.id".to_owned(), "3".to_owned(), String::new())]
        );

        let without = cx.without_typed::<Local>();
        assert!(without.local_baggage().is_empty());
        assert_eq!(without.baggage().len(), 2);
        assert_eq!(without.typed::<Plain>().unwrap(), plain);
        // Removing a propagated schema leaves the local entries.
        assert_eq!(cx.without_typed::<Plain>().typed::<Local>().unwrap(), local);
        assert!(Context::new().local_baggage().is_empty());
    }

    #[test]
    fn local_entries_take_no_room_in_the_baggage_and_have_limits_of_their_own() {
        use crate::test_schemas::{Local, Plain};
        use opentelemetry::KeyValue;

        // A baggage at the W3C member limit: no propagated schema fits, a
        // local one does.
        let full = Context::new()
            .with_baggage((0..MAX_MEMBERS).map(|i| KeyValue::new(format!("k{i}"), "v")));
        assert_eq!(full.baggage().len(), MAX_MEMBERS);
        let plain = Plain { id: 1, tag: None };
        assert!(matches!(
            full.with_typed(&plain),
            Err(Error::LimitExceeded {
                limit: Limit::Members,
                ..
            })
        ));
        let local = Local { id: 1, tag: None };
        let cx = full.with_typed(&local).unwrap();
        assert_eq!(cx.baggage().len(), MAX_MEMBERS);
        assert_eq!(cx.typed::<Local>().unwrap(), local);

        // The local entries are measured by the same rules: a value over
        // the W3C byte limit is refused, and the context is left as it was.
        let huge = Local {
            id: 2,
            tag: Some("x".repeat(MAX_BYTES)),
        };
        assert!(matches!(
            cx.with_typed(&huge),
            Err(Error::LimitExceeded {
                limit: Limit::Bytes,
                ..
            })
        ));
        assert_eq!(cx.typed::<Local>().unwrap(), local);
    }
}
