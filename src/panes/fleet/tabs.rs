//! The node details' tabs in the Fleet pane: switching (`l`/`h`), the
//! keys of a posture tab (rows, `/` filter, Enter into an inventory type,
//! `y` the row's JSON, `r` reads again, Esc back), asking for the part a
//! tab shows, and taking its answer.

use super::posture::DetailTab;
use super::{FleetCx, FleetJob, FleetState};
use crate::aws::posture::PosturePart;
use crate::keys::{Command, InputKey};
use crate::pane::Handled;
use crate::widgets::line_input::{FilterStep, plain_filter};

/// Rows a posture tab's table has fewer than the pane (its tab line,
/// summary line, header and borders).
const CHROME_ROWS: usize = 5;

impl FleetState {
    /// The posture part shown, if the details show one.
    pub fn posture_part(&self) -> Option<PosturePart> {
        match (self.details, self.tab) {
            (true, DetailTab::Part(p)) => Some(p),
            _ => None,
        }
    }

    /// Moves to the tab `by` steps away: closed details open on the
    /// Overview (`l` opens them as Enter does), before the Overview they
    /// close.
    pub(super) fn switch_tab(&mut self, by: isize) {
        if !self.details {
            if by > 0 {
                self.details = true;
                self.tab = DetailTab::Overview;
            }
            return;
        }
        match self.tab.step(by) {
            Some(tab) => self.tab = tab,
            None => self.details = false,
        }
        self.posture.cursor = Default::default();
        self.posture.filter.clear();
        self.posture.inventory_type = None;
    }

    /// A key while a posture tab is shown; `Handled::No` for keys that
    /// act on the node (shell, compose, …) or the shell.
    pub(super) fn posture_command(
        &mut self,
        part: PosturePart,
        c: Command,
        cx: &mut FleetCx,
    ) -> Handled {
        let rows = cx.shared.page_rows.saturating_sub(CHROME_ROWS).max(1);
        let table = self.posture.table(part);
        let kept = table
            .as_ref()
            .map(|t| self.posture.kept(t))
            .unwrap_or_default();
        if self.posture.cursor.command(c, kept.len(), rows) {
            return Handled::Yes;
        }
        match c {
            Command::NextTab => self.switch_tab(1),
            Command::PrevTab => self.switch_tab(-1),
            Command::Filter => {
                self.posture.filter_before = Some(self.posture.filter.clone());
                cx.request(crate::pane::Request::Filter);
            }
            Command::Back => self.posture_back(),
            Command::OpenDetails | Command::RawJson => {
                let Some(row) = kept.get(self.posture.cursor.at).copied() else {
                    return Handled::Yes;
                };
                if let Some(goto) = self
                    .association_of_row(part, row)
                    .filter(|_| c == Command::OpenDetails)
                {
                    cx.request(crate::pane::Request::Open(goto));
                } else if part == PosturePart::Inventory
                    && self.posture.inventory_type.is_none()
                    && c == Command::OpenDetails
                {
                    self.posture.types_cursor = self.posture.cursor;
                    self.posture.inventory_type = Some(row);
                    self.posture.cursor = Default::default();
                    self.posture.filter.clear();
                } else if let Some((title, value)) = self.posture.raw_row(part, row) {
                    self.json = Some(crate::widgets::raw_json::RawJson::of(title, &value));
                }
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }

    /// In the Associations tab: the association of row `row`, to open in
    /// the Associations pane.
    fn association_of_row(&self, part: PosturePart, row: usize) -> Option<crate::pane::Goto> {
        let Some(Some(Ok(crate::aws::posture::Posture::Associations(a, _)))) =
            self.posture.answers.get(&part)
        else {
            return None;
        };
        let ctx = self.current()?.ctx;
        let id = a.get(row)?.id.clone();
        Some(crate::pane::Goto::Association { ctx, id })
    }

    /// Esc in a posture tab: clears its filter, else leaves an inventory
    /// type for the list of types, else goes back to the Overview.
    fn posture_back(&mut self) {
        if !self.posture.filter.is_empty() {
            self.posture.filter.clear();
            self.posture.cursor = Default::default();
        } else if self.posture.inventory_type.take().is_some() {
            self.posture.cursor = self.posture.types_cursor;
        } else {
            self.tab = DetailTab::Overview;
        }
    }

    /// `r` in a posture tab: reads the shown part again.
    pub(super) fn reread_part(&mut self, part: PosturePart) {
        self.posture.answers.remove(&part);
    }

    /// A key while the posture tab's filter is typed.
    pub(super) fn posture_filter_input(&mut self, k: InputKey, cursor: &mut Option<usize>) -> bool {
        let p = &mut self.posture;
        let (step, changed) = plain_filter(&mut p.filter, &mut p.filter_before, cursor, k);
        if changed {
            p.cursor = Default::default();
        }
        !matches!(step, FilterStep::Keep | FilterStep::Restore)
    }

    /// After a batch: the posture tabs follow the node under the cursor
    /// (closing the details forgets them), and the shown part is asked
    /// for once.
    pub(super) fn ask_posture(&mut self, cx: &mut FleetCx) {
        if !self.details {
            self.posture = Default::default();
            self.tab = DetailTab::Overview;
            return;
        }
        let Some((node, ctx)) = self.current().map(|n| (n.id.clone(), n.ctx)) else {
            return;
        };
        self.posture.follow(&node);
        let Some(part) = self.posture_part() else {
            return;
        };
        if self.posture.answer(part).is_none() {
            self.posture.answers.insert(part, None);
            cx.job(FleetJob::Posture {
                generation: self.generation,
                ctx,
                node,
                part,
            });
        }
    }

    /// A part of a node's posture as read: kept if it is about the node
    /// the tabs follow (a later node's answers are not overwritten).
    pub(super) fn take_posture(
        &mut self,
        node: &str,
        part: PosturePart,
        result: Result<crate::aws::posture::Posture, crate::aws::AwsError>,
    ) {
        if self.posture.node != node {
            return;
        }
        self.posture
            .answers
            .insert(part, Some(result.map_err(|e| e.to_string())));
        let len = self
            .posture
            .table(part)
            .map_or(0, |t| self.posture.kept(&t).len());
        self.posture.cursor.keep_in_view(len, 1);
    }
}
