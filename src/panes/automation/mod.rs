//! The Automation pane: automation executions of every context of the set
//! (DescribeAutomationExecutions, every page; filters for status, runbook
//! prefix, start time, OpsItem, parent and execution ids; counts by status
//! in the title, newest first), an execution's steps (polled while it runs,
//! backing off when nothing moves; the current step marked; a step's
//! inputs, outputs and failure in full; an `aws:runCommand` step's command
//! opens in the Run Command pane), the child executions of a
//! rate-controlled run as a grid; approve or reject an `aws:approve` step,
//! run a step or resume in Interactive mode, stop an execution (each
//! confirmed, read-only-blocked and audited through the one runner); the
//! runbooks (ListDocuments `DocumentType=Automation`, fuzzy search) and a
//! start form built from the runbook's parameters, checked before any
//! call, on the Fleet selection or an OpsItem's node, with rate control.
//!
//! State in [`state`], the start form in [`form`], AWS work in [`jobs`].

pub mod form;
pub mod jobs;
pub mod state;
mod update;
mod view;

pub use jobs::{AutomationJob, AutomationMsg};
pub use state::AutomationState;

use crate::model::ContextId;

/// What the pane's one-line prompts are for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AutomationAsk {
    /// The comment of an Approve or Reject signal.
    Comment {
        /// The execution's context.
        ctx: ContextId,
        /// The automation execution id.
        id: String,
        /// Approve (`true`) or Reject.
        approve: bool,
    },
}

/// The first wait before a running execution is read again, milliseconds.
pub const POLL_FIRST_MS: u64 = 2_000;

/// The longest wait between reads of an execution where nothing moves,
/// milliseconds.
pub const POLL_MAX_MS: u64 = 16_000;

/// How long the list waits before it is read again while one of its
/// executions runs, milliseconds.
pub const LIST_POLL_MS: u64 = 10_000;

/// How many times the list is read again (every [`LIST_POLL_MS`]) after a
/// load while something runs: an hour.
pub const RELISTS_MAX: u32 = 360;

/// Executions read per context at most (the newest first).
pub const EXECUTIONS_CAP: usize = 2_000;
