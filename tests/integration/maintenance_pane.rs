//! The Maintenance pane against the lab: a window that fires on the lab
//! clock, its invocation opened in Run Command; cancel of a running
//! execution; disable and enable; read-only refusing both; the change
//! freeze badge and the second question before a send.

use aws_sdk_ssm::types::{MaintenanceWindowTaskType, Target};
use ssmdeck::action::{Action, Command, InputKey};
use ssmdeck::app::{Mode, Pane};
use ssmdeck::panes::maintenance::state::Inner;
use ssmdeck_lab::PingStatus;
use ssmdeck_lab::{Faults, FleetSpec, LabConfig, LabHandle};

use crate::common::{self, live::Live};

async fn lab(first_window_in_s: Option<u64>) -> LabHandle {
    ssmdeck_lab::start(LabConfig {
        fleet: FleetSpec {
            nodes: 24,
            seed: 24,
            ..FleetSpec::demo()
        },
        faults: Faults::default(),
        start_before_window_s: first_window_in_s,
        change_calendars: true,
        history_commands: true,
        ..LabConfig::default()
    })
    .await
    .expect("lab starts on loopback")
}

/// The console on the Maintenance pane with the windows listed.
async fn shown(lab: &LabHandle) -> Live {
    let (ctx, _) = common::context(lab).await;
    let mut live = Live::start(ctx).await;
    live.show(Pane::Maintenance);
    live.until("the windows", |a| {
        a.maintenance.windows_pending == 0 && !a.maintenance.windows.is_empty()
    })
    .await;
    live
}

/// Moves the top-level cursor to the window named `name`.
fn cursor_to(live: &mut Live, name: &str) {
    live.cmd(Command::SelectFirst);
    for _ in 0..live.app.maintenance.windows.len() {
        if live
            .app
            .maintenance
            .window_at_cursor()
            .is_some_and(|(_, w)| w.name == name)
        {
            return;
        }
        live.cmd(Command::SelectNext);
    }
    panic!("no window {name} in {:?}", live.app.maintenance.windows);
}

#[tokio::test]
async fn a_window_fires_on_the_lab_clock_and_its_invocation_opens_in_run_command() {
    let lab = lab(Some(1)).await;
    let mut live = shown(&lab).await;
    cursor_to(&mut live, "canary-check");
    live.cmd(Command::OpenDetails);
    // Opened before it fires: the due window is read again until its run
    // shows and ends (no key pressed).
    live.until("canary-check's first execution, finished", |a| {
        a.maintenance.details.ready().is_some_and(|d| {
            d.executions
                .first()
                .is_some_and(|x| ssmdeck::panes::maintenance::state::is_final(&x.status))
        })
    })
    .await;
    let status = live.app.maintenance.details.ready().unwrap().executions[0]
        .status
        .clone();
    assert_eq!(status, "SUCCESS", "the canary's echo and uptime succeed");
    live.cmd(Command::OpenDetails);
    assert!(matches!(
        live.app.maintenance.inner(),
        Some(Inner::Execution { .. })
    ));
    live.until("the invocations", |a| {
        !a.maintenance.invocations().is_empty()
    })
    .await;
    let command_id = live.app.maintenance.invocations()[0].1.execution_id.clone();
    assert_eq!(
        command_id.len(),
        36,
        "a Run Command command id: {command_id}"
    );
    let screen = live.screen();
    assert!(screen.contains(&command_id), "{screen}");
    live.cmd(Command::OpenDetails);
    assert_eq!(live.app.pane, Pane::Commands);
    live.until("the command's invocations", |a| {
        a.commands.run().is_some_and(|r| {
            r.command_ids == [command_id.clone()] && r.done() && !r.nodes.is_empty()
        })
    })
    .await;
    let nodes = live.app.commands.run().unwrap().nodes.len();
    let tagged = lab
        .nodes()
        .into_iter()
        .filter(|n| {
            n.tag("Env") == Some("dev")
                && n.tag("Role") == Some("web")
                && n.ping == PingStatus::Online
        })
        .count();
    assert!(
        nodes >= tagged && tagged > 0,
        "{nodes} invocations, {tagged} dev web nodes online"
    );
    live.cmd(Command::Back);
    assert_eq!(
        live.app.pane,
        Pane::Maintenance,
        "Esc walks back to the execution"
    );
}

/// A window, created through the SDK, whose one RUN_COMMAND task sleeps
/// `sleep_s` on the prod nodes; it opens once a day, a day from now (the
/// test opens it at once with `LabHandle::open_maintenance_window`, once
/// its target and task are registered: a window that opened before its
/// task was registered would run nothing).
async fn sleepy_window(ctx: &ssmdeck::aws::AwsContext, sleep_s: u32) -> String {
    let start = ssmdeck::aws::maintenance::iso8601(ssmdeck::model::now_epoch_s() + 86_400);
    let w = ctx
        .ssm
        .create_maintenance_window()
        .name("long-job")
        .schedule("rate(1 day)")
        .start_date(start)
        .duration(2)
        .cutoff(0)
        .allow_unassociated_targets(false)
        .send()
        .await
        .expect("CreateMaintenanceWindow");
    let id = w.window_id().unwrap().to_owned();
    let target = ctx
        .ssm
        .register_target_with_maintenance_window()
        .window_id(&id)
        .resource_type(aws_sdk_ssm::types::MaintenanceWindowResourceType::Instance)
        .targets(Target::builder().key("tag:Env").values("prod").build())
        .send()
        .await
        .expect("RegisterTargetWithMaintenanceWindow");
    let params = aws_sdk_ssm::types::MaintenanceWindowRunCommandParameters::builder()
        .parameters("commands", vec![format!("sleep {sleep_s}")])
        .build();
    ctx.ssm
        .register_task_with_maintenance_window()
        .window_id(&id)
        .task_arn("AWS-RunShellScript")
        .task_type(MaintenanceWindowTaskType::RunCommand)
        .targets(
            Target::builder()
                .key("WindowTargetIds")
                .values(target.window_target_id().unwrap())
                .build(),
        )
        .max_concurrency("100%")
        .max_errors("100%")
        .task_invocation_parameters(
            aws_sdk_ssm::types::MaintenanceWindowTaskInvocationParameters::builder()
                .run_command(params)
                .build(),
        )
        .send()
        .await
        .expect("RegisterTaskWithMaintenanceWindow");
    id
}

#[tokio::test]
async fn a_running_execution_is_cancelled_after_the_question() {
    let lab = lab(None).await;
    let (ctx, _) = common::context(&lab).await;
    let id = sleepy_window(&ctx, 60).await;
    let execution = lab
        .open_maintenance_window("long-job")
        .expect("long-job opens at once");
    let mut live = shown(&lab).await;
    cursor_to(&mut live, "long-job");
    live.cmd(Command::OpenDetails);
    live.until("the running execution", |a| {
        a.maintenance.details.ready().is_some_and(|d| {
            d.executions
                .first()
                .is_some_and(|x| x.id == execution && x.status == "IN_PROGRESS")
        })
    })
    .await;
    live.cmd(Command::CancelCommand);
    assert_eq!(live.app.mode(), Mode::Confirm);
    let lines = live.app.confirm().unwrap().lines.join("\n");
    assert!(
        lines.contains("long-job") && lines.contains("IN_PROGRESS"),
        "{lines}"
    );
    live.act(Action::Input(InputKey::Char('y')));
    live.until("CANCELLED", |a| {
        a.maintenance.details.ready().is_some_and(|d| {
            d.executions
                .first()
                .is_some_and(|x| x.status == "CANCELLED")
        })
    })
    .await;
    // AWS agrees, and the command the task started is cancelled too.
    let x = ctx
        .ssm
        .describe_maintenance_window_executions()
        .window_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        x.window_executions()[0].status().map(|s| s.as_str()),
        Some("CANCELLED")
    );
    let audit = live
        .app
        .messages
        .iter()
        .any(|(_, m)| m.contains("cancel asked"));
    assert!(audit, "{:?}", live.app.messages);
}

#[tokio::test]
async fn a_window_is_disabled_and_enabled_again_after_each_question() {
    let lab = lab(None).await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = shown(&lab).await;
    cursor_to(&mut live, "prod-patching");
    let before = live.app.maintenance.window_at_cursor().unwrap().1.clone();
    assert!(before.enabled && before.next_execution.is_some());
    assert!(live.screen().contains("Asia/Tokyo"), "{}", live.screen());
    live.cmd(Command::ToggleEnabled);
    assert_eq!(
        live.app.confirm().unwrap().title,
        "Disable maintenance window?"
    );
    live.act(Action::Input(InputKey::Char('y')));
    live.until("disabled, listed again", |a| {
        a.maintenance.windows_pending == 0
            && a.maintenance
                .windows
                .iter()
                .any(|(_, w)| w.id == before.id && !w.enabled && w.next_execution.is_none())
    })
    .await;
    let w = ctx
        .ssm
        .get_maintenance_window()
        .window_id(&before.id)
        .send()
        .await
        .unwrap();
    assert!(!w.enabled());
    assert!(live.screen().contains("— (disabled)"), "{}", live.screen());
    cursor_to(&mut live, "prod-patching");
    live.cmd(Command::ToggleEnabled);
    assert_eq!(
        live.app.confirm().unwrap().title,
        "Enable maintenance window?"
    );
    live.act(Action::Input(InputKey::Char('y')));
    live.until("enabled again with a next run", |a| {
        a.maintenance
            .windows
            .iter()
            .any(|(_, w)| w.id == before.id && w.enabled && w.next_execution.is_some())
    })
    .await;
}

#[tokio::test]
async fn read_only_refuses_the_writes_and_nothing_changes() {
    let lab = lab(None).await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = shown(&lab).await;
    live.app.read_only = Some("--read-only".into());
    cursor_to(&mut live, "prod-patching");
    let id = live
        .app
        .maintenance
        .window_at_cursor()
        .unwrap()
        .1
        .id
        .clone();
    live.cmd(Command::ToggleEnabled);
    assert_eq!(live.app.mode(), Mode::Normal, "nothing is asked");
    let notice = &live.app.notices.last().expect("a notice says why").0;
    assert!(notice.contains("ssm:UpdateMaintenanceWindow"), "{notice}");
    let w = ctx
        .ssm
        .get_maintenance_window()
        .window_id(&id)
        .send()
        .await
        .unwrap();
    assert!(w.enabled());
}

#[tokio::test]
async fn a_closed_change_calendar_shows_in_the_header_and_a_send_asks_twice() {
    let lab = lab(None).await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx.clone()).await;
    live.until("the calendars and the fleet", |a| {
        !a.maintenance.calendars.is_empty() && a.fleet.loading.is_none()
    })
    .await;
    let header = live.screen().lines().next().unwrap().to_owned();
    assert!(
        header.contains("freeze prod-change-freeze CLOSED until"),
        "{header}"
    );
    let node = lab
        .nodes()
        .into_iter()
        .find(|n| n.ping == PingStatus::Online && n.platform_type == "Linux")
        .unwrap()
        .id;
    live.app.fleet.selected = [node.clone()].into_iter().collect();
    live.cmd(Command::RunCommand);
    assert_eq!(live.app.mode(), Mode::Editor);
    live.type_text("echo during the freeze");
    live.key(
        crossterm::event::KeyCode::Char('s'),
        crossterm::event::KeyModifiers::CONTROL,
    );
    assert_eq!(live.app.mode(), Mode::Confirm);
    let first = live.app.confirm().unwrap().lines.join("\n");
    assert!(
        first.contains("CHANGE FREEZE") && first.contains("prod-change-freeze: CLOSED until"),
        "{first}"
    );
    // The first yes only leads to the second question; nothing is sent,
    // and neither Enter nor a second y answers it.
    live.act(Action::Input(InputKey::Char('y')));
    assert_eq!(live.app.mode(), Mode::Confirm);
    assert_eq!(
        live.app.confirm().unwrap().title,
        "Change freeze: send anyway?"
    );
    live.act(Action::Input(InputKey::Char('y')));
    live.act(Action::Input(InputKey::Submit));
    assert_eq!(
        live.app.confirm().map(|c| c.title.as_str()),
        Some("Change freeze: send anyway?"),
        "y and Enter do not answer the second question"
    );
    let sent = |lab: &LabHandle| lab.calls().get("ssm:SendCommand").copied().unwrap_or(0);
    assert_eq!(sent(&lab), 0);
    live.act(Action::Input(InputKey::Char('n')));
    assert_eq!(sent(&lab), 0, "no at the second question sends nothing");
    assert_eq!(live.app.mode(), Mode::Editor, "and the draft is back");
    live.key(
        crossterm::event::KeyCode::Char('s'),
        crossterm::event::KeyModifiers::CONTROL,
    );
    live.act(Action::Input(InputKey::Char('y')));
    live.act(Action::Input(InputKey::Char('Y')));
    live.until("the command", |a| {
        a.commands.run().is_some_and(|r| !r.command_ids.is_empty())
    })
    .await;
    assert_eq!(sent(&lab), 1);
}

#[tokio::test]
async fn a_failed_run_of_the_history_opens_its_command_with_the_failed_node() {
    let lab = lab(None).await;
    let mut live = shown(&lab).await;
    cursor_to(&mut live, "staging-restart");
    live.cmd(Command::OpenDetails);
    live.until("the history", |a| a.maintenance.details.ready().is_some())
        .await;
    let at = live
        .app
        .maintenance
        .details
        .ready()
        .unwrap()
        .executions
        .iter()
        .position(|x| x.status == "FAILED")
        .expect("the seeded history has a FAILED run");
    for _ in 0..at {
        live.cmd(Command::SelectNext);
    }
    live.cmd(Command::OpenDetails);
    live.until("its invocation", |a| {
        !a.maintenance.invocations().is_empty()
    })
    .await;
    live.cmd(Command::OpenDetails);
    assert_eq!(live.app.pane, Pane::Commands);
    live.until("the command's nodes, final", |a| {
        a.commands
            .run()
            .is_some_and(|r| r.done() && !r.nodes.is_empty())
    })
    .await;
    let run = live.app.commands.run().unwrap();
    let failed: Vec<_> = run
        .nodes
        .values()
        .filter(|n| n.inv.status == ssmdeck::model::InvocationStatus::Failed)
        .collect();
    assert_eq!(failed.len(), 1, "{:?}", run.nodes);
    let staging = lab
        .nodes()
        .into_iter()
        .filter(|n| n.tag("Env") == Some("staging"))
        .count();
    assert_eq!(run.nodes.len(), staging, "every staging node has its part");
}
