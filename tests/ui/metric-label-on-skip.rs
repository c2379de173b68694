use typed_baggage::Baggage;

#[derive(Baggage)]
struct Ctx {
    user_id: u64,
    #[baggage(skip, metric_label)]
    cached: bool,
}

fn main() {}
