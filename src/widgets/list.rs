//! The list state a pane keeps per list: the cursor row and the first row
//! shown, moved by the shared row keys (`[list]` layer) and kept within
//! the list and the rows that fit. Panes written since the issue "One
//! pane, one module" use it instead of their own cursor and scroll code.

use crate::keys::Command;

/// A cursor over a list of rows and the first row shown (both indexes
/// into the list).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListCursor {
    /// The row under the cursor.
    pub at: usize,
    /// The first row drawn.
    pub scroll: usize,
}

impl ListCursor {
    /// Moves by `delta` rows in a list of `len` rows of which `rows` fit,
    /// clamped to the list, scrolling so the cursor stays in view.
    pub fn step(&mut self, delta: isize, len: usize, rows: usize) {
        self.at = self
            .at
            .saturating_add_signed(delta)
            .min(len.saturating_sub(1));
        self.keep_in_view(len, rows);
    }

    /// Keeps the cursor inside a list of `len` rows and on screen when
    /// `rows` fit (after a reload shortened the list, or a resize).
    pub fn keep_in_view(&mut self, len: usize, rows: usize) {
        let rows = rows.max(1);
        self.at = self.at.min(len.saturating_sub(1));
        if self.at < self.scroll {
            self.scroll = self.at;
        } else if self.at >= self.scroll + rows {
            self.scroll = self.at + 1 - rows;
        }
        self.scroll = self.scroll.min(len.saturating_sub(rows));
    }

    /// What a list pane does after its filter took a key (`step` of
    /// [`plain_filter`](crate::widgets::line_input::plain_filter)) on a
    /// list now `len` rows long of which `rows` fit: Up/Down move this
    /// cursor. Returns whether the filter input stays open (not after
    /// Enter, Tab or Esc).
    pub fn filter_step(
        &mut self,
        step: crate::widgets::line_input::FilterStep,
        len: usize,
        rows: usize,
    ) -> bool {
        use crate::widgets::line_input::FilterStep;
        match step {
            FilterStep::Scroll(d) => {
                self.step(d, len, rows);
                true
            }
            FilterStep::Keep | FilterStep::Restore => false,
            FilterStep::Edited | FilterStep::Moved => true,
        }
    }

    /// A row key (`select_next`, `page_down`, …) on a list of `len` rows
    /// of which `rows` fit; `false` for any other key.
    pub fn command(&mut self, c: Command, len: usize, rows: usize) -> bool {
        let page = isize::try_from(rows.max(1)).unwrap_or(1);
        let delta = match c {
            Command::SelectNext => 1,
            Command::SelectPrev => -1,
            Command::PageDown => page,
            Command::PageUp => -page,
            Command::SelectFirst => isize::MIN / 2,
            Command::SelectLast => isize::MAX / 2,
            _ => return false,
        };
        self.step(delta, len, rows);
        true
    }

    /// The rows of a list of `len` shown in `rows` lines: from `scroll`,
    /// moved as little as needed to keep the cursor in them (the view's
    /// rows may be fewer than the pane assumed).
    pub fn shown(&self, len: usize, rows: usize) -> std::ops::Range<usize> {
        let rows = rows.max(1);
        let mut start = self.scroll.min(self.at);
        if self.at >= start + rows {
            start = self.at + 1 - rows;
        }
        let start = start.min(len);
        start..(start + rows).min(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_stays_in_the_list_and_on_screen() {
        let mut c = ListCursor::default();
        assert!(c.command(Command::SelectNext, 10, 4));
        assert_eq!((c.at, c.scroll), (1, 0));
        c.command(Command::SelectLast, 10, 4);
        assert_eq!((c.at, c.scroll), (9, 6));
        assert_eq!(c.shown(10, 4), 6..10);
        assert_eq!(
            c.shown(10, 2),
            8..10,
            "fewer rows drawn still show the cursor"
        );
        c.command(Command::PageUp, 10, 4);
        assert_eq!((c.at, c.scroll), (5, 5));
        c.command(Command::SelectFirst, 10, 4);
        assert_eq!((c.at, c.scroll), (0, 0));
        assert!(!c.command(Command::Refresh, 10, 4));
        c.at = 9;
        c.scroll = 6;
        c.keep_in_view(3, 4);
        assert_eq!(
            (c.at, c.scroll),
            (2, 0),
            "a shorter list pulls the cursor in"
        );
        c.step(1, 0, 4);
        assert_eq!(
            (c.at, c.scroll),
            (0, 0),
            "an empty list has its cursor at 0"
        );
    }
}
