use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage(prefix = "app.", max_age_secs = 300)]
struct Ctx {
    user_id: u64,
}

fn main() {}
