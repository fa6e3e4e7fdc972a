//! What the transport needs to know about an operation, derived from the specs by `build.rs`.
//!
//! Each service module holds a generated table of [`OperationSpec`]s, one per operation in its
//! spec, keyed by progenitor's operation ID. The transport reads the table through the hooks, so
//! it enforces each operation's own bounds and knows each operation's success body without
//! naming any generated type.
//!
//! The checks here run on the finished `reqwest::Request`, after the generated code has put the
//! parameters in the URL and the headers. By then the URL parser has already resolved `.` and
//! `..` segments (a permission ID of `..` turns `…/permission-sets/{id}/permissions/..` into
//! `…/permission-sets/{id}/`, another operation's path), so the path is compared with the
//! operation's template, segment by segment, rather than the values with a rule.

use std::{borrow::Cow, fmt::Write as _};

use percent_encoding::percent_decode_str;

use crate::Error;

/// Facts about one operation, from its spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationSpec {
    /// progenitor's operation ID (the spec's `operationId` in snake case).
    pub id: &'static str,
    /// The spec's `operationId`, as the official SDKs spell it.
    pub name: &'static str,
    /// HTTP method, upper case.
    pub method: &'static str,
    /// Path template, with `{name}` placeholders.
    pub path: &'static str,
    /// The documented success answer has no body (204).
    pub no_content: bool,
    /// Top-level fields of the success body; a 2xx body with an error code and none of these is
    /// an error in disguise.
    pub success_fields: &'static [&'static str],
    /// Bounds of integer query parameters.
    pub query_bounds: &'static [QueryBound],
    /// Bounds of arrays in the JSON request body.
    pub body_arrays: &'static [ArrayBound],
    /// `offset` must be a multiple of `limit` (from the spec's `x-pagination`).
    pub offset_multiple_of_limit: bool,
    /// The path, query and header parameters, with the lengths the spec allows.
    pub params: &'static [ParamSpec],
}

/// Where a parameter goes in the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamLocation {
    /// A `{placeholder}` of the path template.
    Path,
    /// A query parameter.
    Query,
    /// A request header.
    Header,
}

/// A path, query or header parameter of an operation, as far as the request check needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamSpec {
    /// The spec's name: the placeholder, query key or header name.
    pub name: &'static str,
    /// Where it goes.
    pub location: ParamLocation,
    /// The spec's `maxLength` of a string parameter, in characters.
    pub max_length: Option<u64>,
}

/// The range an integer query parameter must lie in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryBound {
    /// Parameter name.
    pub name: &'static str,
    /// Smallest allowed value.
    pub minimum: Option<i64>,
    /// Largest allowed value.
    pub maximum: Option<i64>,
}

/// How many items an array in the request body may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArrayBound {
    /// Where the array is, as a JSON pointer (`/users`).
    pub pointer: &'static str,
    /// Fewest items allowed.
    pub min_items: Option<u64>,
    /// Most items allowed.
    pub max_items: Option<u64>,
}

/// One operation and the glue `build.rs` derived for it. Each function only exists if the glue
/// does (it names the `Execute` impl, the client method, the `OffsetPaged` impl), so a test that
/// holds this table against the spec proves every operation has its glue.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Glued {
    /// The spec's `operationId`.
    pub name: &'static str,
    /// Names the operation's `Execute` impl.
    pub execute: fn(),
    /// Names the service client's method for the operation.
    pub client_method: fn(),
    /// Names the `OffsetPaged` impl of a list operation.
    pub paginated: Option<fn()>,
}

#[doc(hidden)]
pub fn implements_execute<T: crate::Execute>() {}

#[doc(hidden)]
pub fn implements_paged<T: crate::paginate::OffsetPaged>() {}

/// What an example call returns: the decoded answer, serialized back to JSON.
#[cfg(feature = "spec-examples")]
#[doc(hidden)]
pub type ExampleFuture<'a> = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<serde_json::Value, Error>> + Send + 'a>,
>;

/// Sends one operation with the spec's example values.
#[cfg(feature = "spec-examples")]
#[doc(hidden)]
pub type ExampleCall<C> = for<'a> fn(&'a C) -> ExampleFuture<'a>;

/// What an [`ExampleCallWith`] sends instead of the spec's examples.
#[cfg(feature = "spec-examples")]
#[doc(hidden)]
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `(parameter name, value)` for string parameters, replacing the example or the client's
    /// default.
    pub params: Vec<(String, String)>,
    /// The JSON request body, replacing the example.
    pub body: Option<serde_json::Value>,
}

#[cfg(feature = "spec-examples")]
impl Overrides {
    /// The value to send for parameter `name`, if it is replaced.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one operation with the spec's example values, some of them replaced.
#[cfg(feature = "spec-examples")]
#[doc(hidden)]
pub type ExampleCallWith<C> = for<'a> fn(&'a C, Overrides) -> ExampleFuture<'a>;

/// The operation with this progenitor ID in `table`.
pub fn find<'t>(table: &'t [OperationSpec], id: &str) -> Option<&'t OperationSpec> {
    table.iter().find(|op| op.id == id)
}

impl OperationSpec {
    /// Checks the request against the spec before anything is sent; the error names the
    /// parameter. `base_path` is the path of the configured endpoint, which the generated code
    /// puts before the operation's path.
    pub(crate) fn validate(
        &self,
        request: &reqwest::Request,
        base_path: &str,
    ) -> Result<(), Error> {
        self.validate_path(request.url().path(), base_path)?;
        self.validate_headers(request.headers())?;
        let mut limit = None;
        let mut offset = None;
        for (key, value) in request.url().query_pairs() {
            if let Some(param) = self.param(&key, ParamLocation::Query) {
                check_length(param, &value)?;
            }
            let Some(bound) = self.query_bounds.iter().find(|b| b.name == key) else {
                continue;
            };
            let number: i64 = value.parse().map_err(|_| {
                Error::InvalidRequest(format!("{key} must be an integer, not {}", quote(&value)))
            })?;
            bound.check(number)?;
            match bound.name {
                "limit" => limit = Some(number),
                "offset" => offset = Some(number),
                _ => {}
            }
        }
        validate_url_length(request.url())?;
        if self.offset_multiple_of_limit {
            if let (Some(offset), Some(limit)) = (offset, limit) {
                if limit > 0 && offset % limit != 0 {
                    return Err(Error::InvalidRequest(format!(
                        "offset must be a multiple of limit ({limit}), not {offset}"
                    )));
                }
            }
        }
        if !self.body_arrays.is_empty() {
            self.validate_body(request)?;
        }
        Ok(())
    }

    fn param(&self, name: &str, location: ParamLocation) -> Option<&'static ParamSpec> {
        self.params
            .iter()
            .find(|p| p.location == location && p.name == name)
    }

    /// The request's path must be the endpoint's path followed by the template, one segment per
    /// placeholder, none of them empty, `.` or `..`. A path that does not line up means the URL
    /// parser has resolved a dot segment (or split a value at a `\`): the request would name
    /// another resource, so it is refused, naming the parameter that explains the difference.
    fn validate_path(&self, path: &str, base_path: &str) -> Result<(), Error> {
        let expected: Vec<Segment<'_>> = segments(base_path.trim_end_matches('/'))
            .map(Segment::Literal)
            .chain(segments(self.path).map(Segment::of_template))
            .collect();
        let actual: Vec<&str> = segments(path).collect();
        if lines_up(&expected, &actual) {
            for (segment, value) in expected.iter().zip(&actual) {
                let Segment::Param(name) = segment else {
                    continue;
                };
                let value = decode(value);
                if value.is_empty() || is_dot_segment(&value) {
                    return Err(not_a_segment(&[name]));
                }
                if let Some(param) = self.param(name, ParamLocation::Path) {
                    check_length(param, &value)?;
                }
            }
            return Ok(());
        }
        let (names, split) = explain_mismatch(&expected, &actual);
        if split {
            return Err(Error::InvalidRequest(format!(
                "path parameter{} {} must be one path segment, but holds a `\\`, which URLs read \
                 as `/`",
                if names.len() > 1 { "s" } else { "" },
                names.join(", ")
            )));
        }
        if names.is_empty() {
            let all: Vec<&str> = expected
                .iter()
                .filter_map(|s| match s {
                    Segment::Param(name) => Some(*name),
                    Segment::Literal(_) => None,
                })
                .collect();
            return Err(Error::InvalidRequest(format!(
                "the request path does not follow the operation's path {}: one of the path \
                 parameters {} is empty, `.`, `..` or holds a `\\`",
                self.path,
                all.join(", ")
            )));
        }
        Err(not_a_segment(&names))
    }

    /// Header parameters must be printable ASCII (what HTTP carries unchanged) and within their
    /// length. A value that `reqwest` refuses outright (CR, LF, other control characters) never
    /// gets here: `build.rs` makes the generated code refuse it with [`header_value`].
    fn validate_headers(&self, headers: &reqwest::header::HeaderMap) -> Result<(), Error> {
        for param in self.params {
            if param.location != ParamLocation::Header {
                continue;
            }
            for value in headers.get_all(param.name) {
                let text =
                    header_text(param.name, value.as_bytes()).map_err(Error::InvalidRequest)?;
                check_length(param, text)?;
            }
        }
        Ok(())
    }

    fn validate_body(&self, request: &reqwest::Request) -> Result<(), Error> {
        let Some(bytes) = request.body().and_then(|b| b.as_bytes()) else {
            return Ok(());
        };
        let Ok(body) = serde_json::from_slice::<serde_json::Value>(bytes) else {
            return Ok(());
        };
        for bound in self.body_arrays {
            match body.pointer(bound.pointer) {
                Some(serde_json::Value::Array(items)) => bound.check(items.len() as u64)?,
                // The generated types leave an optional list out of the body when it is empty
                // (`skip_serializing_if = "Vec::is_empty"`), so a missing list is an empty one,
                // as long as the object that would hold it was sent.
                None | Some(serde_json::Value::Null) if bound.min_items.unwrap_or(0) > 0 => {
                    let parent = match bound.pointer.rfind('/') {
                        Some(at) => body.pointer(&bound.pointer[..at]),
                        None => None,
                    };
                    if parent.is_some_and(serde_json::Value::is_object) {
                        bound.check(0)?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// The longest URL the HTTP stack can send (the `http` crate's limit); a longer one fails inside
/// `reqwest` with an error quoting the whole URL, after the request was accepted as valid.
const MAX_URL_BYTES: usize = u16::MAX as usize - 1;

/// Refuses a URL too long to send, naming the query parameter that makes it so (parameters
/// without a `maxLength` in the spec can be any length).
fn validate_url_length(url: &reqwest::Url) -> Result<(), Error> {
    let length = url.as_str().len();
    if length <= MAX_URL_BYTES {
        return Ok(());
    }
    let longest = url
        .query_pairs()
        .max_by_key(|(_, value)| value.len())
        .filter(|(_, value)| value.len() > url.path().len());
    Err(Error::InvalidRequest(match longest {
        Some((key, value)) => format!(
            "{key} makes the URL {length} bytes long, more than the {MAX_URL_BYTES} a request can \
             carry: {}",
            quote(&value)
        ),
        None => format!(
            "the URL is {length} bytes long, more than the {MAX_URL_BYTES} a request can carry"
        ),
    }))
}

/// A segment of the path the request should have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segment<'a> {
    Literal(&'a str),
    /// A `{placeholder}`, by name.
    Param(&'a str),
}

impl<'a> Segment<'a> {
    fn of_template(segment: &'a str) -> Self {
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => Segment::Param(name),
            None => Segment::Literal(segment),
        }
    }
}

/// The segments of an absolute path (`/a/b` → `a`, `b`; `/` → one empty segment; `` → none).
fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.strip_prefix('/')
        .into_iter()
        .flat_map(|p| p.split('/'))
}

/// Whether `actual` has one segment per expected one and the literal ones are equal.
fn lines_up(expected: &[Segment<'_>], actual: &[&str]) -> bool {
    expected.len() == actual.len()
        && expected.iter().zip(actual).all(|(e, a)| match e {
            Segment::Literal(l) => l == a,
            Segment::Param(_) => true,
        })
}

/// A placeholder's value in the hypotheses of [`explain_mismatch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guess {
    Plain,
    Dot,
    DotDot,
}

/// The path parameters whose values explain why `actual` does not line up with `expected`.
/// First: which of them, set to `.` or `..`, turn the template into this path once the URL
/// parser has resolved the dot segments (the fewest that do). Else: the placeholders where the
/// path stops lining up from the left and from the right (a value the parser split, at a `\`),
/// with `true`.
fn explain_mismatch<'a>(expected: &[Segment<'a>], actual: &[&str]) -> (Vec<&'a str>, bool) {
    let params: Vec<usize> = expected
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s, Segment::Param(_)))
        .map(|(i, _)| i)
        .collect();
    let name = |i: usize| match expected[i] {
        Segment::Param(name) => name,
        Segment::Literal(l) => l,
    };
    // 3^k hypotheses; paths have a handful of placeholders, and more than 8 are not searched.
    if params.len() <= 8 {
        let count = 3usize.pow(params.len() as u32);
        let mut best: Option<Vec<usize>> = None;
        for code in 0..count {
            let mut guesses = vec![Guess::Plain; expected.len()];
            let mut c = code;
            for &i in &params {
                guesses[i] = [Guess::Plain, Guess::Dot, Guess::DotDot][c % 3];
                c /= 3;
            }
            let changed: Vec<usize> = params
                .iter()
                .copied()
                .filter(|&i| guesses[i] != Guess::Plain)
                .collect();
            if changed.is_empty() || best.as_ref().is_some_and(|b| b.len() <= changed.len()) {
                continue;
            }
            if resolves_to(expected, &guesses, actual) {
                best = Some(changed);
            }
        }
        if let Some(best) = best {
            return (best.into_iter().map(name).collect(), false);
        }
    }
    let matches = |e: &Segment<'_>, a: &&str| match e {
        Segment::Literal(l) => l == a,
        Segment::Param(_) => true,
    };
    let split: Vec<&str> = params
        .iter()
        .copied()
        .filter(|&i| {
            let before = &expected[..i];
            let after = &expected[i + 1..];
            actual.len() > before.len() + after.len()
                && before.iter().zip(actual).all(|(e, a)| matches(e, a))
                && after
                    .iter()
                    .rev()
                    .zip(actual.iter().rev())
                    .all(|(e, a)| matches(e, a))
        })
        .map(name)
        .collect();
    let found = !split.is_empty();
    (split, found)
}

/// Resolves the dot segments of `expected` with the guessed values as the URL standard does and
/// compares the result with `actual` (a plain placeholder matches any segment).
fn resolves_to(expected: &[Segment<'_>], guesses: &[Guess], actual: &[&str]) -> bool {
    let mut out: Vec<Option<&str>> = Vec::with_capacity(expected.len());
    let last = expected.len().saturating_sub(1);
    for (i, (segment, guess)) in expected.iter().zip(guesses).enumerate() {
        match (segment, guess) {
            (_, Guess::Dot) => {
                if i == last {
                    out.push(Some(""));
                }
            }
            (_, Guess::DotDot) => {
                out.pop();
                if i == last {
                    out.push(Some(""));
                }
            }
            (Segment::Literal(l), Guess::Plain) => out.push(Some(l)),
            (Segment::Param(_), Guess::Plain) => out.push(None),
        }
    }
    out.len() == actual.len()
        && out
            .iter()
            .zip(actual)
            .all(|(o, a)| o.is_none_or(|o| o == *a))
}

/// A path segment as the caller gave it (the generated code percent-encodes values).
fn decode(segment: &str) -> Cow<'_, str> {
    percent_decode_str(segment).decode_utf8_lossy()
}

/// `.` or `..`, also percent-encoded (`%2e`, `%2E%2e`, once or twice over): what a server or
/// proxy on the way may resolve after decoding. For any code that puts a value in a path after
/// the request check (the project ID looked up at the first request).
pub(crate) fn is_dot_segment(value: &str) -> bool {
    let mut value = Cow::Borrowed(value);
    for _ in 0..4 {
        if value == "." || value == ".." {
            return true;
        }
        let decoded = percent_decode_str(&value).decode_utf8_lossy().into_owned();
        if decoded == value {
            return false;
        }
        value = Cow::Owned(decoded);
    }
    false
}

fn not_a_segment(names: &[&str]) -> Error {
    let subject = match names {
        [one] => format!("path parameter {one}"),
        many => format!("path parameters {}", many.join(", ")),
    };
    Error::InvalidRequest(format!(
        "{subject} must not be empty, `.` or `..` (nor these percent-encoded): the request would \
         name another resource"
    ))
}

fn check_length(param: &ParamSpec, value: &str) -> Result<(), Error> {
    let Some(max) = param.max_length else {
        return Ok(());
    };
    let length = value.chars().count() as u64;
    if length > max {
        return Err(Error::InvalidRequest(format!(
            "{} must be at most {max} characters, not {length}: {}",
            param.name,
            quote(value)
        )));
    }
    Ok(())
}

/// What the generated code calls instead of `HeaderValue::try_from` for a header parameter
/// (`build.rs` rewrites progenitor's output), so that a value HTTP cannot carry is refused with
/// the header's name. The value itself is not quoted: a header may carry a secret.
#[doc(hidden)]
pub fn header_value(name: &str, value: &str) -> Result<reqwest::header::HeaderValue, String> {
    header_text(name, value.as_bytes())?;
    reqwest::header::HeaderValue::from_str(value)
        .map_err(|_| format!("the {name} header cannot be sent"))
}

/// The value of header `name` if it is printable ASCII (space to `~`), else why not.
fn header_text<'v>(name: &str, value: &'v [u8]) -> Result<&'v str, String> {
    let bad = value.iter().position(|b| !(b' '..=b'~').contains(b));
    match (bad, std::str::from_utf8(value)) {
        (None, Ok(text)) => Ok(text),
        (Some(at), _) => {
            let what = match value[at] {
                b'\r' => "a carriage return (CR)",
                b'\n' => "a line feed (LF)",
                0x80.. => "a character that is not ASCII",
                _ => "a control character",
            };
            Err(format!(
                "the {name} header must be printable ASCII, but holds {what} at byte {at} of {}",
                value.len()
            ))
        }
        (None, Err(_)) => Err(format!("the {name} header must be printable ASCII")),
    }
}

/// Longest part of a bad value an error message quotes.
const QUOTE_CHARS: usize = 64;

/// A value quoted for an error message, cut to [`QUOTE_CHARS`] characters with the full
/// length, so that a huge value never makes a huge message.
pub(crate) fn quote(value: &str) -> String {
    let length = value.chars().count();
    if length <= QUOTE_CHARS {
        return format!("{value:?}");
    }
    let head: String = value.chars().take(QUOTE_CHARS).collect();
    format!("{head:?}… ({length} characters)")
}

impl QueryBound {
    fn check(&self, value: i64) -> Result<(), Error> {
        let below = self.minimum.is_some_and(|min| value < min);
        let above = self.maximum.is_some_and(|max| value > max);
        if below || above {
            return Err(Error::InvalidRequest(format!(
                "{} must be {}, not {value}",
                self.name,
                range(self.minimum, self.maximum)
            )));
        }
        Ok(())
    }
}

impl ArrayBound {
    fn check(&self, len: u64) -> Result<(), Error> {
        let min = self.min_items.map(|m| m as i64);
        let max = self.max_items.map(|m| m as i64);
        if min.is_some_and(|m| (len as i64) < m) || max.is_some_and(|m| (len as i64) > m) {
            return Err(Error::InvalidRequest(format!(
                "{} must hold {} items, not {len}",
                self.pointer.trim_start_matches('/').replace('/', "."),
                range(min, max)
            )));
        }
        Ok(())
    }
}

fn range(min: Option<i64>, max: Option<i64>) -> String {
    let mut text = String::new();
    let _ = match (min, max) {
        (Some(a), Some(b)) => write!(text, "between {a} and {b}"),
        (Some(a), None) => write!(text, "at least {a}"),
        (None, Some(b)) => write!(text, "at most {b}"),
        (None, None) => write!(text, "any number of"),
    };
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: OperationSpec = OperationSpec {
        id: "list",
        name: "List",
        method: "GET",
        path: "/x",
        no_content: false,
        success_fields: &["items", "total"],
        query_bounds: &[
            QueryBound {
                name: "limit",
                minimum: Some(1),
                maximum: Some(100),
            },
            QueryBound {
                name: "offset",
                minimum: Some(0),
                maximum: None,
            },
        ],
        body_arrays: &[ArrayBound {
            pointer: "/users",
            min_items: Some(1),
            max_items: Some(2),
        }],
        offset_multiple_of_limit: true,
        params: &[
            ParamSpec {
                name: "name",
                location: ParamLocation::Query,
                max_length: Some(5),
            },
            ParamSpec {
                name: "workspace",
                location: ParamLocation::Header,
                max_length: Some(8),
            },
        ],
    };

    /// An operation with three path parameters, like DataArts' permission update.
    const ITEM: OperationSpec = OperationSpec {
        id: "item",
        name: "Item",
        method: "PUT",
        path: "/v1/{project_id}/sets/{set_id}/permissions/{permission_id}",
        no_content: false,
        success_fields: &[],
        query_bounds: &[],
        body_arrays: &[],
        offset_multiple_of_limit: false,
        params: &[
            ParamSpec {
                name: "project_id",
                location: ParamLocation::Path,
                max_length: None,
            },
            ParamSpec {
                name: "set_id",
                location: ParamLocation::Path,
                max_length: Some(128),
            },
            ParamSpec {
                name: "permission_id",
                location: ParamLocation::Path,
                max_length: Some(128),
            },
        ],
    };

    fn request(query: &str, body: Option<&str>) -> reqwest::Request {
        let client = reqwest::Client::new();
        let mut b = client.post(format!("http://127.0.0.1/x?{query}"));
        if let Some(body) = body {
            b = b.body(body.to_owned());
        }
        b.build().unwrap()
    }

    fn message(query: &str, body: Option<&str>) -> Option<String> {
        LIST.validate(&request(query, body), "/")
            .err()
            .map(|e| e.to_string())
    }

    #[test]
    fn query_bounds_name_the_parameter() {
        assert_eq!(message("limit=100&offset=200", None), None);
        let m = message("limit=101", None).unwrap();
        assert!(
            m.contains("limit must be between 1 and 100, not 101"),
            "{m}"
        );
        let m = message("limit=0", None).unwrap();
        assert!(m.contains("limit"), "{m}");
        let m = message("offset=-1", None).unwrap();
        assert!(m.contains("offset must be at least 0"), "{m}");
        let m = message("limit=x", None).unwrap();
        assert!(m.contains("limit must be an integer"), "{m}");
        assert_eq!(message("other=-5", None), None);
    }

    #[test]
    fn offset_must_be_a_multiple_of_limit_when_the_spec_says_so() {
        let m = message("limit=10&offset=15", None).unwrap();
        assert!(m.contains("multiple of limit"), "{m}");
        assert_eq!(message("limit=10&offset=20", None), None);
    }

    #[test]
    fn body_arrays_are_counted() {
        assert_eq!(message("", Some(r#"{"users":[1,2]}"#)), None);
        let m = message("", Some(r#"{"users":[1,2,3]}"#)).unwrap();
        assert!(
            m.contains("users must hold between 1 and 2 items, not 3"),
            "{m}"
        );
        let m = message("", Some(r#"{"users":[]}"#)).unwrap();
        assert!(m.contains("not 0"), "{m}");
    }

    #[test]
    fn a_bounded_array_left_out_of_the_body_counts_as_empty() {
        // What the generated types send for an empty optional list: nothing.
        for body in [r#"{"other":[]}"#, "{}", r#"{"users":null}"#] {
            let m = message("", Some(body)).unwrap();
            assert!(
                m.contains("users must hold between 1 and 2 items, not 0"),
                "{body}: {m}"
            );
        }
        // Not a JSON object: nothing to count (the service answers for it).
        assert_eq!(message("", Some("[]")), None);
        assert_eq!(message("", None), None);
    }

    /// The request the generated code builds for ITEM: each value through progenitor's
    /// `encode_path`, then parsed as a URL (which resolves dot segments).
    fn item(base: &str, project: &str, set: &str, permission: &str) -> Result<(), String> {
        use progenitor_client::encode_path;
        let url = format!(
            "http://127.0.0.1{base}/v1/{}/sets/{}/permissions/{}",
            encode_path(project),
            encode_path(set),
            encode_path(permission)
        );
        let request = reqwest::Request::new(reqwest::Method::PUT, url.parse().unwrap());
        let base_path = reqwest::Url::parse(&format!("http://127.0.0.1{base}"))
            .unwrap()
            .path()
            .to_owned();
        ITEM.validate(&request, &base_path)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn plain_path_values_pass() {
        for base in ["", "/api", "/a/b"] {
            assert_eq!(item(base, "p1", "s1", "x1"), Ok(()));
            for odd in [
                "a.b",
                "...",
                ".a",
                "a..",
                "%41",
                "a/b",
                "a?b#c",
                "ünï",
                "%2e%2e%2e",
            ] {
                assert_eq!(item(base, odd, odd, odd), Ok(()), "{base} {odd}");
            }
        }
    }

    #[test]
    fn dots_and_empty_values_are_refused_naming_the_parameter() {
        let bad = [
            "",
            ".",
            "..",
            "%2e",
            "%2E",
            "%2e%2e",
            "%2E%2e",
            ".%2e",
            "%2e.",
            "%252e%252e",
        ];
        for base in ["", "/api", "/a/b"] {
            for value in bad {
                for (which, (p, s, x)) in [
                    ("project_id", (value, "s1", "x1")),
                    ("set_id", ("p1", value, "x1")),
                    ("permission_id", ("p1", "s1", value)),
                ] {
                    let m = item(base, p, s, x).expect_err(value);
                    assert!(
                        m.contains(&format!(
                            "path parameter {which} must not be empty, `.` or `..`"
                        )),
                        "{base} {which}={value:?}: {m}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_value_the_url_parser_splits_is_refused_naming_the_parameter() {
        // `\` is a path separator in http URLs, and progenitor's encode_path leaves it alone.
        for value in ["a\\b", "a\\", "\\b", "a\\b\\c"] {
            let m = item("", "p1", value, "x1").expect_err(value);
            assert!(
                m.contains("path parameter set_id must be one path segment, but holds a `\\`"),
                "{value:?}: {m}"
            );
            assert!(
                !m.contains("project_id") && !m.contains("permission_id"),
                "{m}"
            );
        }
        // With dots inside, any of them could be at fault: all are named.
        let m = item("", "p1", "s1", "..\\..\\x").expect_err("traversal");
        assert!(m.contains("permission_id"), "{m}");
    }

    #[test]
    fn several_dot_values_are_all_named() {
        let m = item("", "p1", "..", "..").unwrap_err();
        assert!(m.contains("set_id") && m.contains("permission_id"), "{m}");
    }

    #[test]
    fn over_long_values_are_refused_with_a_bounded_message() {
        let long = "a".repeat(100_000);
        let m = item("", "p1", &long, "x1").unwrap_err();
        assert!(
            m.contains("set_id must be at most 128 characters, not 100000"),
            "{m}"
        );
        assert!(m.len() < 300, "{} characters", m.len());
        assert_eq!(item("", "p1", &"a".repeat(128), "x1"), Ok(()));
        // No maxLength in the spec: no bound here.
        assert_eq!(item("", &"a".repeat(500), "s1", "x1"), Ok(()));

        let m = message(&format!("name={long}"), Some(r#"{"users":[1]}"#)).unwrap();
        assert!(
            m.contains("name must be at most 5 characters, not 100000"),
            "{m}"
        );
        assert!(m.len() < 300, "{} characters", m.len());
        let m = message(&format!("limit={long}"), None).unwrap();
        assert!(m.contains("limit must be an integer"), "{m}");
        assert!(m.len() < 300, "{} characters", m.len());
    }

    #[test]
    fn a_url_too_long_to_send_is_refused_naming_the_query_parameter() {
        let fits = format!("name=ok&other={}", "a".repeat(60_000));
        assert_eq!(message(&fits, Some(r#"{"users":[1]}"#)), None);
        let m = message(
            &format!("name=ok&other={}", "a".repeat(100_000)),
            Some(r#"{"users":[1]}"#),
        )
        .unwrap();
        assert!(m.contains("other makes the URL 100"), "{m}");
        assert!(m.contains("more than the 65534 a request can carry"), "{m}");
        assert!(m.len() < 300, "{} characters", m.len());
    }

    fn with_header(value: &[u8]) -> Option<String> {
        let mut request = request("", Some(r#"{"users":[1]}"#));
        request.headers_mut().insert(
            "workspace",
            reqwest::header::HeaderValue::from_bytes(value).unwrap(),
        );
        LIST.validate(&request, "/").err().map(|e| e.to_string())
    }

    #[test]
    fn header_values_must_be_printable_ascii_and_within_their_length() {
        assert_eq!(with_header(b"ws-1 ok"), None);
        let m = with_header("wsé".as_bytes()).unwrap();
        assert!(
            m.contains("the workspace header must be printable ASCII"),
            "{m}"
        );
        assert!(m.contains("not ASCII at byte 2"), "{m}");
        let m = with_header(b"a\tb").unwrap();
        assert!(
            m.contains("workspace") && m.contains("control character"),
            "{m}"
        );
        let m = with_header(b"123456789").unwrap();
        assert!(
            m.contains("workspace must be at most 8 characters, not 9"),
            "{m}"
        );
    }

    #[test]
    fn header_value_names_the_header_for_what_http_cannot_carry() {
        assert!(header_value("workspace", "ws-1").is_ok());
        for (value, what) in [
            ("a\r\nX-Injected: 1", "carriage return"),
            ("a\nb", "line feed"),
            ("a\u{7f}", "control character"),
            ("a\u{0}", "control character"),
            ("wsé", "not ASCII"),
        ] {
            let m = header_value("workspace", value).unwrap_err();
            assert!(
                m.contains("the workspace header must be printable ASCII"),
                "{m}"
            );
            assert!(m.contains(what), "{value:?}: {m}");
            assert!(!m.contains("Injected"), "the value is not quoted: {m}");
        }
    }

    #[test]
    fn quotes_are_bounded() {
        assert_eq!(quote("abc"), "\"abc\"");
        let q = quote(&"x".repeat(100_000));
        assert!(q.ends_with("… (100000 characters)"), "{q}");
        assert!(q.chars().count() < 100, "{q}");
    }
}
