//! `http::HeaderMap` helpers (work in progress).
