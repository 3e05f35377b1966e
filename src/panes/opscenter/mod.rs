//! The OpsCenter pane: the OpsItem list (every DescribeOpsItems page,
//! filtered server-side and client-side), the detail of one item, triage
//! (status, priority, severity, notes, operational data, links) guarded
//! against lost updates, bulk changes on a selection, and the create/edit
//! form. State in [`state`], the [`Pane`](crate::pane::Pane) behaviour in
//! `update` and `form`, drawing in [`view`], AWS work in [`jobs`].

pub mod form;
pub mod jobs;
pub mod state;
mod update;
pub mod view;

pub use jobs::{OpsCenterEvent, OpsJob};
pub use state::OpsState;

/// What the pane's prompts and choice lists are for. Each names the
/// OpsItems it writes with the LastModifiedTime (epoch milliseconds) they
/// were read at: UpdateOpsItem is refused for one that changed since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    /// A note on OpsItem `id` (stored as operational data).
    Note {
        /// OpsItem id.
        id: String,
        /// LastModifiedTime it was read at, epoch milliseconds.
        expected: i64,
    },
    /// An operational data entry (`key=value`) for OpsItem `id`.
    Data {
        /// OpsItem id.
        id: String,
        /// LastModifiedTime it was read at, epoch milliseconds.
        expected: i64,
    },
    /// Another OpsItem (`oi-…`) to relate to OpsItem `id`.
    Link {
        /// OpsItem id.
        id: String,
        /// LastModifiedTime it was read at, epoch milliseconds.
        expected: i64,
    },
    /// A new status for these items (id, LastModifiedTime ms).
    Status(Vec<(String, i64)>),
    /// A new priority (1 … 5) for these items.
    Priority(Vec<(String, i64)>),
    /// A new severity (1 … 4) for these items.
    Severity(Vec<(String, i64)>),
    /// The operational data key to delete from OpsItem `id`.
    DeleteData {
        /// OpsItem id.
        id: String,
        /// LastModifiedTime it was read at, epoch milliseconds.
        expected: i64,
    },
    /// A related managed node to show in the Fleet pane.
    JumpToNode,
    /// The column to sort by: the answer is a column title ([`state::OpsColumn::title`]).
    SortBy,
}

/// The pane's side of one update.
pub type OpsCx<'a> = crate::pane::Cx<'a, OpsJob, Ask>;
