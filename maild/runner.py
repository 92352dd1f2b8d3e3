"""Run spooled messages through the pipeline, with the failure policy in one place.

Two kinds of failure, told apart here (their handling is in maild/faults.py):
- an error of the environment (ENV_FAULTS: a storage or permission error, a full
  disk, the store's lock, the config): the message is not at fault. Its claim is
  released, nothing is counted, and the daemon pauses processing and retries.
- any other error is first met by storing the message as raw text (so staff still
  see it); if even that fails, MessageFailed: the caller counts an attempt when
  other messages succeed, and after storage.max_attempts the message moves to
  spool/bad/, never deleted.

A failed attempt leaves nothing behind: the store's locked section is all or nothing
(what the attempt wrote, a staff notice queued before it failed among them, is
discarded), so a batch whose message fails is run again without that attempt. A
commit that fails not by the environment is the mail's: run one message per section.
"""

from __future__ import annotations

import errno
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from maild import guard
from maild.adapters.durable import spooled_ns
from maild.adapters.leftovers import is_temp
from maild.adapters.store import CorruptFile, StoreUnavailable
from maild.adapters.store.files import unreadable
from maild.app import App
from maild.config import ConfigError
from maild.domain.limits import MAX_FAULT_CHARS, cut
from maild.domain.logid import mail_for_log
from maild.domain.message import ParsedMessage, fallback_message
from maild.pipeline import Decision, process
from maild.privileges import denied_at

log = logging.getLogger("maild.runner")

ENV_FAULTS = (OSError, StoreUnavailable, ConfigError)


class MessageFailed(Exception):
    """Processing this message failed, and so did storing it as raw text."""


class FirstAttemptFailed(Exception):
    """Processing this message failed: it is to be stored as raw text (fallback=True),
    in a section of its own (the failed one's writes are discarded with it)."""


@dataclass
class _Redo(Exception):
    """A message of a batch failed: the batch's section is discarded and run again,
    the message stored as raw text (`fallback`) or left out (its failure `why`)."""

    key: str
    reason: str | None  # None: the mail's line said it (a file it waits for)
    fallback: bool = False
    why: str | None = None


@dataclass
class _CommitFailed(Exception):
    """A section's commit failed, not by the environment: a record of its mail's."""

    keys: list[str]
    why: str


@dataclass
class BatchResult:
    """What a batch did: keys left for the next one (time budget), how many were
    processed, which failed by themselves (key, error), and an error of the
    environment that stopped it (error, path) and the key of the mail it was met on
    (`during`; None when it was no message's, e.g. the commit's)."""

    left: list[str]
    ok: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    fault: tuple[str, str] | None = None
    during: str | None = None
    # a file of the store mail waited on (error, path): a fault of the environment
    # too, which `maild status` names until the file is mended (maild.faults)
    corrupt: tuple[str, str] | None = None


def describe(e: BaseException, storage: Path | None = None) -> tuple[str, str]:
    """(error, path) of an error, for the log and run/fault.json. A permission error
    met on `storage` names what refused (a temp file's folder: the file is never
    there), whose it is and the fix."""
    path = os.fsdecode(getattr(e, "filename", None) or "")
    denied = isinstance(e, OSError) and e.errno in (errno.EACCES, errno.EPERM)
    other = getattr(e, "filename2", None)  # a rename's target
    said = denied_at(str(path), storage, other and str(other)) if denied and path else None
    if said is not None and isinstance(e, OSError):  # (said: denied, an OSError)
        return f"{type(e).__name__}: {e.strerror or e}: {said[1]}", said[0]
    if is_temp(os.path.basename(path)):  # a write under way, never there: its folder failed
        path = os.path.dirname(path)
    if isinstance(e, OSError) and e.strerror:
        return f"{type(e).__name__}: {e.strerror}", str(path)
    return cut(f"{type(e).__name__}: {e}", MAX_FAULT_CHARS), str(path)


def with_path(error: str, path: str) -> str:
    """An error as the log says it: with the file it was met on, unless it names it."""
    return f"{error} ({path})" if path and path not in error else error


def corrupt_error(e: CorruptFile) -> str:
    """The fault a corrupt store file is, as `maild status` says it: which file, and
    what to do."""
    return (
        f"{e.path} cannot be read ({e.why}): mail that needs it waits in the spool until "
        "the file is mended (`maild fsck` names it and says how; a file of maild's own "
        "making: `maild fsck --repair`; registry.json: fix its JSON or restore it)"
    )


def mail_of(app: App, key: str, raw: bytes | None = None) -> str:
    """What a log line about spooled mail `key` starts with: its own Message-ID, and
    its TID when the subject names one (domain.logid); `raw`: its bytes, if read."""
    if raw is None:
        try:
            raw = app.spool.read(key)
        except OSError:
            return "(unreadable)"
    return mail_for_log(raw)


def read_spooled(app: App, key: str) -> bytes:
    """A spooled message's bytes. One maild may not read (root copied it into
    spool/new: mode 0600, root's; a directory in its place) is CorruptFile
    (unreadable), named where it waits: only this mail waits until it is mended,
    retried, never counted as the mail's failure (the environment is at fault)."""
    try:
        return app.spool.read(key)
    except FileNotFoundError:
        raise
    except OSError as e:
        where = os.path.join(app.spool.root, "new", key)
        raise unreadable(where, e) from None


def received_at_of(key: str, app: App) -> datetime:
    """Arrival time is encoded in the spool key; re-runs reuse it."""
    ns = spooled_ns(key)  # (None: a name an admin gave a mail copied in)
    return app.now() if ns is None else datetime.fromtimestamp(ns / 1e9, UTC).astimezone(app.tz)


def process_key(
    app: App,
    key: str,
    parsed: tuple[bytes, ParsedMessage] | None = None,
    *,
    claimed: bool = False,
    fallback: bool = False,
) -> Decision | None:
    """Process one spooled message (`parsed`: its bytes and message, read and parsed
    ahead of the store lock; `claimed`: this process has claimed it already;
    `fallback`: store it as raw text, a first attempt failed). None when it is not
    waiting any more. Raises an ENV_FAULTS error, FirstAttemptFailed or MessageFailed;
    the claim is then kept, for the caller to release or count."""
    if not claimed and not app.spool.claim(key):
        return None
    if not app.spool.is_pending(key):
        return None
    raw, msg = parsed if parsed is not None else (read_spooled(app, key), None)
    app.spool.working_on(key)
    when = received_at_of(key, app)
    if fallback:
        msg = fallback_message(raw, "processing error, stored as raw text")
    try:
        decision = process(app, raw, spool_key=key, received_at=when, msg=msg)
    except ENV_FAULTS:
        raise
    except Exception as e:
        who, why = mail_for_log(raw), describe(e)[0]
        if fallback:
            log.exception("%s spool %s: not stored, kept in the spool: %s", who, key, why)
            raise MessageFailed(why) from e
        log.exception("%s spool %s: processing failed, storing it as raw text: %s", who, key, why)
        raise FirstAttemptFailed(why) from e
    if decision is not None:  # (None: erased, its spool copy with it: maild.erased)
        # stored once: the copy its ticket, or quarantine entry, keeps is the record
        # of it; a spare one outlived them (retention, redaction), mail in no ticket.
        # (Removed, not moved: in serve's batch commit the move into cur/ waits, and a
        # removal from cur/ after it found nothing there yet.)
        app.spool.done(key, spare=guard.spare_copy(app, decision, key))
    return decision


def parse_spooled(app: App, keys: list[str]) -> dict[str, tuple[bytes, ParsedMessage]]:
    """Read and parse spooled messages (pure work, no store lock needed); a message
    that cannot be read or parsed here is left to process_key and its failure policy."""
    out: dict[str, tuple[bytes, ParsedMessage]] = {}
    for key in keys:
        try:
            raw = app.spool.read(key)
            app.spool.working_on(key)
            out[key] = (raw, app.parse(raw))
        except Exception:
            continue
    return out


def run_batch(
    app: App,
    keys: list[str],
    budget: float = 0.5,
    observe: Callable[[float, Decision | None], None] | None = None,
) -> BatchResult:
    """Claim, parse (within `budget` seconds: the rest is left) and process messages
    under one store lock; their writes are one group commit. Whatever is still
    claimed at the end (a fault, a failure) goes back to wait."""
    started = time.monotonic()
    claimed: list[str] = []
    parsed: dict[str, tuple[bytes, ParsedMessage]] = {}
    result = BatchResult([])
    try:
        for n, key in enumerate(keys, 1):
            if app.spool.claim(key):
                claimed.append(key)
                parsed.update(parse_spooled(app, [key]))
            if time.monotonic() - started > budget:
                result.left = keys[n:]
                break
        done = _sections(app, claimed, parsed, result)
        if observe is not None:
            for took, decision in done:
                observe(took, decision)
    except ENV_FAULTS as e:
        result.fault = describe(e, app.config.storage_path)  # logged by the daemon (maild.faults)
    finally:
        released = {key for key in claimed if app.spool.release(key)}
    failed = {key for key, _ in result.failed}
    result.ok = sum(1 for key in claimed if key not in released and key not in failed)
    return result


def _sections(
    app: App,
    claimed: list[str],
    parsed: dict[str, tuple[bytes, ParsedMessage]],
    result: BatchResult,
) -> list[tuple[float, Decision | None]]:
    """The batch under one store lock, one group commit; run again, from the start,
    after a message failed (each failure ends one run: at most two per message). A
    commit that fails not by the environment (a record of the batch's mail that cannot
    be written) runs what is left one message per section: the mail whose records
    cannot be written then fails by itself, as any message does, and the rest goes on."""
    fallback: set[str] = set()
    left_out: set[str] = set()
    committed: set[str] = set()
    done: list[tuple[float, Decision | None]] = []
    alone = False
    while True:
        keys = [k for k in claimed if k not in left_out and k not in committed]
        try:
            for group in [[k] for k in keys] if alone else [keys]:
                section = _section(app, group, parsed, fallback, result)
                _waited(app, group, section, parsed)  # committed: what waited is said once
                committed.update(group)
                done += section
            return done
        except _CommitFailed as failed:
            if len(failed.keys) > 1:
                alone = True
                log.warning("the commit of %d messages failed (%s): they are run again one "
                            "message per section", len(failed.keys), failed.why)  # fmt: skip
                continue
            [key] = failed.keys
            again = key not in fallback  # (a raw-text copy that cannot be written: failed)
            redo = _Redo(key, failed.why, fallback=again, why=None if again else failed.why)
        except _Redo as e:
            redo = e
        if redo.reason is not None:
            who = mail_of(app, redo.key, parsed.get(redo.key, (None,))[0])
            log.warning("%s spool %s failed (%s): the batch is run again without that attempt "
                        "(the warnings logged for the mail before it may come again)",
                        who, redo.key, redo.reason)  # fmt: skip
        if redo.fallback:
            fallback.add(redo.key)
        else:
            left_out.add(redo.key)
            if redo.why is not None:
                result.failed.append((redo.key, redo.why))


def _section(
    app: App,
    keys: list[str],
    parsed: dict[str, tuple[bytes, ParsedMessage]],
    fallback: set[str],
    result: BatchResult,
) -> list[tuple[float, Decision | None]]:
    done: list[tuple[float, Decision | None]] = []
    try:
        with app.store.locked():
            for key in keys:
                began, result.during = time.monotonic(), key
                try:
                    decision = process_key(
                        app, key, parsed.get(key), claimed=True, fallback=key in fallback
                    )
                except CorruptFile as e:
                    # one unreadable store file, or the mail's own spool file, holds back
                    # only the mail that needs it (released by run_batch; the rescan
                    # retries it): the rest goes on. Said once, not at each retry.
                    if app.said_waiting.get(key) != str(e):
                        app.said_waiting[key] = str(e)
                        who = mail_of(app, key, parsed.get(key, (None,))[0])
                        log.error("%s spool %s: waits until the file is mended (`maild fsck` "
                                  "says how; other mail goes on): %s", who, key, e)  # fmt: skip
                    result.corrupt = (corrupt_error(e), e.path)
                    raise _Redo(key, None) from e
                except FirstAttemptFailed as e:
                    raise _Redo(key, str(e), fallback=True) from e
                except MessageFailed as e:
                    raise _Redo(key, str(e), why=str(e)) from e
                done.append((time.monotonic() - began, decision))
            result.during = None  # the commit's own faults are no message's
    except (_Redo, *ENV_FAULTS):
        raise
    except Exception as e:
        if result.during is not None:  # (not the commit's: an error of the code)
            raise
        raise _CommitFailed(keys, describe(e)[0]) from e
    return done


def _waited(
    app: App,
    keys: list[str],
    done: list[tuple[float, Decision | None]],
    parsed: dict[str, tuple[bytes, ParsedMessage]],
) -> None:
    """The mail of a committed section that waited for a file: said processed, once."""
    for key, (_took, decision) in zip(keys, done, strict=True):
        if app.said_waiting.pop(key, None) is not None and decision is not None:
            who = mail_of(app, key, parsed.get(key, (None,))[0])
            log.info("%s spool %s: processed: the file it waited for reads again", who, key)


def ingest(app: App, raw: bytes) -> tuple[str, Decision | None]:
    """Spool durably (may raise OSError: transient), then process; when that fails
    the message waits in the spool for the daemon (None)."""
    key = app.spool.add(raw, when=app.now())
    try:
        try:
            return key, process_key(app, key)
        except FirstAttemptFailed:  # its section's writes are gone with it
            return key, process_key(app, key, claimed=True, fallback=True)
    except ENV_FAULTS as e:
        error, path = describe(e, app.config.storage_path)
        if isinstance(e, StoreUnavailable):  # its words name the file and the fix
            error, path = str(e), ""
        log.warning(
            "%s spool %s: stored, processing deferred: %s",
            mail_of(app, key, raw),
            key,
            with_path(error, path),
        )
    except MessageFailed:
        pass  # logged; the daemon counts its attempts
    finally:
        _release(app, key, raw)
    return key, None


def _release(app: App, key: str, raw: bytes) -> None:
    """Put the mail ingest claimed back to wait, unless it is done. A failure (a spool
    gone read-only meanwhile) leaves it stored, in this process's claimed/ folder,
    which serve's recover() takes back once the process is gone: not "cannot spool"."""
    try:
        app.spool.release(key)
    except OSError as e:
        log.warning(
            "%s spool %s: stored, processing deferred; left in spool/claimed, as it cannot "
            "be put back in spool/new (%s): maild serve takes it up",
            mail_of(app, key, raw),
            key,
            _oserror(e),
        )
    try:
        app.spool.close()
    except OSError as e:
        log.warning("spool: this process's folder in spool/claimed is left (%s): maild serve "
                    "removes it", _oserror(e))  # fmt: skip


def _oserror(e: OSError) -> str:
    return f"{e.strerror or e}: {os.fsdecode(e.filename)}" if e.filename else str(e.strerror or e)
