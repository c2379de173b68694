//! The read pipeline: every way in, one way through.
//!
//! ```text
//! carrier values (raw bytes)                 http::HeaderMap, an Extractor, &str values
//!   -> receive: size, measured once           limits::received_size, on the raw bytes
//!               list-members, bounded         by the `,`s; counted up to the 65th only
//!                                           past that bound, before any text is made
//!   -> Incoming: the values as text           lossy, only the values that hold a member
//!   -> members: one parser                    wire::each_list_member; malformed ones reported
//!   -> into_baggage   (context mode)          an OpenTelemetry Baggage, for from_context
//!      or typed::<T>  (direct mode)           only T's keys, for from_headers / read_typed
//!   -> decode::Lookup -> generated decode     the same decoder over either
//! ```
//!
//! Both modes see exactly the same members, in the same order, with the
//! same drops reported, and the last of duplicate keys wins in both; so
//! `T::from_headers(h)` and `T::from_context(&extract(h))` give the same
//! value or the same error for any bytes (a property the tests check over
//! arbitrary headers, and a fuzz target asserts).

use std::borrow::Cow;

use opentelemetry::baggage::{Baggage as OtelBaggage, BaggageMetadata};

use crate::decode::Lookup;
use crate::intern;
use crate::keys::DeclaredKeys;
use crate::limits::{received_size, surely_within_members, MAX_BYTES, MAX_MEMBERS};
use crate::metrics::Direction;
use crate::report::{MalformedMembers, Over, Reporter};
use crate::wire::{each_list_member, split_byte, Member};
use crate::{Baggage, Error};

/// Carrier values that passed the limits, as text: the values that hold at
/// least one list-member (at most [`MAX_MEMBERS`] of them), each borrowed
/// when it is UTF-8 and read lossily (a byte that is not UTF-8 as U+FFFD)
/// when it is not, so that the parser drops, counts and logs the members
/// it spoils.
pub(crate) struct Incoming<'h> {
    first: Option<Cow<'h, str>>,
    rest: Vec<Cow<'h, str>>,
    /// The raw size, as measured.
    size: usize,
}

/// One value of a carrier as the pipeline reads it: its raw bytes, which
/// the limits measure, and its text, which the parser reads.
pub(crate) trait CarrierValue<'h>: Copy {
    /// The bytes as they came.
    fn bytes(self) -> &'h [u8];
    /// The text, when it is at hand without a copy (a `&str`, a header
    /// value of visible ASCII).
    fn borrowed_text(self) -> Option<&'h str>;
    /// The text: borrowed when at hand, else the bytes read lossily (a
    /// byte that is not UTF-8 as U+FFFD).
    #[inline]
    fn text(self) -> Cow<'h, str> {
        match self.borrowed_text() {
            Some(text) => Cow::Borrowed(text),
            None => String::from_utf8_lossy(self.bytes()),
        }
    }
}

impl<'h> CarrierValue<'h> for &'h str {
    #[inline]
    fn bytes(self) -> &'h [u8] {
        self.as_bytes()
    }
    #[inline]
    fn borrowed_text(self) -> Option<&'h str> {
        Some(self)
    }
}

/// Raw bytes (a message header, an environment variable): the text is
/// borrowed when they are UTF-8, else read lossily by the pipeline, as an
/// HTTP header value with bytes that are not ASCII is.
impl<'h> CarrierValue<'h> for &'h [u8] {
    #[inline]
    fn bytes(self) -> &'h [u8] {
        self
    }
    #[inline]
    fn borrowed_text(self) -> Option<&'h str> {
        std::str::from_utf8(self).ok()
    }
}

/// Measures carrier values and checks them against the W3C limits: more
/// than [`MAX_BYTES`] bytes (their raw lengths added up) or more than
/// [`MAX_MEMBERS`] non-empty list-members, and they are rejected whole,
/// reported, and `None` returned; so is no value at all (nothing reported).
///
/// The size is known from the lengths alone, and members are counted up to
/// the first one too many, before any text is copied, so that hostile
/// values cost no more than reading 8 KiB of them, and nothing is kept of
/// values that hold no member.
pub(crate) fn receive<'h, V, I>(reporter: &Reporter, values: impl Fn() -> I) -> Option<Incoming<'h>>
where
    V: CarrierValue<'h>,
    I: Iterator<Item = V>,
{
    let first = values().next()?.bytes();
    let size = received_size(values().map(V::bytes));
    if size > MAX_BYTES {
        reporter.rejected(Over::Bytes, size, first);
        reporter.measured(Direction::Incoming, size, 0);
        return None;
    }
    let every_value = surely_within_members(values().map(V::bytes));
    if !every_value {
        let members = values().map(count_members).fold(0, usize::saturating_add);
        if members > MAX_MEMBERS {
            reporter.rejected(Over::Members, MAX_MEMBERS + 1, first);
            reporter.measured(Direction::Incoming, size, 0);
            return None;
        }
    }
    let mut incoming = Incoming {
        first: None,
        rest: Vec::new(),
        size,
    };
    // Within the members' bound, every non-empty value is kept (there are
    // at most 64); past it, only those with a member.
    let keep = |v: &V| !v.bytes().is_empty() && (every_value || holds_member(v.bytes()));
    for value in values().filter(keep) {
        let text = value.text();
        match incoming.first {
            None => incoming.first = Some(text),
            Some(_) => incoming.rest.push(text),
        }
    }
    Some(incoming)
}

/// The non-empty list-members of one value, counted up to
/// `MAX_MEMBERS + 1`: on its text where it is at hand (a search for `,`
/// that skips ahead over long members), else on its raw bytes (a byte that
/// is not UTF-8 is neither a `,` nor OWS, so the count is that of its
/// lossy text).
fn count_members<'h>(value: impl CarrierValue<'h>) -> usize {
    let non_empty = |m: &&[u8]| holds_member(m);
    match value.borrowed_text() {
        Some(text) => split_byte(text, b',')
            .map(str::as_bytes)
            .filter(non_empty)
            .take(MAX_MEMBERS + 1)
            .count(),
        None => value
            .bytes()
            .split(|&b| b == b',')
            .filter(non_empty)
            .take(MAX_MEMBERS + 1)
            .count(),
    }
}

/// `true` if `bytes` hold anything but separators and OWS: a list-member.
#[inline]
fn holds_member(bytes: &[u8]) -> bool {
    bytes.iter().any(|&b| !matches!(b, b',' | b' ' | b'\t'))
}

impl<'h> Incoming<'h> {
    /// The values' text, in order.
    #[cfg(test)]
    fn texts(&self) -> impl Iterator<Item = &str> {
        self.first.iter().chain(&self.rest).map(AsRef::as_ref)
    }

    /// Calls `each` with the well-formed list-members, in order; a
    /// malformed one is noted in `malformed` (reported once, as one
    /// summary, when the extraction is done) and skipped as it is met.
    /// (Plain loops: the same walk as an iterator chain of `flat_map` and
    /// `filter_map` cost a tenth of the parse in adapters.)
    fn each_member<'a>(
        &'a self,
        malformed: &MalformedMembers<'a>,
        plus_as_space: bool,
        mut each: impl FnMut(Member<'a>),
    ) {
        let mut read = |text: &'a str| {
            each_list_member(text, plus_as_space, |member| match member {
                Ok(m) => each(m),
                Err((why, member)) => malformed.note(why, member),
            });
        };
        if let Some(first) = &self.first {
            read(first);
        }
        for text in &self.rest {
            read(text);
        }
    }

    /// Context mode: the members as an OpenTelemetry baggage, `None` if
    /// none is well-formed.
    pub(crate) fn into_baggage(
        self,
        reporter: &Reporter,
        plus_as_space: bool,
    ) -> Option<OtelBaggage> {
        let mut baggage = OtelBaggage::new();
        let mut read = 0;
        let malformed = MalformedMembers::default();
        intern::with_texts(|texts| {
            self.each_member(&malformed, plus_as_space, |m| {
                read += 1;
                // Cannot fail: the key is a token, at most 64 members were
                // counted, and decoded text is never longer than the at most
                // 8192 raw bytes it came from.
                // Most members have no properties: an empty `BaggageMetadata`
                // without `From<&str>`'s trim and copy.
                let properties = if m.properties.is_empty() {
                    BaggageMetadata::default()
                } else {
                    BaggageMetadata::from(m.properties)
                };
                let value = texts.value_of(&m);
                baggage.insert_with_metadata(texts.key(m.key), value, properties);
            });
        });
        reporter.malformed(&malformed);
        reporter.measured(Direction::Incoming, self.size, read);
        (!baggage.is_empty()).then_some(baggage)
    }

    /// Direct mode: reads `T` from the members, copying only `T`'s values.
    /// A signed schema is verified over a baggage (context mode), with the
    /// key ring of the current context, as [`Baggage::from_baggage`] does.
    pub(crate) fn typed<T: Baggage>(
        self,
        reporter: &Reporter,
        plus_as_space: bool,
    ) -> Result<T, Error> {
        if T::SCHEMA.signature.is_some() {
            let baggage = self
                .into_baggage(reporter, plus_as_space)
                .unwrap_or_default();
            return T::from_baggage(&baggage);
        }
        // Room for one member per key: a key sent twice is the exception
        // (the last one counts).
        let mut ours = Vec::with_capacity(const { T::SCHEMA.key_count() });
        let mut read = 0;
        let malformed = MalformedMembers::default();
        self.each_member(&malformed, plus_as_space, |m| {
            read += 1;
            if T::SCHEMA.contains_key(m.key) {
                ours.push((m.key, m.value()));
            }
        });
        reporter.malformed(&malformed);
        reporter.measured(Direction::Incoming, self.size, read);
        T::__decode(&Members(ours), DeclaredKeys)
    }
}

/// Refuses to read a local schema (`#[baggage(local)]`) from a carrier:
/// its entries never travel, so a carrier holds only forgeries. Every typed
/// read from a carrier asks this first.
pub(crate) fn carried<T: Baggage>() -> Result<(), Error> {
    if T::SCHEMA.local {
        return Err(Error::Local {
            schema: T::SCHEMA.name,
        });
    }
    Ok(())
}

/// Reads `T` from carrier values that may be missing or over the limits:
/// the direct mode of the pipeline, with nothing read when
/// [`receive`] returns `None` (every key then missing).
pub(crate) fn typed_from<'h, T: Baggage, V: CarrierValue<'h>, I: Iterator<Item = V>>(
    reporter: &Reporter,
    plus_as_space: bool,
    values: impl Fn() -> I,
) -> Result<T, Error> {
    carried::<T>()?;
    match receive(reporter, values) {
        Some(incoming) => incoming.typed(reporter, plus_as_space),
        None if T::SCHEMA.signature.is_some() => T::from_baggage(&OtelBaggage::new()),
        None => T::__decode(&Members(Vec::new()), DeclaredKeys),
    }
}

/// The schema's well-formed members, `(key, decoded value)` in order.
struct Members<'h>(Vec<(&'h str, Cow<'h, str>)>);

impl Lookup for Members<'_> {
    /// The value of the last member with `key`: the one a baggage built
    /// from these members would keep.
    #[inline]
    fn lookup(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A carrier value with no text at hand.
    #[derive(Clone, Copy)]
    struct Raw<'a>(&'a [u8]);

    impl<'a> CarrierValue<'a> for Raw<'a> {
        fn bytes(self) -> &'a [u8] {
            self.0
        }
        fn borrowed_text(self) -> Option<&'a str> {
            None
        }
    }

    #[test]
    fn members_are_counted_on_text_or_raw_bytes_alike() {
        assert_eq!(count_members(""), 0);
        assert_eq!(count_members(" , ,\t"), 0);
        assert_eq!(count_members("a=1, b=2,,"), 2);
        assert_eq!(count_members(Raw(&[0xff, b',', 0xfe])), 2);
        assert_eq!(count_members(Raw(b" , ,\t")), 0);
        assert_eq!(count_members(Raw(b"a=1, b=2,,")), 2);
        assert_eq!(count_members(",a".repeat(100).as_str()), MAX_MEMBERS + 1);
        assert_eq!(
            count_members(Raw(",a".repeat(100).as_bytes())),
            MAX_MEMBERS + 1
        );
        assert_eq!(count_members(Raw(b"a,\xff,b")), 3);
    }

    #[test]
    fn exactly_the_member_limit_is_read_and_one_more_is_not() {
        let reporter = Reporter::default();
        // 64 and 65 members in headers long enough to be counted
        let members = |n: usize| {
            (0..n)
                .map(|i| format!("key{i:02}=value{i:02}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        let at = members(MAX_MEMBERS);
        assert!(at.len() > 128);
        assert!(receive(&reporter, || [at.as_str()].into_iter()).is_some());
        let over = members(MAX_MEMBERS + 1);
        assert!(receive(&reporter, || [over.as_str()].into_iter()).is_none());
        // the same over two values
        let (a, b) = over.split_at(over.len() / 2);
        let b = b.trim_start_matches(|c| c != ',');
        assert!(receive(&reporter, || [a, b].into_iter()).is_none());
        assert_eq!(reporter.counters().extract_headers_rejected(), 2);
    }

    #[test]
    fn values_without_members_are_not_kept() {
        let reporter = Reporter::default();
        let mut values: Vec<&str> = vec![","; 200];
        values.push("k=v");
        let incoming = receive(&reporter, || values.iter().copied()).unwrap();
        assert_eq!(incoming.texts().collect::<Vec<_>>(), ["k=v"]);
        assert!(incoming.rest.capacity() == 0);
        let few: [&str; 3] = ["a=1", "", " "];
        let incoming = receive(&reporter, || few.iter().copied()).unwrap();
        assert_eq!(incoming.texts().collect::<Vec<_>>(), ["a=1", " "]);
    }

    #[test]
    fn limits_are_measured_on_raw_bytes() {
        let reporter = Reporter::default();
        // 8192 raw bytes, most of them not UTF-8: within the limit, though
        // their lossy text is three times as long.
        let mut value = b"k=1,".to_vec();
        value.resize(MAX_BYTES, 0xff);
        assert!(receive(&reporter, || [Raw(&value)].into_iter()).is_some());
        value.push(b'x');
        assert!(receive(&reporter, || [Raw(&value)].into_iter()).is_none());
        assert!(receive(&reporter, std::iter::empty::<&str>).is_none());
        assert_eq!(reporter.counters().extract_headers_rejected(), 1);
    }

    #[test]
    fn raw_bytes_are_carrier_values_with_text_when_utf8() {
        assert_eq!(CarrierValue::borrowed_text(&b"a=1"[..]), Some("a=1"));
        assert_eq!(CarrierValue::borrowed_text(&[0xffu8][..]), None);
        assert_eq!(CarrierValue::text(&b"a=\xc3\xa9"[..]), "a=é");
        assert_eq!(CarrierValue::text(&b"a=\xff"[..]), "a=\u{fffd}");
    }

    use crate::test_schemas::Plain;

    #[test]
    fn the_direct_read_takes_the_schemas_members_only_and_the_last_of_each() {
        let reporter = Reporter::default();
        let header = "other=1, p.id=5, p.tag=a%20b, p.id=6";
        let plain: Plain = typed_from(&reporter, false, || [header].into_iter()).unwrap();
        assert_eq!(
            plain,
            Plain {
                id: 6,
                tag: Some("a b".into())
            }
        );
        // Nothing received: every key is missing.
        let err = typed_from::<Plain, &str, _>(&reporter, false, std::iter::empty).unwrap_err();
        assert_eq!(err.key(), Some("p.id"));
        // Values read as members but none of the schema's.
        let err =
            typed_from::<Plain, _, _>(&reporter, false, || ["q.id=1"].into_iter()).unwrap_err();
        assert_eq!(err.key(), Some("p.id"));
        // A plus is a plus, or a space when asked.
        let plus = "p.id=1,p.tag=a+b";
        let read: Plain = typed_from(&reporter, false, || [plus].into_iter()).unwrap();
        assert_eq!(read.tag.as_deref(), Some("a+b"));
        let read: Plain = typed_from(&reporter, true, || [plus].into_iter()).unwrap();
        assert_eq!(read.tag.as_deref(), Some("a b"));
    }

    /// Nothing received: a signed schema says its signature is missing,
    /// as a read of a context would, rather than naming a field.
    #[test]
    fn nothing_received_for_a_signed_schema_is_a_missing_signature() {
        use crate::test_schemas::Signed;
        let reporter = Reporter::default();
        match typed_from::<Signed, &str, _>(&reporter, false, std::iter::empty) {
            Err(Error::Signature {
                key,
                problem: crate::SignatureProblem::Missing,
                ..
            }) => assert_eq!(key, "s.sig"),
            other => panic!("expected a missing signature, got {other:?}"),
        }
    }

    #[test]
    fn the_context_read_keeps_every_member() {
        let reporter = Reporter::default();
        let header = "other=1;p=2, p.id=5, bad key=3";
        let incoming = receive(&reporter, || [header].into_iter()).unwrap();
        let baggage = incoming.into_baggage(&reporter, false).unwrap();
        assert_eq!(baggage.len(), 2);
        let (value, metadata) = baggage.get_with_metadata("other").unwrap();
        assert_eq!((value.as_str(), metadata.as_str()), ("1", "p=2"));
        let only_bad = receive(&reporter, || ["bad key=3"].into_iter()).unwrap();
        assert!(only_bad.into_baggage(&reporter, false).is_none());
    }

    #[test]
    fn a_local_schema_is_never_read_from_a_carrier() {
        use crate::test_schemas::Local;
        let reporter = Reporter::default();
        for header in ["l.id=1,l.tag=t", ""] {
            let err =
                typed_from::<Local, _, _>(&reporter, false, || [header].into_iter()).unwrap_err();
            assert_eq!(err, Error::Local { schema: "Local" });
        }
        let err = typed_from::<Local, &str, _>(&reporter, false, std::iter::empty).unwrap_err();
        assert_eq!(err, Error::Local { schema: "Local" });
    }
}
