//! The one error type of typed-baggage.

use std::borrow::Cow;
use std::fmt;

/// Everything that can go wrong when typed baggage is written or read.
///
/// Every variant names the baggage key it is about (except the limits, which
/// are about the whole baggage) and what was expected and found, so that the
/// message reads as a sentence a person can act on. A decode with several
/// bad fields returns [`Error::Multiple`] with one error per field.
///
/// Values found on the wire come from other services or from clients and
/// may be hostile: the `found` text is cut to at most
/// [`FOUND_EXCERPT_BYTES`] bytes and printed escaped (`{:?}`), so an error
/// message can be logged safely.
///
/// ```
/// use typed_baggage::prelude::*;
/// use opentelemetry::{baggage::BaggageExt, Context, KeyValue};
///
/// #[derive(Baggage, Debug)]
/// struct Ctx { user_id: u64, retries: u8 }
///
/// let cx = Context::new().with_baggage([
///     KeyValue::new("user_id", "12a"),
///     KeyValue::new("retries", "300"),
/// ]);
/// let err = cx.typed::<Ctx>().unwrap_err();
/// assert_eq!(err.keys().collect::<Vec<_>>(), ["user_id", "retries"]);
/// assert_eq!(
///     err.to_string(),
///     "2 baggage errors: baggage key `user_id` has an invalid value: expected \
///      an unsigned 64-bit integer (u64), found \"12a\" (not a decimal integer); \
///      baggage key `retries` is \
///      out of range: expected an unsigned 8-bit integer (u8), found \"300\""
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A required key is absent from the baggage.
    #[error("baggage key `{key}` is missing: expected {expected}")]
    Missing {
        /// The baggage key.
        key: Cow<'static, str>,
        /// What the value of the key should have been.
        expected: Cow<'static, str>,
    },
    /// The value of a key does not parse as the field's type.
    #[error("baggage key `{key}` has an invalid value: expected {expected}, found {found:?}{}", Detail(.detail))]
    Invalid {
        /// The baggage key.
        key: Cow<'static, str>,
        /// What the value should have been.
        expected: Cow<'static, str>,
        /// The value found (cut to [`FOUND_EXCERPT_BYTES`] bytes).
        found: String,
        /// Why it did not parse, where more can be said.
        detail: Option<String>,
    },
    /// A number is syntactically fine but does not fit the field's type.
    #[error("baggage key `{key}` is out of range: expected {expected}, found {found:?}")]
    OutOfRange {
        /// The baggage key.
        key: Cow<'static, str>,
        /// The type and its range.
        expected: Cow<'static, str>,
        /// The value found (cut to [`FOUND_EXCERPT_BYTES`] bytes).
        found: String,
    },
    /// A value is longer than its field's `max_len` or `max_item_len`
    /// allows (when writing, nothing was written; when reading, the field
    /// is not decoded).
    #[error("baggage key `{key}` is too long: expected at most {max} {unit}, found {found}")]
    TooLong {
        /// The baggage key.
        key: Cow<'static, str>,
        /// The most the field allows.
        max: usize,
        /// The length found.
        found: usize,
        /// What is counted: `characters`, `elements`, `characters in element 2`.
        unit: Cow<'static, str>,
    },
    /// Two fields of one schema, through `#[baggage(flatten)]`, would use the
    /// same key (a generic schema, whose keys are known only when it is used;
    /// for any other schema this is a compile error).
    #[error("baggage key `{key}` is used twice in schema `{schema}` (through `#[baggage(flatten)]`): give one of the fields another key, or flatten with `prefix = \"...\"`")]
    DuplicateKey {
        /// The key.
        key: Cow<'static, str>,
        /// The schema (the Rust type name).
        schema: &'static str,
    },
    /// Writing the value would break a size limit; nothing was written.
    #[error("{limit} exceeded: the baggage would take {size} {}, {allowance} allowed", limit.unit())]
    LimitExceeded {
        /// Which limit.
        limit: Limit,
        /// The size the baggage would have had.
        size: usize,
        /// The most the limit allows.
        allowance: usize,
    },
    /// A signed schema (`#[baggage(signed)]`) could not be signed, or its
    /// signature does not hold: the schema was not read (or written).
    ///
    /// `key` is the key of the signature entry. The message never holds key
    /// material, only key ids.
    #[error("baggage key `{key}` (the signature of schema `{schema}`) {problem}")]
    Signature {
        /// The key of the signature entry.
        key: Cow<'static, str>,
        /// The schema (the Rust type name).
        schema: &'static str,
        /// What is wrong with it.
        problem: SignatureProblem,
    },
    /// A local schema (`#[baggage(local)]`) was asked for from a carrier (a
    /// header, gRPC metadata, a message, the environment): its entries never
    /// travel, so a carrier can only hold what somebody forged. Read it from
    /// the service's context instead (`from_current`, `from_context`).
    ///
    /// ```
    /// # use typed_baggage::Error;
    /// let e = Error::Local { schema: "RouteCtx" };
    /// assert_eq!(
    ///     e.to_string(),
    ///     "schema `RouteCtx` is local (`#[baggage(local)]`): it is never read from a carrier, only from this service's context; read it with `RouteCtx::from_current()`",
    /// );
    /// ```
    #[error("schema `{schema}` is local (`#[baggage(local)]`): it is never read from a carrier, only from this service's context; read it with `{schema}::from_current()`")]
    Local {
        /// The schema (the Rust type name).
        schema: &'static str,
    },
    /// Several errors at once, one per bad field (never nested, never empty).
    #[error("{} baggage errors: {}", .0.len(), List(.0))]
    Multiple(Vec<Error>),
}

/// What is wrong with the signature of a signed schema, in an [`Error::Signature`].
///
/// ```
/// use typed_baggage::{Error, SignatureProblem};
///
/// let e = Error::Signature {
///     key: "app.sig".into(),
///     schema: "UserCtx",
///     problem: SignatureProblem::Mismatch,
/// };
/// assert_eq!(e.key(), Some("app.sig"));
/// assert_eq!(
///     e.to_string(),
///     "baggage key `app.sig` (the signature of schema `UserCtx`) does not match the \
///      schema's entries: an entry, the key id or the issue time was changed after \
///      signing (tampered or forged), or the signer's key differs from this service's \
///      key of the same id"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureProblem {
    /// The baggage has no signature entry.
    Missing,
    /// The signature entry is not `v1.<key id>.<issued>.<mac>`.
    Malformed {
        /// The value found (cut to [`FOUND_EXCERPT_BYTES`] bytes).
        found: String,
        /// Which part is wrong.
        detail: &'static str,
    },
    /// The signature names a key id that the key ring does not hold.
    UnknownKeyId {
        /// The key id found.
        key_id: String,
    },
    /// The MAC does not match: an entry, the key id or the issue time was
    /// changed after signing, or the signature was made with another key.
    Mismatch,
    /// The signature is older than the maximum age.
    Expired {
        /// Seconds since it was issued.
        age_secs: u64,
        /// The maximum age, in seconds (the clock skew tolerance is added to it).
        max_age_secs: u64,
    },
    /// The signature was issued in the future, beyond the clock skew tolerated.
    NotYetValid {
        /// Seconds between now and the issue time.
        ahead_secs: u64,
        /// The clock skew tolerated, in seconds.
        skew_secs: u64,
    },
    /// No key ring: none installed with `KeyRing::install`, none in the context.
    NoKeyRing,
    /// The `signing` feature of typed-baggage is not enabled.
    SigningDisabled,
}

impl fmt::Display for SignatureProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureProblem::Missing => f.write_str(
                "is missing: the schema is signed, so it is read only with a signature \
                 made by a key of the key ring",
            ),
            SignatureProblem::Malformed { found, detail } => write!(
                f,
                "is malformed: expected `v1.<key id>.<issued, unix seconds>.<HMAC-SHA256, \
                 base64url>`, found {found:?} ({detail})"
            ),
            SignatureProblem::UnknownKeyId { key_id } => write!(
                f,
                "names the key id {key_id:?}, which is not in this service's key ring: the \
                 signer uses a key this service does not know (see key rotation)"
            ),
            SignatureProblem::Mismatch => f.write_str(
                "does not match the schema's entries: an entry, the key id or the issue \
                 time was changed after signing (tampered or forged), or the signer's key \
                 differs from this service's key of the same id",
            ),
            SignatureProblem::Expired {
                age_secs,
                max_age_secs,
            } => write!(
                f,
                "has expired: it was issued {age_secs} s ago, and at most {max_age_secs} s \
                 are allowed"
            ),
            SignatureProblem::NotYetValid {
                ahead_secs,
                skew_secs,
            } => write!(
                f,
                "is not valid yet: it was issued {ahead_secs} s in the future, more than \
                 the {skew_secs} s of clock skew tolerated"
            ),
            SignatureProblem::NoKeyRing => f.write_str(
                "cannot be made or checked: no key ring is installed (`KeyRing::install`) \
                 or carried in the context",
            ),
            SignatureProblem::SigningDisabled => f.write_str(
                "cannot be made or checked: the `signing` feature of typed-baggage is not \
                 enabled",
            ),
        }
    }
}

/// How much of a found value an [`Error`] keeps.
pub const FOUND_EXCERPT_BYTES: usize = 96;

/// At most this many bytes of an error's `detail` (the reason a value did
/// not decode, which a codec may write with the input in it) are kept,
/// escaped: see [`ValueError::with_detail`](crate::ValueError::with_detail).
pub const DETAIL_EXCERPT_BYTES: usize = 2 * FOUND_EXCERPT_BYTES;

/// The size limits [`Error::LimitExceeded`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// W3C: at most [`MAX_MEMBERS`](crate::limits::MAX_MEMBERS) list-members in the whole baggage.
    Members,
    /// W3C: at most [`MAX_BYTES`](crate::limits::MAX_BYTES) bytes of encoded header in the whole baggage.
    Bytes,
    /// A schema's own `#[baggage(max_bytes = N)]` budget.
    SchemaBytes {
        /// The schema (the Rust type name).
        schema: &'static str,
    },
}

impl Limit {
    fn unit(&self) -> &'static str {
        match self {
            Limit::Members => "list-members",
            Limit::Bytes | Limit::SchemaBytes { .. } => "bytes",
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::Members => f.write_str("the W3C baggage limit of list-members"),
            Limit::Bytes => f.write_str("the W3C baggage limit of header bytes"),
            Limit::SchemaBytes { schema } => {
                write!(f, "the `max_bytes` budget of schema `{schema}`")
            }
        }
    }
}

struct Detail<'a>(&'a Option<String>);

impl fmt::Display for Detail<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(d) => write!(f, " ({d})"),
            None => Ok(()),
        }
    }
}

struct List<'a>(&'a [Error]);

impl fmt::Display for List<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            fmt::Display::fmt(e, f)?;
        }
        Ok(())
    }
}

impl Error {
    /// The baggage key this error is about, if it is about one key.
    ///
    /// ```
    /// # use typed_baggage::Error;
    /// let e = Error::Missing { key: "app.tier".into(), expected: "a tier".into() };
    /// assert_eq!(e.key(), Some("app.tier"));
    /// ```
    pub fn key(&self) -> Option<&str> {
        match self {
            Error::Missing { key, .. }
            | Error::Invalid { key, .. }
            | Error::OutOfRange { key, .. }
            | Error::TooLong { key, .. }
            | Error::DuplicateKey { key, .. }
            | Error::Signature { key, .. } => Some(key),
            Error::LimitExceeded { .. } | Error::Local { .. } | Error::Multiple(_) => None,
        }
    }

    /// Every single error: the errors of [`Error::Multiple`], or this one.
    pub fn errors(&self) -> &[Error] {
        match self {
            Error::Multiple(all) => all,
            one => std::slice::from_ref(one),
        }
    }

    /// The keys of every single error, in field order (for a 400 response
    /// that names the bad keys).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.errors().iter().filter_map(Error::key)
    }

    /// Combines errors: none is `Ok`, one is itself, more are [`Error::Multiple`].
    pub fn combine(errors: impl IntoIterator<Item = Error>) -> Result<(), Error> {
        let mut all = Vec::new();
        for e in errors {
            match e {
                Error::Multiple(inner) => all.extend(inner),
                one => all.push(one),
            }
        }
        match all.len() {
            0 => Ok(()),
            1 => Err(all.remove(0)),
            _ => Err(Error::Multiple(all)),
        }
    }
}

/// A detail text made safe to print: every control or bidirectional
/// format character escaped, then cut to at most [`DETAIL_EXCERPT_BYTES`]
/// bytes at a character boundary (marked `…`).
pub(crate) fn sanitize_detail(detail: &str) -> String {
    let needs_escape = |c: char| c.is_control() || is_bidi_format(c);
    let escaped: Cow<'_, str> = if detail.chars().any(needs_escape) {
        let mut out = String::with_capacity(detail.len() + 8);
        for c in detail.chars() {
            if needs_escape(c) {
                out.extend(c.escape_debug());
            } else {
                out.push(c);
            }
            if out.len() > DETAIL_EXCERPT_BYTES {
                break;
            }
        }
        Cow::Owned(out)
    } else {
        Cow::Borrowed(detail)
    };
    cut(&escaped, DETAIL_EXCERPT_BYTES)
}

/// A Unicode format character that reorders or hides text on a terminal.
fn is_bidi_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// Cuts a value found on the wire to at most [`FOUND_EXCERPT_BYTES`] bytes,
/// at a character boundary, marking the cut with `…`.
pub(crate) fn excerpt(found: &str) -> String {
    cut(found, FOUND_EXCERPT_BYTES)
}

/// `text` cut to at most `max` bytes at a character boundary, the cut
/// marked with `…`.
fn cut(text: &str, max: usize) -> String {
    let found = text;
    if found.len() <= max {
        return found.to_owned();
    }
    let mut end = max;
    while !found.is_char_boundary(end) {
        end -= 1;
    }
    let mut s = String::with_capacity(end + 3);
    s.push_str(found.get(..end).unwrap_or_default());
    s.push('…');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_cuts_at_char_boundary() {
        let long = "é".repeat(100);
        let cut = excerpt(&long);
        assert_eq!(cut, format!("{}…", "é".repeat(48)));
        assert_eq!(excerpt("short"), "short");
    }

    #[test]
    fn limit_messages_name_limit_size_and_allowance() {
        let e = Error::LimitExceeded {
            limit: Limit::Bytes,
            size: 8200,
            allowance: 8192,
        };
        assert_eq!(
            e.to_string(),
            "the W3C baggage limit of header bytes exceeded: the baggage would take 8200 bytes, 8192 allowed"
        );
        let e = Error::LimitExceeded {
            limit: Limit::SchemaBytes { schema: "UserCtx" },
            size: 70,
            allowance: 64,
        };
        assert_eq!(
            e.to_string(),
            "the `max_bytes` budget of schema `UserCtx` exceeded: the baggage would take 70 bytes, 64 allowed"
        );
    }

    #[test]
    fn combine_flattens() {
        let a = Error::Missing {
            key: "a".into(),
            expected: "x".into(),
        };
        assert_eq!(Error::combine([]), Ok(()));
        assert_eq!(Error::combine([a.clone()]), Err(a.clone()));
        let nested = Error::combine([Error::Multiple(vec![a.clone(), a.clone()]), a.clone()]);
        assert_eq!(nested, Err(Error::Multiple(vec![a.clone(), a.clone(), a])));
    }
}
