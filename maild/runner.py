"""Run spooled messages through the pipeline, with the failure policy in one place.

Two kinds of failure, told apart here (their handling is in maild/faults.py):
- an error of the environment (ENV_FAULTS: a storage or permission error, a full
  disk, the store's lock, the config): the message is not at fault. Its claim is
  released, nothing is counted, and the daemon pauses processing and retries.
- any other error is first met by storing the message as raw text (so staff still
  see it); if even that fails, MessageFailed: the caller counts an attempt when
  other messages succeed, and after storage.max_attempts the message moves to
  spool/bad/, never deleted.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from maild.adapters.store import CorruptFile, StoreUnavailable
from maild.app import App
from maild.config import ConfigError
from maild.domain.logid import message_id_for_log
from maild.domain.message import ParsedMessage, fallback_message, parse
from maild.pipeline import Decision, process

log = logging.getLogger("maild.runner")

ENV_FAULTS = (OSError, StoreUnavailable, ConfigError)


class MessageFailed(Exception):
    """Processing this message failed, and so did storing it as raw text."""


@dataclass
class BatchResult:
    """What a batch did: keys left for the next one (time budget), how many were
    processed, which failed by themselves (key, error), and an error of the
    environment that stopped it (error, path)."""

    left: list[str]
    ok: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    fault: tuple[str, str] | None = None


def describe(e: BaseException) -> tuple[str, str]:
    """(error, path) of an error, for the log and run/fault.json."""
    path = getattr(e, "filename", None) or ""
    if isinstance(e, OSError) and e.strerror:
        return f"{type(e).__name__}: {e.strerror}", str(path)
    return f"{type(e).__name__}: {e}", str(path)


def received_at_of(key: str, app: App) -> datetime:
    """Arrival time is encoded in the spool key; re-runs reuse it."""
    try:
        ns = int(key.split(".", 1)[0])
        return datetime.fromtimestamp(ns / 1e9, UTC).astimezone(app.tz)
    except ValueError:
        return app.now()


def process_key(
    app: App,
    key: str,
    parsed: tuple[bytes, ParsedMessage] | None = None,
    *,
    claimed: bool = False,
) -> Decision | None:
    """Process one spooled message (`parsed`: its bytes and message, read and parsed
    ahead of the store lock; `claimed`: this process has claimed it already). None
    when it is not waiting any more. Raises an ENV_FAULTS error or MessageFailed;
    the claim is then kept, for the caller to release or count."""
    if not claimed and not app.spool.claim(key):
        return None
    if not app.spool.is_pending(key):
        return None
    raw, msg = parsed if parsed is not None else (app.spool.read(key), None)
    app.spool.working_on(key)
    when = received_at_of(key, app)
    try:
        decision = process(app, raw, spool_key=key, received_at=when, msg=msg)
    except ENV_FAULTS:
        raise
    except Exception:
        log.exception(
            "%s spool %s: processing failed, storing it as raw text", message_id_for_log(raw), key
        )
        try:
            fallback = fallback_message(raw, "processing error, stored as raw text")
            decision = process(app, raw, spool_key=key, received_at=when, msg=fallback)
        except ENV_FAULTS:
            raise
        except Exception as e:
            log.exception(
                "%s spool %s: not stored, kept in the spool", message_id_for_log(raw), key
            )
            raise MessageFailed(describe(e)[0]) from e
    app.spool.done(key)
    return decision


def parse_spooled(app: App, keys: list[str]) -> dict[str, tuple[bytes, ParsedMessage]]:
    """Read and parse spooled messages (pure work, no store lock needed); a message
    that cannot be read or parsed here is left to process_key and its failure policy."""
    out: dict[str, tuple[bytes, ParsedMessage]] = {}
    for key in keys:
        try:
            raw = app.spool.read(key)
            app.spool.working_on(key)
            out[key] = (raw, parse(raw, app.config.limits.max_recipients))
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
        with app.store.locked():
            for key in claimed:
                began = time.monotonic()
                try:
                    decision = process_key(app, key, parsed.get(key), claimed=True)
                except CorruptFile as e:
                    # one unreadable store file holds back only the mail that needs it
                    # (released below; the rescan retries it): the rest goes on
                    log.error("spool %s: waits until `maild fsck --repair`: %s", key, e)
                    continue
                except MessageFailed as e:
                    result.failed.append((key, str(e)))
                    continue
                if observe is not None:
                    observe(time.monotonic() - began, decision)
    except ENV_FAULTS as e:
        result.fault = describe(e)  # logged by the daemon (maild.faults)
    finally:
        released = {key for key in claimed if app.spool.release(key)}
    failed = {key for key, _ in result.failed}
    result.ok = sum(1 for key in claimed if key not in released and key not in failed)
    return result


def ingest(app: App, raw: bytes) -> tuple[str, Decision | None]:
    """Spool durably (may raise OSError: transient), then process; when that fails
    the message waits in the spool for the daemon (None)."""
    key = app.spool.add(raw, when=app.now())
    try:
        return key, process_key(app, key)
    except ENV_FAULTS as e:
        log.warning("spool %s: stored, processing deferred: %s %s", key, *describe(e))
    except MessageFailed:
        pass  # logged; the daemon counts its attempts
    finally:
        app.spool.release(key)  # unless it is done
        app.spool.close()
    return key, None
