//! Paging bounds of the list endpoints. Out-of-range values are a 400 naming the bound
//! (the spec documents the same numbers), never a silent clamp or an overflow.

/// Most items of one `GET /alerts` or `GET /commands` answer (`limit`).
pub const MAX_LIMIT: u64 = 1000;
/// `limit` when none is given.
pub const DEFAULT_LIMIT: u64 = 100;
/// Most events per page (`per_page`).
pub const MAX_PER_PAGE: u64 = 500;
/// `per_page` when none is given.
pub const DEFAULT_PER_PAGE: u64 = 50;
/// Deepest event offset (`(page - 1) * per_page`): further back, narrow with `from`/`to`.
pub const MAX_OFFSET: u64 = 100_000;

/// `limit` checked against `1..=MAX_LIMIT`.
pub fn limit(limit: Option<u64>) -> Result<u64, String> {
    let n = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&n) {
        return Err(format!("`limit` = {n}: must be 1 to {MAX_LIMIT}"));
    }
    Ok(n)
}

/// `(offset, per_page)` of `page` (from 1) and `per_page` (1 to [`MAX_PER_PAGE`]), the
/// offset at most [`MAX_OFFSET`].
pub fn page(page: Option<u64>, per_page: Option<u64>) -> Result<(u64, u64, u64), String> {
    let page = page.unwrap_or(1);
    let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
    if !(1..=MAX_PER_PAGE).contains(&per_page) {
        return Err(format!(
            "`per_page` = {per_page}: must be 1 to {MAX_PER_PAGE}"
        ));
    }
    if page == 0 {
        return Err("`page` starts at 1".to_string());
    }
    match (page - 1).checked_mul(per_page) {
        Some(offset) if offset <= MAX_OFFSET => Ok((page, per_page, offset)),
        _ => Err(format!(
            "`page` = {page} is too deep: at most {MAX_OFFSET} events are skipped; narrow the range with `from`/`to`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert_eq!(limit(None), Ok(DEFAULT_LIMIT));
        assert_eq!(limit(Some(MAX_LIMIT)), Ok(MAX_LIMIT));
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(MAX_LIMIT + 1)).is_err());
        assert!(limit(Some(u64::MAX)).is_err());
    }

    #[test]
    fn pages() {
        assert_eq!(page(None, None), Ok((1, 50, 0)));
        assert_eq!(page(Some(3), Some(2)), Ok((3, 2, 4)));
        assert_eq!(page(Some(201), Some(500)), Ok((201, 500, 100_000)));
        assert!(page(Some(202), Some(500)).is_err());
        assert!(page(Some(u64::MAX), Some(500)).is_err());
        assert!(page(Some(0), None).is_err());
        assert!(page(None, Some(0)).is_err());
        assert!(page(None, Some(501)).is_err());
    }
}
