//! One module per pane.

pub mod fleet;
pub mod opscenter;
