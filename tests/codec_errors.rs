//! Seam: a user's codec (a `from_str` type or a `with` module) whose error
//! text echoes its input, meeting every place an error surfaces: the
//! `Error` message, the axum extractor's 400 body over real HTTP, and the
//! span processor's warning event. An attacker's bytes (CR, LF, ESC, bidi
//! overrides, thousands of bytes) reach none of them raw.

#[path = "../examples/shared/chain.rs"]
mod chain;
#[path = "common/logs.rs"]
mod recorded;

use std::fmt;
use std::str::FromStr;

use axum::routing::get;
use axum::Router;
use opentelemetry::baggage::BaggageExt;
use opentelemetry::trace::{Tracer as _, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use typed_baggage::axum::Typed;
use typed_baggage::prelude::*;
use typed_baggage::sdk::{BaggageAttributes, BaggageSpanProcessor};
use typed_baggage::tower::{BaggageLayer, InboundPolicy};

/// A plan whose parse error quotes the input, as many hand-written
/// `FromStr` impls do.
#[derive(Debug, Clone, PartialEq)]
struct Plan(String);

impl FromStr for Plan {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "basic" | "pro" => Ok(Plan(s.to_owned())),
            _ => Err(format!("unknown plan {s}")),
        }
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A `with` codec whose error quotes the input too.
mod echo {
    #[allow(clippy::ptr_arg)] // a `with` codec writes the field's own type
    pub fn encode(value: &String, out: &mut String) {
        out.push_str(value);
    }
    pub fn decode(text: &str) -> Result<String, String> {
        if text.starts_with("ok") {
            Ok(text.to_owned())
        } else {
            Err(format!("expected ok..., got {text}"))
        }
    }
}

#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "app.")]
struct Billing {
    #[baggage(from_str)]
    plan: Plan,
    #[baggage(with = echo)]
    note: Option<String>,
}

/// What an attacker sends: line breaks that would forge a header or a log
/// line, a terminal escape, a bidi override, and a lot of it.
fn hostile() -> String {
    format!(
        "x\r\nX-Admin: true\r\n\u{1b}[2J\u{202e}{}",
        "A".repeat(3000)
    )
}

/// No raw control or bidi character, and short.
fn assert_safe(text: &str, max: usize) {
    assert!(
        !text
            .chars()
            .any(|c| (c.is_control() && c != '\n') || c == '\u{202e}'),
        "raw control character in {text:?}"
    );
    assert!(!text.contains("\r\nX-Admin"), "{text:?}");
    assert!(text.len() <= max, "{} bytes: {text:?}", text.len());
}

#[test]
fn codec_error_text_is_cut_and_escaped_in_error_messages() {
    let cx = Context::new().with_baggage([
        KeyValue::new("app.plan", hostile()),
        KeyValue::new("app.note", hostile()),
    ]);
    let err = cx.typed::<Billing>().unwrap_err();
    let message = err.to_string();
    assert_safe(&message, 2 * 600);
    // Both fields are named, each with the escaped start of the echo.
    assert!(message.contains("baggage key `app.plan`"), "{message}");
    assert!(message.contains("baggage key `app.note`"), "{message}");
    assert!(
        message.contains("unknown plan x\\r\\nX-Admin: true\\r\\n\\u{1b}[2J\\u{202e}AAA"),
        "{message}"
    );
    assert!(message.contains("expected ok..., got x\\r\\n"), "{message}");
    for e in err.errors() {
        if let typed_baggage::Error::Invalid { detail, .. } = e {
            let detail = detail.as_deref().unwrap();
            assert!(
                detail.len() <= typed_baggage::DETAIL_EXCERPT_BYTES + '…'.len_utf8(),
                "{detail}"
            );
            assert!(detail.ends_with('…'), "{detail}");
        } else {
            panic!("expected Invalid, got {e:?}");
        }
    }
    // A short, clean detail is kept whole.
    let cx = Context::new().with_baggage([KeyValue::new("app.plan", "gold")]);
    assert_eq!(
        cx.typed::<Billing>().unwrap_err().to_string(),
        "baggage key `app.plan` has an invalid value: expected a `Plan` in its `FromStr` form, found \"gold\" (unknown plan gold)"
    );
}

#[tokio::test]
async fn codec_error_text_is_cut_and_escaped_in_the_400_body() {
    let app = Router::new()
        .route(
            "/",
            get(|Typed(b): Typed<Billing>| async move { b.plan.to_string() }),
        )
        .layer(BaggageLayer::new(InboundPolicy::TrustAll));
    let addr = chain::serve(app).await;
    let client = chain::outside_client();
    let url = format!("http://{addr}/");

    // The header value an attacker can send: percent-encoded bytes decode
    // to anything, line breaks and ESC included.
    let mut wire = String::from("app.plan=");
    for b in hostile().bytes() {
        wire.push_str(&format!("%{b:02X}"));
        if wire.len() > 7000 {
            break;
        }
    }
    let (status, body) = chain::get_text(&client, &url, &[("baggage", &wire)]).await;
    assert_eq!(status, 400);
    assert_safe(&body, 1000);
    assert!(body.starts_with("invalid baggage: app.plan\n"), "{body}");
    assert!(
        body.contains("(unknown plan x\\r\\nX-Admin: true\\r\\n\\u{1b}[2J"),
        "{body}"
    );

    let (status, body) = chain::get_text(&client, &url, &[("baggage", "app.plan=pro")]).await;
    assert_eq!((status, body.as_str()), (200, "pro"));
}

#[test]
fn codec_error_text_is_cut_and_escaped_in_processor_warnings() {
    let rules = BaggageAttributes::new().schema::<Billing>();
    let provider = SdkTracerProvider::builder()
        .with_span_processor(BaggageSpanProcessor::new(rules.clone()))
        .build();
    let lines = recorded::Lines::default();
    let subscriber = tracing_subscriber::registry().with(lines.clone());
    tracing::subscriber::with_default(subscriber, || {
        let cx = Context::new().with_baggage([KeyValue::new("app.plan", hostile())]);
        let tracer = provider.tracer("test");
        let _span = tracer.start_with_context("request", &cx);
    });
    assert_eq!(rules.invalid_values(), 1);
    let lines = lines.0.lock().unwrap().clone();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_safe(&lines[0], 1000);
    assert!(
        lines[0].contains("error=invalid value \"x\\r\\nX-Admin: true\\r\\n\\u{1b}[2J\\u{202e}AAA"),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("unknown plan x\\r\\n"), "{}", lines[0]);
}
