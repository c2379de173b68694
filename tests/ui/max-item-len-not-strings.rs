use typed_baggage::Baggage;

#[derive(Baggage)]
struct Ctx {
    #[baggage(max_len = 4, max_item_len = 8)]
    shards: Vec<u32>,
}

fn main() {}
