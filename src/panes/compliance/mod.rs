//! The Compliance pane: per compliance type (Patch, Association, Custom)
//! the compliant and non-compliant counts of every context
//! (ListComplianceSummaries), then the non-compliant managed nodes
//! (ListResourceComplianceSummaries, `Status=NON_COMPLIANT`, every page)
//! worst severity first, with what changed since the previous load (a
//! node that became compliant stays listed, marked). Enter shows a node's
//! compliance items (the Fleet node details' Compliance tab); `c` scans or
//! installs patches on the selection through the Run Command composer
//! with AWS-RunPatchBaseline, and the pane reloads when shown again.
//!
//! State in [`state`], AWS work in [`jobs`]; every job reads.

pub mod jobs;
pub mod state;
mod update;
mod view;

pub use jobs::{ComplianceJob, ComplianceMsg};
pub use state::ComplianceState;
pub use update::{PATCH_DOCUMENT, patch_goto, patch_options};

/// What the pane's choice lists are for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComplianceAsk {
    /// How to run AWS-RunPatchBaseline on these managed nodes: the pick
    /// is `scan`, `install` (RebootIfNeeded) or `noreboot`.
    Patch {
        /// Managed node ids.
        nodes: Vec<String>,
    },
}
