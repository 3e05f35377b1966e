//! The Run Command pane behind the [`Pane`] trait: grid and history keys,
//! its jobs' messages (send, status polls with backoff, live output, full
//! output, cancel, history, export), the output search, mouse clicks on
//! the grid. Pure: effects are the jobs and requests collected in the
//! [`Cx`](crate::pane::Cx).

use std::time::Instant;

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui_textarea::TextArea;

use super::jobs::ContextSend;
use super::memory::{Memory, SentRecord};
use super::state::{CommandsState, MemoryLoad, POLL_MAX, POLL_SOON};
use super::{CommandsAsk, CommandsCx, CommandsEvent, CommandsJob, LiveRead, PollResult};
use crate::aws::AwsError;
use crate::aws::commands::{SendRequest, Targets};
use crate::config::Layer;
use crate::keys::{Command, InputKey};
use crate::pane::{Handled, Pane, RenderContext, Request};
use crate::widgets::line_input::{FilterStep, filter_key};

/// The status-line hints of the grid.
const HINTS: &[(Command, &str)] = &[
    (Command::Help, "help"),
    (Command::Create, "new"),
    (Command::OpenDetails, "follow"),
    (Command::ToggleGroups, "groups"),
    (Command::CancelCommand, "cancel"),
    (Command::Rerun, "re-run failed"),
    (Command::Export, "export"),
    (Command::History, "history"),
    (Command::NextPane, "next pane"),
];

impl Pane for CommandsState {
    type Msg = CommandsEvent;
    type Job = CommandsJob;
    type Ask = CommandsAsk;

    fn key_mutation(c: Command) -> Option<&'static str> {
        Some(match c {
            Command::Create => "ssm:SendCommand",
            _ => return None,
        })
    }

    fn title(&self) -> &'static str {
        "Run Command"
    }

    fn layer(&self) -> Layer {
        Layer::Commands
    }

    fn on_show(&mut self, cx: &mut CommandsCx) {
        if self.memory == MemoryLoad::NotAsked {
            self.memory = MemoryLoad::Asked;
            cx.job(CommandsJob::ReadMemory);
        }
        if self.documents.is_empty() {
            self.documents = vec!["AWS-RunShellScript".into()];
            cx.job(CommandsJob::Documents);
        }
    }

    fn refresh(&mut self, cx: &mut CommandsCx) {
        cx.job(CommandsJob::History);
    }

    fn command(&mut self, c: Command, cx: &mut CommandsCx) -> Handled {
        let rows = cx.shared.page_rows;
        let half = (rows / 2).max(1) as isize;
        if crate::widgets::raw_json::command(&mut self.json, c, rows) {
            return Handled::Yes;
        }
        match c {
            Command::RawJson => {
                let inv = self.cursor_node().and_then(|id| {
                    self.run()
                        .and_then(|r| r.nodes.get(&id))
                        .map(|n| n.inv.clone())
                });
                match inv {
                    Some(inv) if !self.show_history => {
                        self.json = Some(crate::widgets::raw_json::RawJson::of(
                            format!(
                                "{} on {} (CommandInvocation)",
                                inv.command_id, inv.instance_id
                            ),
                            &inv,
                        ));
                    }
                    _ => cx.notice("no command invocation under the cursor"),
                }
            }
            Command::SelectNext => self.move_by(1, rows),
            Command::SelectPrev => self.move_by(-1, rows),
            Command::SelectFirst => self.move_by(isize::MIN / 2, rows),
            Command::SelectLast => self.move_by(isize::MAX / 2, rows),
            Command::PageDown => self.move_by(half, rows),
            Command::PageUp => self.move_by(-half, rows),
            Command::Create | Command::RunCommand => self.open_composer(cx),
            Command::History => {
                self.show_history = !self.show_history;
                if self.show_history {
                    cx.job(CommandsJob::History);
                }
            }
            Command::Back => return self.back(),
            Command::OpenDetails => self.open_details(cx),
            Command::ToggleSelect => {
                if let Some(id) = self.cursor_node()
                    && !self.chosen.remove(&id)
                {
                    self.chosen.insert(id);
                }
                self.move_by(1, rows);
            }
            Command::ToggleGroups => {
                self.grouped = !self.grouped;
                self.cursor = 0;
                self.scroll = 0;
            }
            Command::Filter if self.follow => {
                self.search = Some(String::new());
                cx.request(Request::Filter);
            }
            Command::CancelCommand => self.confirm_cancel(cx),
            Command::Rerun => self.rerun_failed(cx),
            Command::Export => self.export(cx),
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn key(&mut self, k: KeyEvent, cx: &mut CommandsCx) -> Handled {
        if !self.form_open() {
            return Handled::No;
        }
        self.compose_key(k, cx);
        Handled::Yes
    }

    fn message(&mut self, m: CommandsEvent, cx: &mut CommandsCx) {
        self.event(m, cx);
    }

    fn view(&self, frame: &mut Frame, area: Rect, rcx: &RenderContext) {
        super::view::render(frame, area, self, rcx);
    }

    fn hints(&self) -> &'static [(Command, &'static str)] {
        HINTS
    }

    fn answer(&mut self, ask: CommandsAsk, text: String, cx: &mut CommandsCx) {
        match ask {
            CommandsAsk::ExportPath { command_ids } => cx.job(CommandsJob::Export {
                command_ids,
                path: text,
            }),
        }
    }

    fn crumb(&self) -> Option<String> {
        if self.show_history {
            Some("history".into())
        } else if self.follow {
            Some("output".into())
        } else {
            None
        }
    }

    fn filter_input(
        &mut self,
        k: InputKey,
        cursor: &mut Option<usize>,
        _cx: &mut CommandsCx,
    ) -> bool {
        let mut text = self.search.clone().unwrap_or_default();
        match filter_key(&mut text, cursor, k) {
            FilterStep::Edited => self.search = Some(text),
            FilterStep::Moved | FilterStep::Scroll(_) => {}
            FilterStep::Keep => return false,
            FilterStep::Restore => {
                // The output search opens empty: as it was is no search.
                self.search = None;
                return false;
            }
        }
        true
    }

    fn filter_line(&self) -> (String, &'static str) {
        (
            self.search.clone().unwrap_or_default(),
            "lines of the followed output containing this · Enter/Tab keeps · Esc clears",
        )
    }

    fn form_open(&self) -> bool {
        self.compose.as_ref().is_some_and(|c| c.shown)
    }

    fn form_hint(&self) -> &'static str {
        "Ctrl-S review and send · Esc hide (kept) · Tab/Shift-Tab fields · Ctrl-P/N previous commands"
    }

    fn settle(&mut self, cx: &mut CommandsCx) {
        if let Some(c) = self.compose.as_mut() {
            c.fleet_total = cx.shared.nodes.len();
        }
    }

    fn unsaved(&self) -> Option<String> {
        self.compose
            .as_ref()
            .map(|_| "the Run Command composer".to_owned())
    }

    fn confirm_answered(&mut self, job: &CommandsJob, yes: bool, _cx: &mut CommandsCx) {
        if !matches!(job, CommandsJob::Send(_)) {
            return;
        }
        if yes {
            self.sending = true;
        }
        if let Some(c) = self.compose.as_mut() {
            // Yes: hidden while it is sent. No: back to it, everything kept.
            c.shown = !yes;
            c.cursor = None;
        }
    }

    fn click(&mut self, column: u16, row: u16, cx: &mut CommandsCx) -> Option<Command> {
        if self.show_history || self.run().is_none() {
            return None;
        }
        let rows = cx.shared.page_rows;
        let click = self.hits.click(column, row, self.rows(), self.cursor);
        click.act(|i| self.move_by(i as isize - self.cursor as isize, rows))
    }
}

impl CommandsState {
    /// Esc: closes history, the output search, then the followed output;
    /// with none of them open it bubbles (the shell walks back).
    fn back(&mut self) -> Handled {
        if self.show_history {
            self.show_history = false;
        } else if self.search.is_some() {
            self.search = None;
        } else if self.follow {
            self.follow = false;
        } else {
            return Handled::No;
        }
        Handled::Yes
    }

    /// Enter: in history, reopen the command as a new run (and poll it);
    /// in the grid, follow the node under the cursor (or stop).
    fn open_details(&mut self, cx: &mut CommandsCx) {
        if self.show_history {
            let Some(h) = self.history_view().into_iter().nth(self.history_cursor) else {
                return;
            };
            self.show_history = false;
            let c = h.summary;
            let number = self.reopen(
                h.command_ids,
                (&c.document, c.commands, c.log_group.as_deref()),
                None,
                cx,
            );
            self.anchor(number, c.requested_s, cx);
            return;
        }
        self.follow = !self.follow;
        self.fetch_followed(cx);
    }

    /// Puts commands `ids` (one send's) on screen as a run of their own and
    /// polls them (`home`: the context they were sent in, when known here
    /// and not to the runner); returns the run's number.
    fn reopen(
        &mut self,
        ids: Vec<String>,
        (document, commands, log_group): (&str, Vec<String>, Option<&str>),
        home: Option<crate::model::ContextId>,
        cx: &mut CommandsCx,
    ) -> usize {
        let number = self.open_run(ids.clone(), document, commands, log_group, cx.now);
        self.anchor(number, None, cx);
        cx.job(CommandsJob::Poll {
            run: number,
            command_ids: ids,
            delay_ms: 0,
            home,
        });
        number
    }

    /// Shows command `id` (another pane's: a maintenance window task's
    /// invocation): the run that has it, else a new run polled from
    /// ListCommandInvocations. An open composer is hidden, its text kept.
    pub fn open_command(
        &mut self,
        id: String,
        document: &str,
        ctx: crate::model::ContextId,
        cx: &mut CommandsCx,
    ) {
        self.show_history = false;
        if let Some(c) = self.compose.as_mut() {
            c.shown = false;
        }
        if let Some(i) = self.runs.iter().position(|r| r.command_ids.contains(&id)) {
            self.current = Some(i);
            self.cursor = 0;
            self.scroll = 0;
            return;
        }
        self.reopen(vec![id], (document, Vec::new(), None), Some(ctx), cx);
    }

    /// Asks where to write the results of the run on screen (JSON, mode
    /// 0600), starting at `exports/run-<command id>.json` in the data
    /// directory.
    fn export(&self, cx: &mut CommandsCx) {
        let Some(run) = self.run() else {
            return cx.notice("no run on screen to export");
        };
        let path = format!(
            "exports/run-{}.json",
            run.command_ids.first().cloned().unwrap_or_default()
        );
        ask_export_path(run.command_ids.clone(), path, cx);
    }

    /// Ask to cancel the run on screen (on the chosen nodes, or all of it).
    fn confirm_cancel(&self, cx: &mut CommandsCx) {
        let Some(run) = self.run() else {
            return;
        };
        if run.done() {
            cx.notice("every node has finished: nothing to cancel");
            return;
        }
        let chosen: Vec<String> = self.chosen.iter().cloned().collect();
        let count = if chosen.is_empty() {
            run.nodes.len()
        } else {
            chosen.len()
        };
        let first = run.commands.first().cloned().unwrap_or_default();
        cx.request(Request::Confirm {
            title: "Cancel a command".into(),
            lines: vec![
                format!(
                    "Cancel `{first}` on {count} {} (CancelCommand); finished nodes keep their results.",
                    if chosen.is_empty() {
                        "nodes (all of it)"
                    } else {
                        "chosen nodes"
                    }
                ),
                format!("In {}.", cx.shared.where_),
            ],
            yes: CommandsJob::Cancel {
                command_ids: run.command_ids.clone(),
                instance_ids: chosen,
            },
        });
    }

    /// Open a composer with the run's commands for the nodes that failed.
    fn rerun_failed(&mut self, cx: &mut CommandsCx) {
        let Some(run) = self.run() else {
            return;
        };
        let failed = run.failed();
        if failed.is_empty() {
            cx.notice("no node failed: nothing to re-run");
            return;
        }
        let lines = run.commands.clone();
        let document = run.document.clone();
        let origin = format!(
            "the failed nodes of `{}`",
            run.commands.first().map_or("", |c| c.as_str())
        );
        let mut compose = self.new_compose(failed, origin, &cx.shared);
        compose.document = document.clone();
        compose.commands = TextArea::new(lines);
        self.compose = Some(compose);
        cx.job(CommandsJob::DocumentParams { name: document });
    }

    /// Writes what survives a restart (once the file was read: before, a
    /// send waits for it, so the file's sends are not lost).
    fn save_memory(&mut self, cx: &mut CommandsCx) {
        if self.memory != MemoryLoad::Loaded {
            self.memory_dirty = true;
            return;
        }
        let m = Memory {
            version: 1,
            sends: self.sends.clone(),
            recent: self.recent.clone(),
        };
        cx.job(CommandsJob::SaveMemory {
            json: m.to_json(self.remember_command_text),
        });
    }

    /// The pane's file was read: its sends and previous commands go before
    /// this run's (the command text only when `remember_command_text`; a
    /// file that holds text the config no longer allows is rewritten
    /// without it).
    fn memory_read(&mut self, r: Result<Option<String>, String>, cx: &mut CommandsCx) {
        self.memory = MemoryLoad::Loaded;
        let file = super::memory::MEMORY_FILE;
        let mut earlier = match r.and_then(|t| t.map(|t| Memory::parse(&t)).transpose()) {
            Ok(m) => m.unwrap_or_default(),
            Err(e) => {
                cx.notice(format!(
                    "{file} not read ({e}): Run Command history starts empty and the next send rewrites it"
                ));
                Memory::default()
            }
        };
        let scrub = !self.remember_command_text && earlier.has_text();
        if !self.remember_command_text {
            earlier.recent.clear();
            earlier.sends.iter_mut().for_each(|s| s.commands.clear());
        }
        let mut mine = Memory {
            version: 1,
            sends: std::mem::take(&mut self.sends),
            recent: std::mem::take(&mut self.recent),
        };
        mine.merge_under(earlier);
        self.sends = mine.sends;
        self.recent = mine.recent;
        if std::mem::take(&mut self.memory_dirty) || scrub {
            self.save_memory(cx);
        }
    }

    /// Ties run `number` to the wall clock the shell passed (node times
    /// are epoch seconds); with `requested_s` (a command reopened from
    /// history) its timer counts from AWS's request time.
    fn anchor(&mut self, number: usize, requested_s: Option<f64>, cx: &CommandsCx) {
        let (epoch, now) = (cx.shared.epoch_s, cx.now);
        let Some(run) = self.run_mut(number) else {
            return;
        };
        if epoch <= 0 {
            return;
        }
        run.clock = Some((epoch, now));
        if let Some(r) = requested_s {
            run.requested_s = Some(r);
            let ago = std::time::Duration::from_secs_f64((epoch as f64 - r).max(0.0));
            run.started = now.checked_sub(ago).unwrap_or(now);
        }
    }

    /// When following a finished node whose full output is not loaded, fetch it.
    fn fetch_followed(&self, cx: &mut CommandsCx) {
        let (Some(run), true) = (self.run(), self.follow) else {
            return;
        };
        let Some(id) = self.cursor_node() else {
            return;
        };
        if let Some(n) = run.nodes.get(&id)
            && n.inv.status.is_final()
            && n.full.is_none()
        {
            cx.job(CommandsJob::Output {
                run: run.number,
                command_id: n.inv.command_id.clone(),
                instance_id: id,
            });
        }
    }

    /// SendCommand succeeded: remember the commands, open a run for the ids
    /// and start polling it (and reading its live output, when it has a log
    /// group); the pane shows itself.
    fn sent(&mut self, ids: Vec<String>, req: SendRequest, context: String, cx: &mut CommandsCx) {
        self.sending = false;
        self.compose = None;
        if !req.commands.is_empty() {
            self.recent.retain(|r| *r != req.commands);
            self.recent.push(req.commands.clone());
        }
        let (nodes, targets) = match &req.targets {
            Targets::Nodes(n) => (n.len(), String::new()),
            Targets::Tags(t) => (
                0,
                t.iter()
                    .map(|(k, v)| format!("tag:{k}={}", v.join(",")))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
        };
        self.sends.push(SentRecord {
            command_ids: ids.clone(),
            context,
            document: req.document.clone(),
            sent_s: cx.shared.epoch_s,
            nodes,
            targets,
            commands: req.commands.clone(),
        });
        self.save_memory(cx);
        let number = self.open_run(
            ids.clone(),
            &req.document,
            req.commands.clone(),
            req.cloudwatch_group.as_deref(),
            cx.now,
        );
        self.anchor(number, None, cx);
        let log_group = self.runs[number - 1].log_group.clone();
        cx.request(Request::Show);
        cx.notice(format!("sent as {}", ids.join(", ")));
        cx.job(CommandsJob::Poll {
            run: number,
            command_ids: ids.clone(),
            delay_ms: 0,
            home: None,
        });
        if let Some(group) = log_group {
            for id in ids {
                cx.job(CommandsJob::LiveOutput {
                    run: number,
                    group: group.clone(),
                    command_id: id,
                    cursor: Default::default(),
                    delay_ms: 300,
                });
            }
        }
    }

    /// A send across several contexts answered: one run of every command
    /// id that came back; each context that failed is named with why (the
    /// composer keeps the text when none was sent).
    fn sent_across(&mut self, answers: Vec<ContextSend>, req: SendRequest, cx: &mut CommandsCx) {
        let mut ids = Vec::new();
        let mut failed = Vec::new();
        let mut places = Vec::new();
        for a in answers {
            match a.result {
                Ok(mut more) => {
                    ids.append(&mut more);
                    places.push(a.placement.name);
                }
                Err(e) => failed.push(format!("not sent in {}: {e}", a.placement.name)),
            }
        }
        if ids.is_empty() {
            self.sending = false;
            if let Some(c) = self.compose.as_mut() {
                c.error = Some(failed.join("; "));
                c.shown = true;
                c.cursor = None;
            }
            return;
        }
        self.sent(ids, req, places.join(" · "), cx);
        for f in failed {
            cx.notice(f);
        }
    }

    /// A status poll of run `number` answered: apply it, then poll again
    /// (backing off while nothing changes) or, once every node is final,
    /// announce the result and read the last live output.
    fn polled(&mut self, number: usize, result: Result<PollResult, AwsError>, cx: &mut CommandsCx) {
        let now: Instant = cx.now;
        let Some(run) = self.run_mut(number).filter(|r| !r.gone) else {
            return;
        };
        run.polls += 1;
        match result {
            // Asking again cannot help: the command is not there.
            Err(e) if e.code.as_deref() == Some("InvalidCommandId") => {
                run.error = Some(e);
                run.gone = true;
                return;
            }
            Err(e) => {
                run.error = Some(e);
                run.poll_delay = (run.poll_delay * 2).min(POLL_MAX);
            }
            Ok(PollResult {
                invocations,
                calls,
                commands,
            }) => {
                run.error = None;
                run.last_poll_calls = calls;
                let mut changed = false;
                for c in commands {
                    if run.summaries.get(&c.command_id) != Some(&c) {
                        changed = true;
                        run.summaries.insert(c.command_id.clone(), c);
                    }
                }
                for i in invocations {
                    let n = run.nodes.entry(i.instance_id.clone()).or_default();
                    if n.inv != i {
                        changed = true;
                        n.inv = i;
                    }
                }
                run.poll_delay = run.next_poll_delay(changed, now);
            }
        }
        // Nodes that ran and failed show their first stderr line: asked
        // once each where the plugin output does not carry it.
        let want: Vec<(String, String)> = run
            .nodes
            .values_mut()
            .filter(|n| n.wants_stderr())
            .map(|n| {
                n.stderr_asked = true;
                (n.inv.command_id.clone(), n.inv.instance_id.clone())
            })
            .collect();
        if !want.is_empty() {
            cx.job(CommandsJob::Stderr {
                run: number,
                invocations: want,
            });
        }
        if !run.done() {
            cx.job(CommandsJob::Poll {
                run: number,
                command_ids: run.command_ids.clone(),
                delay_ms: run.poll_delay.as_millis() as u64,
                home: None,
            });
            return;
        }
        if run.finished.is_some() {
            return;
        }
        run.finished = Some(now);
        let counts = run
            .counts()
            .iter()
            .map(|(s, n)| format!("{n} {}", s.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        let statuses = run
            .command_statuses()
            .iter()
            .map(|(s, n)| {
                if run.summaries.len() == 1 {
                    s.as_str().to_owned()
                } else {
                    format!("{n} {}", s.as_str())
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        let text = format!("run #{number} finished {statuses}: {counts}");
        self.fetch_followed(cx);
        cx.notice(text);
        // One last read of live output, for lines written at the end.
        if let Some(run) = self.run_mut(number)
            && let Some(group) = run.log_group.clone()
        {
            for id in run.command_ids.clone() {
                let cursor = run.live_cursor.get(&id).cloned().unwrap_or_default();
                cx.job(CommandsJob::LiveOutput {
                    run: number,
                    group: group.clone(),
                    command_id: id,
                    cursor,
                    delay_ms: 0,
                });
            }
        }
    }

    /// Live output of run `number`, command `command_id` arrived: keep it and
    /// read the next page now, or again in a second while the run is going.
    fn live(
        &mut self,
        number: usize,
        command_id: String,
        result: Result<LiveRead, AwsError>,
        cx: &mut CommandsCx,
    ) {
        let Some(run) = self.run_mut(number) else {
            return;
        };
        if let Ok((lines, cursor)) = result {
            run.live_cursor.insert(command_id.clone(), cursor);
            if !lines.is_empty() {
                run.last_output = Some(cx.now);
                // Output arriving: the end may be near, poll sooner than
                // a backed-off delay would (once: then the poll keeps it).
                if !run.done() && !run.gone && run.poll_delay > POLL_SOON {
                    run.poll_delay = POLL_SOON;
                    cx.job(CommandsJob::Poll {
                        run: number,
                        command_ids: run.command_ids.clone(),
                        delay_ms: POLL_SOON.as_millis() as u64,
                        home: None,
                    });
                }
            }
            run.add_live(lines);
        }
        let cursor = run
            .live_cursor
            .get(&command_id)
            .cloned()
            .unwrap_or_default();
        // Another page waiting: read it now; else every second while running.
        if (cursor.more() || !run.done())
            && let Some(group) = run.log_group.clone()
        {
            cx.job(CommandsJob::LiveOutput {
                run: number,
                group,
                command_id,
                delay_ms: if cursor.more() { 0 } else { 1_000 },
                cursor,
            });
        }
    }

    /// One message of the pane's jobs.
    fn event(&mut self, ev: CommandsEvent, cx: &mut CommandsCx) {
        match ev {
            CommandsEvent::Documents(Ok(docs)) if !docs.is_empty() => {
                self.documents = docs.clone();
                if let Some(c) = self.compose.as_mut() {
                    c.documents = docs;
                }
            }
            CommandsEvent::Documents(_) => {}
            CommandsEvent::DocumentParams(name, Ok(info)) => {
                if let Some(c) = self.compose.as_mut().filter(|c| c.document == name) {
                    c.platforms = info.platform_types;
                    c.script = info.params.iter().any(|p| p.name == "commands");
                    c.params_read = true;
                    if !c.script
                        && matches!(
                            c.focus,
                            super::ComposeField::Commands | super::ComposeField::ExecutionTimeout
                        )
                    {
                        c.focus = super::ComposeField::Document;
                    }
                    c.params = info
                        .params
                        .into_iter()
                        .filter(|p| p.name != "commands" && p.name != "executionTimeout")
                        .map(|p| {
                            let v = c
                                .presets
                                .iter()
                                .find(|(n, _)| *n == p.name)
                                .map_or_else(|| p.default.clone(), |(_, v)| v.clone());
                            (p, v)
                        })
                        .collect();
                }
            }
            CommandsEvent::DocumentParams(name, Err(e)) => {
                // Without the schema, the composer keeps its guess (a script).
                if let Some(c) = self.compose.as_mut().filter(|c| c.document == name) {
                    c.params_read = true;
                }
                cx.notice(e.to_string());
            }
            CommandsEvent::Sent(Err(e), _) => {
                self.sending = false;
                if let Some(c) = self.compose.as_mut() {
                    // A lost answer is no refusal: the error says what
                    // the ListCommands check found.
                    c.error = Some(if e.kind == crate::aws::ErrorKind::MaybeSent {
                        e.to_string()
                    } else {
                        format!("not sent: {e}")
                    });
                    c.shown = true;
                    c.cursor = None;
                }
            }
            CommandsEvent::Sent(Ok(ids), req) => {
                let context = cx.shared.where_.to_owned();
                self.sent(ids, req, context, cx);
            }
            CommandsEvent::SentAcross(answers, req) => self.sent_across(answers, req, cx),
            CommandsEvent::Polled(number, result) => self.polled(number, result, cx),
            CommandsEvent::Live(number, command_id, result) => {
                self.live(number, command_id, result, cx)
            }
            CommandsEvent::Output(number, id, result) => match result {
                Ok(out) => {
                    if let Some(n) = self.run_mut(number).and_then(|r| r.nodes.get_mut(&id)) {
                        n.full = Some(out);
                    }
                }
                Err(e) => cx.notice(e.to_string()),
            },
            CommandsEvent::Stderr(number, lines) => {
                let Some(run) = self.run_mut(number) else {
                    return;
                };
                for (id, r) in lines {
                    match (run.nodes.get_mut(&id), r) {
                        (Some(n), Ok(line)) => n.stderr_line = Some(line),
                        (Some(_), Err(e)) => cx.notice(format!("stderr of {id}: {e}")),
                        (None, _) => {}
                    }
                }
            }
            CommandsEvent::Cancelled(Ok(())) => {
                self.chosen.clear();
                cx.notice("cancel requested");
            }
            CommandsEvent::Cancelled(Err(e)) => cx.notice(format!("not cancelled: {e}")),
            CommandsEvent::History(Ok(h)) => {
                self.history = Some(h);
                self.history_cursor = 0;
            }
            CommandsEvent::History(Err(e)) => cx.notice(e.to_string()),
            CommandsEvent::MemoryRead(r) => self.memory_read(r, cx),
            CommandsEvent::MemorySaved(Ok(())) => {}
            CommandsEvent::MemorySaved(Err(e)) => {
                cx.notice(format!("Run Command history not saved: {e}"));
            }
            CommandsEvent::Exported {
                result: Ok(path), ..
            } => cx.notice(format!("results written to {path} (mode 0600)")),
            CommandsEvent::Exported {
                result: Err(e),
                asked,
                command_ids,
            } => {
                cx.notice(format!("export failed: {e}"));
                ask_export_path(command_ids, asked, cx);
            }
        }
    }
}

/// Asks where to write the export of `command_ids`, the line starting at
/// `path` (the default, or the user's text asked again after a failure).
fn ask_export_path(command_ids: Vec<String>, path: String, cx: &mut CommandsCx) {
    cx.request(Request::Prompt {
        title: "Export the results to (JSON, mode 0600; relative paths are in the data directory)"
            .into(),
        text: path,
        ask: CommandsAsk::ExportPath { command_ids },
    });
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use crossterm::event::{KeyCode, KeyModifiers};

    use super::*;
    use crate::aws::commands::Targets;
    use crate::aws::error::ErrorKind;

    use crate::model::{
        CommandInvocation, CommandStatus, CommandSummary, InvocationStatus, ManagedNode,
    };
    use crate::pane::Shared;
    use crate::panes::run_command::ComposeField;

    type Requests = Vec<Request<CommandsJob, CommandsAsk>>;

    fn node(id: &str, name: &str, platform: &str, role: &str) -> ManagedNode {
        ManagedNode {
            id: id.into(),
            name: name.into(),
            platform_type: platform.into(),
            tags: vec![("Role".into(), role.into())],
            ..Default::default()
        }
    }

    /// Runs `f` with the context of a 120×40 console whose fleet has two
    /// Linux web nodes and one Windows node, `selected` chosen in it.
    fn with<R>(
        p: &mut CommandsState,
        selected: &[&str],
        f: impl FnOnce(&mut CommandsState, &mut CommandsCx) -> R,
    ) -> (R, Vec<CommandsJob>, Requests) {
        let nodes = vec![
            node("i-1", "web-1", "Linux", "web"),
            node("i-2", "web-2", "Linux", "web"),
            node("i-3", "win-1", "Windows", "db"),
        ];
        let selected: HashSet<String> = selected.iter().map(|s| (*s).to_owned()).collect();
        let shared = Shared {
            size: (120, 40),
            where_: "account 1, region r",
            nodes: &nodes,
            selected: &selected,
            page_rows: 30,
            ..Shared::default()
        };
        crate::panes::harness::run(p, shared, Instant::now(), f)
    }

    fn key(
        p: &mut CommandsState,
        code: KeyCode,
        mods: KeyModifiers,
    ) -> (Vec<CommandsJob>, Requests) {
        let (h, jobs, requests) = with(p, &[], |p, cx| p.key(KeyEvent::new(code, mods), cx));
        assert_eq!(h, Handled::Yes, "the open composer takes every key");
        (jobs, requests)
    }

    fn type_text(p: &mut CommandsState, text: &str) {
        for c in text.chars() {
            key(p, KeyCode::Char(c), KeyModifiers::NONE);
        }
    }

    /// The pane drawn into a 120×20 area, as text.
    fn screen(p: &CommandsState) -> String {
        screen_at(p, Instant::now())
    }

    /// [`screen`] with the render's clock at `now`.
    fn screen_at(p: &CommandsState, now: Instant) -> String {
        crate::panes::harness::screen(p, 120, 20, now)
    }

    fn error() -> AwsError {
        AwsError {
            operation: "ssm:SendCommand".into(),
            kind: ErrorKind::AccessDenied,
            code: Some("AccessDeniedException".into()),
            status: Some(400),
            message: "no".into(),
            hint: String::new(),
        }
    }

    fn invocation(id: &str, status: InvocationStatus) -> CommandInvocation {
        CommandInvocation {
            command_id: "c1".into(),
            instance_id: id.into(),
            instance_name: id.into(),
            status,
            ..Default::default()
        }
    }

    /// Ctrl-S before DescribeDocument has answered does not call an empty
    /// script "no command": it says the parameters are being read; once
    /// they say the document takes none, the same keys go to the
    /// confirmation.
    #[test]
    fn ctrl_s_before_the_documents_parameters_arrive_says_so() {
        let mut p = CommandsState::default();
        with(&mut p, &["i-1"], |p, cx| {
            p.compose_document("AWS-RunPatchBaseline".into(), vec![], None, cx)
        });
        let (jobs, requests) = key(&mut p, KeyCode::Char('s'), KeyModifiers::CONTROL);
        assert!(jobs.is_empty() && requests.is_empty(), "{requests:?}");
        let e = p
            .compose
            .as_ref()
            .unwrap()
            .error
            .clone()
            .unwrap_or_default();
        assert!(e.contains("still being read (DescribeDocument)"), "{e}");
        let info = crate::model::DocumentInfo {
            params: vec![crate::model::DocumentParam {
                name: "Operation".into(),
                default: "Scan".into(),
                ..Default::default()
            }],
            platform_types: vec!["Linux".into()],
        };
        with(&mut p, &[], |p, cx| {
            p.message(
                CommandsEvent::DocumentParams("AWS-RunPatchBaseline".into(), Ok(info)),
                cx,
            )
        });
        let (_, requests) = key(&mut p, KeyCode::Char('s'), KeyModifiers::CONTROL);
        assert!(
            matches!(requests.as_slice(), [Request::Confirm { .. }]),
            "{requests:?}"
        );
    }

    #[test]
    fn a_send_is_confirmed_first_and_no_returns_to_the_composer() {
        let mut p = CommandsState::default();
        let (_, jobs, _) = with(&mut p, &["i-1", "i-2"], |p, cx| {
            p.command(Command::Create, cx)
        });
        assert_eq!(
            jobs,
            [CommandsJob::DocumentParams {
                name: "AWS-RunShellScript".into()
            }]
        );
        assert!(p.form_open());
        assert_eq!(p.compose.as_ref().unwrap().nodes, ["i-1", "i-2"]);
        type_text(&mut p, "uptime");
        let (jobs, requests) = key(&mut p, KeyCode::Char('s'), KeyModifiers::CONTROL);
        assert!(jobs.is_empty(), "nothing is sent before yes");
        let [Request::Confirm { title, lines, yes }] = requests.as_slice() else {
            panic!("{requests:?}");
        };
        assert_eq!(title, "Send a command");
        assert_eq!(
            lines[0],
            "Run `uptime` with AWS-RunShellScript on 2 nodes (web-1, web-2)."
        );
        assert_eq!(lines[2], "In account 1, region r.");
        let CommandsJob::Send(req) = yes else {
            panic!("{yes:?}");
        };
        assert_eq!(
            req.targets,
            Targets::Nodes(vec!["i-1".into(), "i-2".into()])
        );
        // n: back to the composer, everything kept.
        with(&mut p, &[], |p, cx| p.confirm_answered(yes, false, cx));
        assert!(p.form_open());
        assert!(!p.sending);
        assert_eq!(p.compose.as_ref().unwrap().lines(), ["uptime"]);
        // y: hidden (kept) while it is sent.
        with(&mut p, &[], |p, cx| p.confirm_answered(yes, true, cx));
        assert!(!p.form_open());
        assert!(p.sending);
        assert!(screen(&p).contains("Sending…"), "{}", screen(&p));
        // Refused: shown again with why.
        let req = req.clone();
        with(&mut p, &[], |p, cx| {
            p.message(CommandsEvent::Sent(Err(error()), req.clone()), cx)
        });
        assert!(p.form_open());
        assert!(!p.sending);
        let why = p.compose.as_ref().unwrap().error.clone().unwrap();
        assert!(why.starts_with("not sent: "), "{why}");
        // A lost answer is not called "not sent": it may have been.
        with(&mut p, &[], |p, cx| p.confirm_answered(yes, true, cx));
        let lost = AwsError {
            kind: ErrorKind::MaybeSent,
            code: Some("InternalServerError".into()),
            status: Some(500),
            hint: "most likely not sent: send again from the composer".into(),
            ..error()
        };
        with(&mut p, &[], |p, cx| {
            p.message(CommandsEvent::Sent(Err(lost), req.clone()), cx)
        });
        let why = p.compose.as_ref().unwrap().error.clone().unwrap();
        assert!(!why.starts_with("not sent"), "{why}");
        assert!(why.contains("most likely not sent"), "{why}");
        assert_eq!(
            p.compose.as_ref().unwrap().lines(),
            ["uptime"],
            "draft kept"
        );
    }

    #[test]
    fn esc_hides_the_composer_and_n_shows_it_again_as_it_was() {
        let mut p = CommandsState::default();
        with(&mut p, &[], |p, cx| p.command(Command::Create, cx));
        let c = p.compose.as_ref().unwrap();
        assert_eq!(c.focus, ComposeField::Targets, "no selection: tag targets");
        type_text(&mut p, "tag:Role=web");
        assert_eq!(p.compose.as_ref().unwrap().resolved, 2);
        assert!(
            screen(&p).contains("tag:Role=web  → 2 of 3 loaded nodes match"),
            "{}",
            screen(&p)
        );
        key(&mut p, KeyCode::Esc, KeyModifiers::NONE);
        assert!(!p.form_open());
        assert!(!screen(&p).contains("Run a command"), "hidden");
        assert_eq!(p.unsaved().as_deref(), Some("the Run Command composer"));
        let (_, jobs, _) = with(&mut p, &["i-3"], |p, cx| p.command(Command::Create, cx));
        assert!(jobs.is_empty(), "the same composer, not a new one");
        assert!(p.form_open());
        assert_eq!(p.compose.as_ref().unwrap().tags, "tag:Role=web");
    }

    #[test]
    fn a_composer_on_windows_nodes_picks_powershell() {
        let mut p = CommandsState::default();
        let (_, jobs, requests) = with(&mut p, &[], |p, cx| {
            p.compose_for(vec!["i-3".into()], "OpsItem oi-1".into(), cx)
        });
        assert!(requests.is_empty(), "the shell shows the pane");
        assert_eq!(
            jobs,
            [CommandsJob::DocumentParams {
                name: "AWS-RunPowerShellScript".into()
            }]
        );
        assert_eq!(p.compose.as_ref().unwrap().origin, "OpsItem oi-1");
    }

    #[test]
    fn a_sent_command_opens_a_run_polls_it_and_reads_its_live_output() {
        let mut p = CommandsState::default();
        with(&mut p, &["i-1"], |p, cx| p.command(Command::Create, cx));
        type_text(&mut p, "uptime");
        let req = p.compose.as_ref().unwrap().request().unwrap();
        p.sending = true;
        let (_, jobs, requests) = with(&mut p, &[], |p, cx| {
            p.message(CommandsEvent::Sent(Ok(vec!["c1".into()]), req), cx)
        });
        assert!(p.compose.is_none() && !p.sending);
        assert_eq!(p.recent, [vec!["uptime".to_string()]]);
        assert_eq!(
            jobs,
            [
                CommandsJob::Poll {
                    run: 1,
                    command_ids: vec!["c1".into()],
                    delay_ms: 0,
                    home: None,
                },
                CommandsJob::LiveOutput {
                    run: 1,
                    group: "/aws/ssm/AWS-RunShellScript".into(),
                    command_id: "c1".into(),
                    cursor: Default::default(),
                    delay_ms: 300
                }
            ]
        );
        assert_eq!(
            requests,
            [Request::Show, Request::Notice("sent as c1".into())]
        );
    }

    #[test]
    fn a_command_that_does_not_exist_is_not_polled_again() {
        let mut p = CommandsState::default();
        p.open_run(
            vec!["c1".into()],
            "AWS-RunShellScript",
            Vec::new(),
            None,
            Instant::now(),
        );
        let gone = AwsError {
            operation: "ssm:ListCommandInvocations".into(),
            kind: ErrorKind::Service,
            code: Some("InvalidCommandId".into()),
            status: Some(400),
            message: "Command c1 does not exist.".into(),
            hint: String::new(),
        };
        let (_, jobs, _) = with(&mut p, &[], |p, cx| {
            p.message(CommandsEvent::Polled(1, Err(gone)), cx)
        });
        assert!(jobs.is_empty(), "no poll after InvalidCommandId: {jobs:?}");
        let s = screen(&p);
        assert!(
            s.contains("not polled again") && s.contains("30 days"),
            "{s}"
        );
        let (_, jobs, _) = with(&mut p, &[], |p, cx| {
            p.message(CommandsEvent::Polled(1, Err(error())), cx)
        });
        assert!(
            jobs.is_empty(),
            "a late answer does not restart the polls either"
        );
    }

    #[test]
    fn polls_back_off_while_nothing_changes_and_the_end_is_told_once() {
        let mut p = CommandsState::default();
        // Sent a minute ago: the back-off is not held to a quarter of
        // the time the run has taken.
        p.open_run(
            vec!["c1".into()],
            "AWS-RunShellScript",
            vec!["true".into()],
            None,
            Instant::now() - std::time::Duration::from_secs(60),
        );
        let poll = |status, command: Option<CommandStatus>| PollResult {
            invocations: vec![invocation("i-1", status)],
            calls: 1,
            commands: command
                .map(|status| CommandSummary {
                    command_id: "c1".into(),
                    status,
                    target_count: 1,
                    ..Default::default()
                })
                .into_iter()
                .collect(),
        };
        let delay = |jobs: &[CommandsJob]| match jobs {
            [CommandsJob::Poll { delay_ms, .. }] => *delay_ms,
            other => panic!("{other:?}"),
        };
        let mut answer = |r: PollResult| {
            let (_, jobs, requests) = with(&mut p, &[], |p, cx| {
                p.message(CommandsEvent::Polled(1, Ok(r)), cx)
            });
            (jobs, requests)
        };
        let (jobs, _) = answer(poll(InvocationStatus::InProgress, None));
        assert_eq!(delay(&jobs), 500, "a change: poll again soon");
        let (jobs, _) = answer(poll(InvocationStatus::InProgress, None));
        assert_eq!(delay(&jobs), 1000, "no change: back off");
        let (jobs, requests) = answer(poll(
            InvocationStatus::Success,
            Some(CommandStatus::Success),
        ));
        assert!(jobs.is_empty(), "{jobs:?}");
        assert_eq!(
            requests,
            [Request::Notice("run #1 finished Success: 1 Success".into())]
        );
        let (jobs, requests) = answer(poll(
            InvocationStatus::Success,
            Some(CommandStatus::Success),
        ));
        assert!(jobs.is_empty() && requests.is_empty());
    }

    #[test]
    fn a_click_moves_the_grid_cursor_and_a_click_on_it_follows() {
        let mut p = CommandsState::default();
        let (click, ..) = with(&mut p, &[], |p, cx| p.click(5, 3, cx));
        assert_eq!(click, None, "no run: nothing to click");
        p.open_run(
            vec!["c1".into()],
            "AWS-RunShellScript",
            vec![],
            None,
            Instant::now(),
        );
        let run = p.run_mut(1).unwrap();
        for id in ["i-1", "i-2", "i-3"] {
            run.nodes.entry(id.into()).or_default().inv = invocation(id, InvocationStatus::Success);
        }
        // As drawn: the grid 60 cells wide below the header and tabs, its
        // rows from screen row 4 (border, column header).
        p.hits.record(
            crate::widgets::hits::table_rows(ratatui::layout::Rect::new(0, 2, 60, 20)),
            0,
        );
        let click = |p: &mut CommandsState, x, y| with(p, &[], |p, cx| p.click(x, y, cx)).0;
        assert_eq!(click(&mut p, 5, 3), None, "the column header");
        assert_eq!(p.cursor, 0);
        assert_eq!(click(&mut p, 5, 6), None);
        assert_eq!(p.cursor, 2, "the third row");
        assert_eq!(click(&mut p, 5, 7), None, "below the last row");
        assert_eq!(click(&mut p, 5, 6), Some(Command::OpenDetails));
        assert_eq!(click(&mut p, 70, 4), None, "the output beside the grid");
        assert_eq!(p.cursor, 2);
    }

    #[test]
    fn the_output_search_and_esc_close_in_turn_then_bubble() {
        let mut p = CommandsState {
            follow: true,
            ..Default::default()
        };
        let (_, _, requests) = with(&mut p, &[], |p, cx| p.command(Command::Filter, cx));
        assert_eq!(requests, [Request::Filter]);
        let mut cursor = None;
        let input = |p: &mut CommandsState, k, cursor: &mut Option<usize>| {
            with(p, &[], |p, cx| p.filter_input(k, cursor, cx)).0
        };
        assert!(input(&mut p, InputKey::Char('x'), &mut cursor));
        assert_eq!(p.filter_line().0, "x");
        assert!(!input(&mut p, InputKey::Submit, &mut cursor));
        assert_eq!(p.search.as_deref(), Some("x"), "Enter keeps it");
        assert_eq!(p.crumb().as_deref(), Some("output"));
        let back = |p: &mut CommandsState| with(p, &[], |p, cx| p.command(Command::Back, cx)).0;
        assert_eq!(back(&mut p), Handled::Yes);
        assert!(p.search.is_none() && p.follow);
        assert_eq!(back(&mut p), Handled::Yes);
        assert!(!p.follow);
        assert_eq!(
            back(&mut p),
            Handled::No,
            "nothing left: the shell walks back"
        );
        // Esc while typing: no search at all.
        with(&mut p, &[], |p, cx| p.command(Command::Filter, cx));
        assert!(p.search.is_none(), "not following: no output to search");
        p.follow = true;
        with(&mut p, &[], |p, cx| p.command(Command::Filter, cx));
        input(&mut p, InputKey::Char('y'), &mut cursor);
        assert!(!input(&mut p, InputKey::Cancel, &mut cursor));
        assert!(p.search.is_none());
    }

    #[test]
    fn the_documents_load_once_and_refresh_reads_history() {
        let mut p = CommandsState::default();
        let (_, jobs, _) = with(&mut p, &[], |p, cx| p.on_show(cx));
        assert_eq!(jobs, [CommandsJob::ReadMemory, CommandsJob::Documents]);
        let (_, jobs, _) = with(&mut p, &[], |p, cx| p.on_show(cx));
        assert!(jobs.is_empty());
        let (_, jobs, _) = with(&mut p, &[], |p, cx| p.refresh(cx));
        assert_eq!(jobs, [CommandsJob::History]);
        p.show_history = true;
        assert_eq!(p.crumb().as_deref(), Some("history"));
    }

    /// A run of `c1` with `nodes` (id, name, status, exit code, plugin
    /// output), opened at `at`.
    fn run_of(
        p: &mut CommandsState,
        at: Instant,
        nodes: &[(&str, &str, InvocationStatus, i32, &str)],
    ) {
        p.open_run(
            vec!["c1".into()],
            "AWS-RunShellScript",
            vec!["x".into()],
            None,
            at,
        );
        let run = p.run_mut(1).unwrap();
        for (id, name, status, code, out) in nodes {
            run.nodes.entry((*id).into()).or_default().inv = CommandInvocation {
                instance_name: (*name).into(),
                response_code: *code,
                output: (*out).into(),
                ..invocation(id, *status)
            };
        }
    }

    /// A node where the document cannot run is its own group, which says
    /// so (StatusDetails InvalidPlatform), not a silent "Failed" shared
    /// with a script that failed without output.
    #[test]
    fn a_group_that_never_ran_says_why() {
        use InvocationStatus::Failed;
        let mut p = CommandsState::default();
        run_of(
            &mut p,
            Instant::now(),
            &[
                ("i-1", "web-1", Failed, 1, ""),
                ("i-2", "win-1", Failed, -1, ""),
            ],
        );
        p.run_mut(1)
            .unwrap()
            .nodes
            .get_mut("i-2")
            .unwrap()
            .inv
            .details = "InvalidPlatform".into();
        p.grouped = true;
        let groups = p.run().unwrap().groups();
        assert_eq!(groups.len(), 2, "{groups:?}");
        let s = screen(&p);
        assert!(
            s.contains("InvalidPlatform: the document does not run"),
            "{s}"
        );
    }

    /// Issue 13 item 13: four groups all read "tick 1": each group now
    /// says how many nodes and which, and shows the first line that
    /// tells it apart from the others.
    #[test]
    fn groups_name_their_nodes_and_show_the_line_where_they_differ() {
        use InvocationStatus::Success;
        let mut p = CommandsState::default();
        let ticks = "tick 1\ntick 2\ntick 3\n";
        let out = |role: &str| format!("{ticks}role {role}\ndone\n");
        let (web, db, cache) = (out("web"), out("db"), out("cache"));
        let mut nodes = vec![
            ("i-1", "web-1", Success, 0, web.as_str()),
            ("i-2", "web-2", Success, 0, web.as_str()),
            ("i-3", "web-3", Success, 0, web.as_str()),
            ("i-4", "db-1", Success, 0, db.as_str()),
            ("i-5", "cache-1", Success, 0, cache.as_str()),
        ];
        // A node whose output stops after the shared lines.
        nodes.push(("i-6", "", Success, 0, ticks));
        run_of(&mut p, Instant::now(), &nodes);
        p.grouped = true;
        let run = p.run().unwrap();
        let groups = run.groups();
        assert_eq!(
            crate::panes::run_command::state::differing_lines(&groups),
            [3, 3, 3, 3]
        );
        assert_eq!(
            run.group_label(&groups[0], 44),
            "3 nodes: web-1, web-2, web-3"
        );
        assert_eq!(run.group_label(&groups[0], 22), "3 nodes: web-1 +2 more");
        // Narrower: the first name gives way, never the count of the rest.
        assert_eq!(run.group_label(&groups[0], 21), "3 nodes: web… +2 more");
        assert_eq!(run.group_label(&groups[0], 20), "3 nodes");
        let s = screen(&p);
        assert!(
            s.contains("OUTPUT (Ln: from the first line that differs)"),
            "{s}"
        );
        for want in [
            "3 nodes: web-1, web-2, web-3",
            "L4 role web ⏎ done",
            "1 node: db-1",
            "L4 role db ⏎ done",
            "1 node: cache-1",
            "1 node: i-6",
            "L4 (output ends after line 3)",
        ] {
            assert!(s.contains(want), "{want:?} in\n{s}");
        }
        assert!(
            !s.contains("tick 1"),
            "the shared lines are not what is shown:\n{s}"
        );
        // Outputs that differ from the first line show their first line.
        let mut q = CommandsState::default();
        run_of(
            &mut q,
            Instant::now(),
            &[
                ("i-1", "a", Success, 0, "alpha\n"),
                ("i-2", "b", Success, 0, "beta\n"),
            ],
        );
        q.grouped = true;
        let s = screen(&q);
        assert!(
            s.contains("OUTPUT (first line)") && s.contains("alpha"),
            "{s}"
        );
        assert!(!s.contains("L1 "), "{s}");
    }

    /// Issue 13 item 13: a failed node shows its first stderr line, from
    /// the plugin output when it carries it, else GetCommandInvocation.
    #[test]
    fn a_failed_node_shows_its_first_stderr_line() {
        use InvocationStatus::{Failed, Success};
        let mut p = CommandsState::default();
        run_of(
            &mut p,
            Instant::now(),
            &[
                (
                    "i-1",
                    "web-1",
                    Failed,
                    2,
                    "starting\n\n----------ERROR-------\n\ncp: /etc/x: Permission denied\n",
                ),
                ("i-2", "web-2", Failed, 1, "starting\n"),
                ("i-3", "web-3", Success, 0, "ok\n"),
            ],
        );
        let mut undeliverable = invocation("i-4", Failed);
        undeliverable.details = "Undeliverable".into();
        let mut invocations: Vec<CommandInvocation> = p
            .run()
            .unwrap()
            .nodes
            .values()
            .map(|n| n.inv.clone())
            .collect();
        invocations.push(undeliverable);
        let (_, jobs, _) = with(&mut p, &[], |p, cx| {
            p.message(
                CommandsEvent::Polled(
                    1,
                    Ok(PollResult {
                        invocations,
                        calls: 1,
                        commands: vec![],
                    }),
                ),
                cx,
            )
        });
        let asked: Vec<&CommandsJob> = jobs
            .iter()
            .filter(|j| matches!(j, CommandsJob::Stderr { .. }))
            .collect();
        assert_eq!(
            asked,
            [&CommandsJob::Stderr {
                run: 1,
                invocations: vec![("c1".into(), "i-2".into())]
            }],
            "only the failed node whose plugin output lacks stderr, not the undeliverable one"
        );
        let s = screen(&p);
        assert!(s.contains("stderr: cp: /etc/x: Permission denied"), "{s}");
        with(&mut p, &[], |p, cx| {
            p.message(
                CommandsEvent::Stderr(1, vec![("i-2".into(), Ok("E: lock held by apt".into()))]),
                cx,
            )
        });
        let s = screen(&p);
        assert!(s.contains("stderr: E: lock held by apt"), "{s}");
        assert!(
            s.contains("ok"),
            "a node that succeeded shows its output:\n{s}"
        );
        // Asked once: the next poll asks nothing.
        let invocations: Vec<CommandInvocation> = p
            .run()
            .unwrap()
            .nodes
            .values()
            .map(|n| n.inv.clone())
            .collect();
        let (_, jobs, _) = with(&mut p, &[], |p, cx| {
            p.message(
                CommandsEvent::Polled(
                    1,
                    Ok(PollResult {
                        invocations,
                        calls: 1,
                        commands: vec![],
                    }),
                ),
                cx,
            )
        });
        assert!(
            !jobs.iter().any(|j| matches!(j, CommandsJob::Stderr { .. })),
            "{jobs:?}"
        );
        // The failed group says why too.
        p.grouped = true;
        assert!(
            screen(&p).contains("stderr: E: lock held by apt"),
            "{}",
            screen(&p)
        );
    }

    /// Issue 13 item 13: a running command shows a live timer from the
    /// render's clock; a finished one how long it took.
    #[test]
    fn a_running_command_shows_a_live_elapsed_timer() {
        use std::time::Duration;
        let t0 = Instant::now();
        let mut p = CommandsState::default();
        run_of(
            &mut p,
            t0,
            &[("i-1", "web-1", InvocationStatus::InProgress, -1, "")],
        );
        p.run_mut(1).unwrap().clock = Some((1_000, t0));
        p.run_mut(1)
            .unwrap()
            .nodes
            .get_mut("i-1")
            .unwrap()
            .inv
            .start_s = Some(1_002.0);
        let s = screen_at(&p, t0 + Duration::from_secs(12));
        assert!(s.contains("Run #1 — running 12s —"), "{s}");
        assert!(s.contains("10s…"), "the node's own time so far:\n{s}");
        let s = screen_at(&p, t0 + Duration::from_secs(75));
        assert!(s.contains("running 1m 15s"), "{s}");
        p.run_mut(1).unwrap().finished = Some(t0 + Duration::from_secs(14));
        let s = screen_at(&p, t0 + Duration::from_secs(99));
        assert!(s.contains("finished in 14s"), "{s}");
    }

    /// Issue 13 item 13: a finished command showed 2–3 s late (polls had
    /// backed off): they come within POLL_SOON while output arrives or
    /// when all but a few nodes are done, and within a quarter of the
    /// run's time; never below POLL_MIN.
    #[test]
    fn polls_come_sooner_while_output_arrives_or_near_the_end() {
        use crate::panes::run_command::{POLL_MIN, POLL_SOON};
        use std::time::Duration;
        let t0 = Instant::now() - Duration::from_secs(600);
        let running: Vec<(String, InvocationStatus)> = (0..20)
            .map(|i| (format!("i-{i:02}"), InvocationStatus::InProgress))
            .collect();
        let mut p = CommandsState::default();
        let nodes: Vec<(&str, &str, InvocationStatus, i32, &str)> = running
            .iter()
            .map(|(id, s)| (id.as_str(), id.as_str(), *s, -1, ""))
            .collect();
        run_of(&mut p, t0, &nodes);
        let poll = |p: &mut CommandsState, done: usize| {
            let invocations: Vec<CommandInvocation> = running
                .iter()
                .enumerate()
                .map(|(i, (id, _))| {
                    let status = if i < done {
                        InvocationStatus::Success
                    } else {
                        InvocationStatus::InProgress
                    };
                    CommandInvocation {
                        instance_name: id.clone(),
                        ..invocation(id, status)
                    }
                })
                .collect();
            let (_, jobs, _) = with(p, &[], |p, cx| {
                p.message(
                    CommandsEvent::Polled(
                        1,
                        Ok(PollResult {
                            invocations,
                            calls: 1,
                            commands: vec![],
                        }),
                    ),
                    cx,
                )
            });
            match jobs.as_slice() {
                [CommandsJob::Poll { delay_ms, .. }] => Duration::from_millis(*delay_ms),
                other => panic!("{other:?}"),
            }
        };
        // Nothing changes for a while: backs off to POLL_MAX.
        let mut d = Duration::ZERO;
        for _ in 0..8 {
            d = poll(&mut p, 0);
        }
        assert_eq!(d, POLL_MAX);
        // Live lines arrive: the next poll comes at POLL_SOON, at once.
        let line = crate::aws::commands::LiveLine {
            instance_id: "i-00".into(),
            stderr: false,
            text: "x".into(),
        };
        let (_, jobs, _) = with(&mut p, &[], |p, cx| {
            p.message(
                CommandsEvent::Live(1, "c1".into(), Ok((vec![line], Default::default()))),
                cx,
            )
        });
        assert!(
            jobs.contains(&CommandsJob::Poll {
                run: 1,
                command_ids: vec!["c1".into()],
                delay_ms: POLL_SOON.as_millis() as u64,
                home: None
            }),
            "{jobs:?}"
        );
        assert!(poll(&mut p, 0) <= POLL_SOON, "output still arriving");
        p.run_mut(1).unwrap().last_output = None;
        for _ in 0..8 {
            d = poll(&mut p, 0);
        }
        assert_eq!(d, POLL_MAX, "quiet again: back off");
        // 18 of 20 done (a change: soon), then no change, near the end.
        assert_eq!(poll(&mut p, 18), POLL_MIN);
        for _ in 0..5 {
            d = poll(&mut p, 18);
        }
        assert_eq!(d, POLL_SOON, "all but a few done");
        // A run sent 2 s ago does not wait more than half a second.
        let now = Instant::now();
        let mut q = CommandsState::default();
        run_of(&mut q, now - Duration::from_secs(2), &nodes);
        q.run_mut(1).unwrap().poll_delay = POLL_MAX;
        assert_eq!(q.run().unwrap().next_poll_delay(false, now), POLL_MIN);
    }

    /// Issue 13 item 13: an 89-node send is two SendCommand calls, two
    /// command ids, and ListCommands lists both: history shows it once.
    #[test]
    fn one_send_appears_once_in_history_with_its_node_total() {
        let mut p = CommandsState::default();
        with(&mut p, &["i-1"], |p, cx| p.command(Command::Create, cx));
        type_text(&mut p, "uptime");
        let req = p.compose.as_ref().unwrap().request().unwrap();
        with(&mut p, &[], |p, cx| {
            p.message(
                CommandsEvent::Sent(Ok(vec!["c1".into(), "c2".into()]), req),
                cx,
            )
        });
        assert_eq!(p.sends.len(), 1);
        let listed = |id: &str, n: i32| CommandSummary {
            command_id: id.into(),
            document: "AWS-RunShellScript".into(),
            status: CommandStatus::Success,
            target_count: n,
            completed: n,
            commands: vec!["uptime".into()],
            ..Default::default()
        };
        with(&mut p, &[], |p, cx| p.command(Command::History, cx));
        with(&mut p, &[], |p, cx| {
            p.message(
                CommandsEvent::History(Ok(vec![
                    listed("c2", 39),
                    listed("c1", 50),
                    listed("c0", 1),
                ])),
                cx,
            )
        });
        assert_eq!(
            p.rows(),
            2,
            "the send, and an older command of no known send"
        );
        let s = screen(&p);
        assert!(s.contains("History — 2 sends"), "{s}");
        assert!(s.contains("89/89 (0 errors) · 2 commands"), "{s}");
        // Enter reopens the whole send as one run.
        let (_, jobs, _) = with(&mut p, &[], |p, cx| p.command(Command::OpenDetails, cx));
        assert_eq!(p.run().unwrap().command_ids, ["c2", "c1"]);
        assert!(
            matches!(&jobs[..], [CommandsJob::Poll { command_ids, .. }] if command_ids.len() == 2),
            "{jobs:?}"
        );
    }

    /// Issue 13 item 13: sends and the composer's previous commands
    /// survive a restart, the command text only when allowed.
    #[test]
    fn sends_and_previous_commands_survive_a_restart() {
        for remember in [false, true] {
            let mut p = CommandsState {
                remember_command_text: remember,
                ..Default::default()
            };
            let (_, jobs, _) = with(&mut p, &[], |p, cx| p.on_show(cx));
            assert!(jobs.contains(&CommandsJob::ReadMemory));
            // A send before the file is read waits for it.
            with(&mut p, &["i-1"], |p, cx| p.command(Command::Create, cx));
            type_text(&mut p, "echo s3cret");
            let req = p.compose.as_ref().unwrap().request().unwrap();
            let (_, jobs, _) = with(&mut p, &[], |p, cx| {
                p.message(CommandsEvent::Sent(Ok(vec!["c1".into()]), req), cx)
            });
            assert!(
                !jobs
                    .iter()
                    .any(|j| matches!(j, CommandsJob::SaveMemory { .. })),
                "{jobs:?}"
            );
            let earlier = r#"{"version":1,"sends":[{"command_ids":["c0"],"context":"account 1, region r","document":"AWS-RunShellScript","sent_s":5,"nodes":4}]}"#;
            let (_, jobs, _) = with(&mut p, &[], |p, cx| {
                p.message(CommandsEvent::MemoryRead(Ok(Some(earlier.into()))), cx)
            });
            let [CommandsJob::SaveMemory { json }] = jobs.as_slice() else {
                panic!("{jobs:?}");
            };
            assert_eq!(json.contains("s3cret"), remember, "{json}");
            assert!(json.contains("\"c0\"") && json.contains("\"c1\""), "{json}");
            // The next console reads it back.
            let mut q = CommandsState {
                remember_command_text: remember,
                ..Default::default()
            };
            with(&mut q, &[], |q, cx| q.on_show(cx));
            with(&mut q, &[], |q, cx| {
                q.message(CommandsEvent::MemoryRead(Ok(Some(json.clone()))), cx)
            });
            assert_eq!(q.sends.len(), 2);
            assert_eq!(q.sends[1].nodes, 1);
            assert_eq!(q.sends[1].context, "account 1, region r");
            with(&mut q, &["i-1"], |q, cx| q.command(Command::Create, cx));
            key(&mut q, KeyCode::Char('p'), KeyModifiers::CONTROL);
            let lines = q.compose.as_ref().unwrap().lines();
            if remember {
                assert_eq!(lines, ["echo s3cret"]);
            } else {
                assert!(lines.is_empty(), "no command text kept: {lines:?}");
            }
        }
        // A file with text, read with remember off: rewritten without it.
        let mut p = CommandsState::default();
        with(&mut p, &[], |p, cx| p.on_show(cx));
        let with_text = r#"{"sends":[{"command_ids":["c0"],"commands":["echo s3cret"]}],"recent":[["echo s3cret"]]}"#;
        let (_, jobs, _) = with(&mut p, &[], |p, cx| {
            p.message(CommandsEvent::MemoryRead(Ok(Some(with_text.into()))), cx)
        });
        let [CommandsJob::SaveMemory { json }] = jobs.as_slice() else {
            panic!("{jobs:?}");
        };
        assert!(!json.contains("s3cret") && json.contains("c0"), "{json}");
        // An unreadable file: said, and history starts empty.
        let mut p = CommandsState::default();
        let (_, _, requests) = with(&mut p, &[], |p, cx| {
            p.message(CommandsEvent::MemoryRead(Ok(Some("{".into()))), cx)
        });
        assert!(
            matches!(&requests[..], [Request::Notice(n)] if n.contains("run_command.json not read")),
            "{requests:?}"
        );
    }
}
