use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage(prefix = "app.", signed = "app.user_id")]
struct Ctx {
    user_id: u64,
}

fn main() {}
