//! The scheduler: a per-tenant task that opens due windows every second,
//! and one runner per execution that sends its RUN_COMMAND tasks through
//! the Run Command engine (in priority order, one task after another) and
//! follows their commands to the end.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::{Execution, Invocation, MaintenanceStore, POLL, Task, TaskExecution};
use crate::LabState;
use crate::params::now_s;

/// Starts the tenant's scheduler (registered in `LabState::tasks`, so
/// shutdown aborts it): every second, each enabled window whose
/// NextExecutionTime has come opens an execution.
pub(crate) fn spawn_scheduler(state: &Arc<LabState>) {
    let st = state.clone();
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            fire_due(&st, now_s());
        }
    });
    state.tasks.lock().expect("tasks lock").push(task);
}

/// Opens every window due at `now` and starts a runner for each execution.
pub(super) fn fire_due(state: &Arc<LabState>, now: f64) -> Vec<String> {
    let opened = {
        let mut store = state.maintenance.lock().expect("maintenance lock");
        let due: Vec<usize> = (0..store.windows.len())
            .filter(|&i| {
                let w = &store.windows[i];
                w.enabled && w.next.is_some_and(|n| n as f64 <= now)
            })
            .collect();
        due.into_iter()
            .filter_map(|i| open(&mut store, i, now))
            .collect::<Vec<String>>()
    };
    for id in &opened {
        let task = tokio::spawn(run_execution(state.clone(), id.clone()));
        state.tasks.lock().expect("tasks lock").push(task);
    }
    opened
}

/// Opens the window named `name` at once, whatever its schedule (and
/// whether enabled), as if its time had come; returns the execution's id
/// (`None` for an unknown window, or when its previous execution still
/// runs: that one is recorded SKIPPED_OVERLAPPING).
pub(crate) fn open_now(state: &Arc<LabState>, name: &str) -> Option<String> {
    let id = {
        let mut store = state.maintenance.lock().expect("maintenance lock");
        let i = store.windows.iter().position(|w| w.name == name)?;
        open(&mut store, i, now_s())?
    };
    let task = tokio::spawn(run_execution(state.clone(), id.clone()));
    state.tasks.lock().expect("tasks lock").push(task);
    Some(id)
}

/// Opens window `i` now: moves its NextExecutionTime on and records an
/// execution, IN_PROGRESS, or SKIPPED_OVERLAPPING while its previous one
/// still runs. Returns the id of an execution to run.
fn open(store: &mut MaintenanceStore, i: usize, now: f64) -> Option<String> {
    let next = store.windows[i].compute_next(now as i64);
    store.windows[i].next = next;
    let window = store.windows[i].clone();
    let overlapping = store
        .executions
        .iter()
        .any(|e| e.window_id == window.id && e.running());
    let id = store.uuid();
    let mut tasks = window.tasks.clone();
    tasks.sort_by_key(|t| t.priority);
    let mut e = Execution {
        id: id.clone(),
        window_id: window.id.clone(),
        status: "IN_PROGRESS",
        details: "In progress".into(),
        start: now,
        end: None,
        tasks: Vec::new(),
        cancel: false,
        cutoff_at: now + ((window.duration - window.cutoff) * 3_600) as f64,
        cut: false,
    };
    if overlapping {
        e.status = "SKIPPED_OVERLAPPING";
        e.details = "The previous execution of this maintenance window is still running.".into();
        e.end = Some(now);
        store.executions.push(e);
        return None;
    }
    for t in tasks {
        let task_id = store.uuid();
        e.tasks.push(TaskExecution {
            id: task_id,
            arn: t.arn.clone(),
            kind: t.kind.clone(),
            priority: t.priority,
            max_concurrency: t.max_concurrency.clone(),
            max_errors: t.max_errors.clone(),
            service_role: t.service_role.clone(),
            parameters: task_parameters(&t),
            status: "PENDING",
            details: "Pending".into(),
            start: None,
            end: None,
            invocations: Vec::new(),
            window_task: t,
        });
    }
    store.executions.push(e);
    Some(id)
}

/// `TaskParameters` of a task execution: `[{"name": {"Values": […]}}]`.
pub(super) fn task_parameters(t: &Task) -> Value {
    let params = t.run_parameters();
    let map: serde_json::Map<String, Value> = params
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let values = match v {
                Value::Array(a) => a.clone(),
                other => vec![other.clone()],
            };
            (k.clone(), json!({ "Values": values }))
        })
        .collect();
    json!([map])
}

/// One invocation to make of a task: the window target (if any), its
/// owner information and the Run Command targets.
struct Plan {
    target_id: Option<String>,
    owner: Option<String>,
    targets: Value,
}

fn plans(window_targets: &[super::Target], task: &Task) -> Vec<Plan> {
    let list = task.targets.as_array().cloned().unwrap_or_default();
    let by_window = |ids: Option<Vec<String>>| -> Vec<Plan> {
        window_targets
            .iter()
            .filter(|t| ids.as_ref().is_none_or(|ids| ids.contains(&t.id)))
            .map(|t| Plan {
                target_id: Some(t.id.clone()),
                owner: t.owner.clone(),
                targets: t.targets.clone(),
            })
            .collect()
    };
    if list.is_empty() {
        return by_window(None);
    }
    let mut out = Vec::new();
    for t in list {
        let values: Vec<String> = t["Values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        if t["Key"] == "WindowTargetIds" {
            out.extend(by_window(Some(values)));
        } else {
            out.push(Plan {
                target_id: None,
                owner: None,
                targets: json!([{ "Key": "InstanceIds", "Values": values }]),
            });
        }
    }
    out
}

/// The SendCommand request of one invocation of `task`.
pub(super) fn send_body(task: &Task, targets: &Value) -> Value {
    let mut body = json!({
        "DocumentName": task.arn,
        "Parameters": task.run_parameters(),
        "Targets": targets,
        "MaxConcurrency": task.max_concurrency.clone().unwrap_or_else(|| "50".into()),
        "MaxErrors": task.max_errors.clone().unwrap_or_else(|| "0".into()),
        "Comment": task.run_option("Comment").cloned().unwrap_or_else(|| json!("")),
    });
    for k in [
        "TimeoutSeconds",
        "CloudWatchOutputConfig",
        "OutputS3BucketName",
        "OutputS3KeyPrefix",
    ] {
        if let Some(v) = task.run_option(k) {
            body[k] = v.clone();
        }
    }
    body
}

/// The invocation's `Parameters` string, as AWS reports a RUN_COMMAND
/// invocation's (the SendCommand request, lower-camel-case).
pub(super) fn parameters_string(body: &Value) -> String {
    let targets: Vec<Value> = body["Targets"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| json!({"key": t["Key"], "values": t["Values"]}))
        .collect();
    json!({
        "comment": body["Comment"],
        "documentName": body["DocumentName"],
        "instanceIds": [],
        "maxConcurrency": body["MaxConcurrency"],
        "maxErrors": body["MaxErrors"],
        "parameters": body["Parameters"],
        "targets": targets,
        "timeoutSeconds": body.get("TimeoutSeconds").cloned().unwrap_or(json!(3600)),
    })
    .to_string()
}

/// A maintenance window status for a final Run Command status.
fn from_command(status: &str) -> &'static str {
    match status {
        "Success" => "SUCCESS",
        "TimedOut" => "TIMED_OUT",
        "Cancelled" => "CANCELLED",
        _ => "FAILED",
    }
}

fn with_execution<R>(state: &LabState, id: &str, f: impl FnOnce(&mut Execution) -> R) -> Option<R> {
    let mut store = state.maintenance.lock().expect("maintenance lock");
    store.executions.iter_mut().find(|e| e.id == id).map(f)
}

/// Runs execution `id` to its end.
async fn run_execution(state: Arc<LabState>, id: String) {
    let count = with_execution(&state, &id, |e| e.tasks.len()).unwrap_or(0);
    for k in 0..count {
        let stop = with_execution(&state, &id, |e| {
            e.cut |= now_s() >= e.cutoff_at;
            e.cancel || e.cut
        });
        if stop.unwrap_or(true) {
            break;
        }
        run_task(&state, &id, k).await;
    }
    with_execution(&state, &id, finish);
}

/// Ends an execution: its status from its tasks (tasks never started end
/// CANCELLED when it was cancelled).
fn finish(e: &mut Execution) {
    let now = now_s();
    for t in &mut e.tasks {
        if t.status == "PENDING" {
            (t.status, t.details) = if e.cancel {
                (
                    "CANCELLED",
                    "The maintenance window execution was cancelled.".into(),
                )
            } else {
                (
                    "TIMED_OUT",
                    "Not started: the maintenance window's cutoff was reached.".into(),
                )
            };
            t.end = Some(now);
        }
    }
    let any = |s: &str| e.tasks.iter().any(|t| t.status == s);
    (e.status, e.details) = if e.cancel {
        (
            "CANCELLED",
            "The maintenance window execution was cancelled.".into(),
        )
    } else if e.cut {
        (
            "TIMED_OUT",
            "The maintenance window's cutoff was reached.".into(),
        )
    } else if any("FAILED") {
        (
            "FAILED",
            "One or more tasks in the orchestration failed.".into(),
        )
    } else if any("TIMED_OUT") {
        (
            "TIMED_OUT",
            "One or more tasks in the orchestration timed out.".into(),
        )
    } else if any("CANCELLED") {
        (
            "CANCELLED",
            "One or more tasks in the orchestration were cancelled.".into(),
        )
    } else {
        ("SUCCESS", "Success".into())
    };
    e.end = Some(now);
}

/// Runs task `k` of execution `id`: one command per invocation, then
/// waits for them (cancelling them when the execution is cancelled).
async fn run_task(state: &Arc<LabState>, id: &str, k: usize) {
    let Some((task, window_targets)) = with_execution(state, id, |e| {
        let t = &mut e.tasks[k];
        t.status = "IN_PROGRESS";
        t.details = "In progress".into();
        t.start = Some(now_s());
        (t.window_task.clone(), e.window_id.clone())
    }) else {
        return;
    };
    let window_targets = {
        let store = state.maintenance.lock().expect("maintenance lock");
        store
            .windows
            .iter()
            .find(|w| w.id == window_targets)
            .map(|w| w.targets.clone())
            .unwrap_or_default()
    };
    if task.kind != "RUN_COMMAND" {
        with_execution(state, id, |e| {
            let t = &mut e.tasks[k];
            t.status = "FAILED";
            t.details = format!("{} tasks are not run by the lab.", task.kind);
            t.end = Some(now_s());
        });
        return;
    }
    let mut invocations = Vec::new();
    for plan in plans(&window_targets, &task) {
        invocations.push(invoke(state, &task, plan));
    }
    with_execution(state, id, |e| e.tasks[k].invocations = invocations);
    follow(state, id, k).await;
}

/// Sends the command of one invocation.
fn invoke(state: &Arc<LabState>, task: &Task, plan: Plan) -> Invocation {
    let body = send_body(task, &plan.targets);
    let invocation_id = state.maintenance.lock().expect("maintenance lock").uuid();
    let now = now_s();
    let mut inv = Invocation {
        id: invocation_id,
        execution_id: String::new(),
        status: "IN_PROGRESS",
        details: "InProgress".into(),
        start: Some(now),
        end: None,
        owner: plan.owner,
        target_id: plan.target_id,
        parameters: parameters_string(&body),
    };
    match crate::commands::send_command(state, &body) {
        Ok(v) => {
            inv.execution_id = v["Command"]["CommandId"].as_str().unwrap_or("").to_owned();
        }
        Err(e) => {
            inv.status = "FAILED";
            inv.details = format!("{}: {}", e.code, e.message);
            inv.end = Some(now);
        }
    }
    inv
}

/// Follows the commands of task `k` until every invocation is final.
async fn follow(state: &Arc<LabState>, id: &str, k: usize) {
    let mut cancel_sent = false;
    loop {
        let Some((running, cancel)) = with_execution(state, id, |e| {
            let running: Vec<(usize, String)> = e.tasks[k]
                .invocations
                .iter()
                .enumerate()
                .filter(|(_, i)| i.status == "IN_PROGRESS")
                .map(|(n, i)| (n, i.execution_id.clone()))
                .collect();
            let cancel_task =
                e.tasks[k].window_task.cutoff_behavior.as_deref() == Some("CANCEL_TASK");
            if cancel_task && !running.is_empty() && now_s() >= e.cutoff_at {
                e.cut = true;
            }
            (running, e.cancel || (cancel_task && e.cut))
        }) else {
            return;
        };
        if running.is_empty() {
            break;
        }
        if cancel && !cancel_sent {
            for (_, c) in &running {
                crate::commands::cancel_all(state, c);
            }
            cancel_sent = true;
        }
        let outcomes: Vec<(usize, Option<crate::commands::Outcome>)> = running
            .iter()
            .map(|(n, c)| (*n, crate::commands::command_outcome(state, c)))
            .collect();
        with_execution(state, id, |e| {
            for (n, o) in outcomes {
                let inv = &mut e.tasks[k].invocations[n];
                match o {
                    Some((status, details, true)) => {
                        inv.status = from_command(status);
                        inv.details = details.to_owned();
                        inv.end = Some(now_s());
                    }
                    Some(_) => {}
                    None => {
                        inv.status = "FAILED";
                        inv.details = "The command no longer exists.".into();
                        inv.end = Some(now_s());
                    }
                }
            }
        });
        tokio::time::sleep(POLL).await;
    }
    with_execution(state, id, |e| {
        let (cancel, cut) = (e.cancel, e.cut);
        let t = &mut e.tasks[k];
        if cut && !cancel && t.window_task.cutoff_behavior.as_deref() == Some("CANCEL_TASK") {
            for i in &mut t.invocations {
                if i.status == "CANCELLED" {
                    i.status = "TIMED_OUT";
                    i.details = "Cancelled at the maintenance window's cutoff.".into();
                }
            }
        }
        let any = |s: &str| t.invocations.iter().any(|i| i.status == s);
        (t.status, t.details) = if t.invocations.is_empty() {
            (
                "SUCCESS",
                "No task invocations: the task has no targets.".to_owned(),
            )
        } else if cancel && any("CANCELLED") {
            (
                "CANCELLED",
                "The maintenance window execution was cancelled.".into(),
            )
        } else if any("FAILED") {
            ("FAILED", "One or more task invocations failed.".into())
        } else if any("TIMED_OUT") {
            (
                "TIMED_OUT",
                "One or more task invocations timed out.".into(),
            )
        } else if any("CANCELLED") {
            (
                "CANCELLED",
                "One or more task invocations were cancelled.".into(),
            )
        } else {
            ("SUCCESS", "Success".into())
        };
        t.end = Some(now_s());
    });
}
