//! The caller schema the carrier tests share: who is calling, as a gateway
//! sets it, and the header our propagator writes for it.
#![allow(dead_code)] // each test file uses what it needs

use typed_baggage::prelude::*;

/// Who is calling.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "app.")]
pub struct Caller {
    pub user_id: u64,
    pub tier: Tier,
    pub region: Option<String>,
}

/// A derived enum.
#[derive(Baggage, Debug, Clone, Copy, PartialEq)]
#[baggage(rename_all = "snake_case")]
pub enum Tier {
    Free,
    Premium,
}

/// The caller of every carrier test.
pub fn caller() -> Caller {
    Caller {
        user_id: 7,
        tier: Tier::Premium,
        region: Some("eu west".into()),
    }
}

/// The header our propagator writes for [`caller`].
pub const CALLER_HEADER: &str = "app.region=eu%20west,app.tier=premium,app.user_id=7";

/// What a service keeps to itself: a local schema, on its telemetry and
/// never sent by any carrier.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "shard.", local)]
pub struct Shard {
    pub id: u32,
    pub route: String,
}

/// The local context of every carrier test.
pub fn shard() -> Shard {
    Shard {
        id: 3,
        route: "checkout".into(),
    }
}

/// A context with the [`caller`] (propagated) and the [`shard`] (local).
pub fn caller_and_shard() -> opentelemetry::Context {
    opentelemetry::Context::new()
        .with_typed(&caller())
        .and_then(|cx| cx.with_typed(&shard()))
        .expect("both fit")
}

/// A forged copy of the local schema's keys, as a client would send them.
pub const FORGED_SHARD: &str = "shard.id=9,shard.route=admin";
