//! Iterating over a vector that may change underneath.

use std::iter::FusedIterator;

use crate::{Element, SecVec};

/// An iterator over copies of a [`SecVec`]'s elements, made by
/// [`SecVec::iter`]; see there for what it sees under concurrent change.
///
/// ```
/// let v = secvec::SecVec::from(vec!['a', 'b']);
/// let mut it = v.iter();
/// assert_eq!(it.next(), Some('a'));
/// assert_eq!(it.next(), Some('b'));
/// assert_eq!(it.next(), None);
/// ```
pub struct Iter<'a, T: Element> {
    vec: &'a SecVec<T>,
    /// The next index to read, or `None` once an index was past the end.
    next: Option<usize>,
}

impl<'a, T: Element> Iter<'a, T> {
    pub(crate) fn new(vec: &'a SecVec<T>) -> Self {
        Iter { vec, next: Some(0) }
    }
}

impl<T: Element> Iterator for Iter<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        let index = self.next?;
        let item = self.vec.get(index);
        // Stop for good at the first miss, even if the vector grows again.
        self.next = item.is_some().then_some(index + 1);
        item
    }
}

impl<T: Element> FusedIterator for Iter<'_, T> {}

impl<T: Element> std::fmt::Debug for Iter<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Iter").field("next", &self.next).finish()
    }
}

impl<'a, T: Element> IntoIterator for &'a SecVec<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;

    /// ```
    /// let v = secvec::SecVec::from(vec![1, 2]);
    /// let mut sum = 0;
    /// for x in &v {
    ///     sum += x;
    /// }
    /// assert_eq!(sum, 3);
    /// ```
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}
