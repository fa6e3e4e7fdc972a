//! `SDK-HMAC-SHA256` request signing, byte for byte as Huawei Cloud's official SDKs compute it.
//!
//! [`sign`] is a pure function of the request parts, the key pair and the date, so it is tested
//! against vectors produced by the official Python SDK (`tests/fixtures/signer/`);
//! [`sign_request`] applies it to a `reqwest::Request`.

use std::{collections::BTreeMap, fmt, time::SystemTime};

use hmac::{Hmac, Mac};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::header::{HeaderName, HeaderValue};
use sha2::{Digest, Sha256};

/// The algorithm name that opens the `Authorization` header.
pub const ALGORITHM: &str = "SDK-HMAC-SHA256";
/// Header with the signing time.
pub const HEADER_DATE: &str = "x-sdk-date";
/// Header that marks a body as not hashed.
pub const HEADER_CONTENT_SHA256: &str = "x-sdk-content-sha256";
/// Value of [`HEADER_CONTENT_SHA256`] for bodies that are not JSON or BSON.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// SHA-256 of the empty string: the payload hash of a request without a body.
const EMPTY_HASH: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// What Python's `urllib.parse.quote(s, safe='~')` leaves alone: letters, digits, `-_.~`.
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// What the signer reads of a request.
#[derive(Debug, Clone, Copy)]
pub struct SigningInput<'a> {
    /// HTTP method, e.g. `GET`.
    pub method: &'a str,
    /// `host[:port]`, exactly as the `Host` header will be sent.
    pub host: &'a str,
    /// The URL path as sent (may contain `%XX` escapes).
    pub path: &'a str,
    /// Decoded query pairs, in any order; keys may repeat.
    pub query: &'a [(String, String)],
    /// Headers present at signing time. `host` and `x-sdk-date` are added when absent.
    pub headers: &'a [(String, String)],
    /// The exact body bytes.
    pub body: &'a [u8],
}

/// The result of signing: what to send, and the intermediate canonical request for debugging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The `X-Sdk-Date` value the signature covers.
    pub sdk_date: String,
    /// The query to send, exactly (empty: no query).
    pub canonical_query: String,
    /// True when `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` must be sent.
    pub unsigned_payload: bool,
    /// Lower-case names of the signed headers, `;`-separated.
    pub signed_headers: String,
    /// The canonical request the signature covers. Contains no secret.
    pub canonical_request: String,
    /// The `Authorization` header value.
    pub authorization: String,
}

/// Why a request could not be signed. Never contains key material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignError {
    /// The URL has no host.
    NoHost,
    /// A header value is not valid UTF-8 (the official SDKs sign text only).
    HeaderNotText(String),
    /// A preset `X-Sdk-Date` is not `YYYYMMDDTHHMMSSZ`.
    BadDate,
    /// The body is a stream, which cannot be hashed before sending.
    StreamingBody,
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignError::NoHost => f.write_str("the URL has no host"),
            SignError::HeaderNotText(name) => write!(f, "header {name} is not UTF-8 text"),
            SignError::BadDate => f.write_str("X-Sdk-Date is not of the form YYYYMMDDTHHMMSSZ"),
            SignError::StreamingBody => f.write_str("a streaming body cannot be signed"),
        }
    }
}

impl std::error::Error for SignError {}

/// Formats a time as `X-Sdk-Date` wants it: UTC, `YYYYMMDDTHHMMSSZ`.
pub fn format_sdk_date(t: SystemTime) -> String {
    let t = time::OffsetDateTime::from(t);
    if !(0..=9999).contains(&t.year()) {
        return "19700101T000000Z".to_string();
    }
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn is_sdk_date(s: &str) -> bool {
    s.len() == 16
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 => b == b'T',
            15 => b == b'Z',
            _ => b.is_ascii_digit(),
        })
}

fn encode(s: &str) -> String {
    utf8_percent_encode(s, ENCODE).to_string()
}

/// Decodes `%XX` escapes, then encodes each `/`-separated segment; always ends with `/`.
/// An escaped `%2F` therefore becomes a separator, as in the official SDKs.
fn canonical_uri(path: &str) -> String {
    let decoded = percent_decode_str(path).decode_utf8_lossy();
    let mut uri = decoded.split('/').map(encode).collect::<Vec<_>>().join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// Sorts the raw pairs by key, then value, and encodes each: also the query to send.
pub fn canonical_query(query: &[(String, String)]) -> String {
    let mut pairs: Vec<&(String, String)> = query.iter().collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn hex_sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Signs the request described by `input` with the key pair at `sdk_date`
/// (`YYYYMMDDTHHMMSSZ`; a preset `x-sdk-date` header wins, as in the official SDKs).
pub fn sign(input: &SigningInput<'_>, ak: &str, sk: &[u8], sdk_date: &str) -> Signature {
    // Lower-cased names, trimmed values; a later duplicate wins, as in the official SDKs.
    let mut headers: BTreeMap<String, String> = input
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let unsigned_payload = headers.get("content-type").is_some_and(|ct| {
        !ct.starts_with("application/json") && !ct.starts_with("application/bson")
    });
    if unsigned_payload {
        headers.insert(HEADER_CONTENT_SHA256.into(), UNSIGNED_PAYLOAD.into());
    }
    let sdk_date = headers
        .entry(HEADER_DATE.into())
        .or_insert_with(|| sdk_date.to_string())
        .clone();
    headers
        .entry("host".into())
        .or_insert_with(|| input.host.to_string());

    let signed: Vec<&str> = headers
        .keys()
        .map(String::as_str)
        .filter(|k| !k.contains('_'))
        .collect();
    let signed_headers = signed.join(";");
    let header_lines: String = signed
        .iter()
        .map(|k| format!("{k}:{}\n", headers[*k]))
        .collect();
    let payload_hash = if input.body.is_empty() {
        EMPTY_HASH.to_string()
    } else if let Some(preset) = headers.get(HEADER_CONTENT_SHA256) {
        preset.clone()
    } else {
        hex_sha256(input.body)
    };
    let canonical_query = canonical_query(input.query);
    let canonical_request = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        input.method.to_ascii_uppercase(),
        canonical_uri(input.path),
        canonical_query,
        header_lines,
        signed_headers,
        payload_hash
    );
    let string_to_sign = format!(
        "{ALGORITHM}\n{sdk_date}\n{}",
        hex_sha256(canonical_request.as_bytes())
    );
    // HMAC-SHA256 accepts keys of any length, so this cannot fail.
    let signature = match Hmac::<Sha256>::new_from_slice(sk) {
        Ok(mut mac) => {
            mac.update(string_to_sign.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    };
    Signature {
        authorization: format!(
            "{ALGORITHM} Access={ak}, SignedHeaders={signed_headers}, Signature={signature}"
        ),
        sdk_date,
        canonical_query,
        unsigned_payload,
        signed_headers,
        canonical_request,
    }
}

/// Signs a request in place: sets `Host` (with the port when the URL names one), `X-Sdk-Date`
/// (unless present), `X-Sdk-Content-Sha256` when needed and `Authorization`, and rewrites the
/// URL query to the canonical query that was signed. Header values are sent trimmed, as signed.
pub fn sign_request(
    request: &mut reqwest::Request,
    ak: &str,
    sk: &[u8],
    now: SystemTime,
) -> Result<(), SignError> {
    let url = request.url();
    let host = match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        (None, _) => return Err(SignError::NoHost),
    };
    let path = url.path().to_string();
    let query: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if let Some(date) = request.headers().get(HEADER_DATE) {
        if !date.to_str().is_ok_and(|d| is_sdk_date(d.trim())) {
            return Err(SignError::BadDate);
        }
    }
    let mut headers = Vec::with_capacity(request.headers().len());
    for (name, value) in request.headers() {
        if *name == reqwest::header::AUTHORIZATION {
            continue; // A retry re-signs: the old signature is not part of the new one.
        }
        let text = value
            .to_str()
            .map_err(|_| SignError::HeaderNotText(name.to_string()))?;
        headers.push((name.as_str().to_string(), text.to_string()));
    }
    let body: &[u8] = match request.body() {
        None => &[],
        Some(b) => b.as_bytes().ok_or(SignError::StreamingBody)?,
    };
    let input = SigningInput {
        method: request.method().as_str(),
        host: &host,
        path: &path,
        query: &query,
        headers: &headers,
        body,
    };
    let signature = sign(&input, ak, sk, &format_sdk_date(now));

    if signature.canonical_query.is_empty() {
        request.url_mut().set_query(None);
    } else {
        request
            .url_mut()
            .set_query(Some(&signature.canonical_query));
    }
    let set = |request: &mut reqwest::Request, name: &'static str, value: &str| {
        HeaderValue::from_str(value)
            .map(|v| {
                request
                    .headers_mut()
                    .insert(HeaderName::from_static(name), v);
            })
            .map_err(|_| SignError::HeaderNotText(name.to_string()))
    };
    for (name, value) in &headers {
        let trimmed = value.trim();
        if trimmed.len() != value.len() {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(trimmed),
            ) {
                request.headers_mut().insert(n, v);
            }
        }
    }
    set(request, "host", &host)?;
    set(request, HEADER_DATE, &signature.sdk_date)?;
    if signature.unsigned_payload {
        set(request, HEADER_CONTENT_SHA256, UNSIGNED_PAYLOAD)?;
    }
    set(request, "authorization", &signature.authorization)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_matches_python_quote_with_tilde_safe() {
        assert_eq!(encode("aZ09-_.~"), "aZ09-_.~");
        assert_eq!(encode("a b+c/d*e%f"), "a%20b%2Bc%2Fd%2Ae%25f");
        assert_eq!(encode("中"), "%E4%B8%AD");
    }

    #[test]
    fn canonical_uri_decodes_then_encodes_segments_and_ends_with_slash() {
        assert_eq!(canonical_uri("/v1/p/members"), "/v1/p/members/");
        assert_eq!(canonical_uri("/v1/a%20b/"), "/v1/a%20b/");
        assert_eq!(canonical_uri("/v1/a%2Fb"), "/v1/a/b/");
        assert_eq!(canonical_uri("/v1/%E4%B8%AD*"), "/v1/%E4%B8%AD%2A/");
    }

    #[test]
    fn canonical_query_sorts_raw_pairs() {
        let q = |pairs: &[(&str, &str)]| {
            canonical_query(
                &pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect::<Vec<_>>(),
            )
        };
        assert_eq!(q(&[("b", "2"), ("a", "z"), ("a", "y")]), "a=y&a=z&b=2");
        assert_eq!(q(&[("k", "a b")]), "k=a%20b");
        assert_eq!(q(&[]), "");
    }

    #[test]
    fn sdk_date_format() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_795_000_000);
        let d = format_sdk_date(t);
        assert!(is_sdk_date(&d), "{d}");
        assert_eq!(d, "20261118T110640Z");
        // Single-digit month, day and hour are zero-padded.
        let early = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
        assert_eq!(format_sdk_date(early), "20010909T014640Z");
        assert!(!is_sdk_date("2026-10-18T09:13:20Z"));
    }

    #[test]
    fn non_json_bodies_are_unsigned_payload_and_empty_bodies_hash_empty() {
        let headers = vec![("Content-Type".to_string(), "text/plain".to_string())];
        let input = SigningInput {
            method: "post",
            host: "h",
            path: "/x",
            query: &[],
            headers: &headers,
            body: b"hello",
        };
        let s = sign(&input, "AK", b"SK", "20261122T101500Z");
        assert!(s.unsigned_payload);
        assert!(s.canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
        assert!(s.signed_headers.contains("x-sdk-content-sha256"));
        let s = sign(
            &SigningInput { body: b"", ..input },
            "AK",
            b"SK",
            "20261122T101500Z",
        );
        assert!(s.canonical_request.ends_with(EMPTY_HASH));
    }

    #[test]
    fn headers_with_underscores_are_not_signed_and_values_are_trimmed() {
        let headers = vec![
            ("X_Custom".to_string(), "v".to_string()),
            ("Workspace".to_string(), "  ws 1 ".to_string()),
        ];
        let input = SigningInput {
            method: "GET",
            host: "h:8080",
            path: "/",
            query: &[],
            headers: &headers,
            body: b"",
        };
        let s = sign(&input, "AK", b"SK", "20261122T101500Z");
        assert_eq!(s.signed_headers, "host;workspace;x-sdk-date");
        assert!(s
            .canonical_request
            .contains("\nhost:h:8080\nworkspace:ws 1\n"));
    }
}
