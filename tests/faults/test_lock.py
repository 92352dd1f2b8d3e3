"""The store lock cannot be lost by deleting a file: the lock is a flock of the
storage directory. The lock file is deleted over and over while `maild serve`
(SMTP) and `maild ingest` processes add replies to one ticket: none is lost."""

from __future__ import annotations

import smtplib
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from tests import zygote
from tests.helpers import ROOT, Daemon, Desk, free_port, make_mail

SMTP_REPLIES, INGEST_REPLIES = 105, 15


def mails_in(desk: Desk, tid: str) -> list[dict]:
    """The ticket's records of mail that came in (with a Message-ID); not the notes
    maild adds itself, such as the one saying the fast-replying sender is a robot."""
    return [m for m in desk.ticket(tid)["messages"] if m["direction"] == "in" and m["message_id"]]


def test_deleting_the_lock_file_loses_no_update(tmp_path, sink):
    port = free_port()
    desk = Desk(tmp_path, sink.port, smtp={"listen": f"127.0.0.1:{port}"})
    tid = desk.ingest_tid(make_mail(msgid="<first@c.example>"))
    lock = tmp_path / "data" / "lock"
    stop = threading.Event()
    deleted = 0

    def delete_lock() -> None:
        nonlocal deleted
        while not stop.is_set():
            try:
                lock.unlink()
                deleted += 1
            except FileNotFoundError:
                pass
            time.sleep(0.001)

    def reply(n: int) -> bytes:
        return make_mail(subject=f"Re: [TID#{tid}] ответ {n}", msgid=f"<r{n}@c.example>")

    def ingest(n: int) -> int:
        # as postfix's pipe starts it: an environment of its own (a zygote of its own)
        env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
        argv = ["--config", str(desk.config), "ingest", "-"]
        return zygote.run("maild", argv, env, input=reply(n), own_zygote=True).returncode

    def smtp(first: int) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as c:
            for n in range(first, first + SMTP_REPLIES // 3):
                c.sendmail("ivan@shop-example.ru", ["support@example.com"], reply(n))

    daemon = Daemon(desk).start()
    deleter = threading.Thread(target=delete_lock)
    deleter.start()
    try:
        with ThreadPoolExecutor(6) as pool:
            codes = pool.map(ingest, range(1000, 1000 + INGEST_REPLIES))
            senders = [pool.submit(smtp, k * SMTP_REPLIES // 3) for k in range(3)]
            assert set(codes) == {0}
            for f in senders:
                f.result()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if len(mails_in(desk, tid)) >= 1 + SMTP_REPLIES + INGEST_REPLIES:
                break
            time.sleep(0.5)
    finally:
        stop.set()
        deleter.join()
        assert daemon.stop() == 0
    assert deleted > 10
    got = mails_in(desk, tid)
    assert len(got) == 1 + SMTP_REPLIES + INGEST_REPLIES  # 120/120 replies kept
    assert len({m["message_id"] for m in got}) == len(got)
    sent = [*range(SMTP_REPLIES), *range(1000, 1000 + INGEST_REPLIES)]
    want = {"<first@c.example>"} | {f"<r{n}@c.example>" for n in sent}
    assert {m["message_id"] for m in got} == want


def test_a_lock_file_damaged_to_a_number_of_thousands_of_figures_is_no_note(desk):
    """The lock file's note numbers the last section; one of 5,000 figures (damaged,
    or edited by hand) was more than int() reads: every mail failed in the pipeline
    and stayed in the spool, every command that writes a traceback. It is no note,
    as a lock file of other bytes is: the next section numbers itself from the clock."""
    tid = desk.ingest_tid(make_mail(msgid="<first@c.example>"))
    (desk.root / "data" / "lock").write_bytes(b"token\n" + b"9" * 5000 + b"\n.\n")
    r = desk.run("ingest", input=make_mail(subject=f"Re: [TID#{tid}] x", msgid="<r@c.example>"))
    assert r.code == 0 and "Traceback" not in r.err, r.err
    assert [m["message_id"] for m in mails_in(desk, tid)] == ["<first@c.example>", "<r@c.example>"]
