"""`maild fsck` looks for each closed ticket's summary row in the archive week the store
writes it to: looked for elsewhere (week 5 as "W5", the store's "W05"), fsck would
name a healthy store's rows missing and --repair would move them to a file that
`maild status` and the web list never read."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from maild.adapters.store.summaries import archive_path
from maild.fscksummaries import expected_summaries


@pytest.mark.parametrize("created", ["2026-01-05", "2026-03-02", "2026-12-28", "2027-01-01"])
def test_a_closed_tickets_row_is_looked_for_where_the_store_writes_it(created):
    ticket = {"status": "closed", "created_at": f"{created}T10:00:00+03:00"}
    check = SimpleNamespace(tickets={"1000-0001": ticket}, root=Path("/srv/maild"))
    (path,) = expected_summaries(check)  # type: ignore[arg-type]
    assert str(path) == archive_path("/srv/maild", ticket)  # type: ignore[arg-type]
