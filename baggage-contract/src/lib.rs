//! Contracts between services for [typed-baggage]: check, before
//! deploying, that what one service writes in baggage is what another reads.
//!
//! Each service describes what it writes and reads as a
//! [`Document`] (made from its `#[derive(Baggage)]` schemas, saved as JSON
//! next to its code). [`check`] compares the documents of a fleet: each
//! service's reads against what the others write, reporting every
//! [`Problem`] with its key and both sides: a required key no writer emits,
//! a wire-format mismatch (`u64` written, `u32` read; a float read as an
//! integer; a list read as a scalar), enum variants the reader does not
//! know, a `max_len` tighter than the writer's, a signed reader behind an
//! unsigned writer, two schemas whose keys collide.
//!
//! - [`evolution`]: whether a change to a schema deploys writers first,
//!   readers first, in either order, or never;
//! - [`testing`]: the check in a service's own `cargo test`;
//! - [`json_schema`]: a schema as JSON Schema over the baggage entries, for
//!   services in Python, JavaScript and other languages;
//! - the `baggage-contract` command: `check`, `evolve`, `json-schema`.
//!
//! ```
//! use baggage_contract::{check, Kind};
//! use typed_baggage::prelude::*;
//! use typed_baggage::schema::document::Document;
//!
//! mod gateway {
//!     use typed_baggage::prelude::*;
//!     #[derive(Baggage)]
//!     #[baggage(prefix = "app.")]
//!     pub struct UserCtx { pub user_id: u64 }
//! }
//! mod billing {
//!     use typed_baggage::prelude::*;
//!     #[derive(Baggage)]
//!     #[baggage(prefix = "app.")]
//!     pub struct UserCtx { pub user_id: u32 }
//! }
//!
//! let report = check(&[
//!     Document::new("gateway", &[&gateway::UserCtx::SCHEMA], &[]),
//!     Document::new("billing", &[], &[&billing::UserCtx::SCHEMA]),
//! ]);
//! assert!(!report.is_compatible());
//! let problem = &report.problems[0];
//! assert_eq!((problem.kind, problem.key.as_str()), (Kind::FormatMismatch, "app.user_id"));
//! assert_eq!(
//!     problem.message,
//!     "u64 written, u32 read: values from 0 to 18446744073709551615 do not all fit"
//! );
//! ```
//!
//! [typed-baggage]: https://docs.rs/typed-baggage

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod check;
pub mod evolution;
mod format;
pub mod json_schema;
pub mod testing;

use std::fmt;
use std::path::{Path, PathBuf};

pub use baggage_core::schema::document::Document;
pub use check::{check, check_reader, Kind, Problem, Report, Role, Side};

/// Why a document could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContractError {
    /// A file could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        error: String,
    },
    /// A file is not a contract document of this format version.
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        error: String,
    },
    /// The service's own checked-in document is not what its schemas say.
    Stale {
        /// The checked-in document.
        path: PathBuf,
    },
}

impl fmt::Display for ContractError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, error } => write!(f, "{}: {error}", path.display()),
            Self::Invalid { path, error } => write!(f, "{}: {error}", path.display()),
            Self::Stale { path } => write!(
                f,
                "{} is missing or not what the service's schemas say: run the test once with {}=1 to write it, and commit it (peers copy it)",
                path.display(),
                testing::BLESS_ENV
            ),
        }
    }
}

impl std::error::Error for ContractError {}

/// Reads a document from a JSON file, checking its format and version.
pub fn load(path: impl AsRef<Path>) -> Result<Document, ContractError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|e| ContractError::Io {
        path: path.to_owned(),
        error: e.to_string(),
    })?;
    parse(&text).map_err(|error| ContractError::Invalid {
        path: path.to_owned(),
        error,
    })
}

/// Reads a document from JSON text, checking its format and version.
pub fn parse(text: &str) -> Result<Document, String> {
    // The format and version first, so that a document of another version
    // is reported as such rather than as a missing field.
    #[derive(serde::Deserialize)]
    struct Header {
        #[serde(default)]
        format: serde_json::Value,
        #[serde(default)]
        version: serde_json::Value,
    }
    let header: Header = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let format = match &header.format {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let version = header
        .version
        .as_u64()
        .and_then(|v| u32::try_from(v).ok())
        .unwrap_or(0);
    baggage_core::schema::document::check_header(&format, version)?;
    // From the text itself: integer ranges up to u128 do not survive a
    // `serde_json::Value`.
    serde_json::from_str(text).map_err(|e| format!("not a contract document: {e}"))
}

/// A document as pretty-printed JSON, ending with a newline (what
/// [`testing`] writes and the `baggage-contract` command reads).
pub fn to_json(document: &Document) -> String {
    // Only maps with non-string keys fail to serialize; a document has none.
    let mut text = serde_json::to_string_pretty(document).expect("a document serializes");
    text.push('\n');
    text
}
