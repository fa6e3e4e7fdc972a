//! The commands' flow: load, connect, plan, confirm, apply, report. No reconcile logic: that
//! is the engine's, reached through `engine`.

use std::{
    collections::BTreeSet,
    io::{BufRead, IsTerminal, Write},
    path::Path,
    time::Duration,
};

use clap::CommandFactory;
use huaweicloud_openapi::projectman::Role;
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};

use crate::{
    args::{ApplyArgs, Cli, Command, ExportArgs, Global, Output, PlanArgs},
    connect::{Resolved, Session},
    engine::{self, ApplyOptions, Plan},
    exit,
    file::{self, FakeState, Kind, Member, MembersFile, RoleArg, Target},
    output::{ApplyResult, Report, Status, TargetReport},
};

/// Runs the command; `Err` is a message for standard error and exit code 1.
pub async fn run(cli: Cli) -> Result<u8, String> {
    match cli.command {
        Command::Validate(a) => {
            let file = MembersFile::load(&a.file)?;
            let members: usize = file
                .targets
                .iter()
                .map(|t| file.expand(t).map_or(0, |m| m.len()))
                .sum();
            emit(&format!(
                "{}: valid: {} targets, {members} members after group expansion\n",
                a.file.display(),
                file.targets.len()
            ))?;
            Ok(exit::OK)
        }
        Command::Completions(a) => {
            let mut command = Cli::command();
            clap_complete::generate(a.shell, &mut command, "hwc-members", &mut std::io::stdout());
            Ok(exit::OK)
        }
        Command::Plan(a) => plan(a, &cli.global).await,
        Command::Apply(a) => apply(a, &cli.global).await,
        Command::Export(a) => export(a, &cli.global).await,
    }
}

/// Writes `text` to standard output.
fn emit(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .or_else(broken_pipe)
}

/// A reader that went away (`| head`) is not an error, as in ripgrep.
fn broken_pipe(e: std::io::Error) -> Result<(), String> {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Ok(())
    } else {
        Err(format!("cannot write to standard output: {e}"))
    }
}

/// The file, its selected targets and a session with the fake seeded.
struct Prepared {
    file: MembersFile,
    selected: Vec<Target>,
    session: Session,
}

async fn prepare(
    path: &Path,
    only: &[String],
    global: &Global,
    identity: Option<String>,
) -> Result<Prepared, String> {
    let file = MembersFile::load(path)?;
    let labels: BTreeSet<String> = file.targets.iter().map(Target::label).collect();
    if let Some(unknown) = only.iter().find(|l| !labels.contains(*l)) {
        return Err(format!(
            "--target {unknown:?}: no such target in {}; it has: {}",
            path.display(),
            labels.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    let selected: Vec<Target> = file
        .targets
        .iter()
        .filter(|t| only.is_empty() || only.contains(&t.label()))
        .cloned()
        .collect();
    let state = global
        .fake_state
        .as_deref()
        .map(FakeState::load)
        .transpose()?;
    let mut session = Session::open(&file, global.fake, state.as_ref(), global.rate, identity)?;
    if session.is_fake() {
        let mut all: Vec<&Target> = selected.iter().collect();
        if let Some((_, seed)) = &state {
            all.extend(seed.targets.iter());
        }
        session
            .start_fakes(&all, state.as_ref().map(|(s, _)| s))
            .await?;
        if let Some((_, seed)) = &state {
            seed_fake(&session, seed).await?;
        }
        let endpoints = session.fake_endpoints();
        let why = if global.fake || global.fake_state.is_some() {
            ""
        } else {
            "no credentials found (environment, ~/.huaweicloud/credentials): "
        };
        eprintln!(
            "hwc-members: {why}running against the embedded fake ({}); it forgets everything when the run ends",
            endpoints
                .iter()
                .map(|(l, e)| format!("{l} at {e}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(Prepared {
        file,
        selected,
        session,
    })
}

/// Brings the fake to the `--fake-state` members (every target pruned), through the engine.
async fn seed_fake(session: &Session, seed: &MembersFile) -> Result<(), String> {
    let options = ApplyOptions {
        max_removal_share: 1.0,
        allow_large_removals: true,
        allow_removing_last_manager: true,
        concurrency: 4,
        verify: true,
    };
    for target in &seed.targets {
        let label = format!("--fake-state {}", target.label());
        let (kind, id) = target.kind_id();
        let clients = session
            .clients(target)
            .map_err(|e| format!("{label}: {e}"))?;
        let wanted = seed.expand(target).map_err(|e| format!("{label}: {e}"))?;
        let members = session
            .resolve(target, &clients, wanted)
            .await
            .map_err(|e| format!("{label}: {e}"))?;
        let plan = engine::plan(&clients, kind, id, true, &members, 4)
            .await
            .map_err(|(e, _)| format!("{label}: {e}"))?;
        let result = engine::apply(&clients, &plan, &options, std::sync::Arc::new(|_| {})).await;
        if !result.is_ok() {
            let why = result
                .refused
                .or(result.error)
                .or_else(|| result.failed.first().map(|f| f.error.clone()))
                .unwrap_or_default();
            return Err(format!("{label}: seeding the fake failed: {why}"));
        }
    }
    Ok(())
}

/// Plans every selected target: its report, and its plan when planning worked.
async fn plan_all(p: &Prepared) -> Vec<(Target, TargetReport, Option<Plan>)> {
    let mut out = Vec::new();
    for target in &p.selected {
        let (kind, id) = target.kind_id();
        let planned = async {
            let clients = p.session.clients(target).map_err(|e| (e, None))?;
            let wanted = p.file.expand(target).map_err(|e| (e, None))?;
            let members = p
                .session
                .resolve(target, &clients, wanted)
                .await
                .map_err(|e| (e, None))?;
            engine::plan(&clients, kind, id, target.prune, &members, 4).await
        }
        .await;
        let report = |changes, unchanged| {
            TargetReport::planned(
                target.label(),
                kind,
                id.to_owned(),
                target.region.clone(),
                changes,
                unchanged,
            )
        };
        match planned {
            Ok(plan) => out.push((
                target.clone(),
                report(plan.changes(), plan.unchanged()),
                Some(plan),
            )),
            Err((error, request_id)) => out.push((
                target.clone(),
                TargetReport::failed(
                    target.label(),
                    kind,
                    id.to_owned(),
                    target.region.clone(),
                    error,
                    request_id,
                ),
                None,
            )),
        }
    }
    out
}

/// What `plan --out` writes and `apply --plan` reads.
#[derive(Debug, Serialize, Deserialize)]
struct SavedPlans {
    format_version: u32,
    targets: Vec<SavedTarget>,
}

#[derive(Debug, Serialize, Deserialize)]
struct SavedTarget {
    target: String,
    /// The target's endpoint or region: a plan is applied where it was made.
    location: String,
    #[serde(flatten)]
    plan: Plan,
}

async fn plan(a: PlanArgs, global: &Global) -> Result<u8, String> {
    let p = prepare(&a.file, &a.targets, global, None).await?;
    let planned = plan_all(&p).await;
    let errors = planned.iter().any(|(_, r, _)| r.status == Status::Error);
    let drift = planned.iter().any(|(_, r, _)| r.status == Status::Drift);
    if let Some(out) = &a.out {
        if errors {
            eprintln!(
                "hwc-members: not saving {}: some targets could not be planned",
                out.display()
            );
        } else {
            let saved = SavedPlans {
                format_version: crate::output::FORMAT_VERSION,
                targets: planned
                    .iter()
                    .filter_map(|(t, _, plan)| {
                        Some(SavedTarget {
                            target: t.label(),
                            location: t.location(),
                            plan: plan.clone()?,
                        })
                    })
                    .collect(),
            };
            let json = serde_json::to_string_pretty(&saved).map_err(|e| e.to_string())?;
            std::fs::write(out, json + "\n")
                .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
            eprintln!("hwc-members: plans saved to {}", out.display());
        }
    }
    let report = Report::new(
        "plan",
        p.session.is_fake(),
        planned.into_iter().map(|(_, r, _)| r).collect(),
    );
    report.print(global.output).or_else(broken_pipe)?;
    Ok(if errors {
        exit::FAILURE
    } else if drift && a.detailed_exitcode {
        exit::DRIFT
    } else {
        exit::OK
    })
}

/// Asks on the terminal; anything but y or yes, EOF or a stdin that is not a terminal is no.
fn confirmed() -> bool {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return false;
    }
    eprint!("Apply these changes? Only 'yes' or 'y' applies them. (y/N) ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    match stdin.lock().read_line(&mut answer) {
        Ok(0) | Err(_) => false,
        Ok(_) => matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"),
    }
}

fn bar(target: &str, changes: usize, output: Output) -> ProgressBar {
    if output != Output::Human {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(changes as u64).with_prefix(target.to_owned());
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {prefix} [{bar:30}] {pos}/{len} {msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

async fn apply(a: ApplyArgs, global: &Global) -> Result<u8, String> {
    let p = prepare(&a.file, &a.targets, global, a.safety.identity.clone()).await?;
    let mut planned: Vec<(Target, TargetReport, Option<Plan>)> = match &a.plan {
        None => plan_all(&p).await,
        Some(path) => load_saved(path, &p.selected)?,
    };
    if planned.iter().any(|(_, r, _)| r.status == Status::Error) {
        let report = Report::new(
            "apply",
            p.session.is_fake(),
            planned.into_iter().map(|(_, r, _)| r).collect(),
        );
        report.print(global.output).or_else(broken_pipe)?;
        eprintln!("hwc-members: nothing applied: some targets could not be planned");
        return Ok(exit::FAILURE);
    }
    let changes = planned.iter().any(|(_, r, _)| r.status == Status::Drift);
    if changes && a.plan.is_none() && !a.yes {
        if global.output == Output::Human {
            Report::new(
                "plan",
                p.session.is_fake(),
                planned.iter().map(|(_, r, _)| r.clone()).collect(),
            )
            .print(Output::Human)
            .or_else(broken_pipe)?;
        }
        if !confirmed() {
            eprintln!(
                "hwc-members: not applied: no confirmation (pass --yes to apply without asking; \
                 a stdin that is not a terminal, or EOF, means no)"
            );
            return Ok(exit::FAILURE);
        }
    }
    let options = ApplyOptions {
        max_removal_share: a.safety.max_removal_share,
        allow_large_removals: a.safety.allow_large_removals,
        allow_removing_last_manager: a.safety.allow_removing_last_manager,
        concurrency: usize::from(a.concurrency),
        verify: !a.no_verify,
    };
    for (target, report, plan) in &mut planned {
        let Some(plan) = plan else { continue };
        if plan.is_empty() {
            continue;
        }
        let clients = p
            .session
            .clients(target)
            .map_err(|e| format!("{}: {e}", report.target))?;
        // Who runs this apply: --identity, the fake's caller, or what CodeArts says of these
        // credentials (project targets).
        let me = match &p.session.identity {
            Some(me) => Some(me.clone()),
            None if report.remove > 0 => clients.caller_id().await,
            None => None,
        };
        match &me {
            Some(me) if plan.removes_user(me) && !a.safety.allow_removing_self => {
                report.status = Status::Refused;
                report.apply = Some(ApplyResult {
                    refused: Some(format!(
                        "{}: the plan removes {me}, the identity running this apply",
                        report.target
                    )),
                    hint: Some("keep yourself in the file, or pass --allow-removing-self".into()),
                    ..ApplyResult::default()
                });
                continue;
            }
            None if report.remove > 0 => eprintln!(
                "hwc-members: warning: {}: who runs this apply is unknown (pass --identity), so \
                 the check that it does not remove itself cannot run",
                report.target
            ),
            _ => {}
        }
        let bar = bar(&report.target, report.changes.len(), global.output);
        let moved = bar.clone();
        let progress = std::sync::Arc::new(move |n| moved.set_position(n));
        let result = engine::apply(&clients, plan, &options, progress).await;
        bar.finish_and_clear();
        report.status = if result.refused.is_some() {
            Status::Refused
        } else if result.error.is_some() {
            Status::Error
        } else if result.is_ok() {
            Status::Applied
        } else {
            Status::Incomplete
        };
        report.apply = Some(result);
    }
    let ok = planned
        .iter()
        .all(|(_, r, _)| matches!(r.status, Status::InSync | Status::Applied));
    let report = Report::new(
        "apply",
        p.session.is_fake(),
        planned.into_iter().map(|(_, r, _)| r).collect(),
    );
    report.print(global.output).or_else(broken_pipe)?;
    Ok(if ok { exit::OK } else { exit::FAILURE })
}

/// The saved plans, matched with the selected targets one for one.
fn load_saved(
    path: &Path,
    selected: &[Target],
) -> Result<Vec<(Target, TargetReport, Option<Plan>)>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let saved: SavedPlans =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if saved.format_version != crate::output::FORMAT_VERSION {
        return Err(format!(
            "{}: format_version {} is not {}",
            path.display(),
            saved.format_version,
            crate::output::FORMAT_VERSION
        ));
    }
    let mut out = Vec::new();
    let mut used = BTreeSet::new();
    for target in selected {
        let found = saved.targets.iter().find(|s| {
            s.target == target.label()
                && s.plan.kind_id() == target.kind_id()
                && s.location == target.location()
        });
        let Some(s) = found else {
            return Err(format!(
                "{} holds no plan for {} in {}: plan again",
                path.display(),
                target.label(),
                target.location()
            ));
        };
        used.insert(s.target.clone());
        let (kind, id) = target.kind_id();
        let report = TargetReport::planned(
            target.label(),
            kind,
            id.to_owned(),
            target.region.clone(),
            s.plan.changes(),
            s.plan.unchanged(),
        );
        out.push((target.clone(), report, Some(s.plan.clone())));
    }
    if let Some(extra) = saved.targets.iter().find(|s| !used.contains(&s.target)) {
        return Err(format!(
            "{} holds a plan for {}, which is not among the targets to apply: plan again",
            path.display(),
            extra.target
        ));
    }
    Ok(out)
}

async fn export(a: ExportArgs, global: &Global) -> Result<u8, String> {
    let p = prepare(&a.file, &a.targets, global, None).await?;
    let mut targets = Vec::new();
    for target in &p.selected {
        let (kind, id) = target.kind_id();
        let clients = p
            .session
            .clients(target)
            .map_err(|e| format!("{}: {e}", target.label()))?;
        let current = engine::current(&clients, kind, id)
            .await
            .map_err(|(e, _)| format!("{}: {e}", target.label()))?;
        let mut exported = target.clone();
        exported.members = current
            .found()
            .into_iter()
            .map(|m| member_of(kind, target, m))
            .collect::<Result<_, _>>()?;
        targets.push(exported);
    }
    let file = MembersFile {
        groups: Default::default(),
        targets,
    };
    let text = file::render(a.out.as_deref(), &file)?;
    match &a.out {
        Some(out) => {
            std::fs::write(out, text).map_err(|e| format!("cannot write {}: {e}", out.display()))?
        }
        None => emit(&text)?,
    }
    Ok(exit::OK)
}

/// A current member as a file entry: IDs, with names where the service gives them.
fn member_of(kind: Kind, target: &Target, m: Resolved) -> Result<Member, String> {
    let mut member = Member::default();
    match kind {
        Kind::Project => {
            let role = m.role.and_then(Role::from_value).ok_or_else(|| {
                format!(
                    "{}: user {} has role {:?}, which the file cannot express",
                    target.label(),
                    m.id,
                    m.role
                )
            })?;
            member.user = Some(m.id);
            member.role = Some(RoleArg(role));
        }
        Kind::PermissionSet => {
            let name = (m.name != m.id && !m.name.is_empty()).then_some(m.name);
            match m.member_type.as_str() {
                "USER" => member.user = Some(m.id),
                "USER_GROUP" => member.user_group = Some(m.id),
                _ => {
                    member.workspace_role = Some(m.id);
                    member.workspace = m.workspace;
                }
            }
            member.name = name;
        }
    }
    Ok(member)
}
