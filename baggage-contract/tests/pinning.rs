//! The test helper (`testing::verify`, `assert_compatible`) and the
//! `baggage-contract` command, on real files in a temporary directory.

use std::path::Path;
use std::process::Command;

use baggage_contract::testing::{assert_compatible, verify, BLESS_ENV};
use baggage_contract::{load, to_json, ContractError, Kind};
use typed_baggage::schema::document::Document;
use typed_baggage::Baggage;

mod gateway {
    use typed_baggage::prelude::*;
    #[derive(Baggage)]
    #[baggage(prefix = "app.")]
    pub struct UserCtx {
        pub user_id: u64,
        pub region: Option<String>,
    }
}

mod billing_v1 {
    use typed_baggage::prelude::*;
    #[derive(Baggage)]
    #[baggage(prefix = "app.")]
    pub struct UserCtx {
        pub user_id: u64,
    }
}

mod billing_v2 {
    use typed_baggage::prelude::*;
    /// The change that breaks: a u32 id.
    #[derive(Baggage)]
    #[baggage(prefix = "app.")]
    pub struct UserCtx {
        pub user_id: u32,
    }
}

fn write(dir: &Path, doc: &Document) {
    std::fs::write(dir.join(format!("{}.json", doc.service)), to_json(doc)).unwrap();
}

fn gateway_doc() -> Document {
    Document::new("gateway", &[&gateway::UserCtx::SCHEMA], &[])
}

/// One test for everything that reads the process environment
/// ([`BLESS_ENV`]), so that no other test runs while it is set.
#[test]
fn a_service_pins_its_schemas_against_its_peers() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &gateway_doc());
    let own = Document::new("billing", &[], &[&billing_v1::UserCtx::SCHEMA]);

    // The service's own document is not checked in yet: the check says how.
    let err = verify(&own, dir.path()).unwrap_err();
    assert!(matches!(err, ContractError::Stale { .. }), "{err}");
    assert!(
        err.to_string().contains("BAGGAGE_CONTRACT_BLESS=1"),
        "{err}"
    );

    // Blessed once, then current.
    std::env::set_var(BLESS_ENV, "1");
    let blessed = verify(&own, dir.path()).unwrap();
    std::env::remove_var(BLESS_ENV);
    assert!(blessed.blessed);
    assert_eq!(load(dir.path().join("billing.json")).unwrap(), own);
    let report = assert_compatible(&own, dir.path());
    assert_eq!(report.keys_checked, 1);

    // The incompatible change fails the service's build, naming the key.
    let changed = Document::new("billing", &[], &[&billing_v2::UserCtx::SCHEMA]);
    write(dir.path(), &changed);
    let v = verify(&changed, dir.path()).unwrap();
    assert_eq!(v.peers, [dir.path().join("gateway.json")]);
    let p: Vec<_> = v
        .report
        .problems
        .iter()
        .map(|p| (p.kind, p.key.as_str()))
        .collect();
    assert_eq!(p, [(Kind::FormatMismatch, "app.user_id")]);
    let panic = std::panic::catch_unwind(|| assert_compatible(&changed, dir.path())).unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(
        message.starts_with("the baggage contract of billing with its peers in"),
        "{message}"
    );
    assert!(
        message.contains("format_mismatch `app.user_id`: u64 written, u32 read"),
        "{message}"
    );

    // A stale checked-in copy of its own document fails too.
    let err = verify(&own, dir.path()).unwrap_err();
    assert!(matches!(err, ContractError::Stale { .. }), "{err}");
}

#[test]
fn a_peer_document_that_is_not_a_contract_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let own = Document::new("billing", &[], &[&billing_v1::UserCtx::SCHEMA]);
    write(dir.path(), &own);
    std::fs::write(
        dir.path().join("peer.json"),
        r#"{"format":"typed-baggage.contract","version":3}"#,
    )
    .unwrap();
    let err = verify(&own, dir.path()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: contract format version 3 (this build reads versions 1 to 2)",
            dir.path().join("peer.json").display()
        )
    );
    std::fs::write(dir.path().join("peer.json"), r#"{"format":"x\u001b[2J"}"#).unwrap();
    let err = verify(&own, dir.path()).unwrap_err().to_string();
    assert!(err.ends_with(r#"not a typed-baggage contract: `format` is "x\u{1b}[2J", expected "typed-baggage.contract""#), "{err}");
    std::fs::write(dir.path().join("peer.json"), "not json").unwrap();
    let err = verify(&own, dir.path()).unwrap_err().to_string();
    assert!(err.contains("peer.json: not JSON: expected ident"), "{err}");
}

fn command(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_baggage-contract"))
        .args(args)
        .output()
        .expect("the baggage-contract binary runs");
    (
        out.status.code().expect("an exit code"),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn the_command_checks_evolves_and_exports() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(p, &gateway_doc());
    std::fs::write(
        p.join("billing-v1.json"),
        to_json(&Document::new(
            "billing",
            &[],
            &[&billing_v1::UserCtx::SCHEMA],
        )),
    )
    .unwrap();
    std::fs::write(
        p.join("billing-v2.json"),
        to_json(&Document::new(
            "billing",
            &[],
            &[&billing_v2::UserCtx::SCHEMA],
        )),
    )
    .unwrap();
    let gw = p.join("gateway.json");
    let (v1, v2) = (p.join("billing-v1.json"), p.join("billing-v2.json"));

    let (code, out, _) = command(&["check".as_ref(), gw.as_ref(), v1.as_ref()]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out,
        "compatible: 1 keys read across 2 services (gateway, billing)\n"
    );

    let (code, out, _) = command(&["check".as_ref(), gw.as_ref(), v2.as_ref()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("format_mismatch `app.user_id`: u64 written, u32 read"),
        "{out}"
    );
    assert!(
        out.contains("writer gateway: UserCtx.user_id: u64 (u64)"),
        "{out}"
    );
    assert!(
        out.contains("reader billing: UserCtx.user_id: u32 (u32)"),
        "{out}"
    );

    let (code, out, _) = command(&[
        "check".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        gw.as_ref(),
        v2.as_ref(),
    ]);
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["problems"][0]["kind"], "format_mismatch");
    assert_eq!(json["problems"][0]["sides"][1]["service"], "billing");

    // v1 to v2 of a reader: narrowing an integer deploys writers first.
    let (code, out, _) = command(&["evolve".as_ref(), v1.as_ref(), v2.as_ref()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("UserCtx: writers first\n"), "{out}");

    let (code, out, _) = command(&["json-schema".as_ref(), gw.as_ref(), "UserCtx".as_ref()]);
    assert_eq!(code, 0);
    let schema: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(schema["required"], serde_json::json!(["app.user_id"]));
    assert_eq!(schema["properties"]["app.region"]["type"], "string");

    // Usage errors exit with 2 and say what is wrong.
    let (code, _, err) = command(&["check".as_ref()]);
    assert_eq!(
        (code, err.lines().next().unwrap()),
        (2, "baggage-contract: check: no documents")
    );
    let missing = p.join("missing.json");
    let (code, _, err) = command(&["check".as_ref(), missing.as_ref()]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with(&format!("baggage-contract: {}: ", missing.display())),
        "{err}"
    );
    let (code, _, err) = command(&["frobnicate\u{1b}".as_ref()]);
    assert_eq!(code, 2);
    assert!(
        err.contains(r#"unknown command "frobnicate\\u{1b}""#),
        "{err}"
    );
    let (code, out, _) = command(&["--help".as_ref()]);
    assert_eq!(code, 0);
    assert!(out.contains("EXIT STATUS"));
}
