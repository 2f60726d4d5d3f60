//! The embedded reference as a run's target: one place that starts it on
//! loopback in a world (dialect and tempo), with faults, its fixture
//! provider and its tokens. `opconform run` without `--target`, `selftest`
//! and the kill-matrix tests all start it here.

use std::net::SocketAddr;

use crate::reference::{self, Dialect, FaultInfo, ReferenceConfig, ReferenceServer, Tempo};

use crate::run::Target;

/// Which of the reference's worlds: the documented choices it makes and
/// whether its operations move on their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct World {
    /// `akua` or `alternate`.
    pub dialect: Dialect,
    /// `frozen` or `live`.
    pub tempo: Tempo,
}

impl World {
    /// Every world, akua/frozen first.
    pub const ALL: [World; 4] = [
        World {
            dialect: Dialect::Akua,
            tempo: Tempo::Frozen,
        },
        World {
            dialect: Dialect::Akua,
            tempo: Tempo::Live,
        },
        World {
            dialect: Dialect::Alternate,
            tempo: Tempo::Frozen,
        },
        World {
            dialect: Dialect::Alternate,
            tempo: Tempo::Live,
        },
    ];

    /// `akua/frozen`, ...
    pub fn name(self) -> String {
        format!("{}/{}", self.dialect.as_str(), self.tempo.as_str())
    }

    /// False when the dialect offers no list endpoint (its list cases have
    /// nothing to test).
    pub fn has_list(self) -> bool {
        self.dialect == Dialect::Akua
    }
}

/// The embedded reference's configuration in `world` with `faults`: the
/// embedded step, fixtures on, every token.
pub fn embedded_config(world: World, faults: Vec<&'static FaultInfo>) -> ReferenceConfig {
    ReferenceConfig {
        step_length: reference::EMBEDDED_STEP_LENGTH,
        faults,
        fixtures: true,
        dialect: world.dialect,
        tempo: world.tempo,
        ..ReferenceConfig::default()
    }
}

/// The run target for a reference serving at `server`: its workspace,
/// foreign and broad tokens, its fixture provider.
pub fn embedded_target(server: &ReferenceServer, faults: &[&'static FaultInfo]) -> Target {
    Target {
        base_url: server.base_url(),
        token: Some(reference::ALPHA_TOKEN.to_string()),
        foreign_token: Some(reference::BETA_TOKEN.to_string()),
        broad_token: Some(reference::BROAD_TOKEN.to_string()),
        context: None,
        fixtures_url: Some(server.fixtures_url()),
        static_ops: Vec::new(),
        embedded: true,
        faults: faults.iter().map(|f| f.name.to_string()).collect(),
    }
}

/// Starts the embedded reference on `127.0.0.1:0` in `world` with
/// `faults`; returns its target and the server (shut it down after).
pub async fn launch_embedded(
    world: World,
    faults: Vec<&'static FaultInfo>,
) -> std::io::Result<(Target, ReferenceServer)> {
    let addr: SocketAddr = ([127, 0, 0, 1], 0).into();
    let server = ReferenceServer::start(embedded_config(world, faults.clone()), addr).await?;
    let target = embedded_target(&server, &faults);
    Ok((target, server))
}
