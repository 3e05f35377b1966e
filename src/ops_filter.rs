//! The OpsCenter filter: structured terms that DescribeOpsItems can apply
//! server-side (`status:`, `sev:`, `prio:`, `source:`, `type:`, `cat:`,
//! `title:`, `node:`, `created:`), `account:` and `region:` across a
//! context set (the contexts to show, applied client-side), plus fuzzy
//! text over the title, applied client-side. The same terms are also applied client-side, so typing
//! narrows the loaded list at once; Enter reloads from AWS when the server
//! part changed.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Matcher, Utf32String};

use crate::aws::opscenter::{ServerFilter, TimeBound};
use crate::filter::{Place, context_mask};
use crate::model::{ContextLabel, OpsItem};

/// Filter keys, for help and error messages.
pub const OPS_KEYS: &str =
    "status: sev: prio: source: type: cat: title: node: created: account: region:";

/// The statuses the console offers (OpsItem type `/aws/issue`).
pub const TRIAGE_STATUSES: &[&str] = &["Open", "InProgress", "Resolved"];

/// A parsed OpsCenter filter.
#[derive(Debug, Clone, Default)]
pub struct OpsQuery {
    /// Terms DescribeOpsItems applies (also applied client-side).
    pub server: Vec<ServerFilter>,
    /// `account:` and `region:` terms: the place, the alternatives
    /// (lower-cased) and, once bound ([`OpsQuery::bind`]), whether each
    /// context of the set matches.
    places: Vec<(Place, Vec<String>, Vec<bool>)>,
    fuzzy: Option<Pattern>,
}

fn canonical_status(s: &str) -> Option<&'static str> {
    let l = s.to_ascii_lowercase().replace(['-', '_'], "");
    match l.as_str() {
        "open" => Some("Open"),
        "inprogress" | "progress" => Some("InProgress"),
        "resolved" => Some("Resolved"),
        _ => None,
    }
}

/// `1-3` or `1,2` or `2` within `lo..=hi`.
fn number_set(value: &str, lo: i32, hi: i32, what: &str) -> Result<Vec<String>, String> {
    let bad = || {
        format!(
            "{what} is {lo} to {hi}: write {what}:{lo}, {what}:{lo},{} or {what}:{lo}-{}",
            lo + 1,
            lo + 1
        )
    };
    let mut out = Vec::new();
    for part in value.split(',') {
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (a, b),
            None => (part, part),
        };
        let a: i32 = a.trim().parse().map_err(|_| bad())?;
        let b: i32 = b.trim().parse().map_err(|_| bad())?;
        if a < lo || b > hi || a > b {
            return Err(bad());
        }
        for n in a..=b {
            if !out.contains(&n.to_string()) {
                out.push(n.to_string());
            }
        }
    }
    Ok(out)
}

/// `<24h` (newer than), `>7d` (older than); units m, h, d, w.
fn age(value: &str) -> Result<TimeBound, String> {
    let bad = || {
        format!(
            "created:{value}: write created:<24h (newer than a day) or created:>7d (older than a week); units m h d w"
        )
    };
    let (newer, rest) = match value.chars().next() {
        Some('<') => (true, &value[1..]),
        Some('>') => (false, &value[1..]),
        _ => return Err(bad()),
    };
    let unit = rest.chars().last().ok_or_else(bad)?;
    let n: i64 = rest[..rest.len() - unit.len_utf8()]
        .parse()
        .map_err(|_| bad())?;
    let secs = n * match unit {
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        'w' => 604_800,
        _ => return Err(bad()),
    };
    Ok(if newer {
        TimeBound::NewerThan(secs)
    } else {
        TimeBound::OlderThan(secs)
    })
}

fn text(key: &str, contains: bool, values: Vec<String>) -> ServerFilter {
    ServerFilter::Text {
        key: key.into(),
        contains,
        values,
    }
}

impl OpsQuery {
    /// Parses a filter. Words `key:value` with a known key are terms; other
    /// words are fuzzy text over the title.
    ///
    /// # Errors
    /// The first bad term, naming it and the accepted form.
    pub fn parse(input: &str) -> Result<OpsQuery, String> {
        let mut server = Vec::new();
        let mut places = Vec::new();
        let mut words = Vec::new();
        for word in input.split_whitespace() {
            let Some((key, value)) = word.split_once(':') else {
                words.push(word);
                continue;
            };
            let values = || -> Vec<String> {
                value
                    .split(',')
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned)
                    .collect()
            };
            if value.is_empty() {
                return Err(format!(
                    "'{word}' needs a value, as in status:Open or sev:1"
                ));
            }
            let f = match key.to_ascii_lowercase().as_str() {
                "status" => {
                    let mut list = Vec::new();
                    for v in value.split(',') {
                        match canonical_status(v) {
                            Some(s) => list.push(s.to_owned()),
                            None => {
                                return Err(format!(
                                    "status:{v} is not a status: use Open, InProgress or Resolved (status:Open,InProgress)"
                                ));
                            }
                        }
                    }
                    text("Status", false, list)
                }
                "sev" | "severity" => text("Severity", false, number_set(value, 1, 4, "sev")?),
                "prio" | "priority" => text("Priority", false, number_set(value, 1, 5, "prio")?),
                "source" => text("Source", true, values()),
                "type" => text("OpsItemType", false, values()),
                "cat" | "category" => text("Category", false, values()),
                "title" => text("Title", true, values()),
                "node" => text("ResourceId", true, values()),
                "created" => ServerFilter::Created(age(value)?),
                k @ ("account" | "region") => {
                    let place = if k == "account" {
                        Place::Account
                    } else {
                        Place::Region
                    };
                    let alts = values().iter().map(|v| v.to_lowercase()).collect();
                    places.push((place, alts, Vec::new()));
                    continue;
                }
                // `arn:aws:…` or a URL-ish word is text, not a typo'd key.
                k if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphabetic()) || k == "arn" => {
                    words.push(word);
                    continue;
                }
                _ => return Err(format!("unknown filter key '{key}:': use {OPS_KEYS}")),
            };
            server.push(f);
        }
        let joined = words.join(" ");
        let fuzzy = (!joined.is_empty())
            .then(|| Pattern::parse(&joined, CaseMatching::Smart, Normalization::Smart));
        Ok(OpsQuery {
            server,
            places,
            fuzzy,
        })
    }

    /// This query with its `account:` and `region:` terms resolved against
    /// the context set `labels` (unbound, or with a context the set does
    /// not have, such a term matches nothing).
    pub fn bind(mut self, labels: &[ContextLabel]) -> Self {
        for (place, alts, ok) in &mut self.places {
            *ok = context_mask(*place, alts, labels);
        }
        self
    }

    /// The fuzzy part, for highlighting.
    pub fn fuzzy(&self) -> Option<&Pattern> {
        self.fuzzy.as_ref()
    }

    /// Whether the query keeps everything.
    pub fn is_empty(&self) -> bool {
        self.server.is_empty() && self.places.is_empty() && self.fuzzy.is_none()
    }

    /// Whether `item` (with its title as `haystack`) matches; `now_s` is
    /// the wall clock, epoch seconds, for `created:` terms.
    pub fn matches(
        &self,
        item: &OpsItem,
        haystack: &Utf32String,
        now_s: i64,
        matcher: &mut Matcher,
    ) -> bool {
        let here = |ok: &Vec<bool>| ok.get(item.ctx.index()).copied().unwrap_or(false);
        if !self.places.iter().all(|(_, _, ok)| here(ok)) {
            return false;
        }
        for f in &self.server {
            let ok = match f {
                ServerFilter::Created(b) => match b {
                    TimeBound::NewerThan(s) => item.created_ms > (now_s - s) * 1_000,
                    TimeBound::OlderThan(s) => item.created_ms < (now_s - s) * 1_000,
                },
                ServerFilter::Text {
                    key,
                    contains,
                    values,
                } => {
                    let field: String = match key.as_str() {
                        "Status" => item.status.clone(),
                        "Severity" => item.severity.clone().unwrap_or_default(),
                        "Priority" => item.priority.map(|p| p.to_string()).unwrap_or_default(),
                        "Source" => item.source.clone(),
                        "OpsItemType" => item.ops_item_type.clone(),
                        "Category" => item.category.clone().unwrap_or_default(),
                        "Title" => item.title.clone(),
                        "ResourceId" => item
                            .operational_data
                            .get("/aws/resources")
                            .map(|d| d.value.clone())
                            .unwrap_or_default(),
                        _ => String::new(),
                    };
                    values.iter().any(|v| {
                        if *contains {
                            field.contains(v.as_str())
                        } else {
                            field == *v
                        }
                    })
                }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::new_matcher;

    fn item(status: &str, sev: &str, prio: i32, title: &str, created_ms: i64) -> OpsItem {
        OpsItem {
            id: "oi-1".into(),
            title: title.into(),
            status: status.into(),
            severity: Some(sev.into()),
            priority: Some(prio),
            source: "CloudWatch Alarm".into(),
            created_ms,
            ..OpsItem::default()
        }
    }

    fn m(q: &str, i: &OpsItem) -> bool {
        OpsQuery::parse(q).unwrap().matches(
            i,
            &Utf32String::from(i.title.as_str()),
            2_000_000,
            &mut new_matcher(),
        )
    }

    #[test]
    fn terms_become_server_filters() {
        let q = OpsQuery::parse(
            "status:open,in-progress sev:1-2 prio:3 source:Cloud created:<24h disk",
        )
        .unwrap();
        assert_eq!(
            q.server,
            vec![
                text("Status", false, vec!["Open".into(), "InProgress".into()]),
                text("Severity", false, vec!["1".into(), "2".into()]),
                text("Priority", false, vec!["3".into()]),
                text("Source", true, vec!["Cloud".into()]),
                ServerFilter::Created(TimeBound::NewerThan(86_400)),
            ]
        );
        assert!(q.fuzzy().is_some());
    }

    #[test]
    fn client_side_matching_agrees() {
        let a = item("Open", "1", 2, "CPU high on web-1", 1_999_000_000);
        assert!(m("status:Open sev:1", &a));
        assert!(!m("status:Resolved", &a));
        assert!(m("sev:1-2 cpu", &a));
        assert!(!m("sev:3", &a));
        assert!(m("created:<1h", &a));
        assert!(!m("created:>1h", &a));
        assert!(m("source:Cloud", &a));
        assert!(
            !m("source:cloud", &a),
            "Contains is case-sensitive, as sent to AWS"
        );
        assert!(!m("zzzz", &a));
    }

    #[test]
    fn bad_terms_say_what_to_write() {
        let e = OpsQuery::parse("sev:7").unwrap_err();
        assert!(e.contains("sev is 1 to 4"), "{e}");
        let e = OpsQuery::parse("status:closed").unwrap_err();
        assert!(e.contains("Open, InProgress or Resolved"), "{e}");
        let e = OpsQuery::parse("created:yesterday").unwrap_err();
        assert!(e.contains("created:<24h"), "{e}");
        let e = OpsQuery::parse("colour:red").unwrap_err();
        assert!(e.contains("unknown filter key"), "{e}");
        assert!(
            OpsQuery::parse("arn:aws:ec2 i-0abc")
                .unwrap()
                .server
                .is_empty()
        );
    }

    #[test]
    fn account_and_region_terms_keep_the_items_of_those_contexts() {
        use crate::model::{ContextId, ContextLabel};
        let labels = vec![
            ContextLabel {
                id: ContextId(0),
                region: "us-east-1".into(),
                account: Some("111111111111".into()),
                ..ContextLabel::default()
            },
            ContextLabel {
                id: ContextId(1),
                region: "eu-west-1".into(),
                account: Some("222222222222".into()),
                account_name: Some("Payments".into()),
                ..ContextLabel::default()
            },
        ];
        let first = item("Open", "1", 1, "disk full", 0);
        let second = OpsItem {
            ctx: ContextId(1),
            ..item("Open", "1", 1, "disk full", 0)
        };
        let q = |text: &str, i: &OpsItem| {
            OpsQuery::parse(text).unwrap().bind(&labels).matches(
                i,
                &Utf32String::from(i.title.as_str()),
                0,
                &mut new_matcher(),
            )
        };
        assert!(q("account:2222", &second) && !q("account:2222", &first));
        assert!(q("account:PAY", &second), "the account name, any case");
        assert!(q("region:us", &first) && !q("region:us", &second));
        assert!(q("region:eu sev:1 disk", &second));
        let parsed = OpsQuery::parse("account:2222 region:eu").unwrap();
        assert!(
            parsed.server.is_empty(),
            "client-side terms, not DescribeOpsItems filters"
        );
        assert!(!parsed.is_empty());
        assert!(!m("region:eu", &second), "unbound: matches nothing");
    }
}
