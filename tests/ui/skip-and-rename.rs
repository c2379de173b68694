use typed_baggage::Baggage;

#[derive(Baggage)]
struct Ctx {
    user_id: u64,
    #[baggage(skip, rename = "cache")]
    cache_hits: u32,
}

fn main() {}
