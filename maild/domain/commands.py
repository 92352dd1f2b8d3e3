"""Staff commands: the "#close", "#level vip", ... lines at the top of a staff reply.

Pure parsing only; applying a command to a ticket is the caller's job.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from maild.domain.sla import LEVELS

__all__ = ["COMMANDS", "Command", "ParsedReply", "parse_reply"]

# Commands without an argument; "level" and "assign" take one. "#note" may carry text
# on its own line ("#note проверил логи"), kept as its arg: rejecting that line would
# lose the flag that keeps the reply away from the customer.
NO_ARG = ("take", "close", "reopen", "wait", "consulting", "development", "critical")
COMMANDS = (*NO_ARG, "note", "level", "assign", "spam", "cc", "uncc")

# Staff on a Russian layout type these without switching the keyboard.
ALIASES = {
    "взять": "take",
    "закрыть": "close",
    "открыть": "reopen",
    "ждать": "wait",
    "уровень": "level",
    "консультация": "consulting",
    "разработка": "development",
    "критично": "critical",
    "назначить": "assign",
    "заметка": "note",
    "спам": "spam",
}

# "#" directly followed by a word that starts with a letter, so "#123 ..." (an order
# number) or "# Заголовок" (markdown) is text; an optional ":" after the name is tolerated.
COMMAND_RE = re.compile(r"#([^\W\d_][\w-]*)[^\S\n]*:?[^\S\n]*(.*)")
ADDRESS_RE = re.compile(r"[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\".]+")
# Invisible characters that clients (and HTML-to-text) leave at line starts.
INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"


@dataclass(frozen=True)
class Command:
    """One recognised command; ``arg`` is normalised (lower-case level id or address)."""

    name: str
    arg: str | None = None


@dataclass(frozen=True)
class ParsedReply:
    """A staff reply split into its command block and the rest.

    ``errors`` are Russian, one per bad command line, for the reply to staff. A line
    with an error is still removed from ``body``: staff meant it as a command, so it
    must never reach the customer. With errors present the caller should send
    nothing to the customer and return the errors to staff, since the intended
    commands (perhaps a mistyped "#note") are unknown.
    """

    commands: tuple[Command, ...]
    errors: tuple[str, ...]
    body: str
    note: bool


def parse_reply(text: str) -> ParsedReply:
    """Split ``text`` into the leading command block and the body after it."""
    commands: list[Command] = []
    errors: list[str] = []
    pos = 0  # start of the first line that is not part of the command block
    for line in text.splitlines(keepends=True):
        stripped = line.strip().strip(INVISIBLE).strip()
        if stripped:
            m = COMMAND_RE.fullmatch(stripped)
            if m is None:
                break
            command, error = _command(m.group(1), m.group(2).strip())
            if command is not None:
                commands.append(command)
            if error is not None:
                errors.append(error)
        pos += len(line)
    return ParsedReply(
        commands=tuple(commands),
        errors=tuple(errors),
        body=text[pos:],
        note=any(c.name == "note" for c in commands),
    )


def _command(word: str, arg: str) -> tuple[Command | None, str | None]:
    """The command for one "#word arg" line, or the Russian error explaining why not."""
    name = ALIASES.get(word.lower(), word.lower())
    if name not in COMMANDS:
        hint = difflib.get_close_matches(name, (*COMMANDS, *ALIASES), n=1)
        suffix = f" (может быть, #{hint[0]}?)" if hint else ""
        known = ", ".join(f"#{c}" for c in COMMANDS)
        return None, f"Неизвестная команда: #{word}{suffix}; допустимы: {known}"
    if name in NO_ARG:
        if arg:
            return None, f"#{name}: команда без аргументов, лишнее: «{arg}»"
        return Command(name), None
    if name == "note":
        return Command(name, arg or None), None
    if name == "level":
        known = ", ".join(LEVELS)
        if not arg:
            return None, f"#level: нужен уровень; допустимы: {known}"
        if arg.lower() not in LEVELS:
            return None, f"#level: неизвестный уровень «{arg}»; допустимы: {known}"
        return Command(name, arg.lower()), None
    if name == "spam":  # "#spam": block the sender; "#spam domain": the whole domain
        if arg and arg.lower() not in ("domain", "домен"):
            return None, f"#spam: допустимо только «#spam» или «#spam domain», а не «{arg}»"
        return Command(name, "domain" if arg else None), None
    # assign, cc, uncc: staff paste "Ivan <ivan@x>" as often as a bare address.
    if not arg:
        return None, f"#{name}: нужен адрес" + (" сотрудника" if name == "assign" else "")
    bracketed = re.search(r"<([^<>]*)>", arg)
    address = (bracketed.group(1) if bracketed else arg).strip()
    if address.lower().startswith("mailto:"):
        address = address[7:]
    if not ADDRESS_RE.fullmatch(address):
        return None, f"#{name}: «{arg}» не похоже на адрес электронной почты"
    return Command(name, address.lower()), None
