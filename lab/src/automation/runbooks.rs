//! The runbooks the lab knows: three of Amazon's (AWS-RestartEC2Instance,
//! AWS-StopEC2Instance, AWS-StartEC2Instance, with their real parameter
//! lists and step names) and the lab account's own `Lab-CollectDiagnostics`
//! in three versions (the default, 2, is not the latest, 3), as the
//! Automation documents of ListDocuments, DescribeDocument, GetDocument and
//! ListDocumentVersions.
//!
//! Contents are the runbooks' schema 0.3 JSON (`schemaVersion`,
//! `description`, `assumeRole`, `parameters`, `mainSteps`, `outputs`);
//! GetDocument answers them in YAML too (a plain rendering of the same
//! tree, see [`to_yaml`]).

use serde_json::{Value, json};

/// One declared parameter of a runbook version.
#[derive(Debug, Clone)]
pub(crate) struct Param {
    pub name: String,
    /// `String`, `StringList`, `Integer`, `Boolean`, `MapList` or
    /// `StringMap` (Automation schema 0.3).
    pub kind: &'static str,
    pub description: String,
    /// The default, as the runbook declares it (a string, a list, a number
    /// or a boolean); `None`: required.
    pub default: Option<Value>,
    pub allowed: Vec<String>,
    pub pattern: Option<String>,
}

/// One step of a runbook version.
#[derive(Debug, Clone)]
pub(crate) struct StepDef {
    pub name: String,
    /// `aws:changeInstanceState`, `aws:runCommand`, …
    pub action: String,
    /// The step's `inputs`, with `{{ Parameter }}` placeholders.
    pub inputs: Value,
    /// `Abort` (default), `Continue` or `step:<name>`.
    pub on_failure: String,
    pub timeout_s: Option<i64>,
    pub max_attempts: i64,
    pub is_end: bool,
    pub next_step: Option<String>,
    pub is_critical: bool,
    /// Declared outputs: (name, selector).
    pub outputs: Vec<(String, String)>,
}

/// One version of a runbook.
#[derive(Debug, Clone)]
pub(crate) struct Version {
    pub version: u32,
    pub description: String,
    pub created: f64,
    pub params: Vec<Param>,
    pub steps: Vec<StepDef>,
    /// The runbook's `outputs` (`step.Output`).
    pub outputs: Vec<String>,
}

/// A runbook (an Automation document) and its versions.
#[derive(Debug, Clone)]
pub(crate) struct Runbook {
    pub name: String,
    /// `Amazon` or the tenant's account id.
    pub owner: String,
    pub default_version: u32,
    pub versions: Vec<Version>,
}

impl Runbook {
    /// The latest version number.
    pub fn latest(&self) -> u32 {
        self.versions.iter().map(|v| v.version).max().unwrap_or(1)
    }

    /// The version `selector` names (`$DEFAULT`, `$LATEST`, a number;
    /// `None`: the default); `Err(())` for a version it does not have.
    pub fn version(&self, selector: Option<&str>) -> Result<&Version, ()> {
        let n = match selector {
            None | Some("$DEFAULT") => self.default_version,
            Some("$LATEST") => self.latest(),
            Some(s) => s.parse().map_err(|_| ())?,
        };
        self.versions.iter().find(|v| v.version == n).ok_or(())
    }
}

fn param(name: &str, kind: &'static str, description: &str, default: Option<Value>) -> Param {
    Param {
        name: name.into(),
        kind,
        description: description.into(),
        default,
        allowed: Vec::new(),
        pattern: None,
    }
}

fn step(name: &str, action: &str, inputs: Value) -> StepDef {
    StepDef {
        name: name.into(),
        action: action.into(),
        inputs,
        on_failure: "Abort".into(),
        timeout_s: None,
        max_attempts: 1,
        is_end: false,
        next_step: None,
        is_critical: true,
        outputs: Vec::new(),
    }
}

fn instance_params() -> Vec<Param> {
    vec![
        param(
            "InstanceId",
            "StringList",
            "(Required) EC2 Instance(s) to restart",
            None,
        ),
        param(
            "AutomationAssumeRole",
            "String",
            "(Optional) The ARN of the role that allows Automation to perform the actions on your behalf.",
            Some(json!("")),
        ),
    ]
}

fn change_state(name: &str, desired: &str) -> StepDef {
    step(
        name,
        "aws:changeInstanceState",
        json!({"InstanceIds": "{{InstanceId}}", "DesiredState": desired}),
    )
}

/// Amazon's EC2 runbooks, created `created` (epoch seconds).
fn amazon(created: f64) -> Vec<Runbook> {
    let one = |name: &str, description: &str, steps: Vec<StepDef>| {
        let mut params = instance_params();
        if name != "AWS-RestartEC2Instance" {
            params[0].description = params[0].description.replace(
                "restart",
                if name.contains("Stop") {
                    "stop"
                } else {
                    "start"
                },
            );
        }
        Runbook {
            name: name.into(),
            owner: "Amazon".into(),
            default_version: 1,
            versions: vec![Version {
                version: 1,
                description: description.into(),
                created,
                params,
                steps,
                outputs: Vec::new(),
            }],
        }
    };
    vec![
        one(
            "AWS-RestartEC2Instance",
            "Restart EC2 instances(s)",
            vec![
                change_state("stopInstances", "stopped"),
                change_state("startInstances", "running"),
            ],
        ),
        one(
            "AWS-StartEC2Instance",
            "Start EC2 instances(s)",
            vec![change_state("startInstances", "running")],
        ),
        one(
            "AWS-StopEC2Instance",
            "Stop EC2 instances(s)",
            vec![change_state("stopInstances", "stopped")],
        ),
    ]
}

/// The name of the lab account's own diagnostics runbook.
pub(crate) const DIAGNOSTICS: &str = "Lab-CollectDiagnostics";

fn diagnostics_params(version: u32, account: &str) -> Vec<Param> {
    let mut id = param(
        "InstanceId",
        "String",
        "(Required) The managed node to collect diagnostics from.",
        None,
    );
    id.pattern = Some(r"^(i|mi)-[0-9a-f]{8,17}$".into());
    let mut out = vec![id];
    if version >= 2 {
        let mut depth = param(
            "Depth",
            "String",
            "(Optional) basic: uptime and disks; full: also the journal and the process list, uploaded after approval.",
            Some(json!("basic")),
        );
        depth.allowed = vec!["basic".into(), "full".into()];
        if version >= 3 {
            depth.allowed.push("trace".into());
        }
        out.push(depth);
        out.push(param(
            "Approver",
            "String",
            "(Optional) The IAM principal who approves the upload of a full bundle.",
            Some(json!(format!("arn:aws:iam::{account}:user/ssmdeck-lab"))),
        ));
        out.push(param(
            "ExecutionTimeout",
            "Integer",
            "(Optional) Seconds the collection commands may run.",
            Some(json!(600)),
        ));
        out.push(param(
            "Verbose",
            "Boolean",
            "(Optional) Print each collection command before it runs.",
            Some(json!(false)),
        ));
    }
    out.push(param(
        "AutomationAssumeRole",
        "String",
        "(Optional) The ARN of the role that allows Automation to perform the actions on your behalf.",
        Some(json!("")),
    ));
    out
}

fn collect(name: &str, commands: &[&str], timeout: &str) -> StepDef {
    let mut s = step(
        name,
        "aws:runCommand",
        json!({
            "DocumentName": "AWS-RunShellScript",
            "InstanceIds": ["{{InstanceId}}"],
            "Parameters": {"commands": commands, "executionTimeout": timeout},
        }),
    );
    s.timeout_s = Some(900);
    s.outputs = vec![
        ("CommandId".into(), "$.CommandId".into()),
        ("Status".into(), "$.Status".into()),
    ];
    s
}

fn diagnostics_steps(version: u32) -> Vec<StepDef> {
    let mut check = step(
        "checkNode",
        "aws:executeAwsApi",
        json!({"Service": "ssm", "Api": "DescribeInstanceInformation",
            "Filters": [{"Key": "InstanceIds", "Values": ["{{InstanceId}}"]}]}),
    );
    check.outputs = vec![
        (
            "PingStatus".into(),
            "$.InstanceInformationList[0].PingStatus".into(),
        ),
        (
            "PlatformType".into(),
            "$.InstanceInformationList[0].PlatformType".into(),
        ),
    ];
    if version == 1 {
        let mut basic = collect("collectBasic", &["uptime", "df -h /"], "600");
        basic.is_end = true;
        return vec![check, basic];
    }
    let mut settle = step("settle", "aws:sleep", json!({"Duration": "PT5S"}));
    settle.is_critical = false;
    let mut choose = step(
        "chooseDepth",
        "aws:branch",
        json!({"Choices": [{"NextStep": "collectFull", "Variable": "{{Depth}}", "StringEquals": "full"}],
            "Default": "collectBasic"}),
    );
    if version >= 3 {
        choose.inputs["Choices"]
            .as_array_mut()
            .expect("choices")
            .push(json!({"NextStep": "collectFull", "Variable": "{{Depth}}", "StringEquals": "trace"}));
    }
    let verbose = "test {{Verbose}} = true && set -x; true";
    let mut basic = collect(
        "collectBasic",
        &[verbose, "uptime", "df -h /"],
        "{{ExecutionTimeout}}",
    );
    basic.is_end = true;
    let full_commands: &[&str] = if version >= 3 {
        &[
            verbose,
            "uptime",
            "df -h /",
            "ps aux | head -20",
            "dmesg 2>/dev/null | tail -20 || true",
        ]
    } else {
        &[verbose, "uptime", "df -h /", "ps aux | head -20"]
    };
    let full = collect("collectFull", full_commands, "{{ExecutionTimeout}}");
    let mut approve = step(
        "approveUpload",
        "aws:approve",
        json!({"Approvers": ["{{Approver}}"], "MinRequiredApprovals": 1,
            "Message": "Upload the full diagnostics bundle of {{InstanceId}}?"}),
    );
    approve.timeout_s = Some(3600);
    let mut upload = step("uploadBundle", "aws:sleep", json!({"Duration": "PT10S"}));
    upload.is_end = true;
    vec![check, settle, choose, basic, full, approve, upload]
}

/// The lab account's diagnostics runbook, versions 1 … 3 (default 2).
fn diagnostics(account: &str, created: f64) -> Runbook {
    let descriptions = [
        "Collect uptime and disk usage from a managed node.",
        "Collect diagnostics from a managed node; a full bundle is uploaded after approval.",
        "Collect diagnostics from a managed node (basic, full or trace); a full bundle is uploaded after approval.",
    ];
    let versions = (1..=3u32)
        .map(|v| Version {
            version: v,
            description: descriptions[v as usize - 1].into(),
            created: created + f64::from(v - 1) * 86_400.0 * 9.0,
            params: diagnostics_params(v, account),
            steps: diagnostics_steps(v),
            outputs: if v == 1 {
                vec![
                    "checkNode.PingStatus".into(),
                    "collectBasic.CommandId".into(),
                ]
            } else {
                vec![
                    "checkNode.PingStatus".into(),
                    "collectBasic.CommandId".into(),
                    "collectFull.CommandId".into(),
                ]
            },
        })
        .collect();
    Runbook {
        name: DIAGNOSTICS.into(),
        owner: account.into(),
        default_version: 2,
        versions,
    }
}

/// Every runbook a tenant of `account` sees, its own created around `now`
/// (epoch seconds) minus a month.
pub(crate) fn builtin(account: &str, now: f64) -> Vec<Runbook> {
    let mut all = amazon(1_546_300_800.0);
    all.push(diagnostics(account, now - 30.0 * 86_400.0));
    all
}

fn param_content(p: &Param) -> Value {
    let mut v = json!({"type": p.kind, "description": p.description});
    if let Some(d) = &p.default {
        v["default"] = d.clone();
    }
    if !p.allowed.is_empty() {
        v["allowedValues"] = json!(p.allowed);
    }
    if let Some(r) = &p.pattern {
        v["allowedPattern"] = json!(r);
    }
    v
}

fn step_content(s: &StepDef) -> Value {
    let mut v = json!({"name": s.name, "action": s.action, "inputs": s.inputs});
    if s.on_failure != "Abort" {
        v["onFailure"] = json!(s.on_failure);
    }
    if let Some(t) = s.timeout_s {
        v["timeoutSeconds"] = json!(t);
    }
    if s.is_end {
        v["isEnd"] = json!(true);
    }
    if let Some(n) = &s.next_step {
        v["nextStep"] = json!(n);
    }
    if !s.is_critical {
        v["isCritical"] = json!(false);
    }
    if !s.outputs.is_empty() {
        v["outputs"] = s
            .outputs
            .iter()
            .map(|(n, sel)| json!({"Name": n, "Selector": sel, "Type": "String"}))
            .collect();
    }
    v
}

/// The schema 0.3 content tree of one version.
pub(crate) fn content(v: &Version) -> Value {
    let params: serde_json::Map<String, Value> = v
        .params
        .iter()
        .map(|p| (p.name.clone(), param_content(p)))
        .collect();
    let mut c = json!({
        "schemaVersion": "0.3",
        "description": v.description,
        "assumeRole": "{{ AutomationAssumeRole }}",
        "parameters": params,
        "mainSteps": v.steps.iter().map(step_content).collect::<Vec<_>>(),
    });
    if !v.outputs.is_empty() {
        c["outputs"] = json!(v.outputs);
    }
    c
}

/// A plain YAML rendering of a JSON tree (block style, strings quoted as
/// JSON strings, which YAML reads as double-quoted scalars).
pub(crate) fn to_yaml(v: &Value) -> String {
    fn scalar(v: &Value) -> String {
        match v {
            Value::String(s) => Value::String(s.clone()).to_string(),
            other => other.to_string(),
        }
    }
    fn emit(v: &Value, indent: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    match x {
                        Value::Object(o) if !o.is_empty() => {
                            out.push_str(&format!("{pad}{k}:\n"));
                            emit(x, indent + 2, out);
                        }
                        Value::Array(a) if !a.is_empty() => {
                            out.push_str(&format!("{pad}{k}:\n"));
                            emit(x, indent, out);
                        }
                        Value::Object(_) => out.push_str(&format!("{pad}{k}: {{}}\n")),
                        Value::Array(_) => out.push_str(&format!("{pad}{k}: []\n")),
                        _ => out.push_str(&format!("{pad}{k}: {}\n", scalar(x))),
                    }
                }
            }
            Value::Array(a) => {
                for x in a {
                    match x {
                        Value::Object(_) | Value::Array(_) => {
                            let mut inner = String::new();
                            emit(x, indent + 2, &mut inner);
                            let trimmed = inner.trim_start();
                            out.push_str(&format!("{pad}- {trimmed}"));
                        }
                        _ => out.push_str(&format!("{pad}- {}\n", scalar(x))),
                    }
                }
            }
            _ => out.push_str(&format!("{pad}{}\n", scalar(v))),
        }
    }
    let mut out = String::from("---\n");
    emit(v, 0, &mut out);
    out
}

/// A DescribeDocument `Parameters` entry.
pub(crate) fn parameter_description(p: &Param) -> Value {
    let mut v = json!({"Name": p.name, "Type": p.kind, "Description": p.description});
    if let Some(d) = &p.default {
        v["DefaultValue"] = json!(match d {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
    }
    v
}
