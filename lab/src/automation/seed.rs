//! The automation history [`crate::LabHandle::seed_automation_history`]
//! adds (for the demo and `lab serve`):
//!
//! - 3 days ago: AWS-RestartEC2Instance on the first Online EC2 node,
//!   Success;
//! - 2 days ago: Lab-CollectDiagnostics (version 2, Depth basic) on it,
//!   Success (the branch took collectBasic; the full path stays Pending);
//! - 30 hours ago: AWS-StopEC2Instance on a hybrid node, Failed
//!   (`InvalidInstanceID.Malformed`, FailureDetails as AWS gives them);
//! - 20 hours ago: a rate-controlled AWS-RestartEC2Instance over tag
//!   `Env=staging` (TargetParameterName InstanceId, MaxConcurrency 2,
//!   MaxErrors 1): a parent and one child per node, the hybrid ones
//!   Failed, so the parent is Failed;
//! - 6 hours ago: Lab-CollectDiagnostics with Depth full, Cancelled while
//!   it waited for approval;
//! - at start: Lab-CollectDiagnostics with Depth full on the first Online
//!   Linux EC2 node, really run (its commands too) up to its
//!   approveUpload step, where it waits (status Waiting) for
//!   SendAutomationSignal Approve or Reject.

use std::collections::BTreeMap;

use serde_json::json;

use super::runbooks::DIAGNOSTICS;
use super::{AutomationStore, Execution, new_execution};
use crate::fleet::{LabNode, PingStatus};

const HOUR: f64 = 3_600.0;

/// A seeded step: (step name, status, seconds it took, outputs).
type SeedStep<'a> = (&'a str, &'static str, f64, &'a [(&'a str, &'a str)]);

/// A finished execution of `runbook` started `start`, its steps given
/// (step name, status, seconds it took, outputs) in runbook order; the
/// others stay Pending.
fn finished(
    store: &mut AutomationStore,
    by: &str,
    (runbook, version): (&str, Option<&str>),
    parameters: BTreeMap<String, Vec<String>>,
    start: f64,
    steps: &[SeedStep<'_>],
) -> Option<Execution> {
    let v = store.runbook(runbook)?.version(version).ok()?.clone();
    let mut e = new_execution(store, runbook, &v, parameters, by, start);
    let mut t = start + 1.0;
    for (name, status, took, outputs) in steps {
        let Some(s) = e.steps.iter_mut().find(|s| s.def.name == *name) else {
            continue;
        };
        s.status = status;
        s.start = Some(t);
        t += took;
        s.end = Some(t);
        s.inputs = s
            .def
            .inputs
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.to_string()))
            .collect();
        for (k, v) in *outputs {
            s.outputs.insert((*k).to_owned(), vec![(*v).to_owned()]);
        }
    }
    let depth = e.parameters.get("Depth").map(|d| d[0].clone());
    let resolved: Vec<serde_json::Value> = e
        .steps
        .iter()
        .map(|s| super::run::substitute(&s.def.inputs, &e))
        .collect();
    for (s, inputs) in e.steps.iter_mut().zip(resolved) {
        if s.def.action == "aws:branch" && s.status == "Success" {
            s.next_step = depth.as_deref().map(|d| {
                if d == "full" {
                    "collectFull"
                } else {
                    "collectBasic"
                }
                .into()
            });
        }
        s.inputs = inputs
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.to_string()))
            .collect();
    }
    e.status = "Success";
    e.end = Some(t + 1.0);
    Some(e)
}

fn params(pairs: &[(&str, &str)], defaults: &[(&str, &str)]) -> BTreeMap<String, Vec<String>> {
    defaults
        .iter()
        .chain(pairs)
        .map(|(k, v)| ((*k).to_owned(), vec![(*v).to_owned()]))
        .collect()
}

fn hist_command(n: u64) -> String {
    format!("{n:08x}-hist-4000-8000-{:012x}", n * 7919)
}

fn failed_on_hybrid(e: &mut Execution, step: &str, node: &str, api: &str) {
    let f = super::run::api_failure(
        "InvalidInstanceID.Malformed",
        api,
        &format!("Invalid id: \"{node}\""),
    );
    if let Some(s) = e.steps.iter_mut().find(|s| s.def.name == step) {
        s.status = "Failed";
        s.failure = Some(f.message.clone());
        s.failure_details = Some((f.stage.to_owned(), f.kind.to_owned(), f.details));
    }
    e.status = "Failed";
    e.failure = Some(f.message);
}

/// The rate-controlled parent of 20 hours ago and its children.
fn rate_controlled(
    store: &mut AutomationStore,
    by: &str,
    nodes: &[LabNode],
    now: f64,
) -> Vec<Execution> {
    let staging: Vec<&LabNode> = nodes
        .iter()
        .filter(|n| n.tag("Env") == Some("staging"))
        .take(8)
        .collect();
    let start = now - 20.0 * HOUR;
    let base = params(&[], &[("AutomationAssumeRole", "")]);
    let Some(mut parent) = finished(
        store,
        by,
        ("AWS-RestartEC2Instance", None),
        base.clone(),
        start,
        &[],
    ) else {
        return Vec::new();
    };
    parent.steps.clear();
    parent.rate_control = true;
    parent.target_parameter = Some("InstanceId".into());
    parent.targets = Some(json!([{"Key": "tag:Env", "Values": ["staging"]}]));
    parent.resolved = staging.iter().map(|n| n.id.clone()).collect();
    parent.max_concurrency = Some("2".into());
    parent.max_errors = Some("1".into());
    let mut out = Vec::new();
    let mut errors = 0;
    for (i, n) in staging.iter().enumerate() {
        if errors > 1 {
            break;
        }
        let t = start + 2.0 + (i / 2) as f64 * 70.0;
        let mut p = base.clone();
        p.insert("InstanceId".into(), vec![n.id.clone()]);
        let steps: &[SeedStep<'_>] = &[
            ("stopInstances", "Success", 31.0, &[]),
            ("startInstances", "Success", 28.0, &[]),
        ];
        let Some(mut child) = finished(store, by, ("AWS-RestartEC2Instance", None), p, t, steps)
        else {
            continue;
        };
        if n.is_hybrid() {
            child.steps[1].status = "Pending";
            child.steps[1].start = None;
            child.steps[1].end = None;
            failed_on_hybrid(&mut child, "stopInstances", &n.id, "StopInstances");
            errors += 1;
        }
        child.parent = Some(parent.id.clone());
        child.target = Some(n.id.clone());
        let def = super::runbooks::StepDef {
            name: n.id.clone(),
            action: "aws:executeAutomation".into(),
            inputs: json!({"DocumentName": "AWS-RestartEC2Instance", "DocumentVersion": "1",
                "RuntimeParameters": child.parameters}),
            on_failure: "Abort".into(),
            timeout_s: None,
            max_attempts: 1,
            is_end: false,
            next_step: None,
            is_critical: true,
            outputs: Vec::new(),
        };
        let mut s = super::StepExec::pending(store.uuid(), &def);
        s.status = child.status;
        s.start = Some(child.start);
        s.end = child.end;
        s.failure = child.failure.clone();
        s.outputs
            .insert("ExecutionId".into(), vec![child.id.clone()]);
        parent.steps.push(s);
        parent.end = match (child.end, parent.end) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        out.push(child);
    }
    if errors > 0 || out.len() < staging.len() {
        parent.status = "Failed";
        parent.failure = Some(format!(
            "{errors} of {} target executions failed; {} not started.",
            staging.len(),
            staging.len() - out.len()
        ));
    }
    out.insert(0, parent);
    out
}

/// Adds the seeded history to `store` and returns the id of the execution
/// to run at start (waiting for approval), if the fleet has a node for it.
pub(crate) fn seed_history(
    store: &mut AutomationStore,
    nodes: &[LabNode],
    account: &str,
    now: f64,
) -> Option<String> {
    let by = format!("arn:aws:iam::{account}:user/ssmdeck-lab");
    let online = |linux: bool| {
        nodes.iter().find(|n| {
            !n.is_hybrid() && n.ping == PingStatus::Online && (!linux || n.platform_type == "Linux")
        })
    };
    let node = online(false)?.id.clone();
    let linux = online(true)
        .map(|n| n.id.clone())
        .unwrap_or_else(|| node.clone());
    let assume = [("AutomationAssumeRole", "")];
    let diag_defaults = [
        ("AutomationAssumeRole", ""),
        ("Approver", by.as_str()),
        ("ExecutionTimeout", "600"),
        ("Verbose", "false"),
    ];
    let mut all = Vec::new();
    all.extend(finished(
        store,
        &by,
        ("AWS-RestartEC2Instance", None),
        params(&[("InstanceId", &node)], &assume),
        now - 72.0 * HOUR,
        &[
            ("stopInstances", "Success", 42.0, &[]),
            ("startInstances", "Success", 35.0, &[]),
        ],
    ));
    let cmd = hist_command(1);
    all.extend(finished(
        store,
        &by,
        (DIAGNOSTICS, None),
        params(
            &[("InstanceId", &linux), ("Depth", "basic")],
            &diag_defaults,
        ),
        now - 48.0 * HOUR,
        &[
            (
                "checkNode",
                "Success",
                1.0,
                &[("PingStatus", "Online"), ("PlatformType", "Linux")],
            ),
            ("settle", "Success", 5.0, &[]),
            ("chooseDepth", "Success", 0.5, &[]),
            (
                "collectBasic",
                "Success",
                4.0,
                &[("CommandId", &cmd), ("Status", "Success")],
            ),
        ],
    ));
    if let Some(h) = nodes.iter().find(|n| n.is_hybrid()) {
        let mut e = finished(
            store,
            &by,
            ("AWS-StopEC2Instance", None),
            params(&[("InstanceId", &h.id)], &assume),
            now - 30.0 * HOUR,
            &[("stopInstances", "Failed", 1.0, &[])],
        )?;
        failed_on_hybrid(&mut e, "stopInstances", &h.id, "StopInstances");
        all.push(e);
    }
    all.extend(rate_controlled(store, &by, nodes, now));
    let cmd = hist_command(2);
    if let Some(mut e) = finished(
        store,
        &by,
        (DIAGNOSTICS, None),
        params(&[("InstanceId", &linux), ("Depth", "full")], &diag_defaults),
        now - 6.0 * HOUR,
        &[
            (
                "checkNode",
                "Success",
                1.0,
                &[("PingStatus", "Online"), ("PlatformType", "Linux")],
            ),
            ("settle", "Success", 5.0, &[]),
            ("chooseDepth", "Success", 0.5, &[]),
            (
                "collectFull",
                "Success",
                6.0,
                &[("CommandId", &cmd), ("Status", "Success")],
            ),
            ("approveUpload", "Cancelled", 1_200.0, &[]),
        ],
    ) {
        e.status = "Cancelled";
        all.push(e);
    }
    store.executions.extend(all);
    let v = store.runbook(DIAGNOSTICS)?.version(None).ok()?.clone();
    let live = params(&[("InstanceId", &linux), ("Depth", "full")], &diag_defaults);
    let e = new_execution(store, DIAGNOSTICS, &v, live, &by, now);
    let id = e.id.clone();
    store.executions.push(e);
    Some(id)
}
