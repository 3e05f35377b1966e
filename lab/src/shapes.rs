//! The answers of the maintenance window, document, calendar and
//! Automation actions checked against botocore's output shapes, with the
//! integration tests' checker (tests/integration/model_shapes.rs,
//! included, not copied).

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
            crate::automation::handle(state, op, &body)
                .or_else(|| crate::maintenance::handle(state, op, &body))
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

/// Waits (up to 20 s) until execution `id` has `status`.
async fn wait_status(s: &Arc<LabState>, id: &Value, status: &str) {
    for _ in 0..400 {
        let e = call(
            s,
            "GetAutomationExecution",
            json!({"AutomationExecutionId": id}),
        );
        if e["AutomationExecution"]["AutomationExecutionStatus"] == status {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{id} never became {status}");
}

#[tokio::test]
async fn automation_answers_match_the_models_output_shapes() {
    let lab = crate::start(crate::LabConfig {
        fleet: crate::FleetSpec::small(),
        change_calendars: true,
        ..crate::LabConfig::default()
    })
    .await
    .unwrap();
    lab.seed_automation_history();
    let s = lab.lab.first().clone();
    let node = s
        .nodes
        .read()
        .unwrap()
        .iter()
        .find(|n| {
            !n.is_hybrid() && n.ping == crate::PingStatus::Online && n.platform_type == "Linux"
        })
        .unwrap()
        .id
        .clone();
    let full = call(&s, "StartAutomationExecution", json!({"DocumentName": "Lab-CollectDiagnostics",
        "Parameters": {"InstanceId": [node], "Depth": ["full"]}, "Tags": [{"Key": "team", "Value": "ops"}]}))
        ["AutomationExecutionId"].clone();
    let rate = call(
        &s,
        "StartAutomationExecution",
        json!({"DocumentName": "AWS-StopEC2Instance",
        "TargetParameterName": "InstanceId", "Targets": [{"Key": "tag:Env", "Values": ["dev"]}],
        "MaxConcurrency": "2", "MaxErrors": "1"}),
    )["AutomationExecutionId"]
        .clone();
    let interactive = call(
        &s,
        "StartAutomationExecution",
        json!({"DocumentName": "AWS-StartEC2Instance",
        "Mode": "Interactive", "Parameters": {"InstanceId": [node]}}),
    )["AutomationExecutionId"]
        .clone();
    wait_status(&s, &full, "Waiting").await;
    wait_status(&s, &interactive, "Waiting").await;
    let signal = |id: &Value, kind: &str, payload: Value| {
        call(
            &s,
            "SendAutomationSignal",
            json!({"AutomationExecutionId": id, "SignalType": kind, "Payload": payload}),
        )
    };
    signal(&full, "Approve", json!({"Comment": ["ok"]}));
    signal(
        &interactive,
        "StartStep",
        json!({"StepName": ["startInstances"]}),
    );
    wait_status(&s, &full, "Success").await;
    for _ in 0..400 {
        let e = call(
            &s,
            "GetAutomationExecution",
            json!({"AutomationExecutionId": rate}),
        );
        if crate::automation::terminal(
            e["AutomationExecution"]["AutomationExecutionStatus"]
                .as_str()
                .unwrap(),
        ) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let all = call(
        &s,
        "DescribeAutomationExecutions",
        json!({"MaxResults": 50}),
    );
    for m in all["AutomationExecutionMetadataList"].as_array().unwrap() {
        let id = &m["AutomationExecutionId"];
        call(
            &s,
            "GetAutomationExecution",
            json!({"AutomationExecutionId": id}),
        );
        call(
            &s,
            "DescribeAutomationStepExecutions",
            json!({"AutomationExecutionId": id, "ReverseOrder": true}),
        );
    }
    call(
        &s,
        "DescribeAutomationExecutions",
        json!({"Filters": [{"Key": "ExecutionStatus", "Values": ["Failed"]}]}),
    );
    let waiting = call(
        &s,
        "StartAutomationExecution",
        json!({"DocumentName": "AWS-RestartEC2Instance", "Mode": "Interactive",
            "Parameters": {"InstanceId": [node]}}),
    )["AutomationExecutionId"]
        .clone();
    call(
        &s,
        "StopAutomationExecution",
        json!({"AutomationExecutionId": waiting, "Type": "Cancel"}),
    );
    documents(&s);
}

/// The document reads of the runbooks (and of the other documents' versions).
fn documents(s: &Arc<LabState>) {
    for name in [
        "AWS-RestartEC2Instance",
        "AWS-StopEC2Instance",
        "AWS-StartEC2Instance",
        "Lab-CollectDiagnostics",
        "AWS-RunShellScript",
        "prod-change-freeze",
    ] {
        call(s, "ListDocumentVersions", json!({"Name": name}));
    }
    for body in [
        json!({"Name": "AWS-RestartEC2Instance"}),
        json!({"Name": "Lab-CollectDiagnostics", "DocumentVersion": "1"}),
        json!({"Name": "AWS-RunShellScript"}),
    ] {
        call(s, "DescribeDocument", body);
    }
    // Versions 2 and 3 declare Integer and Boolean parameters: DescribeDocument
    // reports those types, which the model's DocumentParameterType enum
    // (String, StringList) has not caught up with; the rest is checked.
    let d = crate::commands::handle(
        s,
        "DescribeDocument",
        &json!({"Name": "Lab-CollectDiagnostics"}),
    )
    .unwrap()
    .unwrap();
    let mut relaxed = d.clone();
    for p in relaxed["Document"]["Parameters"].as_array_mut().unwrap() {
        if p["Type"] == "Integer" || p["Type"] == "Boolean" {
            p["Type"] = json!("String");
        }
    }
    model_shapes::check_output("ssm", "DescribeDocument", &relaxed).unwrap();
    call(
        s,
        "ListDocuments",
        json!({"Filters": [{"Key": "DocumentType", "Values": ["Automation"]}]}),
    );
    call(
        s,
        "GetDocument",
        json!({"Name": "Lab-CollectDiagnostics", "DocumentVersion": "3"}),
    );
    call(
        s,
        "GetDocument",
        json!({"Name": "AWS-RestartEC2Instance", "DocumentFormat": "YAML"}),
    );
    packages(s);
}

/// The Distributor documents: the packages and AWS-ConfigureAWSPackage.
fn packages(s: &Arc<LabState>) {
    call(
        s,
        "ListDocuments",
        json!({"Filters": [{"Key": "DocumentType", "Values": ["Package"]}]}),
    );
    for name in [
        "AmazonCloudWatchAgent",
        "AWSCodeDeployAgent",
        "AWS-ConfigureAWSPackage",
    ] {
        call(s, "ListDocumentVersions", json!({"Name": name}));
        call(s, "GetDocument", json!({"Name": name}));
    }
    for body in [
        json!({"Name": "AmazonCloudWatchAgent"}),
        json!({"Name": "AWSCodeDeployAgent", "VersionName": "1.6.0-49"}),
    ] {
        call(s, "DescribeDocument", body);
    }
    // additionalArguments is a StringMap, which the model's
    // DocumentParameterType enum (String, StringList) does not list; AWS
    // reports it all the same. The rest is checked.
    let d = crate::commands::handle(
        s,
        "DescribeDocument",
        &json!({"Name": "AWS-ConfigureAWSPackage"}),
    )
    .unwrap()
    .unwrap();
    let mut relaxed = d.clone();
    for p in relaxed["Document"]["Parameters"].as_array_mut().unwrap() {
        if p["Type"] == "StringMap" {
            p["Type"] = json!("String");
        }
    }
    model_shapes::check_output("ssm", "DescribeDocument", &relaxed).unwrap();
}
