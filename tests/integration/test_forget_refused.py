"""`maild forget` and a file maild refused: its name goes from the refusal's reason as
well as from the file name. The reason «Файл «Паспорт Петрова Петра.bmp» назван как
BMP…» stayed, in `ticket show` and on the ticket's page of the site. End to end
through `maild ingest`, `maild forget` and the site of a real `maild serve`."""

from __future__ import annotations

import pytest

from tests.helpers import AUTHSERV, QUICK_OUTBOX, dkim_pass, make_mail
from tests.integration.test_serve import wait_until
from tests.webclient import link_in, request, running_site

FILE = "Паспорт Петрова Петра.bmp"
NOT_BMP = b"BM" + b"\0" * 60  # named BMP, no bitmap: refused, the name in the reason
TRUSTED = {"authserv_id": AUTHSERV}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    # its MTA's DKIM verdicts count: a first mail so proven adds whom it copies
    # mail of `maild ingest` (another process) goes at the daemon's next outbox pass
    root = tmp_path_factory.mktemp("forget-refused")
    yield from running_site(root, pace=QUICK_OUTBOX, support=TRUSTED)


def _attachments(ticket: dict) -> list[dict]:
    return [a for m in ticket["messages"] for a in m.get("attachments") or []]


def test_forget_erases_the_refused_files_name_from_its_reason(site) -> None:
    desk, _daemon, _sink, _base = site
    raw = make_mail(
        sender="Пётр <petr@client.example>",
        body="Скан во вложении",
        attachments=[(FILE, "image/bmp", NOT_BMP), ("Паспорт.exe", "application/x-foo", b"MZ")],
    )
    tid = desk.ingest_tid(raw)
    assert any(FILE in (a["reason"] or "") for a in _attachments(desk.ticket(tid)))
    r = desk.run("forget", "petr@client.example")
    assert r.code == 0, r.err
    shown = desk.run("ticket", "show", tid, "--json").out
    assert "Паспорт" not in shown
    assert [(a["filename"], a["reason"]) for a in _attachments(desk.ticket(tid))] == [
        ("[удалено по запросу]", "[удалено по запросу]")
    ] * 2


def test_the_page_of_anothers_ticket_no_longer_names_the_erased_persons_file(site) -> None:
    """Petr writes into Olga's ticket (he was in Cc) with a file maild refuses; once
    Petr is erased, Olga's page shows his message erased, the reason too."""
    desk, _daemon, sink, base = site
    opened = make_mail(
        sender="Ольга <olga@client.example>",
        subject="Заказ 55",
        body="Коллега пришлёт скан.",
        headers={"Cc": "petr2@client.example", **dkim_pass("olga@client.example")},
    )
    tid = desk.ingest_tid(opened)
    [confirmation] = wait_until(lambda: sink.to("olga@client.example"))
    page = link_in(confirmation.text, base)
    petr = make_mail(
        sender="Пётр <petr2@client.example>",
        subject=f"Re: Заказ 55 [TID#{tid}]",
        body="Скан во вложении",
        attachments=[(FILE, "image/bmp", NOT_BMP)],
    )
    assert desk.ingest(petr).code == 0
    assert FILE in request(page).text  # named on Olga's page (the refusal's reason)
    r = desk.run("forget", "petr2@client.example")
    assert r.code == 0, r.err
    after = request(page)
    assert after.status == 200 and "Коллега пришлёт скан." in after.text
    assert "Паспорт" not in after.text
