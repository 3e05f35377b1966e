//! Session Manager in the lab: StartSession, ResumeSession,
//! TerminateSession, DescribeSessions, and a websocket gateway on loopback
//! (`/v1/data-channel/<session id>`) that speaks the agent side of the data
//! channel protocol: the handshake, a real local shell in a PTY per session
//! (portable-pty), Size messages applied to the PTY, acknowledgements and
//! retransmission in both directions (the `ssmdeck-protocol` crate), and a
//! backlog kept across a dropped connection so ResumeSession continues
//! where it stopped.
//!
//! The end of a shell follows the agent: output acknowledged (at most
//! [`DRAIN_TIMEOUT`]), then `channel_closed`, then the websocket kept open
//! and read until the client closes it (at most [`LINGER_TIMEOUT`]). No
//! exit-code frame for shells (the agent sends one only for
//! non-interactive commands).
//!
//! Fault knobs: [`crate::LabHandle::drop_session_connections`] closes every
//! open data channel websocket (the shells keep running) to test resume;
//! [`crate::Faults`] `session_*` delay, reorder and periodically drop
//! frames' websockets, or make port sessions an old agent's.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{Message, WebSocket};
use futures::{SinkExt, StreamExt};
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use rand::Rng;
use serde_json::{Value, json};
use ssmdeck_protocol::channel::{Channel, Inbound};
use ssmdeck_protocol::frame::{
    CHANNEL_CLOSED, ClientMessage, HandshakeComplete, HandshakeRequest, INPUT_STREAM,
    OUTPUT_STREAM, OpenDataChannel, PayloadType, RequestedAction, TermSize, flag,
};
use ssmdeck_protocol::smux::{self, Decoder, Frame};
use tokio::sync::mpsc;

use crate::LabState;
use crate::params::{ApiError, err, now_s};

/// Output chunk size sent per frame, bytes.
const CHUNK: usize = 1_024;

/// What the gateway tells a session's agent task.
enum AgentMsg {
    /// A websocket (numbered) is attached: frames go to it.
    Attach(u64, mpsc::UnboundedSender<Message>),
    /// A binary frame arrived from the client.
    Frame(Vec<u8>),
    /// The websocket with this number closed.
    Detach(u64),
    /// Close the websocket now (fault knob); the shell keeps running.
    Drop,
    /// TerminateSession: end the shell and the channel.
    Terminate,
}

pub(crate) struct LabSession {
    id: String,
    target: String,
    document: String,
    owner: String,
    start: f64,
    end: Option<f64>,
    status: &'static str,
    token: String,
    agent: Option<mpsc::UnboundedSender<AgentMsg>>,
    /// Port forwarding: where to and the local port asked for; `None` for a shell.
    port: Option<PortTarget>,
    /// AWS-StartInteractiveCommand: the command the PTY runs instead of a shell.
    command: Option<String>,
}

/// Sessions of the lab.
#[derive(Default)]
pub(crate) struct SessionStore {
    sessions: BTreeMap<String, LabSession>,
}

impl SessionStore {
    fn token() -> String {
        let mut rng = rand::rng();
        (0..64)
            .map(|_| {
                let c = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
                c[rng.random_range(0..c.len())] as char
            })
            .collect()
    }

    /// Whether the session `id` is one of this store's.
    pub(crate) fn contains(&self, id: &str) -> bool {
        self.sessions.contains_key(id)
    }

    /// Closes every attached websocket (the fault knob).
    pub(crate) fn drop_connections(&self) {
        for s in self.sessions.values() {
            if let Some(a) = &s.agent {
                let _ = a.send(AgentMsg::Drop);
            }
        }
    }

    /// Ends every session (lab shutdown).
    pub(crate) fn terminate_all(&mut self) {
        for s in self.sessions.values_mut() {
            if let Some(a) = s.agent.take() {
                let _ = a.send(AgentMsg::Terminate);
            }
        }
    }
}

fn stream_url(state: &LabState, id: &str) -> String {
    format!(
        "ws://{}/v1/data-channel/{id}?role=publish_subscribe",
        state.addr
    )
}

/// Answers a Session Manager action; `None` when `action` is not one.
pub(crate) fn handle(
    state: &Arc<LabState>,
    action: &str,
    body: &Value,
    user: &str,
) -> Option<Result<Value, ApiError>> {
    Some(match action {
        "StartSession" => start_session(state, body, user),
        "ResumeSession" => resume_session(state, body),
        "TerminateSession" => terminate_session(state, body),
        "DescribeSessions" => describe_sessions(state, body),
        _ => return None,
    })
}

fn start_session(state: &Arc<LabState>, body: &Value, user: &str) -> Result<Value, ApiError> {
    let target = body
        .get("Target")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            err(
                "ValidationException",
                "1 validation error detected: Value null at 'target' failed to satisfy constraint: Member must not be null",
            )
        })?
        .to_owned();
    crate::validate::length("target", &target, 1, 400)?;
    let document = body
        .get("DocumentName")
        .and_then(Value::as_str)
        .unwrap_or("SSM-SessionManagerRunShell")
        .to_owned();
    let param = |k: &str| {
        body.get("Parameters")
            .and_then(|p| p.get(k))
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let command = if document == "AWS-StartInteractiveCommand" {
        Some(
            param("command")
                .filter(|c| !c.trim().is_empty())
                .ok_or_else(|| {
                    err(
                        "ValidationException",
                        "command is required for AWS-StartInteractiveCommand.",
                    )
                })?,
        )
    } else {
        None
    };
    let port = match document.as_str() {
        "SSM-SessionManagerRunShell" | "AWS-StartInteractiveCommand" => None,
        "AWS-StartPortForwardingSession" | "AWS-StartPortForwardingSessionToRemoteHost" => {
            let p: u16 = param("portNumber")
                .and_then(|p| p.parse().ok())
                .ok_or_else(|| {
                    err(
                        "ValidationException",
                        "portNumber is required: a port from 1 to 65535.",
                    )
                })?;
            let host = if document.ends_with("RemoteHost") {
                param("host").ok_or_else(|| {
                    err(
                        "ValidationException",
                        "host is required for AWS-StartPortForwardingSessionToRemoteHost.",
                    )
                })?
            } else {
                "127.0.0.1".to_owned()
            };
            // The lab reaches loopback only.
            if !matches!(host.as_str(), "127.0.0.1" | "localhost") {
                return Err(err(
                    "ValidationException",
                    format!("The lab forwards to 127.0.0.1 only, not to {host}."),
                ));
            }
            Some(PortTarget {
                host: "127.0.0.1".to_owned(),
                port: p,
                local: param("localPortNumber"),
            })
        }
        other => {
            return Err(err(
                "InvalidDocument",
                format!(
                    "The lab runs SSM-SessionManagerRunShell, AWS-StartPortForwardingSession and AWS-StartPortForwardingSessionToRemoteHost; not {other}."
                ),
            ));
        }
    };
    {
        let nodes = state.nodes.read().expect("nodes lock");
        let Some(n) = nodes.iter().find(|n| n.id == target) else {
            // AWS answers an unknown target as one that is not connected
            // (the model lists no InvalidTarget for StartSession).
            return Err(err(
                "TargetNotConnected",
                format!("{target} is not connected."),
            ));
        };
        if n.ping != crate::PingStatus::Online {
            return Err(err(
                "TargetNotConnected",
                format!(
                    "{target} is not connected (ping status {}).",
                    n.ping.as_str()
                ),
            ));
        }
    }
    let user_name = user.rsplit('/').next().unwrap_or("lab");
    let id = format!("{user_name}-{:017x}", rand::rng().random::<u64>() >> 4);
    let token = SessionStore::token();
    let url = stream_url(state, &id);
    state
        .sessions
        .lock()
        .expect("sessions lock")
        .sessions
        .insert(
            id.clone(),
            LabSession {
                id: id.clone(),
                target,
                document,
                owner: user.to_owned(),
                start: now_s(),
                end: None,
                status: "Connected",
                token: token.clone(),
                agent: None,
                port,
                command,
            },
        );
    Ok(json!({"SessionId": id, "TokenValue": token, "StreamUrl": url}))
}

fn session_id(body: &Value) -> Result<String, ApiError> {
    body.get("SessionId")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            err(
                "ValidationException",
                "1 validation error detected: Value null at 'sessionId' failed to satisfy constraint: Member must not be null",
            )
        })
}

fn resume_session(state: &Arc<LabState>, body: &Value) -> Result<Value, ApiError> {
    let id = session_id(body)?;
    let mut store = state.sessions.lock().expect("sessions lock");
    let Some(s) = store
        .sessions
        .get_mut(&id)
        .filter(|s| s.status != "Terminated")
    else {
        return Err(err(
            "DoesNotExistException",
            format!("Session {id} does not exist or has ended."),
        ));
    };
    s.token = SessionStore::token();
    Ok(json!({"SessionId": id, "TokenValue": s.token, "StreamUrl": stream_url(state, &id)}))
}

fn terminate_session(state: &Arc<LabState>, body: &Value) -> Result<Value, ApiError> {
    let id = session_id(body)?;
    let mut store = state.sessions.lock().expect("sessions lock");
    // AWS answers success for an unknown or ended session as well.
    if let Some(s) = store.sessions.get_mut(&id) {
        if let Some(a) = s.agent.take() {
            let _ = a.send(AgentMsg::Terminate);
        }
        if s.status != "Terminated" {
            s.status = "Terminated";
            s.end = Some(now_s());
        }
    }
    Ok(json!({ "SessionId": id }))
}

fn describe_sessions(state: &Arc<LabState>, body: &Value) -> Result<Value, ApiError> {
    let want_active = match body.get("State").and_then(Value::as_str) {
        Some("Active") => true,
        Some("History") => false,
        other => {
            return Err(err(
                "ValidationException",
                format!(
                    "1 validation error detected: Value '{}' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [Active, History]",
                    other.unwrap_or("null")
                ),
            ));
        }
    };
    let store = state.sessions.lock().expect("sessions lock");
    let list: Vec<Value> = store
        .sessions
        .values()
        .filter(|s| (s.status != "Terminated") == want_active)
        .map(|s| {
            let mut v = json!({
                "SessionId": s.id, "Target": s.target, "Status": s.status,
                "StartDate": s.start, "DocumentName": s.document, "Owner": s.owner,
            });
            if let Some(e) = s.end {
                v["EndDate"] = json!(e);
            }
            v
        })
        .collect();
    let key = |v: &Value| v["SessionId"].as_str().unwrap_or("").to_owned();
    let (page, next) = crate::commands::page(list, key, body, 200)?;
    Ok(crate::commands::listed("Sessions", page, next))
}

pub(crate) async fn serve(state: Arc<LabState>, id: String, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    // The first message is OpenDataChannelInput (text) with the token.
    let open = loop {
        match stream.next().await {
            Some(Ok(Message::Text(t))) => break serde_json::from_str::<OpenDataChannel>(&t).ok(),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            _ => return,
        }
    };
    let agent = attach_agent(&state, &id, open.as_ref());
    let Some(agent) = agent else {
        // Unknown session, wrong token or ended: refuse.
        let _ = sink.send(Message::Close(None)).await;
        return;
    };
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Message>();
    static CONNECTIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let conn = CONNECTIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let _ = agent.send(AgentMsg::Attach(conn, out_tx));
    // Writing never holds up reading: with data flowing both ways, a side
    // blocked on a full send buffer while not reading would deadlock.
    let mut writer = tokio::spawn(async move {
        while let Some(m) = out_rx.recv().await {
            if sink.send(m).await.is_err() {
                return;
            }
        }
        // The agent let go of this socket (drop knob or the end).
        let _ = sink.send(Message::Close(None)).await;
    });
    loop {
        tokio::select! {
            _ = &mut writer => break,
            m = stream.next() => match m {
                Some(Ok(Message::Binary(b))) => {
                    let _ = agent.send(AgentMsg::Frame(b.to_vec()));
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
    writer.abort();
    let _ = agent.send(AgentMsg::Detach(conn));
}

/// The agent of session `id` (started on first use), when `open` carries its
/// current token.
fn attach_agent(
    state: &Arc<LabState>,
    id: &str,
    open: Option<&OpenDataChannel>,
) -> Option<mpsc::UnboundedSender<AgentMsg>> {
    let mut store = state.sessions.lock().expect("sessions lock");
    let s = store.sessions.get_mut(id)?;
    if open.is_none_or(|o| o.token != s.token) || s.status == "Terminated" {
        return None;
    }
    Some(match &s.agent {
        Some(a) => a.clone(),
        None => {
            let (tx, rx) = mpsc::unbounded_channel();
            let task = tokio::spawn(run_agent(
                state.clone(),
                id.to_owned(),
                s.target.clone(),
                s.port.clone(),
                s.command.clone(),
                rx,
            ));
            state.tasks.lock().expect("tasks lock").push(task);
            s.agent = Some(tx.clone());
            tx
        }
    })
}

struct Shell {
    master: Box<dyn portable_pty::MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
}

/// A login-less interactive shell in a PTY (80×24 until the client sends
/// its size), or with `command` that command run by the shell (`-c`),
/// as AWS-StartInteractiveCommand does.
fn spawn_shell(
    state: &LabState,
    target: &str,
    command: Option<&str>,
) -> std::io::Result<(Shell, mpsc::UnboundedReceiver<Option<Vec<u8>>>)> {
    let (name, tags) = {
        let nodes = state.nodes.read().expect("nodes lock");
        let n = nodes.iter().find(|n| n.id == target);
        (
            n.map(|n| n.name.clone()).unwrap_or_default(),
            n.map(|n| n.tags.clone()).unwrap_or_default(),
        )
    };
    let dir = state.work_dir.join(target);
    std::fs::create_dir_all(&dir)?;
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 24,
            cols: 80,
            pixel_width: 0,
            pixel_height: 0,
        })
        .map_err(std::io::Error::other)?;
    let bash = std::path::Path::new("/bin/bash").exists();
    let mut cmd = match (command, bash) {
        (Some(line), _) => {
            let mut c = CommandBuilder::new("/bin/sh");
            c.args(["-c", line]);
            c
        }
        (None, true) => {
            let mut c = CommandBuilder::new("/bin/bash");
            c.args(["--noprofile", "--norc", "-i"]);
            c
        }
        (None, false) => {
            let mut c = CommandBuilder::new("/bin/sh");
            c.arg("-i");
            c
        }
    };
    cmd.cwd(&dir);
    cmd.env("TERM", "xterm-256color");
    cmd.env("PS1", format!("{name}$ "));
    cmd.env("HOME", &dir);
    cmd.env("AWS_SSM_INSTANCE_ID", target);
    cmd.env("SSM_NODE_NAME", &name);
    for (k, v) in tags {
        cmd.env(format!("SSM_TAG_{}", k.to_uppercase()), v);
    }
    let child = pty
        .slave
        .spawn_command(cmd)
        .map_err(std::io::Error::other)?;
    drop(pty.slave);
    if let Some(pid) = child.process_id() {
        // The shell leads its own session (setsid): kill its group on shutdown.
        state
            .process_groups
            .lock()
            .expect("pgids lock")
            .insert(pid as i32);
    }
    let mut reader = pty
        .master
        .try_clone_reader()
        .map_err(std::io::Error::other)?;
    let writer = pty.master.take_writer().map_err(std::io::Error::other)?;
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => {
                    let _ = tx.send(None);
                    return;
                }
                Ok(n) => {
                    if tx.send(Some(buf[..n].to_vec())).is_err() {
                        return;
                    }
                }
            }
        }
    });
    Ok((
        Shell {
            master: pty.master,
            writer,
            child,
        },
        rx,
    ))
}

/// Where a port session forwards to, and the local port the client asked
/// to listen on (`localPortNumber`, echoed in the handshake).
#[derive(Debug, Clone)]
pub(crate) struct PortTarget {
    host: String,
    port: u16,
    local: Option<String>,
}

impl PortTarget {
    fn addr(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// What a forwarded connection reports.
enum PortRead {
    /// Bytes from the destination.
    Data(Vec<u8>),
    /// The destination closed the connection.
    End,
    /// The destination refused the connection (nothing listens there).
    Refused,
}

type PortReads = mpsc::UnboundedReceiver<(u32, PortRead)>;

/// The TCP side of a port session: one loopback connection per smux stream.
struct PortBridge {
    decoder: Decoder,
    writers: std::collections::HashMap<u32, mpsc::UnboundedSender<Vec<u8>>>,
    read_tx: mpsc::UnboundedSender<(u32, PortRead)>,
    read_rx: Option<PortReads>,
}

impl Default for PortBridge {
    fn default() -> Self {
        let (read_tx, read_rx) = mpsc::unbounded_channel();
        PortBridge {
            decoder: Decoder::default(),
            writers: std::collections::HashMap::new(),
            read_tx,
            read_rx: Some(read_rx),
        }
    }
}

impl PortBridge {
    /// What the connections report, for the agent's loop (once).
    fn take_reader(&mut self) -> PortReads {
        self.read_rx
            .take()
            .unwrap_or_else(|| mpsc::unbounded_channel().1)
    }

    /// Raw bytes from the client (agents before smux): the one connection
    /// (stream 0) is opened on first data after a DisconnectToPort.
    fn raw(&mut self, bytes: Vec<u8>, addr: String) {
        let read_tx = self.read_tx.clone();
        let w = self.writers.entry(0).or_insert_with(|| {
            let (wtx, wrx) = mpsc::unbounded_channel::<Vec<u8>>();
            tokio::spawn(connect_stream(addr, 0, wrx, read_tx));
            wtx
        });
        let _ = w.send(bytes);
    }

    /// smux bytes from the client: SYN opens a connection to `addr`
    /// (its data and FIN come back through the reader), PSH writes, FIN
    /// closes the writing side. False when the bytes are not smux.
    fn input(&mut self, bytes: &[u8], addr: String) -> bool {
        let Ok(frames) = self.decoder.push(bytes) else {
            return false;
        };
        for f in frames {
            match f.cmd {
                smux::SYN => {
                    let (wtx, wrx) = mpsc::unbounded_channel::<Vec<u8>>();
                    self.writers.insert(f.sid, wtx);
                    tokio::spawn(connect_stream(
                        addr.clone(),
                        f.sid,
                        wrx,
                        self.read_tx.clone(),
                    ));
                }
                smux::PSH => {
                    if let Some(w) = self.writers.get(&f.sid) {
                        let _ = w.send(f.data);
                    }
                }
                smux::FIN => {
                    self.writers.remove(&f.sid);
                }
                _ => {}
            }
        }
        true
    }
}

/// One forwarded connection: what `wrx` brings is written to `addr`; what
/// `addr` sends goes to `tx` in chunks, then its end (or its refusal).
async fn connect_stream(
    addr: String,
    sid: u32,
    mut wrx: mpsc::UnboundedReceiver<Vec<u8>>,
    tx: mpsc::UnboundedSender<(u32, PortRead)>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(conn) = tokio::net::TcpStream::connect(&addr).await else {
        let _ = tx.send((sid, PortRead::Refused));
        return;
    };
    let (mut rd, mut wr) = conn.into_split();
    tokio::spawn(async move {
        while let Some(b) = wrx.recv().await {
            if wr.write_all(&b).await.is_err() {
                return;
            }
        }
        let _ = wr.shutdown().await;
    });
    let mut buf = vec![0u8; CHUNK];
    loop {
        match rd.read(&mut buf).await {
            Ok(0) | Err(_) => {
                let _ = tx.send((sid, PortRead::End));
                return;
            }
            Ok(n) => {
                if tx.send((sid, PortRead::Data(buf[..n].to_vec()))).is_err() {
                    return;
                }
            }
        }
    }
}

/// How long a closing agent waits for the client to acknowledge every
/// output frame before it sends `channel_closed`, resending meanwhile as
/// usual (the real agent's PrepareToCloseChannel waits 2 s for its buffer
/// to empty).
pub(crate) const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);
/// After `channel_closed` the gateway keeps the websocket open and keeps
/// reading it (late acknowledgements, the client's own close) until the
/// client closes it or this much time passes; only then does it close.
pub(crate) const LINGER_TIMEOUT: Duration = Duration::from_secs(5);

/// How long output waits for a client that has not connected at all yet
/// (a command that ended before its data channel opened), seconds.
pub(crate) const ATTACH_TIMEOUT: Duration = Duration::from_secs(30);

/// The attached websocket of a session, with the session fault knobs
/// applied to frames going out (delay, swapped pairs, periodic drops).
struct Wire {
    out: Option<mpsc::UnboundedSender<Message>>,
    /// Number of the attached websocket.
    attached: u64,
    /// When it attached (for the drop knob).
    since: Instant,
    /// A frame held back for the reorder knob.
    swap: Option<Vec<u8>>,
}

impl Wire {
    fn send(&mut self, state: &LabState, bytes: Vec<u8>) {
        let Some(o) = &self.out else {
            return;
        };
        let (delay, reorder) = {
            let f = state.faults.read().expect("faults lock");
            (f.session_delay_ms, f.session_reorder)
        };
        let mut batch = Vec::new();
        if reorder {
            match self.swap.take() {
                None => {
                    self.swap = Some(bytes);
                    return;
                }
                Some(first) => {
                    batch.push(bytes);
                    batch.push(first);
                }
            }
        } else {
            batch.extend(self.swap.take());
            batch.push(bytes);
        }
        for b in batch {
            if delay == 0 {
                let _ = o.send(Message::Binary(b.into()));
            } else {
                let o = o.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(delay)).await;
                    let _ = o.send(Message::Binary(b.into()));
                });
            }
        }
    }

    /// A frame held for reordering goes out now (nothing followed it).
    fn flush(&mut self) {
        if let (Some(o), Some(b)) = (&self.out, self.swap.take()) {
            let _ = o.send(Message::Binary(b.into()));
        }
    }

    /// The drop knob: the websocket closes once it has been open
    /// `session_drop_every_ms`.
    fn drop_if_due(&mut self, state: &LabState) {
        let every = state
            .faults
            .read()
            .expect("faults lock")
            .session_drop_every_ms;
        if every > 0 && self.out.is_some() && self.since.elapsed() >= Duration::from_millis(every) {
            self.out = None;
        }
    }

    /// Attach, Detach and Drop; `false` for Terminate (or the gateway gone).
    fn control(&mut self, msg: Option<&AgentMsg>, ch: &mut Channel, state: &LabState) -> bool {
        match msg {
            Some(AgentMsg::Attach(n, tx)) => {
                self.out = Some(tx.clone());
                self.attached = *n;
                self.since = Instant::now();
                self.swap = None;
                for b in ch.resend_all(Instant::now()) {
                    self.send(state, b);
                }
            }
            // A late close of an old socket must not cut off the new one.
            Some(AgentMsg::Detach(n)) => {
                if *n == self.attached {
                    self.out = None;
                }
            }
            Some(AgentMsg::Drop) => self.out = None,
            Some(AgentMsg::Frame(_)) => {}
            Some(AgentMsg::Terminate) | None => return false,
        }
        true
    }
}

/// One session's agent: the channel, the shell or the forwarded
/// connections, the attached socket.
struct Agent {
    state: Arc<LabState>,
    id: String,
    ch: Channel,
    wire: Wire,
    shell: Option<Shell>,
    port: Option<PortTarget>,
    legacy: bool,
    /// AWS-StartInteractiveCommand: the PTY runs the document's `command`.
    interactive: bool,
    ports: PortBridge,
    handshake_done: bool,
    held: Vec<Vec<u8>>,
    started: Instant,
}

impl Agent {
    /// Numbers, buffers and sends one stream frame.
    fn emit(&mut self, payload_type: PayloadType, payload: Vec<u8>) {
        let b = self.ch.send(payload_type, payload, Instant::now());
        self.wire.send(&self.state, b);
    }

    /// The handshake request: the session type and its properties, the
    /// node's agent version (an old one with the legacy knob).
    fn handshake(&mut self, target: &str) {
        let node_version = {
            let nodes = self.state.nodes.read().expect("nodes lock");
            nodes
                .iter()
                .find(|n| n.id == target)
                .map(|n| n.agent_version.clone())
                .unwrap_or_else(|| "3.3.1142.0".into())
        };
        // The properties are the document's (`type` comes from
        // AWS-StartPortForwardingSession itself, whatever the agent's age):
        // the plugin listens locally only with `type: LocalPortForwarding`,
        // and without it forwards its stdin and stdout (AWS-StartSSHSession).
        // An old agent differs in its version alone, which turns smux off.
        let session_type = match &self.port {
            None => json!({"SessionType": self.shell_type(), "Properties": {}}),
            Some(p) => {
                let mut props = json!({
                    "portNumber": p.port.to_string(),
                    "host": p.host,
                    "type": "LocalPortForwarding",
                });
                if let Some(l) = &p.local {
                    props["localPortNumber"] = json!(l);
                }
                json!({"SessionType": "Port", "Properties": props})
            }
        };
        let request = HandshakeRequest {
            agent_version: if self.legacy {
                "3.0.161.0".into()
            } else {
                node_version
            },
            actions: vec![RequestedAction {
                action_type: "SessionType".into(),
                parameters: session_type,
            }],
        };
        self.emit(
            PayloadType::HandshakeRequest,
            serde_json::to_vec(&request).unwrap_or_default(),
        );
    }

    /// `InteractiveCommands` for AWS-StartInteractiveCommand, else a shell.
    fn shell_type(&self) -> &'static str {
        if self.interactive {
            "InteractiveCommands"
        } else {
            "Standard_Stream"
        }
    }

    /// A binary frame from the client; `true` when the session is to end.
    fn on_frame(&mut self, bytes: &[u8]) -> bool {
        let Ok(m) = ClientMessage::decode(bytes) else {
            return false;
        };
        let (acks, delivered) = self.ch.receive(m, Instant::now());
        for a in acks {
            self.wire.send(&self.state, a);
        }
        let mut stop = false;
        for d in delivered {
            let Inbound::Deliver(m) = d else { continue };
            match m.payload_type {
                PayloadType::HandshakeResponse if !self.handshake_done => {
                    self.handshake_done = true;
                    let done = HandshakeComplete {
                        time_to_complete: self.started.elapsed().as_nanos() as i64,
                        customer_message: String::new(),
                    };
                    self.emit(
                        PayloadType::HandshakeComplete,
                        serde_json::to_vec(&done).unwrap_or_default(),
                    );
                    for chunk in std::mem::take(&mut self.held) {
                        self.emit(PayloadType::Output, chunk);
                    }
                }
                PayloadType::Output => match (&mut self.shell, &self.port) {
                    (Some(sh), _) => {
                        let _ = sh.writer.write_all(&m.payload);
                        let _ = sh.writer.flush();
                    }
                    (None, Some(p)) if self.legacy => {
                        let addr = p.addr();
                        self.ports.raw(m.payload, addr);
                    }
                    (None, Some(p)) => {
                        let addr = p.addr();
                        if !self.ports.input(&m.payload, addr) {
                            stop = true;
                        }
                    }
                    (None, None) => {}
                },
                PayloadType::Size => {
                    if let (Some(sh), Ok(s)) = (
                        &mut self.shell,
                        serde_json::from_slice::<TermSize>(&m.payload),
                    ) {
                        let _ = sh.master.resize(PtySize {
                            rows: s.rows.max(1),
                            cols: s.cols.max(1),
                            pixel_width: 0,
                            pixel_height: 0,
                        });
                    }
                }
                PayloadType::Flag => {
                    let v = m
                        .payload
                        .get(..4)
                        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
                    if v == Some(flag::TERMINATE_SESSION) {
                        stop = true;
                    }
                    if v == Some(flag::DISCONNECT_TO_PORT) {
                        // The client's connection ended: close ours.
                        self.ports.writers.remove(&0);
                    }
                }
                _ => {}
            }
        }
        stop
    }

    /// What forwarded connection `sid` reports. A refused connection gets
    /// the ConnectToPortError flag (the plugin prints "Connection to
    /// destination port failed"), then ends like a closed one.
    fn on_port_read(&mut self, sid: u32, read: PortRead) {
        let data = match read {
            PortRead::Data(d) => Some(d),
            PortRead::End => None,
            PortRead::Refused => {
                self.emit(
                    PayloadType::Flag,
                    flag::CONNECT_TO_PORT_ERROR.to_be_bytes().to_vec(),
                );
                None
            }
        };
        if self.legacy {
            // One raw connection: its bytes as they are.
            match data {
                Some(d) => self.emit(PayloadType::Output, d),
                None => {
                    self.ports.writers.remove(&sid);
                }
            }
            return;
        }
        let f = match data {
            Some(d) => Frame::new(smux::PSH, sid, d),
            None => {
                self.ports.writers.remove(&sid);
                Frame::new(smux::FIN, sid, Vec::new())
            }
        };
        self.emit(PayloadType::Output, f.encode());
    }

    /// Bytes from the shell's PTY.
    fn on_pty(&mut self, bytes: &[u8]) {
        for piece in bytes.chunks(CHUNK) {
            if self.handshake_done {
                self.emit(PayloadType::Output, piece.to_vec());
            } else {
                self.held.push(piece.to_vec());
            }
        }
    }

    /// Every 100 ms: the held frame, the drop knob, retransmission.
    /// `false` when the client stopped acknowledging for good.
    fn on_tick(&mut self) -> bool {
        self.wire.flush();
        self.wire.drop_if_due(&self.state);
        match self.ch.due(Instant::now()) {
            Ok(Some(b)) => self.wire.send(&self.state, b),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!("lab session {}: {e}", self.id);
                return false;
            }
        }
        true
    }

    /// The end, as the agent and the service do it: wait (at most
    /// [`DRAIN_TIMEOUT`]) until every output frame is acknowledged on an
    /// attached websocket, send
    /// `channel_closed` (empty `Output`: the client prints its own
    /// "Exiting session" line), end the session, then keep reading until
    /// the client closes the websocket or [`LINGER_TIMEOUT`] passes.
    async fn close(mut self, rx: &mut mpsc::UnboundedReceiver<AgentMsg>, terminated: bool) {
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        // A client that never connected yet (a command that ended before
        // the data channel opened) gets the longer wait to connect first:
        // the agent holds the output for it, as AWS does.
        let mut drain_until = tokio::time::Instant::now()
            + if self.wire.attached == u64::MAX {
                ATTACH_TIMEOUT
            } else {
                DRAIN_TIMEOUT
            };
        let mut waiting_for_first = self.wire.attached == u64::MAX;
        // Detached meanwhile (a dropped connection): the client may resume
        // and get the rest, so wait for that too.
        // Output held until the client answers the handshake (a command
        // that ended first) still goes out before the channel closes.
        while !terminated
            && (self.ch.unacked() > 0
                || self.wire.out.is_none()
                || (!self.handshake_done && !self.held.is_empty()))
        {
            tokio::select! {
                () = tokio::time::sleep_until(drain_until) => break,
                msg = rx.recv() => match msg {
                    Some(AgentMsg::Frame(b)) => {
                        self.on_frame(&b);
                    }
                    other => {
                        if !self.wire.control(other.as_ref(), &mut self.ch, &self.state) {
                            break;
                        }
                        if waiting_for_first && self.wire.attached != u64::MAX {
                            waiting_for_first = false;
                            drain_until = tokio::time::Instant::now() + DRAIN_TIMEOUT;
                        }
                    }
                },
                _ = tick.tick() => {
                    if !self.on_tick() {
                        break;
                    }
                }
            }
        }
        let closed = ClientMessage::new(
            CHANNEL_CLOSED,
            0,
            PayloadType::Output,
            json!({
                "MessageType": CHANNEL_CLOSED,
                "MessageId": uuid_v4(),
                "CreatedDate": crate::protocol::iso8601_ms(now_s()),
                "DestinationId": self.id,
                "SessionId": self.id,
                "SchemaVersion": 1,
                "Output": "",
            })
            .to_string()
            .into_bytes(),
        );
        self.wire.send(&self.state, closed.encode());
        self.wire.flush();
        end_session(&self.state, &self.id);
        let linger_until = tokio::time::Instant::now() + LINGER_TIMEOUT;
        while self.wire.out.is_some() {
            tokio::select! {
                () = tokio::time::sleep_until(linger_until) => break,
                msg = rx.recv() => match msg {
                    Some(AgentMsg::Frame(b)) => {
                        // Acknowledgements only: nothing runs any more.
                        if let Ok(m) = ClientMessage::decode(&b) {
                            let _ = self.ch.receive(m, Instant::now());
                        }
                    }
                    other => {
                        if !self.wire.control(other.as_ref(), &mut self.ch, &self.state) {
                            break;
                        }
                    }
                },
            }
        }
        // Dropping the wire closes the websocket.
    }
}

fn uuid_v4() -> String {
    let mut rng = rand::rng();
    let b: [u8; 16] = rng.random();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
        u16::from_be_bytes([b[4], b[5]]),
        u16::from_be_bytes([b[6], b[7]]) & 0x0fff,
        (u16::from_be_bytes([b[8], b[9]]) & 0x3fff) | 0x8000,
        u64::from_be_bytes([0, 0, b[10], b[11], b[12], b[13], b[14], b[15]]),
    )
}

/// One session's agent task: the shell (or the forwarded connections),
/// the channel, the attached socket, until the shell ends, the client
/// terminates or TerminateSession; then [`Agent::close`].
async fn run_agent(
    state: Arc<LabState>,
    id: String,
    target: String,
    port: Option<PortTarget>,
    command: Option<String>,
    mut rx: mpsc::UnboundedReceiver<AgentMsg>,
) {
    // A shell reads from its PTY; a port session from its TCP connections.
    let (shell, mut pty_rx) = if port.is_none() {
        match spawn_shell(&state, &target, command.as_deref()) {
            Ok((s, rx)) => (Some(s), rx),
            Err(e) => {
                tracing::warn!("lab session {id}: cannot start a shell: {e}");
                // Ended, so a resume is refused instead of attaching to nothing.
                end_session(&state, &id);
                return;
            }
        }
    } else {
        (None, mpsc::unbounded_channel().1)
    };
    let legacy = state
        .faults
        .read()
        .expect("faults lock")
        .session_legacy_port;
    let mut ports = PortBridge::default();
    let mut port_rx = ports.take_reader();
    let mut agent = Agent {
        state: state.clone(),
        id: id.clone(),
        ch: Channel::new(OUTPUT_STREAM, INPUT_STREAM),
        wire: Wire {
            out: None,
            attached: u64::MAX,
            since: Instant::now(),
            swap: None,
        },
        shell,
        port,
        legacy,
        interactive: command.is_some(),
        ports,
        handshake_done: false,
        held: Vec::new(),
        started: Instant::now(),
    };
    agent.handshake(&target);
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let terminated = loop {
        tokio::select! {
            msg = rx.recv() => match msg {
                Some(AgentMsg::Frame(bytes)) => {
                    if agent.on_frame(&bytes) {
                        break false;
                    }
                }
                other => {
                    if !agent.wire.control(other.as_ref(), &mut agent.ch, &state) {
                        break true;
                    }
                }
            },
            Some((sid, data)) = port_rx.recv() => agent.on_port_read(sid, data),
            chunk = pty_rx.recv(), if agent.shell.is_some() => match chunk {
                Some(Some(bytes)) => agent.on_pty(&bytes),
                // The shell ended. The agent sends no exit code for a shell
                // (only non-interactive commands carry one).
                _ => break false,
            },
            _ = tick.tick() => {
                if !agent.on_tick() {
                    break true;
                }
            }
        }
    };
    if let Some(sh) = agent.shell.as_mut() {
        let _ = sh.child.kill();
        let _ = sh.child.wait();
        if let Some(pid) = sh.child.process_id() {
            state
                .process_groups
                .lock()
                .expect("pgids lock")
                .remove(&(pid as i32));
        }
    }
    agent.close(&mut rx, terminated).await;
}

/// Marks session `id` ended: no agent, listed in History, not resumable.
fn end_session(state: &LabState, id: &str) {
    if let Some(s) = state
        .sessions
        .lock()
        .expect("sessions lock")
        .sessions
        .get_mut(id)
    {
        s.status = "Terminated";
        s.end.get_or_insert(now_s());
        s.agent = None;
    }
}
