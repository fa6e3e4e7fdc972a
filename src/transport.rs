#[derive(Clone, Debug, Default)]
pub struct Transport;
impl progenitor_client::ClientHooks<Transport> for crate::dataarts::Client {}
impl progenitor_client::ClientHooks<Transport> for crate::projectman::Client {}
