//! The Parameters pane (Parameter Store): its jobs and messages.

pub mod jobs;

pub use jobs::{ParamsEvent, ParamsJob};
