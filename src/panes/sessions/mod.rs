//! The Sessions pane (Session Manager shells and port forwards) on the
//! [`crate::pane::Pane`] shape: its state and update (`state`), its jobs
//! and messages (`jobs`), its view (`view`).

pub mod jobs;
pub mod state;
pub mod view;

pub use jobs::{SessionsJob, SessionsMsg};
pub use state::{ForwardTab, SCROLLBACK, SessionTab, SessionsState, TabState, terminal_size};
