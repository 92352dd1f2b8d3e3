"""A relay that verifies recipients refuses a customer's mistyped address for good
(550 5.1.1 User unknown): that copy is tried once, set aside (`outbox list --sent`
shows why it never went), the ticket gets a note and staff one notice; everything
else still goes, and a relay that refuses for its own reasons (5.7.x) keeps the
mail queued for retries."""

from __future__ import annotations

import smtplib
import time
from datetime import datetime

from maild import jobs
from maild.adapters.outbound import Outbox
from maild.configtypes import OutboundConfig
from tests.helpers import Daemon, Desk, Sink, free_port, make_mail, staff_to
from tests.integration.test_jobs import MSK, Clock, app_of, ingest_at
from tests.integration.test_outbox import _queue

TYPO = "ivan@exmaple.ru"
OLGA = "olga@shop-example.ru"
UNKNOWN = f"550 5.1.1 <{TYPO}>: Recipient address rejected: User unknown"
STAFF = ("anna@example.com", "boris@example.com")


def test_a_mistyped_customer_address_is_tried_once_and_staff_are_told(tmp_path):
    relay = Sink(refuse={TYPO: UNKNOWN}).start()
    try:
        desk = Desk(tmp_path, relay.port)
        tid = desk.ingest_tid(make_mail(sender=f"Иван <{TYPO}>"))
        other = desk.ingest_tid(make_mail(sender=OLGA))  # another customer's ticket
        first = desk.flush()
        assert first.code == 0, first.out  # nothing left queued
        assert f"refused for good, not tried again: {TYPO}: 550 5.1.1" in first.out
        got = relay.received
        assert desk.flush().code == 0  # a second flush sends nothing, tries nothing
        assert relay.received == got and relay.handler.tries[TYPO] == 1
        assert len(relay.to(OLGA)) == 1  # her confirmation went
        for staff in STAFF:  # both new tickets, then one notice of the refusal
            subjects = [r.subject for r in relay.to(staff)]
            told = [s for s in subjects if "не доставлено" in s]
            assert len(subjects) == 3 and len(told) == 1, subjects
            assert f"[TID#{tid}]" in told[0]
        assert "не доставлено" not in desk.run("ticket", "show", other).out
        [notice] = [r for r in relay.to(STAFF[0]) if "не доставлено" in r.subject]
        assert TYPO in notice.text and "550 5.1.1" in notice.text and "#cc" in notice.text
        shown = desk.run("ticket", "show", tid).out
        assert f"Письмо клиенту не доставлено: {TYPO}" in shown and "User unknown" in shown
        [kept] = [
            m for m in desk.run("outbox", "list", "--sent", "--json").json() if m.get("refused")
        ]
        assert kept["to"] == [TYPO] and kept["refused"].startswith(f"{TYPO}: 550 5.1.1")
        listed = desk.run("outbox", "list", "--sent").out
        assert "(refused by the relay, not sent: " in listed
        assert desk.run("jobs", "run").code == 0  # nothing left to tell: no second notice
        assert desk.flush().code == 0 and relay.handler.tries[TYPO] == 1
        # status counts it (once, whatever passes ran), beside queued and failing
        status = desk.run("status", "--json").json()["outbox"]
        assert status["queued"] == 0 and status["refused"] == 1
        assert status["last_refused"] == kept["last_try"]
        assert "outbox: 0 queued, 0 failing, 1 refused (last " in desk.run("status").out
        assert len([r for r in relay.received if "не доставлено" in r.subject]) == len(STAFF)
    finally:
        relay.stop()


def test_a_refusal_at_data_ends_the_tries_and_a_relay_problem_does_not(tmp_path):
    """5.1.1 after DATA is the recipient's; 554 5.7.1 (relay access denied) is the
    relay's configuration: retried, so a misconfigured relay never empties the queue."""
    relay = Sink(
        refuse={"user1@example.org": "554 5.7.1 <user1@example.org>: Relay access denied"},
        refuse_data={"user2@example.org": "550 5.1.1 Mailbox does not exist"},
    ).start()
    outbox = Outbox(tmp_path / "outbox")
    try:
        _queue(outbox, 0, 4)
        cfg = OutboundConfig(host="127.0.0.1", port=relay.port)
        assert outbox.flush(cfg) == (2, 2)
        assert outbox.flush(cfg) == (0, 1)  # only user1's is tried again
        # a crash after user4's refusal was recorded, before its file moved: the next
        # pass moves it, and does not send it
        _queue(outbox, 4, 1)
        outbox.mark("mail-4", refused="user4@example.org: 550 5.1.1 User unknown")
        assert outbox.flush(cfg) == (0, 1)
        assert "user4@example.org" not in relay.handler.tries
    finally:
        outbox.close()
        relay.stop()
    assert sorted(r.rcpt_tos[0] for r in relay.received) == [
        "user0@example.org",
        "user3@example.org",
    ]
    [queued] = outbox.entries()
    assert queued["to"] == ["user1@example.org"] and queued["attempts"] == 3
    refused = outbox.refused_entries()
    assert [m["to"] for m in refused] == [["user2@example.org"], ["user4@example.org"]]
    assert all("5.1.1" in m["refused"] for m in refused)
    assert relay.handler.tries["user2@example.org"] == 1


def test_maild_serve_tells_staff_of_a_refused_address_once(tmp_path):
    """The daemon's own sender: the refusal is set aside in its pass, the worker tells
    the ticket, and the staff notice goes out in the next pass, without a second try."""
    relay = Sink(refuse={TYPO: UNKNOWN}).start()
    desk = Desk(tmp_path, relay.port, smtp={"listen": f"127.0.0.1:{free_port()}"})
    daemon = Daemon(desk).start()
    try:
        with smtplib.SMTP("127.0.0.1", daemon.port, timeout=10) as c:
            c.sendmail(TYPO, ["support@example.com"], make_mail(sender=f"Иван <{TYPO}>"))
        deadline = time.monotonic() + 20
        told = []
        while len(told) < len(STAFF) and time.monotonic() < deadline:
            time.sleep(0.1)
            told = [r for r in relay.received if "не доставлено" in r.subject]
        # told by the daemon after the pass that met the refusal, not by the scheduler's
        # next round (a minute later) nor by the flush below
        assert len(told) == len(STAFF), [r.subject for r in relay.received]
    finally:
        assert daemon.stop() == 0
    try:  # a second notice, or the refused mail still queued: sent, or tried, now
        assert desk.flush().code == 0
    finally:
        relay.stop()
    told = [r for r in relay.received if "не доставлено" in r.subject]
    assert sorted(r.rcpt_tos[0] for r in told) == sorted(STAFF)
    assert relay.handler.tries[TYPO] == 1
    [ticket] = desk.tickets()
    shown = desk.run("ticket", "show", ticket["tid"]).out
    assert f"Письмо клиенту не доставлено: {TYPO}" in shown


def _staff(tid: str, body: str) -> bytes:
    """A staff member's reply to the ticket's notice (its signed Reply-To)."""
    return make_mail(
        sender=f"Анна <{STAFF[0]}>", to=staff_to(tid), subject=f"Re: [TID#{tid}]", body=body
    )


def _told(relay: Sink) -> int:
    """How many notices of refused mail reached staff."""
    return len([r for r in relay.to(STAFF[0]) if "не доставлено" in r.subject])


def test_an_address_refused_for_good_gets_no_more_automatic_mail_until_staff_cc_it(tmp_path):
    """After the refusal, the ticket's automatic mail to the address (the notice that
    work started, the acknowledgement of a follow-up) is not sent: the thread says
    why, the relay is not asked again, staff are not told again. #cc of the address
    sends its mail again (here the closing mail, refused again and told again)."""
    relay = Sink(refuse={TYPO: UNKNOWN}).start()
    try:
        desk = Desk(tmp_path, relay.port)
        tid = desk.ingest_tid(make_mail(sender=f"Иван <{TYPO}>"))
        desk.flush()
        assert relay.handler.tries[TYPO] == 1 and _told(relay) == 1
        assert desk.run("jobs", "run").code == 0
        desk.ingest(_staff(tid, "#take"))  # "work has started" to the customer
        desk.ingest(make_mail(sender=TYPO, subject=f"Re: [TID#{tid}]", body="Ещё вопрос."))
        assert desk.flush().code == 0 and desk.run("jobs", "run").code == 0
        assert relay.handler.tries[TYPO] == 1 and _told(relay) == 1
        # new ticket, refusal, the follow-up, and to the one who gave #take that its
        # notice did not go (jobs run may add the morning digest, by the time of day:
        # not about this ticket alone)
        about = [r.subject for r in relay.to(STAFF[0]) if not r.subject.startswith("Очередь")]
        assert len(about) == 4, about
        assert sum(s.startswith("Клиенту не отправлено уведомление") for s in about) == 1
        shown = desk.run("ticket", "show", tid).out
        held = [x for x in shown.splitlines() if x.strip().startswith("Не отправлено")]
        assert len(held) == 2, shown
        assert all(TYPO in line and "550 5.1.1" in line and "#cc" in line for line in held)
        assert f"{TYPO} не принимается почтовым сервером с " in shown
        assert "ответ сервера: 550 5.1.1" in shown
        assert "550 5.1.1" in desk.ticket(tid)["undeliverable"][TYPO]["error"]
        # staff correct nothing but name the address again: its mail goes again
        desk.ingest(_staff(tid, f"#cc {TYPO}\n#close"))
        assert desk.flush().code == 0 and desk.run("jobs", "run").code == 0
        assert relay.handler.tries[TYPO] == 2 and _told(relay) == 2
        assert desk.ticket(tid)["status"] == "closed"
    finally:
        relay.stop()


def test_mail_refused_after_its_ticket_was_merged_is_told_in_the_survivor(tmp_path):
    """Ivan's confirmation is still queued when staff #merge his ticket into Olga's; the
    relay then refuses it for good. The note and the mark go to the ticket that goes on
    (Olga's, his address on it now): told in the merged-away one, nobody would see it
    there and the survivor would go on mailing the address."""
    relay = Sink(refuse={TYPO: UNKNOWN}).start()
    try:
        desk = Desk(tmp_path, relay.port)
        into = desk.ingest_tid(make_mail(sender=OLGA, subject="Первое", body="Вопрос один."))
        assert desk.flush().code == 0
        merged = desk.ingest_tid(make_mail(sender=TYPO, subject="Второе", body="Вопрос два."))
        desk.ingest(_staff(merged, f"#merge {into}"))
        assert desk.ticket(merged)["merged_into"] == into
        assert desk.flush().code == 0 and relay.handler.tries[TYPO] >= 1
        survivor = desk.ticket(into)
        assert "550 5.1.1" in survivor["undeliverable"][TYPO]["error"], survivor
        told = "Письмо клиенту не доставлено: "
        notes = [m["text"] for m in survivor["messages"] if m["text"].startswith(told)]
        # his confirmation and the mail that told him of the merge: each noted here
        assert len(notes) == 2 and all(TYPO in t for t in notes), survivor["messages"]
        gone = desk.ticket(merged)
        assert not gone.get("undeliverable"), gone
        assert not any(m["text"].startswith(told) for m in gone["messages"]), gone
    finally:
        relay.stop()


def test_a_reminder_skips_a_refused_address_and_verified_mail_from_it_lifts_the_mark(tmp_path):
    """The scheduler's mail alike (#wait's reminder to the customer): not sent, not
    told again. Mail from the address that proves itself (DKIM/SPF per our MTA's
    Authentication-Results) shows the mailbox exists: its mail goes again."""
    relay = Sink(refuse={TYPO: UNKNOWN}).start()
    try:
        desk = Desk(tmp_path, relay.port, support={"authserv_id": "mx.example.com"})
        clock = Clock(datetime(2026, 11, 23, 10, 0, tzinfo=MSK))  # a Monday
        tid = ingest_at(desk, clock, make_mail(sender=TYPO))
        desk.flush()
        ingest_at(desk, clock, _staff(tid, "Пришлите журнал ошибок.\n#wait"))
        assert jobs.waiting(app_of(desk, clock), datetime(2026, 11, 26, 10, 1, tzinfo=MSK)) == 1
        desk.flush()
        # the acknowledgement and the answer, each tried once, staff told of each
        assert relay.handler.tries[TYPO] == 2 and _told(relay) == 2
        shown = desk.run("ticket", "show", tid).out
        assert "Не отправлено уведомление «ждём вашего ответа» клиенту ivan@exmaple.ru" in shown
        dkim = {
            "Authentication-Results": "mx.example.com; dkim=pass header.d=exmaple.ru; "
            "spf=pass smtp.mailfrom=exmaple.ru"
        }
        reply = make_mail(sender=TYPO, subject=f"Re: [TID#{tid}]", body="Лог.", headers=dkim)
        ingest_at(desk, clock, reply)
        assert "undeliverable" not in desk.ticket(tid)
        desk.flush()
        assert relay.handler.tries[TYPO] == 3  # its acknowledgement was tried
    finally:
        relay.stop()


def test_forget_leaves_no_trace_of_a_refused_address(tmp_path):
    """`maild forget` of an address the relay refused: the ticket's mark (keyed by the
    address) and the set-aside mail's record of the relay's answer named it still."""
    relay = Sink(refuse={TYPO: UNKNOWN}).start()
    try:
        desk = Desk(tmp_path, relay.port)
        desk.ingest(make_mail(sender=f"Иван <{TYPO}>"))
        desk.flush()
        assert desk.run("jobs", "run").code == 0  # the ticket is told, its mark set
        assert desk.run("forget", TYPO).code == 0
    finally:
        relay.stop()
    data = tmp_path / "data"
    named = [p for p in data.rglob("*") if p.is_file() and TYPO.encode() in p.read_bytes()]
    assert named == []


def test_a_staff_reply_too_big_for_the_relay_is_told_and_the_address_stays_good(tmp_path):
    """postfix says «552 5.3.4 Message size exceeds fixed limit» (10 MB by default) to a
    staff answer with big files; aiosmtpd, as here, at MAIL FROM by its SIZE. Before,
    it was retried every hour for good and the staff member never learned it; now it
    is set aside at once, staff are told it was too big (not that the address is
    wrong), and the customer's address stays good: their next mail is acknowledged."""
    relay = Sink(data_size_limit=60_000).start()
    try:
        desk = Desk(tmp_path, relay.port)
        tid = desk.ingest_tid(make_mail(sender=OLGA))
        assert desk.flush().code == 0
        manual = ("manual.pdf", "application/pdf", bytes(range(256)) * 400)  # 100 KB
        desk.ingest(
            make_mail(
                sender=f"Анна <{STAFF[0]}>",
                to=staff_to(tid),
                subject=f"Re: [TID#{tid}]",
                body="Инструкция во вложении.",
                attachments=[manual],
            )
        )
        first = desk.flush()
        assert first.code == 0 and "refused for good, not tried again" in first.out, first.out
        assert desk.flush().code == 0 and desk.run("jobs", "run").code == 0
        [told] = [r for r in relay.to(STAFF[0]) if "слишком большое" in r.subject]
        assert f"[TID#{tid}]" in told.subject and "552" in told.text
        assert "#cc" not in told.text.split("Команды")[0]  # nothing is wrong with the address
        shown = desk.run("ticket", "show", tid).out
        assert "Письмо клиенту не доставлено, оно слишком большое" in shown
        assert "undeliverable" not in desk.ticket(tid)
        sent = len(relay.to(OLGA))
        desk.ingest(make_mail(sender=OLGA, subject=f"Re: [TID#{tid}]", body="Не пришло."))
        assert desk.flush().code == 0
        assert len(relay.to(OLGA)) == sent + 1  # the acknowledgement goes
    finally:
        relay.stop()


def test_a_staff_notice_too_big_for_the_relay_goes_again_without_the_files(tmp_path):
    """The customer's accepted files ride in the staff notice (up to 25 MB), postfix
    takes 10 MB by default: the notice was refused for its size and retried until
    someone raised the limit, staff never hearing of the ticket. Now it goes again at
    once without the files, saying where they are; the customer's confirmation goes
    as it is, and so does anything small."""
    import base64
    import os
    import zlib

    def png(size: int) -> bytes:  # a valid PNG of `size`-ish bytes that does not compress
        def chunk(kind: bytes, body: bytes) -> bytes:
            return (
                len(body).to_bytes(4, "big")
                + kind
                + body
                + zlib.crc32(kind + body).to_bytes(4, "big")
            )

        ihdr = (1).to_bytes(4, "big") * 2 + b"\x08\x06\x00\x00\x00"
        return (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", ihdr)
            + chunk(b"tEXt", b"x\x00" + base64.b64encode(os.urandom(size)))
            + chunk(b"IDAT", zlib.compress(b"\x00" + b"\x00" * 4))
            + chunk(b"IEND", b"")
        )

    relay = Sink(data_size_limit=60_000).start()
    try:
        desk = Desk(tmp_path, relay.port)
        shot = ("скриншот.png", "image/png", png(70_000))
        tid = desk.ingest_tid(make_mail(sender=OLGA, attachments=[shot]))
        first = desk.flush()  # refused for its size: queued again, to go next pass
        assert first.code == 75 and first.out.count("552 Error: message size") == 2, first.out
        assert desk.flush().code == 0
        for staff in STAFF:
            [notice] = relay.to(staff)
            assert f"[TID#{tid}]" in notice.subject and "Новое обращение" in notice.subject
            assert "Файлы клиента в это письмо не вошли" in notice.text
            assert list(notice.msg.iter_attachments()) == []
        [confirmation] = relay.to(OLGA)  # small: as it was
        assert f"[TID#{tid}]" in confirmation.subject
        assert desk.run("status", "--json").json()["outbox"]["queued"] == 0
    finally:
        relay.stop()


def test_staff_mail_refused_for_good_stays_queued_and_is_retried(tmp_path):
    """Staff's and the head's own mail is never set aside as a customer's mistyped
    address is: a 550 for a member (a mailbox moved, a quota) is retried after its
    back-off, and alerted as any failure."""
    anna = STAFF[0]
    relay = Sink(refuse={anna: f"550 5.1.1 <{anna}>: Recipient address rejected"}).start()
    try:
        desk = Desk(tmp_path, relay.port)
        desk.ingest_tid(make_mail(sender=OLGA))
        desk.flush()
        queued = desk.run("outbox", "list", "--json").json()
        assert [(m["to"], m["attempts"]) for m in queued] == [([anna], 1)]
        assert queued[0]["next_try"] and not queued[0].get("refused")
        assert not any(
            m.get("refused") for m in desk.run("outbox", "list", "--sent", "--json").json()
        )
    finally:
        relay.stop()
