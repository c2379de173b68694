//! A schema as JSON Schema over the baggage entries, for services in other
//! languages: an object whose properties are the keys, each value a string
//! with the pattern (or the list of words) its text must match, as decoded
//! by the service's OpenTelemetry SDK.
//!
//! The patterns use only what Python's `re` and ECMAScript regular
//! expressions (`ajv`, with its default `u` flag) read alike: explicit
//! character classes (`[0-9]`, never `\d`, which is Unicode in Python), no
//! `$` (Python's matches before a final newline; the end is
//! `(?![\s\S])`) and no inline flags.
//!
//! What JSON Schema cannot say, and so is not checked here: a signature's
//! MAC (only that the signature entry is present), a float too large for
//! its type (`1e400` as an `f64`: the pattern is the syntax of a number),
//! an integer range that does not start at 0 or below (no Rust type has one),
//! a custom format (`#[baggage(with = ...)]`, `#[baggage(from_str)]`: any
//! string), and a list of lists (any string).

use baggage_core::schema::document::{FormatDoc, SchemaDoc};
use baggage_core::schema::Requirement;
use serde_json::{json, Map, Value};

/// The JSON Schema (draft 7) of the entries of `schema`: a received
/// baggage, as a JSON object of its keys and decoded values, is valid when
/// the schema's reader reads it.
pub fn entries_schema(schema: &SchemaDoc) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for e in &schema.entries {
        let mut property = value_schema(&e.format, e.max_len, e.max_item_len);
        if let Some(obj) = property.as_object_mut() {
            obj.insert(
                "description".to_owned(),
                Value::String(format!("{} `{}`: {}", schema.name, e.field, e.expected)),
            );
        }
        properties.insert(e.key.clone(), property);
        if e.requirement == Requirement::Required {
            required.push(Value::String(e.key.clone()));
        }
    }
    if let Some(sig) = &schema.signature {
        properties.insert(
            sig.key.clone(),
            json!({
                "type": "string",
                "pattern": anchored(r"v1\.[\s\S]+"),
                "description": "the schema's signature: present and well formed here; verify its MAC with the key ring",
            }),
        );
        required.push(Value::String(sig.key.clone()));
    }
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": format!("{} (baggage entries)", schema.name),
        "description": schema.doc,
        "type": "object",
        "properties": properties,
        "required": required,
    })
}

/// The schema of one entry value.
fn value_schema(format: &FormatDoc, max_len: Option<usize>, max_item_len: Option<usize>) -> Value {
    match format {
        FormatDoc::Text => match max_len {
            Some(n) => json!({ "type": "string", "maxLength": n }),
            None => json!({ "type": "string" }),
        },
        FormatDoc::Enum { variants } => json!({ "type": "string", "enum": variants }),
        FormatDoc::List { element } => match list_pattern(element, max_len, max_item_len) {
            Some(p) => json!({ "type": "string", "pattern": anchored(&p) }),
            None => json!({ "type": "string" }),
        },
        other => match scalar_pattern(other) {
            Some(p) => json!({ "type": "string", "pattern": anchored(&p) }),
            None => json!({ "type": "string" }),
        },
    }
}

/// `pattern` matching a whole string, alike in Python and ECMAScript.
fn anchored(pattern: &str) -> String {
    format!(r"^(?:{pattern})(?![\s\S])")
}

/// The pattern of a scalar value, if the format has one.
fn scalar_pattern(format: &FormatDoc) -> Option<String> {
    Some(match format {
        FormatDoc::Bool => "[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]".to_owned(),
        FormatDoc::Integer { min, max } => integer_pattern(*min, *max)?,
        // Rust's float syntax: an optional sign, then `inf`, `infinity` or
        // `nan` in any case, or digits with an optional point and exponent.
        FormatDoc::Float { .. } => concat!(
            r"[+-]?(?:[Ii][Nn][Ff](?:[Ii][Nn][Ii][Tt][Yy])?|[Nn][Aa][Nn]",
            r"|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[Ee][+-]?[0-9]+)?)"
        )
        .to_owned(),
        FormatDoc::Char => r"[\s\S]".to_owned(),
        FormatDoc::Text => r"[\s\S]*".to_owned(),
        FormatDoc::Enum { variants } => variants
            .iter()
            .map(|v| escape(v))
            .collect::<Vec<_>>()
            .join("|"),
        _ => return None,
    })
}

/// The pattern of a list value: elements joined with `,`, each with `%`
/// and `,` escaped as `%25` and `%2C`; the empty text is the empty list and
/// `%00` a list of one empty element.
fn list_pattern(
    element: &FormatDoc,
    max_len: Option<usize>,
    max_item_len: Option<usize>,
) -> Option<String> {
    // One element as written in the list.
    let one = match element {
        FormatDoc::Text => {
            let unit = r"[^%,]|%25|%2[Cc]";
            match max_item_len {
                Some(n) => format!("(?:{unit}){{0,{n}}}"),
                None => format!("(?:{unit})*"),
            }
        }
        FormatDoc::Char => r"(?:[^%,]|%25|%2[Cc])".to_owned(),
        FormatDoc::Enum { variants } => variants
            .iter()
            .map(|v| escape_element(v))
            .collect::<Vec<_>>()
            .join("|"),
        FormatDoc::List { .. } | FormatDoc::Custom { .. } => return None,
        // Numbers and booleans hold no `%` or `,`.
        other => scalar_pattern(other)?,
    };
    // A list of one empty element, where an element may be empty.
    let empty_element_reads = match element {
        FormatDoc::Text => true,
        FormatDoc::Enum { variants } => variants.iter().any(String::is_empty),
        _ => false,
    };
    let more = match max_len {
        Some(0) => return Some(String::new()),
        Some(n) => format!("{{0,{}}}", n - 1),
        None => "*".to_owned(),
    };
    let mut alternatives = vec![String::new(), format!("(?:{one})(?:,(?:{one})){more}")];
    if empty_element_reads {
        alternatives.push("%00".to_owned());
    }
    Some(alternatives.join("|"))
}

/// A word as a regular expression: every character that means something
/// in a pattern outside a class escaped (and no other: ECMAScript's `u`
/// mode refuses needless escapes such as `\-`).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if r"\^$.|?*+()[]{}".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A word as an element of a list: `%` and `,` escaped as the list writes them.
fn escape_element(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            ',' => out.push_str("%2[Cc]"),
            c => out.push_str(&escape(c.encode_utf8(&mut [0; 4]))),
        }
    }
    out
}

/// The text of an integer from `min` to `max` as Rust reads it: an optional
/// `+` (or `-` when `min` is negative), then ASCII digits, leading zeros
/// allowed.
pub(crate) fn integer_pattern(min: i128, max: u128) -> Option<String> {
    // Every Rust integer type starts at 0 or below; a range above 0 is not
    // one this crate writes.
    if min > 0 {
        return None;
    }
    let mut pattern = format!(r"\+?0*(?:{})", up_to(&max.to_string()));
    if min < 0 {
        // -|min| to -0.
        pattern.push_str(&format!(
            "|-0*(?:{})",
            up_to(&min.unsigned_abs().to_string())
        ));
    }
    Some(pattern)
}

/// Numbers from 0 to `n` (its decimal digits), without leading zeros
/// (`0` itself is one digit).
fn up_to(n: &str) -> String {
    let digits: Vec<u8> = n.bytes().map(|b| b - b'0').collect();
    let k = digits.len();
    let mut alternatives = Vec::new();
    // Shorter numbers.
    if k > 1 {
        alternatives.push("[0-9]".to_owned());
        for len in 2..k {
            alternatives.push(format!("[1-9][0-9]{{{}}}", len - 1));
        }
    }
    // As many digits as n: n's first i digits, then a smaller digit, then any.
    for i in 0..k {
        let low = if i == 0 && k > 1 { 1 } else { 0 };
        let d = digits[i];
        if d > low {
            let prefix: String = digits[..i].iter().map(|d| char::from(b'0' + d)).collect();
            let class = if d - 1 == low {
                char::from(b'0' + low).to_string()
            } else {
                format!("[{}-{}]", low, d - 1)
            };
            let rest = k - i - 1;
            let tail = match rest {
                0 => String::new(),
                1 => "[0-9]".to_owned(),
                r => format!("[0-9]{{{r}}}"),
            };
            alternatives.push(format!("{prefix}{class}{tail}"));
        }
    }
    alternatives.push(n.to_owned());
    alternatives.join("|")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(pattern: &str) -> regex::Regex {
        // The regex crate has no lookaround: the patterns' end anchor is
        // written for Python and ECMAScript, so test the body with `$`.
        regex::Regex::new(&format!("^(?:{pattern})$")).expect("a valid pattern")
    }

    #[test]
    fn up_to_reads_exactly_the_numbers_up_to_n() {
        for n in [
            0u32, 1, 9, 10, 19, 20, 99, 100, 101, 255, 1000, 65535, 90210,
        ] {
            let re = full(&up_to(&n.to_string()));
            for v in 0..=(n + 1100) {
                assert_eq!(re.is_match(&v.to_string()), v <= n, "{v} against 0..={n}");
            }
            assert!(!re.is_match("00"), "no leading zero");
            assert!(!re.is_match(""));
        }
        let re = full(&up_to(&u128::MAX.to_string()));
        assert!(re.is_match(&u128::MAX.to_string()));
        assert!(re.is_match(&(u128::MAX - 1).to_string()));
        assert!(!re.is_match("340282366920938463463374607431768211456"));
    }

    /// The integer patterns without their lookahead (the regex crate has
    /// none): the unsigned and negative alternatives, each against Rust's
    /// own parse, over every i8, u8 and i16 text and some that are not.
    #[test]
    fn integer_patterns_agree_with_rust() {
        let texts: Vec<String> = (-70_000i64..70_000)
            .step_by(7)
            .map(|v| v.to_string())
            .chain((-300i64..300).map(|v| v.to_string()))
            .chain((-300i64..300).map(|v| format!("+{v}")))
            .chain((0..300).map(|v| format!("00{v}")))
            .chain((0..300).map(|v| format!("-00{v}")))
            .chain(["", "+", "-", "-0", "+0", "1 ", " 1", "1e3", "0x10", "١٢"].map(str::to_owned))
            .collect();
        fn check<T: std::str::FromStr>(min: i128, max: u128, texts: &[String]) {
            let re = full(&integer_pattern(min, max).expect("a pattern"));
            for t in texts {
                assert_eq!(
                    re.is_match(t),
                    t.parse::<T>().is_ok(),
                    "{t:?} against {min}..={max}"
                );
            }
        }
        check::<u8>(0, 255, &texts);
        check::<i8>(-128, 127, &texts);
        check::<u16>(0, 65535, &texts);
        check::<i16>(-32768, 32767, &texts);
        check::<u64>(0, u64::MAX.into(), &texts);
        check::<i64>(i64::MIN.into(), i64::MAX as u128, &texts);
    }

    #[test]
    fn float_pattern_agrees_with_rust_syntax() {
        let re = full(&scalar_pattern(&FormatDoc::Float { bits: 64 }).unwrap());
        for t in [
            "0",
            "1",
            "-1",
            "+1",
            "1.",
            ".5",
            "-.5",
            "1.5e3",
            "1E-3",
            "1e+3",
            "inf",
            "-inf",
            "+Infinity",
            "INFINITY",
            "NaN",
            "nan",
            "-nan",
            "0.1",
            "1e400",
            "",
            ".",
            "e3",
            "1e",
            "1.5.2",
            "infin",
            "nana",
            "0x1p3",
            " 1",
            "1 ",
            "1_000",
            "١",
            "++1",
            "1e3.5",
        ] {
            assert_eq!(re.is_match(t), t.parse::<f64>().is_ok(), "{t:?}");
        }
    }

    #[test]
    fn list_patterns() {
        let ints = list_pattern(&FormatDoc::Integer { min: 0, max: 255 }, Some(3), None).unwrap();
        let re = full(&ints);
        for (t, ok) in [
            ("", true),
            ("1", true),
            ("1,2,255", true),
            ("1,2,3,4", false),
            ("256", false),
            ("1,,2", false),
            ("%00", false),
            ("1%2C2", false),
        ] {
            assert_eq!(re.is_match(t), ok, "{t:?}");
        }
        let texts = list_pattern(&FormatDoc::Text, None, Some(2)).unwrap();
        let re = full(&texts);
        for (t, ok) in [
            ("", true),
            ("%00", true),
            ("ab,cd", true),
            ("abc", false),
            ("a%2Cb", false),
            ("%2C%25", true),
            ("a%2cb", false),
            ("%2c", true),
            ("a%zz", false),
            ("100%", false),
        ] {
            assert_eq!(re.is_match(t), ok, "{t:?}");
        }
    }
}
