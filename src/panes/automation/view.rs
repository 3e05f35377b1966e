//! Drawing the Automation pane: a tab line (executions with counts by
//! status, runbooks), the list as a shared table; an execution's summary
//! over its steps (the current one marked ▶), children or values; one
//! step in full; the start form. Every text from AWS is sanitized. Times
//! are UTC.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Clear, Paragraph, Wrap};

use super::form::{Field, StartForm, secret_looking};
use super::state::{AutomationState, ExecTab, Inner, TopTab};
use crate::aws::automation::{Execution, ExecutionDetail, Step};
use crate::config::Theme;
use crate::model::span_text;
use crate::pane::{Loaded, RenderContext};
use crate::widgets::line_input::with_cursor;
use crate::widgets::list::ListCursor;
use crate::widgets::raw_json::sanitize;
use crate::widgets::table::{Columns, narrow, note, styled, tab_line, table};
use crate::widgets::titled_block;

/// The theme token of an automation status.
pub fn status_token(s: &str) -> &'static str {
    match s {
        "Success" | "CompletedWithSuccess" | "Approved" => "status.success",
        "Failed" | "CompletedWithFailure" | "Rejected" | "ChangeCalendarOverrideRejected" => {
            "status.failed"
        }
        "TimedOut" => "status.timed_out",
        "Cancelling" | "Cancelled" | "Exited" => "status.cancelled",
        "InProgress" | "RunbookInProgress" => "status.in_progress",
        _ => "status.pending",
    }
}

/// Draws the pane.
pub fn render(frame: &mut Frame, area: Rect, s: &AutomationState, cx: &RenderContext) {
    if let Some(raw) = &s.raw {
        s.hits.forget();
        raw.render(frame, area, cx);
        return;
    }
    let title = match crate::pane::Pane::crumb(s) {
        None => " Automation (times UTC) ".to_owned(),
        Some(c) => format!(" Automation · {c} "),
    };
    let block = titled_block(title, cx);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    match s.inner() {
        None => render_top(frame, inner, s, cx),
        Some(Inner::Execution { tab, cursors, .. }) => {
            let i = ExecTab::ALL.iter().position(|t| t == tab).unwrap_or(0);
            render_execution(frame, inner, s, (*tab, cursors[i]), cx);
        }
        Some(Inner::Step { scroll, .. }) => {
            s.hits.forget();
            let lines = step_text(s);
            let body: Vec<Line> = lines.into_iter().skip(scroll.at).collect();
            frame.render_widget(Paragraph::new(body).wrap(Wrap { trim: false }), inner);
        }
    }
    if let Some(f) = s.form.as_ref().filter(|f| f.shown) {
        render_form(frame, area, f, cx);
    }
}

fn render_top(frame: &mut Frame, area: Rect, s: &AutomationState, cx: &RenderContext) {
    let t = cx.theme;
    let [tabs, status, list] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(area);
    let counts = s.counts();
    // Below 120 columns the counts by status give way, so both tabs show.
    let exec_title = if counts.is_empty() || area.width < 120 {
        format!("Executions {}", s.shown.len())
    } else {
        let c: Vec<String> = counts.iter().map(|(k, n)| format!("{k} {n}")).collect();
        format!("Executions {} ({})", s.shown.len(), c.join(" · "))
    };
    let tab_titles = vec![
        (exec_title, s.tab == TopTab::Executions),
        (
            format!("Runbooks {}", s.runbooks_shown.len()),
            s.tab == TopTab::Runbooks,
        ),
    ];
    frame.render_widget(Paragraph::new(tab_line(&tab_titles, t)), tabs);
    let (text, style) = top_status(s);
    frame.render_widget(Paragraph::new(Line::styled(text, t.style(style))), status);
    match s.tab {
        TopTab::Executions => render_executions(frame, list, s, cx),
        TopTab::Runbooks => render_runbooks(frame, list, s, cx),
    }
}

fn context_failures(failed: &[(crate::model::ContextId, String)], s: &AutomationState) -> String {
    failed
        .iter()
        .map(|(c, e)| {
            let name = s
                .contexts
                .get(c.index())
                .map_or_else(String::new, crate::model::ContextLabel::short);
            format!("✗ {name} {}", sanitize(e))
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn top_status(s: &AutomationState) -> (String, &'static str) {
    let (pending, failed) = match s.tab {
        TopTab::Executions => (s.pending, &s.failed),
        TopTab::Runbooks => (s.runbooks_pending, &s.runbooks_failed),
    };
    if !failed.is_empty() {
        return (context_failures(failed, s), "ui.error");
    }
    if pending > 0 {
        return (format!("loading… ({pending} context(s) to go)"), "ui.dim");
    }
    match s.tab {
        TopTab::Executions => {
            let mut text = if s.filter.is_empty() {
                "every automation execution (/ filters: status: runbook: since: ops: parent:)"
                    .to_owned()
            } else {
                format!("filter: {}", sanitize(&s.filter))
            };
            if !s.capped.is_empty() {
                text.push_str(&format!(
                    " · only the newest {} per context read: narrow with since: or status:",
                    super::EXECUTIONS_CAP
                ));
            }
            (text, "ui.dim")
        }
        TopTab::Runbooks => {
            let from = &s.start_from;
            let on = if from.nodes.is_empty() {
                "no nodes (select in Fleet, or type them in the form)".to_owned()
            } else {
                format!(
                    "{} node(s) from {}",
                    from.nodes.len(),
                    sanitize(&from.origin)
                )
            };
            let search = if s.search.is_empty() {
                String::new()
            } else {
                format!(" · search: {}", sanitize(&s.search))
            };
            (format!("Enter starts a runbook on {on}{search}"), "ui.dim")
        }
    }
}

fn execution_cells(e: &Execution, ctx: String, now_s: i64, t: &Theme) -> Vec<Cell<'static>> {
    let (started, took) = span_text(e.start_s, e.end_s, now_s);
    let what = if !e.failure.is_empty() {
        sanitize(&e.failure)
    } else if !e.current_step.is_empty() && !crate::aws::automation::is_final(&e.status) {
        format!(
            "▶ {} ({})",
            sanitize(&e.current_step),
            sanitize(&e.current_action)
        )
    } else if !e.target.is_empty() {
        // A rate-controlled run's child: its target.
        format!("↳ {}", sanitize(&e.target))
    } else {
        e.targets
            .iter()
            .map(|x| sanitize(x))
            .collect::<Vec<_>>()
            .join(" ")
    };
    vec![
        Cell::from(e.id.clone()),
        styled(sanitize(&e.runbook), t.style("ui.text")),
        styled(sanitize(&e.status), t.style(status_token(&e.status))),
        Cell::from(sanitize(&e.mode)),
        Cell::from(started),
        Cell::from(took),
        Cell::from(ctx),
        Cell::from(what),
    ]
}

fn render_executions(frame: &mut Frame, area: Rect, s: &AutomationState, cx: &RenderContext) {
    let t = cx.theme;
    if s.shown.is_empty() {
        s.hits.forget();
        let text = if s.pending > 0 {
            "loading…".to_owned()
        } else {
            "No automation executions (the last 30 days; / filters).".to_owned()
        };
        note(frame, area, text, t.style("ui.dim"));
        return;
    }
    let rows: Vec<Vec<Cell<'static>>> = s
        .shown
        .iter()
        .map(|i| {
            let (ctx, e) = &s.executions[*i];
            let name = s
                .contexts
                .get(ctx.index())
                .filter(|_| s.contexts.len() > 1)
                .map_or_else(String::new, crate::model::ContextLabel::short);
            execution_cells(e, name, s.now_s, t)
        })
        .collect();
    let header = vec![
        "EXECUTION",
        "RUNBOOK",
        "STATUS",
        "MODE",
        "STARTED",
        "TOOK",
        "CONTEXT",
        "STEP / FAILURE / TARGET",
    ];
    let widths = vec![
        Constraint::Length(36),
        Constraint::Length(26),
        Constraint::Length(12),
        Constraint::Length(11),
        Constraint::Length(25),
        Constraint::Length(10),
        Constraint::Length(24),
        Constraint::Min(10),
    ];
    let multi = s.contexts.len() > 1;
    let wide = area.width >= 150;
    // Below 100 columns the step / failure column gives way: the id, the
    // runbook and the status stay whole.
    let keep = [
        true,
        true,
        true,
        wide,
        area.width >= 120,
        wide,
        multi && wide,
        area.width >= 100,
    ];
    let (header, widths, rows) = narrow((header, widths, rows), &keep, false);
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

fn render_runbooks(frame: &mut Frame, area: Rect, s: &AutomationState, cx: &RenderContext) {
    let t = cx.theme;
    if s.runbooks_shown.is_empty() {
        s.hits.forget();
        let text = if s.runbooks_pending > 0 {
            "loading…".to_owned()
        } else if s.search.is_empty() {
            "No Automation runbooks.".to_owned()
        } else {
            format!("No runbook matches {:?}.", sanitize(&s.search))
        };
        note(frame, area, text, t.style("ui.dim"));
        return;
    }
    let rows = s
        .runbooks_shown
        .iter()
        .map(|i| {
            let r = &s.runbooks[*i].1;
            let mark = if s.start_from.suggested.contains(&r.name) {
                format!(
                    "★ suggested by {}",
                    s.start_from
                        .ops_item
                        .as_deref()
                        .map_or("the OpsItem".into(), sanitize)
                )
            } else {
                let d = s.descriptions.get(&r.name).and_then(|d| d.lines().next());
                sanitize(d.unwrap_or(&r.display_name))
            };
            vec![
                styled(sanitize(&r.name), t.style("ui.text")),
                Cell::from(sanitize(&r.owner)),
                Cell::from(sanitize(&r.version)),
                Cell::from(mark),
            ]
        })
        .collect();
    let header = vec!["RUNBOOK", "OWNER", "VERSION", ""];
    let widths = vec![
        Constraint::Length(40),
        Constraint::Length(14),
        Constraint::Length(8),
        Constraint::Min(10),
    ];
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

fn summary_lines(d: &ExecutionDetail, now_s: i64, t: &Theme) -> Vec<Line<'static>> {
    let e = &d.execution;
    let (started, took) = span_text(e.start_s, e.end_s, now_s);
    let mut first = vec![
        Span::styled(format!("{} ", sanitize(&e.runbook)), t.style("ui.title")),
        Span::raw(format!("v{} · ", sanitize(&e.version))),
        Span::styled(sanitize(&e.status), t.style(status_token(&e.status))),
        Span::raw(format!(
            " · {} · started {started} · {took}",
            sanitize(&e.mode)
        )),
    ];
    if !e.current_step.is_empty() && !crate::aws::automation::is_final(&e.status) {
        first.push(Span::styled(
            format!(
                " · ▶ {} ({})",
                sanitize(&e.current_step),
                sanitize(&e.current_action)
            ),
            t.style("status.in_progress"),
        ));
    }
    let mut lines = vec![Line::from(first)];
    let mut second = format!("{} · by {}", e.id, sanitize(&e.executed_by));
    if !e.target_parameter.is_empty() {
        second.push_str(&format!(
            " · rate control on {} over {} target(s), MaxConcurrency {} MaxErrors {}",
            sanitize(&e.target_parameter),
            e.resolved,
            sanitize(&e.rate.0),
            sanitize(&e.rate.1)
        ));
    }
    if let Some([total, ok, failed, cancelled, timed_out]) = d.progress {
        second.push_str(&format!(
            " · {total} step(s): {ok} ok, {failed} failed, {cancelled} cancelled, {timed_out} timed out"
        ));
    }
    lines.push(Line::styled(second, t.style("ui.dim")));
    if !e.failure.is_empty() {
        lines.push(Line::styled(
            format!("✗ {}", sanitize(&e.failure)),
            t.style("ui.error"),
        ));
    }
    lines
}

fn render_execution(
    frame: &mut Frame,
    area: Rect,
    s: &AutomationState,
    (tab, cursor): (ExecTab, ListCursor),
    cx: &RenderContext,
) {
    let t = cx.theme;
    let Some(d) = s.detail.ready().filter(|d| {
        s.execution_in_view()
            .is_some_and(|(_, id)| id == d.execution.id)
    }) else {
        s.hits.forget();
        let (text, style) = match &s.detail {
            Loaded::Failed(e) => (format!("✗ {}", sanitize(e)), t.style("ui.error")),
            _ => ("loading…".into(), t.style("ui.dim")),
        };
        note(frame, area, text, style);
        return;
    };
    let summary = summary_lines(d, s.now_s, t);
    let [top, tabs, list] = Layout::vertical([
        Constraint::Length(summary.len() as u16),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(summary), top);
    let children = s.children.ready().map_or(0, Vec::len);
    let titles = vec![
        (format!("Steps {}", d.steps.len()), tab == ExecTab::Steps),
        (format!("Children {children}"), tab == ExecTab::Children),
        ("Parameters & outputs".to_owned(), tab == ExecTab::Values),
    ];
    frame.render_widget(Paragraph::new(tab_line(&titles, t)), tabs);
    match tab {
        ExecTab::Steps => {
            let cols = steps_table(d, s.now_s, t);
            let wide = list.width >= 120;
            let (header, widths, rows) =
                narrow(cols, &[true, true, wide, true, wide, true, true], wide);
            table(frame, list, &s.hits, (header, widths), rows, cursor, cx);
        }
        ExecTab::Children => render_children(frame, list, s, cursor, cx),
        ExecTab::Values => {
            s.hits.forget();
            let lines = values_text(d);
            let body: Vec<Line> = lines.into_iter().skip(cursor.at).collect();
            frame.render_widget(Paragraph::new(body).wrap(Wrap { trim: false }), list);
        }
    }
}

fn step_detail(st: &Step) -> String {
    if !st.failure.is_empty() {
        return sanitize(&st.failure);
    }
    if let Some(c) = st.command_id() {
        return format!("command {}", sanitize(c));
    }
    if st.action == "aws:approve"
        && !crate::aws::automation::is_final(&st.status)
        && st.status != "Pending"
    {
        return "waiting for approval (a approves, d rejects)".into();
    }
    st.outputs
        .iter()
        .next()
        .map(|(k, v)| sanitize(&format!("{k}={}", v.join(","))))
        .unwrap_or_default()
}

fn steps_table(d: &ExecutionDetail, now_s: i64, t: &Theme) -> Columns {
    let header = vec!["#", "STEP", "ACTION", "STATUS", "STARTED", "TOOK", "DETAIL"];
    let widths = vec![
        Constraint::Length(4),
        Constraint::Length(24),
        Constraint::Length(22),
        Constraint::Length(12),
        Constraint::Length(21),
        Constraint::Length(10),
        Constraint::Min(10),
    ];
    let current = &d.execution.current_step;
    let running = !crate::aws::automation::is_final(&d.execution.status);
    let rows = d
        .steps
        .iter()
        .enumerate()
        .map(|(i, st)| {
            let (started, took) = span_text(st.start_s, st.end_s, now_s);
            let mark = if running && &st.name == current {
                "▶"
            } else {
                " "
            };
            vec![
                Cell::from(format!("{mark}{}", i + 1)),
                styled(sanitize(&st.name), t.style("ui.text")),
                Cell::from(sanitize(&st.action)),
                styled(sanitize(&st.status), t.style(status_token(&st.status))),
                Cell::from(if st.start_s.is_some() {
                    started
                } else {
                    String::new()
                }),
                Cell::from(took),
                Cell::from(step_detail(st)),
            ]
        })
        .collect();
    (header, widths, rows)
}

fn render_children(
    frame: &mut Frame,
    area: Rect,
    s: &AutomationState,
    cursor: ListCursor,
    cx: &RenderContext,
) {
    let t = cx.theme;
    let Some(children) = s.children.ready().filter(|c| !c.is_empty()) else {
        s.hits.forget();
        let (text, style) = match &s.children {
            Loaded::Failed(e) => (format!("✗ {}", sanitize(e)), t.style("ui.error")),
            Loaded::Loading => ("loading…".into(), t.style("ui.dim")),
            _ => (
                "No child executions: this is not a rate-controlled run.".into(),
                t.style("ui.dim"),
            ),
        };
        note(frame, area, text, style);
        return;
    };
    let rows = children
        .iter()
        .map(|c| {
            let (started, took) = span_text(c.start_s, c.end_s, s.now_s);
            let what = if c.failure.is_empty() {
                sanitize(&c.current_step)
            } else {
                sanitize(&c.failure)
            };
            vec![
                Cell::from(sanitize(&c.target)),
                styled(sanitize(&c.status), t.style(status_token(&c.status))),
                Cell::from(c.id.clone()),
                Cell::from(started),
                Cell::from(took),
                Cell::from(what),
            ]
        })
        .collect();
    let header = vec![
        "TARGET",
        "STATUS",
        "EXECUTION",
        "STARTED",
        "TOOK",
        "STEP / FAILURE",
    ];
    let widths = vec![
        Constraint::Length(20),
        Constraint::Length(12),
        Constraint::Length(36),
        Constraint::Length(21),
        Constraint::Length(10),
        Constraint::Min(10),
    ];
    let wide = area.width >= 130;
    let (header, widths, rows) = narrow(
        (header, widths, rows),
        &[true, true, wide, wide, true, true],
        wide,
    );
    table(frame, area, &s.hits, (header, widths), rows, cursor, cx);
}

fn values_text(d: &ExecutionDetail) -> Vec<Line<'static>> {
    let mut out = vec![Line::from("Parameters")];
    for (k, v) in &d.parameters {
        let shown = if secret_looking(k) {
            "••••••".into()
        } else {
            sanitize(&v.join(", "))
        };
        out.push(Line::from(format!("  {} = {shown}", sanitize(k))));
    }
    out.push(Line::from("Outputs"));
    for (k, v) in &d.outputs {
        out.push(Line::from(format!(
            "  {} = {}",
            sanitize(k),
            sanitize(&v.join(", "))
        )));
    }
    out
}

/// The lines of the step view: everything the step got and gave, in full.
pub fn step_text(s: &AutomationState) -> Vec<Line<'static>> {
    let Some(Inner::Step { index, .. }) = s.inner() else {
        return Vec::new();
    };
    let Some(st) = s.detail.ready().and_then(|d| d.steps.get(*index)) else {
        return vec![Line::from("loading…")];
    };
    let mut out = vec![
        Line::from(format!(
            "{} · {} · {}",
            sanitize(&st.name),
            sanitize(&st.action),
            sanitize(&st.status)
        )),
        Line::from(format!("step execution {}", sanitize(&st.id))),
    ];
    if !st.on_failure.is_empty() {
        out.push(Line::from(format!(
            "on failure: {}",
            sanitize(&st.on_failure)
        )));
    }
    if let Some(c) = st.command_id() {
        out.push(Line::from(format!(
            "command {} (Enter opens it in Run Command)",
            sanitize(c)
        )));
    }
    if !st.failure.is_empty() {
        out.push(Line::from(""));
        out.push(Line::from("Failure"));
        out.extend(
            st.failure
                .lines()
                .map(|l| Line::from(format!("  {}", sanitize(l)))),
        );
        out.extend(
            st.failure_details
                .iter()
                .map(|l| Line::from(format!("  {}", sanitize(l)))),
        );
    }
    out.push(Line::from(""));
    out.push(Line::from("Inputs"));
    for (k, v) in &st.inputs {
        let shown = if secret_looking(k) {
            "••••••".into()
        } else {
            sanitize(v)
        };
        out.push(Line::from(format!("  {} = {shown}", sanitize(k))));
    }
    out.push(Line::from("Outputs"));
    for (k, v) in &st.outputs {
        out.push(Line::from(format!(
            "  {} = {}",
            sanitize(k),
            sanitize(&v.join(", "))
        )));
    }
    if !st.response.is_empty() {
        out.push(Line::from("Response"));
        out.extend(
            st.response
                .lines()
                .map(|l| Line::from(format!("  {}", sanitize(l)))),
        );
    }
    if !st.valid_next.is_empty() {
        out.push(Line::from(format!(
            "next steps: {}",
            sanitize(&st.valid_next.join(", "))
        )));
    }
    out
}

fn form_line(label: &str, value: String, focused: bool, t: &Theme) -> Line<'static> {
    let style: Style = if focused {
        t.style("ui.cursor")
    } else {
        t.style("ui.text")
    };
    Line::from(vec![
        Span::styled(format!("{label:>22} "), t.style("ui.dim")),
        Span::styled(value, style),
    ])
}

fn render_form(frame: &mut Frame, area: Rect, f: &StartForm, cx: &RenderContext) {
    let t = cx.theme;
    let w = area.width.saturating_sub(4).min(110);
    let h = area.height.saturating_sub(2);
    let rect = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + 1,
        width: w,
        height: h,
    };
    frame.render_widget(Clear, rect);
    let block = titled_block(format!(" Start {} ", sanitize(&f.runbook)), cx);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let mut lines = Vec::new();
    let focus_text = |field: Field, text: &str| {
        if f.focus == field {
            with_cursor(&sanitize(text), f.cursor)
        } else {
            sanitize(text)
        }
    };
    match &f.info {
        Loaded::Ready(info) => {
            if !info.description.is_empty() {
                let first = info.description.lines().next().unwrap_or_default();
                lines.push(Line::styled(sanitize(first), t.style("ui.dim")));
            }
            for (i, p) in info.params.iter().enumerate() {
                let req = if p.default.is_none() { "*" } else { "" };
                let role = if info.assume_role_param.as_deref() == Some(p.name.as_str()) {
                    " (assume role)"
                } else {
                    ""
                };
                let value = f.values.get(i).map_or("", String::as_str);
                let mut shown = if secret_looking(&p.name) && f.focus != Field::Param(i) {
                    "•".repeat(value.chars().count().min(12))
                } else {
                    focus_text(Field::Param(i), value)
                };
                if !p.allowed.is_empty() {
                    shown.push_str(&format!("   one of: {}", sanitize(&p.allowed.join(", "))));
                }
                lines.push(form_line(
                    &format!("{}{req} ({}){role}", sanitize(&p.name), sanitize(&p.kind)),
                    shown,
                    f.focus == Field::Param(i),
                    t,
                ));
            }
        }
        Loaded::Failed(e) => lines.push(Line::styled(
            format!("✗ {}", sanitize(e)),
            t.style("ui.error"),
        )),
        _ => lines.push(Line::styled(
            "reading the runbook's parameters…",
            t.style("ui.dim"),
        )),
    }
    let mode = if f.interactive {
        "Interactive (each step waits for you)"
    } else {
        "Auto"
    };
    lines.push(form_line(
        "Mode",
        format!("◂ {mode} ▸"),
        f.focus == Field::Mode,
        t,
    ));
    if f.fields().contains(&Field::RateControl) {
        let how = if f.rate {
            "one execution per node (rate control)"
        } else {
            "one execution for every node"
        };
        lines.push(form_line(
            "Targets",
            format!(
                "◂ {how} ▸  {} node(s) from {}",
                f.nodes.len(),
                sanitize(&f.origin)
            ),
            f.focus == Field::RateControl,
            t,
        ));
    }
    if f.fields().contains(&Field::Tags) {
        let text = if f.tags.is_empty() && f.focus != Field::Tags {
            "(none: type tag:Env=prod to run on every node with that tag)".to_owned()
        } else {
            focus_text(Field::Tags, &f.tags)
        };
        lines.push(form_line("Tag targets", text, f.focus == Field::Tags, t));
    }
    if f.rate_control() {
        lines.push(form_line(
            "MaxConcurrency",
            focus_text(Field::Concurrency, &f.concurrency),
            f.focus == Field::Concurrency,
            t,
        ));
        lines.push(form_line(
            "MaxErrors",
            focus_text(Field::Errors, &f.errors),
            f.focus == Field::Errors,
            t,
        ));
    }
    if let Some(o) = &f.ops_item {
        lines.push(Line::styled(
            format!("recorded on {o} after the start"),
            t.style("ui.dim"),
        ));
    }
    if let Some(e) = &f.error {
        lines.push(Line::styled(sanitize(e), t.style("ui.error")));
    }
    lines.push(Line::styled(
        "* required · Tab next · Space toggles · Ctrl-S start (asks first) · Esc hide",
        t.style("ui.dim"),
    ));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
