"""`maild forget` of an address at a Cyrillic domain erases the person in either
spelling of the domain: mail clients without SMTPUTF8 and the site's form write
ivan@xn--80aairftm.xn--p1ai, the admin types what the customer said, ivan@магазин.рф
(and the other way round)."""

from __future__ import annotations

import json

import pytest

from tests.helpers import Desk, dead_port, stored_text

U_LABELS = "ivan@магазин.рф"
A_LABELS = "ivan@xn--80aairftm.xn--p1ai"  # the same mailbox, as IDNA spells it
NAME = "Иван Сидоров"
WORDS = "ЖёлтыйКитПлывётНаЗапад"


def mail(sender: str, body: str, msgid: str, *fields: str) -> bytes:
    """A UTF-8 mail as an SMTPUTF8 client writes it (email's own makes no mailbox of
    an address at a Cyrillic domain)."""
    head = [f"From: {sender}", "To: support@example.com", "Subject: Касса", *fields]
    head += [f"Message-ID: {msgid}", "Date: Wed, 25 Nov 2026 10:15:00 +0300"]
    head += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
    return ("\r\n".join([*head, "Content-Transfer-Encoding: 8bit", "", body, ""])).encode()


def history(desk: Desk, written: str) -> tuple[str, str]:
    """Their ticket (a queued confirmation to them), Petr's quoting them by name, and a
    mail of theirs the spam verdict put in the quarantine, all from `written`."""
    tid = desk.ingest_tid(mail(f"{NAME} <{written}>", WORDS, f"<1700.{written}>"))
    quote = f"Коллега {NAME} <{written}> писал: сломалась касса"
    petr = desk.ingest_tid(mail("Пётр <petr@shop.ru>", quote, "<p1@shop.ru>"))
    spam = mail(f"{NAME} <{written}>", WORDS, "<s1@x>", "X-Spam-Flag: YES")
    assert "quarantined" in desk.run("ingest", "-", input=spam).out
    return tid, petr


@pytest.mark.parametrize(("written", "typed"), [(A_LABELS, U_LABELS), (U_LABELS, A_LABELS)])
def test_forget_erases_the_person_whichever_spelling_of_the_domain(tmp_path, written, typed):
    """Given ivan@магазин.рф, forget passed over the ticket whose file named only
    ivan@xn--80aairftm.xn--p1ai (its text, name and files kept, the mail queued to
    them still to go), left their mail in the quarantine and their name beside their
    address in Petr's ticket."""
    desk = Desk(tmp_path, dead_port(), spam={"enabled": True})
    tid, petr = history(desk, written)
    done = desk.run("forget", typed, "--json")
    assert done.code == 0, done.err
    assert tid in [t["tid"] for t in done.json()["tickets"]]
    assert done.json()["held_removed"] == 1  # the quarantined mail
    left = stored_text(tmp_path).lower()
    for gone in ("xn--80aairftm", "магазин.рф", WORDS.lower()):
        assert gone not in left, gone
    assert NAME not in str(desk.ticket(petr)) and NAME not in str(desk.ticket(tid))
    queued = desk.run("outbox", "list", "--json").json()
    assert [m["to"] for m in queued if m["tid"] == tid] == []  # their confirmation withdrawn
    assert desk.run("spam", "list", "--json").json() == []
    assert "сломалась касса" in left  # Petr's own words stay


def test_forget_finds_the_cyrillic_domain_written_in_capitals(tmp_path):
    """Petr writes «IVAN@МАГАЗИН.РФ» in his text: forget (any case, README) looked for
    the address in the files by their bytes lower-cased, which leaves Cyrillic capitals
    as they are, so it never opened that ticket: the address stayed in its text, its
    spool copy and the staff notices quoting it."""
    desk = Desk(tmp_path, dead_port())
    body = "Пишите коллеге на IVAN@МАГАЗИН.РФ, он знает"
    petr = desk.ingest_tid(mail("Пётр <petr@shop.ru>", body, "<u1@shop.ru>"))
    done = desk.run("forget", U_LABELS, "--json")
    assert done.code == 0, done.err
    assert [t["tid"] for t in done.json()["tickets"]] == [petr]
    assert "МАГАЗИН" not in stored_text(tmp_path).upper()
    assert "Пишите коллеге на forgotten@invalid, он знает" in str(desk.ticket(petr))


def test_forget_withdraws_a_mail_to_them_cut_short_in_the_queue(tmp_path):
    """A mail queued to them whose file a crash or a full disk cut short is never
    relayed (its record gives its length), but it holds their address and what went to
    them: forget withdraws it as any other (nothing of it is kept), else it stayed in
    queue/ with all of it while forget said the person was erased."""
    desk = Desk(tmp_path, dead_port())
    tid = desk.ingest_tid(mail(f"{NAME} <{A_LABELS}>", WORDS, "<c1@x>"))
    queue = tmp_path / "data" / "outbox" / "queue"
    [cut] = [
        p
        for p in queue.glob("*.mail")
        if A_LABELS in json.loads(p.read_bytes().split(b"\n")[0])["to"]
    ]
    cut.write_bytes(cut.read_bytes()[:-40])  # its end lost
    done = desk.run("forget", A_LABELS, "--json")
    assert done.code == 0, done.err
    assert tid in [t["tid"] for t in done.json()["tickets"]]
    assert not cut.exists()
    left = [p.name for p in queue.iterdir() if A_LABELS.encode() in p.read_bytes()]
    assert left == []
    assert A_LABELS not in stored_text(tmp_path)
