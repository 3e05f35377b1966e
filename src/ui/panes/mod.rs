//! One module per pane.

pub mod fleet;
