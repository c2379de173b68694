//! `#[derive(Baggage)]`, the proc macro of [typed-baggage](https://docs.rs/typed-baggage).
//!
//! Use it through `typed-baggage`; the generated code names the runtime by
//! the path `::typed_baggage` (or the one given with `#[baggage(crate = "...")]`),
//! and the two crates are versioned together.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// No panic that input can reach: library code has no `unwrap`, `expect` or
// slice indexing (unit tests may use them).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod ast;
mod attr;
mod case;
mod expand;
mod fallback;
mod generics;
mod respan;
mod valid;

#[cfg(test)]
mod ui_corpus;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

/// Implements `typed_baggage::Baggage` for a struct with named fields, or
/// `typed_baggage::BaggageValue` for a fieldless enum. See the
/// `typed-baggage` crate documentation for the `#[baggage(...)]` attributes.
#[proc_macro_derive(Baggage, attributes(baggage))]
pub fn derive_baggage(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input).into()
}
