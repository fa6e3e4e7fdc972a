//! Running a generated request: [`Execute`] wraps the generated `send()` in the per-call record
//! and turns whatever happened into a [`Response`] or a typed [`Error`]. `build.rs` derives the
//! `Execute` impl of every operation from its spec.

use std::{fmt, ops::Deref};

use progenitor_client::ResponseValue;
use reqwest::{header::HeaderMap, StatusCode};

use crate::{
    call::{self, CallRecord},
    transport::REQUEST_ID_HEADER,
    Error, ServiceError,
};

/// A successful answer: the decoded value plus what the service said about the call.
pub struct Response<T> {
    /// progenitor's value, kept whole: it already owns the status and headers.
    inner: ResponseValue<T>,
    /// Attempts the transport sent for this call.
    attempts: u32,
}

impl<T> Response<T> {
    /// The decoded body (`()` for 204 answers).
    pub fn into_inner(self) -> T {
        self.inner.into_inner()
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.inner.status()
    }

    /// The `X-Request-Id` the service gave this call.
    pub fn request_id(&self) -> Option<&str> {
        self.headers()
            .get(REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
    }

    /// All response headers.
    pub fn headers(&self) -> &HeaderMap {
        self.inner.headers()
    }

    /// How many attempts the transport sent for this call, retries included (1 when the first
    /// one succeeded); what a call costs against a quota. 0 for a response not made by
    /// [`Execute::execute`].
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

impl<T> Deref for Response<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: Clone> Clone for Response<T> {
    fn clone(&self) -> Self {
        Response {
            inner: ResponseValue::new((*self.inner).clone(), self.status(), self.headers().clone()),
            attempts: self.attempts,
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Response<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status())
            .field("request_id", &self.request_id())
            .field("attempts", &self.attempts)
            .field("value", &*self.inner)
            .finish()
    }
}

/// Sends a generated request builder and returns this crate's [`Response`] or [`Error`]
/// (the generated `send()` returns progenitor's types instead).
pub trait Execute {
    /// The decoded success body.
    type Output;
    /// Sends the request, with the client's auth, retries and timeouts.
    fn execute(
        self,
    ) -> impl std::future::Future<Output = Result<Response<Self::Output>, Error>> + Send;
}

type Sent<T, E> = Result<ResponseValue<T>, progenitor_client::Error<E>>;

impl<T> From<ResponseValue<T>> for Response<T> {
    fn from(inner: ResponseValue<T>) -> Self {
        Response { inner, attempts: 0 }
    }
}

pub(crate) async fn run<T, E>(
    send: impl std::future::Future<Output = Sent<T, E>>,
) -> Result<Response<T>, Error> {
    // Boxed: the generated future holds the whole transport; moving it into the task-local
    // scope by value would copy it.
    let (result, record) = call::scoped(Box::pin(send)).await;
    let attempts = record.attempts;
    result
        .map(|inner| Response { inner, attempts })
        .map_err(|e| map_error(e, record))
}

/// For operations documented as 204 No Content: any 2xx answer means success, so a gateway that
/// answers 200 does not turn a done change into an error. (The transport has already refused a
/// 2xx whose body is an error or not JSON.)
pub(crate) async fn run_no_content<E>(
    send: impl std::future::Future<Output = Sent<(), E>>,
) -> Result<Response<()>, Error> {
    // Boxed: the generated future holds the whole transport; moving it into the task-local
    // scope by value would copy it.
    let (result, record) = call::scoped(Box::pin(send)).await;
    let attempts = record.attempts;
    match result {
        Ok(inner) => Ok(Response { inner, attempts }),
        Err(progenitor_client::Error::UnexpectedResponse(r)) if r.status().is_success() => {
            Ok(Response {
                inner: ResponseValue::new((), r.status(), r.headers().clone()),
                attempts,
            })
        }
        Err(e) => Err(map_error(e, record)),
    }
}

/// Turns progenitor's error plus what the transport saw into this crate's error.
fn map_error<E>(error: progenitor_client::Error<E>, mut call: CallRecord) -> Error {
    use progenitor_client::Error as P;
    if let Some(failure) = call.failure.take() {
        return *failure;
    }
    let facts = call.response.take().unwrap_or_default();
    let service_error = |status: StatusCode, body: Option<bytes::Bytes>, headers: HeaderMap| {
        Error::from(
            ServiceError::from_parts(status, facts.request_id.clone(), body.unwrap_or_default())
                .with_headers(headers),
        )
    };
    match error {
        P::InvalidRequest(msg) => Error::InvalidRequest(msg),
        // Only the transport makes `Custom`, and it always leaves its typed failure first.
        P::Custom(msg) => Error::InvalidRequest(msg),
        P::CommunicationError(e) | P::InvalidUpgrade(e) | P::ResponseBodyError(e) => {
            Error::Transport {
                status: facts.status,
                request_id: facts.request_id,
                source: e,
            }
        }
        P::ErrorResponse(rv) => service_error(rv.status(), call.error_body, rv.headers().clone()),
        P::UnexpectedResponse(response) if !response.status().is_success() => service_error(
            response.status(),
            call.error_body,
            response.headers().clone(),
        ),
        P::UnexpectedResponse(response) => Error::Decode {
            status: response.status(),
            request_id: facts.request_id,
            message: "the API does not describe this success status for the operation".into(),
            body: Default::default(),
        },
        P::InvalidResponsePayload(body, e) => match facts.status {
            Some(status) if !status.is_success() => {
                service_error(status, call.error_body, HeaderMap::new())
            }
            status => Error::Decode {
                status: status.unwrap_or(StatusCode::OK),
                request_id: facts.request_id,
                message: e.to_string(),
                body,
            },
        },
    }
}
