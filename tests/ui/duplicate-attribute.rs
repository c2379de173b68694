use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage(prefix = "app.")]
#[baggage(prefix = "svc.")]
struct Ctx {
    user_id: u64,
}

fn main() {}
