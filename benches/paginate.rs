//! Listing members from the fake server:
//! - against a fake with 20 ms of latency per request, as a remote service has: 10,000 members,
//!   pages of 100, one page at a time against 8 in flight (the ratio is what concurrency buys),
//!   and the peak heap of the concurrent walk at 10k and 100k members;
//! - against a fake with no latency: 100,000 members, items/s for page sizes 100 and 1000,
//!   sequential and with 4 and 8 pages in flight, and the peak heap the walk adds at 10k and 100k
//!   members (it must stay flat as the total grows: the stream holds pages, not the list).
//!
//! `cargo bench --features fake --bench paginate`

use std::{
    alloc::{GlobalAlloc, Layout, System},
    hint::black_box,
    sync::atomic::{AtomicUsize, Ordering},
    time::{Duration, Instant},
};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use futures::StreamExt;
use huaweicloud_openapi::{
    auth::Credentials,
    dataarts::types::{MemberType, PermissionSetMemberCreate},
    fake::{FakeServer, PERMISSION_SET_ID, PROJECT_ID},
    paginate::Paginate,
    retry::RetryPolicy,
    DataArtsClient, Execute,
};

/// Counts live heap bytes and their peak, so the bench can report memory next to speed.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

async fn populated(members: usize) -> (FakeServer, DataArtsClient) {
    let fake = FakeServer::start().await.expect("fake starts");
    // Recording requests would grow the heap with every page and blur the peak.
    fake.record_requests(0);
    let client = DataArtsClient::builder()
        .endpoint(fake.endpoint())
        .credentials(Credentials::token("bench").expect("token"))
        .project_id(PROJECT_ID)
        .workspace("ws-bench")
        .retry_policy(RetryPolicy::disabled())
        .build()
        .expect("client");
    let all: Vec<_> = (0..members)
        .map(|i| PermissionSetMemberCreate {
            member_id: Some(format!("{i:032x}").parse().expect("a member ID")),
            member_name: Some(format!("bench_user_{i:06}").parse().expect("a member name")),
            member_type: Some(MemberType::User),
            workspace: None,
        })
        .collect();
    for chunk in all.chunks(1000) {
        client
            .batch_create_security_permission_set_members()
            .permission_set_id(PERMISSION_SET_ID)
            .body_map(|b| b.members(chunk.to_vec()))
            .execute()
            .await
            .expect("populate");
    }
    (fake, client)
}

async fn walk(client: &DataArtsClient, page_size: u32, concurrency: usize) -> usize {
    let items = client
        .list_security_permission_set_members()
        .permission_set_id(PERMISSION_SET_ID)
        .paginate(page_size)
        .concurrency(concurrency)
        .max_items(1_000_000)
        .max_pages(100_000)
        .items();
    let mut items = std::pin::pin!(items);
    let mut count = 0;
    while let Some(item) = items.next().await {
        black_box(item.expect("member"));
        count += 1;
    }
    count
}

/// Peak heap added by one walk, with the fake's own state already allocated.
fn peak_during(
    rt: &tokio::runtime::Runtime,
    client: &DataArtsClient,
    page_size: u32,
    concurrency: usize,
) -> usize {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let n = rt.block_on(walk(client, page_size, concurrency));
    black_box(n);
    PEAK.load(Ordering::Relaxed).saturating_sub(base)
}

fn with_latency(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let latency = Duration::from_millis(20);

    println!("peak heap added by a full walk with 20 ms latency, page 100, 8 in flight:");
    for total in [10_000usize, 100_000] {
        let (fake, client) = rt.block_on(populated(total));
        fake.set_latency(latency);
        let peak = peak_during(&rt, &client, 100, 8);
        println!(
            "  total {total:>6}: {:>7.2} MiB",
            peak as f64 / (1024.0 * 1024.0)
        );
    }

    let total = 10_000usize;
    let (fake, client) = rt.block_on(populated(total));
    fake.set_latency(latency);
    let mut group = c.benchmark_group("latency20ms_10k");
    group.sample_size(10);
    group.throughput(Throughput::Elements(total as u64));
    for conc in [1usize, 8] {
        group.bench_with_input(
            BenchmarkId::new("page100", format!("concurrency{conc}")),
            &conc,
            |b, &conc| b.iter(|| assert_eq!(rt.block_on(walk(&client, 100, conc)), total)),
        );
    }
    group.finish();
}

fn pagination(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");

    println!("peak heap added by a full walk (includes the fake's per-page response buffers):");
    for total in [10_000usize, 100_000] {
        let (_fake, client) = rt.block_on(populated(total));
        for (page, conc) in [(100u32, 1usize), (100, 8), (1000, 1), (1000, 8)] {
            let peak = peak_during(&rt, &client, page, conc);
            println!(
                "  total {total:>6}, page {page:>4}, concurrency {conc}: {:>7.2} MiB",
                peak as f64 / (1024.0 * 1024.0)
            );
        }
    }

    let total = 100_000usize;
    let (_fake, client) = rt.block_on(populated(total));
    let started = Instant::now();
    assert_eq!(rt.block_on(walk(&client, 1000, 1)), total);
    println!(
        "one sequential walk of {total} members: {:?}",
        started.elapsed()
    );

    let mut group = c.benchmark_group("paginate_100k");
    group.sample_size(10);
    group.throughput(Throughput::Elements(total as u64));
    for page in [100u32, 1000] {
        for conc in [1usize, 4, 8] {
            group.bench_with_input(
                BenchmarkId::new(format!("page{page}"), format!("concurrency{conc}")),
                &(page, conc),
                |b, &(page, conc)| b.iter(|| rt.block_on(walk(&client, page, conc))),
            );
        }
    }
    group.finish();
}

criterion_group!(benches, with_latency, pagination);
criterion_main!(benches);
