//! The Sessions pane (Session Manager shells and port forwards): its jobs
//! and messages.

pub mod jobs;

pub use jobs::{SessionsJob, SessionsMsg};
