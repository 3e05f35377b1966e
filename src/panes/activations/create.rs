//! The one line a new activation is asked with:
//! `role=NAME limit=10 days=7 name=web desc="text" tag:KEY=VALUE`, parsed
//! strictly: every word that is not one of these, or whose value is out
//! of CreateActivation's range, is named with what to write instead.

use crate::aws::activations::NewActivation;

/// What the prompt's title says the line takes.
pub const SYNTAX: &str = "role=IAM-ROLE [limit=1..1000] [days=1..30 | hours=1..720] [name=NODE-NAME] [desc=\"text\"] [tag:KEY=VALUE …]";

/// What each field is, for the error of an unknown word.
const FIELDS: &str = "role=, limit=, days=, hours=, name=, desc= or tag:KEY=VALUE";

/// The longest activation: 30 days (CreateActivation's ExpirationDate).
pub const MAX_HOURS: i64 = 30 * 24;

/// A parsed line: the request (its `expires_s` still relative) and how
/// long it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The request; `expires_s` is set from `hours` when it is sent.
    pub new: NewActivation,
    /// Hours until it expires (`None`: AWS's default, 24 hours).
    pub hours: Option<i64>,
}

impl Spec {
    /// The request with its expiry `now_s` plus the hours asked for.
    pub fn at(&self, now_s: i64) -> NewActivation {
        NewActivation {
            expires_s: self.hours.map(|h| now_s + h * 3_600),
            ..self.new.clone()
        }
    }

    /// A short summary (never a secret): `role SSMServiceRole · limit 10 ·
    /// expires in 7 d · name web · 1 tag`.
    pub fn summary(&self) -> String {
        let n = &self.new;
        let mut parts = vec![format!("role {}", n.iam_role)];
        parts.push(match n.limit {
            Some(l) => format!("limit {l}"),
            None => "limit 1 (the default)".into(),
        });
        parts.push(match self.hours {
            Some(h) if h % 24 == 0 => format!("expires in {} d", h / 24),
            Some(h) => format!("expires in {h} h"),
            None => "expires in 24 h (the default)".into(),
        });
        if !n.default_instance_name.is_empty() {
            parts.push(format!("name {}", n.default_instance_name));
        }
        match n.tags.len() {
            0 => {}
            1 => parts.push("1 tag".into()),
            k => parts.push(format!("{k} tags")),
        }
        parts.join(" · ")
    }
}

/// Splits `line` into words; a `"` quotes spaces until the next `"`.
fn words(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut started = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                started = true;
            }
            c if c.is_whitespace() && !quoted => {
                if started {
                    out.push(std::mem::take(&mut cur));
                    started = false;
                }
            }
            c => {
                cur.push(c);
                started = true;
            }
        }
    }
    if quoted {
        return Err("a \" is not closed: put a \" after the quoted text".into());
    }
    if started {
        out.push(cur);
    }
    Ok(out)
}

fn number(word: &str, v: &str, lo: i64, hi: i64, what: &str) -> Result<i64, String> {
    match v.parse::<i64>() {
        Ok(n) if (lo..=hi).contains(&n) => Ok(n),
        _ => Err(format!(
            "`{word}`: {what} is a whole number from {lo} to {hi}"
        )),
    }
}

/// Whether `s` fits DefaultInstanceName's pattern
/// (`^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`).
fn name_ok(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c))
}

/// One `key=value` word into `spec`; the problem with it otherwise.
fn field(spec: &mut Spec, seen: &mut Vec<String>, word: &str) -> Result<(), String> {
    let Some((key, value)) = word.split_once('=') else {
        return Err(format!("`{word}`: not KEY=VALUE; write {FIELDS}"));
    };
    if !key.starts_with("tag:") {
        if seen.iter().any(|k| k == key) {
            return Err(format!("`{word}`: {key}= is given twice; keep one"));
        }
        seen.push(key.to_owned());
    }
    let n = &mut spec.new;
    match key {
        "role" if value.is_empty() => {
            return Err(format!("`{word}`: role= needs the IAM service role's name"));
        }
        "role" if value.chars().count() > 64 => {
            return Err(format!("`{word}`: the role name is at most 64 characters"));
        }
        "role" => n.iam_role = value.to_owned(),
        "limit" => n.limit = Some(number(word, value, 1, 1_000, "the registration limit")? as i32),
        "days" => spec.hours = Some(24 * number(word, value, 1, 30, "days")?),
        "hours" => spec.hours = Some(number(word, value, 1, MAX_HOURS, "hours")?),
        "name" if value.chars().count() > 256 || !name_ok(value) => {
            return Err(format!(
                "`{word}`: the default instance name is at most 256 letters, digits, spaces and _ . : / = + - @"
            ));
        }
        "name" => n.default_instance_name = value.to_owned(),
        "desc" if value.chars().count() > 256 => {
            return Err(format!(
                "`{word}`: the description is at most 256 characters"
            ));
        }
        "desc" => n.description = value.to_owned(),
        _ => {
            let Some(k) = key.strip_prefix("tag:") else {
                return Err(format!("`{key}=`: not a field; write {FIELDS}"));
            };
            if k.is_empty() || k.chars().count() > 128 || k.to_lowercase().starts_with("aws:") {
                return Err(format!(
                    "`{word}`: a tag key is 1 to 128 characters and does not start with aws:"
                ));
            }
            if value.chars().count() > 256 {
                return Err(format!("`{word}`: a tag value is at most 256 characters"));
            }
            if n.tags.iter().any(|(x, _)| x == k) {
                return Err(format!("`{word}`: tag {k} is given twice; keep one"));
            }
            n.tags.push((k.to_owned(), value.to_owned()));
        }
    }
    Ok(())
}

/// Parses the line; every problem (one per word, plus a missing role and
/// both days= and hours=), each naming what to write.
///
/// # Errors
/// The problems found, in the line's order.
pub fn parse(line: &str) -> Result<Spec, Vec<String>> {
    let words = words(line).map_err(|e| vec![e])?;
    let mut spec = Spec {
        new: NewActivation::default(),
        hours: None,
    };
    let mut seen = Vec::new();
    let mut problems: Vec<String> = words
        .iter()
        .filter_map(|w| field(&mut spec, &mut seen, w).err())
        .collect();
    if seen.iter().any(|k| k == "days") && seen.iter().any(|k| k == "hours") {
        problems.push("days= and hours= are both given; keep one".into());
    }
    if spec.new.iam_role.is_empty() && !seen.iter().any(|k| k == "role") {
        problems.push(
            "role= is missing: name the IAM service role the nodes get (role=SSMServiceRole)"
                .into(),
        );
    }
    if problems.is_empty() {
        Ok(spec)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_line_gives_every_field() {
        let s = parse(r#"role=SSMServiceRole limit=10 days=7 name=web desc="racks 3 and 4" tag:Site=dc-east tag:Owner="Jane Doe""#)
            .expect("parses");
        assert_eq!(s.new.iam_role, "SSMServiceRole");
        assert_eq!(s.new.limit, Some(10));
        assert_eq!(s.hours, Some(7 * 24));
        assert_eq!(s.new.default_instance_name, "web");
        assert_eq!(s.new.description, "racks 3 and 4");
        assert_eq!(
            s.new.tags,
            vec![
                ("Site".to_owned(), "dc-east".to_owned()),
                ("Owner".to_owned(), "Jane Doe".to_owned())
            ]
        );
        assert_eq!(s.at(1_000).expires_s, Some(1_000 + 7 * 86_400));
        assert_eq!(
            s.summary(),
            "role SSMServiceRole · limit 10 · expires in 7 d · name web · 2 tags"
        );
        let minimal = parse("role=R").unwrap();
        assert_eq!((minimal.new.limit, minimal.hours), (None, None));
        assert_eq!(minimal.at(5).expires_s, None);
    }

    #[test]
    fn every_bad_word_is_named_with_what_to_write() {
        let e = parse("lmit=3 limit=0 days=31 hours=2 name=a|b tag:aws:x=1 plain").unwrap_err();
        let text = e.join("\n");
        for needle in [
            "`lmit=`: not a field; write role=",
            "`limit=0`: the registration limit is a whole number from 1 to 1000",
            "`days=31`: days is a whole number from 1 to 30",
            "`name=a|b`",
            "`tag:aws:x=1`",
            "`plain`: not KEY=VALUE",
            "days= and hours= are both given",
            "role= is missing",
        ] {
            assert!(text.contains(needle), "{needle} in\n{text}");
        }
        assert_eq!(
            parse("role=a role=b").unwrap_err(),
            vec!["`role=b`: role= is given twice; keep one".to_owned()]
        );
        assert!(parse("role=a desc=\"open").unwrap_err()[0].contains("not closed"));
        assert!(parse("role=").unwrap_err()[0].contains("needs the IAM service role"));
    }
}
