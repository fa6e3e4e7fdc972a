//! Pagination over the fake server, and against servers that lie.
//!
//! The lying servers' walks are of DataArts' member list when that service is built, else of
//! ProjectMan's (pages shaped as the service's): the paginator is generic. The walks over the fake
//! seed it with DataArts members, so they need that service. IAM has no paged list.
#![cfg(all(feature = "fake", any(feature = "dataarts", feature = "projectman")))]
// What only DataArts' tests use goes unused without it; all features are linted in full.
#![cfg_attr(not(feature = "dataarts"), allow(dead_code, unused_imports))]

mod common;

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use futures::{StreamExt, TryStreamExt};
use huaweicloud_openapi::{
    auth::Credentials,
    fake::{FakeServer, PERMISSION_SET_ID, PROJECT_ID},
    paginate::{self, OffsetPaged, Paginate},
    retry::RetryPolicy,
    Error, Execute,
};
#[cfg(feature = "dataarts")]
use huaweicloud_openapi::{
    dataarts::types::{
        MemberOrderBy, MemberType, PermissionSetMember as Item, PermissionSetMemberCreate,
    },
    DataArtsClient as Client,
};
#[cfg(not(feature = "dataarts"))]
use huaweicloud_openapi::{projectman::types::ProjectMember as Item, ProjectManClient as Client};
use serde_json::{json, Value};
use wiremock::{matchers::any, Mock, MockServer, Request, Respond, ResponseTemplate};

/// The list the walks page through (see the module docs).
fn list(client: &Client) -> impl OffsetPaged<Item = Item> + '_ {
    #[cfg(feature = "dataarts")]
    let list = client
        .list_security_permission_set_members()
        .permission_set_id(PERMISSION_SET_ID);
    #[cfg(not(feature = "dataarts"))]
    let list = client
        .list_project_members_v4()
        .project_id(common::CODEARTS_PROJECT);
    list
}

/// The field of a page that lists its items.
const ITEMS: &str = if cfg!(feature = "dataarts") {
    "permission_set_members"
} else {
    "members"
};
/// The field of an item that identifies it.
const ID: &str = if cfg!(feature = "dataarts") {
    "id"
} else {
    "user_id"
};

/// The ID of an item of a lying server's list.
fn id(item: &Item) -> String {
    #[cfg(feature = "dataarts")]
    let id = &item.id;
    #[cfg(not(feature = "dataarts"))]
    let id = &item.user_id;
    id.clone().unwrap()
}

/// A lying server's item `m{i}`.
fn item(i: usize) -> Value {
    json!({ ID: format!("m{i}") })
}

/// A page body of `items`, with `total` when one is given.
fn page_body(total: Option<usize>, items: Vec<Value>) -> Value {
    match total {
        Some(total) => json!({"total": total, ITEMS: items}),
        None => json!({ ITEMS: items }),
    }
}

fn client(endpoint: &str) -> Client {
    let builder = Client::builder()
        .endpoint(endpoint)
        .credentials(Credentials::token("t").unwrap())
        .retry_policy(RetryPolicy::disabled());
    #[cfg(feature = "dataarts")]
    let builder = builder.project_id(PROJECT_ID).workspace("ws");
    builder.build().unwrap()
}

#[cfg(feature = "dataarts")]
async fn fake_with(members: usize) -> (FakeServer, Client) {
    let fake = FakeServer::start().await.unwrap();
    let client = client(&fake.endpoint());
    let all: Vec<_> = (0..members)
        .map(|i| PermissionSetMemberCreate {
            member_id: Some(format!("m{i:05}").parse().unwrap()),
            member_name: Some(format!("name{i:05}").parse().unwrap()),
            member_type: Some(if i % 3 == 0 {
                MemberType::UserGroup
            } else {
                MemberType::User
            }),
            workspace: None,
        })
        .collect();
    for chunk in all.chunks(500) {
        client
            .batch_create_security_permission_set_members()
            .permission_set_id(PERMISSION_SET_ID)
            .body_map(|b| b.members(chunk.to_vec()))
            .execute()
            .await
            .unwrap();
    }
    (fake, client)
}

#[cfg(feature = "dataarts")]
async fn ids(client: &Client, page_size: u32, concurrency: usize) -> Result<Vec<String>, Error> {
    client
        .list_security_permission_set_members()
        .permission_set_id(PERMISSION_SET_ID)
        .paginate(page_size)
        .concurrency(concurrency)
        .items()
        .map_ok(|m| m.member_id.unwrap())
        .try_collect()
        .await
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn totals_zero_one_one_page_and_many_pages() {
    for (members, page_size, pages) in [
        (0, 10, 1),
        (1, 10, 1),
        (10, 10, 1),
        (1000, 100, 10),
        (1001, 100, 11),
    ] {
        let (fake, client) = fake_with(members).await;
        let before = fake.request_count();
        let got = ids(&client, page_size, 1).await.unwrap();
        let expected: Vec<_> = (0..members).map(|i| format!("m{i:05}")).collect();
        assert_eq!(got, expected, "{members} members");
        assert_eq!(
            fake.request_count() - before,
            pages,
            "{members} members: requests"
        );
    }
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn filters_and_sort_are_kept_on_every_page() {
    let (_fake, client) = fake_with(300).await;
    let pages: Vec<_> = client
        .list_security_permission_set_members()
        .permission_set_id(PERMISSION_SET_ID)
        .member_type(MemberType::UserGroup)
        .order_by(MemberOrderBy::MemberName)
        .order_by_asc(false)
        .paginate(30)
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 4);
    assert!(pages.iter().all(|p| p.total == Some(100)));
    assert_eq!(
        pages.iter().map(|p| p.offset).collect::<Vec<_>>(),
        [0, 30, 60, 90]
    );
    let names: Vec<_> = pages
        .iter()
        .flat_map(|p| p.items.iter().map(|m| m.member_name.clone().unwrap()))
        .collect();
    let mut expected: Vec<_> = (0..300)
        .filter(|i| i % 3 == 0)
        .map(|i| format!("name{i:05}"))
        .collect();
    expected.reverse();
    assert_eq!(names, expected);
}

#[cfg(feature = "dataarts")]
#[tokio::test]
async fn concurrent_fetching_returns_the_same_items_in_the_same_order() {
    let (_fake, client) = fake_with(2345).await;
    let sequential = ids(&client, 100, 1).await.unwrap();
    for n in [2, 4, 8] {
        assert_eq!(
            ids(&client, 100, n).await.unwrap(),
            sequential,
            "concurrency {n}"
        );
    }
}

/// A server that pages a list of `total` items, with a hook to lie.
struct Lying {
    total: usize,
    lie: fn(offset: usize, limit: usize, page: &mut Vec<Value>, total: &mut usize),
}

impl Respond for Lying {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let q = |name: &str| {
            request
                .url
                .query_pairs()
                .find(|(k, _)| k == name)
                .and_then(|(_, v)| v.parse::<usize>().ok())
                .unwrap_or(0)
        };
        let (offset, limit) = (q("offset"), q("limit"));
        let mut total = self.total;
        let mut page: Vec<Value> = (offset..(offset + limit).min(total)).map(item).collect();
        (self.lie)(offset, limit, &mut page, &mut total);
        ResponseTemplate::new(200).set_body_json(page_body(Some(total), page))
    }
}

async fn lying_server(
    total: usize,
    lie: fn(usize, usize, &mut Vec<Value>, &mut usize),
) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(Lying { total, lie })
        .mount(&server)
        .await;
    server
}

async fn walk(
    server: &MockServer,
    page_size: u32,
    concurrency: usize,
) -> (Vec<String>, Option<Error>) {
    let client = client(&server.uri());
    let mut stream = Box::pin(
        list(&client)
            .paginate(page_size)
            .concurrency(concurrency)
            .items(),
    );
    let mut seen = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(m) => seen.push(id(&m)),
            Err(e) => {
                assert!(
                    stream.next().await.is_none(),
                    "the stream ends after an error"
                );
                return (seen, Some(e));
            }
        }
    }
    (seen, None)
}

fn pagination_offset(err: &Error) -> Option<u64> {
    match err {
        Error::Pagination { offset, .. } => Some(*offset),
        _ => None,
    }
}

fn pagination_error(err: Option<Error>, needle: &str) {
    match err {
        Some(Error::Pagination { message, .. }) => assert!(message.contains(needle), "{message}"),
        other => panic!("expected a pagination error about {needle:?}, got {other:?}"),
    }
}

#[tokio::test]
async fn an_honest_server_pages_through() {
    let server = lying_server(95, |_, _, _, _| {}).await;
    let (seen, err) = walk(&server, 10, 1).await;
    assert!(err.is_none());
    assert_eq!(seen.len(), 95);
    assert_eq!(server.received_requests().await.unwrap().len(), 10);
}

#[tokio::test]
async fn empty_page_before_total_stops() {
    let server = lying_server(50, |offset, _, page, _| {
        if offset >= 20 {
            page.clear();
        }
    })
    .await;
    let (seen, err) = walk(&server, 10, 1).await;
    assert_eq!(seen.len(), 20);
    assert_eq!(err.as_ref().and_then(pagination_offset), Some(20));
    pagination_error(err, "an empty page before the reported total of 50");
}

#[tokio::test]
async fn changing_total_stops() {
    let server = lying_server(50, |offset, _, _, total| {
        if offset >= 10 {
            *total += 1;
        }
    })
    .await;
    let (seen, err) = walk(&server, 10, 1).await;
    assert_eq!(seen.len(), 10);
    pagination_error(err, "total changed from 50 to 51");
}

#[tokio::test]
async fn page_longer_than_limit_stops() {
    let server = lying_server(50, |_, _, page, _| page.push(json!({ ID: "extra" }))).await;
    let (seen, err) = walk(&server, 10, 1).await;
    assert!(seen.is_empty());
    pagination_error(err, "more than the limit");
}

#[tokio::test]
async fn repeated_page_stops() {
    let server = lying_server(50, |_, limit, page, _| {
        *page = (0..limit).map(item).collect();
    })
    .await;
    let (seen, err) = walk(&server, 10, 1).await;
    assert_eq!(seen.len(), 10);
    pagination_error(err, "repeats the previous page");
}

#[tokio::test]
async fn a_server_without_total_stops_on_a_short_page() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(|r: &Request| {
            let offset: usize = r
                .url
                .query_pairs()
                .find(|(k, _)| k == "offset")
                .map(|(_, v)| v.parse().unwrap())
                .unwrap();
            let n = if offset < 20 { 10 } else { 3 };
            let page: Vec<_> = (offset..offset + n).map(item).collect();
            ResponseTemplate::new(200).set_body_json(page_body(None, page))
        })
        .mount(&server)
        .await;
    let (seen, err) = walk(&server, 10, 1).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(seen.len(), 23);
}

/// A hand-rolled HTTP/1.1 server that pages `total` items slowly and records the peak number of
/// requests it was serving at once.
async fn counting_server(total: usize) -> (String, Arc<AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let seen_peak = peak.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (in_flight, peak) = (in_flight.clone(), peak.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                        match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buf[..end]).to_string();
                    buf.drain(..end + 4);
                    let target = head.split(' ').nth(1).unwrap_or("/").to_string();
                    let url = reqwest::Url::parse(&format!("http://x{target}")).unwrap();
                    let q = |name: &str| {
                        url.query_pairs()
                            .find(|(k, _)| k == name)
                            .and_then(|(_, v)| v.parse::<usize>().ok())
                            .unwrap_or(0)
                    };
                    let (offset, limit) = (q("offset"), q("limit"));
                    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    let page: Vec<_> = (offset..(offset + limit).min(total)).map(item).collect();
                    let body = page_body(Some(total), page).to_string();
                    let response = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if socket.write_all(response.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (uri, seen_peak)
}

#[tokio::test]
async fn concurrency_is_bounded_and_guards_still_apply() {
    for n in [1, 4] {
        let (uri, peak) = counting_server(200).await;
        let items: Vec<_> = list(&client(&uri))
            .paginate(10)
            .concurrency(n)
            .items()
            .map_ok(|m| id(&m))
            .try_collect()
            .await
            .unwrap();
        assert_eq!(items, (0..200).map(|i| format!("m{i}")).collect::<Vec<_>>());
        assert_eq!(
            peak.load(Ordering::SeqCst),
            n,
            "at most {n} pages in flight, and {n} used"
        );
    }

    let server = lying_server(100, |offset, _, page, _| {
        if offset == 50 {
            page.clear();
        }
    })
    .await;
    let (seen, err) = walk(&server, 10, 4).await;
    assert_eq!(seen.len(), 50, "items before the bad page arrive, in order");
    assert_eq!(err.as_ref().and_then(pagination_offset), Some(50));
    pagination_error(err, "an empty page");
}

#[tokio::test]
async fn bad_page_sizes_are_rejected_before_any_request() {
    let server = lying_server(10, |_, _, _, _| {}).await;
    let (_, err) = walk(&server, 0, 1).await;
    pagination_error(err, "at least 1");
    assert!(server.received_requests().await.unwrap().is_empty());
}

/// The walk with an item key (the member record ID), page retries and an offset limit.
async fn keyed_walk(
    server: &MockServer,
    retries: u32,
    max_offset: Option<u64>,
) -> (Vec<String>, Option<Error>) {
    let client = client(&server.uri());
    let mut paginator = list(&client)
        .paginate(10)
        .concurrency(3)
        .key(id)
        .retry_pages(retries, Duration::from_millis(1));
    if let Some(max) = max_offset {
        paginator = paginator.max_offset(max);
    }
    let mut stream = Box::pin(paginator.items());
    let mut seen = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(m) => seen.push(id(&m)),
            Err(e) => return (seen, Some(e)),
        }
    }
    (seen, None)
}

#[tokio::test]
async fn a_key_seen_twice_is_an_inconsistency_naming_the_key_and_both_offsets() {
    // From offset 20 on, pages start one item early: m19 comes twice, m49 never.
    let server = lying_server(50, |offset, limit, page, total| {
        if offset >= 20 {
            *page = (offset - 1..(offset - 1 + limit).min(*total - 1))
                .map(item)
                .collect();
        }
    })
    .await;
    // Without a key, every guard passes: the walk ends "successfully" without m49.
    let (seen, err) = walk(&server, 10, 1).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(seen.len(), 50);
    assert!(!seen.contains(&"m49".to_string()));
    // With one, it stops at the page that shows it.
    let (_, err) = keyed_walk(&server, 0, None).await;
    let err = err.expect("an inconsistency");
    assert!(paginate::is_inconsistent(&err), "{err}");
    assert_eq!(pagination_offset(&err), Some(20));
    pagination_error(
        Some(err),
        "the item m19 is listed twice, on the pages at offsets 10 and 20",
    );
}

#[tokio::test]
async fn a_repeat_on_the_last_page_is_an_inconsistency() {
    // The last page repeats the first item in place of its own last one.
    let server = lying_server(25, |offset, _, page, _| {
        if offset == 20 {
            page.pop();
            page.push(item(0));
        }
    })
    .await;
    let (_, err) = keyed_walk(&server, 0, None).await;
    let err = err.expect("an inconsistency");
    assert!(paginate::is_inconsistent(&err), "{err}");
    pagination_error(Some(err), "listed twice");
}

#[tokio::test]
async fn a_failed_page_is_fetched_again_without_restarting_the_walk() {
    let server = MockServer::start().await;
    let failures = Arc::new(AtomicUsize::new(0));
    let failed = failures.clone();
    Mock::given(any())
        .respond_with(move |r: &Request| {
            let q = |name: &str| -> usize {
                r.url
                    .query_pairs()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.parse().unwrap())
                    .unwrap_or(0)
            };
            let (offset, limit) = (q("offset"), q("limit"));
            // The page at 20 fails twice (500, then 503) before it answers.
            if offset == 20 && failed.load(Ordering::SeqCst) < 2 {
                let status = if failed.fetch_add(1, Ordering::SeqCst) == 0 {
                    500
                } else {
                    503
                };
                return ResponseTemplate::new(status)
                    .set_body_json(json!({"error_code": "X", "error_msg": "injected"}));
            }
            let page: Vec<_> = (offset..(offset + limit).min(45)).map(item).collect();
            ResponseTemplate::new(200).set_body_json(page_body(Some(45), page))
        })
        .mount(&server)
        .await;
    let (seen, err) = keyed_walk(&server, 2, None).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(seen.len(), 45);
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        5 + 2,
        "five pages, the failed one twice more, nothing else again"
    );
    // Without retries the same failure ends the walk.
    failures.store(0, Ordering::SeqCst);
    let (_, err) = keyed_walk(&server, 0, None).await;
    assert_eq!(err.and_then(|e| e.status()).map(|s| s.as_u16()), Some(500));
}

#[tokio::test]
async fn a_list_longer_than_the_offset_limit_fails_at_the_first_page() {
    let server = lying_server(500, |_, _, _, _| {}).await;
    let (seen, err) = keyed_walk(&server, 0, Some(100)).await;
    assert!(seen.is_empty());
    let err = err.expect("an error");
    assert!(!paginate::is_inconsistent(&err));
    pagination_error(
        Some(err),
        "holds 500 items, but this operation reads at most 110",
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}
