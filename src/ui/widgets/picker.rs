//! The `:contexts` picker's two lists: credential sources and regions,
//! each entry `[x]` when chosen, the cursor in the focused list.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::app::picker::ContextPicker;
use crate::config::Theme;
use crate::widgets::raw_json::sanitize;

/// Rows the lists take (their frame included), at most `room`.
pub fn height(p: &ContextPicker, room: u16) -> u16 {
    let longest = p.sources.len().max(p.regions.len()) as u16;
    (longest + 2).min(room)
}

fn list(
    entries: Vec<(String, bool)>,
    cursor: usize,
    focused: bool,
    rows: usize,
    t: &Theme,
) -> Vec<Line<'static>> {
    // Keep the cursor in view.
    let first = cursor.saturating_sub(rows.saturating_sub(1));
    entries
        .into_iter()
        .enumerate()
        .skip(first)
        .take(rows)
        .map(|(i, (text, on))| {
            let mark = if on { "[x] " } else { "[ ] " };
            let mut style = if on {
                t.style("ui.text")
            } else {
                t.style("ui.dim")
            };
            if focused && i == cursor {
                style = style.patch(t.style("ui.cursor"));
            }
            Line::from(Span::styled(format!("{mark}{}", sanitize(&text)), style))
        })
        .collect()
}

/// Draws the lists side by side in `area`.
pub fn render(frame: &mut Frame, area: Rect, p: &ContextPicker, t: &Theme) {
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(area);
    let rows = area.height.saturating_sub(2) as usize;
    let chosen = |n: usize| format!("{n} chosen");
    let sources: Vec<(String, bool)> = p.sources.iter().map(|(s, on)| (s.text(), *on)).collect();
    let regions: Vec<(String, bool)> = p.regions.clone();
    for (k, (area, title, entries)) in [(left, "Credentials", sources), (right, "Regions", regions)]
        .into_iter()
        .enumerate()
    {
        let n = entries.iter().filter(|(_, on)| *on).count();
        let focused = p.column == k;
        let border = if focused { "ui.title" } else { "ui.border" };
        frame.render_widget(
            Paragraph::new(list(entries, p.cursor[k], focused, rows, t)).block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(t.style(border))
                    .title(Span::styled(
                        format!(" {title} · {} ", chosen(n)),
                        t.style("ui.title"),
                    )),
            ),
            area,
        );
    }
}
