//! The Overview: a table with one row per context of the set and a total
//! row, the cell under the cursor highlighted; below it the
//! organization-wide counts or why they are not available.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use super::state::{Metric, NodesMark, OpsCount, OrgView, OverviewState};
use crate::aws::explorer::{QUICK_SETUP_SYNC, SeverityCounts};
use crate::config::Theme;
use crate::pane::RenderContext;
use crate::widgets::raw_json::sanitize;
use crate::widgets::{thousands, titled_block};

/// Width of a number column, in cells.
const NUMBER: u16 = 7;

/// The metric columns that fit in `inner` cells beside the labels
/// (`label` cells wide) and a state column of at least 6: the least
/// important go first (platforms, severity 4, inactive, severity 3, the
/// agent, patch, severity 2), in [`Metric::ALL`] order.
pub fn metrics_that_fit(inner: u16, label: u16) -> Vec<Metric> {
    let mut cols: Vec<Metric> = Metric::ALL.to_vec();
    for drop in [
        Metric::MacOs,
        Metric::Windows,
        Metric::Linux,
        Metric::Severity(4),
        Metric::Inactive,
        Metric::Severity(3),
        Metric::AgentBehind,
        Metric::PatchNoncompliant,
        Metric::Severity(2),
    ] {
        if label + 6 + cols.len() as u16 * (NUMBER + 1) <= inner {
            break;
        }
        cols.retain(|c| *c != drop);
    }
    cols
}

fn severity_style(m: Metric, t: &Theme, n: Option<u64>) -> ratatui::style::Style {
    match (m, n) {
        (_, Some(0)) | (_, None) => t.style("ui.dim"),
        (Metric::Severity(1), _) => t.style("severity.critical"),
        (Metric::Severity(2), _) => t.style("severity.high"),
        (Metric::Severity(3), _) => t.style("severity.medium"),
        (Metric::Severity(_), _) => t.style("severity.low"),
        (Metric::Lost, _) => t.style("status.connection_lost"),
        (Metric::Inactive, _) => t.style("status.inactive"),
        (Metric::AgentBehind, _) => t.style("status.pending"),
        (Metric::PatchNoncompliant, _) => t.style("severity.medium"),
        (Metric::Online, _) => t.style("status.online"),
        _ => t.style("ui.text"),
    }
}

/// The state cell of context row `i`: nodes and OpsItems loading, ok or
/// failed (the reason in the status line when the cursor is there).
fn state_text(o: &OverviewState, i: usize) -> (String, &'static str) {
    let (text, token) = load_text(o, i);
    match o.contexts.get(i).and_then(|l| l.read_only.as_ref()) {
        Some(_) => (format!("{text} · read-only"), token),
        None => (text, token),
    }
}

fn load_text(o: &OverviewState, i: usize) -> (String, &'static str) {
    let nodes = o.node_marks.get(i).cloned().unwrap_or_default();
    let ops = o.ops.get(i);
    match (&nodes, ops) {
        (NodesMark::Failed(e), _) => (format!("✗ nodes: {e}"), "ui.error"),
        (_, Some(OpsCount::Failed(e))) => (
            format!("✗ OpsItems: {}", crate::aws::resume::reason(e)),
            "ui.error",
        ),
        (NodesMark::Loading, _) | (_, Some(OpsCount::Waiting)) => ("loading…".into(), "ui.dim"),
        _ => ("ok".into(), "status.success"),
    }
}

/// Width of the ACCOUNT column in cells (a longer name ends in `…`).
const ACCOUNT_WIDTH: usize = 14;

fn label_cells(o: &OverviewState, i: usize) -> [String; 2] {
    match o.contexts.get(i) {
        Some(l) => [
            crate::widgets::table::ellipsize(&sanitize(l.account_text()), ACCOUNT_WIDTH),
            l.region.clone(),
        ],
        None if i == 0 => ["this account".into(), String::new()],
        None => ["all".into(), String::new()],
    }
}

fn table_rows<'a>(o: &OverviewState, cols: &[Metric], t: &Theme) -> Vec<Row<'a>> {
    let n = o.rows();
    (0..n)
        .map(|i| {
            let total = i == n - 1;
            let labels = if total {
                ["all".into(), String::new()]
            } else {
                label_cells(o, i)
            };
            let mut cells: Vec<Cell> = labels.into_iter().map(Cell::from).collect();
            for m in cols {
                let v = o.value(i, *m);
                let text = v.map_or_else(|| "·".into(), |v| thousands(v as usize));
                let mut style = severity_style(*m, t, v);
                if i == o.row && Metric::ALL.get(o.col) == Some(m) {
                    style = style.patch(t.style("ui.cursor"));
                }
                cells.push(Cell::from(
                    Line::from(Span::styled(text, style)).right_aligned(),
                ));
            }
            let (state, token) = if total {
                let (_, all) = o.ops_total();
                let failed = o
                    .node_marks
                    .iter()
                    .filter(|m| matches!(m, NodesMark::Failed(_)))
                    .count();
                match failed {
                    0 if all => (String::new(), "ui.text"),
                    0 => ("loading…".into(), "ui.dim"),
                    f => (format!("{f} of {} contexts failed", n - 1), "ui.error"),
                }
            } else {
                state_text(o, i)
            };
            cells.push(Cell::from(Span::styled(state, t.style(token))));
            let row = Row::new(cells);
            if total {
                row.style(t.style("ui.table_header"))
            } else {
                row
            }
        })
        .collect()
}

fn severity_text(c: &SeverityCounts) -> String {
    format!(
        "open OpsItems sev1 {} · sev2 {} · sev3 {} · sev4 {}",
        c[0], c[1], c[2], c[3]
    )
}

fn org_lines(o: &OverviewState, t: &Theme) -> Vec<Line<'static>> {
    let head = format!("Organization (resource data sync {QUICK_SETUP_SYNC}): ");
    match &o.org {
        OrgView::NotAsked => Vec::new(),
        OrgView::Loading => vec![Line::styled(format!("{head}counting…"), t.style("ui.dim"))],
        OrgView::Unavailable(why) => vec![Line::styled(
            format!("{head}not available: {}", sanitize(why)),
            t.style("ui.dim"),
        )],
        OrgView::Ready(c) => {
            let join = |m: &std::collections::BTreeMap<String, u64>| {
                m.iter()
                    .map(|(k, v)| format!("{} {}", sanitize(k), thousands(*v as usize)))
                    .collect::<Vec<_>>()
                    .join(" · ")
            };
            vec![
                Line::styled(
                    format!(
                        "{head}{} managed nodes · {}",
                        thousands(c.nodes.total() as usize),
                        severity_text(&c.ops)
                    ),
                    t.style("ui.text"),
                ),
                Line::styled(
                    format!("  by region: {}", join(&c.nodes.by_region)),
                    t.style("ui.text"),
                ),
                Line::styled(
                    format!("  by platform: {}", join(&c.nodes.by_platform)),
                    t.style("ui.text"),
                ),
            ]
        }
    }
}

/// Draws the pane.
pub fn render(frame: &mut Frame, area: Rect, o: &OverviewState, cx: &RenderContext) {
    let t = cx.theme;
    let org = org_lines(o, t);
    let [table_area, org_area] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(if org.is_empty() {
            0
        } else {
            org.len() as u16 + 2
        }),
    ])
    .areas(area);
    let inner = table_area.width.saturating_sub(2);
    // The table draws from its first row (it does not scroll).
    o.hits.record(crate::widgets::hits::table_rows(table_area), 0);
    let cols = metrics_that_fit(inner, super::LABELS);
    let mut header: Vec<Cell> = vec![Cell::from("ACCOUNT"), Cell::from("REGION")];
    header.extend(
        cols.iter()
            .map(|m| Cell::from(Line::from(m.title()).right_aligned())),
    );
    header.push(Cell::from("STATE"));
    let mut widths = vec![
        Constraint::Length(ACCOUNT_WIDTH as u16),
        Constraint::Length(14),
    ];
    widths.extend(cols.iter().map(|_| Constraint::Length(NUMBER)));
    widths.push(Constraint::Min(6));
    let shown = Metric::ALL[o.col.min(Metric::ALL.len() - 1)];
    let title = format!(
        " Overview — {} · nodes as the Fleet pane loaded them · Enter lists the {} ",
        crate::aws::contexts::describe(&o.contexts),
        shown.meaning()
    );
    frame.render_widget(
        Table::new(table_rows(o, &cols, t), widths)
            .header(Row::new(header).style(t.style("ui.table_header")))
            .block(titled_block(title, cx)),
        table_area,
    );
    if !org.is_empty() {
        frame.render_widget(
            Paragraph::new(org)
                .wrap(Wrap { trim: false })
                .block(titled_block(" Organization-wide ".into(), cx)),
            org_area,
        );
    }
}
