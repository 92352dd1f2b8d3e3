"""What a form's fields become, inside a real `maild serve` with a real relay sink: a
field of megabytes costs what its cut costs, and a text arrives as it was typed."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.helpers import make_mail
from tests.integration.test_serve import wait_until
from tests.integration.test_web import mail_in
from tests.webclient import link_in, post, request, running_site

MB = 1 << 20


@pytest.fixture
def site(tmp_path):
    """A daemon of its own: what it has read before does not hide a test's peak."""
    yield from running_site(tmp_path)


def opened(site, customer: str) -> tuple[str, str]:
    """(the page's URL, the TID) of a ticket `customer` opened by mail."""
    _desk, daemon, sink, base = site
    mail_in(daemon, make_mail(sender=customer, body="Вопрос"), customer)
    [conf] = wait_until(lambda: sink.to(customer))
    link = link_in(conf.text, base)
    return link, link.rsplit("/", 1)[1].split(".")[0]


def peak_kb(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM), in kB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM")).split()[1])


def test_a_field_of_twenty_megabytes_costs_bounded_memory_and_time(site):
    """A «Задать вопрос» post with a name of 24 MB (under the body's 26 MB cap, no link
    needed) took the daemon from 64 MB to 1.2 GB and held its event loop for seconds:
    the name was filtered a character at a time, an object each, before its cut to
    100 characters. A reply's text alike. Both are cut first now."""
    desk, daemon, sink, base = site
    link, tid = opened(site, "ivan@shop-example.ru")
    waits: list[float] = []
    done = threading.Event()

    def probe() -> None:  # another visitor meanwhile: the event loop answers them
        while not done.is_set():
            started = time.monotonic()
            request(base + "/static/site.css")
            waits.append(time.monotonic() - started)
            time.sleep(0.02)

    before = peak_kb(daemon.proc.pid)
    watcher = threading.Thread(target=probe)
    watcher.start()
    try:
        headers = {"X-Forwarded-For": "192.0.2.1"}
        fields = {"email": "big@client.example", "subject": "Вопрос", "text": "Текст"}
        fields |= {"name": "я" * (10 * MB), "form": request(base + "/new").form_token()}
        asked = post(base + "/new", fields, headers=headers)  # 20 MB in UTF-8
        reply = {"form": request(link).form_token(), "text": "ж" * (10 * MB)}
        replied = post(link + "/reply", reply)
    finally:
        done.set()
        watcher.join()
    grown = (peak_kb(daemon.proc.pid) - before) // 1024
    assert grown < 200, f"the daemon's peak grew by {grown} MB"
    assert max(waits) < 1.0, f"a page waited {max(waits):.2f} s"
    assert asked.status == 200 and "Проверьте почту" in asked.text
    assert wait_until(lambda: sink.to("big@client.example"))
    assert replied.status == 303 and replied.headers["location"].endswith("?sent=reply")

    def customers() -> list:  # the site spools the reply; the worker stores it
        return [m for m in desk.ticket(tid)["messages"] if m["kind"] == "customer"]

    assert wait_until(lambda: len(customers()) == 2)
    [_, posted] = customers()
    assert posted["text"].strip() == "ж" * 100_000  # the textarea's maxlength


def test_a_text_typed_on_the_site_arrives_as_typed(site):
    """No-break and thin spaces (Word and web pages are full of them) were deleted, so
    «10 000 руб.» reached staff as «10000руб.», and so were the joiners that make one
    emoji of several: only characters str.isprintable() accepts were kept."""
    desk, _daemon, sink, _base = site
    link, tid = opened(site, "olga@shop-example.ru")
    lines = [
        "Списано 10\u00a0000\u00a0руб., т.\u00a0е. дважды.",  # no-break spaces
        "В 10\u202f000 и 5\u2009000\u2002руб.\u3000Итого",  # narrow, thin, en, ideographic
        "Семья \U0001f468\u200d\U0001f469\u200d\U0001f467, \u2764\ufe0f, "
        "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",
        "Номер\u200c заказа",  # ZWNJ: Persian words hold it
    ]
    hostile = "\x1b[31mкрасный\x1b[0m счёт\u202egpj.exe\x00"  # escapes, RTL override, NUL
    typed = "\r\n".join([*lines, hostile])
    sent = post(link + "/reply", {"form": request(link).form_token(), "text": typed})
    assert sent.status == 303 and sent.headers["location"].endswith("?sent=reply")
    expected = "\n".join([*lines, "[31mкрасный[0m счётgpj.exe"])

    def customers() -> list:  # the site spools the reply; the worker stores it
        return [m for m in desk.ticket(tid)["messages"] if m["kind"] == "customer"]

    assert wait_until(lambda: len(customers()) == 2)
    [_, posted] = customers()
    assert posted["text"].strip() == expected

    def notice():
        return [m for m in sink.to("anna@example.com") if f"[TID#{tid}]" in m.subject][1:]

    [staff] = wait_until(notice)
    assert all(line in staff.text for line in lines)
    page = request(link).text
    assert "10\u00a0000\u00a0руб." in page and "\U0001f468\u200d\U0001f469" in page
