use std::{fmt, path::Path, time::SystemTime};

use reqwest::header::{HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use crate::Error;

/// Environment variable with an IAM token (this crate's addition to the official set).
pub const ENV_AUTH_TOKEN: &str = "HUAWEICLOUD_SDK_AUTH_TOKEN";
/// Official environment variable with the access key ID.
pub const ENV_AK: &str = "HUAWEICLOUD_SDK_AK";
/// Official environment variable with the secret access key.
pub const ENV_SK: &str = "HUAWEICLOUD_SDK_SK";
/// Official environment variable with the IAM project ID.
pub const ENV_PROJECT_ID: &str = "HUAWEICLOUD_SDK_PROJECT_ID";
/// Official environment variable with the security token of temporary credentials.
pub const ENV_SECURITY_TOKEN: &str = "HUAWEICLOUD_SDK_SECURITY_TOKEN";
/// Official environment variable naming the profile file, instead of `~/.huaweicloud/credentials`.
pub const ENV_CREDENTIALS_FILE: &str = "HUAWEICLOUD_SDK_CREDENTIALS_FILE";

/// The profile section the official SDKs read AK/SK credentials from.
const PROFILE_SECTION: &str = "basic";

/// How requests prove who sends them. Secrets never appear in `Debug` output or error messages.
///
/// ```
/// use huaweicloud_openapi::auth::Credentials;
///
/// let creds = Credentials::ak_sk("MYACCESSKEY", "my-secret-key")?
///     .with_project_id("0833a5737480d53b2f25c010dc1a7b88");
/// assert!(!format!("{creds:?}").contains("my-secret-key"));
/// # Ok::<(), huaweicloud_openapi::Error>(())
/// ```
#[derive(Clone)]
pub struct Credentials {
    kind: Kind,
    project_id: Option<String>,
    /// When these credentials stop working (`None`: they do not expire, as far as we know).
    expires_at: Option<SystemTime>,
    /// Whom a token was issued to (account, user), when IAM said so.
    owner: Option<(String, String)>,
}

#[derive(Clone)]
enum Kind {
    Token(SecretString),
    AkSk {
        ak: String,
        sk: SecretString,
        security_token: Option<SecretString>,
    },
}

impl Credentials {
    /// An IAM token, sent as `X-Auth-Token`. Tokens expire after 24 hours.
    pub fn token(token: impl Into<String>) -> Result<Self, Error> {
        let token = token.into();
        check_header_value("token", &token)?;
        Ok(Credentials {
            kind: Kind::Token(token.into()),
            project_id: None,
            expires_at: None,
            owner: None,
        })
    }

    /// An access key ID and secret access key: every request is signed with `SDK-HMAC-SHA256`.
    pub fn ak_sk(ak: impl Into<String>, sk: impl Into<String>) -> Result<Self, Error> {
        let (ak, sk) = (ak.into(), sk.into());
        check_header_value("access key", &ak)?;
        if ak.contains([',', '=', ' ']) {
            return Err(Error::Config(
                "the access key must not contain ',', '=' or spaces".into(),
            ));
        }
        if sk.is_empty() {
            return Err(Error::Config("the secret key is empty".into()));
        }
        Ok(Credentials {
            kind: Kind::AkSk {
                ak,
                sk: sk.into(),
                security_token: None,
            },
            project_id: None,
            expires_at: None,
            owner: None,
        })
    }

    /// Adds the security token of temporary AK/SK credentials (sent, signed, as
    /// `X-Security-Token`). Only valid for AK/SK credentials.
    pub fn with_security_token(mut self, token: impl Into<String>) -> Result<Self, Error> {
        let token = token.into();
        check_header_value("security token", &token)?;
        match &mut self.kind {
            Kind::AkSk { security_token, .. } => *security_token = Some(token.into()),
            Kind::Token(_) => {
                return Err(Error::Config(
                    "a security token only goes with AK/SK credentials".into(),
                ));
            }
        }
        Ok(self)
    }

    /// Sets the IAM project ID: sent (signed) as `X-Project-Id` with AK/SK, and the default
    /// `{project_id}` of DataArts paths.
    pub fn with_project_id(mut self, project_id: impl Into<String>) -> Self {
        self.project_id = Some(project_id.into()).filter(|p| !p.is_empty());
        self
    }

    /// The IAM project ID, when one was given.
    pub fn project_id(&self) -> Option<&str> {
        self.project_id.as_deref()
    }

    /// Sets when these credentials expire; a [`super::CachedProvider`] refreshes them before.
    pub fn with_expiry(mut self, expires_at: SystemTime) -> Self {
        self.expires_at = Some(expires_at);
        self
    }

    /// When these credentials expire, when known.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }

    /// Records whom a token was issued to: the account (domain) and the user, as IAM's answer
    /// names them (IDs, or names when IDs are missing). Caches that must never mix two identities
    /// (the project-ID lookup) then key the token by its owner, so that every token of one user
    /// shares one entry. Without it a token is keyed by a hash of itself. Ignored for AK/SK
    /// credentials, whose access key says who they are.
    pub fn with_token_owner(mut self, account: impl Into<String>, user: impl Into<String>) -> Self {
        if matches!(self.kind, Kind::Token(_)) {
            self.owner = Some((account.into(), user.into()));
        }
        self
    }

    /// Who these credentials prove to be, as a key for caches that must never hand one
    /// identity's answer to another (the project-ID lookup): `ak:<access key>` for AK/SK;
    /// `user:<account>/<user>` for a token whose owner is known
    /// ([`Credentials::with_token_owner`]); otherwise `token-sha256:<digest>`, the SHA-256 of the
    /// token, so that two tokens never share a key by accident. Never the secret itself.
    pub fn identity(&self) -> String {
        match (&self.kind, &self.owner) {
            (Kind::AkSk { ak, .. }, _) => format!("ak:{ak}"),
            (Kind::Token(_), Some((account, user))) => format!("user:{account}/{user}"),
            (Kind::Token(token), None) => {
                use sha2::Digest;
                let digest = sha2::Sha256::digest(token.expose_secret().as_bytes());
                format!("token-sha256:{}", hex::encode(digest))
            }
        }
    }

    /// Whether `other` holds the same secret (token, or AK/SK and security token): used to tell
    /// whether credentials a service refused are still the cached ones.
    pub(crate) fn same_secret(&self, other: &Credentials) -> bool {
        match (&self.kind, &other.kind) {
            (Kind::Token(a), Kind::Token(b)) => a.expose_secret() == b.expose_secret(),
            (
                Kind::AkSk {
                    ak: a,
                    security_token: ta,
                    ..
                },
                Kind::AkSk {
                    ak: b,
                    security_token: tb,
                    ..
                },
            ) => {
                a == b
                    && ta.as_ref().map(|t| t.expose_secret())
                        == tb.as_ref().map(|t| t.expose_secret())
            }
            _ => false,
        }
    }

    /// The access key ID of AK/SK credentials (not a secret; the SK is).
    pub fn access_key(&self) -> Option<&str> {
        match &self.kind {
            Kind::AkSk { ak, .. } => Some(ak),
            Kind::Token(_) => None,
        }
    }

    /// True for AK/SK credentials, which sign each request.
    pub fn is_ak_sk(&self) -> bool {
        matches!(self.kind, Kind::AkSk { .. })
    }

    /// Reads credentials from the environment: `HUAWEICLOUD_SDK_AUTH_TOKEN`, or
    /// `HUAWEICLOUD_SDK_AK` + `HUAWEICLOUD_SDK_SK` (+ `HUAWEICLOUD_SDK_SECURITY_TOKEN`), with
    /// `HUAWEICLOUD_SDK_PROJECT_ID`. `Ok(None)` when none is set; an error names a variable that
    /// is missing or malformed.
    pub fn from_env() -> Result<Option<Self>, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`Credentials::from_env`], reading variables through `lookup` (for tests and for
    /// configuration systems other than the process environment).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, Error> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let creds = match (get(ENV_AUTH_TOKEN), get(ENV_AK), get(ENV_SK)) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                return Err(Error::Config(format!(
                    "both {ENV_AUTH_TOKEN} and {ENV_AK}/{ENV_SK} are set: choose one"
                )));
            }
            (Some(token), None, None) => Self::token(token)?,
            (None, Some(ak), Some(sk)) => {
                let creds = Self::ak_sk(ak, sk)?;
                match get(ENV_SECURITY_TOKEN) {
                    Some(t) => creds.with_security_token(t)?,
                    None => creds,
                }
            }
            (None, Some(_), None) => {
                return Err(Error::Config(format!(
                    "{ENV_AK} is set but {ENV_SK} is not"
                )));
            }
            (None, None, Some(_)) => {
                return Err(Error::Config(format!(
                    "{ENV_SK} is set but {ENV_AK} is not"
                )));
            }
            (None, None, None) => return Ok(None),
        };
        Ok(Some(match get(ENV_PROJECT_ID) {
            Some(p) => creds.with_project_id(p),
            None => creds,
        }))
    }

    /// Reads the `[basic]` section of an official profile file (INI with `ak`, `sk`,
    /// `security_token`, `project_id`). `Ok(None)` when the file does not exist.
    pub fn from_profile_file(path: impl AsRef<Path>) -> Result<Option<Self>, Error> {
        let path = path.as_ref();
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Error::Config(format!(
                    "cannot read {}: {e}",
                    path.display()
                )));
            }
        };
        let ini = ini::Ini::load_from_str(&text).map_err(|e| {
            Error::Config(format!("{} is not a valid INI file: {e}", path.display()))
        })?;
        let Some(section) = ini.section(Some(PROFILE_SECTION)) else {
            return Err(Error::Config(format!(
                "{} has no [{PROFILE_SECTION}] section",
                path.display()
            )));
        };
        let get = |key: &str| section.get(key).map(str::trim).filter(|v| !v.is_empty());
        let (Some(ak), Some(sk)) = (get("ak"), get("sk")) else {
            return Err(Error::Config(format!(
                "[{PROFILE_SECTION}] of {} needs both ak and sk",
                path.display()
            )));
        };
        let mut creds = Self::ak_sk(ak, sk)?;
        if let Some(token) = get("security_token") {
            creds = creds.with_security_token(token)?;
        }
        if let Some(project) = get("project_id") {
            creds = creds.with_project_id(project);
        }
        Ok(Some(creds))
    }

    /// The official lookup order: environment variables, then the profile file named by
    /// `HUAWEICLOUD_SDK_CREDENTIALS_FILE` or `~/.huaweicloud/credentials`.
    pub fn from_default_chain() -> Result<Option<Self>, Error> {
        if let Some(creds) = Self::from_env()? {
            return Ok(Some(creds));
        }
        let path = match std::env::var_os(ENV_CREDENTIALS_FILE) {
            Some(p) if !p.is_empty() => std::path::PathBuf::from(p),
            _ => match std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE")) {
                Some(home) => Path::new(&home).join(".huaweicloud").join("credentials"),
                None => return Ok(None),
            },
        };
        Self::from_profile_file(path)
    }

    /// Adds the auth headers to one attempt of a request, signing it for AK/SK credentials.
    pub(crate) fn authorize(
        &self,
        request: &mut reqwest::Request,
        now: SystemTime,
    ) -> Result<(), Error> {
        match &self.kind {
            Kind::Token(token) => {
                let mut value = header_value(token.expose_secret())?;
                value.set_sensitive(true);
                request
                    .headers_mut()
                    .insert(HeaderName::from_static("x-auth-token"), value);
                if let Some(p) = &self.project_id {
                    request
                        .headers_mut()
                        .insert(HeaderName::from_static("x-project-id"), header_value(p)?);
                }
                Ok(())
            }
            Kind::AkSk {
                ak,
                sk,
                security_token,
            } => {
                if let Some(p) = &self.project_id {
                    request
                        .headers_mut()
                        .insert(HeaderName::from_static("x-project-id"), header_value(p)?);
                }
                if let Some(t) = security_token {
                    let mut value = header_value(t.expose_secret())?;
                    value.set_sensitive(true);
                    request
                        .headers_mut()
                        .insert(HeaderName::from_static("x-security-token"), value);
                }
                super::signer::sign_request(request, ak, sk.expose_secret().as_bytes(), now)
                    .map_err(|e| Error::Credentials(format!("cannot sign the request: {e}")))
            }
        }
    }
}

fn check_header_value(what: &str, value: &str) -> Result<(), Error> {
    if value.is_empty() {
        return Err(Error::Config(format!("the {what} is empty")));
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        // Never echo the value: it may be a secret.
        return Err(Error::Config(format!(
            "the {what} contains characters that cannot be sent in a header"
        )));
    }
    Ok(())
}

fn header_value(value: &str) -> Result<HeaderValue, Error> {
    HeaderValue::from_str(value)
        .map_err(|_| Error::Credentials("a credential value cannot be sent in a header".into()))
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Token(_) => f
                .debug_struct("Credentials::Token")
                .field("token", &"[REDACTED]")
                .field("project_id", &self.project_id)
                .field("expires_at", &self.expires_at.map(super::expiry::format))
                .finish(),
            Kind::AkSk {
                ak, security_token, ..
            } => f
                .debug_struct("Credentials::AkSk")
                .field("ak", ak)
                .field("sk", &"[REDACTED]")
                .field(
                    "security_token",
                    &security_token.as_ref().map(|_| "[REDACTED]"),
                )
                .field("project_id", &self.project_id)
                .field("expires_at", &self.expires_at.map(super::expiry::format))
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn debug_never_shows_secrets() {
        let aksk = Credentials::ak_sk("AKID", "s3cr3t-SK")
            .unwrap()
            .with_security_token("sec-TOKEN-value")
            .unwrap()
            .with_project_id("p1");
        let token = Credentials::token("iam-TOKEN-value").unwrap();
        let printed = format!("{aksk:?} {aksk:#?} {token:?} {token:#?}");
        for secret in ["s3cr3t-SK", "sec-TOKEN-value", "iam-TOKEN-value"] {
            assert!(!printed.contains(secret), "{printed}");
        }
        assert_eq!(
            format!("{aksk:?}"),
            r#"Credentials::AkSk { ak: "AKID", sk: "[REDACTED]", security_token: Some("[REDACTED]"), project_id: Some("p1"), expires_at: None }"#
        );
    }

    #[test]
    fn errors_never_echo_secrets() {
        let err = Credentials::token("bad\ntoken-SECRET")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("SECRET"), "{err}");
        let err = Credentials::ak_sk("AK", "").unwrap_err().to_string();
        assert!(err.contains("secret key is empty"), "{err}");
    }

    #[test]
    fn env_token_and_ak_sk() {
        let c = Credentials::from_lookup(lookup(&[(ENV_AUTH_TOKEN, "tok")]))
            .unwrap()
            .unwrap();
        assert!(!c.is_ak_sk());
        let c = Credentials::from_lookup(lookup(&[
            (ENV_AK, "AK"),
            (ENV_SK, "SK"),
            (ENV_SECURITY_TOKEN, "ST"),
            (ENV_PROJECT_ID, "proj"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(c.access_key(), Some("AK"));
        assert_eq!(c.project_id(), Some("proj"));
        assert!(Credentials::from_lookup(lookup(&[])).unwrap().is_none());
    }

    #[test]
    fn env_errors_name_the_missing_variable() {
        let err = Credentials::from_lookup(lookup(&[(ENV_AK, "AK")])).unwrap_err();
        assert!(err.to_string().contains(ENV_SK), "{err}");
        let err = Credentials::from_lookup(lookup(&[(ENV_SK, "SK")])).unwrap_err();
        assert!(err.to_string().contains(ENV_AK), "{err}");
        let err =
            Credentials::from_lookup(lookup(&[(ENV_AUTH_TOKEN, "t"), (ENV_AK, "AK")])).unwrap_err();
        assert!(err.to_string().contains("choose one"), "{err}");
    }

    #[test]
    fn profile_file() {
        let dir = std::env::temp_dir().join(format!("hwc-profile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("credentials");
        std::fs::write(
            &path,
            "[basic]\nak = PROFAK\nsk = PROFSK\nproject_id = pp\nsecurity_token = st\n",
        )
        .unwrap();
        let c = Credentials::from_profile_file(&path).unwrap().unwrap();
        assert_eq!(c.access_key(), Some("PROFAK"));
        assert_eq!(c.project_id(), Some("pp"));
        std::fs::write(&path, "[basic]\nak = PROFAK\n").unwrap();
        let err = Credentials::from_profile_file(&path).unwrap_err();
        assert!(err.to_string().contains("needs both ak and sk"), "{err}");
        std::fs::write(&path, "[other]\nak = A\n").unwrap();
        assert!(Credentials::from_profile_file(&path).is_err());
        assert!(Credentials::from_profile_file(dir.join("missing"))
            .unwrap()
            .is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn identities_never_collide_nor_show_the_secret() {
        let a = Credentials::token("token-of-account-A").unwrap();
        let b = Credentials::token("token-of-account-B").unwrap();
        assert_ne!(a.identity(), b.identity());
        assert!(a.identity().starts_with("token-sha256:"));
        assert_eq!(a.identity().len(), "token-sha256:".len() + 64);
        assert!(!a.identity().contains("account-A"));
        // Two tokens of one user share a key; two users of one account do not.
        let owned = |token: &str, user: &str| {
            Credentials::token(token)
                .unwrap()
                .with_token_owner("dom1", user)
                .identity()
        };
        assert_eq!(owned("t1", "u1"), owned("t2", "u1"));
        assert_ne!(owned("t1", "u1"), owned("t1", "u2"));
        let aksk = Credentials::ak_sk("AK1", "SK")
            .unwrap()
            .with_token_owner("d", "u");
        assert_eq!(aksk.identity(), "ak:AK1");
        assert_ne!(
            Credentials::ak_sk("AK1", "SK").unwrap().identity(),
            Credentials::ak_sk("AK2", "SK").unwrap().identity()
        );
    }
}
