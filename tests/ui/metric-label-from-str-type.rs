use std::net::IpAddr;
use typed_baggage::Baggage;

#[derive(Baggage)]
struct Ctx {
    #[baggage(from_str, metric_label)]
    client_ip: IpAddr,
}

fn main() {}
