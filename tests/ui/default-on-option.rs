use typed_baggage::Baggage;

#[derive(Baggage)]
struct Ctx {
    #[baggage(default)]
    region: Option<String>,
}

fn main() {}
