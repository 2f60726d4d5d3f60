//! Static checks of the minijinja templates in a case: syntax, and that every
//! variable they read exists when the step runs.

use std::collections::{BTreeMap, BTreeSet};

use minijinja::Environment;

use crate::suggest::did_you_mean;

/// Template roots that are not fixtures.
pub const RESERVED_ROOTS: &[&str] = &["capture", "table", "uuid", "run_id", "owner", "settle_secs"];

/// minijinja's own global functions, which static analysis reports as
/// variables.
const BUILTIN_GLOBALS: &[&str] = &["range", "dict", "namespace", "debug"];

/// What a template may read at one step.
#[derive(Debug, Default)]
pub(crate) struct Scope<'a> {
    /// Fixture names the case declares.
    pub fixtures: BTreeSet<&'a str>,
    /// Captures made by earlier steps.
    pub captures: BTreeSet<&'a str>,
    /// Captures made by this or later steps (for a better message).
    pub later_captures: BTreeMap<&'a str, usize>,
    /// The case has a table.
    pub has_table: bool,
    /// The case sets `owner`.
    pub has_owner: bool,
}

/// What a template uses, for the whole-case checks.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Uses {
    pub table: bool,
}

/// One problem in a template: the message and a fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TemplateProblem {
    pub message: String,
    pub help: Option<String>,
}

/// Checks one template string against `scope`.
pub(crate) fn check(source: &str, scope: &Scope<'_>, uses: &mut Uses) -> Vec<TemplateProblem> {
    if !source.contains("{{") && !source.contains("{%") && !source.contains("{#") {
        return Vec::new();
    }
    let env = Environment::new();
    let template = match env.template_from_str(source) {
        Ok(t) => t,
        Err(err) => {
            let detail = err.detail().unwrap_or("invalid template").to_string();
            return vec![TemplateProblem {
                message: format!("template syntax error: {detail}"),
                help: Some("templates use minijinja syntax, e.g. \"{{ op.id }}\"".into()),
            }];
        }
    };
    let mut problems = Vec::new();
    let mut vars: Vec<String> = template.undeclared_variables(true).into_iter().collect();
    vars.sort();
    for var in vars {
        let (root, attr) = match var.split_once('.') {
            Some((r, a)) => (r, Some(a)),
            None => (var.as_str(), None),
        };
        if let Some(problem) = check_variable(root, attr, scope, uses) {
            problems.push(problem);
        }
    }
    problems
}

fn check_variable(
    root: &str,
    attr: Option<&str>,
    scope: &Scope<'_>,
    uses: &mut Uses,
) -> Option<TemplateProblem> {
    let problem = |message: String, help: &str| {
        Some(TemplateProblem {
            message,
            help: Some(help.to_string()),
        })
    };
    if scope.fixtures.contains(root) {
        return match attr {
            Some("id" | "bare_id" | "state" | "workspace_id") => None,
            _ => problem(
                format!(
                    "fixture \"{root}\" has no attribute \"{}\"",
                    attr.unwrap_or("")
                ),
                &format!(
                    "use {{{{ {root}.id }}}}, {{{{ {root}.bare_id }}}}, {{{{ {root}.state }}}} or {{{{ {root}.workspace_id }}}}"
                ),
            ),
        };
    }
    match root {
        "capture" => {
            let Some(name) = attr else {
                return problem(
                    "\"capture\" needs a name".into(),
                    "use {{ capture.NAME }} after a step with capture.NAME",
                );
            };
            let name = name.split('.').next().unwrap_or(name);
            if scope.captures.contains(name) {
                None
            } else if let Some(step) = scope.later_captures.get(name) {
                problem(
                    format!("capture \"{name}\" is used before it is captured"),
                    &format!(
                        "step[{step}] captures it; a capture is available from the next step on"
                    ),
                )
            } else {
                problem(
                    format!("capture \"{name}\" is never captured"),
                    "add `capture.NAME = {{ pointer = \"/id\" }}` (or header/body) to an earlier step",
                )
            }
        }
        "table" => {
            uses.table = true;
            if !scope.has_table {
                problem(
                    "{{ table.value }} is used but the case has no table".into(),
                    "add `table = { name = \"...\", lengths = [...] }` to the case",
                )
            } else if attr != Some("value") {
                problem(
                    format!("table has no attribute \"{}\"", attr.unwrap_or("")),
                    "use {{ table.value }}",
                )
            } else {
                None
            }
        }
        "uuid" | "run_id" | "settle_secs" => match attr {
            None => None,
            Some(a) => problem(
                format!("\"{root}\" is a plain value and has no attribute \"{a}\""),
                &format!("use {{{{ {root} }}}}"),
            ),
        },
        "owner" => {
            if !scope.has_owner {
                problem(
                    "{{ owner }} is used but the case sets no owner".into(),
                    "add `owner = \"install\"` (or another owner type) to the case",
                )
            } else if matches!(attr, Some("type" | "id")) {
                None
            } else {
                problem(
                    format!("owner has no attribute \"{}\"", attr.unwrap_or("")),
                    "use {{ owner.type }} or {{ owner.id }}",
                )
            }
        }
        _ if BUILTIN_GLOBALS.contains(&root) => None,
        _ => {
            let known: Vec<&str> = scope
                .fixtures
                .iter()
                .copied()
                .chain(RESERVED_ROOTS.iter().copied())
                .collect();
            let help = match did_you_mean(root, known.iter().copied()) {
                Some(best) => format!("did you mean \"{best}\"?"),
                None => format!("known names: {}", known.join(", ")),
            };
            Some(TemplateProblem {
                message: format!("unknown template variable \"{root}\""),
                help: Some(help),
            })
        }
    }
}

/// A template as the plan shows it: `{{ expr }}` becomes `<expr>`;
/// everything else is kept (nothing is rendered in a dry run).
pub(crate) fn placeholders(template: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                out.push('<');
                out.push_str(after[..end].trim());
                out.push('>');
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_replace_every_expression() {
        assert_eq!(
            placeholders("/operations/{{ op.id }}:cancel"),
            "/operations/<op.id>:cancel"
        );
        assert_eq!(
            placeholders("op_{{ uuid | replace('-', '') }}{{capture.etag}}"),
            "op_<uuid | replace('-', '')><capture.etag>"
        );
        assert_eq!(placeholders("no {{ end"), "no {{ end");
    }

    fn scope() -> Scope<'static> {
        Scope {
            fixtures: ["op"].into_iter().collect(),
            captures: ["etag"].into_iter().collect(),
            later_captures: [("late", 2)].into_iter().collect(),
            has_table: false,
            has_owner: true,
        }
    }

    fn messages(source: &str) -> Vec<String> {
        check(source, &scope(), &mut Uses::default())
            .into_iter()
            .map(|p| p.message)
            .collect()
    }

    #[test]
    fn accepts_known_names() {
        assert!(
            messages("/operations/{{ op.id }}:cancel?x={{ uuid }}{{ capture.etag }}").is_empty()
        );
        assert!(messages("{{ owner.id }} {{ run_id }} {{ op.bare_id | upper }}").is_empty());
        assert!(messages("no template here").is_empty());
    }

    #[test]
    fn rejects_syntax_errors() {
        let found = messages("{{ op.id ");
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with("template syntax error"), "{found:?}");
    }

    #[test]
    fn rejects_unknown_roots_with_a_suggestion() {
        let problems = check("{{ opp.id }}", &scope(), &mut Uses::default());
        assert_eq!(problems[0].message, "unknown template variable \"opp\"");
        assert_eq!(problems[0].help.as_deref(), Some("did you mean \"op\"?"));
    }

    #[test]
    fn rejects_captures_before_they_exist() {
        assert_eq!(
            messages("{{ capture.late }}"),
            vec!["capture \"late\" is used before it is captured"]
        );
        assert_eq!(
            messages("{{ capture.none }}"),
            vec!["capture \"none\" is never captured"]
        );
    }

    #[test]
    fn table_use_is_recorded_and_needs_a_table() {
        let mut uses = Uses::default();
        let problems = check("{{ table.value }}", &scope(), &mut uses);
        assert!(uses.table);
        assert_eq!(
            problems[0].message,
            "{{ table.value }} is used but the case has no table"
        );
    }

    #[test]
    fn rejects_unknown_fixture_attributes() {
        assert_eq!(
            messages("{{ op.identifier }}"),
            vec!["fixture \"op\" has no attribute \"identifier\""]
        );
    }
}
