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
//! | field, variant | `rename = "key"` | the key (or enum text) on the wire |
//! | field | `default`, `default = "path"` | the value when the key is absent (`Default::default()` or the function) |
//! | field | `skip` | not carried; filled from `Default` |
//! | field | `from_str` | a `FromStr + Display` type |
//! | field | `with = path` | a custom codec module |
//!
//! Keys are checked at compile time: each must be an RFC 7230 token after
//! the prefix and renames, and no two fields may share one.
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
#![forbid(unsafe_code)]
#![deny(missing_docs)]

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
