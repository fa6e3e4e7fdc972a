//! N sequential list-members calls against an in-process loopback server that answers every
//! request with the same small page, either through the crate (`crate`, IAM token) or through
//! raw reqwest with the same headers (`raw`). `bench/overhead.sh` runs both under callgrind and
//! under farm-bench to report the crate's per-call overhead as a ratio.
//!
//! `cargo run --release --example overhead_probe -- crate 2000`

use std::process::ExitCode;

use huaweicloud_openapi::{auth::Credentials, retry::RetryPolicy, DataArtsClient, Execute};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

const PROJECT: &str = "0833a5737480d53b2f25c010dc1a7b88";
const PSET: &str = "fea96c90024711b8bf8d6886407b814b";
const BODY: &str = r#"{"total":1,"permission_set_members":[{"id":"d9ff4b06db43e3d4f81de1e60077a480","member_id":"b43927a45a514e93ba70524b28923500","member_name":"common_user","member_type":"USER","create_time":1698204793000}]}"#;

/// A keep-alive HTTP/1.1 server answering every GET with `BODY`.
async fn fixed_server() -> std::io::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-request-id: probe\r\ncontent-length: {}\r\n\r\n{BODY}",
        BODY.len()
    );
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let response = response.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let mut filled = 0;
                loop {
                    match socket.read(&mut buf[filled..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => filled += n,
                    }
                    while let Some(end) = buf[..filled].windows(4).position(|w| w == b"\r\n\r\n") {
                        if socket.write_all(response.as_bytes()).await.is_err() {
                            return;
                        }
                        buf.copy_within(end + 4..filled, 0);
                        filled -= end + 4;
                    }
                }
            });
        }
    });
    Ok(format!("http://{addr}"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(mode), Some(calls)) = (args.next(), args.next().and_then(|n| n.parse::<u32>().ok()))
    else {
        eprintln!("usage: overhead_probe crate|raw <calls>");
        return ExitCode::from(2);
    };
    let endpoint = match fixed_server().await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("overhead_probe: {e}");
            return ExitCode::FAILURE;
        }
    };
    let client = Credentials::token("probe-token").and_then(|c| {
        DataArtsClient::builder()
            .endpoint(&endpoint)
            .credentials(c)
            .project_id(PROJECT)
            .workspace("ws-probe")
            .retry_policy(RetryPolicy::disabled())
            .build()
    });
    let client = match client {
        Ok(c) => c,
        Err(e) => {
            eprintln!("overhead_probe: {e}");
            return ExitCode::FAILURE;
        }
    };
    let raw = reqwest::Client::new();
    let url = format!(
        "{endpoint}/v1/{PROJECT}/security/permission-sets/{PSET}/members?limit=10&offset=0"
    );
    for _ in 0..calls {
        let ok = if mode == "raw" {
            let response = raw
                .get(&url)
                .header("workspace", "ws-probe")
                .header("x-auth-token", "probe-token")
                .header("accept", "application/json")
                .send()
                .await;
            match response {
                Ok(r) => match r.bytes().await {
                    Ok(b) => serde_json::from_slice::<serde_json::Value>(&b)
                        .map(std::hint::black_box)
                        .is_ok(),
                    Err(_) => false,
                },
                Err(_) => false,
            }
        } else {
            client
                .list_security_permission_set_members()
                .permission_set_id(PSET)
                .limit(10u32)
                .offset(0)
                .execute()
                .await
                .map(std::hint::black_box)
                .is_ok()
        };
        if !ok {
            eprintln!("overhead_probe: a call failed");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
