//! Tower middleware (work in progress).
