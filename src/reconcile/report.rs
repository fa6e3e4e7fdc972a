//! What an apply did, call by call and member by member: data a person can read (`Display`) and a
//! program can audit (`serde::Serialize`).

use std::fmt;

use serde::{Serialize, Serializer};

use crate::Error;

/// How a write call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The service accepted it (verification says whether it did all it was asked).
    Applied,
    /// It failed; none of its changes is known to be in place.
    Failed,
}

/// One write call of an apply.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChunkReport {
    /// `add`, `change` or `remove`.
    pub operation: String,
    /// The changes it carried, as in the plan's diff.
    pub changes: Vec<String>,
    /// `X-Request-Id` of its (last) response: quote it to the service's support.
    pub request_id: Option<String>,
    /// Attempts the transport sent for it, retries included.
    pub attempts: u64,
    /// How it ended.
    pub outcome: Outcome,
    /// Why it failed.
    pub error: Option<String>,
    /// When it started, in milliseconds since the apply started.
    pub started_ms: u64,
    /// How long it took, retries included.
    pub duration_ms: u64,
}

/// What an apply tells its progress callback after every write call.
#[derive(Debug, Clone, Copy)]
pub struct ApplyProgress<'a> {
    /// The call that just ended.
    pub chunk: &'a ChunkReport,
    /// Planned changes settled so far: applied, found already done, or failed.
    pub done: usize,
    /// Planned changes in all.
    pub total: usize,
}

/// One listing of the target an apply made (before writing, and to verify).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ListingReport {
    /// Why it listed: `before apply`, `verify`.
    pub purpose: String,
    /// Members found.
    pub members: usize,
    /// Times the list was read: more than 1 when a reading was inconsistent.
    pub listings: u32,
    /// Attempts the transport sent, every reading and retry included.
    pub calls: u64,
    /// `X-Request-Id` of every page read.
    pub request_ids: Vec<String>,
    /// Why a reading was discarded (an item listed twice, ...).
    pub inconsistencies: Vec<String>,
    /// How long it took.
    pub duration_ms: u64,
}

/// A write call that failed.
#[derive(Debug, Serialize)]
pub struct FailedChunk {
    /// The changes the call carried; none of them is known to be in place.
    pub changes: Vec<String>,
    /// Why the call failed.
    #[serde(serialize_with = "as_text")]
    pub error: Error,
}

fn as_text<S: Serializer>(error: &Error, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(error)
}

/// A planned member that verification found otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotConverged {
    /// The member's key.
    pub member: String,
    /// `+` (to add), `~` (to change) or `-` (to remove).
    pub change: String,
    /// What the plan wanted.
    pub expected: String,
    /// What the listing found.
    pub found: String,
    /// The service's likely reason, when known (a user ID the batch add skipped, a role it
    /// downgraded).
    pub reason: Option<String>,
}

/// What verification (listing the target again after writing) found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Verification {
    /// Turned off in the options, or not run yet.
    #[default]
    Skipped,
    /// Every planned member is as planned.
    Passed,
    /// Some planned members are not as planned.
    NotConverged {
        /// Who, and why when known.
        members: Vec<NotConverged>,
    },
    /// The target could not be listed again.
    Failed {
        /// Why.
        error: String,
    },
}

/// What an apply did: every planned change applied, found already done, or failed, each write
/// call with its request ID, attempts and timing, and what verification found.
#[derive(Debug, Default, Serialize)]
pub struct ApplyReport {
    /// The target (`project <id>`, ...).
    pub target: String,
    /// Changes made by this apply (accepted by the service).
    pub applied: Vec<String>,
    /// Changes found already in place (by a previous apply of the same plan).
    pub already_done: Vec<String>,
    /// Calls that failed: the changes each carried, and its error.
    pub failed: Vec<FailedChunk>,
    /// Changes whose call failed in passing and that were written again (see
    /// [`ApplyOptions::write_retries`](super::ApplyOptions::write_retries)); what became of them
    /// is in `applied`, `failed` and the verification.
    pub retried: Vec<String>,
    /// Every write call, in the order they ended.
    pub chunks: Vec<ChunkReport>,
    /// Every listing.
    pub listings: Vec<ListingReport>,
    /// What listing the target again found.
    pub verification: Verification,
    /// Attempts the transport sent, listings and retries included.
    pub calls: u64,
    /// How long the apply took.
    pub duration_ms: u64,
}

impl ApplyReport {
    /// Every planned change is in place: no call failed, and verification passed (or was turned
    /// off, in which case the service's word is taken for it).
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty()
            && matches!(
                self.verification,
                Verification::Passed | Verification::Skipped
            )
    }

    /// The members verification found not as planned.
    pub fn not_converged(&self) -> &[NotConverged] {
        match &self.verification {
            Verification::NotConverged { members } => members,
            _ => &[],
        }
    }

    /// Planned changes whose call failed.
    pub fn failed_changes(&self) -> usize {
        self.failed.iter().map(|c| c.changes.len()).sum()
    }
}

impl fmt::Display for ApplyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verification = match &self.verification {
            Verification::Skipped => "not verified".to_owned(),
            Verification::Passed => "verified".to_owned(),
            Verification::NotConverged { members } => {
                format!("{} not converged", members.len())
            }
            Verification::Failed { .. } => "verification failed".to_owned(),
        };
        write!(
            f,
            "{} applied, {} already done, {} failed, {verification}, {} calls",
            self.applied.len(),
            self.already_done.len(),
            self.failed_changes(),
            self.calls
        )?;
        for chunk in &self.failed {
            write!(
                f,
                "\n  failed ({} changes, e.g. {}): {}",
                chunk.changes.len(),
                chunk.changes.first().map_or("-", String::as_str),
                chunk.error
            )?;
        }
        for m in self.not_converged() {
            write!(
                f,
                "\n  not converged: {} {}: expected {}, found {}",
                m.change, m.member, m.expected, m.found
            )?;
            if let Some(reason) = &m.reason {
                write!(f, " ({reason})")?;
            }
        }
        if let Verification::Failed { error } = &self.verification {
            write!(f, "\n  verification failed: {error}")?;
        }
        Ok(())
    }
}
