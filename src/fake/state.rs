//! What the fake remembers between requests.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::{Arc, Mutex, MutexGuard},
    time::{SystemTime, UNIX_EPOCH},
};

use crate::dataarts::types::{PermissionSet, PermissionSetMember};

/// The identity the fake reports as creator and updater.
pub(super) const FAKE_USER: &str = "fake_user";
/// The DataArts instance the fake pretends to be.
pub(super) const INSTANCE_ID: &str = "dd97167b873d4a79b2aad54d4370a3bc";

pub(super) struct SetState {
    pub set: PermissionSet,
    pub members: Vec<PermissionSetMember>,
    /// Member IDs already in `members`, so adding stays O(1) per member at any size.
    pub member_ids: HashSet<String>,
}

pub(super) struct State {
    pub sets: HashMap<(String, String), SetState>,
    /// CodeArts project ID -> user ID -> role ID.
    pub projects: HashMap<String, BTreeMap<String, i32>>,
    pub requests: usize,
    /// AK/SK pair to verify signatures with, when configured.
    pub key: Option<(String, String)>,
    /// Queued faults, recorded requests, latency.
    pub faults: super::faults::Faults,
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
            sets: HashMap::new(),
            projects: HashMap::new(),
            requests: 0,
            key,
            faults: Default::default(),
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

    pub fn set(&self, project_id: &str, id: &str) -> Option<&SetState> {
        self.sets.get(&(project_id.to_string(), id.to_string()))
    }

    pub fn set_mut(&mut self, project_id: &str, id: &str) -> Option<&mut SetState> {
        self.sets.get_mut(&(project_id.to_string(), id.to_string()))
    }

    pub fn seed_permission_set(&mut self, project_id: &str, id: &str, name: &str) {
        let now = self.now_ms();
        let key = (project_id.to_string(), id.to_string());
        let entry = self.sets.entry(key).or_insert_with(|| SetState {
            set: PermissionSet {
                id: Some(id.into()),
                parent_id: Some("0".into()),
                project_id: Some(project_id.into()),
                domain_id: Some("0833a5736980d53b0f22c0102ffcbfc0".into()),
                instance_id: Some(INSTANCE_ID.into()),
                type_: Some("COMMON".into()),
                sync_status: Some("NOT_SYNC".into()),
                create_time: Some(now),
                create_user: Some(FAKE_USER.into()),
                ..Default::default()
            },
            members: Vec::new(),
            member_ids: HashSet::new(),
        });
        entry.set.name = Some(name.into());
        entry.set.update_time = Some(now);
        entry.set.update_user = Some(FAKE_USER.into());
    }
}
