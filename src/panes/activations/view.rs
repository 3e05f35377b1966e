//! Drawing the Activations pane: the activations with registrations
//! against their limit and their expiry (expired ones in the warning
//! style); one activation's every field and tags; the panel that shows a
//! new activation's code once. Every text from AWS is sanitized.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Wrap};

use super::state::{ActivationsState, NewCode, expiry_text};
use crate::aws::activations::Activation;
use crate::config::Theme;
use crate::model::when;
use crate::pane::RenderContext;
use crate::widgets::raw_json::sanitize;
use crate::widgets::table::{narrow, note, styled, table};
use crate::widgets::titled_block;

/// Draws the pane.
pub fn render(frame: &mut Frame, area: Rect, s: &ActivationsState, cx: &RenderContext) {
    if let Some(n) = &s.created {
        s.hits.forget();
        return render_code(frame, area, n, cx);
    }
    if let Some(raw) = &s.raw {
        s.hits.forget();
        raw.render(frame, area, cx);
        return;
    }
    let title = match crate::pane::Pane::crumb(s) {
        None => " Activations (hybrid nodes) ".to_owned(),
        Some(c) => format!(" Activations · {} ", sanitize(&c)),
    };
    let block = titled_block(title, cx);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    match s.current().filter(|_| s.detail.is_some()) {
        Some((ctx, a)) => {
            s.hits.forget();
            let mut lines = detail_lines(a, s.now_s, cx.theme);
            if s.multi() {
                lines.insert(0, row("Context", s.context_name(ctx), cx.theme));
            }
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        }
        None => match &s.asking {
            Some(problems) => {
                let lines = asking_lines(problems, cx.theme);
                // Rows once wrapped, plus the frame.
                let w = usize::from(inner.width.saturating_sub(2)).max(1);
                let rows: usize = lines.iter().map(|l| l.width().div_ceil(w).max(1)).sum();
                let h = u16::try_from(rows + 2)
                    .unwrap_or(u16::MAX)
                    .min(inner.height.saturating_sub(4));
                let [list, help] =
                    Layout::vertical([Constraint::Min(3), Constraint::Length(h)]).areas(inner);
                render_list(frame, list, s, cx);
                frame.render_widget(
                    Paragraph::new(lines)
                        .block(titled_block(" New activation: one line ".into(), cx))
                        .wrap(Wrap { trim: false }),
                    help,
                );
            }
            None => render_list(frame, inner, s, cx),
        },
    }
}

/// The syntax of the new activation's line and what is wrong with the
/// last one, under the list while the prompt is open.
fn asking_lines(problems: &[String], t: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::styled(super::create::SYNTAX, t.style("ui.text")),
        Line::styled(
            "e.g. role=SSMServiceRole limit=10 days=7 name=web desc=\"branch offices\" tag:Site=dc-east · Enter sends it (CreateActivation) · Esc drops it",
            t.style("ui.dim"),
        ),
    ];
    lines.extend(
        problems
            .iter()
            .map(|p| Line::styled(format!("✗ {}", sanitize(p)), t.style("ui.notice"))),
    );
    lines
}

fn row(k: &str, v: String, t: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{k:<16}"), t.style("ui.dim")),
        Span::styled(sanitize(&v), t.style("ui.text")),
    ])
}

/// `N / LIMIT`.
fn registrations(a: &Activation) -> String {
    format!("{} / {}", a.registrations, a.limit)
}

fn expires(a: &Activation, now_s: i64) -> String {
    match a.expires_s {
        Some(t) if a.expired && t > now_s => "expired".into(),
        Some(t) => expiry_text(t, now_s),
        None if a.expired => "expired".into(),
        None => String::new(),
    }
}

fn expiry_token(a: &Activation) -> &'static str {
    if a.expired { "ui.notice" } else { "ui.text" }
}

fn detail_lines(a: &Activation, now_s: i64, t: &Theme) -> Vec<Line<'static>> {
    let at = |x: Option<i64>| x.map_or_else(String::new, crate::model::format_epoch);
    let mut lines = vec![
        row("Activation id", a.id.clone(), t),
        row("Description", a.description.clone(), t),
        row("Default name", a.default_instance_name.clone(), t),
        row("IAM role", a.iam_role.clone(), t),
        row(
            "Registrations",
            format!(
                "{}{}",
                registrations(a),
                if a.limit > 0 && a.registrations >= a.limit {
                    " (the limit is reached)"
                } else {
                    ""
                }
            ),
            t,
        ),
        Line::from(vec![
            Span::styled(format!("{:<16}", "Expires"), t.style("ui.dim")),
            Span::styled(
                format!("{} · {}", expires(a, now_s), at(a.expires_s)),
                t.style(expiry_token(a)),
            ),
        ]),
        row("Created", at(a.created_s), t),
    ];
    if a.tags.is_empty() {
        lines.push(row("Tags", "none".into(), t));
    }
    for (i, (k, v)) in a.tags.iter().enumerate() {
        lines.push(row(
            if i == 0 { "Tags" } else { "" },
            format!("{k} = {v}"),
            t,
        ));
    }
    lines.push(Line::default());
    lines.push(Line::styled(
        "d deletes it (its nodes stay registered) · y copies its id · J: JSON · Esc: back",
        t.style("ui.dim"),
    ));
    lines
}

fn status_line(s: &ActivationsState) -> String {
    let expired = s.rows.iter().filter(|(_, a)| a.expired).count();
    let nodes: i32 = s.rows.iter().map(|(_, a)| a.registrations).sum();
    let mut line = format!(
        "{} activations ({} live, {expired} expired){} · {nodes} nodes registered through them",
        s.rows.len(),
        s.rows.len() - expired,
        if s.shown.len() == s.rows.len() {
            String::new()
        } else {
            format!(" · {} shown", s.shown.len())
        },
    );
    if s.creating {
        line.push_str(" · creating an activation…");
    }
    if s.pending > 0 {
        line.push_str(&format!(" · loading {} context(s)…", s.pending));
    }
    if !s.failed.is_empty() {
        line.push_str(&format!(" · {} context(s) failed", s.failed.len()));
    }
    line
}

fn list_row(
    s: &ActivationsState,
    ctx: crate::model::ContextId,
    a: &Activation,
    t: &Theme,
) -> Vec<Cell<'static>> {
    let full = a.limit > 0 && a.registrations >= a.limit;
    let mut row = vec![
        styled(a.id.clone(), t.style("ui.key")),
        styled(sanitize(&a.description), t.style("ui.text")),
        styled(sanitize(&a.default_instance_name), t.style("ui.text")),
        styled(sanitize(&a.iam_role), t.style("ui.text")),
        styled(
            registrations(a),
            t.style(if full { "ui.notice" } else { "ui.text" }),
        ),
        styled(expires(a, s.now_s), t.style(expiry_token(a))),
        styled(
            a.created_s.map_or_else(String::new, |c| when(c, s.now_s)),
            t.style("ui.dim"),
        ),
    ];
    if s.multi() {
        row.push(styled(s.context_name(ctx), t.style("ui.dim")));
    }
    row
}

fn render_list(frame: &mut Frame, area: Rect, s: &ActivationsState, cx: &RenderContext) {
    let t = cx.theme;
    let [status, list] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    frame.render_widget(Line::styled(status_line(s), t.style("ui.dim")), status);
    if s.shown.is_empty() {
        let text = match (s.pending > 0, s.rows.is_empty()) {
            (true, _) => "reading the activations (DescribeActivations)…".into(),
            (false, true) if !s.failed.is_empty() => {
                crate::widgets::failures_text(&s.failed, |c| s.context_name(c))
            }
            (false, true) => {
                "no hybrid activation in this account and region (n creates one)".into()
            }
            (false, false) => "nothing matches the filter (Esc clears it)".into(),
        };
        s.hits.forget();
        return note(frame, list, text, t.style("ui.dim"));
    }
    let rows = s
        .shown
        .iter()
        .map(|i| {
            let (ctx, a) = &s.rows[*i];
            list_row(s, *ctx, a, t)
        })
        .collect();
    let mut header = vec![
        "ACTIVATION",
        "DESCRIPTION",
        "DEFAULT NAME",
        "IAM ROLE",
        "REGISTERED",
        "EXPIRES",
        "CREATED",
    ];
    let mut widths = vec![
        Constraint::Length(36),
        Constraint::Min(10),
        Constraint::Length(14),
        Constraint::Length(18),
        Constraint::Length(11),
        Constraint::Length(17),
        Constraint::Length(11),
    ];
    if s.multi() {
        header.push("CONTEXT");
        widths.push(Constraint::Length(24));
    }
    let w = area.width;
    let keep = [true, true, w >= 150, w >= 110, true, true, w >= 130, true];
    let (header, widths, rows) = narrow((header, widths, rows), &keep, w >= 170);
    table(frame, list, &s.hits, (header, widths), rows, s.cursor, cx);
}

/// The new activation's panel: its id and code, once, with the line that
/// registers a node and what the keys do.
fn render_code(frame: &mut Frame, area: Rect, n: &NewCode, cx: &RenderContext) {
    let t = cx.theme;
    let block = titled_block(" New activation: its code shows only now ".into(), cx);
    let lines = vec![
        row("Activation id", n.id.clone(), t),
        Line::from(vec![
            Span::styled(format!("{:<16}", "Activation code"), t.style("ui.dim")),
            Span::styled(sanitize(n.code.expose()), t.style("ui.key")),
        ]),
        row("Region", n.region.clone(), t),
        row("Asked for", n.summary.clone(), t),
        Line::default(),
        Line::styled(
            "On each node (Linux, as root), register the agent:",
            t.style("ui.dim"),
        ),
        Line::styled(sanitize(&n.register_line()), t.style("ui.text")),
        Line::default(),
        Line::styled(
            "AWS never shows this code again, and the console forgets it when this panel closes.",
            t.style("ui.notice"),
        ),
        Line::styled(
            "y: copy the code · Y: copy the register line · Enter or Esc: done, forget the code",
            t.style("ui.dim"),
        ),
    ];
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}
