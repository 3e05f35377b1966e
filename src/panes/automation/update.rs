//! The Automation pane behind the [`Pane`] trait: keys, job messages, the
//! route inside the pane, the poll of a running execution, the start
//! form's keys and the confirmations of its writes.

use crossterm::event::KeyEvent;

use super::form::StartForm;
use super::jobs::{AutomationJob, AutomationMsg};
use super::state::{AutomationState, Backoff, ExecTab, Inner, StartFrom, TopTab, parse_filter};
use super::{AutomationAsk, LIST_POLL_MS, POLL_FIRST_MS, POLL_MAX_MS, RELISTS_MAX};
use crate::aws::automation::{ExecutionDetail, Signal, is_final};
use crate::config::Layer;
use crate::keys::{Command, InputKey};
use crate::model::ContextId;
use crate::pane::{Cx, Goto, Handled, Loaded, Pane, RenderContext, Request};
use crate::widgets::line_input::{FilterStep, filter_key};
use crate::widgets::list::ListCursor;
use crate::widgets::raw_json::{self, RawJson, sanitize};

/// The pane's side of one update.
pub type AutomationCx<'a> = Cx<'a, AutomationJob, AutomationAsk>;

const TOP_HINTS: &[(Command, &str)] = &[
    (Command::Help, "help"),
    (Command::OpenDetails, "open"),
    (Command::NextTab, "executions/runbooks"),
    (Command::Filter, "filter"),
    (Command::Create, "start a runbook"),
    (Command::SortReverse, "oldest/newest"),
    (Command::RawJson, "JSON"),
];

const EXECUTION_HINTS: &[(Command, &str)] = &[
    (Command::Back, "back"),
    (Command::OpenDetails, "open step"),
    (Command::NextTab, "steps/children/values"),
    (Command::Approve, "approve"),
    (Command::Reject, "reject"),
    (Command::StartStep, "run step"),
    (Command::Resume, "resume"),
    (Command::CancelCommand, "stop"),
    (Command::RawJson, "JSON"),
];

const STEP_HINTS: &[(Command, &str)] = &[
    (Command::Back, "back"),
    (Command::OpenDetails, "its command in Run Command"),
    (Command::RawJson, "JSON"),
];

/// What the filter line says it takes.
pub const FILTER_HELP: &str =
    "status:Failed,Waiting runbook:PREFIX since:24h ops:oi-… parent:ID, text; Enter reloads";

impl AutomationState {
    /// Lists every context's executions again with the current filters.
    fn reload(&mut self, cx: &mut AutomationCx) {
        self.relists = 0;
        self.generation += 1;
        self.pending = cx.shared.contexts.len().max(1);
        self.failed.clear();
        self.capped.clear();
        self.executions.clear();
        self.derive();
        cx.job(AutomationJob::Executions {
            generation: self.generation,
            filters: self.filters.clone(),
            delay_ms: 0,
        });
    }

    /// Reads the list again after [`LIST_POLL_MS`] when every context has
    /// answered and one of its executions still runs; the rows stay until
    /// each context's new ones arrive.
    fn relist_while_running(&mut self, cx: &mut AutomationCx) {
        // Only runs of the last day keep the list moving (a Waiting one
        // left for a week does not), and at most an hour of re-reads a load.
        let recent = self.now_s - 86_400;
        let running = self
            .executions
            .iter()
            .any(|(_, e)| !is_final(&e.status) && e.start_s.is_some_and(|t| t >= recent));
        if self.pending > 0 || !running || self.relists >= RELISTS_MAX {
            return;
        }
        self.relists += 1;
        self.generation += 1;
        self.pending = cx.shared.contexts.len().max(1);
        cx.job(AutomationJob::Executions {
            generation: self.generation,
            filters: self.filters.clone(),
            delay_ms: LIST_POLL_MS,
        });
    }

    fn reload_runbooks(&mut self, cx: &mut AutomationCx) {
        self.runbook_generation += 1;
        self.runbooks_pending = cx.shared.contexts.len().max(1);
        self.runbooks_failed.clear();
        self.runbooks.clear();
        cx.job(AutomationJob::Runbooks {
            generation: self.runbook_generation,
        });
    }

    /// Reads the execution on top of the route (now, or after the poll's
    /// wait), and its children when it is a rate-controlled run.
    fn load_inner(&mut self, delay_ms: u64, cx: &mut AutomationCx) {
        let Some((ctx, id)) = self.execution_in_view() else {
            return;
        };
        if delay_ms == 0 {
            self.poll = Backoff::default();
        }
        cx.job(AutomationJob::Detail {
            ctx,
            id: id.clone(),
            delay_ms,
        });
        let parent = self
            .detail
            .ready()
            .is_some_and(|d| d.execution.id == id && !d.execution.target_parameter.is_empty())
            || self
                .listed(ctx, &id)
                .is_some_and(|e| !e.target_parameter.is_empty());
        if parent {
            cx.job(AutomationJob::Children {
                ctx,
                parent: id,
                delay_ms,
            });
        }
    }

    /// The context and id of the execution the route shows (an execution
    /// or one of its steps).
    pub fn execution_in_view(&self) -> Option<(ContextId, String)> {
        match self.inner()? {
            Inner::Execution { ctx, id, .. } | Inner::Step { ctx, id, .. } => {
                Some((*ctx, id.clone()))
            }
        }
    }

    /// Opens execution `id` of context `ctx` (a route step; Esc walks back).
    pub fn open_execution(&mut self, ctx: ContextId, id: String, cx: &mut AutomationCx) {
        self.started = true;
        self.stack.push(Inner::Execution {
            ctx,
            id,
            tab: ExecTab::Steps,
            cursors: [ListCursor::default(); 3],
        });
        self.detail = Loaded::Loading;
        self.children = Loaded::NotAsked;
        self.load_inner(0, cx);
    }

    /// The runbooks to start on `from` (the Fleet selection, an OpsItem's
    /// nodes): the Runbooks list, its suggested ones first.
    pub fn start_from(&mut self, from: StartFrom, cx: &mut AutomationCx) {
        if !self.started {
            self.refresh(cx);
        }
        let noun = if from.nodes.len() == 1 {
            "node"
        } else {
            "nodes"
        };
        let what = if from.nodes.is_empty() {
            "no nodes".to_owned()
        } else {
            format!("{} {noun} from {}", from.nodes.len(), from.origin)
        };
        cx.notice(format!("pick a runbook to start on {what} (Enter)"));
        self.start_from = from;
        self.stack.clear();
        self.tab = TopTab::Runbooks;
        self.cursors[1] = ListCursor::default();
        self.derive_runbooks();
    }

    /// Lists the executions `ids` (ExecutionId filter; an OpsItem's).
    pub fn show_executions(&mut self, ids: &[String], cx: &mut AutomationCx) {
        self.started = true;
        self.stack.clear();
        self.tab = TopTab::Executions;
        self.filter = String::new();
        self.text = String::new();
        self.filters = crate::aws::automation::ExecutionFilters {
            ids: ids.to_vec(),
            ..Default::default()
        };
        self.reload(cx);
        if self.runbooks.is_empty() && self.runbooks_pending == 0 {
            self.reload_runbooks(cx);
        }
    }

    fn rows(&self) -> usize {
        self.page_rows.max(1)
    }

    /// How many rows the list in view has.
    pub fn rows_shown(&self) -> usize {
        match self.inner() {
            None => match self.tab {
                TopTab::Executions => self.shown.len(),
                TopTab::Runbooks => self.runbooks_shown.len(),
            },
            Some(Inner::Execution { tab, .. }) => match tab {
                ExecTab::Steps => self.detail.ready().map_or(0, |d| d.steps.len()),
                ExecTab::Children => self.children.ready().map_or(0, Vec::len),
                ExecTab::Values => self.values_lines(),
            },
            Some(Inner::Step { .. }) => self.step_lines(),
        }
    }

    fn values_lines(&self) -> usize {
        self.detail
            .ready()
            .map_or(0, |d| d.parameters.len() + d.outputs.len() + 2)
    }

    fn step_lines(&self) -> usize {
        super::view::step_text(self).len()
    }

    fn cursor_mut(&mut self) -> Option<&mut ListCursor> {
        match self.stack.last_mut() {
            None => {
                let i = TopTab::ALL.iter().position(|t| *t == self.tab).unwrap_or(0);
                Some(&mut self.cursors[i])
            }
            Some(Inner::Execution { tab, cursors, .. }) => {
                let i = ExecTab::ALL.iter().position(|t| t == tab).unwrap_or(0);
                Some(&mut cursors[i])
            }
            Some(Inner::Step { scroll, .. }) => Some(scroll),
        }
    }

    /// The cursor's row in the list in view.
    pub fn cursor_at(&self) -> usize {
        match self.inner() {
            None => {
                let i = TopTab::ALL.iter().position(|t| *t == self.tab).unwrap_or(0);
                self.cursors[i].at
            }
            Some(Inner::Execution { tab, cursors, .. }) => {
                let i = ExecTab::ALL.iter().position(|t| t == tab).unwrap_or(0);
                cursors[i].at
            }
            Some(Inner::Step { scroll, .. }) => scroll.at,
        }
    }

    fn switch_tab(&mut self, step: isize, cx: &mut AutomationCx) {
        match self.stack.last_mut() {
            None => {
                let i = TopTab::ALL.iter().position(|t| *t == self.tab).unwrap_or(0);
                let j = (i as isize + step).rem_euclid(TopTab::ALL.len() as isize) as usize;
                self.tab = TopTab::ALL[j];
                if self.tab == TopTab::Runbooks
                    && self.runbooks.is_empty()
                    && self.runbooks_pending == 0
                {
                    self.reload_runbooks(cx);
                }
            }
            Some(Inner::Execution { tab, .. }) => {
                let i = ExecTab::ALL.iter().position(|t| t == tab).unwrap_or(0);
                let j = (i as isize + step).rem_euclid(ExecTab::ALL.len() as isize) as usize;
                *tab = ExecTab::ALL[j];
            }
            Some(Inner::Step { .. }) => {}
        }
    }

    /// Enter: open the row under the cursor.
    fn open(&mut self, cx: &mut AutomationCx) {
        let at = self.cursor_at();
        match self.inner().cloned() {
            None => match self.tab {
                TopTab::Executions => {
                    if let Some((ctx, e)) = self.shown.get(at).map(|i| &self.executions[*i]) {
                        let (ctx, id) = (*ctx, e.id.clone());
                        self.open_execution(ctx, id, cx);
                    }
                }
                TopTab::Runbooks => self.open_form(at, cx),
            },
            Some(Inner::Execution { ctx, id, tab, .. }) => match tab {
                ExecTab::Steps => {
                    if self.detail.ready().is_some_and(|d| at < d.steps.len()) {
                        self.stack.push(Inner::Step {
                            ctx,
                            id,
                            index: at,
                            scroll: ListCursor::default(),
                        });
                    }
                }
                ExecTab::Children => {
                    let child = self
                        .children
                        .ready()
                        .and_then(|c| c.get(at))
                        .map(|c| c.id.clone());
                    if let Some(child) = child {
                        self.open_execution(ctx, child, cx);
                    }
                }
                ExecTab::Values => {}
            },
            Some(Inner::Step { ctx, index, .. }) => {
                let step = self.detail.ready().and_then(|d| d.steps.get(index));
                match step.and_then(|s| s.command_id().map(|c| (c.to_owned(), s))) {
                    Some((id, s)) => {
                        let document = s
                            .inputs
                            .get("DocumentName")
                            .map(|d| d.trim_matches('"').to_owned())
                            .unwrap_or_default();
                        cx.request(Request::Open(Goto::Command { id, document, ctx }));
                    }
                    None => cx.notice("this step ran no command (only aws:runCommand steps do)"),
                }
            }
        }
    }

    /// Opens the start form for the runbook at row `at` of the Runbooks
    /// list (the form already open for it, shown again, keeps its text).
    fn open_form(&mut self, at: usize, cx: &mut AutomationCx) {
        let Some((ctx, r)) = self.runbooks_shown.get(at).map(|i| &self.runbooks[*i]) else {
            return;
        };
        if let Some(f) = self.form.as_mut()
            && ((f.runbook == r.name && f.nodes == self.start_from.nodes) || f.touched)
        {
            if f.runbook != r.name {
                cx.notice(format!(
                    "the form for {} holds typed text: start it, or Esc and clear it first",
                    sanitize(&f.runbook)
                ));
            }
            f.shown = true;
            return;
        }
        let from = &self.start_from;
        let ctx = from
            .nodes
            .first()
            .map_or(*ctx, |n| cx.shared.node_context(n));
        let form = StartForm::new(
            ctx,
            r.name.clone(),
            from.nodes.clone(),
            from.origin.clone(),
            from.ops_item.clone(),
        );
        cx.job(AutomationJob::Runbook {
            ctx,
            name: r.name.clone(),
        });
        self.form = Some(form);
    }

    /// Ctrl-S in the form: check it and ask to confirm the start.
    fn confirm_start(&mut self, cx: &mut AutomationCx) {
        let shared = cx.shared;
        let Some(f) = self.form.as_mut() else {
            return;
        };
        match f.requests(|n| shared.node_context(n)) {
            Err(why) => f.error = Some(format!("not started: {why}")),
            Ok(requests) => {
                f.error = None;
                let lines = f.confirm_lines(&requests, &shared);
                cx.request(Request::Confirm {
                    title: format!("Start {}", sanitize(&f.runbook)),
                    lines,
                    yes: AutomationJob::Start {
                        requests,
                        ops_item: f.ops_item.clone(),
                    },
                });
            }
        }
    }

    /// The step the cursor names: the Steps list's row, or the step shown
    /// (`None` on the other lists).
    fn step_at_cursor(&self) -> Option<usize> {
        match self.inner()? {
            Inner::Execution {
                tab: ExecTab::Steps,
                cursors,
                ..
            } => Some(cursors[0].at),
            Inner::Step { index, .. } => Some(*index),
            Inner::Execution { .. } => None,
        }
    }

    /// A read of the execution in view failed: one that was shown and
    /// still runs stays on screen and is read again (throttling, a dropped
    /// connection), else the error takes its place.
    fn read_failed(
        &mut self,
        ctx: ContextId,
        id: String,
        e: crate::aws::AwsError,
        cx: &mut AutomationCx,
    ) {
        let shown = self
            .detail
            .ready()
            .is_some_and(|d| d.execution.id == id && !is_final(&d.execution.status));
        if !shown {
            self.detail = Loaded::Failed(e.to_string());
            return;
        }
        cx.notice(format!("{id} not read again: {e} (retrying)"));
        self.poll.delay_ms = (self.poll.delay_ms.max(POLL_FIRST_MS) * 2).min(POLL_MAX_MS);
        cx.job(AutomationJob::Detail {
            ctx,
            id,
            delay_ms: self.poll.delay_ms,
        });
    }

    /// The execution shown, once read and still the one in view.
    fn detail_in_view(&self) -> Option<&ExecutionDetail> {
        let (_, id) = self.execution_in_view()?;
        self.detail.ready().filter(|d| d.execution.id == id)
    }

    /// `a` / `d`: approve or reject the waiting `aws:approve` step (asks
    /// for a comment first).
    fn ask_signal(&mut self, approve: bool, cx: &mut AutomationCx) {
        let Some((ctx, id)) = self.execution_in_view() else {
            return cx.notice("open an execution first (Enter)");
        };
        let waiting = self.detail_in_view().and_then(|d| {
            d.steps
                .iter()
                .find(|s| {
                    s.action == "aws:approve" && !is_final(&s.status) && s.status != "Pending"
                })
                .or_else(|| {
                    (d.execution.status == "Waiting" && d.execution.current_action == "aws:approve")
                        .then(|| d.steps.iter().find(|s| s.name == d.execution.current_step))
                        .flatten()
                })
                .map(|s| s.name.clone())
        });
        let Some(step) = waiting else {
            return cx.notice("no aws:approve step is waiting in this execution");
        };
        let word = if approve { "Approve" } else { "Reject" };
        cx.request(Request::Prompt {
            title: format!(
                "{word} step {} — a comment (Enter; Esc does not send)",
                sanitize(&step)
            ),
            text: format!("{word}d from ssmdeck"),
            ask: AutomationAsk::Comment { ctx, id, approve },
        });
    }

    /// `>`: in Interactive mode, run the step under the cursor (or the
    /// first one not run yet).
    fn ask_start_step(&mut self, cx: &mut AutomationCx) {
        let Some((ctx, id)) = self.execution_in_view() else {
            return cx.notice("open an execution first (Enter)");
        };
        let at = self.step_at_cursor().unwrap_or(usize::MAX);
        let Some(d) = self.detail_in_view() else {
            return;
        };
        if d.execution.mode != "Interactive" {
            return cx.notice("only an Interactive execution runs step by step");
        }
        let step = d
            .steps
            .get(at)
            .filter(|s| s.status == "Pending")
            .or_else(|| d.steps.iter().find(|s| s.status == "Pending"))
            .map(|s| s.name.clone());
        let Some(step) = step else {
            return cx.notice("no step is waiting to run");
        };
        cx.request(Request::Confirm {
            title: "Run the next step".into(),
            lines: vec![
                format!(
                    "Run step {} of {}",
                    sanitize(&step),
                    sanitize(&d.execution.runbook)
                ),
                format!("Execution {id}"),
            ],
            yes: AutomationJob::Signal {
                ctx,
                id,
                signal: Signal::StartStep,
                step: Some(step),
                comment: None,
            },
        });
    }

    /// `R`: an Interactive execution goes on by itself (Resume); `x`:
    /// stop it (StopAutomationExecution, Cancel).
    fn ask_control(&mut self, stop: bool, cx: &mut AutomationCx) {
        let target = self
            .execution_in_view()
            .or_else(|| match (self.inner(), self.tab) {
                (None, TopTab::Executions) => self
                    .shown
                    .get(self.cursor_at())
                    .map(|i| (self.executions[*i].0, self.executions[*i].1.id.clone())),
                _ => None,
            });
        let Some((ctx, id)) = target else {
            return cx.notice("put the cursor on an execution first");
        };
        let (status, runbook) = self
            .detail_in_view()
            .map(|d| (d.execution.status.clone(), d.execution.runbook.clone()))
            .or_else(|| {
                self.listed(ctx, &id)
                    .map(|e| (e.status.clone(), e.runbook.clone()))
            })
            .unwrap_or_default();
        if is_final(&status) {
            return cx.notice(format!(
                "the execution is {status}: nothing to {}",
                if stop { "stop" } else { "resume" }
            ));
        }
        let where_ = cx.shared.context_name(ctx);
        // Resume names the step to go on from (AWS: Payload StepName):
        // the one under the cursor when it waits, else the first waiting.
        let at = self.step_at_cursor().unwrap_or(usize::MAX);
        let next_step = self.detail_in_view().and_then(|d| {
            d.steps
                .get(at)
                .filter(|s| s.status == "Pending")
                .or_else(|| d.steps.iter().find(|s| s.status == "Pending"))
                .map(|s| s.name.clone())
        });
        if !stop && next_step.is_none() {
            return cx.notice("no step is waiting to run: nothing to resume");
        }
        let (title, yes) = if stop {
            (
                "Stop the execution",
                AutomationJob::Stop {
                    ctx,
                    id: id.clone(),
                    runbook: runbook.clone(),
                },
            )
        } else {
            (
                "Resume the execution",
                AutomationJob::Signal {
                    ctx,
                    id: id.clone(),
                    signal: Signal::Resume,
                    step: next_step,
                    comment: None,
                },
            )
        };
        let mut lines = vec![
            format!("{} {} ({status})", sanitize(&runbook), id),
            if stop {
                "It goes Cancelling, then Cancelled; steps not run do not run".into()
            } else {
                "It runs the remaining steps by itself".into()
            },
        ];
        if !where_.is_empty() {
            lines.push(format!("In {where_}"));
        }
        cx.request(Request::Confirm {
            title: title.into(),
            lines,
            yes,
        });
    }

    fn raw_view(&mut self, cx: &mut AutomationCx) {
        let at = self.cursor_at();
        let view = match self.inner() {
            None => match self.tab {
                TopTab::Executions => self
                    .shown
                    .get(at)
                    .map(|i| &self.executions[*i].1)
                    .map(|e| RawJson::of(&e.id, e)),
                TopTab::Runbooks => self
                    .runbooks_shown
                    .get(at)
                    .map(|i| &self.runbooks[*i].1)
                    .map(|r| RawJson::of(&r.name, r)),
            },
            Some(Inner::Execution { tab, .. }) => match tab {
                ExecTab::Steps => self
                    .detail_in_view()
                    .and_then(|d| d.steps.get(at))
                    .map(|s| RawJson::of(&s.name, s)),
                ExecTab::Children => self
                    .children
                    .ready()
                    .and_then(|c| c.get(at))
                    .map(|c| RawJson::of(&c.id, c)),
                ExecTab::Values => self
                    .detail_in_view()
                    .map(|d| RawJson::of(&d.execution.id, d)),
            },
            Some(Inner::Step { index, .. }) => self
                .detail_in_view()
                .and_then(|d| d.steps.get(*index))
                .map(|s| RawJson::of(&s.name, s)),
        };
        match view {
            Some(v) => self.raw = Some(v),
            None => cx.notice("nothing under the cursor to show"),
        }
    }
}

impl Pane for AutomationState {
    type Msg = AutomationMsg;
    type Job = AutomationJob;
    type Ask = AutomationAsk;

    fn key_mutation(c: Command) -> Option<&'static str> {
        Some(match c {
            Command::CancelCommand => "ssm:StopAutomationExecution",
            Command::Create => "ssm:StartAutomationExecution",
            _ => return None,
        })
    }

    fn contexts_changed(&mut self, labels: &[crate::model::ContextLabel]) {
        self.contexts = labels.to_vec();
    }

    fn title(&self) -> &'static str {
        "Automation"
    }

    fn layer(&self) -> Layer {
        Layer::Automation
    }

    fn on_show(&mut self, cx: &mut AutomationCx) {
        if !self.started {
            self.refresh(cx);
        }
        self.settle(cx);
    }

    fn refresh(&mut self, cx: &mut AutomationCx) {
        self.started = true;
        self.reload(cx);
        // The runbooks are listed once, and again only when `r` is pressed
        // on their list (a reload of the executions leaves them be).
        if self.tab == TopTab::Runbooks || (self.runbooks.is_empty() && self.runbooks_pending == 0)
        {
            self.reload_runbooks(cx);
        }
        self.load_inner(0, cx);
    }

    fn command(&mut self, c: Command, cx: &mut AutomationCx) -> Handled {
        let rows = self.rows();
        if raw_json::command(&mut self.raw, c, rows) {
            return Handled::Yes;
        }
        match c {
            Command::Back => {
                if self.stack.pop().is_none() {
                    if self.tab == TopTab::Runbooks && !self.search.is_empty() {
                        self.search.clear();
                        self.derive_runbooks();
                        return Handled::Yes;
                    }
                    return Handled::No;
                }
                self.load_inner(0, cx);
            }
            Command::NextTab => self.switch_tab(1, cx),
            Command::PrevTab => self.switch_tab(-1, cx),
            Command::OpenDetails => self.open(cx),
            Command::Create => match self.form.as_mut() {
                Some(f) if !f.shown => f.shown = true,
                _ => {
                    // A start from here is on nothing chosen elsewhere.
                    self.start_from = StartFrom::default();
                    self.derive_runbooks();
                    self.stack.clear();
                    self.tab = TopTab::Runbooks;
                    if self.runbooks.is_empty() && self.runbooks_pending == 0 {
                        self.reload_runbooks(cx);
                    }
                }
            },
            Command::Filter => {
                self.filter_before = Some(match self.tab {
                    TopTab::Executions => self.filter.clone(),
                    TopTab::Runbooks => self.search.clone(),
                });
                self.stack.clear();
                cx.request(Request::Filter);
            }
            Command::Approve => self.ask_signal(true, cx),
            Command::Reject => self.ask_signal(false, cx),
            Command::StartStep => self.ask_start_step(cx),
            Command::Resume => self.ask_control(false, cx),
            Command::CancelCommand => self.ask_control(true, cx),
            Command::SortReverse => {
                self.oldest_first = !self.oldest_first;
                self.derive();
            }
            Command::RawJson => self.raw_view(cx),
            c => {
                let len = self.rows_shown();
                if !self
                    .cursor_mut()
                    .is_some_and(|cur| cur.command(c, len, rows))
                {
                    return Handled::No;
                }
            }
        }
        Handled::Yes
    }

    fn key(&mut self, k: KeyEvent, cx: &mut AutomationCx) -> Handled {
        let Some(f) = self.form.as_mut().filter(|f| f.shown) else {
            return Handled::No;
        };
        if f.key(k) {
            self.confirm_start(cx);
        }
        Handled::Yes
    }

    fn form_open(&self) -> bool {
        self.form.as_ref().is_some_and(|f| f.shown)
    }

    fn form_hint(&self) -> &'static str {
        "Tab next field · Space toggles · Ctrl-S start (asks first) · Esc hide (kept; n shows it)"
    }

    fn unsaved(&self) -> Option<String> {
        self.form
            .as_ref()
            .filter(|f| f.touched)
            .map(|f| format!("the runbook form ({})", f.runbook))
    }

    fn confirm_answered(&mut self, job: &AutomationJob, yes: bool, _cx: &mut AutomationCx) {
        if let AutomationJob::Start { .. } = job
            && let Some(f) = self.form.as_mut()
        {
            if yes {
                f.shown = false;
            } else {
                // Back to the form, everything typed kept.
                f.shown = true;
            }
        }
    }

    fn answer(&mut self, ask: AutomationAsk, text: String, cx: &mut AutomationCx) {
        let AutomationAsk::Comment { ctx, id, approve } = ask;
        let step = self.detail_in_view().and_then(|d| {
            d.steps
                .iter()
                .find(|s| {
                    s.action == "aws:approve" && !is_final(&s.status) && s.status != "Pending"
                })
                .map(|s| s.name.clone())
        });
        let word = if approve { "Approve" } else { "Reject" };
        let mut lines = vec![
            format!(
                "{word} step {} of execution {id}",
                step.as_deref().map_or("?".into(), sanitize)
            ),
            format!("Comment: {}", sanitize(&text)),
        ];
        if !approve {
            lines.push("A rejected approval fails the execution".into());
        }
        cx.request(Request::Confirm {
            title: format!("{word} the waiting step"),
            lines,
            yes: AutomationJob::Signal {
                ctx,
                id,
                signal: if approve {
                    Signal::Approve
                } else {
                    Signal::Reject
                },
                step,
                comment: Some(text),
            },
        });
    }

    fn filter_input(
        &mut self,
        k: InputKey,
        cursor: &mut Option<usize>,
        cx: &mut AutomationCx,
    ) -> bool {
        let runbooks = self.tab == TopTab::Runbooks;
        let mut text = if runbooks {
            self.search.clone()
        } else {
            self.filter.clone()
        };
        match filter_key(&mut text, cursor, k) {
            FilterStep::Edited => {
                if runbooks {
                    self.search = text;
                    self.derive_runbooks();
                } else {
                    self.filter_error = parse_filter(&text, cx.shared.epoch_s).err();
                    self.filter = text;
                }
            }
            FilterStep::Moved => {}
            FilterStep::Keep => {
                self.filter_before = None;
                if !runbooks {
                    self.apply_filter(cx);
                }
                return false;
            }
            FilterStep::Restore => {
                let before = self.filter_before.take().unwrap_or_default();
                if runbooks {
                    self.search = before;
                    self.derive_runbooks();
                } else {
                    self.filter = before;
                    self.filter_error = None;
                }
                return false;
            }
            FilterStep::Scroll(d) => {
                let (len, rows) = (self.rows_shown(), self.rows());
                if let Some(c) = self.cursor_mut() {
                    c.step(d, len, rows);
                }
            }
        }
        true
    }

    fn filter_line(&self) -> (String, &'static str) {
        match self.tab {
            TopTab::Executions => (self.filter.clone(), FILTER_HELP),
            TopTab::Runbooks => (
                self.search.clone(),
                "fuzzy search over runbook names and descriptions",
            ),
        }
    }

    fn filter_warning(&self) -> Option<String> {
        self.filter_error.clone()
    }

    fn message(&mut self, m: AutomationMsg, cx: &mut AutomationCx) {
        self.now_s = cx.shared.epoch_s;
        self.take(m, cx);
        self.settle(cx);
    }

    fn settle(&mut self, cx: &mut AutomationCx) {
        self.page_rows = cx.shared.page_rows;
        self.now_s = cx.shared.epoch_s;
        if self.contexts.as_slice() != cx.shared.contexts {
            self.contexts = cx.shared.contexts.to_vec();
        }
        let (len, rows) = (self.rows_shown(), self.rows());
        if let Some(c) = self.cursor_mut() {
            c.keep_in_view(len, rows);
        }
    }

    fn view(&self, frame: &mut ratatui::Frame, area: ratatui::layout::Rect, rcx: &RenderContext) {
        super::view::render(frame, area, self, rcx);
    }

    fn hints(&self) -> &'static [(Command, &'static str)] {
        match self.inner() {
            None => TOP_HINTS,
            Some(Inner::Execution { .. }) => EXECUTION_HINTS,
            Some(Inner::Step { .. }) => STEP_HINTS,
        }
    }

    fn crumb(&self) -> Option<String> {
        let mut parts = Vec::new();
        for i in &self.stack {
            match i {
                Inner::Execution { id, .. } => {
                    let name = self
                        .detail
                        .ready()
                        .filter(|d| &d.execution.id == id)
                        .map_or_else(
                            || id.chars().take(8).collect(),
                            |d| sanitize(&d.execution.runbook),
                        );
                    parts.push(name);
                }
                Inner::Step { index, .. } => parts.push(
                    self.detail
                        .ready()
                        .and_then(|d| d.steps.get(*index))
                        .map_or_else(|| format!("step {}", index + 1), |s| sanitize(&s.name)),
                ),
            }
        }
        (!parts.is_empty()).then(|| parts.join(" › "))
    }

    fn click(&mut self, column: u16, row: u16, _cx: &mut AutomationCx) -> Option<Command> {
        let (len, at, rows) = (self.rows_shown(), self.cursor_at(), self.rows());
        let click = self.hits.click(column, row, len, at);
        click.act(|i| {
            if let Some(c) = self.cursor_mut() {
                c.at = i;
                c.keep_in_view(len, rows);
            }
        })
    }
}

impl AutomationState {
    /// Enter on the typed filter: parse it and reload from AWS (a filter
    /// that does not parse keeps the list and says why).
    fn apply_filter(&mut self, cx: &mut AutomationCx) {
        match parse_filter(&self.filter, cx.shared.epoch_s) {
            Err(e) => {
                self.filter_error = Some(e.clone());
                cx.notice(format!("filter not applied: {e}"));
            }
            Ok((filters, text)) => {
                self.filter_error = None;
                self.text = text;
                if filters != self.filters {
                    self.filters = filters;
                    self.reload(cx);
                } else {
                    self.derive();
                }
            }
        }
    }

    /// Folds one job message into the state.
    fn take(&mut self, m: AutomationMsg, cx: &mut AutomationCx) {
        match m {
            AutomationMsg::Executions {
                generation,
                ctx,
                result,
            } => {
                if generation != self.generation {
                    return;
                }
                self.pending = self.pending.saturating_sub(1);
                // A re-read replaces what the context said last time.
                self.failed.retain(|(c, _)| *c != ctx);
                self.capped.retain(|c| *c != ctx);
                self.keeping_cursor(|s| {
                    match result {
                        Ok((rows, more)) => {
                            if more {
                                s.capped.push(ctx);
                            }
                            s.executions.retain(|(c, _)| *c != ctx);
                            s.executions.extend(rows.into_iter().map(|e| (ctx, e)));
                        }
                        Err(e) => s.failed.push((ctx, e.to_string())),
                    }
                    s.derive();
                });
                self.relist_while_running(cx);
            }
            AutomationMsg::Runbooks {
                generation,
                ctx,
                result,
            } => {
                if generation != self.runbook_generation {
                    return;
                }
                self.runbooks_pending = self.runbooks_pending.saturating_sub(1);
                match result {
                    Ok(rows) => {
                        for r in rows {
                            if !self.runbooks.iter().any(|(_, x)| x.name == r.name) {
                                self.runbooks.push((ctx, r));
                            }
                        }
                        self.runbooks.sort_by(|a, b| a.1.name.cmp(&b.1.name));
                    }
                    Err(e) => self.runbooks_failed.push((ctx, e.to_string())),
                }
                self.derive_runbooks();
                if self.runbooks_pending == 0 {
                    // Their descriptions, for the search (ListDocuments
                    // has none).
                    // Only the ones not read before (a reload of the list
                    // reads none again).
                    let runbooks: Vec<(ContextId, String)> = self
                        .runbooks
                        .iter()
                        .filter(|(_, r)| !self.descriptions.contains_key(&r.name))
                        .map(|(c, r)| (*c, r.name.clone()))
                        .collect();
                    if !runbooks.is_empty() {
                        cx.job(AutomationJob::Descriptions {
                            generation,
                            runbooks,
                        });
                    }
                }
            }
            AutomationMsg::Descriptions { generation, items } => {
                if generation == self.runbook_generation {
                    self.descriptions.extend(items);
                    self.derive_runbooks();
                }
            }
            AutomationMsg::Runbook { name, result } => {
                if let Some(f) = self.form.as_mut().filter(|f| f.runbook == name) {
                    match result {
                        Ok(info) => f.set_info(info),
                        Err(e) => f.info = Loaded::Failed(e.to_string()),
                    }
                }
            }
            m => self.take_inner(m, cx),
        }
    }

    /// The view's reads and the writes' answers.
    fn take_inner(&mut self, m: AutomationMsg, cx: &mut AutomationCx) {
        match m {
            AutomationMsg::Detail { ctx, id, result } => {
                if self.execution_in_view() != Some((ctx, id.clone())) {
                    return;
                }
                match result {
                    Ok(d) => {
                        self.update_row(ctx, &d);
                        let running = !is_final(&d.execution.status);
                        let sig = format!(
                            "{}|{}",
                            d.execution.status,
                            d.steps
                                .iter()
                                .map(|s| s.status.as_str())
                                .collect::<Vec<_>>()
                                .join(",")
                        );
                        let first = self.poll.delay_ms == 0;
                        self.poll.delay_ms = if first || sig != self.poll.last {
                            POLL_FIRST_MS
                        } else {
                            (self.poll.delay_ms * 2).min(POLL_MAX_MS)
                        };
                        self.poll.last = sig;
                        let parent = !d.execution.target_parameter.is_empty();
                        let parent_now =
                            parent && !matches!(self.children, Loaded::Ready(_) | Loaded::Loading);
                        // A run that just ended: its children once more,
                        // as they ended.
                        let was_running = self
                            .detail
                            .ready()
                            .filter(|x| x.execution.id == id)
                            .is_none_or(|x| !is_final(&x.execution.status));
                        if parent && !parent_now && !running && was_running {
                            cx.job(AutomationJob::Children {
                                ctx,
                                parent: id.clone(),
                                delay_ms: 0,
                            });
                        }
                        self.detail = Loaded::Ready(d.redacted());
                        if parent_now {
                            self.children = Loaded::Loading;
                            cx.job(AutomationJob::Children {
                                ctx,
                                parent: id,
                                delay_ms: 0,
                            });
                        }
                        if running {
                            let delay = self.poll.delay_ms;
                            let (ctx, id) = self.execution_in_view().expect("in view");
                            cx.job(AutomationJob::Detail {
                                ctx,
                                id: id.clone(),
                                delay_ms: delay,
                            });
                            if matches!(self.children, Loaded::Ready(_)) {
                                cx.job(AutomationJob::Children {
                                    ctx,
                                    parent: id,
                                    delay_ms: delay,
                                });
                            }
                        }
                    }
                    Err(e) => self.read_failed(ctx, id, e, cx),
                }
            }
            AutomationMsg::Children {
                ctx,
                parent,
                result,
            } => {
                if self.execution_in_view() != Some((ctx, parent)) {
                    return;
                }
                self.children = match result {
                    Ok(c) => Loaded::Ready(c),
                    Err(e) => Loaded::Failed(e.to_string()),
                };
            }
            m => self.take_write(m, cx),
        }
    }

    /// Every call of a start answered: the first execution opens, the
    /// OpsItem records each one, the form (the one the start came from)
    /// closes when every call went through and otherwise stays, naming
    /// the calls that failed.
    fn take_started(
        &mut self,
        runbook: String,
        ops_item: Option<String>,
        results: Vec<(ContextId, Vec<String>, Result<String, crate::aws::AwsError>)>,
        cx: &mut AutomationCx,
    ) {
        let mut failed = Vec::new();
        let mut first = None;
        for (ctx, covers, result) in results {
            match result {
                Ok(id) => {
                    cx.notice(format!("started {} · execution {id}", sanitize(&runbook)));
                    if let Some(o) = &ops_item {
                        cx.job(AutomationJob::Record {
                            ctx,
                            ops_item: o.clone(),
                            execution: id.clone(),
                        });
                    }
                    first.get_or_insert((ctx, id));
                }
                Err(e) => failed.push(format!("{} target(s): {e}", covers.len())),
            }
        }
        let form = self.form.as_mut().filter(|f| f.runbook == runbook);
        match (failed.is_empty(), form) {
            (true, Some(_)) => self.form = None,
            (false, Some(f)) => {
                f.error = Some(format!("not started: {}", failed.join(" · ")));
                f.shown = true;
            }
            _ => {}
        }
        if !failed.is_empty() {
            cx.notice(format!(
                "{} not started: {}",
                sanitize(&runbook),
                failed.join(" · ")
            ));
        }
        // Where the next start comes from is chosen again.
        self.start_from = StartFrom::default();
        if let Some((ctx, id)) = first {
            if self.execution_in_view().is_none() {
                self.open_execution(ctx, id, cx);
            }
            self.reload(cx);
        }
    }

    /// Keeps the list's row of an execution in step with what was read.
    fn update_row(&mut self, ctx: ContextId, d: &ExecutionDetail) {
        if let Some((_, e)) = self
            .executions
            .iter_mut()
            .find(|(c, e)| *c == ctx && e.id == d.execution.id)
        {
            *e = d.execution.clone();
        }
    }

    fn take_write(&mut self, m: AutomationMsg, cx: &mut AutomationCx) {
        match m {
            AutomationMsg::Started {
                runbook,
                ops_item,
                results,
            } => self.take_started(runbook, ops_item, results, cx),
            AutomationMsg::Recorded {
                ops_item, result, ..
            } => match result {
                Ok(()) => cx.notice(format!("recorded on {ops_item} (/aws/automations)")),
                Err(e) => cx.notice(format!("not recorded on {ops_item}: {e}")),
            },
            AutomationMsg::Controlled {
                id, what, result, ..
            } => {
                match result {
                    Ok(()) => cx.notice(format!("{what}: sent to {id}")),
                    Err(e) => cx.notice(format!("{what} refused: {e}")),
                }
                self.load_inner(0, cx);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::aws::automation::{Execution, Runbook, RunbookInfo, RunbookParam, Step};
    use crate::job::Job;
    use crate::pane::Shared;

    type Requests = Vec<Request<AutomationJob, AutomationAsk>>;

    const NOW: i64 = 1_796_292_000;
    const ID: &str = "0b6c2c9e-1f7e-4a58-9c43-5d9a1b2c3d4e";

    fn with<R>(
        p: &mut AutomationState,
        f: impl FnOnce(&mut AutomationState, &mut AutomationCx) -> R,
    ) -> (R, Vec<AutomationJob>, Requests) {
        let shared = Shared {
            size: (120, 40),
            where_: "account 1, region r",
            page_rows: 30,
            epoch_s: NOW,
            ..Shared::default()
        };
        crate::panes::harness::run(p, shared, Instant::now(), f)
    }

    fn cmd(p: &mut AutomationState, c: Command) -> (Vec<AutomationJob>, Requests) {
        let (_, j, r) = with(p, |p, cx| p.command(c, cx));
        (j, r)
    }

    fn msg(p: &mut AutomationState, m: AutomationMsg) -> (Vec<AutomationJob>, Requests) {
        let ((), j, r) = with(p, |p, cx| p.message(m, cx));
        (j, r)
    }

    fn execution(status: &str) -> Execution {
        Execution {
            id: ID.into(),
            runbook: "Lab-CollectDiagnostics".into(),
            status: status.into(),
            mode: "Auto".into(),
            start_s: Some(NOW - 60),
            ..Execution::default()
        }
    }

    fn detail(status: &str, steps: Vec<Step>) -> AutomationMsg {
        AutomationMsg::Detail {
            ctx: ContextId::default(),
            id: ID.into(),
            result: Ok(Box::new(ExecutionDetail {
                execution: Execution {
                    current_step: "approve".into(),
                    current_action: "aws:approve".into(),
                    ..execution(status)
                },
                steps,
                ..ExecutionDetail::default()
            })),
        }
    }

    fn step(name: &str, action: &str, status: &str) -> Step {
        Step {
            name: name.into(),
            action: action.into(),
            status: status.into(),
            ..Step::default()
        }
    }

    fn loaded() -> AutomationState {
        let mut p = AutomationState::default();
        let ((), jobs, _) = with(&mut p, |p, cx| p.on_show(cx));
        assert!(
            matches!(jobs[0], AutomationJob::Executions { generation: 1, .. }),
            "{jobs:?}"
        );
        msg(
            &mut p,
            AutomationMsg::Executions {
                generation: 1,
                ctx: ContextId::default(),
                result: Ok((vec![execution("Waiting")], false)),
            },
        );
        p
    }

    #[test]
    fn a_running_execution_is_polled_with_back_off_and_an_approval_asks_twice() {
        let mut p = loaded();
        assert_eq!(p.counts(), vec![("Waiting", 1)]);
        let (jobs, _) = cmd(&mut p, Command::OpenDetails);
        assert!(
            matches!(&jobs[0], AutomationJob::Detail { delay_ms: 0, .. }),
            "{jobs:?}"
        );
        let steps = || {
            vec![
                step("collect", "aws:runCommand", "Success"),
                step("approve", "aws:approve", "InProgress"),
            ]
        };
        let (jobs, _) = msg(&mut p, detail("Waiting", steps()));
        assert!(
            matches!(
                &jobs[0],
                AutomationJob::Detail {
                    delay_ms: POLL_FIRST_MS,
                    ..
                }
            ),
            "{jobs:?}"
        );
        let (jobs, _) = msg(&mut p, detail("Waiting", steps()));
        assert!(
            matches!(
                &jobs[0],
                AutomationJob::Detail {
                    delay_ms: 4_000,
                    ..
                }
            ),
            "nothing moved: {jobs:?}"
        );
        for _ in 0..5 {
            msg(&mut p, detail("Waiting", steps()));
        }
        assert_eq!(p.poll.delay_ms, POLL_MAX_MS);
        let (jobs, requests) = cmd(&mut p, Command::Approve);
        assert!(jobs.is_empty());
        let Request::Prompt { ask, .. } = &requests[0] else {
            panic!("{requests:?}")
        };
        let ((), jobs, requests) =
            with(&mut p, |p, cx| p.answer(ask.clone(), "ok to go".into(), cx));
        assert!(jobs.is_empty(), "nothing is sent before the confirmation");
        let Request::Confirm { yes, lines, .. } = &requests[0] else {
            panic!("{requests:?}")
        };
        assert!(
            lines.iter().any(|l| l.contains("Approve step approve")),
            "{lines:?}"
        );
        assert_eq!(yes.mutation().unwrap().action, "ssm:SendAutomationSignal");
        assert!(
            matches!(yes, AutomationJob::Signal { signal: Signal::Approve, comment: Some(c), .. } if c == "ok to go")
        );
        // Something moved: back to the first wait; finished: no more polls.
        let moved = vec![
            step("collect", "aws:runCommand", "Success"),
            step("approve", "aws:approve", "Success"),
        ];
        let (jobs, _) = msg(&mut p, detail("InProgress", moved.clone()));
        assert!(
            matches!(
                &jobs[0],
                AutomationJob::Detail {
                    delay_ms: POLL_FIRST_MS,
                    ..
                }
            ),
            "{jobs:?}"
        );
        let (jobs, _) = msg(&mut p, detail("Success", moved));
        assert!(jobs.is_empty(), "{jobs:?}");
        let (_, requests) = cmd(&mut p, Command::CancelCommand);
        assert!(
            matches!(&requests[0], Request::Notice(t) if t.contains("Success")),
            "{requests:?}"
        );
        assert_eq!(
            p.listed(ContextId::default(), ID).unwrap().status,
            "Success",
            "the row follows"
        );
    }

    #[test]
    fn a_runbook_form_checks_before_any_call_and_a_refused_confirmation_goes_back_to_it() {
        let mut p = loaded();
        let from = StartFrom {
            nodes: vec!["i-0000000000000001".into()],
            origin: "OpsItem oi-0123456789ab".into(),
            ops_item: Some("oi-0123456789ab".into()),
            suggested: vec!["AWS-RestartEC2Instance".into()],
        };
        with(&mut p, |p, cx| p.start_from(from, cx));
        assert_eq!(p.tab, TopTab::Runbooks);
        let generation = p.runbook_generation;
        msg(
            &mut p,
            AutomationMsg::Runbooks {
                generation,
                ctx: ContextId::default(),
                result: Ok([
                    "AWS-CreateImage",
                    "AWS-RestartEC2Instance",
                    "AWS-StopEC2Instance",
                ]
                .map(|n| Runbook {
                    name: n.into(),
                    owner: "Amazon".into(),
                    version: "1".into(),
                    ..Runbook::default()
                })
                .to_vec()),
            },
        );
        assert_eq!(
            p.runbooks[p.runbooks_shown[0]].1.name, "AWS-RestartEC2Instance",
            "suggested first"
        );
        let (jobs, _) = cmd(&mut p, Command::OpenDetails);
        assert!(
            matches!(&jobs[0], AutomationJob::Runbook { name, .. } if name == "AWS-RestartEC2Instance")
        );
        assert!(p.form_open());
        let info = RunbookInfo {
            name: "AWS-RestartEC2Instance".into(),
            version: "1".into(),
            params: vec![
                RunbookParam {
                    name: "InstanceId".into(),
                    kind: "StringList".into(),
                    ..RunbookParam::default()
                },
                RunbookParam {
                    name: "Reason".into(),
                    kind: "String".into(),
                    ..RunbookParam::default()
                },
            ],
            ..RunbookInfo::default()
        };
        msg(
            &mut p,
            AutomationMsg::Runbook {
                name: info.name.clone(),
                result: Ok(info),
            },
        );
        let ctrl_s = KeyEvent::new(
            crossterm::event::KeyCode::Char('s'),
            crossterm::event::KeyModifiers::CONTROL,
        );
        let (_, jobs, requests) = with(&mut p, |p, cx| p.key(ctrl_s, cx));
        assert!(jobs.is_empty() && requests.is_empty());
        let e = p.form.as_ref().unwrap().error.clone().unwrap();
        assert!(e.contains("Reason is required"), "{e}");
        for c in "disk full".chars() {
            with(&mut p, |p, cx| {
                p.key(KeyEvent::from(crossterm::event::KeyCode::Char(c)), cx)
            });
        }
        assert!(p.unsaved().is_some(), "typed text is named before a quit");
        let (_, _, requests) = with(&mut p, |p, cx| p.key(ctrl_s, cx));
        let Request::Confirm { yes, lines, .. } = &requests[0] else {
            panic!("{requests:?}")
        };
        assert!(
            lines.iter().any(|l| l.contains("Reason = disk full")),
            "{lines:?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("recorded on oi-0123456789ab")),
            "{lines:?}"
        );
        let AutomationJob::Start { requests: reqs, .. } = yes else {
            panic!()
        };
        assert_eq!(
            reqs[0].1.parameters["InstanceId"],
            vec!["i-0000000000000001"]
        );
        let yes = yes.clone();
        with(&mut p, |p, cx| p.confirm_answered(&yes, false, cx));
        assert!(p.form_open(), "no: back to the form");
        assert_eq!(
            p.form.as_ref().unwrap().values[1],
            "disk full",
            "nothing typed is lost"
        );
        with(&mut p, |p, cx| p.confirm_answered(&yes, true, cx));
        let (jobs, _) = msg(
            &mut p,
            AutomationMsg::Started {
                runbook: "AWS-RestartEC2Instance".into(),
                ops_item: Some("oi-0123456789ab".into()),
                results: vec![(
                    ContextId::default(),
                    vec!["i-0000000000000001".into()],
                    Ok(ID.into()),
                )],
            },
        );
        assert!(jobs.iter().any(|j| matches!(j, AutomationJob::Record { ops_item, execution, .. } if ops_item == "oi-0123456789ab" && execution == ID)), "{jobs:?}");
        assert!(p.form.is_none());
        assert_eq!(
            p.execution_in_view(),
            Some((ContextId::default(), ID.to_owned()))
        );
    }

    #[test]
    fn the_runbook_search_reaches_descriptions_once_they_are_read() {
        let mut p = loaded();
        cmd(&mut p, Command::NextTab);
        let generation = p.runbook_generation;
        let (jobs, _) = msg(
            &mut p,
            AutomationMsg::Runbooks {
                generation,
                ctx: ContextId::default(),
                result: Ok(["AWS-RestartEC2Instance", "AWSSupport-TroubleshootSSH"]
                    .map(|n| Runbook {
                        name: n.into(),
                        ..Runbook::default()
                    })
                    .to_vec()),
            },
        );
        assert!(
            jobs.iter().any(
                |j| matches!(j, AutomationJob::Descriptions { runbooks, .. } if runbooks.len() == 2)
            ),
            "{jobs:?}"
        );
        p.search = "sshd config".into();
        p.derive_runbooks();
        assert!(p.runbooks_shown.is_empty(), "no name matches");
        msg(
            &mut p,
            AutomationMsg::Descriptions {
                generation,
                items: vec![(
                    "AWSSupport-TroubleshootSSH".into(),
                    "Checks the sshd config and the security groups".into(),
                )],
            },
        );
        let shown: Vec<&str> = p
            .runbooks_shown
            .iter()
            .map(|i| p.runbooks[*i].1.name.as_str())
            .collect();
        assert_eq!(shown, ["AWSSupport-TroubleshootSSH"]);
    }

    #[test]
    fn a_bad_filter_says_why_and_does_not_reload() {
        let mut p = loaded();
        let (_, requests) = cmd(&mut p, Command::Filter);
        assert!(matches!(requests[0], Request::Filter));
        let mut cursor = None;
        for c in "status:Broke".chars() {
            with(&mut p, |p, cx| {
                p.filter_input(InputKey::Char(c), &mut cursor, cx)
            });
        }
        assert!(p.filter_warning().unwrap().contains("status:Broke"));
        let (_, jobs, requests) = with(&mut p, |p, cx| {
            p.filter_input(InputKey::Submit, &mut cursor, cx)
        });
        assert!(jobs.is_empty(), "{jobs:?}");
        assert!(matches!(&requests[0], Request::Notice(t) if t.contains("filter not applied")));
        p.filter = "status:Failed".into();
        let (_, jobs, _) = with(&mut p, |p, cx| {
            p.filter_input(InputKey::Submit, &mut cursor, cx)
        });
        assert!(
            matches!(&jobs[0], AutomationJob::Executions { filters, .. } if filters.status == vec!["Failed"]),
            "{jobs:?}"
        );
    }

    fn screen(p: &AutomationState, w: u16) -> String {
        crate::panes::harness::screen(p, w, 20, Instant::now())
    }

    #[test]
    fn aws_text_is_drawn_escaped_and_the_execution_id_stays_whole_at_80_columns() {
        let mut p = loaded();
        p.executions[0].1.runbook = "evil\u{1b}[2Jbook".into();
        p.derive();
        for w in [80, 200] {
            let s = screen(&p, w);
            assert!(!s.contains('\u{1b}'), "{s}");
            assert!(s.contains(ID), "the id whole at {w}:\n{s}");
        }
        cmd(&mut p, Command::OpenDetails);
        let mut st = step("collect", "aws:runCommand", "Failed");
        st.failure = "exit 1\u{7}\u{1b}]0;pwned\u{7}".into();
        st.outputs.insert(
            "CommandId".into(),
            vec!["c0ffee00-0000-4000-8000-000000000001".into()],
        );
        msg(&mut p, detail("Failed", vec![st]));
        let s = screen(&p, 80);
        assert!(!s.contains('\u{7}') && !s.contains('\u{1b}'), "{s}");
        cmd(&mut p, Command::OpenDetails);
        let s = screen(&p, 80);
        assert!(
            s.contains("command c0ffee00-0000-4000-8000-000000000001"),
            "{s}"
        );
        let (_, requests) = cmd(&mut p, Command::OpenDetails);
        assert!(
            matches!(&requests[0], Request::Open(Goto::Command { id, .. }) if id == "c0ffee00-0000-4000-8000-000000000001"),
            "{requests:?}"
        );
    }
}
