//! Items the generated code uses. Not public API: they change without notice,
//! which is why the derive and the runtime are pinned to each other.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt::Display;

pub use crate::context::Entries;
use crate::schema::FieldSchema;
use crate::value::{BaggageField, BaggageValue, ValueError};
use crate::{Error, KeyValues};
pub use opentelemetry as otel;
use opentelemetry::baggage::Baggage as OtelBaggage;
use opentelemetry::{KeyValue, Value};

/// Where a schema's keys go: as declared, or under the prefix given where
/// an outer schema flattens it (that prefix replaces the schema's own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remap(Option<&'static str>);

impl Remap {
    /// Keys as declared.
    pub const NONE: Remap = Remap(None);

    /// The key `key`, whose own prefix is `prefix_len` bytes long.
    #[inline(always)]
    pub fn key(self, key: &'static str, prefix_len: usize) -> Cow<'static, str> {
        match self.0 {
            None => Cow::Borrowed(key),
            Some(site) => {
                let name = key.get(prefix_len..).unwrap_or(key);
                let mut out = String::with_capacity(site.len() + name.len());
                out.push_str(site);
                out.push_str(name);
                Cow::Owned(out)
            }
        }
    }

    /// `true` if keys stay as declared.
    #[inline(always)]
    pub fn keeps_keys(self) -> bool {
        self.0.is_none()
    }

    /// The remap of a schema flattened here with `site` (the outermost
    /// prefix wins).
    #[inline]
    pub fn child(self, site: Option<&'static str>) -> Remap {
        match self.0 {
            Some(_) => self,
            None => Remap(site),
        }
    }
}

/// A field's key as generated code passes it to the helpers below: the
/// declared `&'static str` (the common case: two words in registers, and an
/// error borrows it), or, for a schema flattened under a prefix, a
/// reference to the key rebuilt under that prefix (an error copies it).
pub trait FieldKey: Copy {
    /// The key's text, to look up.
    fn text(&self) -> &str;
    /// The key, to name in an error.
    fn to_key(self) -> Cow<'static, str>;
}

impl FieldKey for &'static str {
    #[inline(always)]
    fn text(&self) -> &str {
        self
    }
    #[inline]
    fn to_key(self) -> Cow<'static, str> {
        Cow::Borrowed(self)
    }
}

impl FieldKey for &Cow<'static, str> {
    #[inline(always)]
    fn text(&self) -> &str {
        self
    }
    #[inline]
    fn to_key(self) -> Cow<'static, str> {
        self.clone()
    }
}

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

/// The most fields [`decode_baggage`] reads in one pass over the baggage.
const SCAN_SLOTS: usize = 32;

/// Reads `T` from a baggage.
///
/// Each field can be looked up in the baggage's hash map (a SipHash of the
/// key: about 107 instructions a field, measured with callgrind), or the
/// baggage's entries walked once and matched to fields through a small
/// table of the schema's keys (about 51 instructions an entry, and 191 to
/// set the table up). The walk is cheaper when `entries + 4 <= 2 × fields`,
/// as when a schema is most of the baggage; never for a schema of 2 fields
/// or fewer, which always looks up (the choice then folds away at compile
/// time).
///
/// The choice is inlined into the caller, and with it the direct lookups;
/// the walk is a function of its own, so that its tables do not weigh on
/// the caller's frame.
#[inline]
pub fn decode_baggage<T: crate::Baggage>(baggage: &OtelBaggage) -> Result<T, Error> {
    let fields = T::SCHEMA.fields.len();
    if fields <= 2 || fields > SCAN_SLOTS || baggage.len() + 4 > 2 * fields {
        T::__decode(baggage, Remap::NONE)
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
        Remap::NONE,
    )
}

/// The number of buckets of a [`KeyTable`]: a power of two, at least twice
/// [`SCAN_SLOTS`], so that probes are short and always end.
const BUCKETS: usize = 64;

/// An open-addressing table from a schema's keys to their field indexes.
struct KeyTable {
    fields: &'static [FieldSchema],
    prints: [u32; SCAN_SLOTS],
    /// Field index + 1; 0 is an empty bucket.
    buckets: [u8; BUCKETS],
}

impl KeyTable {
    fn new(fields: &'static [FieldSchema]) -> Self {
        let mut table = KeyTable {
            fields,
            prints: [0; SCAN_SLOTS],
            buckets: [0; BUCKETS],
        };
        for (i, (print, f)) in table.prints.iter_mut().zip(fields).enumerate() {
            *print = fingerprint(f.key);
            let mut b = bucket(*print);
            while table.buckets.get(b).is_some_and(|&taken| taken != 0) {
                b = (b + 1) % BUCKETS;
            }
            if let Some(empty) = table.buckets.get_mut(b) {
                // `i` < SCAN_SLOTS, which fits in a `u8`.
                *empty = i as u8 + 1;
            }
        }
        table
    }

    /// The index of the field whose key is `key`.
    #[inline]
    fn find(&self, key: &str) -> Option<usize> {
        let print = fingerprint(key);
        let mut b = bucket(print);
        loop {
            let i = usize::from(*self.buckets.get(b)?).checked_sub(1)?;
            if self.prints.get(i) == Some(&print) && self.fields.get(i)?.key == key {
                return Some(i);
            }
            b = (b + 1) % BUCKETS;
        }
    }
}

/// The length of `key` and three of its bytes, which tell most keys of a
/// schema apart (they often share a prefix) before comparing them whole.
#[inline]
fn fingerprint(key: &str) -> u32 {
    let bytes = key.as_bytes();
    let n = bytes.len();
    let at = |i: usize| u32::from(bytes.get(i).copied().unwrap_or(0));
    (n.min(255) as u32) | at(n.wrapping_sub(1)) << 8 | at(n / 2) << 16 | at(n / 4) << 24
}

/// The bucket of a fingerprint (Fibonacci hashing: the top bits of a
/// multiplication).
#[inline]
fn bucket(print: u32) -> usize {
    (print.wrapping_mul(0x9E37_79B9) >> (32 - BUCKETS.trailing_zeros())) as usize
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

/// The text of `key`, if present.
#[inline]
pub fn lookup<'b, L: Lookup + ?Sized>(baggage: &'b L, key: &str) -> Option<&'b str> {
    baggage.lookup(key)
}

/// Decodes a plain field: required, `Option`, or defaulted when `default` is given.
#[inline]
pub fn decode_field<F: BaggageField, L: Lookup + ?Sized, K: FieldKey>(
    baggage: &L,
    key: K,
    default: Option<fn() -> F>,
) -> Result<F, Error> {
    let expected = <F::Value as BaggageValue>::EXPECTED;
    match lookup(baggage, key.text()) {
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
pub fn decode_codec<T, E: Display, L: Lookup + ?Sized, K: FieldKey>(
    baggage: &L,
    key: K,
    expected: &'static str,
    decode: impl FnOnce(&str) -> Result<T, E>,
) -> Result<Option<T>, Error> {
    match lookup(baggage, key.text()) {
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

/// Requires a codec field's value.
#[inline]
pub fn require<T, K: FieldKey>(
    value: Result<Option<T>, Error>,
    key: K,
    expected: &'static str,
) -> Result<T, Error> {
    value.and_then(|v| v.ok_or_else(|| missing(key.to_key(), expected)))
}

/// Collects the errors of the fields that failed.
#[cold]
pub fn collect_errors(errors: impl IntoIterator<Item = Option<Error>>) -> Error {
    match Error::combine(errors.into_iter().flatten()) {
        Err(e) => e,
        // Only called when at least one field failed.
        Ok(()) => Error::Multiple(Vec::new()),
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

/// Reads one entry value as a field's typed attribute; see
/// `Baggage::__attributes`.
pub type AttributeFn = fn(&str) -> Result<Value, ValueError>;

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

/// Compile-time check that a field type is a baggage field (the error points at the type).
pub const fn assert_field<F: BaggageField>() {}

/// Compile-time check that a `flatten` field type is a schema.
pub const fn assert_baggage<T: crate::Baggage>() {}

/// Compile-time check that a `max_len` field type has a length.
pub const fn assert_len_bounded<T: LenBounded>() {}

/// Compile-time check that a `max_item_len` field type is a list of strings.
pub const fn assert_item_len_bounded<T: ItemLenBounded>() {}

/// A field type that `#[baggage(max_len = N)]` can bound.
#[diagnostic::on_unimplemented(
    message = "`max_len` bounds a `String` (characters) or a `Vec` (elements), not `{Self}`",
    label = "has no length to bound",
    note = "remove `max_len`, or use it on a `String`, `Vec<T>` or an `Option` of one; integers, floats, bools, chars and enums are bounded already"
)]
pub trait LenBounded {
    /// `true` if the length is in characters (a string), `false` in elements.
    const CHARS: bool;
    /// For a list, the bound of one element (as in a list), if bounded.
    const ITEM_IN_LIST: Option<usize>;
    /// The length, `None` for an absent `Option`.
    fn bounded_len(&self) -> Option<usize>;
}

impl LenBounded for String {
    const CHARS: bool = true;
    const ITEM_IN_LIST: Option<usize> = None;
    #[inline]
    fn bounded_len(&self) -> Option<usize> {
        Some(self.chars().count())
    }
}

impl<T: BaggageValue> LenBounded for Vec<T> {
    const CHARS: bool = false;
    const ITEM_IN_LIST: Option<usize> = T::MAX_WIRE_LEN_IN_LIST;
    #[inline]
    fn bounded_len(&self) -> Option<usize> {
        Some(self.len())
    }
}

impl<T: LenBounded> LenBounded for Option<T> {
    const CHARS: bool = T::CHARS;
    const ITEM_IN_LIST: Option<usize> = T::ITEM_IN_LIST;
    #[inline]
    fn bounded_len(&self) -> Option<usize> {
        self.as_ref().and_then(T::bounded_len)
    }
}

/// A field type that `#[baggage(max_item_len = N)]` can bound: a list of strings.
#[diagnostic::on_unimplemented(
    message = "`max_item_len` bounds the strings of a `Vec<String>`, not `{Self}`",
    label = "not a list of strings",
    note = "use `max_len` for the length of a `String` or the number of elements of a `Vec`"
)]
pub trait ItemLenBounded {
    /// The first element longer than `max` characters: (index, length).
    fn first_over(&self, max: usize) -> Option<(usize, usize)>;
}

impl ItemLenBounded for Vec<String> {
    fn first_over(&self, max: usize) -> Option<(usize, usize)> {
        self.iter()
            .map(|s| s.chars().count())
            .enumerate()
            .find(|&(_, n)| n > max)
    }
}

impl<T: ItemLenBounded> ItemLenBounded for Option<T> {
    fn first_over(&self, max: usize) -> Option<(usize, usize)> {
        self.as_ref().and_then(|v| v.first_over(max))
    }
}

/// Checks a bounded field: `max_len` (if given) then `max_item_len` (if given).
pub fn check_len<F: LenBounded, K: FieldKey>(
    key: K,
    value: &F,
    max_len: Option<usize>,
) -> Result<(), Error> {
    if let (Some(max), Some(found)) = (max_len, value.bounded_len()) {
        if found > max {
            return Err(Error::TooLong {
                key: key.to_key(),
                max,
                found,
                unit: Cow::Borrowed(if F::CHARS { "characters" } else { "elements" }),
            });
        }
    }
    Ok(())
}

/// Checks the elements of a `max_item_len` field.
pub fn check_item_len<F: ItemLenBounded, K: FieldKey>(
    key: K,
    value: &F,
    max: usize,
) -> Result<(), Error> {
    match value.first_over(max) {
        Some((index, found)) => Err(Error::TooLong {
            key: key.to_key(),
            max,
            found,
            unit: Cow::Owned(format!("characters in element {index}")),
        }),
        None => Ok(()),
    }
}

/// The wire bound of a `max_len` field: `chars` and `item_in_list` from its
/// [`LenBounded`] impl, `max_item_len` the element bound of a list of strings.
pub const fn len_bound(
    chars: bool,
    item_in_list: Option<usize>,
    max_len: usize,
    max_item_len: Option<usize>,
) -> Option<usize> {
    use crate::value::MAX_CHAR_WIRE_LEN;
    if chars {
        return Some(max_len.saturating_mul(MAX_CHAR_WIRE_LEN));
    }
    let item = match (max_item_len, item_in_list) {
        (Some(chars), _) => chars.saturating_mul(MAX_CHAR_WIRE_LEN),
        (None, Some(item)) => item,
        (None, None) => return None,
    };
    if max_len == 0 {
        return Some(0);
    }
    // n elements and n - 1 commas, each `%2C` on the wire; one empty
    // element is written `%00`, `%2500` on the wire.
    let list = max_len
        .saturating_mul(item)
        .saturating_add((max_len - 1).saturating_mul(3));
    Some(if list < 5 { 5 } else { list })
}

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

/// The error of a schema in which two fields (through `flatten`) share a
/// key, or an empty message.
pub const fn duplicate_message(schema: &crate::Schema) -> Message {
    let signed = signed_flattened_message(schema);
    if !signed.is_empty() {
        return signed;
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

/// The error of a schema that flattens a signed one, or an empty message.
pub const fn signed_flattened_message(schema: &crate::Schema) -> Message {
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
