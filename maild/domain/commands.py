"""Staff commands: the "#close", "#level vip", ... lines in a staff reply.

Which commands there are, their aliases and arguments: commandspec.py. Here: which
lines of a reply are commands. Pure parsing only; applying a command is the caller's job.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from maild.domain.commandnames import SIGNS, bare
from maild.domain.commandspec import ALIASES, COMMANDS, REGISTRY, cheat_sheet, resolve
from maild.domain.heldnotice import UNSEPARATED, holds_notice
from maild.domain.layout import from_russian_layout, halfwidth, readings, russian_typed
from maild.domain.limits import MAX_NAMED, cut
from maild.domain.lookalike import told
from maild.domain.nearmiss import latin_typed, near_command, swapped
from maild.domain.quotes import forward_at, is_quoted, trim_reply, unquoted
from maild.domain.records import MessageRecord, Ticket
from maild.domain.typedlines import Thread

__all__ = ["COMMANDS", "REGISTRY", "SIGNS", "Command", "cheat_sheet", "command_of"]
__all__ += ["errors_in_order", "ParsedReply", "holds_notice", "IN_QUOTE", "UNSEPARATED"]
__all__ += ["in_quote", "parse_reply", "written"]

# "#" (or "№", what Shift+3 types on the Russian layout; a fullwidth "＃" is read as
# "#": layout.halfwidth) directly followed by a word
# that starts with a letter, so "#123 ..." (an order number) or "# Заголовок" is text;
# an optional ":" after the name is tolerated. A client writing KOI8-R, which has no
# "№", sends "?" for it (The Bat!, Outlook): "?сдщыу" is "№сдщыу" (_command).
COMMAND_RE = re.compile(r"([#№?])([^\W\d_][\w-]*)[^\S\n]*:?[^\S\n]*(.*)")
# A Russian alias typed with the Latin layout left on holds the keys of «х ъ ж э б ю»
# if it has those letters, "[ ] ; ' , .", no letters to COMMAND_RE: «#;lfnm» is
# #ждать, «#hfphf,jnrf» #разработка (_match). Its word runs to a space, less the "."
# or "," after it (a phone's period, prose's comma), a "!" and a ":".
# The word is at most LATIN_WORD keys (the longest alias and a slip, with room): a
# pattern with no bound backtracked over a line of «.,:!» for time quadratic in it.
LATIN_WORD = 16
LATIN_TYPED_RE = re.compile(rf"([#№])(\S{{1,{LATIN_WORD}}}?)[.,:!]*(?:[^\S\n]+|$)(.*)")
WORD_RE = re.compile(r"[\w-]+")
# What a staff member reads of a command in_quote finds (staff_error.txt).
IN_QUOTE = (
    "{line} не выполнена: строка стоит внутри цитаты (ниже шапки «От:» / «Отправлено:»,\n"
    "    «-----Original Message-----» или «... пишет:», либо среди строк с «>») или в\n"
    "    пересланном письме, а команды там maild не выполняет. Напишите команду над цитатой."
)
IN_QUOTE_LISTED = 5  # the first ones: a hostile reply of a million is told of five


@dataclass(frozen=True)
class Command:
    """One recognised command; ``arg`` is normalised (lower-case level id or address)."""

    name: str
    arg: str | None = None


Apply = Callable[[Ticket, Command], tuple[Ticket, str | None]]


def errors_in_order(
    ticket: Ticket, commands: tuple[Command, ...], names: tuple[str, ...], apply: Apply
) -> list[str]:
    """The errors (Russian) of a reply's lines of the commands `names`, each applied
    (`apply`: the ticket after it, or an error) to the ticket the ones above it left:
    "#uncc a" after "#cc a" is no error, "#human a" twice is one."""
    found: list[str] = []
    for cmd in commands:
        if cmd.name in names:
            ticket, err = apply(ticket, cmd)
            found += [err] if err else []
    return found


@dataclass(frozen=True)
class ParsedReply:
    """A staff reply with its command lines taken out.

    ``pieces`` is the reply in order: text, and the ``#answer`` commands where their
    line stood (the caller inserts the saved answer there). ``body`` is the text alone.
    ``errors`` are Russian, one per bad command line, for the reply to staff. A line
    with an error is still removed: staff meant it as a command, so it must never
    reach the customer. With errors the caller sends nothing to the customer.
    """

    commands: tuple[Command, ...]
    errors: tuple[str, ...]
    body: str
    note: bool
    pieces: tuple[str | Command, ...] = ()
    own_end: int | None = None  # where its own text ends (trim_reply): in_quote's start

    def fill(self, answer: Callable[[str], str]) -> str:
        """The body with each ``#answer NAME`` replaced by ``answer(NAME)``."""
        return "".join(p if isinstance(p, str) else answer(p.arg or "") for p in self.pieces)


def parse_reply(text: str, customers: Sequence[str] = ()) -> ParsedReply:
    """Find the command lines in the reply's own text (not in the quoted history).

    A line that is exactly a known command is run and removed wherever it stands, and
    one that is a known command with a wrong argument is an error wherever it stands;
    an unknown "#word" line is an error in the leading block of command lines, and
    further down only when it is a command mistyped (_mistyped: "#clsoe", "# close");
    any other is the staff member's text (a hashtag, "#123"), and so is a line of
    the ticket's ``customers``' mails (their texts), copied into the answer.
    """
    own_end = min(len(trim_reply(text, fallback=False)), forward_at(text))
    mistyped = _Mistyped(customers)
    commands: list[Command] = []
    errors: list[str] = []
    pieces: list[str | Command] = []
    leading = True  # still in the block of command lines at the top
    pos = 0
    for line in text.splitlines(keepends=True):
        start, pos = pos, pos + len(line)
        stripped = bare(line)  # «*#close*»: Gmail
        m = _match(halfwidth(stripped)) if stripped[:1] in SIGNS and start < own_end else None
        found = _command(m, leading, stripped) if m else None
        if found is None and leading and stripped[:1] in SIGNS and start < own_end:
            found = _spaced(stripped) or _unnamed(stripped)
        elif found is None and stripped and start < own_end:
            found = mistyped(stripped)
        if found is None:
            if stripped:
                leading = False
            if not leading:  # blank lines around the leading block are not the answer
                pieces.append(line)
            continue
        if isinstance(found, str):  # «vіp» looks as "vip" does: which letter is not
            errors.append(f"{found} ({hint})" if (hint := told(stripped)) else found)
            continue
        commands.append(found)
        if found.name == "answer":
            pieces.append(found)
    body = "".join(p for p in pieces if isinstance(p, str))
    return ParsedReply(
        commands=tuple(commands),
        errors=tuple(errors),
        body=body,
        note=any(c.name == "note" for c in commands),
        pieces=_merge_text(pieces),
        own_end=own_end,
    )


def in_quote(
    text: str, messages: list[MessageRecord], own: tuple[Command, ...] = (), end: int | None = None
) -> list[str]:
    """The command lines of ``text`` that parse_reply does not run, standing in the
    quoted history: below Outlook's «От:» / «Отправлено:» block (the original follows
    unquoted, and "#close" typed under it at the very end of the mail looked like the
    reply's own last line), or among the "> " lines. Not a line of one of the ticket's
    ``messages`` (the notice's cheat sheet, a customer's own "#..." line), nor a command
    one of them ran ("#close", as records keep them), which a staff member replying to
    their own earlier mail quotes back, nor one of the reply's ``own`` commands (that
    mail sent again, the command now on top). ``end``: ParsedReply.own_end, if known."""
    own_end = len(trim_reply(text, fallback=False)) if end is None else end
    thread = Thread([m["text"] for m in messages])
    ran = {c for m in messages for c in m.get("commands") or ()} | {written(c) for c in own}
    found: list[str] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        start, pos = pos, pos + len(line)
        if start < own_end and not is_quoted(line):
            continue  # the reply's own text: parse_reply runs it
        stripped = bare(unquoted(line))
        command = command_of(stripped)
        if not isinstance(command, Command) or thread.holds_line(stripped):
            continue
        if written(command) not in ran:
            found.append(stripped)
            if len(found) == IN_QUOTE_LISTED:
                break
    return found


def command_of(line: str) -> Command | str | None:
    """What ``line`` (stripped) reads as standing alone under a reply's answer: a
    command, its error (a str), or None, text (a hashtag, "#123")."""
    m = _match(halfwidth(line)) if line[:1] in SIGNS else None
    return _command(m, False, line) if m else None


def written(command: Command) -> str:
    """A command as a record keeps it: "#close", "#level vip"."""
    return f"#{command.name}" + (f" {command.arg}" if command.arg else "")


def _merge_text(pieces: list[str | Command]) -> tuple[str | Command, ...]:
    """``pieces`` with each run of lines one string, joined once: adding each line to
    the run's string copied it every time (2 s for a reply of 16,000 lines)."""
    out: list[str | Command] = []
    run: list[str] = []
    for p in pieces:
        if isinstance(p, str):
            run.append(p)
            continue
        if run:
            out.append("".join(run))
            run = []
        out.append(p)
    if run:
        out.append("".join(run))
    return tuple(out)


def _match(line: str) -> re.Match[str] | None:
    """The "#word arg" of a line (read by halfwidth), or None: COMMAND_RE's, or that of
    a Russian alias (or a slip of one) typed with the Latin layout left on whose word
    holds a key no Latin letter stands on (LATIN_TYPED_RE; "#pfrhsnm!", "#close;")."""
    m = COMMAND_RE.fullmatch(line)
    if m and resolve(m.group(2)):
        return m
    latin = LATIN_TYPED_RE.fullmatch(line)
    if latin and not WORD_RE.fullmatch(latin.group(2)) and latin_typed(latin.group(2)):
        return latin
    return m


def _command(m: re.Match[str], leading: bool, typed: str = "") -> Command | str | None:
    """The command of one "#word arg" line, its error (a str) if it is a command line
    that is wrong, or None when the line is text. ``m`` matched the line as halfwidth
    reads it, ``typed`` the line itself (the same length): a note's text is kept as
    typed, fullwidth signs and all."""
    sign, word, arg = m.group(1), m.group(2), m.group(3).strip()
    # typed in the Russian layout (a Russian word, or a name with that layout left on)
    russian = not word.isascii()
    if sign == "?" and not russian:
        return None  # a "?" stands for "№" only before Russian: "?close" is text
    name = resolve(word)
    if name is None:
        return _unknown(_whole(m)) if leading and sign == "#" else None
    if name == "note" and typed:
        arg = typed[m.start(3) : m.end(3)].strip()
    if name not in ("note", "answer"):
        # a phone's keyboard ends a line with ". " for a double space: "#close." is
        # "#close" («#note ...» keeps its text as typed; an answer's name its last key,
        # «,kfujlfh.» is «благодарю» in the Latin layout: answers.find_answer)
        arg = arg.rstrip(".,;!").strip()
        if russian and arg and REGISTRY[name].read(name, arg)[1] is not None:
            # the argument was typed on the same layout; an address or a TID has none
            # of the letters, a level or an answer name has nothing but them
            return _in_layout(name, arg)
    value, error = REGISTRY[name].read(name, arg)
    # a known command with words after it is an error anywhere in the reply's own text:
    # «#close — вопрос решён» under the answer, read as text, went to the customer and
    # closed nothing, with no word to the staff member
    return error or Command(name, value)


def _whole(m: re.Match[str]) -> str:
    """The word of an unknown "#word" line: up to a space when so it reads as a Russian
    word typed with the Latin layout left on (layout.russian_typed): "#cgfcb,j" is
    «спасибо» (an answer's name, «#answer» left out), not "#cgfcb", whose «спасб» was
    told «может быть, #спам?», a command that blocks the sender."""
    latin = LATIN_TYPED_RE.fullmatch(m.string)
    return latin.group(2) if latin and russian_typed(latin.group(2)) else m.group(2)


def _in_layout(name: str, arg: str) -> Command | str:
    """The command of a Russian-layout line whose argument reads only in Latin
    («#думуд мшз»: #level vip), or its error. The error names the argument as typed,
    and what it reads as in Latin after it: «#уровень золото» named «pjkjnj» alone,
    a word nobody typed; «#думуд мшзз» shows its slip as «vipp»."""
    latin = from_russian_layout(arg)
    value, error = REGISTRY[name].read(name, latin)
    if error is None:
        return Command(name, value)
    typed = REGISTRY[name].read(name, arg)[1] or error
    return f"{typed} (в латинской раскладке: «{latin}»)" if latin != arg else typed


def _closed_up(line: str) -> re.Match[str] | None:
    """The "#word arg" of a line with a space after its sign ("# close": a habit of
    headings, a phone's keyboard), read with that space taken out: a command's word,
    a Russian alias typed with the Latin layout left on ("# ;lfnm", #ждать) or a
    heading ("# Итоги"); None for a line of another shape."""
    read = halfwidth(line)
    if len(read) < 2 or read[0] not in "#№" or not read[1].isspace():
        return None
    return _match(read[0] + read[1:].lstrip())


def _spaced(line: str) -> str | None:
    """The error of a "# close" line in the leading block: read as text it went to
    the customer and ran nothing. None for any other line ("# Итоги", a heading, is
    text)."""
    m = _closed_up(line)
    if m is None or resolve(m.group(2)) is None:
        return None
    sign = line[0]
    return f"«{line}»: между «{sign}» и командой не должно быть пробела ({sign}{m.group(2)})"


def _unnamed(line: str) -> str | None:
    """The error of a "#word" line in the leading block whose word, typed with the
    Latin layout left on, starts with a key no Latin letter stands on: "#,kfujlfh."
    is «#благодарю» (an answer's name, «#answer» left out), unknown as "#cgfcb,j" is,
    where COMMAND_RE reads no word and the line went to the customer."""
    read = halfwidth(line)
    latin = LATIN_TYPED_RE.fullmatch(read)
    if latin is None or latin.group(1) != "#" or not russian_typed(latin.group(2)):
        return None
    if latin.group(2)[0] in ".>`~":  # «ю», «ё» start few words, and "#.NET", "#.bashrc"
        return None  # or "#`code`" are a reply's own text
    # named with the one key after its word: «,kfujlfh.» ends in «ю»
    return _unknown(read[1 : latin.end(2) + 1].rstrip())


class _Mistyped:
    """The error of a line of its own under the top of a reply that is a command
    mistyped, or None: a word one slip from a command's name or alias
    (nearmiss.near_command: "#clsoe", "#закрыь"; with an argument the command reads,
    "#levle vip"), or a command with a space after its sign ("# close"). Read as text
    it went to the customer, ran nothing, and the staff member heard nothing. A line
    of the customers' own mail (``texts``) is theirs, copied: text."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = texts
        self.thread: Thread | None = None  # built for the first line that needs it

    def __call__(self, line: str) -> str | None:
        if line[:1] not in SIGNS:
            return None
        error = _spaced_below(line)
        m = _match(halfwidth(line))
        if error is None and m and m.group(1) != "?":
            error = _slip(m.group(2), m.group(3).strip())
        if error is None or not self.texts:
            return error
        if self.thread is None:
            self.thread = Thread(list(self.texts))
        return None if self.thread.holds_line(line) else error


def _spaced_below(line: str) -> str | None:
    """_spaced's error for a line that, the space taken out, is a command that runs
    ("# close", "# level vip"); a heading is text ("# Заметка о настройке")."""
    m = _closed_up(line)
    found = _command(m, False) if m else None
    if not isinstance(found, Command) or found.name == "note" and found.arg:
        return None
    return _spaced(line)


def _slip(word: str, arg: str) -> str | None:
    """The error of "#word arg" when ``word`` is one slip from a command and ``arg``
    is nothing or what that command reads, or the slip is a swap, which no word of
    prose is (nearmiss.swapped); None for a hashtag with words after it."""
    meant = near_command(word)
    name = resolve(meant) if meant else None
    if meant is None or name is None:
        return None
    arg = arg.rstrip(".,;!").strip()
    if not arg or swapped(word):  # "#clsoe вопрос решён", "#ntoe проверил логи"
        return _unknown(word, meant)
    if name == "note":
        return None  # "#заметки о настройке": a note's text is any words
    # the argument as _command reads it: as typed, or a Russian word's in its layout
    typed = [arg] if word.isascii() else [arg, from_russian_layout(arg)]
    if all(REGISTRY[name].read(name, a)[1] is not None for a in typed):
        return None
    return _unknown(word, meant)


def _unknown(word: str, meant: str | None = None) -> str:
    """The error of an unknown "#word" line. The known commands are listed once, at
    the mail's foot (commands.txt), not in every error: a reply of 200,000 such lines
    made a 100 MB mail. A long word is named by its first limits.MAX_NAMED characters."""
    hint = meant or _nearest(word.lower())
    suffix = f" (может быть, #{hint}?)" if hint else ""
    return f"Неизвестная команда: #{cut(word, MAX_NAMED)}{suffix}; список команд — в конце письма"


@functools.lru_cache(maxsize=1024)  # a reply of one "#word" line many times over
def _nearest(low: str) -> str | None:
    """The command or alias nearest ``low`` as written, or typed in the other layout
    («сдщыуу»: "closee", #close; "pfrhsnmm": «закрытьь»), each reading tried once.
    Never #spam by a loose likeness: it blocks the sender, and «поэтам» is as near it
    as "#clsoe" is to #close; one slip of it («#sapm») is named (nearmiss)."""
    if meant := near_command(low):
        return meant
    words = tuple(w for w in (*COMMANDS, *ALIASES) if resolve(w) != "spam")
    for form in readings(low):
        if near := difflib.get_close_matches(form, words, n=1):
            return near[0]
    return None
