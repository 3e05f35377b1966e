//! The panes, one folder each: the pane's jobs (the asynchronous work it
//! asks for, with the AWS write each declares) and the messages they
//! report. Parameters, OpsCenter and Sessions also hold their state,
//! update and view here behind the [`Pane`](crate::pane::Pane) trait; Fleet
//! and Run Command still keep those in `src/app/` and `src/ui/panes/`
//! (issue "One pane, one module").

pub mod fleet;
pub mod opscenter;
pub mod parameters;
pub mod run_command;
pub mod sessions;
