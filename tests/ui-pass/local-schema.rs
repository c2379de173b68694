//! A local schema: it may flatten a propagated one (all of it stays home),
//! and is read and written through the same methods.
use opentelemetry::baggage::BaggageExt;
use opentelemetry::Context;
use typed_baggage::prelude::*;

#[derive(Baggage, Debug, PartialEq)]
#[baggage(prefix = "geo.")]
struct Geo {
    region: String,
}

#[derive(Baggage, Debug, PartialEq)]
#[baggage(prefix = "route.", local)]
struct RouteCtx {
    name: String,
    #[baggage(flatten)]
    geo: Geo,
}

fn main() {
    let route = RouteCtx {
        name: "checkout".into(),
        geo: Geo { region: "eu".into() },
    };
    assert!(RouteCtx::SCHEMA.local);
    let cx = Context::new().with_typed(&route).unwrap();
    assert!(cx.baggage().is_empty());
    assert_eq!(cx.local_baggage().len(), 2);
    assert_eq!(RouteCtx::from_context(&cx).unwrap(), route);
}
