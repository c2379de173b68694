//! A gateway sets typed user, feature-flag and compliance context; code
//! downstream reads it back and decides how to handle the request.
//!
//! Run with `cargo run --example quickstart`.

use opentelemetry::baggage::BaggageExt;
use opentelemetry::{Context, KeyValue};
use typed_baggage::prelude::*;

/// Who is calling: set once at the gateway.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "app.")]
struct UserCtx {
    /// The account id.
    user_id: u64,
    /// The subscription tier.
    tier: Tier,
    /// Feature names enabled for this user.
    features: Vec<String>,
    /// Where the user is served from, if known.
    #[baggage(rename = "geo")]
    region: Option<String>,
    /// Retries so far; absent means none.
    #[baggage(default)]
    retries: u8,
}

#[derive(Baggage, Debug, Clone, Copy, PartialEq)]
#[baggage(rename_all = "snake_case")]
enum Tier {
    Free,
    Premium,
    EnterpriseGold,
}

/// Feature flags and experiments, consistent across every service.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "ff.")]
struct Flags {
    new_checkout: bool,
    experiment_group: Option<Variant>,
}

#[derive(Baggage, Debug, Clone, Copy, PartialEq)]
#[baggage(rename_all = "snake_case")]
enum Variant {
    Control,
    VariantB,
}

/// How data of this request must be handled.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "compliance.", max_bytes = 256)]
struct Compliance {
    gdpr_region: Region,
    data_classification: Classification,
    audit_id: String,
}

#[derive(Baggage, Debug, Clone, Copy, PartialEq)]
#[baggage(rename_all = "lowercase")]
enum Region {
    Eu,
    Us,
    Apac,
}

#[derive(Baggage, Debug, Clone, Copy, PartialEq)]
#[baggage(rename_all = "lowercase")]
enum Classification {
    Public,
    Internal,
    Sensitive,
}

/// The gateway: authenticates the request and sets the context once.
fn gateway() -> Result<Context, typed_baggage::Error> {
    let user = UserCtx {
        user_id: 12345,
        tier: Tier::Premium,
        features: vec!["new_checkout".into(), "dark_mode".into()],
        region: Some("eu-west".into()),
        retries: 0,
    };
    let flags = Flags {
        new_checkout: true,
        experiment_group: Some(Variant::VariantB),
    };
    let compliance = Compliance {
        gdpr_region: Region::Eu,
        data_classification: Classification::Sensitive,
        audit_id: "audit-789".into(),
    };
    println!(
        "gateway: user {} ({:?}), flags {:?}",
        user.user_id, user.tier, flags
    );
    // Merge, never clobber: whatever else is in the baggage stays.
    let cx = Context::current()
        .with_typed(&user)?
        .with_typed(&flags)?
        .with_typed(&compliance)?;
    let mut entries: Vec<String> = cx
        .baggage()
        .iter()
        .map(|(k, (v, _))| format!("{k}={v}"))
        .collect();
    entries.sort();
    println!("gateway: baggage now carries {} entries:", entries.len());
    for e in entries {
        println!("  {e}");
    }
    Ok(cx)
}

/// A downstream handler: reads the context it needs, typed.
fn checkout() -> Result<(), typed_baggage::Error> {
    let user = UserCtx::from_current()?;
    let flags = Flags::from_current()?;
    let queue = if user.tier == Tier::Premium {
        "priority"
    } else {
        "standard"
    };
    println!("checkout: user {} goes to the {queue} queue", user.user_id);
    let flow = match (flags.new_checkout, flags.experiment_group) {
        (true, Some(Variant::VariantB)) => "new checkout, experiment variant B",
        (true, _) => "new checkout",
        (false, _) => "classic checkout",
    };
    println!("checkout: using the {flow}");
    Ok(())
}

/// Another downstream service: data handling by compliance regime.
fn storage() -> Result<(), typed_baggage::Error> {
    let c = Compliance::from_current()?;
    let store = match c.gdpr_region {
        Region::Eu => "the EU data store, encrypted at rest",
        Region::Us | Region::Apac => "the regional data store",
    };
    println!(
        "storage: {:?} data goes to {store}; audit trail {}",
        c.data_classification, c.audit_id
    );
    Ok(())
}

fn main() -> Result<(), typed_baggage::Error> {
    let cx = gateway()?;
    {
        let _guard = cx.attach();
        checkout()?;
        storage()?;
    }

    // What a downstream service sees when the context is broken: every bad
    // key at once, each named, with what was expected and what was found.
    let forged = Context::new().with_baggage([
        KeyValue::new("app.user_id", "12a"),
        KeyValue::new("app.tier", "platinum"),
        KeyValue::new("app.features", ""),
    ]);
    match forged.typed::<UserCtx>() {
        Ok(u) => println!("unexpected: {u:?}"),
        Err(e) => {
            println!(
                "bad baggage rejected; keys at fault: {:?}",
                e.keys().collect::<Vec<_>>()
            );
            for err in e.errors() {
                println!("  {err}");
            }
        }
    }
    Ok(())
}
