use typed_baggage::Baggage;

#[derive(Baggage)]
struct UserId(u64);

fn main() {}
