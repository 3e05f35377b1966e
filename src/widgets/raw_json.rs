//! A read-only, scrollable view of one object as pretty JSON (`y`, as k9s
//! shows YAML): a node, an invocation, an OpsItem, parameter metadata.
//! Text from AWS is untrusted: every control character that serde_json
//! leaves raw (DEL, the C1 range, bidirectional overrides) is shown as a
//! `\u{…}` escape, never sent to the terminal.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::titled_block;
use crate::keys::Command;
use crate::pane::RenderContext;

/// The JSON view of one object: its lines and the first one shown.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawJson {
    /// What is shown (`i-0abc… (ManagedNode)`).
    pub title: String,
    /// Pretty JSON, one entry a line, already made safe for the terminal.
    pub lines: Vec<String>,
    /// First line shown.
    pub scroll: usize,
}

impl RawJson {
    /// The view of `value` under `title`.
    pub fn of<T: serde::Serialize>(title: impl Into<String>, value: &T) -> RawJson {
        let text = serde_json::to_string_pretty(value)
            .unwrap_or_else(|e| format!("(not shown as JSON: {e})"));
        RawJson {
            title: sanitize(&title.into()),
            lines: text.lines().map(sanitize).collect(),
            scroll: 0,
        }
    }

    /// Scrolls by `delta` lines, kept within the text (`rows` lines show).
    pub fn scroll_by(&mut self, delta: isize, rows: usize) {
        let last = self.lines.len().saturating_sub(rows.max(1));
        self.scroll = self.scroll.saturating_add_signed(delta).min(last);
    }

    /// Draws the view over `area`.
    pub fn render(&self, frame: &mut Frame, area: Rect, cx: &RenderContext) {
        let rows = usize::from(area.height.saturating_sub(2));
        let shown = self.lines.iter().skip(self.scroll).take(rows);
        let lines: Vec<Line> = shown.map(|l| Line::from(l.clone())).collect();
        let end = (self.scroll + rows).min(self.lines.len());
        let title = format!(
            " {} — JSON, read-only · lines {}–{} of {} · Esc closes ",
            self.title,
            (self.scroll + 1).min(end),
            end,
            self.lines.len()
        );
        frame.render_widget(
            Paragraph::new(lines)
                .block(titled_block(title, cx))
                .wrap(Wrap { trim: false })
                .style(cx.theme.style("ui.text")),
            area,
        );
    }
}

/// A key while `view` may be open: row movement scrolls it, Esc (`back`)
/// or `raw_json` again closes it. True when the key was used up.
pub fn command(view: &mut Option<RawJson>, c: Command, rows: usize) -> bool {
    let Some(v) = view else {
        return false;
    };
    let half = isize::try_from((rows / 2).max(1)).unwrap_or(1);
    match c {
        Command::SelectNext => v.scroll_by(1, rows),
        Command::SelectPrev => v.scroll_by(-1, rows),
        Command::PageDown => v.scroll_by(half, rows),
        Command::PageUp => v.scroll_by(-half, rows),
        Command::SelectFirst => v.scroll = 0,
        Command::SelectLast => v.scroll_by(isize::MAX, rows),
        Command::Back | Command::RawJson => *view = None,
        _ => return false,
    }
    true
}

/// `text` with every control character (C0, DEL, C1) and bidirectional
/// control shown as a `\u{…}` escape, so untrusted text cannot move the
/// cursor, change colours or reorder what the terminal shows.
pub fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let bidi = matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if c.is_control() || bidi {
            out.push_str(&format!("\\u{{{:04x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_from_aws_never_reach_the_terminal() {
        #[derive(serde::Serialize)]
        struct Tagged {
            name: String,
        }
        let v = RawJson::of(
            "x\u{1b}[2J",
            &Tagged {
                name: "web\u{1b}]52;c;AAAA\u{7}\u{9b}31m\u{202e}gnp.exe\u{7f}".into(),
            },
        );
        for l in v.lines.iter().chain([&v.title]) {
            assert!(
                !l.chars().any(|c| c.is_control() || c == '\u{202e}'),
                "{l:?}"
            );
        }
        let body = v.lines.join("\n");
        assert!(body.contains("\"name\": \"web\\u001b]52;c;AAAA"), "{body}");
        assert!(
            body.contains("\\u{009b}31m\\u{202e}gnp.exe\\u{007f}"),
            "{body}"
        );
        assert_eq!(v.title, "x\\u{001b}[2J");
    }

    #[test]
    fn scrolling_stays_within_the_text() {
        let mut v = RawJson::of("n", &vec![1, 2, 3, 4, 5]);
        assert_eq!(v.lines.len(), 7);
        v.scroll_by(100, 3);
        assert_eq!(v.scroll, 4);
        v.scroll_by(-100, 3);
        assert_eq!(v.scroll, 0);
    }
}
