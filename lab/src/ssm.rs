//! SSM actions (JSON 1.1, `X-Amz-Target: AmazonSSM.<Action>`).

use axum::response::Response;
use serde_json::{Value, json};

use crate::LabState;
use crate::fleet::LabNode;
use crate::params::{ApiError, err};
use crate::protocol::{
    LabRequest, Service, error_response, json_response, unknown_action, validation,
};

pub fn dispatch(state: &std::sync::Arc<LabState>, req: &LabRequest) -> Response {
    match req.action.as_str() {
        "DescribeInstanceInformation" => describe_instance_information(state, &req.json),
        "ListTagsForResource" => list_tags_for_resource(state, &req.json),
        "GetCalendarState" => {
            let now = crate::epoch_now();
            let store = state.calendars.lock().expect("calendars lock");
            match crate::calendar::get_calendar_state(&store, &req.json, now) {
                Ok(v) => json_response(&v),
                Err(e) => error_response(Service::Ssm, 400, e.code, &e.message),
            }
        }
        "CreateDocument" => {
            let now = crate::params::now_s();
            let mut store = state.calendars.lock().expect("calendars lock");
            match crate::calendar::create_document(&mut store, &state.account, &req.json, now) {
                Ok(v) => json_response(&v),
                Err(e) => error_response(Service::Ssm, 400, e.code, &e.message),
            }
        }
        other => {
            let mine = crate::patch::handle(state, other, &req.json)
                .or_else(|| crate::compliance::handle(state, other, &req.json))
                .or_else(|| crate::inventory::handle(state, other, &req.json))
                .or_else(|| crate::hybrid::handle(state, other, &req.json))
                .or_else(|| crate::properties::handle(state, other, &req.json));
            if let Some(r) = mine {
                return match r {
                    Ok(v) => json_response(&v),
                    Err(e) => error_response(Service::Ssm, 400, e.code, &e.message),
                };
            }
            if let Some(r) = crate::automation::handle(state, other, &req.json) {
                return match r {
                    Ok(v) => json_response(&v),
                    Err(e) => error_response(Service::Ssm, 400, e.code, &e.message),
                };
            }
            if let Some(r) = crate::associations::handle(state, other, &req.json) {
                return match r {
                    Ok(v) => json_response(&v),
                    Err(e) => error_response(Service::Ssm, 400, e.code, &e.message),
                };
            }
            match crate::commands::handle(state, other, &req.json) {
                Some(Ok(v)) => return json_response(&v),
                Some(Err(e)) => return error_response(Service::Ssm, 400, e.code, &e.message),
                None => {}
            }
            if let Some(r) = crate::maintenance::handle(state, other, &req.json) {
                return match r {
                    Ok(v) => json_response(&v),
                    Err(e) => error_response(Service::Ssm, 400, e.code, &e.message),
                };
            }
            let user = state.caller_arn();
            if let Some(r) = crate::sessions::handle(state, other, &req.json, &user) {
                return match r {
                    Ok(v) => json_response(&v),
                    Err(e) => error_response(Service::Ssm, 400, e.code, &e.message),
                };
            }
            let ops = state
                .ops
                .lock()
                .expect("ops lock")
                .handle(other, &req.json, &user);
            match ops {
                Some(Ok(v)) => return json_response(&v),
                Some(Err(e)) => return error_response(Service::Ssm, 400, e.code, &e.message),
                None => {}
            }
            let result = state
                .params
                .lock()
                .expect("params lock")
                .handle(other, &req.json, &user);
            match result {
                Some(Ok(v)) => json_response(&v),
                Some(Err(e)) => error_response(Service::Ssm, 400, e.code, &e.message),
                None => unknown_action(Service::Ssm, other),
            }
        }
    }
}

/// One filter over managed nodes: a key and the values any of which must match.
struct NodeFilter {
    key: String,
    values: Vec<String>,
}

impl NodeFilter {
    /// Whether `n` passes; `overview` is its association overview,
    /// `activation` the activation a hybrid node registered with.
    fn matches(
        &self,
        n: &LabNode,
        overview: Option<&crate::associations::NodeOverview>,
        activation: Option<&str>,
    ) -> Result<bool, String> {
        let any = |v: &str| self.values.iter().any(|x| x == v);
        Ok(match self.key.as_str() {
            "InstanceIds" => any(&n.id),
            "ActivationIds" => activation.is_some_and(any),
            "PingStatus" => any(n.ping.as_str()),
            "PlatformTypes" => any(&n.platform_type),
            "AgentVersion" => any(&n.agent_version),
            "ResourceType" => any(if n.is_hybrid() {
                "ManagedInstance"
            } else {
                "EC2Instance"
            }),
            "IamRole" => any(&n.iam_role),
            "AssociationStatus" => overview.is_some_and(|o| any(o.status)),
            "tag-key" => n.tags.iter().any(|(k, _)| any(k)),
            key => match key.strip_prefix("tag:") {
                Some(tag) => n.tag(tag).is_some_and(any),
                None => return Err(format!("The filter key {key} is not valid.")),
            },
        })
    }
}

fn string_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The filters of a DescribeInstanceInformation request, checked as AWS does:
/// `InstanceInformationFilterList` keys from the model's enum, 1 … 100
/// values each, not together with `Filters` (API reference: "leads to an
/// exception error"), and values of the enum-valued keys (PingStatus,
/// PlatformTypes, ResourceType) from the model's enums, else
/// `InvalidInstanceInformationFilterValue`.
fn node_filters(body: &Value) -> Result<Vec<NodeFilter>, ApiError> {
    const LEGACY_KEYS: [&str; 8] = [
        "InstanceIds",
        "AgentVersion",
        "PingStatus",
        "PlatformTypes",
        "ActivationIds",
        "IamRole",
        "ResourceType",
        "AssociationStatus",
    ];
    let legacy = body
        .get("InstanceInformationFilterList")
        .and_then(Value::as_array);
    let string = body.get("Filters").and_then(Value::as_array);
    if legacy.is_some_and(|l| !l.is_empty()) && string.is_some_and(|f| !f.is_empty()) {
        return Err(err(
            "ValidationException",
            "InstanceInformationFilterList and Filters can't be used in the same request; use Filters.",
        ));
    }
    let mut filters = Vec::new();
    for (i, f) in legacy.into_iter().flatten().enumerate() {
        let key = f.get("key").and_then(Value::as_str).unwrap_or("");
        if !LEGACY_KEYS.contains(&key) {
            return Err(err(
                "ValidationException",
                format!(
                    "1 validation error detected: Value '{key}' at 'instanceInformationFilterList.{}.member.key' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                    i + 1,
                    LEGACY_KEYS.join(", ")
                ),
            ));
        }
        filters.push(NodeFilter {
            key: key.into(),
            values: string_list(f.get("valueSet")),
        });
    }
    for f in string.into_iter().flatten() {
        filters.push(NodeFilter {
            key: f.get("Key").and_then(Value::as_str).unwrap_or("").into(),
            values: string_list(f.get("Values")),
        });
    }
    for f in &filters {
        if f.values.is_empty() || f.values.len() > 100 {
            return Err(err(
                "ValidationException",
                format!(
                    "1 validation error detected: Value at 'filters.member.values' of filter {} failed to satisfy constraint: Member must have length less than or equal to 100, Member must have length greater than or equal to 1",
                    f.key
                ),
            ));
        }
        let allowed: &[&str] = match f.key.as_str() {
            "PingStatus" => &["Online", "ConnectionLost", "Inactive"],
            "PlatformTypes" => &["Windows", "Linux", "MacOS"],
            "ResourceType" => &["ManagedInstance", "EC2Instance"],
            _ => continue,
        };
        if let Some(v) = f.values.iter().find(|v| !allowed.contains(&v.as_str())) {
            return Err(err(
                "InvalidInstanceInformationFilterValue",
                format!(
                    "The filter value {v} is not valid for the filter key {}. Valid values: {}.",
                    f.key,
                    allowed.join(", ")
                ),
            ));
        }
    }
    Ok(filters)
}

fn describe_instance_information(state: &LabState, body: &Value) -> Response {
    let max = match body.get("MaxResults") {
        None | Some(Value::Null) => 50,
        Some(v) => match v.as_u64() {
            Some(n @ 5..=50) => n as usize,
            _ => {
                return validation(
                    Service::Ssm,
                    &format!(
                        "1 validation error detected: Value '{v}' at 'maxResults' failed to satisfy constraint: Member must have value between 5 and 50"
                    ),
                );
            }
        },
    };
    let filters = match node_filters(body) {
        Ok(f) => f,
        Err(e) => return error_response(Service::Ssm, 400, e.code, &e.message),
    };
    let overviews =
        crate::associations::node_overviews(&state.associations.lock().expect("associations lock"));
    let nodes = state.nodes.read().expect("nodes lock");
    let activations = state.activations.lock().expect("activations lock");
    let mut matching = Vec::new();
    for n in nodes.iter() {
        let mut keep = true;
        for f in &filters {
            match f.matches(n, overviews.get(&n.id), activations.activation_of(&n.id)) {
                Ok(true) => {}
                Ok(false) => {
                    keep = false;
                    break;
                }
                Err(message) => {
                    return error_response(Service::Ssm, 400, "InvalidFilterKey", &message);
                }
            }
        }
        if keep {
            matching.push(n);
        }
    }
    let token = body.get("NextToken").and_then(Value::as_str);
    let Ok((page, next)) = crate::paging::page_by(matching, |n| n.id.clone(), token, max) else {
        return error_response(
            Service::Ssm,
            400,
            "InvalidNextToken",
            "The specified token isn't valid.",
        );
    };
    let list: Vec<Value> = page
        .into_iter()
        .map(|n| node_json(n, overviews.get(&n.id), activations.activation_of(&n.id)))
        .collect();
    let mut out = json!({ "InstanceInformationList": list });
    if let Some(t) = next {
        out["NextToken"] = Value::String(t);
    }
    json_response(&out)
}

/// When `n` last pinged, as of `now` (epoch seconds): an Online agent pings
/// about every 5 minutes, so its last ping stays within 5 minutes of now
/// however long the lab runs (at the same phase as its generated ping);
/// other nodes stopped pinging when they were generated.
pub(crate) fn last_ping(n: &LabNode, now: f64) -> f64 {
    if n.ping == crate::PingStatus::Online && now > n.last_ping_epoch_s {
        now - (now - n.last_ping_epoch_s) % 300.0
    } else {
        n.last_ping_epoch_s
    }
}

/// A node as DescribeInstanceInformation lists it; `overview` is its
/// association overview, `activation` the activation a hybrid node
/// registered with (see [`crate::hybrid`]).
pub(crate) fn node_json(
    n: &LabNode,
    overview: Option<&crate::associations::NodeOverview>,
    activation: Option<&str>,
) -> Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs() as f64);
    let mut v = json!({
        "InstanceId": n.id,
        "PingStatus": n.ping.as_str(),
        "LastPingDateTime": last_ping(n, now),
        "AgentVersion": n.agent_version,
        "IsLatestVersion": n.agent_is_latest,
        "PlatformType": n.platform_type,
        "PlatformName": n.platform_name,
        "PlatformVersion": n.platform_version,
        "ResourceType": if n.is_hybrid() { "ManagedInstance" } else { "EC2Instance" },
        "IPAddress": n.ip,
        "ComputerName": n.computer_name,
        "SourceId": n.id,
        "SourceType": if n.is_hybrid() { "AWS::SSM::ManagedInstance" } else { "AWS::EC2::Instance" },
    });
    if let Some(o) = overview {
        v["AssociationStatus"] = json!(o.status);
        v["LastAssociationExecutionDate"] = json!(o.last);
        if let Some(t) = o.last_success {
            v["LastSuccessfulAssociationExecutionDate"] = json!(t);
        }
        v["AssociationOverview"] = json!({
            "DetailedStatus": o.status,
            "InstanceAssociationStatusAggregatedCount": o.counts,
        });
    }
    if n.is_hybrid() {
        v["Name"] = Value::String(n.name.clone());
        v["IamRole"] = Value::String(n.iam_role.clone());
        v["RegistrationDate"] = json!(n.launch_epoch_s as f64);
        if let Some(a) = activation {
            v["ActivationId"] = Value::String(a.to_owned());
        }
    }
    v
}

fn list_tags_for_resource(state: &LabState, body: &Value) -> Response {
    let rtype = body
        .get("ResourceType")
        .and_then(Value::as_str)
        .unwrap_or("");
    let rid = body.get("ResourceId").and_then(Value::as_str).unwrap_or("");
    if rtype != "ManagedInstance" {
        return error_response(
            Service::Ssm,
            400,
            "InvalidResourceType",
            &format!("The lab supports ResourceType ManagedInstance only, not '{rtype}'."),
        );
    }
    let nodes = state.nodes.read().expect("nodes lock");
    match nodes.iter().find(|n| n.id == rid && n.is_hybrid()) {
        Some(n) => {
            let tags: Vec<Value> = n
                .tags
                .iter()
                .map(|(k, v)| json!({"Key": k, "Value": v}))
                .collect();
            json_response(&json!({ "TagList": tags }))
        }
        None => error_response(
            Service::Ssm,
            400,
            "InvalidResourceId",
            &format!("The resource ID \"{rid}\" is not valid. Verify the ID and try again."),
        ),
    }
}
