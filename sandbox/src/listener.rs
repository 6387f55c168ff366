//! A TCP listener whose connections a handler can cut, so a client sees a connection error
//! instead of an HTTP answer.
//!
//! Each accepted stream carries a switch; the handler reaches it through axum's `ConnectInfo`.
//! Once the switch is thrown the stream reads end-of-file and refuses every write, so hyper
//! abandons the response it was about to send and closes the socket.
//!
//! The listener also counts connections (accepted, open, most open at once), so a load test can
//! show how many the client used.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Accepts TCP connections that can be cut from inside a handler.
pub(crate) struct CuttableListener {
    pub(crate) inner: TcpListener,
    pub(crate) counts: Arc<ConnectionCounts>,
}

/// Connection counters, shared by the listener and every stream it accepted.
#[derive(Debug, Default)]
pub(crate) struct ConnectionCounts {
    accepted: AtomicU64,
    open: AtomicU64,
    peak_open: AtomicU64,
}

impl ConnectionCounts {
    /// Connections accepted so far.
    pub(crate) fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::SeqCst)
    }

    /// The most connections open at one time so far.
    pub(crate) fn peak_open(&self) -> u64 {
        self.peak_open.load(Ordering::SeqCst)
    }

    fn opened(&self) {
        self.accepted.fetch_add(1, Ordering::SeqCst);
        let open = self.open.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak_open.fetch_max(open, Ordering::SeqCst);
    }

    fn closed(&self) {
        self.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A TCP stream with a switch that turns it dead.
pub(crate) struct CuttableStream {
    inner: TcpStream,
    cut: Arc<AtomicBool>,
    counts: Arc<ConnectionCounts>,
}

impl Drop for CuttableStream {
    fn drop(&mut self) {
        self.counts.closed();
    }
}

/// The handler's end of a connection's switch.
#[derive(Clone, Debug)]
pub(crate) struct Connection(Arc<AtomicBool>);

impl Connection {
    /// Closes the connection without sending anything more on it.
    pub(crate) fn cut(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl Listener for CuttableListener {
    type Io = CuttableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((inner, addr)) => {
                    self.counts.opened();
                    let stream = CuttableStream {
                        inner,
                        cut: Arc::default(),
                        counts: Arc::clone(&self.counts),
                    };
                    return (stream, addr);
                }
                // Out of file descriptors and the like: wait instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

impl Connected<IncomingStream<'_, CuttableListener>> for Connection {
    fn connect_info(stream: IncomingStream<'_, CuttableListener>) -> Self {
        Self(Arc::clone(&stream.io().cut))
    }
}

impl CuttableStream {
    fn is_cut(&self) -> bool {
        self.cut.load(Ordering::SeqCst)
    }
}

fn cut_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "connection cut by a sandbox fault",
    )
}

impl AsyncRead for CuttableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.is_cut() {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for CuttableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.is_cut() {
            return Poll::Ready(Err(cut_error()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.is_cut() {
            return Poll::Ready(Err(cut_error()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
