//! Compile-time checks, for generated code: `const fn`s whose bounds
//! point a type error at the user's field, and the messages of the
//! `const` assertions that a schema's layout is sound.

use std::borrow::Cow;
use std::fmt::Display;

use crate::bounds::{ItemLenBounded, LenBounded};
use crate::value::BaggageField;
use crate::Error;

/// Compile-time check that a field type is a baggage field (the error points at the type).
pub const fn assert_field<F: BaggageField>() {}

/// Compile-time check that a `flatten` field type is a schema.
pub const fn assert_baggage<T: crate::Baggage>() {}

/// Compile-time check that a `max_len` field type has a length.
pub const fn assert_len_bounded<T: LenBounded>() {}

/// Compile-time check that a `max_item_len` field type is a list of strings.
pub const fn assert_item_len_bounded<T: ItemLenBounded>() {}

/// A message built at compile time, for a `const` panic.
pub struct Message {
    buf: [u8; 512],
    len: usize,
}

impl Message {
    const fn new() -> Self {
        Message {
            buf: [0; 512],
            len: 0,
        }
    }

    /// Appends `bytes` if they fit whole (a part that does not fit is left out).
    #[allow(clippy::indexing_slicing)] // compile time only: `i < bytes.len()`, `len + bytes.len() <= 512`
    const fn push(mut self, bytes: &[u8]) -> Self {
        if self.len + bytes.len() > self.buf.len() {
            return self;
        }
        let mut i = 0;
        while i < bytes.len() {
            self.buf[self.len + i] = bytes[i];
            i += 1;
        }
        self.len += bytes.len();
        self
    }

    #[allow(clippy::indexing_slicing)] // compile time only: at most 20 digits
    const fn number(self, mut n: usize) -> Self {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.push(digits.split_at(i).1)
    }

    /// `true` if there is no message (the check passed).
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The message text.
    pub const fn as_str(&self) -> &str {
        match std::str::from_utf8(self.buf.split_at(self.len).0) {
            Ok(s) => s,
            Err(_) => "typed-baggage: a compile-time check failed",
        }
    }
}

/// The error of a schema whose bounded size is over its `max_bytes`, or an
/// empty message.
pub const fn budget_message(schema: &crate::Schema) -> Message {
    let (Some(bound), Some(budget)) = (schema.max_encoded_len(), schema.max_bytes) else {
        return Message::new();
    };
    if bound <= budget {
        return Message::new();
    }
    Message::new()
        .push(b"schema `")
        .push(schema.name.as_bytes())
        .push(b"` can take up to ")
        .number(bound)
        .push(b" bytes of baggage (every field present at its longest, percent-encoding included), over its budget `max_bytes = ")
        .number(budget)
        .push(b"`: lower the `max_len` of its strings and lists, or raise `max_bytes`")
}

/// The error of a schema whose flattened keys are unsound, or an empty
/// message: a signed schema flattened in, a key that a flatten-site prefix
/// makes look like a secret, or two fields (through `flatten`) that share a
/// key.
pub const fn duplicate_message(schema: &crate::Schema) -> Message {
    let signed = flattened_message(schema);
    if !signed.is_empty() {
        return signed;
    }
    if let Some(((head, tail), field)) = schema.secret_under_site() {
        return Message::new()
            .push(b"baggage key `")
            .push(head)
            .push(tail)
            .push(b"` (the field `")
            .push(field.field.as_bytes())
            .push(b"` of a schema flattened into `")
            .push(schema.name.as_bytes())
            .push(b"` under a prefix) looks like a secret or a personal identifier, and baggage travels in plain text to every downstream service: choose another flatten prefix, or rename the field");
    }
    match schema.duplicate_key() {
        None => Message::new(),
        Some((head, tail)) => Message::new()
            .push(b"baggage key `")
            .push(head)
            .push(tail)
            .push(b"` is used twice in schema `")
            .push(schema.name.as_bytes())
            .push(b"` (through `#[baggage(flatten)]` or its signature): give one of the fields another key, or flatten with `prefix = \"...\"`"),
    }
}

/// The error of a schema that flattens a signed one, or a propagated schema
/// that flattens a local one; or an empty message.
pub const fn flattened_message(schema: &crate::Schema) -> Message {
    if let Some(local) = schema.local_flattened() {
        return Message::new()
            .push(b"schema `")
            .push(local.as_bytes())
            .push(b"` is local and cannot be flattened into `")
            .push(schema.name.as_bytes())
            .push(b"`, which is propagated: its entries would leave the service with `")
            .push(schema.name.as_bytes())
            .push(b"`'s; mark `")
            .push(schema.name.as_bytes())
            .push(b"` `#[baggage(local)]` too, or keep the two schemas apart");
    }
    match schema.signed_flattened() {
        None => Message::new(),
        Some(signed) => Message::new()
            .push(b"schema `")
            .push(signed.as_bytes())
            .push(b"` is signed and cannot be flattened into `")
            .push(schema.name.as_bytes())
            .push(b"`: its signature would be neither written nor checked there; remove `signed` from it and put `#[baggage(signed)]` on the outer schema, which signs every key it writes"),
    }
}

/// The error of a schema made into a labelled instrument without a metric
/// label, or an empty message.
#[cfg(feature = "propagation")]
pub(crate) const fn unlabelled_message(schema: &crate::Schema) -> Message {
    if schema.has_metric_label() {
        return Message::new();
    }
    Message::new()
        .push(b"`Labelled::new::<")
        .push(schema.name.as_bytes())
        .push(b">`: the schema `")
        .push(schema.name.as_bytes())
        .push(b"` has no `#[baggage(metric_label)]` field, so the instrument's recordings would carry no label; mark the fields to label with `#[baggage(metric_label)]`, or record with the plain instrument")
}

/// The error of a local schema put in an inbound allowlist, or an empty
/// message.
#[cfg(feature = "propagation")]
pub(crate) const fn allowlisted_local_message(schema: &crate::Schema) -> Message {
    if !schema.local {
        return Message::new();
    }
    Message::new()
        .push(b"`Allowlist::schema::<")
        .push(schema.name.as_bytes())
        .push(b">`: the schema `")
        .push(schema.name.as_bytes())
        .push(b"` is local (`#[baggage(local)]`): its entries never travel, so whatever a caller sends under its keys is forged; leave it out of the allowlist (the service sets it itself, with `with_typed`)")
}

/// The runtime error of a generic schema whose keys collide.
#[cold]
pub fn duplicate_error(schema: &crate::Schema) -> Error {
    let key = match schema.duplicate_key() {
        Some((head, tail)) => {
            let mut bytes = head.to_vec();
            bytes.extend_from_slice(tail);
            String::from_utf8_lossy(&bytes).into_owned()
        }
        None => String::new(),
    };
    Error::DuplicateKey {
        key: Cow::Owned(key),
        schema: schema.name,
    }
}

/// Compile-time check that a metric label's type has few values.
pub const fn assert_low_cardinality<T: crate::value::LowCardinality>() {}

/// Compile-time check that a `skip`ped field type has a `Default`.
pub const fn assert_default<F: Default>() {}

/// Compile-time check for `from_str` field types.
pub const fn assert_from_str<T: std::str::FromStr + Display>()
where
    <T as std::str::FromStr>::Err: Display,
{
}
