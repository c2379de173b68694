//! The compatibility check: what readers declare against what writers emit.

use std::collections::BTreeMap;
use std::fmt;

use baggage_core::schema::document::{Document, Entry, FormatDoc, SchemaDoc};
use baggage_core::schema::Requirement;
use serde::Serialize;

use crate::format::{accepts, describe, max_chars, Mismatch};

/// What kind of incompatibility a [`Problem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Kind {
    /// A key the reader requires that no writer emits.
    NotWritten,
    /// A key the reader requires that a writer may leave out (an `Option`
    /// field of the writer).
    MayBeOmitted,
    /// A written value the reader cannot read (`u64` written, `u32` read; a
    /// float read as an integer; a list read as a scalar).
    FormatMismatch,
    /// Enum variants a writer may send that the reader does not know.
    UnknownVariants,
    /// The reader's `max_len` (characters, or elements of a list) is tighter
    /// than what the writer may write.
    MaxLenTighter,
    /// The reader's `max_item_len` is tighter than the writer's elements.
    MaxItemLenTighter,
    /// A signed reader behind a writer that does not sign.
    Unsigned,
    /// Writer and reader sign differently: another schema name, another
    /// signature key, binding to the trace on one side only, or keys one
    /// side signs that the other does not.
    SignedDifferently,
    /// Two schemas write (or one service reads as two formats) the same key.
    Collision,
    /// A custom format on one side: the check cannot say whether it reads.
    Unverifiable,
}

impl Kind {
    /// The kind's name, as in `--format json` (`format_mismatch`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotWritten => "not_written",
            Self::MayBeOmitted => "may_be_omitted",
            Self::FormatMismatch => "format_mismatch",
            Self::UnknownVariants => "unknown_variants",
            Self::MaxLenTighter => "max_len_tighter",
            Self::MaxItemLenTighter => "max_item_len_tighter",
            Self::Unsigned => "unsigned",
            Self::SignedDifferently => "signed_differently",
            Self::Collision => "collision",
            Self::Unverifiable => "unverifiable",
        }
    }
}

/// Which side of a comparison a [`Side`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The service that writes the key.
    Writer,
    /// The service that reads it.
    Reader,
}

/// One side of a [`Problem`]: a service, its schema and, where it has one,
/// its entry for the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Side {
    /// Writer or reader.
    pub role: Role,
    /// The service.
    pub service: String,
    /// The schema's name.
    pub schema: String,
    /// The crate that declares the schema.
    #[serde(rename = "crate")]
    pub crate_name: String,
    /// The schema's entry for the problem's key, if it has one.
    pub entry: Option<Entry>,
}

impl Side {
    fn new(role: Role, service: &str, schema: &SchemaDoc, entry: Option<&Entry>) -> Self {
        Self {
            role,
            service: service.to_owned(),
            schema: schema.name.clone(),
            crate_name: schema.crate_name.clone(),
            entry: entry.cloned(),
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let role = match self.role {
            Role::Writer => "writer",
            Role::Reader => "reader",
        };
        write!(f, "{role} {}: {}", self.service, self.schema)?;
        if let Some(e) = &self.entry {
            write!(f, ".{}: {} ({}", e.field, e.rust_type, describe(&e.format))?;
            match e.requirement {
                Requirement::Optional => write!(f, ", optional")?,
                Requirement::Default => write!(f, ", default")?,
                _ => {}
            }
            if let Some(n) = e.max_len {
                write!(f, ", max_len = {n}")?;
            }
            if let Some(n) = e.max_item_len {
                write!(f, ", max_item_len = {n}")?;
            }
            write!(f, ")")?;
        }
        Ok(())
    }
}

/// One incompatibility: its kind, the key, what is wrong and both sides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// What kind of incompatibility.
    pub kind: Kind,
    /// The key on the wire.
    pub key: String,
    /// What is wrong, in words.
    pub message: String,
    /// The writer and reader involved (for a collision, both writers).
    pub sides: Vec<Side>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} `{}`: {}",
            self.kind.as_str(),
            self.key.escape_debug(),
            self.message
        )?;
        for side in &self.sides {
            writeln!(f, "    {side}")?;
        }
        Ok(())
    }
}

/// The result of a check: every problem found, in a stable order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The services checked.
    pub services: Vec<String>,
    /// The keys compared (read by some service).
    pub keys_checked: usize,
    /// Every incompatibility.
    pub problems: Vec<Problem>,
}

impl Report {
    /// `true` if nothing is incompatible.
    pub fn is_compatible(&self) -> bool {
        self.problems.is_empty()
    }

    /// The problems of one kind.
    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(move |p| p.kind == kind)
    }

    /// The report as JSON (what `--format json` prints).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.problems.is_empty() {
            return writeln!(
                f,
                "compatible: {} keys read across {} services ({})",
                self.keys_checked,
                self.services.len(),
                self.services.join(", ")
            );
        }
        writeln!(
            f,
            "{} incompatibilities ({} keys read across {} services: {})",
            self.problems.len(),
            self.keys_checked,
            self.services.len(),
            self.services.join(", ")
        )?;
        for p in &self.problems {
            write!(f, "\n{p}")?;
        }
        Ok(())
    }
}

/// A written schema and the service that writes it.
#[derive(Clone, Copy)]
struct Written<'a> {
    service: &'a str,
    schema: &'a SchemaDoc,
}

impl<'a> Written<'a> {
    fn entry(&self, key: &str) -> Option<&'a Entry> {
        self.schema.entry(key)
    }

    fn signs(&self, key: &str) -> bool {
        self.schema.signature.as_ref().is_some_and(|s| s.key == key)
    }

    fn emits(&self, key: &str) -> bool {
        self.entry(key).is_some() || self.signs(key)
    }

    fn side(&self, key: &str) -> Side {
        Side::new(Role::Writer, self.service, self.schema, self.entry(key))
    }
}

fn same_schema(a: &SchemaDoc, b: &SchemaDoc) -> bool {
    a.name == b.name && a.crate_name == b.crate_name
}

/// Checks a fleet: each service's reads against what the other services
/// write.
///
/// A key a service reads may be written by any other (along a chain of
/// calls, each hop adds its own): a required key must be written by at
/// least one, and every writer of a key must write what the reader reads.
///
/// Local schemas (`#[baggage(local)]`) never leave their service: they are
/// no other service's source, and a service's local reads are not checked
/// (it writes them itself). A key a service reads that another writes only
/// locally is not written, and the problem says so.
pub fn check(documents: &[Document]) -> Report {
    let mut report = Report {
        services: documents.iter().map(|d| d.service.clone()).collect(),
        ..Report::default()
    };
    collisions(documents, &mut report.problems);
    for (i, reader) in documents.iter().enumerate() {
        let (local, writers): (Vec<Written<'_>>, Vec<Written<'_>>) = documents
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .flat_map(|(_, d)| {
                d.writes.iter().map(|schema| Written {
                    service: &d.service,
                    schema,
                })
            })
            .partition(|w| w.schema.local);
        for schema in exchanged(&reader.reads) {
            report.keys_checked += schema.entries.len();
            let sources = Sources {
                writers: &writers,
                local: &local,
            };
            check_schema(&sources, &reader.service, schema, &mut report.problems);
        }
    }
    report
}

/// Checks what one reader reads against what the writers write (the
/// reader's own writes are not counted as a source).
pub fn check_reader(writers: &[Document], reader: &Document) -> Report {
    let mut fleet: Vec<Document> = writers
        .iter()
        .map(|w| Document {
            reads: Vec::new(),
            ..w.clone()
        })
        .collect();
    fleet.push(reader.clone());
    check(&fleet)
}

/// The schemas that cross between services: all but the local ones
/// (`#[baggage(local)]`), which a service writes and reads only in its own
/// context.
fn exchanged(schemas: &[SchemaDoc]) -> impl Iterator<Item = &SchemaDoc> {
    schemas.iter().filter(|s| !s.local)
}

/// The other services' written schemas: those they send, and their local
/// ones (which they do not send, named when a reader misses their keys).
struct Sources<'a, 'd> {
    writers: &'a [Written<'d>],
    local: &'a [Written<'d>],
}

/// One read schema against every writer.
fn check_schema(
    sources: &Sources<'_, '_>,
    service: &str,
    reader: &SchemaDoc,
    out: &mut Vec<Problem>,
) {
    let writers = sources.writers;
    let reader_side = |key: &str| Side::new(Role::Reader, service, reader, reader.entry(key));
    for entry in &reader.entries {
        let key = entry.key.as_str();
        let emitting: Vec<&Written<'_>> = writers.iter().filter(|w| w.emits(key)).collect();
        if emitting.is_empty() {
            if entry.requirement == Requirement::Required {
                let local = sources.local.iter().find(|w| w.emits(key));
                let message = match local {
                    None => "the reader requires it and no writer writes it".to_owned(),
                    Some(w) => format!(
                        "the reader requires it and no writer sends it: `{}` of {} writes it only in its own context (`#[baggage(local)]`)",
                        w.schema.name.escape_debug(),
                        w.service.escape_debug()
                    ),
                };
                let mut sides = vec![reader_side(key)];
                sides.extend(local.map(|w| w.side(key)));
                out.push(Problem {
                    kind: Kind::NotWritten,
                    key: key.to_owned(),
                    message,
                    sides,
                });
            }
            continue;
        }
        for w in &emitting {
            let Some(written) = w.entry(key) else {
                out.push(Problem {
                    kind: Kind::FormatMismatch,
                    key: key.to_owned(),
                    message: "the writer writes its signature under this key".to_owned(),
                    sides: vec![w.side(key), reader_side(key)],
                });
                continue;
            };
            compare_entry(w, written, entry, &reader_side, out);
        }
    }
    if let Some(sig) = &reader.signature {
        check_signature(writers, service, reader, &sig.key, out);
    }
}

/// A written entry against the reader's entry of the same key.
fn compare_entry(
    w: &Written<'_>,
    written: &Entry,
    read: &Entry,
    reader_side: &dyn Fn(&str) -> Side,
    out: &mut Vec<Problem>,
) {
    let key = read.key.as_str();
    let mut push = |kind, message: String| {
        out.push(Problem {
            kind,
            key: key.to_owned(),
            message,
            sides: vec![w.side(key), reader_side(key)],
        })
    };
    if read.requirement == Requirement::Required && written.requirement == Requirement::Optional {
        push(
            Kind::MayBeOmitted,
            "the reader requires it and the writer may leave it out (an `Option`)".to_owned(),
        );
    }
    match accepts(&read.format, &written.format) {
        Ok(()) => {}
        Err(Mismatch::Format(why)) => push(Kind::FormatMismatch, why),
        Err(Mismatch::Variants(unknown)) => push(
            Kind::UnknownVariants,
            format!(
                "the writer may send {} that the reader does not know",
                unknown
                    .iter()
                    .map(|v| format!("`{}`", v.escape_debug()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        Err(Mismatch::Unverifiable(why)) => push(Kind::Unverifiable, why),
    }
    // Lengths: characters of a scalar, elements of a list.
    if let Some(limit) = read.max_len {
        let list = matches!(read.format, FormatDoc::List { .. });
        let written_max = if list {
            written.max_len
        } else {
            written.max_len.or_else(|| max_chars(&written.format))
        };
        if written_max.is_none_or(|n| n > limit) {
            let unit = if list { "elements" } else { "characters" };
            push(
                Kind::MaxLenTighter,
                format!(
                    "the reader takes at most {limit} {unit}, the writer may write {}",
                    written_max.map_or_else(|| "any number".to_owned(), |n| n.to_string())
                ),
            );
        }
    }
    if let (Some(limit), FormatDoc::List { element }) = (read.max_item_len, &written.format) {
        let written_max = written.max_item_len.or_else(|| max_chars(element));
        if written_max.is_none_or(|n| n > limit) {
            push(
                Kind::MaxItemLenTighter,
                format!(
                    "the reader takes elements of at most {limit} characters, the writer's may have {}",
                    written_max.map_or_else(|| "any number".to_owned(), |n| n.to_string())
                ),
            );
        }
    }
}

/// A signed reader: who writes its signature, and whether it verifies.
fn check_signature(
    writers: &[Written<'_>],
    service: &str,
    reader: &SchemaDoc,
    sig_key: &str,
    out: &mut Vec<Problem>,
) {
    let Some(sig) = &reader.signature else {
        return;
    };
    let reader_side = Side::new(Role::Reader, service, reader, None);
    let signers: Vec<&Written<'_>> = writers.iter().filter(|w| w.signs(sig_key)).collect();
    let mut push = |kind, message: String, writer: Side| {
        out.push(Problem {
            kind,
            key: sig_key.to_owned(),
            message,
            sides: vec![writer, reader_side.clone()],
        })
    };
    if signers.is_empty() {
        // Every unsigned writer of the schema's keys: the reader rejects what it writes.
        let mut seen = Vec::new();
        for w in writers {
            let writes_a_key = reader.entries.iter().any(|e| w.entry(&e.key).is_some());
            if writes_a_key && !seen.contains(&(w.service, &w.schema.name)) {
                seen.push((w.service, &w.schema.name));
                push(
                    Kind::Unsigned,
                    format!(
                        "the reader verifies a signature under `{}` and the writer does not sign",
                        sig_key.escape_debug()
                    ),
                    Side::new(Role::Writer, w.service, w.schema, None),
                );
            }
        }
        return;
    }
    for w in signers {
        let side = Side::new(Role::Writer, w.service, w.schema, None);
        let Some(wsig) = &w.schema.signature else {
            continue;
        };
        if w.schema.name != reader.name {
            push(
                Kind::SignedDifferently,
                format!(
                    "the writer signs as schema `{}`, the reader verifies as `{}`: the signature binds the schema name",
                    w.schema.name.escape_debug(),
                    reader.name.escape_debug()
                ),
                side.clone(),
            );
        }
        if wsig.bind_trace != sig.bind_trace {
            push(
                Kind::SignedDifferently,
                format!(
                    "the writer {} the signature to the trace, the reader {}",
                    if wsig.bind_trace {
                        "binds"
                    } else {
                        "does not bind"
                    },
                    if sig.bind_trace {
                        "requires it"
                    } else {
                        "does not"
                    }
                ),
                side.clone(),
            );
        }
        let undeclared: Vec<&str> = w
            .schema
            .entries
            .iter()
            .map(|e| e.key.as_str())
            .filter(|k| reader.entry(k).is_none())
            .collect();
        if !undeclared.is_empty() {
            push(
                Kind::SignedDifferently,
                format!(
                    "the writer signs {} that the reader does not declare: every signature is a mismatch",
                    quoted(&undeclared)
                ),
                side.clone(),
            );
        }
        // Keys the reader verifies that another schema writes: the writer's
        // signature does not cover them.
        for e in &reader.entries {
            if w.entry(&e.key).is_some() {
                continue;
            }
            for other in writers {
                if !same_schema(other.schema, w.schema) && other.entry(&e.key).is_some() {
                    push(
                        Kind::SignedDifferently,
                        format!(
                            "the reader verifies `{}` under the signature of `{}`, but `{}` of {} writes it",
                            e.key.escape_debug(),
                            w.schema.name.escape_debug(),
                            other.schema.name.escape_debug(),
                            other.service
                        ),
                        side.clone(),
                    );
                }
            }
        }
    }
}

fn quoted(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!("`{}`", k.escape_debug()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Keys written by two different schemas, and keys one service reads in
/// two formats.
fn collisions(documents: &[Document], out: &mut Vec<Problem>) {
    // key -> the first writer of it.
    let mut written: BTreeMap<&str, (&str, &SchemaDoc)> = BTreeMap::new();
    for d in documents {
        for schema in exchanged(&d.writes) {
            let keys = schema
                .entries
                .iter()
                .map(|e| e.key.as_str())
                .chain(schema.signature.as_ref().map(|s| s.key.as_str()));
            for key in keys {
                match written.get(key) {
                    None => {
                        written.insert(key, (&d.service, schema));
                    }
                    Some((service, first)) if !same_schema(first, schema) => {
                        out.push(Problem {
                            kind: Kind::Collision,
                            key: key.to_owned(),
                            message: format!(
                                "two schemas write it: `{}` and `{}` (the last one written wins)",
                                first.name.escape_debug(),
                                schema.name.escape_debug()
                            ),
                            sides: vec![
                                Side::new(Role::Writer, service, first, first.entry(key)),
                                Side::new(Role::Writer, &d.service, schema, schema.entry(key)),
                            ],
                        });
                    }
                    Some(_) => {}
                }
            }
        }
        // One service reading a key as two formats.
        let mut read: BTreeMap<&str, (&SchemaDoc, &Entry)> = BTreeMap::new();
        for schema in exchanged(&d.reads) {
            for e in &schema.entries {
                match read.get(e.key.as_str()) {
                    None => {
                        read.insert(&e.key, (schema, e));
                    }
                    Some((first, fe)) if fe.format != e.format && !same_schema(first, schema) => {
                        out.push(Problem {
                            kind: Kind::Collision,
                            key: e.key.clone(),
                            message: format!(
                                "the service reads it as {} in `{}` and as {} in `{}`",
                                describe(&fe.format),
                                first.name.escape_debug(),
                                describe(&e.format),
                                schema.name.escape_debug()
                            ),
                            sides: vec![
                                Side::new(Role::Reader, &d.service, first, Some(fe)),
                                Side::new(Role::Reader, &d.service, schema, Some(e)),
                            ],
                        });
                    }
                    Some(_) => {}
                }
            }
        }
    }
}
