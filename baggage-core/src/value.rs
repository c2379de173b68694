//! Value codecs: how one Rust value becomes one baggage entry value and back.

use std::borrow::Cow;
use std::fmt;

use opentelemetry::{Array, StringValue, Value};

use crate::error::{excerpt, Error};
use crate::schema::{Cardinality, Format};

/// A type whose values can be the value of one baggage entry.
///
/// `encode` writes the entry value (before the wire's percent-encoding,
/// which the propagator adds); `decode` reads it back. For every value `v`,
/// `decode(encode(v)) == v`: types whose values cannot all round-trip are not
/// implemented (there is no impl for `Option<Option<T>>` or `Vec<Option<T>>`,
/// whose `None`s could not be told apart).
///
/// Implemented for every integer type, `f32`, `f64`, `bool`, `char`,
/// `String`, `Vec<T>` and fieldless enums that `#[derive(Baggage)]`.
/// `Option<T>` is a [`BaggageField`]: `None` is an absent key.
///
/// ```
/// use typed_baggage::BaggageValue;
///
/// let mut out = String::new();
/// vec!["a,b".to_string(), "".into(), "100%".into()].encode(&mut out);
/// assert_eq!(out, "a%2Cb,,100%25");
/// assert_eq!(Vec::<String>::decode(&out).unwrap(), ["a,b", "", "100%"]);
/// assert_eq!(bool::decode("True").unwrap(), true); // Python writes `True`
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be carried in baggage",
    label = "not a baggage value type",
    note = "baggage values are integers, f32, f64, bool, char, String, Vec<T> and fieldless enums that #[derive(Baggage)]",
    note = "`Option` is allowed only as the outermost type of a field (None is an absent key), so `Option<Option<T>>` and `Vec<Option<T>>` cannot round-trip",
    note = "for a `FromStr + Display` type add `#[baggage(from_str)]` to the field; for your own codec, `#[baggage(with = module)]`"
)]
pub trait BaggageValue: Sized {
    /// What a valid entry value looks like, in words, for errors and the schema
    /// (`"an unsigned 64-bit integer (u64)"`).
    const EXPECTED: &'static str;

    /// How many distinct values the type has, for metric-label guards and the schema.
    const CARDINALITY: Cardinality = Cardinality::High;

    /// The wire format of the type's values, as data (for comparing what
    /// one service writes with what another reads). The default,
    /// [`Format::Custom`], names the format only by
    /// [`EXPECTED`](Self::EXPECTED).
    const FORMAT: Format = Format::Custom {
        expected: Self::EXPECTED,
    };

    /// [`FORMAT`](Self::FORMAT), as the `'static` reference a
    /// [`FieldSchema`](crate::schema::FieldSchema) holds (for generated code).
    #[doc(hidden)]
    const __WIRE: &'static Format = &Self::FORMAT;

    /// The most bytes one value of the type takes as an entry value on the
    /// wire (after `encode` and the wire's percent-encoding), if the type is
    /// bounded (`None`, the default, for `String`, `Vec` and other
    /// unbounded types). `#[derive(Baggage)]` adds these up into
    /// [`Baggage::MAX_ENCODED_LEN`](crate::Baggage::MAX_ENCODED_LEN).
    ///
    /// ```
    /// use typed_baggage::BaggageValue;
    /// assert_eq!(u64::MAX_WIRE_LEN, Some(20)); // 18446744073709551615
    /// assert_eq!(i8::MAX_WIRE_LEN, Some(4)); // -128
    /// assert_eq!(String::MAX_WIRE_LEN, None);
    /// ```
    const MAX_WIRE_LEN: Option<usize> = None;

    /// The same bound for a value that is an element of a `Vec`, where `%`
    /// and `,` are escaped once more before the wire's percent-encoding
    /// (`None` if unbounded, the default).
    const MAX_WIRE_LEN_IN_LIST: Option<usize> = None;

    /// Appends the entry value of `self` to `out`.
    fn encode(&self, out: &mut String);

    /// A speed hook, not for users: the entry value of `self` when it is a
    /// constant string (`bool`, a derived enum's variants), so that writing
    /// it allocates nothing. `None`, the default, means: call
    /// [`encode`](Self::encode). When it returns `Some(text)`, `encode`
    /// appends exactly `text`.
    #[doc(hidden)]
    #[inline]
    fn encode_static(&self) -> Option<&'static str> {
        None
    }

    /// A speed hook, not for users: the entry value of `self` when `self`
    /// holds it as it is (a `String`) or it is a constant
    /// ([`encode_static`](Self::encode_static), the default), so that a list
    /// of such values is joined without a scratch buffer. When it returns
    /// `Some(text)`, `encode` appends exactly `text`.
    #[doc(hidden)]
    #[inline]
    fn encode_borrowed(&self) -> Option<&str> {
        self.encode_static()
    }

    /// A speed hook, not for users: the entry value of `self` as a `String`
    /// of its exact length, made without a scratch buffer (an integer's
    /// digits, a `String`'s copy), for a value written into a baggage.
    /// `None`, the default, means: call [`encode`](Self::encode). When it
    /// returns `Some(text)`, `encode` appends exactly `text`.
    #[doc(hidden)]
    #[inline]
    fn encode_owned(&self) -> Option<String> {
        None
    }

    /// Reads a value back from its entry value.
    fn decode(text: &str) -> Result<Self, ValueError>;

    /// The value as a typed OpenTelemetry attribute value (a string unless
    /// the type has a natural attribute type).
    fn to_otel_value(&self) -> Value {
        let mut s = String::new();
        self.encode(&mut s);
        Value::String(s.into())
    }
}

/// A type with a small, fixed set of values, fit to be a metric label.
///
/// `#[baggage(metric_label)]` on a field requires it: every distinct value
/// of a metric label makes a new time series, so a free `String`, an id, a
/// float or a list as a label can make millions of them. Implemented for
/// `bool`, for the fieldless enums that `#[derive(Baggage)]`, and for an
/// `Option` of one of these (absent is one more value).
///
/// Implement it for a type of your own only if its values are few (a
/// handful of regions, say). For a field whose type has many values but
/// whose actual values are few, write the reason instead:
/// `#[baggage(metric_label, allow_high_cardinality = "one of 12 data centres")]`.
///
/// ```
/// use typed_baggage::prelude::*;
/// use opentelemetry::KeyValue;
///
/// #[derive(Baggage, Clone, Copy)]
/// #[baggage(rename_all = "snake_case")]
/// enum Tier { Free, Premium }
///
/// #[derive(Baggage)]
/// #[baggage(prefix = "app.")]
/// struct UserCtx {
///     user_id: u64,
///     #[baggage(metric_label)]
///     tier: Tier,
///     #[baggage(metric_label)]
///     beta: bool,
///     #[baggage(metric_label, allow_high_cardinality = "one of 12 data centres")]
///     region: String,
/// }
///
/// let user = UserCtx { user_id: 7, tier: Tier::Premium, beta: false, region: "eu-west-1".into() };
/// let labels: Vec<KeyValue> = user.metric_attributes().collect();
/// assert_eq!(labels, [
///     KeyValue::new("app.tier", "premium"),
///     KeyValue::new("app.beta", false),
///     KeyValue::new("app.region", "eu-west-1"),
/// ]);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` can take too many values to be a metric label",
    label = "each distinct value of a metric label is a new time series",
    note = "metric labels are `bool`, fieldless enums that #[derive(Baggage)], and an `Option` of these",
    note = "if this field's values are few in practice, say why: `#[baggage(metric_label, allow_high_cardinality = \"one of 12 data centres\")]`; otherwise remove `metric_label` and record it on spans or logs instead"
)]
pub trait LowCardinality {}

impl LowCardinality for bool {}

impl<T: LowCardinality> LowCardinality for Option<T> {}

/// Why one entry value did not decode; [`BaggageValue::decode`] returns it,
/// and typed-baggage adds the key to make an [`Error`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    out_of_range: bool,
    found: String,
    detail: Option<String>,
}

impl ValueError {
    /// The text is not a value of the type.
    ///
    /// ```
    /// use typed_baggage::ValueError;
    /// let e = ValueError::invalid("blue").with_detail("not a colour we know");
    /// assert_eq!(e.to_string(), "invalid value \"blue\": not a colour we know");
    /// ```
    pub fn invalid(found: &str) -> Self {
        ValueError {
            out_of_range: false,
            found: excerpt(found),
            detail: None,
        }
    }

    /// The text is a number that does not fit the type.
    pub fn out_of_range(found: &str) -> Self {
        ValueError {
            out_of_range: true,
            found: excerpt(found),
            detail: None,
        }
    }

    /// Adds why, in words.
    ///
    /// A codec's error text may quote the hostile input it was given
    /// (`unknown plan {s}`), so the detail is treated like the value found:
    /// cut to at most [`DETAIL_EXCERPT_BYTES`](crate::DETAIL_EXCERPT_BYTES)
    /// bytes (marked `…`) with every control or bidirectional-format
    /// character escaped (`\r`, `\n`, `\u{1b}`, `\u{202e}`), so that it can be
    /// logged, returned in a response body or printed safely.
    ///
    /// ```
    /// use typed_baggage::ValueError;
    /// let e = ValueError::invalid("x").with_detail("unknown plan x\r\nX-Admin: 1\u{1b}[2J");
    /// assert_eq!(e.detail(), Some("unknown plan x\\r\\nX-Admin: 1\\u{1b}[2J"));
    /// let long = ValueError::invalid("x").with_detail("y".repeat(5000));
    /// assert!(long.detail().unwrap().len() <= typed_baggage::DETAIL_EXCERPT_BYTES + '…'.len_utf8());
    /// ```
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(crate::error::sanitize_detail(&detail.into()));
        self
    }

    /// The value found (cut to [`FOUND_EXCERPT_BYTES`](crate::FOUND_EXCERPT_BYTES) bytes).
    pub fn found(&self) -> &str {
        &self.found
    }

    /// Why, where more can be said.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// `true` if the value was out of range rather than malformed.
    pub fn is_out_of_range(&self) -> bool {
        self.out_of_range
    }

    /// Attaches the key and the expectation to make an [`Error`].
    pub fn at(
        self,
        key: impl Into<Cow<'static, str>>,
        expected: impl Into<Cow<'static, str>>,
    ) -> Error {
        let (key, expected) = (key.into(), expected.into());
        if self.out_of_range {
            Error::OutOfRange {
                key,
                expected,
                found: self.found,
            }
        } else {
            Error::Invalid {
                key,
                expected,
                found: self.found,
                detail: self.detail,
            }
        }
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.out_of_range {
            "out of range"
        } else {
            "invalid value"
        };
        write!(f, "{what} {:?}", self.found)?;
        if let Some(d) = &self.detail {
            write!(f, ": {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValueError {}

/// A type that can be the type of a `#[derive(Baggage)]` field: a
/// [`BaggageValue`] (a required key) or an `Option` of one (an optional key,
/// absent for `None`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a supported baggage field type",
    label = "this type cannot be carried in baggage",
    note = "supported: integers, f32, f64, bool, char, String, Vec<T>, fieldless enums that #[derive(Baggage)], and an `Option` of one of these (not `Option<Option<T>>`: `None` and `Some(None)` would both be an absent key)",
    note = "for a `FromStr + Display` type add `#[baggage(from_str)]` to the field; for your own codec, `#[baggage(with = module)]`"
)]
pub trait BaggageField: Sized {
    /// The value type inside.
    type Value: BaggageValue;

    /// `false` for `Option<T>`: the key may be absent.
    const REQUIRED: bool;

    /// The value to write, or `None` to leave the key out.
    fn value(&self) -> Option<&Self::Value>;

    /// Builds the field from the value read, or `None` from an absent key.
    /// Returns `None` when the key is required and absent.
    fn from_value(value: Option<Self::Value>) -> Option<Self>;
}

impl<T: BaggageValue> BaggageField for T {
    type Value = T;
    const REQUIRED: bool = true;

    #[inline]
    fn value(&self) -> Option<&T> {
        Some(self)
    }

    #[inline]
    fn from_value(value: Option<T>) -> Option<T> {
        value
    }
}

impl<T: BaggageValue> BaggageField for Option<T> {
    type Value = T;
    const REQUIRED: bool = false;

    #[inline]
    fn value(&self) -> Option<&T> {
        self.as_ref()
    }

    #[inline]
    fn from_value(value: Option<T>) -> Option<Option<T>> {
        Some(value)
    }
}

/// Why `text` is not an integer of the type (kept out of the decoding path).
#[cold]
fn int_error(text: &str, kind: &std::num::IntErrorKind, signed: bool) -> ValueError {
    use std::num::IntErrorKind;
    match kind {
        IntErrorKind::PosOverflow | IntErrorKind::NegOverflow => ValueError::out_of_range(text),
        IntErrorKind::InvalidDigit
            if !signed
                && text.len() > 1
                && text.starts_with('-')
                && text.bytes().skip(1).all(|b| b.is_ascii_digit()) =>
        {
            ValueError::out_of_range(text).with_detail("negative")
        }
        IntErrorKind::Empty => ValueError::invalid(text).with_detail("empty"),
        _ => ValueError::invalid(text).with_detail("not a decimal integer"),
    }
}

/// The number of decimal digits of `n`.
const fn decimal_len(mut n: u128) -> usize {
    let mut len = 1;
    while n >= 10 {
        n /= 10;
        len += 1;
    }
    len
}

use crate::limits::MAX_CHAR_WIRE_LEN;

macro_rules! integers {
    ($($t:ty, $signed:literal, $expected:literal;)*) => {$(
        impl BaggageValue for $t {
            const EXPECTED: &'static str = $expected;
            const FORMAT: Format = Format::Integer {
                min: <$t>::MIN as i128,
                max: <$t>::MAX as u128,
            };
            // Digits and `-` are written as themselves, in a list too.
            const MAX_WIRE_LEN: Option<usize> = Some(if $signed {
                1 + decimal_len((<$t>::MIN as i128).unsigned_abs())
            } else {
                decimal_len(<$t>::MAX as u128)
            });
            const MAX_WIRE_LEN_IN_LIST: Option<usize> = Self::MAX_WIRE_LEN;

            #[inline]
            fn encode(&self, out: &mut String) {
                out.push_str(itoa::Buffer::new().format(*self));
            }

            #[inline]
            fn encode_owned(&self) -> Option<String> {
                Some(itoa::Buffer::new().format(*self).to_owned())
            }

            #[inline]
            fn decode(text: &str) -> Result<Self, ValueError> {
                text.parse::<$t>().map_err(|e| int_error(text, e.kind(), $signed))
            }

            #[allow(irrefutable_let_patterns)]
            fn to_otel_value(&self) -> Value {
                match i64::try_from(*self) {
                    Ok(v) => Value::I64(v),
                    Err(_) => Value::String(self.to_string().into()),
                }
            }
        }
    )*};
}

integers! {
    u8, false, "an unsigned 8-bit integer (u8)";
    u16, false, "an unsigned 16-bit integer (u16)";
    u32, false, "an unsigned 32-bit integer (u32)";
    u64, false, "an unsigned 64-bit integer (u64)";
    u128, false, "an unsigned 128-bit integer (u128)";
    usize, false, "an unsigned pointer-sized integer (usize)";
    i8, true, "a signed 8-bit integer (i8)";
    i16, true, "a signed 16-bit integer (i16)";
    i32, true, "a signed 32-bit integer (i32)";
    i64, true, "a signed 64-bit integer (i64)";
    i128, true, "a signed 128-bit integer (i128)";
    isize, true, "a signed pointer-sized integer (isize)";
}

macro_rules! floats {
    ($($t:ty, $bits:literal, $max:literal, $expected:literal;)*) => {$(
        impl BaggageValue for $t {
            const EXPECTED: &'static str = $expected;
            const FORMAT: Format = Format::Float { bits: $bits };
            // ryu's longest output (digits, `-`, `.`, `e`: all written as
            // themselves), such as `-0.000012345678901234567` for f64.
            const MAX_WIRE_LEN: Option<usize> = Some($max);
            const MAX_WIRE_LEN_IN_LIST: Option<usize> = Some($max);

            #[inline]
            fn encode(&self, out: &mut String) {
                // Shortest text that parses back to the same value: `0.1`,
                // `1e300`, `-0.0`, `NaN`, `inf`, `-inf`.
                out.push_str(ryu::Buffer::new().format(*self));
            }

            fn decode(text: &str) -> Result<Self, ValueError> {
                match text.parse::<$t>() {
                    Ok(v) if v.is_infinite() && !names_infinity(text) => {
                        Err(ValueError::out_of_range(text))
                    }
                    Ok(v) => Ok(v),
                    Err(_) => Err(ValueError::invalid(text).with_detail("not a decimal number")),
                }
            }

            fn to_otel_value(&self) -> Value {
                // The `f64` that the shortest text names, so that an `f32`
                // 0.1 is the attribute 0.1, not 0.10000000149011612.
                let mut buffer = ryu::Buffer::new();
                let text = buffer.format(*self);
                Value::F64(text.parse::<f64>().unwrap_or(f64::NAN))
            }
        }
    )*};
}

floats! {
    f32, 32, 16, "a 32-bit float (f32)";
    f64, 64, 24, "a 64-bit float (f64)";
}

/// `inf`, `+infinity`, `-Inf`...: an infinity written as such, not a number
/// too large for the type.
fn names_infinity(text: &str) -> bool {
    let t = text.strip_prefix(['+', '-']).unwrap_or(text);
    t.eq_ignore_ascii_case("inf") || t.eq_ignore_ascii_case("infinity")
}

impl BaggageValue for bool {
    const EXPECTED: &'static str = "a boolean (`true` or `false`, any letter case)";
    const FORMAT: Format = Format::Bool;
    const CARDINALITY: Cardinality = Cardinality::Low;
    const MAX_WIRE_LEN: Option<usize> = Some(5);
    const MAX_WIRE_LEN_IN_LIST: Option<usize> = Some(5);

    #[inline]
    fn encode(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }

    #[inline]
    fn encode_static(&self) -> Option<&'static str> {
        Some(if *self { "true" } else { "false" })
    }

    #[inline]
    fn decode(text: &str) -> Result<Self, ValueError> {
        match text {
            "true" => Ok(true),
            "false" => Ok(false),
            _ if text.eq_ignore_ascii_case("true") => Ok(true),
            _ if text.eq_ignore_ascii_case("false") => Ok(false),
            _ => Err(ValueError::invalid(text)),
        }
    }

    fn to_otel_value(&self) -> Value {
        Value::Bool(*self)
    }
}

impl BaggageValue for char {
    const EXPECTED: &'static str = "exactly one character (char)";
    const FORMAT: Format = Format::Char;
    const MAX_WIRE_LEN: Option<usize> = Some(MAX_CHAR_WIRE_LEN);
    const MAX_WIRE_LEN_IN_LIST: Option<usize> = Some(MAX_CHAR_WIRE_LEN);

    fn encode(&self, out: &mut String) {
        out.push(*self);
    }

    fn decode(text: &str) -> Result<Self, ValueError> {
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => Ok(c),
            _ => Err(ValueError::invalid(text)),
        }
    }
}

impl BaggageValue for String {
    const EXPECTED: &'static str = "any text (String)";
    const FORMAT: Format = Format::Text;

    #[inline]
    fn encode(&self, out: &mut String) {
        out.push_str(self);
    }

    #[inline]
    fn encode_borrowed(&self) -> Option<&str> {
        Some(self)
    }

    #[inline]
    fn encode_owned(&self) -> Option<String> {
        Some(self.clone())
    }

    #[inline]
    fn decode(text: &str) -> Result<Self, ValueError> {
        Ok(text.to_owned())
    }

    fn to_otel_value(&self) -> Value {
        Value::String(self.clone().into())
    }
}

/// How `vec![""]` is written: `""` alone means the empty vector, the
/// encoding peers use too (`",".join([])` in Python).
const ONE_EMPTY_ELEMENT: &str = "%00";

/// `true` if a list element's text must be escaped: it holds a `,` or a `%`.
#[inline]
fn needs_escape(element: &str) -> bool {
    crate::wire::contains_either(element, b',', b'%')
}

/// `Vec<T>`: elements joined with `,`; in each element `%` is written `%25`
/// and `,` is written `%2C`, so any element round-trips. The empty vector is
/// the empty text and a vector of one empty element is `%00`.
impl<T: BaggageValue> BaggageValue for Vec<T> {
    const EXPECTED: &'static str = "a comma-separated list";
    const FORMAT: Format = Format::List {
        element: &T::FORMAT,
    };

    fn encode(&self, out: &mut String) {
        let mut last_empty = false;
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            // Each element is written in place and escaped only if it holds
            // a `,` or a `%`: no allocation for the usual element.
            let start = out.len();
            item.encode(out);
            let written = out.get(start..).unwrap_or_default();
            if needs_escape(written) {
                let element = out.split_off(start);
                escape_element(&element, out);
            }
            last_empty = out.len() == start;
        }
        if self.len() == 1 && last_empty {
            out.push_str(ONE_EMPTY_ELEMENT);
        }
    }

    /// Elements whose text is at hand (strings, constants) and needs no
    /// escape are joined in one allocation of the exact size; any other
    /// list is written by [`encode`](Self::encode).
    fn encode_owned(&self) -> Option<String> {
        let mut len = self.len().saturating_sub(1);
        for item in self {
            let text = item.encode_borrowed()?;
            if needs_escape(text) {
                return None;
            }
            len += text.len();
        }
        if self.len() == 1 && len == 0 {
            return None; // one empty element: `ONE_EMPTY_ELEMENT`
        }
        let mut out = String::with_capacity(len);
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(item.encode_borrowed()?);
        }
        Some(out)
    }

    fn decode(text: &str) -> Result<Self, ValueError> {
        if text.is_empty() {
            return Ok(Vec::new());
        }
        if text == ONE_EMPTY_ELEMENT {
            return T::decode("")
                .map(|v| vec![v])
                .map_err(|e| element_error(text, 0, e));
        }
        // Without a `%` anywhere, no element has an escape to undo. (Eight
        // bytes a step: for the short texts of baggage that beats both a
        // byte loop and `memchr`'s setup.)
        let escaped = crate::wire::find_byte(text.as_bytes(), b'%').is_some();
        // Room for the first elements up front, as `collect` makes, rather
        // than through `push`'s out-of-line growth. (Counting the commas to
        // size it exactly costs more than it saves.)
        let mut items = Vec::with_capacity(FIRST_CAPACITY);
        for (i, part) in crate::wire::split_byte(text, b',').enumerate() {
            let item = if escaped {
                let raw = unescape_element(part).map_err(|d| {
                    ValueError::invalid(text).with_detail(format!("element {i}: {d}"))
                })?;
                T::decode(&raw)
            } else {
                T::decode(part)
            };
            items.push(item.map_err(|e| element_error(text, i, e))?);
        }
        Ok(items)
    }

    fn to_otel_value(&self) -> Value {
        let items: Vec<StringValue> = self
            .iter()
            .map(|v| {
                let mut s = String::new();
                v.encode(&mut s);
                StringValue::from(s)
            })
            .collect();
        Value::Array(Array::String(items))
    }
}

/// The elements a list decoder makes room for before it reads them: the
/// first capacity `Vec`'s `collect` gives (for elements of up to 1 KiB).
const FIRST_CAPACITY: usize = 4;

fn element_error(text: &str, index: usize, e: ValueError) -> ValueError {
    let base = if e.is_out_of_range() {
        ValueError::out_of_range(text)
    } else {
        ValueError::invalid(text)
    };
    base.with_detail(format!("element {index}: {e}"))
}

fn escape_element(element: &str, out: &mut String) {
    let mut start = 0;
    for (i, b) in element.bytes().enumerate() {
        let esc = match b {
            b'%' => "%25",
            b',' => "%2C",
            _ => continue,
        };
        out.push_str(element.get(start..i).unwrap_or_default());
        out.push_str(esc);
        start = i + 1;
    }
    out.push_str(element.get(start..).unwrap_or_default());
}

fn unescape_element(part: &str) -> Result<Cow<'_, str>, &'static str> {
    if !part.contains('%') {
        return Ok(Cow::Borrowed(part));
    }
    let mut out = String::with_capacity(part.len());
    let mut rest = part;
    while let Some(pos) = rest.find('%') {
        out.push_str(rest.get(..pos).unwrap_or_default());
        let after = rest.get(pos + 1..).unwrap_or_default();
        let (ch, len) = match after.get(..2) {
            Some("25") => ('%', 2),
            Some("2C" | "2c") => (',', 2),
            _ => return Err("`%` must be followed by 25 or 2C"),
        };
        out.push(ch);
        rest = after.get(len..).unwrap_or_default();
    }
    out.push_str(rest);
    Ok(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc<T: BaggageValue>(v: &T) -> String {
        let mut s = String::new();
        v.encode(&mut s);
        s
    }

    #[test]
    fn integer_widths_on_the_wire() {
        assert_eq!(u8::MAX_WIRE_LEN, Some(3));
        assert_eq!(u16::MAX_WIRE_LEN, Some(5));
        assert_eq!(u64::MAX_WIRE_LEN, Some(20));
        assert_eq!(u128::MAX_WIRE_LEN, Some(39));
        assert_eq!(i8::MAX_WIRE_LEN, Some(4));
        assert_eq!(i64::MAX_WIRE_LEN, Some(20));
        assert_eq!(i128::MAX_WIRE_LEN, Some(40));
        assert_eq!(decimal_len(0), 1);
        assert_eq!(decimal_len(9), 1);
        assert_eq!(decimal_len(10), 2);
        assert_eq!(decimal_len(99), 2);
        assert_eq!(decimal_len(100), 3);
    }

    #[test]
    fn a_lone_minus_is_not_a_negative_number() {
        let e = u8::decode("-").unwrap_err();
        assert!(!e.is_out_of_range());
        assert_eq!(e.detail(), Some("not a decimal integer"));
        assert_eq!(u8::decode("-5").unwrap_err().detail(), Some("negative"));
        assert_eq!(u8::decode("").unwrap_err().detail(), Some("empty"));
    }

    #[test]
    fn fields_and_optional_fields() {
        assert_eq!(<u8 as BaggageField>::value(&5), Some(&5));
        assert_eq!(<u8 as BaggageField>::from_value(Some(5)), Some(5));
        assert_eq!(<u8 as BaggageField>::from_value(None), None);
        assert_eq!(<Option<u8> as BaggageField>::value(&Some(5)), Some(&5));
        assert_eq!(<Option<u8> as BaggageField>::value(&None), None);
        assert_eq!(
            <Option<u8> as BaggageField>::from_value(Some(5)),
            Some(Some(5))
        );
        assert_eq!(<Option<u8> as BaggageField>::from_value(None), Some(None));
        const { assert!(<u8 as BaggageField>::REQUIRED) };
        const { assert!(!<Option<u8> as BaggageField>::REQUIRED) };
    }

    #[test]
    fn chars_round_trip() {
        for c in ['a', '\u{e9}', '\u{1f600}', ',', '%'] {
            assert_eq!(enc(&c), c.to_string());
            assert_eq!(char::decode(&enc(&c)), Ok(c));
        }
    }

    #[test]
    fn integers_decimal_and_range_errors() {
        assert_eq!(enc(&-7i32), "-7");
        assert_eq!(u8::decode("255"), Ok(255));
        assert!(u8::decode("256").unwrap_err().is_out_of_range());
        assert!(u8::decode("-1").unwrap_err().is_out_of_range());
        assert!(i8::decode("-129").unwrap_err().is_out_of_range());
        assert!(!u8::decode("1.5").unwrap_err().is_out_of_range());
        assert_eq!(u8::decode("").unwrap_err().detail(), Some("empty"));
        assert_eq!(enc(&u128::MAX), u128::MAX.to_string());
        assert_eq!(i128::decode(&i128::MIN.to_string()), Ok(i128::MIN));
    }

    #[test]
    fn floats_shortest_and_special() {
        assert_eq!(enc(&0.1f64), "0.1");
        assert_eq!(enc(&1e300f64), "1e300");
        assert_eq!(enc(&f64::INFINITY), "inf");
        assert_eq!(enc(&f64::NEG_INFINITY), "-inf");
        assert_eq!(enc(&f64::NAN), "NaN");
        assert!(f64::decode("NaN").unwrap().is_nan());
        assert!(f64::decode("nan").unwrap().is_nan());
        assert_eq!(f64::decode("1e+300"), Ok(1e300)); // Python's str(1e300)
        assert_eq!(
            f64::decode("-0.0").map(f64::to_bits),
            Ok((-0.0f64).to_bits())
        );
        assert!(f32::decode("1e39").unwrap_err().is_out_of_range());
        assert_eq!(f32::decode("-inf"), Ok(f32::NEG_INFINITY));
        assert!(f64::decode("0x10").is_err());
    }

    #[test]
    fn bool_any_case() {
        assert_eq!(bool::decode("TRUE"), Ok(true));
        assert_eq!(bool::decode("False"), Ok(false));
        assert!(bool::decode("1").is_err());
        assert!(bool::decode("yes").is_err());
    }

    #[test]
    fn static_encodings_are_what_encode_writes() {
        for b in [true, false] {
            assert_eq!(b.encode_static(), Some(enc(&b).as_str()));
        }
        assert_eq!(5u8.encode_static(), None);
        assert_eq!(String::from("x").encode_static(), None);
        assert_eq!(vec![true].encode_static(), None);
    }

    /// `encode_owned`, where a type has it, is what `encode` writes, at its
    /// exact length (so that OpenTelemetry's `Box<str>` takes it without a
    /// copy); elsewhere it is `None`, and `encode` is used.
    #[test]
    fn owned_encodings_are_what_encode_writes_at_their_exact_length() {
        fn check<T: BaggageValue>(value: T) {
            let owned = value.encode_owned().expect("an owned encoding");
            assert_eq!(owned, enc(&value));
            assert_eq!(owned.capacity(), owned.len(), "{owned:?}");
        }
        for n in [0u64, 7, 10, 12_345_678_901, u64::MAX] {
            check(n);
        }
        for n in [i64::MIN, -1, 0, 42, i64::MAX] {
            check(n);
        }
        check(u8::MAX);
        check(i8::MIN);
        check(u128::MAX);
        check(i128::MIN);
        check(usize::MAX);
        check(isize::MIN);
        for text in ["", "us-west-2", "a,b%c", "é🚀 x", &"long".repeat(100)] {
            check(text.to_owned());
            let mut spare = String::with_capacity(4 * text.len() + 8);
            spare.push_str(text);
            check(spare);
        }
        let strings = |items: &[&str]| items.iter().map(|&i| i.to_owned()).collect::<Vec<_>>();
        for list in [
            strings(&["new_checkout", "dark_mode", "beta_search"]),
            strings(&["one"]),
            strings(&["", "b", ""]),
            strings(&["é🚀", " x "]),
            strings(&[]),
        ] {
            check(list);
        }
        check(vec![true, false, true]);
        assert_eq!(true.encode_owned(), None);
        assert_eq!('x'.encode_owned(), None);
        assert_eq!(1.5f64.encode_owned(), None);
        // Escapes, the one empty element, and elements without text at
        // hand go through `encode`.
        assert_eq!(strings(&["a,b", "c"]).encode_owned(), None);
        assert_eq!(strings(&["100%"]).encode_owned(), None);
        assert_eq!(strings(&[""]).encode_owned(), None);
        assert_eq!(vec![1u8, 2].encode_owned(), None);
        assert_eq!(vec![vec![String::from("a")]].encode_owned(), None);
    }

    /// `encode_borrowed` is what `encode` writes: a `String` as it is, a
    /// constant as `encode_static` gives it, nothing for the rest.
    #[test]
    fn borrowed_encodings_are_what_encode_writes() {
        for text in ["", "us-west-2", "a,b%c"] {
            assert_eq!(String::from(text).encode_borrowed(), Some(text));
        }
        for b in [true, false] {
            assert_eq!(b.encode_borrowed(), Some(enc(&b).as_str()));
        }
        assert_eq!(5u8.encode_borrowed(), None);
        assert_eq!(vec![String::new()].encode_borrowed(), None);
    }

    #[test]
    fn char_exactly_one() {
        assert_eq!(char::decode("é"), Ok('é'));
        assert!(char::decode("").is_err());
        assert!(char::decode("ab").is_err());
    }

    #[test]
    fn lists_of_escapes_only() {
        // Texts made of escapes alone: every element is unescaped.
        assert_eq!(Vec::<String>::decode("%25").unwrap(), ["%"]);
        assert_eq!(Vec::<String>::decode("%2C%25,%25").unwrap(), [",%", "%"]);
        assert!(Vec::<String>::decode("%").is_err());
    }

    #[test]
    fn vec_edge_cases_round_trip() {
        let cases: Vec<Vec<String>> = vec![
            vec![],
            vec!["".into()],
            vec!["".into(), "".into()],
            vec!["a,b".into(), "%".into(), "%2C".into()],
            vec!["%00".into()],
            vec![",".into()],
        ];
        for v in cases {
            let e = enc(&v);
            assert_eq!(Vec::<String>::decode(&e), Ok(v.clone()), "{e}");
        }
        assert_eq!(enc(&Vec::<String>::new()), "");
        assert_eq!(enc(&vec![String::new()]), "%00");
        assert_eq!(enc(&vec![vec![String::new()]]), "%2500");
        let nested = vec![vec![], vec!["".to_string()], vec!["a,b".into(), "c".into()]];
        assert_eq!(Vec::<Vec<String>>::decode(&enc(&nested)), Ok(nested));
    }

    #[test]
    fn vec_element_errors_name_the_element() {
        let e = Vec::<u8>::decode("1,x,3").unwrap_err();
        assert_eq!(e.found(), "1,x,3");
        assert_eq!(
            e.detail(),
            Some("element 1: invalid value \"x\": not a decimal integer")
        );
        assert!(Vec::<u8>::decode("1,300").unwrap_err().is_out_of_range());
        assert!(Vec::<String>::decode("a%2").is_err());
        assert!(Vec::<String>::decode("a%41").is_err());
    }
}
