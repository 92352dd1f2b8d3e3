"""`maild ticket show`: the messages of a ticket as staff and admins read them, in text
and in its JSON (the INTERFACE.md shape, plus what was added after it)."""

from __future__ import annotations

from typing import Any

from maild.app import App
from maild.domain.records import MessageRecord, UndeliverableMark

PUBLIC_MESSAGE = ("message_id", "direction", "from", "kind", "received_at", "text")
PUBLIC_ATTACHMENT = ("filename", "content_type", "size", "accepted", "reason")


def message_json(m: MessageRecord) -> dict[str, Any]:
    """One message of `ticket show --json`: mail withdrawn from the outbox, never sent,
    carries why (`"withdrawn"`: none of it went; `"withdrawn_copies"`: by recipient); a
    staff reply, the commands it ran (`"commands"`: ["#take", "#level vip"]), which its
    text no longer holds: a reply of commands alone reads «(только команды)»; a customer's
    mail, the rating it gave (`"rating"`: of a closing, a reopened ticket's too)."""
    out = {
        **{k: m.get(k) for k in PUBLIC_MESSAGE},
        "attachments": [{k: a.get(k) for k in PUBLIC_ATTACHMENT} for a in m["attachments"]],
    }
    for key in ("commands", "rating", "withdrawn", "withdrawn_copies"):
        if m.get(key):
            out[key] = m[key]
    return out


# why a queued mail was withdrawn (the record's "withdrawn", records.OutboxEntry), as
# staff read it in `ticket show`; the JSON keeps the values themselves
WITHDRAWN_RU = {
    "blocked": "адрес заблокирован",
    "stale": "срок уже не актуален",
    "spam": "обращение отмечено как спам",
    "erased": "данные удалены по запросу",
    "uncc": "участник удалён из обращения",
    "left": "адресат больше не в службе поддержки",
}


def withdrawn_ru(why: str) -> str:
    """A withdrawal's reason in Russian (one not named here as it is)."""
    return WITHDRAWN_RU.get(why, why)


def not_sent(m: MessageRecord) -> str | None:
    """The line that says a queued mail was withdrawn, never sent, or None."""
    if m.get("withdrawn"):
        return f"не отправлено: {withdrawn_ru(m['withdrawn'])}"
    copies = m.get("withdrawn_copies") or {}
    if not copies:
        return None
    return "не отправлено: " + ", ".join(f"{a}: {withdrawn_ru(w)}" for a, w in copies.items())


def refused_line(app: App, address: str, mark: UndeliverableMark) -> str:
    """The ticket's line of an address the relay refused for good (no automatic mail
    goes to it), in the words of the notes keptback leaves."""
    error = mark["error"].removeprefix(f"{address}: ")
    since = app.fmt_time(mark["since"])
    return f"{address} не принимается почтовым сервером с {since}, ответ сервера: {error}"


def print_messages(app: App, messages: list[MessageRecord]) -> None:
    """The thread, oldest first: who, when, the files, the text (of automatic mail its
    first line: the template says the rest); in Russian as staff read it, but for the
    record's kind, which `ticket list` and the JSON name alike."""
    for m in messages:
        arrow = "<-" if m["direction"] == "in" else "->"
        print()
        print(
            f"{arrow} {app.fmt_time(m['received_at'])}  {m['kind']}  {m['from']}"
            + (f"  кому: {', '.join(m.get('to') or [])}" if m["direction"] == "out" else "")
        )
        said = not_sent(m)
        if said:
            print(f"   [{said}]")
        if m.get("commands"):  # who took, closed, reopened: the text no longer says
            print(f"   [команды: {', '.join(m['commands'])}]")
        for a in m["attachments"]:
            why = a.get("reason")
            state = "принят" if a.get("accepted") else f"отклонён: {why}" if why else "отклонён"
            print(f"   [{a['filename']} {a['content_type']} {a['size']} байт, {state}]")
        text = (m.get("text") or "").strip()
        if m["kind"] in ("confirmation", "notice"):  # templated: the first line says it
            text = text.splitlines()[0] if text else ""
        print("   " + "\n   ".join(text.splitlines()[:40]) if text else "   (без текста)")
