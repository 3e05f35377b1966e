//! The Run Command pane driven without a terminal: real `update`, effects run
//! by the console's TaskManager against the lab (whose nodes run the
//! commands), results fed back as the event loop does.

use crate::common;

use crate::common::live::Live;

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyModifiers};
use ssmdeck::action::{Action, Command, InputKey};
use ssmdeck::app::{Mode, Pane};
use ssmdeck::model::InvocationStatus;
use ssmdeck::panes::run_command::ComposeField;
use ssmdeck_lab::{Faults, PingStatus};

trait CommandsLive {
    async fn select(&mut self, ids: &[String]);
    async fn run(&mut self, script: &str);
}

impl CommandsLive for Live {
    /// Selects nodes in the Fleet pane by id.
    async fn select(&mut self, ids: &[String]) {
        self.until("the fleet", |a| {
            a.fleet.loading.is_none() && !a.fleet.nodes.is_empty()
        })
        .await;
        self.app.fleet.selected = ids.iter().cloned().collect();
    }

    /// Composes `script` for the selection and confirms.
    async fn run(&mut self, script: &str) {
        self.cmd(Command::RunCommand);
        assert_eq!(self.app.mode(), Mode::Editor);
        assert_eq!(self.app.pane, Pane::Commands);
        self.type_text(script);
        self.key(KeyCode::Char('s'), KeyModifiers::CONTROL);
        assert_eq!(
            self.app.mode(),
            Mode::Confirm,
            "{:?}",
            self.app
                .commands
                .compose
                .as_ref()
                .and_then(|c| c.error.clone())
        );
        self.act(Action::Input(InputKey::Char('y')));
        self.until("the run to finish", |a| {
            a.commands.run().is_some_and(|r| r.done())
        })
        .await;
    }
}

/// `n` Online Linux nodes (AWS-RunShellScript runs on them).
fn online(lab: &ssmdeck_lab::LabHandle, n: usize) -> Vec<String> {
    lab.nodes()
        .into_iter()
        .filter(|x| x.ping == PingStatus::Online && x.platform_type == "Linux")
        .take(n)
        .map(|x| x.id)
        .collect()
}

#[tokio::test]
async fn run_on_the_fleet_selection_groups_identical_results() {
    let lab = common::lab(24, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx).await;
    let mut ids = online(&lab, 6);
    let lost = lab
        .nodes()
        .into_iter()
        .find(|n| n.ping == PingStatus::ConnectionLost && n.platform_type == "Linux")
        .expect("the fleet has a ConnectionLost node")
        .id;
    ids.push(lost.clone());
    live.select(&ids).await;
    live.run(r#"if [ "$SSM_NODE_ID" = "X" ]; then exit 9; fi; echo same"#)
        .await;
    let run = live.app.commands.run().unwrap();
    assert_eq!(run.nodes.len(), 7);
    assert_eq!(run.nodes[&lost].inv.details, "DeliveryTimedOut");
    let groups = run.groups();
    assert_eq!(groups[0].nodes.len(), 6, "{groups:?}");
    assert_eq!(
        (groups[0].status, groups[0].code),
        (InvocationStatus::Success, 0)
    );
    assert_eq!(groups[0].output, "same\n");
    assert_eq!(run.last_poll_calls, 1, "one status call per 50 nodes");
    // Re-run on the failed ones: only the timed-out node.
    live.cmd(Command::Rerun);
    assert_eq!(live.app.mode(), Mode::Editor);
    assert_eq!(
        live.app.commands.compose.as_ref().unwrap().nodes,
        vec![lost]
    );
}

#[tokio::test]
async fn live_output_follow_search_and_cancel() {
    let lab = common::lab(24, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx).await;
    let ids = online(&lab, 3);
    live.select(&ids).await;
    live.cmd(Command::RunCommand);
    live.type_text("for i in 1 2 3 4 5 6 7 8 9 10; do echo tick $i; sleep 0.5; done");
    live.key(KeyCode::Char('s'), KeyModifiers::CONTROL);
    live.act(Action::Input(InputKey::Char('y')));
    // Lines arrive while it runs (CloudWatch output is on by default).
    live.until("live lines", |a| {
        a.commands.run().is_some_and(|r| {
            !r.done()
                && r.nodes
                    .values()
                    .any(|n| n.live.iter().any(|(_, l)| l == "tick 2"))
        })
    })
    .await;
    live.cmd(Command::OpenDetails);
    assert!(live.app.commands.follow);
    live.cmd(Command::Filter);
    for c in "tick 1".chars() {
        live.act(Action::Input(InputKey::Char(c)));
    }
    live.act(Action::Input(InputKey::Submit));
    assert_eq!(live.app.commands.search.as_deref(), Some("tick 1"));
    // Cancel the whole command, after the confirmation.
    live.cmd(Command::CancelCommand);
    assert_eq!(live.app.mode(), Mode::Confirm);
    let started = Instant::now();
    live.act(Action::Input(InputKey::Submit));
    live.until("cancelled", |a| a.commands.run().is_some_and(|r| r.done()))
        .await;
    assert!(started.elapsed() < Duration::from_secs(4));
    let run = live.app.commands.run().unwrap();
    assert!(
        run.nodes
            .values()
            .all(|n| n.inv.status == InvocationStatus::Cancelled)
    );
}

#[tokio::test]
async fn tag_targets_validation_history_and_export() {
    let lab = common::lab(24, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx).await;
    live.until("the fleet", |a| a.fleet.loading.is_none()).await;
    live.cmd(Command::NextPane);
    assert_eq!(live.app.pane, Pane::Commands);
    live.cmd(Command::Create);
    assert_eq!(
        live.app.commands.compose.as_ref().unwrap().focus,
        ComposeField::Targets
    );
    live.type_text("tag:Role=web");
    let want = lab
        .nodes()
        .iter()
        .filter(|n| n.tag("Role") == Some("web"))
        .count();
    assert_eq!(live.app.commands.compose.as_ref().unwrap().resolved, want);
    // Bad options are refused before any call, and nothing typed is lost.
    while live.app.commands.compose.as_ref().unwrap().focus != ComposeField::Commands {
        live.key(KeyCode::Tab, KeyModifiers::NONE);
    }
    live.type_text("uptime");
    while live.app.commands.compose.as_ref().unwrap().focus != ComposeField::Timeout {
        live.key(KeyCode::Tab, KeyModifiers::NONE);
    }
    live.key(KeyCode::Char('u'), KeyModifiers::CONTROL);
    live.type_text("5");
    live.key(KeyCode::Char('s'), KeyModifiers::CONTROL);
    let c = live.app.commands.compose.as_ref().unwrap();
    assert!(
        c.error
            .as_ref()
            .unwrap()
            .contains("timeout '5' must be 30 to 2592000"),
        "{:?}",
        c.error
    );
    assert_eq!(c.lines(), vec!["uptime".to_string()]);
    live.key(KeyCode::Backspace, KeyModifiers::NONE);
    live.type_text("60");
    live.key(KeyCode::Char('s'), KeyModifiers::CONTROL);
    live.act(Action::Input(InputKey::Submit));
    live.until("the run", |a| a.commands.run().is_some_and(|r| r.done()))
        .await;
    assert_eq!(live.app.commands.run().unwrap().nodes.len(), want);

    // Export asks where, starting in the data directory; Enter writes
    // every node's result there.
    live.cmd(Command::Export);
    let cid = live.app.commands.run().unwrap().command_ids[0].clone();
    let asked = live.app.prompt().expect("asked where").text.clone();
    assert_eq!(asked, format!("exports/run-{cid}.json"));
    live.answer(&asked);
    live.until("the export", |a| {
        a.notices
            .iter()
            .any(|(n, _)| n.starts_with("results written to"))
    })
    .await;
    let note = live
        .app
        .notices
        .iter()
        .find(|(n, _)| n.starts_with("results written to"))
        .unwrap()
        .0
        .clone();
    let path = exported_path(&note);
    // In the data directory, readable by the user only; the notice names it.
    assert_eq!(
        std::path::Path::new(&path),
        live.data_dir
            .join("exports")
            .join(format!("run-{cid}.json"))
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the export is private");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(json.as_array().unwrap().len(), want);
    assert!(json[0]["stdout"].as_str().is_some());
    export_elsewhere(&mut live, want).await;
    let _ = std::fs::remove_dir_all(&live.data_dir);

    // History lists it; Enter reopens it as a new run view.
    live.cmd(Command::History);
    live.until("history", |a| a.commands.history.is_some())
        .await;
    assert_eq!(
        live.app.commands.history.as_ref().unwrap()[0].commands,
        vec!["uptime".to_string()]
    );
    live.cmd(Command::OpenDetails);
    live.until("the reopened run", |a| {
        a.commands.runs.len() == 2 && a.commands.run().is_some_and(|r| r.done())
    })
    .await;
    // The previous command is one key away in the composer.
    live.cmd(Command::Create);
    live.key(KeyCode::Char('p'), KeyModifiers::CONTROL);
    assert_eq!(
        live.app.commands.compose.as_ref().unwrap().lines(),
        vec!["uptime".to_string()]
    );
}

#[tokio::test]
async fn document_parameters_come_from_its_schema() {
    let lab = common::lab(24, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx).await;
    let ids = online(&lab, 2);
    live.select(&ids).await;
    live.cmd(Command::RunCommand);
    live.until("the document's parameters", |a| {
        a.commands
            .compose
            .as_ref()
            .is_some_and(|c| !c.params.is_empty())
    })
    .await;
    let names: Vec<String> = live
        .app
        .commands
        .compose
        .as_ref()
        .unwrap()
        .params
        .iter()
        .map(|(p, _)| p.name.clone())
        .collect();
    assert_eq!(
        names,
        vec!["workingDirectory".to_string()],
        "commands and executionTimeout have their own fields"
    );
    live.type_text("pwd");
    while live.app.commands.compose.as_ref().unwrap().focus != ComposeField::Param(0) {
        live.key(KeyCode::Tab, KeyModifiers::NONE);
    }
    live.type_text("/");
    live.key(KeyCode::Char('s'), KeyModifiers::CONTROL);
    live.act(Action::Input(InputKey::Char('y')));
    live.until("the run", |a| a.commands.run().is_some_and(|r| r.done()))
        .await;
    let run = live.app.commands.run().unwrap();
    assert!(
        run.nodes.values().all(|n| n.inv.output == "/\n"),
        "{:?}",
        run.nodes
            .values()
            .map(|n| n.inv.output.clone())
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_tag_target_run_waits_until_every_target_resolved() {
    let lab = common::lab(60, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx).await;
    live.until("the fleet", |a| a.fleet.loading.is_none()).await;
    let want = lab
        .nodes()
        .iter()
        .filter(|n| n.tag("Role") == Some("web"))
        .count();
    assert!(want >= 6, "{want}");
    live.cmd(Command::NextPane);
    live.cmd(Command::Create);
    live.type_text("tag:Role=web");
    while live.app.commands.compose.as_ref().unwrap().focus != ComposeField::Commands {
        live.key(KeyCode::Tab, KeyModifiers::NONE);
    }
    live.type_text("true");
    live.key(KeyCode::Char('s'), KeyModifiers::CONTROL);
    assert_eq!(live.app.mode(), Mode::Confirm);
    live.act(Action::Input(InputKey::Submit));
    // While targets resolve, some polls list only part of the nodes, all of
    // them final: the run must not be declared finished then.
    let premature = std::cell::Cell::new(0);
    live.until("the run", |a| {
        let Some(r) = a.commands.run() else {
            return false;
        };
        let listed_final = !r.nodes.is_empty() && r.nodes.values().all(|n| n.inv.status.is_final());
        if listed_final && r.nodes.len() < want {
            premature.set(premature.get() + 1);
            assert!(!r.done(), "done with {} of {want} nodes", r.nodes.len());
        }
        r.done()
    })
    .await;
    let run = live.app.commands.run().unwrap();
    assert_eq!(run.nodes.len(), want);
    let c = run.summaries.values().next().unwrap();
    assert!(c.status.is_final(), "{:?}", c.status);
    assert_eq!(c.target_count as usize, want);
    assert!(run.finished.is_some());
    assert!(
        live.app
            .notices
            .iter()
            .any(|(n, _)| n.starts_with("run #1 finished")),
        "{:?}",
        live.app.notices
    );
    // The lab resolves targets a second apart, so some poll saw a partial
    // list of final invocations (which the old rule called finished).
    assert!(premature.get() > 0, "no partial poll seen");
}

#[tokio::test]
async fn incomplete_commands_show_as_incomplete() {
    let lab = common::lab(24, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx).await;
    let mut ids = online(&lab, 2);
    ids.push(
        lab.nodes()
            .into_iter()
            .find(|n| n.ping == PingStatus::ConnectionLost && n.platform_type == "Linux")
            .unwrap()
            .id,
    );
    live.select(&ids).await;
    live.run("echo hi").await;
    let run = live.app.commands.run().unwrap();
    assert_eq!(
        run.command_statuses(),
        vec![(ssmdeck::model::CommandStatus::Incomplete, 1)]
    );
    assert!(
        live.screen().contains("command Incomplete"),
        "{}",
        live.screen()
    );
    live.cmd(Command::History);
    live.until("history", |a| a.commands.history.is_some())
        .await;
    let screen = live.screen();
    assert!(screen.contains("Incomplete"), "{screen}");
    assert!(screen.contains("1 Incomplete"), "{screen}");
}

#[tokio::test]
async fn the_composer_warns_when_the_document_does_not_fit_the_nodes_platform() {
    let lab = common::lab(40, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx).await;
    let windows = lab
        .nodes()
        .into_iter()
        .find(|n| n.platform_type == "Windows")
        .unwrap();
    let mut ids = online(&lab, 2);
    ids.push(windows.id.clone());
    live.select(&ids).await;
    live.cmd(Command::RunCommand);
    // Mixed selection: the shell document; its platforms come from DescribeDocument.
    live.until("the document's platforms", |a| {
        a.commands
            .compose
            .as_ref()
            .is_some_and(|c| !c.platforms.is_empty())
    })
    .await;
    assert_eq!(
        live.app.commands.compose.as_ref().unwrap().document,
        "AWS-RunShellScript"
    );
    live.type_text("uptime");
    live.key(KeyCode::Char('s'), KeyModifiers::CONTROL);
    assert_eq!(live.app.mode(), Mode::Confirm);
    let lines = live.app.confirm().unwrap().lines.clone();
    let warning = lines
        .iter()
        .find(|l| l.starts_with("Warning:"))
        .unwrap_or_else(|| panic!("{lines:?}"));
    assert!(
        warning.contains("runs on Linux, MacOS only; 1 of the 3 target nodes are Windows")
            && warning.contains(&windows.name)
            && warning.contains("InvalidPlatform"),
        "{warning}"
    );
    // Linux nodes only: no warning.
    live.act(Action::Input(InputKey::Char('n')));
    assert_eq!(live.app.mode(), Mode::Editor);
    live.key(KeyCode::Esc, KeyModifiers::NONE);
    live.app.commands.compose = None;
    live.select(&online(&lab, 2)).await;
    live.cmd(Command::RunCommand);
    live.until("the document's platforms", |a| {
        a.commands
            .compose
            .as_ref()
            .is_some_and(|c| !c.platforms.is_empty())
    })
    .await;
    live.type_text("uptime");
    live.key(KeyCode::Char('s'), KeyModifiers::CONTROL);
    let lines = live.app.confirm().unwrap().lines.clone();
    assert!(
        !lines.iter().any(|l| l.starts_with("Warning:")),
        "{lines:?}"
    );
}

/// Runs `seq 1 10000` (48,894 characters, twice what GetCommandInvocation
/// returns) on one node, with CloudWatch output `cloudwatch`, follows the
/// node until its full output is read and returns the lab (keep it: it
/// stops when dropped), the console and the node.
/// Runs `seq 1 10000` on one node, with CloudWatch output on or off and
/// the composer's S3 output field set to `s3` (empty: none), and opens its
/// output in the follow view.
async fn long_output_run(
    faults: Faults,
    cloudwatch: bool,
    s3: &str,
) -> (ssmdeck_lab::LabHandle, Live, String) {
    let lab = common::lab(24, faults).await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx.clone()).await;
    let ids = online(&lab, 1);
    live.select(&ids).await;
    live.cmd(Command::RunCommand);
    let compose = live.app.commands.compose.as_mut().unwrap();
    compose.cloudwatch = cloudwatch;
    compose.s3_output = s3.into();
    live.type_text("seq 1 10000");
    live.key(KeyCode::Char('s'), KeyModifiers::CONTROL);
    assert_eq!(live.app.mode(), Mode::Confirm);
    live.act(Action::Input(InputKey::Char('y')));
    live.until("the run to finish", |a| {
        a.commands.run().is_some_and(|r| r.done())
    })
    .await;
    // GetCommandInvocation alone gives the first 24,000 characters.
    let run = live.app.commands.run().unwrap();
    let (out, _) = ssmdeck::aws::commands::output(&ctx, &run.command_ids[0], &ids[0])
        .await
        .unwrap();
    assert_eq!(out.chars().count(), 24_000);
    live.cmd(Command::OpenDetails);
    live.until("the full output", |a| {
        a.commands
            .run()
            .is_some_and(|r| r.nodes[&ids[0]].full.is_some())
    })
    .await;
    (lab, live, ids[0].clone())
}

/// The path a "results written to" notice names.
fn exported_path(note: &str) -> String {
    note.trim_start_matches("results written to ")
        .trim_end_matches(" (mode 0600)")
        .to_owned()
}

/// Exports the run on screen to a path the user gives outside the data
/// directory; the same path again is refused (a file the console did not
/// write is never overwritten) and asked again with the user's text.
async fn export_elsewhere(live: &mut Live, want: usize) {
    let dir = live.data_dir.join("elsewhere");
    std::fs::create_dir_all(&dir).unwrap();
    let target = dir.join("mine.json").display().to_string();
    for round in 0..2 {
        live.app.notices.clear();
        live.cmd(Command::Export);
        live.answer(&target);
        live.until("the export's answer", |a| {
            a.notices
                .iter()
                .any(|(n, _)| n.starts_with("results written to") || n.starts_with("export failed"))
        })
        .await;
        let note = live.app.notices.last().unwrap().0.clone();
        if round == 0 {
            assert_eq!(exported_path(&note), target, "{note}");
            let json: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
            assert_eq!(json.as_array().unwrap().len(), want);
        } else {
            assert!(note.contains("exists: give another path"), "{note}");
            let p = live.app.prompt().expect("asked again");
            assert_eq!(p.text, target, "the user's text is kept");
            live.act(Action::Input(InputKey::Cancel));
        }
    }
}

/// Exports the run on screen and returns the JSON written.
async fn export_json(live: &mut Live) -> serde_json::Value {
    live.cmd(Command::Export);
    let asked = live.app.prompt().expect("asked where").text.clone();
    live.answer(&asked);
    live.until("the export", |a| {
        a.notices
            .iter()
            .any(|(n, _)| n.starts_with("results written to"))
    })
    .await;
    let note = live
        .app
        .notices
        .iter()
        .find(|(n, _)| n.starts_with("results written to"))
        .unwrap()
        .0
        .clone();
    let path = exported_path(&note);
    let json = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let _ = std::fs::remove_file(&path);
    json
}

fn all_lines() -> String {
    (1..=10_000).map(|i| format!("{i}\n")).collect()
}

#[tokio::test]
async fn output_past_24000_characters_is_read_whole_from_cloudwatch_logs() {
    let (_lab, mut live, id) = long_output_run(Faults::default(), true, "").await;
    let full = live.app.commands.run().unwrap().nodes[&id]
        .full
        .clone()
        .unwrap();
    assert!(full.from_logs, "{:?}", full.logs_error);
    assert!(!full.truncated(), "{:?}", full.marker());
    assert_eq!(full.stdout, all_lines());
    let screen = live.screen();
    assert!(screen.contains("full output (CloudWatch"), "{screen}");
    assert!(
        screen
            .lines()
            .any(|l| l.trim_end().ends_with("│10000") || l.contains("│10000 ")),
        "the follow view ends with the last line: {screen}"
    );
    assert!(!screen.contains("truncated"), "{screen}");
    let json = export_json(&mut live).await;
    assert_eq!(json[0]["stdout"].as_str(), Some(all_lines().as_str()));
    assert_eq!(json[0]["output_source"], "CloudWatch Logs");
    assert!(json[0].get("truncated").is_none(), "{}", json[0]);
}

const MARKER: &str = "… output truncated at 24,000 characters by GetCommandInvocation; the rest is in CloudWatch Logs / S3 when configured";

/// The cut output is shown and exported as cut: the note in the follow
/// view, in the grid and in the export.
async fn assert_marked(live: &mut Live, id: &str) -> serde_json::Value {
    let full = live.app.commands.run().unwrap().nodes[id]
        .full
        .clone()
        .unwrap();
    assert!(full.stdout_cut && !full.from_logs);
    assert_eq!(full.stdout.chars().count(), 24_000);
    assert!(full.marker().unwrap().starts_with(MARKER));
    let out = live.app.commands.run().unwrap().output_of(id);
    assert!(
        out.ends_with(&format!("{}\n", full.marker().unwrap())),
        "{out:.80}"
    );
    let screen = live.screen();
    assert!(screen.contains("… output truncated at 24,000"), "{screen}");
    // The grid (follow closed) marks the node.
    live.cmd(Command::OpenDetails);
    assert!(!live.app.commands.follow);
    let screen = live.screen();
    assert!(screen.contains("✂ truncated · 1"), "{screen}");
    let json = export_json(live).await;
    assert_eq!(json[0]["stdout_truncated"], true);
    assert!(json[0]["truncated"].as_str().unwrap().starts_with(MARKER));
    assert_eq!(json[0]["stdout"].as_str().unwrap().chars().count(), 24_000);
    json
}

#[tokio::test]
async fn output_cut_by_get_command_invocation_is_marked_when_cloudwatch_is_off() {
    let (_lab, mut live, id) = long_output_run(Faults::default(), false, "").await;
    let json = assert_marked(&mut live, &id).await;
    assert_eq!(json[0]["truncated"].as_str(), Some(MARKER));
    assert_eq!(json[0]["output_source"], "GetCommandInvocation");
}

#[tokio::test]
async fn output_cut_is_marked_with_the_reason_when_logs_denies_the_read() {
    let faults = Faults {
        deny: vec!["logs:GetLogEvents".into()],
        ..Faults::default()
    };
    let (_lab, mut live, id) = long_output_run(faults, true, "").await;
    let json = assert_marked(&mut live, &id).await;
    let note = json[0]["truncated"].as_str().unwrap();
    assert!(
        note.contains("(CloudWatch Logs: ") && note.contains("AccessDenied"),
        "{note}"
    );
}

/// Issue 13 item 7: `y` on a node of a run shows its command invocation
/// as JSON (read-only), as it does for nodes and OpsItems.
#[tokio::test]
async fn y_shows_the_command_invocation_under_the_cursor_as_json() {
    let lab = common::lab(24, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx).await;
    let ids = online(&lab, 1);
    live.select(&ids).await;
    live.run("echo json-me").await;
    live.until("the run to finish", |a| {
        a.commands.run().is_some_and(|r| r.done())
    })
    .await;
    live.cmd(Command::RawJson);
    let json = live.app.commands.json.as_ref().expect("the JSON view");
    let body = json.lines.join("\n");
    assert!(
        body.contains(&format!("\"instance_id\": \"{}\"", ids[0])),
        "{body}"
    );
    assert!(body.contains("\"status\": \"Success\""), "{body}");
    assert!(body.contains("json-me"), "{body}");
    let screen = live.screen();
    assert!(screen.contains("(CommandInvocation)"), "{screen}");
}

/// Issue 12 item 3: with the composer's S3 output set, the follow view and
/// the export hold the whole output, read back from the bucket
/// (GetObject on the invocation's StandardOutputUrl).
#[tokio::test]
async fn output_past_24000_characters_is_read_whole_from_the_s3_output() {
    let (_lab, mut live, id) =
        long_output_run(Faults::default(), false, "s3://ssmdeck-lab-output/deck/").await;
    let full = live.app.commands.run().unwrap().nodes[&id]
        .full
        .clone()
        .unwrap();
    assert!(full.from_s3, "{:?}", full.logs_error);
    assert!(!full.truncated(), "{:?}", full.marker());
    assert_eq!(full.stdout, all_lines());
    let screen = live.screen();
    assert!(screen.contains("full output (S3)"), "{screen}");
    assert!(!screen.contains("truncated"), "{screen}");
    let json = export_json(&mut live).await;
    assert_eq!(json[0]["stdout"].as_str(), Some(all_lines().as_str()));
    assert_eq!(json[0]["output_source"], "S3");
}

/// An output bucket that does not exist (the agent's upload failed):
/// the rest comes from CloudWatch Logs when it is on, and without it the
/// cut output is marked with S3's reason.
#[tokio::test]
async fn a_missing_output_bucket_falls_back_to_cloudwatch_or_says_why() {
    let (_lab, live, id) = long_output_run(Faults::default(), true, "no-such-output-bucket").await;
    let full = live.app.commands.run().unwrap().nodes[&id]
        .full
        .clone()
        .unwrap();
    assert!(full.from_logs && !full.from_s3, "{full:?}");
    assert!(!full.truncated());
    assert!(
        full.logs_error
            .as_deref()
            .is_some_and(|e| e.starts_with("S3: ") && e.contains("NoSuchBucket")),
        "{:?}",
        full.logs_error
    );
    drop(live);
    let (_lab, mut live, id) =
        long_output_run(Faults::default(), false, "no-such-output-bucket").await;
    let json = assert_marked(&mut live, &id).await;
    let note = json[0]["truncated"].as_str().unwrap();
    assert!(
        note.contains("(S3: ") && note.contains("NoSuchBucket"),
        "{note}"
    );
}

/// Issue 13 item 13: groups whose output differs only late ("tick 1",
/// "tick 2", then each node's role) show the line that tells them apart
/// and how many nodes and which; a node that ran and failed shows its
/// first stderr line, read with GetCommandInvocation where the plugin
/// output (2,500 characters) cut it off.
#[tokio::test]
async fn groups_that_differ_late_show_the_differing_line_and_failures_their_stderr() {
    let lab = common::lab(24, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx).await;
    let ids = online(&lab, 6);
    live.select(&ids).await;
    let script = format!(
        "echo tick 1; echo tick 2; case \"$SSM_NODE_ID\" in {a}|{b}) echo role a;; {f}) seq 1 1000; echo 'disk full on /var' >&2; exit 3;; *) echo role c;; esac",
        a = ids[0],
        b = ids[1],
        f = ids[2]
    );
    live.run(&script).await;
    let failed = ids[2].clone();
    live.until("the failed node's stderr (GetCommandInvocation)", |a| {
        a.commands
            .run()
            .is_some_and(|r| r.nodes[&failed].stderr_line.is_some())
    })
    .await;
    let run = live.app.commands.run().unwrap();
    assert!(
        !run.nodes[&failed]
            .inv
            .output
            .contains(ssmdeck::panes::run_command::state::ERROR_MARKER),
        "the plugin output is cut before stderr"
    );
    let s = live.screen();
    assert!(s.contains("stderr: disk full on /var"), "{s}");
    live.cmd(Command::ToggleGroups);
    let s = live.screen();
    let row = |want: &[&str]| s.lines().any(|l| want.iter().all(|w| l.contains(w)));
    assert!(row(&["3 nodes: ", "Success", "L3 role c"]), "{s}");
    assert!(row(&["2 nodes: ", "Success", "L3 role a"]), "{s}");
    assert!(
        row(&["1 node: ", "Failed", "exit 3", "stderr: disk full on /var"]),
        "{s}"
    );
    assert!(
        s.contains("OUTPUT (Ln: from the first line that differs)"),
        "{s}"
    );
    assert!(
        !s.lines()
            .any(|l| l.contains(" node") && l.contains("tick 1")),
        "the shared first line is not what the group rows show:\n{s}"
    );
    assert!(s.contains("— finished in "), "the timer stopped: {s}");
}

/// Issue 13 item 13: an 89-node send is two SendCommand calls (two
/// command ids) and showed twice in history; it is one row with the node
/// total, and history and the composer's previous commands survive a
/// restart (the file 0600, command text as the config allows).
#[tokio::test]
async fn an_89_node_send_is_once_in_history_and_survives_a_restart() {
    let lab = common::lab(200, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx.clone()).await;
    live.app.commands.remember_command_text = true;
    let ids = online(&lab, 89);
    assert_eq!(ids.len(), 89);
    live.show(Pane::Commands);
    live.select(&ids).await;
    live.run("echo once").await;
    assert_eq!(live.app.commands.run().unwrap().command_ids.len(), 2);
    live.cmd(Command::History);
    live.until("history", |a| a.commands.history.is_some())
        .await;
    let ours = |a: &ssmdeck::app::App| {
        a.commands
            .history_view()
            .into_iter()
            .filter(|r| r.summary.commands == ["echo once"])
            .collect::<Vec<_>>()
    };
    let rows = ours(&live.app);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].command_ids.len(), 2);
    assert_eq!(rows[0].summary.target_count, 89);
    assert!(
        live.screen().contains("89/89 (0 errors) · 2 commands"),
        "{}",
        live.screen()
    );

    let file = live.data_dir.join("run_command.json");
    live.until("the file", |_| file.exists()).await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "private");
    }
    // A restart: a new console on the same data directory.
    let dir = live.data_dir.clone();
    drop(live);
    let mut again = Live::start(ctx).await;
    again.tasks.set_data_dir(Some(dir.clone()));
    again.app.commands.remember_command_text = true;
    again.show(Pane::Commands);
    again
        .until("the remembered sends", |a| !a.commands.sends.is_empty())
        .await;
    assert_eq!(again.app.commands.sends[0].nodes, 89);
    again.cmd(Command::History);
    again
        .until("history", |a| a.commands.history.is_some())
        .await;
    let rows = ours(&again.app);
    assert_eq!(rows.len(), 1, "still once after a restart: {rows:?}");
    assert_eq!(rows[0].summary.target_count, 89);
    again.cmd(Command::Back);
    again.cmd(Command::Create);
    again.key(KeyCode::Char('p'), KeyModifiers::CONTROL);
    assert_eq!(
        again.app.commands.compose.as_ref().unwrap().lines(),
        vec!["echo once".to_string()],
        "the previous command survived (remember_command_text = true)"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
