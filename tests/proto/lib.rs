//! The gRPC service of typed-baggage's tests and examples, generated from
//! `echo.proto` at build time: `hop_client::HopClient`,
//! `hop_server::{Hop, HopServer}`, `CallRequest`, `CallReply`.
#![allow(missing_docs)]

tonic::include_proto!("typed_baggage.test");
