//! The lab's listener: every accepted connection closes itself once the
//! client has been silent (no byte read from it) for its idle timeout, as
//! AWS's endpoints close idle keep-alive connections and the Session
//! Manager gateway ends an idle data channel. What the lab itself sends
//! (a gateway retransmitting an unacknowledged frame) does not keep a
//! connection alive.
//!
//! An HTTP connection starts with the HTTP idle timeout; the data-channel
//! handler raises its own connection's to the websocket idle timeout when
//! it upgrades ([`IdleKnob`], handed to handlers as connect info).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};

/// Default idle timeout of an HTTP connection between requests, seconds.
pub const HTTP_IDLE_TIMEOUT_S: u64 = 60;
/// Default idle timeout of a session's websocket, seconds (Session
/// Manager's default idle session timeout is 20 minutes).
pub const WEBSOCKET_IDLE_TIMEOUT_S: u64 = 1_200;

/// A connection's idle timeout, milliseconds, shared between the
/// connection and the handlers serving it.
#[derive(Debug, Clone)]
pub struct IdleKnob(Arc<AtomicU64>);

impl IdleKnob {
    /// Sets the connection's idle timeout (from now on).
    pub fn set(&self, idle: Duration) {
        self.0.store(millis(idle), Ordering::Relaxed);
    }

    fn get(&self) -> Duration {
        Duration::from_millis(self.0.load(Ordering::Relaxed))
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Accepts TCP connections (no Nagle: keystrokes and acknowledgements are
/// small) wrapped in [`IdleStream`].
pub struct IdleListener {
    inner: TcpListener,
    idle: Duration,
}

impl IdleListener {
    /// Wraps `inner`; each connection starts with `idle`.
    pub fn new(inner: TcpListener, idle: Duration) -> Self {
        IdleListener { inner, idle }
    }
}

impl axum::serve::Listener for IdleListener {
    type Io = IdleStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((tcp, addr)) => {
                    let _ = tcp.set_nodelay(true);
                    return (IdleStream::new(tcp, self.idle), addr);
                }
                // A passing accept error (too many open files, a reset
                // before accept): wait a little, as axum's own listener does.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, IdleListener>>
    for IdleKnob
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, IdleListener>) -> Self {
        stream.io().knob.clone()
    }
}

/// A TCP connection that fails its next read or write with `TimedOut`
/// once no byte has come from the client for its idle timeout.
pub struct IdleStream {
    tcp: TcpStream,
    knob: IdleKnob,
    /// When a byte last came from the client.
    last: Instant,
    deadline: Pin<Box<Sleep>>,
}

impl IdleStream {
    fn new(tcp: TcpStream, idle: Duration) -> Self {
        IdleStream {
            tcp,
            knob: IdleKnob(Arc::new(AtomicU64::new(millis(idle)))),
            last: Instant::now(),
            deadline: Box::pin(tokio::time::sleep(idle)),
        }
    }

    fn moved(&mut self) {
        self.last = Instant::now();
    }

    /// `Pending` from the socket: still pending, or timed out once the
    /// idle timeout (read from the knob, which may have changed) has passed
    /// since the client last sent a byte.
    fn idle<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let due = self.last + self.knob.get();
        if self.deadline.deadline() != due {
            self.deadline.as_mut().reset(due);
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "idle timeout: the lab closes idle connections",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for IdleStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.tcp).poll_read(cx, buf) {
            Poll::Ready(r) => {
                this.moved();
                Poll::Ready(r)
            }
            Poll::Pending => this.idle(cx),
        }
    }
}

impl AsyncWrite for IdleStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.tcp).poll_write(cx, buf) {
            Poll::Ready(r) => Poll::Ready(r),
            // A client that reads nothing for the idle timeout is gone too.
            Poll::Pending => this.idle(cx),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}
