"""The outbox's answer to a mail the relay did not take: tried again after its
back-off (domain/retry.py); refused for good for a customer's address or its size, set
aside, never sent again, its ticket told (maild/refusals.py); to staff or the head and
too big, queued again once without its files (slimmail). adapters/outbound.py's Outbox
is this with the sender's passes.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from maild.adapters.durable import Direct, Files
from maild.adapters.outqueue import OutQueue
from maild.adapters.relay import describe, refused_as_too_big, refused_for_good
from maild.domain.logid import log_time
from maild.domain.ownside import People
from maild.domain.records import OutboxEntry
from maild.domain.retry import next_try
from maild.privileges import foreign_folder
from maild.slimmail import without_files

logger = logging.getLogger("maild.outbox")


class Retries(OutQueue):
    """The queue on disk, and what becomes of a mail the relay did not take. A write
    that fails stops the sender's pass (`stopped`, the reason)."""

    def __init__(self, root: Path, files: Callable[[], Files] = Direct) -> None:
        super().__init__(root, files)
        self.stopped: str | None = None  # why the last pass stopped (None: it did not)
        # staff and head (App sets them): their mail the relay refuses for good is
        # retried and alerted like any failure (README, outbox), never set aside
        self.own: People = People()

    def _stop(self, why: str, error: OSError | None = None) -> None:
        """Stop this pass: something it must record cannot be recorded (`error`: a
        permission error names the outbox folder of another owner, and the chown)."""
        if error is not None and error.errno in (errno.EACCES, errno.EPERM):
            folders = [self.queue, self.sent, self.refused, self.root]
            foreign = foreign_folder(folders, self.root.parent)
            why += f" ({foreign})" if foreign else ""
        if self.stopped is None:
            logger.error("outbox: %s", why)
        self.stopped = self.stopped or why

    def _refused(self, meta: OutboxEntry, e: OSError, now: datetime) -> None:
        """The relay refused this mail. For good, because of a customer's address
        (relay.refused_for_good) or of its size (relay.refused_as_too_big): it is set
        aside, never sent again, and its ticket told (maild/refusals.py). Otherwise,
        or to staff and head: retried."""
        to = meta["to"][0]
        big = refused_as_too_big(e)
        if to in self.own and big and self._without_files(meta, e, now):
            return
        if to in self.own or not (big or refused_for_good(e, to)):
            self._failed(meta, describe(e), now)
            return
        error = describe(e)
        meta = _tried(meta, error, now, None)
        meta["refused"] = error
        if big:
            meta["too_big"] = True
        logger.warning("%s [TID#%s] %s to %s refused for good, not tried again: %s",
                       meta.get("message_id") or "<none>", meta.get("tid") or "-",
                       meta.get("kind") or "mail", to, error)  # fmt: skip
        self._put_aside(meta)

    def _without_files(self, meta: OutboxEntry, e: OSError, now: datetime) -> bool:
        """A mail to staff or the head refused for its size: queued again without its
        files, once, to go at the next pass (slimmail). False when it has none."""
        if meta.get("files_left_out"):
            return False
        error = describe(e)
        note = (
            "Файлы клиента в это письмо не вошли: почтовый сервер не принял его целиком "
            f"из-за размера ({error}). Файлы сохранены в обращении; чтобы они приходили "
            "в письмах, администратор может поднять предел размера письма на сервере."
        )
        raw = without_files(self.queued_mail(meta["id"], {}), note)
        if raw is None:
            return False
        meta = _tried(meta, error, now, None)
        meta["files_left_out"] = True
        try:
            self.replace_queued(meta, raw)
        except OSError as err:
            self._stop(f"cannot queue a mail again in {self.queue}: {err.strerror or err}")
            return True
        logger.warning(
            "%s [TID#%s] %s to %s refused for its size, queued again without its files: %s",
            meta.get("message_id") or "<none>",
            meta.get("tid") or "-",
            meta.get("kind") or "mail",
            meta["to"][0],
            error,
        )
        return True

    def _put_aside(self, meta: OutboxEntry) -> None:
        """Take a mail refused for good out of the queue (OutQueue.set_aside)."""
        try:
            self.set_aside(meta)
        except OSError as e:
            self._stop(f"cannot set a refused mail aside in {self.refused}: {e.strerror or e}", e)

    def _failed(self, meta: OutboxEntry, error: str, now: datetime, say: bool = True) -> None:
        meta = _tried(meta, error, now, next_try(meta["attempts"] + 1, now).isoformat())
        try:
            self.update_queued(meta)
        except OSError as e:
            self._stop(f"cannot record a failed attempt in {self.queue}: {e.strerror or e}", e)
        if not say:  # the caller says it once for many (a relay it could not reach)
            return
        # the admin's one line: which mail, to whom, and what the relay said
        logger.warning(
            "%s [TID#%s] %s to %s not sent (attempt %d, next try %s): %s",
            meta.get("message_id") or "<none>",
            meta.get("tid") or "-",
            meta.get("kind") or "mail",
            ", ".join(meta["to"]),
            meta["attempts"],
            log_time(meta["next_try"]),
            error,
        )


def _tried(meta: OutboxEntry, error: str, now: datetime, again: str | None) -> OutboxEntry:
    """`meta` after a try the relay refused with `error`: one attempt more, when, and
    when to try `again` (None: not by the back-off); a copy."""
    return {
        **meta,
        "attempts": meta["attempts"] + 1,
        "last_error": error,
        "last_try": now.isoformat(),
        "next_try": again,
    }
