//! Runs the embedded fake server until interrupted, printing its endpoint on the first line.
//! Used by CI to point other-language clients, Prism and schemathesis at it:
//!
//! ```sh
//! cargo run --features fake --example fake_server
//! ```

use huaweicloud_openapi::fake::FakeServer;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let server = FakeServer::start().await?;
    println!("{}", server.endpoint());
    tokio::signal::ctrl_c().await?;
    server.shutdown().await;
    Ok(())
}
