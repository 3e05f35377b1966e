//! The pane registry: one entry per pane, in tab order. The tab line, the
//! `:` command that shows a pane, its keymap layer and its title all come
//! from here; [`entry`] matches every [`Pane`] exhaustively, so a new pane
//! that is not registered does not compile.

use super::{
    ActivationsState, App, AssociationsState, AutomationState, CommandsState, ComplianceState,
    DocumentsState, Effect, FleetState, MaintenanceState, OpsState, OverviewState, Pane,
    ParamsState, PromptPurpose,
};
use crate::config::Layer;
use crate::pane::{Pane as PaneTrait, PaneView};
use crate::panes::sessions::SessionsState;

/// What the shell knows of a pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaneEntry {
    /// The pane.
    pub pane: Pane,
    /// Tab title.
    pub title: &'static str,
    /// Tab title where the full ones do not fit (80 columns).
    pub short: &'static str,
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
        short: "Fleet",
        layer: Layer::Fleet,
        command: "fleet",
    },
    PaneEntry {
        pane: Pane::Commands,
        title: "Run Command",
        short: "Run",
        layer: Layer::Commands,
        command: "commands",
    },
    PaneEntry {
        pane: Pane::Parameters,
        title: "Parameters",
        short: "Params",
        layer: Layer::Parameters,
        command: "params",
    },
    PaneEntry {
        pane: Pane::OpsCenter,
        title: "OpsCenter",
        short: "Ops",
        layer: Layer::OpsCenter,
        command: "ops",
    },
    PaneEntry {
        pane: Pane::Sessions,
        title: "Sessions",
        short: "Sessions",
        layer: Layer::Sessions,
        command: "sessions",
    },
    PaneEntry {
        pane: Pane::Overview,
        title: "Overview",
        short: "Overview",
        layer: Layer::Overview,
        command: "overview",
    },
    PaneEntry {
        pane: Pane::Maintenance,
        title: "Maintenance",
        short: "Maint",
        layer: Layer::Maintenance,
        command: "maintenance",
    },
    PaneEntry {
        pane: Pane::Automation,
        title: "Automation",
        short: "Auto",
        layer: Layer::Automation,
        command: "automation",
    },
    PaneEntry {
        pane: Pane::Documents,
        title: "Documents",
        short: "Docs",
        layer: Layer::Documents,
        command: "documents",
    },
    PaneEntry {
        pane: Pane::Associations,
        title: "Associations",
        short: "Assoc",
        layer: Layer::Associations,
        command: "associations",
    },
    PaneEntry {
        pane: Pane::Compliance,
        title: "Compliance",
        short: "Compl",
        layer: Layer::Compliance,
        command: "compliance",
    },
    PaneEntry {
        pane: Pane::Activations,
        title: "Activations",
        short: "Activ",
        layer: Layer::Activations,
        command: "activations",
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
        Pane::Overview => 5,
        Pane::Maintenance => 6,
        Pane::Automation => 7,
        Pane::Documents => 8,
        Pane::Associations => 9,
        Pane::Compliance => 10,
        Pane::Activations => 11,
    };
    &PANES[i]
}

/// The shown-pane view of pane `p` (what the shell and the renderer read).
pub fn view_of(app: &App, p: Pane) -> &dyn PaneView {
    match p {
        Pane::Fleet => &app.fleet,
        Pane::Commands => &app.commands,
        Pane::Parameters => &app.params,
        Pane::OpsCenter => &app.ops,
        Pane::Sessions => &app.sessions,
        Pane::Overview => &app.overview,
        Pane::Maintenance => &app.maintenance,
        Pane::Automation => &app.automation,
        Pane::Documents => &app.documents,
        Pane::Associations => &app.associations,
        Pane::Compliance => &app.compliance,
        Pane::Activations => &app.activations,
    }
}

/// Runs `$body` with `$slot` bound to the [`Slot`] of pane `$pane`: with
/// [`view_of`] and [`entry`], the only matches over every pane.
macro_rules! with_slot {
    ($pane:expr, |$slot:ident| $body:expr) => {
        match $pane {
            $crate::app::Pane::Fleet => {
                let $slot = $crate::app::registry::FLEET;
                $body
            }
            $crate::app::Pane::Commands => {
                let $slot = $crate::app::registry::RUN_COMMAND;
                $body
            }
            $crate::app::Pane::Parameters => {
                let $slot = $crate::app::registry::PARAMS;
                $body
            }
            $crate::app::Pane::OpsCenter => {
                let $slot = $crate::app::registry::OPS;
                $body
            }
            $crate::app::Pane::Sessions => {
                let $slot = $crate::app::registry::SESSIONS;
                $body
            }
            $crate::app::Pane::Overview => {
                let $slot = $crate::app::registry::OVERVIEW;
                $body
            }
            $crate::app::Pane::Maintenance => {
                let $slot = $crate::app::registry::MAINTENANCE;
                $body
            }
            $crate::app::Pane::Automation => {
                let $slot = $crate::app::registry::AUTOMATION;
                $body
            }
            $crate::app::Pane::Documents => {
                let $slot = $crate::app::registry::DOCUMENTS;
                $body
            }
            $crate::app::Pane::Associations => {
                let $slot = $crate::app::registry::ASSOCIATIONS;
                $body
            }
            $crate::app::Pane::Compliance => {
                let $slot = $crate::app::registry::COMPLIANCE;
                $body
            }
            $crate::app::Pane::Activations => {
                let $slot = $crate::app::registry::ACTIVATIONS;
                $body
            }
        }
    };
}
pub(crate) use with_slot;

/// The pane a `:` command shows, if it is one.
pub fn by_command(word: &str) -> Option<Pane> {
    PANES.iter().find(|e| e.command == word).map(|e| e.pane)
}

/// How the shell reaches a pane on the [`Pane`](PaneTrait) trait: its
/// state in the [`App`], and how its jobs and prompts are wrapped.
pub(super) struct Slot<P: PaneTrait> {
    /// Which pane.
    pub pane: Pane,
    /// Its state in the shell.
    pub state: fn(&mut App) -> &mut P,
    /// Its jobs as the runner's effects.
    pub job: fn(P::Job) -> Effect,
    /// Its prompts' purpose in the shell.
    pub ask: fn(P::Ask) -> PromptPurpose,
}

impl<P: PaneTrait> Clone for Slot<P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P: PaneTrait> Copy for Slot<P> {}

/// The Fleet pane.
pub(super) const FLEET: Slot<FleetState> = Slot {
    pane: Pane::Fleet,
    state: |a| &mut a.fleet,
    job: Effect::Fleet,
    ask: PromptPurpose::Fleet,
};

/// The Parameters pane.
pub(super) const PARAMS: Slot<ParamsState> = Slot {
    pane: Pane::Parameters,
    state: |a| &mut a.params,
    job: Effect::Parameters,
    ask: PromptPurpose::Parameters,
};

/// The Run Command pane.
pub(super) const RUN_COMMAND: Slot<CommandsState> = Slot {
    pane: Pane::Commands,
    state: |a| &mut a.commands,
    job: Effect::RunCommand,
    ask: |never| match never {},
};

/// The OpsCenter pane.
pub(super) const OPS: Slot<OpsState> = Slot {
    pane: Pane::OpsCenter,
    state: |a| &mut a.ops,
    job: Effect::OpsCenter,
    ask: PromptPurpose::OpsCenter,
};

/// The Sessions pane.
pub(super) const SESSIONS: Slot<SessionsState> = Slot {
    pane: Pane::Sessions,
    state: |a| &mut a.sessions,
    job: Effect::Sessions,
    ask: |never| match never {},
};

/// The Overview pane.
pub(super) const OVERVIEW: Slot<OverviewState> = Slot {
    pane: Pane::Overview,
    state: |a| &mut a.overview,
    job: Effect::Overview,
    ask: |never| match never {},
};

/// The Maintenance pane.
pub(super) const MAINTENANCE: Slot<MaintenanceState> = Slot {
    pane: Pane::Maintenance,
    state: |a| &mut a.maintenance,
    job: Effect::Maintenance,
    ask: PromptPurpose::Maintenance,
};

/// The Automation pane.
pub(super) const AUTOMATION: Slot<AutomationState> = Slot {
    pane: Pane::Automation,
    state: |a| &mut a.automation,
    job: Effect::Automation,
    ask: PromptPurpose::Automation,
};

/// The Documents pane.
pub(super) const DOCUMENTS: Slot<DocumentsState> = Slot {
    pane: Pane::Documents,
    state: |a| &mut a.documents,
    job: Effect::Documents,
    ask: |never| match never {},
};

/// The Associations pane.
pub(super) const ASSOCIATIONS: Slot<AssociationsState> = Slot {
    pane: Pane::Associations,
    state: |a| &mut a.associations,
    job: Effect::Associations,
    ask: |never| match never {},
};

/// The Compliance pane.
pub(super) const COMPLIANCE: Slot<ComplianceState> = Slot {
    pane: Pane::Compliance,
    state: |a| &mut a.compliance,
    job: Effect::Compliance,
    ask: PromptPurpose::Compliance,
};

/// The Activations pane.
pub(super) const ACTIVATIONS: Slot<ActivationsState> = Slot {
    pane: Pane::Activations,
    state: |a| &mut a.activations,
    job: Effect::Activations,
    ask: PromptPurpose::Activations,
};

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
