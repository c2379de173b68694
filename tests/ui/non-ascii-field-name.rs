use typed_baggage::Baggage;

#[derive(Baggage)]
struct Ctx {
    größe: u32,
}

fn main() {}
