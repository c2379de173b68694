//! Texts received on the wire, shared instead of copied.
//!
//! A service receives the same few baggage keys request after request (the
//! keys of its callers' schemas), and many of the same values (a tier, a
//! region, a flag). An OpenTelemetry [`Key`] or [`StringValue`] made from a
//! `String` is an allocation and a copy when the header is read, and a free
//! when the baggage is dropped, for every member of every request. The read
//! pipeline ([`crate::read`]) makes its keys and values here instead: each
//! thread keeps the last keys and the last values it made, as `Arc<str>`,
//! in two small tables, and a text that comes again is the same `Arc<str>`
//! with one more reference (the `RefCounted` form of [`Key`] and
//! [`StringValue`]: it hashes, compares and prints as the text it holds,
//! so no reader can tell the two apart).
//!
//! Keys and values have tables of their own, so that values that change on
//! every request (a user id) never evict the keys.
//!
//! Each table is bounded whatever the input: [`SLOTS`] slots (8 KiB), in
//! sets of two; a text of more than [`MAX_LEN`] bytes is never kept (it is
//! made as before); a new text takes the place of the older of the two in
//! its set. A thread keeps at most `2 × SLOTS × MAX_LEN` bytes of text
//! (32 KiB) and a decoding buffer of at most [`DECODED_KEPT`] bytes, and
//! only texts of well-formed members (the parser hands it well-formed
//! members only). Texts that an attacker makes to fall into one
//! set only evict each other: each then costs what a text costs without
//! the table, and one reference count.
//!
//! A value stays in its thread's table after its request is done, until a
//! newer value of its set takes its place: what a thread received last is
//! held in memory a little longer than its request, as a freed allocation
//! holds it until it is reused. The table holds received text only, never
//! a secret this service wrote.
//!
//! The set of a text is a hash of its length and of its first and last
//! eight bytes: keys of one schema share their prefix, not both ends.

use std::cell::Cell;
use std::sync::Arc;

use opentelemetry::{Key, StringValue};

use crate::wire::Member;

/// Sets of slots in a table.
const SETS: usize = 128;
/// Slots in a set: a text may be in either slot of its set, so that two
/// keys of one schema that fall into one set do not evict each other on
/// every request.
const WAYS: usize = 2;
/// Slots in a table.
const SLOTS: usize = SETS * WAYS;
/// The longest text (in bytes) a table keeps.
const MAX_LEN: usize = 64;

/// The texts of one kind (keys, or values) a thread made last.
struct Table {
    slots: [Slot; SLOTS],
}

/// A slot of a [`Table`]: a text, and the words of it that its set was
/// found from ([`Print`]), to tell most other texts apart without reading
/// the text.
struct Slot {
    print: Print,
    text: Option<Arc<str>>,
}

impl Table {
    const fn new() -> Self {
        Table {
            slots: [const {
                Slot {
                    print: Print { head: 0, tail: 0 },
                    text: None,
                }
            }; SLOTS],
        }
    }

    /// `text`, shared with the last text of the same bytes this table
    /// made when its set still holds it, else made and kept; `None` if it
    /// is too long to keep.
    #[inline(always)]
    fn shared(&mut self, text: &str) -> Option<Arc<str>> {
        if text.len() > MAX_LEN {
            return None;
        }
        let print = Print::of(text.as_bytes());
        let first = print.set(text.len()) * WAYS;
        let [newer, older] = self.slots.get_mut(first..first + WAYS)? else {
            return None;
        };
        for slot in [&*newer, &*older] {
            if let Some(kept) = &slot.text {
                // Up to 16 bytes, the length and the print are the text.
                if kept.len() == text.len()
                    && slot.print == print
                    && (text.len() <= 16 || **kept == *text)
                {
                    return Some(Arc::clone(kept));
                }
            }
        }
        // The newer text becomes the older, and the older one is let go.
        let made: Arc<str> = Arc::from(text);
        *older = std::mem::replace(
            newer,
            Slot {
                print,
                text: Some(Arc::clone(&made)),
            },
        );
        Some(made)
    }
}

/// The first and last eight bytes of a text (for a shorter text, its
/// bytes in one word, and 0): with its length, all of a text of up to 16
/// bytes, and what its set is found from.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Print {
    head: u64,
    tail: u64,
}

impl Print {
    #[inline(always)]
    fn of(text: &[u8]) -> Self {
        match (text.first_chunk::<8>(), text.last_chunk::<8>()) {
            (Some(head), Some(tail)) => Print {
                head: u64::from_le_bytes(*head),
                tail: u64::from_le_bytes(*tail),
            },
            _ => Print {
                head: text.iter().fold(0, |word, &b| (word << 8) | u64::from(b)),
                tail: 0,
            },
        }
    }

    /// The set (below [`SETS`]) of a text of this print and `len` bytes:
    /// the three mixed by one multiplication whose top bits are the set.
    #[inline(always)]
    fn set(self, len: usize) -> usize {
        let mixed = (self.head ^ self.tail.rotate_left(29) ^ len as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (mixed >> (64 - SETS.trailing_zeros())) as usize
    }
}

/// A thread's tables of the keys and the values it made last, and the
/// buffer its escaped values are decoded in.
pub(crate) struct Texts {
    keys: Table,
    values: Table,
    decoded: Vec<u8>,
}

/// The largest decoding buffer a thread keeps between reads (a larger one,
/// made for a long value, is let go after its read).
const DECODED_KEPT: usize = 1024;

thread_local! {
    /// Taken out while a read uses it, so that a read nested in another on
    /// the same thread (none is known, but a log subscriber could make one)
    /// gets tables of its own instead of a borrow error.
    static TEXTS: Cell<Option<Box<Texts>>> = const { Cell::new(None) };
}

/// Calls `f` with this thread's tables (made on the thread's first read;
/// new ones when the thread's storage is being torn down).
pub(crate) fn with_texts<R>(f: impl FnOnce(&mut Texts) -> R) -> R {
    let mut texts = TEXTS
        .try_with(Cell::take)
        .ok()
        .flatten()
        .unwrap_or_else(|| {
            Box::new(Texts {
                keys: Table::new(),
                values: Table::new(),
                decoded: Vec::new(),
            })
        });
    let made = f(&mut texts);
    // Fails only while the thread's storage is torn down: the tables are
    // then dropped here.
    let _ = TEXTS.try_with(|cell| cell.set(Some(texts)));
    made
}

impl Texts {
    /// The OpenTelemetry key of `text`: shared with the last key of the
    /// same text this thread made, when its set still holds it.
    #[inline]
    pub(crate) fn key(&mut self, text: &str) -> Key {
        match self.keys.shared(text) {
            Some(shared) => Key::from(shared),
            None => Key::from(text.to_owned()),
        }
    }

    /// The OpenTelemetry value of `text`, shared as [`Texts::key`] shares
    /// keys (in a table of its own).
    #[cfg(test)]
    fn value(&mut self, text: &str) -> StringValue {
        Self::value_from(&mut self.values, text)
    }

    /// The OpenTelemetry value of `member`, decoded in this thread's
    /// buffer (not in an allocation of its own), then shared in the
    /// values' table as [`Texts::key`] shares keys.
    #[inline]
    pub(crate) fn value_of(&mut self, member: &Member<'_>) -> StringValue {
        let value = Self::value_from(&mut self.values, &member.value_in(&mut self.decoded));
        if self.decoded.capacity() > DECODED_KEPT {
            self.decoded = Vec::new();
        }
        value
    }

    #[inline(always)]
    fn value_from(values: &mut Table, text: &str) -> StringValue {
        match values.shared(text) {
            Some(shared) => StringValue::from(shared),
            None => StringValue::from(text.to_owned()),
        }
    }
}

#[cfg(test)]
impl Table {
    /// The texts kept, slot by slot.
    fn texts(&self) -> impl Iterator<Item = &Arc<str>> {
        self.slots.iter().filter_map(|slot| slot.text.as_ref())
    }
}

/// The set of `text` (below [`SETS`]).
#[cfg(test)]
fn set_of(text: &[u8]) -> usize {
    Print::of(text).set(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Texts {
        Texts {
            keys: Table::new(),
            values: Table::new(),
            decoded: Vec::new(),
        }
    }

    /// The keys a thread's tables keep.
    fn kept(texts: &Texts) -> Vec<&str> {
        texts.keys.texts().map(|k| &**k).collect()
    }

    /// Keys of one set, found by trying names in turn.
    fn same_set(n: usize) -> Vec<String> {
        let set = set_of(b"key0");
        (0..)
            .map(|i| format!("key{i}"))
            .filter(|k| set_of(k.as_bytes()) == set)
            .take(n)
            .collect()
    }

    #[test]
    fn a_key_made_again_shares_the_kept_text() {
        let mut keys = table();
        let a = keys.key("app.user_id");
        let b = keys.key("app.user_id");
        assert_eq!((a.as_str(), b.as_str()), ("app.user_id", "app.user_id"));
        assert_eq!(kept(&keys), ["app.user_id"]);
        let shared = keys.keys.texts().next().unwrap();
        // the table's reference and one for each key made
        assert_eq!(Arc::strong_count(shared), 3);
        drop((a, b));
        assert_eq!(Arc::strong_count(shared), 1);
    }

    #[test]
    fn only_keys_up_to_max_len_are_kept() {
        let mut keys = table();
        let long = "k".repeat(MAX_LEN + 1);
        assert_eq!(keys.key(&long).as_str(), long);
        assert!(kept(&keys).is_empty());
        let longest = "k".repeat(MAX_LEN);
        assert_eq!(keys.key(&longest).as_str(), longest);
        assert_eq!(kept(&keys), [longest.as_str()]);
    }

    #[test]
    fn a_set_keeps_two_keys_and_a_third_lets_the_older_go() {
        let same = same_set(3);
        let (a, b, c) = (&same[0], &same[1], &same[2]);
        let mut keys = table();
        assert_eq!(keys.key(a).as_str(), a);
        assert_eq!(keys.key(b).as_str(), b);
        // either is found, and finding one moves nothing
        assert_eq!(keys.key(a).as_str(), a);
        assert_eq!(kept(&keys), [b.as_str(), a.as_str()]);
        // a third key of the set: `b` becomes the older, `a` is let go
        assert_eq!(keys.key(c).as_str(), c);
        assert_eq!(kept(&keys), [c.as_str(), b.as_str()]);
        // and `a` is made again, with its own text
        assert_eq!(keys.key(a).as_str(), a);
        assert_eq!(kept(&keys), [a.as_str(), c.as_str()]);
    }

    #[test]
    fn neighbouring_sets_keep_their_keys_apart() {
        // two keys in a set and two in the next: four keys, four slots
        let first = set_of(b"key0");
        let next: Vec<String> = (0..)
            .map(|i| format!("next{i}"))
            .filter(|k| set_of(k.as_bytes()) == (first + 1) % SETS)
            .take(2)
            .collect();
        let mut keys = table();
        let mut all = same_set(2);
        all.extend(next);
        for k in &all {
            assert_eq!(keys.key(k).as_str(), k);
        }
        let mut kept = kept(&keys);
        kept.sort_unstable();
        all.sort_unstable();
        assert_eq!(kept, all);
        // each is found again, shared with the table
        for k in &all {
            let key = keys.key(k);
            let shared = keys.keys.texts().find(|s| ***s == **k).unwrap();
            assert_eq!((key.as_str(), Arc::strong_count(shared)), (k.as_str(), 2));
        }
    }

    #[test]
    fn keys_made_to_collide_only_evict_each_other() {
        let mut keys = table();
        assert_eq!(keys.key("app.tier").as_str(), "app.tier");
        let before = set_of(b"app.tier");
        let hostile = same_set(1000);
        for k in &hostile {
            assert_eq!(keys.key(k).as_str(), k);
        }
        // the last two of them are kept, in their one set; the other key
        // keeps its place unless it is in the same set
        let last = [hostile[999].as_str(), hostile[998].as_str()];
        if before == set_of(b"key0") {
            assert_eq!(kept(&keys), last);
        } else {
            let mut all = kept(&keys);
            all.sort_unstable();
            let mut want = vec!["app.tier", last[0], last[1]];
            want.sort_unstable();
            assert_eq!(all, want);
        }
    }

    #[test]
    fn the_keys_of_one_schema_spread_over_the_sets() {
        // a long shared prefix; the names differ only at their end
        let long: Vec<usize> = (0..32)
            .map(|i| set_of(format!("com.example.checkout.field_{i:02}").as_bytes()))
            .collect();
        // keys shorter than a word: every byte counts
        let short: Vec<usize> = (0..32)
            .map(|i| set_of(format!("k{i}").as_bytes()))
            .collect();
        for sets in [long, short] {
            let mut distinct = sets.clone();
            distinct.sort_unstable();
            distinct.dedup();
            // 32 keys thrown at random into 128 sets land in about 28
            assert!(distinct.len() >= 24, "{sets:?}");
            // and no three share a set (each set keeps two)
            for s in &distinct {
                assert!(sets.iter().filter(|x| *x == s).count() <= 2, "{sets:?}");
            }
        }
    }

    #[test]
    fn a_nested_read_gets_a_table_of_its_own() {
        let (outer, inner) = with_texts(|outer| {
            let key = outer.key("outer.key");
            (key, with_texts(|inner| inner.key("inner.key")))
        });
        assert_eq!((outer.as_str(), inner.as_str()), ("outer.key", "inner.key"));
        // the thread keeps the outer read's table, put back last
        with_texts(|keys| assert_eq!(kept(keys), ["outer.key"]));
    }

    #[test]
    fn values_are_shared_in_a_table_of_their_own() {
        let mut texts = table();
        let key = texts.key("app.tier");
        let a = texts.value("premium");
        let b = texts.value("premium");
        assert_eq!((a.as_str(), b.as_str()), ("premium", "premium"));
        let shared = texts.values.texts().next().unwrap();
        assert_eq!(Arc::strong_count(shared), 3);
        // a value of the same text as a key is a text of the values' table
        assert_eq!(texts.value("app.tier").as_str(), "app.tier");
        let values = texts.values.texts().count();
        assert_eq!(values, 2);
        // values that change on every request never evict a key, even
        // those of the key's own set
        let set = set_of(b"app.tier");
        let same: Vec<String> = (0..)
            .map(|i| format!("user-{i}"))
            .filter(|v| set_of(v.as_bytes()) == set)
            .take(10)
            .collect();
        for v in &same {
            assert_eq!(texts.value(v).as_str(), v);
        }
        assert_eq!(kept(&texts), ["app.tier"]);
        let again = texts.key("app.tier");
        let kept_key = texts.keys.texts().next().unwrap();
        assert_eq!(
            (again.as_str(), Arc::strong_count(kept_key)),
            ("app.tier", 3)
        );
        drop((key, again));
        // a value longer than the bound is made, not kept
        let long = "v".repeat(MAX_LEN + 1);
        let before: Vec<String> = texts.values.texts().map(|v| v.to_string()).collect();
        assert_eq!(texts.value(&long).as_str(), long);
        let after: Vec<String> = texts.values.texts().map(|v| v.to_string()).collect();
        assert_eq!(before, after);
    }

    #[test]
    fn a_text_is_shared_only_with_the_same_bytes() {
        // For every length around the 8 and 16 bytes a print holds, a text
        // and the same text with one byte changed (at each place; to a NUL
        // too, which a decoded value may hold): those of up to 16 bytes
        // are told apart by their length and print, longer ones (whose
        // middle bytes the print leaves out: the same print, the same set)
        // by their bytes.
        let mut table = Table::new();
        for len in 1..=24 {
            let text = "a".repeat(len);
            for at in 0..len {
                for other in [b'b', 0] {
                    let mut changed = text.clone().into_bytes();
                    changed[at] = other;
                    let changed = String::from_utf8(changed).unwrap();
                    assert_eq!(&*table.shared(&text).unwrap(), text);
                    assert_eq!(&*table.shared(&changed).unwrap(), changed, "{len} {at}");
                    // and both are found again, each as itself, shared
                    // (not made again), however long
                    let first = table.shared(&text).unwrap();
                    assert!(Arc::ptr_eq(&first, &table.shared(&text).unwrap()), "{len}");
                    assert_eq!(&*first, text);
                    let second = table.shared(&changed).unwrap();
                    assert!(
                        Arc::ptr_eq(&second, &table.shared(&changed).unwrap()),
                        "{len}"
                    );
                    assert_eq!(&*second, changed);
                }
            }
        }
        // a shorter text is not a longer one with NULs in front
        let mut table = Table::new();
        assert_eq!(&*table.shared("a").unwrap(), "a");
        assert_eq!(&*table.shared("\0a").unwrap(), "\0a");
        assert_eq!(&*table.shared("\0\0a").unwrap(), "\0\0a");
        assert_eq!(&*table.shared("a").unwrap(), "a");
    }

    #[test]
    fn a_member_is_decoded_in_the_thread_buffer_and_its_value_shared() {
        let mut texts = table();
        let member = |text| crate::wire::parse_member(text, true).unwrap();
        for (raw, value) in [
            ("k=a%2Cb", "a,b"),
            ("k=a+b", "a b"),
            ("k=%FF%41", "\u{fffd}A"),
            ("k=plain", "plain"),
            ("k=a%2Cb", "a,b"),
        ] {
            assert_eq!(texts.value_of(&member(raw)).as_str(), value, "{raw}");
        }
        // the value decoded twice is one shared text
        let shared = texts.values.texts().find(|v| &***v == "a,b").unwrap();
        assert_eq!(Arc::strong_count(shared), 1);
        let again = texts.value_of(&member("k=a%2Cb"));
        let shared = texts.values.texts().find(|v| &***v == "a,b").unwrap();
        assert_eq!((again.as_str(), Arc::strong_count(shared)), ("a,b", 2));
        // a long escaped value is decoded whole, and the buffer it took is
        // not kept
        let long = format!("k={}", "%41".repeat(2 * DECODED_KEPT));
        assert_eq!(
            texts.value_of(&member(&long)).as_str(),
            "A".repeat(2 * DECODED_KEPT)
        );
        assert!(texts.decoded.capacity() <= DECODED_KEPT);
        // a buffer of the largest size kept is kept
        texts.decoded = Vec::with_capacity(DECODED_KEPT);
        assert_eq!(texts.value_of(&member("k=a%2Cb")).as_str(), "a,b");
        assert_eq!(texts.decoded.capacity(), DECODED_KEPT);
    }
}
