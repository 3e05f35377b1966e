//! The runbook engine: one task per execution (registered in
//! `LabState::tasks`, so shutdown aborts it) that runs the steps in order,
//! follows `nextStep`, `isEnd`, branches and `onFailure`, waits for
//! signals (Interactive mode, `aws:approve`, StopStep) and for
//! StopAutomationExecution; and one task per rate-controlled parent that
//! starts its children under MaxConcurrency and MaxErrors.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::{Execution, Signal, new_execution, terminal};
use crate::LabState;
use crate::fleet::PingStatus;
use crate::params::now_s;

/// Starts the runner of execution `id`.
pub(crate) fn spawn_execution(state: &Arc<LabState>, id: &str) {
    let task = tokio::spawn(run_execution(state.clone(), id.to_owned()));
    state.tasks.lock().expect("tasks lock").push(task);
}

fn with<R>(state: &LabState, id: &str, f: impl FnOnce(&mut Execution) -> R) -> Option<R> {
    let mut store = state.automation.lock().expect("automation lock");
    store.executions.iter_mut().find(|e| e.id == id).map(f)
}

fn step_time(state: &LabState) -> Duration {
    Duration::from_millis(state.automation.lock().expect("automation lock").step_ms)
}

fn poll(state: &LabState) -> Duration {
    (step_time(state) / 5).clamp(Duration::from_millis(5), Duration::from_millis(100))
}

/// How a step ended.
enum Act {
    Ok {
        outputs: BTreeMap<String, Vec<String>>,
        next: Option<String>,
    },
    Fail(Failure),
    TimedOut(String),
    Cancelled,
    /// StopStep stopped it.
    Stopped,
}

/// A step's failure: FailureMessage and FailureDetails.
pub(crate) struct Failure {
    pub message: String,
    pub stage: &'static str,
    pub kind: &'static str,
    pub details: BTreeMap<String, Vec<String>>,
}

/// The failure AWS reports for an error of `api` (`StopInstances`).
pub(crate) fn api_failure(code: &str, api: &str, message: &str) -> Failure {
    let text = format!("An error occurred ({code}) when calling the {api} operation: {message}");
    Failure {
        message: format!(
            "Step fails when it is Execution. {text}. Please refer to Automation Service Troubleshooting Guide for more diagnosis details."
        ),
        stage: "Invocation",
        kind: "Unknown",
        details: BTreeMap::from([
            ("ExceptionMessage".to_owned(), vec![text]),
            ("ErrorCode".to_owned(), vec![code.to_owned()]),
        ]),
    }
}

/// The failure of the failure knob (`LabHandle::fail_automation_step`).
pub(crate) fn injected(step: &str) -> Failure {
    let text = format!("Step {step} was made to fail by the lab's failure knob");
    Failure {
        message: format!(
            "Step fails when it is Execution. {text}. Please refer to Automation Service Troubleshooting Guide for more diagnosis details."
        ),
        stage: "Execution",
        kind: "Unknown",
        details: BTreeMap::from([("ExceptionMessage".to_owned(), vec![text])]),
    }
}

/// What interrupts a wait: StopAutomationExecution or a StopStep of step `k`.
fn interrupted(state: &LabState, id: &str, k: usize) -> Option<Act> {
    with(state, id, |e| {
        if e.cancel {
            return Some(Act::Cancelled);
        }
        let sid = e.steps.get(k).map(|s| s.id.clone());
        let i = e.signals.iter().position(|s| {
            s.kind == "StopStep" && s.step_execution.is_some() && s.step_execution == sid
        })?;
        e.signals.remove(i);
        Some(Act::Stopped)
    })
    .flatten()
}

/// Waits `d` unless interrupted.
async fn pause(state: &LabState, id: &str, k: usize, d: Duration) -> Option<Act> {
    let end = tokio::time::Instant::now() + d;
    loop {
        if let Some(a) = interrupted(state, id, k) {
            return Some(a);
        }
        let now = tokio::time::Instant::now();
        if now >= end {
            return None;
        }
        tokio::time::sleep((end - now).min(poll(state))).await;
    }
}

/// Replaces `{{ Name }}` placeholders with the execution's parameters: a
/// string that is one placeholder becomes the parameter's value (a list
/// for StringList and MapList, a number for Integer, a boolean for
/// Boolean); others have each placeholder replaced by its text.
pub(crate) fn substitute(v: &Value, e: &Execution) -> Value {
    let value_of = |name: &str| -> Option<Value> {
        if name == "automation:EXECUTION_ID" {
            return Some(json!(e.id));
        }
        let values = e.parameters.get(name)?;
        let first = values.first().cloned().unwrap_or_default();
        Some(match e.kinds.get(name).copied() {
            Some("StringList") => json!(values),
            Some("MapList") => Value::Array(
                values
                    .iter()
                    .filter_map(|x| serde_json::from_str(x).ok())
                    .collect(),
            ),
            Some("Integer") => first.parse::<i64>().map_or(json!(first), |n| json!(n)),
            Some("Boolean") => json!(first == "true"),
            Some("StringMap") => serde_json::from_str(&first).unwrap_or(json!(first)),
            _ => json!(first),
        })
    };
    match v {
        Value::String(s) => {
            let t = s.trim();
            if let Some(inner) = t.strip_prefix("{{").and_then(|x| x.strip_suffix("}}"))
                && !inner.contains("{{")
                && let Some(x) = value_of(inner.trim())
            {
                return x;
            }
            let mut out = s.clone();
            while let Some(a) = out.find("{{") {
                let Some(b) = out[a..].find("}}") else { break };
                let name = out[a + 2..a + b].trim().to_owned();
                let text = match value_of(&name) {
                    Some(Value::String(x)) => x,
                    Some(Value::Array(xs)) => xs
                        .iter()
                        .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
                        .collect::<Vec<_>>()
                        .join(","),
                    Some(other) => other.to_string(),
                    None => break,
                };
                out.replace_range(a..a + b + 2, &text);
            }
            Value::String(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| substitute(x, e)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), substitute(x, e)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a
            .iter()
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
            .collect(),
        Value::String(s) => vec![s.clone()],
        Value::Null => Vec::new(),
        other => vec![other.to_string()],
    }
}

/// `aws:changeInstanceState`: stops or starts the nodes (EC2 state
/// `stopping` → `stopped` with ping ConnectionLost; `pending` →
/// `running`, Online again), one simulated step long.
async fn change_state(state: &Arc<LabState>, id: &str, k: usize, inputs: &Value) -> Act {
    let ids = strings(&inputs["InstanceIds"]);
    let desired = inputs["DesiredState"].as_str().unwrap_or("").to_owned();
    let api = if desired == "stopped" {
        "StopInstances"
    } else {
        "StartInstances"
    };
    if desired != "stopped" && desired != "running" {
        return Act::Fail(api_failure(
            "InvalidParameterValue",
            "ModifyInstanceState",
            &format!("DesiredState {desired} is not run by the lab (stopped or running)."),
        ));
    }
    {
        let mut nodes = state.nodes.write().expect("nodes lock");
        for i in &ids {
            match nodes.iter().find(|n| &n.id == i) {
                None if i.starts_with("i-") => {
                    return Act::Fail(api_failure(
                        "InvalidInstanceID.NotFound",
                        api,
                        &format!("The instance ID '{i}' does not exist"),
                    ));
                }
                Some(n) if !n.is_hybrid() => {}
                _ => {
                    return Act::Fail(api_failure(
                        "InvalidInstanceID.Malformed",
                        api,
                        &format!("Invalid id: \"{i}\""),
                    ));
                }
            }
        }
        for n in nodes.iter_mut().filter(|n| ids.contains(&n.id)) {
            n.state = match (desired.as_str(), n.state.as_str()) {
                ("stopped", "running" | "pending") => "stopping".into(),
                ("running", "stopped" | "stopping") => "pending".into(),
                (_, s) => s.to_owned(),
            };
        }
    }
    let interrupted = pause(state, id, k, step_time(state)).await;
    let now = now_s();
    for n in state
        .nodes
        .write()
        .expect("nodes lock")
        .iter_mut()
        .filter(|n| ids.contains(&n.id))
    {
        n.state = desired.clone();
        if desired == "stopped" {
            n.ping = PingStatus::ConnectionLost;
        } else {
            n.ping = PingStatus::Online;
            n.last_ping_epoch_s = now;
        }
    }
    interrupted.unwrap_or(Act::Ok {
        outputs: BTreeMap::new(),
        next: None,
    })
}

/// `aws:runCommand`: sends the command through the Run Command engine
/// and waits for it to end; Outputs CommandId, Status (and ResponseCode
/// and Output for a single node).
async fn run_command(state: &Arc<LabState>, id: &str, k: usize, inputs: &Value) -> Act {
    let ids = strings(&inputs["InstanceIds"]);
    let params: serde_json::Map<String, Value> = inputs["Parameters"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), json!(strings(v))))
        .collect();
    let mut body = json!({
        "DocumentName": inputs["DocumentName"].as_str().unwrap_or("AWS-RunShellScript"),
        "InstanceIds": ids,
        "Parameters": params,
        "Comment": format!("Automation {id}"),
    });
    if let Some(t) = inputs.get("TimeoutSeconds") {
        body["TimeoutSeconds"] = t.clone();
    }
    let command = match crate::commands::send_command(state, &body) {
        Ok(v) => v["Command"]["CommandId"].as_str().unwrap_or("").to_owned(),
        Err(e) => return Act::Fail(api_failure(e.code, "SendCommand", &e.message)),
    };
    let (status, details) = loop {
        if let Some(a) = interrupted(state, id, k) {
            crate::commands::cancel_all(state, &command);
            return a;
        }
        match crate::commands::command_outcome(state, &command) {
            Some((s, d, true)) => break (s, d),
            Some(_) => {}
            None => break ("Failed", "Failed"),
        }
        tokio::time::sleep(poll(state)).await;
    };
    let mut outputs = BTreeMap::from([
        ("CommandId".to_owned(), vec![command.clone()]),
        ("Status".to_owned(), vec![status.to_owned()]),
    ]);
    let mut code = String::from("-1");
    let mut output = String::new();
    if let [node] = ids.as_slice() {
        let q = json!({"CommandId": command, "InstanceId": node});
        if let Some(Ok(inv)) = crate::commands::handle(state, "GetCommandInvocation", &q) {
            code = inv["ResponseCode"].to_string();
            output = inv["StandardOutputContent"]
                .as_str()
                .unwrap_or("")
                .to_owned();
            outputs.insert("ResponseCode".into(), vec![code.clone()]);
            outputs.insert("Output".into(), vec![output.clone()]);
        }
    }
    if status == "Success" {
        return Act::Ok {
            outputs,
            next: None,
        };
    }
    let text = format!(
        "Command {command} returns unexpected invocation result: \n{{Status=[{status}], ResponseCode=[{code}], Output=[\n{output}]}}"
    );
    Act::Fail(Failure {
        message: format!(
            "Step fails when it is Poll action status for completion. {text}. Please refer to Automation Service Troubleshooting Guide for more diagnosis details."
        ),
        stage: "Verification",
        kind: "Verification",
        details: BTreeMap::from([
            ("ExceptionMessage".to_owned(), vec![text]),
            ("CommandStatus".to_owned(), vec![details.to_owned()]),
        ]),
    })
}

/// The value at a simple JSONPath selector (`$.A[0].B`).
fn select(v: &Value, selector: &str) -> Option<String> {
    let mut cur = v;
    for part in selector.strip_prefix("$.")?.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        if !name.is_empty() {
            cur = cur.get(name)?;
        }
        if let Some(i) = index {
            cur = cur.get(i)?;
        }
    }
    Some(cur.as_str().map_or_else(|| cur.to_string(), str::to_owned))
}

/// `aws:executeAwsApi`: ssm DescribeInstanceInformation (InstanceIds
/// filters) on the lab fleet; its declared outputs by selector.
async fn execute_api(
    state: &Arc<LabState>,
    id: &str,
    k: usize,
    inputs: &Value,
    declared: &[(String, String)],
) -> Act {
    let service = inputs["Service"].as_str().unwrap_or("");
    let api = inputs["Api"].as_str().unwrap_or("");
    if service != "ssm" || api != "DescribeInstanceInformation" {
        return Act::Fail(api_failure(
            "InvalidAction",
            api,
            &format!(
                "{service} {api} is not run by the lab's aws:executeAwsApi (ssm DescribeInstanceInformation is)."
            ),
        ));
    }
    let wanted: Vec<String> = inputs["Filters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["Key"] == "InstanceIds")
        .flat_map(|f| strings(&f["Values"]))
        .collect();
    let list: Vec<Value> = state
        .nodes
        .read()
        .expect("nodes lock")
        .iter()
        .filter(|n| wanted.is_empty() || wanted.contains(&n.id))
        .map(|n| {
            json!({"InstanceId": n.id, "PingStatus": n.ping.as_str(), "PlatformType": n.platform_type,
                "PlatformName": n.platform_name, "AgentVersion": n.agent_version, "ComputerName": n.computer_name})
        })
        .collect();
    if let Some(a) = pause(state, id, k, step_time(state)).await {
        return a;
    }
    let response = json!({ "InstanceInformationList": list });
    let mut outputs = BTreeMap::new();
    for (name, selector) in declared {
        if let Some(v) = select(&response, selector) {
            outputs.insert(name.clone(), vec![v]);
        }
    }
    Act::Ok {
        outputs,
        next: None,
    }
}

/// `aws:branch`: the first choice that holds, else Default.
fn branch(inputs: &Value) -> Act {
    for c in inputs["Choices"].as_array().into_iter().flatten() {
        let var = c["Variable"]
            .as_str()
            .map_or_else(|| c["Variable"].to_string(), str::to_owned);
        let holds = [
            (
                "StringEquals",
                var == c["StringEquals"].as_str().unwrap_or("\u{0}"),
            ),
            (
                "EqualsIgnoreCase",
                c["EqualsIgnoreCase"]
                    .as_str()
                    .is_some_and(|x| x.eq_ignore_ascii_case(&var)),
            ),
            (
                "StartsWith",
                c["StartsWith"].as_str().is_some_and(|x| var.starts_with(x)),
            ),
            (
                "Contains",
                c["Contains"].as_str().is_some_and(|x| var.contains(x)),
            ),
            (
                "BooleanEquals",
                c["BooleanEquals"]
                    .as_bool()
                    .is_some_and(|b| var == b.to_string()),
            ),
        ]
        .iter()
        .any(|(k, ok)| c.get(*k).is_some() && *ok);
        if holds {
            return Act::Ok {
                outputs: BTreeMap::new(),
                next: c["NextStep"].as_str().map(str::to_owned),
            };
        }
    }
    match inputs["Default"].as_str() {
        Some(d) => Act::Ok {
            outputs: BTreeMap::new(),
            next: Some(d.to_owned()),
        },
        None => Act::Fail(Failure {
            message: "Step fails when it is Execution. No choice of the branch matched and no Default was given. Please refer to Automation Service Troubleshooting Guide for more diagnosis details.".into(),
            stage: "Execution",
            kind: "Unknown",
            details: BTreeMap::new(),
        }),
    }
}

/// `aws:approve`: the step and the execution wait (status Waiting) for
/// MinRequiredApprovals Approve signals, or one Reject, or the timeout.
async fn approve(state: &Arc<LabState>, id: &str, k: usize, inputs: &Value, timeout_s: i64) -> Act {
    let needed = inputs["MinRequiredApprovals"].as_u64().unwrap_or(1).max(1) as usize;
    with(state, id, |e| {
        e.steps[k].status = "Waiting";
        e.status = "Waiting";
    });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout_s.max(1) as u64);
    let mut decisions: Vec<Signal> = Vec::new();
    loop {
        if let Some(a) = interrupted(state, id, k) {
            return a;
        }
        let got: Vec<Signal> = with(state, id, |e| {
            let (mine, rest): (Vec<Signal>, Vec<Signal>) = e
                .signals
                .drain(..)
                .partition(|s| s.kind == "Approve" || s.kind == "Reject");
            e.signals = rest;
            mine
        })
        .unwrap_or_default();
        decisions.extend(got);
        let record = |d: &[Signal]| -> Vec<String> {
            vec![
                Value::Array(
                    d.iter()
                        .map(|s| json!({"approver": s.by, "decision": s.kind, "comment": s.comment.clone().unwrap_or_default()}))
                        .collect(),
                )
                .to_string(),
            ]
        };
        if let Some(r) = decisions.iter().find(|s| s.kind == "Reject") {
            let comment = r
                .comment
                .as_deref()
                .map_or(String::new(), |c| format!(": {c}"));
            let text = format!("The step was rejected by {}{comment}", r.by);
            return Act::Fail(Failure {
                message: format!(
                    "Step fails when it is Execution. {text}. Please refer to Automation Service Troubleshooting Guide for more diagnosis details."
                ),
                stage: "Execution",
                kind: "Unknown",
                details: BTreeMap::from([
                    ("ExceptionMessage".to_owned(), vec![text]),
                    ("ApprovalStatus".to_owned(), vec!["Rejected".to_owned()]),
                    ("ApproverDecisions".to_owned(), record(&decisions)),
                ]),
            });
        }
        let mut approvers: Vec<&str> = decisions.iter().map(|s| s.by.as_str()).collect();
        approvers.dedup();
        if approvers.len() >= needed {
            with(state, id, |e| e.status = "InProgress");
            return Act::Ok {
                outputs: BTreeMap::from([
                    ("ApprovalStatus".to_owned(), vec!["Approved".to_owned()]),
                    ("ApproverDecisions".to_owned(), record(&decisions)),
                ]),
                next: None,
            };
        }
        if tokio::time::Instant::now() >= deadline {
            return Act::TimedOut(format!(
                "Step timed out while step is verifying the approval: {} of {needed} approvals in {timeout_s} seconds.",
                approvers.len()
            ));
        }
        tokio::time::sleep(poll(state)).await;
    }
}

/// Where the execution goes after a step.
enum Flow {
    Goto(usize),
    End,
    Abort,
    TimedOut,
    Cancelled,
    Stopped,
}

/// Marks step `k` started and returns its definition and resolved inputs.
fn begin_step(state: &LabState, id: &str, k: usize) -> Option<(super::StepDef, Value, bool)> {
    let mut store = state.automation.lock().expect("automation lock");
    let fails = {
        let e = store.executions.iter().find(|e| e.id == id)?;
        store.fails(&e.steps[k].def.name, e)
    };
    let e = store.executions.iter_mut().find(|e| e.id == id)?;
    let inputs = substitute(&e.steps[k].def.inputs, e);
    let s = &mut e.steps[k];
    s.status = "InProgress";
    s.start = Some(now_s());
    s.end = None;
    s.inputs = inputs
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.to_string()))
        .collect();
    let def = s.def.clone();
    e.current = Some(k);
    e.status = "InProgress";
    Some((def, inputs, fails))
}

/// Runs step `k` of execution `id`; records its end and says where to go.
async fn run_step(state: &Arc<LabState>, id: &str, k: usize) -> Flow {
    let Some((def, inputs, fails)) = begin_step(state, id, k) else {
        return Flow::Cancelled;
    };
    let act = if fails {
        pause(state, id, k, step_time(state))
            .await
            .unwrap_or_else(|| Act::Fail(injected(&def.name)))
    } else {
        match def.action.as_str() {
            "aws:changeInstanceState" => change_state(state, id, k, &inputs).await,
            "aws:runCommand" => run_command(state, id, k, &inputs).await,
            "aws:executeAwsApi" => execute_api(state, id, k, &inputs, &def.outputs).await,
            "aws:branch" => pause(state, id, k, step_time(state) / 4)
                .await
                .unwrap_or_else(|| branch(&inputs)),
            "aws:approve" => approve(state, id, k, &inputs, def.timeout_s.unwrap_or(604_800)).await,
            _ => pause(state, id, k, step_time(state))
                .await
                .unwrap_or(Act::Ok {
                    outputs: BTreeMap::new(),
                    next: None,
                }),
        }
    };
    with(state, id, |e| record(e, k, act)).unwrap_or(Flow::Cancelled)
}

/// Records how step `k` ended and where the execution goes next.
fn record(e: &mut Execution, k: usize, act: Act) -> Flow {
    let now = now_s();
    let index = |e: &Execution, name: &str| e.steps.iter().position(|s| s.def.name == name);
    e.current = None;
    let s = &mut e.steps[k];
    s.end = Some(now);
    let after = |e: &Execution, next: Option<String>| -> Flow {
        let s = &e.steps[k];
        match next.or_else(|| s.def.next_step.clone()) {
            Some(n) => index(e, &n).map_or(Flow::End, Flow::Goto),
            None if s.def.is_end || k + 1 >= e.steps.len() => Flow::End,
            None => Flow::Goto(k + 1),
        }
    };
    match act {
        Act::Ok { outputs, next } => {
            s.status = "Success";
            s.outputs = outputs;
            if next.is_some() {
                s.next_step = next.clone();
            }
            after(e, next)
        }
        Act::Fail(f) => {
            s.status = "Failed";
            s.failure = Some(f.message.clone());
            s.failure_details = Some((f.stage.to_owned(), f.kind.to_owned(), f.details));
            let on_failure = s.def.on_failure.clone();
            if on_failure == "Continue" {
                return after(e, None);
            }
            if let Some(n) = on_failure.strip_prefix("step:") {
                return index(e, n).map_or(Flow::Abort, Flow::Goto);
            }
            e.failure = Some(f.message);
            Flow::Abort
        }
        Act::TimedOut(m) => {
            s.status = "TimedOut";
            s.failure = Some(m.clone());
            e.failure = Some(m);
            Flow::TimedOut
        }
        Act::Cancelled => {
            s.status = "Cancelled";
            Flow::Cancelled
        }
        Act::Stopped => {
            s.status = "Cancelled";
            s.failure = Some("The step was stopped by a StopStep signal.".into());
            Flow::Stopped
        }
    }
}

/// Ends execution `e` with `status`.
fn finish(e: &mut Execution, status: &'static str) {
    e.status = status;
    e.end = Some(now_s());
    e.current = None;
    for s in &mut e.steps {
        if matches!(s.status, "InProgress" | "Waiting") {
            s.status = "Cancelled";
            s.end = e.end;
        }
    }
}

/// Interactive mode: waits (status Waiting) for StartStep or Resume;
/// returns the step to run and whether Resume switched to automatic.
async fn wait_for_start(state: &Arc<LabState>, id: &str) -> Option<(usize, bool)> {
    with(state, id, |e| {
        if !e.cancel {
            e.status = "Waiting";
        }
    });
    loop {
        let got = with(state, id, |e| {
            if e.cancel {
                return Err(());
            }
            let i = e
                .signals
                .iter()
                .position(|s| s.kind == "StartStep" || s.kind == "Resume");
            Ok(i.map(|i| {
                let s = e.signals.remove(i);
                let k = e
                    .steps
                    .iter()
                    .position(|x| Some(&x.def.name) == s.step.as_ref())
                    .unwrap_or(0);
                (k, s.kind == "Resume")
            }))
        })?;
        match got {
            Err(()) => return None,
            Ok(Some(x)) => return Some(x),
            Ok(None) => tokio::time::sleep(poll(state)).await,
        }
    }
}

/// Runs execution `id` to its end.
async fn run_execution(state: Arc<LabState>, id: String) {
    if with(&state, &id, |e| e.is_parent()).unwrap_or(false) {
        run_parent(&state, &id).await;
        return;
    }
    let Some(interactive) = with(&state, &id, |e| {
        if e.status == "Pending" {
            e.status = "InProgress";
        }
        e.mode == "Interactive"
    }) else {
        return;
    };
    let mut automatic = !interactive;
    let mut k = 0usize;
    let end = loop {
        if with(&state, &id, |e| e.cancel).unwrap_or(true) {
            break "Cancelled";
        }
        if !automatic {
            match wait_for_start(&state, &id).await {
                Some((step, resume)) => {
                    k = step;
                    automatic = resume;
                }
                None => break "Cancelled",
            }
        }
        if k >= with(&state, &id, |e| e.steps.len()).unwrap_or(0) {
            break "Success";
        }
        match run_step(&state, &id, k).await {
            Flow::Goto(n) => k = n,
            Flow::End => break "Success",
            Flow::Abort => break "Failed",
            Flow::TimedOut => break "TimedOut",
            Flow::Cancelled => break "Cancelled",
            Flow::Stopped if automatic => break "Cancelled",
            Flow::Stopped => {}
        }
    };
    with(&state, &id, |e| finish(e, end));
}

/// Parses MaxConcurrency / MaxErrors (`N` or `N%` of `total`).
fn share(s: &str, total: usize) -> usize {
    match s.strip_suffix('%') {
        Some(p) => (total * p.parse::<usize>().unwrap_or(0)).div_ceil(100),
        None => s.parse().unwrap_or(0),
    }
}

/// Starts the next queued child of parent `id`: a new execution with
/// the child's parameters and a parent step that follows it.
fn launch_child(state: &Arc<LabState>, id: &str) -> Option<String> {
    let mut store = state.automation.lock().expect("automation lock");
    let p = store.executions.iter().position(|e| e.id == id)?;
    if store.executions[p].queue.is_empty() {
        return None;
    }
    let (target, params) = store.executions[p].queue.remove(0);
    let parent = store.executions[p].clone();
    let version = store
        .runbook(&parent.document)?
        .version(Some(&parent.version))
        .ok()?
        .clone();
    let now = now_s();
    let mut child = new_execution(
        &mut store,
        &parent.document,
        &version,
        params,
        &parent.executed_by,
        now,
    );
    child.parent = Some(id.to_owned());
    child.target = Some(target.clone());
    child.tags = parent.tags.clone();
    let child_id = child.id.clone();
    let mut def = super::runbooks::StepDef {
        name: target,
        action: "aws:executeAutomation".into(),
        inputs: json!({"DocumentName": parent.document, "DocumentVersion": parent.version,
            "RuntimeParameters": child.parameters}),
        on_failure: "Abort".into(),
        timeout_s: None,
        max_attempts: 1,
        is_end: false,
        next_step: None,
        is_critical: true,
        outputs: Vec::new(),
    };
    def.is_end = parent.queue.is_empty();
    let mut step = super::StepExec::pending(store.uuid(), &def);
    step.status = "InProgress";
    step.start = Some(now);
    step.inputs = def
        .inputs
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.to_string()))
        .collect();
    step.outputs
        .insert("ExecutionId".into(), vec![child_id.clone()]);
    store.executions.push(child);
    store.executions[p].steps.push(step);
    Some(child_id)
}

/// Brings a parent's steps up to date with its children; returns
/// (running, errors, launched).
fn follow_children(store: &mut super::AutomationStore, id: &str) -> (usize, usize, usize) {
    let children: BTreeMap<String, (&'static str, Option<String>, Option<f64>)> = store
        .executions
        .iter()
        .filter(|c| c.parent.as_deref() == Some(id))
        .map(|c| (c.id.clone(), (c.status, c.failure.clone(), c.end)))
        .collect();
    let (mut running, mut errors) = (0, 0);
    if let Some(p) = store.executions.iter_mut().find(|e| e.id == id) {
        for s in &mut p.steps {
            let cid = s
                .outputs
                .get("ExecutionId")
                .and_then(|v| v.first())
                .cloned();
            let Some((status, failure, end)) = cid.and_then(|c| children.get(&c).cloned()) else {
                continue;
            };
            s.status = if status == "Pending" {
                "InProgress"
            } else {
                status
            };
            s.end = end;
            s.failure = failure;
            if !terminal(status) {
                running += 1;
            } else if matches!(status, "Failed" | "TimedOut") {
                errors += 1;
            }
        }
    }
    (running, errors, children.len())
}

/// Runs a rate-controlled parent: children under MaxConcurrency, no new
/// child once more than MaxErrors failed; ends Success when every target
/// succeeded, else Failed (Cancelled when stopped).
async fn run_parent(state: &Arc<LabState>, id: &str) {
    let Some((total, conc, limit)) = with(state, id, |e| {
        if e.status == "Pending" {
            e.status = "InProgress";
        }
        let total = e.resolved.len();
        let conc = share(e.max_concurrency.as_deref().unwrap_or("1"), total).max(1);
        (
            total,
            conc,
            share(e.max_errors.as_deref().unwrap_or("0"), total),
        )
    }) else {
        return;
    };
    loop {
        let (running, errors, launched, cancel, queued) = {
            let mut store = state.automation.lock().expect("automation lock");
            let (r, e, l) = follow_children(&mut store, id);
            let p = store.executions.iter().find(|x| x.id == id);
            (
                r,
                e,
                l,
                p.is_none_or(|p| p.cancel),
                p.map_or(0, |p| p.queue.len()),
            )
        };
        let stop_launching = cancel || errors > limit;
        if (stop_launching || queued == 0) && running == 0 {
            with(state, id, |e| {
                let all_ok = launched == total && e.steps.iter().all(|s| s.status == "Success");
                let status = if cancel {
                    "Cancelled"
                } else if all_ok {
                    "Success"
                } else {
                    e.failure = Some(format!(
                        "{errors} of {total} target executions failed; {} not started.",
                        total - launched
                    ));
                    "Failed"
                };
                e.queue.clear();
                finish(e, status);
            });
            return;
        }
        if !stop_launching && running < conc {
            for _ in running..conc {
                match launch_child(state, id) {
                    Some(c) => spawn_execution(state, &c),
                    None => break,
                }
            }
        }
        tokio::time::sleep(poll(state)).await;
    }
}
