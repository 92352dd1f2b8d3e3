"""maild.web.views: the site's handlers, where a daemon is not needed to see them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp.test_utils import make_mocked_request

from maild.web import views
from maild.web.visitors import RateLimit


def _site(**attributes: Any) -> views.Site:
    """A Site holding only what the handler under test reads."""
    site = object.__new__(views.Site)
    vars(site).update(attributes)
    return site


def test_a_store_that_fails_to_read_a_link_s_ticket_counts_no_wrong_link():
    """A link whose ticket the store failed to read (a 503 page) is not a wrong link:
    counted as one, a customer reloading through a store's trouble was refused their
    own right link for an hour (MAX_BAD_LINKS_PER_HOUR) once it was back."""

    def failing(_tid):
        raise OSError("disk")

    site = _site(
        bad_links=RateLimit(1, max_keys=10),
        app=SimpleNamespace(store=SimpleNamespace(load=failing)),
    )
    request = make_mocked_request("GET", "/t/x")

    async def twice() -> None:
        for _ in range(2):
            with pytest.raises(OSError):
                await site.load_linked(request, "T-1")

    asyncio.run(twice())  # a wrong link counted, the second read was refused (429)


def test_a_ticket_merged_into_itself_names_no_ticket_the_talk_goes_on_in():
    """A ticket whose #merge chain ends at itself (a damaged record merged into its own
    TID) has nowhere else to go: its page said «merged into» its own TID, a link to
    the page already open. It says nothing of a merge."""
    store = SimpleNamespace(merged_into=lambda tid: "1111-1111")
    now = datetime(2026, 12, 1, tzinfo=UTC)
    site = _site(
        app=SimpleNamespace(store=store, now=lambda: now),
        key=b"k" * 32,
        prefix="",
        cfg=SimpleNamespace(link_days=30),
    )
    ticket = {"tid": "1111-1111", "merged_into": "1111-1111"}
    assert asyncio.run(site.onward(ticket, "ivan@shop-example.ru")) is None
    ticket = {"tid": "2222-2222", "merged_into": "1111-1111"}  # merged into another
    assert asyncio.run(site.onward(ticket, "ivan@shop-example.ru"))["tid"] == "1111-1111"
