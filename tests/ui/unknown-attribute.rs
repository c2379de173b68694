use typed_baggage::Baggage;

#[derive(Baggage)]
struct Ctx {
    #[baggage(rename = "uid", optional)]
    user_id: u64,
}

fn main() {}
