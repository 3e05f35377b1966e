//! The Fleet pane's behaviour behind the [`Pane`] trait: keys, filter
//! input, load reports, and the requests to other panes (shell, port
//! forward, Run Command composer, the node's OpsItems).

use ratatui::Frame;
use ratatui::layout::Rect;

use super::{Ask, FleetCx, FleetJob, FleetMsg, FleetState};
use crate::config::Layer;
use crate::filter::TERM_KEYS;
use crate::keys::{Command, InputKey};
use crate::pane::{Goto, Handled, Pane, RenderContext, Request};
use crate::session::forward::ForwardSpec;
use crate::widgets::line_input::{FilterStep, filter_key};

/// The status line's key hints, in order.
const HINTS: &[(Command, &str)] = &[
    (Command::Help, "help"),
    (Command::Filter, "filter"),
    (Command::ToggleSelect, "select"),
    (Command::OpenDetails, "details"),
    (Command::SortBy, "sort"),
    (Command::Refresh, "refresh"),
    (Command::NextPane, "next pane"),
    (Command::Quit, "quit"),
];

/// The status line's key hints in a posture tab of the node details.
const TAB_HINTS: &[(Command, &str)] = &[
    (Command::NextTab, "next tab"),
    (Command::Filter, "filter"),
    (Command::OpenDetails, "open"),
    (Command::RawJson, "json"),
    (Command::Refresh, "read again"),
    (Command::Back, "back"),
];

impl FleetState {
    /// Starts a load of the whole fleet (a newer load makes the older
    /// one's pages stale).
    pub fn load(&mut self, cx: &mut FleetCx) {
        let generation = self.begin_load(cx.now);
        cx.job(FleetJob::Load { generation });
        self.remote_wanted = true;
    }

    /// [`Goto::FleetFilter`](crate::pane::Goto::FleetFilter): the nodes
    /// `text` keeps, the cursor on the first. The user's own filter is set
    /// aside as for a node jump: Esc puts it back and walks back.
    pub fn show_filtered(&mut self, text: String) {
        self.details = false;
        if self.filter_aside.is_none() {
            self.filter_aside = Some(std::mem::take(&mut self.filter));
        }
        self.revealed = true;
        self.filter_before = None;
        self.cursor = 0;
        self.cursor_id = None;
        self.scroll = 0;
        self.set_filter(text);
        self.remote_wanted = true;
    }

    /// [`Goto::Node`]: the details of node `id`, the user's filter and
    /// selection kept (a filter that hides the node is set aside until
    /// Esc walks back). Says why when the node is not loaded.
    pub fn show_node(&mut self, id: &str, cx: &mut FleetCx) {
        if !self.reveal(id) {
            cx.notice(format!(
                "{id} is not in the fleet{}",
                if self.loading.is_some() {
                    " yet (still loading); try again in a moment"
                } else {
                    ": it is not a managed node of this account and region"
                }
            ));
            return;
        }
        self.details = true;
        cx.request(Request::Show);
    }

    /// [`Goto::NodeTab`]: as [`FleetState::show_node`], on the tab of
    /// `part` (read when the pane settles).
    pub fn show_node_tab(
        &mut self,
        id: &str,
        part: crate::aws::posture::PosturePart,
        cx: &mut FleetCx,
    ) {
        self.show_node(id, cx);
        if self.details {
            self.tab = super::posture::DetailTab::Part(part);
            self.posture.cursor = Default::default();
            self.posture.filter.clear();
            self.posture.inventory_type = None;
        }
    }

    fn node_command(&mut self, c: Command, cx: &mut FleetCx) -> Handled {
        let Some(n) = self.current() else {
            return Handled::Yes;
        };
        let (id, name) = (n.id.clone(), n.name.clone());
        let json = (c == Command::RawJson).then(|| {
            crate::widgets::raw_json::RawJson::of(
                format!("{name} ({id}), ManagedNode with its EC2 details and tags"),
                n,
            )
        });
        // The node the key acted on stays under the cursor while pages
        // and EC2 joins still arrive.
        self.cursor_id = Some(id.clone());
        match c {
            Command::StartSession => cx.request(Request::Open(Goto::Shell(id))),
            Command::NodeOpsItems => cx.request(Request::Open(Goto::NodeOpsItems(id))),
            Command::RawJson => self.json = json,
            Command::CopyValue => cx.request(Request::Choose {
                title: format!("Copy of {name} ({id})"),
                options: vec![
                    "id  node id".into(),
                    "name  Name tag".into(),
                    "ip  IP address".into(),
                ],
                ask: Ask::Copy { node: id },
            }),
            Command::ForwardPort => cx.request(Request::Prompt {
                title: format!("Forward from {name} ({id}): LOCAL:REMOTE or LOCAL:HOST:REMOTE"),
                text: String::new(),
                ask: Ask::Forward { node: id },
            }),
            Command::OpenDetails => {
                self.details = !self.details;
                if self.details {
                    cx.request(Request::Remember {
                        kind: "node",
                        key: name,
                        label: id,
                    });
                }
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn compose(&mut self, cx: &mut FleetCx) {
        let mut nodes: Vec<String> = self.selected.iter().cloned().collect();
        nodes.sort();
        if nodes.is_empty() {
            cx.notice(
                "select nodes first (Space, or a to select all that match the filter); or open :commands and target tags",
            );
            return;
        }
        cx.request(Request::Open(Goto::Compose {
            nodes,
            origin: "the Fleet selection".into(),
        }));
    }

    /// `P`: how to run AWS-RunPatchBaseline on the selection (or the node
    /// under the cursor), then the composer with it.
    fn patch(&mut self, cx: &mut FleetCx) {
        let mut nodes: Vec<String> = self.selected.iter().cloned().collect();
        nodes.sort();
        if nodes.is_empty() {
            match self.current() {
                Some(n) => nodes.push(n.id.clone()),
                None => return cx.notice("no node to patch"),
            }
        }
        cx.request(Request::Choose {
            title: format!(
                "{} on {} node(s)",
                crate::panes::compliance::PATCH_DOCUMENT,
                nodes.len()
            ),
            options: crate::panes::compliance::patch_options(),
            ask: Ask::Patch { nodes },
        });
    }

    /// `A`: the Automation pane's runbooks, to start one on the
    /// selection (or the node under the cursor when nothing is selected).
    fn runbook(&mut self, cx: &mut FleetCx) {
        let mut nodes: Vec<String> = self.selected.iter().cloned().collect();
        nodes.sort();
        let origin = if nodes.is_empty() {
            match self.current() {
                Some(n) => {
                    nodes.push(n.id.clone());
                    format!("the node under the cursor ({})", n.id)
                }
                None => return cx.notice("no node to start a runbook on"),
            }
        } else {
            "the Fleet selection".into()
        };
        cx.request(Request::Open(Goto::Runbook {
            nodes,
            origin,
            ops_item: None,
            suggested: Vec::new(),
        }));
    }

    fn back(&mut self) -> Handled {
        if self.revealed {
            // Came here from another pane: close what the jump opened and
            // let the shell walk back to where the user was.
            self.details = false;
            self.put_filter_back();
            return Handled::No;
        }
        if self.details {
            self.details = false;
        } else if self.filter_aside.is_some() {
            self.put_filter_back();
        } else if !self.filter.is_empty() {
            self.set_filter(String::new());
        } else {
            return Handled::No;
        }
        Handled::Yes
    }
}

impl Pane for FleetState {
    type Msg = FleetMsg;
    type Job = FleetJob;
    type Ask = Ask;

    const SAVED_FILTER: Option<&'static str> = Some("fleet");

    fn filter_text(&self) -> String {
        self.filter.clone()
    }

    fn apply_filter_text(&mut self, text: String, _cx: &mut FleetCx) {
        self.set_filter(text);
    }

    fn contexts_changed(&mut self, labels: &[crate::model::ContextLabel]) {
        self.set_contexts(labels.to_vec());
    }

    fn switch_context(&mut self) {
        // The tag columns are the user's choice (config), not the context's.
        let tag_columns = std::mem::take(&mut self.tag_columns);
        *self = FleetState::default();
        self.tag_columns = tag_columns;
    }

    fn title(&self) -> &'static str {
        "Fleet"
    }

    fn layer(&self) -> Layer {
        Layer::Fleet
    }

    fn refresh(&mut self, cx: &mut FleetCx) {
        match self.posture_part() {
            Some(part) => self.reread_part(part),
            None => self.load(cx),
        }
    }

    fn command(&mut self, c: Command, cx: &mut FleetCx) -> Handled {
        let rows = cx.shared.page_rows;
        let half = (rows / 2).max(1) as isize;
        if crate::widgets::raw_json::command(&mut self.json, c, rows) {
            return Handled::Yes;
        }
        if c != Command::Back {
            self.revealed = false;
        }
        if let Some(part) = self.posture_part() {
            return match self.posture_command(part, c, cx) {
                Handled::Yes => Handled::Yes,
                Handled::No if c == Command::RunCommand => {
                    self.compose(cx);
                    Handled::Yes
                }
                Handled::No if c == Command::RunRunbook => {
                    self.runbook(cx);
                    Handled::Yes
                }
                Handled::No => self.node_command(c, cx),
            };
        }
        match c {
            Command::NextTab => self.switch_tab(1),
            Command::PrevTab => self.switch_tab(-1),
            Command::SelectNext => self.move_by(1, rows),
            Command::SelectPrev => self.move_by(-1, rows),
            Command::SelectFirst => self.move_to(0, rows),
            Command::SelectLast => self.move_to(usize::MAX, rows),
            Command::PageDown => self.move_by(half, rows),
            Command::PageUp => self.move_by(-half, rows),
            Command::Filter => {
                self.filter_before = Some(self.filter.clone());
                cx.request(Request::Filter);
            }
            Command::Back => return self.back(),
            Command::ToggleSelect => {
                self.toggle_select();
                self.move_by(1, rows);
            }
            Command::SelectAllMatching => self.select_all_matching(),
            Command::ClearSelection => self.selected.clear(),
            Command::SortNext => self.sort_next(),
            Command::SortBy => cx.request(Request::Choose {
                title: "Sort the fleet by".into(),
                options: self
                    .columns()
                    .into_iter()
                    .map(|c| self.heading(c))
                    .collect(),
                ask: Ask::SortBy,
            }),
            Command::SortReverse => self.sort_reverse(),
            Command::RunCommand => self.compose(cx),
            Command::RunRunbook => self.runbook(cx),
            Command::Patch => self.patch(cx),
            Command::Deregister => super::deregister::ask(self, cx),
            _ => return self.node_command(c, cx),
        }
        Handled::Yes
    }

    fn message(&mut self, m: FleetMsg, cx: &mut FleetCx) {
        // Not part of a load: a reload while it was on its way must not
        // drop it (the details would read "reading…" for good).
        if let crate::aws::fleet::FleetEvent::NodeWindows { node, result } = m.event {
            if let Some((asked, slot)) = self.node_windows.as_mut()
                && *asked == node
            {
                *slot = Some(result.map_err(|e| e.to_string()));
            }
            return;
        }
        if let crate::aws::fleet::FleetEvent::Deregistered(results) = m.event {
            return super::deregister::on_result(self, results, cx);
        }
        if let crate::aws::fleet::FleetEvent::Posture { node, part, result } = m.event {
            return self.take_posture(&node, part, result);
        }
        if let crate::aws::fleet::FleetEvent::Remote(answers) = m.event {
            return self.take_remote(m.generation, answers);
        }
        if let crate::aws::fleet::FleetEvent::AgentCurrency(result) = m.event {
            return self.take_agent_currency(m.generation, result);
        }
        if let Some(text) = self.apply_in(m.generation, m.ctx, m.event, cx.now) {
            cx.notice(text);
        }
    }

    fn resized(&mut self, cx: &mut FleetCx) {
        self.move_by(0, cx.shared.page_rows);
    }

    fn view(&self, frame: &mut Frame, area: Rect, rcx: &RenderContext) {
        super::view::render(frame, area, self, rcx);
    }

    fn hints(&self) -> &'static [(Command, &'static str)] {
        if self.posture_part().is_some() {
            TAB_HINTS
        } else {
            HINTS
        }
    }

    fn crumb(&self) -> Option<String> {
        let name = self
            .details
            .then(|| self.current().map(|n| n.name.clone()))??;
        Some(match self.posture_part() {
            Some(part) => format!("{name} › {}", part.title()),
            None => name,
        })
    }

    fn answer(&mut self, ask: Ask, text: String, cx: &mut FleetCx) {
        match ask {
            Ask::Forward { node } => match ForwardSpec::parse(&text) {
                Ok(spec) => cx.request(Request::Open(Goto::Forward { node, spec })),
                Err(e) => cx.notice(e),
            },
            Ask::SortBy => {
                if let Some(c) = self
                    .columns()
                    .into_iter()
                    .find(|c| self.heading(*c) == text)
                {
                    self.sort_by(c);
                }
            }
            Ask::Patch { nodes } => {
                let origin = if nodes.len() == 1 {
                    format!("the node {}", nodes[0])
                } else {
                    "the Fleet selection".into()
                };
                cx.request(Request::Open(crate::panes::compliance::patch_goto(
                    &text, nodes, origin,
                )));
            }
            Ask::Copy { node } => {
                let Some(n) = self.node(&node) else {
                    return cx.notice(format!("{node} is no longer loaded"));
                };
                let (value, what) = match text.as_str() {
                    "name" => (n.name.clone(), "name"),
                    "ip" => (n.ip.clone(), "IP address"),
                    _ => (n.id.clone(), "node id"),
                };
                if value.is_empty() {
                    return cx.notice(format!("{node} has no {what}"));
                }
                cx.notice(format!("copied the {what} of {node}"));
                cx.request(Request::Clipboard(value));
            }
        }
    }

    fn filter_input(&mut self, k: InputKey, cursor: &mut Option<usize>, cx: &mut FleetCx) -> bool {
        if self.posture_part().is_some() {
            return self.posture_filter_input(k, cursor);
        }
        let mut text = self.filter.clone();
        match filter_key(&mut text, cursor, k) {
            FilterStep::Edited => {
                self.revealed = false;
                self.set_filter(text);
            }
            FilterStep::Moved => {}
            FilterStep::Keep => {
                self.filter_before = None;
                self.remote_wanted = true;
                return false;
            }
            FilterStep::Restore => {
                self.remote_wanted = true;
                let before = self.filter_before.take().unwrap_or_default();
                if before != self.filter {
                    self.set_filter(before);
                }
                return false;
            }
            FilterStep::Scroll(d) => self.move_by(d, cx.shared.page_rows),
        }
        true
    }

    fn filter_line(&self) -> (String, &'static str) {
        if self.posture_part().is_some() {
            return (
                self.posture.filter.clone(),
                "Enter keeps · Esc restores · words match any column, COLUMN:text one column (state:missing severity:critical)",
            );
        }
        static WHAT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            let terms: Vec<String> = TERM_KEYS.iter().map(|k| format!("{k}:")).collect();
            format!(
                "Enter/Tab keeps · Esc restores · terms: {} (!term negates, a,b either)",
                terms.join(" ")
            )
        });
        (self.filter.clone(), WHAT.as_str())
    }

    fn filter_warning(&self) -> Option<String> {
        self.query.errors.first().cloned().or_else(|| {
            let terms = self.query.remote_terms();
            (!terms.is_empty()).then(|| {
                let keys: Vec<String> = terms.iter().map(|t| t.key()).collect();
                format!("{}: asked of AWS when you press Enter", keys.join(" "))
            })
        })
    }

    fn click(&mut self, column: u16, row: u16, cx: &mut FleetCx) -> Option<Command> {
        let rows = cx.shared.page_rows;
        if let Some(part) = self.posture_part() {
            let len = self
                .posture
                .table(part)
                .map_or(0, |t| self.posture.kept(&t).len());
            let click = self.hits.click(column, row, len, self.posture.cursor.at);
            return click.act(|i| self.posture.cursor.at = i);
        }
        let click = self.hits.click(column, row, self.view.len(), self.cursor);
        click.act(|i| self.move_to(i, rows))
    }

    fn settle(&mut self, cx: &mut FleetCx) {
        self.epoch_s = cx.shared.epoch_s;
        self.settle(cx.shared.page_rows);
        let wanted = self
            .details
            .then(|| self.current().map(|n| (n.id.clone(), n.ctx)))
            .flatten();
        if let Some((node, ctx)) = wanted
            && self
                .node_windows
                .as_ref()
                .is_none_or(|(asked, _)| *asked != node)
        {
            self.node_windows = Some((node.clone(), None));
            cx.job(FleetJob::NodeWindows {
                generation: self.generation,
                ctx,
                node,
            });
        }
        self.ask_posture(cx);
        if self.agent_currency_to_ask() {
            cx.job(FleetJob::AgentCurrency {
                generation: self.generation,
            });
        }
        if std::mem::take(&mut self.remote_wanted) {
            let terms = self.remote_to_ask();
            if !terms.is_empty() {
                cx.job(FleetJob::Remote {
                    generation: self.generation,
                    terms,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::time::Instant;

    use super::*;
    use crate::aws::fleet::FleetEvent;
    use crate::model::ManagedNode;
    use crate::pane::Shared;

    type Out = (Vec<FleetJob>, Vec<Request<FleetJob, Ask>>);

    /// Runs `f` with the context of a 120×40 console.
    fn with(p: &mut FleetState, f: impl FnOnce(&mut FleetState, &mut FleetCx)) -> Out {
        let shared = Shared {
            size: (120, 40),
            where_: "account 1, region r",
            nodes: &[],
            selected: &HashSet::new(),
            page_rows: 30,
            ..Shared::default()
        };
        let ((), jobs, requests) = crate::panes::harness::run(p, shared, Instant::now(), f);
        (jobs, requests)
    }

    /// A loaded fleet of `web-1`, `web-2`, `db-1` (ids `i-…1`, `i-…2`, `i-…3`).
    fn fleet() -> FleetState {
        let mut p = FleetState::default();
        let generation = p.begin_load(Instant::now());
        let nodes = ["web-1", "web-2", "db-1"]
            .iter()
            .enumerate()
            .map(|(i, name)| ManagedNode {
                id: format!("i-000000000000000{}", i + 1),
                name: (*name).into(),
                ..ManagedNode::default()
            })
            .collect();
        p.apply(generation, FleetEvent::Page(nodes), Instant::now());
        p.apply(
            generation,
            FleetEvent::Done(Default::default()),
            Instant::now(),
        );
        p.settle(30);
        p
    }

    fn cmd(p: &mut FleetState, c: Command) -> (Handled, Out) {
        let mut h = Handled::No;
        let out = with(p, |p, cx| h = p.command(c, cx));
        p.settle(30);
        (h, out)
    }

    fn patch(state: &str, title: &str) -> crate::aws::posture::NodePatch {
        crate::aws::posture::NodePatch {
            title: title.into(),
            state: state.into(),
            severity: "Critical".into(),
            ..Default::default()
        }
    }

    fn posture_jobs(out: &Out) -> Vec<(String, crate::aws::posture::PosturePart)> {
        out.0
            .iter()
            .filter_map(|j| match j {
                FleetJob::Posture { node, part, .. } => Some((node.clone(), *part)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_posture_tab_is_read_once_per_node_and_its_keys_stay_in_it() {
        use super::super::posture::DetailTab;
        use crate::aws::posture::{Posture, PosturePart};
        let mut p = fleet();
        cmd(&mut p, Command::NextTab);
        assert!(p.details, "l opens the details");
        assert_eq!(p.tab, DetailTab::Overview);
        assert!(posture_jobs(&with(&mut p, Pane::settle)).is_empty());
        cmd(&mut p, Command::NextTab);
        let asked = posture_jobs(&with(&mut p, Pane::settle));
        let node = p.current().expect("a node").id.clone();
        assert_eq!(asked, vec![(node.clone(), PosturePart::Patches)]);
        assert!(
            posture_jobs(&with(&mut p, Pane::settle)).is_empty(),
            "asked once"
        );
        let answer = Posture::Patches(
            vec![
                patch("FAILED", "openssl"),
                patch("MISSING", "kernel"),
                patch("INSTALLED", "bash"),
            ],
            false,
        );
        let m = FleetMsg {
            generation: p.generation,
            ctx: Default::default(),
            event: FleetEvent::Posture {
                node: node.clone(),
                part: PosturePart::Patches,
                result: Ok(answer),
            },
        };
        with(&mut p, |p, cx| p.message(m, cx));
        assert_eq!(p.crumb().as_deref(), Some("db-1 › Patches"));
        // Row keys move the tab's cursor; the node under the fleet's stays.
        cmd(&mut p, Command::SelectNext);
        assert_eq!(p.posture.cursor.at, 1);
        assert_eq!(p.current().map(|n| n.id.as_str()), Some(node.as_str()));
        cmd(&mut p, Command::OpenDetails);
        let json = p.json.as_ref().expect("the row's JSON");
        assert!(format!("{json:?}").contains("kernel"), "{json:?}");
        cmd(&mut p, Command::Back);
        assert!(p.json.is_none());
        // `r` reads the tab again, not the fleet.
        let out = with(&mut p, |p, cx| p.refresh(cx));
        assert!(!out.0.iter().any(|j| matches!(j, FleetJob::Load { .. })));
        let asked = posture_jobs(&with(&mut p, Pane::settle));
        assert_eq!(asked, vec![(node, PosturePart::Patches)]);
        // Esc goes back to the Overview, h from there closes the details.
        cmd(&mut p, Command::Back);
        assert_eq!(p.tab, DetailTab::Overview);
        assert!(p.details);
        cmd(&mut p, Command::PrevTab);
        assert!(!p.details);
    }

    #[test]
    fn an_answer_about_an_earlier_node_is_dropped() {
        use crate::aws::posture::{Posture, PosturePart};
        let mut p = fleet();
        cmd(&mut p, Command::NextTab);
        cmd(&mut p, Command::NextTab);
        with(&mut p, Pane::settle);
        let m = FleetMsg {
            generation: p.generation,
            ctx: Default::default(),
            event: FleetEvent::Posture {
                node: "i-0000000000000099".into(),
                part: PosturePart::Patches,
                result: Ok(Posture::Patches(Vec::new(), false)),
            },
        };
        with(&mut p, |p, cx| p.message(m, cx));
        assert_eq!(
            p.posture.answer(PosturePart::Patches),
            Some(&None),
            "still reading"
        );
    }

    #[test]
    fn a_jump_sets_a_hiding_filter_aside_and_esc_puts_it_back_and_walks_back() {
        let mut p = fleet();
        p.set_filter("web".into());
        p.selected.insert("i-0000000000000001".into());
        p.settle(30);
        assert_eq!(p.view.len(), 2);
        let (_, requests) = with(&mut p, |p, cx| p.show_node("i-0000000000000003", cx));
        p.settle(30);
        assert_eq!(requests, vec![Request::Show]);
        assert!(p.details);
        assert_eq!(p.current().map(|n| n.name.as_str()), Some("db-1"));
        assert_eq!(p.filter_aside.as_deref(), Some("web"));
        // Esc closes the jump's details, the filter comes back, and the
        // pane lets the shell walk back to where the jump came from.
        let (h, _) = cmd(&mut p, Command::Back);
        assert_eq!(h, Handled::No);
        assert!(!p.details);
        assert_eq!(p.filter, "web");
        assert_eq!(p.selected.len(), 1, "the selection is kept");
    }

    #[test]
    fn a_filter_jump_sets_the_users_filter_aside_until_esc_walks_back() {
        let mut p = fleet();
        p.set_filter("web".into());
        p.settle(30);
        p.show_filtered("db".into());
        p.settle(30);
        assert_eq!(p.filter, "db");
        assert_eq!(p.current().map(|n| n.name.as_str()), Some("db-1"));
        let (h, _) = cmd(&mut p, Command::Back);
        assert_eq!(h, Handled::No, "the shell walks back to the Overview");
        assert_eq!(p.filter, "web", "the user's own filter is back");
    }

    #[test]
    fn a_jump_to_a_visible_node_keeps_the_filter_as_it_is() {
        let mut p = fleet();
        p.set_filter("web".into());
        p.settle(30);
        with(&mut p, |p, cx| p.show_node("i-0000000000000002", cx));
        p.settle(30);
        assert_eq!(p.filter, "web");
        assert_eq!(p.filter_aside, None);
        assert_eq!(p.current().map(|n| n.name.as_str()), Some("web-2"));
    }

    #[test]
    fn after_a_jump_the_users_own_keys_make_esc_close_details_first() {
        let mut p = fleet();
        with(&mut p, |p, cx| p.show_node("i-0000000000000002", cx));
        p.settle(30);
        cmd(&mut p, Command::SelectPrev);
        let (h, _) = cmd(&mut p, Command::Back);
        assert_eq!(h, Handled::Yes);
        assert!(!p.details);
        let (h, _) = cmd(&mut p, Command::Back);
        assert_eq!(h, Handled::No, "nothing left to close: Esc bubbles");
    }

    #[test]
    fn a_jump_to_an_unknown_node_says_why_and_shows_nothing() {
        let mut p = fleet();
        let (_, requests) = with(&mut p, |p, cx| p.show_node("i-0fffffffffffffff0", cx));
        assert!(!p.details);
        assert!(
            matches!(&requests[..], [Request::Notice(t)] if t.contains("not a managed node of this account")),
            "{requests:?}"
        );
    }

    #[test]
    fn run_command_asks_for_the_composer_on_the_sorted_selection() {
        let mut p = fleet();
        let (_, (_, r)) = cmd(&mut p, Command::RunCommand);
        assert!(matches!(&r[..], [Request::Notice(t)] if t.starts_with("select nodes first")));
        p.selected.insert("i-0000000000000003".into());
        p.selected.insert("i-0000000000000001".into());
        let (_, (_, r)) = cmd(&mut p, Command::RunCommand);
        assert_eq!(
            r,
            vec![Request::Open(Goto::Compose {
                nodes: vec!["i-0000000000000001".into(), "i-0000000000000003".into()],
                origin: "the Fleet selection".into(),
            })]
        );
    }

    #[test]
    fn a_forward_answer_opens_a_forward_or_names_what_is_wrong() {
        let mut p = fleet();
        let (_, (_, r)) = cmd(&mut p, Command::ForwardPort);
        let [Request::Prompt { ask, .. }] = &r[..] else {
            panic!("{r:?}")
        };
        let ask = ask.clone();
        let (_, r) = with(&mut p, |p, cx| p.answer(ask.clone(), "8080:80".into(), cx));
        assert!(
            matches!(&r[..], [Request::Open(Goto::Forward { node, spec })] if node == "i-0000000000000003" && spec.local_port == 8080 && spec.remote_port == 80),
            "{r:?}"
        );
        let (_, r) = with(&mut p, |p, cx| p.answer(ask, "eighty".into(), cx));
        assert!(matches!(&r[..], [Request::Notice(_)]), "{r:?}");
    }

    #[test]
    fn remote_terms_are_asked_once_on_enter_and_answers_filter_by_node_and_context() {
        use crate::aws::node_query::TermAnswer;
        let mut p = fleet();
        let mut cursor = None;
        cmd(&mut p, Command::Filter);
        let mut asked = Vec::new();
        for ch in "pkg:openssl<3.0.7".chars() {
            let (jobs, _) = with(&mut p, |p, cx| {
                p.filter_input(InputKey::Char(ch), &mut cursor, cx);
                Pane::settle(p, cx);
            });
            asked.extend(
                jobs.into_iter()
                    .filter(|j| matches!(j, FleetJob::Remote { .. })),
            );
        }
        assert!(asked.is_empty(), "typing asks nothing: {asked:?}");
        assert!(p.view.is_empty(), "an unanswered term matches no node");
        assert!(
            p.filter_warning()
                .unwrap()
                .contains("pkg:openssl<3.0.7: asked of AWS when you press Enter")
        );
        let (jobs, _) = with(&mut p, |p, cx| {
            assert!(!p.filter_input(InputKey::Submit, &mut cursor, cx));
            Pane::settle(p, cx);
        });
        let term = crate::filter::FleetQuery::parse("pkg:openssl<3.0.7").remote_terms()[0].clone();
        assert_eq!(
            jobs,
            vec![FleetJob::Remote {
                generation: p.generation,
                terms: vec![term.clone()]
            }]
        );
        assert_eq!(
            p.remote_wait_text().as_deref(),
            Some("Asking GetInventory for pkg:openssl<3.0.7…")
        );
        let (jobs, _) = with(&mut p, Pane::settle);
        assert!(jobs.is_empty(), "asked once");
        let answer = |ctx: u16, ids: &[&str]| TermAnswer {
            term: term.clone(),
            ctx: crate::model::ContextId(ctx),
            result: Ok((ids.iter().map(|s| s.to_string()).collect(), false)),
        };
        let msg = FleetMsg {
            generation: p.generation,
            ctx: Default::default(),
            event: FleetEvent::Remote(vec![
                answer(0, &["i-0000000000000003"]),
                answer(1, &["i-0000000000000001"]),
            ]),
        };
        with(&mut p, |p, cx| p.message(msg, cx));
        p.settle(30);
        let names: Vec<&str> = p.view.iter().map(|&i| p.nodes[i].name.as_str()).collect();
        assert_eq!(names, ["db-1"], "context 1's i-…1 is another node");
        assert!(p.remote_asking().is_none() && p.remote_lines().is_empty());
        // A reload asks again and keeps the answer until the new one.
        let (jobs, _) = with(&mut p, |p, cx| {
            p.load(cx);
            Pane::settle(p, cx);
        });
        assert!(jobs.iter().any(|j| matches!(j, FleetJob::Remote { .. })));
        assert!(!p.query.awaits_remote());
        let failed = FleetMsg {
            generation: p.generation,
            ctx: Default::default(),
            event: FleetEvent::Remote(vec![TermAnswer {
                term: term.clone(),
                ctx: Default::default(),
                result: Err(crate::aws::AwsError::local("ssm:GetInventory", "denied")),
            }]),
        };
        with(&mut p, |p, cx| p.message(failed, cx));
        let lines = p.remote_lines();
        assert!(
            lines.len() == 1
                && lines[0].starts_with("✗ pkg:openssl<3.0.7: ")
                && lines[0].contains("denied"),
            "{lines:?}"
        );
    }

    #[test]
    fn the_filter_keeps_on_enter_and_restores_on_esc() {
        let mut p = fleet();
        let (_, (_, r)) = cmd(&mut p, Command::Filter);
        assert_eq!(r, vec![Request::Filter]);
        let mut cursor = None;
        for ch in "db".chars() {
            with(&mut p, |p, cx| {
                assert!(p.filter_input(InputKey::Char(ch), &mut cursor, cx))
            });
        }
        p.settle(30);
        assert_eq!(p.view.len(), 1);
        with(&mut p, |p, cx| {
            assert!(!p.filter_input(InputKey::Cancel, &mut cursor, cx))
        });
        assert_eq!(p.filter, "", "Esc restores the filter from before");
        cmd(&mut p, Command::Filter);
        with(&mut p, |p, cx| {
            p.filter_input(InputKey::Char('w'), &mut cursor, cx);
            assert!(!p.filter_input(InputKey::Submit, &mut cursor, cx))
        });
        assert_eq!(p.filter, "w");
    }

    fn ec2(zone: &str) -> crate::model::Ec2Details {
        crate::model::Ec2Details {
            instance_type: "m6i.large".into(),
            state: "running".into(),
            availability_zone: zone.into(),
            ..Default::default()
        }
    }

    /// An EC2 node as a DescribeInstanceInformation page brings it: no
    /// name until the EC2 join.
    fn unnamed(i: usize) -> ManagedNode {
        ManagedNode {
            id: format!("i-{i:017x}"),
            last_ping_s: Some(1_000_000 - i as i64),
            ..ManagedNode::default()
        }
    }

    fn join(i: usize, name: &str) -> (String, crate::model::Ec2Details, Vec<(String, String)>) {
        (
            format!("i-{i:017x}"),
            ec2("eu-west-1a"),
            vec![("Name".into(), name.into())],
        )
    }

    #[test]
    fn rows_do_not_churn_and_the_cursor_keeps_its_node_while_the_fleet_loads() {
        let mut p = FleetState::default();
        let g = p.begin_load(Instant::now());
        // First page: ten named nodes (hybrid-style names known at once) …
        let named: Vec<ManagedNode> = (0..10)
            .map(|i| ManagedNode {
                name: format!("node-{i:02}"),
                ..unnamed(i)
            })
            .collect();
        p.apply(g, FleetEvent::Page(named), Instant::now());
        p.settle(30);
        assert_eq!(p.current().unwrap().name, "node-00");
        // … the user moves to node-02.
        cmd(&mut p, Command::SelectNext);
        cmd(&mut p, Command::SelectNext);
        let mine = p.current().unwrap().id.clone();
        let mut tops = vec![p.nodes[p.view[0]].name.clone()];
        // Pages of nodes still waiting for their EC2 name, then their joins.
        for page in 0..5 {
            let nodes = (0..50).map(|k| unnamed(100 + page * 50 + k)).collect();
            p.apply(g, FleetEvent::Page(nodes), Instant::now());
            p.settle(30);
            assert_eq!(p.current().unwrap().id, mine, "page {page}");
            tops.push(p.nodes[p.view[0]].name.clone());
        }
        for page in 0..5 {
            let joins = (0..50)
                .map(|k| join(100 + page * 50 + k, &format!("web-{page}{k:02}")))
                .collect();
            p.apply(g, FleetEvent::Ec2(joins), Instant::now());
            p.settle(30);
            assert_eq!(p.current().unwrap().id, mine, "join {page}");
            tops.push(p.nodes[p.view[0]].name.clone());
        }
        // Unnamed nodes never took the top row: it stayed node-00, which
        // sorts first among every name that arrived.
        assert!(tops.iter().all(|t| t == "node-00"), "{tops:?}");
        let unnamed_rows = p
            .view
            .iter()
            .filter(|i| p.nodes[**i].name.is_empty())
            .count();
        assert_eq!(unnamed_rows, 0);
        // A key pressed after a page arrived but before the next settle
        // acts on the user's node; so does one pressed after Done dropped
        // a node the load no longer reports.
        p.apply(g, FleetEvent::Page(vec![unnamed(999)]), Instant::now());
        let (_, (_, r)) = cmd(&mut p, Command::StartSession);
        assert_eq!(r, vec![Request::Open(Goto::Shell(mine.clone()))]);
        let g2 = p.begin_load(Instant::now());
        let again: Vec<ManagedNode> = p.nodes.iter().skip(1).cloned().collect();
        p.apply(g2, FleetEvent::Page(again), Instant::now());
        p.apply(g2, FleetEvent::Done(Default::default()), Instant::now());
        let (_, r) = with(&mut p, |p, cx| {
            p.command(Command::StartSession, cx);
        });
        assert_eq!(r, vec![Request::Open(Goto::Shell(mine.clone()))]);
        p.settle(30);
        assert_eq!(p.current().unwrap().id, mine);
    }

    #[test]
    fn nodes_without_a_value_sort_last_in_either_direction() {
        let mut p = FleetState::default();
        let g = p.begin_load(Instant::now());
        let mut nodes = vec![unnamed(1), unnamed(2)];
        nodes[1].name = "b".into();
        nodes.push(ManagedNode {
            name: "a".into(),
            ..unnamed(3)
        });
        p.apply(g, FleetEvent::Page(nodes), Instant::now());
        p.settle(30);
        let names = |p: &FleetState| -> Vec<String> {
            p.view.iter().map(|i| p.nodes[*i].name.clone()).collect()
        };
        assert_eq!(names(&p), ["a", "b", ""]);
        p.sort_reverse();
        p.settle(30);
        assert_eq!(names(&p), ["b", "a", ""]);
    }

    #[test]
    fn last_ping_age_tag_and_zone_columns() {
        let mut p = FleetState::default();
        p.tag_columns = vec!["Env".into(), "Team".into()];
        p.epoch_s = 1_000_000;
        use super::super::Column;
        assert_eq!(
            p.columns(),
            [
                Column::Name,
                Column::Id,
                Column::Ping,
                Column::LastPing,
                Column::Tag(0),
                Column::Tag(1),
                Column::Platform,
                Column::Agent,
                Column::Ip,
                Column::Type,
                Column::Zone,
                Column::State,
            ]
        );
        assert_eq!(p.heading(Column::Tag(1)), "TEAM");
        let g = p.begin_load(Instant::now());
        let mk = |i: usize, ago: i64, ping: crate::model::PingStatus, env: &str, zone: &str| {
            let mut n = ManagedNode {
                id: format!("i-{i:017x}"),
                ping_status: ping,
                last_ping_s: Some(1_000_000 - ago),
                ..ManagedNode::default()
            };
            n.apply_ec2(
                ec2(zone),
                vec![("Name".into(), format!("n{i}")), ("Env".into(), env.into())],
            );
            n
        };
        use crate::model::PingStatus::{ConnectionLost, Online};
        let nodes = vec![
            mk(1, 180, Online, "prod", "eu-west-1b"),
            mk(2, 7_200, Online, "dev", "eu-west-1a"),
            mk(3, 5 * 86_400, ConnectionLost, "staging", "eu-west-1c"),
            mk(4, 45, ConnectionLost, "", "eu-west-1a"),
        ];
        p.apply(g, FleetEvent::Page(nodes), Instant::now());
        p.settle(30);
        let n =
            |p: &FleetState, name: &str| p.nodes.iter().find(|n| n.name == name).unwrap().clone();
        let text: Vec<String> = ["n1", "n2", "n3", "n4"]
            .iter()
            .map(|m| p.cell_text(&n(&p, m), Column::LastPing))
            .collect();
        assert_eq!(text, ["3m", "2h", "5d", "45s"]);
        assert_eq!(p.cell_text(&n(&p, "n1"), Column::Tag(0)), "prod");
        assert_eq!(p.cell_text(&n(&p, "n1"), Column::Tag(1)), "");
        assert_eq!(p.cell_text(&n(&p, "n2"), Column::Zone), "eu-west-1a");
        // Stale: Online but silent over 10 minutes, or anything over a day.
        let stale: Vec<bool> = ["n1", "n2", "n3", "n4"]
            .iter()
            .map(|m| p.stale(&n(&p, m)))
            .collect();
        assert_eq!(stale, [false, true, true, false]);
        let order = |p: &mut FleetState, c: Column| -> Vec<String> {
            p.sort = crate::widgets::sort::SortOrder::by(c);
            p.sort_reverse();
            p.sort_reverse();
            p.settle(30);
            p.view.iter().map(|i| p.nodes[*i].name.clone()).collect()
        };
        assert_eq!(order(&mut p, Column::LastPing), ["n4", "n1", "n2", "n3"]);
        assert_eq!(
            order(&mut p, Column::Tag(0)),
            ["n2", "n1", "n3", "n4"],
            "no Env value last"
        );
        assert_eq!(order(&mut p, Column::Zone), ["n2", "n4", "n1", "n3"]);
        // `s` walks every column, the tag columns included.
        p.sort.column = Column::LastPing;
        p.sort_next();
        assert_eq!(p.sort.column, Column::Tag(0));
    }

    #[test]
    fn fuzzy_text_ranks_exact_then_prefix_then_score_and_ignores_ip_digits() {
        let mut p = FleetState::default();
        let g = p.begin_load(Instant::now());
        let nodes = ["prod-web-1", "web-10", "web1", "api-3", "w-e-b-x-1"]
            .iter()
            .enumerate()
            .map(|(i, name)| ManagedNode {
                id: format!("i-{i:017x}"),
                name: (*name).into(),
                ip: format!("10.0.{i}.1"),
                ..ManagedNode::default()
            })
            .collect();
        p.apply(g, FleetEvent::Page(nodes), Instant::now());
        p.set_filter("web1".into());
        p.settle(30);
        let names: Vec<&str> = p.view.iter().map(|i| p.nodes[*i].name.as_str()).collect();
        assert_eq!(names[0], "web1", "exact first: {names:?}");
        assert_eq!(names[1], "web-10", "then prefix: {names:?}");
        assert!(!names.contains(&"api-3"), "{names:?}");
        let prod = names.iter().position(|n| *n == "prod-web-1").unwrap();
        let loose = names.iter().position(|n| *n == "w-e-b-x-1").unwrap();
        assert!(prod < loose, "by score: {names:?}");
    }

    /// The table drawn at `width`×12, as text lines.
    fn screen(p: &FleetState, width: u16) -> Vec<String> {
        crate::panes::harness::screen(p, width, 12, Instant::now())
            .lines()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn narrow_tables_drop_columns_and_never_cut_an_id() {
        let mut p = FleetState::default();
        p.tag_columns = vec!["Env".into(), "Role".into(), "Team".into()];
        p.epoch_s = 1_000_000;
        let g = p.begin_load(Instant::now());
        let nodes = (0..4)
            .map(|i| {
                let mut n = ManagedNode {
                    id: if i == 0 {
                        format!("mi-{i:017x}")
                    } else {
                        format!("i-{i:017x}")
                    },
                    name: format!("a-rather-long-node-name-{i}"),
                    last_ping_s: Some(1_000_000 - 7_200),
                    ping_status: crate::model::PingStatus::Online,
                    ..ManagedNode::default()
                };
                n.apply_ec2(ec2("eu-west-1a"), vec![("Env".into(), "prod".into())]);
                n.name = format!("a-rather-long-node-name-{i}");
                n
            })
            .collect();
        p.apply(g, FleetEvent::Page(nodes), Instant::now());
        p.settle(30);
        let wide = screen(&p, 200).join("\n");
        for h in [
            "LAST PING",
            "ENV",
            "ROLE",
            "TEAM",
            "AZ",
            "2h!",
            "eu-west-1a",
        ] {
            assert!(wide.contains(h), "{h} at 200:\n{wide}");
        }
        for w in [80, 60, 45] {
            let s = screen(&p, w).join("\n");
            for n in &p.nodes {
                assert!(s.contains(&n.id), "{} cut at {w}:\n{s}", n.id);
            }
        }
        let narrow = screen(&p, 80).join("\n");
        assert!(
            !narrow.contains("AGENT") && narrow.contains("PING"),
            "{narrow}"
        );
    }

    /// Typing, deleting and changing terms reuse recent matches (see
    /// `RecentMatches`): every view must equal the one a fresh pane
    /// computes from the same text, and a page that arrives in between
    /// must show up.
    #[test]
    fn reused_matches_give_the_views_a_fresh_filter_gives() {
        let names = [
            "prod-web-1",
            "prod-web-10",
            "web-prod",
            "db-1",
            "p-r-o-d",
            "PRODW",
        ];
        let envs = ["prod", "staging", "dev"];
        let node = |i: usize| {
            let mut n = ManagedNode {
                id: format!("i-{i:017x}"),
                name: format!("{}-{i}", names[i % names.len()]),
                ping_status: if i.is_multiple_of(4) {
                    crate::model::PingStatus::ConnectionLost
                } else {
                    crate::model::PingStatus::Online
                },
                ..ManagedNode::default()
            };
            n.apply_tags(vec![("Env".into(), envs[i % 3].into())]);
            n
        };
        let mut p = FleetState::default();
        let g = p.begin_load(Instant::now());
        p.apply(
            g,
            FleetEvent::Page((0..300).map(node).collect()),
            Instant::now(),
        );
        let mut steps: Vec<String> = Vec::new();
        for text in [
            "prod w1",
            "!ping:online prod",
            "PRODW",
            "web !1",
            "i-0 tag:Env=dev",
        ] {
            for end in 1..=text.len() {
                steps.push(text[..end].into());
            }
            for end in (0..text.len()).rev() {
                steps.push(text[..end].into());
            }
        }
        for (k, text) in steps.iter().enumerate() {
            if k == steps.len() / 2 {
                p.apply(
                    g,
                    FleetEvent::Page((300..340).map(node).collect()),
                    Instant::now(),
                );
            }
            p.set_filter(text.clone());
            p.settle(30);
            let mut fresh = FleetState::default();
            let fg = fresh.begin_load(Instant::now());
            let upto = if k >= steps.len() / 2 { 340 } else { 300 };
            fresh.apply(
                fg,
                FleetEvent::Page((0..upto).map(node).collect()),
                Instant::now(),
            );
            fresh.set_filter(text.clone());
            fresh.settle(30);
            let ids = |s: &FleetState| -> Vec<String> {
                s.view.iter().map(|i| s.nodes[*i].id.clone()).collect()
            };
            assert_eq!(ids(&p), ids(&fresh), "after typing {text:?} (step {k})");
        }
    }
}
