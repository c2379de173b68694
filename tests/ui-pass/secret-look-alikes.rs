//! Names that look like secret words but are not: they compile.
use typed_baggage::Baggage;

#[derive(Baggage)]
struct LookAlikes {
    pinned: bool,
    tokenizer: String,
    author: String,
    session_id: u64,
    ip_version: u8,
    emailer_queue: String,
    phone_model: String,
    oauth2_provider: String,
    s3_bucket: String,
}

/// A secret the field's own derive allowed stays allowed under a prefix.
#[derive(Baggage)]
struct Public {
    #[baggage(allow_secret = "a public key id, not a credential")]
    key_token: String,
}

#[derive(Baggage)]
struct Outer {
    #[baggage(flatten, prefix = "edge.")]
    public: Public,
    #[baggage(flatten, prefix = "lookup.")]
    looks: LookAlikes,
}

fn main() {
    let keys: Vec<String> = <Outer as typed_baggage::Baggage>::SCHEMA
        .keys()
        .into_iter()
        .map(|k| k.into_owned())
        .collect();
    assert!(keys.contains(&"edge.key_token".to_owned()));
    assert!(keys.contains(&"lookup.pinned".to_owned()));
}
