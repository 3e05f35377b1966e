//! The OpsCenter pane: its jobs and messages.

pub mod jobs;

pub use jobs::{OpsCenterEvent, OpsJob};
