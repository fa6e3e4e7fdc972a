//! Caching credentials that expire: refreshed before they do, one fetch at a time, its result
//! (and a failure, for a short pause) shared by every caller.

use std::{
    fmt,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, SystemTime},
};

use futures::future::BoxFuture;

use super::{
    flight::{Outcome, SingleFlight},
    Credentials, ProvideCredentials,
};
use crate::Error;

/// Default time before expiry at which credentials are refreshed.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(10 * 60);
/// Default upper bound of the random amount added to the margin, so that many processes started
/// together do not all refresh at the same moment.
pub const DEFAULT_REFRESH_JITTER: Duration = Duration::from_secs(60);
/// Default pause after a failed fetch: during it (give or take a fifth, at random) callers get
/// that failure again instead of asking IAM or the metadata service again.
pub const DEFAULT_RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);

/// Wraps a provider that fetches (an IAM token, the metadata service) and answers from a cache:
///
/// - fresh credentials are returned at once;
/// - within the refresh margin (plus jitter) of their expiry, they are still returned at once
///   while one background task fetches new ones: no request waits for a refresh it does not need;
/// - a background refresh that fails keeps the old credentials while they are valid (and tries
///   again after a pause);
/// - with nothing valid cached, one fetch runs and every concurrent caller waits for its result,
///   success or failure: a failure is not retried by each waiter in turn;
/// - after a failed fetch, callers without valid credentials get that failure again for a short
///   pause (`retry_after_failure`, with jitter), so that an IAM outage costs one request per
///   pause rather than one per call;
/// - [`ProvideCredentials::invalidate`] (a 401 from a service) drops the refused credentials.
///
/// The fetch runs as its own task: a caller whose deadline runs out stops waiting without
/// cancelling it for the others. Failures are [`Error::CredentialsUnavailable`], with the
/// fetch's own error as the source (the same one for every caller that shared it).
///
/// The margin is never more than half the credentials' lifetime, so short-lived credentials are
/// not refreshed on every call.
#[derive(Clone)]
pub struct CachedProvider {
    shared: Arc<Shared>,
}

struct Shared {
    source: Arc<dyn ProvideCredentials>,
    margin: Duration,
    jitter: Duration,
    retry_after_failure: Duration,
    current: Mutex<Option<Entry>>,
    /// The one fetch at a time, and the failure it left.
    flight: SingleFlight<Credentials>,
}

struct Entry {
    credentials: Credentials,
    refresh_at: Option<SystemTime>,
}

impl Entry {
    fn new(credentials: Credentials, margin: Duration, jitter: Duration) -> Self {
        let now = SystemTime::now();
        let refresh_at = credentials.expires_at().map(|expires| {
            let lifetime = expires.duration_since(now).unwrap_or_default();
            let margin = margin.min(lifetime / 2);
            let jitter = jitter.min(lifetime / 4);
            let jitter = jitter.mul_f64(fastrand::f64());
            expires
                .checked_sub(margin + jitter)
                .unwrap_or(SystemTime::UNIX_EPOCH)
        });
        Entry {
            credentials,
            refresh_at,
        }
    }

    fn valid(&self, now: SystemTime) -> bool {
        self.credentials.expires_at().is_none_or(|e| now < e)
    }

    fn due(&self, now: SystemTime) -> bool {
        self.refresh_at.is_some_and(|r| now >= r)
    }
}

impl CachedProvider {
    /// Caches what `source` fetches, with the default margin, jitter and pause.
    pub fn new(source: impl ProvideCredentials) -> Self {
        Self::with_settings(
            source,
            DEFAULT_REFRESH_MARGIN,
            DEFAULT_REFRESH_JITTER,
            DEFAULT_RETRY_AFTER_FAILURE,
        )
    }

    /// Caches what `source` fetches; refreshes `margin` plus up to `jitter` before expiry, and
    /// answers a failed fetch's error for `retry_after_failure` (give or take a fifth) before
    /// fetching again.
    pub fn with_settings(
        source: impl ProvideCredentials,
        margin: Duration,
        jitter: Duration,
        retry_after_failure: Duration,
    ) -> Self {
        CachedProvider {
            shared: Arc::new(Shared {
                source: Arc::new(source),
                margin,
                jitter,
                retry_after_failure,
                current: Mutex::new(None),
                flight: SingleFlight::default(),
            }),
        }
    }

    /// The credentials now cached, if any (valid or not).
    pub fn cached(&self) -> Option<Credentials> {
        self.shared.lock().as_ref().map(|e| e.credentials.clone())
    }

    async fn get(&self) -> Result<Credentials, Error> {
        let now = SystemTime::now();
        let valid = self
            .shared
            .lock()
            .as_ref()
            .filter(|e| e.valid(now))
            .map(|e| (e.credentials.clone(), e.due(now)));
        if let Some((credentials, due)) = valid {
            if due && !self.shared.flight.is_running() {
                self.refresh_in_background();
            }
            return Ok(credentials);
        }
        self.fetch().await.map_err(Error::credentials_unavailable)
    }

    /// The fetch under way, a new one, or the recent failure.
    fn fetch(&self) -> BoxFuture<'static, Outcome<Credentials>> {
        let shared = self.shared.clone();
        self.shared
            .flight
            .run(self.shared.retry_after_failure, move || {
                Box::pin(async move {
                    match shared.source.provide().await {
                        Ok(fresh) => {
                            shared.store(fresh.clone());
                            Ok(fresh)
                        }
                        Err(error) => {
                            let pause = shared.retry_after_failure;
                            tracing::warn!(%error, ?pause, "getting credentials failed; valid ones (if any) are kept, and callers without get this failure until the pause ends");
                            Err(error)
                        }
                    }
                })
            })
    }

    fn refresh_in_background(&self) {
        // Outside a runtime there is no background: the refresh waits for the next caller that
        // finds nothing valid.
        if tokio::runtime::Handle::try_current().is_err()
            || self.shared.flight.recent_failure().is_some()
        {
            return;
        }
        // The fetch is its own task: dropping the future does not stop it.
        let refresh = self.fetch();
        drop(refresh);
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Option<Entry>> {
        self.current.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn store(&self, credentials: Credentials) {
        *self.lock() = Some(Entry::new(credentials, self.margin, self.jitter));
    }
}

impl ProvideCredentials for CachedProvider {
    fn provide(&self) -> BoxFuture<'_, Result<Credentials, Error>> {
        Box::pin(self.get())
    }

    fn invalidate(&self, used: &Credentials) -> bool {
        let mut current = self.shared.lock();
        if current
            .as_ref()
            .is_some_and(|e| e.credentials.same_secret(used))
        {
            *current = None;
        }
        true
    }
}

impl fmt::Debug for CachedProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedProvider")
            .field("source", &self.shared.source)
            .field("margin", &self.shared.margin)
            .field("jitter", &self.shared.jitter)
            .field("cached", &self.cached())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Fails (or answers a token) after a while, counting its fetches.
    #[derive(Debug, Default)]
    struct Slow {
        fetches: Arc<AtomicUsize>,
        fail: bool,
    }

    impl ProvideCredentials for Slow {
        fn provide(&self) -> BoxFuture<'_, Result<Credentials, Error>> {
            self.fetches.fetch_add(1, Ordering::SeqCst);
            let fail = self.fail;
            Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                if fail {
                    Err(Error::Credentials("IAM is down".into()))
                } else {
                    Credentials::token("fresh-token")
                }
            })
        }
    }

    fn cache(fail: bool, pause: Duration) -> (CachedProvider, Arc<AtomicUsize>) {
        let fetches = Arc::new(AtomicUsize::new(0));
        let source = Slow {
            fetches: fetches.clone(),
            fail,
        };
        let cache = CachedProvider::with_settings(source, Duration::ZERO, Duration::ZERO, pause);
        (cache, fetches)
    }

    #[tokio::test]
    async fn waiters_share_one_failed_fetch_and_get_it_again_during_the_pause() {
        let (cache, fetches) = cache(true, Duration::from_millis(200));
        let all = futures::future::join_all((0..10).map(|_| cache.provide())).await;
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        for result in &all {
            let error = result.as_ref().unwrap_err();
            assert!(
                matches!(error, Error::CredentialsUnavailable { source } if matches!(**source, Error::Credentials(_))),
                "{error:?}"
            );
        }
        assert!(cache.provide().await.is_err());
        assert_eq!(fetches.load(Ordering::SeqCst), 1, "answered from the pause");
        // The pause is at most 1.2 times the setting.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(cache.provide().await.is_err());
        assert_eq!(fetches.load(Ordering::SeqCst), 2, "asked again after it");
    }

    #[tokio::test]
    async fn waiters_share_one_successful_fetch() {
        let (cache, fetches) = cache(false, Duration::from_secs(5));
        let all = futures::future::join_all((0..10).map(|_| cache.provide())).await;
        assert!(all.iter().all(Result::is_ok));
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        assert!(cache.cached().is_some());
    }
}
