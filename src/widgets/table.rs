//! The table every list pane draws: a header, rows with the cursor's row
//! highlighted and scrolled into view, the drawn rows recorded for the
//! mouse ([`RowHits`]); a tab line over it; a one-line note in its place
//! while it loads or when it is empty; and [`narrow`], which drops the
//! columns that matter least on a narrow terminal so ids are never cut.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use crate::config::Theme;
use crate::pane::RenderContext;
use crate::widgets::hits::RowHits;
use crate::widgets::list::ListCursor;

/// A table's header, column widths and rows of cells.
pub type Columns = (Vec<&'static str>, Vec<Constraint>, Vec<Vec<Cell<'static>>>);

/// A tab line: each title (with its count), the active one highlighted.
pub fn tab_line(tabs: &[(String, bool)], t: &Theme) -> Line<'static> {
    let mut spans = Vec::new();
    for (i, (title, active)) in tabs.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" │ ", t.style("ui.dim")));
        }
        let style = if *active {
            t.style("ui.tab_active")
        } else {
            t.style("ui.tab_inactive")
        };
        spans.push(Span::styled(format!(" {title} "), style));
    }
    Line::from(spans)
}

/// Draws `rows` under `header` into `area` (the header takes its first
/// line), the rows around `cursor` shown and its row styled `ui.cursor`;
/// records the drawn rows in `hits`.
pub fn table<H: Into<Cell<'static>>>(
    frame: &mut Frame,
    area: Rect,
    hits: &RowHits,
    (header, widths): (Vec<H>, Vec<Constraint>),
    rows: Vec<Vec<Cell<'static>>>,
    cursor: ListCursor,
    cx: &RenderContext,
) {
    let t = cx.theme;
    let visible = usize::from(area.height.saturating_sub(1));
    let shown = cursor.shown(rows.len(), visible);
    let first = shown.start;
    let body: Vec<Row> = rows
        .into_iter()
        .enumerate()
        .skip(shown.start)
        .take(shown.len())
        .map(|(i, cells)| {
            let row = Row::new(cells);
            if i == cursor.at {
                row.style(t.style("ui.cursor"))
            } else {
                row
            }
        })
        .collect();
    hits.record(
        Rect {
            y: area.y + 1,
            height: area.height.saturating_sub(1),
            ..area
        },
        first,
    );
    frame.render_widget(
        Table::new(body, widths)
            .header(Row::new(header).style(t.style("ui.table_header")))
            .column_spacing(1)
            .style(t.style("ui.text")),
        area,
    );
}

/// A one-line message in place of a list (loading, empty, failed), wrapped.
pub fn note(frame: &mut Frame, area: Rect, text: String, style: Style) {
    frame.render_widget(
        Paragraph::new(text).style(style).wrap(Wrap { trim: true }),
        area,
    );
}

/// `text` in at most `width` characters: cut with a trailing `…` when
/// longer, so a cut name (an account name or alias in a 14-cell column)
/// shows that it was cut. Ids are never given to it: their columns are as
/// wide as the longest id.
pub fn ellipsize(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A cell of `text` in `style`.
pub fn styled(text: impl Into<String>, style: Style) -> Cell<'static> {
    Cell::from(Span::styled(text.into(), style))
}

/// Keeps the columns `keep` marks (all when `wide`): on a narrow terminal
/// the ones that matter least give way, so ids are never cut mid-id.
pub fn narrow(cols: Columns, keep: &[bool], wide: bool) -> Columns {
    if wide {
        return cols;
    }
    let (header, widths, rows) = cols;
    let pick = |i: &usize| keep.get(*i).copied().unwrap_or(true);
    (
        header
            .into_iter()
            .enumerate()
            .filter(|(i, _)| pick(i))
            .map(|(_, h)| h)
            .collect(),
        widths
            .into_iter()
            .enumerate()
            .filter(|(i, _)| pick(i))
            .map(|(_, w)| w)
            .collect(),
        rows.into_iter()
            .map(|r| {
                r.into_iter()
                    .enumerate()
                    .filter(|(i, _)| pick(i))
                    .map(|(_, c)| c)
                    .collect()
            })
            .collect(),
    )
}
