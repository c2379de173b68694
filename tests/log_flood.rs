//! A flood of hostile requests over loopback against the process-wide log
//! budget: the logs stay bounded, the counters and metrics stay exact.
//!
//! In a process of its own (the only test of this binary), because the
//! budget is process-wide and the recorder is the global subscriber.

#[path = "common/loopback.rs"]
mod loopback;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use loopback::{keys_seen, plain_client, send, serve, Lines, Metered};
use tracing_subscriber::layer::SubscriberExt;
use typed_baggage::tower::{Allowlist, BaggageLayer, InboundPolicy};

const REQUESTS: usize = 10_000;
const CLIENTS: usize = 16;
/// The budget of log events a second at each of `WARN` and `DEBUG`, as
/// documented in `typed_baggage::tower` ("Logs").
const EVENTS_PER_SECOND: usize = 20;

/// Each request: three malformed members (one `WARN` summary) and a key
/// outside the allowlist (one `DEBUG` summary).
const HOSTILE: &str = "ff.a=1,app.tier=premium,no-equals,bad key=1,k=%zz";

/// The `suppressed=N` of a line.
fn suppressed(line: &str) -> usize {
    let (_, n) = line.rsplit_once(" suppressed=").expect("suppressed field");
    n.parse().expect("a count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_hostile_requests_make_a_bounded_number_of_log_lines() {
    let lines = Lines::default();
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(lines.clone()))
        .expect("the only subscriber of this process");
    let metered = Metered::new();
    let counters = metered.propagator.counters();
    let layer = BaggageLayer::new(InboundPolicy::Allow(Allowlist::new().key("ff.a")))
        .with_propagator(metered.propagator.clone());
    let server = serve(keys_seen(layer.clone())).await;
    let url = format!("http://{server}/");

    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (next, url) = (next.clone(), url.clone());
        clients.push(tokio::spawn(async move {
            let client = plain_client();
            let mut sent = 0;
            while next.fetch_add(1, Ordering::Relaxed) < REQUESTS {
                let reply = send(&client, &url, &[("baggage", HOSTILE.as_bytes())]).await;
                assert_eq!((reply.status, reply.body.as_str()), (200, "ff.a"));
                sent += 1;
            }
            sent
        }));
    }
    let mut sent = 0;
    for client in clients {
        sent += client.await.expect("client task");
    }
    let elapsed = start.elapsed();
    assert_eq!(sent, REQUESTS);

    // Exact counts, whatever the logs left out.
    assert_eq!(counters.extract_members_dropped(), 3 * REQUESTS as u64);
    assert_eq!(layer.dropped_by_policy(), REQUESTS as u64);
    assert_eq!(
        metered.dropped(),
        [
            format!(
                "baggage.direction=incoming,baggage.reason=malformed = {}",
                3 * REQUESTS
            ),
            format!("baggage.direction=incoming,baggage.reason=policy = {REQUESTS}"),
        ]
    );

    // Bounded logs: the flood spans at most `elapsed + 2` one-second
    // windows of the budget.
    let windows = elapsed.as_secs() as usize + 2;
    let bound = EVENTS_PER_SECOND * windows;
    assert!(
        bound < REQUESTS / 10,
        "the flood took {elapsed:?}: too slow for the budget to show"
    );
    let logged = lines.take();
    for level in ["WARN", "DEBUG"] {
        let at_level: Vec<&String> = logged
            .iter()
            .filter(|l| l.starts_with(&format!("{level} typed_baggage ")))
            .collect();
        assert!(
            !at_level.is_empty() && at_level.len() <= bound,
            "{level}: {} lines in {elapsed:?}, at most {bound} expected",
            at_level.len()
        );
        for line in &at_level {
            assert!(line.len() < 300, "{line}");
        }
        // Each request made one event at this level: written, or left out
        // and reported by a later line (or by the next one, still to come).
        let reported: usize = at_level.iter().map(|l| suppressed(l)).sum();
        assert!(
            at_level.len() + reported <= REQUESTS,
            "{level}: {} lines, {reported} reported suppressed",
            at_level.len()
        );
    }
    assert_eq!(
        logged.len(),
        logged
            .iter()
            .filter(|l| l.starts_with("WARN ") || l.starts_with("DEBUG "))
            .count(),
        "{logged:?}"
    );
}
