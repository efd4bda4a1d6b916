//! The standard traits a collection is expected to implement.

use std::fmt;

use crate::{Element, SecVec};

impl<T: Element> Default for SecVec<T> {
    /// An empty vector, like [`SecVec::new`].
    ///
    /// ```
    /// let v: secvec::SecVec<u8> = Default::default();
    /// assert!(v.is_empty());
    /// ```
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Element + fmt::Debug> fmt::Debug for SecVec<T> {
    /// Formats the elements like a slice, read with [`SecVec::iter`].
    ///
    /// ```
    /// let v = secvec::SecVec::from(vec![1, 2]);
    /// assert_eq!(format!("{v:?}"), "[1, 2]");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: Element> Extend<T> for SecVec<T> {
    /// Pushes every item, in order, reserving room for the iterator's lower
    /// size bound first.
    ///
    /// ```
    /// let mut v = secvec::SecVec::from(vec![1]);
    /// v.extend([2, 3]);
    /// assert_eq!(v.len(), 3);
    /// ```
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        let iter = iter.into_iter();
        self.reserve(iter.size_hint().0);
        for item in iter {
            self.push(item);
        }
    }
}

impl<T: Element> FromIterator<T> for SecVec<T> {
    /// ```
    /// let v: secvec::SecVec<u32> = (1..=3).collect();
    /// assert_eq!(v.get(2), Some(3));
    /// ```
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut v = SecVec::new();
        v.extend(iter);
        v
    }
}

impl<T: Element> From<Vec<T>> for SecVec<T> {
    /// ```
    /// let v = secvec::SecVec::from(vec![5_i64, 6]);
    /// assert_eq!(v.len(), 2);
    /// ```
    fn from(vec: Vec<T>) -> Self {
        vec.into_iter().collect()
    }
}
