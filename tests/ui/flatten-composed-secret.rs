use typed_baggage::Baggage;

/// Innocent alone: `key` and `word` are not secrets.
#[derive(Baggage)]
struct Lookup {
    key: String,
}

#[derive(Baggage)]
struct Request {
    // `api.` + `key` is `api.key` on the wire: an API key.
    #[baggage(flatten, prefix = "api.")]
    lookup: Lookup,
}

fn main() {}
