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
        // Tokens: f/<index> (forward), b/<index> (backward).
        let start = match body.get("nextToken").and_then(Value::as_str) {
            Some(t) => t
                .strip_prefix("f/")
                .or_else(|| t.strip_prefix("b/"))
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or_else(|| {
                    err(
                        "InvalidParameterException",
                        "The specified nextToken is invalid.",
                    )
                })?,
            None => 0,
        };
        let start = start.min(events.len());
        let end = (start + limit).min(events.len());
        let page: Vec<Value> = events[start..end]
            .iter()
            .map(|e| json!({"timestamp": e.timestamp_ms, "message": e.message, "ingestionTime": e.ingestion_ms}))
            .collect();
        // As in AWS, the forward token is returned even at the end; it is
        // the same token when nothing new arrived.
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
