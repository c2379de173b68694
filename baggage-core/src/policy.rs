//! Trust at every carrier: which incoming baggage a service accepts
//! ([`InboundPolicy`], [`Allowlist`]) and where outgoing baggage may go
//! ([`Destinations`]: hosts for HTTP, subjects for message queues).
//!
//! Every carrier applies the same policy the same way: an inbound policy
//! reads a carrier's values through the read pipeline (or, under drop-all,
//! not at all), and outgoing baggage goes only to allowed destinations. The
//! `tower` module re-exports these types for its layers; a carrier adds an
//! adapter, never a policy of its own.

use std::collections::HashSet;
use std::sync::Arc;

use opentelemetry::baggage::{Baggage as OtelBaggage, BaggageExt};
use opentelemetry::propagation::Extractor;
use opentelemetry::Context;

use crate::error::excerpt;
use crate::metrics::{Direction, Reason};
use crate::propagation::{baggage_fields, BaggagePropagator};
use crate::read::CarrierValue;
use crate::report::{limited, Reporter};
use crate::schema::Schema;
use crate::Baggage;

/// Which incoming baggage a service accepts. There is no default: every
/// service says what it trusts.
#[derive(Debug, Clone)]
pub enum InboundPolicy {
    /// Accept every entry: an internal hop whose callers are trusted peers.
    TrustAll,
    /// Accept nothing: an edge facing the internet. The header is not even
    /// parsed, and it is removed from the request so that nothing forwards it.
    DropAll,
    /// Accept only the entries an [`Allowlist`] names; drop (count and log) the rest.
    Allow(Allowlist),
}

/// The keys an edge accepts from outside: single keys, and whole typed schemas.
///
/// ```
/// use typed_baggage::prelude::*;
/// use typed_baggage::policy::Allowlist;
///
/// #[derive(Baggage)]
/// #[baggage(prefix = "ff.")]
/// struct Flags { new_checkout: bool, experiment: Option<String> }
///
/// let allow = Allowlist::new().schema::<Flags>().key("client.version");
/// assert!(allow.allows("ff.new_checkout") && allow.allows("ff.experiment"));
/// assert!(allow.allows("client.version"));
/// assert!(!allow.allows("app.tier"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Allowlist {
    keys: HashSet<String>,
    schemas: Vec<&'static Schema>,
}

impl Allowlist {
    /// An empty allowlist (accepts nothing until keys are added).
    pub fn new() -> Self {
        Self::default()
    }

    /// Accepts one key.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        let _ = self.keys.insert(key.into());
        self
    }

    /// Accepts every key of a typed schema, flattened ones resolved (its
    /// signature too, for a signed one): the keys the schema reads, by the
    /// same rule ([`Schema::contains_key`]).
    ///
    /// A local schema (`#[baggage(local)]`) does not compile here: its
    /// entries never travel, so a carrier holds only forgeries of them, and
    /// an allowlist that named it would let them into the baggage, to be
    /// forwarded to every service downstream.
    ///
    /// ```compile_fail
    /// use typed_baggage::prelude::*;
    /// use typed_baggage::policy::Allowlist;
    ///
    /// #[derive(Baggage)]
    /// #[baggage(prefix = "route.", local)]
    /// struct RouteCtx { name: String }
    ///
    /// let allow = Allowlist::new().schema::<RouteCtx>(); // the schema `RouteCtx` is local
    /// ```
    pub fn schema<T: Baggage>(mut self) -> Self {
        const {
            let message = crate::checks::allowlisted_local_message(&T::SCHEMA);
            if !message.is_empty() {
                panic!("{}", message.as_str());
            }
        }
        self.schemas.push(&T::SCHEMA);
        self
    }

    /// `true` if `key` is accepted.
    pub fn allows(&self, key: &str) -> bool {
        self.keys.contains(key) || self.schemas.iter().any(|s| s.contains_key(key))
    }
}

/// What an [`InboundPolicy`] let in from one carrier: the baggage, and how
/// many entries (or, under drop-all, whole carriers) it dropped.
#[derive(Debug, Default)]
pub(crate) struct Admitted {
    pub(crate) baggage: OtelBaggage,
    /// Read by the carriers that keep counters of their own (the tower layer).
    #[cfg_attr(not(feature = "tower"), allow(dead_code))]
    pub(crate) dropped: u64,
}

impl InboundPolicy {
    /// A copy of `cx` whose baggage is what this policy admits of the
    /// `baggage` field of any OpenTelemetry [`Extractor`] (every value of
    /// it, as one list): the way in for a carrier that has an `Extractor`
    /// and no adapter of its own. Nothing admitted is empty baggage: under
    /// a policy, what the caller sent replaces what `cx` had.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use opentelemetry::{baggage::BaggageExt, Context};
    /// use typed_baggage::policy::{Allowlist, InboundPolicy};
    /// use typed_baggage::propagation::BaggagePropagator;
    ///
    /// let carrier = HashMap::from([("baggage".to_owned(), "ff.beta=true,app.tier=premium".to_owned())]);
    /// let edge = InboundPolicy::Allow(Allowlist::new().key("ff.beta"));
    /// let cx = edge.extract(&BaggagePropagator::new(), &Context::new(), &carrier);
    /// assert_eq!(cx.baggage().get("ff.beta").map(|v| v.as_str()), Some("true"));
    /// assert_eq!(cx.baggage().get("app.tier"), None); // forged, dropped
    /// ```
    pub fn extract(
        &self,
        propagator: &BaggagePropagator,
        cx: &Context,
        extractor: &dyn Extractor,
    ) -> Context {
        let values = baggage_fields(extractor);
        cx.with_baggage(self.admit(propagator, || values.iter().copied()).baggage)
    }

    /// Reads `T` from the `baggage` field of any OpenTelemetry
    /// [`Extractor`] under this policy: the same value or the same error as
    /// `T::from_context` on what [`InboundPolicy::extract`] makes of it.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use typed_baggage::prelude::*;
    /// use typed_baggage::policy::{Allowlist, InboundPolicy};
    /// use typed_baggage::propagation::BaggagePropagator;
    ///
    /// #[derive(Baggage, Debug, PartialEq)]
    /// #[baggage(prefix = "ff.")]
    /// struct Flags { beta: bool }
    ///
    /// let carrier = HashMap::from([("baggage".to_owned(), "ff.beta=true".to_owned())]);
    /// let p = BaggagePropagator::new();
    /// let edge = InboundPolicy::Allow(Allowlist::new().schema::<Flags>());
    /// assert_eq!(edge.typed::<Flags>(&p, &carrier)?, Flags { beta: true });
    /// assert!(InboundPolicy::DropAll.typed::<Flags>(&p, &carrier).is_err());
    /// # Ok::<(), typed_baggage::Error>(())
    /// ```
    pub fn typed<T: Baggage>(
        &self,
        propagator: &BaggagePropagator,
        extractor: &dyn Extractor,
    ) -> Result<T, crate::Error> {
        let values = baggage_fields(extractor);
        self.admit_typed(propagator, || values.iter().copied())
    }

    /// Reads a carrier's `baggage` values under this policy: through the
    /// read pipeline's context mode, except under drop-all, which reads
    /// nothing; an allowlist keeps only its keys. Drops are recorded, and
    /// logged as one summary.
    pub(crate) fn admit<'h, V, I>(
        &self,
        propagator: &BaggagePropagator,
        values: impl Fn() -> I,
    ) -> Admitted
    where
        V: CarrierValue<'h>,
        I: Iterator<Item = V>,
    {
        match self {
            InboundPolicy::TrustAll => Admitted {
                baggage: propagator.extract_values(values).unwrap_or_default(),
                dropped: 0,
            },
            InboundPolicy::DropAll => {
                let present = values().next().is_some();
                if present {
                    policy_rejected(propagator.reporter());
                }
                Admitted {
                    baggage: OtelBaggage::new(),
                    dropped: u64::from(present),
                }
            }
            InboundPolicy::Allow(allow) => {
                let extracted = propagator.extract_values(values).unwrap_or_default();
                let mut dropped = 0u64;
                let kept = crate::keys::retain(&extracted, |key| {
                    let allowed = allow.allows(key);
                    dropped += u64::from(!allowed);
                    allowed
                });
                if dropped > 0 {
                    let first = extracted
                        .iter()
                        .map(|(key, _)| key.as_str())
                        .find(|key| !allow.allows(key))
                        .unwrap_or_default();
                    policy_dropped(propagator.reporter(), dropped, first);
                }
                Admitted {
                    baggage: kept,
                    dropped,
                }
            }
        }
    }
}

/// Typed reads under a policy, for every carrier.
impl InboundPolicy {
    /// Reads `T` from a carrier's `baggage` values under this policy: the
    /// same value or the same error as `T::from_context` on a context whose
    /// baggage is what [`InboundPolicy::admit`] lets in. Under trust-all it
    /// is the read pipeline's direct mode (only `T`'s values are copied);
    /// under the other policies, `T` is read from what the policy let in.
    /// A signed schema is verified with the key ring of the current context.
    pub(crate) fn admit_typed<'h, T, V, I>(
        &self,
        propagator: &BaggagePropagator,
        values: impl Fn() -> I,
    ) -> Result<T, crate::Error>
    where
        T: Baggage,
        V: CarrierValue<'h>,
        I: Iterator<Item = V>,
    {
        match self {
            InboundPolicy::TrustAll => propagator.read_values(values),
            InboundPolicy::DropAll | InboundPolicy::Allow(_) => {
                crate::read::carried::<T>()?;
                T::from_baggage(&self.admit(propagator, values).baggage)
            }
        }
    }
}

/// Where outgoing baggage may go.
///
/// Cheap to clone: clones share the host names.
///
/// ```
/// use typed_baggage::policy::Destinations;
///
/// let d = Destinations::hosts(["billing.internal", "*.svc.cluster.local"]);
/// assert!(d.allows(&"http://billing.internal/pay".parse().unwrap()));
/// assert!(d.allows(&"http://api.orders.svc.cluster.local:8080/".parse().unwrap()));
/// assert!(!d.allows(&"https://api.stripe.com/v1".parse().unwrap()));
/// assert!(!d.allows(&"/relative".parse().unwrap())); // no host: not sent
/// ```
#[derive(Debug, Clone)]
pub struct Destinations {
    rule: Arc<DestinationRule>,
}

#[derive(Debug)]
struct DestinationRule {
    any: bool,
    exact: HashSet<String>,
    suffixes: Vec<String>,
    /// Message subjects, NATS syntax ([`Destinations::subjects`]).
    subjects: Vec<SubjectPattern>,
}

impl Destinations {
    /// Every destination: only for a client that talks to internal services alone.
    ///
    /// ```
    /// use typed_baggage::policy::Destinations;
    /// assert!(Destinations::any().allows(&"https://example.com/".parse().unwrap()));
    /// ```
    pub fn any() -> Self {
        Destinations::rule(true, HashSet::new(), Vec::new())
    }

    /// No destination.
    ///
    /// ```
    /// use typed_baggage::policy::Destinations;
    /// assert!(!Destinations::none().allows(&"http://localhost/".parse().unwrap()));
    /// ```
    pub fn none() -> Self {
        Destinations::rule(false, HashSet::new(), Vec::new())
    }

    /// These hosts: `name` exactly, or `*.domain` for every subdomain of
    /// `domain` (not `domain` itself). Case-insensitive; ports are ignored.
    ///
    /// ```
    /// use typed_baggage::policy::Destinations;
    /// let d = Destinations::hosts(["*.internal"]);
    /// assert!(d.allows(&"http://Billing.Internal:8080/".parse().unwrap()));
    /// assert!(!d.allows(&"http://internal/".parse().unwrap()));
    /// ```
    pub fn hosts<I, H>(hosts: I) -> Self
    where
        I: IntoIterator<Item = H>,
        H: AsRef<str>,
    {
        let mut exact = HashSet::new();
        let mut suffixes = Vec::new();
        for h in hosts {
            let h = h.as_ref().to_ascii_lowercase();
            match h.strip_prefix("*.") {
                Some(domain) => suffixes.push(format!(".{domain}")),
                None => {
                    let _ = exact.insert(h);
                }
            }
        }
        Destinations::rule(false, exact, suffixes)
    }

    fn rule(any: bool, exact: HashSet<String>, suffixes: Vec<String>) -> Self {
        Destinations {
            rule: Arc::new(DestinationRule {
                any,
                exact,
                suffixes,
                subjects: Vec::new(),
            }),
        }
    }

    /// `true` if baggage may be sent to `host` (a DNS name or an IP
    /// address, any letter case, a trailing `.` ignored).
    ///
    /// ```
    /// use typed_baggage::policy::Destinations;
    /// let d = Destinations::hosts(["billing.internal", "*.svc.cluster.local"]);
    /// assert!(d.allows_host("Billing.Internal."));
    /// assert!(d.allows_host("orders.svc.cluster.local"));
    /// assert!(!d.allows_host("api.stripe.com"));
    /// ```
    pub fn allows_host(&self, host: &str) -> bool {
        let rule = &*self.rule;
        if rule.any {
            return true;
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        rule.exact.contains(&host) || rule.suffixes.iter().any(|s| host.ends_with(s.as_str()))
    }

    /// `true` if every destination is allowed ([`Destinations::any`]),
    /// even one without a host.
    ///
    /// ```
    /// use typed_baggage::policy::Destinations;
    /// assert!(Destinations::any().allows_any() && !Destinations::hosts(["a"]).allows_any());
    /// ```
    pub fn allows_any(&self) -> bool {
        self.rule.any
    }
}

/// Message subjects: where a message-queue carrier (the `messages` module,
/// feature `messages`) may send baggage.
///
/// Patterns are in NATS syntax. A subject is a list of tokens separated by
/// `.`; in a pattern, `*` stands for exactly one token and `>`, only as the
/// last token, for one or more tokens. Every other token is compared
/// exactly, letter case included (NATS subjects are case-sensitive).
///
/// | pattern | allows | does not allow |
/// |---|---|---|
/// | `orders.created` | `orders.created` | `orders.Created`, `orders.created.eu` |
/// | `orders.*` | `orders.created`, `orders.paid` | `orders`, `orders.created.eu` |
/// | `billing.>` | `billing.eu`, `billing.eu.invoice` | `billing` |
/// | `*.audit.>` | `eu.audit.login.ok` | `audit.login` |
/// | `>` | every subject | |
///
/// The check fails closed: a subject is allowed only if it is a concrete
/// subject a message can be published to, so an empty subject, an empty
/// token (`orders..x`, `.orders`, `orders.`), a wildcard (`orders.*` and
/// `orders.>` as subjects, or `*` and `>` inside a token), and whitespace
/// or control characters are never allowed, whatever the patterns say.
/// Matching takes one pass over the subject per pattern, with no
/// backtracking, so a hostile subject of any length costs time in
/// proportion to its length.
impl Destinations {
    /// These message subjects: NATS subject patterns (`orders.*`,
    /// `billing.>`), and no host.
    ///
    /// A pattern that is not NATS syntax is an error naming the pattern,
    /// the token, what was expected and what was found: it is not empty,
    /// has no empty token, no whitespace or control character, and a `*`
    /// or `>` only as a whole token (`>` only as the last one).
    ///
    /// ```
    /// use typed_baggage::policy::Destinations;
    ///
    /// let d = Destinations::subjects(["orders.*", "billing.>"])?;
    /// assert!(d.allows_subject("orders.created"));
    /// assert!(d.allows_subject("billing.eu.invoice"));
    /// assert!(!d.allows_subject("orders.created.eu")); // `*` is one token
    /// assert!(!d.allows_subject("billing"));           // `>` is at least one
    /// assert!(!d.allows_subject("audit.log"));
    /// assert!(!d.allows_host("orders.created"));       // subjects are not hosts
    ///
    /// let err = Destinations::subjects(["orders..created"]).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "subject pattern \"orders..created\" is not valid: token 2: expected \
    ///      a non-empty token, found \"\""
    /// );
    /// # Ok::<(), typed_baggage::policy::SubjectPatternError>(())
    /// ```
    pub fn subjects<I, P>(patterns: I) -> Result<Self, SubjectPatternError>
    where
        I: IntoIterator<Item = P>,
        P: AsRef<str>,
    {
        let subjects = patterns
            .into_iter()
            .map(|p| SubjectPattern::parse(p.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Destinations {
            rule: Arc::new(DestinationRule {
                any: false,
                exact: HashSet::new(),
                suffixes: Vec::new(),
                subjects,
            }),
        })
    }

    /// `true` if baggage may be sent on a message published to `subject`:
    /// always under [`Destinations::any`]; otherwise only if `subject` is
    /// a concrete subject (see [`Destinations::subjects`]) that one of the
    /// patterns matches. [`Destinations::none`] and
    /// [`Destinations::hosts`] allow no subject.
    ///
    /// ```
    /// use typed_baggage::policy::Destinations;
    ///
    /// let d = Destinations::subjects(["orders.>"])?;
    /// assert!(d.allows_subject("orders.eu.created"));
    /// assert!(!d.allows_subject("orders..created")); // empty token
    /// assert!(!d.allows_subject("orders.*"));        // a wildcard, not a subject
    /// assert!(!d.allows_subject("orders.eu created"));
    /// assert!(!d.allows_subject(""));
    /// assert!(Destinations::any().allows_subject("anything"));
    /// assert!(!Destinations::none().allows_subject("orders.created"));
    /// assert!(!Destinations::hosts(["orders.created"]).allows_subject("orders.created"));
    /// # Ok::<(), typed_baggage::policy::SubjectPatternError>(())
    /// ```
    pub fn allows_subject(&self, subject: &str) -> bool {
        let rule = &*self.rule;
        if rule.any {
            return true;
        }
        !rule.subjects.is_empty()
            && is_concrete_subject(subject)
            && rule.subjects.iter().any(|p| p.matches(subject))
    }
}

/// A subject pattern that is not NATS syntax, from [`Destinations::subjects`].
///
/// The pattern and the token are quoted cut to at most
/// [`FOUND_EXCERPT_BYTES`](crate::FOUND_EXCERPT_BYTES) bytes and escaped.
///
/// ```
/// use typed_baggage::policy::Destinations;
///
/// let err = Destinations::subjects(["orders.>.eu"]).unwrap_err();
/// assert_eq!(err.pattern(), "orders.>.eu");
/// assert_eq!(err.token(), 2);
/// assert_eq!(err.expected(), "`>` only as the last token");
/// assert_eq!(err.found(), ">");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectPatternError {
    pattern: String,
    token: usize,
    expected: &'static str,
    found: String,
}

impl SubjectPatternError {
    fn new(pattern: &str, token: usize, expected: &'static str, found: &str) -> Self {
        SubjectPatternError {
            pattern: excerpt(pattern),
            token,
            expected,
            found: excerpt(found),
        }
    }

    /// The pattern (cut to an excerpt).
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Which token is wrong, counted from 1 (0: the pattern as a whole).
    pub fn token(&self) -> usize {
        self.token
    }

    /// What the token should have been.
    pub fn expected(&self) -> &'static str {
        self.expected
    }

    /// The token found (cut to an excerpt).
    pub fn found(&self) -> &str {
        &self.found
    }
}

impl std::fmt::Display for SubjectPatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "subject pattern {:?} is not valid: ", self.pattern)?;
        if self.token > 0 {
            write!(f, "token {}: ", self.token)?;
        }
        write!(f, "expected {}, found {:?}", self.expected, self.found)
    }
}

impl std::error::Error for SubjectPatternError {}

/// A parsed subject pattern.
#[derive(Debug)]
struct SubjectPattern {
    tokens: Box<[PatternToken]>,
}

#[derive(Debug)]
enum PatternToken {
    /// This token exactly.
    Literal(Box<str>),
    /// `*`: one token.
    One,
    /// `>`: one or more tokens (always the last).
    Rest,
}

impl SubjectPattern {
    fn parse(pattern: &str) -> Result<Self, SubjectPatternError> {
        if pattern.is_empty() {
            return Err(SubjectPatternError::new(
                pattern,
                0,
                "a subject pattern such as `orders.*`",
                pattern,
            ));
        }
        let count = pattern.split('.').count();
        let mut tokens = Vec::with_capacity(count);
        for (i, token) in pattern.split('.').enumerate() {
            let error = |expected| Err(SubjectPatternError::new(pattern, i + 1, expected, token));
            let parsed = match token {
                "" => return error("a non-empty token"),
                "*" => PatternToken::One,
                ">" if i + 1 == count => PatternToken::Rest,
                ">" => return error("`>` only as the last token"),
                _ if token.bytes().any(is_blank_or_control) => {
                    return error("a token without whitespace or control characters")
                }
                _ if token.contains(['*', '>']) => {
                    return error("`*` or `>` only as a whole token")
                }
                _ => PatternToken::Literal(token.into()),
            };
            tokens.push(parsed);
        }
        Ok(SubjectPattern {
            tokens: tokens.into_boxed_slice(),
        })
    }

    /// `true` if the pattern matches `subject`, a concrete subject
    /// ([`is_concrete_subject`]).
    fn matches(&self, subject: &str) -> bool {
        let mut tokens = subject.split('.');
        for pattern in self.tokens.iter() {
            match (pattern, tokens.next()) {
                (_, None) => return false,
                (PatternToken::Rest, Some(_)) => return true,
                (PatternToken::One, Some(_)) => {}
                (PatternToken::Literal(literal), Some(token)) => {
                    if **literal != *token {
                        return false;
                    }
                }
            }
        }
        tokens.next().is_none()
    }
}

/// `true` if `subject` is one a message can be published to: not empty, no
/// empty token, no wildcard character, no whitespace or control character.
fn is_concrete_subject(subject: &str) -> bool {
    !subject.is_empty()
        && !subject
            .bytes()
            .any(|b| is_blank_or_control(b) || b == b'*' || b == b'>')
        && !subject.split('.').any(str::is_empty)
}

/// ASCII whitespace and control characters (DEL included), which no
/// subject holds.
fn is_blank_or_control(b: u8) -> bool {
    b <= b' ' || b == 0x7f
}

/// The `dropped` incoming entries an inbound allowlist dropped from one
/// request, `first_key` the key of one of them: recorded, and logged as one
/// summary.
#[cold]
fn policy_dropped(reporter: &Reporter, dropped: u64, first_key: &str) {
    reporter
        .metrics()
        .dropped(Direction::Incoming, Reason::Policy, dropped);
    limited!(
        DEBUG,
        "inbound baggage entries dropped: not in the allowlist",
        dropped,
        key = ?excerpt(first_key)
    );
}

/// An incoming header an inbound policy dropped whole.
#[cold]
fn policy_rejected(reporter: &Reporter) {
    reporter.metrics().rejected(Reason::Policy);
    limited!(
        DEBUG,
        "inbound baggage header dropped: the policy is drop-all",
        policy = "drop-all"
    );
}

/// A `baggage` header removed from an outgoing request or message toward a
/// destination (`host` or subject) that is not allowed: every carrier
/// reports it here, rate-limited at `DEBUG`.
#[cold]
#[cfg_attr(
    not(any(feature = "tower", feature = "reqwest", feature = "messages")),
    allow(dead_code)
)]
pub(crate) fn outgoing_removed(destination: Option<&str>) {
    limited!(
        DEBUG,
        "outgoing baggage header removed: destination not allowed",
        destination = ?destination.map(excerpt)
    );
}

#[cfg(test)]
mod subject_tests {
    use super::*;

    fn d(patterns: &[&str]) -> Destinations {
        Destinations::subjects(patterns).unwrap()
    }

    #[test]
    fn tokens_literals_star_and_tail() {
        let d = d(&["orders.created", "orders.*", "billing.>", "*.audit.>"]);
        for allowed in [
            "orders.created",
            "orders.paid",
            "billing.eu",
            "billing.eu.invoice.2026",
            "eu.audit.login",
            "eu.audit.login.ok",
        ] {
            assert!(d.allows_subject(allowed), "{allowed}");
        }
        for refused in [
            "orders",
            "orders.created.eu",
            "Orders.created",
            "billing",
            "billingx.eu",
            "audit.login",
            "eu.audit",
            "ordersXcreated",
        ] {
            assert!(!d.allows_subject(refused), "{refused}");
        }
        let all = self::d(&[">"]);
        assert!(all.allows_subject("a") && all.allows_subject("a.b.c"));
        let one = self::d(&["*"]);
        assert!(one.allows_subject("a") && !one.allows_subject("a.b"));
        let exact = self::d(&["a.b"]);
        assert!(exact.allows_subject("a.b") && !exact.allows_subject("a.b.c"));
        assert!(!exact.allows_subject("a"));
    }

    #[test]
    fn non_ascii_tokens_compare_exactly() {
        let d = d(&["commandes.é.*"]);
        assert!(d.allows_subject("commandes.é.créée"));
        assert!(!d.allows_subject("commandes.e.créée"));
    }

    #[test]
    fn hostile_subjects_are_never_allowed() {
        // Even by the widest pattern: none of these is a concrete subject.
        let d = d(&[">", "orders.>", "orders.*"]);
        for hostile in [
            "",
            ".",
            "..",
            ".orders",
            "orders.",
            "orders..created",
            "orders.*",
            "orders.>",
            "*",
            ">",
            "orders.cre*ted",
            "orders.a>b",
            "orders created",
            "orders.created\r\nPUB x 1",
            "orders.\tx",
            "orders.\0",
            "orders.\u{7f}",
        ] {
            assert!(!d.allows_subject(hostile), "{hostile:?}");
        }
    }

    #[test]
    fn very_long_subjects_match_by_their_tokens() {
        let d = d(&["orders.>", "audit.*"]);
        let many_tokens = format!("orders{}", ".x".repeat(500_000));
        assert!(d.allows_subject(&many_tokens));
        let long_token = format!("audit.{}", "y".repeat(1 << 20));
        assert!(d.allows_subject(&long_token));
        assert!(!d.allows_subject(&format!("{long_token}.z")));
        let hole_at_the_end = format!("{many_tokens}.");
        assert!(!d.allows_subject(&hole_at_the_end));
        let other = format!("billing{}", ".x".repeat(500_000));
        assert!(!d.allows_subject(&other));
    }

    #[test]
    fn any_none_and_hosts_keep_their_rules_for_hosts_and_subjects() {
        assert!(Destinations::any().allows_subject("orders.created"));
        assert!(Destinations::any().allows_host("example.com"));
        assert!(!Destinations::none().allows_subject("orders.created"));
        let hosts = Destinations::hosts(["billing.internal", "*.svc"]);
        assert!(hosts.allows_host("billing.internal") && hosts.allows_host("a.svc"));
        assert!(!hosts.allows_subject("billing.internal"));
        assert!(!hosts.allows_subject("a.svc"));
        let subjects = d(&["billing.internal", ">"]);
        assert!(!subjects.allows_host("billing.internal"));
        assert!(!subjects.allows_any());
        assert!(!Destinations::subjects(Vec::<String>::new())
            .unwrap()
            .allows_subject("a"));
    }

    #[test]
    fn invalid_patterns_name_the_pattern_token_expected_and_found() {
        let cases: [(&str, usize, &str, &str); 9] = [
            ("", 0, "a subject pattern such as `orders.*`", ""),
            ("orders..x", 2, "a non-empty token", ""),
            (".orders", 1, "a non-empty token", ""),
            ("orders.", 2, "a non-empty token", ""),
            ("orders.>.eu", 2, "`>` only as the last token", ">"),
            ("orders.cre*", 2, "`*` or `>` only as a whole token", "cre*"),
            ("a.b>", 2, "`*` or `>` only as a whole token", "b>"),
            (
                "orders.new order",
                2,
                "a token without whitespace or control characters",
                "new order",
            ),
            (
                "orders.x\ny",
                2,
                "a token without whitespace or control characters",
                "x\ny",
            ),
        ];
        for (pattern, token, expected, found) in cases {
            let err = Destinations::subjects(["ok.*", pattern]).unwrap_err();
            assert_eq!(
                (err.pattern(), err.token(), err.expected(), err.found()),
                (pattern, token, expected, found),
                "{pattern:?}"
            );
        }
        let err = Destinations::subjects(["orders.x\r\nforged"]).unwrap_err();
        let message = err.to_string();
        assert!(
            !message.contains('\n') && !message.contains('\r'),
            "{message}"
        );
        assert!(message.contains(r#""orders.x\r\nforged""#), "{message}");
    }

    #[test]
    fn long_invalid_patterns_are_cut_in_errors() {
        let pattern = format!("{}.>.x", "p".repeat(10_000));
        let err = Destinations::subjects([pattern.as_str()]).unwrap_err();
        assert!(err.pattern().len() < 200 && err.pattern().ends_with('…'));
        assert!(err.to_string().len() < 400, "{err}");
    }
}
