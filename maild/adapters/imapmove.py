"""Taking a delivered message out of the polled folder, and what holds when the server
will not let it go.

A message is moved to processed_folder only after deliver() returned: it is in the
spool then. The server may refuse the move for reasons of its own: the account is over
its quota (COPY answers NO [OVERQUOTA]), processed_folder is read-only or shared
without the right to write, its disk fails (Dovecot: NO [SERVERBUG]). Such a message
must neither be spooled again at every round (a 25 MB mail retried with the back-off
is gigabytes a day) nor hold up the mail after it. MoveWatch remembers it by the
folder's UIDVALIDITY and its UID: later rounds take the mail after it and never fetch
it again; its move alone is tried again every `retry` seconds, and at each start of
`maild serve` (this memory is the process's: a restart fetches it once more, and
ingest keeps it once, by Message-ID). Its first failure is logged at WARNING with its
UID, Message-ID and the server's answer, later ones at INFO; `unmoved` (maild status)
is told of the oldest one until none is left (moved, or gone from the folder).
A message someone else moved or deleted between its fetch and its move (the server
answers NO [EXPUNGEISSUED]) is no refusal: it is spooled and out of the folder, which
is logged at INFO.

The steps of a move are remembered: after a COPY that worked only the flags (and the
UID EXPUNGE) are tried again, so processed_folder never gets a second copy. A
connection that breaks during a move leaves the message remembered as spooled too:
the next round tries its move at once, without fetching it again.

That memory is the process's; the server keeps a mark too. Without MOVE a spooled
message is flagged MOVING_KEYWORD before its COPY, so a `maild serve` stopped between
the steps (killed, the host restarted) leaves it marked: the first round on the folder
(a UIDVALIDITY not seen yet: `recall`) expunges a marked one flagged \\Deleted already
(its UID only: UIDPLUS; it stayed in the folder for ever, as rounds take NOT DELETED),
and goes on with the move of the others without fetching them again, with no second
COPY when processed_folder holds its copy (the copy made before the stop:
processed_folder got it twice): a message of the same size, internal date (COPY keeps
it) and header bytes (`_copied`). Never by its Message-ID alone: an older mail under it
in processed_folder would have the new one expunged uncopied, and a Message-ID of
8-bit bytes cannot be searched for as text.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from imapclient import IMAPClient

from maild.adapters.imapfailures import server_text, tell
from maild.adapters.imapsession import ensure_folder
from maild.configtypes import ImapConfig
from maild.domain.logid import log_time, message_id_for_log

log = logging.getLogger("maild.imap")

PROCESSED_KEYWORD = b"$MaildProcessed"
MOVING_KEYWORD = b"$MaildMoving"  # spooled, its move begun (a server without MOVE)
# RFC 5530: "some of the messages no longer exist" (expunged by another session)
GONE = "[EXPUNGEISSUED]"
MOVE_RETRY = 300.0  # seconds between tries of a move the server refused
# {"since", "folder", "processed_folder", "uid", "message_id", "answer", "retry",
# "count", "pid"}: the oldest of `count` spooled messages the server would not move
Unmoved = dict[str, object]
UNSEEN = -1  # no round yet: recall looks at the folder whatever its UIDVALIDITY


@dataclass
class _Stored:
    message_id: str
    since: str = ""  # ISO time of the first refusal; "" while none (a broken connection)
    answer: str = ""  # the server's latest answer
    copied: bool = False  # its COPY to processed_folder worked: only the flags are left
    due: float = 0.0  # time.monotonic() of its next try
    stopped: bool = False  # its move was begun by a `maild serve` that stopped (recall)


class MoveWatch:
    """The messages of the folder that are spooled but not moved yet: what a round
    takes, when their move is tried again, what to log and what `unmoved` is told."""

    def __init__(
        self,
        cfg: ImapConfig,
        unmoved: Callable[[Unmoved | None], None] | None,
        retry: float = MOVE_RETRY,
    ) -> None:
        self.cfg = cfg
        self.unmoved = unmoved
        self.retry = retry
        self.stored: dict[int, _Stored] = {}
        self.uidvalidity: int | None = UNSEEN  # the folder's, or None: it gave none
        self._told: Unmoved | None = None

    def recall(self, client: IMAPClient, caps: frozenset[bytes], uidvalidity: int | None) -> None:
        """At a UIDVALIDITY of the folder not seen yet (the first round, or the folder's
        UIDs name other messages now): forget the UIDs remembered, and take up the moves
        a stopped `maild serve` left half done (the module's doc). It may SELECT the
        folder again."""
        if uidvalidity == self.uidvalidity:
            return
        if self.stored:
            log.info(
                "imap: the UIDVALIDITY of %s changed: %d message(s) spooled but not "
                "moved are not known by their UIDs any more",
                self.cfg.folder, len(self.stored),
            )  # fmt: skip
            self.stored.clear()
        self.uidvalidity = uidvalidity
        if b"MOVE" not in caps:
            for uid, (message_id, copied) in half_moved(client, self.cfg, caps).items():
                self.stored[uid] = _Stored(message_id, copied=copied, stopped=True)

    def order(self, uids: list[int], uidvalidity: int | None) -> tuple[list[int], list[int]]:
        """(the `uids` to fetch, the spooled ones whose move is due). A remembered UID
        not among `uids` is forgotten: someone moved or deleted the message; all are
        when the folder's UIDVALIDITY changed (its UIDs name other messages now)."""
        if uidvalidity != self.uidvalidity:
            self.stored.clear()
            self.uidvalidity = uidvalidity
        present = set(uids)
        for uid in [u for u in self.stored if u not in present]:
            gone = self.stored.pop(uid)
            log.info(
                "imap: UID %d (Message-ID %s), spooled but not moved, is no longer waiting "
                "in %s",
                uid, gone.message_id, self.cfg.folder,
            )  # fmt: skip
        self._tell()
        now = time.monotonic()
        due = [u for u in uids if u in self.stored and self.stored[u].due <= now]
        return [u for u in uids if u not in self.stored], due

    def move(self, client: IMAPClient, caps: frozenset[bytes], uid: int, message_id: str) -> bool:
        """Take the spooled message `uid` out of the folder; False when the server
        refused (logged, remembered, tried again in `retry` s). True also when the
        message is gone from the folder already (someone else moved or deleted it). A
        broken connection raises as it is, the message remembered as spooled."""
        stored = self.stored.get(uid) or _Stored(message_id)
        try:
            self._steps_or_recreate(client, caps, uid, stored)
        except IMAPClient.AbortError:
            self.stored[uid] = stored  # the connection failed, not the move: at once
            raise
        except IMAPClient.Error as e:  # a tagged NO or BAD: the connection is fine
            answer = _answer(e)
            if isinstance(e, Vanished) or GONE in answer.upper():
                self._gone(uid, stored, answer)
                return True
            self.stored[uid] = stored
            self._refused(uid, stored, answer)
            return False
        except OSError:
            self.stored[uid] = stored
            raise
        if uid in self.stored:
            del self.stored[uid]
            log.info(
                "imap: UID %d (Message-ID %s) is moved to %s now (%s)",
                uid, message_id, self.cfg.processed_folder,
                f"it could not be since {log_time(stored.since)}" if stored.since
                else "maild stopped during its move" if stored.stopped
                else "the connection broke during its move",
            )  # fmt: skip
            self._tell()
        return True

    def hold(self, batch: list[tuple[int, str]]) -> None:
        """Remember `batch` as spooled, their move not made (a round that ended first):
        the next round moves them at once, without fetching them again."""
        for uid, message_id in batch:
            self.stored.setdefault(uid, _Stored(message_id))

    def gone(self, uid: int, message_id: str, answer: str) -> None:
        """The spooled message `uid` left the folder before its move (_gone)."""
        self._gone(uid, self.stored.get(uid) or _Stored(message_id), answer)

    def retry_due(self, client: IMAPClient, caps: frozenset[bytes], uids: list[int]) -> None:
        """Try again the moves of the spooled messages `uids` (order()'s due ones)."""
        for uid in uids:
            self.move(client, caps, uid, self.stored[uid].message_id)

    def pause(self, seconds: float) -> float:
        """`seconds`, or less: the time left to the next try of a move."""
        now = time.monotonic()
        return max(0.0, min([seconds, *(s.due - now for s in self.stored.values())]))

    def _steps_or_recreate(
        self, client: IMAPClient, caps: frozenset[bytes], uid: int, s: _Stored
    ) -> None:
        """_steps(); once more at once when the server answered [TRYCREATE] (RFC 3501:
        processed_folder is gone, deleted by someone while we are connected: it is
        created again first)."""
        try:
            self._steps(client, caps, uid, s)
        except IMAPClient.AbortError:
            raise
        except IMAPClient.Error as e:
            answer = server_text(e)
            if "[TRYCREATE]" not in answer.upper():
                raise
            folder = self.cfg.processed_folder
            log.warning(
                "imap: %s is gone from the server (someone deleted it): the move of UID %d "
                "answers %s; creating it again and moving the message now",
                folder, uid, answer.partition(" failed: ")[2] or answer,
            )  # fmt: skip
            ensure_folder(client, folder, listed=False)
            self._steps(client, caps, uid, s)

    def _steps(self, client: IMAPClient, caps: frozenset[bytes], uid: int, s: _Stored) -> None:
        """MOVE; else COPY (once) and \\Deleted with UID EXPUNGE of just this UID (UIDPLUS),
        or the keyword PROCESSED_KEYWORD (see imap.py)."""
        folder = self.cfg.processed_folder
        if b"MOVE" in caps:
            client.move([uid], folder)
            return
        if not s.copied:
            _mark(client, uid)
            client.copy([uid], folder)
            s.copied = True
        if b"UIDPLUS" in caps:
            client.add_flags([uid], [b"\\Deleted"], silent=True)
            client.uid_expunge([uid])
        else:
            client.add_flags([uid], [PROCESSED_KEYWORD], silent=True)

    def _gone(self, uid: int, stored: _Stored, answer: str) -> None:
        """The server answered [EXPUNGEISSUED]: the message left the folder after we
        fetched it (staff moved it in webmail, a filter or another client took it). It
        is spooled: nothing is lost and nothing is left to move or to try again."""
        log.info(
            "imap: UID %d (Message-ID %s) was spooled, and then someone else moved or "
            "deleted it out of %s (the server answers %s): nothing is left to move",
            uid, stored.message_id, self.cfg.folder, answer,
        )  # fmt: skip
        if self.stored.pop(uid, None) is not None:
            self._tell()

    def _refused(self, uid: int, stored: _Stored, answer: str) -> None:
        cfg = self.cfg
        if not stored.since:
            stored.since = datetime.now(UTC).isoformat()
            log.warning(
                "imap: UID %d (Message-ID %s) is spooled, but the server does not move it "
                "to %s: %s; it stays in %s and is not taken again, the mail after it is "
                "taken, and the move is tried again every %g s",
                uid, stored.message_id, cfg.processed_folder, answer, cfg.folder, self.retry,
            )  # fmt: skip
        else:
            log.info(
                "imap: UID %d (Message-ID %s) still cannot be moved to %s (since %s): %s; "
                "next try in %g s",
                uid, stored.message_id, cfg.processed_folder, log_time(stored.since), answer,
                self.retry,
            )  # fmt: skip
        stored.answer = answer
        stored.due = time.monotonic() + self.retry
        self._tell()

    def _tell(self) -> None:
        """Tell `unmoved` of the oldest message the server refused to move, or None."""
        refused = {uid: s for uid, s in self.stored.items() if s.since}
        record = None
        if refused:
            uid = min(refused, key=lambda u: (refused[u].since, u))
            s = refused[uid]
            record = {
                "since": s.since,
                "folder": self.cfg.folder,
                "processed_folder": self.cfg.processed_folder,
                "uid": uid,
                "message_id": s.message_id,
                "answer": s.answer,
                "retry": self.retry,
                "count": len(refused),
                "pid": os.getpid(),
            }
        if record != self._told:
            self._told = record
            tell(self.unmoved, "the mail the server does not move", record)


def _answer(e: BaseException) -> str:
    """The server's answer to a failed step, without imapclient's "copy failed: "."""
    answer = server_text(e)
    command, said, rest = answer.partition(" failed: ")
    return rest if said and command.replace(" ", "").isalpha() else answer


class Vanished(IMAPClient.Error):
    """The STORE before a COPY answered the flags of no message (a message flagged so
    already may get no answer: its flags are asked for then), and FETCH has none: the
    UID is gone (the server told of its EXPUNGE then, so the COPY would answer OK and
    copy nothing)."""


def _mark(client: IMAPClient, uid: int) -> None:
    """Flag `uid` MOVING_KEYWORD before its COPY. A server that takes no keywords of
    ours (no \\* in PERMANENTFLAGS) refuses it: the move goes on unmarked, as before."""
    try:
        flagged = client.add_flags([uid], [MOVING_KEYWORD])  # (answers each one's flags)
    except IMAPClient.AbortError:
        raise
    except IMAPClient.Error as e:
        log.debug("imap: UID %d not flagged %s: %s", uid, MOVING_KEYWORD.decode(), e)
        return
    if uid not in flagged and uid not in client.get_flags([uid]):
        raise Vanished("UID STORE with no message: the UID is gone")


def half_moved(
    client: IMAPClient, cfg: ImapConfig, caps: frozenset[bytes]
) -> dict[int, tuple[str, bool]]:
    """The messages of the folder a stopped `maild serve` began to move (flagged
    MOVING_KEYWORD, not PROCESSED_KEYWORD): each UID's Message-ID and whether
    processed_folder holds its copy (_copied). Those flagged \\Deleted already (copied:
    the flag comes after the COPY) are expunged now, their UIDs only."""
    marked = client.search([b"KEYWORD", MOVING_KEYWORD, b"NOT", b"KEYWORD", PROCESSED_KEYWORD])
    if not marked:
        return {}
    found = client.fetch(marked, [b"FLAGS", *_SAME])
    ids = {uid: message_id_for_log(_header(d)) for uid, d in found.items()}
    deleted = [u for u, d in found.items() if b"\\Deleted" in d.get(b"FLAGS", ())]
    if deleted and b"UIDPLUS" in caps:
        client.uid_expunge(deleted)
        log.info(
            "imap: %d message(s) moved to %s by a maild that stopped before their "
            "UID EXPUNGE are expunged from %s now (Message-ID %s)",
            len(deleted), cfg.processed_folder, cfg.folder, ", ".join(ids[u] for u in deleted),
        )  # fmt: skip
    left = [u for u in found if u not in deleted]
    if not left:
        return {}
    client.select_folder(cfg.processed_folder, readonly=True)
    try:
        return {u: (ids[u], _copied(client, cfg, u, found[u])) for u in left}
    finally:
        client.select_folder(cfg.folder)


# What tells a message's copy: COPY keeps the internal date (RFC 3501 6.4.7), the
# size and the bytes of the header are the message's own.
_SAME = [b"INTERNALDATE", b"RFC822.SIZE", b"BODY.PEEK[HEADER]"]


def _copied(client: IMAPClient, cfg: ImapConfig, uid: int, data: dict[bytes, object]) -> bool:
    """Whether processed_folder (selected) holds a message of the same size, internal
    date and header, byte for byte, as `data` (the FETCH of _SAME of the half-moved
    `uid`), not flagged \\Deleted: its COPY was made. Only then is it expunged uncopied.
    An older mail under its Message-ID differs (another date), the header is compared
    as the server gave it (8-bit too, no text search); when in doubt, False: it is
    copied again (processed_folder may get it twice, nothing is lost)."""
    size, date, head = data.get(b"RFC822.SIZE"), data.get(b"INTERNALDATE"), _header(data)
    if not isinstance(size, int) or date is None or not head:
        return False
    try:
        same = client.search([b"LARGER", size - 1, b"SMALLER", size + 1, b"NOT", b"DELETED"])
        found = client.fetch(same, _SAME) if same else {}
    except IMAPClient.AbortError:
        raise
    except IMAPClient.Error as e:  # a tagged NO or BAD: copy it again
        log.info("imap: UID %d: no search for its copy in %s: %s", uid, cfg.processed_folder, e)
        return False
    return any(d.get(b"INTERNALDATE") == date and _header(d) == head for d in found.values())


def _header(data: dict[bytes, object]) -> bytes:
    """The header block of a FETCH of BODY.PEEK[HEADER], b"" when it has none."""
    head = next((v for k, v in data.items() if k.startswith(b"BODY")), b"")
    return head if isinstance(head, bytes) else b""
