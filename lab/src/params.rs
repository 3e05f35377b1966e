//! Parameter Store: PutParameter, GetParameter(s), GetParametersByPath,
//! DescribeParameters, GetParameterHistory, Label/UnlabelParameterVersion,
//! DeleteParameter(s), with AWS's error codes and limits
//! (shared/reference/aws-ssm-semantics.md).
//!
//! SecureString values are kept in clear in memory (the lab has no KMS); read
//! without `WithDecryption` they come back as an opaque lab ciphertext.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

use crate::LAB_ACCOUNT;

/// Versions kept per parameter.
pub const MAX_VERSIONS: usize = 100;
/// Labels per version.
pub const MAX_LABELS: usize = 10;
/// Value size limits in characters (Standard, Advanced).
pub const STANDARD_VALUE_LIMIT: usize = 4_096;
/// See [`STANDARD_VALUE_LIMIT`].
pub const ADVANCED_VALUE_LIMIT: usize = 8_192;
/// Hierarchy levels allowed in a name.
pub const MAX_LEVELS: usize = 15;

/// An API error: AWS code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// AWS error code (`ParameterNotFound`).
    pub code: &'static str,
    /// Message.
    pub message: String,
}

/// An [`ApiError`] with `code` and `message` (shared by the lab's services).
pub(crate) fn err(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError {
        code,
        message: message.into(),
    }
}

/// A `ValidationException`.
pub(crate) fn validation(message: impl Into<String>) -> ApiError {
    err("ValidationException", message)
}

#[derive(Debug, Clone)]
struct Version {
    version: u64,
    value: String,
    kind: String,
    tier: String,
    data_type: String,
    description: String,
    allowed_pattern: String,
    key_id: String,
    modified: f64,
    user: String,
    labels: Vec<String>,
}

#[derive(Debug, Clone)]
struct Entry {
    versions: Vec<Version>,
    next_version: u64,
    tags: Vec<(String, String)>,
}

impl Entry {
    fn latest(&self) -> &Version {
        self.versions
            .last()
            .expect("an entry has at least one version")
    }
}

/// The parameter store.
#[derive(Debug, Default)]
pub struct ParamStore {
    params: BTreeMap<String, Entry>,
    region: String,
    /// The account in ARNs (the tenant's).
    account: String,
}

/// The wall clock, epoch seconds with milliseconds (AWS timestamps).
pub(crate) fn now_s() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as f64 / 1_000.0)
        .unwrap_or(0.0)
}

fn str_field<'a>(body: &'a Value, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str)
}

fn strings(body: &Value, key: &str) -> Vec<String> {
    body.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn max_results(body: &Value, max: u64, default: u64) -> Result<usize, ApiError> {
    match body.get("MaxResults") {
        None | Some(Value::Null) => Ok(default as usize),
        Some(v) => match v.as_u64() {
            Some(n) if (1..=max).contains(&n) => Ok(n as usize),
            _ => Err(validation(format!(
                "1 validation error detected: Value '{v}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to {max}"
            ))),
        },
    }
}

/// One page after the request's `NextToken` (see [`crate::paging::page_by`]).
fn paged<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    body: &Value,
    limit: usize,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    crate::paging::page_by(items, key, str_field(body, "NextToken"), limit)
        .map_err(|_| err("InvalidNextToken", "The specified token isn't valid."))
}

/// Checks a parameter name as AWS does.
///
/// # Errors
/// `ValidationException` for characters, length, reserved prefixes;
/// `HierarchyLevelLimitExceededException` past 15 levels.
pub fn validate_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() || name.len() > 2_048 {
        return Err(validation(format!(
            "Parameter name must be 1 to 2048 characters long, got {}",
            name.len()
        )));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_.-/".contains(*c)))
    {
        return Err(validation(format!(
            "Parameter name: can't contain '{c}'; use only a-zA-Z0-9_.-/"
        )));
    }
    if name.contains('/') && !name.starts_with('/') {
        return Err(validation(
            "Parameter name: a name with a path must begin with a forward slash (/)",
        ));
    }
    if name.contains("//") || (name.len() > 1 && name.ends_with('/')) {
        return Err(validation(format!("Parameter name '{name}' is not valid")));
    }
    let first = name.trim_start_matches('/').to_ascii_lowercase();
    if first.starts_with("aws") || first.starts_with("ssm") {
        return Err(validation(
            "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).",
        ));
    }
    let levels = name.trim_start_matches('/').split('/').count();
    if levels > MAX_LEVELS {
        return Err(err(
            "HierarchyLevelLimitExceededException",
            format!(
                "A hierarchy can have a maximum of {MAX_LEVELS} levels. Parameter {name} has {levels}."
            ),
        ));
    }
    Ok(())
}

/// The user guide's label rules ("Working with parameter labels"): letters,
/// numbers, periods, hyphens and underscores; not beginning with a number,
/// `aws` or `ssm` (any case). A label that breaks them is answered in
/// `InvalidLabels`; one over the model's 100 characters is refused first.
fn valid_label(l: &str) -> bool {
    let lower = l.to_ascii_lowercase();
    !l.is_empty()
        && !lower.starts_with("aws")
        && !lower.starts_with("ssm")
        && !l.starts_with(|c: char| c.is_ascii_digit())
        && l.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

/// The tier a PutParameter lands in (Intelligent-Tiering resolved by the
/// value's size), refusing a downgrade from Advanced and a value over the
/// tier's limit.
fn resolve_tier(
    requested_tier: Option<&str>,
    prev_tier: Option<String>,
    value: &str,
) -> Result<String, ApiError> {
    let mut tier = requested_tier
        .map(str::to_owned)
        .or(prev_tier.clone())
        .unwrap_or_else(|| "Standard".into());
    if !["Standard", "Advanced", "Intelligent-Tiering"].contains(&tier.as_str()) {
        return Err(validation(format!("Tier {tier} is not valid")));
    }
    if tier == "Intelligent-Tiering" {
        tier = if value.len() > STANDARD_VALUE_LIMIT || prev_tier.as_deref() == Some("Advanced") {
            "Advanced".into()
        } else {
            "Standard".into()
        };
    }
    if prev_tier.as_deref() == Some("Advanced") && tier == "Standard" {
        return Err(validation(
            "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.",
        ));
    }
    let limit = if tier == "Advanced" {
        ADVANCED_VALUE_LIMIT
    } else {
        STANDARD_VALUE_LIMIT
    };
    if value.len() > limit {
        return Err(validation(if tier == "Advanced" {
            format!(
                "Advanced tier parameters support a maximum parameter value of {ADVANCED_VALUE_LIMIT} characters."
            )
        } else {
            format!(
                "Standard tier parameters support a maximum parameter value of {STANDARD_VALUE_LIMIT} characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier."
            )
        }));
    }
    Ok(tier)
}

/// PutParameter members the model constrains: Description (0 … 1,024),
/// KeyId (1 … 256 of `ParameterKeyId`'s pattern) and Tags.
fn check_put_members(body: &Value) -> Result<(), ApiError> {
    if let Some(d) = str_field(body, "Description") {
        crate::validate::length("description", d, 0, 1_024)?;
    }
    if let Some(k) = str_field(body, "KeyId") {
        crate::validate::length("keyId", k, 1, 256)?;
        crate::validate::pattern("keyId", k, crate::validate::KEY_ID)?;
    }
    crate::validate::tags("tags", body.get("Tags"))
}

/// `Labels` of Label/UnlabelParameterVersion: 1 … 10 labels of 1 … 100
/// characters (the model's `ParameterLabelList` and `ParameterLabel`).
fn check_labels(labels: &[String]) -> Result<(), ApiError> {
    if labels.is_empty() || labels.len() > MAX_LABELS {
        return Err(validation(format!(
            "1 validation error detected: Value '[{}]' at 'labels' failed to satisfy constraint: Member must have length less than or equal to {MAX_LABELS}, Member must have length greater than or equal to 1",
            labels.join(", ")
        )));
    }
    if let Some(l) = labels
        .iter()
        .find(|l| l.is_empty() || l.chars().count() > 100)
    {
        return Err(validation(format!(
            "1 validation error detected: Value '[{l}]' at 'labels' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 100, Member must have length greater than or equal to 1]"
        )));
    }
    Ok(())
}

/// The lab's stand-in ciphertext for a SecureString read without decryption.
fn ciphertext(value: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in value.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("AQICAHlab{h:016x}{:04x}", value.len())
}

impl ParamStore {
    /// An empty store for `region` (used in ARNs).
    pub fn new(region: &str) -> Self {
        ParamStore {
            params: BTreeMap::new(),
            region: region.to_owned(),
            account: LAB_ACCOUNT.to_owned(),
        }
    }

    /// An empty store of `account` in `region`.
    pub(crate) fn for_tenant(account: &str, region: &str) -> Self {
        ParamStore {
            account: account.to_owned(),
            ..ParamStore::new(region)
        }
    }

    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.params.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }

    fn arn(&self, name: &str) -> String {
        let slash = if name.starts_with('/') { "" } else { "/" };
        format!(
            "arn:aws:ssm:{}:{}:parameter{slash}{name}",
            self.region, self.account
        )
    }

    /// Resolves `name`, `name:3` or `name:label`.
    fn resolve(&self, spec: &str) -> Result<(&str, &Version, Option<String>), ApiError> {
        let (name, selector) = match spec.rsplit_once(':') {
            Some((n, s)) if !n.is_empty() => (n, Some(s)),
            _ => (spec, None),
        };
        let (key, entry) = self
            .params
            .get_key_value(name)
            .ok_or_else(|| err("ParameterNotFound", format!("Parameter {name} not found.")))?;
        let v = match selector {
            None => entry.latest(),
            Some(s) => {
                let found = match s.parse::<u64>() {
                    Ok(n) => entry.versions.iter().find(|v| v.version == n),
                    Err(_) => entry
                        .versions
                        .iter()
                        .find(|v| v.labels.iter().any(|l| l == s)),
                };
                found.ok_or_else(|| {
                    err(
                        "ParameterVersionNotFound",
                        format!(
                            "Systems Manager could not find version {s} of {name}. Verify the version and try again."
                        ),
                    )
                })?
            }
        };
        Ok((key.as_str(), v, selector.map(|s| format!(":{s}"))))
    }

    fn parameter_json(
        &self,
        name: &str,
        v: &Version,
        decrypt: bool,
        selector: Option<String>,
    ) -> Value {
        let value = if v.kind == "SecureString" && !decrypt {
            ciphertext(&v.value)
        } else {
            v.value.clone()
        };
        let mut out = json!({
            "Name": name,
            "Type": v.kind,
            "Value": value,
            "Version": v.version,
            "LastModifiedDate": v.modified,
            "ARN": self.arn(name),
            "DataType": v.data_type,
        });
        if let Some(s) = selector {
            out["Selector"] = Value::String(s);
        }
        out
    }

    fn metadata_json(&self, name: &str, e: &Entry) -> Value {
        let v = e.latest();
        let mut out = json!({
            "Name": name,
            "ARN": self.arn(name),
            "Type": v.kind,
            "LastModifiedDate": v.modified,
            "LastModifiedUser": v.user,
            "Version": v.version,
            "Tier": v.tier,
            "Policies": [],
            "DataType": v.data_type,
        });
        if v.kind == "SecureString" {
            out["KeyId"] = Value::String(v.key_id.clone());
        }
        if !v.description.is_empty() {
            out["Description"] = Value::String(v.description.clone());
        }
        if !v.allowed_pattern.is_empty() {
            out["AllowedPattern"] = Value::String(v.allowed_pattern.clone());
        }
        out
    }

    /// Inserts seeded parameters (no validation beyond names), version 1 each.
    pub fn seed(&mut self, seeds: Vec<SeedParam>) {
        for s in seeds {
            self.params.insert(
                s.name,
                Entry {
                    next_version: 2,
                    tags: Vec::new(),
                    versions: vec![Version {
                        version: 1,
                        value: s.value,
                        kind: s.kind.into(),
                        tier: "Standard".into(),
                        data_type: "text".into(),
                        description: s.description,
                        allowed_pattern: String::new(),
                        key_id: "alias/aws/ssm".into(),
                        modified: s.modified_s,
                        user: format!("arn:aws:iam::{}:user/seed", self.account),
                        labels: Vec::new(),
                    }],
                },
            );
        }
    }

    /// Dispatches a Parameter Store action; `None` if `action` is not one.
    pub fn handle(
        &mut self,
        action: &str,
        body: &Value,
        user: &str,
    ) -> Option<Result<Value, ApiError>> {
        Some(match action {
            "PutParameter" => self.put(body, user),
            "GetParameter" => self.get(body),
            "GetParameters" => self.get_many(body),
            "GetParametersByPath" => self.by_path(body),
            "DescribeParameters" => self.describe(body),
            "GetParameterHistory" => self.history(body),
            "LabelParameterVersion" => self.label(body),
            "UnlabelParameterVersion" => self.unlabel(body),
            "DeleteParameter" => self.delete(body),
            "DeleteParameters" => self.delete_many(body),
            _ => return None,
        })
    }

    fn put(&mut self, body: &Value, user: &str) -> Result<Value, ApiError> {
        let name = str_field(body, "Name")
            .ok_or_else(|| validation("Name is required"))?
            .to_owned();
        check_put_members(body)?;
        validate_name(&name)?;
        let value = str_field(body, "Value")
            .ok_or_else(|| validation("Value is required"))?
            .to_owned();
        if value.is_empty() {
            return Err(validation(
                "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1",
            ));
        }
        let overwrite = body
            .get("Overwrite")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let tags: Vec<(String, String)> = body
            .get("Tags")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|t| {
                        (
                            str_field(t, "Key").unwrap_or("").to_owned(),
                            str_field(t, "Value").unwrap_or("").to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        if overwrite && !tags.is_empty() {
            return Err(validation(
                "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.",
            ));
        }
        let existing = self.params.get(&name);
        if existing.is_some() && !overwrite {
            return Err(err(
                "ParameterAlreadyExists",
                "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.",
            ));
        }
        let prev = existing.map(|e| e.latest().clone());
        let kind = match (str_field(body, "Type"), &prev) {
            (Some(t), _) => t.to_owned(),
            (None, Some(p)) => p.kind.clone(),
            (None, None) => {
                return Err(validation(
                    "A parameter type is required when you create a parameter.",
                ));
            }
        };
        if !["String", "StringList", "SecureString"].contains(&kind.as_str()) {
            return Err(validation(format!(
                "1 validation error detected: Value '{kind}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]"
            )));
        }
        let tier = resolve_tier(
            str_field(body, "Tier"),
            prev.as_ref().map(|p| p.tier.clone()),
            &value,
        )?;
        let allowed_pattern = str_field(body, "AllowedPattern")
            .map(str::to_owned)
            .or_else(|| prev.as_ref().map(|p| p.allowed_pattern.clone()))
            .unwrap_or_default();
        if !allowed_pattern.is_empty() {
            let re = regex::Regex::new(&allowed_pattern).map_err(|e| {
                validation(format!(
                    "AllowedPattern is not a valid regular expression: {e}"
                ))
            })?;
            if !re.is_match(&value) {
                return Err(err(
                    "ParameterPatternMismatchException",
                    format!(
                        "Parameter value, cannot be validated against allowedPattern: {allowed_pattern}"
                    ),
                ));
            }
        }
        let data_type = str_field(body, "DataType")
            .map(str::to_owned)
            .or_else(|| prev.as_ref().map(|p| p.data_type.clone()))
            .unwrap_or_else(|| "text".into());
        if !["text", "aws:ec2:image", "aws:ssm:integration"].contains(&data_type.as_str()) {
            return Err(validation(format!(
                "The following data type is not supported: {data_type} (Data type names are all lowercase.)"
            )));
        }
        let description = str_field(body, "Description")
            .map(str::to_owned)
            .or_else(|| prev.as_ref().map(|p| p.description.clone()))
            .unwrap_or_default();
        let key_id = str_field(body, "KeyId")
            .map(str::to_owned)
            .unwrap_or_else(|| "alias/aws/ssm".into());
        let entry = self.params.entry(name).or_insert_with(|| Entry {
            versions: Vec::new(),
            next_version: 1,
            tags,
        });
        if entry.versions.len() >= MAX_VERSIONS {
            if !entry.versions[0].labels.is_empty() {
                return Err(err(
                    "ParameterMaxVersionLimitExceeded",
                    format!(
                        "You attempted to create a new version of the parameter by calling the PutParameter API with the overwrite flag. Version {}, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.",
                        entry.versions[0].version
                    ),
                ));
            }
            entry.versions.remove(0);
        }
        let version = entry.next_version;
        entry.next_version += 1;
        entry.versions.push(Version {
            version,
            value,
            kind,
            tier: tier.clone(),
            data_type,
            description,
            allowed_pattern,
            key_id,
            modified: now_s(),
            user: user.to_owned(),
            labels: Vec::new(),
        });
        Ok(json!({"Version": version, "Tier": tier}))
    }

    fn get(&self, body: &Value) -> Result<Value, ApiError> {
        let spec = str_field(body, "Name").ok_or_else(|| validation("Name is required"))?;
        let decrypt = body
            .get("WithDecryption")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let (name, v, selector) = self.resolve(spec)?;
        Ok(json!({"Parameter": self.parameter_json(name, v, decrypt, selector)}))
    }

    fn get_many(&self, body: &Value) -> Result<Value, ApiError> {
        let names = strings(body, "Names");
        if names.is_empty() || names.len() > 10 {
            return Err(validation(format!(
                "1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length between 1 and 10 (got {})",
                names.len()
            )));
        }
        let decrypt = body
            .get("WithDecryption")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let mut found = Vec::new();
        let mut invalid = Vec::new();
        for spec in &names {
            match self.resolve(spec) {
                Ok((name, v, sel)) => found.push(self.parameter_json(name, v, decrypt, sel)),
                Err(_) => invalid.push(Value::String(spec.clone())),
            }
        }
        Ok(json!({"Parameters": found, "InvalidParameters": invalid}))
    }

    fn by_path(&self, body: &Value) -> Result<Value, ApiError> {
        let path = str_field(body, "Path").ok_or_else(|| validation("Path is required"))?;
        if !path.starts_with('/') {
            return Err(validation(format!(
                "The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\". Path: {path}"
            )));
        }
        let recursive = body
            .get("Recursive")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let decrypt = body
            .get("WithDecryption")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let max = max_results(body, 10, 10)?;
        let filters = self.parameter_filters(body, true)?;
        let prefix = if path.ends_with('/') {
            path.to_owned()
        } else {
            format!("{path}/")
        };
        let matching: Vec<(&String, &Entry)> = self
            .params
            .iter()
            .filter(|(n, _)| {
                n.starts_with(&prefix) && (recursive || !n[prefix.len()..].contains('/'))
            })
            .filter(|(n, e)| filters.iter().all(|f| f.matches(n, e)))
            .collect();
        let (page, next) = paged(matching, |(n, _)| (*n).clone(), body, max)?;
        let page: Vec<Value> = page
            .iter()
            .map(|(n, e)| self.parameter_json(n, e.latest(), decrypt, None))
            .collect();
        let mut out = json!({"Parameters": page});
        if let Some(t) = next {
            out["NextToken"] = Value::String(t);
        }
        Ok(out)
    }

    fn parameter_filters(&self, body: &Value, by_path: bool) -> Result<Vec<Filter>, ApiError> {
        let mut out: Vec<Filter> = Vec::new();
        let string_filters = body.get("ParameterFilters").and_then(Value::as_array);
        let legacy = body.get("Filters").and_then(Value::as_array);
        if string_filters.is_some_and(|f| !f.is_empty()) && legacy.is_some_and(|f| !f.is_empty()) {
            return Err(validation(
                "You can use either Filters or ParameterFilters in a single request.",
            ));
        }
        for (i, f) in string_filters.into_iter().flatten().enumerate() {
            let filter = check_string_filter(i, f, by_path)?;
            if out.iter().any(|o| o.key == filter.key) {
                return Err(err(
                    "InvalidFilterKey",
                    format!(
                        "The following filter is duplicated in the request: {}. A request can contain only one occurrence of a specific filter.",
                        filter.key
                    ),
                ));
            }
            out.push(filter);
        }
        // Legacy Filters: Name, Type, KeyId with Equals semantics.
        for f in body
            .get("Filters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = str_field(f, "Key").unwrap_or("");
            if !["Name", "Type", "KeyId"].contains(&key) {
                return Err(validation(format!(
                    "1 validation error detected: Value '{key}' at 'filters.{}.member.key' failed to satisfy constraint: Member must satisfy enum value set: [Name, Type, KeyId]",
                    out.len() + 1
                )));
            }
            out.push(Filter {
                key: key.to_owned(),
                option: Some("Equals".into()),
                values: strings(f, "Values"),
            });
        }
        Ok(out)
    }

    fn describe(&self, body: &Value) -> Result<Value, ApiError> {
        // Without MaxResults the service answers 10 at a time (moto does too).
        let max = max_results(body, 50, 10)?;
        let filters = self.parameter_filters(body, false)?;
        let matching: Vec<(&String, &Entry)> = self
            .params
            .iter()
            .filter(|(n, e)| filters.iter().all(|f| f.matches(n, e)))
            .collect();
        let (page, next) = paged(matching, |(n, _)| (*n).clone(), body, max)?;
        let page: Vec<Value> = page
            .into_iter()
            .map(|(n, e)| self.metadata_json(n, e))
            .collect();
        let mut out = json!({"Parameters": page});
        if let Some(t) = next {
            out["NextToken"] = Value::String(t);
        }
        Ok(out)
    }

    fn history(&self, body: &Value) -> Result<Value, ApiError> {
        let name = str_field(body, "Name").ok_or_else(|| validation("Name is required"))?;
        let decrypt = body
            .get("WithDecryption")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let max = max_results(body, 50, 50)?;
        let e = self
            .params
            .get(name)
            .ok_or_else(|| err("ParameterNotFound", format!("Parameter {name} not found.")))?;
        let versions: Vec<&Version> = e.versions.iter().collect();
        let (page, next) = paged(versions, |v| format!("{:020}", v.version), body, max)?;
        let page: Vec<Value> = page
            .into_iter()
            .map(|v| {
                let mut h = json!({
                    "Name": name,
                    "Type": v.kind,
                    "LastModifiedDate": v.modified,
                    "LastModifiedUser": v.user,
                    "Value": if v.kind == "SecureString" && !decrypt { ciphertext(&v.value) } else { v.value.clone() },
                    "Version": v.version,
                    "Labels": v.labels,
                    "Tier": v.tier,
                    "Policies": [],
                    "DataType": v.data_type,
                });
                if !v.description.is_empty() {
                    h["Description"] = Value::String(v.description.clone());
                }
                if !v.allowed_pattern.is_empty() {
                    h["AllowedPattern"] = Value::String(v.allowed_pattern.clone());
                }
                if v.kind == "SecureString" {
                    h["KeyId"] = Value::String(v.key_id.clone());
                }
                h
            })
            .collect();
        let mut out = json!({"Parameters": page});
        if let Some(t) = next {
            out["NextToken"] = Value::String(t);
        }
        Ok(out)
    }

    fn label(&mut self, body: &Value) -> Result<Value, ApiError> {
        let name = str_field(body, "Name").ok_or_else(|| validation("Name is required"))?;
        let labels = strings(body, "Labels");
        check_labels(&labels)?;
        let e = self
            .params
            .get_mut(name)
            .ok_or_else(|| err("ParameterNotFound", format!("Parameter {name} not found.")))?;
        let version = match body.get("ParameterVersion").and_then(Value::as_u64) {
            Some(v) => v,
            None => e.latest().version,
        };
        let idx = e
            .versions
            .iter()
            .position(|v| v.version == version)
            .ok_or_else(|| {
                err(
                    "ParameterVersionNotFound",
                    format!("Systems Manager could not find version {version} of {name}. Verify the version and try again."),
                )
            })?;
        let (valid, invalid): (Vec<String>, Vec<String>) =
            labels.into_iter().partition(|l| valid_label(l));
        let mut after: Vec<String> = e.versions[idx].labels.clone();
        for l in &valid {
            if !after.contains(l) {
                after.push(l.clone());
            }
        }
        if after.len() > MAX_LABELS {
            return Err(err(
                "ParameterVersionLabelLimitExceeded",
                format!(
                    "A parameter version can have maximum {MAX_LABELS} labels. Version {version} of {name} would have {}. Move one or more labels to another version and try again.",
                    after.len()
                ),
            ));
        }
        for v in &mut e.versions {
            v.labels.retain(|l| !valid.contains(l));
        }
        e.versions[idx].labels = after;
        Ok(json!({"InvalidLabels": invalid, "ParameterVersion": version}))
    }

    fn unlabel(&mut self, body: &Value) -> Result<Value, ApiError> {
        let name = str_field(body, "Name").ok_or_else(|| validation("Name is required"))?;
        let version = body
            .get("ParameterVersion")
            .and_then(Value::as_u64)
            .ok_or_else(|| validation("ParameterVersion is required"))?;
        let labels = strings(body, "Labels");
        check_labels(&labels)?;
        let e = self
            .params
            .get_mut(name)
            .ok_or_else(|| err("ParameterNotFound", format!("Parameter {name} not found.")))?;
        let v = e
            .versions
            .iter_mut()
            .find(|v| v.version == version)
            .ok_or_else(|| {
                err(
                    "ParameterVersionNotFound",
                    format!("Systems Manager could not find version {version} of {name}. Verify the version and try again."),
                )
            })?;
        let (removed, invalid): (Vec<String>, Vec<String>) =
            labels.into_iter().partition(|l| v.labels.contains(l));
        v.labels.retain(|l| !removed.contains(l));
        Ok(json!({"RemovedLabels": removed, "InvalidLabels": invalid}))
    }

    fn delete(&mut self, body: &Value) -> Result<Value, ApiError> {
        let name = str_field(body, "Name").ok_or_else(|| validation("Name is required"))?;
        match self.params.remove(name) {
            Some(_) => Ok(json!({})),
            None => Err(err(
                "ParameterNotFound",
                format!("Parameter {name} not found."),
            )),
        }
    }

    fn delete_many(&mut self, body: &Value) -> Result<Value, ApiError> {
        let names = strings(body, "Names");
        if names.is_empty() || names.len() > 10 {
            return Err(validation("Names must list 1 to 10 names"));
        }
        let (deleted, invalid): (Vec<String>, Vec<String>) = names
            .into_iter()
            .partition(|n| self.params.remove(n).is_some());
        Ok(json!({"DeletedParameters": deleted, "InvalidParameters": invalid}))
    }
}

struct Filter {
    key: String,
    option: Option<String>,
    values: Vec<String>,
}

impl Filter {
    fn matches(&self, name: &str, e: &Entry) -> bool {
        let v = e.latest();
        let opt = self.option.as_deref().unwrap_or("Equals");
        let any = |s: &str| match opt {
            "BeginsWith" => self.values.iter().any(|x| s.starts_with(x.as_str())),
            "Contains" => self.values.iter().any(|x| s.contains(x.as_str())),
            _ => self.values.iter().any(|x| s == x),
        };
        match self.key.as_str() {
            "Name" => {
                // AWS matches Name filters with or without the leading slash.
                let alt = name.trim_start_matches('/');
                any(name) || any(alt) || {
                    let slashless: Vec<String> = self
                        .values
                        .iter()
                        .map(|x| x.trim_start_matches('/').to_owned())
                        .collect();
                    match opt {
                        "BeginsWith" => slashless.iter().any(|x| alt.starts_with(x.as_str())),
                        "Contains" => slashless.iter().any(|x| alt.contains(x.as_str())),
                        _ => slashless.iter().any(|x| alt == x),
                    }
                }
            }
            "Path" => self.values.iter().any(|p| {
                if !name.starts_with('/') {
                    // Names without a slash live at the root.
                    return p == "/";
                }
                let prefix = if p == "/" {
                    "/".to_owned()
                } else {
                    format!("{}/", p.trim_end_matches('/'))
                };
                name.starts_with(&prefix)
                    && (opt == "Recursive" || !name[prefix.len()..].contains('/'))
            }),
            "Type" => any(&v.kind),
            "KeyId" => any(&v.key_id),
            "Tier" => any(&v.tier),
            "DataType" => any(&v.data_type),
            "Label" => e
                .versions
                .iter()
                .any(|ver| ver.labels.iter().any(|l| self.values.contains(l))),
            key => match key.strip_prefix("tag:") {
                Some(k) => e.tags.iter().any(|(tk, tv)| {
                    tk == k && (self.values.is_empty() || self.values.contains(tv))
                }),
                None => false,
            },
        }
    }
}

/// One `ParameterFilters` entry as AWS checks it: the model's key pattern and
/// lengths (ValidationException), then the keys, options and values each
/// call accepts (API reference `ParameterStringFilter`; the same checks moto
/// makes): `Label` only on GetParametersByPath, `Name`, `Path`, `Tier`,
/// `DataType` and `tag:` only on DescribeParameters, `Recursive`/`OneLevel`
/// only for `Path`, `Contains` only for `Name`.
fn check_string_filter(i: usize, f: &Value, by_path: bool) -> Result<Filter, ApiError> {
    static KEY: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new("^(tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType)$")
            .expect("model pattern")
    });
    let at = |m: &str| format!("parameterFilters.{}.member.{m}", i + 1);
    let key = str_field(f, "Key").unwrap_or("").to_owned();
    let option = str_field(f, "Option").map(str::to_owned);
    let values = strings(f, "Values");
    crate::validate::length(&at("key"), &key, 1, 132)?;
    if !KEY.is_match(&key) {
        return Err(validation(format!(
            "1 validation error detected: Value '{key}' at '{}' failed to satisfy constraint: Member must satisfy regular expression pattern: tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType",
            at("key")
        )));
    }
    if let Some(o) = &option {
        crate::validate::length(&at("option"), o, 1, 10)?;
    }
    if values.len() > 50 {
        return Err(validation(format!(
            "1 validation error detected: Value at '{}' failed to satisfy constraint: Member must have length less than or equal to 50",
            at("values")
        )));
    }
    for v in &values {
        crate::validate::length(&at("values.member"), v, 1, 1_024)?;
    }
    let allowed: &[&str] = if by_path {
        &["Type", "KeyId", "Label"]
    } else {
        &["Name", "Path", "Type", "KeyId", "Tier", "DataType"]
    };
    if !(allowed.contains(&key.as_str()) || (!by_path && key.starts_with("tag:"))) {
        return Err(err(
            "InvalidFilterKey",
            format!(
                "The following filter key is not valid: {key}. Valid filter keys include: [{}].",
                allowed.join(", ")
            ),
        ));
    }
    if !key.starts_with("tag:") && values.is_empty() {
        return Err(err(
            "InvalidFilterValue",
            format!("The following filter values are missing : null for filter key {key}."),
        ));
    }
    let opt = option.as_deref();
    let bad_option = |valid: &str| {
        err(
            "InvalidFilterOption",
            format!(
                "The following filter option is not valid: {}. Valid options include: [{valid}].",
                opt.unwrap_or("")
            ),
        )
    };
    match key.as_str() {
        "Path" if !matches!(opt, None | Some("Recursive" | "OneLevel")) => {
            return Err(bad_option("Recursive, OneLevel"));
        }
        "Path" => check_path_values(&values)?,
        "Name" if !matches!(opt, None | Some("Equals" | "BeginsWith" | "Contains")) => {
            return Err(bad_option("BeginsWith, Equals, Contains"));
        }
        "Label" if !matches!(opt, None | Some("Equals")) => return Err(bad_option("Equals")),
        "Name" | "Label" => {}
        _ if !matches!(opt, None | Some("Equals" | "BeginsWith")) => {
            return Err(bad_option("BeginsWith, Equals"));
        }
        _ => {}
    }
    let enum_values: &[&str] = match key.as_str() {
        "Type" => &["String", "StringList", "SecureString"],
        "Tier" => &["Standard", "Advanced", "Intelligent-Tiering"],
        _ => &[],
    };
    if let Some(v) = values
        .iter()
        .find(|v| !enum_values.is_empty() && !enum_values.contains(&v.as_str()))
    {
        return Err(err(
            "InvalidFilterValue",
            format!(
                "The following filter value is not valid: {v}. Valid values include: [{}].",
                enum_values.join(", ")
            ),
        ));
    }
    Ok(Filter {
        key,
        option,
        values,
    })
}

/// `Path` filter values: a path that begins with `/`, has no empty level and
/// is not under the reserved `/aws` or `/ssm` (ValidationException in AWS).
fn check_path_values(values: &[String]) -> Result<(), ApiError> {
    for v in values {
        let lower = v.to_ascii_lowercase();
        if lower.starts_with("/aws") || lower.starts_with("/ssm") {
            return Err(validation(
                "Filters for common parameters can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). When using global parameters, please specify within a global namespace.",
            ));
        }
        if !v.starts_with('/')
            || v.contains("//")
            || !v
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c))
        {
            return Err(validation(
                "The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\". It can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol \"/\". Valid example: /get/parameters2-/by1./path0_.",
            ));
        }
    }
    Ok(())
}

/// A seeded parameter.
#[derive(Debug, Clone)]
pub struct SeedParam {
    /// Full name.
    pub name: String,
    /// Value (clear).
    pub value: String,
    /// `String`, `StringList` or `SecureString`.
    pub kind: &'static str,
    /// Description.
    pub description: String,
    /// Last modified, epoch seconds.
    pub modified_s: f64,
}

/// Generates `count` realistic parameters under `/{env}/{service}/…`,
/// deterministically from `seed`.
pub fn seed_parameters(
    seed: u64,
    count: usize,
    envs: &[String],
    services: &[String],
) -> Vec<SeedParam> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x9a7a);
    let keys: &[(&str, &str)] = &[
        ("db/url", "String"),
        ("db/password", "SecureString"),
        ("db/pool_size", "String"),
        ("api/key", "SecureString"),
        ("feature/new_checkout", "String"),
        ("feature/dark_launch", "String"),
        ("config.json", "String"),
        ("allowed_hosts", "StringList"),
        ("log_level", "String"),
        ("replicas", "String"),
    ];
    let mut out = Vec::with_capacity(count);
    let mut i = 0usize;
    'outer: loop {
        for env in envs {
            for svc in services {
                let instance = i / (envs.len() * services.len() * keys.len()).max(1);
                for (key, kind) in keys {
                    if out.len() >= count {
                        break 'outer;
                    }
                    let base = if instance == 0 {
                        format!("/{env}/{svc}/{key}")
                    } else {
                        format!("/{env}/{svc}-{instance}/{key}")
                    };
                    let value = match *key {
                        "db/url" => format!("postgres://{svc}.{env}.internal:5432/{svc}"),
                        "db/password" | "api/key" => (0..24)
                            .map(|_| {
                                let c = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
                                c[rng.random_range(0..c.len())] as char
                            })
                            .collect(),
                        "db/pool_size" => rng.random_range(5..50u32).to_string(),
                        "feature/new_checkout" | "feature/dark_launch" => if rng.random_bool(0.5) {
                            "true"
                        } else {
                            "false"
                        }
                        .into(),
                        "config.json" => format!(
                            "{{\"service\":\"{svc}\",\"env\":\"{env}\",\"timeout_ms\":{},\"retries\":{}}}",
                            rng.random_range(100..5_000u32),
                            rng.random_range(0..5u32)
                        ),
                        "allowed_hosts" => {
                            format!("{svc}.{env}.example.com,{svc}-internal.{env}.example.com")
                        }
                        "log_level" => ["debug", "info", "warn"][rng.random_range(0..3)].into(),
                        _ => rng.random_range(1..12u32).to_string(),
                    };
                    out.push(SeedParam {
                        name: base,
                        value,
                        kind,
                        description: format!("{key} for {svc} in {env}"),
                        modified_s: 1_793_491_200.0
                            - f64::from(rng.random_range(0..86_400 * 90u32)),
                    });
                    i += 1;
                }
            }
        }
        if count == 0 {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(s: &mut ParamStore, body: Value) -> Result<Value, ApiError> {
        s.handle("PutParameter", &body, "tester").unwrap()
    }

    #[test]
    fn put_get_versions_labels() {
        let mut s = ParamStore::new("us-east-1");
        put(
            &mut s,
            json!({"Name": "/a/b", "Value": "1", "Type": "String"}),
        )
        .unwrap();
        assert_eq!(
            put(&mut s, json!({"Name": "/a/b", "Value": "2"}))
                .unwrap_err()
                .code,
            "ParameterAlreadyExists"
        );
        let v = put(
            &mut s,
            json!({"Name": "/a/b", "Value": "2", "Overwrite": true}),
        )
        .unwrap();
        assert_eq!(v["Version"], 2);
        let g = s
            .handle("GetParameter", &json!({"Name": "/a/b:1"}), "t")
            .unwrap()
            .unwrap();
        assert_eq!(g["Parameter"]["Value"], "1");
        assert_eq!(g["Parameter"]["Selector"], ":1");
        s.handle(
            "LabelParameterVersion",
            &json!({"Name": "/a/b", "ParameterVersion": 1, "Labels": ["stable", "9"]}),
            "t",
        )
        .unwrap()
        .unwrap();
        let g = s
            .handle("GetParameter", &json!({"Name": "/a/b:stable"}), "t")
            .unwrap()
            .unwrap();
        assert_eq!(g["Parameter"]["Version"], 1);
    }

    #[test]
    fn names_and_sizes_are_validated() {
        assert_eq!(
            validate_name("/a b").unwrap_err().code,
            "ValidationException"
        );
        assert_eq!(
            validate_name("/aws/x").unwrap_err().code,
            "ValidationException"
        );
        let deep = format!("/{}", vec!["x"; 16].join("/"));
        assert_eq!(
            validate_name(&deep).unwrap_err().code,
            "HierarchyLevelLimitExceededException"
        );
        let mut s = ParamStore::new("us-east-1");
        let big = "x".repeat(4_097);
        let e = put(
            &mut s,
            json!({"Name": "/big", "Value": big, "Type": "String"}),
        )
        .unwrap_err();
        assert!(e.message.contains("advanced-parameter tier"), "{e:?}");
        put(
            &mut s,
            json!({"Name": "/big", "Value": big, "Type": "String", "Tier": "Advanced"}),
        )
        .unwrap();
    }

    #[test]
    fn seeds_are_deterministic_and_counted() {
        let envs = vec!["prod".to_string(), "dev".to_string()];
        let svcs = vec!["api".to_string(), "web".to_string()];
        let a = seed_parameters(1, 10_000, &envs, &svcs);
        assert_eq!(a.len(), 10_000);
        let mut names: Vec<_> = a.iter().map(|p| &p.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 10_000, "unique names");
        assert_eq!(seed_parameters(1, 30, &envs, &svcs)[5].value, a[5].value);
    }
}
