//! The accepted side of the compile-time guards: innocent names, a secret-
//! looking name allowed with a reason, bounded fields within the budget, and
//! flattened schemas with distinct keys.
use opentelemetry::Context;
use typed_baggage::prelude::*;

#[derive(Baggage, Debug, PartialEq)]
#[baggage(prefix = "app.")]
struct Innocent {
    tokenizer_version: u32,
    author: String,
    session_id: u64,
    /// A public, non-secret id of the API key used (its fingerprint).
    #[baggage(allow_secret = "a public fingerprint of the key, not the key itself")]
    api_key_fingerprint: String,
}

#[derive(Baggage, Debug, PartialEq, Clone, Copy)]
enum Tier {
    Free,
    Premium,
}

#[derive(Baggage, Debug, PartialEq)]
#[baggage(prefix = "app.", max_bytes = 160)]
struct Bounded {
    user_id: u64,
    tier: Tier,
    #[baggage(max_len = 8)]
    region: String,
}

#[derive(Baggage, Debug, PartialEq)]
#[baggage(prefix = "user.")]
struct User {
    id: u64,
}

#[derive(Baggage, Debug, PartialEq)]
#[baggage(prefix = "req.")]
struct Request {
    #[baggage(flatten)]
    user: User,
    #[baggage(flatten, prefix = "payer.")]
    payer: User,
    beta: bool,
}

fn main() {
    // `app.user_id=` + 20 digits, `app.tier=` + `Premium`, `app.region=` +
    // 8 characters of up to 12 bytes each (`%F0%9F%98%80`), and two commas.
    assert_eq!(Bounded::MAX_ENCODED_LEN, Some(12 + 20 + 9 + 7 + 11 + 8 * 12 + 2));
    let r = Request {
        user: User { id: 1 },
        payer: User { id: 2 },
        beta: true,
    };
    let cx = Context::new().with_typed(&r).unwrap();
    assert_eq!(cx.typed::<Request>().unwrap(), r);
    let i = Innocent {
        tokenizer_version: 3,
        author: "ada".into(),
        session_id: 9,
        api_key_fingerprint: "ab12".into(),
    };
    assert_eq!(Context::new().with_typed(&i).unwrap().typed::<Innocent>().unwrap(), i);
}
