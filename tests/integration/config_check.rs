//! `ssmdeck --check-config` against every directory in tests/invalid_configs/:
//! exit code 1 and each line of its expected.txt in the report (file, line,
//! key). An empty config directory (bundled keymap and theme only) passes.

use std::path::Path;
use std::process::Command;

fn check(dir: &Path) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ssmdeck"))
        .arg("--check-config")
        .arg("--config-dir")
        .arg(dir)
        .env_remove("NO_COLOR")
        .output()
        .expect("run ssmdeck");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_invalid_config_is_reported_with_file_line_and_key() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid_configs");
    let mut seen = 0;
    for entry in std::fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        let expected = std::fs::read_to_string(dir.join("expected.txt"))
            .unwrap_or_else(|_| panic!("{} lacks expected.txt", dir.display()));
        let (code, _, stderr) = check(&dir);
        assert_eq!(code, Some(1), "{}: {stderr}", dir.display());
        for line in expected.lines().filter(|l| !l.trim().is_empty()) {
            assert!(
                stderr.contains(line),
                "{}: expected `{line}` in:\n{stderr}",
                dir.display()
            );
        }
        seen += 1;
    }
    assert!(seen >= 6, "found {seen} invalid configs");
}

#[test]
fn bundled_keymap_and_theme_pass() {
    let dir = std::env::temp_dir().join(format!("ssmdeck-empty-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (code, stdout, stderr) = check(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("config OK"), "{stdout}");
}

#[test]
fn completions_and_man_page_come_from_the_cli_definition() {
    let bash = Command::new(env!("CARGO_BIN_EXE_ssmdeck"))
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(bash.status.success());
    let text = String::from_utf8_lossy(&bash.stdout);
    assert!(
        text.contains("_ssmdeck()") && text.contains("--read-only"),
        "{text}"
    );
    let man = Command::new(env!("CARGO_BIN_EXE_ssmdeck"))
        .arg("man")
        .output()
        .unwrap();
    assert!(man.status.success());
    let text = String::from_utf8_lossy(&man.stdout);
    assert!(
        text.starts_with(".ie") || text.contains(".TH ssmdeck"),
        "{}",
        &text[..200.min(text.len())]
    );
    assert!(text.contains("read\\-only"), "the flags are documented");
    let bad = Command::new(env!("CARGO_BIN_EXE_ssmdeck"))
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("possible values"));
}
