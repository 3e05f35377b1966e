//! The `:` command palette: fuzzy completion over panes, `:` commands,
//! the actions of the current pane (with their keys), saved filters, recent
//! targets, and the arguments of `:node`, `:params`, `:ops`, `:filter`,
//! `:profile` and `:region`. Also the user state it keeps between runs
//! (saved filters, recent targets), written by the runtime as JSON.

use super::{ParamsJob, ShellJob};
use std::collections::BTreeMap;
use std::time::Instant;

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Matcher, Utf32Str};
use serde::{Deserialize, Serialize};

use super::registry::{self, with_slot};
use super::{App, COMMANDS, Confirm, Effect, Overlay, Pane};
use crate::action::Command;
use crate::filter::new_matcher;
use crate::pane::Pane as _;

/// Entries shown under the command line.
pub const PALETTE_ROWS: usize = 8;
/// Recent targets kept.
pub const RECENT_MAX: usize = 30;

/// Regions offered by `:region` (commercial partitions; any valid name is accepted).
pub const REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "sa-east-1",
    "me-south-1",
    "af-south-1",
];

/// One palette entry: the command line it stands for and how it is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaletteEntry {
    /// The `:` line Enter runs (`params /prod/api`, `set_status`).
    pub line: String,
    /// What it is (`pane`, `action  t`, `recent node`, `saved filter`).
    pub hint: String,
}

/// A target visited recently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recent {
    /// `node`, `params` or `ops`.
    pub kind: String,
    /// Node id, parameter name or OpsItem id.
    pub key: String,
    /// Node name, or the OpsItem title.
    pub label: String,
}

/// A saved filter: the pane it belongs to and its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedFilter {
    /// `fleet`, `params` or `ops`.
    pub pane: String,
    /// The filter text.
    pub text: String,
}

/// What the console remembers between runs (`state.json` in the data directory).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UserState {
    /// Saved filters by name.
    pub filters: BTreeMap<String, SavedFilter>,
    /// Recent targets, newest first.
    pub recent: Vec<Recent>,
}

fn score(pattern: &Pattern, text: &str, matcher: &mut Matcher) -> Option<u32> {
    let mut buf = Vec::new();
    pattern.score(Utf32Str::new(text, &mut buf), matcher)
}

impl App {
    /// Loads the state saved by an earlier run (ignored when it does not parse).
    pub fn load_user_state(&mut self, json: &str) {
        if let Ok(s) = serde_json::from_str::<UserState>(json) {
            self.user = s;
        }
    }

    fn save_user_state(&self) -> Effect {
        Effect::Shell(ShellJob::SaveUserState(
            serde_json::to_string_pretty(&self.user).unwrap_or_default(),
        ))
    }

    /// Remembers a target (newest first, no repeats) and returns the save effect.
    pub(super) fn remember(&mut self, kind: &str, key: &str, label: &str) -> Effect {
        self.user
            .recent
            .retain(|r| !(r.kind == kind && r.key == key));
        self.user.recent.insert(
            0,
            Recent {
                kind: kind.into(),
                key: key.into(),
                label: label.into(),
            },
        );
        self.user.recent.truncate(RECENT_MAX);
        self.save_user_state()
    }

    /// Every candidate for the typed line, before matching.
    fn candidates(&self) -> Vec<PaletteEntry> {
        let line = self.command_line.trim_start();
        let (word, arg) = match line.split_once(' ') {
            Some((w, a)) => (w, Some(a.trim_start())),
            None => (line, None),
        };
        let entry = |line: String, hint: String| PaletteEntry { line, hint };
        let mut out = Vec::new();
        if let Some(_arg) = arg {
            match word {
                "node" => out.extend(self.fleet.nodes.iter().map(|n| {
                    entry(
                        format!("node {}", n.name),
                        format!("{} {}", n.id, n.ping_status.as_str()),
                    )
                })),
                "params" | "param" => out.extend(
                    self.params
                        .known
                        .keys()
                        .map(|k| entry(format!("params {k}"), "parameter".into())),
                ),
                "ops" => out.extend(self.ops.items.iter().map(|i| {
                    entry(
                        format!("ops {}", i.id),
                        format!(
                            "{} sev {} {}",
                            i.status,
                            i.severity.as_deref().unwrap_or("-"),
                            i.title
                        ),
                    )
                })),
                "filter" => {
                    out.extend(self.user.filters.iter().map(|(n, f)| {
                        entry(format!("filter {n}"), format!("{}: {}", f.pane, f.text))
                    }))
                }
                "profile" => out.extend(
                    self.profiles
                        .iter()
                        .map(|p| entry(format!("profile {p}"), "AWS profile".into())),
                ),
                "region" => out.extend(
                    REGIONS
                        .iter()
                        .map(|r| entry(format!("region {r}"), "AWS region".into())),
                ),
                _ => {}
            }
            return out;
        }
        for (c, d) in COMMANDS {
            out.push(entry((*c).to_owned(), (*d).to_owned()));
        }
        for (layer_pane, keys, c, desc) in &self.keyhelp {
            if layer_pane.is_none_or(|p| p == self.pane) {
                out.push(entry(c.name(), format!("{keys}  {desc}")));
            }
        }
        for (n, f) in &self.user.filters {
            out.push(entry(
                format!("filter {n}"),
                format!("saved filter, {}: {}", f.pane, f.text),
            ));
        }
        for r in &self.user.recent {
            out.push(entry(
                format!("{} {}", r.kind, r.key),
                format!("recent {}", r.label),
            ));
        }
        out
    }

    /// Recomputes the palette for the typed line: the best fuzzy matches first.
    pub(super) fn refresh_palette(&mut self) {
        let typed = self.command_line.trim_start().to_owned();
        let mut list = self.candidates();
        if !typed.is_empty() {
            let pattern = Pattern::parse(&typed, CaseMatching::Smart, Normalization::Smart);
            let mut matcher = new_matcher();
            let mut scored: Vec<(u32, PaletteEntry)> = list
                .into_iter()
                .filter_map(|e| {
                    let s = score(&pattern, &e.line, &mut matcher).or_else(|| {
                        score(&pattern, &format!("{} {}", e.line, e.hint), &mut matcher)
                            .map(|s| s / 2)
                    })?;
                    // An exact prefix of the line ranks first, then a substring.
                    let lower = typed.to_lowercase();
                    let bonus = if e.line.starts_with(&typed) {
                        10_000
                    } else if e.line.to_lowercase().contains(&lower)
                        || e.hint.to_lowercase().contains(&lower)
                    {
                        5_000
                    } else {
                        0
                    };
                    Some((s + bonus, e))
                })
                .collect();
            scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.line.cmp(&b.1.line)));
            list = scored.into_iter().map(|(_, e)| e).collect();
        }
        list.dedup_by(|a, b| a.line == b.line);
        list.truncate(200);
        self.palette = list;
        self.palette_cursor = None;
    }

    /// Runs the extended `:` commands; `None` when `line` is not one of them.
    pub(super) fn run_palette_line(&mut self, line: &str, now: Instant) -> Option<Vec<Effect>> {
        let (word, arg) = match line.split_once(' ') {
            Some((w, a)) => (w, a.trim()),
            None => (line, ""),
        };
        if let Some(c) = Command::from_name(word)
            && arg.is_empty()
        {
            return Some(self.command(c, now));
        }
        let needs_arg = |app: &mut App, what: &str| {
            app.command_error = Some(format!(":{word} needs {what}"));
            Some(Vec::new())
        };
        match word {
            "node" => {
                if arg.is_empty() {
                    return needs_arg(self, "a node name or id, as in :node web-0042");
                }
                Some(self.palette_node(arg, now))
            }
            "params" | "param" if !arg.is_empty() => {
                let mut effects = self.show_pane(Pane::Parameters);
                let path = if arg.starts_with('/') {
                    arg.trim_end_matches('/').to_owned()
                } else {
                    format!("/{}", arg.trim_end_matches('/'))
                };
                effects.extend(
                    self.params
                        .reveal_in_tree(&path)
                        .into_iter()
                        .map(|path| Effect::Parameters(ParamsJob::Level { path })),
                );
                effects.push(self.remember("params", &path, ""));
                Some(effects)
            }
            "ops" if !arg.is_empty() => Some(self.palette_ops(arg)),
            "save" => {
                if arg.is_empty() {
                    return needs_arg(self, "a name, as in :save prod-critical");
                }
                Some(self.save_filter(arg, now))
            }
            "filter" => Some(self.apply_saved_filter(arg)),
            "profile" | "region" => {
                if arg.is_empty() {
                    return needs_arg(
                        self,
                        if word == "profile" {
                            "a profile from your AWS config, as in :profile prod"
                        } else {
                            "a region, as in :region eu-west-1"
                        },
                    );
                }
                Some(self.palette_switch_context(word, arg, now))
            }
            _ => None,
        }
    }

    /// `:node NAME`: show the Fleet pane on the node whose id or name is
    /// `arg` (else the best fuzzy match), with its details open.
    fn palette_node(&mut self, arg: &str, now: Instant) -> Vec<Effect> {
        let found = self
            .fleet
            .nodes
            .iter()
            .find(|n| n.id == arg || n.name == arg)
            .or_else(|| {
                let p = Pattern::parse(arg, CaseMatching::Smart, Normalization::Smart);
                let mut m = new_matcher();
                self.fleet
                    .nodes
                    .iter()
                    .filter_map(|n| {
                        score(&p, &format!("{} {}", n.name, n.id), &mut m).map(|s| (s, n))
                    })
                    .max_by_key(|(s, _)| *s)
                    .map(|(_, n)| n)
            })
            .map(|n| (n.id.clone(), n.name.clone()));
        let Some((id, name)) = found else {
            self.command_error = Some(format!(
                "no managed node matches '{arg}'{}",
                if self.fleet.loading.is_some() {
                    " yet (the fleet is still loading)"
                } else {
                    ""
                }
            ));
            return Vec::new();
        };
        let mut effects = self.goto(crate::pane::Goto::Node(id.clone()), now);
        effects.push(self.remember("node", &name, &id));
        effects
    }

    /// `:ops ARG`: open OpsItem `oi-…`, or set the OpsCenter filter to `arg`.
    fn palette_ops(&mut self, arg: &str) -> Vec<Effect> {
        let mut effects = self.show_pane(Pane::OpsCenter);
        let (opened, more) =
            self.with_pane(super::OPS, self.clock, |p, cx| p.palette_open(arg, cx));
        if let Err(e) = opened {
            self.command_error = Some(e);
        }
        effects.extend(more);
        effects
    }

    /// `:save NAME`: save the current pane's filter under `name`.
    fn save_filter(&mut self, arg: &str, now: Instant) -> Vec<Effect> {
        let Some(pane) = with_slot!(self.pane, |s| registry::saved_filter_name(s)) else {
            self.command_error = Some(format!(
                "the {} pane has no filter to save",
                self.pane.title()
            ));
            return Vec::new();
        };
        let text = with_slot!(self.pane, |s| (s.state)(self).filter_text());
        if text.is_empty() {
            self.command_error = Some(format!("the {pane} filter is empty: type one with / first"));
            return Vec::new();
        }
        self.user.filters.insert(
            arg.to_owned(),
            SavedFilter {
                pane: pane.into(),
                text: text.clone(),
            },
        );
        self.notice(
            format!("saved filter {arg}: {pane} {text} (:filter {arg} applies it)"),
            now,
        );
        vec![self.save_user_state()]
    }

    /// `:filter NAME`: apply a saved filter in its pane.
    fn apply_saved_filter(&mut self, arg: &str) -> Vec<Effect> {
        let Some(f) = self.user.filters.get(arg).cloned() else {
            let names: Vec<&String> = self.user.filters.keys().collect();
            self.command_error = Some(if names.is_empty() {
                "no saved filters yet: type a filter with /, then :save NAME".into()
            } else {
                format!(
                    "no saved filter '{arg}': {}",
                    names
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            });
            return Vec::new();
        };
        let Some(pane) = Pane::all()
            .find(|p| with_slot!(*p, |s| registry::saved_filter_name(s)) == Some(f.pane.as_str()))
        else {
            self.command_error = Some(format!(
                "saved filter '{arg}' is for '{}', which is no pane with a filter (fleet, params, ops): save it again",
                f.pane
            ));
            return Vec::new();
        };
        let mut e = self.show_pane(pane);
        let clock = self.clock;
        with_slot!(pane, |s| e.extend(
            self.with_pane(s, clock, |p, cx| p.apply_filter_text(f.text, cx))
                .1
        ));
        e
    }

    /// `:profile NAME` / `:region NAME` (`word` says which): switch the AWS
    /// context, asking first when typed text would be lost.
    fn palette_switch_context(&mut self, word: &str, arg: &str, now: Instant) -> Vec<Effect> {
        if word == "region" && crate::aws::validate_region(arg).is_err() {
            self.command_error = Some(format!("'{arg}' is not a region name (eu-west-1)"));
            return Vec::new();
        }
        let switch = Effect::SwitchContext {
            profile: (word == "profile").then(|| arg.to_owned()),
            region: (word == "region").then(|| arg.to_owned()),
        };
        let unsaved = self.unsaved_work();
        if !unsaved.is_empty() {
            // Every pane reloads on the new context: ask before
            // typed text goes with it.
            let mut lines = vec![format!("Switch to {word} {arg}?")];
            lines.extend(
                unsaved
                    .iter()
                    .map(|w| format!("{w} has unsaved text: it would be closed.")),
            );
            lines.push("n keeps you here with your text.".into());
            self.open_overlay(Overlay::Confirm(Box::new(Confirm {
                title: format!("Switch {word}"),
                lines,
                effect: switch,
                again: None,
                second: false,
            })));
            return Vec::new();
        }
        self.notice(format!("switching to {word} {arg}…"), now);
        vec![switch]
    }

    /// Moves the palette highlight (Up/Down while typing).
    pub(super) fn palette_move(&mut self, down: bool) {
        let n = self.palette.len().min(PALETTE_ROWS);
        if n == 0 {
            return;
        }
        self.palette_cursor = Some(match (self.palette_cursor, down) {
            (None, true) => 0,
            (None, false) => n - 1,
            (Some(i), true) => (i + 1) % n,
            (Some(i), false) => (i + n - 1) % n,
        });
    }

    /// Tab: the highlighted (or best) entry's line, with a space to type an argument.
    pub(super) fn palette_complete(&mut self) {
        let i = self.palette_cursor.unwrap_or(0);
        if let Some(e) = self.palette.get(i) {
            let takes_arg = matches!(
                e.line.as_str(),
                "node" | "params" | "ops" | "filter" | "profile" | "region" | "save"
            );
            self.command_line = if takes_arg {
                format!("{} ", e.line)
            } else {
                e.line.clone()
            };
            self.refresh_palette();
        }
    }

    /// What Enter does with the `:` line ([`PaletteEnter`]). It runs only
    /// what the user can see they asked for: an entry they highlighted, a
    /// command typed in full or as a unique prefix, or a `:node` /
    /// `:params` argument that names an object exactly. Anything else
    /// (a fuzzy match) only fills the line with the best candidate, so a
    /// second Enter runs it once the user has looked.
    pub fn palette_enter(&self) -> PaletteEnter {
        if let Some(e) = self.palette_cursor.and_then(|i| self.palette.get(i)) {
            return PaletteEnter::Run(e.line.clone());
        }
        let typed = self.command_line.trim();
        if typed.is_empty() {
            return PaletteEnter::Nothing;
        }
        let (first, arg) = typed.split_once(' ').unwrap_or((typed, ""));
        let arg = arg.trim();
        let best = self.palette.first().map(|e| e.line.clone());
        let exact = self.palette.iter().any(|e| e.line == typed) || self.names_exactly(first, arg);
        if matches!(first, "node" | "params" | "param" | "ops") && !arg.is_empty() {
            // The exact level, parameter or node; else look first.
            return match best {
                _ if exact => PaletteEnter::Run(typed.to_owned()),
                Some(b) if first != "ops" => PaletteEnter::Fill(b),
                _ => PaletteEnter::Run(typed.to_owned()),
            };
        }
        let known = COMMANDS.iter().any(|(c, _)| *c == first)
            || Command::from_name(first).is_some()
            || matches!(first, "param" | "save" | "filter" | "profile" | "region");
        let unique_prefix = arg.is_empty() && super::completions(first).len() == 1;
        match best {
            _ if known || unique_prefix || exact => PaletteEnter::Run(typed.to_owned()),
            Some(b) => PaletteEnter::Fill(b),
            None => PaletteEnter::Run(typed.to_owned()),
        }
    }

    /// Whether `:first arg` names one object exactly: a node by name or
    /// id, a parameter or a level of the hierarchy (`/prod/api` when
    /// `/prod/api/…` exists).
    fn names_exactly(&self, first: &str, arg: &str) -> bool {
        match first {
            "node" => self
                .fleet
                .nodes
                .iter()
                .any(|n| n.name == arg || n.id == arg),
            "params" | "param" => {
                let path = format!("/{}", arg.trim_matches('/'));
                let level = format!("{path}/");
                self.params.known.contains_key(&path)
                    || self.params.known.contains_key(arg)
                    || self
                        .params
                        .known
                        .range(level.clone()..)
                        .next()
                        .is_some_and(|(k, _)| k.starts_with(&level))
            }
            _ => false,
        }
    }

    /// Enter on the `:` line: see [`App::palette_enter`].
    pub(super) fn palette_submit(&mut self, now: Instant) -> Vec<Effect> {
        let line = match self.palette_enter() {
            PaletteEnter::Nothing => String::new(),
            PaletteEnter::Run(line) => line,
            PaletteEnter::Fill(line) => {
                // Stay on the line, now showing what Enter would run.
                self.command_line = line.clone();
                self.line_cursor = None;
                self.refresh_palette();
                self.palette_cursor = self.palette.iter().position(|e| e.line == line);
                return Vec::new();
            }
        };
        self.close_overlay_where(|o| *o == Overlay::CommandLine);
        self.command_line.clear();
        self.palette.clear();
        self.palette_cursor = None;
        if line.is_empty() {
            return Vec::new();
        }
        if let Some(effects) = self.run_palette_line(&line, now) {
            return effects;
        }
        self.run_command_line(&line, now)
    }
}

/// What Enter does with the typed `:` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaletteEnter {
    /// Nothing typed: close the line.
    Nothing,
    /// Run this line.
    Run(String),
    /// Put this candidate on the line and wait for another Enter.
    Fill(String),
}
