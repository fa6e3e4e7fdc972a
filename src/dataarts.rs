//! DataArts Studio (DataArts Security permission sets), generated from
//! `openapi/dataarts-security.yaml`.

#[allow(missing_docs, clippy::all, rustdoc::all)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/dataarts.rs"));
}
pub use generated::*;

mod glue {
    include!(concat!(env!("OUT_DIR"), "/dataarts_glue.rs"));
}
pub use glue::OPERATIONS;

crate::transport::transport_hooks!(Client, OPERATIONS);

impl From<types::error::ConversionError> for crate::Error {
    fn from(e: types::error::ConversionError) -> Self {
        crate::Error::InvalidRequest(e.to_string())
    }
}
