use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage(prefix = "pay.", signed)]
struct Payment {
    #[baggage(bind_trace)]
    order_id: u64,
}

fn main() {}
