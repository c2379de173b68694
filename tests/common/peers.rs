//! The interop peers: the pinned Python and JavaScript OpenTelemetry SDKs
//! behind `tests/peers/py_peer.py` and `tests/peers/js_peer.js`, installed
//! on first use by `.ci/setup-peers` (once per process, under a file lock
//! shared with other processes). A peer that cannot be installed fails the
//! test with the reason; `TYPED_BAGGAGE_SKIP_INTEROP=1` makes every peer
//! fail saying interop was not tested. Used by `tests/interop.rs` and
//! `tests/contract_interop.rs`.

#![allow(dead_code)]

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use serde_json::{json, Value};

/// A peer SDK behind a script that takes a JSON array of requests on
/// stdin and answers with a JSON array of results (see the scripts).
pub struct Peer {
    pub name: &'static str,
    program: OsString,
    script: PathBuf,
    env: Vec<(&'static str, PathBuf)>,
    /// The package versions the peer must report (from the pin files).
    pinned: Value,
}

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn peers_dir() -> PathBuf {
    match std::env::var_os("TYPED_BAGGAGE_PEERS_DIR") {
        Some(dir) => manifest_dir().join(dir),
        None => manifest_dir().join("target/peers"),
    }
}

/// Installs the pinned peers once per test process (`.ci/setup-peers`,
/// under a file lock shared with other processes), or says why not.
fn install_peers() -> Result<(), String> {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            if std::env::var("TYPED_BAGGAGE_SKIP_INTEROP").is_ok_and(|v| v.trim() == "1") {
                return Err("TYPED_BAGGAGE_SKIP_INTEROP=1: INTEROP WAS NOT TESTED".to_owned());
            }
            let dir = peers_dir();
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let lock_path = dir.join(".install.lock");
            let lock = std::fs::File::create(&lock_path)
                .map_err(|e| format!("{}: {e}", lock_path.display()))?;
            lock.lock()
                .map_err(|e| format!("locking {}: {e}", lock_path.display()))?;
            let out = Command::new("bash")
                .arg(manifest_dir().join(".ci/setup-peers"))
                .env("TYPED_BAGGAGE_PEERS_DIR", &dir)
                .current_dir(manifest_dir())
                .output()
                .map_err(|e| format!("running .ci/setup-peers: {e}"))?;
            if out.status.success() {
                Ok(())
            } else {
                let stderr = String::from_utf8_lossy(&out.stderr);
                let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
                Err(format!(
                    ".ci/setup-peers failed ({}): {}",
                    out.status,
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                ))
            }
        })
        .clone()
}

/// A peer that cannot be used: the test fails with the reason.
fn unavailable(name: &str, why: String) -> ! {
    panic!("the {name} interop peer is not available, so interop was not tested: {why}");
}

fn read_pins(file: &str) -> String {
    let path = manifest_dir().join("tests/peers").join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn python() -> Peer {
    if let Err(why) = install_peers() {
        unavailable("Python", why);
    }
    let program = std::env::var_os("TYPED_BAGGAGE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| peers_dir().join("venv/bin/python"));
    if !program.is_file() {
        unavailable(
            "Python",
            format!("no {} after .ci/setup-peers", program.display()),
        );
    }
    let requirements = read_pins("requirements.txt");
    let pinned = requirements
        .lines()
        .find_map(|line| line.trim().strip_prefix("opentelemetry-api=="))
        .expect("opentelemetry-api pinned in requirements.txt");
    Peer {
        name: "Python",
        program: program.into(),
        script: manifest_dir().join("tests/peers/py_peer.py"),
        env: vec![],
        pinned: json!({ "opentelemetry-api": pinned }),
    }
}

pub fn node() -> Peer {
    if let Err(why) = install_peers() {
        unavailable("JavaScript", why);
    }
    let node_modules = std::env::var_os("TYPED_BAGGAGE_NODE_PATH")
        .map(PathBuf::from)
        .unwrap_or_else(|| peers_dir().join("js/node_modules"));
    if !node_modules.join("@opentelemetry/core").is_dir() {
        unavailable(
            "JavaScript",
            format!(
                "no {} after .ci/setup-peers",
                node_modules.join("@opentelemetry/core").display()
            ),
        );
    }
    let package: Value = serde_json::from_str(&read_pins("package.json")).expect("package.json");
    Peer {
        name: "JavaScript",
        program: std::env::var_os("TYPED_BAGGAGE_NODE").unwrap_or_else(|| "node".into()),
        script: manifest_dir().join("tests/peers/js_peer.js"),
        env: vec![("NODE_PATH", node_modules)],
        pinned: package["dependencies"].clone(),
    }
}

impl Peer {
    /// Runs every request in one subprocess; checks the SDK version first.
    pub fn call(&self, requests: Vec<Value>) -> Vec<Value> {
        let count = requests.len();
        let mut batch = vec![json!({ "op": "version" })];
        batch.extend(requests);

        let mut child = Command::new(&self.program)
            .arg(&self.script)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start the {} peer ({:?}): {e}; run .ci/setup-peers",
                    self.name, self.program
                )
            });
        let input = serde_json::to_vec(&batch).expect("JSON");
        // Small input, read whole by the peer before it writes anything.
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(&input)
            .expect("write to the peer");
        let output = child.wait_with_output().expect("the peer's output");
        assert!(
            output.status.success(),
            "the {} peer failed ({}):\n{}",
            self.name,
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        let mut results: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!(
                "the {} peer's output is not JSON ({e}): {}",
                self.name,
                String::from_utf8_lossy(&output.stdout)
            )
        });
        assert_eq!(results.len(), count + 1, "one result per request");
        let versions = results.remove(0);
        assert_eq!(
            versions, self.pinned,
            "the installed {} SDK is not the pinned one: run .ci/setup-peers",
            self.name
        );
        results
    }
}
