use typed_baggage::Baggage;

#[derive(Baggage)]
struct Ctx {
    retries: Option<Option<u8>>,
}

fn main() {}
