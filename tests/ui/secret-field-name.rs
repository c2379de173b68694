use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage(prefix = "app.")]
struct Login {
    user_id: u64,
    userPassword: String,
}

fn main() {}
