//! The Maintenance pane behind the [`Pane`] trait: keys, job messages,
//! the route inside the pane, and the confirmations of its two writes.

use super::jobs::{HORIZON_S, MaintenanceJob, MaintenanceMsg};
use super::state::{Inner, Loaded, MaintenanceState, TopTab, WindowTab, is_final};
use super::{CALENDAR_EVERY_S, MaintenanceAsk, RUNNING_POLL_MS};
use crate::config::Layer;
use crate::keys::Command;
use crate::model::ContextId;
use crate::pane::{Cx, Goto, Handled, Pane, RenderContext, Request};
use crate::widgets::list::ListCursor;
use crate::widgets::raw_json::{self, RawJson, sanitize};

/// The pane's side of one update.
pub type MaintenanceCx<'a> = Cx<'a, MaintenanceJob, MaintenanceAsk>;

const TOP_HINTS: &[(Command, &str)] = &[
    (Command::Help, "help"),
    (Command::OpenDetails, "open"),
    (Command::NextTab, "windows/upcoming/calendars"),
    (Command::ToggleEnabled, "enable/disable"),
    (Command::RawJson, "JSON"),
    (Command::Refresh, "reload"),
];

const WINDOW_HINTS: &[(Command, &str)] = &[
    (Command::Back, "back"),
    (Command::OpenDetails, "open execution"),
    (Command::NextTab, "executions/tasks/targets"),
    (Command::CancelCommand, "cancel run"),
    (Command::ToggleEnabled, "enable/disable"),
    (Command::RawJson, "JSON"),
];

const EXECUTION_HINTS: &[(Command, &str)] = &[
    (Command::Back, "back"),
    (Command::OpenDetails, "open in Run Command"),
    (Command::CancelCommand, "cancel run"),
    (Command::RawJson, "JSON"),
    (Command::Refresh, "reload"),
];

const CALENDAR_HINTS: &[(Command, &str)] = &[
    (Command::Back, "back"),
    (Command::AtTime, "state at a time"),
    (Command::Refresh, "reload"),
];

impl MaintenanceState {
    /// Whether the calendars should be read again (never read, or
    /// [`CALENDAR_EVERY_S`] ago) at `now_s`.
    pub fn calendars_due(&self, now_s: i64) -> bool {
        self.calendars_asked_s
            .is_none_or(|t| now_s - t >= CALENDAR_EVERY_S)
    }

    /// Reads every context's change calendars again (the badge, the
    /// Calendars list, the Upcoming marks).
    pub fn check_calendars(&mut self, cx: &mut MaintenanceCx) {
        let now = cx.shared.epoch_s;
        self.calendars_asked_s = Some(now);
        self.calendar_generation += 1;
        cx.job(MaintenanceJob::Calendars {
            generation: self.calendar_generation,
            from_s: now,
            until_s: now + HORIZON_S,
        });
    }

    /// Lists every context's windows again (a new generation).
    fn reload_windows(&mut self, cx: &mut MaintenanceCx) {
        self.generation += 1;
        self.windows_pending = cx.shared.contexts.len().max(1);
        self.windows_failed.clear();
        cx.job(MaintenanceJob::Windows {
            generation: self.generation,
        });
    }

    /// When window `id` of context `ctx` runs next, epoch seconds (`None`:
    /// not scheduled, or not listed).
    fn next_run_s(&self, ctx: ContextId, id: &str) -> Option<i64> {
        self.window(ctx, id)?
            .next_execution
            .as_deref()
            .and_then(crate::aws::maintenance::parse_iso8601)
    }

    fn load_upcoming(&mut self, cx: &mut MaintenanceCx) {
        self.upcoming = Loaded::Loading;
        self.upcoming_pending = cx.shared.contexts.len().max(1);
        self.upcoming_failed.clear();
        self.upcoming_generation += 1;
        cx.job(MaintenanceJob::Upcoming {
            generation: self.upcoming_generation,
            until_s: cx.shared.epoch_s + HORIZON_S,
        });
    }

    /// Reads what the route's top shows.
    fn load_inner(&mut self, delay_ms: u64, cx: &mut MaintenanceCx) {
        match self.inner().cloned() {
            Some(Inner::Window { ctx, id, .. }) => {
                if delay_ms == 0 {
                    self.details = Loaded::Loading;
                }
                cx.job(MaintenanceJob::Details {
                    ctx,
                    window: id,
                    delay_ms,
                });
            }
            Some(Inner::Execution {
                ctx, window, id, ..
            }) => {
                if delay_ms == 0 {
                    self.execution = Loaded::Loading;
                }
                cx.job(MaintenanceJob::ExecutionTasks {
                    ctx,
                    execution: id,
                    delay_ms,
                });
                cx.job(MaintenanceJob::Details {
                    ctx,
                    window,
                    delay_ms,
                });
            }
            Some(Inner::Calendar { ctx, name, .. }) => {
                self.calendar_text = Loaded::Loading;
                self.calendar_at = Loaded::NotAsked;
                cx.job(MaintenanceJob::CalendarContent { ctx, name });
            }
            None => {}
        }
    }

    /// Reads what the route's top shows again, keeping what is on screen
    /// until the answer comes (Esc back to a window or an execution).
    fn reread_inner(&mut self, cx: &mut MaintenanceCx) {
        match self.inner().cloned() {
            Some(Inner::Window { ctx, id, .. }) => cx.job(MaintenanceJob::Details {
                ctx,
                window: id,
                delay_ms: 0,
            }),
            Some(Inner::Execution { ctx, id, .. }) => cx.job(MaintenanceJob::ExecutionTasks {
                ctx,
                execution: id,
                delay_ms: 0,
            }),
            _ => {}
        }
    }

    /// Rows in the list on screen.
    fn rows_shown(&self) -> usize {
        match self.inner() {
            None => match self.tab {
                TopTab::Windows => self.windows.len(),
                TopTab::Upcoming => self.upcoming.ready().map_or(0, Vec::len),
                TopTab::Calendars => self.calendars.len(),
            },
            Some(Inner::Window { tab, .. }) => self.details.ready().map_or(0, |d| match tab {
                WindowTab::Executions => d.executions.len(),
                WindowTab::Tasks => d.tasks.len(),
                WindowTab::Targets => d.targets.len(),
            }),
            Some(Inner::Execution { .. }) => self.invocations().len(),
            // Lines of the view: events plus the state lines above them.
            Some(Inner::Calendar { .. }) => {
                self.calendar_text.ready().map_or(0, |p| p.events.len() + 8)
            }
        }
    }

    /// The cursor of the list on screen.
    fn cursor_mut(&mut self) -> Option<&mut ListCursor> {
        let top = TopTab::ALL.iter().position(|t| *t == self.tab).unwrap_or(0);
        match self.stack.last_mut() {
            None => Some(&mut self.cursors[top]),
            Some(Inner::Window { tab, cursors, .. }) => {
                let i = WindowTab::ALL.iter().position(|t| t == tab).unwrap_or(0);
                Some(&mut cursors[i])
            }
            Some(Inner::Execution { cursor, .. }) | Some(Inner::Calendar { cursor, .. }) => {
                Some(cursor)
            }
        }
    }

    /// The cursor's row in the list on screen.
    pub fn cursor_at(&self) -> usize {
        let top = TopTab::ALL.iter().position(|t| *t == self.tab).unwrap_or(0);
        match self.inner() {
            None => self.cursors[top].at,
            Some(Inner::Window { tab, cursors, .. }) => {
                cursors[WindowTab::ALL.iter().position(|t| t == tab).unwrap_or(0)].at
            }
            Some(Inner::Execution { cursor, .. }) | Some(Inner::Calendar { cursor, .. }) => {
                cursor.at
            }
        }
    }

    fn rows(&self) -> usize {
        self.page_rows.saturating_sub(3).max(1)
    }

    fn switch_tab(&mut self, step: isize, cx: &mut MaintenanceCx) {
        match self.stack.last_mut() {
            None => {
                let i = TopTab::ALL.iter().position(|t| *t == self.tab).unwrap_or(0);
                self.tab = TopTab::ALL[(i as isize + step).rem_euclid(3) as usize];
                if self.tab == TopTab::Upcoming && self.upcoming == Loaded::NotAsked {
                    self.load_upcoming(cx);
                }
            }
            Some(Inner::Window { tab, .. }) => {
                let i = WindowTab::ALL.iter().position(|t| t == tab).unwrap_or(0);
                *tab = WindowTab::ALL[(i as isize + step).rem_euclid(3) as usize];
            }
            _ => {}
        }
    }

    fn push(&mut self, inner: Inner, cx: &mut MaintenanceCx) {
        self.stack.push(inner);
        self.load_inner(0, cx);
    }

    fn open_window(&mut self, ctx: ContextId, id: String, cx: &mut MaintenanceCx) {
        self.push(
            Inner::Window {
                ctx,
                id,
                tab: WindowTab::default(),
                cursors: Default::default(),
            },
            cx,
        );
    }

    /// Enter on the row under the cursor.
    fn open(&mut self, cx: &mut MaintenanceCx) {
        let at = self.cursor_at();
        match self.inner().cloned() {
            None => match self.tab {
                TopTab::Windows => {
                    if let Some((ctx, w)) = self.windows.get(at).cloned() {
                        self.open_window(ctx, w.id, cx);
                    }
                }
                TopTab::Upcoming => {
                    let run = self.upcoming.ready().and_then(|u| u.get(at)).cloned();
                    if let Some((ctx, r)) = run {
                        self.open_window(ctx, r.window_id, cx);
                    }
                }
                TopTab::Calendars => {
                    if let Some((ctx, t)) = self.calendars.get(at).cloned() {
                        self.push(
                            Inner::Calendar {
                                ctx,
                                name: t.now.name,
                                cursor: ListCursor::default(),
                            },
                            cx,
                        );
                    }
                }
            },
            Some(Inner::Window { ctx, id, tab, .. }) => {
                let exec = self
                    .details
                    .ready()
                    .and_then(|d| d.executions.get(at))
                    .cloned();
                match (tab, exec) {
                    (WindowTab::Executions, Some(x)) => self.push(
                        Inner::Execution {
                            ctx,
                            window: id,
                            id: x.id,
                            cursor: ListCursor::default(),
                        },
                        cx,
                    ),
                    (WindowTab::Executions, None) => {}
                    _ => cx.notice("Enter opens an execution: Tab to the Executions list"),
                }
            }
            Some(Inner::Execution { ctx, .. }) => self.open_invocation(ctx, at, cx),
            Some(Inner::Calendar { .. }) => {}
        }
    }

    /// Enter on an invocation: its Run Command command in the Run Command
    /// pane; other task types are named.
    fn open_invocation(&mut self, ctx: ContextId, at: usize, cx: &mut MaintenanceCx) {
        let Some((task, inv)) = self
            .invocations()
            .get(at)
            .map(|(t, i)| ((*t).clone(), (*i).clone()))
        else {
            return;
        };
        match (inv.task_type.as_str(), inv.execution_id.is_empty()) {
            (_, true) => cx.notice(format!(
                "invocation {} started nothing yet ({})",
                inv.id, inv.status
            )),
            ("RUN_COMMAND", false) => cx.request(Request::Open(Goto::Command {
                id: inv.execution_id,
                document: task.task.map(|(arn, _)| arn).unwrap_or_default(),
                ctx,
            })),
            ("AUTOMATION", false) => cx.request(Request::Open(Goto::Execution {
                ctx,
                id: inv.execution_id,
            })),
            (kind, false) => cx.notice(format!(
                "{kind} execution {}: ssmdeck opens Run Command commands and Automation executions only",
                sanitize(&inv.execution_id)
            )),
        }
    }

    /// The execution the cursor names: the Execution view's, or the row
    /// under the cursor in a window's Executions list.
    fn execution_at_cursor(&self) -> Option<(ContextId, String, String)> {
        let at = self.cursor_at();
        let name_of = |ctx, id: &str| {
            self.window(ctx, id)
                .map_or_else(|| id.to_owned(), |w| w.name.clone())
        };
        match self.inner()? {
            Inner::Window {
                ctx,
                id,
                tab: WindowTab::Executions,
                ..
            } => {
                let x = self.details.ready()?.executions.get(at)?;
                Some((*ctx, x.id.clone(), name_of(*ctx, id)))
            }
            Inner::Execution {
                ctx, window, id, ..
            } => Some((*ctx, id.clone(), name_of(*ctx, window))),
            _ => None,
        }
    }

    fn execution_status(&self, id: &str) -> Option<String> {
        self.details
            .ready()?
            .executions
            .iter()
            .find(|x| x.id == id)
            .map(|x| x.status.clone())
    }

    /// `x`: cancel the execution under the cursor, asked first.
    fn ask_cancel(&mut self, cx: &mut MaintenanceCx) {
        let Some((ctx, execution, window_name)) = self.execution_at_cursor() else {
            cx.notice("choose an execution first: open a window, then its Executions list");
            return;
        };
        let status = self.execution_status(&execution).unwrap_or_default();
        if is_final(&status) {
            cx.notice(format!(
                "execution {execution} is {status}: nothing to cancel"
            ));
            return;
        }
        let place = match self.context_name(ctx) {
            p if p.is_empty() => cx.shared.where_.to_owned(),
            p => p,
        };
        cx.request(Request::Confirm {
            title: "Cancel maintenance window execution?".into(),
            lines: vec![
                format!(
                    "Window {}: execution {execution} ({status}).",
                    sanitize(&window_name)
                ),
                "Tasks not started yet will not start; running commands are cancelled.".into(),
                format!("CancelMaintenanceWindowExecution in {place}."),
                "y cancels it · n keeps it running".into(),
            ],
            yes: MaintenanceJob::Cancel {
                ctx,
                execution,
                window_name,
            },
        });
    }

    /// The window the cursor or the route names.
    fn window_in_view(&self) -> Option<(ContextId, String)> {
        for inner in self.stack.iter().rev() {
            if let Inner::Window { ctx, id, .. }
            | Inner::Execution {
                ctx, window: id, ..
            } = inner
            {
                return Some((*ctx, id.clone()));
            }
        }
        match self.tab {
            TopTab::Windows => self.window_at_cursor().map(|(c, w)| (*c, w.id.clone())),
            TopTab::Upcoming => self
                .upcoming
                .ready()
                .and_then(|u| u.get(self.cursors[1].at))
                .map(|(c, r)| (*c, r.window_id.clone())),
            TopTab::Calendars => None,
        }
    }

    /// `E`: enable or disable the window in view, asked first.
    fn ask_toggle(&mut self, cx: &mut MaintenanceCx) {
        let Some((ctx, id)) = self.window_in_view() else {
            cx.notice("choose a window first");
            return;
        };
        let Some(w) = self.window(ctx, &id).cloned() else {
            cx.notice(format!("window {id} is not listed yet: r reloads"));
            return;
        };
        let enable = !w.enabled;
        let place = match self.context_name(ctx) {
            p if p.is_empty() => cx.shared.where_.to_owned(),
            p => p,
        };
        let what = if enable {
            "It runs again on its schedule".to_owned()
        } else {
            match &w.next_execution {
                Some(next) => format!(
                    "Its next run ({}) and every later one will not happen",
                    sanitize(next)
                ),
                None => "It will not run until enabled again".to_owned(),
            }
        };
        cx.request(Request::Confirm {
            title: format!(
                "{} maintenance window?",
                if enable { "Enable" } else { "Disable" }
            ),
            lines: vec![
                format!(
                    "{} ({}) · {}",
                    sanitize(&w.name),
                    w.id,
                    sanitize(&w.schedule)
                ),
                format!("{what}; a running execution is not stopped (x cancels it)."),
                format!("UpdateMaintenanceWindow Enabled={enable} in {place}."),
                format!(
                    "y {} it · n leaves it",
                    if enable { "enables" } else { "disables" }
                ),
            ],
            yes: MaintenanceJob::SetEnabled {
                ctx,
                window: w.id,
                name: w.name,
                enabled: enable,
            },
        });
    }

    /// `y`: the object under the cursor as JSON.
    fn raw_view(&mut self, cx: &mut MaintenanceCx) {
        let at = self.cursor_at();
        let view = match self.inner() {
            None => match self.tab {
                TopTab::Windows => self.windows.get(at).map(|(_, w)| RawJson::of(&w.id, w)),
                TopTab::Upcoming => self
                    .upcoming
                    .ready()
                    .and_then(|u| u.get(at))
                    .map(|(_, r)| RawJson::of(&r.window_id, r)),
                TopTab::Calendars => self
                    .calendars
                    .get(at)
                    .map(|(_, t)| RawJson::of(&t.now.name, t)),
            },
            Some(Inner::Window { tab, .. }) => self.details.ready().and_then(|d| match tab {
                WindowTab::Executions => d.executions.get(at).map(|x| RawJson::of(&x.id, x)),
                WindowTab::Tasks => d.tasks.get(at).map(|x| RawJson::of(&x.id, x)),
                WindowTab::Targets => d.targets.get(at).map(|x| RawJson::of(&x.id, x)),
            }),
            Some(Inner::Execution { .. }) => self
                .invocations()
                .get(at)
                .map(|(_, i)| RawJson::of(&i.id, *i)),
            Some(Inner::Calendar { name, .. }) => {
                self.calendar_text.ready().map(|p| RawJson::of(name, p))
            }
        };
        match view {
            Some(v) => self.raw = Some(v),
            None => cx.notice("nothing under the cursor to show"),
        }
    }
}

impl Pane for MaintenanceState {
    type Msg = MaintenanceMsg;
    type Job = MaintenanceJob;
    type Ask = MaintenanceAsk;

    fn key_mutation(c: Command) -> Option<&'static str> {
        Some(match c {
            Command::CancelCommand => "ssm:CancelMaintenanceWindowExecution",
            _ => return None,
        })
    }

    fn contexts_changed(&mut self, labels: &[crate::model::ContextLabel]) {
        self.contexts = labels.to_vec();
    }

    fn switch_context(&mut self) {
        // Which calendars matter is the user's setting, not the context's.
        let calendars_that_matter = std::mem::take(&mut self.calendars_that_matter);
        *self = MaintenanceState::default();
        self.calendars_that_matter = calendars_that_matter;
    }

    fn title(&self) -> &'static str {
        "Maintenance"
    }

    fn layer(&self) -> Layer {
        Layer::Maintenance
    }

    fn on_show(&mut self, cx: &mut MaintenanceCx) {
        if !self.started {
            self.refresh(cx);
        }
        self.settle(cx);
    }

    fn refresh(&mut self, cx: &mut MaintenanceCx) {
        self.started = true;
        self.reload_windows(cx);
        self.check_calendars(cx);
        if self.upcoming != Loaded::NotAsked {
            self.load_upcoming(cx);
        }
        self.load_inner(0, cx);
    }

    fn command(&mut self, c: Command, cx: &mut MaintenanceCx) -> Handled {
        let rows = self.rows();
        if raw_json::command(&mut self.raw, c, rows) {
            return Handled::Yes;
        }
        match c {
            Command::Back => {
                if self.stack.pop().is_none() {
                    return Handled::No;
                }
                // What is shown again may have moved on meanwhile (its
                // re-reads stopped while another view was on top).
                self.reread_inner(cx);
            }
            Command::NextTab => self.switch_tab(1, cx),
            Command::PrevTab => self.switch_tab(-1, cx),
            Command::OpenDetails => self.open(cx),
            Command::CancelCommand => self.ask_cancel(cx),
            Command::ToggleEnabled => self.ask_toggle(cx),
            Command::RawJson => self.raw_view(cx),
            Command::AtTime => match self.inner() {
                Some(Inner::Calendar { ctx, name, .. }) => cx.request(Request::Prompt {
                    title: format!(
                        "State of {} at (UTC, 2026-12-24T09:00Z or 2026-12-24 09:00)",
                        sanitize(name)
                    ),
                    text: crate::aws::maintenance::iso8601(cx.shared.epoch_s),
                    ask: MaintenanceAsk::CalendarAt {
                        ctx: *ctx,
                        name: name.clone(),
                    },
                }),
                _ => cx.notice("open a change calendar first (Calendars list, Enter)"),
            },
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

    fn answer(&mut self, ask: MaintenanceAsk, text: String, cx: &mut MaintenanceCx) {
        let MaintenanceAsk::CalendarAt { ctx, name } = ask;
        let normal = text.trim().replacen(' ', "T", 1);
        let normal = if normal.ends_with('Z') || normal.contains('+') {
            normal
        } else {
            format!("{normal}Z")
        };
        let Some(t) = crate::aws::maintenance::parse_iso8601(&normal) else {
            cx.notice(format!(
                "not a time: {} — write it as 2026-12-24T09:00Z or 2026-12-24 09:00 (UTC)",
                sanitize(&text)
            ));
            return;
        };
        self.calendar_at = Loaded::Loading;
        cx.job(MaintenanceJob::CalendarAt {
            ctx,
            name,
            at: crate::aws::maintenance::iso8601(t),
        });
    }

    fn message(&mut self, m: MaintenanceMsg, cx: &mut MaintenanceCx) {
        self.now_s = cx.shared.epoch_s;
        self.take(m, cx);
        self.settle(cx);
    }

    fn settle(&mut self, cx: &mut MaintenanceCx) {
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
            Some(Inner::Window { .. }) => WINDOW_HINTS,
            Some(Inner::Execution { .. }) => EXECUTION_HINTS,
            Some(Inner::Calendar { .. }) => CALENDAR_HINTS,
        }
    }

    fn crumb(&self) -> Option<String> {
        Some(match self.inner() {
            None => self.tab.title().to_lowercase(),
            Some(Inner::Window { ctx, id, tab, .. }) => format!(
                "{} · {}",
                sanitize(
                    self.window(*ctx, id)
                        .map_or(id.as_str(), |w| w.name.as_str())
                ),
                tab.title().to_lowercase()
            ),
            Some(Inner::Execution { id, .. }) => format!("execution {}", sanitize(id)),
            Some(Inner::Calendar { name, .. }) => format!("calendar {}", sanitize(name)),
        })
    }

    fn click(&mut self, column: u16, row: u16, _cx: &mut MaintenanceCx) -> Option<Command> {
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

impl MaintenanceState {
    /// Folds one job message into the state.
    fn take(&mut self, m: MaintenanceMsg, cx: &mut MaintenanceCx) {
        match m {
            MaintenanceMsg::Windows {
                generation,
                ctx,
                result,
            } => {
                if generation != self.generation {
                    return;
                }
                self.windows_pending = self.windows_pending.saturating_sub(1);
                match result {
                    Ok(ws) => {
                        self.windows.retain(|(c, _)| *c != ctx);
                        self.windows.extend(ws.into_iter().map(|w| (ctx, w)));
                        self.windows
                            .sort_by(|(a, x), (b, y)| a.cmp(b).then_with(|| x.name.cmp(&y.name)));
                    }
                    Err(e) => self.windows_failed.push((ctx, e.to_string())),
                }
            }
            MaintenanceMsg::Upcoming {
                generation,
                ctx,
                result,
            } => self.take_upcoming(generation, ctx, result),
            MaintenanceMsg::Calendars {
                generation,
                ctx,
                result,
            } => {
                if generation != self.calendar_generation {
                    return;
                }
                self.calendars_failed.retain(|(c, _)| *c != ctx);
                match result {
                    Ok(ts) => {
                        self.calendars.retain(|(c, _)| *c != ctx);
                        self.calendars.extend(ts.into_iter().map(|t| (ctx, t)));
                        self.calendars.sort_by(|(a, x), (b, y)| {
                            a.cmp(b).then_with(|| x.now.name.cmp(&y.now.name))
                        });
                    }
                    Err(e) => self.calendars_failed.push((ctx, e.to_string())),
                }
            }
            m => self.take_inner(m, cx),
        }
    }

    fn take_upcoming(
        &mut self,
        generation: u64,
        ctx: ContextId,
        result: Result<Vec<crate::aws::maintenance::ScheduledRun>, crate::aws::AwsError>,
    ) {
        if generation != self.upcoming_generation {
            return;
        }
        self.upcoming_pending = self.upcoming_pending.saturating_sub(1);
        let mut runs = match std::mem::take(&mut self.upcoming) {
            Loaded::Ready(r) => r,
            _ => Vec::new(),
        };
        match result {
            Ok(rs) => {
                runs.retain(|(c, _)| *c != ctx);
                runs.extend(rs.into_iter().map(|r| (ctx, r)));
                runs.sort_by(|(_, a), (_, b)| {
                    a.at_s.cmp(&b.at_s).then_with(|| a.name.cmp(&b.name))
                });
            }
            Err(e) => self.upcoming_failed.push((ctx, e.to_string())),
        }
        self.upcoming = Loaded::Ready(runs);
    }

    /// The messages about what the route shows, and the writes' answers.
    fn take_inner(&mut self, m: MaintenanceMsg, cx: &mut MaintenanceCx) {
        let top = self.inner().cloned();
        match m {
            MaintenanceMsg::Details {
                ctx,
                window,
                result,
            } => {
                let shown = self.stack.iter().any(|i| {
                    matches!(i,
                    Inner::Window { ctx: c, id, .. } | Inner::Execution { ctx: c, window: id, .. }
                    if *c == ctx && *id == window)
                });
                if !shown {
                    return;
                }
                let running = result
                    .as_ref()
                    .is_ok_and(|d| d.executions.iter().any(|x| !is_final(&x.status)));
                // The next run is due (or overdue, for at most 10 minutes):
                // read again until it shows, and list the windows again
                // once it has started (its NextExecutionTime has moved
                // on), once per due time.
                let next = self.next_run_s(ctx, &window);
                let started = next.is_some_and(|t| {
                    result.as_ref().is_ok_and(|d| {
                        d.executions
                            .iter()
                            .any(|x| x.start_s.is_some_and(|s| s + 60 >= t))
                    })
                });
                let due = next.is_some_and(|t| t <= self.now_s + 5 && self.now_s <= t + 600);
                self.details = match result {
                    Ok(d) => Loaded::Ready(d),
                    Err(e) => Loaded::Failed(e.to_string()),
                };
                if due && started && self.windows_reloaded_for != next {
                    self.windows_reloaded_for = next;
                    self.reload_windows(cx);
                }
                let this = matches!(&top, Some(Inner::Window { id, .. }) if *id == window);
                if this && (running || due) {
                    self.load_inner(RUNNING_POLL_MS, cx);
                }
            }
            MaintenanceMsg::ExecutionTasks {
                ctx,
                execution,
                result,
            } => {
                let Some(Inner::Execution { ctx: c, id, .. }) = &top else {
                    return;
                };
                if *c != ctx || *id != execution {
                    return;
                }
                let running = result.as_ref().is_ok_and(|ts| {
                    ts.iter().any(|(t, invs)| {
                        !is_final(&t.status) || invs.iter().any(|i| !is_final(&i.status))
                    })
                }) || self
                    .execution_status(&execution)
                    .is_some_and(|s| !is_final(&s));
                self.execution = match result {
                    Ok(ts) => Loaded::Ready(ts),
                    Err(e) => Loaded::Failed(e.to_string()),
                };
                if running {
                    self.load_inner(RUNNING_POLL_MS, cx);
                }
            }
            m @ (MaintenanceMsg::CalendarContent { .. } | MaintenanceMsg::CalendarAt { .. }) => {
                self.take_calendar(m, top.as_ref());
            }
            m => self.take_write(m, cx),
        }
    }

    /// A calendar's text or its state at a time, for the calendar shown.
    fn take_calendar(&mut self, m: MaintenanceMsg, top: Option<&Inner>) {
        let shown = |ctx: ContextId, name: &str| matches!(top, Some(Inner::Calendar { ctx: c, name: n, .. }) if *c == ctx && n == name);
        match m {
            MaintenanceMsg::CalendarContent { ctx, name, result } if shown(ctx, &name) => {
                self.calendar_text = match result {
                    Ok(t) => Loaded::Ready(super::ical::parse(&t)),
                    Err(e) => Loaded::Failed(e.to_string()),
                };
            }
            MaintenanceMsg::CalendarAt { ctx, name, result } if shown(ctx, &name) => {
                self.calendar_at = match result {
                    Ok(c) => Loaded::Ready(c),
                    Err(e) => Loaded::Failed(e.to_string()),
                };
            }
            _ => {}
        }
    }

    fn take_write(&mut self, m: MaintenanceMsg, cx: &mut MaintenanceCx) {
        match m {
            MaintenanceMsg::Cancelled {
                execution, result, ..
            } => match result {
                Ok(()) => {
                    cx.notice(format!(
                        "execution {execution}: cancel asked (CANCELLING, then CANCELLED)"
                    ));
                    self.load_inner(0, cx);
                }
                Err(e) => cx.notice(format!("execution {execution} not cancelled: {e}")),
            },
            MaintenanceMsg::Enabled {
                ctx,
                window,
                result,
            } => match result {
                Ok(on) => {
                    if let Some((_, w)) = self
                        .windows
                        .iter_mut()
                        .find(|(c, w)| *c == ctx && w.id == window)
                    {
                        w.enabled = on;
                        cx.notice(format!(
                            "window {}: {}",
                            sanitize(&w.name),
                            if on { "enabled" } else { "disabled" }
                        ));
                    }
                    self.refresh(cx);
                }
                Err(e) => cx.notice(format!("window {window} not changed: {e}")),
            },
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::aws::maintenance::{Execution, Invocation, Window, WindowDetails};
    use crate::job::Job;
    use crate::pane::Shared;

    type Requests = Vec<Request<MaintenanceJob, MaintenanceAsk>>;

    /// Runs `f` with a harness context at 2026-12-03 10:00 UTC; returns
    /// its result, the jobs and the requests.
    fn with<R>(
        p: &mut MaintenanceState,
        f: impl FnOnce(&mut MaintenanceState, &mut MaintenanceCx) -> R,
    ) -> (R, Vec<MaintenanceJob>, Requests) {
        let shared = Shared {
            size: (120, 40),
            where_: "account 1, region r",
            page_rows: 30,
            epoch_s: 1_796_292_000,
            ..Shared::default()
        };
        crate::panes::harness::run(p, shared, Instant::now(), f)
    }

    fn cmd(p: &mut MaintenanceState, c: Command) -> (Handled, Vec<MaintenanceJob>, Requests) {
        with(p, |p, cx| p.command(c, cx))
    }

    fn msg(p: &mut MaintenanceState, m: MaintenanceMsg) -> (Vec<MaintenanceJob>, Requests) {
        let ((), jobs, requests) = with(p, |p, cx| p.message(m, cx));
        (jobs, requests)
    }

    fn window(id: &str, name: &str, enabled: bool) -> Window {
        Window {
            id: id.into(),
            name: name.into(),
            enabled,
            schedule: "cron(0 3 ? * SUN *)".into(),
            duration_h: Some(4),
            cutoff_h: 1,
            next_execution: enabled.then(|| "2026-12-06T03:00Z".to_owned()),
            ..Window::default()
        }
    }

    fn loaded() -> MaintenanceState {
        let mut p = MaintenanceState::default();
        let ((), jobs, _) = with(&mut p, |p, cx| p.on_show(cx));
        assert!(matches!(jobs[0], MaintenanceJob::Windows { generation: 1 }));
        assert!(
            matches!(jobs[1], MaintenanceJob::Calendars { .. }),
            "{jobs:?}"
        );
        msg(
            &mut p,
            MaintenanceMsg::Windows {
                generation: 1,
                ctx: ContextId::default(),
                result: Ok(vec![
                    window("mw-0000000000000000a", "nightly-patching", true),
                    window("mw-0000000000000000b", "old-window", false),
                ]),
            },
        );
        p
    }

    fn execution(id: &str, status: &str) -> Execution {
        Execution {
            id: id.into(),
            status: status.into(),
            start_s: Some(1_796_290_000),
            ..Execution::default()
        }
    }

    #[test]
    fn a_window_opens_its_executions_and_an_invocation_opens_its_command() {
        let mut p = loaded();
        assert_eq!(p.windows_pending, 0);
        cmd(&mut p, Command::SelectNext);
        cmd(&mut p, Command::SelectPrev);
        let (_, jobs, _) = cmd(&mut p, Command::OpenDetails);
        assert_eq!(
            jobs,
            [MaintenanceJob::Details {
                ctx: ContextId::default(),
                window: "mw-0000000000000000a".into(),
                delay_ms: 0
            }]
        );
        assert_eq!(p.crumb().as_deref(), Some("nightly-patching · executions"));
        let details = WindowDetails {
            executions: vec![execution("e-1", "SUCCESS"), execution("e-0", "FAILED")],
            ..WindowDetails::default()
        };
        let (jobs, _) = msg(
            &mut p,
            MaintenanceMsg::Details {
                ctx: ContextId::default(),
                window: "mw-0000000000000000a".into(),
                result: Ok(details),
            },
        );
        assert!(jobs.is_empty(), "nothing runs: no re-read");
        let (_, jobs, _) = cmd(&mut p, Command::OpenDetails);
        assert!(
            matches!(&jobs[0], MaintenanceJob::ExecutionTasks { execution, delay_ms: 0, .. } if execution == "e-1")
        );
        let task = Execution {
            task: Some(("AWS-RunShellScript".into(), "RUN_COMMAND".into())),
            ..execution("t-1", "SUCCESS")
        };
        let inv = Invocation {
            id: "inv-1".into(),
            execution_id: "0b1c2d3e-0000-4000-8000-000000000001".into(),
            task_type: "RUN_COMMAND".into(),
            status: "SUCCESS".into(),
            ..Invocation::default()
        };
        msg(
            &mut p,
            MaintenanceMsg::ExecutionTasks {
                ctx: ContextId::default(),
                execution: "e-1".into(),
                result: Ok(vec![(task, vec![inv])]),
            },
        );
        let (_, _, requests) = cmd(&mut p, Command::OpenDetails);
        assert_eq!(
            requests,
            [Request::Open(Goto::Command {
                id: "0b1c2d3e-0000-4000-8000-000000000001".into(),
                document: "AWS-RunShellScript".into(),
                ctx: ContextId::default(),
            })]
        );
        assert_eq!(cmd(&mut p, Command::Back).0, Handled::Yes);
        assert_eq!(cmd(&mut p, Command::Back).0, Handled::Yes);
        assert_eq!(
            cmd(&mut p, Command::Back).0,
            Handled::No,
            "Esc at the top goes to the shell"
        );
    }

    #[test]
    fn a_running_execution_is_read_again_and_can_be_cancelled_a_finished_one_not() {
        let mut p = loaded();
        cmd(&mut p, Command::OpenDetails);
        let details = WindowDetails {
            executions: vec![execution("e-2", "IN_PROGRESS"), execution("e-1", "SUCCESS")],
            ..WindowDetails::default()
        };
        let (jobs, _) = msg(
            &mut p,
            MaintenanceMsg::Details {
                ctx: ContextId::default(),
                window: "mw-0000000000000000a".into(),
                result: Ok(details),
            },
        );
        assert_eq!(
            jobs,
            [MaintenanceJob::Details {
                ctx: ContextId::default(),
                window: "mw-0000000000000000a".into(),
                delay_ms: RUNNING_POLL_MS
            }]
        );
        let (_, jobs, requests) = cmd(&mut p, Command::CancelCommand);
        assert!(jobs.is_empty());
        let Some(Request::Confirm { lines, yes, .. }) = requests.first() else {
            panic!("cancel asks first: {requests:?}");
        };
        assert!(
            lines
                .iter()
                .any(|l| l.contains("nightly-patching") && l.contains("e-2"))
        );
        assert_eq!(
            yes,
            &MaintenanceJob::Cancel {
                ctx: ContextId::default(),
                execution: "e-2".into(),
                window_name: "nightly-patching".into()
            }
        );
        assert_eq!(
            yes.mutation().map(|m| m.action),
            Some("ssm:CancelMaintenanceWindowExecution")
        );
        cmd(&mut p, Command::SelectNext);
        let (_, _, requests) = cmd(&mut p, Command::CancelCommand);
        assert_eq!(
            requests,
            [Request::Notice(
                "execution e-1 is SUCCESS: nothing to cancel".into()
            )]
        );
    }

    #[test]
    fn enable_and_disable_ask_first_and_reload_after() {
        let mut p = loaded();
        let (_, _, requests) = cmd(&mut p, Command::ToggleEnabled);
        let Some(Request::Confirm { title, yes, lines }) = requests.first() else {
            panic!("{requests:?}");
        };
        assert_eq!(title, "Disable maintenance window?");
        assert!(
            lines.iter().any(|l| l.contains("2026-12-06T03:00Z")),
            "{lines:?}"
        );
        assert!(matches!(
            yes,
            MaintenanceJob::SetEnabled { enabled: false, .. }
        ));
        cmd(&mut p, Command::SelectNext);
        let (_, _, requests) = cmd(&mut p, Command::ToggleEnabled);
        assert!(matches!(
            requests.first(),
            Some(Request::Confirm { yes: MaintenanceJob::SetEnabled { enabled: true, window, .. }, .. })
                if window == "mw-0000000000000000b"
        ));
        let (jobs, requests) = msg(
            &mut p,
            MaintenanceMsg::Enabled {
                ctx: ContextId::default(),
                window: "mw-0000000000000000b".into(),
                result: Ok(true),
            },
        );
        assert!(p.windows.iter().all(|(_, w)| w.enabled));
        assert_eq!(
            requests,
            [Request::Notice("window old-window: enabled".into())]
        );
        assert!(
            matches!(jobs[0], MaintenanceJob::Windows { generation: 2 }),
            "{jobs:?}"
        );
    }

    #[test]
    fn stale_windows_are_dropped_and_a_failed_context_is_kept_apart() {
        let mut p = loaded();
        with(&mut p, |p, cx| p.refresh(cx));
        msg(
            &mut p,
            MaintenanceMsg::Windows {
                generation: 1,
                ctx: ContextId::default(),
                result: Ok(Vec::new()),
            },
        );
        assert_eq!(p.windows.len(), 2, "an older load's answer is dropped");
        msg(
            &mut p,
            MaintenanceMsg::Windows {
                generation: 2,
                ctx: ContextId::default(),
                result: Err(crate::aws::AwsError::local(
                    "ssm:DescribeMaintenanceWindows",
                    "denied",
                )),
            },
        );
        assert_eq!(p.windows_failed.len(), 1);
        assert_eq!(p.windows.len(), 2, "rows stay while the reload failed");
    }

    #[test]
    fn a_calendar_state_at_a_typed_time_is_asked_for_or_the_text_refused() {
        let mut p = loaded();
        p.tab = TopTab::Calendars;
        p.calendars = vec![(
            ContextId::default(),
            crate::aws::maintenance::Timeline::default(),
        )];
        p.calendars[0].1.now.name = "prod-freeze".into();
        let (_, jobs, _) = cmd(&mut p, Command::OpenDetails);
        assert!(
            matches!(&jobs[0], MaintenanceJob::CalendarContent { name, .. } if name == "prod-freeze")
        );
        let (_, _, requests) = cmd(&mut p, Command::AtTime);
        assert!(matches!(
            &requests[0],
            Request::Prompt {
                ask: MaintenanceAsk::CalendarAt { .. },
                ..
            }
        ));
        let ask = MaintenanceAsk::CalendarAt {
            ctx: ContextId::default(),
            name: "prod-freeze".into(),
        };
        let ((), jobs, _) = with(&mut p, |p, cx| {
            p.answer(ask.clone(), "2026-12-24 09:00".into(), cx)
        });
        assert_eq!(
            jobs,
            [MaintenanceJob::CalendarAt {
                ctx: ContextId::default(),
                name: "prod-freeze".into(),
                at: "2026-12-24T09:00:00Z".into()
            }]
        );
        let ((), jobs, requests) = with(&mut p, |p, cx| p.answer(ask, "next friday".into(), cx));
        assert!(jobs.is_empty());
        assert!(
            matches!(&requests[0], Request::Notice(t) if t.contains("not a time: next friday"))
        );
    }

    /// The pane drawn into a `w`×20 area, as text.
    fn screen(p: &MaintenanceState, w: u16) -> String {
        crate::panes::harness::screen(p, w, 20, Instant::now())
    }

    #[test]
    fn aws_text_is_drawn_escaped_and_ids_stay_whole_at_80_columns() {
        let mut p = loaded();
        p.windows[0].1.name = "evil\u{1b}[2Jname".into();
        p.windows[0].1.schedule = "rate(1 day)\u{202e}".into();
        for w in [80, 200] {
            let s = screen(&p, w);
            assert!(!s.contains('\u{1b}') && !s.contains('\u{202e}'), "{s}");
            assert!(s.contains("evil\\u{001b}[2Jname"), "{s}");
        }
        cmd(&mut p, Command::OpenDetails);
        let details = WindowDetails {
            executions: vec![Execution {
                status_details: "bad\u{7}bell".into(),
                ..execution("0b1c2d3e-0000-4000-8000-000000000001", "FAILED")
            }],
            ..WindowDetails::default()
        };
        let window = p.windows[0].1.id.clone();
        msg(
            &mut p,
            MaintenanceMsg::Details {
                ctx: ContextId::default(),
                window,
                result: Ok(details),
            },
        );
        let s = screen(&p, 80);
        assert!(!s.contains('\u{7}'), "{s}");
        assert!(
            s.contains("0b1c2d3e-0000-4000-8000-000000000001"),
            "the execution id whole:\n{s}"
        );
    }
}
