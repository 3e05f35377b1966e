//! EC2 actions (query protocol, XML responses, API version 2016-11-15).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::response::Response;

use crate::LabState;
use crate::fleet::LabNode;
use crate::protocol::{
    LabRequest, Service, error_response, iso8601, request_id, unknown_action, validation,
    xml_escape, xml_response,
};

pub fn dispatch(state: &LabState, req: &LabRequest) -> Response {
    match req.action.as_str() {
        "DescribeInstances" => describe_instances(state, req),
        other => unknown_action(Service::Ec2, other),
    }
}

/// Collects `Prefix.N` values and `Prefix.N.Sub.M` groups from query parameters.
fn filters(req: &LabRequest) -> Vec<(String, Vec<String>)> {
    let mut names: BTreeMap<u32, String> = BTreeMap::new();
    let mut values: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for (k, v) in &req.form {
        let Some(rest) = k.strip_prefix("Filter.") else {
            continue;
        };
        let mut parts = rest.split('.');
        let Some(n) = parts.next().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        match parts.next() {
            Some("Name") => {
                names.insert(n, v.clone());
            }
            Some("Value") => values.entry(n).or_default().push(v.clone()),
            _ => {}
        }
    }
    names
        .into_iter()
        .map(|(n, name)| (name, values.remove(&n).unwrap_or_default()))
        .collect()
}

fn filter_matches(name: &str, values: &[String], n: &LabNode) -> Result<bool, String> {
    let any = |v: &str| values.iter().any(|x| x == v);
    Ok(match name {
        "instance-id" => any(&n.id),
        "instance-state-name" => any(&n.state),
        "instance-type" => any(&n.instance_type),
        "availability-zone" => any(&n.availability_zone),
        "private-ip-address" => any(&n.ip),
        "tag-key" => n.tags.iter().any(|(k, _)| any(k)),
        other => match other.strip_prefix("tag:") {
            Some(key) => n.tag(key).is_some_and(any),
            None => return Err(format!("The filter '{other}' is invalid")),
        },
    })
}

/// Whether `key` is a DescribeInstances query parameter (the EC2 model's
/// members as the query protocol names them: `InstanceId.N`,
/// `Filter.N.Name`, `Filter.N.Value.M`, `MaxResults`, `NextToken`, `DryRun`).
fn known_parameter(key: &str) -> bool {
    fn indexed(rest: &str) -> Option<Vec<&str>> {
        let mut parts = rest.split('.');
        parts
            .next()
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .then(|| parts.collect())
    }
    if matches!(
        key,
        "Action" | "Version" | "MaxResults" | "NextToken" | "DryRun"
    ) {
        return true;
    }
    if let Some(rest) = key.strip_prefix("InstanceId.") {
        return indexed(rest).is_some_and(|p| p.is_empty());
    }
    if let Some(rest) = key.strip_prefix("Filter.") {
        return indexed(rest).is_some_and(|p| match p.as_slice() {
            ["Name"] => true,
            ["Value", n] => !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()),
            _ => false,
        });
    }
    false
}

/// Checks what EC2 checks before it looks at the fleet: unknown parameters
/// (`UnknownParameter`), DryRun (`DryRunOperation`), malformed instance ids
/// (`InvalidInstanceID.Malformed`); the answer, or `None` when all is well.
fn check_request(req: &LabRequest, ids: &[&str]) -> Option<Response> {
    if let Some((k, _)) = req.form.iter().find(|(k, _)| !known_parameter(k)) {
        return Some(error_response(
            Service::Ec2,
            400,
            "UnknownParameter",
            &format!("The parameter {k} is not recognized"),
        ));
    }
    if req
        .param("DryRun")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        return Some(error_response(
            Service::Ec2,
            412,
            "DryRunOperation",
            "Request would have succeeded, but DryRun flag is set.",
        ));
    }
    let well_formed = |id: &str| {
        id.strip_prefix("i-").is_some_and(|h| {
            (h.len() == 8 || h.len() == 17) && h.bytes().all(|b| b.is_ascii_hexdigit())
        })
    };
    if let Some(bad) = ids.iter().find(|id| !well_formed(id)) {
        return Some(error_response(
            Service::Ec2,
            400,
            "InvalidInstanceID.Malformed",
            &format!("Invalid id: \"{bad}\""),
        ));
    }
    None
}

fn describe_instances(state: &LabState, req: &LabRequest) -> Response {
    let ids: Vec<&str> = req
        .form
        .iter()
        .filter(|(k, _)| k.starts_with("InstanceId."))
        .map(|(_, v)| v.as_str())
        .collect();
    if let Some(resp) = check_request(req, &ids) {
        return resp;
    }
    let max = match req.param("MaxResults") {
        None => None,
        Some(v) => match v.parse::<usize>() {
            Ok(n @ 5..=1000) if ids.is_empty() => Some(n),
            Ok(_) if !ids.is_empty() => {
                return error_response(
                    Service::Ec2,
                    400,
                    "InvalidParameterCombination",
                    "The parameter instancesSet cannot be used with the parameter maxResults",
                );
            }
            _ => {
                return validation(
                    Service::Ec2,
                    &format!(
                        "Value ( {v} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000."
                    ),
                );
            }
        },
    };
    let filters = filters(req);
    let nodes = state.nodes.read().expect("nodes lock");
    if let Some(missing) = ids
        .iter()
        .find(|id| !nodes.iter().any(|n| !n.is_hybrid() && n.id == **id))
    {
        return error_response(
            Service::Ec2,
            400,
            "InvalidInstanceID.NotFound",
            &format!("The instance ID '{missing}' does not exist"),
        );
    }
    let mut matching = Vec::new();
    for n in nodes.iter().filter(|n| !n.is_hybrid()) {
        if !ids.is_empty() && !ids.contains(&n.id.as_str()) {
            continue;
        }
        let mut keep = true;
        for (name, values) in &filters {
            match filter_matches(name, values, n) {
                Ok(true) => {}
                Ok(false) => {
                    keep = false;
                    break;
                }
                Err(message) => {
                    return error_response(Service::Ec2, 400, "InvalidParameterValue", &message);
                }
            }
        }
        if keep {
            matching.push(n);
        }
    }
    let limit = max.unwrap_or(matching.len());
    let token = req.param("NextToken");
    let Ok((page, next)) = crate::paging::page_by(matching, |n| n.id.clone(), token, limit) else {
        return error_response(
            Service::Ec2,
            400,
            "InvalidPaginationToken",
            &format!(
                "The pagination token '{}' is not valid.",
                token.unwrap_or("")
            ),
        );
    };
    let mut xml = String::with_capacity(1_024 * page.len() + 256);
    xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">");
    let _ = write!(
        xml,
        "<requestId>{}</requestId><reservationSet>",
        request_id()
    );
    for n in &page {
        let (code, state_name) = match n.state.as_str() {
            "running" => (16, "running"),
            "pending" => (0, "pending"),
            "stopping" => (64, "stopping"),
            _ => (80, "stopped"),
        };
        let _ = write!(
            xml,
            "<item><reservationId>r-{rid}</reservationId><ownerId>{account}</ownerId><groupSet/><instancesSet><item>\
<instanceId>{id}</instanceId><imageId>ami-0lab{img}</imageId>\
<instanceState><code>{code}</code><name>{state_name}</name></instanceState>\
<privateDnsName>{dns}</privateDnsName><privateIpAddress>{ip}</privateIpAddress>\
<instanceType>{itype}</instanceType><launchTime>{launch}</launchTime>\
<placement><availabilityZone>{az}</availabilityZone><tenancy>default</tenancy></placement>\
<platformDetails>{platform}</platformDetails><architecture>{arch}</architecture><keyName>{key}</keyName>\
<iamInstanceProfile><arn>arn:aws:iam::{account}:instance-profile/{role}</arn><id>AIPALAB{img}</id></iamInstanceProfile>\
<tagSet>",
            rid = &n.id[2..],
            id = xml_escape(&n.id),
            img = &n.id[2..10],
            dns = xml_escape(&n.computer_name),
            ip = xml_escape(&n.ip),
            itype = xml_escape(&n.instance_type),
            launch = iso8601(n.launch_epoch_s),
            az = xml_escape(&n.availability_zone),
            platform = xml_escape(&n.platform_name),
            role = xml_escape(&n.iam_role),
            arch = n.architecture(),
            key = xml_escape(&n.key_name().unwrap_or_default()),
            account = state.account,
        );
        for (k, v) in &n.tags {
            let _ = write!(
                xml,
                "<item><key>{}</key><value>{}</value></item>",
                xml_escape(k),
                xml_escape(v)
            );
        }
        xml.push_str("</tagSet></item></instancesSet></item>");
    }
    xml.push_str("</reservationSet>");
    if let Some(t) = next {
        let _ = write!(xml, "<nextToken>{}</nextToken>", xml_escape(&t));
    }
    xml.push_str("</DescribeInstancesResponse>");
    xml_response(xml)
}
