//! Helpers of the reference tests: a server on port 0, a client that checks
//! every body it sees against akua's published schemas (S-OAS: the document
//! beside the clone when it is there, else the repository's extract of it;
//! see `support::akua`), and small request builders.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use opconform::reference::{ALPHA_TOKEN, Dialect, ReferenceConfig, ReferenceServer};
use reqwest::Method;
use serde_json::{Value, json};

/// Which published schema a body must satisfy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Operation,
    OperationList,
    Error,
}

struct Validators {
    operation: jsonschema::Validator,
    list: jsonschema::Validator,
    error: jsonschema::Validator,
}

fn validators() -> &'static Validators {
    static V: OnceLock<Validators> = OnceLock::new();
    V.get_or_init(|| {
        let path = crate::support::akua::preferred();
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let doc: Value = serde_json::from_str(&text).expect("the OpenAPI document is JSON");
        // The whole document is the root resource, so every internal $ref
        // (OperationMetadata, OperationResponse, OperationStep, ...) resolves.
        let build = |name: &str| {
            let mut root = doc.clone();
            root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
            root["$ref"] = json!(format!("#/components/schemas/{name}"));
            jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .should_validate_formats(true)
                .build(&root)
                .unwrap_or_else(|e| panic!("compile {name}: {e}"))
        };
        Validators {
            operation: build("Operation"),
            list: build("OperationList"),
            error: build("ApiErrorResponse"),
        }
    })
}

/// akua's published OpenAPI document, `shared/contract/akua-openapi-public.json`
/// beside the repository (`../shared`), or beside one of its parents (a git
/// worktree lives deeper than the main checkout).
pub fn published_openapi() -> Option<std::path::PathBuf> {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .skip(1)
        .map(|dir| dir.join("shared/contract/akua-openapi-public.json"))
        .find(|p| p.is_file())
}

/// Every violation of `body` against `kind`'s published schema.
pub fn violations(kind: Kind, body: &Value) -> Vec<String> {
    let v = validators();
    let validator = match kind {
        Kind::Operation => &v.operation,
        Kind::OperationList => &v.list,
        Kind::Error => &v.error,
    };
    validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Every violation of `body` against the alternate dialect's envelope,
/// D-INTRO's `{"error": {"code": "<string>", "message": "<string>"}}`.
pub fn simple_envelope_violations(body: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    let Some(obj) = body.as_object() else {
        return vec!["not a JSON object".into()];
    };
    if obj.len() != 1 {
        errors.push(format!(
            "top-level keys {:?}, expected only error",
            obj.keys()
        ));
    }
    match obj.get("error").and_then(Value::as_object) {
        None => errors.push("no error object".into()),
        Some(e) => {
            let code = e.get("code").and_then(Value::as_str).unwrap_or("");
            if code.is_empty()
                || !code
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                errors.push(format!(
                    "code {:?} is not a snake_case string",
                    e.get("code")
                ));
            }
            if !e.get("message").is_some_and(Value::is_string) {
                errors.push("message is not a string".into());
            }
        }
    }
    errors
}

/// Panics with every violation when `body` does not satisfy `kind`.
pub fn assert_valid(kind: Kind, body: &Value) {
    let errors = violations(kind, body);
    assert!(
        errors.is_empty(),
        "{kind:?} body violates S-OAS: {errors:#?}\n{body:#}"
    );
}

/// A response, fully read.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub bytes: Vec<u8>,
    pub elapsed: Duration,
}

impl Resp {
    /// The body as JSON (Null when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// A running reference and a client for it.
pub struct Ref {
    pub server: ReferenceServer,
    pub client: reqwest::Client,
    /// Validate every body against S-OAS (off for faulted servers).
    pub validate: bool,
    /// The dialect the server answers in (its error envelope).
    pub dialect: Dialect,
}

/// A test config: 50 ms steps, everything else default.
pub fn config() -> ReferenceConfig {
    ReferenceConfig {
        step_length: Duration::from_millis(50),
        ..ReferenceConfig::default()
    }
}

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().expect("loopback address")
}

impl Ref {
    /// A server with `config` whose bodies are all schema-checked.
    pub async fn start(config: ReferenceConfig) -> Ref {
        let validate = config.faults.is_empty();
        let dialect = config.dialect;
        let server = ReferenceServer::start(config, loopback())
            .await
            .expect("bind loopback");
        let client = reqwest::Client::builder()
            .no_proxy()
            .retry(reqwest::retry::never())
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(256)
            .build()
            .expect("client");
        Ref {
            server,
            client,
            validate,
            dialect,
        }
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.server.addr(), path)
    }

    /// Sends a request; `path` is taken verbatim (so `%3A` stays encoded).
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Resp {
        let mut req = self.client.request(method.clone(), self.url(path));
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let start = Instant::now();
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("body").to_vec();
        let r = Resp {
            status,
            headers,
            bytes,
            elapsed: start.elapsed(),
        };
        if self.validate {
            self.check(&method, path, &r);
        }
        r
    }

    /// Every reference response is JSON of the documented kind.
    fn check(&self, method: &Method, path: &str, r: &Resp) {
        if r.status == 204 || method == Method::HEAD {
            return;
        }
        assert_eq!(
            r.header("content-type").as_deref(),
            Some("application/json"),
            "{method} {path} -> {}",
            r.status
        );
        let body = r.json();
        let kind = if r.status >= 400 {
            Kind::Error
        } else if path.starts_with("/v1/operations?") || path == "/v1/operations" {
            Kind::OperationList
        } else {
            Kind::Operation
        };
        if kind == Kind::Error && self.dialect == Dialect::Alternate {
            let errors = simple_envelope_violations(&body);
            assert!(
                errors.is_empty(),
                "{method} {path}: not the alternate envelope: {errors:?}\n{body:#}"
            );
        } else {
            assert_valid(kind, &body);
        }
        if r.status == 405 {
            let allow = r.header("allow").unwrap_or_default();
            assert!(!allow.is_empty(), "{method} {path}: 405 without Allow");
        }
        if kind == Kind::Operation {
            let etag = r.header("etag").unwrap_or_default();
            assert!(
                etag.len() > 2 && etag.starts_with('"') && etag.ends_with('"'),
                "{method} {path}: ETag {etag:?} is not a quoted entity-tag"
            );
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.send(Method::GET, path, Some(token), &[], None).await
    }

    pub async fn post(&self, path: &str, token: &str, headers: &[(&str, &str)]) -> Resp {
        self.send(Method::POST, path, Some(token), headers, None)
            .await
    }

    /// Creates a fixture in `token`'s workspace and returns its body.
    pub async fn fixture_as(&self, token: &str, body: Value) -> Value {
        let r = self
            .send(
                Method::POST,
                "/__fixtures/operations",
                Some(token),
                &[],
                Some(&body.to_string()),
            )
            .await;
        assert_eq!(r.status, 201, "fixture {body}: {}", r.text());
        r.json()
    }

    /// Creates a fixture in workspace alpha and returns its id.
    pub async fn fixture(&self, state: &str) -> String {
        let op = self
            .fixture_as(ALPHA_TOKEN, json!({ "state": state }))
            .await;
        id_of(&op)
    }

    pub async fn get_op(&self, id: &str) -> Resp {
        self.get(&format!("/v1/operations/{id}"), ALPHA_TOKEN).await
    }

    pub async fn cancel(&self, id: &str, headers: &[(&str, &str)]) -> Resp {
        self.post(&format!("/v1/operations/{id}:cancel"), ALPHA_TOKEN, headers)
            .await
    }

    pub async fn wait(&self, id: &str, timeout: u64) -> Resp {
        self.post(
            &format!("/v1/operations/{id}:wait?timeout={timeout}"),
            ALPHA_TOKEN,
            &[],
        )
        .await
    }

    /// Polls GET until `pred` holds (or panics after `within`).
    pub async fn poll_until(
        &self,
        id: &str,
        within: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        self.observe_until(id, within, pred)
            .await
            .unwrap_or_else(|op| panic!("condition not reached within {within:?} on {op:#}"))
    }

    /// Polls GET until `pred` holds: `Ok` with the operation then, `Err`
    /// with the last one seen when `within` passed first.
    pub async fn observe_until(
        &self,
        id: &str,
        within: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Result<Value, Value> {
        crate::support::poll_until(
            within,
            move || async move { self.get_op(id).await.json() },
            pred,
        )
        .await
    }

    pub async fn stop(self) {
        self.server.shutdown().await;
    }
}

/// The `id` field of an Operation body.
pub fn id_of(op: &Value) -> String {
    op["id"].as_str().expect("operation id").to_string()
}

/// The first `errors[].code` of an envelope.
pub fn error_code(r: &Resp) -> i64 {
    r.json()["errors"][0]["code"].as_i64().unwrap_or(-1)
}

/// The `error.code` of an alternate-dialect envelope.
pub fn error_name(r: &Resp) -> String {
    r.json()["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The test config in a dialect and tempo.
pub fn world(dialect: Dialect, tempo: opconform::reference::Tempo) -> ReferenceConfig {
    ReferenceConfig {
        dialect,
        tempo,
        ..config()
    }
}
