//! Executions: an association's document sent through Run Command to its
//! Online target nodes (one command per 50 nodes), followed until every
//! invocation is final. A target is Pending, then InProgress, then Success
//! or Failed as its invocation goes; the node's association status follows
//! it (Pending while it runs), and so does DescribeInstanceInformation's
//! overview. The association clock runs every scheduled association once
//! a tick when its period is set.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{ExecTarget, Execution, InstanceStatus, Spec, doc_name};
use crate::LabState;
use crate::commands::InvocationView;
use crate::fleet::{LabNode, PingStatus};
use crate::params::now_s;

/// How often a running execution reads its invocations.
const POLL: Duration = Duration::from_millis(50);
/// Node ids per command (SendCommand's InstanceIds limit).
const BATCH: usize = crate::commands::MAX_INSTANCE_IDS;
/// How often the association clock looks at its knob.
const CLOCK_CHECK: Duration = Duration::from_millis(50);

/// Whether an execution or target status is final.
pub(crate) fn final_status(s: &str) -> bool {
    matches!(s, "Success" | "Failed" | "TimedOut" | "Cancelled")
}

/// The nodes `spec` targets among `nodes` (`InstanceIds` `*`: all).
pub(crate) fn resolve(nodes: &[LabNode], spec: &Spec, account: &str) -> Vec<LabNode> {
    if let Some(id) = &spec.instance_id {
        return nodes.iter().filter(|n| n.id == *id).cloned().collect();
    }
    let all = spec.targets.iter().any(|t| {
        t["Key"] == "InstanceIds"
            && t["Values"]
                .as_array()
                .is_some_and(|v| v.contains(&json!("*")))
    });
    if all {
        return nodes.to_vec();
    }
    if spec
        .targets
        .iter()
        .any(|t| t["Key"] == "resource-groups:Name")
    {
        return Vec::new();
    }
    crate::commands::resolve(nodes, &Value::Array(spec.targets.clone()), account)
}

/// ExecutionSummary of a node's run of `plugin`: `status` Success, Failed
/// or TimedOut; a failure names the plugin's first error line. At most
/// 512 characters (the model's limit).
pub(crate) fn summary(plugin: &str, status: &str, error: &str) -> String {
    let (s, f, t) = match status {
        "Success" => (1, 0, 0),
        "TimedOut" => (0, 0, 1),
        _ => (0, 1, 0),
    };
    let mut out =
        format!("1 out of 1 plugin processed, {s} success, {f} failed, {t} timedout, 0 skipped. ");
    let line = error.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if f == 1 && !line.is_empty() {
        out.push_str(&format!("The operation {plugin} failed because {line}."));
    }
    out.chars().take(512).collect()
}

/// Starts an execution of association `id` now (from CreateAssociation,
/// UpdateAssociation, StartAssociationsOnce or the clock); returns its
/// ExecutionId, `None` for an unknown association.
pub(crate) fn start_execution(state: &Arc<LabState>, id: &str) -> Option<String> {
    let (spec, version, exec) = {
        let mut store = state.associations.lock().expect("associations lock");
        let a = store.associations.iter().find(|a| a.id == id)?;
        let (spec, version) = (a.spec.clone(), a.version);
        let exec = store.new_id();
        store.executions.push(Execution {
            id: exec.clone(),
            association_id: id.to_owned(),
            version,
            created: now_s(),
            last: None,
            status: "Pending".into(),
            detailed: "Pending".into(),
            targets: Vec::new(),
        });
        (spec, version, exec)
    };
    let task = tokio::spawn(run(
        state.clone(),
        id.to_owned(),
        exec.clone(),
        spec,
        version,
    ));
    state.tasks.lock().expect("tasks lock").push(task);
    Some(exec)
}

/// (command id, node ids) of each command sent, and (node, error) of the
/// nodes no command could be sent to.
type Sent = (Vec<(String, Vec<String>)>, Vec<(String, String)>);

/// Sends the execution's commands.
fn send(state: &Arc<LabState>, spec: &Spec, nodes: &[LabNode]) -> Sent {
    let mut sent = Vec::new();
    let mut refused = Vec::new();
    for chunk in nodes.chunks(BATCH) {
        let ids: Vec<String> = chunk.iter().map(|n| n.id.clone()).collect();
        let body = json!({
            "DocumentName": doc_name(&spec.name),
            "Parameters": spec.parameters,
            "InstanceIds": ids,
            "MaxConcurrency": spec.max_concurrency.clone().unwrap_or_else(|| "50".into()),
            "MaxErrors": spec.max_errors.clone().unwrap_or_else(|| "100%".into()),
        });
        match crate::commands::send_command(state, &body) {
            Ok(v) => {
                let cid = v["Command"]["CommandId"].as_str().unwrap_or("").to_owned();
                sent.push((cid, ids));
            }
            Err(e) => refused.extend(ids.into_iter().map(|n| (n, e.message.clone()))),
        }
    }
    (sent, refused)
}

async fn run(state: Arc<LabState>, assoc: String, exec: String, spec: Spec, version: u32) {
    let nodes: Vec<LabNode> = {
        let all = state.nodes.read().expect("nodes lock");
        resolve(&all, &spec, &state.account)
            .into_iter()
            .filter(|n| n.ping == PingStatus::Online)
            .collect()
    };
    let (sent, refused) = send(&state, &spec, &nodes);
    let now = now_s();
    {
        let mut store = state.associations.lock().expect("associations lock");
        let severity = spec.compliance_severity.clone();
        let Some(e) = store.executions.iter_mut().find(|e| e.id == exec) else {
            return;
        };
        for (cid, ids) in &sent {
            for n in ids {
                e.targets.push(ExecTarget {
                    resource_id: n.clone(),
                    status: "Pending".into(),
                    detailed: "Pending".into(),
                    date: now,
                    command_id: cid.clone(),
                });
            }
        }
        e.targets.sort_by(|a, b| a.resource_id.cmp(&b.resource_id));
        let pending: Vec<String> = e.targets.iter().map(|t| t.resource_id.clone()).collect();
        let base = InstanceStatus {
            association_id: assoc.clone(),
            association_name: spec.association_name.clone(),
            document: doc_name(&spec.name).to_owned(),
            document_version: "1".into(),
            association_version: version.to_string(),
            instance_id: String::new(),
            execution_id: exec.clone(),
            execution_date: now,
            status: "Pending".into(),
            detailed: "Pending".into(),
            summary: String::new(),
            error_code: None,
            compliance_severity: severity.unwrap_or_else(|| "UNSPECIFIED".into()),
        };
        for n in pending {
            let s = InstanceStatus {
                instance_id: n.clone(),
                ..base.clone()
            };
            store.statuses.insert((assoc.clone(), n), s);
        }
        for (n, message) in &refused {
            let s = InstanceStatus {
                instance_id: n.clone(),
                status: "Failed".into(),
                detailed: "Failed".into(),
                summary: message.chars().take(512).collect(),
                ..base.clone()
            };
            store.statuses.insert((assoc.clone(), n.clone()), s);
        }
    }
    let plugin = crate::commands::plugin_name(doc_name(&spec.name), "Linux");
    loop {
        let views: Vec<(Vec<InvocationView>, bool)> = sent
            .iter()
            .filter_map(|(cid, _)| crate::commands::invocations_of(&state, cid))
            .collect();
        if apply(&state, &assoc, &exec, plugin, &views) {
            return;
        }
        tokio::time::sleep(POLL).await;
    }
}

/// A target's (Status, DetailedStatus) from its invocation.
fn target_status(v: &InvocationView) -> (&'static str, &'static str) {
    match v.status {
        "Pending" | "Delayed" => ("Pending", "Pending"),
        "InProgress" | "Cancelling" => ("InProgress", "InProgress"),
        "Success" => ("Success", "Success"),
        _ => ("Failed", v.details),
    }
}

/// Brings the execution's targets and the nodes' statuses up to the
/// invocations; `true` once the execution is final (or gone).
fn apply(
    state: &LabState,
    assoc: &str,
    exec: &str,
    plugin: &str,
    views: &[(Vec<InvocationView>, bool)],
) -> bool {
    let now = now_s();
    let mut guard = state.associations.lock().expect("associations lock");
    let store = &mut *guard;
    let Some(e) = store.executions.iter_mut().find(|e| e.id == exec) else {
        return true;
    };
    let resolving = views.iter().any(|(_, r)| *r);
    for v in views.iter().flat_map(|(list, _)| list) {
        let Some(t) = e.targets.iter_mut().find(|t| t.resource_id == v.node) else {
            continue;
        };
        let (status, detailed) = target_status(v);
        if t.status == status && t.detailed == detailed {
            continue;
        }
        t.status = status.into();
        t.detailed = detailed.into();
        t.date = v.end_s.unwrap_or(now);
        e.last = Some(t.date);
        if let Some(s) = store.statuses.get_mut(&(assoc.to_owned(), v.node.clone()))
            && s.execution_id == exec
        {
            s.status = if final_status(status) {
                status
            } else {
                "Pending"
            }
            .into();
            s.detailed = detailed.into();
            s.execution_date = t.date;
            if final_status(status) {
                let kind = if v.details.contains("TimedOut") {
                    "TimedOut"
                } else {
                    status
                };
                s.summary = summary(plugin, kind, &v.stderr);
                s.error_code = (status == "Failed" && v.code >= 0).then(|| v.code.to_string());
            }
        }
    }
    let all_final = !resolving && e.targets.iter().all(|t| final_status(&t.status));
    let started = e.targets.iter().any(|t| t.status != "Pending");
    let status = if all_final {
        if e.targets.iter().any(|t| t.status == "Failed") {
            "Failed"
        } else {
            "Success"
        }
    } else if started {
        "InProgress"
    } else {
        "Pending"
    };
    e.status = status.into();
    e.detailed = status.into();
    if all_final {
        let created = e.created;
        if let Some(a) = store.associations.iter_mut().find(|a| a.id == assoc) {
            a.last_execution = Some(created);
            if status == "Success" {
                a.last_success = Some(created);
            }
        }
    }
    all_final
}

/// Starts the tenant's association clock (registered in
/// `LabState::tasks`): while [`super::AssociationStore::tick_ms`] is set,
/// every period each association with a ScheduleExpression runs once,
/// unless its previous execution still runs.
pub(crate) fn spawn_scheduler(state: &Arc<LabState>) {
    let st = state.clone();
    let task = tokio::spawn(async move {
        let mut last: Option<Instant> = None;
        loop {
            tokio::time::sleep(CLOCK_CHECK).await;
            let tick = st.associations.lock().expect("associations lock").tick_ms;
            if tick == 0 {
                last = None;
                continue;
            }
            let now = Instant::now();
            let since = *last.get_or_insert(now);
            if now.duration_since(since) < Duration::from_millis(tick) {
                continue;
            }
            last = Some(now);
            let due: Vec<String> = {
                let store = st.associations.lock().expect("associations lock");
                store
                    .associations
                    .iter()
                    .filter(|a| a.spec.schedule.is_some())
                    .filter(|a| {
                        !store
                            .executions
                            .iter()
                            .any(|e| e.association_id == a.id && !final_status(&e.status))
                    })
                    .map(|a| a.id.clone())
                    .collect()
            };
            for id in due {
                start_execution(&st, &id);
            }
        }
    });
    state.tasks.lock().expect("tasks lock").push(task);
}
