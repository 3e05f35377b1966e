//! The node details' posture tabs: Patches, Compliance, Inventory and
//! Associations of the node under the cursor, each read once when its tab
//! is first shown (see [`crate::aws::posture`]), kept while the details
//! stay on that node, filtered by `/` (`key:value` terms on a column, or
//! words anywhere) and drawn as one table per tab.

use std::collections::BTreeMap;

use crate::aws::posture::{Posture, PosturePart};
use crate::widgets::list::ListCursor;

/// The node details' tab.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DetailTab {
    /// Every field and tag, the maintenance windows (beside the table).
    #[default]
    Overview,
    /// One part of the node's posture (over the whole pane).
    Part(PosturePart),
}

impl DetailTab {
    /// Every tab, in order.
    pub fn all() -> Vec<DetailTab> {
        std::iter::once(DetailTab::Overview)
            .chain(PosturePart::ALL.into_iter().map(DetailTab::Part))
            .collect()
    }

    /// The tab `by` steps away, `None` before the first (the details
    /// close); the last stays the last.
    pub fn step(self, by: isize) -> Option<DetailTab> {
        let all = Self::all();
        let at = all.iter().position(|t| *t == self).unwrap_or(0);
        let to = at.checked_add_signed(by)?;
        Some(all[to.min(all.len() - 1)])
    }

    /// The tab's title.
    pub fn title(self) -> &'static str {
        match self {
            DetailTab::Overview => "Overview",
            DetailTab::Part(p) => p.title(),
        }
    }
}

/// A part as the tab keeps it: `None` while it is read, then the part or
/// why not (as the user reads it).
pub type PartAnswer = Option<Result<Posture, String>>;

/// What the posture tabs keep of one node.
#[derive(Debug, Clone, Default)]
pub struct NodePosture {
    /// The node the answers are about.
    pub node: String,
    /// Each part asked for, by part.
    pub answers: BTreeMap<PosturePart, PartAnswer>,
    /// The cursor over the shown tab's (filtered) rows.
    pub cursor: ListCursor,
    /// The tab's filter text.
    pub filter: String,
    /// The filter before it was edited (Esc puts it back).
    pub filter_before: Option<String>,
    /// In the Inventory tab: the type whose entries are shown (an index
    /// into the inventory), `None` for the list of types.
    pub inventory_type: Option<usize>,
    /// The cursor over the inventory types, kept while a type is open.
    pub types_cursor: ListCursor,
}

impl NodePosture {
    /// Forgets every answer if they are about another node than `node`.
    pub fn follow(&mut self, node: &str) {
        if self.node != node {
            *self = NodePosture {
                node: node.to_owned(),
                ..NodePosture::default()
            };
        }
    }

    /// The answer for `part`, if it was asked for.
    pub fn answer(&self, part: PosturePart) -> Option<&PartAnswer> {
        self.answers.get(&part)
    }

    /// The table of `part` as read (`None` while it is not), every row.
    pub fn table(&self, part: PosturePart) -> Option<TabTable> {
        let Some(Some(Ok(p))) = self.answers.get(&part) else {
            return None;
        };
        Some(table_of(p, self.inventory_type))
    }

    /// The indexes of `table`'s rows the filter keeps.
    pub fn kept(&self, table: &TabTable) -> Vec<usize> {
        let terms = Terms::parse(&self.filter, &table.header);
        (0..table.rows.len())
            .filter(|i| terms.keep(&table.rows[*i]))
            .collect()
    }

    /// The raw value of row `row` (an index into the unfiltered table) of
    /// `part`, for the JSON view: its title and value.
    pub fn raw_row(&self, part: PosturePart, row: usize) -> Option<(String, serde_json::Value)> {
        let Some(Some(Ok(p))) = self.answers.get(&part) else {
            return None;
        };
        let json = |title: String, v: &dyn erased::Ser| Some((title, v.value()));
        match p {
            Posture::Patches(ps, _) => ps
                .get(row)
                .and_then(|x| json(format!("{} (PatchComplianceData)", x.title), x)),
            Posture::Compliance(cs, _) => cs
                .get(row)
                .and_then(|x| json(format!("{} (ComplianceItem)", x.id), x)),
            Posture::Associations(a, _) => a
                .get(row)
                .and_then(|x| json(format!("{} (InstanceAssociationStatusInfo)", x.document), x)),
            Posture::Inventory(ts) => match self.inventory_type {
                Some(t) => ts.get(t).and_then(|t| {
                    t.entries
                        .get(row)
                        .and_then(|e| json(format!("{} entry", t.type_name), e))
                }),
                None => ts.get(row).and_then(|t| {
                    json(format!("{} ({} entries)", t.type_name, t.entries.len()), t)
                }),
            },
        }
    }
}

/// A serialisable value turned into JSON, object-safe.
mod erased {
    /// Anything serialisable.
    pub trait Ser {
        /// The value as JSON (`null` if it cannot be).
        fn value(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Ser for T {
        fn value(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap_or_default()
        }
    }
}

/// A cell: its text and the theme token it is drawn in.
pub type TabCell = (String, &'static str);

/// One tab's rows as drawn: the header and, per row, its cells; the
/// priority of each column (0 is kept longest when the pane is narrow);
/// a line summing the rows up.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TabTable {
    /// Column titles.
    pub header: Vec<String>,
    /// Which columns give way first on a narrow terminal (higher first).
    pub priority: Vec<u8>,
    /// The rows.
    pub rows: Vec<Vec<TabCell>>,
    /// Counts over every row (`3 missing · 1 failed · 40 installed`).
    pub summary: String,
}

/// The table of a part; `inventory_type` picks an inventory type's
/// entries instead of the list of types.
pub fn table_of(p: &Posture, inventory_type: Option<usize>) -> TabTable {
    match p {
        Posture::Patches(ps, cut) => patches_table(ps, *cut),
        Posture::Compliance(cs, cut) => compliance_table(cs, *cut),
        Posture::Inventory(ts) => match inventory_type.and_then(|i| ts.get(i)) {
            Some(t) => inventory_entries_table(t),
            None => inventory_types_table(ts),
        },
        Posture::Associations(a, cut) => associations_table(a, *cut),
    }
}

fn when(s: Option<i64>) -> String {
    s.map(crate::model::format_epoch).unwrap_or_default()
}

/// The token of a patch state.
fn state_token(state: &str) -> &'static str {
    match state {
        "FAILED" => "status.failed",
        "MISSING" | "AVAILABLE_SECURITY_UPDATE" => "severity.medium",
        "INSTALLED_PENDING_REBOOT" => "severity.low",
        "NOT_APPLICABLE" | "INSTALLED_REJECTED" => "ui.dim",
        _ => "status.success",
    }
}

/// The token of a severity, as vendors (`Critical`, `Important`) and
/// compliance (`CRITICAL`, `HIGH`) name them.
fn severity_token(severity: &str) -> &'static str {
    match severity.to_ascii_lowercase().as_str() {
        "critical" => "severity.critical",
        "important" | "high" => "severity.high",
        "medium" | "moderate" => "severity.medium",
        "low" => "severity.low",
        _ => "ui.dim",
    }
}

/// Counts of `keys` in order, `3 missing · 1 failed`, the zero ones left out.
fn counts<'a>(values: impl Iterator<Item = &'a str>, cut: bool) -> String {
    let mut by: BTreeMap<&str, usize> = BTreeMap::new();
    for v in values {
        *by.entry(v).or_default() += 1;
    }
    let mut parts: Vec<String> = by
        .into_iter()
        .map(|(k, n)| format!("{n} {}", k.to_ascii_lowercase().replace('_', " ")))
        .collect();
    if cut {
        parts.push(format!(
            "only the first {} read",
            crate::aws::posture::ROWS_CAP
        ));
    }
    parts.join(" · ")
}

fn patches_table(ps: &[crate::aws::posture::NodePatch], cut: bool) -> TabTable {
    TabTable {
        header: [
            "STATE",
            "SEVERITY",
            "CLASSIFICATION",
            "KB",
            "TITLE",
            "INSTALLED",
            "CVES",
        ]
        .map(String::from)
        .to_vec(),
        priority: vec![0, 1, 3, 2, 0, 4, 3],
        rows: ps
            .iter()
            .map(|p| {
                vec![
                    (p.state.clone(), state_token(&p.state)),
                    (p.severity.clone(), severity_token(&p.severity)),
                    (p.classification.clone(), "ui.text"),
                    (p.kb_id.clone(), "ui.text"),
                    (p.title.clone(), "ui.text"),
                    (when(p.installed_s), "ui.dim"),
                    (p.cve_ids.clone(), "ui.dim"),
                ]
            })
            .collect(),
        summary: counts(ps.iter().map(|p| p.state.as_str()), cut),
    }
}

fn compliance_table(cs: &[crate::aws::posture::ComplianceItem], cut: bool) -> TabTable {
    TabTable {
        header: [
            "STATUS",
            "SEVERITY",
            "TYPE",
            "ID",
            "TITLE",
            "RECORDED",
            "EXECUTION",
        ]
        .map(String::from)
        .to_vec(),
        priority: vec![0, 1, 1, 0, 2, 3, 4],
        rows: cs
            .iter()
            .map(|c| {
                let status = if c.status == "COMPLIANT" {
                    "status.success"
                } else {
                    "status.failed"
                };
                vec![
                    (c.status.clone(), status),
                    (c.severity.clone(), severity_token(&c.severity)),
                    (c.compliance_type.clone(), "ui.text"),
                    (c.id.clone(), "ui.text"),
                    (c.title.clone(), "ui.text"),
                    (when(c.executed_s), "ui.dim"),
                    (c.execution.clone(), "ui.dim"),
                ]
            })
            .collect(),
        summary: counts(
            cs.iter()
                .map(|c| (c.status.as_str(), c.compliance_type.as_str()))
                .map(|(s, _)| s),
            cut,
        ),
    }
}

fn associations_table(a: &[crate::aws::posture::NodeAssociation], cut: bool) -> TabTable {
    TabTable {
        header: [
            "STATUS", "DOCUMENT", "NAME", "LAST RUN", "DETAIL", "ERROR", "ID", "SUMMARY",
        ]
        .map(String::from)
        .to_vec(),
        priority: vec![0, 0, 2, 1, 3, 1, 4, 2],
        rows: a
            .iter()
            .map(|x| {
                let token = match x.status.as_str() {
                    "Success" => "status.success",
                    "Failed" => "status.failed",
                    _ => "status.pending",
                };
                vec![
                    (x.status.clone(), token),
                    (x.document.clone(), "ui.text"),
                    (x.name.clone(), "ui.text"),
                    (when(x.executed_s), "ui.dim"),
                    (x.detailed_status.clone(), "ui.text"),
                    (x.error_code.clone(), "status.failed"),
                    (x.id.clone(), "ui.dim"),
                    (x.summary.clone(), "ui.dim"),
                ]
            })
            .collect(),
        summary: counts(a.iter().map(|x| x.status.as_str()), cut),
    }
}

fn inventory_types_table(ts: &[crate::aws::posture::InventoryType]) -> TabTable {
    TabTable {
        header: ["TYPE", "ENTRIES", "CAPTURED"].map(String::from).to_vec(),
        priority: vec![0, 0, 1],
        rows: ts
            .iter()
            .map(|t| {
                let n = if t.cut {
                    format!("{}+", t.entries.len())
                } else {
                    t.entries.len().to_string()
                };
                vec![
                    (t.type_name.clone(), "ui.key"),
                    (n, "ui.text"),
                    (t.capture_time.clone(), "ui.dim"),
                ]
            })
            .collect(),
        summary: format!("{} types with entries · Enter opens a type", ts.len()),
    }
}

/// Attributes shown first when a type has them, in this order.
const FIRST_ATTRIBUTES: &[&str] = &[
    "Name",
    "DisplayName",
    "HotFixId",
    "Version",
    "Release",
    "Status",
    "StartType",
    "Architecture",
    "IPV4",
    "MacAddress",
    "Publisher",
    "InstalledTime",
];

/// At most this many attributes are columns; the JSON view (`y`) has all.
const MAX_ATTRIBUTE_COLUMNS: usize = 7;

fn inventory_entries_table(t: &crate::aws::posture::InventoryType) -> TabTable {
    let mut cols: Vec<String> = FIRST_ATTRIBUTES
        .iter()
        .filter(|a| t.attributes.iter().any(|x| x == *a))
        .map(|a| (*a).to_owned())
        .collect();
    for a in &t.attributes {
        if cols.len() >= MAX_ATTRIBUTE_COLUMNS {
            break;
        }
        if !cols.contains(a) {
            cols.push(a.clone());
        }
    }
    cols.truncate(MAX_ATTRIBUTE_COLUMNS);
    let priority = (0..cols.len()).map(|i| i.min(255) as u8).collect();
    TabTable {
        header: cols.iter().map(|c| c.to_ascii_uppercase()).collect(),
        priority,
        rows: t
            .entries
            .iter()
            .map(|e| {
                cols.iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let token = if i == 0 { "ui.key" } else { "ui.text" };
                        (e.get(c).cloned().unwrap_or_default(), token)
                    })
                    .collect()
            })
            .collect(),
        summary: format!(
            "{}: {} entries{} · captured {} · Esc back to the types",
            t.type_name,
            t.entries.len(),
            if t.cut { " (more not read)" } else { "" },
            t.capture_time
        ),
    }
}

/// A tab filter: `key:value` terms match the column whose title is
/// `key` (any case), other words match any cell; every term must match,
/// case-insensitive substrings.
struct Terms {
    column: Vec<(usize, String)>,
    words: Vec<String>,
}

impl Terms {
    fn parse(text: &str, header: &[String]) -> Terms {
        let mut t = Terms {
            column: Vec::new(),
            words: Vec::new(),
        };
        for word in text.split_whitespace() {
            let lower = word.to_lowercase();
            let col = lower.split_once(':').and_then(|(k, v)| {
                header
                    .iter()
                    .position(|h| h.to_lowercase() == k)
                    .map(|i| (i, v.to_owned()))
            });
            match col {
                Some(c) => t.column.push(c),
                None => t.words.push(lower),
            }
        }
        t
    }

    fn keep(&self, row: &[TabCell]) -> bool {
        let has = |cell: &str, w: &str| cell.to_lowercase().contains(w);
        self.column
            .iter()
            .all(|(i, v)| row.get(*i).is_some_and(|(c, _)| has(c, v)))
            && self
                .words
                .iter()
                .all(|w| row.iter().any(|(c, _)| has(c, w)))
    }
}

/// Which columns of `table` to draw in `width` characters: their widths
/// from the content (at most 60), the widest narrowed (to 24 at least),
/// then the columns with the highest priority number dropped until the
/// rest fit.
pub fn fit(table: &TabTable, width: u16) -> Vec<(usize, u16)> {
    let natural: Vec<u16> = (0..table.header.len())
        .map(|i| {
            let content = table
                .rows
                .iter()
                .map(|r| r.get(i).map_or(0, |(c, _)| c.chars().count()))
                .max()
                .unwrap_or(0);
            content.max(table.header[i].len()).min(60) as u16
        })
        .collect();
    let mut natural = natural;
    // The widest column (a title) gives up room first, down to 24.
    let sum: u16 = natural.iter().map(|w| w + 1).sum();
    if sum > width
        && let Some((i, w)) = natural.iter().copied().enumerate().max_by_key(|(_, w)| *w)
    {
        natural[i] = w.saturating_sub(sum - width).max(24.min(w));
    }
    let mut keep: Vec<usize> = (0..natural.len()).collect();
    let total = |k: &[usize]| k.iter().map(|i| natural[*i] + 1).sum::<u16>();
    while total(&keep) > width && keep.len() > 1 {
        let worst = keep
            .iter()
            .copied()
            .enumerate()
            .max_by_key(|(at, i)| (table.priority.get(*i).copied().unwrap_or(9), *at))
            .map(|(at, _)| at);
        match worst {
            Some(at) if table.priority.get(keep[at]).copied().unwrap_or(9) > 0 => {
                keep.remove(at);
            }
            _ => break,
        }
    }
    keep.into_iter().map(|i| (i, natural[i])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::posture::{NodePatch, Posture};

    fn patch(state: &str, severity: &str, title: &str) -> NodePatch {
        NodePatch {
            title: title.into(),
            kb_id: title.split('.').next().unwrap_or_default().into(),
            classification: "Security".into(),
            severity: severity.into(),
            state: state.into(),
            installed_s: None,
            cve_ids: "CVE-2024-6387".into(),
        }
    }

    fn posture() -> NodePosture {
        let mut p = NodePosture::default();
        p.follow("i-1");
        p.answers.insert(
            PosturePart::Patches,
            Some(Ok(Posture::Patches(
                vec![
                    patch("FAILED", "Critical", "openssl.x86_64"),
                    patch("MISSING", "Important", "kernel.x86_64"),
                    patch("INSTALLED", "Medium", "bash.x86_64"),
                ],
                false,
            ))),
        );
        p
    }

    #[test]
    fn column_terms_and_words_filter_the_rows() {
        let mut p = posture();
        let t = p.table(PosturePart::Patches).expect("read");
        assert_eq!(p.kept(&t), vec![0, 1, 2]);
        p.filter = "state:miss".into();
        assert_eq!(p.kept(&t), vec![1]);
        p.filter = "severity:critical openssl".into();
        assert_eq!(p.kept(&t), vec![0]);
        p.filter = "SEVERITY:critical kernel".into();
        assert!(p.kept(&t).is_empty());
        // A key that is no column is a word like any other.
        p.filter = "cve-2024".into();
        assert_eq!(p.kept(&t).len(), 3);
        assert_eq!(t.summary, "1 failed · 1 installed · 1 missing");
    }

    #[test]
    fn another_node_forgets_the_answers() {
        let mut p = posture();
        p.filter = "x".into();
        p.follow("i-1");
        assert!(p.answer(PosturePart::Patches).is_some());
        p.follow("i-2");
        assert!(p.answer(PosturePart::Patches).is_none());
        assert!(p.filter.is_empty());
    }

    #[test]
    fn narrow_widths_drop_the_least_needed_columns_first() {
        let p = posture();
        let t = p.table(PosturePart::Patches).expect("read");
        let wide: Vec<usize> = fit(&t, 200).into_iter().map(|(i, _)| i).collect();
        assert_eq!(wide, vec![0, 1, 2, 3, 4, 5, 6]);
        let narrow: Vec<usize> = fit(&t, 40).into_iter().map(|(i, _)| i).collect();
        assert!(narrow.contains(&0) && narrow.contains(&4), "{narrow:?}");
        assert!(
            !narrow.contains(&5),
            "the install time gives way first: {narrow:?}"
        );
    }

    #[test]
    fn tabs_step_around() {
        assert_eq!(
            DetailTab::Overview.step(1),
            Some(DetailTab::Part(PosturePart::Patches))
        );
        assert_eq!(DetailTab::Overview.step(-1), None);
        let last = DetailTab::Part(PosturePart::Associations);
        assert_eq!(last.step(1), Some(last));
    }
}
