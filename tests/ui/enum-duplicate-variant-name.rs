use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage(rename_all = "lowercase")]
enum Tier {
    Free,
    #[baggage(rename = "free")]
    Trial,
}

fn main() {}
