//! The Activations pane behind the [`Pane`] trait: keys, job messages,
//! the detail of one activation, a new activation from one typed line
//! (its code shown once in a panel, then dropped), and delete (confirmed).
//! Both writes are declared on their jobs: the runner refuses them in
//! read-only mode and audits them.

use super::ActivationsAsk;
use super::create;
use super::jobs::{ActivationsJob, ActivationsMsg};
use super::state::{ActivationsState, NewCode};
use crate::aws::AwsError;
use crate::aws::activations::CreatedActivation;
use crate::config::Layer;
use crate::keys::{Command, InputKey};
use crate::model::ContextId;
use crate::pane::{Cx, Handled, Pane, RenderContext, Request};
use crate::widgets::line_input::plain_filter;
use crate::widgets::list::ListCursor;
use crate::widgets::raw_json::{self, RawJson};

/// The pane's side of one update.
pub type ActivationsCx<'a> = Cx<'a, ActivationsJob, ActivationsAsk>;

const LIST_HINTS: &[(Command, &str)] = &[
    (Command::Help, "help"),
    (Command::OpenDetails, "detail"),
    (Command::Filter, "filter"),
    (Command::Create, "new"),
    (Command::Delete, "delete"),
    (Command::Refresh, "reload"),
];

const DETAIL_HINTS: &[(Command, &str)] = &[
    (Command::Back, "back"),
    (Command::Delete, "delete"),
    (Command::CopyValue, "copy id"),
    (Command::RawJson, "JSON"),
];

const CODE_HINTS: &[(Command, &str)] = &[
    (Command::CopyValue, "copy the code"),
    (Command::CopyName, "copy the register line"),
    (Command::Back, "done: forget the code"),
];

/// The filter line's help.
const FILTER_HELP: &str = "words match id, description, name, role, tags; expired live role:NAME";

impl ActivationsState {
    fn reload(&mut self, cx: &mut ActivationsCx) {
        self.started = true;
        self.generation += 1;
        self.pending = cx.shared.contexts.len().max(1);
        self.failed.clear();
        self.rows.clear();
        self.derive();
        cx.job(ActivationsJob::List {
            generation: self.generation,
        });
    }

    /// The context a new activation goes to: the row under the cursor's,
    /// else the first.
    fn create_context(&self) -> ContextId {
        self.current().map(|(c, _)| c).unwrap_or_default()
    }

    fn where_of(&self, ctx: ContextId, cx: &ActivationsCx) -> String {
        if self.multi() {
            self.context_name(ctx)
        } else {
            cx.shared.where_.to_owned()
        }
    }

    /// `n`: asks for the new activation's line (pre-filled with the
    /// newest activation's role, a limit and a week).
    fn ask_create(&mut self, text: Option<String>, problems: Vec<String>, cx: &mut ActivationsCx) {
        if self.creating {
            return cx.notice("an activation is being created: wait for its code");
        }
        let ctx = self.create_context();
        let text = text.unwrap_or_else(|| {
            let role = self
                .rows
                .iter()
                .filter(|(c, _)| *c == ctx)
                .max_by_key(|(_, a)| a.created_s)
                .map_or("", |(_, a)| a.iam_role.as_str());
            format!("role={role} limit=10 days=7 ")
        });
        let title = match (problems.is_empty(), self.multi()) {
            (false, _) => "Fix the new activation (what is wrong: below)".to_owned(),
            (true, true) => format!("New activation in {}", self.context_name(ctx)),
            (true, false) => "New activation".to_owned(),
        };
        self.asking = Some(problems);
        cx.request(Request::Prompt {
            title,
            text,
            ask: ActivationsAsk::Create { ctx },
        });
    }

    /// The prompt's answer: a CreateActivation job, or the prompt again
    /// with the user's text and what is wrong with it.
    fn answer_create(&mut self, ctx: ContextId, line: String, cx: &mut ActivationsCx) {
        self.asking = None;
        match create::parse(&line) {
            Ok(spec) => {
                self.creating = true;
                let summary = spec.summary();
                cx.job(ActivationsJob::Create {
                    ctx,
                    new: spec.at(cx.shared.epoch_s),
                    line,
                    summary,
                });
            }
            Err(problems) => {
                cx.notice(format!(
                    "the new activation was not sent: {}",
                    problems.join("; ")
                ));
                self.ask_create(Some(line), problems, cx);
            }
        }
    }

    fn ask_delete(&mut self, cx: &mut ActivationsCx) {
        let Some((ctx, a)) = self.current() else {
            return cx.notice("no activation to delete");
        };
        let label = if a.description.is_empty() {
            a.id.clone()
        } else {
            a.description.clone()
        };
        let lines = vec![
            format!("Delete activation {} (DeleteActivation).", a.id),
            format!(
                "{label} · {} of {} registered · role {}",
                a.registrations, a.limit, a.iam_role
            ),
            format!(
                "The {} node(s) registered with it stay registered; no new node can register with its code.",
                a.registrations
            ),
            format!("In {}", self.where_of(ctx, cx)),
        ];
        let yes = ActivationsJob::Delete {
            ctx,
            id: a.id.clone(),
            label: a.description.clone(),
        };
        cx.request(Request::Confirm {
            title: "Delete the activation?".into(),
            lines,
            yes,
        });
    }

    fn on_created(
        &mut self,
        (ctx, line, summary): (ContextId, String, String),
        result: Result<CreatedActivation, AwsError>,
        cx: &mut ActivationsCx,
    ) {
        self.creating = false;
        match result {
            Ok(c) => {
                let region = self
                    .contexts
                    .get(ctx.index())
                    .map_or_else(|| cx.shared.region.to_owned(), |l| l.region.clone());
                cx.notice(format!(
                    "activation {} created ({summary}); its code shows once",
                    c.id
                ));
                self.raw = None;
                self.created = Some(NewCode {
                    ctx,
                    id: c.id,
                    code: c.code,
                    region,
                    summary,
                });
                self.reload(cx);
            }
            Err(e) => {
                cx.notice(format!("the new activation was not created: {e}"));
                self.ask_create(Some(line), vec![e.to_string()], cx);
            }
        }
    }

    fn on_deleted(&mut self, id: String, result: Result<(), AwsError>, cx: &mut ActivationsCx) {
        match result {
            Ok(()) => {
                cx.notice(format!("activation {id} deleted"));
                if self.detail.as_ref().is_some_and(|(_, d)| *d == id) {
                    self.detail = None;
                }
                self.reload(cx);
            }
            Err(e) => cx.notice(format!("activation {id} not deleted: {e}")),
        }
    }

    /// A key while the new activation's panel is open: copy the code or
    /// the register line, or close it (the code is dropped).
    fn code_command(&mut self, c: Command, cx: &mut ActivationsCx) -> Handled {
        let Some(n) = &self.created else {
            return Handled::No;
        };
        match c {
            Command::CopyValue => {
                cx.request(Request::Clipboard(n.code.expose().to_owned()));
                cx.notice("the activation code is on the clipboard (OSC 52)");
            }
            Command::CopyName => {
                cx.request(Request::Clipboard(n.register_line()));
                cx.notice("the amazon-ssm-agent -register line is on the clipboard (OSC 52)");
            }
            Command::Back | Command::OpenDetails => {
                let id = n.id.clone();
                self.created = None;
                cx.notice(format!(
                    "the code of activation {id} is forgotten: AWS never shows it again"
                ));
            }
            // Nothing else acts while the code is on screen.
            _ => {}
        }
        Handled::Yes
    }

    fn raw_json(&mut self) {
        self.raw = self
            .current()
            .map(|(_, a)| RawJson::of(format!("activation {}", a.id), a));
    }
}

impl Pane for ActivationsState {
    type Msg = ActivationsMsg;
    type Job = ActivationsJob;
    type Ask = ActivationsAsk;

    fn key_mutation(c: Command) -> Option<&'static str> {
        Some(match c {
            Command::Create => "ssm:CreateActivation",
            Command::Delete => "ssm:DeleteActivation",
            _ => return None,
        })
    }

    fn contexts_changed(&mut self, labels: &[crate::model::ContextLabel]) {
        self.contexts = labels.to_vec();
    }

    fn title(&self) -> &'static str {
        "Activations"
    }

    fn layer(&self) -> Layer {
        Layer::Activations
    }

    fn on_show(&mut self, cx: &mut ActivationsCx) {
        if !self.started {
            self.reload(cx);
        }
    }

    fn refresh(&mut self, cx: &mut ActivationsCx) {
        self.reload(cx);
    }

    fn command(&mut self, c: Command, cx: &mut ActivationsCx) -> Handled {
        // A key here: the prompt is closed (Esc dropped it).
        self.asking = None;
        if self.created.is_some() {
            return self.code_command(c, cx);
        }
        if raw_json::command(&mut self.raw, c, cx.shared.page_rows) {
            return Handled::Yes;
        }
        if self.detail.is_none() {
            let (len, rows) = (self.shown.len(), cx.shared.page_rows.max(1));
            if self.cursor.command(c, len, rows) {
                return Handled::Yes;
            }
        }
        match c {
            Command::OpenDetails if self.detail.is_none() => {
                self.detail = self.focused().map(|(c, a)| (*c, a.id.clone()));
            }
            Command::Back => {
                if self.detail.take().is_none() {
                    if self.filter.is_empty() {
                        return Handled::No;
                    }
                    self.filter.clear();
                    self.derive();
                }
            }
            Command::Filter if self.detail.is_none() => {
                self.filter_before = Some(self.filter.clone());
                cx.request(Request::Filter);
            }
            Command::Create => self.ask_create(None, Vec::new(), cx),
            Command::Delete => self.ask_delete(cx),
            Command::RawJson => self.raw_json(),
            Command::CopyValue => {
                if let Some((_, a)) = self.current() {
                    cx.request(Request::Clipboard(a.id.clone()));
                    cx.notice(format!("copied activation id {}", a.id));
                }
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn message(&mut self, m: ActivationsMsg, cx: &mut ActivationsCx) {
        match m {
            ActivationsMsg::List {
                generation,
                ctx,
                result,
            } => {
                if generation != self.generation {
                    return;
                }
                self.pending = self.pending.saturating_sub(1);
                match result {
                    Ok(rows) => self.rows.extend(rows.into_iter().map(|a| (ctx, a))),
                    Err(e) => self.failed.push((ctx, e.to_string())),
                }
                self.derive();
            }
            ActivationsMsg::Created {
                ctx,
                line,
                summary,
                result,
            } => self.on_created((ctx, line, summary), result, cx),
            ActivationsMsg::Deleted { id, result, .. } => self.on_deleted(id, result, cx),
        }
    }

    fn view(&self, frame: &mut ratatui::Frame, area: ratatui::layout::Rect, rcx: &RenderContext) {
        super::view::render(frame, area, self, rcx);
    }

    fn hints(&self) -> &'static [(Command, &'static str)] {
        if self.created.is_some() {
            CODE_HINTS
        } else if self.detail.is_some() {
            DETAIL_HINTS
        } else {
            LIST_HINTS
        }
    }

    fn crumb(&self) -> Option<String> {
        if self.created.is_some() {
            return Some("new activation".into());
        }
        let (ctx, id) = self.detail.as_ref()?;
        Some(match self.find(*ctx, id) {
            Some(a) if !a.description.is_empty() => a.description.clone(),
            _ => id.clone(),
        })
    }

    fn answer(&mut self, ask: ActivationsAsk, text: String, cx: &mut ActivationsCx) {
        match ask {
            ActivationsAsk::Create { ctx } => self.answer_create(ctx, text, cx),
        }
    }

    fn filter_input(
        &mut self,
        k: InputKey,
        cursor: &mut Option<usize>,
        cx: &mut ActivationsCx,
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
        (self.filter.clone(), FILTER_HELP)
    }

    fn settle(&mut self, cx: &mut ActivationsCx) {
        self.now_s = cx.shared.epoch_s;
        self.page_rows = cx.shared.page_rows;
    }

    fn unsaved(&self) -> Option<String> {
        self.created.as_ref().map(|n| {
            format!(
                "the code of new activation {} (AWS never shows it again)",
                n.id
            )
        })
    }

    fn click(&mut self, column: u16, row: u16, _cx: &mut ActivationsCx) -> Option<Command> {
        if self.detail.is_some() || self.created.is_some() {
            return None;
        }
        let len = self.shown.len();
        let click = self.hits.click(column, row, len, self.cursor.at);
        click.act(|i| self.cursor.at = i)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::time::Instant;

    use super::*;
    use crate::aws::activations::{Activation, ActivationCode};
    use crate::job::Job;
    use crate::pane::Shared;

    type Out = (
        Vec<ActivationsJob>,
        Vec<Request<ActivationsJob, ActivationsAsk>>,
    );

    const CODE: &str = "Zq8+/secretCODE12345";

    fn with(
        p: &mut ActivationsState,
        f: impl FnOnce(&mut ActivationsState, &mut ActivationsCx),
    ) -> Out {
        let sel = HashSet::new();
        let shared = Shared {
            size: (120, 40),
            where_: "account 1, region r",
            selected: &sel,
            page_rows: 30,
            region: "eu-west-1",
            epoch_s: 1_800_000_000,
            ..Shared::default()
        };
        let ((), jobs, requests) = crate::panes::harness::run(p, shared, Instant::now(), f);
        (jobs, requests)
    }

    fn loaded() -> ActivationsState {
        let mut p = ActivationsState::default();
        let (jobs, _) = with(&mut p, |p, cx| p.on_show(cx));
        assert_eq!(jobs, vec![ActivationsJob::List { generation: 1 }]);
        let rows = vec![Activation {
            id: "11111111-2222-4333-8444-555555555555".into(),
            description: "current wave".into(),
            iam_role: "SSMServiceRole".into(),
            registrations: 3,
            limit: 10,
            created_s: Some(1_799_000_000),
            ..Activation::default()
        }];
        let m = ActivationsMsg::List {
            generation: 1,
            ctx: ContextId(0),
            result: Ok(rows),
        };
        with(&mut p, |p, cx| p.message(m, cx));
        p
    }

    fn cmd(p: &mut ActivationsState, c: Command) -> Out {
        with(p, |p, cx| {
            p.command(c, cx);
        })
    }

    #[test]
    fn a_bad_line_is_asked_again_with_its_text_and_a_good_one_is_a_declared_write() {
        let mut p = loaded();
        let (jobs, requests) = cmd(&mut p, Command::Create);
        assert!(jobs.is_empty());
        let [Request::Prompt { text, ask, .. }] = requests.as_slice() else {
            panic!("a prompt: {requests:?}")
        };
        assert_eq!(text, "role=SSMServiceRole limit=10 days=7 ");
        let ask = ask.clone();
        let (jobs, requests) = with(&mut p, |p, cx| {
            p.answer(ask.clone(), "role=R limt=3".into(), cx);
        });
        assert!(jobs.is_empty(), "nothing is sent");
        let prompt = requests
            .iter()
            .find_map(|r| match r {
                Request::Prompt { text, .. } => Some(text),
                _ => None,
            })
            .expect("asked again");
        assert_eq!(prompt, "role=R limt=3", "the user's text is kept");
        let problems = p.asking.clone().expect("shown under the list").join("\n");
        assert!(problems.contains("`limt=`: not a field"), "{problems}");
        let (jobs, _) = with(&mut p, |p, cx| {
            p.answer(ask, "role=R limit=5 hours=2 tag:Site=x".into(), cx);
        });
        let [job @ ActivationsJob::Create { new, .. }] = jobs.as_slice() else {
            panic!("one create: {jobs:?}")
        };
        assert_eq!(new.expires_s, Some(1_800_000_000 + 7_200));
        let m = job.mutation().expect("a declared write");
        assert_eq!(m.action, "ssm:CreateActivation");
        assert_eq!(m.targets, vec!["role R".to_owned()]);
        assert!(p.creating);
    }

    #[test]
    fn the_code_shows_once_copies_and_is_gone_after_the_panel_closes() {
        let mut p = loaded();
        p.creating = true;
        let m = ActivationsMsg::Created {
            ctx: ContextId(0),
            line: "role=R".into(),
            summary: "role R".into(),
            result: Ok(CreatedActivation {
                id: "new-id".into(),
                code: ActivationCode::new(CODE.into()),
            }),
        };
        let audit = ActivationsJob::outcomes(&m);
        assert_eq!(audit[0].outcome, "ok");
        assert!(!format!("{audit:?}").contains(CODE));
        assert_eq!(audit[0].detail, "activation new-id");
        let (jobs, requests) = with(&mut p, |p, cx| p.message(m, cx));
        assert!(
            matches!(jobs.as_slice(), [ActivationsJob::List { .. }]),
            "read again"
        );
        assert!(
            !format!("{requests:?}").contains(CODE),
            "no notice holds it"
        );
        let shown = p.created.as_ref().expect("the panel");
        assert_eq!(shown.code.expose(), CODE);
        assert_eq!(shown.region, "eu-west-1");
        assert!(!format!("{p:?}").contains(CODE), "Debug never shows it");
        assert!(p.unsaved().is_some(), "quit asks first");
        let (_, requests) = cmd(&mut p, Command::CopyValue);
        assert_eq!(requests[0], Request::Clipboard(CODE.into()));
        let (_, requests) = cmd(&mut p, Command::CopyName);
        assert!(
            matches!(&requests[0], Request::Clipboard(l) if l.contains(CODE) && l.contains("-id \"new-id\""))
        );
        // Keys that would act elsewhere do nothing while it shows.
        let (jobs, requests) = cmd(&mut p, Command::Delete);
        assert!(jobs.is_empty() && requests.is_empty());
        let (_, requests) = cmd(&mut p, Command::Back);
        assert!(p.created.is_none());
        assert!(!format!("{requests:?}").contains(CODE));
        assert_eq!(p.hints(), LIST_HINTS);
    }

    #[test]
    fn a_failed_create_asks_again_with_the_line_and_the_error() {
        let mut p = loaded();
        let m = ActivationsMsg::Created {
            ctx: ContextId(0),
            line: "role=Nope".into(),
            summary: "role Nope".into(),
            result: Err(crate::aws::AwsError::local(
                "ssm:CreateActivation",
                "InvalidParameters: no such role",
            )),
        };
        let (jobs, requests) = with(&mut p, |p, cx| p.message(m, cx));
        assert!(jobs.is_empty());
        assert!(p.created.is_none());
        assert!(
            requests
                .iter()
                .any(|r| matches!(r, Request::Prompt { text, .. } if text == "role=Nope")),
            "{requests:?}"
        );
        assert!(p.asking.as_ref().unwrap()[0].contains("no such role"));
    }

    #[test]
    fn delete_asks_first_then_reads_the_list_again() {
        let mut p = loaded();
        cmd(&mut p, Command::OpenDetails);
        assert_eq!(p.crumb().as_deref(), Some("current wave"));
        let (jobs, requests) = cmd(&mut p, Command::Delete);
        assert!(jobs.is_empty());
        let [Request::Confirm { lines, yes, .. }] = requests.as_slice() else {
            panic!("a confirmation: {requests:?}")
        };
        assert!(lines[0].contains("11111111-2222-4333-8444-555555555555"));
        assert!(lines.iter().any(|l| l.contains("stay registered")));
        let m = yes.mutation().expect("a write");
        assert_eq!(m.action, "ssm:DeleteActivation");
        let done = ActivationsMsg::Deleted {
            ctx: ContextId(0),
            id: "11111111-2222-4333-8444-555555555555".into(),
            result: Ok(()),
        };
        let (jobs, _) = with(&mut p, |p, cx| p.message(done, cx));
        assert!(matches!(jobs.as_slice(), [ActivationsJob::List { .. }]));
        assert!(p.detail.is_none(), "the detail of a deleted one closes");
    }
}
