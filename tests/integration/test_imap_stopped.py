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
from typing import Any

import pytest

from maild.adapters.imap import PROCESSED_KEYWORD, ImapPoller
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


def stopped_then_restarted(info: dict[str, Any], step: str, flag: bytes = b"") -> list[bytes]:
    """Three messages; the first poller killed at `step` of the first one's move; a new
    poller's rounds: what it delivered."""
    for n in (1, 2, 3):
        append(info, USER, make_raw(n))
    first = ImapPoller(config(info), Inbox())
    killed_at(first, step, flag)
    with pytest.raises(Killed):
        first.poll_once()
    first._drop()  # its connection ends with it
    inbox = Inbox()
    again = ImapPoller(config(info), inbox)
    try:
        again.poll_once()
        assert again.poll_once() == 0
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
