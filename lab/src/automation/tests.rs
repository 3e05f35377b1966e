use std::sync::{Arc, LazyLock};

use serde_json::{Value, json};

use crate::params::ApiError;
use crate::{FleetSpec, LabConfig, LabState, PingStatus};

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

/// Test settings: the fleet, and the knobs set on the handle.
struct Knobs {
    fleet: FleetSpec,
    step_ms: u64,
    running_limit: usize,
    history: bool,
}

async fn lab_with(f: impl FnOnce(&mut Knobs)) -> (crate::LabHandle, Arc<LabState>) {
    let mut k = Knobs {
        fleet: FleetSpec::small(),
        step_ms: super::DEFAULT_STEP_MS,
        running_limit: super::DEFAULT_RUNNING_LIMIT,
        history: false,
    };
    f(&mut k);
    let handle = crate::start(LabConfig {
        fleet: k.fleet,
        ..LabConfig::default()
    })
    .await
    .expect("lab starts");
    handle.set_automation_step_ms(k.step_ms);
    handle.set_automation_running_limit(k.running_limit);
    if k.history {
        handle.seed_automation_history();
    }
    let state = handle.lab.first().clone();
    (handle, state)
}

async fn lab() -> (crate::LabHandle, Arc<LabState>) {
    lab_with(|_| {}).await
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
        || {
            super::handle(state, op, &body)
                .or_else(|| crate::commands::handle(state, op, &body))
                .expect("an automation or document action")
        },
    )
}

/// Waits (up to 20 s) until `f` holds.
async fn until(mut f: impl FnMut() -> bool) {
    for _ in 0..400 {
        if f() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("timed out waiting");
}

fn get(s: &Arc<LabState>, id: &str) -> Value {
    call(
        s,
        "GetAutomationExecution",
        json!({"AutomationExecutionId": id}),
    )
    .unwrap()["AutomationExecution"]
        .clone()
}

fn status(s: &Arc<LabState>, id: &str) -> String {
    get(s, id)["AutomationExecutionStatus"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn step<'a>(e: &'a Value, name: &str) -> &'a Value {
    e["StepExecutions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["StepName"] == name)
        .unwrap_or_else(|| panic!("no step {name} in {e:#}"))
}

fn start(s: &Arc<LabState>, body: Value) -> String {
    call(s, "StartAutomationExecution", body).unwrap()["AutomationExecutionId"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The first Online EC2 Linux node.
fn online_node(s: &Arc<LabState>) -> String {
    s.nodes
        .read()
        .unwrap()
        .iter()
        .find(|n| !n.is_hybrid() && n.ping == PingStatus::Online && n.platform_type == "Linux")
        .unwrap()
        .id
        .clone()
}

fn node(s: &Arc<LabState>, id: &str) -> crate::LabNode {
    s.nodes
        .read()
        .unwrap()
        .iter()
        .find(|n| n.id == id)
        .unwrap()
        .clone()
}

#[tokio::test]
async fn restart_stops_and_starts_the_node_and_brings_it_back_online() {
    let (_lab, s) = lab_with(|c| c.step_ms = 400).await;
    let id_node = online_node(&s);
    let id = start(
        &s,
        json!({"DocumentName": "AWS-RestartEC2Instance", "Parameters": {"InstanceId": [id_node]}}),
    );
    until(|| node(&s, &id_node).state == "stopping").await;
    let e = get(&s, &id);
    assert_eq!(e["AutomationExecutionStatus"], "InProgress");
    assert_eq!(e["CurrentStepName"], "stopInstances");
    assert_eq!(e["CurrentAction"], "aws:changeInstanceState");
    // Stopped (ping ConnectionLost), then at once pending as startInstances begins.
    until(|| {
        let n = node(&s, &id_node);
        n.state == "pending" && n.ping == PingStatus::ConnectionLost
    })
    .await;
    assert_eq!(
        step(&get(&s, &id), "stopInstances")["StepStatus"],
        "Success"
    );
    until(|| status(&s, &id) == "Success").await;
    let n = node(&s, &id_node);
    assert_eq!((n.state.as_str(), n.ping), ("running", PingStatus::Online));
    let e = get(&s, &id);
    assert_eq!(e["DocumentVersion"], "1");
    assert_eq!(e["Mode"], "Auto");
    // The default "" is an empty list: the model's values have 1 … 512 characters.
    assert_eq!(e["Parameters"]["AutomationAssumeRole"], json!([]));
    assert!(e["ExecutionEndTime"].is_number());
    for name in ["stopInstances", "startInstances"] {
        let st = step(&e, name);
        assert_eq!(st["StepStatus"], "Success", "{st}");
        assert_eq!(st["Action"], "aws:changeInstanceState");
        assert_eq!(
            st["Inputs"]["InstanceIds"],
            json!(format!("[\"{id_node}\"]"))
        );
    }
    assert_eq!(
        step(&e, "stopInstances")["Inputs"]["DesiredState"],
        "\"stopped\""
    );
    let steps = call(
        &s,
        "DescribeAutomationStepExecutions",
        json!({"AutomationExecutionId": id, "ReverseOrder": true}),
    )
    .unwrap();
    assert_eq!(steps["StepExecutions"][0]["StepName"], "startInstances");
    let list = call(&s, "DescribeAutomationExecutions", json!({})).unwrap();
    let m = &list["AutomationExecutionMetadataList"][0];
    assert_eq!(m["AutomationExecutionId"], json!(id));
    assert_eq!(m["AutomationType"], "Local");
    assert_eq!(m["ExecutedBy"], json!(s.caller_arn()));
}

#[tokio::test]
async fn stop_and_start_runbooks_change_the_ec2_state() {
    let (_lab, s) = lab().await;
    let n = online_node(&s);
    let id = start(
        &s,
        json!({"DocumentName": "AWS-StopEC2Instance", "Parameters": {"InstanceId": [n]}}),
    );
    until(|| status(&s, &id) == "Success").await;
    assert_eq!(node(&s, &n).state, "stopped");
    assert_eq!(node(&s, &n).ping, PingStatus::ConnectionLost);
    assert_eq!(
        step(&get(&s, &id), "stopInstances")["StepStatus"],
        "Success"
    );
    let id = start(
        &s,
        json!({"DocumentName": "AWS-StartEC2Instance", "DocumentVersion": "$LATEST", "Parameters": {"InstanceId": [n]}}),
    );
    until(|| status(&s, &id) == "Success").await;
    assert_eq!(
        (node(&s, &n).state.as_str(), node(&s, &n).ping),
        ("running", PingStatus::Online)
    );
    // A hybrid node is not an EC2 instance: the step fails as EC2 answers.
    let hybrid = s
        .nodes
        .read()
        .unwrap()
        .iter()
        .find(|n| n.is_hybrid())
        .map(|n| n.id.clone());
    if let Some(h) = hybrid {
        let id = start(
            &s,
            json!({"DocumentName": "AWS-StopEC2Instance", "Parameters": {"InstanceId": [h]}}),
        );
        until(|| status(&s, &id) == "Failed").await;
        let e = get(&s, &id);
        let st = step(&e, "stopInstances");
        assert_eq!(st["StepStatus"], "Failed");
        assert!(
            st["FailureMessage"]
                .as_str()
                .unwrap()
                .contains("InvalidInstanceID.Malformed"),
            "{st}"
        );
        assert_eq!(st["FailureDetails"]["FailureStage"], "Invocation");
        assert_eq!(e["FailureMessage"], st["FailureMessage"]);
    }
}

#[tokio::test]
async fn diagnostics_runs_a_real_command_and_branches() {
    let (_lab, s) = lab().await;
    let n = online_node(&s);
    let id = start(
        &s,
        json!({"DocumentName": "Lab-CollectDiagnostics", "Parameters": {"InstanceId": [n]}}),
    );
    until(|| status(&s, &id) == "Success").await;
    let e = get(&s, &id);
    assert_eq!(
        e["DocumentVersion"], "2",
        "the default version, not the latest"
    );
    assert_eq!(
        step(&e, "checkNode")["Outputs"]["PingStatus"],
        json!(["Online"])
    );
    assert_eq!(step(&e, "chooseDepth")["NextStep"], "collectBasic");
    let basic = step(&e, "collectBasic");
    assert_eq!(basic["Action"], "aws:runCommand");
    let command = basic["Outputs"]["CommandId"][0].as_str().unwrap();
    let (cstatus, _, done) = crate::commands::command_outcome(&s, command).expect("a real command");
    assert!(done);
    assert_eq!(cstatus, "Success");
    assert!(
        basic["Outputs"]["Output"][0]
            .as_str()
            .unwrap()
            .contains("load average"),
        "{basic}"
    );
    for skipped in ["collectFull", "approveUpload", "uploadBundle"] {
        assert_eq!(step(&e, skipped)["StepStatus"], "Pending");
    }
    assert_eq!(e["Outputs"]["collectBasic.CommandId"], json!([command]));
    assert_eq!(
        e["Outputs"]["collectFull.CommandId"][0],
        "No output available yet because the step is not successfully executed"
    );
    let listed = call(&s, "ListCommands", json!({"CommandId": command})).unwrap();
    assert_eq!(listed["Commands"][0]["DocumentName"], "AWS-RunShellScript");
}

fn full_run(s: &Arc<LabState>) -> String {
    let n = online_node(s);
    start(
        s,
        json!({"DocumentName": "Lab-CollectDiagnostics", "Parameters": {"InstanceId": [n], "Depth": ["full"]}}),
    )
}

fn signal(s: &Arc<LabState>, id: &str, kind: &str, payload: Value) -> Result<Value, ApiError> {
    let mut body = json!({"AutomationExecutionId": id, "SignalType": kind});
    if !payload.is_null() {
        body["Payload"] = payload;
    }
    call(s, "SendAutomationSignal", body)
}

#[tokio::test]
async fn approval_waits_and_approve_continues() {
    let (_lab, s) = lab().await;
    let id = full_run(&s);
    let op = "SendAutomationSignal";
    assert_code(
        op,
        signal(&s, &id, "Approve", Value::Null),
        "InvalidAutomationSignalException",
    );
    until(|| status(&s, &id) == "Waiting").await;
    let e = get(&s, &id);
    assert_eq!(e["CurrentStepName"], "approveUpload");
    assert_eq!(e["CurrentAction"], "aws:approve");
    assert_eq!(step(&e, "approveUpload")["StepStatus"], "Waiting");
    assert_eq!(step(&e, "collectFull")["StepStatus"], "Success");
    signal(&s, &id, "Approve", json!({"Comment": ["looks good"]})).unwrap();
    until(|| status(&s, &id) == "Success").await;
    let e = get(&s, &id);
    let a = step(&e, "approveUpload");
    assert_eq!(a["Outputs"]["ApprovalStatus"], json!(["Approved"]));
    assert!(
        a["Outputs"]["ApproverDecisions"][0]
            .as_str()
            .unwrap()
            .contains("looks good")
    );
    assert_eq!(step(&e, "uploadBundle")["StepStatus"], "Success");
    assert_code(
        op,
        signal(&s, &id, "Approve", Value::Null),
        "InvalidAutomationSignalException",
    );
}

#[tokio::test]
async fn reject_fails_the_execution() {
    let (_lab, s) = lab().await;
    let id = full_run(&s);
    until(|| status(&s, &id) == "Waiting").await;
    signal(&s, &id, "Reject", json!({"Comment": ["not now"]})).unwrap();
    until(|| status(&s, &id) == "Failed").await;
    let e = get(&s, &id);
    let a = step(&e, "approveUpload");
    assert_eq!(a["StepStatus"], "Failed");
    assert!(
        e["FailureMessage"].as_str().unwrap().contains("rejected"),
        "{e}"
    );
    assert!(
        a["FailureDetails"]["Details"]["ExceptionMessage"][0]
            .as_str()
            .unwrap()
            .contains("not now")
    );
    assert_eq!(step(&e, "uploadBundle")["StepStatus"], "Pending");
}

#[tokio::test]
async fn stop_cancels_and_a_second_stop_is_refused() {
    let (_lab, s) = lab().await;
    let id = full_run(&s);
    until(|| status(&s, &id) == "Waiting").await;
    let op = "StopAutomationExecution";
    call(
        &s,
        op,
        json!({"AutomationExecutionId": id, "Type": "Cancel"}),
    )
    .unwrap();
    let now = status(&s, &id);
    assert!(now == "Cancelling" || now == "Cancelled", "{now}");
    until(|| status(&s, &id) == "Cancelled").await;
    assert_eq!(
        step(&get(&s, &id), "approveUpload")["StepStatus"],
        "Cancelled"
    );
    assert_code(
        op,
        call(&s, op, json!({"AutomationExecutionId": id})),
        "InvalidAutomationStatusUpdateException",
    );
    assert_code(
        op,
        call(
            &s,
            op,
            json!({"AutomationExecutionId": id, "Type": "Pause"}),
        ),
        "ValidationException",
    );
    let unknown = json!({"AutomationExecutionId": "00000000-0000-4000-8000-000000000000"});
    assert_code(
        op,
        call(&s, op, unknown.clone()),
        "AutomationExecutionNotFoundException",
    );
    assert_code(
        "GetAutomationExecution",
        call(&s, "GetAutomationExecution", unknown.clone()),
        "AutomationExecutionNotFoundException",
    );
    assert_code(
        "DescribeAutomationStepExecutions",
        call(&s, "DescribeAutomationStepExecutions", unknown.clone()),
        "AutomationExecutionNotFoundException",
    );
    let mut sig = unknown;
    sig["SignalType"] = json!("Approve");
    assert_code(
        "SendAutomationSignal",
        call(&s, "SendAutomationSignal", sig),
        "AutomationExecutionNotFoundException",
    );
}

#[tokio::test]
async fn interactive_mode_waits_for_start_step_and_resume_continues() {
    let (_lab, s) = lab().await;
    let n = online_node(&s);
    let id = start(
        &s,
        json!({"DocumentName": "AWS-RestartEC2Instance", "Mode": "Interactive", "Parameters": {"InstanceId": [n]}}),
    );
    until(|| status(&s, &id) == "Waiting").await;
    let e = get(&s, &id);
    assert_eq!(e["Mode"], "Interactive");
    assert_eq!(step(&e, "stopInstances")["StepStatus"], "Pending");
    let op = "SendAutomationSignal";
    assert_code(
        op,
        signal(&s, &id, "StartStep", json!({"StepName": ["noSuchStep"]})),
        "AutomationStepNotFoundException",
    );
    assert_code(
        op,
        signal(&s, &id, "StartStep", Value::Null),
        "InvalidAutomationSignalException",
    );
    assert_code(
        op,
        signal(&s, &id, "Launch", Value::Null),
        "ValidationException",
    );
    signal(&s, &id, "StartStep", json!({"StepName": ["stopInstances"]})).unwrap();
    until(|| step(&get(&s, &id), "stopInstances")["StepStatus"] == "Success").await;
    until(|| status(&s, &id) == "Waiting").await;
    assert_eq!(node(&s, &n).state, "stopped");
    assert_eq!(
        step(&get(&s, &id), "startInstances")["StepStatus"],
        "Pending"
    );
    signal(&s, &id, "Resume", json!({"StepName": ["startInstances"]})).unwrap();
    until(|| status(&s, &id) == "Success").await;
    assert_eq!(node(&s, &n).state, "running");
    // StartStep on an Auto execution is refused.
    let auto = full_run(&s);
    assert_code(
        op,
        signal(&s, &auto, "StartStep", json!({"StepName": ["checkNode"]})),
        "InvalidAutomationSignalException",
    );
}

#[tokio::test]
async fn stop_step_cancels_the_running_step() {
    let (_lab, s) = lab_with(|c| c.step_ms = 2_000).await;
    let n = online_node(&s);
    let id = start(
        &s,
        json!({"DocumentName": "AWS-RestartEC2Instance", "Mode": "Interactive", "Parameters": {"InstanceId": [n]}}),
    );
    until(|| status(&s, &id) == "Waiting").await;
    signal(&s, &id, "StartStep", json!({"StepName": ["stopInstances"]})).unwrap();
    until(|| step(&get(&s, &id), "stopInstances")["StepStatus"] == "InProgress").await;
    let sid = step(&get(&s, &id), "stopInstances")["StepExecutionId"].clone();
    signal(&s, &id, "StopStep", json!({"StepExecutionId": [sid]})).unwrap();
    until(|| step(&get(&s, &id), "stopInstances")["StepStatus"] == "Cancelled").await;
    until(|| status(&s, &id) == "Waiting").await;
    let op = "SendAutomationSignal";
    assert_code(
        op,
        signal(&s, &id, "StopStep", json!({"StepExecutionId": [sid]})),
        "InvalidAutomationSignalException",
    );
    assert_code(
        op,
        signal(
            &s,
            &id,
            "StopStep",
            json!({"StepExecutionId": ["00000000-0000-4000-8000-000000000000"]}),
        ),
        "AutomationStepNotFoundException",
    );
}

#[tokio::test]
async fn parameters_and_requests_are_checked_as_aws_does() {
    let (_lab, s) = lab_with(|c| c.running_limit = 2).await;
    let op = "StartAutomationExecution";
    let n = online_node(&s);
    let diag = |p: Value| json!({"DocumentName": "Lab-CollectDiagnostics", "Parameters": p});
    for (body, code) in [
        (
            diag(json!({"InstanceId": [n], "Colour": ["red"]})),
            "InvalidAutomationExecutionParametersException",
        ),
        (
            diag(json!({"Depth": ["full"]})),
            "InvalidAutomationExecutionParametersException",
        ),
        (
            diag(json!({"InstanceId": [n, n]})),
            "InvalidAutomationExecutionParametersException",
        ),
        (
            diag(json!({"InstanceId": [n], "ExecutionTimeout": ["soon"]})),
            "InvalidAutomationExecutionParametersException",
        ),
        (
            diag(json!({"InstanceId": [n], "Verbose": ["yes"]})),
            "InvalidAutomationExecutionParametersException",
        ),
        (
            diag(json!({"InstanceId": [n], "Depth": ["deep"]})),
            "InvalidAutomationExecutionParametersException",
        ),
        (
            diag(json!({"InstanceId": ["node-1"]})),
            "InvalidAutomationExecutionParametersException",
        ),
        (diag(json!({"InstanceId": "i-1"})), "ValidationException"),
        (
            json!({"DocumentName": "No-Such-Runbook"}),
            "AutomationDefinitionNotFoundException",
        ),
        (json!({"DocumentName": "x"}), "ValidationException"),
        (
            json!({"DocumentName": "AWS-RestartEC2Instance", "DocumentVersion": "7"}),
            "AutomationDefinitionVersionNotFoundException",
        ),
        (
            json!({"DocumentName": "AWS-RestartEC2Instance", "DocumentVersion": "latest"}),
            "ValidationException",
        ),
        (
            json!({"DocumentName": "AWS-RestartEC2Instance", "Mode": "Manual"}),
            "ValidationException",
        ),
        (
            json!({"DocumentName": "AWS-RestartEC2Instance", "MaxConcurrency": "0"}),
            "ValidationException",
        ),
        (
            json!({"DocumentName": "AWS-RestartEC2Instance", "ClientToken": "short"}),
            "ValidationException",
        ),
        (
            json!({"DocumentName": "AWS-RestartEC2Instance", "TargetParameterName": "InstanceId",
            "Targets": [{"Key": "tag:Env", "Values": ["nowhere"]}]}),
            "InvalidTarget",
        ),
        (
            json!({"DocumentName": "AWS-RestartEC2Instance", "TargetParameterName": "InstanceId",
            "Targets": [{"Key": "resource-groups:Name", "Values": ["g"]}]}),
            "InvalidTarget",
        ),
        (
            json!({"DocumentName": "AWS-RestartEC2Instance", "TargetParameterName": "NodeId",
            "Targets": [{"Key": "tag:Env", "Values": ["prod"]}]}),
            "InvalidAutomationExecutionParametersException",
        ),
        (
            json!({"DocumentName": "AWS-RestartEC2Instance", "Targets": [{"Key": "tag:Env", "Values": ["prod"]}]}),
            "InvalidAutomationExecutionParametersException",
        ),
    ] {
        let shown = body.to_string();
        let r = call(&s, op, body);
        assert!(r.is_err(), "{shown} was accepted");
        assert_code(op, r, code);
    }
    // Idempotency.
    let token = "11111111-2222-4333-8444-555555555555";
    let body = json!({"DocumentName": "AWS-StopEC2Instance", "ClientToken": token, "Parameters": {"InstanceId": [n]}});
    let a = call(&s, op, body.clone()).unwrap();
    assert_eq!(call(&s, op, body.clone()).unwrap(), a);
    let mut other = body;
    other["Mode"] = json!("Interactive");
    assert_code(op, call(&s, op, other), "IdempotentParameterMismatch");
    // Quota: two running (one waiting for approval) and the third is refused.
    let waiting = full_run(&s);
    until(|| {
        status(&s, &waiting) == "Waiting"
            || status(&s, a["AutomationExecutionId"].as_str().unwrap()) == "Success"
    })
    .await;
    until(|| {
        super::summaries(&s)
            .iter()
            .filter(|e| !super::terminal(&e.status))
            .count()
            == 1
    })
    .await;
    let _second = full_run(&s);
    assert_code(
        op,
        call(
            &s,
            op,
            json!({"DocumentName": "AWS-StopEC2Instance", "Parameters": {"InstanceId": [n]}}),
        ),
        "AutomationExecutionLimitExceededException",
    );
}

#[tokio::test]
async fn describe_filters_and_pages() {
    let (_lab, s) = lab().await;
    let n = online_node(&s);
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(start(
            &s,
            json!({"DocumentName": "AWS-StopEC2Instance", "Parameters": {"InstanceId": [n]}}),
        ));
    }
    let op = "DescribeAutomationExecutions";
    let mut seen = Vec::new();
    let mut token: Option<Value> = None;
    loop {
        let mut body = json!({"MaxResults": 2});
        if let Some(t) = &token {
            body["NextToken"] = t.clone();
        }
        let page = call(&s, op, body).unwrap();
        let list = page["AutomationExecutionMetadataList"].as_array().unwrap();
        assert!(list.len() <= 2);
        seen.extend(
            list.iter()
                .map(|m| m["AutomationExecutionId"].as_str().unwrap().to_owned()),
        );
        match page.get("NextToken") {
            Some(t) => token = Some(t.clone()),
            None => break,
        }
    }
    ids.reverse();
    assert_eq!(seen, ids, "newest first, every execution once");
    assert_code(
        op,
        call(&s, op, json!({"NextToken": "bogus"})),
        "InvalidNextToken",
    );
    assert_code(
        op,
        call(&s, op, json!({"MaxResults": 51})),
        "ValidationException",
    );
    let f = |k: &str, v: &str| json!({"Filters": [{"Key": k, "Values": [v]}]});
    assert_code(op, call(&s, op, f("Colour", "red")), "ValidationException");
    assert_code(
        op,
        call(&s, op, f("ExecutionStatus", "Done")),
        "InvalidFilterValue",
    );
    assert_code(
        op,
        call(&s, op, f("StartTimeBefore", "yesterday")),
        "InvalidFilterValue",
    );
    assert_code(
        op,
        call(&s, op, f("AutomationType", "Remote")),
        "InvalidFilterValue",
    );
    let one = call(&s, op, f("ExecutionId", &ids[0])).unwrap();
    assert_eq!(
        one["AutomationExecutionMetadataList"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let prefix = call(&s, op, f("DocumentNamePrefix", "AWS-Stop")).unwrap();
    assert_eq!(
        prefix["AutomationExecutionMetadataList"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    let none = call(&s, op, f("DocumentNamePrefix", "Lab-")).unwrap();
    assert!(
        none["AutomationExecutionMetadataList"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let later = call(&s, op, f("StartTimeAfter", "2001-01-01T00:00:00Z")).unwrap();
    assert_eq!(
        later["AutomationExecutionMetadataList"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    // Step executions.
    let op = "DescribeAutomationStepExecutions";
    until(|| status(&s, &ids[0]) != "InProgress" && status(&s, &ids[0]) != "Pending").await;
    let body = |filters: Value| json!({"AutomationExecutionId": ids[0], "Filters": filters});
    let by_name = call(
        &s,
        op,
        body(json!([{"Key": "StepName", "Values": ["stopInstances"]}])),
    )
    .unwrap();
    assert_eq!(by_name["StepExecutions"].as_array().unwrap().len(), 1);
    assert_code(
        op,
        call(&s, op, body(json!([{"Key": "Colour", "Values": ["x"]}]))),
        "ValidationException",
    );
    assert_code(
        op,
        call(
            &s,
            op,
            body(json!([{"Key": "StepExecutionStatus", "Values": ["Done"]}])),
        ),
        "InvalidFilterValue",
    );
    assert_code(
        op,
        call(
            &s,
            op,
            json!({"AutomationExecutionId": ids[0], "NextToken": "x"}),
        ),
        "InvalidNextToken",
    );
    assert_code(
        op,
        call(&s, op, json!({"AutomationExecutionId": "short"})),
        "ValidationException",
    );
}

/// A fleet of 100 nodes, all EC2 and Online.
fn hundred(c: &mut Knobs) {
    c.fleet = FleetSpec {
        nodes: 100,
        seed: 100,
        hybrid_share: 0.0,
        connection_lost_share: 0.0,
        inactive_share: 0.0,
        parameters: 0,
        ops_items: 0,
        ..FleetSpec::small()
    };
    c.step_ms = 20;
}

#[tokio::test]
async fn rate_control_over_100_nodes_stops_after_max_errors() {
    let (lab, s) = lab_with(hundred).await;
    let nodes: Vec<String> = s
        .nodes
        .read()
        .unwrap()
        .iter()
        .map(|n| n.id.clone())
        .collect();
    let failing: Vec<&str> = nodes[10..14].iter().map(String::as_str).collect();
    lab.fail_automation_step_on("stopInstances", &failing);
    let id = start(
        &s,
        json!({"DocumentName": "AWS-RestartEC2Instance", "TargetParameterName": "InstanceId",
            "Targets": [{"Key": "tag-key", "Values": ["Name"]}], "MaxConcurrency": "5", "MaxErrors": "2"}),
    );
    let mut most = 0;
    until(|| {
        let all = lab.automation_executions();
        let running = all
            .iter()
            .filter(|e| e.parent.as_deref() == Some(id.as_str()) && !super::terminal(&e.status))
            .count();
        most = most.max(running);
        all.iter().any(|e| e.id == id && super::terminal(&e.status))
    })
    .await;
    assert!(
        most <= 5,
        "at most MaxConcurrency children at once ({most})"
    );
    let parent = get(&s, &id);
    assert_eq!(parent["AutomationExecutionStatus"], "Failed", "{parent:#}");
    assert_eq!(parent["TargetParameterName"], "InstanceId");
    assert_eq!(
        parent["ResolvedTargets"]["ParameterValues"]
            .as_array()
            .unwrap()
            .len(),
        100
    );
    assert_eq!(parent["ResolvedTargets"]["Truncated"], false);
    let children: Vec<_> = lab
        .automation_executions()
        .into_iter()
        .filter(|e| e.parent.as_deref() == Some(id.as_str()))
        .collect();
    let failed = children.iter().filter(|c| c.status == "Failed").count();
    assert!(failed >= 3, "more than MaxErrors (2) failed: {failed}");
    assert!(
        children.len() < 100,
        "no new child after MaxErrors: {}",
        children.len()
    );
    assert!(children.len() >= 14);
    for c in &children {
        assert_eq!(
            c.target.as_deref().map(|t| nodes.contains(&t.to_owned())),
            Some(true)
        );
        let want = if failing.contains(&c.target.as_deref().unwrap()) {
            "Failed"
        } else {
            "Success"
        };
        assert_eq!(c.status, want, "{c:?}");
    }
    let pc = &parent["ProgressCounters"];
    assert_eq!(pc["TotalSteps"], 100);
    assert_eq!(pc["FailedSteps"], json!(failed));
    assert_eq!(
        parent["StepExecutions"].as_array().unwrap().len(),
        children.len()
    );
    let kids = call(
        &s,
        "DescribeAutomationExecutions",
        json!({"Filters": [{"Key": "ParentExecutionId", "Values": [id]}], "MaxResults": 50}),
    )
    .unwrap();
    let first = &kids["AutomationExecutionMetadataList"][0];
    assert_eq!(first["ParentAutomationExecutionId"], json!(id));
    assert!(first["Target"].is_string());
    let failed_child = children.iter().find(|c| c.status == "Failed").unwrap();
    let e = get(&s, &failed_child.id);
    assert!(
        step(&e, "stopInstances")["FailureMessage"]
            .as_str()
            .unwrap()
            .contains("failure knob")
    );
    assert_eq!(step(&e, "startInstances")["StepStatus"], "Pending");
}

#[tokio::test]
async fn rate_control_without_failures_succeeds() {
    let (lab, s) = lab_with(hundred).await;
    let nodes: Vec<String> = s
        .nodes
        .read()
        .unwrap()
        .iter()
        .take(12)
        .map(|n| n.id.clone())
        .collect();
    let id = start(
        &s,
        json!({"DocumentName": "AWS-StopEC2Instance", "TargetParameterName": "InstanceId",
            "Targets": [{"Key": "InstanceIds", "Values": nodes}], "MaxConcurrency": "50%", "MaxErrors": "10%"}),
    );
    until(|| status(&s, &id) == "Success").await;
    let parent = get(&s, &id);
    assert_eq!(parent["ProgressCounters"]["SuccessSteps"], 12);
    assert_eq!(parent["MaxConcurrency"], "50%");
    let stopped = lab
        .nodes()
        .iter()
        .filter(|n| nodes.contains(&n.id) && n.state == "stopped")
        .count();
    assert_eq!(stopped, 12);
}

#[tokio::test]
async fn runbooks_are_documents() {
    let (_lab, s) = lab().await;
    let list = |filters: Value| -> Vec<String> {
        call(&s, "ListDocuments", json!({"Filters": filters})).unwrap()["DocumentIdentifiers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["Name"].as_str().unwrap().to_owned())
            .collect()
    };
    let auto = json!({"Key": "DocumentType", "Values": ["Automation"]});
    assert_eq!(
        list(json!([auto])),
        [
            "AWS-RestartEC2Instance",
            "AWS-StartEC2Instance",
            "AWS-StopEC2Instance",
            "Lab-CollectDiagnostics"
        ]
    );
    assert_eq!(
        list(json!([auto, {"Key": "Owner", "Values": ["Self"]}])),
        ["Lab-CollectDiagnostics"]
    );
    assert_eq!(
        list(json!([auto, {"Key": "Owner", "Values": ["Amazon"]}])).len(),
        3
    );
    assert!(list(json!([auto, {"Key": "Owner", "Values": ["ThirdParty"]}])).is_empty());
    assert!(
        list(json!([{"Key": "DocumentType", "Values": ["Command"]}]))
            .contains(&"AWS-RunShellScript".to_owned())
    );
    let d = call(
        &s,
        "DescribeDocument",
        json!({"Name": "Lab-CollectDiagnostics"}),
    )
    .unwrap()["Document"]
        .clone();
    assert_eq!(
        (
            d["DocumentVersion"].as_str(),
            d["DefaultVersion"].as_str(),
            d["LatestVersion"].as_str()
        ),
        (Some("2"), Some("2"), Some("3"))
    );
    assert_eq!(d["DocumentType"], "Automation");
    assert_eq!(d["SchemaVersion"], "0.3");
    let p: Vec<&str> = d["Parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["Name"].as_str().unwrap())
        .collect();
    assert_eq!(
        p,
        [
            "InstanceId",
            "Depth",
            "Approver",
            "ExecutionTimeout",
            "Verbose",
            "AutomationAssumeRole"
        ]
    );
    let v1 = call(
        &s,
        "DescribeDocument",
        json!({"Name": "Lab-CollectDiagnostics", "DocumentVersion": "1"}),
    )
    .unwrap();
    assert_eq!(v1["Document"]["Parameters"].as_array().unwrap().len(), 2);
    let r = call(
        &s,
        "DescribeDocument",
        json!({"Name": "AWS-RestartEC2Instance"}),
    )
    .unwrap();
    assert_eq!(
        r["Document"]["Parameters"][0],
        json!({"Name": "InstanceId", "Type": "StringList", "Description": "(Required) EC2 Instance(s) to restart"})
    );
    assert_eq!(r["Document"]["Parameters"][1]["DefaultValue"], "");
    assert_code(
        "DescribeDocument",
        call(
            &s,
            "DescribeDocument",
            json!({"Name": "AWS-RestartEC2Instance", "DocumentVersion": "4"}),
        ),
        "InvalidDocumentVersion",
    );
    let g = call(
        &s,
        "GetDocument",
        json!({"Name": "Lab-CollectDiagnostics", "DocumentVersion": "$LATEST"}),
    )
    .unwrap();
    assert_eq!(g["DocumentVersion"], "3");
    let c: Value = serde_json::from_str(g["Content"].as_str().unwrap()).unwrap();
    assert_eq!(c["schemaVersion"], "0.3");
    assert_eq!(c["mainSteps"][5]["action"], "aws:approve");
    let y = call(
        &s,
        "GetDocument",
        json!({"Name": "AWS-RestartEC2Instance", "DocumentFormat": "YAML"}),
    )
    .unwrap();
    assert_eq!(y["DocumentFormat"], "YAML");
    assert!(
        y["Content"]
            .as_str()
            .unwrap()
            .contains("\n  name: \"stopInstances\""),
        "{}",
        y["Content"]
    );
}

#[tokio::test]
async fn every_document_lists_its_versions() {
    let (_lab, s) = lab().await;
    let op = "ListDocumentVersions";
    let v = call(&s, op, json!({"Name": "Lab-CollectDiagnostics"})).unwrap();
    let versions = v["DocumentVersions"].as_array().unwrap();
    assert_eq!(versions.len(), 3);
    assert_eq!(versions[1]["IsDefaultVersion"], true);
    let p1 = call(
        &s,
        op,
        json!({"Name": "Lab-CollectDiagnostics", "MaxResults": 2}),
    )
    .unwrap();
    let p2 = call(
        &s,
        op,
        json!({"Name": "Lab-CollectDiagnostics", "MaxResults": 2, "NextToken": p1["NextToken"]}),
    )
    .unwrap();
    assert_eq!(p2["DocumentVersions"][0]["DocumentVersion"], "3");
    assert_eq!(
        call(&s, op, json!({"Name": "AWS-RunShellScript"})).unwrap()["DocumentVersions"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_code(
        op,
        call(&s, op, json!({"Name": "No-Such-Doc"})),
        "InvalidDocument",
    );
    assert_code(
        op,
        call(
            &s,
            op,
            json!({"Name": "AWS-RunShellScript", "NextToken": "x"}),
        ),
        "InvalidNextToken",
    );
    assert_code(
        op,
        call(&s, op, json!({"Name": "a"})),
        "ValidationException",
    );
}

#[tokio::test]
async fn seeded_history_shows_every_outcome_and_one_waits_for_approval() {
    let (lab, s) = lab_with(|c| c.history = true).await;
    let all = lab.automation_executions();
    for st in ["Success", "Failed", "Cancelled"] {
        assert!(
            all.iter().any(|e| e.status == st && e.parent.is_none()),
            "no seeded {st}"
        );
    }
    let parent = all
        .iter()
        .find(|e| all.iter().any(|c| c.parent.as_ref() == Some(&e.id)))
        .expect("a parent");
    let p = get(&s, &parent.id);
    assert!(
        p["ResolvedTargets"]["ParameterValues"]
            .as_array()
            .is_some_and(|v| !v.is_empty())
    );
    let failed = all.iter().find(|e| {
        e.status == "Failed" && e.parent.is_none() && e.document == "AWS-StopEC2Instance"
    });
    if let Some(f) = failed {
        let e = get(&s, &f.id);
        assert_eq!(
            step(&e, "stopInstances")["FailureDetails"]["FailureStage"],
            "Invocation"
        );
    }
    let live = all
        .iter()
        .find(|e| !super::terminal(&e.status))
        .expect("a live execution")
        .id
        .clone();
    until(|| status(&s, &live) == "Waiting").await;
    signal(&s, &live, "Approve", Value::Null).unwrap();
    until(|| status(&s, &live) == "Success").await;
    // Newest first: the live one leads the list.
    let list = call(&s, "DescribeAutomationExecutions", json!({"MaxResults": 1})).unwrap();
    assert_eq!(
        list["AutomationExecutionMetadataList"][0]["AutomationExecutionId"],
        json!(live)
    );
}
