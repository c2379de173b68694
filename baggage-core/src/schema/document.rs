//! The versioned schema document: what one service writes and reads, as
//! data that another service, a tool or a test can load and compare.
//!
//! [`Document::new`] makes it from the [`Schema`]s a service writes and
//! reads; serialized (to JSON, say) it is the file that the contract
//! checker (`baggage-contract`) compares with other services' files. Every
//! flattened schema is resolved: each [`Entry`] is one key as it is on the
//! wire. [`JSON_SCHEMA`] is the JSON Schema of the document itself.
//!
//! ```
//! use typed_baggage::prelude::*;
//! use typed_baggage::schema::document::{Document, FormatDoc};
//!
//! #[derive(Baggage)]
//! #[baggage(prefix = "app.")]
//! struct UserCtx {
//!     user_id: u64,
//!     region: Option<String>,
//! }
//!
//! let doc = Document::new("checkout", &[], &[&UserCtx::SCHEMA]);
//! let user = &doc.reads[0];
//! assert_eq!(user.name, "UserCtx");
//! assert_eq!(user.entries[0].key, "app.user_id");
//! assert_eq!(user.entries[0].format, FormatDoc::Integer { min: 0, max: u64::MAX.into() });
//! assert_eq!(user.entries[1].format, FormatDoc::Text);
//! ```

use serde::{Deserialize, Serialize};

use super::{Cardinality, FieldSchema, Format, Requirement, Schema, Signature};

/// The value of [`Document::format`]: what the file is.
pub const FORMAT_NAME: &str = "typed-baggage.contract";

/// The value of [`Document::version`] this crate writes. It reads this
/// version and every one since [`OLDEST_FORMAT_VERSION`], and refuses
/// others (a newer version may mean something this one cannot compare).
///
/// Version 2 added [`SchemaDoc::local`]; a version 1 document has no local
/// schemas.
pub const FORMAT_VERSION: u32 = 2;

/// The oldest [`Document::version`] this crate reads.
pub const OLDEST_FORMAT_VERSION: u32 = 1;

/// The JSON Schema (draft 7) of a [`Document`] serialized to JSON.
pub const JSON_SCHEMA: &str = include_str!("document.schema.json");

/// What one service writes and reads, as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// The document format's version ([`FORMAT_VERSION`]).
    pub version: u32,
    /// The service (or job, or tool) the document describes.
    pub service: String,
    /// The schemas the service writes (attaches to its context and sends).
    pub writes: Vec<SchemaDoc>,
    /// The schemas the service reads (from what it receives).
    pub reads: Vec<SchemaDoc>,
}

/// One schema, its flattened schemas resolved into its entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaDoc {
    /// The Rust type name ([`Schema::name`]).
    pub name: String,
    /// The crate that declares it ([`Schema::crate_name`]).
    #[serde(rename = "crate")]
    pub crate_name: String,
    /// The struct's doc comment.
    pub doc: String,
    /// The key prefix (`""` if none).
    pub prefix: String,
    /// The schema's own budget in encoded bytes, if one is set.
    pub max_bytes: Option<usize>,
    /// The most bytes the schema's entries take on the wire, if bounded
    /// ([`Schema::max_encoded_len`]).
    pub max_encoded_len: Option<usize>,
    /// How the schema is signed, for a `#[baggage(signed)]` schema.
    pub signature: Option<SignatureDoc>,
    /// A local schema (`#[baggage(local)]`, [`Schema::local`]): its entries
    /// never leave the service, so it is written to no other service and
    /// read from none. Absent in version 1 documents (`false`).
    #[serde(default)]
    pub local: bool,
    /// Every key, flattened schemas resolved, in declaration order.
    pub entries: Vec<Entry>,
}

/// [`Signature`], as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureDoc {
    /// The key of the entry that holds the signature.
    pub key: String,
    /// `max_age_secs = N`, if set.
    pub max_age_secs: Option<u64>,
    /// `bind_trace`: the signature covers the trace id.
    pub bind_trace: bool,
}

/// One key of a schema, as it is on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The key on the wire (every prefix applied).
    pub key: String,
    /// The Rust field name.
    pub field: String,
    /// The schema that declares the field (this one, or one flattened into it).
    pub declared_in: String,
    /// The Rust type, as written in the struct.
    pub rust_type: String,
    /// The entry value's format, as data.
    pub format: FormatDoc,
    /// The entry value's format, in words.
    pub expected: String,
    /// Required, optional or defaulted.
    pub requirement: Requirement,
    /// How many distinct values the field can take.
    pub cardinality: Cardinality,
    /// `#[baggage(metric_label)]`.
    pub metric_label: bool,
    /// `#[baggage(max_len = N)]`: the most characters of a `String`, or
    /// elements of a `Vec`.
    pub max_len: Option<usize>,
    /// `#[baggage(max_item_len = N)]`: the most characters of each element
    /// of a `Vec<String>`.
    pub max_item_len: Option<usize>,
    /// The most bytes the value takes on the wire, if bounded.
    pub max_wire_len: Option<usize>,
    /// The field's doc comment.
    pub doc: String,
}

/// [`Format`], as data that can be read back.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum FormatDoc {
    /// [`Format::Bool`].
    Bool,
    /// [`Format::Integer`]. Both bounds are written as decimal strings
    /// (`"min": "-128"`): a JSON number loses digits beyond 2^53 in
    /// JavaScript and other readers.
    Integer {
        /// The smallest value.
        #[serde(with = "decimal")]
        min: i128,
        /// The largest value.
        #[serde(with = "decimal")]
        max: u128,
    },
    /// [`Format::Float`].
    Float {
        /// 32 or 64.
        bits: u8,
    },
    /// [`Format::Char`].
    Char,
    /// [`Format::Text`].
    Text,
    /// [`Format::Enum`].
    Enum {
        /// The text of each variant on the wire.
        variants: Vec<String>,
    },
    /// [`Format::List`].
    List {
        /// The format of each element.
        element: Box<FormatDoc>,
    },
    /// [`Format::Custom`].
    Custom {
        /// What a valid value looks like, in words.
        expected: String,
    },
}

impl Document {
    /// The document of a service that writes `writes` and reads `reads`.
    pub fn new(service: impl Into<String>, writes: &[&Schema], reads: &[&Schema]) -> Self {
        Self {
            format: FORMAT_NAME.to_owned(),
            version: FORMAT_VERSION,
            service: service.into(),
            writes: writes.iter().map(|s| SchemaDoc::of(s)).collect(),
            reads: reads.iter().map(|s| SchemaDoc::of(s)).collect(),
        }
    }

    /// Whether the document is one this crate can compare: its
    /// [`format`](Self::format) and [`version`](Self::version), checked.
    pub fn check_version(&self) -> Result<(), String> {
        check_header(&self.format, self.version)
    }
}

/// Whether a document's `format` and `version` are ones this crate reads
/// (for a reader that checks them before reading the rest).
pub fn check_header(format: &str, version: u32) -> Result<(), String> {
    if format != FORMAT_NAME {
        return Err(format!(
            "not a typed-baggage contract: `format` is {:?}, expected {FORMAT_NAME:?}",
            crate::error::excerpt(format)
        ));
    }
    if !(OLDEST_FORMAT_VERSION..=FORMAT_VERSION).contains(&version) {
        return Err(format!(
            "contract format version {version} (this build reads versions {OLDEST_FORMAT_VERSION} to {FORMAT_VERSION})"
        ));
    }
    Ok(())
}

impl SchemaDoc {
    /// The document of one schema.
    pub fn of(schema: &Schema) -> Self {
        Self {
            name: schema.name.to_owned(),
            crate_name: schema.crate_name.to_owned(),
            doc: schema.doc.to_owned(),
            prefix: schema.prefix.to_owned(),
            max_bytes: schema.max_bytes,
            max_encoded_len: schema.max_encoded_len(),
            signature: schema.signature.as_ref().map(SignatureDoc::of),
            local: schema.local,
            entries: schema
                .resolved()
                .into_iter()
                .map(|r| Entry::of(r.key.into_owned(), r.field, r.schema))
                .collect(),
        }
    }

    /// The entry of a key, if the schema has one.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }
}

impl SignatureDoc {
    fn of(s: &Signature) -> Self {
        Self {
            key: s.key.to_owned(),
            max_age_secs: s.max_age_secs,
            bind_trace: s.bind_trace,
        }
    }
}

impl Entry {
    fn of(key: String, f: &FieldSchema, declared_in: &str) -> Self {
        Self {
            key,
            field: f.field.to_owned(),
            declared_in: declared_in.to_owned(),
            rust_type: f.rust_type.to_owned(),
            format: FormatDoc::from(f.wire),
            expected: f.format.to_owned(),
            requirement: f.requirement,
            cardinality: f.cardinality,
            metric_label: f.metric_label,
            max_len: f.max_len,
            max_item_len: f.max_item_len,
            max_wire_len: f.max_wire_len,
            doc: f.doc.to_owned(),
        }
    }
}

impl From<&Format> for FormatDoc {
    fn from(f: &Format) -> Self {
        match *f {
            Format::Bool => Self::Bool,
            Format::Integer { min, max } => Self::Integer { min, max },
            Format::Float { bits } => Self::Float { bits },
            Format::Char => Self::Char,
            Format::Text => Self::Text,
            Format::Enum { variants } => Self::Enum {
                variants: variants.iter().map(|v| (*v).to_owned()).collect(),
            },
            Format::List { element } => Self::List {
                element: Box::new(Self::from(element)),
            },
            Format::Custom { expected } => Self::Custom {
                expected: expected.to_owned(),
            },
        }
    }
}

/// An integer as a decimal string in JSON, and back (for [`FormatDoc`] and
/// [`Format`]).
pub(super) mod decimal {
    use std::fmt::Display;
    use std::str::FromStr;

    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub(in crate::schema) fn serialize<S: Serializer, T: Display>(
        v: &T,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>, T: FromStr>(d: D) -> Result<T, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(|_| {
            D::Error::custom(format!(
                "expected a decimal integer in range, found {:?}",
                crate::error::excerpt(&text)
            ))
        })
    }
}
