//! What the commands report, and its three renderings: a (coloured) diff for people, JSON for
//! machines and audit logs, Markdown for a pull-request comment.

use std::io::Write;

use anstyle::{AnsiColor, Style};
use serde::Serialize;

use crate::{args::Output, file::Kind};

/// Version of the JSON documents: minor changes only add fields; readers ignore fields they do
/// not know.
pub const FORMAT_VERSION: u32 = 1;

/// What a change does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A member is added.
    Add,
    /// A member's project role changes.
    ChangeRole,
    /// A member is removed.
    Remove,
}

/// One planned change.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// What it does.
    pub action: Action,
    /// `USER`, `USER_GROUP` or `WORKSPACE_ROLE` (permission sets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_type: Option<String>,
    /// The member ID.
    pub id: String,
    /// Its display name (permission sets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The role it gets (projects).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The role it had (projects).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_role: Option<String>,
}

impl Change {
    fn line(&self) -> String {
        let sign = match self.action {
            Action::Add => '+',
            Action::ChangeRole => '~',
            Action::Remove => '-',
        };
        match (&self.member_type, &self.role, &self.from_role) {
            (Some(t), _, _) => format!(
                "{sign} {t} {} ({})",
                self.name.as_deref().unwrap_or(""),
                self.id
            ),
            (None, Some(to), Some(from)) => format!("{sign} {} {from} -> {to}", self.id),
            (None, Some(to), None) => format!("{sign} {} as {to}", self.id),
            (None, None, Some(from)) => format!("{sign} {} (was {from})", self.id),
            (None, None, None) => format!("{sign} {}", self.id),
        }
    }

    fn style(&self) -> Style {
        let colour = match self.action {
            Action::Add => AnsiColor::Green,
            Action::ChangeRole => AnsiColor::Yellow,
            Action::Remove => AnsiColor::Red,
        };
        Style::new().fg_color(Some(colour.into()))
    }
}

/// A call of an apply that failed.
#[derive(Debug, Clone, Serialize)]
pub struct Failed {
    /// The changes it carried.
    pub changes: Vec<String>,
    /// Why.
    pub error: String,
    /// The service's request ID, for the audit trail and support.
    pub request_id: Option<String>,
}

/// A member that verification found not as planned: the engine's own record.
pub use huaweicloud_openapi::reconcile::NotConverged;

/// One write call of an apply, for the audit trail.
#[derive(Debug, Clone, Serialize)]
pub struct WriteCall {
    /// The operation.
    pub operation: String,
    /// Changes it carried.
    pub changes: usize,
    /// The service's request ID.
    pub request_id: Option<String>,
    /// Attempts the transport sent (retries included).
    pub attempts: u64,
    /// How it ended.
    pub outcome: String,
    /// How long it took.
    pub duration_ms: u64,
}

/// What an apply of one target did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ApplyResult {
    /// Changes made.
    pub applied: Vec<String>,
    /// Changes an earlier apply of the same plan had made.
    pub already_done: Vec<String>,
    /// Calls that failed.
    pub failed: Vec<Failed>,
    /// Members verification found not as planned.
    pub not_converged: Vec<NotConverged>,
    /// What listing the target again found: `passed`, `not_converged`, `skipped`, `failed: ...`.
    pub verification: String,
    /// Attempts the transport sent, listings and retries included.
    pub calls: u64,
    /// Every write call, with its request ID.
    pub writes: Vec<WriteCall>,
    /// Request IDs of every listing page.
    pub listing_request_ids: Vec<String>,
    /// Why the plan was refused (safety limit, stale plan, self-removal, no confirmation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
    /// Why it could not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The request ID of that error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl ApplyResult {
    /// Every change in place, nothing refused.
    pub fn is_ok(&self) -> bool {
        self.failed.is_empty()
            && self.not_converged.is_empty()
            && self.refused.is_none()
            && self.error.is_none()
    }

    /// An apply that could not start.
    pub fn failed_to_start(why: &str) -> Self {
        ApplyResult {
            error: Some(why.to_owned()),
            ..ApplyResult::default()
        }
    }
}

/// Where a target stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Its members are as the file says.
    InSync,
    /// Planned changes (plan), or not applied (apply not confirmed).
    Drift,
    /// Every change applied.
    Applied,
    /// Some changes failed.
    Incomplete,
    /// Apply refused the plan.
    Refused,
    /// Planning or applying failed.
    Error,
}

/// One target's part of a report.
#[derive(Debug, Clone, Serialize)]
pub struct TargetReport {
    /// Its label.
    pub target: String,
    /// Permission set or project.
    pub kind: Kind,
    /// Its ID.
    pub id: String,
    /// Its region, when the file gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Where it stands.
    pub status: Status,
    /// Members to add.
    pub add: usize,
    /// Role changes.
    pub change_role: usize,
    /// Members to remove.
    pub remove: usize,
    /// Members that stay.
    pub unchanged: usize,
    /// The planned changes.
    pub changes: Vec<Change>,
    /// Why planning failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The request ID of that error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// What apply did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apply: Option<ApplyResult>,
}

impl TargetReport {
    /// A target not planned: `error`.
    pub fn failed(
        target: String,
        kind: Kind,
        id: String,
        region: Option<String>,
        error: String,
        request_id: Option<String>,
    ) -> Self {
        TargetReport {
            target,
            kind,
            id,
            region,
            status: Status::Error,
            add: 0,
            change_role: 0,
            remove: 0,
            unchanged: 0,
            changes: Vec::new(),
            error: Some(error),
            request_id,
            apply: None,
        }
    }

    /// A planned target.
    pub fn planned(
        target: String,
        kind: Kind,
        id: String,
        region: Option<String>,
        changes: Vec<Change>,
        unchanged: usize,
    ) -> Self {
        let count = |a: Action| changes.iter().filter(|c| c.action == a).count();
        TargetReport {
            add: count(Action::Add),
            change_role: count(Action::ChangeRole),
            remove: count(Action::Remove),
            status: if changes.is_empty() {
                Status::InSync
            } else {
                Status::Drift
            },
            target,
            kind,
            id,
            region,
            unchanged,
            changes,
            error: None,
            request_id: None,
            apply: None,
        }
    }

    fn summary(&self) -> String {
        match self.status {
            Status::InSync => format!("{}: in sync ({} members)", self.target, self.unchanged),
            Status::Error => format!(
                "{}: error: {}",
                self.target,
                self.error.as_deref().unwrap_or("unknown")
            ),
            _ => format!(
                "{}: {} to add, {} role changes, {} to remove, {} unchanged",
                self.target, self.add, self.change_role, self.remove, self.unchanged
            ),
        }
    }
}

/// A whole run's report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// `plan` or `apply`.
    pub command: &'static str,
    /// Ran against the embedded fake.
    pub fake: bool,
    /// Target by target.
    pub targets: Vec<TargetReport>,
    /// Counts over the targets.
    pub summary: Summary,
}

/// Counts of a report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Targets.
    pub targets: usize,
    /// In sync.
    pub in_sync: usize,
    /// With planned changes.
    pub drift: usize,
    /// Planning failed.
    pub errors: usize,
    /// Applied in full.
    pub applied: usize,
    /// Applied in part.
    pub incomplete: usize,
    /// Refused.
    pub refused: usize,
}

impl Report {
    /// The report of `targets`.
    pub fn new(command: &'static str, fake: bool, targets: Vec<TargetReport>) -> Self {
        let count = |s: Status| targets.iter().filter(|t| t.status == s).count();
        let summary = Summary {
            targets: targets.len(),
            in_sync: count(Status::InSync),
            drift: count(Status::Drift),
            errors: count(Status::Error),
            applied: count(Status::Applied),
            incomplete: count(Status::Incomplete),
            refused: count(Status::Refused),
        };
        Report {
            format_version: FORMAT_VERSION,
            command,
            fake,
            targets,
            summary,
        }
    }

    /// Writes the report to standard output in `format`.
    pub fn print(&self, format: Output) -> std::io::Result<()> {
        let mut out = anstream::stdout().lock();
        match format {
            Output::Json => {
                let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
                writeln!(out, "{text}")
            }
            Output::Markdown => write!(out, "{}", self.markdown()),
            Output::Human => self.human(&mut out),
        }
    }

    fn human(&self, out: &mut impl Write) -> std::io::Result<()> {
        let bold = Style::new().bold();
        let red = Style::new().fg_color(Some(AnsiColor::Red.into()));
        for t in &self.targets {
            writeln!(out, "{bold}{}{bold:#}", t.target)?;
            for c in &t.changes {
                let style = c.style();
                writeln!(out, "  {style}{}{style:#}", c.line())?;
            }
            if let Some(apply) = &t.apply {
                if let Some(why) = &apply.refused {
                    writeln!(out, "  {red}not applied:{red:#} {why}")?;
                } else if let Some(why) = &apply.error {
                    writeln!(out, "  {red}not applied:{red:#} {why}")?;
                } else {
                    writeln!(
                        out,
                        "  {} applied, {} already done, {} failed, {} calls, verification {}",
                        apply.applied.len(),
                        apply.already_done.len(),
                        apply.failed.iter().map(|f| f.changes.len()).sum::<usize>(),
                        apply.calls,
                        apply.verification
                    )?;
                }
                for n in &apply.not_converged {
                    writeln!(
                        out,
                        "  {red}not converged{red:#} {} ({}): expected {}, found {}{}",
                        n.member,
                        n.change,
                        n.expected,
                        n.found,
                        n.reason
                            .as_deref()
                            .map(|r| format!(" ({r})"))
                            .unwrap_or_default()
                    )?;
                }
                for f in &apply.failed {
                    writeln!(
                        out,
                        "  {red}failed{red:#} ({} changes, e.g. {}): {}",
                        f.changes.len(),
                        f.changes.first().map_or("-", String::as_str),
                        f.error
                    )?;
                    if let Some(id) = f
                        .request_id
                        .as_ref()
                        .filter(|id| !f.error.contains(id.as_str()))
                    {
                        writeln!(out, "    request id: {id}")?;
                    }
                }
                let quoted = |id: &str| {
                    [&apply.refused, &apply.error]
                        .iter()
                        .any(|m| m.as_deref().is_some_and(|m| m.contains(id)))
                };
                if let Some(id) = apply.request_id.as_deref().filter(|id| !quoted(id)) {
                    writeln!(out, "  request id: {id}")?;
                }
                if let Some(hint) = &apply.hint {
                    writeln!(out, "  hint: {hint}")?;
                }
            }
            // Errors quote their request ID already; print it when one does not.
            if let (Some(id), Some(e)) = (&t.request_id, &t.error) {
                if !e.contains(id.as_str()) {
                    writeln!(out, "  request id: {id}")?;
                }
            }
            writeln!(out, "{}", t.summary())?;
            writeln!(out)?;
        }
        let s = &self.summary;
        match self.command {
            "apply" => writeln!(
                out,
                "{} targets: {} applied, {} in sync, {} incomplete, {} refused, {} not applied, {} errors",
                s.targets, s.applied, s.in_sync, s.incomplete, s.refused, s.drift, s.errors
            ),
            _ => writeln!(
                out,
                "{} targets: {} in sync, {} to change, {} errors",
                s.targets, s.in_sync, s.drift, s.errors
            ),
        }
    }

    /// A pull-request comment: a table of counts per target, then each target's changes.
    pub fn markdown(&self) -> String {
        let mut md = format!("## hwc-members {}\n\n", self.command);
        md.push_str("| Target | Status | Add | Role changes | Remove | Unchanged |\n");
        md.push_str("| --- | --- | ---: | ---: | ---: | ---: |\n");
        for t in &self.targets {
            let status = serde_json::to_value(t.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            md.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                t.target.replace('|', "\\|"),
                status.replace('_', " "),
                t.add,
                t.change_role,
                t.remove,
                t.unchanged
            ));
        }
        for t in &self.targets {
            if t.changes.is_empty() && t.error.is_none() && t.apply.is_none() {
                continue;
            }
            md.push_str(&format!("\n### {}\n\n", t.target));
            if !t.changes.is_empty() {
                md.push_str("```diff\n");
                for c in &t.changes {
                    md.push_str(&c.line());
                    md.push('\n');
                }
                md.push_str("```\n");
            }
            if let Some(e) = &t.error {
                md.push_str(&format!("\n**Error:** {e}\n"));
            }
            if let Some(a) = &t.apply {
                if let Some(why) = a.refused.as_ref().or(a.error.as_ref()) {
                    md.push_str(&format!("\n**Not applied:** {why}\n"));
                } else {
                    md.push_str(&format!(
                        "\n{} applied, {} already done, {} calls failed, verification {}\n",
                        a.applied.len(),
                        a.already_done.len(),
                        a.failed.len(),
                        a.verification
                    ));
                }
                for n in &a.not_converged {
                    md.push_str(&format!(
                        "- not converged: {} ({}): expected {}, found {}{}\n",
                        n.member,
                        n.change,
                        n.expected,
                        n.found,
                        n.reason
                            .as_deref()
                            .map(|r| format!(" ({r})"))
                            .unwrap_or_default()
                    ));
                }
                for f in &a.failed {
                    md.push_str(&format!(
                        "- failed: {} (request id `{}`)\n",
                        f.error,
                        f.request_id.as_deref().unwrap_or("-")
                    ));
                }
            }
        }
        md
    }
}
