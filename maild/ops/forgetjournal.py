"""What a `maild forget` that did not finish erased (index/forgetting), for its re-run.

forget erases the tickets one locked section each, and the outbox (the mail about the
person, told by the tickets it erased: the notices of a ticket they opened, the notice
that quoted their message in another's) and the attachment files in its last. A run
cut short there (killed, a full disk: exit 75) left tickets that no longer hold the
address, so a re-run could not find them again. Each ticket's section therefore notes
what it erased (TIDs, the Message-IDs of the messages erased, the attachments'
sha256) under a hash of the address, in the same commit; a later forget of the address
takes it as its own erasures, and its last section removes the note with the rest.
"""

from __future__ import annotations

import json
import logging

from maild.adapters.store.indexes import key_hash
from maild.app import App
from maild.domain.forget import Erasure

log = logging.getLogger("maild.store")

_KEPT = ("tid", "theirs", "messages", "attachments", "replaced", "message_ids")


def _path(app: App) -> str:
    return journal_path(app.store.root)


def journal_path(root: object) -> str:
    return f"{root}/index/forgetting"


def unfinished(root: object) -> int | None:
    """How many people's erasure did not finish (`maild fsck` names it): 0 for none,
    None when the note cannot be read as maild's."""
    try:
        with open(journal_path(root), "rb") as f:
            notes = json.loads(f.read())
        return len(notes) if isinstance(notes, dict) else None
    except FileNotFoundError:
        return 0
    except (OSError, ValueError):
        return None


def _notes(app: App) -> dict[str, list[dict[str, object]]]:
    try:
        data = app.store.files().read(_path(app))
    except FileNotFoundError:  # (no forget left unfinished: no file)
        return {}
    try:
        notes = json.loads(data)
        return {str(h): [dict(e) for e in v] for h, v in notes.items()}
    except (ValueError, TypeError, AttributeError):
        log.error("%s: not maild's notes of unfinished erasures, taken as none", _path(app))
        return {}


def earlier(app: App, address: str) -> list[Erasure]:
    """What a forget of `address` that did not finish erased."""
    out = []
    for e in _notes(app).get(key_hash(address), []):
        try:
            out.append(Erasure(**{k: e[k] for k in _KEPT}))  # type: ignore[arg-type]
        except (KeyError, TypeError):
            log.error("%s: not maild's notes of unfinished erasures, taken as none", _path(app))
    return out


def note(app: App, address: str, erasures: list[Erasure]) -> None:
    """Note what forget erased so far (in the locked section that erased it)."""
    kept = [{k: getattr(e, k) for k in _KEPT} for e in erasures]
    notes = {**_notes(app), key_hash(address): kept}
    app.store.files().put(_path(app), json.dumps(notes, sort_keys=True).encode())


def done(app: App, address: str) -> None:
    """The erasure of `address` finished (in forget's last section): its note goes."""
    notes = _notes(app)
    if notes.pop(key_hash(address), None) is None:
        return
    files = app.store.files()
    if notes:
        files.put(_path(app), json.dumps(notes, sort_keys=True).encode())
    else:
        files.remove(_path(app))


def merge(earlier: Erasure, erasure: Erasure) -> None:
    """A ticket is reported once: what a later pass over it erased adds to the first."""
    earlier.theirs = earlier.theirs or erasure.theirs
    earlier.message_ids += erasure.message_ids
    earlier.messages += erasure.messages
    earlier.attachments += erasure.attachments
    earlier.spool_keys += erasure.spool_keys
    earlier.replaced += erasure.replaced
