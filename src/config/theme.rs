//! Themes: a named palette, then styles by meaning (`[ui]`, `[status]`,
//! `[severity]`, `[diff]`). Built-ins are embedded; a user theme of the same
//! name in `themes/NAME.toml` wins, token by token.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use super::{ConfigProblem, line_of};

/// Built-in themes: (name, TOML).
pub const BUILTIN_THEMES: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("gruvbox", include_str!("../../themes/gruvbox.toml")),
    ("prod", include_str!("../../themes/prod.toml")),
];

/// Every token a theme may set, as `section.name`. Rendering asks only for these.
pub const TOKENS: &[&str] = &[
    "ui.header",
    "ui.header_label",
    "ui.header_value",
    "ui.tab_active",
    "ui.tab_inactive",
    "ui.border",
    "ui.title",
    "ui.table_header",
    "ui.cursor",
    "ui.selected",
    "ui.match",
    "ui.dim",
    "ui.text",
    "ui.key",
    "ui.notice",
    "ui.stale",
    "ui.error",
    "ui.input",
    "status.online",
    "status.connection_lost",
    "status.inactive",
    "status.pending",
    "status.in_progress",
    "status.success",
    "status.failed",
    "status.cancelled",
    "status.timed_out",
    "status.incomplete",
    "severity.critical",
    "severity.high",
    "severity.medium",
    "severity.low",
    "diff.added",
    "diff.removed",
    "diff.changed",
];

/// Resolved styles by token.
#[derive(Debug, Clone, Default)]
pub struct Theme {
    /// Theme name.
    pub name: String,
    styles: HashMap<&'static str, Style>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum StyleDef {
    Colour(String),
    Full {
        fg: Option<String>,
        bg: Option<String>,
        #[serde(default)]
        bold: bool,
        #[serde(default)]
        italic: bool,
        #[serde(default)]
        underline: bool,
        #[serde(default)]
        reversed: bool,
        #[serde(default)]
        dim: bool,
    },
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    #[serde(default)]
    palette: BTreeMap<String, toml::Spanned<String>>,
    #[serde(default)]
    ui: BTreeMap<toml::Spanned<String>, StyleDef>,
    #[serde(default)]
    status: BTreeMap<toml::Spanned<String>, StyleDef>,
    #[serde(default)]
    severity: BTreeMap<toml::Spanned<String>, StyleDef>,
    #[serde(default)]
    diff: BTreeMap<toml::Spanned<String>, StyleDef>,
}

impl Theme {
    /// The style of a token from [`TOKENS`]; unknown tokens get the default style.
    pub fn style(&self, token: &str) -> Style {
        debug_assert!(
            TOKENS.contains(&token),
            "theme token {token} is not in TOKENS"
        );
        self.styles.get(token).copied().unwrap_or_default()
    }

    /// Drops every colour, keeping bold/underline (for `NO_COLOR`).
    pub fn without_colour(mut self) -> Self {
        for s in self.styles.values_mut() {
            s.fg = None;
            s.bg = None;
        }
        self
    }

    /// Applies one theme file's tokens on top of `self`.
    fn apply(&mut self, text: &str, origin: &str, problems: &mut Vec<ConfigProblem>) {
        let file: ThemeFile = match toml::from_str(text) {
            Ok(f) => f,
            Err(e) => {
                problems.push(ConfigProblem::from_toml(origin, text, &e));
                return;
            }
        };
        let palette: HashMap<&str, &toml::Spanned<String>> =
            file.palette.iter().map(|(k, v)| (k.as_str(), v)).collect();
        // Untagged styles lose spans, so a bad colour is reported at its token's line.
        let colour = |name: &str, at: usize, problems: &mut Vec<ConfigProblem>| -> Option<Color> {
            let raw = palette.get(name).map_or(name, |p| p.get_ref().as_str());
            match Color::from_str(raw) {
                Ok(c) => Some(c),
                Err(_) => {
                    problems.push(ConfigProblem {
                        file: origin.into(),
                        line: Some(line_of(text, at)),
                        message: format!(
                            "unknown colour '{name}': use a [palette] name, \"#rrggbb\", or an ANSI name such as red, lightblue, darkgray"
                        ),
                    });
                    None
                }
            }
        };
        for (section, map) in [
            ("ui", &file.ui),
            ("status", &file.status),
            ("severity", &file.severity),
            ("diff", &file.diff),
        ] {
            for (key, def) in map {
                let full = format!("{section}.{}", key.get_ref());
                let Some(token) = TOKENS.iter().find(|t| **t == full) else {
                    let known: Vec<&str> = TOKENS
                        .iter()
                        .filter_map(|t| t.strip_prefix(section)?.strip_prefix('.'))
                        .collect();
                    problems.push(ConfigProblem {
                        file: origin.into(),
                        line: Some(line_of(text, key.span().start)),
                        message: format!(
                            "unknown theme token '{}' in [{section}]: known tokens are {}",
                            key.get_ref(),
                            known.join(", ")
                        ),
                    });
                    continue;
                };
                let style = match def {
                    StyleDef::Colour(c) => match colour(c, key.span().start, problems) {
                        Some(c) => Style::default().fg(c),
                        None => continue,
                    },
                    StyleDef::Full {
                        fg,
                        bg,
                        bold,
                        italic,
                        underline,
                        reversed,
                        dim,
                    } => {
                        let mut s = Style::default();
                        if let Some(fg) = fg {
                            match colour(fg, key.span().start, problems) {
                                Some(c) => s = s.fg(c),
                                None => continue,
                            }
                        }
                        if let Some(bg) = bg {
                            match colour(bg, key.span().start, problems) {
                                Some(c) => s = s.bg(c),
                                None => continue,
                            }
                        }
                        for (on, m) in [
                            (*bold, Modifier::BOLD),
                            (*italic, Modifier::ITALIC),
                            (*underline, Modifier::UNDERLINED),
                            (*reversed, Modifier::REVERSED),
                            (*dim, Modifier::DIM),
                        ] {
                            if on {
                                s = s.add_modifier(m);
                            }
                        }
                        s
                    }
                };
                self.styles.insert(token, style);
            }
        }
        for (name, v) in &file.palette {
            if palette.contains_key(v.get_ref().as_str()) || Color::from_str(v.get_ref()).is_err() {
                problems.push(ConfigProblem {
                    file: origin.into(),
                    line: Some(line_of(text, v.span().start)),
                    message: format!(
                        "palette colour {name} = '{}' is not \"#rrggbb\" or an ANSI colour name",
                        v.get_ref()
                    ),
                });
            }
        }
    }

    /// Loads theme `name`: the built-in default first, then the built-in of
    /// that name, then the user's file (`user`: origin and text) on top.
    /// Problems are reported; what is valid still applies.
    pub fn load(
        name: &str,
        user: Option<(&str, &str)>,
        problems: &mut Vec<ConfigProblem>,
    ) -> Theme {
        let mut theme = Theme {
            name: name.to_owned(),
            styles: HashMap::new(),
        };
        let (_, default_text) = BUILTIN_THEMES[0];
        theme.apply(default_text, "themes/default.toml (built in)", problems);
        if let Some((n, text)) = BUILTIN_THEMES
            .iter()
            .find(|(n, _)| *n == name && *n != "default")
        {
            theme.apply(text, &format!("themes/{n}.toml (built in)"), problems);
        }
        match user {
            Some((origin, text)) => theme.apply(text, origin, problems),
            None if !BUILTIN_THEMES.iter().any(|(n, _)| *n == name) => {
                problems.push(ConfigProblem {
                    file: "config.toml".into(),
                    line: None,
                    message: format!(
                        "theme '{name}' is neither built in ({}) nor a file themes/{name}.toml in the config directory; using default",
                        BUILTIN_THEMES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                    ),
                });
            }
            None => {}
        }
        theme
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_theme_file_sets_every_token_itself() {
        for (name, text) in BUILTIN_THEMES {
            let mut p = Vec::new();
            let mut t = Theme {
                name: (*name).into(),
                styles: HashMap::new(),
            };
            t.apply(text, name, &mut p);
            assert!(p.is_empty(), "{name}: {p:?}");
            for token in TOKENS {
                assert!(
                    t.styles.contains_key(token),
                    "themes/{name}.toml lacks {token}"
                );
            }
        }
    }

    #[test]
    fn builtin_themes_define_every_token() {
        for (name, _) in BUILTIN_THEMES {
            let mut p = Vec::new();
            let t = Theme::load(name, None, &mut p);
            assert!(p.is_empty(), "{name}: {p:?}");
            for token in TOKENS {
                assert!(t.styles.contains_key(token), "{name} lacks {token}");
            }
        }
    }

    #[test]
    fn problems_name_line_and_token() {
        let user =
            "[palette]\nx = \"#zzzzzz\"\n[ui]\ncursr = \"red\"\nborder = \"chartreuse-ish\"\n";
        let mut p = Vec::new();
        let t = Theme::load("mine", Some(("themes/mine.toml", user)), &mut p);
        let text: Vec<String> = p.iter().map(ToString::to_string).collect();
        assert!(
            text.iter()
                .any(|t| t.starts_with("themes/mine.toml:2:") && t.contains("#zzzzzz")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("themes/mine.toml:4:") && t.contains("cursr")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("themes/mine.toml:5:") && t.contains("chartreuse-ish")),
            "{text:?}"
        );
        // The default's border survives a bad override.
        assert!(t.style("ui.border").fg.is_some());
    }

    #[test]
    fn user_overrides_token() {
        let mut p = Vec::new();
        let t = Theme::load(
            "default",
            Some(("themes/default.toml", "[status]\nfailed = \"#ff0000\"\n")),
            &mut p,
        );
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(t.style("status.failed").fg, Some(Color::Rgb(255, 0, 0)));
    }
}
