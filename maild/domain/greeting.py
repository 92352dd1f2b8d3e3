"""Whom a letter to a customer greets by name: a sender's display name as it came is
often no name at all («ivan@shop-example.ru», «info», «Support Team», «Петров, Иван»,
«Иван Петров | ИП Петров | +7 900 000-00-00»). Such a name gives a plain
«Здравствуйте!»: a wrong greeting reads worse than none."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["addressable"]

# Words that name a role, a department or a company form, not a person: in a display
# name they mean a shared mailbox («Support Team», «Отдел продаж», «ООО Ромашка»).
ROLE_WORDS = frozenset(
    """
    admin administrator billing company contact desk department help helpdesk info
    mail mailer manager marketing no-reply noreply office orders postmaster root
    sales service support team user webmaster bot calendar cloud notification
    notifications online alerts
    администратор бот уведомления уведомление оповещения рассылка онлайн бухгалтерия
    директор инфо компания менеджер отдел офис поддержка
    приёмная приемная продажи продаж секретарь служба снабжение ао зао ип ооо пао
    оао
    """.split()  # noqa: SIM905 - a list to read, not a literal of 50 lines
)
# what no person's name holds: an address, a digit (a phone, a login), a separator of
# a signature's parts, a comma («Фамилия, Имя»: no order to greet by is certain)
_NOT_A_NAME = re.compile(r"[@|,\d/\\<>()\[\]{}:;=+_#*]")
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
# a dot between Latin letters with no space after it is a login's («ivan.petrov»),
# not an initial's («И. Петров», «I.Petrov» aside: no telling, so no name)
_LOGIN = re.compile(r"[A-Za-z]\.[A-Za-z]")
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


def addressable(display_name: str | None) -> str | None:
    """The name a greeting may use («Здравствуйте, Иван Петров!»), or None for a
    plain «Здравствуйте!»: none given, or one that holds @, digits, | and the like
    (_NOT_A_NAME), a role word (ROLE_WORDS), or is a single Latin word (a login or a
    mailbox: «info», «ivanov», «Jürgen» alike — no telling it from a name)."""
    # composed: «Й» as «И» and a combining breve is a letter all the same
    name = unicodedata.normalize("NFC", " ".join((display_name or "").split()))
    name = name.strip(" \"'«»")
    if not name or _NOT_A_NAME.search(name) or _LOGIN.search(name):
        return None
    if any(c.isnumeric() for c in name):  # «¹», «①», «Ⅻ»: numbers \d does not see
        return None
    words = name.replace(".", " ").split()  # the dot of an initial: «И. Петров»
    if not all(_WORD.fullmatch(w) for w in words):
        return None  # marks other than a name's own: «!», «&», «—», an emoji
    if any(w.lower() in ROLE_WORDS for w in words):
        return None
    if len(words) == 1 and not _CYRILLIC.search(words[0]):
        return None
    return name
