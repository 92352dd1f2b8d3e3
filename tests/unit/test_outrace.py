"""outrace.settle: a mail withdrawn while the relay took it is recorded as sent, its
withdrawal undone, against a real outbox folder. The store's lock is the one part
stood in for: here it is busy for a pass, or not there at all."""

from __future__ import annotations

import contextlib
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from maild.adapters.outblock import Screen
from maild.adapters.outfile import EXT, pack, unpack
from maild.adapters.outqueue import OutQueue
from maild.adapters.outrace import settle
from maild.adapters.store.files import StoreUnavailable

NAME = "0123456789abcdef01234567"
META = {
    "id": NAME,
    "tid": "1234-5678",
    "kind": "started",
    "from": "Поддержка <support@example.com>",
    "sender": "support@example.com",
    "to": ["ivan@shop.example"],
    "subject": "[TID#1234-5678] Работа по обращению начата",
    "message_id": "<x@example.com>",
    "queued_at": "2026-12-06T10:00:00+03:00",
    "attempts": 0,
    "last_error": None,
    "next_try": None,
}
RAW = "Subject: [TID#1234-5678] Работа начата\n\nРабота по обращению начата.\n".encode()


class Lock:
    """The store's lock: busy while `busy`, else taken and given back."""

    def __init__(self) -> None:
        self.busy = False
        self.taken = 0

    @contextlib.contextmanager
    def __call__(self, _wait: float):
        if self.busy:
            raise StoreUnavailable("the store is locked by another process (a batch)")
        self.taken += 1
        yield


def _raced(tmp_path: Path) -> tuple[OutQueue, Path]:
    """An outbox whose last pass sent the mail that `block add` withdrew meanwhile."""
    queue = OutQueue(tmp_path)
    path = queue.sent / f"{NAME}{EXT}"
    path.write_bytes(pack({**META, "withdrawn": "blocked"}, RAW))
    queue.raced = [unpack(str(path), path.read_bytes())[0]]
    return queue, path


def _screen(lock: Lock, unnoted: list) -> Screen:
    return Screen(lambda: None, lock, lambda _mails, _why: None, unnoted.extend)


def test_a_mail_that_went_while_withdrawn_is_recorded_sent_with_its_text(tmp_path):
    """The relay took it, so it went: the record loses its "withdrawn" (the ticket,
    `block remove` and the site read it so), and keeps the rest of the file, the mail
    itself: `maild outbox show` shows what went."""
    queue, path = _raced(tmp_path)
    unnoted: list = []
    settle(queue, _screen(Lock(), unnoted))
    meta, raw = unpack(str(path), path.read_bytes())
    assert "withdrawn" not in meta and meta["message_id"] == META["message_id"]
    assert raw == RAW
    assert [(m["id"], why) for m, why in unnoted] == [(NAME, "blocked")]
    assert queue.raced == []


def test_a_mail_that_went_while_the_store_is_busy_is_recorded_sent_by_a_later_pass(
    tmp_path, caplog
):
    """A batch holds the store's lock past the wait: the mail is kept in memory and the
    next pass records it. Forgotten, its record stayed "withdrawn" for good: the site
    said «не отправлено» of mail the customer got, and `block remove` sent the
    «работа начата» it had already had a second time."""
    queue, path = _raced(tmp_path)
    lock, unnoted = Lock(), []
    lock.busy = True
    with caplog.at_level(logging.ERROR):
        settle(queue, _screen(lock, unnoted))
    assert unpack(str(path), path.read_bytes())[0]["withdrawn"] == "blocked"
    assert "the next pass tries" in caplog.text
    lock.busy = False
    settle(queue, _screen(lock, unnoted))
    assert "withdrawn" not in unpack(str(path), path.read_bytes())[0]
    assert [m["id"] for m, _why in unnoted] == [NAME]


def test_a_pass_that_found_no_mail_withdrawn_meanwhile_takes_no_lock(tmp_path, caplog):
    """The usual pass: nothing raced, so the store's lock is not waited for (a batch
    holding it would hold up the sender, and each pass log an error about nothing)."""
    queue, lock = OutQueue(tmp_path), Lock()
    lock.busy = True
    with caplog.at_level(logging.ERROR):
        settle(queue, _screen(lock, []))
    assert caplog.records == [] and queue.raced == []
    lock.busy = False
    settle(queue, _screen(lock, []))
    assert lock.taken == 0


def test_a_mail_moved_by_an_earlier_try_of_the_pass_is_no_race(tmp_path, caplog):
    """move_to_sent tried again after its sent log line failed (a full disk) finds the
    mail in sent/ already, never withdrawn: its file is left as it is, no thread's mark
    taken off, and no WARNING tells of a withdrawal that never was."""
    queue, path = _raced(tmp_path)
    path.write_bytes(pack(META, RAW))
    before, unnoted = path.read_bytes(), []
    with caplog.at_level(logging.INFO):
        settle(queue, _screen(Lock(), unnoted))
    assert path.read_bytes() == before and unnoted == [] and caplog.records == []


def test_a_mail_withdrawn_while_it_went_is_found_when_its_send_is_recorded(tmp_path):
    """The sender recording a mail the relay took finds its file in sent/ already,
    withdrawn meanwhile: it is named as raced, so settle records it as sent; left
    unnamed, the ticket would say the mail never went."""
    queue = OutQueue(tmp_path)
    (queue.queue / f"{NAME}{EXT}").write_bytes(pack(META, RAW))
    assert queue.withdraw(NAME, {"withdrawn": "blocked"})
    log = queue.open_sent_log()
    try:
        queue.move_to_sent(dict(META), datetime(2026, 12, 6, 10, 1, tzinfo=UTC), log)
    finally:
        os.close(log)
    assert [m["id"] for m in queue.raced] == [NAME]
    assert (queue.sent / f"{NAME}{EXT}").exists()


def test_a_sent_record_that_cannot_be_rewritten_is_tried_again_by_the_next_pass(tmp_path, caplog):
    """The store's disk fails (full, read-only) while the record is put right: the
    pass goes on (the sender is not stopped by it) and the mail waits for the next."""
    queue, path = _raced(tmp_path)
    unnoted: list = []

    class Failing(Lock):
        @contextlib.contextmanager
        def __call__(self, _wait: float):
            raise OSError(28, "No space left on device")
            yield

    with caplog.at_level(logging.ERROR):
        settle(queue, _screen(Failing(), unnoted))
    assert [m["id"] for m in queue.raced] == [NAME] and "the next pass tries" in caplog.text
    settle(queue, _screen(Lock(), unnoted))
    assert "withdrawn" not in unpack(str(path), path.read_bytes())[0]


def test_the_admin_is_told_of_each_mail_that_went_while_withdrawn(tmp_path, caplog):
    """One WARNING a mail: its Message-ID, ticket and recipients, and why it had been
    withdrawn (the admin who ran `block add` sees that the mail went after all)."""
    queue, _path = _raced(tmp_path)
    with caplog.at_level(logging.WARNING):
        settle(queue, _screen(Lock(), []))
    [record] = caplog.records
    said = record.getMessage()
    assert record.levelno == logging.WARNING and "<x@example.com> [TID#1234-5678]" in said
    assert "ivan@shop.example was withdrawn (blocked)" in said and "recorded as sent" in said
