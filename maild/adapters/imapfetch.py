"""One message of the polled mailbox, as maild takes it: whole, or, over
imap.max_message_size, its header and a note (domain/oversize.py). BODY.PEEK: the
server never marks it seen for us.

A message the server cannot give must not hold up the mail after it. Dovecot answers
the FETCH of a file it cannot read with "NO [SERVERBUG] Internal error" or (its default
imap_fetch_failure) with BYE and a closed connection; Gmail with "NO Some messages could
not be FETCHed". FetchWatch leaves such a message in the folder untouched, lets the
round take the rest, and tries it again every `retry` seconds, after the round's other
mail (the fault may pass: a server's error, not the message's). Its first failure is
logged at ERROR with its UID and the server's answer, later ones at INFO; once one has
failed twice, `maild status` is told, until it is fetched or gone from the folder.

A BYE alone does not say whose fault it is: a server that restarts, an admin's
`doveadm kick` or the server's idle timeout also end the connection with BYE, and it
is the next command, often a FETCH, that reads it. So a message is blamed for a BYE
only when the FETCH of it is answered with BYE again on the next connection (or when
it already failed); the first time the connection just ended (FetchBye), and the next
round fetches the message as ever, after the others: the poller reconnects at once,
with no back-off, so a few broken messages cost a reconnect each (about 1 s), and the
new mail after them is taken first.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from imapclient import IMAPClient

from maild.adapters.imapfailures import TEMPORARY, ServerBye, server_text, tell
from maild.configtypes import ImapConfig
from maild.domain.logid import log_time
from maild.domain.oversize import stand_in

log = logging.getLogger("maild.imap")

FETCH_RETRY = 300.0  # seconds between tries of a message the server failed to give
# {"since", "folder", "uid", "answer", "retry", "count", "pid"}: the oldest of `count`
# messages that failed more than once
Unfetched = dict[str, object]


def fetch_message(client: IMAPClient, uid: int, cfg: ImapConfig) -> bytes | None:
    """The message `uid` as maild takes it; None when it is gone (expunged by someone
    else since the SEARCH)."""
    limit = cfg.max_message_size
    size = client.fetch([uid], [b"RFC822.SIZE"]).get(uid, {}).get(b"RFC822.SIZE")
    if size is not None and size > limit:
        data = client.fetch([uid], [b"BODY.PEEK[HEADER]"]).get(uid)
        if data is None or b"BODY[HEADER]" not in data:
            return None
        log.warning(
            "imap: UID %d is %d bytes, over imap.max_message_size (%d): taken as its "
            "header and a note, the mail stays in %s",
            uid, size, limit, cfg.processed_folder,
        )  # fmt: skip
        return stand_in(data[b"BODY[HEADER]"], size, limit, cfg.processed_folder)
    data = client.fetch([uid], [b"BODY.PEEK[]"]).get(uid)
    return None if data is None or b"BODY[]" not in data else data[b"BODY[]"]


class FetchBye(ServerBye):
    """The server ended the connection (BYE) in answer to the FETCH of message `uid`,
    the first time: maybe a restart; the message is a suspect, fetched after the others
    in the next round."""


class Unfetchable(Exception):
    """The server ended the connection (BYE) in answer to the FETCH of message `uid`,
    and did so before: the poller reconnects, and the next round passes the message by."""

    def __init__(self, uid: int, answer: str) -> None:
        super().__init__(f"UID {uid} cannot be fetched: {answer}")
        self.uid = uid


@dataclass
class _Failing:
    since: str  # ISO time of its first failure
    answer: str  # the server's latest answer
    tries: int
    due: float  # time.monotonic() of its next try


class FetchWatch:
    """The messages of the folder the server failed to give: which to try when, what
    to log, and what `unfetched` (maild status) is told."""

    def __init__(
        self,
        cfg: ImapConfig,
        unfetched: Callable[[Unfetched | None], None] | None,
        retry: float = FETCH_RETRY,
    ) -> None:
        self.cfg = cfg
        self.unfetched = unfetched
        self.retry = retry
        self.failing: dict[int, _Failing] = {}
        # the UIDs whose FETCH the server answered with BYE once, not fetched since
        self.suspects: set[int] = set()
        self.uidvalidity: int | None = None  # the folder's, that these UIDs are of
        self._told: Unfetched | None = None

    def order(self, uids: list[int], uidvalidity: int | None) -> list[int]:
        """What a round takes of `uids` (sorted): the messages not failing, in UID order,
        then the suspects, then the failing ones whose try is due; so a server that
        closes the connection over one has given the others first. A failing UID not among `uids` is
        forgotten: someone moved or deleted the message; all are when the folder's
        UIDVALIDITY changed (its UIDs name other messages now)."""
        if uidvalidity != self.uidvalidity:
            if self.uidvalidity is not None and (self.failing or self.suspects):
                log.info(
                    "imap: the UIDVALIDITY of %s changed: %d message(s) the server could "
                    "not give are not known by their UIDs any more",
                    self.cfg.folder, len(self.failing),
                )  # fmt: skip
                self.failing.clear()
                self.suspects.clear()
            self.uidvalidity = uidvalidity
        present = set(uids)
        self.suspects &= present
        for uid in [u for u in self.failing if u not in present]:
            since = self.failing.pop(uid).since
            log.info(
                "imap: UID %d, which the server could not give since %s, is no longer in %s",
                uid, log_time(since), self.cfg.folder,
            )  # fmt: skip
        now = time.monotonic()
        due = [u for u in uids if u in self.failing and self.failing[u].due <= now]
        self._tell()
        later = self.suspects.union(self.failing)
        return [u for u in uids if u not in later] + sorted(self.suspects) + due

    def fetch(self, client: IMAPClient, uid: int) -> bytes | None:
        """fetch_message(); None also when the server refused it (logged, tried again
        in `retry` s). Raises Unfetchable when the server closed the connection over it
        again, FetchBye the first time; a broken connection, or a server down for all
        its mail, raises as it is."""
        try:
            raw = fetch_message(client, uid, self.cfg)
        except IMAPClient.AbortError as e:
            # imaplib: "command: FETCH => " and the server's BYE, or "socket error: ..."
            answer = server_text(e).split(" => ", 1)[-1]
            if answer.startswith("socket error"):
                raise  # the connection failed, not this message
            if uid not in self.suspects and uid not in self.failing:
                # maybe a restart, a kick or an idle timeout that this FETCH only read:
                # the next connection tells (a failing message has shown it is its own)
                self.suspects.add(uid)
                raise FetchBye(
                    f"the server said BYE in answer to the FETCH of UID {uid}: {answer}"
                ) from e
            self.suspects.discard(uid)
            self._failed(uid, f"BYE {answer} (the server closed the connection)")
            raise Unfetchable(uid, answer) from e
        except IMAPClient.Error as e:  # a tagged NO or BAD: the connection is fine
            answer = server_text(e).removeprefix("fetch failed: ")
            if answer.upper().startswith(TEMPORARY):
                raise  # (RFC 5530) the server is busy or down for a while, for every message
            self._failed(uid, answer)
            return None
        self.suspects.discard(uid)  # given now: that BYE was the connection's end, no more
        if raw is None:
            log.info(
                "imap: UID %d left %s between the SEARCH and its FETCH (someone else moved "
                "or deleted it): nothing of it is taken",
                uid, self.cfg.folder,
            )  # fmt: skip
            return None
        if uid in self.failing:
            since = self.failing.pop(uid).since
            log.info(
                "imap: UID %d in %s could be fetched now (the server could not give it "
                "since %s)",
                uid, self.cfg.folder, log_time(since),
            )  # fmt: skip
            self._tell()
        return raw

    def pause(self, seconds: float) -> float:
        """`seconds`, or less: the time left to the next try of a failing message."""
        now = time.monotonic()
        return max(0.0, min([seconds, *(f.due - now for f in self.failing.values())]))

    def _failed(self, uid: int, answer: str) -> None:
        failing = self.failing.get(uid)
        folder = self.cfg.folder
        if failing is None:
            failing = self.failing[uid] = _Failing(datetime.now(UTC).isoformat(), answer, 0, 0)
            log.error(
                "imap: UID %d in %s cannot be fetched: the server answers: %s; it stays "
                "there untouched, the mail after it is taken, and it is tried again "
                "every %g s",
                uid, folder, answer, self.retry,
            )  # fmt: skip
        else:
            log.info(
                "imap: UID %d in %s still cannot be fetched (since %s): %s; next try in %g s",
                uid, folder, log_time(failing.since), answer, self.retry,
            )  # fmt: skip
        failing.answer, failing.tries = answer, failing.tries + 1
        failing.due = time.monotonic() + self.retry
        self._tell()

    def _tell(self) -> None:
        """Tell `unfetched` of the oldest message that failed more than once (a
        passing fault of the server is not worth a degraded status), or None."""
        stuck = {uid: f for uid, f in self.failing.items() if f.tries > 1}
        record = None
        if stuck:
            uid = min(stuck, key=lambda u: (stuck[u].since, u))
            record = {
                "since": stuck[uid].since,
                "folder": self.cfg.folder,
                "uid": uid,
                "answer": stuck[uid].answer,
                "retry": self.retry,
                "count": len(stuck),
                "pid": os.getpid(),
            }
        if record != self._told:
            self._told = record
            tell(self.unfetched, "the mail the server cannot give", record)
