//! Schemas, sample values, headers and the hand-written baselines that the
//! benchmarks share (and that `tests/allocations.rs` includes too).
//!
//! Three schemas: [`Small`] (2 fields), [`UserCtx`] (the representative one
//! of the README: `u64` id, enum tier, `bool`, `Vec` of 3 strings,
//! `Option<String>`, a small integer with a default) and [`Large`] (30
//! fields of every kind). For each there is:
//!
//! - `sample()`: a value with every field set;
//! - `attach_hand`: what a competent user writes without typed-baggage to put
//!   the value in a context: `to_string()` per value (an enum through its own
//!   `as_str`), `KeyValue::new`, the existing baggage collected together with
//!   the new entries, `with_baggage`;
//! - `attach_floor`: the least any implementation can do: the existing
//!   entries and pre-built `&'static str` values inserted into a `Baggage`,
//!   `with_baggage`;
//! - `read_hand`: `baggage().get(..)` and `parse()` per field, each with its
//!   own error (`?`, stops at the first);
//! - `read_floor`: the same lookups and parses and the allocations the
//!   struct owns, without any error information.
//!
//! The hand-written code is meant to be honest: what one would write in a
//! service, using the standard library's fastest obvious tool at each step,
//! not something slowed down to flatter the typed layer.
#![allow(dead_code)]

use std::fmt;
use std::str::FromStr;

use opentelemetry::baggage::{Baggage as OtelBaggage, BaggageExt, KeyValueMetadata};
use opentelemetry::{Context, Key, KeyValue, StringValue};
use typed_baggage::prelude::*;

// ---------------------------------------------------------------------------
// Enums
// ---------------------------------------------------------------------------

/// A customer tier.
#[derive(Baggage, Debug, Clone, Copy, PartialEq, Eq)]
#[baggage(rename_all = "snake_case")]
pub enum Tier {
    Free,
    Premium,
    EnterpriseGold,
}

/// The hand-written text form a user keeps next to the enum.
impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Free => "free",
            Tier::Premium => "premium",
            Tier::EnterpriseGold => "enterprise_gold",
        }
    }
}

/// The hand-written parse a user keeps next to the enum.
impl FromStr for Tier {
    type Err = UnknownVariant;

    fn from_str(s: &str) -> Result<Self, UnknownVariant> {
        match s {
            "free" => Ok(Tier::Free),
            "premium" => Ok(Tier::Premium),
            "enterprise_gold" => Ok(Tier::EnterpriseGold),
            _ => Err(UnknownVariant),
        }
    }
}

/// Where a request came from.
#[derive(Baggage, Debug, Clone, Copy, PartialEq, Eq)]
#[baggage(rename_all = "snake_case")]
pub enum Channel {
    Web,
    Ios,
    Android,
    Api,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Ios => "ios",
            Channel::Android => "android",
            Channel::Api => "api",
        }
    }
}

impl FromStr for Channel {
    type Err = UnknownVariant;

    fn from_str(s: &str) -> Result<Self, UnknownVariant> {
        match s {
            "web" => Ok(Channel::Web),
            "ios" => Ok(Channel::Ios),
            "android" => Ok(Channel::Android),
            "api" => Ok(Channel::Api),
            _ => Err(UnknownVariant),
        }
    }
}

/// The error of the hand-written enum parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownVariant;

impl fmt::Display for UnknownVariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown variant")
    }
}

// ---------------------------------------------------------------------------
// The hand-written error handling
// ---------------------------------------------------------------------------

/// The error type a user writes for the hand-written decode: which key, and
/// what was wrong with it.
#[derive(Debug)]
pub enum HandError {
    Missing(&'static str),
    Invalid {
        key: &'static str,
        value: String,
        reason: String,
    },
}

/// The text of a required key.
#[inline]
pub fn get<'b>(b: &'b OtelBaggage, key: &'static str) -> Result<&'b str, HandError> {
    b.get(key)
        .map(|v| v.as_str())
        .ok_or(HandError::Missing(key))
}

/// Parses a text with `FromStr`, naming the key on failure.
#[inline]
pub fn parse_text<T: FromStr>(key: &'static str, text: &str) -> Result<T, HandError>
where
    T::Err: fmt::Display,
{
    text.parse().map_err(|e: T::Err| HandError::Invalid {
        key,
        value: text.to_owned(),
        reason: e.to_string(),
    })
}

/// Parses a required key.
#[inline]
pub fn parse<T: FromStr>(b: &OtelBaggage, key: &'static str) -> Result<T, HandError>
where
    T::Err: fmt::Display,
{
    parse_text(key, get(b, key)?)
}

/// A required comma-separated list of strings.
#[inline]
pub fn list(b: &OtelBaggage, key: &'static str) -> Result<Vec<String>, HandError> {
    Ok(get(b, key)?.split(',').map(str::to_owned).collect())
}

/// An optional string.
#[inline]
pub fn opt_string(b: &OtelBaggage, key: &'static str) -> Option<String> {
    b.get(key).map(|v| v.as_str().to_owned())
}

/// The existing baggage, entries and properties as they are, as
/// `KeyValueMetadata`s to chain new entries to.
pub fn existing(cx: &Context) -> impl Iterator<Item = KeyValueMetadata> + '_ {
    cx.baggage()
        .iter()
        .map(|(k, (v, m))| KeyValueMetadata::new(k.clone(), v.clone(), m.clone()))
}

/// The existing baggage copied into a new `Baggage` (the floor's start).
pub fn copy_existing(cx: &Context) -> OtelBaggage {
    let mut baggage = OtelBaggage::new();
    for (k, (v, m)) in cx.baggage() {
        baggage.insert_with_metadata(k.clone(), v.clone(), m.clone());
    }
    baggage
}

/// A schema's entries as the hand-written attaches make them: each key and
/// its value's text (`None` for a field that is `None`), statically
/// dispatched so that the baselines pay no indirection.
pub trait HandEntries {
    fn each_entry(&self, put: impl FnMut(&'static str, Option<StringValue>));
}

/// The hand-written attach: the entries `each_entry` makes collected as
/// `KeyValue`s (a `None` left out), chained to the existing baggage,
/// `with_baggage`.
pub fn hand_with<T: HandEntries>(cx: &Context, n: usize, value: &T) -> Context {
    let mut own = Vec::with_capacity(n);
    value.each_entry(|key, value| {
        if let Some(value) = value {
            own.push(KeyValue::new(key, value));
        }
    });
    let baggage: OtelBaggage = existing(cx)
        .chain(own.into_iter().map(KeyValueMetadata::from))
        .collect();
    cx.with_baggage(baggage)
}

/// The other hand-written attach (issue 19): the existing baggage copied
/// into a new `Baggage` with `insert_with_metadata`, then each entry
/// `insert`ed, the key of a `None` removed, `with_baggage`.
pub fn copy_with<T: HandEntries>(cx: &Context, value: &T) -> Context {
    let mut baggage = copy_existing(cx);
    value.each_entry(|key, value| match value {
        Some(value) => {
            let _ = baggage.insert(Key::from_static_str(key), value);
        }
        None => {
            let _ = baggage.remove(key);
        }
    });
    cx.with_baggage(baggage)
}

/// Why the checked copy (`copy_checked_with`) made no context.
#[derive(Debug)]
pub enum CopyError {
    /// More than 64 members, or more than 8,192 bytes encoded.
    OverLimit,
    /// OpenTelemetry refused an entry (its own limits).
    Dropped,
}

/// The copy baseline with the two guarantees `with_typed` adds (issue 19,
/// round eight): each list element that holds `,` or `%` escaped, so that
/// every list reads back as written (`join` splits such an element in
/// two), and the W3C limits checked before the context is made (64
/// members, 8,192 bytes encoded), an error instead of an entry dropped
/// without a word (OpenTelemetry's `insert` refuses one over its own
/// limits; the copy ignores that, and never measures the encoded header).
/// Sizes are bounded from lengths first and counted exactly only when the
/// bound is over, the cheap way `with_typed` measures too.
pub fn copy_checked_with<T: CheckedEntries>(cx: &Context, value: &T) -> Result<Context, CopyError> {
    let mut baggage = copy_existing(cx);
    let mut dropped = false;
    value.each_checked_entry(|key, value| match value {
        Some(value) => {
            // refused: nothing replaced, and no entry more
            let before = baggage.len();
            if baggage.insert(Key::from_static_str(key), value).is_none() && baggage.len() == before
            {
                dropped = true;
            }
        }
        None => {
            let _ = baggage.remove(key);
        }
    });
    if dropped {
        return Err(CopyError::Dropped);
    }
    let member = |k: &Key, m: &str, len: usize| {
        k.as_str().len() + 1 + len + if m.is_empty() { 0 } else { 1 + m.len() }
    };
    let entries = || {
        baggage
            .iter()
            .map(|(k, (v, m))| (k, v.as_str(), m.as_str()))
    };
    let bound: usize = entries().map(|(k, v, m)| member(k, m, 3 * v.len())).sum();
    let separators = baggage.len().saturating_sub(1);
    if baggage.len() > 64
        || (bound + separators > 8192
            && entries()
                .map(|(k, v, m)| member(k, m, typed_baggage::wire::encoded_len(v)))
                .sum::<usize>()
                + separators
                > 8192)
    {
        return Err(CopyError::OverLimit);
    }
    Ok(cx.with_baggage(baggage))
}

/// [`HandEntries`] with each list element escaped, for the checked copy.
pub trait CheckedEntries {
    fn each_checked_entry(&self, put: impl FnMut(&'static str, Option<StringValue>));
}

/// A list's elements joined with `,`, an element's `%` written `%25` and
/// its `,` written `%2C` (the text of every element looked at once first).
pub fn join_escaped(items: &[String]) -> String {
    if items.iter().any(|i| i.contains([',', '%'])) {
        let escaped: Vec<String> = items
            .iter()
            .map(|i| i.replace('%', "%25").replace(',', "%2C"))
            .collect();
        escaped.join(",")
    } else {
        items.join(",")
    }
}

/// A context with `n` entries of other teams already in its baggage (an
/// upstream service's), to merge into.
pub fn upstream(n: usize) -> Context {
    Context::new().with_baggage(
        (0..n).map(|i| KeyValue::new(format!("other.key{i}"), format!("upstream-value-{i}"))),
    )
}

// ---------------------------------------------------------------------------
// Small: 2 fields
// ---------------------------------------------------------------------------

/// The smallest useful schema.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "app.")]
pub struct Small {
    pub user_id: u64,
    pub is_premium: bool,
}

impl Small {
    pub fn sample() -> Self {
        Small {
            user_id: 12_345_678_901,
            is_premium: true,
        }
    }

    /// The sample of user `i`: its own `user_id`.
    pub fn user(i: u64) -> Self {
        Small {
            user_id: 12_345_678_901 + i,
            ..Self::sample()
        }
    }

    pub fn attach_hand(&self, cx: &Context) -> Context {
        hand_with(cx, 2, self)
    }

    pub fn attach_copy(&self, cx: &Context) -> Context {
        copy_with(cx, self)
    }

    pub fn attach_floor(cx: &Context) -> Context {
        let mut b = copy_existing(cx);
        b.insert(
            Key::from_static_str("app.user_id"),
            StringValue::from("12345678901"),
        );
        b.insert(
            Key::from_static_str("app.is_premium"),
            StringValue::from("true"),
        );
        cx.with_baggage(b)
    }

    pub fn read_hand(cx: &Context) -> Result<Self, HandError> {
        let b = cx.baggage();
        Ok(Small {
            user_id: parse(b, "app.user_id")?,
            is_premium: parse(b, "app.is_premium")?,
        })
    }

    pub fn read_floor(cx: &Context) -> Option<Self> {
        let b = cx.baggage();
        Some(Small {
            user_id: b.get("app.user_id")?.as_str().parse().ok()?,
            is_premium: b.get("app.is_premium")?.as_str().parse().ok()?,
        })
    }
}

// ---------------------------------------------------------------------------
// UserCtx: the representative schema (the README's)
// ---------------------------------------------------------------------------

/// Who is calling, set once at the gateway.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "app.")]
pub struct UserCtx {
    pub user_id: u64,
    pub tier: Tier,
    pub is_premium: bool,
    pub features: Vec<String>,
    #[baggage(rename = "geo")]
    pub region: Option<String>,
    #[baggage(default)]
    pub retries: u8,
}

impl UserCtx {
    pub fn sample() -> Self {
        UserCtx {
            user_id: 12_345_678_901,
            tier: Tier::Premium,
            is_premium: true,
            features: vec![
                "new_checkout".into(),
                "dark_mode".into(),
                "beta_search".into(),
            ],
            region: Some("us-west-2".into()),
            retries: 2,
        }
    }

    /// The sample of user `i`: its own `user_id`.
    pub fn user(i: u64) -> Self {
        UserCtx {
            user_id: 12_345_678_901 + i,
            ..Self::sample()
        }
    }

    pub fn attach_hand(&self, cx: &Context) -> Context {
        hand_with(cx, 6, self)
    }

    pub fn attach_copy(&self, cx: &Context) -> Context {
        copy_with(cx, self)
    }

    pub fn attach_copy_checked(&self, cx: &Context) -> Result<Context, CopyError> {
        copy_checked_with(cx, self)
    }

    pub fn attach_floor(cx: &Context) -> Context {
        let mut b = copy_existing(cx);
        for (k, v) in [
            ("app.user_id", "12345678901"),
            ("app.tier", "premium"),
            ("app.is_premium", "true"),
            ("app.features", "new_checkout,dark_mode,beta_search"),
            ("app.geo", "us-west-2"),
            ("app.retries", "2"),
        ] {
            b.insert(Key::from_static_str(k), StringValue::from(v));
        }
        cx.with_baggage(b)
    }

    pub fn read_hand(cx: &Context) -> Result<Self, HandError> {
        let b = cx.baggage();
        Ok(UserCtx {
            user_id: parse(b, "app.user_id")?,
            tier: parse(b, "app.tier")?,
            is_premium: parse(b, "app.is_premium")?,
            features: list(b, "app.features")?,
            region: opt_string(b, "app.geo"),
            retries: match b.get("app.retries") {
                Some(v) => parse_text("app.retries", v.as_str())?,
                None => 0,
            },
        })
    }

    pub fn read_floor(cx: &Context) -> Option<Self> {
        let b = cx.baggage();
        Some(UserCtx {
            user_id: b.get("app.user_id")?.as_str().parse().ok()?,
            tier: b.get("app.tier")?.as_str().parse().ok()?,
            is_premium: b.get("app.is_premium")?.as_str().parse().ok()?,
            features: b
                .get("app.features")?
                .as_str()
                .split(',')
                .map(str::to_owned)
                .collect(),
            region: b.get("app.geo").map(|v| v.as_str().to_owned()),
            retries: match b.get("app.retries") {
                Some(v) => v.as_str().parse().ok()?,
                None => 0,
            },
        })
    }
}

// ---------------------------------------------------------------------------
// Large: 30 fields
// ---------------------------------------------------------------------------

/// A large schema: 10 integers, 5 booleans, 5 enums, 5 strings, 3 optional
/// strings, 2 lists.
#[derive(Baggage, Debug, Clone, PartialEq)]
#[baggage(prefix = "big.")]
pub struct Large {
    pub request_id: u64,
    pub account_id: u64,
    pub org_id: u32,
    pub shard: u16,
    pub priority: u8,
    pub attempt: u32,
    pub deadline_ms: u64,
    pub quota: i64,
    pub score: i32,
    pub build: u32,
    pub beta: bool,
    pub internal: bool,
    pub canary: bool,
    pub debug: bool,
    pub synthetic: bool,
    pub tier: Tier,
    pub channel: Channel,
    pub fallback_tier: Tier,
    pub source_channel: Channel,
    pub support_tier: Tier,
    pub tenant: String,
    pub locale: String,
    pub client_version: String,
    pub experiment: String,
    pub route: String,
    pub referrer: Option<String>,
    pub campaign: Option<String>,
    pub device: Option<String>,
    pub flags: Vec<String>,
    pub cohorts: Vec<String>,
}

/// Large's keys and sample values as they are written: what the floor inserts.
pub const LARGE_ENTRIES: [(&str, &str); 29] = [
    ("big.request_id", "9876543210123"),
    ("big.account_id", "12345678901"),
    ("big.org_id", "4242"),
    ("big.shard", "17"),
    ("big.priority", "3"),
    ("big.attempt", "1"),
    ("big.deadline_ms", "1500"),
    ("big.quota", "-250"),
    ("big.score", "97"),
    ("big.build", "20240611"),
    ("big.beta", "true"),
    ("big.internal", "false"),
    ("big.canary", "false"),
    ("big.debug", "false"),
    ("big.synthetic", "true"),
    ("big.tier", "enterprise_gold"),
    ("big.channel", "ios"),
    ("big.fallback_tier", "premium"),
    ("big.source_channel", "web"),
    ("big.support_tier", "free"),
    ("big.tenant", "acme-corp"),
    ("big.locale", "en-GB"),
    ("big.client_version", "7.12.3"),
    ("big.experiment", "checkout-v3"),
    ("big.route", "api.orders.create"),
    ("big.referrer", "partner-portal"),
    ("big.campaign", "spring-sale"),
    // `device` is `None`: not written.
    ("big.flags", "fast_path,new_pricing,audit"),
    ("big.cohorts", "c17,c42"),
];

impl Large {
    pub fn sample() -> Self {
        Large {
            request_id: 9_876_543_210_123,
            account_id: 12_345_678_901,
            org_id: 4242,
            shard: 17,
            priority: 3,
            attempt: 1,
            deadline_ms: 1500,
            quota: -250,
            score: 97,
            build: 20_240_611,
            beta: true,
            internal: false,
            canary: false,
            debug: false,
            synthetic: true,
            tier: Tier::EnterpriseGold,
            channel: Channel::Ios,
            fallback_tier: Tier::Premium,
            source_channel: Channel::Web,
            support_tier: Tier::Free,
            tenant: "acme-corp".into(),
            locale: "en-GB".into(),
            client_version: "7.12.3".into(),
            experiment: "checkout-v3".into(),
            route: "api.orders.create".into(),
            referrer: Some("partner-portal".into()),
            campaign: Some("spring-sale".into()),
            device: None,
            flags: vec!["fast_path".into(), "new_pricing".into(), "audit".into()],
            cohorts: vec!["c17".into(), "c42".into()],
        }
    }

    pub fn attach_hand(&self, cx: &Context) -> Context {
        hand_with(cx, 30, self)
    }

    pub fn attach_copy(&self, cx: &Context) -> Context {
        copy_with(cx, self)
    }

    pub fn attach_floor(cx: &Context) -> Context {
        let mut b = copy_existing(cx);
        for (k, v) in LARGE_ENTRIES {
            b.insert(Key::from_static_str(k), StringValue::from(v));
        }
        cx.with_baggage(b)
    }

    pub fn read_hand(cx: &Context) -> Result<Self, HandError> {
        let b = cx.baggage();
        Ok(Large {
            request_id: parse(b, "big.request_id")?,
            account_id: parse(b, "big.account_id")?,
            org_id: parse(b, "big.org_id")?,
            shard: parse(b, "big.shard")?,
            priority: parse(b, "big.priority")?,
            attempt: parse(b, "big.attempt")?,
            deadline_ms: parse(b, "big.deadline_ms")?,
            quota: parse(b, "big.quota")?,
            score: parse(b, "big.score")?,
            build: parse(b, "big.build")?,
            beta: parse(b, "big.beta")?,
            internal: parse(b, "big.internal")?,
            canary: parse(b, "big.canary")?,
            debug: parse(b, "big.debug")?,
            synthetic: parse(b, "big.synthetic")?,
            tier: parse(b, "big.tier")?,
            channel: parse(b, "big.channel")?,
            fallback_tier: parse(b, "big.fallback_tier")?,
            source_channel: parse(b, "big.source_channel")?,
            support_tier: parse(b, "big.support_tier")?,
            tenant: get(b, "big.tenant")?.to_owned(),
            locale: get(b, "big.locale")?.to_owned(),
            client_version: get(b, "big.client_version")?.to_owned(),
            experiment: get(b, "big.experiment")?.to_owned(),
            route: get(b, "big.route")?.to_owned(),
            referrer: opt_string(b, "big.referrer"),
            campaign: opt_string(b, "big.campaign"),
            device: opt_string(b, "big.device"),
            flags: list(b, "big.flags")?,
            cohorts: list(b, "big.cohorts")?,
        })
    }

    pub fn read_floor(cx: &Context) -> Option<Self> {
        let b = cx.baggage();
        let s = |key: &str| b.get(key).map(|v| v.as_str());
        let l = |key: &str| -> Option<Vec<String>> {
            Some(s(key)?.split(',').map(str::to_owned).collect())
        };
        Some(Large {
            request_id: s("big.request_id")?.parse().ok()?,
            account_id: s("big.account_id")?.parse().ok()?,
            org_id: s("big.org_id")?.parse().ok()?,
            shard: s("big.shard")?.parse().ok()?,
            priority: s("big.priority")?.parse().ok()?,
            attempt: s("big.attempt")?.parse().ok()?,
            deadline_ms: s("big.deadline_ms")?.parse().ok()?,
            quota: s("big.quota")?.parse().ok()?,
            score: s("big.score")?.parse().ok()?,
            build: s("big.build")?.parse().ok()?,
            beta: s("big.beta")?.parse().ok()?,
            internal: s("big.internal")?.parse().ok()?,
            canary: s("big.canary")?.parse().ok()?,
            debug: s("big.debug")?.parse().ok()?,
            synthetic: s("big.synthetic")?.parse().ok()?,
            tier: s("big.tier")?.parse().ok()?,
            channel: s("big.channel")?.parse().ok()?,
            fallback_tier: s("big.fallback_tier")?.parse().ok()?,
            source_channel: s("big.source_channel")?.parse().ok()?,
            support_tier: s("big.support_tier")?.parse().ok()?,
            tenant: s("big.tenant")?.to_owned(),
            locale: s("big.locale")?.to_owned(),
            client_version: s("big.client_version")?.to_owned(),
            experiment: s("big.experiment")?.to_owned(),
            route: s("big.route")?.to_owned(),
            referrer: s("big.referrer").map(str::to_owned),
            campaign: s("big.campaign").map(str::to_owned),
            device: s("big.device").map(str::to_owned),
            flags: l("big.flags")?,
            cohorts: l("big.cohorts")?,
        })
    }
}

// ---------------------------------------------------------------------------
// Headers for the wire benchmarks
// ---------------------------------------------------------------------------

/// A `baggage` header of `n` list-members of the shape services send
/// (`app.key07=value-07-...`), each value `value_len` bytes of unreserved
/// characters, which both propagators write and read the same way.
pub fn header_of(n: usize, value_len: usize) -> String {
    let mut header = String::new();
    for i in 0..n {
        if i > 0 {
            header.push(',');
        }
        let prefix = format!("value-{i:02}-");
        let mut value = prefix.clone();
        while value.len() < value_len {
            value.push(char::from(b'a' + (value.len() % 26) as u8));
        }
        value.truncate(value_len.max(prefix.len()));
        header.push_str(&format!("app.key{i:02}={value}"));
    }
    header
}

/// The headers of the wire groups: 5 members as a service sends them, 64
/// short members (the W3C member limit), and 32 members making 8 KiB (just
/// under the W3C 8192-byte limit).
pub fn wire_headers() -> [(&'static str, String); 3] {
    let five = "app.user_id=12345678901,app.tier=premium,app.is_premium=true,\
                app.features=new_checkout%2Cdark_mode%2Cbeta_search,app.geo=us-west-2"
        .to_owned();
    let sixty_four = header_of(64, 16);
    // 32 members of `app.keyNN=` (10 bytes) and a 245-byte value, 31
    // commas: 8191 bytes.
    let eight_k = header_of(32, 245);
    assert_eq!(eight_k.len(), 8191);
    [
        ("5_members", five),
        ("64_members", sixty_four),
        ("8_KiB", eight_k),
    ]
}

/// The baggage a header carries (the same for both propagators: plain
/// values), for the inject benchmarks.
pub fn baggage_of(header: &str) -> OtelBaggage {
    header
        .split(',')
        .map(|member| {
            let (k, v) = member.split_once('=').expect("member has =");
            let v = v.replace("%2C", ",");
            KeyValue::new(k.to_owned(), v)
        })
        .collect()
}

impl HandEntries for Small {
    fn each_entry(&self, mut put: impl FnMut(&'static str, Option<StringValue>)) {
        put("app.user_id", Some(self.user_id.to_string().into()));
        put("app.is_premium", Some(self.is_premium.to_string().into()));
    }
}

impl HandEntries for UserCtx {
    fn each_entry(&self, mut put: impl FnMut(&'static str, Option<StringValue>)) {
        put("app.user_id", Some(self.user_id.to_string().into()));
        put("app.tier", Some(self.tier.as_str().into()));
        put("app.is_premium", Some(self.is_premium.to_string().into()));
        put("app.features", Some(self.features.join(",").into()));
        put("app.geo", self.region.clone().map(Into::into));
        put("app.retries", Some(self.retries.to_string().into()));
    }
}

impl CheckedEntries for UserCtx {
    fn each_checked_entry(&self, mut put: impl FnMut(&'static str, Option<StringValue>)) {
        put("app.user_id", Some(self.user_id.to_string().into()));
        put("app.tier", Some(self.tier.as_str().into()));
        put("app.is_premium", Some(self.is_premium.to_string().into()));
        put("app.features", Some(join_escaped(&self.features).into()));
        put("app.geo", self.region.clone().map(Into::into));
        put("app.retries", Some(self.retries.to_string().into()));
    }
}

impl HandEntries for Large {
    fn each_entry(&self, mut put: impl FnMut(&'static str, Option<StringValue>)) {
        put("big.request_id", Some(self.request_id.to_string().into()));
        put("big.account_id", Some(self.account_id.to_string().into()));
        put("big.org_id", Some(self.org_id.to_string().into()));
        put("big.shard", Some(self.shard.to_string().into()));
        put("big.priority", Some(self.priority.to_string().into()));
        put("big.attempt", Some(self.attempt.to_string().into()));
        put("big.deadline_ms", Some(self.deadline_ms.to_string().into()));
        put("big.quota", Some(self.quota.to_string().into()));
        put("big.score", Some(self.score.to_string().into()));
        put("big.build", Some(self.build.to_string().into()));
        put("big.beta", Some(self.beta.to_string().into()));
        put("big.internal", Some(self.internal.to_string().into()));
        put("big.canary", Some(self.canary.to_string().into()));
        put("big.debug", Some(self.debug.to_string().into()));
        put("big.synthetic", Some(self.synthetic.to_string().into()));
        put("big.tier", Some(self.tier.as_str().into()));
        put("big.channel", Some(self.channel.as_str().into()));
        put(
            "big.fallback_tier",
            Some(self.fallback_tier.as_str().into()),
        );
        put(
            "big.source_channel",
            Some(self.source_channel.as_str().into()),
        );
        put("big.support_tier", Some(self.support_tier.as_str().into()));
        put("big.tenant", Some(self.tenant.clone().into()));
        put("big.locale", Some(self.locale.clone().into()));
        put(
            "big.client_version",
            Some(self.client_version.clone().into()),
        );
        put("big.experiment", Some(self.experiment.clone().into()));
        put("big.route", Some(self.route.clone().into()));
        put("big.referrer", self.referrer.clone().map(Into::into));
        put("big.campaign", self.campaign.clone().map(Into::into));
        put("big.device", self.device.clone().map(Into::into));
        put("big.flags", Some(self.flags.join(",").into()));
        put("big.cohorts", Some(self.cohorts.join(",").into()));
    }
}
