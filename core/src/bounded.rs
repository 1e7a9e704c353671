//! A set that forgets its oldest members past a fixed size: bounded memory
//! for ids remembered "recently" (webhook events, completed or adopted checks).

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

#[derive(Debug)]
pub(crate) struct BoundedSet {
    limit: usize,
    /// Each member once in memory, shared by the set and the order.
    members: HashSet<Arc<str>>,
    order: VecDeque<Arc<str>>,
}

impl BoundedSet {
    pub fn new(limit: usize) -> Self {
        Self { limit, members: HashSet::new(), order: VecDeque::new() }
    }

    /// Adds a member; false if it was there already.
    pub fn insert(&mut self, member: &str) -> bool {
        if self.members.contains(member) {
            return false;
        }
        if self.order.len() >= self.limit {
            if let Some(oldest) = self.order.pop_front() {
                self.members.remove(&*oldest);
            }
        }
        let member: Arc<str> = Arc::from(member);
        self.members.insert(member.clone());
        self.order.push_back(member);
        true
    }

    pub fn contains(&self, member: &str) -> bool {
        self.members.contains(member)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forgets_the_oldest_past_its_limit() {
        let mut set = BoundedSet::new(2);
        assert!(set.insert("a") && set.insert("b") && !set.insert("a"));
        assert!(set.insert("c"));
        assert!(!set.contains("a") && set.contains("b") && set.contains("c"));
    }
}
