//! The OpsCenter pane: the OpsItem table with counts by status and
//! severity, the detail of one item, and the create/edit form.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, Wrap};

use super::form::{OpsField, OpsForm};
use super::state::{OpsColumn, OpsDetail, OpsState};
use crate::config::{Layer, Theme};
use crate::filter::{match_indices, new_matcher};
use crate::keys::Command;
use crate::model::{OpsItem, format_epoch_ms_minutes};
use crate::pane::RenderContext;
use crate::widgets::hits::table_rows;
use crate::widgets::{highlighted, ping_token, stall_text, thousands, titled_block, with_cursor};

/// The theme token of a severity (`1` critical … `4` low).
pub fn severity_token(sev: Option<&str>) -> &'static str {
    match sev {
        Some("1") => "severity.critical",
        Some("2") => "severity.high",
        Some("3") => "severity.medium",
        _ => "severity.low",
    }
}

fn status_token(status: &str) -> &'static str {
    match status {
        "Open" => "status.failed",
        "InProgress" => "status.in_progress",
        "Resolved" => "status.success",
        _ => "status.pending",
    }
}

fn width(c: OpsColumn) -> u16 {
    match c {
        OpsColumn::Severity => 4,
        OpsColumn::Priority => 4,
        OpsColumn::Status => 11,
        OpsColumn::Id => 15,
        OpsColumn::Title => 48,
        OpsColumn::Source => 16,
        OpsColumn::Category => 12,
        OpsColumn::Created => 16,
        OpsColumn::Modified => 16,
        OpsColumn::Context => 26,
    }
}

/// Columns that fit in `inner` cells, dropping the least important first;
/// with `contexts` (items of several contexts) the CONTEXT column after
/// the id (dropped after the source).
pub fn visible_columns(inner: u16, contexts: bool) -> Vec<OpsColumn> {
    let mut cols = vec![
        OpsColumn::Id,
        OpsColumn::Severity,
        OpsColumn::Priority,
        OpsColumn::Status,
        OpsColumn::Title,
        OpsColumn::Source,
        OpsColumn::Category,
        OpsColumn::Created,
        OpsColumn::Modified,
    ];
    if contexts {
        cols.insert(1, OpsColumn::Context);
    }
    for d in [
        OpsColumn::Modified,
        OpsColumn::Category,
        OpsColumn::Source,
        OpsColumn::Context,
        OpsColumn::Created,
        OpsColumn::Id,
    ] {
        if 2 + cols.iter().map(|c| width(*c) + 1).sum::<u16>() <= inner {
            break;
        }
        cols.retain(|c| *c != d);
    }
    cols
}

/// Draws the pane: the form when open, else the open item, else the list.
pub fn render(frame: &mut Frame, area: Rect, o: &OpsState, cx: &RenderContext) {
    o.hits.forget();
    if let Some(json) = &o.json {
        json.render(frame, area, cx);
        return;
    }
    if let Some(form) = &o.form {
        render_form(frame, area, form, form.cursor, cx);
        return;
    }
    if o.detail.is_some() {
        render_detail(frame, area, o, cx);
        return;
    }
    render_table(frame, area, o, cx);
}

fn counts_line(o: &OpsState, t: &Theme) -> Line<'static> {
    let (status, sev) = o.counts();
    let mut spans = Vec::new();
    if let Some((ctx, e)) = o.context_errors.first().filter(|_| o.error.is_none()) {
        let name = o
            .contexts
            .get(ctx.index())
            .map_or_else(|| "?".into(), crate::model::ContextLabel::short);
        let more = match o.context_errors.len() {
            1 => String::new(),
            n => format!(" (+{} more: :contexts)", n - 1),
        };
        spans.push(Span::styled(
            format!(" ✗ {name}: {}{more} ", crate::aws::resume::reason(e)),
            t.style("ui.error"),
        ));
    }
    if o.error.is_some() && !o.items.is_empty() {
        spans.push(Span::styled(" partial: ", t.style("ui.error")));
    }
    for (i, name) in ["Open", "InProgress", "Resolved"].iter().enumerate() {
        if o.status_loaded(name) {
            spans.push(Span::styled(
                format!(" {name} {} ", status[i]),
                t.style(status_token(name)),
            ));
        } else if let Some(n) = o.status_totals.get(*name) {
            // Not in the list (its filter), counted by GetOpsSummary.
            spans.push(Span::styled(
                format!(" {name} {n} (not listed) "),
                t.style("ui.dim"),
            ));
        } else {
            spans.push(Span::styled(
                format!(" {name} not loaded "),
                t.style("ui.dim"),
            ));
        }
    }
    if status[3] > 0 {
        spans.push(Span::styled(
            format!(" other {} ", status[3]),
            t.style("ui.dim"),
        ));
    }
    spans.push(Span::styled(" │ severity ", t.style("ui.dim")));
    for (i, label) in ["1 critical", "2 high", "3 medium", "4 low"]
        .iter()
        .enumerate()
    {
        let sev_text = (i + 1).to_string();
        spans.push(Span::styled(
            format!(" {label} {} ", sev[i]),
            t.style(severity_token(Some(&sev_text))),
        ));
    }
    if sev[4] > 0 {
        spans.push(Span::styled(
            format!(" none {} ", sev[4]),
            t.style("ui.dim"),
        ));
    }
    Line::from(spans)
}

/// `3,559 loaded`, or while a page is asked again or after the load
/// stopped part-way, `2,550 of ? loaded — stopped: throttled`.
fn loaded_part(o: &OpsState, refresh_key: &str) -> String {
    let n = thousands(o.items.len());
    if !o.context_errors.is_empty() && o.error.is_none() {
        let retry = if o.loading {
            String::new()
        } else {
            format!(" ({refresh_key} reloads)")
        };
        return format!(
            "{n} of ? loaded — {} of {} contexts failed{retry}",
            o.context_errors.len(),
            o.contexts.len()
        );
    }
    if let Some(s) = o.stalled.as_ref().filter(|_| o.loading) {
        return format!("{n} of ? loaded — {}", stall_text(s));
    }
    match &o.error {
        Some(e) if !o.items.is_empty() => format!(
            "{n} of ? loaded — stopped: {} ({refresh_key} reloads)",
            crate::aws::resume::reason(e)
        ),
        _ => format!("{n} loaded"),
    }
}

fn title(o: &OpsState, refresh_key: &str) -> String {
    let mut parts = vec![loaded_part(o, refresh_key)];
    if !o.filter.is_empty() {
        parts.push(format!("{} match /{}", o.view.len(), o.filter));
    }
    if o.needs_reload() {
        parts.push("Enter in / reloads".into());
    }
    if !o.selected.is_empty() {
        parts.push(format!("{} selected", o.selected.len()));
    }
    parts.push(format!(
        "sort {} {}",
        o.sort.column.title().to_lowercase(),
        o.sort.arrow()
    ));
    if o.loading {
        parts.push(format!("loading… {} pages", o.pages));
    } else {
        parts.push(format!("{} DescribeOpsItems calls", o.pages));
    }
    if o.multi_context() && o.context_errors.is_empty() {
        parts.push(format!("{} contexts", o.contexts.len()));
    }
    format!(" OpsCenter — {} ", parts.join(" · "))
}

fn render_table(frame: &mut Frame, area: Rect, o: &OpsState, cx: &RenderContext) {
    let t = cx.theme;
    let [counts, table_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(2)]).areas(area);
    frame.render_widget(Paragraph::new(counts_line(o, t)), counts);
    let retry = cx
        .keymap
        .key_for(Layer::Global, Command::Refresh)
        .unwrap_or_else(|| ":refresh".into());
    let block = titled_block(title(o, &retry), cx);
    if o.view.is_empty() {
        let msg = match (&o.error, o.loading, o.items.is_empty()) {
            (Some(e), _, _) => vec![
                Line::from(Span::styled(e.to_string(), t.style("ui.error"))),
                Line::from(""),
                Line::from(format!("Press {retry} to retry.")),
            ],
            (None, true, _) => vec![Line::from("Loading OpsItems…")],
            (None, false, true) => vec![Line::from(format!(
                "No OpsItem matches {} in this account and region. / changes the filter; n creates one.",
                if o.loaded_filters.is_empty() {
                    "(no filter)".to_owned()
                } else {
                    format!("/{}", o.filter)
                }
            ))],
            (None, false, false) => vec![Line::from(format!(
                "No loaded OpsItem matches /{} — Esc goes back to the default filter.",
                o.filter
            ))],
        };
        frame.render_widget(
            Paragraph::new(msg)
                .block(block)
                .wrap(Wrap { trim: true })
                .style(t.style("ui.text")),
            table_area,
        );
        return;
    }
    let inner_rows = usize::from(table_area.height.saturating_sub(3));
    // The cursor row is always drawn, whatever scroll the update left
    // (a list height that disagrees with this frame's table).
    let scroll = if o.cursor >= o.scroll + inner_rows.max(1) {
        o.cursor + 1 - inner_rows.max(1)
    } else {
        o.scroll.min(o.cursor)
    };
    o.hits.record(table_rows(table_area), scroll);
    let columns = visible_columns(table_area.width.saturating_sub(2), o.multi_context());
    let header = Row::new(
        std::iter::once(Cell::from(" ")).chain(columns.iter().map(|c| {
            let mark = o.sort.mark(*c);
            Cell::from(format!("{}{mark}", c.title()))
        })),
    )
    .style(t.style("ui.table_header"));
    let mut matcher = new_matcher();
    let pattern = o.query.fuzzy();
    let end = (scroll + inner_rows).min(o.view.len());
    let rows: Vec<Row> = o.view[scroll.min(end)..end]
        .iter()
        .enumerate()
        .map(|(offset, &i)| {
            let item = &o.items[i];
            let selected = o.selected.contains(&item.id);
            let base = if selected {
                t.style("ui.selected")
            } else {
                t.style("ui.text")
            };
            let hits =
                pattern.map_or_else(Vec::new, |p| match_indices(p, &item.title, &mut matcher));
            let cells = std::iter::once(Cell::from(Span::styled(
                if selected { "●" } else { " " },
                t.style("ui.selected"),
            )))
            .chain(columns.iter().map(|c| match c {
                OpsColumn::Context => Cell::from(Span::styled(o.context_of(item), base)),
                c => cell(*c, item, base, &hits, t),
            }));
            let row = Row::new(cells.collect::<Vec<_>>());
            if scroll + offset == o.cursor {
                row.style(with_cursor(Style::default(), t.style("ui.cursor")))
            } else {
                row
            }
        })
        .collect();
    let widths: Vec<Constraint> = std::iter::once(Constraint::Length(1))
        .chain(columns.iter().map(|c| {
            if *c == OpsColumn::Title {
                Constraint::Min(width(*c))
            } else {
                Constraint::Length(width(*c))
            }
        }))
        .collect();
    frame.render_widget(
        Table::new(rows, widths).header(header).block(block),
        table_area,
    );
}

fn cell(c: OpsColumn, item: &OpsItem, base: Style, hits: &[usize], t: &Theme) -> Cell<'static> {
    let text = |s: String| Cell::from(Span::styled(s, base));
    match c {
        OpsColumn::Severity => Cell::from(Span::styled(
            item.severity.clone().unwrap_or_else(|| "-".into()),
            t.style(severity_token(item.severity.as_deref())),
        )),
        OpsColumn::Priority => text(item.priority.map_or("-".into(), |p| p.to_string())),
        OpsColumn::Status => Cell::from(Span::styled(
            item.status.clone(),
            t.style(status_token(&item.status)),
        )),
        OpsColumn::Id => text(item.id.clone()),
        OpsColumn::Title => Cell::from(highlighted(&item.title, hits, base, t.style("ui.match"))),
        OpsColumn::Source => text(item.source.clone()),
        OpsColumn::Category => text(item.category.clone().unwrap_or_default()),
        OpsColumn::Created => text(format_epoch_ms_minutes(item.created_ms)),
        OpsColumn::Modified => text(format_epoch_ms_minutes(item.last_modified_ms)),
        OpsColumn::Context => text(String::new()),
    }
}

fn pretty(value: &str) -> Vec<String> {
    match serde_json::from_str::<serde_json::Value>(value) {
        Ok(v @ (serde_json::Value::Object(_) | serde_json::Value::Array(_))) => {
            serde_json::to_string_pretty(&v)
                .unwrap_or_else(|_| value.to_owned())
                .lines()
                .map(str::to_owned)
                .collect()
        }
        _ => value.lines().map(str::to_owned).collect(),
    }
}

/// Pushes a blank line and the heading `name` of a detail section.
fn section(out: &mut Vec<Line<'static>>, head: Style, name: &str) {
    out.push(Line::from(""));
    out.push(Line::from(Span::styled(name.to_owned(), head)));
}

/// The lines of the detail view (pure; used by the renderer and tests).
pub fn detail_lines(o: &OpsState, t: &Theme) -> Vec<Line<'static>> {
    let Some(d) = &o.detail else {
        return Vec::new();
    };
    let item = d.item.as_ref().or_else(|| o.get(&d.id));
    let text = t.style("ui.text");
    let mut out: Vec<Line<'static>> = Vec::new();
    let Some(i) = item else {
        out.push(Line::from(Span::styled(
            match &d.error {
                Some(e) => e.to_string(),
                None => format!("Reading {}…", d.id),
            },
            if d.error.is_some() {
                t.style("ui.error")
            } else {
                text
            },
        )));
        return out;
    };
    summary_lines(&mut out, d, i, t);
    related_lines(&mut out, o, d, i, t);
    runbook_lines(&mut out, i, t);
    notes_lines(&mut out, i, t);
    operational_data_lines(&mut out, i, t);
    timeline_lines(&mut out, d, i, t);
    out
}

/// The item's heading, status, source and modification lines, a read
/// error if any, and its description.
fn summary_lines(out: &mut Vec<Line<'static>>, d: &OpsDetail, i: &OpsItem, t: &Theme) {
    let dim = t.style("ui.dim");
    let text = t.style("ui.text");
    let head = t.style("ui.title");
    out.push(Line::from(vec![
        Span::styled(format!("{}  ", i.id), t.style("ui.key")),
        Span::styled(i.title.clone(), text),
    ]));
    out.push(Line::from(vec![
        Span::styled("Status ", dim),
        Span::styled(i.status.clone(), t.style(status_token(&i.status))),
        Span::styled("   Priority ", dim),
        Span::styled(i.priority.map_or("-".into(), |p| p.to_string()), text),
        Span::styled("   Severity ", dim),
        Span::styled(
            match i.severity.as_deref() {
                Some("1") => "1 critical".to_owned(),
                Some("2") => "2 high".to_owned(),
                Some("3") => "3 medium".to_owned(),
                Some("4") => "4 low".to_owned(),
                Some(s) => s.to_owned(),
                None => "-".to_owned(),
            },
            t.style(severity_token(i.severity.as_deref())),
        ),
        Span::styled("   Category ", dim),
        Span::styled(i.category.clone().unwrap_or_else(|| "-".into()), text),
        Span::styled("   Type ", dim),
        Span::styled(i.ops_item_type.clone(), text),
    ]));
    out.push(Line::from(vec![
        Span::styled("Source ", dim),
        Span::styled(i.source.clone(), text),
        Span::styled("   Created ", dim),
        Span::styled(format_epoch_ms_minutes(i.created_ms), text),
        Span::styled(" by ", dim),
        Span::styled(i.created_by.clone(), text),
    ]));
    out.push(Line::from(vec![
        Span::styled("Last modified ", dim),
        Span::styled(format_epoch_ms_minutes(i.last_modified_ms), text),
        Span::styled(" by ", dim),
        Span::styled(i.last_modified_by.clone(), text),
        Span::styled(
            i.version
                .as_ref()
                .map_or(String::new(), |v| format!("   version {v}")),
            dim,
        ),
    ]));
    if let Some(e) = &d.error {
        out.push(Line::from(Span::styled(e.to_string(), t.style("ui.error"))));
    }
    section(out, head, "Description");
    match &i.description {
        Some(desc) => out.extend(
            desc.lines()
                .map(|l| Line::from(Span::styled(format!("  {l}"), text))),
        ),
        None => out.push(Line::from(Span::styled("  reading…", dim))),
    }
}

/// The related managed nodes, other resources, OpsItems and related
/// items (ListOpsItemRelatedItems) sections.
fn related_lines(
    out: &mut Vec<Line<'static>>,
    o: &OpsState,
    d: &OpsDetail,
    i: &OpsItem,
    t: &Theme,
) {
    let dim = t.style("ui.dim");
    let text = t.style("ui.text");
    let head = t.style("ui.title");
    let nodes = i.related_nodes();
    section(
        out,
        head,
        "Related managed nodes  (f shows one in Fleet · c runs a command on them)",
    );
    if nodes.is_empty() {
        out.push(Line::from(Span::styled(
            "  none named in /aws/resources",
            dim,
        )));
    }
    for n in &nodes {
        let known = d.known_nodes.iter().find(|x| x.id == *n);
        out.push(Line::from(vec![
            Span::styled(format!("  {n:<20}  "), t.style("ui.key")),
            match known {
                Some(k) => Span::styled(
                    format!("{}  {}", k.name, k.ping_status.as_str()),
                    t.style(ping_token(k.ping_status)),
                ),
                None => Span::styled("not in the loaded fleet", dim),
            },
        ]));
    }
    let others = i.other_resources();
    if !others.is_empty() {
        section(out, head, "Other related resources");
        out.extend(
            others
                .into_iter()
                .map(|a| Line::from(Span::styled(format!("  {a}"), text))),
        );
    }
    section(out, head, "Related OpsItems  (L links another)");
    if i.related_ops_items.is_empty() {
        out.push(Line::from(Span::styled("  none", dim)));
    }
    for r in &i.related_ops_items {
        let other = o.get(r);
        out.push(Line::from(vec![
            Span::styled(format!("  {r}  "), t.style("ui.key")),
            Span::styled(
                other.map_or(String::new(), |o| format!("{}  {}", o.status, o.title)),
                text,
            ),
        ]));
    }
    section(out, head, "Related items (ListOpsItemRelatedItems)");
    match &d.related {
        None => out.push(Line::from(Span::styled("  reading…", dim))),
        Some(Err(e)) => out.push(Line::from(Span::styled(
            format!("  {e}"),
            t.style("ui.error"),
        ))),
        Some(Ok(list)) if list.is_empty() => out.push(Line::from(Span::styled("  none", dim))),
        Some(Ok(list)) => out.extend(list.iter().map(|r| {
            Line::from(Span::styled(
                format!(
                    "  {}  {}  {}",
                    r.resource_type, r.association_type, r.resource_uri
                ),
                text,
            ))
        })),
    }
}

/// The notifications (when there are any) and notes sections.
fn notes_lines(out: &mut Vec<Line<'static>>, i: &OpsItem, t: &Theme) {
    let dim = t.style("ui.dim");
    let text = t.style("ui.text");
    let head = t.style("ui.title");
    if !i.notifications.is_empty() {
        section(out, head, "Notifications");
        out.extend(
            i.notifications
                .iter()
                .map(|n| Line::from(Span::styled(format!("  {n}"), text))),
        );
    }
    let notes = i.notes();
    section(out, head, "Notes  (N adds one)");
    if notes.is_empty() {
        out.push(Line::from(Span::styled("  none", dim)));
    }
    for n in &notes {
        out.push(Line::from(vec![
            Span::styled(
                format!(
                    "  {}  ",
                    n.at.get(..19).unwrap_or(&n.at).replacen('T', " ", 1)
                ),
                dim,
            ),
            Span::styled(format!("{}: ", n.by), dim),
            Span::styled(n.text.clone(), text),
        ]));
    }
}

/// The operational data section (notes left out), JSON values pretty-printed.
/// The runbooks `/aws/automations` suggests and the executions recorded
/// there.
fn runbook_lines(out: &mut Vec<Line<'static>>, i: &OpsItem, t: &Theme) {
    use crate::aws::automation::{OPS_KEY, is_execution_id, ops_entries};
    let entries = i
        .operational_data
        .get(OPS_KEY)
        .map(|d| ops_entries(&d.value))
        .unwrap_or_default();
    section(
        out,
        t.style("ui.title"),
        "Runbooks  (A starts one on the related nodes · E lists the executions)",
    );
    let (runs, books): (Vec<String>, Vec<String>) =
        entries.into_iter().partition(|e| is_execution_id(e));
    let dim = t.style("ui.dim");
    let books = if books.is_empty() {
        "none suggested in /aws/automations".to_owned()
    } else {
        books
            .iter()
            .map(|b| crate::widgets::raw_json::sanitize(b))
            .collect::<Vec<_>>()
            .join(", ")
    };
    out.push(Line::from(Span::styled(
        format!("  suggested: {books}"),
        dim,
    )));
    out.push(Line::from(Span::styled(
        format!("  executions recorded: {}", runs.len()),
        dim,
    )));
    for r in runs.iter().rev().take(5) {
        out.push(Line::from(Span::styled(
            format!("    {r}"),
            t.style("ui.text"),
        )));
    }
}

fn operational_data_lines(out: &mut Vec<Line<'static>>, i: &OpsItem, t: &Theme) {
    let dim = t.style("ui.dim");
    let text = t.style("ui.text");
    let head = t.style("ui.title");
    section(out, head, "Operational data  (O adds · X deletes)");
    let mut any = false;
    for (k, v) in &i.operational_data {
        if k.starts_with(crate::model::NOTE_PREFIX) {
            continue;
        }
        any = true;
        let lines = pretty(&v.value);
        let tag = if v.searchable {
            ""
        } else {
            "  (not searchable)"
        };
        if lines.len() <= 1 {
            out.push(Line::from(vec![
                Span::styled(format!("  {k}: "), t.style("ui.key")),
                Span::styled(lines.first().cloned().unwrap_or_default(), text),
                Span::styled(tag, dim),
            ]));
        } else {
            out.push(Line::from(vec![
                Span::styled(format!("  {k}:"), t.style("ui.key")),
                Span::styled(tag, dim),
            ]));
            out.extend(
                lines
                    .into_iter()
                    .map(|l| Line::from(Span::styled(format!("    {l}"), text))),
            );
        }
    }
    if !any {
        out.push(Line::from(Span::styled("  none", dim)));
    }
}

/// The timeline section: events, notes and the item's own times, newest first.
fn timeline_lines(out: &mut Vec<Line<'static>>, d: &OpsDetail, i: &OpsItem, t: &Theme) {
    let dim = t.style("ui.dim");
    let text = t.style("ui.text");
    let head = t.style("ui.title");
    section(
        out,
        head,
        "Timeline: events (ListOpsItemEvents), notes, changes; newest first",
    );
    match &d.events {
        None => out.push(Line::from(Span::styled("  reading…", dim))),
        Some(Err(e)) => out.push(Line::from(Span::styled(
            format!("  {e}"),
            t.style("ui.error"),
        ))),
        Some(Ok(events)) => {
            // Events, notes and the item's own times, newest first.
            let mut rows: Vec<(i64, String, String)> = events
                .iter()
                .map(|e| {
                    let detail: String = e.detail.chars().take(120).collect();
                    (
                        e.created_ms,
                        format!("{}  {}", e.source, e.detail_type),
                        detail,
                    )
                })
                .collect();
            rows.push((i.created_ms, "created".into(), i.created_by.clone()));
            for n in i.notes() {
                let ms = aws_smithy_types::DateTime::from_str(
                    &n.at,
                    aws_smithy_types::date_time::Format::DateTime,
                )
                .map_or(0, |d| d.to_millis().unwrap_or(0));
                rows.push((ms, "note".into(), format!("{}: {}", n.by, n.text)));
            }
            if i.last_modified_ms > i.created_ms + 1_000 {
                rows.push((
                    i.last_modified_ms,
                    "last modified".into(),
                    i.last_modified_by.clone(),
                ));
            }
            rows.sort_by_key(|r| std::cmp::Reverse(r.0));
            for (ms, what, detail) in rows {
                out.push(Line::from(vec![
                    Span::styled(format!("  {}  ", format_epoch_ms_minutes(ms)), dim),
                    Span::styled(what, text),
                    Span::styled(format!("  {detail}"), dim),
                ]));
            }
        }
    }
}

fn render_detail(frame: &mut Frame, area: Rect, o: &OpsState, cx: &RenderContext) {
    let d = o.detail.as_ref().expect("checked by the caller");
    let lines = detail_lines(o, cx.theme);
    let block = titled_block(
        format!(
            " OpsItem {} — Esc back · t status · p priority · v severity · N note · e edit · f node · c run command ",
            d.id
        ),
        cx,
    );
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((d.scroll, 0)),
        area,
    );
}

fn render_form(
    frame: &mut Frame,
    area: Rect,
    f: &OpsForm,
    cursor: Option<usize>,
    cx: &RenderContext,
) {
    let t = cx.theme;
    frame.render_widget(Clear, area);
    let title = match &f.editing {
        Some((id, _)) => format!(
            " Edit {id} — Ctrl-S saves (refused if someone changed it meanwhile) · Esc leaves "
        ),
        None => " New OpsItem — Ctrl-S creates · Esc leaves · Tab fields ".to_owned(),
    };
    let outer = titled_block(title, cx);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let line = |field: OpsField, label: &str, value: &str, hint: &str| -> Line<'static> {
        let focused = f.focus == field;
        Line::from(vec![
            Span::styled(format!("{label:<14}"), t.style("ui.dim")),
            Span::styled(
                if focused {
                    crate::widgets::line_input::with_cursor(value, cursor)
                } else {
                    value.to_owned()
                },
                if focused {
                    t.style("ui.input")
                } else {
                    t.style("ui.text")
                },
            ),
            Span::styled(format!("  {hint}"), t.style("ui.dim")),
        ])
    };
    let top = vec![line(OpsField::Title, "Title", &f.title, "")];
    let mut bottom = Vec::new();
    if f.editing.is_none() {
        bottom.push(line(
            OpsField::Source,
            "Source",
            &f.source,
            "where it came from",
        ));
    }
    bottom.push(line(
        OpsField::Priority,
        "Priority",
        &f.priority,
        "1 highest … 5",
    ));
    bottom.push(line(
        OpsField::Severity,
        "Severity",
        &f.severity,
        "1 critical … 4 low",
    ));
    bottom.push(line(
        OpsField::Category,
        "Category",
        &f.category,
        "Availability, Cost, Performance, Recovery, Security",
    ));
    if f.editing.is_none() {
        bottom.push(line(
            OpsField::Node,
            "Related node",
            &f.node,
            "i-… or mi-… (stored in /aws/resources)",
        ));
    }
    let err_h = u16::from(f.error.is_some()) * 2;
    let [a, b, c, e] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(bottom.len() as u16),
        Constraint::Length(err_h),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(top), a);
    let mut ta = f.description.clone();
    ta.set_block(
        Block::default()
            .borders(Borders::ALL)
            .border_style(if f.focus == OpsField::Description {
                t.style("ui.key")
            } else {
                t.style("ui.border")
            })
            .title(" Description "),
    );
    frame.render_widget(&ta, b);
    frame.render_widget(Paragraph::new(bottom), c);
    if let Some(err) = &f.error {
        frame.render_widget(
            Paragraph::new(Span::styled(err.clone(), t.style("ui.error")))
                .wrap(Wrap { trim: true }),
            e,
        );
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::aws::resume::{Stall, throttled};
    use crate::pane::{Cx, Pane, Shared};
    use crate::panes::opscenter::jobs::OpsCenterEvent;

    /// Issue 18 item 1: a list that stopped part-way never reads as complete.
    #[test]
    fn a_stalled_or_stopped_list_says_the_total_is_unknown() {
        let mut o = OpsState::default();
        let job = o.begin_load();
        drop(job);
        let generation = o.generation;
        let mut cx = Cx::new(Instant::now(), Shared::default());
        let items = (0..2_550)
            .map(|i| OpsItem {
                id: format!("oi-{i:012x}"),
                ..OpsItem::default()
            })
            .collect();
        let page = OpsCenterEvent::Page {
            ctx: Default::default(),
            generation,
            result: Ok(items),
            done: false,
        };
        o.message(page, &mut cx);
        let stall = Stall {
            error: throttled("ssm:DescribeOpsItems"),
            retry_in_s: 1,
            round: 1,
        };
        o.message(
            OpsCenterEvent::Stalled {
                generation,
                ctx: Default::default(),
                stall,
            },
            &mut cx,
        );
        assert_eq!(
            loaded_part(&o, "r"),
            "2,550 of ? loaded — throttled: page asked again in 1s (round 1/5)"
        );
        let stop = OpsCenterEvent::Page {
            ctx: Default::default(),
            generation,
            result: Err(throttled("ssm:DescribeOpsItems")),
            done: true,
        };
        o.message(stop, &mut cx);
        assert_eq!(
            loaded_part(&o, "r"),
            "2,550 of ? loaded — stopped: throttled (r reloads)"
        );
        let theme = Theme::default();
        let counts: String = counts_line(&o, &theme)
            .spans
            .iter()
            .map(|s| s.content.to_string())
            .collect();
        assert!(counts.starts_with(" partial: "), "{counts}");
    }
}
