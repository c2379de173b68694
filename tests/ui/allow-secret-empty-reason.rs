use typed_baggage::Baggage;

#[derive(Baggage)]
struct Ctx {
    #[baggage(allow_secret = "  ")]
    session_token: String,
}

fn main() {}
