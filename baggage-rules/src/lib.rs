//! The rules of [typed-baggage](https://docs.rs/typed-baggage) that hold at
//! compile time and at run time alike, written once.
//!
//! `#[derive(Baggage)]` applies them to a schema's declared keys while it
//! expands, and the runtime applies the same functions to the keys and
//! values it reads and writes: a key the derive accepts is a key the
//! runtime accepts, and a size the derive computes is the size the runtime
//! measures.
//!
//! | module | rule |
//! |---|---|
//! | [`key`] | a baggage key is an RFC 7230 token |
//! | [`size`] | what a value and a list-member take on the wire, and the W3C limits |
//! | [`secret`] | which names look like secrets or personal identifiers |
//!
//! This crate has no dependencies and is pinned (`=x.y.z`) by both of its
//! users. It is not meant to be used directly.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

pub mod key;
pub mod secret;
pub mod size;
