//! What every request to the fake goes through, whatever the service: request IDs, the error
//! body, authentication, and the query-string helpers the handlers share.

use std::collections::HashMap;

use axum::{
    extract::{Request, State as Shared},
    http::{HeaderMap, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;

use super::state::{lock, AppState};
use crate::auth::signer;

/// A documented error answer: status plus `{"error_code", "error_msg"}`.
pub(super) struct Rejection {
    status: StatusCode,
    code: &'static str,
    msg: String,
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({"error_code": self.code, "error_msg": self.msg})),
        )
            .into_response()
    }
}

/// What a handler answers.
pub(super) type Reply = Result<Response, Rejection>;

pub(super) fn error(status: StatusCode, code: &'static str, msg: impl Into<String>) -> Rejection {
    Rejection {
        status,
        code,
        msg: msg.into(),
    }
}

pub(super) fn bad(code: &'static str, msg: impl Into<String>) -> Rejection {
    error(StatusCode::BAD_REQUEST, code, msg)
}

fn unauthorized(code: &'static str, why: &str) -> Rejection {
    error(
        StatusCode::UNAUTHORIZED,
        code,
        format!("Incorrect IAM authentication information: {why}"),
    )
}

pub(super) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Parses a JSON body into a generated request type; a body that does not fit is a 400 with
/// `code`.
pub(super) fn parse_body<T: serde::de::DeserializeOwned>(
    code: &'static str,
    body: &[u8],
) -> Result<T, Rejection> {
    serde_json::from_slice(body).map_err(|e| bad(code, format!("invalid body: {e}")))
}

/// The decoded query string.
pub(super) struct Query(HashMap<String, String>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs = raw
            .map(|q| {
                form_pairs(q)
                    .into_iter()
                    .collect::<HashMap<String, String>>()
            })
            .unwrap_or_default();
        Query(pairs)
    }

    pub fn text(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// An integer within `min..=max`, or `default` when absent.
    pub fn number(
        &self,
        code: &'static str,
        name: &str,
        default: i64,
        min: i64,
        max: i64,
    ) -> Result<i64, Rejection> {
        match self.0.get(name) {
            None => Ok(default),
            Some(v) => match v.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(bad(code, format!("invalid {name}: {v:?}"))),
            },
        }
    }

    /// A value of a generated request enum.
    pub fn parsed<T: std::str::FromStr>(
        &self,
        code: &'static str,
        name: &str,
    ) -> Result<Option<T>, Rejection> {
        match self.0.get(name) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| bad(code, format!("invalid {name}: {v:?}"))),
        }
    }

    pub fn flag(&self, code: &'static str, name: &str) -> Result<bool, Rejection> {
        match self.text(name) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(v) => Err(bad(code, format!("invalid {name}: {v:?}"))),
        }
    }
}

fn form_pairs(query: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://fake/?{query}"))
        .map(|u| {
            u.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// A page of `items` at `offset`.
pub(super) fn page<T: Clone>(items: &[T], offset: i64, limit: i64) -> Vec<T> {
    let offset = usize::try_from(offset).unwrap_or(usize::MAX);
    let limit = usize::try_from(limit).unwrap_or(0);
    items.iter().skip(offset).take(limit).cloned().collect()
}

/// Counts every request and gives every answer an `X-Request-Id`, like the real gateway.
pub(super) async fn count_and_tag(
    Shared(state): Shared<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let id = {
        let mut s = lock(&state);
        s.requests += 1;
        s.new_id()
    };
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// Authenticates every request (an IAM token, or an `SDK-HMAC-SHA256` signature that is well
/// formed, and valid when the fake knows the key pair), and for DataArts checks the `workspace`
/// header, as the real gateways do before any operation runs.
pub(super) async fn authenticate(
    Shared(state): Shared<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 64 * 1024 * 1024).await else {
        return bad("APIGW.0201", "the request body is too large").into_response();
    };
    let key = lock(&state).key.clone();
    if let Err(rejection) = check_credentials(&parts, &body, key.as_ref()) {
        return rejection.into_response();
    }
    let dataarts = parts.uri.path().starts_with("/v1/");
    let workspace = header(&parts.headers, "workspace").map(str::trim);
    if dataarts && workspace.is_none_or(str::is_empty) {
        return bad("DLS.1000", "the workspace header is required").into_response();
    }
    next.run(Request::from_parts(parts, body.into())).await
}

fn check_credentials(
    parts: &axum::http::request::Parts,
    body: &[u8],
    key: Option<&(String, String)>,
) -> Result<(), Rejection> {
    let headers = &parts.headers;
    // The API gateway in front of both services rejects credentials before they see the call.
    let denied = |why: &str| unauthorized("APIGW.0301", why);
    if header(headers, "x-auth-token").is_some_and(|t| !t.trim().is_empty()) {
        return Ok(());
    }
    let Some(auth) = header(headers, "authorization") else {
        return Err(denied("no X-Auth-Token and no Authorization header"));
    };
    let date = header(headers, "x-sdk-date").unwrap_or_default();
    let date_ok = date.len() == 16
        && date.bytes().enumerate().all(|(i, b)| match i {
            8 => b == b'T',
            15 => b == b'Z',
            _ => b.is_ascii_digit(),
        });
    if !date_ok {
        return Err(denied("X-Sdk-Date is missing or not YYYYMMDDTHHMMSSZ"));
    }
    let Some(rest) = auth.strip_prefix("SDK-HMAC-SHA256 Access=") else {
        return Err(denied("unsupported Authorization scheme"));
    };
    let mut fields = rest.split(", ");
    let (Some(ak), Some(signed), Some(signature), None) = (
        fields.next(),
        fields.next().and_then(|p| p.strip_prefix("SignedHeaders=")),
        fields.next().and_then(|p| p.strip_prefix("Signature=")),
        fields.next(),
    ) else {
        return Err(denied("malformed Authorization header"));
    };
    let names: Vec<&str> = signed.split(';').collect();
    let well_formed = !ak.is_empty()
        && names.contains(&"host")
        && names.contains(&"x-sdk-date")
        && signature.len() == 64
        && signature
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !well_formed {
        return Err(denied("malformed signature"));
    }
    let Some((known_ak, sk)) = key else {
        return Ok(());
    };
    if ak != known_ak {
        return Err(denied("unknown access key"));
    }
    let mut signed_headers = Vec::new();
    for name in &names {
        match header(headers, name) {
            Some(v) => signed_headers.push((name.to_string(), v.to_string())),
            None => return Err(denied("a signed header is missing")),
        }
    }
    let query: Vec<(String, String)> = parts.uri.query().map(form_pairs).unwrap_or_default();
    let input = signer::SigningInput {
        method: parts.method.as_str(),
        host: header(headers, "host").unwrap_or_default(),
        path: parts.uri.path(),
        query: &query,
        headers: &signed_headers,
        body,
    };
    let expected = signer::sign(&input, known_ak, sk.as_bytes(), date);
    if expected.authorization == auth {
        Ok(())
    } else {
        Err(denied("the signature does not match"))
    }
}
