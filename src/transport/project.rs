//! The IAM project ID of a client that was not given one: looked up before the first attempt
//! and put where the service module left [`PROJECT_ID_PLACEHOLDER`] in the path.

use std::time::Instant;

use super::Settings;
use crate::{auth::Credentials, Error};

/// The path segment a service client writes when its project ID is to be looked up. It is never
/// sent: the transport replaces it, or fails the call.
pub(crate) const PROJECT_ID_PLACEHOLDER: &str = "huaweicloud-openapi-project-id-to-resolve";

/// Replaces the placeholder in `request`'s path with the project ID for `credentials`; returns
/// that ID (for `X-Project-Id`), or `None` when the path has no placeholder.
/// A lookup gets what is left of the call's time (`deadline`), no more.
pub(super) async fn fill(
    settings: &Settings,
    request: &mut reqwest::Request,
    credentials: Option<&Credentials>,
    deadline: Option<Instant>,
    started: Instant,
) -> Result<Option<String>, Error> {
    let has_placeholder = request
        .url()
        .path_segments()
        .is_some_and(|mut s| s.any(|seg| seg == PROJECT_ID_PLACEHOLDER));
    if !has_placeholder {
        return Ok(None);
    }
    let id = match (
        credentials.and_then(Credentials::project_id),
        &settings.project,
    ) {
        (Some(id), _) => id.to_owned(),
        (None, Some(resolver)) => match credentials {
            Some(credentials) => {
                super::authorize::within(deadline, started, resolver.resolve(credentials)).await?
            }
            None => return Err(Error::Config(
                "the IAM project ID cannot be looked up without credentials: set it on the builder"
                    .into(),
            )),
        },
        (None, None) => return Err(Error::ProjectId(crate::ProjectIdError::NoRegion)),
    };
    // The path check ran before the ID was known: an ID that would move the request elsewhere
    // (`..`, `.`, empty) is refused here, whoever gave it.
    if id.is_empty() || crate::operation::is_dot_segment(&id) || id.contains(['/', '\\']) {
        return Err(Error::InvalidRequest(format!(
            "project_id {:?} cannot be one segment of a path",
            id.chars().take(64).collect::<String>()
        )));
    }
    let encoded: String =
        percent_encoding::utf8_percent_encode(&id, percent_encoding::NON_ALPHANUMERIC).to_string();
    let path = request.url().path().replace(
        &format!("/{PROJECT_ID_PLACEHOLDER}"),
        &format!("/{encoded}"),
    );
    request.url_mut().set_path(&path);
    Ok(Some(id))
}
