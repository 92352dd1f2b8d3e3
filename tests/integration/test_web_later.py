"""The same post sent again before the first is stored, inside a real `maild serve`.

While another process holds the store lock (a `maild backup`, `fsck --repair`,
`forget`), a post waits views.WAIT_STORED and the page says «Сообщение принято и
появится здесь через несколько секунд» (`?sent=later`); the customer goes back and
sends the same form again (the browser keeps its token). Both wait in the spool until
the lock is free. The post's Date was the time of each sending, so the second was a
different mail under the same Message-ID (maildigest): stored twice, two notices to
each staff member (audit "crashpoints2"). The holder is a real second process holding
the real lock."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest

from tests.helpers import ROOT, Desk, wait_until
from tests.integration.test_web_customer import opened, staff_close
from tests.webclient import post, request, running_site

HOLD = r"""
import sys
from maild import config
from maild.app import App
with App(config.load(sys.argv[1])).store.locked():
    print("held", flush=True)
    sys.stdin.read()
"""
STAFF = ("anna@example.com", "boris@example.com")


# how long a post waits for the pipeline before its page says «later»: shorter than
# views.WAIT_STORED (5 s; not what these tests are about), still longer than the second
# sending's delay, so that it comes while the first page waits
WAIT_STORED = 2.0  # seconds
AGAIN_AFTER = 1.1  # seconds: another Date (whole seconds) were it the time of sending


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pace = {"maild.web.views.WAIT_STORED": WAIT_STORED}
    yield from running_site(tmp_path_factory.mktemp("later"), pace=pace)


@contextmanager
def store_locked(desk: Desk) -> Iterator[None]:
    """The store lock held by another process until the block ends."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(desk.config)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        yield
    finally:
        assert holder.stdin is not None and holder.stdout is not None
        holder.stdin.close()
        holder.stdout.close()
        assert holder.wait(30) == 0


def sent_twice_while_locked(
    site, link: str, customer: str, form: str, fields: dict[str, str]
) -> None:
    """The form posted, and posted again a second later (another Date, were it the
    time of sending; the second while the first page still waits), both while the
    store is locked: each page says «later»."""
    desk, daemon, _sink, _base = site
    token = request(link).form_token()

    def send(again: bool) -> str:
        time.sleep(AGAIN_AFTER if again else 0)
        return post(f"{link}/{form}", {"form": token, **fields}).headers["location"]

    with store_locked(desk), ThreadPoolExecutor(2) as pool:
        pages = list(pool.map(send, (False, True)))
    assert all(p.endswith("?sent=later") for p in pages), pages
    assert wait_until(lambda: taken_in(daemon.logtext(), customer) == 2)


def taken_in(log: str, customer: str) -> int:
    """How many of `customer`'s posts on the site the pipeline took in (once the lock
    is free): stored, or known as a duplicate."""
    ids = set(re.findall(rf"<(web\.\w+)@\S+ .* from the site by {re.escape(customer)}", log))
    done = ("added to ticket", "duplicate of")
    return sum(
        any(i in line for i in ids) and any(d in line for d in done) for line in log.splitlines()
    )


def told_staff(sink, tid: str, words: str) -> dict[str, int]:
    """How many staff notices about `tid` quoting `words` each staff member got."""
    return {
        s: sum(f"[TID#{tid}]" in m.subject and words in m.text for m in sink.to(s)) for s in STAFF
    }


def posts_with(desk: Desk, tid: str, words: str) -> list[str]:
    messages = desk.ticket(tid)["messages"]
    said = (m for m in messages if m.get("kind") == "customer")
    return [m["message_id"] for m in said if words in (m.get("text") or "")]


def test_a_reply_sent_again_while_the_store_is_locked_is_one_message(site):
    """One reply in the ticket, one notice to each staff member, no WARNING of a
    reused Message-ID."""
    desk, daemon, sink, _base = site
    link, tid = opened(site, "ivan@a.example")
    words = "Ответ с сайта: проверил, ошибка осталась."
    sent_twice_while_locked(site, link, "ivan@a.example", "reply", {"text": words})
    assert wait_until(lambda: all(told_staff(sink, tid, words).values()))
    assert desk.flush().code == 0  # all sent: a second notice would be in the relay now
    assert len(posts_with(desk, tid, words)) == 1, desk.ticket(tid)["messages"]
    assert told_staff(sink, tid, words) == dict.fromkeys(STAFF, 1)
    assert "Message-ID reused" not in daemon.logtext()


def test_a_reopening_sent_again_while_the_store_is_locked_is_one_message(site):
    """«Открыть обращение снова» sent twice while locked: the ticket reopened by one."""
    desk, daemon, _sink, _base = site
    link, tid = opened(site, "olga@b.example")
    staff_close(site, tid, "Готово.\n#close")
    words = "Прошу открыть обращение снова"
    sent_twice_while_locked(site, link, "olga@b.example", "reopen", {"text": "Снова не работает."})
    assert wait_until(lambda: desk.ticket(tid)["status"] != "closed")
    assert desk.flush().code == 0
    assert len(posts_with(desk, tid, words)) == 1, desk.ticket(tid)["messages"]
    assert "Message-ID reused" not in daemon.logtext()
