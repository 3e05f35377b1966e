//! The Parameters pane: the hierarchy as a tree, the selected parameter's
//! details, the history view with diffs, and the editor.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::state::{Editor, EditorKind, Field, History, ParamsState, TreeRow, split_name};
use crate::config::Layer;
use crate::filter::{match_indices, new_matcher};
use crate::keys::Command;
use crate::model::{ParamKind, ParameterMeta, format_epoch};
use crate::pane::RenderContext;
use crate::widgets::hits::list_rows;
use crate::widgets::raw_json::sanitize;
use crate::widgets::stall_text;
use crate::widgets::titled_block as block;

/// What a masked SecureString looks like.
pub const MASK: &str = "•••••••• (SecureString — v reveals)";

/// Draws the pane into `area`.
pub fn render(frame: &mut Frame, area: Rect, p: &ParamsState, cx: &RenderContext) {
    if let Some(json) = &p.json {
        json.render(frame, area, cx);
        return;
    }
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area);
    render_tree(frame, left, p, cx);
    if p.rows.is_empty() || p.editor.is_some() {
        p.hits.forget();
    } else {
        p.hits.record(list_rows(left), p.scroll);
    }
    match (&p.history, &p.compare) {
        (Some(h), _) => render_history(frame, right, p, h, cx),
        (None, Some((name, rows))) => render_compare(frame, right, p, name, rows.as_deref(), cx),
        (None, None) => render_details(frame, right, p, cx),
    }
    if let Some(ed) = &p.editor {
        render_editor(frame, area, ed, ed.cursor, cx);
    }
}

/// The index's progress in the title: `indexing… page 12`, `index
/// complete (40 pages)`, or how it stalls or stopped part-way (then the
/// names known are not every parameter).
fn index_part(p: &ParamsState, refresh: &str) -> String {
    if !p.index.started {
        String::new()
    } else if let Some(why) = &p.index.stopped {
        format!(
            " · index stopped part-way: {why} ({} pages; {refresh} reads again)",
            p.index.pages
        )
    } else if let Some(s) = &p.index.stalled {
        format!(" · indexing… page {}, {}", p.index.pages, stall_text(s))
    } else if p.index.done {
        format!(" · index complete ({} pages)", p.index.pages)
    } else {
        format!(" · indexing… page {}", p.index.pages)
    }
}

fn render_tree(frame: &mut Frame, area: Rect, p: &ParamsState, cx: &RenderContext) {
    let t = cx.theme;
    let refresh = cx
        .keymap
        .key_for(Layer::Global, Command::Refresh)
        .unwrap_or_else(|| ":refresh".into());
    let index = index_part(p, &refresh);
    let index = if p.calls > 0 {
        format!("{index} · {} calls", p.calls)
    } else {
        index
    };
    let search = p
        .search
        .as_ref()
        .map(|q| format!(" · /{q}: {} match", p.rows.len()))
        .unwrap_or_default();
    let scope = p
        .scope
        .as_ref()
        .map(|s| format!(" · {s}"))
        .unwrap_or_default();
    let title = format!(
        " Parameters — {} known{index}{search}{scope} ",
        p.known.len()
    );
    let h = usize::from(area.height.saturating_sub(2));
    let mut lines = Vec::new();
    if p.rows.is_empty() {
        let msg = if let Some(e) = &p.error {
            Line::from(Span::styled(e.to_string(), t.style("ui.error")))
        } else if p.search.is_some() {
            Line::from(match &p.index.stopped {
                Some(why) => format!(
                    "No known parameter name matches: the index stopped part-way ({why}), so names may be missing. {refresh} reads again."
                ),
                None => "No parameter name matches.".into(),
            })
        } else if !p.levels_loaded.contains("/") || !p.index.done {
            Line::from("Loading the hierarchy…")
        } else {
            Line::from("No parameters in this account and region. n creates one.")
        };
        lines.push(msg);
    }
    let pattern = p.search.as_ref().filter(|q| !q.is_empty()).map(|q| {
        nucleo_matcher::pattern::Pattern::parse(
            q,
            nucleo_matcher::pattern::CaseMatching::Smart,
            nucleo_matcher::pattern::Normalization::Smart,
        )
    });
    let mut matcher = new_matcher();
    let end = (p.scroll + h).min(p.rows.len());
    for (offset, row) in p.rows[p.scroll.min(end)..end].iter().enumerate() {
        let is_cursor = p.scroll + offset == p.cursor;
        let base = if is_cursor {
            t.style("ui.text").patch(t.style("ui.cursor"))
        } else {
            t.style("ui.text")
        };
        let line = match row {
            TreeRow::Folder {
                path,
                depth,
                open,
                count,
            } => {
                let leaf = split_name(path).1;
                let loading = if p.levels_loading.contains(path) {
                    " …"
                } else {
                    ""
                };
                Line::from(vec![
                    Span::styled("  ".repeat(*depth), base),
                    Span::styled(
                        if *open { "▾ " } else { "▸ " },
                        base.patch(t.style("ui.key")),
                    ),
                    Span::styled(format!("{leaf}/"), base.patch(t.style("ui.title"))),
                    Span::styled(format!(" {count}{loading}"), base.patch(t.style("ui.dim"))),
                ])
            }
            TreeRow::Param { name, depth } => {
                let shown = if p.search.is_some() {
                    name.as_str()
                } else {
                    split_name(name).1
                };
                let mut spans = vec![Span::styled("  ".repeat(*depth + 1), base)];
                match &pattern {
                    Some(pat) => {
                        let hits = match_indices(pat, shown, &mut matcher);
                        for (i, c) in shown.chars().enumerate() {
                            let s = if hits.binary_search(&i).is_ok() {
                                base.patch(t.style("ui.match"))
                            } else {
                                base
                            };
                            spans.push(Span::styled(c.to_string(), s));
                        }
                    }
                    None => spans.push(Span::styled(shown.to_owned(), base)),
                }
                if let Some(m) = p.known.get(name)
                    && m.kind == ParamKind::SecureString
                {
                    spans.push(Span::styled(" (secure)", base.patch(t.style("ui.dim"))));
                }
                Line::from(spans)
            }
        };
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines).block(block(title, cx)), area);
}

/// The value as shown: masked for an unrevealed SecureString, JSON
/// pretty-printed when it parses, else as is.
pub fn display_value(kind: ParamKind, value: Option<&str>, revealed: Option<&str>) -> Vec<String> {
    let text = match (kind, revealed, value) {
        (ParamKind::SecureString, Some(clear), _) => clear.to_owned(),
        (ParamKind::SecureString, None, _) => return vec![MASK.to_owned()],
        (_, _, Some(v)) => v.to_owned(),
        (_, _, None) => return vec!["(loading…)".to_owned()],
    };
    let trimmed = text.trim_start();
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
        && let Ok(pretty) = serde_json::to_string_pretty(&v)
    {
        return pretty.lines().map(str::to_owned).collect();
    }
    if kind == ParamKind::StringList {
        return text.split(',').map(|s| format!("• {s}")).collect();
    }
    text.lines().map(str::to_owned).collect()
}

fn meta_rows(m: &ParameterMeta) -> Vec<(&'static str, String)> {
    let mut rows = vec![
        ("Name", m.name.clone()),
        ("Type", m.kind.as_str().to_owned()),
        ("Tier", m.tier.clone()),
        ("Data type", m.data_type.clone()),
        ("Version", m.version.to_string()),
        (
            "Modified (UTC)",
            m.last_modified_s.map(format_epoch).unwrap_or_default(),
        ),
        ("Modified by", m.last_modified_user.clone()),
    ];
    if !m.description.is_empty() {
        rows.push(("Description", m.description.clone()));
    }
    if !m.allowed_pattern.is_empty() {
        rows.push(("Allowed pattern", m.allowed_pattern.clone()));
    }
    if !m.key_id.is_empty() {
        rows.push(("KMS key", m.key_id.clone()));
    }
    for pol in &m.policies {
        rows.push(("Policy", pol.clone()));
    }
    rows
}

fn render_details(frame: &mut Frame, area: Rect, p: &ParamsState, cx: &RenderContext) {
    let t = cx.theme;
    let mut lines: Vec<Line> = Vec::new();
    let title = match p.current() {
        Some(TreeRow::Folder { path, count, .. }) => {
            lines.push(Line::from(format!(
                "Level {path}: {count} parameters below. Enter or l opens it; n creates one here."
            )));
            " Level ".to_string()
        }
        Some(TreeRow::Param { name, .. }) => {
            match p.known.get(name) {
                Some(m) => {
                    for (k, v) in meta_rows(m) {
                        lines.push(Line::from(vec![
                            Span::styled(format!("{k:<16}"), t.style("ui.dim")),
                            Span::styled(v, t.style("ui.text")),
                        ]));
                    }
                    let labels = match p.labels.get(name) {
                        Some(by_version) => by_version
                            .iter()
                            .find(|(v, _)| *v == m.version)
                            .map(|(_, l)| {
                                if l.is_empty() {
                                    "none".to_owned()
                                } else {
                                    l.join(", ")
                                }
                            })
                            .unwrap_or_else(|| "none".to_owned()),
                        None => "H reads them (GetParameterHistory)".to_owned(),
                    };
                    lines.push(Line::from(vec![
                        Span::styled(format!("{:<16}", "Labels"), t.style("ui.dim")),
                        Span::styled(labels, t.style("ui.text")),
                    ]));
                    if let Some(v) = p.values.get(name)
                        && !v.arn.is_empty()
                    {
                        lines.push(Line::from(vec![
                            Span::styled(format!("{:<16}", "ARN"), t.style("ui.dim")),
                            Span::styled(v.arn.clone(), t.style("ui.text")),
                        ]));
                    }
                    lines.push(Line::from(""));
                    lines.push(Line::from(Span::styled("Value", t.style("ui.title"))));
                    let revealed = p
                        .revealed
                        .as_ref()
                        .filter(|r| r.name == *name)
                        .map(|r| r.value.as_str());
                    let value = p.values.get(name).map(|v| v.value.as_str());
                    for l in display_value(m.kind, value, revealed) {
                        lines.push(Line::from(Span::styled(l, t.style("ui.text"))));
                    }
                }
                None => lines.push(Line::from("(gone)")),
            }
            " Parameter — e edit · H history · v reveal · y/Y copy · d delete ".to_string()
        }
        None => " Parameter ".to_string(),
    };
    frame.render_widget(
        Paragraph::new(lines)
            .block(block(title, cx))
            .wrap(Wrap { trim: false }),
        area,
    );
}

fn render_history(frame: &mut Frame, area: Rect, p: &ParamsState, h: &History, cx: &RenderContext) {
    let t = cx.theme;
    let revealed = p.revealed.as_ref().is_some_and(|r| r.name == h.name);
    let title = format!(
        " History of {} — Space mark · D diff · R restore · L/U label · Esc back ",
        h.name
    );
    let Some(versions) = &h.versions else {
        let msg = match &h.error {
            Some(e) => Line::from(Span::styled(e.to_string(), t.style("ui.error"))),
            None => Line::from("Loading every version…"),
        };
        frame.render_widget(Paragraph::new(msg).block(block(title, cx)), area);
        return;
    };
    let diff_height = if h.diff.is_some() { area.height / 2 } else { 0 };
    let [list_area, diff_area] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(diff_height)]).areas(area);
    let mut lines = Vec::new();
    for (i, v) in versions.iter().enumerate() {
        let base = if i == h.cursor {
            t.style("ui.text").patch(t.style("ui.cursor"))
        } else {
            t.style("ui.text")
        };
        let mark = if h.marked == Some(v.version) {
            "●"
        } else {
            " "
        };
        let value = if v.kind == ParamKind::SecureString && !revealed {
            "••••••••".to_owned()
        } else {
            v.value
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(40)
                .collect()
        };
        let mut spans = vec![
            Span::styled(mark, t.style("ui.selected")),
            Span::styled(format!(" v{:<4}", v.version), base.patch(t.style("ui.key"))),
            Span::styled(
                format!(
                    "{}  ",
                    v.last_modified_s.map(format_epoch).unwrap_or_default()
                ),
                base.patch(t.style("ui.dim")),
            ),
            Span::styled(value, base),
        ];
        if !v.labels.is_empty() {
            spans.push(Span::styled(
                format!("  [{}]", v.labels.join(", ")),
                base.patch(t.style("ui.selected")),
            ));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines).block(block(title, cx)), list_area);
    if let Some((a, b)) = h.diff
        && let (Some(va), Some(vb)) = (h.version(a), h.version(b))
    {
        let mut dl = Vec::new();
        if va.kind == ParamKind::SecureString && !revealed {
            dl.push(Line::from(
                "SecureString values are masked: Esc, v to reveal, then H and D again.",
            ));
        } else {
            let diff = similar::TextDiff::from_lines(&va.value, &vb.value);
            for change in diff.iter_all_changes() {
                let (sign, style) = match change.tag() {
                    similar::ChangeTag::Delete => ("-", t.style("diff.removed")),
                    similar::ChangeTag::Insert => ("+", t.style("diff.added")),
                    similar::ChangeTag::Equal => (" ", t.style("ui.dim")),
                };
                dl.push(Line::from(Span::styled(
                    format!("{sign} {}", change.value().trim_end_matches('\n')),
                    style,
                )));
            }
        }
        frame.render_widget(
            Paragraph::new(dl)
                .block(block(format!(" Diff v{a} → v{b} "), cx))
                .wrap(Wrap { trim: false }),
            diff_area,
        );
    }
}

fn field_line<'a>(
    label: &str,
    value: String,
    focused: bool,
    cursor: Option<usize>,
    cx: &RenderContext,
) -> Line<'a> {
    let t = cx.theme;
    let style = if focused {
        t.style("ui.input")
    } else {
        t.style("ui.text")
    };
    Line::from(vec![
        Span::styled(format!("{label:<13}"), t.style("ui.dim")),
        Span::styled(
            if focused {
                crate::widgets::line_input::with_cursor(&value, cursor)
            } else {
                value
            },
            style,
        ),
    ])
}

fn render_editor(
    frame: &mut Frame,
    area: Rect,
    ed: &Editor,
    cursor: Option<usize>,
    cx: &RenderContext,
) {
    let t = cx.theme;
    frame.render_widget(Clear, area);
    let title = match ed.kind {
        EditorKind::Edit { version } => format!(
            " Edit {} (from version {version}) — Ctrl-S saves · Esc discards · Tab next field ",
            ed.name
        ),
        EditorKind::Create => {
            " New parameter — Ctrl-S creates · Esc discards · Tab next field ".to_string()
        }
    };
    let outer = block(title, cx);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let mut fields = Vec::new();
    for f in ed.fields() {
        let focused = f == ed.focus;
        match f {
            Field::Name => fields.push(field_line("Name", ed.name.clone(), focused, cursor, cx)),
            Field::Kind => fields.push(field_line(
                "Type",
                format!("{} (Space changes)", ed.param_kind.as_str()),
                focused,
                None,
                cx,
            )),
            Field::Tier => fields.push(field_line(
                "Tier",
                format!("{} (Space changes)", ed.tier),
                focused,
                None,
                cx,
            )),
            Field::Description => fields.push(field_line(
                "Description",
                ed.description.clone(),
                focused,
                cursor,
                cx,
            )),
            Field::KeyId => fields.push(field_line(
                "KMS key",
                if ed.key_id.is_empty() && !focused {
                    "alias/aws/ssm (default)".into()
                } else {
                    ed.key_id.clone()
                },
                focused,
                cursor,
                cx,
            )),
            Field::DataType => fields.push(field_line(
                "Data type",
                format!("{} (Space changes)", ed.data_type),
                focused,
                None,
                cx,
            )),
            Field::Tags => fields.push(field_line(
                "Tags",
                if ed.tags.is_empty() && !focused {
                    "Key=Value, Key=Value".into()
                } else {
                    ed.tags.clone()
                },
                focused,
                cursor,
                cx,
            )),
            Field::Value => {}
        }
    }
    let error_lines = u16::from(ed.error.is_some()) * 2;
    let [fields_area, value_area, error_area] = Layout::vertical([
        Constraint::Length(fields.len() as u16),
        Constraint::Min(3),
        Constraint::Length(error_lines),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(fields), fields_area);
    let chars = ed.text().chars().count();
    let limit = if ed.tier == "Advanced" { 8_192 } else { 4_096 };
    let value_title = format!(
        " Value{} — {chars}/{limit} characters ",
        if ed.focus == Field::Value {
            " (editing)"
        } else {
            ""
        }
    );
    let value_block = Block::default()
        .borders(Borders::ALL)
        .border_style(if ed.focus == Field::Value {
            t.style("ui.key")
        } else {
            t.style("ui.border")
        })
        .title(value_title);
    match &ed.theirs {
        Some(theirs) => {
            let [mine, other] =
                Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                    .areas(value_area);
            let mut ta = ed.value.clone();
            ta.set_block(value_block.title(" yours "));
            frame.render_widget(&ta, mine);
            frame.render_widget(
                Paragraph::new(theirs.value.clone())
                    .block(block(format!(" theirs: version {} ", theirs.version), cx))
                    .wrap(Wrap { trim: false }),
                other,
            );
        }
        None => {
            let mut ta = ed.value.clone();
            ta.set_cursor_line_style(Style::default());
            ta.set_block(value_block);
            frame.render_widget(&ta, value_area);
        }
    }
    if let Some(e) = &ed.error {
        frame.render_widget(
            Paragraph::new(Span::styled(e.clone(), t.style("ui.error"))).wrap(Wrap { trim: true }),
            error_area,
        );
    }
}

/// The comparison of `name` across the context set: one block per
/// context (account and region, then type, version, modified time and the
/// value, or for a SecureString only whether it equals the first
/// context's), the ones that differ from the first marked.
fn render_compare(
    frame: &mut Frame,
    area: Rect,
    p: &ParamsState,
    name: &str,
    rows: Option<&[super::jobs::Compared]>,
    cx: &RenderContext,
) {
    let t = cx.theme;
    let title = format!(
        " {} across {} contexts — Esc closes ",
        sanitize(name),
        p.contexts.len()
    );
    let Some(rows) = rows else {
        frame.render_widget(
            Paragraph::new("Reading it in every context…").block(block(title, cx)),
            area,
        );
        return;
    };
    let differ = rows
        .iter()
        .filter(|r| {
            matches!(&r.result, Ok(Some(v)) if v.same_as_first == Some(false))
                || matches!(r.result, Ok(None))
        })
        .count();
    let mut lines = vec![Line::from(Span::styled(
        if differ == 0 {
            "The same in every context.".to_owned()
        } else {
            format!(
                "{differ} of {} contexts differ from the first (or lack it).",
                rows.len()
            )
        },
        t.style(if differ == 0 { "ui.text" } else { "ui.error" }),
    ))];
    for r in rows {
        let place = p
            .contexts
            .get(r.ctx.index())
            .map_or_else(|| "?".into(), crate::model::ContextLabel::short);
        lines.push(Line::from(""));
        let (mark, style, what) = match &r.result {
            Err(e) => ("!", "ui.error", format!("not read: {e}")),
            Ok(None) => ("✗", "ui.error", "not there".to_owned()),
            Ok(Some(v)) => {
                let modified = v.last_modified_s.map(format_epoch).unwrap_or_default();
                let (mark, style) = match v.same_as_first {
                    Some(false) => ("≠", "ui.error"),
                    _ => ("=", "ui.text"),
                };
                (
                    mark,
                    style,
                    format!("{} v{} {modified}", v.kind.as_str(), v.version),
                )
            }
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{mark} {place}  "), t.style(style)),
            Span::styled(what, t.style("ui.dim")),
        ]));
        if let Ok(Some(v)) = &r.result {
            let value = match (&v.shown, v.same_as_first) {
                (Some(text), _) => sanitize(text),
                (None, Some(true)) => "(SecureString: same value as the first context)".into(),
                (None, Some(false)) => {
                    "(SecureString: another value than the first context's)".into()
                }
                (None, None) => "(SecureString)".into(),
            };
            lines.push(Line::from(Span::styled(
                format!("  {value}"),
                t.style("ui.text"),
            )));
        }
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(block(title, cx))
            .wrap(Wrap { trim: false }),
        area,
    );
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::aws::resume::{Stall, throttled};
    use crate::pane::{Cx, Pane, Shared};
    use crate::panes::parameters::jobs::ParamsEvent;

    /// Issue 18 item 1: an index that stopped part-way never reads as complete.
    #[test]
    fn a_stalled_or_stopped_index_says_so() {
        let mut p = ParamsState::default();
        p.index.started = true;
        let mut cx = Cx::new(Instant::now(), Shared::default());
        p.message(ParamsEvent::IndexPage(Ok(Vec::new()), false), &mut cx);
        let stall = Stall {
            error: throttled("ssm:DescribeParameters"),
            retry_in_s: 2,
            round: 2,
        };
        p.message(ParamsEvent::IndexStalled(stall), &mut cx);
        assert_eq!(
            index_part(&p, "r"),
            " · indexing… page 1, throttled: page asked again in 2s (round 2/5)"
        );
        let e = throttled("ssm:DescribeParameters");
        p.message(ParamsEvent::IndexPage(Err(e), true), &mut cx);
        assert_eq!(
            index_part(&p, "r"),
            " · index stopped part-way: throttled (2 pages; r reads again)"
        );
        p.message(ParamsEvent::IndexPage(Ok(Vec::new()), true), &mut cx);
        assert!(index_part(&p, "r").contains("stopped"), "until a new index");
    }
}
