//! A `nats-server` of one's own, for `examples/nats.rs` and `tests/nats.rs`
//! (included by both with `#[path]`): started on a free loopback port,
//! waited for (bounded), stopped when dropped.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The program started, looked up on `PATH`.
pub const PROGRAM: &str = "nats-server";

/// How long a server may take to accept connections.
const READY_WITHIN: Duration = Duration::from_secs(15);

/// How many ports are tried (another process may take a free port between
/// the moment it is found and the moment the server binds it).
const ATTEMPTS: usize = 3;

/// The most bytes of the server's output kept, for an error.
const OUTPUT_KEPT: usize = 4096;

/// Where Debian's package puts the program.
const DEBIAN_PATH: &str = "/usr/sbin/nats-server";

/// The program to start: [`PROGRAM`] if `PATH` has it, else
/// [`DEBIAN_PATH`], installing the Debian package first if it is missing.
fn find_or_install() -> Result<String, String> {
    let runs = |program: &str| {
        Command::new(program)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if runs(PROGRAM) {
        return Ok(PROGRAM.to_owned());
    }
    if !runs(DEBIAN_PATH) {
        install()?;
    }
    if runs(DEBIAN_PATH) {
        Ok(DEBIAN_PATH.to_owned())
    } else {
        Err(format!(
            "`{PROGRAM}` is not on PATH ({}) nor at {DEBIAN_PATH}, even after installing \
             the Debian package: install nats-server and put it on PATH",
            std::env::var("PATH").unwrap_or_default()
        ))
    }
}

/// Installs Debian's `nats-server` with `apt-get` (as root), once: a file
/// lock keeps concurrent test processes from installing it twice.
fn install() -> Result<(), String> {
    let lock_path = std::env::temp_dir().join("typed-baggage-nats-install.lock");
    let lock =
        std::fs::File::create(&lock_path).map_err(|e| format!("{}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("locking {}: {e}", lock_path.display()))?;
    if std::path::Path::new(DEBIAN_PATH).exists() {
        return Ok(());
    }
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .output()
            .map_err(|e| format!("`{PROGRAM}` is missing and apt-get could not run: {e}"))
            .and_then(|out| {
                if out.status.success() {
                    Ok(())
                } else {
                    Err(format!(
                        "`{PROGRAM}` is missing and `apt-get {}` failed ({}): {}",
                        args.join(" "),
                        out.status,
                        String::from_utf8_lossy(&out.stderr)
                            .lines()
                            .last()
                            .unwrap_or_default()
                    ))
                }
            })
    };
    apt(&["update", "-qq"])?;
    apt(&["install", "-y", "-qq", "nats-server"])
}

/// A running `nats-server` on `127.0.0.1`, killed when dropped.
pub struct NatsServer {
    child: Child,
    port: u16,
}

impl NatsServer {
    /// Starts `nats-server`: the one on `PATH`, else Debian's
    /// `/usr/sbin/nats-server`, else, on a machine where it is missing and
    /// `apt-get` can run as root, the one it installs then (once, under a
    /// file lock shared by concurrent test processes); see
    /// [`NatsServer::start_program`]. The error says why none could be had.
    pub fn start() -> Result<Self, String> {
        NatsServer::start_program(&find_or_install()?)
    }

    /// Starts `program` (a `nats-server`) on a free port of `127.0.0.1`
    /// and waits until it answers a client with its `INFO` line. The error
    /// says why it could not: the program is not on `PATH`, it exited (with
    /// its output), or it did not answer in time.
    pub fn start_program(program: &str) -> Result<Self, String> {
        let mut last = String::new();
        for _ in 0..ATTEMPTS {
            let port = free_port()?;
            let mut child = Command::new(program)
                .args(["-a", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::NotFound => format!(
                        "`{program}` is not on PATH ({}): install it with \
                         `apt-get install -y nats-server` (Debian puts it in /usr/sbin, \
                         which must be on PATH)",
                        std::env::var("PATH").unwrap_or_default()
                    ),
                    _ => format!("`{program}` could not be started: {e}"),
                })?;
            let output = keep_output(&mut child);
            let mut server = NatsServer { child, port };
            match server.wait_ready(&output) {
                Ok(()) => return Ok(server),
                Err(why) => last = why,
            }
        }
        Err(last)
    }

    /// The client URL, `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Waits, for at most [`READY_WITHIN`], until the server sends its
    /// `INFO` line to a client; fails at once if it exits.
    fn wait_ready(&mut self, output: &Arc<Mutex<String>>) -> Result<(), String> {
        let deadline = Instant::now() + READY_WITHIN;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                // Let the reader thread take the last words (bounded).
                let until = Instant::now() + Duration::from_millis(500);
                while Instant::now() < until && output.lock().map_or(true, |o| o.is_empty()) {
                    std::thread::sleep(Duration::from_millis(10));
                }
                let said = output.lock().map(|o| o.clone()).unwrap_or_default();
                return Err(format!(
                    "nats-server on port {} exited ({status}) before it was ready: {}",
                    self.port,
                    said.trim()
                ));
            }
            if answers_info(self.port) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!(
            "nats-server on port {} did not answer within {READY_WITHIN:?}",
            self.port
        ))
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port of `127.0.0.1` that was free a moment ago.
fn free_port() -> Result<u16, String> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free loopback port: {e}"))
}

/// `true` if a NATS server on `port` answers a new connection with `INFO`.
fn answers_info(port: u16) -> bool {
    let addr = (Ipv4Addr::LOCALHOST, port).into();
    let Ok(stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let mut line = String::new();
    let mut reader = BufReader::new(stream.take(64 * 1024));
    reader.read_line(&mut line).is_ok() && line.starts_with("INFO ")
}

/// Drains the server's standard error in a thread (so that it never blocks
/// on a full pipe), keeping the first [`OUTPUT_KEPT`] bytes.
fn keep_output(child: &mut Child) -> Arc<Mutex<String>> {
    let kept = Arc::new(Mutex::new(String::new()));
    if let Some(stderr) = child.stderr.take() {
        let sink = kept.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Ok(mut kept) = sink.lock() {
                    if kept.len() < OUTPUT_KEPT {
                        kept.push_str(&line);
                        kept.push('\n');
                    }
                }
            }
        });
    }
    kept
}
