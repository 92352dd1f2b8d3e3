"""outstale.current: the sender's look at deadline mail before a pass sends, against a
real outbox folder; whether a deadline waits (App: the ticket as stored) and the
store's lock are stood in for, as they answer in a race or on a failing disk."""

from __future__ import annotations

import contextlib
import errno
import logging
from pathlib import Path

import pytest

from maild.adapters.outfile import EXT, pack, unpack
from maild.adapters.outqueue import OutQueue
from maild.adapters.outstale import current
from maild.adapters.outwithdraw import Reason, Section, withdraw

NAME = "0123456789abcdef01234567"
TID, DUE = "1234-5678", "2026-12-07T10:00:00+03:00"
META = {
    "id": NAME,
    "tid": TID,
    "kind": "reminder",
    "from": "Поддержка <support@example.com>",
    "sender": "support@example.com",
    "to": ["anna@example.com"],
    "subject": f"[TID#{TID}] Напоминание",
    "message_id": "<x@example.com>",
    "queued_at": "2026-12-06T10:00:00+03:00",
    "attempts": 0,
    "last_error": None,
    "next_try": None,
    "about_due": DUE,
}


def _queued(tmp_path: Path) -> OutQueue:
    queue = OutQueue(tmp_path)
    (queue.queue / f"{NAME}{EXT}").write_bytes(pack(META, b"Subject: x\n\ntext\n"))
    return queue


def _section(taken: list[str]) -> Section:
    @contextlib.contextmanager
    def locked():
        taken.append("lock")
        yield

    return Section(locked, lambda mails, why: taken.extend(m["id"] for m in mails))


def test_a_reminder_whose_deadline_waits_again_under_the_lock_goes(tmp_path):
    """Read without the lock, the ticket looked answered; read again under it (a
    reply or a #reopen came between), its deadline waits: the reminder goes, it is
    neither withdrawn nor marked on the thread. Withdrawn on the first look, staff
    would not be reminded of a customer who is waiting."""
    queue, taken = _queued(tmp_path), []
    looks = iter([False, True])
    assert current(queue, [META], lambda _tid, _due: next(looks), _section(taken)) == [META]
    assert taken == ["lock"]  # read again there, nothing withdrawn nor noted
    assert (queue.queue / f"{NAME}{EXT}").exists()
    assert not (queue.sent / f"{NAME}{EXT}").exists()


def test_a_reminder_whose_ticket_the_disk_cannot_read_goes_as_it_is(tmp_path):
    """A ticket file the disk fails to give (EIO: an OSError, not a corrupt file):
    whether its deadline waits cannot be told, so its reminder goes; the pass goes on
    with every other mail, where an escaping error stopped it sending any."""
    queue, taken = _queued(tmp_path), []

    def pending(_tid: str, _due: str) -> bool:
        raise OSError(errno.EIO, "Input/output error")

    other = {**META, "id": "f" * 24, "about_due": None, "kind": "confirmation"}
    assert current(queue, [META, other], pending, _section(taken)) == [META, other]
    assert taken == []  # nothing looked stale: no lock taken


@pytest.mark.parametrize(("tickets", "named", "more"), [(5, 5, ""), (7, 5, " and 2 more")])
def test_a_stale_lists_log_line_names_five_tickets_and_counts_the_rest(
    tmp_path, caplog, tickets, named, more
):
    """A list of staff's tickets, none of whose deadlines waits: withdrawn, its log line
    names five TIDs and counts the rest (a list of hundreds is one short line), and says
    «and N more» only when there are more."""
    tids = [f"{n:04}-0000" for n in range(tickets)]
    listed = {**META, "tid": tids[0], "about_due": None, "about_dues": {t: [DUE] for t in tids}}
    queue, taken = _queued(tmp_path), []
    with caplog.at_level(logging.INFO, logger="maild.outbox"):
        assert current(queue, [listed], lambda _tid, _due: False, _section(taken)) == []
    [line] = [r.getMessage() for r in caplog.records if "withdrawn, not sent" in r.getMessage()]
    names = ", ".join(f"[TID#{t}]" for t in tids[:named])
    assert line.endswith(f"none of the deadlines of the tickets it lists ({names}{more}) "
                         "waits for staff)")  # fmt: skip


def test_a_mail_sent_before_the_section_is_marked_withdrawn_on_no_thread(tmp_path):
    """The pass read the reminder queued; by the time it holds the lock an earlier
    pass has sent it (it is in sent/, not queued): it is not sent again by this pass,
    and its thread is not marked «withdrawn, not sent» for a mail the customer or
    staff member did receive."""
    queue, taken = OutQueue(tmp_path), []
    (queue.sent / f"{NAME}{EXT}").write_bytes(pack(META, b"Subject: x\n\ntext\n"))
    reason = Reason("stale", "reminders", lambda _meta: "answered")
    assert withdraw(queue, [META], reason, _section(taken)) == {NAME}
    assert taken == ["lock"]  # nothing noted on the thread
    assert (
        "withdrawn"
        not in unpack(str(queue.sent / f"{NAME}{EXT}"), (queue.sent / f"{NAME}{EXT}").read_bytes())[
            0
        ]
    )


def test_a_disk_error_in_the_section_withdraws_none_and_sends_none(tmp_path, caplog):
    """A thread the disk fails to give when the withdrawal is marked on it (EIO, an
    OSError and no StoreUnavailable): the section's writes are discarded, none of the
    mails is sent by this pass, and the pass goes on with the rest of the queue (one
    ERROR line), where an escaping error ended the whole pass, every other mail
    held back with it, at every pass while the disk fails."""
    queue = _queued(tmp_path)

    def noted(_mails, _why):
        raise OSError(errno.EIO, "Input/output error")

    section = Section(contextlib.nullcontext, noted)
    reason = Reason("stale", "reminders", lambda _meta: "answered")
    with caplog.at_level(logging.ERROR, logger="maild.outbox"):
        assert withdraw(queue, [META], reason, section) == {NAME}
    assert "1 reminders not sent, withdrawn by a later pass" in caplog.text
