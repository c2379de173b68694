use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage(prefix = "pay.", bind_trace)]
struct Payment {
    order_id: u64,
}

fn main() {}
