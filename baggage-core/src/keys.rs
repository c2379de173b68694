//! Keys: the one home of every rule about a baggage key.
//!
//! - **Syntax**: a key is an RFC 7230 token ([`is_valid_key`], the rule of
//!   [`baggage_rules::key`], which the derive applies to declared keys).
//! - **Flatten and prefix resolution**: a field declared with the key
//!   `prefix + name` in a schema flattened under a site prefix is written
//!   `site + name`, and the outermost site wins ([`resolve`], [`site`],
//!   [`Remap`]). The schema description ([`crate::schema`]), the generated
//!   code and the compile-time checks all resolve keys through these.
//! - **Membership**: whether a key is one of a set (a schema's keys, which
//!   a write replaces and `without_typed` removes; an allowlist) is asked
//!   through [`KeySet`] and [`retain`].

use std::borrow::Cow;

use opentelemetry::baggage::Baggage as OtelBaggage;

/// `true` if `key` is a valid baggage key: a non-empty RFC 7230 token.
///
/// Use it to check a key made at run time before putting it in baggage:
/// OpenTelemetry's `Baggage::insert` drops an invalid key without a word,
/// and the propagator would not send it.
///
/// ```
/// use typed_baggage::wire::is_valid_key;
/// assert!(is_valid_key("app.user_id"));
/// assert!(!is_valid_key("user id") && !is_valid_key("") && !is_valid_key("a/b"));
/// ```
#[inline]
pub fn is_valid_key(key: &str) -> bool {
    // One table load per byte: keys are short, and a hostile long one is
    // bounded by the header limit.
    !key.is_empty() && key.bytes().fold(true, |ok, b| ok & is_tchar(b))
}

/// [`baggage_rules::key::is_tchar`] as a table.
#[inline(always)]
#[allow(clippy::indexing_slicing)] // a `u8` is always below the table's 256 entries
pub(crate) fn is_tchar(byte: u8) -> bool {
    TCHAR[byte as usize]
}

#[allow(clippy::indexing_slicing)] // compile time, `b < 256`
static TCHAR: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = baggage_rules::key::is_tchar(b as u8);
        b += 1;
    }
    table
};

/// The key of a field declared as `key` in a schema whose own prefix is
/// `own_prefix`, once flattened under the site prefix `site`, as two parts
/// written one after the other: `("", key)` without a site, else the site
/// and the key without its own prefix.
pub const fn resolve(
    key: &'static str,
    own_prefix: &'static str,
    site: Option<&'static str>,
) -> (&'static [u8], &'static [u8]) {
    let key = key.as_bytes();
    match site {
        None => (b"", key),
        Some(site) => (
            site.as_bytes(),
            key.split_at(own_prefix_len(key, own_prefix)).1,
        ),
    }
}

/// The length of `own_prefix` if `key` starts with it, else 0 (the derive
/// builds every key as prefix + name, so it always does).
const fn own_prefix_len(key: &[u8], own_prefix: &str) -> usize {
    let n = if own_prefix.len() <= key.len() {
        own_prefix.len()
    } else {
        key.len()
    };
    if concat_eq((own_prefix.as_bytes(), b""), (key.split_at(n).0, b"")) {
        own_prefix.len()
    } else {
        0
    }
}

/// The site prefix of a schema flattened with `flatten_prefix` inside a
/// schema resolved under `outer`: the outermost prefix wins.
#[inline]
pub const fn site(
    outer: Option<&'static str>,
    flatten_prefix: Option<&'static str>,
) -> Option<&'static str> {
    match outer {
        Some(s) => Some(s),
        None => flatten_prefix,
    }
}

/// `true` if `text` is the key [`resolve`] gives.
#[inline]
pub fn is_resolved(text: &str, parts: (&[u8], &[u8])) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == parts.0.len() + parts.1.len()
        && bytes.starts_with(parts.0)
        && bytes.ends_with(parts.1)
}

/// The text of a resolved key.
pub fn resolved_text(parts: (&'static [u8], &'static [u8])) -> Cow<'static, str> {
    match parts {
        (b"", tail) => match std::str::from_utf8(tail) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => Cow::Owned(String::from_utf8_lossy(tail).into_owned()),
        },
        (head, tail) => {
            let mut bytes = Vec::with_capacity(head.len() + tail.len());
            bytes.extend_from_slice(head);
            bytes.extend_from_slice(tail);
            Cow::Owned(
                String::from_utf8(bytes)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            )
        }
    }
}

/// `a1 ++ a2 == b1 ++ b2`, in a `const fn`.
#[allow(clippy::indexing_slicing)] // every index is below the checked total length
pub const fn concat_eq(a: (&[u8], &[u8]), b: (&[u8], &[u8])) -> bool {
    let len = a.0.len() + a.1.len();
    if len != b.0.len() + b.1.len() {
        return false;
    }
    let mut i = 0;
    while i < len {
        let x = if i < a.0.len() {
            a.0[i]
        } else {
            a.1[i - a.0.len()]
        };
        let y = if i < b.0.len() {
            b.0[i]
        } else {
            b.1[i - b.0.len()]
        };
        if x != y {
            return false;
        }
        i += 1;
    }
    true
}

/// Where a schema's keys go when generated code writes or reads them: as
/// declared, or under the site prefix of a flatten, resolved by the rule
/// of this module (`resolve`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remap(Option<&'static str>);

impl Remap {
    /// Keys as declared.
    pub const NONE: Remap = Remap(None);

    /// The key `key`, whose own prefix is `prefix_len` bytes long.
    #[inline(always)]
    pub fn key(self, key: &'static str, prefix_len: usize) -> Cow<'static, str> {
        match self.0 {
            None => Cow::Borrowed(key),
            Some(_) => resolved_text(resolve(key, key.get(..prefix_len).unwrap_or(""), self.0)),
        }
    }

    /// The remap of a schema flattened here with `flatten_prefix`.
    #[inline]
    pub fn child(self, flatten_prefix: Option<&'static str>) -> Remap {
        Remap(site(self.0, flatten_prefix))
    }
}

/// Where a schema's keys come from when generated code reads them: a
/// decoder is one body, generic over its key source, and compiled for the
/// sources a program reads with. [`DeclaredKeys`] gives each key as
/// declared (a `&'static str`, the common case: no branch, and an error
/// borrows it); [`Remap`] gives it resolved under a flatten site's prefix
/// (a `Cow`, built per key).
pub trait KeySource: Copy {
    /// A key as this source gives it; the decoders take a reference to it.
    type Key: FieldKey;

    /// The key `key`, whose own prefix is `prefix_len` bytes long.
    fn key(self, key: &'static str, prefix_len: usize) -> Self::Key;

    /// The keys of a schema flattened here under the site prefix
    /// `flatten_prefix` (a flatten without one keeps this source).
    fn under(self, flatten_prefix: &'static str) -> Remap;
}

/// The keys of a schema as declared: the source of every read except a
/// schema flattened under a site prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeclaredKeys;

impl KeySource for DeclaredKeys {
    type Key = &'static str;

    #[inline(always)]
    fn key(self, key: &'static str, _prefix_len: usize) -> &'static str {
        key
    }

    #[inline]
    fn under(self, flatten_prefix: &'static str) -> Remap {
        Remap::NONE.child(Some(flatten_prefix))
    }
}

impl KeySource for Remap {
    type Key = Cow<'static, str>;

    #[inline(always)]
    fn key(self, key: &'static str, prefix_len: usize) -> Cow<'static, str> {
        Remap::key(self, key, prefix_len)
    }

    #[inline]
    fn under(self, flatten_prefix: &'static str) -> Remap {
        self.child(Some(flatten_prefix))
    }
}

/// A field's key as a [`KeySource`] gives it, to the decoders (which
/// take a reference to it): the declared `&'static str` (the common case:
/// inlined, it is the two words of the `str`, and an error borrows it), or,
/// for a schema flattened under a prefix, the key rebuilt under that
/// prefix (an error copies it).
pub trait FieldKey {
    /// The key's text, to look up.
    fn text(&self) -> &str;
    /// The key, to name in an error.
    fn to_key(&self) -> Cow<'static, str>;
}

impl FieldKey for &'static str {
    #[inline(always)]
    fn text(&self) -> &str {
        self
    }
    #[inline]
    fn to_key(&self) -> Cow<'static, str> {
        Cow::Borrowed(self)
    }
}

impl FieldKey for Cow<'static, str> {
    #[inline(always)]
    fn text(&self) -> &str {
        self
    }
    #[inline]
    fn to_key(&self) -> Cow<'static, str> {
        self.clone()
    }
}

/// A set of keys, for "is this key one of these?" asked of many keys: a
/// 64-bit summary (of each key's length and last byte) answers "no" for
/// most keys without comparing them, and `contains` decides the rest.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeySet<F> {
    bits: u64,
    contains: F,
}

impl<F: Fn(&str) -> bool> KeySet<F> {
    /// The set of `keys`, whose membership `contains` decides.
    #[cfg(test)]
    pub(crate) fn new<'k>(keys: impl IntoIterator<Item = &'k str>, contains: F) -> Self {
        let bits = keys.into_iter().fold(0, |set, key| set | key_bit(key));
        KeySet { bits, contains }
    }

    /// The set whose summary `bits` was made beforehand (from
    /// [`resolved_key_bit`]s, at compile time) and whose membership `contains` decides.
    pub(crate) fn from_bits(bits: u64, contains: F) -> Self {
        KeySet { bits, contains }
    }

    /// `true` if `key` is in the set.
    #[inline]
    pub(crate) fn contains(&self, key: &str) -> bool {
        self.bits & key_bit(key) != 0 && (self.contains)(key)
    }
}

/// The bit of a key given as two parts written one after the other (see
/// [`resolve`]): what [`key_bit`] gives for the whole key, at compile
/// time, for [`KeySet::from_bits`].
pub(crate) const fn resolved_key_bit((head, tail): (&[u8], &[u8])) -> u64 {
    let last = match (tail.last(), head.last()) {
        (Some(&b), _) | (None, Some(&b)) => b,
        (None, None) => 0,
    };
    bit_of(head.len() + tail.len(), last)
}

/// The bit of `key` in a set of 64: of its length and its last byte.
#[inline]
fn key_bit(key: &str) -> u64 {
    let last = key.as_bytes().last().copied().unwrap_or(0);
    bit_of(key.len(), last)
}

/// The bit of a key of `len` bytes whose last byte is `last`.
#[inline]
const fn bit_of(len: usize, last: u8) -> u64 {
    1 << ((len ^ (last as usize).wrapping_mul(7)) % 64)
}

/// An item that has a wire key (a schema's field description), for a
/// [`KeyTable`].
pub(crate) trait Keyed {
    /// The key.
    fn key(&self) -> &'static str;
}

/// The most keys a [`KeyTable`] holds.
pub(crate) const SCAN_SLOTS: usize = 32;

/// The number of buckets of a [`KeyTable`]: a power of two, at least twice
/// [`SCAN_SLOTS`], so that probes are short and always end.
const BUCKETS: usize = 64;

/// An open-addressing table from a schema's own keys (at most
/// [`SCAN_SLOTS`]) to their field indexes: membership of a schema's key set
/// when a whole baggage is walked once.
pub(crate) struct KeyTable<F: 'static> {
    fields: &'static [F],
    prints: [u32; SCAN_SLOTS],
    /// Field index + 1; 0 is an empty bucket.
    buckets: [u8; BUCKETS],
}

impl<F: Keyed> KeyTable<F> {
    pub(crate) fn new(fields: &'static [F]) -> Self {
        let mut table = KeyTable {
            fields,
            prints: [0; SCAN_SLOTS],
            buckets: [0; BUCKETS],
        };
        for (i, (print, f)) in table.prints.iter_mut().zip(fields).enumerate() {
            *print = fingerprint(f.key());
            let mut b = bucket(*print);
            while table.buckets.get(b).is_some_and(|&taken| taken != 0) {
                b = (b + 1) % BUCKETS;
            }
            if let Some(empty) = table.buckets.get_mut(b) {
                // `i` < SCAN_SLOTS, which fits in a `u8`.
                *empty = i as u8 + 1;
            }
        }
        table
    }

    /// The index of the field whose key is `key`.
    #[inline]
    pub(crate) fn find(&self, key: &str) -> Option<usize> {
        let print = fingerprint(key);
        let mut b = bucket(print);
        loop {
            let i = usize::from(*self.buckets.get(b)?).checked_sub(1)?;
            if self.prints.get(i) == Some(&print) && self.fields.get(i)?.key() == key {
                return Some(i);
            }
            b = (b + 1) % BUCKETS;
        }
    }
}

/// The length of `key` and three of its bytes, which tell most keys of a
/// schema apart (they often share a prefix) before comparing them whole.
#[inline]
fn fingerprint(key: &str) -> u32 {
    let bytes = key.as_bytes();
    let n = bytes.len();
    let at = |i: usize| u32::from(bytes.get(i).copied().unwrap_or(0));
    (n.min(255) as u32) | at(n.wrapping_sub(1)) << 8 | at(n / 2) << 16 | at(n / 4) << 24
}

/// The bucket of a fingerprint (Fibonacci hashing: the top bits of a
/// multiplication).
#[inline]
fn bucket(print: u32) -> usize {
    (print.wrapping_mul(0x9E37_79B9) >> (32 - BUCKETS.trailing_zeros())) as usize
}

/// A copy of `baggage` with only the entries whose key `keep` accepts
/// (values and properties as they were).
pub(crate) fn retain(baggage: &OtelBaggage, keep: impl FnMut(&str) -> bool) -> OtelBaggage {
    retain_each(baggage, keep, |_, _, _| {})
}

/// [`retain`], calling `kept` with each entry kept, `(key, value,
/// properties)`, in the same pass (to measure them).
pub(crate) fn retain_each(
    baggage: &OtelBaggage,
    mut keep: impl FnMut(&str) -> bool,
    mut kept: impl FnMut(&str, &str, &str),
) -> OtelBaggage {
    let mut out = OtelBaggage::new();
    for (key, (value, metadata)) in baggage {
        if keep(key.as_str()) {
            kept(key.as_str(), value.as_str(), metadata.as_str());
            let _ = out.insert_with_metadata(key.clone(), value.clone(), metadata.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_tokens() {
        for b in 0u8..=0xff {
            let key = [b'k', b];
            let valid = std::str::from_utf8(&key).is_ok_and(is_valid_key);
            assert_eq!(valid, baggage_rules::key::is_tchar(b), "{b:#x}");
            assert_eq!(is_tchar(b), baggage_rules::key::is_tchar(b), "{b:#x}");
        }
        assert!(!is_valid_key("ké"));
        assert!(!is_valid_key(""));
        assert!(is_valid_key("!#$%&'*+-.^_`|~09azAZ"));
    }

    #[test]
    fn resolution_replaces_the_own_prefix_and_the_outermost_site_wins() {
        assert_eq!(resolve("app.id", "app.", None), (&b""[..], &b"app.id"[..]));
        assert_eq!(
            resolve("app.id", "app.", Some("p.")),
            (&b"p."[..], &b"id"[..])
        );
        assert_eq!(resolve("id", "", Some("p.")), (&b"p."[..], &b"id"[..]));
        assert_eq!(resolve("x", "long.", Some("p.")), (&b"p."[..], &b"x"[..]));
        assert_eq!(site(Some("outer."), Some("inner.")), Some("outer."));
        assert_eq!(site(None, Some("inner.")), Some("inner."));
        assert_eq!(site(None, None), None);
        assert_eq!(Remap::NONE.key("app.id", 4), "app.id");
        assert_eq!(Remap::NONE.child(Some("p.")).key("app.id", 4), "p.id");
        assert_eq!(
            Remap::NONE
                .child(Some("p."))
                .child(Some("q."))
                .key("app.id", 4),
            "p.id"
        );
        assert!(is_resolved("p.id", (b"p.", b"id")));
        assert!(is_resolved("ab.c", (b"ab.", b"c")));
        assert!(!is_resolved("ab.", (b"ab.", b"c")));
        assert!(!is_resolved("p.idd", (b"p.", b"id")));
        assert!(!is_resolved("q.id", (b"p.", b"id")));
        assert_eq!(resolved_text((b"p.", b"id")), "p.id");
        assert!(concat_eq((b"ab", b"c"), (b"a", b"bc")));
        assert!(!concat_eq((b"ab", b"c"), (b"a", b"bd")));
    }

    #[test]
    fn a_resolved_key_has_the_bit_of_its_whole_text() {
        for (head, tail) in [
            ("app.", "id"),
            ("", "id"),
            ("app.id", ""),
            ("", ""),
            ("p.", "x"),
        ] {
            let whole = format!("{head}{tail}");
            assert_eq!(
                resolved_key_bit((head.as_bytes(), tail.as_bytes())),
                key_bit(&whole),
                "{whole:?}"
            );
        }
        let bits = resolved_key_bit((b"app.", b"id")) | resolved_key_bit((b"b", b""));
        let set = KeySet::from_bits(bits, |k: &str| k == "app.id" || k == "b");
        assert!(set.contains("app.id") && set.contains("b"));
        assert_eq!(key_bit("xyz.id"), key_bit("app.id"));
        assert!(!set.contains("xyz.id"), "the predicate decides");
    }

    /// A schema's summary made at compile time is the one its keys give,
    /// flattened schemas resolved (one level and two, under a site's
    /// prefix and their own) and its signature's key included.
    #[test]
    fn a_schemas_key_summary_is_that_of_its_keys() {
        use crate::schema::{Flattened, Schema, Signature};
        use crate::test_schemas::{Plain, Signed, Traced};
        use crate::Baggage;
        const INNER: Schema = Schema {
            name: "Inner",
            flattened: &[Flattened {
                field: "plain",
                prefix: Some("q."),
                schema: &Plain::SCHEMA,
            }],
            ..Signed::SCHEMA
        };
        const OUTER: Schema = Schema {
            name: "Outer",
            flattened: &[
                Flattened {
                    field: "inner",
                    prefix: Some("r."),
                    schema: &INNER,
                },
                Flattened {
                    field: "own",
                    prefix: None,
                    schema: &Plain::SCHEMA,
                },
            ],
            // a signature key whose bit no field key has
            signature: Some(Signature {
                key: "acct.signature",
                max_age_secs: None,
                bind_trace: false,
            }),
            ..Traced::SCHEMA
        };
        let whole = |schema: &Schema| schema.keys().iter().fold(0, |b, k| b | key_bit(k));
        for schema in [Plain::SCHEMA, Signed::SCHEMA, Traced::SCHEMA, INNER, OUTER] {
            assert_eq!(schema.key_bits(), whole(&schema), "{}", schema.name);
        }
        let keys = OUTER.keys();
        for key in ["t.id", "r.id", "r.tag", "p.id", "p.tag", "acct.signature"] {
            assert!(keys.iter().any(|k| k == key), "{key} in {keys:?}");
        }
        let signature = key_bit("acct.signature");
        assert_eq!(OUTER.key_bits() & signature, signature);
        let fields_only = Schema {
            signature: None,
            ..OUTER
        };
        assert_eq!(
            fields_only.key_bits() & signature,
            0,
            "the signature's own bit"
        );
    }

    #[test]
    fn key_set_is_exact_where_bits_collide() {
        // Same length and last byte: the same bit, and not the same key.
        let keys = ["app.a"];
        let contains = |k: &str| keys.contains(&k);
        let set = KeySet::new(keys, &contains);
        assert_eq!(key_bit("app.a"), key_bit("xpp.a"));
        assert!(set.contains("app.a"), "a set of one key holds it");
        assert!(!set.contains("xpp.a"), "the bit alone does not decide");
        let none = |_: &str| false;
        assert!(
            !KeySet::new(["app.a"], &none).contains("app.a"),
            "the predicate decides"
        );
    }

    struct Field(&'static str);

    impl Keyed for Field {
        fn key(&self) -> &'static str {
            self.0
        }
    }

    #[test]
    fn key_table_finds_each_key_at_its_index() {
        // 32 keys sharing a prefix, and their near misses.
        static KEYS: std::sync::LazyLock<Vec<Field>> = std::sync::LazyLock::new(|| {
            (0..SCAN_SLOTS)
                .map(|i| Field(Box::leak(format!("app.field_{i}").into_boxed_str())))
                .collect()
        });
        let table = KeyTable::new(KEYS.as_slice());
        for (i, f) in KEYS.iter().enumerate() {
            assert_eq!(table.find(f.0), Some(i), "{}", f.0);
        }
        for missing in ["app.field_32", "app.field_", "", "app.field_1 ", "x"] {
            assert_eq!(table.find(missing), None, "{missing}");
        }
        static FEW: [Field; 3] = [Field("a"), Field("b"), Field("ab")];
        let table = KeyTable::new(&FEW);
        assert_eq!(
            ["a", "b", "ab", "ba", "c"].map(|k| table.find(k)),
            [Some(0), Some(1), Some(2), None, None]
        );
    }

    /// The set's promise: most keys that are not in it are turned away by
    /// their bit, without asking the predicate.
    #[test]
    fn key_set_filters_most_other_keys_by_their_bit() {
        let keys = ["app.user_id", "app.tier", "app.region"];
        let calls = std::cell::Cell::new(0);
        let contains = |k: &str| {
            calls.set(calls.get() + 1);
            keys.contains(&k)
        };
        let set = KeySet::new(keys, &contains);
        let mut others = 0;
        for len in 1..=20 {
            for last in b'a'..=b'j' {
                let key = format!("{}{}", "x".repeat(len - 1), char::from(last));
                assert!(!set.contains(&key));
                others += 1;
            }
        }
        // 3 bits of 64 taken: about 5 % of other keys reach the predicate.
        assert!(calls.get() * 8 < others, "{} of {others}", calls.get());
    }

    /// The table's promise: short probes, most keys in their home bucket.
    #[test]
    fn key_table_keys_mostly_sit_in_their_home_bucket() {
        static KEYS: std::sync::LazyLock<Vec<Field>> = std::sync::LazyLock::new(|| {
            (0..SCAN_SLOTS)
                .map(|i| Field(Box::leak(format!("app.field_{i}").into_boxed_str())))
                .collect()
        });
        let table = KeyTable::new(KEYS.as_slice());
        let home = (0..KEYS.len())
            .filter(|&i| {
                let print = table.prints[i];
                assert_eq!(print, fingerprint(KEYS[i].0));
                usize::from(table.buckets[bucket(print)]) == i + 1
            })
            .count();
        assert!(home * 2 >= KEYS.len(), "{home} of {} at home", KEYS.len());
    }

    #[test]
    fn field_keys_and_remaps() {
        let declared: &'static str = "app.id";
        assert_eq!(FieldKey::text(&declared), "app.id");
        assert!(matches!(declared.to_key(), Cow::Borrowed("app.id")));
        let rebuilt: Cow<'static, str> = Cow::Owned("p.id".to_owned());
        assert_eq!(FieldKey::text(&rebuilt), "p.id");
        assert_eq!(rebuilt.to_key(), "p.id");
        assert_eq!(Remap::NONE.child(None), Remap::NONE);
        assert_ne!(Remap::NONE.child(Some("p.")), Remap::NONE);
        assert_eq!(DeclaredKeys.under("p."), Remap::NONE.child(Some("p.")));
    }

    #[test]
    fn key_sources_give_the_declared_or_the_resolved_key() {
        let declared: &str = KeySource::key(DeclaredKeys, "app.id", 4);
        assert_eq!(declared, "app.id");
        assert_eq!(KeySource::key(Remap::NONE, "app.id", 4), "app.id");
        let site = DeclaredKeys.under("job.");
        assert_eq!(KeySource::key(site, "app.id", 4), "job.id");
        // The outermost site wins.
        assert_eq!(KeySource::key(site.under("outer."), "app.id", 4), "job.id");
        assert_eq!(KeySource::key(Remap::NONE.under("x."), "app.id", 4), "x.id");
    }

    #[test]
    fn retain_keeps_values_and_properties_of_the_kept_keys() {
        use opentelemetry::baggage::BaggageMetadata;
        let mut b = OtelBaggage::new();
        let _ = b.insert_with_metadata("a", "1", BaggageMetadata::from("p=1"));
        let _ = b.insert("b", "2");
        let kept = retain(&b, |k| k == "a");
        assert_eq!(kept.len(), 1);
        let (value, metadata) = kept.get_with_metadata("a").expect("kept");
        assert_eq!((value.as_str(), metadata.as_str()), ("1", "p=1"));
        assert_eq!(retain(&b, |_| true).len(), 2);
    }

    #[test]
    fn key_set_answers_as_its_predicate() {
        let keys = ["app.a", "app.bb", "x"];
        let contains = |k: &str| keys.contains(&k);
        let set = KeySet::new(keys, &contains);
        for k in ["app.a", "app.bb", "x", "y", "app.c", "", "app.aa"] {
            assert_eq!(set.contains(k), keys.contains(&k), "{k}");
        }
    }
}
