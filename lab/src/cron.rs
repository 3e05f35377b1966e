//! Schedule expressions of maintenance windows, civil dates and the few
//! time zones the lab knows, without a time-zone database.
//!
//! Expressions, as the Systems Manager user guide writes them:
//!
//! - `cron(minutes hours day-of-month month day-of-week year)`: six fields.
//!   Each field takes numbers, `*`, lists (`1,15`), ranges (`1-5`) and
//!   steps (`*/15`, `0-30/10`); months also `JAN` … `DEC`, days of the week
//!   `1` … `7` or `SUN` … `SAT` (1 is Sunday, as in AWS cron). One of
//!   day-of-month and day-of-week must be `?` (the other may be `*`).
//!   Day-of-month also takes `L` (the last day); day-of-week takes `D#N`
//!   (the N-th such day of the month, `TUE#2`) and `DL` (the last such day,
//!   `6L`). `W` is not supported and is refused.
//! - `rate(N unit)`: unit `minute(s)`, `hour(s)` or `day(s)`; occurrences
//!   fall every N units from the window's anchor (its StartDate, else its
//!   creation time).
//! - `at(YYYY-MM-DDTHH:MM:SS)`: once, in the window's time zone.
//!
//! Time zones, without a time-zone database ([`zone`]): UTC, a small
//! built-in table of IANA names whose offset is fixed (`Asia/Tokyo`,
//! `Asia/Kolkata`, `America/Phoenix`, `Etc/GMT±N` …), and the main zones
//! of North America and Europe with their current daylight saving rules
//! (US and Canada: second Sunday of March 02:00 local to first Sunday of
//! November 02:00 local; EU and UK: last Sunday of March to last Sunday of
//! October, 01:00 UTC), e.g. `America/New_York`, `Europe/London`,
//! `Europe/Berlin`. Past rule changes are not modelled. Any other name is
//! unknown (the maintenance window calls refuse it).

/// Days since 1970-01-01 of the proleptic Gregorian date `y-m-d`.
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date (year, month 1 … 12, day 1 … 31) `z` days after 1970-01-01.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// Day of the week of day `z` since the epoch: 0 is Sunday … 6 Saturday.
pub(crate) fn weekday(z: i64) -> u32 {
    (z + 4).rem_euclid(7) as u32
}

fn days_in_month(y: i64, m: u32) -> u32 {
    (days_from_civil(
        if m == 12 { y + 1 } else { y },
        if m == 12 { 1 } else { m + 1 },
        1,
    ) - days_from_civil(y, m, 1)) as u32
}

/// Epoch seconds of the UTC civil time.
pub(crate) fn epoch_of(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> i64 {
    days_from_civil(y, mo, d) * 86_400 + i64::from(h * 3_600 + mi * 60 + s)
}

/// `YYYY-MM-DDTHH:MMZ` (UTC, minutes), as AWS writes a window's
/// NextExecutionTime and a scheduled ExecutionTime.
pub(crate) fn iso_minutes(t: i64) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}Z",
        s / 3_600,
        s % 3_600 / 60
    )
}

/// `YYYY-MM-DDTHH:MM:SSZ` (UTC, seconds).
pub(crate) fn iso_seconds(t: i64) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3_600,
        s % 3_600 / 60,
        s % 60
    )
}

fn num<T: std::str::FromStr>(s: &str, len: usize) -> Option<T> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Parses an ISO-8601 date-time: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM`,
/// `…:SS`, `…:SS.fff`, each with an optional `Z`, `±HH:MM` or `±HHMM`
/// (none: `default_offset_s` east of UTC). Returns epoch seconds.
pub(crate) fn parse_iso(s: &str, default_offset_s: i64) -> Option<i64> {
    let s = s.trim();
    let (date, time) = s.split_once('T').unwrap_or((s, ""));
    let mut dp = date.split('-');
    let y: i64 = num(dp.next()?, 4)?;
    let mo: u32 = num(dp.next()?, 2)?;
    let d: u32 = num(dp.next()?, 2)?;
    if dp.next().is_some() || !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) {
        return None;
    }
    let (clock, offset) = if let Some(c) = time.strip_suffix('Z') {
        (c, 0)
    } else if let Some(i) = time.rfind(['+', '-']) {
        let (c, z) = time.split_at(i);
        let sign = if z.starts_with('-') { -1 } else { 1 };
        let z = z[1..].replace(':', "");
        let (zh, zm): (i64, i64) = (num(z.get(..2)?, 2)?, num(z.get(2..)?, 2)?);
        (c, sign * (zh * 3_600 + zm * 60))
    } else {
        (time, default_offset_s)
    };
    let (mut h, mut mi, mut sec) = (0u32, 0u32, 0u32);
    if !clock.is_empty() {
        let clock = clock.split('.').next()?;
        let mut cp = clock.split(':');
        h = num(cp.next()?, 2)?;
        mi = num(cp.next()?, 2)?;
        if let Some(x) = cp.next() {
            sec = num(x, 2)?;
        }
        if cp.next().is_some() || h > 23 || mi > 59 || sec > 59 {
            return None;
        }
    }
    Some(epoch_of(y, mo, d, h, mi, sec) - offset)
}

/// Offsets east of UTC (seconds) of the zones the lab supports; see the
/// module documentation.
const ZONES: &[(&str, i64)] = &[
    ("UTC", 0),
    ("Etc/UTC", 0),
    ("GMT", 0),
    ("Etc/GMT", 0),
    ("Africa/Abidjan", 0),
    ("Atlantic/Reykjavik", 0),
    ("Africa/Lagos", 3_600),
    ("Africa/Johannesburg", 7_200),
    ("Africa/Cairo", 7_200),
    ("Africa/Nairobi", 10_800),
    ("Europe/Moscow", 10_800),
    ("Europe/Istanbul", 10_800),
    ("Asia/Riyadh", 10_800),
    ("Asia/Dubai", 14_400),
    ("Asia/Karachi", 18_000),
    ("Asia/Kolkata", 19_800),
    ("Asia/Calcutta", 19_800),
    ("Asia/Dhaka", 21_600),
    ("Asia/Bangkok", 25_200),
    ("Asia/Jakarta", 25_200),
    ("Asia/Shanghai", 28_800),
    ("Asia/Hong_Kong", 28_800),
    ("Asia/Singapore", 28_800),
    ("Asia/Taipei", 28_800),
    ("Australia/Perth", 28_800),
    ("Asia/Tokyo", 32_400),
    ("Asia/Seoul", 32_400),
    ("Australia/Brisbane", 36_000),
    ("America/Sao_Paulo", -10_800),
    ("America/Argentina/Buenos_Aires", -10_800),
    ("America/Bogota", -18_000),
    ("America/Lima", -18_000),
    ("America/Panama", -18_000),
    ("America/Regina", -21_600),
    ("America/Phoenix", -25_200),
    ("Pacific/Honolulu", -36_000),
];

/// Zones with US and Canadian daylight saving time: (name, standard
/// offset east of UTC in seconds).
const US_ZONES: &[(&str, i64)] = &[
    ("America/New_York", -18_000),
    ("America/Detroit", -18_000),
    ("America/Toronto", -18_000),
    ("America/Chicago", -21_600),
    ("America/Winnipeg", -21_600),
    ("America/Denver", -25_200),
    ("America/Edmonton", -25_200),
    ("America/Los_Angeles", -28_800),
    ("America/Vancouver", -28_800),
    ("America/Anchorage", -32_400),
    ("America/Halifax", -14_400),
];

/// Zones with EU and UK summer time: (name, standard offset).
const EU_ZONES: &[(&str, i64)] = &[
    ("Europe/London", 0),
    ("Europe/Dublin", 0),
    ("Europe/Lisbon", 0),
    ("Europe/Paris", 3_600),
    ("Europe/Berlin", 3_600),
    ("Europe/Amsterdam", 3_600),
    ("Europe/Brussels", 3_600),
    ("Europe/Madrid", 3_600),
    ("Europe/Rome", 3_600),
    ("Europe/Vienna", 3_600),
    ("Europe/Zurich", 3_600),
    ("Europe/Stockholm", 3_600),
    ("Europe/Oslo", 3_600),
    ("Europe/Copenhagen", 3_600),
    ("Europe/Warsaw", 3_600),
    ("Europe/Prague", 3_600),
    ("Europe/Athens", 7_200),
    ("Europe/Helsinki", 7_200),
    ("Europe/Bucharest", 7_200),
    ("Europe/Sofia", 7_200),
    ("Europe/Kyiv", 7_200),
];

/// A time zone the lab knows (see the module documentation); offsets are
/// standard offsets east of UTC in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Zone {
    /// No daylight saving time.
    Fixed(i64),
    /// US and Canadian rules.
    Us(i64),
    /// EU and UK rules.
    Eu(i64),
}

/// UTC.
pub(crate) const UTC: Zone = Zone::Fixed(0);

/// The `n`-th (1-based) Sunday of month `m` of `y`, or the last when `n` is 0.
fn sunday(y: i64, m: u32, n: u32) -> u32 {
    if n == 0 {
        let last = days_in_month(y, m);
        return last - weekday(days_from_civil(y, m, last));
    }
    let first = weekday(days_from_civil(y, m, 1));
    1 + (7 - first) % 7 + 7 * (n - 1)
}

impl Zone {
    /// The offset east of UTC in force at `utc` (epoch seconds).
    pub(crate) fn offset_at(self, utc: i64) -> i64 {
        let (std, summer) = match self {
            Zone::Fixed(o) => return o,
            Zone::Us(o) | Zone::Eu(o) => (o, o + 3_600),
        };
        let (y, _, _) = civil_from_days((utc + std).div_euclid(86_400));
        let (start, end) = match self {
            Zone::Us(_) => (
                epoch_of(y, 3, sunday(y, 3, 2), 2, 0, 0) - std,
                epoch_of(y, 11, sunday(y, 11, 1), 2, 0, 0) - summer,
            ),
            _ => (
                epoch_of(y, 3, sunday(y, 3, 0), 1, 0, 0),
                epoch_of(y, 10, sunday(y, 10, 0), 1, 0, 0),
            ),
        };
        if (start..end).contains(&utc) {
            summer
        } else {
            std
        }
    }

    /// The UTC instant of local civil time `local` (epoch seconds of the
    /// civil time). A local time skipped by the spring change is read with
    /// the standard offset; one repeated in autumn is the later instant.
    pub(crate) fn to_utc(self, local: i64) -> i64 {
        let std = match self {
            Zone::Fixed(o) => return local - o,
            Zone::Us(o) | Zone::Eu(o) => o,
        };
        let guess = local - std;
        let o = self.offset_at(guess);
        let u = local - o;
        if self.offset_at(u) == o { u } else { guess }
    }

    /// The local civil time (as epoch seconds) of `utc`.
    pub(crate) fn to_local(self, utc: i64) -> i64 {
        utc + self.offset_at(utc)
    }
}

/// The zone named `name` (IANA name; see the module documentation),
/// `None` for a zone the lab does not know.
pub(crate) fn zone(name: &str) -> Option<Zone> {
    if let Some((_, o)) = US_ZONES.iter().find(|(n, _)| *n == name) {
        return Some(Zone::Us(*o));
    }
    if let Some((_, o)) = EU_ZONES.iter().find(|(n, _)| *n == name) {
        return Some(Zone::Eu(*o));
    }
    tz_offset(name).map(Zone::Fixed)
}

/// [`parse_iso`] for a string without an offset read as local time in `zone`.
pub(crate) fn parse_iso_in(s: &str, zone: Zone) -> Option<i64> {
    let time = s.trim().split_once('T').map_or("", |(_, t)| t);
    let explicit = time.ends_with('Z') || time.contains(['+', '-']);
    let t = parse_iso(s, 0)?;
    Some(if explicit { t } else { zone.to_utc(t) })
}

/// The fixed offset east of UTC, in seconds, of a zone without daylight
/// saving time (see the module documentation), `None` for any other.
/// `Etc/GMT+5` is five hours *west* of UTC, as in the tz database.
pub(crate) fn tz_offset(name: &str) -> Option<i64> {
    if let Some((_, o)) = ZONES.iter().find(|(n, _)| *n == name) {
        return Some(*o);
    }
    let rest = name.strip_prefix("Etc/GMT")?;
    let (sign, n) = match rest.split_at_checked(1)? {
        ("+", n) => (-1, n),
        ("-", n) => (1, n),
        _ => return None,
    };
    let h: i64 = n.parse().ok().filter(|h| (1..=14).contains(h))?;
    (n.len() <= 2 && !n.starts_with('0')).then_some(sign * h * 3_600)
}

/// Day-of-month field.
#[derive(Debug, Clone, PartialEq)]
enum Dom {
    Any,
    Days(Vec<bool>),
    Last,
}

/// Day-of-week field (0 is Sunday).
#[derive(Debug, Clone, PartialEq)]
enum Dow {
    Any,
    Days(Vec<bool>),
    Nth(u32, u32),
    Last(u32),
}

/// A parsed six-field cron expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cron {
    minutes: Vec<bool>,
    hours: Vec<bool>,
    dom: Dom,
    months: Vec<bool>,
    dow: Dow,
    /// Allowed years 1970 … 2199 (index from 1970); `None`: every year.
    years: Option<Vec<bool>>,
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// One value of a field: a number or (for months and days) a name;
/// `names[0]` is worth `min`.
fn value(s: &str, min: u32, max: u32, names: &[&str]) -> Result<u32, String> {
    if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
        return Ok(min + i as u32);
    }
    match s.parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("'{s}' is not a value between {min} and {max}")),
    }
}

/// A field of numbers, `*`, lists, ranges and steps: which values of
/// `0 ..= max` it allows.
fn field(s: &str, min: u32, max: u32, names: &[&str]) -> Result<Vec<bool>, String> {
    let mut set = vec![false; max as usize + 1];
    for part in s.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, st)) => (
                r,
                st.parse::<u32>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or(format!("'{st}' is not a step"))?,
            ),
            None => (part, 1),
        };
        let (lo, hi) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a, min, max, names)?, value(b, min, max, names)?)
        } else {
            let v = value(range, min, max, names)?;
            (v, if part.contains('/') { max } else { v })
        };
        if lo > hi {
            return Err(format!("the range '{range}' is empty"));
        }
        for v in (lo..=hi).step_by(step as usize) {
            set[v as usize] = true;
        }
    }
    Ok(set)
}

fn dow_field(s: &str) -> Result<Dow, String> {
    if s == "?" {
        return Ok(Dow::Any);
    }
    let day = |x: &str| value(x, 1, 7, &DAYS).map(|d| d - 1);
    if let Some((d, n)) = s.split_once('#') {
        let n: u32 = n
            .parse()
            .ok()
            .filter(|n| (1..=5).contains(n))
            .ok_or(format!("'{s}': the week must be 1 … 5"))?;
        return Ok(Dow::Nth(day(d)?, n));
    }
    if let Some(d) = s.strip_suffix('L')
        && !d.is_empty()
    {
        return Ok(Dow::Last(day(d)?));
    }
    let set = field(s, 1, 7, &DAYS)?;
    Ok(Dow::Days((0..7).map(|d| set[d + 1]).collect()))
}

impl Cron {
    /// Parses the six fields inside `cron(…)`.
    pub(crate) fn parse(s: &str) -> Result<Cron, String> {
        let f: Vec<&str> = s.split_whitespace().collect();
        let [mi, h, dom, mo, dow, y] = f[..] else {
            return Err(format!(
                "a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), not {}",
                f.len()
            ));
        };
        if (dom == "?") == (dow == "?") {
            return Err("exactly one of day-of-month and day-of-week must be '?'".to_owned());
        }
        if dom.contains('W') {
            return Err("'W' (nearest weekday) is not supported".to_owned());
        }
        let dom = match dom {
            "?" => Dom::Any,
            "L" => Dom::Last,
            d => Dom::Days(field(d, 1, 31, &[])?),
        };
        Ok(Cron {
            minutes: field(mi, 0, 59, &[])?,
            hours: field(h, 0, 23, &[])?,
            dom,
            months: field(mo, 1, 12, &MONTHS)?,
            dow: dow_field(dow)?,
            years: match y {
                "*" => None,
                y => {
                    let set = field(y, 1970, 2199, &[])?;
                    Some(set[1970..].to_vec())
                }
            },
        })
    }

    fn day_matches(&self, z: i64) -> bool {
        let (y, m, d) = civil_from_days(z);
        let year_ok = match &self.years {
            None => true,
            Some(set) => (1970..=2199).contains(&y) && set[(y - 1970) as usize],
        };
        if !year_ok || !self.months[m as usize] {
            return false;
        }
        let wd = weekday(z);
        let dim = days_in_month(y, m);
        let dom_ok = match &self.dom {
            Dom::Any => true,
            Dom::Days(set) => set[d as usize],
            Dom::Last => d == dim,
        };
        let dow_ok = match &self.dow {
            Dow::Any => true,
            Dow::Days(set) => set[wd as usize],
            Dow::Nth(w, n) => wd == *w && (d - 1) / 7 + 1 == *n,
            Dow::Last(w) => wd == *w && d + 7 > dim,
        };
        dom_ok && dow_ok
    }

    /// The first matching minute strictly after local time `after` (epoch
    /// seconds of the local civil time), within 40 years.
    fn next_local(&self, after: i64) -> Option<i64> {
        let start = after.div_euclid(60) + 1;
        let first_day = start.div_euclid(1_440);
        for z in first_day..first_day + 40 * 366 {
            if !self.day_matches(z) {
                continue;
            }
            let from = if z == first_day {
                start.rem_euclid(1_440)
            } else {
                0
            };
            for minute in from..1_440 {
                let (h, m) = (minute / 60, minute % 60);
                if self.hours[h as usize] && self.minutes[m as usize] {
                    return Some((z * 1_440 + minute) * 60);
                }
            }
        }
        None
    }
}

/// A parsed schedule expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Schedule {
    /// `cron(…)`.
    Cron(Cron),
    /// `rate(…)`: the period in seconds.
    Rate(i64),
    /// `at(…)`: local civil time as epoch seconds.
    At(i64),
}

impl Schedule {
    /// Parses `cron(…)`, `rate(…)` or `at(…)`; the error says what is wrong.
    pub(crate) fn parse(s: &str) -> Result<Schedule, String> {
        let s = s.trim();
        if let Some(inner) = s.strip_prefix("cron(").and_then(|r| r.strip_suffix(')')) {
            return Cron::parse(inner).map(Schedule::Cron);
        }
        if let Some(inner) = s.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) {
            let (n, unit) = inner
                .trim()
                .split_once(' ')
                .ok_or("a rate is 'rate(N unit)'")?;
            let n: i64 = n
                .parse()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or(format!("'{n}' is not a positive number"))?;
            let unit_s = match unit.trim() {
                "minute" | "minutes" => 60,
                "hour" | "hours" => 3_600,
                "day" | "days" => 86_400,
                u => return Err(format!("'{u}' is not a rate unit (minutes, hours, days)")),
            };
            return Ok(Schedule::Rate(n * unit_s));
        }
        if let Some(inner) = s.strip_prefix("at(").and_then(|r| r.strip_suffix(')')) {
            let t = parse_iso(inner, 0)
                .filter(|_| inner.len() == 19)
                .ok_or("an at expression is 'at(YYYY-MM-DDTHH:MM:SS)'")?;
            return Ok(Schedule::At(t));
        }
        Err("a schedule is cron(…), rate(…) or at(…)".to_owned())
    }

    /// The first occurrence strictly after `after` (epoch seconds, UTC), in
    /// `zone`; `anchor` is where a rate's occurrences start (a rate's first
    /// occurrence is the anchor itself).
    pub(crate) fn next_after(&self, after: i64, zone: Zone, anchor: i64) -> Option<i64> {
        match self {
            Schedule::Cron(c) => {
                let mut cursor = zone.to_local(after);
                loop {
                    let local = c.next_local(cursor)?;
                    let utc = zone.to_utc(local);
                    if utc > after {
                        return Some(utc);
                    }
                    cursor = local;
                }
            }
            Schedule::Rate(p) => Some(if after < anchor {
                anchor
            } else {
                anchor + ((after - anchor) / p + 1) * p
            }),
            Schedule::At(t) => Some(zone.to_utc(*t)).filter(|t| *t > after),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> i64 {
        parse_iso(s, 0).expect(s)
    }

    fn next(expr: &str, after: &str, zone: Zone) -> String {
        let s = Schedule::parse(expr).expect(expr);
        iso_minutes(s.next_after(t(after), zone, 0).expect("an occurrence"))
    }

    #[test]
    fn civil_dates_round_trip() {
        for z in [-1, 0, 59, 11_016, 20_454, 30_000, 100_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        // 2026-12-03 is a Thursday.
        assert_eq!(weekday(days_from_civil(2026, 12, 3)), 4);
        assert_eq!(
            iso_seconds(t("2026-12-03T10:30:05+01:00")),
            "2026-12-03T09:30:05Z"
        );
        assert_eq!(t("2026-12-03"), t("2026-12-03T00:00:00Z"));
        assert_eq!(parse_iso("2026-02-30T00:00Z", 0), None);
        assert_eq!(parse_iso("yesterday", 0), None);
    }

    #[test]
    fn cron_next_times() {
        // Sundays at 03:00 UTC; 2026-12-03 is a Thursday.
        assert_eq!(
            next("cron(0 3 ? * SUN *)", "2026-12-03T10:00:00Z", UTC),
            "2026-12-06T03:00Z"
        );
        assert_eq!(
            next("cron(0 3 ? * 1 *)", "2026-12-06T03:00:00Z", UTC),
            "2026-12-13T03:00Z"
        );
        // Every 15 minutes on weekdays.
        assert_eq!(
            next("cron(*/15 * ? * MON-FRI *)", "2026-12-04T23:50:00Z", UTC),
            "2026-12-07T00:00Z"
        );
        assert_eq!(
            next("cron(0/15 9-17 ? * * *)", "2026-12-03T10:16:00Z", UTC),
            "2026-12-03T10:30Z"
        );
        // Lists, the last day of the month, months by name, a year.
        assert_eq!(
            next("cron(30 1 1,15 * ? *)", "2026-12-03T00:00:00Z", UTC),
            "2026-12-15T01:30Z"
        );
        assert_eq!(
            next("cron(0 0 L FEB ? 2028)", "2026-12-03T00:00:00Z", UTC),
            "2028-02-29T00:00Z"
        );
        assert_eq!(
            next("cron(0 4 ? * WED *)", "2026-12-03T00:00:00Z", UTC),
            "2026-12-09T04:00Z"
        );
        assert_eq!(
            next("cron(0 4 ? * MON,WED,FRI *)", "2026-12-03T00:00:00Z", UTC),
            "2026-12-04T04:00Z"
        );
        // Patch Tuesday: the second Tuesday of the month.
        assert_eq!(
            next("cron(0 2 ? * TUE#2 *)", "2026-12-03T00:00:00Z", UTC),
            "2026-12-08T02:00Z"
        );
        // The last Friday.
        assert_eq!(
            next("cron(0 2 ? * 6L *)", "2026-12-03T00:00:00Z", UTC),
            "2026-12-25T02:00Z"
        );
        // A year with no occurrence left.
        let s = Schedule::parse("cron(0 0 1 1 ? 2020)").unwrap();
        assert_eq!(s.next_after(t("2026-01-01T00:00:00Z"), UTC, 0), None);
    }

    #[test]
    fn cron_in_a_time_zone() {
        let tokyo = zone("Asia/Tokyo").unwrap();
        // 03:00 in Tokyo on Sunday is 18:00 UTC on Saturday.
        assert_eq!(
            next("cron(0 3 ? * SUN *)", "2026-12-03T10:00:00Z", tokyo),
            "2026-12-05T18:00Z"
        );
        let kolkata = zone("Asia/Kolkata").unwrap();
        assert_eq!(
            next("cron(0 0 * * ? *)", "2026-12-03T10:00:00Z", kolkata),
            "2026-12-03T18:30Z"
        );
        assert_eq!(tz_offset("Etc/GMT+5"), Some(-5 * 3_600));
        assert_eq!(tz_offset("Etc/GMT-14"), Some(14 * 3_600));
        assert_eq!(tz_offset("America/New_York"), None);
        assert_eq!(zone("Mars/Olympus"), None);
        assert_eq!(tz_offset("Etc/GMT+15"), None);
    }

    #[test]
    fn daylight_saving_zones() {
        let ny = zone("America/New_York").unwrap();
        // 2026: EDT from 8 March 07:00 UTC to 1 November 06:00 UTC.
        assert_eq!(ny.offset_at(t("2026-03-08T06:59:59Z")), -5 * 3_600);
        assert_eq!(ny.offset_at(t("2026-03-08T07:00:00Z")), -4 * 3_600);
        assert_eq!(ny.offset_at(t("2026-11-01T05:59:59Z")), -4 * 3_600);
        assert_eq!(ny.offset_at(t("2026-11-01T06:00:00Z")), -5 * 3_600);
        let london = zone("Europe/London").unwrap();
        // 2026: BST from 29 March to 25 October, 01:00 UTC.
        assert_eq!(london.offset_at(t("2026-03-29T00:59:59Z")), 0);
        assert_eq!(london.offset_at(t("2026-03-29T01:00:00Z")), 3_600);
        assert_eq!(london.offset_at(t("2026-10-25T01:00:00Z")), 0);
        // 02:00 every day in New York, across the spring change.
        assert_eq!(
            next("cron(0 2 * * ? *)", "2026-03-07T08:00:00Z", ny),
            "2026-03-08T07:00Z"
        );
        assert_eq!(
            next("cron(0 2 * * ? *)", "2026-03-08T08:00:00Z", ny),
            "2026-03-09T06:00Z"
        );
        // Summer in Berlin: 03:00 local is 01:00 UTC.
        let berlin = zone("Europe/Berlin").unwrap();
        assert_eq!(
            next("cron(0 3 ? * SUN *)", "2026-07-01T00:00:00Z", berlin),
            "2026-07-05T01:00Z"
        );
        assert_eq!(
            next("cron(0 3 ? * SUN *)", "2026-12-01T00:00:00Z", berlin),
            "2026-12-06T02:00Z"
        );
        assert_eq!(
            parse_iso_in("2026-07-01T12:00", ny),
            Some(t("2026-07-01T16:00:00Z"))
        );
        assert_eq!(
            parse_iso_in("2026-07-01T12:00Z", ny),
            Some(t("2026-07-01T12:00:00Z"))
        );
    }

    #[test]
    fn rates_and_at() {
        let s = Schedule::parse("rate(6 hours)").unwrap();
        let anchor = t("2026-12-01T00:00:00Z");
        assert_eq!(
            s.next_after(t("2026-11-30T00:00:00Z"), UTC, anchor),
            Some(anchor)
        );
        assert_eq!(
            s.next_after(t("2026-12-03T10:00:00Z"), UTC, anchor),
            Some(t("2026-12-03T12:00:00Z"))
        );
        assert_eq!(s.next_after(anchor, UTC, anchor), Some(anchor + 6 * 3_600));
        assert_eq!(
            Schedule::parse("rate(1 day)").unwrap(),
            Schedule::Rate(86_400)
        );
        let at = Schedule::parse("at(2026-12-24T08:00:00)").unwrap();
        assert_eq!(
            at.next_after(t("2026-12-03T00:00:00Z"), Zone::Fixed(3_600), 0),
            Some(t("2026-12-24T07:00:00Z"))
        );
        assert_eq!(at.next_after(t("2026-12-25T00:00:00Z"), UTC, 0), None);
    }

    #[test]
    fn bad_expressions_are_refused() {
        for bad in [
            "cron(0 3 * * SUN *)",
            "cron(0 3 ? * ? *)",
            "cron(0 3 ? * SUN)",
            "cron(60 3 ? * SUN *)",
            "cron(0 3 ? * FUNDAY *)",
            "cron(0 3 15W * ? *)",
            "cron(0 3 ? * TUE#6 *)",
            "cron(0 5-3 * * ? *)",
            "rate(0 hours)",
            "rate(5 weeks)",
            "at(2026-12-24)",
            "every sunday",
        ] {
            assert!(Schedule::parse(bad).is_err(), "{bad}");
        }
    }
}
