use typed_baggage::Baggage;

#[derive(Baggage)]
struct Ctx {
    #[baggage(metric_label)]
    user_name: String,
}

fn main() {}
