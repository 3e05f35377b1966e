//! The Run Command pane: per-node grid (or groups of identical results),
//! the followed node's output, history, and the composer.

use std::time::{Duration, Instant};

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, Wrap};

use super::compose::{Compose, ComposeField};
use super::state::{CommandsState, Run};
use crate::model::{CommandStatus, InvocationStatus, format_epoch};
use crate::pane::RenderContext;
use crate::widgets::hits::table_rows;
use crate::widgets::titled_block as block;

/// Theme token of an invocation status.
pub fn status_token(s: InvocationStatus) -> &'static str {
    match s {
        InvocationStatus::Pending | InvocationStatus::Delayed => "status.pending",
        InvocationStatus::InProgress | InvocationStatus::Cancelling => "status.in_progress",
        InvocationStatus::Success => "status.success",
        InvocationStatus::Failed => "status.failed",
        InvocationStatus::TimedOut => "status.timed_out",
        InvocationStatus::Cancelled => "status.cancelled",
    }
}

/// Theme token of a whole command's status (ListCommands).
pub fn command_status_token(s: CommandStatus) -> &'static str {
    match s {
        CommandStatus::Pending => "status.pending",
        CommandStatus::InProgress | CommandStatus::Cancelling => "status.in_progress",
        CommandStatus::Success => "status.success",
        CommandStatus::Incomplete => "status.incomplete",
        CommandStatus::Failed => "status.failed",
        CommandStatus::TimedOut => "status.timed_out",
        CommandStatus::Cancelled => "status.cancelled",
    }
}

/// "3 Success · 1 Incomplete": how many commands have each status.
pub fn command_status_counts(statuses: impl IntoIterator<Item = CommandStatus>) -> String {
    let mut m: std::collections::BTreeMap<CommandStatus, usize> = Default::default();
    for s in statuses {
        *m.entry(s).or_default() += 1;
    }
    m.iter()
        .map(|(s, n)| format!("{n} {}", s.as_str()))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Draws the pane into `area`.
pub fn render(frame: &mut Frame, area: Rect, st: &CommandsState, cx: &RenderContext) {
    st.hits.forget();
    if let Some(json) = &st.json {
        json.render(frame, area, cx);
        return;
    }
    if st.show_history {
        render_history(frame, area, st, cx);
    } else {
        match st.run() {
            None => {
                let text = if st.sending {
                    "Sending…".to_string()
                } else {
                    "No command yet. In the Fleet pane select nodes (Space, or a for all that match) and press c; or press n here and target tags. H lists past commands.".to_string()
                };
                frame.render_widget(
                    Paragraph::new(text)
                        .wrap(Wrap { trim: true })
                        .block(block(" Run Command ".into(), cx)),
                    area,
                );
            }
            Some(run) => {
                let (grid, out) = if st.follow && area.width >= 100 {
                    let [a, b] = Layout::horizontal([
                        Constraint::Percentage(55),
                        Constraint::Percentage(45),
                    ])
                    .areas(area);
                    (a, Some(b))
                } else if st.follow {
                    (Rect::default(), Some(area))
                } else {
                    (area, None)
                };
                if grid.area() > 0 {
                    render_run(frame, grid, st, run, cx);
                }
                if let Some(o) = out {
                    render_output(frame, o, st, run, cx);
                }
            }
        }
    }
    if let Some(c) = st.compose.as_ref().filter(|c| c.shown) {
        render_compose(frame, area, c, cx);
    }
}

/// A node's TIME cell: how long it ran, or, while it runs, how long so
/// far (`12s…`, from the run's wall-clock anchor and the render's `now`;
/// `…` when the anchor is unknown).
fn elapsed(run: &Run, start: Option<f64>, end: Option<f64>, now: Instant) -> String {
    match (start, end) {
        (Some(s), Some(e)) => format!("{:.1}s", e - s),
        (Some(s), None) => run
            .epoch_at(now)
            .map_or_else(|| "…".into(), |n| format!("{:.0}s…", (n - s).max(0.0))),
        _ => String::new(),
    }
}

/// `0.4s`, `45s`, `3m 04s`, `2h 05m`: a duration as the run's timer shows it.
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..10 => format!("{:.1}s", d.as_secs_f64()),
        10..60 => format!("{s}s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, (s / 60) % 60),
    }
}

/// The run's timer: `running 12s` (live: from the send to the render's
/// `now`) or `finished in 14s` (to when the last poll found it done).
pub fn timer(run: &Run, now: Instant) -> String {
    match run.took() {
        Some(d) => format!("finished in {}", human(d)),
        None => format!(
            "running {}",
            human(now.saturating_duration_since(run.started))
        ),
    }
}

fn title(run: &Run, now: Instant) -> String {
    if run.gone {
        // Short: the cause comes first (a command older than Run
        // Command's 30 days, or of another account or region).
        return format!(
            " Run #{} — command not found (InvalidCommandId), not polled again: Run Command keeps 30 days ",
            run.number
        );
    }
    if let Some(e) = &run.error {
        return format!(
            " Run #{} — {} — status poll failed, retrying with backoff: {e} ",
            run.number,
            timer(run, now)
        );
    }
    let total = run.nodes.len();
    let done = run
        .nodes
        .values()
        .filter(|n| n.inv.status.is_final())
        .count();
    let counts = run
        .counts()
        .iter()
        .map(|(s, n)| format!("{n} {}", s.as_str()))
        .collect::<Vec<_>>()
        .join(" · ");
    // The commands' own status once ListCommands told it; until then
    // (targets may still be resolving) the run is not over.
    let command = if run.summaries.is_empty() {
        String::new()
    } else if run.summaries.len() == 1 {
        let c = run.summaries.values().next().expect("one");
        let targets = if c.target_count == 0 && !c.status.is_final() {
            "targets resolving".to_owned()
        } else {
            format!("{} targets", c.target_count)
        };
        format!(" — command {} ({targets})", c.status.as_str())
    } else {
        format!(
            " — commands {}",
            command_status_counts(run.summaries.values().map(|c| c.status))
        )
    };
    // A command opened from elsewhere (a maintenance window's) has no
    // text of ours: its id names it. Commands read back from ListCommands
    // are AWS's data: never raw to the terminal.
    let what = run.commands.first().map_or_else(
        || run.command_ids.first().cloned().unwrap_or_default(),
        |c| format!("`{}`", crate::widgets::raw_json::sanitize(c)),
    );
    format!(
        " Run #{} — {} — {what} — {}{command} — {done}/{total} done — {counts} — {} polls, {} status calls/cycle{} ",
        run.number,
        timer(run, now),
        crate::widgets::raw_json::sanitize(&run.document),
        run.polls,
        run.last_poll_calls,
        if run.log_group.is_some() {
            " · live output"
        } else {
            " · output when each node ends"
        }
    )
}

fn render_run(frame: &mut Frame, area: Rect, st: &CommandsState, run: &Run, cx: &RenderContext) {
    let t = cx.theme;
    let h = usize::from(area.height.saturating_sub(3));
    let header_style = t.style("ui.table_header");
    if st.grouped {
        render_groups(frame, area, st, run, cx);
        return;
    }
    st.hits.record(table_rows(area), st.scroll);
    // Below 88 columns the TIME column gives way, so node ids are never
    // cut mid-id.
    let narrow = area.width < 88;
    let ids = st.grid();
    let rows: Vec<Row> = ids
        .iter()
        .enumerate()
        .skip(st.scroll)
        .take(h)
        .map(|(i, id)| {
            let n = &run.nodes[id];
            let chosen = st.chosen.contains(id);
            let failed = super::state::ran_and_failed(&n.inv);
            let first = if let Some(err) = n.stderr_first().filter(|e| failed && !e.is_empty()) {
                stderr_line(err, t)
            } else if run.truncated(id) {
                Line::from(vec![
                    Span::styled("✂ truncated · ", t.style("ui.notice")),
                    Span::raw(run.first_line(id).to_owned()),
                ])
            } else {
                Line::from(run.first_line(id).to_owned())
            };
            let mut cells = vec![
                Cell::from(Span::styled(
                    if chosen { "●" } else { " " },
                    t.style("ui.selected"),
                )),
                Cell::from(n.inv.instance_name.clone()),
                Cell::from(id.clone()),
                Cell::from(Span::styled(
                    if n.inv.details.is_empty() || n.inv.details == n.inv.status.as_str() {
                        n.inv.status.as_str().to_owned()
                    } else {
                        n.inv.details.clone()
                    },
                    t.style(status_token(n.inv.status)),
                )),
                Cell::from(if n.inv.response_code >= 0 {
                    n.inv.response_code.to_string()
                } else {
                    String::new()
                }),
                Cell::from(elapsed(run, n.inv.start_s, n.inv.end_s, cx.now)),
                Cell::from(first),
            ];
            if narrow {
                cells.remove(5);
            }
            let row = Row::new(cells);
            if i == st.cursor {
                row.style(t.style("ui.cursor"))
            } else {
                row
            }
        })
        .collect();
    let (widths, header) = grid_columns(narrow);
    frame.render_widget(
        Table::new(rows, widths)
            .header(Row::new(header).style(header_style))
            .block(block(title(run, cx.now), cx)),
        area,
    );
}

/// How many output lines a group row strings together from its first
/// differing line.
const GROUP_LINES: usize = 3;

/// The groups view (`o`): each group's node count and first nodes, its
/// status and exit code, and its output from the first line that tells it
/// apart from the others (`L4 tick 4 · web`), else its first line.
fn render_groups(frame: &mut Frame, area: Rect, st: &CommandsState, run: &Run, cx: &RenderContext) {
    let t = cx.theme;
    let h = usize::from(area.height.saturating_sub(3));
    st.hits.record(table_rows(area), st.scroll);
    let groups = run.groups();
    let from = super::state::differing_lines(&groups);
    let label_w: u16 = if area.width >= 120 { 44 } else { 26 };
    let rows: Vec<Row> = groups
        .iter()
        .zip(&from)
        .enumerate()
        .skip(st.scroll)
        .take(h)
        .map(|(i, (g, &at))| {
            let mut spans = Vec::new();
            if g.nodes.iter().any(|id| run.truncated(id)) {
                spans.push(Span::styled("✂ truncated · ", t.style("ui.notice")));
            }
            spans.extend(group_output(run, g, at, t));
            let label = if groups.len() == 1 {
                format!("all {}", run.group_label(g, usize::from(label_w) - 4))
            } else {
                run.group_label(g, usize::from(label_w))
            };
            let row = Row::new(vec![
                Cell::from(label),
                Cell::from(Span::styled(
                    g.status.as_str(),
                    t.style(status_token(g.status)),
                )),
                Cell::from(if g.code >= 0 {
                    format!("exit {}", g.code)
                } else {
                    String::new()
                }),
                Cell::from(Line::from(spans)),
            ]);
            if i == st.cursor {
                row.style(t.style("ui.cursor"))
            } else {
                row
            }
        })
        .collect();
    let header = if from.iter().any(|&k| k > 0) {
        "OUTPUT (Ln: from the first line that differs)"
    } else {
        "OUTPUT (first line)"
    };
    frame.render_widget(
        Table::new(
            rows,
            [
                Constraint::Length(label_w),
                Constraint::Length(11),
                Constraint::Length(8),
                Constraint::Min(10),
            ],
        )
        .header(Row::new(vec!["GROUP", "STATUS", "EXIT", header]).style(t.style("ui.table_header")))
        .block(block(title(run, cx.now), cx)),
        area,
    );
}

/// What a StatusDetails of an invocation that never ran its script means
/// (AWS's "Understanding command statuses"), `None` for the others.
fn never_ran(details: &str) -> Option<&'static str> {
    Some(match details {
        "InvalidPlatform" => "the document does not run on this node's platform",
        "Undeliverable" => "not delivered (node gone, or not a managed node)",
        "DeliveryTimedOut" => "not delivered before the delivery timeout",
        "Terminated" => "not started: the command reached its MaxErrors",
        _ => return None,
    })
}

/// A group row's output cell: from line `at` on (with its number) when
/// the groups share their first lines, else the first line; lines
/// joined with ` ⏎ `, escaped; a group that never ran says
/// why (its StatusDetails).
fn group_output(
    run: &Run,
    g: &super::state::Group,
    at: usize,
    t: &crate::config::Theme,
) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    // A group that ran and failed says why: its first stderr line.
    let err = g
        .nodes
        .first()
        .and_then(|id| run.nodes.get(id))
        .filter(|n| super::state::ran_and_failed(&n.inv))
        .and_then(|n| n.stderr_first())
        .filter(|e| !e.is_empty());
    if let Some(err) = err {
        return stderr_line(err, t).spans;
    }
    if g.output.is_empty()
        && let Some(why) = never_ran(&g.details)
    {
        return vec![Span::styled(
            format!("{}: {why}", crate::widgets::raw_json::sanitize(&g.details)),
            t.style("ui.notice"),
        )];
    }
    match super::state::lines_from(&g.output, at, GROUP_LINES) {
        None => {
            spans.push(Span::styled(format!("L{} ", at + 1), t.style("ui.dim")));
            spans.push(Span::styled(
                format!("(output ends after line {at})"),
                t.style("ui.dim"),
            ));
        }
        Some(lines) => {
            if at > 0 {
                spans.push(Span::styled(format!("L{} ", at + 1), t.style("ui.dim")));
            }
            let text = lines
                .iter()
                .map(|l| crate::widgets::raw_json::sanitize(l))
                .collect::<Vec<_>>()
                .join(" ⏎ ");
            spans.push(Span::raw(text));
        }
    }
    spans
}

/// `stderr: <line>`: the first stderr line of a node that ran and failed,
/// escaped, in the failed colour.
fn stderr_line(err: &str, t: &crate::config::Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled("stderr: ", t.style("ui.dim")),
        Span::styled(
            crate::widgets::raw_json::sanitize(err),
            t.style("status.failed"),
        ),
    ])
}

/// The grid's column widths and titles; `narrow` leaves TIME out.
fn grid_columns(narrow: bool) -> (Vec<Constraint>, Vec<&'static str>) {
    let mut widths = vec![
        Constraint::Length(1),
        Constraint::Length(18),
        Constraint::Length(20),
        Constraint::Length(17),
        Constraint::Length(5),
        Constraint::Length(8),
        Constraint::Min(10),
    ];
    let mut header = vec![
        " ",
        "NAME",
        "NODE ID",
        "STATUS",
        "EXIT",
        "TIME",
        "OUTPUT (first line)",
    ];
    if narrow {
        widths.remove(5);
        header.remove(5);
    }
    (widths, header)
}

fn render_output(frame: &mut Frame, area: Rect, st: &CommandsState, run: &Run, cx: &RenderContext) {
    let t = cx.theme;
    let Some(id) = st.cursor_node() else {
        return;
    };
    let Some(n) = run.nodes.get(&id) else {
        return;
    };
    let mut lines: Vec<Line> = Vec::new();
    let search = st.search.clone().filter(|s| !s.is_empty());
    let keep = |l: &str| search.as_ref().is_none_or(|q| l.contains(q.as_str()));
    if n.dropped_bytes > 0 {
        lines.push(Line::from(Span::styled(
            format!(
                "… truncated: {} bytes dropped, the last {} bytes kept",
                n.dropped_bytes,
                n.live.bytes()
            ),
            t.style("ui.notice"),
        )));
    }
    let source = if let Some(f) = &n.full {
        for l in f.stdout.lines().filter(|l| keep(l)) {
            lines.push(Line::from(l.to_owned()));
        }
        for l in f.stderr.lines().filter(|l| keep(l)) {
            lines.push(Line::from(Span::styled(
                l.to_owned(),
                t.style("diff.removed"),
            )));
        }
        // The note stays last whatever the search: it says what is missing.
        if let Some(m) = f.marker() {
            lines.push(Line::from(Span::styled(m, t.style("ui.notice"))));
        }
        f.source()
    } else if !n.live.is_empty() {
        for (stderr, l) in n.live.iter().filter(|(_, l)| keep(l)) {
            let style = if stderr {
                t.style("diff.removed")
            } else {
                t.style("ui.text")
            };
            lines.push(Line::from(Span::styled(l.to_owned(), style)));
        }
        "live (CloudWatch Logs)"
    } else if !n.inv.output.is_empty() {
        for l in n.inv.output.lines().filter(|l| keep(l)) {
            lines.push(Line::from(l.to_owned()));
        }
        "first 2,500 characters"
    } else if n.inv.status.is_final() {
        lines.push(Line::from("(no output)"));
        "output"
    } else {
        lines.push(Line::from(if run.log_group.is_some() {
            "Waiting for output…"
        } else {
            "Output appears when this node finishes: GetCommandInvocation returns nothing before (turn CloudWatch output on to see it live)."
        }));
        "output"
    };
    // Follow like tail -f: show the end.
    let height = usize::from(area.height.saturating_sub(2));
    let skip = lines.len().saturating_sub(height);
    let lines: Vec<Line> = lines.into_iter().skip(skip).collect();
    let started = n
        .inv
        .start_s
        .map(|s| format_epoch(s as i64))
        .unwrap_or_default();
    let search_note = search
        .map(|q| format!(" · lines with '{q}'"))
        .unwrap_or_default();
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block(
                format!(
                    " {} {} — {source}{search_note} — started {started} ",
                    n.inv.instance_name, id
                ),
                cx,
            )),
        area,
    );
}

/// The history view: one row per send (its command ids added up), the
/// remembered sends ListCommands does not list last. Command text and
/// document names are AWS's (or the file's) data: escaped.
fn render_history(frame: &mut Frame, area: Rect, st: &CommandsState, cx: &RenderContext) {
    let t = cx.theme;
    if st.history.is_none() {
        frame.render_widget(
            Paragraph::new("Loading past commands (ListCommands)…")
                .block(block(" History ".into(), cx)),
            area,
        );
        return;
    }
    let h = st.history_view();
    let sanitize = crate::widgets::raw_json::sanitize;
    let rows: Vec<Row> = h
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let c = &r.summary;
            let status = if r.listed {
                Span::styled(c.status.as_str(), t.style(command_status_token(c.status)))
            } else {
                Span::styled("not listed", t.style("ui.dim"))
            };
            let mut done = if !r.listed {
                format!("{} nodes", c.target_count)
            } else if c.delivery_timed_out > 0 {
                format!(
                    "{}/{} ({} errors, {} not delivered)",
                    c.completed, c.target_count, c.errors, c.delivery_timed_out
                )
            } else {
                format!("{}/{} ({} errors)", c.completed, c.target_count, c.errors)
            };
            if r.command_ids.len() > 1 {
                done.push_str(&format!(" · {} commands", r.command_ids.len()));
            }
            let mut command = c.commands.first().map(|l| sanitize(l)).unwrap_or_default();
            if !r.listed {
                command = format!(
                    "[{}] {command}",
                    sanitize(r.context.as_deref().unwrap_or(""))
                );
            }
            let row = Row::new(vec![
                Cell::from(
                    c.requested_s
                        .map(|s| format_epoch(s as i64))
                        .unwrap_or_default(),
                ),
                Cell::from(status),
                Cell::from(done),
                Cell::from(sanitize(&c.document)),
                Cell::from(command),
            ]);
            if i == st.history_cursor {
                row.style(t.style("ui.cursor"))
            } else {
                row
            }
        })
        .collect();
    let listed = h.iter().filter(|r| r.listed);
    frame.render_widget(
        Table::new(
            rows,
            [
                Constraint::Length(20),
                Constraint::Length(11),
                Constraint::Length(46),
                Constraint::Length(24),
                Constraint::Min(10),
            ],
        )
        .header(
            Row::new(vec![
                "REQUESTED (UTC)",
                "STATUS",
                "DONE",
                "DOCUMENT",
                "COMMAND",
            ])
            .style(t.style("ui.table_header")),
        )
        .block(block(
            format!(
                " History — {} sends: {} — Enter reopens · Esc back ",
                h.len(),
                command_status_counts(listed.map(|r| r.summary.status))
            ),
            cx,
        )),
        area,
    );
}

/// One composer field: its label and value, the focused one with the
/// cursor. Document names, defaults and typed text are sanitized: no raw
/// control sequence reaches the terminal.
fn compose_line(
    c: &Compose,
    t: &crate::config::Theme,
    f: ComposeField,
    label: &str,
    value: &str,
) -> Line<'static> {
    let focused = c.focus == f;
    let text = crate::widgets::raw_json::sanitize(value);
    Line::from(vec![
        Span::styled(format!("{label:<18}"), t.style("ui.dim")),
        if focused {
            Span::styled(
                crate::widgets::line_input::with_cursor(&text, c.cursor),
                t.style("ui.input"),
            )
        } else {
            Span::styled(text, t.style("ui.text"))
        },
    ])
}

fn render_compose(frame: &mut Frame, area: Rect, c: &Compose, cx: &RenderContext) {
    let t = cx.theme;
    frame.render_widget(Clear, area);
    let outer = block(
        " Run a command — Ctrl-S review and send · Esc hides (kept) · Tab fields · Ctrl-P/N previous commands ".into(),
        cx,
    );
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let field = |f: ComposeField, label: &str, value: String| compose_line(c, t, f, label, &value);
    let targets = if c.nodes.is_empty() {
        field(
            ComposeField::Targets,
            "Targets (tags)",
            format!(
                "{}  → {} of {} loaded nodes match",
                c.tags, c.resolved, c.fleet_total
            ),
        )
    } else {
        Line::from(vec![
            Span::styled(format!("{:<18}", "Targets"), t.style("ui.dim")),
            Span::styled(
                format!(
                    "{} from {}",
                    if c.nodes.len() == 1 {
                        "1 node".to_owned()
                    } else {
                        format!("{} nodes", c.nodes.len())
                    },
                    c.origin
                ),
                t.style("ui.selected"),
            ),
        ])
    };
    let top = vec![
        targets,
        field(ComposeField::Document, "Document", {
            let n = c.document_matches().len();
            if c.doc_search.is_empty() {
                format!(
                    "{} (type to search {n} documents; Space/←/→ next)",
                    c.document
                )
            } else {
                format!(
                    "{} (search \"{}\": {n} match; Space/←/→ next)",
                    c.document, c.doc_search
                )
            }
        }),
    ];
    let params: Vec<Line> = c
        .params
        .iter()
        .enumerate()
        .map(|(i, (p, v))| {
            let name = crate::widgets::raw_json::sanitize(&p.name);
            let mut l = field(ComposeField::Param(i), &format!("  {name}"), v.clone());
            l.spans.push(Span::styled(
                format!(
                    "  {} — {}",
                    p.kind,
                    crate::widgets::raw_json::sanitize(
                        &p.description.chars().take(60).collect::<String>()
                    )
                ),
                t.style("ui.dim"),
            ));
            l
        })
        .collect();
    let bottom = vec![
        field(ComposeField::Timeout, "Timeout (s)", c.timeout.clone()),
        field(
            ComposeField::ExecutionTimeout,
            "Exec timeout (s)",
            c.execution_timeout.clone(),
        ),
        field(
            ComposeField::Concurrency,
            "MaxConcurrency",
            c.concurrency.clone(),
        ),
        field(ComposeField::Errors, "MaxErrors", c.errors.clone()),
        field(ComposeField::Comment, "Comment", c.comment.clone()),
        field(
            ComposeField::CloudWatch,
            "CloudWatch output",
            format!(
                "{} (Space toggles; live output needs it)",
                if c.cloudwatch { "on" } else { "off" }
            ),
        ),
        field(
            ComposeField::LogGroup,
            "Log group",
            if c.log_group.is_empty() && c.focus != ComposeField::LogGroup {
                format!("/aws/ssm/{} (default)", c.document)
            } else {
                c.log_group.clone()
            },
        ),
        field(
            ComposeField::S3Output,
            "S3 output",
            if c.s3_output.is_empty() && c.focus != ComposeField::S3Output {
                "off (bucket/prefix: the whole output there)".into()
            } else {
                c.s3_output.clone()
            },
        ),
    ];
    let err_h = u16::from(c.error.is_some()) * 2;
    let [a, b, p, d, e] = Layout::vertical([
        Constraint::Length(top.len() as u16),
        Constraint::Min(4),
        Constraint::Length(params.len() as u16),
        Constraint::Length(bottom.len() as u16),
        Constraint::Length(err_h),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(top), a);
    frame.render_widget(Paragraph::new(params), p);
    let mut ta = c.commands.clone();
    ta.set_block(
        Block::default()
            .borders(Borders::ALL)
            .border_style(if c.focus == ComposeField::Commands {
                t.style("ui.key")
            } else {
                t.style("ui.border")
            })
            .title(if c.script {
                " Commands (one per line) "
            } else {
                " No script: this document runs with the parameters above "
            }),
    );
    frame.render_widget(&ta, b);
    frame.render_widget(Paragraph::new(bottom), d);
    if let Some(err) = &c.error {
        frame.render_widget(
            Paragraph::new(Span::styled(err.clone(), t.style("ui.error")))
                .wrap(Wrap { trim: true }),
            e,
        );
    }
}
