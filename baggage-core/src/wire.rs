//! The W3C `baggage` header encoding that limits are measured in.
//!
//! The propagator writes only the RFC 3986 unreserved bytes
//! (`A-Z a-z 0-9 - _ . ~`) of a value raw and percent-encodes every other
//! byte as `%XX` (upper-case hex). Every peer SDK (Rust, Python, JavaScript,
//! Go, Java) decodes that correctly, which is not true of any looser
//! encoding. The size limits of [`crate::limits`] are measured on this
//! encoded form, as the W3C specification measures them.

/// Returns `true` for a byte that a value carries raw on the wire.
///
/// ```
/// use typed_baggage::wire::is_unreserved;
/// assert!(is_unreserved(b'a') && is_unreserved(b'~'));
/// assert!(!is_unreserved(b' ') && !is_unreserved(b'+') && !is_unreserved(b'%'));
/// ```
#[inline]
pub const fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~')
}

/// The number of bytes `value` takes on the wire once percent-encoded.
///
/// ```
/// use typed_baggage::wire::encoded_len;
/// assert_eq!(encoded_len("us-west"), 7);
/// assert_eq!(encoded_len("a b"), 5); // a%20b
/// assert_eq!(encoded_len("é"), 6); // %C3%A9
/// ```
#[inline]
pub fn encoded_len(value: &str) -> usize {
    value
        .bytes()
        .map(|b| if is_unreserved(b) { 1 } else { 3 })
        .sum()
}

/// Percent-encodes `value` for the wire, appending to `out`.
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

/// Returns `true` if `key` is a valid baggage key: a non-empty RFC 7230
/// `token` (visible ASCII except the separators `(),/:;<=>?@[\]{}"`).
///
/// ```
/// use typed_baggage::wire::is_valid_key;
/// assert!(is_valid_key("app.user_id"));
/// assert!(!is_valid_key("user id") && !is_valid_key("") && !is_valid_key("a/b"));
/// ```
pub const fn is_valid_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    if bytes.is_empty() {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if !is_tchar(bytes[i]) {
            return false;
        }
        i += 1;
    }
    true
}

/// RFC 7230 `tchar`.
#[inline]
pub(crate) const fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// The bytes one list-member `key=value;metadata` takes in the header.
#[inline]
pub(crate) fn member_len(key: &str, value: &str, metadata: &str) -> usize {
    let meta = if metadata.is_empty() {
        0
    } else {
        1 + metadata.len()
    };
    key.len() + 1 + encoded_len(value) + meta
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
    fn member_len_counts_separators() {
        assert_eq!(member_len("k", "v", ""), 3);
        assert_eq!(member_len("k", "v", "p=1"), 7);
        assert_eq!(member_len("k", "", ""), 2);
    }
}
