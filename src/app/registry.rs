//! The pane registry, generated from the pane table
//! ([`pane_table!`](crate::pane_table), one entry per pane, in tab order).
//! The tab line, the `:` command that shows a pane, its keymap layer and its
//! title all come from here; [`entry`] matches every [`Pane`] exhaustively,
//! so a new pane that is not registered does not compile.

use super::App;
use crate::action::Action;
use crate::config::Layer;
use crate::pane::{Pane as PaneTrait, PaneView};

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

/// Writes the registry from the pane table: [`Pane`], [`PANES`], [`entry`],
/// [`view_of`], one [`Slot`] constant per pane, [`PromptPurpose`],
/// `App::answer`, [`Effect::mutation`] and the `with_slot!` macro.
/// Every generated match covers every listed pane, so a [`Pane`] left out
/// of the table does not compile. `$d` is a `$` for the inner macro.
macro_rules! registry {
    ($d:tt $(
        #[doc = $doc:literal]
        $pane:ident {
            module: $module:ident, state: $state:ident, field: $field:ident, slot: $slot:ident,
            title: $title:literal, short: $short:literal, layer: $layer:ident, keys: $keys:literal,
            command: $command:literal, about: $about:literal,
            job: $job:ident, msg: $msg:ident $(,)?
        }
    )*) => {
        /// Work for the job runner: one variant per pane (its typed job,
        /// [`PaneTrait::Job`], from its folder under `src/panes/`) and the
        /// shell's.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Effect {
            /// The shell's own work (identity, user state, clipboard).
            Shell(super::ShellJob),
            $(
                #[doc = concat!("The ", $title, " pane's.")]
                $job(<crate::panes::$module::$state as PaneTrait>::Job),
            )*
            /// Leave the console (asked for first when sessions or typed text
            /// would go with it). The shell acts on it; it never reaches the runner.
            Quit,
            /// Connect to this context set (the `:contexts` picker); the panes
            /// reload on success, live sessions keep running (the event loop does
            /// it: it replaces the runner).
            SwitchSet(Vec<crate::aws::contexts::ContextSpec>),
            /// Connect to another profile and/or region; the panes reload on success
            /// (the event loop does it: it replaces the runner).
            SwitchContext {
                /// New profile (`None`: keep).
                profile: Option<String>,
                /// New region (`None`: keep, or the new profile's).
                region: Option<String>,
            },
        }

        /// The `:` commands and what they do: each pane's (from the table)
        /// then the shell's.
        pub const COMMANDS: &[(&str, &str)] = &[
            $(($command, $about),)*
            ("help", "show the key bindings"),
            ("messages", "show every notice and error so far"),
            (
                "contexts",
                "show every account and region of the set and how its loads stand",
            ),
            ("quit", "leave ssmdeck"),
            ("refresh", "reload the current pane"),
            ("node", "show a managed node: :node web-0042"),
            ("params", "show a parameter or level: :params /prod/api"),
            (
                "ops",
                "open an OpsItem or filter OpsCenter: :ops oi-… or :ops sev:1",
            ),
            ("save", "save the current pane's filter: :save NAME"),
            ("filter", "apply a saved filter: :filter NAME"),
            ("profile", "switch AWS profile: :profile NAME"),
            ("region", "switch AWS region: :region eu-west-1"),
        ];

        impl App {
            /// Hands a pane's report ([`PaneTrait::Msg`], an action that
            /// [`pane_messages!`] matches) to its pane.
            pub(super) fn pane_message(&mut self, action: Action, now: std::time::Instant) -> Vec<Effect> {
                match action {
                    $(Action::$msg(m) => self.with_pane($slot, now, |p, cx| p.message(m, cx)).1,)*
                    other => unreachable!("{other:?} is not a pane's report: see pane_messages!"),
                }
            }
        }

        /// The pattern of every pane's report in an [`Action`] (one variant
        /// per pane, carrying its [`PaneTrait::Msg`]), for `App::update`'s
        /// match to hand them to [`App::pane_message`] and stay exhaustive.
        macro_rules! pane_messages {
            () => { $($crate::action::Action::$msg(_))|* };
        }
        pub(crate) use pane_messages;

        /// Runs `$body` with `$j` bound to the job of a pane's effect and
        /// `$report` to the [`Action`] constructor that carries its
        /// messages back (for the runner). `$e` must be a pane's effect
        /// (not [`Effect::Shell`], `Quit` or a switch).
        macro_rules! with_pane_job {
            ($d e:expr, |$d j:ident, $d report:ident| $d body:expr) => {
                match $d e {
                    $($crate::app::Effect::$job($d j) => {
                        let $d report = $crate::action::Action::$msg;
                        $d body
                    })*
                    other @ ($crate::app::Effect::Shell(_)
                    | $crate::app::Effect::Quit
                    | $crate::app::Effect::SwitchSet(_)
                    | $crate::app::Effect::SwitchContext { .. }) => {
                        unreachable!("{other:?} is the shell's, not a pane's effect")
                    }
                }
            };
        }
        pub(crate) use with_pane_job;

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
            pub(super) const $slot: Slot<crate::panes::$module::$state> = Slot {
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
                $pane(<crate::panes::$module::$state as PaneTrait>::Ask),
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

// One entry per pane, in tab order: the table is `crate::pane_table!`
// (src/panes/mod.rs).
crate::pane_table!(registry $);

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
                Layer::ALL.contains(&e.layer),
                "[{}] is not in Layer::ALL: user keymaps could not name it",
                e.layer.name()
            );
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
