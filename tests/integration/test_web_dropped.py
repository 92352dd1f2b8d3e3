"""The support site against a client that asks for a costly page and closes the
connection at once, over and over, inside a real `maild serve`: aiohttp runs a
handler to its end though its client left (handler_cancellation is off, so that a
post cut off still stores what it began), and each such request made its page, one
at a time, every other customer's page waiting behind them (views.Site.in_turn)."""

from __future__ import annotations

import re
import socket
import time
from urllib.parse import urlsplit

import pytest

from maild.web import views
from tests.helpers import make_mail, wait_until
from tests.integration.test_web import mail_in
from tests.webclient import link_in, request, running_site

DROPPED = 20


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    yield from running_site(tmp_path_factory.mktemp("dropped"))


@pytest.fixture(scope="module")
def costly(site):
    """The page of a ticket whose text is 8,000 lines of "password: x", each blanked
    on the page (a fifth of a second of CPU to make, each time): its link."""
    _desk, daemon, sink, base = site
    customer = "labels@client.example"
    mail_in(daemon, make_mail(sender=customer, body="password: x\n" * 8_000), sender=customer)
    [conf] = wait_until(lambda: sink.to(customer), 20)
    return link_in(conf.text, base)


def drop(url: str, times: int) -> None:
    """GET `url` `times` times, each connection closed once the request is sent, each
    from an address of its own (127.0.0.10, .11, ...): the site lets one address have
    MAX_PAGES_AT_ONCE pages inside at once, and refused the rest, and the customer at
    127.0.0.1 too, with a 429 (not what this is about: a page made for nobody)."""
    parts = urlsplit(url)
    asked = f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode()
    for n in range(times):
        where, source = (parts.hostname, parts.port), (f"127.0.0.{10 + n}", 0)
        with socket.create_connection(where, timeout=10, source_address=source) as s:
            s.sendall(asked)


def statuses(daemon, path: str, count: int = 0) -> list[int]:
    """The statuses of the access log's GETs of `path` (a masked path: /t/…), once
    it holds `count` of them (a line comes a moment after its answer)."""
    line = re.compile(rf"web GET {re.escape(path)} (\d+) ")
    assert wait_until(lambda: len(line.findall(daemon.logtext())) >= count, 60)
    return [int(s) for s in line.findall(daemon.logtext())]


def test_pages_asked_for_and_dropped_at_once_are_not_made(site, costly):
    """Twenty dropped requests for a page of a fifth of a second queued twenty pages
    ahead of the next customer's; a request whose client has gone by its turn (or
    before it queued) is answered 499, its page not made."""
    _desk, daemon, _sink, _base = site
    before = len(statuses(daemon, "/t/…"))
    started = time.monotonic()
    assert request(costly).status == 200
    alone = time.monotonic() - started
    before = len(statuses(daemon, "/t/…", before + 1))
    drop(costly, DROPPED)
    started = time.monotonic()
    assert request(costly).status == 200
    waited = time.monotonic() - started
    got = statuses(daemon, "/t/…", before + DROPPED + 1)[before:]
    assert len(got) == DROPPED + 1, got
    # made: the customer's page, and a dropped one whose turn came before its close did
    assert got.count(200) <= 3 and got.count(views.CLIENT_GONE) >= DROPPED - 2, got
    # behind twenty pages it waited twenty times as long as one
    assert waited < 8 * alone + 0.5, (waited, alone)


def test_whole_texts_asked_for_and_dropped_at_once_are_not_made(site, costly):
    _desk, daemon, _sink, _base = site
    path = urlsplit(costly).path.replace(costly.rsplit("/", 1)[1], "…") + "/text/0"
    before = len(statuses(daemon, path))
    assert request(costly + "/text/0").status == 200
    before = len(statuses(daemon, path, before + 1))
    drop(costly + "/text/0", DROPPED)
    got = statuses(daemon, path, before + DROPPED)[before:]
    assert len(got) == DROPPED and got.count(200) <= 2, got
    assert got.count(views.CLIENT_GONE) >= DROPPED - 2, got
