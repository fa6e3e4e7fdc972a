//! Caching credentials that expire: refreshed before they do, one fetch at a time.

use std::{
    fmt,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant, SystemTime},
};

use futures::future::BoxFuture;

use super::{Credentials, ProvideCredentials};
use crate::Error;

/// Default time before expiry at which credentials are refreshed.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(10 * 60);
/// Default upper bound of the random amount added to the margin, so that many processes started
/// together do not all refresh at the same moment.
pub const DEFAULT_REFRESH_JITTER: Duration = Duration::from_secs(60);
/// Default pause after a failed background refresh before the next one is tried.
pub const DEFAULT_RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);

/// Wraps a provider that fetches (an IAM token, the metadata service) and answers from a cache:
///
/// - fresh credentials are returned at once;
/// - within the refresh margin (plus jitter) of their expiry, they are still returned at once
///   while one background task fetches new ones: no request waits for a refresh it does not need;
/// - a background refresh that fails keeps the old credentials while they are valid (and tries
///   again after a pause);
/// - with nothing valid cached, one caller fetches while concurrent callers wait for its result;
/// - [`ProvideCredentials::invalidate`] (a 401 from a service) drops the refused credentials.
///
/// The margin is never more than half the credentials' lifetime, so short-lived credentials are
/// not refreshed on every call.
#[derive(Clone)]
pub struct CachedProvider {
    shared: Arc<Shared>,
}

struct Shared {
    source: Box<dyn ProvideCredentials>,
    margin: Duration,
    jitter: Duration,
    retry_after_failure: Duration,
    state: Mutex<State>,
    /// Held by whoever fetches, so that there is one fetch at a time.
    fetching: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct State {
    current: Option<Entry>,
    refreshing: bool,
    /// No background refresh before this time (after one failed).
    paused_until: Option<Instant>,
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
    /// Caches what `source` fetches, with the default margin and jitter.
    pub fn new(source: impl ProvideCredentials) -> Self {
        Self::with_settings(
            source,
            DEFAULT_REFRESH_MARGIN,
            DEFAULT_REFRESH_JITTER,
            DEFAULT_RETRY_AFTER_FAILURE,
        )
    }

    /// Caches what `source` fetches; refreshes `margin` plus up to `jitter` before expiry, and
    /// waits `retry_after_failure` after a failed background refresh.
    pub fn with_settings(
        source: impl ProvideCredentials,
        margin: Duration,
        jitter: Duration,
        retry_after_failure: Duration,
    ) -> Self {
        CachedProvider {
            shared: Arc::new(Shared {
                source: Box::new(source),
                margin,
                jitter,
                retry_after_failure,
                state: Mutex::new(State::default()),
                fetching: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// The credentials now cached, if any (valid or not).
    pub fn cached(&self) -> Option<Credentials> {
        self.shared
            .lock()
            .current
            .as_ref()
            .map(|e| e.credentials.clone())
    }

    async fn get(&self) -> Result<Credentials, Error> {
        let now = SystemTime::now();
        {
            let mut state = self.shared.lock();
            if let Some(entry) = state.current.as_ref().filter(|e| e.valid(now)) {
                let credentials = entry.credentials.clone();
                let due = entry.due(now);
                let paused = state.paused_until.is_some_and(|t| Instant::now() < t);
                if due && !state.refreshing && !paused {
                    state.refreshing = true;
                    drop(state);
                    self.refresh_in_background();
                }
                return Ok(credentials);
            }
        }
        let _one_fetch = self.shared.fetching.lock().await;
        // Another caller may have fetched while this one waited.
        if let Some(entry) = self
            .shared
            .lock()
            .current
            .as_ref()
            .filter(|e| e.valid(SystemTime::now()))
        {
            return Ok(entry.credentials.clone());
        }
        let fresh = self.shared.source.provide().await?;
        self.shared.store(fresh.clone());
        Ok(fresh)
    }

    fn refresh_in_background(&self) {
        let shared = self.shared.clone();
        let refresh = async move {
            let _one_fetch = shared.fetching.lock().await;
            let result = shared.source.provide().await;
            match result {
                Ok(fresh) => shared.store(fresh),
                Err(error) => {
                    tracing::warn!(%error, "refreshing credentials failed; the current ones are still valid");
                    shared.lock().paused_until = Some(Instant::now() + shared.retry_after_failure);
                }
            }
            shared.lock().refreshing = false;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(refresh);
            }
            // Outside a runtime there is no background: the refresh waits for the next caller.
            Err(_) => self.shared.lock().refreshing = false,
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn store(&self, credentials: Credentials) {
        let entry = Entry::new(credentials, self.margin, self.jitter);
        let mut state = self.lock();
        state.current = Some(entry);
        state.paused_until = None;
    }
}

impl ProvideCredentials for CachedProvider {
    fn provide(&self) -> BoxFuture<'_, Result<Credentials, Error>> {
        Box::pin(self.get())
    }

    fn invalidate(&self, used: &Credentials) -> bool {
        let mut state = self.shared.lock();
        if state
            .current
            .as_ref()
            .is_some_and(|e| e.credentials.same_secret(used))
        {
            state.current = None;
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
