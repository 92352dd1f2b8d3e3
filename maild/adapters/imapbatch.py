"""A round's spooled messages taken out of the polled folder a batch at a time.

With MOVE, one UID MOVE of the batch: Dovecot on Maildir spends on each MOVE time that
grows with the folder (5,000 messages waiting: 0.5 s a MOVE, their first round about
40 minutes; 3 ms a message moved 50 at a time). One of the batch no longer in the
folder (a UID SEARCH before the MOVE) was taken out by someone else after maild
fetched it (MoveWatch.gone). When the server answers NO (a refusal, processed_folder
gone, [EXPUNGEISSUED]), and without MOVE, each still there is moved on its own
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
    the server answered NO). One no longer in the folder (looked for first, and again
    after a NO) was taken out by someone else after maild fetched it (MoveWatch.gone)."""
    batch = _there(watch, client, batch, "it was not in the folder at its batch's MOVE")
    if not batch:
        return [], []
    try:
        client.move([uid for uid, _ in batch], watch.cfg.processed_folder)
    except IMAPClient.AbortError:
        raise
    except IMAPClient.Error as e:  # NO: which are still there, each to move on its own
        answer = server_text(e).partition(" failed: ")[2] or server_text(e)
        return [], _there(watch, client, batch, answer)
    return batch, []


def _there(watch: MoveWatch, client: IMAPClient, batch: Batch, answer: str) -> Batch:
    """The messages of `batch` still in the folder; the others said gone (`answer`)."""
    there = set(client.search([b"UID", join_message_ids([uid for uid, _ in batch])]))
    _gone(watch, [(u, m) for u, m in batch if u not in there], answer)
    return [(u, m) for u, m in batch if u in there]


def _gone(watch: MoveWatch, batch: Batch, answer: str) -> None:
    for uid, message_id in batch:
        watch.gone(uid, message_id, answer)
