//! `--dry-run`: the plan as text, every request each case would send, and
//! nothing sent. Values that depend on fixtures, captures or the run
//! (`{{ op.id }}`, `{{ uuid }}` ...) are shown as `<op.id>`; tokens are
//! never shown.

use std::fmt::Write as _;

use crate::case::{Auth, PlannedCase, Request};

use super::request::{INVALID_AUTH, MALFORMED_AUTH};
use crate::target::Target;

/// The plan of `cases` against `target`, one block per case.
pub fn plan_text(cases: &[PlannedCase], target: &Target) -> String {
    let base = if target.base_url.is_empty() {
        "<embedded reference>/v1".to_string()
    } else {
        target.base_url.trim_end_matches('/').to_string()
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "plan: {} case(s) against {base}; dry run, nothing is sent",
        cases.len()
    );
    for planned in cases {
        let _ = writeln!(out, "\n{}", planned.name);
        for (name, state) in planned.case.all_fixtures() {
            let source = match (
                &target.fixtures_url,
                target.embedded || target.base_url.is_empty(),
            ) {
                (Some(url), _) => format!("POST {url} {{\"state\":\"{}\"}}", state.as_str()),
                (None, true) => format!(
                    "POST <embedded fixture provider> {{\"state\":\"{}\"}}",
                    state.as_str()
                ),
                (None, false) => match target.static_ops.iter().find(|(s, _)| *s == state) {
                    Some((_, id)) => format!("static id {id} (--op {}=...)", state.as_str()),
                    None => format!(
                        "none available (--op {}=ID): the case is skipped",
                        state.as_str()
                    ),
                },
            };
            let _ = writeln!(out, "  fixture {name} ({}): {source}", state.as_str());
        }
        for (i, step) in planned.case.steps.iter().enumerate() {
            let copies = step.parallel.unwrap_or(1).max(1);
            let times = if copies > 1 {
                format!("  (x{copies} at once)")
            } else {
                String::new()
            };
            let label = step
                .name
                .clone()
                .unwrap_or_else(|| format!("step {}", i + 1));
            let _ = writeln!(out, "  {}. {label}{times}", i + 1);
            let _ = writeln!(
                out,
                "     {} {}{}",
                step.request.method.to_ascii_uppercase(),
                base,
                with_query(&step.request)
            );
            for (k, v) in headers(&step.request, target) {
                let _ = writeln!(out, "       {k}: {v}");
            }
            if let Some(body) = &step.request.body {
                let _ = writeln!(out, "       body: {}", placeholders(body));
            }
            if let Some(f) = &step.expect.unchanged {
                let _ = writeln!(
                    out,
                    "     + GET {base}/operations/<{f}.id> before and after (unchanged)"
                );
            }
            if let Some(ev) = &step.expect.eventually {
                let via = match ev.via {
                    crate::case::Via::Wait => "POST :wait long-polls, then GET",
                    crate::case::Via::Poll => "GET polls",
                };
                let _ = writeln!(
                    out,
                    "     + {via} {base}/operations/<{}.id> for up to {} ms (eventually)",
                    ev.fixture, ev.within_ms
                );
            }
        }
    }
    out
}

fn with_query(req: &Request) -> String {
    let mut s = placeholders(&req.path);
    for (i, (k, v)) in req.query.iter().enumerate() {
        s.push(if i == 0 { '?' } else { '&' });
        s.push_str(k);
        s.push('=');
        s.push_str(&placeholders(v));
    }
    s
}

fn headers(req: &Request, target: &Target) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let auth = match req.auth {
        Auth::Token => Some("Bearer <token>".to_string()),
        Auth::Foreign => Some("Bearer <foreign token>".to_string()),
        Auth::Broad => Some("Bearer <broad token>".to_string()),
        Auth::Malformed => Some(MALFORMED_AUTH.to_string()),
        Auth::Invalid => Some(INVALID_AUTH.to_string()),
        Auth::WrongScheme => Some("Token <token>".to_string()),
        Auth::None => None,
    };
    if let Some(a) = auth {
        out.push(("authorization".to_string(), a));
    }
    let sets = |name: &str| req.headers.keys().any(|k| k.eq_ignore_ascii_case(name));
    if let Some(ctx) = &target.context {
        if !sets("akua-context") {
            out.push(("akua-context".to_string(), ctx.clone()));
        }
    }
    for (k, v) in &req.headers {
        out.push((k.to_ascii_lowercase(), placeholders(v)));
    }
    out
}

/// `{{ expr }}` becomes `<expr>`; everything else is kept.
fn placeholders(template: &str) -> String {
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

    #[test]
    fn bundled_plan_shows_requests_and_no_token() {
        let cases = crate::run::load_bundled().unwrap();
        let target = Target {
            base_url: "https://staging.example.test/v1".into(),
            token: Some("sk_secret_value".into()),
            fixtures_url: Some("https://staging.example.test/__fixtures".into()),
            ..Target::default()
        };
        let text = plan_text(&cases, &target);
        assert!(!text.contains("sk_secret_value"));
        assert!(text.contains("authorization: Bearer <token>"));
        assert!(text.contains("POST https://staging.example.test/v1/operations/<op.id>:cancel"));
        assert!(
            text.contains("POST https://staging.example.test/__fixtures {\"state\":\"running\"}")
        );
        assert!(text.starts_with(&format!("plan: {} case(s)", cases.len())));
    }
}
