use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage(signed)]
struct Ctx {
    user_id: u64,
}

fn main() {}
