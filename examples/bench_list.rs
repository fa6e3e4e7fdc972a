//! N sequential list-members calls signed with AK/SK against an endpoint; prints the elapsed
//! seconds. The crate's side of `bench/compare_official.sh`.
//!
//! `cargo run --release --example bench_list -- http://127.0.0.1:PORT 1000`

use std::{process::ExitCode, time::Instant};

use huaweicloud_openapi::{auth::Credentials, retry::RetryPolicy, DataArtsClient, Execute};

const PROJECT: &str = "0833a5737480d53b2f25c010dc1a7b88";
const PSET: &str = "fea96c90024711b8bf8d6886407b814b";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(endpoint), Some(count)) =
        (args.next(), args.next().and_then(|n| n.parse::<u32>().ok()))
    else {
        eprintln!("usage: bench_list <endpoint> <calls>");
        return ExitCode::from(2);
    };
    let client = match Credentials::ak_sk("BENCHAK0123456789", "bench-secret-key").and_then(|c| {
        DataArtsClient::builder()
            .endpoint(endpoint)
            .credentials(c.with_project_id(PROJECT))
            .workspace("ws-bench")
            .retry_policy(RetryPolicy::disabled())
            .build()
    }) {
        Ok(client) => client,
        Err(e) => {
            eprintln!("bench_list: {e}");
            return ExitCode::FAILURE;
        }
    };
    let started = Instant::now();
    for _ in 0..count {
        let call = client
            .list_security_permission_set_members()
            .permission_set_id(PSET)
            .limit(10u32)
            .offset(0)
            .execute()
            .await;
        if let Err(e) = call {
            eprintln!("bench_list: {e}");
            return ExitCode::FAILURE;
        }
    }
    println!("{:.3}", started.elapsed().as_secs_f64());
    ExitCode::SUCCESS
}
