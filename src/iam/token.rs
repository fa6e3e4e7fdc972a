//! IAM user tokens by password, fetched and renewed on their own.

use std::{fmt, sync::Arc, time::Duration};

use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::{types, IamClient, SUBJECT_TOKEN_HEADER};
use crate::{
    auth::{
        parse_expires_at, CachedProvider, Credentials, ProvideCredentials, DEFAULT_REFRESH_JITTER,
        DEFAULT_REFRESH_MARGIN, DEFAULT_RETRY_AFTER_FAILURE,
    },
    Error, Execute,
};

/// Where a virtual-MFA passcode comes from, asked at every token fetch.
pub trait TotpSource: Send + Sync + 'static {
    /// The current six-digit passcode.
    fn passcode(&self) -> Result<String, Error>;
}

impl<F: Fn() -> Result<String, Error> + Send + Sync + 'static> TotpSource for F {
    fn passcode(&self) -> Result<String, Error> {
        self()
    }
}

#[derive(Clone, Debug)]
enum Scope {
    /// The region's project by name (the default, with the client's region).
    ProjectName(String),
    ProjectId(String),
    /// The whole account.
    Domain,
}

/// An IAM user token obtained with a password (`POST /v3/auth/tokens?nocatalog=true`), scoped
/// to a project, cached and renewed before it expires; a 401 from a service drops it and the
/// call gets one retry with a fresh one. A token scoped to a project carries its project ID, so
/// a DataArts client needs no project-ID lookup.
///
/// ```no_run
/// # #[cfg(feature = "dataarts")]
/// use huaweicloud_openapi::{iam::PasswordTokenProvider, DataArtsClient};
///
/// # #[cfg(feature = "dataarts")]
/// # fn run() -> Result<(), huaweicloud_openapi::Error> {
/// let token = PasswordTokenProvider::builder()
///     .user("IAMUser")
///     .password(std::env::var("IAM_PASSWORD").unwrap_or_default())
///     .account("IAMDomain")
///     .region("cn-north-4") // the token's project, and IAM's endpoint
///     .build()?;
/// let client = DataArtsClient::builder()
///     .region("cn-north-4")
///     .credentials_provider(token)
///     .workspace("dd97167b873d4a79b2aad54d4370a3bc")
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct PasswordTokenProvider {
    cache: CachedProvider,
}

/// Builder of [`PasswordTokenProvider`].
#[derive(Default)]
pub struct PasswordTokenProviderBuilder {
    user: Option<String>,
    password: Option<SecretString>,
    account: Option<String>,
    region: Option<String>,
    endpoint: Option<String>,
    scope: Option<Scope>,
    totp: Option<(String, Arc<dyn TotpSource>)>,
    margin: Option<Duration>,
    jitter: Option<Duration>,
    retry_after_failure: Option<Duration>,
    http_client: Option<reqwest::Client>,
}

impl PasswordTokenProvider {
    /// Starts configuring a provider.
    pub fn builder() -> PasswordTokenProviderBuilder {
        PasswordTokenProviderBuilder::default()
    }

    /// The token cached now, if any.
    pub fn cached(&self) -> Option<Credentials> {
        self.cache.cached()
    }
}

impl ProvideCredentials for PasswordTokenProvider {
    fn provide(&self) -> BoxFuture<'_, Result<Credentials, Error>> {
        self.cache.provide()
    }

    fn invalidate(&self, used: &Credentials) -> bool {
        self.cache.invalidate(used)
    }
}

impl PasswordTokenProviderBuilder {
    /// The IAM user name.
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }

    /// The IAM user's password.
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(SecretString::from(password.into()));
        self
    }

    /// The account (domain) name the user belongs to.
    pub fn account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into());
        self
    }

    /// The region: IAM's endpoint is built from it, and the token is scoped to its project
    /// unless [`Self::project_id`], [`Self::project_name`] or [`Self::account_scope`] says
    /// otherwise.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// IAM's endpoint (default: `HUAWEICLOUD_SDK_IAM_ENDPOINT`, else built from the region).
    pub fn iam_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Scopes the token to the project with this name.
    pub fn project_name(mut self, name: impl Into<String>) -> Self {
        self.scope = Some(Scope::ProjectName(name.into()));
        self
    }

    /// Scopes the token to the project with this ID.
    pub fn project_id(mut self, id: impl Into<String>) -> Self {
        self.scope = Some(Scope::ProjectId(id.into()));
        self
    }

    /// Scopes the token to the whole account (then it carries no project ID).
    pub fn account_scope(mut self) -> Self {
        self.scope = Some(Scope::Domain);
        self
    }

    /// For users whose login is protected by a virtual MFA device: their IAM user ID and where
    /// the current passcode comes from (asked at every token fetch).
    pub fn totp(mut self, user_id: impl Into<String>, source: impl TotpSource) -> Self {
        self.totp = Some((user_id.into(), Arc::new(source)));
        self
    }

    /// Renew this long before expiry (default [`DEFAULT_REFRESH_MARGIN`]; never more than half
    /// the token's lifetime), plus up to `jitter` more (default [`DEFAULT_REFRESH_JITTER`]).
    pub fn refresh_margin(mut self, margin: Duration, jitter: Duration) -> Self {
        self.margin = Some(margin);
        self.jitter = Some(jitter);
        self
    }

    /// Pause after a failed fetch (default [`DEFAULT_RETRY_AFTER_FAILURE`], give or take a fifth
    /// at random): during it, callers without a valid token get that failure at once instead of
    /// asking IAM again, and no background renewal is tried.
    pub fn retry_after_failure(mut self, pause: Duration) -> Self {
        self.retry_after_failure = Some(pause);
        self
    }

    /// Sends through this `reqwest::Client` (see [`crate::ClientBuilder::http_client`]).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Checks the settings and builds the provider. Nothing is fetched until the first request.
    pub fn build(self) -> Result<PasswordTokenProvider, Error> {
        let missing = |what: &str| Error::Config(format!("the IAM token provider needs {what}"));
        let user = self
            .user
            .filter(|u| !u.is_empty())
            .ok_or_else(|| missing("a user name"))?;
        let password = self
            .password
            .filter(|p| !p.expose_secret().is_empty())
            .ok_or_else(|| missing("a password"))?;
        let account = self
            .account
            .filter(|a| !a.is_empty())
            .ok_or_else(|| missing("an account name"))?;
        let scope = match (self.scope, &self.region) {
            (Some(scope), _) => scope,
            (None, Some(region)) => Scope::ProjectName(region.clone()),
            (None, None) => return Err(missing("a region or a scope")),
        };
        let mut iam = IamClient::builder().without_authentication();
        if let Some(r) = &self.region {
            iam = iam.region(r);
        }
        if let Some(e) = &self.endpoint {
            iam = iam.endpoint(e);
        }
        if let Some(c) = self.http_client {
            iam = iam.http_client(c);
        }
        let fetcher = TokenFetcher {
            iam: iam.build()?,
            user,
            password,
            account,
            scope,
            totp: self.totp,
        };
        Ok(PasswordTokenProvider {
            cache: CachedProvider::with_settings(
                fetcher,
                self.margin.unwrap_or(DEFAULT_REFRESH_MARGIN),
                self.jitter.unwrap_or(DEFAULT_REFRESH_JITTER),
                self.retry_after_failure
                    .unwrap_or(DEFAULT_RETRY_AFTER_FAILURE),
            ),
        })
    }
}

/// One token fetch, uncached.
struct TokenFetcher {
    iam: IamClient,
    user: String,
    password: SecretString,
    account: String,
    scope: Scope,
    totp: Option<(String, Arc<dyn TotpSource>)>,
}

impl TokenFetcher {
    fn body(&self) -> Result<types::KeystoneCreateUserTokenByPasswordRequestBody, Error> {
        let mut identity = json!({
            "methods": ["password"],
            "password": {"user": {
                "name": self.user,
                "password": self.password.expose_secret(),
                "domain": {"name": self.account},
            }},
        });
        if let Some((user_id, source)) = &self.totp {
            identity["methods"] = json!(["password", "totp"]);
            identity["totp"] = json!({"user": {"id": user_id, "passcode": source.passcode()?}});
        }
        let scope = match &self.scope {
            Scope::ProjectName(name) => json!({"project": {"name": name}}),
            Scope::ProjectId(id) => json!({"project": {"id": id}}),
            Scope::Domain => json!({"domain": {"name": self.account}}),
        };
        // Never quote the serde error's input: it holds the password.
        serde_json::from_value(json!({"auth": {"identity": identity, "scope": scope}})).map_err(
            |_| Error::Config("the user name, account or scope is not valid for IAM".into()),
        )
    }

    async fn fetch(&self) -> Result<Credentials, Error> {
        let answer = self
            .iam
            .keystone_create_user_token_by_password()
            .nocatalog(types::NoCatalog::True)
            .body(self.body()?)
            .execute()
            .await?;
        let token = answer
            .headers()
            .get(SUBJECT_TOKEN_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| Error::Decode {
                status: answer.status(),
                request_id: answer.request_id().map(str::to_owned),
                message: "IAM answered without an X-Subject-Token header".into(),
                body: Default::default(),
            })?;
        let body = answer.into_inner().token.unwrap_or_default();
        let mut credentials = Credentials::token(token)?;
        if let Some(expires) = body.expires_at.as_deref() {
            credentials = credentials.with_expiry(parse_expires_at(expires)?);
        }
        if let Some(id) = body.project.and_then(|p| p.id) {
            credentials = credentials.with_project_id(id);
        }
        if let Some((account, user)) = body.user.and_then(owner) {
            credentials = credentials.with_token_owner(account, user);
        }
        tracing::debug!(user = self.user, "got an IAM user token");
        Ok(credentials)
    }
}

/// The account and user a token was issued to, by ID (or by name when IAM gave no ID), so that
/// the project-ID lookup keys the token by its owner.
fn owner(user: types::TokenUserResult) -> Option<(String, String)> {
    let pick = |id: Option<String>, name: Option<String>| {
        id.filter(|i| !i.is_empty())
            .map(|i| format!("id:{i}"))
            .or_else(|| name.filter(|n| !n.is_empty()).map(|n| format!("name:{n}")))
    };
    let domain = user.domain.unwrap_or_default();
    Some((pick(domain.id, domain.name)?, pick(user.id, user.name)?))
}

impl ProvideCredentials for TokenFetcher {
    fn provide(&self) -> BoxFuture<'_, Result<Credentials, Error>> {
        Box::pin(self.fetch())
    }
}

impl fmt::Debug for TokenFetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordToken")
            .field("user", &self.user)
            .field("password", &"[REDACTED]")
            .field("account", &self.account)
            .field("scope", &self.scope)
            .field("mfa", &self.totp.is_some())
            .finish()
    }
}

impl fmt::Debug for PasswordTokenProviderBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordTokenProviderBuilder")
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "[REDACTED]"))
            .field("account", &self.account)
            .field("region", &self.region)
            .field("scope", &self.scope)
            .finish()
    }
}
