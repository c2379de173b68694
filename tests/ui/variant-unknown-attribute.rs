use typed_baggage::Baggage;

#[derive(Baggage)]
enum Tier {
    #[baggage(alias = "gratis")]
    Free,
    Premium,
}

fn main() {}
