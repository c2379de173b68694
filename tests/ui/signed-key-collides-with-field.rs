use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage(prefix = "app.", signed)]
struct Ctx {
    user_id: u64,
    sig: String,
}

fn main() {}
