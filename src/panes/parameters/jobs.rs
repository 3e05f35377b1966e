//! Parameter Store jobs: levels, the background index, values, writes,
//! history, labels, copy and move. Each write declares its IAM action.

use crate::aws::AwsError;
use crate::aws::params::{self, CopyOutcome, CopyPlan, PutError, PutRequest};
use crate::job::{Job, JobEnv, Mutation, Outcome};
use crate::model::{ContextId, ParamKind, ParameterMeta, ParameterValue, ParameterVersion};

/// Results of Parameter Store jobs.
#[derive(Debug, Clone)]
pub enum ParamsEvent {
    /// One hierarchy level listed completely, and the `DescribeParameters`
    /// calls it took (1 when the first call failed).
    Level(String, Result<Vec<ParameterMeta>, AwsError>, u32),
    /// One `DescribeParameters` page of the background index (possibly empty
    /// after dropping names already seen: one event per call); `done` marks the
    /// closing event, which is not a call of its own unless it is an error.
    IndexPage(Result<Vec<ParameterMeta>, AwsError>, bool),
    /// An index page failed with a passing fault and is asked for again
    /// ([`resume`](crate::aws::resume)).
    IndexStalled(crate::aws::resume::Stall),
    /// Values read (SecureStrings as ciphertext), and the `GetParameters`
    /// calls made (10 names a call).
    Values(Result<Vec<ParameterValue>, AwsError>, u32),
    /// A SecureString's clear text, asked for by the user.
    Revealed(Result<ParameterValue, AwsError>),
    /// A save finished.
    Saved(String, Result<i64, PutError>),
    /// A delete finished.
    Deleted(String, Result<(), AwsError>),
    /// History arrived.
    History(String, Result<Vec<ParameterVersion>, AwsError>),
    /// A label change finished: the notice to show, or the error.
    Labeled(String, Result<String, AwsError>),
    /// One parameter read in every context of the set ([`ParamsJob::Compare`]).
    Compared(String, Vec<Compared>),
    /// A copy dry run is ready.
    CopyPlanned(Result<CopyPlan, AwsError>),
    /// A copy (or move) was applied.
    CopyApplied(CopyOutcome),
    /// A report of a job run in context `0` of the set
    /// ([`ParamsJob::At`]): the pane drops it unless it still browses
    /// that context.
    At(ContextId, Box<ParamsEvent>),
}

/// What one context holds under a compared name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compared {
    /// The context.
    pub ctx: ContextId,
    /// Its parameter (`None`: not there), or why it could not be read.
    pub result: Result<Option<ComparedValue>, AwsError>,
}

/// One context's parameter, as the comparison shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComparedValue {
    /// String, StringList or SecureString.
    pub kind: ParamKind,
    /// Its version.
    pub version: i64,
    /// Last modified, epoch seconds.
    pub last_modified_s: Option<i64>,
    /// The value, for String and StringList only (never a SecureString's).
    pub shown: Option<String>,
    /// Whether the value equals the first context's (`None`: the first
    /// context has none to compare with).
    pub same_as_first: Option<bool>,
}

/// Work of the Parameters pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamsJob {
    /// List one level (`GetParametersByPath`, `Recursive=false`), e.g. `/prod/api` (`/` for the root).
    Level {
        /// The level.
        path: String,
    },
    /// Index every parameter in the background (DescribeParameters; cancels an older index).
    Index,
    /// Read values (GetParameters, 10 a call; no decryption).
    Values {
        /// Names.
        names: Vec<String>,
    },
    /// Read one SecureString in clear text.
    Reveal {
        /// Name.
        name: String,
    },
    /// Write a parameter (guarded when `expected_version` is set).
    Save(PutRequest),
    /// Delete a parameter.
    Delete {
        /// Name.
        name: String,
    },
    /// Read every version.
    History {
        /// Name.
        name: String,
    },
    /// Attach labels to a version.
    Label {
        /// Name.
        name: String,
        /// Version.
        version: i64,
        /// Labels.
        labels: Vec<String>,
    },
    /// Detach labels from a version.
    Unlabel {
        /// Name.
        name: String,
        /// Version.
        version: i64,
        /// Labels.
        labels: Vec<String>,
    },
    /// Read parameter `name` (GetParameter, decrypted) in every context of
    /// the set, at most `contexts::CONTEXTS_AT_ONCE` at a time, and tell
    /// each value from the first context's: the question "is /app/db/url the
    /// same in every region?". A SecureString's value is compared in the
    /// job and never reported.
    Compare {
        /// Parameter name.
        name: String,
    },
    /// Dry run of copying `from` to `to` (reads both sides, changes nothing).
    PlanCopy {
        /// Source prefix.
        from: String,
        /// Destination prefix.
        to: String,
        /// Delete the sources after copying.
        move_sources: bool,
        /// The context of the destination (the set's first: the same as
        /// the source's).
        to_ctx: ContextId,
    },
    /// Apply a confirmed copy plan (not cancellable: a half-applied copy finishes its steps).
    ApplyCopy(CopyPlan),
    /// The job, in context `0` of the set instead of the first (the
    /// context the pane browses): it runs there, writes there (a copy's
    /// destination stays its own) and reports as [`ParamsEvent::At`].
    At(ContextId, Box<ParamsJob>),
}

/// Runs `job` in context `id` of the set: its environment's context is
/// that one, and every report it sends comes back as [`ParamsEvent::At`].
fn run_at(
    env: JobEnv<ParamsEvent>,
    id: ContextId,
    job: ParamsJob,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Option<ParamsEvent>> + Send>> {
    let mut base = (*env).clone();
    base.ctx = env.contexts.get(id).clone();
    let send = env.sender();
    let wrapped: std::sync::Arc<dyn Fn(ParamsEvent) + Send + Sync> =
        std::sync::Arc::new(move |m| send(ParamsEvent::At(id, Box::new(m))));
    let inner = JobEnv::new(base, wrapped);
    Box::pin(async move {
        job.run(inner)
            .await
            .map(|m| ParamsEvent::At(id, Box::new(m)))
    })
}

impl Job for ParamsJob {
    type Msg = ParamsEvent;

    fn slot(&self) -> Option<String> {
        match self {
            ParamsJob::At(_, inner) => inner.slot(),
            ParamsJob::Level { path } => Some(format!("params-level:{path}")),
            ParamsJob::Index => Some("params-index".into()),
            ParamsJob::Reveal { .. } => Some("params-reveal".into()),
            ParamsJob::History { .. } => Some("params-history".into()),
            ParamsJob::PlanCopy { .. } => Some("params-copy".into()),
            ParamsJob::Compare { .. } => Some("params-compare".into()),
            ParamsJob::Values { .. }
            | ParamsJob::Save(_)
            | ParamsJob::Delete { .. }
            | ParamsJob::Label { .. }
            | ParamsJob::Unlabel { .. }
            | ParamsJob::ApplyCopy(_) => None,
        }
    }

    fn writes_to(&self, _base: &crate::job::JobBase) -> Vec<ContextId> {
        // The browsed context ([`ParamsJob::At`], else the first); a copy
        // writes to its destination, a move deletes in the browsed one too.
        let (here, job) = match self {
            ParamsJob::At(id, inner) => (*id, inner.as_ref()),
            job => (ContextId(0), job),
        };
        match job {
            ParamsJob::ApplyCopy(plan) if plan.move_sources => vec![here, plan.to_ctx],
            ParamsJob::ApplyCopy(plan) => vec![plan.to_ctx],
            _ => vec![here],
        }
    }

    fn mutation(&self) -> Option<Mutation> {
        match self {
            ParamsJob::At(_, inner) => inner.mutation(),
            ParamsJob::Level { .. }
            | ParamsJob::Index
            | ParamsJob::Values { .. }
            | ParamsJob::Reveal { .. }
            | ParamsJob::History { .. }
            | ParamsJob::PlanCopy { .. }
            | ParamsJob::Compare { .. } => None,
            ParamsJob::Save(req) => Some(Mutation::new(
                "ssm:PutParameter",
                vec![req.name.clone()],
                req.kind.as_str(),
            )),
            ParamsJob::Delete { name } => {
                Some(Mutation::new("ssm:DeleteParameter", vec![name.clone()], ""))
            }
            ParamsJob::Label {
                name,
                version,
                labels,
            } => Some(Mutation::new(
                "ssm:LabelParameterVersion",
                vec![format!("{name}:{version}")],
                format!("labels {}", labels.join(", ")),
            )),
            ParamsJob::Unlabel {
                name,
                version,
                labels,
            } => Some(Mutation::new(
                "ssm:UnlabelParameterVersion",
                vec![format!("{name}:{version}")],
                format!("labels {}", labels.join(", ")),
            )),
            ParamsJob::ApplyCopy(plan) => Some(Mutation::new(
                if plan.move_sources {
                    "ssm:PutParameter + ssm:DeleteParameter (move)"
                } else {
                    "ssm:PutParameter (copy)"
                },
                plan.steps.iter().map(|s| s.to.clone()).collect(),
                if plan.to_ctx == ContextId(0) {
                    format!("{} → {}", plan.from, plan.to)
                } else {
                    format!(
                        "{} → {} in context {} of the set",
                        plan.from,
                        plan.to,
                        plan.to_ctx.index() + 1
                    )
                },
            )),
        }
    }

    async fn run(self, env: JobEnv<ParamsEvent>) -> Option<ParamsEvent> {
        if let ParamsJob::At(id, inner) = self {
            return run_at(env, id, *inner).await;
        }
        let ctx = &env.ctx;
        Some(match self {
            ParamsJob::At(..) => unreachable!("handled above"),
            ParamsJob::Level { path } => match params::list_level(ctx, &path).await {
                Ok((metas, calls)) => ParamsEvent::Level(path, Ok(metas), calls),
                Err(e) => ParamsEvent::Level(path, Err(e), 1),
            },
            ParamsJob::Index => {
                let send = env.sender();
                let stalled = env.sender();
                let on_stall = move |s| stalled(ParamsEvent::IndexStalled(s));
                let r = params::index_all_with_stalls(
                    ctx,
                    move |metas| send(ParamsEvent::IndexPage(Ok(metas), false)),
                    &on_stall,
                )
                .await;
                ParamsEvent::IndexPage(r.map(|_| Vec::new()), true)
            }
            ParamsJob::Values { names } => {
                let calls =
                    u32::try_from(names.len().div_ceil(params::GET_BATCH)).unwrap_or(u32::MAX);
                ParamsEvent::Values(params::get_values(ctx, &names, false).await, calls)
            }
            ParamsJob::Reveal { name } => {
                ParamsEvent::Revealed(params::get_value(ctx, &name, true).await)
            }
            ParamsJob::Compare { name } => {
                let rows = compare(&env, &name).await;
                ParamsEvent::Compared(name, rows)
            }
            ParamsJob::Save(req) => {
                let r = params::put(ctx, &req).await;
                ParamsEvent::Saved(req.name, r)
            }
            ParamsJob::Delete { name } => {
                let r = params::delete(ctx, &name).await;
                ParamsEvent::Deleted(name, r)
            }
            ParamsJob::History { name } => {
                let r = params::history(ctx, &name, true).await;
                ParamsEvent::History(name, r)
            }
            ParamsJob::Label {
                name,
                version,
                labels,
            } => {
                let r = params::label(ctx, &name, version, labels.clone()).await;
                let r = r.map(|invalid| label_notice(&name, version, &labels, &invalid));
                ParamsEvent::Labeled(name, r)
            }
            ParamsJob::Unlabel {
                name,
                version,
                labels,
            } => {
                let r = params::unlabel(ctx, &name, version, labels.clone()).await;
                let r = r.map(|removed| unlabel_notice(&name, version, &labels, &removed));
                ParamsEvent::Labeled(name, r)
            }
            ParamsJob::PlanCopy {
                from,
                to,
                move_sources,
                to_ctx,
            } => {
                let dst = env.contexts.get(to_ctx);
                let plan = params::plan_copy(ctx, dst, &from, &to, move_sources).await;
                ParamsEvent::CopyPlanned(plan.map(|p| CopyPlan { to_ctx, ..p }))
            }
            ParamsJob::ApplyCopy(plan) => {
                let dst = env.contexts.get(plan.to_ctx);
                ParamsEvent::CopyApplied(params::apply_copy(ctx, dst, &plan).await)
            }
        })
    }

    fn outcomes(msg: &ParamsEvent) -> Vec<Outcome> {
        match msg {
            // Audited in the browsed context (a copy's line keeps its
            // destination).
            ParamsEvent::At(id, inner) => Self::outcomes(inner)
                .into_iter()
                .map(|o| match o.context {
                    None => o.in_context(*id),
                    Some(_) => o,
                })
                .collect(),
            ParamsEvent::Saved(_, r) => vec![match r {
                Ok(v) => Outcome::text("ok").detail(format!("version {v}")),
                Err(PutError::Conflict(t)) => Outcome::text("refused")
                    .detail(format!("changed meanwhile to version {}", t.version)),
                Err(PutError::Aws(e)) => Outcome::of::<()>(&Err(e.clone())),
            }],
            ParamsEvent::Deleted(_, r) => vec![Outcome::of(r)],
            ParamsEvent::Labeled(_, r) => vec![Outcome::of(r)],
            ParamsEvent::CopyApplied(out) => {
                let outcome = if out.failures.is_empty() {
                    Outcome::text("ok")
                } else {
                    Outcome::text(format!("error: {} failed", out.failures.len()))
                };
                vec![outcome.in_context(out.to_ctx).detail(format!(
                    "{} created, {} overwritten, {} deleted{}",
                    out.created,
                    out.overwritten,
                    out.deleted.len(),
                    if out.deleted.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", out.deleted.join(", "))
                    }
                ))]
            }
            ParamsEvent::Level(..)
            | ParamsEvent::IndexPage(..)
            | ParamsEvent::IndexStalled(_)
            | ParamsEvent::Values(..)
            | ParamsEvent::Revealed(_)
            | ParamsEvent::History(..)
            | ParamsEvent::CopyPlanned(_)
            | ParamsEvent::Compared(..) => Vec::new(),
        }
    }
}

/// What the user is told after LabelParameterVersion.
fn label_notice(name: &str, version: i64, labels: &[String], invalid: &[String]) -> String {
    if invalid.is_empty() {
        format!(
            "labelled version {version} of {name}: {}",
            labels.join(", ")
        )
    } else {
        format!(
            "AWS refused the label(s) {}: labels are letters, digits, _ . -, at most 100 characters, not only digits, not starting with aws or ssm",
            invalid.join(", ")
        )
    }
}

/// What the user is told after UnlabelParameterVersion.
fn unlabel_notice(name: &str, version: i64, labels: &[String], removed: &[String]) -> String {
    if removed.is_empty() {
        format!(
            "version {version} of {name} has no label {}",
            labels.join(", ")
        )
    } else {
        format!(
            "removed {} from version {version} of {name}",
            removed.join(", ")
        )
    }
}

/// [`ParamsJob::Compare`]: every context's value of `name`, in set order.
async fn compare(env: &JobEnv<ParamsEvent>, name: &str) -> Vec<Compared> {
    use futures::StreamExt;
    let all: Vec<(ContextId, crate::aws::AwsContext)> = env
        .contexts
        .iter()
        .map(|(id, ctx)| (id, ctx.clone()))
        .collect();
    let reads = all.into_iter().map(|(id, ctx)| async move {
        let r = match params::get_value(&ctx, name, true).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.code.as_deref() == Some("ParameterNotFound") => Ok(None),
            Err(e) => Err(e),
        };
        (id, r)
    });
    let mut got: Vec<(
        ContextId,
        Result<Option<crate::model::ParameterValue>, AwsError>,
    )> = futures::stream::iter(reads)
        .buffered(crate::aws::contexts::CONTEXTS_AT_ONCE)
        .collect()
        .await;
    let first: Option<String> = got
        .first()
        .and_then(|(_, r)| r.as_ref().ok())
        .and_then(|v| v.as_ref().map(|v| v.value.clone()));
    got.drain(..)
        .map(|(ctx, r)| Compared {
            ctx,
            result: r.map(|v| {
                v.map(|v| ComparedValue {
                    kind: v.kind,
                    version: v.version,
                    last_modified_s: v.last_modified_s,
                    same_as_first: first.as_ref().map(|f| *f == v.value),
                    shown: (v.kind != ParamKind::SecureString).then_some(v.value),
                })
            }),
        })
        .collect()
}
