use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage(metric_label)]
struct Ctx {
    beta: bool,
}

fn main() {}
