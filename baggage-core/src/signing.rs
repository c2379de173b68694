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
//! let ring = KeyRing::new(SigningKey::new("k1", &[7; 32])?);
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
//! which has only characters the propagator writes as they are, so it takes
//! 60 to 90 bytes of the 8192 the W3C allows (it counts towards the limits
//! and the schema's `max_bytes`, as any entry does).
//!
//! The MAC covers, in this order: a domain and version tag; the signature's
//! key (so a signature cannot move from one schema to another); the key id;
//! the issue time; and the schema's entries present in the baggage, sorted by
//! key, each key and **decoded** value prefixed by its length. So it does not
//! depend on the order of the members in the header, on how a peer
//! percent-encoded them, or on any entry of another schema; and since the
//! verifier takes every key the schema declares, an entry added to the
//! schema later (an absent `Option` that a hop fills in) breaks it too.
//! Properties (`;k=v` after a value) are not covered: typed decode does not
//! read them. The comparison is constant-time (`hmac::Mac::verify_slice`).
//!
//! # What it protects, and what it does not
//!
//! - **Integrity and authenticity among key holders.** Only a holder of a
//!   key of the ring can make a signature that verifies: a client or a
//!   compromised proxy without the key cannot change, add or remove any
//!   entry of a signed schema, nor move a signature from one user's entries
//!   to another's. HMAC is symmetric: every service holding the key can
//!   sign as well as verify, so give keys only to services you trust to
//!   write the schema.
//! - **Not confidentiality.** The entries stay plain text, readable by every
//!   hop and by anyone who sees the header: never put secrets in baggage.
//! - **Not replay.** A signature is valid, for the same entries, until it
//!   expires: a captured header can be sent again, unchanged, within the
//!   maximum age (`#[baggage(signed, max_age_secs = N)]` or
//!   [`KeyRing::with_max_age`]; the shorter applies). Without a maximum age
//!   a signature stays valid until its key leaves the ring. Bind what
//!   matters to the request (a request id field, a short maximum age) if
//!   replay matters.
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
//! signature as a [`SignatureProblem::Mismatch`].
//!
//! # Which key ring
//!
//! Writing and reading use the key ring the context carries
//! (`cx.with_value(ring)`), or else the one [installed](KeyRing::install)
//! for the process. `from_baggage`, which has no context, uses the current
//! context's.
//!
//! [`Error::Signature`]: crate::Error::Signature

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

// The size bound of a signed schema counts the longest signature value.
const _: () = assert!(
    crate::schema::SIGNATURE_MAX_WIRE_LEN
        == VERSION.len() + 1 + MAX_KEY_ID_LEN + 1 + 20 + 1 + MAC_TEXT_LEN
);

/// How far the clocks of signer and verifier may differ, unless the key
/// ring says otherwise ([`KeyRing::with_clock_skew`]).
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(60);

/// The conventional environment variable for [`KeyRing::from_env`].
pub const KEYS_ENV: &str = "TYPED_BAGGAGE_KEYS";

/// Bytes of an HMAC-SHA256 tag, and characters of it in unpadded base64.
const MAC_BYTES: usize = 32;
const MAC_TEXT_LEN: usize = 43;

/// Separates this use of the key from any other: the first bytes under the MAC.
const DOMAIN: &[u8] = b"typed-baggage signed schema v1\0";

/// One key: an id, which signatures name, and the secret, which is never
/// shown.
///
/// ```
/// use typed_baggage::signing::SigningKey;
///
/// let key = SigningKey::new("k1", b"0123456789abcdef0123456789abcdef")?;
/// assert_eq!(key.id(), "k1");
/// assert_eq!(format!("{key:?}"), r#"SigningKey { id: "k1", secret: "<redacted>" }"#);
/// assert!(SigningKey::new("k1", b"too short").is_err());
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
    /// A key from its id and its secret bytes (at least [`MIN_KEY_BYTES`]).
    /// The bytes are not kept: only the HMAC state derived from them.
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
/// let ring = KeyRing::new(SigningKey::new("k2", &[2; 32])?)
///     .with_verifying_key(SigningKey::new("k1", &[1; 32])?)?
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
    /// let frozen = KeyRing::new(SigningKey::new("k1", &[1; 32])?)
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
    ///     "k2:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=,\
    ///      k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE",
    /// )?;
    /// assert_eq!(ring.active_key_id(), "k2");
    /// assert_eq!(ring.key_ids().collect::<Vec<_>>(), ["k2", "k1"]);
    ///
    /// let err = KeyRing::parse("k1:c2hvcnQ=").unwrap_err();
    /// assert_eq!(err, KeyError::TooShort { key_id: "k1".into(), len: 5, min: 32 });
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

/// The MAC over the canonical form: domain, signature key, key id, issue
/// time, and the schema's present entries sorted by key, each length-prefixed.
/// The form is written out first and fed to the MAC at once (one update
/// instead of dozens of small ones).
fn mac_over(
    key: &SigningKey,
    signature_key: &str,
    issued: u64,
    members: &mut [(&str, &str)],
) -> HmacSha256 {
    members.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let len = DOMAIN.len()
        + 8
        + signature_key.len()
        + 8
        + key.id.len()
        + 16
        + members
            .iter()
            .map(|(k, v)| 16 + k.len() + v.len())
            .sum::<usize>();
    let mut form = Vec::with_capacity(len);
    form.extend_from_slice(DOMAIN);
    put(&mut form, signature_key.as_bytes());
    put(&mut form, key.id.as_bytes());
    form.extend_from_slice(&issued.to_be_bytes());
    form.extend_from_slice(&(members.len() as u64).to_be_bytes());
    for (k, v) in members.iter() {
        put(&mut form, k.as_bytes());
        put(&mut form, v.as_bytes());
    }
    let mut mac = key.mac.clone();
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
        let key = &ring.inner.active;
        let issued = ring.now_secs();
        let tag = {
            let mut members: Vec<(&str, &str)> = entries
                .iter()
                .filter_map(|(k, v)| v.map(|v| (k, v)))
                .collect();
            mac_over(key, signature.key, issued, &mut members)
                .finalize()
                .into_bytes()
        };
        let mut value = String::with_capacity(VERSION.len() + key.id.len() + 23 + MAC_TEXT_LEN);
        value.push_str(VERSION);
        value.push('.');
        value.push_str(&key.id);
        value.push('.');
        value.push_str(itoa::Buffer::new().format(issued));
        value.push('.');
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
    mac: [u8; MAC_BYTES],
}

impl<'a> Parsed<'a> {
    fn parse(text: &'a str) -> Result<Self, &'static str> {
        let Some(rest) = text.strip_prefix("v1.") else {
            return Err(if text.starts_with('v') && text.contains('.') {
                "its version is not `v1`, the one this build reads"
            } else {
                "it does not start with the version `v1.`"
            });
        };
        let mut parts = rest.splitn(3, '.');
        let (Some(key_id), Some(issued), Some(mac)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err("it does not have four parts separated by `.`");
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
            mac: tag,
        })
    }
}

/// Checks the signature of `schema` in `baggage`.
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
    let parsed = Parsed::parse(text).map_err(|detail| {
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
        mac_over(key, signature.key, parsed.issued, &mut members)
            .verify_slice(&parsed.mac)
            .map_err(|_| fail(SignatureProblem::Mismatch))?;
        check_time(ring, signature, parsed.issued).map_err(fail)
    })
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
        let ok = Parsed::parse(&text).unwrap();
        assert_eq!(
            (ok.key_id, ok.issued, ok.mac),
            ("k1", 1_767_225_600, [9u8; 32])
        );
        assert_eq!(Parsed::parse(&format!("v1.k1.0.{mac}")).unwrap().issued, 0);
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
        ] {
            let err = Parsed::parse(&bad)
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
        assert!(Parsed::parse(&format!("v1.k1.1.{mac}")).is_ok());
        assert!(Parsed::parse(&format!("v1.k1.1.{other}")).is_err());
    }

    #[test]
    fn the_canonical_form_is_unambiguous() {
        // Moving bytes between a key and its value, or between entries,
        // changes the MAC: lengths are part of it.
        let key = SigningKey::new("k1", &[3; 32]).unwrap();
        let tag = |members: &mut [(&str, &str)]| {
            mac_over(&key, "app.sig", 1, members)
                .finalize()
                .into_bytes()
        };
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
        // The signature key, the key id and the time are covered.
        let other_key = SigningKey::new("k2", &[3; 32]).unwrap();
        let base = tag(&mut [("app.a", "1")]);
        assert_ne!(
            base,
            mac_over(&key, "ff.sig", 1, &mut [("app.a", "1")])
                .finalize()
                .into_bytes()
        );
        assert_ne!(
            base,
            mac_over(&key, "app.sig", 2, &mut [("app.a", "1")])
                .finalize()
                .into_bytes()
        );
        assert_ne!(
            base,
            mac_over(&other_key, "app.sig", 1, &mut [("app.a", "1")])
                .finalize()
                .into_bytes()
        );
    }

    #[test]
    fn time_checks_use_max_age_and_skew() {
        let at = |now: u64| {
            KeyRing::new(SigningKey::new("k1", &[1; 32]).unwrap())
                .with_clock(move || UNIX_EPOCH + Duration::from_secs(now))
                .with_clock_skew(Duration::from_secs(10))
        };
        let sig = |max| Signature {
            key: "app.sig",
            max_age_secs: max,
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
