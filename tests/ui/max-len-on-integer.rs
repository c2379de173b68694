use typed_baggage::Baggage;

#[derive(Baggage)]
struct Ctx {
    #[baggage(max_len = 8)]
    user_id: u64,
}

fn main() {}
