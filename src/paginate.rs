//! Lazy streams over offset/limit/total list operations.
//!
//! A [`Paginator`] walks `offset = 0, limit, 2*limit, ...` until `total` is reached, keeping every
//! filter and sort option of the request it starts from. It stops with [`Error::Pagination`]
//! instead of looping when a server misbehaves: an empty page before `total`, a `total` that
//! changes, a page longer than `limit`, the same page twice, or more pages than `total` allows.
//! With [`Paginator::concurrency`] the pages after the first are fetched concurrently (results
//! stay in order); memory stays bounded by page size times concurrency, whatever the total.
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use huaweicloud_openapi::{dataarts::types::MemberType, paginate::Paginate, DataArtsClient};
//!
//! # async fn run(client: &DataArtsClient) -> Result<(), huaweicloud_openapi::Error> {
//! let users: Vec<_> = client
//!     .list_security_permission_set_members()
//!     .permission_set_id("fea96c90024711b8bf8d6886407b814b")
//!     .member_type(MemberType::User)
//!     .paginate(100)
//!     .concurrency(4)
//!     .items()
//!     .try_collect()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! Another offset/limit operation needs only an [`OffsetPaged`] impl: how to fetch one page, and
//! its [`PageRules`] (ProjectMan's member list, for instance, would say `max_limit: Some(100)`
//! and `offset_multiple_of_limit: true`).

use std::{future::Future, pin::Pin};

use futures::{stream, Stream, StreamExt};

use crate::{dataarts, Error, Execute};

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// What the service says the total is (all pages, with the request's filters).
    pub total: Option<u64>,
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

impl<'a> OffsetPaged for dataarts::builder::ListSecurityPermissionSetMembers<'a> {
    type Item = dataarts::types::PermissionSetMember;
    const RULES: PageRules = PageRules {
        max_limit: None,
        offset_multiple_of_limit: false,
    };

    async fn fetch_page(self, offset: u64, limit: u32) -> Result<Page<Self::Item>, Error> {
        let offset_i32 = i32::try_from(offset).map_err(|_| {
            Error::Pagination(format!("offset {offset} does not fit the API's int32"))
        })?;
        let response = self.offset(offset_i32).limit(limit).execute().await?;
        let request_id = response.request_id().map(str::to_owned);
        let list = response.into_inner();
        Ok(Page {
            items: list.permission_set_members.unwrap_or_default(),
            total: list.total.map(|t| u64::try_from(t).unwrap_or(0)),
            offset,
            request_id,
        })
    }
}

/// Starts pagination from a configured list request.
pub trait Paginate: OffsetPaged + Sized {
    /// Pages of `page_size` items (the request's own `limit` and `offset` are replaced).
    fn paginate(self, page_size: u32) -> Paginator<Self> {
        Paginator::new(self, page_size)
    }
}

impl<R: OffsetPaged> Paginate for R {}

/// Walks a list operation page by page. Nothing is fetched until the stream is polled.
#[derive(Debug, Clone)]
pub struct Paginator<R> {
    request: R,
    page_size: u32,
    concurrency: usize,
    max_pages: u64,
}

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
            max_pages: 1_000_000,
        }
    }

    /// After the first page has told the total, fetch up to `n` pages at once (in order).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Stops with an error after this many pages when the service reports no total.
    pub fn max_pages(mut self, n: u64) -> Self {
        self.max_pages = n.max(1);
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
            request: self.request,
            next_offset: 0,
            total: None,
            previous: None,
            fetched: 0,
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
    next_offset: u64,
    total: Option<u64>,
    /// First and last item and length of the previous page: enough to see a repeated page.
    previous: Option<Fingerprint<R::Item>>,
    fetched: u64,
    done: bool,
    ahead: Option<Ahead<'a, R::Item>>,
}

fn fail<T>(message: String) -> Result<T, Error> {
    Err(Error::Pagination(message))
}

impl<'a, R: OffsetPaged + 'a> Walk<'a, R> {
    async fn next_page(&mut self) -> Option<Result<Page<R::Item>, Error>> {
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
                    self.request.clone().fetch_page(offset, self.limit).await,
                )
            }
        };
        let checked = result.and_then(|page| self.check(offset, page));
        match checked {
            Ok((page, finished)) => {
                self.next_offset = offset + u64::from(self.limit);
                self.done = finished;
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
            return fail("the page size must be at least 1".into());
        }
        match R::RULES.max_limit {
            Some(max) if self.limit > max => fail(format!(
                "the page size {} is above this operation's maximum of {max}",
                self.limit
            )),
            _ => Ok(()),
        }
    }

    /// Queues the remaining pages, now that the first one has told the total.
    fn fetch_ahead(&mut self) {
        let Some(total) = self.total else { return };
        let limit = self.limit;
        let request = self.request.clone();
        let offsets = (self.next_offset..total).step_by(limit as usize);
        let futures = offsets.map(move |offset| -> PageFuture<'a, R::Item> {
            let request = request.clone();
            Box::pin(async move { (offset, request.fetch_page(offset, limit).await) })
        });
        self.ahead = Some(Box::pin(stream::iter(futures).buffered(self.concurrency)));
    }

    /// Applies the guards; returns the page and whether it was the last.
    fn check(&mut self, offset: u64, page: Page<R::Item>) -> Result<(Page<R::Item>, bool), Error> {
        self.fetched += 1;
        let limit = u64::from(self.limit);
        let len = page.items.len() as u64;
        if len > limit {
            return fail(format!(
                "the page at offset {offset} has {len} items, more than the limit {limit}"
            ));
        }
        match (self.total, page.total) {
            (Some(before), now) if now != Some(before) => {
                return fail(format!(
                    "the total changed from {before} to {} at offset {offset}",
                    now.map_or("nothing".into(), |n| n.to_string())
                ));
            }
            (None, now) if self.fetched == 1 => self.total = now,
            _ => {}
        }
        let signature = (
            page.items.first().cloned(),
            page.items.last().cloned(),
            page.items.len(),
        );
        if len > 0 && self.previous.as_ref() == Some(&signature) {
            return fail(format!(
                "the page at offset {offset} repeats the previous page"
            ));
        }
        self.previous = Some(signature);
        let finished = match self.total {
            Some(total) => {
                if len == 0 && offset < total {
                    return fail(format!(
                        "empty page at offset {offset} before the total of {total}"
                    ));
                }
                let allowed = total.div_ceil(limit).max(1);
                if self.fetched > allowed {
                    return fail(format!("more pages than a total of {total} allows"));
                }
                offset + limit >= total
            }
            None => {
                if self.fetched >= self.max_pages && len == limit {
                    return fail(format!(
                        "no total and still full pages after {} pages",
                        self.fetched
                    ));
                }
                len < limit
            }
        };
        Ok((page, finished))
    }
}
