//! The lab closes idle connections as AWS does: HTTP connections between
//! requests after the HTTP idle timeout, a session's websocket after the
//! (longer) websocket idle timeout. Real sockets on loopback.

use std::time::{Duration, Instant};

use ssmdeck_lab::{Faults, LabConfig, LabHandle, PingStatus};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common;

async fn lab(http_s: u64, ws_s: u64) -> LabHandle {
    ssmdeck_lab::start(LabConfig {
        fleet: ssmdeck_lab::FleetSpec {
            nodes: 12,
            seed: 12,
            ..ssmdeck_lab::FleetSpec::demo()
        },
        faults: Faults::default(),
        http_idle_timeout: Duration::from_secs(http_s),
        websocket_idle_timeout: Duration::from_secs(ws_s),
        ..LabConfig::default()
    })
    .await
    .expect("lab starts on loopback")
}

/// Reads until the peer closes (EOF or reset); panics after 20 s.
async fn closed(sock: &mut tokio::net::TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(20), sock.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return got,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => panic!("the lab kept an idle connection open"),
        }
    }
}

#[tokio::test]
async fn idle_http_connections_are_closed_after_the_idle_timeout() {
    let lab = lab(1, 30).await;
    let addr = lab.endpoint_url().trim_start_matches("http://").to_owned();
    // Connected, never a byte sent.
    let mut silent = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let started = Instant::now();
    assert!(closed(&mut silent).await.is_empty());
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "not before"
    );
    // Two requests on one keep-alive connection, then silence: both
    // answered, then closed.
    let mut kept = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let req = format!("GET / HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    kept.write_all(req.as_bytes()).await.unwrap();
    kept.write_all(req.as_bytes()).await.unwrap();
    let got = String::from_utf8_lossy(&closed(&mut kept).await).into_owned();
    assert_eq!(got.matches("HTTP/1.1 ").count(), 2, "{got}");
    lab.shutdown().await;
}

#[tokio::test]
async fn a_session_websocket_outlives_the_http_idle_timeout_then_closes() {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let lab = lab(1, 3).await;
    let (ctx, _) = common::context(&lab).await;
    let node = lab
        .nodes()
        .into_iter()
        .find(|n| n.ping == PingStatus::Online)
        .unwrap();
    let out = ctx
        .ssm
        .start_session()
        .target(&node.id)
        .send()
        .await
        .unwrap();
    let mut ws = common::open_channel(&out).await;
    let sent = Instant::now();
    // Read what the gateway sends (its handshake, retransmitted while
    // unacknowledged: that keeps nothing alive) until it closes the socket
    // because the client is silent.
    loop {
        assert!(sent.elapsed() < Duration::from_secs(30), "never closed");
        match tokio::time::timeout(Duration::from_secs(20), ws.next()).await {
            Ok(Some(Ok(Message::Close(_)))) | Ok(Some(Err(_))) | Ok(None) => break,
            Ok(Some(Ok(_))) => {}
            Err(_) => panic!("the lab kept an idle websocket open"),
        }
    }
    assert!(
        sent.elapsed() >= Duration::from_millis(2_500),
        "closed by the websocket idle timeout (3 s), not the HTTP one (1 s): {:?} after the client's last frame",
        sent.elapsed()
    );
    lab.shutdown().await;
}
