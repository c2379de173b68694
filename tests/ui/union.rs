use typed_baggage::Baggage;

#[derive(Baggage)]
union Bits {
    int: u32,
    float: f32,
}

fn main() {}
