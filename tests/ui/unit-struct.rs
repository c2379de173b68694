use typed_baggage::Baggage;

#[derive(Baggage)]
struct Nothing;

fn main() {}
