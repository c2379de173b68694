use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage(prefix = "app.", signed, max_age_secs = 0)]
struct Ctx {
    user_id: u64,
}

fn main() {}
