use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage(prefix = "app.")]
struct Ctx {
    region: String,
    #[baggage(rename = "region")]
    geo: String,
}

fn main() {}
