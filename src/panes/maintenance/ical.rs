//! The events of a change calendar's iCalendar text (RFC 5545, as
//! GetDocument returns a ChangeCalendar in format TEXT), for the calendar
//! view: each VEVENT's summary, start, end and recurrence, and the
//! calendar's default state. Only read for showing: whether the calendar
//! is OPEN or CLOSED at a time is AWS's answer (GetCalendarState), never
//! computed here. Text from AWS is untrusted; the view sanitizes it.

use crate::aws::maintenance::days_from_civil;

/// One VEVENT.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Event {
    /// SUMMARY (may be empty).
    pub summary: String,
    /// DESCRIPTION (may be empty).
    pub description: String,
    /// DTSTART as written (`20261203T180000Z`, or a date `20261224`).
    pub start: String,
    /// DTEND as written (may be empty).
    pub end: String,
    /// DTSTART, epoch seconds, when it is a UTC time or a date.
    pub start_s: Option<i64>,
    /// DTEND, epoch seconds, likewise.
    pub end_s: Option<i64>,
    /// RRULE as written (empty: one occurrence).
    pub rrule: String,
}

/// A parsed calendar: its default state and its events, in start order.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Parsed {
    /// `DEFAULT_OPEN` or `DEFAULT_CLOSED` (`X-CALENDAR-TYPE`), empty when
    /// the text does not say.
    pub default_state: String,
    /// Its events.
    pub events: Vec<Event>,
}

/// The content lines with folded lines joined (a line that starts with a
/// space or a tab continues the one before, RFC 5545 §3.1).
fn unfold(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        match (line.strip_prefix([' ', '\t']), out.last_mut()) {
            (Some(rest), Some(last)) => last.push_str(rest),
            _ => out.push(line.to_owned()),
        }
    }
    out
}

/// `20261203T180000Z` or `20261203` as epoch seconds (a floating or
/// zoned local time is not read: `None`).
pub fn ical_time(v: &str) -> Option<i64> {
    // Untrusted text: only ASCII digits are sliced (a multi-byte
    // character would split a slice), every field within its range.
    if !v.is_ascii() {
        return None;
    }
    let num = |s: &str, max: i64| s.parse::<i64>().ok().filter(|n| (0..=max).contains(n));
    let (date, time) = v.split_once('T').unwrap_or((v, ""));
    if date.len() != 8 {
        return None;
    }
    let (y, m, d) = (
        num(&date[..4], 9999)?,
        num(&date[4..6], 12)?,
        num(&date[6..8], 31)?,
    );
    if m == 0 || d == 0 {
        return None;
    }
    let day = days_from_civil(y, m, d) * 86_400;
    match time {
        "" => Some(day),
        t if t.len() == 7 && t.ends_with('Z') => {
            Some(day + num(&t[..2], 23)? * 3600 + num(&t[2..4], 59)? * 60 + num(&t[4..6], 60)?)
        }
        _ => None,
    }
}

/// Un-escapes a TEXT value (`\,` `\;` `\n` `\\`).
fn text_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('n' | 'N') => out.push(' '),
                Some(x) => out.push(x),
                None => {}
            },
            (c, false) => out.push(c),
        }
    }
    out
}

/// Reads `text`; lines it does not know are skipped.
pub fn parse(text: &str) -> Parsed {
    let mut p = Parsed::default();
    let mut event: Option<Event> = None;
    for line in unfold(text) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let key = name.split(';').next().unwrap_or("").to_ascii_uppercase();
        match (key.as_str(), event.as_mut()) {
            ("BEGIN", None) if value.eq_ignore_ascii_case("VEVENT") => {
                event = Some(Event::default());
            }
            ("END", Some(_)) if value.eq_ignore_ascii_case("VEVENT") => {
                p.events.extend(event.take());
            }
            ("X-CALENDAR-TYPE", None) => p.default_state = value.trim().to_owned(),
            ("SUMMARY", Some(e)) => e.summary = text_value(value),
            ("DESCRIPTION", Some(e)) => e.description = text_value(value),
            ("DTSTART", Some(e)) => {
                e.start = value.trim().to_owned();
                e.start_s = ical_time(value.trim());
            }
            ("DTEND", Some(e)) => {
                e.end = value.trim().to_owned();
                e.end_s = ical_time(value.trim());
            }
            ("RRULE", Some(e)) => e.rrule = value.trim().to_owned(),
            _ => {}
        }
    }
    p.events.sort_by_key(|e| e.start_s);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_read_with_folded_lines_escapes_and_dates() {
        let text = "BEGIN:VCALENDAR\r\nX-CALENDAR-TYPE:DEFAULT_OPEN\r\nBEGIN:VEVENT\r\nSUMMARY:Year-end freeze\\, prod\r\nDESCRIPTION:No changes \r\n without approval\r\nDTSTART:20261224T000000Z\r\nDTEND:20270102T000000Z\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:Weekly\r\nDTSTART;VALUE=DATE:20261201\r\nRRULE:FREQ=WEEKLY;BYDAY=FR\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let p = parse(text);
        assert_eq!(p.default_state, "DEFAULT_OPEN");
        assert_eq!(p.events.len(), 2);
        let weekly = &p.events[0];
        assert_eq!(weekly.summary, "Weekly");
        assert_eq!(weekly.rrule, "FREQ=WEEKLY;BYDAY=FR");
        assert_eq!(weekly.start_s, Some(days_from_civil(2026, 12, 1) * 86_400));
        let freeze = &p.events[1];
        assert_eq!(freeze.summary, "Year-end freeze, prod");
        assert_eq!(freeze.description, "No changes without approval");
        assert_eq!(freeze.start_s, Some(days_from_civil(2026, 12, 24) * 86_400));
        assert_eq!(freeze.end, "20270102T000000Z");
        assert_eq!(
            ical_time("20261224T100000"),
            None,
            "a floating time is not guessed"
        );
        assert_eq!(parse("garbage\nno colon").events, Vec::new());
        for bad in [
            "202€12",
            "20261224T1é000Z",
            "20261324",
            "20261200",
            "20261224T250000Z",
        ] {
            assert_eq!(ical_time(bad), None, "{bad}");
        }
        let hostile = "BEGIN:VEVENT\nDTSTART:202€12\nDTEND:2026122€\nSUMMARY:x\nEND:VEVENT\n";
        assert_eq!(parse(hostile).events[0].start_s, None, "no panic, no time");
    }
}
