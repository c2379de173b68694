//! The W3C `baggage` header propagator (work in progress).
