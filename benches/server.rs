//! The server path over real HTTP on loopback: what baggage costs a server
//! per request, next to the code people write by hand.
//!
//! Four axum services, each on its own thread (a current-thread tokio
//! runtime; all of them pinned to one core, the client to the other), the
//! same route and the same response:
//!
//! - `none`: no baggage at all (the floor);
//! - `layer`: `BaggageLayer` (trust-all), the handler reads nothing: the
//!   layer's own cost;
//! - `layer_typed`: `BaggageLayer`, the handler reads `UserCtx::from_current()`;
//! - `hand`: a hand-written `axum::middleware::from_fn`: the SDK's
//!   propagator, `HeaderExtractor`, `with_context`, then `get` + `parse` per
//!   field in the handler (`benches/common`'s `read_hand`).
//!
//! The client (keep-alive connections, a fixed number of requests in
//! flight) sends the representative header of `benches/common` to each
//! service in turn, round after round, so that the services share the
//! machine's drift. For each service: requests per second, p50 and p99
//! latency, and **server-thread CPU per request** (`getrusage(RUSAGE_THREAD)`
//! of the service's thread, read by the thread itself: user time, where the
//! middleware runs, and user + system, which adds the loopback TCP stack),
//! and the cost each adds over `none`. On loopback the client's CPU per
//! request is about the floor server's, so wall-clock ratios understate
//! server cost: the CPU figures are the ones to compare, user time first
//! (the system time is the same work for every service, and the noisier).
//!
//! It also measures, in this process, the layer's read without a server
//! (extract into a context, then `from_context`) for the "within 1.3× of
//! its own in-process cost" comparison.
//!
//! ```sh
//! cargo bench --bench server --features tower,axum            # 7 rounds of 3000 requests, 4 in flight
//! cargo bench --bench server --features tower,axum -- 3 1000 8  # rounds, requests per round, in flight
//! ```
//! Linux only (`RUSAGE_THREAD`).

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use common::UserCtx;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use opentelemetry::context::FutureExt;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::Context;
use opentelemetry_http::HeaderExtractor;
use opentelemetry_sdk::propagation::BaggagePropagator as SdkPropagator;
use tokio::sync::{mpsc, oneshot};
use typed_baggage::prelude::*;
use typed_baggage::tower::{BaggageLayer, InboundPolicy};

/// The core every server thread runs on, and the client's: two different
/// cores (the machine has 2), so that no service shares a core with the
/// client more often than another.
const SERVER_CORE: usize = 1;
const CLIENT_CORE: usize = 0;

/// Pins the calling thread to core `index` (if the machine has it).
fn pin(index: usize) {
    if let Some(core) = core_affinity::get_core_ids().and_then(|ids| ids.get(index).copied()) {
        assert!(core_affinity::set_for_current(core), "pin to core {index}");
    }
}

/// The calling thread's CPU time so far, user and system, in nanoseconds
/// (`getrusage(RUSAGE_THREAD)`, Linux). The middleware under test runs in
/// user space; the system time is the loopback TCP stack, the same for
/// every service and the larger, noisier part.
fn thread_cpu_ns() -> Cpu {
    // SAFETY: `getrusage` writes a `rusage` into the zeroed value it is
    // given, and reads nothing else.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        assert_eq!(
            libc::getrusage(libc::RUSAGE_THREAD, &mut usage),
            0,
            "getrusage"
        );
        usage
    };
    let ns = |t: libc::timeval| t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1_000;
    Cpu {
        user: ns(usage.ru_utime),
        system: ns(usage.ru_stime),
    }
}

/// CPU time, user and system, in nanoseconds.
#[derive(Clone, Copy, Debug)]
struct Cpu {
    user: u64,
    system: u64,
}

impl std::ops::Sub for Cpu {
    type Output = Cpu;
    fn sub(self, earlier: Cpu) -> Cpu {
        Cpu {
            user: self.user - earlier.user,
            system: self.system - earlier.system,
        }
    }
}

/// A service running on its own thread, and a way to ask that thread for
/// its CPU time.
struct Service {
    name: &'static str,
    /// Whether its handler reads the baggage (and answers the user id)
    /// or answers `-`.
    reads: bool,
    addr: SocketAddr,
    probe: mpsc::UnboundedSender<oneshot::Sender<Cpu>>,
}

impl Service {
    fn start(name: &'static str, reads: bool, app: Router) -> Service {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name(format!("server-{name}"))
            .spawn(move || {
                pin(SERVER_CORE);
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                        .await
                        .expect("bind");
                    let (probe, mut requests) = mpsc::unbounded_channel::<oneshot::Sender<Cpu>>();
                    // Runs on this same thread: the runtime has one.
                    tokio::spawn(async move {
                        while let Some(reply) = requests.recv().await {
                            let _ = reply.send(thread_cpu_ns());
                        }
                    });
                    ready_tx
                        .send((listener.local_addr().expect("addr"), probe))
                        .expect("ready");
                    axum::serve(listener, app).await.expect("serve");
                });
            })
            .expect("server thread");
        let (addr, probe) = ready_rx.recv().expect("server started");
        Service {
            name,
            reads,
            addr,
            probe,
        }
    }

    async fn cpu_ns(&self) -> Cpu {
        let (tx, rx) = oneshot::channel();
        self.probe.send(tx).expect("server alive");
        rx.await.expect("cpu time")
    }
}

async fn hand_middleware(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    static PROPAGATOR: std::sync::LazyLock<SdkPropagator> =
        std::sync::LazyLock::new(SdkPropagator::new);
    let cx =
        PROPAGATOR.extract_with_context(&Context::current(), &HeaderExtractor(request.headers()));
    next.run(request).with_context(cx).await
}

fn services() -> Vec<Service> {
    let none = Router::new().route("/", get(|| async { "-" }));
    let layer = Router::new()
        .route("/", get(|| async { "-" }))
        .layer(BaggageLayer::new(InboundPolicy::TrustAll));
    let layer_typed = Router::new()
        .route(
            "/",
            get(|| async {
                match UserCtx::from_current() {
                    Ok(user) => user.user_id.to_string(),
                    Err(e) => e.to_string(),
                }
            }),
        )
        .layer(BaggageLayer::new(InboundPolicy::TrustAll));
    let hand = Router::new()
        .route(
            "/",
            get(|| async {
                match UserCtx::read_hand(&Context::current()) {
                    Ok(user) => user.user_id.to_string(),
                    Err(e) => format!("{e:?}"),
                }
            }),
        )
        .layer(axum::middleware::from_fn(hand_middleware));
    vec![
        Service::start("none", false, none),
        Service::start("layer", false, layer),
        Service::start("layer_typed", true, layer_typed),
        Service::start("hand", true, hand),
    ]
}

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

/// One request: its latency, after checking the answer.
async fn one(
    client: &HttpClient,
    url: &http::Uri,
    header: &http::HeaderValue,
    expected: &[u8],
) -> Duration {
    let request = http::Request::get(url.clone())
        .header("baggage", header.clone())
        .body(Full::new(Bytes::new()))
        .expect("request");
    let start = Instant::now();
    let response = client.request(request).await.expect("response");
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let latency = start.elapsed();
    assert!(
        status.is_success() && &body[..] == expected,
        "{status} {body:?}"
    );
    latency
}

/// The header of each of `USERS` users (a different `user_id` each, the
/// other fields as in `sample`) and the id a service that reads it
/// answers: a server's requests do not all carry the same values.
fn users() -> Arc<Vec<(http::HeaderValue, String)>> {
    const USERS: u64 = 1000;
    let users = (0..USERS)
        .map(|i| {
            let user = UserCtx::user(i);
            let mut headers = http::HeaderMap::new();
            typed_baggage::http::inject(
                &Context::new().with_typed(&user).expect("fits"),
                &mut headers,
            );
            let header = headers.get("baggage").expect("a baggage header").clone();
            (header, user.user_id.to_string())
        })
        .collect();
    Arc::new(users)
}

/// One round of `requests` to `service`, `in_flight` at a time, the users
/// in turn: the latencies, the wall time and the server's CPU time.
async fn round(
    client: &HttpClient,
    service: &Service,
    users: &Arc<Vec<(http::HeaderValue, String)>>,
    requests: usize,
    in_flight: usize,
) -> (Vec<Duration>, Duration, Cpu) {
    let url: http::Uri = format!("http://{}/", service.addr).parse().expect("uri");
    let cpu_before = service.cpu_ns().await;
    let start = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for w in 0..in_flight {
        let (client, url, users) = (client.clone(), url.clone(), Arc::clone(users));
        let share = requests / in_flight + usize::from(w < requests % in_flight);
        let reads = service.reads;
        workers.spawn(async move {
            let mut latencies = Vec::with_capacity(share);
            for j in 0..share {
                let (header, id) = &users[(w + j * in_flight) % users.len()];
                let expected = if reads { id.as_bytes() } else { b"-" };
                latencies.push(one(&client, &url, header, expected).await);
            }
            latencies
        });
    }
    let mut latencies = Vec::with_capacity(requests);
    while let Some(done) = workers.join_next().await {
        latencies.extend(done.expect("worker"));
    }
    let wall = start.elapsed();
    let cpu = service.cpu_ns().await - cpu_before;
    (latencies, wall, cpu)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Each user's request headers.
fn header_maps(users: &[(http::HeaderValue, String)]) -> Vec<http::HeaderMap> {
    users
        .iter()
        .map(|(header, _)| {
            let mut headers = http::HeaderMap::new();
            headers.insert("baggage", header.clone());
            headers
        })
        .collect()
}

/// The read `layer_typed` does, in process: extract into a context, then
/// `from_context`.
fn typed_read(headers: &http::HeaderMap) -> UserCtx {
    let cx = typed_baggage::http::extract_with_context(&Context::new(), headers);
    UserCtx::from_context(&cx).expect("reads")
}

/// The read `hand` does, in process: the SDK's extract into a context,
/// then the hand-written read.
fn hand_read(headers: &http::HeaderMap) -> UserCtx {
    static PROPAGATOR: std::sync::LazyLock<SdkPropagator> =
        std::sync::LazyLock::new(SdkPropagator::new);
    let cx = PROPAGATOR.extract_with_context(&Context::new(), &HeaderExtractor(headers));
    UserCtx::read_hand(&cx).expect("reads")
}

/// The read the layer does, in process (`typed_read`); CPU µs per read
/// (this thread), median of rounds.
fn in_process(users: &[(http::HeaderValue, String)], rounds: usize) -> f64 {
    let headers = header_maps(users);
    let per_round = 20_000;
    let mut each = Vec::new();
    for _ in 0..rounds {
        let before = thread_cpu_ns();
        for i in 0..per_round {
            let user = typed_read(std::hint::black_box(&headers[i % headers.len()]));
            std::hint::black_box(user);
        }
        let spent = thread_cpu_ns() - before;
        each.push((spent.user + spent.system) as f64 / 1e3 / per_round as f64);
    }
    median(each)
}

/// `server --in-process typed|hand N`: the in-process read of
/// `layer_typed` or `hand` (`typed_read`, `hand_read`; as
/// `benches/instructions.rs`'s `server_path` ops) N times, the users in
/// turn, and no server: so that `scripts/server-instructions.py` measures
/// it in the same binary as the services. (Where the linker puts
/// OpenTelemetry's key-check table differs from one binary to the next,
/// and moves the cost of every `insert_with_metadata`:
/// `scripts/otel-key-table.py`.)
fn in_process_calls(path: &str, calls: usize) {
    let read = match path {
        "typed" => typed_read,
        "hand" => hand_read,
        other => panic!("--in-process typed|hand N, not {other:?}"),
    };
    let headers = header_maps(&users());
    for i in 0..calls {
        let user = read(std::hint::black_box(&headers[i % headers.len()]));
        std::hint::black_box(user);
    }
}

fn main() {
    // `--in-process typed|hand N`, wherever it stands among the flags
    // cargo adds (`--bench`).
    let raw: Vec<String> = std::env::args().skip(1).collect();
    if let Some(at) = raw.iter().position(|a| a == "--in-process") {
        let (path, calls) = match (raw.get(at + 1), raw.get(at + 2)) {
            (Some(path), Some(calls)) => (path, calls),
            _ => panic!("--in-process typed|hand N"),
        };
        in_process_calls(path, calls.parse().expect("--in-process typed|hand N"));
        return;
    }
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .filter_map(|a| a.parse().ok())
        .collect();
    let rounds = args.first().copied().unwrap_or(7);
    let requests = args.get(1).copied().unwrap_or(3000);
    let in_flight = args.get(2).copied().unwrap_or(4);

    let users = users();

    let services = services();
    pin(CLIENT_CORE);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    let client: HttpClient = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(in_flight)
        .build_http();

    let n = services.len();
    let mut latencies: Vec<Vec<Duration>> = vec![Vec::new(); n];
    let mut rps: Vec<Vec<f64>> = vec![Vec::new(); n];
    // CPU µs per request, per round: user, and user + system.
    let mut user: Vec<Vec<f64>> = vec![Vec::new(); n];
    let mut total: Vec<Vec<f64>> = vec![Vec::new(); n];
    runtime.block_on(async {
        // Warm-up: connections open, code paged in.
        for s in &services {
            let _ = round(&client, s, &users, requests / 4 + 1, in_flight).await;
        }
        for r in 0..rounds {
            // A different order each round: no service always goes first.
            for k in 0..n {
                let i = (k + r) % n;
                let (lat, wall, server) =
                    round(&client, &services[i], &users, requests, in_flight).await;
                latencies[i].extend(lat);
                rps[i].push(requests as f64 / wall.as_secs_f64());
                user[i].push(server.user as f64 / 1e3 / requests as f64);
                total[i].push((server.user + server.system) as f64 / 1e3 / requests as f64);
            }
        }
    });
    let inproc = in_process(&users, rounds);

    println!(
        "server bench: {rounds} rounds x {requests} requests per service, {in_flight} in flight, header of {} bytes",
        users[0].0.len()
    );
    println!(
        "{:<12} {:>9} {:>8} {:>8} {:>10} {:>10} {:>11} {:>11}",
        "service", "req/s", "p50 µs", "p99 µs", "user µs", "+user µs", "user+sys µs", "+total µs"
    );
    let med = |v: &[f64]| median(v.to_vec());
    let added_user = |i: usize| med(&user[i]) - med(&user[0]);
    let added_total = |i: usize| med(&total[i]) - med(&total[0]);
    for (i, s) in services.iter().enumerate() {
        let mut sorted = latencies[i].clone();
        sorted.sort();
        println!(
            "{:<12} {:>9.0} {:>8.1} {:>8.1} {:>10.2} {:>10.2} {:>11.2} {:>11.2}",
            s.name,
            med(&rps[i]),
            micros(percentile(&sorted, 0.5)),
            micros(percentile(&sorted, 0.99)),
            med(&user[i]),
            added_user(i),
            med(&total[i]),
            added_total(i),
        );
    }
    println!();
    println!(
        "added server CPU (user) per request: layer_typed / hand = {:.2} (target <= 0.7); layer / hand = {:.2}",
        added_user(2) / added_user(3),
        added_user(1) / added_user(3)
    );
    println!(
        "added server CPU (user + system): layer_typed / hand = {:.2}",
        added_total(2) / added_total(3)
    );
    println!(
        "layer_typed added CPU (user) / its in-process extract + from_context ({inproc:.2} µs) = {:.2} (target <= 1.3)",
        added_user(2) / inproc
    );
    // Per-round ratios (user), to show their spread.
    let per_round: Vec<String> = (0..rounds)
        .map(|r| {
            format!(
                "{:.2}",
                (user[2][r] - user[0][r]) / (user[3][r] - user[0][r])
            )
        })
        .collect();
    println!(
        "layer_typed / hand per round (user): {}",
        per_round.join(" ")
    );
}
