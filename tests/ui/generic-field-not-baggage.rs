use typed_baggage::prelude::*;

#[derive(Baggage)]
struct Ctx<T> {
    id: T,
}

struct Opaque;

fn main() {
    let _ = Ctx::<Opaque>::from_current();
}
