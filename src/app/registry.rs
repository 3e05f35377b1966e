//! The pane registry: one entry per pane, in tab order. The tab line, the
//! `:` command that shows a pane, its keymap layer and its title all come
//! from here; [`entry`] matches every [`Pane`] exhaustively, so a new pane
//! that is not registered does not compile.

use super::{
    ActivationsState, App, AssociationsState, AutomationState, CommandsState, ComplianceState,
    DocumentsState, Effect, FleetState, MaintenanceState, OpsState, OverviewState, ParamsState,
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

/// Writes the registry from its table (below): [`Pane`], [`PANES`], [`entry`],
/// [`view_of`], one [`Slot`] constant per pane, [`PromptPurpose`],
/// `App::answer`, [`Effect::mutation`] and the `with_slot!` macro.
/// Every generated match covers every listed pane, so a [`Pane`] left out
/// of the table does not compile. `$d` is a `$` for the inner macro.
macro_rules! registry {
    ($d:tt $(
        #[doc = $doc:literal]
        $pane:ident {
            slot: $slot:ident, state: $state:ty, field: $field:ident,
            title: $title:literal, short: $short:literal, layer: $layer:ident, command: $command:literal,
            job: $job:ident $(,)?
        }
    )*) => {
        /// Panes, in tab order.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Pane {
            $(
                #[doc = $doc]
                $pane,
            )*
        }

        /// Every pane, in tab order.
        pub const PANES: &[PaneEntry] = &[$(
            PaneEntry {
                pane: Pane::$pane,
                title: $title,
                short: $short,
                layer: Layer::$layer,
                command: $command,
            },
        )*];

        /// The registry entry of `p`.
        pub fn entry(p: Pane) -> &'static PaneEntry {
            PANES
                .iter()
                .find(|e| e.pane == p)
                .expect("every pane is in PANES: view_of matches them all")
        }

        /// The shown-pane view of pane `p` (what the shell and the renderer read).
        pub fn view_of(app: &App, p: Pane) -> &dyn PaneView {
            match p {
                $(Pane::$pane => &app.$field,)*
            }
        }

        $(
            #[doc = concat!("The ", $title, " pane.")]
            pub(super) const $slot: Slot<$state> = Slot {
                pane: Pane::$pane,
                state: |a| &mut a.$field,
                job: Effect::$job,
                ask: PromptPurpose::$pane,
            };
        )*

        /// What a one-line prompt or a choice list is for: one of a pane's
        /// asks ([`PaneTrait::Ask`]; `Infallible` for a pane that asks none).
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum PromptPurpose {
            $(
                #[doc = concat!("One of the ", $title, " pane's.")]
                $pane(<$state as PaneTrait>::Ask),
            )*
        }

        impl App {
            /// Hands the answer of a prompt or the pick of a choice list to
            /// the pane it is for.
            pub(super) fn answer(
                &mut self,
                purpose: PromptPurpose,
                text: String,
                now: std::time::Instant,
            ) -> Vec<Effect> {
                match purpose {
                    $(PromptPurpose::$pane(ask) => {
                        self.with_pane($slot, now, |p, cx| p.answer(ask, text, cx)).1
                    })*
                }
            }
        }

        impl Effect {
            /// The AWS write this effect performs, as its job declares it
            /// (for read-only mode and the audit log); `None` for reads.
            pub fn mutation(&self) -> Option<crate::job::Mutation> {
                use crate::job::Job as _;
                match self {
                    Effect::Shell(j) => j.mutation(),
                    Effect::SwitchContext { .. } | Effect::SwitchSet(_) | Effect::Quit => None,
                    $(Effect::$job(j) => j.mutation(),)*
                }
            }
        }

        /// Runs `$body` with `$slot` bound to the [`Slot`] of pane `$pane`:
        /// with [`view_of`] and [`entry`], the only matches over every pane.
        macro_rules! with_slot {
            ($d p:expr, |$d s:ident| $d body:expr) => {
                match $d p {
                    $($crate::app::Pane::$pane => {
                        let $d s = $crate::app::registry::$slot;
                        $d body
                    })*
                }
            };
        }
        pub(crate) use with_slot;
    };
}

// The table: one entry per pane, in tab order. `slot` names its [`Slot`]
// constant, `field` its state in the [`App`], `layer` its keymap layer,
// `command` the `:` command that shows it, `job` the [`Effect`] that
// carries its jobs.
registry! { $
    /// Managed nodes.
    Fleet {
        slot: FLEET, state: FleetState, field: fleet,
        title: "Fleet", short: "Fleet", layer: Fleet, command: "fleet",
        job: Fleet,
    }
    /// Run Command.
    Commands {
        slot: RUN_COMMAND, state: CommandsState, field: commands,
        title: "Run Command", short: "Run", layer: Commands, command: "commands",
        job: RunCommand,
    }
    /// Parameter Store.
    Parameters {
        slot: PARAMS, state: ParamsState, field: params,
        title: "Parameters", short: "Params", layer: Parameters, command: "params",
        job: Parameters,
    }
    /// OpsCenter.
    OpsCenter {
        slot: OPS, state: OpsState, field: ops,
        title: "OpsCenter", short: "Ops", layer: OpsCenter, command: "ops",
        job: OpsCenter,
    }
    /// Session Manager shells.
    Sessions {
        slot: SESSIONS, state: SessionsState, field: sessions,
        title: "Sessions", short: "Sessions", layer: Sessions, command: "sessions",
        job: Sessions,
    }
    /// Counts across the context set.
    Overview {
        slot: OVERVIEW, state: OverviewState, field: overview,
        title: "Overview", short: "Overview", layer: Overview, command: "overview",
        job: Overview,
    }
    /// Maintenance windows and change calendars.
    Maintenance {
        slot: MAINTENANCE, state: MaintenanceState, field: maintenance,
        title: "Maintenance", short: "Maint", layer: Maintenance, command: "maintenance",
        job: Maintenance,
    }
    /// Automation executions and runbooks.
    Automation {
        slot: AUTOMATION, state: AutomationState, field: automation,
        title: "Automation", short: "Auto", layer: Automation, command: "automation",
        job: Automation,
    }
    /// SSM documents, their content and versions.
    Documents {
        slot: DOCUMENTS, state: DocumentsState, field: documents,
        title: "Documents", short: "Docs", layer: Documents, command: "documents",
        job: Documents,
    }
    /// State Manager associations, their executions and targets.
    Associations {
        slot: ASSOCIATIONS, state: AssociationsState, field: associations,
        title: "Associations", short: "Assoc", layer: Associations, command: "associations",
        job: Associations,
    }
    /// Compliance by type and the non-compliant nodes.
    Compliance {
        slot: COMPLIANCE, state: ComplianceState, field: compliance,
        title: "Compliance", short: "Compl", layer: Compliance, command: "compliance",
        job: Compliance,
    }
    /// Hybrid activations (register `mi-` nodes).
    Activations {
        slot: ACTIVATIONS, state: ActivationsState, field: activations,
        title: "Activations", short: "Activ", layer: Activations, command: "activations",
        job: Activations,
    }
}

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

/// The write key action `c` asks for in the pane of `_slot`
/// ([`PaneTrait::key_mutation`]).
pub(super) fn key_mutation<P: PaneTrait>(
    _slot: Slot<P>,
    c: crate::keys::Command,
) -> Option<&'static str> {
    P::key_mutation(c)
}

/// The name pane `_slot`'s filter is saved under, if it has one
/// ([`PaneTrait::SAVED_FILTER`]).
pub(super) fn saved_filter_name<P: PaneTrait>(_slot: Slot<P>) -> Option<&'static str> {
    P::SAVED_FILTER
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
        titles.sort_unstable();
        titles.dedup();
        assert_eq!(titles.len(), PANES.len());
    }

    /// The shell reaches every pane through the trait: the context set
    /// reaches each pane, a switch starts each again from its default but
    /// for what the pane keeps (the user's Fleet tag columns and calendars
    /// that matter, live sessions), and write keys are each pane's own.
    #[test]
    fn context_changes_and_write_keys_go_through_each_panes_trait() {
        use crate::action::{Action, ContextInfo};
        use crate::keys::Command;
        use crate::model::{ContextId, ContextLabel};
        let now = std::time::Instant::now();
        let (mut app, _) = App::new(ContextInfo::default(), (120, 40), now);
        let labels: Vec<ContextLabel> = (0..2)
            .map(|i| ContextLabel {
                id: ContextId(i),
                region: format!("eu-west-{}", i + 1),
                ..Default::default()
            })
            .collect();
        app.set_contexts(labels.clone());
        assert_eq!(app.fleet.contexts, labels);
        assert_eq!(app.activations.contexts, labels);
        assert_eq!(app.compliance.contexts, labels);
        assert!(
            app.params.scope.is_some(),
            "two contexts: Parameters names its own"
        );
        app.fleet.tag_columns = vec!["Env".into()];
        app.maintenance
            .calendars_that_matter
            .insert("default".into(), vec!["freeze".into()]);
        app.activations.filter = "expired".into();
        app.update(
            Action::ContextSwitched(Ok(ContextInfo {
                region: "us-east-1".into(),
                ..Default::default()
            })),
            now,
        );
        assert_eq!(app.fleet.tag_columns, ["Env"], "the user's columns stay");
        assert_eq!(app.maintenance.calendars_that_matter.len(), 1);
        assert_eq!(app.activations.filter, "", "what was read there is gone");
        assert_eq!(
            app.fleet.contexts.len(),
            1,
            "a region switch leaves the set"
        );
        assert_eq!(app.fleet.contexts[0].region, "us-east-1");
        assert_eq!(
            super::super::mutation_of(Command::Delete, Pane::Activations),
            Some("ssm:DeleteActivation")
        );
        assert_eq!(
            super::super::mutation_of(Command::Delete, Pane::Parameters),
            Some("ssm:DeleteParameter")
        );
        assert_eq!(
            super::super::mutation_of(Command::Delete, Pane::Fleet),
            None
        );
        assert_eq!(
            super::super::mutation_of(Command::StartSession, Pane::Documents),
            Some("ssm:StartSession"),
            "the shell's keys write alike in every pane"
        );
    }
}
