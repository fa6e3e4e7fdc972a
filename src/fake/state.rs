//! What the fake remembers between requests: one part per service, plus what every request
//! shares (the request counter, IDs and clock, the key pair, faults and the rate limit).

use std::{
    sync::{Arc, Mutex, MutexGuard},
    time::{SystemTime, UNIX_EPOCH},
};

#[cfg(feature = "dataarts")]
use super::dataarts::DataArtsState;
use super::faults::Faults;
#[cfg(feature = "projectman")]
use super::projectman::ProjectManState;

/// The identity the fake reports as creator and updater.
pub(super) const FAKE_USER: &str = "fake_user";
/// The user ID of that identity (a 32-character IAM user ID).
pub(super) const FAKE_USER_ID: &str = "f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0";
/// The account (domain) of that identity.
pub(super) const FAKE_DOMAIN_ID: &str = "0833a5736980d53b0f22c0102ffcbfc0";
/// The account name of that identity.
pub(super) const FAKE_DOMAIN_NAME: &str = "fake_account";
/// The DataArts instance the fake pretends to be.
pub(super) const INSTANCE_ID: &str = "dd97167b873d4a79b2aad54d4370a3bc";

pub(super) type AppState = Arc<Mutex<State>>;

pub(super) struct State {
    #[cfg(feature = "dataarts")]
    pub dataarts: DataArtsState,
    #[cfg(feature = "projectman")]
    pub projectman: ProjectManState,
    pub requests: usize,
    /// AK/SK pair to verify signatures with, when configured.
    pub key: Option<(String, String)>,
    /// Queued and random faults, the rate limit, recorded requests, latency.
    pub faults: Faults,
    last_time: i64,
    ids: u64,
}

/// Locks the state; a panic in another request cannot poison the fake for good.
pub(super) fn lock(state: &Arc<Mutex<State>>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl State {
    pub fn new(key: Option<(String, String)>) -> Self {
        State {
            #[cfg(feature = "dataarts")]
            dataarts: DataArtsState::default(),
            #[cfg(feature = "projectman")]
            projectman: ProjectManState::default(),
            requests: 0,
            key,
            faults: Faults::default(),
            last_time: 0,
            ids: 0,
        }
    }

    /// Epoch milliseconds, strictly increasing so that sorting by time is deterministic.
    pub fn now_ms(&mut self) -> i64 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        self.last_time = now.max(self.last_time + 1);
        self.last_time
    }

    /// A fresh 32-character lowercase hex ID.
    pub fn new_id(&mut self) -> String {
        self.ids += 1;
        format!("{:016x}{:016x}", fastrand::u64(..), self.ids)
    }
}
