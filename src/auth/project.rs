//! Finding the IAM project ID a client needs when none was configured.

use std::{fmt, sync::Arc};

use futures::future::BoxFuture;

use super::Credentials;
use crate::Error;

/// Finds the IAM project ID for requests made with `credentials` (the DataArts client uses
/// [`crate::iam::ProjectIdLookup`]). Credentials that carry a project ID (a token scoped to a
/// project) answer without a lookup.
pub trait ResolveProjectId: fmt::Debug + Send + Sync + 'static {
    /// The project ID to put in paths and `X-Project-Id`.
    fn resolve<'a>(&'a self, credentials: &'a Credentials) -> BoxFuture<'a, Result<String, Error>>;
}

/// A resolver shared by every clone of a client.
pub type SharedProjectResolver = Arc<dyn ResolveProjectId>;
