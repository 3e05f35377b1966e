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

/// The pane's side of one update.
pub type CommandsCx<'a> = crate::pane::Cx<'a, CommandsJob, CommandsAsk>;

/// What the pane's one-line prompts are for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandsAsk {
    /// Where to write a run's results. The answer is a path: `~/` is the
    /// home directory, a relative path is in the data directory (the
    /// prompt starts at `exports/run-<command id>.json`).
    ExportPath {
        /// The run's command ids (one per context and chunk of 50 nodes).
        command_ids: Vec<String>,
    },
}
