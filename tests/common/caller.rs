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
