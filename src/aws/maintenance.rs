//! Maintenance windows and change calendars (SSM API): the windows of an
//! account and region (`DescribeMaintenanceWindows`), a window's targets,
//! tasks and executions, an execution's tasks and their invocations per
//! node, the schedule of the next days (`DescribeMaintenanceWindowSchedule`),
//! the windows that target a node (`DescribeMaintenanceWindowsForTarget`),
//! cancel and enable / disable; change calendars (`ListDocuments` with
//! `DocumentType=ChangeCalendar`, `GetCalendarState`, `GetDocument` as
//! TEXT). Every list is read with the SDK's paginators, every page.
//!
//! Times: the SDK gives executions' start and end as timestamps (kept as
//! epoch seconds); windows' `NextExecutionTime` and the schedule's
//! `ExecutionTime` are ISO-8601 strings as AWS writes them
//! (`2026-12-03T18:00Z`), read with [`parse_iso8601`].

use aws_sdk_ssm::types::{
    CalendarState as SdkCalendarState, DocumentFilter, DocumentFilterKey, DocumentFormat,
    MaintenanceWindowExecutionStatus, Target,
};
use serde::Serialize;

use super::{AwsContext, AwsError};

/// A maintenance window (`MaintenanceWindowIdentity`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Window {
    /// `mw-` and 17 hex digits.
    pub id: String,
    /// Its name (3 … 128 characters).
    pub name: String,
    /// Its description (may be empty).
    pub description: String,
    /// Whether it runs.
    pub enabled: bool,
    /// `cron(…)`, `rate(…)` or `at(…)`.
    pub schedule: String,
    /// IANA time zone of the schedule (`None`: UTC).
    pub timezone: Option<String>,
    /// Days to wait after the cron date, 1 … 6 (`None`: none).
    pub offset_days: Option<i32>,
    /// How long it stays open, hours (1 … 24).
    pub duration_h: Option<i32>,
    /// Hours before the end when no new task starts (0 … 23).
    pub cutoff_h: i32,
    /// The next run as AWS writes it (ISO 8601); absent for a disabled
    /// window or one past its end date.
    pub next_execution: Option<String>,
}

/// A target registered with a window (`MaintenanceWindowTarget`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WindowTarget {
    /// The window target id (a UUID).
    pub id: String,
    /// Its name (may be empty).
    pub name: String,
    /// `INSTANCE` or `RESOURCE_GROUP`.
    pub resource_type: String,
    /// `Key=Values` pairs (`InstanceIds`, `tag:Env`, …).
    pub targets: Vec<(String, Vec<String>)>,
    /// Free text handed to the tasks (may be empty).
    pub owner_information: String,
}

/// A task registered with a window (`MaintenanceWindowTask`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WindowTask {
    /// The window task id (a UUID).
    pub id: String,
    /// Its name (may be empty).
    pub name: String,
    /// `RUN_COMMAND`, `AUTOMATION`, `STEP_FUNCTIONS` or `LAMBDA`.
    pub task_type: String,
    /// The document, runbook, state machine or function it runs.
    pub task_arn: String,
    /// Lower runs first (0 … ).
    pub priority: i32,
    /// `MaxConcurrency` (a number or a percentage; may be empty).
    pub max_concurrency: String,
    /// `MaxErrors` (a number or a percentage; may be empty).
    pub max_errors: String,
    /// `Key=Values` pairs (usually `WindowTargetIds`).
    pub targets: Vec<(String, Vec<String>)>,
}

/// A run of a window (`MaintenanceWindowExecution`) or of one of its tasks
/// (`MaintenanceWindowExecutionTaskIdentity`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Execution {
    /// The window execution id, or the task execution id for a task.
    pub id: String,
    /// `PENDING`, `IN_PROGRESS`, `SUCCESS`, `FAILED`, `TIMED_OUT`,
    /// `CANCELLING`, `CANCELLED`, `SKIPPED_OVERLAPPING`.
    pub status: String,
    /// Why it has its status (may be empty).
    pub status_details: String,
    /// Start, epoch seconds.
    pub start_s: Option<i64>,
    /// End, epoch seconds (`None` while it runs).
    pub end_s: Option<i64>,
    /// For a task: what it ran (document or runbook) and its type.
    pub task: Option<(String, String)>,
}

/// One task's invocation on one target
/// (`MaintenanceWindowExecutionTaskInvocationIdentity`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Invocation {
    /// The invocation id.
    pub id: String,
    /// The task execution it belongs to.
    pub task_execution_id: String,
    /// What it started: a Run Command command id (`RUN_COMMAND`), an
    /// Automation execution id (`AUTOMATION`), … (may be empty).
    pub execution_id: String,
    /// The task type (`RUN_COMMAND`, …).
    pub task_type: String,
    /// As [`Execution::status`].
    pub status: String,
    /// Why it has its status (may be empty).
    pub status_details: String,
    /// Start, epoch seconds.
    pub start_s: Option<i64>,
    /// End, epoch seconds.
    pub end_s: Option<i64>,
    /// The window target it ran for.
    pub window_target_id: String,
    /// The parameters it ran with, as AWS gives them (JSON text; may be
    /// empty).
    pub parameters: String,
}

/// A task execution with its invocations.
pub type ExecutionTask = (Execution, Vec<Invocation>);

/// A window's targets, tasks and last executions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WindowDetails {
    /// DescribeMaintenanceWindowTargets.
    pub targets: Vec<WindowTarget>,
    /// DescribeMaintenanceWindowTasks, by priority.
    pub tasks: Vec<WindowTask>,
    /// DescribeMaintenanceWindowExecutions, newest first.
    pub executions: Vec<Execution>,
    /// Why the executions could not be read, when they could not (an
    /// emulator without the operation, a role without the action): the
    /// targets and tasks still show.
    pub executions_error: Option<String>,
}

/// A coming run (`ScheduledWindowExecution`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScheduledRun {
    /// The window id.
    pub window_id: String,
    /// The window's name.
    pub name: String,
    /// When, as AWS writes it (ISO 8601).
    pub at: String,
    /// When, epoch seconds (`None`: AWS's text did not parse).
    pub at_s: Option<i64>,
}

/// One change calendar's state (GetCalendarState on it alone).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Calendar {
    /// The calendar's document name.
    pub name: String,
    /// `OPEN` or `CLOSED`.
    pub open: bool,
    /// The time the state is for, as AWS writes it.
    pub at: String,
    /// When the state next changes, as AWS writes it (`None`: never, as
    /// far as the calendar knows).
    pub next_transition: Option<String>,
}

fn pairs(targets: &[Target]) -> Vec<(String, Vec<String>)> {
    targets
        .iter()
        .map(|t| (t.key().unwrap_or_default().to_owned(), t.values().to_vec()))
        .collect()
}

fn secs(t: Option<&aws_smithy_types::DateTime>) -> Option<i64> {
    t.map(aws_smithy_types::DateTime::secs)
}

/// A window execution as the console keeps it.
fn execution_of(x: &aws_sdk_ssm::types::MaintenanceWindowExecution) -> Execution {
    Execution {
        id: x.window_execution_id().unwrap_or_default().to_owned(),
        status: status_text(x.status()),
        status_details: x.status_details().unwrap_or_default().to_owned(),
        start_s: secs(x.start_time()),
        end_s: secs(x.end_time()),
        task: None,
    }
}

fn status_text(s: Option<&MaintenanceWindowExecutionStatus>) -> String {
    s.map(|s| s.as_str().to_owned()).unwrap_or_default()
}

/// Epoch seconds of an ISO-8601 time as AWS writes the maintenance-window
/// ones: `2026-12-03T18:00Z`, `2026-12-03T18:00:00Z`,
/// `2026-12-03T18:00:00.000Z`, or with an offset (`+01:00`). `None` when
/// it does not read.
pub fn parse_iso8601(text: &str) -> Option<i64> {
    let t = text.trim();
    let (date, rest) = t.split_once('T')?;
    let mut d = date.split('-').map(|x| x.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let split = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
    let (clock, zone) = rest.split_at(split);
    let mut c = clock.split(':');
    let h: i64 = c.next()?.parse().ok()?;
    let min: i64 = c.next()?.parse().ok()?;
    let s: i64 = c
        .next()
        .map(|s| s.split('.').next().unwrap_or("0").parse().ok())
        .unwrap_or(Some(0))?;
    let offset = match zone {
        "" | "Z" | "z" => 0,
        z if z.is_ascii() && z.len() > 1 => {
            // `+05:30` or `+0530` (hours, minutes), nothing after.
            let digits = z[1..].replace(':', "");
            if digits.len() != 4 || z[1..].len() > 5 {
                return None;
            }
            let (oh, om) = digits.split_at(2);
            let (oh, om) = (oh.parse::<i64>().ok()?, om.parse::<i64>().ok()?);
            if oh > 14 || om > 59 {
                return None;
            }
            if z.starts_with('-') {
                -(oh * 3600 + om * 60)
            } else {
                oh * 3600 + om * 60
            }
        }
        _ => return None,
    };
    let month_days = match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    let valid = (1970..=9999).contains(&y)
        && (1..=12).contains(&m)
        && (1..=month_days).contains(&day)
        && h <= 23
        && min <= 59
        && s <= 60;
    valid.then(|| days_from_civil(y, m, day) * 86_400 + h * 3600 + min * 60 + s - offset)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Every maintenance window of the account and region
/// (DescribeMaintenanceWindows, every page), by name.
///
/// # Errors
/// [`AwsError`] for `ssm:DescribeMaintenanceWindows`.
pub async fn windows(ctx: &AwsContext) -> Result<Vec<Window>, AwsError> {
    let op = "ssm:DescribeMaintenanceWindows";
    let mut pages = ctx
        .ssm
        .describe_maintenance_windows()
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ctx.error(op, e))?;
        out.extend(page.window_identities().iter().map(|w| Window {
            id: w.window_id().unwrap_or_default().to_owned(),
            name: w.name().unwrap_or_default().to_owned(),
            description: w.description().unwrap_or_default().to_owned(),
            enabled: w.enabled(),
            schedule: w.schedule().unwrap_or_default().to_owned(),
            timezone: w.schedule_timezone().map(str::to_owned),
            offset_days: w.schedule_offset(),
            duration_h: w.duration(),
            cutoff_h: w.cutoff(),
            next_execution: w.next_execution_time().map(str::to_owned),
        }));
    }
    out.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    Ok(out)
}

/// A window's targets, tasks and executions (three paginated lists read
/// at once; executions newest first, tasks by priority). Executions that
/// cannot be read leave the list empty with the reason in
/// [`WindowDetails::executions_error`].
///
/// # Errors
/// [`AwsError`] of the first list that fails
/// (`ssm:DescribeMaintenanceWindowTargets`, `…Tasks`;
/// `DoesNotExistException` for a window that is gone).
pub async fn window_details(ctx: &AwsContext, window: &str) -> Result<WindowDetails, AwsError> {
    let (targets, tasks, executions) = tokio::join!(
        window_targets(ctx, window),
        window_tasks(ctx, window),
        window_executions(ctx, window)
    );
    let (executions, executions_error) = match executions {
        Ok(x) => (x, None),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    Ok(WindowDetails {
        targets: targets?,
        tasks: tasks?,
        executions,
        executions_error,
    })
}

/// A window's targets (DescribeMaintenanceWindowTargets, every page).
///
/// # Errors
/// [`AwsError`] for `ssm:DescribeMaintenanceWindowTargets`.
pub async fn window_targets(ctx: &AwsContext, window: &str) -> Result<Vec<WindowTarget>, AwsError> {
    let op = "ssm:DescribeMaintenanceWindowTargets";
    let mut pages = ctx
        .ssm
        .describe_maintenance_window_targets()
        .window_id(window)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ctx.error(op, e))?;
        out.extend(page.targets().iter().map(|t| {
            WindowTarget {
                id: t.window_target_id().unwrap_or_default().to_owned(),
                name: t.name().unwrap_or_default().to_owned(),
                resource_type: t
                    .resource_type()
                    .map(|r| r.as_str().to_owned())
                    .unwrap_or_default(),
                targets: pairs(t.targets()),
                owner_information: t.owner_information().unwrap_or_default().to_owned(),
            }
        }));
    }
    Ok(out)
}

/// A window's tasks by priority (DescribeMaintenanceWindowTasks, every
/// page).
///
/// # Errors
/// [`AwsError`] for `ssm:DescribeMaintenanceWindowTasks`.
pub async fn window_tasks(ctx: &AwsContext, window: &str) -> Result<Vec<WindowTask>, AwsError> {
    let op = "ssm:DescribeMaintenanceWindowTasks";
    let mut pages = ctx
        .ssm
        .describe_maintenance_window_tasks()
        .window_id(window)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ctx.error(op, e))?;
        out.extend(page.tasks().iter().map(|t| {
            WindowTask {
                id: t.window_task_id().unwrap_or_default().to_owned(),
                name: t.name().unwrap_or_default().to_owned(),
                task_type: t
                    .r#type()
                    .map(|x| x.as_str().to_owned())
                    .unwrap_or_default(),
                task_arn: t.task_arn().unwrap_or_default().to_owned(),
                priority: t.priority(),
                max_concurrency: t.max_concurrency().unwrap_or_default().to_owned(),
                max_errors: t.max_errors().unwrap_or_default().to_owned(),
                targets: pairs(t.targets()),
            }
        }));
    }
    out.sort_by_key(|t| t.priority);
    Ok(out)
}

async fn window_executions(ctx: &AwsContext, window: &str) -> Result<Vec<Execution>, AwsError> {
    let op = "ssm:DescribeMaintenanceWindowExecutions";
    let mut pages = ctx
        .ssm
        .describe_maintenance_window_executions()
        .window_id(window)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ctx.error(op, e))?;
        out.extend(page.window_executions().iter().map(execution_of));
    }
    out.sort_by_key(|x| std::cmp::Reverse(x.start_s));
    Ok(out)
}

/// An execution's tasks, each with its invocations per target
/// (DescribeMaintenanceWindowExecutionTasks, then
/// DescribeMaintenanceWindowExecutionTaskInvocations for each task, every
/// page of both).
///
/// # Errors
/// [`AwsError`] of the first call that fails.
pub async fn execution_tasks(
    ctx: &AwsContext,
    execution: &str,
) -> Result<Vec<ExecutionTask>, AwsError> {
    let op = "ssm:DescribeMaintenanceWindowExecutionTasks";
    let mut pages = ctx
        .ssm
        .describe_maintenance_window_execution_tasks()
        .window_execution_id(execution)
        .into_paginator()
        .send();
    let mut tasks = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ctx.error(op, e))?;
        tasks.extend(page.window_execution_task_identities().iter().map(|t| {
            Execution {
                id: t.task_execution_id().unwrap_or_default().to_owned(),
                status: status_text(t.status()),
                status_details: t.status_details().unwrap_or_default().to_owned(),
                start_s: secs(t.start_time()),
                end_s: secs(t.end_time()),
                task: Some((
                    t.task_arn().unwrap_or_default().to_owned(),
                    t.task_type()
                        .map(|x| x.as_str().to_owned())
                        .unwrap_or_default(),
                )),
            }
        }));
    }
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        let invocations = task_invocations(ctx, execution, &t.id).await?;
        out.push((t, invocations));
    }
    Ok(out)
}

async fn task_invocations(
    ctx: &AwsContext,
    execution: &str,
    task: &str,
) -> Result<Vec<Invocation>, AwsError> {
    let op = "ssm:DescribeMaintenanceWindowExecutionTaskInvocations";
    let mut pages = ctx
        .ssm
        .describe_maintenance_window_execution_task_invocations()
        .window_execution_id(execution)
        .task_id(task)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ctx.error(op, e))?;
        out.extend(
            page.window_execution_task_invocation_identities()
                .iter()
                .map(|i| Invocation {
                    id: i.invocation_id().unwrap_or_default().to_owned(),
                    task_execution_id: i.task_execution_id().unwrap_or_default().to_owned(),
                    execution_id: i.execution_id().unwrap_or_default().to_owned(),
                    task_type: i
                        .task_type()
                        .map(|x| x.as_str().to_owned())
                        .unwrap_or_default(),
                    status: status_text(i.status()),
                    status_details: i.status_details().unwrap_or_default().to_owned(),
                    start_s: secs(i.start_time()),
                    end_s: secs(i.end_time()),
                    window_target_id: i.window_target_id().unwrap_or_default().to_owned(),
                    parameters: i.parameters().unwrap_or_default().to_owned(),
                }),
        );
    }
    Ok(out)
}

/// The runs of window `window` until `until_s` (epoch seconds)
/// (DescribeMaintenanceWindowSchedule, paged only as far as that time:
/// a `rate(5 minutes)` window has 2,016 runs in a week).
///
/// # Errors
/// [`AwsError`] for `ssm:DescribeMaintenanceWindowSchedule`.
pub async fn schedule(
    ctx: &AwsContext,
    window: &str,
    until_s: i64,
) -> Result<Vec<ScheduledRun>, AwsError> {
    let op = "ssm:DescribeMaintenanceWindowSchedule";
    let mut pages = ctx
        .ssm
        .describe_maintenance_window_schedule()
        .window_id(window)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ctx.error(op, e))?;
        let mut past = false;
        for s in page.scheduled_window_executions() {
            let at = s.execution_time().unwrap_or_default().to_owned();
            let at_s = parse_iso8601(&at);
            if at_s.is_some_and(|t| t > until_s) {
                past = true;
                break;
            }
            out.push(ScheduledRun {
                window_id: s.window_id().unwrap_or(window).to_owned(),
                name: s.name().unwrap_or_default().to_owned(),
                at,
                at_s,
            });
        }
        if past {
            break;
        }
    }
    Ok(out)
}

/// The windows that target managed node `node`
/// (DescribeMaintenanceWindowsForTarget, `ResourceType=INSTANCE`,
/// `Key=InstanceIds`), as (id, name).
///
/// # Errors
/// [`AwsError`] for `ssm:DescribeMaintenanceWindowsForTarget`.
pub async fn windows_for_node(
    ctx: &AwsContext,
    node: &str,
) -> Result<Vec<(String, String)>, AwsError> {
    let op = "ssm:DescribeMaintenanceWindowsForTarget";
    let target = Target::builder().key("InstanceIds").values(node).build();
    let mut pages = ctx
        .ssm
        .describe_maintenance_windows_for_target()
        .targets(target)
        .resource_type(aws_sdk_ssm::types::MaintenanceWindowResourceType::Instance)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ctx.error(op, e))?;
        out.extend(page.window_identities().iter().map(|w| {
            (
                w.window_id().unwrap_or_default().to_owned(),
                w.name().unwrap_or_default().to_owned(),
            )
        }));
    }
    Ok(out)
}

/// A window that targets a node, with its last runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NodeWindow {
    /// The window id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its newest executions (at most [`NODE_RUNS`]), newest first.
    pub last: Vec<Execution>,
}

/// How many of a window's newest executions the node details show.
pub const NODE_RUNS: usize = 3;

/// How many of a node's windows get their executions read (the node
/// details name the rest).
pub const NODE_WINDOWS_READ: usize = 10;

/// The windows that target managed node `node`
/// ([`windows_for_node`]) and, for the first [`NODE_WINDOWS_READ`] of
/// them, their [`NODE_RUNS`] newest executions (one
/// DescribeMaintenanceWindowExecutions page of 10 each: only the newest
/// are wanted, so it is not paged further).
///
/// # Errors
/// [`AwsError`] of the first call that fails.
pub async fn node_windows(ctx: &AwsContext, node: &str) -> Result<Vec<NodeWindow>, AwsError> {
    let op = "ssm:DescribeMaintenanceWindowExecutions";
    let mut out = Vec::new();
    for (i, (id, name)) in windows_for_node(ctx, node).await?.into_iter().enumerate() {
        let mut last = Vec::new();
        if i < NODE_WINDOWS_READ {
            let page = ctx
                .ssm
                .describe_maintenance_window_executions()
                .window_id(&id)
                .max_results(10)
                .send()
                .await
                .map_err(|e| ctx.error(op, e))?;
            last = page.window_executions().iter().map(execution_of).collect();
            last.sort_by_key(|x| std::cmp::Reverse(x.start_s));
            last.truncate(NODE_RUNS);
        }
        out.push(NodeWindow { id, name, last });
    }
    Ok(out)
}

/// Stops a running execution (CancelMaintenanceWindowExecution): its
/// status becomes `CANCELLING`, then `CANCELLED`; tasks not started do
/// not start.
///
/// # Errors
/// [`AwsError`] for `ssm:CancelMaintenanceWindowExecution`
/// (`DoesNotExistException`).
pub async fn cancel_execution(ctx: &AwsContext, execution: &str) -> Result<(), AwsError> {
    ctx.ssm
        .cancel_maintenance_window_execution()
        .window_execution_id(execution)
        .send()
        .await
        .map_err(|e| ctx.error("ssm:CancelMaintenanceWindowExecution", e))?;
    Ok(())
}

/// Enables or disables window `window` (UpdateMaintenanceWindow with
/// `Enabled` only: every other field is kept). Returns whether it is
/// enabled now, as AWS answers.
///
/// # Errors
/// [`AwsError`] for `ssm:UpdateMaintenanceWindow` (`DoesNotExistException`).
pub async fn set_enabled(ctx: &AwsContext, window: &str, enabled: bool) -> Result<bool, AwsError> {
    let out = ctx
        .ssm
        .update_maintenance_window()
        .window_id(window)
        .enabled(enabled)
        .send()
        .await
        .map_err(|e| ctx.error("ssm:UpdateMaintenanceWindow", e))?;
    Ok(out.enabled())
}

/// The change calendars of the account and region (ListDocuments with
/// `DocumentType=ChangeCalendar`, every page), by name.
///
/// # Errors
/// [`AwsError`] for `ssm:ListDocuments`.
pub async fn calendars(ctx: &AwsContext) -> Result<Vec<String>, AwsError> {
    let op = "ssm:ListDocuments";
    let filter = DocumentFilter::builder()
        .key(DocumentFilterKey::DocumentType)
        .value("ChangeCalendar")
        .build()
        .map_err(|e| AwsError::local(op, e))?;
    let mut pages = ctx
        .ssm
        .list_documents()
        .document_filter_list(filter)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ctx.error(op, e))?;
        out.extend(
            page.document_identifiers()
                .iter()
                .filter_map(|d| d.name().map(str::to_owned)),
        );
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The state of calendar `name` now or at `at` (ISO 8601)
/// (GetCalendarState on that calendar alone, so a CLOSED answer names it).
///
/// # Errors
/// [`AwsError`] for `ssm:GetCalendarState` (`InvalidDocument`,
/// `InvalidDocumentType`, `UnsupportedCalendarException`).
pub async fn calendar_state(
    ctx: &AwsContext,
    name: &str,
    at: Option<&str>,
) -> Result<Calendar, AwsError> {
    let out = ctx
        .ssm
        .get_calendar_state()
        .calendar_names(name)
        .set_at_time(at.map(str::to_owned))
        .send()
        .await
        .map_err(|e| ctx.error("ssm:GetCalendarState", e))?;
    Ok(Calendar {
        name: name.to_owned(),
        // A state AWS did not give (or one this SDK does not know) is
        // not taken as OPEN.
        open: out.state() == Some(&SdkCalendarState::Open),
        at: out.at_time().unwrap_or_default().to_owned(),
        next_transition: out.next_transition_time().map(str::to_owned),
    })
}

/// How a change calendar stands now and over the next `until_s`: its
/// state now and the CLOSED spans ahead (epoch seconds, the end `None`
/// when no transition follows).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Timeline {
    /// The state now.
    pub now: Calendar,
    /// When "now" was, epoch seconds (the first span starts there).
    pub from_s: i64,
    /// CLOSED spans from now until the horizon, in order.
    pub closed: Vec<(i64, Option<i64>)>,
    /// Why the state could not be read (the calendar is listed but
    /// GetCalendarState failed): its state is unknown, and a send treats
    /// it as CLOSED.
    pub error: Option<String>,
}

impl Timeline {
    /// Whether the calendar is CLOSED at `t` (epoch seconds), as far as
    /// the spans read reach; a time before the check (a run due a few
    /// seconds ago, AWS writes minutes only) is judged by the state then.
    pub fn closed_at(&self, t: i64) -> bool {
        let t = t.max(self.from_s);
        self.error.is_some()
            || self
                .closed
                .iter()
                .any(|(a, b)| *a <= t && b.is_none_or(|b| t < b))
    }
}

/// Most GetCalendarState calls one [`timeline`] makes (a calendar that
/// flips every hour stops there).
pub const TIMELINE_STEPS: usize = 48;

/// Calendar `name` from `from_s` to `until_s` (epoch seconds): its state
/// at `from_s`, then at each `NextTransitionTime` AWS gives until the
/// horizon (GetCalendarState with `AtTime`, at most [`TIMELINE_STEPS`]
/// calls), so AWS evaluates the events (recurrences included) and the
/// console only reads its answers.
///
/// # Errors
/// [`AwsError`] for `ssm:GetCalendarState`.
pub async fn timeline(
    ctx: &AwsContext,
    name: &str,
    from_s: i64,
    until_s: i64,
) -> Result<Timeline, AwsError> {
    let now = calendar_state(ctx, name, Some(&iso8601(from_s))).await?;
    let mut closed = Vec::new();
    let (mut open, mut at, mut next) = (
        now.open,
        from_s,
        now.next_transition.as_deref().and_then(parse_iso8601),
    );
    for _ in 0..TIMELINE_STEPS {
        if !open {
            closed.push((at, next));
        }
        let Some(t) = next.filter(|t| *t <= until_s && *t > at) else {
            break;
        };
        let s = calendar_state(ctx, name, Some(&iso8601(t))).await?;
        (open, at, next) = (
            s.open,
            t,
            s.next_transition.as_deref().and_then(parse_iso8601),
        );
    }
    Ok(Timeline {
        now,
        from_s,
        closed,
        error: None,
    })
}

/// Epoch seconds as ISO 8601 UTC (`2026-12-03T18:00:00Z`), as
/// GetCalendarState's `AtTime` takes it.
pub fn iso8601(epoch_s: i64) -> String {
    aws_smithy_types::DateTime::from_secs(epoch_s)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

/// The iCalendar text of calendar `name` (GetDocument, format TEXT).
///
/// # Errors
/// [`AwsError`] for `ssm:GetDocument` (`InvalidDocument`).
pub async fn calendar_content(ctx: &AwsContext, name: &str) -> Result<String, AwsError> {
    let out = ctx
        .ssm
        .get_document()
        .name(name)
        .document_format(DocumentFormat::Text)
        .send()
        .await
        .map_err(|e| ctx.error("ssm:GetDocument", e))?;
    Ok(out.content().unwrap_or_default().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_iso_times_read_with_and_without_seconds_and_offsets() {
        let base = days_from_civil(2026, 12, 3) * 86_400 + 18 * 3600;
        assert_eq!(parse_iso8601("2026-12-03T18:00Z"), Some(base));
        assert_eq!(parse_iso8601("2026-12-03T18:00:00Z"), Some(base));
        assert_eq!(parse_iso8601("2026-12-03T18:00:00.123Z"), Some(base));
        assert_eq!(parse_iso8601("2026-12-03T19:00+01:00"), Some(base));
        assert_eq!(parse_iso8601("2026-12-03T13:00:00-05:00"), Some(base));
        assert_eq!(parse_iso8601("2026-12-03T23:30+0530"), Some(base));
        assert_eq!(parse_iso8601("2026-12-03T23:30+0530"), Some(base));
        assert_eq!(parse_iso8601("1970-01-01T00:00Z"), Some(0));
        assert_eq!(parse_iso8601("2024-02-29T00:00Z"), Some(1_709_164_800));
        for bad in [
            "",
            "tomorrow",
            "2026-13-01T00:00Z",
            "2026-12-03",
            "2026-12-03T25:00Z",
            "2026-02-31T00:00Z",
            "2026-12-03T18:00Zjunk",
            "2026-12-03T18:00+01:00:00",
            "99999999-12-03T18:00Z",
            "2026-12-03T18:00+€1",
        ] {
            assert_eq!(parse_iso8601(bad), None, "{bad}");
        }
    }
}
