//! The `opconform audit` benchmark (benches/audit.sh runs it): generates
//! recorded traffic of a given size as JSON Lines or HAR, and audits files
//! reporting exchanges/s and the process's peak RSS (VmHWM).
//!
//! ```sh
//! cargo run --release --example audit_bench -- gen-jsonl /tmp/t.jsonl 1073741824
//! cargo run --release --example audit_bench -- gen-har /tmp/t.har 1073741824
//! cargo run --release --example audit_bench -- audit /tmp/t.jsonl
//! ```
//!
//! The traffic: 64 operations in flight at a time, each read RUNNING, waited
//! on (1 s, done:false), cancelled with an Idempotency-Key and the cancel
//! replayed (byte-identical), read again, listed, read CANCELLED, and
//! cancelled once more (422): every request-set rule has work to do, and
//! the audit must find nothing.
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::exit)]

use std::io::{BufWriter, Write};
use std::time::Instant;

use opconform::audit::{self, AuditOptions, HarWriter, Input};
use opconform::contract::{Mode, Schemas};
use opconform::model::{Exchange, RecordedRequest, RecordedResponse};

/// mimalloc, as the opconform binary uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const T0_MS: i64 = 1_767_000_000_000;

fn operation(id: &str, state: &str, with_steps: bool) -> String {
    let done = state != "RUNNING";
    let (error, completed) = if done {
        (r#"{"message":"cancelled by request"}"#, "1767000900")
    } else {
        ("null", "null")
    };
    let step_status = if done { "skipped" } else { "running" };
    let steps = if with_steps {
        format!(
            r#","steps":[{{"name":"provision","status":"completed","execution_type":"system","started_at":1767000000,"completed_at":1767000100,"error_message":null,"retryable":true,"skippable":false}},{{"name":"configure","status":"{step_status}","execution_type":"system","started_at":1767000100,"completed_at":null,"error_message":null,"retryable":true,"skippable":false}}]"#
        )
    } else {
        String::new()
    };
    format!(
        r#"{{"id":"{id}","workspace_id":"ws_j572abc123def456","organization_id":"org_j572abc123def456","owner_type":"install","owner_id":"inst_j572abc123def456","parent_operation_id":null,"state":"{state}","done":{done},"html_url":"https://akua.dev/dashboard/operations/{id}","metadata":{{"type":"install.create","install_id":"inst_j572abc123def456","package":"postgres","version":"16.2.0","region":"eu-central-1"}},"response":null,"error":{error},"last_error":null,"started_at":1767000000,"completed_at":{completed}{steps}}}"#
    )
}

/// One generated exchange.
struct Gen {
    started_ms: i64,
    elapsed_ms: u64,
    exchange: Exchange,
}

fn exchange(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    status: u16,
    body: String,
) -> Exchange {
    let mut request_headers = vec![
        ("authorization".to_string(), "Bearer [REDACTED]".to_string()),
        ("user-agent".to_string(), "akua-cli/1.4.2".to_string()),
    ];
    request_headers.extend(headers.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let mut response_headers = vec![
        ("content-type".to_string(), "application/json".to_string()),
        (
            "date".to_string(),
            "Tue, 29 Dec 2025 09:20:00 GMT".to_string(),
        ),
        (
            "x-request-id".to_string(),
            "req_0123456789abcdef".to_string(),
        ),
    ];
    if (200..300).contains(&status) {
        // A strong entity-tag per representation.
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        body.hash(&mut h);
        response_headers.push(("etag".into(), format!("\"{:016x}\"", h.finish())));
    }
    Exchange {
        request: RecordedRequest {
            method: method.into(),
            url: format!("https://api.akua.dev/v1{path}"),
            headers: request_headers,
            body: None,
        },
        response: Some(RecordedResponse {
            status,
            headers: response_headers,
            body_bytes: body.len() as u64,
            body_excerpt: body,
            body_truncated: false,
        }),
        error: None,
        elapsed_ms: 0,
        retries: 0,
        at_ms: 0,
    }
}

/// The exchanges of operation `n`, in order (times filled in by the caller).
fn lifecycle(n: u64) -> Vec<(u64, Exchange)> {
    let id = format!("op_j572{n:012}");
    let key = format!("cancel-{n}");
    let running = operation(&id, "RUNNING", true);
    let cancelled = operation(&id, "CANCELLED", true);
    let list = format!(
        r#"{{"data":[{}],"has_more":true,"next_cursor":"c{n}"}}"#,
        operation(&id, "RUNNING", false)
    );
    let refused = r#"{"success":false,"errors":[{"code":7003,"message":"operation is already done"}],"result":{}}"#;
    vec![
        (
            12,
            exchange(
                "GET",
                &format!("/operations/{id}"),
                &[],
                200,
                running.clone(),
            ),
        ),
        (
            1000,
            exchange(
                "POST",
                &format!("/operations/{id}:wait?timeout=1"),
                &[],
                200,
                running.clone(),
            ),
        ),
        (
            25,
            exchange(
                "POST",
                &format!("/operations/{id}:cancel"),
                &[("idempotency-key", &key)],
                202,
                running.clone(),
            ),
        ),
        (
            9,
            exchange(
                "POST",
                &format!("/operations/{id}:cancel"),
                &[("idempotency-key", &key)],
                202,
                running.clone(),
            ),
        ),
        (11, exchange("GET", "/operations?limit=1", &[], 200, list)),
        (
            12,
            exchange(
                "GET",
                &format!("/operations/{id}"),
                &[],
                200,
                cancelled.clone(),
            ),
        ),
        (
            14,
            exchange(
                "POST",
                &format!("/operations/{id}:cancel"),
                &[],
                422,
                refused.to_string(),
            ),
        ),
    ]
}

/// Generates traffic until `bytes` are written; each exchange is passed to
/// `write`, which returns how many bytes it wrote. Requests are written in
/// start order, at least 2 ms apart; an operation's next request starts
/// after its previous answer (a held :wait delays only its operation).
fn generate(
    bytes: u64,
    mut write: impl FnMut(&Gen) -> std::io::Result<u64>,
) -> std::io::Result<u64> {
    const IN_FLIGHT: usize = 64;
    let mut written = 0;
    let mut count = 0;
    let mut clock = T0_MS;
    let mut next_op = 0u64;
    // (ready at, the operation's remaining exchanges)
    let mut slots: Vec<(i64, std::vec::IntoIter<(u64, Exchange)>)> = (0..IN_FLIGHT)
        .map(|_| {
            next_op += 1;
            (T0_MS, lifecycle(next_op - 1).into_iter())
        })
        .collect();
    while written < bytes {
        let slot = (0..slots.len()).min_by_key(|i| slots[*i].0).unwrap_or(0);
        let Some((elapsed, mut exchange)) = slots[slot].1.next() else {
            slots[slot].1 = lifecycle(next_op).into_iter();
            next_op += 1;
            continue;
        };
        clock = (clock + 2).max(slots[slot].0);
        exchange.elapsed_ms = elapsed;
        slots[slot].0 = clock + elapsed as i64 + 1;
        let g = Gen {
            started_ms: clock,
            elapsed_ms: elapsed,
            exchange,
        };
        written += write(&g)?;
        count += 1;
    }
    Ok(count)
}

fn jsonl_line(g: &Gen) -> String {
    let ex = &g.exchange;
    let resp = ex.response.as_ref().expect("generated with a response");
    let headers = |h: &[(String, String)]| -> serde_json::Map<String, serde_json::Value> {
        h.iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect()
    };
    let mut line = serde_json::json!({
        "time": audit::time::format_ms(g.started_ms),
        "method": ex.request.method,
        "url": ex.request.url,
        "request_headers": headers(&ex.request.headers),
        "status": resp.status,
        "response_headers": headers(&resp.headers),
        "response_body": resp.body_excerpt,
        "duration_ms": g.elapsed_ms,
        "upstream": "operations-api-7c9f",
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
    })
    .to_string();
    line.push('\n');
    line
}

fn gen_jsonl(path: &str, bytes: u64) -> std::io::Result<u64> {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let n = generate(bytes, |g| {
        let line = jsonl_line(g);
        out.write_all(line.as_bytes())?;
        Ok(line.len() as u64)
    })?;
    out.flush()?;
    Ok(n)
}

/// Counts bytes written through it.
struct Counting<W> {
    inner: W,
    bytes: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes.set(self.bytes.get() + n as u64);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn gen_har(path: &str, bytes: u64) -> std::io::Result<u64> {
    let counter = std::rc::Rc::new(std::cell::Cell::new(0));
    let out = Counting {
        inner: BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?),
        bytes: counter.clone(),
    };
    let mut har = HarWriter::new(out, env!("CARGO_PKG_VERSION"))?;
    let mut last = 0;
    let n = generate(bytes, |g| {
        har.entry(&g.exchange, g.started_ms, None)?;
        let now = counter.get();
        let grew = now - last;
        last = now;
        Ok(grew)
    })?;
    har.finish()?;
    Ok(n)
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

fn audit_cmd(paths: &[String], strict: bool) -> i32 {
    let schemas = Schemas::bundled().expect("bundled schemas");
    let inputs: Vec<Input> = paths.iter().map(Input::new).collect();
    let options = AuditOptions {
        mode: if strict { Mode::Strict } else { Mode::Lenient },
        max_operations: std::env::var("MAX_OPERATIONS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(AuditOptions::default().max_operations),
        ..AuditOptions::default()
    };
    let bytes: u64 = paths
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let started = Instant::now();
    let mut violations = 0u64;
    let mut first = Vec::new();
    let report = audit::audit_files(
        &inputs,
        &schemas,
        options,
        |v| {
            violations += 1;
            if first.len() < 5 {
                first.push(v.line());
            }
        },
        |e| eprintln!("input error: {e}"),
    );
    let secs = started.elapsed().as_secs_f64();
    let s = &report.stats;
    println!(
        "audited {} exchanges ({} on the Operations API, {} input errors) from {:.0} MiB in {secs:.2} s: {:.0} exchanges/s, {:.0} MiB/s; peak RSS (VmHWM) {:.1} MiB; {} operations followed; {violations} violations",
        s.exchanges,
        s.audited,
        s.input_errors,
        bytes as f64 / 1048576.0,
        s.exchanges as f64 / secs,
        bytes as f64 / 1048576.0 / secs,
        vm_hwm_kib() as f64 / 1024.0,
        s.operations,
    );
    for line in first {
        println!("  {line}");
    }
    i32::from(report.exit_status().code())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let size = |i: usize| -> u64 { args.get(i).and_then(|s| s.parse().ok()).unwrap_or(1 << 30) };
    let code = match args.first().map(String::as_str) {
        Some("gen-jsonl") if args.len() >= 2 => match gen_jsonl(&args[1], size(2)) {
            Ok(n) => {
                println!("wrote {n} exchanges to {}", args[1]);
                0
            }
            Err(e) => {
                eprintln!("{}: {e}", args[1]);
                2
            }
        },
        Some("gen-har") if args.len() >= 2 => match gen_har(&args[1], size(2)) {
            Ok(n) => {
                println!("wrote {n} entries to {}", args[1]);
                0
            }
            Err(e) => {
                eprintln!("{}: {e}", args[1]);
                2
            }
        },
        Some("audit") if args.len() >= 2 => audit_cmd(&args[1..], false),
        Some("audit-strict") if args.len() >= 2 => audit_cmd(&args[1..], true),
        _ => {
            eprintln!(
                "usage: audit_bench gen-jsonl FILE [BYTES] | gen-har FILE [BYTES] | audit FILE... | audit-strict FILE..."
            );
            2
        }
    };
    std::process::exit(code);
}
