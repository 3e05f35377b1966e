//! `config.toml` read per field, so that it fails closed: the document is
//! parsed to spanned TOML values first, then each known field is read on
//! its own. A bad field is reported (file, line, key, what to write) and
//! keeps its default; every other field still applies. A `read_only` that
//! cannot be read with certainty (wrong type, misspelt, misplaced, or a file
//! that does not parse) makes the console read-only, with the reason.

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::{ConfigFile, ConfigProblem, FleetConfig, ProfileConfig, keymap, line_of};

/// What [`parse_config`] read.
pub(super) struct Parsed {
    /// Every setting that could be read; defaults for the rest.
    pub config: ConfigFile,
    /// One entry per problem, in file order.
    pub problems: Vec<ConfigProblem>,
    /// Why the console must be read-only although `read_only = true` was
    /// not read cleanly (`None`: the file said what it meant).
    pub read_only_unsure: Option<String>,
}

/// Reads one field value as `T`.
fn field<T: DeserializeOwned>(v: Spanned<DeValue<'_>>) -> Result<T, toml::de::Error> {
    T::deserialize(ValueDeserializer::from(v))
}

/// `read_only`, `read-only`, `ReadOnly`, `readonly`: keys meant as read_only.
fn means_read_only(key: &str) -> bool {
    key.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect::<String>()
        == "readonly"
}

struct Reader<'a> {
    file: &'a str,
    text: &'a str,
    problems: Vec<ConfigProblem>,
    unsure: Option<String>,
}

impl Reader<'_> {
    fn problem(&mut self, offset: usize, message: String) {
        self.problems.push(ConfigProblem {
            file: self.file.to_owned(),
            line: Some(line_of(self.text, offset)),
            message,
        });
    }

    /// Marks read-only as uncertain (the first reason is kept).
    fn unsure(&mut self, offset: usize, why: &str) {
        if self.unsure.is_none() {
            self.unsure = Some(format!(
                "{}:{}: {why}: read-only until it is fixed",
                self.file,
                line_of(self.text, offset)
            ));
        }
    }

    /// Reads `v` as `T` for key `key` (in `table`, for messages), or
    /// reports it with `hint` (what to write) and returns `None`.
    fn read<T: DeserializeOwned>(
        &mut self,
        table: &str,
        key: &str,
        v: Spanned<DeValue<'_>>,
        hint: &str,
    ) -> Option<T> {
        let at = v.span().start;
        match field::<T>(v) {
            Ok(t) => Some(t),
            Err(e) => {
                let msg = e.message().trim().replace('\n', " ");
                self.problem(at, format!("{table}{key}: {msg}: write {hint}"));
                None
            }
        }
    }

    /// A key no setting has: reported; one meant as read_only and not
    /// `false` makes the console read-only.
    fn unknown(&mut self, table: &str, key: &str, at: usize, v: &DeValue<'_>, expected: &str) {
        self.problem(
            at,
            format!("{table}unknown field `{key}`, expected {expected}"),
        );
        if means_read_only(key) && !matches!(v, DeValue::Boolean(false)) {
            self.unsure(
                at,
                &format!("`{table}{key}` looks like read_only but is not a setting there"),
            );
        }
    }
}

/// Reads `config.toml` (`file` names it in messages) for AWS profile
/// `profile` (`None`: no profile, only the global read_only counts).
pub(super) fn parse_config(file: &str, text: &str, profile: Option<&str>) -> Parsed {
    let mut r = Reader {
        file,
        text,
        problems: Vec::new(),
        unsure: None,
    };
    let mut config = ConfigFile::default();
    let root = match DeTable::parse(text) {
        Ok(t) => t.into_inner(),
        Err(e) => {
            r.problems.push(ConfigProblem::from_toml(file, text, &e));
            let at = e.span().map_or(0, |s| s.start);
            r.unsure(
                at,
                "the file is not valid TOML, so read_only cannot be read",
            );
            return Parsed {
                config,
                problems: r.problems,
                read_only_unsure: r.unsure,
            };
        }
    };
    const EXPECTED: &str = "`theme`, `refresh_interval_secs`, `keymap`, `read_only`, `mouse`, `session_plugin`, `profiles`, `fleet`, `run_command` or `contexts`";
    for (k, v) in root {
        let at = k.span().start;
        let key = k.get_ref().as_ref();
        match key {
            "theme" => {
                if let Some(t) = r.read("", key, v, "theme = \"default\" (a theme name)") {
                    config.theme = t;
                }
            }
            "refresh_interval_secs" => {
                if let Some(t) = r.read(
                    "",
                    key,
                    v,
                    "refresh_interval_secs = 60 (whole seconds, 0 for off)",
                ) {
                    config.refresh_interval_secs = t;
                }
            }
            "keymap" => {
                if let Some(t) = r.read::<String>("", key, v, "keymap = \"vim\"") {
                    bundled_keymap(&mut r, at, t, &mut config);
                }
            }
            "read_only" => {
                let vat = v.span().start;
                match r.read::<bool>("", key, v, "read_only = true or read_only = false") {
                    Some(b) => config.read_only = b,
                    None => r.unsure(vat, "read_only is not true or false"),
                }
            }
            "mouse" => {
                if let Some(t) = r.read("", key, v, "mouse = true or mouse = false") {
                    config.mouse = t;
                }
            }
            "session_plugin" => {
                if let Some(t) = r.read(
                    "",
                    key,
                    v,
                    "session_plugin = \"true\" (the plugin on PATH), a path, or \"\"",
                ) {
                    config.session_plugin = t;
                }
            }
            "profiles" => profiles(&mut r, v, profile, &mut config),
            "fleet" => fleet(&mut r, v, &mut config.fleet),
            "run_command" => run_command(&mut r, v, &mut config.run_command),
            "contexts" => contexts(&mut r, v, &mut config),
            other => r.unknown("", other, at, v.get_ref(), EXPECTED),
        }
    }
    Parsed {
        config,
        problems: r.problems,
        read_only_unsure: r.unsure,
    }
}

/// `keymap = "NAME"`: a bundled keymap, or reported and `default`.
fn bundled_keymap(r: &mut Reader<'_>, at: usize, name: String, config: &mut ConfigFile) {
    if keymap::BUNDLED_KEYMAPS.iter().any(|(n, _)| *n == name) {
        config.keymap = name;
        return;
    }
    let names = keymap::BUNDLED_KEYMAPS
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ");
    r.problem(
        at,
        format!(
            "keymap = \"{name}\" is not a bundled keymap: use {names} (your own bindings go in keymap.toml)"
        ),
    );
}

/// The table of `v`, or reported as `what` (and `None`).
fn table<'i>(r: &mut Reader<'_>, v: Spanned<DeValue<'i>>, what: &str) -> Option<DeTable<'i>> {
    let at = v.span().start;
    match v.into_inner() {
        DeValue::Table(t) => Some(t),
        _ => {
            r.problem(at, format!("{what} must be a table: write [{what}]"));
            None
        }
    }
}

/// `[profiles.NAME]` tables: each field on its own; the active profile's
/// read_only fails closed.
fn profiles(
    r: &mut Reader<'_>,
    v: Spanned<DeValue<'_>>,
    active: Option<&str>,
    config: &mut ConfigFile,
) {
    let at = v.span().start;
    let Some(t) = table(r, v, "profiles") else {
        if active.is_some() {
            r.unsure(
                at,
                "[profiles] is not a table, so the profile's read_only cannot be read",
            );
        }
        return;
    };
    for (name, pv) in t {
        let name = name.get_ref().to_string();
        let is_active = active == Some(name.as_str());
        let pat = pv.span().start;
        let Some(pt) = table(r, pv, &format!("profiles.{name}")) else {
            if is_active {
                r.unsure(pat, &format!("[profiles.{name}] is not a table"));
            }
            continue;
        };
        let prefix = format!("[profiles.{name}] ");
        let mut p = ProfileConfig::default();
        for (k, fv) in pt {
            let kat = k.span().start;
            match k.get_ref().as_ref() {
                "theme" => p.theme = r.read(&prefix, "theme", fv, "theme = \"high-contrast\""),
                "change_calendars" => {
                    p.change_calendars = r.read(
                        &prefix,
                        "change_calendars",
                        fv,
                        "change_calendars = [\"prod-freeze\"] (ChangeCalendar document names)",
                    );
                }
                "read_only" => {
                    let vat = fv.span().start;
                    p.read_only = r.read(&prefix, "read_only", fv, "read_only = true or false");
                    if p.read_only.is_none() && is_active {
                        r.unsure(
                            vat,
                            &format!("[profiles.{name}] read_only is not true or false"),
                        );
                    }
                }
                other => {
                    // A misspelt read_only counts for the active profile only.
                    if is_active {
                        r.unknown(
                            &prefix,
                            other,
                            kat,
                            fv.get_ref(),
                            "`theme`, `read_only` or `change_calendars`",
                        );
                    } else {
                        r.problem(
                            kat,
                            format!(
                                "{prefix}unknown field `{other}`, expected `theme`, `read_only` or `change_calendars`"
                            ),
                        );
                    }
                }
            }
        }
        config.profiles.insert(name, p);
    }
}

/// `[contexts.NAME]` tables: `profiles`, `regions`, `role`, `accounts`,
/// each field on its own.
fn contexts(r: &mut Reader<'_>, v: Spanned<DeValue<'_>>, config: &mut ConfigFile) {
    let Some(t) = table(r, v, "contexts") else {
        return;
    };
    for (name, cv) in t {
        let name = name.get_ref().to_string();
        let Some(ct) = table(r, cv, &format!("contexts.{name}")) else {
            continue;
        };
        let prefix = format!("[contexts.{name}] ");
        let mut c = super::ContextsConfig::default();
        for (k, fv) in ct {
            let kat = k.span().start;
            match k.get_ref().as_ref() {
                "profiles" => {
                    c.profiles = r
                        .read(
                            &prefix,
                            "profiles",
                            fv,
                            "profiles = [\"prod-a\", \"prod-b\"]",
                        )
                        .unwrap_or_default();
                }
                "regions" => {
                    c.regions = r
                        .read(
                            &prefix,
                            "regions",
                            fv,
                            "regions = [\"us-east-1\", \"eu-west-1\"]",
                        )
                        .unwrap_or_default();
                }
                "role" => c.role = r.read(&prefix, "role", fv, "role = \"ssmdeck-operator\""),
                "accounts" => {
                    c.accounts = r
                        .read(&prefix, "accounts", fv, "accounts = [\"123456789012\"]")
                        .unwrap_or_default();
                }
                other => r.unknown(
                    &prefix,
                    other,
                    kat,
                    fv.get_ref(),
                    "`profiles`, `regions`, `role` or `accounts`",
                ),
            }
        }
        config.contexts.insert(name, c);
    }
}

/// `[fleet]`: `tag_columns`, `listing`.
fn fleet(r: &mut Reader<'_>, v: Spanned<DeValue<'_>>, fleet: &mut FleetConfig) {
    let Some(t) = table(r, v, "fleet") else {
        return;
    };
    for (k, fv) in t {
        let kat = k.span().start;
        match k.get_ref().as_ref() {
            "tag_columns" => {
                if let Some(c) = r.read(
                    "[fleet] ",
                    "tag_columns",
                    fv,
                    "tag_columns = [\"Env\", \"Role\"] (tag keys)",
                ) {
                    fleet.tag_columns = c;
                }
            }
            "listing" => {
                if let Some(l) = r.read(
                    "[fleet] ",
                    "listing",
                    fv,
                    "listing = \"properties\" or listing = \"information\"",
                ) {
                    fleet.listing = l;
                }
            }
            other => r.unknown(
                "[fleet] ",
                other,
                kat,
                fv.get_ref(),
                "`tag_columns` or `listing`",
            ),
        }
    }
}

/// `[run_command]`: `remember_command_text`.
fn run_command(r: &mut Reader<'_>, v: Spanned<DeValue<'_>>, rc: &mut super::RunCommandConfig) {
    let Some(t) = table(r, v, "run_command") else {
        return;
    };
    for (k, fv) in t {
        let kat = k.span().start;
        match k.get_ref().as_ref() {
            "remember_command_text" => {
                if let Some(b) = r.read(
                    "[run_command] ",
                    "remember_command_text",
                    fv,
                    "remember_command_text = true or remember_command_text = false",
                ) {
                    rc.remember_command_text = b;
                }
            }
            other => r.unknown(
                "[run_command] ",
                other,
                kat,
                fv.get_ref(),
                "`remember_command_text`",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_key_keeps_every_other_setting_and_read_only() {
        let text = "theme = \"light\"\nrefresh_interval = 30\nread_only = true\nmouse = \"no\"\n[fleet]\ntag_columns = [\"Env\"]\n";
        let p = parse_config("config.toml", text, Some("default"));
        assert!(p.config.read_only);
        assert_eq!(p.config.theme, "light");
        assert_eq!(p.config.fleet.tag_columns, ["Env"]);
        assert!(p.config.mouse, "the bad value keeps the default");
        let text: Vec<String> = p.problems.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 2, "{text:?}");
        assert!(text[0].starts_with("config.toml:4: mouse: "), "{text:?}");
        assert!(
            text[0].contains("write mouse = true or mouse = false"),
            "{text:?}"
        );
        assert!(text[1].starts_with("config.toml:2: unknown field `refresh_interval`"));
        assert_eq!(p.read_only_unsure, None);
    }

    #[test]
    fn context_sets_are_read_field_by_field() {
        let text = "[contexts.prod]\nprofiles = [\"a\", \"b\"]\nregions = [\"us-east-1\"]\n[contexts.org]\nrole = \"ssmdeck-operator\"\naccounts = [\"210000000001\"]\nregion = \"x\"\n";
        let p = parse_config("config.toml", text, None);
        assert_eq!(p.config.contexts["prod"].profiles, ["a", "b"]);
        assert_eq!(p.config.contexts["prod"].regions, ["us-east-1"]);
        assert_eq!(
            p.config.contexts["org"].role.as_deref(),
            Some("ssmdeck-operator")
        );
        assert_eq!(p.config.contexts["org"].accounts, ["210000000001"]);
        assert_eq!(p.problems.len(), 1, "{:?}", p.problems);
        assert!(p.problems[0].message.contains("region"), "{:?}", p.problems);
    }

    #[test]
    fn a_read_only_that_cannot_be_read_fails_closed() {
        for (text, profile, why) in [
            (
                "read_only = \"yes\"\n",
                None,
                "config.toml:1: read_only is not true or false",
            ),
            ("read-only = true\n", None, "looks like read_only"),
            (
                "[fleet]\nread_only = true\n",
                None,
                "`[fleet] read_only` looks like read_only",
            ),
            ("theme = \"x\"\n[profiles\n", None, "not valid TOML"),
            (
                "[profiles.prod]\nread_only = 1\n",
                Some("prod"),
                "[profiles.prod] read_only is not true or false",
            ),
            (
                "[profiles.prod]\nreadonly = true\n",
                Some("prod"),
                "looks like read_only",
            ),
            ("profiles = 3\n", Some("prod"), "[profiles] is not a table"),
        ] {
            let p = parse_config("config.toml", text, profile);
            let got = p.read_only_unsure.unwrap_or_default();
            assert!(got.contains(why), "{text:?}: {got:?}");
            assert!(!p.problems.is_empty(), "{text:?}");
        }
        // Another profile's misspelling is only reported.
        let p = parse_config(
            "config.toml",
            "[profiles.prod]\nreadonly = true\n",
            Some("dev"),
        );
        assert_eq!(p.read_only_unsure, None);
        assert_eq!(p.problems.len(), 1);
        // `read_only = false`, or a misspelt one set to false, is certain.
        let p = parse_config(
            "config.toml",
            "read-only = false\nread_only = false\n",
            None,
        );
        assert_eq!(p.read_only_unsure, None);
    }
}
