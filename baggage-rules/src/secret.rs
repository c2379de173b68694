//! Names that look like secrets or direct personal identifiers.
//!
//! The rule, which the crate documentation of `typed-baggage` repeats. The
//! derive applies it to every field name and declared key.
//!
//! 1. A name (the Rust field name, and separately the whole wire key, prefix
//!    included) is split into word parts: at every character that is not an
//!    ASCII letter or digit (`_`, `-`, `.`, ...), at every lower-case or digit
//!    to upper-case step (`userPassword` is `user`, `Password`), and before
//!    the last capital of a capital run followed by a lower-case letter
//!    (`APIKey` is `API`, `Key`). Parts are compared in lower case.
//! 2. The name looks like a secret if one part, or two adjacent parts written
//!    together, is one of [`TERMS`] or one of them with a plural `s`.
//!    `x-api-key` matches (`api` + `key` is `apikey`), `STRIPE_TOKEN` matches
//!    (`token`); `tokenizer_version` and `author` do not, since no part is a
//!    term (`tokenizer` is not `token`, `author` is not `auth`).

/// The words, each written without separators.
pub const TERMS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "privatekey",
    "secretkey",
    "credential",
    "auth",
    "authorization",
    "cookie",
    "sessiontoken",
    "creditcard",
    "cardnumber",
    "cvv",
    "iban",
    "ssn",
];

/// The word parts of `name`, in lower case.
pub fn parts(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut parts = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                parts.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_ascii_uppercase() && !current.is_empty() {
            let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
            let next = chars.get(i + 1).copied();
            let after_lower = prev.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit());
            let run_end = prev.is_some_and(|p| p.is_ascii_uppercase())
                && next.is_some_and(|n| n.is_ascii_lowercase());
            if after_lower || run_end {
                parts.push(std::mem::take(&mut current));
            }
        }
        current.push(c.to_ascii_lowercase());
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

/// The term `word` is, alone or with a plural `s`.
fn is_term(word: &str) -> Option<&'static str> {
    TERMS
        .iter()
        .copied()
        .find(|t| word == *t || word.strip_suffix('s') == Some(*t))
}

/// The term `name` matches, with the parts that make it up, if any.
pub fn matches(name: &str) -> Option<String> {
    let parts = parts(name);
    for (i, part) in parts.iter().enumerate() {
        if is_term(part).is_some() {
            return Some(part.clone());
        }
        if let Some(next) = parts.get(i + 1) {
            let joined = format!("{part}{next}");
            if is_term(&joined).is_some() {
                return Some(format!("{part} {next}"));
            }
        }
    }
    None
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
        assert_eq!(parts("oauth2Token"), ["oauth2", "token"]);
        assert_eq!(parts("__"), Vec::<String>::new());
    }

    #[test]
    fn flags_secrets_in_any_case_and_separator() {
        let flagged = [
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
        ];
        for (name, part) in flagged {
            assert_eq!(matches(name).as_deref(), Some(part), "{name}");
        }
    }

    #[test]
    fn leaves_innocent_words_alone() {
        for name in [
            "tokenizer_version",
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
        ] {
            assert_eq!(matches(name), None, "{name} should not be flagged");
        }
    }
}
