//! Issue 18 item 8: with `SSMDECK_LOG=trace` the log held session tokens,
//! command text and SecureString values, in a 0644 file outside
//! `SSMDECK_DATA_DIR`. The file is 0600 in the data directory, and a trace
//! log of a SecureString reveal, a SendCommand and a shell session on the
//! lab holds neither the value, the command text, the session token nor
//! the bytes typed in the session.

use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::common;
use ssmdeck::aws::commands::{SendRequest, Targets};
use ssmdeck::aws::params::PutRequest;
use ssmdeck::model::ParamKind;
use ssmdeck_lab::Faults;

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_log_file_is_private_and_in_the_data_directory() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("ssmdeck-log-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ssmdeck"))
        .arg("--check-config")
        .arg("--config-dir")
        .arg(&dir)
        .env("SSMDECK_LOG", "trace")
        .env("SSMDECK_DATA_DIR", &dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let meta = std::fs::metadata(dir.join("ssmdeck.log")).expect("the log is in SSMDECK_DATA_DIR");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Runs [`trace_scenario`] in a child process of this test binary with
/// only this test selected: tracing's callsite interest is process-wide,
/// and other tests running beside it in this binary left the SDK's
/// callsites unseen by this test's subscriber (an empty log).
#[test]
fn a_trace_log_holds_no_secret_value_and_no_command_text() {
    const NAME: &str = "logging::a_trace_log_holds_no_secret_value_and_no_command_text";
    if std::env::var_os("SSMDECK_TRACE_SCENARIO").is_some() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(trace_scenario());
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([NAME, "--exact", "--test-threads=1", "--nocapture"])
        .env("SSMDECK_TRACE_SCENARIO", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn trace_scenario() {
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(ssmdeck::cli::log_filter("trace"))
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // The test runtime is single-threaded: every task of this test logs here.
    let _guard = tracing::subscriber::set_default(subscriber);
    let lab = common::lab(24, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let secret = "s3cr3t-value-never-in-a-log";
    let command = "echo command-text-never-in-a-log";
    ssmdeck::aws::params::put(
        &ctx,
        &PutRequest {
            name: "/log/secret".into(),
            value: secret.into(),
            kind: ParamKind::SecureString,
            tier: None,
            description: None,
            key_id: None,
            data_type: None,
            tags: Vec::new(),
            expected_version: None,
        },
    )
    .await
    .unwrap();
    let shown = ssmdeck::aws::params::get_value(&ctx, "/log/secret", true)
        .await
        .unwrap();
    assert_eq!(shown.value, secret, "the reveal worked");
    let node = lab
        .nodes()
        .into_iter()
        .find(|n| n.platform_type == "Linux" && n.ping == ssmdeck_lab::PingStatus::Online)
        .expect("an online Linux node")
        .id;
    let ids = ssmdeck::aws::commands::send(
        &ctx,
        &SendRequest {
            document: "AWS-RunShellScript".into(),
            commands: vec![command.into()],
            targets: Targets::Nodes(vec![node]),
            timeout_s: 600,
            execution_timeout_s: 60,
            max_concurrency: "50".into(),
            max_errors: "0".into(),
            comment: "log test".into(),
            cloudwatch_group: None,
            output_s3: None,
            extra: Vec::new(),
        },
    )
    .await
    .unwrap();
    // Read the output back (ListCommandInvocations with details carries the
    // command line and its output), polling until the lab has run it.
    let id = ids[0].clone();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (inv, _) = ssmdeck::aws::commands::invocations(&ctx, &id)
            .await
            .unwrap();
        if inv.iter().any(|i| i.output.contains("command-text-never")) {
            let (out, _) = ssmdeck::aws::commands::output(&ctx, &id, &inv[0].instance_id)
                .await
                .unwrap();
            assert!(out.contains("command-text-never"), "{out}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no output: {inv:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // A hybrid activation's code (issue 15): returned once, never logged.
    let made = ssmdeck::aws::activations::create(
        &ctx,
        &ssmdeck::aws::activations::NewActivation {
            iam_role: "SSMServiceRole".into(),
            limit: Some(2),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let activation_code = made.code.expose().to_owned();
    assert_eq!(activation_code.len(), 20, "a code to look for");
    let token = typed_in_a_session(&lab, &ctx).await;
    lab.shutdown().await;
    let log = String::from_utf8_lossy(&buf.0.lock().unwrap()).into_owned();
    assert!(
        log.contains("StartSession answered") && log.contains("** redacted **"),
        "the session's start was traced (its token redacted)"
    );
    assert!(!log.contains(&token), "the session token is in the log");
    assert!(
        !log.contains("typed-input"),
        "bytes typed in the session are in the log"
    );
    assert!(!log.is_empty(), "trace logging ran");
    assert!(
        !log.contains(&activation_code),
        "the activation code is in the log"
    );
    assert!(
        !log.contains(secret),
        "the SecureString value is in the log"
    );
    assert!(
        !log.contains("command-text-never"),
        "the command text is in the log"
    );
}

/// Opens a shell on an Online node (StartSession, the data channel), types
/// a line and reads its output back; returns the session token.
async fn typed_in_a_session(
    lab: &ssmdeck_lab::LabHandle,
    ctx: &ssmdeck::aws::AwsContext,
) -> String {
    use ssmdeck::session::client::{self, SessionEvent, SessionInput};
    let node = lab
        .nodes()
        .into_iter()
        .find(|n| n.platform_type == "Linux" && n.ping == ssmdeck_lab::PingStatus::Online)
        .expect("an online Linux node")
        .id;
    let started = client::start(ctx, &node).await.unwrap();
    let token = started.token.clone();
    assert!(token.len() > 8, "a token to look for");
    let (in_tx, in_rx) = tokio::sync::mpsc::unbounded_channel();
    let (ev_tx, mut ev_rx) = tokio::sync::mpsc::unbounded_channel();
    let size = ssmdeck::session::protocol::TermSize {
        cols: 100,
        rows: 30,
    };
    let run = tokio::spawn(client::run(ctx.clone(), started, size, in_rx, ev_tx));
    // Typed as keys; the shell computes the answer, so the output proves
    // the input went through.
    in_tx
        .send(SessionInput::Keys(b"echo typed-input-$((6*7))\r".to_vec()))
        .unwrap();
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while !String::from_utf8_lossy(&out).contains("typed-input-42") {
        match tokio::time::timeout_at(deadline, ev_rx.recv()).await {
            Ok(Some(SessionEvent::Output(b))) => out.extend_from_slice(&b),
            Ok(Some(_)) => {}
            other => panic!("no answer from the shell: {other:?}"),
        }
    }
    drop(in_tx);
    run.abort();
    token
}
