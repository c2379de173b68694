use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage(prefix = "route.", local = true)]
struct RouteCtx {
    name: String,
}

fn main() {}
