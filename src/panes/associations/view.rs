//! Drawing the Associations pane: the associations with their node counts
//! by status; an association's settings over its executions; an
//! execution's targets. Every text from AWS is sanitized.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph};

use super::state::{AssociationsState, Inner};
use crate::aws::associations::{AssociationDetail, ExecutionTarget};
use crate::config::Theme;
use crate::model::when;
use crate::pane::{Loaded, RenderContext};
use crate::widgets::raw_json::sanitize;
use crate::widgets::table::{narrow, note, styled, table};
use crate::widgets::titled_block;

/// The token of an association, execution or target status.
fn status_token(status: &str) -> &'static str {
    match status {
        "Success" => "status.success",
        "Failed" | "TimedOut" => "status.failed",
        "InProgress" => "status.in_progress",
        "Cancelled" | "Skipped" => "status.cancelled",
        _ => "status.pending",
    }
}

fn at(t: Option<i64>, now_s: i64) -> String {
    t.map(|t| when(t, now_s)).unwrap_or_default()
}

/// Draws the pane.
pub fn render(frame: &mut Frame, area: Rect, s: &AssociationsState, cx: &RenderContext) {
    if let Some(raw) = &s.raw {
        s.hits.forget();
        raw.render(frame, area, cx);
        return;
    }
    let title = match crate::pane::Pane::crumb(s) {
        None => " Associations (State Manager) ".to_owned(),
        Some(c) => format!(" Associations · {} ", sanitize(&c)),
    };
    let block = titled_block(title, cx);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    match s.inner() {
        None => render_list(frame, inner, s, cx),
        Some(Inner::Association { cursor, .. }) => {
            let [top, body] =
                Layout::vertical([Constraint::Length(7), Constraint::Min(1)]).areas(inner);
            frame.render_widget(Paragraph::new(detail_lines(s, cx.theme)), top);
            render_executions(frame, body, s, *cursor, cx);
        }
        Some(Inner::Execution {
            execution, cursor, ..
        }) => {
            let [top, body] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
            let summary = s
                .executions
                .ready()
                .and_then(|x| x.iter().find(|x| x.id == *execution))
                .map_or_else(
                    || format!("execution {execution}"),
                    |x| {
                        format!(
                            "execution {} · {} · {} · Enter: the node's output, f: the node",
                            x.id, x.status, x.counts
                        )
                    },
                );
            frame.render_widget(
                Line::styled(sanitize(&summary), cx.theme.style("ui.dim")),
                top,
            );
            render_targets(frame, body, s, *cursor, cx);
        }
    }
}

fn render_list(frame: &mut Frame, area: Rect, s: &AssociationsState, cx: &RenderContext) {
    let t = cx.theme;
    let [status, list] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    let totals: Vec<String> = s
        .totals()
        .into_iter()
        .map(|(k, n)| format!("{n} {}", k.to_lowercase()))
        .collect();
    let mut line = format!(
        "{} associations{} · nodes: {}",
        s.rows.len(),
        if s.shown.len() == s.rows.len() {
            String::new()
        } else {
            format!(" ({} shown)", s.shown.len())
        },
        if totals.is_empty() {
            "none".to_owned()
        } else {
            totals.join(", ")
        }
    );
    if s.pending > 0 {
        line.push_str(&format!(" · loading {} context(s)…", s.pending));
    }
    if !s.failed.is_empty() {
        line.push_str(&format!(" · {} context(s) failed", s.failed.len()));
    }
    frame.render_widget(Line::styled(line, t.style("ui.dim")), status);
    if s.shown.is_empty() {
        let text = match (s.pending > 0, s.rows.is_empty()) {
            (true, _) => "reading the associations (ListAssociations)…".into(),
            (false, true) if !s.failed.is_empty() => {
                crate::widgets::failures_text(&s.failed, |c| s.context_name(c))
            }
            (false, true) => "no State Manager association in this account and region".into(),
            (false, false) => "nothing matches the filter (Esc clears it)".into(),
        };
        s.hits.forget();
        return note(frame, list, text, t.style("ui.dim"));
    }
    let multi = s.multi();
    let rows: Vec<Vec<Cell<'static>>> = s
        .shown
        .iter()
        .map(|i| {
            let (ctx, a) = &s.rows[*i];
            let nodes: Vec<String> = a
                .counts
                .iter()
                .map(|(k, n)| format!("{n} {}", k.to_lowercase()))
                .collect();
            let node_token = if a.failed() > 0 {
                "status.failed"
            } else {
                "ui.text"
            };
            let mut row = vec![
                styled(sanitize(a.label()), t.style("ui.key")),
                styled(sanitize(&a.document), t.style("ui.text")),
                styled(sanitize(&a.status), t.style(status_token(&a.status))),
                styled(nodes.join(", "), t.style(node_token)),
                styled(at(a.last_run_s, s.now_s), t.style("ui.dim")),
                styled(sanitize(&a.schedule), t.style("ui.dim")),
                styled(sanitize(&a.targets.join(" ")), t.style("ui.text")),
            ];
            if multi {
                row.push(styled(s.context_name(*ctx), t.style("ui.dim")));
            }
            row
        })
        .collect();
    let mut header = vec![
        "NAME", "DOCUMENT", "STATUS", "NODES", "LAST RUN", "SCHEDULE", "TARGETS",
    ];
    let mut widths = vec![
        Constraint::Length(24),
        Constraint::Length(28),
        Constraint::Length(8),
        Constraint::Length(26),
        Constraint::Length(11),
        Constraint::Length(18),
        Constraint::Min(12),
    ];
    if multi {
        header.push("CONTEXT");
        widths.push(Constraint::Length(24));
    }
    let keep = [
        true,
        area.width >= 100,
        true,
        true,
        area.width >= 90,
        area.width >= 120,
        true,
        true,
    ];
    let (header, widths, rows) = narrow((header, widths, rows), &keep, area.width >= 140);
    table(frame, list, &s.hits, (header, widths), rows, s.cursor, cx);
}

fn detail_lines(s: &AssociationsState, t: &Theme) -> Vec<Line<'static>> {
    let row = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("{k:<12}"), t.style("ui.dim")),
            Span::styled(sanitize(&v), t.style("ui.text")),
        ])
    };
    match &s.detail {
        Loaded::Ready(d) => detail_rows(d, s.now_s)
            .into_iter()
            .map(|(k, v)| row(k, v))
            .collect(),
        Loaded::Failed(e) => vec![Line::styled(
            format!("DescribeAssociation failed: {}", sanitize(e)),
            t.style("ui.notice"),
        )],
        _ => vec![Line::styled("reading the association…", t.style("ui.dim"))],
    }
}

fn detail_rows(d: &AssociationDetail, now_s: i64) -> Vec<(&'static str, String)> {
    let a = &d.association;
    let params: Vec<String> = d
        .parameters
        .iter()
        .map(|(k, v)| format!("{k}={}", v.join(",")))
        .collect();
    let mut rate = format!(
        "concurrency {} · errors {}",
        if d.rate.0.is_empty() { "-" } else { &d.rate.0 },
        if d.rate.1.is_empty() { "-" } else { &d.rate.1 }
    );
    if !d.compliance_severity.is_empty() {
        rate.push_str(&format!(" · compliance {}", d.compliance_severity));
    }
    vec![
        (
            "Document",
            format!(
                "{} {} · association version {} · id {}",
                a.document, a.document_version, a.version, a.id
            ),
        ),
        ("Targets", a.targets.join(" ")),
        (
            "Schedule",
            format!(
                "{}{} · last run {} · last success {}",
                if a.schedule.is_empty() {
                    "once"
                } else {
                    &a.schedule
                },
                if d.only_at_interval {
                    " (only at the interval)"
                } else {
                    ""
                },
                at(a.last_run_s, now_s),
                d.last_success_s
                    .map_or_else(|| "never".to_owned(), |t| when(t, now_s))
            ),
        ),
        ("Parameters", params.join(" ")),
        ("Rate", rate),
        (
            "Output",
            if d.output_location.is_empty() {
                "not written to S3".into()
            } else {
                d.output_location.clone()
            },
        ),
        ("Status", format!("{} · {}", a.status, a.detailed_status)),
    ]
}

fn render_executions(
    frame: &mut Frame,
    area: Rect,
    s: &AssociationsState,
    cursor: crate::widgets::list::ListCursor,
    cx: &RenderContext,
) {
    let t = cx.theme;
    let x = match &s.executions {
        Loaded::Ready(x) if !x.is_empty() => x,
        Loaded::Ready(_) => {
            s.hits.forget();
            return note(
                frame,
                area,
                "no execution yet (R applies it now)".into(),
                t.style("ui.dim"),
            );
        }
        Loaded::Failed(e) => {
            s.hits.forget();
            return note(
                frame,
                area,
                format!("DescribeAssociationExecutions failed: {}", sanitize(e)),
                t.style("ui.notice"),
            );
        }
        _ => {
            s.hits.forget();
            return note(
                frame,
                area,
                "reading the executions…".into(),
                t.style("ui.dim"),
            );
        }
    };
    let rows = x
        .iter()
        .map(|e| {
            vec![
                styled(at(e.created_s, s.now_s), t.style("ui.dim")),
                styled(sanitize(&e.status), t.style(status_token(&e.status))),
                styled(sanitize(&e.counts), t.style("ui.text")),
                styled(sanitize(&e.detailed_status), t.style("ui.text")),
                styled(e.version.clone(), t.style("ui.dim")),
                styled(e.id.clone(), t.style("ui.dim")),
            ]
        })
        .collect();
    let header = vec![
        "STARTED",
        "STATUS",
        "TARGETS",
        "DETAIL",
        "VERSION",
        "EXECUTION",
    ];
    let widths = vec![
        Constraint::Length(11),
        Constraint::Length(10),
        Constraint::Length(24),
        Constraint::Length(14),
        Constraint::Length(7),
        Constraint::Min(36),
    ];
    let keep = [true, true, true, area.width >= 100, area.width >= 110, true];
    let (header, widths, rows) = narrow((header, widths, rows), &keep, area.width >= 110);
    table(frame, area, &s.hits, (header, widths), rows, cursor, cx);
}

fn target_row(s: &AssociationsState, x: &ExecutionTarget, t: &Theme) -> Vec<Cell<'static>> {
    vec![
        styled(x.resource.clone(), t.style("ui.key")),
        styled(
            sanitize(s.names.get(&x.resource).map_or("", String::as_str)),
            t.style("ui.text"),
        ),
        styled(sanitize(&x.status), t.style(status_token(&x.status))),
        styled(sanitize(&x.detailed_status), t.style("ui.text")),
        styled(at(x.last_run_s, s.now_s), t.style("ui.dim")),
        styled(
            x.output
                .as_ref()
                .map_or(String::new(), |(id, _)| sanitize(id)),
            t.style("ui.dim"),
        ),
    ]
}

fn render_targets(
    frame: &mut Frame,
    area: Rect,
    s: &AssociationsState,
    cursor: crate::widgets::list::ListCursor,
    cx: &RenderContext,
) {
    let t = cx.theme;
    let x = match &s.targets {
        Loaded::Ready(x) if !x.is_empty() => x,
        Loaded::Ready(_) => {
            s.hits.forget();
            return note(
                frame,
                area,
                "the execution has no targets yet".into(),
                t.style("ui.dim"),
            );
        }
        Loaded::Failed(e) => {
            s.hits.forget();
            return note(
                frame,
                area,
                format!(
                    "DescribeAssociationExecutionTargets failed: {}",
                    sanitize(e)
                ),
                t.style("ui.notice"),
            );
        }
        _ => {
            s.hits.forget();
            return note(
                frame,
                area,
                "reading the targets…".into(),
                t.style("ui.dim"),
            );
        }
    };
    let rows = x.iter().map(|x| target_row(s, x, t)).collect();
    let header = vec![
        "NODE",
        "NAME",
        "STATUS",
        "DETAIL",
        "LAST RUN",
        "OUTPUT (COMMAND)",
    ];
    let widths = vec![
        Constraint::Length(20),
        Constraint::Length(20),
        Constraint::Length(10),
        Constraint::Length(16),
        Constraint::Length(11),
        Constraint::Min(36),
    ];
    let keep = [true, area.width >= 90, true, true, area.width >= 110, true];
    let (header, widths, rows) = narrow((header, widths, rows), &keep, area.width >= 120);
    table(frame, area, &s.hits, (header, widths), rows, cursor, cx);
}
