//! Shared helpers: an in-process lab and a context pointed at it.
#![allow(dead_code)]

pub mod live;

use std::sync::{Arc, Mutex};

use ssmdeck::aws::fleet::{FleetEvent, load_fleet};
use ssmdeck::aws::{AwsContext, ConnectOptions, NoticeSink};
use ssmdeck_lab::{Faults, FleetSpec, LabConfig, LabHandle};

/// Starts a lab with `nodes` nodes (seeded) and `faults`.
pub async fn lab(nodes: usize, faults: Faults) -> LabHandle {
    ssmdeck_lab::start(LabConfig {
        fleet: FleetSpec {
            nodes,
            seed: nodes as u64,
            ..FleetSpec::demo()
        },
        faults,
        ..LabConfig::default()
    })
    .await
    .expect("lab starts on loopback")
}

/// Options that point at `lab` with its credentials.
pub fn options(lab: &LabHandle) -> ConnectOptions {
    ConnectOptions {
        profile: None,
        region: Some(lab.region().to_owned()),
        endpoint_url: Some(lab.endpoint_url()),
        static_credentials: Some((
            lab.credentials().access_key_id.clone(),
            lab.credentials().secret_access_key.clone(),
        )),
        max_attempts: 0,
        timeouts: Default::default(),
        role_arn: None,
    }
}

/// A context for `lab`, collecting notices into the returned vector.
pub async fn context(lab: &LabHandle) -> (AwsContext, Arc<Mutex<Vec<String>>>) {
    context_with(options(lab)).await
}

/// A context for `opts`, collecting notices.
pub async fn context_with(opts: ConnectOptions) -> (AwsContext, Arc<Mutex<Vec<String>>>) {
    let notices = Arc::new(Mutex::new(Vec::new()));
    let sink_notices = notices.clone();
    let sink: NoticeSink = Arc::new(move |n| sink_notices.lock().unwrap().push(n));
    let ctx = AwsContext::connect(&opts, Some(sink))
        .await
        .expect("valid options");
    (ctx, notices)
}

/// Runs a whole fleet load listed by DescribeInstanceInformation (50 a
/// page: the paging, resume and join tests count its pages) and returns
/// its events in order.
pub async fn load(ctx: &AwsContext) -> Vec<FleetEvent> {
    load_by(ctx, ssmdeck::aws::fleet::Listing::Information).await
}

/// Runs a whole fleet load by `listing` and returns its events in order.
pub async fn load_by(ctx: &AwsContext, listing: ssmdeck::aws::fleet::Listing) -> Vec<FleetEvent> {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    load_fleet(ctx.clone(), listing, move |e| sink.lock().unwrap().push(e)).await;
    Arc::try_unwrap(events).unwrap().into_inner().unwrap()
}

/// Waits until `pred` holds, polling every 25 ms for at most 30 s (a
/// loaded machine runs the whole binary in parallel);
/// panics naming `what` otherwise.
pub async fn wait_for(what: &str, pred: impl Fn() -> bool) {
    for _ in 0..1200 {
        if pred() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for {what}");
}

/// A session's data channel, opened as session-manager-plugin opens it:
/// the websocket at the StartSession answer's StreamUrl, then the
/// `open_data_channel` text message with its token.
pub async fn open_channel(
    out: &aws_sdk_ssm::operation::start_session::StartSessionOutput,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    use futures::SinkExt;
    let (mut ws, _) = tokio_tungstenite::connect_async(out.stream_url().unwrap())
        .await
        .unwrap();
    let open = serde_json::json!({
        "MessageSchemaVersion": "1.0", "RequestId": "00000000-0000-4000-8000-000000000001",
        "TokenValue": out.token_value().unwrap(), "ClientId": "00000000-0000-4000-8000-000000000002",
        "ClientVersion": "1.2.0.0",
    });
    ws.send(tokio_tungstenite::tungstenite::Message::Text(
        open.to_string().into(),
    ))
    .await
    .unwrap();
    ws
}
