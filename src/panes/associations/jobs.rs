//! Associations jobs: the associations of every context (capped fan-out),
//! one association's settings, its executions and an execution's targets
//! (each read again after a delay while something runs), and "apply now"
//! (StartAssociationsOnce), the pane's one write.

use std::time::Duration;

use crate::aws::AwsError;
use crate::aws::associations::{
    self, Association, AssociationDetail, AssociationExecution, ExecutionTarget,
};
use crate::job::{Job, JobEnv, Mutation, Outcome};
use crate::model::ContextId;

/// What the Associations pane's jobs report.
#[derive(Debug, Clone)]
pub enum AssociationsMsg {
    /// One context's associations.
    List {
        /// The load it belongs to.
        generation: u64,
        /// The context listed.
        ctx: ContextId,
        /// Its associations.
        result: Result<Vec<Association>, AwsError>,
    },
    /// An association's settings.
    Described {
        /// Its context.
        ctx: ContextId,
        /// The association id.
        id: String,
        /// What was read (boxed: it is much the largest message).
        result: Result<Box<AssociationDetail>, AwsError>,
    },
    /// An association's executions.
    Executions {
        /// Its context.
        ctx: ContextId,
        /// The association id.
        id: String,
        /// Newest first.
        result: Result<Vec<AssociationExecution>, AwsError>,
    },
    /// An execution's targets.
    Targets {
        /// Its context.
        ctx: ContextId,
        /// The association id.
        id: String,
        /// The execution id.
        execution: String,
        /// Failed first.
        result: Result<Vec<ExecutionTarget>, AwsError>,
    },
    /// Apply now answered.
    Applied {
        /// The context written to.
        ctx: ContextId,
        /// The association ids.
        ids: Vec<String>,
        /// Whether AWS took it.
        result: Result<(), AwsError>,
    },
}

/// Work of the Associations pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssociationsJob {
    /// ListAssociations in every context.
    List {
        /// Generation tag.
        generation: u64,
    },
    /// DescribeAssociation.
    Describe {
        /// Its context.
        ctx: ContextId,
        /// The association id.
        id: String,
    },
    /// DescribeAssociationExecutions after `delay_ms` milliseconds.
    Executions {
        /// Its context.
        ctx: ContextId,
        /// The association id.
        id: String,
        /// Wait first (a poll), milliseconds.
        delay_ms: u64,
    },
    /// DescribeAssociationExecutionTargets after `delay_ms` milliseconds.
    Targets {
        /// Its context.
        ctx: ContextId,
        /// The association id.
        id: String,
        /// The execution id.
        execution: String,
        /// Wait first (a poll), milliseconds.
        delay_ms: u64,
    },
    /// StartAssociationsOnce: run these associations of one context now.
    ApplyNow {
        /// The context.
        ctx: ContextId,
        /// The association ids.
        ids: Vec<String>,
        /// Their names, for the audit line.
        labels: Vec<String>,
    },
}

async fn after(delay_ms: u64) {
    if delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    }
}

impl Job for AssociationsJob {
    type Msg = AssociationsMsg;

    fn slot(&self) -> Option<String> {
        match self {
            AssociationsJob::List { .. } => Some("assoc-list".into()),
            AssociationsJob::Describe { .. } => Some("assoc-describe".into()),
            AssociationsJob::Executions { .. } => Some("assoc-executions".into()),
            AssociationsJob::Targets { .. } => Some("assoc-targets".into()),
            // A write is never cancelled by a later one.
            AssociationsJob::ApplyNow { .. } => None,
        }
    }

    fn mutation(&self) -> Option<Mutation> {
        match self {
            AssociationsJob::ApplyNow { ids, labels, .. } => Some(Mutation::new(
                "ssm:StartAssociationsOnce",
                ids.clone(),
                format!("apply now: {}", labels.join(", ")),
            )),
            _ => None,
        }
    }

    async fn run(self, env: JobEnv<AssociationsMsg>) -> Option<AssociationsMsg> {
        let env = &env;
        Some(match self {
            AssociationsJob::List { generation } => {
                env.contexts
                    .for_each_capped(|ctx, aws| async move {
                        let result = associations::list(aws).await;
                        env.send(AssociationsMsg::List {
                            generation,
                            ctx,
                            result,
                        });
                    })
                    .await;
                return None;
            }
            AssociationsJob::Describe { ctx, id } => {
                let result = associations::describe(env.contexts.get(ctx), &id)
                    .await
                    .map(Box::new);
                AssociationsMsg::Described { ctx, id, result }
            }
            AssociationsJob::Executions { ctx, id, delay_ms } => {
                after(delay_ms).await;
                let result = associations::executions(env.contexts.get(ctx), &id).await;
                AssociationsMsg::Executions { ctx, id, result }
            }
            AssociationsJob::Targets {
                ctx,
                id,
                execution,
                delay_ms,
            } => {
                after(delay_ms).await;
                let aws = env.contexts.get(ctx);
                let result = associations::execution_targets(aws, &id, &execution).await;
                AssociationsMsg::Targets {
                    ctx,
                    id,
                    execution,
                    result,
                }
            }
            AssociationsJob::ApplyNow { ctx, ids, .. } => {
                let result = associations::start_once(env.contexts.get(ctx), &ids).await;
                AssociationsMsg::Applied { ctx, ids, result }
            }
        })
    }

    fn outcomes(msg: &AssociationsMsg) -> Vec<Outcome> {
        match msg {
            AssociationsMsg::Applied { ctx, result, .. } => {
                vec![Outcome::of(result).in_context(*ctx)]
            }
            _ => Vec::new(),
        }
    }
}
