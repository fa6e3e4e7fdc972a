#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
// docs.rs (see Cargo.toml) builds with `--cfg docsrs` on nightly: feature-gated items get a badge.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
mod call;
mod config;
pub mod dataarts;
pub mod endpoint;
mod error;
mod execute;
#[cfg(feature = "fake")]
pub mod fake;
pub mod iam;
pub mod operation;
pub mod paginate;
pub mod projectman;
pub mod ratelimit;
pub mod reconcile;
pub mod retry;
pub mod tls;
pub mod transport;

pub use config::{
    ClientBuilder, DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TOTAL_TIMEOUT,
};
pub use dataarts::{DataArts, DataArtsClient, DataArtsClientBuilder};
pub use error::{Error, ProjectIdError, ServiceError};
pub use execute::{Execute, Response};
pub use iam::{Iam, IamClient, IamClientBuilder};
pub use projectman::{ProjectMan, ProjectManClient, ProjectManClientBuilder};

/// The IAM project ID of DataArts paths and `X-Project-Id`: a different type from
/// [`CodeArtsProjectId`], so the two cannot be swapped.
pub type IamProjectId = dataarts::types::IamProjectId;
/// The 32-character CodeArts project ID of ProjectMan paths.
pub type CodeArtsProjectId = projectman::types::CodeArtsProjectId;
