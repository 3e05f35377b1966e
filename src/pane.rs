//! The shape of a pane: a [`Pane`] owns its state, turns key actions and
//! its jobs' messages into state changes, jobs and [`Request`]s to the
//! shell (never another pane's fields), and draws itself into the area the
//! shell gives it. `update` stays pure: a pane's methods do no I/O; their
//! effects are the jobs and requests collected in [`Cx`].
//!
//! A pane is one folder under `src/panes/` and one entry in the shell's
//! registry (`app::registry`). Panes still being moved onto this shape are
//! driven by the shell's older code paths (see `src/panes/mod.rs`).

use std::time::Instant;

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;

use crate::config::{Keymap, Layer, Theme};
use crate::job::Job;
use crate::keys::Command;
use crate::model::ManagedNode;

/// Whether a pane used a key action; `No` lets it bubble to the shell
/// (Esc with nothing left to close walks back through the route stack).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// The pane acted on it.
    Yes,
    /// Not the pane's: the shell decides.
    No,
}

/// What a pane asks of the shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request<J> {
    /// A passing notice (kept in `:messages`).
    Notice(String),
    /// Ask first: `lines` say exactly what will happen; `yes` runs on y.
    Confirm {
        /// Dialog title.
        title: String,
        /// What will happen, to how many targets, where.
        lines: Vec<String>,
        /// The job that runs if the user says yes.
        yes: J,
    },
    /// Put text on the user's clipboard (OSC 52); never logged.
    Clipboard(String),
    /// Show this pane (a route the user can walk back from).
    Show,
}

/// What every pane may read of the shell while it updates.
#[derive(Debug, Clone, Copy)]
pub struct Shared<'a> {
    /// Terminal size, columns × rows (character cells).
    pub size: (u16, u16),
    /// "account A, region R" for confirmations.
    pub where_: &'a str,
    /// The managed nodes the Fleet pane knows (names for ids).
    pub nodes: &'a [ManagedNode],
}

impl Shared<'_> {
    /// The name of node `id`, or "" when unknown.
    pub fn node_name(&self, id: &str) -> &str {
        self.nodes
            .iter()
            .find(|n| n.id == id)
            .map_or("", |n| n.name.as_str())
    }
}

/// The pane's side of one update: what it may read, and the jobs and
/// requests it collects for the shell.
pub struct Cx<'a, J> {
    /// The injected clock: `update` never reads the wall clock itself.
    pub now: Instant,
    /// Read-only shell state.
    pub shared: Shared<'a>,
    jobs: Vec<J>,
    requests: Vec<Request<J>>,
}

impl<'a, J> Cx<'a, J> {
    /// An empty context for one update at `now`.
    pub fn new(now: Instant, shared: Shared<'a>) -> Self {
        Cx {
            now,
            shared,
            jobs: Vec::new(),
            requests: Vec::new(),
        }
    }

    /// Runs `job` (through the one runner: read-only gate, audit).
    pub fn job(&mut self, job: J) {
        self.jobs.push(job);
    }

    /// Asks the shell for something.
    pub fn request(&mut self, r: Request<J>) {
        self.requests.push(r);
    }

    /// A passing notice.
    pub fn notice(&mut self, text: impl Into<String>) {
        self.requests.push(Request::Notice(text.into()));
    }

    /// The jobs and requests collected, in order.
    pub fn finish(self) -> (Vec<J>, Vec<Request<J>>) {
        (self.jobs, self.requests)
    }
}

/// What rendering needs besides state.
pub struct RenderContext<'a> {
    /// Active theme.
    pub theme: &'a Theme,
    /// Active keymap (help overlay, key hints).
    pub keymap: &'a Keymap,
    /// Now, for ages and notice expiry.
    pub now: Instant,
}

/// A pane: see the module documentation.
pub trait Pane {
    /// What its jobs report.
    type Msg: Send + 'static;
    /// Its jobs.
    type Job: Job<Msg = Self::Msg>;

    /// Tab title.
    fn title(&self) -> &'static str;
    /// Its keymap layer (navigation is inherited from the shared layers).
    fn layer(&self) -> Layer;
    /// The pane is shown (first loads).
    fn on_show(&mut self, _cx: &mut Cx<Self::Job>) {}
    /// The user asked to reload.
    fn refresh(&mut self, _cx: &mut Cx<Self::Job>) {}
    /// A key action while the pane is shown.
    fn command(&mut self, c: Command, cx: &mut Cx<Self::Job>) -> Handled;
    /// Whether every key goes to [`Pane::key`] (a focused shell): the shell
    /// then resolves only the escape chord through the keymap.
    fn wants_keys(&self) -> bool {
        false
    }
    /// A raw key while [`Pane::wants_keys`].
    fn key(&mut self, _k: KeyEvent, _cx: &mut Cx<Self::Job>) -> Handled {
        Handled::No
    }
    /// Pasted text while [`Pane::wants_keys`].
    fn paste(&mut self, _text: &str, _cx: &mut Cx<Self::Job>) -> Handled {
        Handled::No
    }
    /// A message from one of its jobs.
    fn message(&mut self, m: Self::Msg, cx: &mut Cx<Self::Job>);
    /// The terminal was resized (`cx.shared.size` is the new size).
    fn resized(&mut self, _cx: &mut Cx<Self::Job>) {}
    /// Draws the pane into `area`.
    fn view(&self, frame: &mut Frame, area: Rect, rcx: &RenderContext);
    /// Key hints for the status line: the action and what it does here.
    fn hints(&self) -> &'static [(Command, &'static str)];
    /// Where in the pane the user is, for the breadcrumbs.
    fn crumb(&self) -> Option<String> {
        None
    }
}
