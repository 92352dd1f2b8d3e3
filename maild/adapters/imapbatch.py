"""A round's spooled messages taken out of the polled folder a batch at a time.

With MOVE, one UID MOVE of the batch: Dovecot on Maildir spends on each MOVE time that
grows with the folder (5,000 messages waiting: 0.5 s a MOVE, their first round about
40 minutes; 3 ms a message moved 50 at a time). The server's COPYUID (RFC 4315) names
the UIDs it moved: one of the batch it did not move was taken out of the folder by
someone else after maild fetched it (MoveWatch.gone). When the server answers NO (a
refusal, processed_folder gone), and without MOVE, each is moved on its own
(MoveWatch.move: its own answer, its own retry). A connection that breaks leaves the
batch remembered as spooled: the next round moves it without fetching it again.
"""

from __future__ import annotations

from imapclient import IMAPClient
from imapclient.imapclient import join_message_ids

from maild.adapters.imapfailures import server_text
from maild.adapters.imapmove import MoveWatch

Batch = list[tuple[int, str]]  # (UID, Message-ID) of spooled messages, in UID order


def move_batch(watch: MoveWatch, client: IMAPClient, caps: frozenset[bytes], batch: Batch) -> Batch:
    """Take the spooled messages `batch` out of the folder; those moved by it."""
    done: Batch = []
    try:
        if b"MOVE" in caps and len(batch) > 1:
            done, batch = _move_all(watch, client, batch)
    except (IMAPClient.AbortError, OSError):
        watch.hold(batch)
        raise
    for n, (uid, message_id) in enumerate(batch):
        try:
            if watch.move(client, caps, uid, message_id):
                done.append((uid, message_id))
        except BaseException:
            watch.hold(batch[n + 1 :])
            raise
    return done


def _move_all(watch: MoveWatch, client: IMAPClient, batch: Batch) -> tuple[Batch, Batch]:
    """One UID MOVE of `batch`: (those it moved, those left to move each on its own:
    the server answered NO). One it did not have any more is gone (MoveWatch.gone)."""
    uids = [uid for uid, _ in batch]
    client._imap.response("COPYUID")  # (earlier commands' answers: imaplib keeps them)
    try:
        client.move(uids, watch.cfg.processed_folder)
    except IMAPClient.AbortError:
        raise
    except IMAPClient.Error as e:  # NO: which are still there, each to move on its own
        answer = server_text(e).partition(" failed: ")[2] or server_text(e)
        there = set(client.search([b"UID", join_message_ids(uids)]))
        _gone(watch, [(u, m) for u, m in batch if u not in there], answer)
        return [], [(u, m) for u, m in batch if u in there]
    moved = _copyuid_sources(client._imap.response("COPYUID")[1])
    if moved is not None:  # (a server without UIDPLUS sends none: it moved them all)
        _gone(
            watch,
            [(u, m) for u, m in batch if u not in moved],
            "OK to the MOVE of its batch, its UID not in COPYUID",
        )
        return [(u, m) for u, m in batch if u in moved], []
    return batch, []


def _gone(watch: MoveWatch, batch: Batch, answer: str) -> None:
    for uid, message_id in batch:
        watch.gone(uid, message_id, answer)


def _copyuid_sources(answers: list[object]) -> set[int] | None:
    """The source UIDs of the server's COPYUID (imaplib keeps "validity sources
    destinations" of "[COPYUID ...]"), None when it sent none."""
    words = answers[-1].split() if answers and isinstance(answers[-1], bytes) else []
    if len(words) != 3:
        return None
    uids: set[int] = set()
    for part in words[1].split(b","):
        first, _, last = part.partition(b":")
        low, high = sorted((int(first), int(last or first)))
        uids.update(range(low, high + 1))
    return uids
