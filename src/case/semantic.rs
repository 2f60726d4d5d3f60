//! Checks the schema cannot express: references between fields (fixtures,
//! captures, tables, invariant IDs in the catalogue), templates, and
//! contradictory settings.

use std::collections::{BTreeMap, BTreeSet};

use crate::contract::Invariant;

use super::expect::KINDS;
use super::issue::Issue;
use super::model::{Case, Step};
use super::spans::escape;
use super::template::{self, RESERVED_ROOTS, Scope, Uses};
use crate::suggest::did_you_mean;

/// Names declared twice in one file: every later occurrence is an issue.
pub(crate) fn check_names<'a>(
    names: impl IntoIterator<Item = (usize, &'a str)>,
    line_of: impl Fn(usize) -> Option<usize>,
) -> Vec<Issue> {
    let mut first: BTreeMap<&str, usize> = BTreeMap::new();
    let mut issues = Vec::new();
    for (index, name) in names {
        match first.get(name) {
            Some(&earlier) => {
                let help = match line_of(earlier) {
                    Some(line) => {
                        format!("case[{earlier}] (line {line}) already uses it; rename one")
                    }
                    None => format!("case[{earlier}] already uses it; rename one"),
                };
                issues.push(
                    Issue::value(
                        format!("/case/{index}/name"),
                        format!("duplicate case name \"{name}\""),
                    )
                    .help(help),
                );
            }
            None => {
                first.insert(name, index);
            }
        }
    }
    issues
}

/// Every semantic issue of case `index`, checked against `catalogue`.
pub(crate) fn check_case(index: usize, case: &Case, catalogue: &[Invariant]) -> Vec<Issue> {
    let mut checker = Checker {
        base: format!("/case/{index}"),
        catalogue,
        issues: Vec::new(),
    };
    checker.case(case);
    checker.issues
}

struct Checker<'c> {
    base: String,
    catalogue: &'c [Invariant],
    issues: Vec<Issue>,
}

impl<'c> Checker<'c> {
    fn case(&mut self, case: &Case) {
        let base = self.base.clone();
        if case.fixture.is_some() && case.fixtures.contains_key("op") {
            self.issues.push(
                Issue::key(
                    format!("{base}/fixtures/op"),
                    "fixture \"op\" is declared twice",
                )
                .help("`fixture = \"...\"` is shorthand for fixtures.op; keep one of them"),
            );
        }
        for name in case.fixtures.keys() {
            if RESERVED_ROOTS.contains(&name.as_str()) {
                self.issues.push(
                    Issue::key(
                        format!("{base}/fixtures/{}", escape(name)),
                        format!("fixture name \"{name}\" is reserved for templates"),
                    )
                    .help(format!("reserved: {}", RESERVED_ROOTS.join(", "))),
                );
            }
        }
        let fixtures = case.all_fixtures();
        if case.owner.is_some() && fixtures.is_empty() {
            self.issues.push(
                Issue::value(
                    format!("{base}/owner"),
                    "`owner` has no effect: the case declares no fixtures",
                )
                .help("add fixtures, or remove `owner`"),
            );
        }
        for (i, id) in case.invariants.iter().enumerate() {
            self.invariant(&format!("{base}/invariants/{i}"), id);
        }
        if let Some(table) = &case.table {
            if table.lengths.is_empty() && table.values.is_empty() {
                self.issues.push(
                    Issue::value(
                        format!("{base}/table"),
                        format!(
                            "table \"{}\" has no rows: it has neither lengths nor values",
                            table.name
                        ),
                    )
                    .help("add `lengths = [0, 1, 64, 65]` or `values = [\"...\"]`"),
                );
            }
            let labels = super::plan::table_rows(table);
            let mut seen = BTreeSet::new();
            for row in &labels {
                if !seen.insert(row.label.as_str()) {
                    self.issues.push(
                        Issue::value(
                            format!("{base}/table"),
                            format!("table row \"{}\" appears twice", row.label),
                        )
                        .help("each length and value gives one trial; remove the duplicate"),
                    );
                }
            }
        }

        let mut scope = Scope {
            fixtures: fixtures.keys().map(String::as_str).collect(),
            has_table: case.table.is_some(),
            has_owner: case.owner.is_some(),
            ..Scope::default()
        };
        let mut body_captures: BTreeSet<&str> = BTreeSet::new();
        for (j, step) in case.steps.iter().enumerate() {
            for name in step.capture.keys() {
                scope.later_captures.entry(name.as_str()).or_insert(j);
            }
        }
        let mut uses = Uses::default();
        for (j, step) in case.steps.iter().enumerate() {
            let step_ptr = format!("{base}/step/{j}");
            scope.later_captures.retain(|_, at| *at >= j);
            self.step(&step_ptr, step, &scope, &body_captures, &mut uses);
            for (name, capture) in &step.capture {
                scope.captures.insert(name.as_str());
                if capture.body {
                    body_captures.insert(name.as_str());
                }
            }
        }
        if let Some(table) = &case.table
            && !uses.table
        {
            self.issues.push(
                Issue::value(
                    format!("{base}/table"),
                    format!(
                        "table \"{}\" is never used: no template reads {{{{ table.value }}}}",
                        table.name
                    ),
                )
                .help("use {{ table.value }} in a request (or remove the table)"),
            );
        }
    }

    fn step(
        &mut self,
        ptr: &str,
        step: &Step,
        scope: &Scope<'_>,
        body_captures: &BTreeSet<&str>,
        uses: &mut Uses,
    ) {
        let request = &step.request;
        let req = format!("{ptr}/request");
        self.template(&format!("{req}/path"), &request.path, scope, uses);
        if let Some(body) = &request.body {
            self.template(&format!("{req}/body"), body, scope, uses);
        }
        for (name, value) in &request.query {
            self.template(&format!("{req}/query/{}", escape(name)), value, scope, uses);
        }
        for (name, value) in &request.headers {
            let at = format!("{req}/headers/{}", escape(name));
            if name.eq_ignore_ascii_case("authorization") {
                self.issues.push(
                    Issue::key(at.clone(), "set the credential with `auth`, not an authorization header")
                        .help("auth = \"none\" | \"malformed\" | \"invalid\" | \"foreign\" | \"wrong_scheme\" | \"broad\" (default \"token\")"),
                );
            }
            // A server remembers idempotency keys (for hours): a fixed key
            // makes the confirmation attempt, or the next run, look like key
            // reuse. Only a key without letters or digits (an empty, blank or
            // encoding probe, which cannot be made fresh without changing
            // what it probes) may be literal.
            if name.eq_ignore_ascii_case("idempotency-key")
                && value.chars().any(|c| c.is_ascii_alphanumeric())
                && !value.contains("{{")
            {
                self.issues.push(
                    Issue::value(
                        at.clone(),
                        format!("idempotency-key \"{value}\" is the same on every attempt and every run"),
                    )
                    .help("make it fresh: `opconform-{{ uuid }}`, or a `lengths` table without `fill` and `{{ table.value }}`"),
                );
            }
            self.template(&at, value, scope, uses);
        }

        for (name, capture) in &step.capture {
            let sources = usize::from(capture.header.is_some())
                + usize::from(capture.pointer.is_some())
                + usize::from(capture.body);
            if sources != 1 {
                self.issues.push(
                    Issue::value(
                        format!("{ptr}/capture/{}", escape(name)),
                        format!("capture \"{name}\" must take exactly one of header, pointer or body = true"),
                    )
                    .help("e.g. `capture.etag = { header = \"etag\" }`"),
                );
            }
        }

        let mut rules = Rules {
            checker: self,
            at: format!("{ptr}/expect"),
            scope,
            body_captures,
            uses,
        };
        for kind in KINDS {
            kind.validate(step, &mut rules);
        }
    }

    fn template(&mut self, at: &str, source: &str, scope: &Scope<'_>, uses: &mut Uses) {
        for problem in template::check(source, scope, uses) {
            self.issues
                .push(Issue::value(at, problem.message).maybe_help(problem.help));
        }
    }

    /// Reports an unknown ID; returns the invariant when it exists.
    fn invariant(&mut self, at: &str, id: &str) -> Option<&'c Invariant> {
        let catalogue = self.catalogue;
        if let Some(found) = catalogue.iter().find(|inv| inv.id == id) {
            return Some(found);
        }
        let help = did_you_mean(id, catalogue.iter().map(|inv| inv.id))
            .map(|best| format!("did you mean \"{best}\"?"))
            .unwrap_or_else(|| "`opconform invariants` lists every ID".into());
        self.issues
            .push(Issue::value(at, format!("unknown invariant ID \"{id}\"")).help(help));
        None
    }
}

/// What the rules of one step's `expect` keys see (each kind's
/// [`super::expect::ExpectKind::validate`]): where the table is, what is
/// in scope there, and where issues go.
pub(crate) struct Rules<'a, 'c> {
    checker: &'a mut Checker<'c>,
    /// JSON pointer of the step's `expect`.
    at: String,
    /// Fixtures, captures and table the step can name.
    pub scope: &'a Scope<'a>,
    /// Captures of earlier steps made with `body = true`.
    pub body_captures: &'a BTreeSet<&'a str>,
    uses: &'a mut Uses,
}

impl<'c> Rules<'_, 'c> {
    /// The pointer of `expect`'s `key` (a path below it may follow).
    pub(crate) fn at(&self, key: &str) -> String {
        format!("{}/{key}", self.at)
    }

    /// Reports an issue.
    pub(crate) fn push(&mut self, issue: Issue) {
        self.checker.issues.push(issue);
    }

    /// Reports an unknown invariant ID at `at`; the invariant when it
    /// exists.
    pub(crate) fn invariant(&mut self, at: &str, id: &str) -> Option<&'c Invariant> {
        self.checker.invariant(at, id)
    }

    /// Checks the template `source` at `at`.
    pub(crate) fn template(&mut self, at: &str, source: &str) {
        self.checker.template(at, source, self.scope, self.uses);
    }

    /// Checks the string values of a JSON-pointer table as templates.
    pub(crate) fn json_templates(&mut self, at: &str, json: &BTreeMap<String, toml::Value>) {
        for (pointer, value) in json {
            if let toml::Value::String(s) = value {
                self.template(&format!("{at}/{}", escape(pointer)), s);
            }
        }
    }

    /// Reports a fixture name the case does not declare; `field` names the
    /// key in the message.
    pub(crate) fn fixture_ref(&mut self, at: &str, name: &str, field: &str) {
        if !self.scope.fixtures.contains(name) {
            let help = self.known_fixtures();
            self.push(
                Issue::value(
                    at,
                    format!("{field} names fixture \"{name}\", which the case does not declare"),
                )
                .help(help),
            );
        }
    }

    /// The fixtures the case declares, as help text.
    pub(crate) fn known_fixtures(&self) -> String {
        let fixtures = &self.scope.fixtures;
        if fixtures.is_empty() {
            "the case declares no fixtures; add `fixture = \"running\"` or `fixtures = { NAME = \"running\" }`".into()
        } else {
            format!(
                "declared fixtures: {}",
                fixtures.iter().copied().collect::<Vec<_>>().join(", ")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{Basis, Check, Level, StatusSets};

    fn inv(id: &'static str, statuses: Option<StatusSets>) -> Invariant {
        Invariant {
            id,
            title: "",
            clause: "",
            level: Level::Must,
            basis: Basis::Documented,
            statuses,
            strict_only: false,
            check: Check::Case,
        }
    }

    fn catalogue() -> Vec<Invariant> {
        vec![
            inv(
                "FAKE-STATUS",
                Some(StatusSets {
                    strict: &[422],
                    lenient_extra: &[409],
                }),
            ),
            inv("FAKE-BODY", None),
        ]
    }

    fn case(toml_text: &str) -> Case {
        toml::from_str::<super::super::model::CaseFile>(toml_text)
            .expect("test case parses")
            .cases
            .remove(0)
    }

    fn messages(toml_text: &str) -> Vec<String> {
        check_case(0, &case(toml_text), &catalogue())
            .into_iter()
            .map(|i| i.message)
            .collect()
    }

    #[test]
    fn status_invariant_needs_status_sets() {
        let ok = r#"[[case]]
name = "a"
invariants = ["FAKE-STATUS"]
[[case.step]]
request = { method = "GET", path = "/x" }
expect.status = "FAKE-STATUS"
"#;
        assert!(messages(ok).is_empty());
        let bad = ok.replace(
            "expect.status = \"FAKE-STATUS\"",
            "expect.status = \"FAKE-BODY\"",
        );
        assert_eq!(
            messages(&bad),
            vec!["invariant FAKE-BODY has no status sets in the catalogue"]
        );
    }

    #[test]
    fn unknown_invariant_gets_a_suggestion() {
        let text = r#"[[case]]
name = "a"
invariants = ["FAKE-STATSU"]
[[case.step]]
request = { method = "GET", path = "/x" }
"#;
        let issues = check_case(0, &case(text), &catalogue());
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].pointer, "/case/0/invariants/0");
        assert_eq!(
            issues[0].help.as_deref(),
            Some("did you mean \"FAKE-STATUS\"?")
        );
    }

    #[test]
    fn duplicate_names_point_at_the_second() {
        let issues = check_names([(0, "a"), (1, "b"), (2, "a")], |_| Some(3));
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].pointer, "/case/2/name");
        assert_eq!(
            issues[0].help.as_deref(),
            Some("case[0] (line 3) already uses it; rename one")
        );
    }

    #[test]
    fn references_must_be_declared() {
        let text = r#"[[case]]
name = "a"
invariants = ["FAKE-BODY"]
fixture = "running"
[[case.step]]
request = { method = "GET", path = "/x" }
expect = { unchanged = "b", same_body_as = "first", single_transition = true, eventually = { fixture = "c", within_ms = 5 } }
"#;
        assert_eq!(
            messages(text),
            vec![
                "unchanged names fixture \"b\", which the case does not declare",
                "same_body_as names capture \"first\", which no earlier step captures",
                "single_transition needs a parallel step",
                "eventually observes fixture \"c\", which the case does not declare",
                "eventually has no condition",
            ]
        );
    }

    #[test]
    fn tables_must_have_rows_and_be_used() {
        let text = r#"[[case]]
name = "a"
invariants = ["FAKE-BODY"]
table = { name = "key" }
[[case.step]]
request = { method = "GET", path = "/x" }
"#;
        assert_eq!(
            messages(text),
            vec![
                "table \"key\" has no rows: it has neither lengths nor values",
                "table \"key\" is never used: no template reads {{ table.value }}",
            ]
        );
    }

    #[test]
    fn captures_need_exactly_one_source() {
        let text = r#"[[case]]
name = "a"
invariants = ["FAKE-BODY"]
[[case.step]]
request = { method = "GET", path = "/x" }
capture.x = { header = "etag", body = true }
"#;
        assert_eq!(
            messages(text),
            vec!["capture \"x\" must take exactly one of header, pointer or body = true"]
        );
    }

    #[test]
    fn idempotency_keys_must_be_fresh() {
        let with_key = |key: &str| {
            format!(
                r#"[[case]]
name = "c"
invariants = ["FAKE-STATUS"]
[[case.step]]
request = {{ method = "POST", path = "/operations/x", headers = {{ idempotency-key = "{key}" }} }}
"#
            )
        };
        let m = messages(&with_key("fixed-key-1"));
        assert!(
            m.iter().any(|m| m.contains("same on every attempt")),
            "{m:?}"
        );
        assert!(
            messages(&with_key("opconform-{{ uuid }}"))
                .iter()
                .all(|m| !m.contains("same on every attempt"))
        );
        assert!(
            messages(&with_key(""))
                .iter()
                .all(|m| !m.contains("same on every attempt"))
        );
    }
}
