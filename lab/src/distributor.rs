//! Distributor: Amazon's packages (documents of type `Package`, each
//! version a manifest with a VersionName) and the Command document
//! `AWS-ConfigureAWSPackage` that installs and uninstalls them.
//!
//! The lab's nodes install nothing: an Install records the package's
//! version on the node (in the command store), an Uninstall removes it,
//! and the invocation's output follows what SSM Agent's
//! `aws:configurePackage` plugin writes ("Initiating <arn> <version>
//! install", "Plugin aws:runShellScript ResultStatus Success",
//! "Successfully installed <arn> <version>", "<arn> <version> is already
//! installed"). An unknown package or version fails the invocation with the
//! error the Distributor troubleshooting guide quotes ("Failed to download
//! manifest - failed to retrieve package document description:
//! InvalidDocument: Document with name NAME does not exist.").

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde_json::{Value, json};

use crate::params::{ApiError, err};

#[cfg(test)]
mod tests;

/// The Command document that installs and uninstalls packages.
pub(crate) const CONFIGURE_PACKAGE: &str = "AWS-ConfigureAWSPackage";
/// Its platform types.
pub(crate) const CONFIGURE_PLATFORMS: &[&str] = &["Windows", "Linux", "MacOS"];
/// Its description.
pub(crate) const CONFIGURE_DESCRIPTION: &str = "Install or uninstall the latest version or specified version of an AWS package. Available packages include the following: AWSPVDriver, AwsEnaNetworkDriver, AwsVssComponents, and AmazonCloudWatchAgent, and AWSSupport-EC2Rescue.";
/// The plugin (step) name its invocations report.
pub(crate) const CONFIGURE_PLUGIN: &str = "aws:configurePackage";

/// One version of a package: document version, VersionName, creation.
struct PackageVersion {
    version: u32,
    name: &'static str,
    created: f64,
}

/// An Amazon-owned package.
struct Package {
    name: &'static str,
    description: &'static str,
    platforms: &'static [&'static str],
    /// Manifest platform keys (`amazon`, `windows`, …) and architectures.
    targets: &'static [(&'static str, &'static [&'static str])],
    versions: &'static [PackageVersion],
}

const PACKAGES: &[Package] = &[
    Package {
        name: "AmazonCloudWatchAgent",
        description: "Amazon CloudWatch Agent",
        platforms: &["Windows", "Linux", "MacOS"],
        targets: &[
            ("amazon", &["x86_64", "arm64"]),
            ("redhat", &["x86_64", "arm64"]),
            ("ubuntu", &["x86_64", "arm64"]),
            ("suse", &["x86_64", "arm64"]),
            ("windows", &["x86_64"]),
            ("darwin", &["x86_64", "arm64"]),
        ],
        versions: &[
            PackageVersion {
                version: 1,
                name: "1.300028.1b210",
                created: 1_693_526_400.0,
            },
            PackageVersion {
                version: 2,
                name: "1.300031.1b317",
                created: 1_701_388_800.0,
            },
            PackageVersion {
                version: 3,
                name: "1.300032.2b361",
                created: 1_704_067_200.0,
            },
        ],
    },
    Package {
        name: "AWSCodeDeployAgent",
        description: "AWS CodeDeploy Agent",
        platforms: &["Windows", "Linux"],
        targets: &[
            ("amazon", &["x86_64", "arm64"]),
            ("redhat", &["x86_64"]),
            ("ubuntu", &["x86_64", "arm64"]),
            ("windows", &["x86_64"]),
        ],
        versions: &[
            PackageVersion {
                version: 1,
                name: "1.6.0-49",
                created: 1_683_072_000.0,
            },
            PackageVersion {
                version: 2,
                name: "1.7.0-92",
                created: 1_710_201_600.0,
            },
        ],
    },
];

fn find(name: &str) -> Option<&'static Package> {
    PACKAGES.iter().find(|p| p.name == name)
}

impl Package {
    /// The default (and latest) version.
    fn latest(&self) -> &PackageVersion {
        self.versions.last().expect("a package has versions")
    }

    /// The version `DocumentVersion` (`$LATEST`, `$DEFAULT`, a number) and
    /// `VersionName` select; `None` when none matches.
    fn select(&self, version: Option<&str>, name: Option<&str>) -> Option<&PackageVersion> {
        let by_number = match version {
            None | Some("$LATEST" | "$DEFAULT") => None,
            Some(n) => Some(n.parse::<u32>().ok()?),
        };
        match (by_number, name) {
            (None, None) => Some(self.latest()),
            (n, v) => self
                .versions
                .iter()
                .find(|x| n.is_none_or(|n| x.version == n) && v.is_none_or(|v| x.name == v)),
        }
    }

    fn file(&self, target: &str, arch: &str) -> String {
        format!("{}-{target}-{arch}.zip", self.name)
    }

    /// The manifest (schema 2.0) of version `v`.
    fn manifest(&self, v: &PackageVersion) -> String {
        let mut packages = serde_json::Map::new();
        let mut files = serde_json::Map::new();
        for (target, arches) in self.targets {
            let mut by_arch = serde_json::Map::new();
            for arch in *arches {
                let file = self.file(target, arch);
                files.insert(
                    file.clone(),
                    json!({"checksums": {"sha256": checksum(&format!("{file}@{}", v.name))}}),
                );
                by_arch.insert((*arch).to_owned(), json!({"file": file}));
            }
            packages.insert((*target).to_owned(), json!({"_any": by_arch}));
        }
        let manifest = json!({
            "schemaVersion": "2.0",
            "version": v.name,
            "publisher": "Amazon Web Services",
            "packages": packages,
            "files": files,
        });
        serde_json::to_string_pretty(&manifest).unwrap_or_default()
    }

    fn attachments(&self) -> Vec<Value> {
        self.targets
            .iter()
            .flat_map(|(t, arches)| arches.iter().map(move |a| json!({"Name": self.file(t, a)})))
            .collect()
    }
}

/// A stand-in SHA-256 (64 hex digits, stable per input): the lab has no
/// package files to hash.
fn checksum(s: &str) -> String {
    (0u64..4)
        .map(|seed| {
            let h = s.bytes().fold(0xcbf2_9ce4_8422_2325 ^ seed, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            });
            format!("{h:016x}")
        })
        .collect()
}

/// The ListDocuments rows of the packages: (name, platform types,
/// DocumentIdentifier).
pub(crate) fn identifiers() -> Vec<(String, Vec<String>, Value)> {
    PACKAGES
        .iter()
        .map(|p| {
            let v = p.latest();
            let id = json!({
                "Name": p.name, "Owner": "Amazon", "VersionName": v.name,
                "PlatformTypes": p.platforms, "DocumentVersion": v.version.to_string(),
                "DocumentType": "Package", "SchemaVersion": "2.0", "DocumentFormat": "JSON",
                "CreatedDate": v.created, "Tags": [],
            });
            let platforms = p.platforms.iter().map(|x| (*x).to_owned()).collect();
            (p.name.to_owned(), platforms, id)
        })
        .collect()
}

/// The `VersionName` member of a GetDocument or DescribeDocument request,
/// checked against the model's `DocumentVersionName` pattern.
fn version_name(body: &Value) -> Result<Option<&str>, ApiError> {
    let Some(v) = body.get("VersionName").and_then(Value::as_str) else {
        return Ok(None);
    };
    crate::validate::length("versionName", v, 1, 128)?;
    if !v
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
    {
        return Err(crate::params::validation(format!(
            "1 validation error detected: Value '{v}' at 'versionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9_\\-.]{{1,128}}$"
        )));
    }
    Ok(Some(v))
}

/// The package `name` at the version the request selects.
fn selected(
    name: &str,
    version: Option<&str>,
    body: &Value,
) -> Option<Result<(&'static Package, &'static PackageVersion), ApiError>> {
    let p = find(name)?;
    Some((|| {
        let vn = version_name(body)?;
        let v = p.select(version, vn).ok_or_else(|| {
            err(
                "InvalidDocumentVersion",
                format!(
                    "Document {name} has no version {}.",
                    vn.or(version).unwrap_or("")
                ),
            )
        })?;
        Ok((p, v))
    })())
}

/// GetDocument of a package (its manifest as JSON content): `None` when
/// `name` is not one.
pub(crate) fn get_document(
    name: &str,
    version: Option<&str>,
    body: &Value,
) -> Option<Result<Value, ApiError>> {
    Some(selected(name, version, body)?.map(|(p, v)| {
        json!({
            "Name": p.name, "VersionName": v.name, "DocumentVersion": v.version.to_string(),
            "Status": "Active", "DocumentType": "Package", "DocumentFormat": "JSON",
            "Content": p.manifest(v), "CreatedDate": v.created,
        })
    }))
}

/// DescribeDocument of a package (no parameters; its files as
/// AttachmentsInformation): `None` when `name` is not one.
pub(crate) fn describe_document(
    name: &str,
    version: Option<&str>,
    body: &Value,
) -> Option<Result<Value, ApiError>> {
    Some(selected(name, version, body)?.map(|(p, v)| {
        let latest = p.latest().version.to_string();
        json!({"Document": {
            "Name": p.name, "Owner": "Amazon", "Status": "Active", "DocumentType": "Package",
            "SchemaVersion": "2.0", "DocumentVersion": v.version.to_string(), "VersionName": v.name,
            "LatestVersion": latest, "DefaultVersion": latest, "DocumentFormat": "JSON",
            "PlatformTypes": p.platforms, "Description": p.description, "CreatedDate": v.created,
            "HashType": "Sha256", "AttachmentsInformation": p.attachments(), "Tags": [],
        }})
    }))
}

/// ListDocumentVersions rows of a package (with VersionName): `None` when
/// `name` is not one.
pub(crate) fn versions(name: &str) -> Option<Vec<Value>> {
    let p = find(name)?;
    let default = p.latest().version;
    Some(
        p.versions
            .iter()
            .map(|v| {
                json!({
                    "Name": p.name, "DocumentVersion": v.version.to_string(), "VersionName": v.name,
                    "CreatedDate": v.created, "IsDefaultVersion": v.version == default,
                    "DocumentFormat": "JSON", "Status": "Active",
                })
            })
            .collect(),
    )
}

/// AWS-ConfigureAWSPackage's parameters: (name, type, description,
/// default, allowed values).
type Declared = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static [&'static str],
);

const PARAMETERS: &[Declared] = &[
    (
        "action",
        "String",
        "(Required) Specify whether or not to install or uninstall the package.",
        None,
        &["Install", "Uninstall"],
    ),
    (
        "installationType",
        "String",
        "(Optional) Specify the type of installation. Uninstall and reinstall: The application is taken offline until the reinstallation process completes. In-place update: The application is available while new or updated files are added to the installation.",
        Some("Uninstall and reinstall"),
        &["Uninstall and reinstall", "In-place update"],
    ),
    (
        "name",
        "String",
        "(Required) The package to install/uninstall.",
        None,
        &[],
    ),
    (
        "version",
        "String",
        "(Optional) The version of the package to install or uninstall. If you don't specify a version, the system installs the latest published version by default. The system will only attempt to uninstall the version that is currently installed. If no version of the package is installed, the system returns an error.",
        Some(""),
        &[],
    ),
    (
        "additionalArguments",
        "StringMap",
        "(Optional) The additional parameters to provide to your install, uninstall, or update scripts. Each parameter must be prefixed with SSM_.",
        Some("{}"),
        &[],
    ),
];

/// The `name` parameter's allowedPattern: a package name or ARN.
const NAME_PATTERN: &str = r"^arn:[a-z0-9][-.a-z0-9]{0,62}:[a-z0-9][-.a-z0-9]{0,62}:([a-z0-9][-.a-z0-9]{0,62})?:([a-z0-9][-.a-z0-9]{0,62})?:(package|document)\/[a-zA-Z0-9/:.\-_]{1,128}$|^[a-zA-Z0-9/:.\-_]{1,128}$";

/// DescribeDocument's Parameters of AWS-ConfigureAWSPackage.
pub(crate) fn parameter_descriptions() -> Vec<Value> {
    PARAMETERS
        .iter()
        .map(|(name, kind, description, default, _)| {
            let mut p = json!({"Name": name, "Type": kind, "Description": description});
            if let Some(d) = default {
                p["DefaultValue"] = json!(d);
            }
            p
        })
        .collect()
}

/// GetDocument's content of AWS-ConfigureAWSPackage (schema 2.2).
pub(crate) fn configure_content() -> String {
    let mut params = serde_json::Map::new();
    for (name, kind, description, default, allowed) in PARAMETERS {
        let mut p = json!({"description": description, "type": kind});
        if !allowed.is_empty() {
            p["allowedValues"] = json!(allowed);
        }
        match (*kind, default) {
            ("StringMap", Some(_)) => {
                p["displayType"] = json!("textarea");
                p["default"] = json!({});
            }
            (_, Some(d)) => p["default"] = json!(d),
            _ => {}
        }
        if *name == "name" {
            p["allowedPattern"] = json!(NAME_PATTERN);
        }
        params.insert((*name).to_owned(), p);
    }
    let content = json!({
        "schemaVersion": "2.2",
        "description": CONFIGURE_DESCRIPTION,
        "parameters": params,
        "mainSteps": [{
            "action": CONFIGURE_PLUGIN, "name": "configurePackage",
            "inputs": {
                "name": "{{ name }}", "action": "{{ action }}",
                "installationType": "{{installationType}}", "version": "{{ version }}",
                "additionalArguments": "{{ additionalArguments }}",
            },
        }],
    });
    serde_json::to_string_pretty(&content).unwrap_or_default()
}

/// A checked AWS-ConfigureAWSPackage request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PackageRequest {
    /// `Install` or `Uninstall`.
    pub action: String,
    /// `Uninstall and reinstall` or `In-place update`.
    pub installation_type: String,
    /// The package name (an ARN's last part).
    pub name: String,
    /// The VersionName asked for ("" for the latest / the installed one).
    pub version: String,
}

fn bad(message: String) -> ApiError {
    err("InvalidParameters", message)
}

/// Checks SendCommand's `Parameters` for AWS-ConfigureAWSPackage: only
/// declared parameters, one value each, the required ones given, values
/// among the allowed ones, `name` matching its allowedPattern and
/// `additionalArguments` a JSON map of `SSM_` keys; else
/// `InvalidParameters`.
pub(crate) fn check_parameters(parameters: &Value) -> Result<PackageRequest, ApiError> {
    let empty = serde_json::Map::new();
    let given = parameters.as_object().unwrap_or(&empty);
    let mut values: BTreeMap<&str, String> = BTreeMap::new();
    for (k, v) in given {
        let Some((name, ..)) = PARAMETERS.iter().find(|p| p.0 == k) else {
            return Err(bad(format!(
                "Parameter \"{k}\" is not defined in document {CONFIGURE_PACKAGE}."
            )));
        };
        let one = match v.as_array().map(Vec::as_slice) {
            Some([Value::String(s)]) => s.clone(),
            _ => {
                return Err(bad(format!(
                    "Parameter \"{k}\" takes exactly one string value."
                )));
            }
        };
        values.insert(name, one);
    }
    for (name, _, _, default, allowed) in PARAMETERS {
        let value = match (values.get(name), default) {
            (Some(v), _) => v.clone(),
            (None, Some(d)) => (*d).to_owned(),
            (None, None) => {
                return Err(bad(format!(
                    "Parameter \"{name}\" is required but was not provided."
                )));
            }
        };
        if !allowed.is_empty() && !allowed.contains(&value.as_str()) {
            return Err(bad(format!(
                "Parameter \"{name}\" has value \"{value}\" not found in [{}].",
                allowed.join(", ")
            )));
        }
        values.insert(name, value);
    }
    let name = &values["name"];
    static NAME: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(NAME_PATTERN).expect("the pattern compiles"));
    if !NAME.is_match(name) {
        return Err(bad(format!(
            "Parameter \"name\" value \"{name}\" does not match the allowed pattern {NAME_PATTERN}."
        )));
    }
    check_arguments(&values["additionalArguments"])?;
    Ok(PackageRequest {
        action: values["action"].clone(),
        installation_type: values["installationType"].clone(),
        name: name
            .rsplit_once(":package/")
            .or_else(|| name.rsplit_once(":document/"))
            .map_or(name.as_str(), |(_, n)| n)
            .to_owned(),
        version: values["version"].clone(),
    })
}

fn check_arguments(text: &str) -> Result<(), ApiError> {
    let ok = serde_json::from_str::<Value>(text).is_ok_and(|v| {
        v.as_object().is_some_and(|m| {
            m.iter()
                .all(|(k, v)| k.starts_with("SSM_") && v.is_string())
        })
    });
    if ok {
        Ok(())
    } else {
        Err(bad(format!(
            "Parameter \"additionalArguments\" value \"{text}\" must be a JSON map of strings whose keys start with SSM_."
        )))
    }
}

/// What a node's `aws:configurePackage` plugin ends with: exit code,
/// stdout, stderr.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Outcome {
    /// 0 on success, 1 on failure.
    pub code: i64,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

fn failed(message: String) -> Outcome {
    Outcome {
        code: 1,
        stdout: String::new(),
        stderr: format!("{message}\n"),
    }
}

/// Runs `request` on a node of `platform` whose installed packages
/// (name → VersionName) are `installed`, updating them.
pub(crate) fn configure(
    installed: &mut BTreeMap<String, String>,
    request: &PackageRequest,
    platform: &str,
) -> Outcome {
    let name = &request.name;
    let arn = format!("arn:aws:ssm:::package/{name}");
    let Some(p) = find(name) else {
        return failed(format!(
            "failed to download manifest - failed to retrieve package document description: InvalidDocument: Document with name {name} does not exist."
        ));
    };
    let script = if platform == "Windows" {
        "aws:runPowerShellScript"
    } else {
        "aws:runShellScript"
    };
    let step = |out: &mut String, version: &str, action: &str| {
        out.push_str(&format!(
            "Initiating {arn} {version} {action}\nPlugin {script} ResultStatus Success\n"
        ));
    };
    if request.action == "Uninstall" {
        let Some(current) = installed.get(name).cloned() else {
            return failed(format!(
                "Failed to uninstall {arn}: no version of the package is installed."
            ));
        };
        if !request.version.is_empty() && request.version != current {
            return failed(format!(
                "Failed to uninstall {arn} {}: the installed version is {current}.",
                request.version
            ));
        }
        let mut stdout = String::new();
        step(&mut stdout, &current, "uninstall");
        stdout.push_str(&format!("Successfully uninstalled {arn} {current}\n"));
        installed.remove(name);
        return Outcome {
            code: 0,
            stdout,
            stderr: String::new(),
        };
    }
    let wanted = if request.version.is_empty() {
        p.latest()
    } else {
        match p.versions.iter().find(|v| v.name == request.version) {
            Some(v) => v,
            None => {
                return failed(format!(
                    "failed to download manifest - failed to retrieve package document description: InvalidDocument: Document with name {name} with version {} does not exist.",
                    request.version
                ));
            }
        }
    };
    if !p.platforms.contains(&platform) {
        return failed(format!(
            "failed to find platform: no manifest found for platform: {}",
            platform.to_lowercase()
        ));
    }
    let mut stdout = String::new();
    match installed.get(name).cloned() {
        Some(current) if current == wanted.name => {
            stdout.push_str(&format!("{arn} {current} is already installed\n"));
        }
        Some(current) if request.installation_type == "In-place update" => {
            step(&mut stdout, wanted.name, "update");
            stdout.push_str(&format!(
                "Successfully updated {arn} from {current} to {}\n",
                wanted.name
            ));
        }
        current => {
            if let Some(old) = current {
                step(&mut stdout, &old, "uninstall");
                stdout.push_str(&format!("Successfully uninstalled {arn} {old}\n"));
            }
            step(&mut stdout, wanted.name, "install");
            stdout.push_str(&format!("Successfully installed {arn} {}\n", wanted.name));
        }
    }
    installed.insert(name.clone(), wanted.name.to_owned());
    Outcome {
        code: 0,
        stdout,
        stderr: String::new(),
    }
}
