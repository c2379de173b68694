//! The operations of the criterion groups, one at a time, for counting
//! instructions under valgrind: `scripts/instructions.sh` runs
//! `instructions <op> <iterations>` under callgrind for each op and prints
//! instructions per call and the ratios. Unlike wall-clock time on a shared
//! machine, the count is the same from run to run.
//!
//! Without an op name (as `cargo bench` runs it) it lists the ops.

mod common;

use std::collections::HashMap;
use std::hint::black_box;

use common::{Large, Small, UserCtx};
use opentelemetry::baggage::BaggageExt;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::Context;
use opentelemetry_sdk::propagation::BaggagePropagator as SdkPropagator;
use typed_baggage::prelude::*;
use typed_baggage::propagation::BaggagePropagator;

type Op = Box<dyn Fn()>;

/// Hands `value` to the optimizer as used, then drops it (its drop is part
/// of the op's cost).
fn sink<T>(value: T) {
    black_box(value);
}

/// The users the `server_path` ops take in turn.
const USERS: u64 = 1000;

/// Inputs taken in turn, one per call, from the first again after the last.
struct InTurn<T> {
    items: Vec<T>,
    next: std::cell::Cell<usize>,
}

impl<T> InTurn<T> {
    /// The input of each of [`USERS`] users, `make(i)` for user `i`.
    fn of_users(make: impl Fn(u64) -> T) -> Self {
        InTurn {
            items: (0..USERS).map(make).collect(),
            next: std::cell::Cell::new(0),
        }
    }

    fn next(&self) -> &T {
        let i = self.next.get();
        self.next
            .set(if i + 1 == self.items.len() { 0 } else { i + 1 });
        &self.items[i]
    }
}

/// Every op, named `group/function/input` as in criterion's report.
///
/// Every op's inputs are built before any op runs, and they leave the heap
/// in a state that the measured calls' `malloc` depends on: registering
/// the same ops in another order (the `bare` ones folded into the loops
/// above them) moved `attach/typed/representative_merge_8` by 2,000
/// instructions, all in glibc's `_int_malloc` and `malloc_consolidate`.
/// Keep the order when comparing with the figures in `BENCHMARKS.md`.
fn ops() -> Vec<(String, Op)> {
    let mut ops: Vec<(String, Op)> = Vec::new();
    let mut add = |name: String, op: Op| ops.push((name, op));

    // attach
    let empty = Context::new();
    let up8 = common::upstream(8);
    for (input, cx) in [("", empty.clone()), ("_merge_8", up8.clone())] {
        let (c, u) = (cx.clone(), UserCtx::sample());
        add(
            format!("attach/typed/representative{input}"),
            Box::new(move || sink(black_box(&c).with_typed(black_box(&u)).unwrap())),
        );
        let (c, u) = (cx.clone(), UserCtx::sample());
        add(
            format!("attach/hand/representative{input}"),
            Box::new(move || sink(u.attach_hand(black_box(&c)))),
        );
        let (c, u) = (cx.clone(), UserCtx::sample());
        add(
            format!("attach/copy/representative{input}"),
            Box::new(move || sink(u.attach_copy(black_box(&c)))),
        );
        let (c, u) = (cx.clone(), UserCtx::sample());
        add(
            format!("attach/copy_checked/representative{input}"),
            Box::new(move || sink(u.attach_copy_checked(black_box(&c)).unwrap())),
        );
        let c = cx.clone();
        add(
            format!("attach/floor/representative{input}"),
            Box::new(move || sink(UserCtx::attach_floor(black_box(&c)))),
        );
    }
    let (c, s) = (empty.clone(), Small::sample());
    add(
        "attach/typed/small".into(),
        Box::new(move || sink(black_box(&c).with_typed(black_box(&s)).unwrap())),
    );
    let (c, s) = (empty.clone(), Small::sample());
    add(
        "attach/hand/small".into(),
        Box::new(move || sink(s.attach_hand(black_box(&c)))),
    );
    let (c, s) = (empty.clone(), Small::sample());
    add(
        "attach/copy/small".into(),
        Box::new(move || sink(s.attach_copy(black_box(&c)))),
    );
    let c = empty.clone();
    add(
        "attach/floor/small".into(),
        Box::new(move || sink(Small::attach_floor(black_box(&c)))),
    );
    let (c, l) = (empty.clone(), Large::sample());
    add(
        "attach/typed/large".into(),
        Box::new(move || sink(black_box(&c).with_typed(black_box(&l)).unwrap())),
    );
    let (c, l) = (empty.clone(), Large::sample());
    add(
        "attach/hand/large".into(),
        Box::new(move || sink(l.attach_hand(black_box(&c)))),
    );
    let (c, l) = (empty.clone(), Large::sample());
    add(
        "attach/copy/large".into(),
        Box::new(move || sink(l.attach_copy(black_box(&c)))),
    );
    let c = empty.clone();
    add(
        "attach/floor/large".into(),
        Box::new(move || sink(Large::attach_floor(black_box(&c)))),
    );

    // read: each context also carries 8 entries of other teams
    let cx = up8.with_typed(&Small::sample()).unwrap();
    let c = cx.clone();
    add(
        "read/typed/small".into(),
        Box::new(move || sink(Small::from_context(black_box(&c)).unwrap())),
    );
    let c = cx.clone();
    add(
        "read/hand/small".into(),
        Box::new(move || sink(Small::read_hand(black_box(&c)).unwrap())),
    );
    add(
        "read/floor/small".into(),
        Box::new(move || sink(Small::read_floor(black_box(&cx)).unwrap())),
    );
    let cx = up8.with_typed(&UserCtx::sample()).unwrap();
    let c = cx.clone();
    add(
        "read/typed/representative".into(),
        Box::new(move || sink(UserCtx::from_context(black_box(&c)).unwrap())),
    );
    let c = cx.clone();
    add(
        "read/hand/representative".into(),
        Box::new(move || sink(UserCtx::read_hand(black_box(&c)).unwrap())),
    );
    add(
        "read/floor/representative".into(),
        Box::new(move || sink(UserCtx::read_floor(black_box(&cx)).unwrap())),
    );
    let cx = up8.with_typed(&Large::sample()).unwrap();
    let c = cx.clone();
    add(
        "read/typed/large".into(),
        Box::new(move || sink(Large::from_context(black_box(&c)).unwrap())),
    );
    let c = cx.clone();
    add(
        "read/hand/large".into(),
        Box::new(move || sink(Large::read_hand(black_box(&c)).unwrap())),
    );
    add(
        "read/floor/large".into(),
        Box::new(move || sink(Large::read_floor(black_box(&cx)).unwrap())),
    );

    // extract and inject
    for (input, header) in common::wire_headers() {
        let headers = HashMap::from([("baggage".to_owned(), header.clone())]);
        let h = headers.clone();
        let p = BaggagePropagator::new();
        add(
            format!("extract/typed_baggage/{input}"),
            Box::new(move || sink(p.extract_with_context(&Context::new(), black_box(&h)))),
        );
        let sdk = SdkPropagator::new();
        add(
            format!("extract/opentelemetry_sdk/{input}"),
            Box::new(move || sink(sdk.extract_with_context(&Context::new(), black_box(&headers)))),
        );
        let cx = Context::new().with_baggage(common::baggage_of(&header));
        let c = cx.clone();
        let p = BaggagePropagator::new();
        add(
            format!("inject/typed_baggage/{input}"),
            Box::new(move || {
                let mut out = HashMap::new();
                p.inject_context(black_box(&c), &mut out);
                sink(out);
            }),
        );
        let sdk = SdkPropagator::new();
        add(
            format!("inject/opentelemetry_sdk/{input}"),
            Box::new(move || {
                let mut out = HashMap::new();
                sdk.inject_context(black_box(&cx), &mut out);
                sink(out);
            }),
        );
    }

    // end to end
    let headers_of = |cx: &Context| {
        let mut headers = http::HeaderMap::new();
        typed_baggage::http::inject(cx, &mut headers);
        headers
    };
    fn sdk_extract(h: &http::HeaderMap) -> Context {
        SdkPropagator::new()
            .extract_with_context(&Context::new(), &opentelemetry_http::HeaderExtractor(h))
    }
    let h = headers_of(&empty.with_typed(&Small::sample()).unwrap());
    let h2 = h.clone();
    add(
        "end_to_end/typed/small".into(),
        Box::new(move || sink(Small::from_headers(black_box(&h2)).unwrap())),
    );
    add(
        "end_to_end/sdk_hand/small".into(),
        Box::new(move || sink(Small::read_hand(&sdk_extract(black_box(&h))).unwrap())),
    );
    for (input, cx) in [("", empty.clone()), ("_plus_8", up8.clone())] {
        let h = headers_of(&cx.with_typed(&UserCtx::sample()).unwrap());
        let h2 = h.clone();
        add(
            format!("end_to_end/typed/representative{input}"),
            Box::new(move || sink(UserCtx::from_headers(black_box(&h2)).unwrap())),
        );
        add(
            format!("end_to_end/sdk_hand/representative{input}"),
            Box::new(move || sink(UserCtx::read_hand(&sdk_extract(black_box(&h))).unwrap())),
        );
    }
    let h = headers_of(&empty.with_typed(&Large::sample()).unwrap());
    let h2 = h.clone();
    add(
        "end_to_end/typed/large".into(),
        Box::new(move || sink(Large::from_headers(black_box(&h2)).unwrap())),
    );
    add(
        "end_to_end/sdk_hand/large".into(),
        Box::new(move || sink(Large::read_hand(&sdk_extract(black_box(&h))).unwrap())),
    );
    // The server path: extract into a context (what the tower layer does),
    // then a typed read of that context; against the SDK's extract and the
    // hand-written read. `floor`: what any extract that keeps the baggage in
    // the context for other readers must do, with no parse at all: the
    // header's members, split and decoded beforehand, inserted into a
    // `Baggage` with `&'static` keys and a copy of each value, the context
    // made, and the hand-written read without error information.
    fn floor_of(cx: &Context) -> Vec<(&'static str, String)> {
        cx.baggage()
            .iter()
            .map(|(k, (v, _))| (&*String::leak(k.to_string()), v.to_string()))
            .collect()
    }
    fn floor_extract(members: &[(&'static str, String)]) -> Context {
        let mut baggage = opentelemetry::baggage::Baggage::new();
        for (key, value) in members {
            let _ = baggage.insert_with_metadata(
                opentelemetry::Key::from_static_str(key),
                value.as_str().to_owned(),
                opentelemetry::baggage::BaggageMetadata::default(),
            );
        }
        Context::new().with_baggage(baggage)
    }
    // `bare`: the parse a user writes in a few lines when none of the
    // guarantees matter: the header looked up, its text checked to be
    // visible ASCII (`to_str`), split at `,`, `;` and `=`, trimmed, each key and value copied
    // (a value decoded only if it holds a `%`), inserted, the context made;
    // no limit measured, no malformed member told apart or reported, no key
    // checked but by OpenTelemetry's insert; then the same read as the
    // floor's. Between the floor (no parse) and ours: what a parse costs
    // written plainly.
    fn bare_extract(h: &http::HeaderMap) -> Context {
        let mut baggage = opentelemetry::baggage::Baggage::new();
        for value in h.get_all("baggage") {
            let Ok(text) = value.to_str() else { continue };
            for member in text.split(',') {
                let pair = member.split_once(';').map_or(member, |(pair, _)| pair);
                let Some((key, value)) = pair.split_once('=') else {
                    continue;
                };
                let value = value.trim();
                let value = if value.contains('%') {
                    bare_decode(value)
                } else {
                    value.to_owned()
                };
                let _ = baggage.insert_with_metadata(
                    opentelemetry::Key::from(key.trim().to_owned()),
                    value,
                    opentelemetry::baggage::BaggageMetadata::default(),
                );
            }
        }
        Context::new().with_baggage(baggage)
    }
    fn bare_decode(text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match (bytes[i], hex) {
                (b'%', Some(byte)) => {
                    out.push(byte);
                    i += 3;
                }
                (byte, _) => {
                    out.push(byte);
                    i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    // Each op takes the requests of USERS users in turn (a different
    // `user_id` each; the other fields as in `sample`), as a server does:
    // no text of a request is the same as the last one's only because the
    // benchmark sends one request again.
    for (input, cx) in [("", empty.clone()), ("_plus_8", up8.clone())] {
        let members = InTurn::of_users(|i| floor_of(&cx.with_typed(&UserCtx::user(i)).unwrap()));
        add(
            format!("server_path/floor/representative{input}"),
            Box::new(move || {
                let cx = floor_extract(black_box(members.next()));
                sink(UserCtx::read_floor(&cx).unwrap())
            }),
        );
    }
    let members = InTurn::of_users(|i| floor_of(&empty.with_typed(&Small::user(i)).unwrap()));
    add(
        "server_path/floor/small".into(),
        Box::new(move || {
            let cx = floor_extract(black_box(members.next()));
            sink(Small::read_floor(&cx).unwrap())
        }),
    );
    for (input, cx) in [("", empty.clone()), ("_plus_8", up8.clone())] {
        let h = InTurn::of_users(|i| headers_of(&cx.with_typed(&UserCtx::user(i)).unwrap()));
        let h2 = InTurn::of_users(|i| headers_of(&cx.with_typed(&UserCtx::user(i)).unwrap()));
        add(
            format!("server_path/typed/representative{input}"),
            Box::new(move || {
                let cx = typed_baggage::http::extract_with_context(
                    &Context::new(),
                    black_box(h2.next()),
                );
                sink(UserCtx::from_context(&cx).unwrap())
            }),
        );
        add(
            format!("server_path/sdk_hand/representative{input}"),
            Box::new(move || sink(UserCtx::read_hand(&sdk_extract(black_box(h.next()))).unwrap())),
        );
    }
    let h = InTurn::of_users(|i| headers_of(&empty.with_typed(&Small::user(i)).unwrap()));
    let h2 = InTurn::of_users(|i| headers_of(&empty.with_typed(&Small::user(i)).unwrap()));
    add(
        "server_path/typed/small".into(),
        Box::new(move || {
            let cx =
                typed_baggage::http::extract_with_context(&Context::new(), black_box(h2.next()));
            sink(Small::from_context(&cx).unwrap())
        }),
    );
    add(
        "server_path/sdk_hand/small".into(),
        Box::new(move || sink(Small::read_hand(&sdk_extract(black_box(h.next()))).unwrap())),
    );
    for (input, cx) in [("", empty.clone()), ("_plus_8", up8.clone())] {
        let h = InTurn::of_users(|i| headers_of(&cx.with_typed(&UserCtx::user(i)).unwrap()));
        add(
            format!("server_path/bare/representative{input}"),
            Box::new(move || {
                let cx = bare_extract(black_box(h.next()));
                sink(UserCtx::read_floor(&cx).unwrap())
            }),
        );
    }
    let h = InTurn::of_users(|i| headers_of(&empty.with_typed(&Small::user(i)).unwrap()));
    add(
        "server_path/bare/small".into(),
        Box::new(move || {
            let cx = bare_extract(black_box(h.next()));
            sink(Small::read_floor(&cx).unwrap())
        }),
    );
    ops
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let ops = ops();
    if args.first().map(String::as_str) == Some("--interleave") {
        interleave(&ops, &args[1..]);
        return;
    }
    // `instructions <op> [iterations]`; any other arguments (those `cargo
    // bench` passes to every bench) are not an op: list the ops.
    let Some((at, op)) = args
        .iter()
        .enumerate()
        .find_map(|(at, a)| Some((at, &ops.iter().find(|(n, _)| n == a)?.1)))
    else {
        println!("ops (run one as `instructions <op> <iterations>`):");
        for (name, _) in &ops {
            println!("  {name}");
        }
        return;
    };
    let iterations: usize = args
        .get(at + 1)
        .map_or(10_000, |n| n.parse().expect("iterations"));
    for _ in 0..iterations {
        op();
    }
}

/// `instructions --interleave <op>...`: wall-clock time per call of each op,
/// measured in short batches that take turns (op 1, op 2, ..., op 1, ...), so
/// that a change in the machine's load falls on all of them alike. Prints
/// the median over the batches of each op's time per call.
fn interleave(ops: &[(String, Op)], names: &[String]) {
    use std::time::{Duration, Instant};
    let chosen: Vec<&(String, Op)> = names
        .iter()
        .map(|n| {
            ops.iter()
                .find(|(name, _)| name == n)
                .unwrap_or_else(|| panic!("no op {n}"))
        })
        .collect();
    // Calls per batch: about 5 ms each.
    let per_batch: Vec<u32> = chosen
        .iter()
        .map(|(_, op)| {
            let start = Instant::now();
            let mut n = 0u32;
            while start.elapsed() < Duration::from_millis(5) {
                op();
                n += 1;
            }
            n
        })
        .collect();
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); chosen.len()];
    for _ in 0..200 {
        for (i, (_, op)) in chosen.iter().enumerate() {
            let start = Instant::now();
            for _ in 0..per_batch[i] {
                op();
            }
            times[i].push(start.elapsed().as_nanos() as f64 / f64::from(per_batch[i]));
        }
    }
    for ((name, _), mut t) in chosen.iter().zip(times) {
        t.sort_by(f64::total_cmp);
        println!("{name} {:.1}", t[t.len() / 2]);
    }
}
