//! Overview jobs: open OpsItems by severity in every context of the set
//! (GetOpsSummary, one call per context and page), and the
//! organization-wide counts through the Quick Setup resource data sync.
//! Both only read.

use crate::aws::AwsError;
use crate::aws::explorer::{self, NodesSummary, QUICK_SETUP_SYNC, SeverityCounts};
use crate::job::{Job, JobEnv, Mutation, Outcome};
use crate::model::ContextId;

/// The organization as the resource data sync counts it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgCounts {
    /// Managed nodes by region and platform type (ListNodesSummary).
    pub nodes: NodesSummary,
    /// Open OpsItems by severity (GetOpsSummary).
    pub ops: SeverityCounts,
}

/// What the Overview's jobs report.
#[derive(Debug, Clone)]
pub enum OverviewMsg {
    /// One context's open OpsItems by severity, or why not.
    Ops {
        /// The load it belongs to ([`OverviewJob::Ops`]'s generation).
        generation: u64,
        /// The context counted.
        ctx: ContextId,
        /// The counts.
        result: Result<SeverityCounts, AwsError>,
    },
    /// The organization-wide counts, or why they are not available.
    Org(Result<OrgCounts, AwsError>),
}

/// Work of the Overview pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverviewJob {
    /// GetOpsSummary (open OpsItems by severity) in every context, at most
    /// `contexts::CONTEXTS_AT_ONCE` at a time; one message per context.
    Ops {
        /// Generation tag (a newer load makes older answers stale).
        generation: u64,
    },
    /// ListNodesSummary and GetOpsSummary with the sync
    /// [`QUICK_SETUP_SYNC`] in the first context: answered where the
    /// caller is the organization's delegated administrator (or its
    /// management account) for Systems Manager.
    Org,
}

impl Job for OverviewJob {
    type Msg = OverviewMsg;

    fn slot(&self) -> Option<String> {
        match self {
            OverviewJob::Ops { .. } => Some("overview-ops".into()),
            OverviewJob::Org => Some("overview-org".into()),
        }
    }

    fn mutation(&self) -> Option<Mutation> {
        None
    }

    async fn run(self, env: JobEnv<OverviewMsg>) -> Option<OverviewMsg> {
        match self {
            OverviewJob::Ops { generation } => {
                let env = &env;
                env.contexts
                    .for_each_capped(|ctx, aws| async move {
                        let result = explorer::open_ops_by_severity(aws, None).await;
                        env.send(OverviewMsg::Ops {
                            generation,
                            ctx,
                            result,
                        });
                    })
                    .await;
                None
            }
            OverviewJob::Org => {
                let aws = env.contexts.primary();
                let sync = Some(QUICK_SETUP_SYNC);
                let (nodes, ops) = tokio::join!(
                    explorer::nodes_summary(aws, sync),
                    explorer::open_ops_by_severity(aws, sync)
                );
                Some(OverviewMsg::Org(
                    nodes.and_then(|nodes| ops.map(|ops| OrgCounts { nodes, ops })),
                ))
            }
        }
    }

    fn outcomes(_msg: &OverviewMsg) -> Vec<Outcome> {
        Vec::new()
    }
}
