//! The environment and the profile file as providers, and the default chain.

use std::{
    fmt,
    path::{Path, PathBuf},
    sync::{Arc, OnceLock},
};

use futures::future::BoxFuture;

use super::{
    credentials::ENV_CREDENTIALS_FILE, flight::SingleFlight, CachedProvider, Credentials,
    MetadataProvider, ProvideCredentials, SharedProvider, DEFAULT_RETRY_AFTER_FAILURE,
};
use crate::Error;

type Lookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Credentials from the official environment variables (see [`Credentials::from_env`]), read
/// at each call.
#[derive(Clone)]
pub struct EnvironmentProvider {
    lookup: Lookup,
}

impl EnvironmentProvider {
    /// Reads the process environment.
    pub fn new() -> Self {
        Self::with_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `lookup` (tests, other configuration systems).
    pub fn with_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        EnvironmentProvider {
            lookup: Arc::new(lookup),
        }
    }

    /// The credentials the environment holds now, `Ok(None)` when it holds none.
    pub fn load(&self) -> Result<Option<Credentials>, Error> {
        Credentials::from_lookup(|name| (self.lookup)(name))
    }
}

impl Default for EnvironmentProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl ProvideCredentials for EnvironmentProvider {
    fn provide(&self) -> BoxFuture<'_, Result<Credentials, Error>> {
        let result = self.load().and_then(|c| {
            c.ok_or_else(|| Error::Credentials("no credentials in the environment".into()))
        });
        Box::pin(std::future::ready(result))
    }
}

impl fmt::Debug for EnvironmentProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EnvironmentProvider")
    }
}

/// Credentials from an official profile file (see [`Credentials::from_profile_file`]), read at
/// each call.
#[derive(Clone, Debug)]
pub struct ProfileProvider {
    path: PathBuf,
}

impl ProfileProvider {
    /// The file named by `HUAWEICLOUD_SDK_CREDENTIALS_FILE`, else `~/.huaweicloud/credentials`;
    /// `None` when neither can be named (no home directory).
    pub fn default_location() -> Option<Self> {
        let path = match std::env::var_os(ENV_CREDENTIALS_FILE) {
            Some(p) if !p.is_empty() => PathBuf::from(p),
            _ => {
                let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE"))?;
                Path::new(&home).join(".huaweicloud").join("credentials")
            }
        };
        Some(ProfileProvider { path })
    }

    /// The profile file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        ProfileProvider { path: path.into() }
    }

    /// The file read.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl ProvideCredentials for ProfileProvider {
    fn provide(&self) -> BoxFuture<'_, Result<Credentials, Error>> {
        let result = Credentials::from_profile_file(&self.path).and_then(|c| {
            c.ok_or_else(|| {
                Error::Credentials(format!("no profile file at {}", self.path.display()))
            })
        });
        Box::pin(std::future::ready(result))
    }
}

/// The default chain: the environment, then the profile file, then the instance metadata
/// service. The first that yields credentials wins and answers every later call (the metadata
/// credentials are cached and refreshed); when none does, the error lists what was tried. A
/// client built without credentials uses this chain.
///
/// Concurrent first calls share one pass through the sources; when it finds nothing, its error
/// is answered for a short pause ([`super::DEFAULT_RETRY_AFTER_FAILURE`], with jitter) before
/// the sources are tried again.
#[derive(Clone)]
pub struct DefaultChain {
    environment: EnvironmentProvider,
    profile: Option<ProfileProvider>,
    metadata: Option<String>,
    chosen: Arc<OnceLock<SharedProvider>>,
    choosing: SingleFlight<SharedProvider>,
}

impl DefaultChain {
    /// The official sources at their usual places.
    pub fn new() -> Self {
        DefaultChain {
            environment: EnvironmentProvider::new(),
            profile: ProfileProvider::default_location(),
            metadata: Some(super::metadata::DEFAULT_METADATA_ENDPOINT.into()),
            chosen: Arc::new(OnceLock::new()),
            choosing: SingleFlight::default(),
        }
    }

    /// Reads the environment through `lookup` instead.
    pub fn environment(mut self, environment: EnvironmentProvider) -> Self {
        self.environment = environment;
        self
    }

    /// Reads this profile file instead (`None`: none).
    pub fn profile_file(mut self, path: Option<PathBuf>) -> Self {
        self.profile = path.map(ProfileProvider::new);
        self
    }

    /// Asks the metadata service at this endpoint instead (`None`: never ask one).
    pub fn metadata_endpoint(mut self, endpoint: Option<String>) -> Self {
        self.metadata = endpoint;
        self
    }

    /// The provider the chain settled on, once it has.
    pub fn chosen(&self) -> Option<&SharedProvider> {
        self.chosen.get()
    }

    async fn choose(&self) -> Result<SharedProvider, Error> {
        let mut tried = Vec::new();
        match self.environment.load() {
            Ok(Some(credentials)) => return Ok(Arc::new(credentials)),
            Ok(None) => tried.push("environment: no HUAWEICLOUD_SDK_AK/_SK or _AUTH_TOKEN".into()),
            Err(e) => tried.push(format!("environment: {e}")),
        }
        match &self.profile {
            Some(profile) => match Credentials::from_profile_file(profile.path()) {
                Ok(Some(credentials)) => return Ok(Arc::new(credentials)),
                Ok(None) => tried.push(format!(
                    "profile file: {} does not exist",
                    profile.path().display()
                )),
                Err(e) => tried.push(format!("profile file: {e}")),
            },
            None => tried.push("profile file: no home directory to look in".into()),
        }
        match &self.metadata {
            Some(endpoint) => {
                let cached: CachedProvider = MetadataProvider::with_endpoint(endpoint)?.cached();
                match cached.provide().await {
                    Ok(_) => return Ok(Arc::new(cached)),
                    Err(e) => tried.push(format!("instance metadata: {e}")),
                }
            }
            None => tried.push("instance metadata: turned off".into()),
        }
        Err(Error::NoCredentials { tried })
    }
}

impl Default for DefaultChain {
    fn default() -> Self {
        Self::new()
    }
}

impl ProvideCredentials for DefaultChain {
    fn provide(&self) -> BoxFuture<'_, Result<Credentials, Error>> {
        Box::pin(async move {
            let chosen = match self.chosen.get() {
                Some(chosen) => chosen.clone(),
                None => {
                    let chain = self.clone();
                    self.choosing
                        .run(DEFAULT_RETRY_AFTER_FAILURE, move || {
                            Box::pin(async move {
                                let chosen = chain.choose().await?;
                                Ok(chain.chosen.get_or_init(|| chosen).clone())
                            })
                        })
                        .await
                        .map_err(Error::credentials_unavailable)?
                }
            };
            chosen.provide().await
        })
    }

    fn invalidate(&self, used: &Credentials) -> bool {
        self.chosen.get().is_some_and(|p| p.invalidate(used))
    }
}

impl fmt::Debug for DefaultChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DefaultChain")
            .field("profile", &self.profile)
            .field("metadata", &self.metadata)
            .field("chosen", &self.chosen.get())
            .finish()
    }
}
