//! Length bounds: `#[baggage(max_len = N)]` and `max_item_len`, checked
//! when a value is written and read, and their wire bound.

use std::borrow::Cow;

use crate::keys::FieldKey;
use crate::value::BaggageValue;
use crate::Error;

pub use baggage_rules::size::len_bound;

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

    /// The length a value would have, counted on its entry text without
    /// decoding it, where that is cheaper than decoding (a list: its
    /// elements, from its separators), so that an over-long value is
    /// rejected before it is decoded. `None`: decode, then count.
    #[inline]
    fn len_of_text(text: &str) -> Option<usize> {
        let _ = text;
        None
    }
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

    /// The elements of a list text: none for the empty text, else one more
    /// than its separators (an element's own `,` travels escaped, `%2C`).
    #[inline]
    fn len_of_text(text: &str) -> Option<usize> {
        Some(if text.is_empty() {
            0
        } else {
            1 + text.bytes().filter(|&b| b == b',').count()
        })
    }
}

impl<T: LenBounded> LenBounded for Option<T> {
    const CHARS: bool = T::CHARS;
    const ITEM_IN_LIST: Option<usize> = T::ITEM_IN_LIST;
    #[inline]
    fn bounded_len(&self) -> Option<usize> {
        self.as_ref().and_then(T::bounded_len)
    }

    #[inline]
    fn len_of_text(text: &str) -> Option<usize> {
        T::len_of_text(text)
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
pub fn check_len<F: LenBounded, K: FieldKey + ?Sized>(
    key: &K,
    value: &F,
    max_len: Option<usize>,
) -> Result<(), Error> {
    if let (Some(max), Some(found)) = (max_len, value.bounded_len()) {
        if found > max {
            return Err(too_long::<F, K>(key, max, found));
        }
    }
    Ok(())
}

/// Checks the elements of a `max_item_len` field.
pub fn check_item_len<F: ItemLenBounded, K: FieldKey + ?Sized>(
    key: &K,
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

/// The error of a `max_len` field whose value has `found` characters or
/// elements, over `max`.
#[cold]
pub(crate) fn too_long<F: LenBounded, K: FieldKey + ?Sized>(
    key: &K,
    max: usize,
    found: usize,
) -> Error {
    Error::TooLong {
        key: key.to_key(),
        max,
        found,
        unit: Cow::Borrowed(if F::CHARS { "characters" } else { "elements" }),
    }
}
