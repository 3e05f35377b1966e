//! Fleet jobs: the fleet load (DescribeInstanceInformation pages joined
//! with EC2 DescribeInstances), fanned out over every context of the set.
//! The Fleet pane only reads.

use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::aws::contexts::CONTEXTS_AT_ONCE;
use crate::aws::fleet::{FleetEvent, load_fleet};
use crate::job::{Job, JobEnv, Mutation, Outcome};
use crate::model::ContextId;

/// A fleet load's report, tagged with the load it belongs to.
#[derive(Debug, Clone)]
pub struct FleetMsg {
    /// The load (a newer load makes older reports stale).
    pub generation: u64,
    /// The context it is about (its nodes carry the same id).
    pub ctx: ContextId,
    /// What happened.
    pub event: FleetEvent,
}

/// Work of the Fleet pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FleetJob {
    /// Load the fleet of every context as `generation` (cancels an older
    /// load): one load per context, at most
    /// [`CONTEXTS_AT_ONCE`] at a time, each reporting as its pages arrive.
    Load {
        /// Generation tag for the results.
        generation: u64,
    },
    /// The maintenance windows that target managed node `node` and their
    /// last runs (DescribeMaintenanceWindowsForTarget, then
    /// DescribeMaintenanceWindowExecutions), for the node details.
    NodeWindows {
        /// Generation tag (the fleet load the node belongs to).
        generation: u64,
        /// The node's context.
        ctx: ContextId,
        /// The managed node id.
        node: String,
    },
    /// One part of managed node `node`'s posture (patches, compliance
    /// items, inventory, associations) for the node details' tab.
    Posture {
        /// Generation tag (the fleet load the node belongs to).
        generation: u64,
        /// The node's context.
        ctx: ContextId,
        /// The managed node id.
        node: String,
        /// Which part.
        part: crate::aws::posture::PosturePart,
    },
    /// Whether each node's agent is the newest release
    /// ([`agent_currency`](crate::aws::fleet::agent_currency)), in every
    /// context; one report per context.
    AgentCurrency {
        /// Generation tag (the fleet load asked for).
        generation: u64,
    },
    /// The nodes each of the filter's remote `terms` holds for
    /// ([`node_ids`](crate::aws::node_query::node_ids)), in every context
    /// of the set, at most [`CONTEXTS_AT_ONCE`] questions at a time;
    /// reported once, when all have answered.
    Remote {
        /// Generation tag (the fleet load asked for).
        generation: u64,
        /// The terms to ask.
        terms: Vec<crate::filter::RemoteTerm>,
    },
    /// DeregisterManagedInstance of each Inactive hybrid node (context,
    /// id): see [`super::deregister`].
    Deregister {
        /// The nodes, with their contexts.
        nodes: Vec<(ContextId, String)>,
    },
}

impl Job for FleetJob {
    type Msg = FleetMsg;

    fn slot(&self) -> Option<String> {
        match self {
            FleetJob::Load { .. } => Some("fleet".into()),
            FleetJob::NodeWindows { .. } => Some("fleet-node-windows".into()),
            // One read per part: switching tabs does not cancel the
            // other tab's read; another node's read of the part does.
            FleetJob::Posture { part, .. } => Some(format!("fleet-node-posture-{part:?}")),
            // Each question asks every unanswered term of the query: a
            // newer one replaces it.
            FleetJob::Remote { .. } => Some("fleet-remote".into()),
            FleetJob::AgentCurrency { .. } => Some("fleet-agent-currency".into()),
            FleetJob::Deregister { .. } => None,
        }
    }

    fn mutation(&self) -> Option<Mutation> {
        match self {
            FleetJob::Load { .. }
            | FleetJob::NodeWindows { .. }
            | FleetJob::Posture { .. }
            | FleetJob::Remote { .. }
            | FleetJob::AgentCurrency { .. } => None,
            FleetJob::Deregister { nodes } => Some(super::deregister::mutation(nodes)),
        }
    }

    async fn run(self, env: JobEnv<FleetMsg>) -> Option<FleetMsg> {
        match self {
            FleetJob::Deregister { nodes } => Some(super::deregister::run(&env, nodes).await),
            FleetJob::Load { generation } => {
                let gate = Arc::new(Semaphore::new(CONTEXTS_AT_ONCE));
                let mut loads = JoinSet::new();
                let listing = env.fleet_listing;
                for (ctx_id, ctx) in env.contexts.iter() {
                    let (send, gate, ctx) = (env.sender(), gate.clone(), ctx.clone());
                    loads.spawn(async move {
                        let Ok(_turn) = gate.acquire_owned().await else {
                            return;
                        };
                        load_fleet(ctx, listing, move |event| {
                            send(FleetMsg {
                                generation,
                                ctx: ctx_id,
                                event: stamped(event, ctx_id),
                            });
                        })
                        .await;
                    });
                }
                while loads.join_next().await.is_some() {}
                None
            }
            FleetJob::NodeWindows {
                generation,
                ctx,
                node,
            } => {
                let result =
                    crate::aws::maintenance::node_windows(env.contexts.get(ctx), &node).await;
                Some(FleetMsg {
                    generation,
                    ctx,
                    event: FleetEvent::NodeWindows { node, result },
                })
            }
            FleetJob::Posture {
                generation,
                ctx,
                node,
                part,
            } => {
                let result = crate::aws::posture::read(env.contexts.get(ctx), &node, part).await;
                Some(FleetMsg {
                    generation,
                    ctx,
                    event: FleetEvent::Posture { node, part, result },
                })
            }
            FleetJob::AgentCurrency { generation } => {
                let mut asks = JoinSet::new();
                for (ctx_id, ctx) in env.contexts.iter() {
                    let (send, ctx) = (env.sender(), ctx.clone());
                    asks.spawn(async move {
                        let result = crate::aws::fleet::agent_currency(&ctx).await;
                        send(FleetMsg {
                            generation,
                            ctx: ctx_id,
                            event: FleetEvent::AgentCurrency(result),
                        });
                    });
                }
                while asks.join_next().await.is_some() {}
                None
            }
            FleetJob::Remote { generation, terms } => Some(FleetMsg {
                generation,
                ctx: ContextId::default(),
                event: FleetEvent::Remote(ask_remote(&env, terms).await),
            }),
        }
    }

    fn outcomes(m: &FleetMsg) -> Vec<Outcome> {
        match &m.event {
            FleetEvent::Deregistered(r) => super::deregister::outcomes(r),
            _ => Vec::new(),
        }
    }

    fn writes_to(&self, base: &crate::job::JobBase) -> Vec<ContextId> {
        match self {
            FleetJob::Deregister { nodes } => super::deregister::writes_to(nodes, base),
            _ => vec![ContextId::default()],
        }
    }
}

/// Every context's answer to each of `terms`.
async fn ask_remote(
    env: &JobEnv<FleetMsg>,
    terms: Vec<crate::filter::RemoteTerm>,
) -> Vec<crate::aws::node_query::TermAnswer> {
    let gate = Arc::new(Semaphore::new(CONTEXTS_AT_ONCE));
    let mut asks = JoinSet::new();
    for (ctx_id, ctx) in env.contexts.iter() {
        for term in &terms {
            let (gate, ctx, term) = (gate.clone(), ctx.clone(), term.clone());
            asks.spawn(async move {
                let _turn = gate.acquire_owned().await.ok()?;
                let result = crate::aws::node_query::node_ids(&ctx, &term).await;
                Some(crate::aws::node_query::TermAnswer {
                    term,
                    ctx: ctx_id,
                    result,
                })
            });
        }
    }
    let mut out = Vec::new();
    while let Some(done) = asks.join_next().await {
        out.extend(done.ok().flatten());
    }
    out
}

/// `event` with its nodes marked as listed in context `id`.
fn stamped(event: FleetEvent, id: ContextId) -> FleetEvent {
    match event {
        FleetEvent::Page(mut nodes) => {
            for n in &mut nodes {
                n.ctx = id;
            }
            FleetEvent::Page(nodes)
        }
        other => other,
    }
}
