//! The choice list ([`Request::Choose`](crate::pane::Request::Choose)): a
//! small bordered list to pick one value from. The shell owns the open
//! one; a pane asks for it and gets the pick back through its `answer`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::keys::InputKey;
use crate::pane::RenderContext;

/// An open choice list; `A` says what the pick is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice<A> {
    /// Question.
    pub title: String,
    /// Options (the value is the text before the first two spaces).
    pub options: Vec<String>,
    /// Highlighted option.
    pub cursor: usize,
    /// What the pick is for.
    pub ask: A,
}

/// What a key did to the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChoiceStep {
    /// Still choosing (moved, or a key it ignores).
    Open,
    /// Esc or q: nothing picked.
    Cancelled,
    /// Enter or a digit: the highlighted option ([`Choice::value`]) is picked.
    Picked,
}

impl<A> Choice<A> {
    /// A list on its first option.
    pub fn new(title: String, options: Vec<String>, ask: A) -> Self {
        Choice {
            title,
            options,
            cursor: 0,
            ask,
        }
    }

    /// The value of the highlighted option.
    pub fn value(&self) -> Option<String> {
        self.options
            .get(self.cursor)
            .map(|o| o.split("  ").next().unwrap_or(o).to_owned())
    }

    /// A key: j/k or Down/Up move, Enter or the digit of an option picks,
    /// Esc or q cancels.
    pub fn input(&mut self, k: InputKey) -> ChoiceStep {
        let n = self.options.len();
        match k {
            InputKey::Down | InputKey::Char('j') => {
                self.cursor = (self.cursor + 1).min(n.saturating_sub(1));
            }
            InputKey::Up | InputKey::Char('k') => self.cursor = self.cursor.saturating_sub(1),
            InputKey::Char(d @ '1'..='9') if (d as usize - '1' as usize) < n => {
                self.cursor = d as usize - '1' as usize;
                return ChoiceStep::Picked;
            }
            InputKey::Cancel | InputKey::Char('q') => return ChoiceStep::Cancelled,
            InputKey::Submit => return ChoiceStep::Picked,
            _ => {}
        }
        ChoiceStep::Open
    }
}

/// Draws the list centred in `area`, the highlighted option in the cursor style.
pub fn render<A>(frame: &mut Frame, area: Rect, c: &Choice<A>, cx: &RenderContext) {
    let t = cx.theme;
    let width = c
        .options
        .iter()
        .map(|o| o.chars().count() as u16 + 8)
        .chain([c.title.chars().count() as u16 + 4])
        .max()
        .unwrap_or(30)
        .clamp(30, area.width);
    let popup = area.centered(
        Constraint::Length(width),
        Constraint::Length((c.options.len() as u16 + 2).min(area.height)),
    );
    let lines: Vec<Line> = c
        .options
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let style = if i == c.cursor {
                t.style("ui.cursor")
            } else {
                t.style("ui.text")
            };
            // An option whose value is its own number ("2  high") shows
            // the number once.
            let numbered = format!("{}  ", i + 1);
            let text = o.strip_prefix(numbered.as_str()).unwrap_or(o);
            Line::from(vec![
                Span::styled(format!(" {} ", i + 1), t.style("ui.key")),
                Span::styled(
                    format!("{text:<w$}", w = usize::from(width.saturating_sub(6))),
                    style,
                ),
            ])
        })
        .collect();
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(t.style("ui.border"))
                .title(Span::styled(format!(" {} ", c.title), t.style("ui.title"))),
        ),
        popup,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn severity() -> Choice<()> {
        Choice::new(
            "Severity".into(),
            ["1  critical", "2  high", "3  medium", "4  low"]
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            (),
        )
    }

    #[test]
    fn keys_move_and_stop_at_the_ends() {
        let mut c = severity();
        assert_eq!(c.input(InputKey::Up), ChoiceStep::Open);
        assert_eq!(c.cursor, 0);
        for _ in 0..6 {
            c.input(InputKey::Char('j'));
        }
        assert_eq!(c.cursor, 3);
        c.input(InputKey::Char('k'));
        assert_eq!(
            c.value().as_deref(),
            Some("3"),
            "the text before two spaces"
        );
        assert_eq!(c.input(InputKey::Submit), ChoiceStep::Picked);
    }

    #[test]
    fn a_digit_picks_its_option_and_q_cancels() {
        let mut c = severity();
        assert_eq!(c.input(InputKey::Char('2')), ChoiceStep::Picked);
        assert_eq!(c.value().as_deref(), Some("2"));
        assert_eq!(
            c.input(InputKey::Char('9')),
            ChoiceStep::Open,
            "no 9th option"
        );
        assert_eq!(c.input(InputKey::Char('q')), ChoiceStep::Cancelled);
        assert_eq!(c.input(InputKey::Cancel), ChoiceStep::Cancelled);
        let empty = Choice::new("none".into(), Vec::new(), ());
        assert_eq!(empty.value(), None);
    }
}
