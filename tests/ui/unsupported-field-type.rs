use typed_baggage::Baggage;

#[derive(Baggage)]
struct Ctx {
    user_id: u64,
    labels: std::collections::HashMap<String, String>,
}

fn main() {}
