//! The `:contexts` picker: the context set and how each context's loads
//! stand, with two lists to change the set at run time: where credentials
//! come from (the set's profiles and roles, and every profile of the
//! shared AWS config files) and the regions (the set's, and those
//! `:region` offers). Space toggles, Enter connects
//! every chosen source × region (asking first when typed text would be
//! dropped; live sessions keep running on their own context), Esc closes.

use std::time::Instant;

use super::{App, Confirm, Effect, Overlay};
use crate::action::InputKey;
use crate::aws::contexts::ContextSpec;
use crate::model::ContextLabel;

/// Where one context's credentials come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A profile of the shared config (`None`: the default chain, or the
    /// console's own keys).
    Profile(Option<String>),
    /// A role assumed in an account (STS AssumeRole from the base
    /// credentials).
    Role {
        /// The role's ARN.
        arn: String,
        /// Its 12-digit account id, when known.
        account: Option<String>,
    },
}

impl Source {
    fn of(l: &ContextLabel) -> Source {
        match &l.role {
            Some(arn) => Source::Role {
                arn: arn.clone(),
                account: l.account.clone(),
            },
            None => Source::Profile(l.profile.clone()),
        }
    }

    /// How the list shows it.
    pub fn text(&self) -> String {
        match self {
            Source::Profile(Some(p)) => format!("profile {p}"),
            Source::Profile(None) => "default credentials".into(),
            Source::Role { arn, .. } => {
                let (account, role) = arn
                    .strip_prefix("arn:aws:iam::")
                    .and_then(|r| r.split_once(":role/"))
                    .unwrap_or((arn.as_str(), ""));
                format!("role {role} in {account}")
            }
        }
    }
}

/// The picker's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextPicker {
    /// Credential sources, with whether each is chosen.
    pub sources: Vec<(Source, bool)>,
    /// Regions, with whether each is chosen.
    pub regions: Vec<(String, bool)>,
    /// The list the cursor is in: 0 sources, 1 regions.
    pub column: usize,
    /// The cursor in each list.
    pub cursor: [usize; 2],
}

impl ContextPicker {
    /// The picker over the set `labels` (chosen) and the known `profiles`
    /// and the regions `:region` offers (not chosen).
    pub fn new(labels: &[ContextLabel], profiles: &[String]) -> Self {
        let mut sources: Vec<(Source, bool)> = Vec::new();
        let mut regions: Vec<(String, bool)> = Vec::new();
        for l in labels {
            let s = Source::of(l);
            if !sources.iter().any(|(x, _)| *x == s) {
                sources.push((s, true));
            }
            if !regions.iter().any(|(r, _)| *r == l.region) {
                regions.push((l.region.clone(), true));
            }
        }
        for p in profiles {
            let s = Source::Profile(Some(p.clone()));
            if !sources.iter().any(|(x, _)| *x == s) {
                sources.push((s, false));
            }
        }
        for r in super::palette::REGIONS {
            if !regions.iter().any(|(x, _)| x == r) {
                regions.push(((*r).to_owned(), false));
            }
        }
        ContextPicker {
            sources,
            regions,
            column: 0,
            cursor: [0, 0],
        }
    }

    fn len(&self, column: usize) -> usize {
        if column == 0 {
            self.sources.len()
        } else {
            self.regions.len()
        }
    }

    /// The set the choice makes: every chosen source in every chosen
    /// region, sources first.
    pub fn specs(&self) -> Vec<ContextSpec> {
        let mut out = Vec::new();
        for (s, _) in self.sources.iter().filter(|(_, on)| *on) {
            for (r, _) in self.regions.iter().filter(|(_, on)| *on) {
                out.push(match s {
                    Source::Profile(p) => ContextSpec {
                        profile: p.clone(),
                        region: Some(r.clone()),
                        ..ContextSpec::default()
                    },
                    Source::Role { arn, account } => ContextSpec {
                        region: Some(r.clone()),
                        role_arn: Some(arn.clone()),
                        account: account.clone(),
                        ..ContextSpec::default()
                    },
                });
            }
        }
        out
    }

    /// Whether the choice is the set `labels` already is (same sources and
    /// regions, in any order).
    pub fn unchanged(&self, labels: &[ContextLabel]) -> bool {
        let now: Vec<(Source, String)> = labels
            .iter()
            .map(|l| (Source::of(l), l.region.clone()))
            .collect();
        let want = self.specs();
        want.len() == now.len()
            && want.iter().all(|s| {
                now.iter().any(|(src, r)| {
                    Some(r) == s.region.as_ref()
                        && match src {
                            Source::Profile(p) => s.role_arn.is_none() && *p == s.profile,
                            Source::Role { arn, .. } => s.role_arn.as_ref() == Some(arn),
                        }
                })
            })
    }

    /// Moves, switches lists or toggles; whether the key was one of those.
    fn key(&mut self, k: InputKey) -> bool {
        let c = self.column;
        match k {
            InputKey::Down => self.cursor[c] = (self.cursor[c] + 1).min(self.len(c) - 1),
            InputKey::Up => self.cursor[c] = self.cursor[c].saturating_sub(1),
            InputKey::Left | InputKey::Right | InputKey::Complete => self.column = 1 - c,
            InputKey::Char(' ') => {
                let i = self.cursor[c];
                if c == 0 {
                    self.sources[i].1 ^= true;
                } else {
                    self.regions[i].1 ^= true;
                }
            }
            _ => return false,
        }
        true
    }
}

impl App {
    /// `:contexts`: the picker over the set and the known profiles.
    pub(super) fn open_contexts(&mut self) {
        let picker = ContextPicker::new(&self.contexts, &self.profiles);
        self.open_overlay(Overlay::Contexts(Box::new(picker)));
    }

    /// The open picker, if any.
    pub fn picker(&self) -> Option<&ContextPicker> {
        self.overlays.iter().rev().find_map(|o| match o {
            Overlay::Contexts(p) => Some(p.as_ref()),
            _ => None,
        })
    }

    /// A key while the picker is open: move, toggle, apply or close.
    pub(super) fn picker_input(&mut self, k: InputKey, now: Instant) -> Vec<Effect> {
        let Some(Overlay::Contexts(p)) = self.overlays.last_mut() else {
            return Vec::new();
        };
        if p.key(k) {
            return Vec::new();
        }
        match k {
            InputKey::Cancel => {
                self.close_overlay();
                Vec::new()
            }
            InputKey::Submit => {
                let picker = (**p).clone();
                self.apply_picker(&picker, now)
            }
            _ => Vec::new(),
        }
    }

    /// Enter in the picker: connect the chosen set, asking first when
    /// typed text would be dropped.
    fn apply_picker(&mut self, p: &ContextPicker, now: Instant) -> Vec<Effect> {
        let specs = p.specs();
        if specs.is_empty() {
            self.notice(
                "choose at least one profile or role and one region (Space toggles)".into(),
                now,
            );
            return Vec::new();
        }
        if specs.len() > crate::aws::contexts::MAX_CONTEXTS {
            self.notice(
                format!(
                    "{} contexts chosen: at most {} at once",
                    specs.len(),
                    crate::aws::contexts::MAX_CONTEXTS
                ),
                now,
            );
            return Vec::new();
        }
        self.close_overlay();
        if p.unchanged(&self.contexts) {
            return Vec::new();
        }
        let what = format!("{} contexts", specs.len());
        let switch = Effect::SwitchSet(specs);
        let unsaved = self.unsaved_work();
        if !unsaved.is_empty() {
            let mut lines = vec![format!("Switch to {what}?")];
            lines.extend(
                unsaved
                    .iter()
                    .map(|w| format!("{w} has unsaved text: it would be closed.")),
            );
            lines.push("Live sessions keep running. n keeps you here with your text.".into());
            self.open_overlay(Overlay::Confirm(Box::new(Confirm {
                title: "Switch the context set".into(),
                lines,
                effect: switch,
                again: None,
                second: false,
            })));
            return Vec::new();
        }
        self.notice(format!("connecting {what}…"), now);
        vec![switch]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ContextId;

    fn labels() -> Vec<ContextLabel> {
        let l = |id: u16, profile: Option<&str>, role: Option<&str>, region: &str| ContextLabel {
            id: ContextId(id),
            profile: profile.map(str::to_owned),
            role: role.map(str::to_owned),
            account: role.map(|_| "210001000003".to_owned()),
            region: region.into(),
            ..ContextLabel::default()
        };
        let role = "arn:aws:iam::210001000003:role/ssmdeck-demo";
        vec![
            l(0, None, None, "us-east-1"),
            l(1, None, None, "eu-west-1"),
            l(2, None, Some(role), "us-east-1"),
            l(3, None, Some(role), "eu-west-1"),
        ]
    }

    #[test]
    fn the_picker_starts_on_the_set_and_toggles_to_a_new_one() {
        let mut p = ContextPicker::new(&labels(), &["prod-a".into()]);
        assert_eq!(
            p.sources.len(),
            3,
            "default, the role, and the known profile"
        );
        assert_eq!(p.sources[1].0.text(), "role ssmdeck-demo in 210001000003");
        assert!(p.sources[0].1 && p.sources[1].1 && !p.sources[2].1);
        assert_eq!(
            &p.regions[..2],
            &[("us-east-1".into(), true), ("eu-west-1".into(), true)]
        );
        assert!(p.unchanged(&labels()));
        assert_eq!(p.specs().len(), 4);
        // Drop the role, add prod-a, drop eu-west-1.
        p.key(InputKey::Down);
        p.key(InputKey::Char(' '));
        p.key(InputKey::Down);
        p.key(InputKey::Char(' '));
        p.key(InputKey::Right);
        p.key(InputKey::Down);
        p.key(InputKey::Char(' '));
        let specs = p.specs();
        assert!(!p.unchanged(&labels()));
        assert_eq!(specs.len(), 2);
        assert_eq!(specs[0].profile, None);
        assert_eq!(specs[1].profile.as_deref(), Some("prod-a"));
        assert!(
            specs
                .iter()
                .all(|s| s.region.as_deref() == Some("us-east-1"))
        );
        assert!(specs.iter().all(|s| s.role_arn.is_none()));
    }

    #[test]
    fn a_role_source_keeps_its_account_and_arn() {
        let p = ContextPicker::new(&labels()[2..3], &[]);
        let s = &p.specs()[0];
        assert_eq!(
            s.role_arn.as_deref(),
            Some("arn:aws:iam::210001000003:role/ssmdeck-demo")
        );
        assert_eq!(s.account.as_deref(), Some("210001000003"));
    }
}
