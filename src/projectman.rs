//! CodeArts ProjectMan v4 (project members), generated from
//! `openapi/projectman-v4.yaml`.

#[allow(missing_docs, clippy::all, rustdoc::all)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/projectman.rs"));
}
pub use generated::*;

mod glue {
    include!(concat!(env!("OUT_DIR"), "/projectman_glue.rs"));
}
pub use glue::OPERATIONS;

crate::transport::transport_hooks!(Client, OPERATIONS);

impl From<types::error::ConversionError> for crate::Error {
    fn from(e: types::error::ConversionError) -> Self {
        crate::Error::InvalidRequest(e.to_string())
    }
}
