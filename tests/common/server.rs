//! A scripted HTTP/1.1 server on 127.0.0.1 for the client's tests: each request is answered by a
//! closure that sees the request and how many came before it, and can answer, stall, or drop the
//! connection. Every connection serves one request (`connection: close`), so faults are exact.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A request as the server read it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_default()
    }
}

/// What the server does with a request.
pub enum Action {
    /// Answer with status, extra headers and body.
    Reply(u16, Vec<(&'static str, String)>, String),
    /// Close the connection without answering (after reading the request).
    Drop,
    /// Wait, then do the next action.
    Delay(Duration, Box<Action>),
}

impl Action {
    pub fn json(status: u16, body: serde_json::Value) -> Action {
        Action::Reply(
            status,
            vec![("content-type", "application/json".into())],
            body.to_string(),
        )
    }

    pub fn ok(payload: serde_json::Value) -> Action {
        Action::json(
            200,
            serde_json::json!({"response_code": 0, "response_message": "Success", "payload": payload}),
        )
    }
}

type Handler = dyn Fn(&Seen, usize) -> Action + Send + Sync;

pub struct Server {
    pub base_url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    /// Starts a server whose `handler` answers every request but the token call; token calls
    /// get a token `tok-N` (N counting from 1) that lives `token_lifetime_secs`.
    pub async fn start(
        token_lifetime_secs: u64,
        handler: impl Fn(&Seen, usize) -> Action + Send + Sync + 'static,
    ) -> Server {
        let tokens = Arc::new(Mutex::new(0usize));
        let handler: Arc<Handler> = Arc::new(move |seen: &Seen, n: usize| {
            if seen.path == "/oauth/token" {
                let mut issued = tokens.lock().unwrap();
                *issued += 1;
                return Action::json(
                    200,
                    serde_json::json!({
                        "access_token": format!("tok-{issued}"),
                        "token_type": "bearer",
                        "expires_in": token_lifetime_secs,
                        "scope": "read write trust",
                    }),
                );
            }
            handler(seen, n)
        });
        Self::start_raw(handler).await
    }

    /// Starts a server that answers every request, the token call included, with `handler`.
    pub async fn start_raw(handler: Arc<Handler>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let log = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let handler = handler.clone();
                let log = log.clone();
                tokio::spawn(async move { serve(stream, handler, log).await });
            }
        });
        Server { base_url, seen }
    }

    /// Every request read so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Requests read so far to `path`.
    pub fn count(&self, path: &str) -> usize {
        self.seen().iter().filter(|s| s.path == path).count()
    }

    /// Token requests read so far.
    pub fn token_requests(&self) -> usize {
        self.count("/oauth/token")
    }
}

async fn serve(mut stream: TcpStream, handler: Arc<Handler>, log: Arc<Mutex<Vec<Seen>>>) {
    let Some(seen) = read_request(&mut stream).await else {
        return;
    };
    let n = {
        let mut log = log.lock().unwrap();
        log.push(seen.clone());
        log.iter().filter(|s| s.path == seen.path).count() - 1
    };
    let mut action = handler(&seen, n);
    loop {
        match action {
            Action::Delay(wait, next) => {
                tokio::time::sleep(wait).await;
                action = *next;
            }
            Action::Drop => return,
            Action::Reply(status, headers, body) => {
                let mut head = format!(
                    "HTTP/1.1 {status} {}\r\ncontent-length: {}\r\nconnection: close\r\n",
                    reason(status),
                    body.len()
                );
                for (name, value) in headers {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
                head.push_str("\r\n");
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(body.as_bytes()).await;
                let _ = stream.shutdown().await;
                return;
            }
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Reads one HTTP/1.1 request (head and a `Content-Length` body); `None` if the peer closed first.
pub async fn read_request(stream: &mut TcpStream) -> Option<Seen> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let path = request_line.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while buffer.len() < header_end + length {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            break;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    let body = String::from_utf8_lossy(&buffer[header_end..]).to_string();
    Some(Seen {
        method,
        path,
        headers,
        body,
    })
}
