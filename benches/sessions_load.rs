//! Load scenario: Session Manager through the lab's websocket gateway on
//! loopback (in-process lab, a real shell in a PTY), the console's native
//! client.
//!
//! Reports:
//! - keystroke-to-echo latency: one character sent, time until the shell's
//!   echo arrives (200 keystrokes; median, p99, max);
//! - `cat` of a 20 MB file through the session: MB/s at the client, and
//!   with every byte also fed to the vt100 terminal the pane draws from;
//! - port forwarding throughput: 20 MB through a forwarded connection to a
//!   loopback echo server and back.
//!
//! Run: `cargo bench --bench sessions_load`.

use std::time::{Duration, Instant};

use ssmdeck::aws::{AwsContext, ConnectOptions};
use ssmdeck::session::client::{self, SessionEvent, SessionInput};
use ssmdeck::session::forward::{self, ForwardSpec};
use ssmdeck::session::protocol::TermSize;
use ssmdeck_lab::{FleetSpec, LabConfig, PingStatus};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

async fn wait_for(
    rx: &mut mpsc::UnboundedReceiver<SessionEvent>,
    buf: &mut Vec<u8>,
    needle: &[u8],
    parser: Option<&mut vt100::Parser>,
) {
    let mut parser = parser;
    loop {
        if buf.windows(needle.len()).any(|w| w == needle) {
            return;
        }
        match tokio::time::timeout(Duration::from_secs(60), rx.recv()).await {
            Ok(Some(SessionEvent::Output(b))) => {
                if let Some(p) = parser.as_deref_mut() {
                    p.process(&b);
                }
                // Keep only a tail: the needle is short.
                buf.extend_from_slice(&b);
                if buf.len() > 1 << 16 {
                    buf.drain(..buf.len() - 1024);
                }
            }
            Ok(Some(_)) => {}
            other => panic!("session ended early: {other:?}"),
        }
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("sessions_load: run with `cargo bench --bench sessions_load`");
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let lab = ssmdeck_lab::start(LabConfig {
            fleet: FleetSpec::small(),
            ..LabConfig::default()
        })
        .await
        .unwrap();
        let ctx = AwsContext::connect(
            &ConnectOptions {
                region: Some(lab.region().into()),
                endpoint_url: Some(lab.endpoint_url()),
                static_credentials: Some((
                    lab.credentials().access_key_id.clone(),
                    lab.credentials().secret_access_key.clone(),
                )),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
        let node = lab
            .nodes()
            .into_iter()
            .find(|n| n.ping == PingStatus::Online)
            .unwrap()
            .id;
        let open = || async {
            let started = client::start(&ctx, &node).await.unwrap();
            let (in_tx, in_rx) = mpsc::unbounded_channel();
            let (ev_tx, ev_rx) = mpsc::unbounded_channel();
            tokio::spawn(client::run(
                ctx.clone(),
                started,
                TermSize {
                    cols: 200,
                    rows: 50,
                },
                in_rx,
                ev_tx,
            ));
            (in_tx, ev_rx)
        };
        // Keystroke to echo.
        let (input, mut events) = open().await;
        let mut buf = Vec::new();
        input
            .send(SessionInput::Keys(b"echo ready\r".to_vec()))
            .unwrap();
        wait_for(&mut events, &mut buf, b"ready\r\n", None).await;
        let mut lat = Vec::new();
        for i in 0..200 {
            let c = b'a' + (i % 26) as u8;
            // Let the previous erase finish, and drop what it printed.
            tokio::time::sleep(Duration::from_millis(5)).await;
            while events.try_recv().is_ok() {}
            buf.clear();
            let t = Instant::now();
            input.send(SessionInput::Keys(vec![c])).unwrap();
            wait_for(&mut events, &mut buf, &[c], None).await;
            lat.push(t.elapsed().as_secs_f64() * 1e3);
            input.send(SessionInput::Keys(vec![0x7f])).unwrap();
        }
        println!(
            "keystroke to echo (200): median {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            pct(&mut lat, 0.5),
            pct(&mut lat, 0.99),
            pct(&mut lat, 1.0)
        );
        // cat of 20 MB.
        input
            .send(SessionInput::Keys(
                b"head -c 20971520 /dev/zero | tr '\\0' 'x' | fold -w 199 > big.txt; echo made\r"
                    .to_vec(),
            ))
            .unwrap();
        buf.clear();
        wait_for(&mut events, &mut buf, b"made\r\n", None).await;
        for with_terminal in [false, true] {
            let mut parser = vt100::Parser::new(50, 200, 5_000);
            buf.clear();
            let t = Instant::now();
            input
                .send(SessionInput::Keys(
                    b"cat big.txt; echo END-$((1+1))\r".to_vec(),
                ))
                .unwrap();
            wait_for(
                &mut events,
                &mut buf,
                b"END-2",
                with_terminal.then_some(&mut parser),
            )
            .await;
            let secs = t.elapsed().as_secs_f64();
            println!(
                "cat 20 MB through the session{}: {:.2} s, {:.1} MB/s",
                if with_terminal {
                    " into the vt100 terminal"
                } else {
                    ""
                },
                secs,
                20.0 / secs
            );
        }
        input.send(SessionInput::Terminate).unwrap();
        // Port forwarding.
        let echo = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let echo_port = echo.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((c, _)) = echo.accept().await {
                tokio::spawn(async move {
                    let (mut r, mut w) = c.into_split();
                    let _ = tokio::io::copy(&mut r, &mut w).await;
                });
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let local = listener.local_addr().unwrap().port();
        let spec = ForwardSpec::parse(&format!("{local}:127.0.0.1:{echo_port}")).unwrap();
        let started = forward::start(&ctx, &node, &spec, local).await.unwrap();
        let (in_tx, in_rx) = mpsc::unbounded_channel();
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        let (out_tx, _out_rx) = mpsc::unbounded_channel();
        let (stats_tx, _stats_rx) = mpsc::unbounded_channel();
        let credit = forward::credit();
        tokio::spawn(client::run_port(
            ctx.clone(),
            started,
            in_rx,
            ev_tx,
            credit.clone(),
        ));
        tokio::spawn(forward::bridge(
            listener,
            in_tx.clone(),
            ev_rx,
            out_tx,
            stats_tx,
            credit,
        ));
        let size = 20 * 1024 * 1024;
        let data = vec![7u8; size];
        let c = tokio::net::TcpStream::connect(("127.0.0.1", local))
            .await
            .unwrap();
        let (mut r, mut w) = c.into_split();
        let t = Instant::now();
        let writer = tokio::spawn(async move {
            w.write_all(&data).await.unwrap();
        });
        let mut got = 0;
        let mut b = vec![0u8; 64 * 1024];
        while got < size {
            let n = r.read(&mut b).await.unwrap();
            assert!(n > 0, "the forward closed early at {got} bytes");
            got += n;
        }
        writer.await.unwrap();
        let secs = t.elapsed().as_secs_f64();
        println!(
            "port forward, 20 MB to an echo server and back: {:.2} s, {:.1} MB/s each way",
            secs,
            20.0 / secs
        );
        in_tx.send(SessionInput::Terminate).unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        lab.shutdown().await;
    });
}
