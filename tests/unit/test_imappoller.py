"""ImapPoller's rules between rounds and in IDLE that no Dovecot shows on demand (the
rounds themselves, against a real one: tests/integration/test_imap*.py)."""

from __future__ import annotations

import threading
from dataclasses import replace

from maild.adapters.imap import MIN_POLL_INTERVAL, DeliveryError, ImapPoller
from tests.unit.test_imapfetch import CFG


class Stop:
    """A stop event that records each wait of run() and is set after `waits` of them."""

    def __init__(self, waits: int) -> None:
        self.waits: list[float] = []
        self.left = waits

    def is_set(self) -> bool:
        return self.left <= 0

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        self.left -= 1
        return self.is_set()


def test_a_new_outage_after_a_good_round_is_retried_after_a_second_again():
    """The server was out of reach for a while (1, 2, 4 s between tries), then answered
    rounds with no new mail for hours, then went down again: the first retry of the new
    outage comes after 1 s, not after the back-off the old outage had grown to."""
    answers: list[Exception | int] = [OSError("down")] * 3 + [0, OSError("down again")]

    def poll(stop: object = None) -> int:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    poller = ImapPoller(CFG, lambda raw: None)
    poller.poll = poll  # type: ignore[method-assign]
    stop = Stop(5)
    poller.run(stop)  # type: ignore[arg-type]
    assert stop.waits == [1, 2, 4, CFG.poll_interval, 1]


class NoUidnext:
    """A client whose SELECT answers no UIDNEXT (RFC 3501 asks for it; not every server)."""

    def select_folder(self, folder: str) -> dict[bytes, object]:
        return {b"EXISTS": 3}


def test_without_uidnext_a_round_that_took_mail_is_followed_by_another_at_once():
    """Mail the server announced during a round (with our MOVE) is never announced
    again in IDLE: with no UIDNEXT to tell, the poller polls again at once after a
    round that took mail, and only an empty round lets it wait."""
    poller = ImapPoller(CFG, lambda raw: None)
    poller._client = NoUidnext()  # type: ignore[assignment]
    assert poller._new_mail_pending(2) and not poller._new_mail_pending(0)


class DeadIdle:
    """A client whose connection died in IDLE: imapclient swallows the EOF, and each
    idle_check answers nothing at once."""

    def __init__(self) -> None:
        self.checks = 0
        self.done = False

    def idle(self) -> None:
        pass

    def idle_check(self, timeout: float) -> list[object]:
        self.checks += 1
        return []

    def idle_done(self) -> None:
        self.done = True


def test_an_idle_whose_connection_died_is_left_at_once_not_at_idle_timeout():
    """Leaving the IDLE makes the dead connection raise, so run() reconnects; spinning
    on it until idle_timeout (5 min in the daemon) would leave new mail there as long."""
    poller = ImapPoller(CFG, lambda raw: None, idle_timeout=0.5)
    client = poller._client = DeadIdle()  # type: ignore[assignment]
    poller._idle(threading.Event())
    assert client.checks == 1 and client.done


def test_a_failing_message_someone_deleted_is_no_stall_once_a_round_goes_well():
    """The spool refused a message (status: mail waits on the server), then staff
    deleted it: the next round delivers nothing and goes well, and status no longer
    says that mail waits."""
    stalls: list[object] = []
    poller = ImapPoller(CFG, lambda raw: None, stalled=stalls.append)
    rounds = iter([True, False])

    def poll(stop: object = None) -> int:
        if next(rounds):
            poller.delivery.failed(5, OSError(28, "No space left on device"))
            raise DeliveryError(5, 0, OSError(28, "No space left on device"))
        return 0

    poller.poll = poll  # type: ignore[method-assign]
    poller.run(Stop(2))  # type: ignore[arg-type]
    assert isinstance(stalls[0], dict) and stalls[-1] is None


def test_a_poll_interval_of_zero_does_not_poll_in_a_busy_loop():
    poller = ImapPoller(replace(CFG, poll_interval=0), lambda raw: None)
    poller.poll = lambda stop=None: 0  # type: ignore[method-assign]
    stop = Stop(2)
    poller.run(stop)  # type: ignore[arg-type]
    assert stop.waits == [MIN_POLL_INTERVAL] * 2


def test_a_spool_that_keeps_failing_is_no_lost_contact_with_the_server():
    """deliver() fails round after round (the spool's disk is full) while the server
    answers every round: each is contact with the server, so after 15 min `maild status`
    blames the spool, not the mailbox server."""
    contacts: list[int] = []
    poller = ImapPoller(CFG, lambda raw: None, contact=lambda: contacts.append(1))

    def poll(stop: object = None) -> int:
        raise DeliveryError(5, 0, OSError(28, "No space left on device"))

    poller.poll = poll  # type: ignore[method-assign]
    poller.run(Stop(3))  # type: ignore[arg-type]
    assert len(contacts) == 3
