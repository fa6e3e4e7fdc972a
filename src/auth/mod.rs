//! Credentials and request signing.
pub mod signer;
