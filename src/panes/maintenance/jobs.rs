//! Maintenance jobs: the windows of every context of the set, a window's
//! targets, tasks and executions, an execution's tasks and invocations
//! (re-read while it runs), the next 7 days' runs, each context's change
//! calendars and their CLOSED spans, a calendar's events; and the two
//! writes, cancel an execution and enable / disable a window, declared as
//! mutations so read-only mode refuses them and the audit log records them.

use std::time::Duration;

use crate::aws::AwsError;
use crate::aws::maintenance::{
    self, Calendar, ExecutionTask, ScheduledRun, Timeline, Window, WindowDetails,
};
use crate::job::{Job, JobBase, JobEnv, Mutation, Outcome};
use crate::model::ContextId;

/// How far ahead the upcoming runs and the calendars' spans are read,
/// seconds (7 days).
pub const HORIZON_S: i64 = 7 * 86_400;

/// What the Maintenance pane's jobs report.
#[derive(Debug, Clone)]
pub enum MaintenanceMsg {
    /// One context's windows.
    Windows {
        /// The load it belongs to.
        generation: u64,
        /// The context listed.
        ctx: ContextId,
        /// Its windows, by name.
        result: Result<Vec<Window>, AwsError>,
    },
    /// A window's targets, tasks and executions.
    Details {
        /// Its context.
        ctx: ContextId,
        /// The window id.
        window: String,
        /// What was read.
        result: Result<WindowDetails, AwsError>,
    },
    /// An execution's tasks and invocations.
    ExecutionTasks {
        /// Its context.
        ctx: ContextId,
        /// The window execution id.
        execution: String,
        /// What was read.
        result: Result<Vec<ExecutionTask>, AwsError>,
    },
    /// One context's runs of the next [`HORIZON_S`].
    Upcoming {
        /// The load it belongs to.
        generation: u64,
        /// The context read.
        ctx: ContextId,
        /// Its runs, in time order.
        result: Result<Vec<ScheduledRun>, AwsError>,
    },
    /// One context's change calendars.
    Calendars {
        /// The check it belongs to.
        generation: u64,
        /// The context read.
        ctx: ContextId,
        /// Each calendar's state now and its CLOSED spans ahead.
        result: Result<Vec<Timeline>, AwsError>,
    },
    /// A calendar's iCalendar text.
    CalendarContent {
        /// Its context.
        ctx: ContextId,
        /// Its name.
        name: String,
        /// The text (GetDocument, TEXT).
        result: Result<String, AwsError>,
    },
    /// A calendar's state at a chosen time.
    CalendarAt {
        /// Its context.
        ctx: ContextId,
        /// Its name.
        name: String,
        /// The state.
        result: Result<Calendar, AwsError>,
    },
    /// CancelMaintenanceWindowExecution answered.
    Cancelled {
        /// Its context.
        ctx: ContextId,
        /// The window execution id.
        execution: String,
        /// Whether AWS took it.
        result: Result<(), AwsError>,
    },
    /// UpdateMaintenanceWindow (Enabled) answered.
    Enabled {
        /// Its context.
        ctx: ContextId,
        /// The window id.
        window: String,
        /// Whether it is enabled now.
        result: Result<bool, AwsError>,
    },
}

/// Work of the Maintenance pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MaintenanceJob {
    /// DescribeMaintenanceWindows in every context (capped fan-out).
    Windows {
        /// Generation tag.
        generation: u64,
    },
    /// A window's targets, tasks and executions, after `delay_ms`.
    Details {
        /// Its context.
        ctx: ContextId,
        /// The window id.
        window: String,
        /// Wait first, milliseconds (a re-read while an execution runs).
        delay_ms: u64,
    },
    /// An execution's tasks and invocations, after `delay_ms`.
    ExecutionTasks {
        /// Its context.
        ctx: ContextId,
        /// The window execution id.
        execution: String,
        /// Wait first, milliseconds.
        delay_ms: u64,
    },
    /// The enabled windows' runs until `until_s` (epoch seconds) in
    /// every context.
    Upcoming {
        /// Generation tag.
        generation: u64,
        /// The horizon, epoch seconds.
        until_s: i64,
    },
    /// Every context's change calendars from `from_s` to `until_s`
    /// (epoch seconds).
    Calendars {
        /// Generation tag.
        generation: u64,
        /// Now, epoch seconds.
        from_s: i64,
        /// The horizon, epoch seconds.
        until_s: i64,
    },
    /// A calendar's iCalendar text.
    CalendarContent {
        /// Its context.
        ctx: ContextId,
        /// Its name.
        name: String,
    },
    /// A calendar's state at `at` (ISO 8601).
    CalendarAt {
        /// Its context.
        ctx: ContextId,
        /// Its name.
        name: String,
        /// The time asked for.
        at: String,
    },
    /// CancelMaintenanceWindowExecution (a write).
    Cancel {
        /// Its context.
        ctx: ContextId,
        /// The window execution id.
        execution: String,
        /// The window's name, for the audit line.
        window_name: String,
    },
    /// UpdateMaintenanceWindow with `Enabled` (a write).
    SetEnabled {
        /// Its context.
        ctx: ContextId,
        /// The window id.
        window: String,
        /// Its name, for the audit line.
        name: String,
        /// Enable (`true`) or disable.
        enabled: bool,
    },
}

async fn after(delay_ms: u64) {
    if delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    }
}

/// One context's runs of its enabled windows until `until_s`, in time
/// order; a window whose schedule cannot be read is a run without a time
/// that names the error, the others go on.
///
/// # Errors
/// [`AwsError`] when the windows cannot be listed.
pub async fn upcoming(
    aws: &crate::aws::AwsContext,
    until_s: i64,
) -> Result<Vec<ScheduledRun>, AwsError> {
    let mut runs = Vec::new();
    for w in maintenance::windows(aws).await? {
        if w.enabled {
            let mut these = match maintenance::schedule(aws, &w.id, until_s).await {
                Ok(these) => these,
                Err(e) => vec![ScheduledRun {
                    window_id: w.id.clone(),
                    name: w.name.clone(),
                    at: format!("schedule not read: {e}"),
                    at_s: None,
                }],
            };
            for r in &mut these {
                if r.name.is_empty() {
                    r.name.clone_from(&w.name);
                }
            }
            runs.extend(these);
        }
    }
    runs.sort_by(|a, b| a.at_s.cmp(&b.at_s).then_with(|| a.name.cmp(&b.name)));
    Ok(runs)
}

/// One context's calendars and their spans; a calendar whose state
/// cannot be read is kept with the error (its state unknown), the others
/// go on.
///
/// # Errors
/// [`AwsError`] when the calendars cannot be listed.
pub async fn calendars(
    aws: &crate::aws::AwsContext,
    from_s: i64,
    until_s: i64,
) -> Result<Vec<Timeline>, AwsError> {
    let mut out = Vec::new();
    for name in maintenance::calendars(aws).await? {
        out.push(
            match maintenance::timeline(aws, &name, from_s, until_s).await {
                Ok(t) => t,
                Err(e) => Timeline {
                    now: maintenance::Calendar {
                        name,
                        ..Default::default()
                    },
                    from_s,
                    closed: Vec::new(),
                    error: Some(e.to_string()),
                },
            },
        );
    }
    Ok(out)
}

impl Job for MaintenanceJob {
    type Msg = MaintenanceMsg;

    fn slot(&self) -> Option<String> {
        Some(match self {
            MaintenanceJob::Windows { .. } => "mw-windows".into(),
            MaintenanceJob::Details { .. } => "mw-details".into(),
            MaintenanceJob::ExecutionTasks { .. } => "mw-execution".into(),
            MaintenanceJob::Upcoming { .. } => "mw-upcoming".into(),
            MaintenanceJob::Calendars { .. } => "mw-calendars".into(),
            MaintenanceJob::CalendarContent { .. } => "mw-calendar".into(),
            MaintenanceJob::CalendarAt { .. } => "mw-calendar-at".into(),
            MaintenanceJob::Cancel { .. } | MaintenanceJob::SetEnabled { .. } => return None,
        })
    }

    fn mutation(&self) -> Option<Mutation> {
        match self {
            MaintenanceJob::Cancel {
                execution,
                window_name,
                ..
            } => Some(Mutation::new(
                "ssm:CancelMaintenanceWindowExecution",
                vec![execution.clone()],
                format!("window {window_name}"),
            )),
            MaintenanceJob::SetEnabled {
                window,
                name,
                enabled,
                ..
            } => Some(Mutation::new(
                "ssm:UpdateMaintenanceWindow",
                vec![window.clone()],
                format!("{} {name}", if *enabled { "enable" } else { "disable" }),
            )),
            _ => None,
        }
    }

    fn writes_to(&self, _base: &JobBase) -> Vec<ContextId> {
        match self {
            MaintenanceJob::Cancel { ctx, .. } | MaintenanceJob::SetEnabled { ctx, .. } => {
                vec![*ctx]
            }
            _ => vec![ContextId::default()],
        }
    }

    async fn run(self, env: JobEnv<MaintenanceMsg>) -> Option<MaintenanceMsg> {
        let env = &env;
        match self {
            MaintenanceJob::Windows { generation } => {
                env.contexts
                    .for_each_capped(|ctx, aws| async move {
                        let result = maintenance::windows(aws).await;
                        env.send(MaintenanceMsg::Windows {
                            generation,
                            ctx,
                            result,
                        });
                    })
                    .await;
                None
            }
            MaintenanceJob::Upcoming {
                generation,
                until_s,
            } => {
                env.contexts
                    .for_each_capped(|ctx, aws| async move {
                        let result = upcoming(aws, until_s).await;
                        env.send(MaintenanceMsg::Upcoming {
                            generation,
                            ctx,
                            result,
                        });
                    })
                    .await;
                None
            }
            MaintenanceJob::Calendars {
                generation,
                from_s,
                until_s,
            } => {
                env.contexts
                    .for_each_capped(|ctx, aws| async move {
                        let result = calendars(aws, from_s, until_s).await;
                        env.send(MaintenanceMsg::Calendars {
                            generation,
                            ctx,
                            result,
                        });
                    })
                    .await;
                None
            }
            other => run_one(other, env).await,
        }
    }

    fn outcomes(msg: &MaintenanceMsg) -> Vec<Outcome> {
        match msg {
            MaintenanceMsg::Cancelled { ctx, result, .. } => {
                vec![Outcome::of(result).in_context(*ctx)]
            }
            MaintenanceMsg::Enabled { ctx, result, .. } => {
                vec![Outcome::of(result).in_context(*ctx)]
            }
            _ => Vec::new(),
        }
    }
}

/// The jobs that read or write in one context (`None` for the fan-out
/// ones, which [`Job::run`] runs).
async fn run_one(job: MaintenanceJob, env: &JobEnv<MaintenanceMsg>) -> Option<MaintenanceMsg> {
    Some(match job {
        MaintenanceJob::Details {
            ctx,
            window,
            delay_ms,
        } => {
            after(delay_ms).await;
            let result = maintenance::window_details(env.contexts.get(ctx), &window).await;
            MaintenanceMsg::Details {
                ctx,
                window,
                result,
            }
        }
        MaintenanceJob::ExecutionTasks {
            ctx,
            execution,
            delay_ms,
        } => {
            after(delay_ms).await;
            let result = maintenance::execution_tasks(env.contexts.get(ctx), &execution).await;
            MaintenanceMsg::ExecutionTasks {
                ctx,
                execution,
                result,
            }
        }
        MaintenanceJob::CalendarContent { ctx, name } => {
            let result = maintenance::calendar_content(env.contexts.get(ctx), &name).await;
            MaintenanceMsg::CalendarContent { ctx, name, result }
        }
        MaintenanceJob::CalendarAt { ctx, name, at } => {
            let result = maintenance::calendar_state(env.contexts.get(ctx), &name, Some(&at)).await;
            MaintenanceMsg::CalendarAt { ctx, name, result }
        }
        MaintenanceJob::Cancel { ctx, execution, .. } => {
            let result = maintenance::cancel_execution(env.contexts.get(ctx), &execution).await;
            MaintenanceMsg::Cancelled {
                ctx,
                execution,
                result,
            }
        }
        MaintenanceJob::SetEnabled {
            ctx,
            window,
            enabled,
            ..
        } => {
            let result = maintenance::set_enabled(env.contexts.get(ctx), &window, enabled).await;
            MaintenanceMsg::Enabled {
                ctx,
                window,
                result,
            }
        }
        MaintenanceJob::Windows { .. }
        | MaintenanceJob::Upcoming { .. }
        | MaintenanceJob::Calendars { .. } => return None,
    })
}
