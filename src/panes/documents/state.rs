//! The Documents pane's state: every context's documents, the type tab,
//! the search and owner filter, and the route inside the pane (a document,
//! its versions, a diff).

use crate::aws::documents::{Description, Document, OWNERS, TYPES, Version};
use crate::model::{ContextId, ContextLabel};
use crate::pane::Loaded;
use crate::widgets::hits::RowHits;
use crate::widgets::list::ListCursor;
use crate::widgets::raw_json::RawJson;

/// Where inside the pane the user is; Esc walks back one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inner {
    /// A document: its description, parameters and content.
    Document {
        /// Its context.
        ctx: ContextId,
        /// Its name.
        name: String,
        /// The version shown (`None`: the default).
        version: Option<String>,
        /// YAML rather than JSON.
        yaml: bool,
        /// The first line shown.
        scroll: ListCursor,
    },
    /// Its versions, newest first.
    Versions {
        /// Its context.
        ctx: ContextId,
        /// Its name.
        name: String,
        /// The cursor.
        cursor: ListCursor,
        /// The version marked for a diff (Space).
        marked: Option<String>,
    },
    /// A line diff of two versions.
    Diff {
        /// Its name.
        name: String,
        /// The first line shown.
        scroll: ListCursor,
    },
}

/// The Documents pane.
#[derive(Debug, Default)]
pub struct DocumentsState {
    /// Loaded once (the first show).
    pub started: bool,
    /// Generation of the list loads.
    pub generation: u64,
    /// The type tab, by [`TYPES`] position (0: every type).
    pub tab: usize,
    /// A cursor per type tab.
    pub cursors: [ListCursor; 7],
    /// Every context's documents (one row per name and context).
    pub docs: Vec<(ContextId, Document)>,
    /// Contexts still on their way.
    pub pending: usize,
    /// Contexts whose list failed.
    pub failed: Vec<(ContextId, String)>,
    /// The filter as typed: fuzzy text and `owner:`.
    pub filter: String,
    /// The filter before typing began (Esc puts it back).
    pub filter_before: Option<String>,
    /// Why the typed filter does not parse.
    pub filter_error: Option<String>,
    /// The `Owner` the list was read with.
    pub owner: Option<String>,
    /// The rows shown: indexes into `docs`, best match first.
    pub shown: Vec<usize>,
    /// The route inside the pane.
    pub stack: Vec<Inner>,
    /// The document shown's description.
    pub description: Loaded<Description>,
    /// Which document (context and name) `description` is about.
    pub described: Option<(ContextId, String)>,
    /// Its content (the version in view).
    pub content: Loaded<String>,
    /// Its versions.
    pub versions: Loaded<Vec<Version>>,
    /// The diff's versions (older first) and texts.
    pub diff: Loaded<((String, String), (String, String))>,
    /// Every context of the set.
    pub contexts: Vec<ContextLabel>,
    /// The raw JSON view (`y`).
    pub raw: Option<RawJson>,
    /// Where the list's rows were drawn (mouse).
    pub hits: RowHits,
    /// Rows of a list that fit.
    pub page_rows: usize,
    /// The wall clock at the last update, epoch seconds.
    pub now_s: i64,
}

/// Parses the filter: `owner:Self` (or Amazon, Private, Public,
/// ThirdParty; any case) and fuzzy text.
///
/// # Errors
/// An owner ListDocuments does not take, naming the ones it does.
pub fn parse_filter(text: &str) -> Result<(Option<String>, String), String> {
    let mut owner = None;
    let mut free = Vec::new();
    for word in text.split_whitespace() {
        match word.split_once(':') {
            Some((k, v)) if k.eq_ignore_ascii_case("owner") => {
                let o = OWNERS
                    .iter()
                    .find(|o| o.eq_ignore_ascii_case(v))
                    .ok_or_else(|| {
                        format!("owner:{v} is not an owner (one of {})", OWNERS.join(", "))
                    })?;
                owner = Some((*o).to_owned());
            }
            _ => free.push(word),
        }
    }
    Ok((owner, free.join(" ")))
}

impl DocumentsState {
    /// The route's top.
    pub fn inner(&self) -> Option<&Inner> {
        self.stack.last()
    }

    /// How many documents of type tab `i` there are (0: all).
    pub fn count(&self, i: usize) -> usize {
        self.docs
            .iter()
            .filter(|(_, d)| i == 0 || d.kind == TYPES[i])
            .count()
    }

    /// Recomputes the rows shown: the tab's type, the fuzzy text (best
    /// match first, else by name).
    pub fn derive(&mut self) {
        use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
        let text = parse_filter(&self.filter)
            .map(|(_, t)| t)
            .unwrap_or_default();
        let pattern = Pattern::parse(&text, CaseMatching::Smart, Normalization::Smart);
        let mut matcher = nucleo_matcher::Matcher::new(nucleo_matcher::Config::DEFAULT);
        let mut buf = Vec::new();
        let kind = TYPES[self.tab.min(TYPES.len() - 1)];
        let mut scored: Vec<(u32, usize)> = self
            .docs
            .iter()
            .enumerate()
            .filter(|(_, (_, d))| self.tab == 0 || d.kind == kind)
            .filter_map(|(i, (_, d))| {
                if text.is_empty() {
                    return Some((0, i));
                }
                let hay = format!("{} {}", d.name, d.display_name);
                let s =
                    pattern.score(nucleo_matcher::Utf32Str::new(&hay, &mut buf), &mut matcher)?;
                Some((u32::MAX - s, i))
            })
            .collect();
        scored.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| self.docs[a.1].1.name.cmp(&self.docs[b.1].1.name))
        });
        self.shown = scored.into_iter().map(|(_, i)| i).collect();
        let len = self.shown.len();
        let rows = self.page_rows.max(1);
        self.cursors[self.tab].keep_in_view(len, rows);
    }

    /// The document row under the list's cursor.
    pub fn focused(&self) -> Option<&(ContextId, Document)> {
        self.shown
            .get(self.cursors[self.tab].at)
            .map(|i| &self.docs[*i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owner_term_is_checked_and_the_rest_is_fuzzy_text() {
        assert_eq!(
            parse_filter("owner:self restart").unwrap(),
            (Some("Self".into()), "restart".into())
        );
        let e = parse_filter("owner:me").unwrap_err();
        assert!(e.contains("owner:me") && e.contains("ThirdParty"), "{e}");
    }
}
