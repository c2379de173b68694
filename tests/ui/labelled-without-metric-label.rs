use typed_baggage::metrics::labelled::Labelled;
use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage(prefix = "app.")]
struct UserCtx {
    user_id: u64,
}

fn main() {
    let meter = opentelemetry::global::meter("shop");
    let _requests = Labelled::new::<UserCtx>(meter.u64_counter("requests").build());
}
