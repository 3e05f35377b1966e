//! The Documents pane behind the [`Pane`] trait: keys, job messages and
//! the route inside the pane.

use super::jobs::{DocumentsJob, DocumentsMsg};
use super::state::{DocumentsState, Inner, parse_filter};
use crate::aws::documents::TYPES;
use crate::config::Layer;
use crate::keys::{Command, InputKey};
use crate::model::ContextId;
use crate::pane::{Cx, Goto, Handled, Loaded, Pane, RenderContext, Request};
use crate::widgets::line_input::{FilterStep, filter_key};
use crate::widgets::list::ListCursor;
use crate::widgets::raw_json::{self, RawJson};

/// The pane's side of one update.
pub type DocumentsCx<'a> = Cx<'a, DocumentsJob>;

const LIST_HINTS: &[(Command, &str)] = &[
    (Command::Help, "help"),
    (Command::OpenDetails, "open"),
    (Command::NextTab, "type"),
    (Command::Filter, "search / owner:"),
    (Command::RunCommand, "run (Command, Package)"),
    (Command::RunRunbook, "start (Automation)"),
    (Command::RawJson, "JSON"),
];

const DOC_HINTS: &[(Command, &str)] = &[
    (Command::Back, "back"),
    (Command::NextTab, "JSON/YAML"),
    (Command::History, "versions"),
    (Command::RunCommand, "run"),
    (Command::RunRunbook, "start"),
    (Command::RawJson, "JSON"),
];

const VERSION_HINTS: &[(Command, &str)] = &[
    (Command::Back, "back"),
    (Command::OpenDetails, "show this version"),
    (Command::ToggleSelect, "mark"),
    (Command::Diff, "diff with the marked (or default)"),
];

/// The filter line's help.
pub const FILTER_HELP: &str =
    "fuzzy name search; owner:Self|Amazon|Private|Public|ThirdParty reloads";

impl DocumentsState {
    fn reload(&mut self, cx: &mut DocumentsCx) {
        self.generation += 1;
        self.pending = cx.shared.contexts.len().max(1);
        self.failed.clear();
        self.docs.clear();
        self.derive();
        cx.job(DocumentsJob::List {
            generation: self.generation,
            owner: self.owner.clone(),
        });
    }

    /// The document the route is about.
    fn document(&self) -> Option<(ContextId, String)> {
        self.stack.iter().rev().find_map(|i| match i {
            Inner::Document { ctx, name, .. } | Inner::Versions { ctx, name, .. } => {
                Some((*ctx, name.clone()))
            }
            Inner::Diff { .. } => None,
        })
    }

    /// Whether document `name` is a TEXT document (a change calendar):
    /// GetDocument then asks for TEXT, never JSON or YAML.
    fn is_text(&self, name: &str) -> bool {
        self.docs.iter().find(|(_, d)| d.name == name).map_or_else(
            || self.kind_of(name) == "ChangeCalendar",
            |(_, d)| d.format == "TEXT",
        )
    }

    fn kind_of(&self, name: &str) -> String {
        self.description
            .ready()
            .filter(|d| d.name == name)
            .map(|d| d.kind.clone())
            .or_else(|| {
                self.docs
                    .iter()
                    .find(|(_, d)| d.name == name)
                    .map(|(_, d)| d.kind.clone())
            })
            .unwrap_or_default()
    }

    fn load_content(&mut self, cx: &mut DocumentsCx) {
        if let Some(Inner::Document {
            ctx,
            name,
            version,
            yaml,
            ..
        }) = self.inner().cloned()
        {
            self.content = Loaded::Loading;
            let text = self.is_text(&name);
            cx.job(DocumentsJob::Content {
                ctx,
                name,
                version,
                yaml,
                text,
            });
        }
    }

    fn open_document(
        &mut self,
        ctx: ContextId,
        name: String,
        version: Option<String>,
        cx: &mut DocumentsCx,
    ) {
        if self.described != Some((ctx, name.clone())) || self.description.ready().is_none() {
            self.described = Some((ctx, name.clone()));
            self.description = Loaded::Loading;
            cx.job(DocumentsJob::Describe {
                ctx,
                name: name.clone(),
            });
        }
        self.stack.push(Inner::Document {
            ctx,
            name,
            version,
            yaml: false,
            scroll: ListCursor::default(),
        });
        self.load_content(cx);
    }

    fn open(&mut self, cx: &mut DocumentsCx) {
        match self.inner().cloned() {
            None => {
                if let Some((ctx, d)) = self.focused().cloned() {
                    self.open_document(ctx, d.name, None, cx);
                }
            }
            Some(Inner::Versions {
                ctx, name, cursor, ..
            }) => {
                let v = self
                    .versions
                    .ready()
                    .and_then(|v| v.get(cursor.at))
                    .map(|v| v.version.clone());
                if let Some(v) = v {
                    self.open_document(ctx, name, Some(v), cx);
                }
            }
            _ => {}
        }
    }

    fn history(&mut self, cx: &mut DocumentsCx) {
        let Some((ctx, name)) = self.document() else {
            return cx.notice("open a document first (Enter)");
        };
        self.versions = Loaded::Loading;
        cx.job(DocumentsJob::Versions {
            ctx,
            name: name.clone(),
        });
        self.stack.push(Inner::Versions {
            ctx,
            name,
            cursor: ListCursor::default(),
            marked: None,
        });
    }

    fn mark(&mut self) {
        let at = match self.inner() {
            Some(Inner::Versions { cursor, .. }) => cursor.at,
            _ => return,
        };
        let v = self
            .versions
            .ready()
            .and_then(|v| v.get(at))
            .map(|v| v.version.clone());
        if let Some(Inner::Versions { marked, .. }) = self.stack.last_mut() {
            *marked = if *marked == v { None } else { v };
        }
    }

    fn diff(&mut self, cx: &mut DocumentsCx) {
        let Some(Inner::Versions {
            ctx,
            name,
            cursor,
            marked,
        }) = self.inner().cloned()
        else {
            return cx.notice("open the versions first (H)");
        };
        let Some(list) = self.versions.ready() else {
            return;
        };
        let Some(here) = list.get(cursor.at).map(|v| v.version.clone()) else {
            return;
        };
        let other = marked
            .or_else(|| {
                list.iter()
                    .find(|v| v.is_default)
                    .map(|v| v.version.clone())
            })
            .filter(|o| *o != here);
        let Some(other) = other else {
            return cx.notice(
                "mark another version first (Space), or put the cursor off the default one",
            );
        };
        let n = |v: &str| v.parse::<u64>().unwrap_or(0);
        let versions = if n(&other) <= n(&here) {
            (other, here)
        } else {
            (here, other)
        };
        let text = self.is_text(&name);
        self.diff = Loaded::Loading;
        cx.job(DocumentsJob::Diff {
            ctx,
            name: name.clone(),
            versions,
            yaml: false,
            text,
        });
        self.stack.push(Inner::Diff {
            name,
            scroll: ListCursor::default(),
        });
    }

    /// `c`: a Command document in the Run Command composer, a Package
    /// with AWS-ConfigureAWSPackage; `A`: an Automation runbook's start.
    fn run(&mut self, runbook: bool, cx: &mut DocumentsCx) {
        let focused = self
            .document()
            .map(|(_, n)| n)
            .or_else(|| self.focused().map(|(_, d)| d.name.clone()));
        let Some(name) = focused else {
            return;
        };
        let mut nodes: Vec<String> = cx.shared.selected.iter().cloned().collect();
        nodes.sort();
        let kind = self.kind_of(&name);
        match (runbook, kind.as_str()) {
            (true, "Automation") => cx.request(Request::Open(Goto::Runbook {
                nodes,
                origin: "the Fleet selection".into(),
                ops_item: None,
                suggested: vec![name],
            })),
            (false, "Command") => cx.request(Request::Open(Goto::ComposeDocument {
                document: name,
                presets: Vec::new(),
                nodes: None,
            })),
            (false, "Package") => cx.request(Request::Open(Goto::ComposeDocument {
                document: "AWS-ConfigureAWSPackage".into(),
                presets: vec![("action".into(), "Install".into()), ("name".into(), name)],
                nodes: None,
            })),
            (true, k) | (false, k) => cx.notice(format!(
                "{} is a {k} document: c runs Command and Package documents, A starts Automation runbooks",
                crate::widgets::raw_json::sanitize(&name)
            )),
        }
    }

    fn rows_shown(&self) -> usize {
        match self.inner() {
            None => self.shown.len(),
            Some(Inner::Document { .. }) => super::view::document_lines(self).len(),
            Some(Inner::Versions { .. }) => self.versions.ready().map_or(0, Vec::len),
            Some(Inner::Diff { .. }) => super::view::diff_lines(self).len(),
        }
    }

    fn cursor_mut(&mut self) -> &mut ListCursor {
        match self.stack.last_mut() {
            None => &mut self.cursors[self.tab],
            Some(Inner::Document { scroll, .. } | Inner::Diff { scroll, .. }) => scroll,
            Some(Inner::Versions { cursor, .. }) => cursor,
        }
    }

    /// The cursor's row in the list in view.
    pub fn cursor_at(&self) -> usize {
        match self.inner() {
            None => self.cursors[self.tab].at,
            Some(Inner::Document { scroll, .. } | Inner::Diff { scroll, .. }) => scroll.at,
            Some(Inner::Versions { cursor, .. }) => cursor.at,
        }
    }

    fn switch(&mut self, step: isize, cx: &mut DocumentsCx) {
        match self.stack.last_mut() {
            None => {
                self.tab = (self.tab as isize + step).rem_euclid(TYPES.len() as isize) as usize;
                self.derive();
            }
            Some(Inner::Document { yaml, .. }) => {
                *yaml = !*yaml;
                self.load_content(cx);
            }
            _ => {}
        }
    }

    fn raw_view(&mut self, cx: &mut DocumentsCx) {
        let view = match self.inner() {
            None => self.focused().map(|(_, d)| RawJson::of(&d.name, d)),
            Some(Inner::Versions { cursor, name, .. }) => self
                .versions
                .ready()
                .and_then(|v| v.get(cursor.at))
                .map(|v| RawJson::of(format!("{name} v{}", v.version), v)),
            _ => self.description.ready().map(|d| RawJson::of(&d.name, d)),
        };
        match view {
            Some(v) => self.raw = Some(v),
            None => cx.notice("nothing under the cursor to show"),
        }
    }
}

impl Pane for DocumentsState {
    type Msg = DocumentsMsg;
    type Job = DocumentsJob;
    type Ask = std::convert::Infallible;

    fn contexts_changed(&mut self, labels: &[crate::model::ContextLabel]) {
        self.contexts = labels.to_vec();
    }

    fn title(&self) -> &'static str {
        "Documents"
    }

    fn layer(&self) -> Layer {
        Layer::Documents
    }

    fn on_show(&mut self, cx: &mut DocumentsCx) {
        if !self.started {
            self.refresh(cx);
        }
        self.settle(cx);
    }

    fn refresh(&mut self, cx: &mut DocumentsCx) {
        self.started = true;
        self.reload(cx);
        self.load_content(cx);
    }

    fn command(&mut self, c: Command, cx: &mut DocumentsCx) -> Handled {
        let rows = self.page_rows.max(1);
        if raw_json::command(&mut self.raw, c, rows) {
            return Handled::Yes;
        }
        match c {
            Command::Back => {
                if self.stack.pop().is_none() {
                    return Handled::No;
                }
                if matches!(self.inner(), Some(Inner::Document { .. })) {
                    self.load_content(cx);
                }
            }
            Command::NextTab => self.switch(1, cx),
            Command::PrevTab => self.switch(-1, cx),
            Command::OpenDetails => self.open(cx),
            Command::History => self.history(cx),
            Command::ToggleSelect => self.mark(),
            Command::Diff => self.diff(cx),
            Command::RunCommand => self.run(false, cx),
            Command::RunRunbook => self.run(true, cx),
            Command::RawJson => self.raw_view(cx),
            Command::Filter => {
                self.stack.clear();
                self.filter_before = Some(self.filter.clone());
                cx.request(Request::Filter);
            }
            c => {
                let len = self.rows_shown();
                if !self.cursor_mut().command(c, len, rows) {
                    return Handled::No;
                }
            }
        }
        Handled::Yes
    }

    fn filter_input(
        &mut self,
        k: InputKey,
        cursor: &mut Option<usize>,
        cx: &mut DocumentsCx,
    ) -> bool {
        let mut text = self.filter.clone();
        match filter_key(&mut text, cursor, k) {
            FilterStep::Edited => {
                self.filter_error = parse_filter(&text).err();
                self.filter = text;
                self.derive();
            }
            FilterStep::Moved => {}
            FilterStep::Keep => {
                self.filter_before = None;
                match parse_filter(&self.filter) {
                    Ok((owner, _)) if owner != self.owner => {
                        self.owner = owner;
                        self.reload(cx);
                    }
                    Ok(_) => {}
                    Err(e) => cx.notice(format!("owner not applied: {e}")),
                }
                return false;
            }
            FilterStep::Restore => {
                self.filter = self.filter_before.take().unwrap_or_default();
                self.filter_error = None;
                self.derive();
                return false;
            }
            FilterStep::Scroll(d) => {
                let (len, rows) = (self.shown.len(), self.page_rows.max(1));
                self.cursors[self.tab].step(d, len, rows);
            }
        }
        true
    }

    fn filter_line(&self) -> (String, &'static str) {
        (self.filter.clone(), FILTER_HELP)
    }

    fn filter_warning(&self) -> Option<String> {
        self.filter_error.clone()
    }

    fn message(&mut self, m: DocumentsMsg, cx: &mut DocumentsCx) {
        self.take(m);
        self.settle(cx);
    }

    fn settle(&mut self, cx: &mut DocumentsCx) {
        self.page_rows = cx.shared.page_rows;
        self.now_s = cx.shared.epoch_s;
        if self.contexts.as_slice() != cx.shared.contexts {
            self.contexts = cx.shared.contexts.to_vec();
        }
        let (len, rows) = (self.rows_shown(), self.page_rows.max(1));
        self.cursor_mut().keep_in_view(len, rows);
    }

    fn view(&self, frame: &mut ratatui::Frame, area: ratatui::layout::Rect, rcx: &RenderContext) {
        super::view::render(frame, area, self, rcx);
    }

    fn hints(&self) -> &'static [(Command, &'static str)] {
        match self.inner() {
            None => LIST_HINTS,
            Some(Inner::Versions { .. }) => VERSION_HINTS,
            Some(_) => DOC_HINTS,
        }
    }

    fn crumb(&self) -> Option<String> {
        let parts: Vec<String> = self
            .stack
            .iter()
            .map(|i| match i {
                Inner::Document { name, version, .. } => match version {
                    Some(v) => format!("{} v{v}", crate::widgets::raw_json::sanitize(name)),
                    None => crate::widgets::raw_json::sanitize(name),
                },
                Inner::Versions { .. } => "versions".into(),
                Inner::Diff { .. } => "diff".into(),
            })
            .collect();
        (!parts.is_empty()).then(|| parts.join(" › "))
    }

    fn click(&mut self, column: u16, row: u16, _cx: &mut DocumentsCx) -> Option<Command> {
        let (len, at, rows) = (self.rows_shown(), self.cursor_at(), self.page_rows.max(1));
        let click = self.hits.click(column, row, len, at);
        click.act(|i| {
            let c = self.cursor_mut();
            c.at = i;
            c.keep_in_view(len, rows);
        })
    }
}

impl DocumentsState {
    fn take(&mut self, m: DocumentsMsg) {
        let err = |e: crate::aws::AwsError| e.to_string();
        match m {
            DocumentsMsg::List {
                generation,
                ctx,
                result,
            } => {
                if generation != self.generation {
                    return;
                }
                self.pending = self.pending.saturating_sub(1);
                match result {
                    Ok(docs) => self.docs.extend(docs.into_iter().map(|d| (ctx, d))),
                    Err(e) => self.failed.push((ctx, err(e))),
                }
                self.docs
                    .sort_by(|a, b| a.1.name.cmp(&b.1.name).then(a.0.cmp(&b.0)));
                self.derive();
            }
            DocumentsMsg::Described { ctx, name, result } => {
                if self.document() == Some((ctx, name)) {
                    self.description =
                        result.map_or_else(|e| Loaded::Failed(err(e)), Loaded::Ready);
                }
            }
            DocumentsMsg::Content {
                ctx,
                name,
                version,
                result,
            } => {
                if let Some(Inner::Document {
                    ctx: c,
                    name: n,
                    version: v,
                    ..
                }) = self.inner()
                    && (*c, n) == (ctx, &name)
                    && *v == version
                {
                    self.content = result.map_or_else(|e| Loaded::Failed(err(e)), Loaded::Ready);
                }
            }
            DocumentsMsg::Versions { ctx, name, result } => {
                if self.document() == Some((ctx, name)) {
                    self.versions = result.map_or_else(|e| Loaded::Failed(err(e)), Loaded::Ready);
                }
            }
            DocumentsMsg::Diff {
                ctx,
                name,
                versions,
                result,
            } => {
                let here = matches!(self.inner(), Some(Inner::Diff { name: n, .. }) if *n == name);
                if here && self.document().is_some_and(|(c, _)| c == ctx) {
                    self.diff = result
                        .map_or_else(|e| Loaded::Failed(err(e)), |t| Loaded::Ready((versions, t)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::aws::documents::{Document, Version};
    use crate::pane::Shared;

    type Requests = Vec<Request<DocumentsJob, std::convert::Infallible>>;

    fn with<R>(
        p: &mut DocumentsState,
        f: impl FnOnce(&mut DocumentsState, &mut DocumentsCx) -> R,
    ) -> (R, Vec<DocumentsJob>, Requests) {
        let shared = Shared {
            page_rows: 30,
            ..Shared::default()
        };
        crate::panes::harness::run(p, shared, Instant::now(), f)
    }

    fn cmd(p: &mut DocumentsState, c: Command) -> (Vec<DocumentsJob>, Requests) {
        let (_, j, r) = with(p, |p, cx| p.command(c, cx));
        (j, r)
    }

    fn doc(name: &str, kind: &str) -> Document {
        Document {
            name: name.into(),
            kind: kind.into(),
            owner: "Amazon".into(),
            version: "1".into(),
            ..Document::default()
        }
    }

    fn loaded() -> DocumentsState {
        let mut p = DocumentsState::default();
        with(&mut p, |p, cx| p.on_show(cx));
        let docs = vec![
            doc("AWS-RunShellScript", "Command"),
            doc("AWS-RestartEC2Instance", "Automation"),
            doc("AmazonCloudWatchAgent", "Package"),
            doc("prod-change-freeze", "ChangeCalendar"),
        ];
        with(&mut p, |p, cx| {
            p.message(
                DocumentsMsg::List {
                    generation: 1,
                    ctx: ContextId::default(),
                    result: Ok(docs),
                },
                cx,
            )
        });
        p
    }

    #[test]
    fn tabs_and_search_narrow_the_list_and_a_package_opens_the_composer_with_configure_package() {
        let mut p = loaded();
        assert_eq!(p.shown.len(), 4);
        cmd(&mut p, Command::NextTab);
        assert_eq!(
            p.focused().unwrap().1.name,
            "AWS-RunShellScript",
            "Command tab"
        );
        for _ in 0..3 {
            cmd(&mut p, Command::NextTab);
        }
        assert_eq!(
            p.focused().unwrap().1.name,
            "AmazonCloudWatchAgent",
            "Package tab"
        );
        let (_, requests) = cmd(&mut p, Command::RunCommand);
        assert!(
            matches!(&requests[0], Request::Open(Goto::ComposeDocument { document, presets, .. })
                if document == "AWS-ConfigureAWSPackage"
                    && presets.contains(&("name".to_owned(), "AmazonCloudWatchAgent".to_owned()))
                    && presets.contains(&("action".to_owned(), "Install".to_owned()))),
            "{requests:?}"
        );
        let (_, requests) = cmd(&mut p, Command::RunRunbook);
        assert!(
            matches!(&requests[0], Request::Notice(t) if t.contains("Package document")),
            "{requests:?}"
        );
        p.tab = 0;
        p.filter = "restart".into();
        p.derive();
        assert_eq!(p.shown.len(), 1);
        let (_, requests) = cmd(&mut p, Command::RunRunbook);
        assert!(
            matches!(&requests[0], Request::Open(Goto::Runbook { suggested, .. }) if suggested == &["AWS-RestartEC2Instance"])
        );
    }

    #[test]
    fn a_document_reads_its_content_yaml_on_l_and_two_versions_diff_older_first() {
        let mut p = loaded();
        let (jobs, _) = cmd(&mut p, Command::OpenDetails);
        assert!(
            matches!(&jobs[0], DocumentsJob::Describe { name, .. } if name == "AWS-RestartEC2Instance"),
            "{jobs:?}"
        );
        assert!(
            matches!(
                &jobs[1],
                DocumentsJob::Content {
                    yaml: false,
                    version: None,
                    ..
                }
            ),
            "{jobs:?}"
        );
        let (jobs, _) = cmd(&mut p, Command::NextTab);
        assert!(
            matches!(&jobs[0], DocumentsJob::Content { yaml: true, .. }),
            "{jobs:?}"
        );
        let (jobs, _) = cmd(&mut p, Command::History);
        assert!(matches!(&jobs[0], DocumentsJob::Versions { .. }));
        let versions = ["3", "2", "1"]
            .map(|v| Version {
                version: v.into(),
                is_default: v == "2",
                ..Version::default()
            })
            .to_vec();
        with(&mut p, |p, cx| {
            p.message(
                DocumentsMsg::Versions {
                    ctx: ContextId::default(),
                    name: "AWS-RestartEC2Instance".into(),
                    result: Ok(versions),
                },
                cx,
            )
        });
        let (jobs, _) = cmd(&mut p, Command::Diff);
        assert!(
            matches!(&jobs[0], DocumentsJob::Diff { versions, .. } if versions == &("2".to_owned(), "3".to_owned())),
            "the newest against the default: {jobs:?}"
        );
        cmd(&mut p, Command::Back);
        cmd(&mut p, Command::SelectLast);
        cmd(&mut p, Command::ToggleSelect);
        cmd(&mut p, Command::SelectFirst);
        let (jobs, _) = cmd(&mut p, Command::Diff);
        assert!(
            matches!(&jobs[0], DocumentsJob::Diff { versions, .. } if versions == &("1".to_owned(), "3".to_owned())),
            "{jobs:?}"
        );
        with(&mut p, |p, cx| {
            p.message(
                DocumentsMsg::Diff {
                    ctx: ContextId::default(),
                    name: "AWS-RestartEC2Instance".into(),
                    versions: ("1".into(), "3".into()),
                    result: Ok(("a\nb\n".into(), "a\nc\u{1b}[2J\n".into())),
                },
                cx,
            )
        });
        let lines = super::super::view::diff_lines(&p);
        assert!(lines.contains(&"-b".to_owned()), "{lines:?}");
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("+c") && !l.contains('\u{1b}')),
            "{lines:?}"
        );
    }
}
