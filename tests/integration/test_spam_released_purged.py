"""A ticket marked #spam by mistake, released and unblocked, lives on as any ticket:
closed and deleted after storage.keep_closed_days, it is gone, no longer #spam. Its
#spam mark stayed: the customer's later mail naming it went to the quarantine as
«spam: #spam» (never a ticket, nobody told), and the Message-ID index entries of
staff's mail of it (a note, the #spam reply) named the deleted ticket for good."""

from __future__ import annotations

from tests.helpers import Desk, make_mail, staff_reply


def test_a_released_ticket_deleted_later_is_not_spam_again(tmp_path, sink):
    desk = Desk(
        tmp_path, sink.port, storage={"path": str(tmp_path / "data"), "keep_closed_days": 30}
    )
    raw = make_mail(sender="Клиент <cl@client.ru>", msgid="<k1@client.ru>", subject="Касса")
    tid = desk.ingest_tid(raw)
    desk.ingest(staff_reply(tid, "Заметка", msgid="<note@example.com>"))
    assert desk.ingest(staff_reply(tid, "#spam")).out.startswith("spam ")
    [entry] = desk.run("spam", "list", "--json").json()
    assert desk.run("spam", "release", entry["id"]).out.startswith(
        f"released {entry['id']}: new [TID#{tid}]"
    )
    assert desk.run("block", "remove", "cl@client.ru").code == 0
    assert desk.ingest(staff_reply(tid, "Ответ.\n#close")).out.startswith("appended")
    assert desk.run("jobs", "run", "--now", "2027-03-20T10:00:00+03:00").code == 0
    assert desk.tickets() == []
    fsck = desk.run("fsck")
    assert fsck.code == 0, fsck.out  # no index entry names the deleted ticket
    later = make_mail(
        sender="Клиент <cl@client.ru>", msgid="<k2@client.ru>", subject=f"Re: [TID#{tid}] Касса"
    )
    r = desk.ingest(later)
    assert r.out.startswith("new [TID#"), r.out  # it was «quarantined ...: spam: #spam»
    assert desk.run("spam", "list", "--json").json() == []


def test_an_older_mark_stays_when_its_ticket_is_back(tmp_path):
    """A mark an older maild wrote names no staff mail: that #spam left their spool
    copies, which fsck removes while the mark is there (fsckspool.spam_leftover) and
    would re-queue, sending the answers again, once it were gone. So it stays."""
    from maild.adapters.quarantine import Quarantine

    q = Quarantine(tmp_path)
    q.mark_spammed("1234-5678", {"by": "anna@example.com"})
    [old] = [p for p in tmp_path.rglob("*") if p.is_file() and b"1234-5678" in p.read_bytes()]
    old.write_text('{"tid": "1234-5678", "by": "anna@example.com"}', encoding="utf-8")
    assert q.unmark_spammed("1234-5678") == [] and q.spammed("1234-5678")
    q.mark_spammed("8765-4321", {"by": "anna@example.com"}, ["<note@example.com>"])
    assert q.unmark_spammed("8765-4321") == ["<note@example.com>"]
    assert not q.spammed("8765-4321")
