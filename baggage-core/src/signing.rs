//! Signed schemas: the integrity of typed baggage across the trust boundary.
//!
//! Baggage is plain text that any hop can edit: a client that gets
//! `app.tier=premium` past the edge gets premium treatment. A schema marked
//! `#[baggage(signed)]` carries, next to its fields, one more entry holding
//! an HMAC-SHA256 signature made with a key of the application's
//! [`KeyRing`]. [`with_typed`](crate::BaggageContextExt::with_typed) writes
//! it; `from_context`, `from_current`, `from_baggage` and the axum extractor
//! read the schema only when it verifies, and otherwise return
//! [`Error::Signature`] saying what is wrong ([`SignatureProblem`]: missing,
//! malformed, unknown key id, mismatch, expired, not yet valid).
//!
//! ```
//! use opentelemetry::{baggage::BaggageExt, Context, KeyValue};
//! use typed_baggage::prelude::*;
//! use typed_baggage::signing::{KeyRing, SigningKey};
//!
//! #[derive(Baggage, Debug, PartialEq)]
//! #[baggage(prefix = "app.", signed, max_age_secs = 300)]
//! struct UserCtx { user_id: u64, premium: bool }
//!
//! // Once at startup; in production from the environment:
//! // `KeyRing::from_env("TYPED_BAGGAGE_KEYS")?.install();`
//! let ring = KeyRing::new(SigningKey::from_base64(
//!     "k1",
//!     "4eiNAc2Rmmbo7Adka/PhQTFCGKoIfred9625L8vQ/3I=", // `openssl rand -base64 32`
//! )?);
//! ring.install();
//!
//! let user = UserCtx { user_id: 2, premium: false };
//! let cx = Context::new().with_typed(&user)?;
//! let sig = cx.baggage().get("app.sig").map(|v| v.to_string()).unwrap_or_default();
//! assert!(sig.starts_with("v1.k1."));
//! assert_eq!(cx.typed::<UserCtx>()?, user);
//!
//! // A hop that flips `app.premium`, keeping the signature, is caught:
//! let forged = Context::new().with_baggage([
//!     KeyValue::new("app.user_id", "2"),
//!     KeyValue::new("app.premium", "true"),
//!     KeyValue::new("app.sig", sig),
//! ]);
//! let err = forged.typed::<UserCtx>().unwrap_err();
//! assert_eq!(err.key(), Some("app.sig"));
//! assert!(matches!(
//!     err,
//!     typed_baggage::Error::Signature { problem: typed_baggage::SignatureProblem::Mismatch, .. }
//! ));
//! # KeyRing::uninstall();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The signature entry
//!
//! Its key is the schema's prefix followed by `sig` (`app.sig`), or the key
//! given with `#[baggage(signed = "key")]` (a schema without a prefix must
//! name it). Its value is
//!
//! ```text
//! v1.<key id>.<issue time, unix seconds>.<HMAC-SHA256, base64url without padding>
//! v1.k2.1767225600.pTq0yqWbWnO3PLd4wy8vzR0eAXNPO8RcQ81rvFBFOVE
//! ```
//!
//! or, for a schema bound to the trace (`#[baggage(signed, bind_trace)]`,
//! see [below](#binding-to-the-trace)), with the trace id it was made in
//! before the MAC:
//!
//! ```text
//! v1.<key id>.<issue time>.<trace id, 32 lowercase hex digits>.<HMAC-SHA256>
//! v1.k2.1767225600.4bf92f3577b34da6a3ce929d0e0e4736.pTq0yqWbWnO3PLd4wy8vzR0eAXNPO8RcQ81rvFBFOVE
//! ```
//!
//! which has only characters the propagator writes as they are, so it takes
//! 60 to 90 bytes of the 8192 the W3C allows (33 more when bound to the
//! trace; it counts towards the limits and the schema's `max_bytes`, as any
//! entry does).
//!
//! The MAC covers, in this order, each variable-length part prefixed by its
//! length (8 bytes, big-endian):
//!
//! 1. the domain and version tag `typed-baggage signed schema v1` and a zero byte;
//! 2. the signature's key (`app.sig`);
//! 3. the schema's name (the Rust type name, [`Schema::name`]): with the
//!    signature key, the schema's identity, so that a signature cannot move
//!    from one schema to another, even to one with the same prefix and the
//!    same fields;
//! 4. the key id;
//! 5. the issue time (8 bytes, big-endian);
//! 6. the trace id (its 16 bytes), or nothing (length 0) for a schema not
//!    bound to the trace;
//! 7. the number of entries (8 bytes, big-endian), then the schema's entries
//!    present in the baggage, sorted by key, each key and **decoded** value.
//!
//! So it does not depend on the order of the members in the header, on how a
//! peer percent-encoded them, or on any entry of another schema; and since the
//! verifier takes every key the schema declares, an entry added to the
//! schema later (an absent `Option` that a hop fills in) breaks it too.
//! Properties (`;k=v` after a value) are not covered: typed decode does not
//! read them. The comparison is constant-time (`hmac::Mac::verify_slice`).
//!
//! The schema's identity is its name and the keys and values present, not
//! the whole list of keys it declares nor their Rust types: so a field can
//! be added to a schema without a flag day (see "Adding a field" below), and
//! a value's text is covered whatever type reads it. Renaming a signed
//! schema's Rust type changes its identity: signatures made under the old
//! name are then a [`SignatureProblem::Mismatch`], as during any change of
//! what is signed.
//!
//! # Schemas that share a signature key
//!
//! Two signed schemas with the same prefix (so the same `<prefix>sig`)
//! overwrite each other's signature when both are written to one baggage,
//! and only their names keep one's signature from verifying as the other's.
//! Derives cannot see each other, so this cannot be a compile error: call
//! [`check_distinct`] once at start-up (or in a test) with every schema the
//! binary writes or reads, and it says which two schemas clash, and on which
//! key.
//!
//! # Binding to the trace
//!
//! `#[baggage(signed, bind_trace)]` makes the signature cover the trace id of
//! the context it is written in (`cx.span().span_context().trace_id()`, from
//! [`TraceContextExt`]), and a reader
//! accept it only in a context of the same trace: `from_context` the trace
//! of the context it reads, `from_baggage`, `from_current` and the direct
//! header readers (`read_typed`, `from_headers`) that of the current
//! context. A header captured from one request and sent again in another
//! trace is then rejected ([`Error::Invalid`] on the signature's key, naming
//! both traces), even within the maximum age.
//!
//! The trade-off: **every hop must carry the same trace**. The W3C
//! `traceparent` header must be propagated along with `baggage` by every
//! service and proxy between the writer and the readers, and a reader must
//! read the schema in the context extracted from both (a server span, or
//! the remote span context, being current). Writing needs a trace too. A
//! writer or reader without one gets an [`Error::Invalid`] on the
//! signature's key that says so; a hop that starts a new trace instead of
//! continuing the incoming one (a new root span, a sampler or proxy that
//! drops `traceparent`) makes every read after it fail. A trace id is not a
//! secret (it is in `traceparent` already), and the binding does not stop a
//! replay within the same trace.
//!
//! ```
//! use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
//! use opentelemetry::Context;
//! use typed_baggage::prelude::*;
//! use typed_baggage::signing::{KeyRing, SigningKey};
//!
//! #[derive(Baggage, Debug, PartialEq)]
//! #[baggage(prefix = "pay.", signed, bind_trace, max_age_secs = 60)]
//! struct Payment { order_id: u64 }
//!
//! /// A span context of trace `trace` (as extracted from a `traceparent` header).
//! fn in_trace(trace: &str) -> SpanContext {
//!     SpanContext::new(
//!         TraceId::from_hex(trace).unwrap(),
//!         SpanId::from_hex("00f067aa0ba902b7").unwrap(),
//!         TraceFlags::SAMPLED,
//!         true,
//!         TraceState::default(),
//!     )
//! }
//! let ring = KeyRing::new(SigningKey::from_base64(
//!     "k1",
//!     "nhw5DfT0KJTvrx4w5ryqM2AXNLg2OCQDt9JswZHQ5TQ",
//! )?);
//! let t1 = Context::new()
//!     .with_remote_span_context(in_trace("4bf92f3577b34da6a3ce929d0e0e4736"))
//!     .with_value(ring.clone());
//! let cx = t1.with_typed(&Payment { order_id: 7 })?;
//! assert_eq!(cx.typed::<Payment>()?, Payment { order_id: 7 });
//!
//! // The same baggage in another trace: rejected, naming both traces.
//! let t2 = cx.with_remote_span_context(in_trace("0af7651916cd43dd8448eb211c80319c"));
//! let err = t2.typed::<Payment>().unwrap_err();
//! assert_eq!(err.key(), Some("pay.sig"));
//! assert!(err.to_string().contains("0af7651916cd43dd8448eb211c80319c"));
//! assert!(err.to_string().contains("4bf92f3577b34da6a3ce929d0e0e4736"));
//!
//! // No trace to sign in: an error that says so.
//! let err = Context::new().with_value(ring).with_typed(&Payment { order_id: 7 }).unwrap_err();
//! assert!(err.to_string().contains("no trace"), "{err}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What it protects, and what it does not
//!
//! - **Integrity and authenticity among key holders.** Only a holder of a
//!   key of the ring can make a signature that verifies: a client or a
//!   compromised proxy without the key cannot change, add or remove any
//!   entry of a signed schema, nor move a signature from one user's entries
//!   to another's, nor from one schema to another. HMAC is symmetric: every
//!   service holding the key can sign as well as verify, so give keys only
//!   to services you trust to write the schema.
//! - **Not confidentiality.** The entries stay plain text, readable by every
//!   hop and by anyone who sees the header: never put secrets in baggage.
//! - **Replay, only bounded.** A signature is valid, for the same entries,
//!   until it expires: a captured header can be sent again, unchanged,
//!   within the maximum age (`#[baggage(signed, max_age_secs = N)]` or
//!   [`KeyRing::with_max_age`]; the shorter applies). Without a maximum age
//!   a signature stays valid until its key leaves the ring. With
//!   `bind_trace` it is valid only in the trace it was made in (see above);
//!   otherwise bind what matters to the request (a request id field, a short
//!   maximum age) if replay matters.
//! - Clocks differ between hosts: a signature is accepted up to
//!   [`KeyRing::with_clock_skew`] (default [`DEFAULT_CLOCK_SKEW`]) before its
//!   issue time and past its maximum age.
//!
//! # Keys
//!
//! The application supplies the keys; they are never written to baggage,
//! never printed by `Debug`, never put in an error. A [`KeyRing`] has one
//! active key, which signs, and any number of keys that only verify. A
//! key is at least [`MIN_KEY_BYTES`] random bytes (`openssl rand -base64
//! 32`), with a key id of 1 to [`MAX_KEY_ID_LEN`] characters among
//! `A-Z a-z 0-9 - _`, which the signature names.
//!
//! A key of the right length with next to no entropy is refused when it is
//! loaded ([`KeyError::Weak`], naming the key id and the rule, never a byte
//! of the key). The rules, which catch keys typed by hand or left at a
//! placeholder and which a random key fails with a probability below
//! 2<sup>-80</sup>:
//!
//! - at least [`MIN_DISTINCT_KEY_BYTES`] (8) distinct byte values (a random
//!   32-byte key has about 30): refuses 32 zero bytes, one byte repeated, a
//!   mostly-constant key;
//! - no period of at most half its length (`key[i] == key[i + p]` for every
//!   `i`): refuses a short pattern repeated (`abcdabcd…`, a 16-byte key
//!   written twice);
//! - no single step between consecutive bytes (`key[i + 1] - key[i]`, modulo
//!   256) in more than half of the steps: refuses runs such as `0, 1, 2, …`,
//!   `abcdefgh…` or `32, 30, 28, …`.
//!
//! They are a floor, not a measure of entropy: a key that passes them is not
//! thereby random. Make keys with a CSPRNG.
//!
//! [`KeyRing::from_env`] reads them from an environment variable (by
//! convention [`KEYS_ENV`], `TYPED_BAGGAGE_KEYS`) written
//! `kid:base64key,kid2:base64key2`: the first key signs, the others verify;
//! base64 in the standard or URL-safe alphabet, padding optional.
//!
//! **Rotation**, with no request rejected on the way:
//! 1. add the new key as a verifying key everywhere
//!    (`old:…,new:…`) and deploy;
//! 2. make it the active key where baggage is signed (`new:…,old:…`) and
//!    deploy;
//! 3. once no signature by the old key can still be valid (the maximum age
//!    has passed), remove the old key (`new:…`) and deploy.
//!
//! A leaked key is removed at once instead: signatures made with it are
//! then rejected as [`SignatureProblem::UnknownKeyId`].
//!
//! **Adding a field** to a signed schema: deploy the readers before the
//! writers. A reader that knows a field the writer does not send verifies;
//! a reader that does not know a field the writer signed rejects the
//! signature as a [`SignatureProblem::Mismatch`]. Keep the schema's name:
//! it is part of what is signed.
//!
//! # Which key ring
//!
//! Writing and reading use the key ring the context carries
//! (`cx.with_value(ring)`), or else the one [installed](KeyRing::install)
//! for the process. `from_baggage`, which has no context, uses the current
//! context's.
//!
//! [`Error::Signature`]: crate::Error::Signature
//! [`Error::Invalid`]: crate::Error::Invalid
//! [`Schema::name`]: crate::Schema::name

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{
    STANDARD_NO_PAD_INDIFFERENT, URL_SAFE_NO_PAD, URL_SAFE_NO_PAD_INDIFFERENT,
};
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use opentelemetry::baggage::Baggage as OtelBaggage;
use opentelemetry::trace::{TraceContextExt, TraceId};
use opentelemetry::Context;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::encode::Entries;
use crate::error::{excerpt, Error, SignatureProblem};
use crate::schema::{Schema, Signature};

type HmacSha256 = Hmac<Sha256>;

/// The version tag a signature starts with.
pub const VERSION: &str = "v1";

/// The fewest bytes a key may have: the size of an HMAC-SHA256 output.
pub const MIN_KEY_BYTES: usize = 32;

/// The longest key id.
pub const MAX_KEY_ID_LEN: usize = 32;

/// The fewest distinct byte values a key may have (see [`Weakness`]).
pub const MIN_DISTINCT_KEY_BYTES: usize = 8;

// The size bound of a signed schema counts the longest signature value.
const _: () = assert!(
    crate::schema::SIGNATURE_MAX_WIRE_LEN
        == VERSION.len() + 1 + MAX_KEY_ID_LEN + 1 + 20 + 1 + MAC_TEXT_LEN
);
const _: () = assert!(crate::schema::TRACE_PART_LEN == TRACE_TEXT_LEN + 1);

/// How far the clocks of signer and verifier may differ, unless the key
/// ring says otherwise ([`KeyRing::with_clock_skew`]).
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(60);

/// The conventional environment variable for [`KeyRing::from_env`].
pub const KEYS_ENV: &str = "TYPED_BAGGAGE_KEYS";

/// Bytes of an HMAC-SHA256 tag, and characters of it in unpadded base64.
const MAC_BYTES: usize = 32;
const MAC_TEXT_LEN: usize = 43;

/// Bytes of a trace id, and characters of it in lowercase hexadecimal.
const TRACE_BYTES: usize = 16;
const TRACE_TEXT_LEN: usize = 32;

/// Separates this use of the key from any other: the first bytes under the MAC.
const DOMAIN: &[u8] = b"typed-baggage signed schema v1\0";

/// One key: an id, which signatures name, and the secret, which is never
/// shown.
///
/// ```
/// use typed_baggage::signing::{KeyError, SigningKey, Weakness};
///
/// let key = SigningKey::new("k1", b"Dq7!vZ#2mLx@9pR$kW4&nT8*yB1^hF6%")?;
/// assert_eq!(key.id(), "k1");
/// assert_eq!(format!("{key:?}"), r#"SigningKey { id: "k1", secret: "<redacted>" }"#);
/// assert!(SigningKey::new("k1", b"too short").is_err());
/// // Long enough, but a 16-byte pattern written twice:
/// assert_eq!(
///     SigningKey::new("k1", b"0123456789abcdef0123456789abcdef").unwrap_err(),
///     KeyError::Weak { key_id: "k1".into(), weakness: Weakness::Repeats { period: 16 } }
/// );
/// # Ok::<(), typed_baggage::signing::KeyError>(())
/// ```
#[derive(Clone)]
pub struct SigningKey {
    id: Box<str>,
    /// The HMAC state with the key already absorbed; the raw key is not
    /// kept. Its SHA-256 states are zeroed on drop (the `zeroize` feature
    /// of `sha2`).
    mac: HmacSha256,
}

impl SigningKey {
    /// A key from its id and its secret bytes: at least [`MIN_KEY_BYTES`],
    /// and not trivially weak ([`Weakness`]: too few distinct bytes, a
    /// repeated pattern, a run). The bytes are not kept: only the HMAC state
    /// derived from them.
    pub fn new(id: impl Into<String>, secret: &[u8]) -> Result<Self, KeyError> {
        let id = id.into();
        check_key_id(&id).map_err(|reason| KeyError::InvalidKeyId {
            origin: "a key id".into(),
            reason,
        })?;
        if secret.len() < MIN_KEY_BYTES {
            return Err(KeyError::TooShort {
                key_id: id,
                len: secret.len(),
                min: MIN_KEY_BYTES,
            });
        }
        if let Some(weakness) = Weakness::of(secret) {
            return Err(KeyError::Weak {
                key_id: id,
                weakness,
            });
        }
        let mac = HmacSha256::new_from_slice(secret).map_err(|_| KeyError::TooShort {
            key_id: id.clone(),
            len: secret.len(),
            min: MIN_KEY_BYTES,
        })?;
        Ok(SigningKey {
            id: id.into_boxed_str(),
            mac,
        })
    }

    /// A key from its id and its secret in base64 (standard or URL-safe
    /// alphabet, padding optional).
    ///
    /// ```
    /// use typed_baggage::signing::SigningKey;
    ///
    /// let key = SigningKey::from_base64("k1", "S2VlcCB0aGlzIHNlY3JldCwgaXQgaXMgMzIgYnl0ZXM")?;
    /// assert_eq!(key.id(), "k1");
    /// # Ok::<(), typed_baggage::signing::KeyError>(())
    /// ```
    pub fn from_base64(id: impl Into<String>, secret: &str) -> Result<Self, KeyError> {
        let id = id.into();
        check_key_id(&id).map_err(|reason| KeyError::InvalidKeyId {
            origin: "a key id".into(),
            reason,
        })?;
        let bytes =
            decode_secret(secret).ok_or_else(|| KeyError::InvalidBase64 { key_id: id.clone() })?;
        SigningKey::new(id, &bytes)
    }

    /// The key id, which signatures made with this key name.
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// `None` if `id` is a valid key id, else why not.
fn check_key_id(id: &str) -> Result<(), &'static str> {
    if id.is_empty() {
        Err("it is empty")
    } else if id.len() > MAX_KEY_ID_LEN {
        Err("it is longer than 32 characters")
    } else if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        Err("it has a character other than A-Z a-z 0-9 - _")
    } else {
        Ok(())
    }
}

/// Decodes base64 in either alphabet, padding optional, into a buffer that
/// is zeroed when dropped.
fn decode_secret(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    let text = text.trim();
    for engine in [&STANDARD_NO_PAD_INDIFFERENT, &URL_SAFE_NO_PAD_INDIFFERENT] {
        // Room for the whole output, so that decoding never reallocates
        // (which would leave a copy of the secret behind).
        let mut buf = Zeroizing::new(Vec::with_capacity(text.len() / 4 * 3 + 3));
        if engine.decode_vec(text, &mut buf).is_ok() {
            return Some(buf);
        }
    }
    None
}

/// A clock, for tests and for hosts whose time comes from elsewhere.
#[derive(Clone)]
struct Clock(Arc<dyn Fn() -> SystemTime + Send + Sync>);

/// The keys that sign and verify signed schemas: one active key that signs,
/// any number that only verify (for rotation), a maximum age and a clock
/// skew tolerance.
///
/// Cheap to clone (shared). Install one for the process with
/// [`install`](KeyRing::install), or carry one in a context with
/// `cx.with_value(ring)`, which wins over the installed one (so that tests,
/// or tenants, can use several at once).
///
/// ```
/// use std::time::Duration;
/// use typed_baggage::signing::{KeyRing, SigningKey};
///
/// let ring = KeyRing::new(SigningKey::from_base64("k2", "tc8ARuHhthq3wF3GF//1iZxURd2y3wWfjKDOHbgHDNU")?)
///     .with_verifying_key(SigningKey::from_base64("k1", "DZ9TzZGSF+ET6Mgb35hQB1LnNG8Gy/BUL1Os7imvjCA")?)?
///     .with_max_age(Duration::from_secs(300));
/// assert_eq!(ring.active_key_id(), "k2");
/// assert_eq!(ring.key_ids().collect::<Vec<_>>(), ["k2", "k1"]);
/// // No key material in Debug output:
/// assert_eq!(
///     format!("{ring:?}"),
///     r#"KeyRing { active: "k2", verifying: ["k1"], max_age: Some(300s), clock_skew: 60s }"#
/// );
/// # Ok::<(), typed_baggage::signing::KeyError>(())
/// ```
#[derive(Clone)]
pub struct KeyRing {
    inner: Arc<Ring>,
}

#[derive(Clone)]
struct Ring {
    /// The active key first, then the verifying keys.
    active: SigningKey,
    verifying: Vec<SigningKey>,
    max_age: Option<Duration>,
    clock_skew: Duration,
    clock: Option<Clock>,
}

/// The ring installed for the process.
static INSTALLED: RwLock<Option<KeyRing>> = RwLock::new(None);

impl KeyRing {
    /// A ring with one key, which signs and verifies.
    pub fn new(active: SigningKey) -> Self {
        KeyRing {
            inner: Arc::new(Ring {
                active,
                verifying: Vec::new(),
                max_age: None,
                clock_skew: DEFAULT_CLOCK_SKEW,
                clock: None,
            }),
        }
    }

    /// Adds a key that verifies but does not sign (an old key during
    /// rotation, or a new one before it becomes active). A key id may
    /// appear once only.
    pub fn with_verifying_key(mut self, key: SigningKey) -> Result<Self, KeyError> {
        if self.key(key.id()).is_some() {
            return Err(KeyError::DuplicateKeyId {
                key_id: key.id().to_owned(),
            });
        }
        Arc::make_mut(&mut self.inner).verifying.push(key);
        Ok(self)
    }

    /// Rejects signatures older than `max_age` (whole seconds), for every
    /// signed schema; a schema's own `max_age_secs`, if shorter, wins.
    pub fn with_max_age(mut self, max_age: Duration) -> Self {
        Arc::make_mut(&mut self.inner).max_age = Some(max_age);
        self
    }

    /// How far the clocks of signer and verifier may differ (whole
    /// seconds; default [`DEFAULT_CLOCK_SKEW`]): a signature is accepted
    /// that far before its issue time and past its maximum age.
    pub fn with_clock_skew(mut self, skew: Duration) -> Self {
        Arc::make_mut(&mut self.inner).clock_skew = skew;
        self
    }

    /// Reads the time from `clock` instead of the system clock.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use typed_baggage::signing::{KeyRing, SigningKey};
    ///
    /// let frozen = KeyRing::new(SigningKey::new("k1", b"Dq7!vZ#2mLx@9pR$kW4&nT8*yB1^hF6%")?)
    ///     .with_clock(|| UNIX_EPOCH + Duration::from_secs(1_767_225_600));
    /// # let _ = frozen;
    /// # Ok::<(), typed_baggage::signing::KeyError>(())
    /// ```
    pub fn with_clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        Arc::make_mut(&mut self.inner).clock = Some(Clock(Arc::new(clock)));
        self
    }

    /// Reads a ring from text written `kid:base64key,kid2:base64key2`: the
    /// first key signs, the others only verify. Spaces and line breaks
    /// around entries are ignored; base64 in the standard or URL-safe
    /// alphabet, padding optional. Errors never show key material.
    ///
    /// ```
    /// use typed_baggage::signing::{KeyError, KeyRing};
    ///
    /// let ring = KeyRing::parse(
    ///     "k2:tc8ARuHhthq3wF3GF//1iZxURd2y3wWfjKDOHbgHDNU=,\
    ///      k1:DZ9TzZGSF-ET6Mgb35hQB1LnNG8Gy_BUL1Os7imvjCA",
    /// )?;
    /// assert_eq!(ring.active_key_id(), "k2");
    /// assert_eq!(ring.key_ids().collect::<Vec<_>>(), ["k2", "k1"]);
    ///
    /// let err = KeyRing::parse("k1:c2hvcnQ=").unwrap_err();
    /// assert_eq!(err, KeyError::TooShort { key_id: "k1".into(), len: 5, min: 32 });
    ///
    /// // 32 zero bytes: the right length, no entropy.
    /// let err = KeyRing::parse("k2:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "the key `k2` is too weak: it has 1 distinct byte value, and at least 8 are \
    ///      needed (a random 32-byte key has about 30); make a random one with `openssl \
    ///      rand -base64 32` (the key is not shown)"
    /// );
    /// # Ok::<(), KeyError>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        Self::parse_from(text, "the key ring text".into())
    }

    /// Reads a ring from the environment variable `var` (by convention
    /// [`KEYS_ENV`]), written as for [`KeyRing::parse`].
    pub fn from_env(var: &str) -> Result<Self, KeyError> {
        let text = match std::env::var(var) {
            Ok(text) => Zeroizing::new(text),
            Err(std::env::VarError::NotPresent) => {
                return Err(KeyError::EnvNotSet {
                    var: var.to_owned(),
                })
            }
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(KeyError::EnvNotUnicode {
                    var: var.to_owned(),
                })
            }
        };
        Self::parse_from(&text, format!("the environment variable `{var}`").into())
    }

    fn parse_from(text: &str, origin: Cow<'static, str>) -> Result<Self, KeyError> {
        let mut ring: Option<KeyRing> = None;
        for (index, entry) in text
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .enumerate()
        {
            let Some((id, secret)) = entry.split_once(':') else {
                return Err(KeyError::NotAnEntry {
                    origin,
                    entry: index + 1,
                });
            };
            let id = id.trim();
            check_key_id(id).map_err(|reason| KeyError::InvalidKeyId {
                origin: format!("entry {} of {origin}", index + 1).into(),
                reason,
            })?;
            let key = SigningKey::from_base64(id, secret)?;
            ring = Some(match ring {
                None => KeyRing::new(key),
                Some(ring) => ring.with_verifying_key(key)?,
            });
        }
        ring.ok_or(KeyError::Empty { origin })
    }

    /// The id of the key that signs.
    pub fn active_key_id(&self) -> &str {
        self.inner.active.id()
    }

    /// Every key id, the active one first.
    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(&self.inner.active)
            .chain(&self.inner.verifying)
            .map(SigningKey::id)
    }

    /// The maximum age of a signature, if the ring sets one.
    pub fn max_age(&self) -> Option<Duration> {
        self.inner.max_age
    }

    /// The clock skew tolerated.
    pub fn clock_skew(&self) -> Duration {
        self.inner.clock_skew
    }

    /// Makes this the key ring of the process, used wherever a context
    /// carries none; returns the one it replaces. Can be called again, to
    /// load rotated keys without a restart.
    pub fn install(&self) -> Option<KeyRing> {
        let mut slot = INSTALLED.write().unwrap_or_else(PoisonError::into_inner);
        slot.replace(self.clone())
    }

    /// The key ring of the process, if one is installed.
    pub fn installed() -> Option<KeyRing> {
        INSTALLED
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Removes the key ring of the process; returns it.
    pub fn uninstall() -> Option<KeyRing> {
        INSTALLED
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    fn key(&self, id: &str) -> Option<&SigningKey> {
        std::iter::once(&self.inner.active)
            .chain(&self.inner.verifying)
            .find(|k| k.id() == id)
    }

    /// Now, in whole seconds since the Unix epoch (0 before it).
    fn now_secs(&self) -> u64 {
        let now = match &self.inner.clock {
            Some(Clock(clock)) => clock(),
            None => SystemTime::now(),
        };
        now.duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verifying: Vec<&str> = self.inner.verifying.iter().map(SigningKey::id).collect();
        f.debug_struct("KeyRing")
            .field("active", &self.active_key_id())
            .field("verifying", &verifying)
            .field("max_age", &self.inner.max_age)
            .field("clock_skew", &self.inner.clock_skew)
            .finish()
    }
}

/// A key ring that could not be made. No message holds key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The environment variable is not set.
    #[error("the environment variable `{var}` is not set: it should hold the key ring, written `kid:base64key,kid2:base64key2` (the first key signs)")]
    EnvNotSet {
        /// The variable.
        var: String,
    },
    /// The environment variable is not valid Unicode.
    #[error("the environment variable `{var}` is not valid Unicode: it should hold the key ring, written `kid:base64key,kid2:base64key2`")]
    EnvNotUnicode {
        /// The variable.
        var: String,
    },
    /// The text holds no key.
    #[error("{origin} holds no key: write the key ring as `kid:base64key,kid2:base64key2` (the first key signs)")]
    Empty {
        /// Where the text came from.
        origin: Cow<'static, str>,
    },
    /// An entry has no `:` between key id and key (the entry is not shown:
    /// it may be a key).
    #[error("entry {entry} of {origin} is not `kid:base64key` (it has no `:`; the entry is not shown, as it may hold a key)")]
    NotAnEntry {
        /// Where the text came from.
        origin: Cow<'static, str>,
        /// The entry's position, from 1.
        entry: usize,
    },
    /// A key id is empty, too long, or has a character other than
    /// `A-Z a-z 0-9 - _` (it is not shown: a key may have been put in its place).
    #[error("{origin}: the key id is not valid, as {reason}; a key id is 1 to 32 characters among A-Z a-z 0-9 - _ (it is not shown, in case a key was put in its place)")]
    InvalidKeyId {
        /// Where the key id came from.
        origin: Cow<'static, str>,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A key is not valid base64.
    #[error(
        "the key `{key_id}` is not valid base64 (standard or URL-safe alphabet, padding optional)"
    )]
    InvalidBase64 {
        /// The key's id.
        key_id: String,
    },
    /// A key is shorter than [`MIN_KEY_BYTES`].
    #[error("the key `{key_id}` has {len} bytes, and at least {min} are needed: make one with `openssl rand -base64 32`")]
    TooShort {
        /// The key's id.
        key_id: String,
        /// Its length in bytes.
        len: usize,
        /// The least allowed.
        min: usize,
    },
    /// Two keys of a ring have the same id.
    #[error("the key id `{key_id}` appears twice in the key ring: give each key its own id")]
    DuplicateKeyId {
        /// The key id.
        key_id: String,
    },
    /// A key is long enough but trivially weak: a placeholder, a pattern, a
    /// run (see [`Weakness`]). The error says which rule it breaks, in
    /// counts, never with a byte of the key.
    #[error("the key `{key_id}` is too weak: {weakness}; make a random one with `openssl rand -base64 32` (the key is not shown)")]
    Weak {
        /// The key's id.
        key_id: String,
        /// Which rule it breaks.
        weakness: Weakness,
    },
}

/// Why a key of the right length is refused as trivially weak: the rules
/// of the [module documentation](self#keys), which a random key breaks
/// with a probability below 2<sup>-80</sup>. Counts only: never a byte of
/// the key.
///
/// ```
/// use typed_baggage::signing::{KeyError, SigningKey, Weakness};
///
/// let weakness = |secret: &[u8]| match SigningKey::new("k1", secret) {
///     Err(KeyError::Weak { weakness, .. }) => Some(weakness),
///     _ => None,
/// };
/// assert_eq!(weakness(&[0; 32]), Some(Weakness::FewDistinctBytes { distinct: 1, min: 8 }));
/// assert_eq!(weakness(b"0123456789abcdef0123456789abcdef"), Some(Weakness::Repeats { period: 16 }));
/// let run: Vec<u8> = (0..32).collect();
/// assert_eq!(weakness(&run), Some(Weakness::Run { same: 31, steps: 31 }));
/// assert_eq!(weakness(b"Dq7!vZ#2mLx@9pR$kW4&nT8*yB1^hF6%"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Weakness {
    /// Fewer than [`MIN_DISTINCT_KEY_BYTES`] distinct byte values (32 zero
    /// bytes, one byte repeated, a key of two or three values).
    FewDistinctBytes {
        /// The distinct byte values found.
        distinct: usize,
        /// The fewest allowed.
        min: usize,
    },
    /// The key repeats a pattern of `period` bytes, at most half its length
    /// (`key[i] == key[i + period]` for every `i`).
    Repeats {
        /// The length of the pattern.
        period: usize,
    },
    /// More than half of the steps between consecutive bytes (`key[i + 1] -
    /// key[i]`, modulo 256) are the same: a run (`0, 1, 2, …`), or long
    /// stretches of one byte.
    Run {
        /// How many steps are the same.
        same: usize,
        /// How many steps there are (the length of the key, less one).
        steps: usize,
    },
}

impl Weakness {
    /// The first rule `secret` breaks, if any.
    fn of(secret: &[u8]) -> Option<Weakness> {
        let len = secret.len();
        let mut seen = [false; 256];
        let mut distinct = 0;
        for &b in secret {
            if let Some(slot) = seen.get_mut(usize::from(b)).filter(|s| !**s) {
                *slot = true;
                distinct += 1;
            }
        }
        if distinct < MIN_DISTINCT_KEY_BYTES {
            return Some(Weakness::FewDistinctBytes {
                distinct,
                min: MIN_DISTINCT_KEY_BYTES,
            });
        }
        if let Some(period) = (1..=len / 2).find(|&p| {
            secret
                .iter()
                .zip(secret.iter().skip(p))
                .all(|(a, b)| a == b)
        }) {
            return Some(Weakness::Repeats { period });
        }
        let mut counts = [0usize; 256];
        for pair in secret.windows(2) {
            if let [a, b] = pair {
                if let Some(count) = counts.get_mut(usize::from(b.wrapping_sub(*a))) {
                    *count += 1;
                }
            }
        }
        let steps = len.saturating_sub(1);
        let same = counts.iter().copied().max().unwrap_or(0);
        (same * 2 > steps).then_some(Weakness::Run { same, steps })
    }
}

impl fmt::Display for Weakness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Weakness::FewDistinctBytes { distinct, min } => write!(
                f,
                "it has {distinct} distinct byte value{}, and at least {min} are needed (a \
                 random 32-byte key has about 30)",
                if distinct == 1 { "" } else { "s" }
            ),
            Weakness::Repeats { period } => write!(
                f,
                "it is a pattern of {period} byte{} repeated, and a key must not repeat a \
                 pattern of at most half its length",
                if period == 1 { "" } else { "s" }
            ),
            Weakness::Run { same, steps } => write!(
                f,
                "{same} of its {steps} steps from one byte to the next are the same (a run \
                 such as 0, 1, 2, 3, or long stretches of one byte), and at most half may be"
            ),
        }
    }
}

/// The key ring `cx` carries, or else the installed one.
fn with_ring<R>(cx: &Context, f: impl FnOnce(Option<&KeyRing>) -> R) -> R {
    match cx.get::<KeyRing>() {
        Some(ring) => f(Some(ring)),
        None => {
            let installed = INSTALLED.read().unwrap_or_else(PoisonError::into_inner);
            f(installed.as_ref())
        }
    }
}

/// Appends `bytes` to the canonical form, prefixed by its length.
#[inline]
fn put(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// What a signature is about, besides the entries: the schema (its
/// signature key and name), the key, the issue time and, for a
/// `bind_trace` schema, the trace.
struct Subject<'a> {
    schema: &'a str,
    signature_key: &'a str,
    key: &'a SigningKey,
    issued: u64,
    trace: Option<[u8; TRACE_BYTES]>,
}

/// The MAC over the canonical form: domain, signature key, schema name, key
/// id, issue time, trace id (or nothing), and the schema's present entries
/// sorted by key, each length-prefixed. The form is written out first and
/// fed to the MAC at once (one update instead of dozens of small ones).
fn mac_over(subject: &Subject<'_>, members: &mut [(&str, &str)]) -> HmacSha256 {
    members.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let trace: &[u8] = match &subject.trace {
        Some(trace) => trace,
        None => &[],
    };
    let len = DOMAIN.len()
        + 8
        + subject.signature_key.len()
        + 8
        + subject.schema.len()
        + 8
        + subject.key.id.len()
        + 8
        + 8
        + trace.len()
        + 8
        + members
            .iter()
            .map(|(k, v)| 16 + k.len() + v.len())
            .sum::<usize>();
    let mut form = Vec::with_capacity(len);
    form.extend_from_slice(DOMAIN);
    put(&mut form, subject.signature_key.as_bytes());
    put(&mut form, subject.schema.as_bytes());
    put(&mut form, subject.key.id.as_bytes());
    form.extend_from_slice(&subject.issued.to_be_bytes());
    put(&mut form, trace);
    form.extend_from_slice(&(members.len() as u64).to_be_bytes());
    for (k, v) in members.iter() {
        put(&mut form, k.as_bytes());
        put(&mut form, v.as_bytes());
    }
    // The length reserved above is the form's exact length: one
    // allocation, and a description of the form that a test build checks.
    debug_assert_eq!(form.len(), len, "the MAC input's length");
    let mut mac = subject.key.mac.clone();
    mac.update(&form);
    mac
}

fn signature_error(schema: &Schema, signature: Signature, problem: SignatureProblem) -> Error {
    Error::Signature {
        key: Cow::Borrowed(signature.key),
        schema: schema.name,
        problem,
    }
}

/// The trace id of `cx`'s span context, if it has a valid one.
fn trace_of(cx: &Context) -> Option<TraceId> {
    let trace = cx.span().span_context().trace_id();
    (trace != TraceId::INVALID).then_some(trace)
}

/// The errors of a `bind_trace` schema's trace. They are about the
/// signature entry, and say what was expected and found; they are
/// [`Error::Invalid`] on the signature's key, as no [`SignatureProblem`]
/// tells them apart.
mod trace_errors {
    use super::*;

    const ADVICE: &str = "propagate the `traceparent` header along with `baggage`, and read the \
         schema in the context extracted from both";

    /// `with_typed` of a `bind_trace` schema in a context without a trace.
    pub(super) fn nothing_to_sign_in(schema: &Schema, signature: Signature) -> Error {
        Error::Invalid {
            key: Cow::Borrowed(signature.key),
            expected: format!(
                "a trace to bind the signature of schema `{}` to (it is signed with \
                 `bind_trace`)",
                schema.name
            )
            .into(),
            found: "no trace".to_owned(),
            detail: Some(
                "the context written to has no valid span context: start a span, or extract \
                 `traceparent`, before `with_typed`"
                    .to_owned(),
            ),
        }
    }

    /// A read of a `bind_trace` schema in a context without a trace.
    pub(super) fn nothing_to_check_in(
        schema: &Schema,
        signature: Signature,
        signed_in: TraceId,
    ) -> Error {
        Error::Invalid {
            key: Cow::Borrowed(signature.key),
            expected: format!(
                "a signature of schema `{}` read in the trace it was made in, {signed_in} (it \
                 is signed with `bind_trace`)",
                schema.name
            )
            .into(),
            found: "no trace".to_owned(),
            detail: Some(format!(
                "the context read from has no valid span context: {ADVICE}"
            )),
        }
    }

    /// A genuine signature of a `bind_trace` schema made in another trace.
    pub(super) fn other(
        schema: &Schema,
        signature: Signature,
        signed_in: TraceId,
        read_in: TraceId,
    ) -> Error {
        Error::Invalid {
            key: Cow::Borrowed(signature.key),
            expected: format!(
                "a signature of schema `{}` made in the trace it is read in, {read_in} (it is \
                 signed with `bind_trace`)",
                schema.name
            )
            .into(),
            found: format!("a signature made in trace {signed_in}"),
            detail: Some(format!(
                "the baggage was copied from another trace, or a hop started a new trace \
                 instead of continuing this one: {ADVICE}"
            )),
        }
    }
}

/// Signs the entries a schema value wrote, adding its signature entry.
pub(crate) fn sign(
    schema: &Schema,
    signature: Signature,
    cx: &Context,
    entries: &mut Entries,
) -> Result<(), Error> {
    with_ring(cx, |ring| {
        let ring =
            ring.ok_or_else(|| signature_error(schema, signature, SignatureProblem::NoKeyRing))?;
        let trace = if signature.bind_trace {
            Some(trace_of(cx).ok_or_else(|| trace_errors::nothing_to_sign_in(schema, signature))?)
        } else {
            None
        };
        let subject = Subject {
            schema: schema.name,
            signature_key: signature.key,
            key: &ring.inner.active,
            issued: ring.now_secs(),
            trace: trace.map(TraceId::to_bytes),
        };
        let tag = {
            let mut members: Vec<(&str, &str)> = entries
                .iter()
                .filter_map(|(k, v)| v.map(|v| (k, v)))
                .collect();
            mac_over(&subject, &mut members).finalize().into_bytes()
        };
        let mut value = String::with_capacity(signature.max_value_len());
        value.push_str(VERSION);
        value.push('.');
        value.push_str(&subject.key.id);
        value.push('.');
        value.push_str(itoa::Buffer::new().format(subject.issued));
        value.push('.');
        if let Some(trace) = trace {
            // `TraceId`'s `Display`: 32 lowercase hexadecimal digits.
            use std::fmt::Write as _;
            let _ = write!(value, "{trace}.");
        }
        URL_SAFE_NO_PAD.encode_string(tag, &mut value);
        entries.put(
            Cow::Borrowed(signature.key),
            Some(value.as_str()),
            |v, out| out.push_str(v),
        );
        Ok(())
    })
}

/// A signature value, parsed.
struct Parsed<'a> {
    key_id: &'a str,
    issued: u64,
    /// The trace id, in the value of a `bind_trace` schema's signature.
    trace: Option<TraceId>,
    mac: [u8; MAC_BYTES],
}

/// `Some` if `text` is a valid trace id: 32 lowercase hexadecimal digits,
/// not all zero.
fn parse_trace(text: &str) -> Option<TraceId> {
    let canonical = text.len() == TRACE_TEXT_LEN
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    canonical
        .then(|| TraceId::from_hex(text).ok())
        .flatten()
        .filter(|t| *t != TraceId::INVALID)
}

impl<'a> Parsed<'a> {
    /// Parses `text`, with a trace id if `bound` (the schema is signed with
    /// `bind_trace`), else without.
    fn parse(text: &'a str, bound: bool) -> Result<Self, &'static str> {
        let Some(rest) = text.strip_prefix("v1.") else {
            return Err(if text.starts_with('v') && text.contains('.') {
                "its version is not `v1`, the one this build reads"
            } else {
                "it does not start with the version `v1.`"
            });
        };
        let mut parts = rest.splitn(if bound { 4 } else { 3 }, '.');
        let (key_id, issued) = (parts.next(), parts.next());
        let (trace, mac) = if bound {
            match (parts.next(), parts.next()) {
                (Some(trace), Some(mac)) => (Some(trace), Some(mac)),
                (Some(mac), None) if mac.len() == MAC_TEXT_LEN => {
                    return Err("it has no trace id, and the schema is signed with \
                         `bind_trace`: expected `v1.<key id>.<issued>.<trace id>.<MAC>`");
                }
                _ => (None, None),
            }
        } else {
            (None, parts.next())
        };
        let (Some(key_id), Some(issued), Some(mac)) = (key_id, issued, mac) else {
            return Err(if bound {
                "it does not have the five parts of a `bind_trace` signature, \
                 `v1.<key id>.<issued>.<trace id>.<MAC>`, separated by `.`"
            } else {
                "it does not have four parts separated by `.`"
            });
        };
        if check_key_id(key_id).is_err() {
            return Err("its key id is not 1 to 32 characters among A-Z a-z 0-9 - _");
        }
        let canonical_number = !issued.is_empty()
            && issued.len() <= 20
            && issued.bytes().all(|b| b.is_ascii_digit())
            && (issued == "0" || !issued.starts_with('0'));
        let issued = match issued.parse::<u64>() {
            Ok(n) if canonical_number => n,
            _ => return Err("its issue time is not a whole number of seconds"),
        };
        let trace = match trace {
            None => None,
            Some(text) => match parse_trace(text) {
                Some(trace) => Some(trace),
                None => {
                    return Err("its trace id is not 32 lowercase hexadecimal digits, not all zero")
                }
            },
        };
        if !bound
            && mac
                .split_once('.')
                .is_some_and(|(t, m)| parse_trace(t).is_some() && m.len() == MAC_TEXT_LEN)
        {
            return Err(
                "it has a trace id, and the schema is not signed with `bind_trace`: \
                 expected `v1.<key id>.<issued>.<MAC>`",
            );
        }
        let mut tag = [0u8; MAC_BYTES];
        let decoded = (mac.len() == MAC_TEXT_LEN)
            .then(|| URL_SAFE_NO_PAD.decode_slice(mac, &mut tag).ok())
            .flatten();
        if decoded != Some(MAC_BYTES) {
            return Err("its MAC is not 43 characters of unpadded base64url (32 bytes)");
        }
        Ok(Parsed {
            key_id,
            issued,
            trace,
            mac: tag,
        })
    }
}

/// Checks the signature of `schema` in `baggage`.
///
/// In this order: present, well-formed, made by a key of the ring, the MAC
/// (so that what follows is said only of a genuine signature), then, for a
/// `bind_trace` schema, made in the trace of `cx`, then within its time.
pub(crate) fn verify(
    schema: &Schema,
    signature: Signature,
    cx: &Context,
    baggage: &OtelBaggage,
) -> Result<(), Error> {
    let fail = |problem| signature_error(schema, signature, problem);
    let Some(text) = baggage.get(signature.key).map(|v| v.as_str()) else {
        return Err(fail(SignatureProblem::Missing));
    };
    let parsed = Parsed::parse(text, signature.bind_trace).map_err(|detail| {
        fail(SignatureProblem::Malformed {
            found: excerpt(text),
            detail,
        })
    })?;
    with_ring(cx, |ring| {
        let ring = ring.ok_or_else(|| fail(SignatureProblem::NoKeyRing))?;
        let key = ring.key(parsed.key_id).ok_or_else(|| {
            fail(SignatureProblem::UnknownKeyId {
                key_id: parsed.key_id.to_owned(),
            })
        })?;
        // Every key the schema declares, present or not in what was signed:
        // an entry added after signing changes the canonical form.
        let resolved;
        let mut members: Vec<(&str, &str)> = if schema.flattened.is_empty() {
            schema
                .fields
                .iter()
                .filter_map(|f| baggage.get(f.key).map(|v| (f.key, v.as_str())))
                .collect()
        } else {
            resolved = schema.resolved();
            resolved
                .iter()
                .filter_map(|f| baggage.get(&*f.key).map(|v| (&*f.key, v.as_str())))
                .collect()
        };
        let subject = Subject {
            schema: schema.name,
            signature_key: signature.key,
            key,
            issued: parsed.issued,
            trace: parsed.trace.map(TraceId::to_bytes),
        };
        mac_over(&subject, &mut members)
            .verify_slice(&parsed.mac)
            .map_err(|_| fail(SignatureProblem::Mismatch))?;
        if let Some(signed_in) = parsed.trace {
            match trace_of(cx) {
                None => {
                    return Err(trace_errors::nothing_to_check_in(
                        schema, signature, signed_in,
                    ))
                }
                Some(read_in) if read_in != signed_in => {
                    return Err(trace_errors::other(schema, signature, signed_in, read_in))
                }
                Some(_) => {}
            }
        }
        check_time(ring, signature, parsed.issued).map_err(fail)
    })
}

/// A clash between schemas that [`check_distinct`] finds.
///
/// Its message names the key and both schemas.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaClash {
    /// Two signed schemas write their signatures under the same key.
    #[error("the signed schemas `{first}` and `{second}` both write their signature under the baggage key `{key}`: expected one signature key per schema, found two schemas sharing one (each would overwrite the other's signature in a baggage that carries both); give one of them another `prefix`, or another key with `signed = \"...\"`")]
    SharedSignatureKey {
        /// The signature key.
        key: &'static str,
        /// The schema listed first.
        first: &'static str,
        /// The schema listed second.
        second: &'static str,
    },
    /// The signature key of a signed schema is a field of another schema.
    #[error("the baggage key `{key}` holds the signature of schema `{signed}` and is a field of schema `{other}`: writing `{other}` would replace the signature, and a client could set the field; give the field another key with `rename`, or the signature another key with `signed = \"...\"`")]
    SignatureKeyIsAField {
        /// The key.
        key: &'static str,
        /// The signed schema.
        signed: &'static str,
        /// The schema that has a field of that key.
        other: &'static str,
    },
}

/// Checks that the schemas a binary writes and reads do not clash over a
/// signature key: no two signed schemas share one, and no schema has a
/// field whose key is another's signature key. Returns the first clash
/// found, in the order given.
///
/// The signature already covers the schema's name, so a signature cannot
/// move from one schema to another; but two schemas that share a signature
/// key overwrite each other's signature when both are written, and two of
/// the same name (in different modules) would accept each other's. The
/// derive of one schema cannot see the others, so this is a check to run
/// once, at start-up or in a test, with every schema the binary uses (a
/// schema listed twice, or two with the same description, count as one).
///
/// ```
/// use typed_baggage::prelude::*;
/// use typed_baggage::signing::{check_distinct, SchemaClash};
///
/// #[derive(Baggage)]
/// #[baggage(prefix = "app.", signed)]
/// struct User { id: u64 }
///
/// #[derive(Baggage)]
/// #[baggage(prefix = "app.", signed)]
/// struct Admin { id: u64 }
///
/// #[derive(Baggage)]
/// #[baggage(prefix = "ff.")]
/// struct Flags { beta: bool }
///
/// assert_eq!(check_distinct(&[&User::SCHEMA, &Flags::SCHEMA]), Ok(()));
/// assert_eq!(
///     check_distinct(&[&User::SCHEMA, &Flags::SCHEMA, &Admin::SCHEMA]),
///     Err(SchemaClash::SharedSignatureKey { key: "app.sig", first: "User", second: "Admin" })
/// );
/// ```
pub fn check_distinct(schemas: &[&Schema]) -> Result<(), SchemaClash> {
    for (i, a) in schemas.iter().enumerate() {
        for b in schemas.iter().skip(i + 1) {
            if a == b {
                continue;
            }
            if let (Some(sa), Some(sb)) = (a.signature, b.signature) {
                if sa.key == sb.key {
                    return Err(SchemaClash::SharedSignatureKey {
                        key: sa.key,
                        first: a.name,
                        second: b.name,
                    });
                }
            }
            for (signed, other) in [(a, b), (b, a)] {
                if let Some(s) = signed.signature {
                    if other.resolved_field(s.key).is_some() {
                        return Err(SchemaClash::SignatureKeyIsAField {
                            key: s.key,
                            signed: signed.name,
                            other: other.name,
                        });
                    }
                }
            }
        }
    }
    Ok(())
}

/// Checks the issue time against now, the maximum age and the skew.
fn check_time(ring: &KeyRing, signature: Signature, issued: u64) -> Result<(), SignatureProblem> {
    let now = ring.now_secs();
    let skew = ring.inner.clock_skew.as_secs();
    if issued > now.saturating_add(skew) {
        return Err(SignatureProblem::NotYetValid {
            ahead_secs: issued - now,
            skew_secs: skew,
        });
    }
    let max_age = match (
        signature.max_age_secs,
        ring.inner.max_age.map(|d| d.as_secs()),
    ) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if let Some(max_age_secs) = max_age {
        let age_secs = now.saturating_sub(issued);
        if age_secs > max_age_secs.saturating_add(skew) {
            return Err(SignatureProblem::Expired {
                age_secs,
                max_age_secs,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 32 bytes that pass the weakness checks, different for each seed.
    fn secret(seed: u64) -> Vec<u8> {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..32)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect()
    }

    fn key(id: &str, seed: u64) -> SigningKey {
        SigningKey::new(id, &secret(seed)).expect("a strong key")
    }

    use crate::test_schemas::{Signed, Traced};
    use crate::BaggageContextExt;
    use opentelemetry::baggage::BaggageExt;
    use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceState};

    fn in_trace(cx: Context, trace: u128) -> Context {
        cx.with_remote_span_context(SpanContext::new(
            TraceId::from(trace),
            SpanId::from(1u64),
            TraceFlags::SAMPLED,
            true,
            TraceState::default(),
        ))
    }

    fn problem(e: Error) -> SignatureProblem {
        match e {
            Error::Signature { problem, .. } => problem,
            other => panic!("expected a signature error, got {other}"),
        }
    }

    #[test]
    fn a_signed_schema_round_trips_and_a_changed_value_does_not_verify() {
        let cx = Context::new().with_value(KeyRing::new(key("k1", 1)));
        let written = cx
            .with_typed(&Signed {
                id: 1,
                tag: Some("t".into()),
            })
            .unwrap();
        let sig = written
            .baggage()
            .get("s.sig")
            .map(|v| v.to_string())
            .unwrap();
        assert!(sig.starts_with("v1.k1."), "{sig}");
        assert_eq!(
            written.typed::<Signed>().unwrap(),
            Signed {
                id: 1,
                tag: Some("t".into())
            }
        );
        // Another value under the same signature.
        let forged = written.with_baggage(
            written
                .baggage()
                .iter()
                .map(|(k, (v, _))| {
                    let v = if k.as_str() == "s.id" {
                        "2".to_owned()
                    } else {
                        v.to_string()
                    };
                    opentelemetry::KeyValue::new(k.clone(), v)
                })
                .collect::<Vec<_>>(),
        );
        assert_eq!(
            problem(forged.typed::<Signed>().unwrap_err()),
            SignatureProblem::Mismatch
        );
        // No signature at all.
        let unsigned = cx.with_baggage([opentelemetry::KeyValue::new("s.id", "1")]);
        assert_eq!(
            problem(unsigned.typed::<Signed>().unwrap_err()),
            SignatureProblem::Missing
        );
    }

    #[test]
    fn a_signature_bound_to_a_trace_verifies_only_in_that_trace() {
        let ring = Context::new().with_value(KeyRing::new(key("k1", 1)));
        let value = Traced { id: 3, tag: None };
        // Nothing to bind to.
        assert!(matches!(
            ring.with_typed(&value),
            Err(Error::Invalid { .. })
        ));
        let written = in_trace(ring.clone(), 0xabc).with_typed(&value).unwrap();
        let sig = written
            .baggage()
            .get("t.sig")
            .map(|v| v.to_string())
            .unwrap();
        assert!(sig.contains(&format!("{:032x}", 0xabc)), "{sig}");
        assert_eq!(written.typed::<Traced>().unwrap(), value);
        // The same baggage in another trace, and in none.
        let baggage = written.baggage();
        let elsewhere = in_trace(ring.clone(), 0xdef).with_baggage(
            baggage
                .iter()
                .map(|(k, (v, _))| opentelemetry::KeyValue::new(k.clone(), v.to_string()))
                .collect::<Vec<_>>(),
        );
        assert!(matches!(
            elsewhere.typed::<Traced>(),
            Err(Error::Invalid { .. })
        ));
        let nowhere = ring.with_baggage(
            baggage
                .iter()
                .map(|(k, (v, _))| opentelemetry::KeyValue::new(k.clone(), v.to_string()))
                .collect::<Vec<_>>(),
        );
        assert!(matches!(
            nowhere.typed::<Traced>(),
            Err(Error::Invalid { .. })
        ));
    }

    #[test]
    fn a_ring_says_what_it_holds_and_shows_no_secret() {
        let ring = KeyRing::new(key("k1", 1))
            .with_verifying_key(key("k2", 2))
            .unwrap()
            .with_max_age(Duration::from_secs(300))
            .with_clock_skew(Duration::from_secs(7));
        assert_eq!(ring.active_key_id(), "k1");
        assert_eq!(ring.key_ids().collect::<Vec<_>>(), ["k1", "k2"]);
        assert_eq!(ring.max_age(), Some(Duration::from_secs(300)));
        assert_eq!(ring.clock_skew(), Duration::from_secs(7));
        assert_eq!(KeyRing::new(key("k1", 1)).clock_skew(), DEFAULT_CLOCK_SKEW);
        assert_eq!(KeyRing::new(key("k1", 1)).max_age(), None);
        assert_eq!(ring.key("k2").map(SigningKey::id), Some("k2"));
        assert_eq!(ring.key("k1").map(SigningKey::id), Some("k1"));
        assert!(ring.key("k3").is_none());
        assert_eq!(
            format!("{ring:?}"),
            "KeyRing { active: \"k1\", verifying: [\"k2\"], max_age: Some(300s), clock_skew: 7s }"
        );
        assert_eq!(
            format!("{:?}", key("k9", 9)),
            "SigningKey { id: \"k9\", secret: \"<redacted>\" }"
        );
        assert!(matches!(
            ring.with_verifying_key(key("k2", 3)),
            Err(KeyError::DuplicateKeyId { key_id }) if key_id == "k2"
        ));
    }

    /// The only unit test that installs a ring.
    #[test]
    fn the_process_ring_is_installed_and_removed() {
        let first = KeyRing::new(key("a", 4));
        let second = KeyRing::new(key("b", 5));
        let _ = KeyRing::uninstall();
        assert!(KeyRing::installed().is_none());
        // No ring in the context and none installed: nothing can sign.
        let err = Context::new()
            .with_typed(&Signed { id: 1, tag: None })
            .unwrap_err();
        assert_eq!(problem(err), SignatureProblem::NoKeyRing);
        assert!(first.install().is_none());
        assert_eq!(
            KeyRing::installed()
                .map(|r| r.active_key_id().to_owned())
                .as_deref(),
            Some("a")
        );
        let replaced = second.install().expect("the first ring");
        assert_eq!(replaced.active_key_id(), "a");
        assert_eq!(
            KeyRing::uninstall()
                .map(|r| r.active_key_id().to_owned())
                .as_deref(),
            Some("b")
        );
        assert!(KeyRing::installed().is_none());
    }

    #[test]
    fn ring_text_skips_empty_entries_and_numbers_the_bad_ones() {
        let b64 = |seed| base64::engine::general_purpose::STANDARD.encode(secret(seed));
        let text = format!(" k1:{} , ,k2:{},", b64(1), b64(2));
        let ring = KeyRing::parse(&text).unwrap();
        assert_eq!(ring.key_ids().collect::<Vec<_>>(), ["k1", "k2"]);
        let err = KeyRing::parse(&format!("k1:{},nocolon", b64(1))).unwrap_err();
        assert!(
            matches!(err, KeyError::NotAnEntry { entry: 2, .. }),
            "{err}"
        );
        let err = KeyRing::parse(&format!(",k1:{},bad.id:{}", b64(1), b64(2))).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("entry 2 of the key ring text: the key id is not valid"),
            "{err}"
        );
        assert!(matches!(KeyRing::parse(" , "), Err(KeyError::Empty { .. })));
    }

    #[test]
    fn weakness_edges_and_words() {
        // 33 bytes whose consecutive differences are 1 exactly half the
        // time (16 of 32 steps): not a run, which needs more than half.
        let diffs = [
            1u8, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 17, 19, 23, 29, 31, 37, 41, 43, 47,
            53, 59, 61, 67, 71, 73, 79,
        ];
        let mut bytes = vec![0u8];
        for d in diffs {
            let last = *bytes.last().unwrap();
            bytes.push(last.wrapping_add(d));
        }
        assert_eq!(Weakness::of(&bytes), None);
        // One more step of 1 is a run.
        let mut more = bytes.clone();
        more[17] = more[16].wrapping_add(1);
        let mut fixed = more.clone();
        for i in 18..fixed.len() {
            fixed[i] = fixed[i - 1].wrapping_add(diffs[i - 1]);
        }
        assert!(matches!(
            Weakness::of(&fixed),
            Some(Weakness::Run {
                same: 17,
                steps: 32
            })
        ));
        assert_eq!(
            Weakness::FewDistinctBytes { distinct: 1, min: 8 }.to_string(),
            "it has 1 distinct byte value, and at least 8 are needed (a random 32-byte key has about 30)"
        );
        assert!(Weakness::Repeats { period: 4 }.to_string().contains('4'));
        assert!(Weakness::Run {
            same: 20,
            steps: 31
        }
        .to_string()
        .contains("20"));
    }

    #[test]
    fn schemas_that_share_a_signature_key_clash() {
        const SIG: Option<Signature> = Some(Signature {
            key: "app.sig",
            max_age_secs: None,
            bind_trace: false,
        });
        const fn schema(name: &'static str, signature: Option<Signature>) -> Schema {
            Schema {
                name,
                crate_name: "t",
                doc: "",
                prefix: "app.",
                max_bytes: None,
                fields: &[],
                flattened: &[],
                signature,
                local: false,
            }
        }
        static USER: Schema = schema("User", SIG);
        static ADMIN: Schema = schema("Admin", SIG);
        static OTHER: Schema = schema(
            "Other",
            Some(Signature {
                key: "other.sig",
                max_age_secs: None,
                bind_trace: false,
            }),
        );
        static PLAIN: Schema = schema("Plain", None);
        assert_eq!(check_distinct(&[&USER, &OTHER, &PLAIN]), Ok(()));
        assert_eq!(check_distinct(&[&USER, &USER]), Ok(()), "one schema twice");
        assert_eq!(
            check_distinct(&[&PLAIN, &USER, &OTHER, &ADMIN]),
            Err(SchemaClash::SharedSignatureKey {
                key: "app.sig",
                first: "User",
                second: "Admin"
            })
        );
    }

    #[test]
    fn an_unbound_value_with_a_dot_in_its_mac_is_not_called_bound() {
        let mac = URL_SAFE_NO_PAD.encode([9u8; 32]);
        let Err(err) = Parsed::parse(&format!("v1.k1.1.zz.{mac}"), false) else {
            panic!("a MAC with a dot parses");
        };
        assert!(!err.starts_with("it has a trace id"), "{err}");
    }

    #[test]
    fn the_keyed_state_is_zeroed_on_drop() {
        // A `SigningKey` keeps only the HMAC state, two SHA-256 cores (the
        // inner and outer pads absorbed); with the `zeroize` feature of
        // `sha2` a core zeroes its state when dropped. This compiles only
        // with that feature on.
        fn zeroed_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        zeroed_on_drop::<sha2::block_api::Sha256VarCore>();
    }

    #[test]
    fn key_ids_are_checked() {
        assert_eq!(check_key_id("k-1_A"), Ok(()));
        assert!(check_key_id("").is_err());
        assert!(check_key_id("a.b").is_err());
        assert!(check_key_id("a:b").is_err());
        assert!(check_key_id(&"k".repeat(33)).is_err());
        assert_eq!(check_key_id(&"k".repeat(32)), Ok(()));
    }

    #[test]
    fn secrets_decode_in_both_alphabets_with_or_without_padding() {
        let bytes: Vec<u8> = (0u8..=40).map(|b| b.wrapping_mul(37)).collect();
        for engine in [
            base64::engine::general_purpose::STANDARD,
            base64::engine::general_purpose::STANDARD_NO_PAD,
            base64::engine::general_purpose::URL_SAFE,
            base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ] {
            let text = engine.encode(&bytes);
            assert_eq!(decode_secret(&text).as_deref(), Some(&bytes), "{text}");
        }
        assert!(decode_secret("not base64!").is_none());
        assert!(decode_secret("ab+_").is_none(), "mixed alphabets");
    }

    #[test]
    fn signature_values_parse_strictly() {
        let mac = URL_SAFE_NO_PAD.encode([9u8; 32]);
        let text = format!("v1.k1.1767225600.{mac}");
        let ok = Parsed::parse(&text, false).unwrap();
        assert_eq!(
            (ok.key_id, ok.issued, ok.trace, ok.mac),
            ("k1", 1_767_225_600, None, [9u8; 32])
        );
        assert_eq!(
            Parsed::parse(&format!("v1.k1.0.{mac}"), false)
                .unwrap()
                .issued,
            0
        );
        for (bad, why) in [
            (format!("v2.k1.1.{mac}"), "version"),
            (format!("k1.1.{mac}"), "version `v1.`"),
            ("v1.k1.1".to_owned(), "four parts"),
            (format!("v1.k!.1.{mac}"), "key id"),
            (format!("v1..1.{mac}"), "key id"),
            (format!("v1.k1.01.{mac}"), "issue time"),
            (format!("v1.k1.-1.{mac}"), "issue time"),
            (format!("v1.k1..{mac}"), "issue time"),
            (format!("v1.k1.99999999999999999999.{mac}"), "issue time"),
            (format!("v1.k1.1.{mac}A"), "MAC"),
            (format!("v1.k1.1.{mac}="), "MAC"),
            (format!("v1.k1.1.{}", &mac[..42]), "MAC"),
            (format!("v1.k1.1.{}.x", &mac[..40]), "MAC"),
            (
                format!("v1.k1.1.{}", URL_SAFE_NO_PAD.encode([9u8; 31])),
                "MAC",
            ),
            // A bound signature read by a schema that is not bound.
            (
                format!("v1.k1.1.4bf92f3577b34da6a3ce929d0e0e4736.{mac}"),
                "has a trace id",
            ),
        ] {
            let err = Parsed::parse(&bad, false)
                .err()
                .unwrap_or_else(|| panic!("{bad} parsed"));
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn bound_signature_values_parse_strictly() {
        let mac = URL_SAFE_NO_PAD.encode([9u8; 32]);
        let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
        let text = format!("v1.k1.1767225600.{trace}.{mac}");
        let ok = Parsed::parse(&text, true).unwrap();
        assert_eq!(
            (ok.key_id, ok.issued, ok.trace, ok.mac),
            (
                "k1",
                1_767_225_600,
                Some(TraceId::from_hex(trace).unwrap()),
                [9u8; 32]
            )
        );
        for (bad, why) in [
            (format!("v1.k1.1.{mac}"), "no trace id"),
            ("v1.k1.1".to_owned(), "five parts"),
            (format!("v1.k1.1.{trace}"), "five parts"),
            (
                format!("v1.k1.1.{}.{mac}", trace.to_uppercase()),
                "trace id",
            ),
            (format!("v1.k1.1.{}.{mac}", "0".repeat(32)), "not all zero"),
            (format!("v1.k1.1.{}.{mac}", &trace[1..]), "trace id"),
            (format!("v1.k1.1.{trace}0.{mac}"), "trace id"),
            (format!("v1.k1.1.{}.{mac}", "g".repeat(32)), "trace id"),
            (format!("v1.k1.1.{trace}.{}", &mac[1..]), "MAC"),
            (format!("v1.k1.1.{trace}.{mac}.x"), "MAC"),
            (format!("v1.k!.1.{trace}.{mac}"), "key id"),
            (format!("v1.k1.01.{trace}.{mac}"), "issue time"),
        ] {
            let err = Parsed::parse(&bad, true)
                .err()
                .unwrap_or_else(|| panic!("{bad} parsed"));
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn a_non_canonical_last_base64_character_is_rejected() {
        // 32 bytes in 43 characters leave 2 spare bits in the last one; a
        // value with them set decodes to the same bytes only if allowed.
        let mac = URL_SAFE_NO_PAD.encode([0u8; 32]);
        assert!(mac.ends_with('A'));
        let mut other = mac.clone();
        other.pop();
        other.push('B');
        assert!(Parsed::parse(&format!("v1.k1.1.{mac}"), false).is_ok());
        assert!(Parsed::parse(&format!("v1.k1.1.{other}"), false).is_err());
    }

    /// A key that passes the weak-key rules.
    const SECRET: &[u8; 32] = b"Dq7!vZ#2mLx@9pR$kW4&nT8*yB1^hF6%";

    #[test]
    fn the_canonical_form_is_unambiguous() {
        // Moving bytes between a key and its value, or between entries,
        // changes the MAC: lengths are part of it.
        let key = SigningKey::new("k1", SECRET).unwrap();
        let base = Subject {
            schema: "Ctx",
            signature_key: "app.sig",
            key: &key,
            issued: 1,
            trace: None,
        };
        let mac = |subject: &Subject<'_>, members: &mut [(&str, &str)]| {
            mac_over(subject, members).finalize().into_bytes()
        };
        let tag = |members: &mut [(&str, &str)]| mac(&base, members);
        let a = tag(&mut [("app.a", "bc")]);
        let b = tag(&mut [("app.ab", "c")]);
        let c = tag(&mut [("app.a", "b"), ("app.c", "")]);
        let d = tag(&mut [("app.a", "b,app.c=")]);
        assert_ne!(a, b);
        assert_ne!(c, d);
        // ... while the order given does not matter.
        assert_eq!(
            tag(&mut [("app.x", "1"), ("app.a", "2")]),
            tag(&mut [("app.a", "2"), ("app.x", "1")])
        );
        // The signature key, the schema, the key id, the time and the trace
        // are covered.
        let other_key = SigningKey::new("k2", SECRET).unwrap();
        let one = tag(&mut [("app.a", "1")]);
        let variants = [
            Subject {
                signature_key: "ff.sig",
                ..base
            },
            Subject {
                schema: "Other",
                ..base
            },
            Subject { issued: 2, ..base },
            Subject {
                key: &other_key,
                ..base
            },
            Subject {
                trace: Some([1; 16]),
                ..base
            },
            Subject {
                trace: Some([2; 16]),
                ..base
            },
        ];
        let mut tags = vec![one];
        for subject in &variants {
            tags.push(mac(subject, &mut [("app.a", "1")]));
        }
        for (i, x) in tags.iter().enumerate() {
            for y in &tags[i + 1..] {
                assert_ne!(x, y);
            }
        }
        // The schema name and the signature key are separate, length-prefixed
        // parts: bytes moved from one to the other change the MAC.
        assert_ne!(
            mac(
                &Subject {
                    schema: "xCtx",
                    signature_key: "app.sig",
                    ..base
                },
                &mut []
            ),
            mac(
                &Subject {
                    schema: "Ctx",
                    signature_key: "app.sigx",
                    ..base
                },
                &mut []
            )
        );
    }

    #[test]
    fn weak_keys_are_named_by_the_first_rule_they_break() {
        assert_eq!(Weakness::of(SECRET), None);
        assert_eq!(
            Weakness::of(&[0; 32]),
            Some(Weakness::FewDistinctBytes {
                distinct: 1,
                min: 8
            })
        );
        // 7 values: too few, even in no order.
        let seven: Vec<u8> = (0..32u8).map(|i| i.wrapping_mul(5) % 7 + 100).collect();
        assert_eq!(
            Weakness::of(&seven),
            Some(Weakness::FewDistinctBytes {
                distinct: 7,
                min: 8
            })
        );
        // A pattern of 8, and the longest period refused: half the key.
        let eight: Vec<u8> = b"k3y!P@5s".repeat(4);
        assert_eq!(Weakness::of(&eight), Some(Weakness::Repeats { period: 8 }));
        let half: Vec<u8> = SECRET[..16].repeat(2);
        assert_eq!(Weakness::of(&half), Some(Weakness::Repeats { period: 16 }));
        // A period longer than half the key is not a repetition: a key that
        // ends as it begins (1 in 256 random keys) is accepted.
        let mut ends_as_it_begins = *SECRET;
        ends_as_it_begins[31] = ends_as_it_begins[0];
        assert_eq!(Weakness::of(&ends_as_it_begins), None);
        // Runs, up, down, by any step.
        let up: Vec<u8> = (0..32).collect();
        let down: Vec<u8> = (0..32).map(|i| 200 - 3 * i).collect();
        assert_eq!(
            Weakness::of(&up),
            Some(Weakness::Run {
                same: 31,
                steps: 31
            })
        );
        assert_eq!(
            Weakness::of(&down),
            Some(Weakness::Run {
                same: 31,
                steps: 31
            })
        );
        assert_eq!(
            Weakness::of(b"abcdefghijklmnopqrstuvwxyzABCDEF"),
            Some(Weakness::Run {
                same: 30,
                steps: 31
            })
        );
        // Half the key one byte and the other half random: more than half
        // of the steps are 0.
        let mut stretch = *SECRET;
        stretch[..17].fill(0);
        assert_eq!(
            Weakness::of(&stretch),
            Some(Weakness::Run {
                same: 16,
                steps: 31
            })
        );
        // Exactly half of the steps the same is allowed.
        let mut at_most_half = *SECRET;
        at_most_half[..16].fill(0);
        assert_eq!(Weakness::of(&at_most_half), None);
    }

    #[test]
    fn time_checks_use_max_age_and_skew() {
        let at = |now: u64| {
            KeyRing::new(SigningKey::new("k1", SECRET).unwrap())
                .with_clock(move || UNIX_EPOCH + Duration::from_secs(now))
                .with_clock_skew(Duration::from_secs(10))
        };
        let sig = |max| Signature {
            key: "app.sig",
            max_age_secs: max,
            bind_trace: false,
        };
        assert_eq!(check_time(&at(1000), sig(None), 1010), Ok(()));
        assert_eq!(
            check_time(&at(1000), sig(None), 1011),
            Err(SignatureProblem::NotYetValid {
                ahead_secs: 11,
                skew_secs: 10
            })
        );
        assert_eq!(check_time(&at(1000), sig(None), 0), Ok(()));
        assert_eq!(check_time(&at(1000), sig(Some(100)), 890), Ok(()));
        assert_eq!(
            check_time(&at(1000), sig(Some(100)), 889),
            Err(SignatureProblem::Expired {
                age_secs: 111,
                max_age_secs: 100
            })
        );
        // The ring's maximum age and the schema's: the shorter wins.
        let ring = at(1000).with_max_age(Duration::from_secs(50));
        assert_eq!(check_time(&ring, sig(Some(100)), 940), Ok(()));
        assert!(check_time(&ring, sig(Some(100)), 939).is_err());
        assert!(check_time(&ring, sig(None), 939).is_err());
        assert_eq!(
            check_time(&ring, sig(Some(20)), 969),
            Err(SignatureProblem::Expired {
                age_secs: 31,
                max_age_secs: 20
            })
        );
    }
}
