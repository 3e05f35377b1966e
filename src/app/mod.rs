//! Application state and the synchronous `update`: action in, state and
//! effects out. No I/O and no `.await` here.

pub mod help;
pub mod jobs;
pub mod palette;
pub mod picker;
pub mod registry;
pub use crate::panes::fleet::state as fleet;
pub use crate::panes::opscenter::state as opscenter;
pub use crate::panes::parameters::state as params;
pub use crate::panes::sessions;
use registry::{
    ASSOCIATIONS, AUTOMATION, FLEET, MAINTENANCE, OPS, PARAMS, RUN_COMMAND, SESSIONS, Slot,
    with_slot,
};

use std::time::{Duration, Instant};

use crate::action::{Action, Command, InputKey};
pub use crate::action::{ContextInfo, MouseInput};
use crate::config::Layer;
use crate::pane::{Cx, Goto, Handled, Pane as PaneTrait, Request, Shared};
pub use crate::panes::activations::{ActivationsAsk, ActivationsJob, ActivationsState};
pub use crate::panes::associations::{AssociationsJob, AssociationsState};
pub use crate::panes::automation::{AutomationAsk, AutomationJob, AutomationState};
pub use crate::panes::compliance::{ComplianceAsk, ComplianceJob, ComplianceState};
pub use crate::panes::documents::{DocumentsJob, DocumentsState};
pub use crate::panes::fleet::{FleetJob, FleetMsg};
pub use crate::panes::maintenance::{MaintenanceAsk, MaintenanceJob, MaintenanceState};
pub use crate::panes::opscenter::OpsJob;
pub use crate::panes::overview::{OverviewJob, OverviewState};
pub use crate::panes::parameters::ParamsJob;
pub use crate::panes::run_command::CommandsJob;
pub use crate::panes::sessions::SessionsJob;
use crate::widgets::choice::{Choice, ChoiceStep};
use crate::widgets::line_input::{self, Edit};
pub use jobs::{ShellJob, ShellMsg};
pub use registry::{COMMANDS, Effect, Pane, PromptPurpose};

pub use crate::panes::run_command::CommandsState;
pub use fleet::FleetState;
pub use opscenter::OpsState;
pub use params::ParamsState;

/// Notices kept for `:messages`.
pub const MESSAGES_KEPT: usize = 500;

/// How long a passing notice stays on screen.
pub const NOTICE_TTL: Duration = Duration::from_secs(5);

impl Pane {
    /// Every pane, in tab order (the registry's).
    pub fn all() -> impl Iterator<Item = Pane> {
        registry::PANES.iter().map(|e| e.pane)
    }

    /// Tab title.
    pub fn title(self) -> &'static str {
        registry::entry(self).title
    }

    /// The pane whose tab covers column `x` of the tab line (each tab is
    /// ` title ` followed by one space, as `ui::widgets::tabs` draws them).
    pub fn tab_at(x: u16) -> Option<Pane> {
        let mut start = 0u16;
        for p in Pane::all() {
            let w = p.title().chars().count() as u16 + 2;
            if x >= start && x < start + w {
                return Some(p);
            }
            start += w + 1;
        }
        None
    }

    /// The keymap layer for this pane.
    pub fn layer(self) -> Layer {
        registry::entry(self).layer
    }
}

/// Text that must not reach logs or test output (a copied SecureString).
#[derive(Clone, PartialEq, Eq)]
pub struct SecretText(pub String);

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretText(** {} characters **)", self.0.chars().count())
    }
}

/// A confirmation: what will happen, and the effect to run on yes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    /// Title.
    pub title: String,
    /// Exactly what will happen, to what, where.
    pub lines: Vec<String>,
    /// Run on yes.
    pub effect: Effect,
    /// Asked again on yes before `effect` runs: a send while a change
    /// calendar is CLOSED (the second question's lines).
    pub again: Option<Vec<String>>,
    /// This is that second question: only a capital `Y` says yes.
    pub second: bool,
}

/// The AWS writes a change freeze asks twice about: sends that change
/// what runs on nodes (Run Command, Automation).
pub const SENDS: &[&str] = &["ssm:SendCommand", "ssm:StartAutomationExecution"];

/// A one-line prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    /// Question.
    pub title: String,
    /// Typed text.
    pub text: String,
    /// What the answer is for.
    pub purpose: PromptPurpose,
}

/// Where keys go: derived by [`App::mode`] from the overlay stack and the
/// shown pane's form, never kept by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Keys go through the keymap.
    Normal,
    /// Typing the filter.
    Filter,
    /// Typing a `:` command.
    CommandLine,
    /// The help overlay is open.
    Help,
    /// The message history (`:messages`) is open.
    Messages,
    /// The Parameters editor has the keys.
    Editor,
    /// A confirmation dialog waits for y or n.
    Confirm,
    /// A one-line prompt has the keys.
    Prompt,
    /// A choice list waits for a pick.
    Choose,
    /// The `:contexts` picker has the keys.
    Contexts,
}

/// What sits over the panes and has the keys ([`App::overlays`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    /// The shown pane's filter is typed.
    Filter,
    /// The `:` line and its palette.
    CommandLine,
    /// The key bindings, scrolled and searched.
    Help(help::HelpState),
    /// Every notice so far (`:messages`).
    Messages,
    /// Every context of the set and how its loads stand, and the picker
    /// that changes the set (`:contexts`).
    Contexts(Box<picker::ContextPicker>),
    /// A confirmation waits for y or n.
    Confirm(Box<Confirm>),
    /// A one-line prompt has the keys.
    Prompt(Prompt),
    /// A choice list waits for a pick.
    Choose(Choice<PromptPurpose>),
}

impl Overlay {
    /// The key layer while this overlay is on top.
    pub fn mode(&self) -> Mode {
        match self {
            Overlay::Filter => Mode::Filter,
            Overlay::CommandLine => Mode::CommandLine,
            Overlay::Help(_) => Mode::Help,
            Overlay::Messages => Mode::Messages,
            Overlay::Contexts(_) => Mode::Contexts,
            Overlay::Confirm(_) => Mode::Confirm,
            Overlay::Prompt(_) => Mode::Prompt,
            Overlay::Choose(_) => Mode::Choose,
        }
    }
}

/// Writes [`App`] from the pane table ([`pane_table!`](crate::pane_table)):
/// the shell's fields, and each pane's state (`field`), at its default in
/// a fresh console.
macro_rules! app_struct {
    ($d:tt $(
        #[doc = $doc:literal]
        $pane:ident {
            module: $module:ident, state: $state:ident, field: $field:ident, slot: $slot:ident,
            title: $title:literal, $($rest:tt)*
        }
    )*) => {
        /// The whole console state.
        #[derive(Debug)]
        pub struct App {
            /// Current pane.
            pub pane: Pane,
            /// What sits over the panes and has the keys, topmost last; the key
            /// layer ([`App::mode`]) is derived from it and the shown pane.
            pub overlays: Vec<Overlay>,
            $(
                #[doc = concat!("The ", $title, " pane's state:", $doc)]
                pub $field: crate::panes::$module::$state,
            )*
            /// AWS context for the header (the set's first context).
            pub context: ContextInfo,
            /// Every context of the set, in order (one entry: the usual console).
            pub contexts: Vec<crate::model::ContextLabel>,
            /// Passing notices with their expiry.
            pub notices: Vec<(String, Instant)>,
            /// Every notice so far, oldest first, with when it came (at most
            /// [`MESSAGES_KEPT`]): `:messages` shows them.
            pub messages: Vec<(Instant, String)>,
            /// A write that failed: shown until Esc acknowledges it.
            pub write_failure: Option<String>,
            /// Configuration problems (shown until dismissed by a key).
            pub config_problems: Vec<String>,
            /// The `:` line.
            pub command_line: String,
            /// Where the cursor stands in the open single-line input (filter, `:`
            /// line, prompt), in characters; `None`: at the end. Reset whenever
            /// the input mode changes.
            pub line_cursor: Option<usize>,
            /// Result of the last `:` command, when it failed.
            pub command_error: Option<String>,
            /// Terminal size, columns × rows.
            pub size: (u16, u16),
            /// Set when the user asked to quit.
            pub quit: bool,
            /// Why mutating actions are disabled (`--read-only`, config), if they are.
            pub read_only: Option<String>,
            /// Panes shown before this one, most recent last (Esc walks back).
            pub back: Vec<Pane>,
            /// Saved filters and recent targets (kept between runs).
            pub user: palette::UserState,
            /// Palette entries for the typed `:` line, best first.
            pub palette: Vec<palette::PaletteEntry>,
            /// The highlighted palette entry (Up/Down), if any.
            pub palette_cursor: Option<usize>,
            /// Profiles in the shared AWS config files, for `:profile`.
            pub profiles: Vec<String>,
            /// Bound actions for the palette: pane (`None`: global), keys, action, description.
            pub keyhelp: Vec<(Option<Pane>, String, Command, String)>,
            /// The effective keymap (the runtime sets the one it routes keys
            /// with): the help overlay lists and scrolls its lines.
            pub keymap: crate::config::Keymap,
            /// The pane did not use the last Esc ([`Handled::No`]): walk back
            /// through the route stack.
            pub walk_back: bool,
            /// The injected clock as of the last update (what [`App::settle`] hands
            /// the panes).
            pub clock: Instant,
        }

        impl App {
            /// Every pane at its default, the first context's label, nothing
            /// open (what [`App::new`] starts from).
            fn fresh(context: ContextInfo, size: (u16, u16), now: Instant) -> App {
                App {
                    pane: Pane::Fleet,
                    overlays: Vec::new(),
                    $($field: Default::default(),)*
                    contexts: vec![crate::model::ContextLabel {
                        profile: context.profile.clone(),
                        region: context.region.clone(),
                        ..Default::default()
                    }],
                    context,
                    notices: Vec::new(),
                    messages: Vec::new(),
                    write_failure: None,
                    config_problems: Vec::new(),
                    command_line: String::new(),
                    line_cursor: None,
                    command_error: None,
                    size,
                    quit: false,
                    read_only: None,
                    back: Vec::new(),
                    user: palette::UserState::default(),
                    palette: Vec::new(),
                    palette_cursor: None,
                    profiles: Vec::new(),
                    keyhelp: Vec::new(),
                    keymap: crate::config::Keymap::load(None, &mut Vec::new()),
                    walk_back: false,
                    clock: now,
                }
            }
        }
    };
}

crate::pane_table!(app_struct $);

/// Panes kept on the back stack.
pub const BACK_STACK: usize = 16;

impl App {
    /// Sets the context set the console works across (labels in set
    /// order; the first is [`App::context`]'s).
    pub fn set_contexts(&mut self, labels: Vec<crate::model::ContextLabel>) {
        for p in Pane::all() {
            with_slot!(p, |s| (s.state)(self).contexts_changed(&labels));
        }
        self.contexts = labels;
    }

    /// A fresh state and the effects that start the first loads.
    pub fn new(context: ContextInfo, size: (u16, u16), now: Instant) -> (App, Vec<Effect>) {
        let mut app = App::fresh(context, size, now);
        app.fleet.endpoint = app.context.endpoint.clone();
        let generation = app.fleet.begin_load(now);
        let mut effects = vec![
            Effect::Shell(ShellJob::Identity),
            Effect::Fleet(FleetJob::Load { generation }),
        ];
        effects.extend(app.check_calendars(now));
        (app, effects)
    }

    /// Reads the change calendars of every context again (the header's
    /// freeze badge, a send's second question; at start, every
    /// `CALENDAR_EVERY_S` and after a context switch).
    fn check_calendars(&mut self, now: Instant) -> Vec<Effect> {
        self.with_pane(MAINTENANCE, now, |p, cx| p.check_calendars(cx))
            .1
    }

    /// Rows of the fleet table that fit on screen (header, tabs, status line,
    /// borders and the column header taken away).
    pub fn page_rows(&self) -> usize {
        usize::from(self.size.1.saturating_sub(6)).max(1)
    }

    /// Where keys go: the top overlay's layer, else the shown pane's form
    /// ([`Mode::Editor`]) when one is open, else the keymap.
    pub fn mode(&self) -> Mode {
        match self.overlays.last() {
            Some(o) => o.mode(),
            None if registry::view_of(self, self.pane).has_form() => Mode::Editor,
            None => Mode::Normal,
        }
    }

    /// Puts `o` on top: it has the keys until closed.
    pub fn open_overlay(&mut self, o: Overlay) {
        self.overlays.push(o);
    }

    /// The open help overlay's state, if help is open.
    pub fn help(&self) -> Option<&help::HelpState> {
        self.overlays.iter().rev().find_map(|o| match o {
            Overlay::Help(h) => Some(h),
            _ => None,
        })
    }

    /// A key while help is on top: scroll, search, or close.
    fn help_key(&mut self, k: crossterm::event::KeyEvent) {
        let layer = self.pane.layer();
        let page = help::visible_lines(self.size.1);
        let Some(Overlay::Help(h)) = self.overlays.last_mut() else {
            return;
        };
        if h.key(k, &self.keymap, layer, page) == help::HelpStep::Close {
            self.close_overlay();
        }
    }

    /// Closes the topmost overlay `f` picks; returns it.
    fn close_overlay_where(&mut self, f: impl Fn(&Overlay) -> bool) -> Option<Overlay> {
        let i = self.overlays.iter().rposition(f)?;
        Some(self.overlays.remove(i))
    }

    /// Closes the top overlay.
    fn close_overlay(&mut self) -> Option<Overlay> {
        self.overlays.pop()
    }

    /// The confirmation that waits, if any.
    pub fn confirm(&self) -> Option<&Confirm> {
        self.overlays.iter().rev().find_map(|o| match o {
            Overlay::Confirm(c) => Some(c.as_ref()),
            _ => None,
        })
    }

    /// The open prompt, if any.
    pub fn prompt(&self) -> Option<&Prompt> {
        self.overlays.iter().rev().find_map(|o| match o {
            Overlay::Prompt(p) => Some(p),
            _ => None,
        })
    }

    /// The open choice list, if any.
    pub fn choice(&self) -> Option<&Choice<PromptPurpose>> {
        self.overlays.iter().rev().find_map(|o| match o {
            Overlay::Choose(c) => Some(c),
            _ => None,
        })
    }

    /// Recomputes derived views (filter, sort, tree) after a batch of
    /// actions; returns loads the new view needs (values of visible parameters).
    pub fn settle(&mut self) -> Vec<Effect> {
        let rows = self.page_rows();
        // Every pane reads the Fleet's nodes, the palette reads the
        // parameter rows, and OpsCenter's view follows the clock: these
        // settle shown or not, without asking for loads.
        self.fleet.settle(rows);
        self.params.settle_rows(rows);
        let mut effects = Vec::new();
        if self.pane != Pane::OpsCenter {
            effects.extend(self.with_pane(OPS, self.clock, |p, cx| p.settle(cx)).1);
        }
        let clock = self.clock;
        effects.extend(with_slot!(self.pane, |s| self
            .with_pane(s, clock, PaneTrait::settle)
            .1));
        effects
    }

    /// The open editors, composers and forms holding text the user typed
    /// (a context switch would close them), named for a confirmation.
    pub fn unsaved_work(&self) -> Vec<String> {
        Pane::all()
            .filter_map(|p| registry::view_of(self, p).unsaved_text())
            .collect()
    }

    /// `q` or `:quit`: quits at once when nothing would be lost, else asks,
    /// naming the live sessions and port forwards it would end and the
    /// typed text it would drop.
    fn ask_quit(&mut self) {
        let live: Vec<_> = self.sessions.live_tabs().collect();
        let forwards = live.iter().filter(|t| t.forward.is_some()).count();
        let shells = live.len() - forwards;
        let mut lines = Vec::new();
        if !live.is_empty() {
            let mut what = Vec::new();
            if shells > 0 {
                what.push(plural(shells, "shell session", "shell sessions"));
            }
            if forwards > 0 {
                what.push(plural(forwards, "port forward", "port forwards"));
            }
            lines.push(format!(
                "{} open: quitting ends them (TerminateSession).",
                what.join(" and ")
            ));
            for t in live.iter().take(6) {
                let name = if t.name.is_empty() { &t.node } else { &t.name };
                lines.push(format!("  {name} ({}) since {}", t.node, t.started));
            }
        }
        for w in self.unsaved_work() {
            lines.push(format!("{w} has unsaved text: it would be lost."));
        }
        if lines.is_empty() {
            self.quit = true;
            return;
        }
        lines.push("y quits · n stays".into());
        self.open_overlay(Overlay::Confirm(Box::new(Confirm {
            title: "Quit ssmdeck?".into(),
            lines,
            effect: Effect::Quit,
            again: None,
            second: false,
        })));
    }

    /// Terminal size of the Sessions pane, rows × columns.
    pub fn terminal_size(&self) -> (u16, u16) {
        sessions::terminal_size(self.size)
    }

    /// Runs `f` on the Sessions pane (see [`App::with_pane`]).
    fn with_sessions<R>(
        &mut self,
        now: Instant,
        f: impl FnOnce(&mut sessions::SessionsState, &mut Cx<SessionsJob>) -> R,
    ) -> (R, Vec<Effect>) {
        self.with_pane(SESSIONS, now, f)
    }

    /// Runs `f` on a pane with a fresh [`Cx`] (the shell's read-only state,
    /// the injected clock), then turns what it collected into effects: its
    /// jobs, and its requests applied by the shell.
    fn with_pane<P, R>(
        &mut self,
        slot: Slot<P>,
        now: Instant,
        f: impl FnOnce(&mut P, &mut Cx<P::Job, P::Ask>) -> R,
    ) -> (R, Vec<Effect>)
    where
        P: PaneTrait + Default,
    {
        let mut state = std::mem::take((slot.state)(self));
        let where_ = self.where_();
        let shared = Shared {
            size: self.size,
            where_: &where_,
            nodes: &self.fleet.nodes,
            selected: &self.fleet.selected,
            page_rows: self.page_rows(),
            nodes_loading: self.fleet.loading.is_some(),
            node_loads: &self.fleet.context_loads,
            identity: self.context.identity.as_ref(),
            region: &self.context.region,
            contexts: &self.contexts,
            epoch_s: crate::model::now_epoch_s(),
        };
        let mut cx = Cx::new(now, shared);
        let r = f(&mut state, &mut cx);
        let (jobs, requests) = cx.finish();
        let jobs: Vec<P::Job> = jobs.into_iter().map(|j| state.wrap_job(j)).collect();
        let requests: Vec<Request<P::Job, P::Ask>> = requests
            .into_iter()
            .map(|r| match r {
                Request::Confirm { title, lines, yes } => Request::Confirm {
                    title,
                    lines,
                    yes: state.wrap_job(yes),
                },
                r => r,
            })
            .collect();
        *(slot.state)(self) = state;
        let mut effects: Vec<Effect> = jobs.into_iter().map(slot.job).collect();
        effects.extend(self.apply_requests(&slot, requests, now));
        (r, effects)
    }

    /// Carries out what a pane asked for.
    fn apply_requests<P: PaneTrait>(
        &mut self,
        slot: &Slot<P>,
        requests: Vec<Request<P::Job, P::Ask>>,
        now: Instant,
    ) -> Vec<Effect> {
        let mut effects = Vec::new();
        for r in requests {
            match r {
                Request::Notice(text) => self.notice(text, now),
                Request::Confirm { title, lines, yes } => {
                    let effect = (slot.job)(yes);
                    let confirm = self.frozen(Confirm {
                        title,
                        lines,
                        effect,
                        again: None,
                        second: false,
                    });
                    self.open_overlay(Overlay::Confirm(Box::new(confirm)));
                }
                Request::Clipboard(text) => {
                    effects.push(Effect::Shell(ShellJob::Clipboard(SecretText(text))));
                }
                Request::Show => effects.extend(self.show_pane(slot.pane)),
                Request::Prompt { title, text, ask } => {
                    self.open_overlay(Overlay::Prompt(Prompt {
                        title,
                        text,
                        purpose: (slot.ask)(ask),
                    }));
                }
                Request::Filter => self.open_overlay(Overlay::Filter),
                Request::Choose {
                    title,
                    options,
                    ask,
                } => {
                    self.open_overlay(Overlay::Choose(Choice::new(
                        title,
                        options,
                        (slot.ask)(ask),
                    )));
                }
                Request::Open(g) => effects.extend(self.goto(g, now)),
                Request::Remember { kind, key, label } => {
                    effects.push(self.remember(kind, &key, &label));
                }
            }
        }
        effects
    }

    /// `c` as asked while a counted change calendar is CLOSED (or of
    /// unknown state): a send ([`SENDS`]) names the freeze at the top and
    /// asks a second time, where only a capital `Y` sends (Enter and `y`,
    /// typed twice or repeated, do not). Calendars that could not be
    /// listed are named, not asked about.
    fn frozen(&self, mut c: Confirm) -> Confirm {
        let send = c
            .effect
            .mutation()
            .is_some_and(|m| SENDS.contains(&m.action));
        let now_s = crate::model::now_epoch_s();
        // The contexts the send goes to, where the effect says.
        let to: Option<Vec<crate::model::ContextId>> = match &c.effect {
            Effect::RunCommand(CommandsJob::SendAcross { placements, .. }) => {
                Some(placements.iter().map(|p| p.ctx).collect())
            }
            Effect::RunCommand(CommandsJob::Send(_)) => Some(vec![Default::default()]),
            Effect::Automation(AutomationJob::Start { requests, .. }) => {
                Some(requests.iter().map(|(ctx, _)| *ctx).collect())
            }
            _ => None,
        };
        let (freeze, twice) = self.maintenance.freeze_lines(now_s, to.as_deref());
        if !send || freeze.is_empty() {
            return c;
        }
        if twice {
            let mut again = freeze.clone();
            again.pop();
            again.push(format!("{} — really go ahead during the freeze?", c.title));
            again.push("Y (capital) sends anyway · n or Esc does not".into());
            c.again = Some(again);
        }
        c.lines.splice(0..0, freeze);
        c
    }

    /// Routes a cross-pane request ([`Goto`]) to the pane that owns it.
    fn goto(&mut self, g: Goto, now: Instant) -> Vec<Effect> {
        match g {
            Goto::Node(id) => self.with_pane(FLEET, now, |p, cx| p.show_node(&id, cx)).1,
            Goto::Compose { nodes, origin } => {
                let mut effects = self.show_pane(Pane::Commands);
                effects.extend(
                    self.with_pane(RUN_COMMAND, now, |p, cx| p.compose_for(nodes, origin, cx))
                        .1,
                );
                effects
            }
            Goto::Shell(node) => self.with_sessions(now, |p, cx| p.open_shell(node, cx)).1,
            Goto::Forward { node, spec } => {
                self.with_sessions(now, |p, cx| p.open_forward(node, spec, cx))
                    .1
            }
            Goto::Command { id, document, ctx } => {
                let mut effects = self.show_pane(Pane::Commands);
                effects.extend(
                    self.with_pane(RUN_COMMAND, now, |p, cx| {
                        p.open_command(id, &document, ctx, cx)
                    })
                    .1,
                );
                effects
            }
            Goto::Runbook {
                nodes,
                origin,
                ops_item,
                suggested,
            } => {
                let from = crate::panes::automation::state::StartFrom {
                    nodes,
                    origin,
                    ops_item,
                    suggested,
                };
                let mut effects = self.show_pane(Pane::Automation);
                effects.extend(
                    self.with_pane(AUTOMATION, now, |p, cx| p.start_from(from, cx))
                        .1,
                );
                effects
            }
            Goto::ComposeDocument {
                document,
                presets,
                nodes,
            } => {
                let mut effects = self.show_pane(Pane::Commands);
                effects.extend(
                    self.with_pane(RUN_COMMAND, now, |p, cx| {
                        p.compose_document(document, presets, nodes, cx)
                    })
                    .1,
                );
                effects
            }
            Goto::NodeTab { id, part } => {
                self.with_pane(FLEET, now, |p, cx| p.show_node_tab(&id, part, cx))
                    .1
            }
            Goto::Association { ctx, id } => {
                let mut effects = self.show_pane(Pane::Associations);
                effects.extend(
                    self.with_pane(ASSOCIATIONS, now, |p, cx| p.open_association(ctx, id, cx))
                        .1,
                );
                effects
            }
            Goto::Execution { ctx, id } => {
                let mut effects = self.show_pane(Pane::Automation);
                effects.extend(
                    self.with_pane(AUTOMATION, now, |p, cx| p.open_execution(ctx, id, cx))
                        .1,
                );
                effects
            }
            Goto::Executions(ids) => {
                let mut effects = self.show_pane(Pane::Automation);
                effects.extend(
                    self.with_pane(AUTOMATION, now, |p, cx| p.show_executions(&ids, cx))
                        .1,
                );
                effects
            }
            Goto::NodeOpsItems(id) => {
                self.go_to(Pane::OpsCenter);
                self.with_pane(OPS, now, |p, cx| p.show_node_items(&id, cx))
                    .1
            }
            Goto::FleetFilter(text) => {
                self.go_to(Pane::Fleet);
                self.with_pane(FLEET, now, |p, _| p.show_filtered(text)).1
            }
            Goto::OpsFilter(text) => {
                self.go_to(Pane::OpsCenter);
                self.with_pane(OPS, now, |p, cx| p.show_filtered(text, cx))
                    .1
            }
        }
    }

    /// Moves to `pane`, remembering the pane left on the back stack (Esc
    /// returns to it); loads nothing (see `show_pane`).
    fn go_to(&mut self, pane: Pane) {
        if pane != self.pane {
            self.back.retain(|p| *p != self.pane);
            self.back.push(self.pane);
            if self.back.len() > BACK_STACK {
                self.back.remove(0);
            }
        }
        self.pane = pane;
    }

    fn show_pane(&mut self, pane: Pane) -> Vec<Effect> {
        self.go_to(pane);
        let clock = self.clock;
        with_slot!(pane, |s| self.with_pane(s, clock, |p, cx| p.on_show(cx)).1)
    }

    fn where_(&self) -> String {
        format!(
            "account {}, region {}",
            self.context
                .identity
                .as_ref()
                .map_or("(unknown)", |i| i.account.as_str()),
            self.context.region
        )
    }

    fn notice(&mut self, text: String, now: Instant) {
        // Notices quote AWS (names, error messages): never raw control
        // characters to the terminal or the log.
        let text = crate::widgets::raw_json::sanitize(&text);
        tracing::info!(notice = %text);
        self.messages.push((now, text.clone()));
        if self.messages.len() > MESSAGES_KEPT {
            self.messages.remove(0);
        }
        self.notices.retain(|(t, _)| *t != text);
        self.notices.push((text, now + NOTICE_TTL));
        if self.notices.len() > 3 {
            self.notices.remove(0);
        }
    }

    fn refresh(&mut self, now: Instant) -> Vec<Effect> {
        let mut effects = Vec::new();
        if self.context.identity.is_none() {
            effects.push(Effect::Shell(ShellJob::Identity));
        }
        effects.extend(with_slot!(self.pane, |s| self
            .with_pane(s, now, |p, cx| p.refresh(cx))
            .1));
        effects
    }

    /// Applies one action; returns the effects to run. Pure: no I/O.
    ///
    /// In read-only mode a mutating command is refused with a notice that
    /// says why, and any mutating effect that would still come out is
    /// dropped (with the same notice) before it reaches the task manager.
    pub fn update(&mut self, action: Action, now: Instant) -> Vec<Effect> {
        self.clock = now;
        if let (Some(why), Action::Command(c)) = (&self.read_only, &action)
            && self.mode() == Mode::Normal
            && let Some(api) = mutation_of(*c, self.pane)
        {
            let text = format!(
                "read-only ({why}): {} is disabled, it would call {api}",
                c.name()
            );
            self.notice(text, now);
            return Vec::new();
        }
        let mode = self.mode();
        let effects = self.update_inner(action, now);
        if self.mode() != mode {
            // A new input starts with the cursor at the end of its text.
            self.line_cursor = None;
        }
        let Some(why) = self.read_only.clone() else {
            return effects;
        };
        effects
            .into_iter()
            .filter(|e| match e.mutation() {
                None => true,
                Some(m) => {
                    self.notice(format!("read-only ({why}): {} not sent", m.action), now);
                    false
                }
            })
            .collect()
    }

    /// STS GetCallerIdentity of context `id` answered: its account shows
    /// (and `account:` matches it), or a notice says why not.
    fn context_identity(
        &mut self,
        id: crate::model::ContextId,
        r: Result<crate::model::CallerIdentity, crate::aws::AwsError>,
        now: Instant,
    ) {
        match r {
            Ok(who) => {
                let mut labels = self.contexts.clone();
                if let Some(l) = labels.get_mut(id.index()) {
                    l.account = Some(who.account);
                    self.set_contexts(labels);
                }
            }
            Err(e) => {
                let name = self
                    .contexts
                    .get(id.index())
                    .map_or_else(|| "?".into(), crate::model::ContextLabel::short);
                self.notice(format!("{name}: caller identity unknown: {e}"), now);
            }
        }
    }

    fn update_inner(&mut self, action: Action, now: Instant) -> Vec<Effect> {
        match action {
            Action::Reported { context, action } => {
                let session = matches!(*action, Action::Sessions(_));
                if context != self.context.generation && !session {
                    tracing::debug!(context, "report of an earlier context dropped");
                    return Vec::new();
                }
                self.update_inner(*action, now)
            }
            Action::Command(c) => self.command(c, now),
            Action::Input(k) => self.input(k, now),
            Action::Tick(t) => {
                self.notices.retain(|(_, until)| *until > t);
                if self.maintenance.calendars_due(crate::model::now_epoch_s()) {
                    return self.check_calendars(now);
                }
                Vec::new()
            }
            Action::Resize(w, h) => {
                self.size = (w, h);
                let mut effects = self.with_pane(FLEET, now, |p, cx| p.resized(cx)).1;
                effects.extend(self.with_sessions(now, |p, cx| p.resized(cx)).1);
                effects
            }
            Action::IdentityLoaded(Ok(id)) => {
                let mut labels = self.contexts.clone();
                if let Some(first) = labels.first_mut()
                    && first.account.is_none()
                {
                    first.account = Some(id.account.clone());
                    self.set_contexts(labels);
                }
                self.context.identity = Some(id);
                self.context.identity_error = None;
                Vec::new()
            }
            Action::ContextIdentity(id, r) => {
                self.context_identity(id, r, now);
                Vec::new()
            }
            Action::AccountAlias(id, alias) => {
                // An Organizations name (`--org`) stays; the alias is
                // AWS's text: never raw control characters.
                let mut labels = self.contexts.clone();
                if let Some(l) = labels.get_mut(id.index())
                    && l.account_name.is_none()
                {
                    l.account_name = Some(crate::widgets::raw_json::sanitize(&alias));
                    self.set_contexts(labels);
                }
                Vec::new()
            }
            Action::IdentityLoaded(Err(e)) => {
                self.context.identity_error = Some(e);
                Vec::new()
            }
            Action::Notice(text, at) => {
                self.notice(text, at);
                Vec::new()
            }
            Action::WriteFailed(text) => {
                self.notice(text.clone(), now);
                self.write_failure = Some(text);
                Vec::new()
            }
            Action::ConfigProblems(p) => {
                self.config_problems = p;
                Vec::new()
            }
            Action::Key(k) if self.mode() == Mode::Help => {
                self.help_key(k);
                Vec::new()
            }
            Action::Key(k) if registry::view_of(self, self.pane).takes_keys() => {
                with_slot!(self.pane, |s| self
                    .with_pane(s, now, |p, cx| p.key(k, cx))
                    .1)
            }
            Action::Key(_) => Vec::new(),
            Action::Paste(text) if registry::view_of(self, self.pane).takes_keys() => {
                with_slot!(self.pane, |s| self
                    .with_pane(s, now, |p, cx| p.paste(&text, cx))
                    .1)
            }
            Action::Paste(_) => Vec::new(),
            a @ registry::pane_messages!() => self.pane_message(a, now),
            Action::Mouse(m) => self.mouse(m, now),
            Action::ProfilesLoaded(p) => {
                self.profiles = p;
                Vec::new()
            }
            Action::ContextSwitched(Err(e)) => {
                let text = format!(
                    "not switched: {e}; still on profile {}, region {}",
                    self.context.profile.as_deref().unwrap_or("default"),
                    self.context.region
                );
                self.notice(text, now);
                Vec::new()
            }
            Action::ContextSwitched(Ok(info)) => self.context_switched(info, now),
        }
    }

    /// A profile, region or set switch connected: every pane starts
    /// again on the new set (live sessions keep running on their own).
    fn context_switched(&mut self, mut info: ContextInfo, now: Instant) -> Vec<Effect> {
        let info_labels = std::mem::take(&mut info.labels);
        let text = if info_labels.len() > 1 {
            format!(
                "now on {}: every pane reloads",
                crate::aws::contexts::describe(&info_labels)
            )
        } else {
            format!(
                "now on profile {}, region {}: every pane reloads",
                info.profile.as_deref().unwrap_or("default"),
                info.region
            )
        };
        self.notice(text, now);
        self.context = info;
        for p in Pane::all() {
            with_slot!(p, |s| (s.state)(self).switch_context());
        }
        self.fleet.endpoint = self.context.endpoint.clone();
        // A profile or region switch lands on one context (it
        // leaves a set); the picker's on the set it connected.
        let labels = if info_labels.is_empty() {
            vec![crate::model::ContextLabel {
                profile: self.context.profile.clone(),
                region: self.context.region.clone(),
                ..Default::default()
            }]
        } else {
            info_labels
        };
        self.set_contexts(labels);
        // What had the keys is gone with the old context's panes:
        // the next key goes through the keymap again.
        self.overlays
            .retain(|o| matches!(o, Overlay::Help(_) | Overlay::Messages));
        let generation = self.fleet.begin_load(now);
        let mut effects = vec![
            Effect::Shell(ShellJob::Identity),
            Effect::Fleet(FleetJob::Load { generation }),
        ];
        effects.extend(self.show_pane(self.pane));
        effects.extend(self.check_calendars(now));
        effects
    }

    /// The trail shown on the tab line: earlier panes, this pane, and where
    /// in it (node, level, command, OpsItem).
    pub fn breadcrumbs(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .back
            .iter()
            .rev()
            .take(2)
            .rev()
            .map(|p| p.title().to_owned())
            .collect();
        out.push(self.pane.title().to_owned());
        out.extend(registry::view_of(self, self.pane).where_in());
        out
    }

    fn mouse(&mut self, m: MouseInput, now: Instant) -> Vec<Effect> {
        if self.mode() != Mode::Normal {
            return Vec::new();
        }
        match m {
            MouseInput::ScrollUp | MouseInput::ScrollDown => {
                let c = if m == MouseInput::ScrollUp {
                    Command::SelectPrev
                } else {
                    Command::SelectNext
                };
                let mut effects = Vec::new();
                for _ in 0..3 {
                    effects.extend(self.command(c, now));
                }
                effects
            }
            MouseInput::Click(x, 1) => match Pane::tab_at(x) {
                Some(p) => self.show_pane(p),
                None => Vec::new(),
            },
            MouseInput::Click(x, y) => {
                let (c, mut effects) =
                    with_slot!(self.pane, |s| self
                        .with_pane(s, now, |p, cx| p.click(x, y, cx)));
                if let Some(c) = c {
                    effects.extend(self.command(c, now));
                }
                effects
            }
        }
    }

    fn command(&mut self, c: Command, now: Instant) -> Vec<Effect> {
        if c == Command::Back && self.mode() == Mode::Normal {
            // The pane says whether it used Esc (`Handled::No` sets
            // `walk_back`): nothing left to close walks back a pane.
            self.walk_back = false;
            let effects = self.command_inner(c, now);
            if self.walk_back
                && effects.is_empty()
                && let Some(prev) = self.back.pop()
            {
                let effects = self.show_pane(prev);
                // Going back is not a new visit.
                self.back.pop();
                return effects;
            }
            return effects;
        }
        self.command_inner(c, now)
    }

    fn command_inner(&mut self, c: Command, now: Instant) -> Vec<Effect> {
        let rows = self.page_rows();
        // Commands act on what is on screen: bring the views up to date with
        // anything earlier in this batch (an opened level, a new filter).
        self.fleet.settle(rows);
        self.params.settle_rows(rows);
        // Any command dismisses the start-up config report.
        if !self.config_problems.is_empty() && c != Command::Refresh {
            self.config_problems.clear();
        }
        if self.write_failure.is_some() {
            // Seen: Esc only acknowledges it, any other key also acts.
            self.write_failure = None;
            if c == Command::Back {
                return Vec::new();
            }
        }
        if matches!(self.mode(), Mode::Help | Mode::Messages) {
            if matches!(c, Command::Help | Command::Back | Command::Quit) {
                self.close_overlay();
            }
            return Vec::new();
        }
        self.command_error = None;
        match c {
            Command::NextPane | Command::PrevPane => {
                let panes = registry::PANES;
                let i = panes.iter().position(|e| e.pane == self.pane).unwrap_or(0);
                let n = panes.len();
                let next = if c == Command::NextPane {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                return self.show_pane(panes[next].pane);
            }
            Command::Quit
            | Command::Help
            | Command::Contexts
            | Command::CommandLine
            | Command::Refresh => {}
            _ => {
                let (handled, effects) =
                    with_slot!(self.pane, |s| self
                        .with_pane(s, now, |p, cx| p.command(c, cx)));
                // Esc the pane had no use for walks back through the routes.
                self.walk_back = handled == Handled::No && c == Command::Back;
                return effects;
            }
        }
        match c {
            Command::Quit => self.ask_quit(),
            Command::Help => self.open_overlay(Overlay::Help(help::HelpState::default())),
            Command::Contexts => self.open_contexts(),
            Command::CommandLine => {
                self.command_line.clear();
                self.open_overlay(Overlay::CommandLine);
                self.refresh_palette();
            }
            Command::Refresh => return self.refresh(now),
            _ => {}
        }
        Vec::new()
    }

    /// A key while a confirmation waits: y (or Enter) runs its effect,
    /// n (or Esc) drops it; the pane that asked hears the answer
    /// ([`PaneTrait::confirm_answered`]: a send's n returns to the composer).
    fn confirm_input(&mut self, k: InputKey, now: Instant) -> Vec<Effect> {
        let second = matches!(self.confirm(), Some(c) if c.second);
        let yes = match k {
            // The second question of a freeze: only a capital Y.
            InputKey::Char('Y') if second => true,
            InputKey::Submit | InputKey::Char('y') if second => return Vec::new(),
            InputKey::Submit | InputKey::Char('y') | InputKey::Char('Y') => true,
            InputKey::Cancel | InputKey::Char('n') | InputKey::Char('N') => false,
            _ => return Vec::new(),
        };
        let Some(Overlay::Confirm(confirm)) =
            self.close_overlay_where(|o| matches!(o, Overlay::Confirm(_)))
        else {
            return Vec::new();
        };
        if yes && confirm.effect == Effect::Quit {
            self.quit = true;
            return Vec::new();
        }
        if yes && let Some(lines) = confirm.again {
            self.open_overlay(Overlay::Confirm(Box::new(Confirm {
                title: "Change freeze: send anyway?".into(),
                lines,
                effect: confirm.effect,
                again: None,
                second: true,
            })));
            return Vec::new();
        }
        let answered = self.confirm_answered(&confirm.effect, yes, now);
        let mut effects = Vec::new();
        if yes {
            effects.push(confirm.effect);
        }
        effects.extend(answered);
        effects
    }

    /// Tells the pane whose job a confirmation was about how it was
    /// answered ([`PaneTrait::confirm_answered`]). Panes still driven by
    /// the older code paths are not told.
    fn confirm_answered(&mut self, effect: &Effect, yes: bool, now: Instant) -> Vec<Effect> {
        match effect {
            Effect::RunCommand(job) => {
                self.with_pane(RUN_COMMAND, now, |p, cx| p.confirm_answered(job, yes, cx))
                    .1
            }
            Effect::Parameters(job) => {
                self.with_pane(PARAMS, now, |p, cx| p.confirm_answered(job, yes, cx))
                    .1
            }
            Effect::Sessions(job) => {
                self.with_pane(SESSIONS, now, |p, cx| p.confirm_answered(job, yes, cx))
                    .1
            }
            _ => Vec::new(),
        }
    }

    /// A key while a one-line prompt has the keys; Enter acts on the
    /// answer (labels, copy destination, OpsItem note, data, link, forward).
    fn prompt_input(&mut self, k: InputKey, now: Instant) -> Vec<Effect> {
        let is_prompt = |o: &Overlay| matches!(o, Overlay::Prompt(_));
        let Some(Overlay::Prompt(prompt)) = self.overlays.iter_mut().rev().find(|o| is_prompt(o))
        else {
            return Vec::new();
        };
        match k {
            InputKey::Cancel => {
                self.close_overlay_where(is_prompt);
            }
            InputKey::Submit => {
                let Some(Overlay::Prompt(prompt)) = self.close_overlay_where(is_prompt) else {
                    return Vec::new();
                };
                let label = prompt.text.trim().to_owned();
                if label.is_empty() {
                    return Vec::new();
                }
                return self.answer(prompt.purpose, label, now);
            }
            k => {
                if let Some(e) = Edit::from_input(k) {
                    line_input::apply(&mut prompt.text, &mut self.line_cursor, e);
                }
            }
        }
        Vec::new()
    }

    /// A key while a choice list waits ([`Request::Choose`]): the pick
    /// goes to what the list is for.
    fn choice_input(&mut self, k: InputKey, now: Instant) -> Vec<Effect> {
        let is_choice = |o: &Overlay| matches!(o, Overlay::Choose(_));
        let Some(Overlay::Choose(ch)) = self.overlays.iter_mut().rev().find(|o| is_choice(o))
        else {
            return Vec::new();
        };
        match ch.input(k) {
            ChoiceStep::Open => Vec::new(),
            ChoiceStep::Cancelled => {
                self.close_overlay_where(is_choice);
                Vec::new()
            }
            ChoiceStep::Picked => {
                let Some(Overlay::Choose(ch)) = self.close_overlay_where(is_choice) else {
                    return Vec::new();
                };
                match ch.value() {
                    Some(value) => self.answer(ch.ask, value, now),
                    None => Vec::new(),
                }
            }
        }
    }

    /// A key while pane `slot`'s filter is typed: the pane's one filter
    /// rule ([`Pane::filter_input`](PaneTrait::filter_input)); the input
    /// closes when the pane says the filter is done.
    fn filter_input_of<P: PaneTrait + Default>(
        &mut self,
        slot: Slot<P>,
        k: InputKey,
        now: Instant,
    ) -> Vec<Effect> {
        let mut cursor = self.line_cursor;
        let (open, effects) = self.with_pane(slot, now, |p, cx| p.filter_input(k, &mut cursor, cx));
        self.line_cursor = cursor;
        if !open {
            self.close_overlay_where(|o| *o == Overlay::Filter);
        }
        effects
    }

    fn input(&mut self, k: InputKey, now: Instant) -> Vec<Effect> {
        let mode = self.mode();
        let cursor = &mut self.line_cursor;
        match mode {
            Mode::Filter => with_slot!(self.pane, |s| self.filter_input_of(s, k, now)),
            Mode::Choose => self.choice_input(k, now),
            Mode::Contexts => self.picker_input(k, now),
            Mode::Confirm => self.confirm_input(k, now),
            Mode::Prompt => self.prompt_input(k, now),
            Mode::CommandLine => {
                match k {
                    InputKey::Backspace if self.command_line.is_empty() => {
                        self.close_overlay_where(|o| *o == Overlay::CommandLine);
                    }
                    InputKey::Complete => {
                        self.palette_complete();
                        return Vec::new();
                    }
                    InputKey::Cancel => {
                        self.close_overlay_where(|o| *o == Overlay::CommandLine);
                        self.palette.clear();
                        return Vec::new();
                    }
                    InputKey::Submit => return self.palette_submit(now),
                    InputKey::Up | InputKey::Down => {
                        self.palette_move(k == InputKey::Down);
                        return Vec::new();
                    }
                    k => {
                        if let Some(e) = Edit::from_input(k)
                            && !line_input::apply(&mut self.command_line, cursor, e)
                        {
                            return Vec::new();
                        }
                    }
                }
                self.refresh_palette();
                Vec::new()
            }
            Mode::Normal | Mode::Help | Mode::Messages | Mode::Editor => Vec::new(),
        }
    }

    fn run_command_line(&mut self, line: &str, now: Instant) -> Vec<Effect> {
        if line.is_empty() {
            return Vec::new();
        }
        let word = line.split_whitespace().next().unwrap_or("");
        let matches = completions(word);
        let chosen = if COMMANDS.iter().any(|(c, _)| *c == word) {
            Some(word.to_owned())
        } else if matches.len() == 1 {
            Some(matches[0].to_owned())
        } else {
            None
        };
        if let Some(pane) = chosen.as_deref().and_then(registry::by_command) {
            return self.show_pane(pane);
        }
        match chosen.as_deref() {
            Some("help") => {
                self.open_overlay(Overlay::Help(help::HelpState::default()));
                Vec::new()
            }
            Some("messages") => {
                self.open_overlay(Overlay::Messages);
                Vec::new()
            }
            Some("contexts") => {
                self.open_contexts();
                Vec::new()
            }
            Some("quit") => {
                self.ask_quit();
                Vec::new()
            }
            Some("refresh") => self.refresh(now),
            _ => {
                let known: Vec<&str> = COMMANDS.iter().map(|(c, _)| *c).collect();
                self.command_error = Some(if matches.len() > 1 {
                    format!("':{word}' is ambiguous: {}", matches.join(", "))
                } else {
                    format!("unknown command ':{word}': try {}", known.join(", "))
                });
                Vec::new()
            }
        }
    }
}

/// The AWS action a command leads to when it changes something, by pane
/// (the pane's own [`Pane::key_mutation`](crate::pane::Pane::key_mutation)
/// first, then the keys that write alike in every pane); `None` for
/// commands that only read.
pub fn mutation_of(c: Command, pane: Pane) -> Option<&'static str> {
    if let Some(api) = with_slot!(pane, |s| registry::key_mutation(s, c)) {
        return Some(api);
    }
    Some(match c {
        Command::RunCommand | Command::Rerun => "ssm:SendCommand",
        Command::RunRunbook => "ssm:StartAutomationExecution",
        Command::Approve | Command::Reject | Command::StartStep | Command::Resume => {
            "ssm:SendAutomationSignal"
        }
        Command::CancelCommand => "ssm:CancelCommand",
        Command::ToggleEnabled => "ssm:UpdateMaintenanceWindow",
        Command::AddLabel => "ssm:LabelParameterVersion",
        Command::RemoveLabel => "ssm:UnlabelParameterVersion",
        Command::Deregister => "ssm:DeregisterManagedInstance",
        Command::StartSession | Command::ForwardPort => "ssm:StartSession",
        Command::TerminateSession => "ssm:TerminateSession",
        Command::Edit
        | Command::SetStatus
        | Command::SetPriority
        | Command::SetSeverity
        | Command::AddNote
        | Command::AddOpsData
        | Command::RemoveOpsData
        | Command::LinkItem => "ssm:UpdateOpsItem",
        _ => return None,
    })
}

/// `:` commands that start with `prefix`.
pub fn completions(prefix: &str) -> Vec<&'static str> {
    COMMANDS
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| c.starts_with(prefix))
        .collect()
}

/// `1 shell session`, `2 shell sessions`.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
