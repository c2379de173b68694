use typed_baggage::Baggage;

struct Connection;

#[derive(Baggage)]
struct Ctx {
    user_id: u64,
    #[baggage(skip)]
    connection: Connection,
}

fn main() {}
