use typed_baggage::Baggage;

#[derive(Baggage)]
struct User {
    id: u64,
}

#[derive(Baggage)]
struct Request {
    #[baggage(flatten, rename = "user", max_len = 3)]
    user: User,
    #[baggage(prefix = "x.")]
    region: String,
}

fn main() {}
