//! Configuration: paths, `config.toml`, keymap and theme, each an embedded
//! default plus a user overlay from the config directory, validated.

mod file;
pub mod keymap;
pub mod theme;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

pub use keymap::{Keymap, Layer};
pub use theme::Theme;

/// A problem in a configuration file, shown as `file:line: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// File path (or built-in name).
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong and what to do.
    pub message: String,
}

impl std::fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl ConfigProblem {
    /// From a TOML error, keeping the parser's line and first message line.
    pub fn from_toml(file: &str, text: &str, e: &toml::de::Error) -> Self {
        ConfigProblem {
            file: file.into(),
            line: e.span().map(|s| line_of(text, s.start)),
            message: e.message().trim().replace('\n', " "),
        }
    }
}

/// 1-based line number of byte offset `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// `config.toml`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ConfigFile {
    /// Theme name: built in (`default`) or `themes/NAME.toml` in the config directory.
    pub theme: String,
    /// Fleet auto-refresh interval, seconds; 0 turns it off.
    pub refresh_interval_secs: u64,
    /// Bundled keymap the user keymap applies over: `default`, `vim`, `emacs`.
    pub keymap: String,
    /// Every mutating action disabled (as `--read-only`).
    pub read_only: bool,
    /// Mouse support (click to select, wheel to scroll, click tabs).
    pub mouse: bool,
    /// Run sessions through the official `session-manager-plugin` in a PTY:
    /// `""` off (the native client), `"true"` the plugin on PATH, or its path.
    pub session_plugin: String,
    /// Per AWS profile settings: `[profiles.prod] theme = "…", read_only = true`.
    pub profiles: std::collections::BTreeMap<String, ProfileConfig>,
    /// The Fleet pane: `[fleet] tag_columns = ["Env", "Role", "Team"]`.
    pub fleet: FleetConfig,
    /// The Run Command pane: `[run_command] remember_command_text = true`.
    pub run_command: RunCommandConfig,
    /// Named context sets for `--contexts NAME`:
    /// `[contexts.prod] profiles = ["prod-a", "prod-b"], regions = ["us-east-1", "eu-west-1"]`.
    pub contexts: std::collections::BTreeMap<String, ContextsConfig>,
}

/// `[contexts.NAME]` in `config.toml`: every profile × region pair, or with
/// `role` and `accounts`, that role assumed in each account (from the
/// first profile, or the default chain) × every region.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ContextsConfig {
    /// Profiles from the shared AWS config files.
    pub profiles: Vec<String>,
    /// Regions (`us-east-1`).
    pub regions: Vec<String>,
    /// A role name (`ssmdeck-operator`) or ARN template
    /// (`arn:aws:iam::{account}:role/x`) to assume in each of `accounts`.
    pub role: Option<String>,
    /// 12-digit account ids to assume `role` in.
    pub accounts: Vec<String>,
}

/// `[fleet]` in `config.toml`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct FleetConfig {
    /// Tag keys shown as Fleet columns, in order (exact, case-sensitive
    /// keys as EC2 and SSM return them).
    pub tag_columns: Vec<String>,
    /// `listing = "properties"` (the default: DescribeInstanceProperties,
    /// falling back where the endpoint lacks it) or `"information"`
    /// (DescribeInstanceInformation only: its `IsLatestVersion` comes with
    /// every load instead of when `agent:outdated` asks for it).
    pub listing: crate::aws::fleet::Listing,
}

/// `[run_command]` in `config.toml`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RunCommandConfig {
    /// Whether the command text of each send and the composer's previous
    /// commands (Ctrl-P/Ctrl-N) are kept in `<data dir>/run_command.json`
    /// across restarts. Off by default: command lines can carry secrets
    /// (tokens in a `curl` header, passwords); the ids, context, document,
    /// time and node count of each send are kept either way.
    pub remember_command_text: bool,
}

/// Settings that apply while one AWS profile is in use.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ProfileConfig {
    /// Theme for this profile (a red frame for prod, say).
    pub theme: Option<String>,
    /// Read-only while this profile is in use.
    pub read_only: Option<bool>,
    /// The change calendars that matter in this profile's accounts (the
    /// header's freeze badge, a send's second question); unset: every
    /// change calendar of the account.
    pub change_calendars: Option<Vec<String>>,
}

impl Default for ConfigFile {
    fn default() -> Self {
        ConfigFile {
            theme: "default".into(),
            refresh_interval_secs: 60,
            keymap: "default".into(),
            read_only: false,
            mouse: true,
            session_plugin: String::new(),
            profiles: std::collections::BTreeMap::new(),
            fleet: FleetConfig::default(),
            run_command: RunCommandConfig::default(),
            contexts: std::collections::BTreeMap::new(),
        }
    }
}

/// Everything the console needs from configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The active keymap.
    pub keymap: Keymap,
    /// The active theme.
    pub theme: Theme,
    /// Auto-refresh interval (`None`: off).
    pub refresh_interval: Option<Duration>,
    /// Problems found; valid parts still apply.
    pub problems: Vec<ConfigProblem>,
    /// The directory read.
    pub dir: Option<PathBuf>,
    /// Why mutating actions are disabled, if they are (`--read-only`,
    /// `read_only = true`, or the profile's setting).
    pub read_only: Option<String>,
    /// Across a context set ([`Settings::for_set`]): why each context is
    /// read-only (its profile's `read_only`, or the global one), by
    /// [`ContextId`](crate::model::ContextId); `None` where it may be
    /// written. Empty for one context ([`Settings::read_only`] says it).
    pub context_read_only: Vec<Option<String>>,
    /// Mouse support on.
    pub mouse: bool,
    /// The session-manager-plugin to run sessions through (`None`: the native client).
    pub session_plugin: Option<PathBuf>,
    /// The whole config file, for per-profile lookups on a context switch.
    pub config: ConfigFile,
}

/// The config directory: `$SSMDECK_CONFIG_DIR` if set, else the platform's
/// (`$XDG_CONFIG_HOME/ssmdeck` on Linux).
pub fn config_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("SSMDECK_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    directories::ProjectDirs::from("", "", "ssmdeck").map(|p| p.config_dir().to_path_buf())
}

/// The largest configuration file read (`config.toml`, `keymap.toml`, a
/// theme), bytes: 1 MiB; a bigger file is refused with a problem.
pub const MAX_CONFIG_FILE_BYTES: u64 = 1024 * 1024;

fn read_optional(path: &Path, problems: &mut Vec<ConfigProblem>) -> Option<String> {
    use std::io::Read;
    let cannot = |problems: &mut Vec<ConfigProblem>, message: String| {
        problems.push(ConfigProblem {
            file: path.display().to_string(),
            line: None,
            message,
        });
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            cannot(problems, format!("cannot read: {e}"));
            return None;
        }
    };
    // Read at most one byte past the limit: the size is checked on what
    // was read, not on metadata that a pipe or a growing file may not have.
    let mut bytes = Vec::new();
    if let Err(e) = file.take(MAX_CONFIG_FILE_BYTES + 1).read_to_end(&mut bytes) {
        cannot(problems, format!("cannot read: {e}"));
        return None;
    }
    if bytes.len() as u64 > MAX_CONFIG_FILE_BYTES {
        cannot(
            problems,
            format!(
                "file is larger than the 1 MiB limit ({MAX_CONFIG_FILE_BYTES} bytes) for configuration files: not read, the defaults apply"
            ),
        );
        return None;
    }
    match String::from_utf8(bytes) {
        Ok(t) => Some(t),
        Err(e) => {
            cannot(problems, format!("cannot read: not UTF-8 ({e})"));
            None
        }
    }
}

impl Settings {
    /// Loads settings from `dir` (`None`: built-in defaults only) for no
    /// particular profile.
    pub fn load(dir: Option<&Path>) -> Settings {
        Self::load_for(dir, None)
    }

    /// Settings across a context set whose contexts come from `profiles`
    /// (in set order; `None`: the default chain, read as profile
    /// `default`). Each context is read-only as its own profile says
    /// ([`Settings::context_read_only`]); the console as a whole only when
    /// every context is. The theme follows the strictest profile: the
    /// first read-only context's, else the first context's.
    pub fn for_set(dir: Option<&Path>, profiles: &[Option<String>]) -> Settings {
        let name = |p: &Option<String>| p.clone().unwrap_or_else(|| "default".into());
        let first = profiles
            .first()
            .map(name)
            .unwrap_or_else(|| "default".into());
        let mut settings = Self::load_for(dir, Some(&first));
        if profiles.len() <= 1 {
            return settings;
        }
        let mut by_profile: Vec<(String, Option<String>, Theme)> = Vec::new();
        let mut why = Vec::with_capacity(profiles.len());
        for p in profiles {
            let p = name(p);
            if let Some((_, ro, _)) = by_profile.iter().find(|(n, _, _)| *n == p) {
                why.push(ro.clone());
                continue;
            }
            let s = if p == first {
                (settings.read_only.clone(), settings.theme.clone())
            } else {
                let s = Self::load_for(dir, Some(&p));
                (s.read_only, s.theme)
            };
            let ro = s.0.map(|w| format!("{w}; profile {p} of the set"));
            why.push(ro.clone());
            by_profile.push((p, ro, s.1));
        }
        if let Some((_, _, theme)) = by_profile.iter().find(|(_, ro, _)| ro.is_some()) {
            settings.theme = theme.clone();
        }
        settings.read_only = if why.iter().all(Option::is_some) {
            why[0].clone()
        } else {
            None
        };
        settings.context_read_only = why;
        settings
    }

    /// Loads settings from `dir` for AWS profile `profile`: its
    /// `[profiles.NAME]` theme and read-only setting apply over the global ones.
    ///
    /// A broken `config.toml` fails closed: every setting that could be read
    /// applies, each problem is reported, and when `read_only` is set where
    /// it applies (or cannot be read with certainty) the console is read-only.
    pub fn load_for(dir: Option<&Path>, profile: Option<&str>) -> Settings {
        let mut problems = Vec::new();
        let mut config = ConfigFile::default();
        let mut keymap_text = None;
        let mut forced_read_only: Option<String> = None;
        if let Some(dir) = dir {
            let path = dir.join("config.toml");
            let before = problems.len();
            let text = read_optional(&path, &mut problems);
            if problems.len() > before {
                // There and unreadable (too big, not UTF-8): fail closed.
                forced_read_only = Some(format!(
                    "{} could not be read: read-only until it is fixed",
                    path.display()
                ));
            }
            if let Some(text) = text {
                let parsed = file::parse_config(&path.display().to_string(), &text, profile);
                config = parsed.config;
                problems.extend(parsed.problems);
                forced_read_only = parsed.read_only_unsure;
            }
            let kpath = dir.join("keymap.toml");
            keymap_text =
                read_optional(&kpath, &mut problems).map(|t| (kpath.display().to_string(), t));
        }
        let keymap = Keymap::load_bundled(
            &config.keymap,
            keymap_text.as_ref().map(|(p, t)| (p.as_str(), t.as_str())),
            &mut problems,
        );
        let profile_cfg = profile
            .and_then(|p| config.profiles.get(p))
            .cloned()
            .unwrap_or_default();
        let theme_name = profile_cfg
            .theme
            .clone()
            .unwrap_or_else(|| config.theme.clone());
        let theme_text = dir.and_then(|d| {
            let p = d.join("themes").join(format!("{theme_name}.toml"));
            read_optional(&p, &mut problems).map(|t| (p.display().to_string(), t))
        });
        let read_only = match (profile_cfg.read_only, config.read_only) {
            (Some(true), _) => Some(format!(
                "profile {} is read-only (config.toml [profiles.{}])",
                profile.unwrap_or_default(),
                profile.unwrap_or_default()
            )),
            (Some(false), _) | (None, false) => None,
            (None, true) => Some("read_only = true in config.toml".to_owned()),
        };
        // Fail closed: a read_only that could not be read counts as set.
        let read_only = read_only.or(forced_read_only);
        let mut theme = Theme::load(
            &theme_name,
            theme_text.as_ref().map(|(p, t)| (p.as_str(), t.as_str())),
            &mut problems,
        );
        if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            theme = theme.without_colour();
        }
        Settings {
            keymap,
            theme,
            refresh_interval: (config.refresh_interval_secs > 0)
                .then(|| Duration::from_secs(config.refresh_interval_secs)),
            problems,
            dir: dir.map(Path::to_path_buf),
            read_only,
            context_read_only: Vec::new(),
            mouse: config.mouse,
            session_plugin: (!config.session_plugin.is_empty() && config.session_plugin != "false")
                .then(|| crate::session::plugin::plugin_command(&config.session_plugin)),
            config,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 99), 3);
    }

    #[test]
    fn across_a_set_each_context_is_read_only_as_its_profile_says() {
        let dir = std::env::temp_dir().join(format!("ssmdeck-cfgset-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("config.toml"),
            "theme = \"light\"\n[profiles.prod]\ntheme = \"high-contrast\"\nread_only = true\n",
        )
        .unwrap();
        let p = |n: &str| Some(n.to_owned());
        let mixed = Settings::for_set(Some(&dir), &[p("dev"), p("prod"), p("dev")]);
        assert_eq!(mixed.read_only, None, "the dev rows stay writable");
        assert_eq!(mixed.context_read_only.len(), 3);
        assert!(mixed.context_read_only[0].is_none() && mixed.context_read_only[2].is_none());
        let why = mixed.context_read_only[1].as_deref().unwrap();
        assert!(why.contains("profile prod"), "{why}");
        assert_eq!(
            mixed.theme.name, "high-contrast",
            "the strictest profile's theme"
        );
        let all = Settings::for_set(Some(&dir), &[p("prod"), p("prod")]);
        assert!(
            all.read_only.is_some(),
            "every context read-only: the console is"
        );
        let global = dir.join("global");
        std::fs::create_dir_all(&global).unwrap();
        std::fs::write(
            global.join("config.toml"),
            "read_only = true\n[profiles.dev]\nread_only = false\n",
        )
        .unwrap();
        let g = Settings::for_set(Some(&global), &[p("dev"), None]);
        assert_eq!(g.context_read_only[0], None, "the profile's false wins");
        assert!(
            g.context_read_only[1]
                .as_deref()
                .unwrap()
                .contains("read_only = true")
        );
        let one = Settings::for_set(Some(&dir), &[p("prod")]);
        assert!(one.read_only.is_some() && one.context_read_only.is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn profile_settings_apply_over_the_global_ones() {
        let dir = std::env::temp_dir().join(format!("ssmdeck-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("config.toml"),
            "theme = \"light\"\nkeymap = \"vim\"\n[profiles.prod]\ntheme = \"high-contrast\"\nread_only = true\n",
        )
        .unwrap();
        let prod = Settings::load_for(Some(&dir), Some("prod"));
        assert!(prod.problems.is_empty(), "{:?}", prod.problems);
        assert_eq!(prod.theme.name, "high-contrast");
        assert!(
            prod.read_only
                .as_deref()
                .unwrap()
                .contains("profile prod is read-only")
        );
        let dev = Settings::load_for(Some(&dir), Some("dev"));
        assert_eq!(dev.theme.name, "light");
        assert_eq!(dev.read_only, None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Issue 13 item 13: `[run_command] remember_command_text`, off by
    /// default; a bad value names the key and the values it takes.
    #[test]
    fn remember_command_text_is_off_unless_set_and_a_bad_value_says_so() {
        assert!(!ConfigFile::default().run_command.remember_command_text);
        let p = super::file::parse_config(
            "c.toml",
            "[run_command]\nremember_command_text = true\n",
            None,
        );
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert!(p.config.run_command.remember_command_text);
        let p = super::file::parse_config(
            "c.toml",
            "[run_command]\nremember_command_text = \"yes\"\n",
            None,
        );
        assert!(!p.config.run_command.remember_command_text);
        let text = p.problems[0].to_string();
        assert!(
            text.contains("[run_command] remember_command_text")
                && text.contains("remember_command_text = true or remember_command_text = false"),
            "{text}"
        );
        let p = super::file::parse_config("c.toml", "[run_command]\nremember = true\n", None);
        let text = p.problems[0].to_string();
        assert!(text.contains("`remember_command_text`"), "{text}");
    }

    #[test]
    fn fleet_tag_columns_come_from_config_toml() {
        let c: ConfigFile =
            toml::from_str("[fleet]\ntag_columns = [\"Env\", \"Role\", \"Team\"]\n").unwrap();
        assert_eq!(c.fleet.tag_columns, ["Env", "Role", "Team"]);
        assert!(ConfigFile::default().fleet.tag_columns.is_empty());
        assert!(toml::from_str::<ConfigFile>("[fleet]\ncolumns = []\n").is_err());
        use crate::aws::fleet::Listing;
        assert_eq!(ConfigFile::default().fleet.listing, Listing::Properties);
        let p = super::file::parse_config("c.toml", "[fleet]\nlisting = \"information\"\n", None);
        assert_eq!(p.config.fleet.listing, Listing::Information);
        let p = super::file::parse_config("c.toml", "[fleet]\nlisting = \"fast\"\n", None);
        assert_eq!(p.config.fleet.listing, Listing::Properties);
        let text = p.problems[0].to_string();
        assert!(
            text.contains("listing = \"properties\" or listing = \"information\""),
            "{text}"
        );
    }

    /// Issue 18 item 5: 40,000 keymap entries parse (line numbers and
    /// lookups were quadratic), and a file over the limit is refused with
    /// a message naming it and the limit.
    #[test]
    fn a_large_keymap_parses_and_an_oversize_file_is_refused() {
        let dir = std::env::temp_dir().join(format!("ssmdeck-big-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let letters: Vec<char> = ('a'..='z').chain('A'..='Z').chain('0'..='9').collect();
        let mut text = String::from("[fleet]\nkeymap = [\n");
        for n in 0..40_000 {
            let key = letters[n % letters.len()];
            text.push_str(&format!("{{on=[\"{key}\"],run=\"quit\"}},\n"));
        }
        text.push_str("]\n");
        assert!(text.len() as u64 <= MAX_CONFIG_FILE_BYTES, "{}", text.len());
        std::fs::write(dir.join("keymap.toml"), &text).unwrap();
        let s = Settings::load(Some(&dir));
        assert!(s.problems.is_empty(), "{:?}", &s.problems[..1]);
        let user = s.keymap.bindings_count(Layer::Fleet)
            - Keymap::load(None, &mut Vec::new()).bindings_count(Layer::Fleet);
        assert_eq!(user, 40_000);
        let spec = |c: char| keymap::KeySpec::parse(&c.to_string()).unwrap();
        assert_eq!(
            s.keymap.resolve(Layer::Fleet, &[spec('Z')]),
            keymap::Resolved::Command(crate::keys::Command::Quit)
        );
        assert_eq!(s.keymap.help_sections(Layer::Fleet).len(), 3);

        let big = "# padding\n".repeat(120_000);
        std::fs::write(dir.join("keymap.toml"), &big).unwrap();
        std::fs::write(dir.join("config.toml"), format!("read_only = true\n{big}")).unwrap();
        let s = Settings::load(Some(&dir));
        let text: Vec<String> = s.problems.iter().map(ToString::to_string).collect();
        for file in ["config.toml", "keymap.toml"] {
            let path = dir.join(file).display().to_string();
            assert!(
                text.iter().any(|t| t
                    == &format!("{path}: file is larger than the 1 MiB limit (1048576 bytes) for configuration files: not read, the defaults apply")),
                "{text:?}"
            );
        }
        assert!(s.read_only.is_some(), "an unread config.toml fails closed");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn defaults_without_a_directory() {
        let s = Settings::load(None);
        assert!(s.problems.is_empty(), "{:?}", s.problems);
        assert_eq!(s.refresh_interval, Some(Duration::from_secs(60)));
    }
}
