"""A file maild may not read holds back only the mail that needs it: a message in
spool/new that cannot be read (root copied it in: mode 0600, root's; a directory in
its place) or the Message-ID index entry a message needs. The other mail is
processed; that one waits in spool/new (the environment's fault: never counted,
never shunted) and is processed once the file is mended; `maild fsck` names the
file and what to do, `--repair` rebuilds the rest around it. Before, such a file
paused all processing (mail was answered 250 and never became a ticket), and fsck
said nothing was wrong, or stopped with exit 78. Through the real CLI and a real
`maild serve`; a directory stands in for the unreadable file (chmod does not stop
root)."""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path

from tests.helpers import Daemon, Desk, make_mail, serve_until_spool_empty


def _data(desk: Desk) -> Path:
    return desk.root / "data"


def _spool(desk: Desk, raw: bytes, ns: int) -> str:
    """A message waiting in spool/new, as `maild ingest` or the listener leave it."""
    key = f"{ns}.P1Q{ns % 1000}.host"
    (_data(desk) / "spool" / "new" / key).write_bytes(raw)
    return key


def _serve_until(desk: Desk, tickets: int, timeout: float = 20) -> str:
    """`maild serve` until `tickets` tickets exist (or the timeout); its log."""
    daemon = Daemon(desk).start()
    try:
        deadline = time.monotonic() + timeout
        while len(desk.tickets()) < tickets and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # (a pause it would log meanwhile)
    finally:
        assert daemon.stop() == 0
    return daemon.logtext()


def _others(desk: Desk, start: int) -> list[bytes]:
    mails = [make_mail(sender=f"s{n}@shop.example", msgid=f"<s{n}@c.example>") for n in range(3)]
    for n, raw in enumerate(mails):
        _spool(desk, raw, start + n)
    return mails


def test_a_spooled_message_maild_cannot_read_holds_back_only_itself(desk):
    desk.ingest(make_mail(msgid="<first@c.example>"))
    now = time.time_ns()
    restored = make_mail(sender="r@shop.example", msgid="<restored@c.example>")
    key = _spool(desk, restored, now - 10_000)  # the oldest: met first
    path = _data(desk) / "spool" / "new" / key
    path.unlink()
    path.mkdir()  # maild cannot read it
    _others(desk, now)
    log = _serve_until(desk, 4)
    assert len(desk.tickets()) == 4, log  # the later mail became tickets
    assert "processing paused" not in log
    assert f"spool {key}: waits until the file is mended" in log and str(path) in log
    assert path.is_dir()  # it waits where it was: not shunted, no attempt counted
    assert not (_data(desk) / "spool" / "bad" / key).exists()
    assert not (_data(desk) / "spool" / "attempts" / key).exists()
    status = desk.run("status")
    assert f"cannot read {path}" in status.out, status.out
    assert "processing paused" not in status.out
    for args in (("fsck",), ("fsck", "--repair")):
        r = desk.run(*args)
        assert r.code == 1, r.out + r.err
        assert r.out.splitlines()[0].startswith(f"spool/new/{key}: unreadable by "), r.out
        assert "a directory is in its place" in r.out
    # mended: the next serve processes it
    path.rmdir()
    path.write_bytes(restored)
    _serve_until(desk, 5)
    assert "r@shop.example" in {t["requester"] for t in desk.tickets()}
    assert desk.run("fsck").code == 0


def _index_file(desk: Desk, key: str) -> Path:
    h = hashlib.sha1(key.encode()).hexdigest()
    return _data(desk) / "index" / "msgid" / h[:2] / h


def test_an_unreadable_message_id_entry_holds_back_only_its_mail(desk):
    first = make_mail(msgid="<first@c.example>")
    tid = desk.ingest_tid(first)
    second = desk.ingest_tid(make_mail(sender="b@shop.example", msgid="<second@c.example>"))
    entry = _index_file(desk, "<first@c.example>")
    entry.unlink()
    entry.mkdir()  # maild cannot read it
    missing = _index_file(desk, "<second@c.example>")
    missing.unlink()  # derived: --repair writes it again
    r = desk.ingest(first)  # redelivered: it waits, not a second ticket
    assert "deferred" in r.out
    _others(desk, time.time_ns())
    log = _serve_until(desk, 5)
    assert len(desk.tickets()) == 5, log  # the three others, not the redelivery
    assert "processing paused" not in log and str(entry) in log
    assert len(list((_data(desk) / "spool" / "new").iterdir())) == 1  # the redelivery
    r = desk.run("fsck")
    assert r.code == 1, r.out + r.err
    assert f"index/msgid/{entry.parent.name}/{entry.name}: unreadable by " in r.out
    r = desk.run("fsck", "--repair")  # the index is rebuilt around it
    assert r.code == 1, r.out + r.err
    assert f"Message-ID index of a message in {second}: missing" in r.out
    assert missing.read_bytes() == second.encode()
    assert entry.is_dir()  # not maild's to remove: fsck says what to do
    shutil.rmtree(entry)
    assert desk.run("fsck", "--repair").code == 0
    assert entry.read_bytes() == tid.encode()
    serve_until_spool_empty(desk)  # the redelivery is processed: a duplicate
    assert len(desk.tickets()) == 5
    assert not list((_data(desk) / "spool" / "new").iterdir())
