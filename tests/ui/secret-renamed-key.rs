use typed_baggage::Baggage;

#[derive(Baggage)]
struct Outbound {
    #[baggage(rename = "x-api-key")]
    partner: String,
    #[baggage(rename = "STRIPE_TOKEN")]
    billing: String,
}

fn main() {}
