//! The Sessions pane driven without a terminal: real `update`, effects run
//! by the console's TaskManager (StartSession, the native client over the
//! lab's websocket gateway, a real shell), output fed back as the event
//! loop does, keys typed as the router delivers them.

use crate::common;

use std::time::Instant;

use crate::common::live::Live;
use crossterm::event::{KeyCode, KeyModifiers};
use ssmdeck::action::{Action, Command, InputKey};
use ssmdeck::app::sessions::TabState;
use ssmdeck::app::{Mode, Pane};
use ssmdeck_lab::{Faults, PingStatus};

/// Waits for the fleet and puts the Fleet cursor on a node that is (or is
/// not) Online; returns it.
async fn at_node(
    live: &mut Live,
    lab: &ssmdeck_lab::LabHandle,
    online: bool,
) -> ssmdeck_lab::LabNode {
    live.until("the fleet", |a| {
        a.fleet.loading.is_none() && !a.fleet.nodes.is_empty()
    })
    .await;
    let node = lab
        .nodes()
        .into_iter()
        .find(|n| (n.ping == PingStatus::Online) == online)
        .expect("the fleet has such a node");
    assert!(live.app.fleet.reveal(&node.id));
    live.act(Action::Tick(Instant::now()));
    node
}

/// Waits until the shown terminal has a line that reads `line`.
async fn until_line(live: &mut Live, line: &str) {
    live.until(line, |a| {
        a.sessions.current().is_some_and(|t| {
            t.parser
                .screen()
                .contents()
                .lines()
                .any(|l| l.trim_end() == line)
        })
    })
    .await;
}

fn screen_text(live: &Live) -> String {
    live.app
        .sessions
        .current()
        .map(|t| t.parser.screen().contents())
        .unwrap_or_default()
}

#[tokio::test]
async fn open_type_resize_unfocus_and_terminate() {
    let lab = common::lab(12, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx).await;
    let node = at_node(&mut live, &lab, true).await;
    live.cmd(Command::StartSession);
    assert_eq!(live.app.pane, Pane::Sessions);
    assert!(live.app.sessions.focused, "keys go to the new shell");
    // Typed at once: held until the handshake completes.
    live.type_text("echo $((6*7))");
    live.key(KeyCode::Enter, KeyModifiers::NONE);
    until_line(&mut live, "42").await;
    let tab = live.app.sessions.current().unwrap();
    assert_eq!(tab.state, TabState::Ready);
    assert!(tab.session_id.is_some());
    assert!(tab.bytes_in > 0 && tab.bytes_out >= 14);
    let s = live.screen();
    assert!(s.contains(&format!("on {}", node.id)), "{s}");
    assert!(s.contains("<C-]> gives them back"), "{s}");
    // The remote size follows the pane: 150×40 harness → 38 rows less the bars.
    let (rows, cols) = live.app.terminal_size();
    live.type_text("stty size");
    live.key(KeyCode::Enter, KeyModifiers::NONE);
    let want = format!("{rows} {cols}");
    live.until("the size", |a| {
        a.sessions
            .current()
            .is_some_and(|t| t.parser.screen().contents().contains(&want))
    })
    .await;
    live.act(Action::Resize(120, 30));
    let (rows, cols) = live.app.terminal_size();
    assert_eq!((rows, cols), (24, 118));
    live.type_text("clear; stty size");
    live.key(KeyCode::Enter, KeyModifiers::NONE);
    let want = format!("{rows} {cols}");
    live.until("the new size", |a| {
        a.sessions
            .current()
            .is_some_and(|t| t.parser.screen().contents().contains(&want))
    })
    .await;
    // At 80x24 the chord still shows: it leads the title (issue 13 item 8).
    live.act(Action::Resize(80, 24));
    let s = live.screen_at(80, 24);
    assert!(
        s.contains("keys go to the shell · <C-]> gives them back"),
        "{s}"
    );
    // Arrow keys follow the remote's cursor mode: history recall works.
    live.type_text("echo up-$((1+1))");
    live.key(KeyCode::Enter, KeyModifiers::NONE);
    // As a user does: see the output and the prompt, then recall.
    live.until("the first run", |a| {
        a.sessions.current().is_some_and(|t| {
            let c = t.parser.screen().contents();
            c.lines().any(|l| l.trim_end() == "up-2") && c.trim_end().ends_with('$')
        })
    })
    .await;
    live.key(KeyCode::Up, KeyModifiers::NONE);
    live.key(KeyCode::Enter, KeyModifiers::NONE);
    live.until("the recalled command", |a| {
        a.sessions.current().is_some_and(|t| {
            t.parser
                .screen()
                .contents()
                .lines()
                .filter(|l| l.trim_end() == "up-2")
                .count()
                == 2
        })
    })
    .await;
    // The escape chord gives the keys back.
    live.cmd(Command::TerminalUnfocus);
    assert!(!live.app.sessions.focused);
    // Esc drops a choice of rows and stays on the pane.
    live.cmd(Command::ToggleSelect);
    assert!(live.app.sessions.current().unwrap().selection.is_some());
    live.cmd(Command::Back);
    assert!(live.app.sessions.current().unwrap().selection.is_none());
    assert_eq!(live.app.pane, Pane::Sessions, "Esc dropped the choice only");
    // Choose two rows (the prompt and the line above it) and copy them.
    live.cmd(Command::ToggleSelect);
    let (a, b) = live.app.sessions.current().unwrap().selection.unwrap();
    assert_eq!(a, b, "starts on the cursor's row");
    live.cmd(Command::SelectPrev);
    live.cmd(Command::SelectPrev);
    assert_eq!(
        live.app.sessions.current().unwrap().selection,
        Some((a, a - 2))
    );
    let s = live.screen();
    live.cmd(Command::CopyValue);
    assert!(live.app.sessions.current().unwrap().selection.is_none());
    assert!(
        live.app
            .notices
            .last()
            .unwrap()
            .0
            .contains("copied 3 lines"),
        "{:?}\n{s}",
        live.app.notices
    );
    // q with a live shell asks first, naming it; n stays with it open.
    live.cmd(Command::Quit);
    assert!(!live.app.quit, "a live shell is not ended without asking");
    assert_eq!(live.app.mode(), Mode::Confirm);
    let c = live.app.confirm().cloned().unwrap();
    assert!(c.lines[0].contains("1 shell session open"), "{:?}", c.lines);
    assert!(
        c.lines.iter().any(|l| l.contains(&node.id)),
        "{:?}",
        c.lines
    );
    live.act(Action::Input(InputKey::Char('n')));
    assert!(!live.app.quit);
    assert_eq!(live.app.mode(), Mode::Normal);
    assert!(live.app.sessions.current().unwrap().live());
    // Then x asks, y terminates.
    live.cmd(Command::TerminateSession);
    assert_eq!(live.app.mode(), Mode::Confirm);
    let c = live.app.confirm().cloned().unwrap();
    assert!(c.lines[0].contains(&node.id), "{:?}", c.lines);
    live.act(Action::Input(InputKey::Char('y')));
    live.until("the end", |a| {
        a.sessions
            .current()
            .is_some_and(|t| matches!(t.state, TabState::Closed { .. }))
    })
    .await;
    let s = live.screen();
    assert!(s.contains("Session ended: terminated"), "{s}");
    assert!(
        screen_text(&live).contains("up-2"),
        "the ended tab stays readable"
    );
    live.cmd(Command::CloseSession);
    assert!(live.app.sessions.tabs.is_empty());
    lab.shutdown().await;
}

#[tokio::test]
async fn a_node_that_is_not_connected_gets_a_clear_reason() {
    let lab = common::lab(40, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx).await;
    at_node(&mut live, &lab, false).await;
    live.cmd(Command::StartSession);
    live.until("the refusal", |a| {
        a.sessions
            .current()
            .is_some_and(|t| matches!(t.state, TabState::Closed { .. }))
    })
    .await;
    let TabState::Closed { reason, .. } = &live.app.sessions.current().unwrap().state else {
        unreachable!()
    };
    assert!(reason.contains("TargetNotConnected"), "{reason}");
    assert!(!live.app.sessions.focused);
    lab.shutdown().await;
}

#[tokio::test]
async fn a_port_forward_tab_counts_connections_and_bytes() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let lab = common::lab(12, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx.clone()).await;
    let audit_path = live.data_dir.join("audit.jsonl");
    live.tasks
        .set_audit(Some(ssmdeck::audit::Audit::new(audit_path.clone(), &ctx)));
    at_node(&mut live, &lab, true).await;
    // A loopback echo server stands for the database behind the node.
    let echo = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let echo_port = echo.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((c, _)) = echo.accept().await {
            tokio::spawn(async move {
                let (mut r, mut w) = c.into_split();
                let _ = tokio::io::copy(&mut r, &mut w).await;
            });
        }
    });
    live.cmd(Command::ForwardPort);
    assert_eq!(live.app.mode(), Mode::Prompt);
    for c in format!("0:127.0.0.1:{echo_port}").chars() {
        live.act(Action::Input(InputKey::Char(c)));
    }
    live.act(Action::Input(InputKey::Submit));
    assert_eq!(live.app.pane, Pane::Sessions);
    live.until("the listener and the session", |a| {
        a.sessions.current().is_some_and(|t| {
            t.state == TabState::Ready && t.forward.as_ref().is_some_and(|f| f.local_port.is_some())
        })
    })
    .await;
    let port = live
        .app
        .sessions
        .current()
        .unwrap()
        .forward
        .as_ref()
        .unwrap()
        .local_port
        .unwrap();
    let mut c = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    c.write_all(b"select 1;").await.unwrap();
    let mut buf = [0u8; 9];
    c.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"select 1;");
    live.until("the counters", |a| {
        a.sessions.current().is_some_and(|t| {
            t.bytes_in >= 9
                && t.forward
                    .as_ref()
                    .is_some_and(|f| f.total == 1 && f.open == 1)
        })
    })
    .await;
    let s = live.screen();
    assert!(
        s.contains(&format!("localhost:{port} → 127.0.0.1:{echo_port}")),
        "{s}"
    );
    assert!(s.contains("1 open, 1 so far"), "{s}");
    live.cmd(Command::TerminateSession);
    live.act(Action::Input(InputKey::Char('y')));
    live.until("the end", |a| {
        a.sessions
            .current()
            .is_some_and(|t| matches!(t.state, TabState::Closed { .. }))
    })
    .await;
    // The forward's end is audited: a TerminateSession line naming the
    // session and the forward (the line is written before the tab closes).
    let sid = live
        .app
        .sessions
        .current()
        .unwrap()
        .session_id
        .clone()
        .unwrap();
    let audit = std::fs::read_to_string(&audit_path).unwrap();
    let ends: Vec<serde_json::Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|v: &serde_json::Value| v["action"] == "ssm:TerminateSession")
        .collect();
    assert_eq!(ends.len(), 1, "{audit}");
    assert_eq!(ends[0]["targets"], serde_json::json!([sid]), "{audit}");
    let detail = ends[0]["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("127.0.0.1:{echo_port}")) && detail.contains("ended: terminated"),
        "{detail}"
    );
    let _ = std::fs::remove_dir_all(&live.data_dir);
    lab.shutdown().await;
}

#[tokio::test]
async fn the_plugin_fallback_runs_in_a_pty_with_the_cli_arguments() {
    use std::os::unix::fs::PermissionsExt;
    let lab = common::lab(12, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    // A stand-in for session-manager-plugin: prints what it was given, then
    // echoes what is typed.
    let dir = std::env::temp_dir().join(format!("ssmdeck-plugin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let plugin = dir.join("session-manager-plugin");
    std::fs::write(
        &plugin,
        "#!/bin/sh\nprintf 'PLUGIN %s | %s | %s | %s | %s\\n' \"$1\" \"$2\" \"$3\" \"$5\" \"$6\"\nprintf '%s\\n' \"$AWS_SSM_START_SESSION_RESPONSE\" | grep -o '\"SessionId\":\"[^\"]*\"'\nexec cat\n",
    )
    .unwrap();
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut live = Live::start(ctx).await;
    live.tasks.set_session_plugin(Some(plugin.clone()));
    let node = at_node(&mut live, &lab, true).await;
    live.cmd(Command::StartSession);
    let want = format!(
        "PLUGIN AWS_SSM_START_SESSION_RESPONSE | us-east-1 | StartSession | {{\"Target\":\"{}\"}} | {}",
        node.id,
        lab.endpoint_url()
    );
    live.until("the plugin's arguments", |a| {
        a.sessions
            .current()
            .is_some_and(|t| t.parser.screen().contents().contains(&want))
    })
    .await;
    let sid = live
        .app
        .sessions
        .current()
        .unwrap()
        .session_id
        .clone()
        .unwrap();
    live.until("the session id handed over", |a| {
        a.sessions.current().is_some_and(|t| {
            t.parser
                .screen()
                .contents()
                .contains(&format!("\"SessionId\":\"{sid}\""))
        })
    })
    .await;
    live.type_text("typed-through");
    live.key(KeyCode::Enter, KeyModifiers::NONE);
    live.until("the echo", |a| {
        a.sessions.current().is_some_and(|t| {
            t.parser
                .screen()
                .contents()
                .matches("typed-through")
                .count()
                >= 2
        })
    })
    .await;
    live.cmd(Command::TerminalUnfocus);
    live.cmd(Command::TerminateSession);
    live.act(Action::Input(InputKey::Char('y')));
    live.until("the end", |a| {
        a.sessions
            .current()
            .is_some_and(|t| matches!(t.state, TabState::Closed { .. }))
    })
    .await;
    std::fs::remove_dir_all(&dir).unwrap();
    lab.shutdown().await;
}

#[tokio::test]
async fn a_context_switch_keeps_open_sessions_and_drops_stale_reports() {
    let lab = common::lab(12, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx).await;
    let node = at_node(&mut live, &lab, true).await;
    live.cmd(Command::StartSession);
    live.type_text("echo before-$((1+1))");
    live.key(KeyCode::Enter, KeyModifiers::NONE);
    until_line(&mut live, "before-2").await;
    let generation = live.app.context.generation;

    // A switch to another context (a second client of the same lab).
    let (other, _) = common::context(&lab).await;
    live.switch(other);
    assert_eq!(live.app.context.generation, generation + 1);
    assert_eq!(live.tasks.sessions().live(), 1, "the session is not ended");
    let tab = live.app.sessions.current().expect("the tab stays");
    assert_eq!(tab.state, TabState::Ready, "{:?}", tab.state);

    // A report of the old context that was still queued changes nothing
    // (the fleet of the new context is loading from scratch).
    let stale = ssmdeck::model::ManagedNode {
        id: "i-0000000000stale0".into(),
        ..Default::default()
    };
    live.act(Action::Reported {
        context: generation,
        action: Box::new(Action::Fleet(ssmdeck::app::FleetMsg {
            ctx: Default::default(),
            generation: live.app.fleet.generation,
            event: ssmdeck::aws::fleet::FleetEvent::Page(vec![stale]),
        })),
    });
    assert!(
        !live
            .app
            .fleet
            .nodes
            .iter()
            .any(|n| n.id == "i-0000000000stale0"),
        "a page of the old context reached the new one"
    );

    // The shell still answers: it runs on the context it was started in.
    live.cmd(Command::NextPane);
    while live.app.pane != Pane::Sessions {
        live.cmd(Command::NextPane);
    }
    live.cmd(Command::TerminalFocus);
    live.type_text("echo after-$((2+2))");
    live.key(KeyCode::Enter, KeyModifiers::NONE);
    until_line(&mut live, "after-4").await;
    assert!(live.screen().contains(&node.id));
    lab.shutdown().await;
}
