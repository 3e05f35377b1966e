//! The Fleet pane (managed nodes): its jobs and messages.

pub mod jobs;

pub use jobs::{FleetJob, FleetMsg};
