extern crate typed_baggage as tb;

use opentelemetry::Context;
use tb::BaggageContextExt;

#[derive(tb::Baggage, Debug, PartialEq)]
#[baggage(crate = "tb", prefix = "app.")]
struct Ctx {
    user_id: u64,
    tier: Tier,
}

#[derive(tb::Baggage, Debug, PartialEq)]
#[baggage(crate = "tb")]
enum Tier {
    Free,
    Premium,
}

fn main() {
    let value = Ctx {
        user_id: 1,
        tier: Tier::Premium,
    };
    let cx = Context::new().with_typed(&value).unwrap();
    assert_eq!(cx.typed::<Ctx>().unwrap(), value);
    assert_eq!(<Ctx as tb::Baggage>::SCHEMA.fields[1].key, "app.tier");
}
