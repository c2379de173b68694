use typed_baggage::Baggage;

#[derive(Baggage)]
struct Ctx {
    user_id: u64,
    #[baggage(rename = "user_id")]
    account: u64,
}

fn main() {}
