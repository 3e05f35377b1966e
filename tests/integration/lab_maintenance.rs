//! Maintenance windows and change calendars of the lab through the AWS
//! SDK over HTTP: the seeded windows and history parse, a window opens on
//! the lab's clock and its task invocation names a real command, the
//! schedule and the calendars' state, and errors carry the model's codes.

use std::time::Duration;

use aws_sdk_ssm::error::ProvideErrorMetadata;
use aws_sdk_ssm::types::{
    DocumentFilter, DocumentFilterKey, MaintenanceWindowExecutionStatus, MaintenanceWindowFilter,
    MaintenanceWindowResourceType, Target,
};
use ssmdeck_lab::{FleetSpec, LabConfig};

use crate::lab_tenancy::ssm;
use crate::lab_validation::{COMMON, model_errors};

fn listed(op: &str, code: &str) -> bool {
    COMMON.contains(&code) || model_errors()["ssm"][op].iter().any(|c| c.as_str() == code)
}

#[tokio::test]
async fn windows_calendars_and_a_window_that_opens() {
    let lab = ssmdeck_lab::start(LabConfig {
        fleet: FleetSpec::small(),
        start_before_window_s: Some(2),
        change_calendars: true,
        ..LabConfig::default()
    })
    .await
    .expect("lab starts");
    let client = ssm(&lab, &lab.accounts()[0], lab.region());
    let mut windows = Vec::new();
    let mut pages = client
        .describe_maintenance_windows()
        .max_results(10)
        .into_paginator()
        .send();
    while let Some(p) = pages.next().await {
        windows.extend(
            p.expect("DescribeMaintenanceWindows")
                .window_identities()
                .to_vec(),
        );
    }
    let names: Vec<&str> = windows.iter().filter_map(|w| w.name()).collect();
    for n in [
        "prod-patching",
        "staging-restart",
        "dev-cleanup",
        "canary-check",
    ] {
        assert!(names.contains(&n), "{n} in {names:?}");
    }
    let by_name = |n: &str| windows.iter().find(|w| w.name() == Some(n)).unwrap();
    assert!(by_name("dev-cleanup").next_execution_time().is_none());
    let prod = client
        .get_maintenance_window()
        .window_id(by_name("prod-patching").window_id().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(prod.schedule_timezone(), Some("Asia/Tokyo"));
    assert!(prod.created_date().is_some() && prod.next_execution_time().is_some());
    // The seeded history.
    let staging = by_name("staging-restart").window_id().unwrap();
    let failed = client
        .describe_maintenance_window_executions()
        .window_id(staging)
        .filters(
            MaintenanceWindowFilter::builder()
                .key("ExecutionStatus")
                .values("FAILED")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(failed.window_executions().len(), 1);
    // The canary window opens two seconds after start.
    let canary = by_name("canary-check").window_id().unwrap().to_owned();
    let mut exec = None;
    for _ in 0..150 {
        let e = client
            .describe_maintenance_window_executions()
            .window_id(&canary)
            .send()
            .await
            .unwrap();
        if let Some(x) = e.window_executions().first()
            && x.end_time().is_some()
        {
            exec = Some(x.clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let exec = exec.expect("the canary window ran");
    assert!(matches!(
        exec.status(),
        Some(MaintenanceWindowExecutionStatus::Success | MaintenanceWindowExecutionStatus::Failed)
    ));
    let exec_id = exec.window_execution_id().unwrap();
    let tasks = client
        .describe_maintenance_window_execution_tasks()
        .window_execution_id(exec_id)
        .send()
        .await
        .unwrap();
    let task_id = tasks.window_execution_task_identities()[0]
        .task_execution_id()
        .unwrap();
    let invs = client
        .describe_maintenance_window_execution_task_invocations()
        .window_execution_id(exec_id)
        .task_id(task_id)
        .send()
        .await
        .unwrap();
    let inv = &invs.window_execution_task_invocation_identities()[0];
    let command_id = inv.execution_id().unwrap();
    let commands = client
        .list_commands()
        .command_id(command_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        commands.commands()[0].document_name(),
        Some("AWS-RunShellScript")
    );
    // The schedule.
    let sched = client
        .describe_maintenance_window_schedule()
        .window_id(staging)
        .send()
        .await
        .unwrap();
    let first = sched.scheduled_window_executions()[0]
        .execution_time()
        .unwrap();
    assert!(first.ends_with('Z') && first.len() == 17, "{first}");
    // Calendars.
    let docs = client
        .list_documents()
        .document_filter_list(
            DocumentFilter::builder()
                .key(DocumentFilterKey::DocumentType)
                .value("ChangeCalendar")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(docs.document_identifiers().len(), 2);
    let state = client
        .get_calendar_state()
        .calendar_names("prod-change-freeze")
        .send()
        .await
        .unwrap();
    assert_eq!(state.state().map(|s| s.as_str()), Some("CLOSED"));
    assert!(state.next_transition_time().is_some());
    let doc = client
        .get_document()
        .name("weekend-change-window")
        .send()
        .await
        .unwrap();
    assert!(
        doc.content()
            .unwrap()
            .contains("X-CALENDAR-TYPE:DEFAULT_CLOSED")
    );
    // Errors.
    let e = client
        .get_maintenance_window()
        .window_id("mw-0123456789abcdef0")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("DoesNotExistException"));
    assert!(listed("GetMaintenanceWindow", "DoesNotExistException"));
    let e = client
        .get_calendar_state()
        .calendar_names("no-such-calendar")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidDocument"));
    assert!(listed("GetCalendarState", "InvalidDocument"));
    let e = client
        .describe_maintenance_windows_for_target()
        .resource_type(MaintenanceWindowResourceType::Instance)
        .targets(
            Target::builder()
                .key("InstanceIds")
                .values("i-0123456789abcdef0")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(e.window_identities().is_empty());
    lab.shutdown().await;
}
