//! The members file: targets, reusable groups and members by IAM user name or ID; loading,
//! offline validation and expansion into what each target should have.

use std::{
    collections::{BTreeMap, BTreeSet},
    fmt,
    path::Path,
};

use huaweicloud_openapi::{dataarts::types as da, projectman::Role};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// What a members file holds.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MembersFile {
    /// Reusable lists of IAM users (names or IDs), referenced as `group: NAME` from targets.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub groups: BTreeMap<String, Vec<String>>,
    /// The permission sets and projects whose members the file owns.
    #[serde(default)]
    pub targets: Vec<Target>,
}

/// One permission set or project, and where and how to reach it.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// A label for output and `--target` (default: `permission set ID` or `project ID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A DataArts Security permission set ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_set: Option<String>,
    /// A CodeArts project ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// The region, e.g. `cn-north-4`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// An explicit service endpoint, which wins over the region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// An IAM endpoint for name lookups, which wins over the region's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iam_endpoint: Option<String>,
    /// The DataArts workspace ID (permission sets only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    /// A section of the credentials file (`~/.huaweicloud/credentials`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The IAM project ID (permission sets; looked up from the region when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    /// Remove members the file does not list (otherwise only add and fix roles).
    #[serde(default)]
    pub prune: bool,
    /// Who should be a member.
    #[serde(default)]
    pub members: Vec<Member>,
}

/// One entry of a target's `members`: exactly one of `user`, `group`, `user_group`,
/// `workspace_role`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// An IAM user name, or a user ID (32 hexadecimal characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// A group of the file's `groups`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// An IAM user group ID (permission sets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_group: Option<String>,
    /// A workspace role ID (permission sets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_role: Option<String>,
    /// The member's display name (permission sets; a user's IAM name by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The workspace of a workspace role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    /// The role in a project: a name such as `developer`, or its number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<RoleArg>,
}

/// A role that can be granted: `developer` (a [`Role`] variant in snake case) or `4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleArg(pub Role);

/// The name of role number `value`, or the number.
pub fn role_name(value: i64) -> String {
    Role::from_value(value).map_or_else(|| value.to_string(), Role::snake_case_name)
}

fn grantable() -> String {
    Role::ALL
        .iter()
        .filter(|r| **r != Role::ProjectCreator)
        .map(|r| format!("{} ({})", r.snake_case_name(), r.value()))
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

impl Serialize for RoleArg {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.snake_case_name())
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
                let role = Role::ALL.into_iter().find(|r| r.snake_case_name() == v);
                RoleArg::new(role, &format_args!("{v:?}")).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// A user ID as IAM makes them: 32 hexadecimal characters. Anything else is a user name.
pub fn is_user_id(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// 32 letters and digits: the shape of permission set, workspace, project and group IDs.
fn is_id(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Which kind of list a target is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A DataArts Security permission set.
    PermissionSet,
    /// A CodeArts project.
    Project,
}

impl Kind {
    /// As people read it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::PermissionSet => "permission set",
            Kind::Project => "project",
        }
    }
}

impl Target {
    /// The kind and ID; validation made sure exactly one is set.
    pub fn kind_id(&self) -> (Kind, &str) {
        match (&self.permission_set, &self.project) {
            (Some(id), _) => (Kind::PermissionSet, id),
            (None, Some(id)) => (Kind::Project, id),
            (None, None) => (Kind::Project, ""),
        }
    }

    /// Its label in output and for `--target`.
    pub fn label(&self) -> String {
        match &self.name {
            Some(name) => name.clone(),
            None => {
                let (kind, id) = self.kind_id();
                format!("{} {id}", kind.label())
            }
        }
    }

    /// Which fake (and which IAM) it belongs to: its endpoint, else its region.
    pub fn location(&self) -> String {
        self.endpoint
            .clone()
            .or_else(|| self.region.clone())
            .unwrap_or_else(|| "default".into())
    }
}

impl MembersFile {
    /// Reads and validates `path` (YAML or TOML by extension).
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let file: MembersFile =
            parse(path, &text).map_err(|e| format!("{}: {e}", path.display()))?;
        file.validate()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(file)
    }

    /// Everything that can be checked without a service; the first problem found, naming the
    /// target and entry.
    pub fn validate(&self) -> Result<(), String> {
        for (name, users) in &self.groups {
            let mut seen = BTreeSet::new();
            for user in users {
                if user.trim().is_empty() {
                    return Err(format!("group {name:?}: an empty user"));
                }
                if !seen.insert(user) {
                    return Err(format!("group {name:?}: user {user:?} is listed twice"));
                }
            }
        }
        let mut labels = BTreeSet::new();
        let mut places = BTreeSet::new();
        for (i, target) in self.targets.iter().enumerate() {
            let at = format!("targets[{i}]");
            let (kind, id) = match (&target.permission_set, &target.project) {
                (Some(_), Some(_)) => {
                    return Err(format!("{at}: give permission_set or project, not both"))
                }
                (None, None) => return Err(format!("{at}: give permission_set or project")),
                _ => target.kind_id(),
            };
            let label = target.label();
            let at = format!("{at} ({label})");
            if !is_id(id) {
                return Err(format!(
                    "{at}: {} ID {id:?} is not 32 letters and digits",
                    kind.label()
                ));
            }
            if !labels.insert(label.clone()) {
                return Err(format!(
                    "{at}: another target is also named {label:?}; give each a distinct `name`"
                ));
            }
            if !places.insert((kind, id.to_owned(), target.location())) {
                return Err(format!("{at}: the same {} is listed twice", kind.label()));
            }
            match kind {
                Kind::PermissionSet => match &target.workspace {
                    Some(w) if is_id(w) => {}
                    Some(w) => {
                        return Err(format!(
                            "{at}: workspace {w:?} is not 32 letters and digits"
                        ))
                    }
                    None => {
                        return Err(format!(
                            "{at}: a permission set needs `workspace` (the DataArts workspace ID)"
                        ))
                    }
                },
                Kind::Project if target.workspace.is_some() => {
                    return Err(format!("{at}: `workspace` is for permission sets"))
                }
                Kind::Project => {}
            }
            for (field, value) in [
                ("region", &target.region),
                ("endpoint", &target.endpoint),
                ("profile", &target.profile),
                ("name", &target.name),
            ] {
                if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                    return Err(format!("{at}: `{field}` is empty"));
                }
            }
            self.expand(target).map_err(|e| format!("{at}: {e}"))?;
        }
        Ok(())
    }

    /// What `target` should have, with users still as written (names or IDs), groups expanded;
    /// refuses an entry the target's kind cannot take, and anything listed twice.
    pub fn expand(&self, target: &Target) -> Result<Vec<Wanted>, String> {
        let (kind, _) = target.kind_id();
        let mut out: Vec<Wanted> = Vec::new();
        let mut seen: BTreeMap<(String, String), String> = BTreeMap::new();
        let mut push = |wanted: Wanted, out: &mut Vec<Wanted>| -> Result<(), String> {
            let key = (wanted.member_type.clone(), wanted.who.clone());
            if let Some(first) = seen.get(&key) {
                return Err(format!(
                    "{:?} is listed twice: in {first} and {}",
                    wanted.who, wanted.entry
                ));
            }
            seen.insert(key, wanted.entry.clone());
            out.push(wanted);
            Ok(())
        };
        for (i, m) in target.members.iter().enumerate() {
            let entry = format!("members[{i}]");
            let set = [&m.user, &m.group, &m.user_group, &m.workspace_role]
                .iter()
                .filter(|v| v.is_some())
                .count();
            if set != 1 {
                return Err(format!(
                    "{entry}: give exactly one of user, group, user_group, workspace_role"
                ));
            }
            let role = match (kind, m.role) {
                (Kind::Project, Some(r)) => Some(r.0.value()),
                (Kind::Project, None) => {
                    return Err(format!("{entry}: a project member needs a `role`"))
                }
                (Kind::PermissionSet, Some(_)) => {
                    return Err(format!("{entry}: `role` is for project members"))
                }
                (Kind::PermissionSet, None) => None,
            };
            if kind == Kind::Project && (m.name.is_some() || m.workspace.is_some()) {
                return Err(format!(
                    "{entry}: `name` and `workspace` are for permission sets"
                ));
            }
            let user = |who: &str, entry: String| Wanted {
                member_type: "USER".into(),
                who: who.to_owned(),
                name: m.name.clone(),
                workspace: None,
                role,
                entry,
            };
            // The specs' bounds, checked here so validate finds what apply would refuse.
            if let Some(name) = &m.name {
                name.parse::<da::MemberName>()
                    .map_err(|e| format!("{entry}: name {name:?}: {e}"))?;
            }
            if let Some(workspace) = &m.workspace {
                workspace
                    .parse::<da::WorkspaceId>()
                    .map_err(|e| format!("{entry}: workspace {workspace:?}: {e}"))?;
            }
            if let Some(who) = &m.user {
                if who.trim().is_empty() {
                    return Err(format!("{entry}: `user` is empty"));
                }
                // IAM user names are 1 to 64 characters.
                if !is_user_id(who) && who.chars().count() > 64 {
                    return Err(format!(
                        "{entry}: user {who:?} is neither a user ID (32 hexadecimal characters) nor an IAM user name (at most 64 characters)"
                    ));
                }
                push(user(who, format!("{entry} (user {who:?})")), &mut out)?;
            } else if let Some(group) = &m.group {
                let Some(users) = self.groups.get(group) else {
                    return Err(format!("{entry}: no group is named {group:?}"));
                };
                if m.name.is_some() {
                    return Err(format!("{entry}: a group takes no `name`"));
                }
                for who in users {
                    let mut w = user(who, format!("{entry} (group {group:?}, user {who:?})"));
                    w.name = None;
                    push(w, &mut out)?;
                }
            } else {
                if kind == Kind::Project {
                    return Err(format!("{entry}: projects take users and groups only"));
                }
                let (member_type, id) = match (&m.user_group, &m.workspace_role) {
                    (Some(id), _) => ("USER_GROUP", id),
                    (None, Some(id)) => ("WORKSPACE_ROLE", id),
                    (None, None) => return Err(format!("{entry}: no member given")),
                };
                id.parse::<da::MemberId>()
                    .map_err(|e| format!("{entry}: {id:?}: {e}"))?;
                if !is_id(id) && member_type == "USER_GROUP" {
                    return Err(format!(
                        "{entry}: user group ID {id:?} is not 32 letters and digits"
                    ));
                }
                if member_type == "USER_GROUP" && m.workspace.is_some() {
                    return Err(format!("{entry}: `workspace` is for workspace roles"));
                }
                push(
                    Wanted {
                        member_type: member_type.into(),
                        who: id.clone(),
                        name: m.name.clone(),
                        workspace: m.workspace.clone(),
                        role: None,
                        entry: format!("{entry} ({} {id:?})", member_type.to_ascii_lowercase()),
                    },
                    &mut out,
                )?;
            }
        }
        Ok(out)
    }
}

/// One member a target should have, as the file says it (before names are resolved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    /// `USER`, `USER_GROUP` or `WORKSPACE_ROLE`.
    pub member_type: String,
    /// A user name or ID, or the group or role ID.
    pub who: String,
    /// Display name given in the file.
    pub name: Option<String>,
    /// Workspace of a workspace role.
    pub workspace: Option<String>,
    /// Project role number.
    pub role: Option<i64>,
    /// Where the file says it, for error messages.
    pub entry: String,
}

/// Parses by extension: `.yaml`/`.yml` or `.toml`.
pub fn parse<T: de::DeserializeOwned>(path: &Path, text: &str) -> Result<T, String> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext.to_ascii_lowercase().as_str() {
        "yaml" | "yml" => serde_norway::from_str(text).map_err(|e| e.to_string()),
        "toml" => toml::from_str(text).map_err(|e| e.to_string()),
        _ => Err("the file must end in .yaml, .yml or .toml".to_owned()),
    }
}

/// Writes `value` as TOML when `path` ends in `.toml`, else YAML.
pub fn render<T: Serialize>(path: Option<&Path>, value: &T) -> Result<String, String> {
    let toml = path
        .and_then(|p| p.extension())
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    if toml {
        toml::to_string_pretty(value).map_err(|e| e.to_string())
    } else {
        serde_norway::to_string(value).map_err(|e| e.to_string())
    }
}

/// The fake's starting state (`--fake-state`): a members file plus the IAM users it knows.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FakeState {
    /// IAM users name lookups find (two with one name make it ambiguous).
    #[serde(default)]
    pub iam_users: Vec<IamUser>,
    /// Groups the targets below use.
    #[serde(default)]
    pub groups: BTreeMap<String, Vec<String>>,
    /// Members each target has at the start (every member not listed is removed).
    #[serde(default)]
    pub targets: Vec<Target>,
}

/// An IAM user of the fake.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IamUser {
    /// Its name.
    pub name: String,
    /// Its ID.
    pub id: String,
}

impl FakeState {
    /// Reads and validates `path`.
    pub fn load(path: &Path) -> Result<(Self, MembersFile), String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let state: FakeState =
            parse(path, &text).map_err(|e| format!("{}: {e}", path.display()))?;
        let file = MembersFile {
            groups: state.groups.clone(),
            targets: state
                .targets
                .iter()
                .cloned()
                .map(|mut t| {
                    t.prune = true;
                    t
                })
                .collect(),
        };
        file.validate()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok((state, file))
    }
}
