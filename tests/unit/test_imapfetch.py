"""FetchWatch's answers that no Dovecot gives on demand (the rest is
tests/integration/test_imap_unfetchable.py, against a real one): a FETCH that failed
for the server's or the connection's sake is not blamed on the message."""

from __future__ import annotations

import pytest
from imapclient import IMAPClient

from maild.adapters.imapfailures import ServerBye
from maild.adapters.imapfetch import FetchWatch, Unfetchable, fetch_message
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


class Giving:
    """A client that gives each FETCH `answer` (the server's items for the UID), and
    its size as `size`."""

    def __init__(self, answer: dict, size: int = 100) -> None:
        self.answer, self.size = answer, size

    def fetch(self, uids: list[int], items: list[bytes]) -> dict:
        if items == [b"RFC822.SIZE"]:
            return {u: {b"RFC822.SIZE": self.size} for u in uids}
        return {u: self.answer for u in uids}


def test_a_suspect_given_at_last_is_fetched_in_turn_again():
    """A BYE that the next FETCH of the message did not repeat was the connection's
    end (a restart): the message is no suspect any more, taken in UID order, and a
    later BYE over it is again first blamed on the connection."""
    watch = FetchWatch(CFG, None, retry=300)
    bye = IMAPClient.AbortError("command: FETCH => Server shutting down.")
    with pytest.raises(ServerBye):
        watch.fetch(Failing(bye), 5)  # type: ignore[arg-type]
    assert watch.fetch(Giving({b"BODY[]": b"mail"}), 5) == b"mail"  # type: ignore[arg-type]
    assert watch.order([5, 6], 1) == [5, 6]
    with pytest.raises(ServerBye) as caught:
        watch.fetch(Failing(bye), 5)  # type: ignore[arg-type]
    assert not isinstance(caught.value, Unfetchable) and watch.failing == {}


def test_a_folder_made_anew_keeps_no_suspect_of_the_old_one():
    """A new UIDVALIDITY: its UID 5 is another message, fetched in UID order, not
    after the others as the old UID 5 that a BYE answered."""
    watch = FetchWatch(CFG, None, retry=300)
    assert watch.order([5, 6], 1) == [5, 6]
    with pytest.raises(ServerBye):
        watch.fetch(Failing(IMAPClient.AbortError("command: FETCH => bye")), 5)  # type: ignore[arg-type]
    assert watch.order([5, 6], 2) == [5, 6] and watch.suspects == set()


def test_a_fetch_answered_without_the_message_is_a_message_gone():
    """Expunged by another client since the SEARCH, a message's FETCH may be answered
    without its body (only its FLAGS): it is gone (None), not a KeyError that fails
    the whole round; over imap.max_message_size, the same for its header."""
    flags_only = {b"FLAGS": (b"\\Deleted",)}
    assert fetch_message(Giving(flags_only), 5, CFG) is None  # type: ignore[arg-type]
    big = Giving(flags_only, size=CFG.max_message_size + 1)
    assert fetch_message(big, 5, CFG) is None  # type: ignore[arg-type]


def test_a_message_of_exactly_max_message_size_is_taken_whole():
    """imap.max_message_size is the largest mail taken whole: only one over it is
    taken as its header and a note."""
    whole = Giving({b"BODY[]": b"mail"}, size=CFG.max_message_size)
    assert fetch_message(whole, 5, CFG) == b"mail"  # type: ignore[arg-type]
