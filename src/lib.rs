// The README's examples call both services, so it is the crate's documentation (and doc tests)
// when both are built; with one left out, a summary stands in for it.
#![cfg_attr(
    all(feature = "dataarts", feature = "projectman"),
    doc = include_str!("../README.md")
)]
#![cfg_attr(
    not(all(feature = "dataarts", feature = "projectman")),
    doc = "Typed, async Rust bindings for Huawei Cloud's DataArts Security and CodeArts \
           ProjectMan membership APIs, and IAM. This build leaves a service out (see the \
           `dataarts` and `projectman` features); the guide, README.md, is the crate's \
           documentation when both are built."
)]
#![warn(missing_docs)]
// docs.rs (see Cargo.toml) builds with `--cfg docsrs` on nightly: feature-gated items get a badge.
#![cfg_attr(docsrs, feature(doc_cfg))]
// With a service left out, shared pieces only it uses (the project-ID placeholder, the builder's
// service settings, the fake's query helpers, ...) go unused; the default build, where every
// service is on, is the one linted for dead code.
// Likewise, docs of shared items that name a service's items (the reconcile functions, the
// builders) link to nothing when that service is left out; those names then read as plain text.
#![cfg_attr(
    not(all(feature = "dataarts", feature = "projectman")),
    allow(dead_code, unused_imports, rustdoc::broken_intra_doc_links)
)]

pub mod auth;
mod call;
mod config;
#[cfg(feature = "dataarts")]
pub mod dataarts;
pub mod endpoint;
mod error;
mod execute;
#[cfg(feature = "fake")]
pub mod fake;
pub mod iam;
pub mod operation;
pub mod paginate;
#[cfg(feature = "projectman")]
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
#[cfg(feature = "dataarts")]
pub use dataarts::{DataArts, DataArtsClient, DataArtsClientBuilder};
pub use error::{Error, ProjectIdError, ServiceError};
pub use execute::{Execute, Response};
pub use iam::{Iam, IamClient, IamClientBuilder};
#[cfg(feature = "projectman")]
pub use projectman::{ProjectMan, ProjectManClient, ProjectManClientBuilder};

/// The IAM project ID of DataArts paths and `X-Project-Id`: a different type from
/// [`CodeArtsProjectId`], so the two cannot be swapped.
#[cfg(feature = "dataarts")]
pub type IamProjectId = dataarts::types::IamProjectId;
/// The 32-character CodeArts project ID of ProjectMan paths.
#[cfg(feature = "projectman")]
pub type CodeArtsProjectId = projectman::types::CodeArtsProjectId;
