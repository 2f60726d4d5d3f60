//! Reports: schema validity (JUnit XSD via xmllint, JSON Schema), snapshots,
//! escaping of hostile bodies, the HTML page in a real headless Chromium, and
//! redaction of every written file.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use opconform::model::RunResult;
use opconform::redact::Redactor;
use opconform::report::sample::sample_result;
use opconform::report::{self, Format};

const ALL: [Format; 4] = [Format::Junit, Format::Json, Format::Markdown, Format::Html];

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn write_all(result: &RunResult) -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = report::write_reports(result, &ALL, dir.path()).expect("reports written");
    (dir, paths)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Finds a tool or fails the test with the fix; never skips silently.
/// `cargo xtask test` (README's test command) installs what is missing, or
/// prints the exact commands when it cannot; `package` is the Debian name,
/// for whoever installs by hand.
fn require_tool(names: &[&str], package: &str) -> PathBuf {
    for name in names {
        if let Ok(out) = Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {name}"))
            .output()
        {
            let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
            if out.status.success() && !path.is_empty() {
                return PathBuf::from(path);
            }
        }
    }
    panic!(
        "`{}` is not installed; this test needs it. Run the tests with `cargo xtask test`, \
         which installs it (Debian/Ubuntu package `{package}`) or prints how",
        names[0]
    );
}

// ---------------------------------------------------------------- JUnit XML

fn xmllint(xml_path: &Path) -> std::process::Output {
    let xmllint = require_tool(&["xmllint"], "libxml2-utils");
    Command::new(xmllint)
        .arg("--noout")
        .arg("--schema")
        .arg(crate_dir().join("tests/data/junit.xsd"))
        .arg(xml_path)
        .output()
        .expect("xmllint runs")
}

#[test]
fn junit_validates_against_the_jenkins_gitlab_schema() {
    let (dir, _) = write_all(&sample_result());
    let path = dir.path().join("opconform.junit.xml");
    let out = xmllint(&path);
    assert!(
        out.status.success(),
        "xmllint rejected the report:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn junit_schema_rejects_what_ci_servers_would_misread() {
    // The XSD check can fail: a testcase without a name, and a testcase both
    // skipped and failed, are rejected.
    let (dir, _) = write_all(&sample_result());
    let xml = read(&dir.path().join("opconform.junit.xml"));
    let nameless = xml.replacen("<testcase name=\"CANCEL-202-ENVELOPE\"", "<testcase", 1);
    let both = xml.replacen(
        "<skipped message=\"waived:",
        "<failure message=\"x\"/><skipped message=\"waived:",
        1,
    );
    for (label, bad) in [("nameless", nameless), ("skipped+failure", both)] {
        assert_ne!(bad, xml, "{label}: mutation applied");
        let path = dir.path().join(format!("{label}.xml"));
        std::fs::write(&path, bad).expect("write");
        assert!(!xmllint(&path).status.success(), "{label} was accepted");
    }
}

#[test]
fn junit_has_one_testcase_per_case_and_invariant_with_reproducer() {
    let (dir, _) = write_all(&sample_result());
    let xml = read(&dir.path().join("opconform.junit.xml"));
    assert!(xml.contains(r#"<testsuites name="opconform" tests="18" skipped="5" failures="4" errors="0" time="10.412">"#), "{xml}");
    // The failure text names the invariant, expected vs actual, and replays.
    let start = xml
        .find(r#"<failure message="CANCEL-NO-SIDE-EFFECT-ON-DONE"#)
        .expect("failure");
    let body = &xml[start..start + xml[start..].find("</failure>").expect("end")];
    assert!(
        body.contains("expected: state &quot;SUCCEEDED&quot;"),
        "{body}"
    );
    assert!(
        body.contains("actual:   state &quot;CANCELLED&quot;"),
        "{body}"
    );
    assert!(body.contains("curl --globoff --path-as-is"), "{body}");
    assert!(
        body.contains("&quot;authorization: Bearer $AKUA_TOKEN&quot;"),
        "{body}"
    );
}

// ---------------------------------------------------------------- JSON

fn report_schema() -> jsonschema::Validator {
    let text = read(&crate_dir().join("schemas/report.schema.json"));
    let schema: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles")
}

fn schema_errors(v: &jsonschema::Validator, instance: &serde_json::Value) -> Vec<String> {
    v.iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn json_validates_against_the_report_schema() {
    let validator = report_schema();
    let (dir, _) = write_all(&sample_result());
    let value: serde_json::Value =
        serde_json::from_str(&read(&dir.path().join("opconform.json"))).expect("report is JSON");
    assert_eq!(value["format"], "opconform-report/1");
    let errors = schema_errors(&validator, &value);
    assert!(errors.is_empty(), "{errors:#?}");

    // The schema is precise: these all fail.
    type Mutation = fn(&mut serde_json::Value);
    let mutations: [(&str, Mutation); 5] = [
        ("skipped without reason", |v| {
            v["cases"][3]["outcome"] = serde_json::json!({"verdict": "skipped"});
        }),
        ("unknown case verdict", |v| {
            v["cases"][0]["outcome"] = serde_json::json!({"verdict": "ok"});
        }),
        ("unknown check verdict", |v| {
            v["cases"][0]["steps"][0]["checks"][0]["verdict"] = "passed".into();
        }),
        ("missing format", |v| {
            v.as_object_mut().expect("object").remove("format");
        }),
        ("bad timestamp", |v| v["started_at"] = "yesterday".into()),
    ];
    for (label, mutate) in mutations {
        let mut bad = value.clone();
        mutate(&mut bad);
        assert!(
            !schema_errors(&validator, &bad).is_empty(),
            "{label} was accepted"
        );
    }
}

// ---------------------------------------------------------------- snapshots

#[test]
fn snapshot_junit() {
    let (dir, _) = write_all(&sample_result());
    insta::assert_snapshot!("junit", read(&dir.path().join("opconform.junit.xml")));
}

#[test]
fn snapshot_markdown() {
    let (dir, _) = write_all(&sample_result());
    insta::assert_snapshot!("markdown", read(&dir.path().join("opconform.md")));
}

#[test]
fn snapshot_json() {
    let (dir, _) = write_all(&sample_result());
    insta::assert_snapshot!("json", read(&dir.path().join("opconform.json")));
}

#[test]
fn only_the_requested_formats_are_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let formats = Format::parse_list("md,junit").expect("parses");
    let paths = report::write_reports(&sample_result(), &formats, dir.path()).expect("written");
    assert_eq!(paths.len(), 2);
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["opconform.junit.xml", "opconform.md"]);
}

// ---------------------------------------------------------------- redaction

#[test]
fn every_written_file_is_redacted() {
    const TOKEN: &str = "sk_akua_test_LEAK_9f8e7d6c";
    const ODD: &str = "p&ss<w>rd'\"x";
    let mut r = sample_result();
    {
        let case = &mut r.cases[1];
        case.name = format!("cancel::named_{TOKEN}");
        let step = &mut case.steps[0];
        let ex = &mut step.exchanges[0];
        ex.request.url = format!("{}?token={TOKEN}", ex.request.url);
        ex.request
            .headers
            .push(("authorization".into(), format!("Bearer {TOKEN}")));
        ex.request.headers.push(("x-odd".into(), ODD.into()));
        ex.request.body = Some(format!(r#"{{"token":"{TOKEN}","odd":"{ODD}"}}"#));
        ex.error = Some(format!("connection reset after sending {TOKEN}"));
        let resp = ex.response.as_mut().expect("response");
        resp.body_excerpt = format!(r#"{{"echo":"{TOKEN}"}}"#);
        resp.headers.push(("x-echo".into(), TOKEN.into()));
        step.checks[0].actual = format!("status 200 and token {TOKEN}");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let redactor = Redactor::new([TOKEN, ODD]);
    let paths = report::write_reports_redacted(&r, &ALL, dir.path(), &redactor).expect("written");
    assert_eq!(paths.len(), 4);
    let escaped_forms = [
        TOKEN.to_string(),
        ODD.to_string(),
        "p&amp;ss&lt;w&gt;rd".to_string(),
        "p&ss<w>rd'\\\"x".to_string(),
        "p\\&ss".to_string(),
    ];
    for path in &paths {
        let text = read(path);
        for form in &escaped_forms {
            assert!(
                !text.contains(form.as_str()),
                "{} leaks {form:?}",
                path.display()
            );
        }
        assert!(
            text.contains("REDACTED"),
            "{} shows no redaction",
            path.display()
        );
    }

    // Without the redactor the same result leaks: the test can fail.
    let (dir2, paths2) = write_all(&r);
    assert!(paths2.iter().all(|p| read(p).contains(TOKEN)));
    drop(dir2);
}

// ---------------------------------------------------------------- HTML + Chromium

fn hostile_result() -> RunResult {
    let mut r = sample_result();
    let ex = r.cases[1].steps[1].exchanges[0]
        .response
        .as_mut()
        .expect("response");
    ex.body_excerpt = "<script>alert(1)</script></script><script>document.title='PWNED';\
                       document.documentElement.setAttribute('data-pwned','1')</script>\
                       <img src=x onerror=\"document.title='PWNED'\">"
        .to_string();
    ex.headers
        .push(("x-evil".into(), "\"><script>alert(3)</script>".into()));
    r.cases[1].steps[1].checks[0].actual = "</pre></script><b>bold</b>".into();
    r
}

pub(crate) struct Chromium {
    exe: PathBuf,
}

impl Chromium {
    pub(crate) fn new() -> Self {
        Chromium {
            exe: require_tool(
                &["chromium", "chromium-browser", "google-chrome"],
                "chromium",
            ),
        }
    }

    /// Runs headless Chromium on `url` with `extra` flags; returns stdout.
    fn run(&self, url: &str, extra: &[&str]) -> String {
        let profile = tempfile::tempdir().expect("profile dir");
        let out_path = profile.path().join("stdout.txt");
        let stdout = std::fs::File::create(&out_path).expect("stdout file");
        let mut child = Command::new(&self.exe)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(extra)
            .arg(url)
            .stdout(Stdio::from(stdout))
            .stderr(Stdio::null())
            .spawn()
            .expect("chromium starts");
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            match child.try_wait().expect("wait on chromium") {
                Some(_) => break,
                None if Instant::now() > deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("chromium did not finish within 90 s on {url}");
                }
                None => std::thread::sleep(Duration::from_millis(100)),
            }
        }
        read(&out_path)
    }

    pub(crate) fn dump_dom(&self, url: &str) -> String {
        let dom = self.run(url, &["--dump-dom"]);
        assert!(
            dom.contains("</html>"),
            "no DOM from chromium for {url}: {dom:.200}"
        );
        dom
    }
}

/// Every start tag in `dom` that contains `needle`.
fn tags_with<'a>(dom: &'a str, needle: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut rest = dom;
    while let Some(at) = rest.find(needle) {
        let start = rest[..at].rfind('<').expect("inside a tag");
        let end = at + rest[at..].find('>').expect("tag ends");
        out.push(&rest[start..=end]);
        rest = &rest[end..];
    }
    out
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let at = tag.find(&key)? + key.len();
    Some(&tag[at..at + tag[at..].find('"')?])
}

pub(crate) fn file_url(path: &Path, fragment: &str) -> String {
    format!("file://{}{fragment}", path.display())
}

#[test]
fn html_escapes_hostile_bodies_and_its_script_still_runs() {
    let (dir, _) = write_all(&hostile_result());
    let path = dir.path().join("opconform.html");
    let html = read(&path);
    assert!(!html.contains("<script>alert(1)"), "raw script in page");
    assert!(!html.contains("<img src=x"), "raw img in page");
    assert!(
        !html.contains("<b>bold</b>"),
        "raw markup from a check in page"
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;&lt;&#x2f;script&gt;"));
    assert_eq!(
        html.matches("<script>").count(),
        1,
        "only the page's own script"
    );

    let dom = Chromium::new().dump_dom(&file_url(&path, ""));
    let summary = tags_with(&dom, "id=\"js-summary\"");
    assert_eq!(summary.len(), 1);
    assert_eq!(
        attr(summary[0], "data-ready"),
        Some("1"),
        "page script did not run: {}",
        summary[0]
    );
    assert!(!dom.contains("<title>PWNED"), "injected script ran");
    assert!(!dom.contains("data-pwned=\"1\""), "injected script ran");
    // The text is shown, as text.
    assert!(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

#[test]
fn html_in_chromium_counts_and_filters_and_screenshot() {
    let (dir, _) = write_all(&sample_result());
    let path = dir.path().join("opconform.html");
    let chromium = Chromium::new();
    let r = sample_result();

    // No filter: the script writes totals computed from the rows.
    let dom = chromium.dump_dom(&file_url(&path, ""));
    let summary = tags_with(&dom, "id=\"js-summary\"")[0];
    assert_eq!(attr(summary, "data-ready"), Some("1"));
    assert_eq!(attr(summary, "data-total-case-failed"), Some("2"));
    assert_eq!(attr(summary, "data-total-case-passed"), Some("2"));
    assert_eq!(attr(summary, "data-total-case-flaky"), Some("1"));
    assert_eq!(attr(summary, "data-total-case-not_run"), Some("1"));
    // LIST-OWNER-FILTER failed only in a waived case: it counts as waived.
    let failing = r.invariants.iter().filter(|t| t.failed > 0).count();
    assert_eq!(failing, 5);
    assert_eq!(attr(summary, "data-total-invariant-failed"), Some("4"));
    assert_eq!(attr(summary, "data-total-invariant-waived"), Some("1"));
    assert_eq!(
        attr(summary, "data-visible-invariant"),
        Some(r.invariants.len().to_string().as_str())
    );
    assert_eq!(attr(summary, "data-visible-case"), Some("9"));
    // The visible counter, with the totals of this result: every catalogued
    // invariant has a row, every case too.
    assert_eq!(r.invariants.len(), opconform::contract::ids().len());
    assert_eq!(r.cases.len(), 9);
    let showing = format!(
        "Showing {n} of {n} invariants, {c} of {c} cases",
        n = r.invariants.len(),
        c = r.cases.len()
    );
    assert!(dom.contains(&showing), "no `{showing}` in the page");

    // #filter=failed: only failing rows stay visible.
    let dom = chromium.dump_dom(&file_url(&path, "#filter=failed"));
    let rows = tags_with(&dom, "data-kind=");
    assert!(rows.len() > 70, "rows found: {}", rows.len());
    for row in &rows {
        let verdict = attr(row, "data-verdict").expect("verdict");
        let hidden = row.contains(" hidden=");
        assert_eq!(hidden, verdict != "failed", "wrong visibility: {row}");
    }
    let summary = tags_with(&dom, "id=\"js-summary\"")[0];
    assert_eq!(attr(summary, "data-filter"), Some("failed"));
    assert_eq!(attr(summary, "data-visible-invariant"), Some("4"));
    assert_eq!(attr(summary, "data-visible-case"), Some("2"));
    let pressed: Vec<_> = tags_with(&dom, "aria-pressed=\"true\"")
        .into_iter()
        .filter(|t| t.starts_with("<button"))
        .collect();
    assert_eq!(pressed.len(), 1);
    assert_eq!(attr(pressed[0], "data-filter"), Some("failed"));

    // #q=text: text filter, case-insensitive, combined with a verdict.
    let dom = chromium.dump_dom(&file_url(&path, "#q=wait-wakes"));
    let visible: Vec<_> = tags_with(&dom, "data-kind=\"invariant\"")
        .into_iter()
        .filter(|t| !t.contains(" hidden="))
        .collect();
    assert_eq!(visible.len(), 1, "{visible:?}");
    assert_eq!(attr(visible[0], "data-id"), Some("WAIT-WAKES"));
    let dom = chromium.dump_dom(&file_url(&path, "#filter=passed&q=cancel"));
    let summary = tags_with(&dom, "id=\"js-summary\"")[0];
    assert_eq!(attr(summary, "data-visible-case"), Some("1"), "{summary}");

    // The screenshot the README uses; look at it when the page changes.
    // The page it shows is kept beside it, to open in a browser.
    std::fs::copy(&path, crate_dir().join("target/report-sample.html")).expect("copy page");
    let shot = crate_dir().join("target/report-screenshot.png");
    let _ = std::fs::remove_file(&shot);
    chromium.run(
        &file_url(&path, ""),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,900",
        ],
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    assert!(
        png.len() > 20_000,
        "screenshot suspiciously small: {} bytes",
        png.len()
    );
}

/// The outcome counts of the Markdown summary table, by column header.
fn markdown_counts(md: &str) -> Vec<(String, usize)> {
    let mut lines = md.lines();
    let header = lines
        .find(|l| l.starts_with("| Passed | Failed |"))
        .unwrap_or_else(|| panic!("no outcome table in:\n{md}"));
    let cells = |l: &str| -> Vec<String> {
        l.trim()
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_string())
            .collect()
    };
    let names = cells(header);
    let separator = lines.next().expect("separator row");
    assert!(separator.starts_with("|---"), "{separator}");
    let values = cells(lines.next().expect("counts row"));
    assert_eq!(names.len(), values.len(), "{header}");
    names
        .into_iter()
        .zip(values)
        .map(|(n, v)| (n, v.parse().unwrap_or_else(|_| panic!("count {v:?}"))))
        .collect()
}

/// The HTML page's case cards (`<div class="n">N</div><div class="l">Label</div>`).
fn html_cards(html: &str) -> Vec<(String, usize)> {
    let mut cards = Vec::new();
    for part in html.split("<div class=\"n\">").skip(1) {
        let (n, rest) = part.split_once("</div>").expect("card number ends");
        let label = rest
            .split_once("<div class=\"l\">")
            .and_then(|(_, l)| l.split_once("</div>"))
            .expect("card label")
            .0;
        cards.push((
            label.to_string(),
            n.trim().parse().unwrap_or_else(|_| panic!("card {n:?}")),
        ));
    }
    cards
}

/// How many case rows of the HTML page carry `data-verdict="verdict"`.
fn html_case_rows(html: &str, verdict: &str) -> usize {
    html.matches(&format!("data-kind=\"case\" data-verdict=\"{verdict}\""))
        .count()
}

#[test]
fn markdown_and_html_agree_on_the_outcome_counts() {
    let r = sample_result();
    let md = markdown_counts(&report::render(&r, Format::Markdown).expect("md"));
    let html = report::render(&r, Format::Html).expect("html");
    let cards = html_cards(&html);
    let get = |list: &[(String, usize)], key: &str| {
        list.iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("no {key:?} in {list:?}"))
    };
    // Every verdict the sample has is present, so a swapped column shows.
    for (column, verdict) in [
        ("Passed", "passed"),
        ("Failed", "failed"),
        ("Flaky", "flaky"),
        ("Skipped", "skipped"),
        ("Inconclusive", "inconclusive"),
        ("Waived", "waived"),
        ("Not run", "not_run"),
    ] {
        let n = get(&md, column);
        assert!(n > 0, "the sample has no {verdict} case");
        assert_eq!(n, r.count(verdict), "Markdown {column}");
        assert_eq!(n, html_case_rows(&html, verdict), "HTML rows {verdict}");
        if column != "Waived" && column != "Not run" {
            assert_eq!(n, get(&cards, column), "HTML card {column}");
        }
    }
    // The page shows waived and not run on one card.
    assert_eq!(
        get(&cards, "Waived / not run"),
        get(&md, "Waived") + get(&md, "Not run")
    );
    assert_eq!(
        get(&cards, "Cases"),
        md.iter().map(|(_, n)| n).sum::<usize>()
    );
    assert_eq!(get(&cards, "Cases"), r.cases.len());
}
