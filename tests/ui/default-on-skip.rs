use typed_baggage::Baggage;

#[derive(Baggage)]
struct Ctx {
    user_id: u64,
    #[baggage(skip, default)]
    hits: u32,
}

fn main() {}
