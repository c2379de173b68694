use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage(signed = "app sig")]
struct Ctx {
    #[baggage(rename = "app.user_id")]
    user_id: u64,
}

fn main() {}
