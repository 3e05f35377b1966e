//! The lab's session gateway checked with the official
//! session-manager-plugin as a local oracle: the plugin (its path in
//! `SSMDECK_TEST_SESSION_PLUGIN`) runs in a tmux terminal as the AWS CLI
//! runs it (`session-manager-plugin RESPONSE REGION StartSession PROFILE
//! REQUEST ENDPOINT`), against an in-process lab on loopback.
//!
//! Not run by scripts/test (CI has no plugin; it passes `--skip oracle_`):
//! `SSMDECK_TEST_SESSION_PLUGIN=PATH cargo test --test integration oracle_ -- --ignored`.

use crate::common;
use crate::lab_sessions::echo_server;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use serde_json::json;
use ssmdeck_lab::{Faults, LabHandle, LabNode, PingStatus};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The plugin under test; panics when the variable is unset, so that an
/// oracle run without the oracle fails instead of passing vacuously.
pub(crate) fn plugin() -> PathBuf {
    let p = std::env::var_os("SSMDECK_TEST_SESSION_PLUGIN").unwrap_or_else(|| {
        panic!(
            "SSMDECK_TEST_SESSION_PLUGIN is not set: point it at the official \
             session-manager-plugin binary to run the oracle_ tests"
        )
    });
    let p = PathBuf::from(p);
    assert!(
        p.is_file(),
        "SSMDECK_TEST_SESSION_PLUGIN={} is no file",
        p.display()
    );
    p
}

/// One plugin run in its own tmux server, everything it prints appended to
/// a file (pipe-pane: all of it, not just the last screen).
struct PluginTerm {
    socket: String,
    log: PathBuf,
}

impl PluginTerm {
    /// Starts `plugin` for the StartSession `response` of `request` in a
    /// 200×50 terminal. The plugin starts only once the pane's output is
    /// piped (a tmux wait-for channel), and the pane prints
    /// `PLUGIN-EXIT:<code>` when it exits.
    fn start(
        lab: &LabHandle,
        name: &str,
        response: &serde_json::Value,
        request: &serde_json::Value,
    ) -> PluginTerm {
        // One tmux server per run, whatever tests run at once.
        static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let socket = format!("ssmdeck-oracle-{name}-{}-{n}", std::process::id());
        let log = std::env::temp_dir().join(format!("{socket}.log"));
        let _ = std::fs::remove_file(&log);
        let creds = lab.credentials();
        // JSON has no single quote: single-quoting is enough for sh. The
        // shell traps SIGINT so that Ctrl-C (for the plugin) does not end it.
        let script = format!(
            "tmux -L {socket} wait-for go; trap : INT; \
             AWS_ACCESS_KEY_ID='{ak}' AWS_SECRET_ACCESS_KEY='{sk}' AWS_REGION='{region}' \
             '{plugin}' '{response}' {region} StartSession '' '{request}' '{endpoint}'; \
             echo \"PLUGIN-EXIT:$?\"; exec cat",
            ak = creds.access_key_id,
            sk = creds.secret_access_key,
            region = lab.region(),
            plugin = plugin().display(),
            endpoint = lab.endpoint_url(),
        );
        let t = PluginTerm { socket, log };
        t.tmux(&[
            "new-session",
            "-d",
            "-s",
            "p",
            "-x",
            "200",
            "-y",
            "50",
            "sh",
            "-c",
            &script,
        ]);
        t.tmux(&[
            "pipe-pane",
            "-t",
            "p",
            "-o",
            &format!("cat >> '{}'", t.log.display()),
        ]);
        t.tmux(&["wait-for", "-S", "go"]);
        t
    }

    fn tmux(&self, args: &[&str]) {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux is installed");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "p"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// What the plugin printed so far, without control sequences or CRs.
    fn text(&self) -> String {
        clean(&std::fs::read(&self.log).unwrap_or_default())
    }

    /// Waits (at most `secs`) until the output satisfies `pred`; the output,
    /// or `Err` with it on timeout.
    async fn wait(&self, secs: u64, pred: impl Fn(&str) -> bool) -> Result<String, String> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let t = self.text();
            if pred(&t) {
                return Ok(t);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(t);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Like [`PluginTerm::wait`], panicking with `what` and the output on timeout.
    async fn expect(&self, what: &str, secs: u64, pred: impl Fn(&str) -> bool) -> String {
        self.wait(secs, pred)
            .await
            .unwrap_or_else(|t| panic!("timed out waiting for {what}; plugin output:\n{t}"))
    }
}

impl Drop for PluginTerm {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// Terminal output as text: CSI sequences and CRs removed.
fn clean(raw: &[u8]) -> String {
    let re = regex::Regex::new("\x1b\\[[0-9;?]*[A-Za-z]").unwrap();
    re.replace_all(&String::from_utf8_lossy(raw), "")
        .replace('\r', "")
}

/// The plugin's exit code once the pane printed it.
fn exit_code(text: &str) -> Option<i32> {
    let re = regex::Regex::new(r"PLUGIN-EXIT:(\d+)").unwrap();
    re.captures(text).and_then(|c| c[1].parse().ok())
}

/// StartSession through the SDK: the response and request JSON the AWS CLI
/// hands the plugin.
async fn start_session(
    lab: &LabHandle,
    node: &str,
    document: Option<&str>,
    params: &[(&str, String)],
) -> (serde_json::Value, serde_json::Value) {
    let (ctx, _) = common::context(lab).await;
    let mut call = ctx.ssm.start_session().target(node);
    let mut request = json!({"Target": node});
    if let Some(d) = document {
        call = call.document_name(d);
        request["DocumentName"] = json!(d);
    }
    for (k, v) in params {
        call = call.parameters(*k, vec![v.clone()]);
        request["Parameters"][*k] = json!([v]);
    }
    let out = call.send().await.expect("StartSession");
    let response = json!({
        "SessionId": out.session_id(),
        "TokenValue": out.token_value(),
        "StreamUrl": out.stream_url(),
    });
    (response, request)
}

fn online(lab: &LabHandle) -> LabNode {
    lab.nodes()
        .into_iter()
        .find(|n| n.ping == PingStatus::Online)
        .expect("an online node")
}

/// How one `seq 1 2000; exit` through the plugin ended.
#[derive(Debug)]
struct ShellRun {
    /// Distinct numbers 1..=2000 printed, and whether in order, each once.
    lines: usize,
    in_order: bool,
    /// The plugin's exit code; `None`: still running after the timeout.
    exit: Option<i32>,
    /// A line `0` after the last line of the output (an exit-code frame).
    stray_zero: bool,
}

impl ShellRun {
    fn ok(&self) -> bool {
        self.lines == 2000 && self.in_order && self.exit == Some(0) && !self.stray_zero
    }
}

async fn one_shell_run(lab: &LabHandle, node: &LabNode, run: usize) -> ShellRun {
    let (response, request) = start_session(lab, &node.id, None, &[]).await;
    let t = PluginTerm::start(lab, &format!("shell{run}"), &response, &request);
    let prompt = format!("{}$ ", node.name);
    t.expect("the prompt", 30, |s| {
        s.contains("Starting session") && s.contains(&prompt)
    })
    .await;
    t.keys(&["-l", "seq 1 2000; exit"]);
    t.keys(&["Enter"]);
    let text = match t.wait(30, |s| exit_code(s).is_some()).await {
        Ok(s) | Err(s) => s,
    };
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let numbers: Vec<u32> = lines
        .iter()
        .filter_map(|l| l.parse::<u32>().ok())
        .filter(|n| (1..=2000).contains(n))
        .collect();
    let distinct: std::collections::BTreeSet<u32> = numbers.iter().copied().collect();
    let last = lines.iter().rposition(|l| *l == "2000");
    ShellRun {
        lines: distinct.len(),
        in_order: numbers == (1..=2000).collect::<Vec<_>>(),
        exit: exit_code(&text),
        stray_zero: last.is_some_and(|i| lines[i + 1..].contains(&"0")),
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the official session-manager-plugin: SSMDECK_TEST_SESSION_PLUGIN=PATH cargo test --test integration oracle_ -- --ignored"]
async fn oracle_the_plugin_gets_every_line_of_a_shell_and_exits_ten_times_in_ten() {
    plugin();
    let lab = common::lab(12, Faults::default()).await;
    let node = online(&lab);
    let mut runs = Vec::new();
    for run in 1..=10 {
        runs.push(one_shell_run(&lab, &node, run).await);
    }
    let good = runs.iter().filter(|r| r.ok()).count();
    println!("oracle shell: {good}/10 runs whole, exited 0, no stray 0: {runs:?}");
    assert_eq!(
        good, 10,
        "every run gets line 2000, exits by itself and prints no exit code: {runs:#?}"
    );
    lab.shutdown().await;
}

/// With the delay and reorder knobs the output still arrives whole and in
/// order, and the plugin still exits by itself.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the official session-manager-plugin: SSMDECK_TEST_SESSION_PLUGIN=PATH cargo test --test integration oracle_ -- --ignored"]
async fn oracle_the_plugin_gets_every_line_through_delayed_and_swapped_frames() {
    plugin();
    let lab = common::lab(12, Faults::default()).await;
    lab.set_faults(Faults {
        session_delay_ms: 200,
        session_reorder: true,
        ..Faults::default()
    });
    let node = online(&lab);
    let mut runs = Vec::new();
    for run in 1..=3 {
        runs.push(one_shell_run(&lab, &node, run).await);
    }
    println!("oracle shell, delay 200 ms and reorder: {runs:?}");
    assert!(runs.iter().all(ShellRun::ok), "{runs:#?}");
    lab.shutdown().await;
}

/// A loopback port nothing listens on (bound, then released).
async fn free_port() -> u16 {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

/// A port forwarding session to `dest` through the plugin, asking for a
/// free local port; waits until the plugin listens and returns the port.
async fn forward(lab: &LabHandle, name: &str, dest: u16) -> (PluginTerm, u16) {
    let node = online(lab);
    let local = free_port().await;
    let (response, request) = start_session(
        lab,
        &node.id,
        Some("AWS-StartPortForwardingSession"),
        &[
            ("portNumber", dest.to_string()),
            ("localPortNumber", local.to_string()),
        ],
    )
    .await;
    let t = PluginTerm::start(lab, name, &response, &request);
    t.expect("the plugin to listen", 30, |s| {
        s.contains("opened for sessionId")
    })
    .await;
    let text = t.text();
    assert!(
        text.contains(&format!("Port {local} opened for sessionId")),
        "the plugin listens on the local port asked for ({local}):\n{text}"
    );
    (t, local)
}

/// Writes `payload` to the local port and reads the echo back (20 s).
async fn round_trip(local: u16, payload: &[u8]) {
    let c = tokio::net::TcpStream::connect(("127.0.0.1", local))
        .await
        .unwrap();
    let (mut r, mut w) = c.into_split();
    let out = payload.to_vec();
    let writer = tokio::spawn(async move { w.write_all(&out).await.map(|()| w) });
    let mut back = vec![0u8; payload.len()];
    tokio::time::timeout(Duration::from_secs(20), r.read_exact(&mut back))
        .await
        .expect("the echo comes back within 20 s")
        .unwrap();
    assert!(back == payload, "the echo is the payload");
    drop(writer.await.unwrap());
}

/// Ctrl-C ends a port session; the plugin exits by itself.
async fn stop(t: &PluginTerm) {
    t.keys(&["C-c"]);
    let text = t
        .expect("the plugin to exit", 20, |s| exit_code(s).is_some())
        .await;
    assert_eq!(exit_code(&text), Some(0), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the official session-manager-plugin: SSMDECK_TEST_SESSION_PLUGIN=PATH cargo test --test integration oracle_ -- --ignored"]
async fn oracle_the_plugin_forwards_the_local_port_asked_for_and_reports_a_closed_one() {
    plugin();
    let lab = common::lab(12, Faults::default()).await;
    let echo = echo_server().await;
    let (t, local) = forward(&lab, "port", echo).await;
    let big: Vec<u8> = (0..1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    round_trip(local, &big).await;
    // Connections at once (smux streams).
    let both = tokio::join!(round_trip(local, b"one"), round_trip(local, b"two"));
    let ((), ()) = both;
    stop(&t).await;

    // Nothing listens at the destination: the agent's connection-failed flag.
    let (t, local) = forward(&lab, "closed", free_port().await).await;
    let mut c = tokio::net::TcpStream::connect(("127.0.0.1", local))
        .await
        .unwrap();
    c.write_all(b"hello").await.unwrap();
    t.expect("the connection-failed line", 20, |s| {
        s.contains("Connection to destination port failed")
    })
    .await;
    let mut buf = [0u8; 8];
    let n = tokio::time::timeout(Duration::from_secs(20), c.read(&mut buf))
        .await
        .expect("the local connection ends")
        .unwrap_or(0);
    assert_eq!(n, 0, "nothing comes back from a closed port");
    stop(&t).await;
    lab.shutdown().await;
}

/// An old agent (no smux): the plugin still listens on the requested port
/// (basic mode, one connection at a time), which it does only when the
/// handshake carries the document's `type: LocalPortForwarding`.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the official session-manager-plugin: SSMDECK_TEST_SESSION_PLUGIN=PATH cargo test --test integration oracle_ -- --ignored"]
async fn oracle_the_plugin_forwards_through_an_old_agent_one_connection_at_a_time() {
    plugin();
    let lab = common::lab(12, Faults::default()).await;
    lab.set_faults(Faults {
        session_legacy_port: true,
        ..Faults::default()
    });
    let echo = echo_server().await;
    let (t, local) = forward(&lab, "old", echo).await;
    for payload in [&b"first"[..], &[7u8; 100_000][..], b"third"] {
        round_trip(local, payload).await;
    }
    // Basic mode's line; the smux one puts the id in brackets.
    t.expect("basic mode's accept line", 10, |s| {
        s.contains("Connection accepted for session ") && !s.contains("for session [")
    })
    .await;
    stop(&t).await;
    lab.shutdown().await;
}
