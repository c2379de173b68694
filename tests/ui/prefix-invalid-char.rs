use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage(prefix = "app/")]
struct Ctx {
    user_id: u64,
}

fn main() {}
