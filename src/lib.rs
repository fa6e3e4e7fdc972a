#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod auth;
mod client;
pub mod endpoint;
mod error;
#[cfg(feature = "fake")]
pub mod fake;
pub mod paginate;
pub mod retry;
pub mod transport;

/// DataArts Studio (DataArts Security permission sets), generated from
/// `openapi/dataarts-security.yaml`.
#[allow(missing_docs, clippy::all, rustdoc::all)]
pub mod dataarts {
    include!(concat!(env!("OUT_DIR"), "/dataarts.rs"));
}

/// CodeArts ProjectMan v4 (project members), generated from `openapi/projectman-v4.yaml`.
#[allow(missing_docs, clippy::all, rustdoc::all)]
pub mod projectman {
    include!(concat!(env!("OUT_DIR"), "/projectman.rs"));
}

pub use client::{
    ClientBuilder, DataArts, DataArtsClient, DataArtsClientBuilder, Execute, ProjectMan,
    ProjectManClient, ProjectManClientBuilder, Response, DEFAULT_ATTEMPT_TIMEOUT,
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TOTAL_TIMEOUT,
};
pub use error::{Error, ServiceError};

/// The IAM project ID of DataArts paths and `X-Project-Id`: a different type from
/// [`CodeArtsProjectId`], so the two cannot be swapped.
pub type IamProjectId = dataarts::types::IamProjectId;
/// The 32-character CodeArts project ID of ProjectMan paths.
pub type CodeArtsProjectId = projectman::types::CodeArtsProjectId;
