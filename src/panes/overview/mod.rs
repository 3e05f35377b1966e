//! The Overview pane ("pulses"): across the context set, managed nodes by
//! ping status, agents needing an update and platform, and open OpsItems
//! by severity, per context and in total; each number a jump to the Fleet
//! or OpsCenter pane filtered to what it counts. Where the caller has the
//! organization's Quick Setup resource data sync (the delegated
//! administrator), the organization-wide counts too. State in [`state`],
//! drawing in `view`, AWS work in [`jobs`].

pub mod jobs;
pub mod state;
mod view;

use crate::config::Layer;
use crate::keys::Command;
use crate::pane::{Cx, Handled, Pane, RenderContext, Request};
pub use jobs::{OverviewJob, OverviewMsg};
pub use state::OverviewState;
use state::{OpsCount, OrgView};

/// The pane's side of one update.
pub type OverviewCx<'a> = Cx<'a, OverviewJob>;

const HINTS: &[(Command, &str)] = &[
    (Command::Help, "help"),
    (Command::OpenDetails, "list them"),
    (Command::NextTab, "next column"),
    (Command::Refresh, "recount"),
    (Command::NextPane, "next pane"),
];

/// Width of the table's label columns and their gaps, in cells.
const LABELS: u16 = 14 + 1 + 14 + 1;

impl OverviewState {
    /// Moves the cursor `right` columns among those the terminal shows.
    fn step_shown(&mut self, right: isize, cx: &OverviewCx) {
        let shown = view::metrics_that_fit(cx.shared.size.0.saturating_sub(2), LABELS);
        let at = shown.iter().position(|m| *m == self.metric()).unwrap_or(0);
        let to = at.saturating_add_signed(right).min(shown.len() - 1);
        self.col = state::Metric::ALL
            .iter()
            .position(|m| *m == shown[to])
            .unwrap_or(0);
    }

    /// The status line's word on the cell under the cursor: why its
    /// context failed, if it did.
    fn explain(&self, cx: &mut OverviewCx) {
        let Some(label) = self.contexts.get(self.row) else {
            return;
        };
        if let Some(state::NodesMark::Failed(e)) = self.node_marks.get(self.row) {
            cx.notice(format!("{}: the node listing failed: {e}", label.short()));
        }
        if let Some(OpsCount::Failed(e)) = self.ops.get(self.row) {
            cx.notice(format!("{}: GetOpsSummary failed: {e}", label.short()));
        }
    }
}

impl Pane for OverviewState {
    type Msg = OverviewMsg;
    type Job = OverviewJob;
    type Ask = std::convert::Infallible;

    fn contexts_changed(&mut self, labels: &[crate::model::ContextLabel]) {
        self.set_contexts(labels.to_vec());
    }

    fn title(&self) -> &'static str {
        "Overview"
    }

    fn layer(&self) -> Layer {
        Layer::Overview
    }

    fn on_show(&mut self, cx: &mut OverviewCx) {
        if !self.started {
            self.started = true;
            self.refresh(cx);
        }
        self.settle(cx);
    }

    fn refresh(&mut self, cx: &mut OverviewCx) {
        self.started = true;
        cx.job(self.begin_ops());
        cx.job(self.begin_org());
    }

    fn command(&mut self, c: Command, cx: &mut OverviewCx) -> Handled {
        let rows = self.rows() as isize;
        match c {
            Command::SelectNext => self.step(1, 0),
            Command::SelectPrev => self.step(-1, 0),
            Command::SelectFirst => self.step(-rows, 0),
            Command::SelectLast | Command::PageDown => self.step(rows, 0),
            Command::PageUp => self.step(-rows, 0),
            Command::NextTab => self.step_shown(1, cx),
            Command::PrevTab => self.step_shown(-1, cx),
            Command::OpenDetails => {
                self.explain(cx);
                cx.request(Request::Open(self.jump()));
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn message(&mut self, m: OverviewMsg, _cx: &mut OverviewCx) {
        match m {
            OverviewMsg::Ops {
                generation,
                ctx,
                result,
            } => {
                if generation != self.generation {
                    return;
                }
                if let Some(slot) = self.ops.get_mut(ctx.index()) {
                    *slot = match result {
                        Ok(c) => OpsCount::Done(c),
                        Err(e) => OpsCount::Failed(e),
                    };
                }
            }
            OverviewMsg::Org(r) => {
                self.org = match r {
                    Ok(c) => OrgView::Ready(c),
                    Err(e) => OrgView::Unavailable(org_reason(&e)),
                };
            }
        }
    }

    fn settle(&mut self, cx: &mut OverviewCx) {
        let s = &cx.shared;
        self.recount(s.nodes, s.nodes_loading, s.node_loads);
    }

    fn view(&self, frame: &mut ratatui::Frame, area: ratatui::layout::Rect, rcx: &RenderContext) {
        view::render(frame, area, self, rcx);
    }

    /// A click on a context's row (or the total row) puts the cursor
    /// there; a click on the cursor's row opens its number, as Enter does.
    fn click(&mut self, column: u16, row: u16, _cx: &mut OverviewCx) -> Option<Command> {
        let click = self.hits.click(column, row, self.rows(), self.row);
        click.act(|i| self.row = i)
    }

    fn hints(&self) -> &'static [(Command, &'static str)] {
        HINTS
    }

    fn crumb(&self) -> Option<String> {
        let m = self.metric();
        Some(match self.contexts.get(self.row) {
            Some(l) if self.contexts.len() > 1 => format!("{} · {}", l.short(), m.title()),
            _ if self.row + 1 == self.rows() => format!("all · {}", m.title()),
            _ => m.title().to_owned(),
        })
    }
}

/// Why the organization-wide counts are not shown, with what to do.
fn org_reason(e: &crate::aws::AwsError) -> String {
    match e.code.as_deref() {
        Some("ResourceDataSyncNotFoundException") => format!(
            "this account has no {} resource data sync: run ssmdeck with the organization's delegated administrator for Systems Manager (Quick Setup creates the sync there)",
            crate::aws::explorer::QUICK_SETUP_SYNC
        ),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::model::{ContextId, ContextLabel};
    use crate::pane::Shared;
    use crate::panes::harness;

    /// Mouse from the last draw's rows (issue 11): a click on a context's
    /// row moves the cursor there, a second click opens it as Enter does,
    /// a click on the header does nothing.
    #[test]
    fn a_click_on_a_row_moves_the_cursor_and_a_second_opens_it() {
        let mut s = OverviewState::default();
        s.set_contexts(
            (0..3)
                .map(|i| ContextLabel {
                    id: ContextId(i),
                    region: format!("eu-west-{}", i + 1),
                    account: Some(format!("11111111111{i}")),
                    ..ContextLabel::default()
                })
                .collect(),
        );
        let screen = harness::screen(&s, 120, 20, Instant::now());
        let at = |text: &str| screen.lines().position(|l| l.contains(text)).unwrap() as u16;
        let click = |s: &mut OverviewState, y: u16| {
            harness::run(s, Shared::default(), Instant::now(), |p, cx| {
                p.click(5, y, cx)
            })
            .0
        };
        assert_eq!(s.row, 0);
        assert_eq!(click(&mut s, at("eu-west-3")), None);
        assert_eq!(s.row, 2, "{screen}");
        assert_eq!(click(&mut s, at("eu-west-3")), Some(Command::OpenDetails));
        assert_eq!(click(&mut s, at("ACCOUNT")), None);
        assert_eq!(s.row, 2, "the header is not a row");
    }
}
