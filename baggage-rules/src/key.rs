//! Baggage keys: an RFC 7230 `token`.
//!
//! The W3C baggage grammar's `key` is a `token`: one or more `tchar`s, the
//! visible ASCII bytes except the separators `(),/:;<=>?@[\]{}"`.

/// What a message says a key may hold.
pub const TOKEN_HELP: &str = "a baggage key must be an RFC 7230 token: ASCII letters, digits and ! # $ % & ' * + - . ^ _ ` | ~";

/// RFC 7230 `tchar`.
///
/// ```
/// use baggage_rules::key::is_tchar;
/// assert!(is_tchar(b'a') && is_tchar(b'~') && is_tchar(b'%'));
/// assert!(!is_tchar(b'=') && !is_tchar(b' ') && !is_tchar(0xC3));
/// ```
#[inline]
pub const fn is_tchar(b: u8) -> bool {
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

/// The first character of `key` that a token may not hold, if any (an
/// empty key has none, and is still no token: see [`is_valid_key`]).
///
/// ```
/// use baggage_rules::key::first_invalid_char;
/// assert_eq!(first_invalid_char("user id"), Some(' '));
/// assert_eq!(first_invalid_char("ré"), Some('é'));
/// assert_eq!(first_invalid_char("app.user_id"), None);
/// ```
pub fn first_invalid_char(key: &str) -> Option<char> {
    key.chars().find(|&c| !(c.is_ascii() && is_tchar(c as u8)))
}

/// `true` if `key` is a valid baggage key: a non-empty RFC 7230 token.
///
/// ```
/// use baggage_rules::key::is_valid_key;
/// assert!(is_valid_key("app.user_id"));
/// assert!(!is_valid_key("user id") && !is_valid_key("") && !is_valid_key("a/b"));
/// ```
pub const fn is_valid_key(key: &str) -> bool {
    let mut rest = key.as_bytes();
    if rest.is_empty() {
        return false;
    }
    while let [byte, tail @ ..] = rest {
        if !is_tchar(*byte) {
            return false;
        }
        rest = tail;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tchar_is_the_rfc_list() {
        let expected: Vec<u8> = (0u8..=0xff)
            .filter(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b))
            .collect();
        let got: Vec<u8> = (0u8..=0xff).filter(|&b| is_tchar(b)).collect();
        assert_eq!(got, expected);
        assert_eq!(got.len(), 26 + 26 + 10 + 15);
    }

    #[test]
    fn keys_and_first_invalid_char_agree() {
        for key in [
            "a",
            "app.user_id",
            "a b",
            "",
            "é",
            "x=y",
            "k\t",
            "!#$%&'*+-.^_`|~09azAZ",
        ] {
            assert_eq!(
                is_valid_key(key),
                !key.is_empty() && first_invalid_char(key).is_none(),
                "{key:?}"
            );
        }
        assert_eq!(first_invalid_char("a(b"), Some('('));
    }
}
