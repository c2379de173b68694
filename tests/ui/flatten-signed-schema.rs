use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage(prefix = "user.", signed)]
struct User {
    id: u64,
}

#[derive(Baggage)]
struct Request {
    #[baggage(flatten)]
    user: User,
    beta: bool,
}

fn main() {}
