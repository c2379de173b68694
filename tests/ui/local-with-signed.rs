use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage(prefix = "route.", local, signed)]
struct RouteCtx {
    name: String,
}

fn main() {}
