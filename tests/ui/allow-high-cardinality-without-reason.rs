use typed_baggage::Baggage;

#[derive(Baggage)]
struct Ctx {
    #[baggage(metric_label, allow_high_cardinality)]
    region: String,
}

fn main() {}
