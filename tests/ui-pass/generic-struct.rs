use opentelemetry::Context;
use typed_baggage::prelude::*;

#[derive(Baggage, Debug, PartialEq)]
struct Ctx<T> {
    id: T,
    tags: Vec<T>,
}

/// A generic field with `default` needs `T: Default`, which the derive adds.
#[derive(Baggage, Debug, PartialEq)]
struct Defaulted<T> {
    #[baggage(default)]
    retries: T,
}

/// A generic metric label needs `T: LowCardinality`, checked where it is used.
#[derive(Baggage, Debug, PartialEq)]
struct Labelled<T> {
    #[baggage(metric_label)]
    label: T,
}

fn round_trip<T: Baggage + std::fmt::Debug + PartialEq>(value: T) {
    let cx = Context::new().with_typed(&value).unwrap();
    assert_eq!(cx.typed::<T>().unwrap(), value);
}

fn main() {
    round_trip(Ctx {
        id: 7u32,
        tags: vec![1, 2, 3],
    });
    round_trip(Ctx {
        id: "a b".to_string(),
        tags: vec!["x,y".to_string(), String::new()],
    });
    assert_eq!(<Ctx<u32> as Baggage>::SCHEMA.fields[0].key, "id");
    round_trip(Defaulted { retries: 3u8 });
    assert_eq!(
        Context::new().typed::<Defaulted<u8>>().unwrap(),
        Defaulted { retries: 0 }
    );
    round_trip(Labelled { label: true });
    let labels: Vec<opentelemetry::KeyValue> = Labelled { label: Some(false) }.metric_attributes().collect();
    assert_eq!(labels, [opentelemetry::KeyValue::new("label", false)]);
}
