//! The Fleet pane (managed nodes): the node table with its query language
//! filter, sort and selection, and the details panel. State in [`state`],
//! the [`Pane`](crate::pane::Pane) behaviour in `update`, drawing in
//! [`view`], the load (DescribeInstanceInformation joined with EC2
//! DescribeInstances) in [`jobs`].

pub mod deregister;
pub mod jobs;
pub mod posture;
mod posture_view;
pub mod remote;
pub mod state;
mod tabs;
mod update;
pub mod view;

pub use jobs::{FleetJob, FleetMsg};
pub use state::{Column, ContextLoad, FleetState};

/// What the pane's one-line prompts are for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    /// A port forward through managed node `node`: the answer is
    /// `LOCAL:REMOTE` or `LOCAL:HOST:REMOTE` (ports 1–65535).
    Forward {
        /// Managed node id.
        node: String,
    },
    /// How to patch managed nodes `nodes`: a pick of
    /// [`patch_options`](crate::panes::compliance::patch_options).
    Patch {
        /// Managed node ids.
        nodes: Vec<String>,
    },
    /// The column to sort by: the answer is a column title ([`state::Column::title`]).
    SortBy,
    /// What of node `node` to copy: the answer is `id`, `name` or `ip`.
    Copy {
        /// Managed node id.
        node: String,
    },
}

/// The pane's side of one update.
pub type FleetCx<'a> = crate::pane::Cx<'a, FleetJob, Ask>;
