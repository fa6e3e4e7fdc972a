//! The command line, as clap parses it. Nothing here talks to a service.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The exit codes, one table for every command (also in README).
pub const EXIT_CODES: &str = "\
Exit codes:
  0   in sync, applied, exported or valid
  1   an error, a refusal (safety limit, stale plan, no confirmation) or any failed change
  2   drift found (plan --detailed-exitcode only)
  64  usage error (unknown option, missing argument)";

/// The members file, for `--help`.
const FILE_FORMAT: &str = "\
The members file (YAML or TOML):
  groups:                                  # reusable lists of IAM user names or IDs
    engineers: [alice, 665b542eb4c14b53a15ead449f28b0ba]
  targets:
    - name: analytics                      # label for output and --target
      permission_set: fea96c90024711b8bf8d6886407b814b
      region: cn-north-4                   # or endpoint: https://...
      workspace: dd97167b873d4a79b2aad54d4370a3bc
      profile: prod                        # [prod] of ~/.huaweicloud/credentials
      prune: true                          # remove members not listed
      members: [{user: common_user}, {group: engineers},
                {user_group: 9d8c7b6a5f4e4d3c2b1a0f9e8d7c6b5a, name: auditors}]
    - project: 526cefde62004de2b62b5e8dd2c2b3af
      region: ap-southeast-1
      members: [{user: bob, role: project_manager}, {group: engineers, role: developer}]
A user is an IAM user ID (32 hexadecimal characters) or a name, looked up with IAM once per run.
Roles: project_manager, developer, test_manager, tester, participant, viewer, operations_manager,
product_manager, system_engineer (or their numbers, 3 to 11).

Exit codes:
  0   in sync, applied, exported or valid
  1   an error, a refusal (safety limit, stale plan, no confirmation) or any failed change
  2   drift found (plan --detailed-exitcode only)
  64  usage error (unknown option, missing argument)";

/// Membership as code for DataArts Security permission sets and CodeArts projects.
///
/// Reads a YAML or TOML file of targets (each a permission set or a project, with its own
/// region, workspace, credentials profile or endpoint), member groups and IAM user names,
/// and plans, applies or exports their members.
///
/// Without credentials (environment variables or ~/.huaweicloud/credentials) or with --fake it
/// runs against an embedded fake, one per region, which starts empty; --fake-state seeds it.
#[derive(Debug, Parser)]
#[command(
    name = "hwc-members",
    version,
    after_help = EXIT_CODES,
    after_long_help = FILE_FORMAT,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub global: Global,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// Output format: `human` (coloured diff on a terminal), `json` (with `format_version` and
    /// request IDs, for audit logs) or `markdown` (a pull-request comment).
    #[arg(long, short, value_enum, global = true, default_value_t = Output::Human)]
    pub output: Output,
    /// When to colour the human diff: `auto` (on a terminal, unless NO_COLOR is set), `always`
    /// or `never`.
    #[arg(long, value_enum, global = true, default_value_t = Colour::Auto, value_name = "WHEN")]
    pub color: Colour,
    /// Run against the embedded fake, even when credentials are found.
    #[arg(long, global = true)]
    pub fake: bool,
    /// Seed the fake before the run from FILE: the members-file format (`groups`, `targets`,
    /// e.g. what `export` writes) plus `iam_users: [{name, id}]`, the IAM users the fake knows.
    /// Implies --fake. The fake forgets everything when the run ends.
    #[arg(long, global = true, value_name = "FILE")]
    pub fake_state: Option<PathBuf>,
    /// Most requests per second to the services, shared by every target.
    #[arg(long, global = true, value_name = "PER_SECOND", value_parser = rate)]
    pub rate: Option<f64>,
}

/// When to colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Colour {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always, even into a pipe.
    Always,
    /// Never.
    Never,
}

impl Colour {
    /// Makes it the choice of every anstream writer of the run.
    pub fn apply(self) {
        let choice = match self {
            Colour::Auto => anstream::ColorChoice::Auto,
            Colour::Always => anstream::ColorChoice::Always,
            Colour::Never => anstream::ColorChoice::Never,
        };
        choice.write_global();
    }
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// A diff and a summary line per target; coloured on a terminal unless NO_COLOR is set.
    Human,
    /// One JSON document with `format_version`.
    Json,
    /// A pull-request comment: counts per target, then the changes.
    Markdown,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what apply would change, target by target.
    #[command(after_help = EXIT_CODES)]
    Plan(PlanArgs),
    /// Bring the targets in line with the file (a fresh plan, or a saved one exactly).
    #[command(after_help = EXIT_CODES)]
    Apply(ApplyArgs),
    /// Write the current members of the file's targets in the file format.
    #[command(after_help = EXIT_CODES)]
    Export(ExportArgs),
    /// Check the file offline: schema, duplicates, IDs, roles, groups. No credentials needed.
    #[command(after_help = EXIT_CODES)]
    Validate(ValidateArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
}

/// `plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The members file (.yaml, .yml or .toml).
    pub file: PathBuf,
    /// Exit 2 when any target drifts from the file, 0 when all are in sync.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Save the plans to PLAN.json, for `apply --plan`.
    #[arg(long, value_name = "PLAN.json")]
    pub out: Option<PathBuf>,
    /// Only these targets (by name); repeatable.
    #[arg(long = "target", value_name = "NAME")]
    pub targets: Vec<String>,
}

/// `apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The members file (.yaml, .yml or .toml).
    pub file: PathBuf,
    /// Apply exactly the plans saved by `plan --out`; refused when a target changed since.
    /// A saved plan never asks for confirmation.
    #[arg(long, value_name = "PLAN.json")]
    pub plan: Option<PathBuf>,
    /// Apply without asking. Without it, apply asks on a terminal; a stdin that is not a
    /// terminal, or EOF, means no.
    #[arg(long, short)]
    pub yes: bool,
    /// Only these targets (by name); repeatable.
    #[arg(long = "target", value_name = "NAME")]
    pub targets: Vec<String>,
    /// Calls in flight at once per target.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Skip the listing after applying that checks every member is as planned (on by
    /// default: the service accepts some changes it does not make).
    #[arg(long)]
    pub no_verify: bool,
    #[command(flatten)]
    pub safety: SafetyArgs,
}

/// The safety overrides.
#[derive(Debug, Args)]
pub struct SafetyArgs {
    /// Largest share (0 to 1) of a target's members one apply may remove.
    #[arg(long, default_value_t = 0.5, value_name = "SHARE", value_parser = share)]
    pub max_removal_share: f64,
    /// Apply plans that remove more than --max-removal-share.
    #[arg(long)]
    pub allow_large_removals: bool,
    /// Apply plans that leave a project without a project manager.
    #[arg(long)]
    pub allow_removing_last_manager: bool,
    /// Apply plans that remove the identity running this apply (--identity, or the fake's
    /// caller).
    #[arg(long)]
    pub allow_removing_self: bool,
    /// The IAM user ID this run acts as, for the self-removal check. Without it, a project
    /// target asks CodeArts whose credentials these are (`GET /v4/user`); the fake's caller is
    /// known; a permission set cannot tell, and the check is skipped with a warning.
    #[arg(long, value_name = "USER_ID", env = "HWC_MEMBERS_IDENTITY")]
    pub identity: Option<String>,
}

fn rate(text: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|r| r.is_finite() && *r > 0.0)
        .ok_or_else(|| format!("{text}: give a number of requests per second above 0"))
}

fn share(text: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|s| (0.0..=1.0).contains(s))
        .ok_or_else(|| format!("{text}: give a share from 0 to 1"))
}

/// `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The members file whose targets to export.
    pub file: PathBuf,
    /// Only these targets (by name); repeatable.
    #[arg(long = "target", value_name = "NAME")]
    pub targets: Vec<String>,
    /// Write here instead of standard output; TOML when it ends in .toml, else YAML.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The members file (.yaml, .yml or .toml).
    pub file: PathBuf,
}

/// `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}
