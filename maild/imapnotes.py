"""What `maild status` says of IMAP mail that waits in the polled folder while the
rest flows: a message the server keeps failing to give (adapters/imapfetch.py), and
a message spooled that the server does not move to processed_folder
(adapters/imapmove.py). Both make it degraded: no mail is lost, but the server needs
a look. And why the last round failed, while no round went well since
(adapters/imapround.py): a refused connection, a certificate, a missing folder."""

from __future__ import annotations

from typing import Any


def _age(note: dict[str, Any]) -> str:
    return "" if note.get("age") is None else f", {_num(note['age'], '.0f')} s"


def _num(value: Any, spec: str) -> str:
    """A figure of a note, or what stands there instead in one edited by hand ("60 s"):
    `maild status` says it as it is rather than fail."""
    return format(value, spec) if isinstance(value, int | float) else str(value)


def reasons(imap: dict[str, Any] | None) -> list[str]:
    """The degraded lines of the `imap` figures (status.collect)."""
    found = []
    u = imap and imap.get("unfetchable")
    if u:
        found.append(
            f"imap: {u.get('count')} message(s) in {u.get('folder')} cannot be fetched from "
            f"the server (UID {u.get('uid')} fails since {u.get('since')}{_age(u)}): "
            f"{u.get('answer')}; each stays there untouched and is tried again every "
            f"{_num(u.get('retry', 0), 'g')} s, the other mail is taken"
        )
    m = imap and imap.get("unmoved")
    if m:
        found.append(
            f"imap: {m.get('count')} message(s) stored but not moved to "
            f"{m.get('processed_folder')}: {m.get('answer')} (UID {m.get('uid')}, Message-ID "
            f"{m.get('message_id')}, since {m.get('since')}{_age(m)}); each is spooled (a "
            f"ticket) and stays in {m.get('folder')}, not taken again, the move is tried "
            f"again every {_num(m.get('retry', 0), 'g')} s, the other mail is taken"
        )
    return found


def summary(imap: dict[str, Any]) -> str:
    """What follows "imap: last contact ..." in `maild status`'s text for these two."""
    said = ""
    if imap.get("unfetchable"):
        said += f", {imap['unfetchable'].get('count')} message(s) cannot be fetched"
    if imap.get("unmoved"):
        m = imap["unmoved"]
        said += f", {m.get('count')} message(s) not moved to {m.get('processed_folder')}"
    return said


def unanswered(failed_age: float | None, contact_age: float | None) -> bool:
    """Whether a failed round (``failed_age`` seconds ago) still says why the server
    cannot be read: no contact with it came at or after it (status and the IMAP alert
    mail, jobs.imap_alert, name it only then)."""
    return failed_age is not None and (contact_age is None or contact_age > failed_age)


def last_failure(imap: dict[str, Any] | None) -> str:
    """ "; the last try failed N s ago (at TIME): ERROR" while that failure is newer
    than the last contact with the server (none since: unanswered), else ""."""
    if not imap:
        return ""
    f = imap.get("last_error")
    if not f or not unanswered(f.get("age"), imap.get("age")):
        return ""
    age = _num(f["age"], ".0f")
    return f"; the last try failed {age} s ago (at {f.get('at')}): {f.get('error')}"
