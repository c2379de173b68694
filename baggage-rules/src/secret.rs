//! Names that look like secrets or direct personal identifiers.
//!
//! The rule, which the crate documentation of `typed-baggage` repeats. The
//! derive applies it to every field name and declared key and to prefixes;
//! the runtime applies it, at compile time, to every key a schema
//! flattened under a site prefix resolves to ([`find`] is a `const fn`).
//!
//! 1. A name is split into word parts: at every character that is not an
//!    ASCII letter or digit (`_`, `-`, `.`, ...); at every lower-case or
//!    digit to upper-case step (`userPassword` is `user`, `Password`);
//!    before the last capital of a capital run followed by a lower-case
//!    letter (`APIKey` is `API`, `Key`); and between letters and digits
//!    (`cvv2` is `cvv`, `2`). Parts are compared in lower case.
//! 2. The name looks like a secret if one part, or two or three adjacent
//!    parts written together, is one of [`TERMS`] or one of them with a
//!    plural `s`. A digit in such a window may stand for the letter it
//!    looks like (`0` for `o`, `1` for `i` or `l`, `3` for `e`, `4` for `a`,
//!    `5` for `s`, `7` for `t`): `passw0rd` and `t0ken` match.
//!
//! `x-api-key`, `apiKey2`, `STRIPE_TOKEN`, `date_of_birth` and a flattened
//! `api.` + `key` match; `tokenizer_version`, `author`, `pinned`,
//! `session_id`, `ip_version` and `emailer_queue` do not, since no window
//! of parts is a term (`tokenizer` is not `token`, `pinned` is not `pin`).

/// The words, each written without separators: credentials and keys, then
/// personal identifiers.
pub const TERMS: &[&str] = &[
    // credentials, keys, tokens
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "passcode",
    "pin",
    "secret",
    "token",
    "jwt",
    "bearer",
    "otp",
    "totp",
    "mfacode",
    "apikey",
    "accesskey",
    "privatekey",
    "privkey",
    "secretkey",
    "signingkey",
    "hmackey",
    "credential",
    "auth",
    "authorization",
    "cookie",
    "sessiontoken",
    // payment
    "creditcard",
    "cardnumber",
    "cvv",
    "cvc",
    "iban",
    // personal identifiers
    "ssn",
    "socialsecuritynumber",
    "passport",
    "email",
    "phonenumber",
    "dateofbirth",
    "birthdate",
    "dob",
    "ipaddress",
    "ipaddr",
    "fullname",
    "firstname",
    "lastname",
];

/// The most parts a window of adjacent parts may join.
const WINDOW: usize = 3;

/// The byte `i` of a name given as two pieces written one after the other
/// (a key and the prefix it is resolved under).
#[allow(clippy::indexing_slicing)] // `i` is below the total length, checked by every caller
const fn at(name: (&[u8], &[u8]), i: usize) -> u8 {
    if i < name.0.len() {
        name.0[i]
    } else {
        name.1[i - name.0.len()]
    }
}

const fn len(name: (&[u8], &[u8])) -> usize {
    name.0.len() + name.1.len()
}

/// The byte `i`, or 0 past the end.
const fn at_or_0(name: (&[u8], &[u8]), i: usize) -> u8 {
    if i < len(name) {
        at(name, i)
    } else {
        0
    }
}

/// `true` if a part boundary falls before byte `i` (both bytes `i - 1` and
/// `i` being letters or digits).
const fn boundary_before(name: (&[u8], &[u8]), i: usize) -> bool {
    let (prev, cur, next) = (at(name, i - 1), at(name, i), at_or_0(name, i + 1));
    (prev.is_ascii_digit() != cur.is_ascii_digit())
        || ((prev.is_ascii_lowercase() || prev.is_ascii_digit()) && cur.is_ascii_uppercase())
        || (prev.is_ascii_uppercase() && cur.is_ascii_uppercase() && next.is_ascii_lowercase())
}

/// The part that starts at or after byte `from`: `(start, end)`.
const fn next_part(name: (&[u8], &[u8]), from: usize) -> Option<(usize, usize)> {
    let n = len(name);
    let mut start = from;
    while start < n && !at(name, start).is_ascii_alphanumeric() {
        start += 1;
    }
    if start >= n {
        return None;
    }
    let mut end = start + 1;
    while end < n && at(name, end).is_ascii_alphanumeric() && !boundary_before(name, end) {
        end += 1;
    }
    Some((start, end))
}

/// `true` if the name's byte `c` reads as the term's (lower-case) byte `t`.
const fn reads_as(c: u8, t: u8) -> bool {
    let c = c.to_ascii_lowercase();
    c == t
        || match c {
            b'0' => t == b'o',
            b'1' => t == b'i' || t == b'l',
            b'3' => t == b'e',
            b'4' => t == b'a',
            b'5' => t == b's',
            b'7' => t == b't',
            _ => false,
        }
}

/// `true` if the parts `parts[..count]`, written together, are `term` or
/// `term` with a plural `s`.
#[allow(clippy::indexing_slicing)] // indexes below `count <= WINDOW` and the term's length
const fn window_is(
    name: (&[u8], &[u8]),
    parts: &[(usize, usize); WINDOW],
    count: usize,
    term: &[u8],
) -> bool {
    let mut total = 0;
    let mut p = 0;
    while p < count {
        total += parts[p].1 - parts[p].0;
        p += 1;
    }
    let plural = total == term.len() + 1;
    if total != term.len() && !plural {
        return false;
    }
    let mut j = 0;
    let mut p = 0;
    while p < count {
        let mut i = parts[p].0;
        while i < parts[p].1 {
            let c = at(name, i);
            let ok = if j < term.len() {
                reads_as(c, term[j])
            } else {
                reads_as(c, b's')
            };
            if !ok {
                return false;
            }
            i += 1;
            j += 1;
        }
        p += 1;
    }
    true
}

/// The first window of parts of `name` (given as two pieces written one
/// after the other) that is a term: the byte range `(start, end)` it covers
/// in the name. `None` if the name does not look like a secret.
///
/// ```
/// use baggage_rules::secret::find;
/// assert_eq!(find((b"api.", b"key")), Some((0, 7)));
/// assert_eq!(find((b"", b"user_id")), None);
/// ```
#[allow(clippy::indexing_slicing)] // indexes below WINDOW and TERMS.len()
pub const fn find(name: (&[u8], &[u8])) -> Option<(usize, usize)> {
    // The last WINDOW parts, the newest last.
    let mut parts = [(0usize, 0usize); WINDOW];
    let mut have = 0;
    let mut from = 0;
    while let Some(part) = next_part(name, from) {
        from = part.1;
        if have == WINDOW {
            parts[0] = parts[1];
            parts[1] = parts[2];
            have -= 1;
        }
        parts[have] = part;
        have += 1;
        // Every window that ends with this part, the longest first (so
        // `session_token` quotes `session token`, not `token`).
        let mut size = have;
        while size >= 1 {
            let mut window = [(0usize, 0usize); WINDOW];
            let mut k = 0;
            while k < size {
                window[k] = parts[have - size + k];
                k += 1;
            }
            let mut t = 0;
            while t < TERMS.len() {
                if window_is(name, &window, size, TERMS[t].as_bytes()) {
                    return Some((window[0].0, window[size - 1].1));
                }
                t += 1;
            }
            size -= 1;
        }
    }
    None
}

/// The words of `name` that make it look like a secret, in lower case and
/// separated by spaces (a digit part stays with its neighbours:
/// `passw0rd`), if any: what an error message quotes.
pub fn matches(name: &str) -> Option<String> {
    let bytes = (name.as_bytes(), &b""[..]);
    let (start, end) = find(bytes)?;
    let mut out = String::new();
    let mut from = start;
    let mut last_end = start;
    while let Some((s, e)) = next_part(bytes, from).filter(|&(s, _)| s < end) {
        let text = name.get(s..e).unwrap_or_default().to_ascii_lowercase();
        // A digit part stays with its neighbour (`passw0rd`); other
        // parts are words of their own.
        let digit = |i: usize| name.as_bytes().get(i).is_some_and(u8::is_ascii_digit);
        let joined = s == last_end && s != start && (digit(s) || digit(s - 1));
        if !out.is_empty() && !joined {
            out.push(' ');
        }
        out.push_str(&text);
        last_end = e;
        from = e;
    }
    Some(out)
}

/// The word parts of `name`, in lower case.
pub fn parts(name: &str) -> Vec<String> {
    let bytes = (name.as_bytes(), &b""[..]);
    let mut out = Vec::new();
    let mut from = 0;
    while let Some((s, e)) = next_part(bytes, from) {
        out.push(name.get(s..e).unwrap_or_default().to_ascii_lowercase());
        from = e;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_into_word_parts() {
        assert_eq!(parts("userPassword"), ["user", "password"]);
        assert_eq!(parts("x-api-key"), ["x", "api", "key"]);
        assert_eq!(parts("STRIPE_TOKEN"), ["stripe", "token"]);
        assert_eq!(parts("APIKey"), ["api", "key"]);
        assert_eq!(parts("app.user_id"), ["app", "user", "id"]);
        assert_eq!(parts("oauth2Token"), ["oauth", "2", "token"]);
        assert_eq!(parts("cvv2"), ["cvv", "2"]);
        assert_eq!(parts("__"), Vec::<String>::new());
        assert_eq!(parts("é-token"), ["token"]);
    }

    /// The names that must be caught, and the words the message quotes.
    const CAUGHT: &[(&str, &str)] = &[
        ("password", "password"),
        ("userPassword", "password"),
        ("user_passwd", "passwd"),
        ("db-secret", "secret"),
        ("STRIPE_TOKEN", "token"),
        ("refresh_tokens", "tokens"),
        ("x-api-key", "api key"),
        ("apiKey", "api key"),
        ("APIKEY", "apikey"),
        ("aws_access_key", "access key"),
        ("private_key_pem", "private key"),
        ("credentials", "credentials"),
        ("auth", "auth"),
        ("app.auth.method", "auth"),
        ("Authorization", "authorization"),
        ("cookie", "cookie"),
        ("session_token", "session token"),
        ("credit_card", "credit card"),
        ("creditCardNumber", "credit card"),
        ("card_number", "card number"),
        ("cvv", "cvv"),
        ("payer.iban", "iban"),
        ("customer_ssn", "ssn"),
        ("SSN", "ssn"),
        // digits as a suffix or in place of a letter
        ("cvv2", "cvv"),
        ("apiKey2", "api key"),
        ("password2", "password"),
        ("token1", "token"),
        ("passw0rd", "passw0rd"),
        ("t0ken", "t0ken"),
        ("s3cret", "s3cret"),
        ("p4ssword", "p4ssword"),
        ("pa55word", "pa55word"),
        ("7oken", "7oken"),
        ("p1n", "p1n"),
        ("credentia1", "credentia1"),
        // synonyms
        ("pwd", "pwd"),
        ("passcode", "passcode"),
        ("pin", "pin"),
        ("card_pin", "pin"),
        ("otp", "otp"),
        ("mfa_code", "mfa code"),
        ("jwt", "jwt"),
        ("bearer", "bearer"),
        ("cvc", "cvc"),
        ("privkey", "privkey"),
        ("signing_key", "signing key"),
        ("hmac_key", "hmac key"),
        // personal identifiers
        ("email", "email"),
        ("user.email", "email"),
        ("emails", "emails"),
        ("phone_number", "phone number"),
        ("date_of_birth", "date of birth"),
        ("ip_address", "ip address"),
        ("passport_number", "passport"),
        ("social_security_number", "social security number"),
        ("full_name", "full name"),
        // keys composed at a flatten site
        ("api.key", "api key"),
        ("pass.word", "pass word"),
        ("credit.card", "credit card"),
    ];

    /// Innocent look-alikes that must not be caught.
    const ALLOWED: &[&str] = &[
        "tokenizer_version",
        "tokenizer",
        "author",
        "authored_by",
        "user_id",
        "app.tier",
        "passage",
        "secretary",
        "cookiecutter_template",
        "card_count",
        "key_id",
        "region",
        "is_premium",
        "session_id",
        "oauth_provider",
        "access_level",
        "creditor",
        "pinned",
        "spinner",
        "ip_version",
        "emailer_queue",
        "phone_model",
        "birth_year_bucket",
        "full_text",
        "oauth2_provider",
        "sha256",
        "http2",
        "k8s_namespace",
        "s3_bucket",
        "utf8",
    ];

    #[test]
    fn catches_secrets_and_personal_identifiers() {
        for &(name, words) in CAUGHT {
            assert_eq!(matches(name).as_deref(), Some(words), "{name}");
        }
    }

    #[test]
    fn leaves_innocent_words_alone() {
        for &name in ALLOWED {
            assert_eq!(matches(name), None, "{name} should not be flagged");
        }
    }

    #[test]
    fn two_pieces_read_as_one_name() {
        assert_eq!(find((b"api.", b"key")), Some((0, 7)));
        assert_eq!(find((b"pass", b"word")), Some((0, 8)));
        assert_eq!(find((b"credit.", b"card")), Some((0, 11)));
        assert_eq!(find((b"app.", b"user_id")), None);
        assert_eq!(find((b"", b"")), None);
        // The same answer for every split of a name.
        for &(name, _) in CAUGHT {
            for cut in 0..=name.len() {
                let (a, b) = name.as_bytes().split_at(cut);
                assert!(find((a, b)).is_some(), "{name} cut at {cut}");
            }
        }
        for &name in ALLOWED {
            for cut in 0..=name.len() {
                let (a, b) = name.as_bytes().split_at(cut);
                assert_eq!(find((a, b)), None, "{name} cut at {cut}");
            }
        }
    }

    #[test]
    fn usable_at_compile_time() {
        const HIT: Option<(usize, usize)> = find((b"payer.", b"cvv2"));
        assert_eq!(HIT, Some((6, 9)));
    }
}
