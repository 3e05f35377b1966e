//! The start form: a runbook's parameters (from DescribeDocument and its
//! content), the mode, and the targets (the nodes it was opened on, one
//! execution for all or rate control with one child per node), checked
//! against the runbook and the service model before any call; and the
//! StartAutomationExecution requests it makes, one per context and at
//! most 50 nodes each (the model's cap on a parameter's values and on a
//! target's values).

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub use crate::aws::automation::secret_looking;
use crate::aws::automation::{MASK, RateControl, RunbookInfo, RunbookParam, StartRequest};
use crate::model::ContextId;
use crate::pane::{Loaded, Shared};
use crate::panes::run_command::compose::{concurrency_ok, errors_ok, parse_tags};
use crate::widgets::line_input::{self, Edit};

/// The most values a parameter or a target takes (the service model's
/// `AutomationParameterValueList` and `TargetValues`).
pub const MAX_VALUES: usize = 50;

/// The longest value of a parameter, characters (`AutomationParameterValue`).
pub const MAX_VALUE_CHARS: usize = 512;

/// A form field, in focus order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Parameter `i` of the runbook.
    Param(usize),
    /// Auto or Interactive.
    Mode,
    /// One execution for every node, or one child execution per node.
    RateControl,
    /// Tag targets instead of nodes (`tag:Env=prod`).
    Tags,
    /// `MaxConcurrency`.
    Concurrency,
    /// `MaxErrors`.
    Errors,
}

/// The start form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartForm {
    /// The context the runbook was read in (nodes go to their own).
    pub ctx: ContextId,
    /// The runbook's name.
    pub runbook: String,
    /// Its description and parameters, once read.
    pub info: Loaded<RunbookInfo>,
    /// The value typed per parameter, by position.
    pub values: Vec<String>,
    /// Interactive mode (each step waits for StartStep).
    pub interactive: bool,
    /// The nodes it targets (may be empty).
    pub nodes: Vec<String>,
    /// Where they came from.
    pub origin: String,
    /// The OpsItem the execution is recorded on.
    pub ops_item: Option<String>,
    /// Rate control: one child execution per node.
    pub rate: bool,
    /// Tag targets as typed (`tag:Env=prod,staging`; one key, the
    /// model's `AutomationTargets` takes one target), when no nodes.
    pub tags: String,
    /// `MaxConcurrency` as typed.
    pub concurrency: String,
    /// `MaxErrors` as typed.
    pub errors: String,
    /// The focused field.
    pub focus: Field,
    /// The focused line's cursor, characters (`None`: at the end).
    pub cursor: Option<usize>,
    /// What is wrong, after a start was asked for.
    pub error: Option<String>,
    /// Shown with the keys; Esc hides it with everything typed kept.
    pub shown: bool,
    /// Whether the user typed anything.
    pub touched: bool,
}

/// The parameter that takes node ids (`InstanceId`, else the first one
/// whose name ends in `InstanceId` or `InstanceIds`).
pub fn node_param(params: &[RunbookParam]) -> Option<usize> {
    params
        .iter()
        .position(|p| p.name == "InstanceId")
        .or_else(|| {
            params
                .iter()
                .position(|p| p.name.ends_with("InstanceId") || p.name.ends_with("InstanceIds"))
        })
}

/// The values of `text` for parameter `p`: a StringList's items (comma
/// separated, or a JSON list), else the text as one value.
fn values_of(p: &RunbookParam, text: &str) -> Result<Vec<String>, String> {
    let text = text.trim();
    let values: Vec<String> = match p.kind.as_str() {
        "StringList" if text.starts_with('[') => serde_json::from_str::<Vec<String>>(text)
            .map_err(|e| format!("{}: not a JSON list of strings ({e})", p.name))?,
        "StringList" => text
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        "Integer" => {
            text.parse::<i64>()
                .map_err(|_| format!("{}: {text:?} is not a whole number", p.name))?;
            vec![text.to_owned()]
        }
        "Boolean" => {
            if !matches!(text, "true" | "false") {
                return Err(format!("{}: {text:?} is not true or false", p.name));
            }
            vec![text.to_owned()]
        }
        "MapList" => {
            let ok = serde_json::from_str::<Vec<serde_json::Map<String, serde_json::Value>>>(text);
            ok.map_err(|_| format!("{}: not a JSON list of objects ([{{\"k\":\"v\"}}])", p.name))?;
            vec![text.to_owned()]
        }
        "StringMap" => {
            let ok = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text);
            ok.map_err(|_| format!("{}: not a JSON object ({{\"k\":\"v\"}})", p.name))?;
            vec![text.to_owned()]
        }
        _ => vec![text.to_owned()],
    };
    if values.len() > MAX_VALUES {
        return Err(format!(
            "{}: {} values, at most {MAX_VALUES} (use rate control or tags for more)",
            p.name,
            values.len()
        ));
    }
    for v in &values {
        check_value(p, v)?;
    }
    Ok(values)
}

fn check_value(p: &RunbookParam, v: &str) -> Result<(), String> {
    if v.chars().count() > MAX_VALUE_CHARS {
        return Err(format!(
            "{}: a value of {} characters, at most {MAX_VALUE_CHARS}",
            p.name,
            v.chars().count()
        ));
    }
    if !p.allowed.is_empty() && !p.allowed.iter().any(|a| a == v) {
        return Err(format!(
            "{}: {v:?} is not allowed (one of {})",
            p.name,
            p.allowed.join(", ")
        ));
    }
    if !p.pattern.is_empty()
        && let Ok(re) = regex::Regex::new(&p.pattern)
        && !re.is_match(v)
    {
        return Err(format!(
            "{}: {v:?} does not match the runbook's pattern {}",
            p.name, p.pattern
        ));
    }
    Ok(())
}

impl StartForm {
    /// A form for `runbook` (read in `ctx`) on `nodes` from `origin`.
    pub fn new(
        ctx: ContextId,
        runbook: String,
        nodes: Vec<String>,
        origin: String,
        ops_item: Option<String>,
    ) -> StartForm {
        StartForm {
            ctx,
            runbook,
            info: Loaded::Loading,
            values: Vec::new(),
            interactive: false,
            rate: nodes.len() > 1,
            tags: String::new(),
            nodes,
            origin,
            ops_item,
            concurrency: "10".into(),
            errors: "1".into(),
            focus: Field::Mode,
            cursor: None,
            error: None,
            shown: true,
            touched: false,
        }
    }

    /// The runbook's parameters arrived: defaults filled in, the node
    /// parameter given the nodes, the focus on the first field to type.
    pub fn set_info(&mut self, info: RunbookInfo) {
        self.values = info
            .params
            .iter()
            .map(|p| p.default.clone().unwrap_or_default())
            .collect();
        let node = node_param(&info.params);
        if let Some(i) = node
            && !self.nodes.is_empty()
        {
            self.values[i] = self.nodes.join(",");
        }
        if node.is_none() {
            self.rate = false;
        }
        self.focus = if info.params.is_empty() {
            Field::Mode
        } else {
            Field::Param(
                info.params
                    .iter()
                    .position(|p| {
                        p.default.is_none() && Some(&p.name) != node.map(|i| &info.params[i].name)
                    })
                    .unwrap_or(0),
            )
        };
        self.info = Loaded::Ready(info);
    }

    /// The fields in focus order (rate control only with a node parameter
    /// and nodes; its limits only when it is on).
    pub fn fields(&self) -> Vec<Field> {
        let params = self.info.ready().map_or(0, |i| i.params.len());
        let mut out: Vec<Field> = (0..params).map(Field::Param).collect();
        out.push(Field::Mode);
        let node = self.info.ready().and_then(|i| node_param(&i.params));
        if node.is_some() && self.nodes.len() > 1 {
            out.push(Field::RateControl);
        }
        if node.is_some() && self.nodes.is_empty() {
            out.push(Field::Tags);
        }
        if self.rate_control() {
            out.push(Field::Concurrency);
            out.push(Field::Errors);
        }
        out
    }

    /// Whether the start is rate-controlled: several nodes with rate
    /// control on, or tag targets.
    pub fn rate_control(&self) -> bool {
        (self.rate && self.nodes.len() > 1)
            || (self.nodes.is_empty() && !self.tags.trim().is_empty())
    }

    /// The tag target (`tag:KEY`, values), if typed.
    ///
    /// # Errors
    /// What is wrong with it, and that one key is allowed.
    fn tag_target(&self) -> Result<Option<(String, Vec<String>)>, String> {
        if !self.nodes.is_empty() || self.tags.trim().is_empty() {
            return Ok(None);
        }
        let mut t = parse_tags(&self.tags)?;
        if t.len() > 1 {
            return Err(format!(
                "{} tag targets; StartAutomationExecution takes one (tag:Key=V1,V2)",
                t.len()
            ));
        }
        let (k, v) = t.remove(0);
        Ok(Some((format!("tag:{k}"), v)))
    }

    /// The StartAutomationExecution requests, one per context and at most
    /// [`MAX_VALUES`] nodes each (`node_ctx` gives a node's context).
    ///
    /// # Errors
    /// What is wrong (a required parameter left empty, a value of the
    /// wrong type or not allowed, a limit the model refuses), naming the
    /// field.
    pub fn requests(
        &self,
        node_ctx: impl Fn(&str) -> ContextId,
    ) -> Result<Vec<(ContextId, StartRequest)>, String> {
        let Some(info) = self.info.ready() else {
            return Err("the runbook's parameters are still being read".into());
        };
        let node = node_param(&info.params);
        let tag = self.tag_target()?;
        let mut parameters = BTreeMap::new();
        for (i, p) in info.params.iter().enumerate() {
            if Some(i) == node && (!self.nodes.is_empty() || tag.is_some()) {
                continue;
            }
            let text = self.values.get(i).map_or("", |v| v.trim());
            if text.is_empty() {
                if p.default.is_none() {
                    return Err(format!("{} is required ({})", p.name, p.kind));
                }
                continue;
            }
            parameters.insert(p.name.clone(), values_of(p, text)?);
        }
        if self.rate_control() {
            if !concurrency_ok(self.concurrency.trim()) {
                return Err(format!(
                    "MaxConcurrency {:?}: a number from 1 or a percentage 1%–100%",
                    self.concurrency
                ));
            }
            if !errors_ok(self.errors.trim()) {
                return Err(format!(
                    "MaxErrors {:?}: a number from 0 or a percentage 0%–100%",
                    self.errors
                ));
            }
        }
        if let (Some(ni), Some(target)) = (node, tag) {
            let rate = RateControl {
                parameter: info.params[ni].name.clone(),
                targets: vec![target],
                max_concurrency: self.concurrency.trim().to_owned(),
                max_errors: self.errors.trim().to_owned(),
            };
            return Ok(vec![(self.ctx, self.request(parameters, Some(rate)))]);
        }
        let Some(ni) = node.filter(|_| !self.nodes.is_empty()) else {
            let req = self.request(parameters, None);
            return Ok(vec![(self.ctx, req)]);
        };
        let p = &info.params[ni];
        let nodes = self.node_list();
        if nodes.is_empty() {
            return Err(format!(
                "{}: no node left (the nodes came from {}; type at least one id)",
                p.name, self.origin
            ));
        }
        let mut by_ctx: BTreeMap<ContextId, Vec<String>> = BTreeMap::new();
        for n in &nodes {
            check_value(p, n)?;
            by_ctx.entry(node_ctx(n)).or_default().push(n.clone());
        }
        let mut out = Vec::new();
        for (ctx, nodes) in by_ctx {
            for chunk in nodes.chunks(MAX_VALUES) {
                let mut params = parameters.clone();
                let rate = if self.rate_control() {
                    Some(RateControl {
                        parameter: p.name.clone(),
                        targets: vec![("ParameterValues".into(), chunk.to_vec())],
                        max_concurrency: self.concurrency.trim().to_owned(),
                        max_errors: self.errors.trim().to_owned(),
                    })
                } else {
                    let values = if p.kind == "StringList" || chunk.len() == 1 {
                        chunk.to_vec()
                    } else {
                        return Err(format!(
                            "{} takes one node ({}); turn rate control on to run it on {} nodes",
                            p.name,
                            p.kind,
                            self.nodes.len()
                        ));
                    };
                    params.insert(p.name.clone(), values);
                    None
                };
                out.push((ctx, self.request(params, rate)));
            }
        }
        Ok(out)
    }

    /// The nodes the start goes to: the node parameter's field as it
    /// reads now (it starts with the nodes the form was opened on; what
    /// the user deletes or adds there counts), comma separated.
    pub fn node_list(&self) -> Vec<String> {
        let Some(i) = self.info.ready().and_then(|info| node_param(&info.params)) else {
            return self.nodes.clone();
        };
        self.values
            .get(i)
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn request(
        &self,
        parameters: BTreeMap<String, Vec<String>>,
        rate: Option<RateControl>,
    ) -> StartRequest {
        StartRequest {
            runbook: self.runbook.clone(),
            version: None,
            parameters,
            interactive: self.interactive,
            rate,
        }
    }

    /// What the confirmation says: the runbook and its version, the mode,
    /// every parameter (secret-looking values masked), the targets with
    /// their count per context, where.
    pub fn confirm_lines(
        &self,
        reqs: &[(ContextId, StartRequest)],
        shared: &Shared,
    ) -> Vec<String> {
        let version = self.info.ready().map_or(String::new(), |i| {
            if i.latest.is_empty() || i.latest == i.version {
                format!("version {}", i.version)
            } else {
                format!("version {} (default; latest {})", i.version, i.latest)
            }
        });
        let mut lines = vec![format!("Runbook {} {version}", self.runbook)];
        lines.push(format!(
            "Mode {}",
            if self.interactive {
                "Interactive (each step waits for you)"
            } else {
                "Auto"
            }
        ));
        if let Some((_, first)) = reqs.first() {
            for (k, v) in &first.parameters {
                let shown = if secret_looking(k) {
                    MASK.to_owned()
                } else {
                    v.join(",")
                };
                lines.push(format!("  {k} = {shown}"));
            }
        }
        if !self.nodes.is_empty() {
            let how = if self.rate {
                format!(
                    "one execution per node, MaxConcurrency {}, MaxErrors {}",
                    self.concurrency.trim(),
                    self.errors.trim()
                )
            } else {
                "one execution for them all".into()
            };
            let n = self.node_list().len();
            lines.push(format!(
                "Targets: {n} node{} from {} ({how})",
                if n == 1 { "" } else { "s" },
                self.origin
            ));
        }
        if let Some(r) = reqs
            .first()
            .and_then(|(_, r)| r.rate.as_ref())
            .filter(|_| self.nodes.is_empty())
        {
            for (k, v) in &r.targets {
                lines.push(format!(
                    "Targets: {k}={} (AWS resolves them; one execution per node, MaxConcurrency {}, MaxErrors {})",
                    v.join(","),
                    r.max_concurrency,
                    r.max_errors
                ));
            }
        }
        // Each call's account and region, from the requests themselves.
        let mut per: BTreeMap<ContextId, usize> = BTreeMap::new();
        for (ctx, r) in reqs {
            *per.entry(*ctx).or_default() += r.covers().len();
        }
        if shared.contexts.len() > 1 {
            for (ctx, n) in &per {
                let what = if *n == 0 {
                    "no node".to_owned()
                } else {
                    format!("{n} target(s)")
                };
                lines.push(format!("  in {}: {what}", shared.context_name(*ctx)));
            }
        } else {
            lines.push(format!("In {}", shared.where_));
        }
        if reqs.len() > 1 {
            let limits = if self.rate_control() {
                format!(
                    ", each with MaxConcurrency {} and MaxErrors {} of its own (up to {}× as many at once across them)",
                    self.concurrency.trim(),
                    self.errors.trim(),
                    reqs.len()
                )
            } else {
                String::new()
            };
            lines.push(format!(
                "{} StartAutomationExecution calls (at most 50 nodes each){limits}",
                reqs.len()
            ));
        }
        if let Some(o) = &self.ops_item {
            lines.push(format!(
                "The execution is recorded on {o} (/aws/automations)"
            ));
        }
        lines
    }

    /// A key while the form is shown; returns whether Ctrl-S asked to
    /// start (the caller checks and confirms).
    pub fn key(&mut self, k: KeyEvent) -> bool {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        match k.code {
            KeyCode::Esc => self.shown = false,
            KeyCode::Char('s') if ctrl => return true,
            KeyCode::Tab | KeyCode::BackTab | KeyCode::Down | KeyCode::Up => {
                let all = self.fields();
                let i = all.iter().position(|f| *f == self.focus).unwrap_or(0);
                let forward = matches!(k.code, KeyCode::Tab | KeyCode::Down);
                let j = if forward {
                    (i + 1) % all.len()
                } else {
                    (i + all.len() - 1) % all.len()
                };
                self.focus = all[j];
                self.cursor = None;
            }
            _ => self.field_key(k),
        }
        false
    }

    fn field_key(&mut self, k: KeyEvent) {
        let toggle = matches!(k.code, KeyCode::Char(' ') | KeyCode::Left | KeyCode::Right);
        let text = match self.focus {
            Field::Mode => {
                if toggle {
                    self.interactive = !self.interactive;
                    self.touched = true;
                }
                return;
            }
            Field::RateControl => {
                if toggle {
                    self.rate = !self.rate;
                    self.touched = true;
                }
                return;
            }
            Field::Param(i) => match self.values.get_mut(i) {
                Some(v) => v,
                None => return,
            },
            Field::Concurrency => &mut self.concurrency,
            Field::Tags => &mut self.tags,
            Field::Errors => &mut self.errors,
        };
        if let Some(e) = Edit::from_key(k) {
            line_input::apply(text, &mut self.cursor, e);
            self.touched = true;
            self.error = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> RunbookInfo {
        RunbookInfo {
            name: "AWS-RestartEC2Instance".into(),
            version: "1".into(),
            latest: "1".into(),
            params: vec![
                RunbookParam {
                    name: "InstanceId".into(),
                    kind: "StringList".into(),
                    pattern: "^i-[a-z0-9]{8,17}$".into(),
                    ..Default::default()
                },
                RunbookParam {
                    name: "AutomationAssumeRole".into(),
                    kind: "String".into(),
                    default: Some(String::new()),
                    ..Default::default()
                },
                RunbookParam {
                    name: "Level".into(),
                    kind: "String".into(),
                    default: Some("Info".into()),
                    allowed: vec!["Info".into(), "Debug".into()],
                    ..Default::default()
                },
                RunbookParam {
                    name: "Retries".into(),
                    kind: "Integer".into(),
                    default: Some("3".into()),
                    ..Default::default()
                },
            ],
            ..Default::default()
        }
    }

    #[test]
    fn a_form_on_nodes_fills_the_node_parameter_and_checks_every_value() {
        let nodes = vec![
            "i-0000000000000001".to_owned(),
            "i-0000000000000002".to_owned(),
        ];
        let mut f = StartForm::new(
            ContextId::default(),
            "AWS-RestartEC2Instance".into(),
            nodes,
            "the Fleet selection".into(),
            None,
        );
        assert!(
            f.requests(|_| ContextId::default())
                .unwrap_err()
                .contains("still being read")
        );
        f.set_info(info());
        assert!(f.rate, "two nodes: rate control by default");
        let reqs = f.requests(|_| ContextId::default()).unwrap();
        assert_eq!(reqs.len(), 1);
        let r = &reqs[0].1.rate.as_ref().unwrap();
        assert_eq!(r.parameter, "InstanceId");
        assert_eq!(r.targets[0].1.len(), 2);
        assert!(!reqs[0].1.parameters.contains_key("InstanceId"));
        assert_eq!(reqs[0].1.parameters["Level"], vec!["Info"]);
        f.rate = false;
        let reqs = f.requests(|_| ContextId::default()).unwrap();
        assert_eq!(reqs[0].1.parameters["InstanceId"].len(), 2);
        f.values[2] = "Verbose".into();
        let e = f.requests(|_| ContextId::default()).unwrap_err();
        assert!(e.contains("Level") && e.contains("Info, Debug"), "{e}");
        f.values[2] = "Debug".into();
        f.values[3] = "three".into();
        assert!(
            f.requests(|_| ContextId::default())
                .unwrap_err()
                .contains("whole number")
        );
        f.values[3] = "3".into();
        f.rate = true;
        f.concurrency = "0".into();
        assert!(
            f.requests(|_| ContextId::default())
                .unwrap_err()
                .contains("MaxConcurrency")
        );
    }

    #[test]
    fn nodes_split_per_context_and_fifty_at_a_time() {
        let nodes: Vec<String> = (0..120).map(|i| format!("i-{i:017x}")).collect();
        let mut f = StartForm::new(
            ContextId::default(),
            "AWS-RestartEC2Instance".into(),
            nodes,
            "x".into(),
            None,
        );
        f.set_info(info());
        let reqs = f
            .requests(|n| {
                if n.ends_with('1') {
                    ContextId(1)
                } else {
                    ContextId::default()
                }
            })
            .unwrap();
        let total: usize = reqs
            .iter()
            .map(|(_, r)| r.rate.as_ref().unwrap().targets[0].1.len())
            .sum();
        assert_eq!(total, 120);
        assert!(
            reqs.iter()
                .all(|(_, r)| r.rate.as_ref().unwrap().targets[0].1.len() <= MAX_VALUES)
        );
        assert!(reqs.iter().any(|(c, _)| *c == ContextId(1)));
        // The node field is the node list: what is typed there counts.
        let mut bad = f.clone();
        bad.values[0] = "mi-0123".into();
        assert!(
            bad.requests(|_| ContextId::default())
                .unwrap_err()
                .contains("pattern")
        );
        bad.values[0] = " , ".into();
        assert!(
            bad.requests(|_| ContextId::default())
                .unwrap_err()
                .contains("no node left")
        );
    }

    #[test]
    fn a_required_parameter_left_empty_names_itself_and_secrets_are_masked() {
        let mut f = StartForm::new(
            ContextId::default(),
            "R".into(),
            Vec::new(),
            String::new(),
            None,
        );
        f.set_info(info());
        let e = f.requests(|_| ContextId::default()).unwrap_err();
        assert!(e.contains("InstanceId is required"), "{e}");
        assert!(secret_looking("DbPassword") && secret_looking("apiToken"));
        assert!(!secret_looking("InstanceId"));
        // Tag targets instead of nodes: rate control on that tag.
        f.tags = "tag:Env=prod,staging".into();
        let reqs = f.requests(|_| ContextId::default()).unwrap();
        let r = reqs[0].1.rate.as_ref().unwrap();
        assert_eq!(
            r.targets,
            vec![(
                "tag:Env".to_owned(),
                vec!["prod".to_owned(), "staging".to_owned()]
            )]
        );
        assert!(!reqs[0].1.parameters.contains_key("InstanceId"));
        f.tags = "Env=prod Role=web".into();
        assert!(
            f.requests(|_| ContextId::default())
                .unwrap_err()
                .contains("takes one")
        );
    }
}
