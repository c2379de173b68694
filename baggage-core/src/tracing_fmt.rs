//! Typed context on `tracing` log lines: an event formatter for
//! `tracing-subscriber`'s `fmt` layer.
//!
//! Most Rust services log through `tracing-subscriber`'s `fmt` layer, text
//! or JSON to stdout, not through an OpenTelemetry log pipeline.
//! [`BaggageFormat`] wraps the layer's event formatter and adds, to every
//! event emitted under a context, the context's baggage and local entries
//! chosen by a [`BaggageAttributes`], with their types:
//!
//! ```text
//! {"timestamp":"…","level":"INFO","fields":{"message":"charged"},"target":"shop","app.tier":"premium","app.user_id":12345}
//! 2026-11-30T12:00:00.000000Z  INFO shop: charged app.tier="premium" app.user_id=12345
//! ```
//!
//! - **Which entries, named and typed how**: the rules of
//!   [`crate::attributes`] (schemas, key predicates, a prefix; numbers as
//!   numbers, booleans as booleans, lists as arrays; a value that does not
//!   decode as its field's type left out and counted; local schemas read
//!   from the context's local entries only).
//! - **Which context**: [`opentelemetry::Context::current`]. The tower
//!   [`BaggageLayer`](crate::tower::BaggageLayer) makes a request's context
//!   current while the handler runs, with no OpenTelemetry SDK at all; with
//!   `tracing-opentelemetry`, a span's context is current while the span is
//!   entered (its context activation, on by default), so an event in a span
//!   whose parent is a request's context carries that request's fields.
//! - **Cut and escaped**: every string value is escaped (control and
//!   bidirectional format characters, as in this crate's error messages,
//!   and JSON's or the text's own quoting) and cut to at most
//!   [`DETAIL_EXCERPT_BYTES`](crate::DETAIL_EXCERPT_BYTES) bytes, marked
//!   `…`: what a client put in baggage cannot forge a log line, hide text on
//!   a terminal or flood the log.
//! - **The line's own fields win**: in JSON a name the line already has at
//!   its top level (`level`, `fields`, an event field flattened there) is not
//!   added a second time.
//! - **JSON** ([`BaggageFormat::json`], around `fmt::format().json()`): the
//!   fields are added to the line's top-level object. A line that is not one
//!   JSON object is written as the inner formatter wrote it, and counted
//!   ([`unparsed_lines`](BaggageFormat::unparsed_lines)).
//! - **Text** ([`BaggageFormat::text`], around the full or compact format):
//!   ` key=value` pairs at the end of the line, strings quoted. The inner
//!   formatter writes without ANSI colours (`tracing-subscriber` gives a
//!   wrapping formatter no way to pass them on).
//!
//! ```
//! use opentelemetry::Context;
//! use typed_baggage::attributes::BaggageAttributes;
//! use typed_baggage::prelude::*;
//! use typed_baggage::tracing_fmt::BaggageFormat;
//!
//! #[derive(Baggage)]
//! #[baggage(prefix = "app.")]
//! struct UserCtx { user_id: u64 }
//!
//! let subscriber = tracing_subscriber::fmt()
//!     .json()
//!     .map_event_format(|json| BaggageFormat::json(json, BaggageAttributes::new().schema::<UserCtx>()))
//!     .finish();
//! tracing::subscriber::with_default(subscriber, || {
//!     let _guard = Context::new().with_typed(&UserCtx { user_id: 12345 }).unwrap().attach();
//!     tracing::info!("charged"); // {…,"fields":{"message":"charged"},…,"app.user_id":12345}
//! });
//! ```

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use opentelemetry::{Array, Context, KeyValue, StringValue, Value};
use serde::de::IgnoredAny;
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use crate::attributes::BaggageAttributes;
use crate::error::sanitize_detail;

/// How the wrapped formatter writes a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Output {
    Json,
    Text,
}

/// An event formatter that adds a context's typed baggage to every line of
/// the formatter it wraps. See the [module documentation](self).
///
/// Cheap to clone: clones share their counts.
#[derive(Debug, Clone)]
pub struct BaggageFormat<E> {
    inner: E,
    rules: BaggageAttributes,
    output: Output,
    unparsed: Arc<AtomicU64>,
}

impl<E> BaggageFormat<E> {
    /// Wraps a JSON formatter (`tracing_subscriber::fmt::format().json()`):
    /// the fields `rules` chooses are added to each line's object.
    pub fn json(inner: E, rules: BaggageAttributes) -> Self {
        Self::new(inner, rules, Output::Json)
    }

    /// Wraps a text formatter (the full or compact format): the fields
    /// `rules` chooses end each line as ` key=value` pairs.
    ///
    /// ```
    /// use opentelemetry::{baggage::BaggageExt, Context, KeyValue};
    /// use typed_baggage::attributes::BaggageAttributes;
    /// use typed_baggage::tracing_fmt::BaggageFormat;
    ///
    /// let subscriber = tracing_subscriber::fmt()
    ///     .without_time()
    ///     .with_ansi(false)
    ///     .map_event_format(|text| BaggageFormat::text(text, BaggageAttributes::new().all_keys()))
    ///     .finish();
    /// tracing::subscriber::with_default(subscriber, || {
    ///     let _guard = Context::new().with_baggage([KeyValue::new("tenant", "acme")]).attach();
    ///     tracing::info!("loaded"); //  INFO rust_out: loaded tenant="acme"
    /// });
    /// ```
    pub fn text(inner: E, rules: BaggageAttributes) -> Self {
        Self::new(inner, rules, Output::Text)
    }

    fn new(inner: E, rules: BaggageAttributes, output: Output) -> Self {
        BaggageFormat {
            inner,
            rules,
            output,
            unparsed: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The rules, e.g. to read [`BaggageAttributes::invalid_values`].
    pub fn rules(&self) -> &BaggageAttributes {
        &self.rules
    }

    /// How many lines of a JSON formatter were not one JSON object, and so
    /// were written without the context's fields.
    pub fn unparsed_lines(&self) -> u64 {
        self.unparsed.load(Ordering::Relaxed)
    }
}

thread_local! {
    /// The line being formatted, reused from one event to the next.
    static LINE: RefCell<String> = const { RefCell::new(String::new()) };
}

impl<S, N, E> FormatEvent<S, N> for BaggageFormat<E>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'w> FormatFields<'w> + 'static,
    E: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut invalid = Vec::new();
        let fields = Context::map_current(|cx| self.rules.collect(cx, |_| false, &mut invalid));
        if !invalid.is_empty() {
            // Logged when a subscriber can take it: inside this one it is
            // kept for a later value (see `crate::attributes`).
            self.rules.report(invalid);
        }
        if fields.is_empty() {
            return self.inner.format_event(ctx, writer, event);
        }
        let mut spare = String::new();
        LINE.with(|line| {
            let mut borrowed = line.try_borrow_mut();
            let line = match &mut borrowed {
                Ok(line) => &mut **line,
                Err(_) => &mut spare,
            };
            line.clear();
            self.inner.format_event(ctx, Writer::new(line), event)?;
            match self.output {
                Output::Json => {
                    if !add_json_fields(line, &fields) {
                        let _ = self.unparsed.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Output::Text => add_text_fields(line, &fields),
            }
            writer.write_str(line)
        })
    }
}

/// Adds `fields` to the JSON object `line` (one object and a line end),
/// leaving out names it already has at its top level. `false` if `line` is
/// not one JSON object (it is then left as it is).
fn add_json_fields(line: &mut String, fields: &[KeyValue]) -> bool {
    let body = line.trim_end();
    let Ok(own) = serde_json::from_str::<BTreeMap<String, IgnoredAny>>(body) else {
        return false;
    };
    let Some(close) = body.rfind('}') else {
        return false;
    };
    let end = line.split_off(close);
    let mut first = own.is_empty();
    for kv in fields {
        if own.contains_key(kv.key.as_str()) {
            continue;
        }
        if !first {
            line.push(',');
        }
        first = false;
        json_string(line, kv.key.as_str());
        line.push(':');
        json_value(line, &kv.value);
    }
    line.push_str(&end);
    true
}

/// Appends ` key=value` for each field before the line end.
fn add_text_fields(line: &mut String, fields: &[KeyValue]) {
    let body_len = line.trim_end_matches(['\n', '\r']).len();
    let end = line.split_off(body_len);
    for kv in fields {
        line.push(' ');
        // A key is a token (or a prefix and a token) from this process's
        // rules, but the predicate may accept any key of the baggage.
        line.push_str(&sanitize_detail(kv.key.as_str()));
        line.push('=');
        text_value(line, &kv.value);
    }
    line.push_str(&end);
}

fn json_string(out: &mut String, s: &str) {
    let safe = sanitize_detail(s);
    match serde_json::to_string(safe.as_str()) {
        Ok(quoted) => out.push_str(&quoted),
        Err(_) => out.push_str("\"\""),
    }
}

fn json_value(out: &mut String, value: &Value) {
    match value {
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::I64(i) => {
            let _ = write!(out, "{i}");
        }
        Value::F64(f) if f.is_finite() => {
            let _ = write!(out, "{f:?}");
        }
        Value::F64(f) => json_string(out, &f.to_string()),
        Value::String(s) => json_string(out, s.as_str()),
        Value::Array(array) => {
            out.push('[');
            for (i, item) in array_items(array).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_value(out, &item);
            }
            out.push(']');
        }
        other => json_string(out, &other.to_string()),
    }
}

fn text_value(out: &mut String, value: &Value) {
    match value {
        Value::Bool(_) | Value::I64(_) | Value::F64(_) => {
            let _ = write!(out, "{value}");
        }
        Value::String(s) => text_string(out, s.as_str()),
        Value::Array(array) => {
            out.push('[');
            for (i, item) in array_items(array).enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                text_value(out, &item);
            }
            out.push(']');
        }
        other => text_string(out, &other.to_string()),
    }
}

/// A string in double quotes, `"` and `\` escaped with `\`, then control
/// and bidirectional format characters escaped and the whole cut.
fn text_string(out: &mut String, s: &str) {
    let quoted_inside = s.replace('\\', "\\\\").replace('"', "\\\"");
    out.push('"');
    out.push_str(&sanitize_detail(&quoted_inside));
    out.push('"');
}

fn array_items(array: &Array) -> Box<dyn Iterator<Item = Value> + '_> {
    match array {
        Array::Bool(v) => Box::new(v.iter().map(|b| Value::Bool(*b))),
        Array::I64(v) => Box::new(v.iter().map(|i| Value::I64(*i))),
        Array::F64(v) => Box::new(v.iter().map(|f| Value::F64(*f))),
        Array::String(v) => Box::new(v.iter().map(|s: &StringValue| Value::String(s.clone()))),
        _ => Box::new(std::iter::empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(key: &'static str, value: impl Into<Value>) -> KeyValue {
        KeyValue::new(key, value)
    }

    #[test]
    fn json_fields_join_the_top_level_object_and_never_repeat_its_names() {
        let mut line = "{\"level\":\"INFO\",\"fields\":{\"app.id\":1}}\n".to_owned();
        assert!(add_json_fields(
            &mut line,
            &[kv("app.id", 7i64), kv("level", "forged"), kv("ok", true)]
        ));
        assert_eq!(
            line,
            "{\"level\":\"INFO\",\"fields\":{\"app.id\":1},\"app.id\":7,\"ok\":true}\n"
        );
        let mut empty = "{}\n".to_owned();
        assert!(add_json_fields(&mut empty, &[kv("a", 0.5f64)]));
        assert_eq!(empty, "{\"a\":0.5}\n");
    }

    #[test]
    fn a_line_that_is_not_one_json_object_is_left_alone() {
        for text in ["INFO x: y\n", "[1]\n", "{\"a\":1}{\"b\":2}\n", ""] {
            let mut line = text.to_owned();
            assert!(!add_json_fields(&mut line, &[kv("k", "v")]), "{text:?}");
            assert_eq!(line, text);
        }
    }

    #[test]
    fn json_values_keep_their_types_and_strings_are_escaped_and_cut() {
        let mut out = String::new();
        json_value(&mut out, &Value::F64(f64::NAN));
        assert_eq!(out, "\"NaN\"");
        out.clear();
        json_value(
            &mut out,
            &Value::Array(Array::String(vec![
                "a\"b".into(),
                "\u{1b}[2J\u{202e}".into(),
            ])),
        );
        assert_eq!(out, r#"["a\"b","\\u{1b}[2J\\u{202e}"]"#);
        out.clear();
        json_value(&mut out, &Value::String("x".repeat(1000).into()));
        assert_eq!(out.len(), 1 + crate::DETAIL_EXCERPT_BYTES + "…".len() + 1);
        assert!(out.ends_with("…\""));
    }

    #[test]
    fn text_fields_end_the_line_quoted_and_escaped() {
        let mut line = "INFO shop: paid\n".to_owned();
        add_text_fields(
            &mut line,
            &[
                kv("app.id", 7i64),
                kv("app.note", "say \"hi\"\\ \u{1b}[31m\nINFO forged"),
                kv("app.on", false),
                kv(
                    "app.f",
                    Value::Array(Array::String(vec!["a".into(), "b".into()])),
                ),
            ],
        );
        assert_eq!(
            line,
            "INFO shop: paid app.id=7 app.note=\"say \\\"hi\\\"\\\\ \\u{1b}[31m\\nINFO forged\" app.on=false app.f=[\"a\", \"b\"]\n"
        );
    }
}
