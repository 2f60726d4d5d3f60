//! `curl` commands that replay a recorded request exactly.
//!
//! Recorded requests are already redacted, so the bearer token reads
//! `Bearer [REDACTED]`; the reproducer turns it into `Bearer $AKUA_TOKEN`
//! (double-quoted so the shell expands it) and single-quotes everything else,
//! so no recorded byte can run as shell code.

use crate::model::RecordedRequest;
use crate::redact::REDACTED;

/// Environment variable the reproducer reads the token from.
pub const TOKEN_VAR: &str = "AKUA_TOKEN";

/// A POSIX-shell `curl` command that sends `request` again: same method, URL
/// (byte for byte, `%3A` included), headers in order, and body.
///
/// ```
/// use opconform::model::RecordedRequest;
/// let req = RecordedRequest {
///     method: "POST".into(),
///     url: "https://api.akua.dev/v1/operations/op_1%3Acancel".into(),
///     headers: vec![("authorization".into(), "Bearer [REDACTED]".into())],
///     body: None,
/// };
/// let cmd = opconform::report::reproducer::curl(&req);
/// assert!(cmd.contains(r#"-H "authorization: Bearer $AKUA_TOKEN""#));
/// assert!(cmd.contains("'https://api.akua.dev/v1/operations/op_1%3Acancel'"));
/// ```
pub fn curl(request: &RecordedRequest) -> String {
    // --globoff: `[` and `{` in URLs are literal; --path-as-is: keep `/../`
    // and the path exactly as sent.
    let mut parts: Vec<String> = vec!["curl --globoff --path-as-is".to_string()];
    if request.method != "GET" {
        // A plain token method needs no quotes; anything else is quoted.
        let method = if request.method.bytes().all(|b| b.is_ascii_uppercase())
            && !request.method.is_empty()
        {
            request.method.clone()
        } else {
            single_quote(&request.method)
        };
        parts.push(format!("-X {method}"));
    }
    parts.push(single_quote(&request.url));
    let mut has_content_type = false;
    for (name, value) in &request.headers {
        has_content_type |= name.eq_ignore_ascii_case("content-type");
        parts.push(format!("-H {}", header_arg(name, value)));
    }
    if let Some(body) = &request.body {
        if !has_content_type {
            // curl would otherwise add a form Content-Type the harness never sent.
            parts.push("-H 'Content-Type:'".to_string());
        }
        parts.push(format!("--data-raw {}", single_quote(body)));
    }
    parts.join(" \\\n  ")
}

/// One `-H` argument, quoted for the shell.
fn header_arg(name: &str, value: &str) -> String {
    let bearer = format!("Bearer {REDACTED}");
    // Any header carrying the redacted bearer gets the token back, whatever
    // its name (Authorization, or a proxy's own header).
    if value == bearer {
        return double_quote_with_token(&format!("{name}: Bearer "));
    }
    if value.is_empty() {
        // `Name:` would make curl drop the header; `Name;` sends it empty.
        return single_quote(&format!("{name};"));
    }
    single_quote(&format!("{name}: {value}"))
}

/// `'text'`, with every `'` written as `'\''`. Inside single quotes the shell
/// interprets nothing, newlines and `$(...)` included.
pub(crate) fn single_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// `"prefix$AKUA_TOKEN"`, with the prefix's `\`, `"`, `$` and `` ` ``
/// escaped so only the token variable expands.
fn double_quote_with_token(prefix: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + 16);
    out.push('"');
    for c in prefix.chars() {
        if matches!(c, '\\' | '"' | '$' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('$');
    out.push_str(TOKEN_VAR);
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn req(headers: &[(&str, &str)], body: Option<&str>) -> RecordedRequest {
        RecordedRequest {
            method: "POST".into(),
            url: "https://h.example/v1/operations/op_1%3Acancel?x=[1]".into(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.map(str::to_string),
        }
    }

    /// Runs `printf '%s\n' <args>` through `sh` with the command's arguments,
    /// so the test sees exactly the words the shell would hand to curl.
    fn shell_words(cmd: &str) -> Vec<String> {
        let script = format!(
            "set -- {}; for a in \"$@\"; do printf '%s\\0' \"$a\"; done",
            cmd.trim_start_matches("curl").replace(" \\\n  ", " ")
        );
        let out = Command::new("sh")
            .arg("-c")
            .arg(&script)
            .env("AKUA_TOKEN", "tok-123")
            .output()
            .expect("sh runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .expect("utf-8")
            .split('\0')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn token_becomes_env_var_in_double_quotes() {
        let cmd = curl(&req(&[("Authorization", "Bearer [REDACTED]")], None));
        assert!(
            cmd.contains(r#"-H "Authorization: Bearer $AKUA_TOKEN""#),
            "{cmd}"
        );
        let words = shell_words(&cmd);
        assert!(
            words.contains(&"Authorization: Bearer tok-123".to_string()),
            "{words:?}"
        );
    }

    #[test]
    fn url_method_and_flags_are_exact() {
        let cmd = curl(&req(&[], None));
        let words = shell_words(&cmd);
        assert_eq!(
            words,
            vec![
                "--globoff",
                "--path-as-is",
                "-X",
                "POST",
                "https://h.example/v1/operations/op_1%3Acancel?x=[1]"
            ]
        );
    }

    #[test]
    fn get_has_no_method_flag() {
        let mut r = req(&[], None);
        r.method = "GET".into();
        assert!(!curl(&r).contains("-X"));
    }

    #[test]
    fn hostile_header_values_stay_literal() {
        let hostile = [
            ("X-Quote", "it's \"quoted\""),
            ("X-Subst", "$(touch /tmp/pwned) `id` $HOME"),
            ("X-Newline", "a\nb\r\nc"),
            ("X-Backslash", r"a\'b\\"),
        ];
        let cmd = curl(&req(&hostile, None));
        let words = shell_words(&cmd);
        for (name, value) in hostile {
            let expected = format!("{name}: {value}");
            assert!(words.contains(&expected), "{expected:?} not in {words:?}");
        }
    }

    #[test]
    fn hostile_header_name_next_to_token_cannot_expand() {
        let cmd = curl(&req(
            &[("Authorization$(id)\"`x`", "Bearer [REDACTED]")],
            None,
        ));
        let words = shell_words(&cmd);
        assert!(
            words.contains(&"Authorization$(id)\"`x`: Bearer tok-123".to_string()),
            "{words:?}"
        );
    }

    #[test]
    fn other_redacted_values_are_not_turned_into_the_token() {
        let cmd = curl(&req(&[("X-Secret", "[REDACTED]")], None));
        assert!(!cmd.contains("AKUA_TOKEN"));
        assert!(shell_words(&cmd).contains(&"X-Secret: [REDACTED]".to_string()));
    }

    #[test]
    fn empty_header_value_is_sent_empty() {
        let cmd = curl(&req(&[("Idempotency-Key", "")], None));
        assert!(shell_words(&cmd).contains(&"Idempotency-Key;".to_string()));
    }

    #[test]
    fn body_is_raw_and_content_type_not_invented() {
        let body = "{\"a\":\"it's $(x) @file\"}\n";
        let words = shell_words(&curl(&req(&[], Some(body))));
        let at = words
            .iter()
            .position(|w| w == "--data-raw")
            .expect("has body");
        assert_eq!(words[at + 1], body);
        assert!(words.contains(&"Content-Type:".to_string()));

        let words = shell_words(&curl(&req(
            &[("content-type", "application/json")],
            Some("{}"),
        )));
        assert!(!words.contains(&"Content-Type:".to_string()));
    }
}
