//! A scripted server on 127.0.0.1 for faults [`super::server::Server`] cannot make: raw bytes
//! written with pauses (a truncated or dripping body), connections closed before the request is
//! read, a listener that stops accepting (connect timeout) or goes away (connection refused).
//! A connection serves one request (`connection: close`), unless keep-alive is on
//! ([`RawServer::keep_alive`]): then it serves requests until it has been idle for a set time, as
//! a load balancer closes idle connections.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream};

use super::server::{Action, Seen, read_request};

/// One step of a raw answer.
pub enum Step {
    /// Write these bytes as they are.
    Write(Vec<u8>),
    /// Wait.
    Sleep(Duration),
}

/// What the server does with a request it has read.
pub enum Scripted {
    /// As [`super::server::Server`] does.
    Action(Action),
    /// Write the steps, then close the connection.
    Raw(Vec<Step>),
}

/// How the listener treats new connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Read each request and answer it with the handler.
    Serve,
    /// Accept, then close at once without reading anything.
    CloseUnread,
    /// Stop accepting; with the (tiny) accept queue filled, new connections hang in connect.
    Stall,
    /// Close the listener: new connections are refused.
    Closed,
}

type Handler = dyn Fn(&Seen, usize) -> Scripted + Send + Sync;

pub struct RawServer {
    pub base_url: String,
    addr: std::net::SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    unread: Arc<AtomicUsize>,
    mode: Arc<Mutex<Mode>>,
    fillers: Mutex<Vec<TcpStream>>,
    keep_alive: Arc<Mutex<Option<Duration>>>,
    connections: Arc<AtomicUsize>,
}

impl RawServer {
    /// Starts a server answering every request, the token call included, with `handler` (which
    /// sees the request and how many requests to the same path came before it).
    pub async fn start(
        handler: impl Fn(&Seen, usize) -> Scripted + Send + Sync + 'static,
    ) -> RawServer {
        Self::start_with_backlog(1024, handler).await
    }

    /// As [`RawServer::start`], with an accept queue of `backlog`; `Mode::Stall` needs a tiny
    /// one (1) to fill. Keep the client to one connection at a time with it: a connection beyond
    /// the queue is not refused but left hanging.
    pub async fn start_with_backlog(
        backlog: u32,
        handler: impl Fn(&Seen, usize) -> Scripted + Send + Sync + 'static,
    ) -> RawServer {
        let handler: Arc<Handler> = Arc::new(handler);
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener = socket.listen(backlog).unwrap();
        let addr = listener.local_addr().unwrap();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let unread = Arc::new(AtomicUsize::new(0));
        let mode = Arc::new(Mutex::new(Mode::Serve));
        let keep_alive: Arc<Mutex<Option<Duration>>> = Arc::default();
        let connections = Arc::new(AtomicUsize::new(0));
        let (log, closed, current) = (seen.clone(), unread.clone(), mode.clone());
        let (idle, accepted_count) = (keep_alive.clone(), connections.clone());
        tokio::spawn(async move {
            loop {
                let now = *current.lock().unwrap();
                match now {
                    Mode::Closed => return,
                    Mode::Stall => {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        continue;
                    }
                    Mode::Serve | Mode::CloseUnread => {}
                }
                let accepted = tokio::select! {
                    accepted = listener.accept() => accepted,
                    () = tokio::time::sleep(Duration::from_millis(5)) => continue,
                };
                let Ok((stream, _)) = accepted else {
                    return;
                };
                if now == Mode::CloseUnread {
                    closed.fetch_add(1, Ordering::SeqCst);
                    drop(stream);
                    continue;
                }
                accepted_count.fetch_add(1, Ordering::SeqCst);
                let (handler, log) = (handler.clone(), log.clone());
                let idle = *idle.lock().unwrap();
                tokio::spawn(async move { serve(stream, handler, log, idle).await });
            }
        });
        RawServer {
            base_url: format!("http://{addr}"),
            addr,
            seen,
            unread,
            mode,
            fillers: Mutex::default(),
            keep_alive,
            connections,
        }
    }

    /// Keeps new connections open for more requests (`connection: keep-alive`), closing each
    /// once it has been idle for `idle`; `None` goes back to one request per connection.
    pub fn keep_alive(&self, idle: Option<Duration>) {
        *self.keep_alive.lock().unwrap() = idle;
    }

    /// Connections accepted and served so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Changes how new connections are treated. `Mode::Stall` also fills the accept queue, so
    /// that the next connection attempt hangs until the client's connect timeout.
    pub async fn set_mode(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
        // Let the accept loop see the change (it polls every 5 ms).
        tokio::time::sleep(Duration::from_millis(30)).await;
        if mode == Mode::Stall {
            for _ in 0..64 {
                let connect = TcpStream::connect(self.addr);
                match tokio::time::timeout(Duration::from_millis(100), connect).await {
                    Ok(Ok(stream)) => self.fillers.lock().unwrap().push(stream),
                    // The queue is full: connection attempts now hang.
                    _ => return,
                }
            }
            panic!("the accept queue of the stalled listener never filled");
        }
    }

    /// Every request read so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Requests read so far to `path`.
    pub fn count(&self, path: &str) -> usize {
        self.seen().iter().filter(|s| s.path == path).count()
    }

    /// Connections closed unread in `Mode::CloseUnread`.
    pub fn closed_unread(&self) -> usize {
        self.unread.load(Ordering::SeqCst)
    }
}

async fn serve(
    mut stream: TcpStream,
    handler: Arc<Handler>,
    log: Arc<Mutex<Vec<Seen>>>,
    keep_alive: Option<Duration>,
) {
    loop {
        let read = read_request(&mut stream);
        let seen = match keep_alive {
            None => read.await,
            // Idle for too long: close, as a load balancer does.
            Some(idle) => tokio::time::timeout(idle, read).await.ok().flatten(),
        };
        let Some(seen) = seen else {
            break;
        };
        let n = {
            let mut log = log.lock().unwrap();
            log.push(seen.clone());
            log.iter().filter(|s| s.path == seen.path).count() - 1
        };
        let (steps, reusable) = match handler(&seen, n) {
            Scripted::Raw(steps) => (steps, false),
            Scripted::Action(action) => {
                let reusable = keep_alive.is_some() && !matches!(action, Action::Drop);
                (action_steps(action, reusable), reusable)
            }
        };
        for step in steps {
            match step {
                Step::Sleep(wait) => tokio::time::sleep(wait).await,
                Step::Write(bytes) => {
                    if stream.write_all(&bytes).await.is_err() || stream.flush().await.is_err() {
                        return;
                    }
                }
            }
        }
        if !reusable {
            break;
        }
    }
    let _ = stream.shutdown().await;
}

/// The steps that carry out an [`Action`]; `Action::Drop` is no step at all.
fn action_steps(action: Action, keep_alive: bool) -> Vec<Step> {
    match action {
        Action::Drop => Vec::new(),
        Action::Delay(wait, next) => {
            let mut steps = vec![Step::Sleep(wait)];
            steps.extend(action_steps(*next, keep_alive));
            steps
        }
        Action::Reply(status, headers, body) => {
            let connection = if keep_alive { "keep-alive" } else { "close" };
            let mut head = format!(
                "HTTP/1.1 {status} Status\r\ncontent-length: {}\r\nconnection: {connection}\r\n",
                body.len()
            );
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            vec![
                Step::Write(head.into_bytes()),
                Step::Write(body.into_bytes()),
            ]
        }
    }
}
