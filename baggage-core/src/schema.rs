//! A written-down description of a schema: which keys it reads, as what.

/// How many distinct values a field can take (for metric-label guards and docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Cardinality {
    /// A small fixed set: `bool`, fieldless enums.
    Low,
    /// Numbers, free text, lists: unbounded for any practical purpose.
    High,
}

/// Whether a key must be present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
pub struct FieldSchema {
    /// The key on the wire, prefix included.
    pub key: &'static str,
    /// The Rust field name.
    pub field: &'static str,
    /// The Rust type, as written in the struct.
    pub rust_type: &'static str,
    /// The entry value's format, in words.
    pub format: &'static str,
    /// Required, optional or defaulted.
    pub requirement: Requirement,
    /// How many distinct values the field can take.
    pub cardinality: Cardinality,
    /// The field's doc comment.
    pub doc: &'static str,
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
pub struct Schema {
    /// The Rust type name.
    pub name: &'static str,
    /// The struct's doc comment.
    pub doc: &'static str,
    /// The key prefix (`""` if none).
    pub prefix: &'static str,
    /// The schema's own budget in encoded bytes, if one is set.
    pub max_bytes: Option<usize>,
    /// Every carried field, in declaration order (`skip` fields are not carried).
    pub fields: &'static [FieldSchema],
    /// How the schema is signed, for a `#[baggage(signed)]` schema.
    pub signature: Option<Signature>,
}

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
///     Some(Signature { key: "app.sig", max_age_secs: Some(300) })
/// );
/// assert!(UserCtx::SCHEMA.contains_key("app.sig"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature {
    /// The key of the entry that holds the signature: `signed = "key"`, or
    /// the prefix followed by `sig`.
    pub key: &'static str,
    /// `max_age_secs = N`: a signature older than this is rejected (the key
    /// ring's own maximum age, if shorter, wins).
    pub max_age_secs: Option<u64>,
}

impl Schema {
    /// The field of a key, if the schema has it.
    pub fn field(&self, key: &str) -> Option<&FieldSchema> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// `true` if `key` belongs to this schema: one of its fields, or its
    /// signature.
    pub fn contains_key(&self, key: &str) -> bool {
        self.field(key).is_some() || self.signature.is_some_and(|s| s.key == key)
    }

    /// Every key the schema writes: its fields' keys, then its signature's.
    pub fn keys(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.fields
            .iter()
            .map(|f| f.key)
            .chain(self.signature.map(|s| s.key))
    }
}
