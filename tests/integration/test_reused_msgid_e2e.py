"""One Message-ID on two different mails (a web form or a 1C-style mailer writes a
constant one): both are new mail, each with its ticket, confirmation and staff notice;
the same mail delivered again (other trace headers, other line endings) is still one
message. Through `maild ingest` and `maild serve`'s SMTP listener, with a real relay."""

from __future__ import annotations

import json
import logging
import smtplib

import pytest

from maild.adapters.spool import Spool
from tests.helpers import Daemon, Desk, free_port, make_mail
from tests.integration.test_serve import wait_until

CONSTANT = "<1@localhost.localdomain>"


def _first() -> bytes:
    return make_mail(
        sender="Иван <ivan@shop-a.example>",
        subject="Ошибка 500",
        body="Первый клиент: ошибка 500 на оформлении заказа.",
        msgid=CONSTANT,
    )


def _second() -> bytes:
    return make_mail(
        sender="Ольга <olga@other-b.example>",
        subject="Сайт не работает",
        body="Другой клиент: наш сайт лежит!",
        msgid=CONSTANT,
    )


def _traced(raw: bytes, hop: str) -> bytes:
    """The same mail as another delivery hands it over: trace headers of its own."""
    return (
        f"Return-Path: <bounce-{hop}@example.net>\r\n"
        f"Delivered-To: support+{hop}@example.com\r\n"
        f"X-Original-To: support+{hop}@example.com\r\n"
        f"Received: from {hop}.example.net by mx.example.com; Thu, 26 Nov 2026 10:00:00 +0300\r\n"
        f"Authentication-Results: mx.example.com; spf=none smtp.mailfrom={hop}.example.net\r\n"
    ).encode() + raw


def _warnings(caplog) -> list[str]:
    """The WARNING lines about reused Message-IDs (the pipeline's)."""
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    caplog.clear()
    return [line for line in lines if "reused" in line]


def _incoming(desk: Desk, tid: str) -> list[dict]:
    return [m for m in desk.ticket(tid)["messages"] if m["direction"] == "in"]


@pytest.fixture
def desk(tmp_path, sink) -> Desk:
    return Desk(tmp_path, sink.port)


def test_a_different_mail_with_a_message_id_already_seen_becomes_its_own_ticket(desk, sink, caplog):
    caplog.set_level(logging.INFO)
    tid1 = desk.ingest_tid(_first())
    assert _warnings(caplog) == []
    r = desk.ingest(_second())
    assert "duplicate" not in r.out
    tid2 = r.out.split("[TID#", 1)[1].split("]", 1)[0]
    assert tid2 != tid1
    warning = _warnings(caplog)
    assert len(warning) == 1 and CONSTANT in warning[0] and f"[TID#{tid1}]" in warning[0]
    assert "olga@other-b.example" in warning[0]
    # each customer's own ticket, with what they wrote
    one, two = _incoming(desk, tid1), _incoming(desk, tid2)
    assert [m["from"] for m in one] == ["ivan@shop-a.example"]
    assert [m["from"] for m in two] == ["olga@other-b.example"]
    assert "лежит" in two[0]["text"] and one[0]["message_id"] == CONSTANT
    assert desk.ticket(tid2)["subject"] == "Сайт не работает"
    # both confirmed, staff told of both
    assert desk.flush().code == 0
    sink.wait_for(6)
    [c1] = sink.to("ivan@shop-a.example")
    [c2] = sink.to("olga@other-b.example")
    assert f"[TID#{tid1}]" in c1.subject and f"[TID#{tid2}]" in c2.subject
    # the confirmation threads under the mail Olga's client sent
    assert c2.msg["In-Reply-To"] == CONSTANT and CONSTANT in c2.msg["References"]
    notices = sink.to("anna@example.com")
    assert {t for n in notices for t in (tid1, tid2) if f"[TID#{t}]" in n.subject} == {tid1, tid2}
    # delivered again, each is its own duplicate; nothing more is stored or sent
    for raw, tid in ((_first(), tid1), (_second(), tid2)):
        again = desk.ingest(_traced(raw, "retry"))
        assert f"duplicate [TID#{tid}]" in again.out and _warnings(caplog) == []
    assert len(_incoming(desk, tid1)) == 1 and len(_incoming(desk, tid2)) == 1
    assert len(desk.tickets()) == 2
    assert desk.flush().code == 0
    assert len(sink.wait_for(7, timeout=0.3)) == 6
    fsck = desk.run("fsck")
    assert fsck.code == 0, fsck.out + fsck.err


def test_the_same_mail_with_other_trace_headers_and_line_endings_is_one_message(desk, sink, caplog):
    caplog.set_level(logging.INFO)
    raw = _first()
    tid = desk.ingest_tid(_traced(raw, "a"))
    lf = _traced(raw, "b").replace(b"\r\n", b"\n") + b"\n"  # a pipe's LF, one more line
    for copy in (_traced(raw, "b"), lf, raw):
        r = desk.ingest(copy)
        assert f"duplicate [TID#{tid}]" in r.out and _warnings(caplog) == []
    assert len(desk.tickets()) == 1 and len(_incoming(desk, tid)) == 1
    desk.flush()
    sink.wait_for(3)
    assert len(sink.to("ivan@shop-a.example")) == 1


def test_a_store_from_before_the_digest_tells_the_mails_apart_by_their_spool_copy(
    desk, sink, caplog
):
    """A message stored by an older maild has no digest: its spool copy tells whether
    a mail under its Message-ID is it again or a different one."""
    tid1 = desk.ingest_tid(_first())
    [path] = (desk.root / "data" / "tickets").glob(f"*/{tid1}.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    popped = [row.pop("digest", None) for table in data.values() for row in table.values()]
    assert len([d for d in popped if d]) == 1  # the one message received
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert f"duplicate [TID#{tid1}]" in desk.ingest(_traced(_first(), "x")).out
    r = desk.ingest(_second())
    assert "duplicate" not in r.out and len(_warnings(caplog)) == 1
    assert len(desk.tickets()) == 2


def _stored_keys(desk: Desk, tid: str, *, digest: bool) -> list[str]:
    """The spool keys of ``tid``'s messages; without ``digest``, their digests taken
    out of the store's file, as an older maild wrote it."""
    [path] = (desk.root / "data" / "tickets").glob(f"*/{tid}.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    rows = [row for table in data.values() for row in table.values()]
    if not digest:
        for row in rows:
            row.pop("digest", None)
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return [row["spool_key"] for row in rows if row.get("spool_key")]


def test_erased_mail_an_older_maild_stored_delivered_again_is_a_duplicate(desk):
    """A message an older maild stored (no digest) whose spool copy `maild forget`
    erased: nothing tells it from a different mail, so it is taken for the same mail,
    as that maild took it. Erased mail delivered again must not come back as a ticket."""
    tid1 = desk.ingest_tid(_first())
    keys = _stored_keys(desk, tid1, digest=False)
    spool = Spool(desk.root / "data" / "spool")
    assert keys and all(spool.discard(key) for key in keys)
    assert f"duplicate [TID#{tid1}]" in desk.ingest(_traced(_first(), "x")).out
    assert len(desk.tickets()) == 1


def test_the_same_mail_after_its_spool_copy_was_rewritten_is_a_duplicate(desk):
    """The spool copy is rewritten when credentials are redacted (2 days after the
    ticket closed): the digest stored with the message, not the copy's bytes now, tells
    that the same mail came again."""
    tid1 = desk.ingest_tid(_first())
    keys = _stored_keys(desk, tid1, digest=True)
    spool = Spool(desk.root / "data" / "spool")
    assert keys
    for key in keys:  # as the redaction job leaves it: other bytes
        kept = spool.read(key)
        spool.rewrite(key, kept.replace(b"500", b"***"))
        assert spool.read(key) != kept
    assert f"duplicate [TID#{tid1}]" in desk.ingest(_traced(_first(), "x")).out
    assert len(desk.tickets()) == 1


def test_over_smtp_and_ingest(tmp_path, sink):
    desk = Desk(tmp_path, sink.port, smtp={"listen": f"127.0.0.1:{free_port()}"})
    daemon = Daemon(desk).start()
    try:
        with smtplib.SMTP("127.0.0.1", daemon.port) as s:
            s.sendmail("ivan@shop-a.example", ["support@example.com"], _first())
            s.sendmail("olga@other-b.example", ["support@example.com"], _second())
            s.sendmail("ivan@shop-a.example", ["support+x@example.com"], _traced(_first(), "x"))
        assert wait_until(
            lambda: sink.to("ivan@shop-a.example") and sink.to("olga@other-b.example")
        )
        assert wait_until(lambda: "duplicate" in daemon.logtext())
        again = desk.ingest(_traced(_second(), "pipe"))  # the same mail by the pipe as well
        assert "duplicate [TID#" in again.out
    finally:
        daemon.stop()
    tickets = desk.tickets()
    assert sorted(t["requester"] for t in tickets) == [
        "ivan@shop-a.example",
        "olga@other-b.example",
    ]
    assert all(len(_incoming(desk, t["tid"])) == 1 for t in tickets)
    assert "Message-ID reused" in daemon.logtext()
    assert len(sink.to("ivan@shop-a.example")) == 1 and len(sink.to("olga@other-b.example")) == 1


def test_two_different_mails_with_one_message_id_are_both_kept_in_the_quarantine(desk, sink):
    spam = {"X-Spam-Flag": "YES"}
    first = make_mail(sender="ivan@shop-a.example", msgid=CONSTANT, headers=spam)
    second = make_mail(
        sender="olga@other-b.example", body="Другой текст", msgid=CONSTANT, headers=spam
    )
    q1 = desk.ingest(first).out.split()[1]
    q2 = desk.ingest(second).out.split()[1]
    assert q1 != q2
    listed = desk.run("spam", "list", "--json").json()
    assert sorted(e["from"] for e in listed) == ["ivan@shop-a.example", "olga@other-b.example"]
    released = desk.run("spam", "release", q2)
    assert released.code == 0 and "new [TID#" in released.out, released.out + released.err
    [t] = desk.tickets()
    assert t["requester"] == "olga@other-b.example"
    assert desk.ingest(_traced(second, "again")).out.startswith("duplicate [TID#")


def _without_message_id(raw: bytes) -> bytes:
    head, sep, body = raw.partition(b"\r\n\r\n") if b"\r\n\r\n" in raw else raw.partition(b"\n\n")
    kept = [h for h in head.splitlines() if not h.lower().startswith(b"message-id:")]
    return b"\r\n".join(kept) + sep + body


def test_a_mail_without_message_id_delivered_twice_is_one_message(tmp_path) -> None:
    """No Message-ID (spam tools, some scripts): its id was made of every byte, so the
    same mail handed over to support@ and to support+x@, each copy with a Delivered-To
    of its own, became two tickets. Its id is made of what the sender wrote now."""
    desk = Desk(tmp_path, free_port())
    raw = _without_message_id(_first())
    assert b"Message-ID" not in raw
    tid = desk.ingest_tid(_traced(raw, "a"))
    again = desk.run("ingest", "-", input=_traced(raw, "b"))
    assert again.code == 0 and f"duplicate [TID#{tid}]" in again.out, again
    assert len(desk.tickets()) == 1 and len(_incoming(desk, tid)) == 1
    assert desk.run("fsck").code == 0


def test_two_alerts_without_message_id_or_blank_line_are_two_messages(tmp_path) -> None:
    """A monitoring script's pipe: no Message-ID, no Date, no blank line before its
    text. The second alert, other text, was taken for the first delivered again:
    "duplicate", exit 0, dropped."""
    desk = Desk(tmp_path, free_port())
    alert = b"From: monitor@host.example\nSubject: alert\nDisk full on %s\n"
    first = desk.ingest_tid(alert % b"host1")
    second = desk.run("ingest", "-", input=alert % b"host2")
    assert second.code == 0 and "duplicate" not in second.out, second
    texts = [m["text"].strip() for t in desk.tickets() for m in _incoming(desk, t["tid"])]
    assert sorted(texts) == ["Disk full on host1", "Disk full on host2"], texts
    assert first in {t["tid"] for t in desk.tickets()}


def test_mail_without_message_id_an_older_maild_stored_is_found_by_its_old_id(tmp_path) -> None:
    """An older maild filed such mail under a hash of every byte: delivered again as it
    was, it is that mail again, and fsck knows its spool copy."""
    from maild.app import App
    from maild.config import load
    from maild.domain.message import legacy_synthetic_msgid, synthetic_msgid

    desk = Desk(tmp_path, free_port())
    raw = _without_message_id(_first())
    tid = desk.ingest_tid(raw)
    app = App(load(str(desk.config)))  # the store as the older maild left it
    old, new = legacy_synthetic_msgid(raw), synthetic_msgid(raw)
    with app.store.locked():
        ticket, messages = app.store.load(tid)
        for m in messages:
            if m["message_id"] == new:
                m["message_id"] = old
                m.pop("digest", None)
        app.store.save(ticket, messages)
        app.store.unindex_msgid(new)
        app.store.index_msgid(old, tid)
    again = desk.run("ingest", "-", input=raw)
    assert again.code == 0 and f"duplicate [TID#{tid}]" in again.out, again
    assert len(desk.tickets()) == 1 and len(_incoming(desk, tid)) == 1
    fsck = desk.run("fsck")
    assert fsck.code == 0, fsck.out + fsck.err


def test_an_alert_an_older_maild_filed_by_its_former_digest_is_known_to_fsck(tmp_path) -> None:
    """An older maild read a script's mail with no blank line under its fields as
    fields alone, and filed it under that digest (maildigest.former_digest): fsck finds
    its spool copy so (no "in no ticket", no --repair filing it again), while the next
    alert, one line apart, is a mail of its own, not that one delivered again."""
    from maild.app import App
    from maild.config import load
    from maild.domain.logid import SYNTHETIC_DOMAIN
    from maild.domain.maildigest import former_digest
    from maild.domain.message import synthetic_msgid

    desk = Desk(tmp_path, free_port())
    alert = b"From: monitor@host.example\nSubject: alert\nDisk full on %s\n"
    raw = alert % b"host1"
    tid = desk.ingest_tid(raw)
    app = App(load(str(desk.config)))  # the store as the older maild left it
    old, new = f"<{former_digest(raw)}{SYNTHETIC_DOMAIN}", synthetic_msgid(raw)
    with app.store.locked():
        ticket, messages = app.store.load(tid)
        for m in messages:
            if m["message_id"] == new:
                m["message_id"], m["digest"] = old, former_digest(raw)
        app.store.save(ticket, messages)
        app.store.unindex_msgid(new)
        app.store.index_msgid(old, tid)
    fsck = desk.run("fsck")
    assert fsck.code == 0, fsck.out + fsck.err
    second = desk.run("ingest", "-", input=alert % b"host2")
    assert second.code == 0 and "duplicate" not in second.out, second
    assert len(desk.tickets()) == 2


def test_spam_whose_kept_copy_is_gone_delivered_again_is_a_duplicate(desk):
    """A quarantine entry whose copy of the mail cannot be read any more (erased, lost)
    tells nothing of that mail: the same spam delivered again is taken for it, as with
    a ticket's erased copy, not kept a second time under an id of its own."""
    spam = make_mail(sender="ivan@shop-a.example", msgid=CONSTANT, headers={"X-Spam-Flag": "YES"})
    qid = desk.ingest(spam).out.split()[1]
    [eml] = (desk.root / "data").rglob(f"{qid}.eml")
    eml.unlink()
    again = desk.ingest(_traced(spam, "again"))
    assert again.out.split() == ["quarantined", qid], again.out + again.err
