//! A counting global allocator for the tests that bound or count
//! allocations. Each test file that uses it declares it itself:
//!
//! ```ignore
//! #[path = "common/alloc.rs"]
//! mod alloc;
//! #[global_allocator]
//! static ALLOCATOR: alloc::Counting = alloc::Counting;
//! ```
//!
//! Counts are per thread, so tests of one file running in parallel do not
//! see each other's allocations.
#![allow(dead_code)] // each test file uses part of it

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::thread::LocalKey;

/// The system allocator, counting each thread's allocations.
pub struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
    static REALLOCATIONS: Cell<usize> = const { Cell::new(0) };
    static BYTES: Cell<usize> = const { Cell::new(0) };
}

fn add(counter: &'static LocalKey<Cell<usize>>, n: usize) {
    // `try_with`: the thread-locals may be gone while a thread exits.
    let _ = counter.try_with(|c| c.set(c.get() + n));
}

// SAFETY: every call is forwarded to `System` unchanged; counting touches
// only const-initialised thread-local `Cell`s, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(&ALLOCATIONS, 1);
        add(&BYTES, layout.size());
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        add(&ALLOCATIONS, 1);
        add(&BYTES, layout.size());
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add(&REALLOCATIONS, 1);
        add(&BYTES, new_size);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// What `f` allocates on this thread: (allocations, reallocations). Its
/// result is dropped after counting.
pub fn count<R>(f: impl FnOnce() -> R) -> (usize, usize) {
    let (a, r) = (ALLOCATIONS.with(Cell::get), REALLOCATIONS.with(Cell::get));
    let result = f();
    let counts = (
        ALLOCATIONS.with(Cell::get) - a,
        REALLOCATIONS.with(Cell::get) - r,
    );
    drop(result);
    counts
}

/// `f`'s result and the bytes it asked the allocator for on this thread
/// (a reallocation counts its new size).
pub fn bytes<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let before = BYTES.with(Cell::get);
    let result = f();
    (result, BYTES.with(Cell::get) - before)
}
