//! One module per pane.

pub mod commands;
pub mod fleet;
