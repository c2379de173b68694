//! A parent process starts a child that reads its typed context from the
//! environment (`BAGGAGE`), as a batch job, a CI step or a command-line
//! tool would.
//!
//! ```sh
//! cargo run --example env_child --features env
//! ```

use std::process::Command;

use opentelemetry::Context;
use typed_baggage::policy::InboundPolicy;
use typed_baggage::prelude::*;

/// The context a job runs under.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "job.")]
struct JobCtx {
    tenant: String,
    attempt: u8,
    dry_run: bool,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().nth(1).as_deref() == Some("child") {
        // The child trusts its parent: it was started by it.
        let job = JobCtx::from_env(&InboundPolicy::TrustAll)?;
        println!("child: read {job:?} from BAGGAGE");
        return Ok(());
    }

    let job = JobCtx {
        tenant: "acme corp".into(),
        attempt: 1,
        dry_run: true,
    };
    let cx = Context::new().with_typed(&job)?;
    let mut child = Command::new(std::env::current_exe()?);
    child.arg("child");
    typed_baggage::env::inject(&cx, &mut child);
    println!(
        "parent: starting the child with BAGGAGE={}",
        child
            .get_envs()
            .find(|(k, _)| *k == typed_baggage::env::BAGGAGE_VAR)
            .and_then(|(_, v)| v)
            .map(|v| v.to_string_lossy().into_owned())
            .unwrap_or_default()
    );
    let status = child.status()?;
    if !status.success() {
        return Err(format!("the child failed: {status}").into());
    }
    Ok(())
}
