use serde_json::json;

use super::*;
use crate::commands::CommandStore;
use crate::fleet::FleetSpec;

fn seeded(
    spec: &FleetSpec,
    history: bool,
) -> (AssociationStore, CommandStore, Vec<crate::LabNode>) {
    let now = 1_800_000_000.0;
    let nodes = spec.generate_at(now as i64);
    let mut store = AssociationStore::for_tenant("123456789012", "us-east-1");
    let mut commands = CommandStore::default();
    seed::seed(&mut store, &mut commands, &nodes, now, history);
    (store, commands, nodes)
}

#[test]
fn the_seed_is_stable_and_spread_as_documented() {
    for spec in [FleetSpec::demo(), FleetSpec::large()] {
        let (store, commands, nodes) = seeded(&spec, false);
        let (again, _, _) = seeded(&spec, false);
        let ids: Vec<&str> = store.associations.iter().map(|a| a.id.as_str()).collect();
        let ids_again: Vec<&str> = again.associations.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ids_again, "deterministic");
        assert_eq!(store.statuses, again.statuses, "deterministic");
        let n = nodes.len();
        let overviews = node_overviews(&store);
        let none = nodes
            .iter()
            .filter(|x| !overviews.contains_key(&x.id))
            .count();
        let failed = overviews.values().filter(|o| o.status == "Failed").count();
        assert!(
            none * 7 > n && none * 4 < n,
            "about one in five with none: {none}/{n}"
        );
        assert!(
            failed * 13 > n && failed * 7 < n,
            "about one in nine failed: {failed}/{n}"
        );
        // Every failed status is a node whose installs fail.
        let failing = commands.package_failures();
        for s in store.statuses.values().filter(|s| s.status == "Failed") {
            assert!(failing.contains(&s.instance_id), "{s:?}");
            assert!(
                s.summary
                    .contains("package AmazonCloudWatchAgent failed to install")
            );
            assert_eq!(s.error_code.as_deref(), Some("1"));
        }
        assert_eq!(store.associations.len(), 3);
        assert!(store.executions.len() >= 10);
    }
}

#[test]
fn seeded_executions_count_their_targets_as_aws_writes_it() {
    let (store, _, _) = seeded(&FleetSpec::demo(), true);
    let cw = store
        .associations
        .iter()
        .find(|a| a.spec.name == crate::distributor::CONFIGURE_PACKAGE)
        .unwrap();
    let e = store
        .executions
        .iter()
        .rev()
        .find(|e| e.association_id == cw.id)
        .unwrap();
    let failed = e.targets.iter().filter(|t| t.status == "Failed").count();
    let ok = e.targets.iter().filter(|t| t.status == "Success").count();
    assert!(failed > 0 && ok > 0);
    assert_eq!(
        query::resource_counts(e),
        format!("{{Failed={failed}, Success={ok}}}")
    );
    assert_eq!(e.status, "Failed");
    let ov = overview(&store, &cw.id);
    assert_eq!(ov["Status"], "Failed");
    // Nodes that lost their connection since keep an earlier run's status.
    let counted = ov["AssociationStatusAggregatedCount"]["Failed"]
        .as_u64()
        .unwrap();
    assert!(
        counted >= failed as u64 && counted <= failed as u64 + 3,
        "{ov}"
    );
    // The update association has two versions.
    let up = store
        .associations
        .iter()
        .find(|a| a.spec.name == agent::UPDATE_AGENT)
        .unwrap();
    assert_eq!(up.version, 2);
    assert_eq!(
        up.versions[0].2.schedule.as_deref(),
        Some("cron(0 2 ? * SUN *)")
    );
}

#[test]
fn schedules_follow_state_manager() {
    for ok in [
        "rate(30 minutes)",
        "rate(1 hour)",
        "rate(14 days)",
        "cron(0 2 ? * SUN *)",
    ] {
        assert!(check_schedule(ok).is_ok(), "{ok}");
    }
    for bad in [
        "rate(5 minutes)",
        "at(2030-01-01T00:00:00)",
        "every day",
        "cron(0 2 * *)",
    ] {
        let e = check_schedule(bad).unwrap_err();
        assert_eq!(e.code, "InvalidSchedule", "{bad}");
    }
    assert_eq!(check_schedule("").unwrap_err().code, "ValidationException");
}

#[test]
fn targets_are_checked_as_the_model_says() {
    let ok = json!({"Targets": [{"Key": "tag:Env", "Values": ["prod"]}, {"Key": "InstanceIds", "Values": ["*"]}]});
    assert_eq!(check_targets(&ok).unwrap().len(), 2);
    let bad = json!({"Targets": [{"Key": "Colour", "Values": ["red"]}]});
    assert_eq!(check_targets(&bad).unwrap_err().code, "InvalidTarget");
    let empty = json!({"Targets": [{"Key": "tag:Env", "Values": []}]});
    assert_eq!(check_targets(&empty).unwrap_err().code, "InvalidTarget");
    let six = json!({"Targets": vec![json!({"Key": "tag:A", "Values": ["b"]}); 6]});
    assert_eq!(check_targets(&six).unwrap_err().code, "ValidationException");
    let node = json!({"Targets": [{"Key": "InstanceIds", "Values": ["nope"]}]});
    assert_eq!(check_targets(&node).unwrap_err().code, "InvalidTarget");
}

#[test]
fn summaries_name_the_failure_and_fit_the_model() {
    let ok = run::summary("configurePackage", "Success", "");
    assert_eq!(
        ok,
        "1 out of 1 plugin processed, 1 success, 0 failed, 0 timedout, 0 skipped. "
    );
    let failed = run::summary("configurePackage", "Failed", "\nboom: disk full\nmore");
    assert!(failed.ends_with("The operation configurePackage failed because boom: disk full."));
    assert!(
        run::summary("x", "Failed", &"y".repeat(2_000))
            .chars()
            .count()
            <= 512
    );
}

#[test]
fn ids_are_uuids() {
    let mut s = AssociationStore::for_tenant("123456789012", "us-east-1");
    let a = s.new_id();
    let b = s.new_id();
    assert_ne!(a, b);
    for id in [a, b] {
        assert!(
            crate::validate::pattern("id", &id, crate::validate::UUID).is_ok(),
            "{id}"
        );
    }
}
