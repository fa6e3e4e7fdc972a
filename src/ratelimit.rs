//! A client-side pace for requests, shared by every clone of a client.
//!
//! Huawei Cloud publishes no rate limit for DataArts Security or ProjectMan, yet its API gateway
//! throttles over windows of a second, a minute or five minutes. A client that knows its quota
//! sets a steady rate ([`RateLimiter::fixed`]); one that does not starts from a guess and lets
//! throttling teach it ([`RateLimiter::adaptive`]): every throttled answer cuts the rate to 70 %,
//! and successes bring it back along a cubic curve (flat near the rate that was throttled, then
//! probing above it), as TCP CUBIC and the AWS SDKs' adaptive retry mode do.
//!
//! Every attempt of every call (retries, listing pages and reconcile batches included) takes a
//! slot before it is sent. Slots are handed out in order, evenly spaced, so a burst of tasks is
//! spread out instead of meeting the gateway together; a slot later than the call's deadline is
//! not taken and the call times out instead.

use std::{
    fmt,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::time::Instant;

use crate::Error;

/// The share of the rate kept after a throttled answer.
const BETA: f64 = 0.7;
/// How fast the rate grows back (requests per second per second cubed).
const SCALE: f64 = 0.4;
/// The adaptive rate never goes below this many requests per second.
const FLOOR: f64 = 0.5;
/// Throttled answers to requests sent within this time after a cut describe the same throttling
/// window (Huawei's shortest is 1 s) and do not cut again.
const COOLDOWN: Duration = Duration::from_secs(1);

/// Paces requests at a steady or adaptive rate. Clones share one pace: give the same limiter to
/// several clients to hold them to one quota together.
///
/// ```
/// # #[cfg(feature = "projectman")]
/// use huaweicloud_openapi::{ratelimit::RateLimiter, ProjectManClient};
///
/// # #[cfg(feature = "projectman")]
/// # fn run() -> Result<(), huaweicloud_openapi::Error> {
/// // A quota of 200 calls per 5 minutes is 0.66 calls a second.
/// let pace = RateLimiter::fixed(0.66)?;
/// let client = ProjectManClient::builder()
///     .region("cn-north-4")
///     .rate_limiter(pace.clone())
///     .build()?;
/// assert_eq!(pace.rate(), 0.66);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RateLimiter {
    shared: Arc<Mutex<Pace>>,
}

struct Pace {
    /// Requests per second now.
    rate: f64,
    /// Follow throttling up and down.
    adaptive: bool,
    /// The next free slot.
    next: Option<Instant>,
    /// The rate when the last throttled answer came, and when it came.
    last_cut: Option<(f64, Instant)>,
    /// The highest rate the adaptive mode may reach.
    ceiling: f64,
}

impl RateLimiter {
    /// At most `per_second` requests a second (fractions allowed: 0.5 is one every 2 s), evenly
    /// spaced. Fails with [`Error::Config`] unless `per_second` is a positive finite number.
    pub fn fixed(per_second: f64) -> Result<Self, Error> {
        Self::new(per_second, false)
    }

    /// Starts at `per_second` and follows the service: a throttled answer cuts the rate to 70 %
    /// (answers to requests sent before the last cut, or within a second after it, belong to the
    /// same throttling window and do not cut again), successes raise it
    /// gradually back and beyond, up to twice the rate last throttled (or the start rate), never
    /// below 0.5 a second.
    pub fn adaptive(per_second: f64) -> Result<Self, Error> {
        Self::new(per_second, true)
    }

    fn new(rate: f64, adaptive: bool) -> Result<Self, Error> {
        if !(rate.is_finite() && rate > 0.0) {
            return Err(Error::Config(format!(
                "a rate limit must be a positive number of requests per second, not {rate}"
            )));
        }
        Ok(RateLimiter {
            shared: Arc::new(Mutex::new(Pace {
                rate,
                adaptive,
                next: None,
                last_cut: None,
                ceiling: rate,
            })),
        })
    }

    /// Requests per second allowed now.
    pub fn rate(&self) -> f64 {
        self.lock().rate
    }

    /// Whether the rate follows throttling.
    pub fn is_adaptive(&self) -> bool {
        self.lock().adaptive
    }

    /// Waits for the next slot. `Err(wait)` when that slot comes after `deadline`: nothing is
    /// taken, and the caller gives up.
    pub(crate) async fn acquire(&self, deadline: Option<Instant>) -> Result<(), Duration> {
        let slot = self.reserve(Instant::now(), deadline)?;
        tokio::time::sleep_until(slot).await;
        Ok(())
    }

    fn reserve(&self, now: Instant, deadline: Option<Instant>) -> Result<Instant, Duration> {
        let mut pace = self.lock();
        let slot = pace.next.map_or(now, |next| next.max(now));
        if deadline.is_some_and(|d| slot > d) {
            return Err(slot - now);
        }
        pace.next = Some(slot + Duration::from_secs_f64(1.0 / pace.rate));
        Ok(slot)
    }

    /// A request sent at `sent` was throttled.
    pub(crate) fn throttled(&self, sent: Instant) {
        self.throttled_at(sent, Instant::now());
    }

    fn throttled_at(&self, sent: Instant, now: Instant) {
        let mut pace = self.lock();
        if !pace.adaptive || pace.last_cut.is_some_and(|(_, at)| sent < at + COOLDOWN) {
            return;
        }
        let before = pace.rate;
        pace.rate = (before * BETA).max(FLOOR);
        pace.ceiling = pace.ceiling.max(before);
        pace.last_cut = Some((before, now));
        // Slots already handed out keep their times; the next one follows the new rate.
        tracing::debug!(from = before, to = pace.rate, "throttled: slowing down");
    }

    /// A request succeeded.
    pub(crate) fn succeeded(&self) {
        self.succeeded_at(Instant::now());
    }

    fn succeeded_at(&self, now: Instant) {
        let mut pace = self.lock();
        let Some((peak, at)) = pace.last_cut.filter(|_| pace.adaptive) else {
            return;
        };
        // The cubic curve through (0, peak * BETA) and (k, peak).
        let k = (peak * (1.0 - BETA) / SCALE).cbrt();
        let t = now.saturating_duration_since(at).as_secs_f64();
        let grown = SCALE * (t - k).powi(3) + peak;
        let ceiling = (2.0 * peak).max(pace.ceiling);
        pace.rate = grown.clamp(FLOOR, ceiling);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pace> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pace = self.lock();
        f.debug_struct("RateLimiter")
            .field("rate", &pace.rate)
            .field("adaptive", &pace.adaptive)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_positive_finite_rates() {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(RateLimiter::fixed(bad), Err(Error::Config(_))));
        }
    }

    #[test]
    fn slots_are_evenly_spaced_and_shared_by_clones() {
        let limiter = RateLimiter::fixed(10.0).unwrap();
        let clone = limiter.clone();
        let now = Instant::now();
        let slots: Vec<Instant> = (0..5)
            .map(|i| {
                let l = if i % 2 == 0 { &limiter } else { &clone };
                l.reserve(now, None).unwrap()
            })
            .collect();
        for (i, slot) in slots.iter().enumerate() {
            assert_eq!(*slot - now, Duration::from_millis(100) * i as u32);
        }
        // A slot past the deadline is not taken.
        let deadline = now + Duration::from_millis(450);
        assert_eq!(
            limiter.reserve(now, Some(deadline)),
            Err(Duration::from_millis(500))
        );
        assert_eq!(
            limiter.reserve(now, None).unwrap() - now,
            Duration::from_millis(500)
        );
    }

    #[test]
    fn fixed_rates_ignore_throttling() {
        let limiter = RateLimiter::fixed(10.0).unwrap();
        let now = Instant::now();
        limiter.throttled_at(now, now);
        limiter.succeeded_at(now + Duration::from_secs(30));
        assert_eq!(limiter.rate(), 10.0);
    }

    #[test]
    fn adaptive_rates_cut_once_per_wave_and_grow_back() {
        let limiter = RateLimiter::adaptive(100.0).unwrap();
        let t0 = Instant::now();
        limiter.throttled_at(t0, t0 + Duration::from_millis(10));
        assert!((limiter.rate() - 70.0).abs() < 1e-9);
        // Requests sent before the cut were throttled by the old rate: no second cut.
        limiter.throttled_at(
            t0 + Duration::from_millis(5),
            t0 + Duration::from_millis(20),
        );
        assert!((limiter.rate() - 70.0).abs() < 1e-9);
        // Back near the old peak after k = cbrt(100 * 0.3 / 0.4) ~ 4.2 s, above it later.
        let cut = t0 + Duration::from_millis(10);
        limiter.succeeded_at(cut + Duration::from_secs(1));
        let early = limiter.rate();
        assert!(early > 70.0 && early < 100.0, "{early}");
        limiter.succeeded_at(cut + Duration::from_millis(4_217));
        assert!((limiter.rate() - 100.0).abs() < 0.5, "{}", limiter.rate());
        limiter.succeeded_at(cut + Duration::from_secs(8));
        assert!(limiter.rate() > 100.0);
        limiter.succeeded_at(cut + Duration::from_secs(600));
        assert_eq!(limiter.rate(), 200.0, "capped at twice the peak");
        // Many cuts never go below the floor.
        let mut at = cut;
        for _ in 0..100 {
            at += Duration::from_secs(1);
            limiter.throttled_at(at, at);
        }
        assert_eq!(limiter.rate(), FLOOR);
    }
}
