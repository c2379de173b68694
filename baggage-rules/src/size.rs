//! What a value and a list-member take on the wire, and the W3C limits.
//!
//! A value is written with only the RFC 3986 unreserved bytes
//! (`A-Z a-z 0-9 - _ . ~`) raw and every other byte as `%XX`; a
//! list-member is `key=value[;properties]`, members joined with `,`. Sizes
//! are counted on that encoded form, as the W3C specification counts them,
//! and incoming headers on their bytes as they came.

/// At most this many list-members in a baggage (the W3C minimum a platform
/// must propagate, taken as the ceiling).
pub const MAX_MEMBERS: usize = 64;

/// At most this many bytes of `baggage` header (the W3C minimum a platform
/// must propagate, taken as the ceiling).
pub const MAX_BYTES: usize = 8192;

/// The most bytes one character takes in an encoded value: four UTF-8
/// bytes, each `%XX`.
pub const MAX_CHAR_WIRE_LEN: usize = 12;

/// The bytes one list element's ASCII `%` or `,` takes on the wire: it is
/// escaped as `%25` or `%2C` in the list text, whose `%` is encoded again
/// (`%2525`, `%252C`).
pub const LIST_ESCAPE_WIRE_LEN: usize = 5;

/// The bytes the `,` between two list elements takes on the wire (`%2C`).
pub const LIST_SEPARATOR_WIRE_LEN: usize = 3;

/// The smallest wire text of a list with elements: one empty element is
/// written `%00`, `%2500` on the wire.
pub const MIN_LIST_WIRE_LEN: usize = 5;

/// `true` for a byte that a value carries raw on the wire.
///
/// ```
/// use baggage_rules::size::is_unreserved;
/// assert!(is_unreserved(b'a') && is_unreserved(b'~'));
/// assert!(!is_unreserved(b' ') && !is_unreserved(b'+') && !is_unreserved(b'%'));
/// ```
#[inline]
pub const fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~')
}

/// The bytes `byte` of a value takes on the wire: 1 raw, 3 as `%XX`.
#[inline]
pub const fn byte_wire_len(byte: u8) -> usize {
    if is_unreserved(byte) {
        1
    } else {
        3
    }
}

/// The bytes `byte` of a list element takes on the wire, after the list's
/// own escape of `%` and `,` ([`LIST_ESCAPE_WIRE_LEN`]).
#[inline]
pub const fn list_byte_wire_len(byte: u8) -> usize {
    match byte {
        b'%' | b',' => LIST_ESCAPE_WIRE_LEN,
        b => byte_wire_len(b),
    }
}

/// The bytes `text` takes on the wire as a value, or as a list element
/// when `in_list`.
///
/// ```
/// use baggage_rules::size::wire_len;
/// assert_eq!(wire_len("us-west", false), 7);
/// assert_eq!(wire_len("a b", false), 5); // a%20b
/// assert_eq!(wire_len("a,b", true), 7); // a%252Cb
/// ```
pub const fn wire_len(text: &str, in_list: bool) -> usize {
    let mut rest = text.as_bytes();
    let mut n = 0;
    while let [byte, tail @ ..] = rest {
        n += if in_list {
            list_byte_wire_len(*byte)
        } else {
            byte_wire_len(*byte)
        };
        rest = tail;
    }
    n
}

/// The bytes one list-member `key=value[;metadata]` takes in a header whose
/// value is `value_wire_len` bytes once encoded (saturating: a bound of
/// `usize::MAX` stays the largest).
#[inline]
pub const fn member_len_with(key_len: usize, value_wire_len: usize, metadata_len: usize) -> usize {
    let meta = if metadata_len == 0 {
        0
    } else {
        metadata_len.saturating_add(1)
    };
    key_len
        .saturating_add(1)
        .saturating_add(value_wire_len)
        .saturating_add(meta)
}

/// At least the bytes a value of `value_len` bytes takes encoded: a byte
/// takes at most 3.
#[inline]
pub const fn value_wire_len_bound(value_len: usize) -> usize {
    value_len.saturating_mul(3)
}

/// The wire bound of a `max_len` field: `chars` if its length counts
/// characters (a string), else elements (a list) each at most
/// `item_in_list` bytes, or `max_item_len` characters if that is given.
/// `None` if an element is unbounded.
pub const fn len_bound(
    chars: bool,
    item_in_list: Option<usize>,
    max_len: usize,
    max_item_len: Option<usize>,
) -> Option<usize> {
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
    let list = max_len
        .saturating_mul(item)
        .saturating_add((max_len - 1).saturating_mul(LIST_SEPARATOR_WIRE_LEN));
    Some(if list < MIN_LIST_WIRE_LEN {
        MIN_LIST_WIRE_LEN
    } else {
        list
    })
}

/// The most list-members a header value (its raw bytes) can hold: one more
/// than its `,`s (a member is what lies between two of them, when it is not
/// empty), and none in an empty value. The `,`s are counted exactly, eight
/// bytes a step: about a tenth of what finding the members costs, so that
/// the usual header is never counted member by member.
///
/// ```
/// use baggage_rules::size::max_members_of;
/// assert_eq!(max_members_of(b"a=1,b=2"), 2);
/// assert_eq!(max_members_of(b"a=1,,b=2,"), 4); // empty members, never more
/// assert_eq!(max_members_of(b""), 0);
/// ```
#[inline]
pub fn max_members_of(value: &[u8]) -> usize {
    if value.is_empty() {
        return 0;
    }
    let mut words = value.chunks_exact(8);
    let mut commas = 0;
    for word in &mut words {
        let mut lanes = [0; 8];
        lanes.copy_from_slice(word);
        commas += commas_in_word(u64::from_le_bytes(lanes));
    }
    commas += words.remainder().iter().filter(|&&b| b == b',').count();
    commas + 1
}

/// How many of the eight bytes of `word` are `,`: exactly (each lane is
/// tested on its own, with no borrow from one lane into the next), the
/// lanes' high bits then added up by one multiplication.
#[inline(always)]
fn commas_in_word(word: u64) -> usize {
    const LOW_SEVEN: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const LANES: u64 = 0x0101_0101_0101_0101;
    // a lane is zero exactly where the byte was `,`
    let x = word ^ (LANES * u64::from(b','));
    // high bit of a lane set exactly where the lane is not zero
    let nonzero = ((x & LOW_SEVEN) + LOW_SEVEN) | x;
    let zero = !nonzero & !LOW_SEVEN;
    // one bit a `,`, at the bottom of its lane; their sum in the top lane
    ((zero >> 7).wrapping_mul(LANES) >> 56) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreserved_is_rfc3986() {
        let got: Vec<u8> = (0u8..=0xff).filter(|&b| is_unreserved(b)).collect();
        let mut expected: Vec<u8> = (b'A'..=b'Z')
            .chain(b'a'..=b'z')
            .chain(b'0'..=b'9')
            .collect();
        expected.extend_from_slice(b"-._~");
        expected.sort_unstable();
        assert_eq!(got, expected);
    }

    #[test]
    fn wire_lengths() {
        assert_eq!(wire_len("", false), 0);
        assert_eq!(wire_len("é", false), 6);
        assert_eq!(wire_len("🚀", false), MAX_CHAR_WIRE_LEN);
        assert_eq!(wire_len("%", false), 3);
        assert_eq!(wire_len("%", true), LIST_ESCAPE_WIRE_LEN);
        assert_eq!(wire_len(",", true), 5);
        assert_eq!(wire_len("a+b", true), 5);
        assert_eq!(member_len_with(1, 1, 0), 3);
        assert_eq!(member_len_with(1, 1, 3), 7);
        assert_eq!(value_wire_len_bound(usize::MAX), usize::MAX);
        assert_eq!(member_len_with(3, usize::MAX, 0), usize::MAX);
    }

    #[test]
    fn list_bounds() {
        assert_eq!(len_bound(true, None, 8, None), Some(96));
        assert_eq!(len_bound(false, None, 3, None), None);
        assert_eq!(len_bound(false, Some(4), 3, None), Some(3 * 4 + 2 * 3));
        assert_eq!(len_bound(false, None, 2, Some(1)), Some(2 * 12 + 3));
        assert_eq!(len_bound(false, Some(0), 1, None), Some(MIN_LIST_WIRE_LEN));
        assert_eq!(len_bound(false, Some(9), 0, None), Some(0));
    }

    #[test]
    fn a_value_holds_at_most_one_member_more_than_its_commas() {
        assert_eq!(max_members_of(b""), 0);
        assert_eq!(max_members_of(b"a=1"), 1);
        assert_eq!(max_members_of(b","), 2);
        assert_eq!(max_members_of(b"a=1, b=2,,"), 4);
        // a `,` inside a value is percent-encoded, so never counted
        assert_eq!(max_members_of(b"k=a%2Cb"), 1);
        // bytes that are not UTF-8 are not `,`
        assert_eq!(max_members_of(&[0xff, b',', 0xfe]), 2);
        let long = "k=v,".repeat(1000);
        assert_eq!(max_members_of(long.as_bytes()), 1001);
        // every byte in every lane, and every count in a word: against a
        // byte-by-byte count
        for b in 0..=255u8 {
            for lane in 0..8 {
                let mut word = [b'x'; 8];
                word[lane] = b;
                assert_eq!(
                    commas_in_word(u64::from_le_bytes(word)),
                    usize::from(b == b','),
                    "byte {b:#04x} in lane {lane}"
                );
            }
        }
        for mask in 0..=255u8 {
            let word: Vec<u8> = (0..8)
                .map(|i| if mask >> i & 1 == 1 { b',' } else { b'-' })
                .collect();
            let expected = mask.count_ones() as usize;
            assert_eq!(max_members_of(&word), expected + 1, "{word:?}");
            // next to the byte after `,` (`-`) and before it (`+`), which a
            // borrow between lanes would miscount
            let plus: Vec<u8> = word
                .iter()
                .map(|&b| if b == b'-' { b'+' } else { b })
                .collect();
            assert_eq!(max_members_of(&plus), expected + 1, "{plus:?}");
        }
        for len in 0..40 {
            let text: Vec<u8> = (0..len)
                .map(|i| if i % 3 == 0 { b',' } else { b'a' })
                .collect();
            let expected = text.iter().filter(|&&b| b == b',').count();
            assert_eq!(
                max_members_of(&text),
                if len == 0 { 0 } else { expected + 1 }
            );
        }
    }
}
