//! # typed-baggage
//!
//! Typed, validated [OpenTelemetry baggage](https://www.w3.org/TR/baggage/)
//! for Rust. Declare the context your services share once, as a plain
//! struct; `#[derive(Baggage)]` writes the code that turns it into W3C
//! baggage entries and back, checked at compile time.
//!
//! ```
//! use typed_baggage::prelude::*;
//! use opentelemetry::Context;
//!
//! /// Who is calling, set once at the gateway.
//! #[derive(Baggage, Debug, Clone, PartialEq)]
//! #[baggage(prefix = "app.")]
//! struct UserCtx {
//!     user_id: u64,                 // app.user_id=12345
//!     tier: Tier,                   // app.tier=premium
//!     is_premium: bool,             // app.is_premium=true
//!     features: Vec<String>,        // app.features=new_checkout,dark_mode
//!     #[baggage(rename = "geo")]
//!     region: Option<String>,       // app.geo=us-west, or absent
//!     #[baggage(default)]
//!     retries: u8,                  // absent -> 0
//! }
//!
//! #[derive(Baggage, Debug, Clone, Copy, PartialEq)]
//! #[baggage(rename_all = "snake_case")]
//! enum Tier { Free, Premium, EnterpriseGold }
//!
//! let user = UserCtx {
//!     user_id: 12345,
//!     tier: Tier::Premium,
//!     is_premium: true,
//!     features: vec!["new_checkout".into(), "dark_mode".into()],
//!     region: Some("us-west".into()),
//!     retries: 0,
//! };
//!
//! // gateway
//! let cx = Context::current().with_typed(&user)?;
//! let _guard = cx.attach();
//!
//! // any handler downstream
//! let read = UserCtx::from_current()?;
//! assert_eq!(read, user);
//! if read.tier == Tier::Premium { /* priority queue */ }
//! # Ok::<(), typed_baggage::Error>(())
//! ```
//!
//! ## Field types
//!
//! | Rust type | entry value |
//! |---|---|
//! | `u8` … `u128`, `usize`, `i8` … `i128`, `isize` | decimal (`12345`, `-7`); a value that does not fit is [`Error::OutOfRange`] |
//! | `bool` | `true` / `false`; any letter case is read (Python sends `True`) |
//! | `f32`, `f64` | the shortest text that reads back to the same value (`0.1`, `1e300`, `NaN`, `inf`) |
//! | `String`, `char` | as is; the wire percent-encodes |
//! | fieldless enums with `#[derive(Baggage)]` | the (renamed) variant name |
//! | `Vec<T>` | elements joined with `,`, an element's `%` and `,` written `%25` and `%2C`; `[]` is the empty text and `[""]` is `%00` |
//! | `Option<T>` | the key is absent for `None` |
//! | any `FromStr + Display` type, with `#[baggage(from_str)]` | its `Display` text, read with `FromStr` |
//! | any type, with `#[baggage(with = module)]` | `module::encode(&T, &mut String)` and `module::decode(&str) -> Result<T, E: Display>` |
//!
//! Every value round-trips exactly (a NaN reads back as a NaN). Types whose
//! values could not all round-trip do not compile: `Option<Option<T>>` and
//! `Vec<Option<T>>` would lose `None`s.
//!
//! ## Attributes
//!
//! | where | attribute | meaning |
//! |---|---|---|
//! | struct | `prefix = "app."` | prepended to every key |
//! | struct, enum | `rename_all = "..."` | `lowercase`, `UPPERCASE`, `PascalCase`, `camelCase`, `snake_case`, `SCREAMING_SNAKE_CASE`, `kebab-case`, `SCREAMING-KEBAB-CASE` |
//! | struct, enum | `crate = "path"` | the path to this crate when it is renamed |
//! | struct | `max_bytes = N` | this schema's own budget, in encoded header bytes |
//! | struct | `signed`, `signed = "key"` | signed with HMAC-SHA256 (feature `signing`): read only if the signature verifies; see `signing` |
//! | struct | `max_age_secs = N` | with `signed`: signatures older than `N` seconds are rejected |
//! | struct | `bind_trace` | with `signed`: the signature covers the trace id and is read only in the same trace (propagate `traceparent` with `baggage`) |
//! | field, variant | `rename = "key"` | the key (or enum text) on the wire |
//! | field | `default`, `default = "path"` | the value when the key is absent (`Default::default()` or the function) |
//! | field | `skip` | not carried; filled from `Default` |
//! | field | `from_str` | a `FromStr + Display` type |
//! | field | `with = path` | a custom codec module |
//! | field | `max_len = N` | at most `N` characters of a `String`, or elements of a `Vec` ([`Error::TooLong`] when written or read) |
//! | field | `max_item_len = N` | at most `N` characters in each element of a `Vec<String>` |
//! | field | `allow_secret = "reason"` | allows a name that looks like a secret (see below); the reason is required |
//! | field | `flatten`, `flatten, prefix = "p."` | embeds another schema's fields, with its keys or under the prefix `p.` instead of its own |
//! | field | `metric_label` | one of [`metric_attributes`](Baggage::metric_attributes); the type must be [`LowCardinality`] (`bool`, a fieldless enum) |
//! | field | `allow_high_cardinality = "reason"` | with `metric_label`: a type with many values, whose values are few in practice, as a label; the reason is required |
//!
//! Keys are checked at compile time: each must be an RFC 7230 token after
//! the prefix and renames, and no two fields may share one (through
//! `flatten` too: a compile error for a schema without generic parameters,
//! [`Error::DuplicateKey`] at run time for a generic one).
//!
//! ## Guards against the known misuses of baggage
//!
//! **Secrets.** Baggage is plain text that every hop, proxy and tracing
//! backend can read and log, and that any client can forge. A field whose
//! Rust name or wire key (prefix included) looks like a secret or a direct
//! personal identifier is a compile error, and so is a key that a
//! flatten-site prefix composes into one (`api.` + `key`). The rule (the
//! README has it in full, with the lists of names caught and allowed): the
//! name is split into word parts at every character that is not an ASCII
//! letter or digit, at each lower-case-or-digit to upper-case step
//! (`userPassword`), before the last capital of a capital run followed by
//! a lower-case letter (`APIKey`), and between letters and digits
//! (`cvv2`); it matches if one part, or two or three adjacent parts written
//! together, is a term such as `password`, `pwd`, `pin`, `token`, `jwt`,
//! `apikey`, `signingkey`, `creditcard`, `cvv`, `ssn`, `email`,
//! `phonenumber` or `dateofbirth` (or one with a plural `s`), a digit
//! standing for the letter it looks like (`passw0rd`). So `userPassword`,
//! `x-api-key`, `apiKey2`, `STRIPE_TOKEN` and `date_of_birth` match, and
//! `tokenizer_version`, `author`, `pinned`, `session_id` and `emailer_queue`
//! do not. A field that is not a secret says why:
//! `#[baggage(allow_secret = "a public fingerprint, not the key")]` (and
//! `allow_secret` on a name that does not match is an error, so no stale
//! escape hatch stays behind).
//!
//! **Heavy baggage.** `max_len` bounds strings and lists. When every field
//! is bounded (integers, floats, `bool`, `char`, enums, and strings and
//! lists with `max_len`, lists of strings with `max_item_len` too), the
//! schema's largest encoding, every field present at its longest with the
//! wire's percent-encoding (a character can take 12 bytes: `%F0%9F%98%80`),
//! is [`Baggage::MAX_ENCODED_LEN`], and a `max_bytes` budget it could exceed
//! is a compile error that states both numbers:
//!
//! ```compile_fail
//! # use typed_baggage::prelude::*;
//! #[derive(Baggage)]
//! #[baggage(prefix = "app.", max_bytes = 64)]
//! struct Ctx {
//!     user_id: u64,        // app.user_id= + 20 digits
//!     #[baggage(max_len = 16)]
//!     region: String,      // app.region= + 16 * 12 bytes: 253 bytes in all
//! }
//! ```
//!
//! A schema with an unbounded field and a budget is checked when it is
//! written ([`Error::LimitExceeded`]).
//!
//! **Composition.** `#[baggage(flatten)]` embeds a schema in another: its
//! fields are read and written with the outer one, its errors name their
//! wire keys, and [`Schema::resolved`] lists every key.
//!
//! ```
//! # use typed_baggage::prelude::*;
//! # use opentelemetry::{baggage::BaggageExt, Context};
//! #[derive(Baggage, Debug, PartialEq)]
//! #[baggage(prefix = "user.")]
//! struct User { id: u64 }
//!
//! #[derive(Baggage, Debug, PartialEq)]
//! #[baggage(prefix = "req.")]
//! struct Request {
//!     #[baggage(flatten)]
//!     user: User,                      // user.id
//!     #[baggage(flatten, prefix = "payer.")]
//!     payer: User,                     // payer.id
//!     beta: bool,                      // req.beta
//! }
//!
//! let r = Request { user: User { id: 1 }, payer: User { id: 2 }, beta: true };
//! let cx = Context::new().with_typed(&r)?;
//! assert_eq!(cx.baggage().get("payer.id").map(|v| v.as_str()), Some("2"));
//! assert_eq!(cx.typed::<Request>()?, r);
//! # Ok::<(), typed_baggage::Error>(())
//! ```
//!
//! ## Semantics
//!
//! - **Merge, never clobber.** [`with_typed`](BaggageContextExt::with_typed)
//!   keeps every entry that is not the schema's own, replaces the schema's
//!   keys, and removes a key whose field is `None`.
//! - **All or nothing.** A result that would break a limit is an
//!   [`Error::LimitExceeded`]; no context is made.
//! - **Limits are W3C's**, measured on the encoded header across all of
//!   the context's baggage: 64 list-members and 8192 bytes
//!   ([`limits`]), plus the schema's `max_bytes`.
//! - **Strict decode.** A missing required key, an unparsable value, an
//!   integer out of range, an unknown enum text: each an error naming the
//!   key, the expectation and what was found; all bad fields at once.
//!   Keys no field reads are ignored.
//!
//! ## Observability
//!
//! - [`sdk`] (feature `sdk`): [`sdk::BaggageSpanProcessor`] and
//!   [`sdk::BaggageLogProcessor`] copy baggage into span and log-record
//!   attributes; a schema's fields keep their types.
//! - [`Baggage::key_values`] and [`Baggage::metric_attributes`]: a schema as
//!   typed attributes, all fields or only the metric labels
//!   (`#[baggage(metric_label)]`, checked for [`LowCardinality`] at compile
//!   time).
//! - [`metrics`]: the propagator's size telemetry, `baggage.size`,
//!   `baggage.entries`, `baggage.entries.dropped`, `baggage.headers.rejected`.
//! - [`schema::markdown_table`], and `serde::Serialize` for [`Schema`]
//!   (feature `serde`): which keys a service reads, written down.

//! ## When baggage is bad
//!
//! Incoming baggage comes from peers and clients you do not control. What
//! a handler's `T::from_current()` (or `T::from_headers`) sees:
//!
//! | incoming `baggage` | what the propagator does | what the handler reads |
//! |---|---|---|
//! | none | nothing | [`Error::Missing`] for each required key |
//! | a malformed member (no `=`, a key that is not a token, a raw space, `"` or non-ASCII byte, a bad `%`, a bad property) | drops that member alone, counts and logs it | that key is absent (`Missing`, `None` or the default); the other keys read normally |
//! | nothing but malformed members | reads nothing: the context keeps the baggage it had | `Missing` for each required key |
//! | over 8192 bytes or 64 list-members, all `baggage` headers together | rejects it whole, from the lengths alone, counts and logs it | `Missing` for each required key: never a part of the header |
//! | a well-formed member whose value is not of the field's type | reads it | [`Error::Invalid`] or [`Error::OutOfRange`] naming the key, the type and the value found (cut and escaped); every bad field at once |
//! | forged: well-formed, but sent by a client | reads it | the forged value, unless the edge drops it (the `tower` feature's `InboundPolicy`) |
//!
//! Reading costs at most the 8192 bytes the limit allows, whatever a
//! request holds: an oversize header is never copied nor parsed.
//!
//! [`with_typed`](BaggageContextExt::with_typed) on a context that already
//! holds 64 list-members or 8 KiB of header returns
//! [`Error::LimitExceeded`] (which limit, the size the baggage would have
//! had, the allowance) unless the value only replaces or removes keys of
//! its own. Nothing is written: the context it was called on, and so the
//! current context, keeps exactly the entries and properties it had, and
//! a value of the schema it held before stays whole. Sending never breaks
//! the limits either: a member that would is left out whole, counted and
//! logged (see [`propagation`]).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// No panic that input can reach: library code has no `unwrap`, `expect` or
// slice indexing (unit tests may use them).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

#[doc(inline)]
pub use baggage_core::*;

/// Derives [`Baggage`] for a struct with named fields, or [`BaggageValue`]
/// for a fieldless enum. See the [crate documentation](crate) for the attributes.
#[cfg(feature = "derive")]
pub use baggage_derive::Baggage;

/// `use typed_baggage::prelude::*;` brings the derive, the traits and the
/// context extension.
pub mod prelude {
    pub use baggage_core::{Baggage, BaggageContextExt, BaggageValue};
    #[cfg(feature = "derive")]
    pub use baggage_derive::Baggage;
}

/// The README's Rust code, compiled (and, except where marked `no_run`,
/// run) as doctests, so that what a user pastes from it works.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
