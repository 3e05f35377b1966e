//! The Fleet pane: the node table and, when open, the details panel.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};

use super::state::{Column, FleetState, all_columns};
use crate::aws::resume;
use crate::config::Layer;
use crate::filter::{field_indices, new_matcher};
use crate::keys::Command;
use crate::model::{ManagedNode, format_epoch};
use crate::pane::RenderContext;
use crate::widgets::hits::table_rows;
use crate::widgets::table::ellipsize;
use crate::widgets::{highlighted, ping_token, stall_text, thousands, with_cursor};

/// Width of a column in cells (the name column's minimum).
fn width(c: Column) -> u16 {
    match c {
        Column::Name => 16,
        Column::Id => 20,
        Column::Account => 14,
        Column::Region => 14,
        Column::Ping => 14,
        Column::LastPing => 9,
        Column::Tag(_) => 10,
        Column::Zone => 12,
        Column::Platform => 18,
        Column::Agent => 11,
        Column::Patch => 22,
        Column::Assoc => 10,
        Column::Ip => 15,
        Column::Type => 11,
        Column::State => 8,
    }
}

/// The columns that fit in `inner` cells with `tags` configured tag
/// columns, dropping the least important first (agent, platform, state,
/// zone, type, patch, the tags from the last, IP, last ping, ping); name
/// and id always stay, and an id is never cut (its column is as wide as
/// the longest id, `mi-` and 17 hex digits).
pub fn visible_columns(inner: u16, tags: usize) -> Vec<Column> {
    fit(inner, all_columns(tags, false, (false, false)))
}

/// The columns of `cols` ([`all_columns`]) that fit in `inner` cells,
/// dropped in the order [`visible_columns`] gives; across a context set
/// region goes after the type, account after the IP.
pub fn fit(inner: u16, mut cols: Vec<Column>) -> Vec<Column> {
    let tags = cols.iter().filter(|c| matches!(c, Column::Tag(_))).count();
    let mut drop_order = vec![
        Column::Agent,
        Column::Platform,
        Column::State,
        Column::Zone,
        Column::Type,
        Column::Assoc,
        Column::Patch,
    ];
    drop_order.extend((0..tags).rev().map(Column::Tag));
    drop_order.extend([
        Column::Region,
        Column::Ip,
        Column::LastPing,
        Column::Account,
        Column::Ping,
    ]);
    let need = |cols: &[Column]| -> u16 {
        // Selection marker, then one space between columns.
        2 + cols.iter().map(|c| width(*c) + 1).sum::<u16>()
    };
    for d in drop_order {
        if need(&cols) <= inner {
            break;
        }
        cols.retain(|c| *c != d);
    }
    cols
}

/// The ASSOC cell: `2 failed` in the failed colour, `1 pending`, `ok`;
/// empty for a node without associations.
fn assoc_cell<'a>(n: &ManagedNode, t: &crate::config::theme::Theme) -> Cell<'a> {
    let Some(a) = n.associations else {
        return Cell::from("");
    };
    let token = match (a.failed, a.pending) {
        (0, 0) => "status.success",
        (0, _) => "status.pending",
        _ => "status.failed",
    };
    Cell::from(Span::styled(a.text(), t.style(token)))
}

/// The PATCH cell: failed, missing and reboot in the colour of the worst
/// of them, then the critical and security counts in their severity's
/// colour; words shorten (`miss`, `fail`) and the security count goes
/// first when the whole does not fit the column's [`width`].
fn patch_cell<'a>(n: &ManagedNode, t: &crate::config::theme::Theme) -> Cell<'a> {
    let Some(s) = n.patch.summary() else {
        return Cell::from(Span::styled(n.patch.text(), t.style("ui.dim")));
    };
    let room = usize::from(width(Column::Patch));
    let parts = |short: bool, sec: bool| {
        let mut p: Vec<(String, &'static str)> = Vec::new();
        let (miss, fail) = if short {
            ("miss", "fail")
        } else {
            ("missing", "failed")
        };
        if s.failed > 0 {
            p.push((format!("{} {fail}", s.failed), "status.failed"));
        }
        if s.missing > 0 {
            p.push((format!("{} {miss}", s.missing), "severity.medium"));
        }
        if s.pending_reboot > 0 {
            p.push(("reboot".into(), "severity.low"));
        }
        if p.is_empty() {
            p.push(("ok".into(), "status.success"));
        }
        if s.critical > 0 {
            p.push((format!("{} crit", s.critical), "severity.critical"));
        }
        if sec && s.security > 0 {
            p.push((format!("{} sec", s.security), "severity.high"));
        }
        p
    };
    let len = |p: &[(String, &str)]| p.iter().map(|(w, _)| w.len() + 1).sum::<usize>();
    let chosen = [(false, true), (true, true), (true, false)]
        .into_iter()
        .map(|(short, sec)| parts(short, sec))
        .find(|p| len(p) <= room + 1)
        .unwrap_or_else(|| parts(true, false));
    let mut spans = Vec::new();
    for (i, (word, token)) in chosen.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" "));
        }
        spans.push(Span::styled(word, t.style(token)));
    }
    Cell::from(Line::from(spans))
}

/// Draws the pane into `area`.
pub fn render(frame: &mut Frame, area: Rect, f: &FleetState, cx: &RenderContext) {
    f.hits.forget();
    if let Some(json) = &f.json {
        json.render(frame, area, cx);
        return;
    }
    if let Some(part) = f.posture_part() {
        return super::posture_view::render(frame, area, f, part, cx);
    }
    let (table_area, detail_area) = if f.details && area.width >= 100 {
        let [a, b] = Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)])
            .areas(area);
        (a, Some(b))
    } else if f.details {
        (Rect::default(), Some(area))
    } else {
        (area, None)
    };
    if table_area.area() > 0 {
        render_table(frame, table_area, f, cx);
    }
    if let Some(d) = detail_area {
        render_details(frame, d, f, cx);
    }
}

/// The node count: `10,000 nodes` when complete; while a page is asked
/// for again, or after the load stopped part-way, the count says the
/// total is unknown (`9,050 of ? nodes — stopped: throttled`).
fn count_part(f: &FleetState, refresh_key: &str) -> String {
    let n = thousands(f.nodes.len());
    if f.multi_context() {
        return contexts_count_part(f, &n, refresh_key);
    }
    if let Some(s) = f.loading.as_ref().and_then(|l| l.stalled.as_ref()) {
        return format!("{n} of ? nodes — {}", stall_text(s));
    }
    match &f.error {
        Some(e) if !f.nodes.is_empty() => {
            format!(
                "{n} of ? nodes — stopped: {} ({refresh_key} reloads)",
                resume::reason(e)
            )
        }
        _ => format!("{n} nodes"),
    }
}

/// The node count across a context set: complete only when every
/// context finished (`12,031 nodes in 6 contexts`); else the contexts that
/// stalled or failed are counted (`9,050 of ? nodes — 1 of 6 contexts
/// failed, 1 asking again`).
fn contexts_count_part(f: &FleetState, n: &str, refresh_key: &str) -> String {
    let total = f.contexts.len();
    let (failed, stalled) = (f.failures().len(), f.stalls().len());
    if failed == 0 && stalled == 0 {
        return format!("{n} nodes in {total} contexts");
    }
    let mut why = Vec::new();
    if failed > 0 {
        why.push(format!("{failed} of {total} contexts failed"));
    }
    if stalled > 0 {
        why.push(format!("{stalled} asking again"));
    }
    let retry = if f.loading.is_none() {
        format!(" ({refresh_key} reloads)")
    } else {
        String::new()
    };
    format!("{n} of ? nodes — {}{retry}", why.join(", "))
}

/// The row-less lines above the table of a context set: one per context
/// that failed or asks for a page again, naming it and the fix; at most
/// `room`, the last saying how many more.
pub fn context_lines(f: &FleetState, room: usize) -> Vec<String> {
    if !f.multi_context() || room == 0 {
        return Vec::new();
    }
    let name = |id| f.label(id).map_or_else(|| "?".into(), |l| l.short());
    let mut lines: Vec<String> = f
        .failures()
        .into_iter()
        .map(|(id, e)| format!("✗ {}: {e}", name(id)))
        .collect();
    lines.extend(
        f.stalls()
            .into_iter()
            .map(|(id, s)| format!("… {}: {}", name(id), stall_text(s))),
    );
    if lines.len() > room {
        let more = lines.len() - (room - 1);
        lines.truncate(room - 1);
        lines.push(format!("… and {more} more contexts (:contexts lists them)"));
    }
    lines
}

/// `waiting for the managed node list at ENDPOINT (12 s)` once the
/// load has heard nothing for [`WAITING_AFTER`](super::state::WAITING_AFTER)
/// (not while a stalled page waits to be asked again: that says so).
fn waiting_text(f: &FleetState, now: std::time::Instant) -> Option<String> {
    let l = f.loading.as_ref()?;
    let silent = now.saturating_duration_since(l.last_answer);
    (l.stalled.is_none() && silent >= super::state::WAITING_AFTER).then(|| {
        let at = f.endpoint.clone().unwrap_or_else(|| "AWS".into());
        format!(
            "waiting for the managed node list at {at} ({} s)",
            silent.as_secs()
        )
    })
}

fn title(f: &FleetState, cx: &RenderContext) -> String {
    let refresh = cx
        .keymap
        .key_for(Layer::Fleet, Command::Refresh)
        .unwrap_or_else(|| ":refresh".into());
    let mut parts = vec![count_part(f, &refresh)];
    if !f.filter.is_empty() {
        parts.push(format!("{} match /{}", f.view.len(), f.filter));
    }
    if let Some(what) = f.remote_asking() {
        parts.push(format!("asking {what}…"));
    }
    if !f.selected.is_empty() {
        parts.push(format!("{} selected", f.selected.len()));
    }
    parts.push(format!(
        "sort {} {}",
        f.heading(f.sort.column).to_lowercase(),
        f.sort.arrow()
    ));
    if let Some(l) = &f.loading {
        parts.push(format!("loading… page {}", l.pages));
        parts.extend(waiting_text(f, cx.now));
    } else if let Some(s) = &f.last_stats {
        parts.push(format!(
            "loaded in {:.1}s ({} calls)",
            s.elapsed_ms as f64 / 1_000.0,
            s.ssm_calls + s.ec2_calls + s.tag_calls + s.patch_calls
        ));
    }
    if f.ec2_unavailable.is_some() {
        parts.push("EC2 join unavailable: SSM columns only".into());
    }
    format!(" Fleet — {} ", parts.join(" · "))
}

fn render_table(frame: &mut Frame, area: Rect, f: &FleetState, cx: &RenderContext) {
    let room = usize::from(area.height.saturating_sub(4) / 3);
    let mut lines = f.remote_lines();
    lines.truncate(room);
    lines.extend(context_lines(f, room - lines.len()));
    let area = if lines.is_empty() {
        area
    } else {
        let [top, rest] =
            Layout::vertical([Constraint::Length(lines.len() as u16), Constraint::Min(0)])
                .areas(area);
        let text: Vec<Line> = lines
            .into_iter()
            .map(|l| Line::from(Span::styled(format!(" {l}"), cx.theme.style("ui.error"))))
            .collect();
        frame.render_widget(Paragraph::new(text), top);
        rest
    };
    let t = cx.theme;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style("ui.border"))
        .title(Span::styled(title(f, cx), t.style("ui.title")));
    let inner_rows = usize::from(area.height.saturating_sub(3));
    if f.nodes.is_empty() || f.view.is_empty() {
        let msg = match (&f.error, &f.loading, f.nodes.is_empty()) {
            (Some(e), _, _) => vec![
                Line::from(Span::styled(e.to_string(), t.style("ui.error"))),
                Line::from(""),
                Line::from(format!(
                    "Press {} to retry.",
                    cx.keymap
                        .key_for(Layer::Fleet, Command::Refresh)
                        .unwrap_or_else(|| ":refresh".into())
                )),
            ],
            (None, Some(_), true) => vec![Line::from(match waiting_text(f, cx.now) {
                Some(w) => format!("Loading managed nodes… {w}"),
                None => "Loading managed nodes…".into(),
            })],
            (None, None, true) => vec![Line::from(
                "No managed nodes in this account and region. Nodes appear once the SSM Agent registers.",
            )],
            (None, _, false) => vec![Line::from(f.remote_wait_text().unwrap_or_else(|| {
                format!("No node matches /{} — Esc clears the filter.", f.filter)
            }))],
        };
        frame.render_widget(
            Paragraph::new(msg)
                .block(block)
                .wrap(Wrap { trim: true })
                .style(t.style("ui.text")),
            area,
        );
        return;
    }
    f.hits.record(table_rows(area), f.scroll);
    let columns = fit(area.width.saturating_sub(2), f.columns());
    let header = Row::new(
        std::iter::once(Cell::from(" ")).chain(columns.iter().map(|c| {
            let mark = match f.sort.mark(*c) {
                "" => String::new(),
                arrow => format!(" {arrow}"),
            };
            Cell::from(format!("{}{mark}", f.heading(*c)))
        })),
    )
    .style(t.style("ui.table_header"));
    let mut matcher = new_matcher();
    let pattern = f.query.fuzzy();
    let text = t.style("ui.text");
    let hit = t.style("ui.match");
    let cursor_style = t.style("ui.cursor");
    let end = (f.scroll + inner_rows).min(f.view.len());
    let rows: Vec<Row> = f.view[f.scroll.min(end)..end]
        .iter()
        .enumerate()
        .map(|(offset, &i)| {
            let n = &f.nodes[i];
            let row_index = f.scroll + offset;
            let is_cursor = row_index == f.cursor;
            let selected = f.selected.contains(&n.id);
            let base = if selected {
                t.style("ui.selected")
            } else {
                text
            };
            let (name_hits, id_hits) = match pattern {
                Some(p) => (
                    field_indices(p, &n.name, &mut matcher),
                    field_indices(p, &n.id, &mut matcher),
                ),
                None => (Vec::new(), Vec::new()),
            };
            let cells = std::iter::once(Cell::from(Span::styled(
                if selected { "●" } else { " " },
                t.style("ui.selected"),
            )))
            .chain(columns.iter().map(|c| match c {
                Column::Name => Cell::from(highlighted(&n.name, &name_hits, base, hit)),
                Column::Id => Cell::from(highlighted(&n.id, &id_hits, base, hit)),
                Column::Ping => Cell::from(Span::styled(
                    n.ping_status.as_str(),
                    t.style(ping_token(n.ping_status)),
                )),
                Column::LastPing if f.stale(n) => Cell::from(Span::styled(
                    format!("{}!", f.cell_text(n, *c)),
                    t.style("ui.stale"),
                )),
                Column::Patch => patch_cell(n, t),
                Column::Assoc => assoc_cell(n, t),
                Column::Account => Cell::from(Span::styled(
                    ellipsize(&f.cell_text(n, *c), usize::from(width(*c))),
                    base,
                )),
                c => Cell::from(Span::styled(f.cell_text(n, *c), base)),
            }));
            let row = Row::new(cells);
            if is_cursor {
                row.style(with_cursor(Style::default(), cursor_style))
            } else {
                row
            }
        })
        .collect();
    frame.render_widget(
        Table::new(
            rows,
            std::iter::once(Constraint::Length(1)).chain(columns.iter().map(|c| {
                if *c == Column::Name {
                    Constraint::Min(width(*c))
                } else {
                    Constraint::Length(width(*c))
                }
            })),
        )
        .header(header)
        .block(block)
        .column_spacing(1),
        area,
    );
}

/// Every field of a node as (label, value) rows.
pub fn detail_rows(n: &ManagedNode) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = vec![
        ("Node ID".into(), n.id.clone()),
        ("Name".into(), n.name.clone()),
        ("Ping status".into(), n.ping_status.as_str().into()),
        (
            "Last ping (UTC)".into(),
            n.last_ping_s.map(format_epoch).unwrap_or_default(),
        ),
        (
            "Agent version".into(),
            match n.agent_is_latest {
                Some(true) => format!("{} (latest)", n.agent_version),
                Some(false) => format!("{} (update available)", n.agent_version),
                None => n.agent_version.clone(),
            },
        ),
        (
            "Platform".into(),
            format!("{} {}", n.platform_name, n.platform_version),
        ),
        ("Platform type".into(), n.platform_type.clone()),
        ("IP address".into(), n.ip.clone()),
        ("Computer name".into(), n.computer_name.clone()),
        ("Resource type".into(), n.resource_type.clone()),
        ("Association".into(), n.association_status.clone()),
    ];
    if !n.iam_role.is_empty() {
        rows.push(("IAM role".into(), n.iam_role.clone()));
    }
    if !n.activation_id.is_empty() {
        rows.push(("Activation ID".into(), n.activation_id.clone()));
    }
    if let Some(r) = n.registration_s {
        rows.push(("Registered (UTC)".into(), format_epoch(r)));
    }
    if let Some(e) = &n.ec2 {
        rows.push(("Instance type".into(), e.instance_type.clone()));
        rows.push(("State".into(), e.state.clone()));
        rows.push(("Availability zone".into(), e.availability_zone.clone()));
        rows.push(("Private IP".into(), e.private_ip.clone()));
        rows.push((
            "Launched (UTC)".into(),
            e.launch_time_s.map(format_epoch).unwrap_or_default(),
        ));
        rows.push(("Image".into(), e.image_id.clone()));
    }
    rows.extend(patch_rows(&n.patch));
    rows
}

/// The patch state's detail rows (none while unknown).
fn patch_rows(p: &crate::model::Patch) -> Vec<(String, String)> {
    use crate::model::Patch;
    match p {
        Patch::Unknown => Vec::new(),
        Patch::NeverScanned => vec![("Patch state".into(), "never scanned".into())],
        Patch::Scanned(s) => {
            let mut rows = vec![
                ("Patch state".into(), p.text()),
                (
                    "Patches".into(),
                    format!(
                        "{} installed, {} missing, {} failed, {} pending reboot",
                        s.installed, s.missing, s.failed, s.pending_reboot
                    ),
                ),
                (
                    "Non-compliant".into(),
                    format!("{} critical, {} security", s.critical, s.security),
                ),
            ];
            if let Some(t) = s.ended_s {
                rows.push((
                    "Last patch op".into(),
                    format!("{} ended {} UTC", s.operation, format_epoch(t)),
                ));
            }
            rows
        }
    }
}

/// The node details' maintenance windows: each window that targets node
/// `id` with its last runs (status and start, UTC), or why not.
fn window_lines(f: &FleetState, id: &str, t: &crate::config::Theme) -> Vec<Line<'static>> {
    use crate::widgets::raw_json::sanitize;
    let answer = f
        .node_windows
        .as_ref()
        .filter(|(asked, _)| asked == id)
        .and_then(|(_, a)| a.as_ref());
    let mut lines = vec![Line::from(Span::styled(
        match answer {
            Some(Ok(ws)) => format!("Maintenance windows ({})", ws.len()),
            _ => "Maintenance windows".to_owned(),
        },
        t.style("ui.title"),
    ))];
    match answer {
        None => lines.push(Line::styled("  reading…", t.style("ui.dim"))),
        Some(Err(e)) => lines.push(Line::styled(
            format!("  not available: {}", sanitize(e)),
            t.style("ui.dim"),
        )),
        Some(Ok(ws)) if ws.is_empty() => {
            lines.push(Line::styled("  none targets this node", t.style("ui.dim")));
        }
        Some(Ok(ws)) => {
            for w in ws {
                let runs: Vec<String> = w
                    .last
                    .iter()
                    .map(|x| {
                        let at = x
                            .start_s
                            .map_or_else(String::new, crate::model::format_epoch);
                        format!("{} {at}", sanitize(&x.status))
                    })
                    .collect();
                let runs = if runs.is_empty() {
                    "no runs yet".to_owned()
                } else {
                    runs.join(" · ")
                };
                lines.push(Line::from(vec![
                    Span::styled(format!("  {:<22}", sanitize(&w.name)), t.style("ui.key")),
                    Span::styled(format!("{} ", sanitize(&w.id)), t.style("ui.dim")),
                    Span::styled(runs, t.style("ui.text")),
                ]));
            }
        }
    }
    lines
}

fn render_details(frame: &mut Frame, area: Rect, f: &FleetState, cx: &RenderContext) {
    let node = f.current();
    let t = cx.theme;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style("ui.border"))
        .title(Span::styled(
            " Details — Enter/Esc closes ",
            t.style("ui.title"),
        ));
    let Some(n) = node else {
        frame.render_widget(
            Paragraph::new("No node under the cursor.").block(block),
            area,
        );
        return;
    };
    let mut rows = detail_rows(n);
    if let Some(e) = f.patch_unavailable.as_ref().filter(|_| !f.patch_known) {
        rows.push((
            "Patch state".into(),
            format!("not available: {}", e.message),
        ));
    }
    if let Some(l) = f.label(n.ctx).filter(|_| f.multi_context()) {
        let via = l.role.clone().or_else(|| l.profile.clone());
        rows.insert(2, ("Account".into(), l.account_text().to_owned()));
        rows.insert(3, ("Region".into(), l.region.clone()));
        rows.insert(
            4,
            (
                "Credentials".into(),
                via.unwrap_or_else(|| "default".into()),
            ),
        );
    }
    let mut lines: Vec<Line> = vec![
        crate::widgets::table::tab_line(&super::posture_view::tabs(f), t),
        Line::styled(
            "l/h: the node's patches, compliance, inventory, associations",
            t.style("ui.dim"),
        ),
    ];
    lines.extend(rows.into_iter().map(|(k, v)| {
        Line::from(vec![
            Span::styled(format!("{k:<18}"), t.style("ui.dim")),
            Span::styled(v, t.style("ui.text")),
        ])
    }));
    lines.push(Line::from(""));
    lines.extend(window_lines(f, &n.id, t));
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        format!("Tags ({})", n.tags.len()),
        t.style("ui.title"),
    )));
    if n.tags.is_empty() {
        lines.push(Line::from(Span::styled("  none loaded", t.style("ui.dim"))));
    }
    for (k, v) in &n.tags {
        lines.push(Line::from(vec![
            Span::styled(format!("  {k:<16}"), t.style("ui.key")),
            Span::styled(v.clone(), t.style("ui.text")),
        ]));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::aws::fleet::FleetEvent;

    fn throttled() -> crate::aws::AwsError {
        resume::throttled("ssm:DescribeInstanceInformation")
    }

    /// Issue 18 item 1: a load that stops part-way never reads as complete.
    #[test]
    fn a_stalled_or_stopped_load_says_the_total_is_unknown() {
        let mut f = FleetState::default();
        let g = f.begin_load(Instant::now());
        let nodes = (0..1_050)
            .map(|i| ManagedNode {
                id: format!("i-{i:017x}"),
                ..ManagedNode::default()
            })
            .collect();
        f.apply(g, FleetEvent::Page(nodes), Instant::now());
        let stall = FleetEvent::Stalled(resume::Stall {
            error: throttled(),
            retry_in_s: 4,
            round: 3,
        });
        f.apply(g, stall, Instant::now());
        assert_eq!(
            count_part(&f, "r"),
            "1,050 of ? nodes — throttled: page asked again in 4s (round 3/5)"
        );
        f.apply(g, FleetEvent::Failed(throttled()), Instant::now());
        assert_eq!(
            count_part(&f, "r"),
            "1,050 of ? nodes — stopped: throttled (r reloads)"
        );
        let g = f.begin_load(Instant::now());
        f.apply(g, FleetEvent::Done(Default::default()), Instant::now());
        assert_eq!(count_part(&f, "r"), "0 nodes");
        assert_eq!(thousands(9_050), "9,050");
        assert_eq!(thousands(100_000), "100,000");
        assert_eq!(thousands(999), "999");
    }
}
