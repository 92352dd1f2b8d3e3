"""The staff commands: what each one's argument is (REGISTRY), and how staff are shown
them (cheat_sheet). Their names, the other words staff may type for them (ALIASES) and
how a typed "#word" is read as one of them (resolve): commandnames.py. Reading the
lines of a reply: commands.py.

Adding a command is its name in commandnames.NAMES and one entry in REGISTRY (and its
effect where the ticket changes); test_command_typing holds the two to the same names.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass

from maild.domain.addrspec import valid_addr_spec
from maild.domain.commandnames import ALIASES, resolve
from maild.domain.layout import readings, russian_typed
from maild.domain.limits import MAX_NAMED, cut
from maild.domain.linktext import collapsed_links
from maild.domain.lookalike import mixed, unconfused_words
from maild.domain.sender import ENTITLED_LEVELS
from maild.domain.sla import LEVELS
from maild.domain.tid import parse_tid

__all__ = [
    "ALIASES",
    "COMMANDS",
    "CRITICAL_OFF",
    "EARLIER_SHEET",
    "KEYWORDS",
    "LEVEL_SETTERS",
    "REGISTRY",
    "Spec",
    "cheat_sheet",
    "keyword",
    "resolve",
    "shown",
]

# An argument reader: the raw text after the name -> (normalised arg, error or None).
ArgReader = Callable[[str, str], tuple[str | None, str | None]]


@dataclass(frozen=True)
class Spec:
    """A known command: how its argument is read, and its cheat-sheet line."""

    read: ArgReader
    usage: str  # "#level <уровень>": the name first, then what follows it
    help: str  # Russian, one line


def _no_arg(name: str, arg: str) -> tuple[str | None, str | None]:
    if arg:
        return None, f"#{name}: команда без аргументов, лишнее: «{arg}»"
    return None, None


def _optional_text(name: str, arg: str) -> tuple[str | None, str | None]:
    return arg or None, None


def _level(name: str, arg: str) -> tuple[str | None, str | None]:
    # every level, as the cheat sheet gives them: #consulting, #development are the same
    known = ", ".join(ENTITLED_LEVELS)
    known += ", а также consulting (#consulting) и development (#development)"
    if not arg:
        return None, f"#level: нужен уровень; допустимы: {known}"
    # a level is a fixed word, as KEYWORDS are, read as they are (layout.readings):
    # «#level мшз» typed in the Russian layout, «vіp» with a Ukrainian «і»
    for typed in readings(arg):
        if typed in LEVELS:
            return typed, None
    return None, f"#level: неизвестный уровень «{arg}»; допустимы: {known}"


ADDRESS_RE = re.compile(r"[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\".]+")


_QUOTES = "«»\"'“”„‘’`"


def _address(name: str, arg: str) -> tuple[str | None, str | None]:
    # staff paste "Ivan <ivan@x>" from their client as often as a bare address
    if not arg:
        return None, f"#{name}: нужен адрес" + (" сотрудника" if name == "assign" else "")
    # Outlook's plain text of an address it made a link: «buh@shop.ru<mailto:buh@shop.ru>»,
    # one address (a link whose text names another address stays two: _several)
    arg = collapsed_links(arg)
    bracketed = re.search(r"<([^<>]*)>", arg)
    # quotes around it as a notice shows one («#human ivan@…»), copied along
    address = (bracketed.group(1) if bracketed else arg).strip().strip(_QUOTES).strip()
    if address.lower().startswith("mailto:"):
        address = address[7:]
    if len(ADDRESS_RE.findall(arg)) > 1:  # «#cc a@x.ru, b@x.ru»: one line, one address
        return None, _several(name, ADDRESS_RE.findall(arg))
    if not ADDRESS_RE.fullmatch(address):
        return None, f"#{name}: «{arg}» не похоже на адрес электронной почты"
    if any(mixed(word) for word in re.split(r"[@.]", address)):
        # «buh@shоp.ru» with a Russian «о»: a lookalike of the address meant, whose mail
        # would go nowhere, or to whoever owns that other name (the error says which)
        return None, f"#{name}: в адресе «{address}» латинские буквы смешаны с русскими"
    return address.lower(), None


def _new_address(name: str, arg: str) -> tuple[str | None, str | None]:
    """An address mail is to go to from now on (#cc): one a relay takes. Longer than
    RFC 5321's 254 octets, or a domain label past 63, it was added, and every answer's
    copy to the customer, naming it in To, was refused by the relay: nobody got it."""
    address, error = _address(name, arg)
    if address is None or valid_addr_spec(address):
        return address, error
    shown = cut(address, MAX_NAMED)
    return None, (
        f"#{name}: «{shown}» — такой адрес почтовый сервер не принимает "
        "(длиннее 254 символов или с частью домена длиннее 63)"
    )


def _several(name: str, found: list[str]) -> str:
    """The error of several addresses on one line: each is a command of its own."""
    if name == "assign":
        return "#assign: назначить можно одного сотрудника, а в строке несколько адресов"
    lines = ", ".join(f"«#{name} {a}»" for a in found)
    return f"#{name}: в строке несколько адресов; по одному адресу в строке: {lines}"


ANSWER_NAME_RE = re.compile(r"[\w-]+")


def _answer_name(name: str, arg: str) -> tuple[str | None, str | None]:
    # a Russian name typed with the Latin layout left on has the keys of «б ю ж х ъ э
    # ё» in it (",", ".", ";", "[", ...): «спасибо» is "cgfcb,j" (answers.find_answer),
    # while "#answer's" and "#answer[k]" are prose (layout.russian_typed); a phone's
    # "." or "!" may follow any name
    read = (arg, arg.rstrip(".,;!"))
    if not any(ANSWER_NAME_RE.fullmatch(typed) for typed in read) and not russian_typed(arg):
        return None, f"#{name}: нужно имя сохранённого ответа (буквы, цифры, - и _)"
    return arg.lower(), None


def _tid(name: str, arg: str) -> tuple[str | None, str | None]:
    tid = parse_tid(arg)  # as a subject's tag reads it: "[ТID#…]", «4821–7730», the CLI's too
    if tid is None:
        return None, f"#{name}: нужен номер обращения вида 1234-5678, а не «{arg}»"
    return tid, None


def _charset(name: str, arg: str) -> tuple[str | None, str | None]:
    if not arg:  # not «неизвестная кодировка «»»: nothing was named
        return None, f"#{name}: нужно имя кодировки, например: #charset windows-1251 (или koi8-r)"
    try:  # a charset's name is Latin: «windоws-1251» with a Russian «о» too
        codec = codecs.lookup(unconfused_words(arg)).name
    except LookupError:
        codec = ""
    if not codec:
        return None, f"#{name}: неизвестная кодировка «{arg}»; например: windows-1251, koi8-r"
    return codec, None


# The commands by which staff set a ticket's level: #level <id>, and the two levels
# named by a command of their own (conflicts.py, ticket.apply_command, levelnow.py)
LEVEL_SETTERS = ("level", "consulting", "development")

# «#critical нет»: the mark taken off (a ticket marked by mistake, a site back up);
# the argument as a record keeps it, whichever of its words was typed
CRITICAL_OFF = "нет"
# The fixed words a command takes after its name (lower case), each with the value a
# record keeps. Each is read as typed, or typed in the other layout: «#critical ytn»
# and «#spam ljvty» are «нет» and «домен» with the Latin layout left on, «щаа» is
# "off" with the Russian one. So is a level (_level: «#level мшз» is vip). An address,
# a TID, a charset mean what they say; a saved answer's own name first (a Latin answer
# named "ytn" is not «нет»: answers.find_answer); no word read here is a Latin one
# another command takes.
KEYWORDS: dict[str, dict[str, str]] = {
    "critical": {CRITICAL_OFF: CRITICAL_OFF, "off": CRITICAL_OFF},
    "spam": {"домен": "domain", "domain": "domain"},
}


def keyword(name: str, arg: str) -> str | None:
    """The value of ``arg`` as one of the command ``name``'s KEYWORDS, or None: in
    either case, as typed or in either layout, in the quotes or brackets of a copy."""
    word = arg.lower().strip("[]<>" + _QUOTES)
    words = KEYWORDS[name]
    for form in readings(word):
        if form in words:
            return words[form]
    return None


def _spam_scope(name: str, arg: str) -> tuple[str | None, str | None]:
    # "#spam": block the sender; "#spam домен" (or "domain"): the whole domain;
    # the word itself, not a domain's name: the domain is always the sender's
    if arg and keyword(name, arg) is None:
        return None, (
            f"#spam: «{arg}» не понято. «#spam» блокирует отправителя, «#spam домен»"
            " (само слово «домен» или domain, а не имя домена) — весь домен отправителя"
        )
    return ("domain" if arg else None), None


def _critical(name: str, arg: str) -> tuple[str | None, str | None]:
    # "#critical": mark; "#critical нет" (or "off"): take the mark off
    if not arg:
        return None, None
    if (value := keyword(name, arg)) is not None:
        return value, None
    return None, (
        f"#critical: «{arg}» не понято. «#critical» отмечает обращение как срочное,"
        " «#critical нет» (или #critical off) снимает отметку"
    )


REGISTRY: dict[str, Spec] = {
    "take": Spec(_no_arg, "#take", "взять в работу (клиенту уйдёт уведомление)"),
    "wait": Spec(_no_arg, "#wait", "ждём ответа клиента"),
    "close": Spec(_no_arg, "#close", "закрыть (клиенту уйдёт просьба оценить работу)"),
    "reopen": Spec(_no_arg, "#reopen", "открыть снова"),
    "level": Spec(_level, "#level <уровень>", ", ".join(ENTITLED_LEVELS)),
    "consulting": Spec(_no_arg, "#consulting", "= #level consulting (консультирование)"),
    "development": Spec(_no_arg, "#development", "= #level development (в отдел разработки)"),
    "critical": Spec(_critical, "#critical", "срочное: вне очереди"),
    "assign": Spec(_address, "#assign <адрес>", "назначить сотрудника"),
    # "#note проверил логи": the text on its line is the note (rejecting that line
    # would lose the flag that keeps the reply away from the customer)
    "note": Spec(_optional_text, "#note", "весь ответ — заметка, клиенту не уходит"),
    "answer": Spec(_answer_name, "#answer <имя>", "вставить сохранённый ответ на место строки"),
    "merge": Spec(_tid, "#merge <TID>", "перенести это обращение в обращение TID"),
    "charset": Spec(_charset, "#charset <имя>", "перечитать последнее письмо клиента в кодировке"),
    "cc": Spec(_new_address, "#cc <адрес>", "добавить участника (будет получать ответы)"),
    "uncc": Spec(_address, "#uncc <адрес>", "убрать участника"),
    "human": Spec(
        lambda name, arg: _address(name, arg) if arg else (None, None),
        "#human [адрес]",
        "снять отметку «робот» (без адреса — со всех)",
    ),
    "spam": Spec(_spam_scope, "#spam", "в карантин; блокируется отправитель"),
}
# Lines of the cheat sheet under a command's own: a word it takes as written. «#spam
# [домен]» read as a placeholder, as «#human [адрес]» is one, and «#spam cust6.ru» was
# refused: the word is shown bare, on a line of its own.
MORE_LINES = {
    "critical": (("#critical нет", "снять отметку «срочное»"),),
    "spam": (("#spam домен", "то же; блокируется весь домен отправителя"),),
}
# Lines of the cheat sheet as notices sent before showed them: a reply that holds one
# unquoted holds a notice (commands.holds_notice), however old.
EARLIER_SHEET = (
    ("#level <уровень>", "partner, vip, operative, standard, free"),
    ("#consulting", "перевести в «Консультирование по общим вопросам»"),
    ("#consulting (#консультация)", "перевести в «Консультирование по общим вопросам»"),
    ("#development", "передать в отдел разработки"),
    ("#development (#разработка)", "передать в отдел разработки"),
    ("#note", "весь ответ — внутренняя заметка, клиенту не уходит"),
    ("#note (#заметка)", "весь ответ — внутренняя заметка, клиенту не уходит"),
    ("#charset <кодировка>", "перечитать последнее письмо клиента в кодировке"),
    ("#charset (#кодировка) <кодировка>", "перечитать последнее письмо клиента в кодировке"),
    ("#human [адрес]", "это человек: снять отметку «робот» (без адреса — со всех)"),
    ("#spam [domain]", "спам: обращение в карантин, отправитель блокируется (domain — весь домен)"),
    (
        "#spam (#спам) [domain]",
        "спам: обращение в карантин, отправитель блокируется (domain — весь домен)",
    ),
    ("#spam [домен]", "в карантин; блокируется отправитель или домен"),
    ("#spam (#спам) [домен]", "в карантин; блокируется отправитель или домен"),
)
COMMANDS = tuple(REGISTRY)


def shown(name: str) -> str:
    """A command as staff are shown it, with its aliases: "#close (#закрыть)"."""
    words = [f"#{alias}" for alias, target in ALIASES.items() if target == name]
    return f"#{name}" + (f" ({', '.join(words)})" if words else "")


def cheat_sheet() -> list[tuple[str, str]]:
    """(usage, help) of every command, for the staff templates: the usage with the
    command's aliases after its name, "#level (#уровень) <уровень>", then its
    MORE_LINES."""
    return [
        line
        for name, spec in REGISTRY.items()
        for line in (
            (shown(name) + spec.usage.removeprefix(f"#{name}"), spec.help),
            *MORE_LINES.get(name, ()),
        )
    ]
