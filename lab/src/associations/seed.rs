//! The associations every tenant starts with, deterministic from its
//! fleet, each with a few past executions:
//!
//! - `Inventory-Association`: AWS-GatherSoftwareInventory on the nodes
//!   tagged `Env` prod or staging (every Env value but `dev`), rate(30
//!   minutes), last run 12 minutes ago, four runs;
//! - `UpdateSSMAgent-prod`: AWS-UpdateSSMAgent on `tag:Env=prod` (or the
//!   first node's Env), version 2 rate(14 days) after version 1's weekly
//!   cron, three runs;
//! - `CloudWatchAgent-install`: AWS-ConfigureAWSPackage installing
//!   AmazonCloudWatchAgent on `tag:Role` web, api and worker, rate(1 day),
//!   ComplianceSeverity HIGH, three runs, Failed on about two in nine of
//!   its nodes (`package AmazonCloudWatchAgent failed to install: …`),
//!   whose installs keep failing, by any sender, until the knob clears
//!   them.
//!
//! A node takes part in a past run when it is Online or still pinged
//! after the run. With the demo fleet about one node in five has no
//! association status and about one in nine a failed one.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{AssociationStore, ExecTarget, Execution, InstanceStatus, Spec, uuid};
use crate::commands::{CommandStore, PastInvocation};
use crate::distributor::Outcome;
use crate::fleet::{LabNode, PingStatus};

/// The package the seeded CloudWatch association installs.
pub(crate) const CLOUDWATCH: &str = "AmazonCloudWatchAgent";

/// A stable number from `id` and `salt` (FNV-1a).
fn mix(id: &str, salt: u64) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325 ^ salt, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Whether the CloudWatch agent's install fails on `node` (when the
/// association targets it).
pub(crate) fn install_fails(node: &str) -> bool {
    mix(node, 0xc10d) % 9 < 2
}

fn one(v: &str) -> Value {
    json!([v])
}

/// One seeded association: its members, how often and how long ago it
/// ran.
struct Plan {
    spec: Spec,
    /// Earlier versions' schedules (oldest first).
    older: Vec<&'static str>,
    created_ago_s: f64,
    period_s: f64,
    /// How long ago it last ran.
    phase_s: f64,
    runs: usize,
}

fn spec(name: &str, association_name: &str, targets: Vec<Value>, schedule: &str) -> Spec {
    Spec {
        name: name.to_owned(),
        document_version: "$DEFAULT".into(),
        instance_id: None,
        targets,
        schedule: Some(schedule.to_owned()),
        parameters: Map::new(),
        association_name: Some(association_name.to_owned()),
        max_concurrency: None,
        max_errors: None,
        compliance_severity: None,
        sync_compliance: "AUTO".into(),
        apply_only_at_cron: false,
        extra: Map::new(),
    }
}

/// Distinct values of tag `key` among `nodes`, in first-seen order.
fn tag_values(nodes: &[LabNode], key: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in nodes.iter().filter_map(|n| n.tag(key)) {
        if !out.iter().any(|x| x == v) {
            out.push(v.to_owned());
        }
    }
    out
}

fn plans(nodes: &[LabNode]) -> Vec<Plan> {
    let envs = tag_values(nodes, "Env");
    let mut inventoried: Vec<String> = envs.iter().filter(|e| *e != "dev").cloned().collect();
    if inventoried.is_empty() {
        inventoried.clone_from(&envs);
    }
    inventoried.sort();
    let prod = if envs.iter().any(|e| e == "prod") {
        "prod".to_owned()
    } else {
        envs.first().cloned().unwrap_or_else(|| "prod".into())
    };
    let roles = tag_values(nodes, "Role");
    let mut web: Vec<String> = ["web", "api", "worker"]
        .iter()
        .filter(|r| roles.iter().any(|x| x == *r))
        .map(|r| (*r).to_owned())
        .collect();
    if web.is_empty() {
        web.extend(roles.first().cloned());
    }
    let mut inventory = spec(
        super::agent::INVENTORY,
        "Inventory-Association",
        vec![json!({"Key": "tag:Env", "Values": inventoried})],
        "rate(30 minutes)",
    );
    for k in [
        "applications",
        "awsComponents",
        "networkConfig",
        "instanceDetailedInformation",
        "services",
        "windowsRoles",
        "windowsUpdates",
    ] {
        inventory.parameters.insert(k.into(), one("Enabled"));
    }
    let update = spec(
        super::agent::UPDATE_AGENT,
        "UpdateSSMAgent-prod",
        vec![json!({"Key": "tag:Env", "Values": [prod]})],
        "rate(14 days)",
    );
    let mut cloudwatch = spec(
        crate::distributor::CONFIGURE_PACKAGE,
        "CloudWatchAgent-install",
        vec![json!({"Key": "tag:Role", "Values": web})],
        "rate(1 day)",
    );
    cloudwatch
        .parameters
        .insert("action".into(), one("Install"));
    cloudwatch.parameters.insert("name".into(), one(CLOUDWATCH));
    cloudwatch.compliance_severity = Some("HIGH".into());
    cloudwatch.max_concurrency = Some("10%".into());
    cloudwatch.max_errors = Some("100%".into());
    vec![
        Plan {
            spec: inventory,
            older: Vec::new(),
            created_ago_s: 40.0 * 86_400.0,
            period_s: 1_800.0,
            phase_s: 720.0,
            runs: 4,
        },
        Plan {
            spec: update,
            older: vec!["cron(0 2 ? * SUN *)"],
            created_ago_s: 90.0 * 86_400.0,
            period_s: 14.0 * 86_400.0,
            phase_s: 3.0 * 86_400.0 + 4_000.0,
            runs: 3,
        },
        Plan {
            spec: cloudwatch,
            older: Vec::new(),
            created_ago_s: 20.0 * 86_400.0,
            period_s: 86_400.0,
            phase_s: 5.0 * 3_600.0,
            runs: 3,
        },
    ]
}

/// What `node` answers to a past run of `spec`; `installed` is the
/// node's packages, updated as the run leaves them.
fn outcome(spec: &Spec, node: &LabNode, installed: &mut BTreeMap<String, String>) -> Outcome {
    if spec.name != crate::distributor::CONFIGURE_PACKAGE {
        return super::agent::run(&spec.name, node, &Value::Object(spec.parameters.clone()));
    }
    if install_fails(&node.id) {
        return super::agent::install_failure(CLOUDWATCH);
    }
    match crate::distributor::check_parameters(&Value::Object(spec.parameters.clone())) {
        Ok(r) => crate::distributor::configure(installed, &r, &node.platform_type),
        Err(e) => Outcome {
            code: 1,
            stdout: String::new(),
            stderr: e.message,
        },
    }
}

/// Seeds `store` from `nodes` as of `now` (epoch seconds): the
/// associations above, their executions and the nodes' statuses. The
/// CloudWatch agent is recorded installed on the nodes where it
/// succeeded and its failing nodes are marked in `commands`. With
/// `record_history`, each past run's command is recorded in `commands`
/// (GetCommandInvocation answers for its OutputSourceId); without, the
/// ids name commands that do not exist, as AWS answers past 30 days.
pub(crate) fn seed(
    store: &mut AssociationStore,
    commands: &mut CommandStore,
    nodes: &[LabNode],
    now: f64,
    record_history: bool,
) {
    let mut packages: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for plan in plans(nodes) {
        let id = store.new_id();
        let created = now - plan.created_ago_s;
        let targeted = super::run::resolve(nodes, &plan.spec, &store.account);
        let mut versions = Vec::new();
        for (i, schedule) in plan.older.iter().enumerate() {
            let mut s = plan.spec.clone();
            s.schedule = Some((*schedule).to_owned());
            versions.push((i as u32 + 1, created, s));
        }
        let version = versions.len() as u32 + 1;
        let updated = if version > 1 {
            created + plan.created_ago_s / 3.0
        } else {
            created
        };
        versions.push((version, updated, plan.spec.clone()));
        let mut last_success = None;
        let mut last = None;
        for k in (0..plan.runs).rev() {
            let t = (now - plan.phase_s - k as f64 * plan.period_s).max(updated + 60.0);
            let ran: Vec<&LabNode> = targeted
                .iter()
                .filter(|n| n.ping == PingStatus::Online || n.last_ping_epoch_s > t + 120.0)
                .collect();
            let exec = store.new_id();
            let e = past_execution(
                (&id, &exec, version),
                &plan.spec,
                t,
                &ran,
                &mut packages,
                (commands, record_history),
                &mut store.statuses,
            );
            if e.status == "Success" {
                last_success = Some(t);
            }
            last = Some(t);
            store.executions.push(e);
        }
        store.associations.push(super::Association {
            id,
            version,
            created,
            updated,
            spec: plan.spec,
            versions,
            last_execution: last,
            last_success,
            tags: Vec::new(),
        });
        if store
            .associations
            .last()
            .is_some_and(|a| a.spec.name == crate::distributor::CONFIGURE_PACKAGE)
        {
            for n in targeted.iter().filter(|n| install_fails(&n.id)) {
                commands.fail_package(&n.id, CLOUDWATCH);
            }
        }
    }
    for (node, installed) in packages {
        for (name, version) in installed {
            commands.seed_package(&node, &name, &version);
        }
    }
}

/// One past run of `spec` at `t` on `ran`, its command recorded (or
/// named) and the nodes' statuses set.
fn past_execution(
    (assoc, exec, version): (&str, &str, u32),
    spec: &Spec,
    t: f64,
    ran: &[&LabNode],
    packages: &mut BTreeMap<String, BTreeMap<String, String>>,
    (commands, record_history): (&mut CommandStore, bool),
    statuses: &mut BTreeMap<(String, String), InstanceStatus>,
) -> Execution {
    let plugin = crate::commands::plugin_name(&spec.name, "Linux");
    let mut targets = Vec::new();
    let mut invocations = Vec::new();
    for (i, n) in ran.iter().enumerate() {
        let o = outcome(spec, n, packages.entry(n.id.clone()).or_default());
        let status = if o.code == 0 { "Success" } else { "Failed" };
        let date = t + 2.0 + (i % 20) as f64 * 0.7 + (mix(&n.id, 7) % 1000) as f64 / 1000.0;
        targets.push((n.id.clone(), status, date, o.code, o.stderr.clone()));
        invocations.push(PastInvocation {
            node: n.id.clone(),
            name: n.name.clone(),
            status,
            code: o.code,
            stdout: o.stdout,
            stderr: o.stderr,
        });
    }
    let mut ids = Vec::new();
    for (c, chunk) in invocations
        .chunks_mut(crate::commands::MAX_INSTANCE_IDS)
        .enumerate()
    {
        let id = if record_history {
            let nodes: Vec<String> = chunk.iter().map(|i| i.node.clone()).collect();
            commands.record_past(
                (&spec.name, Vec::new()),
                (t, t + 40.0),
                json!([{"Key": "InstanceIds", "Values": nodes}]),
                chunk.iter_mut().map(take).collect(),
            )
        } else {
            uuid(exec, 1_000 + c as u64)
        };
        ids.extend(std::iter::repeat_n(id, chunk.len()));
    }
    let mut e = Execution {
        id: exec.to_owned(),
        association_id: assoc.to_owned(),
        version,
        created: t,
        last: None,
        status: "Success".into(),
        detailed: "Success".into(),
        targets: Vec::new(),
    };
    for ((node, status, date, code, stderr), command_id) in targets.into_iter().zip(ids) {
        if status == "Failed" {
            e.status = "Failed".into();
            e.detailed = "Failed".into();
        }
        e.last = Some(e.last.unwrap_or(0.0).max(date));
        statuses.insert(
            (assoc.to_owned(), node.clone()),
            InstanceStatus {
                association_id: assoc.to_owned(),
                association_name: spec.association_name.clone(),
                document: spec.name.clone(),
                document_version: "1".into(),
                association_version: version.to_string(),
                instance_id: node.clone(),
                execution_id: exec.to_owned(),
                execution_date: date,
                status: status.into(),
                detailed: status.into(),
                summary: super::run::summary(plugin, status, &stderr),
                error_code: (code != 0).then(|| code.to_string()),
                compliance_severity: spec
                    .compliance_severity
                    .clone()
                    .unwrap_or_else(|| "UNSPECIFIED".into()),
            },
        );
        e.targets.push(ExecTarget {
            resource_id: node,
            status: status.into(),
            detailed: status.into(),
            date,
            command_id,
        });
    }
    e.targets.sort_by(|a, b| a.resource_id.cmp(&b.resource_id));
    e
}

fn take(i: &mut PastInvocation) -> PastInvocation {
    PastInvocation {
        node: std::mem::take(&mut i.node),
        name: std::mem::take(&mut i.name),
        status: i.status,
        code: i.code,
        stdout: std::mem::take(&mut i.stdout),
        stderr: std::mem::take(&mut i.stderr),
    }
}
