//! The simulated fleet: a deterministic set of managed nodes generated from a
//! TOML spec and a seed.
//!
//! The same spec and seed always give the same nodes (ChaCha8 is a portable,
//! version-stable generator), so tests and benchmarks can name node ids.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;

/// Ping status of a managed node, as `DescribeInstanceInformation` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PingStatus {
    /// The agent checked in recently.
    Online,
    /// The agent stopped checking in.
    ConnectionLost,
    /// The node is stopped or deregistered.
    Inactive,
}

impl PingStatus {
    /// The AWS spelling (`Online`, `ConnectionLost`, `Inactive`).
    pub fn as_str(self) -> &'static str {
        match self {
            PingStatus::Online => "Online",
            PingStatus::ConnectionLost => "ConnectionLost",
            PingStatus::Inactive => "Inactive",
        }
    }
}

/// One simulated managed node: the SSM view plus, for EC2 nodes, the EC2 view.
#[derive(Debug, Clone)]
pub struct LabNode {
    /// `i-` followed by 17 hex digits for EC2 nodes, `mi-` for hybrid ones.
    pub id: String,
    /// Value of the `Name` tag (also in `tags`).
    pub name: String,
    /// Ping status.
    pub ping: PingStatus,
    /// Last ping, epoch seconds.
    pub last_ping_epoch_s: f64,
    /// Agent version, e.g. `3.3.987.0`.
    pub agent_version: String,
    /// Whether `agent_version` is the newest in the spec.
    pub agent_is_latest: bool,
    /// `Linux`, `Windows` or `MacOS`.
    pub platform_type: String,
    /// e.g. `Amazon Linux`, `Ubuntu`, `Microsoft Windows Server 2022 Datacenter`.
    pub platform_name: String,
    /// e.g. `2023`, `22.04`.
    pub platform_version: String,
    /// Private IPv4 address.
    pub ip: String,
    /// Host name the agent reports.
    pub computer_name: String,
    /// Tags as key/value pairs, `Name` first.
    pub tags: Vec<(String, String)>,
    /// EC2 instance type (EC2 nodes only; empty for hybrid).
    pub instance_type: String,
    /// EC2 state name (`running`, `stopped`); `running` or `stopped` for hybrid as well.
    pub state: String,
    /// Availability zone (EC2 nodes only; empty for hybrid).
    pub availability_zone: String,
    /// Launch time for EC2 nodes or registration time for hybrid ones, epoch seconds.
    pub launch_epoch_s: i64,
    /// IAM role of the node (hybrid nodes' service role, EC2 nodes' instance profile role).
    pub iam_role: String,
    /// Node profile: added delay before a command starts, milliseconds.
    pub command_delay_ms: u64,
    /// Node profile: the agent fails every command (exit 1, a message on stderr).
    pub command_fails: bool,
}

impl LabNode {
    /// Whether this is a hybrid (`mi-`) node.
    pub fn is_hybrid(&self) -> bool {
        self.id.starts_with("mi-")
    }

    /// The CPU architecture EC2 reports (`architecture`): `arm64` for a
    /// Graviton instance type (a `g` after the generation digit: `c7g`,
    /// `t4g`, `m7gd`), else `x86_64` (hybrid nodes too).
    pub fn architecture(&self) -> &'static str {
        let family = self.instance_type.split('.').next().unwrap_or("");
        let after_digit = family
            .trim_start_matches(|c: char| c.is_ascii_alphabetic())
            .trim_start_matches(|c: char| c.is_ascii_digit());
        if !family.is_empty() && after_digit.starts_with('g') {
            "arm64"
        } else {
            "x86_64"
        }
    }

    /// The EC2 key pair the node was launched with (`lab-<Env tag>`);
    /// `None` for hybrid nodes.
    pub fn key_name(&self) -> Option<String> {
        (!self.is_hybrid()).then(|| format!("lab-{}", self.tag("Env").unwrap_or("default")))
    }

    /// The value of tag `key`, if set.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// A platform entry of the fleet spec.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformSpec {
    /// `PlatformName`, e.g. `Ubuntu`.
    pub name: String,
    /// `PlatformType`: `Linux`, `Windows` or `MacOS`.
    #[serde(rename = "type")]
    pub platform_type: String,
    /// `PlatformVersion`.
    pub version: String,
    /// Relative weight among platforms.
    #[serde(default = "one")]
    pub weight: u32,
}

fn one() -> u32 {
    1
}

/// The TOML fleet spec. Every field has a default, so `seed = 7` alone is a
/// valid spec.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FleetSpec {
    /// Seed of the generator.
    pub seed: u64,
    /// Number of managed nodes.
    pub nodes: usize,
    /// Share of hybrid (`mi-`) nodes, 0.0 … 1.0.
    pub hybrid_share: f64,
    /// Share of nodes whose ping status is `ConnectionLost`.
    pub connection_lost_share: f64,
    /// Share of nodes whose ping status is `Inactive` (stopped).
    pub inactive_share: f64,
    /// Name pattern; `{env}`, `{role}`, `{team}` and `{index}` (4 digits) are replaced.
    pub name_pattern: String,
    /// Values of the `Env` tag.
    pub envs: Vec<String>,
    /// Values of the `Role` tag.
    pub roles: Vec<String>,
    /// Values of the `Team` tag.
    pub teams: Vec<String>,
    /// Agent versions; the last one is the latest.
    pub agent_versions: Vec<String>,
    /// EC2 instance types.
    pub instance_types: Vec<String>,
    /// Availability zones.
    pub availability_zones: Vec<String>,
    /// Platforms with weights.
    pub platforms: Vec<PlatformSpec>,
    /// Parameters seeded into Parameter Store under `/{env}/{role}/…`.
    pub parameters: usize,
    /// Node profile: share of Online nodes whose commands start late.
    pub slow_share: f64,
    /// Node profile: how late, milliseconds.
    pub slow_ms: u64,
    /// Node profile: share of Online nodes whose agent fails every command.
    pub failing_share: f64,
    /// OpsItems seeded into OpsCenter about the nodes.
    pub ops_items: usize,
}

impl Default for FleetSpec {
    fn default() -> Self {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let p = |name: &str, t: &str, version: &str, weight| PlatformSpec {
            name: name.into(),
            platform_type: t.into(),
            version: version.into(),
            weight,
        };
        FleetSpec {
            seed: 42,
            nodes: 300,
            hybrid_share: 0.08,
            connection_lost_share: 0.05,
            inactive_share: 0.03,
            name_pattern: "{env}-{role}-{index}".into(),
            envs: s(&["prod", "staging", "dev"]),
            roles: s(&["web", "api", "worker", "db", "cache", "batch"]),
            teams: s(&["payments", "search", "platform", "identity"]),
            agent_versions: s(&["3.2.2303.0", "3.3.987.0", "3.3.1142.0"]),
            instance_types: s(&[
                "t3.micro",
                "t3.large",
                "m6i.large",
                "c7g.xlarge",
                "r6i.2xlarge",
            ]),
            availability_zones: s(&["us-east-1a", "us-east-1b", "us-east-1c"]),
            parameters: 240,
            slow_share: 0.0,
            slow_ms: 2_000,
            failing_share: 0.0,
            ops_items: 80,
            platforms: vec![
                p("Amazon Linux", "Linux", "2023", 5),
                p("Ubuntu", "Linux", "22.04", 3),
                p(
                    "Microsoft Windows Server 2022 Datacenter",
                    "Windows",
                    "10.0.20348",
                    2,
                ),
            ],
        }
    }
}

/// Errors of [`FleetSpec::parse`] and [`FleetSpec::preset_or_file`].
#[derive(Debug, thiserror::Error)]
pub enum FleetSpecError {
    /// The TOML did not parse or had an unknown key.
    #[error("fleet spec {origin}: {message}")]
    Parse {
        /// File path or preset name.
        origin: String,
        /// What was wrong, with line and column from the TOML parser.
        message: String,
    },
    /// A value was out of range.
    #[error("fleet spec {origin}: {message}")]
    Invalid {
        /// File path or preset name.
        origin: String,
        /// What was wrong and the allowed range.
        message: String,
    },
    /// Neither a preset nor a readable file.
    #[error("fleet '{0}' is neither a preset (demo, large, small) nor a readable TOML file: {1}")]
    NotFound(String, String),
}

impl FleetSpec {
    /// The `demo` preset: a few hundred nodes across prod, staging and dev.
    pub fn demo() -> Self {
        FleetSpec::default()
    }

    /// The `large` preset: 10,000 nodes and 10,000 parameters, for benchmarks.
    pub fn large() -> Self {
        FleetSpec {
            nodes: 10_000,
            seed: 10_000,
            parameters: 10_000,
            ops_items: 5_000,
            ..FleetSpec::default()
        }
    }

    /// The `small` preset: 24 nodes and 30 parameters, for quick end-to-end tests.
    pub fn small() -> Self {
        FleetSpec {
            nodes: 24,
            seed: 24,
            parameters: 30,
            ops_items: 12,
            ..FleetSpec::default()
        }
    }

    /// Parses a TOML spec; `origin` names it in errors.
    ///
    /// # Errors
    /// [`FleetSpecError::Parse`] for bad TOML or unknown keys,
    /// [`FleetSpecError::Invalid`] for shares outside 0…1 or empty lists.
    pub fn parse(text: &str, origin: &str) -> Result<Self, FleetSpecError> {
        let spec: FleetSpec = toml::from_str(text).map_err(|e| FleetSpecError::Parse {
            origin: origin.into(),
            message: e.to_string(),
        })?;
        spec.validate(origin)?;
        Ok(spec)
    }

    /// A preset by name (`demo`, `large`, `small`) or else a TOML file path.
    ///
    /// # Errors
    /// As [`FleetSpec::parse`], or [`FleetSpecError::NotFound`].
    pub fn preset_or_file(name: &str) -> Result<Self, FleetSpecError> {
        match name {
            "demo" => Ok(Self::demo()),
            "large" => Ok(Self::large()),
            "small" => Ok(Self::small()),
            path => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| FleetSpecError::NotFound(path.into(), e.to_string()))?;
                Self::parse(&text, path)
            }
        }
    }

    fn validate(&self, origin: &str) -> Result<(), FleetSpecError> {
        let invalid = |message: String| FleetSpecError::Invalid {
            origin: origin.into(),
            message,
        };
        for (name, v) in [
            ("slow_share", self.slow_share),
            ("failing_share", self.failing_share),
            ("hybrid_share", self.hybrid_share),
            ("connection_lost_share", self.connection_lost_share),
            ("inactive_share", self.inactive_share),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(invalid(format!("{name} = {v} must be between 0.0 and 1.0")));
            }
        }
        if self.connection_lost_share + self.inactive_share > 1.0 {
            return Err(invalid(
                "connection_lost_share + inactive_share must not exceed 1.0".into(),
            ));
        }
        for (name, list) in [
            ("envs", &self.envs),
            ("roles", &self.roles),
            ("teams", &self.teams),
            ("agent_versions", &self.agent_versions),
            ("instance_types", &self.instance_types),
            ("availability_zones", &self.availability_zones),
        ] {
            if list.is_empty() {
                return Err(invalid(format!("{name} must list at least one value")));
            }
        }
        if self.platforms.iter().map(|p| p.weight).sum::<u32>() == 0 {
            return Err(invalid(
                "platforms must list at least one platform with weight > 0".into(),
            ));
        }
        if self.parameters > 100_000 {
            return Err(invalid(format!(
                "parameters = {} is above the lab's limit of 100000",
                self.parameters
            )));
        }
        if self.ops_items > 100_000 {
            return Err(invalid(format!(
                "ops_items = {} is above the lab's limit of 100000",
                self.ops_items
            )));
        }
        if self.nodes > 100_000 {
            return Err(invalid(format!(
                "nodes = {} is above the lab's limit of 100000",
                self.nodes
            )));
        }
        Ok(())
    }

    /// The seeded parameters of this spec.
    pub fn parameters(&self) -> Vec<crate::params::SeedParam> {
        crate::params::seed_parameters(self.seed, self.parameters, &self.envs, &self.roles)
    }

    /// Generates the fleet as of 2026-11-01T00:00:00Z (a fixed "now", so the
    /// same spec always gives the same nodes, times included); see
    /// [`FleetSpec::generate_at`].
    pub fn generate(&self) -> Vec<LabNode> {
        self.generate_at(1_793_491_200)
    }

    /// Generates the fleet with times relative to `now` (epoch seconds):
    /// Online nodes pinged in the last 5 minutes, ConnectionLost ones 1 hour
    /// to 3 days ago, Inactive ones 7 to 60 days ago. Every node has its own
    /// ComputerName. The first nodes (indices 0, 1, 2) are EC2 instances of
    /// the first env and first role (the demo's `prod` `web`), one in each
    /// ping state whose share is above 0, so a first filter for them finds
    /// every state. Node order is by id, as `DescribeInstanceInformation`
    /// pages return it.
    pub fn generate_at(&self, now: i64) -> Vec<LabNode> {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let total_weight: u32 = self.platforms.iter().map(|p| p.weight).sum();
        let latest = self.agent_versions.len() - 1;
        let mut nodes = Vec::with_capacity(self.nodes);
        let mut hostnames = std::collections::HashSet::new();
        // Ping states the first nodes are given (each only when the spec has some).
        let mut showcase = vec![PingStatus::Online];
        if self.connection_lost_share > 0.0 {
            showcase.push(PingStatus::ConnectionLost);
        }
        if self.inactive_share > 0.0 {
            showcase.push(PingStatus::Inactive);
        }
        for index in 0..self.nodes {
            let shown = showcase.get(index).copied();
            let hybrid = rng.random_bool(self.hybrid_share) && shown.is_none();
            let hex: u128 = rng.random();
            let id = if hybrid {
                format!("mi-{:017x}", hex & ((1u128 << 68) - 1))
            } else {
                format!("i-{:017x}", hex & ((1u128 << 68) - 1))
            };
            let mut env = pick(&mut rng, &self.envs);
            let mut role = pick(&mut rng, &self.roles);
            if shown.is_some() {
                env.clone_from(&self.envs[0]);
                role.clone_from(&self.roles[0]);
            }
            let team = pick(&mut rng, &self.teams);
            let name = self
                .name_pattern
                .replace("{env}", &env)
                .replace("{role}", &role)
                .replace("{team}", &team)
                .replace("{index}", &format!("{index:04}"));
            let roll: f64 = rng.random();
            let ping = if let Some(p) = shown {
                p
            } else if roll < self.inactive_share {
                PingStatus::Inactive
            } else if roll < self.inactive_share + self.connection_lost_share {
                PingStatus::ConnectionLost
            } else {
                PingStatus::Online
            };
            let mut w = rng.random_range(0..total_weight);
            let platform = self
                .platforms
                .iter()
                .find(|p| {
                    if w < p.weight {
                        true
                    } else {
                        w -= p.weight;
                        false
                    }
                })
                .unwrap_or(&self.platforms[0]);
            let agent_index = rng.random_range(0..self.agent_versions.len());
            let ip = format!(
                "10.{}.{}.{}",
                rng.random_range(0..4u8),
                rng.random_range(0..=255u8),
                rng.random_range(1..=254u8)
            );
            let last_ping = match ping {
                PingStatus::Online => now - rng.random_range(0..300),
                PingStatus::ConnectionLost => now - rng.random_range(3_600..86_400 * 3),
                PingStatus::Inactive => now - rng.random_range(86_400 * 7..86_400 * 60),
            };
            let launch = now - rng.random_range(86_400..86_400 * 400);
            // Drawn for every node so the rest of the fleet stays the same
            // whatever the profile shares are.
            let (slow_roll, fail_roll): (f64, f64) = (rng.random(), rng.random());
            let online = ping == PingStatus::Online;
            let command_delay_ms = if online && slow_roll < self.slow_share {
                self.slow_ms
            } else {
                0
            };
            let command_fails = online && fail_roll < self.failing_share;
            let instance_type = if hybrid {
                String::new()
            } else {
                pick(&mut rng, &self.instance_types)
            };
            let availability_zone = if hybrid {
                String::new()
            } else {
                pick(&mut rng, &self.availability_zones)
            };
            let computer_name =
                hostname(&mut rng, &mut hostnames, hybrid, platform, &name, &ip, hex);
            nodes.push(LabNode {
                id,
                tags: vec![
                    ("Name".into(), name.clone()),
                    ("Env".into(), env),
                    ("Role".into(), role),
                    ("Team".into(), team),
                ],
                name,
                ping,
                last_ping_epoch_s: last_ping as f64,
                agent_version: self.agent_versions[agent_index].clone(),
                agent_is_latest: agent_index == latest,
                platform_type: platform.platform_type.clone(),
                platform_name: platform.name.clone(),
                platform_version: platform.version.clone(),
                ip,
                computer_name,
                instance_type,
                state: if ping == PingStatus::Inactive {
                    "stopped".into()
                } else {
                    "running".into()
                },
                availability_zone,
                launch_epoch_s: launch,
                iam_role: if hybrid {
                    "SSMServiceRole".into()
                } else {
                    "SSMInstanceProfileRole".into()
                },
                command_delay_ms,
                command_fails,
            });
        }
        nodes.sort_by(|a, b| a.id.cmp(&b.id));
        nodes
    }
}

/// A ComputerName no other node of the fleet has: EC2 Linux
/// `ip-10-1-2-3.ec2.internal` (its private IP), EC2 Windows
/// `EC2AMAZ-XXXXXXX`, a hybrid node its own name (upper case, at most 15
/// characters, on Windows). A clash is redrawn (bounded) or numbered.
fn hostname(
    rng: &mut ChaCha8Rng,
    taken: &mut std::collections::HashSet<String>,
    hybrid: bool,
    platform: &PlatformSpec,
    name: &str,
    ip: &str,
    hex: u128,
) -> String {
    let windows = platform.platform_type == "Windows";
    let mut candidate = match (hybrid, windows) {
        (true, true) => name.to_uppercase().chars().take(15).collect(),
        (true, false) => name.to_lowercase(),
        (false, true) => format!("EC2AMAZ-{:07X}", hex >> 100),
        (false, false) => format!("ip-{}.ec2.internal", ip.replace('.', "-")),
    };
    for attempt in 0..1_000u32 {
        if taken.insert(candidate.clone()) {
            return candidate;
        }
        candidate = if !hybrid && windows {
            format!("EC2AMAZ-{:07X}", rng.random::<u32>() >> 4)
        } else if !hybrid {
            format!(
                "ip-10-{}-{}-{}.ec2.internal",
                rng.random_range(0..4u8),
                rng.random_range(0..=255u8),
                rng.random_range(1..=254u8)
            )
        } else {
            format!("{name}-{}", attempt + 2)
        };
    }
    candidate
}

fn pick(rng: &mut ChaCha8Rng, list: &[String]) -> String {
    list[rng.random_range(0..list.len())].clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_sized() {
        let a = FleetSpec::demo().generate();
        let b = FleetSpec::demo().generate();
        assert_eq!(a.len(), 300);
        assert_eq!(
            a.iter().map(|n| &n.id).collect::<Vec<_>>(),
            b.iter().map(|n| &n.id).collect::<Vec<_>>()
        );
        assert!(a.iter().any(|n| n.is_hybrid()));
        assert!(a.iter().any(|n| n.ping == PingStatus::ConnectionLost));
        assert!(a.iter().all(|n| n.id.len() == 19 || n.id.len() == 20));
    }

    #[test]
    fn every_node_has_its_own_hostname_and_prod_web_has_every_ping_state() {
        for spec in [FleetSpec::demo(), FleetSpec::large(), FleetSpec::small()] {
            let nodes = spec.generate();
            let names: std::collections::HashSet<&str> =
                nodes.iter().map(|n| n.computer_name.as_str()).collect();
            assert_eq!(names.len(), nodes.len(), "{} nodes", nodes.len());
            for ping in [
                PingStatus::Online,
                PingStatus::ConnectionLost,
                PingStatus::Inactive,
            ] {
                assert!(
                    nodes.iter().any(|n| n.ping == ping
                        && !n.is_hybrid()
                        && n.tag("Env") == Some("prod")
                        && n.tag("Role") == Some("web")),
                    "{} nodes: a prod web node {ping:?}",
                    nodes.len()
                );
            }
        }
        // A spec without lost or inactive nodes gets none.
        let spec = FleetSpec {
            connection_lost_share: 0.0,
            inactive_share: 0.0,
            ..FleetSpec::small()
        };
        assert!(spec.generate().iter().all(|n| n.ping == PingStatus::Online));
    }

    #[test]
    fn spec_errors_name_the_field() {
        let e = FleetSpec::parse("hybrid_share = 2.0", "x.toml").unwrap_err();
        assert!(e.to_string().contains("hybrid_share"), "{e}");
        let e = FleetSpec::parse("colour = 1", "x.toml").unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");
    }
}
