//! The help overlay's state and lines: every action of the shown pane's
//! key layers with all the keys that run it (from the effective keymap:
//! the user's, the bundled one and the defaults), then every `:` command.
//! It scrolls (j/k, arrows, PageUp/PageDown, Ctrl-d/Ctrl-u, g/G, Home/End)
//! and searches (`/`, then text: only the rows that contain it stay).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::config::{Keymap, Layer};

/// The open help overlay: where it is scrolled to and what it searches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HelpState {
    /// The first line shown (0: the top), kept within the lines.
    pub scroll: usize,
    /// The search text: only rows containing it (any case) are listed.
    pub query: String,
    /// The search text is being typed (keys go to it).
    pub typing: bool,
}

/// One line of the help overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpLine {
    /// A section title: `[fleet]`, `[commands]`.
    Section(String),
    /// An action (or `:` command): its keys joined by ` / `, what it does.
    Row(String, String),
}

/// What a key did to the help overlay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelpStep {
    /// The overlay stays open.
    Stay,
    /// Close the overlay.
    Close,
}

/// The help lines for pane layer `pane`, keeping only rows that contain
/// `query` (any case) in their keys, action name or description; a section
/// without such rows is left out.
pub fn lines(keymap: &Keymap, pane: Layer, query: &str) -> Vec<HelpLine> {
    let q = query.to_lowercase();
    let hit = |parts: &[&str]| q.is_empty() || parts.iter().any(|p| p.to_lowercase().contains(&q));
    let mut out = Vec::new();
    let section = |title: String, rows: Vec<HelpLine>, out: &mut Vec<HelpLine>| {
        if !rows.is_empty() {
            out.push(HelpLine::Section(title));
            out.extend(rows);
        }
    };
    for s in keymap.help_sections(pane) {
        let rows = s
            .rows
            .iter()
            .filter(|r| hit(&[&r.keys.join(" "), &r.action.name(), &r.desc]))
            .map(|r| {
                let keys = if r.keys.is_empty() {
                    "(none)".to_owned()
                } else {
                    r.keys.join(" / ")
                };
                HelpLine::Row(keys, r.desc.clone())
            })
            .collect();
        section(format!("[{}]", s.layer.name()), rows, &mut out);
    }
    let commands = super::COMMANDS
        .iter()
        .filter(|(c, d)| hit(&[&format!(":{c}"), d]))
        .map(|(c, d)| HelpLine::Row(format!(":{c}"), (*d).to_owned()))
        .collect();
    section("[: commands]".into(), commands, &mut out);
    out
}

/// Rows of help lines shown at terminal height `rows`: the body (less the
/// header, tabs and status lines), 90 % of it for the popup, less its
/// borders and the search line. The view draws the same box.
pub fn visible_lines(rows: u16) -> usize {
    let body = rows.saturating_sub(3);
    usize::from(body * 9 / 10).saturating_sub(3).max(1)
}

impl HelpState {
    /// Applies key `k` with help listing `keymap`'s lines for pane layer
    /// `pane`, `page` of them shown at once.
    pub fn key(&mut self, k: KeyEvent, keymap: &Keymap, pane: Layer, page: usize) -> HelpStep {
        if self.typing {
            match k.code {
                KeyCode::Esc => {
                    self.typing = false;
                    self.query.clear();
                }
                KeyCode::Enter => self.typing = false,
                KeyCode::Backspace => {
                    self.query.pop();
                }
                KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => {
                    self.query.push(c);
                }
                _ => {}
            }
            self.scroll = 0;
            return HelpStep::Stay;
        }
        let len = lines(keymap, pane, &self.query).len();
        let last = len.saturating_sub(page);
        let half = (page / 2).max(1);
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        match k.code {
            KeyCode::Esc if !self.query.is_empty() => {
                self.query.clear();
                self.scroll = 0;
            }
            KeyCode::Esc | KeyCode::Char('q' | '?') => return HelpStep::Close,
            KeyCode::Char('c') if ctrl => return HelpStep::Close,
            KeyCode::Char('/') => {
                self.typing = true;
                self.query.clear();
                self.scroll = 0;
            }
            KeyCode::Char('j') | KeyCode::Down => self.scroll += 1,
            KeyCode::Char('k') | KeyCode::Up => self.scroll = self.scroll.saturating_sub(1),
            KeyCode::Char('d') if ctrl => self.scroll += half,
            KeyCode::Char('u') if ctrl => self.scroll = self.scroll.saturating_sub(half),
            KeyCode::PageDown | KeyCode::Char(' ') => self.scroll += page,
            KeyCode::Char('f') if ctrl => self.scroll += page,
            KeyCode::PageUp => self.scroll = self.scroll.saturating_sub(page),
            KeyCode::Char('b') if ctrl => self.scroll = self.scroll.saturating_sub(page),
            KeyCode::Char('g') | KeyCode::Home => self.scroll = 0,
            KeyCode::Char('G') | KeyCode::End => self.scroll = last,
            _ => {}
        }
        self.scroll = self.scroll.min(last);
        HelpStep::Stay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    fn rows(l: &[HelpLine]) -> Vec<(String, String)> {
        l.iter()
            .filter_map(|l| match l {
                HelpLine::Row(k, d) => Some((k.clone(), d.clone())),
                HelpLine::Section(_) => None,
            })
            .collect()
    }

    #[test]
    fn one_row_per_action_with_every_key_and_every_colon_command() {
        let km = Keymap::load(None, &mut Vec::new());
        let l = lines(&km, Layer::Fleet, "");
        let r = rows(&l);
        // j and <Down> are one row (select_next), not two.
        let next: Vec<_> = r.iter().filter(|(k, _)| k.contains("<Down>")).collect();
        assert_eq!(next.len(), 1, "{r:?}");
        assert_eq!(next[0].0, "j / <Down>");
        assert_eq!(
            r.iter().filter(|(k, _)| k == "q / <C-c>").count(),
            1,
            "{r:?}"
        );
        for (c, _) in super::super::COMMANDS {
            assert!(r.iter().any(|(k, _)| *k == format!(":{c}")), ":{c} missing");
        }
        assert!(l.contains(&HelpLine::Section("[fleet]".into())));
        assert!(l.contains(&HelpLine::Section("[list]".into())));
    }

    #[test]
    fn help_comes_from_the_effective_keymap() {
        // vim's `o` (create) shadows the default `o` (toggle_groups) in Run
        // Command: help says so, and the hint key is the working one.
        let km = Keymap::load_bundled("vim", None, &mut Vec::new());
        let r = rows(&lines(&km, Layer::Commands, ""));
        let create = r
            .iter()
            .find(|(_, d)| d == "Compose a command (Fleet selection, or tag targets)");
        assert_eq!(create.map(|(k, _)| k.as_str()), Some("o / n"), "{r:?}");
        let groups = r
            .iter()
            .find(|(_, d)| d.starts_with("Group nodes"))
            .unwrap();
        assert_eq!(groups.0, "(none)");
        assert!(groups.1.contains("o now runs create"), "{}", groups.1);
        assert_eq!(
            km.key_for(Layer::Commands, crate::keys::Command::ToggleGroups),
            None
        );
        assert_eq!(
            km.key_for(Layer::Commands, crate::keys::Command::Create)
                .as_deref(),
            Some("o")
        );
        // A user binding is listed with the others of its action.
        let user = "[fleet]\nkeymap = [{ on = [\"X\"], run = \"start_session\", desc = \"\" }]\n";
        let km = Keymap::load(Some(("keymap.toml", user)), &mut Vec::new());
        let r = rows(&lines(&km, Layer::Fleet, "session"));
        assert!(r.iter().any(|(k, _)| k == "X / t"), "{r:?}");
    }

    #[test]
    fn every_hint_is_handled_in_its_layer() {
        // The footer's actions are ones their pane handles: the table
        // `--check-config` reads ([`crate::config::keymap::handled`]) holds them.
        let (app, _) = super::super::App::new(
            crate::action::ContextInfo::default(),
            (120, 40),
            std::time::Instant::now(),
        );
        for p in super::super::Pane::all() {
            let works = crate::config::keymap::handled(p.layer());
            for (c, _) in super::super::registry::view_of(&app, p).key_hints() {
                assert!(works.contains(c), "{p:?}: hint {c:?} not handled");
            }
        }
    }

    #[test]
    fn search_filters_rows_and_scrolling_stays_within_the_lines() {
        let km = Keymap::load(None, &mut Vec::new());
        let mut h = HelpState::default();
        let all = lines(&km, Layer::Parameters, "").len();
        assert_eq!(
            h.key(key(KeyCode::Char('G')), &km, Layer::Parameters, 10),
            HelpStep::Stay
        );
        assert_eq!(h.scroll, all - 10);
        h.key(key(KeyCode::Char('j')), &km, Layer::Parameters, 10);
        assert_eq!(h.scroll, all - 10, "never past the last page");
        h.key(key(KeyCode::PageUp), &km, Layer::Parameters, 10);
        assert_eq!(h.scroll, all - 20);
        h.key(key(KeyCode::Char('k')), &km, Layer::Parameters, 10);
        assert_eq!(h.scroll, all - 21);
        h.key(key(KeyCode::Char('g')), &km, Layer::Parameters, 10);
        assert_eq!(h.scroll, 0);
        h.key(key(KeyCode::PageDown), &km, Layer::Parameters, 10);
        assert_eq!(h.scroll, 10);
        // `/` then text: typing goes to the search, q included.
        h.key(key(KeyCode::Char('/')), &km, Layer::Parameters, 10);
        for c in "secure".chars() {
            assert_eq!(
                h.key(key(KeyCode::Char(c)), &km, Layer::Parameters, 10),
                HelpStep::Stay
            );
        }
        h.key(key(KeyCode::Enter), &km, Layer::Parameters, 10);
        assert_eq!(h.query, "secure");
        let found = rows(&lines(&km, Layer::Parameters, &h.query));
        assert!(!found.is_empty());
        assert!(found.len() < all / 4, "{found:?}");
        assert!(
            found
                .iter()
                .all(|(k, d)| (k.clone() + d).to_lowercase().contains("secure"))
        );
        // Esc clears the search first, then closes.
        assert_eq!(
            h.key(key(KeyCode::Esc), &km, Layer::Parameters, 10),
            HelpStep::Stay
        );
        assert!(h.query.is_empty());
        assert_eq!(
            h.key(key(KeyCode::Esc), &km, Layer::Parameters, 10),
            HelpStep::Close
        );
        assert_eq!(
            h.key(key(KeyCode::Char('?')), &km, Layer::Parameters, 10),
            HelpStep::Close
        );
    }
}
