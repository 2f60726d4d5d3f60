//! The parsed TOML document as JSON (for schema validation) plus, for every
//! JSON pointer, its TOML path and the spans of its key and value, so that
//! errors found on the JSON can point back into the file.

use std::collections::HashMap;
use std::ops::Range;

use serde_json::{Map, Number, Value as Json};
use toml_edit::{Item, Table, Value};

/// Where one node of the document is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NodeSpan {
    /// `case[3].step[1].expect.status`.
    pub toml_path: String,
    /// The key naming the node (absent for array elements and the root).
    pub key: Option<Range<usize>>,
    /// The value (for `[table]` headers: the header).
    pub value: Option<Range<usize>>,
}

/// JSON pointer → node location.
#[derive(Debug, Default)]
pub(crate) struct SpanMap {
    nodes: HashMap<String, NodeSpan>,
}

/// Which part of a node an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    Key,
    Value,
}

impl SpanMap {
    /// The node at `pointer`, or its nearest ancestor that is in the map
    /// (defaults fill in fields the file does not have), with the TOML path
    /// of `pointer` itself.
    pub(crate) fn lookup(&self, pointer: &str) -> (String, Option<Range<usize>>) {
        self.lookup_part(pointer, Part::Value)
    }

    /// Like [`SpanMap::lookup`], preferring the key's span for [`Part::Key`].
    pub(crate) fn lookup_part(&self, pointer: &str, part: Part) -> (String, Option<Range<usize>>) {
        let mut current = pointer.to_string();
        let mut missing: Vec<String> = Vec::new();
        loop {
            if let Some(node) = self.nodes.get(&current) {
                let span = match part {
                    Part::Key => node.key.clone().or_else(|| node.value.clone()),
                    Part::Value => node.value.clone().or_else(|| node.key.clone()),
                };
                let mut path = node.toml_path.clone();
                for seg in missing.iter().rev() {
                    push_key(&mut path, seg);
                }
                // An ancestor with no span of its own (implicit tables):
                // keep walking up for a span, but keep this path.
                if span.is_some() || current.is_empty() {
                    return (path, span);
                }
                let (_, parent_span) = self.lookup_part(parent(&current), Part::Value);
                return (path, parent_span);
            }
            if current.is_empty() {
                return (String::new(), None);
            }
            let (head, last) = split_last(&current);
            missing.push(unescape(last));
            current = head.to_string();
        }
    }

    /// The TOML path of the deepest node whose value span contains `offset`.
    pub(crate) fn path_at_offset(&self, offset: usize) -> String {
        self.nodes
            .values()
            .filter(|n| n.value.as_ref().is_some_and(|v| v.contains(&offset)))
            .min_by_key(|n| n.value.as_ref().map_or(usize::MAX, |v| v.len()))
            .map(|n| n.toml_path.clone())
            .unwrap_or_default()
    }

    fn insert(&mut self, pointer: String, node: NodeSpan) {
        self.nodes.insert(pointer, node);
    }
}

/// Converts the document to JSON and records where every node is.
pub(crate) fn index_document(root: &Table) -> (Json, SpanMap) {
    let mut map = SpanMap::default();
    map.insert(
        String::new(),
        NodeSpan {
            toml_path: String::new(),
            key: None,
            value: Some(0..0),
        },
    );
    let json = table_to_json(root, "", "", &mut map);
    (json, map)
}

fn table_to_json(table: &Table, pointer: &str, path: &str, map: &mut SpanMap) -> Json {
    let mut out = Map::new();
    for (key, item) in table.iter() {
        let key_span = table.key(key).and_then(|k| k.span());
        let child_pointer = format!("{pointer}/{}", escape(key));
        let mut child_path = path.to_string();
        push_key(&mut child_path, key);
        let value = item_to_json(item, &child_pointer, &child_path, key_span, map);
        if let Some(value) = value {
            out.insert(key.to_string(), value);
        }
    }
    Json::Object(out)
}

fn item_to_json(
    item: &Item,
    pointer: &str,
    path: &str,
    key_span: Option<Range<usize>>,
    map: &mut SpanMap,
) -> Option<Json> {
    let node = |value: Option<Range<usize>>| NodeSpan {
        toml_path: path.to_string(),
        key: key_span.clone(),
        value,
    };
    match item {
        Item::None => None,
        Item::Value(value) => Some(value_to_json(value, pointer, path, key_span.clone(), map)),
        Item::Table(table) => {
            map.insert(pointer.to_string(), node(table.span()));
            Some(table_to_json(table, pointer, path, map))
        }
        Item::ArrayOfTables(array) => {
            map.insert(pointer.to_string(), node(array.span()));
            let items = array
                .iter()
                .enumerate()
                .map(|(i, table)| {
                    let p = format!("{pointer}/{i}");
                    let tp = format!("{path}[{i}]");
                    map.insert(
                        p.clone(),
                        NodeSpan {
                            toml_path: tp.clone(),
                            key: None,
                            value: table.span(),
                        },
                    );
                    table_to_json(table, &p, &tp, map)
                })
                .collect();
            Some(Json::Array(items))
        }
    }
}

fn value_to_json(
    value: &Value,
    pointer: &str,
    path: &str,
    key_span: Option<Range<usize>>,
    map: &mut SpanMap,
) -> Json {
    map.insert(
        pointer.to_string(),
        NodeSpan {
            toml_path: path.to_string(),
            key: key_span,
            value: value.span(),
        },
    );
    match value {
        Value::String(s) => Json::String(s.value().clone()),
        Value::Integer(i) => Json::Number(Number::from(*i.value())),
        // TOML allows nan and inf, JSON does not: null makes the schema
        // report a type error instead of a panic.
        Value::Float(f) => Number::from_f64(*f.value()).map_or(Json::Null, Json::Number),
        Value::Boolean(b) => Json::Bool(*b.value()),
        Value::Datetime(d) => Json::String(d.value().to_string()),
        Value::Array(array) => Json::Array(
            array
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    value_to_json(
                        v,
                        &format!("{pointer}/{i}"),
                        &format!("{path}[{i}]"),
                        None,
                        map,
                    )
                })
                .collect(),
        ),
        Value::InlineTable(table) => {
            let mut out = Map::new();
            for (key, v) in table.iter() {
                let key_span = table.key(key).and_then(|k| k.span());
                let mut child_path = path.to_string();
                push_key(&mut child_path, key);
                let child = value_to_json(
                    v,
                    &format!("{pointer}/{}", escape(key)),
                    &child_path,
                    key_span,
                    map,
                );
                out.insert(key.to_string(), child);
            }
            Json::Object(out)
        }
    }
}

/// Appends `key` to a TOML path, quoting it unless it is a bare key, and
/// writing array indices as `[n]`.
pub(crate) fn push_key(path: &mut String, key: &str) {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !path.is_empty() {
        path.push('.');
    }
    if bare {
        path.push_str(key);
    } else {
        path.push('"');
        for c in key.chars() {
            match c {
                '"' => path.push_str("\\\""),
                '\\' => path.push_str("\\\\"),
                c => path.push(c),
            }
        }
        path.push('"');
    }
}

/// Escapes one JSON pointer segment (RFC 6901).
pub(crate) fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

fn split_last(pointer: &str) -> (&str, &str) {
    match pointer.rfind('/') {
        Some(i) => (&pointer[..i], &pointer[i + 1..]),
        None => ("", pointer),
    }
}

fn parent(pointer: &str) -> &str {
    split_last(pointer).0
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"
[[case]]
name = "a"
invariants = ["X-Y"]

[[case.step]]
request = { method = "GET", path = "/x" }
expect.json = { "/id" = "v" }
"#;

    fn index(text: &str) -> (Json, SpanMap) {
        let doc = toml_edit::Document::parse(text.to_string()).expect("test document parses");
        index_document(doc.as_table())
    }

    #[test]
    fn converts_to_json() {
        let (json, _) = index(DOC);
        assert_eq!(json["case"][0]["step"][0]["request"]["method"], "GET");
        assert_eq!(json["case"][0]["step"][0]["expect"]["json"]["/id"], "v");
    }

    #[test]
    fn maps_pointers_to_paths_and_spans() {
        let (_, map) = index(DOC);
        let (path, span) = map.lookup("/case/0/invariants/0");
        assert_eq!(path, "case[0].invariants[0]");
        assert_eq!(&DOC[span.expect("has span")], "\"X-Y\"");
        let (path, span) = map.lookup_part("/case/0/step/0/expect/json/~1id", Part::Key);
        assert_eq!(path, "case[0].step[0].expect.json.\"/id\"");
        assert_eq!(&DOC[span.expect("has span")], "\"/id\"");
    }

    #[test]
    fn missing_nodes_fall_back_to_an_ancestor_span() {
        let (_, map) = index(DOC);
        let (path, span) = map.lookup("/case/0/step/0/expect/status");
        assert_eq!(path, "case[0].step[0].expect.status");
        assert!(span.is_some());
    }

    #[test]
    fn finds_the_deepest_node_at_an_offset() {
        let (_, map) = index(DOC);
        let offset = DOC.find("\"GET\"").expect("in doc") + 1;
        assert_eq!(map.path_at_offset(offset), "case[0].step[0].request.method");
    }
}
