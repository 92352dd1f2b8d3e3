"""Nothing acknowledged is lost, nothing sent is sent again, after a power cut: on a
real ext4 file system whose journal commits only when asked (fs.LAZY), what a
power loss right after the call would leave (fs.power_cut) holds the spooled mail
(the 250 / `ingest`'s exit 0 come after `add`) and the sent mail's record (else
the next pass sends it again)."""

from __future__ import annotations

from maild.adapters.outbound import Outbox
from maild.adapters.spool import Spool
from maild.configtypes import OutboundConfig
from maild.render import Mail
from tests.faults.fs import LAZY, ext4, power_cut

RAW = (
    b"From: ivan@shop-example.ru\r\nSubject: help\r\nMessage-ID: <p1@shop-example.ru>\r\n\r\nhi\r\n"
)


def test_a_spooled_message_outlives_a_power_cut(tmp_path):
    with ext4(tmp_path / "disk.img", tmp_path / "mnt", options=LAZY) as mnt:
        spool = Spool(mnt / "spool")
        one = spool.add(RAW)  # a session of its own
        with power_cut(tmp_path / "disk.img", tmp_path / "cut") as cut:
            assert (cut / "spool" / "new" / one).read_bytes() == RAW
        two, three = spool.add_many([RAW + b"2", RAW + b"3"])  # sessions at once
        with power_cut(tmp_path / "disk.img", tmp_path / "cut") as cut:
            assert (cut / "spool" / "new" / two).read_bytes() == RAW + b"2"
            assert (cut / "spool" / "new" / three).read_bytes() == RAW + b"3"


def test_a_sent_mail_is_recorded_sent_after_a_power_cut(tmp_path, sink):
    with ext4(tmp_path / "disk.img", tmp_path / "mnt", options=LAZY) as mnt:
        outbox = Outbox(mnt / "outbox")
        headers = {"From": "support@example.com", "To": "ivan@shop-example.ru",
                   "Subject": "[TID#1000-0001] help", "Message-ID": "<o1@example.com>"}  # fmt: skip
        raw = "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\nanswer\r\n"
        assert outbox.enqueue("mail-1", Mail(headers, raw.encode()), [headers["To"]])
        with power_cut(tmp_path / "disk.img", tmp_path / "cut") as cut:  # queued: kept
            assert (cut / "outbox" / "queue" / "mail-1.mail").read_bytes().endswith(b"answer\r\n")
        assert outbox.flush(OutboundConfig(host="127.0.0.1", port=sink.port)) == (1, 0)
        with power_cut(tmp_path / "disk.img", tmp_path / "cut") as cut:  # sent: not again
            assert not (cut / "outbox" / "queue" / "mail-1.mail").exists()
            assert (cut / "outbox" / "sent" / "mail-1.mail").exists()
            assert b"mail-1 " in (cut / "outbox" / "sent" / "sent.log").read_bytes()
    assert len(sink.received) == 1
