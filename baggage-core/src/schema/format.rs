//! What an entry value looks like on the wire, as data: the format a
//! comparison between services needs (`u64` written, `u32` read; a list read
//! as a scalar; an enum variant the reader does not know).

/// The wire format of one entry value: what [`BaggageValue::FORMAT`]
/// says of a type, and [`FieldSchema::wire`](super::FieldSchema::wire) of a
/// field.
///
/// [`BaggageValue::FORMAT`]: crate::BaggageValue::FORMAT
///
/// ```
/// use typed_baggage::BaggageValue;
/// use typed_baggage::schema::Format;
///
/// assert_eq!(u8::FORMAT, Format::Integer { min: 0, max: 255 });
/// assert_eq!(Vec::<bool>::FORMAT, Format::List { element: &Format::Bool });
/// assert_eq!(String::FORMAT, Format::Text);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "kind", rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Format {
    /// `true` or `false`, any letter case.
    Bool,
    /// A decimal integer from `min` to `max` (Rust's integer syntax: an
    /// optional sign, ASCII digits, leading zeros allowed).
    Integer {
        /// The smallest value (`0` for unsigned types).
        #[cfg_attr(
            feature = "serde",
            serde(serialize_with = "super::document::decimal::serialize")
        )]
        min: i128,
        /// The largest value.
        #[cfg_attr(
            feature = "serde",
            serde(serialize_with = "super::document::decimal::serialize")
        )]
        max: u128,
    },
    /// A decimal floating-point number of `bits` bits (32 or 64), or `inf`,
    /// `-inf`, `NaN`.
    Float {
        /// 32 or 64.
        bits: u8,
    },
    /// Exactly one character.
    Char,
    /// Any text.
    Text,
    /// One of a fixed set of words (a fieldless enum), each as it is written.
    Enum {
        /// The text of each variant on the wire.
        variants: &'static [&'static str],
    },
    /// A comma-separated list; in each element `%` is written `%25` and `,`
    /// is written `%2C`.
    List {
        /// The format of each element.
        element: &'static Format,
    },
    /// A format of the type's own (`#[baggage(with = ...)]`,
    /// `#[baggage(from_str)]`, a hand-written `BaggageValue`), known only by
    /// its description.
    Custom {
        /// What a valid value looks like, in words (the type's `EXPECTED`).
        expected: &'static str,
    },
}
