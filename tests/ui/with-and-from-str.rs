use typed_baggage::Baggage;

mod ip_codec {
    use std::net::IpAddr;

    pub fn encode(ip: &IpAddr, out: &mut String) {
        out.push_str(&ip.to_string());
    }

    pub fn decode(text: &str) -> Result<IpAddr, std::net::AddrParseError> {
        text.parse()
    }
}

#[derive(Baggage)]
struct Ctx {
    #[baggage(with = ip_codec, from_str)]
    client_ip: std::net::IpAddr,
}

fn main() {}
