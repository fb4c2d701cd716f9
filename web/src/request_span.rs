//! A tracing span per HTTP request (method and path), so that what a request causes in the
//! services (a command's id, its CCU) is logged inside it and can be followed.

use poem::{Endpoint, Middleware, Request};
use tracing::Instrument;

/// The middleware.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestSpan;

impl<E: Endpoint> Middleware<E> for RequestSpan {
    type Output = RequestSpanEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        RequestSpanEndpoint { inner }
    }
}

/// An endpoint wrapped in a request span.
pub struct RequestSpanEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for RequestSpanEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, req: Request) -> poem::Result<Self::Output> {
        let span = tracing::info_span!("http", method = %req.method(), path = %req.uri().path());
        self.inner.call(req).instrument(span).await
    }
}
