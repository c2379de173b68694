use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage(max_bytes = 10000)]
struct Ctx {
    user_id: u64,
}

fn main() {}
