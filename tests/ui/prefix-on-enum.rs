use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage(prefix = "app.")]
enum Tier {
    Free,
    Premium,
}

fn main() {}
