//! The W3C baggage limits that [`with_typed`](crate::BaggageContextExt::with_typed) enforces.
//!
//! The W3C Baggage specification requires a platform to propagate at least
//! 64 list-members and 8192 bytes of header, and never a partial member.
//! typed-baggage treats those minimums as the ceiling, so the header it
//! writes is never truncated by a conformant peer. Sizes are measured on the
//! encoded header ([`crate::wire`]): `key=value;properties` per member, the
//! value percent-encoded, members joined with `,`.

/// At most this many list-members in the whole baggage of a context.
pub const MAX_MEMBERS: usize = 64;

/// At most this many bytes of encoded header for the whole baggage of a context.
pub const MAX_BYTES: usize = 8192;
