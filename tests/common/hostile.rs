//! A loopback HTTP/1.1 server that answers with exactly the bytes (and the timing) a test asks
//! for: redirects, lying headers, bodies that break, drip or stall. It records every request head
//! it receives, so a test can assert that a second server got nothing.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

/// What the server does with a request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Writes these bytes, then closes the connection.
    Raw(Vec<u8>),
    /// Writes `head`, then one byte of body every `every`, for ever.
    Drip { head: Vec<u8>, every: Duration },
    /// Writes `head`, then nothing, keeping the connection open.
    Stall { head: Vec<u8> },
    /// Reads the request and never answers.
    Silent,
    /// Reads the request and resets the connection.
    Reset,
}

/// A complete response with a JSON (or any) body and an `X-Request-Id`.
pub fn response(status: u16, extra_headers: &str, body: &[u8]) -> Reply {
    let mut bytes = format!(
        "HTTP/1.1 {status} X\r\nx-request-id: rid-{status}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n{extra_headers}\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    Reply::Raw(bytes)
}

/// Response head only, with the given content length (which the body may not honour).
pub fn head(status: u16, content_length: Option<u64>) -> Vec<u8> {
    let length = content_length
        .map(|n| format!("content-length: {n}\r\n"))
        .unwrap_or_else(|| "transfer-encoding: chunked\r\n".into());
    format!(
        "HTTP/1.1 {status} X\r\nx-request-id: rid-{status}\r\ncontent-type: application/json\r\n\
         {length}connection: close\r\n\r\n"
    )
    .into_bytes()
}

/// How a server answers request number `n` with head (and body) `text`.
type Responder = dyn Fn(usize, &str) -> Reply + Send + Sync;

pub struct Hostile {
    pub addr: SocketAddr,
    pub requests: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Hostile {
    /// Starts a server on `ip` (e.g. `127.0.0.1` or `127.0.0.2`) that answers every request with
    /// `reply(request_number, request_head)`.
    pub async fn start(
        ip: &str,
        reply: impl Fn(usize, &str) -> Reply + Send + Sync + 'static,
    ) -> Hostile {
        let listener = TcpListener::bind((ip, 0)).await.expect("bind loopback");
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let reply = Arc::new(reply);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let seen = seen.clone();
                let reply = reply.clone();
                tokio::spawn(async move { serve(stream, seen, reply).await });
            }
        });
        Hostile {
            addr,
            requests,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn received(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut stream: TcpStream, seen: Arc<Mutex<Vec<String>>>, reply: Arc<Responder>) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    let number = {
        let mut seen = seen.lock().unwrap();
        seen.push(request.clone());
        seen.len() - 1
    };
    match reply(number, &request) {
        Reply::Raw(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
        Reply::Drip { head, every } => {
            if stream.write_all(&head).await.is_err() {
                return;
            }
            let chunked = String::from_utf8_lossy(&head).contains("chunked");
            let drop: &[u8] = if chunked { b"1\r\n \r\n" } else { b" " };
            loop {
                tokio::time::sleep(every).await;
                if stream.write_all(drop).await.is_err() {
                    return;
                }
            }
        }
        Reply::Stall { head } => {
            let _ = stream.write_all(&head).await;
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        Reply::Silent => tokio::time::sleep(Duration::from_secs(60)).await,
        Reply::Reset => {
            // A zero linger makes the close a reset; it does not block, whatever the deprecation
            // note says about lingering closes.
            #[allow(deprecated)]
            let _ = stream.set_linger(Some(Duration::ZERO));
            drop(stream);
        }
    }
}

/// Reads one request head and its `content-length` body; returns the head (and body) as text.
pub async fn read_request(stream: &mut TcpStream) -> Option<String> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while data.len() < head_end + length {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            break;
        }
        data.extend_from_slice(&buf[..n]);
    }
    Some(String::from_utf8_lossy(&data).to_string())
}
