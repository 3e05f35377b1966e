//! The Run Command pane (SendCommand and what follows it): the composer,
//! runs with per-node status and live output, grouping of identical
//! results, cancel, re-run of the failed nodes, history and export. State
//! in [`state`], the composer in [`compose`], the
//! [`Pane`](crate::pane::Pane) behaviour in `update`, drawing in [`view`],
//! AWS work in [`jobs`], what survives a restart and the history rows in
//! [`memory`].

pub mod compose;
pub mod jobs;
pub mod memory;
pub mod state;
mod update;
pub mod view;

pub use compose::{Compose, ComposeField, parse_tags};
pub use jobs::{CommandsEvent, CommandsJob, ContextSend, LiveRead, Placement, PollResult};
pub use state::{
    CommandsState, Group, LIVE_KEEP_BYTES, LiveOutput, MemoryLoad, NodeRun, POLL_MAX, POLL_MIN,
    POLL_SOON, Run,
};

/// The pane's side of one update (it asks no one-line prompts).
pub type CommandsCx<'a> = crate::pane::Cx<'a, CommandsJob>;
