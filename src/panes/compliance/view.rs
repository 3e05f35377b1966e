//! Drawing the Compliance pane: the type tabs with their non-compliant
//! counts, a line of totals, the non-compliant nodes with what changed.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::Cell;

use super::state::ComplianceState;
use crate::model::when;
use crate::pane::RenderContext;
use crate::widgets::raw_json::sanitize;
use crate::widgets::table::{narrow, note, styled, tab_line, table};
use crate::widgets::titled_block;

fn severity_token(s: &str) -> &'static str {
    match s {
        "CRITICAL" => "severity.critical",
        "HIGH" => "severity.high",
        "MEDIUM" => "severity.medium",
        "LOW" => "severity.low",
        _ => "ui.dim",
    }
}

/// Draws the pane.
pub fn render(frame: &mut Frame, area: Rect, s: &ComplianceState, cx: &RenderContext) {
    if let Some(raw) = &s.raw {
        s.hits.forget();
        raw.render(frame, area, cx);
        return;
    }
    let t = cx.theme;
    let block = titled_block(" Compliance ".into(), cx);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [tabs, status, list] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(inner);
    let mut titles = vec![("All".to_owned(), s.tab == 0)];
    for (i, name) in s.type_names().iter().enumerate() {
        let (_, bad, _) = s.totals(Some(name));
        titles.push((format!("{} {bad}✗", sanitize(name)), s.tab == i + 1));
    }
    frame.render_widget(tab_line(&titles, t), tabs);
    let kind = s.tab_type();
    let (good, bad, sev) = s.totals(kind.as_deref());
    let mut line = format!(
        "{good} compliant · {bad} non-compliant{}",
        if sev.text().is_empty() {
            String::new()
        } else {
            format!(" ({})", sev.text())
        }
    );
    if !s.selected.is_empty() {
        line.push_str(&format!(
            " · {} selected (c: scan or install patches)",
            s.selected.len()
        ));
    }
    if !s.fixed.is_empty() {
        line.push_str(&format!(
            " · {} compliant since the last load",
            s.fixed.len()
        ));
    }
    if s.cut {
        line.push_str(" · only the first 10,000 non-compliant resources per context read");
    }
    if s.pending > 0 {
        line.push_str(&format!(" · loading {} context(s)…", s.pending));
    }
    if !s.failed.is_empty() {
        line.push_str(&format!(" · {} context(s) failed", s.failed.len()));
    }
    frame.render_widget(Line::styled(line, t.style("ui.dim")), status);
    if s.shown.is_empty() {
        s.hits.forget();
        let empty = s.rows.is_empty() && s.fixed.is_empty();
        let text = match (s.pending > 0, empty) {
            (true, _) => {
                "reading compliance (ListComplianceSummaries, ListResourceComplianceSummaries)…"
                    .into()
            }
            (false, true) if !s.failed.is_empty() => {
                crate::widgets::failures_text(&s.failed, |c| s.context_name(c))
            }
            (false, true) => "every resource is compliant (or none reports compliance)".into(),
            (false, false) => "nothing matches the filter (Esc clears it)".into(),
        };
        return note(frame, list, text, t.style("ui.dim"));
    }
    let multi = s.multi();
    let rows = rows(s, cx);
    let mut header = vec![
        " NODE",
        "NAME",
        "TYPE",
        "STATUS",
        "SEVERITY",
        "NON-COMPLIANT",
        "CHANGE",
        "RECORDED",
    ];
    let mut widths = vec![
        Constraint::Length(21),
        Constraint::Length(20),
        Constraint::Length(12),
        Constraint::Length(13),
        Constraint::Length(9),
        Constraint::Length(34),
        Constraint::Length(18),
        Constraint::Min(11),
    ];
    if multi {
        header.push("CONTEXT");
        widths.push(Constraint::Length(24));
    }
    let w = list.width;
    let changed = s.before.is_some();
    let keep = [
        true,
        w >= 90,
        w >= 100 || !changed,
        w >= 120,
        true,
        true,
        changed || w >= 110,
        w >= 130,
        true,
    ];
    let (header, widths, rows) = narrow((header, widths, rows), &keep, w >= 140);
    table(frame, list, &s.hits, (header, widths), rows, s.cursor, cx);
}

/// The table's rows: the shown resources, marked when selected, with
/// what changed and their context across a set.
fn rows(s: &ComplianceState, cx: &RenderContext) -> Vec<Vec<Cell<'static>>> {
    let t = cx.theme;
    let multi = s.multi();
    s.shown
        .iter()
        .map(|x| {
            let ((ctx, r), fixed) = s.row(x);
            let mark = if s.selected.contains(&(*ctx, r.resource.clone())) {
                "●"
            } else {
                " "
            };
            let (status, token) = if fixed {
                ("COMPLIANT", "status.success")
            } else {
                ("NON_COMPLIANT", "status.failed")
            };
            let mut row = vec![
                styled(format!("{mark}{}", r.resource), t.style("ui.key")),
                styled(
                    sanitize(s.names.get(&r.resource).map_or("", String::as_str)),
                    t.style("ui.text"),
                ),
                styled(sanitize(&r.compliance_type), t.style("ui.text")),
                styled(status, t.style(token)),
                styled(
                    r.overall_severity.clone(),
                    t.style(severity_token(&r.overall_severity)),
                ),
                styled(r.noncompliant.short_text(), t.style("ui.text")),
                styled(s.change(x), t.style("ui.notice")),
                styled(
                    r.recorded_s.map(|x| when(x, s.now_s)).unwrap_or_default(),
                    t.style("ui.dim"),
                ),
            ];
            if multi {
                row.push(styled(s.context_name(*ctx), t.style("ui.dim")));
            }
            row
        })
        .collect()
}
