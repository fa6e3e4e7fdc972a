//! Which TLS stack carries the requests, chosen by a Cargo feature.
//!
//! | feature | stack | builds with | pick it when |
//! | --- | --- | --- | --- |
//! | `rustls` (default) | rustls with the aws-lc-rs provider, reqwest's own default | a C compiler and CMake (aws-lc-sys is the largest single build item) | you want the default, and FIPS-capable crypto |
//! | `rustls-ring` | rustls with the ring provider | a C compiler only, fewer and faster-building crates | aws-lc-rs will not build (some musl and cross toolchains), or build time matters |
//! | `native-tls` | the platform's TLS (OpenSSL on Linux, Secure Transport, SChannel) | OpenSSL's headers on Linux (`libssl-dev`); the lightest build, as no TLS library is compiled | your organisation manages trust and TLS versions through the system, or build time matters most and OpenSSL is there |
//!
//! Turn the default off to choose another: `default-features = false, features =
//! ["rustls-ring", ...]`. With `rustls-ring` the crate installs ring as the process's rustls
//! provider before it builds an HTTP client (unless the process installed one first), so no
//! start-up code is needed; call [`install_crypto_provider`] yourself only before building your
//! own `reqwest::Client` for [`crate::ClientBuilder::http_client`]. Server certificates are
//! checked against the platform's trust store in every case.

/// Makes sure rustls has a crypto provider when the `rustls-ring` feature chose ring: installs
/// ring as the process default unless one is installed already. Cheap after the first call; does
/// nothing with the other TLS features.
pub fn install_crypto_provider() {
    #[cfg(feature = "rustls-ring")]
    {
        static INSTALLED: std::sync::Once = std::sync::Once::new();
        INSTALLED.call_once(|| {
            // An error means another provider is installed already: that one stays.
            let _ = rustls::crypto::ring::default_provider().install_default();
        });
    }
}

/// A `reqwest::ClientBuilder` that never follows redirects (reqwest's default would re-send
/// `X-Auth-Token` and `X-Security-Token` to any host a `Location` names), with the TLS provider
/// in place.
pub(crate) fn http_client_builder() -> reqwest::ClientBuilder {
    install_crypto_provider();
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none())
}
