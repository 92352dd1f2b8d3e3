"""Run spooled messages through the pipeline, with the failure policy in one place.

- StoreUnavailable (lock timeout, disk trouble): the message stays pending.
- Any other error is a bug: it is logged with its Message-ID, the message is
  stored once more as raw text (so staff still see it), and counted; after
  spool.MAX_ATTEMPTS it moves to spool/bad/, never deleted.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from maild.adapters.store import StoreUnavailable
from maild.app import App
from maild.domain.message import ParsedMessage, fallback_message, parse, synthetic_msgid
from maild.pipeline import Decision, process

log = logging.getLogger("maild.runner")


def received_at_of(key: str, app: App) -> datetime:
    """Arrival time is encoded in the spool key; re-runs reuse it."""
    try:
        ns = int(key.split(".", 1)[0])
        return datetime.fromtimestamp(ns / 1e9, UTC).astimezone(app.tz)
    except ValueError:
        return app.now()


def process_key(
    app: App, key: str, parsed: tuple[bytes, ParsedMessage] | None = None
) -> Decision | None:
    """Process one spooled message (`parsed`: its bytes and message, read and parsed
    ahead of the store lock); None when it must wait (transient trouble)."""
    if not app.spool.is_pending(key):
        return None
    raw, msg = parsed if parsed is not None else (app.spool.read(key), None)
    when = received_at_of(key, app)
    try:
        decision = process(app, raw, spool_key=key, received_at=when, msg=msg)
    except StoreUnavailable as e:
        log.warning("spool %s: store unavailable, will retry: %s", key, e)
        return None
    except Exception:
        log.exception("spool %s: processing failed, storing it as raw text", key)
        try:
            fallback = fallback_message(raw, "processing error, stored as raw text")
            decision = process(app, raw, spool_key=key, received_at=when, msg=fallback)
        except Exception:
            attempts = app.spool.failed(key)
            log.exception(
                "spool %s (%s): stored in spool only, attempt %d",
                key,
                synthetic_msgid(raw),
                attempts,
            )
            return None
    app.spool.done(key)
    return decision


def parse_spooled(app: App, keys: list[str]) -> dict[str, tuple[bytes, ParsedMessage]]:
    """Read and parse spooled messages (pure work, no store lock needed); a message
    that cannot be read or parsed here is left to process_key and its failure policy."""
    out: dict[str, tuple[bytes, ParsedMessage]] = {}
    for key in keys:
        try:
            raw = app.spool.read(key)
            out[key] = (raw, parse(raw, app.config.limits.max_recipients))
        except Exception:
            continue
    return out


def ingest(app: App, raw: bytes) -> tuple[str, Decision | None]:
    """Spool durably (may raise OSError: transient), then process."""
    key = app.spool.add(raw, when=app.now())
    return key, process_key(app, key)
