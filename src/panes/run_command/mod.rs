//! The Run Command pane: its jobs and messages.

pub mod jobs;

pub use jobs::{CommandsEvent, CommandsJob, LiveRead, PollResult};
