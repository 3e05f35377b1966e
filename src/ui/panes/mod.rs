//! One module per pane.

pub mod opscenter;
