//! Loading the fleet: every managed node (SSM `DescribeInstanceInformation`,
//! every page), joined with EC2 `DescribeInstances` for `i-…` nodes and with
//! `ListTagsForResource` (`ManagedInstance`) for hybrid `mi-…` nodes.
//!
//! Where the endpoint has it, the nodes come from `DescribeInstanceProperties`
//! instead ([`Listing::Properties`]: 1,000 a page, with the EC2 name, type,
//! state, zone and IP the console shows before any join); an endpoint that
//! answers its first page with an unknown operation or access denied is
//! listed with `DescribeInstanceInformation` (50 a page) from the start.
//! The EC2 join still runs (tags and AMI), [`EC2_BATCH`] ids a call.
//!
//! SSM pages are a sequential cursor; the EC2 join of each page runs alongside
//! the next page's request (at most [`EC2_CONCURRENCY`] at once), so the join
//! adds little to the SSM minimum. The patch state of each page's nodes
//! (`DescribeInstancePatchStates`, one call per page of at most 50 ids)
//! runs alongside in the same way; an endpoint without it leaves the PATCH
//! column out.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Instant;

use aws_sdk_ec2::types::Filter;
use aws_sdk_ssm::types::{InstanceInformation, ResourceTypeForTagging};
use tokio::task::JoinSet;

use super::resume::{self, Stall};
use super::{AwsContext, AwsError, ErrorKind};
use crate::model::{Ec2Details, ManagedNode, PatchSummary, PingStatus};

/// DescribeInstanceInformation page size (the API's maximum).
pub const SSM_PAGE_SIZE: i32 = 50;
/// DescribeInstanceProperties page size (the API's maximum).
pub const PROPERTIES_PAGE_SIZE: i32 = 1000;
/// Instance ids per EC2 DescribeInstances call of the join (the
/// `instance-id` filter's values).
pub const EC2_BATCH: usize = 200;
/// Node ids per DescribeInstancePatchStates call (the API's `InstanceIds`
/// limit).
pub const PATCH_BATCH: usize = 50;

/// Which SSM operation lists the managed nodes (config.toml `[fleet]
/// listing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Listing {
    /// `DescribeInstanceProperties` (1,000 a page), falling back to
    /// [`Listing::Information`] where the endpoint lacks it or denies it.
    /// It does not say whether an agent is the newest (`IsLatestVersion`).
    #[default]
    Properties,
    /// `DescribeInstanceInformation` only (50 a page); it gives
    /// `IsLatestVersion`, which `agent:outdated` asks (after a
    /// [`Listing::Properties`] load, [`agent_currency`] reads it then).
    Information,
}

impl Listing {
    /// The SSM operation, as IAM names it.
    pub fn operation(self) -> &'static str {
        match self {
            Listing::Properties => "ssm:DescribeInstanceProperties",
            Listing::Information => "ssm:DescribeInstanceInformation",
        }
    }
}
/// EC2 join calls in flight at once.
pub const EC2_CONCURRENCY: usize = 8;
/// `ListTagsForResource` calls in flight at once.
pub const TAG_CONCURRENCY: usize = 8;
/// `DescribeInstancePatchStates` calls in flight at once.
pub const PATCH_CONCURRENCY: usize = 8;
/// Counts and wall time of one fleet load.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadStats {
    /// Managed nodes received.
    pub nodes: usize,
    /// `DescribeInstanceProperties` or `DescribeInstanceInformation`
    /// calls made (pages, a fallen-back first call included).
    pub ssm_calls: u32,
    /// The listing the nodes came from (a fallback shows here).
    pub listing: Listing,
    /// `DescribeInstances` calls made.
    pub ec2_calls: u32,
    /// `ListTagsForResource` calls made.
    pub tag_calls: u32,
    /// `DescribeInstancePatchStates` calls made.
    pub patch_calls: u32,
    /// Wall time until every SSM page and EC2 join had arrived, milliseconds.
    pub ec2_done_ms: u64,
    /// Wall time from first request to last answer (hybrid tags included), milliseconds.
    pub elapsed_ms: u64,
}

/// One EC2 join result: node id, details, tags.
pub type Ec2Join = (String, Ec2Details, Vec<(String, String)>);

/// What a fleet load reports, in order of arrival.
#[derive(Debug, Clone, PartialEq)]
pub enum FleetEvent {
    /// One SSM page of managed nodes (EC2 columns not yet joined).
    Page(Vec<ManagedNode>),
    /// EC2 details and tags for some `i-…` nodes.
    Ec2(Vec<Ec2Join>),
    /// The EC2 join failed (typically access denied); the pane shows SSM columns only.
    Ec2Unavailable(AwsError),
    /// Tags of one hybrid node.
    Tags(String, Vec<(String, String)>),
    /// Tags of a hybrid node could not be read.
    TagsFailed(AwsError),
    /// The patch state of the nodes of one page: `asked` are the node ids
    /// asked about; those absent from `states` were never scanned.
    Patch {
        /// Node ids asked about (one SSM page).
        asked: Vec<String>,
        /// `(node id, summary)` for each node Patch Manager reported on.
        states: Vec<(String, PatchSummary)>,
    },
    /// The patch state cannot be read (the endpoint lacks the operation,
    /// or access denied); reported once, later pages skip it.
    PatchUnavailable(AwsError),
    /// The maintenance windows that target a node and their last runs
    /// (the node details ask for them; not part of a load).
    NodeWindows {
        /// The managed node id.
        node: String,
        /// Its windows, or why not.
        result: Result<Vec<super::maintenance::NodeWindow>, AwsError>,
    },
    /// One part of a node's posture (the node details' tabs ask for it;
    /// not part of a load).
    Posture {
        /// The managed node id.
        node: String,
        /// Which part.
        part: super::posture::PosturePart,
        /// The part, or why not.
        result: Result<super::posture::Posture, AwsError>,
    },
    /// The answers to the filter's remote terms (`pkg:`, `compliance:`),
    /// every context's (not part of a load).
    Remote(Vec<super::node_query::TermAnswer>),
    /// Whether each node's agent is the newest release, or why not
    /// ([`agent_currency`]; not part of a load).
    AgentCurrency(Result<Vec<(String, bool)>, AwsError>),
    /// The deregistration of hybrid nodes answered: each node's context,
    /// id and result (not part of a load).
    Deregistered(Vec<(crate::model::ContextId, String, Result<(), AwsError>)>),
    /// Every page and join finished.
    Done(LoadStats),
    /// A page failed with a passing fault after the SDK's retries: the load
    /// asks for the same page again, its NextToken kept (see
    /// [`resume`](super::resume)).
    Stalled(Stall),
    /// The SSM listing failed (at once, or after every resume round); the
    /// pages that arrived before stay; nothing more follows.
    Failed(AwsError),
}

fn node_from_sdk(i: InstanceInformation) -> ManagedNode {
    let epoch = |d: Option<aws_sdk_ssm::primitives::DateTime>| d.map(|d| d.secs());
    let id = i.instance_id.unwrap_or_default();
    ManagedNode {
        name: i.name.unwrap_or_default(),
        ping_status: i
            .ping_status
            .as_ref()
            .map_or(PingStatus::Unknown, |p| PingStatus::parse(p.as_str())),
        last_ping_s: epoch(i.last_ping_date_time),
        agent_version: i.agent_version.unwrap_or_default(),
        agent_is_latest: i.is_latest_version,
        platform_type: i
            .platform_type
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default(),
        platform_name: i.platform_name.unwrap_or_default(),
        platform_version: i.platform_version.unwrap_or_default(),
        ip: i.ip_address.unwrap_or_default(),
        computer_name: i.computer_name.unwrap_or_default(),
        resource_type: i
            .resource_type
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default(),
        iam_role: i.iam_role.unwrap_or_default(),
        association_status: i.association_status.unwrap_or_default(),
        activation_id: i.activation_id.unwrap_or_default(),
        registration_s: epoch(i.registration_date),
        ec2: None,
        tags: Vec::new(),
        ctx: crate::model::ContextId::default(),
        patch: crate::model::Patch::Unknown,
        associations: i
            .association_overview
            .as_ref()
            .and_then(|o| o.instance_association_status_aggregated_count.as_ref())
            .map(crate::model::AssociationCounts::from_map),
        id,
    }
}

/// A node of DescribeInstanceProperties: the DescribeInstanceInformation
/// fields but `IsLatestVersion`, and for EC2 nodes the EC2 details it
/// carries (the AMI comes with the EC2 join).
fn node_from_property(p: aws_sdk_ssm::types::InstanceProperty) -> ManagedNode {
    let epoch = |d: Option<aws_sdk_ssm::primitives::DateTime>| d.map(|d| d.secs());
    let id = p.instance_id.unwrap_or_default();
    let ip = p.ip_address.unwrap_or_default();
    let ec2 = id.starts_with("i-").then(|| Ec2Details {
        instance_type: p.instance_type.unwrap_or_default(),
        state: p.instance_state.unwrap_or_default(),
        availability_zone: p.availability_zone.unwrap_or_default(),
        private_ip: ip.clone(),
        launch_time_s: epoch(p.launch_time),
        image_id: String::new(),
    });
    ManagedNode {
        name: p.name.unwrap_or_default(),
        ping_status: p
            .ping_status
            .as_ref()
            .map_or(PingStatus::Unknown, |s| PingStatus::parse(s.as_str())),
        last_ping_s: epoch(p.last_ping_date_time),
        agent_version: p.agent_version.unwrap_or_default(),
        agent_is_latest: None,
        platform_type: p
            .platform_type
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default(),
        platform_name: p.platform_name.unwrap_or_default(),
        platform_version: p.platform_version.unwrap_or_default(),
        ip,
        computer_name: p.computer_name.unwrap_or_default(),
        resource_type: p.resource_type.unwrap_or_default(),
        iam_role: p.iam_role.unwrap_or_default(),
        association_status: p.association_status.unwrap_or_default(),
        activation_id: p.activation_id.unwrap_or_default(),
        registration_s: epoch(p.registration_date),
        ec2,
        tags: Vec::new(),
        ctx: crate::model::ContextId::default(),
        patch: crate::model::Patch::Unknown,
        associations: p
            .association_overview
            .as_ref()
            .and_then(|o| o.instance_association_status_aggregated_count.as_ref())
            .map(crate::model::AssociationCounts::from_map),
        id,
    }
}

/// One page of managed nodes by `listing` from `token`, and the next
/// page's token.
///
/// # Errors
/// [`AwsError`] for `listing`'s operation.
async fn list_page(
    ctx: &AwsContext,
    listing: Listing,
    token: Option<String>,
) -> Result<(Vec<ManagedNode>, Option<String>), AwsError> {
    let more = |t: Option<String>| t.filter(|t| !t.is_empty());
    match listing {
        Listing::Properties => {
            let out = ctx
                .ssm
                .describe_instance_properties()
                .max_results(PROPERTIES_PAGE_SIZE)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| ctx.error(listing.operation(), e))?;
            let nodes = out.instance_properties.unwrap_or_default();
            Ok((
                nodes.into_iter().map(node_from_property).collect(),
                more(out.next_token),
            ))
        }
        Listing::Information => {
            let out = ctx
                .ssm
                .describe_instance_information()
                .max_results(SSM_PAGE_SIZE)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| ctx.error(listing.operation(), e))?;
            let nodes = out.instance_information_list.unwrap_or_default();
            Ok((
                nodes.into_iter().map(node_from_sdk).collect(),
                more(out.next_token),
            ))
        }
    }
}

/// Whether each managed node's SSM Agent is the newest release
/// (DescribeInstanceInformation's `IsLatestVersion`, every page, 50 a
/// page): what a [`Listing::Properties`] load lacks, read when the Fleet
/// filter asks `agent:outdated` or `agent:latest`. `(node id, latest)`.
///
/// # Errors
/// [`AwsError`] for `ssm:DescribeInstanceInformation`.
pub async fn agent_currency(ctx: &AwsContext) -> Result<Vec<(String, bool)>, AwsError> {
    let mut pages = ctx
        .ssm
        .describe_instance_information()
        .max_results(SSM_PAGE_SIZE)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ctx.error("ssm:DescribeInstanceInformation", e))?;
        out.extend(
            page.instance_information_list()
                .iter()
                .filter_map(|i| Some((i.instance_id.clone()?, i.is_latest_version?))),
        );
    }
    Ok(out)
}

/// Reads the patch state of `ids` (at most 50, the API's `InstanceIds`
/// limit), every page (`DescribeInstancePatchStates`, 50 a page). Nodes
/// Patch Manager never scanned are absent from the answer. Returns the
/// summaries and the number of calls made.
///
/// # Errors
/// [`AwsError`] for `ssm:DescribeInstancePatchStates`.
pub async fn describe_patch_states(
    ctx: &AwsContext,
    ids: Vec<String>,
) -> Result<(Vec<(String, PatchSummary)>, u32), AwsError> {
    let mut out = Vec::with_capacity(ids.len());
    let mut calls = 0;
    let mut pages = ctx
        .ssm
        .describe_instance_patch_states()
        .set_instance_ids(Some(ids))
        .max_results(50)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        calls += 1;
        let resp = page.map_err(|e| ctx.error("ssm:DescribeInstancePatchStates", e))?;
        for p in resp.instance_patch_states.unwrap_or_default() {
            let count = |c: Option<i32>| u32::try_from(c.unwrap_or(0)).unwrap_or(0);
            let summary = PatchSummary {
                missing: count(Some(p.missing_count)),
                failed: count(Some(p.failed_count)),
                pending_reboot: count(p.installed_pending_reboot_count),
                critical: count(p.critical_non_compliant_count),
                security: count(p.security_non_compliant_count),
                installed: count(Some(p.installed_count)),
                operation: p.operation.as_str().to_owned(),
                ended_s: Some(p.operation_end_time.secs()),
            };
            out.push((p.instance_id, summary));
        }
    }
    Ok((out, calls))
}

/// Reads EC2 details and tags for `ids` (`i-…` only) with the `instance-id`
/// filter, every page. Unknown ids are skipped, not errors.
///
/// # Errors
/// [`AwsError`] for `ec2:DescribeInstances`.
pub async fn describe_ec2(
    ctx: &AwsContext,
    ids: Vec<String>,
) -> Result<(Vec<Ec2Join>, u32), AwsError> {
    let mut out = Vec::with_capacity(ids.len());
    let mut calls = 0;
    let mut pages = ctx
        .ec2
        .describe_instances()
        .filters(
            Filter::builder()
                .name("instance-id")
                .set_values(Some(ids))
                .build(),
        )
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        calls += 1;
        let resp = page.map_err(|e| ctx.error("ec2:DescribeInstances", e))?;
        for r in resp.reservations.unwrap_or_default() {
            for i in r.instances.unwrap_or_default() {
                let details = Ec2Details {
                    instance_type: i
                        .instance_type
                        .as_ref()
                        .map(|t| t.as_str().to_owned())
                        .unwrap_or_default(),
                    state: i
                        .state
                        .as_ref()
                        .and_then(|s| s.name.as_ref())
                        .map(|n| n.as_str().to_owned())
                        .unwrap_or_default(),
                    availability_zone: i
                        .placement
                        .as_ref()
                        .and_then(|p| p.availability_zone.clone())
                        .unwrap_or_default(),
                    private_ip: i.private_ip_address.clone().unwrap_or_default(),
                    launch_time_s: i.launch_time.map(|t| t.secs()),
                    image_id: i.image_id.clone().unwrap_or_default(),
                };
                let tags = i
                    .tags
                    .unwrap_or_default()
                    .into_iter()
                    .map(|t| (t.key.unwrap_or_default(), t.value.unwrap_or_default()))
                    .collect();
                out.push((i.instance_id.unwrap_or_default(), details, tags));
            }
        }
    }
    Ok((out, calls))
}

/// Tags of a hybrid node (`ListTagsForResource`, `ResourceType=ManagedInstance`).
///
/// # Errors
/// [`AwsError`] for `ssm:ListTagsForResource`.
pub async fn hybrid_tags(ctx: &AwsContext, id: &str) -> Result<Vec<(String, String)>, AwsError> {
    let out = ctx
        .ssm
        .list_tags_for_resource()
        .resource_type(ResourceTypeForTagging::ManagedInstance)
        .resource_id(id)
        .send()
        .await
        .map_err(|e| ctx.error("ssm:ListTagsForResource", e))?;
    Ok(out
        .tag_list
        .unwrap_or_default()
        .into_iter()
        .map(|t| (t.key, t.value))
        .collect())
}

/// The joins of one load: EC2 details, patch state and hybrid tags, each
/// with its gate and call count.
struct Joins {
    ec2: PageJoin,
    patch: PageJoin,
    tag_gate: Arc<super::gate::Gate>,
    tag_calls: Arc<AtomicU32>,
    joins: JoinSet<()>,
    tag_joins: JoinSet<()>,
}

impl Joins {
    fn new() -> Self {
        // Each join gives way under throttling (fewer at once) and asks a
        // throttled page again instead of dropping its names and tags.
        Joins {
            ec2: PageJoin::new(EC2_CONCURRENCY),
            patch: PageJoin::new(PATCH_CONCURRENCY),
            tag_gate: super::gate::Gate::new(TAG_CONCURRENCY),
            tag_calls: Arc::new(AtomicU32::new(0)),
            joins: JoinSet::new(),
            tag_joins: JoinSet::new(),
        }
    }

    /// Starts the joins of one page's `nodes`: patch state
    /// [`PATCH_BATCH`] ids a call, EC2 [`EC2_BATCH`] a call, one tag call
    /// per hybrid node.
    fn start<F>(&mut self, ctx: &AwsContext, nodes: &[ManagedNode], emit: &Arc<F>)
    where
        F: Fn(FleetEvent) + Send + Sync + 'static,
    {
        let all_ids: Vec<String> = nodes.iter().map(|n| n.id.clone()).collect();
        let ec2_ids: Vec<String> = all_ids
            .iter()
            .filter(|id| id.starts_with("i-"))
            .cloned()
            .collect();
        for ids in all_ids.chunks(PATCH_BATCH).filter(|_| !self.patch.is_off()) {
            let (c, ids, asked) = (ctx.clone(), ids.to_vec(), ids.to_vec());
            self.joins.spawn(self.patch.clone().run(
                move || {
                    let (c, ids) = (c.clone(), ids.clone());
                    async move { describe_patch_states(&c, ids).await }
                },
                move |states| FleetEvent::Patch { asked, states },
                FleetEvent::PatchUnavailable,
                emit.clone(),
            ));
        }
        for ids in ec2_ids.chunks(EC2_BATCH).filter(|_| !self.ec2.is_off()) {
            let (c, ids) = (ctx.clone(), ids.to_vec());
            self.joins.spawn(self.ec2.clone().run(
                move || {
                    let (c, ids) = (c.clone(), ids.clone());
                    async move { describe_ec2(&c, ids).await }
                },
                FleetEvent::Ec2,
                FleetEvent::Ec2Unavailable,
                emit.clone(),
            ));
        }
        for n in nodes.iter().filter(|n| n.is_hybrid()) {
            let (ctx, emit, gate, calls, id) = (
                ctx.clone(),
                emit.clone(),
                self.tag_gate.clone(),
                self.tag_calls.clone(),
                n.id.clone(),
            );
            self.tag_joins.spawn(async move {
                let r = gated(&gate, || {
                    calls.fetch_add(1, Ordering::Relaxed);
                    hybrid_tags(&ctx, &id)
                })
                .await;
                match r {
                    Ok(tags) => emit(FleetEvent::Tags(id, tags)),
                    Err(e) => emit(FleetEvent::TagsFailed(e)),
                }
            });
        }
    }

    fn abort(&mut self) {
        self.joins.abort_all();
        self.tag_joins.abort_all();
    }
}

/// Loads the whole fleet by `listing` (falling back from
/// [`Listing::Properties`] as the module says), reporting through `emit`
/// as pages and joins arrive. Ends with [`FleetEvent::Done`] or
/// [`FleetEvent::Failed`]. Dropping the future cancels every call still
/// in flight.
pub async fn load_fleet<F>(ctx: AwsContext, listing: Listing, emit: F)
where
    F: Fn(FleetEvent) + Send + Sync + 'static,
{
    let emit = Arc::new(emit);
    let started = Instant::now();
    let mut joins = Joins::new();
    let mut stats = LoadStats {
        listing,
        ..LoadStats::default()
    };
    let mut token: Option<String> = None;
    loop {
        let calls = &mut stats.ssm_calls;
        let (page, listing) = (token.clone(), stats.listing);
        let stalled = emit.clone();
        let resp = resume::again(
            || {
                *calls += 1;
                list_page(&ctx, listing, page.clone())
            },
            stats.nodes > 0,
            move |s| stalled(FleetEvent::Stalled(s)),
        )
        .await;
        let (nodes, next) = match resp {
            Err(e) if listing == Listing::Properties && token.is_none() && is_permanent(&e) => {
                tracing::info!(error = %e, "DescribeInstanceProperties refused; listing with DescribeInstanceInformation");
                stats.listing = Listing::Information;
                continue;
            }
            Err(e) => {
                joins.abort();
                emit(FleetEvent::Failed(e));
                return;
            }
            Ok(page) => page,
        };
        stats.nodes += nodes.len();
        joins.start(&ctx, &nodes, &emit);
        emit(FleetEvent::Page(nodes));
        match next {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    while joins.joins.join_next().await.is_some() {}
    stats.ec2_done_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    while joins.tag_joins.join_next().await.is_some() {}
    stats.ec2_calls = joins.ec2.calls.load(Ordering::Relaxed);
    stats.tag_calls = joins.tag_calls.load(Ordering::Relaxed);
    stats.patch_calls = joins.patch.calls.load(Ordering::Relaxed);
    stats.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    emit(FleetEvent::Done(stats));
}

/// A per-page join of one load (EC2 details, patch state): its AIMD gate,
/// the switch a permanent failure turns off, and its call count.
#[derive(Clone)]
struct PageJoin {
    gate: Arc<super::gate::Gate>,
    off: Arc<AtomicBool>,
    calls: Arc<AtomicU32>,
}

impl PageJoin {
    fn new(concurrency: usize) -> Self {
        PageJoin {
            gate: super::gate::Gate::new(concurrency),
            off: Arc::new(AtomicBool::new(false)),
            calls: Arc::new(AtomicU32::new(0)),
        }
    }

    /// Turned off by a permanent failure: later pages skip the join.
    fn is_off(&self) -> bool {
        self.off.load(Ordering::Relaxed)
    }

    /// Runs one page's join through the gate and reports it: `ok` of the
    /// answer, else `unavailable` of the error. A permanent failure
    /// (unknown operation, access denied) is reported once and turns the
    /// join off; a passing one is reported for its page.
    async fn run<T, Fut, F>(
        self,
        call: impl FnMut() -> Fut,
        ok: impl FnOnce(T) -> FleetEvent,
        unavailable: fn(AwsError) -> FleetEvent,
        emit: Arc<F>,
    ) where
        Fut: std::future::Future<Output = Result<(T, u32), AwsError>>,
        F: Fn(FleetEvent) + Send + Sync + 'static,
    {
        if self.is_off() {
            return;
        }
        match gated(&self.gate, call).await {
            Ok((answer, n)) => {
                self.calls.fetch_add(n, Ordering::Relaxed);
                emit(ok(answer));
            }
            Err(e) => {
                self.calls.fetch_add(1, Ordering::Relaxed);
                if !is_permanent(&e) || !self.off.swap(true, Ordering::Relaxed) {
                    emit(unavailable(e));
                }
            }
        }
    }
}

/// One join call through `gate`: a turn, the call, the gate told how it
/// went; a throttled or otherwise passing failure is asked again after a
/// pause ([`resume::again`]), at the lower concurrency the gate then allows.
async fn gated<T, Fut>(
    gate: &Arc<super::gate::Gate>,
    mut call: impl FnMut() -> Fut,
) -> Result<T, AwsError>
where
    Fut: std::future::Future<Output = Result<T, AwsError>>,
{
    resume::again(
        || {
            let fut = call();
            async move {
                let _turn = gate.enter().await;
                let r = fut.await;
                match &r {
                    Err(e) if e.kind == ErrorKind::Throttled => gate.throttled(),
                    Err(_) => {}
                    Ok(_) => gate.succeeded(),
                }
                r
            }
        },
        true,
        |_| {},
    )
    .await
}

/// Whether an error means the EC2 join cannot be had (as opposed to a passing fault).
pub fn is_permanent(e: &AwsError) -> bool {
    matches!(
        e.kind,
        ErrorKind::AccessDenied | ErrorKind::Unsupported | ErrorKind::Credentials
    )
}
