use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage(prefix = "pay.", signed, bind_trace = true)]
struct Payment {
    order_id: u64,
}

fn main() {}
