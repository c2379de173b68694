//! Evolution rules: in which order a change to a schema can be deployed.
//!
//! A schema shared by writers and readers changes from `old` to `new`.
//! During the rollout both versions run at once, so the answer follows from
//! the [check](crate::check) itself, with no rule of its own:
//!
//! - **writers first** is safe when old readers read what new writers write;
//! - **readers first** is safe when new readers read what old writers write;
//! - **either** when both hold, **never** when neither does (deploy a new
//!   key next to the old one instead, and remove the old one later).
//!
//! | change | deploy |
//! |---|---|
//! | add an optional field | either |
//! | add a required field | writers first |
//! | add an enum variant | readers first |
//! | remove an optional field | either |
//! | remove a required field | readers first |
//! | rename a required key | never |
//! | widen an integer (`u32` to `u64`) | readers first |
//! | narrow an integer (`u64` to `u32`) | writers first |
//! | add `max_len` | writers first |
//! | start signing | writers first |
//! | add a field to a signed schema | readers first |
//!
//! (`tests/evolution.rs` of this crate checks each row with real schemas.)

use std::fmt;

use baggage_core::schema::document::{Document, SchemaDoc};
use serde::Serialize;

use crate::check::{check_reader, Report};

/// In which order writers and readers of a changed schema can be deployed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Deploy {
    /// In any order: old and new read each other.
    Either,
    /// New writers before new readers (old readers read new writers).
    WritersFirst,
    /// New readers before new writers (new readers read old writers).
    ReadersFirst,
    /// In no order: during the rollout some reader fails either way.
    Never,
}

impl fmt::Display for Deploy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Either => "either order",
            Self::WritersFirst => "writers first",
            Self::ReadersFirst => "readers first",
            Self::Never => "never (no safe order)",
        })
    }
}

/// The deploy order of a change, and the reports it follows from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evolution {
    /// The safe order.
    pub deploy: Deploy,
    /// Old readers against new writers (writers first).
    pub old_reads_new: Report,
    /// New readers against old writers (readers first).
    pub new_reads_old: Report,
}

fn as_writer(schema: &SchemaDoc, service: &str) -> Document {
    let mut d = Document::new(service, &[], &[]);
    d.writes.push(schema.clone());
    d
}

fn as_reader(schema: &SchemaDoc, service: &str) -> Document {
    let mut d = Document::new(service, &[], &[]);
    d.reads.push(schema.clone());
    d
}

/// The safe deploy order of changing one schema from `old` to `new`.
pub fn classify(old: &SchemaDoc, new: &SchemaDoc) -> Evolution {
    let old_reads_new = check_reader(
        &[as_writer(new, "new writer")],
        &as_reader(old, "old reader"),
    );
    let new_reads_old = check_reader(
        &[as_writer(old, "old writer")],
        &as_reader(new, "new reader"),
    );
    let deploy = match (old_reads_new.is_compatible(), new_reads_old.is_compatible()) {
        (true, true) => Deploy::Either,
        (true, false) => Deploy::WritersFirst,
        (false, true) => Deploy::ReadersFirst,
        (false, false) => Deploy::Never,
    };
    Evolution {
        deploy,
        old_reads_new,
        new_reads_old,
    }
}

/// Every schema of `new` (writes and reads) compared with the schema of
/// the same name in `old`: (schema name, evolution), for the schemas whose
/// deploy order is not [`Deploy::Either`]. Schemas only in one document are
/// left out (a new schema has no old readers).
pub fn classify_documents(old: &Document, new: &Document) -> Vec<(String, Evolution)> {
    let mut out: Vec<(String, Evolution)> = Vec::new();
    for schema in new.writes.iter().chain(&new.reads) {
        if out.iter().any(|(name, _)| *name == schema.name) {
            continue;
        }
        let before = old
            .writes
            .iter()
            .chain(&old.reads)
            .find(|s| s.name == schema.name && s.crate_name == schema.crate_name);
        if let Some(before) = before {
            let evolution = classify(before, schema);
            if evolution.deploy != Deploy::Either {
                out.push((schema.name.clone(), evolution));
            }
        }
    }
    out
}
