use typed_baggage::Baggage;

mod ip_codec {
    use std::net::IpAddr;

    pub fn encode(ip: &IpAddr, out: &mut String) {
        out.push_str(&ip.to_string());
    }

    // Named `parse`: the module must have a `decode`.
    pub fn parse(text: &str) -> Result<IpAddr, std::net::AddrParseError> {
        text.parse()
    }
}

#[derive(Baggage)]
struct Ctx {
    #[baggage(with = ip_codec)]
    client_ip: std::net::IpAddr,
}

fn main() {}
