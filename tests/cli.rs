//! Runs the `hwc-members` binary against its embedded fake: every command, exit code and output
//! format; a file of two targets in two regions with a group and IAM user names; a saved plan,
//! refused when stale; export then plan in sync; no confirmation without a terminal.
#![cfg(feature = "cli")]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cli")
        .join(name)
}

/// The binary against the fake seeded from `tests/cli/state.yaml`, with no credentials around.
fn members(args: &[&str]) -> Command {
    let mut cmd = Command::cargo_bin("hwc-members").expect("the binary is built");
    cmd.env_clear()
        .env("HOME", env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .arg("--fake-state")
        .arg(fixture("state.yaml"))
        .args(args);
    cmd
}

fn file() -> String {
    fixture("two_regions.yaml").display().to_string()
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hwc-members-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn write(name: &str, text: &str) -> String {
    let path = temp(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn stdout(cmd: &mut Command, code: i32) -> String {
    let out = cmd.assert().code(code).get_output().stdout.clone();
    String::from_utf8(out).unwrap()
}

/// Request IDs and ports vary from run to run.
fn normalise(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        match line.find("\"request_id\": \"") {
            Some(i) => out.push_str(&format!("{}\"request_id\": \"[ID]\",", &line[..i])),
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// Request IDs and timings differ from run to run: every `request_id` (and each of
/// `listing_request_ids`) becomes `[ID]`, every `duration_ms` 0.
fn normalise_json(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match (key.as_str(), &mut *v) {
                    ("request_id", Value::String(_)) => *v = Value::from("[ID]"),
                    ("duration_ms", Value::Number(_)) => *v = Value::from(0),
                    ("listing_request_ids", Value::Array(ids)) => {
                        ids.iter_mut().for_each(|id| *id = Value::from("[ID]"))
                    }
                    _ => normalise_json(v),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalise_json),
        _ => {}
    }
}

#[test]
fn plan_shows_the_diff_per_target_across_two_regions_with_groups_and_names() {
    let text = stdout(&mut members(&["plan", &file()]), 0);
    let expected = "\
analytics
  + USER 665b542eb4c14b53a15ead449f28b0ba (665b542eb4c14b53a15ead449f28b0ba)
  + USER alice (a11ce000000000000000000000000001)
  - USER leaver (0dd0000000000000000000000000beef)
analytics: 2 to add, 0 role changes, 1 to remove, 1 unchanged

shop
  + a11ce000000000000000000000000001 as developer
  + b43927a45a514e93ba70524b28923500 as project_manager
  ~ 665b542eb4c14b53a15ead449f28b0ba viewer -> developer
  - 0dd0000000000000000000000000beef (was tester)
  - 9a9a0000000000000000000000000009 (was project_manager)
shop: 2 to add, 1 role changes, 2 to remove, 1 unchanged

2 targets: 0 in sync, 2 to change, 0 errors
";
    assert_eq!(text, expected);
}

#[test]
fn detailed_exitcode_is_two_on_drift_and_zero_in_sync() {
    members(&["plan", "--detailed-exitcode", &file()])
        .assert()
        .code(2);
    // Without the flag drift is not an error.
    members(&["plan", &file()]).assert().code(0);
    let synced = write(
        "synced.yaml",
        "targets:\n  - permission_set: fea96c90024711b8bf8d6886407b814b\n    region: cn-north-4\n    workspace: dd97167b873d4a79b2aad54d4370a3bc\n    members: [{user: common_user}]\n",
    );
    let text = stdout(&mut members(&["plan", "--detailed-exitcode", &synced]), 0);
    assert!(text.contains("in sync (2 members)"), "{text}");
}

#[test]
fn plan_json_is_versioned_and_counts_each_target() {
    let text = stdout(&mut members(&["plan", "-o", "json", &file()]), 0);
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["format_version"], 1);
    assert_eq!(json["command"], "plan");
    assert_eq!(json["fake"], true);
    let shop = &json["targets"][1];
    assert_eq!(shop["target"], "shop");
    assert_eq!(shop["region"], "ap-southeast-1");
    assert_eq!(shop["status"], "drift");
    assert_eq!(
        (
            shop["add"].as_u64(),
            shop["change_role"].as_u64(),
            shop["remove"].as_u64()
        ),
        (Some(2), Some(1), Some(2))
    );
    assert_eq!(
        shop["changes"][2],
        serde_json::json!({"action": "change_role", "id": "665b542eb4c14b53a15ead449f28b0ba", "role": "developer", "from_role": "viewer"})
    );
    assert_eq!(json["summary"]["drift"], 2);
}

#[test]
fn plan_markdown_is_a_pull_request_comment() {
    let text = stdout(&mut members(&["plan", "--output", "markdown", &file()]), 0);
    let expected = "\
## hwc-members plan

| Target | Status | Add | Role changes | Remove | Unchanged |
| --- | --- | ---: | ---: | ---: | ---: |
| analytics | drift | 2 | 0 | 1 | 1 |
| shop | drift | 2 | 1 | 2 | 1 |

### analytics

```diff
+ USER 665b542eb4c14b53a15ead449f28b0ba (665b542eb4c14b53a15ead449f28b0ba)
+ USER alice (a11ce000000000000000000000000001)
- USER leaver (0dd0000000000000000000000000beef)
```

### shop

```diff
+ a11ce000000000000000000000000001 as developer
+ b43927a45a514e93ba70524b28923500 as project_manager
~ 665b542eb4c14b53a15ead449f28b0ba viewer -> developer
- 0dd0000000000000000000000000beef (was tester)
- 9a9a0000000000000000000000000009 (was project_manager)
```
";
    assert_eq!(text, expected);
}

#[test]
fn apply_without_yes_and_without_a_terminal_changes_nothing() {
    members(&["apply", &file()])
        .write_stdin("yes\n")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not applied: no confirmation"));
}

#[test]
fn apply_with_yes_reports_in_json_then_the_targets_are_in_sync() {
    let text = stdout(
        &mut members(&[
            "apply",
            "--yes",
            "--allow-large-removals",
            "-o",
            "json",
            &file(),
        ]),
        0,
    );
    let json: serde_json::Value = serde_json::from_str(&normalise(&text)).unwrap();
    assert_eq!(json["command"], "apply");
    assert_eq!(json["summary"]["applied"], 2, "{text}");
    let shop = &json["targets"][1]["apply"];
    assert_eq!(shop["applied"].as_array().map(Vec::len), Some(5));
    assert_eq!(shop["failed"], serde_json::json!([]));
}

#[test]
fn apply_refuses_large_removals_unless_allowed() {
    // shop: 2 of 4 members removed is 50 %, analytics 1 of 2: a 40 % limit refuses both.
    let text = stdout(
        &mut members(&["apply", "--yes", "--max-removal-share", "0.4", &file()]),
        1,
    );
    assert!(text.contains("not applied:"), "{text}");
    assert!(text.contains("hint: check the plan"), "{text}");
}

#[test]
fn apply_refuses_to_remove_the_identity_running_it() {
    let file = write(
        "self.yaml",
        "targets:\n  - permission_set: fea96c90024711b8bf8d6886407b814b\n    region: cn-north-4\n    workspace: dd97167b873d4a79b2aad54d4370a3bc\n    prune: true\n    members: [{user: common_user}]\n",
    );
    let me = "3e6e0000000000000000000000000001";
    let text = stdout(
        &mut members(&[
            "apply",
            "--yes",
            "--allow-large-removals",
            "--identity",
            me,
            &file,
        ]),
        0,
    );
    // The identity is not a member: nothing to refuse.
    assert!(!text.contains("identity running"), "{text}");
    let text = stdout(
        &mut members(&[
            "apply",
            "--yes",
            "--allow-large-removals",
            "--identity",
            "0dd0000000000000000000000000beef",
            &file,
        ]),
        1,
    );
    assert!(text.contains("the identity running this apply"), "{text}");
    assert!(text.contains("--allow-removing-self"), "{text}");
    members(&[
        "apply",
        "--yes",
        "--allow-large-removals",
        "--allow-removing-self",
        "--identity",
        "0dd0000000000000000000000000beef",
        &file,
    ])
    .assert()
    .code(0);
}

#[test]
fn a_saved_plan_is_applied_exactly_without_asking() {
    let saved = temp("plan.json");
    members(&["plan", "--out", saved.to_str().unwrap(), &file()])
        .assert()
        .code(0);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    assert_eq!(json["format_version"], 1);
    // No --yes and no terminal: a saved plan was reviewed when it was made.
    let text = stdout(
        &mut members(&[
            "apply",
            "--allow-large-removals",
            "--plan",
            saved.to_str().unwrap(),
            &file(),
        ]),
        0,
    );
    assert!(text.contains("2 targets: 2 applied"), "{text}");
}

#[test]
fn a_stale_saved_plan_is_refused() {
    let saved = temp("stale.json");
    // Planned against an empty fake (no --fake-state), applied against the seeded one.
    Command::cargo_bin("hwc-members")
        .unwrap()
        .env_clear()
        .args([
            "--fake",
            "plan",
            "--out",
            saved.to_str().unwrap(),
            "--target",
            "analytics",
            &file(),
        ])
        .assert()
        .code(1); // names cannot be resolved without the seeded IAM users
    let plain = write(
        "plain.yaml",
        "targets:\n  - name: analytics\n    permission_set: fea96c90024711b8bf8d6886407b814b\n    region: cn-north-4\n    workspace: dd97167b873d4a79b2aad54d4370a3bc\n    members: [{user: b43927a45a514e93ba70524b28923500}]\n",
    );
    Command::cargo_bin("hwc-members")
        .unwrap()
        .env_clear()
        .args(["--fake", "plan", "--out", saved.to_str().unwrap(), &plain])
        .assert()
        .code(0);
    let text = stdout(
        &mut members(&["apply", "--plan", saved.to_str().unwrap(), &plain]),
        1,
    );
    assert!(text.contains("changed since the plan was made"), "{text}");
    assert!(text.contains("hint: plan again"), "{text}");
}

#[test]
fn export_then_plan_is_in_sync() {
    let exported = temp("exported.yaml");
    members(&["export", "--out", exported.to_str().unwrap(), &file()])
        .assert()
        .code(0);
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(text.contains("9a9a0000000000000000000000000009"), "{text}");
    // The creator (the fake's caller) is never exported.
    assert!(
        !text.contains(huaweicloud_openapi::fake::CALLER_USER_ID),
        "{text}"
    );
    members(&["plan", "--detailed-exitcode", exported.to_str().unwrap()])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("2 targets: 2 in sync"));
    // TOML too.
    let toml = temp("exported.toml");
    members(&["export", "--out", toml.to_str().unwrap(), &file()])
        .assert()
        .code(0);
    members(&["plan", "--detailed-exitcode", toml.to_str().unwrap()])
        .assert()
        .code(0);
}

#[test]
fn unknown_and_ambiguous_names_are_refused_naming_the_entry() {
    let file = write(
        "names.yaml",
        "targets:\n  - project: 526cefde62004de2b62b5e8dd2c2b3af\n    members:\n      - {user: alice, role: developer}\n      - {user: nobody, role: developer}\n",
    );
    let text = stdout(&mut members(&["plan", &file]), 1);
    assert!(
        text.contains("members[1] (user \"nobody\"): no IAM user is named \"nobody\""),
        "{text}"
    );
    let file = write(
        "twin.yaml",
        "targets:\n  - project: 526cefde62004de2b62b5e8dd2c2b3af\n    members:\n      - {user: twin, role: developer}\n",
    );
    let text = stdout(&mut members(&["plan", "-o", "json", &file]), 1);
    assert!(
        text.contains("2 IAM users are named \\\"twin\\\""),
        "{text}"
    );
}

#[test]
fn validate_is_offline_and_names_the_problem() {
    let mut cmd = Command::cargo_bin("hwc-members").unwrap();
    cmd.env_clear().args(["validate", &file()]);
    cmd.assert().code(0).stdout(predicate::str::contains(
        "valid: 2 targets, 6 members after group expansion",
    ));
    for (text, message) in [
        ("targets:\n  - project: short\n", "is not 32 letters and digits"),
        ("targets:\n  - project: 526cefde62004de2b62b5e8dd2c2b3af\n    members: [{user: a, role: project_creator}]\n", "the project creator cannot be granted"),
        ("targets:\n  - project: 526cefde62004de2b62b5e8dd2c2b3af\n    members: [{group: nope, role: viewer}]\n", "no group is named \"nope\""),
        ("targets:\n  - permission_set: fea96c90024711b8bf8d6886407b814b\n", "needs `workspace`"),
        ("targets:\n  - project: 526cefde62004de2b62b5e8dd2c2b3af\n    colour: red\n", "unknown field `colour`"),
        (&format!("targets:\n  - permission_set: fea96c90024711b8bf8d6886407b814b\n    workspace: dd97167b873d4a79b2aad54d4370a3bc\n    members: [{{user: b43927a45a514e93ba70524b28923500, name: {}}}]\n", "x".repeat(129)), "longer than 128 characters"),
        (&format!("targets:\n  - project: 526cefde62004de2b62b5e8dd2c2b3af\n    members: [{{user: {}, role: viewer}}]\n", "n".repeat(65)), "at most 64 characters"),
        ("targets:\n  - project: 526cefde62004de2b62b5e8dd2c2b3af\n    members: [{user: a, role: viewer}, {user: a, role: tester}]\n", "\"a\" is listed twice: in members[0] (user \"a\") and members[1]"),
    ] {
        let path = write("bad.yaml", text);
        Command::cargo_bin("hwc-members")
            .unwrap()
            .env_clear()
            .args(["validate", &path])
            .assert()
            .code(1)
            .stderr(predicate::str::contains(message));
    }
}

#[test]
fn usage_errors_exit_64_and_help_exits_0() {
    Command::cargo_bin("hwc-members")
        .unwrap()
        .args(["plan", "--no-such-flag", "x.yaml"])
        .assert()
        .code(64);
    Command::cargo_bin("hwc-members")
        .unwrap()
        .args(["frobnicate"])
        .assert()
        .code(64);
    for command in ["plan", "apply", "export", "validate", "completions"] {
        Command::cargo_bin("hwc-members")
            .unwrap()
            .args([command, "--help"])
            .assert()
            .code(0)
            .stdout(predicate::str::contains("Usage: hwc-members"));
    }
    Command::cargo_bin("hwc-members")
        .unwrap()
        .arg("--help")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("64  usage error"));
    Command::cargo_bin("hwc-members")
        .unwrap()
        .args(["completions", "bash"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("hwc-members"));
}

#[test]
fn without_credentials_it_runs_against_the_fake_and_says_so() {
    Command::cargo_bin("hwc-members")
        .unwrap()
        .env_clear()
        .env("HOME", "/nonexistent")
        .args([
            "plan",
            &write(
                "ids.yaml",
                "targets:\n  - project: 526cefde62004de2b62b5e8dd2c2b3af\n    members: [{user: 665b542eb4c14b53a15ead449f28b0ba, role: viewer}]\n",
            ),
        ])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "running against the embedded fake",
        ));
}

#[test]
fn apply_json_matches_the_golden_report() {
    let text = stdout(
        &mut members(&[
            "apply",
            "--yes",
            "--allow-large-removals",
            "--output",
            "json",
            &file(),
        ]),
        0,
    );
    let mut got: serde_json::Value = serde_json::from_str(&text).unwrap();
    normalise_json(&mut got);
    let golden = std::fs::read_to_string(fixture("apply.json")).unwrap();
    let mut want: serde_json::Value = serde_json::from_str(&golden).unwrap();
    normalise_json(&mut want);
    assert_eq!(got, want, "{text}");
}

#[test]
fn apply_markdown_counts_per_target_then_what_was_done() {
    let text = stdout(
        &mut members(&[
            "apply",
            "--yes",
            "--allow-large-removals",
            "-o",
            "markdown",
            &file(),
        ]),
        0,
    );
    assert!(
        text.starts_with(
            "## hwc-members apply\n\n\
             | Target | Status | Add | Role changes | Remove | Unchanged |\n\
             | --- | --- | ---: | ---: | ---: | ---: |\n\
             | analytics | applied | 2 | 0 | 1 | 1 |\n\
             | shop | applied | 2 | 1 | 2 | 1 |\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "```\n\n3 applied, 0 already done, 0 calls failed, verification passed\n\n### shop"
        ),
        "{text}"
    );
    assert!(
        text.ends_with("```\n\n5 applied, 0 already done, 0 calls failed, verification passed\n"),
        "{text}"
    );
}

#[test]
fn colour_when_forced_or_asked_and_never_with_no_color_or_never() {
    let mut cmd = members(&["plan", &file()]);
    cmd.env_remove("NO_COLOR").env("CLICOLOR_FORCE", "1");
    let text = stdout(&mut cmd, 0);
    assert!(text.contains("\u{1b}[32m+ USER alice"), "{text:?}");
    assert!(text.contains("\u{1b}[31m- USER leaver"), "{text:?}");
    let mut cmd = members(&["plan", &file()]);
    cmd.env("CLICOLOR_FORCE", "1");
    let text = stdout(&mut cmd, 0);
    assert!(!text.contains('\u{1b}'), "{text:?}");
    // --color wins over the environment both ways.
    let text = stdout(&mut members(&["plan", "--color", "always", &file()]), 0);
    assert!(text.contains("\u{1b}[31m- USER leaver"), "{text:?}");
    let mut cmd = members(&["plan", "--color", "never", &file()]);
    cmd.env_remove("NO_COLOR").env("CLICOLOR_FORCE", "1");
    let text = stdout(&mut cmd, 0);
    assert!(!text.contains('\u{1b}'), "{text:?}");
}

#[test]
fn target_selects_and_an_unknown_target_is_refused() {
    let text = stdout(&mut members(&["plan", "--target", "shop", &file()]), 0);
    assert!(
        text.contains("1 targets:") && !text.contains("analytics"),
        "{text}"
    );
    members(&["plan", "--target", "nope", &file()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "--target \"nope\": no such target",
        ));
}

#[test]
fn the_example_files_in_help_and_readme_are_valid() {
    let help = stdout(Command::cargo_bin("hwc-members").unwrap().arg("--help"), 0);
    let from_help: String = help
        .lines()
        .skip_while(|l| !l.starts_with("  groups:"))
        .take_while(|l| !l.starts_with("A user"))
        .map(|l| format!("{}\n", l.strip_prefix("  ").unwrap_or(l)))
        .collect();
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let from_readme: String = readme
        .lines()
        .skip_while(|l| *l != "groups:")
        .take_while(|l| !l.starts_with("```"))
        .map(|l| format!("{l}\n"))
        .collect();
    for (name, text) in [("help.yaml", from_help), ("readme.yaml", from_readme)] {
        assert!(text.contains("targets:"), "{name}: {text}");
        let path = write(name, &text);
        Command::cargo_bin("hwc-members")
            .unwrap()
            .env_clear()
            .args(["validate", &path])
            .assert()
            .code(0)
            .stdout(predicate::str::contains("valid: 2 targets"));
    }
    // README's try-it command, with the example files.
    let example = |name: &str| {
        fixture(&format!("../../examples/{name}"))
            .display()
            .to_string()
    };
    Command::cargo_bin("hwc-members")
        .unwrap()
        .env_clear()
        .args([
            "--fake-state",
            &example("members.fake-state.yaml"),
            "plan",
            "--detailed-exitcode",
        ])
        .arg(example("members.example.yaml"))
        .assert()
        .code(2)
        .stdout(predicate::str::contains(
            "~ 665b542eb4c14b53a15ead449f28b0ba viewer -> developer",
        ));
}

#[test]
fn a_saved_plan_is_refused_for_a_target_that_moved_region() {
    let saved = temp("moved.json");
    members(&["plan", "--out", saved.to_str().unwrap(), &file()])
        .assert()
        .code(0);
    let moved = std::fs::read_to_string(fixture("two_regions.yaml"))
        .unwrap()
        .replace("ap-southeast-1", "cn-south-1");
    let moved = write("moved.yaml", &moved);
    members(&["apply", "--plan", saved.to_str().unwrap(), &moved])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "holds no plan for shop in cn-south-1",
        ));
}

#[test]
fn rate_paces_every_request_of_the_run() {
    // Seeding, name lookups in two regions and two listings: well over 9 requests, so at 4 a
    // second the run takes at least 2 seconds.
    let started = std::time::Instant::now();
    members(&["--rate", "4", "plan", &file()]).assert().code(0);
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    members(&["--rate", "0", "plan", &file()]).assert().code(64);
}

/// `apply` on a terminal (a pseudo-terminal from util-linux `script`) answered `answer`; `None`
/// where `script` is missing.
fn on_a_terminal(answer: &str) -> Option<(i32, String)> {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("no `script` here: the terminal prompt is not tested");
        return None;
    }
    let bin = assert_cmd::cargo::cargo_bin("hwc-members");
    let line = format!(
        "env -i HOME=/tmp NO_COLOR=1 {} --fake-state {} apply --allow-large-removals {}",
        bin.display(),
        fixture("state.yaml").display(),
        file()
    );
    let out = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .write_stdin(answer.to_owned())
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    Some((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

#[test]
fn on_a_terminal_apply_asks_and_only_yes_applies() {
    let Some((code, text)) = on_a_terminal("y\n") else {
        return;
    };
    assert!(text.contains("Apply these changes?"), "{text}");
    assert!(text.contains("2 targets: 2 applied"), "{text}");
    assert_eq!(code, 0, "{text}");
    for answer in ["n\n", "maybe\n", ""] {
        let Some((code, text)) = on_a_terminal(answer) else {
            return;
        };
        assert!(text.contains("Apply these changes?"), "{text}");
        assert!(
            text.contains("not applied: no confirmation"),
            "{answer:?}: {text}"
        );
        assert_eq!(code, 1, "{answer:?}: {text}");
    }
}

#[test]
fn against_the_fake_its_caller_is_the_identity_that_must_not_be_removed() {
    let me = huaweicloud_openapi::fake::CALLER_USER_ID;
    let target = "targets:\n  - permission_set: fea96c90024711b8bf8d6886407b814b\n    region: cn-north-4\n    workspace: dd97167b873d4a79b2aad54d4370a3bc\n";
    let state = write(
        "caller-state.yaml",
        &format!(
            "{target}    members: [{{user: {me}}}, {{user: b43927a45a514e93ba70524b28923500}}]\n"
        ),
    );
    let file = write(
        "caller.yaml",
        &format!(
            "{target}    prune: true\n    members: [{{user: b43927a45a514e93ba70524b28923500}}]\n"
        ),
    );
    let run = |extra: &[&str]| {
        let mut cmd = Command::cargo_bin("hwc-members").unwrap();
        cmd.env_clear()
            .args(["--fake-state", &state, "apply", "--yes"])
            .args(extra)
            .arg(&file);
        cmd
    };
    let text = stdout(&mut run(&[]), 1);
    assert!(
        text.contains(&format!(
            "the plan removes {me}, the identity running this apply"
        )),
        "{text}"
    );
    stdout(&mut run(&["--allow-removing-self"]), 0);
}
