//! The windows every tenant starts with, and their last 7 days.
//!
//! - `prod-patching`: `cron(0 3 ? * SUN *)` in `Asia/Tokyo`, 4 hours,
//!   cutoff 1, enabled; target `prod-fleet` (tag `Env=prod`); task
//!   `patch-os` (AWS-RunShellScript, 10%, 1 error).
//! - `staging-restart`: `rate(6 hours)`, enabled; target tag `Env=staging`;
//!   task `restart-app`.
//! - `dev-cleanup`: `cron(0 22 ? * FRI *)`, disabled (no NextExecutionTime).
//! - `canary-check`: `rate(1 day)` from a StartDate
//!   `first_window_in_s` after the lab's start (default 30 minutes), so
//!   it is the first to open; target tag `Role=web` and `Env=dev`.
//!
//! History: every 6-hour execution of `staging-restart` of the last 7
//! days (the third most recent FAILED, with a failed invocation; the
//! eighth CANCELLED) and the last Sunday run of `prod-patching` (SUCCESS).
//! Their RUN_COMMAND invocations name plausible command ids
//! (`xxxxxxxx-hist-4000-8000-…`); with `LabConfig::history_commands`
//! (the demo, `lab serve`) they are given real, finished commands in the
//! tenant's command store instead ([`MaintenanceStore::link_history`]),
//! so opening one in Run Command shows each node's result (a FAILED run's
//! first node failed, with its stderr).

use serde_json::{Value, json};

use super::run::{parameters_string, send_body, task_parameters};
use super::{
    Execution, Invocation, MaintenanceStore, TaskExecution, create_window, register_target,
    register_task, update_window,
};
use crate::cron::iso_seconds;

/// What one seeded window is made of.
struct SeedWindow {
    name: &'static str,
    description: &'static str,
    schedule: &'static str,
    timezone: Option<&'static str>,
    duration: i64,
    cutoff: i64,
    target_name: &'static str,
    owner: &'static str,
    task_name: &'static str,
    commands: &'static [&'static str],
    concurrency: &'static str,
    errors: &'static str,
}

const WINDOWS: &[SeedWindow] = &[
    SeedWindow {
        name: "prod-patching",
        description: "Weekly OS patching of the prod fleet",
        schedule: "cron(0 3 ? * SUN *)",
        timezone: Some("Asia/Tokyo"),
        duration: 4,
        cutoff: 1,
        target_name: "prod-fleet",
        owner: "team-platform",
        task_name: "patch-os",
        commands: &[
            "echo \"patching $SSM_NODE_NAME\"",
            "sleep 2",
            "echo 'no reboot required'",
        ],
        concurrency: "10%",
        errors: "1",
    },
    SeedWindow {
        name: "staging-restart",
        description: "Restart the staging app servers every 6 hours",
        schedule: "rate(6 hours)",
        timezone: None,
        duration: 1,
        cutoff: 0,
        target_name: "staging-fleet",
        owner: "team-search",
        task_name: "restart-app",
        commands: &["echo \"restarting app on $SSM_NODE_NAME\"", "sleep 1"],
        concurrency: "50%",
        errors: "25%",
    },
    SeedWindow {
        name: "dev-cleanup",
        description: "Friday clean-up of dev scratch space (paused)",
        schedule: "cron(0 22 ? * FRI *)",
        timezone: None,
        duration: 2,
        cutoff: 1,
        target_name: "dev-fleet",
        owner: "team-platform",
        task_name: "clean-tmp",
        commands: &["echo \"cleaning /tmp on $SSM_NODE_NAME\""],
        concurrency: "100%",
        errors: "100%",
    },
    SeedWindow {
        name: "canary-check",
        description: "Daily canary check of the dev web servers",
        schedule: "rate(1 day)",
        timezone: None,
        duration: 1,
        cutoff: 0,
        target_name: "dev-web",
        owner: "team-identity",
        task_name: "canary",
        commands: &["echo \"canary check on $SSM_NODE_NAME\"", "uptime"],
        concurrency: "2",
        errors: "1",
    },
];

fn seed_targets(name: &str) -> Value {
    match name {
        "prod-patching" => json!([{"Key": "tag:Env", "Values": ["prod"]}]),
        "staging-restart" => json!([{"Key": "tag:Env", "Values": ["staging"]}]),
        "dev-cleanup" => json!([{"Key": "tag:Env", "Values": ["dev"]}]),
        _ => json!([{"Key": "tag:Env", "Values": ["dev"]}, {"Key": "tag:Role", "Values": ["web"]}]),
    }
}

impl MaintenanceStore {
    /// Seeds the windows and history of the module documentation, as of
    /// `now` (epoch seconds); `first_window_in_s`: `canary-check` opens
    /// this many seconds after `now` (default 1,800).
    pub(crate) fn seed(&mut self, now: f64, first_window_in_s: Option<u64>) {
        let created = (now / 3_600.0).floor() * 3_600.0 - 30.0 * 86_400.0;
        for s in WINDOWS {
            let mut body = json!({
                "Name": s.name, "Description": s.description, "Schedule": s.schedule,
                "Duration": s.duration, "Cutoff": s.cutoff, "AllowUnassociatedTargets": false,
            });
            if let Some(z) = s.timezone {
                body["ScheduleTimezone"] = json!(z);
            }
            if s.name == "canary-check" {
                let at = now as i64 + first_window_in_s.unwrap_or(1_800) as i64;
                body["StartDate"] = json!(iso_seconds(at));
            }
            let Ok(w) = create_window(self, &body, created) else {
                continue;
            };
            let id = w["WindowId"].as_str().unwrap_or("").to_owned();
            let target = register_target(
                self,
                &json!({"WindowId": id, "ResourceType": "INSTANCE", "Targets": seed_targets(s.name),
                    "Name": s.target_name, "OwnerInformation": s.owner}),
            );
            let target_id = target
                .map(|t| t["WindowTargetId"].clone())
                .unwrap_or(Value::Null);
            let _ = register_task(
                self,
                &json!({"WindowId": id, "TaskArn": "AWS-RunShellScript", "TaskType": "RUN_COMMAND",
                    "Name": s.task_name, "Priority": 1,
                    "Targets": [{"Key": "WindowTargetIds", "Values": [target_id]}],
                    "MaxConcurrency": s.concurrency, "MaxErrors": s.errors,
                    "TaskInvocationParameters": {"RunCommand": {
                        "Comment": format!("{} ({})", s.task_name, s.name),
                        "Parameters": {"commands": s.commands}, "TimeoutSeconds": 600}}}),
            );
            if s.name == "dev-cleanup" {
                let _ = update_window(self, &json!({"WindowId": id, "Enabled": false}), created);
            }
        }
        if let Some(w) = self.windows.iter_mut().find(|w| w.name == "canary-check") {
            w.next = w.compute_next(now as i64 - 1);
        }
        for w in &mut self.windows {
            if w.name != "canary-check" {
                w.next = w.compute_next(now as i64);
            }
        }
        self.seed_history(now);
    }

    /// The executions of the last 7 days (see the module documentation).
    fn seed_history(&mut self, now: f64) {
        let week_ago = now as i64 - 7 * 86_400;
        let mut runs: Vec<(usize, i64)> = Vec::new();
        for (i, w) in self.windows.iter().enumerate() {
            if !matches!(w.name.as_str(), "staging-restart" | "prod-patching") {
                continue;
            }
            let mut t = w.compute_next(week_ago);
            while let Some(x) = t.filter(|x| (*x as f64) < now - 600.0) {
                runs.push((i, x));
                t = w.compute_next(x);
            }
        }
        runs.sort_by_key(|(_, t)| std::cmp::Reverse(*t));
        let staging: Vec<i64> = runs
            .iter()
            .filter(|(i, _)| self.windows[*i].name == "staging-restart")
            .map(|(_, t)| *t)
            .collect();
        for (i, t) in runs {
            let rank = staging.iter().position(|x| *x == t);
            let outcome = match rank {
                Some(2) => "FAILED",
                Some(7) => "CANCELLED",
                _ => "SUCCESS",
            };
            let e = self.historic(i, t as f64, outcome);
            self.executions.push(e);
        }
        self.executions.sort_by(|a, b| {
            a.start
                .partial_cmp(&b.start)
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    }

    /// One past execution of window `i` at `start` ending `outcome`.
    fn historic(&mut self, i: usize, start: f64, outcome: &'static str) -> Execution {
        let w = self.windows[i].clone();
        let took = 40.0 + (self.serial % 7) as f64 * 20.0;
        let end = start + took;
        let mut tasks = Vec::new();
        for task in &w.tasks {
            let mut invocations = Vec::new();
            for target in &w.targets {
                let (a, b) = self.draw();
                let body = send_body(task, &target.targets);
                let (status, details) = match outcome {
                    "FAILED" => ("FAILED", "Failed"),
                    "CANCELLED" => ("CANCELLED", "Cancelled"),
                    _ => ("SUCCESS", "Success"),
                };
                invocations.push(Invocation {
                    id: self.uuid(),
                    execution_id: format!(
                        "{:08x}-hist-4000-8000-{:012x}",
                        a >> 32,
                        b & 0xffff_ffff_ffff
                    ),
                    status,
                    details: details.into(),
                    start: Some(start + 1.0),
                    end: Some(end - 1.0),
                    owner: target.owner.clone(),
                    target_id: Some(target.id.clone()),
                    parameters: parameters_string(&body),
                });
            }
            let details = match outcome {
                "FAILED" => "One or more task invocations failed.",
                "CANCELLED" => "The maintenance window execution was cancelled.",
                _ => "Success",
            };
            tasks.push(TaskExecution {
                id: self.uuid(),
                arn: task.arn.clone(),
                kind: task.kind.clone(),
                priority: task.priority,
                max_concurrency: task.max_concurrency.clone(),
                max_errors: task.max_errors.clone(),
                service_role: task.service_role.clone(),
                parameters: task_parameters(task),
                status: outcome,
                details: details.into(),
                start: Some(start),
                end: Some(end),
                invocations,
                window_task: task.clone(),
            });
        }
        let details = match outcome {
            "FAILED" => "One or more tasks in the orchestration failed.",
            "CANCELLED" => "The maintenance window execution was cancelled.",
            _ => "Success",
        };
        Execution {
            id: self.uuid(),
            window_id: w.id.clone(),
            status: outcome,
            details: details.into(),
            start,
            end: Some(end),
            tasks,
            cancel: outcome == "CANCELLED",
            cutoff_at: start + ((w.duration - w.cutoff) * 3_600) as f64,
            cut: false,
        }
    }
}

/// One node's part of a seeded run, by the invocation's outcome: a FAILED
/// run's first node failed; a CANCELLED run's nodes were cancelled.
fn past_invocation(
    n: &crate::fleet::LabNode,
    outcome: &str,
    first: bool,
) -> crate::commands::PastInvocation {
    let (status, code, stdout, stderr) = match (outcome, first) {
        ("FAILED", true) => (
            "Failed",
            1,
            String::new(),
            format!(
                "app.service on {}: restart failed (seeded history)\n",
                n.name
            ),
        ),
        ("CANCELLED", _) => ("Cancelled", -1, String::new(), String::new()),
        _ => (
            "Success",
            0,
            format!(
                "ran on {} (seeded history: before the lab started)\n",
                n.name
            ),
            String::new(),
        ),
    };
    crate::commands::PastInvocation {
        node: n.id.clone(),
        name: n.name.clone(),
        status,
        code,
        stdout,
        stderr,
    }
}

impl MaintenanceStore {
    /// Gives the seeded history's RUN_COMMAND invocations real, final
    /// commands in `commands` on the nodes their targets select among
    /// `nodes` (of `account`), and their ExecutionIds those commands' ids.
    pub(crate) fn link_history(
        &mut self,
        nodes: &[crate::fleet::LabNode],
        commands: &mut crate::commands::CommandStore,
        account: &str,
    ) {
        let windows = self.windows.clone();
        for e in &mut self.executions {
            let Some(w) = windows.iter().find(|w| w.id == e.window_id) else {
                continue;
            };
            for t in e.tasks.iter_mut().filter(|t| t.kind == "RUN_COMMAND") {
                for inv in &mut t.invocations {
                    let target = w
                        .targets
                        .iter()
                        .find(|x| inv.target_id.as_ref() == Some(&x.id));
                    let (Some(target), Some(start), Some(end)) = (target, inv.start, inv.end)
                    else {
                        continue;
                    };
                    let body = send_body(&t.window_task, &target.targets);
                    let document = body["DocumentName"].as_str().unwrap_or_default().to_owned();
                    let lines: Vec<String> = body["Parameters"]["commands"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|c| c.as_str().map(str::to_owned))
                        .collect();
                    let picked = crate::commands::resolve(nodes, &target.targets, account);
                    let past = picked
                        .iter()
                        .enumerate()
                        .map(|(k, n)| past_invocation(n, inv.status, k == 0))
                        .collect();
                    inv.execution_id = commands.record_past(
                        (&document, lines),
                        (start, end),
                        target.targets.clone(),
                        past,
                    );
                }
            }
        }
    }
}
