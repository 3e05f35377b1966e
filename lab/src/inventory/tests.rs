use std::cmp::Ordering;

use serde_json::json;

use super::*;
use crate::fleet::FleetSpec;

#[test]
fn versions_compare_segment_by_segment() {
    use Ordering::*;
    for (a, b, want) in [
        ("3.0.2", "3.0.7", Less),
        ("3.0.13", "3.0.7", Greater),
        ("1.1.1k", "3.0.7", Less),
        ("1.1.1k", "1.1.1", Greater),
        ("1.1.1k", "1.1.1l", Less),
        ("3.0", "3.0.0", Equal),
        ("3.0.8", "3.0.8", Equal),
        ("10.0.20348", "10.0.17763", Greater),
        ("2.0.1", "2.0.1a", Less),
        ("17.0.10+7", "17.0.8+8", Greater),
        ("3.3.987.0", "3.3.1142.0", Less),
        ("007", "7", Equal),
    ] {
        assert_eq!(compare_versions(a, b), want, "{a} vs {b}");
        assert_eq!(compare_versions(b, a), want.reverse(), "{b} vs {a}");
    }
}

#[test]
fn inventories_are_stable_sized_and_seeded_as_documented() {
    let nodes = FleetSpec::large().generate();
    let mut never = 0;
    let (mut linux, mut vulnerable) = (0, 0);
    for n in &nodes {
        let Some(inv) = data::collect(n) else {
            never += 1;
            continue;
        };
        assert_eq!(data::collect(n).as_ref(), Some(&inv), "deterministic");
        let apps = &inv.types["AWS:Application"];
        let ssl = apps.iter().find(|e| e["Name"] == "openssl");
        if n.platform_type == "Linux" {
            linux += 1;
            assert!(
                (30..=60).contains(&apps.len()),
                "{}: {} packages",
                n.id,
                apps.len()
            );
            let v = &ssl.expect("openssl on every Linux node")["Version"];
            let old = compare_versions(v, "3.0.7") == Ordering::Less;
            assert_eq!(old, data::vulnerable_openssl(n), "{} {v}", n.id);
            vulnerable += usize::from(old);
        } else {
            assert!(ssl.is_none());
            assert!(apps.len() >= 8, "{}", apps.len());
        }
        assert_eq!(
            inv.types.contains_key("AWS:WindowsUpdate"),
            n.platform_type == "Windows"
        );
        let agent = &inv.types["AWS:AWSComponent"][0];
        assert_eq!(agent["Version"], n.agent_version);
        for entries in inv.types.values() {
            for e in entries {
                assert!(e.len() <= 50 && e.values().all(|v| v.len() <= 4096));
            }
        }
    }
    let total = nodes.len();
    assert!(
        never * 20 > total && never * 8 < total,
        "about 1 in 12 never: {never}/{total}"
    );
    assert!(
        vulnerable * 10 > linux && vulnerable * 4 < linux,
        "about 1 in 6 Linux vulnerable: {vulnerable}/{linux}"
    );
}

#[test]
fn filters_on_one_type_hold_for_one_entry() {
    let nodes = FleetSpec::demo().generate();
    let body = json!({"Filters": [
        {"Key": "AWS:Application.Name", "Values": ["openssl"], "Type": "Equal"},
        {"Key": "AWS:Application.Version", "Values": ["3.0.7"], "Type": "LessThan"},
    ]});
    let filters = parse_filters(&body, None).unwrap();
    let mut found = 0;
    for n in &nodes {
        let inv = data::collect(n);
        let want = inv.is_some() && data::vulnerable_openssl(n);
        assert_eq!(node_passes(n, inv.as_ref(), &filters), want, "{}", n.id);
        found += usize::from(want);
    }
    assert!(found > 5, "{found}");
    // Every Linux node has some package older than 3.0.7: the
    // filters must not be satisfied by two different entries.
    assert!(found * 3 < nodes.len());
}

#[test]
fn requests_are_checked_as_the_model_says() {
    let code = |body: serde_json::Value| parse_filters(&body, None).unwrap_err().code;
    assert_eq!(code(json!({"Filters": []})), "ValidationException");
    assert_eq!(
        code(
            json!({"Filters": [{"Key": "AWS:Application.Name", "Values": ["a"], "Type": "Like"}]})
        ),
        "ValidationException"
    );
    assert_eq!(
        code(json!({"Filters": [{"Key": "Name", "Values": ["a"]}]})),
        "InvalidFilter"
    );
    assert_eq!(
        code(json!({"Filters": [{"Key": "AWS:Application.Colour", "Values": ["a"]}]})),
        "InvalidFilter"
    );
    assert_eq!(
        code(json!({"Filters": [{"Key": "Custom:Thing.Name", "Values": ["a"]}]})),
        "InvalidTypeNameException"
    );
    assert_eq!(
        code(json!({"Filters": [{"Key": "AWS:Application.Name", "Values": []}]})),
        "ValidationException"
    );
    let e = result_type(&json!({"ResultAttributes": [{"TypeName": "AWS:Nope"}]})).unwrap_err();
    assert_eq!(e.code, "InvalidResultAttributeException");
    let e = result_type(&json!({"ResultAttributes": [{"TypeName": "Nope"}]})).unwrap_err();
    assert_eq!(e.code, "ValidationException");
    let e = aggregators(&json!({"Aggregators": [{"Expression": "AWS:Application"}]})).unwrap_err();
    assert_eq!(e.code, "InvalidAggregatorException");
    let ok = aggregators(
        &json!({"Aggregators": [{"Expression": "AWS:InstanceInformation.PlatformType"}]}),
    );
    assert_eq!(
        ok.unwrap(),
        vec![(
            "AWS:InstanceInformation".to_owned(),
            "PlatformType".to_owned()
        )]
    );
    let e = get_inventory_schema(&json!({"TypeName": "AWS:Nope"})).unwrap_err();
    assert_eq!(e.code, "InvalidTypeNameException");
    let all = get_inventory_schema(&json!({})).unwrap();
    assert_eq!(
        all["Schemas"].as_array().unwrap().len(),
        data::SCHEMAS.len()
    );
    let agg = get_inventory_schema(&json!({"Aggregator": true})).unwrap();
    assert_eq!(agg["Schemas"][0]["TypeName"], "AWS:InstanceInformation");
    assert_eq!(agg["Schemas"][0]["Attributes"].as_array().unwrap().len(), 3);
    let e = get_inventory_schema(&json!({"MaxResults": 10})).unwrap_err();
    assert_eq!(e.code, "ValidationException");
}
