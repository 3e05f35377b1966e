//! What each node's inventory holds: the AWS: types the
//! `AWS-GatherSoftwareInventory` association collects, generated from the
//! node's id, platform and tags (the same every run), and their schemas
//! (`GetInventorySchema`).
//!
//! Package managers follow the platform: rpm on Amazon Linux, RHEL and
//! other Linux, deb on Ubuntu and Debian (`Version` the upstream version,
//! `Release` the Debian revision), MSI and programs on Windows, apps on
//! macOS. A Linux node has 30 … 60 packages; about one Linux node in six
//! carries an `openssl` older than 3.0.7 (3.0.2, 3.0.5, 3.0.6, 1.1.1k),
//! the others 3.0.8 or newer. About one node in twelve was never
//! inventoried and has no data at all.

use std::collections::BTreeMap;

use crate::fleet::LabNode;
use crate::patch::mix;

/// One inventory entry: attribute name → string value (the model's
/// `InventoryItemEntry`, every value a string even when the schema says
/// `number`).
pub(crate) type Entry = BTreeMap<String, String>;

/// One type's schema: (TypeName, SchemaVersion, [(attribute, DataType)]).
pub(crate) type Schema = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// The AWS: types the lab collects, with their SchemaVersion and
/// attributes (name, `string` or `number`), as GetInventorySchema lists
/// them.
pub(crate) const SCHEMAS: &[Schema] = &[
    (
        "AWS:AWSComponent",
        "1.0",
        &[
            ("Name", "string"),
            ("ApplicationType", "string"),
            ("Publisher", "string"),
            ("Version", "string"),
            ("InstalledTime", "string"),
            ("Architecture", "string"),
            ("URL", "string"),
        ],
    ),
    (
        "AWS:Application",
        "1.1",
        &[
            ("Name", "string"),
            ("ApplicationType", "string"),
            ("Publisher", "string"),
            ("Version", "string"),
            ("Release", "string"),
            ("Epoch", "string"),
            ("InstalledTime", "string"),
            ("Architecture", "string"),
            ("URL", "string"),
            ("Summary", "string"),
            ("PackageId", "string"),
        ],
    ),
    (
        "AWS:File",
        "1.0",
        &[
            ("Name", "string"),
            ("Size", "number"),
            ("Description", "string"),
            ("FileVersion", "string"),
            ("InstalledDate", "string"),
            ("ModificationTime", "string"),
            ("LastAccessTime", "string"),
            ("ProductName", "string"),
            ("InstalledDir", "string"),
            ("ProductLanguage", "string"),
            ("CompanyName", "string"),
            ("ProductVersion", "string"),
        ],
    ),
    (
        "AWS:InstanceInformation",
        "1.0",
        &[
            ("AgentType", "string"),
            ("AgentVersion", "string"),
            ("ComputerName", "string"),
            ("InstanceId", "string"),
            ("InstanceStatus", "string"),
            ("IpAddress", "string"),
            ("PlatformName", "string"),
            ("PlatformType", "string"),
            ("PlatformVersion", "string"),
            ("ResourceType", "string"),
        ],
    ),
    (
        "AWS:Network",
        "1.0",
        &[
            ("Name", "string"),
            ("SubnetMask", "string"),
            ("Gateway", "string"),
            ("DHCPServer", "string"),
            ("DNSServer", "string"),
            ("MacAddress", "string"),
            ("IPV4", "string"),
            ("IPV6", "string"),
        ],
    ),
    (
        "AWS:Service",
        "1.0",
        &[
            ("Name", "string"),
            ("DisplayName", "string"),
            ("ServiceType", "string"),
            ("Status", "string"),
            ("DependentServices", "string"),
            ("ServicesDependedOn", "string"),
            ("StartType", "string"),
        ],
    ),
    (
        "AWS:WindowsUpdate",
        "1.0",
        &[
            ("HotFixId", "string"),
            ("Description", "string"),
            ("InstalledTime", "string"),
            ("InstalledBy", "string"),
        ],
    ),
];

/// The schema of `type_name`: (SchemaVersion, attributes).
pub(crate) fn schema(
    type_name: &str,
) -> Option<(&'static str, &'static [(&'static str, &'static str)])> {
    SCHEMAS
        .iter()
        .find(|(t, _, _)| *t == type_name)
        .map(|(_, v, a)| (*v, *a))
}

/// A node's collected inventory (every type but AWS:InstanceInformation,
/// which is read from the node's current state).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NodeInventory {
    /// When the association last collected it, epoch seconds (whole).
    pub capture_s: i64,
    /// Type name → entries, in the order the agent lists them.
    pub types: BTreeMap<&'static str, Vec<Entry>>,
}

/// `2026-10-31T12:00:00Z`: ISO 8601 to the second, as inventory writes
/// times (the model's `InventoryItemCaptureTime` pattern).
pub(crate) fn iso_s(epoch_s: i64) -> String {
    aws_smithy_types::DateTime::from_secs(epoch_s)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

/// Whether `n` was ever inventoried (about eleven nodes in twelve).
pub(crate) fn inventoried(n: &LabNode) -> bool {
    !mix(&n.id, 0x1_7e47).is_multiple_of(12)
}

/// Whether `n` is a Linux node whose `openssl` is older than 3.0.7 (about
/// one Linux node in six, among those inventoried).
pub(crate) fn vulnerable_openssl(n: &LabNode) -> bool {
    n.platform_type == "Linux" && mix(&n.id, 0x055e).is_multiple_of(6)
}

/// The package family of a node: `rpm`, `deb`, `windows` or `macos`.
fn family(n: &LabNode) -> &'static str {
    let name = n.platform_name.to_ascii_lowercase();
    match n.platform_type.as_str() {
        "Windows" => "windows",
        "MacOS" => "macos",
        _ if name.contains("ubuntu") || name.contains("debian") => "deb",
        _ => "rpm",
    }
}

/// `openssl`'s version on `n`: (upstream version, release).
fn openssl_version(n: &LabNode) -> &'static str {
    let pick = mix(&n.id, 0x0551) as usize;
    if vulnerable_openssl(n) {
        ["3.0.2", "3.0.5", "1.1.1k", "3.0.6"][pick % 4]
    } else {
        ["3.0.8", "3.0.13", "3.2.2", "3.0.15"][pick % 4]
    }
}

/// Linux packages: (name, application type, candidate versions, summary,
/// whether every node has it). Role packages are added by [`role_packages`].
const LINUX: &[(&str, &str, &[&str], &str, bool)] = &[
    (
        "bash",
        "System Environment/Shells",
        &["5.2.15", "5.1.16"],
        "The GNU Bourne Again shell",
        true,
    ),
    (
        "coreutils",
        "System Environment/Base",
        &["8.32", "9.1"],
        "A set of basic GNU tools",
        true,
    ),
    (
        "glibc",
        "System Environment/Libraries",
        &["2.34", "2.35"],
        "The GNU libc libraries",
        true,
    ),
    (
        "systemd",
        "System Environment/Base",
        &["252.16", "249.11"],
        "System and Service Manager",
        true,
    ),
    (
        "openssh-server",
        "System Environment/Daemons",
        &["8.7p1", "8.9p1"],
        "An open source SSH server daemon",
        true,
    ),
    (
        "openssh-clients",
        "Applications/Internet",
        &["8.7p1", "8.9p1"],
        "An open source SSH client",
        true,
    ),
    (
        "curl",
        "Applications/Internet",
        &["8.5.0", "7.81.0", "8.3.0"],
        "A utility for getting files from remote servers",
        true,
    ),
    (
        "libcurl",
        "System Environment/Libraries",
        &["8.5.0", "7.81.0", "8.3.0"],
        "A library for getting files from web servers",
        true,
    ),
    (
        "python3",
        "Development/Languages",
        &["3.9.16", "3.10.12", "3.11.6"],
        "Interpreter of the Python programming language",
        true,
    ),
    (
        "sudo",
        "Applications/System",
        &["1.9.15", "1.9.9"],
        "Allows restricted root access for specified users",
        true,
    ),
    (
        "tar",
        "Applications/Archiving",
        &["1.34"],
        "GNU file archiving program",
        true,
    ),
    (
        "gzip",
        "Applications/File",
        &["1.12", "1.10"],
        "The GNU data compression program",
        true,
    ),
    (
        "xz",
        "Applications/File",
        &["5.2.5", "5.4.1"],
        "LZMA compression utilities",
        true,
    ),
    (
        "zlib",
        "System Environment/Libraries",
        &["1.2.11", "1.2.13"],
        "Compression and decompression library",
        true,
    ),
    (
        "chrony",
        "System Environment/Daemons",
        &["4.3", "4.2"],
        "An NTP client/server",
        true,
    ),
    (
        "rsyslog",
        "System Environment/Daemons",
        &["8.2204.0", "8.2112.0"],
        "Enhanced system logging daemon",
        true,
    ),
    (
        "cronie",
        "System Environment/Base",
        &["1.5.7"],
        "Cron daemon for executing programs at set times",
        true,
    ),
    (
        "amazon-ssm-agent",
        "Applications/System",
        &["3.3.987.0"],
        "Manage EC2 Instances using Systems Manager",
        true,
    ),
    (
        "ca-certificates",
        "System Environment/Base",
        &["2023.2.64", "20230311"],
        "The Mozilla CA root certificate bundle",
        true,
    ),
    (
        "tzdata",
        "System Environment/Base",
        &["2024a", "2023c"],
        "Timezone data",
        true,
    ),
    (
        "procps-ng",
        "Applications/System",
        &["3.3.17", "4.0.2"],
        "System and process monitoring utilities",
        true,
    ),
    (
        "util-linux",
        "System Environment/Base",
        &["2.37.4", "2.38.1"],
        "A collection of basic system utilities",
        true,
    ),
    (
        "shadow-utils",
        "System Environment/Base",
        &["4.9"],
        "Utilities for managing accounts and shadow password files",
        true,
    ),
    (
        "pam",
        "System Environment/Base",
        &["1.5.1", "1.4.0"],
        "An extensible library for authentication",
        true,
    ),
    (
        "krb5-libs",
        "System Environment/Libraries",
        &["1.21.2", "1.19.2"],
        "The non-admin shared libraries used by Kerberos 5",
        true,
    ),
    (
        "libxml2",
        "System Environment/Libraries",
        &["2.10.4", "2.9.13"],
        "Library providing XML and HTML support",
        true,
    ),
    (
        "sqlite",
        "Applications/Databases",
        &["3.40.0", "3.37.2"],
        "Library that implements an embeddable SQL database engine",
        true,
    ),
    (
        "expat",
        "System Environment/Libraries",
        &["2.5.0", "2.4.7"],
        "An XML parser library",
        true,
    ),
    (
        "ncurses",
        "System Environment/Base",
        &["6.2", "6.3"],
        "Ncurses support utilities",
        true,
    ),
    (
        "audit",
        "System Environment/Daemons",
        &["3.0.6", "3.0.7"],
        "User space tools for kernel auditing",
        true,
    ),
    (
        "iptables",
        "System Environment/Base",
        &["1.8.8", "1.8.7"],
        "Tools for managing Linux kernel packet filtering",
        true,
    ),
    (
        "vim-minimal",
        "Applications/Editors",
        &["9.0.2153", "8.2.3995"],
        "A minimal version of the VIM editor",
        false,
    ),
    (
        "nano",
        "Applications/Editors",
        &["5.6.1", "6.2"],
        "A small text editor",
        false,
    ),
    (
        "git",
        "Development/Tools",
        &["2.40.1", "2.34.1"],
        "Fast Version Control System",
        false,
    ),
    (
        "jq",
        "Applications/Text",
        &["1.6", "1.7.1"],
        "Command-line JSON processor",
        false,
    ),
    (
        "wget",
        "Applications/Internet",
        &["1.21.3", "1.21.2"],
        "A utility for retrieving files using HTTP or FTP",
        false,
    ),
    (
        "docker",
        "System Environment/Base",
        &["25.0.3", "24.0.5"],
        "Automates deployment of containerized applications",
        false,
    ),
    (
        "containerd",
        "System Environment/Base",
        &["1.7.11", "1.6.24"],
        "An industry-standard container runtime",
        false,
    ),
    (
        "aws-cli",
        "Applications/System",
        &["2.15.30", "2.13.25"],
        "Universal Command Line Environment for AWS",
        false,
    ),
    (
        "cloud-init",
        "System Environment/Base",
        &["22.2.2", "23.1.2"],
        "Cloud instance init scripts",
        false,
    ),
    (
        "lvm2",
        "System Environment/Base",
        &["2.03.16", "2.03.11"],
        "Userland logical volume management tools",
        false,
    ),
    (
        "e2fsprogs",
        "System Environment/Base",
        &["1.46.5"],
        "Utilities for managing ext2, ext3, and ext4 file systems",
        false,
    ),
    (
        "xfsprogs",
        "System Environment/Base",
        &["5.18.0", "5.13.0"],
        "Utilities for managing the XFS filesystem",
        false,
    ),
    (
        "strace",
        "Development/Debuggers",
        &["6.1", "5.16"],
        "Tracks and displays system calls",
        false,
    ),
    (
        "tcpdump",
        "Applications/Internet",
        &["4.99.1"],
        "A network traffic monitoring tool",
        false,
    ),
    (
        "htop",
        "Applications/System",
        &["3.2.1", "3.0.5"],
        "Interactive process viewer",
        false,
    ),
    (
        "rsync",
        "Applications/Internet",
        &["3.2.6", "3.2.7"],
        "A program for synchronizing files over a network",
        false,
    ),
    (
        "unzip",
        "Applications/Archiving",
        &["6.0"],
        "A utility for unpacking zip files",
        false,
    ),
    (
        "bind-utils",
        "Applications/System",
        &["9.16.48", "9.18.18"],
        "Utilities for querying DNS name servers",
        false,
    ),
    (
        "nfs-utils",
        "System Environment/Daemons",
        &["2.5.4"],
        "NFS utilities and supporting clients and daemons",
        false,
    ),
    (
        "perl",
        "Development/Languages",
        &["5.32.1", "5.34.0"],
        "Practical Extraction and Report Language",
        false,
    ),
    (
        "gnupg2",
        "Applications/System",
        &["2.3.7", "2.2.27"],
        "A GNU utility for secure communication and data storage",
        false,
    ),
];

/// Packages a node of `role` adds: (name, type, versions, summary).
fn role_packages(
    role: &str,
) -> &'static [(
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
)] {
    match role {
        "web" => &[(
            "nginx",
            "System Environment/Daemons",
            &["1.24.0", "1.18.0"],
            "A high performance web server",
        )],
        "db" => &[(
            "postgresql15-server",
            "Applications/Databases",
            &["15.6", "15.4"],
            "The programs needed to create and run a PostgreSQL server",
        )],
        "cache" => &[(
            "redis6",
            "Applications/Databases",
            &["6.2.14", "6.2.7"],
            "A persistent key-value database",
        )],
        "api" | "worker" | "batch" => &[(
            "java-17-amazon-corretto-headless",
            "Development/Languages",
            &["17.0.10+7", "17.0.8+8"],
            "Amazon Corretto headless runtime",
        )],
        _ => &[],
    }
}

/// Windows programs: (name, publisher, versions).
const WINDOWS: &[(&str, &str, &[&str])] = &[
    ("Amazon SSM Agent", "Amazon Web Services", &["3.3.987.0"]),
    (
        "AWS Tools for Windows",
        "Amazon Web Services Developer Relations",
        &["4.1.515", "3.15.2072"],
    ),
    (
        "aws-cfn-bootstrap",
        "Amazon Web Services",
        &["2.0.28", "2.0.25"],
    ),
    (
        "Amazon CloudWatch Agent",
        "Amazon.com, Inc.",
        &["1.300032.3", "1.300026.2"],
    ),
    (
        "EC2Launch",
        "Amazon Web Services",
        &["2.0.1643", "2.0.1521"],
    ),
    ("AWS PV Drivers", "Amazon Web Services", &["8.4.3"]),
    (
        "Microsoft Edge",
        "Microsoft Corporation",
        &["122.0.2365.80", "120.0.2210.91"],
    ),
    (
        "Microsoft Edge Update",
        "Microsoft Corporation",
        &["1.3.185.21"],
    ),
    (
        "Microsoft Visual C++ 2015-2022 Redistributable (x64)",
        "Microsoft Corporation",
        &["14.38.33135.0", "14.36.32532.0"],
    ),
    (
        "Microsoft Visual C++ 2015-2022 Redistributable (x86)",
        "Microsoft Corporation",
        &["14.38.33135.0"],
    ),
    (
        "Microsoft .NET Runtime - 6.0.27 (x64)",
        "Microsoft Corporation",
        &["6.0.27.33417"],
    ),
    (
        "Microsoft .NET Framework 4.8",
        "Microsoft Corporation",
        &["4.8.04084"],
    ),
    (
        "PowerShell 7-x64",
        "Microsoft Corporation",
        &["7.4.1.0", "7.3.9.0"],
    ),
    (
        "Windows Admin Center",
        "Microsoft Corporation",
        &["1.5.2306.14001"],
    ),
    ("7-Zip 23.01 (x64)", "Igor Pavlov", &["23.01"]),
    (
        "Git",
        "The Git Development Community",
        &["2.43.0", "2.41.0"],
    ),
    (
        "Notepad++ (64-bit x64)",
        "Notepad++ Team",
        &["8.6.4", "8.5.8"],
    ),
    ("Google Chrome", "Google LLC", &["122.0.6261.112"]),
    (
        "Mozilla Firefox (x64 en-US)",
        "Mozilla",
        &["123.0.1", "115.8.0"],
    ),
    (
        "Python 3.11.8 (64-bit)",
        "Python Software Foundation",
        &["3.11.8150.0"],
    ),
    (
        "Microsoft SQL Server 2019 (64-bit)",
        "Microsoft Corporation",
        &["15.0.2000.5"],
    ),
    (
        "Microsoft ODBC Driver 17 for SQL Server",
        "Microsoft Corporation",
        &["17.10.5.1"],
    ),
    (
        "IIS URL Rewrite Module 2",
        "Microsoft Corporation",
        &["7.2.1993"],
    ),
    (
        "Microsoft Web Deploy 4.0",
        "Microsoft Corporation",
        &["10.0.8311"],
    ),
    (
        "OpenSSL 3.2.1 (64-bit)",
        "OpenSSL Win64 Installer Team",
        &["3.2.1"],
    ),
    ("Splunk Universal Forwarder", "Splunk, Inc.", &["9.2.0.1"]),
    (
        "CrowdStrike Windows Sensor",
        "CrowdStrike, Inc.",
        &["7.10.17706.0"],
    ),
    (
        "Windows PC Health Check",
        "Microsoft Corporation",
        &["3.6.2204.08001"],
    ),
    (
        "Microsoft Update Health Tools",
        "Microsoft Corporation",
        &["5.72.0.0"],
    ),
    ("VMware Tools", "VMware, Inc.", &["12.3.5.22544099"]),
    (
        "Amazon EC2 Windows Utilities",
        "Amazon Web Services",
        &["1.0.0"],
    ),
    (
        "Java 17 Update (64-bit)",
        "Oracle Corporation",
        &["17.0.10.0"],
    ),
];

/// macOS apps: (name, versions).
const MACOS: &[(&str, &[&str])] = &[
    ("Safari", &["17.3.1", "17.2"]),
    ("Xcode", &["15.2", "15.0.1"]),
    ("Amazon SSM Agent", &["3.3.987.0"]),
    ("Terminal", &["2.14"]),
    ("TextEdit", &["1.19"]),
    ("Google Chrome", &["122.0.6261.112"]),
    ("Homebrew", &["4.2.10"]),
    ("Python", &["3.11.8"]),
    ("Git", &["2.39.3"]),
    ("Docker", &["4.27.2"]),
    ("Visual Studio Code", &["1.87.0"]),
    ("Slack", &["4.36.140"]),
];

fn pick<'a>(n: &LabNode, salt: &str, list: &[&'a str]) -> &'a str {
    list[(mix(&n.id, crate::paging::fingerprint([salt.as_bytes()])) % list.len() as u64) as usize]
}

fn entry(pairs: &[(&str, String)]) -> Entry {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// The AWS:Application entries of `n`, installed around `installed_s`.
fn applications(n: &LabNode, installed_s: i64) -> Vec<Entry> {
    let fam = family(n);
    let when = |k: u64| iso_s(installed_s + (k % 86_400 * 30) as i64);
    let arm = n.architecture() == "arm64";
    match fam {
        "windows" => {
            let mut out = Vec::new();
            for (i, (name, publisher, versions)) in WINDOWS.iter().enumerate() {
                let keep = i < 8 || !mix(&n.id, 0xa99 + i as u64).is_multiple_of(3);
                if !keep {
                    continue;
                }
                let version = if *name == "Amazon SSM Agent" {
                    n.agent_version.clone()
                } else {
                    pick(n, name, versions).to_owned()
                };
                out.push(entry(&[
                    ("Name", (*name).to_owned()),
                    ("Publisher", (*publisher).to_owned()),
                    ("Version", version),
                    ("InstalledTime", when(mix(&n.id, i as u64))),
                    ("ApplicationType", String::new()),
                    ("Architecture", "x86_64".to_owned()),
                    ("URL", String::new()),
                ]));
            }
            out
        }
        "macos" => MACOS
            .iter()
            .enumerate()
            .map(|(i, (name, versions))| {
                let version = if *name == "Amazon SSM Agent" {
                    n.agent_version.clone()
                } else {
                    pick(n, name, versions).to_owned()
                };
                entry(&[
                    ("Name", (*name).to_owned()),
                    ("Publisher", "Apple".to_owned()),
                    ("Version", version),
                    ("InstalledTime", when(mix(&n.id, i as u64))),
                    (
                        "Architecture",
                        if arm { "arm64" } else { "x86_64" }.to_owned(),
                    ),
                ])
            })
            .collect(),
        _ => linux_packages(n, fam, installed_s),
    }
}

/// rpm or deb packages of a Linux node (30 … 60, openssl always).
fn linux_packages(n: &LabNode, fam: &str, installed_s: i64) -> Vec<Entry> {
    let deb = fam == "deb";
    let arch = match (deb, n.architecture() == "arm64") {
        (true, true) => "arm64",
        (true, false) => "amd64",
        (false, true) => "aarch64",
        (false, false) => "x86_64",
    };
    let dist = if deb {
        "0ubuntu1.10".to_owned()
    } else if n.platform_name.contains("Amazon") {
        format!(
            "1.amzn{}.0.3",
            n.platform_version.split('.').next().unwrap_or("2023")
        )
    } else {
        "1.el9".to_owned()
    };
    let publisher = if deb {
        "Ubuntu Developers <ubuntu-devel-discuss@lists.ubuntu.com>"
    } else if n.platform_name.contains("Amazon") {
        "Amazon Linux"
    } else {
        "Red Hat, Inc."
    };
    let role = n.tag("Role").unwrap_or("");
    let ssl = openssl_version(n);
    let ssl_lib = if deb { "libssl3" } else { "openssl-libs" };
    let mut list: Vec<(&str, &str, String, &str)> = vec![
        (
            "openssl",
            "System Environment/Libraries",
            ssl.to_owned(),
            "Utilities from the general purpose cryptography library with TLS implementation",
        ),
        (
            ssl_lib,
            "System Environment/Libraries",
            ssl.to_owned(),
            "A general purpose cryptography library with TLS implementation",
        ),
    ];
    for (i, (name, kind, versions, summary, always)) in LINUX.iter().enumerate() {
        if *always || mix(&n.id, 0x11a + i as u64) % 5 < 2 {
            let version = if *name == "amazon-ssm-agent" {
                n.agent_version.clone()
            } else {
                pick(n, name, versions).to_owned()
            };
            list.push((name, kind, version, summary));
        }
    }
    for (name, kind, versions, summary) in role_packages(role) {
        list.push((name, kind, pick(n, name, versions).to_owned(), summary));
    }
    list.sort_by(|a, b| a.0.cmp(b.0));
    list.into_iter()
        .enumerate()
        .map(|(i, (name, kind, version, summary))| {
            let release = if name == "amazon-ssm-agent" {
                "1".to_owned()
            } else {
                dist.clone()
            };
            let package_id = if deb {
                format!("{name}_{version}-{release}_{arch}.deb")
            } else {
                format!("{name}-{version}-{release}.src.rpm")
            };
            entry(&[
                ("Name", name.to_owned()),
                ("ApplicationType", kind.to_owned()),
                ("Publisher", publisher.to_owned()),
                ("Version", version),
                ("Release", release),
                ("Epoch", String::new()),
                (
                    "InstalledTime",
                    iso_s(installed_s + (mix(&n.id, i as u64) % (86_400 * 30)) as i64),
                ),
                ("Architecture", arch.to_owned()),
                ("URL", String::new()),
                ("Summary", summary.to_owned()),
                ("PackageId", package_id),
            ])
        })
        .collect()
}

/// AWS:Service: Windows services, or the systemd units of a Linux node.
fn services(n: &LabNode) -> Vec<Entry> {
    let online = n.ping != crate::PingStatus::Inactive;
    let status = |running: bool| {
        if running && online {
            "Running"
        } else {
            "Stopped"
        }
        .to_owned()
    };
    if n.platform_type == "Windows" {
        let list = [
            ("AmazonSSMAgent", "Amazon SSM Agent", "Automatic", true),
            (
                "AmazonCloudWatchAgent",
                "Amazon CloudWatch Agent",
                "Automatic",
                true,
            ),
            ("W32Time", "Windows Time", "Manual", true),
            (
                "WinRM",
                "Windows Remote Management (WS-Management)",
                "Automatic",
                true,
            ),
            ("wuauserv", "Windows Update", "Manual", false),
            (
                "Spooler",
                "Print Spooler",
                "Automatic",
                mix(&n.id, 0x5b).is_multiple_of(2),
            ),
            ("EventLog", "Windows Event Log", "Automatic", true),
            ("Dnscache", "DNS Client", "Automatic", true),
            ("TermService", "Remote Desktop Services", "Manual", true),
        ];
        return list
            .iter()
            .map(|(name, display, start, running)| {
                entry(&[
                    ("Name", (*name).to_owned()),
                    ("DisplayName", (*display).to_owned()),
                    ("ServiceType", "Win32OwnProcess".to_owned()),
                    ("Status", status(*running)),
                    ("DependentServices", String::new()),
                    (
                        "ServicesDependedOn",
                        if *name == "WinRM" {
                            "RPCSS,HTTP".to_owned()
                        } else {
                            String::new()
                        },
                    ),
                    ("StartType", (*start).to_owned()),
                ])
            })
            .collect();
    }
    let role_unit = match n.tag("Role").unwrap_or("") {
        "web" => Some(("nginx.service", "The nginx HTTP and reverse proxy server")),
        "db" => Some(("postgresql.service", "PostgreSQL database server")),
        "cache" => Some(("redis.service", "Redis persistent key-value database")),
        _ => None,
    };
    let mut units = vec![
        ("amazon-ssm-agent.service", "amazon-ssm-agent", true),
        ("sshd.service", "OpenSSH server daemon", true),
        ("chronyd.service", "NTP client/server", true),
        ("rsyslog.service", "System Logging Service", true),
        ("crond.service", "Command Scheduler", true),
        ("systemd-journald.service", "Journal Service", true),
        ("cups.service", "CUPS Scheduler", false),
    ];
    if let Some((u, d)) = role_unit {
        units.push((u, d, !mix(&n.id, 0x7a).is_multiple_of(9)));
    }
    units
        .iter()
        .map(|(name, display, running)| {
            entry(&[
                ("Name", (*name).to_owned()),
                ("DisplayName", (*display).to_owned()),
                ("ServiceType", "simple".to_owned()),
                ("Status", status(*running)),
                ("DependentServices", String::new()),
                ("ServicesDependedOn", "network.target".to_owned()),
                (
                    "StartType",
                    if *running { "enabled" } else { "disabled" }.to_owned(),
                ),
            ])
        })
        .collect()
}

/// AWS:Network: the node's primary interface.
fn network(n: &LabNode) -> Vec<Entry> {
    let octets: Vec<&str> = n.ip.split('.').collect();
    let net = format!(
        "{}.{}",
        octets.first().unwrap_or(&"10"),
        octets.get(1).unwrap_or(&"0")
    );
    let h = mix(&n.id, 0xac);
    let mac = format!(
        "0a:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        h & 0xff,
        (h >> 8) & 0xff,
        (h >> 16) & 0xff,
        (h >> 24) & 0xff,
        (h >> 32) & 0xff
    );
    let name = match family(n) {
        "windows" => "Amazon Elastic Network Adapter",
        "macos" => "en0",
        _ if n.is_hybrid() => "eth0",
        _ => "ens5",
    };
    vec![entry(&[
        ("Name", name.to_owned()),
        ("SubnetMask", "255.255.0.0".to_owned()),
        ("Gateway", format!("{net}.0.1")),
        ("DHCPServer", format!("{net}.0.1")),
        ("DNSServer", format!("{net}.0.2")),
        ("MacAddress", mac),
        ("IPV4", n.ip.clone()),
        ("IPV6", String::new()),
    ])]
}

/// AWS:WindowsUpdate (Windows only): the hot fixes installed.
fn windows_updates(n: &LabNode, installed_s: i64) -> Vec<Entry> {
    if n.platform_type != "Windows" {
        return Vec::new();
    }
    let all = [
        ("KB5034439", "Security Update"),
        ("KB5034129", "Security Update"),
        ("KB5033118", "Update"),
        ("KB5032198", "Security Update"),
        ("KB5031364", "Security Update"),
        ("KB5030216", "Update"),
        ("KB5029250", "Security Update"),
        ("KB5028171", "Update"),
    ];
    let count = 3 + (mix(&n.id, 0x3d) % 6) as usize;
    all.iter()
        .take(count)
        .enumerate()
        .map(|(i, (kb, what))| {
            entry(&[
                ("HotFixId", (*kb).to_owned()),
                ("Description", (*what).to_owned()),
                ("InstalledTime", iso_s(installed_s + 86_400 * 7 * i as i64)),
                ("InstalledBy", "NT AUTHORITY\\SYSTEM".to_owned()),
            ])
        })
        .collect()
}

/// AWS:File: a few files the inventory association is told to collect.
fn files(n: &LabNode, installed_s: i64) -> Vec<Entry> {
    let t = iso_s(installed_s);
    let windows = n.platform_type == "Windows";
    let list: &[(&str, &str, u64, &str)] = if windows {
        &[
            (
                "amazon-ssm-agent.exe",
                "C:\\Program Files\\Amazon\\SSM",
                38_912_000,
                "Amazon SSM Agent",
            ),
            (
                "ssm-document-worker.exe",
                "C:\\Program Files\\Amazon\\SSM",
                31_457_280,
                "Amazon SSM Agent",
            ),
            (
                "EC2Launch.exe",
                "C:\\Program Files\\Amazon\\EC2Launch",
                9_830_400,
                "EC2Launch",
            ),
        ]
    } else {
        &[
            ("amazon-ssm-agent.json", "/etc/amazon/ssm", 2_861, ""),
            ("sshd_config", "/etc/ssh", 3_667, ""),
            ("resolv.conf", "/etc", 112 + mix(&n.id, 0xf1) % 80, ""),
        ]
    };
    list.iter()
        .map(|(name, dir, size, product)| {
            let version = if product.is_empty() {
                String::new()
            } else {
                n.agent_version.clone()
            };
            entry(&[
                ("Name", (*name).to_owned()),
                ("Size", size.to_string()),
                ("Description", (*product).to_owned()),
                ("FileVersion", version.clone()),
                ("InstalledDate", t.clone()),
                ("ModificationTime", t.clone()),
                ("LastAccessTime", t.clone()),
                ("ProductName", (*product).to_owned()),
                ("InstalledDir", (*dir).to_owned()),
                (
                    "ProductLanguage",
                    if windows {
                        "English (United States)"
                    } else {
                        ""
                    }
                    .to_owned(),
                ),
                (
                    "CompanyName",
                    if windows { "Amazon Web Services" } else { "" }.to_owned(),
                ),
                ("ProductVersion", version),
            ])
        })
        .collect()
}

/// AWS:AWSComponent: the AWS software on the node (the SSM Agent first).
fn aws_components(n: &LabNode, installed_s: i64) -> Vec<Entry> {
    let arch = n.architecture();
    let mut list = vec![("amazon-ssm-agent", n.agent_version.clone())];
    if n.platform_type == "Windows" {
        list.push(("AWS Tools for Windows", "4.1.515".to_owned()));
        list.push(("EC2Launch", "2.0.1643".to_owned()));
    } else if !n.is_hybrid() {
        list.push(("aws-cfn-bootstrap", "2.0".to_owned()));
        list.push(("ec2-instance-connect", "1.1".to_owned()));
    }
    list.into_iter()
        .map(|(name, version)| {
            entry(&[
                ("Name", name.to_owned()),
                ("ApplicationType", "AWS".to_owned()),
                ("Publisher", "Amazon Web Services".to_owned()),
                ("Version", version),
                ("InstalledTime", iso_s(installed_s)),
                ("Architecture", arch.to_owned()),
                ("URL", "https://aws.amazon.com/".to_owned()),
            ])
        })
        .collect()
}

/// The collected inventory of `n`, or `None` for a node never inventoried.
/// Captured within 30 minutes before the node's last ping (the
/// association runs every 30 minutes while the agent is up).
pub(crate) fn collect(n: &LabNode) -> Option<NodeInventory> {
    if !inventoried(n) {
        return None;
    }
    let capture_s = n.last_ping_epoch_s as i64 - (mix(&n.id, 0xca97) % 1_800) as i64;
    let installed_s = n.launch_epoch_s;
    let mut types = BTreeMap::new();
    types.insert("AWS:Application", applications(n, installed_s));
    types.insert("AWS:AWSComponent", aws_components(n, installed_s));
    types.insert("AWS:Network", network(n));
    types.insert("AWS:Service", services(n));
    types.insert("AWS:File", files(n, installed_s));
    let updates = windows_updates(n, installed_s);
    if !updates.is_empty() {
        types.insert("AWS:WindowsUpdate", updates);
    }
    Some(NodeInventory { capture_s, types })
}

/// AWS:InstanceInformation of `n` as it is now (one entry).
pub(crate) fn instance_information(n: &LabNode) -> Entry {
    let status = match n.ping {
        crate::PingStatus::Online => "Active",
        crate::PingStatus::ConnectionLost => "ConnectionLost",
        crate::PingStatus::Inactive if n.is_hybrid() => "Inactive",
        crate::PingStatus::Inactive => "Stopped",
    };
    entry(&[
        ("AgentType", "amazon-ssm-agent".to_owned()),
        ("AgentVersion", n.agent_version.clone()),
        ("ComputerName", n.computer_name.clone()),
        ("InstanceId", n.id.clone()),
        ("InstanceStatus", status.to_owned()),
        ("IpAddress", n.ip.clone()),
        ("PlatformName", n.platform_name.clone()),
        ("PlatformType", n.platform_type.clone()),
        ("PlatformVersion", n.platform_version.clone()),
        (
            "ResourceType",
            if n.is_hybrid() {
                "ManagedInstance"
            } else {
                "EC2Instance"
            }
            .to_owned(),
        ),
    ])
}
