use typed_baggage::Baggage;

#[derive(Baggage)]
#[baggage(prefix = "app/", rename_all = "snakecase", max_bytes = 0)]
struct Ctx {
    #[baggage(rename = "user id")]
    user_id: u64,
    #[baggage(rename = "tier", colour)]
    tier: String,
    #[baggage(rename = "tier")]
    plan: String,
    #[baggage(default)]
    region: Option<String>,
}

fn main() {}
