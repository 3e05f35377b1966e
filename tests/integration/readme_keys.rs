//! The README's key tables against the default keymap (issue 13 item 15):
//! every key a pane's table names is bound in that pane, and every action
//! of a pane's own keymap layer is named in its README section. Sections
//! are found by the registry's pane titles (`## The Fleet pane`), so a new
//! pane needs no line here.

use ssmdeck::app::registry::PANES;
use ssmdeck::config::keymap::{KeySpec, Resolved};
use ssmdeck::config::{Keymap, Layer};

/// A README key name as keymap key names: `Ctrl-d` → `<C-d>`,
/// `Shift-Tab` → `<BackTab>`, `gg` → `g g`, `Enter` → `<Enter>`.
fn readme_key(name: &str) -> Vec<String> {
    if let Some(c) = name.strip_prefix("Ctrl-") {
        return vec![format!("<C-{}>", c.to_lowercase())];
    }
    match name {
        "Shift-Tab" => vec!["<BackTab>".into()],
        "gg" => vec!["g".into(), "g".into()],
        n if n.chars().count() == 1 => vec![n.into()],
        n => vec![format!("<{n}>")],
    }
}

/// The keymap layer of a README section title (`The Fleet pane`): the
/// pane of that title in the registry.
fn readme_layer(title: &str) -> Option<Layer> {
    let name = title.strip_prefix("The ")?.strip_suffix(" pane")?;
    PANES.iter().find(|e| e.title == name).map(|e| e.layer)
}

/// The other way round (issue 13 item 15): every action bound in a
/// pane's own keymap layer is documented in that pane's README section,
/// by one of the keys that run it there (a key in backticks, in the
/// key table or the prose), so an action added to the keymap without a
/// README line fails here.
#[test]
fn every_action_of_a_panes_own_layer_is_in_its_readme_section() {
    let readme = include_str!("../../README.md");
    let km = Keymap::load(None, &mut Vec::new());
    let mut sections: Vec<(Layer, Vec<String>)> = Vec::new();
    let mut current: Option<Layer> = None;
    for line in readme.lines() {
        if let Some(title) = line.strip_prefix("## ") {
            current = readme_layer(title);
            if let Some(l) = current {
                sections.push((l, Vec::new()));
            }
            continue;
        }
        if let (Some(_), Some((_, keys))) = (current, sections.last_mut()) {
            for name in line.split('`').skip(1).step_by(2) {
                keys.push(readme_key(name).join(" "));
            }
        }
    }
    assert_eq!(
        sections.len(),
        PANES.len(),
        "every pane has a README section"
    );
    let mut missing = Vec::new();
    for (layer, documented) in &sections {
        for (keys, command, desc) in km.bindings(*layer) {
            let runs = km.effective_keys(*layer, command);
            if !runs.iter().any(|k| documented.contains(k)) {
                missing.push(format!("[{}] {keys} ({desc})", layer.name()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "bound but not in the README section of the pane:\n{}",
        missing.join("\n")
    );
}

/// Every key in the README's per-pane key tables (`| key | what it
/// does |`, first column) runs an action in that pane with the default
/// keymap.
#[test]
fn every_key_in_the_readme_key_tables_is_bound_in_its_pane() {
    let readme = include_str!("../../README.md");
    let km = Keymap::load(None, &mut Vec::new());
    let mut layer = None;
    let mut in_table = false;
    let mut checked = 0;
    for line in readme.lines() {
        if let Some(title) = line.strip_prefix("## ") {
            layer = readme_layer(title);
            in_table = false;
            continue;
        }
        if line.starts_with("| key |") {
            in_table = true;
            continue;
        }
        if !line.starts_with('|') {
            in_table = false;
            continue;
        }
        let (Some(layer), true) = (layer, in_table) else {
            continue;
        };
        let first = line.split('|').nth(1).unwrap_or_default();
        for name in first.split('`').skip(1).step_by(2) {
            let keys: Vec<KeySpec> = readme_key(name)
                .iter()
                .map(|k| KeySpec::parse(k).unwrap_or_else(|e| panic!("{name}: {e}")))
                .collect();
            assert!(
                matches!(km.resolve(layer, &keys), Resolved::Command(_)),
                "README says `{name}` in [{}] ({line}), the keymap binds nothing",
                layer.name()
            );
            checked += 1;
        }
    }
    assert!(checked >= 60, "only {checked} README keys found");
}
