//! Where the credentials of each attempt come from.

use std::{fmt, sync::Arc};

use futures::future::BoxFuture;

use super::Credentials;
use crate::Error;

/// A source of credentials, asked before every attempt of every call. Implementations that fetch
/// from the network are wrapped in a [`super::CachedProvider`], so that asking is cheap.
///
/// Static [`Credentials`] are a provider that always answers themselves.
pub trait ProvideCredentials: fmt::Debug + Send + Sync + 'static {
    /// The credentials to authorize the next attempt with.
    fn provide(&self) -> BoxFuture<'_, Result<Credentials, Error>>;

    /// A service answered 401 to a request authorized with `used`. A provider that can get fresh
    /// credentials forgets `used` and returns `true`: the call then gets one retry with fresh
    /// credentials. The default (static credentials) returns `false`: retrying cannot help.
    fn invalidate(&self, used: &Credentials) -> bool {
        let _ = used;
        false
    }
}

/// A provider shared by every clone of a client.
pub type SharedProvider = Arc<dyn ProvideCredentials>;

impl ProvideCredentials for Credentials {
    fn provide(&self) -> BoxFuture<'_, Result<Credentials, Error>> {
        Box::pin(std::future::ready(Ok(self.clone())))
    }
}

impl<P: ProvideCredentials + ?Sized> ProvideCredentials for Arc<P> {
    fn provide(&self) -> BoxFuture<'_, Result<Credentials, Error>> {
        (**self).provide()
    }

    fn invalidate(&self, used: &Credentials) -> bool {
        (**self).invalidate(used)
    }
}
