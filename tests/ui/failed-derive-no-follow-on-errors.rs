use typed_baggage::prelude::*;

#[derive(Baggage)]
#[baggage(prefix = "app/")]
struct Ctx {
    user_id: u64,
}

fn main() {
    let ctx = Ctx::from_current().unwrap();
    let _ = ctx.user_id;
}
