"""FetchWatch's answers that no Dovecot gives on demand (the rest is
tests/integration/test_imap_unfetchable.py, against a real one): a FETCH that failed
for the server's or the connection's sake is not blamed on the message."""

from __future__ import annotations

import pytest
from imapclient import IMAPClient

from maild.adapters.imapfailures import ServerBye
from maild.adapters.imapfetch import FetchWatch, Unfetchable
from maild.configtypes import ImapConfig

CFG = ImapConfig(
    host="imap.example.com",
    port=993,
    ssl=True,
    starttls=False,
    verify_tls=True,
    username="support@example.com",
    password="pw",
    folder="INBOX",
    processed_folder="Processed",
    poll_interval=60,
)


class Failing:
    """A client whose every FETCH raises `error`."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def fetch(self, uids: list[int], items: list[bytes]) -> dict:
        raise self.error


@pytest.mark.parametrize(
    "error",
    [
        # RFC 5530: the server is down or busy for a while, for every message
        IMAPClient.Error("fetch failed: [UNAVAILABLE] Internal server error, try later"),
        IMAPClient.AbortError("command: FETCH => socket error: EOF"),
    ],
    ids=["unavailable", "eof"],
)
def test_a_failure_of_the_server_or_the_connection_is_no_failure_of_the_message(error):
    told: list[object] = []
    watch = FetchWatch(CFG, told.append, retry=300)
    with pytest.raises(type(error)):
        watch.fetch(Failing(error), 5)  # type: ignore[arg-type]
    assert watch.failing == {} and told == []
    assert watch.order([5, 6], 1) == [5, 6]  # taken in the next round as ever


def test_a_message_that_keeps_failing_waits_its_turn_after_the_others():
    told: list[object] = []
    watch = FetchWatch(CFG, told.append, retry=0)
    no = IMAPClient.Error("fetch failed: Some messages could not be FETCHed (Failure)")
    assert watch.fetch(Failing(no), 5) is None  # type: ignore[arg-type]
    assert told == []  # once may be a passing fault
    assert watch.order([5, 6, 7], 1) == [6, 7, 5]
    assert watch.fetch(Failing(no), 5) is None  # type: ignore[arg-type]
    [note] = told
    assert note["uid"] == 5 and note["answer"] == "Some messages could not be FETCHed (Failure)"
    assert watch.order([6, 7], 1) == [6, 7]  # moved or deleted by someone: forgotten
    assert told[-1] is None


def test_a_bye_is_blamed_on_the_message_only_when_the_next_connection_ends_the_same_way():
    told: list[object] = []
    watch = FetchWatch(CFG, told.append, retry=300)
    bye = IMAPClient.AbortError("command: FETCH => Server shutting down.")
    with pytest.raises(ServerBye, match="FETCH of UID 5: Server shutting down."):
        watch.fetch(Failing(bye), 5)  # type: ignore[arg-type]  # a restart, a kick?
    assert watch.failing == {} and watch.order([5, 6], 1) == [6, 5]  # the others first
    with pytest.raises(Unfetchable):  # again on the new connection: the message's
        watch.fetch(Failing(bye), 5)  # type: ignore[arg-type]
    assert list(watch.failing) == [5] and watch.failing[5].tries == 1
    assert watch.order([5, 6], 1) == [6] and told == []


def test_several_suspects_are_each_fetched_again_after_the_newer_mail():
    """Several messages ended a connection with BYE in turn: each is fetched again
    after the newer mail, and blamed when it ends the next one too (one suspect
    at a time, the newer mail held behind each: a doubling back-off per message)."""
    watch = FetchWatch(CFG, None, retry=300)
    bye = IMAPClient.AbortError("command: FETCH => FETCH failed: Internal error occurred.")
    for uid in (1, 2, 3):
        assert watch.order([1, 2, 3, 9], 1)[0] == uid
        with pytest.raises(ServerBye):
            watch.fetch(Failing(bye), uid)  # type: ignore[arg-type]
    assert watch.order([1, 2, 3, 9], 1) == [9, 1, 2, 3]
    for uid in (1, 2, 3):
        with pytest.raises(Unfetchable):
            watch.fetch(Failing(bye), uid)  # type: ignore[arg-type]
    assert watch.suspects == set() and watch.order([1, 2, 3, 9, 10], 1) == [9, 10]
