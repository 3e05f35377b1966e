//! The Activations pane's state: every context's hybrid activations, the
//! filter, the detail of one, and the panel that shows a new activation's
//! code once.

use crate::aws::activations::{Activation, ActivationCode};
use crate::model::{ContextId, ContextLabel};
use crate::widgets::hits::RowHits;
use crate::widgets::list::ListCursor;
use crate::widgets::raw_json::RawJson;

/// A new activation, shown once until the user dismisses the panel; the
/// code is dropped (and zeroed) with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCode {
    /// The context it was created in.
    pub ctx: ContextId,
    /// Its id.
    pub id: String,
    /// Its secret code.
    pub code: ActivationCode,
    /// The region the nodes register in (`-region`).
    pub region: String,
    /// What it was created with, for the panel (role, limit, expiry).
    pub summary: String,
}

impl NewCode {
    /// The line that registers a Linux node with it (as the AWS
    /// documentation writes it).
    pub fn register_line(&self) -> String {
        format!(
            "sudo amazon-ssm-agent -register -code \"{}\" -id \"{}\" -region \"{}\"",
            self.code.expose(),
            self.id,
            self.region
        )
    }
}

/// The Activations pane's state.
#[derive(Debug, Default)]
pub struct ActivationsState {
    /// Loaded once (the first show loads).
    pub started: bool,
    /// Generation of the newest list load.
    pub generation: u64,
    /// Contexts whose list has not answered yet.
    pub pending: usize,
    /// Every context's activations.
    pub rows: Vec<(ContextId, Activation)>,
    /// Contexts whose list failed, with why.
    pub failed: Vec<(ContextId, String)>,
    /// The filter text.
    pub filter: String,
    /// The filter before it was edited (Esc puts it back).
    pub filter_before: Option<String>,
    /// Indexes into `rows` the filter keeps, in order.
    pub shown: Vec<usize>,
    /// The cursor over `shown`.
    pub cursor: ListCursor,
    /// The activation whose detail is open (context and id).
    pub detail: Option<(ContextId, String)>,
    /// The new activation's panel (its code shown once).
    pub created: Option<NewCode>,
    /// A CreateActivation on its way.
    pub creating: bool,
    /// The new activation's line is being asked for: what is wrong with
    /// the last one (empty: nothing yet). The pane shows the syntax and
    /// these under the list (the prompt's own line is too short for them).
    pub asking: Option<Vec<String>>,
    /// The contexts of the set.
    pub contexts: Vec<ContextLabel>,
    /// The raw JSON view, drawn over the pane while open.
    pub raw: Option<RawJson>,
    /// Where the last draw put the rows.
    pub hits: RowHits,
    /// Rows of a page.
    pub page_rows: usize,
    /// The wall clock at the last update, epoch seconds.
    pub now_s: i64,
}

impl ActivationsState {
    /// Whether the set has more than one context (rows name theirs).
    pub fn multi(&self) -> bool {
        self.contexts.len() > 1
    }

    /// The name of context `ctx` (`account region`).
    pub fn context_name(&self, ctx: ContextId) -> String {
        self.contexts
            .get(ctx.index())
            .map(|l| format!("{} {}", l.account_text(), l.region))
            .unwrap_or_default()
    }

    /// Recomputes `shown` from the filter: `expired` keeps the expired
    /// activations, `live` the others, `role:NAME` those whose IAM role
    /// starts with NAME; other words must each occur in the id,
    /// description, default instance name, role, tags or context (any
    /// case).
    pub fn derive(&mut self) {
        let mut words = Vec::new();
        let mut roles = Vec::new();
        let mut expired = None;
        for w in self.filter.to_lowercase().split_whitespace() {
            match w {
                "expired" => expired = Some(true),
                "live" => expired = Some(false),
                _ => match w.strip_prefix("role:") {
                    Some(r) => roles.push(r.to_owned()),
                    None => words.push(w.to_owned()),
                },
            }
        }
        self.shown = (0..self.rows.len())
            .filter(|i| {
                let (ctx, a) = &self.rows[*i];
                let tags: Vec<String> = a.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let hay = format!(
                    "{} {} {} {} {} {}",
                    a.id,
                    a.description,
                    a.default_instance_name,
                    a.iam_role,
                    tags.join(" "),
                    self.context_name(*ctx)
                )
                .to_lowercase();
                let role = a.iam_role.to_lowercase();
                expired.is_none_or(|e| a.expired == e)
                    && roles.iter().all(|r| role.starts_with(r.as_str()))
                    && words.iter().all(|w| hay.contains(w.as_str()))
            })
            .collect();
        self.cursor
            .keep_in_view(self.shown.len(), self.page_rows.max(1));
    }

    /// The activation under the list's cursor.
    pub fn focused(&self) -> Option<&(ContextId, Activation)> {
        self.shown.get(self.cursor.at).map(|i| &self.rows[*i])
    }

    /// Activation `id` of context `ctx`, if listed.
    pub fn find(&self, ctx: ContextId, id: &str) -> Option<&Activation> {
        self.rows
            .iter()
            .find(|(c, a)| *c == ctx && a.id == id)
            .map(|(_, a)| a)
    }

    /// The activation the pane is about: the open detail's, else the
    /// one under the cursor.
    pub fn current(&self) -> Option<(ContextId, &Activation)> {
        match &self.detail {
            Some((ctx, id)) => self.find(*ctx, id).map(|a| (*ctx, a)),
            None => self.focused().map(|(c, a)| (*c, a)),
        }
    }
}

/// How far expiry `t` is from `now_s`, short: `in 3 d`, `in 5 h`,
/// `expired 2 mo ago`, `expired 40 min ago`.
pub fn expiry_text(t: i64, now_s: i64) -> String {
    let d = t - now_s;
    let a = d.unsigned_abs();
    // Rounded: an activation made for 3 days reads `in 3 d`, not `in 2 d`.
    let span = match a {
        0..=3_599 => format!("{} min", (a + 30) / 60),
        3_600..=86_399 => format!("{} h", (a + 1_800) / 3_600),
        86_400..=5_183_999 => format!("{} d", (a + 43_200) / 86_400),
        _ => format!("{} mo", (a + 15 * 86_400) / (30 * 86_400)),
    };
    if d > 0 {
        format!("in {span}")
    } else {
        format!("expired {span} ago")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn act(id: &str, desc: &str, role: &str, expired: bool) -> Activation {
        Activation {
            id: id.into(),
            description: desc.into(),
            iam_role: role.into(),
            expired,
            tags: vec![("Site".into(), "dc-east".into())],
            ..Activation::default()
        }
    }

    #[test]
    fn the_filter_keeps_by_state_role_and_words() {
        let mut s = ActivationsState {
            rows: vec![
                (ContextId(0), act("a-1", "wave 1", "SSMServiceRole", true)),
                (
                    ContextId(0),
                    act("a-2", "current wave", "SSMServiceRole", false),
                ),
                (ContextId(0), act("a-3", "lab", "OtherRole", false)),
            ],
            ..ActivationsState::default()
        };
        s.derive();
        assert_eq!(s.shown, vec![0, 1, 2]);
        s.filter = "expired".into();
        s.derive();
        assert_eq!(s.shown, vec![0]);
        s.filter = "live role:ssm".into();
        s.derive();
        assert_eq!(s.shown, vec![1]);
        s.filter = "site=dc-east lab".into();
        s.derive();
        assert_eq!(s.shown, vec![2]);
    }

    #[test]
    fn expiry_reads_as_a_short_span() {
        let now = 1_800_000_000;
        assert_eq!(expiry_text(now + 3 * 86_400 + 5, now), "in 3 d");
        assert_eq!(expiry_text(now + 5 * 3_600, now), "in 5 h");
        assert_eq!(expiry_text(now - 65 * 86_400, now), "expired 2 mo ago");
        assert_eq!(expiry_text(now - 40 * 60, now), "expired 40 min ago");
        assert_eq!(expiry_text(now + 3 * 86_400 - 20, now), "in 3 d", "rounded");
    }

    #[test]
    fn the_register_line_names_code_id_and_region() {
        let n = NewCode {
            ctx: ContextId(0),
            id: "id-1".into(),
            code: ActivationCode::new("CODE".into()),
            region: "eu-west-1".into(),
            summary: String::new(),
        };
        assert_eq!(
            n.register_line(),
            "sudo amazon-ssm-agent -register -code \"CODE\" -id \"id-1\" -region \"eu-west-1\""
        );
    }
}
