//! Single-line text input: the editing keys every prompt, filter, `:` line
//! and form field shares (cursor Left/Right/Home/End, Backspace, Delete,
//! Ctrl-W, Ctrl-U), and the one filter rule.
//!
//! The cursor is a position in characters (not bytes); `None` means the
//! end of the text, so code that sets the text leaves the cursor after it.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::keys::InputKey;

/// An editing key of a single-line input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// Insert a character at the cursor.
    Insert(char),
    /// Delete the character before the cursor.
    Backspace,
    /// Delete the character under the cursor.
    Delete,
    /// Delete the word before the cursor (Ctrl-W).
    DeleteWord,
    /// Clear the line (Ctrl-U).
    Clear,
    /// Cursor one character left.
    Left,
    /// Cursor one character right.
    Right,
    /// Cursor to the start (Home, Ctrl-A).
    Home,
    /// Cursor to the end (End, Ctrl-E).
    End,
}

impl Edit {
    /// The edit a text-input key means, if it is one.
    pub fn from_input(k: InputKey) -> Option<Edit> {
        Some(match k {
            InputKey::Char(c) => Edit::Insert(c),
            InputKey::Backspace => Edit::Backspace,
            InputKey::Delete => Edit::Delete,
            InputKey::DeleteWord => Edit::DeleteWord,
            InputKey::Clear => Edit::Clear,
            InputKey::Left => Edit::Left,
            InputKey::Right => Edit::Right,
            InputKey::Home => Edit::Home,
            InputKey::End => Edit::End,
            InputKey::Complete
            | InputKey::Submit
            | InputKey::Cancel
            | InputKey::Up
            | InputKey::Down => return None,
        })
    }

    /// The edit a raw key means in a form field, if it is one.
    pub fn from_key(k: KeyEvent) -> Option<Edit> {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        Some(match k.code {
            KeyCode::Char('u') if ctrl => Edit::Clear,
            KeyCode::Char('w') if ctrl => Edit::DeleteWord,
            KeyCode::Char('a') if ctrl => Edit::Home,
            KeyCode::Char('e') if ctrl => Edit::End,
            KeyCode::Char(c) if !ctrl => Edit::Insert(c),
            KeyCode::Backspace => Edit::Backspace,
            KeyCode::Delete => Edit::Delete,
            KeyCode::Left => Edit::Left,
            KeyCode::Right => Edit::Right,
            KeyCode::Home => Edit::Home,
            KeyCode::End => Edit::End,
            _ => return None,
        })
    }
}

/// Byte offset of character `pos` in `text` (the end when past it).
fn byte_at(text: &str, pos: usize) -> usize {
    text.char_indices().nth(pos).map_or(text.len(), |(b, _)| b)
}

/// Applies `e` to `text` with the cursor at `cursor` (characters; `None`:
/// the end). Returns whether the text changed (cursor moves do not).
pub fn apply(text: &mut String, cursor: &mut Option<usize>, e: Edit) -> bool {
    let len = text.chars().count();
    let at = cursor.map_or(len, |c| c.min(len));
    let (changed, new_at) = match e {
        Edit::Insert(c) => {
            text.insert(byte_at(text, at), c);
            (true, at + 1)
        }
        Edit::Backspace if at > 0 => {
            text.remove(byte_at(text, at - 1));
            (true, at - 1)
        }
        Edit::Delete if at < len => {
            text.remove(byte_at(text, at));
            (true, at)
        }
        Edit::DeleteWord if at > 0 => {
            let chars: Vec<char> = text.chars().collect();
            let mut start = at;
            while start > 0 && chars[start - 1] == ' ' {
                start -= 1;
            }
            while start > 0 && chars[start - 1] != ' ' {
                start -= 1;
            }
            text.replace_range(byte_at(text, start)..byte_at(text, at), "");
            (true, start)
        }
        Edit::Clear => (!text.is_empty(), {
            text.clear();
            0
        }),
        Edit::Left => (false, at.saturating_sub(1)),
        Edit::Right => (false, (at + 1).min(len)),
        Edit::Home => (false, 0),
        Edit::End => (false, len),
        Edit::Backspace | Edit::Delete | Edit::DeleteWord => (false, at),
    };
    let new_len = text.chars().count();
    *cursor = (new_at < new_len).then_some(new_at);
    changed
}

/// The text with the cursor drawn as a block where it stands
/// (`ab█cd`; at the end `abcd█`), for an input that has the keys.
pub fn with_cursor(text: &str, cursor: Option<usize>) -> String {
    let at = byte_at(text, cursor.unwrap_or(usize::MAX));
    format!("{}█{}", &text[..at], &text[at..])
}

/// What a key does to an open filter: the one rule of every pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterStep {
    /// The text changed: apply it (per keystroke).
    Edited,
    /// The cursor moved within the text: nothing to apply.
    Moved,
    /// Enter or Tab: keep the filter, the list gets the keys again.
    Keep,
    /// Esc: back to the filter as it was when the input opened.
    Restore,
    /// Up/Down: move the list's cursor by this many rows while typing.
    Scroll(isize),
}

/// A filter of one text whose `before` Esc puts back: applies key `k`
/// with [`filter_key`], keeping `text` and `before` up to date. Returns
/// the step and whether the text differs now (after an edit, or Esc back
/// to a different `before`); Keep clears `before`.
pub fn plain_filter(
    text: &mut String,
    before: &mut Option<String>,
    cursor: &mut Option<usize>,
    k: InputKey,
) -> (FilterStep, bool) {
    let mut next = text.clone();
    let step = filter_key(&mut next, cursor, k);
    match step {
        FilterStep::Keep => *before = None,
        FilterStep::Restore => next = before.take().unwrap_or_default(),
        _ => {}
    }
    let changed = next != *text;
    *text = next;
    (step, changed)
}

/// Applies a key to an open filter `text` (see [`FilterStep`]).
pub fn filter_key(text: &mut String, cursor: &mut Option<usize>, k: InputKey) -> FilterStep {
    match k {
        InputKey::Submit | InputKey::Complete => FilterStep::Keep,
        InputKey::Cancel => FilterStep::Restore,
        InputKey::Up => FilterStep::Scroll(-1),
        InputKey::Down => FilterStep::Scroll(1),
        k => match Edit::from_input(k) {
            Some(e) if apply(text, cursor, e) => FilterStep::Edited,
            _ => FilterStep::Moved,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(start: &str, edits: &[Edit]) -> (String, Option<usize>) {
        let mut text = start.to_owned();
        let mut cursor = None;
        for e in edits {
            apply(&mut text, &mut cursor, *e);
        }
        (text, cursor)
    }

    #[test]
    fn cursor_moves_and_edits_in_the_middle() {
        let (t, c) = run("helo", &[Edit::Left, Edit::Insert('l')]);
        assert_eq!((t.as_str(), c), ("hello", Some(4)));
        let (t, c) = run("hello", &[Edit::Home, Edit::Delete, Edit::Insert('j')]);
        assert_eq!((t.as_str(), c), ("jello", Some(1)));
        let (t, c) = run("abc", &[Edit::Home, Edit::Right, Edit::Backspace]);
        assert_eq!((t.as_str(), c), ("bc", Some(0)));
        let (t, c) = run("abc", &[Edit::Home, Edit::End, Edit::Insert('d')]);
        assert_eq!((t.as_str(), c), ("abcd", None));
        assert_eq!(run("ab", &[Edit::Home, Edit::Backspace]).0, "ab");
        assert_eq!(run("ab", &[Edit::Delete]).0, "ab");
    }

    #[test]
    fn ctrl_w_deletes_the_word_before_the_cursor_and_ctrl_u_clears() {
        assert_eq!(
            run("env:prod name:web ", &[Edit::DeleteWord]).0,
            "env:prod "
        );
        let (t, c) = run(
            "one two three",
            &[
                Edit::Left,
                Edit::Left,
                Edit::Left,
                Edit::Left,
                Edit::Left,
                Edit::Left,
                Edit::DeleteWord,
            ],
        );
        assert_eq!((t.as_str(), c), ("one  three", Some(4)));
        assert_eq!(run("abc", &[Edit::Clear]), (String::new(), None));
    }

    #[test]
    fn characters_not_bytes() {
        let (t, c) = run(
            "naïve",
            &[Edit::Left, Edit::Left, Edit::Left, Edit::Backspace],
        );
        assert_eq!((t.as_str(), c), ("nïve", Some(1)));
        assert_eq!(with_cursor("héllo", Some(2)), "hé█llo");
        assert_eq!(with_cursor("abc", None), "abc█");
    }

    #[test]
    fn one_filter_rule() {
        let mut text = "env".to_owned();
        let mut cursor = None;
        assert_eq!(
            filter_key(&mut text, &mut cursor, InputKey::Char(':')),
            FilterStep::Edited
        );
        assert_eq!(
            filter_key(&mut text, &mut cursor, InputKey::Left),
            FilterStep::Moved
        );
        assert_eq!(
            filter_key(&mut text, &mut cursor, InputKey::Complete),
            FilterStep::Keep
        );
        assert_eq!(
            filter_key(&mut text, &mut cursor, InputKey::Submit),
            FilterStep::Keep
        );
        assert_eq!(
            filter_key(&mut text, &mut cursor, InputKey::Cancel),
            FilterStep::Restore
        );
        assert_eq!(
            filter_key(&mut text, &mut cursor, InputKey::Down),
            FilterStep::Scroll(1)
        );
        assert_eq!(text, "env:");
    }
}
