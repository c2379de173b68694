//! `#[baggage(metric_label)]`, `metric_attributes()` and the typed
//! `key_values()`. The compile errors of the cardinality guard are in
//! `tests/ui/metric-label-*.rs` and `tests/ui/allow-high-cardinality-*.rs`.

use opentelemetry::{Array, KeyValue, StringValue, Value};
use typed_baggage::prelude::*;
use typed_baggage::schema::Cardinality;

#[derive(Baggage, Debug, Clone, Copy, PartialEq)]
#[baggage(rename_all = "snake_case")]
enum Tier {
    Free,
    EnterpriseGold,
}

#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "app.")]
struct UserCtx {
    user_id: u64,
    #[baggage(metric_label)]
    tier: Tier,
    #[baggage(metric_label)]
    beta: bool,
    #[baggage(metric_label)]
    plan: Option<Tier>,
    #[baggage(metric_label, allow_high_cardinality = "one of 12 data centres")]
    region: String,
    features: Vec<String>,
}

fn user() -> UserCtx {
    UserCtx {
        user_id: 12345,
        tier: Tier::EnterpriseGold,
        beta: true,
        plan: None,
        region: "eu-west-1".into(),
        features: vec!["a".into(), "b,c".into()],
    }
}

#[test]
fn metric_attributes_are_only_the_labels_in_field_order() {
    let labels: Vec<KeyValue> = user().metric_attributes().collect();
    assert_eq!(
        labels,
        [
            KeyValue::new("app.tier", "enterprise_gold"),
            KeyValue::new("app.beta", true),
            KeyValue::new("app.region", "eu-west-1"),
        ]
    );
    let with_plan = UserCtx {
        plan: Some(Tier::Free),
        ..user()
    };
    let labels: Vec<KeyValue> = with_plan.metric_attributes().collect();
    assert_eq!(labels.len(), 4);
    assert_eq!(labels[2], KeyValue::new("app.plan", "free"));
}

#[test]
fn metric_attributes_of_a_schema_without_labels_are_empty() {
    #[derive(Baggage)]
    struct Plain {
        user_id: u64,
    }
    assert_eq!(Plain { user_id: 1 }.metric_attributes().count(), 0);
}

#[test]
fn schema_says_which_fields_are_labels() {
    let labels: Vec<(&str, bool)> = UserCtx::SCHEMA
        .fields
        .iter()
        .map(|f| (f.key, f.metric_label))
        .collect();
    assert_eq!(
        labels,
        [
            ("app.user_id", false),
            ("app.tier", true),
            ("app.beta", true),
            ("app.plan", true),
            ("app.region", true),
            ("app.features", false),
        ]
    );
    // An allowed label keeps its type's cardinality in the schema.
    assert_eq!(UserCtx::SCHEMA.fields[4].cardinality, Cardinality::High);
    assert_eq!(UserCtx::SCHEMA.fields[1].cardinality, Cardinality::Low);
}

#[test]
fn key_values_have_natural_types() {
    #[derive(Baggage)]
    struct Every {
        small: u8,
        signed: i32,
        fits: u64,
        too_big: u64,
        wide: i128,
        ratio: f32,
        precise: f64,
        on: bool,
        letter: char,
        text: String,
        tier: Tier,
        tags: Vec<String>,
        ids: Vec<u32>,
        absent: Option<u8>,
        present: Option<bool>,
    }
    let kv: Vec<KeyValue> = Every {
        small: 7,
        signed: -3,
        fits: i64::MAX as u64,
        too_big: u64::MAX,
        wide: -170141183460469231731687303715884105728,
        ratio: 0.1,
        precise: 1e300,
        on: true,
        letter: 'é',
        text: "a b".into(),
        tier: Tier::Free,
        tags: vec!["x".into(), "y,z".into(), String::new()],
        ids: vec![1, 20],
        absent: None,
        present: Some(false),
    }
    .key_values()
    .collect();
    let strings = |v: &[&str]| {
        Value::Array(Array::String(
            v.iter().map(|s| StringValue::from(s.to_string())).collect(),
        ))
    };
    assert_eq!(
        kv,
        [
            KeyValue::new("small", 7i64),
            KeyValue::new("signed", -3i64),
            KeyValue::new("fits", i64::MAX),
            KeyValue::new("too_big", "18446744073709551615"),
            KeyValue::new("wide", "-170141183460469231731687303715884105728"),
            // the f64 that the f32's shortest text names, not 0.10000000149011612
            KeyValue::new("ratio", 0.1f64),
            KeyValue::new("precise", 1e300f64),
            KeyValue::new("on", true),
            KeyValue::new("letter", "é"),
            KeyValue::new("text", "a b"),
            KeyValue::new("tier", "free"),
            KeyValue::new("tags", strings(&["x", "y,z", ""])),
            KeyValue::new("ids", strings(&["1", "20"])),
            KeyValue::new("present", false),
        ]
    );
}
