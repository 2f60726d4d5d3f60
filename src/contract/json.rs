//! Small helpers that let the checks read hostile JSON without panicking and
//! describe what they saw precisely in failure texts.

use serde_json::Value;

/// Longest JSON excerpt quoted in a failure text.
const MAX_SHOWN_CHARS: usize = 80;

/// The value as compact JSON, cut to a readable length: `"CANCELLED"`,
/// `null`, `{"message":"x"}`.
pub(crate) fn show(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(MAX_SHOWN_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// The JSON type of a value with its article: `a string`, `an array`.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `value` (at `path`) as the expected JSON type, or a text saying what it
/// is instead: `done is a string ("true"), expected a boolean`.
pub(crate) fn expect_type(path: &str, value: &Value, expected: JsonType) -> Option<String> {
    if expected.matches(value) {
        None
    } else {
        Some(format!(
            "{path} is {} ({}), expected {}",
            kind(value),
            show(value),
            expected.name()
        ))
    }
}

/// The JSON types the contract uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonType {
    String,
    Boolean,
    /// Any number; integer-ness of timestamps is judged by OP-TS-SECONDS.
    Number,
    Object,
}

impl JsonType {
    pub(crate) fn matches(self, value: &Value) -> bool {
        match self {
            JsonType::String => value.is_string(),
            JsonType::Boolean => value.is_boolean(),
            JsonType::Number => value.is_number(),
            JsonType::Object => value.is_object(),
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            JsonType::String => "a string",
            JsonType::Boolean => "a boolean",
            JsonType::Number => "a number",
            JsonType::Object => "an object",
        }
    }
}

/// A number that is a whole value (`1` or `1.0`, as JSON Schema counts
/// integers), as f64.
pub(crate) fn whole_number(value: &Value) -> Option<f64> {
    if let Some(i) = value.as_i64() {
        return Some(i as f64);
    }
    if let Some(u) = value.as_u64() {
        return Some(u as f64);
    }
    value.as_f64().filter(|f| f.fract() == 0.0)
}

/// Joins the first few problems into one failure text, with a count of the
/// rest so that a huge body cannot make a huge report.
pub(crate) fn join_problems(problems: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut text = problems
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    if problems.len() > SHOWN {
        text.push_str(&format!("; and {} more", problems.len() - SHOWN));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn show_quotes_json_and_cuts_long_values() {
        assert_eq!(show(&json!("CANCELLED")), "\"CANCELLED\"");
        assert_eq!(show(&json!(null)), "null");
        let long = show(&json!("x".repeat(500)));
        assert_eq!(long.chars().count(), MAX_SHOWN_CHARS + 1);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn expect_type_says_what_was_seen() {
        assert_eq!(
            expect_type("done", &json!("true"), JsonType::Boolean).as_deref(),
            Some("done is a string (\"true\"), expected a boolean")
        );
        assert_eq!(expect_type("done", &json!(true), JsonType::Boolean), None);
    }

    #[test]
    fn whole_numbers_accept_integral_floats_only() {
        assert_eq!(whole_number(&json!(5)), Some(5.0));
        assert_eq!(whole_number(&json!(-5)), Some(-5.0));
        assert_eq!(whole_number(&json!(5.0)), Some(5.0));
        assert_eq!(whole_number(&json!(5.5)), None);
        assert_eq!(whole_number(&json!("5")), None);
    }

    #[test]
    fn join_problems_caps_the_list() {
        let many: Vec<String> = (0..8).map(|i| i.to_string()).collect();
        assert_eq!(join_problems(&many), "0; 1; 2; 3; 4; and 3 more");
    }
}
