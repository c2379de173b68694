use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage(max_bytes = 0)]
struct Ctx {
    user_id: u64,
}

fn main() {}
