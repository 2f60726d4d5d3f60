//! A bounded set of recently seen values, as 128-bit hashes under two
//! independent random keys (aHash), kept in two generations: when the
//! current generation is full it becomes the previous one and the oldest is
//! dropped. Memory stays bounded however long a session runs, and a value
//! seen within the last `generation` insertions is always found.

use std::collections::HashSet;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Mutex;

use ahash::RandomState;

/// See the module docs.
#[derive(Debug)]
pub struct Recent {
    generation: usize,
    hashers: (RandomState, RandomState),
    sets: Mutex<(HashSet<u128>, HashSet<u128>)>,
}

impl Recent {
    /// A set that keeps at least the last `generation` values.
    pub fn new(generation: usize) -> Recent {
        Recent {
            generation: generation.max(1),
            hashers: (RandomState::new(), RandomState::new()),
            sets: Mutex::new((HashSet::new(), HashSet::new())),
        }
    }

    /// The 128-bit key of whatever `feed` hashes.
    pub fn key(&self, feed: impl Fn(&mut dyn Hasher)) -> u128 {
        let mut a = self.hashers.0.build_hasher();
        let mut b = self.hashers.1.build_hasher();
        feed(&mut a);
        feed(&mut b);
        (u128::from(a.finish()) << 64) | u128::from(b.finish())
    }

    /// The key of one hashable value.
    pub fn key_of(&self, value: &(impl Hash + ?Sized)) -> u128 {
        self.key(|mut h| value.hash(&mut h))
    }

    /// True when `key` is in the set.
    pub fn contains(&self, key: u128) -> bool {
        let sets = self.sets.lock().unwrap_or_else(|p| p.into_inner());
        sets.0.contains(&key) || sets.1.contains(&key)
    }

    /// Adds `key`; true when it was there already.
    pub fn insert(&self, key: u128) -> bool {
        let mut sets = self.sets.lock().unwrap_or_else(|p| p.into_inner());
        if sets.0.contains(&key) || sets.1.contains(&key) {
            return true;
        }
        if sets.0.len() >= self.generation {
            sets.1 = std::mem::take(&mut sets.0);
        }
        sets.0.insert(key);
        false
    }

    /// Values held now (at most two generations).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        let sets = self.sets.lock().unwrap_or_else(|p| p.into_inner());
        sets.0.len() + sets.1.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_values_are_found_and_memory_is_bounded() {
        let r = Recent::new(100);
        assert_eq!(r.len(), 0);
        assert!(!r.insert(r.key_of("k")));
        assert!(r.insert(r.key_of("k")));
        assert!(r.contains(r.key_of("k")));
        assert!(!r.contains(r.key_of("other")));
        for i in 0..1000u32 {
            r.insert(r.key_of(&i));
        }
        assert!(r.len() <= 200);
        // The last 100 are always there; the first ones are gone.
        assert!((900..1000u32).all(|i| r.contains(r.key_of(&i))));
        assert!(!r.contains(r.key_of(&0u32)));
    }

    #[test]
    fn keys_differ_between_sets() {
        let (a, b) = (Recent::new(1), Recent::new(1));
        assert_ne!(a.key_of("k"), b.key_of("k"));
    }
}
