//! Maintenance windows: windows, their targets and tasks (register,
//! describe, get a task, deregister), executions with
//! their task executions and task invocations, the schedule, and a
//! scheduler that opens enabled windows on the lab's clock (the real clock)
//! and sends their RUN_COMMAND tasks through the lab's Run Command engine,
//! so the invocations really run on the simulated nodes.
//!
//! Shapes and errors are the service model's (botocore `ssm` 2014-11-06):
//! only the error codes the model lists for each operation, plus the
//! common `ValidationException` for malformed input. List calls page with
//! MaxResults (10 … 100 for the Describe* calls of windows, targets, tasks
//! and executions) and the lab's opaque NextToken; the model lists no
//! `InvalidNextToken` for these operations, so a bad token is a
//! `ValidationException`.
//!
//! Times: `CreatedDate`, `StartTime`, `EndTime` are epoch seconds (the
//! model's `timestamp`); `NextExecutionTime` and a scheduled
//! `ExecutionTime` are ISO-8601 strings in UTC with minutes
//! (`2026-12-06T03:00Z`). Schedules are [`crate::cron`] expressions.
//!
//! Cutoff: once an execution reaches its window's cutoff (Duration −
//! Cutoff hours after it opened) no further task starts (those tasks end
//! TIMED_OUT, "not started: the cutoff was reached"), and a RUN_COMMAND task
//! with CutoffBehavior CANCEL_TASK has its commands cancelled and ends
//! TIMED_OUT, as the API reference describes; the execution then ends
//! TIMED_OUT.
//!
//! Departures, on purpose: the end of Duration itself stops nothing;
//! AUTOMATION, LAMBDA and STEP_FUNCTIONS tasks are accepted and recorded,
//! and when a window opens such a task ends FAILED ("not run by the
//! lab"); the seeded history's RUN_COMMAND invocations name commands
//! recorded as already finished where `LabConfig::history_commands` asks
//! (no process ran for them), else command ids that do not exist.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::LabState;
use crate::cron::{Schedule, Zone, iso_minutes, parse_iso, parse_iso_in};
use crate::fleet::LabNode;
use crate::params::{ApiError, err, now_s, validation};
use crate::validate;

/// Windows per account (Systems Manager quota).
pub const MAX_WINDOWS: usize = 50;
/// Targets per window (quota).
pub const MAX_TARGETS: usize = 50;
/// Tasks per window (quota).
pub const MAX_TASKS: usize = 20;
/// How often a running execution looks at its commands.
const POLL: Duration = Duration::from_millis(250);

/// One registered target of a window.
#[derive(Debug, Clone)]
struct Target {
    id: String,
    resource_type: String,
    /// `[{"Key": …, "Values": […]}]` as registered.
    targets: Value,
    owner: Option<String>,
    name: Option<String>,
    description: Option<String>,
}

/// One registered task of a window.
#[derive(Debug, Clone)]
struct Task {
    id: String,
    /// The document (RUN_COMMAND, AUTOMATION) or ARN.
    arn: String,
    kind: String,
    /// `[{"Key": "WindowTargetIds" | "InstanceIds", "Values": […]}]`.
    targets: Value,
    priority: u64,
    max_concurrency: Option<String>,
    max_errors: Option<String>,
    name: Option<String>,
    description: Option<String>,
    service_role: Option<String>,
    /// `TaskParameters` as registered (the legacy map), if any.
    task_parameters: Option<Value>,
    /// `TaskInvocationParameters` as registered, if any.
    invocation: Option<Value>,
    cutoff_behavior: Option<String>,
}

impl Task {
    /// The Run Command document parameters: `TaskInvocationParameters.
    /// RunCommand.Parameters`, else the legacy `TaskParameters` values.
    fn run_parameters(&self) -> Value {
        if let Some(p) = self
            .invocation
            .as_ref()
            .and_then(|i| i.pointer("/RunCommand/Parameters"))
        {
            return p.clone();
        }
        let mut out = serde_json::Map::new();
        if let Some(Value::Object(m)) = &self.task_parameters {
            for (k, v) in m {
                out.insert(k.clone(), v.get("Values").cloned().unwrap_or(json!([])));
            }
        }
        Value::Object(out)
    }

    fn run_option(&self, key: &str) -> Option<&Value> {
        self.invocation.as_ref()?.get("RunCommand")?.get(key)
    }
}

/// One maintenance window.
#[derive(Debug, Clone)]
struct Window {
    id: String,
    name: String,
    description: Option<String>,
    schedule: String,
    parsed: Schedule,
    timezone: Option<String>,
    offset_days: Option<i64>,
    duration: i64,
    cutoff: i64,
    allow_unassociated: bool,
    enabled: bool,
    start_date: Option<String>,
    end_date: Option<String>,
    created: f64,
    modified: f64,
    /// The next time it opens (epoch seconds); `None` when disabled or over.
    next: Option<i64>,
    targets: Vec<Target>,
    tasks: Vec<Task>,
}

impl Window {
    fn zone(&self) -> Zone {
        self.timezone
            .as_deref()
            .and_then(crate::cron::zone)
            .unwrap_or(crate::cron::UTC)
    }

    /// The first opening strictly after `after` (epoch seconds), within
    /// StartDate … EndDate; `None` when disabled or past the end.
    fn compute_next(&self, after: i64) -> Option<i64> {
        if !self.enabled {
            return None;
        }
        let zone = self.zone();
        let start = self
            .start_date
            .as_deref()
            .and_then(|s| parse_iso_in(s, zone));
        let anchor = start.unwrap_or(self.created as i64);
        let shift = self.offset_days.unwrap_or(0) * 86_400;
        let after = start.map_or(after, |s| after.max(s - 1));
        let t = self.parsed.next_after(after - shift, zone, anchor)? + shift;
        let end = self.end_date.as_deref().and_then(|s| parse_iso_in(s, zone));
        if end.is_some_and(|e| t > e) {
            return None;
        }
        Some(t)
    }

    /// `GetMaintenanceWindow`'s answer (and, without the dates and
    /// NextExecutionTime, UpdateMaintenanceWindow's).
    fn json(&self) -> Value {
        let mut v = json!({
            "WindowId": self.id,
            "Name": self.name,
            "Schedule": self.schedule,
            "Duration": self.duration,
            "Cutoff": self.cutoff,
            "AllowUnassociatedTargets": self.allow_unassociated,
            "Enabled": self.enabled,
            "CreatedDate": self.created,
            "ModifiedDate": self.modified,
        });
        self.optional(&mut v);
        if let Some(n) = self.next {
            v["NextExecutionTime"] = json!(iso_minutes(n));
        }
        v
    }

    fn optional(&self, v: &mut Value) {
        for (k, x) in [
            ("Description", &self.description),
            ("ScheduleTimezone", &self.timezone),
            ("StartDate", &self.start_date),
            ("EndDate", &self.end_date),
        ] {
            if let Some(x) = x {
                v[k] = json!(x);
            }
        }
        if let Some(o) = self.offset_days {
            v["ScheduleOffset"] = json!(o);
        }
    }

    /// A `MaintenanceWindowIdentity` (DescribeMaintenanceWindows).
    fn identity(&self) -> Value {
        let mut v = json!({
            "WindowId": self.id,
            "Name": self.name,
            "Enabled": self.enabled,
            "Duration": self.duration,
            "Cutoff": self.cutoff,
            "Schedule": self.schedule,
        });
        self.optional(&mut v);
        if let Some(n) = self.next {
            v["NextExecutionTime"] = json!(iso_minutes(n));
        }
        v
    }
}

/// One task invocation of a task execution.
#[derive(Debug, Clone)]
struct Invocation {
    id: String,
    /// The Run Command CommandId of a RUN_COMMAND invocation.
    execution_id: String,
    status: &'static str,
    details: String,
    start: Option<f64>,
    end: Option<f64>,
    owner: Option<String>,
    target_id: Option<String>,
    /// The invocation's parameters, a JSON string as AWS gives it.
    parameters: String,
}

/// One task of an execution.
#[derive(Debug, Clone)]
struct TaskExecution {
    id: String,
    arn: String,
    kind: String,
    priority: u64,
    max_concurrency: Option<String>,
    max_errors: Option<String>,
    service_role: Option<String>,
    /// `[{"name": {"Values": […]}}]`.
    parameters: Value,
    status: &'static str,
    details: String,
    start: Option<f64>,
    end: Option<f64>,
    invocations: Vec<Invocation>,
    /// The window task it runs.
    window_task: Task,
}

/// One execution of a window.
#[derive(Debug, Clone)]
struct Execution {
    id: String,
    window_id: String,
    status: &'static str,
    details: String,
    start: f64,
    end: Option<f64>,
    tasks: Vec<TaskExecution>,
    /// CancelMaintenanceWindowExecution was called.
    cancel: bool,
    /// When the window's cutoff comes (epoch seconds): the start plus
    /// Duration − Cutoff hours. No task starts after it, and a
    /// RUN_COMMAND task with CutoffBehavior CANCEL_TASK is cancelled.
    cutoff_at: f64,
    /// The cutoff stopped a task.
    cut: bool,
}

impl Execution {
    fn running(&self) -> bool {
        matches!(self.status, "PENDING" | "IN_PROGRESS" | "CANCELLING")
    }
}

/// A ClientToken seen before: the operation, the fingerprint of its
/// request and the id it answered.
#[derive(Debug, Clone)]
struct Token {
    op: &'static str,
    token: String,
    request: u64,
    answer: String,
}

/// One tenant's maintenance windows and their executions.
#[derive(Debug, Default)]
pub struct MaintenanceStore {
    windows: Vec<Window>,
    executions: Vec<Execution>,
    tokens: Vec<Token>,
    /// Makes this tenant's ids its own.
    salt: u64,
    serial: u64,
}

/// Execution statuses of the model's `MaintenanceWindowExecutionStatus`.
pub const EXECUTION_STATUSES: &[&str] = &[
    "PENDING",
    "IN_PROGRESS",
    "SUCCESS",
    "FAILED",
    "TIMED_OUT",
    "CANCELLING",
    "CANCELLED",
    "SKIPPED_OVERLAPPING",
];

impl MaintenanceStore {
    /// An empty store whose ids are drawn from `account` and `region`.
    pub(crate) fn for_tenant(account: &str, region: &str) -> Self {
        MaintenanceStore {
            salt: crate::paging::fingerprint([account.as_bytes(), region.as_bytes()]),
            ..MaintenanceStore::default()
        }
    }

    fn draw(&mut self) -> (u64, u64) {
        self.serial += 1;
        let s = self.serial.to_le_bytes();
        let a = crate::paging::fingerprint([&self.salt.to_le_bytes()[..], &s[..], b"a"]);
        let b = crate::paging::fingerprint([&self.salt.to_le_bytes()[..], &s[..], b"b"]);
        (a, b)
    }

    /// A fresh `mw-` + 17 hex digits.
    fn window_id(&mut self) -> String {
        let (a, b) = self.draw();
        format!("mw-{:x}{a:016x}", b & 0xf)
    }

    /// A fresh version-4-shaped UUID.
    fn uuid(&mut self) -> String {
        let (a, b) = self.draw();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            8 + (b >> 62),
            (b >> 48) & 0xfff,
            b & 0xffff_ffff_ffff
        )
    }

    fn window(&self, id: &str) -> Result<&Window, ApiError> {
        self.windows
            .iter()
            .find(|w| w.id == id)
            .ok_or_else(|| missing_window(id))
    }

    fn window_mut(&mut self, id: &str) -> Result<&mut Window, ApiError> {
        self.windows
            .iter_mut()
            .find(|w| w.id == id)
            .ok_or_else(|| missing_window(id))
    }

    fn execution(&self, id: &str) -> Result<&Execution, ApiError> {
        self.executions.iter().find(|e| e.id == id).ok_or_else(|| {
            err(
                "DoesNotExistException",
                format!("Maintenance window execution {id} does not exist"),
            )
        })
    }

    /// The id a ClientToken answered before, `None` for a new token;
    /// the same token with another request is `IdempotentParameterMismatch`.
    fn replay(&self, op: &'static str, body: &Value) -> Result<Option<String>, ApiError> {
        let Some(token) = body.get("ClientToken").and_then(Value::as_str) else {
            return Ok(None);
        };
        validate::length("clientToken", token, 1, 64)?;
        let request = request_print(body);
        match self.tokens.iter().find(|t| t.op == op && t.token == token) {
            None => Ok(None),
            Some(t) if t.request == request => Ok(Some(t.answer.clone())),
            Some(_) => Err(err(
                "IdempotentParameterMismatch",
                format!("The ClientToken {token} was used before with other parameters."),
            )),
        }
    }

    fn remember(&mut self, op: &'static str, body: &Value, answer: &str) {
        if let Some(token) = body.get("ClientToken").and_then(Value::as_str) {
            self.tokens.push(Token {
                op,
                token: token.to_owned(),
                request: request_print(body),
                answer: answer.to_owned(),
            });
        }
    }
}

fn missing_window(id: &str) -> ApiError {
    err(
        "DoesNotExistException",
        format!("Maintenance window {id} does not exist"),
    )
}

/// The fingerprint of a request without its ClientToken.
fn request_print(body: &Value) -> u64 {
    let mut b = body.clone();
    if let Some(m) = b.as_object_mut() {
        m.remove("ClientToken");
    }
    crate::paging::fingerprint([b.to_string().as_bytes()])
}

fn text<'a>(body: &'a Value, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str)
}

/// The `ValidationException` of a required member `key` missing (or not
/// of its type).
fn missing(key: &str) -> ApiError {
    validation(format!(
        "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
        lower_first(key)
    ))
}

/// A required string member (else `ValidationException`).
fn required<'a>(body: &'a Value, key: &str) -> Result<&'a str, ApiError> {
    text(body, key).ok_or_else(|| missing(key))
}

fn lower_first(key: &str) -> String {
    let mut c = key.chars();
    c.next()
        .map(|f| f.to_ascii_lowercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// An integer member within `min ..= max` (else `ValidationException`).
fn int_in(body: &Value, key: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
    let Some(v) = body.get(key).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    match v.as_i64() {
        Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
        _ => Err(validation(format!(
            "1 validation error detected: Value '{v}' at '{}' failed to satisfy constraint: Member must have value between {min} and {max}",
            lower_first(key)
        ))),
    }
}

fn id_member<'a>(body: &'a Value, key: &str, pattern: &str) -> Result<&'a str, ApiError> {
    let v = required(body, key)?;
    validate::pattern(&lower_first(key), v, pattern)?;
    Ok(v)
}

fn optional_text(
    body: &Value,
    key: &str,
    min: usize,
    max: usize,
) -> Result<Option<String>, ApiError> {
    match text(body, key) {
        None => Ok(None),
        Some(v) => {
            validate::length(&lower_first(key), v, min, max)?;
            Ok(Some(v.to_owned()))
        }
    }
}

fn name_member(body: &Value, key: &str) -> Result<Option<String>, ApiError> {
    match text(body, key) {
        None => Ok(None),
        Some(v) => {
            validate::pattern(&lower_first(key), v, validate::WINDOW_NAME)?;
            Ok(Some(v.to_owned()))
        }
    }
}

/// The checked schedule settings of a window: the schedule, its zone,
/// offset, start and end, duration and cutoff (`ValidationException` for
/// a bad expression, an unknown zone, a cutoff not below the duration, an
/// end before the start or in the past).
struct ScheduleSettings {
    schedule: String,
    parsed: Schedule,
    timezone: Option<String>,
    offset_days: Option<i64>,
    start_date: Option<String>,
    end_date: Option<String>,
    duration: i64,
    cutoff: i64,
}

fn check_schedule(s: ScheduleSettings, now: i64) -> Result<ScheduleSettings, ApiError> {
    validate::length("schedule", &s.schedule, 1, 256)?;
    if let Some(z) = &s.timezone
        && crate::cron::zone(z).is_none()
    {
        return Err(validation(format!(
            "Invalid ScheduleTimezone {z}: the lab knows UTC, fixed-offset IANA zones (Asia/Tokyo, America/Phoenix, Etc/GMT+5 …) and the main North American and European zones (America/New_York, Europe/London …)."
        )));
    }
    if s.offset_days.is_some() && !matches!(s.parsed, Schedule::Cron(_)) {
        return Err(validation(
            "ScheduleOffset can only be used with a cron expression.",
        ));
    }
    if s.cutoff >= s.duration {
        return Err(validation(format!(
            "The cutoff ({} hours) must be less than the duration ({} hours).",
            s.cutoff, s.duration
        )));
    }
    let zone = s
        .timezone
        .as_deref()
        .and_then(crate::cron::zone)
        .unwrap_or(crate::cron::UTC);
    let date = |d: &Option<String>, what: &str| -> Result<Option<i64>, ApiError> {
        d.as_deref()
            .map(|x| {
                parse_iso_in(x, zone).ok_or_else(|| {
                    validation(format!("{what} {x} is not an ISO-8601 date and time."))
                })
            })
            .transpose()
    };
    let start = date(&s.start_date, "StartDate")?;
    let end = date(&s.end_date, "EndDate")?;
    if let Some(e) = end {
        if e <= now {
            return Err(validation("EndDate must be in the future."));
        }
        if start.is_some_and(|st| st >= e) {
            return Err(validation("EndDate must be after StartDate."));
        }
    }
    Ok(s)
}

fn parse_schedule(expr: &str) -> Result<Schedule, ApiError> {
    Schedule::parse(expr)
        .map_err(|why| validation(format!("Invalid schedule expression {expr}: {why}.")))
}

fn create_window(store: &mut MaintenanceStore, body: &Value, now: f64) -> Result<Value, ApiError> {
    if let Some(id) = store.replay("CreateMaintenanceWindow", body)? {
        return Ok(json!({ "WindowId": id }));
    }
    let name = name_member(body, "Name")?.ok_or_else(|| missing("Name"))?;
    let schedule = required(body, "Schedule")?.to_owned();
    let duration = int_in(body, "Duration", 1, 24)?.ok_or_else(|| missing("Duration"))?;
    let cutoff = int_in(body, "Cutoff", 0, 23)?.ok_or_else(|| missing("Cutoff"))?;
    let allow = body
        .get("AllowUnassociatedTargets")
        .and_then(Value::as_bool)
        .ok_or_else(|| missing("AllowUnassociatedTargets"))?;
    let description = optional_text(body, "Description", 1, 128)?;
    validate::tags("tags", body.get("Tags"))?;
    let s = check_schedule(
        ScheduleSettings {
            parsed: parse_schedule(&schedule)?,
            schedule,
            timezone: text(body, "ScheduleTimezone").map(str::to_owned),
            offset_days: int_in(body, "ScheduleOffset", 1, 6)?,
            start_date: text(body, "StartDate").map(str::to_owned),
            end_date: text(body, "EndDate").map(str::to_owned),
            duration,
            cutoff,
        },
        now as i64,
    )?;
    if store.windows.len() >= MAX_WINDOWS {
        return Err(err(
            "ResourceLimitExceededException",
            format!("An account can have at most {MAX_WINDOWS} maintenance windows."),
        ));
    }
    let id = store.window_id();
    let mut w = Window {
        id: id.clone(),
        name,
        description,
        schedule: s.schedule,
        parsed: s.parsed,
        timezone: s.timezone,
        offset_days: s.offset_days,
        duration: s.duration,
        cutoff: s.cutoff,
        allow_unassociated: allow,
        enabled: true,
        start_date: s.start_date,
        end_date: s.end_date,
        created: now,
        modified: now,
        next: None,
        targets: Vec::new(),
        tasks: Vec::new(),
    };
    w.next = w.compute_next(now as i64);
    store.windows.push(w);
    store.remember("CreateMaintenanceWindow", body, &id);
    Ok(json!({ "WindowId": id }))
}

fn update_window(store: &mut MaintenanceStore, body: &Value, now: f64) -> Result<Value, ApiError> {
    let id = id_member(body, "WindowId", validate::WINDOW_ID)?;
    let replace = body.get("Replace").and_then(Value::as_bool) == Some(true);
    if replace {
        for k in [
            "Name",
            "Schedule",
            "Duration",
            "Cutoff",
            "AllowUnassociatedTargets",
        ] {
            if body.get(k).is_none_or(Value::is_null) {
                return Err(validation(format!(
                    "With Replace, the required field {k} must be given."
                )));
            }
        }
    }
    let name = name_member(body, "Name")?;
    let description = optional_text(body, "Description", 1, 128)?;
    let duration = int_in(body, "Duration", 1, 24)?;
    let cutoff = int_in(body, "Cutoff", 0, 23)?;
    let offset = int_in(body, "ScheduleOffset", 1, 6)?;
    let w = store.window_mut(id)?;
    // Replace: optional fields not given are cleared.
    let keep = |given: Option<String>, old: &Option<String>| {
        given.or_else(|| if replace { None } else { old.clone() })
    };
    let schedule = text(body, "Schedule").map_or_else(|| w.schedule.clone(), str::to_owned);
    let s = check_schedule(
        ScheduleSettings {
            parsed: parse_schedule(&schedule)?,
            schedule,
            timezone: keep(
                text(body, "ScheduleTimezone").map(str::to_owned),
                &w.timezone,
            ),
            offset_days: offset.or(if replace { None } else { w.offset_days }),
            start_date: keep(text(body, "StartDate").map(str::to_owned), &w.start_date),
            end_date: keep(text(body, "EndDate").map(str::to_owned), &w.end_date),
            duration: duration.unwrap_or(w.duration),
            cutoff: cutoff.unwrap_or(w.cutoff),
        },
        now as i64,
    )?;
    if let Some(n) = name {
        w.name = n;
    }
    w.description = keep(description, &w.description);
    (w.schedule, w.parsed, w.timezone, w.offset_days) =
        (s.schedule, s.parsed, s.timezone, s.offset_days);
    (w.start_date, w.end_date, w.duration, w.cutoff) =
        (s.start_date, s.end_date, s.duration, s.cutoff);
    if let Some(a) = body
        .get("AllowUnassociatedTargets")
        .and_then(Value::as_bool)
    {
        w.allow_unassociated = a;
    }
    if let Some(e) = body.get("Enabled").and_then(Value::as_bool) {
        w.enabled = e;
    } else if replace {
        w.enabled = true;
    }
    w.modified = now;
    w.next = w.compute_next(now as i64);
    let mut out = w.json();
    if let Some(m) = out.as_object_mut() {
        for k in ["CreatedDate", "ModifiedDate", "NextExecutionTime"] {
            m.remove(k);
        }
    }
    Ok(out)
}

/// Checks a `Targets` list: 1 … 5 entries (`max`), keys `InstanceIds`,
/// `tag:<key>`, `tag-key`, `resource-groups:Name`,
/// `resource-groups:ResourceTypeFilters`, `WindowTargetIds`, and 1 … 50
/// values each.
fn check_targets(targets: Option<&Value>, max: usize) -> Result<Value, ApiError> {
    let list = targets
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if list.len() > max {
        return Err(validation(format!(
            "1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length less than or equal to {max}"
        )));
    }
    for (i, t) in list.iter().enumerate() {
        let key = t.get("Key").and_then(Value::as_str).unwrap_or("");
        let values = t.get("Values").and_then(Value::as_array);
        let known = matches!(
            key,
            "InstanceIds"
                | "WindowTargetIds"
                | "tag-key"
                | "resource-groups:Name"
                | "resource-groups:ResourceTypeFilters"
        ) || key.strip_prefix("tag:").is_some_and(|k| !k.is_empty());
        if !known {
            return Err(validation(format!(
                "Target key '{key}' at 'targets.{}.member.key' is not valid: use InstanceIds, tag:<key>, tag-key, resource-groups:Name or WindowTargetIds.",
                i + 1
            )));
        }
        if values.is_none_or(|v| v.is_empty() || v.len() > 50 || v.iter().any(|x| !x.is_string())) {
            return Err(validation(format!(
                "1 validation error detected: Value at 'targets.{}.member.values' failed to satisfy constraint: Member must have length between 1 and 50",
                i + 1
            )));
        }
    }
    Ok(Value::Array(list))
}

fn register_target(store: &mut MaintenanceStore, body: &Value) -> Result<Value, ApiError> {
    let window = id_member(body, "WindowId", validate::WINDOW_ID)?.to_owned();
    if let Some(id) = store.replay("RegisterTargetWithMaintenanceWindow", body)? {
        return Ok(json!({ "WindowTargetId": id }));
    }
    let rtype = required(body, "ResourceType")?.to_owned();
    if !matches!(rtype.as_str(), "INSTANCE" | "RESOURCE_GROUP") {
        return Err(validation(format!(
            "1 validation error detected: Value '{rtype}' at 'resourceType' failed to satisfy constraint: Member must satisfy enum value set: [INSTANCE, RESOURCE_GROUP]"
        )));
    }
    let targets = check_targets(body.get("Targets"), 5)?;
    if targets.as_array().is_none_or(Vec::is_empty) {
        return Err(required(body, "Targets")
            .err()
            .unwrap_or_else(|| validation("Targets must list at least one target.")));
    }
    if targets
        .as_array()
        .into_iter()
        .flatten()
        .any(|t| t["Key"] == "WindowTargetIds")
    {
        return Err(validation(
            "WindowTargetIds is a task target, not a window target.",
        ));
    }
    let owner = optional_text(body, "OwnerInformation", 1, 128)?;
    let name = name_member(body, "Name")?;
    let description = optional_text(body, "Description", 1, 128)?;
    if store.window(&window)?.targets.len() >= MAX_TARGETS {
        return Err(err(
            "ResourceLimitExceededException",
            format!("A maintenance window can have at most {MAX_TARGETS} targets."),
        ));
    }
    let id = store.uuid();
    store.window_mut(&window)?.targets.push(Target {
        id: id.clone(),
        resource_type: rtype,
        targets,
        owner,
        name,
        description,
    });
    store.remember("RegisterTargetWithMaintenanceWindow", body, &id);
    Ok(json!({ "WindowTargetId": id }))
}

/// The checked members of a RegisterTaskWithMaintenanceWindow request.
fn task_from(body: &Value, w: &Window) -> Result<Task, ApiError> {
    let arn = required(body, "TaskArn")?.to_owned();
    validate::length("taskArn", &arn, 1, 1600)?;
    let kind = required(body, "TaskType")?.to_owned();
    if !matches!(
        kind.as_str(),
        "RUN_COMMAND" | "AUTOMATION" | "STEP_FUNCTIONS" | "LAMBDA"
    ) {
        return Err(validation(format!(
            "1 validation error detected: Value '{kind}' at 'taskType' failed to satisfy constraint: Member must satisfy enum value set: [RUN_COMMAND, AUTOMATION, STEP_FUNCTIONS, LAMBDA]"
        )));
    }
    let targets = check_targets(body.get("Targets"), 5)?;
    for t in targets.as_array().into_iter().flatten() {
        let key = t["Key"].as_str().unwrap_or("");
        if key != "WindowTargetIds" && key != "InstanceIds" {
            return Err(validation(format!(
                "A task target is WindowTargetIds or InstanceIds, not {key}."
            )));
        }
        for v in t["Values"].as_array().into_iter().flatten() {
            let v = v.as_str().unwrap_or("");
            if key == "WindowTargetIds" && !w.targets.iter().any(|x| x.id == v) {
                return Err(err(
                    "DoesNotExistException",
                    format!(
                        "Maintenance window target {v} does not exist in window {}",
                        w.id
                    ),
                ));
            }
        }
    }
    let conc = text(body, "MaxConcurrency").map(str::to_owned);
    let errs = text(body, "MaxErrors").map(str::to_owned);
    let has_targets = targets.as_array().is_some_and(|t| !t.is_empty());
    if has_targets && (conc.is_none() || errs.is_none()) {
        return Err(validation(
            "MaxConcurrency and MaxErrors are required for a task with targets.",
        ));
    }
    for (field, v, p) in [
        ("maxConcurrency", &conc, validate::MAX_CONCURRENCY),
        ("maxErrors", &errs, validate::MAX_ERRORS),
    ] {
        if let Some(v) = v {
            validate::length(field, v, 1, 7)?;
            validate::pattern(field, v, p)?;
        }
    }
    if let Some(c) = text(body, "CutoffBehavior")
        && !matches!(c, "CONTINUE_TASK" | "CANCEL_TASK")
    {
        return Err(validation(format!(
            "1 validation error detected: Value '{c}' at 'cutoffBehavior' failed to satisfy constraint: Member must satisfy enum value set: [CONTINUE_TASK, CANCEL_TASK]"
        )));
    }
    Ok(Task {
        id: String::new(),
        arn,
        kind,
        targets,
        priority: int_in(body, "Priority", 0, i64::MAX)?.unwrap_or(1) as u64,
        max_concurrency: conc,
        max_errors: errs,
        name: name_member(body, "Name")?,
        description: optional_text(body, "Description", 1, 128)?,
        service_role: text(body, "ServiceRoleArn").map(str::to_owned),
        task_parameters: body.get("TaskParameters").cloned(),
        invocation: body.get("TaskInvocationParameters").cloned(),
        cutoff_behavior: text(body, "CutoffBehavior").map(str::to_owned),
    })
}

fn register_task(store: &mut MaintenanceStore, body: &Value) -> Result<Value, ApiError> {
    let window = id_member(body, "WindowId", validate::WINDOW_ID)?.to_owned();
    if let Some(id) = store.replay("RegisterTaskWithMaintenanceWindow", body)? {
        return Ok(json!({ "WindowTaskId": id }));
    }
    let w = store.window(&window)?;
    let mut task = task_from(body, w)?;
    if task.kind == "RUN_COMMAND" && !crate::commands::document_exists(&task.arn) {
        return Err(validation(format!(
            "Document {} does not exist (the lab runs AWS-RunShellScript and AWS-RunPowerShellScript).",
            task.arn
        )));
    }
    if w.tasks.len() >= MAX_TASKS {
        return Err(err(
            "ResourceLimitExceededException",
            format!("A maintenance window can have at most {MAX_TASKS} tasks."),
        ));
    }
    task.id = store.uuid();
    let id = task.id.clone();
    store.window_mut(&window)?.tasks.push(task);
    store.remember("RegisterTaskWithMaintenanceWindow", body, &id);
    Ok(json!({ "WindowTaskId": id }))
}

/// Checked `Filters` (`[{Key, Values}]`): keys from `allowed`, 1 … 128
/// characters, values 1 … 256 characters.
fn filters(body: &Value, allowed: &[&str]) -> Result<Vec<(String, Vec<String>)>, ApiError> {
    let mut out = Vec::new();
    for (i, f) in body
        .get("Filters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let key = f.get("Key").and_then(Value::as_str).unwrap_or("");
        validate::length(&format!("filters.{}.member.key", i + 1), key, 1, 128)?;
        if !allowed.contains(&key) {
            return Err(validation(format!(
                "The filter key {key} is not valid here. Valid keys: {}.",
                allowed.join(", ")
            )));
        }
        let mut values = Vec::new();
        for v in f
            .get("Values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let v = v.as_str().unwrap_or("");
            validate::length(&format!("filters.{}.member.values", i + 1), v, 1, 256)?;
            values.push(v.to_owned());
        }
        out.push((key.to_owned(), values));
    }
    Ok(out)
}

/// Whether every filter with key `key` lets `value` through.
fn passes(filters: &[(String, Vec<String>)], key: &str, value: &str) -> bool {
    filters
        .iter()
        .filter(|(k, _)| k == key)
        .all(|(_, vs)| vs.iter().any(|v| v == value))
}

/// One page under MaxResults `min ..= max` (default `max`) and NextToken
/// (a bad token is a `ValidationException`: the model lists no
/// InvalidNextToken for these operations).
fn page_of<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    body: &Value,
    min: u64,
    max: u64,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let limit = match body.get("MaxResults").filter(|v| !v.is_null()) {
        None => max as usize,
        Some(v) => match v.as_u64() {
            Some(n) if (min..=max).contains(&n) => n as usize,
            _ => {
                return Err(validation(format!(
                    "1 validation error detected: Value '{v}' at 'maxResults' failed to satisfy constraint: Member must have value between {min} and {max}"
                )));
            }
        },
    };
    let token = body.get("NextToken").and_then(Value::as_str);
    crate::paging::page_by(items, key, token, limit)
        .map_err(|_| validation("The specified NextToken isn't valid."))
}

fn listed(key: &str, (list, next): (Vec<Value>, Option<String>)) -> Value {
    crate::commands::listed(key, list, next)
}

fn describe_windows(store: &MaintenanceStore, body: &Value) -> Result<Value, ApiError> {
    let f = filters(body, &["Name", "Enabled"])?;
    let items: Vec<&Window> = store
        .windows
        .iter()
        .filter(|w| passes(&f, "Name", &w.name))
        .filter(|w| passes(&f, "Enabled", if w.enabled { "true" } else { "false" }))
        .collect();
    let (page, next) = page_of(items, |w| w.id.clone(), body, 10, 100)?;
    Ok(listed(
        "WindowIdentities",
        (page.into_iter().map(Window::identity).collect(), next),
    ))
}

fn target_json(window: &str, t: &Target) -> Value {
    let mut v = json!({
        "WindowId": window,
        "WindowTargetId": t.id,
        "ResourceType": t.resource_type,
        "Targets": t.targets,
    });
    for (k, x) in [
        ("OwnerInformation", &t.owner),
        ("Name", &t.name),
        ("Description", &t.description),
    ] {
        if let Some(x) = x {
            v[k] = json!(x);
        }
    }
    v
}

fn describe_targets(store: &MaintenanceStore, body: &Value) -> Result<Value, ApiError> {
    let w = store.window(id_member(body, "WindowId", validate::WINDOW_ID)?)?;
    let f = filters(body, &["Type", "WindowTargetId", "OwnerInformation"])?;
    let items: Vec<&Target> = w
        .targets
        .iter()
        .filter(|t| passes(&f, "Type", &t.resource_type))
        .filter(|t| passes(&f, "WindowTargetId", &t.id))
        .filter(|t| passes(&f, "OwnerInformation", t.owner.as_deref().unwrap_or("")))
        .collect();
    let (page, next) = page_of(items, |t| t.id.clone(), body, 10, 100)?;
    let list = page.into_iter().map(|t| target_json(&w.id, t)).collect();
    Ok(listed("Targets", (list, next)))
}

fn task_json(window: &str, t: &Task) -> Value {
    let mut v = json!({
        "WindowId": window,
        "WindowTaskId": t.id,
        "TaskArn": t.arn,
        "Type": t.kind,
        "Targets": t.targets,
        "Priority": t.priority,
    });
    for (k, x) in [
        ("MaxConcurrency", &t.max_concurrency),
        ("MaxErrors", &t.max_errors),
        ("Name", &t.name),
        ("Description", &t.description),
        ("ServiceRoleArn", &t.service_role),
        ("CutoffBehavior", &t.cutoff_behavior),
    ] {
        if let Some(x) = x {
            v[k] = json!(x);
        }
    }
    if let Some(p) = &t.task_parameters {
        v["TaskParameters"] = p.clone();
    }
    v
}

fn describe_tasks(store: &MaintenanceStore, body: &Value) -> Result<Value, ApiError> {
    let w = store.window(id_member(body, "WindowId", validate::WINDOW_ID)?)?;
    let f = filters(body, &["WindowTaskId", "TaskArn", "Priority", "TaskType"])?;
    let items: Vec<&Task> = w
        .tasks
        .iter()
        .filter(|t| passes(&f, "WindowTaskId", &t.id))
        .filter(|t| passes(&f, "TaskArn", &t.arn))
        .filter(|t| passes(&f, "Priority", &t.priority.to_string()))
        .filter(|t| passes(&f, "TaskType", &t.kind))
        .collect();
    let (page, next) = page_of(
        items,
        |t| format!("{:020}{}", t.priority, t.id),
        body,
        10,
        100,
    )?;
    let list = page.into_iter().map(|t| task_json(&w.id, t)).collect();
    Ok(listed("Tasks", (list, next)))
}

fn times(v: &mut Value, start: Option<f64>, end: Option<f64>) {
    if let Some(s) = start {
        v["StartTime"] = json!(s);
    }
    if let Some(e) = end {
        v["EndTime"] = json!(e);
    }
}

fn execution_json(e: &Execution, full: bool) -> Value {
    let mut v = json!({
        "WindowExecutionId": e.id,
        "Status": e.status,
        "StatusDetails": e.details,
    });
    if full {
        v["TaskIds"] = json!(e.tasks.iter().map(|t| t.id.clone()).collect::<Vec<_>>());
    } else {
        v["WindowId"] = json!(e.window_id);
    }
    times(&mut v, Some(e.start), e.end);
    v
}

fn describe_executions(store: &MaintenanceStore, body: &Value) -> Result<Value, ApiError> {
    let window = id_member(body, "WindowId", validate::WINDOW_ID)?;
    let f = filters(body, &["ExecutionStatus", "StartedAfter", "StartedBefore"])?;
    let mut bounds = (f64::MIN, f64::MAX);
    for (k, vs) in &f {
        let when = |v: &String| {
            parse_iso(v, 0).ok_or_else(|| {
                validation(format!(
                    "The {k} filter value {v} is not an ISO-8601 date and time."
                ))
            })
        };
        for v in vs {
            match k.as_str() {
                "StartedAfter" => bounds.0 = bounds.0.max(when(v)? as f64),
                "StartedBefore" => bounds.1 = bounds.1.min(when(v)? as f64),
                _ if !EXECUTION_STATUSES.contains(&v.as_str()) => {
                    return Err(validation(format!(
                        "The ExecutionStatus filter value {v} is not valid. Valid values: {}.",
                        EXECUTION_STATUSES.join(", ")
                    )));
                }
                _ => {}
            }
        }
    }
    let items: Vec<&Execution> = store
        .executions
        .iter()
        .filter(|e| e.window_id == window)
        .filter(|e| passes(&f, "ExecutionStatus", e.status))
        .filter(|e| e.start >= bounds.0 && e.start <= bounds.1)
        .collect();
    let (page, next) = page_of(
        items,
        |e| format!("{}{}", crate::paging::desc(e.start), e.id),
        body,
        10,
        100,
    )?;
    let list = page.into_iter().map(|e| execution_json(e, false)).collect();
    Ok(listed("WindowExecutions", (list, next)))
}

fn task_execution<'a>(
    store: &'a MaintenanceStore,
    body: &Value,
) -> Result<(&'a Execution, &'a TaskExecution), ApiError> {
    let e = store.execution(id_member(body, "WindowExecutionId", validate::UUID)?)?;
    let task = id_member(body, "TaskId", validate::UUID)?;
    let t = e.tasks.iter().find(|t| t.id == task).ok_or_else(|| {
        err(
            "DoesNotExistException",
            format!(
                "Task {task} of maintenance window execution {} does not exist",
                e.id
            ),
        )
    })?;
    Ok((e, t))
}

fn task_execution_json(e: &Execution, t: &TaskExecution, full: bool) -> Value {
    let mut v = json!({
        "WindowExecutionId": e.id,
        "TaskExecutionId": t.id,
        "TaskArn": t.arn,
        "Status": t.status,
        "StatusDetails": t.details,
    });
    if full {
        v["Type"] = json!(t.kind);
        v["Priority"] = json!(t.priority);
        v["TaskParameters"] = t.parameters.clone();
        for (k, x) in [
            ("MaxConcurrency", &t.max_concurrency),
            ("MaxErrors", &t.max_errors),
            ("ServiceRole", &t.service_role),
        ] {
            if let Some(x) = x {
                v[k] = json!(x);
            }
        }
    } else {
        v["TaskType"] = json!(t.kind);
    }
    times(&mut v, t.start, t.end);
    v
}

fn describe_execution_tasks(store: &MaintenanceStore, body: &Value) -> Result<Value, ApiError> {
    let e = store.execution(id_member(body, "WindowExecutionId", validate::UUID)?)?;
    let f = filters(body, &["Status"])?;
    let items: Vec<(usize, &TaskExecution)> = e
        .tasks
        .iter()
        .enumerate()
        .filter(|(_, t)| passes(&f, "Status", t.status))
        .collect();
    let (page, next) = page_of(items, |(i, _)| format!("{i:08}"), body, 10, 100)?;
    let list = page
        .into_iter()
        .map(|(_, t)| task_execution_json(e, t, false))
        .collect();
    Ok(listed("WindowExecutionTaskIdentities", (list, next)))
}

fn invocation_json(e: &Execution, t: &TaskExecution, i: &Invocation) -> Value {
    let mut v = json!({
        "WindowExecutionId": e.id,
        "TaskExecutionId": t.id,
        "InvocationId": i.id,
        "ExecutionId": i.execution_id,
        "TaskType": t.kind,
        "Parameters": i.parameters,
        "Status": i.status,
        "StatusDetails": i.details,
    });
    if let Some(o) = &i.owner {
        v["OwnerInformation"] = json!(o);
    }
    if let Some(w) = &i.target_id {
        v["WindowTargetId"] = json!(w);
    }
    times(&mut v, i.start, i.end);
    v
}

fn describe_invocations(store: &MaintenanceStore, body: &Value) -> Result<Value, ApiError> {
    let (e, t) = task_execution(store, body)?;
    let f = filters(body, &["Status"])?;
    let items: Vec<(usize, &Invocation)> = t
        .invocations
        .iter()
        .enumerate()
        .filter(|(_, i)| passes(&f, "Status", i.status))
        .collect();
    let (page, next) = page_of(items, |(n, _)| format!("{n:08}"), body, 10, 100)?;
    let list = page
        .into_iter()
        .map(|(_, i)| invocation_json(e, t, i))
        .collect();
    Ok(listed(
        "WindowExecutionTaskInvocationIdentities",
        (list, next),
    ))
}

fn get_invocation(store: &MaintenanceStore, body: &Value) -> Result<Value, ApiError> {
    let (e, t) = task_execution(store, body)?;
    let id = id_member(body, "InvocationId", validate::UUID)?;
    let i = t.invocations.iter().find(|i| i.id == id).ok_or_else(|| {
        err(
            "DoesNotExistException",
            format!("Invocation {id} of task {} does not exist", t.id),
        )
    })?;
    Ok(invocation_json(e, t, i))
}

/// Whether `node` is one of a window target's nodes.
fn target_has(t: &Target, node: &LabNode) -> bool {
    t.targets.as_array().into_iter().flatten().all(|x| {
        let key = x["Key"].as_str().unwrap_or("");
        let values: Vec<&str> = x["Values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        match key {
            "InstanceIds" => values.contains(&node.id.as_str()),
            "tag-key" => node.tags.iter().any(|(k, _)| values.contains(&k.as_str())),
            k => k
                .strip_prefix("tag:")
                .and_then(|tag| node.tag(tag))
                .is_some_and(|v| values.contains(&v)),
        }
    })
}

/// The ids of the request's `Targets` with Key `InstanceIds` (the only
/// key the lab resolves for the *ForTarget and schedule calls).
fn instance_targets(body: &Value, required_targets: bool) -> Result<Option<Vec<String>>, ApiError> {
    let targets = check_targets(body.get("Targets"), 5)?;
    let list = targets.as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        return if required_targets {
            Err(required(body, "Targets")
                .err()
                .unwrap_or_else(|| validation("Targets must not be empty.")))
        } else {
            Ok(None)
        };
    }
    let mut ids = Vec::new();
    for t in &list {
        if t["Key"] != "InstanceIds" {
            return Err(validation(format!(
                "The lab resolves Targets with Key InstanceIds only, not {}.",
                t["Key"]
            )));
        }
        ids.extend(
            t["Values"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned),
        );
    }
    if let Some(r) = text(body, "ResourceType")
        && r != "INSTANCE"
    {
        return Err(validation(format!(
            "ResourceType {r} is not supported by the lab with InstanceIds targets (use INSTANCE)."
        )));
    }
    Ok(Some(ids))
}

/// Windows one of whose targets holds one of the nodes `ids`.
fn windows_for<'a>(
    store: &'a MaintenanceStore,
    nodes: &[LabNode],
    ids: &[String],
) -> Vec<&'a Window> {
    let wanted: Vec<&LabNode> = nodes.iter().filter(|n| ids.contains(&n.id)).collect();
    store
        .windows
        .iter()
        .filter(|w| {
            w.targets
                .iter()
                .any(|t| wanted.iter().any(|n| target_has(t, n)))
        })
        .collect()
}

fn windows_for_target(
    store: &MaintenanceStore,
    nodes: &[LabNode],
    body: &Value,
) -> Result<Value, ApiError> {
    if text(body, "ResourceType").is_none() {
        required(body, "ResourceType")?;
    }
    let ids = instance_targets(body, true)?.unwrap_or_default();
    let items = windows_for(store, nodes, &ids);
    let (page, next) = page_of(items, |w| w.id.clone(), body, 1, 100)?;
    let list = page
        .into_iter()
        .map(|w| json!({"WindowId": w.id, "Name": w.name}))
        .collect();
    Ok(listed("WindowIdentities", (list, next)))
}

/// How far ahead DescribeMaintenanceWindowSchedule looks without a
/// ScheduledBefore filter.
const SCHEDULE_HORIZON_S: i64 = 30 * 86_400;

fn describe_schedule(
    store: &MaintenanceStore,
    nodes: &[LabNode],
    body: &Value,
    now: i64,
) -> Result<Value, ApiError> {
    let windows: Vec<&Window> = match text(body, "WindowId") {
        Some(id) => {
            validate::pattern("windowId", id, validate::WINDOW_ID)?;
            vec![store.window(id)?]
        }
        None => match instance_targets(body, false)? {
            Some(ids) => windows_for(store, nodes, &ids),
            None => {
                return Err(validation("Either WindowId or Targets must be specified."));
            }
        },
    };
    let f = filters(body, &["ScheduledAfter", "ScheduledBefore"])?;
    let (mut after, mut before) = (now, now + SCHEDULE_HORIZON_S);
    for (k, vs) in &f {
        for v in vs {
            let t = parse_iso(v, 0).ok_or_else(|| {
                validation(format!(
                    "The {k} filter value {v} is not an ISO-8601 date and time."
                ))
            })?;
            if k == "ScheduledAfter" {
                after = after.max(t);
            } else {
                before = before.min(t);
            }
        }
    }
    let mut items = Vec::new();
    for w in windows {
        let mut t = w.compute_next(after - 1);
        while let Some(x) = t.filter(|x| *x <= before) {
            items.push((x, w));
            if items.len() > 5_000 {
                break;
            }
            t = w.compute_next(x);
        }
    }
    let (page, next) = page_of(
        items,
        |(x, w)| format!("{}{}", crate::paging::asc(*x as f64), w.id),
        body,
        1,
        100,
    )?;
    let list = page
        .into_iter()
        .map(|(x, w)| json!({"WindowId": w.id, "Name": w.name, "ExecutionTime": iso_minutes(x)}))
        .collect();
    Ok(listed("ScheduledWindowExecutions", (list, next)))
}

/// Handles a maintenance window action; `None` when `action` is not one.
pub(crate) fn handle(
    state: &Arc<LabState>,
    action: &str,
    body: &Value,
) -> Option<Result<Value, ApiError>> {
    let now = now_s();
    if action == "CancelMaintenanceWindowExecution" {
        return Some(cancel_execution(state, body));
    }
    let nodes_needed = matches!(
        action,
        "DescribeMaintenanceWindowSchedule" | "DescribeMaintenanceWindowsForTarget"
    );
    let nodes = if nodes_needed {
        state.nodes.read().expect("nodes lock").clone()
    } else {
        Vec::new()
    };
    let mut store = state.maintenance.lock().expect("maintenance lock");
    Some(match action {
        "CreateMaintenanceWindow" => create_window(&mut store, body, now),
        "UpdateMaintenanceWindow" => update_window(&mut store, body, now),
        "GetMaintenanceWindow" => id_member(body, "WindowId", validate::WINDOW_ID)
            .and_then(|id| store.window(id).map(Window::json)),
        "DeleteMaintenanceWindow" => delete_window(&mut store, body),
        "DescribeMaintenanceWindows" => describe_windows(&store, body),
        "RegisterTargetWithMaintenanceWindow" => register_target(&mut store, body),
        "DescribeMaintenanceWindowTargets" => describe_targets(&store, body),
        "RegisterTaskWithMaintenanceWindow" => register_task(&mut store, body),
        "DescribeMaintenanceWindowTasks" => describe_tasks(&store, body),
        "GetMaintenanceWindowTask" => get_task(&store, body),
        "DeregisterTaskFromMaintenanceWindow" => deregister_task(&mut store, body),
        "DeregisterTargetFromMaintenanceWindow" => deregister_target(&mut store, body),
        "DescribeMaintenanceWindowExecutions" => describe_executions(&store, body),
        "GetMaintenanceWindowExecution" => id_member(body, "WindowExecutionId", validate::UUID)
            .and_then(|id| store.execution(id).map(|e| execution_json(e, true))),
        "DescribeMaintenanceWindowExecutionTasks" => describe_execution_tasks(&store, body),
        "GetMaintenanceWindowExecutionTask" => {
            task_execution(&store, body).map(|(e, t)| task_execution_json(e, t, true))
        }
        "DescribeMaintenanceWindowExecutionTaskInvocations" => describe_invocations(&store, body),
        "GetMaintenanceWindowExecutionTaskInvocation" => get_invocation(&store, body),
        "DescribeMaintenanceWindowSchedule" => describe_schedule(&store, &nodes, body, now as i64),
        "DescribeMaintenanceWindowsForTarget" => windows_for_target(&store, &nodes, body),
        _ => return None,
    })
}

/// The window of `body`'s WindowId and the index of its task `WindowTaskId`.
fn task_index(store: &MaintenanceStore, body: &Value) -> Result<(String, usize), ApiError> {
    let w = store.window(id_member(body, "WindowId", validate::WINDOW_ID)?)?;
    let id = id_member(body, "WindowTaskId", validate::UUID)?;
    let i = w.tasks.iter().position(|t| t.id == id).ok_or_else(|| {
        err(
            "DoesNotExistException",
            format!(
                "Maintenance window task {id} does not exist in window {}",
                w.id
            ),
        )
    })?;
    Ok((w.id.clone(), i))
}

/// GetMaintenanceWindowTask: the task as registered (TaskArn, Type,
/// Targets, Priority, MaxConcurrency, MaxErrors, TaskParameters,
/// TaskInvocationParameters, …).
fn get_task(store: &MaintenanceStore, body: &Value) -> Result<Value, ApiError> {
    let (w, i) = task_index(store, body)?;
    let t = &store.window(&w)?.tasks[i];
    let mut v = task_json(&w, t);
    if let Some(m) = v.as_object_mut() {
        let kind = m.remove("Type").unwrap_or(Value::Null);
        m.insert("TaskType".into(), kind);
    }
    if let Some(p) = &t.invocation {
        v["TaskInvocationParameters"] = p.clone();
    }
    Ok(v)
}

/// DeregisterTaskFromMaintenanceWindow.
fn deregister_task(store: &mut MaintenanceStore, body: &Value) -> Result<Value, ApiError> {
    let (w, i) = task_index(store, body)?;
    let t = store.window_mut(&w)?.tasks.remove(i);
    Ok(json!({"WindowId": w, "WindowTaskId": t.id}))
}

/// DeregisterTargetFromMaintenanceWindow: with `Safe` true, a target a
/// task still names is `TargetInUseException`; without, the tasks stop
/// naming it.
fn deregister_target(store: &mut MaintenanceStore, body: &Value) -> Result<Value, ApiError> {
    let window = id_member(body, "WindowId", validate::WINDOW_ID)?.to_owned();
    let id = id_member(body, "WindowTargetId", validate::UUID)?.to_owned();
    let w = store.window_mut(&window)?;
    let Some(i) = w.targets.iter().position(|t| t.id == id) else {
        return Err(err(
            "DoesNotExistException",
            format!("Maintenance window target {id} does not exist in window {window}"),
        ));
    };
    let names = |t: &Task| {
        t.targets.as_array().into_iter().flatten().any(|x| {
            x["Key"] == "WindowTargetIds"
                && x["Values"]
                    .as_array()
                    .is_some_and(|v| v.iter().any(|v| v == id.as_str()))
        })
    };
    if body.get("Safe").and_then(Value::as_bool) == Some(true) && w.tasks.iter().any(names) {
        return Err(err(
            "TargetInUseException",
            format!("Target {id} is used by a task of window {window}."),
        ));
    }
    w.targets.remove(i);
    for t in &mut w.tasks {
        for x in t.targets.as_array_mut().into_iter().flatten() {
            if x["Key"] == "WindowTargetIds"
                && let Some(v) = x["Values"].as_array_mut()
            {
                v.retain(|v| v != id.as_str());
            }
        }
    }
    Ok(json!({"WindowId": window, "WindowTargetId": id}))
}

/// DeleteMaintenanceWindow: the model lists no DoesNotExistException, so
/// deleting an unknown (or already deleted) window answers its id too.
fn delete_window(store: &mut MaintenanceStore, body: &Value) -> Result<Value, ApiError> {
    let id = id_member(body, "WindowId", validate::WINDOW_ID)?.to_owned();
    store.windows.retain(|w| w.id != id);
    Ok(json!({ "WindowId": id }))
}

/// CancelMaintenanceWindowExecution: a running execution turns CANCELLING
/// and its runner cancels the commands still running (CancelCommand) and
/// ends it CANCELLED; a finished one is left as it is.
fn cancel_execution(state: &Arc<LabState>, body: &Value) -> Result<Value, ApiError> {
    let id = id_member(body, "WindowExecutionId", validate::UUID)?.to_owned();
    let commands: Vec<String> = {
        let mut store = state.maintenance.lock().expect("maintenance lock");
        store.execution(&id)?;
        let e = store
            .executions
            .iter_mut()
            .find(|e| e.id == id)
            .expect("found above");
        if !e.running() {
            return Ok(json!({ "WindowExecutionId": id }));
        }
        e.cancel = true;
        e.status = "CANCELLING";
        e.details = "Cancellation was requested.".into();
        e.tasks
            .iter()
            .flat_map(|t| &t.invocations)
            .filter(|i| i.status == "IN_PROGRESS")
            .map(|i| i.execution_id.clone())
            .collect()
    };
    for c in commands {
        crate::commands::cancel_all(state, &c);
    }
    Ok(json!({ "WindowExecutionId": id }))
}

mod run;
mod seed;

pub(crate) use run::{open_now, spawn_scheduler};

#[cfg(test)]
mod tests;
