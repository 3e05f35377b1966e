//! The Automation pane against the lab's runbook engine: from an OpsItem,
//! AWS-RestartEC2Instance on its node (the node goes down and comes back
//! Online, the execution is recorded on the OpsItem); the diagnostics
//! runbook's approval approved, rejected, and an execution stopped; an
//! Interactive run stepped and resumed; a rate-controlled run over 100
//! nodes with failures, its children and the calls a poll costs; the
//! Documents pane's versions and diff.

use crossterm::event::{KeyCode, KeyModifiers};
use ssmdeck::action::{Action, Command, InputKey};
use ssmdeck::app::{Mode, Pane};
use ssmdeck::panes::automation::state::{ExecTab, Inner, TopTab};
use ssmdeck_lab::{Faults, FleetSpec, LabConfig, LabHandle, PingStatus};

use crate::common::{self, live::Live};

async fn lab(nodes: usize, ops_items: usize) -> LabHandle {
    ssmdeck_lab::start(LabConfig {
        fleet: FleetSpec {
            nodes,
            seed: 16,
            hybrid_share: 0.0,
            connection_lost_share: 0.0,
            inactive_share: 0.0,
            ops_items,
            ..FleetSpec::demo()
        },
        faults: Faults::default(),
        ..LabConfig::default()
    })
    .await
    .expect("lab starts on loopback")
}

/// The Automation pane shown, its runbooks listed.
async fn runbooks(live: &mut Live) {
    live.show(Pane::Automation);
    live.cmd(Command::NextTab);
    assert_eq!(live.app.automation.tab, TopTab::Runbooks);
    live.until("the runbooks", |a| {
        a.automation.runbooks_pending == 0 && !a.automation.runbooks.is_empty()
    })
    .await;
}

/// Moves the Runbooks cursor to `name` and opens its form.
async fn open_form(live: &mut Live, name: &str) {
    live.cmd(Command::SelectFirst);
    for _ in 0..live.app.automation.runbooks_shown.len() {
        let at = live.app.automation.cursors[1].at;
        let i = live.app.automation.runbooks_shown[at];
        if live.app.automation.runbooks[i].1.name == name {
            live.cmd(Command::OpenDetails);
            live.until("the runbook's parameters", |a| {
                a.automation
                    .form
                    .as_ref()
                    .is_some_and(|f| f.info.ready().is_some())
            })
            .await;
            return;
        }
        live.cmd(Command::SelectNext);
    }
    panic!("no runbook {name}");
}

fn ctrl_s(live: &mut Live) {
    live.key(KeyCode::Char('s'), KeyModifiers::CONTROL);
}

fn yes(live: &mut Live) {
    assert_eq!(live.app.mode(), Mode::Confirm, "asked first");
    live.act(Action::Input(InputKey::Char('y')));
}

/// The status of the execution in view, once read.
fn status(a: &ssmdeck::app::App) -> String {
    a.automation
        .detail
        .ready()
        .map(|d| d.execution.status.clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn from_an_opsitem_a_restart_brings_its_node_back_online_and_is_recorded() {
    let lab = lab(12, 30).await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx.clone()).await;
    live.show(Pane::OpsCenter);
    live.until("the OpsItems", |a| {
        !a.ops.loading && !a.ops.items.is_empty()
    })
    .await;
    // An OpsItem that suggests the restart runbook and names an EC2 node.
    let pick = live
        .app
        .ops
        .items
        .iter()
        .position(|i| {
            i.operational_data
                .get("/aws/automations")
                .is_some_and(|d| d.value.contains("AWS-RestartEC2Instance"))
                && i.related_nodes().iter().any(|n| n.starts_with("i-"))
        })
        .expect("a seeded OpsItem suggests AWS-RestartEC2Instance");
    let item = live.app.ops.items[pick].clone();
    let node = item.related_nodes()[0].clone();
    live.cmd(Command::SelectFirst);
    while live.app.ops.current().map(|i| i.id.clone()) != Some(item.id.clone()) {
        live.cmd(Command::SelectNext);
    }
    live.cmd(Command::RunRunbook);
    assert_eq!(live.app.pane, Pane::Automation);
    live.until("the runbooks", |a| {
        a.automation.runbooks_pending == 0 && !a.automation.runbooks.is_empty()
    })
    .await;
    let first = live.app.automation.runbooks_shown[0];
    assert_eq!(
        live.app.automation.runbooks[first].1.name, "AWS-RestartEC2Instance",
        "the OpsItem's runbook first"
    );
    let screen = live.screen();
    assert!(screen.contains("★ suggested by"), "{screen}");
    open_form(&mut live, "AWS-RestartEC2Instance").await;
    let f = live.app.automation.form.as_ref().unwrap();
    assert_eq!(f.nodes, vec![node.clone()], "the OpsItem's node");
    ctrl_s(&mut live);
    let lines = live.app.confirm().unwrap().lines.join("\n");
    assert!(
        lines.contains("AWS-RestartEC2Instance version 1"),
        "{lines}"
    );
    assert!(
        lines.contains(&format!("recorded on {}", item.id)),
        "{lines}"
    );
    yes(&mut live);
    live.until("the execution open", |a| {
        a.automation.execution_in_view().is_some()
    })
    .await;
    // Watched from the lab while the screen follows the steps.
    let saw_down = std::cell::Cell::new(false);
    live.until("Success", |a| {
        if let Some(n) = lab.nodes().into_iter().find(|n| n.id == node)
            && (n.ping == PingStatus::ConnectionLost || n.state != "running")
        {
            saw_down.set(true);
        }
        status(a) == "Success"
    })
    .await;
    let d = live.app.automation.detail.ready().unwrap().clone();
    let steps: Vec<(&str, &str)> = d
        .steps
        .iter()
        .map(|s| (s.name.as_str(), s.status.as_str()))
        .collect();
    assert_eq!(
        steps,
        [("stopInstances", "Success"), ("startInstances", "Success")]
    );
    let n = lab.nodes().into_iter().find(|n| n.id == node).unwrap();
    assert_eq!((n.ping, n.state.as_str()), (PingStatus::Online, "running"));
    assert!(saw_down.get(), "the node went down while the runbook ran");
    // Recorded on the OpsItem, as the AWS console does.
    let id = d.execution.id.clone();
    live.until("recorded", |a| {
        a.messages.iter().any(|(_, m)| m.contains("recorded on"))
    })
    .await;
    let got = ctx
        .ssm
        .get_ops_item()
        .ops_item_id(&item.id)
        .send()
        .await
        .unwrap();
    let data = got.ops_item().unwrap().operational_data().unwrap();
    let v = data["/aws/automations"].value().unwrap();
    assert!(
        v.contains(&id) && v.contains("AWS-RestartEC2Instance"),
        "{v}"
    );
}

/// Starts Lab-CollectDiagnostics with Depth full on `node`: it waits for
/// its approval.
async fn waiting_diagnostics(live: &mut Live, node: &str) -> String {
    open_form(live, "Lab-CollectDiagnostics").await;
    live.type_text(node);
    live.key(KeyCode::Tab, KeyModifiers::NONE);
    for _ in 0.."basic".len() {
        live.key(KeyCode::Backspace, KeyModifiers::NONE);
    }
    live.type_text("full");
    ctrl_s(live);
    let lines = live.app.confirm().unwrap().lines.join("\n");
    assert!(lines.contains("Depth = full"), "{lines}");
    yes(live);
    live.until("waiting for approval", |a| {
        a.automation.detail.ready().is_some_and(|d| {
            d.execution.status == "Waiting" && d.execution.current_step == "approveUpload"
        })
    })
    .await;
    live.app.automation.execution_in_view().unwrap().1
}

fn linux_node(lab: &LabHandle) -> String {
    lab.nodes()
        .into_iter()
        .find(|n| n.platform_type == "Linux" && n.id.starts_with("i-"))
        .expect("a Linux EC2 node")
        .id
}

#[tokio::test]
async fn an_approval_is_approved_or_rejected_and_an_execution_is_stopped() {
    let lab = lab(8, 0).await;
    let node = linux_node(&lab);
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx.clone()).await;
    runbooks(&mut live).await;
    let id = waiting_diagnostics(&mut live, &node).await;
    let screen = live.screen();
    assert!(
        screen.contains("▶") && screen.contains("approveUpload"),
        "{screen}"
    );
    live.cmd(Command::Approve);
    assert_eq!(live.app.mode(), Mode::Prompt);
    live.act(Action::Input(InputKey::Submit));
    let lines = live.app.confirm().unwrap().lines.join("\n");
    assert!(lines.contains("Approve step approveUpload"), "{lines}");
    yes(&mut live);
    live.until("Success", |a| status(a) == "Success").await;
    // The collection step's command opens in Run Command.
    let d = live.app.automation.detail.ready().unwrap().clone();
    let at = d
        .steps
        .iter()
        .position(|s| s.name == "collectFull")
        .unwrap();
    let command = d.steps[at]
        .command_id()
        .expect("collectFull ran a command")
        .to_owned();
    live.cmd(Command::SelectFirst);
    for _ in 0..at {
        live.cmd(Command::SelectNext);
    }
    live.cmd(Command::OpenDetails);
    assert!(matches!(
        live.app.automation.inner(),
        Some(Inner::Step { .. })
    ));
    live.cmd(Command::OpenDetails);
    assert_eq!(live.app.pane, Pane::Commands);
    live.until("the command", |a| {
        a.commands
            .run()
            .is_some_and(|r| r.command_ids == [command.clone()] && r.done())
    })
    .await;
    live.cmd(Command::Back);
    assert_eq!(live.app.pane, Pane::Automation);

    // Rejected: the execution fails.
    live.cmd(Command::Back);
    live.cmd(Command::Back);
    assert!(live.app.automation.inner().is_none());
    assert_eq!(
        live.app.automation.tab,
        TopTab::Runbooks,
        "where the start was"
    );
    let rejected = waiting_diagnostics(&mut live, &node).await;
    assert_ne!(rejected, id);
    live.cmd(Command::Reject);
    live.act(Action::Input(InputKey::Submit));
    yes(&mut live);
    live.until("Failed", |a| status(a) == "Failed").await;

    // Stopped while it waits: Cancelled.
    live.cmd(Command::Back);
    waiting_diagnostics(&mut live, &node).await;
    live.cmd(Command::CancelCommand);
    yes(&mut live);
    live.until("Cancelled", |a| status(a) == "Cancelled").await;
    let audit: Vec<&String> = live
        .app
        .messages
        .iter()
        .map(|(_, m)| m)
        .filter(|m| m.contains("sent to"))
        .collect();
    assert_eq!(audit.len(), 3, "{:?}", live.app.messages);
}

#[tokio::test]
async fn an_interactive_run_waits_for_each_step_and_resumes() {
    let lab = lab(8, 0).await;
    let node = linux_node(&lab);
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx).await;
    runbooks(&mut live).await;
    open_form(&mut live, "Lab-CollectDiagnostics").await;
    live.type_text(&node);
    // Mode is after the parameters.
    while live.app.automation.form.as_ref().unwrap().focus
        != ssmdeck::panes::automation::form::Field::Mode
    {
        live.key(KeyCode::Tab, KeyModifiers::NONE);
    }
    live.key(KeyCode::Char(' '), KeyModifiers::NONE);
    assert!(live.app.automation.form.as_ref().unwrap().interactive);
    ctrl_s(&mut live);
    yes(&mut live);
    live.until("the first step waiting", |a| {
        a.automation.detail.ready().is_some_and(|d| {
            d.execution.mode == "Interactive"
                && d.steps.first().is_some_and(|s| s.status == "Pending")
                && d.steps.iter().all(|s| s.status == "Pending")
        })
    })
    .await;
    live.cmd(Command::StartStep);
    yes(&mut live);
    live.until("the first step run", |a| {
        a.automation
            .detail
            .ready()
            .is_some_and(|d| d.steps.first().is_some_and(|s| s.status == "Success"))
    })
    .await;
    live.cmd(Command::Resume);
    yes(&mut live);
    live.until("resumed", |a| {
        a.messages.iter().any(|(_, m)| m.contains("Resume"))
    })
    .await;
    let said: Vec<_> = live.app.messages.iter().map(|(_, m)| m.clone()).collect();
    assert!(said.iter().any(|m| m.contains("Resume: sent")), "{said:?}");
    live.until("Success", |a| status(a) == "Success").await;
}

#[tokio::test]
async fn a_rate_controlled_run_over_100_nodes_shows_its_children_and_failures() {
    let lab = lab(100, 0).await;
    let nodes = lab.nodes();
    let failing: Vec<&str> = nodes.iter().take(3).map(|n| n.id.as_str()).collect();
    lab.fail_automation_step_on("stopInstances", &failing);
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx).await;
    live.until("the fleet", |a| {
        a.fleet.loading.is_none() && a.fleet.nodes.len() == 100
    })
    .await;
    live.cmd(Command::SelectAllMatching);
    live.cmd(Command::RunRunbook);
    assert_eq!(live.app.pane, Pane::Automation);
    live.until("the runbooks", |a| {
        a.automation.runbooks_pending == 0 && !a.automation.runbooks.is_empty()
    })
    .await;
    open_form(&mut live, "AWS-RestartEC2Instance").await;
    let f = live.app.automation.form.as_ref().unwrap();
    assert!(f.rate && f.nodes.len() == 100, "rate control by default");
    // MaxErrors 5: the three failing nodes do not stop the launches.
    let to_errors = f.fields().len() - 1;
    for _ in 0..to_errors {
        live.key(KeyCode::Tab, KeyModifiers::NONE);
    }
    live.key(KeyCode::Backspace, KeyModifiers::NONE);
    live.type_text("5");
    assert_eq!(live.app.automation.form.as_ref().unwrap().errors, "5");
    ctrl_s(&mut live);
    let lines = live.app.confirm().unwrap().lines.join("\n");
    assert!(
        lines.contains("100 nodes") && lines.contains("2 StartAutomationExecution calls"),
        "50 targets a call at most: {lines}"
    );
    yes(&mut live);
    live.until("both started", |a| {
        a.messages
            .iter()
            .filter(|(_, m)| m.contains("started AWS-RestartEC2Instance"))
            .count()
            == 2
    })
    .await;
    live.until("the children", |a| {
        a.automation.children.ready().is_some_and(|c| c.len() == 50)
    })
    .await;
    live.cmd(Command::NextTab);
    assert!(matches!(
        live.app.automation.inner(),
        Some(Inner::Execution {
            tab: ExecTab::Children,
            ..
        })
    ));
    live.until("the run finished", |a| {
        a.automation
            .detail
            .ready()
            .is_some_and(|d| ssmdeck::aws::automation::is_final(&d.execution.status))
            && a.automation.children.ready().is_some_and(|c| {
                c.iter()
                    .all(|x| ssmdeck::aws::automation::is_final(&x.status))
            })
    })
    .await;
    // A reload reads the execution in view again (GetAutomationExecution).
    lab.reset_calls();
    live.cmd(Command::Refresh);
    live.until("read again", |_| {
        lab.calls()
            .get("ssm:GetAutomationExecution")
            .is_some_and(|n| *n >= 1)
    })
    .await;
    let calls = lab.calls();
    let poll = calls
        .get("ssm:GetAutomationExecution")
        .copied()
        .unwrap_or(0);
    assert!(poll >= 1, "{calls:?}");
    let screen = live.screen();
    assert!(screen.contains("Children 50"), "{screen}");
    let all = lab.automation_executions();
    let failed_children = all
        .iter()
        .filter(|e| e.parent.is_some() && e.status == "Failed")
        .count();
    assert_eq!(failed_children, 3, "the three failing nodes");
    assert_eq!(all.iter().filter(|e| e.parent.is_some()).count(), 100);
}

#[tokio::test]
async fn the_documents_pane_shows_a_runbooks_versions_and_their_diff() {
    let lab = lab(4, 0).await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx).await;
    live.show(Pane::Documents);
    live.until("the documents", |a| {
        a.documents.pending == 0 && !a.documents.docs.is_empty()
    })
    .await;
    live.cmd(Command::Filter);
    for c in "diag".chars() {
        live.act(Action::Input(InputKey::Char(c)));
    }
    live.act(Action::Input(InputKey::Submit));
    assert_eq!(
        live.app.documents.focused().unwrap().1.name,
        "Lab-CollectDiagnostics"
    );
    live.cmd(Command::OpenDetails);
    live.until("the content", |a| {
        a.documents.content.ready().is_some() && a.documents.description.ready().is_some()
    })
    .await;
    let screen = live.screen();
    assert!(screen.contains("default v2 · latest v3"), "{screen}");
    assert!(screen.contains("\"mainSteps\""), "{screen}");
    live.cmd(Command::History);
    live.until("the versions", |a| {
        a.documents.versions.ready().is_some_and(|v| v.len() == 3)
    })
    .await;
    // The cursor is on the newest (3); D diffs it with the default (2).
    live.cmd(Command::Diff);
    live.until("the diff", |a| a.documents.diff.ready().is_some())
        .await;
    let lines = ssmdeck::panes::documents::diff_text(&live.app.documents);
    assert!(
        lines[0].contains("version 2") && lines[1].contains("version 3"),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with('+') && l.contains("trace")),
        "version 3 adds Depth trace: {lines:?}"
    );
}

#[tokio::test]
async fn a_runbook_on_tag_targets_fans_out_over_the_nodes_aws_resolves() {
    let lab = lab(12, 0).await;
    let dev = lab
        .nodes()
        .iter()
        .filter(|n| n.tag("Env") == Some("dev"))
        .count();
    assert!(dev > 0);
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx).await;
    runbooks(&mut live).await;
    open_form(&mut live, "AWS-RestartEC2Instance").await;
    while live.app.automation.form.as_ref().unwrap().focus
        != ssmdeck::panes::automation::form::Field::Tags
    {
        live.key(KeyCode::Tab, KeyModifiers::NONE);
    }
    live.type_text("tag:Env=dev");
    ctrl_s(&mut live);
    let lines = live.app.confirm().unwrap().lines.join("\n");
    assert!(lines.contains("Targets: tag:Env=dev"), "{lines}");
    yes(&mut live);
    live.until("every dev node's child, finished", |a| {
        a.automation
            .children
            .ready()
            .is_some_and(|c| c.len() == dev && c.iter().all(|x| x.status == "Success"))
            && status(a) == "Success"
    })
    .await;
}

#[tokio::test]
async fn seeded_runs_are_recorded_on_the_opsitems_about_their_nodes() {
    let lab = ssmdeck_lab::start(LabConfig {
        fleet: FleetSpec {
            nodes: 30,
            seed: 30,
            ops_items: 40,
            ..FleetSpec::demo()
        },
        faults: Faults::default(),
        ..LabConfig::default()
    })
    .await
    .unwrap();
    lab.seed_automation_history();
    let (ctx, _) = common::context(&lab).await;
    let mut items = Vec::new();
    ssmdeck::aws::opscenter::list_all(&ctx, &[], |page, _| items.extend(page))
        .await
        .unwrap();
    let mut recorded = Vec::new();
    for i in &items {
        let item = ssmdeck::aws::opscenter::get(&ctx, &i.id).await.unwrap();
        if let Some(d) = item.operational_data.get(ssmdeck::aws::automation::OPS_KEY) {
            recorded.extend(
                ssmdeck::aws::automation::ops_entries(&d.value)
                    .into_iter()
                    .filter(|e| ssmdeck::aws::automation::is_execution_id(e))
                    .map(|e| (item.related_nodes(), e)),
            );
        }
    }
    assert!(
        !recorded.is_empty(),
        "some seeded run is recorded on an OpsItem"
    );
    for (nodes, id) in &recorded {
        let x = ssmdeck::aws::automation::execution(&ctx, id).await.unwrap();
        assert!(
            nodes.contains(&x.execution.target),
            "{id} ran on the OpsItem's node"
        );
    }
}
