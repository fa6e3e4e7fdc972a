//! DataArts permission sets as a reconcile [`Target`]: members keyed by type and ID, added in
//! batches, removed by member record ID; nothing to change in place.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{
    batch_limit,
    engine::{self, ApplyOptions, Limits, ListSettings, Listing, Plan, Target, Written},
    ApplyReport, ReconcileError,
};
use crate::{
    dataarts::{self, types},
    DataArtsClient, Error, Execute,
};

/// A member a permission set should have. Members are the same when type and ID are.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DesiredMember {
    /// `USER`, `USER_GROUP` or `WORKSPACE_ROLE`.
    pub member_type: String,
    /// The user, user group or workspace role ID.
    pub member_id: String,
    /// Its name.
    pub member_name: String,
    /// The workspace, for a workspace role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
}

impl DesiredMember {
    /// A user.
    pub fn user(id: impl Into<String>, name: impl Into<String>) -> Self {
        DesiredMember {
            member_type: "USER".into(),
            member_id: id.into(),
            member_name: name.into(),
            workspace: None,
        }
    }

    /// Who the member is: type and ID.
    pub fn key(&self) -> MemberKey {
        MemberKey {
            member_type: self.member_type.clone(),
            member_id: self.member_id.clone(),
        }
    }

    /// The generated request item; a value the spec forbids fails here, naming the field.
    fn to_request(&self) -> Result<types::PermissionSetMemberCreate, String> {
        let field = |name: &str, e: types::error::ConversionError| format!("{name}: {e}");
        Ok(types::PermissionSetMemberCreate {
            member_type: Some(self.member_type.parse().map_err(|_| {
                format!(
                    "member_type {:?} is not USER, USER_GROUP or WORKSPACE_ROLE",
                    self.member_type
                )
            })?),
            member_id: Some(self.member_id.parse().map_err(|e| field("member_id", e))?),
            member_name: Some(
                self.member_name
                    .parse()
                    .map_err(|e| field("member_name", e))?,
            ),
            workspace: self
                .workspace
                .as_deref()
                .map(str::parse)
                .transpose()
                .map_err(|e| field("workspace", e))?,
        })
    }
}

impl fmt::Display for DesiredMember {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} ({})",
            self.member_type, self.member_name, self.member_id
        )
    }
}

/// Who a permission set member is: its type and ID, written `TYPE:ID` (how saved plans key
/// members).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MemberKey {
    /// `USER`, `USER_GROUP` or `WORKSPACE_ROLE`.
    pub member_type: String,
    /// The user, user group or workspace role ID.
    pub member_id: String,
}

impl fmt::Display for MemberKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.member_type, self.member_id)
    }
}

impl FromStr for MemberKey {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (member_type, member_id) = s
            .split_once(':')
            .ok_or_else(|| format!("{s:?} is not TYPE:ID"))?;
        Ok(MemberKey {
            member_type: member_type.to_owned(),
            member_id: member_id.to_owned(),
        })
    }
}

impl Serialize for MemberKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MemberKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// A member as found in the permission set, with its member record ID (what removal takes).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FoundMember {
    /// The member record ID (`id` of the member list).
    pub record_id: String,
    /// Who it is.
    pub member: DesiredMember,
}

/// The members a permission set should have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesiredPermissionSet {
    /// The permission set.
    pub permission_set_id: String,
    /// Who should be in it.
    pub members: Vec<DesiredMember>,
    /// Remove members that are not desired (otherwise only add).
    #[serde(default)]
    pub prune: bool,
}

/// A permission set's plan: see [`Plan`].
pub type PermissionSetPlan = Plan<PermissionSetTarget>;

/// One DataArts permission set, with the client that reaches it.
#[derive(Debug, Clone)]
pub struct PermissionSetTarget {
    client: DataArtsClient,
    permission_set_id: String,
}

impl PermissionSetTarget {
    /// The permission set `permission_set_id`, through `client` (its project and workspace).
    pub fn new(client: &DataArtsClient, permission_set_id: impl Into<String>) -> Self {
        PermissionSetTarget {
            client: client.clone(),
            permission_set_id: permission_set_id.into(),
        }
    }
}

impl Target for PermissionSetTarget {
    type Key = MemberKey;
    type Desired = DesiredMember;
    type Found = FoundMember;
    const KIND: &'static str = "permission set";

    fn id(&self) -> &str {
        &self.permission_set_id
    }

    fn limits(&self) -> Limits {
        let table = dataarts::OPERATIONS;
        Limits {
            add: batch_limit(
                table,
                "BatchCreateSecurityPermissionSetMembers",
                "/members",
                100,
            ),
            remove: batch_limit(
                table,
                "BatchDeleteSecurityPermissionSetMembers",
                "/ids",
                100,
            ),
            change: 1,
            max_members: None,
        }
    }

    async fn list(&self, settings: ListSettings) -> Result<Listing<MemberKey, FoundMember>, Error> {
        let request = self
            .client
            .list_security_permission_set_members()
            .permission_set_id(self.permission_set_id.as_str());
        let key = |m: &types::PermissionSetMember| {
            format!(
                "{}:{}",
                m.member_type.as_deref().unwrap_or_default(),
                m.member_id.as_deref().unwrap_or_default()
            )
        };
        let max_offset =
            super::max_offset(dataarts::OPERATIONS, "ListSecurityPermissionSetMembers");
        super::walk(request, settings, max_offset, key, |m| {
            let member = DesiredMember {
                member_type: m.member_type.unwrap_or_default(),
                member_id: m.member_id.unwrap_or_default(),
                member_name: m.member_name.unwrap_or_default(),
                workspace: m.workspace,
            };
            let found = FoundMember {
                record_id: m.id.unwrap_or_default(),
                member,
            };
            (found.member.key(), found)
        })
        .await
    }

    async fn add(&self, batch: Vec<(MemberKey, DesiredMember)>) -> Result<Written, Error> {
        let members = batch
            .iter()
            .map(|(_, m)| {
                m.to_request()
                    .map_err(|e| Error::InvalidRequest(format!("member {m}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let response = self
            .client
            .batch_create_security_permission_set_members()
            .permission_set_id(self.permission_set_id.as_str())
            .body_map(|b| b.members(members))
            .execute()
            .await?;
        Ok(Written::from(&response))
    }

    async fn remove(&self, batch: Vec<(MemberKey, FoundMember)>) -> Result<Written, Error> {
        let ids = batch
            .iter()
            .map(|(_, f)| f.record_id.parse())
            .collect::<Result<Vec<types::BatchDeleteRequestBodyIdsItem>, _>>()?;
        let response = self
            .client
            .batch_delete_security_permission_set_members()
            .permission_set_id(self.permission_set_id.as_str())
            .body_map(|b| b.ids(ids))
            .execute()
            .await?;
        Ok(Written::from(&response))
    }

    async fn change(&self, batch: Vec<(MemberKey, DesiredMember)>) -> Result<Written, Error> {
        // `satisfies` is always true: the engine plans no change for a permission set.
        Err(Error::InvalidRequest(format!(
            "permission set members cannot be changed in place ({} asked)",
            batch.len()
        )))
    }

    fn satisfies(&self, _found: &FoundMember, _desired: &DesiredMember) -> bool {
        // Type and ID are the key; the name and workspace are taken as found.
        true
    }

    fn validate(&self, key: &MemberKey, desired: &DesiredMember) -> Result<(), String> {
        if *key != desired.key() {
            return Err(format!("keyed as {key}"));
        }
        desired.to_request().map(|_| ())
    }

    fn same(&self, _before: &FoundMember, _now: &FoundMember) -> bool {
        // Present both times is the same membership, whatever the record ID.
        true
    }

    fn show_desired(_key: &MemberKey, desired: &DesiredMember) -> String {
        desired.to_string()
    }

    fn show_found(_key: &MemberKey, found: &FoundMember) -> String {
        found.member.to_string()
    }

    fn show_value(desired: &DesiredMember) -> String {
        desired.to_string()
    }
}

/// Checks the desired list and compares it with the permission set's members (the engine's
/// [`engine::plan`] with default options).
pub async fn plan_permission_set(
    client: &DataArtsClient,
    desired: &DesiredPermissionSet,
) -> Result<PermissionSetPlan, ReconcileError> {
    let target = PermissionSetTarget::new(client, &desired.permission_set_id);
    let members = desired.members.iter().map(|m| (m.key(), m.clone()));
    engine::plan(&target, members, desired.prune, &ApplyOptions::default()).await
}

/// Applies a permission set's plan (see the [module docs](super)).
pub async fn apply_permission_set(
    client: &DataArtsClient,
    plan: &PermissionSetPlan,
    options: &ApplyOptions,
) -> Result<ApplyReport, ReconcileError> {
    let target = PermissionSetTarget::new(client, &plan.target);
    engine::apply(&target, plan, options).await
}
