//! The W3C `baggage` header encoding that limits are measured in.
//!
//! The propagator writes only the RFC 3986 unreserved bytes
//! (`A-Z a-z 0-9 - _ . ~`) of a value raw and percent-encodes every other
//! byte as `%XX` (upper-case hex). Every peer SDK (Rust, Python, JavaScript,
//! Go, Java) decodes that correctly, which is not true of any looser
//! encoding. The size limits of [`crate::limits`] are measured on this
//! encoded form, as the W3C specification measures them.
// The reading half serves the read pipeline, which comes with the
// `propagation` feature.
#![cfg_attr(not(feature = "propagation"), allow(dead_code))]

pub use crate::keys::is_valid_key;
pub use crate::limits::encoded_len;

mod lanes;

/// `true` for a byte that a value carries raw on the wire
/// ([`baggage_rules::size::is_unreserved`] as a table).
///
/// ```
/// use typed_baggage::wire::is_unreserved;
/// assert!(is_unreserved(b'a') && is_unreserved(b'~'));
/// assert!(!is_unreserved(b' ') && !is_unreserved(b'+') && !is_unreserved(b'%'));
/// ```
#[doc(hidden)]
#[inline]
#[allow(clippy::indexing_slicing)] // a `u8` is always below the table's 256 entries
pub fn is_unreserved(byte: u8) -> bool {
    UNRESERVED[byte as usize]
}

/// [`is_unreserved`] as a table: one load per byte in the encoding loops.
#[allow(clippy::indexing_slicing)] // compile time, `b < 256`
static UNRESERVED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = baggage_rules::size::is_unreserved(b as u8);
        b += 1;
    }
    table
};

/// Percent-encodes `value` for the wire, appending to `out`.
#[doc(hidden)]
///
/// ```
/// use typed_baggage::wire::encode_value;
/// let mut out = String::new();
/// encode_value("a+b c%", &mut out);
/// assert_eq!(out, "a%2Bb%20c%25");
/// ```
pub fn encode_value(value: &str, out: &mut String) {
    out.reserve(value.len());
    let mut raw_start = 0;
    for (i, b) in value.bytes().enumerate() {
        if !is_unreserved(b) {
            out.push_str(value.get(raw_start..i).unwrap_or_default());
            out.push('%');
            out.push(hex_digit(b >> 4));
            out.push(hex_digit(b & 0x0f));
            raw_start = i + 1;
        }
    }
    out.push_str(value.get(raw_start..).unwrap_or_default());
}

/// The upper-case hex digit of a nibble (`0..16`).
#[inline]
pub(crate) const fn hex_digit(nibble: u8) -> char {
    (if nibble < 10 {
        b'0' + nibble
    } else {
        b'A' + (nibble - 10)
    }) as char
}

/// A byte that is not a W3C `baggage-octet`.
const NOT_OCTET: u8 = 2;
/// `%`: a value holding one needs decoding.
const PERCENT: u8 = 4;
/// `+`: a value holding one needs decoding when `plus_as_space`.
const PLUS: u8 = 8;

/// The classes of a byte in the grammar, as [`CLASSES`] has them.
#[inline(always)]
#[allow(clippy::indexing_slicing)] // a `u8` is always below the table's 256 entries
const fn class(byte: u8) -> u8 {
    CLASSES[byte as usize]
}

/// The grammar's byte classes as a table, so that checking a key or a value
/// takes one load and one `or` per byte.
#[allow(clippy::indexing_slicing)] // compile time, `b < 256`
static CLASSES: [u8; 256] = {
    let mut table = [0; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        let mut c = 0;
        if !is_baggage_octet(byte) {
            c |= NOT_OCTET;
        }
        if byte == b'%' {
            c |= PERCENT;
        }
        if byte == b'+' {
            c |= PLUS;
        }
        table[b] = c;
        b += 1;
    }
    table
};

/// Returns `true` for a W3C `baggage-octet`: the visible ASCII bytes except
/// `"`, `,`, `;` and `\` (`%x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E`).
/// A value on the wire is made of these only.
///
/// ```
/// use typed_baggage::wire::is_baggage_octet;
/// assert!(is_baggage_octet(b'a') && is_baggage_octet(b'=') && is_baggage_octet(b'%'));
/// assert!(!is_baggage_octet(b' ') && !is_baggage_octet(b',') && !is_baggage_octet(b'\\'));
/// ```
#[doc(hidden)]
#[inline]
pub const fn is_baggage_octet(byte: u8) -> bool {
    matches!(byte, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E)
}

/// The pieces of `text` between the `byte`s, as `text.split(byte)` gives
/// them (an empty text is one empty piece), for an ASCII `byte`.
///
/// A byte loop first rather than `str::split`'s `memchr` (see
/// [`find_byte`]): the pieces of a baggage header are a few bytes to a few
/// dozen, and for them the loop costs less than `memchr`'s setup on every
/// call.
#[inline]
pub(crate) fn split_byte(text: &str, byte: u8) -> SplitByte<'_> {
    debug_assert!(byte.is_ascii());
    SplitByte {
        rest: Some(text),
        byte,
    }
}

/// The iterator of [`split_byte`].
#[derive(Debug, Clone)]
pub(crate) struct SplitByte<'a> {
    rest: Option<&'a str>,
    byte: u8,
}

impl<'a> Iterator for SplitByte<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let current = self.rest?;
        match split_once_byte(current, self.byte) {
            Some((piece, rest)) => {
                self.rest = Some(rest);
                Some(piece)
            }
            None => self.rest.take(),
        }
    }
}

/// `text.split_once(byte)` for an ASCII `byte` (see [`split_byte`]).
#[inline]
pub(crate) fn split_once_byte(text: &str, byte: u8) -> Option<(&str, &str)> {
    let i = find_byte(text.as_bytes(), byte)?;
    // `byte` is ASCII: both sides of it are character boundaries.
    Some((text.get(..i)?, text.get(i + 1..)?))
}

/// The index of the first `byte` (ASCII) of `bytes`, eight bytes at a
/// time: each word is compared with `byte` in every lane at once (the
/// lowest lane that holds it sets the lowest high bit of
/// `(x - 0x01..) & !x & 0x80..`, where `x` is the word xor `byte` in every
/// lane). The pieces of a baggage header are a few bytes to a few dozen,
/// too short for `memchr`'s setup to pay back, and a byte-at-a-time loop
/// costs three times as many instructions.
#[inline]
pub(crate) fn find_byte(bytes: &[u8], byte: u8) -> Option<usize> {
    find_either(bytes, byte, byte)
}

/// The index of the first byte of `bytes` that is `a` or `b` (both
/// ASCII), eight bytes at a time as [`find_byte`] looks.
#[inline]
fn find_either(bytes: &[u8], a: u8, b: u8) -> Option<usize> {
    let mut words = bytes.chunks_exact(8);
    let mut offset = 0;
    for word in &mut words {
        let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
        let found = lanes_holding(word, a) | lanes_holding(word, b);
        if found != 0 {
            return Some(offset + (found.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&c| c == a || c == b)
        .map(|i| offset + i)
}

/// `true` if `text` holds the byte `a` or the byte `b` (both ASCII),
/// eight bytes at a time as [`find_byte`] looks.
#[inline]
pub(crate) fn contains_either(text: &str, a: u8, b: u8) -> bool {
    find_either(text.as_bytes(), a, b).is_some()
}

/// The lanes of `word` (eight bytes) that hold `byte`, as their high bits:
/// the lowest set bit is the first lane that holds it, and a bit is set
/// only if some lane holds it (a borrow reaches only the lanes above a
/// match).
#[inline(always)]
fn lanes_holding(word: u64, byte: u8) -> u64 {
    const LANES: u64 = 0x0101_0101_0101_0101;
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    let x = word ^ (LANES * u64::from(byte));
    x.wrapping_sub(LANES) & !x & HIGH_BITS
}

/// `s` without leading and trailing RFC 7230 `OWS` (spaces and tabs only; other
/// whitespace is not OWS and is left in place, to be rejected by the grammar).
pub(crate) fn trim_ows(s: &str) -> &str {
    let bytes = s.as_bytes();
    let is_ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = bytes.iter().position(|b| !is_ows(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_ows(b))
        .map_or(start, |i| i + 1);
    // Space and tab are ASCII, so both ends are character boundaries.
    s.get(start..end).unwrap_or_default()
}

/// The length from which [`check_value`] checks a value with vector
/// compares ([`lanes::classes`]) rather than a table.
const VECTOR_MIN_LEN: usize = 32;

/// Why a piece of a header does not follow the W3C grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Malformed {
    /// A list-member without `=`.
    NoEquals,
    /// A key that is not an RFC 7230 token.
    Key,
    /// A value byte that is not a `baggage-octet`.
    ValueOctet,
    /// A `%` not followed by two hex digits.
    Percent,
    /// A property that does not follow `key OWS "=" OWS value / key OWS`.
    Property,
}

impl Malformed {
    /// The reason, as logged.
    pub(crate) const fn reason(self) -> &'static str {
        match self {
            Malformed::NoEquals => "list-member has no `=`",
            Malformed::Key => "key is not an RFC 7230 token",
            Malformed::ValueOctet => "value has a byte outside baggage-octet",
            Malformed::Percent => "value has a `%` not followed by two hex digits",
            Malformed::Property => "malformed property",
        }
    }
}

/// The value of one hex digit.
#[inline]
const fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Checks that `raw` (already trimmed of OWS) is a well-formed `value`:
/// baggage-octets only, every `%` followed by two hex digits. Returns
/// whether it holds any byte that decoding changes (`%`, or `+` when
/// `plus_as_space`).
fn check_value(raw: &[u8], plus_as_space: bool) -> Result<bool, Malformed> {
    let classes = classes_of(raw);
    let (octets, percent, plus) = (
        classes & NOT_OCTET == 0,
        classes & PERCENT != 0,
        classes & PLUS != 0,
    );
    // Baggage-octets only (the usual value, escaped or not), and each `%`
    // followed by two hex digits: only the `%`s are looked at again.
    if octets && (!percent || first_bad_percent(raw).is_none()) {
        return Ok(percent | (plus_as_space & plus));
    }
    Err(first_malformation(raw))
}

/// The classes of all of `raw`'s bytes together ([`NOT_OCTET`],
/// [`PERCENT`], [`PLUS`]). A short text takes a table load per byte; a
/// long one, the member walk's vector compares, 16 bytes a step (with a
/// setup that a short text does not pay back).
#[inline]
fn classes_of(raw: &[u8]) -> u8 {
    if raw.len() < VECTOR_MIN_LEN {
        raw.iter().fold(0, |classes, &b| classes | class(b))
    } else {
        lanes::classes(raw)
    }
}

/// Which problem of a value [`check_value`] refused comes first: a byte
/// outside the grammar, or a `%` without two hex digits after it.
#[cold]
fn first_malformation(raw: &[u8]) -> Malformed {
    let octet = raw.iter().position(|&b| !is_baggage_octet(b));
    match (first_bad_percent(raw), octet) {
        (Some(percent), Some(octet)) if percent < octet => Malformed::Percent,
        (Some(_), None) => Malformed::Percent,
        _ => Malformed::ValueOctet,
    }
}

/// Where the first `%` of `raw` that is not followed by two hex digits is.
/// (The two digits of a well-formed escape are skipped: a `%` among them
/// is one of them, not an escape of its own.)
#[inline]
fn first_bad_percent(raw: &[u8]) -> Option<usize> {
    let mut at = 0;
    while let Some(i) = find_byte(raw.get(at..)?, b'%') {
        let i = at + i;
        match raw.get(i + 1..i + 3) {
            Some(&[hi, lo]) if hex_value(hi).is_some() && hex_value(lo).is_some() => at = i + 3,
            _ => return Some(i),
        }
    }
    None
}

/// Decodes a value received on the wire (already trimmed of OWS):
/// percent-decodes it, turns decoded bytes that are not UTF-8 into U+FFFD,
/// and, only if `plus_as_space`, reads a raw `+` as a space (`%2B` is
/// always `+`). Borrows when nothing needs decoding. (The propagator checks
/// and decodes in two steps, [`parse_member`] and [`Member::value`].)
#[cfg(test)]
fn decode_value(raw: &str, plus_as_space: bool) -> Result<std::borrow::Cow<'_, str>, Malformed> {
    let needs_decoding = check_value(raw.as_bytes(), plus_as_space)?;
    Ok(decode_checked(raw, needs_decoding, plus_as_space))
}

/// Decodes a value that [`check_value`] accepted, saying whether it
/// `needs_decoding`.
fn decode_checked(
    raw: &str,
    needs_decoding: bool,
    plus_as_space: bool,
) -> std::borrow::Cow<'_, str> {
    if !needs_decoding {
        return std::borrow::Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    decode_bytes(raw, plus_as_space, &mut out);
    match String::from_utf8(out) {
        Ok(s) => std::borrow::Cow::Owned(s),
        Err(e) => std::borrow::Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

/// [`decode_checked`] into `out` (emptied first), whose text the result
/// borrows when it is UTF-8: a reader that keeps a buffer decodes without
/// an allocation.
fn decode_checked_in<'t>(
    raw: &'t str,
    needs_decoding: bool,
    plus_as_space: bool,
    out: &'t mut Vec<u8>,
) -> std::borrow::Cow<'t, str> {
    if !needs_decoding {
        return std::borrow::Cow::Borrowed(raw);
    }
    out.clear();
    decode_bytes(raw, plus_as_space, out);
    match std::str::from_utf8(out) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => std::borrow::Cow::Owned(String::from_utf8_lossy(out).into_owned()),
    }
}

/// The bytes of a checked value with its escapes (and, if
/// `plus_as_space`, its `+`s) decoded, appended to `out`.
#[inline]
fn decode_bytes(raw: &str, plus_as_space: bool, out: &mut Vec<u8>) {
    // The runs between escapes are copied whole.
    let mut rest = raw.as_bytes();
    // `%`, and `+` only if it is read as a space
    let plus = if plus_as_space { b'+' } else { b'%' };
    while let Some(i) = find_either(rest, b'%', plus) {
        out.extend_from_slice(rest.get(..i).unwrap_or_default());
        match rest.get(i..i + 3) {
            // `check_value` saw two hex digits after every `%`.
            Some(&[b'%', hi, lo]) => {
                let hi = hex_value(hi).unwrap_or(0);
                let lo = hex_value(lo).unwrap_or(0);
                out.push((hi << 4) | lo);
                rest = rest.get(i + 3..).unwrap_or_default();
            }
            _ => {
                // A `+` read as a space (a `%` is always followed by two
                // more bytes once checked).
                out.push(b' ');
                rest = rest.get(i + 1..).unwrap_or_default();
            }
        }
    }
    out.extend_from_slice(rest);
}

/// Checks a property list as stored in a `BaggageMetadata`: the text after
/// a member's first `;`, i.e. `property *( OWS ";" OWS property )` where
/// `property = key OWS "=" OWS value / key OWS`. An empty text is no
/// properties and is fine. Values are checked like member values
/// (baggage-octets, `%` followed by two hex digits) but never decoded.
pub(crate) fn check_properties(text: &str) -> Result<(), Malformed> {
    if text.is_empty() {
        return Ok(());
    }
    for property in split_byte(text, b';') {
        let (key, value) = match split_once_byte(property, b'=') {
            Some((key, value)) => (key, Some(value)),
            None => (property, None),
        };
        if !is_valid_key(trim_ows(key)) {
            return Err(Malformed::Property);
        }
        if let Some(value) = value {
            if check_value(trim_ows(value).as_bytes(), false).is_err() {
                return Err(Malformed::Property);
            }
        }
    }
    Ok(())
}

/// One list-member parsed from the wire, its value checked but decoded
/// only when asked for ([`Member::value`]), so that a reader that wants
/// some keys only decodes those.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Member<'a> {
    /// The key, trimmed of OWS.
    pub(crate) key: &'a str,
    /// The value as it came, trimmed of OWS.
    raw_value: &'a str,
    needs_decoding: bool,
    plus_as_space: bool,
    /// The raw properties after the first `;`, trimmed of OWS (empty if none).
    pub(crate) properties: &'a str,
}

impl<'a> Member<'a> {
    /// The decoded value.
    pub(crate) fn value(&self) -> std::borrow::Cow<'a, str> {
        decode_checked(self.raw_value, self.needs_decoding, self.plus_as_space)
    }

    /// The decoded value, decoded into `buffer` if it needs decoding (the
    /// same text as [`Member::value`], without an allocation of its own).
    pub(crate) fn value_in<'t>(&self, buffer: &'t mut Vec<u8>) -> std::borrow::Cow<'t, str>
    where
        'a: 't,
    {
        decode_checked_in(
            self.raw_value,
            self.needs_decoding,
            self.plus_as_space,
            buffer,
        )
    }
}

/// The usual start of a member, a key with its `=` right after it (no
/// OWS), found and checked in one walk: `(key, the rest after the =)`, or
/// `None` for any other start (which [`parse_member`] then splits, trims
/// and checks step by step). `=` is not a token byte, so the `=` found is
/// the member's first.
#[inline]
fn token_then_equals(member: &str) -> Option<(&str, &str)> {
    let token = member.bytes().position(|b| !crate::keys::is_tchar(b))?;
    if token == 0 || member.as_bytes().get(token) != Some(&b'=') {
        return None;
    }
    // `=` is ASCII: both sides of it are character boundaries.
    Some((member.get(..token)?, member.get(token + 1..)?))
}

/// Calls `each` with every non-empty list-member of `text` (one header
/// value, `list-member *( OWS "," OWS list-member )`), in order: parsed, or
/// the reason it is malformed and the member as it came (trimmed of OWS).
/// Empty members (`a=1,,b=2`, a trailing `,`) are skipped, as the grammar's
/// list rule allows.
///
/// The usual member (a token key, `=` right after it, a value of
/// baggage-octets up to the next `,` or the end: no OWS, no properties) is
/// found 16 bytes a step ([`lanes`]); any
/// other is cut at the next `,`, trimmed and parsed step by step
/// ([`parse_member`]), as every member once was. Both give the same member
/// wherever the walk answers.
#[inline]
pub(crate) fn each_list_member<'a>(
    text: &'a str,
    plus_as_space: bool,
    mut each: impl FnMut(Result<Member<'a>, (Malformed, &'a str)>),
) {
    let mut rest = text;
    while !rest.is_empty() {
        let usual = lanes::usual_member(rest.as_bytes())
            .and_then(|found| usual_member(rest, found, plus_as_space));
        if let Some((member, end)) = usual {
            each(Ok(member));
            // past the member and its `,` (past the end if it was the last)
            rest = rest.get(end + 1..).unwrap_or_default();
            continue;
        }
        let piece = match split_once_byte(rest, b',') {
            Some((piece, next)) => {
                rest = next;
                piece
            }
            None => std::mem::take(&mut rest),
        };
        let member = trim_ows(piece);
        if !member.is_empty() {
            each(parse_member(member, plus_as_space).map_err(|why| (why, member)));
        }
    }
}

/// The usual member at the start of `text` that the walk `found`, and
/// where it ends; `None` if a `%` of its value is not followed by two hex
/// digits (which [`parse_member`] then reports).
#[inline(always)]
fn usual_member(
    text: &str,
    found: lanes::Found,
    plus_as_space: bool,
) -> Option<(Member<'_>, usize)> {
    // The key and the value are ASCII (token bytes and octets), and so is
    // the `=` between them: every cut is a character boundary.
    let raw_value = text.get(found.key_end + 1..found.value_end)?;
    if found.percent && first_bad_percent(raw_value.as_bytes()).is_some() {
        return None;
    }
    let member = Member {
        key: text.get(..found.key_end)?,
        raw_value,
        needs_decoding: found.percent | (plus_as_space & found.plus),
        plus_as_space,
        properties: "",
    };
    Some((member, found.value_end))
}

/// Parses one non-empty list-member, `key OWS "=" OWS value *( OWS ";" OWS property )`,
/// splitting on the first `=` only (a value may hold `=`).
pub(crate) fn parse_member(member: &str, plus_as_space: bool) -> Result<Member<'_>, Malformed> {
    let (key, rest) = match token_then_equals(member) {
        Some(split) => split,
        None => {
            let (key, rest) = split_once_byte(member, b'=').ok_or(Malformed::NoEquals)?;
            let key = trim_ows(key);
            if !is_valid_key(key) {
                return Err(Malformed::Key);
            }
            (key, rest)
        }
    };
    // The usual member: a value of baggage-octets only, which holds no `;`
    // (no properties) and no OWS to trim, so the whole rest is the value,
    // checked in one pass.
    if let Ok(needs_decoding) = check_value(rest.as_bytes(), plus_as_space) {
        return Ok(Member {
            key,
            raw_value: rest,
            needs_decoding,
            plus_as_space,
            properties: "",
        });
    }
    let (value, properties) = match split_once_byte(rest, b';') {
        Some((value, properties)) => {
            let properties = trim_ows(properties);
            // `k=v;` has a `;` but no property: not the grammar.
            if properties.is_empty() {
                return Err(Malformed::Property);
            }
            (value, properties)
        }
        None => (rest, ""),
    };
    let raw_value = trim_ows(value);
    let needs_decoding = check_value(raw_value.as_bytes(), plus_as_space)?;
    check_properties(properties)?;
    Ok(Member {
        key,
        raw_value,
        needs_decoding,
        plus_as_space,
        properties,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_every_byte_that_is_not_unreserved() {
        for b in 0u8..=0x7f {
            let s = char::from(b).to_string();
            let mut out = String::new();
            encode_value(&s, &mut out);
            if is_unreserved(b) {
                assert_eq!(out, s);
            } else {
                assert_eq!(out, format!("%{b:02X}"));
            }
            assert_eq!(out.len(), encoded_len(&s));
        }
    }

    #[test]
    fn encodes_multibyte_utf8_per_byte() {
        let mut out = String::new();
        encode_value("x🚀y", &mut out);
        assert_eq!(out, "x%F0%9F%9A%80y");
        assert_eq!(encoded_len("x🚀y"), out.len());
    }

    #[test]
    fn baggage_octets_are_the_spec_ranges() {
        let allowed: Vec<u8> = (0u8..=0xff).filter(|&b| is_baggage_octet(b)).collect();
        let expected: Vec<u8> = [
            0x21..=0x21,
            0x23..=0x2B,
            0x2D..=0x3A,
            0x3C..=0x5B,
            0x5D..=0x7E,
        ]
        .into_iter()
        .flatten()
        .collect();
        assert_eq!(allowed, expected);
    }

    #[test]
    fn split_byte_splits_as_str_split_does() {
        for text in [
            "", ",", "a", "a,b", ",a,", "a,,b", ",a,,b,", "é,ü,,", " a , b ", "a%2Cb,c",
        ] {
            let ours: Vec<&str> = split_byte(text, b',').collect();
            let std: Vec<&str> = text.split(',').collect();
            assert_eq!(ours, std, "{text:?}");
            assert_eq!(
                split_once_byte(text, b','),
                text.split_once(','),
                "{text:?}"
            );
        }
        assert_eq!(split_byte("k=v;p", b';').collect::<Vec<_>>(), ["k=v", "p"]);
        assert_eq!(split_once_byte("k=v=w", b'='), Some(("k", "v=w")));
        assert_eq!(split_once_byte("kv", b'='), None);
        // Past the first words, and after a multi-byte character.
        let long = format!("{}é,{}", "a".repeat(40), "b".repeat(3));
        assert_eq!(split_once_byte(&long, b','), long.split_once(','));
        assert_eq!(split_once_byte(&"a".repeat(45), b','), None);
    }

    #[test]
    fn find_either_finds_the_first_of_either_byte_in_every_lane_and_the_tail() {
        // Each byte at every position of texts of 0 to 24 bytes, among
        // fillers one bit or one step away from both (which a lane test
        // with a borrow could mistake for them), and texts without either.
        for len in 0..=24 {
            for filler in [
                b'a',
                b',' ^ 1,
                b',' + 1,
                b'%' - 1,
                b'%' ^ 0x40,
                0x80 | b'%',
                0xff,
            ] {
                let bytes = vec![filler; len];
                let text = String::from_utf8_lossy(&bytes).into_owned();
                assert!(!contains_either(&text, b',', b'%'), "{text:?}");
                for at in 0..len {
                    for (byte, other) in [(b',', b'%'), (b'%', b',')] {
                        let mut bytes = bytes.clone();
                        bytes[at] = byte;
                        let text = String::from_utf8_lossy(&bytes).into_owned();
                        assert!(contains_either(&text, b',', b'%'), "{text:?}");
                        assert_eq!(find_either(&bytes, b',', b'%'), Some(at), "{bytes:?}");
                        // the first of the two, with the other after it
                        if let Some(last) = bytes.get_mut(len - 1).filter(|_| at + 1 < len) {
                            *last = other;
                            assert_eq!(find_either(&bytes, b',', b'%'), Some(at), "{bytes:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn find_byte_finds_the_first_in_every_lane_and_the_tail() {
        // The byte at every position of texts of 0 to 24 bytes (three
        // words and every tail length), alone, twice, and after bytes that
        // differ from it by one bit or sit next to it (which a lane test
        // with a borrow could mistake for it).
        for len in 0..=24 {
            for at in 0..len {
                for filler in [b'a', b',' ^ 1, b',' + 1, b',' - 1, 0x80 | b',', 0xff] {
                    let mut bytes = vec![filler; len];
                    bytes[at] = b',';
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    assert_eq!(find_byte(text.as_bytes(), b','), text.find(','), "{text:?}");
                    if at + 1 < len {
                        bytes[len - 1] = b',';
                        let text = String::from_utf8_lossy(&bytes).into_owned();
                        assert_eq!(find_byte(text.as_bytes(), b','), text.find(','), "{text:?}");
                    }
                }
            }
            let none = "x".repeat(len);
            assert_eq!(find_byte(none.as_bytes(), b','), None);
        }
        // Every ASCII byte as the one looked for, in a text of all others.
        let all: String = (1u8..0x80).map(char::from).collect();
        for b in 1u8..0x80 {
            assert_eq!(
                find_byte(all.as_bytes(), b),
                Some(usize::from(b) - 1),
                "{b:#x}"
            );
        }
    }

    #[test]
    fn decoding_copies_runs_and_turns_escapes_and_plus() {
        let decode = |raw: &str, plus| decode_value(raw, plus).unwrap().into_owned();
        assert_eq!(decode("a%2Cb%25c", false), "a,b%c");
        assert_eq!(decode("%41%42", false), "AB");
        assert_eq!(decode("x+y+", false), "x+y+");
        assert_eq!(decode("x+y+", true), "x y ");
        assert_eq!(decode("+%2B+", true), " + ");
        assert_eq!(decode("%E2%82%AC+eur", true), "€ eur");
        assert_eq!(decode("%FF", false), "\u{FFFD}");
        assert!(matches!(
            decode_value("plain", true),
            Ok(std::borrow::Cow::Borrowed("plain"))
        ));
    }

    #[test]
    fn byte_classes_agree_with_the_grammar() {
        for b in 0u8..=0xff {
            let c = class(b);
            assert_eq!(c & NOT_OCTET == 0, is_baggage_octet(b), "octet {b:#x}");
            assert_eq!(c & PERCENT != 0, b == b'%', "percent {b:#x}");
            assert_eq!(c & PLUS != 0, b == b'+', "plus {b:#x}");
        }
        // The spot checks of the bits' meaning, independent of the predicates.
        assert_eq!(class(b'a'), 0);
        assert_eq!(class(b'%'), PERCENT);
        assert_eq!(class(b'+'), PLUS);
        assert_eq!(class(b'='), 0);
        assert_eq!(class(b','), NOT_OCTET);
        assert_eq!(class(b' '), NOT_OCTET);
        assert_eq!(class(0xC3), NOT_OCTET);
    }

    #[test]
    fn trims_spaces_and_tabs_only() {
        assert_eq!(trim_ows(" \t a b \t"), "a b");
        assert_eq!(trim_ows("\u{a0}a\n"), "\u{a0}a\n");
        assert_eq!(trim_ows(" \t "), "");
        assert_eq!(trim_ows(""), "");
        assert_eq!(trim_ows("é "), "é");
    }

    #[test]
    fn decodes_percent_and_plus() {
        assert_eq!(decode_value("a%20b", false).as_deref(), Ok("a b"));
        assert_eq!(decode_value("a%2b%2B+", false).as_deref(), Ok("a+++"));
        assert_eq!(decode_value("a%2B+", true).as_deref(), Ok("a+ "));
        assert_eq!(decode_value("%FF", false).as_deref(), Ok("\u{FFFD}"));
        assert_eq!(decode_value("%C3%A9", false).as_deref(), Ok("é"));
        assert_eq!(decode_value("", false).as_deref(), Ok(""));
        assert!(matches!(
            decode_value("plain", false),
            Ok(std::borrow::Cow::Borrowed("plain"))
        ));
        assert_eq!(decode_value("%", false), Err(Malformed::Percent));
        assert_eq!(decode_value("%4", false), Err(Malformed::Percent));
        assert_eq!(decode_value("%zz", false), Err(Malformed::Percent));
        assert_eq!(decode_value("a b", false), Err(Malformed::ValueOctet));
        assert_eq!(decode_value("é", false), Err(Malformed::ValueOctet));
    }

    #[test]
    fn decodes_lowercase_hex_and_repeated_escapes() {
        assert_eq!(decode_value("%e2%82%ac", false).as_deref(), Ok("\u{20ac}"));
        assert_eq!(decode_value("%2c%2C", false).as_deref(), Ok(",,"));
        assert_eq!(decode_value("a%20b%20c", false).as_deref(), Ok("a b c"));
        assert_eq!(decode_value("%20%20", false).as_deref(), Ok("  "));
        // A bad octet next to an escape is still a bad octet.
        assert_eq!(decode_value("%20\"", false), Err(Malformed::ValueOctet));
        assert_eq!(decode_value("\"%20+", true), Err(Malformed::ValueOctet));
    }

    /// Values of [`VECTOR_MIN_LEN`] bytes and more take the other path of
    /// `check_value`: the same answers.
    #[test]
    fn long_values_are_checked_and_decoded_alike() {
        let long = |s: &str| format!("{}{s}", "a".repeat(VECTOR_MIN_LEN));
        let plain = long("");
        assert!(matches!(
            decode_value(&plain, false),
            Ok(std::borrow::Cow::Borrowed(_))
        ));
        assert!(matches!(
            decode_value(&long("+"), false),
            Ok(std::borrow::Cow::Borrowed(_))
        ));
        assert_eq!(decode_value(&long("\""), false), Err(Malformed::ValueOctet));
        assert_eq!(decode_value(&long(" "), true), Err(Malformed::ValueOctet));
        assert_eq!(
            decode_value(&long("%20"), false).as_deref(),
            Ok(long(" ").as_str())
        );
        assert_eq!(
            decode_value(&long("%20%20"), false).as_deref(),
            Ok(long("  ").as_str())
        );
        assert_eq!(
            decode_value(&long("+"), true).as_deref(),
            Ok(long(" ").as_str())
        );
        assert_eq!(
            decode_value(&long("+%2B"), true).as_deref(),
            Ok(long(" +").as_str())
        );
        assert_eq!(
            decode_value(&long("%2B+"), true).as_deref(),
            Ok(long("+ ").as_str())
        );
        let pluses = "+".repeat(VECTOR_MIN_LEN + 8);
        assert_eq!(
            decode_value(&pluses, true).as_deref(),
            Ok(" ".repeat(VECTOR_MIN_LEN + 8).as_str())
        );
        assert_eq!(
            decode_value(&"%".repeat(VECTOR_MIN_LEN + 8), false),
            Err(Malformed::Percent)
        );
    }

    /// `check_value` decides from one pass over the value's classes; a
    /// class met an even number of times must count as met, on both of its
    /// paths, and a `%` anywhere must be followed by two hex digits.
    #[test]
    fn every_class_counts_however_often_it_is_met() {
        for len in [0, VECTOR_MIN_LEN] {
            let pad = "a".repeat(len);
            let check = |s: &str, plus| check_value(format!("{pad}{s}").as_bytes(), plus);
            assert_eq!(check("", false), Ok(false), "{len}");
            // No `+`: nothing to decode, whether or not `+` is a space.
            assert_eq!(check("", true), Ok(false), "{len}");
            assert_eq!(check("x%41", false), Ok(true), "{len}");
            assert_eq!(check("%41%42", false), Ok(true), "{len}");
            assert_eq!(check("%41%42%43", true), Ok(true), "{len}");
            assert_eq!(check("x+", true), Ok(true), "{len}");
            assert_eq!(check("x+", false), Ok(false), "{len}");
            assert_eq!(check("++", true), Ok(true), "{len}");
            assert_eq!(check("++", false), Ok(false), "{len}");
            assert_eq!(check("%41+", true), Ok(true), "{len}");
            assert_eq!(check("%41+", false), Ok(true), "{len}");
            assert_eq!(check("a b", false), Err(Malformed::ValueOctet), "{len}");
            assert_eq!(check("a b c", false), Err(Malformed::ValueOctet), "{len}");
            assert_eq!(check("\"\"", true), Err(Malformed::ValueOctet), "{len}");
            assert_eq!(
                check("%41 %42 ", false),
                Err(Malformed::ValueOctet),
                "{len}"
            );
            // Where the bad `%` is, and what follows it.
            assert_eq!(check("%", false), Err(Malformed::Percent), "{len}");
            assert_eq!(check("%4", false), Err(Malformed::Percent), "{len}");
            assert_eq!(check("%4g", false), Err(Malformed::Percent), "{len}");
            assert_eq!(check("%g4", false), Err(Malformed::Percent), "{len}");
            assert_eq!(check("%41%", false), Err(Malformed::Percent), "{len}");
            assert_eq!(check("%41%4", false), Err(Malformed::Percent), "{len}");
            assert_eq!(check("%%41", false), Err(Malformed::Percent), "{len}");
            assert_eq!(check("x%41x%zz", false), Err(Malformed::Percent), "{len}");
            // The first problem is the one reported.
            assert_eq!(check("%zz ", false), Err(Malformed::Percent), "{len}");
            assert_eq!(check(" %zz", false), Err(Malformed::ValueOctet), "{len}");
        }
        // A `%` at the very start, and one whose digits are the last bytes.
        assert_eq!(check_value(b"%41", false), Ok(true));
        assert_eq!(check_value(b"%4", false), Err(Malformed::Percent));
        assert_eq!(check_value(b"abc%4F", false), Ok(true));
        assert_eq!(check_value(b"abc%4", false), Err(Malformed::Percent));
    }

    #[test]
    fn parses_members() {
        let m = parse_member("k \t= a=b ; p ; q = %41 ", false).unwrap();
        assert_eq!(
            (m.key, m.value(), m.properties),
            ("k", "a=b".into(), "p ; q = %41")
        );
        let m = parse_member("k=a%20b+c", true).unwrap();
        assert_eq!((m.key, m.value(), m.properties), ("k", "a b c".into(), ""));
        assert_eq!(parse_member("k=a%20b+c", false).unwrap().value(), "a b+c");
        assert_eq!(parse_member("k", false), Err(Malformed::NoEquals));
        assert_eq!(parse_member("k k=v", false), Err(Malformed::Key));
        assert_eq!(parse_member("=v", false), Err(Malformed::Key));
        assert_eq!(parse_member("k=v;", false), Err(Malformed::Property));
        assert_eq!(parse_member("k=v;p;;q", false), Err(Malformed::Property));
        assert_eq!(parse_member("k=v;p=%zz", false), Err(Malformed::Property));
        assert_eq!(parse_member("k=v;p q", false), Err(Malformed::Property));
    }

    #[test]
    fn a_token_right_before_the_first_equals_is_found_in_one_walk() {
        assert_eq!(token_then_equals("k=v"), Some(("k", "v")));
        assert_eq!(
            token_then_equals("app.user_id=a=b"),
            Some(("app.user_id", "a=b"))
        );
        assert_eq!(token_then_equals("k="), Some(("k", "")));
        assert_eq!(token_then_equals("k=v;p"), Some(("k", "v;p")));
        // anything else is left to the step-by-step split
        for other in ["k =v", "=v", "k", "k/x=v", "k\u{e9}=v", " k=v", "k;p=v", ""] {
            assert_eq!(token_then_equals(other), None, "{other:?}");
        }
        // and either way a member parses the same: the walk and the split
        // agree wherever the walk answers
        for (member, key, value, properties) in [
            ("k=v", "k", "v", ""),
            ("k \t=v", "k", "v", ""),
            ("k=v;p", "k", "v", "p"),
            ("k = v ;p", "k", "v", "p"),
            ("k=a=b", "k", "a=b", ""),
        ] {
            let m = parse_member(member, false).unwrap();
            assert_eq!(
                (m.key, &*m.value(), m.properties),
                (key, value, properties),
                "{member:?}"
            );
        }
        assert_eq!(parse_member("k\u{e9}=v", false), Err(Malformed::Key));
        assert_eq!(parse_member("k/x=v", false), Err(Malformed::Key));
        assert_eq!(parse_member("k=v v", false), Err(Malformed::ValueOctet));
    }

    /// The members of `text` as every member was once parsed: cut at each
    /// `,`, trimmed, the empty ones skipped, each parsed step by step.
    fn split_then_parse(text: &str, plus: bool) -> Vec<Result<Member<'_>, (Malformed, &str)>> {
        split_byte(text, b',')
            .map(trim_ows)
            .filter(|m| !m.is_empty())
            .map(|m| parse_member(m, plus).map_err(|why| (why, m)))
            .collect()
    }

    /// The usual member at the start of `text`, and where it ends.
    fn usual(text: &str, plus: bool) -> Option<(Member<'_>, usize)> {
        lanes::usual_member(text.as_bytes()).and_then(|found| usual_member(text, found, plus))
    }

    fn walked(text: &str, plus: bool) -> Vec<Result<Member<'_>, (Malformed, &str)>> {
        let mut members = Vec::new();
        each_list_member(text, plus, |m| members.push(m));
        members
    }

    #[test]
    fn the_one_walk_finds_the_members_the_split_finds() {
        // Pieces that start, end and break the usual member in every way
        // the walk tells apart: its key, its `=`, each class of value byte,
        // each way it ends.
        let pieces = [
            "",
            " ",
            "k=v",
            "app.user_id=12345678901",
            "k=",
            "k==",
            "k=a=b",
            "k=%41",
            "k=%4",
            "k=%zz",
            "k=a%2Cb",
            "k=a+b",
            "k=v;p",
            "k=v;p=1",
            "k=v;",
            "k = v",
            " k=v",
            "k=v ",
            "k=\tv",
            "k=v\t",
            "=v",
            "k",
            "k v=1",
            "k/x=v",
            "k=\"q\"",
            "k=a\\b",
            "k=\u{e9}",
            "k\u{e9}=v",
            "k=\u{7f}",
            "k=v\r\n",
            "k=",
            "k=0123456789abcdef0123456789abcdef0123456789",
            "k=%F0%9F%9A%80",
            // values around the edges of the walk's 16-byte steps, each
            // way a long one ends or breaks past them
            "k=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
            "k=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "k=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
            "k=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef;p",
            "k=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef x",
            "k=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef%zz",
            "k=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef%41+",
            "k=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\u{e9}",
            "k=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"",
            "k=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd%41",
            "k=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde%41",
            "k=%410123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef%42",
            "k=+0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef+",
        ];
        let mut checked = 0;
        for a in pieces {
            for b in pieces {
                for c in ["", ",", ", ", ",k2=2", ",,k2=%20"] {
                    let text = format!("{a},{b}{c}");
                    for plus in [false, true] {
                        assert_eq!(
                            walked(&text, plus),
                            split_then_parse(&text, plus),
                            "{text:?} plus={plus}"
                        );
                        checked += 1;
                    }
                    let alone = format!("{a}{c}");
                    assert_eq!(
                        walked(&alone, false),
                        split_then_parse(&alone, false),
                        "{alone:?}"
                    );
                }
            }
        }
        assert_eq!(checked, pieces.len() * pieces.len() * 5 * 2);
        // A value decoded in a buffer that is used again and again is the
        // value decoded on its own.
        let mut buffer = Vec::new();
        let mut decoded = 0;
        for a in pieces.iter().chain(&[
            "k=%41%42%43%44%45%46",
            "k=%F0%9F%9A%80",
            "k=%FF%41",
            "k=a+b%2B",
        ]) {
            for plus in [false, true] {
                for m in walked(a, plus).into_iter().flatten() {
                    decoded += usize::from(m.needs_decoding);
                    assert_eq!(m.value_in(&mut buffer), m.value(), "{a:?} plus={plus}");
                }
            }
        }
        assert!(decoded >= 10, "{decoded}");
        // and the walk does answer for the usual member: the key, the value
        // as it came, and whether it needs decoding
        let (m, len) = usual("app.tier=premium,next=1", false).unwrap();
        assert_eq!(
            (m.key, m.raw_value, m.needs_decoding, len),
            ("app.tier", "premium", false, 16)
        );
        let (m, len) = usual("k=a%2Cb+c", true).unwrap();
        assert_eq!(
            (m.key, &*m.value(), m.needs_decoding, len),
            ("k", "a,b c", true, 9)
        );
        // and for a long value, across steps
        let long = "k=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef,n=1";
        let (m, len) = usual(long, false).unwrap();
        assert_eq!(
            (m.key, m.raw_value.len(), m.needs_decoding, len),
            ("k", 128, false, 130)
        );
        let (m, _) = usual(
            "k=%410123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef%42",
            false,
        )
        .unwrap();
        assert_eq!((m.needs_decoding, m.value().len()), (true, 66));
        // a key may hold `%` and `+` (token bytes): they are not the
        // value's, which needs no decoding
        let (m, _) = usual("k%+=v", true).unwrap();
        assert_eq!((m.key, m.raw_value, m.needs_decoding), ("k%+", "v", false));
        let (m, _) = usual("k=a+c", false).unwrap();
        assert_eq!((&*m.value(), m.needs_decoding), ("a+c", false));
        for other in [
            "k =v",
            "k=v ",
            "k=v;p",
            "=v",
            "k",
            "k=%4",
            "k=%zz,x=1",
            " k=v",
            "k=\u{e9}",
        ] {
            assert!(usual(other, false).is_none(), "{other:?}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]

        /// The walk and the step-by-step parse agree on any header made of
        /// the grammar's pieces and of bytes outside it, with keys and
        /// values of every length around the walk's 16-byte steps.
        #[test]
        fn the_walk_agrees_with_the_step_by_step_parse(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(",".to_owned()),
                    proptest::strategy::Just("=".to_owned()),
                    proptest::strategy::Just(";".to_owned()),
                    proptest::strategy::Just(" ".to_owned()),
                    proptest::strategy::Just("\t".to_owned()),
                    proptest::strategy::Just("%".to_owned()),
                    proptest::strategy::Just("+".to_owned()),
                    "[a-z.]{1,40}",
                    "[!#$&'*+.^_`|~0-9A-Za-z-]{0,20}",
                    "[\\x21-\\x7e]{0,20}",
                    "%[0-9a-fA-F]{2}",
                    "%[0-9a-zA-Z]{0,2}",
                    "\\PC{0,3}",
                    "[\\x00-\\x20\\x7f]{1,2}",
                ],
                0..24,
            ),
            plus in proptest::bool::ANY,
        ) {
            let text = parts.concat();
            proptest::prop_assert_eq!(walked(&text, plus), split_then_parse(&text, plus));
        }
    }

    #[test]
    fn checks_properties() {
        assert_eq!(check_properties(""), Ok(()));
        assert_eq!(check_properties("a;b=1;c = x=y"), Ok(()));
        assert_eq!(check_properties("a,b"), Err(Malformed::Property));
        assert_eq!(check_properties("a=1\r\nx: y"), Err(Malformed::Property));
    }
}
