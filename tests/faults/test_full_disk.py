"""The outbox never sends a mail twice because of a full disk: on a small real
ext4 file system (loop-mounted; tmpfs behaves differently) filled while the relay
takes the mails, each mail reaches the relay at most once while the disk is full,
`maild outbox flush` says why in one line (exit 75), and every mail goes out
exactly once when space returns."""

from __future__ import annotations

from collections import Counter

from tests.faults.fs import ext4, fill
from tests.helpers import Desk, Sink, make_mail

CUSTOMERS = 60  # 120 mails: the sent log needs new blocks after the disk is full
FILL_AT = 10  # the relay fills the disk when it takes this mail


def test_a_full_disk_never_sends_a_mail_twice(tmp_path):
    with ext4(tmp_path / "disk.img", tmp_path / "mnt", size_mb=16) as mnt:
        sink = Sink()
        take = sink.handler.handle_DATA
        ballast = []

        async def filling(server, session, envelope):
            reply = await take(server, session, envelope)
            if len(sink.received) == FILL_AT:
                ballast.append(fill(mnt))
            return reply

        sink.handler.handle_DATA = filling
        sink.start()
        try:
            desk = Desk(tmp_path, sink.port, storage={"path": str(mnt / "data")})
            for n in range(CUSTOMERS):
                desk.ingest(make_mail(sender=f"c{n}@shop.example", msgid=f"<f{n}@c.example>"))
            queued = {m["message_id"] for m in desk.run("outbox", "list", "--json").json()}
            assert len(queued) == 2 * CUSTOMERS  # a confirmation and a staff notice each

            full = desk.run("outbox", "flush")
            assert ballast, "the disk was not filled"
            assert full.code == 75 and len(full.err.splitlines()) == 1, full.err
            assert "Traceback" not in full.err and "record" in full.err
            again = desk.run("outbox", "flush")  # still full: nothing is sent
            assert again.code == 75 and "No space left" in again.err, again.err
            while_full = Counter(r.msg["Message-ID"] for r in sink.received)
            assert FILL_AT <= len(while_full) < len(queued)
            assert max(while_full.values()) == 1

            ballast[0].unlink()  # space returns
            done = desk.run("outbox", "flush")
            assert done.code == 0, done.err
            sent = Counter(r.msg["Message-ID"] for r in sink.received)
        finally:
            sink.stop()
    assert set(sent) == queued  # all sent ...
    assert max(sent.values()) == 1  # ... once
