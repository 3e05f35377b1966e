//! The Parameters pane's state: the hierarchy as a tree, values on demand,
//! SecureString reveal, the editor with its no-lost-update guard, history,
//! labels and diffs.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use ratatui_textarea::TextArea;

use crate::aws::AwsError;
use crate::aws::params::{PutError, PutRequest};
use crate::model::{ParamKind, ParameterMeta, ParameterValue, ParameterVersion};

/// Value size limits in characters, by tier (AWS: 4 KB Standard, 8 KB Advanced).
pub const STANDARD_LIMIT: usize = 4_096;
/// See [`STANDARD_LIMIT`].
pub const ADVANCED_LIMIT: usize = 8_192;
/// Labels per version (AWS limit).
pub const LABEL_LIMIT: usize = 10;

/// One visible row of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TreeRow {
    /// A hierarchy level, e.g. `/prod/api`.
    Folder {
        /// Full path without a trailing slash.
        path: String,
        /// Depth (0 at the root).
        depth: usize,
        /// Whether it is open.
        open: bool,
        /// Parameters known below it (any depth).
        count: usize,
    },
    /// A parameter.
    Param {
        /// Full name.
        name: String,
        /// Depth.
        depth: usize,
    },
}

impl TreeRow {
    /// The full path or name of the row.
    pub fn key(&self) -> &str {
        match self {
            TreeRow::Folder { path, .. } => path,
            TreeRow::Param { name, .. } => name,
        }
    }
}

#[derive(Debug, Default, Clone)]
struct Folder {
    folders: BTreeMap<String, Folder>,
    params: Vec<String>,
    count: usize,
}

/// Splits a name into its folder path and leaf: `/a/b/c` → (`/a/b`, `c`);
/// `c` or `/c` → (``, …) at the root.
pub fn split_name(name: &str) -> (&str, &str) {
    match name.rfind('/') {
        Some(0) | None => ("", name.trim_start_matches('/')),
        Some(i) => (&name[..i], &name[i + 1..]),
    }
}

/// What the editor is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditorKind {
    /// Editing the value of an existing parameter, opened at `version`.
    Edit {
        /// Version the user started from.
        version: i64,
    },
    /// Creating a parameter.
    Create,
}

/// Focusable fields of the editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Name (create only).
    Name,
    /// Type (create only).
    Kind,
    /// Tier.
    Tier,
    /// Description.
    Description,
    /// KMS key (SecureString).
    KeyId,
    /// Data type (create only).
    DataType,
    /// Tags as `Key=Value, Key=Value` (create only).
    Tags,
    /// The value.
    Value,
}

/// The value editor / create form. The user's text lives here until a save
/// succeeds; failures never clear it.
#[derive(Debug)]
pub struct Editor {
    /// Edit or create.
    pub kind: EditorKind,
    /// Parameter name.
    pub name: String,
    /// Type.
    pub param_kind: ParamKind,
    /// Tier: `Standard`, `Advanced` or `Intelligent-Tiering`.
    pub tier: String,
    /// Description.
    pub description: String,
    /// KMS key id or alias (SecureString; empty: `alias/aws/ssm`).
    pub key_id: String,
    /// Regular expression values must match (from the parameter).
    pub allowed_pattern: String,
    /// Data type: `text` or `aws:ec2:image`.
    pub data_type: String,
    /// Tags typed as `Key=Value, Key=Value` (create only).
    pub tags: String,
    /// The value being edited.
    pub value: TextArea<'static>,
    /// Focused field.
    pub focus: Field,
    /// Why the last save attempt failed (validation or AWS), if it did.
    pub error: Option<String>,
    /// The other writer's value when a save was refused as a conflict.
    pub theirs: Option<ParameterValue>,
    /// A save is in flight.
    pub saving: bool,
    /// The value when the editor opened (to tell unsaved changes).
    pub original: String,
    /// Esc was pressed once with unsaved changes; a second Esc discards.
    pub discard_armed: bool,
    /// Where the cursor stands in the focused one-line field, in
    /// characters (`None`: at the end); reset when the focus moves.
    pub cursor: Option<usize>,
}

impl Editor {
    /// The value text (lines joined with `\n`).
    pub fn text(&self) -> String {
        self.value.lines().join("\n")
    }

    /// Fields in focus order for this editor.
    pub fn fields(&self) -> Vec<Field> {
        let mut f = Vec::new();
        if self.kind == EditorKind::Create {
            f.extend([Field::Name, Field::Kind]);
        }
        f.extend([Field::Tier, Field::Description]);
        if self.param_kind == ParamKind::SecureString && self.kind == EditorKind::Create {
            f.push(Field::KeyId);
        }
        if self.kind == EditorKind::Create {
            f.extend([Field::DataType, Field::Tags]);
        }
        f.push(Field::Value);
        f
    }

    /// The tags field parsed into pairs.
    ///
    /// # Errors
    /// Which item is not `Key=Value`.
    pub fn parsed_tags(&self) -> Result<Vec<(String, String)>, String> {
        let mut out = Vec::new();
        for item in self
            .tags
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            match item.split_once('=') {
                Some((k, v)) if !k.trim().is_empty() => {
                    out.push((k.trim().to_owned(), v.trim().to_owned()))
                }
                _ => {
                    return Err(format!(
                        "tag '{item}' is not Key=Value (write tags as Env=prod, Team=payments)"
                    ));
                }
            }
        }
        Ok(out)
    }

    /// Client-side checks before calling AWS: name, size by tier,
    /// AllowedPattern, StringList syntax, tags. Returns what is wrong and what to do.
    pub fn validate(&self) -> Result<(), String> {
        validate_name(&self.name)?;
        let description = self.description.chars().count();
        if description > DESCRIPTION_LIMIT {
            return Err(format!(
                "the description has {description} characters; Parameter Store allows {DESCRIPTION_LIMIT}"
            ));
        }
        if !self.key_id.is_empty() {
            validate_key_id(&self.key_id)?;
        }
        for (k, v) in self.parsed_tags()? {
            validate_tag(&k, &v)?;
        }
        let value = self.text();
        if value.is_empty() {
            return Err("the value is empty: Parameter Store needs at least one character".into());
        }
        let chars = value.chars().count();
        let limit = if self.tier == "Advanced" {
            ADVANCED_LIMIT
        } else {
            STANDARD_LIMIT
        };
        if chars > limit {
            return Err(if self.tier == "Advanced" {
                format!(
                    "the value has {chars} characters; the Advanced tier allows {ADVANCED_LIMIT}"
                )
            } else {
                format!(
                    "the value has {chars} characters; the Standard tier allows {STANDARD_LIMIT}: switch the tier to Advanced (Tab to the tier, Space to change) for up to {ADVANCED_LIMIT}"
                )
            });
        }
        if self.param_kind == ParamKind::StringList
            && value.split(',').any(|item| item.trim().is_empty())
        {
            return Err(
                "StringList values are comma-separated items; one item is empty (look for ,, or a trailing comma)".into(),
            );
        }
        if !self.allowed_pattern.is_empty() {
            match regex::Regex::new(&self.allowed_pattern) {
                Ok(re) if !re.is_match(&value) => {
                    return Err(format!(
                        "the value does not match the parameter's AllowedPattern {}",
                        self.allowed_pattern
                    ));
                }
                Ok(_) => {}
                Err(_) => {}
            }
        }
        Ok(())
    }

    /// The PutParameter request this editor describes.
    pub fn request(&self) -> PutRequest {
        PutRequest {
            name: self.name.clone(),
            value: self.text(),
            kind: self.param_kind,
            tier: Some(self.tier.clone()),
            description: (!self.description.is_empty()).then(|| self.description.clone()),
            key_id: (!self.key_id.is_empty()).then(|| self.key_id.clone()),
            data_type: (self.kind == EditorKind::Create).then(|| self.data_type.clone()),
            tags: if self.kind == EditorKind::Create {
                self.parsed_tags().unwrap_or_default()
            } else {
                Vec::new()
            },
            expected_version: match (&self.kind, &self.theirs) {
                (EditorKind::Create, _) => None,
                // After a conflict, saving again means "overwrite theirs".
                (EditorKind::Edit { .. }, Some(t)) => Some(t.version),
                (EditorKind::Edit { version }, None) => Some(*version),
            },
        }
    }
}

/// PutParameter `Description` (model `ParameterDescription`), characters.
pub const DESCRIPTION_LIMIT: usize = 1_024;

/// The service model's `TagKey` / `TagValue` pattern (letters, separators,
/// numbers and `_ . : / = + - @`).
const TAG_PATTERN: &str = r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$";

/// Checks a tag as AWS does: a key of 1 … 128 and a value of 0 … 256
/// characters, both of [`TAG_PATTERN`].
///
/// # Errors
/// Which tag is wrong and the rule.
pub fn validate_tag(key: &str, value: &str) -> Result<(), String> {
    static RE: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(TAG_PATTERN).expect("model pattern"));
    let (k, v) = (key.chars().count(), value.chars().count());
    if !(1..=128).contains(&k) {
        return Err(format!(
            "tag key '{key}' has {k} characters; AWS allows 1 to 128"
        ));
    }
    if v > 256 {
        return Err(format!(
            "the value of tag {key} has {v} characters; AWS allows 256"
        ));
    }
    if let Some(text) = [key, value].into_iter().find(|t| !RE.is_match(t)) {
        return Err(format!(
            "tag '{key}={value}': '{text}' may use only letters, digits, spaces and _ . : / = + - @"
        ));
    }
    Ok(())
}

/// Checks a KMS key id as PutParameter does (model `ParameterKeyId`: 1 … 256
/// characters of `a-zA-Z0-9:/_-`, e.g. `alias/my-key` or a key ARN).
///
/// # Errors
/// What is wrong with the key id.
pub fn validate_key_id(key_id: &str) -> Result<(), String> {
    let n = key_id.chars().count();
    if !(1..=256).contains(&n) {
        return Err(format!(
            "the KMS key id has {n} characters; AWS allows 1 to 256"
        ));
    }
    if let Some(c) = key_id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || ":/_-".contains(*c)))
    {
        return Err(format!(
            "the KMS key id contains '{c}': use a key id, alias/name or key ARN (letters, digits and : / _ -)"
        ));
    }
    Ok(())
}

/// Checks a parameter version label as Parameter Store does (user guide,
/// "Working with parameter labels"): 1 … 100 characters of letters, digits,
/// `.`, `-`, `_`, not beginning with a digit, `aws` or `ssm` (any case).
/// AWS answers a label that breaks these in `InvalidLabels` and does not
/// attach it; the console says so before the call.
///
/// # Errors
/// What is wrong with the label and the rule.
pub fn validate_label(label: &str) -> Result<(), String> {
    let n = label.chars().count();
    if !(1..=100).contains(&n) {
        return Err(format!("the label has {n} characters; AWS allows 1 to 100"));
    }
    let lower = label.to_ascii_lowercase();
    if lower.starts_with("aws") || lower.starts_with("ssm") {
        return Err("a label may not begin with aws or ssm (any case)".into());
    }
    if label.starts_with(|c: char| c.is_ascii_digit()) {
        return Err("a label may not begin with a digit".into());
    }
    if let Some(c) = label
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "._-".contains(*c)))
    {
        return Err(format!(
            "the label contains '{c}': use only letters, digits and . - _"
        ));
    }
    Ok(())
}

/// Checks a parameter name as Parameter Store does, before any call.
///
/// # Errors
/// What is wrong with the name, and the rule.
pub fn validate_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the name is empty".into());
    }
    if name.chars().count() > 2_048 {
        return Err(format!(
            "the name has {} characters; the limit is 2,048 including the path",
            name.chars().count()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_.-/".contains(*c)))
    {
        return Err(format!(
            "the name contains '{c}': use only letters, digits and _ . - /"
        ));
    }
    if name.contains('/') && !name.starts_with('/') {
        return Err("a name with a path must start with /".into());
    }
    if name.ends_with('/') || name.contains("//") {
        return Err("the name has an empty path level (// or a trailing /)".into());
    }
    let lower = name.trim_start_matches('/').to_ascii_lowercase();
    if lower.starts_with("aws") || lower.starts_with("ssm") {
        return Err("names may not begin with aws or ssm (any case)".into());
    }
    let levels = name.trim_start_matches('/').split('/').count();
    if levels > 15 {
        return Err(format!(
            "the name has {levels} hierarchy levels; the limit is 15"
        ));
    }
    Ok(())
}

/// The history view of one parameter.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// Parameter name.
    pub name: String,
    /// Versions, oldest first (None while loading).
    pub versions: Option<Vec<ParameterVersion>>,
    /// Cursor within `versions`.
    pub cursor: usize,
    /// Version marked for a diff.
    pub marked: Option<i64>,
    /// The two versions being diffed (older, newer).
    pub diff: Option<(i64, i64)>,
    /// Why loading failed.
    pub error: Option<AwsError>,
}

impl History {
    /// The version under the cursor.
    pub fn current(&self) -> Option<&ParameterVersion> {
        self.versions.as_ref()?.get(self.cursor)
    }

    /// A version by number.
    pub fn version(&self, v: i64) -> Option<&ParameterVersion> {
        self.versions.as_ref()?.iter().find(|x| x.version == v)
    }
}

/// A background index of the whole account.
#[derive(Debug, Clone, Default)]
pub struct IndexProgress {
    /// Pages read.
    pub pages: u32,
    /// Finished.
    pub done: bool,
    /// Started at all.
    pub started: bool,
    /// A page failed with a passing fault and is asked for again.
    pub stalled: Option<crate::aws::resume::Stall>,
    /// The index ended without every page: why, in a few words. The
    /// names known are then not every parameter of the account.
    pub stopped: Option<String>,
}

/// The Parameters pane's state.
#[derive(Debug, Default)]
pub struct ParamsState {
    /// Where this pane works when the console spans a context set
    /// (`first context only: ACCOUNT REGION`), shown in its title; `None`
    /// with one context.
    pub scope: Option<String>,
    /// The raw JSON view of a parameter's metadata (never its value), drawn
    /// over the pane while open.
    pub json: Option<crate::widgets::raw_json::RawJson>,
    /// AWS read calls the pane made: every `DescribeParameters` page (index
    /// and levels), `GetParameters` batch and reveal.
    pub calls: u32,
    /// Where the last draw put the list's rows (mouse clicks).
    pub hits: crate::widgets::hits::RowHits,
    /// Every parameter known so far, by name.
    pub known: BTreeMap<String, ParameterMeta>,
    tree: Folder,
    /// Open folders.
    pub open: BTreeSet<String>,
    /// Levels listed completely.
    pub levels_loaded: HashSet<String>,
    /// Levels being listed.
    pub levels_loading: HashSet<String>,
    /// Visible rows.
    pub rows: Vec<TreeRow>,
    /// Cursor row.
    pub cursor: usize,
    /// Key of the row under the cursor (kept across rebuilds).
    pub cursor_key: Option<String>,
    /// First visible row.
    pub scroll: usize,
    /// Values read so far (SecureString: ciphertext; never the clear text).
    pub values: HashMap<String, ParameterValue>,
    /// Names whose values were asked for.
    pub values_requested: HashSet<String>,
    /// The one revealed SecureString (clear text), re-masked when the cursor moves.
    pub revealed: Option<ParameterValue>,
    /// Background index progress.
    pub index: IndexProgress,
    /// Global search text (fuzzy over every known name), when searching.
    pub search: Option<String>,
    /// The search as it was when its input opened (Esc goes back to it).
    pub search_before: Option<String>,
    /// The editor or create form.
    pub editor: Option<Editor>,
    /// The history view.
    pub history: Option<History>,
    /// The comparison across the context set (`=`), drawn over the pane
    /// while open: the name, and each context's answer once read.
    pub compare: Option<(String, Option<Vec<super::jobs::Compared>>)>,
    /// The context set's labels (one or none: one context), set by the shell.
    pub contexts: Vec<crate::model::ContextLabel>,
    /// The context of the set the pane browses (`w` changes it): every
    /// job runs there ([`ParamsJob::At`](super::jobs::ParamsJob::At)).
    pub browse: crate::model::ContextId,
    /// Last error of a listing or action.
    pub error: Option<AwsError>,
    /// Labels by parameter and version, as last read from its history.
    pub labels: HashMap<String, Vec<(i64, Vec<String>)>>,
    /// Whether the pane has been opened (loads start then).
    pub started: bool,
    /// A SecureString the user asked to edit: the editor opens when its
    /// clear value arrives.
    pub edit_when_revealed: Option<String>,
    dirty_tree: bool,
    dirty_rows: bool,
}

impl ParamsState {
    /// Adds or replaces parameters in the known set.
    pub fn learn(&mut self, metas: Vec<ParameterMeta>) {
        for m in metas {
            if let Some(v) = self.values.get(&m.name)
                && v.version != m.version
            {
                // A newer version exists: the cached value is stale.
                self.values.remove(&m.name);
                self.values_requested.remove(&m.name);
            }
            self.known.insert(m.name.clone(), m);
        }
        self.dirty_tree = true;
    }

    /// Replaces one level's parameters (drops ones that are gone from it).
    pub fn replace_level(&mut self, path: &str, metas: Vec<ParameterMeta>) {
        let fresh: HashSet<&str> = metas.iter().map(|m| m.name.as_str()).collect();
        let gone: Vec<String> = self
            .known
            .keys()
            .filter(|n| split_name(n).0 == path && !fresh.contains(n.as_str()))
            .cloned()
            .collect();
        for g in gone {
            self.known.remove(&g);
        }
        self.learn(metas);
        self.levels_loaded.insert(path.to_owned());
        self.levels_loading.remove(path);
    }

    /// Forgets one parameter (after a delete).
    pub fn forget(&mut self, name: &str) {
        self.known.remove(name);
        self.values.remove(name);
        self.values_requested.remove(name);
        if self.revealed.as_ref().is_some_and(|r| r.name == name) {
            self.revealed = None;
        }
        self.dirty_tree = true;
    }

    fn rebuild_tree(&mut self) {
        let mut root = Folder::default();
        for name in self.known.keys() {
            let (dir, _) = split_name(name);
            let mut node = &mut root;
            node.count += 1;
            if !dir.is_empty() {
                let mut path = String::new();
                for part in dir.trim_start_matches('/').split('/') {
                    path.push('/');
                    path.push_str(part);
                    node = node.folders.entry(path.clone()).or_default();
                    node.count += 1;
                }
            }
            node.params.push(name.clone());
        }
        self.tree = root;
    }

    fn flatten(&self, folder: &Folder, depth: usize, out: &mut Vec<TreeRow>) {
        for (path, f) in &folder.folders {
            let open = self.open.contains(path);
            out.push(TreeRow::Folder {
                path: path.clone(),
                depth,
                open,
                count: f.count,
            });
            if open {
                self.flatten(f, depth + 1, out);
            }
        }
        for name in &folder.params {
            out.push(TreeRow::Param {
                name: name.clone(),
                depth,
            });
        }
    }

    /// Recomputes the tree and rows if needed, keeping the cursor on the same row.
    pub fn settle_rows(&mut self, page_rows: usize) {
        if self.dirty_tree {
            self.rebuild_tree();
            self.dirty_tree = false;
            self.dirty_rows = true;
        }
        if !self.dirty_rows {
            return;
        }
        self.dirty_rows = false;
        let mut rows = Vec::new();
        match &self.search {
            Some(q) if !q.is_empty() => {
                let pattern = nucleo_matcher::pattern::Pattern::parse(
                    q,
                    nucleo_matcher::pattern::CaseMatching::Smart,
                    nucleo_matcher::pattern::Normalization::Smart,
                );
                let mut matcher = crate::filter::new_matcher();
                let mut buf = Vec::new();
                let mut scored: Vec<(u32, &String)> = self
                    .known
                    .keys()
                    .filter_map(|n| {
                        let hay = nucleo_matcher::Utf32Str::new(n, &mut buf);
                        pattern.score(hay, &mut matcher).map(|s| (s, n))
                    })
                    .collect();
                scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
                rows.extend(scored.into_iter().map(|(_, n)| TreeRow::Param {
                    name: n.clone(),
                    depth: 0,
                }));
            }
            _ => self.flatten(&self.tree, 0, &mut rows),
        }
        self.rows = rows;
        let found = self
            .cursor_key
            .as_ref()
            .and_then(|k| self.rows.iter().position(|r| r.key() == k));
        self.cursor = found.unwrap_or(self.cursor.min(self.rows.len().saturating_sub(1)));
        self.follow(page_rows);
    }

    fn follow(&mut self, page_rows: usize) {
        let h = page_rows.max(1);
        if self.cursor < self.scroll {
            self.scroll = self.cursor;
        } else if self.cursor >= self.scroll + h {
            self.scroll = self.cursor + 1 - h;
        }
        self.scroll = self.scroll.min(self.rows.len().saturating_sub(h));
    }

    /// The row under the cursor.
    pub fn current(&self) -> Option<&TreeRow> {
        self.rows.get(self.cursor)
    }

    /// The parameter under the cursor.
    pub fn current_param(&self) -> Option<&ParameterMeta> {
        match self.current()? {
            TreeRow::Param { name, .. } => self.known.get(name),
            TreeRow::Folder { .. } => None,
        }
    }

    /// Moves the cursor; a move re-masks a revealed SecureString.
    pub fn move_to(&mut self, row: usize, page_rows: usize) {
        self.cursor = row.min(self.rows.len().saturating_sub(1));
        self.cursor_key = self.current().map(|r| r.key().to_owned());
        if self
            .revealed
            .as_ref()
            .is_some_and(|r| Some(r.name.as_str()) != self.cursor_key.as_deref())
        {
            self.revealed = None;
        }
        self.follow(page_rows);
    }

    /// Moves the cursor by `delta` rows.
    pub fn move_by(&mut self, delta: isize, page_rows: usize) {
        let row = self.cursor.saturating_add_signed(delta);
        self.move_to(row, page_rows);
    }

    /// Shows `path` (a parameter name or a level) in the tree: opens every
    /// level above it, leaves search, and puts the cursor on it. Returns the
    /// levels that must be listed.
    pub fn reveal_in_tree(&mut self, path: &str) -> Vec<String> {
        let dir = if self.known.contains_key(path) {
            split_name(path).0.to_owned()
        } else {
            path.to_owned()
        };
        let mut levels = Vec::new();
        let mut at = String::new();
        for part in dir
            .trim_start_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
        {
            at.push('/');
            at.push_str(part);
            if let Some(l) = self.open_folder(&at) {
                levels.push(l);
            }
        }
        self.cursor_key = Some(path.to_owned());
        self.set_search(None);
        levels
    }

    /// Opens a folder; returns the path if its level should be listed.
    pub fn open_folder(&mut self, path: &str) -> Option<String> {
        self.open.insert(path.to_owned());
        self.dirty_rows = true;
        if self.levels_loaded.contains(path) || self.levels_loading.contains(path) {
            None
        } else {
            self.levels_loading.insert(path.to_owned());
            Some(path.to_owned())
        }
    }

    /// Closes a folder (or, on a parameter or closed folder, moves to the parent).
    pub fn close(&mut self, page_rows: usize) {
        let Some(row) = self.current().cloned() else {
            return;
        };
        match row {
            TreeRow::Folder {
                path, open: true, ..
            } => {
                self.open.remove(&path);
                self.dirty_rows = true;
            }
            other => {
                let parent = split_name(other.key()).0.to_owned();
                if let Some(i) = self.rows.iter().position(|r| r.key() == parent) {
                    self.move_to(i, page_rows);
                }
            }
        }
    }

    /// Sets the search text (`None` leaves search).
    pub fn set_search(&mut self, q: Option<String>) {
        self.search = q;
        self.dirty_rows = true;
    }

    /// Names of visible parameters whose values are not loaded or asked for.
    pub fn values_to_load(&mut self, page_rows: usize) -> Vec<String> {
        let end = (self.scroll + page_rows).min(self.rows.len());
        let mut want = Vec::new();
        for r in &self.rows[self.scroll.min(end)..end] {
            if let TreeRow::Param { name, .. } = r
                && !self.values_requested.contains(name)
            {
                want.push(name.clone());
            }
        }
        for n in &want {
            self.values_requested.insert(n.clone());
        }
        want
    }

    /// Applies a save result. Returns a notice on success.
    pub fn saved(&mut self, name: &str, result: Result<i64, PutError>) -> Option<String> {
        let editor = self.editor.as_mut()?;
        if editor.name != name {
            return None;
        }
        editor.saving = false;
        match result {
            Ok(version) => {
                let created = editor.kind == EditorKind::Create;
                let meta = ParameterMeta {
                    name: editor.name.clone(),
                    kind: editor.param_kind,
                    version,
                    tier: editor.tier.clone(),
                    description: editor.description.clone(),
                    allowed_pattern: editor.allowed_pattern.clone(),
                    ..self.known.get(name).cloned().unwrap_or_default()
                };
                self.editor = None;
                self.values.remove(name);
                self.values_requested.remove(name);
                if self.revealed.as_ref().is_some_and(|r| r.name == name) {
                    self.revealed = None;
                }
                self.learn(vec![meta]);
                self.cursor_key = Some(name.to_owned());
                Some(format!(
                    "{} {name}: version {version}",
                    if created { "created" } else { "saved" }
                ))
            }
            Err(PutError::Conflict(theirs)) => {
                editor.error = Some(format!(
                    "not saved: {name} changed to version {} since you opened it. Theirs is shown beside yours; your text is kept. Ctrl-S again overwrites theirs, Esc discards yours.",
                    theirs.version
                ));
                editor.theirs = Some(theirs);
                None
            }
            Err(PutError::Aws(e)) => {
                editor.error = Some(format!("not saved: {e}. Your text is kept."));
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_key_ids_and_labels_follow_the_service_model() {
        assert!(validate_tag("Env name:ü/=+-@._", "").is_ok());
        assert!(validate_tag(&"k".repeat(128), &"v".repeat(256)).is_ok());
        assert!(validate_tag("", "v").is_err());
        assert!(validate_tag(&"k".repeat(129), "v").is_err());
        assert!(validate_tag("k", &"v".repeat(257)).is_err());
        assert!(validate_tag("a*b", "v").is_err());
        assert!(validate_tag("k", "a;b").is_err());
        for ok in [
            "alias/team-key_1",
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ] {
            assert!(validate_key_id(ok).is_ok(), "{ok}");
        }
        for bad in ["alias/my key", "key*", &"k".repeat(257)] {
            assert!(validate_key_id(bad).is_err(), "{bad}");
        }
        for ok in ["prod", "v1.2-rc_3", &"l".repeat(100)] {
            assert!(validate_label(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "9lives",
            "awsx",
            "SSM",
            "a/b",
            "has space",
            &"l".repeat(101),
        ] {
            assert!(validate_label(bad).is_err(), "{bad}");
        }
    }
}
