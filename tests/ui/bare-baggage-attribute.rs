use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage]
struct Ctx {
    user_id: u64,
}

fn main() {}
