//! Compile-fail and must-compile tests of `#[derive(Baggage)]`, with trybuild.
//!
//! `tests/ui/<mistake>.rs` each holds one mistake, and its `.stderr` the
//! exact errors the compiler prints for it; `tests/ui-pass/*.rs` must compile
//! and run. Refresh the snapshots with
//! `TRYBUILD=overwrite cargo test --test ui`, then read the diff.
//!
//! The text of compiler errors changes from one Rust release to the next, so
//! the snapshots hold only for the toolchain they were made with: rustc 1.95
//! (the pinned toolchain). On any other compiler this test prints why it is
//! skipped and passes, unless `TYPED_BAGGAGE_REQUIRE_UI=1` is set (CI sets it
//! on the pinned toolchain), in which case a different compiler is a failure,
//! so that the suite can never be skipped unnoticed.

use std::process::Command;

/// The version prefix the `.stderr` snapshots were made with.
const SNAPSHOT_RUSTC: &str = "rustc 1.95.";

/// `rustc --version` of the compiler Cargo uses (`$RUSTC`, else `rustc`).
fn rustc_version() -> String {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    match Command::new(&rustc).arg("--version").output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        Ok(out) => format!(
            "`{} --version` failed: {}",
            rustc.to_string_lossy(),
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => format!("`{} --version` could not run: {e}", rustc.to_string_lossy()),
    }
}

#[test]
fn ui() {
    let version = rustc_version();
    if !version.starts_with(SNAPSHOT_RUSTC) {
        let required = std::env::var("TYPED_BAGGAGE_REQUIRE_UI").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "TYPED_BAGGAGE_REQUIRE_UI=1, but the compiler is `{version}`: the tests/ui \
             snapshots were made with {SNAPSHOT_RUSTC}x (the pinned toolchain); run them \
             with that toolchain"
        );
        eprintln!(
            "skipping the trybuild UI tests: the compiler is `{version}`, and the \
             tests/ui snapshots were made with {SNAPSHOT_RUSTC}x (set \
             TYPED_BAGGAGE_REQUIRE_UI=1 to make this a failure)"
        );
        return;
    }
    // trybuild builds its cases in a project of its own, under
    // target/tests/trybuild, which does not take this workspace's profiles:
    // without these its cases and their dependencies are built with full
    // debug information and incremental caches, several gigabytes nobody
    // reads (the cases only need to compile, or compile and run). Cargo,
    // which trybuild starts, reads both from the environment. This binary
    // holds this one test, so no other thread reads the environment.
    std::env::set_var("CARGO_PROFILE_DEV_DEBUG", "false");
    std::env::set_var("CARGO_INCREMENTAL", "0");
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui-pass/*.rs");
}
