//! Compliance jobs, all reads: each context's counts per compliance type
//! and its non-compliant resources (capped fan-out over the set).

use crate::aws::AwsError;
use crate::aws::compliance::{self, ResourceSummary, TypeSummary};
use crate::job::{Job, JobEnv, Mutation, Outcome};
use crate::model::ContextId;

/// One context's compliance: the counts per type, the non-compliant
/// resources, and whether the resources were cut at their cap.
pub type ContextCompliance = (Vec<TypeSummary>, Vec<ResourceSummary>, bool);

/// What the Compliance pane's jobs report.
#[derive(Debug, Clone)]
pub enum ComplianceMsg {
    /// One context's compliance.
    Loaded {
        /// The load it belongs to.
        generation: u64,
        /// The context read.
        ctx: ContextId,
        /// What was read.
        result: Result<ContextCompliance, AwsError>,
    },
}

/// Work of the Compliance pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComplianceJob {
    /// ListComplianceSummaries and ListResourceComplianceSummaries in
    /// every context.
    Load {
        /// Generation tag.
        generation: u64,
    },
}

impl Job for ComplianceJob {
    type Msg = ComplianceMsg;

    fn slot(&self) -> Option<String> {
        Some("compliance-load".into())
    }

    fn mutation(&self) -> Option<Mutation> {
        None
    }

    async fn run(self, env: JobEnv<ComplianceMsg>) -> Option<ComplianceMsg> {
        let ComplianceJob::Load { generation } = self;
        let env = &env;
        env.contexts
            .for_each_capped(|ctx, aws| async move {
                let result = match compliance::summaries(aws).await {
                    Ok(types) => compliance::noncompliant(aws, None)
                        .await
                        .map(|(rows, cut)| (types, rows, cut)),
                    Err(e) => Err(e),
                };
                env.send(ComplianceMsg::Loaded {
                    generation,
                    ctx,
                    result,
                });
            })
            .await;
        None
    }

    fn outcomes(_: &ComplianceMsg) -> Vec<Outcome> {
        Vec::new()
    }
}
