//! The checks AWS's front end applies to a request before the action runs:
//! lengths and patterns of the service model's member shapes. A failure is
//! the common `ValidationException` with AWS's wording ("1 validation error
//! detected: Value 'x' at 'maxConcurrency' failed to satisfy constraint: …");
//! the member path is the model's member name with a lower-case first letter,
//! and list members are `name.N.member.field` (1-based), as AWS reports them.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use crate::params::{ApiError, validation};

/// `MaxConcurrency` (SendCommand): 1 … 7 characters.
pub(crate) const MAX_CONCURRENCY: &str = "^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$";
/// `MaxErrors` (SendCommand): 1 … 7 characters; unlike MaxConcurrency, `0` and `0%` pass.
pub(crate) const MAX_ERRORS: &str = "^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$";
/// `TagKey` (1 … 128) and `TagValue` (0 … 256).
pub(crate) const TAG: &str = r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$";
/// `ParameterKeyId` (1 … 256).
pub(crate) const KEY_ID: &str = "^([a-zA-Z0-9:/_-]+)$";
/// `OpsItemId`.
pub(crate) const OPS_ITEM_ID: &str = "^(oi)-[0-9a-f]{12}$";
/// `InstanceId` (SSM).
pub(crate) const INSTANCE_ID: &str = r"(^i-(\w{8}|\w{17})$)|(^mi-\w{17}$)";

/// `MaintenanceWindowId`.
pub(crate) const WINDOW_ID: &str = "^mw-[0-9a-f]{17}$";
/// `MaintenanceWindowName` (also window target and task names, and
/// document names of ChangeCalendar documents).
pub(crate) const WINDOW_NAME: &str = r"^[a-zA-Z0-9_\-.]{3,128}$";
/// Maintenance window execution, task, target and invocation ids (UUIDs).
pub(crate) const UUID: &str =
    r"^[0-9a-fA-F]{8}\-[0-9a-fA-F]{4}\-[0-9a-fA-F]{4}\-[0-9a-fA-F]{4}\-[0-9a-fA-F]{12}$";

/// `BaselineId` (a patch baseline's id or ARN).
pub(crate) const BASELINE_ID: &str = r"^[a-zA-Z0-9_\-:/]{20,128}$";
/// `ComplianceTypeName` (`Patch`, `Association`, `Custom:…`).
pub(crate) const COMPLIANCE_TYPE: &str = r"^([A-Za-z0-9_\-]\w+|Custom:[a-zA-Z0-9_\-]\w+)$";

fn compiled(pattern: &str) -> &'static Regex {
    static CACHE: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
        [
            MAX_CONCURRENCY,
            MAX_ERRORS,
            TAG,
            KEY_ID,
            OPS_ITEM_ID,
            INSTANCE_ID,
            WINDOW_ID,
            WINDOW_NAME,
            UUID,
            BASELINE_ID,
            COMPLIANCE_TYPE,
        ]
        .into_iter()
        .map(|p| (p, Regex::new(p).expect("model pattern compiles")))
        .collect()
    });
    CACHE
        .iter()
        .find(|(p, _)| *p == pattern)
        .map(|(_, r)| r)
        .expect("pattern is one of the model patterns above")
}

/// `value` at `field` must match the model `pattern` (one of this module's constants).
pub(crate) fn pattern(field: &str, value: &str, pattern: &str) -> Result<(), ApiError> {
    if compiled(pattern).is_match(value) {
        Ok(())
    } else {
        Err(validation(format!(
            "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern}"
        )))
    }
}

/// `value` at `field` must have `min ..= max` characters.
pub(crate) fn length(field: &str, value: &str, min: usize, max: usize) -> Result<(), ApiError> {
    let n = value.chars().count();
    let constraint = if n > max {
        format!("Member must have length less than or equal to {max}")
    } else if n < min {
        format!("Member must have length greater than or equal to {min}")
    } else {
        return Ok(());
    };
    // Long values are not echoed whole (AWS does not either for large members).
    let shown: String = value.chars().take(64).collect();
    let shown = if n > 64 { format!("{shown}…") } else { shown };
    Err(validation(format!(
        "1 validation error detected: Value '{shown}' at '{field}' failed to satisfy constraint: {constraint}"
    )))
}

/// A `TagList` (`Tags` of PutParameter, CreateOpsItem, AddTagsToResource):
/// keys 1 … 128 and values 0 … 256 characters of the model's tag pattern.
pub(crate) fn tags(field: &str, tags: Option<&Value>) -> Result<(), ApiError> {
    for (i, t) in tags
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let key = t.get("Key").and_then(Value::as_str).unwrap_or("");
        let value = t.get("Value").and_then(Value::as_str).unwrap_or("");
        let at = |m: &str| format!("{field}.{}.member.{m}", i + 1);
        length(&at("key"), key, 1, 128)?;
        pattern(&at("key"), key, TAG)?;
        length(&at("value"), value, 0, 256)?;
        pattern(&at("value"), value, TAG)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_follow_the_model() {
        for ok in ["1", "50", "10%", "1%", "100%", "1000000"] {
            assert!(
                pattern("maxConcurrency", ok, MAX_CONCURRENCY).is_ok(),
                "{ok}"
            );
        }
        for bad in ["0", "0%", "01", "101%", "100 %", "", "-1", "5.5"] {
            assert!(
                pattern("maxConcurrency", bad, MAX_CONCURRENCY).is_err(),
                "{bad}"
            );
        }
        for ok in ["0", "0%", "5%", "1", "100%"] {
            assert!(pattern("maxErrors", ok, MAX_ERRORS).is_ok(), "{ok}");
        }
        for bad in ["00", "01", "101%", "", "x"] {
            assert!(pattern("maxErrors", bad, MAX_ERRORS).is_err(), "{bad}");
        }
    }

    #[test]
    fn tags_and_lengths() {
        let ok = serde_json::json!([{"Key": "Env name:ü/1", "Value": ""}]);
        assert!(tags("tags", Some(&ok)).is_ok());
        let bad = serde_json::json!([{"Key": "ok", "Value": "v"}, {"Key": "a*b", "Value": "v"}]);
        let e = tags("tags", Some(&bad)).unwrap_err();
        assert_eq!(e.code, "ValidationException");
        assert!(e.message.contains("'tags.2.member.key'"), "{}", e.message);
        let empty = serde_json::json!([{"Key": "", "Value": "v"}]);
        assert!(tags("tags", Some(&empty)).is_err());
        assert!(length("description", &"x".repeat(1025), 0, 1024).is_err());
        assert!(length("description", &"x".repeat(1024), 0, 1024).is_ok());
    }
}
