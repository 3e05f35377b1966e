//! Keymaps: the embedded `keymaps/default.toml` with the user's `keymap.toml`
//! prepended, validated with file, line and key in every message.

use std::collections::HashMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;

use super::ConfigProblem;
use crate::keys::Command;

/// The built-in keymap.
pub const DEFAULT_KEYMAP: &str = include_str!("../../keymaps/default.toml");

/// Bundled keymaps that apply over the default (`keymap = "vim"` in
/// config.toml): name and text.
pub const BUNDLED_KEYMAPS: &[(&str, &str)] = &[
    ("default", ""),
    ("vim", include_str!("../../keymaps/vim.toml")),
    ("emacs", include_str!("../../keymaps/emacs.toml")),
];

/// Writes [`Layer`] from the pane table ([`pane_table!`](crate::pane_table)):
/// `global` and `list`, one layer per pane (its `layer`, TOML table
/// `keys`), then `confirm` and `choice`.
macro_rules! layers {
    ($d:tt $(
        #[doc = $doc:literal]
        $pane:ident {
            module: $module:ident, state: $state:ident, field: $field:ident, slot: $slot:ident,
            title: $title:literal, short: $short:literal, layer: $layer:ident, keys: $keys:literal,
            $($rest:tt)*
        }
    )*) => {
        /// A keymap layer: `global` applies everywhere, the others in their pane.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Layer {
            /// Everywhere.
            Global,
            /// Every list pane (Fleet, Run Command, Parameters, OpsCenter):
            /// moving through rows, inherited below the pane's own table.
            List,
            $(
                #[doc = concat!("The ", $title, " pane.")]
                $layer,
            )*
            /// A confirmation dialog (`yes`, `no`); nothing else applies there.
            Confirm,
            /// A choice list (`select_next`, `select_prev`, `pick`, `back`; the
            /// digits 1–9 always pick the option they number).
            Choice,
        }

        impl Layer {
            /// Every layer, in help order.
            pub const ALL: &'static [Layer] = &[
                Layer::Global,
                Layer::List,
                $(Layer::$layer,)*
                Layer::Confirm,
                Layer::Choice,
            ];

            /// The TOML table name.
            pub fn name(self) -> &'static str {
                match self {
                    Layer::Global => "global",
                    Layer::List => "list",
                    $(Layer::$layer => $keys,)*
                    Layer::Confirm => "confirm",
                    Layer::Choice => "choice",
                }
            }
        }
    };
}

crate::pane_table!(layers $);

impl Layer {
    fn from_name(s: &str) -> Option<Layer> {
        Layer::ALL.iter().copied().find(|l| l.name() == s)
    }
}

/// One key: code plus Ctrl/Alt (Shift is folded into the character).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeySpec {
    /// The key.
    pub code: KeyCode,
    /// Ctrl and Alt only.
    pub mods: KeyModifiers,
}

impl KeySpec {
    /// Normalises a terminal key event: Shift is dropped for characters
    /// (crossterm reports `G` as Shift+`G`), only Ctrl and Alt are kept.
    pub fn from_event(ev: KeyEvent) -> Self {
        let mut mods = ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let code = match ev.code {
            // Terminals send Ctrl-\\ ] ^ _ as 0x1c…0x1f, which crossterm
            // reports as Ctrl-4…7: name them as written in keymaps.
            KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => KeyCode::Char(match c {
                '4' => '\\',
                '5' => ']',
                '6' => '^',
                '7' => '_',
                c => c.to_ascii_lowercase(),
            }),
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        KeySpec { code, mods }
    }

    /// Parses a key name (`q`, `G`, `<Enter>`, `<C-d>`, `<A-x>`, `<F5>`).
    ///
    /// # Errors
    /// A message naming the key and the accepted forms.
    pub fn parse(name: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "unknown key name '{name}': use a single character or <Enter> <Esc> <Space> <Tab> <BackTab> <Backspace> <Up> <Down> <Left> <Right> <PageUp> <PageDown> <Home> <End> <Delete> <F1>…<F12>, <C-x>, <A-x>"
            )
        };
        let mut chars = name.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            return Ok(KeySpec {
                code: KeyCode::Char(c),
                mods: KeyModifiers::NONE,
            });
        }
        let inner = name
            .strip_prefix('<')
            .and_then(|s| s.strip_suffix('>'))
            .ok_or_else(bad)?;
        let mut mods = KeyModifiers::NONE;
        let mut rest = inner;
        loop {
            if let Some(r) = rest.strip_prefix("C-") {
                mods |= KeyModifiers::CONTROL;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("A-") {
                mods |= KeyModifiers::ALT;
                rest = r;
            } else {
                break;
            }
        }
        let mut rc = rest.chars();
        let code = match (rc.next(), rc.next()) {
            (Some(c), None) => KeyCode::Char(if mods.contains(KeyModifiers::CONTROL) {
                c.to_ascii_lowercase()
            } else {
                c
            }),
            _ => match rest {
                "Enter" | "CR" => KeyCode::Enter,
                "Esc" => KeyCode::Esc,
                "Space" => KeyCode::Char(' '),
                "Tab" => KeyCode::Tab,
                "BackTab" => KeyCode::BackTab,
                "Backspace" => KeyCode::Backspace,
                "Up" => KeyCode::Up,
                "Down" => KeyCode::Down,
                "Left" => KeyCode::Left,
                "Right" => KeyCode::Right,
                "PageUp" => KeyCode::PageUp,
                "PageDown" => KeyCode::PageDown,
                "Home" => KeyCode::Home,
                "End" => KeyCode::End,
                "Delete" => KeyCode::Delete,
                "Insert" => KeyCode::Insert,
                f if f.starts_with('F') => match f[1..].parse::<u8>() {
                    Ok(n @ 1..=12) => KeyCode::F(n),
                    _ => return Err(bad()),
                },
                _ => return Err(bad()),
            },
        };
        Ok(KeySpec { code, mods })
    }
}

/// One binding; `run: None` is an explicit unbind.
#[derive(Debug, Clone)]
pub struct Binding {
    /// The key sequence.
    pub on: Vec<KeySpec>,
    /// The command, or `None` for `unbind`.
    pub run: Option<Command>,
    /// Help text.
    pub desc: String,
    /// The key names as written, joined by spaces, for help.
    pub keys: String,
    /// The 1-based line of the entry in its file.
    pub line: usize,
}

/// What a key sequence resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    /// Run this command.
    Command(Command),
    /// The sequence is the start of a longer binding: wait for more keys.
    Pending,
    /// Nothing is bound (or it was explicitly unbound).
    Nothing,
}

/// The active keymap.
#[derive(Debug, Clone, Default)]
pub struct Keymap {
    layers: HashMap<Layer, LayerMap>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryDef {
    on: toml::Spanned<Vec<toml::Spanned<String>>>,
    run: toml::Spanned<String>,
    #[serde(default)]
    desc: String,
}

/// Byte offsets of line starts, for 1-based line numbers in O(log n)
/// (scanning from the start of the text for every entry was quadratic).
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Lines(starts)
    }

    fn line(&self, offset: usize) -> usize {
        self.0.partition_point(|s| *s <= offset)
    }
}

/// One layer's bindings, with an index for [`Keymap::resolve`]: the
/// first binding of each exact sequence and every proper prefix of a
/// bound sequence, so a lookup does not walk the list.
#[derive(Debug, Clone, Default)]
struct LayerMap {
    bindings: Vec<Binding>,
    exact: HashMap<Vec<KeySpec>, usize>,
    prefixes: std::collections::HashSet<Vec<KeySpec>>,
}

impl LayerMap {
    fn new(bindings: Vec<Binding>) -> Self {
        let mut exact = HashMap::new();
        let mut prefixes = std::collections::HashSet::new();
        for (i, b) in bindings.iter().enumerate() {
            exact.entry(b.on.clone()).or_insert(i);
            if b.run.is_some() {
                for n in 1..b.on.len() {
                    prefixes.insert(b.on[..n].to_vec());
                }
            }
        }
        LayerMap {
            bindings,
            exact,
            prefixes,
        }
    }
}

impl Keymap {
    /// Parses one keymap file's text into per-layer bindings; problems name
    /// `origin` and the line. Each entry is read on its own: a bad one is
    /// reported and dropped, the others apply.
    fn parse_file(
        text: &str,
        origin: &str,
        problems: &mut Vec<ConfigProblem>,
    ) -> HashMap<Layer, Vec<Binding>> {
        let mut out: HashMap<Layer, Vec<Binding>> = HashMap::new();
        let root = match toml::de::DeTable::parse(text) {
            Ok(t) => t.into_inner(),
            Err(e) => {
                problems.push(ConfigProblem::from_toml(origin, text, &e));
                return out;
            }
        };
        let lines = Lines::new(text);
        let problem = |line: usize, message: String| ConfigProblem {
            file: origin.into(),
            line: Some(line),
            message,
        };
        for (name, def) in root {
            let name_at = lines.line(name.span().start);
            let name = name.get_ref().to_string();
            let Some(layer) = Layer::from_name(&name) else {
                problems.push(ConfigProblem {
                    file: origin.into(),
                    line: find_table_line(text, &name).or(Some(name_at)),
                    message: format!(
                        "unknown keymap layer [{name}]: use {}",
                        Layer::ALL
                            .iter()
                            .map(|l| format!("[{}]", l.name()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
                continue;
            };
            let toml::de::DeValue::Table(def) = def.into_inner() else {
                problems.push(problem(
                    name_at,
                    format!("[{name}] must be a table: write [{name}] then keymap = [ ... ]"),
                ));
                continue;
            };
            for (key, entries) in def {
                let at = lines.line(key.span().start);
                if key.get_ref().as_ref() != "keymap" {
                    problems.push(problem(
                        at,
                        format!(
                            "[{name}] unknown field `{}`, expected `keymap`",
                            key.get_ref()
                        ),
                    ));
                    continue;
                }
                let toml::de::DeValue::Array(entries) = entries.into_inner() else {
                    problems.push(problem(
                        at,
                        format!("[{name}] keymap must be a list: write keymap = [ {{ on = [\"q\"], run = \"quit\" }} ]"),
                    ));
                    continue;
                };
                let bindings = out.entry(layer).or_default();
                for entry in entries {
                    let entry_at = entry.span().start;
                    match EntryDef::deserialize(toml::de::ValueDeserializer::from(entry)) {
                        Ok(e) => {
                            if let Some(b) = Self::binding(e, &name, &lines, origin, problems) {
                                bindings.push(b);
                            }
                        }
                        Err(e) => problems.push(problem(
                            lines.line(e.span().map_or(entry_at, |s| s.start)),
                            format!(
                                "[{name}] {}: write {{ on = [\"KEY\"], run = \"ACTION\", desc = \"…\" }}",
                                e.message().trim().replace('\n', " ")
                            ),
                        )),
                    }
                }
            }
        }
        out
    }

    /// One entry of layer `name` as a binding, or its problems reported.
    fn binding(
        entry: EntryDef,
        name: &str,
        lines: &Lines,
        origin: &str,
        problems: &mut Vec<ConfigProblem>,
    ) -> Option<Binding> {
        let line = lines.line(entry.run.span().start);
        let run_name = entry.run.get_ref();
        let run = if run_name == "unbind" {
            None
        } else if let Some(c) = Command::from_name(run_name) {
            Some(c)
        } else {
            problems.push(ConfigProblem {
                file: origin.into(),
                line: Some(line),
                message: format!(
                    "[{name}] unknown action '{run_name}' (keys {}): use one of {}, or unbind",
                    entry
                        .on
                        .get_ref()
                        .iter()
                        .map(|k| k.get_ref().as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                    Command::ALL
                        .iter()
                        .map(|c| c.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
            return None;
        };
        if entry.on.get_ref().is_empty() {
            problems.push(ConfigProblem {
                file: origin.into(),
                line: Some(lines.line(entry.on.span().start)),
                message: format!("[{name}] action '{run_name}' has no keys in `on`"),
            });
            return None;
        }
        let mut keys = Vec::new();
        let mut ok = true;
        for k in entry.on.get_ref() {
            match KeySpec::parse(k.get_ref()) {
                Ok(spec) => keys.push(spec),
                Err(message) => {
                    problems.push(ConfigProblem {
                        file: origin.into(),
                        line: Some(lines.line(k.span().start)),
                        message: format!("[{name}] {message}"),
                    });
                    ok = false;
                }
            }
        }
        ok.then(|| Binding {
            keys: entry
                .on
                .get_ref()
                .iter()
                .map(|k| k.get_ref().as_str())
                .collect::<Vec<_>>()
                .join(" "),
            on: keys,
            run,
            desc: entry.desc,
            line,
        })
    }

    /// Builds the keymap: the user's entries (if any) before the defaults.
    /// Invalid entries are skipped and reported; valid ones still apply.
    pub fn load(user: Option<(&str, &str)>, problems: &mut Vec<ConfigProblem>) -> Keymap {
        Self::load_bundled("default", user, problems)
    }

    /// Builds the keymap: the user's entries, then the bundled keymap
    /// `bundled` (`default`, `vim`, `emacs`), then the defaults; earlier
    /// entries win. An unknown bundled name is reported and ignored.
    pub fn load_bundled(
        bundled: &str,
        user: Option<(&str, &str)>,
        problems: &mut Vec<ConfigProblem>,
    ) -> Keymap {
        let mut layers =
            Self::parse_file(DEFAULT_KEYMAP, "keymaps/default.toml (built in)", problems);
        let mut overlays: Vec<(String, &str)> = Vec::new();
        match BUNDLED_KEYMAPS.iter().find(|(n, _)| *n == bundled) {
            Some((_, "")) => {}
            Some((name, text)) => overlays.push((format!("keymaps/{name}.toml (built in)"), text)),
            None => problems.push(ConfigProblem {
                file: "config.toml".into(),
                line: None,
                message: format!(
                    "keymap = \"{bundled}\" is not a bundled keymap: use {}",
                    BUNDLED_KEYMAPS
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        }
        if let Some((origin, text)) = user {
            overlays.push((origin.to_owned(), text));
        }
        for (origin, text) in overlays {
            let over = Self::parse_file(text, &origin, problems);
            misplaced(&over, &origin, problems);
            for (layer, mut bindings) in over {
                let below = layers.remove(&layer).unwrap_or_default();
                bindings.extend(below);
                layers.insert(layer, bindings);
            }
        }
        let origin = user.map_or("keymap", |(o, _)| o);
        keep_a_way_to_quit(&mut layers, origin, problems);
        Keymap {
            layers: layers
                .into_iter()
                .map(|(l, b)| (l, LayerMap::new(b)))
                .collect(),
        }
    }

    /// The layers a key is looked up in for pane layer `pane`, first
    /// match wins: the pane's own, then `list` for list panes, then `global`.
    pub fn chain(pane: Layer) -> Vec<Layer> {
        match pane {
            Layer::Global => vec![Layer::Global],
            Layer::List => vec![Layer::List, Layer::Global],
            Layer::Sessions => vec![pane, Layer::Global],
            // Dialogs see only their own keys: `q` in a choice list cancels
            // it, it does not quit.
            Layer::Confirm | Layer::Choice => vec![pane],
            _ => vec![pane, Layer::List, Layer::Global],
        }
    }

    /// The bindings of `layer`, in lookup order.
    fn of(&self, layer: Layer) -> &[Binding] {
        self.layers
            .get(&layer)
            .map_or(&[], |m| m.bindings.as_slice())
    }

    /// Resolves a key sequence through [`Keymap::chain`] (hash lookups,
    /// not a walk over the bindings).
    pub fn resolve(&self, pane: Layer, seq: &[KeySpec]) -> Resolved {
        for layer in Self::chain(pane) {
            let Some(map) = self.layers.get(&layer) else {
                continue;
            };
            let exact = map.exact.get(seq).map(|i| &map.bindings[*i]);
            if let Some(c) = exact.and_then(|b| b.run) {
                return Resolved::Command(c);
            }
            // An unbound key may start a longer binding (`d` unbound, `d d` bound).
            if map.prefixes.contains(seq) {
                return Resolved::Pending;
            }
            if exact.is_some() {
                return Resolved::Nothing;
            }
            if layer == Layer::Global {
                break;
            }
        }
        Resolved::Nothing
    }

    /// Help rows of a layer: (keys, description), bound entries only, first
    /// binding of each key sequence only (later ones are shadowed).
    pub fn help(&self, layer: Layer) -> Vec<(String, String)> {
        let mut seen: std::collections::HashSet<&[KeySpec]> = std::collections::HashSet::new();
        let mut rows = Vec::new();
        for b in self.of(layer).iter() {
            if !seen.insert(b.on.as_slice()) {
                continue;
            }
            if b.run.is_some() {
                rows.push((b.keys.clone(), b.desc.clone()));
            }
        }
        rows
    }

    /// How many entries `layer` holds (bound and unbound, shadowed included).
    pub fn bindings_count(&self, layer: Layer) -> usize {
        self.of(layer).len()
    }

    /// Bound actions of a layer, first binding of each: keys, action, description.
    pub fn bindings(&self, layer: Layer) -> Vec<(String, Command, String)> {
        let mut seen: Vec<Command> = Vec::new();
        let mut out = Vec::new();
        for b in self.of(layer).iter() {
            if let Some(c) = b.run
                && !seen.contains(&c)
            {
                seen.push(c);
                out.push((b.keys.clone(), c, b.desc.clone()));
            }
        }
        out
    }

    /// The first key sequence that runs `command` in pane layer `layer`
    /// (through [`Keymap::chain`]), for hints. A binding shadowed by an
    /// earlier one (vim's `o` = create over `o` = toggle_groups) does not
    /// count: the hint shows a key that works, or none.
    pub fn key_for(&self, layer: Layer, command: Command) -> Option<String> {
        self.effective_keys(layer, command).into_iter().next()
    }

    /// Every key sequence that runs `command` in pane layer `layer`, in
    /// lookup order (shadowed bindings left out).
    pub fn effective_keys(&self, layer: Layer, command: Command) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for l in Self::chain(layer) {
            for b in self.of(l).iter() {
                if b.run == Some(command)
                    && self.resolve(layer, &b.on) == Resolved::Command(command)
                    && seen.insert(b.keys.as_str())
                {
                    out.push(b.keys.clone());
                }
            }
        }
        out
    }

    /// The help of pane layer `pane`: one section per layer of its chain
    /// (global first), one row per action with every key that runs it
    /// there, described by its longest description. An action whose every
    /// key is shadowed by a nearer binding
    /// keeps a row with no keys and says what its keys do now.
    pub fn help_sections(&self, pane: Layer) -> Vec<HelpSection> {
        let mut chain = Self::chain(pane);
        chain.reverse();
        let mut out = Vec::new();
        for layer in chain {
            let mut rows: Vec<HelpRow> = Vec::new();
            for b in self.of(layer).iter() {
                let Some(c) = b.run else { continue };
                if rows.iter().any(|r| r.action == c) {
                    continue;
                }
                let keys: Vec<String> = self
                    .of(layer)
                    .iter()
                    .filter(|o| {
                        o.run == Some(c) && self.resolve(pane, &o.on) == Resolved::Command(c)
                    })
                    .map(|o| o.keys.clone())
                    .fold(
                        (Vec::new(), std::collections::HashSet::new()),
                        |(mut v, mut seen), k| {
                            if seen.insert(k.clone()) {
                                v.push(k);
                            }
                            (v, seen)
                        },
                    )
                    .0;
                let mut desc = self
                    .of(layer)
                    .iter()
                    .filter(|o| o.run == Some(c))
                    .max_by_key(|o| o.desc.len())
                    .filter(|o| !o.desc.is_empty())
                    .map_or_else(|| c.name().to_owned(), |o| o.desc.clone());
                if keys.is_empty() {
                    let now = match self.resolve(pane, &b.on) {
                        Resolved::Command(other) => other.name(),
                        _ => "nothing".to_owned(),
                    };
                    desc = format!("{desc} (no key: {} now runs {now})", b.keys);
                }
                rows.push(HelpRow {
                    action: c,
                    keys,
                    desc,
                });
            }
            out.push(HelpSection { layer, rows });
        }
        out
    }
}

/// Refuses a keymap that leaves no way to quit: when no key in `[global]`
/// runs `quit`, or none opens the command line (`:quit`), the default
/// bindings of that action go back in front of `[global]` and a problem
/// says so (naming `origin`, the user's file).
fn keep_a_way_to_quit(
    layers: &mut HashMap<Layer, Vec<Binding>>,
    origin: &str,
    problems: &mut Vec<ConfigProblem>,
) {
    for command in [Command::Quit, Command::CommandLine] {
        let probe = Keymap {
            layers: [(
                Layer::Global,
                LayerMap::new(layers.get(&Layer::Global).cloned().unwrap_or_default()),
            )]
            .into(),
        };
        if !probe.effective_keys(Layer::Global, command).is_empty() {
            continue;
        }
        let kept: Vec<Binding> = defaults()
            .get(&Layer::Global)
            .into_iter()
            .flatten()
            .filter(|b| b.run == Some(command))
            .cloned()
            .collect();
        problems.push(ConfigProblem {
            file: origin.into(),
            line: None,
            message: format!(
                "[global] no key runs '{}' (that would leave no way to quit): kept the default {} for it",
                command.name(),
                kept.iter()
                    .map(|b| b.keys.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
        let global = layers.entry(Layer::Global).or_default();
        global.splice(0..0, kept);
    }
}

/// The built-in keymap's bindings, parsed once.
fn defaults() -> &'static HashMap<Layer, Vec<Binding>> {
    static DEFAULTS: std::sync::OnceLock<HashMap<Layer, Vec<Binding>>> = std::sync::OnceLock::new();
    DEFAULTS.get_or_init(|| Keymap::parse_file(DEFAULT_KEYMAP, "default", &mut Vec::new()))
}

/// Reports the bindings of `layers` (one file's, `origin`) whose action
/// their layer's pane does not handle ([`handled`]): `copy_name` in
/// `[fleet]` would do nothing.
fn misplaced(
    layers: &HashMap<Layer, Vec<Binding>>,
    origin: &str,
    problems: &mut Vec<ConfigProblem>,
) {
    let mut sorted: Vec<_> = layers
        .iter()
        .filter(|(l, _)| **l != Layer::Global)
        .collect();
    sorted.sort_by_key(|(l, _)| **l);
    for (layer, bindings) in sorted {
        let works = handled(*layer);
        for b in bindings {
            let Some(c) = b.run else { continue };
            if works.contains(&c) {
                continue;
            }
            let elsewhere: Vec<String> = Layer::ALL
                .iter()
                .filter(|l| **l != Layer::Global && handled(**l).contains(&c))
                .map(|l| format!("[{}]", l.name()))
                .collect();
            problems.push(ConfigProblem {
                file: origin.into(),
                line: Some(b.line),
                message: format!(
                    "[{}] action '{}' (keys {}) does nothing in this layer{}",
                    layer.name(),
                    c.name(),
                    b.keys,
                    if elsewhere.is_empty() {
                        String::new()
                    } else {
                        format!(": bind it in {}", elsewhere.join(", "))
                    }
                ),
            });
        }
    }
}

/// One section of the help overlay: a layer's actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpSection {
    /// The layer.
    pub layer: Layer,
    /// Its actions, in keymap order.
    pub rows: Vec<HelpRow>,
}

/// One action in the help overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpRow {
    /// The action.
    pub action: Command,
    /// Every key sequence that runs it (empty: all shadowed).
    pub keys: Vec<String>,
    /// What it does.
    pub desc: String,
}

/// The actions that work when bound in `layer`: the table is the built-in
/// keymap itself. Every action a pane handles has a default key in its
/// layer (or in `[list]` for the four list panes), and the shell handles
/// the `[global]` actions everywhere; so an action a user binds in a layer
/// outside this set does nothing there (`--check-config` says so). The
/// test `every_hint_is_handled_in_its_layer` keeps the panes' hints inside
/// it.
pub fn handled(layer: Layer) -> Vec<Command> {
    let defaults = defaults();
    let mut layers = vec![layer, Layer::Global];
    if layer == Layer::List || Keymap::chain(layer).contains(&Layer::List) {
        layers.push(Layer::List);
    }
    let mut out = Vec::new();
    for l in layers {
        for b in defaults.get(&l).into_iter().flatten() {
            if let Some(c) = b.run
                && !out.contains(&c)
            {
                out.push(c);
            }
        }
    }
    out
}

fn find_table_line(text: &str, name: &str) -> Option<usize> {
    let header = format!("[{name}]");
    text.lines()
        .position(|l| l.trim_start().starts_with(&header))
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> KeySpec {
        KeySpec::parse(s).unwrap()
    }

    #[test]
    fn list_panes_inherit_the_list_layer_and_can_rebind_its_keys() {
        let mut p = Vec::new();
        let user = r#"
[opscenter]
keymap = [{ on = ["G"], run = "refresh", desc = "x" }]
"#;
        let km = Keymap::load(Some(("keymap.toml", user)), &mut p);
        assert!(p.is_empty(), "{p:?}");
        for layer in [
            Layer::Fleet,
            Layer::Commands,
            Layer::Parameters,
            Layer::OpsCenter,
        ] {
            assert_eq!(
                km.resolve(layer, &[k("<End>")]),
                Resolved::Command(Command::SelectLast),
                "{layer:?}"
            );
            assert_eq!(
                km.key_for(layer, Command::PageDown).as_deref(),
                Some("<C-d>")
            );
        }
        assert_eq!(
            km.resolve(Layer::OpsCenter, &[k("G")]),
            Resolved::Command(Command::Refresh),
            "the pane's own table comes first"
        );
        assert_eq!(
            km.resolve(Layer::Fleet, &[k("G")]),
            Resolved::Command(Command::SelectLast)
        );
        assert_ne!(
            km.resolve(Layer::Sessions, &[k("<End>")]),
            Resolved::Command(Command::SelectLast),
            "Sessions is not a list pane"
        );
    }

    #[test]
    fn every_bundled_keymap_parses_and_layers_over_the_default() {
        for (name, _) in BUNDLED_KEYMAPS {
            let mut p = Vec::new();
            let km = Keymap::load_bundled(name, None, &mut p);
            assert!(p.is_empty(), "{name}: {p:?}");
            // Defaults still apply underneath.
            assert_eq!(
                km.resolve(Layer::Fleet, &[k("j")]),
                Resolved::Command(Command::SelectNext),
                "{name}"
            );
        }
        let mut p = Vec::new();
        let vim = Keymap::load_bundled("vim", None, &mut p);
        assert_eq!(vim.resolve(Layer::Parameters, &[k("d")]), Resolved::Pending);
        assert_eq!(
            vim.resolve(Layer::Parameters, &[k("d"), k("d")]),
            Resolved::Command(Command::Delete)
        );
        assert_eq!(
            vim.resolve(Layer::Fleet, &[k("g"), k("t")]),
            Resolved::Command(Command::NextPane)
        );
        let emacs = Keymap::load_bundled("emacs", None, &mut p);
        assert_eq!(
            emacs.resolve(Layer::OpsCenter, &[k("<C-x>"), k("<C-c>")]),
            Resolved::Command(Command::Quit)
        );
        assert!(p.is_empty(), "{p:?}");
        Keymap::load_bundled("vi", None, &mut p);
        assert!(p[0].message.contains("use default, vim, emacs"), "{p:?}");
    }

    #[test]
    fn an_action_bound_where_its_pane_does_not_handle_it_is_reported() {
        let user = "[fleet]\nkeymap = [\n  { on = [\"y\"], run = \"copy_arn\", desc = \"\" },\n  { on = [\"J\"], run = \"select_next\", desc = \"\" },\n  { on = [\"Q\"], run = \"quit\", desc = \"\" },\n]\n";
        let mut p = Vec::new();
        Keymap::load(Some(("keymap.toml", user)), &mut p);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].line, Some(3));
        assert_eq!(
            p[0].message,
            "[fleet] action 'copy_arn' (keys y) does nothing in this layer: bind it in [parameters]"
        );
        // Row movement works in every list pane ([list] is below them), the
        // global actions everywhere; Sessions has no [list] below it.
        assert!(handled(Layer::OpsCenter).contains(&Command::SelectFirst));
        assert!(handled(Layer::Sessions).contains(&Command::Quit));
        assert!(!handled(Layer::Sessions).contains(&Command::SelectFirst));
        assert!(!handled(Layer::Fleet).contains(&Command::Export));
    }

    #[test]
    fn default_keymap_parses_without_problems() {
        let mut p = Vec::new();
        let km = Keymap::load(None, &mut p);
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(
            km.resolve(Layer::Fleet, &[k("j")]),
            Resolved::Command(Command::SelectNext)
        );
        assert_eq!(km.resolve(Layer::Fleet, &[k("g")]), Resolved::Pending);
        assert_eq!(
            km.resolve(Layer::Fleet, &[k("g"), k("g")]),
            Resolved::Command(Command::SelectFirst)
        );
        assert_eq!(
            km.resolve(Layer::Fleet, &[k("q")]),
            Resolved::Command(Command::Quit)
        );
        assert_eq!(km.resolve(Layer::Fleet, &[k("z")]), Resolved::Nothing);
    }

    #[test]
    fn user_entries_prepend_and_unbind() {
        let user = r#"
[fleet]
keymap = [
  { on = ["n"], run = "select_next", desc = "Next" },
  { on = ["j"], run = "unbind" },
]
[global]
keymap = [ { on = ["q"], run = "unbind" }, { on = ["<C-q>"], run = "quit", desc = "Quit" } ]
"#;
        let mut p = Vec::new();
        let km = Keymap::load(Some(("keymap.toml", user)), &mut p);
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(
            km.resolve(Layer::Fleet, &[k("n")]),
            Resolved::Command(Command::SelectNext)
        );
        assert_eq!(km.resolve(Layer::Fleet, &[k("j")]), Resolved::Nothing);
        assert_eq!(km.resolve(Layer::Fleet, &[k("q")]), Resolved::Nothing);
        assert_eq!(
            km.resolve(Layer::Fleet, &[k("<C-q>")]),
            Resolved::Command(Command::Quit)
        );
        // Unchanged defaults are still there.
        assert_eq!(
            km.resolve(Layer::Fleet, &[k("k")]),
            Resolved::Command(Command::SelectPrev)
        );
        assert!(!km.help(Layer::Fleet).iter().any(|(keys, _)| keys == "j"));
    }

    #[test]
    fn problems_name_file_line_and_key() {
        let user = "[fleet]\nkeymap = [\n  { on = [\"x\"], run = \"selct_next\" },\n  { on = [\"<Hyper-x>\"], run = \"quit\" },\n]\n[fleat]\nkeymap = []\n";
        let mut p = Vec::new();
        Keymap::load(Some(("keymap.toml", user)), &mut p);
        let text: Vec<String> = p.iter().map(ToString::to_string).collect();
        assert!(
            text.iter()
                .any(|t| t.starts_with("keymap.toml:3:") && t.contains("'selct_next'")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("keymap.toml:4:") && t.contains("<Hyper-x>")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("keymap.toml:6:") && t.contains("[fleat]")),
            "{text:?}"
        );
    }

    #[test]
    fn one_bad_entry_drops_only_that_entry() {
        let user = "[global]\nkeymap = [\n  { on = \"Q\", run = \"quit\" },\n  { on = [\"R\"], run = \"refresh\", colour = 1 },\n  { on = [\"<C-r>\"], run = \"refresh\" },\n]\n[fleet]\nkeymap = 3\nextra = []\n[sessions]\nkeymap = [ { on = [\"n\"], run = \"select_next\" } ]\n";
        let mut p = Vec::new();
        let km = Keymap::load(Some(("keymap.toml", user)), &mut p);
        let text: Vec<String> = p.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 4, "{text:?}");
        assert!(
            text.iter()
                .any(|t| t.starts_with("keymap.toml:3: [global] invalid type")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("keymap.toml:4: [global] unknown field `colour`")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("keymap.toml:8: [fleet] keymap must be a list")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("keymap.toml:9: [fleet] unknown field `extra`")),
            "{text:?}"
        );
        // The good entries of the same file apply.
        assert_eq!(
            km.resolve(Layer::Fleet, &[k("<C-r>")]),
            Resolved::Command(Command::Refresh)
        );
        assert_eq!(km.resolve(Layer::Fleet, &[k("R")]), Resolved::Nothing);
        assert_eq!(
            km.resolve(Layer::Sessions, &[k("n")]),
            Resolved::Command(Command::SelectNext)
        );
    }

    #[test]
    fn a_keymap_that_unbinds_every_way_to_quit_is_refused() {
        let user = "[global]\nkeymap = [\n  { on = [\"q\"], run = \"unbind\" },\n  { on = [\"<C-c>\"], run = \"refresh\" },\n  { on = [\":\"], run = \"unbind\" },\n]\n";
        let mut p = Vec::new();
        let km = Keymap::load(Some(("keymap.toml", user)), &mut p);
        let text: Vec<String> = p.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "keymap.toml: [global] no key runs 'quit' (that would leave no way to quit): kept the default q, <C-c> for it",
                "keymap.toml: [global] no key runs 'command_line' (that would leave no way to quit): kept the default : for it",
            ]
        );
        for pane in [Layer::Global, Layer::Fleet, Layer::Sessions] {
            assert_eq!(
                km.resolve(pane, &[k("q")]),
                Resolved::Command(Command::Quit),
                "{pane:?}"
            );
        }
        assert_eq!(
            km.resolve(Layer::Global, &[k(":")]),
            Resolved::Command(Command::CommandLine)
        );
        // Moving quit to another key is fine.
        let user = "[global]\nkeymap = [ { on = [\"q\"], run = \"unbind\" }, { on = [\"<C-c>\"], run = \"unbind\" }, { on = [\"<C-q>\"], run = \"quit\" } ]\n";
        let mut p = Vec::new();
        let km = Keymap::load(Some(("keymap.toml", user)), &mut p);
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(km.resolve(Layer::Fleet, &[k("q")]), Resolved::Nothing);
    }

    #[test]
    fn key_names() {
        assert_eq!(k("<C-d>").mods, KeyModifiers::CONTROL);
        assert_eq!(k("<Space>").code, KeyCode::Char(' '));
        assert_eq!(k("<F5>").code, KeyCode::F(5));
        assert!(KeySpec::parse("<F13>").is_err());
        let ev = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(KeySpec::from_event(ev), k("G"));
    }
}
