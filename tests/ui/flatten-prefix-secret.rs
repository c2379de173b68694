use typed_baggage::Baggage;

#[derive(Baggage)]
struct Caller {
    id: u64,
}

#[derive(Baggage)]
struct Request {
    #[baggage(flatten, prefix = "auth.")]
    caller: Caller,
    #[baggage(flatten, prefix = "bad/")]
    other: Caller,
}

fn main() {}
