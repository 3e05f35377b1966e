//! The Compliance pane behind the [`Pane`] trait: keys, the load, the
//! selection, and the patch run through the Run Command composer.

use super::ComplianceAsk;
use super::jobs::{ComplianceJob, ComplianceMsg};
use super::state::ComplianceState;
use crate::aws::posture::PosturePart;
use crate::config::Layer;
use crate::keys::{Command, InputKey};
use crate::pane::{Cx, Goto, Handled, Pane, RenderContext, Request};
use crate::widgets::line_input::plain_filter;
use crate::widgets::list::ListCursor;
use crate::widgets::raw_json::{self, RawJson};

/// The pane's side of one update.
pub type ComplianceCx<'a> = Cx<'a, ComplianceJob, ComplianceAsk>;

const HINTS: &[(Command, &str)] = &[
    (Command::Help, "help"),
    (Command::NextTab, "type"),
    (Command::OpenDetails, "items"),
    (Command::ToggleSelect, "select"),
    (Command::RunCommand, "scan/install patches"),
    (Command::Filter, "filter"),
    (Command::Refresh, "reload"),
];

/// The document that scans and installs patches.
pub const PATCH_DOCUMENT: &str = "AWS-RunPatchBaseline";

/// The choice of how to run [`PATCH_DOCUMENT`]: each option's value
/// (before its two spaces) is what [`patch_goto`] takes.
pub fn patch_options() -> Vec<String> {
    vec![
        "scan  Operation=Scan: report what is missing, change nothing".into(),
        "install  Operation=Install, RebootOption=RebootIfNeeded".into(),
        "noreboot  Operation=Install, RebootOption=NoReboot (reboot pending)".into(),
    ]
}

/// The Run Command composer with [`PATCH_DOCUMENT`] on `nodes` (from
/// `origin`), `Operation` and `RebootOption` set from the pick of
/// [`patch_options`].
pub fn patch_goto(pick: &str, nodes: Vec<String>, origin: String) -> Goto {
    let (operation, reboot) = match pick {
        "scan" => ("Scan", "NoReboot"),
        "noreboot" => ("Install", "NoReboot"),
        _ => ("Install", "RebootIfNeeded"),
    };
    Goto::ComposeDocument {
        document: PATCH_DOCUMENT.into(),
        presets: vec![
            ("Operation".into(), operation.into()),
            ("RebootOption".into(), reboot.into()),
        ],
        nodes: Some((nodes, origin)),
    }
}

impl ComplianceState {
    fn reload(&mut self, cx: &mut ComplianceCx) {
        let previous = (self.started && self.pending == 0).then(|| self.snapshot());
        self.started = true;
        self.generation += 1;
        self.pending = cx.shared.contexts.len().max(1);
        self.failed.clear();
        self.types.clear();
        self.rows.clear();
        self.fixed.clear();
        self.cut = false;
        self.before = previous;
        self.derive();
        cx.job(ComplianceJob::Load {
            generation: self.generation,
        });
    }

    /// The managed nodes a patch run targets: the selection, else the
    /// node under the cursor.
    fn targets(&self) -> Vec<String> {
        let mut nodes: Vec<String> = if self.selected.is_empty() {
            self.shown
                .get(self.cursor.at)
                .map(|s| self.row(s).0.1.resource.clone())
                .into_iter()
                .collect()
        } else {
            self.selected.iter().map(|(_, id)| id.clone()).collect()
        };
        nodes.retain(|n| n.starts_with("i-") || n.starts_with("mi-"));
        nodes.sort();
        nodes.dedup();
        nodes
    }

    fn patch(&mut self, cx: &mut ComplianceCx) {
        let nodes = self.targets();
        if nodes.is_empty() {
            return cx.notice("select managed nodes first (Space; a selects every one shown)");
        }
        cx.request(Request::Choose {
            title: format!("AWS-RunPatchBaseline on {} node(s)", nodes.len()),
            options: patch_options(),
            ask: ComplianceAsk::Patch { nodes },
        });
    }

    fn toggle(&mut self) {
        let Some(s) = self.shown.get(self.cursor.at) else {
            return;
        };
        let (ctx, r) = &self.row(s).0;
        let key = (*ctx, r.resource.clone());
        if !self.selected.remove(&key) {
            self.selected.insert(key);
        }
    }

    fn on_loaded(&mut self, m: ComplianceMsg, cx: &mut ComplianceCx) {
        let ComplianceMsg::Loaded {
            generation,
            ctx,
            result,
        } = m;
        if generation != self.generation {
            return;
        }
        self.pending = self.pending.saturating_sub(1);
        match result {
            Ok((types, rows, cut)) => {
                self.cut |= cut;
                self.types.extend(types.into_iter().map(|t| (ctx, t)));
                self.rows.extend(rows.into_iter().map(|r| (ctx, r)));
            }
            Err(e) => self.failed.push((ctx, e.to_string())),
        }
        let by: std::collections::HashMap<&str, &str> = cx
            .shared
            .nodes
            .iter()
            .map(|n| (n.id.as_str(), n.name.as_str()))
            .collect();
        for (_, r) in &self.rows {
            if let Some(n) = by.get(r.resource.as_str()) {
                self.names.insert(r.resource.clone(), (*n).to_owned());
            }
        }
        if self.pending == 0 {
            let previous = self.before.take();
            self.finish_load(previous);
            self.rows.sort_by(|(ca, a), (cb, b)| {
                (a.rank(), &a.resource, *ca).cmp(&(b.rank(), &b.resource, *cb))
            });
        }
        self.derive();
    }
}

impl Pane for ComplianceState {
    type Msg = ComplianceMsg;
    type Job = ComplianceJob;
    type Ask = ComplianceAsk;

    fn contexts_changed(&mut self, labels: &[crate::model::ContextLabel]) {
        self.contexts = labels.to_vec();
    }

    fn title(&self) -> &'static str {
        "Compliance"
    }

    fn layer(&self) -> Layer {
        Layer::Compliance
    }

    fn on_show(&mut self, cx: &mut ComplianceCx) {
        if !self.started || std::mem::take(&mut self.watching) {
            self.reload(cx);
        }
    }

    fn refresh(&mut self, cx: &mut ComplianceCx) {
        self.reload(cx);
    }

    fn command(&mut self, c: Command, cx: &mut ComplianceCx) -> Handled {
        if raw_json::command(&mut self.raw, c, cx.shared.page_rows) {
            return Handled::Yes;
        }
        let rows = cx.shared.page_rows.saturating_sub(3).max(1);
        if self.cursor.command(c, self.shown.len(), rows) {
            return Handled::Yes;
        }
        let tabs = self.type_names().len() + 1;
        match c {
            Command::NextTab | Command::PrevTab => {
                let by = if c == Command::NextTab { 1 } else { tabs - 1 };
                self.tab = (self.tab + by) % tabs;
                self.cursor = ListCursor::default();
                self.derive();
            }
            Command::Filter => {
                self.filter_before = Some(self.filter.clone());
                cx.request(Request::Filter);
            }
            Command::Back if !self.filter.is_empty() => {
                self.filter.clear();
                self.derive();
            }
            Command::Back if !self.selected.is_empty() => self.selected.clear(),
            Command::ToggleSelect => {
                self.toggle();
                self.cursor.step(1, self.shown.len(), rows);
            }
            Command::SelectAllMatching => {
                let keys: Vec<_> = self
                    .shown
                    .iter()
                    .map(|s| {
                        let (ctx, r) = self.row(s).0;
                        (*ctx, r.resource.clone())
                    })
                    .collect();
                self.selected.extend(keys);
            }
            Command::ClearSelection => self.selected.clear(),
            Command::RunCommand => self.patch(cx),
            Command::OpenDetails => {
                if let Some(s) = self.shown.get(self.cursor.at) {
                    let id = self.row(s).0.1.resource.clone();
                    cx.request(Request::Open(Goto::NodeTab {
                        id,
                        part: PosturePart::Compliance,
                    }));
                }
            }
            Command::RawJson => {
                self.raw = self.shown.get(self.cursor.at).map(|s| {
                    let r = &self.row(s).0.1;
                    RawJson::of(
                        format!(
                            "{} {} (ResourceComplianceSummaryItem)",
                            r.resource, r.compliance_type
                        ),
                        r,
                    )
                });
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn message(&mut self, m: ComplianceMsg, cx: &mut ComplianceCx) {
        self.on_loaded(m, cx);
    }

    fn view(&self, frame: &mut ratatui::Frame, area: ratatui::layout::Rect, rcx: &RenderContext) {
        super::view::render(frame, area, self, rcx);
    }

    fn hints(&self) -> &'static [(Command, &'static str)] {
        HINTS
    }

    fn answer(&mut self, ask: ComplianceAsk, text: String, cx: &mut ComplianceCx) {
        let ComplianceAsk::Patch { nodes } = ask;
        self.watching = true;
        let origin = format!("{} node(s) of the Compliance pane", nodes.len());
        cx.request(Request::Open(patch_goto(&text, nodes, origin)));
    }

    fn filter_input(
        &mut self,
        k: InputKey,
        cursor: &mut Option<usize>,
        cx: &mut ComplianceCx,
    ) -> bool {
        let (step, changed) = plain_filter(&mut self.filter, &mut self.filter_before, cursor, k);
        if changed {
            self.cursor = ListCursor::default();
            self.derive();
        }
        let len = self.shown.len();
        self.cursor.filter_step(step, len, cx.shared.page_rows)
    }

    fn filter_line(&self) -> (String, &'static str) {
        (
            self.filter.clone(),
            "words match node id, name, compliance type, severity, account and region",
        )
    }

    fn settle(&mut self, cx: &mut ComplianceCx) {
        self.now_s = cx.shared.epoch_s;
        self.page_rows = cx.shared.page_rows;
    }

    fn click(&mut self, column: u16, row: u16, _cx: &mut ComplianceCx) -> Option<Command> {
        let click = self
            .hits
            .click(column, row, self.shown.len(), self.cursor.at);
        click.act(|i| self.cursor.at = i)
    }
}
