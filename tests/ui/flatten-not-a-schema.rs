use typed_baggage::Baggage;

#[derive(Baggage)]
struct Request {
    #[baggage(flatten)]
    user_id: u64,
}

fn main() {}
