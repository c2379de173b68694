use typed_baggage::Baggage;

#[derive(Baggage)]
struct Ctx {
    #[baggage(rename = user_id)]
    id: u64,
}

fn main() {}
