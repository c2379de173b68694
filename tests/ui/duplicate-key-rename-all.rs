use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage(rename_all = "snake_case")]
struct Ctx {
    user_id: u64,
    #[allow(non_snake_case)]
    userID: u64,
}

fn main() {}
