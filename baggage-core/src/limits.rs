//! Wire sizes and the W3C limits: the one home of every size rule.
//!
//! The W3C Baggage specification requires a platform to propagate at least
//! 64 list-members and 8192 bytes of header, and never a partial member.
//! typed-baggage treats those minimums as the ceiling, so the header it
//! writes is never truncated by a conformant peer.
//!
//! Sizes are measured on the wire:
//!
//! - **written** baggage on the encoded header: `key=value;properties` per
//!   member, the value percent-encoded ([`crate::wire`]), members joined
//!   with `,`. [`with_typed`](crate::BaggageContextExt::with_typed), the
//!   propagator's inject and a schema's compile-time bound all count this way;
//! - **received** baggage on the bytes of the carrier's values as they came
//!   (all `baggage` headers added up, before any byte is read as text), so
//!   that every way in gives the same answer for the same bytes.
// The reading half serves the read pipeline, which comes with the
// `propagation` feature.
#![cfg_attr(not(feature = "propagation"), allow(dead_code))]

pub use baggage_rules::size::{MAX_BYTES, MAX_MEMBERS};

pub(crate) use baggage_rules::size::MAX_CHAR_WIRE_LEN;

use baggage_rules::size::{byte_wire_len, max_members_of, member_len_with, value_wire_len_bound};

/// The number of bytes `value` takes on the wire once percent-encoded.
///
/// Use it to see how much of the 8192-byte budget a value would take
/// before writing it.
///
/// ```
/// use typed_baggage::wire::encoded_len;
/// assert_eq!(encoded_len("us-west"), 7);
/// assert_eq!(encoded_len("a b"), 5); // a%20b
/// assert_eq!(encoded_len("é"), 6); // %C3%A9
/// ```
#[inline]
pub fn encoded_len(value: &str) -> usize {
    value.bytes().map(|b| usize::from(wire_len_of(b))).sum()
}

/// [`baggage_rules::size::byte_wire_len`] as a table: one load per byte.
#[inline(always)]
#[allow(clippy::indexing_slicing)] // a `u8` is always below the table's 256 entries
fn wire_len_of(byte: u8) -> u8 {
    WIRE_LEN[byte as usize]
}

#[allow(clippy::indexing_slicing)] // compile time, `b < 256`
static WIRE_LEN: [u8; 256] = {
    let mut table = [0; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = byte_wire_len(b as u8) as u8;
        b += 1;
    }
    table
};

/// The bytes one list-member `key=value;metadata` takes in the header.
#[inline]
pub(crate) fn member_len(key: &str, value: &str, metadata: &str) -> usize {
    member_len_with(key.len(), encoded_len(value), metadata.len())
}

/// At least [`member_len`], from the lengths alone.
#[inline]
pub(crate) fn member_len_bound(key: &str, value: &str, metadata: &str) -> usize {
    member_len_with(key.len(), value_wire_len_bound(value.len()), metadata.len())
}

/// The encoded header size of the `count` list-members `(key, value,
/// properties)` that `members` iterates, joined with `,`; or, when `bound`
/// (the sum of their [`member_len_bound`]s) is within `allowance`, that
/// bound with the separators. Either way the answer is within `allowance`
/// exactly when the encoded size is.
pub(crate) fn encoded_size<'a, I: Iterator<Item = (&'a str, &'a str, &'a str)>>(
    bound: usize,
    members: impl Fn() -> I,
    count: usize,
    allowance: usize,
) -> usize {
    let separators = count.saturating_sub(1);
    if bound + separators <= allowance {
        return bound + separators;
    }
    members()
        .map(|(key, value, metadata)| member_len(key, value, metadata))
        .sum::<usize>()
        + separators
}

/// The size of received values: their raw byte lengths added up.
#[inline]
pub(crate) fn received_size<'h>(values: impl Iterator<Item = &'h [u8]>) -> usize {
    values.map(<[u8]>::len).fold(0, usize::saturating_add)
}

/// `true` if received values (their raw bytes) cannot hold more than
/// [`MAX_MEMBERS`] list-members, so that they need not be counted.
#[inline]
pub(crate) fn surely_within_members<'h>(values: impl Iterator<Item = &'h [u8]>) -> bool {
    values.map(max_members_of).fold(0, usize::saturating_add) <= MAX_MEMBERS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(members: &[(&str, &str, &str)]) -> usize {
        members
            .iter()
            .map(|(k, v, m)| member_len(k, v, m))
            .sum::<usize>()
            + members.len().saturating_sub(1)
    }

    #[test]
    fn encoded_size_is_exact_whenever_it_is_over_the_allowance() {
        let plain = "v".repeat(3000);
        let spaces = " ".repeat(3000);
        let cases: [&[(&str, &str, &str)]; 5] = [
            // empty values: the bound is the exact size, and the
            // separators decide
            &[("k", "", ""), ("l", "", ""), ("m", "", "")],
            &[("k", "short", ""), ("p", "x y", "a=1")],
            &[("k", &plain, ""), ("l", &plain, "")],
            &[("k", &spaces, "")],
            &[("k", &plain, ""), ("s", &spaces, "")],
        ];
        for members in cases {
            let size = exact(members);
            let bound: usize = members
                .iter()
                .map(|(k, v, m)| member_len_bound(k, v, m))
                .sum();
            // just under the bound with its separators: the exact size decides
            let under = (bound + members.len()).saturating_sub(2);
            for allowance in [0, 10, size - 1, size, size + 1, 3 * size, under, MAX_BYTES] {
                let got = encoded_size(bound, || members.iter().copied(), members.len(), allowance);
                assert_eq!(got <= allowance, size <= allowance, "{allowance}");
                if size > allowance {
                    assert_eq!(got, size, "{allowance}");
                } else {
                    assert!(got >= size);
                }
            }
        }
    }

    #[test]
    fn member_len_bound_is_at_least_the_encoded_length() {
        for value in ["", "v", "a b", "é", "🚀x", "100%", "plain-value_1.~"] {
            let exact = member_len("key", value, "p=1");
            let bound = member_len_bound("key", value, "p=1");
            assert!(exact <= bound, "{value:?}: {exact} > {bound}");
        }
        assert_eq!(member_len_bound("k", "ab", ""), 8);
        assert_eq!(member_len_bound("k", "", ""), 2);
    }

    #[test]
    fn member_len_counts_separators() {
        assert_eq!(member_len("k", "v", ""), 3);
        assert_eq!(member_len("k", "v", "p=1"), 7);
        assert_eq!(member_len("k", "", ""), 2);
        assert_eq!(encoded_len("x🚀y"), 14);
        for b in 0u8..=0x7f {
            let s = char::from(b).to_string();
            assert_eq!(
                encoded_len(&s),
                baggage_rules::size::wire_len(&s, false),
                "{b:#x}"
            );
        }
    }

    #[test]
    fn received_sizes_count_raw_bytes() {
        let values: [&[u8]; 3] = [b"a=1", b"", &[0xff, 0xfe]];
        assert_eq!(received_size(values.into_iter()), 5);
        let members = |n: usize| vec!["k=v"; n].join(",").into_bytes();
        assert!(surely_within_members([&members(64)[..]].into_iter()));
        assert!(!surely_within_members([&members(65)[..]].into_iter()));
        // a long header of few members is not counted member by member
        let long = format!("a={},b=1", "v".repeat(4000));
        assert!(surely_within_members([long.as_bytes()].into_iter()));
        // across values, and an empty value holds none
        let (a, b) = (members(32), members(32));
        assert!(surely_within_members([&a[..], b"", &b[..]].into_iter()));
        assert!(!surely_within_members([&a[..], b"x", &b[..]].into_iter()));
        assert!(!surely_within_members(std::iter::repeat_n(&b"x"[..], 65)));
    }
}
