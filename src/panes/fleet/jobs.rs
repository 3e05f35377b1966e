//! Fleet jobs: the fleet load (DescribeInstanceInformation pages joined
//! with EC2 DescribeInstances). The Fleet pane only reads.

use crate::aws::fleet::{FleetEvent, load_fleet};
use crate::job::{Job, JobEnv, Mutation, Outcome};

/// A fleet load's report, tagged with the load it belongs to.
#[derive(Debug, Clone)]
pub struct FleetMsg {
    /// The load (a newer load makes older reports stale).
    pub generation: u64,
    /// What happened.
    pub event: FleetEvent,
}

/// Work of the Fleet pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FleetJob {
    /// Load the fleet as `generation` (cancels an older load).
    Load {
        /// Generation tag for the results.
        generation: u64,
    },
}

impl Job for FleetJob {
    type Msg = FleetMsg;

    fn slot(&self) -> Option<String> {
        match self {
            FleetJob::Load { .. } => Some("fleet".into()),
        }
    }

    fn mutation(&self) -> Option<Mutation> {
        match self {
            FleetJob::Load { .. } => None,
        }
    }

    async fn run(self, env: JobEnv<FleetMsg>) -> Option<FleetMsg> {
        match self {
            FleetJob::Load { generation } => {
                let send = env.sender();
                load_fleet(env.ctx.clone(), move |event| {
                    send(FleetMsg { generation, event });
                })
                .await;
                None
            }
        }
    }

    fn outcomes(_: &FleetMsg) -> Vec<Outcome> {
        Vec::new()
    }
}
