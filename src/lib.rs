//! placeholder
pub mod transport;
pub mod dataarts {
    include!(concat!(env!("OUT_DIR"), "/dataarts.rs"));
}
pub mod projectman {
    include!(concat!(env!("OUT_DIR"), "/projectman.rs"));
}
pub mod auth;
