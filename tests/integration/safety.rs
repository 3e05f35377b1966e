//! Safety for on-call: read-only mode blocks every mutating action (one
//! case per action, each pane), and the audit log records every mutation
//! run against the lab, without any value.

use crate::common;
use ssmdeck::app::{AutomationJob, CommandsJob, MaintenanceJob, OpsJob, ParamsJob, ShellJob};

use std::time::{Duration, Instant};

use ssmdeck::action::{Action, Command, InputKey};
use ssmdeck::app::{App, Confirm, ContextInfo, Effect, Mode, Overlay, Pane};
use ssmdeck::audit::Audit;
use ssmdeck::aws::commands::{SendRequest, Targets};
use ssmdeck::aws::opscenter::{CreateRequest, OpsChange};
use ssmdeck::aws::params::PutRequest;
use ssmdeck::model::ParamKind;
use ssmdeck::runtime::TaskManager;
use ssmdeck_lab::{Faults, PingStatus};

fn read_only_app(pane: Pane) -> App {
    let (mut app, _) = App::new(ContextInfo::default(), (120, 40), Instant::now());
    app.read_only = Some("--read-only".into());
    app.pane = pane;
    app
}

#[test]
fn read_only_blocks_each_mutating_action_and_says_why() {
    let cases: &[(Pane, Command, &str)] = &[
        (Pane::Fleet, Command::RunCommand, "ssm:SendCommand"),
        (Pane::Commands, Command::Create, "ssm:SendCommand"),
        (Pane::Commands, Command::Rerun, "ssm:SendCommand"),
        (Pane::Commands, Command::CancelCommand, "ssm:CancelCommand"),
        (Pane::Parameters, Command::Edit, "ssm:PutParameter"),
        (Pane::Parameters, Command::Create, "ssm:PutParameter"),
        (Pane::Parameters, Command::Restore, "ssm:PutParameter"),
        (Pane::Parameters, Command::Delete, "ssm:DeleteParameter"),
        (
            Pane::Parameters,
            Command::AddLabel,
            "ssm:LabelParameterVersion",
        ),
        (
            Pane::Parameters,
            Command::RemoveLabel,
            "ssm:UnlabelParameterVersion",
        ),
        (Pane::Parameters, Command::CopyTree, "ssm:PutParameter"),
        (Pane::Parameters, Command::MoveTree, "ssm:DeleteParameter"),
        (Pane::OpsCenter, Command::SetStatus, "ssm:UpdateOpsItem"),
        (Pane::OpsCenter, Command::SetPriority, "ssm:UpdateOpsItem"),
        (Pane::OpsCenter, Command::SetSeverity, "ssm:UpdateOpsItem"),
        (Pane::OpsCenter, Command::AddNote, "ssm:UpdateOpsItem"),
        (Pane::OpsCenter, Command::AddOpsData, "ssm:UpdateOpsItem"),
        (Pane::OpsCenter, Command::RemoveOpsData, "ssm:UpdateOpsItem"),
        (Pane::OpsCenter, Command::LinkItem, "ssm:UpdateOpsItem"),
        (Pane::OpsCenter, Command::Edit, "ssm:UpdateOpsItem"),
        (Pane::OpsCenter, Command::Create, "ssm:CreateOpsItem"),
        (Pane::OpsCenter, Command::RunCommand, "ssm:SendCommand"),
        (Pane::Fleet, Command::StartSession, "ssm:StartSession"),
        (Pane::OpsCenter, Command::StartSession, "ssm:StartSession"),
        (
            Pane::Sessions,
            Command::TerminateSession,
            "ssm:TerminateSession",
        ),
        (
            Pane::Maintenance,
            Command::CancelCommand,
            "ssm:CancelMaintenanceWindowExecution",
        ),
        (
            Pane::Maintenance,
            Command::ToggleEnabled,
            "ssm:UpdateMaintenanceWindow",
        ),
        (
            Pane::Fleet,
            Command::RunRunbook,
            "ssm:StartAutomationExecution",
        ),
        (
            Pane::OpsCenter,
            Command::RunRunbook,
            "ssm:StartAutomationExecution",
        ),
        (
            Pane::Automation,
            Command::Create,
            "ssm:StartAutomationExecution",
        ),
        (
            Pane::Automation,
            Command::Approve,
            "ssm:SendAutomationSignal",
        ),
        (
            Pane::Automation,
            Command::Reject,
            "ssm:SendAutomationSignal",
        ),
        (
            Pane::Automation,
            Command::StartStep,
            "ssm:SendAutomationSignal",
        ),
        (
            Pane::Automation,
            Command::Resume,
            "ssm:SendAutomationSignal",
        ),
        (
            Pane::Automation,
            Command::CancelCommand,
            "ssm:StopAutomationExecution",
        ),
        (Pane::Activations, Command::Create, "ssm:CreateActivation"),
        (Pane::Activations, Command::Delete, "ssm:DeleteActivation"),
        (
            Pane::Fleet,
            Command::Deregister,
            "ssm:DeregisterManagedInstance",
        ),
    ];
    for (pane, c, api) in cases {
        let mut app = read_only_app(*pane);
        let effects = app.update(Action::Command(*c), Instant::now());
        assert!(effects.is_empty(), "{pane:?} {c:?}: {effects:?}");
        assert_eq!(app.mode(), Mode::Normal, "{pane:?} {c:?} opened nothing");
        let notice = &app.notices.last().expect("a notice says why").0;
        assert!(
            notice.contains("read-only (--read-only)") && notice.contains(api),
            "{pane:?} {c:?}: {notice}"
        );
    }
    // Reading stays allowed.
    let mut app = read_only_app(Pane::OpsCenter);
    let effects = app.update(Action::Command(Command::Refresh), Instant::now());
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::OpsCenter(OpsJob::List { .. })))
    );
}

#[test]
fn read_only_drops_a_mutating_effect_that_got_past_the_keys() {
    // A confirmation opened before read-only was switched on: yes sends nothing.
    let (mut app, _) = App::new(ContextInfo::default(), (120, 40), Instant::now());
    app.open_overlay(Overlay::Confirm(Box::new(Confirm {
        title: "Delete parameter".into(),
        lines: vec![],
        effect: Effect::Parameters(ParamsJob::Delete {
            name: "/prod/db/password".into(),
        }),
        again: None,
        second: false,
    })));
    app.read_only = Some("profile prod is read-only (config.toml [profiles.prod])".into());
    let effects = app.update(Action::Input(InputKey::Char('y')), Instant::now());
    assert!(effects.is_empty(), "{effects:?}");
    assert!(
        app.notices
            .last()
            .unwrap()
            .0
            .contains("ssm:DeleteParameter not sent")
    );
}

const SECRET: &str = "hunter2-do-not-log-me";

#[tokio::test]
async fn the_audit_log_records_each_mutation_and_never_a_value() {
    let lab = common::lab(24, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let dir = std::env::temp_dir().join(format!("ssmdeck-audit-{}", std::process::id()));
    let path = dir.join("audit.jsonl");
    let _ = std::fs::remove_dir_all(&dir);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut tasks = TaskManager::new(ctx.clone(), tx);
    tasks.set_audit(Some(Audit::new(path.clone(), &ctx)));
    let mut wait = async |n: usize| {
        let mut got = Vec::new();
        while got.len() < n {
            match tokio::time::timeout(Duration::from_secs(30), rx.recv())
                .await
                .map(|a| a.map(Action::unreported))
            {
                Ok(Some(Action::Notice(..) | Action::WriteFailed(_))) => {}
                Ok(Some(a)) => got.push(a),
                other => panic!("no result: {other:?}"),
            }
        }
        got
    };
    tasks.run(Effect::Shell(ShellJob::Identity));
    // The account's alias (IAM), then its identity (STS).
    let first = wait(2).await;
    assert!(
        matches!(first[1], Action::IdentityLoaded(Ok(_))),
        "{first:?}"
    );
    let put = |name: &str, value: &str| PutRequest {
        name: name.into(),
        value: value.into(),
        kind: ParamKind::SecureString,
        tier: None,
        description: None,
        key_id: None,
        data_type: None,
        tags: Vec::new(),
        expected_version: None,
    };
    tasks.run(Effect::Parameters(ParamsJob::Save(put(
        "/audit/db/password",
        SECRET,
    ))));
    wait(1).await;
    tasks.run(Effect::Parameters(ParamsJob::Label {
        name: "/audit/db/password".into(),
        version: 1,
        labels: vec!["live".into()],
    }));
    wait(1).await;
    tasks.run(Effect::Parameters(ParamsJob::Unlabel {
        name: "/audit/db/password".into(),
        version: 1,
        labels: vec!["live".into()],
    }));
    wait(1).await;
    // A refused write (the version moved) is recorded as refused.
    let mut guarded = put("/audit/db/password", "another-secret-value");
    guarded.expected_version = Some(0);
    tasks.run(Effect::Parameters(ParamsJob::Save(guarded)));
    wait(1).await;
    tasks.run(Effect::Parameters(ParamsJob::Delete {
        name: "/audit/db/password".into(),
    }));
    wait(1).await;
    let node = lab
        .nodes()
        .into_iter()
        .find(|n| n.ping == PingStatus::Online)
        .unwrap()
        .id;
    tasks.run(Effect::RunCommand(CommandsJob::Send(SendRequest {
        document: "AWS-RunShellScript".into(),
        commands: vec![format!("echo {SECRET}")],
        targets: Targets::Nodes(vec![node.clone()]),
        timeout_s: 600,
        execution_timeout_s: 60,
        max_concurrency: "50".into(),
        max_errors: "0".into(),
        comment: "audit test".into(),
        cloudwatch_group: None,
        output_s3: None,
        extra: Vec::new(),
    })));
    let sent = wait(1).await;
    let command_id = match &sent[0] {
        Action::Commands(ssmdeck::action::CommandsEvent::Sent(Ok(ids), _)) => ids[0].clone(),
        other => panic!("{other:?}"),
    };
    tasks.run(Effect::RunCommand(CommandsJob::Cancel {
        command_ids: vec![command_id.clone()],
        instance_ids: Vec::new(),
    }));
    wait(1).await;
    tasks.run(Effect::OpsCenter(OpsJob::Create(CreateRequest {
        title: "Disk full".into(),
        description: "df".into(),
        source: "audit".into(),
        priority: 2,
        severity: "2".into(),
        category: None,
        node_arn: None,
    })));
    let created = wait(1).await;
    let ops_id = match &created[0] {
        Action::Ops(ssmdeck::action::OpsCenterEvent::Created(Ok(id))) => id.clone(),
        other => panic!("{other:?}"),
    };
    tasks.run(Effect::OpsCenter(OpsJob::Update {
        targets: vec![(ops_id.clone(), None)],
        change: OpsChange {
            status: Some("InProgress".into()),
            note: Some(format!("the password is {SECRET}")),
            ..OpsChange::default()
        },
    }));
    wait(1).await;
    // The Maintenance pane's writes: disable a window, cancel an
    // execution that does not exist (recorded with AWS's error code).
    let windows = ssmdeck::aws::maintenance::windows(&ctx).await.unwrap();
    let w = windows.iter().find(|w| w.name == "prod-patching").unwrap();
    tasks.run(Effect::Maintenance(MaintenanceJob::SetEnabled {
        ctx: Default::default(),
        window: w.id.clone(),
        name: w.name.clone(),
        enabled: false,
    }));
    wait(1).await;
    tasks.run(Effect::Maintenance(MaintenanceJob::Cancel {
        ctx: Default::default(),
        execution: "00000000-0000-4000-8000-000000000000".into(),
        window_name: "prod-patching".into(),
    }));
    wait(1).await;
    // The Automation pane's: a start, and a stop of an execution that
    // does not exist.
    tasks.run(Effect::Automation(AutomationJob::Start {
        requests: vec![(
            Default::default(),
            ssmdeck::aws::automation::StartRequest {
                runbook: "AWS-RestartEC2Instance".into(),
                parameters: [("InstanceId".to_owned(), vec![node.clone()])].into(),
                ..Default::default()
            },
        )],
        ops_item: None,
    }));
    wait(1).await;
    tasks.run(Effect::Automation(AutomationJob::Stop {
        ctx: Default::default(),
        id: "00000000-0000-4000-8000-000000000000".into(),
        runbook: "AWS-RestartEC2Instance".into(),
    }));
    wait(1).await;
    drop(tasks);

    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        !text.contains(SECRET),
        "a value reached the audit log:\n{text}"
    );
    assert!(!text.contains("another-secret-value"), "{text}");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    let actions: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["action"].as_str().unwrap(),
                l["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("ssm:PutParameter", "ok"),
            ("ssm:LabelParameterVersion", "ok"),
            ("ssm:UnlabelParameterVersion", "ok"),
            ("ssm:PutParameter", "refused"),
            ("ssm:DeleteParameter", "ok"),
            ("ssm:SendCommand", "ok"),
            ("ssm:CancelCommand", "ok"),
            ("ssm:CreateOpsItem", "ok"),
            ("ssm:UpdateOpsItem", "ok"),
            ("ssm:UpdateMaintenanceWindow", "ok"),
            (
                "ssm:CancelMaintenanceWindowExecution",
                "error: DoesNotExistException"
            ),
            ("ssm:StartAutomationExecution", "ok"),
            (
                "ssm:StopAutomationExecution",
                "error: AutomationExecutionNotFoundException"
            ),
        ],
        "{text}"
    );
    for l in &lines {
        assert_eq!(l["identity"], "arn:aws:iam::123456789012:user/ssmdeck-lab");
        assert_eq!(l["account"], "123456789012");
        assert_eq!(l["region"], "us-east-1");
        assert!(l["time"].as_str().unwrap().ends_with('Z'));
    }
    assert_eq!(lines[0]["targets"][0], "/audit/db/password");
    assert_eq!(lines[5]["targets"][0], node);
    assert!(lines[5]["detail"].as_str().unwrap().contains(&command_id));
    assert_eq!(lines[8]["targets"][0], ops_id);
    assert_eq!(lines[9]["targets"][0], w.id.as_str());
    assert_eq!(lines[9]["detail"], "disable prod-patching");
    assert_eq!(lines[11]["targets"][0], "AWS-RestartEC2Instance");
    assert!(
        lines[11]["detail"].as_str().unwrap().contains("execution "),
        "the execution id is recorded: {}",
        lines[11]
    );
    assert!(
        lines[8]["detail"]
            .as_str()
            .unwrap()
            .contains("status → InProgress")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "only the user reads the audit log");
    }
    std::fs::remove_dir_all(&dir).unwrap();
    lab.shutdown().await;
}

/// A lab with `nodes` nodes and the console's runner on it, its reports on
/// the returned receiver.
async fn runner(
    nodes: usize,
) -> (
    ssmdeck_lab::LabHandle,
    ssmdeck::aws::AwsContext,
    TaskManager,
    tokio::sync::mpsc::UnboundedReceiver<Action>,
) {
    let lab = common::lab(nodes, Faults::default()).await;
    let (ctx, _) = common::context(&lab).await;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let tasks = TaskManager::new(ctx.clone(), tx);
    (lab, ctx, tasks, rx)
}

/// The next report of the runner (at most 30 s), unwrapped.
async fn next_report(rx: &mut tokio::sync::mpsc::UnboundedReceiver<Action>) -> Action {
    tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("a report")
        .expect("the runner is alive")
        .unreported()
}

#[tokio::test]
async fn the_runner_refuses_every_declared_write_in_read_only_mode() {
    // A write that got past `update` (a future pane's bug) still stops at
    // the one runner, from the job's own declaration; reads still run.
    let (lab, ctx, mut tasks, mut rx) = runner(8).await;
    tasks.set_read_only(Some("--read-only".into()));
    let put = PutRequest {
        name: "/read-only/never".into(),
        value: "x".into(),
        kind: ParamKind::String,
        tier: None,
        description: None,
        key_id: None,
        data_type: None,
        tags: Vec::new(),
        expected_version: None,
    };
    tasks.run(Effect::Parameters(ParamsJob::Save(put)));
    tasks.run(Effect::Parameters(ParamsJob::Level { path: "/".into() }));
    let mut refused = None;
    let mut listed = false;
    while refused.is_none() || !listed {
        match next_report(&mut rx).await {
            Action::Notice(text, _) => refused = Some(text),
            Action::Params(ssmdeck::action::ParamsEvent::Level(_, r, _)) => {
                assert!(r.is_ok(), "{r:?}");
                listed = true;
            }
            Action::Params(ssmdeck::action::ParamsEvent::Saved(..)) => {
                panic!("PutParameter ran in read-only mode")
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        refused.as_deref(),
        Some("read-only (--read-only): ssm:PutParameter not sent")
    );
    let r = ssmdeck::aws::params::get_value(&ctx, "/read-only/never", false).await;
    assert!(r.is_err(), "the parameter was written: {r:?}");
    lab.shutdown().await;
}

#[tokio::test]
async fn a_failed_write_is_reported_to_stay_on_screen() {
    let (lab, _, mut tasks, mut rx) = runner(4).await;
    tasks.run(Effect::Parameters(ParamsJob::Delete {
        name: "/no/such/parameter".into(),
    }));
    let mut failed = None;
    let mut deleted = false;
    while failed.is_none() || !deleted {
        match next_report(&mut rx).await {
            Action::WriteFailed(text) => failed = Some(text),
            Action::Params(ssmdeck::action::ParamsEvent::Deleted(_, r)) => {
                assert!(r.is_err());
                deleted = true;
            }
            Action::Notice(..) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    let text = failed.unwrap();
    assert!(
        text.starts_with("ssm:DeleteParameter /no/such/parameter: error: ParameterNotFound"),
        "{text}"
    );
    lab.shutdown().await;
}

/// Issue 18 item 4: `read_only = true` with a bad key elsewhere in
/// config.toml used to drop the whole file, read-only included, and a
/// DeleteParameter went through. Now the console is read-only, says why,
/// reports the bad key, and the delete never reaches the lab.
#[tokio::test]
async fn a_broken_config_keeps_read_only_and_refuses_a_delete() {
    let dir = std::env::temp_dir().join(format!("ssmdeck-fail-closed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        "read_only = true\nrefresh_interval = 30\n[fleet]\ntag_colums = [\"Env\"]\n",
    )
    .unwrap();
    let settings = ssmdeck::config::Settings::load_for(Some(&dir), Some("default"));
    std::fs::remove_dir_all(&dir).unwrap();
    let problems: Vec<String> = settings.problems.iter().map(ToString::to_string).collect();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("config.toml:2: unknown field `refresh_interval`")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("config.toml:4: [fleet] unknown field `tag_colums`")),
        "{problems:?}"
    );
    assert_eq!(
        settings.read_only.as_deref(),
        Some("read_only = true in config.toml")
    );

    let (lab, ctx, mut tasks, mut rx) = runner(4).await;
    let name = "/fail-closed/keep-me";
    ssmdeck::aws::params::put(
        &ctx,
        &PutRequest {
            name: name.into(),
            value: "v".into(),
            kind: ParamKind::String,
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
    // The shell: the Delete key opens nothing and says why.
    let (mut app, _) = App::new(ContextInfo::default(), (120, 40), Instant::now());
    app.read_only = settings.read_only.clone();
    app.pane = Pane::Parameters;
    assert!(
        app.update(Action::Command(Command::Delete), Instant::now())
            .is_empty()
    );
    assert!(
        app.notices
            .last()
            .unwrap()
            .0
            .contains("read_only = true in config.toml")
    );
    // The runner, as the console sets it up from these settings.
    tasks.set_read_only(settings.read_only.clone());
    lab.reset_calls();
    tasks.run(Effect::Parameters(ParamsJob::Delete { name: name.into() }));
    match next_report(&mut rx).await {
        Action::Notice(text, _) => assert_eq!(
            text,
            "read-only (read_only = true in config.toml): ssm:DeleteParameter not sent"
        ),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        lab.calls().get("DeleteParameter"),
        None,
        "{:?}",
        lab.calls()
    );
    let kept = ssmdeck::aws::params::get_value(&ctx, name, false).await;
    assert!(kept.is_ok(), "the parameter was deleted: {kept:?}");
    lab.shutdown().await;
}
