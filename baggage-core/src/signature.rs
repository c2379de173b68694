//! The one boundary where signed schemas plug into writing and reading.
//!
//! [`sign`] and [`verify`] are what `with_typed` and every read call for a
//! `#[baggage(signed)]` schema. With the `signing` feature they are the
//! [`crate::signing`] module's; without it, a signed schema can be neither
//! written nor read (the derive makes `signed` a compile error then, so
//! only a hand-made schema gets here). Nothing else in the crate carries a
//! `cfg` for signing.

pub use self::feature::require_signing_feature;

use opentelemetry::baggage::Baggage as OtelBaggage;
use opentelemetry::Context;

use crate::encode::Entries;
use crate::error::Error;
use crate::schema::{Schema, Signature};

/// Adds the signature entry of a signed schema to `entries`, with the key
/// ring that `cx` carries or else the installed one.
#[inline]
pub(crate) fn sign(
    schema: &Schema,
    signature: Signature,
    cx: &Context,
    entries: &mut Entries,
) -> Result<(), Error> {
    #[cfg(feature = "signing")]
    return crate::signing::sign(schema, signature, cx, entries);
    #[cfg(not(feature = "signing"))]
    {
        let _ = (cx, entries);
        Err(disabled(schema, signature))
    }
}

/// Checks the signature of a signed schema in `baggage`, with the key ring
/// that `cx` carries or else the installed one.
#[inline]
pub(crate) fn verify(
    schema: &Schema,
    signature: Signature,
    cx: &Context,
    baggage: &OtelBaggage,
) -> Result<(), Error> {
    #[cfg(feature = "signing")]
    return crate::signing::verify(schema, signature, cx, baggage);
    #[cfg(not(feature = "signing"))]
    {
        let _ = (cx, baggage);
        Err(disabled(schema, signature))
    }
}

#[cfg(not(feature = "signing"))]
#[cold]
fn disabled(schema: &Schema, signature: Signature) -> Error {
    Error::Signature {
        key: signature.key.into(),
        schema: schema.name,
        problem: crate::error::SignatureProblem::SigningDisabled,
    }
}

mod feature {
    /// Compile-time check, made by `#[derive(Baggage)]` for a `signed` schema,
    /// that the `signing` feature is enabled.
    #[cfg(feature = "signing")]
    pub const fn require_signing_feature() {}

    /// Compile-time check, made by `#[derive(Baggage)]` for a `signed` schema,
    /// that the `signing` feature is enabled.
    #[cfg(not(feature = "signing"))]
    pub const fn require_signing_feature() {
        panic!("#[baggage(signed)] needs the `signing` feature of typed-baggage: enable it in Cargo.toml, `typed-baggage = {{ version = \"...\", features = [\"signing\"] }}`")
    }
}
