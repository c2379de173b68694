use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage(rename_all = "snakecase")]
struct Ctx {
    user_id: u64,
}

fn main() {}
