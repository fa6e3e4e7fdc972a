//! One fetch at a time, its result shared: the credential cache, the default chain and the
//! project-ID lookup all fetch through a [`SingleFlight`].
//!
//! Callers that find a fetch under way wait for it and get its result, success or failure; none
//! starts a fetch of its own. A failure is then answered to every caller for a short pause (with
//! jitter), so that an IAM outage costs one request per pause, not one per call. The fetch runs
//! as its own task: a caller that stops waiting (its deadline ran out) does not cancel it for
//! the others, and the next caller joins it instead of starting over.

use std::{
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use futures::{future::BoxFuture, FutureExt};

use crate::Error;

/// What every caller of one fetch gets: the errors are shared, so behind an `Arc`.
pub(crate) type Outcome<T> = Result<T, Arc<Error>>;

type Running<T> = futures::future::Shared<BoxFuture<'static, Outcome<T>>>;

/// A fetch of `T` that runs at most once at a time (see the module docs). Cheap to clone; the
/// clones share the fetch.
pub(crate) struct SingleFlight<T> {
    inner: Arc<Mutex<State<T>>>,
}

impl<T> Clone for SingleFlight<T> {
    fn clone(&self) -> Self {
        SingleFlight {
            inner: self.inner.clone(),
        }
    }
}

struct State<T> {
    /// The fetch under way, with its number.
    running: Option<Flight<T>>,
    /// The last fetch failed: its error is the answer until then.
    failed: Option<(Arc<Error>, Instant)>,
    started: u64,
}

/// A fetch under way.
struct Flight<T> {
    number: u64,
    result: Running<T>,
    /// Its task, when it has one: a task that ended without recording its result was cancelled
    /// (its runtime shut down) or panicked, and is not waited for.
    task: Option<tokio::task::AbortHandle>,
}

impl<T> Flight<T> {
    fn alive(&self) -> bool {
        self.task.as_ref().is_none_or(|t| !t.is_finished())
    }
}

impl<T> Default for SingleFlight<T> {
    fn default() -> Self {
        SingleFlight {
            inner: Arc::new(Mutex::new(State {
                running: None,
                failed: None,
                started: 0,
            })),
        }
    }
}

/// The pause after a failure, with up to a fifth more or less of jitter, so that processes (and
/// keys) that failed together do not all ask again at the same moment.
pub(crate) fn jittered(pause: Duration) -> Duration {
    pause.mul_f64(0.8 + 0.4 * fastrand::f64())
}

impl<T: Clone + Send + Sync + 'static> SingleFlight<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The error of the last fetch, while its pause lasts.
    pub(crate) fn recent_failure(&self) -> Option<Arc<Error>> {
        let state = self.lock();
        state
            .failed
            .as_ref()
            .filter(|(_, until)| Instant::now() < *until)
            .map(|(error, _)| error.clone())
    }

    /// True while a fetch is under way.
    pub(crate) fn is_running(&self) -> bool {
        self.lock().running.as_ref().is_some_and(Flight::alive)
    }

    /// The result of the fetch under way, or of a new one made by `fetch` when none is; the
    /// failure of the last fetch, without any new one, while its pause lasts. A failed fetch is
    /// answered for `pause` (jittered) from when it failed.
    pub(crate) fn run(
        &self,
        pause: Duration,
        fetch: impl FnOnce() -> BoxFuture<'static, Result<T, Error>>,
    ) -> BoxFuture<'static, Outcome<T>> {
        let mut state = self.lock();
        if let Some((error, until)) = &state.failed {
            if Instant::now() < *until {
                return Box::pin(std::future::ready(Err(error.clone())));
            }
        }
        if let Some(flight) = state.running.as_ref().filter(|f| f.alive()) {
            return Box::pin(flight.result.clone());
        }
        state.started += 1;
        let number = state.started;
        let flight = self.clone();
        let fetch = fetch();
        let recorded = async move {
            let result = fetch.await.map_err(Arc::new);
            flight.finish(number, &result, pause);
            result
        };
        let (running, task): (BoxFuture<'static, Outcome<T>>, _) =
            match tokio::runtime::Handle::try_current() {
                // Its own task: it goes on when every caller stopped waiting.
                Ok(runtime) => {
                    let task = runtime.spawn(recorded);
                    let abort = task.abort_handle();
                    let flight = self.clone();
                    let joined = async move {
                        task.await.unwrap_or_else(|e| {
                            let error = Arc::new(Error::Credentials(format!(
                                "the credential fetch did not finish: {e}"
                            )));
                            // A panic counts as a failure; a fetch cancelled with its runtime
                            // does not: the next caller starts another.
                            let pause = if e.is_panic() { pause } else { Duration::ZERO };
                            flight.finish(number, &Err(error.clone()), pause);
                            Err(error)
                        })
                    };
                    (Box::pin(joined), Some(abort))
                }
                // Outside a runtime, the callers drive it.
                Err(_) => (Box::pin(recorded), None),
            };
        let result = running.shared();
        state.running = Some(Flight {
            number,
            result: result.clone(),
            task,
        });
        Box::pin(result)
    }

    /// Records how fetch `number` ended, unless a later one has taken its place.
    fn finish(&self, number: u64, result: &Outcome<T>, pause: Duration) {
        let mut state = self.lock();
        if state.running.as_ref().is_none_or(|f| f.number != number) {
            // Replaced after its task died: a newer fetch speaks now.
            return;
        }
        state.running = None;
        state.failed = match result {
            Ok(_) => None,
            Err(error) => Some((error.clone(), Instant::now() + jittered(pause))),
        };
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn counting(
        calls: &Arc<AtomicUsize>,
        answer: Result<u32, &'static str>,
        takes: Duration,
    ) -> impl FnOnce() -> BoxFuture<'static, Result<u32, Error>> {
        let calls = calls.clone();
        move || {
            calls.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move {
                tokio::time::sleep(takes).await;
                answer.map_err(|m| Error::Credentials(m.into()))
            })
        }
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_fetch_and_its_failure() {
        let flight = SingleFlight::<u32>::default();
        let calls = Arc::new(AtomicUsize::new(0));
        let pause = Duration::from_millis(300);
        let waiters: Vec<_> = (0..20)
            .map(|_| {
                flight.run(
                    pause,
                    counting(&calls, Err("iam down"), Duration::from_millis(50)),
                )
            })
            .collect();
        let results = futures::future::join_all(waiters).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let first = results[0].as_ref().unwrap_err();
        for result in &results {
            assert!(Arc::ptr_eq(result.as_ref().unwrap_err(), first));
        }
        // During the pause: the same failure, no new fetch.
        let again = flight
            .run(pause, counting(&calls, Ok(1), Duration::ZERO))
            .await;
        assert!(Arc::ptr_eq(&again.unwrap_err(), first));
        assert!(flight.recent_failure().is_some());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // After it (at most 1.2 times the pause): a new fetch.
        tokio::time::sleep(pause.mul_f64(1.25)).await;
        assert!(flight.recent_failure().is_none());
        let fresh = flight
            .run(pause, counting(&calls, Ok(7), Duration::ZERO))
            .await;
        assert_eq!(fresh.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_fetch_goes_on_when_its_callers_stop_waiting() {
        let flight = SingleFlight::<u32>::default();
        let calls = Arc::new(AtomicUsize::new(0));
        let pause = Duration::from_secs(5);
        let slow = counting(&calls, Ok(3), Duration::from_millis(200));
        let gave_up =
            tokio::time::timeout(Duration::from_millis(20), flight.run(pause, slow)).await;
        assert!(gave_up.is_err());
        assert!(flight.is_running());
        // A later caller joins the fetch under way instead of starting another.
        let joined = flight
            .run(pause, counting(&calls, Ok(9), Duration::ZERO))
            .await;
        assert_eq!(joined.unwrap(), 3);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(!flight.is_running());
    }

    #[test]
    fn a_fetch_cancelled_with_its_runtime_is_not_waited_for_by_the_next_one() {
        let flight = SingleFlight::<u32>::default();
        let calls = Arc::new(AtomicUsize::new(0));
        let pause = Duration::from_secs(5);
        let first = tokio::runtime::Runtime::new().unwrap();
        first.block_on(async {
            let slow = counting(&calls, Ok(1), Duration::from_secs(60));
            let gave_up =
                tokio::time::timeout(Duration::from_millis(10), flight.run(pause, slow)).await;
            assert!(gave_up.is_err());
        });
        drop(first);
        let second = tokio::runtime::Runtime::new().unwrap();
        let answer = second.block_on(flight.run(pause, counting(&calls, Ok(2), Duration::ZERO)));
        assert_eq!(
            answer.unwrap(),
            2,
            "a new fetch, not the dead one nor a failure"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn jitter_stays_within_a_fifth() {
        for _ in 0..1000 {
            let d = jittered(Duration::from_secs(5));
            assert!(
                d >= Duration::from_secs(4) && d <= Duration::from_secs(6),
                "{d:?}"
            );
        }
    }
}
