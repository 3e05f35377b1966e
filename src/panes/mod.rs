//! The panes, one folder each: the pane's jobs (the asynchronous work it
//! asks for, with the AWS write each declares) and the messages they
//! report, and their state, update and view behind the
//! [`Pane`](crate::pane::Pane) trait.

pub mod activations;
pub mod associations;
pub mod automation;
pub mod compliance;
pub mod documents;
pub mod fleet;
pub mod harness;
pub mod maintenance;
pub mod opscenter;
pub mod overview;
pub mod parameters;
pub mod run_command;
pub mod sessions;
