//! Reading a whole answer into memory under a size limit, judging it, and handing the generated
//! code an equivalent in-memory response.

use bytes::{Bytes, BytesMut};
use reqwest::{
    header::{HeaderMap, LOCATION},
    ResponseBuilderExt, StatusCode, Url, Version,
};

use super::REQUEST_ID_HEADER;
use crate::{call, operation::OperationSpec, Error, ServiceError};

/// A complete answer, body included.
#[derive(Debug)]
pub(super) struct Buffered {
    /// The URL answered, kept so that rebuilding the response need not parse a placeholder.
    pub url: Url,
    pub status: StatusCode,
    pub version: Version,
    pub headers: HeaderMap,
    pub request_id: Option<String>,
    pub body: Bytes,
    /// The body was cut at the configured limit.
    pub truncated: bool,
}

pub(super) fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Reads the whole body (at most `limit` bytes), so that a broken or endless body fails inside
/// the retry loop and within the attempt's timeout.
pub(super) async fn read(
    mut response: reqwest::Response,
    limit: usize,
) -> reqwest::Result<Buffered> {
    let status = response.status();
    let version = response.version();
    let url = response.url().clone();
    // Taken, not cloned: the body is read from the response without its headers.
    let headers = std::mem::take(response.headers_mut());
    let mut body = BytesMut::new();
    let mut truncated = response
        .content_length()
        .is_some_and(|len| len > limit as u64);
    if !truncated {
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > limit {
                body.extend_from_slice(&chunk[..limit - body.len()]);
                truncated = true;
                break;
            }
            body.extend_from_slice(&chunk);
        }
    }
    Ok(Buffered {
        url,
        status,
        version,
        request_id: request_id(&headers),
        headers,
        body: body.freeze(),
        truncated,
    })
}

/// The error for a redirect: a 3xx answer, or a caller-supplied client that followed one (its
/// final URL is not the one requested).
pub(super) fn redirect(response: &reqwest::Response, requested: &Url) -> Error {
    let followed = response.url() != requested;
    let location = if followed {
        Some(response.url().to_string())
    } else {
        response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    Error::Redirect {
        status: response.status(),
        location,
        followed,
        request_id: request_id(response.headers()),
    }
}

impl Buffered {
    /// Judges the final answer and rebuilds it for the generated code. A success status is not
    /// taken at its word: a body cut at the limit, a body that is one of Huawei Cloud's error
    /// shapes, or (for operations documented as 204) a body that is not JSON, is an error.
    pub(super) fn into_response(
        self,
        operation: Option<&OperationSpec>,
    ) -> Result<reqwest::Response, Error> {
        if self.status.is_success() {
            self.check_success(operation)?;
        } else {
            let body = self.body.clone();
            call::note(|c| c.error_body = Some(body));
        }
        let mut rebuilt = http::Response::builder()
            .status(self.status)
            .version(self.version)
            .url(self.url)
            .body(self.body)
            .map_err(|e| Error::InvalidRequest(format!("cannot rebuild the response: {e}")))?;
        *rebuilt.headers_mut() = self.headers;
        Ok(reqwest::Response::from(rebuilt))
    }

    fn check_success(&self, operation: Option<&OperationSpec>) -> Result<(), Error> {
        let decode = |message: &str| Error::Decode {
            status: self.status,
            request_id: self.request_id.clone(),
            message: message.into(),
            body: self.body.clone(),
        };
        if self.truncated {
            return Err(decode("the body is larger than the configured limit"));
        }
        let own_fields = operation.map_or(&[][..], |op| op.success_fields);
        if let Some(e) = ServiceError::hidden_in_success(
            self.status,
            self.request_id.clone(),
            &self.body,
            own_fields,
        ) {
            return Err(e.with_headers(self.headers.clone()).into());
        }
        if std::str::from_utf8(&self.body).is_err() {
            // JSON is UTF-8; a body that is not cannot be trusted in the fields we skip either.
            return Err(decode("the body is not valid UTF-8"));
        }
        let no_content = operation.is_some_and(|op| op.no_content);
        let blank = self.body.iter().all(u8::is_ascii_whitespace);
        if no_content && !blank && serde_json::from_slice::<serde_json::Value>(&self.body).is_err()
        {
            return Err(decode(
                "the operation answers without a body, and this body is not JSON",
            ));
        }
        Ok(())
    }
}
