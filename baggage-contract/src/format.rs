//! Which written formats a reader's format accepts, and what a format is
//! called in a report. The one place that knows how each wire format reads
//! another's text.

use baggage_core::schema::document::FormatDoc;
use baggage_core::BaggageValue;

/// Why a reader's format does not accept every value of a writer's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Mismatch {
    /// Some written values do not read (the reason, in words).
    Format(String),
    /// Enum variants the writer may send that the reader does not know.
    Variants(Vec<String>),
    /// A format known only by its description on one side: nothing can be
    /// said of it.
    Unverifiable(String),
}

/// The largest integer every value up to which a float of `bits` bits holds exactly.
fn exact_float_integer(bits: u8) -> u128 {
    if bits >= 64 {
        1 << 53
    } else {
        1 << 24
    }
}

/// Whether a reader of format `reader` reads every value a writer of format
/// `writer` writes.
pub(crate) fn accepts(reader: &FormatDoc, writer: &FormatDoc) -> Result<(), Mismatch> {
    use FormatDoc as F;
    match (reader, writer) {
        (F::Custom { expected: r }, F::Custom { expected: w }) if r == w => Ok(()),
        (F::Custom { .. }, _) | (_, F::Custom { .. }) if !matches!(reader, F::Text) => {
            Err(Mismatch::Unverifiable(format!(
                "a custom format cannot be compared: {} written, {} read",
                describe(writer),
                describe(reader)
            )))
        }
        (F::List { element: r }, F::List { element: w }) => accepts(r, w).map_err(|m| match m {
            Mismatch::Format(why) => Mismatch::Format(format!("list elements: {why}")),
            other => other,
        }),
        (F::List { .. }, _) => Err(Mismatch::Format(format!(
            "a scalar read as a list: {} written, {} read",
            describe(writer),
            describe(reader)
        ))),
        (_, F::List { .. }) => Err(Mismatch::Format(format!(
            "a list read as a scalar: {} written, {} read",
            describe(writer),
            describe(reader)
        ))),
        // Any text reads as text (a list was turned away above).
        (F::Text, _) => Ok(()),
        (
            F::Integer {
                min: rmin,
                max: rmax,
            },
            F::Integer {
                min: wmin,
                max: wmax,
            },
        ) => {
            if wmin >= rmin && wmax <= rmax {
                Ok(())
            } else {
                Err(Mismatch::Format(format!(
                    "{} written, {} read: values from {wmin} to {wmax} do not all fit",
                    describe(writer),
                    describe(reader)
                )))
            }
        }
        (F::Float { bits }, F::Integer { min, max }) => {
            let exact = exact_float_integer(*bits);
            if *max <= exact && min.unsigned_abs() <= exact {
                Ok(())
            } else {
                Err(Mismatch::Format(format!(
                    "{} written, {} read: integers beyond 2^{} are rounded",
                    describe(writer),
                    describe(reader),
                    exact.trailing_zeros()
                )))
            }
        }
        (F::Float { bits: r }, F::Float { bits: w }) if r >= w => Ok(()),
        (F::Float { .. }, F::Float { .. }) => Err(Mismatch::Format(format!(
            "{} written, {} read: large values are out of range and others are rounded",
            describe(writer),
            describe(reader)
        ))),
        (F::Integer { .. }, F::Float { .. }) => Err(Mismatch::Format(format!(
            "a float read as an integer: {} written, {} read",
            describe(writer),
            describe(reader)
        ))),
        _ => match written_texts(writer) {
            // A finite set of words: each must read.
            Some(texts) => {
                let unread: Vec<String> = texts
                    .into_iter()
                    .filter(|t| !reads_text(reader, t))
                    .map(str::to_owned)
                    .collect();
                match (unread.is_empty(), reader) {
                    (true, _) => Ok(()),
                    (false, F::Enum { .. }) if matches!(writer, F::Enum { .. }) => {
                        Err(Mismatch::Variants(unread))
                    }
                    (false, _) => Err(Mismatch::Format(format!(
                        "{} written, {} read: {} do not read",
                        describe(writer),
                        describe(reader),
                        unread
                            .iter()
                            .map(|t| format!("`{}`", t.escape_debug()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))),
                }
            }
            None if reader == writer => Ok(()),
            None => Err(Mismatch::Format(format!(
                "{} written, {} read",
                describe(writer),
                describe(reader)
            ))),
        },
    }
}

/// Every text a writer of a finite format writes, if it is finite.
fn written_texts(f: &FormatDoc) -> Option<Vec<&str>> {
    match f {
        FormatDoc::Bool => Some(vec!["true", "false"]),
        FormatDoc::Enum { variants } => Some(variants.iter().map(String::as_str).collect()),
        _ => None,
    }
}

/// Whether a reader of a scalar format reads `text`.
fn reads_text(reader: &FormatDoc, text: &str) -> bool {
    match reader {
        FormatDoc::Bool => text.eq_ignore_ascii_case("true") || text.eq_ignore_ascii_case("false"),
        FormatDoc::Char => text.chars().count() == 1,
        FormatDoc::Text => true,
        FormatDoc::Enum { variants } => variants.iter().any(|v| v == text),
        FormatDoc::Integer { min, max } => match text.parse::<i128>() {
            Ok(v) => v >= *min && (v < 0 || v.unsigned_abs() <= *max),
            Err(_) => text.parse::<u128>().is_ok_and(|v| v <= *max),
        },
        FormatDoc::Float { .. } => text.parse::<f64>().is_ok(),
        _ => false,
    }
}

/// The most characters a value of the format takes, if bounded by the
/// format alone.
pub(crate) fn max_chars(f: &FormatDoc) -> Option<usize> {
    match f {
        FormatDoc::Bool => <bool as BaggageValue>::MAX_WIRE_LEN,
        FormatDoc::Char => Some(1),
        FormatDoc::Integer { min, max } => {
            let neg = if *min < 0 {
                1 + min.unsigned_abs().to_string().len()
            } else {
                0
            };
            Some(neg.max(max.to_string().len()))
        }
        // The codecs' own bound (digits, `-`, `.`, `e`: one character a byte).
        FormatDoc::Float { bits } if *bits >= 64 => <f64 as BaggageValue>::MAX_WIRE_LEN,
        FormatDoc::Float { .. } => <f32 as BaggageValue>::MAX_WIRE_LEN,
        FormatDoc::Enum { variants } => variants.iter().map(|v| v.chars().count()).max(),
        _ => None,
    }
}

/// A format in a few words: `u64`, `i32`, `integer from 1 to 9`, `f64`,
/// `bool`, `text`, `one of a, b`, `list of u8`, `custom (...)`.
pub(crate) fn describe(f: &FormatDoc) -> String {
    match f {
        FormatDoc::Bool => "bool".to_owned(),
        FormatDoc::Integer { min, max } => integer_name(*min, *max)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("integer from {min} to {max}")),
        FormatDoc::Float { bits } => format!("f{bits}"),
        FormatDoc::Char => "char".to_owned(),
        FormatDoc::Text => "text".to_owned(),
        FormatDoc::Enum { variants } => format!(
            "one of {}",
            variants
                .iter()
                .map(|v| format!("`{}`", v.escape_debug()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        FormatDoc::List { element } => format!("list of {}", describe(element)),
        FormatDoc::Custom { expected } => format!("custom ({})", expected.escape_debug()),
        _ => "an unknown format".to_owned(),
    }
}

/// The Rust integer type of a range, if it is one.
fn integer_name(min: i128, max: u128) -> Option<&'static str> {
    const TYPES: [(&str, i128, u128); 10] = [
        ("u8", 0, u8::MAX as u128),
        ("u16", 0, u16::MAX as u128),
        ("u32", 0, u32::MAX as u128),
        ("u64", 0, u64::MAX as u128),
        ("u128", 0, u128::MAX),
        ("i8", i8::MIN as i128, i8::MAX as u128),
        ("i16", i16::MIN as i128, i16::MAX as u128),
        ("i32", i32::MIN as i128, i32::MAX as u128),
        ("i64", i64::MIN as i128, i64::MAX as u128),
        ("i128", i128::MIN, i128::MAX as u128),
    ];
    TYPES
        .iter()
        .find(|(_, lo, hi)| *lo == min && *hi == max)
        .map(|(name, _, _)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use FormatDoc as F;

    fn int(min: i128, max: u128) -> F {
        F::Integer { min, max }
    }

    fn list(element: F) -> F {
        F::List {
            element: Box::new(element),
        }
    }

    fn words(variants: &[&str]) -> F {
        F::Enum {
            variants: variants.iter().map(|v| (*v).to_owned()).collect(),
        }
    }

    #[test]
    fn integers_read_when_the_written_range_fits() {
        let u32_ = int(0, u32::MAX.into());
        let u64_ = int(0, u64::MAX.into());
        let i8_ = int(i8::MIN.into(), 127);
        assert_eq!(accepts(&u64_, &u32_), Ok(()));
        let Err(Mismatch::Format(why)) = accepts(&u32_, &u64_) else {
            panic!("u64 written, u32 read must not pass");
        };
        assert_eq!(
            why,
            "u64 written, u32 read: values from 0 to 18446744073709551615 do not all fit"
        );
        assert!(accepts(&i8_, &int(0, 255)).is_err());
        assert!(accepts(&int(0, 255), &i8_).is_err(), "negative values");
        assert_eq!(accepts(&int(-1, 10), &int(-1, 10)), Ok(()));
        assert!(accepts(&int(0, 10), &int(-1, 10)).is_err());
    }

    #[test]
    fn floats_and_integers() {
        let f64_ = F::Float { bits: 64 };
        let f32_ = F::Float { bits: 32 };
        assert_eq!(accepts(&f64_, &f32_), Ok(()));
        assert!(accepts(&f32_, &f64_).is_err());
        assert_eq!(accepts(&f64_, &int(0, u32::MAX.into())), Ok(()));
        assert_eq!(accepts(&f64_, &int(-(1 << 53), 1 << 53)), Ok(()));
        assert!(accepts(&f64_, &int(0, (1 << 53) + 1)).is_err());
        assert!(accepts(&f64_, &int(-(1 << 53) - 1, 0)).is_err());
        assert!(accepts(&f32_, &int(0, u32::MAX.into())).is_err());
        assert_eq!(accepts(&f32_, &int(0, u16::MAX.into())), Ok(()));
        let Err(Mismatch::Format(why)) = accepts(&int(0, u64::MAX.into()), &f64_) else {
            panic!("a float read as an integer must not pass");
        };
        assert!(why.starts_with("a float read as an integer: f64 written, u64 read"));
    }

    #[test]
    fn lists_and_scalars() {
        let u8_ = int(0, 255);
        assert_eq!(accepts(&list(int(0, 1000)), &list(u8_.clone())), Ok(()));
        let Err(Mismatch::Format(why)) = accepts(&u8_, &list(u8_.clone())) else {
            panic!("a list read as a scalar");
        };
        assert!(why.starts_with("a list read as a scalar"), "{why}");
        let Err(Mismatch::Format(why)) = accepts(&list(u8_.clone()), &u8_) else {
            panic!("a scalar read as a list");
        };
        assert!(why.starts_with("a scalar read as a list"), "{why}");
        assert!(
            accepts(&F::Text, &list(F::Text)).is_err(),
            "a list read as text"
        );
        let Err(Mismatch::Format(why)) = accepts(&list(int(0, 9)), &list(u8_)) else {
            panic!("element ranges");
        };
        assert!(why.starts_with("list elements: u8 written"), "{why}");
    }

    #[test]
    fn words_bools_and_text() {
        let tiers = words(&["free", "premium"]);
        assert_eq!(accepts(&F::Text, &tiers), Ok(()));
        assert_eq!(accepts(&F::Text, &int(0, 9)), Ok(()));
        assert_eq!(
            accepts(&words(&["free"]), &tiers),
            Err(Mismatch::Variants(vec!["premium".to_owned()]))
        );
        assert_eq!(
            accepts(&words(&["premium", "free", "gold"]), &tiers),
            Ok(())
        );
        assert!(
            accepts(&tiers, &F::Text).is_err(),
            "free text read as words"
        );
        assert_eq!(accepts(&F::Bool, &words(&["TRUE", "false"])), Ok(()));
        assert!(accepts(&F::Bool, &tiers).is_err());
        assert_eq!(accepts(&words(&["true", "false"]), &F::Bool), Ok(()));
        assert!(accepts(&words(&["True", "False"]), &F::Bool).is_err());
        assert_eq!(accepts(&F::Char, &words(&["a", "b"])), Ok(()));
        assert!(accepts(&F::Char, &words(&["ab"])).is_err());
        assert_eq!(accepts(&int(0, 10), &words(&["1", "10"])), Ok(()));
        assert!(accepts(&int(0, 9), &words(&["1", "10"])).is_err());
        assert!(accepts(&F::Char, &F::Text).is_err());
        assert_eq!(accepts(&F::Char, &F::Char), Ok(()));
    }

    #[test]
    fn custom_formats_compare_by_description() {
        let a = F::Custom {
            expected: "an RFC 3339 date".to_owned(),
        };
        let b = F::Custom {
            expected: "a duration".to_owned(),
        };
        assert_eq!(accepts(&a, &a.clone()), Ok(()));
        assert!(matches!(accepts(&a, &b), Err(Mismatch::Unverifiable(_))));
        assert!(matches!(
            accepts(&a, &F::Text),
            Err(Mismatch::Unverifiable(_))
        ));
        assert_eq!(accepts(&F::Text, &a), Ok(()), "text reads any format");
    }

    #[test]
    fn widths_and_names() {
        assert_eq!(max_chars(&int(i8::MIN.into(), 127)), Some(4));
        assert_eq!(max_chars(&int(0, u64::MAX.into())), Some(20));
        assert_eq!(max_chars(&words(&["free", "premium"])), Some(7));
        assert_eq!(max_chars(&F::Text), None);
        assert_eq!(describe(&int(0, 255)), "u8");
        assert_eq!(describe(&int(1, 9)), "integer from 1 to 9");
        assert_eq!(describe(&list(F::Float { bits: 32 })), "list of f32");
    }
}
