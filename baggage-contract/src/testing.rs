//! Pinning a service's schemas in its own `cargo test`: an incompatible
//! change to what it reads or writes fails the build, not a request.
//!
//! Each service keeps a copy of its peers' documents in a directory of its
//! repository (`contracts/`, say; copied from the peers' repositories or a
//! shared one) and its own document beside them. [`assert_compatible`]
//! checks the service against the peers and checks that its own checked-in
//! document is current, so that the peers' copies can be refreshed from it.
//!
//! ```no_run
//! use baggage_contract::testing::assert_compatible;
//! use typed_baggage::prelude::*;
//! use typed_baggage::schema::document::Document;
//!
//! #[derive(Baggage)]
//! #[baggage(prefix = "app.")]
//! struct UserCtx { user_id: u64 }
//!
//! #[test]
//! fn baggage_contract_holds() {
//!     let own = Document::new("checkout", &[], &[&UserCtx::SCHEMA]);
//!     // Reads contracts/*.json; fails with the report on an incompatibility,
//!     // or when contracts/checkout.json is not `own` (run once with
//!     // BAGGAGE_CONTRACT_BLESS=1 to write it, and commit it).
//!     assert_compatible(&own, "contracts");
//! }
//! ```

use std::path::{Path, PathBuf};

use baggage_core::schema::document::Document;

use crate::check::{check, Report};
use crate::{load, to_json, ContractError};

/// The environment variable that makes [`assert_compatible`] write the
/// service's own document instead of failing when it is missing or stale.
pub const BLESS_ENV: &str = "BAGGAGE_CONTRACT_BLESS";

/// What [`verify`] found.
#[derive(Debug)]
pub struct Verified {
    /// The check of the service with its peers, only the problems that
    /// involve the service.
    pub report: Report,
    /// The peers' documents read from the directory.
    pub peers: Vec<PathBuf>,
    /// Whether the service's own document had to be written (blessed).
    pub blessed: bool,
}

/// Checks `own` against every peer document in `dir` (each `*.json` but
/// the service's own, `<service>.json`), and that `<service>.json` is
/// `own` (written when [`BLESS_ENV`] is `1`).
pub fn verify(own: &Document, dir: impl AsRef<Path>) -> Result<Verified, ContractError> {
    let dir = dir.as_ref();
    let own_path = dir.join(format!("{}.json", own.service));
    let mut peers = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| ContractError::Io {
        path: dir.to_owned(),
        error: e.to_string(),
    })?;
    for entry in entries {
        let path = entry
            .map_err(|e| ContractError::Io {
                path: dir.to_owned(),
                error: e.to_string(),
            })?
            .path();
        if path.extension().is_some_and(|x| x == "json") && path != own_path {
            peers.push(path);
        }
    }
    peers.sort();
    let mut fleet = vec![own.clone()];
    for path in &peers {
        let doc = load(path)?;
        if doc.service == own.service {
            return Err(ContractError::Invalid {
                path: path.clone(),
                error: format!("a peer document of the service itself ({:?})", own.service),
            });
        }
        fleet.push(doc);
    }
    let bless = std::env::var(BLESS_ENV).is_ok_and(|v| v.trim() == "1");
    let current = match load(&own_path) {
        Ok(checked_in) => checked_in == *own,
        Err(ContractError::Io { .. }) => false,
        Err(e) if !bless => return Err(e),
        Err(_) => false,
    };
    let mut blessed = false;
    if !current {
        if !bless {
            return Err(ContractError::Stale { path: own_path });
        }
        std::fs::write(&own_path, to_json(own)).map_err(|e| ContractError::Io {
            path: own_path.clone(),
            error: e.to_string(),
        })?;
        blessed = true;
    }
    let mut report = check(&fleet);
    report
        .problems
        .retain(|p| p.sides.iter().any(|s| s.service == own.service));
    Ok(Verified {
        report,
        peers,
        blessed,
    })
}

/// [`verify`], panicking with the report (or the reason the check could
/// not run) unless the service is compatible with its peers.
#[track_caller]
pub fn assert_compatible(own: &Document, dir: impl AsRef<Path>) -> Report {
    let dir = dir.as_ref();
    match verify(own, dir) {
        Ok(v) if v.report.is_compatible() => v.report,
        Ok(v) => panic!(
            "the baggage contract of {} with its peers in {} is broken:\n{}",
            own.service,
            dir.display(),
            v.report
        ),
        Err(e) => panic!(
            "the baggage contract of {} was not checked: {e}",
            own.service
        ),
    }
}
