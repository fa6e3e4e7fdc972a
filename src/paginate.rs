//! Lazy streams over offset/limit/total list operations.
//!
//! A [`Paginator`] walks `offset = 0, limit, 2*limit, ...` until `total` is reached, keeping every
//! filter and sort option of the request it starts from. It checks the whole story, not just each
//! page, and stops with [`Error::Pagination`] (carrying the page's offset and request ID) instead
//! of looping or ending early when a server misbehaves: a negative `total`, a `total` that
//! changes, more items than `total`, a short or empty page before `total`, a page longer than
//! `limit`, the same page twice. Every walk also stops at a page cap and an item cap
//! ([`DEFAULT_MAX_PAGES`], [`DEFAULT_MAX_ITEMS`], raised with [`Paginator::max_pages`] and
//! [`Paginator::max_items`]), so a server that reports no total, or a huge one, cannot keep it
//! going for ever.
//! With [`Paginator::concurrency`] the pages after the first are fetched concurrently (results
//! stay in order); memory stays bounded by page size times concurrency, whatever the total.
//!
//! Offset listings over a list that changes while it is read (or that the service sorts
//! unstably) can repeat an item and hide another, with every page the right length and the total
//! unchanged. Give the walk an item key ([`Paginator::key`]) and it also refuses a key seen twice
//! and a list with fewer distinct keys than its total: such errors are
//! [inconsistencies](is_inconsistent), and reading the list again is the cure. A page whose call
//! fails with a retryable error can be fetched again in place ([`Paginator::retry_pages`]),
//! without restarting the walk, and [`Paginator::max_offset`] turns a list longer than the
//! operation can show into a clear error at the first page.
//!
//! ```no_run
//! use std::time::Duration;
//! use futures::TryStreamExt;
//! # #[cfg(feature = "projectman")]
//! use huaweicloud_openapi::{paginate::{self, Paginate}, ProjectManClient};
//!
//! # #[cfg(feature = "projectman")]
//! # async fn run(client: &ProjectManClient) -> Result<(), huaweicloud_openapi::Error> {
//! let walk = client
//!     .list_project_members_v4()
//!     .project_id("526cefde62004de2b62b5e8dd2c2b3af")
//!     .paginate(100)
//!     .key(|m| m.user_id.clone().unwrap_or_default()) // a user twice is an inconsistency
//!     .retry_pages(3, Duration::from_millis(200))
//!     .max_offset(10_000); // the operation's offset limit, from its spec
//! match walk.items().try_collect::<Vec<_>>().await {
//!     Ok(members) => println!("{} members", members.len()),
//!     Err(e) if paginate::is_inconsistent(&e) => println!("the list moved while read: {e}"),
//!     Err(e) => return Err(e),
//! }
//! # Ok(()) }
//! ```
//!
//! ```no_run
//! use futures::TryStreamExt;
//! # #[cfg(feature = "dataarts")]
//! use huaweicloud_openapi::{paginate::Paginate, DataArtsClient};
//!
//! # #[cfg(feature = "dataarts")]
//! # async fn run(client: &DataArtsClient) -> Result<(), huaweicloud_openapi::Error> {
//! let users: Vec<_> = client
//!     .list_security_permission_set_members()
//!     .permission_set_id("fea96c90024711b8bf8d6886407b814b")
//!     .member_type("USER") // checked against the spec's enum before anything is sent
//!     .paginate(100)
//!     .concurrency(4)
//!     .items()
//!     .try_collect()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! `build.rs` derives the [`OffsetPaged`] impl of every operation its spec marks with
//! `x-pagination` (`items`, `total`, and optionally `max_limit` and `offset_multiple_of_limit`, as
//! ProjectMan's member list needs), so a list operation is paginated by editing its spec.

use std::{collections::HashMap, fmt, future::Future, pin::Pin, sync::Arc, time::Duration};

use futures::{stream, Stream, StreamExt};
use reqwest::StatusCode;

use crate::Error;

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// What the service says the total is (all pages, with the request's filters), as reported:
    /// a negative value is kept so that the paginator can refuse it.
    pub total: Option<i64>,
    /// The offset this page was fetched at.
    pub offset: u64,
    /// `X-Request-Id` of the call that fetched the page.
    pub request_id: Option<String>,
}

/// Constraints an operation puts on `limit` and `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRules {
    /// Largest page size the operation accepts.
    pub max_limit: Option<u32>,
    /// The operation requires `offset` to be a multiple of `limit` (the paginator always
    /// steps by whole pages, so this only documents the rule).
    pub offset_multiple_of_limit: bool,
}

/// A list request that can fetch the page at an offset.
pub trait OffsetPaged: Clone + Send {
    /// What the list contains.
    type Item: Clone + PartialEq + Send;
    /// The operation's paging constraints.
    const RULES: PageRules;
    /// Fetches `limit` items starting at `offset`, keeping every other setting of the request.
    fn fetch_page(
        self,
        offset: u64,
        limit: u32,
    ) -> impl Future<Output = Result<Page<Self::Item>, Error>> + Send;
}

impl<T> Page<T> {
    /// A page from a list body's item and total fields, whatever their generated types
    /// (`Vec` or `Option<Vec>`, `i32` or `Option<i64>`, ...). Used by the derived glue.
    #[doc(hidden)]
    pub fn from_fields(
        offset: u64,
        request_id: Option<String>,
        items: impl ListItems<T>,
        total: impl ListTotal,
    ) -> Self {
        Page {
            items: items.into_items(),
            total: total.into_total(),
            offset,
            request_id,
        }
    }
}

/// The item field of a generated list body.
#[doc(hidden)]
pub trait ListItems<T> {
    /// The items, none when absent.
    fn into_items(self) -> Vec<T>;
}

impl<T> ListItems<T> for Vec<T> {
    fn into_items(self) -> Vec<T> {
        self
    }
}

impl<T> ListItems<T> for Option<Vec<T>> {
    fn into_items(self) -> Vec<T> {
        self.unwrap_or_default()
    }
}

/// The total field of a generated list body.
#[doc(hidden)]
pub trait ListTotal {
    /// The total as reported, `None` when absent.
    fn into_total(self) -> Option<i64>;
}

macro_rules! list_total {
    ($($t:ty),*) => {$(
        impl ListTotal for $t {
            fn into_total(self) -> Option<i64> {
                i64::try_from(self).ok()
            }
        }
        impl ListTotal for Option<$t> {
            fn into_total(self) -> Option<i64> {
                self.and_then(|t| i64::try_from(t).ok())
            }
        }
    )*};
}
list_total!(i32, i64, u32, u64);

/// Starts pagination from a configured list request.
pub trait Paginate: OffsetPaged + Sized {
    /// Pages of `page_size` items (the request's own `limit` and `offset` are replaced).
    fn paginate(self, page_size: u32) -> Paginator<Self> {
        Paginator::new(self, page_size)
    }
}

impl<R: OffsetPaged> Paginate for R {}

/// What identifies an item of a list, for the consistency checks of [`Paginator::key`].
pub type ItemKey<T> = Arc<dyn Fn(&T) -> String + Send + Sync>;

/// Walks a list operation page by page. Nothing is fetched until the stream is polled.
#[derive(Clone)]
pub struct Paginator<R: OffsetPaged> {
    request: R,
    page_size: u32,
    concurrency: usize,
    max_pages: u64,
    max_items: u64,
    max_offset: Option<u64>,
    key: Option<ItemKey<R::Item>>,
    page_retries: u32,
    retry_delay: Duration,
}

impl<R: OffsetPaged + fmt::Debug> fmt::Debug for Paginator<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Paginator")
            .field("request", &self.request)
            .field("page_size", &self.page_size)
            .field("concurrency", &self.concurrency)
            .field("max_pages", &self.max_pages)
            .field("max_items", &self.max_items)
            .field("max_offset", &self.max_offset)
            .field("key", &self.key.is_some())
            .field("page_retries", &self.page_retries)
            .finish()
    }
}

/// Marks the [`Error::Pagination`] messages that say the list moved while it was read, rather
/// than that it is malformed or too long: see [`is_inconsistent`].
const INCONSISTENT: &str = "inconsistent listing: ";

/// True when `error` says a listing did not add up in a way that reading it again may cure: an
/// item key seen twice, fewer distinct keys than the total, a total that changed, a page that
/// repeats the previous one or ends early. Caps, page-size and offset limits are not: reading
/// again gives the same error.
pub fn is_inconsistent(error: &Error) -> bool {
    matches!(error, Error::Pagination { message, .. } if message.starts_with(INCONSISTENT))
}

/// Pages a walk fetches at most unless raised with [`Paginator::max_pages`].
pub const DEFAULT_MAX_PAGES: u64 = 1_000;
/// Items a walk yields at most unless raised with [`Paginator::max_items`].
pub const DEFAULT_MAX_ITEMS: u64 = 100_000;

/// First item, last item and length of a page.
type Fingerprint<T> = (Option<T>, Option<T>, usize);
type PageFuture<'a, T> = Pin<Box<dyn Future<Output = (u64, Result<Page<T>, Error>)> + Send + 'a>>;
type Ahead<'a, T> = Pin<Box<dyn Stream<Item = (u64, Result<Page<T>, Error>)> + Send + 'a>>;

impl<R: OffsetPaged> Paginator<R> {
    /// Pages of `page_size` items, fetched one at a time.
    pub fn new(request: R, page_size: u32) -> Self {
        Paginator {
            request,
            page_size,
            concurrency: 1,
            max_pages: DEFAULT_MAX_PAGES,
            max_items: DEFAULT_MAX_ITEMS,
            max_offset: None,
            key: None,
            page_retries: 0,
            retry_delay: Duration::from_millis(100),
        }
    }

    /// Checks that every item's `key` is new to the walk and that the list holds as many
    /// distinct keys as its total: an offset listing over a list that changes can repeat an
    /// item and hide another while every page has the right length. A walk that fails the check
    /// stops with an [inconsistency](is_inconsistent) naming the key and both offsets. The keys
    /// seen are kept for the whole walk (bounded by [`Paginator::max_items`]).
    pub fn key<K: ToString>(mut self, key: impl Fn(&R::Item) -> K + Send + Sync + 'static) -> Self {
        self.key = Some(Arc::new(move |item| key(item).to_string()));
        self
    }

    /// Fetches a page whose call fails with a [retryable](Error::is_retryable) error, or a 500
    /// (a page is a read, safe to ask for again), up to `n` more times, waiting `delay`, then twice as long each time, in place: the pages already
    /// read are kept. Default 0 (the client's own retries still apply to every call).
    pub fn retry_pages(mut self, n: u32, delay: Duration) -> Self {
        self.page_retries = n;
        self.retry_delay = delay;
        self
    }

    /// The largest `offset` the operation accepts (ProjectMan's member list: 10,000). A list
    /// whose total needs a larger one cannot be read whole: the walk stops at the first page
    /// with an error that says so, instead of failing somewhere in the middle.
    pub fn max_offset(mut self, offset: u64) -> Self {
        self.max_offset = Some(offset);
        self
    }

    /// After the first page has told the total, fetch up to `n` pages at once (in order).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Fetches at most this many pages; a walk that would need more stops with
    /// [`Error::Pagination`]. Default [`DEFAULT_MAX_PAGES`].
    pub fn max_pages(mut self, n: u64) -> Self {
        self.max_pages = n.max(1);
        self
    }

    /// Yields at most this many items; a walk that would yield more stops with
    /// [`Error::Pagination`]. Default [`DEFAULT_MAX_ITEMS`].
    pub fn max_items(mut self, n: u64) -> Self {
        self.max_items = n.max(1);
        self
    }

    /// The pages, in order.
    pub fn pages<'a>(self) -> impl Stream<Item = Result<Page<R::Item>, Error>> + Send + 'a
    where
        R: 'a,
    {
        let walk = Walk {
            limit: self.page_size,
            concurrency: self.concurrency,
            max_pages: self.max_pages,
            max_items: self.max_items,
            max_offset: self.max_offset,
            key: self.key,
            keys: HashMap::new(),
            retry: (self.page_retries, self.retry_delay),
            request: self.request,
            next_offset: 0,
            total: None,
            previous: None,
            fetched: 0,
            seen: 0,
            pending: None,
            done: false,
            ahead: None,
        };
        stream::unfold(walk, |mut walk| async move {
            let item = walk.next_page().await?;
            Some((item, walk))
        })
    }

    /// The items of every page, in order.
    pub fn items<'a>(self) -> impl Stream<Item = Result<R::Item, Error>> + Send + 'a
    where
        R: 'a,
    {
        self.pages().flat_map(|page| match page {
            Ok(page) => stream::iter(page.items.into_iter().map(Ok).collect::<Vec<_>>()),
            Err(e) => stream::iter(vec![Err(e)]),
        })
    }
}

struct Walk<'a, R: OffsetPaged> {
    request: R,
    limit: u32,
    concurrency: usize,
    max_pages: u64,
    max_items: u64,
    max_offset: Option<u64>,
    key: Option<ItemKey<R::Item>>,
    /// Every key seen, with the offset of the page it was on.
    keys: HashMap<String, u64>,
    /// Extra attempts for a page that fails with a retryable error, and the first wait.
    retry: (u32, Duration),
    next_offset: u64,
    /// The total the first page reported.
    total: Option<u64>,
    /// First and last item and length of the previous page: enough to see a repeated page.
    previous: Option<Fingerprint<R::Item>>,
    /// Pages fetched and items seen so far.
    fetched: u64,
    seen: u64,
    /// An error to yield after the page that revealed it (a cap reached).
    pending: Option<Error>,
    done: bool,
    ahead: Option<Ahead<'a, R::Item>>,
}

fn fail<T>(offset: u64, request_id: Option<&str>, message: String) -> Result<T, Error> {
    Err(Error::Pagination {
        message,
        offset,
        request_id: request_id.map(str::to_owned),
    })
}

/// An [inconsistency](is_inconsistent) found outside the paginator, e.g. by a caller that checks
/// keys across a whole listing of its own: the error carries `message`, the offset and the
/// request ID like the paginator's own.
pub fn inconsistent_listing(
    message: impl fmt::Display,
    offset: u64,
    request_id: Option<String>,
) -> Error {
    Error::Pagination {
        message: format!("{INCONSISTENT}{message}"),
        offset,
        request_id,
    }
}

/// [`fail`] for what reading the list again may cure (see [`is_inconsistent`]).
fn inconsistent<T>(offset: u64, request_id: Option<&str>, message: String) -> Result<T, Error> {
    fail(offset, request_id, format!("{INCONSISTENT}{message}"))
}

/// Fetches the page at `offset`, again after a retryable failure while `retry` allows.
async fn fetch<R: OffsetPaged>(
    request: R,
    offset: u64,
    limit: u32,
    (retries, delay): (u32, Duration),
) -> Result<Page<R::Item>, Error> {
    let mut attempt = 0;
    loop {
        match request.clone().fetch_page(offset, limit).await {
            // A page is a read: a 500 is as safe to ask again as a 503.
            Err(e)
                if attempt < retries
                    && (e.is_retryable()
                        || e.status() == Some(StatusCode::INTERNAL_SERVER_ERROR)) =>
            {
                let wait = delay.saturating_mul(1 << attempt.min(16));
                tracing::debug!(offset, attempt, ?wait, error = %e, "fetching the page again");
                attempt += 1;
                tokio::time::sleep(wait).await;
            }
            result => return result,
        }
    }
}

impl<'a, R: OffsetPaged + 'a> Walk<'a, R> {
    async fn next_page(&mut self) -> Option<Result<Page<R::Item>, Error>> {
        if let Some(e) = self.pending.take() {
            self.done = true;
            return Some(Err(e));
        }
        if self.done {
            return None;
        }
        if self.fetched == 0 {
            if let Err(e) = self.check_limit() {
                self.done = true;
                return Some(Err(e));
            }
        }
        let (offset, result) = match &mut self.ahead {
            Some(ahead) => ahead.next().await?,
            None => {
                let offset = self.next_offset;
                (
                    offset,
                    fetch(self.request.clone(), offset, self.limit, self.retry).await,
                )
            }
        };
        let checked = result.and_then(|page| self.check(offset, page));
        match checked {
            Ok((page, finished)) => {
                self.next_offset = offset + u64::from(self.limit);
                self.done = finished;
                if !finished {
                    self.pending = self.cap_reached(offset, page.request_id.as_deref());
                }
                if !finished && self.ahead.is_none() && self.concurrency > 1 {
                    self.fetch_ahead();
                }
                Some(Ok(page))
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }

    fn check_limit(&self) -> Result<(), Error> {
        if self.limit == 0 {
            return fail(0, None, "the page size must be at least 1".into());
        }
        match R::RULES.max_limit {
            Some(max) if self.limit > max => fail(
                0,
                None,
                format!(
                    "the page size {} is above this operation's maximum of {max}",
                    self.limit
                ),
            ),
            _ => Ok(()),
        }
    }

    /// The error for a walk that needs more pages or items than its caps allow.
    fn cap_reached(&self, offset: u64, request_id: Option<&str>) -> Option<Error> {
        let message = if self.fetched >= self.max_pages {
            format!(
                "{} pages fetched and the list goes on; raise max_pages to read further",
                self.fetched
            )
        } else if self.seen >= self.max_items {
            format!(
                "{} items read and the list goes on; raise max_items to read further",
                self.seen
            )
        } else {
            return None;
        };
        fail::<()>(offset, request_id, message).err()
    }

    /// Queues the remaining pages, now that the first one has told the total, up to the caps.
    fn fetch_ahead(&mut self) {
        let Some(total) = self.total else { return };
        let limit = u64::from(self.limit);
        let cap = self
            .max_items
            .min(self.max_pages.saturating_mul(limit))
            .min(total);
        let request = self.request.clone();
        let offsets = (self.next_offset..cap).step_by(self.limit as usize);
        let limit = self.limit;
        let retry = self.retry;
        let futures = offsets.map(move |offset| -> PageFuture<'a, R::Item> {
            let request = request.clone();
            Box::pin(async move { (offset, fetch(request, offset, limit, retry).await) })
        });
        self.ahead = Some(Box::pin(stream::iter(futures).buffered(self.concurrency)));
    }

    /// Applies the guards; returns the page and whether it was the last.
    fn check(&mut self, offset: u64, page: Page<R::Item>) -> Result<(Page<R::Item>, bool), Error> {
        let id = page.request_id.clone();
        let id = id.as_deref();
        self.fetched += 1;
        let limit = u64::from(self.limit);
        let len = page.items.len() as u64;
        if len > limit {
            return fail(
                offset,
                id,
                format!("the page has {len} items, more than the limit {limit}"),
            );
        }
        let reported = match page.total {
            Some(t) if t < 0 => {
                return fail(
                    offset,
                    id,
                    format!("the service reported a negative total ({t})"),
                )
            }
            t => t.map(|t| t as u64),
        };
        match (self.total, reported) {
            (Some(before), now) if now != Some(before) => {
                let now = now.map_or("nothing".into(), |n| n.to_string());
                return inconsistent(
                    offset,
                    id,
                    format!("the total changed from {before} to {now}"),
                );
            }
            (None, now) if self.fetched == 1 => {
                self.total = now;
                if let (Some(total), Some(max)) = (now, self.max_offset) {
                    let readable = max.saturating_add(limit);
                    if total > readable {
                        return fail(offset, id, format!(
                            "the list holds {total} items, but this operation reads at most {readable} \
                             (offset at most {max}, {limit} a page): it cannot be read whole"
                        ));
                    }
                }
            }
            _ => {}
        }
        let signature = (
            page.items.first().cloned(),
            page.items.last().cloned(),
            page.items.len(),
        );
        if len > 0 && self.previous.as_ref() == Some(&signature) {
            return inconsistent(offset, id, "the page repeats the previous page".into());
        }
        self.previous = Some(signature);
        self.check_keys(offset, id, &page.items)?;
        self.seen += len;
        let finished = match self.total {
            Some(total) => {
                if self.seen > total {
                    return inconsistent(
                        offset,
                        id,
                        format!(
                            "{} items so far, more than the reported total of {total}",
                            self.seen
                        ),
                    );
                }
                let end = offset + len;
                if end < total && len == 0 {
                    return inconsistent(
                        offset,
                        id,
                        format!("an empty page before the reported total of {total}"),
                    );
                }
                if end < total && len < limit {
                    return inconsistent(offset, id, format!(
                        "a short page ({len} items where {limit} were asked for) before the reported total of {total}"
                    ));
                }
                end >= total
            }
            None => len < limit,
        };
        if finished && self.key.is_some() {
            if let Some(total) = self.total {
                let distinct = self.keys.len() as u64;
                if distinct < total {
                    return inconsistent(
                        offset,
                        id,
                        format!("{distinct} distinct items where the total is {total}"),
                    );
                }
            }
        }
        Ok((page, finished))
    }

    /// With an item key: every key of the page is new to the walk.
    fn check_keys(
        &mut self,
        offset: u64,
        id: Option<&str>,
        items: &[R::Item],
    ) -> Result<(), Error> {
        let Some(key) = &self.key else {
            return Ok(());
        };
        for item in items {
            let k = key(item);
            if let Some(first) = self.keys.get(&k) {
                return inconsistent(
                    offset,
                    id,
                    format!("the item {k} is listed twice, on the pages at offsets {first} and {offset}"),
                );
            }
            self.keys.insert(k, offset);
        }
        Ok(())
    }
}
