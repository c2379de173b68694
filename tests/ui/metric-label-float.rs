use typed_baggage::Baggage;

#[derive(Baggage)]
struct Ctx {
    #[baggage(metric_label)]
    sample_rate: Option<f64>,
}

fn main() {}
