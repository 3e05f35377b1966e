//! The Fleet filter: structured terms (`tag:Env=prod`, `ping:ConnectionLost`,
//! `platform:windows`, `state:running`, `type:t3`) combined with fuzzy text
//! (nucleo) over name, id, IP and tags.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str, Utf32String};

use crate::model::ManagedNode;

/// Structured filter keys, for help and error messages.
pub const TERM_KEYS: &[&str] = &["tag", "ping", "platform", "state", "type"];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    /// `tag:Key` (has the key) or `tag:Key=Value` (case-insensitive equality).
    Tag(String, Option<String>),
    /// `ping:` prefix of the ping status, case-insensitive.
    Ping(String),
    /// `platform:` substring of platform type or name, case-insensitive.
    Platform(String),
    /// `state:` prefix of the EC2 state.
    State(String),
    /// `type:` prefix of the instance type.
    Type(String),
}

/// A parsed filter query.
#[derive(Debug)]
pub struct FleetQuery {
    terms: Vec<Term>,
    fuzzy: Option<Pattern>,
    /// Problems found while parsing (unknown keys, empty values), for the status line.
    pub errors: Vec<String>,
}

impl FleetQuery {
    /// Parses a query. Words of the form `key:value` with a known key are
    /// structured terms; other words are fuzzy text. Unknown keys are reported
    /// in [`FleetQuery::errors`] and ignored.
    pub fn parse(input: &str) -> Self {
        let mut terms = Vec::new();
        let mut errors = Vec::new();
        let mut text = Vec::new();
        for word in input.split_whitespace() {
            let Some((key, value)) = word.split_once(':') else {
                text.push(word);
                continue;
            };
            let lower = value.to_lowercase();
            let term = match key.to_ascii_lowercase().as_str() {
                "tag" => {
                    let (k, v) = match value.split_once('=') {
                        Some((k, v)) => (k.to_lowercase(), Some(v.to_lowercase())),
                        None => (lower.clone(), None),
                    };
                    if k.is_empty() {
                        errors.push(format!("'{word}': tag: needs a key, as in tag:Env=prod"));
                        continue;
                    }
                    Term::Tag(k, v)
                }
                "ping" => Term::Ping(lower),
                "platform" => Term::Platform(lower),
                "state" => Term::State(lower),
                "type" => Term::Type(lower),
                // `i-…:` or a URL-ish word is text, not a typo'd key.
                k if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphabetic()) => {
                    text.push(word);
                    continue;
                }
                _ => {
                    errors.push(format!(
                        "unknown filter key '{key}:' — use {}",
                        TERM_KEYS
                            .iter()
                            .map(|k| format!("{k}:"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                    continue;
                }
            };
            terms.push(term);
        }
        let joined = text.join(" ");
        let fuzzy = (!joined.is_empty())
            .then(|| Pattern::parse(&joined, CaseMatching::Smart, Normalization::Smart));
        FleetQuery {
            terms,
            fuzzy,
            errors,
        }
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
    pub fn matches(
        &self,
        node: &ManagedNode,
        haystack: &Utf32String,
        matcher: &mut Matcher,
    ) -> bool {
        for t in &self.terms {
            let ok = match t {
                Term::Tag(k, v) => node.tags.iter().any(|(tk, tv)| {
                    tk.to_lowercase() == *k && v.as_ref().is_none_or(|v| tv.to_lowercase() == *v)
                }),
                Term::Ping(p) => node.ping_status.as_str().to_lowercase().starts_with(p),
                Term::Platform(p) => {
                    node.platform_type.to_lowercase().contains(p)
                        || node.platform_name.to_lowercase().contains(p)
                }
                Term::State(s) => node.state().to_lowercase().starts_with(s),
                Term::Type(s) => node.instance_type().to_lowercase().starts_with(s),
            };
            if !ok {
                return false;
            }
        }
        match &self.fuzzy {
            None => true,
            Some(p) => p.score(haystack.slice(..), matcher).is_some(),
        }
    }
}

/// The text fuzzy filtering searches: name, id, IP, then `key=value` tags.
pub fn haystack(node: &ManagedNode) -> Utf32String {
    let mut s = String::with_capacity(96);
    s.push_str(&node.name);
    s.push(' ');
    s.push_str(&node.id);
    s.push(' ');
    s.push_str(node.best_ip());
    for (k, v) in &node.tags {
        if k == "Name" {
            continue;
        }
        s.push(' ');
        s.push_str(k);
        s.push('=');
        s.push_str(v);
    }
    Utf32String::from(s)
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
}
