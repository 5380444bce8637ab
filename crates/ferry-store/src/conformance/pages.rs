//! History a page at a time, as the server answers `GET /api/v1/history`.

use super::{event, ok, Fixture};

/// A page of history is the newest events first, at most `limit`, older than `before`, and
/// filtered by environment exactly as the whole history is.
pub(super) fn events_page_newest_first(f: &Fixture) -> Result<(), String> {
    for i in 0..5 {
        let env = if i % 2 == 0 { "dev" } else { "prod" };
        ok(
            f.ledger.record_event(&event(&format!("e{i}"), Some(env))),
            "record",
        )?;
    }
    let all = ok(f.ledger.events(None), "events")?;
    let page = ok(f.ledger.events_page(None, 2, None), "page")?;
    ensure!(page == all[..2], "first page is the newest two: {page:?}");
    let next = ok(
        f.ledger.events_page(None, 2, Some(page[1].seq)),
        "next page",
    )?;
    ensure!(
        next == all[2..4],
        "the next page continues before the last seen: {next:?}"
    );
    let dev = ok(f.ledger.events_page(Some("dev"), 10, None), "dev page")?;
    let dev_all = ok(f.ledger.events(Some("dev")), "dev events")?;
    ensure!(dev == dev_all && dev.len() == 3, "env filter: {dev:?}");
    let none = ok(f.ledger.events_page(None, 0, None), "empty page")?;
    ensure!(none.is_empty(), "limit 0 is empty");
    Ok(())
}
