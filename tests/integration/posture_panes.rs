//! Node posture against the lab (issue 15): the Fleet node details' tabs
//! (patches, compliance items, inventory, associations) read for the node
//! under the cursor; the Associations pane from a failing CloudWatch agent
//! install to its target's command, then fixed and applied now; the
//! Compliance pane's patch install through the Run Command composer and
//! the nodes it made compliant; a package install from the Documents
//! pane's presets sent without a script.

use crossterm::event::{KeyCode, KeyModifiers};
use ssmdeck::action::{Action, Command, InputKey};
use ssmdeck::app::{Mode, Pane};
use ssmdeck::aws::posture::{Posture, PosturePart};
use ssmdeck::model::Patch;
use ssmdeck::panes::associations::state::Inner;
use ssmdeck::panes::fleet::posture::DetailTab;
use ssmdeck_lab::{Faults, FleetSpec, LabConfig, LabHandle};

use crate::common::{self, live::Live};

async fn lab(nodes: usize) -> LabHandle {
    lab_with(nodes, false).await
}

/// The lab; `history` records the seeded history's commands (the seeded
/// association executions' targets then lead to real invocations).
async fn lab_with(nodes: usize, history: bool) -> LabHandle {
    ssmdeck_lab::start(LabConfig {
        history_commands: history,
        fleet: FleetSpec {
            nodes,
            seed: 15,
            hybrid_share: 0.0,
            connection_lost_share: 0.0,
            inactive_share: 0.0,
            failing_share: 0.0,
            ops_items: 0,
            ..FleetSpec::demo()
        },
        faults: Faults::default(),
        ..LabConfig::default()
    })
    .await
    .expect("lab starts on loopback")
}

/// Types `text` into the shown pane's filter and keeps it.
fn filter(live: &mut Live, text: &str) {
    live.cmd(Command::Filter);
    assert_eq!(live.app.mode(), Mode::Filter);
    for c in text.chars() {
        live.act(Action::Input(InputKey::Char(c)));
    }
    live.act(Action::Input(InputKey::Submit));
    assert_eq!(live.app.mode(), Mode::Normal);
}

async fn fleet(live: &mut Live) {
    live.until("the fleet and its patch states", |a| {
        a.fleet.loading.is_none() && !a.fleet.nodes.is_empty() && a.fleet.patch_known
    })
    .await;
}

/// Moves the Fleet cursor onto the first node `pick` accepts; its id.
fn cursor_to(live: &mut Live, pick: impl Fn(&ssmdeck::model::ManagedNode) -> bool) -> String {
    live.cmd(Command::SelectFirst);
    for _ in 0..live.app.fleet.view.len() {
        if let Some(n) = live.app.fleet.current().filter(|n| pick(n)) {
            return n.id.clone();
        }
        live.cmd(Command::SelectNext);
    }
    panic!("no node fits");
}

/// Shows the next tab and waits for its part to be read.
async fn next_tab(live: &mut Live, part: PosturePart) -> Posture {
    live.cmd(Command::NextTab);
    assert_eq!(live.app.fleet.tab, DetailTab::Part(part));
    live.until(part.title(), |a| {
        matches!(a.fleet.posture.answer(part), Some(Some(_)))
    })
    .await;
    match live.app.fleet.posture.answer(part) {
        Some(Some(Ok(p))) => p.clone(),
        other => panic!("{} not read: {other:?}", part.title()),
    }
}

#[tokio::test]
async fn the_node_details_tabs_read_each_part_of_the_nodes_posture() {
    let lab = lab(40).await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx).await;
    fleet(&mut live).await;
    let id = cursor_to(&mut live, |n| {
        matches!(&n.patch, Patch::Scanned(s) if s.missing > 0) && n.associations.is_some()
    });
    let Patch::Scanned(summary) = live.app.fleet.current().unwrap().patch.clone() else {
        unreachable!()
    };
    live.cmd(Command::NextTab);
    assert!(live.app.fleet.details, "l opens the details");
    let Posture::Patches(patches, cut) = next_tab(&mut live, PosturePart::Patches).await else {
        panic!("patches")
    };
    assert!(!cut);
    let missing = patches.iter().filter(|p| p.state == "MISSING").count();
    assert_eq!(
        missing as u32, summary.missing,
        "the list behind the PATCH column"
    );
    assert_eq!(
        patches[0].urgency(),
        patches.iter().map(|p| p.urgency()).min().unwrap()
    );
    let screen = live.screen();
    assert!(
        screen.contains("Patches (") && screen.contains("MISSING"),
        "{screen}"
    );
    // The tab's filter keeps one column's matches.
    filter(&mut live, "state:missing");
    let table = live.app.fleet.posture.table(PosturePart::Patches).unwrap();
    assert_eq!(live.app.fleet.posture.kept(&table).len(), missing);
    let Posture::Compliance(items, _) = next_tab(&mut live, PosturePart::Compliance).await else {
        panic!("compliance")
    };
    assert!(
        items
            .iter()
            .any(|i| i.compliance_type == "Patch" && i.status == "NON_COMPLIANT"),
        "{items:?}"
    );
    let Posture::Inventory(types) = next_tab(&mut live, PosturePart::Inventory).await else {
        panic!("inventory")
    };
    let apps = types
        .iter()
        .position(|t| t.type_name == "AWS:Application")
        .expect("applications");
    assert!(!types[apps].entries.is_empty());
    for _ in 0..apps {
        live.cmd(Command::SelectNext);
    }
    live.cmd(Command::OpenDetails);
    assert_eq!(live.app.fleet.posture.inventory_type, Some(apps));
    let screen = live.screen();
    assert!(
        screen.contains("AWS:Application:") && screen.contains("VERSION"),
        "{screen}"
    );
    live.cmd(Command::Back);
    assert_eq!(live.app.fleet.posture.inventory_type, None);
    let Posture::Associations(assocs, _) = next_tab(&mut live, PosturePart::Associations).await
    else {
        panic!("associations")
    };
    assert!(
        !assocs.is_empty(),
        "the node's ASSOC column says it has some"
    );
    // Enter opens the association in the Associations pane.
    live.cmd(Command::OpenDetails);
    assert_eq!(live.app.pane, Pane::Associations);
    live.until("the association's executions", |a| {
        a.associations.executions.ready().is_some() && a.associations.detail.ready().is_some()
    })
    .await;
    let d = live.app.associations.detail.ready().unwrap();
    assert_eq!(d.association.id, assocs[0].id);
    assert!(!id.is_empty());
}

#[tokio::test]
async fn a_failed_association_leads_to_its_command_and_applies_again_once_fixed() {
    let lab = lab_with(60, true).await;
    let (ctx, _) = common::context(&lab).await;
    let failing = lab.association_failing_nodes();
    assert!(!failing.is_empty(), "the lab seeds failing installs");
    let mut live = Live::start(ctx).await;
    live.show(Pane::Associations);
    live.until("the associations", |a| {
        a.associations.pending == 0 && !a.associations.rows.is_empty()
    })
    .await;
    filter(&mut live, "status:failed");
    let (_, failed) = live
        .app
        .associations
        .focused()
        .cloned()
        .expect("a failed one");
    assert!(failed.failed() > 0, "{failed:?}");
    live.cmd(Command::OpenDetails);
    live.until("the executions", |a| {
        a.associations
            .executions
            .ready()
            .is_some_and(|x| !x.is_empty())
    })
    .await;
    live.cmd(Command::OpenDetails);
    live.until("the targets", |a| {
        a.associations
            .targets
            .ready()
            .is_some_and(|t| !t.is_empty())
    })
    .await;
    let target = live.app.associations.targets.ready().unwrap()[0].clone();
    assert_eq!(target.status, "Failed", "failed first");
    assert!(failing.contains(&target.resource), "{target:?} {failing:?}");
    live.cmd(Command::OpenDetails);
    assert_eq!(live.app.pane, Pane::Commands, "the target's command");
    live.until("the command's invocations", |a| {
        a.commands
            .run()
            .is_some_and(|r| r.nodes.contains_key(&target.resource))
    })
    .await;
    // Back in the pane: fixed, then applied now.
    live.show(Pane::Associations);
    live.cmd(Command::Back);
    assert!(matches!(
        live.app.associations.inner(),
        Some(Inner::Association { .. })
    ));
    lab.fix_association_failures();
    let runs_before = live.app.associations.executions.ready().unwrap().len();
    live.cmd(Command::ApplyNow);
    let lines = live.app.confirm().expect("asked first").lines.join("\n");
    assert!(
        lines.contains(&failed.id) && lines.contains("failed"),
        "{lines}"
    );
    live.act(Action::Input(InputKey::Char('y')));
    live.until("the new execution to succeed", |a| {
        a.associations
            .executions
            .ready()
            .is_some_and(|x| x.len() > runs_before && x[0].status == "Success")
    })
    .await;
    live.cmd(Command::Refresh);
    live.until("the target's status", |a| {
        a.associations
            .executions
            .ready()
            .is_some_and(|x| x.len() > runs_before)
    })
    .await;
}

#[tokio::test]
async fn patching_from_the_compliance_pane_makes_the_nodes_compliant() {
    let lab = lab(30).await;
    let (ctx, _) = common::context(&lab).await;
    let mut live = Live::start(ctx).await;
    fleet(&mut live).await;
    live.show(Pane::Compliance);
    live.until("compliance", |a| {
        a.compliance.pending == 0 && !a.compliance.shown.is_empty()
    })
    .await;
    // The Patch tab; two nodes selected.
    let patch_tab = 1 + live
        .app
        .compliance
        .type_names()
        .iter()
        .position(|t| t == "Patch")
        .expect("a Patch type");
    while live.app.compliance.tab != patch_tab {
        live.cmd(Command::NextTab);
    }
    live.cmd(Command::SelectFirst);
    live.cmd(Command::ToggleSelect);
    live.cmd(Command::ToggleSelect);
    let picked: Vec<String> = live
        .app
        .compliance
        .selected
        .iter()
        .map(|(_, id)| id.clone())
        .collect();
    assert_eq!(picked.len(), 2);
    live.cmd(Command::RunCommand);
    assert_eq!(live.app.mode(), Mode::Choose);
    // 2: Install, RebootIfNeeded.
    live.act(Action::Input(InputKey::Char('2')));
    assert_eq!(live.app.pane, Pane::Commands);
    live.until("the patch document's parameters", |a| {
        a.commands
            .compose
            .as_ref()
            .is_some_and(|c| !c.params.is_empty())
    })
    .await;
    let c = live.app.commands.compose.as_ref().unwrap();
    assert_eq!(c.document, "AWS-RunPatchBaseline");
    assert!(!c.script, "no commands field for the patch baseline");
    let mut nodes = c.nodes.clone();
    nodes.sort();
    let mut want = picked.clone();
    want.sort();
    assert_eq!(nodes, want);
    let operation = c
        .params
        .iter()
        .find(|(p, _)| p.name == "Operation")
        .map(|(_, v)| v.clone());
    assert_eq!(operation.as_deref(), Some("Install"));
    live.key(KeyCode::Char('s'), KeyModifiers::CONTROL);
    let lines = live
        .app
        .confirm()
        .unwrap_or_else(|| {
            panic!(
                "{:?}",
                live.app
                    .commands
                    .compose
                    .as_ref()
                    .and_then(|c| c.error.clone())
            )
        })
        .lines
        .join("\n");
    assert!(lines.contains("may reboot 2 of the 2 nodes"), "{lines}");
    live.act(Action::Input(InputKey::Char('y')));
    live.until("the patch run", |a| {
        a.commands.run().is_some_and(|r| r.done())
    })
    .await;
    let run = live.app.commands.run().unwrap();
    assert!(
        run.nodes
            .values()
            .all(|n| n.inv.status.as_str() == "Success"),
        "{:?}",
        run.nodes.values().map(|n| n.inv.status).collect::<Vec<_>>()
    );
    // Shown again, the pane reloads and says what changed: the patched
    // nodes are compliant now, and stay listed as such.
    live.show(Pane::Compliance);
    live.until("the reload", |a| {
        a.compliance.pending == 0 && a.compliance.before.is_some()
    })
    .await;
    let changes: Vec<String> = live
        .app
        .compliance
        .shown
        .iter()
        .filter(|s| picked.contains(&live.app.compliance.row(s).0.1.resource))
        .map(|s| live.app.compliance.change(s))
        .collect();
    assert_eq!(changes, vec!["now compliant".to_owned(); 2], "{changes:?}");
}

/// The openssl versions of node `id` (ListInventoryEntries, every page).
async fn openssl_versions(ssm: &aws_sdk_ssm::Client, id: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = ssm
            .list_inventory_entries()
            .instance_id(id)
            .type_name("AWS:Application")
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        for e in page.entries() {
            if e.get("Name").map(String::as_str) == Some("openssl") {
                out.push(e["Version"].clone());
            }
        }
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            return out;
        }
    }
}

/// The Fleet view's node ids, sorted.
fn view_ids(live: &Live) -> Vec<String> {
    let f = &live.app.fleet;
    let mut ids: Vec<String> = f.view.iter().map(|&i| f.nodes[i].id.clone()).collect();
    ids.sort();
    ids
}

/// Keeps `text` as the Fleet filter and waits for its remote terms.
async fn remote_filter(live: &mut Live, text: &str) -> Vec<String> {
    live.cmd(Command::Filter);
    live.act(Action::Input(InputKey::Clear));
    for c in text.chars() {
        live.act(Action::Input(InputKey::Char(c)));
    }
    live.act(Action::Input(InputKey::Submit));
    assert_eq!(live.app.fleet.filter, text);
    live.until("the remote terms' answers", |a| {
        !a.fleet.query.awaits_remote() && a.fleet.remote_asking().is_none()
    })
    .await;
    assert!(
        live.app.fleet.remote_lines().is_empty(),
        "{:?}",
        live.app.fleet.remote_lines()
    );
    view_ids(live)
}

#[tokio::test]
async fn package_and_compliance_terms_are_answered_by_aws_and_select_like_any_filter() {
    let lab = lab(40).await;
    let (ctx, _) = common::context(&lab).await;
    let ssm = ctx.ssm.clone();
    let mut live = Live::start(ctx).await;
    fleet(&mut live).await;
    let numbers = |v: &str| -> Vec<u64> {
        v.split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect()
    };
    let (mut old, mut any) = (Vec::new(), Vec::new());
    for n in live.app.fleet.nodes.clone() {
        let versions = openssl_versions(&ssm, &n.id).await;
        if !versions.is_empty() {
            any.push(n.id.clone());
        }
        if versions.iter().any(|v| numbers(v) < vec![3, 0, 7]) {
            old.push(n.id.clone());
        }
    }
    old.sort();
    any.sort();
    assert!(
        !old.is_empty() && old.len() < any.len(),
        "{old:?} of {any:?}"
    );
    assert_eq!(remote_filter(&mut live, "pkg:openssl<3.0.7").await, old);
    // Selecting what the filter keeps feeds Run Command as any selection.
    live.cmd(Command::SelectAllMatching);
    let mut selected: Vec<String> = live.app.fleet.selected.iter().cloned().collect();
    selected.sort();
    assert_eq!(selected, old);
    assert_eq!(remote_filter(&mut live, "pkg:openssl").await, any);
    let rest: Vec<String> = {
        let mut all: Vec<String> = live.app.fleet.nodes.iter().map(|n| n.id.clone()).collect();
        all.sort();
        all.retain(|id| !old.contains(id));
        all
    };
    assert_eq!(remote_filter(&mut live, "!pkg:openssl<3.0.7").await, rest);
    assert!(
        remote_filter(&mut live, "pkg:OpenSSL").await.is_empty(),
        "names are case-sensitive"
    );
    assert_eq!(remote_filter(&mut live, "pkg:opens*").await, any);
    // compliance: the nodes ListResourceComplianceSummaries calls non-compliant.
    let mut noncompliant: Vec<String> = Vec::new();
    let mut pages = ssm
        .list_resource_compliance_summaries()
        .filters(
            aws_sdk_ssm::types::ComplianceStringFilter::builder()
                .key("Status")
                .values("NON_COMPLIANT")
                .r#type(aws_sdk_ssm::types::ComplianceQueryOperatorType::Equal)
                .build(),
        )
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        for r in page.unwrap().resource_compliance_summary_items() {
            noncompliant.push(r.resource_id().unwrap().to_owned());
        }
    }
    noncompliant.sort();
    noncompliant.dedup();
    assert!(!noncompliant.is_empty());
    assert_eq!(
        remote_filter(&mut live, "compliance:noncompliant").await,
        noncompliant
    );
    let both = remote_filter(&mut live, "compliance:noncompliant pkg:openssl<3.0.7").await;
    let expect: Vec<String> = old
        .iter()
        .filter(|id| noncompliant.contains(id))
        .cloned()
        .collect();
    assert_eq!(both, expect);
}

#[tokio::test]
async fn agent_outdated_after_a_properties_listing_asks_instance_information_once() {
    let lab = lab(60).await;
    let (ctx, _) = common::context(&lab).await;
    let ssm = ctx.ssm.clone();
    let mut live = Live::start(ctx).await;
    fleet(&mut live).await;
    let stats = live.app.fleet.last_stats.clone().unwrap();
    assert_eq!(stats.listing, ssmdeck::aws::fleet::Listing::Properties);
    assert!(
        live.app
            .fleet
            .nodes
            .iter()
            .all(|n| n.agent_is_latest.is_none())
    );
    let mut outdated = Vec::new();
    let mut pages = ssm.describe_instance_information().into_paginator().send();
    while let Some(page) = pages.next().await {
        for i in page.unwrap().instance_information_list() {
            if i.is_latest_version == Some(false) {
                outdated.push(i.instance_id.clone().unwrap());
            }
        }
    }
    outdated.sort();
    assert!(!outdated.is_empty() && outdated.len() < 60, "{outdated:?}");
    lab.reset_calls();
    // The filter waits for the answer (asking… in the title), then keeps
    // the nodes DescribeInstanceInformation calls behind.
    assert_eq!(remote_filter(&mut live, "agent:outdated").await, outdated);
    assert!(
        live.app
            .fleet
            .agent_currency
            .is_some_and(|(_, asking)| !asking)
    );
    let calls = lab.calls();
    assert_eq!(
        calls.get("ssm:DescribeInstanceInformation").copied(),
        Some(2),
        "60 nodes at 50 a page, asked once: {calls:?}"
    );
    // Asked once per load: filtering again reads nothing more.
    remote_filter(&mut live, "!agent:latest").await;
    assert_eq!(view_ids(&live), outdated);
    assert_eq!(
        lab.calls().get("ssm:DescribeInstanceInformation").copied(),
        Some(2)
    );
}
