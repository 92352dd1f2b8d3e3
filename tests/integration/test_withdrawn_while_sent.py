"""A mail withdrawn (here by `block add`) while the sender is handing it to the relay
went: the relay took it. Its ticket shows it as sent, not «не отправлено», its outbox
record keeps sent_at and loses "withdrawn", and `block remove` does not send the
customer a second «работа начата». Before, the withdrawal's mark stayed on the
thread and the outbox record, and the customer got the notice twice."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from dataclasses import dataclass, field

from maild.app import App
from maild.config import load
from tests.helpers import ROOT, Desk, Sink, SinkHandler, make_mail, staff_to

CUSTOMER = "ivan@shop-example.ru"  # make_mail's sender
STAFF = "anna@example.com"


@dataclass
class StallingHandler(SinkHandler):
    """Takes every mail, but holds one to `stall` in DATA (after it has it) until
    `release` is set, as a slow relay does: `arrived` is set when it is there."""

    stall: str = ""
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server, session, envelope) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        if self.stall and self.stall in envelope.rcpt_tos:
            self.arrived.set()
            for _ in range(600):  # 30 s at most
                if self.release.is_set():
                    break
                await asyncio.sleep(0.05)
        return reply


def _flush_in_background(desk: Desk) -> subprocess.Popen[bytes]:
    """`maild outbox flush` in its own process (it holds the outbox lock only)."""
    return subprocess.Popen(
        [sys.executable, "-m", "maild", "--config", str(desk.config), "outbox", "flush"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )


def test_block_add_while_the_started_notice_is_in_smtp_data(tmp_path):
    handler = StallingHandler()
    sink = Sink(handler=handler).start()
    try:
        desk = Desk(tmp_path, sink.port)
        tid = desk.ingest_tid(make_mail(sender=CUSTOMER, body="Не работает оплата."))
        assert desk.flush().code == 0 and len(sink.to(CUSTOMER)) == 1  # the confirmation
        desk.ingest(make_mail(sender=STAFF, to=staff_to(tid), subject=f"Re: [TID#{tid}]",
                              body="#take"))  # fmt: skip
        handler.stall = CUSTOMER
        flush = _flush_in_background(desk)
        assert handler.arrived.wait(30), "the started notice never reached the relay"
        r = desk.run("block", "add", CUSTOMER)  # while the relay holds it in DATA
        assert r.code == 0, r.out + r.err
        handler.release.set()
        out, err = flush.communicate(timeout=60)
        assert flush.returncode == 0, out.decode() + err.decode()
        assert "sent 1" in out.decode(), out.decode()
        assert "withdrawn" in err.decode() and "while it was being sent" in err.decode()
        [started] = sink.to(CUSTOMER)[1:]
        mid = started.msg["Message-ID"]

        # the ticket: sent, as the relay took it
        [record] = [m for m in desk.ticket(tid)["messages"] if m.get("message_id") == mid]
        assert "withdrawn" not in record and not record.get("withdrawn_copies"), record
        assert "не отправлено" not in desk.run("ticket", "show", tid).out
        # the outbox: sent at, not withdrawn
        sent = desk.run("outbox", "list", "--sent", "--json").json()
        [meta] = [m for m in sent if m["message_id"] == mid]
        assert meta.get("sent_at") and "withdrawn" not in meta, meta
        # the caps count it as the mail that went it is (the withdrawal's
        # withdrawals.note gave its count back, unnote counted it again)
        counted = App(load(desk.config)).store.auto_replies(CUSTOMER)
        assert len(counted) == 2, counted  # the confirmation and «работа начата»

        # unblocked: «работа начата» went already, so none goes again
        r = desk.run("block", "remove", CUSTOMER)
        assert r.code == 0, r.out + r.err
        assert desk.flush().code == 0
        assert len(sink.to(CUSTOMER)) == 2, [m.subject for m in sink.to(CUSTOMER)]
    finally:
        handler.release.set()
        sink.stop()


def test_a_mail_withdrawn_and_removed_while_it_went_stops_nothing(tmp_path):
    """Withdrawn while the relay held it in DATA, and its file in sent/ removed before
    the relay's 250 (its ticket deleted: retention's drop_sent): it went, the pass
    goes on. Before, recording it raised FileNotFoundError, taken as a disk that
    cannot record sent mail: the pass stopped, and a daemon's sender stayed stopped."""
    handler = StallingHandler()
    sink = Sink(handler=handler).start()
    try:
        desk = Desk(tmp_path, sink.port)
        tid = desk.ingest_tid(make_mail(sender=CUSTOMER, body="Не работает оплата."))
        handler.stall = CUSTOMER
        flush = _flush_in_background(desk)
        assert handler.arrived.wait(30), "the confirmation never reached the relay"
        assert desk.run("block", "add", CUSTOMER).code == 0  # withdrawn into sent/
        sent = desk.run("outbox", "list", "--sent", "--json").json()
        [meta] = [m for m in sent if m.get("withdrawn") and CUSTOMER in m["to"]]
        app = App(load(desk.config))
        with app.store.locked():
            app.outbox.drop_sent(meta["id"])
        handler.release.set()
        out, err = flush.communicate(timeout=60)
        assert flush.returncode == 0, out.decode() + err.decode()
        assert "withdrawn and removed while it went" in err.decode(), err.decode()
        assert f"[TID#{tid}]" in err.decode() and meta["message_id"] in err.decode()
        # the staff notices queued with it went in the same pass
        assert len(sink.to(STAFF)) == 1
        assert desk.run("outbox", "list", "--json").json() == []
        assert "cannot record" not in err.decode(), err.decode()
    finally:
        handler.release.set()
        sink.stop()
