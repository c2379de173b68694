use typed_baggage::Baggage;

#[derive(Baggage)]
struct Ctx {
    features: Vec<Option<String>>,
}

fn main() {}
