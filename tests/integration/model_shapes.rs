//! Strict checks of the lab's JSON and query-protocol (XML) answers against botocore's output
//! shapes (tests/fixtures/model-shapes.json, written by scripts/model-shapes):
//! every member is one the shape names, required members are there, and
//! values have the model's type, enum, bounds and pattern. Stricter than an
//! SDK's parser, which drops unknown members and lets required ones be
//! absent.

use std::sync::LazyLock;

use serde_json::Value;

static MODEL: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../fixtures/model-shapes.json")).expect("fixture is JSON")
});

/// Checks `body`, the decoded JSON answer of `service`'s `operation`
/// (`organizations`/`ListAccounts`, `ssm`/`ListNodes`); the error names the
/// path of the first mismatch.
pub(crate) fn check_output(service: &str, operation: &str, body: &Value) -> Result<(), String> {
    let svc = &MODEL[service];
    let shape = svc["operations"][operation]
        .as_str()
        .ok_or_else(|| format!("{service}:{operation} is not in the fixture"))?;
    check(&svc["shapes"], shape, body, operation)
}

fn bounds(s: &Value, n: usize, path: &str) -> Result<(), String> {
    if let Some(min) = s["min"].as_u64()
        && (n as u64) < min
    {
        return Err(format!("{path}: {n} is below the minimum {min}"));
    }
    if let Some(max) = s["max"].as_u64()
        && (n as u64) > max
    {
        return Err(format!("{path}: {n} is above the maximum {max}"));
    }
    Ok(())
}

fn pattern_ok(pattern: &str, text: &str) -> bool {
    // Model patterns are Java regexes; one the regex crate cannot read is
    // skipped. Each is compiled once (a page of 1,000 nodes checks tens of
    // thousands of values).
    static CACHE: LazyLock<
        std::sync::Mutex<std::collections::HashMap<String, Option<regex::Regex>>>,
    > = LazyLock::new(Default::default);
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    cache
        .entry(pattern.to_owned())
        .or_insert_with(|| regex::Regex::new(pattern).ok())
        .as_ref()
        .is_none_or(|r| r.is_match(text))
}

fn check(shapes: &Value, name: &str, v: &Value, path: &str) -> Result<(), String> {
    let s = &shapes[name];
    match s["type"].as_str().unwrap_or("") {
        "structure" => {
            let obj = v
                .as_object()
                .ok_or_else(|| format!("{path}: {v} is not an object ({name})"))?;
            for r in s["required"].as_array().into_iter().flatten() {
                let r = r.as_str().unwrap_or("");
                if !obj.contains_key(r) {
                    return Err(format!("{path}: required member {r} of {name} missing"));
                }
            }
            for (k, x) in obj {
                let member = s["members"][k]
                    .as_str()
                    .ok_or_else(|| format!("{path}: member {k} is not in {name}"))?;
                check(shapes, member, x, &format!("{path}.{k}"))?;
            }
            if s["union"] == true && obj.len() != 1 {
                return Err(format!("{path}: a union ({name}) has exactly one member"));
            }
        }
        "list" => {
            let a = v
                .as_array()
                .ok_or_else(|| format!("{path}: {v} is not a list"))?;
            bounds(s, a.len(), path)?;
            let member = s["member"].as_str().unwrap_or("");
            for (i, x) in a.iter().enumerate() {
                check(shapes, member, x, &format!("{path}[{i}]"))?;
            }
        }
        "map" => {
            let m = v
                .as_object()
                .ok_or_else(|| format!("{path}: {v} is not a map"))?;
            bounds(s, m.len(), path)?;
            let (key, value) = (
                s["key"].as_str().unwrap_or(""),
                s["value"].as_str().unwrap_or(""),
            );
            for (k, x) in m {
                check(
                    shapes,
                    key,
                    &Value::String(k.clone()),
                    &format!("{path} key {k}"),
                )?;
                check(shapes, value, x, &format!("{path}[{k}]"))?;
            }
        }
        "string" => {
            let text = v
                .as_str()
                .ok_or_else(|| format!("{path}: {v} is not a string"))?;
            if let Some(e) = s["enum"].as_array()
                && !e.iter().any(|x| x == v)
            {
                return Err(format!("{path}: {text:?} is not one of {e:?}"));
            }
            bounds(s, text.chars().count(), path)?;
            if let Some(p) = s["pattern"].as_str()
                && !pattern_ok(p, text)
            {
                return Err(format!("{path}: {text:?} does not match {p}"));
            }
        }
        "integer" | "long" => {
            let n = v
                .as_i64()
                .ok_or_else(|| format!("{path}: {v} is not an integer"))?;
            if s["min"].as_i64().is_some_and(|m| n < m) || s["max"].as_i64().is_some_and(|m| n > m)
            {
                return Err(format!("{path}: {n} is out of range"));
            }
        }
        "double" | "float" | "timestamp" => {
            // JSON protocols send timestamps as epoch seconds.
            if !v.is_number() {
                return Err(format!("{path}: {v} is not a number ({name})"));
            }
        }
        "boolean" => {
            if !v.is_boolean() {
                return Err(format!("{path}: {v} is not a boolean"));
            }
        }
        other => {
            return Err(format!(
                "{path}: shape {name} of type {other:?} not handled"
            ));
        }
    }
    Ok(())
}

/// An element of a query-protocol (STS) answer: local name, children, text.
struct Elem {
    name: String,
    children: Vec<Elem>,
    text: String,
}

fn unescape(t: &str) -> String {
    t.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Parses the elements of `xml` (no CDATA or comments: the lab writes none).
fn parse_xml(xml: &str) -> Result<Elem, String> {
    let mut stack: Vec<Elem> = vec![Elem {
        name: String::new(),
        children: Vec::new(),
        text: String::new(),
    }];
    let mut rest = xml.trim();
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            return Err(format!("text after the last element: {rest:?}"));
        };
        let text = &rest[..lt];
        if !text.trim().is_empty() {
            stack.last_mut().unwrap().text.push_str(&unescape(text));
        }
        let gt = rest[lt..].find('>').ok_or("unclosed tag")? + lt;
        let tag = &rest[lt + 1..gt];
        rest = &rest[gt + 1..];
        if tag.starts_with('?') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let done = stack.pop().ok_or("too many closing tags")?;
            if done.name != name.trim() {
                return Err(format!("</{name}> closes <{}>", done.name));
            }
            stack
                .last_mut()
                .ok_or("too many closing tags")?
                .children
                .push(done);
            continue;
        }
        let self_closing = tag.ends_with('/');
        let name = tag
            .trim_end_matches('/')
            .split_whitespace()
            .next()
            .unwrap_or("");
        let e = Elem {
            name: name.to_owned(),
            children: Vec::new(),
            text: String::new(),
        };
        if self_closing {
            stack.last_mut().unwrap().children.push(e);
        } else {
            stack.push(e);
        }
    }
    let mut root = stack.pop().ok_or("no document")?;
    if !stack.is_empty() || root.children.len() != 1 {
        return Err("not one root element, or unclosed elements".into());
    }
    Ok(root.children.remove(0))
}

/// The JSON form of `e` under shape `name`, for [`check`]: structures and
/// lists from child elements (`<member>` entries), scalars typed from their
/// text, timestamps (ISO 8601) as epoch seconds.
fn xml_value(shapes: &Value, name: &str, e: &Elem, path: &str) -> Result<Value, String> {
    let s = &shapes[name];
    Ok(match s["type"].as_str().unwrap_or("") {
        "structure" => {
            let mut m = serde_json::Map::new();
            for c in &e.children {
                let member = s["members"][&c.name].as_str().ok_or_else(|| {
                    format!("{path}: element {} is not a member of {name}", c.name)
                })?;
                m.insert(
                    c.name.clone(),
                    xml_value(shapes, member, c, &format!("{path}.{}", c.name))?,
                );
            }
            Value::Object(m)
        }
        "list" => {
            let member = s["member"].as_str().unwrap_or("");
            let mut out = Vec::new();
            for (i, c) in e.children.iter().enumerate() {
                if c.name != "member" {
                    return Err(format!("{path}: list entry <{}> is not <member>", c.name));
                }
                out.push(xml_value(shapes, member, c, &format!("{path}[{i}]"))?);
            }
            Value::Array(out)
        }
        t => {
            if !e.children.is_empty() {
                return Err(format!("{path}: a {t} has no child elements"));
            }
            match t {
                "integer" | "long" => serde_json::json!(
                    e.text
                        .parse::<i64>()
                        .map_err(|_| format!("{path}: {:?} is not an integer", e.text))?
                ),
                "boolean" => serde_json::json!(
                    e.text
                        .parse::<bool>()
                        .map_err(|_| format!("{path}: {:?} is not a boolean", e.text))?
                ),
                "timestamp" => {
                    let d = aws_smithy_types::DateTime::from_str(
                        &e.text,
                        aws_smithy_types::date_time::Format::DateTime,
                    )
                    .map_err(|_| format!("{path}: {:?} is not an ISO 8601 time", e.text))?;
                    serde_json::json!(d.secs())
                }
                _ => Value::String(e.text.clone()),
            }
        }
    })
}

/// The typed JSON form of a scalar's text (REST-XML body or header) under
/// shape `s`: integers, booleans, timestamps (ISO 8601 in bodies, HTTP
/// dates in headers, as the S3 model's defaults) as epoch seconds.
fn rest_scalar(s: &Value, text: &str, header: bool, path: &str) -> Result<Value, String> {
    Ok(match s["type"].as_str().unwrap_or("") {
        "integer" | "long" => serde_json::json!(
            text.parse::<i64>()
                .map_err(|_| format!("{path}: {text:?} is not an integer"))?
        ),
        "boolean" => serde_json::json!(
            text.parse::<bool>()
                .map_err(|_| format!("{path}: {text:?} is not a boolean"))?
        ),
        "timestamp" => {
            use aws_smithy_types::date_time::Format;
            let format = if header {
                Format::HttpDate
            } else {
                Format::DateTime
            };
            let d = aws_smithy_types::DateTime::from_str(text, format)
                .map_err(|_| format!("{path}: {text:?} is not a {format:?} time"))?;
            serde_json::json!(d.secs())
        }
        _ => Value::String(text.to_owned()),
    })
}

/// The JSON form of a REST-XML element `e` under shape `name` (S3):
/// members found by their element name (`locationName`, else the member
/// name), a flattened list's entries as repeated elements, a wrapped
/// list's under its member element name.
fn rest_xml_value(shapes: &Value, name: &str, e: &Elem, path: &str) -> Result<Value, String> {
    let s = &shapes[name];
    if s["type"] != "structure" {
        return rest_scalar(s, &e.text, false, path);
    }
    let mut m = serde_json::Map::new();
    let members = s["members"].as_object().cloned().unwrap_or_default();
    let element_of = |member: &str| {
        s["locations"][member]["locationName"]
            .as_str()
            .unwrap_or(member)
            .to_owned()
    };
    for c in &e.children {
        let (member, shape) = members
            .iter()
            .find(|(k, _)| {
                element_of(k) == c.name && s["locations"][k.as_str()]["location"].is_null()
            })
            .ok_or_else(|| format!("{path}: element {} is not a member of {name}", c.name))?;
        let shape = shape.as_str().unwrap_or("");
        let sub = &shapes[shape];
        let at = format!("{path}.{member}");
        if sub["type"] == "list" {
            let item = sub["member"].as_str().unwrap_or("");
            let entries: Vec<&Elem> = if sub["flattened"] == true {
                vec![c]
            } else {
                let inner = sub["memberName"].as_str().unwrap_or("member");
                if let Some(x) = c.children.iter().find(|x| x.name != inner) {
                    return Err(format!("{at}: list entry <{}> is not <{inner}>", x.name));
                }
                c.children.iter().collect()
            };
            let list = m
                .entry(member.clone())
                .or_insert_with(|| Value::Array(Vec::new()));
            for x in entries {
                let v = rest_xml_value(shapes, item, x, &at)?;
                list.as_array_mut().expect("a list").push(v);
            }
        } else {
            if m.contains_key(member) {
                return Err(format!("{at}: element {} twice", c.name));
            }
            m.insert(member.clone(), rest_xml_value(shapes, shape, c, &at)?);
        }
    }
    Ok(Value::Object(m))
}

/// Checks a REST-XML answer of `service`'s `operation` (S3): the body
/// (`xml`, empty for an operation whose output has no XML payload) against
/// the output shape's body members, and each header the shape places in a
/// header (`location: header`, by its `locationName`, case-insensitive)
/// against its member's type; `headers` are (name, value) as received.
pub(crate) fn check_rest_xml_output(
    service: &str,
    operation: &str,
    xml: &str,
    headers: &[(String, String)],
) -> Result<(), String> {
    let svc = &MODEL[service];
    let shapes = &svc["shapes"];
    let name = svc["operations"][operation]
        .as_str()
        .ok_or_else(|| format!("{service}:{operation} is not in the fixture"))?;
    let s = &shapes[name];
    let mut v = if xml.trim().is_empty() {
        serde_json::Map::new()
    } else {
        let root = parse_xml(xml)?;
        match rest_xml_value(shapes, name, &root, &root.name)? {
            Value::Object(m) => m,
            _ => unreachable!("a structure"),
        }
    };
    for (member, shape) in s["members"].as_object().into_iter().flatten() {
        let loc = &s["locations"][member];
        if loc["location"] != "header" {
            continue;
        }
        let header = loc["locationName"].as_str().unwrap_or(member);
        if let Some((_, text)) = headers.iter().find(|(h, _)| h.eq_ignore_ascii_case(header)) {
            let shape = shape.as_str().unwrap_or("");
            let at = format!("header {header}");
            v.insert(
                member.clone(),
                rest_scalar(&shapes[shape], text, true, &at)?,
            );
        }
    }
    check(shapes, name, &Value::Object(v), operation)
}

/// Checks `xml`, the answer of STS `operation`: root `<{operation}Response>`
/// holding `<{operation}Result>` (checked as the output shape) and
/// `<ResponseMetadata>`, nothing else.
pub(crate) fn check_query_output(service: &str, operation: &str, xml: &str) -> Result<(), String> {
    let svc = &MODEL[service];
    let shape = svc["operations"][operation]
        .as_str()
        .ok_or_else(|| format!("{service}:{operation} is not in the fixture"))?;
    let root = parse_xml(xml)?;
    if root.name != format!("{operation}Response") {
        return Err(format!(
            "root element {} is not {operation}Response",
            root.name
        ));
    }
    let mut results = 0;
    for c in &root.children {
        if c.name == format!("{operation}Result") {
            results += 1;
            let v = xml_value(&svc["shapes"], shape, c, &c.name)?;
            check(&svc["shapes"], shape, &v, &c.name)?;
        } else if c.name != "ResponseMetadata" {
            return Err(format!("{}: unexpected element {}", root.name, c.name));
        }
    }
    if results != 1 {
        return Err(format!("{results} <{operation}Result> elements"));
    }
    Ok(())
}

#[test]
fn the_checks_catch_what_a_parser_would_let_through() {
    let node = serde_json::json!({
        "Id": "i-0123456789abcdef0", "CaptureTime": 1.7e9, "Region": "us-east-1",
        "Owner": {"AccountId": "123456789012"},
        "NodeType": {"Instance": {"PlatformType": "Linux", "ManagedStatus": "Managed"}},
    });
    let ok = serde_json::json!({"Nodes": [node.clone()]});
    assert_eq!(check_output("ssm", "ListNodes", &ok), Ok(()));
    let mut bad = Vec::new();
    let mut v = node.clone();
    v["Colour"] = "red".into();
    bad.push(("unknown member", v));
    let mut v = node.clone();
    v["NodeType"]["Instance"]["PlatformType"] = "Solaris".into();
    bad.push(("enum", v));
    let mut v = node.clone();
    v["CaptureTime"] = "yesterday".into();
    bad.push(("timestamp", v));
    let mut v = node.clone();
    v["Id"] = "node-1".into();
    bad.push(("pattern", v));
    let mut v = node;
    v["NodeType"]["Other"] = serde_json::json!({});
    bad.push(("union", v));
    for (what, n) in bad {
        let body = serde_json::json!({"Nodes": [n]});
        assert!(
            check_output("ssm", "ListNodes", &body).is_err(),
            "{what} passed"
        );
    }
    let summary = serde_json::json!({"Summary": [{"a": "1", "b": "2", "c": "3", "Count": "4"}]});
    assert!(
        check_output("ssm", "ListNodesSummary", &summary).is_err(),
        "a NodeSummary has at most 3 entries"
    );
    let xml = "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/x</Arn><UserId>AIDA</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>";
    assert_eq!(check_query_output("sts", "GetCallerIdentity", xml), Ok(()));
    for (what, bad) in [
        (
            "unknown element",
            xml.replace("<Account>", "<Colour>x</Colour><Account>"),
        ),
        (
            "wrong result element",
            xml.replace("GetCallerIdentityResult>", "Result>"),
        ),
        (
            "short ARN",
            xml.replace("arn:aws:iam::123456789012:user/x", "arn:x"),
        ),
    ] {
        assert!(
            check_query_output("sts", "GetCallerIdentity", &bad).is_err(),
            "{what} passed"
        );
    }
    let creds = "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIALAB0123456789AB</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>soon</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>";
    assert!(
        check_query_output("sts", "AssumeRole", creds).is_err(),
        "Expiration must be a time"
    );
    let account = serde_json::json!({"Accounts": [{"Id": "12345", "Status": "ACTIVE"}]});
    assert!(
        check_output("organizations", "ListAccounts", &account).is_err(),
        "Id is 12 digits"
    );
}

#[test]
fn the_rest_xml_checks_catch_what_an_s3_parser_would_let_through() {
    let entry = "<Contents><Key>a/b</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified><ETag>\"x\"</ETag><Size>3</Size><StorageClass>STANDARD</StorageClass></Contents>";
    let list = |inner: &str| {
        format!(
            "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><KeyCount>2</KeyCount><IsTruncated>false</IsTruncated>{inner}</ListBucketResult>"
        )
    };
    let two = list(&format!("{entry}{entry}"));
    assert_eq!(
        check_rest_xml_output("s3", "ListObjectsV2", &two, &[]),
        Ok(())
    );
    for (what, xml) in [
        ("unknown element", list("<Colour>red</Colour>")),
        ("enum", list(&entry.replace("STANDARD", "CHEAP"))),
        ("integer", list(&entry.replace("<Size>3", "<Size>three"))),
        (
            "timestamp",
            list(&entry.replace("2026-01-02T03:04:05.000Z", "yesterday")),
        ),
        ("scalar twice", list("<Name>c</Name>")),
    ] {
        assert!(
            check_rest_xml_output("s3", "ListObjectsV2", &xml, &[]).is_err(),
            "{what} passed"
        );
    }
    let buckets = "<ListAllMyBucketsResult><Buckets><Thing><Name>b</Name></Thing></Buckets></ListAllMyBucketsResult>";
    assert!(check_rest_xml_output("s3", "ListBuckets", buckets, &[]).is_err());
    let header = |v: &str| vec![("Last-Modified".to_owned(), v.to_owned())];
    let good = header("Mon, 07 Dec 2026 17:00:00 GMT");
    assert_eq!(check_rest_xml_output("s3", "HeadObject", "", &good), Ok(()));
    assert!(check_rest_xml_output("s3", "HeadObject", "", &header("2026-12-07")).is_err());
    let length = vec![("content-length".to_owned(), "six".to_owned())];
    assert!(check_rest_xml_output("s3", "GetObject", "", &length).is_err());
}
