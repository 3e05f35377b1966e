//! SSM `DescribeInstanceProperties` (added 2023; the operation the
//! Systems Manager console's node list reads): every managed node with
//! the DescribeInstanceInformation fields and, for EC2 nodes, those of
//! EC2 DescribeInstances (Name tag, instance type, instance profile, key
//! pair, state, architecture, launch time, zone), up to 1,000 a page.
//!
//! Filters: `InstancePropertyFilterList` (`key` from the model's enum,
//! `valueSet` 1 … 40, any value equal) and `FiltersWithOperator` (`Key`:
//! the same keys, `tag-key` or `tag:<key>`; `Values` 1 … 40; `Operator`
//! Equal (default), NotEqual, BeginWith, LessThan, GreaterThan;
//! LessThan/GreaterThan compare versions as inventory does, so
//! `AgentVersion LessThan 3.3.0.0` finds old agents). Both lists may be
//! given; every filter must hold. `DocumentName` matches the nodes with
//! an association of `AWS-GatherSoftwareInventory` (the nodes that have
//! associations) or `AWS-RunPatchBaseline` (the nodes with a patch
//! state); other documents match none.
//!
//! An endpoint that predates the operation is simulated with the lab's
//! `unsupported` fault knob (`ssm:DescribeInstanceProperties`).

use crate::associations::NodeOverview;
use std::cmp::Ordering;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::LabState;
use crate::fleet::LabNode;
use crate::params::{ApiError, err, validation};

/// The model's `InstancePropertyFilterKey`.
const KEYS: [&str; 9] = [
    "InstanceIds",
    "AgentVersion",
    "PingStatus",
    "PlatformTypes",
    "DocumentName",
    "ActivationIds",
    "IamRole",
    "ResourceType",
    "AssociationStatus",
];
/// The model's `InstancePropertyFilterOperator`.
const OPERATORS: [&str; 5] = ["Equal", "NotEqual", "BeginWith", "LessThan", "GreaterThan"];

struct PropFilter {
    key: String,
    values: Vec<String>,
    op: String,
}

/// What a node offers a filter key: its values (a node has one value per
/// key, several for `tag-key`), or `None` for an unknown key.
fn values_of(
    n: &LabNode,
    key: &str,
    (activation, overview): (Option<&str>, Option<&NodeOverview>),
    region: &str,
) -> Option<Vec<String>> {
    let one = |s: &str| Some(vec![s.to_owned()]);
    match key {
        "InstanceIds" => one(&n.id),
        "AgentVersion" => one(&n.agent_version),
        "PingStatus" => one(n.ping.as_str()),
        "PlatformTypes" => one(&n.platform_type),
        "ActivationIds" => Some(activation.map(str::to_owned).into_iter().collect()),
        "IamRole" => one(&n.iam_role),
        "ResourceType" => one(if n.is_hybrid() {
            "ManagedInstance"
        } else {
            "EC2Instance"
        }),
        "AssociationStatus" => Some(overview.map(|o| o.status.to_owned()).into_iter().collect()),
        "DocumentName" => {
            let mut docs = Vec::new();
            if overview.is_some() {
                docs.push("AWS-GatherSoftwareInventory".to_owned());
            }
            if crate::patch::state_of(n, region, crate::params::now_s()).is_some() {
                docs.push("AWS-RunPatchBaseline".to_owned());
            }
            Some(docs)
        }
        "tag-key" => Some(n.tags.iter().map(|(k, _)| k.clone()).collect()),
        other => {
            let tag = other.strip_prefix("tag:")?;
            Some(n.tag(tag).map(str::to_owned).into_iter().collect())
        }
    }
}

impl PropFilter {
    fn holds(&self, have: &[String]) -> bool {
        let any = |f: &dyn Fn(&str, &str) -> bool| {
            have.iter().any(|h| self.values.iter().any(|v| f(h, v)))
        };
        match self.op.as_str() {
            "NotEqual" => !have.iter().any(|h| self.values.contains(h)),
            "BeginWith" => any(&|h, v| h.starts_with(v)),
            "LessThan" => any(&|h, v| crate::inventory::compare_versions(h, v) == Ordering::Less),
            "GreaterThan" => {
                any(&|h, v| crate::inventory::compare_versions(h, v) == Ordering::Greater)
            }
            _ => any(&|h, v| h == v),
        }
    }
}

fn values(f: &Value, member: &str, at: &str) -> Result<Vec<String>, ApiError> {
    let list: Vec<String> = f
        .get(member)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if list.is_empty() || list.len() > 40 {
        return Err(validation(format!(
            "1 validation error detected: Value at '{at}' failed to satisfy constraint: Member must have length less than or equal to 40, Member must have length greater than or equal to 1"
        )));
    }
    if let Some(v) = list.iter().find(|v| v.is_empty()) {
        return Err(validation(format!(
            "1 validation error detected: Value '{v}' at '{at}' failed to satisfy constraint: Member must have length greater than or equal to 1"
        )));
    }
    Ok(list)
}

fn list_of<'a>(body: &'a Value, member: &str, field: &str) -> Result<&'a [Value], ApiError> {
    match body.get(member) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) if !a.is_empty() && a.len() <= 40 => Ok(a),
        Some(_) => Err(validation(format!(
            "1 validation error detected: Value at '{field}' failed to satisfy constraint: Member must have length less than or equal to 40, Member must have length greater than or equal to 1"
        ))),
    }
}

/// Both filter lists, checked as the model and the operation's errors say.
fn filters(body: &Value) -> Result<Vec<PropFilter>, ApiError> {
    let mut out = Vec::new();
    for (i, f) in list_of(
        body,
        "InstancePropertyFilterList",
        "instancePropertyFilterList",
    )?
    .iter()
    .enumerate()
    {
        let at = |m: &str| format!("instancePropertyFilterList.{}.member.{m}", i + 1);
        let key = f.get("key").and_then(Value::as_str).unwrap_or("");
        if !KEYS.contains(&key) {
            return Err(validation(format!(
                "1 validation error detected: Value '{key}' at '{}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                at("key"),
                KEYS.join(", ")
            )));
        }
        out.push(PropFilter {
            key: key.to_owned(),
            values: values(f, "valueSet", &at("valueSet"))?,
            op: "Equal".to_owned(),
        });
    }
    for (i, f) in list_of(body, "FiltersWithOperator", "filtersWithOperator")?
        .iter()
        .enumerate()
    {
        let at = |m: &str| format!("filtersWithOperator.{}.member.{m}", i + 1);
        let key = f.get("Key").and_then(Value::as_str).unwrap_or("");
        crate::validate::length(&at("key"), key, 1, 100_000)?;
        let op = f.get("Operator").and_then(Value::as_str).unwrap_or("Equal");
        if !OPERATORS.contains(&op) {
            return Err(validation(format!(
                "1 validation error detected: Value '{op}' at '{}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                at("operator"),
                OPERATORS.join(", ")
            )));
        }
        let known = KEYS.contains(&key)
            || key == "tag-key"
            || key.strip_prefix("tag:").is_some_and(|t| !t.is_empty());
        if !known {
            return Err(err(
                "InvalidFilterKey",
                format!("The filter key {key} is not valid."),
            ));
        }
        out.push(PropFilter {
            key: key.to_owned(),
            values: values(f, "Values", &at("values"))?,
            op: op.to_owned(),
        });
    }
    for f in &out {
        check_values(f)?;
    }
    Ok(out)
}

/// Values of the enum- and id-valued keys must be well formed.
fn check_values(f: &PropFilter) -> Result<(), ApiError> {
    let allowed: &[&str] = match f.key.as_str() {
        "PingStatus" => &["Online", "ConnectionLost", "Inactive"],
        "PlatformTypes" => &["Windows", "Linux", "MacOS"],
        "ResourceType" => &["ManagedInstance", "EC2Instance"],
        "InstanceIds" if f.op == "Equal" || f.op == "NotEqual" => {
            for v in &f.values {
                if crate::validate::pattern("instanceId", v, crate::validate::INSTANCE_ID).is_err()
                {
                    return Err(err(
                        "InvalidInstanceId",
                        format!("Instance Id {v} is not valid."),
                    ));
                }
            }
            return Ok(());
        }
        "ActivationIds" if f.op == "Equal" || f.op == "NotEqual" => {
            for v in &f.values {
                if crate::validate::pattern("activationId", v, crate::validate::UUID).is_err() {
                    return Err(err(
                        "InvalidActivationId",
                        format!("Activation ID {v} is not valid."),
                    ));
                }
            }
            return Ok(());
        }
        _ => return Ok(()),
    };
    match f.values.iter().find(|v| !allowed.contains(&v.as_str())) {
        Some(v) => Err(err(
            "InvalidInstancePropertyFilterValue",
            format!(
                "The filter value {v} is not valid for the filter key {}. Valid values: {}.",
                f.key,
                allowed.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

/// One node's `InstanceProperty`: its DescribeInstanceInformation fields
/// (without `IsLatestVersion`, which the shape has not) and its EC2 ones.
pub(crate) fn property_json(
    n: &LabNode,
    overview: Option<&NodeOverview>,
    activation: Option<&str>,
) -> Value {
    let mut v = crate::ssm::node_json(n, overview, activation);
    if let Some(m) = v.as_object_mut() {
        m.remove("IsLatestVersion");
    }
    v["Name"] = json!(n.tag("Name").unwrap_or(&n.name));
    v["Architecture"] = json!(n.architecture());
    if !n.is_hybrid() {
        v["InstanceType"] = json!(n.instance_type);
        v["InstanceRole"] = json!(n.iam_role);
        v["InstanceState"] = json!(n.state);
        v["LaunchTime"] = json!(n.launch_epoch_s as f64);
        v["AvailabilityZone"] = json!(n.availability_zone);
        if let Some(k) = n.key_name() {
            v["KeyName"] = json!(k);
        }
    }
    v
}

/// SSM `DescribeInstanceProperties`: `InstancePropertyFilterList`,
/// `FiltersWithOperator`, `MaxResults` 5 … 1000 (default 50),
/// `NextToken`; nodes by id.
///
/// # Errors
/// `ValidationException`, `InvalidFilterKey`, `InvalidInstanceId`,
/// `InvalidActivationId`, `InvalidInstancePropertyFilterValue`,
/// `InvalidNextToken`.
fn describe_instance_properties(state: &LabState, body: &Value) -> Result<Value, ApiError> {
    let max = match body.get("MaxResults") {
        None | Some(Value::Null) => 50,
        Some(v) => match v.as_u64() {
            Some(n @ 5..=1_000) => n as usize,
            _ => {
                return Err(validation(format!(
                    "1 validation error detected: Value '{v}' at 'maxResults' failed to satisfy constraint: Member must have value between 5 and 1000"
                )));
            }
        },
    };
    let filters = filters(body)?;
    let overviews =
        crate::associations::node_overviews(&state.associations.lock().expect("associations lock"));
    let nodes = state.nodes.read().expect("nodes lock");
    let activations = state.activations.lock().expect("activations lock");
    let matching: Vec<&LabNode> = nodes
        .iter()
        .filter(|n| {
            let a = (activations.activation_of(&n.id), overviews.get(&n.id));
            filters
                .iter()
                .all(|f| values_of(n, &f.key, a, &state.region).is_some_and(|have| f.holds(&have)))
        })
        .collect();
    let token = body.get("NextToken").and_then(Value::as_str);
    let (page, next) = crate::paging::page_by(matching, |n| n.id.clone(), token, max)
        .map_err(|_| err("InvalidNextToken", "The specified token isn't valid."))?;
    let list: Vec<Value> = page
        .iter()
        .map(|n| property_json(n, overviews.get(&n.id), activations.activation_of(&n.id)))
        .collect();
    let mut out = json!({ "InstanceProperties": list });
    if let Some(t) = next {
        out["NextToken"] = Value::String(t);
    }
    Ok(out)
}

/// `Some` answer for DescribeInstanceProperties.
pub(crate) fn handle(
    state: &Arc<LabState>,
    action: &str,
    body: &Value,
) -> Option<Result<Value, ApiError>> {
    (action == "DescribeInstanceProperties").then(|| describe_instance_properties(state, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::FleetSpec;

    #[test]
    fn operators_follow_the_model() {
        let f = |op: &str, v: &[&str]| PropFilter {
            key: "AgentVersion".into(),
            values: v.iter().map(|s| (*s).to_owned()).collect(),
            op: op.into(),
        };
        let have = vec!["3.2.2303.0".to_owned()];
        assert!(f("Equal", &["3.2.2303.0"]).holds(&have));
        assert!(!f("NotEqual", &["3.2.2303.0"]).holds(&have));
        assert!(f("BeginWith", &["3.2."]).holds(&have));
        assert!(f("LessThan", &["3.3.0.0"]).holds(&have));
        assert!(!f("GreaterThan", &["3.3.0.0"]).holds(&have));
        assert!(
            f("GreaterThan", &["3.2.987.0"]).holds(&have),
            "numeric, not text"
        );
        assert!(!f("Equal", &["x"]).holds(&[]));
        assert!(f("NotEqual", &["x"]).holds(&[]));
    }

    #[test]
    fn properties_carry_the_ec2_fields_of_ec2_nodes_only() {
        let nodes = FleetSpec::demo().generate();
        let ec2 = nodes.iter().find(|n| !n.is_hybrid()).unwrap();
        let v = property_json(ec2, None, None);
        assert_eq!(v["InstanceType"], json!(ec2.instance_type));
        assert_eq!(
            v["KeyName"],
            json!(format!("lab-{}", ec2.tag("Env").unwrap()))
        );
        assert!(v.get("IsLatestVersion").is_none() && v.get("ActivationId").is_none());
        let mi = nodes.iter().find(|n| n.is_hybrid()).unwrap();
        let v = property_json(mi, None, Some("0e6b7c1a-1111-4222-8333-444455556666"));
        assert!(v.get("InstanceType").is_none() && v.get("LaunchTime").is_none());
        assert_eq!(v["ActivationId"], "0e6b7c1a-1111-4222-8333-444455556666");
        assert_eq!(v["Architecture"], "x86_64");
    }
}
