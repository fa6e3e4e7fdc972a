//! Credentials, where they come from, and request signing.
//!
//! [`Credentials`] holds an IAM token or an AK/SK pair (with an optional security token for
//! temporary credentials); [`signer`] is the pure `SDK-HMAC-SHA256` algorithm the official SDKs
//! use. Every attempt of every call asks a [`ProvideCredentials`] for the credentials to use:
//! static [`Credentials`], the [`EnvironmentProvider`], the [`ProfileProvider`], the instance
//! [`MetadataProvider`], an IAM user token by password
//! ([`crate::iam::PasswordTokenProvider`]), or the [`DefaultChain`] of the first three. Those
//! that fetch are wrapped in a [`CachedProvider`], which refreshes before expiry. Every fetch
//! (a token, the metadata service, the default chain's choice, the project-ID lookup) runs one
//! at a time, its result shared by every caller waiting for it, and a failure answered again
//! for a short pause instead of being retried by each caller.

mod cache;
mod chain;
mod credentials;
mod expiry;
pub(crate) mod flight;
mod metadata;
mod project;
mod provider;
pub mod signer;

pub use cache::{
    CachedProvider, DEFAULT_REFRESH_JITTER, DEFAULT_REFRESH_MARGIN, DEFAULT_RETRY_AFTER_FAILURE,
};
pub use chain::{DefaultChain, EnvironmentProvider, ProfileProvider};
pub use credentials::{
    Credentials, ENV_AK, ENV_AUTH_TOKEN, ENV_CREDENTIALS_FILE, ENV_PROJECT_ID, ENV_SECURITY_TOKEN,
    ENV_SK,
};
pub use expiry::parse_expires_at;
pub use metadata::{
    MetadataProvider, DEFAULT_METADATA_ENDPOINT, DEFAULT_METADATA_REFRESH_MARGIN, METADATA_TIMEOUT,
};
pub use project::{ResolveProjectId, SharedProjectResolver};
pub use provider::{ProvideCredentials, SharedProvider};
