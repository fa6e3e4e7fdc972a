//! Clients for each target: the embedded fake (one per region or endpoint) or the cloud with the
//! target's credentials profile; and IAM user names turned into IDs, cached for the run.

use std::{
    collections::{BTreeMap, HashMap},
    path::PathBuf,
    sync::Mutex,
};

use std::sync::Arc;

use huaweicloud_openapi::{
    auth::{Credentials, ProfileProvider, ProvideCredentials},
    fake::{self, FakeServer},
    iam::{IamClient, PasswordTokenProvider},
    ratelimit::RateLimiter,
    DataArtsClient, Execute, ProjectManClient,
};

use crate::file::{is_user_id, FakeState, Kind, MembersFile, Target, Wanted};

/// Where the run goes.
pub struct Session {
    /// One fake per target location, when running against the fake.
    fakes: Option<BTreeMap<String, FakeServer>>,
    limiter: Option<RateLimiter>,
    /// (IAM location, name) -> user ID, or why not.
    names: Mutex<HashMap<(String, String), Result<String, String>>>,
    /// The IAM user ID of who runs this, when known.
    pub identity: Option<String>,
    /// IAM user token providers by (region, IAM endpoint), shared by the targets there.
    tokens: Mutex<HashMap<TokenKey, Arc<PasswordTokenProvider>>>,
}

/// A region and an IAM endpoint: where one IAM user token is valid.
type TokenKey = (Option<String>, Option<String>);

/// Environment variables of the IAM user way, as in the quickstart (no official names exist).
const IAM_USER_NAME: &str = "HUAWEICLOUD_IAM_USER_NAME";
const IAM_PASSWORD: &str = "HUAWEICLOUD_IAM_PASSWORD";
const IAM_ACCOUNT_NAME: &str = "HUAWEICLOUD_IAM_ACCOUNT_NAME";

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Credentials of one target: fixed ones, or an IAM user's renewed tokens.
type Shared = Arc<dyn ProvideCredentials>;

/// The clients of one target.
pub struct TargetClients {
    /// Set for permission sets.
    pub dataarts: Option<DataArtsClient>,
    /// Set for projects.
    pub projectman: Option<ProjectManClient>,
    /// For name lookups.
    pub iam: IamClient,
}

impl TargetClients {
    /// The IAM user ID of whoever these credentials belong to, as CodeArts tells it
    /// (`GET /v4/user`), for a project target; `None` for a permission set or when CodeArts
    /// does not say.
    pub async fn caller_id(&self) -> Option<String> {
        let projectman = self.projectman.as_ref()?;
        let user = projectman.show_cur_user_info().execute().await.ok()?;
        user.into_inner().user_id.map(|id| id.to_string())
    }
}

/// One member with its user name resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// `USER`, `USER_GROUP` or `WORKSPACE_ROLE`.
    pub member_type: String,
    /// The ID.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Workspace of a workspace role.
    pub workspace: Option<String>,
    /// Project role number.
    pub role: Option<i64>,
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

impl Session {
    /// The fake when asked, or when no credentials are found anywhere and no target names a
    /// profile; otherwise the cloud.
    pub fn open(
        file: &MembersFile,
        force_fake: bool,
        fake_state: Option<&(FakeState, MembersFile)>,
        rate: Option<f64>,
        identity: Option<String>,
    ) -> Result<Self, String> {
        let limiter = rate.map(RateLimiter::fixed).transpose().map_err(err)?;
        let names = Mutex::new(HashMap::new());
        let wants_fake = force_fake
            || fake_state.is_some()
            || (file.targets.iter().all(|t| t.profile.is_none())
                && var(IAM_USER_NAME).is_none()
                && Credentials::from_default_chain().map_err(err)?.is_none());
        let tokens = Mutex::new(HashMap::new());
        if !wants_fake {
            return Ok(Session {
                fakes: None,
                limiter,
                names,
                identity,
                tokens,
            });
        }
        Ok(Session {
            fakes: Some(BTreeMap::new()),
            limiter,
            names,
            identity: identity.or_else(|| Some(fake::CALLER_USER_ID.to_owned())),
            tokens,
        })
    }

    /// Whether this runs against the fake.
    pub fn is_fake(&self) -> bool {
        self.fakes.is_some()
    }

    /// Starts the fakes the targets need (one per location), with their permission sets, and the
    /// IAM users of the fake state.
    pub async fn start_fakes(
        &mut self,
        targets: &[&Target],
        state: Option<&FakeState>,
    ) -> Result<(), String> {
        let Some(fakes) = self.fakes.as_mut() else {
            return Ok(());
        };
        for target in targets {
            let location = target.location();
            if !fakes.contains_key(&location) {
                let fake = FakeServer::start()
                    .await
                    .map_err(|e| format!("cannot start the fake server: {e}"))?;
                for user in state.map(|s| s.iam_users.as_slice()).unwrap_or_default() {
                    fake.iam().add_user(&user.name, &user.id);
                }
                fakes.insert(location.clone(), fake);
            }
            if let (Kind::PermissionSet, id) = target.kind_id() {
                let fake = &fakes[&location];
                if fake.permission_set(fake::PROJECT_ID, id).is_none() {
                    fake.add_permission_set(fake::PROJECT_ID, id, &target.label());
                }
            }
        }
        Ok(())
    }

    /// The fakes' endpoints by location, for the notice.
    pub fn fake_endpoints(&self) -> Vec<(String, String)> {
        self.fakes
            .iter()
            .flatten()
            .map(|(l, f)| (l.clone(), f.endpoint()))
            .collect()
    }

    /// The clients of `target`.
    pub fn clients(&self, target: &Target) -> Result<TargetClients, String> {
        let (kind, _) = target.kind_id();
        let (credentials, endpoint, iam_endpoint, project_id) = match &self.fakes {
            Some(fakes) => {
                let fake = fakes
                    .get(&target.location())
                    .ok_or("no fake was started for it")?;
                let token: Shared = Arc::new(Credentials::token("fake-token").map_err(err)?);
                (
                    token,
                    Some(fake.endpoint()),
                    Some(fake.endpoint()),
                    Some(fake::PROJECT_ID.to_owned()),
                )
            }
            None => (
                self.credentials(target)?,
                target.endpoint.clone(),
                target.iam_endpoint.clone(),
                target.project_id.clone(),
            ),
        };
        macro_rules! configure {
            ($builder:expr, $endpoint:expr) => {{
                let mut b = $builder.credentials_provider(credentials.clone());
                if let Some(region) = &target.region {
                    b = b.region(region);
                }
                if let Some(endpoint) = $endpoint {
                    b = b.endpoint(endpoint.clone());
                }
                if let Some(limiter) = &self.limiter {
                    b = b.rate_limiter(limiter.clone());
                }
                b
            }};
        }
        let iam = configure!(IamClient::builder(), iam_endpoint.as_ref())
            .build()
            .map_err(err)?;
        let mut clients = TargetClients {
            dataarts: None,
            projectman: None,
            iam,
        };
        match kind {
            Kind::PermissionSet => {
                let mut b = configure!(DataArtsClient::builder(), endpoint.as_ref());
                if let Some(w) = &target.workspace {
                    b = b.workspace(w);
                }
                if let Some(p) = &project_id {
                    b = b.project_id(p);
                }
                clients.dataarts = Some(b.build().map_err(err)?);
            }
            Kind::Project => {
                let b = configure!(ProjectManClient::builder(), endpoint.as_ref());
                clients.projectman = Some(b.build().map_err(err)?);
            }
        }
        Ok(clients)
    }

    /// The target's members with IAM user names turned into IDs (each name asked once per IAM
    /// per run); an unknown or ambiguous name is refused naming the entry.
    pub async fn resolve(
        &self,
        target: &Target,
        clients: &TargetClients,
        wanted: Vec<Wanted>,
    ) -> Result<Vec<Resolved>, String> {
        let location = target
            .iam_endpoint
            .clone()
            .unwrap_or_else(|| target.location());
        let mut out: Vec<Resolved> = Vec::new();
        let mut ids: BTreeMap<(String, String), String> = BTreeMap::new();
        for w in wanted {
            let (id, name) = if w.member_type == "USER" && !is_user_id(&w.who) {
                let key = (location.clone(), w.who.clone());
                let cached = self.names.lock().map_err(err)?.get(&key).cloned();
                let found = match cached {
                    Some(found) => found,
                    None => {
                        let found = lookup(&clients.iam, &w.who).await?;
                        self.names.lock().map_err(err)?.insert(key, found.clone());
                        found
                    }
                };
                let id = found.map_err(|e| format!("{}: {e}", w.entry))?;
                (id, w.name.clone().unwrap_or(w.who.clone()))
            } else {
                (w.who.clone(), w.name.clone().unwrap_or(w.who.clone()))
            };
            if let Some(first) = ids.insert((w.member_type.clone(), id.clone()), w.entry.clone()) {
                return Err(format!(
                    "{} and {first} are the same {} {id}",
                    w.entry, w.member_type
                ));
            }
            out.push(Resolved {
                member_type: w.member_type,
                id,
                name,
                workspace: w.workspace,
                role: w.role,
            });
        }
        Ok(out)
    }
}

/// `Ok(Ok(id))` for one user, `Ok(Err(why))` for none or several, `Err` when IAM failed.
async fn lookup(iam: &IamClient, name: &str) -> Result<Result<String, String>, String> {
    let answer = iam
        .keystone_list_users()
        .name(name)
        .execute()
        .await
        // The error's text carries the request ID.
        .map_err(|e| format!("looking up IAM user {name:?}: {e}"))?;
    let ids: Vec<String> = answer
        .into_inner()
        .users
        .unwrap_or_default()
        .into_iter()
        .filter(|u| u.name.as_deref() == Some(name))
        .filter_map(|u| u.id)
        .collect();
    Ok(match ids.as_slice() {
        [id] => Ok(id.clone()),
        [] => Err(format!("no IAM user is named {name:?}")),
        many => Err(format!(
            "{} IAM users are named {name:?} ({}); give the user ID instead",
            many.len(),
            many.join(", ")
        )),
    })
}

impl Session {
    /// The target's credentials: its `profile` section of the credentials file; else AK/SK or a
    /// token from the environment; else an IAM user and password from the environment (one
    /// token provider per region); else the file's `[basic]` section.
    fn credentials(&self, target: &Target) -> Result<Shared, String> {
        if let Some(profile) = &target.profile {
            return Ok(Arc::new(profile_credentials(profile)?));
        }
        let from_env = Credentials::from_env().map_err(err)?;
        if from_env.is_some() && var(IAM_USER_NAME).is_some() {
            return Err(format!(
                "both AK/SK (or a token) and {IAM_USER_NAME} are set in the environment: choose one"
            ));
        }
        if let Some(found) = from_env {
            return Ok(Arc::new(found));
        }
        if let Some(user) = var(IAM_USER_NAME) {
            let key = (target.region.clone(), target.iam_endpoint.clone());
            let mut tokens = self.tokens.lock().map_err(err)?;
            if let Some(provider) = tokens.get(&key) {
                return Ok(provider.clone());
            }
            let mut b = PasswordTokenProvider::builder()
                .user(user)
                .password(var(IAM_PASSWORD).unwrap_or_default())
                .account(var(IAM_ACCOUNT_NAME).unwrap_or_default());
            if let Some(region) = &target.region {
                b = b.region(region);
            }
            if let Some(endpoint) = &target.iam_endpoint {
                b = b.iam_endpoint(endpoint);
            }
            let provider = Arc::new(b.build().map_err(err)?);
            tokens.insert(key, provider.clone());
            return Ok(provider);
        }
        let found = Credentials::from_default_chain().map_err(err)?.ok_or_else(|| {
            format!(
                "no credentials: set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (or {IAM_USER_NAME}, \
                 {IAM_PASSWORD} and {IAM_ACCOUNT_NAME}), or give the target a `profile`"
            )
        })?;
        Ok(Arc::new(found))
    }
}

/// The `[profile]` section of the credentials file (`HUAWEICLOUD_SDK_CREDENTIALS_FILE`, else
/// `~/.huaweicloud/credentials`): `ak`, `sk`, optional `security_token` and `project_id`.
fn profile_credentials(profile: &str) -> Result<Credentials, String> {
    let path: PathBuf = ProfileProvider::default_location()
        .map(|p| p.path().to_owned())
        .ok_or_else(|| {
            format!("profile {profile}: no home directory to find the credentials file in")
        })?;
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("profile {profile}: cannot read {}: {e}", path.display()))?;
    let ini = ini::Ini::load_from_str(&text)
        .map_err(|e| format!("{} is not a valid INI file: {e}", path.display()))?;
    let section = ini
        .section(Some(profile))
        .ok_or_else(|| format!("{} has no [{profile}] section", path.display()))?;
    let get = |key: &str| section.get(key).map(str::trim).filter(|v| !v.is_empty());
    let (Some(ak), Some(sk)) = (get("ak"), get("sk")) else {
        return Err(format!(
            "[{profile}] of {} needs both ak and sk",
            path.display()
        ));
    };
    let mut creds = Credentials::ak_sk(ak, sk).map_err(err)?;
    if let Some(token) = get("security_token") {
        creds = creds.with_security_token(token).map_err(err)?;
    }
    if let Some(project) = get("project_id") {
        creds = creds.with_project_id(project);
    }
    Ok(creds)
}
