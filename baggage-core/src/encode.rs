//! Encoding, for generated code: the entries a schema value writes
//! ([`Entries`]), and the per-field writers and attribute makers that
//! `#[derive(Baggage)]` calls.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt::Display;

use opentelemetry::{KeyValue, StringValue};

use crate::value::{BaggageField, BaggageValue};
use crate::{Error, KeyValues};

/// The entries one schema value writes: for each carried key, the encoded
/// value, or `None` to remove the key.
#[derive(Debug, Default)]
pub struct Entries {
    pub(crate) items: Vec<(Cow<'static, str>, Option<StringValue>)>,
    scratch: String,
}

/// The capacity the scratch text starts with: room for the usual value.
const SCRATCH_CAPACITY: usize = 64;

/// A scratch text that grew past this is not kept for the next `with_typed`.
const SCRATCH_KEPT: usize = 1024;

thread_local! {
    /// The buffers of the last `with_typed` on this thread (an empty list
    /// and the scratch text), reused by the next one so that encoding
    /// allocates only the values themselves.
    static BUFFERS: Cell<Entries> = const {
        Cell::new(Entries {
            items: Vec::new(),
            scratch: String::new(),
        })
    };
}

impl Entries {
    /// Empty entries, with this thread's buffers if they are free (they are
    /// not while a `with_typed` runs inside an encoder of another one).
    pub(crate) fn take_buffers() -> Self {
        BUFFERS.try_with(Cell::take).unwrap_or_default()
    }

    /// Empties the entries and hands their buffers back to this thread.
    pub(crate) fn return_buffers(mut self) {
        self.items.clear();
        if self.scratch.capacity() > SCRATCH_KEPT {
            self.scratch = String::new();
        }
        let _ = BUFFERS.try_with(|buffers| buffers.set(self));
    }

    /// Writes `key` with the text `encode` appends, or removes it for `None`.
    ///
    /// The text is written to a scratch buffer and copied into an
    /// allocation of its exact size: one allocation per value.
    #[inline]
    pub fn put<T: ?Sized>(
        &mut self,
        key: Cow<'static, str>,
        value: Option<&T>,
        encode: impl FnOnce(&T, &mut String),
    ) {
        let entry = value.map(|v| {
            if self.scratch.capacity() == 0 {
                self.scratch.reserve(SCRATCH_CAPACITY);
            }
            self.scratch.clear();
            encode(v, &mut self.scratch);
            StringValue::from(self.scratch.as_str().to_owned())
        });
        self.items.push((key, entry));
    }

    /// Writes `key` with a constant text: no allocation.
    #[inline]
    pub fn put_static(&mut self, key: Cow<'static, str>, text: &'static str) {
        self.items.push((key, Some(StringValue::from(text))));
    }

    pub(crate) fn owns(&self, key: &str) -> bool {
        self.items.iter().any(|(k, _)| k == key)
    }

    /// The entries written, `(key, value)`, `None` meaning removed.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Option<&str>)> + '_ {
        self.items
            .iter()
            .map(|(k, v)| (k.as_ref(), v.as_ref().map(StringValue::as_str)))
    }
}

/// Writes a plain field.
#[inline]
pub fn put_field<F: BaggageField>(entries: &mut Entries, key: Cow<'static, str>, field: &F) {
    match field.value().map(|v| (v, v.encode_static())) {
        Some((_, Some(text))) => entries.put_static(key, text),
        value => entries.put(key, value.map(|(v, _)| v), BaggageValue::encode),
    }
}

/// The typed attribute of a plain field, if present.
#[inline]
pub fn field_kv<F: BaggageField>(out: &mut Vec<KeyValue>, key: Cow<'static, str>, field: &F) {
    if let Some(v) = field.value() {
        out.push(KeyValue::new(key, v.to_otel_value()));
    }
}

/// The string attribute of a codec field, if present.
#[inline]
pub fn codec_kv<T: ?Sized>(
    out: &mut Vec<KeyValue>,
    key: Cow<'static, str>,
    value: Option<&T>,
    encode: impl FnOnce(&T, &mut String),
) {
    if let Some(v) = value {
        let mut s = String::new();
        encode(v, &mut s);
        out.push(KeyValue::new(key, s));
    }
}

/// Wraps key-values for [`crate::Baggage::key_values`].
#[inline]
pub fn key_values(items: Vec<KeyValue>) -> KeyValues {
    KeyValues(items.into_iter())
}

/// `Display`-encodes a `from_str` field.
#[inline]
pub fn encode_display<T: Display + ?Sized>(value: &T, out: &mut String) {
    use std::fmt::Write;
    // Writing to a String cannot fail.
    let _ = write!(out, "{value}");
}

/// Collects the errors of writing one value.
pub fn push_err(errors: &mut Vec<Error>, result: Result<(), Error>) {
    if let Err(e) = result {
        errors.push(e);
    }
}

/// The result of an encode that collected `errors`: `Ok` without a call
/// when there is none (the usual case).
#[inline]
pub fn encode_result(errors: Vec<Error>) -> Result<(), Error> {
    if errors.is_empty() {
        Ok(())
    } else {
        Error::combine(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_reused_and_survive_a_nested_take() {
        let mut outer = Entries::take_buffers();
        outer.put("k".into(), Some("value"), |v: &str, out| out.push_str(v));
        // A `with_typed` inside an encoder finds the buffers taken and uses
        // its own; whichever ends last leaves its buffers for the next.
        let inner = Entries::take_buffers();
        assert_eq!(inner.scratch.capacity(), 0);
        inner.return_buffers();
        assert_eq!(outer.iter().collect::<Vec<_>>(), [("k", Some("value"))]);
        outer.return_buffers();
        let again = Entries::take_buffers();
        assert!(again.items.is_empty());
        assert!(again.scratch.capacity() >= SCRATCH_CAPACITY);
        again.return_buffers();
    }
}
