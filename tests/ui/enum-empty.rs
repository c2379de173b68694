use typed_baggage::Baggage;

#[derive(Baggage)]
enum Never {}

fn main() {}
