//! A [`Timeline`] (race trials, concurrent fuzz histories) drawn on a time axis, one lane per client: as
//! text for the console and as inline SVG for the HTML report. Each call is
//! a bar from its invocation to its response; a lost call runs off the
//! right edge (it may take effect at any later instant). Below the lanes,
//! one line per call says what it asked and what came back.
//!
//! The SVG is self-contained (no script, no external font or stylesheet)
//! and every text in it is escaped: keys and ETags come from the wire.

use std::fmt::Write as _;

use crate::model::{Timeline, TimelineCall, Tone};

/// Columns of the text time axis.
const TEXT_WIDTH: usize = 64;

/// The calls to draw, with the time span they cover.
fn selection(timeline: &Timeline) -> (Vec<(usize, &TimelineCall)>, u64, u64) {
    let picked: Vec<(usize, &TimelineCall)> =
        timeline.calls.iter().map(|c| (c.number, c)).collect();
    let start = picked.iter().map(|(_, c)| c.invoked_ns).min().unwrap_or(0);
    let end = picked
        .iter()
        .map(|(_, c)| c.returned_ns.unwrap_or(c.invoked_ns).max(c.invoked_ns))
        .max()
        .unwrap_or(start);
    // A lost call needs room to run off the edge.
    let span = (end - start).max(1);
    let end = if picked.iter().any(|(_, c)| c.returned_ns.is_none()) {
        end + span / 8 + 1
    } else {
        end
    };
    (picked, start, end.max(start + 1))
}

fn ms(ns: u64) -> String {
    format!("{:.3} ms", ns as f64 / 1e6)
}

/// When a call ran, relative to `start`.
fn span_label(c: &TimelineCall, start: u64) -> String {
    match c.returned_ns {
        Some(r) => format!(
            "{}–{}",
            ms(c.invoked_ns - start.min(c.invoked_ns)),
            ms(r.saturating_sub(start))
        ),
        None => format!(
            "{}–(never answered)",
            ms(c.invoked_ns.saturating_sub(start))
        ),
    }
}

/// The calls as text: lanes, then one line per call.
pub fn text(timeline: &Timeline) -> String {
    let (picked, start, end) = selection(timeline);
    let span = end - start;
    let col = |t: u64| -> usize {
        let x = (t.saturating_sub(start) as u128 * (TEXT_WIDTH as u128 - 1)) / span as u128;
        usize::try_from(x)
            .unwrap_or(TEXT_WIDTH - 1)
            .min(TEXT_WIDTH - 1)
    };
    let mut clients: Vec<usize> = picked.iter().map(|(_, c)| c.client).collect();
    clients.sort_unstable();
    clients.dedup();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:6}{:<w$}{}",
        "",
        "0 ms",
        ms(end - start),
        w = TEXT_WIDTH - ms(end - start).len() + 1
    );
    for client in &clients {
        let mut lane = vec![' '; TEXT_WIDTH];
        for (i, c) in picked.iter().filter(|(_, c)| c.client == *client) {
            let a = col(c.invoked_ns);
            let (b, lost) = match c.returned_ns {
                Some(r) => (col(r).max(a), false),
                None => (TEXT_WIDTH - 1, true),
            };
            for cell in lane.iter_mut().take(b + 1).skip(a) {
                *cell = if lost { '~' } else { '=' };
            }
            lane[a] = '[';
            lane[b] = if lost { '>' } else { ']' };
            // The call's number inside its bar, when it fits.
            let tag: Vec<char> = format!("#{i}").chars().collect();
            if b > a + tag.len() {
                for (k, ch) in tag.iter().enumerate() {
                    lane[a + 1 + k] = *ch;
                }
            }
        }
        let _ = writeln!(out, "c{client:<4} |{}|", lane.iter().collect::<String>());
    }
    for (_, c) in &picked {
        let _ = writeln!(out, "  {}  [{}]", c.label, span_label(c, start));
    }
    out
}

/// Escapes text for XML content and attribute values; drops the control
/// characters XML 1.0 does not allow.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Fill colour of a call's bar: accepted, rejected, 5xx, lost, read.
fn colour(c: &TimelineCall) -> &'static str {
    match c.tone {
        Tone::Lost => "#d0d0d0",
        Tone::ServerError => "#e06666",
        Tone::Read => "#9fc5e8",
        Tone::Accepted => "#93c47d",
        Tone::Rejected => "#f6b26b",
    }
}

/// The calls as an inline SVG document (self-contained, escaped), titled
/// with the timeline's title.
pub fn svg(timeline: &Timeline) -> String {
    let title = timeline.title.as_str();
    const LEFT: f64 = 56.0;
    const WIDTH: f64 = 720.0;
    const LANE: f64 = 28.0;
    const TOP: f64 = 34.0;
    const LINE: f64 = 16.0;
    let (picked, start, end) = selection(timeline);
    let span = (end - start) as f64;
    let x = |t: u64| LEFT + (t.saturating_sub(start) as f64 / span) * WIDTH;
    let mut clients: Vec<usize> = picked.iter().map(|(_, c)| c.client).collect();
    clients.sort_unstable();
    clients.dedup();
    let lanes_bottom = TOP + LANE * clients.len() as f64;
    let height = lanes_bottom + 24.0 + LINE * picked.len() as f64 + 8.0;
    let total = LEFT + WIDTH + 24.0;
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{total:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {total:.0} {height:.0}\" role=\"img\" class=\"race-timeline\">"
    );
    let _ = write!(out, "<title>{}</title>", escape(title));
    out.push_str(
        "<style>text{font-family:monospace;font-size:11px;fill:#222}\
         .lane{stroke:#ccc;stroke-width:1}.lost{stroke-dasharray:4 3}</style>",
    );
    let _ = write!(
        out,
        "<text x=\"{LEFT}\" y=\"14\">0 ms</text><text x=\"{:.1}\" y=\"14\" text-anchor=\"end\">{}</text>",
        LEFT + WIDTH,
        escape(&ms(end - start))
    );
    for (row, client) in clients.iter().enumerate() {
        let y = TOP + LANE * row as f64;
        let _ = write!(
            out,
            "<text x=\"4\" y=\"{:.1}\">c{client}</text><line class=\"lane\" x1=\"{LEFT}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\"/>",
            y + 14.0,
            y + 10.0,
            LEFT + WIDTH,
            y + 10.0
        );
        for (i, c) in picked.iter().filter(|(_, c)| c.client == *client) {
            let x0 = x(c.invoked_ns);
            let (x1, lost) = match c.returned_ns {
                Some(r) => (x(r).max(x0 + 2.0), false),
                None => (LEFT + WIDTH, true),
            };
            let tip = format!("{}  [{}]", c.label, span_label(c, start));
            let _ = write!(
                out,
                "<g><title>{}</title><rect x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"18\" rx=\"3\" fill=\"{}\" stroke=\"#555\"{}/>",
                escape(&tip),
                y + 1.0,
                x1 - x0,
                colour(c),
                if lost { " class=\"lost\"" } else { "" }
            );
            if lost {
                let _ = write!(
                    out,
                    "<polygon points=\"{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}\" fill=\"#555\"/>",
                    x1,
                    y + 1.0,
                    x1 + 10.0,
                    y + 10.0,
                    x1,
                    y + 19.0
                );
            }
            let status = c
                .status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "lost".into());
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\">#{i} {}</text></g>",
                x0 + 3.0,
                y + 14.0,
                escape(&status)
            );
        }
    }
    for (row, (_, c)) in picked.iter().enumerate() {
        let _ = write!(
            out,
            "<text x=\"4\" y=\"{:.1}\">{}  [{}]</text>",
            lanes_bottom + 20.0 + LINE * row as f64,
            escape(&c.label),
            escape(&span_label(c, start))
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(
        number: usize,
        client: usize,
        span: (u64, Option<u64>),
        status: Option<u16>,
        label: &str,
        tone: Tone,
    ) -> TimelineCall {
        TimelineCall {
            number,
            client,
            invoked_ns: span.0,
            returned_ns: span.1,
            status,
            label: label.into(),
            tone,
        }
    }

    fn sample() -> Timeline {
        Timeline {
            case: "race::lost-update".into(),
            title: "trial <1> & \"2\"".into(),
            calls: vec![
                call(
                    0,
                    0,
                    (1_000_000, Some(3_000_000)),
                    Some(202),
                    "#0 c0 cancel key=k<&>\"'\u{1} if-match=\"t1\" → 202 RUNNING cancel-steps=1",
                    Tone::Accepted,
                ),
                call(
                    1,
                    1,
                    (1_200_000, Some(2_500_000)),
                    Some(409),
                    "#1 c1 cancel if-match=\"t1\" → 409",
                    Tone::Rejected,
                ),
                call(
                    2,
                    2,
                    (2_000_000, None),
                    Some(202),
                    "#2 c2 cancel key=k2 → 202, then lost (closed after the status line)",
                    Tone::Lost,
                ),
            ],
        }
    }

    fn only(numbers: &[usize]) -> Timeline {
        let mut t = sample();
        t.calls.retain(|c| numbers.contains(&c.number));
        t
    }

    #[test]
    fn text_has_a_lane_per_client_and_a_line_per_call() {
        let t = text(&sample());
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 1 + 3 + 3, "{t}");
        assert!(
            lines[1].starts_with("c0") && lines[1].contains("[#0"),
            "{t}"
        );
        assert!(lines[2].starts_with("c1") && lines[2].contains(']'), "{t}");
        // The lost call runs off the right edge.
        assert!(lines[3].contains("~>|"), "{t}");
        assert!(t.contains("(never answered)"), "{t}");
        assert!(t.contains("#1 c1 cancel if-match=\"t1\" → 409"), "{t}");
        // A part: only the calls asked for.
        let part = text(&only(&[1]));
        assert_eq!(part.lines().count(), 3, "{part}");
        assert!(part.contains("0.000 ms–1.300 ms"), "{part}");
    }

    #[test]
    fn svg_is_escaped_well_formed_xml() {
        let s = svg(&sample());
        assert!(s.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(!s.contains("k<&>"));
        assert!(s.contains("k&lt;&amp;&gt;&quot;&apos;"));
        assert!(!s.contains('\u{1}'));
        assert!(!s.contains("<script") && !s.contains("href"));
        xml::check(&s).unwrap_or_else(|e| panic!("{e}\n{s}"));
        assert_eq!(s.matches("<rect").count(), 3);
        assert_eq!(s.matches("<polygon").count(), 1);
        // The checker itself refuses what is not XML.
        for bad in [
            "<a><b></a></b>",
            "<a x=1/>",
            "<a>&nope;</a>",
            "<a>x < y</a>",
            "<a></a><b/>",
            "<a>",
        ] {
            assert!(xml::check(bad).is_err(), "{bad}");
        }
        assert!(xml::check("<a x=\"1\" y='2'><b/>t &amp; &#38; &#x26;</a>").is_ok());
    }

    #[test]
    fn an_empty_selection_draws_an_empty_axis() {
        let empty = only(&[]);
        assert_eq!(text(&empty).lines().count(), 1);
        xml::check(&svg(&empty)).expect("well-formed");
    }

    /// A strict mini XML well-formedness checker for the tests (the crate
    /// has no XML parser): one root element, balanced and properly nested
    /// tags, quoted attributes without `<`, only the five predefined
    /// entities and numeric references, no raw `<` or `&` in text.
    pub(crate) mod xml {
        pub fn check(doc: &str) -> Result<(), String> {
            let b = doc.as_bytes();
            let mut stack: Vec<String> = Vec::new();
            let mut roots = 0;
            let mut i = 0;
            while i < b.len() {
                if b[i] == b'<' {
                    let close = doc[i..].find('>').ok_or("unterminated tag")? + i;
                    let inner = &doc[i + 1..close];
                    if let Some(name) = inner.strip_prefix('/') {
                        let open = stack.pop().ok_or("close without open")?;
                        if open != name.trim() {
                            return Err(format!("</{name}> closes <{open}>"));
                        }
                    } else {
                        let self_closing = inner.ends_with('/');
                        let inner = inner.trim_end_matches('/');
                        let name: String = inner
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == ':')
                            .collect();
                        if name.is_empty() {
                            return Err(format!("bad tag <{inner}>"));
                        }
                        attributes(&inner[name.len()..])?;
                        if stack.is_empty() {
                            roots += 1;
                        }
                        if !self_closing {
                            stack.push(name);
                        }
                    }
                    i = close + 1;
                } else {
                    if stack.is_empty() && !b[i].is_ascii_whitespace() {
                        return Err("text outside the root".into());
                    }
                    let next = doc[i..].find('<').map_or(b.len(), |n| n + i);
                    text(&doc[i..next])?;
                    i = next;
                }
            }
            if !stack.is_empty() {
                return Err(format!("unclosed {stack:?}"));
            }
            if roots != 1 {
                return Err(format!("{roots} root elements"));
            }
            Ok(())
        }

        fn attributes(mut s: &str) -> Result<(), String> {
            loop {
                s = s.trim_start();
                if s.is_empty() {
                    return Ok(());
                }
                let eq = s.find('=').ok_or(format!("attribute without value: {s}"))?;
                let rest = &s[eq + 1..];
                let quote = rest.chars().next().ok_or("no value")?;
                if quote != '"' && quote != '\'' {
                    return Err(format!("unquoted attribute: {s}"));
                }
                let end = rest[1..].find(quote).ok_or("unterminated value")? + 1;
                let value = &rest[1..end];
                if value.contains('<') {
                    return Err("< in an attribute".into());
                }
                text(value)?;
                s = &rest[end + 1..];
            }
        }

        fn text(s: &str) -> Result<(), String> {
            let mut rest = s;
            while let Some(amp) = rest.find('&') {
                let semi = rest[amp..].find(';').ok_or("bare &")? + amp;
                let name = &rest[amp + 1..semi];
                let ok = matches!(name, "amp" | "lt" | "gt" | "quot" | "apos")
                    || name
                        .strip_prefix("#x")
                        .is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
                    || name
                        .strip_prefix('#')
                        .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()));
                if !ok {
                    return Err(format!("unknown entity &{name};"));
                }
                rest = &rest[semi + 1..];
            }
            if s.chars()
                .any(|c| (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r'))
            {
                return Err("control character".into());
            }
            Ok(())
        }
    }
}
