//! Keys received on the wire, shared instead of copied.
//!
//! A service receives the same few baggage keys request after request: the
//! keys of its callers' schemas. An OpenTelemetry [`Key`] made from a
//! `String` is an allocation and a copy when the header is read, and a free
//! when the baggage is dropped, for every member of every request. The read
//! pipeline ([`crate::read`]) makes its keys here instead: each thread keeps
//! the last keys it made, as `Arc<str>`, in a small table, and a key that
//! comes again is the same `Arc<str>` with one more reference
//! ([`Key`]'s `RefCounted` form: it hashes, compares and prints as the
//! text it holds, so no reader can tell the two apart).
//!
//! The table is bounded whatever the input: [`SLOTS`] slots a thread, in
//! sets of two; a key of more than [`MAX_LEN`] bytes is never kept (it is
//! made as before); a new key takes the place of the older of the two in
//! its set. A thread keeps at most `SLOTS × MAX_LEN` bytes of keys, and
//! only keys that passed the key grammar (the parser hands it well-formed
//! members only). Keys that an attacker makes to fall into one set only
//! evict each other: each then costs what a key costs without the table,
//! and one reference count.
//!
//! The set of a key is a hash of its length and of its first and last
//! eight bytes: keys of one schema share their prefix, not both ends.

use std::cell::Cell;
use std::sync::Arc;

use opentelemetry::Key;

/// Sets of slots in a thread's table.
const SETS: usize = 128;
/// Slots in a set: a key may be in either slot of its set, so that two
/// keys of one schema that fall into one set do not evict each other on
/// every request.
const WAYS: usize = 2;
/// Slots in a thread's table.
const SLOTS: usize = SETS * WAYS;
/// The longest key (in bytes) the table keeps.
const MAX_LEN: usize = 64;

/// A thread's table of the keys it made last.
pub(crate) struct Keys {
    slots: [Option<Arc<str>>; SLOTS],
}

thread_local! {
    /// Taken out while a read uses it, so that a read nested in another on
    /// the same thread (none is known, but a log subscriber could make one)
    /// gets a table of its own instead of a borrow error.
    static KEYS: Cell<Option<Box<Keys>>> = const { Cell::new(None) };
}

/// Calls `f` with this thread's table of keys (made on the thread's first
/// read; a new one when the thread's storage is being torn down).
pub(crate) fn with_keys<R>(f: impl FnOnce(&mut Keys) -> R) -> R {
    let mut keys = KEYS.try_with(Cell::take).ok().flatten().unwrap_or_else(|| {
        Box::new(Keys {
            slots: [const { None }; SLOTS],
        })
    });
    let made = f(&mut keys);
    // Fails only while the thread's storage is torn down: the table is
    // then dropped here.
    let _ = KEYS.try_with(|cell| cell.set(Some(keys)));
    made
}

impl Keys {
    /// The OpenTelemetry key of `text`: shared with the last key of the
    /// same text this thread made, when its set still holds it.
    #[inline]
    pub(crate) fn key(&mut self, text: &str) -> Key {
        let set = if text.len() <= MAX_LEN {
            let first = set_of(text.as_bytes()) * WAYS;
            self.slots.get_mut(first..first + WAYS)
        } else {
            None
        };
        let Some([newer, older]) = set else {
            return Key::from(text.to_owned());
        };
        for kept in [&*newer, &*older].into_iter().flatten() {
            if **kept == *text {
                return Key::from(Arc::clone(kept));
            }
        }
        // The newer key becomes the older, and the older one is let go.
        let made: Arc<str> = Arc::from(text);
        *older = newer.replace(Arc::clone(&made));
        Key::from(made)
    }
}

/// The set of a key (below [`SETS`]): its length and its first and last
/// eight bytes (its bytes, for a shorter key), mixed by one multiplication
/// whose top bits are the set.
#[inline]
fn set_of(text: &[u8]) -> usize {
    let (head, tail) = match (text.first_chunk::<8>(), text.last_chunk::<8>()) {
        (Some(head), Some(tail)) => (u64::from_le_bytes(*head), u64::from_le_bytes(*tail)),
        _ => (
            text.iter().fold(0, |word, &b| (word << 8) | u64::from(b)),
            0,
        ),
    };
    let mixed =
        (head ^ tail.rotate_left(29) ^ text.len() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (mixed >> (64 - SETS.trailing_zeros())) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Keys {
        Keys {
            slots: [const { None }; SLOTS],
        }
    }

    fn kept(keys: &Keys) -> Vec<&str> {
        keys.slots.iter().flatten().map(|k| &**k).collect()
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
        let shared = keys.slots.iter().flatten().next().unwrap();
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
            let shared = keys.slots.iter().flatten().find(|s| ***s == **k).unwrap();
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
        let (outer, inner) = with_keys(|outer| {
            let key = outer.key("outer.key");
            (key, with_keys(|inner| inner.key("inner.key")))
        });
        assert_eq!((outer.as_str(), inner.as_str()), ("outer.key", "inner.key"));
        // the thread keeps the outer read's table, put back last
        with_keys(|keys| assert_eq!(kept(keys), ["outer.key"]));
    }
}
