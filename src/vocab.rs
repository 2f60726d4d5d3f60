//! The shared vocabulary of the contract: the words every layer speaks
//! (which reading of status codes, which endpoint, which body schema, which
//! fixture state, which owner type). It depends on nothing of the crate, so
//! the contract, the case model, the result model and both drivers can all
//! use it without depending on each other.

use serde::{Deserialize, Serialize};

/// Which reading of status codes a run applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Accept what akua's docs or the cited standard allow (default).
    #[default]
    Lenient,
    /// Demand akua's own conventions.
    Strict,
}

/// The four endpoints under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// `POST /operations/{id}:cancel`
    Cancel,
    /// `POST /operations/{id}:wait`
    Wait,
    /// `GET /operations/{id}`
    Get,
    /// `GET /operations`
    List,
    /// Anything else (fixtures, unknown routes).
    Other,
}

/// Which schema a body must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyKind {
    /// `Operation` (+ body invariants).
    Operation,
    /// `OperationList` (+ list invariants, and Operation invariants per item).
    OperationList,
    /// Either documented error envelope.
    Error,
}

/// The state a fixture operation starts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FixtureState {
    /// RUNNING; stays RUNNING until cancelled (provider promise).
    Running,
    /// Terminal SUCCEEDED.
    Succeeded,
    /// Terminal FAILED.
    Failed,
    /// Terminal CANCELLED.
    Cancelled,
    /// RUNNING on the provider's clock: its next step fails once (setting
    /// `last_error`), succeeds on retry (clearing it), then the operation
    /// SUCCEEDS. Only providers that know this state offer it; elsewhere the
    /// case is skipped.
    Retrying,
}

impl FixtureState {
    /// The wire value: `running`, `succeeded`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            FixtureState::Running => "running",
            FixtureState::Succeeded => "succeeded",
            FixtureState::Failed => "failed",
            FixtureState::Cancelled => "cancelled",
            FixtureState::Retrying => "retrying",
        }
    }

    /// The Operation `state` value: `RUNNING`, `SUCCEEDED`, ...
    pub fn operation_state(self) -> &'static str {
        match self {
            FixtureState::Running => "RUNNING",
            FixtureState::Succeeded => "SUCCEEDED",
            FixtureState::Failed => "FAILED",
            FixtureState::Cancelled => "CANCELLED",
            FixtureState::Retrying => "RUNNING",
        }
    }
}

/// The seven documented `owner_type` values (Operation schema).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OwnerType {
    /// `install`, ids `inst_...`.
    Install,
    /// `repository_change_request`, ids `rcr_...`.
    RepositoryChangeRequest,
    /// `repository`, ids `repo_...`.
    Repository,
    /// `workspace`, ids `ws_...`.
    Workspace,
    /// `machine`, ids `mch_...`.
    Machine,
    /// `cluster`, ids `clu_...`.
    Cluster,
    /// `package`, ids `pkg_...`.
    Package,
}

impl OwnerType {
    /// The wire value: `install`, `repository_change_request`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerType::Install => "install",
            OwnerType::RepositoryChangeRequest => "repository_change_request",
            OwnerType::Repository => "repository",
            OwnerType::Workspace => "workspace",
            OwnerType::Machine => "machine",
            OwnerType::Cluster => "cluster",
            OwnerType::Package => "package",
        }
    }

    /// The `owner_id` prefix paired with this type (contract §2), e.g. `inst_`.
    pub fn id_prefix(self) -> &'static str {
        match self {
            OwnerType::Install => "inst_",
            OwnerType::RepositoryChangeRequest => "rcr_",
            OwnerType::Repository => "repo_",
            OwnerType::Workspace => "ws_",
            OwnerType::Machine => "mch_",
            OwnerType::Cluster => "clu_",
            OwnerType::Package => "pkg_",
        }
    }
}
