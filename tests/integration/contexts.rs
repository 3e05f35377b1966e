//! The console across a context set (issue 14): a lab of 3 accounts × 2
//! regions, the first account with its own keys and the others through STS
//! AssumeRole, as `ssmdeck demo --accounts 3 --regions 2` runs it. Real
//! `update`, the console's own TaskManager, HTTP to the lab.

use std::collections::{BTreeSet, HashMap};

use crossterm::event::{KeyCode, KeyModifiers};
use ssmdeck::action::{Action, Command, InputKey};
use ssmdeck::app::Mode;
use ssmdeck::aws::contexts::ContextSet;
use ssmdeck::model::{ContextId, InvocationStatus};
use ssmdeck::panes::fleet::ContextLoad;
use ssmdeck_lab::{Faults, LabHandle, PingStatus};

use crate::common;
use crate::common::live::Live;
use crate::lab_tenancy::{REGIONS, grid_lab};

/// The console's set for `lab`: every account × region, as the demo makes it.
async fn set_for(lab: &LabHandle) -> ContextSet {
    let regions: Vec<String> = REGIONS.iter().map(|r| (*r).to_owned()).collect();
    let specs = ssmdeck::cli::demo_specs(&lab.accounts(), &regions);
    let mut base = common::options(lab);
    base.max_attempts = 8;
    ContextSet::connect(&base, &specs, None)
        .await
        .expect("six contexts connect")
}

/// (account, region) of every context of the console, by id.
fn homes(live: &Live) -> HashMap<ContextId, (String, String)> {
    live.app
        .contexts
        .iter()
        .map(|l| {
            (
                l.id,
                (l.account.clone().unwrap_or_default(), l.region.clone()),
            )
        })
        .collect()
}

/// The node ids the console lists in (account, region).
fn listed_in(live: &Live, account: &str, region: &str) -> BTreeSet<String> {
    let homes = homes(live);
    live.app
        .fleet
        .nodes
        .iter()
        .filter(|n| homes.get(&n.ctx) == Some(&(account.to_owned(), region.to_owned())))
        .map(|n| n.id.clone())
        .collect()
}

fn lab_ids(lab: &LabHandle, account: &str, region: &str) -> BTreeSet<String> {
    lab.nodes_in(account, region)
        .into_iter()
        .map(|n| n.id)
        .collect()
}

/// Waits for every context's fleet, account id and account name (its IAM
/// alias: the lab gives each account one).
async fn loaded(live: &mut Live) {
    live.until("the fleet of every context", |a| {
        a.fleet.loading.is_none()
            && a.contexts
                .iter()
                .all(|l| l.account.is_some() && l.account_name.is_some())
    })
    .await;
}

/// The name the console shows for `account` (its alias, once [`loaded`]).
fn shown(live: &Live, account: &str) -> String {
    live.app
        .contexts
        .iter()
        .find(|l| l.account.as_deref() == Some(account))
        .and_then(|l| l.account_name.clone())
        .unwrap_or_else(|| panic!("no name for {account}"))
}

#[tokio::test]
async fn every_row_of_a_three_by_two_set_comes_once_with_its_context() {
    let lab = grid_lab(40).await;
    let mut live = Live::start_set(set_for(&lab).await).await;
    loaded(&mut live).await;
    assert_eq!(live.app.contexts.len(), 6);
    let mut total = 0;
    for account in lab.accounts() {
        for region in REGIONS {
            let want = lab_ids(&lab, &account, region);
            assert!(!want.is_empty(), "{account} {region} has nodes");
            assert_eq!(
                listed_in(&live, &account, region),
                want,
                "{account} {region}"
            );
            total += want.len();
        }
    }
    assert_eq!(live.app.fleet.nodes.len(), total, "no node twice");
    // An EC2 node's zone is in its context's region.
    let homes = homes(&live);
    for n in &live.app.fleet.nodes {
        if let Some(ec2) = &n.ec2 {
            let region = &homes[&n.ctx].1;
            assert!(ec2.availability_zone.starts_with(region.as_str()), "{n:?}");
        }
    }
    // The identity each assumed-role context reports is its own account.
    let accounts: BTreeSet<String> = live
        .app
        .contexts
        .iter()
        .filter_map(|l| l.account.clone())
        .collect();
    assert_eq!(accounts, lab.accounts().into_iter().collect());
    // No --org here: each account is named by its IAM alias
    // (ListAccountAliases in its own account), in the ACCOUNT column too.
    live.until("every account's alias", |a| {
        a.contexts.iter().all(|l| l.account_name.is_some())
    })
    .await;
    let names = ["acme-management", "acme-prod-a", "acme-prod-b"];
    for l in &live.app.contexts {
        let k = lab
            .accounts()
            .iter()
            .position(|a| Some(a) == l.account.as_ref())
            .unwrap();
        assert_eq!(l.account_name.as_deref(), Some(names[k]), "{l:?}");
    }
    let screen = live.screen();
    assert!(screen.contains("acme-prod-b"), "{screen}");
    // A name longer than the 14-cell column ends in `…`, never cut bare.
    assert!(screen.contains("acme-manageme…"), "{screen}");
    assert!(!screen.contains("acme-managemen "), "{screen}");
    assert!(screen.contains("3 accounts × 2 regions"), "{screen}");
    assert!(
        screen.contains("ACCOUNT") && screen.contains("REGION"),
        "{screen}"
    );
    assert!(
        screen.contains(&format!("{total} nodes in 6 contexts")),
        "{screen}"
    );
    // account: and region: narrow the view to one context's rows.
    let (second, region) = (lab.accounts()[1].clone(), REGIONS[1]);
    live.app
        .fleet
        .set_filter(format!("account:{second} region:{region}"));
    live.app.settle();
    let shown: BTreeSet<String> = live
        .app
        .fleet
        .view
        .iter()
        .map(|i| live.app.fleet.nodes[*i].id.clone())
        .collect();
    assert_eq!(shown, lab_ids(&lab, &second, region));
}

#[tokio::test]
async fn a_denied_and_a_throttled_context_do_not_stop_the_others() {
    let lab = grid_lab(40).await;
    let accounts = lab.accounts();
    lab.set_context_faults(
        &accounts[1],
        REGIONS[0],
        Faults {
            // Both listings: the load falls back from the first to the second.
            deny: vec![
                "ssm:DescribeInstanceProperties".into(),
                "ssm:DescribeInstanceInformation".into(),
            ],
            ..Faults::default()
        },
    );
    lab.set_context_faults(
        &accounts[2],
        REGIONS[1],
        Faults {
            throttle_share: 0.4,
            ..Faults::default()
        },
    );
    let mut live = Live::start_set(set_for(&lab).await).await;
    loaded(&mut live).await;
    let homes = homes(&live);
    let denied = homes
        .iter()
        .find(|(_, h)| **h == (accounts[1].clone(), REGIONS[0].to_owned()))
        .map(|(id, _)| *id)
        .unwrap();
    let failures = live.app.fleet.failures();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].0, denied);
    assert!(
        failures[0].1.to_string().contains("AccessDenied")
            || failures[0].1.to_string().contains("not authorized"),
        "{}",
        failures[0].1
    );
    for account in &accounts {
        for region in REGIONS {
            let got = listed_in(&live, account, region);
            if (account, region) == (&accounts[1], REGIONS[0]) {
                assert!(got.is_empty(), "the denied context lists nothing");
            } else {
                assert_eq!(got, lab_ids(&lab, account, region), "{account} {region}");
            }
        }
    }
    let done = live
        .app
        .fleet
        .context_loads
        .iter()
        .filter(|l| **l == ContextLoad::Done)
        .count();
    assert_eq!(done, 5);
    let screen = live.screen();
    assert!(screen.contains("1 of 6 contexts failed"), "{screen}");
    assert!(
        screen.contains(&format!("✗ {} {}", shown(&live, &accounts[1]), REGIONS[0])),
        "{screen}"
    );
}

#[tokio::test]
async fn a_send_across_three_contexts_lands_in_each_with_its_nodes() {
    let lab = grid_lab(40).await;
    let mut live = Live::start_set(set_for(&lab).await).await;
    loaded(&mut live).await;
    // Two Online Linux nodes in each account, each in another region.
    let mut chosen: Vec<(String, &str, Vec<String>)> = Vec::new();
    for (k, account) in lab.accounts().into_iter().enumerate() {
        let region = REGIONS[k % 2];
        let ids: Vec<String> = lab
            .nodes_in(&account, region)
            .into_iter()
            .filter(|n| n.ping == PingStatus::Online && n.platform_type == "Linux")
            .take(2)
            .map(|n| n.id)
            .collect();
        assert_eq!(ids.len(), 2, "{account} {region}");
        chosen.push((account, region, ids));
    }
    live.app.fleet.selected = chosen.iter().flat_map(|c| c.2.clone()).collect();
    let audit_path = live.data_dir.join("audit.jsonl");
    let audit = ssmdeck::audit::Audit::new(audit_path.clone(), live.tasks.context());
    // As the identity job does once STS has answered (it ran before this log).
    audit.set_identity(ssmdeck::model::CallerIdentity {
        account: lab.accounts()[0].clone(),
        arn: format!("arn:aws:iam::{}:user/lab", lab.accounts()[0]),
    });
    live.tasks.set_audit(Some(audit));
    lab.reset_calls();
    live.cmd(Command::RunCommand);
    live.type_text("echo across");
    live.key(KeyCode::Char('s'), KeyModifiers::CONTROL);
    assert_eq!(live.app.mode(), Mode::Confirm);
    let confirm = live.app.confirm().expect("a confirmation").lines.join("\n");
    for (account, region, _) in &chosen {
        let account = shown(&live, account);
        assert!(
            confirm.contains(&format!("2 nodes in {account} {region}"))
                || confirm.contains(&format!("2 in {account} {region}")),
            "{confirm}"
        );
    }
    live.act(Action::Input(InputKey::Char('y')));
    live.until("the run to finish", |a| {
        a.commands.run().is_some_and(|r| r.done())
    })
    .await;
    // The contexts not chosen got no command.
    for account in lab.accounts() {
        for region in REGIONS {
            if !chosen.iter().any(|c| c.0 == account && c.1 == region) {
                let calls = lab.calls_in(&account, region);
                assert_eq!(calls.get("ssm:SendCommand"), None, "{account} {region}");
            }
        }
    }
    let run = live.app.commands.run().unwrap();
    assert_eq!(run.command_ids.len(), 3, "one command per context");
    // The audit log: one line per context, naming its account and region.
    let text = std::fs::read_to_string(&audit_path).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{text}");
    for (account, region, ids) in &chosen {
        let line = lines
            .iter()
            .find(|l| l["account"] == account.as_str())
            .unwrap_or_else(|| panic!("a line for {account}: {text}"));
        assert_eq!(line["region"], *region, "{line}");
        assert_eq!(line["action"], "ssm:SendCommand");
        assert_eq!(line["outcome"], "ok");
        let targets: Vec<String> = serde_json::from_value(line["targets"].clone()).unwrap();
        assert_eq!(&targets, ids, "{line}");
        assert!(!text.contains("echo across"), "never the command text");
    }
    assert_eq!(run.nodes.len(), 6);
    for (account, region, ids) in &chosen {
        let calls = lab.calls_in(account, region);
        assert_eq!(
            calls.get("ssm:SendCommand"),
            Some(&1),
            "{account} {region}: {calls:?}"
        );
        for id in ids {
            let node = &run.nodes[id].inv;
            assert_eq!(node.command_id.len(), 36, "a command id");
            assert_eq!(node.status, InvocationStatus::Success, "{id}");
            assert!(
                node.output.contains("across"),
                "{id} in {account} {region}: {:?}",
                node.output
            );
        }
    }
}

/// An Online Linux node of (account, region) in the lab.
fn online_linux(lab: &LabHandle, account: &str, region: &str) -> ssmdeck_lab::LabNode {
    lab.nodes_in(account, region)
        .into_iter()
        .find(|n| n.ping == PingStatus::Online && n.platform_type == "Linux")
        .expect("an Online Linux node there")
}

#[tokio::test]
async fn a_shell_starts_in_the_nodes_own_account_and_region() {
    let lab = grid_lab(20).await;
    let mut live = Live::start_set(set_for(&lab).await).await;
    loaded(&mut live).await;
    let (account, region) = (lab.accounts()[2].clone(), REGIONS[1]);
    let node = online_linux(&lab, &account, region);
    assert!(live.app.fleet.reveal(&node.id));
    lab.reset_calls();
    live.cmd(Command::StartSession);
    live.type_text("echo $((6*7))");
    live.key(KeyCode::Enter, KeyModifiers::NONE);
    live.until("the shell's answer", |a| {
        a.sessions.current().is_some_and(|t| {
            t.parser
                .screen()
                .contents()
                .lines()
                .any(|l| l.trim_end() == "42")
        })
    })
    .await;
    let there = lab.calls_in(&account, region);
    assert_eq!(there.get("ssm:StartSession"), Some(&1), "{there:?}");
    let first = lab.calls_in(&lab.accounts()[0], REGIONS[0]);
    assert_eq!(first.get("ssm:StartSession"), None, "{first:?}");
    live.tasks
        .terminate_sessions(std::time::Duration::from_secs(3))
        .await;
}

#[tokio::test]
async fn org_lists_the_accounts_and_assumes_the_role_in_each() {
    let lab = grid_lab(20).await;
    let regions: Vec<String> = REGIONS.iter().map(|r| (*r).to_owned()).collect();
    let base = common::options(&lab);
    let specs = ssmdeck::cli::org_specs(&base, &[], &regions, "ssmdeck-operator")
        .await
        .expect("the management account lists the organization");
    assert_eq!(specs.len(), 6);
    let own = &lab.accounts()[0];
    for s in &specs {
        let account = s.account.clone().unwrap();
        assert_eq!(
            s.role_arn.is_none(),
            &account == own,
            "the caller's own account keeps its keys: {s:?}"
        );
        assert!(s.account_name.is_some(), "{s:?}");
    }
    let mut live = Live::start_set(
        ContextSet::connect(&base, &specs, None)
            .await
            .expect("six contexts"),
    )
    .await;
    loaded(&mut live).await;
    for account in lab.accounts() {
        for region in REGIONS {
            assert_eq!(
                listed_in(&live, &account, region),
                lab_ids(&lab, &account, region)
            );
        }
    }
    // A member account is no administrator: the error names the account and the fix.
    let member = lab.account_credentials(&lab.accounts()[1]).unwrap();
    let mut as_member = common::options(&lab);
    as_member.static_credentials = Some((member.access_key_id, member.secret_access_key));
    let err = ssmdeck::cli::org_specs(&as_member, &[], &regions, "x")
        .await
        .expect_err("a member account cannot list the organization")
        .to_string();
    assert!(err.contains(&lab.accounts()[1]), "{err}");
    assert!(err.contains("delegated administrator"), "{err}");
}

/// OpsItem ids of every status in one tenant (DescribeOpsItems, every page).
async fn tenant_ops_ids(lab: &LabHandle, account: &str, region: &str) -> BTreeSet<String> {
    let client = crate::lab_tenancy::ssm(lab, account, region);
    let mut ids = BTreeSet::new();
    let mut pages = client.describe_ops_items().into_paginator().send();
    while let Some(page) = pages.next().await {
        for s in page.expect("a page").ops_item_summaries.unwrap_or_default() {
            ids.insert(s.ops_item_id.unwrap_or_default());
        }
    }
    ids
}

#[tokio::test]
async fn opscenter_lists_every_context_and_writes_to_the_items_own() {
    use ssmdeck::app::Effect;
    use ssmdeck::aws::opscenter::OpsChange;
    use ssmdeck::panes::opscenter::OpsJob;
    let lab = grid_lab(20).await;
    let mut live = Live::start_set(set_for(&lab).await).await;
    loaded(&mut live).await;
    live.app.ops.set_filter(String::new());
    let job = live.app.ops.begin_load();
    live.tasks.run(Effect::OpsCenter(job));
    live.until("every context's OpsItems", |a| !a.ops.loading)
        .await;
    let homes = homes(&live);
    let mut total = 0;
    for account in lab.accounts() {
        for region in REGIONS {
            let want = tenant_ops_ids(&lab, &account, region).await;
            let got: BTreeSet<String> = live
                .app
                .ops
                .items
                .iter()
                .filter(|i| homes[&i.ctx] == (account.clone(), region.to_owned()))
                .map(|i| i.id.clone())
                .collect();
            assert!(!want.is_empty());
            assert_eq!(got, want, "{account} {region}");
            total += want.len();
        }
    }
    assert_eq!(live.app.ops.items.len(), total);
    // A status change of an item of the third account goes there.
    let (account, region) = (lab.accounts()[2].clone(), REGIONS[1]);
    let item = live
        .app
        .ops
        .items
        .iter()
        .find(|i| homes[&i.ctx] == (account.clone(), region.to_owned()) && i.status == "Open")
        .expect("an Open item there")
        .clone();
    lab.reset_calls();
    live.tasks.run(Effect::OpsCenter(OpsJob::Update {
        targets: vec![(item.id.clone(), Some(item.last_modified_ms))],
        change: OpsChange {
            status: Some("InProgress".into()),
            ..OpsChange::default()
        },
    }));
    live.until("the update", |a| {
        a.ops
            .get(&item.id)
            .is_some_and(|i| i.status == "InProgress")
    })
    .await;
    assert_eq!(
        lab.calls_in(&account, region).get("ssm:UpdateOpsItem"),
        Some(&1)
    );
    assert_eq!(
        live.app.ops.get(&item.id).unwrap().ctx,
        item.ctx,
        "still its context"
    );
    assert_eq!(
        lab.calls_in(&lab.accounts()[0], REGIONS[0])
            .get("ssm:UpdateOpsItem"),
        None
    );
}

/// Puts `name` = `value` in one tenant.
async fn put(lab: &LabHandle, account: &str, region: &str, name: &str, value: &str, secure: bool) {
    use aws_sdk_ssm::types::ParameterType;
    crate::lab_tenancy::ssm(lab, account, region)
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(if secure {
            ParameterType::SecureString
        } else {
            ParameterType::String
        })
        .send()
        .await
        .expect("put");
}

#[tokio::test]
async fn a_parameter_compares_across_contexts_and_a_level_copies_to_another() {
    use ssmdeck::app::Effect;
    use ssmdeck::panes::parameters::ParamsJob;
    let lab = grid_lab(8).await;
    let accounts = lab.accounts();
    let (a, b, c) = (&accounts[0], &accounts[1], &accounts[2]);
    for (account, region, name, value, secure) in [
        (a, REGIONS[0], "/app/db/url", "db.internal:5432", false),
        (b, REGIONS[0], "/app/db/url", "db.internal:5432", false),
        (c, REGIONS[1], "/app/db/url", "db-eu.internal:5432", false),
        (a, REGIONS[0], "/app/db/pass", "s3cret-value-one", true),
        (b, REGIONS[0], "/app/db/pass", "s3cret-value-two", true),
    ] {
        put(&lab, account, region, name, value, secure).await;
    }
    let mut live = Live::start_set(set_for(&lab).await).await;
    loaded(&mut live).await;
    let homes = homes(&live);
    let ctx_of = |account: &str, region: &str| {
        *homes
            .iter()
            .find(|(_, h)| **h == (account.to_owned(), region.to_owned()))
            .unwrap()
            .0
    };
    while live.app.pane != ssmdeck::app::Pane::Parameters {
        live.cmd(Command::NextPane);
    }
    for name in ["/app/db/url", "/app/db/pass"] {
        live.app.params.compare = Some((name.into(), None));
        live.tasks
            .run(Effect::Parameters(ParamsJob::Compare { name: name.into() }));
        live.until("the comparison", |app| {
            app.params.compare.as_ref().is_some_and(|c| c.1.is_some())
        })
        .await;
        let rows = live.app.params.compare.clone().unwrap().1.unwrap();
        assert_eq!(rows.len(), 6);
        let at = |ctx| {
            rows.iter()
                .find(|r| r.ctx == ctx)
                .unwrap()
                .result
                .clone()
                .unwrap()
        };
        let there = at(ctx_of(b, REGIONS[0])).expect("present in b");
        if name == "/app/db/url" {
            assert_eq!(there.same_as_first, Some(true));
            assert_eq!(there.shown.as_deref(), Some("db.internal:5432"));
            let eu = at(ctx_of(c, REGIONS[1])).unwrap();
            assert_eq!(eu.same_as_first, Some(false));
            assert!(at(ctx_of(a, REGIONS[1])).is_none(), "not in a eu-west-1");
            let screen = live.screen();
            assert!(screen.contains("differ from the first"), "{screen}");
            assert!(screen.contains("not there"), "{screen}");
        } else {
            assert_eq!(there.same_as_first, Some(false), "another secret");
            assert_eq!(there.shown, None, "a SecureString is never shown");
            let screen = live.screen();
            assert!(!screen.contains("s3cret"), "{screen}");
        }
    }
    // Copy /app from the first context to account c in eu-west-1: a dry
    // run, the confirmation names both places, then the writes land there.
    let to = ctx_of(c, REGIONS[1]);
    lab.reset_calls();
    live.tasks.run(Effect::Parameters(ParamsJob::PlanCopy {
        from: "/app".into(),
        to: "/app".into(),
        move_sources: false,
        to_ctx: to,
    }));
    live.until("the dry run", |app| app.confirm().is_some())
        .await;
    let lines = live.app.confirm().unwrap().lines.join("\n");
    assert!(lines.contains("1 to overwrite"), "{lines}");
    assert!(lines.contains("1 to create"), "{lines}");
    assert!(
        lines.contains(&format!(
            "From {} {} to {} {}",
            shown(&live, a),
            REGIONS[0],
            shown(&live, c),
            REGIONS[1]
        )),
        "{lines}"
    );
    live.act(Action::Input(InputKey::Char('y')));
    live.until("the copy", |_| {
        lab.calls_in(c, REGIONS[1]).get("ssm:PutParameter") == Some(&2)
    })
    .await;
    let got = crate::lab_tenancy::ssm(&lab, c, REGIONS[1])
        .get_parameter()
        .name("/app/db/url")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.parameter.unwrap().value.as_deref(),
        Some("db.internal:5432")
    );
    assert_eq!(lab.calls_in(a, REGIONS[0]).get("ssm:PutParameter"), None);
}

/// Open (Open or InProgress) OpsItems of one tenant by severity 1 … 4
/// (none counts as 4), from DescribeOpsItems.
async fn tenant_open_by_severity(lab: &LabHandle, account: &str, region: &str) -> [u64; 4] {
    let client = crate::lab_tenancy::ssm(lab, account, region);
    let mut counts = [0u64; 4];
    let mut pages = client.describe_ops_items().into_paginator().send();
    while let Some(page) = pages.next().await {
        for s in page.expect("a page").ops_item_summaries.unwrap_or_default() {
            let status = s.status.map(|x| x.as_str().to_owned()).unwrap_or_default();
            if status == "Open" || status == "InProgress" {
                let sev: usize = s.severity.and_then(|v| v.parse().ok()).unwrap_or(4);
                counts[sev.clamp(1, 4) - 1] += 1;
            }
        }
    }
    counts
}

/// `:overview`, typed.
fn show_overview(live: &mut Live) {
    live.cmd(Command::CommandLine);
    for c in "overview".chars() {
        live.act(Action::Input(InputKey::Char(c)));
    }
    live.act(Action::Input(InputKey::Submit));
}

#[tokio::test]
async fn the_overview_counts_every_context_and_each_number_jumps_to_its_rows() {
    use ssmdeck::app::Pane;
    use ssmdeck::panes::overview::state::{Metric, OpsCount, OrgView};
    let lab = grid_lab(40).await;
    let mut live = Live::start_set(set_for(&lab).await).await;
    loaded(&mut live).await;
    show_overview(&mut live);
    assert_eq!(live.app.pane, Pane::Overview);
    live.until("every context's open OpsItems and the organization", |a| {
        a.overview
            .ops
            .iter()
            .all(|o| matches!(o, OpsCount::Done(_)))
            && matches!(a.overview.org, OrgView::Ready(_))
    })
    .await;
    let homes = homes(&live);
    let (mut nodes, mut ops) = (0u64, [0u64; 4]);
    for (row, label) in live.app.contexts.clone().iter().enumerate() {
        let (account, region) = &homes[&label.id];
        let tenant = lab.nodes_in(account, region);
        let o = &live.app.overview;
        assert_eq!(o.value(row, Metric::Nodes), Some(tenant.len() as u64));
        let lost = tenant
            .iter()
            .filter(|n| n.ping == PingStatus::ConnectionLost)
            .count() as u64;
        assert_eq!(o.value(row, Metric::Lost), Some(lost), "{account} {region}");
        let want = tenant_open_by_severity(&lab, account, region).await;
        for s in 1..=4u8 {
            assert_eq!(
                o.value(row, Metric::Severity(s)),
                Some(want[usize::from(s) - 1]),
                "{account} {region} severity {s}"
            );
        }
        nodes += tenant.len() as u64;
        (0..4).for_each(|k| ops[k] += want[k]);
    }
    let total_row = live.app.contexts.len();
    assert_eq!(
        live.app.overview.value(total_row, Metric::Nodes),
        Some(nodes)
    );
    let OrgView::Ready(org) = &live.app.overview.org else {
        unreachable!()
    };
    assert_eq!(org.nodes.total(), nodes, "the sync counts every account");
    assert_eq!(org.ops, ops);
    let screen = live.screen();
    assert!(
        screen.contains("Organization (resource data sync"),
        "{screen}"
    );
    // ConnectionLost of the second context: the Fleet, filtered to it.
    live.app.overview.row = 1;
    live.app.overview.col = 2;
    let want = live.app.overview.value(1, Metric::Lost).unwrap() as usize;
    assert!(want > 0, "the lab has lost nodes there");
    live.cmd(Command::OpenDetails);
    assert_eq!(live.app.pane, Pane::Fleet);
    assert_eq!(live.app.fleet.view.len(), want, "{}", live.app.fleet.filter);
    live.cmd(Command::Back);
    assert_eq!(live.app.pane, Pane::Overview, "Esc walks back");
    assert_eq!(live.app.fleet.filter, "", "the user's own filter is back");
    // Severity 2 of the third context: OpsCenter, loaded with the filter.
    live.app.overview.row = 2;
    live.app.overview.col = Metric::ALL
        .iter()
        .position(|m| *m == Metric::Severity(2))
        .unwrap();
    let want = live.app.overview.value(2, Metric::Severity(2)).unwrap() as usize;
    live.cmd(Command::OpenDetails);
    assert_eq!(live.app.pane, Pane::OpsCenter);
    live.until("the filtered OpsItems", |a| !a.ops.loading)
        .await;
    assert_eq!(live.app.ops.view.len(), want, "{}", live.app.ops.filter);
}

#[tokio::test]
async fn the_overview_says_why_a_member_account_has_no_organization_counts() {
    use ssmdeck::panes::overview::state::OrgView;
    let lab = grid_lab(10).await;
    let member = lab.accounts()[2].clone();
    let spec = ssmdeck::aws::contexts::ContextSpec {
        region: Some(REGIONS[0].into()),
        role_arn: Some(ssmdeck::aws::contexts::role_arn("ssmdeck-demo", &member)),
        account: Some(member.clone()),
        ..Default::default()
    };
    let set = ContextSet::connect(&common::options(&lab), &[spec], None)
        .await
        .expect("the member account connects");
    let mut live = Live::start_set(set).await;
    show_overview(&mut live);
    live.until("the organization's answer", |a| {
        matches!(a.overview.org, OrgView::Unavailable(_))
    })
    .await;
    let OrgView::Unavailable(why) = &live.app.overview.org else {
        unreachable!()
    };
    assert!(why.contains("delegated administrator"), "{why}");
    assert!(why.contains("AWS-QuickSetup-ManagedNode"), "{why}");
    let screen = live.screen();
    assert!(screen.contains("not available"), "{screen}");
}

#[tokio::test]
async fn a_read_only_context_refuses_writes_to_its_rows_and_the_others_write() {
    use ssmdeck::app::Effect;
    use ssmdeck::aws::opscenter::OpsChange;
    use ssmdeck::panes::opscenter::OpsJob;
    let lab = grid_lab(10).await;
    let mut live = Live::start_set(set_for(&lab).await).await;
    loaded(&mut live).await;
    // The second context (first account, eu-west-1) is read-only, as a
    // `[profiles.NAME] read_only = true` of its profile makes it.
    let mut why = vec![None; live.app.contexts.len()];
    why[1] = Some("profile prod is read-only".to_owned());
    live.tasks.set_context_read_only(why.clone());
    let mut labels = live.app.contexts.clone();
    labels[1].read_only = why[1].clone();
    live.app.set_contexts(labels);
    let screen = live.screen();
    assert!(screen.contains("READ-ONLY in 1 of 6 contexts"), "{screen}");
    live.app.ops.set_filter("status:Open".into());
    let job = live.app.ops.begin_load();
    live.tasks.run(Effect::OpsCenter(job));
    live.until("the OpsItems", |a| !a.ops.loading).await;
    let homes = homes(&live);
    let open_in = |ctx: u16| {
        live.app
            .ops
            .items
            .iter()
            .find(|i| i.ctx == ContextId(ctx))
            .cloned()
            .expect("an Open item there")
    };
    let (shut, free) = (open_in(1), open_in(0));
    lab.reset_calls();
    let change = OpsChange {
        status: Some("InProgress".into()),
        ..OpsChange::default()
    };
    live.tasks.run(Effect::OpsCenter(OpsJob::Update {
        targets: vec![(shut.id.clone(), Some(shut.last_modified_ms))],
        change: change.clone(),
    }));
    live.until("the refusal", |a| {
        a.messages
            .iter()
            .any(|(_, m)| m.contains("read-only in") && m.contains("ssm:UpdateOpsItem not sent"))
    })
    .await;
    live.tasks.run(Effect::OpsCenter(OpsJob::Update {
        targets: vec![(free.id.clone(), Some(free.last_modified_ms))],
        change,
    }));
    live.until("the update of the writable context", |a| {
        a.ops
            .get(&free.id)
            .is_some_and(|i| i.status == "InProgress")
    })
    .await;
    let (shut_home, free_home) = (&homes[&ContextId(1)], &homes[&ContextId(0)]);
    assert_eq!(
        lab.calls_in(&shut_home.0, &shut_home.1)
            .get("ssm:UpdateOpsItem"),
        None,
        "nothing reached the read-only context"
    );
    assert_eq!(
        lab.calls_in(&free_home.0, &free_home.1)
            .get("ssm:UpdateOpsItem"),
        Some(&1)
    );
    // A send across a read-only and a writable context is refused whole.
    let node_in = |ctx: u16| {
        live.app
            .fleet
            .nodes
            .iter()
            .find(|n| {
                n.ctx == ContextId(ctx) && n.ping_status == ssmdeck::model::PingStatus::Online
            })
            .map(|n| n.id.clone())
            .unwrap()
    };
    live.app.fleet.selected = [node_in(0), node_in(1)].into_iter().collect();
    live.cmd(Command::RunCommand);
    live.type_text("echo hi");
    live.key(KeyCode::Char('s'), KeyModifiers::CONTROL);
    assert_eq!(live.app.mode(), Mode::Confirm);
    live.act(Action::Input(InputKey::Char('y')));
    live.until("the send's refusal", |a| {
        a.messages
            .iter()
            .any(|(_, m)| m.contains("read-only in") && m.contains("ssm:SendCommand not sent"))
    })
    .await;
    assert_eq!(lab.calls().get("ssm:SendCommand"), None);
}

#[tokio::test]
async fn the_contexts_picker_changes_the_set_and_a_live_shell_keeps_running() {
    use ssmdeck::app::{ContextInfo, Effect, Mode};
    let lab = grid_lab(20).await;
    let mut live = Live::start_set(set_for(&lab).await).await;
    loaded(&mut live).await;
    // A shell in the third account, eu-west-1.
    let (account, region) = (lab.accounts()[2].clone(), REGIONS[1]);
    let node = online_linux(&lab, &account, region);
    assert!(live.app.fleet.reveal(&node.id));
    live.cmd(Command::StartSession);
    live.until("the shell", |a| {
        a.sessions
            .current()
            .is_some_and(|t| t.parser.screen().contents().contains('$'))
    })
    .await;
    // :contexts, drop the second account (the first role), keep both
    // regions: four contexts.
    live.cmd(Command::TerminalUnfocus);
    live.cmd(Command::CommandLine);
    for c in "contexts".chars() {
        live.act(Action::Input(InputKey::Char(c)));
    }
    live.act(Action::Input(InputKey::Submit));
    assert_eq!(live.app.mode(), Mode::Contexts);
    live.act(Action::Input(InputKey::Down));
    live.act(Action::Input(InputKey::Char(' ')));
    let effects = live
        .app
        .update(Action::Input(InputKey::Submit), std::time::Instant::now());
    let [Effect::SwitchSet(specs)] = effects.as_slice() else {
        panic!("one switch: {effects:?}");
    };
    assert_eq!(specs.len(), 4);
    let base = {
        let mut b = common::options(&lab);
        b.max_attempts = 8;
        b
    };
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let set = ssmdeck::runtime::switch(&base, effects[0].clone(), tx)
        .await
        .expect("the chosen set connects");
    live.tasks = live.tasks.next_set(set);
    let info = ContextInfo {
        region: REGIONS[0].into(),
        generation: live.tasks.generation(),
        labels: live.tasks.context_labels().to_vec(),
        ..Default::default()
    };
    live.act(Action::ContextSwitched(Ok(info)));
    loaded(&mut live).await;
    assert_eq!(live.app.contexts.len(), 4);
    let accounts: BTreeSet<String> = live
        .app
        .contexts
        .iter()
        .filter_map(|l| l.account.clone())
        .collect();
    let want: BTreeSet<String> = [lab.accounts()[0].clone(), lab.accounts()[2].clone()].into();
    assert_eq!(accounts, want);
    let total: usize = want
        .iter()
        .flat_map(|a| REGIONS.iter().map(move |r| (a.clone(), *r)))
        .map(|(a, r)| lab.nodes_in(&a, r).len())
        .sum();
    assert_eq!(
        live.app.fleet.nodes.len(),
        total,
        "only the chosen contexts' nodes"
    );
    // The shell started before the switch still answers.
    live.cmd(Command::TerminalFocus);
    live.type_text("echo $((6*7))");
    live.key(KeyCode::Enter, KeyModifiers::NONE);
    live.until("the shell's answer after the switch", |a| {
        a.sessions.current().is_some_and(|t| {
            t.parser
                .screen()
                .contents()
                .lines()
                .any(|l| l.trim_end() == "42")
        })
    })
    .await;
    live.tasks
        .terminate_sessions(std::time::Duration::from_secs(3))
        .await;
}

#[tokio::test]
async fn parameters_browse_another_context_and_write_there() {
    use ssmdeck::panes::parameters::state::TreeRow;
    let lab = grid_lab(8).await;
    let accounts = lab.accounts();
    // Only in the second account's us-east-1: context 3 of the set.
    put(&lab, &accounts[1], REGIONS[0], "/only/here", "v1", false).await;
    put(&lab, &accounts[0], REGIONS[0], "/first/one", "v0", false).await;
    let mut live = Live::start_set(set_for(&lab).await).await;
    loaded(&mut live).await;
    while live.app.pane != ssmdeck::app::Pane::Parameters {
        live.cmd(Command::NextPane);
    }
    let folders = |a: &ssmdeck::app::App| -> Vec<String> {
        a.params
            .rows
            .iter()
            .filter_map(|r| match r {
                TreeRow::Folder { path, .. } => Some(path.clone()),
                _ => None,
            })
            .collect()
    };
    live.until("the first context's tree", |a| {
        folders(a).contains(&"/first".to_owned())
    })
    .await;
    assert!(!folders(&live.app).contains(&"/only".to_owned()));
    live.cmd(Command::Context);
    assert_eq!(live.app.mode(), Mode::Choose);
    live.act(Action::Input(InputKey::Char('3')));
    live.until("the browsed context's tree", |a| {
        folders(a).contains(&"/only".to_owned())
    })
    .await;
    assert!(
        !folders(&live.app).contains(&"/first".to_owned()),
        "only its own"
    );
    let scope = live.app.params.scope.clone().unwrap_or_default();
    assert!(
        scope.contains(&format!(
            "browsing {} {}",
            shown(&live, &accounts[1]),
            REGIONS[0]
        )),
        "{scope}"
    );
    assert!(live.screen().contains("browsing"));
    // Open /only, delete /only/here: the call goes to that context alone.
    while live
        .app
        .params
        .rows
        .get(live.app.params.cursor)
        .map(|r| r.key().to_owned())
        != Some("/only".to_owned())
    {
        live.cmd(Command::SelectNext);
    }
    live.cmd(Command::Expand);
    live.until("the level", |a| {
        a.params
            .rows
            .iter()
            .any(|r| matches!(r, TreeRow::Param { name, .. } if name == "/only/here"))
    })
    .await;
    live.cmd(Command::SelectNext);
    assert_eq!(
        live.app.params.current_param().map(|m| m.name.as_str()),
        Some("/only/here")
    );
    lab.reset_calls();
    live.cmd(Command::Delete);
    let confirm = live.app.confirm().expect("a confirmation").lines.join("\n");
    assert!(
        confirm.contains(&format!("In {} {}", shown(&live, &accounts[1]), REGIONS[0])),
        "{confirm}"
    );
    live.act(Action::Input(InputKey::Char('y')));
    live.until("the delete", |_| {
        lab.calls_in(&accounts[1], REGIONS[0])
            .contains_key("ssm:DeleteParameter")
    })
    .await;
    assert_eq!(
        lab.calls_in(&accounts[0], REGIONS[0])
            .get("ssm:DeleteParameter"),
        None
    );
}

#[tokio::test]
async fn maintenance_windows_list_every_context_and_a_write_goes_to_its_own() {
    use ssmdeck::app::Pane;
    let lab = grid_lab(20).await;
    let mut live = Live::start_set(set_for(&lab).await).await;
    loaded(&mut live).await;
    live.show(Pane::Maintenance);
    live.until("every context's windows", |a| {
        a.maintenance.windows_pending == 0 && a.maintenance.windows.len() == 4 * a.contexts.len()
    })
    .await;
    assert!(live.app.maintenance.windows_failed.is_empty());
    assert!(live.screen().contains("CONTEXT"), "{}", live.screen());
    // The second context's prod-patching, disabled from the console.
    let at = live
        .app
        .maintenance
        .windows
        .iter()
        .position(|(c, w)| c.index() == 1 && w.name == "prod-patching")
        .expect("the second context's prod-patching");
    live.cmd(Command::SelectFirst);
    for _ in 0..at {
        live.cmd(Command::SelectNext);
    }
    let (ctx, window) = live.app.maintenance.windows[at].clone();
    live.cmd(Command::ToggleEnabled);
    let lines = live.app.confirm().unwrap().lines.join("\n");
    let (account, region) = homes(&live)[&ctx].clone();
    assert!(
        lines.contains(&shown(&live, &account)) && lines.contains(&region),
        "{lines}"
    );
    live.act(Action::Input(InputKey::Char('y')));
    live.until("the window disabled and listed again", |a| {
        a.maintenance.windows_pending == 0
            && a.maintenance
                .windows
                .iter()
                .any(|(c, w)| *c == ctx && w.id == window.id && !w.enabled)
    })
    .await;
    // Only that tenant's window changed.
    let check = set_for(&lab).await;
    for (id, aws) in check.iter() {
        let windows = ssmdeck::aws::maintenance::windows(aws).await.unwrap();
        let prod = windows.iter().find(|w| w.name == "prod-patching").unwrap();
        assert_eq!(prod.enabled, id != ctx, "context {id:?}: {prod:?}");
    }
}

#[tokio::test]
async fn a_window_command_of_another_account_opens_and_polls_in_that_account() {
    use ssmdeck::app::Pane;
    use ssmdeck::panes::maintenance::state::Inner;
    let lab = grid_lab(20).await;
    let mut live = Live::start_set(set_for(&lab).await).await;
    loaded(&mut live).await;
    let homes = homes(&live);
    let (&ctx, (account, region)) = homes
        .iter()
        .find(|(c, _)| c.index() == 3)
        .expect("a fourth context");
    let (account, region) = (account.clone(), region.clone());
    let execution = lab
        .open_maintenance_window_in(&account, &region, "prod-patching")
        .expect("prod-patching opens in that tenant");
    live.show(Pane::Maintenance);
    live.until("the windows", |a| {
        a.maintenance.windows_pending == 0 && !a.maintenance.windows.is_empty()
    })
    .await;
    let at = live
        .app
        .maintenance
        .windows
        .iter()
        .position(|(c, w)| *c == ctx && w.name == "prod-patching")
        .unwrap();
    live.cmd(Command::SelectFirst);
    for _ in 0..at {
        live.cmd(Command::SelectNext);
    }
    live.cmd(Command::OpenDetails);
    live.until("the execution listed", |a| {
        a.maintenance
            .details
            .ready()
            .is_some_and(|d| d.executions.iter().any(|x| x.id == execution))
    })
    .await;
    let row = live
        .app
        .maintenance
        .details
        .ready()
        .unwrap()
        .executions
        .iter()
        .position(|x| x.id == execution)
        .unwrap();
    for _ in 0..row {
        live.cmd(Command::SelectNext);
    }
    live.cmd(Command::OpenDetails);
    assert!(
        matches!(live.app.maintenance.inner(), Some(Inner::Execution { ctx: c, .. }) if *c == ctx)
    );
    live.until("an invocation with its command", |a| {
        a.maintenance
            .invocations()
            .iter()
            .any(|(_, i)| !i.execution_id.is_empty())
    })
    .await;
    live.cmd(Command::OpenDetails);
    assert_eq!(live.app.pane, Pane::Commands);
    // Polled in the window's own account and region: its invocations are
    // that tenant's nodes.
    live.until("the command's invocations", |a| {
        a.commands.run().is_some_and(|r| !r.nodes.is_empty())
    })
    .await;
    let theirs = lab_ids(&lab, &account, &region);
    let run = live.app.commands.run().unwrap();
    assert!(
        run.nodes.keys().all(|n| theirs.contains(n)),
        "{:?}",
        run.nodes.keys()
    );
}

/// Issue 14 (account names): where the identity may not call
/// `iam:ListAccountAliases`, the account is named by its id and nothing
/// else changes: no notice, the fleet loads, the header shows the id alone.
#[tokio::test]
async fn a_refused_alias_leaves_the_account_named_by_its_id() {
    let lab = common::lab(
        12,
        Faults {
            deny: vec!["iam:ListAccountAliases".into()],
            ..Faults::default()
        },
    )
    .await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx).await;
    live.until("the identity and the fleet", |a| {
        a.context.identity.is_some() && a.fleet.loading.is_none()
    })
    .await;
    assert_eq!(
        lab.calls().get("iam:ListAccountAliases"),
        Some(&1),
        "asked once"
    );
    assert_eq!(live.app.contexts[0].account_name, None);
    assert!(live.app.notices.is_empty(), "{:?}", live.app.notices);
    let top = live.screen().lines().next().unwrap().to_owned();
    let account = lab.accounts()[0].clone();
    assert!(top.contains(&format!("account {account}  ")), "{top}");
    assert_eq!(live.app.fleet.nodes.len(), 12);
}
