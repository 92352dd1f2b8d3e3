"""What a `maild forget` that did not finish erased (index/forgets/), for its re-run.

forget erases the tickets one locked section each, and the outbox (the mail about the
person, told by the tickets it erased: the notices of a ticket they opened, the notice
that quoted their message in another's) and the attachment files in its last. A run
cut short there (killed, a full disk: exit 75) left tickets that no longer hold the
address, so a re-run could not find them again. Each ticket's section therefore notes
what it erased (the TID, the Message-IDs of the messages erased as the ticket keeps
them: forgetids, the attachments' sha256) in a small file of its own,
index/forgets/<key>.<tid>, in the same commit (a section writes its ticket's note
alone: a person of a thousand tickets costs a thousand small writes, not a thousand
ever longer ones); <key> is a hash of the address keyed with the store's reply secret
(indexes.person_key): the store or a backup without that key does not confirm a
guessed address. A later forget of the address takes the notes as its own erasures,
and removes them once it is done.
"""

from __future__ import annotations

import json
import logging
import os

from maild.adapters.store.indexes import person_key
from maild.app import App
from maild.domain.forget import Erasure

log = logging.getLogger("maild.store")

_KEPT = ("tid", "theirs", "messages", "attachments", "replaced", "message_ids")


def journal_path(root: object) -> str:
    return f"{root}/index/forgets"


def unfinished(root: object) -> int | None:
    """How many people's erasure did not finish (`maild fsck` names it): 0 for none,
    None when the notes cannot be read as maild's."""
    try:
        names = [n for n in os.listdir(journal_path(root)) if not n.startswith(".")]
    except FileNotFoundError:  # (none left unfinished)
        return 0
    except OSError:
        return None
    if any("." not in n for n in names):
        return None
    return len({n.split(".", 1)[0] for n in names})


def _unreadable(path: str) -> None:
    log.error("%s: not maild's note of an unfinished erasure, taken as none", path)


def _mine(app: App, address: str) -> list[str]:
    """The paths of the notes of `address` (as the locked section leaves them)."""
    prefix = f"{person_key(app.reply_secret, address)}."
    found = app.store.files().listed(journal_path(app.store.root))
    return [p for p in found if os.path.basename(p).startswith(prefix)]


def earlier(app: App, address: str) -> list[Erasure]:
    """What a forget of `address` that did not finish erased."""
    found: list[tuple[str, object]] = []
    for path in _mine(app, address):
        try:
            found.append((path, json.loads(app.store.files().read(path))))
        except (OSError, ValueError):
            _unreadable(path)
    out = []
    for path, e in found:
        try:
            out.append(Erasure(**{k: e[k] for k in _KEPT}))  # type: ignore[index]
        except (KeyError, TypeError):
            _unreadable(path)
    return out


def note(app: App, address: str, erasure: Erasure) -> None:
    """Note what forget erased in one ticket (in the locked section that erased it)."""
    folder = journal_path(app.store.root)
    app.store.cache.ensure_dir(folder)
    kept = {k: getattr(erasure, k) for k in _KEPT}
    path = f"{folder}/{person_key(app.reply_secret, address)}.{erasure.tid}"
    app.store.files().put(path, json.dumps(kept, sort_keys=True).encode())


def done(app: App, address: str) -> None:
    """The erasure of `address` finished (forget's last section): its notes go."""
    files = app.store.files()
    for path in _mine(app, address):
        files.remove(path)


def merge(earlier: Erasure, erasure: Erasure) -> None:
    """A ticket is reported once: what a later pass over it erased adds to the first."""
    earlier.theirs = earlier.theirs or erasure.theirs
    earlier.message_ids += erasure.message_ids
    earlier.messages += erasure.messages
    earlier.attachments += erasure.attachments
    earlier.spool_keys += erasure.spool_keys
    earlier.replaced += erasure.replaced
