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
use crate::keys::{Command, InputKey};
use crate::model::{CallerIdentity, ContextLabel, ManagedNode};
use crate::session::forward::ForwardSpec;

/// Whether a pane used a key action; `No` lets it bubble to the shell
/// (Esc with nothing left to close walks back through the route stack).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// The pane acted on it.
    Yes,
    /// Not the pane's: the shell decides.
    No,
}

/// What a pane asks of the shell. `A` is what the pane's one-line prompts
/// are for ([`Pane::Ask`]); the answer comes back through [`Pane::answer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request<J, A> {
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
    /// Ask for one line of text; Enter hands it to [`Pane::answer`] with
    /// `ask`, Esc drops it.
    Prompt {
        /// The question.
        title: String,
        /// The text it starts with.
        text: String,
        /// What the answer is for.
        ask: A,
    },
    /// Keys go to [`Pane::filter_input`] until it says the filter is done.
    Filter,
    /// Pick one of a few options (j/k or Up/Down and Enter, or the option's
    /// digit 1 … 9; Esc or q cancels). The pick's value, the option's text
    /// before its first two spaces (`"1  critical"` gives `"1"`), goes to
    /// [`Pane::answer`] with `ask`.
    Choose {
        /// The question.
        title: String,
        /// The options, in order (at most 9 can be picked by digit).
        options: Vec<String>,
        /// What the pick is for.
        ask: A,
    },
    /// Show something another pane owns; the shell routes it there and
    /// pushes a route, so Esc walks back to where the user was.
    Open(Goto),
    /// Remember a visited object among the palette's recent targets.
    Remember {
        /// `node`, `params` or `ops`.
        kind: &'static str,
        /// What the palette's `:kind KEY` opens.
        key: String,
        /// A readable label (may be empty).
        label: String,
    },
}

/// A cross-pane request ([`Request::Open`]): what to show in the pane that
/// owns it. Panes never write each other's fields; they ask for one of
/// these and the shell hands it to the owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Goto {
    /// Fleet: managed node `id` with its details open. The user's filter
    /// and selection are kept (a filter that hides the node is set aside
    /// until Esc walks back).
    Node(String),
    /// Run Command: the composer on these managed node ids.
    Compose {
        /// Managed node ids (sorted, not empty).
        nodes: Vec<String>,
        /// Where they came from, for the composer's target line
        /// ("the Fleet selection", "OpsItem oi-…").
        origin: String,
    },
    /// Sessions: a shell on managed node `id` (StartSession).
    Shell(String),
    /// Sessions: a port forward through a managed node.
    Forward {
        /// Managed node id.
        node: String,
        /// Local port, remote host and port.
        spec: ForwardSpec,
    },
    /// OpsCenter: the OpsItems that name managed node `id`.
    NodeOpsItems(String),
    /// Fleet: the nodes this filter text keeps (the Overview's jumps);
    /// Esc walks back.
    FleetFilter(String),
    /// Run Command: command `id` (a maintenance window task's), polled as
    /// a run of its own.
    Command {
        /// The command id.
        id: String,
        /// Its document, for the run's title (may be empty).
        document: String,
        /// The context of the set it was sent in (polls and cancel go
        /// there).
        ctx: crate::model::ContextId,
    },
    /// OpsCenter: the OpsItems this filter text keeps, loaded afresh when
    /// its DescribeOpsItems filters differ from the loaded ones.
    OpsFilter(String),
    /// Automation: pick a runbook to start on these nodes.
    Runbook {
        /// Managed node ids (sorted; may be empty).
        nodes: Vec<String>,
        /// Where they came from ("the Fleet selection", "OpsItem oi-…").
        origin: String,
        /// The OpsItem the execution is recorded on.
        ops_item: Option<String>,
        /// Runbooks listed first (the OpsItem's `/aws/automations`).
        suggested: Vec<String>,
    },
    /// Run Command: the composer with `document`, parameters preset (a
    /// Distributor package's `action` and `name`, AWS-RunPatchBaseline's
    /// `Operation`), on `nodes` or else the Fleet selection.
    ComposeDocument {
        /// The document.
        document: String,
        /// Parameter name and value, set once its parameters are read.
        presets: Vec<(String, String)>,
        /// Managed node ids and where they came from ("2 nodes of the
        /// Compliance pane"); `None`: the Fleet selection.
        nodes: Option<(Vec<String>, String)>,
    },
    /// Automation: automation execution `id` of context `ctx`.
    Execution {
        /// The context it ran in.
        ctx: crate::model::ContextId,
        /// The automation execution id.
        id: String,
    },
    /// Automation: the executions with these ids (an OpsItem's).
    Executions(Vec<String>),
    /// Fleet: managed node `id` with its details open on the tab of
    /// `part` (the Compliance pane's Enter).
    NodeTab {
        /// Managed node id.
        id: String,
        /// The tab.
        part: crate::aws::posture::PosturePart,
    },
    /// Associations: State Manager association `id` of context `ctx`,
    /// its settings and executions.
    Association {
        /// The context it is in.
        ctx: crate::model::ContextId,
        /// The association id.
        id: String,
    },
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
    /// The managed node ids selected in the Fleet pane (Run Command's
    /// default targets).
    pub selected: &'a std::collections::HashSet<String>,
    /// Rows of a list on a page (the body's height less its frame).
    pub page_rows: usize,
    /// Whether the Fleet pane is still loading (`nodes` may be partial).
    pub nodes_loading: bool,
    /// How each context's part of the Fleet's load stands, by
    /// [`ContextId`](crate::model::ContextId) (empty before the first).
    pub node_loads: &'a [crate::aws::contexts::ContextLoad],
    /// The caller (STS GetCallerIdentity) once known.
    pub identity: Option<&'a CallerIdentity>,
    /// The AWS region the console is on (the first context's).
    pub region: &'a str,
    /// Every context of the set, by [`ContextId`](crate::model::ContextId)
    /// (one entry, or none in tests: one context).
    pub contexts: &'a [crate::model::ContextLabel],
    /// The wall clock at this update, epoch seconds (the shell reads it;
    /// panes never do), for ages such as an OpsItem filter's `created:`.
    pub epoch_s: i64,
}

/// The empty selection [`Shared::default`] points to.
static NO_SELECTION: std::sync::LazyLock<std::collections::HashSet<String>> =
    std::sync::LazyLock::new(std::collections::HashSet::new);

impl Default for Shared<'static> {
    /// A shell that knows nothing yet (tests override what they need):
    /// 80×24, no nodes, no identity, 20 rows a page, epoch 0.
    fn default() -> Self {
        Shared {
            size: (80, 24),
            where_: "",
            nodes: &[],
            selected: &NO_SELECTION,
            page_rows: 20,
            nodes_loading: false,
            node_loads: &[],
            identity: None,
            region: "",
            contexts: &[],
            epoch_s: 0,
        }
    }
}

impl Shared<'_> {
    /// The name of node `id`, or "" when unknown.
    pub fn node_name(&self, id: &str) -> &str {
        self.nodes
            .iter()
            .find(|n| n.id == id)
            .map_or("", |n| n.name.as_str())
    }

    /// The context managed node `id` was listed in (the first context
    /// when the Fleet pane does not know it).
    pub fn node_context(&self, id: &str) -> crate::model::ContextId {
        self.nodes
            .iter()
            .find(|n| n.id == id)
            .map_or_else(Default::default, |n| n.ctx)
    }

    /// `ACCOUNT REGION` of context `id`, or "" with one context.
    pub fn context_name(&self, id: crate::model::ContextId) -> String {
        if self.contexts.len() <= 1 {
            return String::new();
        }
        self.contexts
            .get(id.index())
            .map_or_else(String::new, crate::model::ContextLabel::short)
    }

    /// The caller's ARN, or "" while the identity is not known.
    pub fn caller(&self) -> &str {
        self.identity.map_or("", |i| i.arn.as_str())
    }
}

/// The pane's side of one update: what it may read, and the jobs and
/// requests it collects for the shell.
pub struct Cx<'a, J, A = std::convert::Infallible> {
    /// The injected clock: `update` never reads the wall clock itself.
    pub now: Instant,
    /// Read-only shell state.
    pub shared: Shared<'a>,
    jobs: Vec<J>,
    requests: Vec<Request<J, A>>,
}

impl<'a, J, A> Cx<'a, J, A> {
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
    pub fn request(&mut self, r: Request<J, A>) {
        self.requests.push(r);
    }

    /// A passing notice.
    pub fn notice(&mut self, text: impl Into<String>) {
        self.requests.push(Request::Notice(text.into()));
    }

    /// The jobs and requests collected, in order.
    pub fn finish(self) -> (Vec<J>, Vec<Request<J, A>>) {
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

/// A pane: see the module documentation. Its state starts as
/// [`Default`] (at start and, unless [`Pane::switch_context`] says
/// otherwise, after a context switch).
pub trait Pane: Default {
    /// What its jobs report.
    type Msg: Send + 'static;
    /// Its jobs.
    type Job: Job<Msg = Self::Msg>;
    /// What its one-line prompts are for (`Infallible` when it asks none).
    type Ask: std::fmt::Debug + Clone + PartialEq + Eq;

    /// The AWS write key action `c` asks for in this pane (`ssm:…`, as
    /// IAM names the action), if any: in read-only mode the shell refuses
    /// the key before the pane sees it. Keys that write the same way in
    /// every pane (send a command, start a session…) are the shell's
    /// (`app::mutation_of`); the pane's jobs declare their own mutations
    /// again ([`Job::mutation`]), which the runner's gate checks.
    fn key_mutation(_c: Command) -> Option<&'static str> {
        None
    }
    /// The context set the console works across is now `labels` (in set
    /// order; the first is the shell's own context). Panes that show rows
    /// of several contexts keep them; by default nothing.
    fn contexts_changed(&mut self, _labels: &[ContextLabel]) {}
    /// The console connected to another context or set: what the pane
    /// read belongs to the old one. By default the pane starts again from
    /// [`Default`]; a pane keeps here what the user chose (columns,
    /// settings) or what lives on its own context (live sessions).
    fn switch_context(&mut self) {
        *self = Self::default();
    }
    /// The name `:save NAME` files this pane's filter under in the user
    /// state (`fleet`, `params`, `ops`); `None` (the default): the pane
    /// has no filter to save, and [`Pane::filter_text`] and
    /// [`Pane::apply_filter_text`] are never called.
    const SAVED_FILTER: Option<&'static str> = None;
    /// The filter text `:save` keeps (empty: none typed).
    fn filter_text(&self) -> String {
        String::new()
    }
    /// `:filter NAME`: the saved `text` becomes the pane's filter (the
    /// shell has shown the pane first).
    fn apply_filter_text(&mut self, _text: String, _cx: &mut Cx<Self::Job, Self::Ask>) {}
    /// Tab title.
    fn title(&self) -> &'static str;
    /// Its keymap layer (navigation is inherited from the shared layers).
    fn layer(&self) -> Layer;
    /// The pane is shown (first loads).
    fn on_show(&mut self, _cx: &mut Cx<Self::Job, Self::Ask>) {}
    /// The user asked to reload.
    fn refresh(&mut self, _cx: &mut Cx<Self::Job, Self::Ask>) {}
    /// A key action while the pane is shown.
    fn command(&mut self, c: Command, cx: &mut Cx<Self::Job, Self::Ask>) -> Handled;
    /// Whether every key goes to [`Pane::key`] (a focused shell): the shell
    /// then resolves only the escape chord through the keymap.
    fn wants_keys(&self) -> bool {
        false
    }
    /// A raw key while [`Pane::wants_keys`].
    fn key(&mut self, _k: KeyEvent, _cx: &mut Cx<Self::Job, Self::Ask>) -> Handled {
        Handled::No
    }
    /// Pasted text while [`Pane::wants_keys`].
    fn paste(&mut self, _text: &str, _cx: &mut Cx<Self::Job, Self::Ask>) -> Handled {
        Handled::No
    }
    /// A message from one of its jobs.
    fn message(&mut self, m: Self::Msg, cx: &mut Cx<Self::Job, Self::Ask>);
    /// Every job the pane asks for (and every confirmation's) passes here
    /// before it runs: a pane that browses one context of the set sends
    /// its jobs there. The job as it is by default.
    fn wrap_job(&self, job: Self::Job) -> Self::Job {
        job
    }
    /// The terminal was resized (`cx.shared.size` is the new size).
    fn resized(&mut self, _cx: &mut Cx<Self::Job, Self::Ask>) {}
    /// Draws the pane into `area`.
    fn view(&self, frame: &mut Frame, area: Rect, rcx: &RenderContext);
    /// Key hints for the status line: the action and what it does here.
    fn hints(&self) -> &'static [(Command, &'static str)];
    /// Where in the pane the user is, for the breadcrumbs.
    fn crumb(&self) -> Option<String> {
        None
    }
    /// The answer to a [`Request::Prompt`] (trimmed, not empty), or the
    /// value picked in a [`Request::Choose`].
    fn answer(&mut self, _ask: Self::Ask, _text: String, _cx: &mut Cx<Self::Job, Self::Ask>) {}
    /// A key while the pane's filter is typed ([`Request::Filter`]);
    /// `cursor` is the line's cursor in characters (`None`: at the end).
    /// Returns whether the filter is still being typed.
    fn filter_input(
        &mut self,
        _k: InputKey,
        _cursor: &mut Option<usize>,
        _cx: &mut Cx<Self::Job, Self::Ask>,
    ) -> bool {
        false
    }
    /// The status line while the filter is typed: the text and what it does.
    fn filter_line(&self) -> (String, &'static str) {
        (String::new(), "")
    }
    /// Whether a form or editor of the pane is open: it gets every key
    /// ([`Pane::key`]) and the status line shows [`Pane::form_hint`].
    fn form_open(&self) -> bool {
        false
    }
    /// The keys of the open form, for the status line.
    fn form_hint(&self) -> &'static str {
        ""
    }
    /// After a batch of actions: bring derived views up to date and ask
    /// for what the new view needs (values of visible rows).
    fn settle(&mut self, _cx: &mut Cx<Self::Job, Self::Ask>) {}
    /// Something the user should see about the filter being typed (it does
    /// not parse; Enter will reload from AWS): the status line shows it in
    /// the notice style instead of [`Pane::filter_line`]'s description.
    fn filter_warning(&self) -> Option<String> {
        None
    }
    /// Text the user typed that a context switch or quit would drop,
    /// named for a confirmation ("the parameter editor (/a/b)").
    fn unsaved(&self) -> Option<String> {
        None
    }
    /// The user answered one of the pane's [`Request::Confirm`]s about
    /// `job`: `yes`, it runs now; no, it is dropped. A pane notes a write
    /// in flight here, or goes back to the form the confirmation came from
    /// (its [`Pane::form_open`] then gives it the keys again).
    fn confirm_answered(
        &mut self,
        _job: &Self::Job,
        _yes: bool,
        _cx: &mut Cx<Self::Job, Self::Ask>,
    ) {
    }
    /// A left click on terminal cell `column`, `row` (from the screen's
    /// top-left corner, in character cells): a pane with a list moves its
    /// cursor to the row its last draw put there (see
    /// `widgets::hits::RowHits`). Returns the command the click
    /// stands for, if any (a click on the row already under the cursor
    /// opens it, as Enter does), which the shell then runs as if typed.
    fn click(
        &mut self,
        _column: u16,
        _row: u16,
        _cx: &mut Cx<Self::Job, Self::Ask>,
    ) -> Option<Command> {
        None
    }
}

/// What the shell reads of whichever pane is shown, without knowing its
/// types: the object-safe part of [`Pane`], implemented for every pane
/// (the registry hands it out as `&dyn PaneView`).
pub trait PaneView {
    /// [`Pane::view`].
    fn draw(&self, frame: &mut Frame, area: Rect, rcx: &RenderContext);
    /// [`Pane::hints`].
    fn key_hints(&self) -> &'static [(Command, &'static str)];
    /// [`Pane::crumb`].
    fn where_in(&self) -> Option<String>;
    /// Whether raw keys go to the pane: [`Pane::wants_keys`] or
    /// [`Pane::form_open`].
    fn takes_keys(&self) -> bool;
    /// [`Pane::form_open`].
    fn has_form(&self) -> bool;
    /// [`Pane::form_hint`].
    fn form_keys(&self) -> &'static str;
    /// [`Pane::filter_line`] and [`Pane::filter_warning`].
    fn filter_status(&self) -> ((String, &'static str), Option<String>);
    /// [`Pane::unsaved`].
    fn unsaved_text(&self) -> Option<String>;
}

impl<P: Pane> PaneView for P {
    fn draw(&self, frame: &mut Frame, area: Rect, rcx: &RenderContext) {
        self.view(frame, area, rcx);
    }
    fn key_hints(&self) -> &'static [(Command, &'static str)] {
        self.hints()
    }
    fn where_in(&self) -> Option<String> {
        self.crumb()
    }
    fn takes_keys(&self) -> bool {
        self.wants_keys() || self.form_open()
    }
    fn has_form(&self) -> bool {
        self.form_open()
    }
    fn form_keys(&self) -> &'static str {
        self.form_hint()
    }
    fn filter_status(&self) -> ((String, &'static str), Option<String>) {
        (self.filter_line(), self.filter_warning())
    }
    fn unsaved_text(&self) -> Option<String> {
        self.unsaved()
    }
}

/// Something read from AWS: not asked yet, on its way, there, or why not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Loaded<T> {
    /// Not asked for yet.
    #[default]
    NotAsked,
    /// Asked for.
    Loading,
    /// Here.
    Ready(T),
    /// Failed, with the error as the user reads it.
    Failed(String),
}

impl<T> Loaded<T> {
    /// The value, once here.
    pub fn ready(&self) -> Option<&T> {
        match self {
            Loaded::Ready(v) => Some(v),
            _ => None,
        }
    }
}
