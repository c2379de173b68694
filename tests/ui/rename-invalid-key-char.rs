use typed_baggage::Baggage;

#[derive(Baggage)]
struct Ctx {
    #[baggage(rename = "user id")]
    user_id: u64,
}

fn main() {}
