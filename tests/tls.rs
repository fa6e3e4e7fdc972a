//! Whatever TLS feature the crate is built with, `https://` endpoints go through a working TLS
//! stack: building a client needs no start-up code (with `rustls-ring` the crate installs ring
//! itself), and a handshake with a server that does not speak TLS fails as a typed transport
//! error, not a panic. CI runs this file once per TLS feature.
#![cfg(any(feature = "rustls", feature = "rustls-ring", feature = "native-tls"))]

mod common;

use std::sync::{Arc, Mutex};

use common::TOKEN;
use huaweicloud_openapi::{auth::Credentials, retry::RetryPolicy, Error, Execute};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

#[tokio::test]
async fn https_needs_no_setup_and_a_failed_handshake_is_a_transport_error() {
    // A plain-HTTP server on a TLS endpoint: whatever the client says first (its hello) gets
    // an HTTP answer back.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let received = Arc::new(Mutex::new(Vec::new()));
    let seen = received.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let n = stream.read(&mut buf).await.unwrap_or(0);
            seen.lock().unwrap().extend_from_slice(&buf[..n]);
            let _ = stream
                .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                .await;
        }
    });
    // IAM, the service every feature set builds, stands for all: they share one transport.
    let client = common::iam(
        &format!("https://{addr}"),
        Credentials::token(TOKEN).unwrap(),
        RetryPolicy::disabled(),
    );
    let error = client.keystone_list_projects().execute().await.unwrap_err();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    let message = error.to_string();
    assert!(!message.contains(TOKEN), "{message}");
    // The server saw a TLS hello (a handshake record, 0x16), never the request or the token.
    let received = received.lock().unwrap();
    assert_eq!(received.first(), Some(&0x16), "{received:?}");
    assert!(!String::from_utf8_lossy(&received).contains(TOKEN));
}

#[cfg(feature = "rustls-ring")]
#[test]
fn the_ring_provider_is_installed_by_the_crate() {
    huaweicloud_openapi::tls::install_crypto_provider();
    assert!(rustls_installed());
}

#[cfg(feature = "rustls-ring")]
fn rustls_installed() -> bool {
    // Building a reqwest client with rustls and no provider panics; with one it builds.
    std::panic::catch_unwind(|| reqwest::Client::builder().build().is_ok()).unwrap_or(false)
}
