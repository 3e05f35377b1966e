//! Change Calendar: ChangeCalendar documents (iCalendar text, as the
//! Systems Manager console writes them: `X-CALENDAR-TYPE:DEFAULT_OPEN` or
//! `DEFAULT_CLOSED`, one VEVENT per event) and `GetCalendarState`.
//!
//! A DEFAULT_OPEN calendar is CLOSED during its events; a DEFAULT_CLOSED
//! one is OPEN during its events. Several calendars combine: CLOSED when
//! any is closed. `NextTransitionTime` is the first time after `AtTime`
//! at which the combined state changes (looked for up to 2 years ahead).
//!
//! The iCalendar the lab reads: `DTSTART`/`DTEND` in UTC
//! (`YYYYMMDDTHHMMSSZ`), in a zone (`;TZID=<zone>:YYYYMMDDTHHMMSS`, for
//! the zones of [`crate::cron::zone`]) or as dates
//! (`;VALUE=DATE:YYYYMMDD`, UTC midnight; an event without DTEND then
//! lasts the day); folded lines; `RRULE` with `FREQ=DAILY` or `WEEKLY`,
//! `INTERVAL`, `COUNT` and `UNTIL` (no BYDAY etc.: a rule with other parts
//! is `UnsupportedCalendarException`).

use serde_json::{Value, json};

use crate::cron::{epoch_of, iso_seconds, parse_iso};
use crate::params::{ApiError, err, validation};

/// How far ahead NextTransitionTime is looked for.
const HORIZON_S: i64 = 2 * 366 * 86_400;

/// A recurrence rule: every `period_s`, at most `count` times, until `until`.
#[derive(Debug, Clone, PartialEq)]
struct Rule {
    period_s: i64,
    count: Option<i64>,
    until: Option<i64>,
}

/// One VEVENT: `[start, end)` in epoch seconds, maybe recurring.
#[derive(Debug, Clone, PartialEq)]
struct Event {
    start: i64,
    end: i64,
    rule: Option<Rule>,
}

impl Event {
    /// The occurrences `[s, e)` that end after `from` and start before `to`.
    fn occurrences(&self, from: i64, to: i64) -> Vec<(i64, i64)> {
        let len = self.end - self.start;
        let Some(r) = &self.rule else {
            return if self.end > from && self.start < to {
                vec![(self.start, self.end)]
            } else {
                Vec::new()
            };
        };
        let first = ((from - len - self.start) / r.period_s).max(0);
        let mut out = Vec::new();
        for k in first.. {
            if r.count.is_some_and(|c| k >= c) {
                break;
            }
            let s = self.start + k * r.period_s;
            if s >= to || r.until.is_some_and(|u| s > u) {
                break;
            }
            if s + len > from {
                out.push((s, s + len));
            }
        }
        out
    }
}

/// A parsed change calendar.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Calendar {
    default_open: bool,
    events: Vec<Event>,
}

/// `YYYYMMDDTHHMMSS[Z]` or `YYYYMMDD` with the property's parameters
/// (`TZID=…`, `VALUE=DATE`); returns epoch seconds and whether it is a date.
fn ical_time(params: &str, value: &str) -> Result<(i64, bool), String> {
    let bad = || format!("'{value}' is not an iCalendar date-time");
    if !value.is_ascii() {
        return Err(bad());
    }
    let digits = |s: &str| -> Result<u32, String> { s.parse().map_err(|_| bad()) };
    let d = value.get(..8).ok_or_else(bad)?;
    let (y, mo, day) = (
        digits(&d[..4])? as i64,
        digits(&d[4..6])?,
        digits(&d[6..8])?,
    );
    if value.len() == 8 {
        return Ok((epoch_of(y, mo, day, 0, 0, 0), true));
    }
    let t = value
        .get(9..15)
        .filter(|_| &value[8..9] == "T")
        .ok_or_else(bad)?;
    let (h, mi, s) = (digits(&t[..2])?, digits(&t[2..4])?, digits(&t[4..6])?);
    let local = epoch_of(y, mo, day, h, mi, s);
    if value.ends_with('Z') {
        return Ok((local, false));
    }
    let zone = params
        .split(';')
        .find_map(|p| p.strip_prefix("TZID="))
        .unwrap_or("UTC");
    let zone =
        crate::cron::zone(zone).ok_or_else(|| format!("the time zone {zone} is not supported"))?;
    Ok((zone.to_utc(local), false))
}

fn rule(value: &str) -> Result<Rule, String> {
    let (mut freq, mut interval, mut count, mut until) = (None, 1, None, None);
    for part in value.split(';') {
        let (k, v) = part
            .split_once('=')
            .ok_or(format!("bad RRULE part '{part}'"))?;
        match k {
            "FREQ" => {
                freq = Some(match v {
                    "DAILY" => 86_400,
                    "WEEKLY" => 7 * 86_400,
                    _ => return Err(format!("RRULE FREQ={v} is not supported")),
                })
            }
            "INTERVAL" => interval = v.parse().map_err(|_| format!("bad INTERVAL {v}"))?,
            "COUNT" => count = Some(v.parse().map_err(|_| format!("bad COUNT {v}"))?),
            "UNTIL" => until = Some(ical_time("", v)?.0),
            _ => return Err(format!("RRULE {k} is not supported by the lab")),
        }
    }
    let period = freq.ok_or("RRULE without FREQ")?;
    Ok(Rule {
        period_s: period * i64::max(interval, 1),
        count,
        until,
    })
}

/// A VEVENT being read: DTSTART (and whether it is a date), DTEND, RRULE.
type Partial = (Option<(i64, bool)>, Option<i64>, Option<Rule>);

impl Calendar {
    /// Parses iCalendar `content`; the error says what the lab cannot read.
    pub(crate) fn parse(content: &str) -> Result<Calendar, String> {
        // Unfold: a line starting with a space or tab continues the last.
        let mut lines: Vec<String> = Vec::new();
        for raw in content.split('\n') {
            let raw = raw.trim_end_matches('\r');
            match raw.strip_prefix([' ', '\t']) {
                Some(more) if !lines.is_empty() => lines.last_mut().expect("a line").push_str(more),
                _ => lines.push(raw.to_owned()),
            }
        }
        if lines.first().map(|l| l.trim()) != Some("BEGIN:VCALENDAR") {
            return Err("the content does not begin with BEGIN:VCALENDAR".into());
        }
        let mut default_open = None;
        let mut events = Vec::new();
        let mut current: Option<Partial> = None;
        for line in &lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let (prop, params) = name.split_once(';').unwrap_or((name, ""));
            match (prop, &mut current) {
                ("X-CALENDAR-TYPE", _) => {
                    default_open = Some(match value.trim() {
                        "DEFAULT_OPEN" => true,
                        "DEFAULT_CLOSED" => false,
                        v => {
                            return Err(format!(
                                "X-CALENDAR-TYPE {v} is not DEFAULT_OPEN or DEFAULT_CLOSED"
                            ));
                        }
                    })
                }
                ("BEGIN", None) if value == "VEVENT" => current = Some((None, None, None)),
                ("DTSTART", Some(e)) => e.0 = Some(ical_time(params, value.trim())?),
                ("DTEND", Some(e)) => e.1 = Some(ical_time(params, value.trim())?.0),
                ("RRULE", Some(e)) => e.2 = Some(rule(value.trim())?),
                ("END", Some(_)) if value == "VEVENT" => {
                    let (start, end, rule) = current.take().expect("inside an event");
                    let (start, is_date) = start.ok_or("a VEVENT without DTSTART")?;
                    let end = end.unwrap_or(if is_date { start + 86_400 } else { start });
                    if end > start {
                        events.push(Event { start, end, rule });
                    }
                }
                _ => {}
            }
        }
        Ok(Calendar {
            default_open: default_open.ok_or("the content has no X-CALENDAR-TYPE")?,
            events,
        })
    }

    /// Whether the calendar is open at `t`.
    pub(crate) fn open_at(&self, t: i64) -> bool {
        let in_event = self.events.iter().any(|e| {
            e.occurrences(t, t + 1)
                .iter()
                .any(|(s, end)| *s <= t && t < *end)
        });
        in_event != self.default_open
    }

    /// Event starts and ends in `(t, t + HORIZON_S]`.
    fn boundaries(&self, t: i64) -> Vec<i64> {
        let mut out = Vec::new();
        for e in &self.events {
            for (s, end) in e.occurrences(t, t + HORIZON_S) {
                out.extend(
                    [s, end]
                        .into_iter()
                        .filter(|b| *b > t && *b <= t + HORIZON_S),
                );
            }
        }
        out
    }
}

/// The combined state of `calendars` at `t` (OPEN unless one is closed)
/// and the next time it changes.
pub(crate) fn state_at(calendars: &[Calendar], t: i64) -> (bool, Option<i64>) {
    let open = |x: i64| calendars.iter().all(|c| c.open_at(x));
    let now = open(t);
    let mut bounds: Vec<i64> = calendars.iter().flat_map(|c| c.boundaries(t)).collect();
    bounds.sort_unstable();
    bounds.dedup();
    (now, bounds.into_iter().find(|b| open(*b) != now))
}

/// One ChangeCalendar document.
#[derive(Debug, Clone)]
pub(crate) struct CalendarDoc {
    pub(crate) name: String,
    pub(crate) content: String,
    pub(crate) created: f64,
}

/// A tenant's ChangeCalendar documents.
#[derive(Debug, Default)]
pub struct CalendarStore {
    pub(crate) docs: Vec<CalendarDoc>,
}

/// iCalendar text of a calendar with `events` (start, end, summary, rule).
fn ical(kind: &str, description: &str, events: &[(i64, i64, &str, Option<&str>)]) -> String {
    let stamp = |t: i64| iso_seconds(t).replace(['-', ':'], "");
    let mut s = format!(
        "BEGIN:VCALENDAR\r\nPRODID:-//AWS//Change Calendar 1.0//EN\r\nVERSION:2.0\r\nX-CALENDAR-TYPE:{kind}\r\nX-WR-CALDESC:{description}\r\n"
    );
    for (n, (start, end, summary, rule)) in events.iter().enumerate() {
        s.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:lab-{kind}-{n}@ssmdeck-lab\r\nDTSTAMP:{}\r\nDTSTART:{}\r\nDTEND:{}\r\nSUMMARY:{summary}\r\n",
            stamp(*start),
            stamp(*start),
            stamp(*end)
        ));
        if let Some(r) = rule {
            s.push_str(&format!("RRULE:{r}\r\n"));
        }
        s.push_str("END:VEVENT\r\n");
    }
    s.push_str("END:VCALENDAR\r\n");
    s
}

impl CalendarStore {
    /// Seeds, as of `now` (epoch seconds; q is `now` rounded down to the
    /// quarter-hour):
    ///
    /// - `prod-change-freeze`, DEFAULT_OPEN: a "Release freeze" from q − 1 h
    ///   to q + 3 h (so it is CLOSED at start for three hours), and a
    ///   "Quarter-end freeze" 10 … 14 days ahead;
    /// - `weekend-change-window`, DEFAULT_CLOSED: open every Saturday
    ///   00:00 … Sunday 00:00 UTC (a weekly RRULE).
    pub(crate) fn seed(&mut self, now: f64) {
        let q = (now as i64).div_euclid(900) * 900;
        let created = (q - 20 * 86_400) as f64;
        let day = q.div_euclid(86_400);
        // The Saturday of the week before.
        let saturday = (day - 7 - ((crate::cron::weekday(day) as i64 + 1) % 7)) * 86_400;
        self.docs.push(CalendarDoc {
            name: "prod-change-freeze".into(),
            content: ical(
                "DEFAULT_OPEN",
                "Freezes of prod changes",
                &[
                    (q - 3_600, q + 3 * 3_600, "Release freeze", None),
                    (q + 10 * 86_400, q + 14 * 86_400, "Quarter-end freeze", None),
                ],
            ),
            created,
        });
        self.docs.push(CalendarDoc {
            name: "weekend-change-window".into(),
            content: ical(
                "DEFAULT_CLOSED",
                "Changes only at weekends",
                &[(
                    saturday,
                    saturday + 86_400,
                    "Weekend change window",
                    Some("FREQ=WEEKLY"),
                )],
            ),
            created,
        });
    }

    /// The document named `name` or by ARN `arn:aws:ssm:…:document/<name>`.
    pub(crate) fn find(&self, name: &str) -> Option<&CalendarDoc> {
        let name = name.rsplit_once(":document/").map_or(name, |(_, n)| n);
        self.docs.iter().find(|d| d.name == name)
    }
}

/// Largest ChangeCalendar content CreateDocument accepts (64 KB, the
/// service's document size limit).
pub const MAX_CONTENT: usize = 64 * 1024;

/// CreateDocument for `DocumentType` `ChangeCalendar` (the only type the
/// lab creates; any other is a `ValidationException`): `Name` (model
/// pattern; the `AWS-`, `aws`, `amazon` prefixes are reserved),
/// `Content` (iCalendar the lab can read, else `InvalidDocumentContent`;
/// at most [`MAX_CONTENT`] bytes, else `MaxDocumentSizeExceeded`),
/// `DocumentFormat` TEXT. A taken name is `DocumentAlreadyExists`.
/// Answers `{"DocumentDescription": {…}}`.
pub(crate) fn create_document(
    store: &mut CalendarStore,
    account: &str,
    body: &Value,
    now: f64,
) -> Result<Value, ApiError> {
    let name = body.get("Name").and_then(Value::as_str).unwrap_or("");
    crate::validate::pattern("name", name, crate::validate::WINDOW_NAME)?;
    let lower = name.to_ascii_lowercase();
    if lower.starts_with("aws") || lower.starts_with("amazon") {
        return Err(validation(format!(
            "The document name {name} is reserved: names can't begin with AWS, aws or amazon."
        )));
    }
    let kind = body
        .get("DocumentType")
        .and_then(Value::as_str)
        .unwrap_or("Command");
    if kind != "ChangeCalendar" {
        return Err(validation(format!(
            "The lab creates ChangeCalendar documents only, not {kind} documents."
        )));
    }
    let format = body
        .get("DocumentFormat")
        .and_then(Value::as_str)
        .unwrap_or("JSON");
    if format != "TEXT" {
        return Err(err(
            "InvalidDocumentContent",
            format!("A ChangeCalendar document has DocumentFormat TEXT, not {format}."),
        ));
    }
    let content = body.get("Content").and_then(Value::as_str).unwrap_or("");
    crate::validate::length("content", content, 1, usize::MAX)?;
    if content.len() > MAX_CONTENT {
        return Err(err(
            "MaxDocumentSizeExceeded",
            format!(
                "The content is {} bytes; the limit is {MAX_CONTENT}.",
                content.len()
            ),
        ));
    }
    Calendar::parse(content).map_err(|why| {
        err(
            "InvalidDocumentContent",
            format!("The calendar can't be read: {why}."),
        )
    })?;
    if store.find(name).is_some() || crate::commands::document_exists(name) {
        return Err(err(
            "DocumentAlreadyExists",
            format!("A document named {name} already exists."),
        ));
    }
    store.docs.push(CalendarDoc {
        name: name.to_owned(),
        content: content.to_owned(),
        created: now,
    });
    Ok(json!({"DocumentDescription": {
        "Name": name, "Owner": account, "CreatedDate": now, "Status": "Active",
        "DocumentVersion": "1", "LatestVersion": "1", "DefaultVersion": "1",
        "DocumentType": "ChangeCalendar", "DocumentFormat": "TEXT",
        "PlatformTypes": [], "Tags": [],
    }}))
}

/// GetCalendarState: `CalendarNames` (names or ARNs, at least one) and
/// optional `AtTime` (ISO 8601; default now). Unknown names are
/// `InvalidDocument`, Command documents `InvalidDocumentType`, content
/// the lab cannot read `UnsupportedCalendarException`.
pub(crate) fn get_calendar_state(
    store: &CalendarStore,
    body: &Value,
    now: i64,
) -> Result<Value, ApiError> {
    let names: Vec<&str> = body
        .get("CalendarNames")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if names.is_empty() {
        return Err(validation(
            "1 validation error detected: Value null at 'calendarNames' failed to satisfy constraint: Member must not be null",
        ));
    }
    let at = match body.get("AtTime").and_then(Value::as_str) {
        None => now,
        Some(s) => parse_iso(s, 0)
            .ok_or_else(|| validation(format!("AtTime {s} is not an ISO-8601 date and time.")))?,
    };
    let mut calendars = Vec::new();
    for n in names {
        let Some(doc) = store.find(n) else {
            let plain = n.rsplit_once(":document/").map_or(n, |(_, x)| x);
            if crate::commands::document_exists(plain) {
                return Err(err(
                    "InvalidDocumentType",
                    format!("The document {n} is not a ChangeCalendar document."),
                ));
            }
            return Err(err(
                "InvalidDocument",
                format!("Document with name {n} does not exist."),
            ));
        };
        calendars.push(Calendar::parse(&doc.content).map_err(|why| {
            err(
                "UnsupportedCalendarException",
                format!("Calendar {n}: {why}."),
            )
        })?);
    }
    let (open, next) = state_at(&calendars, at);
    let mut out = json!({
        "State": if open { "OPEN" } else { "CLOSED" },
        "AtTime": iso_seconds(at),
    });
    if let Some(t) = next {
        out["NextTransitionTime"] = json!(iso_seconds(t));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> i64 {
        parse_iso(s, 0).unwrap()
    }

    const FREEZE: &str = "BEGIN:VCALENDAR\r\nPRODID:-//AWS//Change Calendar 1.0//EN\r\nVERSION:2.0\r\nX-CALENDAR-TYPE:DEFAULT_OPEN\r\nBEGIN:VEVENT\r\nDTSTART:20261203T090000Z\r\nDTEND:20261203T\r\n 130000Z\r\nSUMMARY:Freeze\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART;TZID=Asia/Tokyo:20261205T090000\r\nDTEND;TZID=Asia/Tokyo:20261205T100000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn icalendar_state_at_a_time() {
        let c = Calendar::parse(FREEZE).unwrap();
        assert!(c.open_at(t("2026-12-03T08:59:59Z")));
        assert!(!c.open_at(t("2026-12-03T09:00:00Z")));
        assert!(!c.open_at(t("2026-12-03T12:59:59Z")));
        assert!(c.open_at(t("2026-12-03T13:00:00Z")));
        // 09:00 in Tokyo is 00:00 UTC.
        assert!(!c.open_at(t("2026-12-05T00:30:00Z")));
        let (open, next) = state_at(std::slice::from_ref(&c), t("2026-12-03T10:00:00Z"));
        assert_eq!((open, next), (false, Some(t("2026-12-03T13:00:00Z"))));
        let (open, next) = state_at(&[c], t("2026-12-03T14:00:00Z"));
        assert_eq!((open, next), (true, Some(t("2026-12-05T00:00:00Z"))));
    }

    #[test]
    fn default_closed_with_a_weekly_rule() {
        let content = ical(
            "DEFAULT_CLOSED",
            "weekends",
            &[(
                t("2026-11-28T00:00:00Z"),
                t("2026-11-29T00:00:00Z"),
                "open",
                Some("FREQ=WEEKLY;COUNT=3"),
            )],
        );
        let c = Calendar::parse(&content).unwrap();
        assert!(!c.open_at(t("2026-12-03T10:00:00Z")));
        assert!(c.open_at(t("2026-12-05T10:00:00Z")));
        assert!(c.open_at(t("2026-12-12T23:59:59Z")));
        // COUNT=3: Nov 28, Dec 5, Dec 12; not Dec 19.
        assert!(!c.open_at(t("2026-12-19T10:00:00Z")));
        let (open, next) = state_at(std::slice::from_ref(&c), t("2026-12-03T10:00:00Z"));
        assert_eq!((open, next), (false, Some(t("2026-12-05T00:00:00Z"))));
        let (_, next) = state_at(&[c], t("2026-12-13T00:00:00Z"));
        assert_eq!(next, None);
    }

    #[test]
    fn calendars_combine_closed_if_any_is_closed() {
        let freeze = Calendar::parse(FREEZE).unwrap();
        let always_closed = Calendar::parse(&ical("DEFAULT_CLOSED", "x", &[])).unwrap();
        let (open, next) = state_at(&[freeze.clone(), always_closed], t("2026-12-03T14:00:00Z"));
        assert_eq!((open, next), (false, None));
        let open_cal = Calendar::parse(&ical("DEFAULT_OPEN", "x", &[])).unwrap();
        let (open, next) = state_at(&[freeze, open_cal], t("2026-12-03T08:00:00Z"));
        assert_eq!((open, next), (true, Some(t("2026-12-03T09:00:00Z"))));
    }

    #[test]
    fn unreadable_calendars_are_refused() {
        for bad in [
            "hello",
            "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
            "BEGIN:VCALENDAR\r\nX-CALENDAR-TYPE:SOMETIMES\r\nEND:VCALENDAR\r\n",
            "BEGIN:VCALENDAR\r\nX-CALENDAR-TYPE:DEFAULT_OPEN\r\nBEGIN:VEVENT\r\nDTSTART:2026\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "BEGIN:VCALENDAR\r\nX-CALENDAR-TYPE:DEFAULT_OPEN\r\nBEGIN:VEVENT\r\nDTSTART:20é61203T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "BEGIN:VCALENDAR\r\nX-CALENDAR-TYPE:DEFAULT_OPEN\r\nBEGIN:VEVENT\r\nDTSTART:20261203T090000Z\r\nRRULE:FREQ=WEEKLY;BYDAY=MO\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        ] {
            assert!(Calendar::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_seeded_freeze_is_closed_at_start() {
        let now = t("2026-12-03T10:37:12Z");
        let mut store = CalendarStore::default();
        store.seed(now as f64);
        let state =
            |names: Value| get_calendar_state(&store, &json!({"CalendarNames": names}), now);
        let s = state(json!(["prod-change-freeze"])).unwrap();
        assert_eq!(s["State"], "CLOSED");
        assert_eq!(s["NextTransitionTime"], "2026-12-03T13:30:00Z");
        let arn = "arn:aws:ssm:us-east-1:123456789012:document/weekend-change-window";
        let s = state(json!([arn])).unwrap();
        // 2026-12-03 is a Thursday: closed until Saturday.
        assert_eq!(s["State"], "CLOSED");
        assert_eq!(s["NextTransitionTime"], "2026-12-05T00:00:00Z");
        let at = get_calendar_state(
            &store,
            &json!({"CalendarNames": ["weekend-change-window"], "AtTime": "2026-12-05T12:00:00Z"}),
            now,
        )
        .unwrap();
        assert_eq!(
            (at["State"].as_str(), at["NextTransitionTime"].as_str()),
            (Some("OPEN"), Some("2026-12-06T00:00:00Z"))
        );
        let errors: Value =
            serde_json::from_str(include_str!("../../tests/fixtures/model-errors.json")).unwrap();
        let listed = errors["ssm"]["GetCalendarState"].as_array().unwrap();
        for (names, code) in [
            (json!(["no-such-calendar"]), "InvalidDocument"),
            (json!(["AWS-RunShellScript"]), "InvalidDocumentType"),
        ] {
            let e = state(names).unwrap_err();
            assert_eq!(e.code, code);
            assert!(listed.iter().any(|c| c == code), "{code}");
        }
        assert_eq!(state(json!([])).unwrap_err().code, "ValidationException");
        store.docs.push(CalendarDoc {
            name: "broken".into(),
            content: "BEGIN:VCALENDAR\r\n".into(),
            created: 0.0,
        });
        let e = get_calendar_state(&store, &json!({"CalendarNames": ["broken"]}), now).unwrap_err();
        assert_eq!(e.code, "UnsupportedCalendarException");
        assert!(listed.iter().any(|c| c == e.code));
    }

    /// The documents the seeded associations run read as AWS's do:
    /// DescribeDocument, GetDocument and the `listed` identifiers.
    fn agent_documents_read_as_aws(
        call: &dyn Fn(&str, Value) -> Result<Value, crate::params::ApiError>,
        old: &Value,
    ) {
        for (doc, schema, params) in [
            ("AWS-GatherSoftwareInventory", "2.0", 11),
            ("AWS-UpdateSSMAgent", "1.2", 2),
        ] {
            let d = call("DescribeDocument", json!({"Name": doc})).unwrap();
            assert_eq!(d["Document"]["SchemaVersion"], schema, "{doc}");
            assert_eq!(
                d["Document"]["Parameters"].as_array().unwrap().len(),
                params
            );
            let c = call("GetDocument", json!({"Name": doc})).unwrap();
            let content: Value = serde_json::from_str(c["Content"].as_str().unwrap()).unwrap();
            assert_eq!(content["schemaVersion"], schema);
            assert_eq!(content["parameters"].as_object().unwrap().len(), params);
            let listed = old["DocumentIdentifiers"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["Name"] == doc)
                .unwrap()
                .clone();
            assert_eq!(listed["SchemaVersion"], schema);
        }
    }

    #[tokio::test]
    async fn documents_are_listed_by_type_and_read() {
        let lab = crate::start(crate::LabConfig {
            fleet: crate::FleetSpec::small(),
            change_calendars: true,
            ..crate::LabConfig::default()
        })
        .await
        .unwrap();
        let state = lab.lab.first().clone();
        let call = |op: &str, body: Value| {
            crate::paging::scoped(
                crate::paging::Scope {
                    op: format!("ssm:{op}"),
                    binding: crate::paging::json_binding(&body),
                    key: state.token_key,
                    short_pages: 0.0,
                    seed: 1,
                },
                || crate::commands::handle(&state, op, &body).unwrap(),
            )
        };
        let names = |v: &Value| -> Vec<String> {
            v["DocumentIdentifiers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["Name"].as_str().unwrap().to_owned())
                .collect()
        };
        let cal = call(
            "ListDocuments",
            json!({"Filters": [{"Key": "DocumentType", "Values": ["ChangeCalendar"]}]}),
        )
        .unwrap();
        assert_eq!(names(&cal), ["prod-change-freeze", "weekend-change-window"]);
        let old = call(
            "ListDocuments",
            json!({"DocumentFilterList": [{"key": "DocumentType", "value": "Command"}]}),
        )
        .unwrap();
        assert_eq!(
            names(&old),
            [
                "AWS-ConfigureAWSPackage",
                "AWS-GatherSoftwareInventory",
                "AWS-RunPatchBaseline",
                "AWS-RunPowerShellScript",
                "AWS-RunShellScript",
                "AWS-UpdateSSMAgent"
            ]
        );
        agent_documents_read_as_aws(&call, &old);
        let own = call(
            "ListDocuments",
            json!({"Filters": [{"Key": "Owner", "Values": ["Self"]}]}),
        )
        .unwrap();
        // The two calendars and the lab account's runbook.
        assert_eq!(
            names(&own),
            [
                "Lab-CollectDiagnostics",
                "prod-change-freeze",
                "weekend-change-window"
            ]
        );
        let first = call("ListDocuments", json!({"MaxResults": 3})).unwrap();
        assert_eq!(names(&first).len(), 3);
        let token = first["NextToken"].as_str().unwrap();
        let rest = call(
            "ListDocuments",
            json!({"MaxResults": 50, "NextToken": token}),
        )
        .unwrap();
        // The second page is the rest of the unpaged list.
        let all = names(&call("ListDocuments", json!({})).unwrap());
        assert_eq!(names(&rest), all[3..]);
        assert!(all.iter().any(|n| n == "weekend-change-window"));
        let errors: Value =
            serde_json::from_str(include_str!("../../tests/fixtures/model-errors.json")).unwrap();
        let listed = |op: &str, code: &str| {
            errors["ssm"][op]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == code)
                || code == "ValidationException"
        };
        for (body, code) in [
            (
                json!({"Filters": [{"Key": "Colour", "Values": ["x"]}]}),
                "InvalidFilterKey",
            ),
            (
                json!({"DocumentFilterList": [{"key": "Colour", "value": "x"}]}),
                "ValidationException",
            ),
            (json!({"NextToken": "forged"}), "InvalidNextToken"),
        ] {
            let e = call("ListDocuments", body).unwrap_err();
            assert_eq!(e.code, code);
            assert!(listed("ListDocuments", code), "{code}");
        }
        let doc = call(
            "GetDocument",
            json!({"Name": "prod-change-freeze", "DocumentFormat": "TEXT"}),
        )
        .unwrap();
        assert_eq!(
            (doc["DocumentType"].as_str(), doc["DocumentFormat"].as_str()),
            (Some("ChangeCalendar"), Some("TEXT"))
        );
        assert!(
            doc["Content"]
                .as_str()
                .unwrap()
                .contains("X-CALENDAR-TYPE:DEFAULT_OPEN")
        );
        let cmd = call("GetDocument", json!({"Name": "AWS-RunShellScript"})).unwrap();
        let content: Value = serde_json::from_str(cmd["Content"].as_str().unwrap()).unwrap();
        assert_eq!(content["schemaVersion"], "2.2");
        for (body, code) in [
            (json!({"Name": "nope-doc"}), "InvalidDocument"),
            (
                json!({"Name": "AWS-RunShellScript", "DocumentVersion": "7"}),
                "InvalidDocumentVersion",
            ),
        ] {
            let e = call("GetDocument", body).unwrap_err();
            assert_eq!(e.code, code);
            assert!(listed("GetDocument", code), "{code}");
        }
        // Odd input is an error, not a panic.
        for body in [
            json!(null),
            json!({"Name": 5, "Filters": "x", "DocumentFilterList": [{"key": 1}], "MaxResults": "x"}),
            json!({"Name": "é", "Filters": [{"Key": "Owner", "Values": "x"}], "DocumentVersion": 1}),
            json!({"CalendarNames": "x", "AtTime": 5, "Content": 3, "DocumentType": []}),
            json!({"CalendarNames": [1, "é"], "AtTime": "2026-13-01T00:00:00Z", "Name": "abc-é", "DocumentFormat": "TEXT",
                "DocumentType": "ChangeCalendar", "Content": "BEGIN:VCALENDAR\nX-CALENDAR-TYPE:DEFAULT_OPEN\nBEGIN:VEVENT\nDTSTART:é\nEND:VEVENT"}),
        ] {
            let _ = call("ListDocuments", body.clone());
            let _ = call("GetDocument", body.clone());
            let mut store = state.calendars.lock().unwrap();
            let _ = get_calendar_state(&store, &body, 0);
            let _ = create_document(&mut store, "123456789012", &body, 0.0);
        }
    }

    #[test]
    fn create_document_for_a_calendar() {
        let mut store = CalendarStore::default();
        store.seed(t("2026-12-03T10:00:00Z") as f64);
        let content = store.docs[0].content.clone();
        let body = |name: &str, kind: &str, format: &str, content: &str| json!({"Name": name, "DocumentType": kind, "DocumentFormat": format, "Content": content});
        let ok = create_document(
            &mut store,
            "123456789012",
            &body("team-freeze", "ChangeCalendar", "TEXT", &content),
            1.0,
        )
        .unwrap();
        assert_eq!(ok["DocumentDescription"]["DocumentType"], "ChangeCalendar");
        assert!(store.find("team-freeze").is_some());
        let errors: Value =
            serde_json::from_str(include_str!("../../tests/fixtures/model-errors.json")).unwrap();
        let listed = errors["ssm"]["CreateDocument"].as_array().unwrap();
        let big = "x".repeat(MAX_CONTENT + 1);
        for (b, code) in [
            (
                body("team-freeze", "ChangeCalendar", "TEXT", &content),
                "DocumentAlreadyExists",
            ),
            (
                body(
                    "other-freeze",
                    "ChangeCalendar",
                    "TEXT",
                    "BEGIN:VCALENDAR\r\n",
                ),
                "InvalidDocumentContent",
            ),
            (
                body("other-freeze", "ChangeCalendar", "JSON", &content),
                "InvalidDocumentContent",
            ),
            (
                body("other-freeze", "ChangeCalendar", "TEXT", &big),
                "MaxDocumentSizeExceeded",
            ),
            (
                body("other-freeze", "Command", "JSON", "{}"),
                "ValidationException",
            ),
            (
                body("AWS-Freeze", "ChangeCalendar", "TEXT", &content),
                "ValidationException",
            ),
            (
                body("x", "ChangeCalendar", "TEXT", &content),
                "ValidationException",
            ),
        ] {
            let e = create_document(&mut store, "123456789012", &b, 1.0).unwrap_err();
            assert_eq!(e.code, code, "{}", e.message);
            assert!(
                code == "ValidationException" || listed.iter().any(|c| c == code),
                "{code}"
            );
        }
    }
}
