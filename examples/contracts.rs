//! Contracts between three services, and the change that breaks one.
//!
//! - `gateway` writes who is calling (`UserCtx`);
//! - `checkout` reads `UserCtx` and writes the order (`OrderCtx`);
//! - `billing` reads both.
//!
//! Each service's document (what it writes and reads) is what it would
//! check in next to its code. The gateway's next release adds a tier,
//! `enterprise`: the check says which readers break, and the evolution
//! rules say to deploy the readers first.
//!
//! Run with `cargo run --example contracts --features serde [DIR]`: it
//! prints both checks and writes the documents to DIR (default
//! `target/contracts`), where the command-line tool can check them:
//!
//! ```text
//! cargo run -p baggage-contract -- check target/contracts/{gateway,checkout,billing}.json
//! cargo run -p baggage-contract -- check target/contracts/{gateway-next,checkout,billing}.json
//! cargo run -p baggage-contract -- evolve target/contracts/gateway.json target/contracts/gateway-next.json
//! ```

use std::path::PathBuf;

use baggage_contract::evolution::classify_documents;
use baggage_contract::{check, to_json, Document};
use typed_baggage::Baggage;

/// The schemas as the shared crate of the current release declares them.
mod current {
    use typed_baggage::prelude::*;

    /// The plan an account pays for.
    #[derive(Baggage, Clone, Copy)]
    #[baggage(rename_all = "snake_case")]
    pub enum Tier {
        Free,
        Premium,
    }

    /// Who is calling, set once at the gateway.
    #[derive(Baggage)]
    #[baggage(prefix = "app.")]
    pub struct UserCtx {
        /// The account id.
        pub user_id: u64,
        #[baggage(metric_label)]
        pub tier: Tier,
        #[baggage(max_len = 16)]
        pub region: Option<String>,
    }

    /// The order being paid, set by checkout.
    #[derive(Baggage)]
    #[baggage(prefix = "order.")]
    pub struct OrderCtx {
        pub id: u64,
        pub currency: String,
    }
}

/// The gateway's next release: one more tier.
mod next {
    use typed_baggage::prelude::*;

    /// The plan an account pays for.
    #[derive(Baggage, Clone, Copy)]
    #[baggage(rename_all = "snake_case")]
    pub enum Tier {
        Free,
        Premium,
        Enterprise,
    }

    /// Who is calling, set once at the gateway.
    #[derive(Baggage)]
    #[baggage(prefix = "app.")]
    pub struct UserCtx {
        /// The account id.
        pub user_id: u64,
        #[baggage(metric_label)]
        pub tier: Tier,
        #[baggage(max_len = 16)]
        pub region: Option<String>,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let gateway = Document::new("gateway", &[&current::UserCtx::SCHEMA], &[]);
    let gateway_next = Document::new("gateway", &[&next::UserCtx::SCHEMA], &[]);
    let checkout = Document::new(
        "checkout",
        &[&current::OrderCtx::SCHEMA],
        &[&current::UserCtx::SCHEMA],
    );
    let billing = Document::new(
        "billing",
        &[],
        &[&current::UserCtx::SCHEMA, &current::OrderCtx::SCHEMA],
    );

    println!("== the current release");
    let report = check(&[gateway.clone(), checkout.clone(), billing.clone()]);
    print!("{report}");
    assert!(report.is_compatible());

    println!("\n== the gateway's next release");
    let report = check(&[gateway_next.clone(), checkout.clone(), billing.clone()]);
    print!("{report}");
    assert_eq!(report.problems.len(), 2, "checkout and billing both break");

    println!("\n== how to deploy it");
    for (schema, evolution) in classify_documents(&gateway, &gateway_next) {
        println!("{schema}: {}", evolution.deploy);
    }

    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/contracts"));
    std::fs::create_dir_all(&dir)?;
    for (file, doc) in [
        ("gateway.json", &gateway),
        ("gateway-next.json", &gateway_next),
        ("checkout.json", &checkout),
        ("billing.json", &billing),
    ] {
        std::fs::write(dir.join(file), to_json(doc))?;
    }
    println!("\nthe documents are in {}", dir.display());
    Ok(())
}
