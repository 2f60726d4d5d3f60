//! proptest strategies derived from the contract: ids around their 1–53
//! bound, headers around theirs (idempotency-key and if-match 1–64,
//! akua-context 1–53), `timeout` and `limit` in and out of range, odd
//! characters, duplicates and wrong methods. Boundary values get extra
//! weight; shrinking moves towards short, plain, valid values.

use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, ValueTree};

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
    /// The target offers the list endpoint (`GET /operations`); without it
    /// no list request is generated.
    pub list: bool,
}

/// Placeholder for the run's fixture owner id in generated query values.
pub const OWNER_PLACEHOLDER: &str = "{owner}";

/// A char drawn from weighted groups (each group's weight is shared evenly
/// by its chars). Its value tree is two chars and a state, instead of nested
/// unions per character, which dominated generation time; it shrinks in one
/// step to the first char of the first group (the simplest), or stays.
#[derive(Debug, Clone)]
struct WeightedChar {
    table: std::sync::Arc<(Vec<char>, Vec<u32>)>,
}

impl WeightedChar {
    /// Per-char weights are scaled so groups keep their relative weight.
    fn new(groups: &[(&[char], u32)]) -> WeightedChar {
        const SCALE: u32 = 10_000;
        let mut chars = Vec::new();
        let mut ends = Vec::new();
        let mut total = 0u32;
        for (group, weight) in groups {
            let per = (weight * SCALE / group.len().max(1) as u32).max(1);
            for c in *group {
                total += per;
                chars.push(*c);
                ends.push(total);
            }
        }
        WeightedChar {
            table: std::sync::Arc::new((chars, ends)),
        }
    }
}

impl Strategy for WeightedChar {
    type Tree = CharTree;
    type Value = char;

    fn new_tree(
        &self,
        runner: &mut proptest::test_runner::TestRunner,
    ) -> proptest::strategy::NewTree<Self> {
        let (chars, ends) = &*self.table;
        let total = ends.last().copied().unwrap_or(1);
        let x = (0..total).new_tree(runner)?.current();
        let i = ends.partition_point(|&e| e <= x).min(chars.len() - 1);
        Ok(CharTree {
            current: chars[i],
            original: chars[i],
            simplest: chars[0],
            tried: false,
        })
    }
}

/// The value tree of [`WeightedChar`].
#[derive(Debug, Clone, Copy)]
struct CharTree {
    current: char,
    original: char,
    simplest: char,
    tried: bool,
}

impl ValueTree for CharTree {
    type Value = char;

    fn current(&self) -> char {
        self.current
    }

    fn simplify(&mut self) -> bool {
        if self.tried || self.current == self.simplest {
            return false;
        }
        self.tried = true;
        self.current = self.simplest;
        true
    }

    fn complicate(&mut self) -> bool {
        if self.current == self.original {
            return false;
        }
        self.current = self.original;
        true
    }
}

fn range(from: char, to: char) -> Vec<char> {
    (from..=to).collect()
}

/// Visible ASCII, mostly alphanumeric: 9 in 10 from a-z, 0-9, A-Z (a third
/// each), else punctuation.
fn visible_char() -> WeightedChar {
    let punct: Vec<char> = "-._~!$&'()*+,;=@:/?#[]%\"<>\\^`|".chars().collect();
    WeightedChar::new(&[
        (&range('a', 'z'), 3),
        (&range('0', '9'), 3),
        (&range('A', 'Z'), 3),
        (&punct, 1),
    ])
}

/// Strings of `element`s whose length is boundary-weighted around `max`:
/// 0, 1, max, max+1, anything in between, and well beyond (weights 3, 3,
/// 6, 6, 30, 4). A flat-map on a length would clone a test runner per
/// string; this draws the length and the chars directly.
fn chars_around(max: usize, element: WeightedChar) -> CharsAround {
    CharsAround { max, element }
}

/// The strategy of [`chars_around`].
#[derive(Debug, Clone)]
struct CharsAround {
    max: usize,
    element: WeightedChar,
}

impl CharsAround {
    fn draw(runner: &mut proptest::test_runner::TestRunner, lo: usize, hi: usize) -> usize {
        match (lo..=hi).new_tree(runner) {
            Ok(t) => t.current(),
            Err(_) => lo,
        }
    }
}

impl Strategy for CharsAround {
    type Tree = CharsTree;
    type Value = Vec<char>;

    fn new_tree(
        &self,
        runner: &mut proptest::test_runner::TestRunner,
    ) -> proptest::strategy::NewTree<Self> {
        let max = self.max;
        let len = match Self::draw(runner, 0, 51) {
            0..=2 => 0,
            3..=5 => 1,
            6..=11 => max,
            12..=17 => max + 1,
            18..=47 => Self::draw(runner, 1, max),
            _ => Self::draw(runner, max + 1, max * 3 - 1),
        };
        let elements = (0..len)
            .map(|_| self.element.new_tree(runner))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CharsTree {
            included: vec![true; elements.len()],
            elements,
            next: Step::Delete(0),
            prev: None,
        })
    }
}

/// Where [`CharsTree`] shrinks next.
#[derive(Debug, Clone, Copy)]
enum Step {
    Delete(usize),
    Shrink(usize),
}

/// A string's value tree: shrinks like proptest's vectors (delete chars one
/// at a time, then simplify each remaining char), down to the empty string.
#[derive(Debug, Clone)]
struct CharsTree {
    elements: Vec<CharTree>,
    included: Vec<bool>,
    next: Step,
    prev: Option<Step>,
}

impl ValueTree for CharsTree {
    type Value = Vec<char>;

    fn current(&self) -> Vec<char> {
        self.elements
            .iter()
            .zip(&self.included)
            .filter(|(_, keep)| **keep)
            .map(|(e, _)| e.current())
            .collect()
    }

    fn simplify(&mut self) -> bool {
        if let Step::Delete(i) = self.next {
            if i < self.elements.len() {
                self.included[i] = false;
                self.prev = Some(Step::Delete(i));
                self.next = Step::Delete(i + 1);
                return true;
            }
            self.next = Step::Shrink(0);
        }
        while let Step::Shrink(i) = self.next {
            if i >= self.elements.len() {
                return false;
            }
            if self.included[i] && self.elements[i].simplify() {
                self.prev = Some(Step::Shrink(i));
                return true;
            }
            self.next = Step::Shrink(i + 1);
        }
        false
    }

    fn complicate(&mut self) -> bool {
        match self.prev {
            None => false,
            Some(Step::Delete(i)) => {
                self.included[i] = true;
                self.prev = None;
                true
            }
            Some(Step::Shrink(i)) => {
                if self.elements[i].complicate() {
                    true
                } else {
                    self.prev = None;
                    false
                }
            }
        }
    }
}

/// A string of a boundary-weighted length: visible ASCII, sometimes with
/// one non-ASCII character, space or tab in it (length kept), and with
/// `control` rarely a control character (the client refuses those: skipped).
fn bounded_string(max: usize, control: bool) -> BoxedStrategy<String> {
    let plain = chars_around(max, visible_char());
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
    let reserved: Vec<char> = "._~!$&'()*+,;=@:/?#[]% ".chars().collect();
    let id_char = WeightedChar::new(&[
        (&range('a', 'z'), 70),
        (&range('0', '9'), 10),
        (&['-'], 6),
        (&['_'], 4),
        (&reserved, 6),
        (&['é', '日', '😀'], 4),
    ]);
    (any::<bool>(), chars_around(ID_MAX, id_char))
        .prop_map(|(prefixed, mut chars)| {
            // The whole id (prefix included) has the generated length.
            if prefixed {
                chars.truncate(chars.len().saturating_sub(3));
            }
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
    // Each carries the marker, so the cancel guard lets them through.
    proptest::sample::select(vec![
        "opconform%FF",
        "op_opconform%E2%82",
        "opconform%zz",
        "op_opconform%2D%2D",
        "opconform%C3%28x",
        "op_opconform%00b",
    ])
    .prop_map(str::to_string)
    .boxed()
}

/// The id of a request: a fixture slot (with fixtures), else a literal or
/// raw segment. A union, so only the chosen kind is generated.
fn id_spec(options: StrategyOptions) -> BoxedStrategy<IdSpec> {
    let other = prop_oneof![
        12 => literal_id().prop_map(IdSpec::Literal),
        1 => raw_segment().prop_map(IdSpec::RawSegment),
    ];
    if !options.fixtures {
        return other.boxed();
    }
    let fixture = |slot: Slot| any::<bool>().prop_map(move |bare| IdSpec::Fixture { slot, bare });
    prop_oneof![
        3 => fixture(Slot::Running),
        3 => fixture(Slot::Succeeded),
        2 => fixture(Slot::Failed),
        2 => fixture(Slot::Cancelled),
        4 => other,
    ]
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

/// Headers every endpoint reads: auth, `akua-context`, and a duplicated
/// header (only `akua-context` can be duplicated outside cancel).
#[derive(Debug, Clone)]
struct Common {
    auth: AuthSpec,
    context: Option<ContextSpec>,
    duplicate: Option<DupHeader>,
}

fn common(verb: Verb) -> impl Strategy<Value = Common> + Clone {
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
    let dups = if verb == Verb::Cancel {
        vec![
            DupHeader::IdempotencyKey,
            DupHeader::IfMatch,
            DupHeader::AkuaContext,
        ]
    } else {
        // The others are dropped outside cancel anyway (see `fix_up`);
        // keep the same 1-in-31 × 1-in-3 chance for this one.
        vec![DupHeader::AkuaContext]
    };
    let dup_weight = if verb == Verb::Cancel { 1 } else { 3 };
    let dup = prop_oneof![
        30 * dup_weight => Just(None),
        1 => proptest::sample::select(dups).prop_map(Some),
    ];
    (auth, context, dup).prop_map(|(auth, context, duplicate)| Common {
        auth,
        context,
        duplicate,
    })
}

fn assemble(verb: Verb, method: Method, id: IdSpec, colon_encoded: bool, c: Common) -> FuzzRequest {
    FuzzRequest {
        verb,
        method,
        id,
        colon_encoded,
        auth: c.auth,
        context: c.context,
        idempotency_key: None,
        if_match: None,
        duplicate: c.duplicate,
        query: Vec::new(),
    }
}

/// Stateless requests to cancel, get, `:wait` and list. Each endpoint
/// generates only the parts it sends (a union: only the chosen endpoint's
/// strategy runs), which keeps generation cheap.
pub fn request(options: StrategyOptions) -> BoxedStrategy<FuzzRequest> {
    let key = prop_oneof![
        2 => Just(None),
        3 => bounded_string(TOKEN_MAX, true).prop_map(Some),
    ];
    let cancel = (
        method_for(Verb::Cancel),
        id_spec(options),
        any::<bool>(),
        common(Verb::Cancel).boxed(),
        key.boxed(),
        if_match(),
    )
        .prop_map(|(method, id, colon, c, key, if_match)| {
            let mut req = assemble(Verb::Cancel, method, id, colon, c);
            fix_up(&mut req, key, if_match, None, Vec::new());
            req
        });
    let get = (
        method_for(Verb::Get),
        id_spec(options),
        common(Verb::Get).boxed(),
    )
        .prop_map(|(method, id, c)| {
            let mut req = assemble(Verb::Get, method, id, false, c);
            fix_up(&mut req, None, None, None, Vec::new());
            req
        });
    let wait = (
        method_for(Verb::Wait),
        id_spec(options),
        any::<bool>(),
        common(Verb::Wait).boxed(),
        timeout_value(),
    )
        .prop_map(|(method, id, colon, c, timeout)| {
            let mut req = assemble(Verb::Wait, method, id, colon, c);
            fix_up(&mut req, None, None, timeout, Vec::new());
            req
        });
    let list = (
        method_for(Verb::List),
        common(Verb::List).boxed(),
        list_query(),
    )
        .prop_map(|(method, c, query)| {
            let id = IdSpec::Fixture {
                slot: Slot::Succeeded,
                bare: false,
            };
            let mut req = assemble(Verb::List, method, id, false, c);
            fix_up(&mut req, None, None, None, query);
            req
        });
    // Each alternative boxed: the union's value tree then holds four
    // pointers instead of four inline trees, which generation spent its
    // time copying.
    let mut verbs = vec![(4, cancel.boxed()), (2, get.boxed()), (2, wait.boxed())];
    if options.list {
        verbs.push((2, list.boxed()));
    }
    proptest::strategy::Union::new_weighted(verbs).boxed()
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
        let s = request(StrategyOptions {
            fixtures: true,
            list: true,
        });
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
        let s = request(StrategyOptions {
            fixtures: true,
            list: true,
        });
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

    #[test]
    fn without_the_list_endpoint_no_list_request_is_generated() {
        let mut r = runner(3);
        let with = request(StrategyOptions {
            fixtures: true,
            list: true,
        });
        let without = request(StrategyOptions {
            fixtures: true,
            list: false,
        });
        let lists = |s: &BoxedStrategy<FuzzRequest>, r: &mut TestRunner| {
            (0..500)
                .filter(|_| s.new_tree(r).expect("tree").current().verb == Verb::List)
                .count()
        };
        assert!(lists(&with, &mut r) > 20);
        assert_eq!(lists(&without, &mut r), 0);
        let seq = crate::fuzz::model::sequence(10, false);
        for _ in 0..200 {
            let actions = seq.new_tree(&mut r).expect("tree").current();
            assert!(
                !actions
                    .iter()
                    .any(|a| matches!(a, crate::fuzz::model::Action::List))
            );
        }
    }
}
