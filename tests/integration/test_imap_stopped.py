"""A `maild serve` stopped in the middle of a move (killed, the host restarted), against
a real Dovecot that has no MOVE: the next one finishes the move. Killed after the UID
COPY and before the flags, the message was fetched again (kept once, by Message-ID)
and copied again: processed_folder held it twice. Killed after STORE \\Deleted and
before UID EXPUNGE, it stayed in the folder for ever (rounds take NOT DELETED) (audit
"crashpoints2"). The stop is the poller's process ending at that IMAP command: the
command before it reached the server, it never goes; the next poller is a new one,
with no memory of the first."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import pytest

from maild.adapters.imap import PROCESSED_KEYWORD, ImapPoller
from maild.adapters.imapmove import MOVING_KEYWORD
from tests.dovecot import append, messages
from tests.integration.test_imap import USER, Inbox, config, make_raw
from tests.integration.test_imap_unmoved import NEITHER, NO_MOVE, server  # noqa: F401 (fixture)


class Killed(BaseException):
    """The process ends here (as kill -9 would): nothing of maild's catches it."""


def killed_at(poller: ImapPoller, step: str, flag: bytes = b"") -> None:
    """The poller's process ends when its client would send `step` (with `flag`)."""
    poller._client = client = poller._connect()
    real = getattr(client, step)

    def ending(*args: Any, **kw: Any) -> Any:
        if not flag or flag in args[1]:
            raise Killed(step)
        return real(*args, **kw)

    setattr(client, step, ending)


def stopped_then_restarted(
    info: dict[str, Any],
    step: str,
    flag: bytes = b"",
    first_raw: bytes = b"",
    when: datetime | None = None,
) -> list[bytes]:
    """Three messages (the first `first_raw`, if given, its internal date `when`); the
    first poller killed at `step` of the first one's move; a new poller's rounds: what
    it delivered."""
    for n in (1, 2, 3):
        raw = first_raw if n == 1 and first_raw else make_raw(n)
        append(info, USER, raw, when=when if n == 1 else None)
    first = ImapPoller(config(info), Inbox())
    killed_at(first, step, flag)
    with pytest.raises(Killed):
        first.poll()
    first._drop()  # its connection ends with it
    inbox = Inbox()
    again = ImapPoller(config(info), inbox)
    try:
        again.poll()
        assert again.poll() == 0
    finally:
        again.close()
    return inbox.raws


def in_processed(info: dict[str, Any]) -> list[bytes]:
    return sorted(m["raw"] for m in messages(info, USER, "Processed").values())


@pytest.mark.parametrize(
    "step, flag", [("add_flags", b"\\Deleted"), ("uid_expunge", b"")], ids=["copied", "deleted"]
)
def test_a_move_a_stopped_maild_began_is_finished_once(server, caplog, step, flag):  # noqa: F811
    """Killed after the COPY, or after \\Deleted: the new poller does not fetch that
    message again, processed_folder has each message once, and the folder is empty."""
    caplog.set_level(logging.INFO, logger="maild.imap")
    info = server(NO_MOVE).info()
    delivered = stopped_then_restarted(info, step, flag)
    assert delivered == [make_raw(2), make_raw(3)]  # the first was spooled before the kill
    assert in_processed(info) == [make_raw(n) for n in (1, 2, 3)]
    assert messages(info, USER, "INBOX") == {}
    said = "\n".join(r.getMessage() for r in caplog.records)
    if step == "uid_expunge":
        assert "moved to Processed by a maild that stopped before their UID EXPUNGE" in said
        assert "no longer waiting" not in said  # expunged: no move left to take up
    else:
        assert "(maild stopped during its move)" in said


def test_without_uidplus_a_copied_message_is_not_copied_again(server):  # noqa: F811
    """Killed after the COPY, before $MaildProcessed: flagged so now, in Processed once."""
    info = server(NEITHER).info()
    delivered = stopped_then_restarted(info, "add_flags", PROCESSED_KEYWORD)
    assert delivered == [make_raw(2), make_raw(3)]
    assert in_processed(info) == [make_raw(n) for n in (1, 2, 3)]
    left = messages(info, USER, "INBOX").values()
    assert len(left) == 3 and all(PROCESSED_KEYWORD in m["flags"] for m in left)


def test_a_message_a_human_flagged_deleted_is_left_alone(server):  # noqa: F811
    """The new poller expunges only what a maild moved: a message someone flagged
    \\Deleted in the folder stays there, not taken and not expunged."""
    info = server(NO_MOVE).info()
    doomed = append(info, USER, make_raw(9), flags=(b"\\Deleted",))
    stopped_then_restarted(info, "uid_expunge")
    assert list(messages(info, USER, "INBOX")) == [doomed]
    assert make_raw(9) not in in_processed(info)


def raw_8bit(n: int) -> bytes:
    """make_raw(n) with a Message-ID of UTF-8 bytes (as some mailers send it)."""
    return make_raw(n).replace(f"<msg{n}@".encode(), f"<м{n}@".encode())


def raw_without_id(n: int) -> bytes:
    return make_raw(n).replace(f"Message-ID: <msg{n}@example.org>\r\n".encode(), b"")


@pytest.mark.parametrize("raw", [raw_8bit(1), raw_without_id(1)], ids=["8bit", "no-id"])
@pytest.mark.parametrize("step, flag", [("copy", b""), ("add_flags", b"\\Deleted")])
def test_a_half_moved_message_of_any_header_is_in_processed_once(server, raw, step, flag):  # noqa: F811
    """Killed before or after the COPY of a message whose Message-ID is 8-bit bytes
    (its search by Message-ID raised UnicodeEncodeError: the round failed, the message
    was fetched and spooled again) or that has none (it was copied a second time): no
    round fails, it is not fetched again, Processed has it once."""
    info = server(NO_MOVE).info()
    delivered = stopped_then_restarted(info, step, flag, first_raw=raw)
    assert delivered == [make_raw(2), make_raw(3)]
    assert in_processed(info) == sorted([raw, make_raw(2), make_raw(3)])
    assert messages(info, USER, "INBOX") == {}


@pytest.mark.parametrize(
    "older, when",
    [(make_raw(1, subject="older copy"), None), (make_raw(1), datetime(2025, 3, 1, 9, 0))],
    ids=["other-mail", "same-bytes-earlier"],
)
def test_an_older_mail_of_its_message_id_in_processed_is_no_copy(server, older, when):  # noqa: F811
    """Processed holds an older mail under the same Message-ID (another mail, or the
    same bytes delivered earlier); a maild killed before the COPY: the message is
    copied, not expunged uncopied (it was: any mail of its Message-ID counted)."""
    info = server(NO_MOVE).info()
    append(info, USER, older, folder="Processed", when=when)
    delivered = stopped_then_restarted(info, "copy")
    assert delivered == [make_raw(2), make_raw(3)]
    assert in_processed(info) == sorted([older, *(make_raw(n) for n in (1, 2, 3))])
    assert messages(info, USER, "INBOX") == {}


WHEN = datetime(2026, 3, 1, 9, 0)


def test_another_mail_of_its_size_and_date_in_processed_is_no_copy(server):  # noqa: F811
    """A copy has the message's size, internal date and header bytes: a mail in
    Processed of the same size and internal date (two mails of one minute, one form)
    but another header is no copy, and a maild killed before the COPY copies it."""
    info = server(NO_MOVE).info()
    other = make_raw(1).replace(b"Subject: Help 1", b"Subject: Help 7")
    assert len(other) == len(make_raw(1)) and other != make_raw(1)
    append(info, USER, other, folder="Processed", when=WHEN)
    delivered = stopped_then_restarted(info, "copy", when=WHEN)
    assert delivered == [make_raw(2), make_raw(3)]
    assert in_processed(info) == sorted([other, *(make_raw(n) for n in (1, 2, 3))])
    assert messages(info, USER, "INBOX") == {}


def test_a_copy_flagged_deleted_in_processed_is_no_copy(server):  # noqa: F811
    """The very bytes and date in Processed, but flagged \\Deleted (someone deleted
    it there; the next EXPUNGE removes it): no copy, so the message is copied, not
    expunged uncopied and lost with it."""
    info = server(NO_MOVE).info()
    append(info, USER, make_raw(1), folder="Processed", flags=(b"\\Deleted",), when=WHEN)
    delivered = stopped_then_restarted(info, "copy", when=WHEN)
    assert delivered == [make_raw(2), make_raw(3)]
    kept = [
        m["raw"]
        for m in messages(info, USER, "Processed").values()
        if b"\\Deleted" not in m["flags"]
    ]
    assert sorted(kept) == [make_raw(n) for n in (1, 2, 3)]
    assert messages(info, USER, "INBOX") == {}


def test_a_move_finished_without_uidplus_is_no_half_move_at_the_next_start(server, caplog):  # noqa: F811
    """Without UIDPLUS a moved message stays in the folder, flagged $MaildProcessed (its
    $MaildMoving with it): the next `maild serve` takes it for no move left half done,
    so each start neither searches Processed for the copy of every message ever moved
    nor logs each as one."""
    caplog.set_level(logging.INFO, logger="maild.imap")
    info = server(NEITHER).info()
    for n in (1, 2):
        append(info, USER, make_raw(n))
    for _start in range(2):
        poller = ImapPoller(config(info), Inbox())
        try:
            poller.poll()
        finally:
            poller.close()
    said = "\n".join(r.getMessage() for r in caplog.records)
    assert "no longer waiting" not in said and "maild stopped" not in said, said
    assert in_processed(info) == [make_raw(1), make_raw(2)]


def test_without_uidplus_a_half_moved_message_flagged_deleted_holds_up_nothing(server):  # noqa: F811
    """A message a stopped maild began to move, then flagged \\Deleted by someone, on a
    server without UIDPLUS: no UID EXPUNGE is sent (an extension the server does not
    have), the message is left to its owner, and the mail after it is taken."""
    info = server(NEITHER).info()
    append(info, USER, make_raw(1), flags=(MOVING_KEYWORD, b"\\Deleted"))
    append(info, USER, make_raw(2))
    inbox = Inbox()
    poller = ImapPoller(config(info), inbox)
    try:
        poller.poll()
    finally:
        poller.close()
    assert inbox.raws == [make_raw(2)]
    assert [m["raw"] for m in messages(info, USER, "INBOX").values()][:1] == [make_raw(1)]
