//! Templating of request strings and expected values with minijinja.
//!
//! Variables: each fixture name → `{id, bare_id, state, workspace_id}`
//! (`workspace_id` only when the fixture provider gave one), `capture.NAME`,
//! `table.value`, `uuid` (fresh per attempt), `run_id` and, when the case
//! sets `owner`, `owner.type` / `owner.id`. Undefined
//! variables are errors, so a typo never sends a literal `{{ ... }}`.

use std::collections::BTreeMap;

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

/// A template could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("render template `{template}`: {message}")]
pub struct TemplateError {
    /// The template source.
    pub template: String,
    /// What went wrong (usually an undefined variable).
    pub message: String,
}

/// The template variables of one fixture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FixtureVars {
    /// Canonical id, e.g. `op_123`.
    pub id: String,
    /// The id without `op_`.
    pub bare_id: String,
    /// Operation state it was created in, e.g. `RUNNING`.
    pub state: String,
    /// The workspace the provider created it in (its `workspace_id`), when
    /// known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
}

impl FixtureVars {
    /// Variables for an operation id in `state`.
    pub fn new(id: &str, state: &str) -> FixtureVars {
        FixtureVars {
            id: id.to_string(),
            bare_id: id.strip_prefix("op_").unwrap_or(id).to_string(),
            state: state.to_string(),
            workspace_id: None,
        }
    }
}

/// The owner every fixture of one attempt was created with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnerVars {
    /// The wire `owner_type`, e.g. `install`.
    #[serde(rename = "type")]
    pub owner_type: String,
    /// The prefixed `owner_id`, e.g. `inst_0123...`.
    pub id: String,
}

impl OwnerVars {
    /// A fresh owner of `owner_type`: its prefix followed by the 32 hex
    /// digits of a v4 UUID, so no other run or trial shares it.
    pub fn fresh(owner_type: crate::case::OwnerType) -> OwnerVars {
        OwnerVars {
            owner_type: owner_type.as_str().to_string(),
            id: format!(
                "{}{}",
                owner_type.id_prefix(),
                uuid::Uuid::new_v4().simple()
            ),
        }
    }
}

/// Everything a template of one attempt can name.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    /// Fixtures by case name (`op`, `a`, ...).
    pub fixtures: BTreeMap<String, FixtureVars>,
    /// Captured values.
    pub capture: BTreeMap<String, String>,
    /// The table row's value.
    pub table_value: Option<String>,
    /// Fresh per attempt.
    pub uuid: String,
    /// Fixed for the run.
    pub run_id: String,
    /// The attempt's owner, when the case sets `owner`.
    pub owner: Option<OwnerVars>,
    /// The run's settle deadline in whole seconds, clamped to 1..=60 (the
    /// `:wait` timeout range): `{{ settle_secs }}`. Cases that wait for an
    /// operation to settle use it, so a slow server gets the time a user
    /// allows, and a fast one costs nothing.
    pub settle_secs: u64,
}

impl Vars {
    /// True when `id` (canonical or bare) is one of the attempt's fixtures:
    /// an operation the run was handed, which a request may change.
    pub fn owns(&self, id: &str) -> bool {
        self.fixtures
            .values()
            .any(|f| id == f.id || id == f.bare_id)
    }
}

/// Renders templates against [`Vars`].
#[derive(Debug)]
pub struct Renderer {
    env: Environment<'static>,
}

impl Default for Renderer {
    fn default() -> Self {
        Renderer::new()
    }
}

impl Renderer {
    /// A renderer with strict undefined behaviour and no auto-escaping.
    pub fn new() -> Renderer {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        Renderer { env }
    }

    /// Renders one template string.
    pub fn render(&self, template: &str, vars: &Vars) -> Result<String, TemplateError> {
        if !template.contains("{{") && !template.contains("{%") && !template.contains("{#") {
            return Ok(template.to_string());
        }
        let mut ctx: BTreeMap<String, minijinja::Value> = BTreeMap::new();
        for (name, f) in &vars.fixtures {
            ctx.insert(
                name.clone(),
                minijinja::Value::from(minijinja::value::Serde(f)),
            );
        }
        ctx.insert(
            "capture".into(),
            minijinja::Value::from(minijinja::value::Serde(&vars.capture)),
        );
        if let Some(v) = &vars.table_value {
            let mut table = BTreeMap::new();
            table.insert("value", v.clone());
            ctx.insert(
                "table".into(),
                minijinja::Value::from(minijinja::value::Serde(&table)),
            );
        }
        ctx.insert("uuid".into(), minijinja::Value::from(vars.uuid.clone()));
        ctx.insert("run_id".into(), minijinja::Value::from(vars.run_id.clone()));
        ctx.insert(
            "settle_secs".into(),
            minijinja::Value::from(vars.settle_secs),
        );
        if let Some(owner) = &vars.owner {
            ctx.insert(
                "owner".into(),
                minijinja::Value::from(minijinja::value::Serde(owner)),
            );
        }
        self.env
            .render_str(template, ctx)
            .map_err(|e| TemplateError {
                template: template.to_string(),
                message: e.to_string(),
            })
    }

    /// Renders every string inside a JSON value (expected `json` values).
    pub fn render_json(
        &self,
        value: &serde_json::Value,
        vars: &Vars,
    ) -> Result<serde_json::Value, TemplateError> {
        use serde_json::Value;
        Ok(match value {
            Value::String(s) => Value::String(self.render(s, vars)?),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| self.render_json(v, vars))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => {
                let mut out = serde_json::Map::new();
                for (k, v) in map {
                    out.insert(k.clone(), self.render_json(v, vars)?);
                }
                Value::Object(out)
            }
            other => other.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars {
        let mut v = Vars {
            uuid: "u-1".into(),
            run_id: "r-1".into(),
            table_value: Some("kkk".into()),
            ..Vars::default()
        };
        v.fixtures
            .insert("op".into(), FixtureVars::new("op_abc", "RUNNING"));
        v.capture.insert("etag".into(), "\"v1\"".into());
        v
    }

    #[test]
    fn renders_fixture_capture_table_uuid() {
        let r = Renderer::new();
        let out = r
            .render(
                "/operations/{{ op.id }}:{{ op.bare_id }}/{{ capture.etag }}/{{ table.value }}/{{ uuid }}/{{ run_id }}/{{ op.state }}",
                &vars(),
            )
            .unwrap();
        assert_eq!(out, "/operations/op_abc:abc/\"v1\"/kkk/u-1/r-1/RUNNING");
    }

    #[test]
    fn renders_the_owner_and_fresh_owners_differ() {
        let r = Renderer::new();
        let mut v = vars();
        assert!(r.render("{{ owner.id }}", &v).is_err());
        let owner = OwnerVars::fresh(crate::case::OwnerType::Install);
        assert_eq!(owner.owner_type, "install");
        let hex = owner.id.strip_prefix("inst_").unwrap();
        assert_eq!(hex.len(), 32);
        assert!(
            hex.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(owner, OwnerVars::fresh(crate::case::OwnerType::Install));
        v.owner = Some(owner.clone());
        assert_eq!(
            r.render("{{ owner.type }}/{{ owner.id }}", &v).unwrap(),
            format!("install/{}", owner.id)
        );
        let clu = OwnerVars::fresh(crate::case::OwnerType::Cluster);
        assert!(clu.id.starts_with("clu_") && clu.id.len() == 4 + 32);
    }

    #[test]
    fn undefined_is_an_error() {
        let r = Renderer::new();
        let err = r.render("{{ nope.id }}", &vars()).unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
        assert!(r.render("{{ capture.missing }}", &vars()).is_err());
    }

    #[test]
    fn no_html_escaping_and_percent_kept() {
        let r = Renderer::new();
        let mut v = vars();
        v.capture.insert("x".into(), "<a&b>".into());
        assert_eq!(
            r.render("{{ capture.x }}%3Acancel", &v).unwrap(),
            "<a&b>%3Acancel"
        );
    }

    #[test]
    fn renders_nested_json_strings() {
        let r = Renderer::new();
        let v = serde_json::json!({"a": ["{{ op.id }}", 1], "b": true});
        assert_eq!(
            r.render_json(&v, &vars()).unwrap(),
            serde_json::json!({"a": ["op_abc", 1], "b": true})
        );
    }
}
