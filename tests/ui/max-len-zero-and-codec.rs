use std::net::Ipv4Addr;
use typed_baggage::Baggage;

#[derive(Baggage)]
struct Ctx {
    #[baggage(max_len = 0)]
    name: String,
    #[baggage(from_str, max_len = 15)]
    client: Ipv4Addr,
}

fn main() {}
