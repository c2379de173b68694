use typed_baggage::Baggage;

#[derive(Baggage, Clone, Copy)]
enum Tier {
    Free,
    Premium,
}

#[derive(Baggage)]
#[baggage(prefix = "app.", max_bytes = 64)]
struct Ctx {
    user_id: u64,
    tier: Tier,
    #[baggage(max_len = 16)]
    region: String,
}

fn main() {}
