//! The embedded reference's worlds: the documented choices it makes
//! (dialect) and whether its operations move on their own (tempo), and its
//! configuration in one of them. [`super::TargetSpec::embedded`] serves it.

use crate::reference::{self, Dialect, FaultInfo, ReferenceConfig, Tempo};

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
