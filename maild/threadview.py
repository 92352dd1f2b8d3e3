"""`maild ticket show`: the messages of a ticket as staff and admins read them, in text
and in its JSON (the INTERFACE.md shape, plus what was added after it)."""

from __future__ import annotations

from typing import Any

from maild.app import App
from maild.domain.records import MessageRecord

PUBLIC_MESSAGE = ("message_id", "direction", "from", "kind", "received_at", "text")
PUBLIC_ATTACHMENT = ("filename", "content_type", "size", "accepted", "reason")


def message_json(m: MessageRecord) -> dict[str, Any]:
    """One message of `ticket show --json`: mail withdrawn from the outbox, never sent,
    carries why (`"withdrawn"`: none of it went; `"withdrawn_copies"`: by recipient)."""
    out = {
        **{k: m.get(k) for k in PUBLIC_MESSAGE},
        "attachments": [{k: a.get(k) for k in PUBLIC_ATTACHMENT} for a in m["attachments"]],
    }
    for key in ("withdrawn", "withdrawn_copies"):
        if m.get(key):
            out[key] = m[key]
    return out


def not_sent(m: MessageRecord) -> str | None:
    """The line that says a queued mail was withdrawn, never sent, or None."""
    if m.get("withdrawn"):
        return f"не отправлено: {m['withdrawn']}"
    copies = m.get("withdrawn_copies") or {}
    if not copies:
        return None
    return "не отправлено: " + ", ".join(f"{a}: {why}" for a, why in copies.items())


def print_messages(app: App, messages: list[MessageRecord]) -> None:
    """The thread, oldest first: who, when, the files, the text (of automatic mail its
    first line: the template says the rest)."""
    for m in messages:
        arrow = "<-" if m["direction"] == "in" else "->"
        print()
        print(
            f"{arrow} {app.fmt_time(m['received_at'])}  {m['kind']}  {m['from']}"
            + (f"  to {', '.join(m.get('to') or [])}" if m["direction"] == "out" else "")
        )
        said = not_sent(m)
        if said:
            print(f"   [{said}]")
        for a in m["attachments"]:
            state = "accepted" if a["accepted"] else f"refused: {a['reason']}"
            print(f"   [{a['filename']} {a['content_type']} {a['size']} B, {state}]")
        text = (m.get("text") or "").strip()
        if m["kind"] in ("confirmation", "notice"):  # templated: the first line says it
            text = text.splitlines()[0] if text else ""
        print("   " + "\n   ".join(text.splitlines()[:40]) if text else "   (empty)")
