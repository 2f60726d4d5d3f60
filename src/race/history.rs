//! What a race trial recorded: one [`Call`] per request a client sent, with
//! its invocation and response times (nanoseconds from the trial's origin),
//! what it asked (cancel with its key and If-Match, get, `:wait`) and a
//! digest of what came back: status, ETag, the operation's visible state and
//! a hash of the body bytes. A call whose response never arrived (the client
//! dropped the connection, or the exchange failed) is [`Outcome::Lost`]: it
//! may have taken effect at any instant after its invocation, or never.
//!
//! Nothing here sends a request or reads a clock.

use serde::Serialize;
use serde_json::Value;

/// Which client (lane) sent a call. Each client sends its calls one after
/// another, so its calls never overlap.
pub type ClientId = usize;

/// The operation a cancel names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// The operation the history is about.
    Main,
    /// Another operation (its id), e.g. to reuse a key on it.
    Other(String),
}

/// What a call asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "op")]
pub enum CallKind {
    /// `POST /operations/{id}:cancel`.
    Cancel {
        /// The `Idempotency-Key` sent, if any.
        key: Option<String>,
        /// The `If-Match` sent, if any (verbatim).
        if_match: Option<String>,
        /// Which operation.
        target: Target,
    },
    /// `GET /operations/{id}`.
    Get,
    /// `POST /operations/{id}:wait`.
    Wait,
}

impl CallKind {
    /// A cancel of the main operation.
    pub fn cancel(key: Option<&str>, if_match: Option<&str>) -> CallKind {
        CallKind::Cancel {
            key: key.map(str::to_string),
            if_match: if_match.map(str::to_string),
            target: Target::Main,
        }
    }

    /// True for a cancel (of any operation).
    pub fn is_cancel(&self) -> bool {
        matches!(self, CallKind::Cancel { .. })
    }

    /// A short label: `cancel key=k1 if-match="x"`, `get`, `wait`.
    pub fn label(&self) -> String {
        match self {
            CallKind::Get => "get".into(),
            CallKind::Wait => "wait".into(),
            CallKind::Cancel {
                key,
                if_match,
                target,
            } => {
                let mut out = String::from("cancel");
                if let Target::Other(id) = target {
                    out.push_str(&format!(" of {id}"));
                }
                if let Some(k) = key {
                    out.push_str(&format!(" key={k}"));
                }
                if let Some(m) = if_match {
                    out.push_str(&format!(" if-match={m}"));
                }
                out
            }
        }
    }
}

/// The operation's `state`, as far as the model tells states apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OpState {
    /// `RUNNING`.
    Running,
    /// `SUCCEEDED`.
    Succeeded,
    /// `FAILED`.
    Failed,
    /// `CANCELLED`.
    Cancelled,
    /// Anything else (never legal).
    Unknown,
}

impl OpState {
    /// The state of a wire value.
    pub fn parse(s: &str) -> OpState {
        match s {
            "RUNNING" => OpState::Running,
            "SUCCEEDED" => OpState::Succeeded,
            "FAILED" => OpState::Failed,
            "CANCELLED" => OpState::Cancelled,
            _ => OpState::Unknown,
        }
    }

    /// True for the three terminal states.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            OpState::Succeeded | OpState::Failed | OpState::Cancelled
        )
    }

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            OpState::Running => "RUNNING",
            OpState::Succeeded => "SUCCEEDED",
            OpState::Failed => "FAILED",
            OpState::Cancelled => "CANCELLED",
            OpState::Unknown => "?",
        }
    }
}

/// The digest of one Operation body: what the model compares.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct View {
    /// `state`.
    pub state: OpState,
    /// `done`.
    pub done: bool,
    /// `response` is set.
    pub has_response: bool,
    /// `error` is set.
    pub has_error: bool,
    /// The transition marker: how many steps named `cancel` the body lists
    /// (None when it lists no steps). One accepted cancel adds one.
    pub cancel_steps: Option<u8>,
    /// `completed_at`.
    pub completed_at: Option<u64>,
}

impl View {
    /// The digest of an Operation body (None when it is not one).
    pub fn of(body: &Value) -> Option<View> {
        let state = OpState::parse(body.get("state")?.as_str()?);
        let set = |k: &str| body.get(k).is_some_and(|v| !v.is_null());
        let cancel_steps = body.get("steps").and_then(Value::as_array).map(|steps| {
            let n = steps
                .iter()
                .filter(|s| s.get("name").and_then(Value::as_str) == Some("cancel"))
                .count();
            u8::try_from(n).unwrap_or(u8::MAX)
        });
        Some(View {
            state,
            done: body.get("done").and_then(Value::as_bool).unwrap_or(false),
            has_response: set("response"),
            has_error: set("error"),
            cancel_steps,
            completed_at: body.get("completed_at").and_then(Value::as_u64),
        })
    }

    /// One line: `CANCELLED done cancel-steps=1`.
    pub fn label(&self) -> String {
        let mut out = self.state.as_str().to_string();
        if self.done != self.state.is_terminal() {
            out.push_str(if self.done { " done" } else { " not-done" });
        }
        if self.has_response && self.state != OpState::Succeeded {
            out.push_str(" +response");
        }
        if let Some(n) = self.cancel_steps
            && n > 0
        {
            out.push_str(&format!(" cancel-steps={n}"));
        }
        out
    }
}

/// A response that arrived in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The `ETag` header, if any.
    pub etag: Option<String>,
    /// The digest of the body when it is an Operation.
    pub view: Option<View>,
    /// FNV-1a hash of the body bytes (byte-for-byte comparisons).
    pub body_hash: u64,
    /// The start of the body, as text (evidence).
    pub excerpt: String,
}

/// Longest body excerpt kept for evidence (a whole Operation with its
/// steps, so a report shows what the checker saw).
const EXCERPT: usize = 4096;

impl Answer {
    /// The answer of a response with this status, ETag and body.
    pub fn new(status: u16, etag: Option<String>, body: &[u8]) -> Answer {
        let json: Option<Value> = serde_json::from_slice(body).ok();
        let view = json
            .as_ref()
            .filter(|_| (200..300).contains(&status))
            .and_then(View::of);
        let text = String::from_utf8_lossy(body);
        let excerpt = match text.char_indices().nth(EXCERPT) {
            Some((cut, _)) => format!("{}…", &text[..cut]),
            None => text.into_owned(),
        };
        Answer {
            status,
            etag,
            view,
            body_hash: fnv1a(body),
            excerpt,
        }
    }
}

/// FNV-1a, 64 bits: stable across runs (unlike std's hasher).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// How a call ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Outcome {
    /// The whole response arrived.
    Answered(Answer),
    /// No whole response: the client closed the connection on purpose, or
    /// the exchange failed. The call may have taken effect or not.
    Lost {
        /// The status, when the status line was read before the loss.
        status: Option<u16>,
        /// What happened, e.g. `closed after the status line`.
        why: String,
    },
}

impl Outcome {
    /// The status, when known.
    pub fn status(&self) -> Option<u16> {
        match self {
            Outcome::Answered(a) => Some(a.status),
            Outcome::Lost { status, .. } => *status,
        }
    }

    /// The answer, when it arrived.
    pub fn answer(&self) -> Option<&Answer> {
        match self {
            Outcome::Answered(a) => Some(a),
            Outcome::Lost { .. } => None,
        }
    }
}

/// One request of a trial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Call {
    /// Who sent it.
    pub client: ClientId,
    /// What it asked.
    pub kind: CallKind,
    /// When it was sent (ns from the trial's origin).
    pub invoked_ns: u64,
    /// When its response had arrived in full; None when it never did.
    pub returned_ns: Option<u64>,
    /// How it ended.
    pub outcome: Outcome,
}

impl Call {
    /// One line: `#3 c1 cancel key=k → 202 RUNNING cancel-steps=1`.
    pub fn label(&self, index: usize) -> String {
        let result = match &self.outcome {
            Outcome::Answered(a) => match &a.view {
                Some(v) => format!("{} {}", a.status, v.label()),
                None => a.status.to_string(),
            },
            Outcome::Lost {
                status: Some(s),
                why,
            } => format!("{s}, then lost ({why})"),
            Outcome::Lost { status: None, why } => format!("lost ({why})"),
        };
        format!("#{index} c{} {} → {result}", self.client, self.kind.label())
    }
}

/// The operation as the trial found it before any call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Initial {
    /// Its ETag then, if the fixture response carried one.
    pub etag: Option<String>,
    /// Its representation then.
    pub view: Option<View>,
}

/// Every call of one trial on one operation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct History {
    /// The operation before the first call.
    pub initial: Initial,
    /// The calls, in the order they were recorded.
    pub calls: Vec<Call>,
}

impl History {
    /// An empty history of an operation that starts as `initial`.
    pub fn new(initial: Initial) -> History {
        History {
            initial,
            calls: Vec::new(),
        }
    }

    /// Adds a call and returns its index.
    pub fn push(&mut self, call: Call) -> usize {
        self.calls.push(call);
        self.calls.len() - 1
    }

    /// The sub-history of these calls (indices into `calls`), same initial
    /// state.
    pub fn subset(&self, keep: &[usize]) -> History {
        History {
            initial: self.initial.clone(),
            calls: keep
                .iter()
                .filter_map(|i| self.calls.get(*i).cloned())
                .collect(),
        }
    }

    /// Every client that sent a call, sorted.
    pub fn clients(&self) -> Vec<ClientId> {
        let mut out: Vec<ClientId> = self.calls.iter().map(|c| c.client).collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_view_counts_cancel_steps_and_reads_the_state() {
        let body = json!({
            "state": "RUNNING", "done": false, "response": null, "error": null,
            "completed_at": null,
            "steps": [{"name": "validate"}, {"name": "cancel"}, {"name": "cancel"}]
        });
        let v = View::of(&body).expect("an operation");
        assert_eq!(v.state, OpState::Running);
        assert_eq!(v.cancel_steps, Some(2));
        assert!(!v.done && !v.has_response && !v.has_error);
        assert_eq!(v.label(), "RUNNING cancel-steps=2");
        let mixed = json!({"state": "CANCELLED", "done": false, "response": {"type": "x"},
                           "error": {"message": "m"}, "completed_at": 5});
        let v = View::of(&mixed).expect("an operation");
        assert_eq!(v.cancel_steps, None);
        assert_eq!(v.completed_at, Some(5));
        assert_eq!(v.label(), "CANCELLED not-done +response");
        assert!(View::of(&json!({"errors": []})).is_none());
        assert_eq!(OpState::parse("running"), OpState::Unknown);
    }

    #[test]
    fn answers_digest_only_2xx_bodies_and_hash_bytes() {
        let a = Answer::new(
            202,
            Some("\"t\"".into()),
            br#"{"state":"RUNNING","done":false}"#,
        );
        assert!(a.view.is_some());
        let b = Answer::new(422, None, br#"{"state":"RUNNING"}"#);
        assert!(b.view.is_none());
        assert_ne!(a.body_hash, b.body_hash);
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        let long = "é".repeat(EXCERPT + 100);
        let c = Answer::new(500, None, long.as_bytes());
        assert_eq!(c.excerpt.chars().count(), EXCERPT + 1);
    }

    #[test]
    fn labels_name_the_call_and_its_result() {
        let call = Call {
            client: 2,
            kind: CallKind::cancel(Some("k1"), Some("\"t\"")),
            invoked_ns: 0,
            returned_ns: None,
            outcome: Outcome::Lost {
                status: Some(202),
                why: "closed after the status line".into(),
            },
        };
        assert_eq!(
            call.label(4),
            "#4 c2 cancel key=k1 if-match=\"t\" → 202, then lost (closed after the status line)"
        );
        let mut h = History::new(Initial::default());
        h.push(call.clone());
        h.push(Call { client: 0, ..call });
        assert_eq!(h.clients(), vec![0, 2]);
        assert_eq!(h.subset(&[1]).calls[0].client, 0);
    }
}
