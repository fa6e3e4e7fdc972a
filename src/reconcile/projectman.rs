//! CodeArts projects as a reconcile [`Target`]: members keyed by user ID with a [`Role`], added,
//! re-roled and removed in batches; the creator (role -1) is never touched; at most 1,000
//! members a project.

use std::{collections::BTreeMap, fmt};

use serde::{
    de::{self, MapAccess, Visitor},
    Deserialize, Deserializer, Serialize, Serializer,
};

use super::{
    batch_limit,
    engine::{self, ApplyOptions, Change, Limits, ListSettings, Listing, Plan, Target, Written},
    ApplyReport, ReconcileError, Safety,
};
use crate::{
    projectman::{self, types, Role},
    Error, Execute, ProjectManClient,
};

const CREATOR: i32 = Role::ProjectCreator.value() as i32;
const MANAGER: i32 = Role::ProjectManager.value() as i32;
const PARTICIPANT: i32 = Role::Participant.value() as i32;

/// Members a CodeArts project may have (CodeArts Req constraints page).
pub const MAX_PROJECT_MEMBERS: usize = 1_000;

fn role_name(role: i32) -> String {
    Role::from_value(role.into()).map_or_else(|| format!("role {role}"), |r| format!("{r:?}"))
}

/// As its wire value (`4`), so saved plans read like the API.
impl Serialize for Role {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.value())
    }
}

/// From its wire value (`4`) or its name (`developer`, `Developer`); anything else is refused,
/// naming the roles there are.
impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct RoleVisitor;
        impl Visitor<'_> for RoleVisitor {
            type Value = Role;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a CodeArts role ID or name")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Role, E> {
                Role::from_value(v).ok_or_else(|| E::custom(unknown_role(&v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Role, E> {
                i64::try_from(v)
                    .ok()
                    .and_then(Role::from_value)
                    .ok_or_else(|| E::custom(unknown_role(&v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Role, E> {
                Role::ALL
                    .iter()
                    .copied()
                    .find(|r| r.snake_case_name() == v || format!("{r:?}") == v)
                    .or_else(|| v.parse().ok().and_then(Role::from_value))
                    .ok_or_else(|| E::custom(unknown_role(&v)))
            }
        }
        d.deserialize_any(RoleVisitor)
    }
}

fn unknown_role(value: &dyn fmt::Display) -> String {
    let known: Vec<String> = Role::ALL
        .iter()
        .map(|r| format!("{} ({})", r.snake_case_name(), r.value()))
        .collect();
    format!("unknown role {value}; roles are {}", known.join(", "))
}

/// A user ID to role map that refuses a user listed twice (YAML and JSON maps otherwise keep the
/// last entry silently).
fn unique_members<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, Role>, D::Error> {
    struct Unique;
    impl<'de> Visitor<'de> for Unique {
        type Value = BTreeMap<String, Role>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map of user IDs to roles")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut members = BTreeMap::new();
            while let Some((user, role)) = map.next_entry::<String, Role>()? {
                if let Some(first) = members.get(&user) {
                    return Err(de::Error::custom(format!(
                        "user {user} is listed twice: as {first:?} and as {role:?}"
                    )));
                }
                members.insert(user, role);
            }
            Ok(members)
        }
    }
    d.deserialize_map(Unique)
}

/// The members a CodeArts project should have: user ID to role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesiredProject {
    /// The 32-character CodeArts project ID.
    pub project_id: String,
    /// User ID to role. Deserialising refuses a user listed twice.
    #[serde(deserialize_with = "unique_members")]
    pub members: BTreeMap<String, Role>,
    /// Remove members that are not desired (otherwise only add and fix roles).
    #[serde(default)]
    pub prune: bool,
}

/// A project member whose role the plan changes: from the role found (as the service reports
/// it, possibly a value this crate does not name) to a [`Role`].
pub type RoleChange = Change<i32, Role>;

/// A project's plan: see [`Plan`]. Found roles are the service's values (`i32`), desired ones
/// [`Role`]s.
pub type ProjectPlan = Plan<ProjectTarget>;

/// One CodeArts project, with the client that reaches it.
#[derive(Debug, Clone)]
pub struct ProjectTarget {
    client: ProjectManClient,
    project_id: String,
}

impl ProjectTarget {
    /// The project `project_id` (32 characters), through `client`.
    pub fn new(client: &ProjectManClient, project_id: impl Into<String>) -> Self {
        ProjectTarget {
            client: client.clone(),
            project_id: project_id.into(),
        }
    }

    fn user_ids(batch: &[(String, impl Sized)]) -> Result<Vec<types::UserId>, Error> {
        batch
            .iter()
            .map(|(u, _)| {
                u.parse()
                    .map_err(|e| Error::InvalidRequest(format!("user {u}: {e}")))
            })
            .collect()
    }
}

impl Target for ProjectTarget {
    type Key = String;
    type Desired = Role;
    type Found = i32;
    const KIND: &'static str = "project";

    fn id(&self) -> &str {
        &self.project_id
    }

    fn limits(&self) -> Limits {
        let table = projectman::OPERATIONS;
        Limits {
            add: batch_limit(table, "BatchAddMembersV4", "/users", 50),
            remove: batch_limit(table, "BatchDeleteMembersV4", "/user_ids", 50),
            change: batch_limit(table, "UpdateMembesRoleV4", "/user_ids", 50),
            max_members: Some(MAX_PROJECT_MEMBERS),
        }
    }

    async fn list(&self, settings: ListSettings) -> Result<Listing<String, i32>, Error> {
        let request = self
            .client
            .list_project_members_v4()
            .project_id(self.project_id.as_str());
        let key = |m: &types::ProjectMember| m.user_id.clone().unwrap_or_default();
        let max_offset = super::max_offset(projectman::OPERATIONS, "ListProjectMembersV4");
        super::walk(request, settings, max_offset, key, |m| {
            (m.user_id.unwrap_or_default(), m.role_id.unwrap_or_default())
        })
        .await
    }

    async fn add(&self, batch: Vec<(String, Role)>) -> Result<Written, Error> {
        let users = batch
            .iter()
            .map(|(user, role)| {
                Ok(types::BatchAddMemberRequestV4 {
                    role_id: Some((*role).into()),
                    user_id: user
                        .parse()
                        .map_err(|e| Error::InvalidRequest(format!("user {user}: {e}")))?,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let response = self
            .client
            .batch_add_members_v4()
            .project_id(self.project_id.as_str())
            .body_map(|b| b.users(users))
            .execute()
            .await?;
        Ok(Written::from(&response))
    }

    async fn remove(&self, batch: Vec<(String, i32)>) -> Result<Written, Error> {
        let ids = Self::user_ids(&batch)?;
        let response = self
            .client
            .batch_delete_members_v4()
            .project_id(self.project_id.as_str())
            .body_map(|b| b.user_ids(ids))
            .execute()
            .await?;
        Ok(Written::from(&response))
    }

    async fn change(&self, batch: Vec<(String, Role)>) -> Result<Written, Error> {
        let Some(&(_, role)) = batch.first() else {
            return Ok(Written::default());
        };
        let ids = Self::user_ids(&batch)?;
        let response = self
            .client
            .update_membes_role_v4()
            .project_id(self.project_id.as_str())
            .body_map(|b| b.role_id(types::RoleId::from(role)).user_ids(ids))
            .execute()
            .await?;
        Ok(Written::from(&response))
    }

    fn satisfies(&self, found: &i32, desired: &Role) -> bool {
        i64::from(*found) == desired.value()
    }

    fn validate(&self, user: &String, role: &Role) -> Result<(), String> {
        types::UserId::try_from(user.as_str()).map_err(|e| format!("user_id: {e}"))?;
        if *role == Role::ProjectCreator {
            return Err("role -1 (the project creator) cannot be granted".into());
        }
        Ok(())
    }

    fn protected(&self, _user: &String, found: &i32) -> Option<String> {
        (*found == CREATOR).then(|| {
            "the project creator (role -1) can be neither removed nor given another role".into()
        })
    }

    fn check_plan(&self, plan: &ProjectPlan, safety: &Safety) -> Result<(), ReconcileError> {
        let managers_before = plan.found.values().filter(|r| **r == MANAGER).count();
        let mut after: BTreeMap<&String, i32> = plan.found.iter().map(|(u, r)| (u, *r)).collect();
        for user in plan.remove.keys() {
            after.remove(user);
        }
        let wanted = plan
            .change
            .iter()
            .map(|(u, c)| (u, c.to))
            .chain(plan.add.iter().map(|(u, r)| (u, *r)));
        for (user, role) in wanted {
            after.insert(user, role.value() as i32);
        }
        let managers_after = after.values().filter(|r| **r == MANAGER).count();
        if managers_before > 0 && managers_after == 0 && !safety.allow_removing_last_manager {
            return Err(ReconcileError::LastManager {
                target: engine::name_of(self),
            });
        }
        Ok(())
    }

    fn explain(&self, desired: Option<&Role>, found: Option<&i32>) -> Option<String> {
        match (desired, found) {
            (Some(_), None) => Some(
                "the batch add skips user IDs the service does not know without an error: check \
                 that the user exists in the account"
                    .into(),
            ),
            (Some(role), Some(&PARTICIPANT)) if *role != Role::Participant => Some(
                "the service gives role 7 (participant) instead of a role the caller may not \
                 grant: check the caller's own role in the project"
                    .into(),
            ),
            _ => None,
        }
    }

    fn show_desired(user: &String, role: &Role) -> String {
        format!("{user} as {role:?}")
    }

    fn show_found(user: &String, role: &i32) -> String {
        format!("{user} ({})", role_name(*role))
    }

    fn show_value(role: &Role) -> String {
        format!("{role:?}")
    }
}

/// Checks the desired list and compares it with the project's members (the engine's
/// [`engine::plan`] with default options). The creator is never planned for removal or a role
/// change.
pub async fn plan_project(
    client: &ProjectManClient,
    desired: &DesiredProject,
) -> Result<ProjectPlan, ReconcileError> {
    let target = ProjectTarget::new(client, &desired.project_id);
    let members = desired.members.iter().map(|(u, r)| (u.clone(), *r));
    engine::plan(&target, members, desired.prune, &ApplyOptions::default()).await
}

/// Applies a project's plan (see the [module docs](super)).
pub async fn apply_project(
    client: &ProjectManClient,
    plan: &ProjectPlan,
    options: &ApplyOptions,
) -> Result<ApplyReport, ReconcileError> {
    let target = ProjectTarget::new(client, &plan.target);
    engine::apply(&target, plan, options).await
}
