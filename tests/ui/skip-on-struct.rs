use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage(skip)]
struct Ctx {
    user_id: u64,
}

fn main() {}
