use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage(prefix = "route.", local)]
struct RouteCtx {
    name: String,
}

#[derive(Baggage)]
#[baggage(prefix = "app.")]
struct Request {
    user_id: u64,
    #[baggage(flatten)]
    route: RouteCtx,
}

fn main() {}
