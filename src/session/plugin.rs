//! The fallback for environments that require the official client:
//! `session-manager-plugin` run in a PTY inside the same tab. ssmdeck still
//! calls StartSession (the SDK, the console's credentials) and hands the
//! answer to the plugin as the AWS CLI does:
//! `session-manager-plugin AWS_SSM_START_SESSION_RESPONSE <region>
//! StartSession <profile> '<request JSON>' <SSM endpoint URL>`, with the
//! StartSession response (and its token) in that environment variable, not
//! on the command line.
//! The plugin sends sizes itself (it reads the PTY's size), so a resize is
//! applied to the PTY.

use std::io::{Read, Write};
use std::path::PathBuf;

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use tokio::sync::mpsc;

use super::client::{SessionEvent, SessionInput, Started, terminate};
use super::protocol::TermSize;
use crate::aws::AwsContext;

/// The plugin command: `session_plugin = true` means `session-manager-plugin`
/// on PATH; a path names it.
pub fn plugin_command(setting: &str) -> PathBuf {
    if setting.is_empty() || setting == "true" {
        PathBuf::from("session-manager-plugin")
    } else {
        PathBuf::from(setting)
    }
}

/// The environment variable that carries the StartSession response (with
/// the session token) to the plugin, so the token is not on its command
/// line for other local users to read; the first argument names it.
pub const RESPONSE_ENV: &str = "AWS_SSM_START_SESSION_RESPONSE";

/// The StartSession response JSON for the plugin (holds the token).
pub fn plugin_response(started: &Started) -> String {
    serde_json::json!({
        "SessionId": started.session_id,
        "TokenValue": started.token,
        "StreamUrl": started.stream_url,
    })
    .to_string()
}

/// The arguments the plugin expects, in order; the response itself goes in
/// [`RESPONSE_ENV`].
pub fn plugin_args(ctx: &AwsContext, target: &str) -> Vec<String> {
    let endpoint = ctx
        .endpoint
        .clone()
        .unwrap_or_else(|| format!("https://ssm.{}.amazonaws.com", ctx.region));
    vec![
        RESPONSE_ENV.to_owned(),
        ctx.region.clone(),
        "StartSession".into(),
        ctx.profile.clone().unwrap_or_default(),
        serde_json::json!({ "Target": target }).to_string(),
        endpoint,
    ]
}

/// Runs `plugin` for a started session in a PTY of `size` until it exits:
/// its output to `events`, keys from `input` to it. Terminate calls
/// TerminateSession and ends the plugin.
pub async fn run(
    ctx: AwsContext,
    started: Started,
    target: String,
    plugin: PathBuf,
    size: TermSize,
    mut input: mpsc::UnboundedReceiver<SessionInput>,
    events: mpsc::UnboundedSender<SessionEvent>,
) {
    let session_id = started.session_id.clone();
    let fail = |reason: String| {
        let _ = events.send(SessionEvent::Closed {
            reason,
            exit_code: None,
        });
    };
    let pty = match native_pty_system().openpty(PtySize {
        rows: size.rows,
        cols: size.cols,
        pixel_width: 0,
        pixel_height: 0,
    }) {
        Ok(p) => p,
        Err(e) => {
            let _ = terminate(&ctx, &session_id).await;
            return fail(format!("cannot open a terminal for the plugin: {e}"));
        }
    };
    let mut cmd = CommandBuilder::new(&plugin);
    cmd.args(plugin_args(&ctx, &target));
    cmd.env(RESPONSE_ENV, plugin_response(&started));
    cmd.env("TERM", "xterm-256color");
    let mut child = match pty.slave.spawn_command(cmd) {
        Ok(c) => c,
        Err(e) => {
            let _ = terminate(&ctx, &session_id).await;
            return fail(format!(
                "cannot run {}: {e}; install the Session Manager plugin or turn session_plugin off",
                plugin.display()
            ));
        }
    };
    drop(pty.slave);
    let (Ok(mut reader), Ok(mut writer)) =
        (pty.master.try_clone_reader(), pty.master.take_writer())
    else {
        let _ = child.kill();
        let _ = terminate(&ctx, &session_id).await;
        return fail("cannot talk to the plugin's terminal".into());
    };
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || out_tx.send(buf[..n].to_vec()).is_err() {
                return;
            }
        }
    });
    let _ = events.send(SessionEvent::Ready);
    loop {
        tokio::select! {
            out = out_rx.recv() => match out {
                Some(b) => {
                    let _ = events.send(SessionEvent::Output(b));
                }
                None => break,
            },
            i = input.recv() => match i {
                Some(SessionInput::Keys(k)) => {
                    let _ = writer.write_all(&k);
                    let _ = writer.flush();
                }
                Some(SessionInput::Flag(_)) => {}
                Some(SessionInput::Resize(cols, rows)) => {
                    let _ = pty.master.resize(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 });
                }
                Some(SessionInput::Terminate) | None => {
                    let r = terminate(&ctx, &session_id).await;
                    let _ = child.kill();
                    let _ = events.send(SessionEvent::Closed {
                        reason: match r {
                            Ok(()) => "terminated".into(),
                            Err(e) => format!("terminate failed: {e}"),
                        },
                        exit_code: None,
                    });
                    return;
                }
            },
        }
    }
    let code = tokio::task::spawn_blocking(move || child.wait().ok().map(|s| s.exit_code() as i32))
        .await
        .ok()
        .flatten();
    let _ = events.send(SessionEvent::Closed {
        reason: format!("{} exited", plugin.display()),
        exit_code: code,
    });
}
