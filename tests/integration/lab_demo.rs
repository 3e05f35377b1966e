//! The demo fleet looks like a real account: Online nodes pinged minutes ago,
//! a hostname per node, EC2 status-check OpsItems only about EC2 instances,
//! and prod web nodes in every ping state.

use std::collections::HashSet;
use std::time::SystemTime;

use serde_json::{Value, json};
use ssmdeck_lab::LabConfig;

use crate::lab_validation::json_call;

/// Every page of an SSM list call: the items under `key`.
async fn all_pages(
    lab: &ssmdeck_lab::LabHandle,
    action: &str,
    body: Value,
    key: &str,
) -> Vec<Value> {
    let mut out = Vec::new();
    let mut body = body;
    for _ in 0..1_000 {
        let (status, v) = json_call(lab, "ssm", action, &body).await;
        assert_eq!(status, 200, "{action}: {v}");
        out.extend(v[key].as_array().cloned().unwrap_or_default());
        match v["NextToken"].as_str() {
            Some(t) => body["NextToken"] = Value::String(t.to_owned()),
            None => return out,
        }
    }
    panic!("{action} did not end in 1,000 pages");
}

#[tokio::test]
async fn the_demo_fleet_pings_now_names_each_host_and_checks_only_ec2_instances() {
    let lab = ssmdeck_lab::start(LabConfig::default())
        .await
        .expect("lab starts");
    let nodes = all_pages(
        &lab,
        "DescribeInstanceInformation",
        json!({"MaxResults": 50}),
        "InstanceInformationList",
    )
    .await;
    assert_eq!(nodes.len(), 300);
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let mut online = 0;
    for n in &nodes {
        let ping = n["LastPingDateTime"].as_f64().expect("a ping time");
        if n["PingStatus"] == "Online" {
            online += 1;
            // Agents ping about every 5 minutes; allow a minute for the call.
            assert!(
                (0.0..=360.0).contains(&(now - ping)),
                "{} pinged {:.0} s ago",
                n["InstanceId"],
                now - ping
            );
        } else {
            assert!(
                now - ping > 3_000.0,
                "{} is {} but pinged {:.0} s ago",
                n["InstanceId"],
                n["PingStatus"],
                now - ping
            );
        }
    }
    assert!(online > 200, "{online} online");
    let hostnames: HashSet<&str> = nodes
        .iter()
        .filter_map(|n| n["ComputerName"].as_str())
        .collect();
    assert_eq!(hostnames.len(), nodes.len(), "a ComputerName per node");
    // EC2 status checks are about EC2 instances, never hybrid (mi-) nodes.
    let items = all_pages(
        &lab,
        "DescribeOpsItems",
        json!({"MaxResults": 50}),
        "OpsItemSummaries",
    )
    .await;
    assert_eq!(items.len(), 80);
    let checks: Vec<&Value> = items.iter().filter(|i| i["Source"] == "EC2").collect();
    assert!(!checks.is_empty(), "the demo has status-check OpsItems");
    for i in &checks {
        let resources = i["OperationalData"]["/aws/resources"]["Value"]
            .as_str()
            .unwrap_or("");
        assert!(
            resources.contains(":instance/i-") && !resources.contains("managed-instance"),
            "{}: {resources}",
            i["Title"]
        );
        assert!(
            !i["Title"].as_str().unwrap_or("").contains("(mi-"),
            "{}",
            i["Title"]
        );
    }
    lab.shutdown().await;
}

#[tokio::test]
async fn the_demo_fleet_has_prod_web_nodes_in_every_ping_state() {
    let lab = ssmdeck_lab::start(LabConfig::default())
        .await
        .expect("lab starts");
    for state in ["Online", "ConnectionLost", "Inactive"] {
        let found = all_pages(
            &lab,
            "DescribeInstanceInformation",
            json!({"Filters": [
                {"Key": "tag:Env", "Values": ["prod"]},
                {"Key": "tag:Role", "Values": ["web"]},
                {"Key": "PingStatus", "Values": [state]},
            ]}),
            "InstanceInformationList",
        )
        .await;
        assert!(!found.is_empty(), "a prod web node that is {state}");
        assert!(found.iter().all(|n| n["PingStatus"] == state), "{found:?}");
    }
    lab.shutdown().await;
}

/// Issue 18 item 9: `lab serve --env-file PATH` writes its four export
/// lines 0600 (the README's `> /tmp/lab.env` left the secret key
/// world-readable), and the key in it works against the lab.
#[test]
fn lab_serve_writes_its_env_file_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("ssmdeck-envfile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("lab.env");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ssmdeck"))
        .args(["lab", "serve", "--fleet", "small", "--env-file"])
        .arg(&path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::fs::metadata(&path).map_or(true, |m| m.len() == 0) {
        assert!(std::time::Instant::now() < deadline, "no env file");
        assert!(child.try_wait().unwrap().is_none(), "lab serve ended");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    let text = std::fs::read_to_string(&path).unwrap();
    // Stop it by its PID (SIGTERM: a clean shutdown).
    let _ = std::process::Command::new("kill")
        .arg(child.id().to_string())
        .status();
    let status = child.wait().unwrap();
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(mode, 0o600, "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with("export AWS_ENDPOINT_URL=http://127.0.0.1:"));
    assert!(lines[2].starts_with("export AWS_SECRET_ACCESS_KEY="));
    assert!(
        !stdout.contains("AWS_SECRET_ACCESS_KEY"),
        "the key went to stdout too: {stdout}"
    );
    assert!(status.success() || status.code().is_none(), "{status:?}");
}
