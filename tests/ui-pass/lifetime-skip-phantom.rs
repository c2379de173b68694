use std::marker::PhantomData;

use opentelemetry::Context;
use typed_baggage::prelude::*;

#[derive(Baggage, Debug, PartialEq)]
struct Borrowing<'a> {
    user_id: u64,
    #[baggage(skip)]
    marker: PhantomData<&'a ()>,
}

fn main() {
    let value = Borrowing {
        user_id: 42,
        marker: PhantomData,
    };
    let cx = Context::new().with_typed(&value).unwrap();
    assert_eq!(cx.typed::<Borrowing<'static>>().unwrap(), value);
    assert_eq!(<Borrowing<'_> as Baggage>::SCHEMA.fields.len(), 1);
}
