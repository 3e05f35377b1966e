//! Drawing the node details' tab line and a posture tab (over the whole
//! pane): the node, the tabs with their counts, a summary line, then the
//! part's table fitted to the width (the least needed columns give way).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell};

use super::FleetState;
use super::posture::{DetailTab, fit};
use crate::aws::posture::{Posture, PosturePart};
use crate::pane::RenderContext;
use crate::widgets::raw_json::sanitize;
use crate::widgets::table;

/// The tab titles with what is known of their counts, the shown one marked.
pub fn tabs(f: &FleetState) -> Vec<(String, bool)> {
    DetailTab::all()
        .into_iter()
        .map(|tab| {
            let title = match tab {
                DetailTab::Overview => tab.title().to_owned(),
                DetailTab::Part(p) => match f.posture.answer(p) {
                    Some(Some(Ok(x))) => format!("{} ({})", p.title(), count(x)),
                    Some(Some(Err(_))) => format!("{} (!)", p.title()),
                    _ => p.title().to_owned(),
                },
            };
            (title, tab == f.tab)
        })
        .collect()
}

fn count(p: &Posture) -> usize {
    match p {
        Posture::Patches(x, _) => x.len(),
        Posture::Compliance(x, _) => x.len(),
        Posture::Inventory(x) => x.len(),
        Posture::Associations(x, _) => x.len(),
    }
}

/// Draws posture tab `part` of the node under the cursor over `area`.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    f: &FleetState,
    part: PosturePart,
    cx: &RenderContext,
) {
    let t = cx.theme;
    let title = f.current().map_or_else(String::new, |n| {
        format!(" {} ({}) — Esc back ", sanitize(&n.name), n.id)
    });
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style("ui.border"))
        .title(Span::styled(title, t.style("ui.title")));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [tab_area, summary_area, body] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(inner);
    frame.render_widget(table::tab_line(&tabs(f), t), tab_area);
    match f.posture.answer(part) {
        None | Some(None) => table::note(
            frame,
            body,
            format!(
                "reading {} of the node ({})…",
                part.title().to_lowercase(),
                part.action()
            ),
            t.style("ui.dim"),
        ),
        Some(Some(Err(e))) => table::note(
            frame,
            body,
            format!("{} not available: {}", part.title(), sanitize(e)),
            t.style("ui.notice"),
        ),
        Some(Some(Ok(_))) => draw_table(frame, summary_area, body, f, part, cx),
    }
}

fn draw_table(
    frame: &mut Frame,
    summary_area: Rect,
    body: Rect,
    f: &FleetState,
    part: PosturePart,
    cx: &RenderContext,
) {
    let t = cx.theme;
    let Some(tab) = f.posture.table(part) else {
        return;
    };
    let kept = f.posture.kept(&tab);
    let mut summary = vec![Span::styled(sanitize(&tab.summary), t.style("ui.dim"))];
    if !f.posture.filter.is_empty() {
        summary.push(Span::styled(
            format!(
                "  ·  filter {} keeps {} of {}",
                sanitize(&f.posture.filter),
                kept.len(),
                tab.rows.len()
            ),
            t.style("ui.notice"),
        ));
    }
    frame.render_widget(Line::from(summary), summary_area);
    if kept.is_empty() {
        let text = if tab.rows.is_empty() {
            empty_text(part)
        } else {
            "nothing matches the filter (Esc clears it)".to_owned()
        };
        return table::note(frame, body, text, t.style("ui.dim"));
    }
    let cols = fit(&tab, body.width);
    let header: Vec<String> = cols.iter().map(|(i, _)| tab.header[*i].clone()).collect();
    let last = cols.len().saturating_sub(1);
    let widths: Vec<Constraint> = cols
        .iter()
        .enumerate()
        .map(|(at, (_, w))| {
            if at == last {
                Constraint::Min(*w)
            } else {
                Constraint::Length(*w)
            }
        })
        .collect();
    let rows: Vec<Vec<Cell<'static>>> = kept
        .iter()
        .map(|r| {
            cols.iter()
                .map(|(i, _)| {
                    let (text, token) = &tab.rows[*r][*i];
                    table::styled(sanitize(text), t.style(token))
                })
                .collect()
        })
        .collect();
    table::table(
        frame,
        body,
        &f.hits,
        (header, widths),
        rows,
        f.posture.cursor,
        cx,
    );
}

fn empty_text(part: PosturePart) -> String {
    match part {
        PosturePart::Patches => {
            "no patches reported: the node was never scanned (run AWS-RunPatchBaseline with Operation=Scan)".into()
        }
        PosturePart::Compliance => "no compliance items recorded for the node".into(),
        PosturePart::Inventory => {
            "no inventory: no association gathers it (AWS-GatherSoftwareInventory) or it has not run yet".into()
        }
        PosturePart::Associations => "no State Manager association targets the node".into(),
    }
}
