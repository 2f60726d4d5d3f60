//! Validation of a case document against `schemas/case.schema.json`, with
//! each schema error turned into a message that says what is allowed.

use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use super::issue::Issue;
use super::spans::escape;
use crate::suggest::did_you_mean;

/// The case-file schema, as shipped in `schemas/`.
pub const CASE_SCHEMA: &str = include_str!("../../schemas/case.schema.json");

fn schema_json() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        serde_json::from_str(CASE_SCHEMA).expect("bundled case schema is valid JSON (tested)")
    })
}

fn validator() -> &'static Validator {
    static VALIDATOR: OnceLock<Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        jsonschema::draft202012::new(schema_json()).expect("bundled case schema compiles (tested)")
    })
}

/// Every schema violation of `instance`, as issues.
pub(crate) fn validate(instance: &Value) -> Vec<Issue> {
    let mut issues = Vec::new();
    for error in validator().iter_errors(instance) {
        describe(&error, &mut issues);
    }
    issues
}

fn describe(error: &ValidationError<'_>, out: &mut Vec<Issue>) {
    let pointer = error.instance_path().as_str().to_string();
    let instance = error.instance();
    let here = schema_at(&pointer);
    let description = here.and_then(describe_node);
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let allowed = here.map(property_names).unwrap_or_default();
            for key in unexpected {
                let help = match did_you_mean(key, allowed.iter().map(String::as_str)) {
                    Some(best) => format!("did you mean \"{best}\"?"),
                    None => format!("allowed here: {}", allowed.join(", ")),
                };
                out.push(
                    Issue::key(
                        format!("{pointer}/{}", escape(key)),
                        format!("unknown field \"{key}\""),
                    )
                    .help(help),
                );
            }
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            let help = here
                .and_then(|node| resolve(node).get("properties"))
                .and_then(|props| props.get(name))
                .and_then(describe_node);
            out.push(
                Issue::value(pointer, format!("missing required field \"{name}\""))
                    .maybe_help(help),
            );
        }
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => toml_type_name(&t.to_string()).to_string(),
                TypeKind::Multiple(set) => set
                    .iter()
                    .map(|t| toml_type_name(&t.to_string()).to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            out.push(
                Issue::value(
                    pointer,
                    format!(
                        "wrong type: expected {}, found {}",
                        with_article(&expected),
                        with_article(found_type(instance))
                    ),
                )
                .maybe_help(description),
            );
        }
        ValidationErrorKind::Enum { options } => {
            let options: Vec<String> = options
                .as_array()
                .map(|a| a.iter().map(|o| o.to_string()).collect())
                .unwrap_or_default();
            let given = instance.as_str().unwrap_or_default();
            let bare: Vec<String> = options
                .iter()
                .map(|o| o.trim_matches('"').to_string())
                .collect();
            let help = did_you_mean(given, bare.iter().map(String::as_str))
                .map(|best| format!("did you mean \"{best}\"?"))
                .or(description);
            out.push(
                Issue::value(
                    pointer,
                    format!(
                        "{instance} is not allowed here; expected one of {}",
                        options.join(", ")
                    ),
                )
                .maybe_help(help),
            );
        }
        ValidationErrorKind::Pattern { pattern } => out.push(
            Issue::value(
                pointer,
                format!("{instance} does not match the pattern {pattern}"),
            )
            .maybe_help(description),
        ),
        ValidationErrorKind::Minimum { limit } => out.push(
            Issue::value(
                pointer,
                format!("{instance} is too small: the minimum is {limit}"),
            )
            .maybe_help(description),
        ),
        ValidationErrorKind::Maximum { limit } => out.push(
            Issue::value(
                pointer,
                format!("{instance} is too large: the maximum is {limit}"),
            )
            .maybe_help(description),
        ),
        ValidationErrorKind::MinItems { limit } => out.push(
            Issue::value(
                pointer,
                format!(
                    "needs at least {limit} item{}, found {}",
                    if *limit == 1 { "" } else { "s" },
                    instance.as_array().map_or(0, Vec::len)
                ),
            )
            .maybe_help(description),
        ),
        ValidationErrorKind::MinLength { limit } | ValidationErrorKind::MaxLength { limit } => {
            let n = instance.as_str().map_or(0, |s| s.chars().count());
            out.push(
                Issue::value(
                    pointer,
                    format!(
                        "{instance} has {n} characters; {} is {limit}",
                        error.kind().keyword()
                    ),
                )
                .maybe_help(description),
            );
        }
        ValidationErrorKind::MinProperties { limit } => out.push(
            Issue::value(
                pointer,
                format!(
                    "needs at least {limit} field{}",
                    if *limit == 1 { "" } else { "s" }
                ),
            )
            .maybe_help(description),
        ),
        ValidationErrorKind::PropertyNames { error: inner } => {
            let key = inner.instance().as_str().unwrap_or_default().to_string();
            let names_schema = here
                .and_then(|node| resolve(node).get("propertyNames"))
                .and_then(describe_node);
            let mut nested = Vec::new();
            describe(inner, &mut nested);
            let reason = nested
                .first()
                .map_or_else(|| inner.to_string(), |i| i.message.clone());
            out.push(
                Issue::key(
                    format!("{pointer}/{}", escape(&key)),
                    format!("invalid key \"{key}\": {reason}"),
                )
                .maybe_help(names_schema),
            );
        }
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            // Report the branch whose type matched: its errors are the
            // precise ones (e.g. `status = [700]` → "700 is too large").
            let matching: Vec<&Vec<ValidationError<'static>>> = context
                .iter()
                .filter(|branch| {
                    !branch.iter().any(|e| {
                        e.instance_path().as_str() == pointer
                            && matches!(e.kind(), ValidationErrorKind::Type { .. })
                    })
                })
                .collect();
            if let [branch] = matching.as_slice() {
                for e in branch.iter() {
                    describe(e, out);
                }
            } else {
                out.push(
                    Issue::value(
                        pointer,
                        format!("{instance} is not one of the accepted forms"),
                    )
                    .maybe_help(description),
                );
            }
        }
        _ => out.push(Issue::value(pointer, error.to_string()).maybe_help(description)),
    }
}

/// The schema node describing the instance at `pointer` (following `$ref`,
/// `properties`, `items`, `additionalProperties` and `anyOf`).
fn schema_at(pointer: &str) -> Option<&'static Value> {
    let mut node = schema_json();
    for segment in pointer.split('/').skip(1) {
        let key = segment.replace("~1", "/").replace("~0", "~");
        node = child(node, &key)?;
    }
    Some(node)
}

fn child(node: &'static Value, key: &str) -> Option<&'static Value> {
    let node = resolve(node);
    if let Some(found) = node.get("properties").and_then(|p| p.get(key)) {
        return Some(found);
    }
    if key.parse::<usize>().is_ok()
        && let Some(items) = node.get("items")
    {
        return Some(items);
    }
    if let Some(extra) = node.get("additionalProperties").filter(|v| v.is_object()) {
        return Some(extra);
    }
    node.get("anyOf")
        .and_then(Value::as_array)
        .and_then(|branches| branches.iter().find_map(|b| child(b, key)))
}

/// Follows a local `$ref` (`#/$defs/...`).
fn resolve(node: &'static Value) -> &'static Value {
    let mut node = node;
    for _ in 0..8 {
        let Some(target) = node
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|p| schema_json().pointer(p))
        else {
            break;
        };
        node = target;
    }
    node
}

/// The node's own description, else the referenced schema's.
fn describe_node(node: &'static Value) -> Option<String> {
    node.get("description")
        .or_else(|| resolve(node).get("description"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn property_names(node: &'static Value) -> Vec<String> {
    resolve(node)
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

fn toml_type_name(json_type: &str) -> &str {
    match json_type {
        "object" => "table",
        "number" => "number",
        other => other,
    }
}

fn found_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "a non-finite float",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "float",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "table",
    }
}

fn with_article(noun: &str) -> String {
    if noun.starts_with("a non") {
        return noun.to_string();
    }
    let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {noun}")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn minimal() -> Value {
        json!({"case": [{"name": "a", "invariants": ["X-Y"],
            "step": [{"request": {"method": "GET", "path": "/operations"}}]}]})
    }

    #[test]
    fn accepts_a_minimal_document() {
        assert_eq!(validate(&minimal()), vec![]);
    }

    #[test]
    fn unknown_field_suggests_the_closest() {
        let mut doc = minimal();
        doc["case"][0]["step"][0]["expcet"] = json!({});
        let issues = validate(&doc);
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].pointer, "/case/0/step/0/expcet");
        assert_eq!(issues[0].message, "unknown field \"expcet\"");
        assert_eq!(issues[0].help.as_deref(), Some("did you mean \"expect\"?"));
    }

    #[test]
    fn status_out_of_range_is_reported_on_the_code() {
        let mut doc = minimal();
        doc["case"][0]["step"][0]["expect"] = json!({"status": [200, 700]});
        let issues = validate(&doc);
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].pointer, "/case/0/step/0/expect/status/1");
        assert!(issues[0].message.contains("maximum is 599"), "{issues:?}");
    }

    #[test]
    fn reports_every_error() {
        let mut doc = minimal();
        doc["case"][0]["name"] = json!("Bad Name");
        doc["case"][0]["step"][0]["request"]["method"] = json!("get");
        let issues = validate(&doc);
        assert_eq!(issues.len(), 2, "{issues:?}");
        assert!(
            issues
                .iter()
                .any(|i| i.help.as_deref() == Some("did you mean \"GET\"?"))
        );
    }

    #[test]
    fn bad_pointer_key_is_reported_on_the_key() {
        let mut doc = minimal();
        doc["case"][0]["step"][0]["expect"] = json!({"json": {"id": 1}});
        let issues = validate(&doc);
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].pointer, "/case/0/step/0/expect/json/id");
        assert!(
            issues[0].message.starts_with("invalid key \"id\""),
            "{issues:?}"
        );
    }

    #[test]
    fn wrong_type_names_toml_types() {
        let mut doc = minimal();
        doc["case"][0]["invariants"] = json!("X-Y");
        let issues = validate(&doc);
        assert_eq!(
            issues[0].message,
            "wrong type: expected an array, found a string"
        );
    }
}
