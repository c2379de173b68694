//! Schemas as one Markdown table.

use std::fmt::Write;

use super::{Cardinality, FieldSchema, Requirement, Schema};

impl Requirement {
    /// `required`, `optional` or `default`, as in the Markdown table and
    /// the serialized schema.
    ///
    /// ```
    /// use typed_baggage::schema::Requirement;
    /// assert_eq!(Requirement::Default.as_str(), "default");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Requirement::Required => "required",
            Requirement::Optional => "optional",
            Requirement::Default => "default",
        }
    }
}

impl Cardinality {
    /// `low` or `high`, as in the Markdown table and the serialized schema.
    ///
    /// ```
    /// use typed_baggage::schema::Cardinality;
    /// assert_eq!(Cardinality::Low.as_str(), "low");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Cardinality::Low => "low",
            Cardinality::High => "high",
        }
    }
}

/// The keys of `schemas` as one Markdown table (GitHub-flavoured), one row
/// per key in the order given: the key, the schema and field that read it,
/// the Rust type, the format of the entry value, whether the key is
/// required, optional or defaulted, the field's cardinality, whether it is a
/// metric label, and its doc comment (lines joined with `<br>`). A `|` in
/// any cell is escaped.
///
/// ```
/// use typed_baggage::prelude::*;
/// use typed_baggage::schema::markdown_table;
///
/// #[derive(Baggage)]
/// #[baggage(prefix = "app.")]
/// struct UserCtx {
///     /// The account id.
///     user_id: u64,
///     #[baggage(metric_label)]
///     beta: bool,
/// }
///
/// #[derive(Baggage)]
/// struct Flags { new_checkout: Option<bool> }
///
/// assert_eq!(markdown_table(&[UserCtx::SCHEMA, Flags::SCHEMA]), "\
/// | key | field | Rust type | format | presence | cardinality | metric label | description |
/// |---|---|---|---|---|---|---|---|
/// | `app.user_id` | `UserCtx.user_id` | `u64` | an unsigned 64-bit integer (u64) | required | high | no | The account id. |
/// | `app.beta` | `UserCtx.beta` | `bool` | a boolean (`true` or `false`, any letter case) | required | low | yes |  |
/// | `new_checkout` | `Flags.new_checkout` | `Option<bool>` | a boolean (`true` or `false`, any letter case) | optional | low | no |  |
/// ");
/// ```
pub fn markdown_table(schemas: &[Schema]) -> String {
    let mut out = String::from(
        "| key | field | Rust type | format | presence | cardinality | metric label | description |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for schema in schemas {
        for resolved in schema.resolved() {
            row(&mut out, &resolved.key, resolved.schema, resolved.field);
        }
    }
    out
}

/// One key: its wire key (flatten prefixes applied), and the schema that
/// declares its field.
fn row(out: &mut String, key: &str, schema: &str, field: &FieldSchema) {
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "| `{}` | `{}.{}` | `{}` | {} | {} | {} | {} | {} |",
        cell(key),
        cell(schema),
        cell(field.field),
        cell(field.rust_type),
        cell(field.format),
        field.requirement.as_str(),
        field.cardinality.as_str(),
        if field.metric_label { "yes" } else { "no" },
        cell(field.doc),
    );
}

/// Text fit for one table cell: `|` escaped, lines joined with `<br>`.
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            out.push_str("<br>");
        }
        out.push_str(&line.replace('|', "\\|"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_escape_pipes_and_join_lines() {
        assert_eq!(cell("a | b\nc"), "a \\| b<br>c");
        assert_eq!(cell(""), "");
    }
}
