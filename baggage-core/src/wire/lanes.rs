//! The usual list-member found 16 bytes a step, for the walk over a
//! header value's members ([`super::each_list_member`]).
//!
//! A key is the bytes up to the first that is not a token byte, a value
//! the bytes up to the first that is not a `baggage-octet`: each is found
//! by classifying the 16 bytes from where it starts at once, with vector
//! compares (`wide`: SSE2 on x86-64, NEON on AArch64, plain arrays
//! elsewhere), into one bit a byte, and taking the lowest bit. A key or
//! value of up to 16 bytes takes one step, where a byte-by-byte walk takes
//! a table load and a branch per byte. Only the class a step asks about is
//! computed: the key's step does not classify octets, nor the value's
//! tokens.
//!
//! The classes are the grammar's own ([`baggage_rules::key::is_tchar`],
//! [`super::is_baggage_octet`]) written as compares; a test checks every
//! byte in every lane against them.

use wide::i8x16;

/// Bytes a step classifies.
const LANES: usize = 16;

/// Every lane's bit.
const ALL_LANES: u32 = (1 << LANES) - 1;

/// What stands for the bytes past the end of the text: `,`, which is
/// neither a token byte nor an octet, so that the end of the text ends a
/// key or a value as a `,` does.
const PAST_THE_END: u8 = b',';

/// The 16 bytes of a text from some position, as a vector: those past the
/// end of the text are [`PAST_THE_END`], or (when the text is long enough)
/// the vector holds the text's last 16 bytes and `shift` says how many
/// lanes to drop from its start.
struct Lanes {
    vector: i8x16,
    /// Lanes of `vector` before the position (a text's last 16 bytes).
    shift: u32,
    /// The lanes past the end of the text, after the shift.
    past: u32,
}

impl Lanes {
    /// The 16 bytes of `bytes` from `at` (`at <= bytes.len()`).
    #[inline(always)]
    fn at(bytes: &[u8], at: usize) -> Lanes {
        match bytes.get(at..at + LANES) {
            Some(lanes) => Lanes {
                vector: vector(lanes),
                shift: 0,
                past: 0,
            },
            None => Lanes::near_the_end(bytes, at),
        }
    }

    /// [`Lanes::at`] where fewer than 16 bytes are left.
    #[inline(never)]
    fn near_the_end(bytes: &[u8], at: usize) -> Lanes {
        let left = bytes.len().saturating_sub(at);
        match bytes.len().checked_sub(LANES).and_then(|start| {
            let lanes = bytes.get(start..)?;
            Some((lanes, at - start))
        }) {
            // the text's last 16 bytes, the lanes before `at` shifted out
            Some((lanes, shift)) => Lanes {
                vector: vector(lanes),
                shift: shift as u32,
                past: ALL_LANES & !(ALL_LANES >> shift),
            },
            // a text shorter than 16 bytes, padded
            None => {
                let mut padded = [PAST_THE_END; LANES];
                if let (Some(start), Some(rest)) = (padded.get_mut(..left), bytes.get(at..)) {
                    start.copy_from_slice(rest);
                }
                Lanes {
                    vector: vector(&padded),
                    shift: 0,
                    past: ALL_LANES & !((1 << left) - 1),
                }
            }
        }
    }

    /// The lanes where `class` holds, from the position on: bit `i` for
    /// the byte `i` after it; a lane past the end of the text holds.
    #[inline(always)]
    fn stops(&self, class: i8x16) -> u32 {
        (class.to_bitmask() >> self.shift) | self.past
    }

    /// The lanes where `class` holds, from the position on, none past the
    /// end of the text.
    #[inline(always)]
    fn holds(&self, class: i8x16) -> u32 {
        (class.to_bitmask() >> self.shift) & !self.past
    }
}

/// 16 bytes as a vector (`lanes` is 16 bytes long).
#[inline(always)]
fn vector(lanes: &[u8]) -> i8x16 {
    let mut bytes = [0; LANES];
    bytes.copy_from_slice(lanes);
    i8x16::new(bytes.map(|b| b as i8))
}

/// Every lane equal to `byte`.
#[inline(always)]
fn eq(v: i8x16, byte: u8) -> i8x16 {
    v.simd_eq(i8x16::splat(byte as i8))
}

/// Every lane from `low` to `high` (both below 0x80; a byte from 0x80 up
/// is negative as an `i8`, so in no range).
#[inline(always)]
fn within(v: i8x16, low: u8, high: u8) -> i8x16 {
    v.simd_gt(i8x16::splat(low as i8 - 1)) & v.simd_lt(i8x16::splat(high as i8 + 1))
}

/// The lanes that are not visible ASCII (0x21 to 0x7E), which neither a
/// token byte nor an octet is.
#[inline(always)]
fn invisible(v: i8x16) -> i8x16 {
    !within(v, 0x21, 0x7E)
}

/// The lanes that are not an RFC 7230 token byte (`tchar`): not visible,
/// or one of the delimiters `"(),/:;<=>?@[\]{}`.
#[inline(always)]
fn not_token(v: i8x16) -> i8x16 {
    invisible(v)
        | eq(v, b'"')
        | eq(v, b'(')
        | eq(v, b')')
        | eq(v, b',')
        | eq(v, b'/')
        | within(v, b':', b'@')
        | within(v, b'[', b']')
        | eq(v, b'{')
        | eq(v, b'}')
}

/// The lanes that are not a W3C `baggage-octet`: not visible, or one of
/// `"` `,` `;` `\`.
#[inline(always)]
fn not_octet(v: i8x16) -> i8x16 {
    invisible(v) | eq(v, b'"') | eq(v, b',') | eq(v, b';') | eq(v, b'\\')
}

/// The classes of all of `bytes` together, in the bits [`super::class`]
/// gives one byte (not an octet, `%`, `+`), 16 bytes a step.
pub(super) fn classes(bytes: &[u8]) -> u8 {
    let (mut outside, mut percent, mut plus) = (0, 0, 0);
    let mut from = 0;
    while from < bytes.len() {
        let lanes = Lanes::at(bytes, from);
        let v = lanes.vector;
        outside |= lanes.holds(not_octet(v));
        percent |= lanes.holds(eq(v, b'%'));
        plus |= lanes.holds(eq(v, b'+'));
        from += LANES;
    }
    let class = |lanes: u32, bit: u8| if lanes == 0 { 0 } else { bit };
    class(outside, super::NOT_OCTET) | class(percent, super::PERCENT) | class(plus, super::PLUS)
}

/// Where [`usual_member`] found the usual member: the end of its key (the
/// `=`), where its value ends (a `,` or the end of the text), and whether
/// the value holds a `%` or a `+`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Found {
    pub(super) key_end: usize,
    pub(super) value_end: usize,
    pub(super) percent: bool,
    pub(super) plus: bool,
}

/// The usual member at the start of `bytes` (a token key, `=` right after
/// it, a value of octets up to a `,` or the end of `bytes`); `None` if what
/// starts there is not one. Whether each `%` of the value is followed by
/// two hex digits is not checked here.
#[inline(always)]
pub(super) fn usual_member(bytes: &[u8]) -> Option<Found> {
    let mut from = 0;
    let key_end = loop {
        let lanes = Lanes::at(bytes, from);
        let stops = lanes.stops(not_token(lanes.vector));
        if stops != 0 {
            break from + stops.trailing_zeros() as usize;
        }
        from += LANES;
    };
    if key_end == 0 || bytes.get(key_end) != Some(&b'=') {
        return None;
    }
    let (mut percent, mut plus) = (0, 0);
    let mut from = key_end + 1;
    let value_end = loop {
        let lanes = Lanes::at(bytes, from);
        let v = lanes.vector;
        let stops = lanes.stops(not_octet(v));
        // the lanes before the first stop (all of them if none)
        let before = stops.wrapping_sub(1) & !stops;
        percent |= lanes.holds(eq(v, b'%')) & before;
        plus |= lanes.holds(eq(v, b'+')) & before;
        if stops != 0 {
            break from + stops.trailing_zeros() as usize;
        }
        from += LANES;
    };
    match bytes.get(value_end) {
        None | Some(b',') => Some(Found {
            key_end,
            value_end,
            percent: percent != 0,
            plus: plus != 0,
        }),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_in_every_lane_is_classified_as_the_grammar_says() {
        for b in 0..=255u8 {
            for lane in 0..LANES {
                let mut bytes = [b'a'; LANES];
                bytes[lane] = b;
                let lanes = Lanes::at(&bytes, 0);
                let v = lanes.vector;
                let bit = |is: bool| u32::from(is) << lane;
                assert_eq!(
                    [
                        lanes.stops(not_token(v)),
                        lanes.stops(not_octet(v)),
                        lanes.holds(eq(v, b'%')),
                        lanes.holds(eq(v, b'+')),
                    ],
                    [
                        bit(!baggage_rules::key::is_tchar(b)),
                        bit(!super::super::is_baggage_octet(b)),
                        bit(b == b'%'),
                        bit(b == b'+'),
                    ],
                    "byte {b:#04x} in lane {lane}"
                );
            }
        }
    }

    #[test]
    fn the_bytes_past_the_end_stop_and_hold_nothing() {
        for len in [0, 1, 15, 16, 17, 31, 40] {
            let text = vec![b'%'; len];
            for at in 0..=len {
                let lanes = Lanes::at(&text, at);
                let v = lanes.vector;
                let left = (len - at).min(LANES);
                let ours = (1u32 << left) - 1;
                assert_eq!(lanes.stops(not_octet(v)), ALL_LANES & !ours, "{len} {at}");
                assert_eq!(lanes.holds(eq(v, b'%')), ours, "{len} {at}");
            }
        }
    }

    #[test]
    fn the_classes_of_a_text_are_those_of_its_bytes() {
        // every byte at every position of texts of every length around the
        // steps, among fillers of each class, against the table
        for len in 1..=40 {
            for filler in [b'a', b'%', b'+'] {
                for at in 0..len {
                    for b in 0..=255u8 {
                        let mut bytes = vec![filler; len];
                        bytes[at] = b;
                        let table = bytes.iter().fold(0, |c, &b| c | super::super::class(b));
                        assert_eq!(classes(&bytes), table, "{bytes:?}");
                    }
                }
            }
        }
        assert_eq!(classes(b""), 0);
    }

    fn found(text: &str) -> Option<Found> {
        usual_member(text.as_bytes())
    }

    #[test]
    fn a_member_is_found_across_steps_and_at_the_end() {
        let f = |key_end, value_end, percent, plus| {
            Some(Found {
                key_end,
                value_end,
                percent,
                plus,
            })
        };
        assert_eq!(found("k=v"), f(1, 3, false, false));
        assert_eq!(found("k=v,x"), f(1, 3, false, false));
        assert_eq!(found("k="), f(1, 2, false, false));
        assert_eq!(found("k=a%2Cb+c"), f(1, 9, true, true));
        assert_eq!(found("k=v;p"), None);
        assert_eq!(found("k=v v"), None);
        assert_eq!(found("=v"), None);
        assert_eq!(found("k v=1"), None);
        assert_eq!(found("k"), None);
        assert_eq!(found(""), None);
        // a key, a `=`, a value and a `%` on every side of a step's edge,
        // and of the text's last 16 bytes
        for key_len in [1, 14, 15, 16, 17, 31, 32, 33, 100] {
            for value_len in [0, 1, 14, 15, 16, 17, 40] {
                let key = "k".repeat(key_len);
                let value = "v".repeat(value_len);
                let text = format!("{key}={value},next=1");
                assert_eq!(
                    found(&text),
                    f(key_len, key_len + 1 + value_len, false, false),
                    "{text}"
                );
                let text = format!("{key}={value}%41");
                assert_eq!(
                    found(&text),
                    f(key_len, key_len + 4 + value_len, true, false),
                    "{text}"
                );
                let text = format!("{key}={value}");
                assert_eq!(
                    found(&text),
                    f(key_len, key_len + 1 + value_len, false, false),
                    "{text}"
                );
                for bad in [" ", ";p", "\u{e9}", "\""] {
                    let text = format!("{key}={value}{bad}");
                    assert_eq!(found(&text), None, "{text}");
                }
            }
        }
        // a `%` or `+` after the value is not the value's, nor one of a key
        assert_eq!(found("k=v,a=%41+"), f(1, 3, false, false));
        assert_eq!(found("k%+=v"), f(3, 5, false, false));
        // the members after the first, near the end
        let text = "a=1,bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb=2,c=3+";
        let c = text.find("c=").unwrap();
        assert_eq!(found(&text[c..]), f(1, text.len() - c, false, true));
        assert_eq!(found(&text[4..]), f(38, 40, false, false));
    }
}
