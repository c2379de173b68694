//! The schemas of the quickstart, with the fields fit to be metric labels
//! marked: shared by `examples/schema_docs.rs` and `examples/logging.rs`.
#![allow(dead_code)]

use typed_baggage::prelude::*;

/// Who is calling: set once at the gateway.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "app.")]
pub struct UserCtx {
    /// The account id.
    pub user_id: u64,
    /// The subscription tier.
    #[baggage(metric_label)]
    pub tier: Tier,
    /// Feature names enabled for this user.
    pub features: Vec<String>,
    /// Where the user is served from, if known.
    #[baggage(
        rename = "geo",
        metric_label,
        allow_high_cardinality = "one of our 6 serving regions"
    )]
    pub region: Option<String>,
    /// Retries so far; absent means none.
    #[baggage(default)]
    pub retries: u8,
}

/// Subscription tiers.
#[derive(Baggage, Debug, Clone, Copy, PartialEq)]
#[baggage(rename_all = "snake_case")]
pub enum Tier {
    Free,
    Premium,
    EnterpriseGold,
}

/// Feature flags and experiments, consistent across every service.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "ff.")]
pub struct Flags {
    /// The new checkout page.
    #[baggage(metric_label)]
    pub new_checkout: bool,
    /// The experiment group, for users in the experiment.
    #[baggage(metric_label)]
    pub experiment_group: Option<Variant>,
}

/// Experiment groups.
#[derive(Baggage, Debug, Clone, Copy, PartialEq)]
#[baggage(rename_all = "snake_case")]
pub enum Variant {
    Control,
    VariantB,
}

/// How data of this request must be handled.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "compliance.", max_bytes = 256)]
pub struct Compliance {
    /// The data-protection regime of the user.
    #[baggage(metric_label)]
    pub gdpr_region: Region,
    /// How sensitive the data handled is.
    #[baggage(metric_label)]
    pub data_classification: Classification,
    /// The audit trail this request's data accesses go to.
    pub audit_id: String,
}

/// Data-protection regimes.
#[derive(Baggage, Debug, Clone, Copy, PartialEq)]
#[baggage(rename_all = "lowercase")]
pub enum Region {
    Eu,
    Us,
    Apac,
}

/// Data classifications.
#[derive(Baggage, Debug, Clone, Copy, PartialEq)]
#[baggage(rename_all = "lowercase")]
pub enum Classification {
    Public,
    Internal,
    Sensitive,
}

/// A user the examples use.
pub fn example_user() -> UserCtx {
    UserCtx {
        user_id: 12345,
        tier: Tier::Premium,
        features: vec!["new_checkout".into(), "dark_mode".into()],
        region: Some("eu-west".into()),
        retries: 0,
    }
}

/// The flags of that user.
pub fn example_flags() -> Flags {
    Flags {
        new_checkout: true,
        experiment_group: Some(Variant::VariantB),
    }
}
