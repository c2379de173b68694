use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage(crate = "typed baggage")]
struct Ctx {
    user_id: u64,
}

fn main() {}
