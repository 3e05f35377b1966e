//! The Associations pane (State Manager): the associations of every
//! context of the set with their nodes by status
//! (`AssociationStatusAggregatedCount`), schedule and last run; an
//! association's settings (DescribeAssociation) and executions
//! (DescribeAssociationExecutions, read again while one runs); an
//! execution's targets (DescribeAssociationExecutionTargets) with the
//! Run Command output of each; "apply now" (StartAssociationsOnce,
//! confirmed, refused in read-only mode, audited).
//!
//! State in [`state`], AWS work in [`jobs`].

pub mod jobs;
pub mod state;
mod update;
mod view;

pub use jobs::{AssociationsJob, AssociationsMsg};
pub use state::AssociationsState;
