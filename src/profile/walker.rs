//! The machinery the loader walks the parsed document with: entries with
//! their spans and dotted paths, typed readers that record an error (with
//! its place in the file) instead of failing fast, so that every problem in
//! the file is reported in one go.

use std::ops::Range;
use std::time::Duration;

use toml_edit::{Item, TableLike, Value};
use url::Url;

use super::error::ConfigError;
use super::keys::MAX_SECS;
use super::settings::Anchor;
use super::source::Source;
use crate::suggest::did_you_mean;

/// One `key = value` (or `[key]` table) inside a table.
pub(crate) struct Entry<'d> {
    /// The key as written (unquoted).
    pub(crate) key: &'d str,
    /// Dotted path from the root, e.g. `profile.staging.rate`.
    pub(crate) path: String,
    /// Where the key is written.
    pub(crate) key_span: Range<usize>,
    /// Where the value (or table header) is written.
    pub(crate) value_span: Range<usize>,
    pub(crate) item: &'d Item,
}

/// Collects errors while the loader walks the document.
pub(crate) struct Walker<'s> {
    pub(crate) source: &'s Source,
    pub(crate) errors: Vec<ConfigError>,
}

/// `parent.key`, quoting keys that are not bare TOML keys.
pub(crate) fn join_path(parent: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let key = if bare {
        key.to_string()
    } else {
        format!("{key:?}")
    };
    if parent.is_empty() {
        key
    } else {
        format!("{parent}.{key}")
    }
}

/// "a string", "an integer", ...: what was found, for type errors.
pub(crate) fn kind(item: &Item) -> &'static str {
    match item {
        Item::None => "nothing",
        Item::Value(v) => value_kind(v),
        Item::Table(_) => "a table",
        Item::ArrayOfTables(_) => "an array of tables",
    }
}

fn value_kind(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date-time",
        Value::Array(_) => "an array",
        Value::InlineTable(_) => "an inline table",
    }
}

impl<'s> Walker<'s> {
    pub(crate) fn new(source: &'s Source) -> Self {
        Walker {
            source,
            errors: Vec::new(),
        }
    }

    /// Records an error at `span`.
    pub(crate) fn error(
        &mut self,
        span: Range<usize>,
        path: &str,
        message: impl Into<String>,
        help: Option<String>,
    ) {
        self.error_masked(span, None, path, message, help);
    }

    /// Records an error at `span`, hiding the text in `mask` (a secret).
    pub(crate) fn error_masked(
        &mut self,
        span: Range<usize>,
        mask: Option<Range<usize>>,
        path: &str,
        message: impl Into<String>,
        help: Option<String>,
    ) {
        let position = self.source.position(span, mask);
        let path = (!path.is_empty()).then(|| path.to_string());
        self.errors.push(ConfigError::at(
            self.source.path(),
            position,
            path,
            message,
            help,
        ));
    }

    /// Every error recorded, in file order.
    pub(crate) fn into_errors(mut self) -> Vec<ConfigError> {
        // Stable: errors at the same place keep the order they were found.
        self.errors.sort_by_key(|e| (e.line, e.column));
        self.errors
    }

    /// A place to point a later error at.
    pub(crate) fn anchor(&self, span: Range<usize>, path: &str) -> Anchor {
        Anchor {
            file: self.source.path().to_path_buf(),
            position: self.source.position(span, None),
            toml_path: path.to_string(),
        }
    }

    /// `file:line:column` of `span`.
    pub(crate) fn location(&self, span: Range<usize>) -> String {
        let p = self.source.position(span, None);
        format!("{}:{}:{}", self.source.path().display(), p.line, p.column)
    }

    /// The entries of a table, in file order. `fallback` is used for spans
    /// the parser did not record (implicit tables).
    pub(crate) fn entries<'d>(
        &self,
        table: &'d dyn TableLike,
        parent: &str,
        fallback: Range<usize>,
    ) -> Vec<Entry<'d>> {
        table
            .iter()
            .map(|(key, item)| {
                let key_span = table
                    .key(key)
                    .and_then(|k| k.span())
                    .or_else(|| item.span())
                    .unwrap_or_else(|| fallback.clone());
                let value_span = item.span().unwrap_or_else(|| key_span.clone());
                Entry {
                    key,
                    path: join_path(parent, key),
                    key_span,
                    value_span,
                    item,
                }
            })
            .collect()
    }

    /// Records an "unknown key" error with a did-you-mean.
    pub(crate) fn unknown_key(&mut self, e: &Entry<'_>, allowed: &[&str], what: &str) {
        let help = match did_you_mean(e.key, allowed.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("the keys allowed in {what} are: {}", allowed.join(", ")),
        };
        self.error(
            e.key_span.clone(),
            &e.path,
            format!("unknown key `{}` in {what}", e.key),
            Some(help),
        );
    }

    fn wrong_type(&mut self, e: &Entry<'_>, expected: &str, help: Option<String>) {
        self.error(
            e.value_span.clone(),
            &e.path,
            format!("`{}` must be {expected}, found {}", e.key, kind(e.item)),
            help,
        );
    }

    /// A string value.
    pub(crate) fn string<'d>(&mut self, e: &Entry<'d>) -> Option<&'d str> {
        let s = e.item.as_str();
        if s.is_none() {
            self.wrong_type(e, "a string", None);
        }
        s
    }

    /// A non-empty string (surrounding spaces are an error too: they are
    /// never meant).
    pub(crate) fn nonempty_string<'d>(&mut self, e: &Entry<'d>) -> Option<&'d str> {
        self.required_string(e, "remove the key to leave it unset")
    }

    /// A non-empty string for a key that cannot be left out; `help` says
    /// what to write when it is empty.
    pub(crate) fn required_string<'d>(&mut self, e: &Entry<'d>, help: &str) -> Option<&'d str> {
        let s = self.string(e)?;
        if s.trim().is_empty() {
            self.error(
                e.value_span.clone(),
                &e.path,
                format!("`{}` must not be empty", e.key),
                Some(help.to_string()),
            );
            return None;
        }
        if s.trim() != s {
            self.error(
                e.value_span.clone(),
                &e.path,
                format!("`{}` has leading or trailing spaces", e.key),
                Some(format!("write {} = {:?}", e.key, s.trim())),
            );
            return None;
        }
        Some(s)
    }

    /// A boolean.
    pub(crate) fn boolean(&mut self, e: &Entry<'_>) -> Option<bool> {
        let b = e.item.as_bool();
        if b.is_none() {
            let help = match e.item.as_str() {
                Some(s @ ("true" | "false")) => Some(format!("remove the quotes: {} = {s}", e.key)),
                _ => Some(format!("write {} = true or {} = false", e.key, e.key)),
            };
            self.wrong_type(e, "true or false", help);
        }
        b
    }

    /// A positive number of seconds (integer or decimal), at most a week.
    pub(crate) fn seconds(&mut self, e: &Entry<'_>) -> Option<Duration> {
        let secs = match (e.item.as_integer(), e.item.as_float()) {
            // i64 -> f64 loses precision only far beyond MAX_SECS.
            (Some(i), _) => i as f64,
            (None, Some(f)) => f,
            (None, None) => {
                let help = e
                    .item
                    .as_str()
                    .filter(|s| s.trim().parse::<f64>().is_ok())
                    .map(|s| format!("remove the quotes: {} = {}", e.key, s.trim()));
                self.wrong_type(e, "a number of seconds", help);
                return None;
            }
        };
        if !(secs > 0.0 && secs <= MAX_SECS) {
            let shown = e
                .item
                .as_value()
                .map_or_else(String::new, |v| v.to_string().trim().to_string());
            self.error(
                e.value_span.clone(),
                &e.path,
                format!(
                    "`{}` must be more than 0 and at most {MAX_SECS} seconds, found {shown}",
                    e.key
                ),
                Some("remove the key to use the default".into()),
            );
            return None;
        }
        Duration::try_from_secs_f64(secs).ok()
    }

    /// An `http`/`https` URL with a host and no credentials.
    pub(crate) fn url(&mut self, e: &Entry<'_>) -> Option<Url> {
        let text = self.string(e)?;
        let span = e.value_span.clone();
        let url = match Url::parse(text) {
            Ok(url) => url,
            Err(err) => {
                let help = if matches!(err, url::ParseError::RelativeUrlWithoutBase) {
                    format!("write a full URL, e.g. {} = \"https://{text}\"", e.key)
                } else {
                    "write a full URL such as \"https://api.example.com/v1\"".into()
                };
                self.error(
                    span,
                    &e.path,
                    format!("`{}` is not a valid URL: {err}", e.key),
                    Some(help),
                );
                return None;
            }
        };
        if !url.username().is_empty() || url.password().is_some() {
            // The credentials are a secret: hide them in the snippet.
            self.error_masked(
                span.clone(),
                Some(span),
                &e.path,
                format!("`{}` must not contain credentials", e.key),
                Some("remove `user:password@` and name the token's variable in token_env".into()),
            );
            return None;
        }
        if !matches!(url.scheme(), "http" | "https") {
            self.error(
                span,
                &e.path,
                format!(
                    "`{}` must be an http or https URL, found scheme `{}`",
                    e.key,
                    url.scheme()
                ),
                Some("write a URL starting with https:// (or http:// for local servers)".into()),
            );
            return None;
        }
        if url.host_str().is_none_or(str::is_empty) {
            self.error(
                span,
                &e.path,
                format!("`{}` has no host", e.key),
                Some("write a URL such as \"https://api.example.com/v1\"".into()),
            );
            return None;
        }
        Some(url)
    }

    /// The name of an environment variable. A value that does not look like
    /// one is probably a token pasted in by mistake, so it is masked.
    pub(crate) fn env_name<'d>(&mut self, e: &Entry<'d>) -> Option<&'d str> {
        let name = self.string(e)?;
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            let span = e.value_span.clone();
            self.error_masked(
                span.clone(),
                Some(span),
                &e.path,
                format!(
                    "`{}` must be the name of an environment variable (letters, digits and `_`)",
                    e.key
                ),
                Some(format!(
                    "put the token in an environment variable and name it here, e.g. {} = \"STAGING_AKUA_TOKEN\"",
                    e.key
                )),
            );
            return None;
        }
        Some(name)
    }

    /// A path (non-empty string).
    pub(crate) fn path_value(&mut self, e: &Entry<'_>) -> Option<std::path::PathBuf> {
        self.nonempty_string(e).map(std::path::PathBuf::from)
    }

    /// One string or an array of strings, each with its span.
    pub(crate) fn string_list<'d>(
        &mut self,
        e: &Entry<'d>,
    ) -> Option<Vec<(&'d str, Range<usize>)>> {
        if let Some(s) = e.item.as_str() {
            return Some(vec![(s, e.value_span.clone())]);
        }
        let Some(array) = e.item.as_array() else {
            self.wrong_type(e, "a string or an array of strings", None);
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for (i, v) in array.iter().enumerate() {
            let span = v.span().unwrap_or_else(|| e.value_span.clone());
            match v.as_str() {
                Some(s) => out.push((s, span)),
                None => {
                    ok = false;
                    self.error(
                        span,
                        &format!("{}[{i}]", e.path),
                        format!(
                            "`{}` must hold only strings, found {}",
                            e.key,
                            value_kind(v)
                        ),
                        None,
                    );
                }
            }
        }
        ok.then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_quote_non_bare_keys() {
        assert_eq!(join_path("", "profile"), "profile");
        assert_eq!(join_path("profile", "my env"), "profile.\"my env\"");
        assert_eq!(join_path("profile", ""), "profile.\"\"");
        assert_eq!(join_path("a", "b-c_1"), "a.b-c_1");
    }
}
