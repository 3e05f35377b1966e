//! Widgets shared by every pane and the shell. Today: the single-line text
//! input and the one filter rule, the titled block; the list state, sortable table, dialogs
//! and hit map move here next (issue "One pane, one module").

pub mod line_input;

use ratatui::text::Span;
use ratatui::widgets::{Block, Borders};

use crate::pane::RenderContext;

/// A bordered block titled in the theme's title style.
pub fn titled_block<'a>(title: String, cx: &RenderContext) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(cx.theme.style("ui.border"))
        .title(Span::styled(title, cx.theme.style("ui.title")))
}
