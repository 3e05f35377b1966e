//! Widgets shared by every pane and the shell. Today: the single-line text
//! input and the one filter rule; the list state, sortable table, dialogs
//! and hit map move here next (issue "One pane, one module").

pub mod line_input;
