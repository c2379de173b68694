//! An axum extractor for typed baggage: a request whose required baggage is
//! missing or invalid is rejected with `400 Bad Request`, the body naming
//! the bad keys.
//!
//! The extractor reads the context that [`crate::tower::BaggageLayer`]
//! made (after its inbound policy), and falls back to the current context;
//! it never reads the raw header itself, so it cannot bypass the policy.
//!
//! ```
//! use axum::{routing::get, Router};
//! use typed_baggage::axum::Typed;
//! use typed_baggage::prelude::*;
//! use typed_baggage::tower::{BaggageLayer, InboundPolicy};
//!
//! #[derive(Baggage)]
//! #[baggage(prefix = "app.")]
//! struct UserCtx { user_id: u64 }
//!
//! async fn handler(Typed(user): Typed<UserCtx>) -> String {
//!     format!("hello {}", user.user_id)
//! }
//!
//! let app: Router = Router::new()
//!     .route("/", get(handler))
//!     .layer(BaggageLayer::new(InboundPolicy::TrustAll));
//! # let _ = app;
//! ```

use axum_core::extract::FromRequestParts;
use axum_core::response::{IntoResponse, Response};
use http::request::Parts;
use http::{header, StatusCode};

use crate::tower::IncomingContext;
use crate::{Baggage, Error};

/// Extracts a typed schema from the request's baggage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Typed<T>(pub T);

impl<T, S> FromRequestParts<S> for Typed<T>
where
    T: Baggage,
    S: Send + Sync,
{
    type Rejection = BaggageRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        IncomingContext::read::<T>(&parts.extensions)
            .map(Typed)
            .map_err(BaggageRejection)
    }
}

/// The rejection of [`Typed`]: `400 Bad Request`, a plain-text body whose
/// first line names the bad keys and whose next lines say what is wrong
/// with each.
#[derive(Debug)]
pub struct BaggageRejection(pub Error);

impl BaggageRejection {
    /// The body text.
    ///
    /// ```
    /// use typed_baggage::axum::BaggageRejection;
    /// use typed_baggage::Error;
    ///
    /// let r = BaggageRejection(Error::Missing { key: "app.tier".into(), expected: "a tier".into() });
    /// assert_eq!(r.body(), "invalid baggage: app.tier\nbaggage key `app.tier` is missing: expected a tier\n");
    /// ```
    pub fn body(&self) -> String {
        let keys: Vec<&str> = self.0.keys().collect();
        let mut body = format!("invalid baggage: {}\n", keys.join(", "));
        for e in self.0.errors() {
            body.push_str(&e.to_string());
            body.push('\n');
        }
        body
    }
}

impl IntoResponse for BaggageRejection {
    fn into_response(self) -> Response {
        (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            self.body(),
        )
            .into_response()
    }
}
