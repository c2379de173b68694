//! Encoding, for generated code: the entries a schema value writes
//! ([`Entries`]), and the per-field writers and attribute makers that
//! `#[derive(Baggage)]` calls.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt::Display;

use opentelemetry::{KeyValue, StringValue};

use crate::bounds::{check_item_len, check_len, ItemLenBounded, LenBounded};
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
        let entry = value.map(|v| self.text(v, encode));
        self.items.push((key, entry));
    }

    /// The text `encode` appends for `value`, written to the scratch
    /// buffer, then copied into an allocation of its exact size.
    #[inline]
    pub(crate) fn text<T: ?Sized>(
        &mut self,
        value: &T,
        encode: impl FnOnce(&T, &mut String),
    ) -> StringValue {
        if self.scratch.capacity() == 0 {
            self.scratch.reserve(SCRATCH_CAPACITY);
        }
        self.scratch.clear();
        encode(value, &mut self.scratch);
        StringValue::from(self.scratch.as_str().to_owned())
    }

    /// The text of a plain field's value ([`value_text`], in these
    /// buffers), `None` if it has none.
    #[inline]
    pub(crate) fn field_text<F: BaggageField>(&mut self, field: &F) -> Option<StringValue> {
        Some(value_text(field.value()?, || self))
    }

    /// The capacity of the scratch text (for tests of who holds it).
    #[cfg(test)]
    pub(crate) fn scratch_capacity(&self) -> usize {
        self.scratch.capacity()
    }

    /// The entries written, `(key, value)`, `None` meaning removed.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Option<&str>)> + '_ {
        self.items
            .iter()
            .map(|(k, v)| (k.as_ref(), v.as_ref().map(StringValue::as_str)))
    }
}

/// The text of `value`: made without a scratch buffer where its type
/// allows (a constant without an allocation; an integer, a `String` or a
/// list of strings at its exact length), else written with
/// [`BaggageValue::encode`] in the scratch buffers `scratch` gives, which
/// is called only then.
#[inline]
pub(crate) fn value_text<'s, V: BaggageValue>(
    value: &V,
    scratch: impl FnOnce() -> &'s mut Entries,
) -> StringValue {
    if let Some(text) = value.encode_static() {
        return StringValue::from(text);
    }
    match value.encode_owned() {
        Some(text) => StringValue::from(text),
        None => scratch().text(value, BaggageValue::encode),
    }
}

/// Where a schema value's fields go: the entries of a baggage
/// ([`EntriesWriter`]) or OpenTelemetry attributes ([`KvWriter`]).
///
/// A schema has one generated writer, `Baggage::__write`, one call of this
/// trait per field (a flattened schema's `__write` with the same writer);
/// what each field becomes is decided here, once, and not written out per
/// field and per target by the derive.
pub trait Writer {
    /// A plain field, under its resolved `key`; `metric_label` if it is a
    /// `#[baggage(metric_label)]`.
    fn plain<F: BaggageField>(&mut self, key: Cow<'static, str>, value: &F, metric_label: bool);

    /// A field with a codec (`with` or `from_str`): `None` writes no
    /// value, and `encode` appends the text of one.
    fn codec<T: ?Sized>(
        &mut self,
        key: Cow<'static, str>,
        value: Option<&T>,
        encode: impl FnOnce(&T, &mut String),
        metric_label: bool,
    );

    /// Whether the target must hold each field to its length bounds (the
    /// baggage): only then are [`Writer::max_len`] and
    /// [`Writer::max_item_len`] checked, and their results given to
    /// [`Writer::length_checked`].
    const CHECKS_LENGTHS: bool = false;

    /// The result of one length check (see [`Writer::CHECKS_LENGTHS`]); a
    /// value over its bound is an error.
    #[inline]
    fn length_checked(&mut self, checked: Result<(), Error>) {
        let _ = checked;
    }

    /// The `max_len` of a field, checked before [`Writer::plain`].
    /// (`key` is a `&Cow` so that an error keeps a declared key borrowed.)
    #[inline]
    #[allow(clippy::ptr_arg)]
    fn max_len<F: LenBounded>(&mut self, key: &Cow<'static, str>, value: &F, max: usize) {
        if Self::CHECKS_LENGTHS {
            self.length_checked(check_len(key, value, Some(max)));
        }
    }

    /// The `max_item_len` of a field, as [`Writer::max_len`].
    #[inline]
    #[allow(clippy::ptr_arg)]
    fn max_item_len<F: ItemLenBounded>(&mut self, key: &Cow<'static, str>, value: &F, max: usize) {
        if Self::CHECKS_LENGTHS {
            self.length_checked(check_item_len(key, value, max));
        }
    }

    /// The schema cannot be written as one value (a generic schema whose
    /// flattened keys collide): a writer that can fail fails with `error`,
    /// the first one given (the outermost schema's), and no other. The
    /// fields are still given to it; attributes keep every one.
    fn fail(&mut self, error: Error);
}

/// The [`Writer`] of a schema value's baggage entries: each field's encoded
/// value, or its removal; every length over its bound an error.
pub struct EntriesWriter<'e> {
    entries: &'e mut Entries,
    errors: Vec<Error>,
    /// The first [`Writer::fail`]: the outermost schema that cannot be
    /// written, which is the error of the whole write.
    failed: Option<Error>,
}

impl<'e> EntriesWriter<'e> {
    /// A writer to `entries`.
    #[inline]
    pub fn new(entries: &'e mut Entries) -> Self {
        EntriesWriter {
            entries,
            errors: Vec::new(),
            failed: None,
        }
    }

    /// `Ok` if every field was written (the usual case: no call), else the
    /// errors.
    #[inline]
    pub fn finish(self) -> Result<(), Error> {
        match self.failed {
            Some(e) => Err(e),
            None if self.errors.is_empty() => Ok(()),
            None => Error::combine(self.errors),
        }
    }
}

impl Writer for EntriesWriter<'_> {
    #[inline]
    fn plain<F: BaggageField>(&mut self, key: Cow<'static, str>, value: &F, _metric_label: bool) {
        let text = self.entries.field_text(value);
        self.entries.items.push((key, text));
    }

    #[inline]
    fn codec<T: ?Sized>(
        &mut self,
        key: Cow<'static, str>,
        value: Option<&T>,
        encode: impl FnOnce(&T, &mut String),
        _metric_label: bool,
    ) {
        self.entries.put(key, value, encode);
    }

    const CHECKS_LENGTHS: bool = true;

    #[inline]
    fn length_checked(&mut self, checked: Result<(), Error>) {
        if let Err(e) = checked {
            self.errors.push(e);
        }
    }

    fn fail(&mut self, error: Error) {
        self.failed.get_or_insert(error);
    }
}

/// The [`Writer`] of a schema value's typed attributes
/// ([`Baggage::key_values`](crate::Baggage::key_values)), or with
/// `METRIC_LABELS` only those of its metric labels
/// ([`Baggage::metric_attributes`](crate::Baggage::metric_attributes)).
/// An absent value gives no attribute.
pub struct KvWriter<'o, const METRIC_LABELS: bool>(pub &'o mut Vec<KeyValue>);

impl<const METRIC_LABELS: bool> Writer for KvWriter<'_, METRIC_LABELS> {
    #[inline]
    fn plain<F: BaggageField>(&mut self, key: Cow<'static, str>, value: &F, metric_label: bool) {
        if metric_label || !METRIC_LABELS {
            if let Some(v) = value.value() {
                self.0.push(KeyValue::new(key, v.to_otel_value()));
            }
        }
    }

    #[inline]
    fn codec<T: ?Sized>(
        &mut self,
        key: Cow<'static, str>,
        value: Option<&T>,
        encode: impl FnOnce(&T, &mut String),
        metric_label: bool,
    ) {
        if metric_label || !METRIC_LABELS {
            if let Some(v) = value {
                let mut s = String::new();
                encode(v, &mut s);
                self.0.push(KeyValue::new(key, s));
            }
        }
    }

    fn fail(&mut self, _error: Error) {}
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
