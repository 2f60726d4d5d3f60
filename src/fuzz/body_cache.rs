//! Responses already judged clean, so a byte-identical response is not
//! parsed, schema-validated and run through every body invariant again.
//!
//! The body checks are pure functions of the endpoint, the mode, the
//! request method and URL, the status, the response headers and the body
//! bytes; the key is a 128-bit hash of all of them (every header except
//! `date`, which changes each second and no check reads), with two
//! independently, randomly keyed aHashers (keyed per run, built to resist
//! collisions crafted without the keys), so neither an accidental nor a
//! crafted collision can hide a violation. List items are cached on their
//! own (see `page`), under keys of another domain. Only clean results are
//! cached; a failing response is always judged in full.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use super::recent::Recent;
use std::sync::Mutex;

use crate::contract::{Endpoint, Mode};

/// Keys kept per generation; two generations are kept (bounded memory,
/// recently seen keys survive a rollover).
const GENERATION: usize = 16 * 1024;

/// The set of clean responses, and of clean list items with what
/// page-level checks read of them.
#[derive(Debug)]
pub struct BodyCache {
    seen: Recent,
    items: Mutex<(
        HashMap<u128, serde_json::Value>,
        HashMap<u128, serde_json::Value>,
    )>,
}

/// Everything the body checks read of one exchange.
#[derive(Debug, Clone, Copy)]
pub struct Judged<'a> {
    /// The endpoint the request was aimed at.
    pub endpoint: Endpoint,
    /// Lenient or strict.
    pub mode: Mode,
    /// Request method.
    pub method: &'a str,
    /// Request URL.
    pub url: &'a str,
    /// Response status.
    pub status: u16,
    /// Response headers.
    pub headers: &'a [(String, String)],
    /// Response body.
    pub body: &'a [u8],
}

impl Judged<'_> {
    fn feed(&self, h: &mut impl Hasher) {
        Domain::Exchange.hash(h);
        std::mem::discriminant(&self.endpoint).hash(h);
        std::mem::discriminant(&self.mode).hash(h);
        self.method.hash(h);
        self.url.hash(h);
        self.status.hash(h);
        for (k, v) in self.headers {
            if !k.eq_ignore_ascii_case("date") {
                k.hash(h);
                v.hash(h);
            }
        }
        self.body.hash(h);
    }
}

/// What a key is the key of.
#[derive(Hash)]
enum Domain {
    Exchange,
    ListItem,
}

impl BodyCache {
    /// An empty cache with fresh random keys.
    pub fn new() -> BodyCache {
        BodyCache {
            seen: Recent::new(GENERATION),
            items: Mutex::default(),
        }
    }

    /// The key of one exchange.
    pub fn key(&self, judged: &Judged<'_>) -> u128 {
        self.seen.key(|mut h| judged.feed(&mut h))
    }

    /// The key of one list item's bytes (items are judged without their
    /// exchange: no Operation check on a list item reads it).
    pub fn item_key(&self, mode: Mode, ignore: &[&str], item: &str) -> u128 {
        self.seen.key(|mut h| {
            Domain::ListItem.hash(&mut h);
            std::mem::discriminant(&mode).hash(&mut h);
            ignore.hash(&mut h);
            item.hash(&mut h);
        })
    }

    /// True when an exchange with this key was judged clean.
    pub fn is_clean(&self, key: u128) -> bool {
        self.seen.contains(key)
    }

    /// The skeleton stored with a clean list item, if this key is one.
    pub fn clean_item(&self, key: u128) -> Option<serde_json::Value> {
        let items = self.items.lock().unwrap_or_else(|p| p.into_inner());
        items.0.get(&key).or_else(|| items.1.get(&key)).cloned()
    }

    /// Remembers a clean list item and its skeleton.
    pub fn mark_item_clean(&self, key: u128, skeleton: serde_json::Value) {
        let mut items = self.items.lock().unwrap_or_else(|p| p.into_inner());
        if items.0.len() >= GENERATION {
            items.1 = std::mem::take(&mut items.0);
        }
        items.0.insert(key, skeleton);
    }

    /// Remembers a clean exchange.
    pub fn mark_clean(&self, key: u128) {
        self.seen.insert(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged<'a>(url: &'a str, headers: &'a [(String, String)], body: &'a [u8]) -> Judged<'a> {
        Judged {
            endpoint: Endpoint::Get,
            mode: Mode::Lenient,
            method: "GET",
            url,
            status: 200,
            headers,
            body,
        }
    }

    #[test]
    fn keys_cover_what_checks_read_but_not_the_date() {
        let c = BodyCache::new();
        let h1 = vec![
            ("etag".to_string(), "\"a\"".to_string()),
            ("date".to_string(), "Mon".to_string()),
        ];
        let h2 = vec![
            ("etag".to_string(), "\"a\"".to_string()),
            ("date".to_string(), "Tue".to_string()),
        ];
        let h3 = vec![("etag".to_string(), "\"b\"".to_string())];
        let k = c.key(&judged("u", &h1, b"{}"));
        assert_eq!(k, c.key(&judged("u", &h2, b"{}")));
        assert_ne!(k, c.key(&judged("v", &h1, b"{}")));
        assert_ne!(k, c.key(&judged("u", &h1, b"{ }")));
        assert_ne!(k, c.key(&judged("u", &h3, b"{}")));
        let strict = Judged {
            mode: Mode::Strict,
            ..judged("u", &h1, b"{}")
        };
        assert_ne!(k, c.key(&strict));
        assert!(!c.is_clean(k));
        c.mark_clean(k);
        assert!(c.is_clean(k));
    }

    #[test]
    fn memory_is_bounded_to_two_generations() {
        let c = BodyCache::new();
        for i in 0..(3 * GENERATION as u128) {
            c.mark_clean(i);
        }
        assert!(c.seen.len() <= 2 * GENERATION);
        assert!(c.is_clean(3 * GENERATION as u128 - 1));
        assert!(!c.is_clean(0));
    }
}
