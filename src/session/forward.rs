//! Port forwarding over Session Manager: `AWS-StartPortForwardingSession`
//! (local port → a port on the node) and
//! `AWS-StartPortForwardingSessionToRemoteHost` (local port → a host the
//! node reaches: the RDS-through-a-bastion case). Local TCP connections on
//! 127.0.0.1 are multiplexed over the one data channel with smux v1, many
//! at once; reads go in 1,024-byte chunks.
//!
//! Source: shared/reference/session-manager-protocol.md, "Port forwarding".

use std::collections::HashMap;

use ssmdeck_protocol::smux::{self, Decoder, Frame};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};

use super::client::{SessionEvent, SessionInput, Started};
use crate::aws::{AwsContext, AwsError};

/// Bytes read from a local connection per frame.
pub const CHUNK: usize = 1_024;

/// Bytes from the node that may wait for slow local readers before the
/// client stops reading the session (flow control).
pub const CREDIT_BYTES: usize = 8 * 1024 * 1024;

/// A fresh credit of [`CREDIT_BYTES`] for [`super::client::run_port`] and [`bridge`].
pub fn credit() -> Arc<Semaphore> {
    credit_of(CREDIT_BYTES)
}

/// A credit of `bytes` (at most [`CREDIT_BYTES`]; at least one frame, 64 KiB).
pub fn credit_of(bytes: usize) -> Arc<Semaphore> {
    Arc::new(Semaphore::new(bytes.clamp(64 * 1024, CREDIT_BYTES)))
}

/// Gives `n` bytes of credit back (capped as taken).
fn release(credit: &Semaphore, n: usize) {
    if n > 0 {
        credit.add_permits(n.min(CREDIT_BYTES));
    }
}

/// Where a forward goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardSpec {
    /// Local port on 127.0.0.1 (0 picks a free one).
    pub local_port: u16,
    /// Remote host (`None`: the node itself).
    pub host: Option<String>,
    /// Remote port.
    pub remote_port: u16,
}

impl ForwardSpec {
    /// Parses `LOCAL:REMOTE` or `LOCAL:HOST:REMOTE` (`8080:80`,
    /// `5432:db.internal:5432`).
    ///
    /// # Errors
    /// What is wrong, with the accepted forms.
    pub fn parse(text: &str) -> Result<ForwardSpec, String> {
        let bad = || {
            format!(
                "'{text}': write LOCAL:REMOTE (8080:80) or LOCAL:HOST:REMOTE (5432:db.internal:5432)"
            )
        };
        let parts: Vec<&str> = text.trim().split(':').collect();
        let port = |s: &str| s.trim().parse::<u16>().map_err(|_| bad());
        match parts.as_slice() {
            [l, r] => Ok(ForwardSpec {
                local_port: port(l)?,
                host: None,
                remote_port: port(r)?.max(1),
            }),
            [l, h, r] if !h.trim().is_empty() => Ok(ForwardSpec {
                local_port: port(l)?,
                host: Some(h.trim().to_owned()),
                remote_port: port(r)?.max(1),
            }),
            _ => Err(bad()),
        }
    }

    /// How the forward is shown: `localhost:8080 → db.internal:5432`.
    pub fn describe(&self, local_port: u16) -> String {
        format!(
            "localhost:{local_port} → {}:{}",
            self.host.as_deref().unwrap_or("node"),
            self.remote_port
        )
    }
}

/// StartSession with the port forwarding document for `spec` (the local
/// port as actually bound is `local_port`).
///
/// # Errors
/// [`AwsError`] for `ssm:StartSession`.
pub async fn start(
    ctx: &AwsContext,
    target: &str,
    spec: &ForwardSpec,
    local_port: u16,
) -> Result<Started, AwsError> {
    let mut call = ctx
        .ssm
        .start_session()
        .target(target)
        .parameters("portNumber", vec![spec.remote_port.to_string()])
        .parameters("localPortNumber", vec![local_port.to_string()]);
    call = match &spec.host {
        Some(h) => call
            .document_name("AWS-StartPortForwardingSessionToRemoteHost")
            .parameters("host", vec![h.clone()]),
        None => call.document_name("AWS-StartPortForwardingSession"),
    };
    // Sent at most once: asked again only when throttled or never connected.
    let out = crate::aws::once::start_session(ctx, call).await?;
    Ok(Started {
        session_id: out.session_id.unwrap_or_default(),
        token: out.token_value.unwrap_or_default(),
        stream_url: out.stream_url.unwrap_or_default(),
    })
}

/// What a forward reports (besides the session's own events).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardStats {
    /// Connections open now.
    pub open: usize,
    /// Connections accepted so far.
    pub total: u64,
    /// Bytes from the remote side to local clients.
    pub bytes_in: u64,
    /// Bytes from local clients to the remote side.
    pub bytes_out: u64,
}

/// Bridges local TCP connections accepted on `listener` and the session:
/// each connection is an smux stream (odd ids from 1); data goes to the
/// session as [`SessionInput::Keys`] and comes back as
/// [`SessionEvent::Output`]. Session events other than output are passed to
/// `events`; stats go to `stats` after every change. Returns when the
/// session closes.
pub async fn bridge(
    listener: TcpListener,
    to_session: mpsc::UnboundedSender<SessionInput>,
    mut from_session: mpsc::UnboundedReceiver<SessionEvent>,
    events: mpsc::UnboundedSender<SessionEvent>,
    stats: mpsc::UnboundedSender<ForwardStats>,
    credit: Arc<Semaphore>,
) {
    let mut writers: HashMap<u32, mpsc::UnboundedSender<Vec<u8>>> = HashMap::new();
    let (read_tx, mut read_rx) = mpsc::unbounded_channel::<(u32, Option<Vec<u8>>)>();
    let mut next_sid: u32 = 1;
    let mut decoder = Decoder::default();
    let mut st = ForwardStats {
        open: 0,
        total: 0,
        bytes_in: 0,
        bytes_out: 0,
    };
    let send = |f: Frame| {
        let _ = to_session.send(SessionInput::Keys(f.encode()));
    };
    // smux keep-alive: an agent whose smux session expects traffic closes an
    // idle one (30 s by default).
    let mut keepalive = tokio::time::interval(std::time::Duration::from_secs(10));
    keepalive.tick().await;
    // Known from the handshake: smux (many connections) or, for agents
    // before 3.0.196.0, one raw connection at a time. Connections wait in
    // the listen queue until then.
    let mut smux_mode: Option<bool> = None;
    let mut basic_conn: Option<u32> = None;
    // Credit taken for output this bridge still holds (see `release`).
    let mut held_credit: usize = 0;
    loop {
        tokio::select! {
            _ = keepalive.tick(), if smux_mode == Some(true) => send(Frame::new(smux::NOP, 0, Vec::new())),
            accepted = listener.accept(), if smux_mode == Some(true) || (smux_mode == Some(false) && basic_conn.is_none()) => {
                let Ok((conn, _)) = accepted else { continue };
                let sid = next_sid;
                next_sid = next_sid.wrapping_add(2);
                if smux_mode == Some(true) {
                    send(Frame::new(smux::SYN, sid, Vec::new()));
                } else {
                    basic_conn = Some(sid);
                }
                writers.insert(sid, spawn_connection(conn, sid, &read_tx, &credit));
                st.open += 1;
                st.total += 1;
                let _ = stats.send(st.clone());
            }
            Some((sid, data)) = read_rx.recv() => match (data, basic_conn == Some(sid)) {
                (Some(d), true) => {
                    st.bytes_out += d.len() as u64;
                    let _ = to_session.send(SessionInput::Keys(d));
                }
                (Some(d), false) => {
                    st.bytes_out += d.len() as u64;
                    send(Frame::new(smux::PSH, sid, d));
                }
                (None, true) => {
                    // The agent closes its side and takes the next connection.
                    let _ = to_session.send(SessionInput::Flag(
                        super::protocol::flag::DISCONNECT_TO_PORT,
                    ));
                    writers.remove(&sid);
                    basic_conn = None;
                    st.open = st.open.saturating_sub(1);
                    let _ = stats.send(st.clone());
                }
                (None, false) => send(Frame::new(smux::FIN, sid, Vec::new())),
            },
            ev = from_session.recv() => match ev {
                Some(SessionEvent::Handshake { smux, agent_version }) => {
                    smux_mode = Some(smux);
                    let _ = events.send(SessionEvent::Handshake { smux, agent_version });
                }
                Some(SessionEvent::Output(bytes)) if smux_mode == Some(false) => {
                    st.bytes_in += bytes.len() as u64;
                    let n = bytes.len();
                    let sent = basic_conn
                        .and_then(|sid| writers.get(&sid))
                        .is_some_and(|w| w.send(bytes).is_ok());
                    if !sent {
                        release(&credit, n);
                    }
                    let _ = stats.send(st.clone());
                }
                Some(SessionEvent::Output(bytes)) => {
                    let ok = smux_output(
                        bytes, &mut decoder, &mut writers, &mut st, &mut held_credit, &credit,
                    );
                    if !ok {
                        let _ = events.send(SessionEvent::Closed {
                            reason: "the agent sent data that is not smux".into(),
                            exit_code: None,
                        });
                        let _ = to_session.send(SessionInput::Terminate);
                        return;
                    }
                    let _ = stats.send(st.clone());
                }
                Some(e @ SessionEvent::Closed { .. }) => {
                    let _ = events.send(e);
                    return;
                }
                Some(e) => {
                    let _ = events.send(e);
                }
                None => return,
            },
        }
    }
}

/// Starts the tasks of one accepted local connection, stream `sid`: a
/// reader sending its chunks (then `None` at the end) to `read_tx`, and a
/// writer for data from the node, which gives credit back once written.
/// Returns the writer's sender.
fn spawn_connection(
    conn: TcpStream,
    sid: u32,
    read_tx: &mpsc::UnboundedSender<(u32, Option<Vec<u8>>)>,
    credit: &Arc<Semaphore>,
) -> mpsc::UnboundedSender<Vec<u8>> {
    let (mut rd, mut wr) = conn.into_split();
    let tx = read_tx.clone();
    tokio::spawn(async move {
        let mut buf = vec![0u8; CHUNK];
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => {
                    let _ = tx.send((sid, None));
                    return;
                }
                Ok(n) => {
                    if tx.send((sid, Some(buf[..n].to_vec()))).is_err() {
                        return;
                    }
                }
            }
        }
    });
    let (wtx, mut wrx) = mpsc::unbounded_channel::<Vec<u8>>();
    let credit = credit.clone();
    tokio::spawn(async move {
        while let Some(b) = wrx.recv().await {
            let n = b.len();
            let ok = wr.write_all(&b).await.is_ok();
            // Written (or lost with the connection): the credit comes back.
            release(&credit, n);
            if !ok {
                wrx.close();
                while let Ok(rest) = wrx.try_recv() {
                    release(&credit, rest.len());
                }
                return;
            }
        }
        let _ = wr.shutdown().await;
    });
    wtx
}

/// Handles output of an smux session: decodes its frames, hands stream
/// data to the connection writers and closes streams on FIN. Credit for
/// headers and data with nowhere to go comes back now; data handed to a
/// writer comes back once written; bytes of a frame not yet complete keep
/// theirs. `false` when the bytes are not smux.
fn smux_output(
    bytes: Vec<u8>,
    decoder: &mut Decoder,
    writers: &mut HashMap<u32, mpsc::UnboundedSender<Vec<u8>>>,
    st: &mut ForwardStats,
    held_credit: &mut usize,
    credit: &Semaphore,
) -> bool {
    *held_credit += bytes.len();
    let Ok(frames) = decoder.push(&bytes) else {
        return false;
    };
    for f in frames {
        match f.cmd {
            smux::PSH => {
                st.bytes_in += f.data.len() as u64;
                let n = f.data.len();
                if let Some(w) = writers.get(&f.sid)
                    && w.send(f.data).is_ok()
                {
                    *held_credit = held_credit.saturating_sub(n);
                }
            }
            smux::FIN if writers.remove(&f.sid).is_some() => {
                st.open = st.open.saturating_sub(1);
            }
            _ => {}
        }
    }
    let back = held_credit.saturating_sub(decoder.pending());
    release(credit, back);
    *held_credit -= back;
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_with_clear_errors() {
        assert_eq!(
            ForwardSpec::parse("8080:80"),
            Ok(ForwardSpec {
                local_port: 8080,
                host: None,
                remote_port: 80
            })
        );
        assert_eq!(
            ForwardSpec::parse("5432:db.internal:5432")
                .unwrap()
                .host
                .as_deref(),
            Some("db.internal")
        );
        assert!(
            ForwardSpec::parse("80")
                .unwrap_err()
                .contains("LOCAL:REMOTE")
        );
        assert!(ForwardSpec::parse("a:b").is_err());
        assert!(ForwardSpec::parse("1:2:3:4").is_err());
    }
}
