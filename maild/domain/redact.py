"""Blank out the access data (passwords, logins, URL userinfo) customers mail to staff.

The label stays and only the value is replaced, so the text still reads:
"Пароль: [данные доступа удалены]". Pure; idempotent.
"""

from __future__ import annotations

import re

__all__ = ["MARKER", "redact_credentials"]

MARKER = "[данные доступа удалены]"

_H = r"[^\S\r\n]"  # horizontal whitespace: a value never continues on the next line
_NOT_MARKER = rf"(?!{re.escape(MARKER)})"

_SECRET = r"password|passwd|pass|pwd|пароль|passphrase|token|secret|api[-_ ]?key"
_LOGIN = r"username|user|login|логин|пользователь|имя\s+пользователя|учетная\s+запись"
_LABEL = rf"(?<!\w)(?:{_SECRET}|{_LOGIN})(?!\w)"
# One value after a label: a quoted string or one word. A password rarely has spaces,
# and the words after it ("Пароль: 123 (временный)") are worth keeping.
# A "value" that is the next label means the customer left this one blank
# ("Логин: Пароль: 123"); taking it would leave "123" in the clear.
_VALUE = rf"""{_NOT_MARKER}(?!{_LABEL}{_H}*[:=—–-])(?:"[^"\r\n]*"|«[^»\r\n]*»|\S+)"""

# Labels naming both halves: the whole rest of the line is the value ("admin / 12345").
# "[данные доступа" is MARKER itself, not a label.
_PAIR_LABEL = re.compile(
    rf"""(?P<label>(?<!\w)(?:(?:{_LOGIN})(?:{_H}*(?:/|\\|и|and|&|,){_H}*)(?:{_SECRET})
        |доступы?|(?<!\[)данные{_H}+(?:для{_H}+)?(?:доступа|входа)|реквизиты{_H}+доступа
        |учетные{_H}+данные|учётные{_H}+данные|credentials)(?!\w)
        (?:{_H}+[^\s:=]+){{0,3}}?{_H}*[:=]{_H}*)
      (?P<value>{_NOT_MARKER}[^\r\n]*\S)""",
    re.IGNORECASE | re.VERBOSE,
)
# "Пароль: x", "pass=x", "Пароль — x", "Логин - admin"; with a qualifier only before
# ":" or "=" ("Пароль от админки: x"), because "пароль от админки - это ..." is prose.
_LABELLED = re.compile(
    rf"""(?P<label>{_LABEL}
        (?:{_H}*[:=]{_H}*|{_H}*[—–]{_H}*|{_H}*-{_H}+|(?:{_H}+[^\s:=]+){{1,3}}?{_H}*[:=]{_H}*))
      (?P<value>{_VALUE})""",
    re.IGNORECASE | re.VERBOSE,
)
# No separators at all: "логин admin пароль 12345". Only as a login/password pair, and
# never with a function word as value, so "пришлите логин и пароль от админки" stays.
_STOPWORDS = frozenset(
    ("и", "или", "а", "от", "для", "к", "в", "на", "с", "у", "по", "не", "же", "тот", "этот")
    + ("мой", "свой", "ваш", "наш", "новый", "новые", "and", "or", "for", "to", "of", "the")
    + ("a", "my", "your", "new", "from", "is", "was")
)
_BARE_PAIR = re.compile(
    rf"""(?P<l1>(?<!\w)(?:{_LOGIN})(?!\w){_H}+)(?P<v1>{_VALUE})
      (?P<l2>{_H}*[,;/]?{_H}+(?:{_SECRET})(?!\w){_H}+)(?P<v2>{_VALUE})""",
    re.IGNORECASE | re.VERBOSE,
)
# A password label with no separator, then within three words a token of six or more
# Latin letters and digits, a digit among them: "пароль Qwerty123", "логин тот же,
# пароль 123456", "пароль от админки Adm1n2024". Only such a token, because words
# after "пароль" are prose ("пароль неверный", "пароль от админки не подходит") and
# "site1.ru", "192.168.1.1" or "12.05.2024" are no secrets. The words between never
# start with MARKER, so a redacted value hides no further one behind it.
_BARE_SECRET = re.compile(
    rf"""(?P<label>(?<!\w)(?:{_SECRET})(?!\w)(?:{_H}+{_NOT_MARKER}[^\s:=]+){{0,3}}?{_H}+)
      (?P<value>(?=[a-z]*[0-9])[a-z0-9]{{6,}})(?=[.,;:)!?]*(?:\s|\Z))""",
    re.IGNORECASE | re.VERBOSE,
)
# A label alone on its line with the value alone on the next: "Логин:\nadmin", as
# forms and HTML tables come out. One word only, so "Пароль:\nне подходит" stays.
_NEXT_LINE = re.compile(
    rf"""(?P<label>^{_H}*{_LABEL}(?:{_H}+[^\s:=]+){{0,3}}?{_H}*[:=—–-]?{_H}*\r?\n{_H}*)
      (?!{_LABEL}{_H}*[:=—–-]?{_H}*(?:\r?\n|\Z))(?P<value>{_VALUE})(?={_H}*(?:\r?\n|\Z))""",
    re.IGNORECASE | re.VERBOSE | re.MULTILINE,
)
# scheme://user:pass@host and ssh://user@host: the whole userinfo goes.
_URL_USERINFO = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.-]*://)(?P<value>[^\s/?#@\[\]]+)@", re.I)
# "ssh root@203.0.113.5 -p 22", "ssh -p 2222 root@host": the login is half the access data.
_SSH_USER = re.compile(
    rf"(?P<scheme>\bssh(?:{_H}+-\S+(?:{_H}+[^\s@-]+(?={_H}))?)*{_H}+)(?P<value>[^\s@/-][^\s@/]*)@",
    re.I,
)
# Punctuation after a value is the sentence's, not the password's.
_TRAILING = ".,;:)"

# A pass can uncover a match the previous one hid (a value that itself looked like
# "label: value"); repeating until nothing changes is what makes the result idempotent.
_MAX_PASSES = 5


def redact_credentials(text: str) -> tuple[str, int]:
    """``text`` with access-data values replaced by MARKER, and how many were replaced."""
    total = 0
    for _ in range(_MAX_PASSES):
        text, count = _one_pass(text)
        if not count:
            break
        total += count
    return text, total


def _one_pass(text: str) -> tuple[str, int]:
    count = 0

    def whole(m: re.Match[str], prefix: str, suffix: str = "") -> str:
        nonlocal count
        count += 1
        return m.group(prefix) + MARKER + suffix

    def labelled(m: re.Match[str]) -> str:
        nonlocal count
        new = _token(m.group("value"))
        if new is None:
            return m.group(0)
        count += 1
        return m.group("label") + new

    def pair(m: re.Match[str]) -> str:
        nonlocal count
        v1, v2 = _token(m.group("v1")), _token(m.group("v2"))
        if v1 is None or v2 is None:
            return m.group(0)
        count += 2
        return m.group("l1") + v1 + m.group("l2") + v2

    # URLs first: "login:secret@host" inside a URL must not be read as "login: ...".
    text = _URL_USERINFO.sub(lambda m: whole(m, "scheme", "@"), text)
    text = _SSH_USER.sub(lambda m: whole(m, "scheme", "@"), text)
    # Once a URL's userinfo is gone, "Доступ: ftp://[...]@host" stays readable.
    text = _PAIR_LABEL.sub(
        lambda m: m.group(0) if MARKER in m.group(0) else whole(m, "label"), text
    )
    text = _LABELLED.sub(labelled, text)
    text = _NEXT_LINE.sub(labelled, text)
    text = _BARE_PAIR.sub(pair, text)
    text = _BARE_SECRET.sub(lambda m: whole(m, "label"), text)
    return text, count


def _token(raw: str) -> str | None:
    """MARKER in place of one value, keeping the sentence's punctuation after it.

    None when there is nothing to redact: only punctuation, or a function word
    ("логин и пароль") that shows the line is prose.
    """
    core = raw if raw[0] in '"«' else raw.rstrip(_TRAILING)
    if not core or core.lower() in _STOPWORDS:
        return None
    return MARKER + raw[len(core) :]
