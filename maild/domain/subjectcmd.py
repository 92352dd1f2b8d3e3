"""A command typed in the subject of a staff reply («Re: ... [TID#...] #close»).

Commands are read from the reply's text alone, line by line: a subject is the
customer's words and the notice's, repeated by every «Re:», and no line of its own. A
command typed there ran nothing, and the staff member, who believed the ticket closed,
heard nothing. It still runs nothing; the staff member is told, in one line of the mail
that tells of the reply's errors (staff_error.txt), that commands in the subject are
not carried out and to write it on a line of its own in the text.

A word of the subject reads as a command as a line of the text does (commands.command_of:
either layout, lookalike letters, a fullwidth «＃», a phone's period), with the word after
it when the command takes one («#level vip»). A hashtag or «#123» is text there too. Not
told: a command the reply's text gives as well, and a word the customers' own subjects
hold (the customer wrote «#take» in theirs, and every «Re:» repeats it).

A command that keeps the reply's text from the customer (HOLDING: #note, #spam), typed
in the subject of a reply whose text gives neither, holds the whole reply instead
(of_reply's first list: an error that stops it): read as it comes, its text, an internal note
(«Клиент грубит, лицензия пиратская»), went to the customer as the answer, and the
staff member learnt it after. The rest of the subject's commands are told as above.

Pure: the subject, the reply's commands and the thread's subjects in, the errors
(Russian) out.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from maild.domain.commands import SIGNS, Command, command_of
from maild.domain.conflicts import shown
from maild.domain.records import MessageRecord, Ticket

__all__ = ["HOLDING", "of_reply"]

SUBJECT_WORDS = 64  # a subject's words read for a command: a hostile subject is long
HOLDING = ("note", "spam")  # nothing of the reply's text goes to the customer with them


def _named(
    subject: str, commands: list[Command], thread_subjects: Iterable[str]
) -> list[tuple[str, str]]:
    """(name, as typed) of each command ``subject`` holds that ``commands`` do not give,
    none of them a word of ``thread_subjects``."""
    given = {_key(c) for c in commands}
    theirs = {w.casefold() for s in thread_subjects for w in s.split()}
    words = subject.split()[:SUBJECT_WORDS]
    named: dict[str, str] = {}
    for i, word in enumerate(words):
        if word[:1] not in SIGNS or word.casefold() in theirs:
            continue
        found, typed = _read(word, words[i + 1] if i + 1 < len(words) else "")
        if found is None or _key(found) in given:
            continue
        as_run = shown(Command(found.name) if found.name == "note" else found)
        same = typed.rstrip(".,;:!").lower() == as_run  # «#сдщыу» is #close
        named.setdefault(as_run if same else f"{typed} ({as_run})", found.name)
    return [(name, typed) for typed, name in named.items()]


NOT_RUN = (
    "{named} в теме письма не {done}: maild читает команды только в тексте письма."
    " Напишите {it} отдельной строкой в тексте письма (над цитатой)."
)
HELD = (
    "{named} в теме письма не {done}, и письмо не отправлено клиенту: maild читает"
    " команды только в тексте письма, а с {such} текст клиенту не уходит. Если {need},"
    " напишите {it} отдельной строкой в тексте письма (над цитатой); если текст — ответ"
    " клиенту, уберите {them} из темы."
)


def _error(named: list[str], text: str) -> list[str]:
    """``text`` naming ``named`` (one or several), wrapped as staff_error lists it."""
    if not named:
        return []
    one = len(named) == 1
    text = text.format(
        named=", ".join(named),
        done="выполнена" if one else "выполнены",
        it="её" if one else "каждую",
        such="этой командой" if one else "этими командами",
        need="она нужна" if one else "они нужны",
        them="её" if one else "их",
    )
    return ["\n".join(textwrap.wrap(text, 80, subsequent_indent="    ", break_on_hyphens=False))]


def of_reply(
    subject: str, commands: Iterable[Command], ticket: Ticket, messages: list[MessageRecord]
) -> tuple[list[str], list[str]]:
    """(held, not run) of a staff reply to ``ticket`` whose text gives ``commands``:
    the error (a list of it, or []) that stops a reply whose ``subject`` names a command
    of HOLDING the text gives none of (the text is no answer), and the one naming the
    rest of the commands ``subject`` holds that the text does not give. A word of the
    customers' subjects (the ticket's and their mails') is theirs, no command."""
    theirs = [m.get("subject") or "" for m in messages if m.get("kind") == "customer"]
    given = list(commands)
    named = _named(subject, given, [ticket.get("subject") or "", *theirs])
    holds = not any(c.name in HOLDING for c in given)
    held = [typed for name, typed in named if holds and name in HOLDING]
    rest = [typed for _, typed in named if typed not in held]
    return _error(held, HELD), _error(rest, NOT_RUN)


def _read(word: str, after: str) -> tuple[Command | None, str]:
    """(the command, as typed) of ``word`` with the word ``after`` it as its argument
    («#level vip»), else of ``word`` alone («#close» before the subject's next word);
    None when neither reads as one."""
    if after:
        with_arg = command_of(f"{word} {after}")
        if isinstance(with_arg, Command) and with_arg.arg and with_arg.name != "note":
            return with_arg, f"{word} {after}"
    alone = command_of(word)
    return (alone if isinstance(alone, Command) else None), word


def _key(command: Command) -> tuple[str, str | None]:
    """What makes two commands the same one: a note's text is any words."""
    return (command.name, None if command.name == "note" else command.arg)
