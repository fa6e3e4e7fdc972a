//! Membership as code: `plan` and `apply` the members of DataArts permission sets and CodeArts
//! projects from a YAML or TOML file (see `examples/members.example.yaml`).
//!
//! ```sh
//! cargo run --features fake --example members -- plan examples/members.example.yaml [--out PLAN.json]
//! cargo run --features fake --example members -- apply examples/members.example.yaml \
//!     [--plan PLAN.json] [--allow-large-removals] [--allow-removing-last-manager] \
//!     [--max-removal-share 0.5] [--concurrency 4]
//! ```
//!
//! `plan` prints what it would take to bring each permission set and project in line with the
//! file, as a diff, and with `--out` saves the plans as JSON. `apply` makes fresh plans (or loads
//! the `--plan` saved earlier, which apply refuses if the members changed since), prints them,
//! applies them and prints what each apply did. It exits with 1 if any change failed or did not
//! converge (verification lists every target again after applying), or an apply was refused (too
//! many removals, the last project manager, a stale plan, a duplicate or invalid member), 2 on a
//! usage error.
//!
//! With no credentials in the environment it runs against the embedded fake server, which starts
//! empty (the seeded permission set `fea96c90024711b8bf8d6886407b814b`, and any CodeArts project
//! with the fake's caller as creator) and forgets everything when the run ends. To keep state
//! across runs, start `cargo run --features fake --example fake_server` and point this example at
//! the endpoint it prints, as at a real one:
//! `HUAWEICLOUD_SDK_AUTH_TOKEN=any HUAWEICLOUD_SDK_PROJECT_ID=0833a5737480d53b2f25c010dc1a7b88`,
//! any `HUAWEICLOUD_DATAARTS_WORKSPACE`, and both endpoint variables below.
//!
//! With credentials (`HUAWEICLOUD_SDK_AK` + `HUAWEICLOUD_SDK_SK`, or `HUAWEICLOUD_SDK_AUTH_TOKEN`,
//! or an IAM user as in the quickstart) it runs against `HUAWEICLOUD_SDK_REGION`, or
//! `HUAWEICLOUD_DATAARTS_ENDPOINT` / `HUAWEICLOUD_PROJECTMAN_ENDPOINT` (which win over the
//! region), with `HUAWEICLOUD_DATAARTS_WORKSPACE` for permission sets; `HUAWEICLOUD_SDK_PROJECT_ID`
//! is optional.

use std::{
    collections::{BTreeMap, BTreeSet},
    fmt,
    path::{Path, PathBuf},
    process::ExitCode,
    sync::Arc,
    time::Duration,
};

use huaweicloud_openapi::{
    auth::{Credentials, ProvideCredentials},
    fake::{self, FakeServer},
    iam::PasswordTokenProvider,
    projectman::Role,
    reconcile::{
        self, ApplyOptions, ApplyReport, DesiredMember, DesiredPermissionSet, DesiredProject,
        PermissionSetPlan, ProjectPlan, ReconcileError, Safety, Verification,
    },
    DataArtsClient, Error, ProjectManClient,
};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{de, Deserialize, Deserializer, Serialize};

const USAGE: &str = "usage:
  members plan FILE [--out PLAN.json]
  members apply FILE [--plan PLAN.json] [--allow-large-removals] [--allow-removing-last-manager]
                     [--max-removal-share 0.5] [--concurrency 4]
FILE is YAML (.yaml, .yml) or TOML (.toml) with `permission_sets` and `projects` lists.";

// ---------------------------------------------------------------------------------------------
// The desired-state file.

/// What the file describes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DesiredFile {
    #[serde(default)]
    permission_sets: Vec<PermissionSetEntry>,
    #[serde(default)]
    projects: Vec<ProjectEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PermissionSetEntry {
    permission_set_id: String,
    #[serde(default)]
    prune: bool,
    #[serde(default)]
    members: Vec<DesiredMember>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectEntry {
    project_id: String,
    #[serde(default)]
    prune: bool,
    /// User ID to role, by name or number.
    #[serde(default)]
    members: BTreeMap<String, RoleArg>,
}

/// A role that can be granted: `developer` (a [`Role`] variant in snake case) or `4`.
#[derive(Debug, Clone, Copy)]
struct RoleArg(Role);

fn snake_case(role: Role) -> String {
    let mut out = String::new();
    for (i, c) in format!("{role:?}").chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn grantable() -> String {
    Role::ALL
        .iter()
        .filter(|r| **r != Role::ProjectCreator)
        .map(|r| format!("{} ({})", snake_case(*r), r.value()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl RoleArg {
    fn new(role: Option<Role>, what: &dyn fmt::Display) -> Result<Self, String> {
        match role {
            Some(Role::ProjectCreator) => Err(format!(
                "role {what}: the project creator cannot be granted; use one of {}",
                grantable()
            )),
            Some(role) => Ok(RoleArg(role)),
            None => Err(format!("unknown role {what}; use one of {}", grantable())),
        }
    }
}

impl<'de> Deserialize<'de> for RoleArg {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = RoleArg;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a role name such as `developer`, or a role number such as 4")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RoleArg, E> {
                RoleArg::new(Role::from_value(v), &v).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RoleArg, E> {
                let role = i64::try_from(v).ok().and_then(Role::from_value);
                RoleArg::new(role, &v).map_err(E::custom)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RoleArg, E> {
                let role = Role::ALL.into_iter().find(|r| snake_case(*r) == v);
                RoleArg::new(role, &format_args!("{v:?}")).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl DesiredFile {
    fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let file: DesiredFile = match ext.to_ascii_lowercase().as_str() {
            "yaml" | "yml" => serde_norway::from_str(&text).map_err(|e| e.to_string()),
            "toml" => toml::from_str(&text).map_err(|e| e.to_string()),
            _ => Err("the file must end in .yaml, .yml or .toml".to_owned()),
        }
        .map_err(|e| format!("{}: {e}", path.display()))?;
        file.check_unique()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(file)
    }

    fn check_unique(&self) -> Result<(), String> {
        let mut seen = BTreeSet::new();
        let sets = self
            .permission_sets
            .iter()
            .map(|s| ("permission set", &s.permission_set_id));
        for (kind, id) in sets.chain(self.projects.iter().map(|p| ("project", &p.project_id))) {
            if !seen.insert((kind, id)) {
                return Err(format!("{kind} {id} is listed twice"));
            }
        }
        Ok(())
    }

    fn desired_sets(&self) -> Vec<DesiredPermissionSet> {
        self.permission_sets
            .iter()
            .map(|s| DesiredPermissionSet {
                permission_set_id: s.permission_set_id.clone(),
                members: s.members.clone(),
                prune: s.prune,
            })
            .collect()
    }

    fn desired_projects(&self) -> Vec<DesiredProject> {
        self.projects
            .iter()
            .map(|p| DesiredProject {
                project_id: p.project_id.clone(),
                members: p
                    .members
                    .iter()
                    .map(|(user, role)| (user.clone(), role.0))
                    .collect(),
                prune: p.prune,
            })
            .collect()
    }

    /// The targets the file names, to check a saved plan against.
    fn targets(&self) -> BTreeSet<String> {
        let sets = self.permission_sets.iter();
        sets.map(|s| format!("permission set {}", s.permission_set_id))
            .chain(
                self.projects
                    .iter()
                    .map(|p| format!("project {}", p.project_id)),
            )
            .collect()
    }
}

/// Every plan of a run: what `plan --out` saves and `apply --plan` loads.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Plans {
    permission_sets: Vec<PermissionSetPlan>,
    projects: Vec<ProjectPlan>,
}

impl Plans {
    fn targets(&self) -> BTreeSet<String> {
        let sets = self.permission_sets.iter();
        sets.map(|s| format!("permission set {}", s.target))
            .chain(
                self.projects
                    .iter()
                    .map(|p| format!("project {}", p.target)),
            )
            .collect()
    }

    fn print(&self) {
        for plan in &self.permission_sets {
            println!("{plan}");
        }
        for plan in &self.projects {
            println!("{plan}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The command line.

enum Command {
    Plan { out: Option<PathBuf> },
    Apply { plan: Option<PathBuf> },
}

struct Args {
    command: Command,
    file: PathBuf,
    safety: Safety,
    concurrency: usize,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let command = args.next().ok_or("no command")?;
    let (mut out, mut plan, mut file) = (None, None, None);
    let mut safety = Safety::default();
    let mut concurrency = 4;
    let apply = match command.as_str() {
        "plan" => false,
        "apply" => true,
        "-h" | "--help" | "help" => return Err(String::new()),
        other => return Err(format!("unknown command {other:?}")),
    };
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or(format!("{flag} needs a value"))
        };
        match (flag.as_str(), apply) {
            ("--out", false) => out = Some(PathBuf::from(value()?)),
            ("--plan", true) => plan = Some(PathBuf::from(value()?)),
            ("--allow-large-removals", true) => safety.allow_large_removals = true,
            ("--allow-removing-last-manager", true) => safety.allow_removing_last_manager = true,
            ("--max-removal-share", true) => {
                let v = value()?;
                safety.max_removal_share = v
                    .parse()
                    .ok()
                    .filter(|s| (0.0..=1.0).contains(s))
                    .ok_or(format!("--max-removal-share {v}: give a share from 0 to 1"))?;
            }
            ("--concurrency", true) => {
                let v = value()?;
                concurrency = v
                    .parse()
                    .ok()
                    .filter(|c| *c > 0)
                    .ok_or(format!("--concurrency {v}: give a number above 0"))?;
            }
            ("-h" | "--help", _) => return Err(String::new()),
            (f, _) if f.starts_with('-') => {
                return Err(format!("{command} does not take {f}"));
            }
            _ if file.is_none() => file = Some(PathBuf::from(arg)),
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    let file = file.ok_or(format!("{command} needs a FILE"))?;
    let command = if apply {
        Command::Apply { plan }
    } else {
        Command::Plan { out }
    };
    Ok(Args {
        command,
        file,
        safety,
        concurrency,
    })
}

// ---------------------------------------------------------------------------------------------
// The clients: the embedded fake, or the cloud from the environment.

struct Clients {
    dataarts: DataArtsClient,
    projectman: ProjectManClient,
    _fake: Option<FakeServer>,
}

/// `needs_workspace`: the file has permission sets, whose calls need the workspace header.
async fn connect(needs_workspace: bool) -> Result<Clients, String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let credentials = Credentials::from_env().map_err(|e| e.to_string())?;
    let credentials: Arc<dyn ProvideCredentials> =
        match (credentials, var("HUAWEICLOUD_IAM_USER_NAME")) {
            (Some(c), None) => Arc::new(c),
            (None, Some(user)) => {
                let token = PasswordTokenProvider::builder()
                    .user(user)
                    .password(var("HUAWEICLOUD_IAM_PASSWORD").unwrap_or_default())
                    .account(var("HUAWEICLOUD_IAM_ACCOUNT_NAME").unwrap_or_default())
                    .region(var("HUAWEICLOUD_SDK_REGION").unwrap_or_default())
                    .build()
                    .map_err(|e| e.to_string())?;
                Arc::new(token)
            }
            (Some(_), Some(_)) => {
                return Err(
                    "both AK/SK (or a token) and HUAWEICLOUD_IAM_USER_NAME are set: choose one"
                        .into(),
                )
            }
            (None, None) => return connect_fake().await.map_err(|e| e.to_string()),
        };
    let mut da = DataArtsClient::builder().credentials_provider(credentials.clone());
    let mut pm = ProjectManClient::builder().credentials_provider(credentials);
    if let Some(region) = var("HUAWEICLOUD_SDK_REGION") {
        da = da.region(&region);
        pm = pm.region(&region);
    }
    if let Some(endpoint) = var("HUAWEICLOUD_DATAARTS_ENDPOINT") {
        da = da.endpoint(endpoint);
    }
    if let Some(endpoint) = var("HUAWEICLOUD_PROJECTMAN_ENDPOINT") {
        pm = pm.endpoint(endpoint);
    }
    match var("HUAWEICLOUD_DATAARTS_WORKSPACE") {
        Some(workspace) => da = da.workspace(workspace),
        None if needs_workspace => {
            return Err(
                "permission sets need HUAWEICLOUD_DATAARTS_WORKSPACE (the DataArts workspace ID)"
                    .into(),
            )
        }
        None => {}
    }
    if let Some(project) = var("HUAWEICLOUD_SDK_PROJECT_ID") {
        da = da.project_id(project);
    }
    Ok(Clients {
        dataarts: da.build().map_err(|e| e.to_string())?,
        projectman: pm.build().map_err(|e| e.to_string())?,
        _fake: None,
    })
}

async fn connect_fake() -> Result<Clients, Error> {
    let fake = FakeServer::start()
        .await
        .map_err(|e| Error::Config(format!("cannot start the fake server: {e}")))?;
    println!(
        "No credentials in the environment: running against the embedded fake at {} \
         (it starts empty and forgets this run's changes when it ends)\n",
        fake.endpoint()
    );
    let token = Credentials::token("fake-token")?;
    let dataarts = DataArtsClient::builder()
        .endpoint(fake.endpoint())
        .credentials(token.clone())
        .project_id(fake::PROJECT_ID)
        .workspace("dd97167b873d4a79b2aad54d4370a3bc")
        .build()?;
    let projectman = ProjectManClient::builder()
        .endpoint(fake.endpoint())
        .credentials(token)
        .build()?;
    Ok(Clients {
        dataarts,
        projectman,
        _fake: Some(fake),
    })
}

// ---------------------------------------------------------------------------------------------
// Plan and apply.

async fn make_plans(clients: &Clients, file: &DesiredFile) -> Result<Plans, ReconcileError> {
    let mut plans = Plans::default();
    for desired in file.desired_sets() {
        let plan = reconcile::plan_permission_set(&clients.dataarts, &desired).await?;
        plans.permission_sets.push(plan);
    }
    for desired in file.desired_projects() {
        let plan = reconcile::plan_project(&clients.projectman, &desired).await?;
        plans.projects.push(plan);
    }
    Ok(plans)
}

/// A bar per target, as long as its planned changes; apply's progress callback moves it after
/// every call.
fn progress(target: &str, changes: usize) -> ProgressBar {
    let bar = ProgressBar::new(changes as u64).with_prefix(target.to_owned());
    let style = ProgressStyle::with_template("{spinner} {prefix} [{bar:30}] {pos}/{len} {msg}")
        .expect("a valid template")
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message("applying");
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// What the whole apply did.
#[derive(Default)]
struct Totals {
    applied: usize,
    already_done: usize,
    failed: usize,
    not_converged: usize,
    not_verified: usize,
    not_applied: usize,
}

impl Totals {
    fn record(
        &mut self,
        target: &str,
        bar: ProgressBar,
        result: Result<ApplyReport, ReconcileError>,
        safety: &Safety,
    ) {
        // Ends the bar's line on the terminal before the report is printed below it.
        let finish = |bar: ProgressBar, message: &'static str| {
            bar.abandon_with_message(message);
            if !bar.is_hidden() {
                eprintln!();
            }
        };
        match result {
            Ok(report) => {
                finish(
                    bar,
                    if report.is_complete() {
                        "done"
                    } else {
                        "incomplete"
                    },
                );
                println!("{target}: {report}");
                self.applied += report.applied.len();
                self.already_done += report.already_done.len();
                self.failed += report.failed_changes();
                self.not_converged += report.not_converged().len();
                if matches!(report.verification, Verification::Failed { .. }) {
                    self.not_verified += 1;
                }
            }
            Err(error) => {
                let refused = error.is_refusal();
                finish(bar, if refused { "refused" } else { "failed" });
                if refused {
                    // The reason names the target.
                    eprintln!("not applied: {error}");
                } else {
                    eprintln!("{target}: not applied: {error}");
                }
                if let Some(hint) = hint(&error, safety) {
                    eprintln!("  hint: {hint}");
                }
                if let Some(id) = error.request_id() {
                    eprintln!("  request id: {id}");
                }
                self.not_applied += 1;
            }
        }
    }
}

fn hint(error: &ReconcileError, safety: &Safety) -> Option<String> {
    match error {
        ReconcileError::TooManyRemovals { .. } => Some(format!(
            "check the plan; to apply it anyway pass --allow-large-removals (or raise \
             --max-removal-share from {})",
            safety.max_removal_share
        )),
        ReconcileError::LastManager { .. } => {
            Some("keep a project_manager in the file, or pass --allow-removing-last-manager".into())
        }
        ReconcileError::Stale { .. } => {
            Some("run apply without --plan (or plan again) to plan against the members now".into())
        }
        _ => None,
    }
}

/// The apply options for one target: its bar moves after every call.
fn options(safety: &Safety, concurrency: usize, bar: &ProgressBar) -> ApplyOptions {
    let bar = bar.clone();
    ApplyOptions::new()
        .safety(safety.clone())
        .concurrency(concurrency)
        .on_progress(move |p| bar.set_position(p.done as u64))
}

async fn apply(clients: &Clients, plans: &Plans, safety: &Safety, concurrency: usize) -> Totals {
    let mut totals = Totals::default();
    for plan in &plans.permission_sets {
        let target = format!("permission set {}", plan.target);
        let bar = progress(&target, plan.changes());
        let options = options(safety, concurrency, &bar);
        let result = reconcile::apply_permission_set(&clients.dataarts, plan, &options).await;
        totals.record(&target, bar, result, safety);
    }
    for plan in &plans.projects {
        let target = format!("project {}", plan.target);
        let bar = progress(&target, plan.changes());
        let options = options(safety, concurrency, &bar);
        let result = reconcile::apply_project(&clients.projectman, plan, &options).await;
        totals.record(&target, bar, result, safety);
    }
    totals
}

async fn run(args: Args) -> Result<ExitCode, String> {
    let file = DesiredFile::load(&args.file)?;
    let clients = connect(!file.permission_sets.is_empty()).await?;
    let describe = |e: ReconcileError| match e.request_id() {
        Some(id) => format!("{e} (request id {id})"),
        None => e.to_string(),
    };
    match args.command {
        Command::Plan { out } => {
            let plans = make_plans(&clients, &file).await.map_err(describe)?;
            plans.print();
            if let Some(out) = out {
                let json = serde_json::to_string_pretty(&plans).map_err(|e| e.to_string())?;
                std::fs::write(&out, json + "\n")
                    .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
                println!("plans saved to {}", out.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Apply { plan } => {
            let plans = match plan {
                None => make_plans(&clients, &file).await.map_err(describe)?,
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                    let plans: Plans = serde_json::from_str(&text)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    if plans.targets() != file.targets() {
                        return Err(format!(
                            "{} holds plans for other permission sets or projects than {}",
                            path.display(),
                            args.file.display()
                        ));
                    }
                    println!("applying the plans saved in {}", path.display());
                    plans
                }
            };
            plans.print();
            println!();
            let totals = apply(&clients, &plans, &args.safety, args.concurrency).await;
            println!(
                "\n{} applied, {} already done, {} failed, {} not converged; {} of {} targets not \
                 applied, {} not verified",
                totals.applied,
                totals.already_done,
                totals.failed,
                totals.not_converged,
                totals.not_applied,
                plans.permission_sets.len() + plans.projects.len(),
                totals.not_verified
            );
            let unfinished =
                totals.failed + totals.not_converged + totals.not_applied + totals.not_verified;
            Ok(if unfinished == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            if message.is_empty() {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            eprintln!("members: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(code) => code,
        Err(message) => {
            eprintln!("members: {message}");
            ExitCode::FAILURE
        }
    }
}
