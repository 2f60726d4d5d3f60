//! A (part of a) trial's history as a [`Timeline`] of the result model,
//! which the reports draw (`crate::report::timeline`): as text for the
//! console and as inline SVG for the HTML report, one lane per client.

use crate::model::{Timeline, TimelineCall, Tone};
use crate::report::timeline as draw;

use super::history::{Call, History, Outcome};

/// How `c` is coloured: accepted, rejected, 5xx, lost, read.
fn tone(c: &Call) -> Tone {
    match &c.outcome {
        Outcome::Lost { .. } => Tone::Lost,
        Outcome::Answered(a) if a.status >= 500 => Tone::ServerError,
        Outcome::Answered(_) if !c.kind.is_cancel() => Tone::Read,
        Outcome::Answered(a) if (200..300).contains(&a.status) => Tone::Accepted,
        Outcome::Answered(_) => Tone::Rejected,
    }
}

/// The calls `calls` (indices into `history`; all of them when empty) as
/// a timeline of case `case`.
pub fn of(history: &History, calls: &[usize], case: &str, title: &str) -> Timeline {
    let picked: Vec<(usize, &Call)> = if calls.is_empty() {
        history.calls.iter().enumerate().collect()
    } else {
        calls
            .iter()
            .filter_map(|i| history.calls.get(*i).map(|c| (*i, c)))
            .collect()
    };
    Timeline {
        case: case.to_string(),
        title: title.to_string(),
        calls: picked
            .into_iter()
            .map(|(i, c)| TimelineCall {
                number: i,
                client: c.client,
                invoked_ns: c.invoked_ns,
                returned_ns: c.returned_ns,
                status: c.outcome.status(),
                label: c.label(i),
                tone: tone(c),
            })
            .collect(),
    }
}

/// The calls as text: lanes, then one line per call.
pub fn text(history: &History, calls: &[usize]) -> String {
    draw::text(&of(history, calls, "", ""))
}

/// The calls as an inline SVG document (self-contained, escaped).
pub fn svg(history: &History, calls: &[usize], title: &str) -> String {
    draw::svg(&of(history, calls, "", title))
}

/// Escapes text for XML.
pub use draw::escape;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::race::history::{Answer, CallKind, Initial};

    #[test]
    fn calls_keep_their_numbers_lanes_and_tones() {
        let mut h = History::new(Initial::default());
        h.push(Call {
            client: 3,
            kind: CallKind::Get,
            invoked_ns: 5,
            returned_ns: Some(9),
            outcome: Outcome::Answered(Answer::new(200, None, b"{}")),
        });
        h.push(Call {
            client: 1,
            kind: CallKind::cancel(Some("k"), None),
            invoked_ns: 6,
            returned_ns: None,
            outcome: Outcome::Lost {
                status: None,
                why: "closed after the request".into(),
            },
        });
        h.push(Call {
            client: 2,
            kind: CallKind::cancel(None, None),
            invoked_ns: 7,
            returned_ns: Some(8),
            outcome: Outcome::Answered(Answer::new(503, None, b"")),
        });
        let t = of(&h, &[2, 1], "race::x", "part");
        let got: Vec<_> = t
            .calls
            .iter()
            .map(|c| (c.number, c.client, c.tone))
            .collect();
        assert_eq!(got, [(2, 2, Tone::ServerError), (1, 1, Tone::Lost)]);
        assert!(
            t.calls[1].label.starts_with("#1 c1 cancel key=k → lost"),
            "{:?}",
            t.calls[1]
        );
        assert_eq!(of(&h, &[], "c", "t").calls.len(), 3);
        assert!(text(&h, &[0]).contains("#0 c3 get → 200"));
        assert!(svg(&h, &[], "a<b").contains("<title>a&lt;b</title>"));
    }
}
