//! The panes, one folder each. Today each folder holds the pane's jobs
//! (the asynchronous work it asks for, with the AWS write each declares)
//! and the messages they report; state, update and view move here next
//! (issue "One pane, one module").

pub mod fleet;
pub mod opscenter;
pub mod parameters;
pub mod run_command;
pub mod sessions;
