//! Target programs (`platform`, `compute`, `object` and the add-ons).

use std::fmt;
use std::str::FromStr;

/// An add-on program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AddOn {
    /// Designate (`os_powered_dns`).
    Dns,
    /// Heat (`os_powered_orchestration`).
    Orchestration,
    /// Manila (`os_powered_shared_file_system`).
    SharedFileSystem,
    /// Octavia (`os_powered_load_balancer`).
    LoadBalancer,
    /// Barbican (`os_powered_key_manager`).
    KeyManager,
}

impl AddOn {
    /// Every add-on RefStack 2.1.0 knows.
    pub const ALL: [AddOn; 5] = [
        AddOn::Dns,
        AddOn::Orchestration,
        AddOn::SharedFileSystem,
        AddOn::LoadBalancer,
        AddOn::KeyManager,
    ];

    /// The `target=` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dns => "dns",
            Self::Orchestration => "orchestration",
            Self::SharedFileSystem => "shared_file_system",
            Self::LoadBalancer => "load_balancer",
            Self::KeyManager => "key_manager",
        }
    }

    /// The guideline component: `os_powered_<target>`.
    pub fn component(self) -> &'static str {
        match self {
            Self::Dns => "os_powered_dns",
            Self::Orchestration => "os_powered_orchestration",
            Self::SharedFileSystem => "os_powered_shared_file_system",
            Self::LoadBalancer => "os_powered_load_balancer",
            Self::KeyManager => "os_powered_key_manager",
        }
    }
}

/// A target program, the `target=` parameter of RefStack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// OpenStack Powered Platform (compute + storage).
    Platform,
    /// OpenStack Powered Compute.
    Compute,
    /// OpenStack Powered Storage (object storage).
    Object,
    /// An add-on program (2.0 add-on guideline files).
    AddOn(AddOn),
}

impl Target {
    /// Every target, platform programs first.
    pub const ALL: [Target; 8] = [
        Target::Platform,
        Target::Compute,
        Target::Object,
        Target::AddOn(AddOn::Dns),
        Target::AddOn(AddOn::Orchestration),
        Target::AddOn(AddOn::SharedFileSystem),
        Target::AddOn(AddOn::LoadBalancer),
        Target::AddOn(AddOn::KeyManager),
    ];

    /// The `target=` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Platform => "platform",
            Self::Compute => "compute",
            Self::Object => "object",
            Self::AddOn(a) => a.as_str(),
        }
    }

    /// The program name: the key of a 2.0 `platforms` entry for the
    /// platform programs, RefStack's display name for add-ons.
    pub fn program_name(self) -> &'static str {
        match self {
            Self::Platform => "OpenStack Powered Platform",
            Self::Compute => "OpenStack Powered Compute",
            Self::Object => "OpenStack Powered Storage",
            Self::AddOn(AddOn::Dns) => "OpenStack with DNS",
            Self::AddOn(AddOn::Orchestration) => "OpenStack with Orchestration",
            Self::AddOn(AddOn::SharedFileSystem) => "OpenStack with Shared File System",
            Self::AddOn(AddOn::LoadBalancer) => "OpenStack with Load Balancer",
            Self::AddOn(AddOn::KeyManager) => "OpenStack with Key Manager",
        }
    }

    /// The add-on, if this is one.
    pub fn add_on(self) -> Option<AddOn> {
        match self {
            Self::AddOn(a) => Some(a),
            _ => None,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A target name RefStack does not know, or that the guideline does not
/// define. Displays as RefStack's `Invalid target: <name>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid target: {0}")]
pub struct InvalidTarget(pub String);

impl FromStr for Target {
    type Err = InvalidTarget;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Target::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| InvalidTarget(s.to_owned()))
    }
}

impl From<refstack_api_types::guidelines::Target> for Target {
    fn from(t: refstack_api_types::guidelines::Target) -> Self {
        use refstack_api_types::guidelines::Target as Wire;
        match t {
            Wire::Platform => Self::Platform,
            Wire::Compute => Self::Compute,
            Wire::Object => Self::Object,
            Wire::Dns => Self::AddOn(AddOn::Dns),
            Wire::Orchestration => Self::AddOn(AddOn::Orchestration),
            Wire::SharedFileSystem => Self::AddOn(AddOn::SharedFileSystem),
            Wire::LoadBalancer => Self::AddOn(AddOn::LoadBalancer),
            Wire::KeyManager => Self::AddOn(AddOn::KeyManager),
        }
    }
}

impl From<Target> for refstack_api_types::guidelines::Target {
    fn from(t: Target) -> Self {
        match t {
            Target::Platform => Self::Platform,
            Target::Compute => Self::Compute,
            Target::Object => Self::Object,
            Target::AddOn(AddOn::Dns) => Self::Dns,
            Target::AddOn(AddOn::Orchestration) => Self::Orchestration,
            Target::AddOn(AddOn::SharedFileSystem) => Self::SharedFileSystem,
            Target::AddOn(AddOn::LoadBalancer) => Self::LoadBalancer,
            Target::AddOn(AddOn::KeyManager) => Self::KeyManager,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_round_trip() {
        for t in Target::ALL {
            assert_eq!(t.as_str().parse::<Target>(), Ok(t));
        }
        assert_eq!(
            "nfv".parse::<Target>().map_err(|e| e.to_string()),
            Err("Invalid target: nfv".to_owned())
        );
        assert_eq!(
            Target::AddOn(AddOn::Dns).add_on().map(AddOn::component),
            Some("os_powered_dns")
        );
        assert_eq!(Target::Platform.add_on(), None);
        for wire in refstack_api_types::guidelines::Target::ALL {
            let ours = Target::from(wire);
            assert_eq!(ours.as_str(), wire.as_str());
            assert_eq!(refstack_api_types::guidelines::Target::from(ours), wire);
        }
    }
}
