//! Where the operations a case acts on come from: a fixture provider, or
//! static ids given with `--op STATE=ID`.
//!
//! Safety: a case never falls back to "some other operation". When its
//! fixture is unavailable it is skipped with the reason.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::case::{FixtureState, PlannedCase};

use super::template::{FixtureVars, OwnerVars};
use crate::target::{HttpClient, OutgoingRequest};

/// The result of acquiring a case's fixtures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acquired {
    /// Every fixture, by case name.
    Ready {
        /// The fixtures.
        fixtures: BTreeMap<String, FixtureVars>,
        /// True when they are static ids (no fresh fixture for a retry).
        from_static: bool,
    },
    /// A fixture is unavailable; the case is skipped.
    Unavailable(String),
    /// The provider handed out a `running` fixture that was already done.
    Drifted(String),
}

#[derive(Debug)]
struct StaticOp {
    state: FixtureState,
    id: String,
    consumed: bool,
}

/// The fixture source of one run.
#[derive(Debug)]
pub struct FixtureSource {
    provider: Option<String>,
    statics: Mutex<Vec<StaticOp>>,
}

impl FixtureSource {
    /// A provider URL (preferred when given) and static ids.
    pub fn new(provider: Option<String>, statics: &[(FixtureState, String)]) -> FixtureSource {
        FixtureSource {
            provider,
            statics: Mutex::new(
                statics
                    .iter()
                    .map(|(state, id)| StaticOp {
                        state: *state,
                        id: id.clone(),
                        consumed: false,
                    })
                    .collect(),
            ),
        }
    }

    /// True when a provider is configured.
    pub fn has_provider(&self) -> bool {
        self.provider.is_some()
    }

    /// Acquires every fixture `planned` needs. `cancels` says whether the
    /// case cancels its operations (a static `running` id is then consumed).
    /// With `owner`, every fixture is created with that owner; static ids
    /// have fixed owners, so such a case needs a provider.
    pub async fn acquire(
        &self,
        planned: &PlannedCase,
        cancels: bool,
        owner: Option<&OwnerVars>,
        client: &HttpClient,
        token: Option<&str>,
        timeout: Duration,
    ) -> Acquired {
        let wanted = planned.case.all_fixtures();
        let mut fixtures = BTreeMap::new();
        match &self.provider {
            Some(url) => {
                let Some(token) = token else {
                    return Acquired::Unavailable(
                        "no token for the fixture provider: pass --token or set AKUA_TOKEN".into(),
                    );
                };
                for (name, state) in wanted {
                    match provide(client, url, token, state, owner, timeout).await {
                        Ok(vars) => {
                            fixtures.insert(name, vars);
                        }
                        Err(ProvideError::Unavailable(why)) => {
                            return Acquired::Unavailable(why);
                        }
                        Err(ProvideError::Drifted(why)) => return Acquired::Drifted(why),
                    }
                }
                Acquired::Ready {
                    fixtures,
                    from_static: false,
                }
            }
            None if owner.is_some() && !wanted.is_empty() => Acquired::Unavailable(
                "needs a fixture provider (--fixtures URL): the case creates its fixtures \
                 with a fresh owner, and static ids have fixed owners"
                    .into(),
            ),
            None => {
                let mut pool = self
                    .statics
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let mut taken: Vec<usize> = Vec::new();
                for (name, state) in wanted {
                    let candidates: Vec<usize> = pool
                        .iter()
                        .enumerate()
                        .filter(|(i, op)| op.state == state && !taken.contains(i))
                        .map(|(i, _)| i)
                        .collect();
                    if candidates.is_empty() {
                        return Acquired::Unavailable(format!(
                            "no `{}` fixture: pass --fixtures URL or --op {}=ID",
                            state.as_str(),
                            state.as_str()
                        ));
                    }
                    let Some(&i) = candidates.iter().find(|&&i| !pool[i].consumed) else {
                        return Acquired::Unavailable(format!(
                            "static {} operation already consumed by an earlier cancel",
                            state.as_str()
                        ));
                    };
                    taken.push(i);
                    fixtures.insert(name, FixtureVars::new(&pool[i].id, state.operation_state()));
                }
                if cancels {
                    for i in taken {
                        if pool[i].state == FixtureState::Running
                            || pool[i].state == FixtureState::Retrying
                        {
                            pool[i].consumed = true;
                        }
                    }
                }
                Acquired::Ready {
                    fixtures,
                    from_static: true,
                }
            }
        }
    }
}

enum ProvideError {
    Unavailable(String),
    Drifted(String),
}

async fn provide(
    client: &HttpClient,
    url: &str,
    token: &str,
    state: FixtureState,
    owner: Option<&OwnerVars>,
    timeout: Duration,
) -> Result<FixtureVars, ProvideError> {
    let mut body = serde_json::json!({ "state": state.as_str() });
    if let Some(o) = owner {
        body["owner_type"] = serde_json::Value::String(o.owner_type.clone());
        body["owner_id"] = serde_json::Value::String(o.id.clone());
    }
    let req = OutgoingRequest {
        method: "POST".into(),
        url: url.to_string(),
        headers: vec![
            ("authorization".into(), format!("Bearer {token}")),
            ("content-type".into(), "application/json".into()),
            ("accept".into(), "application/json".into()),
        ],
        body: Some(body.to_string()),
        timeout,
    };
    let sent = client.send(&req).await;
    let what = state.as_str();
    let Some(resp) = sent.response else {
        return Err(ProvideError::Unavailable(format!(
            "fixture provider gave no `{what}` fixture: {}",
            sent.exchange.error.unwrap_or_default()
        )));
    };
    if !(200..300).contains(&resp.status) {
        let excerpt = sent
            .exchange
            .response
            .map(|r| r.body_excerpt.chars().take(200).collect::<String>())
            .unwrap_or_default();
        return Err(ProvideError::Unavailable(
            format!(
                "fixture provider refused a `{what}` fixture: status {} {}",
                resp.status,
                excerpt.trim()
            )
            .trim_end()
            .to_string(),
        ));
    }
    let body = resp.json().unwrap_or_default();
    let Some(id) = body
        .get("id")
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
    else {
        return Err(ProvideError::Unavailable(format!(
            "fixture provider answered {} without an operation id for `{what}`",
            resp.status
        )));
    };
    if state == FixtureState::Running && body.get("done") == Some(&serde_json::Value::Bool(true)) {
        return Err(ProvideError::Drifted(format!(
            "the provider's `running` fixture {id} was already done"
        )));
    }
    Ok(FixtureVars {
        workspace_id: body
            .get("workspace_id")
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        ..FixtureVars::new(id, state.operation_state())
    })
}
