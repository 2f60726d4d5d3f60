//! The report formats `--report` accepts and their stable file names.

/// A report format for `--report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `opconform.junit.xml`
    Junit,
    /// `opconform.json`
    Json,
    /// `opconform.md`
    Markdown,
    /// `opconform.html`
    Html,
}

impl Format {
    /// Parses `junit,json,md,html` (any subset, any order).
    pub fn parse_list(list: &str) -> Result<Vec<Format>, String> {
        let mut out = Vec::new();
        for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let f = match part {
                "junit" => Format::Junit,
                "json" => Format::Json,
                "md" | "markdown" => Format::Markdown,
                "html" => Format::Html,
                other => {
                    return Err(format!(
                        "unknown report format `{other}`; expected junit, json, md or html"
                    ));
                }
            };
            if !out.contains(&f) {
                out.push(f);
            }
        }
        Ok(out)
    }

    /// The stable file name inside `--out`.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Junit => "opconform.junit.xml",
            Format::Json => "opconform.json",
            Format::Markdown => "opconform.md",
            Format::Html => "opconform.html",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_any_subset_once_each() {
        assert_eq!(
            Format::parse_list("html, md,junit,md"),
            Ok(vec![Format::Html, Format::Markdown, Format::Junit])
        );
        assert_eq!(Format::parse_list(""), Ok(vec![]));
        assert!(Format::parse_list("xml").is_err());
        assert_eq!(Format::Markdown.file_name(), "opconform.md");
    }
}
