"""Two robots can never ping-pong: automatic replies per address are limited."""

from __future__ import annotations

from tests.helpers import Desk, make_mail


def test_at_most_n_automatic_replies_per_sender_per_hour(tmp_path, sink):
    desk = Desk(tmp_path, sink.port, support={"max_auto_replies_per_hour": 2})
    tids = [desk.ingest_tid(make_mail(subject=f"Письмо {i}")) for i in range(4)]
    assert len(set(tids)) == 4  # every mail is still stored as a ticket
    desk.ingest(make_mail(sender="other@x.example"))
    desk.flush()
    sink.wait_for(7)
    assert len(sink.to("ivan@shop-example.ru")) == 2
    assert len(sink.to("other@x.example")) == 1
    assert len(sink.to("anna@example.com")) == 5  # staff see every one


def test_accepted_attachments_are_stored_once_by_hash(tmp_path, sink):
    import hashlib

    desk = Desk(tmp_path, sink.port)
    gif = (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00"
        b"\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )
    for i in range(2):
        desk.ingest(make_mail(subject=f"Скрин {i}", attachments=[("a.gif", "image/gif", gif)]))
    h = hashlib.sha256(gif).hexdigest()
    stored = list((tmp_path / "data" / "attachments").rglob("*"))
    files = [p for p in stored if p.is_file()]
    assert [p.name for p in files] == [h]
    assert files[0].read_bytes() == gif
