//! A written-down description of a schema: which keys it reads, as what.
//!
//! With the `serde` feature, [`Schema`] serializes (to JSON, say),
//! [`document::Document`] is the versioned document of what a service
//! writes and reads (for the contract checker, `baggage-contract`); and
//! [`markdown_table`] writes the keys of several schemas as one Markdown
//! table, so that which service reads which keys is written down.
//!
//! ```
//! # #[cfg(feature = "serde")]
//! # fn main() -> Result<(), serde_json::Error> {
//! use typed_baggage::prelude::*;
//!
//! /// Feature flags.
//! #[derive(Baggage)]
//! #[baggage(prefix = "ff.")]
//! struct Flags {
//!     /// The new checkout page.
//!     #[baggage(metric_label)]
//!     new_checkout: bool,
//! }
//!
//! assert_eq!(
//!     serde_json::to_string(&Flags::SCHEMA)?,
//!     r#"{"name":"Flags","crate":"baggage-core","doc":"Feature flags.","prefix":"ff.","max_bytes":null,"fields":[{"key":"ff.new_checkout","field":"new_checkout","rust_type":"bool","format":"a boolean (`true` or `false`, any letter case)","wire":{"kind":"bool"},"requirement":"required","cardinality":"low","metric_label":true,"doc":"The new checkout page.","max_len":null,"max_item_len":null,"max_wire_len":5}],"flattened":[],"signature":null,"local":false}"#
//! );
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "serde"))]
//! # fn main() {}
//! ```

#[cfg(feature = "serde")]
pub mod document;
mod format;
mod markdown;

pub use format::Format;
pub use markdown::markdown_table;

use baggage_rules::size::member_len_with;

use crate::keys::{self, Keyed};

/// How many distinct values a field can take (for metric-label guards and docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Cardinality {
    /// A small fixed set: `bool`, fieldless enums.
    Low,
    /// Numbers, free text, lists: unbounded for any practical purpose.
    High,
}

/// Whether a key must be present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Requirement {
    /// Absent is an [`Error::Missing`](crate::Error::Missing).
    Required,
    /// An `Option` field: absent is `None`.
    Optional,
    /// `#[baggage(default)]`: absent is the default value.
    Default,
}

/// One key of a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FieldSchema {
    /// The key on the wire, prefix included.
    pub key: &'static str,
    /// The Rust field name.
    pub field: &'static str,
    /// The Rust type, as written in the struct.
    pub rust_type: &'static str,
    /// The entry value's format, in words.
    pub format: &'static str,
    /// The entry value's format, as data ([`BaggageValue::FORMAT`](crate::BaggageValue::FORMAT)).
    pub wire: &'static Format,
    /// Required, optional or defaulted.
    pub requirement: Requirement,
    /// How many distinct values the field can take.
    pub cardinality: Cardinality,
    /// `#[baggage(metric_label)]`: one of [`Baggage::metric_attributes`](crate::Baggage::metric_attributes).
    pub metric_label: bool,
    /// The field's doc comment.
    pub doc: &'static str,
    /// `#[baggage(max_len = N)]`: the most characters of a `String`, or
    /// elements of a `Vec`.
    pub max_len: Option<usize>,
    /// `#[baggage(max_item_len = N)]`: the most characters of each element
    /// of a `Vec<String>`.
    pub max_item_len: Option<usize>,
    /// The most bytes the value takes on the wire (percent-encoding
    /// included), if the field is bounded: integers, floats, `bool`, `char`,
    /// fieldless enums, and strings and lists with `max_len` (and
    /// `max_item_len` for a list of strings).
    pub max_wire_len: Option<usize>,
}

impl Keyed for FieldSchema {
    #[inline]
    fn key(&self) -> &'static str {
        self.key
    }
}

/// A schema embedded in another with `#[baggage(flatten)]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Flattened {
    /// The Rust field name in the outer struct.
    pub field: &'static str,
    /// `#[baggage(flatten, prefix = "...")]`: the prefix that replaces the
    /// flattened schema's own (on its keys and those it flattens in turn);
    /// `None` keeps its keys as they are.
    pub prefix: Option<&'static str>,
    /// The flattened schema.
    pub schema: &'static Schema,
}

/// One key of a schema with its flattened schemas resolved: the key as it
/// is on the wire and the field it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedField {
    /// The key on the wire (a flatten-site prefix applied).
    pub key: std::borrow::Cow<'static, str>,
    /// The field's description (its `key` is the one of its own schema).
    pub field: &'static FieldSchema,
    /// The name of the schema that declares the field.
    pub schema: &'static str,
}

/// A schema: what `#[derive(Baggage)]` knows about a struct, as data.
///
/// ```
/// use typed_baggage::prelude::*;
/// use typed_baggage::schema::Requirement;
///
/// /// Who is calling.
/// #[derive(Baggage)]
/// #[baggage(prefix = "app.")]
/// struct UserCtx {
///     /// The account id.
///     user_id: u64,
///     region: Option<String>,
/// }
///
/// let s = UserCtx::SCHEMA;
/// assert_eq!(s.name, "UserCtx");
/// assert_eq!(s.doc, "Who is calling.");
/// assert_eq!(s.fields[0].key, "app.user_id");
/// assert_eq!(s.fields[0].doc, "The account id.");
/// assert_eq!(s.fields[1].requirement, Requirement::Optional);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Schema {
    /// The Rust type name.
    pub name: &'static str,
    /// The name of the crate that declares the schema (its
    /// `CARGO_PKG_NAME`): two schemas of one name from two crates are two
    /// schemas.
    #[cfg_attr(feature = "serde", serde(rename = "crate"))]
    pub crate_name: &'static str,
    /// The struct's doc comment.
    pub doc: &'static str,
    /// The key prefix (`""` if none).
    pub prefix: &'static str,
    /// The schema's own budget in encoded bytes, if one is set.
    pub max_bytes: Option<usize>,
    /// Every carried field of the struct itself, in declaration order
    /// (`skip` fields are not carried; flattened schemas are in
    /// [`flattened`](Self::flattened), and [`resolved`](Self::resolved)
    /// lists every key).
    pub fields: &'static [FieldSchema],
    /// The schemas embedded with `#[baggage(flatten)]`, in declaration order.
    pub flattened: &'static [Flattened],
    /// How the schema is signed, for a `#[baggage(signed)]` schema.
    pub signature: Option<Signature>,
    /// A local schema (`#[baggage(local)]`): its entries live in the
    /// `Context` beside the baggage, are read and written by the same
    /// methods, reach spans, log records, `tracing` events and metrics,
    /// and are never written by a carrier nor read from one. See
    /// [`BaggageContextExt`](crate::BaggageContextExt).
    pub local: bool,
}

/// The [`FieldSchema`] of a plain field of type `F` without `max_len`, for
/// generated code: what its type says, computed here once rather than
/// written out by the derive for every field.
#[doc(hidden)]
pub const fn plain_field<F: crate::BaggageField>(
    key: &'static str,
    field: &'static str,
    rust_type: &'static str,
    doc: &'static str,
    metric_label: bool,
    defaulted: bool,
) -> FieldSchema {
    use crate::BaggageValue;
    FieldSchema {
        key,
        field,
        rust_type,
        format: <F::Value as BaggageValue>::EXPECTED,
        wire: <F::Value as BaggageValue>::__WIRE,
        requirement: if defaulted {
            Requirement::Default
        } else if F::REQUIRED {
            Requirement::Required
        } else {
            Requirement::Optional
        },
        cardinality: <F::Value as BaggageValue>::CARDINALITY,
        metric_label,
        doc,
        max_len: None,
        max_item_len: None,
        max_wire_len: <F::Value as BaggageValue>::MAX_WIRE_LEN,
    }
}

/// A resolved key as two parts written one after the other ([`keys::resolve`]).
type KeyParts = (&'static [u8], &'static [u8]);

/// The key of `field` (of a schema whose prefix is `own_prefix`) under the
/// flatten-site prefix `site`, as its two parts ([`keys::resolve`]).
const fn key_parts(
    field: &FieldSchema,
    own_prefix: &'static str,
    site: Option<&'static str>,
) -> (&'static [u8], &'static [u8]) {
    keys::resolve(field.key, own_prefix, site)
}

/// The longest signature value: `v1.`, a key id of at most 32 characters,
/// `.`, an issue time of at most 20 digits, `.`, and 43 characters of
/// base64url, all written as themselves on the wire.
pub(crate) const SIGNATURE_MAX_WIRE_LEN: usize = 3 + 32 + 1 + 20 + 1 + 43;

/// What the trace id adds to the value of a `bind_trace` signature: 32
/// lowercase hexadecimal digits and a `.`.
pub(crate) const TRACE_PART_LEN: usize = 32 + 1;

/// The signature of a `#[baggage(signed)]` schema: one more entry, next to
/// the fields, that the `signing` feature writes and checks.
///
/// ```
/// use typed_baggage::prelude::*;
/// use typed_baggage::schema::Signature;
///
/// #[derive(Baggage)]
/// #[baggage(prefix = "app.", signed, max_age_secs = 300)]
/// struct UserCtx { user_id: u64 }
///
/// assert_eq!(
///     UserCtx::SCHEMA.signature,
///     Some(Signature { key: "app.sig", max_age_secs: Some(300), bind_trace: false })
/// );
/// assert!(UserCtx::SCHEMA.contains_key("app.sig"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Signature {
    /// The key of the entry that holds the signature: `signed = "key"`, or
    /// the prefix followed by `sig`.
    pub key: &'static str,
    /// `max_age_secs = N`: a signature older than this is rejected (the key
    /// ring's own maximum age, if shorter, wins).
    pub max_age_secs: Option<u64>,
    /// `#[baggage(signed, bind_trace)]`: the signature also covers the trace
    /// id of the context it is written in, and is accepted only in a context
    /// of the same trace, so that a header copied into another trace is
    /// rejected (see `signing`, "Binding to the trace").
    ///
    /// The trade-off: every hop between the writer and a reader must carry
    /// the trace too (propagate the W3C `traceparent` header along with
    /// `baggage`, and read the schema in the context extracted from both),
    /// and the writer must have one (a span started, or a `traceparent`
    /// extracted); a reader without it, or in another trace, rejects the
    /// schema. The signature's value is 33 bytes longer: it carries the
    /// trace id, so that a reader can say in which trace it was made.
    pub bind_trace: bool,
}

impl Signature {
    /// The most bytes the signature's value takes on the wire (its key and
    /// `=` not included).
    ///
    /// ```
    /// use typed_baggage::schema::Signature;
    ///
    /// let plain = Signature { key: "app.sig", max_age_secs: None, bind_trace: false };
    /// let bound = Signature { bind_trace: true, ..plain };
    /// // v1.<key id, at most 32>.<issue time, at most 20 digits>.<43 characters of MAC>
    /// assert_eq!(plain.max_value_len(), 100);
    /// // ... and .<trace id, 32 hex digits> before the MAC.
    /// assert_eq!(bound.max_value_len(), 133);
    /// ```
    pub const fn max_value_len(&self) -> usize {
        if self.bind_trace {
            SIGNATURE_MAX_WIRE_LEN + TRACE_PART_LEN
        } else {
            SIGNATURE_MAX_WIRE_LEN
        }
    }
}

impl Schema {
    /// The field of a key, if the struct itself declares it (see
    /// [`resolved_field`](Self::resolved_field) for flattened keys).
    pub fn field(&self, key: &str) -> Option<&FieldSchema> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// `true` if `key` belongs to this schema: one of its fields (flattened
    /// schemas included), or its signature.
    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key, None).is_some() || self.signature.is_some_and(|s| s.key == key)
    }

    /// Every key the schema writes: its fields' keys (flattened schemas
    /// resolved), then its signature's.
    pub fn keys(&self) -> Vec<std::borrow::Cow<'static, str>> {
        let mut keys: Vec<_> = self.resolved().into_iter().map(|f| f.key).collect();
        keys.extend(self.signature.map(|s| std::borrow::Cow::Borrowed(s.key)));
        keys
    }

    /// The field a wire key belongs to, flattened schemas included.
    pub fn resolved_field(&self, key: &str) -> Option<&'static FieldSchema> {
        self.find(key, None)
    }

    fn find(&self, key: &str, site: Option<&'static str>) -> Option<&'static FieldSchema> {
        // A plain string comparison without a site: this runs for every
        // member that a direct header read or `without_typed` looks at.
        let own = match site {
            None => self.fields.iter().find(|f| f.key == key),
            Some(_) => self
                .fields
                .iter()
                .find(|f| keys::is_resolved(key, key_parts(f, self.prefix, site))),
        };
        own.or_else(|| {
            self.flattened
                .iter()
                .find_map(|fl| fl.schema.find(key, keys::site(site, fl.prefix)))
        })
    }

    /// Every key of the schema, flattened schemas resolved, in declaration order.
    ///
    /// ```
    /// use typed_baggage::prelude::*;
    ///
    /// #[derive(Baggage)]
    /// #[baggage(prefix = "user.")]
    /// struct User { id: u64 }
    ///
    /// #[derive(Baggage)]
    /// #[baggage(prefix = "app.")]
    /// struct Request {
    ///     #[baggage(flatten)]
    ///     user: User,
    ///     #[baggage(flatten, prefix = "payer.")]
    ///     payer: User,
    ///     tier: String,
    /// }
    ///
    /// let keys: Vec<_> = Request::SCHEMA.resolved().into_iter().map(|f| f.key).collect();
    /// assert_eq!(keys, ["app.tier", "user.id", "payer.id"]);
    /// ```
    pub fn resolved(&self) -> Vec<ResolvedField> {
        let mut out = Vec::with_capacity(self.key_count());
        self.resolve_into(None, &mut out);
        out
    }

    fn resolve_into(&self, site: Option<&'static str>, out: &mut Vec<ResolvedField>) {
        for f in self.fields {
            let key = keys::resolved_text(key_parts(f, self.prefix, site));
            out.push(ResolvedField {
                key,
                field: f,
                schema: self.name,
            });
        }
        for fl in self.flattened {
            fl.schema.resolve_into(keys::site(site, fl.prefix), out);
        }
    }

    /// The number of keys, flattened schemas included.
    pub const fn key_count(&self) -> usize {
        let mut n = self.fields.len();
        let mut rest = self.flattened;
        while let [fl, tail @ ..] = rest {
            n += fl.schema.key_count();
            rest = tail;
        }
        n
    }

    /// The key number `n` (in the order of [`resolved`](Self::resolved)), as two parts.
    const fn key_at(
        &self,
        site: Option<&'static str>,
        n: usize,
    ) -> Option<(&'static [u8], &'static [u8])> {
        let mut n = n;
        let mut fields = self.fields;
        while let [f, tail @ ..] = fields {
            if n == 0 {
                return Some(key_parts(f, self.prefix, site));
            }
            n -= 1;
            fields = tail;
        }
        let mut rest = self.flattened;
        while let [fl, tail @ ..] = rest {
            let count = fl.schema.key_count();
            if n < count {
                let site = keys::site(site, fl.prefix);
                return fl.schema.key_at(site, n);
            }
            n -= count;
            rest = tail;
        }
        None
    }

    /// The summary of [`keys`](Self::keys) for a [`keys::KeySet`], made at
    /// compile time.
    pub(crate) const fn key_bits(&self) -> u64 {
        let mut bits = 0;
        let mut i = 0;
        while let Some(parts) = self.key_at(None, i) {
            bits |= keys::resolved_key_bit(parts);
            i += 1;
        }
        if let Some(signature) = self.signature {
            bits |= keys::resolved_key_bit((signature.key.as_bytes(), b""));
        }
        bits
    }

    /// The first key that two fields share (through `flatten`), if any, as
    /// two parts to be written one after the other.
    pub const fn duplicate_key(&self) -> Option<(&'static [u8], &'static [u8])> {
        let count = self.key_count();
        let mut i = 0;
        while i < count {
            if let (Some(a), Some(sig)) = (self.key_at(None, i), self.signature) {
                if keys::concat_eq(a, (sig.key.as_bytes(), b"")) {
                    return Some(a);
                }
            }
            let mut j = i + 1;
            while j < count {
                if let (Some(a), Some(b)) = (self.key_at(None, i), self.key_at(None, j)) {
                    if keys::concat_eq(a, b) {
                        return Some(a);
                    }
                }
                j += 1;
            }
            i += 1;
        }
        None
    }

    /// The first key that a flatten-site prefix turns into a name that
    /// looks like a secret ([`baggage_rules::secret`]), though neither the
    /// field's own key nor its name does (those the field's own derive
    /// checked, with its `allow_secret`): as two parts, and the field.
    pub(crate) const fn secret_under_site(&self) -> Option<(KeyParts, &'static FieldSchema)> {
        self.secret_at(None)
    }

    const fn secret_at(
        &self,
        site: Option<&'static str>,
    ) -> Option<(KeyParts, &'static FieldSchema)> {
        if site.is_some() {
            let mut fields = self.fields;
            while let [f, tail @ ..] = fields {
                let parts = key_parts(f, self.prefix, site);
                if baggage_rules::secret::find(parts).is_some()
                    && baggage_rules::secret::find((b"", f.key.as_bytes())).is_none()
                    && baggage_rules::secret::find((b"", f.field.as_bytes())).is_none()
                {
                    return Some((parts, f));
                }
                fields = tail;
            }
        }
        let mut rest = self.flattened;
        while let [fl, tail @ ..] = rest {
            if let Some(hit) = fl.schema.secret_at(keys::site(site, fl.prefix)) {
                return Some(hit);
            }
            rest = tail;
        }
        None
    }

    /// Whether a field of this schema, or of one flattened into it, is a
    /// metric label (`#[baggage(metric_label)]`).
    pub const fn has_metric_label(&self) -> bool {
        let mut fields = self.fields;
        while let [f, tail @ ..] = fields {
            if f.metric_label {
                return true;
            }
            fields = tail;
        }
        let mut rest = self.flattened;
        while let [fl, tail @ ..] = rest {
            if fl.schema.has_metric_label() {
                return true;
            }
            rest = tail;
        }
        false
    }

    /// The name of a local schema flattened into this propagated one, at
    /// any depth: its entries would travel with this schema's.
    pub const fn local_flattened(&self) -> Option<&'static str> {
        if self.local {
            return None;
        }
        let mut rest = self.flattened;
        while let [fl, tail @ ..] = rest {
            if fl.schema.local {
                return Some(fl.schema.name);
            }
            if let Some(name) = fl.schema.local_flattened() {
                return Some(name);
            }
            rest = tail;
        }
        None
    }

    /// The name of a signed schema flattened into this one, at any depth:
    /// its signature would be neither written nor checked there.
    pub const fn signed_flattened(&self) -> Option<&'static str> {
        let mut rest = self.flattened;
        while let [fl, tail @ ..] = rest {
            if fl.schema.signature.is_some() {
                return Some(fl.schema.name);
            }
            if let Some(name) = fl.schema.signed_flattened() {
                return Some(name);
            }
            rest = tail;
        }
        None
    }

    /// The most bytes this schema's own entries can take on the wire: every
    /// field present at its longest, `key=value` members with the wire's
    /// percent-encoding and the commas between them, measured as the
    /// `max_bytes` budget is. `None` if a field is unbounded (a `String` or
    /// `Vec` without `max_len`, a codec field).
    ///
    /// ```
    /// use typed_baggage::prelude::*;
    ///
    /// #[derive(Baggage)]
    /// #[baggage(prefix = "app.")]
    /// struct Ctx { user_id: u64, beta: bool }
    ///
    /// // app.user_id=<20 digits>,app.beta=false
    /// assert_eq!(Ctx::SCHEMA.max_encoded_len(), Some(12 + 20 + 1 + 9 + 5));
    /// assert_eq!(Ctx::MAX_ENCODED_LEN, Some(47));
    /// ```
    pub const fn max_encoded_len(&self) -> Option<usize> {
        match self.bound(None) {
            Some((0, _)) => Some(0),
            Some((members, bytes)) => Some(bytes.saturating_add(members - 1)),
            None => None,
        }
    }

    /// `true` if this schema's own entries, however large its values,
    /// are within the W3C limits of a whole baggage (members and bytes) and
    /// within its `max_bytes` budget: then its own entries are not
    /// measured, and a write of it alone into an empty baggage not at all
    /// (with other entries kept, the whole baggage still is). `false` for
    /// an unbounded schema (see [`Schema::max_encoded_len`]).
    pub(crate) const fn surely_within_limits(&self) -> bool {
        let Some(len) = self.max_encoded_len() else {
            return false;
        };
        let budget = match self.max_bytes {
            Some(allowance) => len <= allowance,
            None => true,
        };
        budget && len <= crate::limits::MAX_BYTES && self.key_count() <= crate::limits::MAX_MEMBERS
    }

    /// (members, bytes of the members) at most, if bounded.
    const fn bound(&self, site: Option<&'static str>) -> Option<(usize, usize)> {
        let (mut members, mut bytes) = (0usize, 0usize);
        if let Some(signature) = self.signature {
            members += 1;
            bytes = bytes.saturating_add(member_len_with(
                signature.key.len(),
                signature.max_value_len(),
                0,
            ));
        }
        let mut fields = self.fields;
        while let [f, tail @ ..] = fields {
            let value = match f.max_wire_len {
                Some(v) => v,
                None => return None,
            };
            let (head, key_tail) = key_parts(f, self.prefix, site);
            members += 1;
            bytes = bytes.saturating_add(member_len_with(head.len() + key_tail.len(), value, 0));
            fields = tail;
        }
        let mut rest = self.flattened;
        while let [fl, tail @ ..] = rest {
            let site = keys::site(site, fl.prefix);
            match fl.schema.bound(site) {
                Some((m, b)) => {
                    members += m;
                    bytes = bytes.saturating_add(b);
                }
                None => return None,
            }
            rest = tail;
        }
        Some((members, bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(fields: Vec<FieldSchema>, max_bytes: Option<usize>) -> Schema {
        Schema {
            name: "Test",
            crate_name: "test",
            doc: "",
            prefix: "",
            max_bytes,
            fields: Box::leak(fields.into_boxed_slice()),
            flattened: &[],
            signature: None,
            local: false,
        }
    }

    fn field<F: crate::BaggageField>(key: String) -> FieldSchema {
        plain_field::<F>(Box::leak(key.into_boxed_str()), "f", "F", "", false, false)
    }

    #[test]
    fn a_schema_is_surely_within_limits_only_when_its_largest_write_is() {
        // `user_id=<20 digits>,beta=false`: 39 bytes at most
        let small = || vec![field::<u64>("user_id".into()), field::<bool>("beta".into())];
        assert_eq!(schema(small(), None).max_encoded_len(), Some(39));
        assert!(schema(small(), None).surely_within_limits());
        // its own budget, at and below its largest write
        assert!(schema(small(), Some(39)).surely_within_limits());
        assert!(!schema(small(), Some(38)).surely_within_limits());
        // a field without a bound: anything may be written
        let mut unbounded = small();
        unbounded.push(field::<String>("name".into()));
        assert!(!schema(unbounded, None).surely_within_limits());
        // 64 members at most: 64 flags are, 65 are not
        let flags = |n: usize| (0..n).map(|i| field::<bool>(format!("f{i}"))).collect();
        assert!(schema(flags(64), None).surely_within_limits());
        assert!(!schema(flags(65), None).surely_within_limits());
        // 8192 bytes at most: bounded fields whose largest writes add up to
        // more, though each is small
        let wide = |n: usize| {
            (0..n)
                .map(|i| FieldSchema {
                    max_wire_len: Some(200),
                    ..field::<String>(format!("k{i:02}"))
                })
                .collect::<Vec<_>>()
        };
        // 39 × (3 + 1 + 200) + 38 = 7,994; 41 × 204 + 40 = 8,404
        assert_eq!(schema(wide(39), None).max_encoded_len(), Some(7_994));
        assert!(schema(wide(39), None).surely_within_limits());
        assert_eq!(schema(wide(41), None).max_encoded_len(), Some(8_404));
        assert!(!schema(wide(41), None).surely_within_limits());
    }
}
