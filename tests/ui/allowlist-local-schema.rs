use typed_baggage::policy::Allowlist;
use typed_baggage::Baggage;

/// Set by this service for its own handlers; never carried.
#[derive(Baggage)]
#[baggage(prefix = "route.", local)]
struct RouteCtx {
    name: String,
}

fn main() {
    // A caller could send `route.name=...`: only a forgery can arrive.
    let _allow = Allowlist::new().schema::<RouteCtx>();
}
