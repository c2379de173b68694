use typed_baggage::prelude::*;

#[derive(Baggage)]
#[baggage(prefix = "app.")]
struct UserCtx {
    #[baggage(metric_label)]
    user_id: u64,
}

fn main() {
    // No follow-on error where the schema is used.
    let user = UserCtx::from_current().unwrap();
    let _ = user.metric_attributes();
}
