use typed_baggage::Baggage;

#[derive(Baggage)]
struct Ctx {
    #[baggage(allow_secret = "region names are public")]
    region: String,
}

fn main() {}
