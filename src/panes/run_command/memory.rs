//! What the Run Command pane remembers between runs of the console, and
//! its history rows: one row per send, however many command ids it took.
//!
//! The file is `<data dir>/run_command.json`, readable by the user only
//! (0600, written whole through a temporary file and a rename). It is the
//! pane's own file beside the shell's `state.json` (saved filters, recent
//! targets), written the same way: two writers of one file would undo each
//! other's changes. It keeps each send's command ids, context, document,
//! time, node count and tag targets; the command text (each send's
//! `commands` and the composer's previous commands, Ctrl-P/Ctrl-N) only
//! with `[run_command] remember_command_text = true` in `config.toml` (off
//! by default: command lines can carry secrets). Other document
//! parameters and the comment are never written.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::model::{CommandStatus, CommandSummary};

/// The file's name in the data directory.
pub const MEMORY_FILE: &str = "run_command.json";
/// Sends kept (the oldest go first).
pub const SENDS_KEPT: usize = 500;
/// Previous commands of the composer kept.
pub const RECENT_KEPT: usize = 50;

/// One send as the console remembers it: every command id it took (one
/// per 50 nodes, per context), where and when it went.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SentRecord {
    /// SendCommand's command ids, in the order they were sent.
    pub command_ids: Vec<String>,
    /// Where it went: `account A, region R` (or the contexts' names).
    pub context: String,
    /// Document name.
    pub document: String,
    /// When it was sent, epoch seconds (the shell's clock; 0: unknown).
    pub sent_s: i64,
    /// Node ids targeted (0 for tag targets: see `targets`).
    pub nodes: usize,
    /// Tag targets as typed (`tag:Role=web`), empty for node ids.
    pub targets: String,
    /// The `commands` lines, only with `remember_command_text`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<String>,
}

/// The file's content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Memory {
    /// Format version (1).
    pub version: u32,
    /// Sends, oldest first.
    pub sends: Vec<SentRecord>,
    /// The composer's previous commands, oldest first (only with
    /// `remember_command_text`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recent: Vec<Vec<String>>,
}

impl Memory {
    /// Parses the file's text.
    ///
    /// # Errors
    /// Why it is not this format (serde_json's message).
    pub fn parse(text: &str) -> Result<Memory, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    /// What is written: the last [`SENDS_KEPT`] sends and [`RECENT_KEPT`]
    /// previous commands; without `remember_text`, no command text at all.
    pub fn to_json(&self, remember_text: bool) -> String {
        let mut m = self.clone();
        m.version = 1;
        let skip = m.sends.len().saturating_sub(SENDS_KEPT);
        m.sends.drain(..skip);
        let skip = m.recent.len().saturating_sub(RECENT_KEPT);
        m.recent.drain(..skip);
        if !remember_text {
            m.recent.clear();
            for s in &mut m.sends {
                s.commands.clear();
            }
        }
        serde_json::to_string_pretty(&m).unwrap_or_default()
    }

    /// Whether any command text is held (a file written with
    /// `remember_command_text` on, read with it off: rewritten without).
    pub fn has_text(&self) -> bool {
        !self.recent.is_empty() || self.sends.iter().any(|s| !s.commands.is_empty())
    }

    /// `earlier` (read from the file) before what this run of the console
    /// added: sends by their first command id once each, previous commands
    /// once each (the newest place kept).
    pub fn merge_under(&mut self, earlier: Memory) {
        let mine = std::mem::take(&mut self.sends);
        let seen: BTreeSet<String> = mine
            .iter()
            .filter_map(|s| s.command_ids.first().cloned())
            .collect();
        self.sends = earlier
            .sends
            .into_iter()
            .filter(|s| s.command_ids.first().is_none_or(|id| !seen.contains(id)))
            .chain(mine)
            .collect();
        let mine = std::mem::take(&mut self.recent);
        let mut recent = earlier.recent;
        for r in mine {
            recent.retain(|x| *x != r);
            recent.push(r);
        }
        self.recent = recent;
    }
}

/// One row of the history view: a send (every command id it took, their
/// ListCommands summaries added up) or a command of no known send.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRow {
    /// The command ids, in ListCommands order.
    pub command_ids: Vec<String>,
    /// Their summaries added up: counts summed, the earliest request
    /// time, one status (see [`combined_status`]).
    pub summary: CommandSummary,
    /// Whether ListCommands listed any of them (a remembered send it does
    /// not list is past Run Command's 30 days, or in another account or
    /// region).
    pub listed: bool,
    /// Where it was sent, when remembered.
    pub context: Option<String>,
}

/// One status for several commands of one send: theirs when they agree,
/// `InProgress` while any is not final, else `Incomplete` (some ended
/// otherwise than the rest, as AWS says of one command).
pub fn combined_status(statuses: &[CommandStatus]) -> CommandStatus {
    match statuses {
        [] => CommandStatus::Pending,
        [first, rest @ ..] if rest.iter().all(|s| s == first) => *first,
        _ if statuses.iter().any(|s| !s.is_final()) => CommandStatus::InProgress,
        _ => CommandStatus::Incomplete,
    }
}

/// History rows from ListCommands (`listed`, newest first, possibly with
/// the same id twice when two contexts answer for one account and region)
/// and the remembered sends: one row per send, at the place of its newest
/// command (the chunks of a send no one remembers told by [`same_send`]);
/// each command id once; remembered sends ListCommands does not
/// list last, newest first.
pub fn history_rows(listed: &[CommandSummary], sends: &[SentRecord]) -> Vec<HistoryRow> {
    let send_of: BTreeMap<&str, usize> = sends
        .iter()
        .enumerate()
        .flat_map(|(i, s)| s.command_ids.iter().map(move |id| (id.as_str(), i)))
        .collect();
    let mut rows: Vec<(HistoryRow, Vec<CommandStatus>)> = Vec::new();
    let mut row_of_send: BTreeMap<usize, usize> = BTreeMap::new();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for c in listed {
        if !seen.insert(c.command_id.as_str()) {
            continue;
        }
        let send = send_of.get(c.command_id.as_str()).copied();
        let row = match send {
            Some(s) => row_of_send.get(&s).copied(),
            None => rows
                .iter()
                .position(|(r, _)| r.context.is_none() && same_send(&r.summary, c)),
        };
        if let Some(r) = row.as_ref() {
            let (row, statuses) = &mut rows[*r];
            add_up(&mut row.summary, c);
            row.command_ids.push(c.command_id.clone());
            statuses.push(c.status);
            continue;
        }
        if let Some(s) = send {
            row_of_send.insert(s, rows.len());
        }
        rows.push((
            HistoryRow {
                command_ids: vec![c.command_id.clone()],
                summary: c.clone(),
                listed: true,
                context: send.map(|s| sends[s].context.clone()),
            },
            vec![c.status],
        ));
    }
    let mut out: Vec<HistoryRow> = rows
        .into_iter()
        .map(|(mut row, statuses)| {
            row.summary.status = combined_status(&statuses);
            row
        })
        .collect();
    // Newest first, whatever order the contexts' ListCommands pages came
    // in (stable: rows requested at the same second keep their order).
    out.sort_by(|a, b| {
        let at = |r: &HistoryRow| r.summary.requested_s.unwrap_or(f64::NEG_INFINITY);
        at(b).total_cmp(&at(a))
    });
    for (i, s) in sends.iter().enumerate().rev() {
        if row_of_send.contains_key(&i) || s.command_ids.is_empty() {
            continue;
        }
        out.push(HistoryRow {
            command_ids: s.command_ids.clone(),
            summary: CommandSummary {
                command_id: s.command_ids[0].clone(),
                document: s.document.clone(),
                requested_s: (s.sent_s > 0).then_some(s.sent_s as f64),
                target_count: i32::try_from(s.nodes).unwrap_or(i32::MAX),
                commands: s.commands.clone(),
                ..Default::default()
            },
            listed: false,
            context: Some(s.context.clone()),
        });
    }
    out
}

/// Whether listed command `c`, of no send this console remembers, is a
/// chunk of the same send as the row `sum` (sent by another console or
/// tool, 50 nodes a call): the same document, comment and commands,
/// requested within [`SAME_SEND_S`] of it.
fn same_send(sum: &CommandSummary, c: &CommandSummary) -> bool {
    let near = match (sum.requested_s, c.requested_s) {
        (Some(a), Some(b)) => (a - b).abs() <= SAME_SEND_S,
        _ => false,
    };
    near && sum.document == c.document && sum.comment == c.comment && sum.commands == c.commands
}

/// How far apart (seconds) the chunks of one send of no remembered send
/// may be requested (SendCommand calls one after the other).
pub const SAME_SEND_S: f64 = 2.0;

/// Adds command `c`'s counts to a send's summary (the earliest request
/// time; the command text of the first that has one).
fn add_up(sum: &mut CommandSummary, c: &CommandSummary) {
    sum.target_count += c.target_count;
    sum.completed += c.completed;
    sum.errors += c.errors;
    sum.delivery_timed_out += c.delivery_timed_out;
    sum.requested_s = match (sum.requested_s, c.requested_s) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if sum.commands.is_empty() {
        sum.commands = c.commands.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(id: &str, status: CommandStatus, targets: i32, at: f64) -> CommandSummary {
        CommandSummary {
            command_id: id.into(),
            document: "AWS-RunShellScript".into(),
            requested_s: Some(at),
            status,
            target_count: targets,
            completed: targets,
            commands: vec!["uptime".into()],
            ..Default::default()
        }
    }

    fn send(ids: &[&str], nodes: usize) -> SentRecord {
        SentRecord {
            command_ids: ids.iter().map(|s| (*s).to_owned()).collect(),
            context: "account 1, region r".into(),
            document: "AWS-RunShellScript".into(),
            sent_s: 100,
            nodes,
            commands: vec!["uptime".into()],
            ..Default::default()
        }
    }

    /// Issue 13 item 13: an 89-node send is two SendCommand calls (50 + 39
    /// nodes), two command ids, two ListCommands rows: it showed twice.
    #[test]
    fn one_send_of_two_chunks_is_one_history_row_with_the_node_total() {
        use CommandStatus::{Failed, Success};
        let l = vec![
            listed("c-3", Success, 1, 300.0),
            listed("c-2", Success, 39, 200.5),
            listed("c-1", Failed, 50, 200.0),
            // The same command from a second context on the same endpoint.
            listed("c-1", Failed, 50, 200.0),
            listed("c-0", Success, 2, 100.0),
        ];
        let rows = history_rows(&l, &[send(&["c-1", "c-2"], 89)]);
        let ids: Vec<Vec<String>> = rows.iter().map(|r| r.command_ids.clone()).collect();
        assert_eq!(
            ids,
            [
                vec!["c-3".to_string()],
                vec!["c-2".into(), "c-1".into()],
                vec!["c-0".into()]
            ]
        );
        let two = &rows[1].summary;
        assert_eq!((two.target_count, two.completed), (89, 89));
        assert_eq!(two.requested_s, Some(200.0));
        assert_eq!(two.status, CommandStatus::Incomplete, "one chunk failed");
        assert_eq!(rows[1].context.as_deref(), Some("account 1, region r"));
        // Without the record the chunks are told by their document,
        // commands and request times (half a second apart); each id once.
        let rows = history_rows(&l, &[]);
        assert_eq!(rows.len(), 3, "{rows:?}");
        assert_eq!(rows[1].command_ids, ["c-2", "c-1"]);
        let mut other = l.clone();
        other[1].commands = vec!["hostname".into()];
        assert_eq!(
            history_rows(&other, &[]).len(),
            4,
            "another command is another send"
        );
    }

    #[test]
    fn listed_sends_come_newest_first_whatever_order_they_were_listed_in() {
        let listed = vec![
            listed("c-old", CommandStatus::Success, 1, 1_000.0),
            listed("c-new", CommandStatus::Success, 1, 3_000.0),
            listed("c-mid", CommandStatus::Success, 1, 2_000.0),
        ];
        let rows = history_rows(&listed, &[]);
        let ids: Vec<&str> = rows.iter().map(|r| r.command_ids[0].as_str()).collect();
        assert_eq!(ids, ["c-new", "c-mid", "c-old"]);
    }

    #[test]
    fn a_remembered_send_listcommands_does_not_list_comes_last() {
        let l = vec![listed("c-9", CommandStatus::Success, 1, 900.0)];
        let rows = history_rows(&l, &[send(&["c-1", "c-2"], 89)]);
        assert_eq!(rows.len(), 2);
        assert!(rows[0].listed && !rows[1].listed);
        assert_eq!(rows[1].command_ids, ["c-1", "c-2"]);
        assert_eq!(rows[1].summary.target_count, 89);
    }

    #[test]
    fn command_text_is_written_only_when_allowed() {
        let mut m = Memory {
            sends: vec![send(&["c-1"], 3)],
            recent: vec![vec!["curl -H 'Authorization: x'".into()]],
            ..Default::default()
        };
        let off = m.to_json(false);
        assert!(
            !off.contains("uptime") && !off.contains("Authorization"),
            "{off}"
        );
        assert!(
            off.contains("c-1") && off.contains("account 1, region r"),
            "{off}"
        );
        let back = Memory::parse(&off).unwrap();
        assert!(!back.has_text());
        assert_eq!(back.sends[0].nodes, 3);
        let on = m.to_json(true);
        assert!(
            on.contains("uptime") && on.contains("Authorization"),
            "{on}"
        );
        assert_eq!(Memory::parse(&on).unwrap().recent, m.recent);
        // Merging keeps the file's sends first and each once.
        m.merge_under(Memory {
            sends: vec![send(&["c-0"], 1), send(&["c-1"], 3)],
            recent: vec![vec!["a".into()], vec!["curl -H 'Authorization: x'".into()]],
            ..Default::default()
        });
        let ids: Vec<&str> = m.sends.iter().map(|s| s.command_ids[0].as_str()).collect();
        assert_eq!(ids, ["c-0", "c-1"]);
        assert_eq!(m.recent.len(), 2);
        assert!(Memory::parse("{not json").is_err());
    }
}
