//! Session Manager against the lab's gateway over a real websocket on
//! loopback: the console's native client opens a shell on a node (a real
//! local shell in a PTY), runs commands, resizes, survives a dropped
//! connection through ResumeSession without losing or repeating anything,
//! and ends as the agent ends a shell: every line delivered before
//! `channel_closed`, no exit-code frame.

use crate::common;

use std::time::Duration;

use ssmdeck::session::client::{self, SessionEvent, SessionInput};
use ssmdeck::session::protocol::TermSize;
use ssmdeck_lab::{Faults, PingStatus};
use tokio::sync::mpsc;

struct Shell {
    input: mpsc::UnboundedSender<SessionInput>,
    events: mpsc::UnboundedReceiver<SessionEvent>,
    raw: Vec<u8>,
    screen: String,
    seen: Vec<SessionEvent>,
}

impl Shell {
    fn keys(&self, s: &str) {
        self.input
            .send(SessionInput::Keys(s.as_bytes().to_vec()))
            .unwrap();
    }

    /// Reads output until `pred(screen)` holds (at most 20 s).
    async fn until(&mut self, what: &str, pred: impl Fn(&str) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        let re = regex::Regex::new("\x1b\\[[0-9;?]*[A-Za-z]").unwrap();
        while !pred(&self.screen) {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(SessionEvent::Output(b))) => {
                    self.raw.extend_from_slice(&b);
                    // The text without terminal control sequences or CRs.
                    self.screen = re
                        .replace_all(&String::from_utf8_lossy(&self.raw), "")
                        .replace('\r', "");
                }
                Ok(Some(e)) => self.seen.push(e),
                other => panic!(
                    "timed out waiting for {what} ({other:?}); output so far:\n{}",
                    self.screen
                ),
            }
        }
    }
}

async fn open(lab: &ssmdeck_lab::LabHandle) -> (Shell, ssmdeck::aws::AwsContext, String) {
    let (ctx, _) = common::context(lab).await;
    let node = lab
        .nodes()
        .into_iter()
        .find(|n| n.ping == PingStatus::Online)
        .unwrap()
        .id;
    let started = client::start(&ctx, &node).await.unwrap();
    assert!(
        started.stream_url.starts_with("ws://127.0.0.1:"),
        "{}",
        started.stream_url
    );
    let id = started.session_id.clone();
    let (in_tx, in_rx) = mpsc::unbounded_channel();
    let (ev_tx, ev_rx) = mpsc::unbounded_channel();
    tokio::spawn(client::run(
        ctx.clone(),
        started,
        TermSize {
            cols: 100,
            rows: 30,
        },
        in_rx,
        ev_tx,
    ));
    let mut shell = Shell {
        input: in_tx,
        events: ev_rx,
        raw: Vec::new(),
        screen: String::new(),
        seen: Vec::new(),
    };
    // Input typed before the handshake completes is held, not lost.
    shell.keys("echo hello-$((40+2))\r");
    shell
        .until("the first output", |s| s.contains("hello-42"))
        .await;
    assert!(shell.seen.contains(&SessionEvent::Ready));
    (shell, ctx, id)
}

#[tokio::test]
async fn a_shell_answers_resizes_and_ends_without_an_exit_code_frame() {
    let lab = common::lab(12, Faults::default()).await;
    let (mut s, ctx, id) = open(&lab).await;
    s.keys("echo $((6*7))\r");
    s.until("42", |t| t.lines().any(|l| l.trim_end() == "42"))
        .await;
    // The size sent at the start is the PTY's size.
    s.keys("stty size\r");
    s.until("the first size", |t| t.contains("30 100")).await;
    s.input.send(SessionInput::Resize(120, 50)).unwrap();
    s.keys("stty size\r");
    s.until("the new size", |t| t.contains("50 120")).await;
    // The node's identity is in the shell's environment.
    s.keys("echo node=$AWS_SSM_INSTANCE_ID\r");
    s.until("the node id", |t| {
        t.contains("node=i-") || t.contains("node=mi-")
    })
    .await;
    // DescribeSessions lists it as active.
    let active = ctx
        .ssm
        .describe_sessions()
        .state(aws_sdk_ssm::types::SessionState::Active)
        .send()
        .await
        .unwrap();
    assert!(
        active
            .sessions()
            .iter()
            .any(|x| x.session_id() == Some(id.as_str()))
    );
    s.keys("exit 3\r");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let closed = loop {
        match tokio::time::timeout_at(deadline, s.events.recv()).await {
            Ok(Some(SessionEvent::Closed { reason, exit_code })) => break (reason, exit_code),
            Ok(Some(_)) => {}
            other => panic!("no close: {other:?}"),
        }
    };
    // A shell's agent sends no exit code (only non-interactive commands
    // carry one), and the service's channel_closed has no Output for a
    // normal exit: the client says what the plugin prints.
    assert_eq!(closed.1, None, "{closed:?}");
    assert_eq!(closed.0, format!("Exiting session with sessionId: {id}."));
    let history = ctx
        .ssm
        .describe_sessions()
        .state(aws_sdk_ssm::types::SessionState::History)
        .send()
        .await
        .unwrap();
    assert!(
        history
            .sessions()
            .iter()
            .any(|x| x.session_id() == Some(id.as_str()))
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn a_dropped_websocket_resumes_without_losing_or_repeating() {
    let lab = common::lab(12, Faults::default()).await;
    let (mut s, _ctx, _id) = open(&lab).await;
    s.keys("for i in 1 2 3 4 5 6 7 8; do echo tick-$i; sleep 0.15; done\r");
    s.until("the first tick", |t| t.contains("tick-2")).await;
    lab.drop_session_connections();
    // Typed while the connection is down: delivered once, after the resume.
    s.keys("echo typed-$((2+3))\r");
    s.until("the last tick and the typed command", |t| {
        t.contains("tick-8") && t.contains("typed-5")
    })
    .await;
    for i in 1..=8 {
        let n = s
            .screen
            .lines()
            .filter(|l| l.trim_end() == format!("tick-{i}"))
            .count();
        assert_eq!(n, 1, "tick-{i} exactly once:\n{}", s.screen);
    }
    assert_eq!(
        s.screen
            .lines()
            .filter(|l| l.trim_end() == "typed-5")
            .count(),
        1,
        "{}",
        s.screen
    );
    assert!(
        s.seen
            .iter()
            .any(|e| matches!(e, SessionEvent::Reconnecting(_))),
        "{:?}",
        s.seen
    );
    assert!(s.seen.contains(&SessionEvent::Resumed), "{:?}", s.seen);
    s.input.send(SessionInput::Terminate).unwrap();
    lab.shutdown().await;
}

#[tokio::test]
async fn a_node_that_is_not_connected_is_refused_clearly() {
    let lab = common::lab(40, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let lost = lab
        .nodes()
        .into_iter()
        .find(|n| n.ping != PingStatus::Online)
        .expect("a node that is not online")
        .id;
    let e = client::start(&ctx, &lost).await.unwrap_err();
    assert_eq!(e.code.as_deref(), Some("TargetNotConnected"), "{e}");
    lab.shutdown().await;
}

/// A port forward through `node` to `to` (`PORT` or `HOST:PORT`) from a
/// free local port, run as the console runs one: the client with flow
/// control and the smux bridge.
struct Forwarding {
    local: u16,
    input: mpsc::UnboundedSender<SessionInput>,
    events: mpsc::UnboundedReceiver<SessionEvent>,
    stats: mpsc::UnboundedReceiver<ssmdeck::session::forward::ForwardStats>,
}

async fn forward_to(
    ctx: &ssmdeck::aws::AwsContext,
    node: &str,
    to: &str,
    credit: std::sync::Arc<tokio::sync::Semaphore>,
) -> Forwarding {
    use ssmdeck::session::forward::{self, ForwardSpec};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let local = listener.local_addr().unwrap().port();
    let spec = ForwardSpec::parse(&format!("{local}:{to}")).unwrap();
    let started = forward::start(ctx, node, &spec, local).await.unwrap();
    let (in_tx, in_rx) = mpsc::unbounded_channel();
    let (ev_tx, ev_rx) = mpsc::unbounded_channel();
    let (out_tx, out_rx) = mpsc::unbounded_channel();
    let (stats_tx, stats_rx) = mpsc::unbounded_channel();
    tokio::spawn(client::run_port(
        ctx.clone(),
        started,
        in_rx,
        ev_tx,
        credit.clone(),
    ));
    tokio::spawn(forward::bridge(
        listener,
        in_tx.clone(),
        ev_rx,
        out_tx,
        stats_tx,
        credit,
    ));
    Forwarding {
        local,
        input: in_tx,
        events: out_rx,
        stats: stats_rx,
    }
}

/// A loopback echo server for the forwarding tests; returns its port.
pub(crate) async fn echo_server() -> u16 {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((c, _)) = l.accept().await {
            tokio::spawn(async move {
                let (mut r, mut w) = c.into_split();
                let _ = tokio::io::copy(&mut r, &mut w).await;
                use tokio::io::AsyncWriteExt;
                let _ = w.shutdown().await;
            });
        }
    });
    port
}

#[tokio::test]
async fn port_forwarding_moves_ten_megabytes_intact_over_several_connections() {
    use ssmdeck::session::forward;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let lab = common::lab(12, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let node = lab
        .nodes()
        .into_iter()
        .find(|n| n.ping == PingStatus::Online)
        .unwrap()
        .id;
    let echo = echo_server().await;
    let credit = forward::credit();
    let fwd = forward_to(&ctx, &node, &format!("127.0.0.1:{echo}"), credit.clone()).await;
    let (local, in_tx) = (fwd.local, fwd.input.clone());
    let mut out_rx = fwd.events;
    let mut stats_rx = fwd.stats;
    // Three connections at once: 10 MB through one, small messages on two.
    let big: Vec<u8> = (0..10 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let mut tasks = Vec::new();
    for (i, payload) in [big.clone(), b"ping-1".to_vec(), b"ping-2".to_vec()]
        .into_iter()
        .enumerate()
    {
        tasks.push(tokio::spawn(async move {
            let c = tokio::net::TcpStream::connect(("127.0.0.1", local))
                .await
                .unwrap();
            let (mut r, mut w) = c.into_split();
            let expected = payload.len();
            let writer = tokio::spawn(async move {
                w.write_all(&payload).await.unwrap();
                w.shutdown().await.unwrap();
            });
            let mut got = Vec::with_capacity(expected);
            let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
            while got.len() < expected {
                let mut buf = vec![0u8; 64 * 1024];
                let n = tokio::time::timeout_at(deadline, r.read(&mut buf))
                    .await
                    .unwrap_or_else(|_| panic!("connection {i} stalled at {} bytes", got.len()))
                    .unwrap();
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
            }
            writer.await.unwrap();
            got
        }));
    }
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    assert_eq!(results[0].len(), big.len());
    assert!(results[0] == big, "10 MB came back intact");
    assert_eq!(results[1], b"ping-1");
    assert_eq!(results[2], b"ping-2");
    let mut last = None;
    while let Ok(s) = stats_rx.try_recv() {
        last = Some(s);
    }
    let s = last.unwrap();
    assert_eq!(s.total, 3);
    assert!(
        s.bytes_out >= big.len() as u64 && s.bytes_in >= big.len() as u64,
        "{s:?}"
    );
    let mut seen = Vec::new();
    while let Ok(e) = out_rx.try_recv() {
        seen.push(e);
    }
    assert!(seen.contains(&SessionEvent::Ready), "{seen:?}");
    assert!(
        seen.iter()
            .any(|e| matches!(e, SessionEvent::Handshake { smux: true, .. })),
        "{seen:?}"
    );
    in_tx.send(SessionInput::Terminate).unwrap();
    lab.shutdown().await;
}

#[tokio::test]
async fn reordered_and_delayed_frames_arrive_in_order_once() {
    let lab = common::lab(12, Faults::default()).await;
    lab.set_faults(Faults {
        session_reorder: true,
        session_delay_ms: 30,
        ..Faults::default()
    });
    let (mut s, _ctx, _id) = open(&lab).await;
    s.keys("for i in $(seq 1 40); do echo row-$i; done\r");
    s.until("the last row", |t| t.contains("row-40\n")).await;
    let rows: Vec<&str> = s.screen.lines().filter(|l| l.starts_with("row-")).collect();
    let want: Vec<String> = (1..=40).map(|i| format!("row-{i}")).collect();
    assert_eq!(rows, want, "in order, each once, despite swapped pairs");
    s.input.send(SessionInput::Terminate).unwrap();
    lab.shutdown().await;
}

#[tokio::test]
async fn port_forwarding_to_an_agent_without_smux_takes_one_connection_at_a_time() {
    use ssmdeck::session::forward;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let lab = common::lab(12, Faults::default()).await;
    lab.set_faults(Faults {
        session_legacy_port: true,
        ..Faults::default()
    });
    let (ctx, _) = common::context(&lab).await;
    let node = lab
        .nodes()
        .into_iter()
        .find(|n| n.ping == PingStatus::Online)
        .unwrap()
        .id;
    let echo = echo_server().await;
    let credit = forward::credit();
    let fwd = forward_to(&ctx, &node, &format!("{echo}"), credit.clone()).await;
    let (local, in_tx) = (fwd.local, fwd.input.clone());
    let mut out_rx = fwd.events;
    for round in ["first", "second"] {
        let mut c = tokio::net::TcpStream::connect(("127.0.0.1", local))
            .await
            .unwrap();
        c.write_all(round.as_bytes()).await.unwrap();
        let mut buf = vec![0u8; round.len()];
        tokio::time::timeout(Duration::from_secs(20), c.read_exact(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("{round} connection got no echo"))
            .unwrap();
        assert_eq!(buf, round.as_bytes());
        drop(c);
    }
    let mut saw = None;
    while let Ok(e) = out_rx.try_recv() {
        if let SessionEvent::Handshake {
            smux,
            agent_version,
        } = e
        {
            saw = Some((smux, agent_version));
        }
    }
    assert_eq!(
        saw,
        Some((false, "3.0.161.0".to_owned())),
        "basic mode chosen from the handshake"
    );
    in_tx.send(SessionInput::Terminate).unwrap();
    lab.shutdown().await;
}

#[tokio::test]
async fn a_slow_local_reader_slows_the_session_and_all_credit_comes_back() {
    use ssmdeck::session::forward;
    // A small credit, so the slow reader must hold the session up.
    const CREDIT: usize = 256 * 1024;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const SIZE: usize = 12 * 1024 * 1024;
    let lab = common::lab(12, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let node = lab
        .nodes()
        .into_iter()
        .find(|n| n.ping == PingStatus::Online)
        .unwrap()
        .id;
    // A source that sends 12 MB to whoever connects, as fast as it can.
    let source = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let source_port = source.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut c, _)) = source.accept().await {
            tokio::spawn(async move {
                let data = vec![5u8; SIZE];
                let _ = c.write_all(&data).await;
            });
        }
    });
    let credit = forward::credit_of(CREDIT);
    let fwd = forward_to(&ctx, &node, &format!("{source_port}"), credit.clone()).await;
    let (local, in_tx) = (fwd.local, fwd.input.clone());
    // One reader gives up early: what was on its way is not credit lost.
    let mut early = tokio::net::TcpStream::connect(("127.0.0.1", local))
        .await
        .unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    early.read_exact(&mut buf).await.unwrap();
    drop(early);
    // A slow reader takes everything; the session waits for it.
    let mut slow = tokio::net::TcpStream::connect(("127.0.0.1", local))
        .await
        .unwrap();
    let mut got = 0;
    let mut lowest = CREDIT;
    // About 8 MB/s: slower than the session carries.
    let mut buf = vec![0u8; 16 * 1024];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while got < SIZE {
        let n = tokio::time::timeout_at(deadline, slow.read(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("stalled at {got} bytes"))
            .unwrap();
        assert!(n > 0, "closed at {got} bytes");
        got += n;
        lowest = lowest.min(credit.available_permits());
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert!(
        lowest < CREDIT / 4,
        "flow control engaged: the credit went down to {lowest}"
    );
    // Everything read, both connections done: all credit is back.
    drop(slow);
    let back = tokio::time::Instant::now() + Duration::from_secs(10);
    while credit.available_permits() < CREDIT && tokio::time::Instant::now() < back {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(credit.available_permits(), CREDIT, "no credit leaked");
    in_tx.send(SessionInput::Terminate).unwrap();
    lab.shutdown().await;
}

/// Runs `seq 1 2000; exit` in a new shell and returns every output byte
/// up to the close, and the close.
async fn seq_then_exit(lab: &ssmdeck_lab::LabHandle) -> (String, SessionEvent) {
    let (mut s, _ctx, _id) = open(lab).await;
    s.keys("seq 1 2000; exit\r");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let closed = loop {
        match tokio::time::timeout_at(deadline, s.events.recv()).await {
            Ok(Some(SessionEvent::Output(b))) => s.raw.extend_from_slice(&b),
            Ok(Some(e @ SessionEvent::Closed { .. })) => break e,
            Ok(Some(_)) => {}
            other => panic!(
                "no close: {other:?}; output:\n{}",
                String::from_utf8_lossy(&s.raw)
            ),
        }
    };
    let re = regex::Regex::new("\x1b\\[[0-9;?]*[A-Za-z]").unwrap();
    let text = re
        .replace_all(&String::from_utf8_lossy(&s.raw), "")
        .replace('\r', "");
    (text, closed)
}

#[tokio::test]
async fn the_end_of_a_shell_arrives_every_time_before_the_channel_closes() {
    // Frames to the client delayed and swapped in pairs: at the end some
    // output is still unacknowledged (or held) when the shell exits. The
    // gateway must deliver it all, then close; five runs, every one whole.
    let lab = common::lab(12, Faults::default()).await;
    lab.set_faults(Faults {
        session_reorder: true,
        session_delay_ms: 20,
        ..Faults::default()
    });
    for run in 0..5 {
        let (text, closed) = seq_then_exit(&lab).await;
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()))
            .collect();
        assert_eq!(lines.last().copied(), Some("2000"), "run {run}: {closed:?}");
        let want: Vec<String> = (1..=2000).map(|i| i.to_string()).collect();
        assert_eq!(lines, want, "run {run}: every line once, in order");
        assert!(
            matches!(&closed, SessionEvent::Closed { exit_code: None, reason } if reason.starts_with("Exiting session")),
            "run {run}: {closed:?}"
        );
    }
    lab.shutdown().await;
}

/// A port nothing listens on (bound, then closed).
async fn closed_port() -> u16 {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test]
async fn a_refused_destination_sends_the_connection_failed_flag() {
    use tokio::io::AsyncReadExt;
    let lab = common::lab(12, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let node = lab
        .nodes()
        .into_iter()
        .find(|n| n.ping == PingStatus::Online)
        .unwrap();
    let port = closed_port().await;
    let credit = ssmdeck::session::forward::credit();
    let mut f = forward_to(&ctx, &node.id, &port.to_string(), credit).await;
    // The handshake carries the node's own agent version.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut conn: Option<tokio::net::TcpStream> = None;
    loop {
        match tokio::time::timeout_at(deadline, f.events.recv()).await {
            Ok(Some(SessionEvent::Handshake { agent_version, .. })) => {
                assert_eq!(agent_version, node.agent_version);
                conn = Some(
                    tokio::net::TcpStream::connect(("127.0.0.1", f.local))
                        .await
                        .unwrap(),
                );
            }
            Ok(Some(SessionEvent::ConnectToPortFailed)) => break,
            Ok(Some(_)) => {}
            other => panic!("no ConnectToPortFailed: {other:?}"),
        }
    }
    // The local connection is closed after it (smux FIN), the session lives on.
    let mut c = conn.expect("connected before the flag");
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(Duration::from_secs(10), c.read(&mut buf))
        .await
        .expect("the local connection ends")
        .unwrap_or(0);
    assert_eq!(n, 0);
    f.input.send(SessionInput::Terminate).unwrap();
    lab.shutdown().await;
}

/// The handshake request of a port session to 5432 asking for local port
/// 15432, with the old-agent knob set or not, and the node's agent version.
async fn port_handshake(legacy: bool) -> (ssmdeck::session::protocol::HandshakeRequest, String) {
    use futures::StreamExt;
    use ssmdeck::session::protocol::{ClientMessage, PayloadType};
    use tokio_tungstenite::tungstenite::Message;
    let lab = common::lab(12, Faults::default()).await;
    lab.set_faults(Faults {
        session_legacy_port: legacy,
        ..Faults::default()
    });
    let (ctx, _) = common::context(&lab).await;
    let node = lab
        .nodes()
        .into_iter()
        .find(|n| n.ping == PingStatus::Online)
        .unwrap();
    let out = ctx
        .ssm
        .start_session()
        .target(&node.id)
        .document_name("AWS-StartPortForwardingSession")
        .parameters("portNumber", vec!["5432".into()])
        .parameters("localPortNumber", vec!["15432".into()])
        .send()
        .await
        .unwrap();
    let mut ws = common::open_channel(&out).await;
    let first = loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
            Ok(Some(Ok(Message::Binary(b)))) => break ClientMessage::decode(&b).unwrap(),
            Ok(Some(Ok(_))) => {}
            other => panic!("no handshake: {other:?}"),
        }
    };
    assert_eq!(first.payload_type, PayloadType::HandshakeRequest);
    lab.shutdown().await;
    (
        serde_json::from_slice(&first.payload).unwrap(),
        node.agent_version,
    )
}

#[tokio::test]
async fn the_port_handshake_names_the_local_port_asked_for() {
    let (req, node_version) = port_handshake(false).await;
    assert_eq!(req.agent_version, node_version);
    let props = &req.actions[0].parameters["Properties"];
    assert_eq!(props["localPortNumber"], "15432", "{props}");
    assert_eq!(props["portNumber"], "5432", "{props}");
    assert_eq!(props["type"], "LocalPortForwarding", "{props}");
}

/// An old agent echoes the document's properties as a new one does: the
/// official plugin listens on a local port only with `type:
/// LocalPortForwarding` (without it, it forwards its stdin and stdout, as for
/// AWS-StartSSHSession), and picks basic mode from the version alone.
#[tokio::test]
async fn an_old_agent_port_handshake_keeps_the_document_type() {
    let (req, _) = port_handshake(true).await;
    assert_eq!(req.agent_version, "3.0.161.0");
    assert!(!client::uses_smux(&req), "basic mode, from the version");
    let props = &req.actions[0].parameters["Properties"];
    assert_eq!(props["type"], "LocalPortForwarding", "{props}");
    assert_eq!(props["localPortNumber"], "15432", "{props}");
}

#[tokio::test]
async fn an_interactive_command_session_runs_its_command() {
    let lab = common::lab(12, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let node = lab
        .nodes()
        .into_iter()
        .find(|n| n.ping == PingStatus::Online)
        .unwrap()
        .id;
    let out = ctx
        .ssm
        .start_session()
        .target(&node)
        .document_name("AWS-StartInteractiveCommand")
        .parameters("command", vec!["echo interactive-$((6*7))".into()])
        .send()
        .await
        .unwrap();
    let started = client::Started {
        session_id: out.session_id().unwrap().to_owned(),
        token: out.token_value().unwrap().to_owned(),
        stream_url: out.stream_url().unwrap().to_owned(),
    };
    let (_in_tx, in_rx) = mpsc::unbounded_channel();
    let (ev_tx, mut ev_rx) = mpsc::unbounded_channel();
    tokio::spawn(client::run(
        ctx.clone(),
        started,
        TermSize { cols: 80, rows: 24 },
        in_rx,
        ev_tx,
    ));
    let mut text = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        match tokio::time::timeout_at(deadline, ev_rx.recv()).await {
            Ok(Some(SessionEvent::Output(b))) => text.extend(b),
            Ok(Some(SessionEvent::Closed { .. })) => break,
            Ok(Some(_)) => {}
            other => panic!("no close: {other:?}"),
        }
    }
    let text = String::from_utf8_lossy(&text);
    assert!(text.contains("interactive-42"), "{text}");
    lab.shutdown().await;
}

#[tokio::test]
async fn the_drop_knob_closes_websockets_and_the_client_resumes() {
    let lab = common::lab(12, Faults::default()).await;
    lab.set_faults(Faults {
        session_drop_every_ms: 700,
        ..Faults::default()
    });
    let (mut s, _ctx, _id) = open(&lab).await;
    s.keys("sleep 2; echo after-$((1+1))\r");
    s.until("output after the drops", |t| t.contains("after-2\n"))
        .await;
    assert!(
        s.seen
            .iter()
            .any(|e| matches!(e, SessionEvent::Reconnecting(_))),
        "{:?}",
        s.seen
    );
    assert!(s.seen.contains(&SessionEvent::Resumed), "{:?}", s.seen);
    s.input.send(SessionInput::Terminate).unwrap();
    lab.shutdown().await;
}
