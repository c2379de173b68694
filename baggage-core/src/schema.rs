//! A written-down description of a schema: which keys it reads, as what.
//!
//! With the `serde` feature, [`Schema`] serializes (to JSON, say); and
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
//!     r#"{"name":"Flags","doc":"Feature flags.","prefix":"ff.","max_bytes":null,"fields":[{"key":"ff.new_checkout","field":"new_checkout","rust_type":"bool","format":"a boolean (`true` or `false`, any letter case)","requirement":"required","cardinality":"low","metric_label":true,"doc":"The new checkout page."}]}"#
//! );
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "serde"))]
//! # fn main() {}
//! ```

mod markdown;

pub use markdown::markdown_table;

/// How many distinct values a field can take (for metric-label guards and docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
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
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
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
    /// Required, optional or defaulted.
    pub requirement: Requirement,
    /// How many distinct values the field can take.
    pub cardinality: Cardinality,
    /// `#[baggage(metric_label)]`: one of [`Baggage::metric_attributes`](crate::Baggage::metric_attributes).
    pub metric_label: bool,
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
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
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
}

impl Schema {
    /// The field of a key, if the schema has it.
    pub fn field(&self, key: &str) -> Option<&FieldSchema> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// `true` if `key` belongs to this schema.
    pub fn contains_key(&self, key: &str) -> bool {
        self.field(key).is_some()
    }
}
