//! The Associations pane behind the [`Pane`] trait: keys, job messages,
//! the route inside the pane, polling while an execution runs, and apply
//! now (confirmed; the runner blocks it in read-only mode and audits it).

use super::jobs::{AssociationsJob, AssociationsMsg};
use super::state::{AssociationsState, Inner, POLL_BUDGET, POLL_MS, POLLS_AFTER_APPLY};
use crate::config::Layer;
use crate::keys::{Command, InputKey};
use crate::model::ContextId;
use crate::pane::{Cx, Goto, Handled, Loaded, Pane, RenderContext, Request};
use crate::widgets::line_input::plain_filter;
use crate::widgets::list::ListCursor;
use crate::widgets::raw_json::{self, RawJson};

/// The pane's side of one update.
pub type AssociationsCx<'a> = Cx<'a, AssociationsJob>;

const LIST_HINTS: &[(Command, &str)] = &[
    (Command::Help, "help"),
    (Command::OpenDetails, "executions"),
    (Command::Filter, "filter status: doc:"),
    (Command::ApplyNow, "apply now"),
    (Command::RawJson, "JSON"),
    (Command::Refresh, "reload"),
];

const ASSOCIATION_HINTS: &[(Command, &str)] = &[
    (Command::Back, "back"),
    (Command::OpenDetails, "targets"),
    (Command::ApplyNow, "apply now"),
    (Command::RawJson, "JSON"),
    (Command::Refresh, "read again"),
];

const EXECUTION_HINTS: &[(Command, &str)] = &[
    (Command::Back, "back"),
    (Command::OpenDetails, "output"),
    (Command::JumpToNode, "node"),
    (Command::RawJson, "JSON"),
    (Command::Refresh, "read again"),
];

/// The filter line's help.
const FILTER_HELP: &str = "words match name, document, targets, schedule; status:failed doc:AWS-";

impl AssociationsState {
    fn reload(&mut self, cx: &mut AssociationsCx) {
        self.started = true;
        self.generation += 1;
        self.pending = cx.shared.contexts.len().max(1);
        self.failed.clear();
        self.rows.clear();
        self.derive();
        cx.job(AssociationsJob::List {
            generation: self.generation,
        });
    }

    /// [`Goto::Association`]: association `id` of context `ctx`, its
    /// settings and executions.
    pub fn open_association(&mut self, ctx: ContextId, id: String, cx: &mut AssociationsCx) {
        if !self.started {
            self.reload(cx);
        }
        self.stack.clear();
        self.push_association(ctx, id, cx);
    }

    fn push_association(&mut self, ctx: ContextId, id: String, cx: &mut AssociationsCx) {
        self.detail = Loaded::Loading;
        self.executions = Loaded::Loading;
        self.polls = POLL_BUDGET;
        self.polls_after_apply = 0;
        cx.job(AssociationsJob::Describe {
            ctx,
            id: id.clone(),
        });
        cx.job(AssociationsJob::Executions {
            ctx,
            id: id.clone(),
            delay_ms: 0,
        });
        self.stack.push(Inner::Association {
            ctx,
            id,
            cursor: ListCursor::default(),
        });
    }

    fn push_execution(
        &mut self,
        ctx: ContextId,
        id: String,
        execution: String,
        cx: &mut AssociationsCx,
    ) {
        self.targets = Loaded::Loading;
        self.polls = POLL_BUDGET;
        cx.job(AssociationsJob::Targets {
            ctx,
            id: id.clone(),
            execution: execution.clone(),
            delay_ms: 0,
        });
        self.stack.push(Inner::Execution {
            ctx,
            id,
            execution,
            cursor: ListCursor::default(),
        });
    }

    /// The association the route is about (the list's cursor on the list).
    fn association(&self) -> Option<(ContextId, String)> {
        match self.inner() {
            Some(Inner::Association { ctx, id, .. } | Inner::Execution { ctx, id, .. }) => {
                Some((*ctx, id.clone()))
            }
            None => self.focused().map(|(c, a)| (*c, a.id.clone())),
        }
    }

    fn apply_now(&mut self, cx: &mut AssociationsCx) {
        let Some((ctx, id)) = self.association() else {
            return cx.notice("no association to apply");
        };
        let (label, targets, counts) = match self.find(ctx, &id) {
            Some(a) => (
                a.label().to_owned(),
                a.targets.join(" "),
                a.counts
                    .iter()
                    .map(|(k, n)| format!("{n} {}", k.to_lowercase()))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            None => (id.clone(), String::new(), String::new()),
        };
        let mut lines = vec![
            format!(
                "Run association {label} ({id}) now, whatever its schedule (StartAssociationsOnce)."
            ),
            format!("It applies to its targets: {targets}"),
        ];
        if !counts.is_empty() {
            lines.push(format!("Nodes by last status: {counts}"));
        }
        lines.push(format!("In {}", self.where_of(ctx, cx)));
        cx.request(Request::Confirm {
            title: format!("Apply {label} now?"),
            lines,
            yes: AssociationsJob::ApplyNow {
                ctx,
                ids: vec![id],
                labels: vec![label],
            },
        });
    }

    fn where_of(&self, ctx: ContextId, cx: &AssociationsCx) -> String {
        if self.multi() {
            self.context_name(ctx)
        } else {
            cx.shared.where_.to_owned()
        }
    }

    /// Enter on the shown list's row.
    fn open(&mut self, cx: &mut AssociationsCx) {
        match self.inner().cloned() {
            None => {
                if let Some((ctx, a)) = self.focused().cloned() {
                    self.push_association(ctx, a.id, cx);
                }
            }
            Some(Inner::Association { ctx, id, cursor }) => {
                let Some(x) = self.executions.ready().and_then(|x| x.get(cursor.at)) else {
                    return;
                };
                let execution = x.id.clone();
                self.push_execution(ctx, id, execution, cx);
            }
            Some(Inner::Execution { ctx, cursor, .. }) => {
                let Some(t) = self.targets.ready().and_then(|t| t.get(cursor.at)) else {
                    return;
                };
                match &t.output {
                    Some((command, kind)) if kind == "RunCommand" && !command.is_empty() => {
                        let document = self
                            .detail
                            .ready()
                            .map(|d| d.association.document.clone())
                            .unwrap_or_default();
                        cx.request(Request::Open(Goto::Command {
                            id: command.clone(),
                            document,
                            ctx,
                        }));
                    }
                    _ => cx.notice(format!(
                        "{} has no Run Command output to show (its status: {})",
                        t.resource, t.detailed_status
                    )),
                }
            }
        }
    }

    fn raw_json(&mut self) {
        self.raw = match self.inner() {
            None => self
                .focused()
                .map(|(_, a)| RawJson::of(format!("{} (Association)", a.label()), a)),
            Some(Inner::Association { cursor, .. }) => {
                match self.executions.ready().and_then(|x| x.get(cursor.at)) {
                    Some(x) => Some(RawJson::of(format!("execution {}", x.id), x)),
                    None => self
                        .detail
                        .ready()
                        .map(|d| RawJson::of("AssociationDescription", d)),
                }
            }
            Some(Inner::Execution { cursor, .. }) => self
                .targets
                .ready()
                .and_then(|t| t.get(cursor.at))
                .map(|t| RawJson::of(format!("target {}", t.resource), t)),
        };
    }

    fn rows_len(&self) -> usize {
        match self.inner() {
            None => self.shown.len(),
            Some(Inner::Association { .. }) => self.executions.ready().map_or(0, Vec::len),
            Some(Inner::Execution { .. }) => self.targets.ready().map_or(0, Vec::len),
        }
    }

    fn cursor_mut(&mut self) -> &mut ListCursor {
        match self.stack.last_mut() {
            None => &mut self.cursor,
            Some(Inner::Association { cursor, .. } | Inner::Execution { cursor, .. }) => cursor,
        }
    }

    fn reread(&mut self, cx: &mut AssociationsCx) {
        match self.inner().cloned() {
            None => self.reload(cx),
            Some(Inner::Association { ctx, id, .. }) => {
                self.stack.pop();
                self.push_association(ctx, id, cx);
            }
            Some(Inner::Execution {
                ctx, id, execution, ..
            }) => {
                self.stack.pop();
                self.push_execution(ctx, id, execution, cx);
            }
        }
    }

    fn on_executions(
        &mut self,
        (ctx, id): (ContextId, String),
        result: Result<Vec<crate::aws::associations::AssociationExecution>, crate::aws::AwsError>,
        cx: &mut AssociationsCx,
    ) {
        let shown = matches!(self.inner(), Some(Inner::Association { ctx: c, id: i, .. }) if *c == ctx && *i == id);
        if !shown {
            return;
        }
        let running = match result {
            Ok(x) => {
                let running = x.iter().any(|e| e.running());
                self.executions = Loaded::Ready(x);
                running
            }
            // A failed poll keeps what is on screen; the first read says why.
            Err(e) if self.executions.ready().is_some() => {
                cx.notice(format!("reading the executions again failed: {e}"));
                true
            }
            Err(e) => {
                self.executions = Loaded::Failed(e.to_string());
                false
            }
        };
        if running {
            self.polls_after_apply = 0;
        }
        let again = running || self.polls_after_apply > 0;
        self.polls_after_apply = self.polls_after_apply.saturating_sub(1);
        if again && self.polls > 0 {
            self.polls -= 1;
            cx.job(AssociationsJob::Executions {
                ctx,
                id,
                delay_ms: POLL_MS,
            });
        }
        let len = self.rows_len();
        let rows = self.page_rows;
        self.cursor_mut().keep_in_view(len, rows);
    }

    fn on_targets(
        &mut self,
        (ctx, id, execution): (ContextId, String, String),
        result: Result<Vec<crate::aws::associations::ExecutionTarget>, crate::aws::AwsError>,
        cx: &mut AssociationsCx,
    ) {
        let shown = matches!(self.inner(), Some(Inner::Execution { ctx: c, execution: x, .. }) if *c == ctx && *x == execution);
        if !shown {
            return;
        }
        let running = match result {
            Ok(t) => {
                let by: std::collections::HashMap<&str, &str> = cx
                    .shared
                    .nodes
                    .iter()
                    .map(|n| (n.id.as_str(), n.name.as_str()))
                    .collect();
                for x in &t {
                    if let Some(name) = by.get(x.resource.as_str()).filter(|n| !n.is_empty()) {
                        self.names.insert(x.resource.clone(), (*name).to_owned());
                    }
                }
                let running = t
                    .iter()
                    .any(|x| matches!(x.status.as_str(), "Pending" | "InProgress"));
                self.targets = Loaded::Ready(t);
                running
            }
            Err(e) if self.targets.ready().is_some() => {
                cx.notice(format!("reading the targets again failed: {e}"));
                true
            }
            Err(e) => {
                self.targets = Loaded::Failed(e.to_string());
                false
            }
        };
        if running && self.polls > 0 {
            self.polls -= 1;
            cx.job(AssociationsJob::Targets {
                ctx,
                id,
                execution,
                delay_ms: POLL_MS,
            });
        }
        let len = self.rows_len();
        let rows = self.page_rows;
        self.cursor_mut().keep_in_view(len, rows);
    }

    fn on_applied(
        &mut self,
        ctx: ContextId,
        ids: Vec<String>,
        result: Result<(), crate::aws::AwsError>,
        cx: &mut AssociationsCx,
    ) {
        match result {
            Err(e) => cx.notice(format!("apply now failed: {e}")),
            Ok(()) => {
                let names: Vec<String> = ids
                    .iter()
                    .map(|id| {
                        self.find(ctx, id)
                            .map_or(id.clone(), |a| a.label().to_owned())
                    })
                    .collect();
                cx.notice(format!(
                    "{} applied now; its execution shows here as it starts",
                    names.join(", ")
                ));
                // Watch the executions of the one shown for the new run.
                if let Some(Inner::Association { ctx: c, id, .. }) = self.inner().cloned()
                    && c == ctx
                    && ids.contains(&id)
                {
                    self.polls_after_apply = POLLS_AFTER_APPLY;
                    self.polls = POLL_BUDGET;
                    cx.job(AssociationsJob::Executions {
                        ctx,
                        id,
                        delay_ms: POLL_MS,
                    });
                }
            }
        }
    }
}

impl Pane for AssociationsState {
    type Msg = AssociationsMsg;
    type Job = AssociationsJob;
    type Ask = std::convert::Infallible;

    fn contexts_changed(&mut self, labels: &[crate::model::ContextLabel]) {
        self.contexts = labels.to_vec();
    }

    fn title(&self) -> &'static str {
        "Associations"
    }

    fn layer(&self) -> Layer {
        Layer::Associations
    }

    fn on_show(&mut self, cx: &mut AssociationsCx) {
        if !self.started {
            self.reload(cx);
        }
    }

    fn refresh(&mut self, cx: &mut AssociationsCx) {
        self.reread(cx);
    }

    fn command(&mut self, c: Command, cx: &mut AssociationsCx) -> Handled {
        if raw_json::command(&mut self.raw, c, cx.shared.page_rows) {
            return Handled::Yes;
        }
        let (len, rows) = (
            self.rows_len(),
            cx.shared.page_rows.saturating_sub(8).max(1),
        );
        if self.cursor_mut().command(c, len, rows) {
            return Handled::Yes;
        }
        match c {
            Command::OpenDetails => self.open(cx),
            Command::Back => {
                if self.stack.pop().is_none() {
                    if self.filter.is_empty() {
                        return Handled::No;
                    }
                    self.filter.clear();
                    self.derive();
                }
            }
            Command::Filter if self.inner().is_none() => {
                self.filter_before = Some(self.filter.clone());
                cx.request(Request::Filter);
            }
            Command::ApplyNow => self.apply_now(cx),
            Command::RawJson => self.raw_json(),
            Command::JumpToNode => {
                if let Some(Inner::Execution { cursor, .. }) = self.inner()
                    && let Some(t) = self.targets.ready().and_then(|t| t.get(cursor.at))
                {
                    cx.request(Request::Open(Goto::Node(t.resource.clone())));
                }
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn message(&mut self, m: AssociationsMsg, cx: &mut AssociationsCx) {
        match m {
            AssociationsMsg::List {
                generation,
                ctx,
                result,
            } => {
                if generation != self.generation {
                    return;
                }
                self.pending = self.pending.saturating_sub(1);
                match result {
                    Ok(rows) => self.rows.extend(rows.into_iter().map(|a| (ctx, a))),
                    Err(e) => self.failed.push((ctx, e.to_string())),
                }
                self.derive();
            }
            AssociationsMsg::Described { ctx, id, result } => {
                if self.association() == Some((ctx, id)) && self.inner().is_some() {
                    self.detail = match result {
                        Ok(d) => Loaded::Ready(*d),
                        Err(e) => Loaded::Failed(e.to_string()),
                    };
                }
            }
            AssociationsMsg::Executions { ctx, id, result } => {
                self.on_executions((ctx, id), result, cx);
            }
            AssociationsMsg::Targets {
                ctx,
                id,
                execution,
                result,
            } => self.on_targets((ctx, id, execution), result, cx),
            AssociationsMsg::Applied { ctx, ids, result } => self.on_applied(ctx, ids, result, cx),
        }
    }

    fn view(&self, frame: &mut ratatui::Frame, area: ratatui::layout::Rect, rcx: &RenderContext) {
        super::view::render(frame, area, self, rcx);
    }

    fn hints(&self) -> &'static [(Command, &'static str)] {
        match self.inner() {
            None => LIST_HINTS,
            Some(Inner::Association { .. }) => ASSOCIATION_HINTS,
            Some(Inner::Execution { .. }) => EXECUTION_HINTS,
        }
    }

    fn crumb(&self) -> Option<String> {
        let (ctx, id) = self.association().filter(|_| self.inner().is_some())?;
        let label = self
            .find(ctx, &id)
            .map_or_else(|| id.clone(), |a| a.label().to_owned());
        Some(match self.inner() {
            Some(Inner::Execution { execution, .. }) => {
                format!("{label} › {}", execution.get(..8).unwrap_or(execution))
            }
            _ => label,
        })
    }

    fn filter_input(
        &mut self,
        k: InputKey,
        cursor: &mut Option<usize>,
        cx: &mut AssociationsCx,
    ) -> bool {
        let (step, changed) = plain_filter(&mut self.filter, &mut self.filter_before, cursor, k);
        if changed {
            self.cursor = ListCursor::default();
            self.derive();
        }
        let len = self.shown.len();
        self.cursor.filter_step(step, len, cx.shared.page_rows)
    }

    fn filter_line(&self) -> (String, &'static str) {
        (self.filter.clone(), FILTER_HELP)
    }

    fn settle(&mut self, cx: &mut AssociationsCx) {
        self.now_s = cx.shared.epoch_s;
        self.page_rows = cx.shared.page_rows;
    }

    fn click(&mut self, column: u16, row: u16, _cx: &mut AssociationsCx) -> Option<Command> {
        let len = self.rows_len();
        let at = self.cursor_mut().at;
        let click = self.hits.click(column, row, len, at);
        click.act(|i| self.cursor_mut().at = i)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::time::Instant;

    use super::*;
    use crate::aws::associations::{Association, AssociationExecution, ExecutionTarget};
    use crate::job::Job;
    use crate::pane::Shared;

    type Out = (
        Vec<AssociationsJob>,
        Vec<Request<AssociationsJob, std::convert::Infallible>>,
    );

    fn with(
        p: &mut AssociationsState,
        f: impl FnOnce(&mut AssociationsState, &mut AssociationsCx),
    ) -> Out {
        let shared = Shared {
            size: (120, 40),
            where_: "account 1, region r",
            selected: &HashSet::new(),
            page_rows: 30,
            ..Shared::default()
        };
        let ((), jobs, requests) = crate::panes::harness::run(p, shared, Instant::now(), f);
        (jobs, requests)
    }

    fn loaded() -> AssociationsState {
        let mut p = AssociationsState::default();
        with(&mut p, |p, cx| p.on_show(cx));
        let rows = vec![Association {
            id: "a-1".into(),
            name: "cw-agent".into(),
            document: "AWS-ConfigureAWSPackage".into(),
            targets: vec!["tag:Env=prod".into()],
            ..Association::default()
        }];
        let m = AssociationsMsg::List {
            generation: p.generation,
            ctx: ContextId(0),
            result: Ok(rows),
        };
        with(&mut p, |p, cx| p.message(m, cx));
        p
    }

    #[test]
    fn apply_now_asks_first_and_declares_its_write_then_watches_the_executions() {
        let mut p = loaded();
        let (jobs, _) = with(&mut p, |p, cx| {
            p.command(Command::OpenDetails, cx);
        });
        assert!(jobs.contains(&AssociationsJob::Describe {
            ctx: ContextId(0),
            id: "a-1".into()
        }));
        let (jobs, requests) = with(&mut p, |p, cx| {
            p.command(Command::ApplyNow, cx);
        });
        assert!(jobs.is_empty(), "nothing runs before the answer");
        let Some(Request::Confirm { lines, yes, .. }) = requests.first() else {
            panic!("a confirmation: {requests:?}")
        };
        assert!(
            lines.iter().any(|l| l.contains("tag:Env=prod")),
            "{lines:?}"
        );
        let m = yes.mutation().expect("a write");
        assert_eq!(m.action, "ssm:StartAssociationsOnce");
        assert_eq!(m.targets, vec!["a-1".to_owned()]);
        let applied = AssociationsMsg::Applied {
            ctx: ContextId(0),
            ids: vec!["a-1".into()],
            result: Ok(()),
        };
        let (jobs, _) = with(&mut p, |p, cx| p.message(applied, cx));
        assert!(matches!(
            jobs.as_slice(),
            [AssociationsJob::Executions {
                delay_ms: POLL_MS,
                ..
            }]
        ));
        // Nothing running yet: still watched, for a bounded number of polls.
        let mut polls = 0;
        loop {
            let m = AssociationsMsg::Executions {
                ctx: ContextId(0),
                id: "a-1".into(),
                result: Ok(Vec::new()),
            };
            let (jobs, _) = with(&mut p, |p, cx| p.message(m, cx));
            if jobs.is_empty() {
                break;
            }
            polls += 1;
            assert!(polls <= POLLS_AFTER_APPLY, "bounded");
        }
        assert!(polls > 0);
    }

    #[test]
    fn a_target_opens_its_command_and_its_node() {
        let mut p = loaded();
        with(&mut p, |p, cx| {
            p.command(Command::OpenDetails, cx);
        });
        let m = AssociationsMsg::Executions {
            ctx: ContextId(0),
            id: "a-1".into(),
            result: Ok(vec![AssociationExecution {
                id: "e-1".into(),
                status: "Failed".into(),
                ..AssociationExecution::default()
            }]),
        };
        let (jobs, _) = with(&mut p, |p, cx| p.message(m, cx));
        assert!(jobs.is_empty(), "a finished execution is not polled");
        let (jobs, _) = with(&mut p, |p, cx| {
            p.command(Command::OpenDetails, cx);
        });
        assert!(
            matches!(jobs.as_slice(), [AssociationsJob::Targets { execution, .. }] if execution == "e-1")
        );
        let m = AssociationsMsg::Targets {
            ctx: ContextId(0),
            id: "a-1".into(),
            execution: "e-1".into(),
            result: Ok(vec![ExecutionTarget {
                resource: "i-0123".into(),
                status: "Failed".into(),
                output: Some(("cmd-1".into(), "RunCommand".into())),
                ..ExecutionTarget::default()
            }]),
        };
        with(&mut p, |p, cx| p.message(m, cx));
        let (_, requests) = with(&mut p, |p, cx| {
            p.command(Command::OpenDetails, cx);
        });
        assert!(
            matches!(requests.as_slice(), [Request::Open(Goto::Command { id, .. })] if id == "cmd-1"),
            "{requests:?}"
        );
        let (_, requests) = with(&mut p, |p, cx| {
            p.command(Command::JumpToNode, cx);
        });
        assert_eq!(requests, vec![Request::Open(Goto::Node("i-0123".into()))]);
        assert_eq!(p.crumb().as_deref(), Some("cw-agent › e-1"));
        // Esc walks back: targets, association, list, then the shell.
        for _ in 0..2 {
            assert_eq!(with_cmd(&mut p, Command::Back), Handled::Yes);
        }
        assert_eq!(with_cmd(&mut p, Command::Back), Handled::No);
    }

    fn with_cmd(p: &mut AssociationsState, c: Command) -> Handled {
        let mut h = Handled::No;
        with(p, |p, cx| h = p.command(c, cx));
        h
    }
}
