//! Per-request overhead of the crate over raw reqwest, and the cost of AK/SK signing.
//!
//! All variants hit the same loopback server, which answers every request with the same small
//! JSON body over keep-alive connections, so the differences are the clients' own work.
//! `python3 bench/ratios.py` turns criterion's estimates into the ratios BENCHMARKS.md reports.

use std::{hint::black_box, time::SystemTime};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use huaweicloud_openapi::{
    auth::{signer, Credentials},
    retry::RetryPolicy,
    DataArtsClient, Execute,
};
use sha2::Digest;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

const PROJECT: &str = "0833a5737480d53b2f25c010dc1a7b88";
const PSET: &str = "fea96c90024711b8bf8d6886407b814b";
const BODY: &str = r#"{"total":1,"permission_set_members":[{"id":"d9ff4b06db43e3d4f81de1e60077a480","member_id":"b43927a45a514e93ba70524b28923500","member_name":"common_user","member_type":"USER","create_time":1698204793000}]}"#;

/// A minimal HTTP/1.1 keep-alive server answering every request with `BODY`.
async fn fixed_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("bound address");
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-request-id: bench\r\ncontent-length: {}\r\n\r\n{BODY}",
        BODY.len()
    );
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let response = response.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let mut filled = 0;
                loop {
                    match socket.read(&mut buf[filled..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => filled += n,
                    }
                    // GET requests only: a request ends at the blank line.
                    while let Some(end) = buf[..filled].windows(4).position(|w| w == b"\r\n\r\n") {
                        if socket.write_all(response.as_bytes()).await.is_err() {
                            return;
                        }
                        buf.copy_within(end + 4..filled, 0);
                        filled -= end + 4;
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

fn client(endpoint: &str, credentials: Credentials) -> DataArtsClient {
    DataArtsClient::builder()
        .endpoint(endpoint)
        .credentials(credentials)
        .project_id(PROJECT)
        .workspace("ws-bench")
        .retry_policy(RetryPolicy::disabled())
        .build()
        .expect("valid configuration")
}

fn per_request(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let endpoint = rt.block_on(fixed_server());
    let raw = reqwest::Client::new();
    let url = format!(
        "{endpoint}/v1/{PROJECT}/security/permission-sets/{PSET}/members?limit=10&offset=0"
    );
    let token = client(&endpoint, Credentials::token("bench-token").expect("token"));
    let aksk = client(
        &endpoint,
        Credentials::ak_sk("BENCHAK", "bench-sk")
            .expect("ak/sk")
            .with_project_id(PROJECT),
    );

    let mut group = c.benchmark_group("list_members");
    group.bench_function("raw_reqwest", |b| {
        b.to_async(&rt).iter(|| async {
            let response = raw
                .get(&url)
                .header("workspace", "ws-bench")
                .header("x-auth-token", "bench-token")
                .header("accept", "application/json")
                .send()
                .await
                .expect("send");
            let bytes = response.bytes().await.expect("body");
            let value: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
            black_box(value);
        })
    });
    for (name, client) in [("crate_token", &token), ("crate_aksk", &aksk)] {
        group.bench_function(name, |b| {
            b.to_async(&rt).iter(|| async {
                let page = client
                    .list_security_permission_set_members()
                    .permission_set_id(PSET)
                    .limit(10u32)
                    .offset(0)
                    .execute()
                    .await
                    .expect("list");
                black_box(page);
            })
        });
    }
    group.finish();
}

fn signing(c: &mut Criterion) {
    let mut group = c.benchmark_group("signing");
    let now = signer::format_sdk_date(SystemTime::now());
    let query = vec![
        ("limit".to_string(), "10".to_string()),
        ("offset".to_string(), "0".to_string()),
    ];
    let headers = vec![
        ("content-type".to_string(), "application/json".to_string()),
        ("workspace".to_string(), "ws-bench".to_string()),
        ("x-project-id".to_string(), PROJECT.to_string()),
    ];
    for size in [0usize, 1024, 1024 * 1024] {
        let body = vec![b'a'; size];
        group.throughput(Throughput::Bytes(size.max(1) as u64));
        group.bench_with_input(BenchmarkId::new("sign", size), &body, |b, body| {
            b.iter(|| {
                let input = signer::SigningInput {
                    method: "POST",
                    host: "dayu.cn-north-4.myhuaweicloud.com",
                    path: "/v1/0833a5737480d53b2f25c010dc1a7b88/security/permission-sets/fea96c90024711b8bf8d6886407b814b/members/batch-create",
                    query: &query,
                    headers: &headers,
                    body,
                };
                black_box(signer::sign(&input, "BENCHAK", b"bench-sk", &now))
            })
        });
        group.bench_with_input(BenchmarkId::new("sha256_floor", size), &body, |b, body| {
            b.iter(|| black_box(hex::encode(sha2::Sha256::digest(body))))
        });
    }
    group.finish();
}

criterion_group!(benches, per_request, signing);
criterion_main!(benches);
