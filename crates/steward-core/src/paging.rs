//! One paging convention for every list, pages and API alike: `page` counts from 1, `size` is
//! how many items a page holds (each list has its own default, at most [`MAX_SIZE`]); a list
//! answers its items of that page, the `total` across all pages and the number of `pages`
//! (at least 1). A page number past the last answers the last page (its `page` says which),
//! as the list pages do.

use serde::{Deserialize, Serialize};

use crate::{CoreResult, FieldErrors};

/// The largest page a list answers.
pub const MAX_SIZE: i64 = 500;

/// Which page of a list, checked: `page` at least 1, `size` between 1 and [`MAX_SIZE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: i64,
    pub size: i64,
}

impl Paging {
    /// The page asked for (the first when absent) of `size` items (`default` when absent).
    /// Out of range: 422 with the field named.
    pub fn new(page: Option<i64>, size: Option<i64>, default: i64) -> CoreResult<Paging> {
        let mut e = FieldErrors::default();
        let page = page.unwrap_or(1);
        let size = size.unwrap_or(default);
        if page < 1 {
            e.add("page", "The page number must be 1 or more");
        }
        if !(1..=MAX_SIZE).contains(&size) {
            e.add(
                "size",
                format!("The page size must be between 1 and {MAX_SIZE}"),
            );
        }
        e.into_result()?;
        Ok(Paging { page, size })
    }

    /// As [`Paging::new`], for pages, which never refuse: out-of-range values become the
    /// nearest allowed ones.
    pub fn lenient(page: Option<i64>, size: Option<i64>, default: i64) -> Paging {
        Paging {
            page: page.unwrap_or(1).max(1),
            size: size.unwrap_or(default).clamp(1, MAX_SIZE),
        }
    }

    /// Rows to skip in SQL (`OFFSET`), saturating for absurd page numbers.
    pub fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.size)
    }

    /// How many pages `total` items fill (at least 1).
    pub fn pages(&self, total: i64) -> i64 {
        ((total + self.size - 1) / self.size).max(1)
    }

    /// The same page, or the last one when it is past the last of `total` items.
    pub fn at_most(&self, total: i64) -> Paging {
        Paging {
            page: self.page.min(self.pages(total)),
            size: self.size,
        }
    }

    /// One page of a list already in memory.
    pub fn page_of<T>(&self, all: Vec<T>) -> Paged<T> {
        let total = all.len() as i64;
        let this = self.at_most(total);
        let skip = usize::try_from(this.offset()).unwrap_or(usize::MAX);
        let items = all
            .into_iter()
            .skip(skip)
            .take(this.size as usize)
            .collect();
        this.paged(items, total)
    }

    /// A page's items (of this page, already [`Paging::at_most`] the last) with the total.
    pub fn paged<T>(&self, items: Vec<T>, total: i64) -> Paged<T> {
        Paged {
            items,
            total,
            page: self.page,
            size: self.size,
            pages: self.pages(total),
        }
    }
}

/// One page of a list.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Paged<T> {
    /// This page's items.
    pub items: Vec<T>,
    /// How many items the whole list holds.
    pub total: i64,
    /// This page's number, from 1 (the last page's when a later one was asked for).
    pub page: i64,
    /// How many items a page holds.
    pub size: i64,
    /// How many pages the list fills (at least 1).
    pub pages: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_count_and_slice() {
        let p = Paging::new(Some(3), Some(2), 25).unwrap();
        let page = p.page_of((1..=5).collect::<Vec<_>>());
        assert_eq!(page.items, vec![5]);
        assert_eq!((page.total, page.pages, page.size), (5, 3, 2));
        let past = Paging::new(Some(9), Some(2), 25)
            .unwrap()
            .page_of(vec![1, 2, 3]);
        assert_eq!(past.items, vec![3]);
        assert_eq!((past.total, past.pages, past.page), (3, 2, 2));
        assert_eq!(
            Paging::new(None, None, 25)
                .unwrap()
                .page_of(Vec::<i32>::new())
                .pages,
            1
        );
    }

    #[test]
    fn out_of_range_is_refused_or_clamped() {
        assert!(Paging::new(Some(0), None, 25).is_err());
        assert!(Paging::new(None, Some(0), 25).is_err());
        assert!(Paging::new(None, Some(MAX_SIZE + 1), 25).is_err());
        assert_eq!(
            Paging::lenient(Some(-4), Some(10_000), 25),
            Paging {
                page: 1,
                size: MAX_SIZE
            }
        );
        assert_eq!(
            Paging::new(Some(i64::MAX), None, 25).unwrap().offset(),
            i64::MAX
        );
    }
}
