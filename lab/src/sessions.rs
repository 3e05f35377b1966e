//! Session Manager in the lab: StartSession, ResumeSession,
//! TerminateSession, DescribeSessions, and a websocket gateway on loopback
//! (`/v1/data-channel/<session id>`) that speaks the agent side of the data
//! channel protocol: the handshake, a real local shell in a PTY per session
//! (portable-pty), Size messages applied to the PTY, acknowledgements and
//! retransmission in both directions (the `ssmdeck-protocol` crate), and a
//! backlog kept across a dropped connection so ResumeSession continues
//! where it stopped.
//!
//! Fault knob: [`crate::LabHandle::drop_session_connections`] closes every
//! open data channel websocket (the shells keep running) to test resume.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::Response;
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
    /// Port forwarding: the host (loopback) and port; `None` for a shell.
    port: Option<(String, u16)>,
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
            Some(("127.0.0.1".to_owned(), p))
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

/// `GET /v1/data-channel/{id}`: the websocket of a session.
pub(crate) async fn data_channel(
    ws: WebSocketUpgrade,
    Path(id): Path<String>,
    State(state): State<Arc<LabState>>,
) -> Response {
    ws.on_upgrade(move |socket| serve(state, id, socket))
}

async fn serve(state: Arc<LabState>, id: String, socket: WebSocket) {
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

fn spawn_shell(
    state: &LabState,
    target: &str,
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
    let mut cmd = if std::path::Path::new("/bin/bash").exists() {
        let mut c = CommandBuilder::new("/bin/bash");
        c.args(["--noprofile", "--norc", "-i"]);
        c
    } else {
        let mut c = CommandBuilder::new("/bin/sh");
        c.arg("-i");
        c
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

/// The TCP side of a port session: one loopback connection per smux stream.
struct PortBridge {
    decoder: Decoder,
    writers: std::collections::HashMap<u32, mpsc::UnboundedSender<Vec<u8>>>,
    read_tx: mpsc::UnboundedSender<(u32, Option<Vec<u8>>)>,
    read_rx: mpsc::UnboundedReceiver<(u32, Option<Vec<u8>>)>,
}

impl Default for PortBridge {
    fn default() -> Self {
        let (read_tx, read_rx) = mpsc::unbounded_channel();
        PortBridge {
            decoder: Decoder::default(),
            writers: std::collections::HashMap::new(),
            read_tx,
            read_rx,
        }
    }
}

impl PortBridge {
    /// Raw bytes from the client (agents before smux): the one connection
    /// (stream 0) is opened on first data after a DisconnectToPort.
    fn raw(&mut self, bytes: Vec<u8>, host: &str, port: u16) {
        let read_tx = self.read_tx.clone();
        let w = self.writers.entry(0).or_insert_with(|| {
            let (wtx, wrx) = mpsc::unbounded_channel::<Vec<u8>>();
            tokio::spawn(connect_stream(format!("{host}:{port}"), 0, wrx, read_tx));
            wtx
        });
        let _ = w.send(bytes);
    }

    /// smux bytes from the client: SYN opens a connection to `host:port`
    /// (its data and FIN come back through `read_rx`), PSH writes, FIN
    /// closes the writing side. False when the bytes are not smux.
    fn input(&mut self, bytes: &[u8], host: &str, port: u16) -> bool {
        let Ok(frames) = self.decoder.push(bytes) else {
            return false;
        };
        for f in frames {
            match f.cmd {
                smux::SYN => {
                    let (wtx, wrx) = mpsc::unbounded_channel::<Vec<u8>>();
                    self.writers.insert(f.sid, wtx);
                    tokio::spawn(connect_stream(
                        format!("{host}:{port}"),
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
/// `addr` sends goes to `tx` in chunks, `None` at its end.
async fn connect_stream(
    addr: String,
    sid: u32,
    mut wrx: mpsc::UnboundedReceiver<Vec<u8>>,
    tx: mpsc::UnboundedSender<(u32, Option<Vec<u8>>)>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(conn) = tokio::net::TcpStream::connect(&addr).await else {
        let _ = tx.send((sid, None));
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
}

/// One session's agent: the shell, the channel state, the attached socket.
async fn run_agent(
    state: Arc<LabState>,
    id: String,
    target: String,
    port: Option<(String, u16)>,
    mut rx: mpsc::UnboundedReceiver<AgentMsg>,
) {
    let mut ch = Channel::new(OUTPUT_STREAM, INPUT_STREAM);
    let mut out: Option<mpsc::UnboundedSender<Message>> = None;
    let mut attached = u64::MAX;
    // Fault knobs: a delay on every frame, and pairs sent swapped.
    let swap: std::sync::Mutex<Option<Vec<u8>>> = std::sync::Mutex::new(None);
    let send = |out: &Option<mpsc::UnboundedSender<Message>>, bytes: Vec<u8>| {
        let Some(o) = out else {
            return;
        };
        let (delay, reorder) = {
            let f = state.faults.read().expect("faults lock");
            (f.session_delay_ms, f.session_reorder)
        };
        let mut batch = Vec::new();
        if reorder {
            let first = swap.lock().expect("swap lock").take();
            match first {
                None => {
                    *swap.lock().expect("swap lock") = Some(bytes);
                    return;
                }
                Some(first) => {
                    batch.push(bytes);
                    batch.push(first);
                }
            }
        } else {
            batch.extend(swap.lock().expect("swap lock").take());
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
    };
    // A shell reads from its PTY; a port session from its TCP connections.
    let (mut shell, mut pty_rx) = if port.is_none() {
        match spawn_shell(&state, &target) {
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
    let mut ports = PortBridge::default();
    let legacy = state
        .faults
        .read()
        .expect("faults lock")
        .session_legacy_port;
    let session_type = match (&port, legacy) {
        (None, _) => json!({"SessionType": "Standard_Stream", "Properties": {}}),
        (Some((host, p)), false) => json!({"SessionType": "Port", "Properties": {
            "portNumber": p.to_string(), "host": host, "type": "LocalPortForwarding"
        }}),
        (Some((host, p)), true) => json!({"SessionType": "Port", "Properties": {
            "portNumber": p.to_string(), "host": host
        }}),
    };
    let request = HandshakeRequest {
        agent_version: if legacy { "3.0.161.0" } else { "3.3.1142.0" }.into(),
        actions: vec![RequestedAction {
            action_type: "SessionType".into(),
            parameters: session_type,
        }],
    };
    let started = Instant::now();
    ch.send(
        PayloadType::HandshakeRequest,
        serde_json::to_vec(&request).unwrap_or_default(),
        started,
    );
    let mut handshake_done = false;
    let mut held: Vec<Vec<u8>> = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let mut exit_code: Option<u32> = None;
    loop {
        tokio::select! {
            msg = rx.recv() => match msg {
                Some(AgentMsg::Attach(n, tx)) => {
                    out = Some(tx);
                    attached = n;
                    for b in ch.resend_all(Instant::now()) {
                        send(&out, b);
                    }
                }
                // A late close of an old socket must not cut off the new one.
                Some(AgentMsg::Detach(n)) => {
                    if n == attached {
                        out = None;
                    }
                }
                Some(AgentMsg::Drop) => out = None,
                Some(AgentMsg::Terminate) | None => break,
                Some(AgentMsg::Frame(bytes)) => {
                    let Ok(m) = ClientMessage::decode(&bytes) else {
                        continue;
                    };
                    let (acks, delivered) = ch.receive(m, Instant::now());
                    for a in acks {
                        send(&out, a);
                    }
                    let mut stop = false;
                    for d in delivered {
                        let Inbound::Deliver(m) = d else { continue };
                        match m.payload_type {
                            PayloadType::HandshakeResponse if !handshake_done => {
                                handshake_done = true;
                                let done = HandshakeComplete {
                                    time_to_complete: started.elapsed().as_nanos() as i64,
                                    customer_message: String::new(),
                                };
                                let b = ch.send(
                                    PayloadType::HandshakeComplete,
                                    serde_json::to_vec(&done).unwrap_or_default(),
                                    Instant::now(),
                                );
                                send(&out, b);
                                for chunk in held.drain(..) {
                                    let b = ch.send(PayloadType::Output, chunk, Instant::now());
                                    send(&out, b);
                                }
                            }
                            PayloadType::Output => match (&mut shell, &port) {
                                (Some(sh), _) => {
                                    let _ = sh.writer.write_all(&m.payload);
                                    let _ = sh.writer.flush();
                                }
                                (None, Some((host, p))) if legacy => {
                                    ports.raw(m.payload, host, *p);
                                }
                                (None, Some((host, p))) => {
                                    if !ports.input(&m.payload, host, *p) {
                                        stop = true;
                                    }
                                }
                                (None, None) => {}
                            },
                            PayloadType::Size => {
                                if let (Some(sh), Ok(s)) =
                                    (&mut shell, serde_json::from_slice::<TermSize>(&m.payload))
                                {
                                    let _ = sh.master.resize(PtySize {
                                        rows: s.rows.max(1),
                                        cols: s.cols.max(1),
                                        pixel_width: 0,
                                        pixel_height: 0,
                                    });
                                }
                            }
                            PayloadType::Flag => {
                                let v = m.payload.get(..4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
                                if v == Some(flag::TERMINATE_SESSION) {
                                    stop = true;
                                }
                                if v == Some(flag::DISCONNECT_TO_PORT) {
                                    // The client's connection ended: close ours.
                                    ports.writers.remove(&0);
                                }
                            }
                            _ => {}
                        }
                    }
                    if stop {
                        break;
                    }
                }
            },
            Some((sid, data)) = ports.read_rx.recv() => {
                if legacy {
                    // One raw connection: its bytes as they are.
                    match data {
                        Some(d) => {
                            let b = ch.send(PayloadType::Output, d, Instant::now());
                            send(&out, b);
                        }
                        None => {
                            ports.writers.remove(&sid);
                        }
                    }
                    continue;
                }
                let f = match data {
                    Some(d) => Frame::new(smux::PSH, sid, d),
                    None => {
                        ports.writers.remove(&sid);
                        Frame::new(smux::FIN, sid, Vec::new())
                    }
                };
                let b = ch.send(PayloadType::Output, f.encode(), Instant::now());
                send(&out, b);
            }
            chunk = pty_rx.recv(), if shell.is_some() => match chunk {
                Some(Some(bytes)) => {
                    for piece in bytes.chunks(CHUNK) {
                        if handshake_done {
                            let b = ch.send(PayloadType::Output, piece.to_vec(), Instant::now());
                            send(&out, b);
                        } else {
                            held.push(piece.to_vec());
                        }
                    }
                }
                _ => {
                    // The shell ended: its exit code, then channel_closed.
                    exit_code = shell
                        .as_mut()
                        .and_then(|s| s.child.wait().ok())
                        .map(|s| s.exit_code());
                    break;
                }
            },
            _ = tick.tick() => {
                // A frame held for reordering goes out now if nothing followed it.
                let pending = swap.lock().expect("swap lock").take();
                if let (Some(o), Some(b)) = (&out, pending) {
                    let _ = o.send(Message::Binary(b.into()));
                }
                match ch.due(Instant::now()) {
                    Ok(Some(b)) => send(&out, b),
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!("lab session {id}: {e}");
                        break;
                    }
                }
            }
        }
    }
    if let Some(sh) = shell.as_mut() {
        let _ = sh.child.kill();
        if let Some(pid) = sh.child.process_id() {
            state
                .process_groups
                .lock()
                .expect("pgids lock")
                .remove(&(pid as i32));
        }
    }
    let code = exit_code.unwrap_or(0);
    let b = ch.send(
        PayloadType::ExitCode,
        code.to_string().into_bytes(),
        Instant::now(),
    );
    send(&out, b);
    let closed = ClientMessage::new(
        CHANNEL_CLOSED,
        0,
        PayloadType::Output,
        json!({
            "SessionId": id,
            "Output": format!("Exiting session with sessionId: {id}."),
        })
        .to_string()
        .into_bytes(),
    );
    send(&out, closed.encode());
    end_session(&state, &id);
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
