//! Widgets shared by every pane and the shell. Today: the single-line text
//! input and the one filter rule, the choice list, the titled block, fuzzy
//! match highlighting, the cursor and ping styles, the list cursor, the
//! table and its hit map, the sort order; other dialogs move here next
//! (issue "One pane, one module").

pub mod choice;
pub mod hits;
pub mod line_input;
pub mod list;
pub mod raw_json;
pub mod sort;
pub mod table;

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};

use crate::model::PingStatus;
use crate::pane::RenderContext;

/// The theme token for a ping status.
pub fn ping_token(p: PingStatus) -> &'static str {
    match p {
        PingStatus::Online => "status.online",
        PingStatus::ConnectionLost => "status.connection_lost",
        PingStatus::Inactive | PingStatus::Unknown => "status.inactive",
    }
}

/// A style with the theme's cursor background laid over `base`.
pub fn with_cursor(base: Style, cursor: Style) -> Style {
    base.patch(cursor)
}

/// Spans of `text` with the characters at `hits` in `hit` style.
pub fn highlighted(text: &str, hits: &[usize], base: Style, hit: Style) -> Line<'static> {
    if hits.is_empty() {
        return Line::from(Span::styled(text.to_owned(), base));
    }
    let mut spans = Vec::new();
    let mut run = String::new();
    let mut run_hit = false;
    for (i, c) in text.chars().enumerate() {
        let is_hit = hits.binary_search(&i).is_ok();
        if is_hit != run_hit && !run.is_empty() {
            spans.push(Span::styled(
                std::mem::take(&mut run),
                if run_hit { base.patch(hit) } else { base },
            ));
        }
        run_hit = is_hit;
        run.push(c);
    }
    if !run.is_empty() {
        spans.push(Span::styled(
            run,
            if run_hit { base.patch(hit) } else { base },
        ));
    }
    Line::from(spans)
}

/// A bordered block titled in the theme's title style.
pub fn titled_block<'a>(title: String, cx: &RenderContext) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(cx.theme.style("ui.border"))
        .title(Span::styled(title, cx.theme.style("ui.title")))
}

/// Why contexts could not be read, one per line (`123456789012
/// us-east-1 could not be read: …`), sanitized; `name` names a context.
pub fn failures_text(
    failed: &[(crate::model::ContextId, String)],
    name: impl Fn(crate::model::ContextId) -> String,
) -> String {
    failed
        .iter()
        .map(|(c, e)| {
            let who = name(*c);
            let who = if who.is_empty() {
                "the account".to_owned()
            } else {
                who
            };
            format!("{who} could not be read: {}", raw_json::sanitize(e))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `throttled: page asked again in 4s (round 3/5)`.
pub fn stall_text(s: &crate::aws::resume::Stall) -> String {
    format!(
        "{}: page asked again in {}s (round {}/{})",
        s.reason(),
        s.retry_in_s,
        s.round,
        crate::aws::resume::ROUNDS
    )
}

/// `9050` as `9,050`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
