//! Per-call state that travels from the transport hooks to [`crate::Execute`].
//!
//! progenitor's `exec` hook must return a `reqwest::Result`, which cannot express most of what
//! goes wrong (a redirect, a 2xx that is really an error, a credential that cannot be sent). So
//! the transport writes what it learned here, and `Execute` reads it back to build a typed
//! [`Error`]. A caller who uses the generated `send()` directly has no record; for them the
//! transport answers with a [`Failed`] marker instead, which the `post` hook turns into
//! progenitor's `Error::Custom` with the same message. This module depends on nothing but
//! [`Error`], so both sides can use it without knowing each other.

use std::{
    cell::{Cell, RefCell},
    future::Future,
};

use bytes::Bytes;
use reqwest::StatusCode;

use crate::Error;

/// What the transport learned about one call: only what [`crate::Execute`] reads.
#[derive(Debug, Default)]
pub(crate) struct CallRecord {
    /// Status and `X-Request-Id` of the last response whose headers arrived.
    pub response: Option<ResponseFacts>,
    /// The body of the final response when its status was not a success.
    pub error_body: Option<Bytes>,
    /// A failure the transport already typed; it wins over whatever progenitor reports. Boxed:
    /// the record is swapped in and out of the task-local on every poll.
    pub failure: Option<Box<Error>>,
    /// Attempts sent on the wire for this call, retries included.
    pub attempts: u32,
}

/// Status and request ID of a response, kept even when its body later breaks.
#[derive(Debug, Clone, Default)]
pub(crate) struct ResponseFacts {
    pub status: Option<StatusCode>,
    pub request_id: Option<String>,
}

tokio::task_local! {
    static CALL: RefCell<CallRecord>;
    /// Attempts of every call made inside a [`counted`] scope.
    static COUNTED: Cell<u64>;
}

/// For the attempt loop: one more attempt of the current call goes on the wire. Counted in the
/// call's record and in the enclosing [`counted`] scope, if any.
pub(crate) fn attempted() {
    note(|c| c.attempts += 1);
    let _ = COUNTED.try_with(|n| n.set(n.get() + 1));
}

/// Runs `future` and returns, with its output, how many attempts the calls it made put on the
/// wire (retries included, whether the calls succeeded or failed). Scopes do not nest: an inner
/// scope's attempts are its own.
pub(crate) async fn counted<T>(future: impl Future<Output = T>) -> (T, u64) {
    COUNTED
        .scope(Cell::new(0), async {
            let output = future.await;
            (output, COUNTED.with(Cell::get))
        })
        .await
}

/// Runs `future` (a generated `send()`) with an empty record and returns both.
pub(crate) async fn scoped<T>(future: impl Future<Output = T>) -> (T, CallRecord) {
    CALL.scope(RefCell::default(), async {
        let output = future.await;
        (output, CALL.with(|c| c.take()))
    })
    .await
}

/// Updates the record of the current call, if there is one (there is none when a caller uses
/// the generated `send()` directly).
pub(crate) fn note(f: impl FnOnce(&mut CallRecord)) {
    let _ = CALL.try_with(|c| f(&mut c.borrow_mut()));
}

/// Marks a response the transport made up to carry a failure through progenitor's code to the
/// `post` hook, which returns it as `progenitor_client::Error::Custom(message)`.
#[derive(Debug, Clone)]
pub(crate) struct Failed(pub String);

/// Records `error` for `Execute` and returns the stand-in response for the generated code.
pub(crate) fn fail(error: Error) -> reqwest::Response {
    let message = error.to_string();
    note(|c| c.failure = Some(Box::new(error)));
    let mut response = http::Response::new(Bytes::new());
    // The status is never read as the service's: `post` stops the generated code first.
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response.extensions_mut().insert(Failed(message));
    reqwest::Response::from(response)
}

/// For the `post` hook: the failure a stand-in response carries, if it is one.
pub(crate) fn failure_of(result: &reqwest::Result<reqwest::Response>) -> Option<String> {
    let response = result.as_ref().ok()?;
    response.extensions().get::<Failed>().map(|f| f.0.clone())
}
