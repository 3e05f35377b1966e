//! Hit areas: where a view last drew a list's rows, so a mouse click maps
//! to the row under it. Recorded while drawing, never re-derived from the
//! layout's percentages (issue "One pane, one module").

use std::cell::Cell;

use ratatui::layout::{Position, Rect};

use crate::keys::Command;

/// The rows of a list or table as last drawn: their screen area (terminal
/// cells, one row per line) and the index of the first row drawn.
/// Interior-mutable so a view, which only reads the pane (`&self`), can
/// record it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RowHits(Cell<Option<(Rect, usize)>>);

/// What a click on a list means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListClick {
    /// Not on a row that exists.
    Nothing,
    /// On the cursor's row: open it, as Enter does.
    Open,
    /// On another row: move the cursor to this index.
    MoveTo(usize),
}

impl ListClick {
    /// What the click means for a list pane: `OpenDetails` for the shell to
    /// run (as Enter), or the cursor moved by `move_to` (nothing to run).
    pub fn act(self, move_to: impl FnOnce(usize)) -> Option<Command> {
        match self {
            ListClick::Open => Some(Command::OpenDetails),
            ListClick::MoveTo(i) => {
                move_to(i);
                None
            }
            ListClick::Nothing => None,
        }
    }
}

impl RowHits {
    /// Records that rows `first`, `first + 1`, … were drawn from the top
    /// of `rows`.
    pub fn record(&self, rows: Rect, first: usize) {
        self.0.set(Some((rows, first)));
    }

    /// The list was not drawn (another view covers it).
    pub fn forget(&self) {
        self.0.set(None);
    }

    /// The index of the row drawn at `column`, `row` (terminal cells), if
    /// the list was drawn there.
    pub fn row_at(&self, column: u16, row: u16) -> Option<usize> {
        let (area, first) = self.0.get()?;
        area.contains(Position::new(column, row))
            .then(|| first + usize::from(row - area.y))
    }

    /// A click at `column`, `row` on a list of `len` rows whose cursor is
    /// at `cursor`.
    pub fn click(&self, column: u16, row: u16, len: usize, cursor: usize) -> ListClick {
        match self.row_at(column, row) {
            Some(i) if i >= len => ListClick::Nothing,
            Some(i) if i == cursor => ListClick::Open,
            Some(i) => ListClick::MoveTo(i),
            None => ListClick::Nothing,
        }
    }
}

/// The rows area of a bordered table with a one-line column header drawn
/// in `area`: inside the border, below the header.
pub fn table_rows(area: Rect) -> Rect {
    Rect {
        x: area.x.saturating_add(1),
        y: area.y.saturating_add(2),
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(3),
    }
}

/// The rows area of a bordered list (no header) drawn in `area`.
pub fn list_rows(area: Rect) -> Rect {
    Rect {
        x: area.x.saturating_add(1),
        y: area.y.saturating_add(1),
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_click_maps_to_the_row_drawn_there_and_nowhere_else() {
        let h = RowHits::default();
        assert_eq!(h.click(5, 5, 10, 0), ListClick::Nothing, "never drawn");
        // A table at (0,2) 40×10: rows from screen row 4, scrolled by 3.
        h.record(table_rows(Rect::new(0, 2, 40, 10)), 3);
        assert_eq!(h.row_at(1, 4), Some(3));
        assert_eq!(h.row_at(1, 3), None, "the column header");
        assert_eq!(h.row_at(39, 5), None, "the right border");
        assert_eq!(h.click(1, 6, 10, 3), ListClick::MoveTo(5));
        assert_eq!(h.click(1, 4, 10, 3), ListClick::Open);
        assert_eq!(
            h.click(1, 10, 6, 3),
            ListClick::Nothing,
            "past the last row"
        );
        h.forget();
        assert_eq!(h.row_at(1, 4), None);
    }
}
