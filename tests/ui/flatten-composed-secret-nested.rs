use typed_baggage::Baggage;

#[derive(Baggage)]
struct Card {
    card: String,
}

#[derive(Baggage)]
struct Payment {
    #[baggage(flatten)]
    card: Card,
}

#[derive(Baggage)]
struct Checkout {
    // the outermost prefix wins: `credit.card`, a credit card number
    #[baggage(flatten, prefix = "credit.")]
    payment: Payment,
}

fn main() {}
