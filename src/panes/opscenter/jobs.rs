//! OpsCenter jobs: the OpsItem list, one item whole, guarded updates and
//! create. UpdateOpsItem and CreateOpsItem declare their writes.

use crate::aws::AwsError;
use crate::aws::opscenter::{self, CreateRequest, OpsChange, ServerFilter, UpdateError};
use crate::job::{Job, JobEnv, Mutation, Outcome};
use crate::model::{ContextId, OpsEvent, OpsItem, OpsRelatedItem};

/// Results of OpsCenter jobs.
#[derive(Debug, Clone)]
pub enum OpsCenterEvent {
    /// A DescribeOpsItems page (or why the load stopped).
    Page {
        /// The load it belongs to ([`OpsJob::List`]'s generation).
        generation: u64,
        /// The context the page is of (its items carry the same id).
        ctx: ContextId,
        /// The page's items.
        result: Result<Vec<OpsItem>, AwsError>,
        /// Set on the last page (and on an error).
        done: bool,
    },
    /// A page failed with a passing fault and is asked for again
    /// ([`resume`](crate::aws::resume)).
    Stalled {
        /// The load it belongs to.
        generation: u64,
        /// The context asking again.
        ctx: ContextId,
        /// The error, the pause, the round.
        stall: crate::aws::resume::Stall,
    },
    /// GetOpsItem answered.
    Item {
        /// OpsItem id asked for.
        id: String,
        /// The item whole.
        result: Result<OpsItem, AwsError>,
    },
    /// ListOpsItemEvents answered.
    Events {
        /// OpsItem id asked for.
        id: String,
        /// Its events, newest first as AWS gives them.
        result: Result<Vec<OpsEvent>, AwsError>,
    },
    /// ListOpsItemRelatedItems answered.
    Related {
        /// OpsItem id asked for.
        id: String,
        /// Its related items.
        result: Result<Vec<OpsRelatedItem>, AwsError>,
    },
    /// Guarded updates finished.
    Updated {
        /// What was written.
        change: OpsChange,
        /// The context each target is in (same order as `results`; empty:
        /// every one in the first).
        homes: Vec<ContextId>,
        /// Per OpsItem id, the item after the write or why not.
        results: Vec<(String, Result<OpsItem, UpdateError>)>,
    },
    /// CreateOpsItem answered with the new id.
    Created(Result<String, AwsError>),
    /// One context's OpsItems counted by status (GetOpsSummary), read
    /// beside a list whose filter leaves some statuses out, so the header
    /// gives their numbers too.
    StatusTotals {
        /// The load it belongs to.
        generation: u64,
        /// The context counted.
        ctx: ContextId,
        /// Status (`Open`, `InProgress`, `Resolved`, …) to its count.
        result: Result<std::collections::BTreeMap<String, u64>, AwsError>,
    },
}

/// Work of the OpsCenter pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpsJob {
    /// Read every DescribeOpsItems page with `filters` in every context of
    /// the set, at most `contexts::CONTEXTS_AT_ONCE` at a time (cancels an
    /// older load); each context ends with a page marked `done`.
    List {
        /// Generation tag for the pages.
        generation: u64,
        /// Server-side filters.
        filters: Vec<ServerFilter>,
    },
    /// Read one OpsItem whole (GetOpsItem), with its events and related items.
    Detail {
        /// OpsItem id.
        id: String,
    },
    /// Guarded UpdateOpsItem on each target (id, LastModifiedTime in
    /// milliseconds it was read at; `None` writes without the check). Not
    /// cancellable: every item reports what happened to it.
    Update {
        /// Items.
        targets: Vec<(String, Option<i64>)>,
        /// The change.
        change: OpsChange,
    },
    /// CreateOpsItem.
    Create(CreateRequest),
}

impl Job for OpsJob {
    type Msg = OpsCenterEvent;

    fn slot(&self) -> Option<String> {
        match self {
            OpsJob::List { .. } => Some("ops-list".into()),
            OpsJob::Detail { .. } => Some("ops-item".into()),
            OpsJob::Update { .. } | OpsJob::Create(_) => None,
        }
    }

    fn writes_to(&self, base: &crate::job::JobBase) -> Vec<ContextId> {
        match self {
            OpsJob::Update { targets, .. } => {
                targets.iter().map(|(id, _)| base.homes.of(id)).collect()
            }
            _ => vec![ContextId::default()],
        }
    }

    fn mutation(&self) -> Option<Mutation> {
        match self {
            OpsJob::List { .. } | OpsJob::Detail { .. } => None,
            OpsJob::Update { targets, change } => Some(Mutation::new(
                "ssm:UpdateOpsItem",
                targets.iter().map(|(id, _)| id.clone()).collect(),
                change.describe(),
            )),
            OpsJob::Create(req) => Some(Mutation::new(
                "ssm:CreateOpsItem",
                Vec::new(),
                format!(
                    "priority {}, severity {}, source {}",
                    req.priority, req.severity, req.source
                ),
            )),
        }
    }

    async fn run(self, env: JobEnv<OpsCenterEvent>) -> Option<OpsCenterEvent> {
        let ctx = &env.ctx;
        match self {
            OpsJob::List {
                generation,
                filters,
            } => {
                let filters = &filters;
                let env = &env;
                // A status filter hides the other statuses' items: their
                // numbers come from GetOpsSummary, beside the pages.
                let by_status = filters
                    .iter()
                    .any(|f| matches!(f, ServerFilter::Text { key, .. } if key == "Status"));
                env.contexts
                    .for_each_capped(|id, ctx| async move {
                        let totals = async {
                            if by_status {
                                env.send(OpsCenterEvent::StatusTotals {
                                    generation,
                                    ctx: id,
                                    result: crate::aws::explorer::ops_by_status(ctx).await,
                                });
                            }
                        };
                        tokio::join!(list_one(env, generation, id, ctx, filters), totals);
                    })
                    .await;
                None
            }
            OpsJob::Detail { id } => {
                let home = env.homes.of(&id);
                let ctx = env.contexts.get(home);
                // The three reads at once; each is shown as it arrives.
                let item = async {
                    env.send(OpsCenterEvent::Item {
                        id: id.clone(),
                        result: opscenter::get(ctx, &id)
                            .await
                            .map(|i| OpsItem { ctx: home, ..i }),
                    });
                };
                let events = async {
                    env.send(OpsCenterEvent::Events {
                        id: id.clone(),
                        result: opscenter::events(ctx, &id).await,
                    });
                };
                let related = async {
                    env.send(OpsCenterEvent::Related {
                        id: id.clone(),
                        result: opscenter::related(ctx, &id).await,
                    });
                };
                tokio::join!(item, events, related);
                None
            }
            OpsJob::Update { targets, change } => {
                let mut results = Vec::with_capacity(targets.len());
                let mut homes = Vec::with_capacity(targets.len());
                for (id, expected) in targets {
                    let home = env.homes.of(&id);
                    homes.push(home);
                    let ctx = env.contexts.get(home);
                    let r = opscenter::update_guarded(ctx, &id, expected, &change)
                        .await
                        .map(|i| OpsItem { ctx: home, ..i });
                    results.push((id, r));
                }
                Some(OpsCenterEvent::Updated {
                    change,
                    homes,
                    results,
                })
            }
            OpsJob::Create(req) => {
                Some(OpsCenterEvent::Created(opscenter::create(ctx, &req).await))
            }
        }
    }

    fn outcomes(msg: &OpsCenterEvent) -> Vec<Outcome> {
        match msg {
            OpsCenterEvent::Updated { results, homes, .. } => results
                .iter()
                .enumerate()
                .map(|(k, (id, r))| {
                    let o = match r {
                        Ok(_) => Outcome::text("ok"),
                        Err(UpdateError::Conflict(_)) => {
                            Outcome::text("refused: changed since read")
                        }
                        Err(UpdateError::Aws(e)) => Outcome::of::<()>(&Err(e.clone())),
                    };
                    o.targets(vec![id.clone()])
                        .in_context(homes.get(k).copied().unwrap_or_default())
                })
                .collect(),
            OpsCenterEvent::Created(r) => vec![
                Outcome::of(r).targets(r.as_ref().map(|id| vec![id.clone()]).unwrap_or_default()),
            ],
            OpsCenterEvent::Page { .. }
            | OpsCenterEvent::Stalled { .. }
            | OpsCenterEvent::Item { .. }
            | OpsCenterEvent::Events { .. }
            | OpsCenterEvent::Related { .. }
            | OpsCenterEvent::StatusTotals { .. } => Vec::new(),
        }
    }
}

/// One context's part of a list: its pages (items stamped with `id` and
/// their homes recorded), then a `done` page or the error.
async fn list_one(
    env: &JobEnv<OpsCenterEvent>,
    generation: u64,
    id: ContextId,
    ctx: &crate::aws::AwsContext,
    filters: &[ServerFilter],
) {
    let on_page = |mut items: Vec<OpsItem>, done| {
        for i in &mut items {
            i.ctx = id;
        }
        let ids: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
        env.homes.record(id, &ids);
        env.send(OpsCenterEvent::Page {
            generation,
            ctx: id,
            result: Ok(items),
            done,
        });
    };
    let on_stall = |stall| {
        env.send(OpsCenterEvent::Stalled {
            generation,
            ctx: id,
            stall,
        })
    };
    if let Err(e) = opscenter::list_all_with_stalls(ctx, filters, on_page, on_stall).await {
        env.send(OpsCenterEvent::Page {
            generation,
            ctx: id,
            result: Err(e),
            done: true,
        });
    }
}
