//! End-to-end: the real binary (`ssmdeck demo`) in tmux, driven by keys as a
//! user would type, read back with `capture-pane`.
//!
//! Needs tmux (scripts/test installs it). Each test uses its own tmux server
//! socket and kills it when done.

use std::process::Command;
use std::time::{Duration, Instant};

use ssmdeck::filter::{FleetQuery, haystack, new_matcher};
use ssmdeck::model::ManagedNode;
use ssmdeck_lab::FleetSpec;

struct Tmux {
    socket: String,
    dir: std::path::PathBuf,
}

impl Tmux {
    /// Starts `ssmdeck demo --fleet small` in a detached session of `w`×`h`;
    /// after it exits the shell prints the exit code and `stty -a`.
    fn start(name: &str, w: u16, h: u16) -> Tmux {
        Self::start_with(name, w, h, None)
    }

    /// Like [`Tmux::start`], with `config_toml` as the config file. The
    /// config and data directories (audit log, saved state) are the test's own.
    fn start_with(name: &str, w: u16, h: u16, config_toml: Option<&str>) -> Tmux {
        Self::start_demo(name, w, h, config_toml, "")
    }

    /// Like [`Tmux::start_with`], with more `demo` arguments (`demo_args`,
    /// already shell-quoted).
    fn start_demo(name: &str, w: u16, h: u16, config_toml: Option<&str>, demo_args: &str) -> Tmux {
        let socket = format!("ssmdeck-e2e-{name}-{}", std::process::id());
        let dir = std::env::temp_dir().join(&socket);
        std::fs::create_dir_all(&dir).unwrap();
        if let Some(c) = config_toml {
            std::fs::write(dir.join("config.toml"), c).unwrap();
        }
        let bin = env!("CARGO_BIN_EXE_ssmdeck");
        let script = format!(
            "SSMDECK_CONFIG_DIR='{d}' SSMDECK_DATA_DIR='{d}/data' '{bin}' demo --fleet small {demo_args}; echo \"EXIT:$?\"; stty -a; sleep 30",
            d = dir.display()
        );
        let t = Tmux { socket, dir };
        t.run(&[
            "new-session",
            "-d",
            "-s",
            "e2e",
            "-x",
            &w.to_string(),
            "-y",
            &h.to_string(),
            "sh",
            "-c",
            &script,
        ]);
        t
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux is installed (scripts/test installs it)");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "e2e"])
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "e2e"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    fn text(&self, text: &str) {
        self.run(&["send-keys", "-t", "e2e", "-l", text]);
    }

    /// Waits (at most 30 s) until the screen satisfies `pred`; returns it.
    fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn shell_pid(&self) -> u32 {
        self.run(&["list-panes", "-t", "e2e", "-F", "#{pane_pid}"])
            .trim()
            .parse()
            .unwrap()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Node ids (from the table rows) on a captured screen.
fn ids_on_screen(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter(|l| l.starts_with('│'))
        .flat_map(|l| l.split_whitespace())
        .filter(|w| {
            (w.starts_with("i-") && w.len() == 19) || (w.starts_with("mi-") && w.len() == 20)
        })
        .map(str::to_owned)
        .collect()
}

fn assert_terminal_restored(screen: &str) {
    assert!(
        screen.contains(" icanon"),
        "canonical mode back on:\n{screen}"
    );
    assert!(!screen.contains("-icanon"), "still in raw mode:\n{screen}");
    assert!(screen.contains(" echo "), "echo back on:\n{screen}");
}

#[test]
#[ignore = "needs tmux: scripts/test runs it"]
fn filter_narrows_rows_and_quit_restores_the_terminal() {
    let t = Tmux::start("filter", 150, 40);
    let s = t.wait_for("the fleet to load", |s| {
        s.contains("24 nodes") && s.contains("loaded in")
    });
    assert!(s.contains("account 123456789012 (acme-management)"), "{s}");
    assert_eq!(ids_on_screen(&s).len(), 24, "all nodes fit:\n{s}");

    // What the filter should keep, computed from the lab's own fleet.
    let query = FleetQuery::parse("prod");
    let mut matcher = new_matcher();
    let mut expected: Vec<String> = FleetSpec::small()
        .generate()
        .into_iter()
        .map(|n| ManagedNode {
            id: n.id.clone(),
            name: n.name.clone(),
            ip: n.ip.clone(),
            tags: n.tags.clone(),
            ..Default::default()
        })
        .filter(|n| query.matches(n, &haystack(n), &mut matcher))
        .map(|n| n.id)
        .collect();
    expected.sort();
    assert!(!expected.is_empty() && expected.len() < 24);

    t.keys(&["/"]);
    t.text("prod");
    let s = t.wait_for("the filter to apply", |s| {
        s.contains(&format!("{} match /prod", expected.len()))
    });
    let mut shown = ids_on_screen(&s);
    shown.sort();
    assert_eq!(shown, expected, "rows on screen after /prod:\n{s}");
    assert!(
        s.contains("/prod█"),
        "the filter line shows the input:\n{s}"
    );

    // Enter keeps the filter; Esc then clears it.
    t.keys(&["Enter"]);
    t.keys(&["Escape"]);
    t.wait_for("the filter to clear", |s| ids_on_screen(s).len() == 24);

    t.keys(&["q"]);
    let s = t.wait_for("ssmdeck to exit and stty to report", |s| {
        s.contains("EXIT:") && s.contains("icanon")
    });
    assert!(s.contains("EXIT:0"), "{s}");
    assert_terminal_restored(&s);
}

/// Starts the console, sends it `signal` by PID, waits for the shell.
fn signal_restores_the_terminal(signal: &str) {
    let t = Tmux::start(&format!("sig{}", signal.to_lowercase()), 120, 30);
    t.wait_for("the fleet to load", |s| s.contains("loaded in"));
    let shell = t.shell_pid();
    let out = Command::new("pgrep")
        .args(["-P", &shell.to_string(), "ssmdeck"])
        .output()
        .expect("pgrep");
    let pid = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(!pid.is_empty(), "ssmdeck runs under the pane's shell");
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let s = t.wait_for(
        &format!("ssmdeck to exit on SIG{signal} and stty to report"),
        |s| s.contains("EXIT:") && s.contains("icanon"),
    );
    assert_terminal_restored(&s);
}

#[test]
#[ignore = "needs tmux: scripts/test runs it"]
fn sigterm_restores_the_terminal() {
    signal_restores_the_terminal("TERM");
}

/// Issue 18 item 7: SIGINT, SIGQUIT and SIGUSR1 left the terminal raw, on
/// the alternate screen, mouse reporting on.
#[test]
#[ignore = "needs tmux: scripts/test runs it"]
fn sigint_sigquit_and_sigusr1_restore_the_terminal() {
    for signal in ["INT", "QUIT", "USR1"] {
        signal_restores_the_terminal(signal);
    }
}

#[test]
#[ignore = "needs tmux: scripts/test runs it"]
fn small_terminal_gets_a_clear_message_and_resize_reflows() {
    let t = Tmux::start("resize", 120, 30);
    t.wait_for("the fleet to load", |s| s.contains("loaded in"));
    t.run(&["resize-window", "-t", "e2e", "-x", "50", "-y", "8"]);
    t.wait_for("the too-small message", |s| {
        s.contains("Terminal too small: 50×8")
    });
    t.run(&["resize-window", "-t", "e2e", "-x", "130", "-y", "30"]);
    let s = t.wait_for("the table again", |s| s.contains("NODE ID"));
    assert!(!s.contains("too small"), "{s}");
    t.keys(&["q"]);
    t.wait_for("ssmdeck to exit", |s| s.contains("EXIT:0"));
}

#[test]
fn bad_endpoint_is_a_clear_error_at_start() {
    let out = Command::new(env!("CARGO_BIN_EXE_ssmdeck"))
        .args(["--endpoint-url", "localhost:4566", "--region", "us-east-1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("invalid endpoint URL 'localhost:4566'"),
        "{err}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_ssmdeck"))
        .args(["--region", "narnia", "demo"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("invalid region 'narnia'"), "{err}");
}

#[test]
#[ignore = "needs tmux: scripts/test runs it"]
fn expired_sso_profile_names_the_login_command() {
    let socket = format!("ssmdeck-e2e-sso-{}", std::process::id());
    let dir = std::env::temp_dir().join(&socket);
    std::fs::create_dir_all(dir.join("home")).unwrap();
    std::fs::write(
        dir.join("aws-config"),
        "[profile oncall-sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = OnCall\nregion = eu-west-1\n\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n",
    )
    .unwrap();
    let bin = env!("CARGO_BIN_EXE_ssmdeck");
    // No cached SSO token: credentials fail before any network call; the
    // endpoint is a closed loopback port so nothing leaves the machine.
    let script = format!(
        "HOME='{home}' AWS_CONFIG_FILE='{cfg}' AWS_SHARED_CREDENTIALS_FILE=/dev/null SSMDECK_CONFIG_DIR='{home}' AWS_EC2_METADATA_DISABLED=true '{bin}' --profile oncall-sso --endpoint-url http://127.0.0.1:9; echo \"EXIT:$?\"; sleep 30",
        home = dir.join("home").display(),
        cfg = dir.join("aws-config").display(),
    );
    let t = Tmux {
        socket,
        dir: dir.clone(),
    };
    t.run(&[
        "new-session",
        "-d",
        "-s",
        "e2e",
        "-x",
        "200",
        "-y",
        "30",
        "sh",
        "-c",
        &script,
    ]);
    let s = t.wait_for("the credentials error", |s| s.contains("aws sso login"));
    assert!(
        s.contains("aws sso login --profile oncall-sso"),
        "the fix names the profile:\n{s}"
    );
    assert!(
        s.contains("profile oncall-sso"),
        "header names the profile:\n{s}"
    );
    assert!(
        s.contains("region eu-west-1"),
        "region from the profile:\n{s}"
    );
    t.keys(&["q"]);
    t.wait_for("ssmdeck to exit", |s| s.contains("EXIT:0"));
}

#[test]
#[ignore = "needs tmux: scripts/test runs it"]
fn edit_a_parameter_and_see_version_two() {
    let t = Tmux::start("params", 150, 40);
    t.wait_for("the fleet to load", |s| s.contains("loaded in"));
    t.keys(&[":"]);
    t.text("params");
    t.keys(&["Enter"]);
    t.wait_for("the parameter index", |s| s.contains("index complete"));
    t.keys(&["/"]);
    t.text("web/log_level");
    t.keys(&["Enter"]);
    t.keys(&["Enter"]);
    // e edits once the value is shown (before, it says the value is loading).
    let s = t.wait_for("the parameter and its value", |s| {
        s.contains("Name            /prod/web/log_level")
            && s.contains("Version         1")
            && s.lines().any(|l| l.contains("│info "))
    });
    assert!(s.contains("Value"), "{s}");
    t.keys(&["e"]);
    t.wait_for("the editor", |s| {
        s.contains("Edit /prod/web/log_level (from version 1)")
    });
    t.keys(&["Home", "C-k"]);
    t.text("warn");
    t.keys(&["C-s"]);
    // The new value is read back after the save: wait for it too (under
    // load it shows a moment after the version).
    t.wait_for("version 2 and its value", |s| {
        s.contains("saved /prod/web/log_level: version 2")
            && s.contains("Version         2")
            && s.lines().any(|l| l.contains("│warn "))
    });
    let audit = std::fs::read_to_string(t.dir.join("data/audit.jsonl")).unwrap();
    assert!(
        audit.contains("\"action\":\"ssm:PutParameter\"")
            && audit.contains("\"targets\":[\"/prod/web/log_level\"]")
            && !audit.contains("warn"),
        "the audit log records the write, not the value:\n{audit}"
    );
    t.keys(&["q"]);
    t.wait_for("ssmdeck to exit", |s| s.contains("EXIT:0"));
}

#[test]
#[ignore = "needs tmux: scripts/test runs it"]
fn select_nodes_run_hostname_and_see_the_grouped_result() {
    let host = String::from_utf8(Command::new("hostname").output().unwrap().stdout)
        .unwrap()
        .trim()
        .to_owned();
    let t = Tmux::start("runcmd", 160, 40);
    // The demo's change calendar is CLOSED for its first hours: the
    // header says so once read, and the send asks a second time.
    t.wait_for("the fleet to load and the freeze badge", |s| {
        s.contains("24 nodes")
            && s.contains("loaded in")
            && s.lines()
                .next()
                .is_some_and(|l| l.contains("freeze prod-change-freeze CLOSED until"))
    });
    t.keys(&["a"]);
    t.wait_for("the selection", |s| s.contains("24 selected"));
    t.keys(&["c"]);
    t.wait_for("the composer", |s| s.contains("Run a command"));
    t.text("hostname");
    t.keys(&["C-s"]);
    let s = t.wait_for("the confirmation", |s| s.contains("Send a command"));
    assert!(
        s.contains("Run `hostname` with AWS-RunShellScript on 24 nodes"),
        "{s}"
    );
    assert!(s.contains("CHANGE FREEZE"), "{s}");
    t.keys(&["y"]);
    t.wait_for("the second question", |s| {
        s.contains("Change freeze: send anyway?")
    });
    t.keys(&["Y"]);
    t.wait_for("every node to finish", |s| s.contains("24/24 done"));
    t.keys(&["o"]);
    let s = t.wait_for("the groups", |s| s.contains("GROUP"));
    let fleet = FleetSpec::small().generate();
    // AWS-RunShellScript declares Linux and MacOS: Windows nodes fail as
    // InvalidPlatform (the confirmation warns of them).
    let online = fleet
        .iter()
        .filter(|n| n.ping == ssmdeck_lab::PingStatus::Online && n.platform_type != "Windows")
        .count();
    let lost = fleet
        .iter()
        .filter(|n| n.ping == ssmdeck_lab::PingStatus::ConnectionLost)
        .count();
    assert!(
        s.lines().any(|l| l.contains(&format!("{online} nodes: "))
            && l.contains(&format!("Success     exit 0   {host}"))),
        "the {online} Online nodes print this machine's hostname, in one group:\n{s}"
    );
    assert!(
        lost == 0 || s.contains("TimedOut"),
        "the ConnectionLost node:\n{s}"
    );
    t.keys(&["q"]);
    t.wait_for("ssmdeck to exit", |s| s.contains("EXIT:0"));
}

#[test]
#[ignore = "needs tmux: scripts/test runs it"]
fn triage_an_opsitem_to_in_progress_with_a_note() {
    let t = Tmux::start("ops", 150, 45);
    t.wait_for("the fleet to load", |s| s.contains("loaded in"));
    t.keys(&[":"]);
    t.text("ops");
    t.keys(&["Enter"]);
    t.wait_for("the OpsItems", |s| s.contains("DescribeOpsItems calls"));
    // Filter to severity 1: Enter sends it to AWS.
    t.keys(&["/"]);
    t.text(" sev:1");
    t.keys(&["Enter"]);
    let s = t.wait_for("the severity 1 items", |s| {
        s.contains("match /status:Open,InProgress sev:1") && s.contains("DescribeOpsItems calls")
    });
    let rows: Vec<&str> = s.lines().filter(|l| l.contains("│  oi-")).collect();
    assert!(!rows.is_empty(), "{s}");
    assert!(
        rows.iter()
            .all(|r| r.split_whitespace().nth(2) == Some("1")),
        "every row has severity 1:\n{s}"
    );
    t.keys(&["Enter"]);
    t.wait_for("the detail", |s| {
        s.contains("Timeline") || s.contains("Description")
    });
    t.keys(&["m"]);
    t.wait_for("the status choice", |s| s.contains("2 InProgress"));
    t.keys(&["2"]);
    t.wait_for("InProgress", |s| s.contains("Status InProgress"));
    t.keys(&["N"]);
    t.wait_for("the note prompt", |s| s.contains("Note on oi-"));
    t.text("rebooting via runbook");
    t.keys(&["Enter"]);
    let s = t.wait_for("the note in the detail", |s| {
        s.contains("user/ssmdeck-lab: rebooting via runbook")
    });
    assert!(s.contains("Status InProgress"), "both are shown:\n{s}");
    // Esc alone closes the detail; only then q (a quick Esc q reads as Alt-q).
    t.keys(&["Escape"]);
    t.wait_for("the detail to close", |s| !s.contains("Status InProgress"));
    t.keys(&["q"]);
    t.wait_for("ssmdeck to exit", |s| s.contains("EXIT:0"));
}

#[test]
#[ignore = "needs tmux: scripts/test runs it"]
fn read_only_profile_refuses_changes_and_the_palette_jumps_to_a_node() {
    let node = FleetSpec::small()
        .generate()
        .into_iter()
        .find(|n| n.name.contains("web"))
        .expect("the small fleet has a web node");
    let t = Tmux::start_with(
        "readonly",
        150,
        40,
        Some("[profiles.default]\nread_only = true\ntheme = \"prod\"\n"),
    );
    let s = t.wait_for("the fleet to load", |s| s.contains("loaded in"));
    assert!(s.lines().next().unwrap().contains("READ-ONLY"), "{s}");
    t.keys(&["a"]);
    t.keys(&["c"]);
    let s = t.wait_for("the refusal", |s| {
        s.contains("read-only (profile default is read-only")
    });
    assert!(s.contains("it would call ssm:SendCommand"), "{s}");
    assert!(!s.contains("Run a command"), "no composer opened:\n{s}");
    // The palette: fuzzy over node names, Enter shows the node.
    t.keys(&[":"]);
    t.text(&format!("node {}", &node.name[..node.name.len() - 1]));
    t.wait_for("the palette", |s| {
        s.contains(&format!(":node {}", node.name))
    });
    t.keys(&["Down", "Enter"]);
    let s = t.wait_for("the node's details", |s| {
        s.contains(&format!("Node ID           {}", node.id))
            || s.contains(&node.id) && s.contains("Details")
    });
    assert!(s.contains(&node.name), "{s}");
    t.keys(&["Escape"]);
    t.wait_for("the details to close", |s| {
        let details = s.contains(&format!("Node ID           {}", node.id))
            || s.contains(&node.id) && s.contains("Details");
        !details
    });
    t.keys(&["q"]);
    t.wait_for("ssmdeck to exit", |s| s.contains("EXIT:0"));
    assert!(
        !t.dir.join("data/audit.jsonl").exists(),
        "read-only: nothing was changed, nothing audited"
    );
}

#[test]
#[ignore = "needs tmux: scripts/test runs it"]
fn a_shell_inside_the_console_answers_and_ends() {
    let node = FleetSpec::small()
        .generate()
        .into_iter()
        .find(|n| n.ping == ssmdeck_lab::PingStatus::Online)
        .unwrap();
    let t = Tmux::start("sessions", 140, 36);
    t.wait_for("the fleet to load", |s| s.contains("loaded in"));
    t.keys(&["/"]);
    t.text(&node.id);
    t.keys(&["Enter"]);
    t.wait_for("the node alone", |s| s.contains("1 match"));
    t.keys(&["t"]);
    t.wait_for("the shell", |s| {
        s.contains("keys go to the shell") && s.contains("$ ")
    });
    t.text("echo $((6*7)); stty size");
    t.keys(&["Enter"]);
    // 36 rows less header, tabs, session bar, borders and status line; 140
    // less borders: the remote size is the pane's (stty prints it a moment
    // after the 42, so wait for both).
    t.wait_for("42 and the remote size", |s| {
        s.lines().any(|l| {
            l.trim_start_matches('│')
                .trim_end()
                .trim_end_matches('│')
                .trim()
                == "42"
        }) && s.contains("30 138")
    });
    t.keys(&["C-]"]);
    t.wait_for("the keys back", |s| s.contains("types in the shell"));
    t.keys(&["x"]);
    t.wait_for("the confirmation", |s| s.contains("Terminate session"));
    t.keys(&["y"]);
    t.wait_for("the end", |s| s.contains("Session ended: terminated"));
    t.keys(&["q"]);
    t.wait_for("ssmdeck to exit", |s| s.contains("EXIT:0"));
    let audit = std::fs::read_to_string(t.dir.join("data/audit.jsonl")).unwrap();
    assert!(audit.contains("\"action\":\"ssm:StartSession\""), "{audit}");
    assert!(
        audit.contains("\"action\":\"ssm:TerminateSession\""),
        "{audit}"
    );
}

/// The console's `session_plugin` with the official plugin (its path in
/// `SSMDECK_TEST_SESSION_PLUGIN`): three shells from the Fleet pane, each
/// `seq 1 2000; exit`, each showing line 2000 and no exit-code `0` after it,
/// and ending as the plugin exits.
#[test]
#[ignore = "needs the official session-manager-plugin: SSMDECK_TEST_SESSION_PLUGIN=PATH cargo test --test integration oracle_ -- --ignored"]
fn oracle_a_console_shell_through_the_plugin_shows_the_last_line() {
    let plugin = crate::oracle_plugin::plugin();
    let node = FleetSpec::small()
        .generate()
        .into_iter()
        .find(|n| n.ping == ssmdeck_lab::PingStatus::Online)
        .unwrap();
    let config = format!("session_plugin = \"{}\"\n", plugin.display());
    let t = Tmux::start_with("oracle", 140, 60, Some(&config));
    t.wait_for("the fleet to load", |s| s.contains("loaded in"));
    t.keys(&["/"]);
    t.text(&node.id);
    t.keys(&["Enter"]);
    let prompt = format!("{}$ ", node.name);
    // The lines inside the tab's borders.
    let inner = |s: &str| -> Vec<String> {
        s.lines()
            .map(|l| {
                l.trim_start_matches('│')
                    .trim_end()
                    .trim_end_matches('│')
                    .trim()
                    .to_owned()
            })
            .collect()
    };
    for run in 1..=3 {
        t.wait_for("the node alone", |s| s.contains("1 match"));
        t.keys(&["t"]);
        t.wait_for("the plugin's shell", |s| {
            s.contains("Starting session with SessionId") && s.contains(&prompt)
        });
        t.text("seq 1 2000; exit");
        t.keys(&["Enter"]);
        let s = t.wait_for("the plugin to exit", |s| {
            s.contains("Session ended: ")
                && s.contains("session-manager-plugin exited (exit code 0)")
        });
        let lines = inner(&s);
        let last = lines
            .iter()
            .rposition(|l| l == "2000")
            .unwrap_or_else(|| panic!("run {run}: no line 2000 on screen:\n{s}"));
        assert_eq!(lines[last - 1], "1999", "run {run}:\n{s}");
        assert!(
            !lines[last + 1..].iter().any(|l| l == "0"),
            "run {run}: a stray exit code after the output:\n{s}"
        );
        t.keys(&["d"]);
        t.wait_for("the tab closed", |s| !s.contains("Session ended"));
        t.keys(&[":"]);
        t.text("fleet");
        t.keys(&["Enter"]);
    }
    t.keys(&["q"]);
    t.wait_for("ssmdeck to exit", |s| s.contains("EXIT:0"));
}

#[test]
#[ignore = "needs tmux: scripts/test runs it"]
fn the_demo_across_two_accounts_and_two_regions_filters_by_region() {
    let t = Tmux::start_demo("contexts", 200, 50, None, "--accounts 2 --regions 2");
    // The ACCOUNT column names each account by its IAM alias once read.
    let s = t.wait_for("every context's nodes and account names", |s| {
        s.contains("nodes in 4 contexts")
            && s.contains("loaded in")
            && s.contains("acme-manageme…")
            && s.contains("acme-prod-a")
    });
    assert!(s.contains("contexts 2 accounts × 2 regions"), "{s}");
    assert!(s.contains("ACCOUNT") && s.contains("REGION"), "{s}");
    t.keys(&["/"]);
    t.text("region:eu-west-1");
    let s = t.wait_for("the region filter", |s| {
        s.contains("match /region:eu-west-1")
    });
    let rows: Vec<&str> = s
        .lines()
        .filter(|l| l.contains(" i-") || l.contains(" mi-"))
        .collect();
    assert!(!rows.is_empty(), "{s}");
    for r in &rows {
        assert!(
            r.contains("eu-west-1") && !r.contains("us-east-1 "),
            "{r}\n{s}"
        );
    }
    t.keys(&["Enter"]);
    // `@` (the header says so) opens the contexts and the picker.
    assert!(s.contains("(@ or :contexts)"), "{s}");
    t.keys(&["@"]);
    // Each account by its IAM alias (the demo's accounts have one).
    let loaded_rows = |s: &str| {
        s.lines()
            .filter(|l| {
                (l.contains("│acme-manageme… ") || l.contains("│acme-prod-a "))
                    && l.contains(" ok ")
            })
            .count()
    };
    // Waited for whole: a capture while the overlay is being written can
    // hold part of it.
    let s = t.wait_for("the contexts list, four contexts each loaded", |s| {
        s.contains("Contexts — 2 accounts × 2 regions") && loaded_rows(s) == 4
    });
    assert_eq!(loaded_rows(&s), 4, "four contexts, each loaded:\n{s}");
    assert!(s.contains("[x] role ssmdeck-demo in 210001000003"), "{s}");
    // The picker: to the regions, drop eu-west-1 (the second), connect.
    t.keys(&["Tab", "j", "Space", "Enter"]);
    // Once the new set's load is done: a capture while a frame is being
    // written can hold the rows of the frame before it.
    let s = t.wait_for("the set without eu-west-1, loaded", |s| {
        s.contains("contexts 2 accounts × 1 region")
            && s.contains("nodes in 2 contexts")
            && s.contains("loaded in")
    });
    assert!(
        !s.contains("eu-west-1  "),
        "no row of the dropped region:\n{s}"
    );
    t.keys(&["q"]);
    let s = t.wait_for("ssmdeck to exit", |s| {
        s.contains("EXIT:") && s.contains("icanon")
    });
    assert!(s.contains("EXIT:0"), "{s}");
}

#[test]
#[ignore = "needs tmux: scripts/test runs it"]
fn the_overview_at_80_columns_counts_each_context_and_jumps_to_its_nodes() {
    let t = Tmux::start_demo("overview", 80, 24, None, "--accounts 2 --regions 2");
    t.wait_for("every context's nodes", |s| {
        s.contains("nodes in 4 contexts")
    });
    t.keys(&[":"]);
    t.text("overview");
    t.keys(&["Enter"]);
    let s = t.wait_for("the overview, every context ok", |s| {
        s.contains("Overview — 2 accounts × 2 regions")
            && s.lines().filter(|l| l.contains(" ok ")).count() == 4
    });
    for column in ["ACCOUNT", "REGION", "NODES", "ONLINE", "LOST", "SEV1"] {
        assert!(s.contains(column), "{column} at 80 columns:\n{s}");
    }
    assert!(
        s.lines().any(|l| l.starts_with("│all ")),
        "the total row:\n{s}"
    );
    assert!(s.contains("Organization (resource data sync"), "{s}");
    // Enter on the first context's NODES (24 in the demo): the Fleet,
    // filtered to it (by its account id: the alias, cut to the column,
    // ends in `…`).
    assert!(
        s.lines()
            .any(|l| l.starts_with("│acme-manageme… us-east-1           24 ")),
        "{s}"
    );
    t.keys(&["Enter"]);
    t.wait_for("the Fleet filtered to the first context", |s| {
        s.contains("24 match /account:123456789012 region:us-eas")
    });
    t.keys(&["Escape"]);
    t.wait_for("back on the overview", |s| {
        s.contains("Overview — 2 accounts")
    });
    t.keys(&["q"]);
    let s = t.wait_for("ssmdeck to exit", |s| {
        s.contains("EXIT:") && s.contains("icanon")
    });
    assert!(s.contains("EXIT:0"), "{s}");
}

/// Issue 13 items 1 and 2, as a user types them: with a live shell open,
/// `:ssm` (a fuzzy match of nothing exact) does not run anything, `q` asks
/// before ending the session, `n` keeps everything; with a port forward
/// open beside it, `:quit` names both, `y` ends both (each audited) and quits.
#[test]
#[ignore = "needs tmux: scripts/test runs it"]
fn the_palette_never_guesses_and_quitting_with_a_live_shell_asks_first() {
    let node = FleetSpec::small()
        .generate()
        .into_iter()
        .find(|n| n.ping == ssmdeck_lab::PingStatus::Online)
        .unwrap();
    let t = Tmux::start("palette-quit", 140, 36);
    t.wait_for("the fleet to load", |s| s.contains("loaded in"));
    t.keys(&["/"]);
    t.text(&node.id);
    t.keys(&["Enter"]);
    t.wait_for("the node alone", |s| s.contains("1 match"));
    t.keys(&["t"]);
    t.wait_for("the shell", |s| {
        s.contains("keys go to the shell") && s.contains("$ ")
    });
    t.keys(&["C-]"]);
    t.wait_for("the keys back", |s| s.contains("types in the shell"));
    // `:ssm` matches nothing exactly: Enter fills the line, runs nothing.
    t.keys(&[":"]);
    t.text("ssm");
    t.keys(&["Enter"]);
    // The candidate is on the line now, waiting for a second Enter.
    let s = t.wait_for("the candidate filled in, not run", |s| {
        s.lines()
            .last()
            .is_some_and(|l| l.starts_with(':') && l.contains("Enter runs :"))
    });
    assert!(!s.contains("EXIT:"), "the palette ran something:\n{s}");
    t.keys(&["Escape"]);
    // q with a live shell: asked, and n keeps the console and the shell.
    t.keys(&["q"]);
    let s = t.wait_for("the quit confirmation", |s| s.contains("Quit ssmdeck?"));
    assert!(s.contains("1 shell session open"), "{s}");
    t.keys(&["n"]);
    t.wait_for("still running", |s| {
        !s.contains("Quit ssmdeck?") && s.contains("Sessions")
    });
    // A port forward beside the shell: Esc back to Fleet, `p`, a free
    // local port (0) to the node's port 80.
    t.keys(&["Escape"]);
    t.wait_for("back in Fleet", |s| s.contains("1 match"));
    t.keys(&["p"]);
    t.wait_for("the forward prompt", |s| s.contains("LOCAL:REMOTE"));
    t.text("0:80");
    t.keys(&["Enter"]);
    t.wait_for("the forward listening", |s| {
        s.contains("Forward ") && s.contains("through") && !s.contains("(binding")
    });
    // :quit asks the same, naming both; y ends them and the console.
    t.keys(&[":"]);
    t.text("quit");
    t.keys(&["Enter"]);
    let s = t.wait_for("the quit confirmation again", |s| {
        s.contains("Quit ssmdeck?")
    });
    assert!(s.contains("1 shell session and 1 port forward open"), "{s}");
    t.keys(&["y"]);
    let s = t.wait_for("ssmdeck to exit", |s| {
        s.contains("EXIT:") && s.contains("icanon")
    });
    assert!(s.contains("EXIT:0"), "{s}");
    let audit = std::fs::read_to_string(t.dir.join("data/audit.jsonl")).unwrap();
    assert_eq!(
        audit.matches("\"action\":\"ssm:TerminateSession\"").count(),
        2,
        "quitting ended the shell and the port forward, each audited: {audit}"
    );
}

#[test]
#[ignore = "needs tmux: scripts/test runs it"]
fn a_maintenance_window_fires_and_its_command_opens_at_80_columns() {
    let t = Tmux::start_demo("maint", 80, 24, None, "--window-opens-in-secs 3");
    t.wait_for("the fleet to load", |s| s.contains("loaded in"));
    t.keys(&[":"]);
    t.text("maintenance");
    t.keys(&["Enter"]);
    let s = t.wait_for("the windows", |s| s.contains("Windows (4)"));
    let disabled = s
        .lines()
        .find(|l| l.contains("dev-cleanup"))
        .unwrap_or_default();
    assert_eq!(
        disabled.matches("disabled").count(),
        2,
        "the disabled window has no next run and says so:\n{s}"
    );
    // canary-check sorts first; it opens 3 s after the demo started.
    t.keys(&["g", "g", "Enter"]);
    let s = t.wait_for("canary-check's run, finished", |s| {
        s.contains("Executions (1)") && (s.contains("SUCCESS") || s.contains("FAILED"))
    });
    assert!(s.contains("canary-check · executions"), "{s}");
    t.keys(&["Enter"]);
    let s = t.wait_for("the invocations", |s| {
        s.contains("EXECUTION ID") && s.contains("-4000-")
    });
    // The command id is never cut at 80 columns.
    let id = s
        .split(|c: char| !(c.is_ascii_hexdigit() || c == '-' || c.is_ascii_alphanumeric()))
        .find(|w| w.len() == 36 && w.contains("-4000-"))
        .unwrap_or_else(|| panic!("a whole command id on screen:\n{s}"))
        .to_owned();
    t.keys(&["Enter"]);
    let s = t.wait_for("the command in Run Command", |s| {
        s.contains("Run #1") && s.contains("Success")
    });
    assert!(s.contains(&id), "the run is the window's command:\n{s}");
    // A node id is never cut at 80 columns (the TIME column gives way).
    assert!(
        s.lines().any(|l| l
            .split_whitespace()
            .any(|w| w.starts_with("i-") && w.len() == 19)),
        "{s}"
    );
    t.keys(&["Escape"]);
    t.wait_for("back at the execution", |s| {
        s.contains("Maintenance · execution") && s.contains(&id)
    });
    t.keys(&["q"]);
    t.wait_for("ssmdeck to exit", |s| s.contains("EXIT:0"));
}

/// The first managed node id (`i-…`) the OpsItem detail names under its
/// related nodes.
fn related_ec2_node(screen: &str) -> Option<String> {
    let at = screen.find("Related managed nodes")?;
    screen[at..]
        .lines()
        .skip(1)
        .take_while(|l| !l.contains("Runbooks"))
        .find_map(|l| {
            l.split_whitespace()
                .find(|w| w.starts_with("i-") && w.len() >= 10)
                .map(|w| w.trim_matches('│').to_owned())
        })
}

#[test]
#[ignore = "needs tmux: scripts/test runs it"]
fn from_an_opsitem_restart_its_node_watch_the_steps_and_see_it_online() {
    let t = Tmux::start("runbook", 160, 45);
    t.wait_for("the fleet to load", |s| s.contains("loaded in"));
    t.keys(&[":"]);
    t.text("ops");
    t.keys(&["Enter"]);
    t.wait_for("the OpsItems", |s| s.contains("DescribeOpsItems calls"));
    // An OpsItem whose /aws/automations suggests the restart runbook and
    // that names an EC2 node (the seeded CloudWatch alarms do).
    let mut node = None;
    for _ in 0..12 {
        t.keys(&["Enter"]);
        let s = t.wait_for("the detail", |s| s.contains("Runbooks  (A starts"));
        if s.contains("suggested: AWS-RestartEC2Instance")
            && let Some(n) = related_ec2_node(&s)
        {
            node = Some(n);
            break;
        }
        t.keys(&["Escape"]);
        t.wait_for("the detail to close", |s| {
            !s.contains("Runbooks  (A starts")
        });
        t.keys(&["j"]);
    }
    let node = node.expect("a seeded OpsItem suggests AWS-RestartEC2Instance on an EC2 node");
    t.keys(&["A"]);
    let s = t.wait_for("the runbooks, the suggested one first", |s| {
        s.contains("★ suggested by oi-")
    });
    let first = s
        .lines()
        .find(|l| l.contains("★ suggested"))
        .unwrap_or_default();
    assert!(first.contains("AWS-RestartEC2Instance"), "{s}");
    t.keys(&["Enter"]);
    t.wait_for("the form with the node", |s| {
        s.contains("Start AWS-RestartEC2Instance") && s.contains(&node)
    });
    t.keys(&["C-s"]);
    let s = t.wait_for("the confirmation", |s| {
        s.contains("Runbook AWS-RestartEC2Instance")
    });
    assert!(s.contains("recorded on oi-"), "{s}");
    t.keys(&["y"]);
    // During a change freeze the demo asks a second time (capital Y).
    let s = t.wait_for("the second question or the run", |s| {
        s.contains("send anyway?") || s.contains("stopInstances")
    });
    if s.contains("send anyway?") {
        t.keys(&["Y"]);
    }
    t.wait_for("the steps", |s| {
        s.contains("stopInstances") && s.contains("startInstances")
    });
    let s = t.wait_for("the restart to succeed", |s| {
        s.contains("v1 · Success")
            && s.lines()
                .filter(|l| l.contains("Instances") && l.contains("Success"))
                .count()
                == 2
    });
    assert!(
        s.contains("stopInstances") && s.contains("startInstances"),
        "{s}"
    );
    // The node is back: the palette opens it in Fleet.
    t.keys(&[":"]);
    t.text(&format!("node {node}"));
    t.keys(&["Enter"]);
    t.wait_for("the node in Fleet", |s| {
        s.contains(&node) && s.contains("Ping status")
    });
    // Read again from the lab (the list was loaded before the restart).
    t.keys(&["r"]);
    t.wait_for("the reload", |s| {
        s.contains("loaded in") && !s.contains("loading")
    });
    let s = t.wait_for("the node Online and running", |s| {
        let line = |k: &str| {
            s.lines()
                .find(|l| l.contains(k))
                .unwrap_or_default()
                .to_owned()
        };
        s.contains(&format!("Node ID           {node}"))
            && line("Ping status").contains("Online")
            && line("State     ").contains("running")
    });
    assert!(s.contains(&node), "{s}");
    t.keys(&["Escape"]);
    t.wait_for("the node's details to close", |s| {
        !s.contains("Node ID           ")
    });
    t.keys(&["q"]);
    t.wait_for("ssmdeck to exit", |s| s.contains("EXIT:0"));
}

#[test]
#[ignore = "needs tmux: scripts/test runs it"]
fn filter_patch_critical_install_and_see_the_patch_column_change() {
    let t = Tmux::start("patch", 200, 50);
    t.wait_for("the fleet and its PATCH column", |s| {
        s.contains("24 nodes") && s.contains("loaded in") && s.contains("PATCH")
    });
    // Online nodes missing critical patches (the others could not run it).
    let filter = "patch:critical ping:online";
    t.keys(&["/"]);
    t.text(filter);
    let s = t.wait_for("the filter to apply", |s| {
        s.contains(&format!("match /{filter}"))
    });
    t.keys(&["Enter"]);
    let before = ids_on_screen(&s);
    assert!(!before.is_empty(), "the small fleet has such nodes:\n{s}");
    assert!(s.contains("crit"), "their PATCH cells say so:\n{s}");
    t.keys(&["a"]);
    t.wait_for("the selection", |s| {
        s.contains(&format!("{} selected", before.len()))
    });
    t.keys(&["P"]);
    t.wait_for("the patch choice", |s| {
        s.contains("AWS-RunPatchBaseline on")
    });
    t.keys(&["2"]);
    t.wait_for("the composer with the patch baseline", |s| {
        s.contains("Run a command") && s.contains("RebootIfNeeded")
    });
    // Ctrl-S once DescribeDocument has told the composer this document
    // takes no script.
    t.wait_for("the document's parameters", |s| s.contains("No script"));
    t.keys(&["C-s"]);
    let s = t.wait_for("the confirmation", |s| s.contains("Send a command"));
    assert!(
        s.contains(&format!("may reboot {0} of the {0} nodes", before.len())),
        "{s}"
    );
    t.keys(&["y"]);
    t.wait_for("the second question", |s| {
        s.contains("Change freeze: send anyway?")
    });
    t.keys(&["Y"]);
    t.wait_for("every node to finish", |s| {
        s.contains(&format!("{0}/{0} done", before.len()))
    });
    // Back in Fleet, reloaded: none of them misses a critical patch now.
    t.keys(&["Escape"]);
    t.keys(&[":"]);
    t.text("fleet");
    t.keys(&["Enter"]);
    t.keys(&["r"]);
    let s = t.wait_for("the reload to empty the filter", |s| {
        s.contains(&format!("0 match /{filter}"))
    });
    assert!(ids_on_screen(&s).is_empty(), "{s}");
    t.keys(&["q"]);
    t.wait_for("ssmdeck to exit", |s| s.contains("EXIT:0"));
}
