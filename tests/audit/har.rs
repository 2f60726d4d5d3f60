//! HAR: our writer's output against the HAR 1.2 shape and back through the
//! reader; files "from other writers" with their quirks; bad files.

use opconform::audit::{self, Cut, HarReader, HarWriter, InputError, Record};
use opconform::contract::Mode;
use opconform::model::{Exchange, RecordedRequest, RecordedResponse};

use super::support::{audit_paths, op};

fn har_schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/har-1.2.schema.json"),
    )
    .expect("HAR schema");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    jsonschema::options()
        .offline()
        .should_validate_formats(true)
        .build(&schema)
        .expect("compiles")
}

pub(super) fn assert_har_shape(text: &str) {
    let value: serde_json::Value = serde_json::from_str(text).expect("our HAR is JSON");
    let errors: Vec<String> = har_schema()
        .iter_errors(&value)
        .map(|e| format!("{}: {e}", e.instance_path().as_str()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

fn read(text: &str) -> Vec<Result<Record, InputError>> {
    HarReader::new(text.as_bytes(), "t.har".into())
        .map(|cut| cut.and_then(Cut::parse))
        .collect()
}

fn errors(got: &[Result<Record, InputError>]) -> Vec<String> {
    got.iter()
        .filter_map(|r| r.as_ref().err().map(ToString::to_string))
        .collect()
}

fn exchange(method: &str, url: &str, status: Option<u16>, body: &str) -> Exchange {
    Exchange {
        request: RecordedRequest {
            method: method.into(),
            url: url.into(),
            headers: vec![
                ("authorization".into(), "Bearer [REDACTED]".into()),
                ("idempotency-key".into(), "k-\"1\"".into()),
            ],
            body: (method == "POST").then(|| "{}".to_string()),
        },
        response: status.map(|status| RecordedResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body_excerpt: body.into(),
            body_truncated: false,
            body_bytes: body.len() as u64,
        }),
        error: status.is_none().then(|| "timed out after 30 s".to_string()),
        elapsed_ms: 41,
        retries: 0,
        at_ms: 0,
    }
}

#[test]
fn our_har_has_the_1_2_shape_and_round_trips_through_the_reader() {
    let written = [
        exchange(
            "POST",
            "http://127.0.0.1:9/v1/operations/op_1:cancel",
            Some(202),
            &op("op_1", "RUNNING"),
        ),
        exchange(
            "GET",
            "http://127.0.0.1:9/v1/operations?limit=2&owner_type=install",
            Some(200),
            "{\"data\":[]}",
        ),
        exchange(
            "POST",
            "http://127.0.0.1:9/v1/operations/op_1%3Await?timeout=5",
            None,
            "",
        ),
        exchange(
            "GET",
            "http://127.0.0.1:9/v1/operations/op_\u{e9}",
            Some(404),
            "caf\u{e9} \"quoted\"\n",
        ),
    ];
    let mut w = HarWriter::new(Vec::new(), "9.9.9").expect("starts");
    for (i, ex) in written.iter().enumerate() {
        w.entry(ex, 1_767_000_000_000 + i as i64 * 1500, Some("case / step"))
            .expect("writes");
    }
    let text = String::from_utf8(w.finish().expect("finishes")).expect("utf8");
    assert_har_shape(&text);
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["log"]["version"], "1.2");
    assert_eq!(
        v["log"]["creator"],
        serde_json::json!({"name": "opconform", "version": "9.9.9"})
    );
    assert_eq!(
        v["log"]["entries"][1]["request"]["queryString"][1]["value"],
        "install"
    );
    assert_eq!(v["log"]["entries"][2]["response"]["status"], 0);
    assert_eq!(v["log"]["entries"][2]["_error"], "timed out after 30 s");

    let read_back: Vec<Record> = read(&text).into_iter().map(|r| r.expect("reads")).collect();
    assert_eq!(read_back.len(), written.len());
    for (i, (r, ex)) in read_back.iter().zip(&written).enumerate() {
        assert_eq!(r.source.to_string(), format!("t.har log.entries[{i}]"));
        assert_eq!(r.started_ms, 1_767_000_000_000 + i as i64 * 1500);
        let mut sent = ex.request.clone();
        // Not ASCII is not a URI: written percent-encoded, as browsers do.
        sent.url = sent.url.replace('\u{e9}', "%C3%A9");
        assert_eq!(r.exchange.request, sent, "{i}");
        assert_eq!(r.exchange.response, ex.response, "{i}");
        assert_eq!(r.exchange.error, ex.error, "{i}");
        assert_eq!(r.exchange.elapsed_ms, 41);
        assert!(r.duration_known);
    }
    // A whole run: the sample result every reporter is tested with.
    let run = opconform::report::sample::sample_result();
    let text = audit::har_of_run(&run);
    assert_har_shape(&text);
    let n = run
        .cases
        .iter()
        .flat_map(|c| {
            c.steps
                .iter()
                .chain(c.other_attempts.iter().flat_map(|a| a.steps.iter()))
        })
        .map(|s| s.exchanges.len())
        .sum::<usize>();
    assert_eq!(read(&text).iter().filter(|r| r.is_ok()).count(), n);
}

/// Entries as Chromium, Firefox, Charles and mitmproxy write them.
fn other_writers() -> String {
    let body = op("op_1", "RUNNING");
    let b64 = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(op("op_1", "CANCELLED"))
    };
    let escaped = serde_json::to_string(&body).expect("string");
    // HTTP/2: pseudo-headers, lower-case names, no postData, -1 timings.
    let chromium_h2 = format!(
        r#"{{"_initiator": {{"type": "script"}}, "startedDateTime": "2026-05-07T12:00:00.000Z", "time": 35.7,
              "request": {{"method": "GET", "url": "https://api.akua.dev/v1/operations/op_1", "httpVersion": "http/2.0",
                "headers": [{{"name": ":authority", "value": "api.akua.dev"}}, {{"name": ":method", "value": "GET"}},
                            {{"name": ":path", "value": "/v1/operations/op_1"}}, {{"name": ":scheme", "value": "https"}},
                            {{"name": "authorization", "value": "Bearer sk_akua_live_chromium"}}],
                "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0}},
              "response": {{"status": 200, "statusText": "", "httpVersion": "http/2.0",
                "headers": [{{"name": "content-type", "value": "application/json"}}, {{"name": "etag", "value": "\"a1\""}}],
                "cookies": [], "content": {{"size": {size}, "mimeType": "application/json", "text": {escaped}}},
                "redirectURL": "", "headersSize": -1, "bodySize": -1, "_transferSize": 300}},
              "cache": {{}}, "timings": {{"blocked": -1, "dns": -1, "ssl": -1, "connect": -1, "send": 0.1, "wait": 35, "receive": 0.6}}}}"#,
        size = body.len()
    );
    // No response: status 0 and `_error`, time -1.
    let chromium_failed = r#"{"startedDateTime": "2026-05-07T12:00:01.000Z", "time": -1,
              "request": {"method": "POST", "url": "https://api.akua.dev/v1/operations/op_1:cancel", "httpVersion": "",
                "headers": [], "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0},
              "response": {"status": 0, "statusText": "", "httpVersion": "", "headers": [], "cookies": [],
                "content": {"size": 0, "mimeType": "x-unknown"}, "redirectURL": "", "headersSize": -1, "bodySize": -1,
                "_error": "net::ERR_CONNECTION_RESET"},
              "cache": {}, "timings": {"blocked": -1, "dns": -1, "ssl": -1, "connect": -1, "send": 0, "wait": -1, "receive": -1},
              "_error": "net::ERR_CONNECTION_RESET"}"#;
    // Base64 body, capitalised header names, an offset in the date.
    let charles_base64 = format!(
        r#"{{"startedDateTime": "2026-05-07T14:00:02.000+02:00", "time": 12,
              "request": {{"method": "POST", "url": "https://api.akua.dev/v1/operations/op_1:cancel", "httpVersion": "HTTP/1.1",
                "headers": [{{"name": "Idempotency-Key", "value": "c-1"}}, {{"name": "Authorization", "value": "Bearer sk_akua_live_charles"}}],
                "queryString": [], "cookies": [], "headersSize": 120, "bodySize": 0,
                "postData": {{"mimeType": "application/json", "text": ""}}}},
              "response": {{"status": 202, "statusText": "Accepted", "httpVersion": "HTTP/1.1",
                "headers": [{{"name": "Content-Type", "value": "application/json; charset=utf-8"}}], "cookies": [],
                "content": {{"size": -1, "mimeType": "application/json", "encoding": "base64", "text": "{b64}"}},
                "redirectURL": "", "headersSize": 80, "bodySize": 400}},
              "cache": {{}}, "timings": {{"send": 1, "wait": 10, "receive": 1}}}}"#
    );
    // The body was not kept (`content.text` absent).
    let firefox_no_text = r#"{"startedDateTime": "2026-05-07T12:00:03.000+00:00", "time": 8,
              "request": {"method": "GET", "url": "https://api.akua.dev/v1/operations/op_1", "httpVersion": "HTTP/2",
                "headers": [{"name": "Host", "value": "api.akua.dev"}], "queryString": [], "cookies": [], "headersSize": 0, "bodySize": 0},
              "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/2",
                "headers": [{"name": "Content-Type", "value": "application/json"}], "cookies": [],
                "content": {"size": 700, "mimeType": "application/json"}, "redirectURL": "", "headersSize": 0, "bodySize": 700},
              "cache": {}, "timings": {"blocked": 0, "dns": 0, "connect": 0, "ssl": 0, "send": 0, "wait": 8, "receive": 0}}"#;
    // Microseconds in the date, a page elsewhere on the site.
    let mitmproxy = r#"{"startedDateTime": "2026-05-07T12:00:04.123456+00:00", "time": 3.2,
              "request": {"method": "GET", "url": "https://akua.dev/dashboard", "httpVersion": "HTTP/1.1",
                "headers": [], "queryString": [], "cookies": [], "headersSize": 0, "bodySize": 0},
              "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1",
                "headers": [{"name": "content-type", "value": "text/html"}], "cookies": [],
                "content": {"size": 15, "mimeType": "text/html", "text": "<html></html>\n"}, "redirectURL": "",
                "headersSize": 0, "bodySize": 15},
              "cache": {}, "timings": {"send": 0, "wait": 3, "receive": 0}}"#;
    let entries = [
        chromium_h2.as_str(),
        chromium_failed,
        &charles_base64,
        firefox_no_text,
        mitmproxy,
    ]
    .join(",\n");
    format!(
        "\u{feff}{{\"log\": {{\n  \"version\": \"1.2\",\n  \"creator\": {{\"name\": \"WebInspector\", \"version\": \"537.36\"}},\n  \"pages\": [{{\"id\": \"page_1\", \"title\": \"x\"}}],\n  \"entries\": [\n{entries}\n  ]\n}}}}\n"
    )
}

#[test]
fn har_files_from_other_writers_are_read_with_their_quirks() {
    let got = read(&other_writers());
    assert!(errors(&got).is_empty(), "{:?}", errors(&got));
    let r: Vec<&Record> = got.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(r.len(), 5);
    // HTTP/2 pseudo-headers are used, not kept; the token is dropped.
    let h2 = &r[0];
    assert_eq!(
        h2.exchange.request.headers,
        vec![("authorization".to_string(), "Bearer [REDACTED]".to_string())]
    );
    assert_eq!(h2.exchange.elapsed_ms, 36);
    assert_eq!(h2.body, audit::record::BodyState::Complete);
    // No response.
    assert!(r[1].exchange.response.is_none());
    assert_eq!(
        r[1].exchange.error.as_deref(),
        Some("net::ERR_CONNECTION_RESET")
    );
    assert!(!r[1].duration_known);
    // Base64 decoded; the date's offset applied.
    let charles = &r[2];
    assert!(
        charles
            .exchange
            .response
            .as_ref()
            .expect("response")
            .body_excerpt
            .contains("\"CANCELLED\"")
    );
    assert_eq!(charles.started_ms, r[0].started_ms + 2000);
    assert_eq!(charles.request_header("idempotency-key"), Some("c-1"));
    // No text: not recorded (not judged).
    assert_eq!(r[3].body, audit::record::BodyState::NotRecorded);
    assert_eq!(r[4].started_ms, r[0].started_ms + 4123);

    // Audited: nothing fails for what the writers left out.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("others.har");
    std::fs::write(&path, other_writers()).expect("write");
    let (report, violations) = audit_paths(&[&path], Mode::Lenient);
    assert!(
        violations.is_empty(),
        "{:#?}",
        violations.iter().map(|v| v.line()).collect::<Vec<_>>()
    );
    assert_eq!(report.stats.exchanges, 5);
    assert_eq!(report.stats.ignored, 1);
    assert_eq!(report.stats.without_response, 1);
    assert_eq!(report.stats.bodies_not_recorded, 1);
    let text = serde_json::to_string(&report.result).expect("json");
    assert!(!text.contains("sk_akua_live"), "a token reached the report");
}

#[test]
fn bad_har_files_are_located_errors_and_good_entries_still_count() {
    let text = other_writers();
    // Truncated inside entry 2: entries 0 and 1 are read.
    let cut = text.find("\"Idempotency-Key\"").expect("entry 2");
    let got = read(&text[..cut]);
    assert_eq!(got.iter().filter(|r| r.is_ok()).count(), 2);
    assert_eq!(
        errors(&got),
        ["t.har: log.entries[2]: the file ends inside log.entries[2] (truncated?)"]
    );
    // Truncated between entries.
    let cut = text
        .find(",\n{\"startedDateTime\": \"2026-05-07T12:00:03")
        .expect("entry 3");
    assert_eq!(
        errors(&read(&text[..cut])),
        ["t.har: the file ends inside `log.entries` (truncated?)"]
    );
    assert_eq!(
        errors(&read(&text[..cut + 2])),
        ["t.har: log.entries[3]: the file ends inside log.entries[3] (truncated?)"]
    );
    // A HAR missing its log.
    assert_eq!(
        errors(&read(r#"{"entries": [], "version": "1.2"}"#)),
        ["t.har: no `log` object at the top level: not a HAR file"]
    );
    // A JSON Lines file given as HAR.
    assert_eq!(
        errors(&read("{\"time\":\"x\"}\n{\"time\":\"y\"}\n")),
        ["t.har: no `log` object at the top level: not a HAR file"]
    );
    // Entries that are not entries: each a located error, the rest read.
    let good = r#"{"startedDateTime":"2026-05-07T12:00:00Z","time":1,"request":{"method":"GET","url":"http://h/v1/operations/op_1"},"response":{"status":204}}"#;
    let bad = format!(
        r#"{{"log":{{"entries":[7,{good},{{"startedDateTime":"2026-05-07T12:00:00Z"}},{{"startedDateTime":"noon","request":{{"method":"GET","url":"http://h/"}}}},{{"request":{{"method":"GET","url":"/relative"}},"startedDateTime":"2026-05-07T12:00:00Z"}},{{"a":[1,}},{good}]}}}}"#
    );
    let got = read(&bad);
    assert_eq!(got.iter().filter(|r| r.is_ok()).count(), 2);
    assert_eq!(
        errors(&got),
        [
            "t.har: log.entries[0]: not a HAR entry: not a JSON object",
            "t.har: log.entries[2]: not a HAR entry: missing field `request`",
            "t.har: log.entries[3]: `startedDateTime` \"noon\" is not an ISO 8601 date-time",
            "t.har: log.entries[4]: the request has no absolute `url`",
            "t.har: log.entries[5]: not valid JSON: expected value",
        ]
    );
    // An entry over the cap is skipped whole; the next is read.
    let huge = format!(
        r#"{{"log":{{"entries":[{{"comment":"{}"}},{good}]}}}}"#,
        "x".repeat(4096)
    );
    let got: Vec<_> = HarReader::new(huge.as_bytes(), "t.har".into())
        .max_entry_bytes(1024)
        .map(|cut| cut.and_then(Cut::parse))
        .collect::<Vec<_>>();
    assert_eq!(got.iter().filter(|r| r.is_ok()).count(), 1);
    assert_eq!(
        errors(&got),
        [
            "t.har: log.entries[0]: the entry at byte 19 is longer than the 1 KiB limit of --max-line-bytes (skipped; raise the limit to read it)"
        ]
    );
}
