//! Decoding, for generated code: where values are looked up
//! ([`Lookup`], over a baggage or the members of the read pipeline), how a
//! schema is read from a baggage ([`decode_baggage`]), and the per-field
//! decoders that `#[derive(Baggage)]` calls.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt::Display;

use opentelemetry::baggage::Baggage as OtelBaggage;
use opentelemetry::Value;

use crate::bounds::{check_item_len, check_len, too_long, ItemLenBounded, LenBounded};
use crate::keys::{DeclaredKeys, FieldKey, KeySource, KeyTable, Remap, SCAN_SLOTS};
use crate::schema::FieldSchema;
use crate::value::{BaggageField, BaggageValue, ValueError};
use crate::Error;

/// Where generated decoders look keys up: an OpenTelemetry baggage, or the
/// members of a header read without building one. Decoders are generic
/// over it (rather than taking `&dyn Lookup`) so that the lookups inline,
/// and are compiled only for the sources a program reads from.
pub trait Lookup {
    /// The text of `key`, if present.
    fn lookup(&self, key: &str) -> Option<&str>;
}

impl Lookup for OtelBaggage {
    #[inline]
    fn lookup(&self, key: &str) -> Option<&str> {
        self.get(key).map(|v| v.as_str())
    }
}

/// Reads `T` from a baggage.
///
/// Each field can be looked up in the baggage's hash map (a SipHash of the
/// key per field), or the baggage's entries walked once and matched to
/// fields through a table of the schema's keys (`keys::KeyTable`). From the measured costs of
/// each (`BENCHMARKS.md`, "Figures behind choices in the code"), the walk
/// is cheaper when `entries + 4 <= 2 × fields`, as when a schema is most of
/// the baggage; never for a schema of 2 fields or fewer, which always looks
/// up (the choice then folds away at compile time).
///
/// The choice is inlined into the caller, and with it the direct lookups;
/// the walk is a function of its own, so that its tables do not weigh on
/// the caller's frame.
#[inline]
pub fn decode_baggage<T: crate::Baggage>(baggage: &OtelBaggage) -> Result<T, Error> {
    let fields = T::SCHEMA.fields.len();
    if fields <= 2 || fields > SCAN_SLOTS || baggage.len() + 4 > 2 * fields {
        T::__decode(baggage, DeclaredKeys)
    } else {
        decode_scanned(baggage)
    }
}

/// Reads `T` from a baggage by walking its entries once (`T` has at most
/// [`SCAN_SLOTS`] fields).
#[inline(never)]
fn decode_scanned<T: crate::Baggage>(baggage: &OtelBaggage) -> Result<T, Error> {
    let fields = T::SCHEMA.fields;
    let table = KeyTable::new(fields);
    let mut slots: [Option<&str>; SCAN_SLOTS] = [None; SCAN_SLOTS];
    for (key, (value, _)) in baggage {
        if let Some(slot) = table.find(key.as_str()).and_then(|i| slots.get_mut(i)) {
            *slot = Some(value.as_str());
        }
    }
    T::__decode(
        &Scanned {
            baggage,
            fields,
            slots: &slots,
            next: Cell::new(0),
        },
        DeclaredKeys,
    )
}

/// The values of a schema's keys, found in one pass over a baggage, in the
/// order of `fields`: the order the generated decoder reads them in.
struct Scanned<'b> {
    baggage: &'b OtelBaggage,
    fields: &'static [FieldSchema],
    slots: &'b [Option<&'b str>],
    /// The field the decoder is expected to read next.
    next: Cell<usize>,
}

impl Lookup for Scanned<'_> {
    #[inline]
    fn lookup(&self, key: &str) -> Option<&str> {
        let next = self.next.get();
        let index = match self.fields.get(next) {
            Some(f) if f.key == key => Some(next),
            _ => self.fields.iter().position(|f| f.key == key),
        };
        match index {
            Some(i) => {
                self.next.set(i + 1);
                self.slots.get(i).copied().flatten()
            }
            // Not one of the schema's keys (generated code never asks for
            // one): look it up.
            None => self.baggage.lookup(key),
        }
    }
}

/// Where a generated `__decode` reads: the source and the key source.
///
/// The generated code is one call per field, which gives the field's
/// `Result`; the struct is built when every field is `Ok`, else
/// [`collect_errors`] gives every field's error, in field order. The reads
/// themselves (key resolution, lookup, decode, default, length checks) are
/// these methods, generic over the source and the keys, and checked once
/// here instead of once per field of every schema. Each is inlined into
/// the generated decoder, as the reads were when it called them itself:
/// the key is then a constant where it is compared and hashed.
pub struct Decoder<'b, L: ?Sized, K> {
    source: &'b L,
    keys: K,
}

impl<'b, L: Lookup + ?Sized, K: KeySource> Decoder<'b, L, K> {
    /// A decode of `source`, each key as `keys` gives it.
    #[inline(always)]
    pub fn new(source: &'b L, keys: K) -> Self {
        Decoder { source, keys }
    }

    /// A plain field (`key`, whose own prefix is `prefix_len` bytes):
    /// required, `Option`, or defaulted when `default` is given.
    #[inline(always)]
    pub fn field<F: BaggageField>(
        &self,
        key: &'static str,
        prefix_len: usize,
        default: Option<fn() -> F>,
    ) -> Result<F, Error> {
        decode_field(self.source, &self.keys.key(key, prefix_len), default)
    }

    /// A plain field with `max_len`: its text counted before it is decoded
    /// ([`decode_bounded_field`]), its value after.
    #[inline(always)]
    pub fn bounded_field<F: BaggageField + LenBounded>(
        &self,
        key: &'static str,
        prefix_len: usize,
        default: Option<fn() -> F>,
        max_len: usize,
    ) -> Result<F, Error> {
        let key = self.keys.key(key, prefix_len);
        decode_bounded_field(self.source, &key, default, max_len)
            .and_then(|value| check_len(&key, &value, Some(max_len)).map(|()| value))
    }

    /// `value` if its elements are at most `max` characters long
    /// (`max_item_len`).
    #[inline(always)]
    pub fn item_bounded<F: ItemLenBounded>(
        &self,
        value: Result<F, Error>,
        key: &'static str,
        prefix_len: usize,
        max: usize,
    ) -> Result<F, Error> {
        let value = value?;
        check_item_len(&self.keys.key(key, prefix_len), &value, max).map(|()| value)
    }

    /// A field with a codec (`with` or `from_str`), `None` if absent.
    #[inline(always)]
    pub fn codec<T, E: Display>(
        &self,
        key: &'static str,
        prefix_len: usize,
        expected: &'static str,
        decode: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<Option<T>, Error> {
        decode_codec(
            self.source,
            &self.keys.key(key, prefix_len),
            expected,
            decode,
        )
    }

    /// A field with a codec that is not an `Option`: its `default` if
    /// absent, or without one, an error.
    #[inline(always)]
    pub fn required_codec<T, E: Display>(
        &self,
        key: &'static str,
        prefix_len: usize,
        expected: &'static str,
        decode: impl FnOnce(&str) -> Result<T, E>,
        default: Option<fn() -> T>,
    ) -> Result<T, Error> {
        let key = self.keys.key(key, prefix_len);
        match (decode_codec(self.source, &key, expected, decode)?, default) {
            (Some(value), _) => Ok(value),
            (None, Some(make)) => Ok(make()),
            (None, None) => Err(missing(key.to_key(), expected)),
        }
    }

    /// A schema flattened here without a site prefix: its keys from the
    /// same source.
    #[inline(always)]
    pub fn flattened<T: crate::Baggage>(&self) -> Result<T, Error> {
        T::__decode(self.source, self.keys)
    }

    /// A schema flattened here under the site prefix `site`.
    #[inline(always)]
    pub fn flattened_under<T: crate::Baggage>(&self, site: &'static str) -> Result<T, Error> {
        T::__decode(self.source, self.keys.under(site))
    }
}

/// The results of a generated decoder's fields, as nested pairs
/// `(f0, (f1, (.., ())))`, so that one function collects the errors of any
/// number of fields.
pub trait FieldResults {
    /// Appends the errors, in field order.
    fn errors_into(self, out: &mut Vec<Error>);
}

impl FieldResults for () {
    #[inline]
    fn errors_into(self, _out: &mut Vec<Error>) {}
}

impl<T, Rest: FieldResults> FieldResults for (Result<T, Error>, Rest) {
    #[inline]
    fn errors_into(self, out: &mut Vec<Error>) {
        if let Err(e) = self.0 {
            out.push(e);
        }
        self.1.errors_into(out);
    }
}

/// The error of a decode whose fields gave `results` (called only when one
/// failed): the one error, or all of them in field order.
#[cold]
pub fn collect_errors(results: impl FieldResults) -> Error {
    let mut errors = Vec::new();
    results.errors_into(&mut errors);
    match Error::combine(errors) {
        Err(e) => e,
        Ok(()) => Error::Multiple(Vec::new()),
    }
}

/// Decodes a plain field: required, `Option`, or defaulted when `default` is given.
#[inline]
pub fn decode_field<F: BaggageField, L: Lookup + ?Sized, K: FieldKey + ?Sized>(
    baggage: &L,
    key: &K,
    default: Option<fn() -> F>,
) -> Result<F, Error> {
    decode_text(baggage.lookup(key.text()), key, default)
}

/// Decodes a `max_len` field as [`decode_field`] does, but first counts
/// the length of its entry text where the type can ([`LenBounded::len_of_text`]),
/// so that a list over its bound is rejected before it is decoded.
#[inline]
pub fn decode_bounded_field<F, L, K>(
    baggage: &L,
    key: &K,
    default: Option<fn() -> F>,
    max_len: usize,
) -> Result<F, Error>
where
    F: BaggageField + LenBounded,
    L: Lookup + ?Sized,
    K: FieldKey + ?Sized,
{
    let text = baggage.lookup(key.text());
    if let Some(found) = text.and_then(F::len_of_text) {
        if found > max_len {
            return Err(too_long::<F, K>(key, max_len, found));
        }
    }
    decode_text(text, key, default)
}

/// Decodes a plain field's entry text, `None` if absent.
#[inline]
fn decode_text<F: BaggageField, K: FieldKey + ?Sized>(
    text: Option<&str>,
    key: &K,
    default: Option<fn() -> F>,
) -> Result<F, Error> {
    let expected = <F::Value as BaggageValue>::EXPECTED;
    match text {
        Some(text) => match <F::Value as BaggageValue>::decode(text) {
            Ok(v) => F::from_value(Some(v)).ok_or_else(|| missing(key.to_key(), expected)),
            Err(e) => Err(e.at(key.to_key(), expected)),
        },
        None => match default {
            Some(make) => Ok(make()),
            None => F::from_value(None).ok_or_else(|| missing(key.to_key(), expected)),
        },
    }
}

/// Decodes the text of a codec field (`with` or `from_str`), `None` if absent.
#[inline]
pub fn decode_codec<T, E: Display, L: Lookup + ?Sized, K: FieldKey + ?Sized>(
    baggage: &L,
    key: &K,
    expected: &'static str,
    decode: impl FnOnce(&str) -> Result<T, E>,
) -> Result<Option<T>, Error> {
    match baggage.lookup(key.text()) {
        Some(text) => decode(text).map(Some).map_err(|e| {
            ValueError::invalid(text)
                .with_detail(e.to_string())
                .at(key.to_key(), expected)
        }),
        None => Ok(None),
    }
}

/// An absent required key.
#[cold]
pub fn missing(key: Cow<'static, str>, expected: &'static str) -> Error {
    Error::Missing {
        key,
        expected: expected.into(),
    }
}

/// Reads one entry value as a field's typed attribute; see
/// `Baggage::__attributes`.
pub type AttributeFn = fn(&str) -> Result<Value, ValueError>;

/// A field's wire key (resolved as decoding resolves it) and its
/// attribute reader; see `Baggage::__attributes`.
pub type KeyedAttribute = (Cow<'static, str>, AttributeFn);

/// Appends a schema's own fields' attribute readers to `out`: each
/// `(declared key, reader)` of `fields` with its key resolved under
/// `remap` (the schema's own prefix is `prefix_len` bytes).
pub fn push_attributes(
    out: &mut Vec<KeyedAttribute>,
    remap: Remap,
    prefix_len: usize,
    fields: &[(&'static str, AttributeFn)],
) {
    out.extend(
        fields
            .iter()
            .map(|&(key, reader)| (remap.key(key, prefix_len), reader)),
    );
}

/// The typed attribute of a plain field's entry value.
pub fn attribute_of<F: BaggageField>(text: &str) -> Result<Value, ValueError> {
    <F::Value as BaggageValue>::decode(text).map(|v| v.to_otel_value())
}

/// The string attribute of a codec field's entry value, if it decodes.
pub fn codec_attribute<T, E: Display>(
    text: &str,
    decode: impl FnOnce(&str) -> Result<T, E>,
) -> Result<Value, ValueError> {
    match decode(text) {
        Ok(_) => Ok(Value::String(text.to_owned().into())),
        Err(e) => Err(ValueError::invalid(text).with_detail(e.to_string())),
    }
}
