//! Automation jobs: the executions of every context (capped fan-out), one
//! execution and a rate-controlled run's children (re-read while it runs),
//! the runbooks of every context and one runbook's parameters; and the
//! writes, declared as mutations so read-only mode refuses them and the
//! audit log records them: start a runbook (one StartAutomationExecution
//! per context), record the execution on its OpsItem (UpdateOpsItem of
//! `/aws/automations`), signal (SendAutomationSignal) and stop
//! (StopAutomationExecution).

use std::time::Duration;

use crate::aws::AwsError;
use crate::aws::automation::{
    self, Execution, ExecutionDetail, ExecutionFilters, Runbook, RunbookInfo, Signal, StartRequest,
};
use crate::job::{Job, JobBase, JobEnv, Mutation, Outcome};
use crate::model::ContextId;

/// What the Automation pane's jobs report.
#[derive(Debug, Clone)]
pub enum AutomationMsg {
    /// One context's executions, and whether more were left unread.
    Executions {
        /// The load it belongs to.
        generation: u64,
        /// The context listed.
        ctx: ContextId,
        /// Its executions, newest first.
        result: Result<(Vec<Execution>, bool), AwsError>,
    },
    /// One execution with its steps.
    Detail {
        /// Its context.
        ctx: ContextId,
        /// The automation execution id.
        id: String,
        /// What was read.
        result: Result<Box<ExecutionDetail>, AwsError>,
    },
    /// A rate-controlled run's child executions.
    Children {
        /// Its context.
        ctx: ContextId,
        /// The parent execution id.
        parent: String,
        /// The children, by target.
        result: Result<Vec<Execution>, AwsError>,
    },
    /// One context's runbooks.
    Runbooks {
        /// The load it belongs to.
        generation: u64,
        /// The context listed.
        ctx: ContextId,
        /// Its runbooks, by name.
        result: Result<Vec<Runbook>, AwsError>,
    },
    /// Some runbooks' descriptions (for the search).
    Descriptions {
        /// The runbook load it belongs to.
        generation: u64,
        /// Runbook name and its description (empty when it could not be
        /// read).
        items: Vec<(String, String)>,
    },
    /// One runbook's parameters.
    Runbook {
        /// The runbook's name.
        name: String,
        /// What was read.
        result: Result<RunbookInfo, AwsError>,
    },
    /// Every StartAutomationExecution of a start answered (one per
    /// context and 50 nodes), in order.
    Started {
        /// The runbook.
        runbook: String,
        /// The OpsItem to record the executions on.
        ops_item: Option<String>,
        /// Each call's context, the nodes or target it covered (for the
        /// audit line) and the execution id or why not.
        results: Vec<(ContextId, Vec<String>, Result<String, AwsError>)>,
    },
    /// The execution was recorded on its OpsItem.
    Recorded {
        /// The OpsItem's context.
        ctx: ContextId,
        /// The OpsItem id.
        ops_item: String,
        /// Whether it was.
        result: Result<(), AwsError>,
    },
    /// SendAutomationSignal or StopAutomationExecution answered.
    Controlled {
        /// The execution's context.
        ctx: ContextId,
        /// The execution id.
        id: String,
        /// What was asked (`Approve`, `Stop`, …).
        what: &'static str,
        /// Whether AWS took it.
        result: Result<(), AwsError>,
    },
}

/// Work of the Automation pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AutomationJob {
    /// DescribeAutomationExecutions with `filters` in every context.
    Executions {
        /// Generation tag.
        generation: u64,
        /// The server-side filters.
        filters: ExecutionFilters,
        /// Wait first, milliseconds (the list re-read while one runs).
        delay_ms: u64,
    },
    /// GetAutomationExecution after `delay_ms`.
    Detail {
        /// Its context.
        ctx: ContextId,
        /// The execution id.
        id: String,
        /// Wait first, milliseconds (a poll).
        delay_ms: u64,
    },
    /// The children of a rate-controlled run, after `delay_ms`.
    Children {
        /// Its context.
        ctx: ContextId,
        /// The parent execution id.
        parent: String,
        /// Wait first, milliseconds.
        delay_ms: u64,
    },
    /// ListDocuments (Automation) in every context.
    Runbooks {
        /// Generation tag.
        generation: u64,
    },
    /// DescribeDocument of each runbook (8 at once), for a search over
    /// descriptions; reported 25 at a time.
    Descriptions {
        /// The runbook load it belongs to.
        generation: u64,
        /// Each runbook's context and name.
        runbooks: Vec<(ContextId, String)>,
    },
    /// DescribeDocument and GetDocument of one runbook.
    Runbook {
        /// The context to read it in.
        ctx: ContextId,
        /// Its name.
        name: String,
    },
    /// StartAutomationExecution, one request per context (a write).
    Start {
        /// Each context and what it is sent.
        requests: Vec<(ContextId, StartRequest)>,
        /// The OpsItem to record the execution on (its context is the
        /// first request's).
        ops_item: Option<String>,
    },
    /// UpdateOpsItem: `/aws/automations` gains `execution` (a write).
    Record {
        /// The OpsItem's context.
        ctx: ContextId,
        /// The OpsItem id.
        ops_item: String,
        /// The execution id.
        execution: String,
    },
    /// SendAutomationSignal (a write).
    Signal {
        /// The execution's context.
        ctx: ContextId,
        /// The execution id.
        id: String,
        /// The signal.
        signal: Signal,
        /// The step it is about (StartStep and Resume send it as the
        /// Payload StepName; Approve/Reject name it for the audit line only).
        step: Option<String>,
        /// The comment (Approve, Reject).
        comment: Option<String>,
    },
    /// StopAutomationExecution, Cancel (a write).
    Stop {
        /// The execution's context.
        ctx: ContextId,
        /// The execution id.
        id: String,
        /// Its runbook, for the audit line.
        runbook: String,
    },
}

async fn after(delay_ms: u64) {
    if delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    }
}

impl Job for AutomationJob {
    type Msg = AutomationMsg;

    fn slot(&self) -> Option<String> {
        Some(match self {
            AutomationJob::Executions { .. } => "auto-executions".into(),
            AutomationJob::Detail { .. } => "auto-detail".into(),
            AutomationJob::Children { .. } => "auto-children".into(),
            AutomationJob::Runbooks { .. } => "auto-runbooks".into(),
            AutomationJob::Descriptions { .. } => "auto-descriptions".into(),
            AutomationJob::Runbook { .. } => "auto-runbook".into(),
            _ => return None,
        })
    }

    fn mutation(&self) -> Option<Mutation> {
        match self {
            AutomationJob::Start { requests, ops_item } => {
                let req = &requests.first()?.1;
                let names: Vec<&str> = req.parameters.keys().map(String::as_str).collect();
                let calls = if requests.len() > 1 {
                    format!("{} calls, ", requests.len())
                } else {
                    String::new()
                };
                let mut detail = format!(
                    "{calls}{}{} parameters [{}]",
                    if req.interactive { "Interactive, " } else { "" },
                    req.rate.as_ref().map_or(String::new(), |r| format!(
                        "rate control on {}, ",
                        r.parameter
                    )),
                    names.join(", ")
                );
                if let Some(o) = ops_item {
                    detail.push_str(&format!(", for {o}"));
                }
                Some(Mutation::new(
                    "ssm:StartAutomationExecution",
                    vec![req.runbook.clone()],
                    detail,
                ))
            }
            AutomationJob::Record {
                ops_item,
                execution,
                ..
            } => Some(Mutation::new(
                "ssm:UpdateOpsItem",
                vec![ops_item.clone()],
                format!("record automation execution {execution}"),
            )),
            AutomationJob::Signal {
                id, signal, step, ..
            } => Some(Mutation::new(
                "ssm:SendAutomationSignal",
                vec![id.clone()],
                match step {
                    Some(s) => format!("{} step {s}", signal.name()),
                    None => signal.name().to_owned(),
                },
            )),
            AutomationJob::Stop { id, runbook, .. } => Some(Mutation::new(
                "ssm:StopAutomationExecution",
                vec![id.clone()],
                format!("Cancel {runbook}"),
            )),
            _ => None,
        }
    }

    fn writes_to(&self, _base: &JobBase) -> Vec<ContextId> {
        match self {
            AutomationJob::Start { requests, .. } => requests.iter().map(|(c, _)| *c).collect(),
            AutomationJob::Record { ctx, .. }
            | AutomationJob::Signal { ctx, .. }
            | AutomationJob::Stop { ctx, .. } => vec![*ctx],
            _ => vec![ContextId::default()],
        }
    }

    async fn run(self, env: JobEnv<AutomationMsg>) -> Option<AutomationMsg> {
        let env = &env;
        match self {
            AutomationJob::Executions {
                generation,
                filters,
                delay_ms,
            } => {
                after(delay_ms).await;
                let filters = &filters;
                env.contexts
                    .for_each_capped(|ctx, aws| async move {
                        let result =
                            automation::executions(aws, filters, super::EXECUTIONS_CAP).await;
                        env.send(AutomationMsg::Executions {
                            generation,
                            ctx,
                            result,
                        });
                    })
                    .await;
                None
            }
            AutomationJob::Runbooks { generation } => {
                env.contexts
                    .for_each_capped(|ctx, aws| async move {
                        let result = automation::runbooks(aws).await;
                        env.send(AutomationMsg::Runbooks {
                            generation,
                            ctx,
                            result,
                        });
                    })
                    .await;
                None
            }
            AutomationJob::Descriptions {
                generation,
                runbooks,
            } => {
                use futures::StreamExt;
                let mut reads = futures::stream::iter(runbooks)
                    .map(|(ctx, name)| async move {
                        let d = crate::aws::documents::describe(env.contexts.get(ctx), &name).await;
                        (name, d.map(|d| d.description).unwrap_or_default())
                    })
                    .buffer_unordered(8)
                    .chunks(25);
                while let Some(items) = reads.next().await {
                    env.send(AutomationMsg::Descriptions { generation, items });
                }
                None
            }
            AutomationJob::Start { requests, ops_item } => {
                let runbook = requests
                    .first()
                    .map(|(_, r)| r.runbook.clone())
                    .unwrap_or_default();
                let mut results = Vec::new();
                for (ctx, req) in requests {
                    let result = automation::start(env.contexts.get(ctx), &req).await;
                    results.push((ctx, req.covers(), result));
                }
                Some(AutomationMsg::Started {
                    runbook,
                    ops_item,
                    results,
                })
            }
            other => run_one(other, env).await,
        }
    }

    fn outcomes(msg: &AutomationMsg) -> Vec<Outcome> {
        match msg {
            AutomationMsg::Started { results, .. } => results
                .iter()
                .map(|(ctx, covers, result)| {
                    let o = Outcome::of(result).in_context(*ctx);
                    let on = format!("{} target(s): {}", covers.len(), covers.join(","));
                    match result {
                        Ok(id) => o.detail(format!("execution {id}, {on}")),
                        Err(_) => o.detail(on),
                    }
                })
                .collect(),
            AutomationMsg::Recorded { ctx, result, .. }
            | AutomationMsg::Controlled { ctx, result, .. } => {
                vec![Outcome::of(result).in_context(*ctx)]
            }
            _ => Vec::new(),
        }
    }
}

/// Appends `execution` to OpsItem `ops_item`'s `/aws/automations`
/// (GetOpsItem, then UpdateOpsItem guarded by its LastModifiedTime; one
/// retry when someone wrote in between).
async fn record(
    ctx: &crate::aws::AwsContext,
    ops_item: &str,
    execution: &str,
) -> Result<(), AwsError> {
    use crate::aws::opscenter::{self, OpsChange, UpdateError};
    for _ in 0..2 {
        let item = opscenter::get(ctx, ops_item).await?;
        let now = item
            .operational_data
            .get(automation::OPS_KEY)
            .map(|d| d.value.as_str())
            .unwrap_or_default();
        let change = OpsChange {
            add_data: vec![(
                automation::OPS_KEY.to_owned(),
                automation::ops_entries_with(now, execution)
                    .map_err(|e| AwsError::local("ssm:UpdateOpsItem", e))?,
                true,
            )],
            ..Default::default()
        };
        match opscenter::update_guarded(ctx, ops_item, Some(item.last_modified_ms), &change).await {
            Ok(_) => return Ok(()),
            Err(UpdateError::Conflict(_)) => continue,
            Err(UpdateError::Aws(e)) => return Err(e),
        }
    }
    Err(AwsError::local(
        "ssm:UpdateOpsItem",
        format!("{ops_item} kept changing while the execution was recorded; add it by hand"),
    ))
}

/// The jobs that read or write in one context (`None` for the fan-out
/// ones, which [`Job::run`] runs).
async fn run_one(job: AutomationJob, env: &JobEnv<AutomationMsg>) -> Option<AutomationMsg> {
    Some(match job {
        AutomationJob::Detail { ctx, id, delay_ms } => {
            after(delay_ms).await;
            let result = automation::execution(env.contexts.get(ctx), &id)
                .await
                .map(Box::new);
            AutomationMsg::Detail { ctx, id, result }
        }
        AutomationJob::Children {
            ctx,
            parent,
            delay_ms,
        } => {
            after(delay_ms).await;
            let result = automation::children(env.contexts.get(ctx), &parent).await;
            AutomationMsg::Children {
                ctx,
                parent,
                result,
            }
        }
        AutomationJob::Runbook { ctx, name } => {
            let result = automation::runbook(env.contexts.get(ctx), &name).await;
            AutomationMsg::Runbook { name, result }
        }
        AutomationJob::Record {
            ctx,
            ops_item,
            execution,
        } => {
            let result = record(env.contexts.get(ctx), &ops_item, &execution).await;
            AutomationMsg::Recorded {
                ctx,
                ops_item,
                result,
            }
        }
        AutomationJob::Signal {
            ctx,
            id,
            signal,
            step,
            comment,
        } => {
            // StartStep and Resume name the step (AWS: Payload StepName).
            let step = matches!(signal, Signal::StartStep | Signal::Resume)
                .then_some(step)
                .flatten();
            let result = automation::signal(
                env.contexts.get(ctx),
                &id,
                signal,
                step.as_deref(),
                comment.as_deref(),
            )
            .await;
            AutomationMsg::Controlled {
                ctx,
                id,
                what: signal.name(),
                result,
            }
        }
        AutomationJob::Stop { ctx, id, .. } => {
            let result = automation::stop(env.contexts.get(ctx), &id).await;
            AutomationMsg::Controlled {
                ctx,
                id,
                what: "Stop",
                result,
            }
        }
        AutomationJob::Executions { .. }
        | AutomationJob::Runbooks { .. }
        | AutomationJob::Descriptions { .. }
        | AutomationJob::Start { .. } => return None,
    })
}
