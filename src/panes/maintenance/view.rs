//! Drawing the Maintenance pane: a tab line (top-level lists, or a
//! window's), then the list as a table, the cursor's row highlighted;
//! a window's and an execution's summary above their lists; a calendar's
//! state, CLOSED spans and events. Every text from AWS is sanitized. Times
//! are UTC.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Wrap};

use super::state::{Inner, Loaded, MaintenanceState, TopTab, WindowTab, relative, when};
use crate::aws::maintenance::{Window, parse_iso8601};
use crate::config::Theme;
use crate::model::span_text;
use crate::pane::RenderContext;
use crate::widgets::list::ListCursor;
use crate::widgets::raw_json::sanitize;
use crate::widgets::table::{Columns, narrow, note, styled, tab_line, table};
use crate::widgets::titled_block;

/// The theme token of an execution status.
fn status_token(s: &str) -> &'static str {
    match s {
        "SUCCESS" => "status.success",
        "FAILED" => "status.failed",
        "TIMED_OUT" => "status.timed_out",
        "CANCELLING" | "CANCELLED" | "SKIPPED_OVERLAPPING" => "status.cancelled",
        "IN_PROGRESS" => "status.in_progress",
        _ => "status.pending",
    }
}

/// Draws the pane.
pub fn render(frame: &mut Frame, area: Rect, s: &MaintenanceState, cx: &RenderContext) {
    if let Some(raw) = &s.raw {
        s.hits.forget();
        raw.render(frame, area, cx);
        return;
    }
    let title = match s.inner() {
        None => " Maintenance (times UTC) ".to_owned(),
        Some(_) => format!(" Maintenance · {} ", s.crumb_text()),
    };
    let block = titled_block(title, cx);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    match s.inner() {
        None => render_top(frame, inner, s, cx),
        Some(Inner::Window {
            ctx,
            id,
            tab,
            cursors,
        }) => {
            let w = s.window(*ctx, id);
            let i = WindowTab::ALL.iter().position(|t| t == tab).unwrap_or(0);
            render_window(frame, inner, s, w, (*tab, cursors[i]), cx);
        }
        Some(Inner::Execution { id, cursor, .. }) => {
            render_execution(frame, inner, s, id, *cursor, cx)
        }
        Some(Inner::Calendar { ctx, name, cursor }) => {
            s.hits.forget();
            render_calendar(frame, inner, s, (*ctx, name, cursor.at), cx);
        }
    }
}

impl MaintenanceState {
    fn crumb_text(&self) -> String {
        crate::pane::Pane::crumb(self).unwrap_or_default()
    }
}

fn next_text(w: &Window, now_s: i64) -> (String, &'static str) {
    match (&w.next_execution, w.enabled) {
        (_, false) => ("— (disabled)".into(), "ui.dim"),
        (None, true) => ("— (none scheduled)".into(), "ui.dim"),
        (Some(n), true) => match parse_iso8601(n) {
            Some(t) => (
                format!("{} ({})", when(t, now_s), relative(t, now_s)),
                "ui.text",
            ),
            None => (sanitize(n), "ui.text"),
        },
    }
}

fn render_top(frame: &mut Frame, area: Rect, s: &MaintenanceState, cx: &RenderContext) {
    let t = cx.theme;
    let [tabs, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    let closed = s.closed_now(s.now_s).len();
    let counts = [
        format!("{} ({})", TopTab::Windows.title(), s.windows.len()),
        match s.upcoming.ready() {
            Some(u) => format!("{} ({})", TopTab::Upcoming.title(), u.len()),
            None => TopTab::Upcoming.title().to_owned(),
        },
        match closed {
            0 => format!("{} ({})", TopTab::Calendars.title(), s.calendars.len()),
            n => format!(
                "{} ({}, {n} CLOSED)",
                TopTab::Calendars.title(),
                s.calendars.len()
            ),
        },
    ];
    let tab_titles: Vec<(String, bool)> = TopTab::ALL
        .iter()
        .zip(counts)
        .map(|(tab, c)| (c, *tab == s.tab))
        .collect();
    frame.render_widget(Paragraph::new(tab_line(&tab_titles, t)), tabs);
    let [status, list] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(rest);
    let (text, token) = top_status(s);
    frame.render_widget(Paragraph::new(Span::styled(text, t.style(token))), status);
    match s.tab {
        TopTab::Windows => render_windows(frame, list, s, cx),
        TopTab::Upcoming => render_upcoming(frame, list, s, cx),
        TopTab::Calendars => render_calendars(frame, list, s, cx),
    }
}

/// The line above a top-level list: loading, what failed where.
fn top_status(s: &MaintenanceState) -> (String, &'static str) {
    let failed = match s.tab {
        TopTab::Windows => &s.windows_failed,
        TopTab::Upcoming => &s.upcoming_failed,
        TopTab::Calendars => &s.calendars_failed,
    };
    if let Some((ctx, e)) = failed.first() {
        let place = s.context_name(*ctx);
        let place = if place.is_empty() {
            String::new()
        } else {
            format!("{place}: ")
        };
        return (format!("✗ {place}{}", sanitize(e)), "ui.error");
    }
    let loading = match s.tab {
        TopTab::Windows => s.windows_pending > 0,
        TopTab::Upcoming => s.upcoming_pending > 0 || s.upcoming == Loaded::Loading,
        TopTab::Calendars => {
            s.calendars_asked_s.is_some() && s.calendars.is_empty() && s.calendars_failed.is_empty()
        }
    };
    match (loading, s.tab) {
        (true, _) => ("loading…".into(), "ui.dim"),
        (false, TopTab::Windows) => {
            let on = s.windows.iter().filter(|(_, w)| w.enabled).count();
            (
                format!(
                    "{on} enabled, {} disabled · Enter opens · E enables/disables",
                    s.windows.len() - on
                ),
                "ui.dim",
            )
        }
        (false, TopTab::Upcoming) => (
            "runs of the enabled windows, next 7 days; ⚠ = a change calendar is CLOSED then".into(),
            "ui.dim",
        ),
        (false, TopTab::Calendars) => (
            "GetCalendarState now; Enter shows the events and the state at a time".into(),
            "ui.dim",
        ),
    }
}

fn render_windows(frame: &mut Frame, area: Rect, s: &MaintenanceState, cx: &RenderContext) {
    let t = cx.theme;
    if s.windows.is_empty() {
        s.hits.forget();
        let text = if s.windows_pending > 0 {
            ""
        } else {
            "No maintenance windows in this account and region."
        };
        note(frame, area, text.into(), t.style("ui.dim"));
        return;
    }
    // Narrow (80 columns): no id, no duration, the next run as "in 2h".
    let wide = area.width >= 120;
    let multi = s.contexts.len() > 1;
    let mut header = vec!["NAME", "STATE", "SCHEDULE", "NEXT RUN"];
    let mut widths = vec![
        Constraint::Fill(2),
        Constraint::Length(8),
        Constraint::Fill(3),
        Constraint::Length(12),
    ];
    if wide {
        header.insert(1, "ID");
        widths.insert(1, Constraint::Length(20));
        header.insert(4, "DUR/CUT");
        widths.insert(4, Constraint::Length(7));
        widths[5] = Constraint::Fill(2);
    }
    if multi {
        header.push("CONTEXT");
        widths.push(Constraint::Fill(1));
    }
    let rows = s
        .windows
        .iter()
        .map(|(ctx, w)| {
            let (mut next, token) = next_text(w, s.now_s);
            if !wide && let Some((_, rel)) = next.split_once(" (") {
                next = rel.trim_end_matches(')').to_owned();
            }
            let sched = match &w.timezone {
                Some(tz) => format!("{} {}", sanitize(&w.schedule), sanitize(tz)),
                None => sanitize(&w.schedule),
            };
            let mut cells = vec![
                Cell::from(sanitize(&w.name)),
                if w.enabled {
                    styled("enabled", t.style("status.success"))
                } else {
                    styled("disabled", t.style("ui.dim"))
                },
                Cell::from(sched),
                styled(next, t.style(token)),
            ];
            if wide {
                cells.insert(1, Cell::from(sanitize(&w.id)));
                let dur = format!("{}h/{}h", w.duration_h.unwrap_or(0), w.cutoff_h);
                cells.insert(4, Cell::from(dur));
            }
            if multi {
                cells.push(Cell::from(s.context_name(*ctx)));
            }
            cells
        })
        .collect();
    table(
        frame,
        area,
        &s.hits,
        (header, widths),
        rows,
        s.cursors[0],
        cx,
    );
}

fn render_upcoming(frame: &mut Frame, area: Rect, s: &MaintenanceState, cx: &RenderContext) {
    let t = cx.theme;
    let Some(runs) = s.upcoming.ready().filter(|r| !r.is_empty()) else {
        s.hits.forget();
        let text = match &s.upcoming {
            Loaded::Ready(_) if s.upcoming_pending == 0 => "No runs in the next 7 days.",
            _ => "",
        };
        note(frame, area, text.into(), t.style("ui.dim"));
        return;
    };
    let header = vec!["WHEN", "IN", "WINDOW", "CHANGE CALENDAR"];
    let widths = vec![
        Constraint::Length(11),
        Constraint::Length(10),
        Constraint::Fill(2),
        Constraint::Fill(2),
    ];
    let rows = runs
        .iter()
        .map(|(ctx, r)| {
            let (at, rel, freeze) = match r.at_s {
                Some(x) => (when(x, s.now_s), relative(x, s.now_s), s.closed_at(x)),
                None => (sanitize(&r.at), String::new(), Vec::new()),
            };
            let place = s.context_name(*ctx);
            let name = if place.is_empty() {
                sanitize(&r.name)
            } else {
                format!("{} · {place}", sanitize(&r.name))
            };
            let cal = if freeze.is_empty() {
                styled("open", t.style("ui.dim"))
            } else {
                styled(
                    format!("⚠ CLOSED: {}", sanitize(&freeze.join(", "))),
                    t.style("ui.error"),
                )
            };
            vec![Cell::from(at), Cell::from(rel), Cell::from(name), cal]
        })
        .collect();
    table(
        frame,
        area,
        &s.hits,
        (header, widths),
        rows,
        s.cursors[1],
        cx,
    );
}

fn render_calendars(frame: &mut Frame, area: Rect, s: &MaintenanceState, cx: &RenderContext) {
    let t = cx.theme;
    if s.calendars.is_empty() {
        s.hits.forget();
        let text = if s.calendars_failed.is_empty() && s.calendars_asked_s.is_some() {
            "No change calendars (ListDocuments, DocumentType=ChangeCalendar), or still reading."
        } else {
            ""
        };
        note(frame, area, text.into(), t.style("ui.dim"));
        return;
    }
    let multi = s.contexts.len() > 1;
    let mut header = vec!["CALENDAR", "STATE", "NEXT CHANGE", "COUNTS"];
    let mut widths = vec![
        Constraint::Fill(2),
        Constraint::Length(7),
        Constraint::Fill(2),
        Constraint::Length(8),
    ];
    if multi {
        header.push("CONTEXT");
        widths.push(Constraint::Fill(1));
    }
    let rows = s
        .calendars
        .iter()
        .map(|(ctx, tl)| {
            let next = match tl.now.next_transition.as_deref().and_then(parse_iso8601) {
                Some(x) => format!("{} ({})", when(x, s.now_s), relative(x, s.now_s)),
                None => "—".into(),
            };
            let counts = s.counts(*ctx, &tl.now.name);
            let mut cells = vec![
                Cell::from(sanitize(&tl.now.name)),
                if tl.now.open {
                    styled("OPEN", t.style("status.success"))
                } else {
                    styled("CLOSED", t.style("ui.error"))
                },
                Cell::from(next),
                Cell::from(if counts { "yes" } else { "no" }),
            ];
            if multi {
                cells.push(Cell::from(s.context_name(*ctx)));
            }
            cells
        })
        .collect();
    table(
        frame,
        area,
        &s.hits,
        (header, widths),
        rows,
        s.cursors[2],
        cx,
    );
}

/// A window's two summary lines: name, id, state, schedule and time zone,
/// duration, cutoff, next run; its description.
fn window_summary(w: &Window, now_s: i64, t: &Theme) -> Vec<Line<'static>> {
    let (next, token) = next_text(w, now_s);
    vec![
        Line::from(vec![
            Span::styled(format!("{} ", sanitize(&w.name)), t.style("ui.title")),
            Span::styled(format!("{} · ", sanitize(&w.id)), t.style("ui.dim")),
            if w.enabled {
                Span::styled("enabled", t.style("status.success"))
            } else {
                Span::styled("disabled", t.style("ui.dim"))
            },
            Span::raw(format!(
                " · {} {} · {}h, cutoff {}h · next ",
                sanitize(&w.schedule),
                sanitize(w.timezone.as_deref().unwrap_or("UTC")),
                w.duration_h.unwrap_or(0),
                w.cutoff_h
            )),
            Span::styled(next, t.style(token)),
        ]),
        Line::styled(sanitize(&w.description), t.style("ui.dim")),
    ]
}

fn render_window(
    frame: &mut Frame,
    area: Rect,
    s: &MaintenanceState,
    w: Option<&Window>,
    (tab, cursor): (WindowTab, ListCursor),
    cx: &RenderContext,
) {
    let t = cx.theme;
    let [summary, tabs, list] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(area);
    let lines = w.map_or_else(
        || vec![Line::from("(window not in the list: r reloads)")],
        |w| window_summary(w, s.now_s, t),
    );
    frame.render_widget(Paragraph::new(lines), summary);
    let d = s.details.ready();
    let titles: Vec<(String, bool)> = WindowTab::ALL
        .iter()
        .map(|x| {
            let n = d.map(|d| match x {
                WindowTab::Executions => d.executions.len(),
                WindowTab::Tasks => d.tasks.len(),
                WindowTab::Targets => d.targets.len(),
            });
            let title = n.map_or_else(|| x.title().to_owned(), |n| format!("{} ({n})", x.title()));
            (title, *x == tab)
        })
        .collect();
    frame.render_widget(Paragraph::new(tab_line(&titles, t)), tabs);
    let Some(d) = d else {
        s.hits.forget();
        let (text, style) = match &s.details {
            Loaded::Failed(e) => (format!("✗ {}", sanitize(e)), t.style("ui.error")),
            _ => ("loading…".into(), t.style("ui.dim")),
        };
        note(frame, list, text, style);
        return;
    };
    let (header, widths, rows) = match tab {
        WindowTab::Executions => narrow(
            executions_table(d, s.now_s, t),
            &[true, true, true, false, true],
            list.width >= 120,
        ),
        WindowTab::Tasks => tasks_table(d),
        WindowTab::Targets => targets_table(d),
    };
    if rows.is_empty() {
        s.hits.forget();
        let (text, style) = match (&d.executions_error, tab) {
            (Some(e), WindowTab::Executions) => (
                format!("✗ executions not read: {}", sanitize(e)),
                t.style("ui.error"),
            ),
            _ => (
                format!("No {}.", tab.title().to_lowercase()),
                t.style("ui.dim"),
            ),
        };
        note(frame, list, text, style);
        return;
    }
    table(frame, list, &s.hits, (header, widths), rows, cursor, cx);
}

fn executions_table(d: &crate::aws::maintenance::WindowDetails, now_s: i64, t: &Theme) -> Columns {
    let header = vec!["EXECUTION", "STATUS", "STARTED", "TOOK", "DETAILS"];
    let widths = vec![
        Constraint::Length(36),
        Constraint::Length(11),
        Constraint::Length(24),
        Constraint::Length(12),
        Constraint::Fill(1),
    ];
    let rows = d
        .executions
        .iter()
        .map(|x| {
            let (started, took) = span_text(x.start_s, x.end_s, now_s);
            vec![
                Cell::from(sanitize(&x.id)),
                styled(sanitize(&x.status), t.style(status_token(&x.status))),
                Cell::from(started),
                Cell::from(took),
                Cell::from(sanitize(&x.status_details)),
            ]
        })
        .collect();
    (header, widths, rows)
}

fn pairs_text(p: &[(String, Vec<String>)]) -> String {
    sanitize(
        &p.iter()
            .map(|(k, v)| format!("{k}={}", v.join(",")))
            .collect::<Vec<_>>()
            .join(" "),
    )
}

fn tasks_table(d: &crate::aws::maintenance::WindowDetails) -> Columns {
    let header = vec![
        "PRIO",
        "TYPE",
        "RUNS",
        "NAME",
        "CONCURRENCY",
        "ERRORS",
        "TARGETS",
    ];
    let widths = vec![
        Constraint::Length(4),
        Constraint::Length(11),
        Constraint::Fill(2),
        Constraint::Fill(1),
        Constraint::Length(11),
        Constraint::Length(6),
        Constraint::Fill(2),
    ];
    let rows = d
        .tasks
        .iter()
        .map(|x| {
            vec![
                Cell::from(x.priority.to_string()),
                Cell::from(sanitize(&x.task_type)),
                Cell::from(sanitize(&x.task_arn)),
                Cell::from(sanitize(&x.name)),
                Cell::from(sanitize(&x.max_concurrency)),
                Cell::from(sanitize(&x.max_errors)),
                Cell::from(pairs_text(&x.targets)),
            ]
        })
        .collect();
    (header, widths, rows)
}

fn targets_table(d: &crate::aws::maintenance::WindowDetails) -> Columns {
    let header = vec!["TARGET", "NAME", "TYPE", "SELECTS", "OWNER INFORMATION"];
    let widths = vec![
        Constraint::Length(36),
        Constraint::Fill(1),
        Constraint::Length(9),
        Constraint::Fill(2),
        Constraint::Fill(1),
    ];
    let rows = d
        .targets
        .iter()
        .map(|x| {
            vec![
                Cell::from(sanitize(&x.id)),
                Cell::from(sanitize(&x.name)),
                Cell::from(sanitize(&x.resource_type)),
                Cell::from(pairs_text(&x.targets)),
                Cell::from(sanitize(&x.owner_information)),
            ]
        })
        .collect();
    (header, widths, rows)
}

fn render_execution(
    frame: &mut Frame,
    area: Rect,
    s: &MaintenanceState,
    id: &str,
    cursor: ListCursor,
    cx: &RenderContext,
) {
    let t = cx.theme;
    let [summary, list] = Layout::vertical([Constraint::Length(2), Constraint::Min(1)]).areas(area);
    let x = s
        .details
        .ready()
        .and_then(|d| d.executions.iter().find(|x| x.id == id));
    let line = match x {
        Some(x) => {
            let (started, took) = span_text(x.start_s, x.end_s, s.now_s);
            Line::from(vec![
                Span::styled(format!("{} ", sanitize(id)), t.style("ui.title")),
                Span::styled(sanitize(&x.status), t.style(status_token(&x.status))),
                Span::raw(format!(
                    " · started {started} · {took} · {}",
                    sanitize(&x.status_details)
                )),
            ])
        }
        None => Line::from(sanitize(id)),
    };
    frame.render_widget(Paragraph::new(vec![line, Line::styled(
        "one row per task and target; Enter opens a RUN_COMMAND invocation's command in the Run Command pane",
        t.style("ui.dim"),
    )]), summary);
    let invs = s.invocations();
    if invs.is_empty() {
        s.hits.forget();
        let (text, style) = match &s.execution {
            Loaded::Failed(e) => (format!("✗ {}", sanitize(e)), t.style("ui.error")),
            Loaded::Ready(_) => ("No task invocations (yet).".into(), t.style("ui.dim")),
            _ => ("loading…".into(), t.style("ui.dim")),
        };
        note(frame, list, text, style);
        return;
    }
    let (header, widths, rows) = narrow(
        invocations_table(&invs, s.now_s, t),
        &[true, false, true, true, false, true],
        list.width >= 120,
    );
    table(frame, list, &s.hits, (header, widths), rows, cursor, cx);
}

/// One row per task and target of an execution.
fn invocations_table(
    invs: &[(
        &crate::aws::maintenance::Execution,
        &crate::aws::maintenance::Invocation,
    )],
    now_s: i64,
    t: &Theme,
) -> Columns {
    let header = vec![
        "TASK",
        "TYPE",
        "STATUS",
        "EXECUTION ID",
        "STARTED",
        "DETAILS",
    ];
    let widths = vec![
        Constraint::Fill(1),
        Constraint::Length(11),
        Constraint::Length(11),
        Constraint::Length(36),
        Constraint::Length(24),
        Constraint::Fill(2),
    ];
    let rows = invs
        .iter()
        .map(|(task, i)| {
            let (started, _) = span_text(i.start_s, i.end_s, now_s);
            vec![
                Cell::from(sanitize(
                    &task.task.as_ref().map_or(String::new(), |(a, _)| a.clone()),
                )),
                Cell::from(sanitize(&i.task_type)),
                styled(sanitize(&i.status), t.style(status_token(&i.status))),
                Cell::from(sanitize(&i.execution_id)),
                Cell::from(started),
                Cell::from(sanitize(&i.status_details)),
            ]
        })
        .collect();
    (header, widths, rows)
}

/// A calendar's state now, its CLOSED spans ahead and the state at the
/// time the user asked for.
fn calendar_state_lines(
    s: &MaintenanceState,
    (ctx, name): (crate::model::ContextId, &str),
    t: &Theme,
) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let this = s
        .calendars
        .iter()
        .find(|(c, tl)| *c == ctx && tl.now.name == name);
    if let Some((_, tl)) = this {
        let (state, token) = if tl.now.open {
            ("OPEN", "status.success")
        } else {
            ("CLOSED", "ui.error")
        };
        let next = tl
            .now
            .next_transition
            .as_deref()
            .and_then(parse_iso8601)
            .map_or_else(
                || "no change known".into(),
                |x| format!("changes {} ({})", when(x, s.now_s), relative(x, s.now_s)),
            );
        lines.push(Line::from(vec![
            Span::raw("Now "),
            Span::styled(state, t.style(token)),
            Span::raw(format!(" · {next}")),
        ]));
        for (a, b) in &tl.closed {
            let end = b.map_or_else(|| "no reopening known".into(), |b| when(b, s.now_s));
            let start = if *a == tl.from_s {
                "now".to_owned()
            } else {
                when(*a, s.now_s)
            };
            lines.push(Line::styled(
                format!("  CLOSED {start} → {end}"),
                t.style("ui.error"),
            ));
        }
    }
    lines.push(match &s.calendar_at {
        Loaded::NotAsked => Line::styled(
            "a: the state at another time (GetCalendarState AtTime)",
            t.style("ui.dim"),
        ),
        Loaded::Loading => Line::styled("reading the state at that time…", t.style("ui.dim")),
        Loaded::Ready(c) => Line::from(format!(
            "At {}: {} (next change {})",
            sanitize(&c.at),
            if c.open { "OPEN" } else { "CLOSED" },
            sanitize(c.next_transition.as_deref().unwrap_or("none known"))
        )),
        Loaded::Failed(e) => Line::styled(format!("✗ {}", sanitize(e)), t.style("ui.error")),
    });
    lines
}

/// The calendar's events from its iCalendar text, or why not yet.
fn calendar_event_lines(s: &MaintenanceState, t: &Theme) -> Vec<Line<'static>> {
    let p = match &s.calendar_text {
        Loaded::Ready(p) => p,
        Loaded::Failed(e) => {
            return vec![Line::styled(
                format!("✗ {}", sanitize(e)),
                t.style("ui.error"),
            )];
        }
        _ => {
            return vec![Line::styled(
                "reading the calendar (GetDocument)…",
                t.style("ui.dim"),
            )];
        }
    };
    let mut lines = vec![Line::styled(
        format!("{} · {} events", sanitize(&p.default_state), p.events.len()),
        t.style("ui.table_header"),
    )];
    let at =
        |x: Option<i64>, raw: &str| x.map_or_else(|| sanitize(raw), crate::model::format_epoch);
    for e in &p.events {
        let repeat = if e.rrule.is_empty() {
            String::new()
        } else {
            format!(" · repeats {}", sanitize(&e.rrule))
        };
        lines.push(Line::from(format!(
            "{} → {}  {}{repeat}",
            at(e.start_s, &e.start),
            at(e.end_s, &e.end),
            sanitize(&e.summary)
        )));
    }
    lines
}

/// A calendar: its state lines, then its events; row keys scroll
/// (`scroll` lines off the top).
fn render_calendar(
    frame: &mut Frame,
    area: Rect,
    s: &MaintenanceState,
    (ctx, name, scroll): (crate::model::ContextId, &str, usize),
    cx: &RenderContext,
) {
    let t = cx.theme;
    let mut lines = calendar_state_lines(s, (ctx, name), t);
    lines.push(Line::raw(""));
    lines.extend(calendar_event_lines(s, t));
    let scroll = u16::try_from(scroll).unwrap_or(u16::MAX);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}
