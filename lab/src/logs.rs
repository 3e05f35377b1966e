//! CloudWatch Logs, as much as Run Command output needs: the lab's command
//! runner writes events, clients read them with GetLogEvents (forward
//! tokens) and FilterLogEvents (`logStreamNamePrefix`). JSON 1.1,
//! `X-Amz-Target: Logs_20140328.<Action>`, signing name `logs`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::params::{ApiError, err};

/// One log event.
#[derive(Debug, Clone)]
pub struct LogEvent {
    /// Event time, epoch milliseconds.
    pub timestamp_ms: i64,
    /// Message (one line, no newline).
    pub message: String,
    /// When the lab stored it, epoch milliseconds.
    pub ingestion_ms: i64,
}

/// Log groups → streams → events.
#[derive(Debug, Default)]
pub struct LogStore {
    groups: BTreeMap<String, BTreeMap<String, Vec<LogEvent>>>,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl LogStore {
    /// Appends events to a stream, creating group and stream as needed.
    pub fn append(&mut self, group: &str, stream: &str, lines: Vec<String>) {
        let now = now_ms();
        let events = self
            .groups
            .entry(group.to_owned())
            .or_default()
            .entry(stream.to_owned())
            .or_default();
        events.extend(lines.into_iter().map(|message| LogEvent {
            timestamp_ms: now,
            message,
            ingestion_ms: now,
        }));
    }

    /// Dispatches a Logs action; `None` if the lab does not implement it.
    pub fn handle(&self, action: &str, body: &Value) -> Option<Result<Value, ApiError>> {
        Some(match action {
            "GetLogEvents" => self.get_log_events(body),
            "FilterLogEvents" => self.filter_log_events(body),
            _ => return None,
        })
    }

    fn group(&self, body: &Value) -> Result<&BTreeMap<String, Vec<LogEvent>>, ApiError> {
        let name = body
            .get("logGroupName")
            .and_then(Value::as_str)
            .ok_or_else(|| err("InvalidParameterException", "logGroupName is required"))?;
        self.groups.get(name).ok_or_else(|| {
            err(
                "ResourceNotFoundException",
                "The specified log group does not exist.",
            )
        })
    }

    fn get_log_events(&self, body: &Value) -> Result<Value, ApiError> {
        // Member constraints are checked before the log group is looked up.
        let limit = limit(body)?;
        let group = self.group(body)?;
        let stream = body
            .get("logStreamName")
            .and_then(Value::as_str)
            .ok_or_else(|| err("InvalidParameterException", "logStreamName is required"))?;
        let events = group.get(stream).ok_or_else(|| {
            err(
                "ResourceNotFoundException",
                "The specified log stream does not exist.",
            )
        })?;
        // Tokens: f/<index> (read forward from index), b/<index> (read
        // backward, ending before index). Without a token, `startFromHead`
        // (default false) picks the oldest or the newest events, as AWS does.
        let token = match body.get("nextToken").and_then(Value::as_str) {
            Some(t) => Some(parse_token(t).ok_or_else(|| {
                err(
                    "InvalidParameterException",
                    "The specified nextToken is invalid.",
                )
            })?),
            None => None,
        };
        let from_head = body
            .get("startFromHead")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let (start, end) = match token {
            Some((true, n)) => page_forward(events, n.min(events.len()), limit),
            Some((false, n)) => page_backward(events, n.min(events.len()), limit),
            None if from_head => page_forward(events, 0, limit),
            None => page_backward(events, events.len(), limit),
        };
        let page: Vec<Value> = events[start..end]
            .iter()
            .map(|e| json!({"timestamp": e.timestamp_ms, "message": e.message, "ingestionTime": e.ingestion_ms}))
            .collect();
        // As in AWS, the forward token is returned even at the end; it is
        // the same token when nothing new arrived (clients stop on that).
        Ok(json!({
            "events": page,
            "nextForwardToken": format!("f/{end}"),
            "nextBackwardToken": format!("b/{start}"),
        }))
    }

    fn filter_log_events(&self, body: &Value) -> Result<Value, ApiError> {
        let limit = limit(body)?;
        let group = self.group(body)?;
        let prefix = body
            .get("logStreamNamePrefix")
            .and_then(Value::as_str)
            .unwrap_or("");
        let start_time = body.get("startTime").and_then(Value::as_i64).unwrap_or(0);
        let mut all: Vec<(&String, usize, &LogEvent)> = Vec::new();
        for (name, events) in group.range(prefix.to_owned()..) {
            if !name.starts_with(prefix) {
                break;
            }
            for (i, e) in events.iter().enumerate() {
                if e.timestamp_ms >= start_time {
                    all.push((name, i, e));
                }
            }
        }
        // Time order; stream and index break ties (and keep the key unique).
        let key = |(name, i, e): &(&String, usize, &LogEvent)| {
            format!("{:020}{name}\0{i:010}", e.timestamp_ms.max(0))
        };
        let token = body.get("nextToken").and_then(Value::as_str);
        let (page, next) = crate::paging::page_by(all, key, token, limit).map_err(|_| {
            err(
                "InvalidParameterException",
                "The specified nextToken is invalid.",
            )
        })?;
        let page: Vec<Value> = page
            .iter()
            .map(|(name, i, e)| {
                json!({
                    "logStreamName": name,
                    "timestamp": e.timestamp_ms,
                    "message": e.message,
                    "ingestionTime": e.ingestion_ms,
                    "eventId": format!("{name}/{i}"),
                })
            })
            .collect();
        let mut out = json!({"events": page, "searchedLogStreams": []});
        if let Some(t) = next {
            out["nextToken"] = Value::String(t);
        }
        Ok(out)
    }
}

/// A response carries at most this many bytes of events (CloudWatch Logs:
/// "up to 1 MB"; an event counts its UTF-8 message plus 26 bytes).
const RESPONSE_MAX_BYTES: usize = 1_048_576;

fn event_bytes(e: &LogEvent) -> usize {
    e.message.len() + 26
}

/// A GetLogEvents token: (forward, index).
fn parse_token(t: &str) -> Option<(bool, usize)> {
    let (forward, n) = if let Some(n) = t.strip_prefix("f/") {
        (true, n)
    } else {
        (false, t.strip_prefix("b/")?)
    };
    n.parse().ok().map(|n| (forward, n))
}

/// Events `[start, end)` read forward from `start`: at most `limit` of
/// them and [`RESPONSE_MAX_BYTES`] (at least one).
fn page_forward(events: &[LogEvent], start: usize, limit: usize) -> (usize, usize) {
    let mut end = start;
    let mut bytes = 0;
    while end < events.len() && end - start < limit {
        bytes += event_bytes(&events[end]);
        if bytes > RESPONSE_MAX_BYTES && end > start {
            break;
        }
        end += 1;
    }
    (start, end)
}

/// Events `[start, end)` read backward from `end` (the newest first kept),
/// with the same bounds as [`page_forward`].
fn page_backward(events: &[LogEvent], end: usize, limit: usize) -> (usize, usize) {
    let mut start = end;
    let mut bytes = 0;
    while start > 0 && end - start < limit {
        bytes += event_bytes(&events[start - 1]);
        if bytes > RESPONSE_MAX_BYTES && start < end {
            break;
        }
        start -= 1;
    }
    (start, end)
}

/// `limit` of GetLogEvents / FilterLogEvents: the model's `EventsLimit`,
/// 1 … 10,000 (default 10,000). Outside it CloudWatch Logs answers
/// `InvalidParameterException`, the code the model lists for both calls.
fn limit(body: &Value) -> Result<usize, ApiError> {
    match body.get("limit") {
        None | Some(Value::Null) => Ok(10_000),
        Some(v) => match v.as_i64() {
            Some(n @ 1..=10_000) => Ok(n as usize),
            _ => Err(err(
                "InvalidParameterException",
                format!(
                    "1 validation error detected: Value '{v}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 10000"
                ),
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(lines: usize) -> LogStore {
        let mut s = LogStore::default();
        s.append("g", "s", (1..=lines).map(|i| i.to_string()).collect());
        s
    }

    fn get(s: &LogStore, extra: Value) -> Value {
        let mut body = json!({"logGroupName": "g", "logStreamName": "s"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        s.get_log_events(&body).unwrap()
    }

    fn messages(v: &Value) -> Vec<String> {
        v["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["message"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn get_log_events_starts_at_the_tail_unless_start_from_head() {
        let s = store(25);
        let tail = get(&s, json!({"limit": 10}));
        assert_eq!(messages(&tail).first().map(String::as_str), Some("16"));
        assert_eq!(messages(&tail).last().map(String::as_str), Some("25"));
        let head = get(&s, json!({"limit": 10, "startFromHead": true}));
        assert_eq!(
            messages(&head),
            (1..=10).map(|i| i.to_string()).collect::<Vec<_>>()
        );
        // Backward from the tail: the ten before it.
        let back = get(
            &s,
            json!({"limit": 10, "nextToken": tail["nextBackwardToken"]}),
        );
        assert_eq!(messages(&back).first().map(String::as_str), Some("6"));
        assert_eq!(messages(&back).last().map(String::as_str), Some("15"));
    }

    #[test]
    fn forward_paging_reads_every_event_once_and_repeats_the_token_at_the_end() {
        let s = store(25);
        let mut all = Vec::new();
        let mut token: Option<Value> = None;
        let mut last = None;
        for _ in 0..10 {
            let mut extra = json!({"limit": 10, "startFromHead": true});
            if let Some(t) = &token {
                extra["nextToken"] = t.clone();
            }
            let page = get(&s, extra);
            all.extend(messages(&page));
            let next = page["nextForwardToken"].clone();
            if token.as_ref() == Some(&next) {
                last = Some(page);
                break;
            }
            token = Some(next);
        }
        assert_eq!(all, (1..=25).map(|i| i.to_string()).collect::<Vec<_>>());
        assert!(messages(&last.expect("the token repeats at the end")).is_empty());
    }

    #[test]
    fn a_page_holds_at_most_one_megabyte() {
        let mut s = LogStore::default();
        let line = "x".repeat(100_000);
        s.append("g", "s", vec![line; 25]);
        let head = get(&s, json!({"startFromHead": true}));
        assert_eq!(
            messages(&head).len(),
            10,
            "10 × (100,000 + 26) bytes fit in 1 MB, 11 do not"
        );
        let next = get(&s, json!({"nextToken": head["nextForwardToken"]}));
        assert_eq!(messages(&next).len(), 10);
    }

    #[test]
    fn a_bad_token_is_invalid_parameter() {
        let s = store(3);
        let body = json!({"logGroupName": "g", "logStreamName": "s", "nextToken": "x/1"});
        assert_eq!(
            s.get_log_events(&body).unwrap_err().code,
            "InvalidParameterException"
        );
    }
}
