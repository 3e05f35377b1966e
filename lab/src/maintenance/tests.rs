use std::sync::{Arc, LazyLock};

use serde_json::{Value, json};

use super::*;
use crate::{FleetSpec, LabConfig};

static ERRORS: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../../../tests/fixtures/model-errors.json"))
        .expect("fixture is JSON")
});

/// Asserts `r` failed with `code`, and that the model lists `code` for
/// `op` (or it is the common ValidationException).
fn assert_code(op: &str, r: Result<Value, ApiError>, code: &str) {
    let e = r.expect_err(&format!("{op} should fail with {code}"));
    assert_eq!(e.code, code, "{op}: {}", e.message);
    let listed = ERRORS["ssm"][op]
        .as_array()
        .unwrap_or_else(|| panic!("{op} is not in the fixture"));
    assert!(
        code == "ValidationException" || listed.iter().any(|c| c == code),
        "{op}: {code} is not listed in model-errors.json ({listed:?})"
    );
}

async fn lab(first_window_in_s: Option<u64>) -> (crate::LabHandle, Arc<LabState>) {
    let handle = crate::start(LabConfig {
        fleet: FleetSpec::small(),
        start_before_window_s: first_window_in_s,
        change_calendars: true,
        ..LabConfig::default()
    })
    .await
    .expect("lab starts");
    let state = handle.lab.first().clone();
    (handle, state)
}

fn call(state: &Arc<LabState>, op: &str, body: Value) -> Result<Value, ApiError> {
    crate::paging::scoped(
        crate::paging::Scope {
            op: format!("ssm:{op}"),
            binding: crate::paging::json_binding(&body),
            key: state.token_key,
            short_pages: 0.0,
            seed: 1,
        },
        || handle(state, op, &body).expect("a maintenance action"),
    )
}

fn window_named(state: &Arc<LabState>, name: &str) -> Value {
    let all = call(
        state,
        "DescribeMaintenanceWindows",
        json!({"Filters": [{"Key": "Name", "Values": [name]}]}),
    )
    .unwrap();
    all["WindowIdentities"][0].clone()
}

fn new_window() -> Value {
    json!({"Name": "lab-test", "Schedule": "cron(0 4 ? * MON *)", "Duration": 3, "Cutoff": 1,
        "AllowUnassociatedTargets": false})
}

#[tokio::test]
async fn window_validation_uses_the_models_codes() {
    let (_lab, s) = lab(None).await;
    let op = "CreateMaintenanceWindow";
    let with = |k: &str, v: Value| {
        let mut b = new_window();
        b[k] = v;
        b
    };
    for bad in [
        with("Schedule", json!("cron(0 4 * * MON *)")),
        with("Schedule", json!("weekly")),
        with("Duration", json!(25)),
        with("Duration", json!(0)),
        with("Cutoff", json!(3)),
        with("Cutoff", json!(24)),
        with("Name", json!("x")),
        with("Name", json!("bad name")),
        with("ScheduleTimezone", json!("Mars/Olympus")),
        with("ScheduleTimezone", json!("Australia/Sydney")),
        {
            let mut b = with("Schedule", json!("rate(1 day)"));
            b["ScheduleOffset"] = json!(2);
            b
        },
        with("EndDate", json!("2001-01-01T00:00:00Z")),
        with("StartDate", json!("not a date")),
        with("Description", json!("")),
    ] {
        let shown = bad.to_string();
        let r = call(&s, op, bad);
        assert!(r.is_err(), "{shown} was accepted");
        assert_code(op, r, "ValidationException");
    }
    let mut wrong_type = new_window();
    wrong_type["AllowUnassociatedTargets"] = json!("true");
    assert_code(op, call(&s, op, wrong_type), "ValidationException");
    let mut missing = new_window();
    missing.as_object_mut().unwrap().remove("Duration");
    assert_code(op, call(&s, op, missing), "ValidationException");
    // Idempotency.
    let token = with("ClientToken", json!("tok-1"));
    let a = call(&s, op, token.clone()).unwrap();
    let b = call(&s, op, token.clone()).unwrap();
    assert_eq!(a, b);
    let mut other = token.clone();
    other["Duration"] = json!(4);
    assert_code(op, call(&s, op, other), "IdempotentParameterMismatch");
    // Unknown windows.
    let unknown = json!({"WindowId": "mw-0123456789abcdef0"});
    for op in [
        "GetMaintenanceWindow",
        "UpdateMaintenanceWindow",
        "DescribeMaintenanceWindowTargets",
        "DescribeMaintenanceWindowTasks",
        "DescribeMaintenanceWindowSchedule",
    ] {
        assert_code(op, call(&s, op, unknown.clone()), "DoesNotExistException");
    }
    let mut target = unknown.clone();
    target["ResourceType"] = json!("INSTANCE");
    target["Targets"] = json!([{"Key": "tag:Env", "Values": ["prod"]}]);
    let op = "RegisterTargetWithMaintenanceWindow";
    assert_code(op, call(&s, op, target), "DoesNotExistException");
    let op = "GetMaintenanceWindow";
    assert_code(
        op,
        call(&s, op, json!({"WindowId": "mw-1"})),
        "ValidationException",
    );
    let op = "GetMaintenanceWindowExecution";
    let exec = json!({"WindowExecutionId": "00000000-0000-4000-8000-000000000000"});
    assert_code(op, call(&s, op, exec.clone()), "DoesNotExistException");
    let op = "CancelMaintenanceWindowExecution";
    assert_code(op, call(&s, op, exec), "DoesNotExistException");
    // Delete answers the id, known or not (the model lists no DoesNotExist).
    let op = "DeleteMaintenanceWindow";
    assert_eq!(call(&s, op, unknown.clone()).unwrap(), unknown);
}

#[tokio::test]
async fn targets_and_tasks_are_checked_and_listed() {
    let (_lab, s) = lab(None).await;
    let id = call(&s, "CreateMaintenanceWindow", new_window()).unwrap()["WindowId"].clone();
    let op = "RegisterTargetWithMaintenanceWindow";
    let target = |k: &str, rt: &str| json!({"WindowId": id, "ResourceType": rt, "Targets": [{"Key": k, "Values": ["prod"]}]});
    assert_code(
        op,
        call(&s, op, target("color", "INSTANCE")),
        "ValidationException",
    );
    assert_code(
        op,
        call(&s, op, target("tag:Env", "VM")),
        "ValidationException",
    );
    let t = call(&s, op, target("tag:Env", "INSTANCE")).unwrap()["WindowTargetId"].clone();
    let op = "RegisterTaskWithMaintenanceWindow";
    let task = |targets: Value| {
        json!({"WindowId": id, "TaskArn": "AWS-RunShellScript", "TaskType": "RUN_COMMAND",
            "Targets": targets, "MaxConcurrency": "2", "MaxErrors": "0",
            "TaskInvocationParameters": {"RunCommand": {"Parameters": {"commands": ["true"]}}}})
    };
    let unknown =
        json!([{"Key": "WindowTargetIds", "Values": ["00000000-0000-4000-8000-000000000000"]}]);
    assert_code(op, call(&s, op, task(unknown)), "DoesNotExistException");
    let mut no_conc = task(json!([{"Key": "WindowTargetIds", "Values": [t]}]));
    no_conc.as_object_mut().unwrap().remove("MaxConcurrency");
    assert_code(op, call(&s, op, no_conc), "ValidationException");
    let mut bad_doc = task(json!([{"Key": "WindowTargetIds", "Values": [t]}]));
    bad_doc["TaskArn"] = json!("No-Such-Document");
    assert_code(op, call(&s, op, bad_doc), "ValidationException");
    let ok = call(
        &s,
        op,
        task(json!([{"Key": "WindowTargetIds", "Values": [t]}])),
    )
    .unwrap();
    let mut auto = task(json!([]));
    auto["TaskType"] = json!("AUTOMATION");
    auto["TaskArn"] = json!("AWS-RestartEC2Instance");
    call(&s, op, auto).unwrap();
    let tasks = call(
        &s,
        "DescribeMaintenanceWindowTasks",
        json!({"WindowId": id}),
    )
    .unwrap();
    assert_eq!(tasks["Tasks"].as_array().unwrap().len(), 2);
    assert!(
        tasks["Tasks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["WindowTaskId"] == ok["WindowTaskId"] && t["Type"] == "RUN_COMMAND")
    );
    let targets = call(
        &s,
        "DescribeMaintenanceWindowTargets",
        json!({"WindowId": id}),
    )
    .unwrap();
    assert_eq!(targets["Targets"][0]["Targets"][0]["Key"], "tag:Env");
    let op = "DescribeMaintenanceWindowTasks";
    let bad_filter = json!({"WindowId": id, "Filters": [{"Key": "Colour", "Values": ["x"]}]});
    assert_code(op, call(&s, op, bad_filter), "ValidationException");
}

#[tokio::test]
async fn windows_page_and_filter() {
    let (_lab, s) = lab(None).await;
    for n in 0..15 {
        let mut b = new_window();
        b["Name"] = json!(format!("paged-{n:02}"));
        call(&s, "CreateMaintenanceWindow", b).unwrap();
    }
    let op = "DescribeMaintenanceWindows";
    let (mut seen, mut token) = (Vec::new(), None::<String>);
    loop {
        let mut body = json!({"MaxResults": 10});
        if let Some(t) = &token {
            body["NextToken"] = json!(t);
        }
        let page = call(&s, op, body).unwrap();
        let list = page["WindowIdentities"].as_array().unwrap();
        assert!(list.len() <= 10);
        seen.extend(
            list.iter()
                .map(|w| w["WindowId"].as_str().unwrap().to_owned()),
        );
        match page["NextToken"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (19, 19), "4 seeded + 15");
    assert_code(
        op,
        call(&s, op, json!({"MaxResults": 5})),
        "ValidationException",
    );
    assert_code(
        op,
        call(&s, op, json!({"NextToken": "forged"})),
        "ValidationException",
    );
    let disabled = call(
        &s,
        op,
        json!({"Filters": [{"Key": "Enabled", "Values": ["false"]}]}),
    )
    .unwrap();
    let disabled = disabled["WindowIdentities"].as_array().unwrap();
    assert_eq!(disabled.len(), 1);
    assert_eq!(disabled[0]["Name"], "dev-cleanup");
    assert!(disabled[0].get("NextExecutionTime").is_none());
    // Update: disable, then Replace without the required fields.
    let id = window_named(&s, "paged-00")["WindowId"].clone();
    let up = call(
        &s,
        "UpdateMaintenanceWindow",
        json!({"WindowId": id, "Enabled": false}),
    )
    .unwrap();
    assert_eq!(up["Enabled"], false);
    let got = call(&s, "GetMaintenanceWindow", json!({"WindowId": id})).unwrap();
    assert!(got.get("NextExecutionTime").is_none());
    let op = "UpdateMaintenanceWindow";
    assert_code(
        op,
        call(&s, op, json!({"WindowId": id, "Replace": true})),
        "ValidationException",
    );
    assert_code(
        op,
        call(&s, op, json!({"WindowId": id, "Cutoff": 3})),
        "ValidationException",
    );
    let up = call(
        &s,
        op,
        json!({"WindowId": id, "Enabled": true, "Schedule": "rate(2 hours)"}),
    )
    .unwrap();
    assert_eq!(up["Schedule"], "rate(2 hours)");
}

#[tokio::test]
async fn seeded_windows_history_and_schedule() {
    let (_lab, s) = lab(None).await;
    let prod = window_named(&s, "prod-patching");
    assert_eq!(prod["ScheduleTimezone"], "Asia/Tokyo");
    let next = prod["NextExecutionTime"].as_str().unwrap();
    // Sunday 03:00 in Tokyo is Saturday 18:00 UTC.
    assert!(next.ends_with("T18:00Z"), "{next}");
    let staging = window_named(&s, "staging-restart");
    let id = staging["WindowId"].clone();
    let op = "DescribeMaintenanceWindowExecutions";
    let all = call(&s, op, json!({"WindowId": id, "MaxResults": 100})).unwrap();
    let all = all["WindowExecutions"].as_array().unwrap().clone();
    assert!(all.len() >= 27, "{}", all.len());
    let status = |st: &str| all.iter().filter(|e| e["Status"] == st).count();
    assert_eq!((status("FAILED"), status("CANCELLED")), (1, 1));
    let failed = call(
        &s,
        op,
        json!({"WindowId": id, "Filters": [{"Key": "ExecutionStatus", "Values": ["FAILED"]}]}),
    )
    .unwrap();
    let failed = &failed["WindowExecutions"][0];
    let exec = failed["WindowExecutionId"].clone();
    let tasks = call(
        &s,
        "DescribeMaintenanceWindowExecutionTasks",
        json!({"WindowExecutionId": exec}),
    )
    .unwrap();
    let task = tasks["WindowExecutionTaskIdentities"][0]["TaskExecutionId"].clone();
    let invs = call(
        &s,
        "DescribeMaintenanceWindowExecutionTaskInvocations",
        json!({"WindowExecutionId": exec, "TaskId": task}),
    )
    .unwrap();
    let inv = &invs["WindowExecutionTaskInvocationIdentities"][0];
    assert_eq!(inv["Status"], "FAILED");
    assert_eq!(inv["StatusDetails"], "Failed");
    assert!(
        inv["Parameters"]
            .as_str()
            .unwrap()
            .contains("AWS-RunShellScript")
    );
    // Started after: only the newest few.
    let bound = now_s() as i64 - 13 * 3_600;
    let recent = call(
        &s,
        op,
        json!({"WindowId": id, "Filters": [{"Key": "StartedAfter",
        "Values": [crate::cron::iso_seconds(bound)]}]}),
    )
    .unwrap();
    let expected = all
        .iter()
        .filter(|e| e["StartTime"].as_f64().unwrap() >= bound as f64)
        .count();
    assert!((2..=3).contains(&expected));
    assert_eq!(
        recent["WindowExecutions"].as_array().unwrap().len(),
        expected
    );
    // The schedule: four a day for staging-restart.
    let sched = call(&s, "DescribeMaintenanceWindowSchedule", json!({"WindowId": id, "Filters": [
        {"Key": "ScheduledBefore", "Values": [crate::cron::iso_seconds(now_s() as i64 + 86_400)]}]})).unwrap();
    let list = sched["ScheduledWindowExecutions"].as_array().unwrap();
    assert_eq!(list.len(), 4);
    assert_eq!(list[0]["ExecutionTime"], staging["NextExecutionTime"]);
    // Windows for a prod node.
    let node = s
        .nodes
        .read()
        .unwrap()
        .iter()
        .find(|n| n.tag("Env") == Some("prod"))
        .unwrap()
        .id
        .clone();
    let found = call(
        &s,
        "DescribeMaintenanceWindowsForTarget",
        json!({"ResourceType": "INSTANCE",
        "Targets": [{"Key": "InstanceIds", "Values": [node]}]}),
    )
    .unwrap();
    let names: Vec<&str> = found["WindowIdentities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["prod-patching"]);
}

/// Waits (up to 20 s) until `f` holds.
async fn until(mut f: impl FnMut() -> bool) {
    for _ in 0..200 {
        if f() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("timed out waiting");
}

fn executions(s: &Arc<LabState>, id: &Value) -> Vec<Value> {
    call(
        s,
        "DescribeMaintenanceWindowExecutions",
        json!({"WindowId": id}),
    )
    .unwrap()["WindowExecutions"]
        .as_array()
        .unwrap()
        .clone()
}

fn first_invocation(s: &Arc<LabState>, exec: &Value) -> Value {
    let tasks = call(
        s,
        "DescribeMaintenanceWindowExecutionTasks",
        json!({"WindowExecutionId": exec}),
    )
    .unwrap();
    let task = tasks["WindowExecutionTaskIdentities"][0]["TaskExecutionId"].clone();
    let invs = call(
        s,
        "DescribeMaintenanceWindowExecutionTaskInvocations",
        json!({"WindowExecutionId": exec, "TaskId": task}),
    )
    .unwrap();
    invs["WindowExecutionTaskInvocationIdentities"][0].clone()
}

#[tokio::test]
async fn a_window_opens_on_the_lab_clock_and_runs_its_commands() {
    let (_lab, s) = lab(Some(1)).await;
    let w = window_named(&s, "canary-check");
    let id = w["WindowId"].clone();
    let before = w["NextExecutionTime"].clone();
    until(|| !executions(&s, &id).is_empty()).await;
    let moved = window_named(&s, "canary-check")["NextExecutionTime"].clone();
    assert_ne!(
        moved, before,
        "NextExecutionTime moves when the window opens"
    );
    until(|| executions(&s, &id)[0]["Status"] != "IN_PROGRESS").await;
    let e = executions(&s, &id)[0].clone();
    let exec = e["WindowExecutionId"].clone();
    let inv = first_invocation(&s, &exec);
    let command = inv["ExecutionId"].as_str().unwrap();
    let (status, _, done) = crate::commands::command_outcome(&s, command).expect("a real command");
    assert!(done);
    let expected = if status == "Success" {
        "SUCCESS"
    } else {
        "FAILED"
    };
    assert_eq!(inv["Status"], expected, "{inv}");
    assert_eq!(e["Status"], expected, "{e}");
    let got = call(&s, "GetMaintenanceWindowExecutionTaskInvocation", json!({
        "WindowExecutionId": exec, "TaskId": inv["TaskExecutionId"], "InvocationId": inv["InvocationId"]})).unwrap();
    assert_eq!(got["ExecutionId"], command);
    let full = call(
        &s,
        "GetMaintenanceWindowExecution",
        json!({"WindowExecutionId": exec}),
    )
    .unwrap();
    assert_eq!(full["TaskIds"][0], inv["TaskExecutionId"]);
}

#[tokio::test]
async fn cancelling_an_execution_cancels_its_commands() {
    let (_lab, s) = lab(None).await;
    let mut body = new_window();
    body["Name"] = json!("slow-window");
    body["Schedule"] = json!("rate(1 day)");
    body["StartDate"] = json!(crate::cron::iso_seconds(now_s() as i64 + 1));
    let id = call(&s, "CreateMaintenanceWindow", body).unwrap()["WindowId"].clone();
    let node = s
        .nodes
        .read()
        .unwrap()
        .iter()
        .find(|n| n.platform_type == "Linux" && n.ping == crate::PingStatus::Online)
        .unwrap()
        .id
        .clone();
    let t = call(
        &s,
        "RegisterTargetWithMaintenanceWindow",
        json!({"WindowId": id, "ResourceType": "INSTANCE",
        "Targets": [{"Key": "InstanceIds", "Values": [node]}]}),
    )
    .unwrap()["WindowTargetId"]
        .clone();
    call(
        &s,
        "RegisterTaskWithMaintenanceWindow",
        json!({"WindowId": id, "TaskArn": "AWS-RunShellScript",
        "TaskType": "RUN_COMMAND", "Targets": [{"Key": "WindowTargetIds", "Values": [t]}],
        "MaxConcurrency": "1", "MaxErrors": "0",
        "TaskInvocationParameters": {"RunCommand": {"Parameters": {"commands": ["sleep 30"]}}}}),
    )
    .unwrap();
    until(|| {
        let e = executions(&s, &id);
        !e.is_empty() && first_invocation(&s, &e[0]["WindowExecutionId"])["ExecutionId"].is_string()
    })
    .await;
    let exec = executions(&s, &id)[0]["WindowExecutionId"].clone();
    let command = first_invocation(&s, &exec)["ExecutionId"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = call(
        &s,
        "CancelMaintenanceWindowExecution",
        json!({"WindowExecutionId": exec}),
    )
    .unwrap();
    assert_eq!(r["WindowExecutionId"], exec);
    let now = call(
        &s,
        "GetMaintenanceWindowExecution",
        json!({"WindowExecutionId": exec}),
    )
    .unwrap();
    assert!(
        matches!(now["Status"].as_str(), Some("CANCELLING" | "CANCELLED")),
        "{now}"
    );
    until(|| {
        call(
            &s,
            "GetMaintenanceWindowExecution",
            json!({"WindowExecutionId": exec}),
        )
        .unwrap()["Status"]
            == "CANCELLED"
    })
    .await;
    let inv = first_invocation(&s, &exec);
    assert_eq!(inv["Status"], "CANCELLED");
    let (status, _, done) = crate::commands::command_outcome(&s, &command).unwrap();
    assert_eq!((status, done), ("Cancelled", true));
}

#[tokio::test]
async fn a_window_can_be_opened_at_once() {
    let (lab, s) = lab(None).await;
    let id = window_named(&s, "staging-restart")["WindowId"].clone();
    let before = executions(&s, &id).len();
    let exec = lab
        .open_maintenance_window("staging-restart")
        .expect("opened");
    assert_eq!(lab.open_maintenance_window("no-such-window"), None);
    let list = executions(&s, &id);
    assert_eq!(list.len(), before + 1);
    let running: Vec<&Value> = list
        .iter()
        .filter(|e| e["Status"] == "IN_PROGRESS")
        .collect();
    assert_eq!(running.len(), 1);
    assert_eq!(running[0]["WindowExecutionId"], exec.as_str());
    // Opened again while it runs: skipped as overlapping.
    assert_eq!(lab.open_maintenance_window("staging-restart"), None);
    let list = executions(&s, &id);
    assert_eq!(list.len(), before + 2);
    assert_eq!(
        list.iter()
            .filter(|e| e["Status"] == "SKIPPED_OVERLAPPING")
            .count(),
        1
    );
    until(|| {
        let e = call(
            &s,
            "GetMaintenanceWindowExecution",
            json!({"WindowExecutionId": exec}),
        )
        .unwrap();
        e["Status"] != "IN_PROGRESS"
    })
    .await;
}

#[tokio::test]
async fn tasks_and_targets_can_be_read_and_deregistered() {
    let (_lab, s) = lab(None).await;
    let id = window_named(&s, "prod-patching")["WindowId"].clone();
    let task = call(
        &s,
        "DescribeMaintenanceWindowTasks",
        json!({"WindowId": id}),
    )
    .unwrap()["Tasks"][0]
        .clone();
    let target = call(
        &s,
        "DescribeMaintenanceWindowTargets",
        json!({"WindowId": id}),
    )
    .unwrap()["Targets"][0]
        .clone();
    let ids = json!({"WindowId": id, "WindowTaskId": task["WindowTaskId"]});
    let got = call(&s, "GetMaintenanceWindowTask", ids.clone()).unwrap();
    assert_eq!(got["TaskType"], "RUN_COMMAND");
    assert_eq!(
        got["TaskInvocationParameters"]["RunCommand"]["Parameters"]["commands"][1],
        "sleep 2"
    );
    let op = "DeregisterTargetFromMaintenanceWindow";
    let t = json!({"WindowId": id, "WindowTargetId": target["WindowTargetId"], "Safe": true});
    assert_code(op, call(&s, op, t.clone()), "TargetInUseException");
    let op = "DeregisterTaskFromMaintenanceWindow";
    call(&s, op, ids.clone()).unwrap();
    assert_code(op, call(&s, op, ids.clone()), "DoesNotExistException");
    let op = "GetMaintenanceWindowTask";
    assert_code(op, call(&s, op, ids), "DoesNotExistException");
    let op = "DeregisterTargetFromMaintenanceWindow";
    call(&s, op, t.clone()).unwrap();
    assert_code(op, call(&s, op, t), "DoesNotExistException");
}

#[tokio::test]
async fn odd_input_is_an_error_not_a_panic() {
    let (_lab, s) = lab(None).await;
    let w = window_named(&s, "prod-patching")["WindowId"].clone();
    let ops = [
        "CreateMaintenanceWindow",
        "DescribeMaintenanceWindows",
        "GetMaintenanceWindow",
        "UpdateMaintenanceWindow",
        "DeleteMaintenanceWindow",
        "RegisterTargetWithMaintenanceWindow",
        "DescribeMaintenanceWindowTargets",
        "RegisterTaskWithMaintenanceWindow",
        "DescribeMaintenanceWindowTasks",
        "GetMaintenanceWindowTask",
        "DeregisterTaskFromMaintenanceWindow",
        "DeregisterTargetFromMaintenanceWindow",
        "DescribeMaintenanceWindowExecutions",
        "GetMaintenanceWindowExecution",
        "DescribeMaintenanceWindowExecutionTasks",
        "GetMaintenanceWindowExecutionTask",
        "DescribeMaintenanceWindowExecutionTaskInvocations",
        "GetMaintenanceWindowExecutionTaskInvocation",
        "CancelMaintenanceWindowExecution",
        "DescribeMaintenanceWindowSchedule",
        "DescribeMaintenanceWindowsForTarget",
    ];
    let odd = [
        json!({}),
        json!(null),
        json!([1, 2]),
        json!({"WindowId": 5, "Name": 7, "Schedule": [], "Duration": "3", "Cutoff": -1}),
        json!({"WindowId": w, "Targets": "x", "Filters": "x", "MaxResults": "x", "NextToken": 3}),
        json!({"WindowId": w, "Filters": [{"Key": 5, "Values": [1, null]}], "MaxResults": -3}),
        json!({"WindowId": w, "Targets": [{"Key": "InstanceIds", "Values": "i-1"}], "ResourceType": 1}),
        json!({"WindowId": w, "Targets": [{}], "TaskArn": "AWS-RunShellScript", "TaskType": "RUN_COMMAND",
            "Priority": "high", "MaxConcurrency": 1, "MaxErrors": [], "TaskInvocationParameters": "x"}),
        json!({"WindowId": w, "Schedule": "cron(é é é é é é)", "StartDate": "2026-01-0é", "ScheduleTimezone": "é"}),
        json!({"WindowExecutionId": "é", "TaskId": 1, "InvocationId": null, "WindowTaskId": {}, "WindowTargetId": []}),
    ];
    for op in ops {
        for body in &odd {
            let _ = call(&s, op, body.clone());
        }
    }
}

/// A window of two tasks on one Linux node: `sleep 30` (CutoffBehavior
/// `behavior`) then `true`.
fn slow_window(s: &Arc<LabState>, name: &str, behavior: &str) -> Value {
    let mut body = new_window();
    body["Name"] = json!(name);
    let id = call(s, "CreateMaintenanceWindow", body).unwrap()["WindowId"].clone();
    let node = s
        .nodes
        .read()
        .unwrap()
        .iter()
        .find(|n| n.platform_type == "Linux" && n.ping == crate::PingStatus::Online)
        .unwrap()
        .id
        .clone();
    let t = call(
        s,
        "RegisterTargetWithMaintenanceWindow",
        json!({"WindowId": id, "ResourceType": "INSTANCE",
        "Targets": [{"Key": "InstanceIds", "Values": [node]}]}),
    )
    .unwrap()["WindowTargetId"]
        .clone();
    for (priority, command) in [(1, "sleep 30"), (2, "true")] {
        call(s, "RegisterTaskWithMaintenanceWindow", json!({"WindowId": id, "TaskArn": "AWS-RunShellScript",
            "TaskType": "RUN_COMMAND", "Targets": [{"Key": "WindowTargetIds", "Values": [t]}],
            "MaxConcurrency": "1", "MaxErrors": "0", "Priority": priority, "CutoffBehavior": behavior,
            "TaskInvocationParameters": {"RunCommand": {"Parameters": {"commands": [command]}}}})).unwrap();
    }
    id
}

#[tokio::test]
async fn the_cutoff_stops_new_tasks_and_cancels_cancel_task_ones() {
    let (lab, s) = lab(None).await;
    for (name, behavior) in [
        ("cut-cancel", "CANCEL_TASK"),
        ("cut-continue", "CONTINUE_TASK"),
    ] {
        slow_window(&s, name, behavior);
        let exec = lab.open_maintenance_window(name).unwrap();
        until(|| {
            let tasks = call(
                &s,
                "DescribeMaintenanceWindowExecutionTasks",
                json!({"WindowExecutionId": exec}),
            )
            .unwrap();
            tasks["WindowExecutionTaskIdentities"][0]["Status"] == "IN_PROGRESS"
        })
        .await;
        // The lab's windows last hours: bring this one's cutoff forward.
        if let Some(e) = s
            .maintenance
            .lock()
            .unwrap()
            .executions
            .iter_mut()
            .find(|e| e.id == exec)
        {
            e.cutoff_at = now_s();
        }
        if behavior == "CONTINUE_TASK" {
            // The running task goes on; cancel to end the test quickly.
            tokio::time::sleep(std::time::Duration::from_millis(600)).await;
            let e = call(
                &s,
                "GetMaintenanceWindowExecution",
                json!({"WindowExecutionId": exec}),
            )
            .unwrap();
            assert_eq!(e["Status"], "IN_PROGRESS");
            call(
                &s,
                "CancelMaintenanceWindowExecution",
                json!({"WindowExecutionId": exec}),
            )
            .unwrap();
        }
        until(|| {
            let e = call(
                &s,
                "GetMaintenanceWindowExecution",
                json!({"WindowExecutionId": exec}),
            )
            .unwrap();
            !e.get("EndTime").is_none_or(Value::is_null)
        })
        .await;
        let e = call(
            &s,
            "GetMaintenanceWindowExecution",
            json!({"WindowExecutionId": exec}),
        )
        .unwrap();
        let tasks = call(
            &s,
            "DescribeMaintenanceWindowExecutionTasks",
            json!({"WindowExecutionId": exec}),
        )
        .unwrap();
        let status: Vec<&str> = tasks["WindowExecutionTaskIdentities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["Status"].as_str().unwrap())
            .collect();
        if behavior == "CANCEL_TASK" {
            assert_eq!(e["Status"], "TIMED_OUT", "{e}");
            assert_eq!(status, ["TIMED_OUT", "TIMED_OUT"]);
            let inv = first_invocation(&s, &json!(exec));
            assert_eq!(inv["Status"], "TIMED_OUT");
            let (cmd, _, _) =
                crate::commands::command_outcome(&s, inv["ExecutionId"].as_str().unwrap()).unwrap();
            assert_eq!(cmd, "Cancelled");
        } else {
            assert_eq!(e["Status"], "CANCELLED", "{e}");
            assert_eq!(status, ["CANCELLED", "CANCELLED"]);
        }
    }
}
