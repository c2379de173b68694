use typed_baggage::Baggage;

#[derive(Baggage, Clone, Copy)]
enum Flag {
    Dark,
    Beta,
}

#[derive(Baggage)]
struct Ctx {
    #[baggage(metric_label)]
    flags: Vec<Flag>,
}

fn main() {}
