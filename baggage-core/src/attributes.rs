//! Which baggage entries become telemetry attributes, and how: the one set
//! of rules behind every signal. The span and log processors (feature
//! `sdk`), the `tracing` formatter (feature `tracing`) and the labelled
//! metric instruments ([`crate::metrics::labelled`]) all take a
//! [`BaggageAttributes`]:
//!
//! - **Which keys.** The keys of the typed schemas added with
//!   [`schema`](BaggageAttributes::schema), and the keys a predicate
//!   accepts ([`keys`](BaggageAttributes::keys),
//!   [`all_keys`](BaggageAttributes::all_keys)). Nothing else: with neither,
//!   nothing is copied. (The OpenTelemetry contrib processors of Java, JS,
//!   Python, .NET and Go take a key predicate too, and have no default.)
//! - **Local schemas.** The keys of a local schema (`#[baggage(local)]`)
//!   are read from the context's local entries
//!   ([`local_baggage`](crate::BaggageContextExt::local_baggage)),
//!   never from its baggage: a client cannot send a value that passes for
//!   one. The predicate applies to the baggage only.
//! - **Typed values.** A key of a schema becomes an attribute of its field's
//!   natural type, as [`Baggage::key_values`] gives it: integers that fit as
//!   `i64`, floats as `f64`, `bool` as `bool`, vectors as string arrays,
//!   everything else as a string. Every other key accepted by the predicate
//!   is a string attribute, its value as it is in the baggage.
//! - **Signed schemas.** The keys of a signed schema
//!   (`#[baggage(signed)]`) are copied only when its signature verifies
//!   over the baggage, with the key ring of the context (or the installed
//!   one), as [`Baggage::from_context`] reads it: a client's forged or
//!   altered values never reach a span, a log line or a metric label. The
//!   values of a schema whose signature does not verify are counted as
//!   invalid (below) and the failure is logged once per schema.
//! - **A value that does not decode** as its field's type (`app.user_id=abc`
//!   where the field is a `u64`) is not copied: a typed attribute never
//!   changes its type from one span to the next, which would break the
//!   queries and columns of most backends. It is counted
//!   ([`invalid_values`](BaggageAttributes::invalid_values), and the metric
//!   `baggage.attributes.invalid` of [`crate::metrics`]) and logged once
//!   per key, at `warn` under the target `typed_baggage`. (`tracing` drops
//!   an event raised while a scoped subscriber is busy, as when a processor
//!   runs inside `tracing-opentelemetry` under `tracing::subscriber::with_default`;
//!   the warning then waits for a value seen outside such a call. With a
//!   global subscriber it goes through.)
//! - **Names.** The attribute is named as the baggage key, after an
//!   optional [`prefix`](BaggageAttributes::prefix) (`baggage.` makes
//!   `app.user_id` the attribute `baggage.app.user_id`).
//! - **Length cap.** [`max_value_len`](BaggageAttributes::max_value_len)
//!   cuts every string value (and each string of an array) to at most that
//!   many characters, on a character boundary, as the OpenTelemetry
//!   specification's attribute value length limit does. No cap by default:
//!   the W3C limit of 8192 bytes for all of the baggage bounds it already.
//!
//! Attributes come in the order of their names, so the same baggage always
//! makes the same attributes.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use opentelemetry::baggage::{Baggage as OtelBaggage, BaggageExt};
use opentelemetry::{Array, Context, Key, KeyValue, StringValue, Value};

use crate::decode::AttributeFn;
use crate::keys::Remap;
use crate::metrics::BaggageMetrics;
use crate::schema::Signature;
use crate::{signature, Baggage, BaggageContextExt, Schema};

type KeyPredicate = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// A signed schema whose keys are copied only when its signature verifies.
#[derive(Clone)]
struct SignedSchema {
    schema: &'static Schema,
    signature: Signature,
    /// Set once a signature of this schema that did not verify is logged.
    logged: Arc<AtomicBool>,
}

/// One key of a typed schema.
#[derive(Clone)]
struct TypedKey {
    key: Cow<'static, str>,
    /// The attribute name, prefix included: made once, cloned cheaply.
    name: Key,
    schema: &'static str,
    field: &'static str,
    expected: &'static str,
    /// A key of a local schema: read from the local entries only.
    local: bool,
    /// A key of a signed schema: its index in `BaggageAttributes::signed`.
    signed: Option<usize>,
    decode: Option<AttributeFn>,
    /// Set once the first invalid value of this key has been logged.
    logged: Arc<AtomicBool>,
}

/// Which baggage entries become attributes, named and cut how; shared by
/// the span and log processors (`sdk`), the `tracing` formatter and the
/// labelled instruments. See the [module
/// documentation](self) for the rules.
///
/// Cheap to clone: clones share their [`invalid_values`](Self::invalid_values) counter.
///
/// ```
/// use opentelemetry::baggage::Baggage;
/// use opentelemetry::{Array, KeyValue, Value};
/// use typed_baggage::prelude::*;
/// use typed_baggage::sdk::BaggageAttributes;
///
/// #[derive(Baggage)]
/// #[baggage(prefix = "app.")]
/// struct UserCtx { user_id: u64, features: Vec<String> }
///
/// let rules = BaggageAttributes::new()
///     .schema::<UserCtx>()
///     .keys(|key| key.starts_with("ff."));
///
/// let mut baggage = Baggage::new();
/// baggage.insert("app.user_id", "42");
/// baggage.insert("app.features", "dark,beta");
/// baggage.insert("ff.checkout", "v2");
/// baggage.insert("session", "s-1");
/// assert_eq!(rules.attributes(&baggage), [
///     KeyValue::new("app.features", Value::Array(Array::String(vec!["dark".into(), "beta".into()]))),
///     KeyValue::new("app.user_id", 42i64),
///     KeyValue::new("ff.checkout", "v2"),
/// ]);
/// ```
#[derive(Clone)]
#[must_use]
pub struct BaggageAttributes {
    typed: Arc<HashMap<Cow<'static, str>, TypedKey>>,
    signed: Arc<Vec<SignedSchema>>,
    schemas: Vec<&'static str>,
    predicate: Option<KeyPredicate>,
    prefix: Option<Arc<str>>,
    max_value_len: Option<usize>,
    invalid: Arc<AtomicU64>,
    metrics: Arc<OnceLock<BaggageMetrics>>,
}

impl Default for BaggageAttributes {
    fn default() -> Self {
        BaggageAttributes::new()
    }
}

impl fmt::Debug for BaggageAttributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BaggageAttributes")
            .field("schemas", &self.schemas)
            .field("key_predicate", &self.predicate.is_some())
            .field("prefix", &self.prefix)
            .field("max_value_len", &self.max_value_len)
            .field("invalid_values", &self.invalid_values())
            .finish()
    }
}

impl BaggageAttributes {
    /// Copies nothing until keys are chosen with [`schema`](Self::schema),
    /// [`keys`](Self::keys) or [`all_keys`](Self::all_keys); no prefix, no
    /// length cap.
    ///
    /// ```
    /// use opentelemetry::baggage::Baggage;
    /// use typed_baggage::sdk::BaggageAttributes;
    ///
    /// let baggage: Baggage = [opentelemetry::KeyValue::new("k", "v")].into_iter().collect();
    /// assert!(BaggageAttributes::new().attributes(&baggage).is_empty());
    /// ```
    pub fn new() -> Self {
        BaggageAttributes {
            typed: Arc::new(HashMap::new()),
            signed: Arc::new(Vec::new()),
            schemas: Vec::new(),
            predicate: None,
            prefix: None,
            max_value_len: None,
            invalid: Arc::new(AtomicU64::new(0)),
            metrics: Arc::new(OnceLock::new()),
        }
    }

    /// Copies every key of the schema `T`, each as a typed attribute of its
    /// field's type. Call it once per schema; a key two schemas share is
    /// read as the type of the schema added first.
    ///
    /// ```
    /// use opentelemetry::baggage::Baggage;
    /// use opentelemetry::KeyValue;
    /// use typed_baggage::prelude::*;
    /// use typed_baggage::sdk::BaggageAttributes;
    ///
    /// #[derive(Baggage)]
    /// struct Flags { new_checkout: bool, sample_rate: f64 }
    ///
    /// let mut baggage = Baggage::new();
    /// baggage.insert("new_checkout", "TRUE");
    /// baggage.insert("sample_rate", "0.25");
    /// baggage.insert("other", "not copied");
    /// assert_eq!(BaggageAttributes::new().schema::<Flags>().attributes(&baggage), [
    ///     KeyValue::new("new_checkout", true),
    ///     KeyValue::new("sample_rate", 0.25),
    /// ]);
    /// ```
    pub fn schema<T: Baggage>(self) -> Self {
        self.schema_keys::<T>(|_| true)
    }

    /// Copies the keys of the schema `T` whose field `wanted` accepts.
    pub(crate) fn schema_keys<T: Baggage>(
        mut self,
        wanted: impl Fn(&crate::schema::FieldSchema) -> bool,
    ) -> Self {
        let schema = T::SCHEMA;
        let mut readers = Vec::with_capacity(schema.key_count());
        T::__attributes(&mut readers, Remap::NONE);
        let resolved = schema.resolved();
        let signed = schema.signature.map(|signature| {
            let all = Arc::make_mut(&mut self.signed);
            all.push(SignedSchema {
                schema: const { &T::SCHEMA },
                signature,
                logged: Arc::new(AtomicBool::new(false)),
            });
            all.len() - 1
        });
        let typed = Arc::make_mut(&mut self.typed);
        for (key, decode) in readers {
            // The description of the field: a generated schema describes
            // every key it reads.
            let Some(field) = resolved.iter().find(|r| r.key == key) else {
                continue;
            };
            if !wanted(field.field) {
                continue;
            }
            let name = attribute_name(self.prefix.as_deref(), &key);
            typed.entry(key.clone()).or_insert_with(|| TypedKey {
                key,
                name,
                schema: field.schema,
                field: field.field.field,
                expected: field.field.format,
                local: schema.local,
                signed,
                decode: Some(decode),
                logged: Arc::new(AtomicBool::new(false)),
            });
        }
        self.schemas.push(schema.name);
        self
    }

    /// Also copies, as string attributes, the keys that `predicate` accepts
    /// (a key of a schema added with [`schema`](Self::schema) stays typed).
    /// Replaces an earlier predicate.
    ///
    /// ```
    /// use opentelemetry::baggage::Baggage;
    /// use opentelemetry::KeyValue;
    /// use typed_baggage::sdk::BaggageAttributes;
    ///
    /// let rules = BaggageAttributes::new().keys(|key| key.starts_with("app."));
    /// let baggage: Baggage = [KeyValue::new("app.region", "eu"), KeyValue::new("session", "s")]
    ///     .into_iter()
    ///     .collect();
    /// assert_eq!(rules.attributes(&baggage), [KeyValue::new("app.region", "eu")]);
    /// ```
    pub fn keys(mut self, predicate: impl Fn(&str) -> bool + Send + Sync + 'static) -> Self {
        self.predicate = Some(Arc::new(predicate));
        self
    }

    /// Also copies every other key, as a string attribute. Only where
    /// everything in the baggage may be seen by whoever reads the telemetry.
    ///
    /// ```
    /// use opentelemetry::baggage::Baggage;
    /// use opentelemetry::KeyValue;
    /// use typed_baggage::sdk::BaggageAttributes;
    ///
    /// let baggage: Baggage = [KeyValue::new("b", "2"), KeyValue::new("a", "1")].into_iter().collect();
    /// assert_eq!(
    ///     BaggageAttributes::new().all_keys().attributes(&baggage),
    ///     [KeyValue::new("a", "1"), KeyValue::new("b", "2")],
    /// );
    /// ```
    pub fn all_keys(self) -> Self {
        self.keys(|_| true)
    }

    /// Names each attribute `prefix` + the baggage key (for example
    /// `baggage.`), so that baggage never takes the name of an attribute the
    /// code sets itself.
    ///
    /// ```
    /// use opentelemetry::baggage::Baggage;
    /// use opentelemetry::KeyValue;
    /// use typed_baggage::sdk::BaggageAttributes;
    ///
    /// let baggage: Baggage = [KeyValue::new("app.region", "eu")].into_iter().collect();
    /// let rules = BaggageAttributes::new().all_keys().prefix("baggage.");
    /// assert_eq!(rules.attributes(&baggage), [KeyValue::new("baggage.app.region", "eu")]);
    /// ```
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        let prefix: String = prefix.into();
        self.prefix = (!prefix.is_empty()).then(|| Arc::from(prefix));
        if !self.typed.is_empty() {
            for typed in Arc::make_mut(&mut self.typed).values_mut() {
                typed.name = attribute_name(self.prefix.as_deref(), &typed.key);
            }
        }
        self
    }

    /// Cuts every string value, and every string of an array, to at most
    /// `chars` characters (Unicode scalar values, as the OpenTelemetry
    /// attribute value length limit counts them), never inside a character.
    /// Numbers and booleans are never cut.
    ///
    /// ```
    /// use opentelemetry::baggage::Baggage;
    /// use opentelemetry::KeyValue;
    /// use typed_baggage::sdk::BaggageAttributes;
    ///
    /// let baggage: Baggage = [KeyValue::new("note", "héllo wörld")].into_iter().collect();
    /// let rules = BaggageAttributes::new().all_keys().max_value_len(5);
    /// assert_eq!(rules.attributes(&baggage), [KeyValue::new("note", "héllo")]);
    /// ```
    pub fn max_value_len(mut self, chars: usize) -> Self {
        self.max_value_len = Some(chars);
        self
    }

    /// Counts the values left out into the `baggage.attributes.invalid`
    /// counter of these instruments, instead of instruments made from the
    /// global meter provider when the first value is left out.
    ///
    /// ```
    /// use opentelemetry::metrics::MeterProvider;
    /// use opentelemetry_sdk::metrics::SdkMeterProvider;
    /// use typed_baggage::metrics::{BaggageMetrics, METER_NAME};
    /// use typed_baggage::sdk::BaggageAttributes;
    ///
    /// let provider = SdkMeterProvider::builder().build();
    /// let rules = BaggageAttributes::new()
    ///     .all_keys()
    ///     .metrics(BaggageMetrics::new(&provider.meter(METER_NAME)));
    /// # let _ = rules;
    /// ```
    pub fn metrics(mut self, metrics: BaggageMetrics) -> Self {
        self.metrics = Arc::new(OnceLock::from(metrics));
        self
    }

    /// How many values of schema keys were not copied because they did not
    /// decode as their field's type, since these rules were made (shared by
    /// clones, and so by the processors made from them).
    ///
    /// ```
    /// use opentelemetry::baggage::Baggage;
    /// use typed_baggage::prelude::*;
    /// use typed_baggage::sdk::BaggageAttributes;
    ///
    /// #[derive(Baggage)]
    /// struct UserCtx { user_id: u64 }
    ///
    /// let rules = BaggageAttributes::new().schema::<UserCtx>();
    /// let baggage: Baggage = [opentelemetry::KeyValue::new("user_id", "abc")].into_iter().collect();
    /// assert!(rules.attributes(&baggage).is_empty());
    /// assert_eq!(rules.invalid_values(), 1);
    /// ```
    pub fn invalid_values(&self) -> u64 {
        self.invalid.load(Ordering::Relaxed)
    }

    /// The attributes these rules make of `baggage`, in the order of their
    /// names. (Keys of local schemas are never read from a baggage: see
    /// [`context_attributes`](Self::context_attributes).)
    pub fn attributes(&self, baggage: &OtelBaggage) -> Vec<KeyValue> {
        let mut invalid = Vec::new();
        let attributes =
            self.collect_from(baggage, &OtelBaggage::new(), None, |_| false, &mut invalid);
        self.report(invalid);
        attributes
    }

    /// The attributes these rules make of a context: of its baggage, and of
    /// its local entries for the keys of local schemas, in the order of
    /// their names.
    ///
    /// ```
    /// use opentelemetry::{baggage::BaggageExt, Context, KeyValue};
    /// use typed_baggage::prelude::*;
    /// use typed_baggage::attributes::BaggageAttributes;
    ///
    /// #[derive(Baggage)]
    /// #[baggage(prefix = "route.", local)]
    /// struct RouteCtx { name: String }
    ///
    /// // A client's forged `route.name` in the baggage is not the local one.
    /// let cx = Context::new().with_baggage([KeyValue::new("route.name", "forged")]);
    /// let rules = BaggageAttributes::new().schema::<RouteCtx>();
    /// assert!(rules.context_attributes(&cx).is_empty());
    ///
    /// let cx = cx.with_typed(&RouteCtx { name: "checkout".into() })?;
    /// assert_eq!(rules.context_attributes(&cx), [KeyValue::new("route.name", "checkout")]);
    /// # Ok::<(), typed_baggage::Error>(())
    /// ```
    pub fn context_attributes(&self, cx: &Context) -> Vec<KeyValue> {
        let mut invalid = Vec::new();
        let attributes = self.collect(cx, |_| false, &mut invalid);
        self.report(invalid);
        attributes
    }

    /// Whether these rules copy nothing at all.
    pub(crate) fn is_empty(&self) -> bool {
        self.typed.is_empty() && self.predicate.is_none()
    }

    /// The attributes of a context (its baggage and its local entries),
    /// leaving out names `taken` says are taken. Values that did not decode
    /// go to `invalid`, to be reported once the caller no longer borrows
    /// the context.
    pub(crate) fn collect(
        &self,
        cx: &Context,
        taken: impl FnMut(&str) -> bool,
        invalid: &mut Vec<Invalid>,
    ) -> Vec<KeyValue> {
        self.collect_from(cx.baggage(), cx.local_baggage(), Some(cx), taken, invalid)
    }

    /// [`collect`](Self::collect) over a baggage and local entries given
    /// apart; signatures are verified with the key ring of `cx`, or of the
    /// current context when there is none.
    fn collect_from(
        &self,
        baggage: &OtelBaggage,
        local: &OtelBaggage,
        cx: Option<&Context>,
        mut taken: impl FnMut(&str) -> bool,
        invalid: &mut Vec<Invalid>,
    ) -> Vec<KeyValue> {
        if (baggage.is_empty() && local.is_empty()) || self.is_empty() {
            return Vec::new();
        }
        // Whether each signed schema's signature verifies: checked when the
        // first of its keys is met, once per collection.
        let mut verified: Vec<Option<bool>> = vec![None; self.signed.len()];
        let mut out: Vec<KeyValue> = Vec::new();
        let entries = baggage
            .iter()
            .map(|entry| (false, entry))
            .chain(local.iter().map(|entry| (true, entry)));
        for (in_local, (key, (value, _))) in entries {
            let key_str = key.as_str();
            let typed = self.typed.get(key_str);
            // A local schema's key counts only in the local entries, and the
            // local entries hold nothing else to copy.
            let wanted = match typed {
                Some(typed) => typed.local == in_local,
                None => !in_local,
            };
            if !wanted {
                continue;
            }
            if let Some((of_signed, i)) = typed.and_then(|t| Some((t, t.signed?))) {
                let genuine = verified.get_mut(i).is_some_and(|slot| {
                    *slot.get_or_insert_with(|| self.verify(i, baggage, cx, invalid))
                });
                if !genuine {
                    self.count_invalid(of_signed.key.clone());
                    continue;
                }
            }
            let (name, attribute) = match typed {
                Some(typed) => match typed.decode {
                    Some(decode) => match decode(value.as_str()) {
                        Ok(v) => (typed.name.clone(), v),
                        Err(e) => {
                            self.count_invalid(typed.key.clone());
                            if !typed.logged.load(Ordering::Relaxed) {
                                invalid.push(Invalid {
                                    key: typed.key.clone(),
                                    schema: typed.schema,
                                    problem: Problem::Decode {
                                        field: typed.field,
                                        expected: typed.expected,
                                    },
                                    error: e.to_string(),
                                    logged: Arc::clone(&typed.logged),
                                });
                            }
                            continue;
                        }
                    },
                    None => (typed.name.clone(), Value::String(value.clone())),
                },
                None => match &self.predicate {
                    Some(accepts) if accepts(key_str) => {
                        let name = match &self.prefix {
                            Some(prefix) => Key::from(format!("{prefix}{key_str}")),
                            None => key.clone(),
                        };
                        (name, Value::String(value.clone()))
                    }
                    _ => continue,
                },
            };
            if taken(name.as_str()) {
                continue;
            }
            let attribute = match self.max_value_len {
                Some(max) => cap(attribute, max),
                None => attribute,
            };
            out.push(KeyValue::new(name, attribute));
        }
        out.sort_unstable_by(|a, b| a.key.as_str().cmp(b.key.as_str()));
        out
    }

    /// Counts one value of `key` left out of telemetry, here and in the
    /// metrics.
    fn count_invalid(&self, key: Cow<'static, str>) {
        let _ = self.invalid.fetch_add(1, Ordering::Relaxed);
        self.metrics
            .get_or_init(BaggageMetrics::global)
            .invalid(key);
    }

    /// Whether the signature of the `i`th signed schema verifies over
    /// `baggage`; a failure goes to `invalid` until it is logged.
    fn verify(
        &self,
        i: usize,
        baggage: &OtelBaggage,
        cx: Option<&Context>,
        invalid: &mut Vec<Invalid>,
    ) -> bool {
        let Some(signed) = self.signed.get(i) else {
            return false;
        };
        let verify = |cx: &Context| signature::verify(signed.schema, signed.signature, cx, baggage);
        let checked = match cx {
            Some(cx) => verify(cx),
            None => Context::map_current(verify),
        };
        match checked {
            Ok(()) => true,
            Err(e) => {
                if !signed.logged.load(Ordering::Relaxed) {
                    invalid.push(Invalid {
                        key: Cow::Borrowed(signed.signature.key),
                        schema: signed.schema.name,
                        problem: Problem::Signature,
                        error: e.to_string(),
                        logged: Arc::clone(&signed.logged),
                    });
                }
                false
            }
        }
    }

    /// Logs each key's first invalid value, once somebody listens.
    #[cold]
    pub(crate) fn report(&self, invalid: Vec<Invalid>) {
        // `NoSubscriber` here is either no subscriber at all, or `tracing`
        // refusing an event raised inside a busy scoped subscriber: keep
        // the line for a later value then.
        let listening =
            tracing::dispatcher::get_default(|d| !d.is::<tracing::subscriber::NoSubscriber>());
        if !listening {
            return;
        }
        for i in invalid {
            // Marked before logging: the line may come back to a processor
            // through a tracing-to-OpenTelemetry bridge, and must not log
            // again.
            if i.logged.swap(true, Ordering::Relaxed) {
                continue;
            }
            match i.problem {
                Problem::Decode { field, expected } => tracing::warn!(
                    target: crate::report::LOG_TARGET,
                    key = &*i.key,
                    schema = i.schema,
                    field,
                    expected,
                    error = %i.error,
                    "baggage value not copied to telemetry: it does not decode as its field's type (logged once per key; counted every time)"
                ),
                Problem::Signature => tracing::warn!(
                    target: crate::report::LOG_TARGET,
                    signature_key = &*i.key,
                    schema = i.schema,
                    error = %i.error,
                    "baggage values of a signed schema not copied to telemetry: its signature does not verify (logged once per schema; each value counted as invalid)"
                ),
            }
        }
    }
}

/// The attribute name of a schema key.
#[allow(clippy::ptr_arg)] // a borrowed static key stays a static `Key`, without a copy
fn attribute_name(prefix: Option<&str>, key: &Cow<'static, str>) -> Key {
    match (prefix, key) {
        (Some(prefix), _) => Key::from(Arc::<str>::from(format!("{prefix}{key}"))),
        (None, Cow::Borrowed(key)) => Key::from_static_str(key),
        (None, Cow::Owned(key)) => Key::from(Arc::<str>::from(key.as_str())),
    }
}

/// A value that was not copied, to log after the context is released.
pub(crate) struct Invalid {
    /// The value's key, or the signature's.
    key: Cow<'static, str>,
    schema: &'static str,
    problem: Problem,
    error: String,
    logged: Arc<AtomicBool>,
}

/// Why a value was not copied.
enum Problem {
    /// It does not decode as its field's type.
    Decode {
        field: &'static str,
        expected: &'static str,
    },
    /// Its schema's signature does not verify.
    Signature,
}

/// Cuts strings to `max` characters.
fn cap(value: Value, max: usize) -> Value {
    match value {
        Value::String(s) => Value::String(cap_str(s, max)),
        Value::Array(Array::String(items)) => Value::Array(Array::String(
            items.into_iter().map(|s| cap_str(s, max)).collect(),
        )),
        other => other,
    }
}

fn cap_str(s: StringValue, max: usize) -> StringValue {
    match s.as_str().char_indices().nth(max) {
        Some((end, _)) => StringValue::from(s.as_str().get(..end).unwrap_or_default().to_owned()),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_cuts_on_char_boundaries() {
        let s = |v: &str| StringValue::from(v.to_owned());
        assert_eq!(cap_str(s("ééé"), 2).as_str(), "éé");
        assert_eq!(cap_str(s("ab"), 2).as_str(), "ab");
        assert_eq!(cap_str(s("ab"), 0).as_str(), "");
        assert_eq!(cap_str(s("👍🏽x"), 1).as_str(), "👍");
        assert_eq!(cap(Value::I64(123456), 2), Value::I64(123456));
        assert_eq!(
            cap(Value::Array(Array::String(vec![s("abc"), s("d")])), 2),
            Value::Array(Array::String(vec![s("ab"), s("d")]))
        );
    }
}
