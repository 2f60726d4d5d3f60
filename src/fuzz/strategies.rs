//! proptest strategies derived from the contract: ids around their 1–53
//! bound, headers around theirs (idempotency-key and if-match 1–64,
//! akua-context 1–53), `timeout` and `limit` in and out of range, odd
//! characters, duplicates and wrong methods. Boundary values get extra
//! weight; shrinking moves towards short, plain, valid values.

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use super::input::{
    AuthSpec, ContextSpec, DupHeader, FuzzRequest, IdSpec, IfMatchSpec, Method, Slot, Verb,
};
use super::oracle::{CONTEXT_MAX, ID_MAX, TOKEN_MAX};

/// What the strategies may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StrategyOptions {
    /// Fixtures exist (a fixture provider is available); without them only
    /// unknown ids and the list are generated.
    pub fixtures: bool,
}

/// Placeholder for the run's fixture owner id in generated query values.
pub const OWNER_PLACEHOLDER: &str = "{owner}";

/// Visible ASCII, mostly alphanumeric.
fn visible_char() -> BoxedStrategy<char> {
    let plain = prop_oneof![
        proptest::char::range('a', 'z'),
        proptest::char::range('0', '9'),
        proptest::char::range('A', 'Z'),
    ];
    let punct = proptest::sample::select(
        "-._~!$&'()*+,;=@:/?#[]%\"<>\\^`|"
            .chars()
            .collect::<Vec<_>>(),
    );
    prop_oneof![9 => plain, 1 => punct].boxed()
}

/// Lengths around a bound `max`: 0, 1, max, max+1, anything in between,
/// and well beyond.
fn length_around(max: usize) -> BoxedStrategy<usize> {
    prop_oneof![
        3 => Just(0usize),
        3 => Just(1usize),
        6 => Just(max),
        6 => Just(max + 1),
        30 => 1..=max,
        4 => (max + 1)..(max * 3),
    ]
    .boxed()
}

/// A string of a boundary-weighted length: visible ASCII, sometimes with
/// one non-ASCII character, space or tab in it (length kept), and with
/// `control` rarely a control character (the client refuses those: skipped).
fn bounded_string(max: usize, control: bool) -> BoxedStrategy<String> {
    let plain = length_around(max)
        .prop_flat_map(move |len| proptest::collection::vec(visible_char(), len))
        .boxed();
    let odd = proptest::sample::select(vec![
        'é', 'ß', 'ж', '日', '😀', '\u{a0}', '\u{200b}', ' ', '\t',
    ]);
    let controls = proptest::sample::select(vec!['\n', '\r', '\u{0}', '\u{7f}']);
    let replace = |(mut chars, at, c): (Vec<char>, usize, char)| {
        if chars.is_empty() {
            chars.push(c);
        } else {
            let i = at % chars.len();
            chars[i] = c;
        }
        chars.into_iter().collect::<String>()
    };
    let with =
        |special: BoxedStrategy<char>| (plain.clone(), any::<usize>(), special).prop_map(replace);
    if control {
        prop_oneof![
            34 => plain.clone().prop_map(|c| c.into_iter().collect::<String>()),
            6 => with(odd.boxed()),
            1 => with(controls.boxed()),
        ]
        .boxed()
    } else {
        prop_oneof![
            34 => plain.clone().prop_map(|c| c.into_iter().collect::<String>()),
            6 => with(odd.boxed()),
        ]
        .boxed()
    }
}

/// Marker in fabricated ids (the runner's rule for ids it did not create).
pub const ID_MARKER: &str = "opconform";

/// An id no fixture has: prefixed or bare, around the 53 bound, with
/// reserved, `-` and non-ASCII characters.
pub fn literal_id() -> BoxedStrategy<String> {
    let id_char = prop_oneof![
        70 => proptest::char::range('a', 'z'),
        10 => proptest::char::range('0', '9'),
        6 => Just('-'),
        4 => Just('_'),
        6 => proptest::sample::select("._~!$&'()*+,;=@:/?#[]% ".chars().collect::<Vec<_>>()),
        4 => proptest::sample::select(vec!['é', '日', '😀']),
    ];
    (any::<bool>(), length_around(ID_MAX))
        .prop_flat_map(move |(prefixed, len)| {
            let body_len = if prefixed { len.saturating_sub(3) } else { len };
            (
                Just(prefixed),
                proptest::collection::vec(id_char.clone(), body_len),
            )
        })
        .prop_map(|(prefixed, chars)| {
            // Fabricated ids carry the marker where they have room, so they
            // can never name an operation the run did not create (the
            // runner refuses fabricated ids without it).
            let body: String = if chars.len() >= ID_MARKER.len() {
                let rest: String = chars[ID_MARKER.len()..].iter().collect();
                format!("{ID_MARKER}{rest}")
            } else {
                chars.into_iter().collect()
            };
            let id = if prefixed { format!("op_{body}") } else { body };
            // `.` and `..` are dot segments a URL parser removes.
            if !id.is_empty() && id.chars().all(|c| c == '.') {
                format!("x{id}")
            } else {
                id
            }
        })
        .boxed()
}

fn raw_segment() -> BoxedStrategy<String> {
    proptest::sample::select(vec![
        "%FF",
        "op_%E2%82",
        "%zz",
        "op_%2D%2D",
        "%C3%28x",
        "op_a%00b",
    ])
    .prop_map(str::to_string)
    .boxed()
}

fn slot(options: StrategyOptions) -> BoxedStrategy<Option<Slot>> {
    if !options.fixtures {
        return Just(None).boxed();
    }
    prop_oneof![
        3 => Just(Some(Slot::Running)),
        3 => Just(Some(Slot::Succeeded)),
        2 => Just(Some(Slot::Failed)),
        2 => Just(Some(Slot::Cancelled)),
        4 => Just(None),
    ]
    .boxed()
}

fn id_spec(options: StrategyOptions) -> BoxedStrategy<IdSpec> {
    let literal_or_raw = prop_oneof![
        12 => literal_id().prop_map(IdSpec::Literal),
        1 => raw_segment().prop_map(IdSpec::RawSegment),
    ];
    (slot(options), any::<bool>(), literal_or_raw)
        .prop_map(|(slot, bare, other)| match slot {
            Some(slot) => IdSpec::Fixture { slot, bare },
            None => other,
        })
        .boxed()
}

fn timeout_value() -> BoxedStrategy<Option<String>> {
    prop_oneof![
        3 => Just(None),
        6 => (1u32..=60).prop_map(|n| Some(n.to_string())),
        2 => proptest::sample::select(vec!["0", "61", "-1", "1.5", "abc", "", "99999999999999999999999", "+5", " 5", "1e1"])
            .prop_map(|s| Some(s.to_string())),
        1 => (61u64..u64::MAX).prop_map(|n| Some(n.to_string())),
    ]
    .boxed()
}

fn list_query() -> BoxedStrategy<Vec<(String, String)>> {
    let limit = prop_oneof![
        3 => Just(None),
        5 => (1u32..=100).prop_map(|n| Some(n.to_string())),
        3 => proptest::sample::select(vec!["0", "101", "-1", "1.5", "abc", "", "1000", "99999999999999999999999"])
            .prop_map(|s| Some(s.to_string())),
    ];
    let owner = prop_oneof![
        6 => Just(Vec::new()),
        4 => Just(vec![("owner_type", "install"), ("owner_id", OWNER_PLACEHOLDER)]),
        1 => Just(vec![("owner_type", "install")]),
        1 => Just(vec![("owner_type", "robot"), ("owner_id", "x_1")]),
        1 => Just(vec![("owner_id", OWNER_PLACEHOLDER)]),
        1 => Just(vec![("owner_type", "machine"), ("owner_id", "mch_unknown")]),
    ];
    (limit, owner)
        .prop_map(|(limit, owner)| {
            let mut q: Vec<(String, String)> = Vec::new();
            if let Some(l) = limit {
                q.push(("limit".into(), l));
            }
            q.extend(
                owner
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.to_string())),
            );
            q
        })
        .boxed()
}

fn if_match() -> BoxedStrategy<Option<IfMatchSpec>> {
    prop_oneof![
        10 => Just(None),
        2 => Just(Some(IfMatchSpec::Current)),
        2 => Just(Some(IfMatchSpec::Stale)),
        1 => Just(Some(IfMatchSpec::StaleThenCurrent)),
        1 => Just(Some(IfMatchSpec::CurrentThenStale)),
        1 => Just(Some(IfMatchSpec::Star)),
        3 => bounded_string(TOKEN_MAX, true).prop_map(|s| Some(IfMatchSpec::Literal(s))),
    ]
    .boxed()
}

fn method_for(verb: Verb) -> BoxedStrategy<Method> {
    prop_oneof![
        18 => Just(verb.method()),
        1 => proptest::sample::select(vec![Method::Get, Method::Post, Method::Put, Method::Delete, Method::Patch]),
    ]
    .boxed()
}

/// Stateless requests to cancel, get, `:wait` and list.
pub fn request(options: StrategyOptions) -> BoxedStrategy<FuzzRequest> {
    let verb = prop_oneof![
        4 => Just(Verb::Cancel),
        2 => Just(Verb::Get),
        2 => Just(Verb::Wait),
        2 => Just(Verb::List),
    ];
    let auth = prop_oneof![
        46 => Just(AuthSpec::Token),
        2 => Just(AuthSpec::None),
        1 => Just(AuthSpec::Invalid),
        1 => Just(AuthSpec::Malformed),
    ];
    let context = prop_oneof![
        16 => Just(None),
        1 => Just(Some(ContextSpec::Workspace)),
        3 => bounded_string(CONTEXT_MAX, true).prop_map(|s| Some(ContextSpec::Literal(s))),
    ];
    let key = prop_oneof![
        2 => Just(None),
        3 => bounded_string(TOKEN_MAX, true).prop_map(Some),
    ];
    let dup = prop_oneof![
        30 => Just(None),
        1 => proptest::sample::select(vec![DupHeader::IdempotencyKey, DupHeader::IfMatch, DupHeader::AkuaContext]).prop_map(Some),
    ];
    let headers = (auth, context, key, if_match(), dup, any::<bool>());
    verb.prop_flat_map(move |verb| {
        (
            Just(verb),
            method_for(verb),
            id_spec(options),
            headers.clone(),
            timeout_value(),
            list_query(),
        )
    })
    .prop_map(|(verb, method, id, headers, timeout, list_q)| {
        let (auth, context, key, if_match, duplicate, colon_encoded) = headers;
        let mut req = FuzzRequest {
            verb,
            method,
            id,
            colon_encoded,
            auth,
            context,
            idempotency_key: None,
            if_match: None,
            duplicate,
            query: Vec::new(),
        };
        fix_up(&mut req, key, if_match, timeout, list_q);
        req
    })
    .boxed()
}

/// Keeps generated requests meaningful and fast: headers only where the
/// endpoint reads them, every cancel of a running fixture on a fresh one,
/// and no `:wait` that would hold on a running operation.
fn fix_up(
    req: &mut FuzzRequest,
    key: Option<String>,
    if_match: Option<IfMatchSpec>,
    timeout: Option<String>,
    list_q: Vec<(String, String)>,
) {
    match req.verb {
        Verb::Cancel => {
            req.idempotency_key = key;
            req.if_match = if_match;
            if let IdSpec::Fixture { slot, .. } = &mut req.id
                && *slot == Slot::Running
            {
                *slot = Slot::FreshRunning;
            }
        }
        Verb::Wait => {
            let valid = timeout.as_deref().is_none_or(|t| {
                t.parse::<u64>().is_ok_and(|n| (1..=60).contains(&n))
                    && t.bytes().all(|b| b.is_ascii_digit())
            });
            if let IdSpec::Fixture { slot, .. } = &mut req.id
                && !slot.is_terminal()
                && valid
            {
                *slot = Slot::Succeeded;
            }
            if let Some(t) = timeout {
                req.query.push(("timeout".into(), t));
            }
        }
        Verb::List => req.query = list_q,
        Verb::Get => {}
    }
    if req.verb != Verb::Cancel
        && matches!(
            req.duplicate,
            Some(DupHeader::IdempotencyKey | DupHeader::IfMatch)
        )
    {
        req.duplicate = None;
    }
    if req.duplicate == Some(DupHeader::AkuaContext) && req.context.is_none() {
        req.duplicate = None;
    }
    if (req.duplicate == Some(DupHeader::IdempotencyKey) && req.idempotency_key.is_none())
        || (req.duplicate == Some(DupHeader::IfMatch) && req.if_match.is_none())
    {
        req.duplicate = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

    fn runner(seed: u8) -> TestRunner {
        TestRunner::new_with_rng(
            Config::default(),
            TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
        )
    }

    fn sample(n: usize, seed: u8) -> Vec<FuzzRequest> {
        let s = request(StrategyOptions { fixtures: true });
        let mut r = runner(seed);
        (0..n)
            .map(|_| s.new_tree(&mut r).expect("tree").current())
            .collect()
    }

    #[test]
    fn same_seed_same_requests() {
        assert_eq!(sample(50, 7), sample(50, 7));
        assert_ne!(sample(50, 7), sample(50, 8));
    }

    #[test]
    fn generated_requests_cover_the_bounds() {
        let reqs = sample(3000, 1);
        let key_lens: Vec<usize> = reqs
            .iter()
            .filter_map(|r| r.idempotency_key.as_ref())
            .map(|k| k.chars().count())
            .collect();
        for want in [0, 1, 64, 65] {
            assert!(key_lens.contains(&want), "no key of length {want}");
        }
        assert!(key_lens.iter().any(|l| (49..=63).contains(l)));
        let ids: Vec<usize> = reqs
            .iter()
            .filter_map(|r| match &r.id {
                IdSpec::Literal(s) => Some(s.chars().count()),
                _ => None,
            })
            .collect();
        assert!(ids.contains(&53) && ids.contains(&54));
        assert!(
            reqs.iter()
                .any(|r| matches!(&r.id, IdSpec::Literal(s) if s.contains('-')))
        );
        for r in &reqs {
            if let IdSpec::Literal(s) = &r.id
                && s.chars().count() >= 12
            {
                assert!(s.contains(ID_MARKER), "{s}");
            }
        }
        assert!(reqs.iter().any(|r| r.method != r.verb.method()));
        assert!(
            reqs.iter()
                .any(|r| r.if_match == Some(IfMatchSpec::StaleThenCurrent))
        );
        assert!(reqs.iter().any(|r| r.query_param("limit") == Some("0")));
    }

    #[test]
    fn no_wait_holds_on_a_running_fixture_and_cancels_use_fresh_ones() {
        for r in sample(2000, 3) {
            if r.verb == Verb::Cancel {
                assert_ne!(r.slot(), Some(Slot::Running));
            }
            if r.verb == Verb::Wait && r.slot().is_some_and(|s| !s.is_terminal()) {
                let t = r
                    .query_param("timeout")
                    .expect("running waits carry a bad timeout");
                assert!(
                    !t.parse::<u64>().is_ok_and(|n| (1..=60).contains(&n))
                        || !t.bytes().all(|b| b.is_ascii_digit())
                );
            }
        }
    }

    #[test]
    fn shrinking_moves_towards_simpler_requests() {
        let s = request(StrategyOptions { fixtures: true });
        let mut r = runner(9);
        let mut tree = s.new_tree(&mut r).expect("tree");
        let mut steps = 0;
        while tree.simplify() && steps < 500 {
            steps += 1;
        }
        let simple = tree.current();
        assert_eq!(simple.auth, AuthSpec::Token);
        assert_eq!(simple.duplicate, None);
    }
}
