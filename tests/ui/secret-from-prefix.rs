use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage(prefix = "auth.")]
struct Caller {
    method: String,
}

fn main() {}
