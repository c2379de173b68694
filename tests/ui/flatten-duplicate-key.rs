use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage(prefix = "app.")]
struct User {
    user_id: u64,
}

#[derive(Baggage)]
#[baggage(prefix = "app.")]
struct Request {
    #[baggage(flatten)]
    user: User,
    user_id: String,
}

fn main() {}
