//! The environment carrier against a real child process: a parent writes
//! its typed context into a `Command` (`BAGGAGE`), the child (this test
//! binary, started again) reads it typed at start-up under a policy; a
//! forged or oversized `BAGGAGE` meets the same pipeline and policies as a
//! header.

#[path = "common/caller.rs"]
mod caller;

use caller::{shard, Shard, FORGED_SHARD};
use std::ffi::OsStr;
use std::process::Command;

use http::{HeaderMap, HeaderValue};
use opentelemetry::baggage::BaggageExt;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use typed_baggage::env::{EnvExtractor, EnvInjector, BAGGAGE_VAR};
use typed_baggage::policy::{Allowlist, InboundPolicy};
use typed_baggage::prelude::*;
use typed_baggage::propagation::BaggagePropagator;

#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "job.")]
struct JobCtx {
    tenant: String,
    attempt: u8,
    tags: Vec<String>,
    region: Option<String>,
}

fn job() -> JobCtx {
    JobCtx {
        tenant: "acme corp".into(),
        attempt: 2,
        tags: vec!["nightly".into(), "a,b".into()],
        region: Some("eu-west".into()),
    }
}

/// Set in the child's environment: which policy the child reads under.
const CHILD_POLICY: &str = "TYPED_BAGGAGE_TEST_CHILD_POLICY";

/// The child process: not a test of its own (ignored in a normal run); the
/// tests below start this binary again with `--ignored --exact
/// child_entry`, and assert what it prints.
#[test]
#[ignore = "the child process of the other tests, started by them"]
fn child_entry() {
    let policy = std::env::var_os(CHILD_POLICY).expect("started by a parent test, with a policy");
    let policy = match policy.to_str() {
        Some("trust") => InboundPolicy::TrustAll,
        Some("drop") => InboundPolicy::DropAll,
        Some("allow") => InboundPolicy::Allow(
            Allowlist::new()
                .key("job.tenant")
                .key("job.attempt")
                .key("job.tags"),
        ),
        other => panic!("unknown policy {other:?}"),
    };
    match JobCtx::from_env(&policy) {
        Ok(job) => println!("CHILD-READ {job:?}"),
        Err(e) => println!("CHILD-ERROR {e}"),
    }
    let cx = typed_baggage::env::context(&policy);
    let mut keys: Vec<String> = cx.baggage().iter().map(|(k, _)| k.to_string()).collect();
    keys.sort();
    println!("CHILD-KEYS {}", keys.join(" "));
}

/// The arguments that start this test binary as the child: only the
/// ignored `child_entry`, its output not captured.
const CHILD_ARGS: [&str; 5] = [
    "child_entry",
    "--exact",
    "--ignored",
    "--nocapture",
    "--test-threads=1",
];

/// Starts this test binary again as the child, with `BAGGAGE` as `setup`
/// leaves it, and returns the child's report lines.
fn run_child(policy: &str, setup: impl FnOnce(&mut Command)) -> Vec<String> {
    let exe = std::env::current_exe().expect("test binary path");
    let mut child = Command::new(exe);
    child.args(CHILD_ARGS).env(CHILD_POLICY, policy);
    setup(&mut child);
    let out = child.output().expect("the child runs");
    assert!(out.status.success(), "child failed: {out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        // the test harness may print `test child_entry ... ` first
        .filter_map(|l| l.find("CHILD-").map(|i| l[i..].to_owned()))
        .collect()
}

#[test]
fn a_child_process_reads_its_parents_typed_context() {
    let cx = Context::new().with_typed(&job()).unwrap();
    let lines = run_child("trust", |c| typed_baggage::env::inject(&cx, c));
    assert_eq!(
        lines,
        [
            format!("CHILD-READ {:?}", job()),
            "CHILD-KEYS job.attempt job.region job.tags job.tenant".to_owned()
        ]
    );
}

#[tokio::test]
async fn a_tokio_command_carries_it_too() {
    let cx = Context::new().with_typed(&job()).unwrap();
    let mut child = tokio::process::Command::new(std::env::current_exe().unwrap());
    child.args(CHILD_ARGS).env(CHILD_POLICY, "trust");
    typed_baggage::env::inject(&cx, child.as_std_mut());
    let out = child.output().await.expect("the child runs");
    assert!(out.status.success(), "child failed: {out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("CHILD-READ {:?}", job())),
        "{stdout}"
    );
}

#[test]
fn a_stale_inherited_baggage_never_reaches_the_child() {
    // The parent itself was started with BAGGAGE; the child is started
    // with no context to send: inject removes the variable.
    let lines = run_child("trust", |c| {
        c.env(BAGGAGE_VAR, "job.tenant=stale,job.attempt=9,job.tags=");
        typed_baggage::env::inject(&Context::new(), c);
    });
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("CHILD-ERROR "), "{lines:?}");
    assert!(lines[0].contains("`job.tenant` is missing"), "{lines:?}");
    assert_eq!(lines[1], "CHILD-KEYS ");
}

#[test]
fn an_untrusted_starter_cannot_forge_context() {
    // What whoever starts the job sets, by hand.
    let forged = "job.tenant=victim,job.attempt=1,job.tags=,job.region=admin";
    let lines = run_child("drop", |c| {
        c.env(BAGGAGE_VAR, forged);
    });
    assert_eq!(lines[1], "CHILD-KEYS ", "{lines:?}");
    assert!(lines[0].starts_with("CHILD-ERROR "), "{lines:?}");

    // An allowlist keeps its keys only: the region is dropped.
    let lines = run_child("allow", |c| {
        c.env(BAGGAGE_VAR, forged);
    });
    assert_eq!(
        lines,
        [
            "CHILD-READ JobCtx { tenant: \"victim\", attempt: 1, tags: [], region: None }",
            "CHILD-KEYS job.attempt job.tags job.tenant"
        ]
    );
}

#[cfg(unix)]
#[test]
fn oversize_and_malformed_baggage_meet_the_same_pipeline_as_a_header() {
    use std::os::unix::ffi::OsStrExt;
    let p = BaggagePropagator::new();
    let through_env = |bytes: &[u8]| {
        let cx = typed_baggage::env::context_of(
            &InboundPolicy::TrustAll,
            &p,
            Some(OsStr::from_bytes(bytes)),
        );
        let mut kv: Vec<(String, String)> = cx
            .baggage()
            .iter()
            .map(|(k, (v, _))| (k.to_string(), v.to_string()))
            .collect();
        kv.sort();
        kv
    };
    let through_header = |bytes: &[u8]| {
        let mut h = HeaderMap::new();
        h.append("baggage", HeaderValue::from_bytes(bytes).unwrap());
        let cx = typed_baggage::http::extract_with(&p, &Context::new(), &h);
        let mut kv: Vec<(String, String)> = cx
            .baggage()
            .iter()
            .map(|(k, (v, _))| (k.to_string(), v.to_string()))
            .collect();
        kv.sort();
        kv
    };
    let mut not_utf8 = b"job.tenant=acme,".to_vec();
    not_utf8.extend_from_slice(&[0xff; 7000]);
    let cases: Vec<Vec<u8>> = vec![
        b"job.tenant=acme%20corp,job.attempt=2".to_vec(),
        b"job.tenant=a,bad key=1,job.attempt=%zz".to_vec(),
        format!("job.tenant=acme,pad={}", "x".repeat(8200)).into_bytes(),
        vec![&b"k=1"[..]; 65].join(&b","[..]),
        not_utf8,
    ];
    for bytes in &cases {
        assert_eq!(
            through_env(bytes),
            through_header(bytes),
            "{:?}",
            String::from_utf8_lossy(&bytes[..40.min(bytes.len())])
        );
    }
    assert_eq!(
        through_env(&cases[0]),
        [
            ("job.attempt".into(), "2".into()),
            ("job.tenant".into(), "acme corp".into())
        ]
    );
    assert!(
        through_env(&cases[2]).is_empty(),
        "over 8192 bytes: rejected whole"
    );
    assert!(
        through_env(&cases[3]).is_empty(),
        "over 64 members: rejected whole"
    );
    assert_eq!(
        through_env(&cases[4]),
        [("job.tenant".to_owned(), "acme".to_owned())]
    );
}

#[test]
fn the_trace_goes_with_the_baggage() {
    let span = SpanContext::new(
        TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
        SpanId::from_hex("00f067aa0ba902b7").unwrap(),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    );
    let cx = Context::new()
        .with_remote_span_context(span.clone())
        .with_baggage([KeyValue::new("job.tenant", "acme")]);
    let mut child = Command::new("worker");
    TraceContextPropagator::new().inject_context(&cx, &mut EnvInjector(&mut child));
    typed_baggage::env::inject(&cx, &mut child);
    let mut envs: Vec<(String, String)> = child
        .get_envs()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.map(|v| v.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            )
        })
        .collect();
    envs.sort();
    assert_eq!(
        envs,
        [
            ("BAGGAGE".to_owned(), "job.tenant=acme".to_owned()),
            (
                "TRACEPARENT".to_owned(),
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned()
            ),
            ("TRACESTATE".to_owned(), String::new()),
        ]
    );
    // and the child continues it
    let env = EnvExtractor::from_vars(envs);
    let read = TraceContextPropagator::new().extract(&env);
    assert_eq!(read.span().span_context().trace_id(), span.trace_id());
}

#[test]
fn a_local_schema_is_never_written_to_a_child_nor_read_from_the_environment() {
    let cx = Context::new()
        .with_typed(&job())
        .and_then(|cx| cx.with_typed(&shard()))
        .unwrap();
    let mut command = Command::new("true");
    typed_baggage::env::inject(&cx, &mut command);
    let sent: Vec<_> = command
        .get_envs()
        .filter(|(name, _)| *name == OsStr::new(BAGGAGE_VAR))
        .map(|(_, value)| value.and_then(OsStr::to_str).unwrap_or_default().to_owned())
        .collect();
    assert_eq!(sent.len(), 1);
    assert!(!sent[0].contains("shard."), "{sent:?}");
    let lines = run_child("trust", |c| typed_baggage::env::inject(&cx, c));
    assert_eq!(
        lines[1],
        "CHILD-KEYS job.attempt job.region job.tags job.tenant"
    );

    // A parent that forges the local keys: refused under every policy.
    let propagator = BaggagePropagator::new();
    for policy in [InboundPolicy::TrustAll, InboundPolicy::DropAll] {
        let err = typed_baggage::env::typed_of::<Shard>(
            &policy,
            &propagator,
            Some(OsStr::new(FORGED_SHARD)),
        )
        .unwrap_err();
        assert_eq!(err, typed_baggage::Error::Local { schema: "Shard" });
    }
    assert_eq!(
        Shard::from_env(&InboundPolicy::TrustAll).unwrap_err(),
        typed_baggage::Error::Local { schema: "Shard" }
    );
}
