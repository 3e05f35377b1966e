//! A native Session Manager client: StartSession, the data channel over a
//! websocket (tokio-tungstenite with rustls, the SDK's TLS stack), the
//! handshake, input held until it completes, the terminal size right after
//! it and on every change, acknowledgements and retransmission (the
//! `ssmdeck-protocol` rules), and ResumeSession when the websocket drops,
//! continuing the same sequence numbers so nothing is lost or repeated.
//!
//! Source: shared/reference/session-manager-protocol.md.

use std::time::{Duration, Instant};

use futures::stream::SplitSink;
use futures::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::channel::{Channel, Inbound};
use super::protocol::{
    CHANNEL_CLOSED, CLIENT_VERSION, ClientMessage, HandshakeRequest, INPUT_STREAM, OUTPUT_STREAM,
    OpenDataChannel, PAUSE_PUBLICATION, PayloadType, START_PUBLICATION, TermSize, answer_handshake,
    flag,
};
use crate::aws::{AwsContext, AwsError};

/// The sending half of a data channel websocket.
type WsSink = SplitSink<WebSocketStream<MaybeTlsStream<TcpStream>>, Message>;

/// Session types this client runs as a terminal.
pub const SHELL_TYPES: &[&str] = &[
    "Standard_Stream",
    "InteractiveCommands",
    "NonInteractiveCommands",
];
/// Reconnect attempts after a dropped websocket before the session is lost.
pub const RESUME_ATTEMPTS: u32 = 5;

/// What the console sends to a running session. `Debug` shows sizes, not
/// the keys (they may be a password typed into the shell).
#[derive(Clone, PartialEq, Eq)]
pub enum SessionInput {
    /// Keystrokes (Enter as `\r`).
    Keys(Vec<u8>),
    /// The pane's size changed, columns × rows (character cells).
    Resize(u16, u16),
    /// End the session (TerminateSession flag, then the API call).
    Terminate,
    /// A flag payload (port forwarding without smux: DisconnectToPort).
    Flag(u32),
}

impl std::fmt::Debug for SessionInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SessionInput::Keys(k) => write!(f, "Keys({} bytes)", k.len()),
            SessionInput::Resize(c, r) => write!(f, "Resize({c}, {r})"),
            SessionInput::Terminate => write!(f, "Terminate"),
            SessionInput::Flag(v) => write!(f, "Flag({v})"),
        }
    }
}

/// What a running session reports. `Debug` shows the size of output, not
/// its text.
#[derive(Clone, PartialEq, Eq)]
pub enum SessionEvent {
    /// The agent's handshake request: its version and, for port sessions,
    /// whether the channel carries smux streams (`type: LocalPortForwarding`
    /// and agent 3.0.196.0 or later) or one raw connection at a time.
    Handshake {
        /// Agent version.
        agent_version: String,
        /// smux multiplexing in use.
        smux: bool,
    },
    /// The handshake completed: input flows.
    Ready,
    /// Terminal bytes from the node.
    Output(Vec<u8>),
    /// The websocket dropped; ResumeSession is under way (attempt number).
    Reconnecting(u32),
    /// Reconnected with ResumeSession; unacknowledged input was sent again.
    Resumed,
    /// The agent could not connect to the destination port (the
    /// ConnectToPortError flag); the session stays open.
    ConnectToPortFailed,
    /// The session ended: why, and the remote exit code when known.
    Closed {
        /// Plain reason for the tab.
        reason: String,
        /// Exit code of the shell, if the agent sent it.
        exit_code: Option<i32>,
    },
}

impl std::fmt::Debug for SessionEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SessionEvent::Handshake {
                agent_version,
                smux,
            } => write!(f, "Handshake({agent_version}, smux {smux})"),
            SessionEvent::Ready => write!(f, "Ready"),
            SessionEvent::Output(b) => write!(f, "Output({} bytes)", b.len()),
            SessionEvent::Reconnecting(n) => write!(f, "Reconnecting({n})"),
            SessionEvent::Resumed => write!(f, "Resumed"),
            SessionEvent::ConnectToPortFailed => write!(f, "ConnectToPortFailed"),
            SessionEvent::Closed { reason, exit_code } => {
                write!(f, "Closed({reason:?}, exit {exit_code:?})")
            }
        }
    }
}

/// StartSession's answer.
#[derive(Clone, PartialEq, Eq)]
pub struct Started {
    /// Session id.
    pub session_id: String,
    /// Token for the data channel (a secret: never logged).
    pub token: String,
    /// The websocket URL, dialled as given.
    pub stream_url: String,
}

impl std::fmt::Debug for Started {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Started")
            .field("session_id", &self.session_id)
            .field("token", &"** redacted **")
            .field("stream_url", &self.stream_url)
            .finish()
    }
}

/// StartSession on `target` (a shell: the default document).
///
/// Sent at most once ([`once`](crate::aws::once)): asked again only when
/// throttled or never connected.
///
/// # Errors
/// [`AwsError`] for `ssm:StartSession` (TargetNotConnected, access
/// denied); `MaybeSent` when the request went out and the answer was lost
/// (a session may have started and will end by its idle timeout).
pub async fn start(ctx: &AwsContext, target: &str) -> Result<Started, AwsError> {
    let out = crate::aws::once::start_session(ctx, ctx.ssm.start_session().target(target)).await?;
    let started = Started {
        session_id: out.session_id.unwrap_or_default(),
        token: out.token_value.unwrap_or_default(),
        stream_url: out.stream_url.unwrap_or_default(),
    };
    // The token stays out: `Started`'s Debug redacts it.
    tracing::debug!(target, started = ?started, "StartSession answered");
    Ok(started)
}

/// ResumeSession: a new token and URL for the same session.
///
/// # Errors
/// [`AwsError`] for `ssm:ResumeSession`.
pub async fn resume(ctx: &AwsContext, session_id: &str) -> Result<Started, AwsError> {
    let out = ctx
        .ssm
        .resume_session()
        .session_id(session_id)
        .send()
        .await
        .map_err(|e| ctx.error("ssm:ResumeSession", e))?;
    Ok(Started {
        session_id: out.session_id.unwrap_or_else(|| session_id.to_owned()),
        token: out.token_value.unwrap_or_default(),
        stream_url: out.stream_url.unwrap_or_default(),
    })
}

/// TerminateSession.
///
/// # Errors
/// [`AwsError`] for `ssm:TerminateSession`.
pub async fn terminate(ctx: &AwsContext, session_id: &str) -> Result<(), AwsError> {
    ctx.ssm
        .terminate_session()
        .session_id(session_id)
        .send()
        .await
        .map_err(|e| ctx.error("ssm:TerminateSession", e))?;
    Ok(())
}

/// Whether a port session's channel carries smux streams: properties
/// `type: LocalPortForwarding` from an agent 3.0.196.0 or later.
pub fn uses_smux(req: &HandshakeRequest) -> bool {
    let local = req.actions.iter().any(|a| {
        a.parameters
            .get("Properties")
            .and_then(|p| p.get("type"))
            .and_then(|t| t.as_str())
            == Some("LocalPortForwarding")
    });
    let v: Vec<u64> = req
        .agent_version
        .split('.')
        .map(|p| p.parse().unwrap_or(0))
        .collect();
    local && v >= vec![3, 0, 196, 0]
}

/// Why the channel closed, from `channel_closed`'s payload: its `Output`
/// when the service gave one, else (a normal exit: the service sends none)
/// the line the session-manager-plugin prints, with the payload's SessionId.
fn closed_reason(m: &ClientMessage) -> String {
    let v = serde_json::from_slice::<serde_json::Value>(&m.payload).ok();
    let field = |k: &str| {
        v.as_ref()
            .and_then(|v| v.get(k))
            .and_then(|o| o.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    match (field("Output"), field("SessionId")) {
        (Some(o), _) => o,
        (None, Some(id)) => format!("Exiting session with sessionId: {id}."),
        (None, None) => "the agent closed the channel".into(),
    }
}

/// Runs a started shell session until it ends: input from `input`, events
/// to `events`. The terminal starts at `size` (columns × rows).
pub async fn run(
    ctx: AwsContext,
    started: Started,
    size: TermSize,
    input: mpsc::UnboundedReceiver<SessionInput>,
    events: mpsc::UnboundedSender<SessionEvent>,
) {
    run_with(ctx, started, Some(size), SHELL_TYPES, input, events).await;
}

/// Runs a started session of one of `session_types` until it ends. With a
/// terminal `size`, Size messages follow the handshake and every resize;
/// without one (port forwarding) none are sent and `Keys` carry raw data.
pub async fn run_with(
    ctx: AwsContext,
    started: Started,
    size: Option<TermSize>,
    session_types: &[&str],
    input: mpsc::UnboundedReceiver<SessionInput>,
    events: mpsc::UnboundedSender<SessionEvent>,
) {
    run_inner(ctx, started, size, session_types, input, events, None).await;
}

/// Runs a started port forwarding session with flow control: before each
/// output payload is handed on, its length is taken from `credit` (bytes);
/// the consumer gives bytes back once written to the local connection. When
/// the credit is spent the client stops reading the websocket, so a slow
/// local reader slows the agent instead of growing memory.
pub async fn run_port(
    ctx: AwsContext,
    started: Started,
    input: mpsc::UnboundedReceiver<SessionInput>,
    events: mpsc::UnboundedSender<SessionEvent>,
    credit: std::sync::Arc<tokio::sync::Semaphore>,
) {
    run_inner(ctx, started, None, &["Port"], input, events, Some(credit)).await;
}

/// What a session keeps across its websocket connections: the channel's
/// sequence state, the terminal size, input held until it may flow, and
/// the exit code once the agent sends it.
struct SessionState {
    ch: Channel,
    size: Option<TermSize>,
    ready: bool,
    paused: bool,
    held: Vec<Vec<u8>>,
    exit_code: Option<i32>,
}

async fn run_inner(
    ctx: AwsContext,
    started: Started,
    size: Option<TermSize>,
    session_types: &[&str],
    mut input: mpsc::UnboundedReceiver<SessionInput>,
    events: mpsc::UnboundedSender<SessionEvent>,
    credit: Option<std::sync::Arc<tokio::sync::Semaphore>>,
) {
    let session_id = started.session_id.clone();
    let client_id = uuid::Uuid::new_v4().to_string();
    let mut state = SessionState {
        ch: Channel::new(INPUT_STREAM, OUTPUT_STREAM),
        size,
        ready: false,
        paused: false,
        held: Vec::new(),
        exit_code: None,
    };
    let mut current = started;
    let mut attempt = 0u32;
    let emit = |e: SessionEvent| {
        let _ = events.send(e);
    };
    loop {
        // Keystrokes and acknowledgements are small: no Nagle delay.
        let dial =
            tokio_tungstenite::connect_async_with_config(current.stream_url.as_str(), None, true);
        let ws = match dial.await {
            Ok((ws, _)) => ws,
            Err(e) => {
                if attempt == 0 && state.ch.next_sequence() == 0 {
                    emit(SessionEvent::Closed {
                        reason: format!("the data channel did not open: {e}"),
                        exit_code: None,
                    });
                    // Leave nothing dangling in the account.
                    let _ = terminate(&ctx, &session_id).await;
                    return;
                }
                match reconnect(&ctx, &session_id, &mut attempt, &emit).await {
                    Some(s) => {
                        current = s;
                        continue;
                    }
                    None => return,
                }
            }
        };
        let (mut sink, mut stream) = ws.split();
        let open_text = open_message(&current, &client_id);
        if sink.send(Message::Text(open_text.into())).await.is_err() {
            match reconnect(&ctx, &session_id, &mut attempt, &emit).await {
                Some(s) => {
                    current = s;
                    continue;
                }
                None => return,
            }
        }
        let (wire, mut writer) = spawn_writer(sink);
        if attempt > 0 {
            for b in state.ch.resend_all(Instant::now()) {
                let _ = wire.send(b);
            }
        }
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        let mut write_failed = false;
        let dropped = loop {
            let mut outgoing: Vec<Vec<u8>> = Vec::new();
            tokio::select! {
                m = stream.next() => match m {
                    Some(Ok(Message::Binary(b))) => {
                        let Ok(m) = ClientMessage::decode(&b) else {
                            // Corrupt frame: not acknowledged, so the agent resends it.
                            continue;
                        };
                        // Resumed once the agent speaks on the new connection
                        // (a gateway that accepts and closes does not count).
                        if attempt > 0 {
                            attempt = 0;
                            emit(SessionEvent::Resumed);
                        }
                        let (acks, delivered) = state.ch.receive(m, Instant::now());
                        outgoing.extend(acks);
                        let still_open = state
                            .on_delivered(delivered, &mut outgoing, session_types, credit.as_ref(), &emit)
                            .await;
                        if !still_open {
                            return;
                        }
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break true,
                    Some(Ok(_)) => {}
                },
                i = input.recv() => {
                    if !state.on_input(i, &mut outgoing) {
                        let exit_code = state.exit_code;
                        end_session(&ctx, &session_id, &mut state.ch, wire, &mut writer, exit_code, &emit)
                            .await;
                        return;
                    }
                }
                _ = tick.tick() => match state.ch.due(Instant::now()) {
                    Ok(Some(b)) => outgoing.push(b),
                    Ok(None) => {}
                    Err(e) => {
                        let _ = terminate(&ctx, &session_id).await;
                        emit(SessionEvent::Closed { reason: e.to_string(), exit_code: state.exit_code });
                        return;
                    }
                },
            }
            // After a failed write keep reading: frames the agent sent before
            // closing (the exit code, channel_closed) are still buffered.
            // What could not be sent stays unacknowledged and goes again
            // after a resume.
            if !write_failed {
                write_failed = !send_all(outgoing, &wire, &writer);
            }
        };
        writer.abort();
        if dropped {
            match reconnect(&ctx, &session_id, &mut attempt, &emit).await {
                Some(s) => current = s,
                None => return,
            }
        }
    }
}

impl SessionState {
    /// Acts on the messages the channel delivered, in order: the handshake,
    /// output (taking flow-control `credit` first), the exit code, pauses.
    /// Frames to send go to `outgoing`. `false` once the agent closed the
    /// channel (reported as [`SessionEvent::Closed`]; the rest is dropped).
    async fn on_delivered(
        &mut self,
        delivered: Vec<Inbound>,
        outgoing: &mut Vec<Vec<u8>>,
        session_types: &[&str],
        credit: Option<&std::sync::Arc<tokio::sync::Semaphore>>,
        emit: &impl Fn(SessionEvent),
    ) -> bool {
        for d in delivered {
            match d {
                Inbound::Deliver(m) => match m.payload_type {
                    PayloadType::HandshakeRequest => {
                        let req: HandshakeRequest =
                            serde_json::from_slice(&m.payload).unwrap_or(HandshakeRequest {
                                agent_version: String::new(),
                                actions: Vec::new(),
                            });
                        let (resp, _) = answer_handshake(&req, session_types);
                        emit(SessionEvent::Handshake {
                            agent_version: req.agent_version.clone(),
                            smux: uses_smux(&req),
                        });
                        outgoing.push(self.ch.send(
                            PayloadType::HandshakeResponse,
                            serde_json::to_vec(&resp).unwrap_or_default(),
                            Instant::now(),
                        ));
                    }
                    PayloadType::HandshakeComplete => {
                        self.ready = true;
                        emit(SessionEvent::Ready);
                        if let Some(size) = self.size {
                            outgoing.push(self.ch.send(
                                PayloadType::Size,
                                serde_json::to_vec(&size).unwrap_or_default(),
                                Instant::now(),
                            ));
                        }
                        for k in self.held.drain(..) {
                            outgoing.push(self.ch.send(PayloadType::Output, k, Instant::now()));
                        }
                    }
                    PayloadType::Output | PayloadType::StdErr | PayloadType::Error => {
                        if let Some(c) = credit {
                            // Waits (not reading the websocket) while the
                            // local side is behind.
                            let n = m.payload.len().min(crate::session::forward::CREDIT_BYTES);
                            if let Ok(p) = c.acquire_many(n as u32).await {
                                p.forget();
                            }
                        }
                        emit(SessionEvent::Output(m.payload));
                    }
                    PayloadType::Flag
                        if m.payload.get(..4)
                            == Some(&flag::CONNECT_TO_PORT_ERROR.to_be_bytes()[..]) =>
                    {
                        emit(SessionEvent::ConnectToPortFailed);
                    }
                    PayloadType::ExitCode => {
                        self.exit_code = String::from_utf8_lossy(&m.payload).trim().parse().ok();
                    }
                    _ => {}
                },
                Inbound::Control(m) if m.message_type == CHANNEL_CLOSED => {
                    emit(SessionEvent::Closed {
                        reason: closed_reason(&m),
                        exit_code: self.exit_code,
                    });
                    return false;
                }
                Inbound::Control(m) if m.message_type == PAUSE_PUBLICATION => self.paused = true,
                Inbound::Control(m) if m.message_type == START_PUBLICATION => {
                    self.paused = false;
                    if self.ready {
                        // What was typed during the pause, in order.
                        for k in self.held.drain(..) {
                            outgoing.push(self.ch.send(PayloadType::Output, k, Instant::now()));
                        }
                    }
                }
                Inbound::Control(_) => {}
            }
        }
        true
    }

    /// Acts on input from the console: keys are sent or held, resizes and
    /// flags sent. Frames to send go to `outgoing`. `false` when the session
    /// is to end (Terminate, or the console dropped its sender).
    fn on_input(&mut self, i: Option<SessionInput>, outgoing: &mut Vec<Vec<u8>>) -> bool {
        match i {
            Some(SessionInput::Keys(k)) => {
                // Behind anything still held, so keys never overtake.
                if self.ready && !self.paused && self.held.is_empty() {
                    outgoing.push(self.ch.send(PayloadType::Output, k, Instant::now()));
                } else {
                    self.held.push(k);
                }
            }
            Some(SessionInput::Resize(cols, rows)) if self.size.is_some() => {
                self.size = Some(TermSize { cols, rows });
                if self.ready {
                    outgoing.push(self.ch.send(
                        PayloadType::Size,
                        serde_json::to_vec(&self.size).unwrap_or_default(),
                        Instant::now(),
                    ));
                }
            }
            Some(SessionInput::Resize(..)) => {}
            Some(SessionInput::Flag(f)) => {
                outgoing.push(self.ch.send(
                    PayloadType::Flag,
                    f.to_be_bytes().to_vec(),
                    Instant::now(),
                ));
            }
            Some(SessionInput::Terminate) | None => return false,
        }
        true
    }
}

/// The OpenDataChannel message (the first on every connection) for the
/// token of `current`, as JSON text.
fn open_message(current: &Started, client_id: &str) -> String {
    let open = OpenDataChannel {
        schema_version: "1.0".into(),
        request_id: uuid::Uuid::new_v4().to_string(),
        token: current.token.clone(),
        client_id: client_id.to_owned(),
        client_version: CLIENT_VERSION.into(),
    };
    serde_json::to_string(&open).unwrap_or_default()
}

/// Spawns the task that writes binary frames to the websocket, so writing
/// never holds up reading: with data flowing both ways, a side blocked on
/// a full send buffer while not reading would deadlock. Returns the sender
/// of frames and the task (which ends when a write fails).
fn spawn_writer(mut sink: WsSink) -> (mpsc::UnboundedSender<Vec<u8>>, JoinHandle<()>) {
    let (wire, mut wire_rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let writer = tokio::spawn(async move {
        while let Some(b) = wire_rx.recv().await {
            if sink.send(Message::Binary(b.into())).await.is_err() {
                return;
            }
        }
    });
    (wire, writer)
}

/// Hands `outgoing` to the writer in order; `false` (the rest left unsent)
/// once a send fails or the writer has stopped.
fn send_all(
    outgoing: Vec<Vec<u8>>,
    wire: &mpsc::UnboundedSender<Vec<u8>>,
    writer: &JoinHandle<()>,
) -> bool {
    for b in outgoing {
        if wire.send(b).is_err() || writer.is_finished() {
            return false;
        }
    }
    true
}

/// Ends the session for the console: the TerminateSession flag, up to 1 s
/// for the writer to send it, then the TerminateSession call, reported as
/// [`SessionEvent::Closed`].
async fn end_session(
    ctx: &AwsContext,
    session_id: &str,
    ch: &mut Channel,
    wire: mpsc::UnboundedSender<Vec<u8>>,
    writer: &mut JoinHandle<()>,
    exit_code: Option<i32>,
    emit: &impl Fn(SessionEvent),
) {
    let f = ch.send(
        PayloadType::Flag,
        flag::TERMINATE_SESSION.to_be_bytes().to_vec(),
        Instant::now(),
    );
    let _ = wire.send(f);
    drop(wire);
    let _ = tokio::time::timeout(Duration::from_secs(1), writer).await;
    let r = terminate(ctx, session_id).await;
    emit(SessionEvent::Closed {
        reason: match r {
            Ok(()) => "terminated".into(),
            Err(e) => format!("terminate failed: {e}"),
        },
        exit_code,
    });
}

/// ResumeSession with backoff (0.5 s, doubling); `None` when it cannot.
async fn reconnect(
    ctx: &AwsContext,
    session_id: &str,
    attempt: &mut u32,
    emit: &impl Fn(SessionEvent),
) -> Option<Started> {
    loop {
        *attempt += 1;
        if *attempt > RESUME_ATTEMPTS {
            emit(SessionEvent::Closed {
                reason: format!(
                    "the connection dropped and {RESUME_ATTEMPTS} ResumeSession attempts failed: the session is lost"
                ),
                exit_code: None,
            });
            let _ = terminate(ctx, session_id).await;
            return None;
        }
        emit(SessionEvent::Reconnecting(*attempt));
        tokio::time::sleep(Duration::from_millis(250 << (*attempt).min(4))).await;
        match resume(ctx, session_id).await {
            Ok(s) => return Some(s),
            Err(e) if e.code.as_deref() == Some("DoesNotExistException") => {
                emit(SessionEvent::Closed {
                    reason: format!("the connection dropped and the session cannot resume: {e}"),
                    exit_code: None,
                });
                return None;
            }
            Err(_) => continue,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_keys_output_or_the_token() {
        let keys = format!("{:?}", SessionInput::Keys(b"hunter2\r".to_vec()));
        assert_eq!(keys, "Keys(8 bytes)");
        let out = format!("{:?}", SessionEvent::Output(b"secret".to_vec()));
        assert_eq!(out, "Output(6 bytes)");
        let s = Started {
            session_id: "s-1".into(),
            token: "tok-very-secret".into(),
            stream_url: "wss://x".into(),
        };
        assert!(!format!("{s:?}").contains("tok-very-secret"));
    }
}
