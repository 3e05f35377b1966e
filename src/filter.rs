//! The Fleet filter: structured terms (`tag:Env=prod`, `ping:ConnectionLost`,
//! `platform:windows`, `state:running`, `type:t3`, `agent:outdated`,
//! `patch:missing|failed|reboot|critical|security|never|ok|noncompliant`,
//! `assoc:failed|pending|ok|none` (State Manager associations),
//! `compliance:noncompliant|critical|high|medium|low|informational|unspecified`
//! and `pkg:NAME`, `pkg:PREFIX*`, `pkg:NAME<VERSION` (also `>` and `=`)
//! — the last two asked of AWS ([`RemoteTerm`]) —
//! and across a context set
//! `account:prod` and `region:eu-`) combined with fuzzy text (nucleo) over
//! name, id, IP and tags.
//!
//! A `!` before a term negates it (`!ping:online`); commas inside a term's
//! value are alternatives (`tag:Env=prod,staging`, `ping:lost,inactive`).
//! Fuzzy words match within one field each (the name, the id, the IP, or
//! one `key=value` tag): `web1` never takes `web` from a name and `1` from
//! an IP address. `!word` (nucleo's negation) excludes nodes with `word` in
//! any field. Results with fuzzy text are ranked: an exact name or id
//! first, then a name or id that starts with the text, then by fuzzy
//! score (ties keep the column sort).

use nucleo_matcher::pattern::{Atom, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str, Utf32String};

use crate::model::{ContextLabel, ManagedNode, PingStatus};

/// Structured filter keys, for help and error messages.
pub const TERM_KEYS: &[&str] = &[
    "tag",
    "ping",
    "platform",
    "state",
    "type",
    "account",
    "region",
    "agent",
    "patch",
    "assoc",
    "compliance",
    "pkg",
];

/// The values `compliance:` knows: non-compliant on any compliance type,
/// or non-compliant with that overall severity
/// (ListResourceComplianceSummaries' `OverallSeverity`).
pub const COMPLIANCE_STATES: [&str; 7] = [
    "noncompliant",
    "critical",
    "high",
    "medium",
    "low",
    "informational",
    "unspecified",
];

/// A filter term another service answers: the managed nodes it holds for
/// are asked of AWS, per context, when the filter is kept (Enter), and
/// then matched by node id. Until the answer comes the query matches no
/// node.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RemoteTerm {
    /// `compliance:noncompliant` (`None`: any severity) or
    /// `compliance:critical` (one of [`COMPLIANCE_STATES`] but the first,
    /// upper-cased as AWS spells it): ListResourceComplianceSummaries
    /// with `Status=NON_COMPLIANT`, every compliance type.
    Compliance(Option<&'static str>),
    /// `pkg:…`: GetInventory with an `AWS:Application.Name` filter
    /// (`Equal`, or `BeginWith` for `NAME*`) and, with a version, an
    /// `AWS:Application.Version` one (`LessThan`, `GreaterThan`, `Equal`),
    /// both held by one application entry and compared by AWS (versions
    /// as versions, not text). Names are case-sensitive, as in AWS.
    Package {
        /// The package name (or its start).
        name: String,
        /// `NAME*`: names that begin with `name`.
        prefix: bool,
        /// The version test: GetInventory's filter type and the version.
        version: Option<(&'static str, String)>,
    },
}

impl RemoteTerm {
    /// The term as the user writes it (`pkg:openssl<3.0.7`,
    /// `compliance:critical`): the key of its answer.
    pub fn key(&self) -> String {
        match self {
            RemoteTerm::Compliance(None) => "compliance:noncompliant".into(),
            RemoteTerm::Compliance(Some(s)) => format!("compliance:{}", s.to_lowercase()),
            RemoteTerm::Package {
                name,
                prefix,
                version,
            } => {
                let star = if *prefix { "*" } else { "" };
                let v = version.as_ref().map_or(String::new(), |(op, v)| {
                    let sign = match *op {
                        "LessThan" => "<",
                        "GreaterThan" => ">",
                        _ => "=",
                    };
                    format!("{sign}{v}")
                });
                format!("pkg:{name}{star}{v}")
            }
        }
    }

    /// The AWS operation that answers the term, for status lines.
    pub fn operation(&self) -> &'static str {
        match self {
            RemoteTerm::Compliance(_) => "ListResourceComplianceSummaries",
            RemoteTerm::Package { .. } => "GetInventory",
        }
    }
}

/// The managed node ids a [`RemoteTerm`] holds for, one set per context
/// (by [`ContextId`](crate::model::ContextId) index).
pub type RemoteIds = std::sync::Arc<Vec<std::collections::HashSet<String>>>;

/// A remote term's answer bound into a query (compared by identity: a
/// new answer makes a new query).
#[derive(Debug, Clone, Default)]
struct Known(Option<RemoteIds>);

impl PartialEq for Known {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (None, None) => true,
            (Some(a), Some(b)) => std::sync::Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Eq for Known {}

/// The values `assoc:` knows: a node with a failed association, one not
/// run yet, every one succeeded, or none at all (DescribeInstanceInformation's
/// AssociationOverview).
pub const ASSOC_STATES: [&str; 4] = ["failed", "pending", "ok", "none"];

/// The values `patch:` knows: what each asks of a node's patch state
/// (DescribeInstancePatchStates). `NotApplicable` patches never count.
pub const PATCH_STATES: [&str; 8] = [
    "missing",
    "failed",
    "reboot",
    "critical",
    "security",
    "never",
    "ok",
    "noncompliant",
];

/// The ping statuses `ping:` knows.
const PINGS: [PingStatus; 3] = [
    PingStatus::Online,
    PingStatus::ConnectionLost,
    PingStatus::Inactive,
];

/// Which part of a context a filter term names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// `account:` — a prefix of the account id, or a case-insensitive
    /// substring of the account name or profile
    /// ([`ContextLabel::account_matches`]).
    Account,
    /// `region:` — a prefix of the region.
    Region,
}

/// Which contexts of the set `labels` an `account:` or `region:` term with
/// alternatives `alts` (lower-cased) names: one flag per context, by
/// [`ContextId`](crate::model::ContextId). Shared by the Fleet and
/// OpsCenter filters.
pub fn context_mask(place: Place, alts: &[String], labels: &[ContextLabel]) -> Vec<bool> {
    labels
        .iter()
        .map(|l| {
            alts.iter().any(|a| match place {
                Place::Account => l.account_matches(a),
                Place::Region => l.region.starts_with(a.as_str()),
            })
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Test {
    /// `tag:Key` (has the key) or `tag:Key=Value` (case-insensitive
    /// equality); alternatives `tag:Env=prod,staging` (values) or
    /// `tag:Env,Role` (keys).
    Tag(Vec<(String, Option<String>)>),
    /// `ping:` prefix of the ping status, case-insensitive.
    Ping(Vec<String>),
    /// `platform:` substring of platform type or name, case-insensitive.
    Platform(Vec<String>),
    /// `state:` prefix of the EC2 state.
    State(Vec<String>),
    /// `type:` prefix of the instance type.
    Type(Vec<String>),
    /// `account:` a prefix of the account id, or a substring of the
    /// account name or profile ([`ContextLabel::account_matches`]); with,
    /// once bound ([`FleetQuery::bind`]), whether each context matches.
    Account(Vec<String>, Vec<bool>),
    /// `region:` prefix of the region; with the contexts that match.
    Region(Vec<String>, Vec<bool>),
    /// `agent:outdated` (SSM Agent not the newest release:
    /// `IsLatestVersion` false), `agent:latest`, or a prefix of the agent
    /// version (`agent:3.2`).
    Agent(Vec<String>),
    /// `patch:` one of [`PATCH_STATES`] (prefixes allowed).
    Patch(Vec<&'static str>),
    /// `assoc:` one of [`ASSOC_STATES`] (prefixes allowed).
    Assoc(Vec<&'static str>),
    /// `compliance:` or `pkg:`, with its answer once bound
    /// ([`FleetQuery::bind_remote`]).
    Remote(RemoteTerm, Known),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    test: Test,
    negated: bool,
}

/// The fields of a node fuzzy text searches, each matched on its own:
/// name, id, IP, then one `key=value` per tag (the `Name` tag is the name).
#[derive(Debug, Clone, Default)]
pub struct Haystack {
    fields: Vec<Utf32String>,
    /// The name, lower-cased (exact and prefix ranking).
    name_lc: String,
    /// The id, lower-cased.
    id_lc: String,
}

/// Where a node ranks among the matches of a query with text: lower
/// first. `class` 0 is an exact name or id, 1 a name or id prefix, 2 a
/// fuzzy match; `score` is nucleo's (higher is better).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rank {
    /// 0 exact, 1 prefix, 2 fuzzy.
    pub class: u8,
    /// Fuzzy score summed over the query's words.
    pub score: u32,
}

/// A parsed filter query.
#[derive(Debug, Clone)]
pub struct FleetQuery {
    terms: Vec<Term>,
    fuzzy: Option<Pattern>,
    /// The fuzzy text, lower-cased, for exact and prefix ranking.
    text: String,
    /// The fuzzy text as typed (words joined by one space).
    raw: String,
    /// Problems found while parsing (unknown keys, empty values), for the status line.
    pub errors: Vec<String>,
}

fn alternatives(
    word: &str,
    key: &str,
    value: &str,
    errors: &mut Vec<String>,
) -> Option<Vec<String>> {
    if value.is_empty() {
        errors.push(format!(
            "'{word}': {key}: needs a value, as in {}",
            example(key)
        ));
        return None;
    }
    let alts: Vec<String> = value.split(',').map(str::to_lowercase).collect();
    if alts.iter().any(String::is_empty) {
        errors.push(format!(
            "'{word}': an empty alternative: separate values with single commas, as in {}",
            example(key)
        ));
        return None;
    }
    Some(alts)
}

fn example(key: &str) -> &'static str {
    match key {
        "tag" => "tag:Env=prod,staging",
        "ping" => "ping:online or !ping:online",
        "platform" => "platform:windows,linux",
        "state" => "state:running,stopped",
        "account" => "account:prod or account:123456789012",
        "region" => "region:eu-west-1,us-east-1",
        "compliance" => "compliance:noncompliant or compliance:critical",
        "pkg" => "pkg:openssl, pkg:openssl<3.0.7 or pkg:python3*",
        _ => "type:t3,m6i",
    }
}

/// `pkg:NAME`, `pkg:PREFIX*`, `pkg:NAME<VERSION`, `pkg:NAME>VERSION` or
/// `pkg:NAME=VERSION` (case kept: inventory names are case-sensitive).
fn parse_package(word: &str, value: &str, errors: &mut Vec<String>) -> Option<RemoteTerm> {
    let bad = |errors: &mut Vec<String>, why: &str| {
        errors.push(format!("'{word}': {why}, as in {}", example("pkg")));
        None
    };
    if value.contains(',') {
        return bad(
            errors,
            "one package per pkg: term (several terms must all hold)",
        );
    }
    if value.contains("<=") || value.contains(">=") {
        return bad(errors, "GetInventory compares with <, > or = only");
    }
    let (name, version) = match value.find(['<', '>', '=']) {
        Some(at) => {
            let op = match &value[at..=at] {
                "<" => "LessThan",
                ">" => "GreaterThan",
                _ => "Equal",
            };
            (&value[..at], Some((op, value[at + 1..].to_owned())))
        }
        None => (value, None),
    };
    if version.as_ref().is_some_and(|(_, v)| v.is_empty()) {
        return bad(errors, "a version after the comparison");
    }
    let (name, prefix) = match name.strip_suffix('*') {
        Some(start) => (start, true),
        None => (name, false),
    };
    if name.is_empty() || name.contains('*') {
        return bad(errors, "pkg: needs a package name (a * only at its end)");
    }
    Some(RemoteTerm::Package {
        name: name.to_owned(),
        prefix,
        version,
    })
}

fn parse_term(word: &str, key: &str, value: &str, errors: &mut Vec<String>) -> Option<Test> {
    if key == "pkg" && !value.is_empty() {
        return parse_package(word, value, errors).map(|t| Test::Remote(t, Known::default()));
    }
    let alts = alternatives(word, key, value, errors)?;
    Some(match key {
        "tag" => {
            let mut pairs = Vec::new();
            for a in alts {
                let (k, v) = match a.split_once('=') {
                    Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
                    None => (a.clone(), None),
                };
                pairs.push((k, v));
            }
            // `tag:Env=prod,staging`: later bare alternatives are values of
            // the first key.
            if let Some((first, _)) = pairs.first().cloned()
                && pairs[0].1.is_some()
            {
                for p in pairs.iter_mut().skip(1) {
                    if p.1.is_none() {
                        *p = (first.clone(), Some(std::mem::take(&mut p.0)));
                    }
                }
            }
            if pairs.iter().any(|(k, _)| k.is_empty()) {
                errors.push(format!("'{word}': tag: needs a key, as in tag:Env=prod"));
                return None;
            }
            Test::Tag(pairs)
        }
        "ping" => {
            for a in &alts {
                if !PINGS
                    .iter()
                    .any(|p| p.as_str().to_lowercase().starts_with(a.as_str()))
                {
                    errors.push(format!(
                        "'{word}': '{a}' is no ping status: use a prefix of {}",
                        PINGS.map(|p| p.as_str()).join(", ")
                    ));
                    return None;
                }
            }
            Test::Ping(alts)
        }
        "platform" => Test::Platform(alts),
        "state" => Test::State(alts),
        "account" => Test::Account(alts, Vec::new()),
        "region" => Test::Region(alts, Vec::new()),
        "agent" => Test::Agent(alts),
        "patch" => Test::Patch(one_of(&alts, &PATCH_STATES, "patch state", word, errors)?),
        "assoc" => Test::Assoc(one_of(
            &alts,
            &ASSOC_STATES,
            "association state",
            word,
            errors,
        )?),
        "compliance" => {
            let wanted = one_of(&alts, &COMPLIANCE_STATES, "compliance state", word, errors)?;
            if wanted.len() > 1 {
                errors.push(format!(
                    "'{word}': one compliance state per term: compliance:noncompliant or one severity"
                ));
                return None;
            }
            let severity = match wanted[0] {
                "noncompliant" => None,
                "critical" => Some("CRITICAL"),
                "high" => Some("HIGH"),
                "medium" => Some("MEDIUM"),
                "low" => Some("LOW"),
                "informational" => Some("INFORMATIONAL"),
                _ => Some("UNSPECIFIED"),
            };
            Test::Remote(RemoteTerm::Compliance(severity), Known::default())
        }
        _ => Test::Type(alts),
    })
}

/// Each of `alts` as the one of `known` it is a prefix of, or an error
/// naming `what` and every value known (`None`).
fn one_of(
    alts: &[String],
    known: &[&'static str],
    what: &str,
    word: &str,
    errors: &mut Vec<String>,
) -> Option<Vec<&'static str>> {
    let mut out = Vec::new();
    for a in alts {
        match known.iter().find(|s| s.starts_with(a.as_str())) {
            Some(s) => out.push(*s),
            None => {
                errors.push(format!(
                    "'{word}': '{a}' is no {what}: use one of {}",
                    known.join(", ")
                ));
                return None;
            }
        }
    }
    Some(out)
}

impl FleetQuery {
    /// Parses a query. Words of the form `key:value` with a known key are
    /// structured terms (`!` before one negates it; commas in its value are
    /// alternatives); other words are fuzzy text. Unknown keys and empty or
    /// impossible values are reported in [`FleetQuery::errors`] and ignored.
    pub fn parse(input: &str) -> Self {
        let mut terms = Vec::new();
        let mut errors = Vec::new();
        let mut text = Vec::new();
        for word in input.split_whitespace() {
            let (negated, bare) = match word.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, word),
            };
            let Some((key, value)) = bare.split_once(':') else {
                if bare.is_empty() {
                    errors.push("'!' alone: put it before a term, as in !ping:online".into());
                } else {
                    text.push(word);
                }
                continue;
            };
            let lower_key = key.to_ascii_lowercase();
            if TERM_KEYS.contains(&lower_key.as_str()) {
                if let Some(test) = parse_term(word, &lower_key, value, &mut errors) {
                    terms.push(Term { test, negated });
                }
                continue;
            }
            // `i-…:` or a URL-ish word is text, not a typo'd key.
            if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphabetic()) {
                text.push(word);
                continue;
            }
            errors.push(format!(
                "unknown filter key '{key}:' — use {}",
                TERM_KEYS
                    .iter()
                    .map(|k| format!("{k}:"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let joined = text.join(" ");
        let fuzzy = (!joined.is_empty())
            .then(|| Pattern::parse(&joined, CaseMatching::Smart, Normalization::Smart));
        FleetQuery {
            terms,
            fuzzy,
            text: joined.to_lowercase(),
            raw: joined,
            errors,
        }
    }

    /// This query with its `account:` and `region:` terms resolved against
    /// the context set `labels` (a context the query does not know, such
    /// as one of a set without labels, matches neither).
    pub fn bind(mut self, labels: &[ContextLabel]) -> Self {
        for t in &mut self.terms {
            match &mut t.test {
                Test::Account(alts, ok) => *ok = context_mask(Place::Account, alts, labels),
                Test::Region(alts, ok) => *ok = context_mask(Place::Region, alts, labels),
                _ => {}
            }
        }
        self
    }

    /// The terms of this query another service answers, in order, each
    /// once.
    pub fn remote_terms(&self) -> Vec<RemoteTerm> {
        let mut out: Vec<RemoteTerm> = Vec::new();
        for t in &self.terms {
            if let Test::Remote(r, _) = &t.test
                && !out.contains(r)
            {
                out.push(r.clone());
            }
        }
        out
    }

    /// Whether the query asks whether agents are the newest release
    /// (`agent:outdated`, `agent:latest`): DescribeInstanceInformation's
    /// `IsLatestVersion`, which DescribeInstanceProperties lacks.
    pub fn asks_agent_currency(&self) -> bool {
        self.terms.iter().any(|t| match &t.test {
            Test::Agent(alts) => alts.iter().any(|a| {
                matches!(
                    a.as_str(),
                    "outdated" | "behind" | "old" | "latest" | "current"
                )
            }),
            _ => false,
        })
    }

    /// Whether a remote term of this query has no answer bound yet (the
    /// query then matches no node).
    pub fn awaits_remote(&self) -> bool {
        self.terms
            .iter()
            .any(|t| matches!(&t.test, Test::Remote(_, Known(None))))
    }

    /// This query with the answers `answer` gives (by [`RemoteTerm`])
    /// bound to its remote terms; a term without one stays unanswered.
    pub fn bind_remote(mut self, answer: impl Fn(&RemoteTerm) -> Option<RemoteIds>) -> Self {
        for t in &mut self.terms {
            if let Test::Remote(r, known) = &mut t.test {
                *known = Known(answer(r));
            }
        }
        self
    }

    /// Whether `other` asks exactly what this query asks (same terms,
    /// same text), so its matches can be reused.
    pub fn same_as(&self, other: &FleetQuery) -> bool {
        self.terms == other.terms && self.raw == other.raw
    }

    /// Whether every node this query matches is matched by `older` as
    /// well, so filtering can start from `older`'s matches instead of
    /// every node (typing one more character narrows). Holds when the
    /// terms are the same and this text extends `older`'s, both made of
    /// plain characters only: a `!`, `^`, `$`, `'` or `\` (nucleo's
    /// negation, anchors, exact match and escapes) or any non-ASCII
    /// character can widen a match, and then nothing is assumed.
    pub fn narrows(&self, older: &FleetQuery) -> bool {
        let plain = |s: &str| {
            s.bytes()
                .all(|b| (b.is_ascii_graphic() && !b"!^$'\\".contains(&b)) || b == b' ')
        };
        self.terms == older.terms
            && self.raw.starts_with(older.raw.as_str())
            && plain(&self.raw)
            && plain(&older.raw)
    }

    /// Whether the query matches everything.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty() && self.fuzzy.is_none()
    }

    /// The fuzzy part, for highlighting.
    pub fn fuzzy(&self) -> Option<&Pattern> {
        self.fuzzy.as_ref()
    }

    /// Whether `node` (with its precomputed `haystack`) matches.
    pub fn matches(&self, node: &ManagedNode, haystack: &Haystack, matcher: &mut Matcher) -> bool {
        self.rank(node, haystack, matcher).is_some()
    }

    /// Whether `node` matches, and if so where it ranks (see [`Rank`];
    /// every match of a query without text ranks the same).
    pub fn rank(
        &self,
        node: &ManagedNode,
        haystack: &Haystack,
        matcher: &mut Matcher,
    ) -> Option<Rank> {
        if self.awaits_remote() {
            return None;
        }
        for t in &self.terms {
            if term_holds(&t.test, node) == t.negated {
                return None;
            }
        }
        let Some(p) = &self.fuzzy else {
            return Some(Rank { class: 2, score: 0 });
        };
        let mut score = 0u32;
        for atom in &p.atoms {
            score += atom_score(atom, haystack, matcher)?;
        }
        let (name, id) = (&haystack.name_lc, &haystack.id_lc);
        let class = if *name == self.text || *id == self.text {
            0
        } else if name.starts_with(&self.text) || id.starts_with(&self.text) {
            1
        } else {
            2
        };
        Some(Rank { class, score })
    }
}

/// One word's score: its best field (a negated word must be in none).
fn atom_score(atom: &Atom, haystack: &Haystack, matcher: &mut Matcher) -> Option<u32> {
    if atom.negative {
        return haystack
            .fields
            .iter()
            .all(|f| atom.score(f.slice(..), matcher).is_some())
            .then_some(0);
    }
    haystack
        .fields
        .iter()
        .filter_map(|f| atom.score(f.slice(..), matcher))
        .max()
        .map(u32::from)
}

fn term_holds(test: &Test, node: &ManagedNode) -> bool {
    match test {
        Test::Tag(alts) => node.tags.iter().any(|(tk, tv)| {
            let (tk, tv) = (tk.to_lowercase(), tv.to_lowercase());
            alts.iter()
                .any(|(k, v)| tk == *k && v.as_ref().is_none_or(|v| tv == *v))
        }),
        Test::Ping(alts) => {
            let s = node.ping_status.as_str().to_lowercase();
            alts.iter().any(|p| s.starts_with(p.as_str()))
        }
        Test::Platform(alts) => {
            let (t, n) = (
                node.platform_type.to_lowercase(),
                node.platform_name.to_lowercase(),
            );
            alts.iter()
                .any(|p| t.contains(p.as_str()) || n.contains(p.as_str()))
        }
        Test::State(alts) => {
            let s = node.state().to_lowercase();
            alts.iter().any(|p| s.starts_with(p.as_str()))
        }
        Test::Type(alts) => {
            let s = node.instance_type().to_lowercase();
            alts.iter().any(|p| s.starts_with(p.as_str()))
        }
        Test::Account(_, ok) | Test::Region(_, ok) => {
            ok.get(node.ctx.index()).copied().unwrap_or(false)
        }
        Test::Agent(alts) => alts.iter().any(|a| match a.as_str() {
            "outdated" | "behind" | "old" => node.agent_is_latest == Some(false),
            "latest" | "current" => node.agent_is_latest == Some(true),
            v => node.agent_version.starts_with(v),
        }),
        Test::Patch(states) => states.iter().any(|s| patch_is(&node.patch, s)),
        Test::Assoc(states) => states.iter().any(|s| match (node.associations, *s) {
            (None, "none") => true,
            (Some(a), "failed") => a.failed > 0,
            (Some(a), "pending") => a.pending > 0,
            (Some(a), "ok") => a.failed == 0 && a.pending == 0,
            _ => false,
        }),
        Test::Remote(_, Known(ids)) => ids
            .as_ref()
            .and_then(|by_ctx| by_ctx.get(node.ctx.index()))
            .is_some_and(|set| set.contains(node.id.as_str())),
    }
}

/// Whether a node's patch state is `state` (one of [`PATCH_STATES`]). A
/// node whose state is not known yet matches none of them.
fn patch_is(patch: &crate::model::Patch, state: &str) -> bool {
    use crate::model::Patch;
    match (patch, state) {
        (Patch::NeverScanned, "never") => true,
        (Patch::Scanned(p), _) => match state {
            "missing" => p.missing > 0,
            "failed" => p.failed > 0,
            "reboot" => p.pending_reboot > 0,
            "critical" => p.critical > 0,
            "security" => p.security > 0,
            "noncompliant" => p.noncompliant(),
            "ok" => !p.noncompliant(),
            _ => false,
        },
        _ => false,
    }
}

/// The fields fuzzy filtering searches, each on its own: name, id, IP,
/// then `key=value` tags.
pub fn haystack(node: &ManagedNode) -> Haystack {
    let mut fields = vec![
        Utf32String::from(node.name.as_str()),
        Utf32String::from(node.id.as_str()),
        Utf32String::from(node.best_ip()),
    ];
    for (k, v) in &node.tags {
        if k == "Name" {
            continue;
        }
        fields.push(Utf32String::from(format!("{k}={v}")));
    }
    Haystack {
        fields,
        name_lc: node.name.to_lowercase(),
        id_lc: node.id.to_lowercase(),
    }
}

/// A matcher configured for this filter.
pub fn new_matcher() -> Matcher {
    Matcher::new(Config::DEFAULT)
}

/// Character indices in `text` that the fuzzy pattern matches, for highlighting.
pub fn match_indices(pattern: &Pattern, text: &str, matcher: &mut Matcher) -> Vec<usize> {
    let mut buf = Vec::new();
    let hay = Utf32Str::new(text, &mut buf);
    let mut idx = Vec::new();
    if pattern.indices(hay, matcher, &mut idx).is_some() {
        idx.sort_unstable();
        idx.dedup();
    }
    idx.into_iter().map(|i| i as usize).collect()
}

/// Character indices in one field that the pattern's words matching in
/// that field hit (the Fleet matches each word within one field).
pub fn field_indices(pattern: &Pattern, text: &str, matcher: &mut Matcher) -> Vec<usize> {
    let mut buf = Vec::new();
    let hay = Utf32Str::new(text, &mut buf);
    let mut idx = Vec::new();
    for atom in pattern.atoms.iter().filter(|a| !a.negative) {
        let mut one = Vec::new();
        if atom.indices(hay, matcher, &mut one).is_some() {
            idx.extend(one);
        }
    }
    idx.sort_unstable();
    idx.dedup();
    idx.into_iter().map(|i| i as usize).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PingStatus;

    fn node(name: &str, ping: PingStatus, platform: &str, tags: &[(&str, &str)]) -> ManagedNode {
        ManagedNode {
            id: format!("i-{name}"),
            name: name.into(),
            ping_status: ping,
            platform_type: platform.into(),
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        }
    }

    fn m(q: &str, n: &ManagedNode) -> bool {
        FleetQuery::parse(q).matches(n, &haystack(n), &mut new_matcher())
    }

    #[test]
    fn structured_and_fuzzy_terms_combine() {
        let web = node("web-01", PingStatus::Online, "Linux", &[("Env", "prod")]);
        let db = node(
            "db-01",
            PingStatus::ConnectionLost,
            "Windows",
            &[("Env", "dev")],
        );
        assert!(m("tag:Env=prod", &web));
        assert!(!m("tag:Env=prod", &db));
        assert!(m("tag:env=PROD", &web));
        assert!(m("tag:Env", &db));
        assert!(m("ping:connectionlost", &db));
        assert!(m("ping:conn", &db));
        assert!(!m("ping:ConnectionLost", &web));
        assert!(m("platform:windows db", &db));
        assert!(!m("platform:windows web", &db));
        assert!(m("wb01", &web));
        assert!(!m("zzz", &web));
        assert!(m("", &web));
    }

    #[test]
    fn unknown_keys_are_reported() {
        let q = FleetQuery::parse("pnig:Online web");
        assert_eq!(q.errors.len(), 1);
        assert!(q.errors[0].contains("pnig"), "{:?}", q.errors);
        let q = FleetQuery::parse("tag:=x");
        assert!(q.errors[0].contains("needs a key"));
    }

    #[test]
    fn highlight_indices() {
        let p = Pattern::parse("wb", CaseMatching::Smart, Normalization::Smart);
        assert_eq!(match_indices(&p, "web", &mut new_matcher()), vec![0, 2]);
    }

    #[test]
    fn negation_and_comma_alternatives() {
        let web = node("web-01", PingStatus::Online, "Linux", &[("Env", "prod")]);
        let stg = node(
            "web-02",
            PingStatus::Inactive,
            "Linux",
            &[("Env", "staging")],
        );
        let dev = node(
            "db-01",
            PingStatus::ConnectionLost,
            "Windows",
            &[("Env", "dev")],
        );
        assert!(!m("!ping:online", &web));
        assert!(m("!ping:online", &stg) && m("!ping:online", &dev));
        assert!(m("tag:Env=prod,staging", &web) && m("tag:Env=prod,staging", &stg));
        assert!(!m("tag:Env=prod,staging", &dev));
        assert!(m("!tag:Env=prod,staging", &dev) && !m("!tag:Env=prod,staging", &web));
        assert!(m("ping:inactive,conn", &stg) && m("ping:inactive,conn", &dev));
        assert!(!m("ping:inactive,conn", &web));
        assert!(m("tag:Env=dev,Team", &dev), "a key alternative with =");
        assert!(m("platform:windows,mac", &dev) && !m("platform:windows,mac", &web));
        assert!(!m("web !02", &stg) && m("web !02", &web), "nucleo's !word");
    }

    #[test]
    fn bad_terms_say_what_to_write() {
        let errs = |q: &str| FleetQuery::parse(q).errors;
        assert!(
            errs("ping:")[0].contains("needs a value"),
            "{:?}",
            errs("ping:")
        );
        assert!(errs("tag:Env=prod,")[0].contains("empty alternative"));
        assert!(errs("ping:sleepy")[0].contains("no ping status"));
        assert!(errs("!")[0].contains("before a term"));
        assert!(errs("!ping:online tag:Env=prod,staging").is_empty());
        // A bad term is ignored, the rest still filters.
        let q = FleetQuery::parse("ping:sleepy web");
        assert!(!q.is_empty());
    }

    #[test]
    fn words_match_within_one_field_not_across_name_and_ip() {
        let mut api = node("api-3", PingStatus::Online, "Linux", &[]);
        api.id = "i-0abc".into();
        api.ip = "10.1.2.3".into();
        assert!(!m("web1", &api), "w, e, b from nowhere");
        let mut web = node("web-7", PingStatus::Online, "Linux", &[]);
        web.ip = "10.1.2.3".into();
        assert!(!m("web1", &web), "web from the name and 1 from the IP");
        assert!(m("web 10.1", &web), "two words, two fields");
        let web1 = node("prod-web-1", PingStatus::Online, "Linux", &[]);
        assert!(m("web1", &web1));
    }

    #[test]
    fn exact_then_prefix_then_fuzzy_by_score() {
        let q = FleetQuery::parse("web-1");
        let rank = |n: &ManagedNode| q.rank(n, &haystack(n), &mut new_matcher());
        let exact = node("web-1", PingStatus::Online, "Linux", &[]);
        let prefix = node("web-10", PingStatus::Online, "Linux", &[]);
        let fuzzy = node("prod-web-1", PingStatus::Online, "Linux", &[]);
        let loose = node("w-e-b-x-1", PingStatus::Online, "Linux", &[]);
        let (e, p, f, l) = (
            rank(&exact).unwrap(),
            rank(&prefix).unwrap(),
            rank(&fuzzy).unwrap(),
            rank(&loose).unwrap(),
        );
        assert_eq!((e.class, p.class, f.class, l.class), (0, 1, 2, 2));
        assert!(f.score > l.score, "{f:?} {l:?}");
    }

    #[test]
    fn only_plain_extensions_narrow() {
        let n = |new: &str, old: &str| FleetQuery::parse(new).narrows(&FleetQuery::parse(old));
        assert!(n("prod", "pro") && n("prod w", "prod") && n("prodW", "prod"));
        assert!(n("ping:on prod", "ping:on") && n("ping:on", "ping:on"));
        assert!(!n("pro", "prod"), "a deletion widens");
        assert!(!n("prod !w", "prod") && !n("prod$", "prod") && !n("^prod", "prod"));
        assert!(!n("ping:onl", "ping:on"), "terms differ: no assumption");
        assert!(
            !n("tag:Env=prod, x", "tag:Env=prod"),
            "a broken term is dropped"
        );
        assert!(!n("café", "caf"));
        assert!(FleetQuery::parse("a  b").same_as(&FleetQuery::parse("a b")));
    }

    #[test]
    fn account_and_region_terms_follow_the_node_context() {
        use crate::model::{ContextId, ContextLabel};
        let labels = vec![
            ContextLabel {
                id: ContextId(0),
                profile: Some("prod-a".into()),
                region: "us-east-1".into(),
                account: Some("123456789012".into()),
                ..ContextLabel::default()
            },
            ContextLabel {
                id: ContextId(1),
                region: "eu-west-1".into(),
                account: Some("210001000003".into()),
                account_name: Some("Payments".into()),
                ..ContextLabel::default()
            },
        ];
        let mut second = node("web", PingStatus::Online, "Linux", &[]);
        second.ctx = ContextId(1);
        let first = node("web", PingStatus::Online, "Linux", &[]);
        let q = |text: &str, n: &ManagedNode| {
            FleetQuery::parse(text)
                .bind(&labels)
                .matches(n, &haystack(n), &mut new_matcher())
        };
        assert!(q("account:2100", &second) && !q("account:2100", &first));
        assert!(q("account:payments", &second), "the account name, any case");
        assert!(q("account:prod", &first), "the profile");
        assert!(q("region:eu", &second) && !q("region:eu", &first));
        assert!(q("!region:eu", &first));
        assert!(q("region:us-east-1,eu-west-1", &first) && q("region:us,eu", &second));
        // Unbound (no labels): a context term matches nothing.
        assert!(!m("region:eu", &second));
        assert!(FleetQuery::parse("account:").errors[0].contains("account:"));
    }

    #[test]
    fn assoc_terms_ask_the_association_overview() {
        use crate::model::AssociationCounts;
        let with = |a: Option<AssociationCounts>| {
            let mut n = node("n", PingStatus::Online, "Linux", &[]);
            n.associations = a;
            n
        };
        let ok = with(Some(AssociationCounts {
            success: 3,
            ..Default::default()
        }));
        let failed = with(Some(AssociationCounts {
            success: 1,
            failed: 2,
            ..Default::default()
        }));
        let pending = with(Some(AssociationCounts {
            pending: 1,
            ..Default::default()
        }));
        let none = with(None);
        assert!(m("assoc:failed", &failed) && !m("assoc:failed", &ok) && !m("assoc:failed", &none));
        assert!(m("assoc:pend", &pending) && !m("assoc:pending", &failed));
        assert!(m("assoc:ok", &ok) && !m("assoc:ok", &pending) && !m("assoc:ok", &none));
        assert!(m("assoc:none", &none) && !m("assoc:none", &ok));
        assert!(m("!assoc:failed", &ok) && m("assoc:failed,pending", &pending));
        assert_eq!(failed.associations.unwrap().text(), "2 failed");
        assert_eq!(pending.associations.unwrap().text(), "1 pending");
        let q = FleetQuery::parse("assoc:broken");
        assert!(
            q.errors[0].contains("no association state")
                && q.errors[0].contains("failed, pending, ok, none"),
            "{:?}",
            q.errors
        );
    }

    #[test]
    fn patch_terms_ask_the_patch_state_and_never_count_unknown() {
        use crate::model::{Patch, PatchSummary};
        let with = |p: Patch| {
            let mut n = node("n", PingStatus::Online, "Linux", &[]);
            n.patch = p;
            n
        };
        let ok = with(Patch::Scanned(PatchSummary {
            installed: 40,
            ..PatchSummary::default()
        }));
        let missing = with(Patch::Scanned(PatchSummary {
            missing: 3,
            critical: 1,
            ..PatchSummary::default()
        }));
        let reboot = with(Patch::Scanned(PatchSummary {
            pending_reboot: 2,
            ..PatchSummary::default()
        }));
        let failed = with(Patch::Scanned(PatchSummary {
            failed: 1,
            security: 1,
            ..PatchSummary::default()
        }));
        let never = with(Patch::NeverScanned);
        let unknown = with(Patch::Unknown);
        assert!(m("patch:ok", &ok) && !m("patch:ok", &missing) && !m("patch:ok", &reboot));
        assert!(m("patch:missing", &missing) && !m("patch:missing", &failed));
        assert!(m("patch:crit", &missing) && !m("patch:critical", &failed));
        assert!(m("patch:security", &failed) && m("patch:failed", &failed));
        assert!(m("patch:reboot", &reboot));
        assert!(m("patch:never", &never) && !m("patch:never", &ok));
        for n in [&missing, &reboot, &failed] {
            assert!(m("patch:noncompliant", n), "{:?}", n.patch);
        }
        for n in [&ok, &never, &unknown] {
            assert!(!m("patch:noncompliant", n), "{:?}", n.patch);
        }
        assert!(m("patch:missing,failed", &failed));
        assert!(m("!patch:ok", &never));
        let q = FleetQuery::parse("patch:broken");
        assert!(
            q.errors[0].contains("no patch state") && q.errors[0].contains("noncompliant"),
            "{:?}",
            q.errors
        );
    }

    #[test]
    fn agent_term_finds_nodes_that_need_an_agent_update() {
        let mut old = node("old", PingStatus::Online, "Linux", &[]);
        old.agent_is_latest = Some(false);
        old.agent_version = "3.1.1004.0".into();
        let mut new = node("new", PingStatus::Online, "Linux", &[]);
        new.agent_is_latest = Some(true);
        new.agent_version = "3.3.40.0".into();
        let unknown = node("unknown", PingStatus::Online, "Linux", &[]);
        assert!(m("agent:outdated", &old) && !m("agent:outdated", &new));
        assert!(
            !m("agent:outdated", &unknown),
            "no IsLatestVersion: not known to be behind"
        );
        assert!(m("agent:latest", &new) && !m("agent:latest", &old));
        assert!(m("agent:3.1", &old) && !m("agent:3.1", &new));
        assert!(m("!agent:outdated", &new));
    }

    #[test]
    fn remote_terms_parse_strictly_and_match_nothing_until_answered() {
        let q = FleetQuery::parse("pkg:OpenSSL<3.0.7 web");
        assert_eq!(
            q.remote_terms(),
            vec![RemoteTerm::Package {
                name: "OpenSSL".into(),
                prefix: false,
                version: Some(("LessThan", "3.0.7".into())),
            }],
            "the name keeps its case"
        );
        assert_eq!(q.remote_terms()[0].key(), "pkg:OpenSSL<3.0.7");
        let star = FleetQuery::parse("pkg:python3* compliance:crit !compliance:noncompliant");
        let keys: Vec<String> = star.remote_terms().iter().map(RemoteTerm::key).collect();
        assert_eq!(
            keys,
            [
                "pkg:python3*",
                "compliance:critical",
                "compliance:noncompliant"
            ]
        );
        assert_eq!(
            star.remote_terms()[1],
            RemoteTerm::Compliance(Some("CRITICAL"))
        );
        for (bad, says) in [
            ("pkg:openssl<=3", "<, > or ="),
            ("pkg:a,b", "one package per pkg:"),
            ("pkg:openssl<", "a version after"),
            ("pkg:*ssl", "a * only at its end"),
            ("pkg:", "needs a value"),
            ("compliance:broken", "no compliance state"),
            ("compliance:high,low", "one compliance state per term"),
        ] {
            let q = FleetQuery::parse(bad);
            assert!(
                q.errors.len() == 1 && q.errors[0].contains(says),
                "{bad}: {:?}",
                q.errors
            );
            assert!(q.remote_terms().is_empty(), "{bad}");
        }
        let mut web = node("web", PingStatus::Online, "Linux", &[]);
        web.id = "i-1".into();
        let mut db = node("db", PingStatus::Online, "Linux", &[]);
        db.id = "i-2".into();
        let (mut m1, hay) = (new_matcher(), Haystack::default());
        let neg = FleetQuery::parse("!pkg:openssl");
        assert!(neg.awaits_remote());
        assert!(
            !neg.matches(&web, &hay, &mut m1) && !neg.matches(&db, &hay, &mut m1),
            "unanswered, even negated, matches nothing"
        );
        let ids: RemoteIds = std::sync::Arc::new(vec![["i-1".to_string()].into()]);
        let pos = FleetQuery::parse("pkg:openssl").bind_remote(|_| Some(ids.clone()));
        let neg = neg.bind_remote(|_| Some(ids.clone()));
        assert!(!pos.awaits_remote());
        assert!(pos.matches(&web, &hay, &mut m1) && !pos.matches(&db, &hay, &mut m1));
        assert!(!neg.matches(&web, &hay, &mut m1) && neg.matches(&db, &hay, &mut m1));
        let mut other_ctx = web.clone();
        other_ctx.ctx = crate::model::ContextId(1);
        assert!(
            !pos.matches(&other_ctx, &hay, &mut m1),
            "the same id in another context is another node"
        );
        let again = FleetQuery::parse("pkg:openssl").bind_remote(|_| Some(ids.clone()));
        assert!(again.same_as(&pos) && !again.same_as(&FleetQuery::parse("pkg:openssl")));
    }
}
