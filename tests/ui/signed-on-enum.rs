use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage(signed)]
enum Tier {
    Free,
    Premium,
}

fn main() {}
