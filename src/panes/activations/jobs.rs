//! Activations jobs: the activations of every context (capped fan-out),
//! and the pane's two writes, CreateActivation and DeleteActivation. The
//! new activation's code travels in an
//! [`ActivationCode`](crate::aws::activations::ActivationCode), whose
//! `Debug` never shows it; the audit line of a create names the role and
//! the new id, never the code.

use crate::aws::AwsError;
use crate::aws::activations::{self, Activation, CreatedActivation, NewActivation};
use crate::job::{Job, JobBase, JobEnv, Mutation, Outcome};
use crate::model::ContextId;

/// What the Activations pane's jobs report.
#[derive(Debug, Clone)]
pub enum ActivationsMsg {
    /// One context's activations.
    List {
        /// The load it belongs to.
        generation: u64,
        /// The context listed.
        ctx: ContextId,
        /// Its activations.
        result: Result<Vec<Activation>, AwsError>,
    },
    /// CreateActivation answered.
    Created {
        /// The context written to.
        ctx: ContextId,
        /// The line the user typed (to ask again with it on an error).
        line: String,
        /// What it was created with (never the code).
        summary: String,
        /// The new id and its code.
        result: Result<CreatedActivation, AwsError>,
    },
    /// DeleteActivation answered.
    Deleted {
        /// The context written to.
        ctx: ContextId,
        /// The activation id.
        id: String,
        /// Whether AWS took it.
        result: Result<(), AwsError>,
    },
}

/// Work of the Activations pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActivationsJob {
    /// DescribeActivations in every context.
    List {
        /// Generation tag.
        generation: u64,
    },
    /// CreateActivation in context `ctx`.
    Create {
        /// The context.
        ctx: ContextId,
        /// The request.
        new: NewActivation,
        /// The line the user typed.
        line: String,
        /// What it asks for, for the audit line and the panel.
        summary: String,
    },
    /// DeleteActivation of `id` in context `ctx`.
    Delete {
        /// The context.
        ctx: ContextId,
        /// The activation id.
        id: String,
        /// Its description, for the audit line (may be empty).
        label: String,
    },
}

impl Job for ActivationsJob {
    type Msg = ActivationsMsg;

    fn slot(&self) -> Option<String> {
        match self {
            ActivationsJob::List { .. } => Some("activations-list".into()),
            // A write is never cancelled by a later one.
            ActivationsJob::Create { .. } | ActivationsJob::Delete { .. } => None,
        }
    }

    fn mutation(&self) -> Option<Mutation> {
        match self {
            ActivationsJob::List { .. } => None,
            ActivationsJob::Create { new, summary, .. } => Some(Mutation::new(
                "ssm:CreateActivation",
                vec![format!("role {}", new.iam_role)],
                format!("new activation: {summary}"),
            )),
            ActivationsJob::Delete { id, label, .. } => Some(Mutation::new(
                "ssm:DeleteActivation",
                vec![id.clone()],
                if label.is_empty() {
                    String::new()
                } else {
                    format!("activation {label}")
                },
            )),
        }
    }

    fn writes_to(&self, _base: &JobBase) -> Vec<ContextId> {
        match self {
            ActivationsJob::List { .. } => Vec::new(),
            ActivationsJob::Create { ctx, .. } | ActivationsJob::Delete { ctx, .. } => vec![*ctx],
        }
    }

    async fn run(self, env: JobEnv<ActivationsMsg>) -> Option<ActivationsMsg> {
        let env = &env;
        Some(match self {
            ActivationsJob::List { generation } => {
                env.contexts
                    .for_each_capped(|ctx, aws| async move {
                        let result = activations::list(aws).await;
                        env.send(ActivationsMsg::List {
                            generation,
                            ctx,
                            result,
                        });
                    })
                    .await;
                return None;
            }
            ActivationsJob::Create {
                ctx,
                new,
                line,
                summary,
            } => {
                let result = activations::create(env.contexts.get(ctx), &new).await;
                ActivationsMsg::Created {
                    ctx,
                    line,
                    summary,
                    result,
                }
            }
            ActivationsJob::Delete { ctx, id, .. } => {
                let result = activations::delete(env.contexts.get(ctx), &id).await;
                ActivationsMsg::Deleted { ctx, id, result }
            }
        })
    }

    fn outcomes(msg: &ActivationsMsg) -> Vec<Outcome> {
        match msg {
            ActivationsMsg::Created { ctx, result, .. } => {
                let o = Outcome::of(result).in_context(*ctx);
                vec![match result {
                    // The new id only: the code never reaches the log.
                    Ok(c) => o.detail(format!("activation {}", c.id)),
                    Err(_) => o,
                }]
            }
            ActivationsMsg::Deleted { ctx, result, .. } => {
                vec![Outcome::of(result).in_context(*ctx)]
            }
            ActivationsMsg::List { .. } => Vec::new(),
        }
    }
}
