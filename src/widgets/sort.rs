//! The sort order of a table: which column and which way, one rule for
//! every sortable pane (`s` steps to the next column ascending, `S`
//! reverses, picking a column by name sorts by it and picking it again
//! reverses it), and the arrow its header and title show.

use std::cmp::Ordering;

/// A table's sort: the column `C` (a pane's column type) and the direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortOrder<C> {
    /// The column rows are ordered by.
    pub column: C,
    /// Largest (or latest, or worst, as the column defines it) last when
    /// false, first when true.
    pub descending: bool,
}

impl<C: Copy + PartialEq> SortOrder<C> {
    /// Ascending by `column`.
    pub fn by(column: C) -> Self {
        SortOrder {
            column,
            descending: false,
        }
    }

    /// Sorts by `column`: ascending, or the other way when it is already
    /// the column sorted by.
    pub fn choose(&mut self, column: C) {
        self.descending = self.column == column && !self.descending;
        self.column = column;
    }

    /// The next of `columns` after the current one (wrapping; the first
    /// when the current one is not among them), ascending.
    pub fn next_of(&mut self, columns: &[C]) {
        let i = columns.iter().position(|c| *c == self.column);
        if let Some(c) = columns.get(i.map_or(0, |i| (i + 1) % columns.len())) {
            *self = SortOrder::by(*c);
        }
    }

    /// Reverses the direction.
    pub fn reverse(&mut self) {
        self.descending = !self.descending;
    }

    /// `▲` ascending, `▼` descending.
    pub fn arrow(&self) -> &'static str {
        if self.descending { "▼" } else { "▲" }
    }

    /// The arrow for column `c`'s header: [`SortOrder::arrow`] on the
    /// sorted column, else empty.
    pub fn mark(&self, c: C) -> &'static str {
        if c == self.column { self.arrow() } else { "" }
    }

    /// `ascending` (the column's own order of two rows) in this direction.
    pub fn apply(&self, ascending: Ordering) -> Ordering {
        if self.descending {
            ascending.reverse()
        } else {
            ascending
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choosing_the_sorted_column_reverses_it_and_next_wraps_ascending() {
        let mut s = SortOrder::by('a');
        assert_eq!((s.arrow(), s.mark('a'), s.mark('b')), ("▲", "▲", ""));
        s.choose('a');
        assert!(s.descending);
        assert_eq!(s.apply(Ordering::Less), Ordering::Greater);
        s.choose('b');
        assert_eq!(s, SortOrder::by('b'), "another column starts ascending");
        s.reverse();
        s.next_of(&['a', 'b', 'c']);
        assert_eq!(s, SortOrder::by('c'));
        s.next_of(&['a', 'b', 'c']);
        assert_eq!(s, SortOrder::by('a'), "wraps");
        s.column = 'z';
        s.next_of(&['a', 'b']);
        assert_eq!(s, SortOrder::by('a'), "not among them: the first");
    }
}
