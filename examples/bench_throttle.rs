//! 1,000 writes (one permission-set member added per call) from 8 concurrent tasks through one
//! client, against the embedded fake limited to 50 calls per 1-second window (answered like the
//! API gateway: 429 `APIGW.0308`). The floor is calls / rate = 20 s. Four runs, side by side, each
//! on a fresh fake:
//!
//! 1. `fixed`: the client paced at the known rate (`RateLimiter::fixed(50)`);
//! 2. `adaptive`: an adaptive limiter starting at twice the rate (100/s);
//! 3. `defaults`: the crate's defaults (no limiter; throttled writes retried within 60 s);
//! 4. `before`: throttled writes not retried, as before issue 16 (`max_throttle_wait: 0`).
//!
//! Prints, per run: failed calls, requests the fake saw, throttled answers, wall time and its
//! ratio to the floor. `bench/throttle.sh` runs it in release mode.
//!
//! `cargo run --release --features fake --example bench_throttle [-- WRITES RATE [RUN]]`

use std::{
    process::ExitCode,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use huaweicloud_openapi::{
    auth::Credentials,
    dataarts::types,
    fake::{self, FakeServer, RateLimit},
    ratelimit::RateLimiter,
    retry::RetryPolicy,
    DataArtsClient, Error, Execute,
};

const TASKS: usize = 8;

struct Run {
    name: &'static str,
    limiter: Option<RateLimiter>,
    retry: RetryPolicy,
}

struct Outcome {
    failed: usize,
    requests: usize,
    throttled: usize,
    wall: Duration,
}

fn member(i: usize) -> types::PermissionSetMemberCreate {
    types::PermissionSetMemberCreate {
        member_id: Some(
            format!("{:032x}", 0xbe_0000 + i)
                .parse()
                .expect("a valid ID"),
        ),
        member_name: Some(format!("user{i}").parse().expect("a valid name")),
        member_type: Some(types::MemberType::User),
        workspace: None,
    }
}

async fn run(run: &Run, writes: usize, rate: u32) -> Result<Outcome, Error> {
    let fake = FakeServer::start()
        .await
        .map_err(|e| Error::Config(e.to_string()))?;
    fake.record_requests(0);
    fake.set_rate_limit(Some(RateLimit::new(rate, Duration::from_secs(1))))?;
    let mut builder = DataArtsClient::builder()
        .endpoint(fake.endpoint())
        .credentials(Credentials::token("bench")?)
        .project_id(fake::PROJECT_ID)
        .workspace("dd97167b873d4a79b2aad54d4370a3bc")
        .retry_policy(run.retry.clone());
    if let Some(limiter) = &run.limiter {
        builder = builder.rate_limiter(limiter.clone());
    }
    let client = builder.build()?;
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (client, next, failed) = (client.clone(), next.clone(), failed.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= writes {
                        break;
                    }
                    let sent = client
                        .batch_create_security_permission_set_members()
                        .permission_set_id(fake::PERMISSION_SET_ID)
                        .body_map(|b| b.members(vec![member(i)]))
                        .execute()
                        .await;
                    if sent.is_err() {
                        failed.fetch_add(1, Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.map_err(|e| Error::Config(e.to_string()))?;
    }
    let wall = started.elapsed();
    Ok(Outcome {
        failed: failed.load(Ordering::SeqCst),
        requests: fake.request_count(),
        throttled: fake.throttled_count(),
        wall,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let writes: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000);
    let rate: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(50);
    let only: Option<String> = args.next();
    let floor = writes as f64 / f64::from(rate);
    let runs = match (
        RateLimiter::fixed(f64::from(rate)),
        RateLimiter::adaptive(2.0 * f64::from(rate)),
    ) {
        (Ok(fixed), Ok(adaptive)) => [
            Run {
                name: "fixed",
                limiter: Some(fixed),
                retry: RetryPolicy::default(),
            },
            Run {
                name: "adaptive",
                limiter: Some(adaptive),
                retry: RetryPolicy::default(),
            },
            Run {
                name: "defaults",
                limiter: None,
                retry: RetryPolicy::default(),
            },
            Run {
                name: "before",
                limiter: None,
                retry: RetryPolicy {
                    max_throttle_wait: Duration::ZERO,
                    ..RetryPolicy::default()
                },
            },
        ],
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "{writes} writes, {TASKS} tasks, fake limited to {rate} calls per 1 s window; \
         floor {floor:.1} s"
    );
    println!(
        "{:<10} {:>7} {:>9} {:>10} {:>9} {:>9}",
        "run", "failed", "requests", "throttled", "wall s", "x floor"
    );
    for r in runs
        .iter()
        .filter(|r| only.as_deref().is_none_or(|o| o == r.name))
    {
        match run(r, writes, rate).await {
            Ok(o) => println!(
                "{:<10} {:>7} {:>9} {:>10} {:>9.2} {:>9.2}",
                r.name,
                o.failed,
                o.requests,
                o.throttled,
                o.wall.as_secs_f64(),
                o.wall.as_secs_f64() / floor
            ),
            Err(e) => {
                eprintln!("{}: {e}", r.name);
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
