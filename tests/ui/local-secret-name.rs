use typed_baggage::Baggage;

// Local entries reach spans, log lines and metric labels: a secret-looking
// name is refused there too.
#[derive(Baggage)]
#[baggage(prefix = "route.", local)]
struct RouteCtx {
    session_token: String,
}

fn main() {}
