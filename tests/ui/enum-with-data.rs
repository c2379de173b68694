use typed_baggage::Baggage;

#[derive(Baggage)]
enum Tier {
    Free,
    Paid { seats: u32 },
}

fn main() {}
