//! The answers of the maintenance window, document and calendar actions
//! checked against botocore's output shapes, with the integration tests'
//! checker (tests/integration/model_shapes.rs, included, not copied).

use std::sync::Arc;

use serde_json::{Value, json};

use crate::LabState;

#[allow(dead_code)]
#[path = "../../tests/integration/model_shapes.rs"]
mod model_shapes;

fn call(state: &Arc<LabState>, op: &str, body: Value) -> Value {
    let r = crate::paging::scoped(
        crate::paging::Scope {
            op: format!("ssm:{op}"),
            binding: crate::paging::json_binding(&body),
            key: state.token_key,
            short_pages: 0.0,
            seed: 1,
        },
        || {
            crate::maintenance::handle(state, op, &body)
                .or_else(|| crate::commands::handle(state, op, &body))
                .unwrap_or_else(|| {
                    let mut store = state.calendars.lock().unwrap();
                    if op == "CreateDocument" {
                        let now = crate::params::now_s();
                        return crate::calendar::create_document(
                            &mut store,
                            &state.account,
                            &body,
                            now,
                        );
                    }
                    crate::calendar::get_calendar_state(&store, &body, crate::epoch_now())
                })
        },
    );
    let v = r.unwrap_or_else(|e| panic!("{op}: {} {}", e.code, e.message));
    if let Err(e) = model_shapes::check_output("ssm", op, &v) {
        panic!("{op}: {e}\n{v:#}");
    }
    v
}

#[tokio::test]
async fn answers_match_the_models_output_shapes() {
    let lab = crate::start(crate::LabConfig {
        fleet: crate::FleetSpec::small(),
        start_before_window_s: Some(1),
        change_calendars: true,
        ..crate::LabConfig::default()
    })
    .await
    .unwrap();
    let s = lab.lab.first().clone();
    let windows = call(&s, "DescribeMaintenanceWindows", json!({}));
    let canary = windows["WindowIdentities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["Name"] == "canary-check")
        .unwrap()["WindowId"]
        .clone();
    // Wait for the canary window to open and finish.
    for _ in 0..200 {
        let e = call(
            &s,
            "DescribeMaintenanceWindowExecutions",
            json!({"WindowId": canary}),
        );
        if e["WindowExecutions"][0]["EndTime"].is_number() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    for w in windows["WindowIdentities"].as_array().unwrap() {
        let id = &w["WindowId"];
        call(&s, "GetMaintenanceWindow", json!({"WindowId": id}));
        call(
            &s,
            "DescribeMaintenanceWindowTargets",
            json!({"WindowId": id}),
        );
        call(
            &s,
            "DescribeMaintenanceWindowTasks",
            json!({"WindowId": id}),
        );
        call(
            &s,
            "DescribeMaintenanceWindowSchedule",
            json!({"WindowId": id}),
        );
        let execs = call(
            &s,
            "DescribeMaintenanceWindowExecutions",
            json!({"WindowId": id}),
        );
        for e in execs["WindowExecutions"].as_array().unwrap().iter().take(3) {
            let exec = &e["WindowExecutionId"];
            call(
                &s,
                "GetMaintenanceWindowExecution",
                json!({"WindowExecutionId": exec}),
            );
            let tasks = call(
                &s,
                "DescribeMaintenanceWindowExecutionTasks",
                json!({"WindowExecutionId": exec}),
            );
            for t in tasks["WindowExecutionTaskIdentities"].as_array().unwrap() {
                let task = &t["TaskExecutionId"];
                let ids = json!({"WindowExecutionId": exec, "TaskId": task});
                call(&s, "GetMaintenanceWindowExecutionTask", ids.clone());
                let invs = call(&s, "DescribeMaintenanceWindowExecutionTaskInvocations", ids);
                for i in invs["WindowExecutionTaskInvocationIdentities"]
                    .as_array()
                    .unwrap()
                {
                    call(
                        &s,
                        "GetMaintenanceWindowExecutionTaskInvocation",
                        json!({
                        "WindowExecutionId": exec, "TaskId": task, "InvocationId": i["InvocationId"]}),
                    );
                }
            }
            call(
                &s,
                "CancelMaintenanceWindowExecution",
                json!({"WindowExecutionId": exec}),
            );
        }
    }
    let id = call(&s, "CreateMaintenanceWindow", json!({"Name": "shape-check", "Schedule": "rate(3 hours)",
        "Duration": 2, "Cutoff": 0, "AllowUnassociatedTargets": true, "ScheduleTimezone": "Asia/Kolkata"}))["WindowId"]
        .clone();
    call(
        &s,
        "UpdateMaintenanceWindow",
        json!({"WindowId": id, "Description": "checked"}),
    );
    let t = call(
        &s,
        "RegisterTargetWithMaintenanceWindow",
        json!({"WindowId": id, "ResourceType": "INSTANCE",
        "Targets": [{"Key": "tag:Env", "Values": ["dev"]}]}),
    )["WindowTargetId"]
        .clone();
    call(
        &s,
        "RegisterTaskWithMaintenanceWindow",
        json!({"WindowId": id, "TaskArn": "AWS-RunShellScript",
        "TaskType": "RUN_COMMAND", "Targets": [{"Key": "WindowTargetIds", "Values": [t]}],
        "MaxConcurrency": "1", "MaxErrors": "0",
        "TaskParameters": {"commands": {"Values": ["true"]}}}),
    );
    call(
        &s,
        "DescribeMaintenanceWindowTasks",
        json!({"WindowId": id}),
    );
    call(&s, "DeleteMaintenanceWindow", json!({"WindowId": id}));
    let node = s.nodes.read().unwrap()[0].id.clone();
    let target = json!([{"Key": "InstanceIds", "Values": [node]}]);
    call(
        &s,
        "DescribeMaintenanceWindowsForTarget",
        json!({"ResourceType": "INSTANCE", "Targets": target}),
    );
    call(
        &s,
        "DescribeMaintenanceWindowSchedule",
        json!({"ResourceType": "INSTANCE", "Targets": target}),
    );
    call(&s, "ListDocuments", json!({}));
    call(
        &s,
        "ListDocuments",
        json!({"Filters": [{"Key": "DocumentType", "Values": ["ChangeCalendar"]}]}),
    );
    call(
        &s,
        "GetDocument",
        json!({"Name": "prod-change-freeze", "DocumentFormat": "TEXT"}),
    );
    call(&s, "GetDocument", json!({"Name": "AWS-RunShellScript"}));
    call(
        &s,
        "GetCalendarState",
        json!({"CalendarNames": ["prod-change-freeze", "weekend-change-window"]}),
    );
}
