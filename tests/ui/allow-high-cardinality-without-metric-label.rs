use typed_baggage::Baggage;

#[derive(Baggage)]
struct Ctx {
    #[baggage(allow_high_cardinality = "one of 12 data centres")]
    region: String,
}

fn main() {}
