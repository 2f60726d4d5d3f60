//! The JSON report: the whole [`RunResult`] plus a format tag. Its shape is
//! `schemas/report.schema.json`.

use serde_json::{Map, Value};

use crate::model::RunResult;

/// Value of the top-level `format` key; bump on an incompatible change.
pub const FORMAT_TAG: &str = "opconform-report/1";

/// Renders `result` as pretty JSON, `format` first.
pub(crate) fn render(result: &RunResult) -> Result<String, serde_json::Error> {
    let mut out = Map::new();
    out.insert("format".to_string(), Value::String(FORMAT_TAG.to_string()));
    match serde_json::to_value(result)? {
        Value::Object(fields) => out.extend(fields),
        // RunResult is a struct, so this arm is unreachable in practice; keep
        // the data rather than drop it.
        other => {
            out.insert("result".to_string(), other);
        }
    }
    let mut text = serde_json::to_string_pretty(&Value::Object(out))?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample::sample_result;

    #[test]
    fn round_trips_and_starts_with_the_format_tag() {
        let r = sample_result();
        let text = render(&r).expect("renders");
        assert!(text.starts_with("{\n  \"format\": \"opconform-report/1\","));
        // Unknown keys (format) are ignored, so the report reads back whole.
        let back: RunResult = serde_json::from_str(&text).expect("parses");
        assert_eq!(back, r);
    }
}
