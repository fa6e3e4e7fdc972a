//! Credentials and request signing.
//!
//! [`Credentials`] holds an IAM token or an AK/SK pair (with an optional security token for
//! temporary credentials); [`signer`] is the pure `SDK-HMAC-SHA256` algorithm the official SDKs
//! use. Loading from the official environment variables and profile file lives in [`Credentials`]
//! too, so that every way to get credentials ends in the same redacting type.

mod credentials;
pub mod signer;

pub use credentials::{
    Credentials, ENV_AK, ENV_AUTH_TOKEN, ENV_CREDENTIALS_FILE, ENV_PROJECT_ID, ENV_SECURITY_TOKEN,
    ENV_SK,
};
