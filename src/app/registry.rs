//! The pane registry: one entry per pane, in tab order. The tab line, the
//! `:` command that shows a pane, its keymap layer and its title all come
//! from here; [`entry`] matches every [`Pane`] exhaustively, so a new pane
//! that is not registered does not compile.

use super::Pane;
use crate::config::Layer;

/// What the shell knows of a pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaneEntry {
    /// The pane.
    pub pane: Pane,
    /// Tab title.
    pub title: &'static str,
    /// Its keymap layer (`[fleet]`, …).
    pub layer: Layer,
    /// The `:` command that shows it.
    pub command: &'static str,
}

/// Every pane, in tab order.
pub const PANES: &[PaneEntry] = &[
    PaneEntry {
        pane: Pane::Fleet,
        title: "Fleet",
        layer: Layer::Fleet,
        command: "fleet",
    },
    PaneEntry {
        pane: Pane::Commands,
        title: "Run Command",
        layer: Layer::Commands,
        command: "commands",
    },
    PaneEntry {
        pane: Pane::Parameters,
        title: "Parameters",
        layer: Layer::Parameters,
        command: "params",
    },
    PaneEntry {
        pane: Pane::OpsCenter,
        title: "OpsCenter",
        layer: Layer::OpsCenter,
        command: "ops",
    },
    PaneEntry {
        pane: Pane::Sessions,
        title: "Sessions",
        layer: Layer::Sessions,
        command: "sessions",
    },
];

/// The registry entry of `p`.
pub fn entry(p: Pane) -> &'static PaneEntry {
    let i = match p {
        Pane::Fleet => 0,
        Pane::Commands => 1,
        Pane::Parameters => 2,
        Pane::OpsCenter => 3,
        Pane::Sessions => 4,
    };
    &PANES[i]
}

/// The pane a `:` command shows, if it is one.
pub fn by_command(word: &str) -> Option<Pane> {
    PANES.iter().find(|e| e.command == word).map(|e| e.pane)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_is_found_by_its_pane_and_its_command() {
        for e in PANES {
            assert_eq!(entry(e.pane), e, "{:?} is at the wrong place", e.pane);
            assert_eq!(by_command(e.command), Some(e.pane));
            assert!(
                super::super::COMMANDS.iter().any(|(c, _)| *c == e.command),
                ":{} is not among the : commands",
                e.command
            );
        }
        let mut titles: Vec<_> = PANES.iter().map(|e| e.title).collect();
        titles.dedup();
        assert_eq!(titles.len(), PANES.len());
    }
}
