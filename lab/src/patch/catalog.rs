//! The individual patches behind a node's patch counts: one list per
//! node, made from its platform's catalog so that the counts of
//! [`super::PatchState`] come out exactly (Installed, InstalledOther,
//! InstalledPendingReboot, Missing, Failed, NotApplicable; the missing
//! and failed ones carry the state's security and critical counts).
//!
//! Amazon Linux patches are named as Patch Manager reports them
//! (`openssl-libs.x86_64:1:3.0.8-1.amzn2023.0.14`, KBId
//! `openssl-libs.x86_64`, Classification Security/Bugfix/Enhancement,
//! Severity Critical/Important/Medium/Low), Ubuntu ones by package
//! (`libssl3:amd64 3.0.2-0ubuntu1.15`), Windows ones by KB
//! (`2024-01 Security Update … (KB5034439)`, Classification
//! SecurityUpdates/CriticalUpdates/Updates/…, MSRC severity), macOS ones by
//! software update label.

use super::mix;
use crate::fleet::LabNode;

/// A patch's state on a node (`PatchComplianceDataState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ItemState {
    /// Installed from the baseline.
    Installed,
    /// Installed, not in the baseline.
    InstalledOther,
    /// Installed, waiting for a reboot.
    InstalledPendingReboot,
    /// Installed though the baseline rejects it.
    InstalledRejected,
    /// Approved and not installed.
    Missing,
    /// The last install failed.
    Failed,
    /// Not applicable to the node.
    NotApplicable,
}

impl ItemState {
    /// Every state, in the order of the model's enum.
    pub const ALL: [ItemState; 7] = [
        ItemState::Installed,
        ItemState::InstalledOther,
        ItemState::InstalledPendingReboot,
        ItemState::InstalledRejected,
        ItemState::Missing,
        ItemState::NotApplicable,
        ItemState::Failed,
    ];

    /// The model's spelling (`INSTALLED_PENDING_REBOOT`), as
    /// DescribeInstancePatches answers it.
    pub fn as_model(self) -> &'static str {
        match self {
            ItemState::Installed => "INSTALLED",
            ItemState::InstalledOther => "INSTALLED_OTHER",
            ItemState::InstalledPendingReboot => "INSTALLED_PENDING_REBOOT",
            ItemState::InstalledRejected => "INSTALLED_REJECTED",
            ItemState::Missing => "MISSING",
            ItemState::Failed => "FAILED",
            ItemState::NotApplicable => "NOT_APPLICABLE",
        }
    }

    /// The user guide's spelling (`InstalledPendingReboot`), as the State
    /// filter's sample values and compliance item details give it.
    pub fn as_guide(self) -> &'static str {
        match self {
            ItemState::Installed => "Installed",
            ItemState::InstalledOther => "InstalledOther",
            ItemState::InstalledPendingReboot => "InstalledPendingReboot",
            ItemState::InstalledRejected => "InstalledRejected",
            ItemState::Missing => "Missing",
            ItemState::Failed => "Failed",
            ItemState::NotApplicable => "NotApplicable",
        }
    }

    /// Whether a value of the State filter names this state: either
    /// spelling, any case.
    pub fn named(self, v: &str) -> bool {
        v.eq_ignore_ascii_case(self.as_model()) || v.eq_ignore_ascii_case(self.as_guide())
    }

    /// Patch compliance of the state: `Some(true)` compliant (Installed,
    /// InstalledOther), `Some(false)` non-compliant (Missing, Failed,
    /// InstalledPendingReboot, InstalledRejected), `None` for NotApplicable
    /// (no compliance item).
    pub fn compliant(self) -> Option<bool> {
        match self {
            ItemState::Installed | ItemState::InstalledOther => Some(true),
            ItemState::NotApplicable => None,
            _ => Some(false),
        }
    }
}

/// One patch of one node (`PatchComplianceData`).
#[derive(Debug, Clone, PartialEq)]
pub struct PatchItem {
    /// Title.
    pub title: String,
    /// KBId (a KB number on Windows, a package on Linux).
    pub kb_id: String,
    /// Classification (`Security`, `SecurityUpdates`, `Bugfix`, …).
    pub classification: &'static str,
    /// Severity as the vendor rates it (`Critical`, `Important`, …).
    pub severity: &'static str,
    /// State on the node.
    pub state: ItemState,
    /// When it was installed, epoch seconds (0: not installed).
    pub installed_s: f64,
    /// CVE ids, comma-separated (empty for a non-security patch).
    pub cve_ids: String,
}

impl PatchItem {
    /// A security update (counted in SecurityNonCompliantCount when missing).
    pub fn is_security(&self) -> bool {
        matches!(self.classification, "Security" | "SecurityUpdates")
    }

    /// The compliance severity of the patch (`ComplianceSeverity`):
    /// Critical → CRITICAL, Important → HIGH, Medium/Moderate → MEDIUM,
    /// Low → LOW, anything else UNSPECIFIED.
    pub fn compliance_severity(&self) -> &'static str {
        match self.severity {
            "Critical" => "CRITICAL",
            "Important" => "HIGH",
            "Medium" | "Moderate" => "MEDIUM",
            "Low" => "LOW",
            _ => "UNSPECIFIED",
        }
    }
}

/// The platform families the catalogs cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    AmazonLinux(&'static str),
    Ubuntu,
    Windows,
    MacOs,
}

fn family(n: &LabNode) -> Family {
    match n.platform_type.as_str() {
        "Windows" => Family::Windows,
        "MacOS" => Family::MacOs,
        _ if n.platform_name.contains("Ubuntu") || n.platform_name.contains("Debian") => {
            Family::Ubuntu
        }
        _ => Family::AmazonLinux(match n.platform_version.as_str() {
            "2" => "amzn2",
            "2018.03" | "1" => "amzn1",
            _ => "amzn2023",
        }),
    }
}

/// Linux packages with the version Patch Manager reports and the CVEs
/// their latest security update fixes; the rest get a made-up version.
const LINUX_PACKAGES: &[(&str, &str, &str)] = &[
    ("openssh", "8.7p1-8", "CVE-2024-6387,CVE-2023-48795"),
    ("openssh-server", "8.7p1-8", "CVE-2024-6387,CVE-2023-48795"),
    ("openssh-clients", "8.7p1-8", "CVE-2024-6387"),
    ("openssl-libs", "1:3.0.8-1", "CVE-2024-0727,CVE-2023-5678"),
    ("openssl", "1:3.0.8-1", "CVE-2024-0727"),
    ("glibc", "2.34-52", "CVE-2023-4911,CVE-2024-2961"),
    ("glibc-common", "2.34-52", "CVE-2024-2961"),
    ("curl", "8.5.0-1", "CVE-2023-38545,CVE-2023-38546"),
    ("libcurl", "8.5.0-1", "CVE-2023-38545"),
    ("xz-libs", "5.2.5-9", "CVE-2024-3094"),
    ("kernel", "6.1.79-99.164", "CVE-2024-1086,CVE-2023-6817"),
    ("runc", "1.1.11-1", "CVE-2024-21626"),
    ("libwebp", "1.2.4-1", "CVE-2023-4863"),
    ("libnghttp2", "1.59.0-3", "CVE-2023-44487"),
    ("sudo", "1.9.15-1", "CVE-2023-28486,CVE-2023-28487"),
    ("systemd", "252.23-2", "CVE-2023-7008"),
    ("python3", "3.9.16-1", "CVE-2023-40217"),
    ("vim-minimal", "9.0.2153-1", "CVE-2023-48706"),
    ("expat", "2.5.0-1", "CVE-2023-52425"),
    ("libxml2", "2.10.4-1", "CVE-2024-25062"),
    ("sqlite-libs", "3.40.0-1", "CVE-2023-7104"),
    ("nss", "3.90.0-3", "CVE-2023-5388"),
    ("krb5-libs", "1.21-3", "CVE-2024-26462"),
    ("gnutls", "3.8.0-6", "CVE-2024-0553"),
    ("less", "608-2", "CVE-2024-32487"),
    ("git", "2.40.1-1", "CVE-2024-32002"),
    ("containerd", "1.7.11-1", "CVE-2024-24786"),
    ("httpd", "2.4.58-1", "CVE-2023-45802"),
    ("nginx", "1.24.0-1", "CVE-2023-44487"),
    ("tar", "1.34-1", "CVE-2022-48303"),
];

/// More Linux packages, with no CVE of their own.
const LINUX_MORE: &[&str] = &[
    "bash",
    "coreutils",
    "findutils",
    "gzip",
    "zlib",
    "rpm",
    "rpm-libs",
    "dnf",
    "libdnf",
    "shadow-utils",
    "util-linux",
    "e2fsprogs",
    "perl",
    "perl-libs",
    "grub2-common",
    "binutils",
    "cpio",
    "unzip",
    "libarchive",
    "pam",
    "polkit",
    "dbus",
    "dbus-libs",
    "chrony",
    "rsyslog",
    "cronie",
    "audit",
    "audit-libs",
    "libselinux",
    "procps-ng",
    "iproute",
    "cloud-init",
    "ec2-utils",
    "amazon-ssm-agent",
    "awscli-2",
    "ca-certificates",
    "tzdata",
    "libgcrypt",
    "libssh",
    "systemd-libs",
    "systemd-udev",
    "python3-libs",
    "python3-pip",
    "vim-data",
    "libxslt",
    "nss-util",
    "docker",
    "sed",
    "gawk",
    "which",
];

/// Ubuntu names of the packages (same order as LINUX_PACKAGES, then more).
const UBUNTU_PACKAGES: &[&str] = &[
    "openssh-server",
    "openssh-sftp-server",
    "openssh-client",
    "libssl3",
    "openssl",
    "libc6",
    "libc-bin",
    "curl",
    "libcurl4",
    "liblzma5",
    "linux-image-aws",
    "runc",
    "libwebp7",
    "libnghttp2-14",
    "sudo",
    "systemd",
    "python3.10",
    "vim-tiny",
    "libexpat1",
    "libxml2",
    "libsqlite3-0",
    "libnss3",
    "libkrb5-3",
    "libgnutls30",
    "less",
    "git",
    "containerd",
    "apache2",
    "nginx",
    "tar",
];

/// Windows updates: (title template, classification, CVEs), `{month}`
/// is replaced by a year-month.
const WINDOWS_KINDS: &[(&str, &str, &str)] = &[
    (
        "{month} Cumulative Update for Microsoft server operating system version 21H2 for x64-based Systems",
        "SecurityUpdates",
        "CVE-2024-21338,CVE-2024-21412",
    ),
    (
        "{month} Security Update for Microsoft server operating system version 21H2 for x64-based Systems",
        "SecurityUpdates",
        "CVE-2024-20666",
    ),
    (
        "{month} Cumulative Update for .NET Framework 3.5 and 4.8.1 for Microsoft server operating system version 21H2 for x64",
        "SecurityUpdates",
        "CVE-2024-21312",
    ),
    (
        "{month} Servicing Stack Update for Microsoft server operating system version 21H2 for x64-based Systems",
        "Updates",
        "",
    ),
    (
        "Windows Malicious Software Removal Tool x64 - v5.1{n} ({month})",
        "UpdateRollups",
        "",
    ),
    (
        "{month} Update for Microsoft server operating system version 21H2 for x64-based Systems",
        "CriticalUpdates",
        "",
    ),
    (
        "Security Intelligence Update for Microsoft Defender Antivirus - {month} (Version 1.40{n}.0)",
        "DefinitionUpdates",
        "",
    ),
];

/// Known Windows Server 2022 updates, first in the catalog.
const WINDOWS_KNOWN: &[(&str, &str, &str, &str)] = &[
    (
        "KB5034439",
        "2024-01 Security Update for Microsoft server operating system version 21H2 for x64-based Systems (KB5034439)",
        "SecurityUpdates",
        "CVE-2024-20666",
    ),
    (
        "KB5034129",
        "2024-01 Cumulative Update for Microsoft server operating system version 21H2 for x64-based Systems (KB5034129)",
        "SecurityUpdates",
        "CVE-2024-20674,CVE-2024-20653",
    ),
    (
        "KB5035857",
        "2024-03 Cumulative Update for Microsoft server operating system version 21H2 for x64-based Systems (KB5035857)",
        "SecurityUpdates",
        "CVE-2024-21407,CVE-2024-26169",
    ),
    (
        "KB5036909",
        "2024-04 Cumulative Update for Microsoft server operating system version 21H2 for x64-based Systems (KB5036909)",
        "SecurityUpdates",
        "CVE-2024-26234,CVE-2024-29988",
    ),
    (
        "KB5037422",
        "2024-05 Servicing Stack Update for Microsoft server operating system version 21H2 for x64-based Systems (KB5037422)",
        "Updates",
        "",
    ),
    (
        "KB890830",
        "Windows Malicious Software Removal Tool x64 - v5.124 (KB890830)",
        "UpdateRollups",
        "",
    ),
];

/// macOS software updates: (label, title, security).
const MAC_PRODUCTS: &[(&str, &str, bool)] = &[
    ("macOS Sonoma 14.{n}", "macOS Sonoma 14.{n}", true),
    ("Safari17.{n}SonomaAuto", "Safari 17.{n}", true),
    (
        "Command Line Tools for Xcode-15.{n}",
        "Command Line Tools for Xcode 15.{n}",
        false,
    ),
    (
        "XProtectPlistConfigData_10_15-21{n}",
        "XProtectPlistConfigData 21{n}",
        true,
    ),
    ("MRTConfigData_10_15-1.{n}", "MRTConfigData 1.{n}", true),
    ("BridgeOSUpdateCustomer-21.16.{n}", "BridgeOS 8.{n}", false),
];

/// How many entries every platform's catalog has (more than any node needs).
const CATALOG: usize = 240;

/// Entry `k` (< [`CATALOG`]) of `family`'s catalog: (KBId, title, default
/// classification when not security, CVEs when security).
fn entry(family: Family, k: usize) -> (String, String, &'static str, String) {
    let synthetic_cve = |k: usize| {
        format!(
            "CVE-{}-{}",
            2023 + k % 2,
            20_000 + (mix(&k.to_string(), 0xc7e) % 30_000)
        )
    };
    match family {
        Family::AmazonLinux(release) => {
            let names = LINUX_PACKAGES.len() + LINUX_MORE.len();
            let (name, version, cves) = match LINUX_PACKAGES.get(k % names) {
                Some((n, v, c)) => ((*n).to_owned(), (*v).to_owned(), (*c).to_owned()),
                None => {
                    let n = LINUX_MORE[k % names - LINUX_PACKAGES.len()];
                    (
                        n.to_owned(),
                        format!("{}.{}.{}-{}", 1 + k % 5, k % 17, k % 9, 1 + k % 4),
                        synthetic_cve(k),
                    )
                }
            };
            // Past the first round the catalog goes on with -devel packages.
            let name = match k / names {
                0 => name,
                1 => format!("{name}-devel"),
                r => format!("{name}-compat{r}"),
            };
            let arch = if name.starts_with("ca-certificates") || name.starts_with("tzdata") {
                "noarch"
            } else {
                "x86_64"
            };
            let version = if version.contains(':') {
                version
            } else {
                format!("0:{version}")
            };
            let kb = format!("{name}.{arch}");
            let title = format!("{kb}:{version}.{release}.0.{}", 1 + k % 14);
            let other = if k.is_multiple_of(3) {
                "Enhancement"
            } else {
                "Bugfix"
            };
            (kb, title, other, cves)
        }
        Family::Ubuntu => {
            let names = UBUNTU_PACKAGES.len() + LINUX_MORE.len();
            let (name, cves) = match UBUNTU_PACKAGES.get(k % names) {
                Some(n) => (
                    (*n).to_owned(),
                    LINUX_PACKAGES
                        .get(k % names)
                        .map_or_else(|| synthetic_cve(k), |p| p.2.to_owned()),
                ),
                None => (
                    LINUX_MORE[k % names - UBUNTU_PACKAGES.len()].to_lowercase(),
                    synthetic_cve(k),
                ),
            };
            let name = match k / names {
                0 => name,
                1 => format!("{name}-doc"),
                r => format!("{name}{r}"),
            };
            let title = format!(
                "{name}:amd64 {}.{}.{}-0ubuntu{}.{}",
                1 + k % 4,
                k % 13,
                k % 7,
                1 + k % 3,
                1 + k % 20
            );
            (name, title, "Bugfix", cves)
        }
        Family::Windows => {
            if let Some((kb, title, class, cves)) = WINDOWS_KNOWN.get(k) {
                let cves = if cves.is_empty() {
                    synthetic_cve(k)
                } else {
                    (*cves).to_owned()
                };
                return ((*kb).to_owned(), (*title).to_owned(), class, cves);
            }
            let kind = &WINDOWS_KINDS[k % WINDOWS_KINDS.len()];
            let month = format!("{}-{:02}", 2022 + k / 12 % 3, 1 + k % 12);
            let kb = format!("KB50{:05}", 10_000 + k * 137);
            let title = kind
                .0
                .replace("{month}", &month)
                .replace("{n}", &(k % 90 + 10).to_string());
            let cves = if kind.2.is_empty() {
                synthetic_cve(k)
            } else {
                kind.2.to_owned()
            };
            (kb.clone(), format!("{title} ({kb})"), kind.1, cves)
        }
        Family::MacOs => {
            let (label, title, _) = MAC_PRODUCTS[k % MAC_PRODUCTS.len()];
            let n = (k / MAC_PRODUCTS.len()).to_string();
            (
                format!("{}-{n}", label.replace("{n}", &n)),
                title.replace("{n}", &n),
                "Enhancement",
                synthetic_cve(k),
            )
        }
    }
}

/// (Classification, severity) of a patch of `family`: a security update
/// (Critical when `critical`, else a lower severity picked by `roll`) or
/// another update of classification `other`.
fn grade(
    family: Family,
    security: bool,
    critical: bool,
    other: &'static str,
    roll: u64,
) -> (&'static str, &'static str) {
    let lower = |list: &[&'static str]| list[(roll % list.len() as u64) as usize];
    match (family, security) {
        (Family::Windows, true) => (
            "SecurityUpdates",
            if critical {
                "Critical"
            } else {
                lower(&["Important", "Moderate", "Low"])
            },
        ),
        (Family::Windows, false) => (
            if other == "SecurityUpdates" {
                "Updates"
            } else {
                other
            },
            "Unspecified",
        ),
        (Family::MacOs, true) => ("Security", if critical { "Critical" } else { "Important" }),
        (Family::MacOs, false) => (other, "Unspecified"),
        (_, true) => (
            "Security",
            if critical {
                "Critical"
            } else {
                lower(&["Important", "Medium", "Low"])
            },
        ),
        (_, false) => (other, lower(&["Medium", "Low"])),
    }
}

/// The patches of node `n` whose state is `s` (its counts exactly):
/// first the missing then the failed ones (the first `security` of those
/// security updates, the first `critical` of them Critical), then the
/// installed, installed-other, pending-reboot and not-applicable ones.
/// Installed patches were installed between 3 and 60 days before the
/// state's operation ended (pending ones when it ended); the others carry
/// InstalledTime 0, as AWS reports them.
pub fn patches_for(n: &LabNode, s: &super::PatchState) -> Vec<PatchItem> {
    let fam = family(n);
    let mut order: Vec<usize> = (0..CATALOG).collect();
    // Each key once (a hash of the id): re-hashing it per comparison made
    // seeding a node's patches the lab's costliest work. Same stable order.
    order.sort_by_cached_key(|k| mix(&n.id, 0x9a7c_0000 + *k as u64));
    let plan = [
        (ItemState::Missing, s.missing),
        (ItemState::Failed, s.failed),
        (ItemState::Installed, s.installed),
        (ItemState::InstalledOther, s.installed_other),
        (ItemState::InstalledPendingReboot, s.pending_reboot),
        (ItemState::NotApplicable, s.not_applicable),
    ];
    let mut out = Vec::new();
    let mut next = order.into_iter();
    let mut noncompliant = 0u32;
    for (state, count) in plan {
        for _ in 0..count {
            let Some(k) = next.next() else {
                return out;
            };
            let roll = mix(&n.id, 0x5e7 + k as u64);
            let (security, critical) = match state {
                ItemState::Missing | ItemState::Failed => {
                    noncompliant += 1;
                    (noncompliant <= s.security, noncompliant <= s.critical)
                }
                _ => (roll % 5 < 2, false),
            };
            let (kb, title, other, cves) = entry(fam, k);
            let (classification, severity) = grade(fam, security, critical, other, roll >> 8);
            let installed_s = match state {
                ItemState::Installed | ItemState::InstalledOther => {
                    (s.ran_s.1 - 86_400.0 * (3 + roll % 58) as f64).floor()
                }
                ItemState::InstalledPendingReboot => s.ran_s.1.floor(),
                _ => 0.0,
            };
            out.push(PatchItem {
                title,
                kb_id: kb,
                classification,
                severity,
                state,
                installed_s,
                cve_ids: if security { cves } else { String::new() },
            });
        }
    }
    out
}
