use typed_baggage::Baggage;

#[derive(Baggage)]
struct Ctx {
    #[baggage(default = "default_region")]
    region: String,
}

fn main() {}
