//! The environment carrier: typed baggage for child processes, batch jobs,
//! CI steps and command-line tools.
//!
//! The OpenTelemetry specification's environment-variable carrier
//! (`specification/context/env-carriers.md`) carries context in upper-case
//! variables: `BAGGAGE` holds exactly what the `baggage` header would, and
//! `TRACEPARENT` the trace. This module writes the current baggage into a
//! [`Command`] and reads it back at start-up, through the same encoder,
//! read pipeline, limits and inbound policies as every other carrier.
//!
//! ```no_run
//! use typed_baggage::prelude::*;
//! use typed_baggage::policy::InboundPolicy;
//! use opentelemetry::Context;
//! use std::process::Command;
//!
//! #[derive(Baggage, Debug, PartialEq)]
//! #[baggage(prefix = "job.")]
//! struct JobCtx { tenant: String, attempt: u8 }
//!
//! // the parent: the child gets BAGGAGE=job.attempt=1,job.tenant=acme
//! let cx = Context::new().with_typed(&JobCtx { tenant: "acme".into(), attempt: 1 })?;
//! let mut child = Command::new("worker");
//! typed_baggage::env::inject(&cx, &mut child);
//!
//! // the child, at start-up: its parent is trusted
//! let job = JobCtx::from_env(&InboundPolicy::TrustAll)?;
//! # Ok::<(), typed_baggage::Error>(())
//! ```
//!
//! A child inherits its parent's environment: [`inject`] sets `BAGGAGE`
//! when there is baggage to send and *removes* it otherwise, so a stale
//! `BAGGAGE` the parent itself was started with never reaches the child by
//! accident. For `tokio::process::Command`, pass `command.as_std_mut()`.
//!
//! The environment of a process is as hostile as a request header when
//! whoever starts it is not trusted (a CI job started by a pull request, a
//! tool run by a user): read it under an explicit [`InboundPolicy`].

use std::ffi::OsStr;
use std::process::Command;

use opentelemetry::baggage::BaggageExt;
use opentelemetry::propagation::{Extractor, Injector};
use opentelemetry::Context;

use crate::policy::InboundPolicy;
use crate::propagation::BaggagePropagator;
use crate::{Baggage, Error};

/// The variable baggage travels in: the W3C `baggage` header's text.
pub const BAGGAGE_VAR: &str = "BAGGAGE";

/// Writes the baggage of `cx` into `command`'s environment as `BAGGAGE`,
/// exactly as the `baggage` header would carry it (the same encoding and
/// limits); removes `BAGGAGE` from the command's environment when there is
/// nothing to send, so that the child never inherits a stale one.
///
/// ```
/// use opentelemetry::{baggage::BaggageExt, Context, KeyValue};
/// use std::ffi::OsStr;
/// use std::process::Command;
///
/// let cx = Context::new().with_baggage([KeyValue::new("app.region", "eu west")]);
/// let mut child = Command::new("worker");
/// typed_baggage::env::inject(&cx, &mut child);
/// let baggage = child.get_envs().find(|(k, _)| *k == "BAGGAGE").and_then(|(_, v)| v);
/// assert_eq!(baggage, Some(OsStr::new("app.region=eu%20west")));
///
/// // nothing to send: BAGGAGE is removed, not inherited
/// typed_baggage::env::inject(&Context::new(), &mut child);
/// assert_eq!(child.get_envs().find(|(k, _)| *k == "BAGGAGE"), Some((OsStr::new("BAGGAGE"), None)));
/// ```
pub fn inject(cx: &Context, command: &mut Command) {
    inject_with(crate::propagation::default_propagator(), cx, command);
}

/// [`inject`] with a configured propagator.
pub fn inject_with(propagator: &BaggagePropagator, cx: &Context, command: &mut Command) {
    match propagator.header_value(cx.baggage()) {
        Some(value) => {
            let _ = command.env(BAGGAGE_VAR, value);
        }
        None => {
            let _ = command.env_remove(BAGGAGE_VAR);
        }
    }
}

/// A copy of the current context whose baggage is what this process's
/// `BAGGAGE` carries, under `policy` (drop-all reads nothing; an allowlist
/// keeps its keys). No `BAGGAGE`, or one over the limits: empty baggage.
///
/// ```
/// use typed_baggage::policy::InboundPolicy;
/// use opentelemetry::baggage::BaggageExt;
///
/// let cx = typed_baggage::env::context(&InboundPolicy::DropAll);
/// assert!(cx.baggage().is_empty());
/// ```
pub fn context(policy: &InboundPolicy) -> Context {
    let value = std::env::var_os(BAGGAGE_VAR);
    context_of(
        policy,
        crate::propagation::default_propagator(),
        value.as_deref(),
    )
}

/// The context [`context`] makes of a given `BAGGAGE` value (for a
/// process that read its environment earlier, or a test), with a
/// configured propagator.
///
/// ```
/// use typed_baggage::policy::{Allowlist, InboundPolicy};
/// use typed_baggage::propagation::BaggagePropagator;
/// use opentelemetry::baggage::BaggageExt;
/// use std::ffi::OsStr;
///
/// let policy = InboundPolicy::Allow(Allowlist::new().key("job.tenant"));
/// let value = OsStr::new("job.tenant=acme,job.admin=true");
/// let cx = typed_baggage::env::context_of(&policy, &BaggagePropagator::new(), Some(value));
/// assert_eq!(cx.baggage().get("job.tenant").map(|v| v.as_str()), Some("acme"));
/// assert_eq!(cx.baggage().get("job.admin"), None);
/// ```
pub fn context_of(
    policy: &InboundPolicy,
    propagator: &BaggagePropagator,
    value: Option<&OsStr>,
) -> Context {
    let admitted = policy.admit(propagator, || {
        value.map(OsStr::as_encoded_bytes).into_iter()
    });
    Context::current().with_baggage(admitted.baggage)
}

/// Reads `T` from this process's `BAGGAGE` under `policy`: what
/// [`Baggage::from_env`] does.
pub fn typed<T: Baggage>(policy: &InboundPolicy) -> Result<T, Error> {
    let value = std::env::var_os(BAGGAGE_VAR);
    typed_of(
        policy,
        crate::propagation::default_propagator(),
        value.as_deref(),
    )
}

/// Reads `T` from a given `BAGGAGE` value under `policy`: the direct mode
/// of the read pipeline when the policy trusts everything, else `T` read
/// from what the policy admits.
///
/// ```
/// use typed_baggage::prelude::*;
/// use typed_baggage::policy::InboundPolicy;
/// use typed_baggage::propagation::BaggagePropagator;
/// use std::ffi::OsStr;
///
/// #[derive(Baggage, Debug, PartialEq)]
/// #[baggage(prefix = "job.")]
/// struct JobCtx { tenant: String }
///
/// let value = Some(OsStr::new("job.tenant=acme"));
/// let p = BaggagePropagator::new();
/// let job: JobCtx = typed_baggage::env::typed_of(&InboundPolicy::TrustAll, &p, value)?;
/// assert_eq!(job, JobCtx { tenant: "acme".into() });
/// // an untrusted starter: nothing is read
/// assert!(typed_baggage::env::typed_of::<JobCtx>(&InboundPolicy::DropAll, &p, value).is_err());
/// # Ok::<(), typed_baggage::Error>(())
/// ```
pub fn typed_of<T: Baggage>(
    policy: &InboundPolicy,
    propagator: &BaggagePropagator,
    value: Option<&OsStr>,
) -> Result<T, Error> {
    policy.admit_typed(propagator, || {
        value.map(OsStr::as_encoded_bytes).into_iter()
    })
}

/// Writes any OpenTelemetry propagator's fields into a [`Command`]'s
/// environment, upper-cased as the specification's environment carrier
/// names them (`baggage` → `BAGGAGE`, `traceparent` → `TRACEPARENT`), so
/// that a child continues the trace as well as the baggage.
///
/// ```
/// use opentelemetry::propagation::TextMapPropagator;
/// use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState, TraceContextExt};
/// use opentelemetry::Context;
/// use opentelemetry_sdk::propagation::TraceContextPropagator;
/// use std::ffi::OsStr;
/// use std::process::Command;
/// use typed_baggage::env::EnvInjector;
///
/// let span = SpanContext::new(
///     TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
///     SpanId::from_hex("00f067aa0ba902b7").unwrap(),
///     TraceFlags::SAMPLED, true, TraceState::default(),
/// );
/// let cx = Context::new().with_remote_span_context(span);
/// let mut child = Command::new("worker");
/// TraceContextPropagator::new().inject_context(&cx, &mut EnvInjector(&mut child));
/// let tp = child.get_envs().find(|(k, _)| *k == "TRACEPARENT").and_then(|(_, v)| v);
/// assert_eq!(tp, Some(OsStr::new("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")));
/// ```
#[derive(Debug)]
pub struct EnvInjector<'a>(pub &'a mut Command);

impl Injector for EnvInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        let _ = self.0.env(key.to_ascii_uppercase(), value);
    }
}

/// Reads any OpenTelemetry propagator's fields from this process's
/// environment (a snapshot taken when it is made), upper-cased as the
/// specification's environment carrier names them, e.g. to continue the
/// trace a parent started (`TRACEPARENT`). For `BAGGAGE`, prefer
/// [`context`]: it applies an inbound policy.
///
/// ```
/// use typed_baggage::env::EnvExtractor;
/// use opentelemetry::propagation::Extractor;
///
/// let env = EnvExtractor::from_vars([("TRACEPARENT", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]);
/// assert_eq!(env.get("traceparent"), Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
/// assert_eq!(env.get("baggage"), None);
/// ```
#[derive(Debug, Clone, Default)]
pub struct EnvExtractor {
    vars: Vec<(String, String)>,
}

impl EnvExtractor {
    /// A snapshot of this process's environment (variables whose name or
    /// value is not UTF-8 are left out: no propagator field is such).
    pub fn new() -> Self {
        EnvExtractor::from_vars(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        )
    }

    /// An extractor over the given variables.
    pub fn from_vars<K: Into<String>, V: Into<String>>(
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        EnvExtractor {
            vars: vars
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }
}

impl Extractor for EnvExtractor {
    fn get(&self, key: &str) -> Option<&str> {
        let key = key.to_ascii_uppercase();
        self.vars
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    fn keys(&self) -> Vec<&str> {
        self.vars.iter().map(|(k, _)| k.as_str()).collect()
    }
}

/// The baggage of `value` read in context mode with no policy: for tests
/// of this module.
#[cfg(test)]
fn trusted(value: &str) -> opentelemetry::baggage::Baggage {
    BaggagePropagator::new()
        .extract_values(|| Some(value.as_bytes()).into_iter())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_values_go_through_the_pipeline() {
        assert_eq!(trusted("a=1,b=x%20y").len(), 2);
        assert!(trusted(&"k=v,".repeat(3000)).is_empty());
        let raw = [b'a', b'=', b'1', b',', 0xff, b'=', b'2'];
        assert_eq!(crate::read::CarrierValue::borrowed_text(&raw[..]), None);
        assert_eq!(
            BaggagePropagator::new()
                .extract_values(|| Some(&raw[..]).into_iter())
                .map(|b| b.len()),
            Some(1)
        );
    }
}
