use typed_baggage::Baggage;

#[derive(Baggage)]
struct Login {
    cvv2: u16,
    api_key2: String,
    passw0rd: String,
    pwd: String,
    mfa_code: u32,
    jwt: String,
    #[baggage(rename = "user.email")]
    contact: String,
    date_of_birth: String,
    ip_address: String,
}

fn main() {}
