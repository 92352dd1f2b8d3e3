"""The words the redaction rules (domain.redact) share: the marker that replaces a
value, the labels of a password and of a login, and the words that show a line is prose
or a value is none.

Pure.
"""

from __future__ import annotations

import re

__all__ = [
    "H",
    "LABEL",
    "LOGIN",
    "MARKER",
    "NOT_MARKER",
    "NO_VALUE",
    "SECRET",
    "STOPWORDS",
    "TRAILING",
]

MARKER = "[данные доступа удалены]"

H = r"[^\S\r\n]"  # horizontal whitespace: a value never continues on the next line
NOT_MARKER = rf"(?!{re.escape(MARKER)})"

SECRET = (
    r"password|passwd|pass|pwd|пароль|passphrase|token|secret|api[-_ ]?key|secret[-_ ]?key"
    rf"|client[-_ ]?secret|access[-_ ]?token|ключ(?:{H}+|-)api|api[-_ ]?ключ|ключ{H}+доступа"
)
LOGIN = r"username|user|login|логин|пользователь|имя\s+пользователя|уч[её]тная\s+запись"
LABEL = rf"(?<!\w)(?:{SECRET}|{LOGIN})(?!\w)"
# Function words: a value that is one shows the line is prose ("пришлите логин и
# пароль от админки").
STOPWORDS = frozenset(
    ("и", "или", "а", "от", "для", "к", "в", "на", "с", "у", "по", "не", "же", "тот", "этот")
    + ("мой", "свой", "ваш", "наш", "новый", "новые", "and", "or", "for", "to", "of", "the")
    + ("a", "my", "your", "new", "from", "is", "was")
)
# What a setting holds when it holds no password ("pass=true", "[FILTERED]").
NO_VALUE = frozenset(("", "true", "false", "null", "none", "nil", "undefined", "[filtered]"))
# Punctuation after a value is the sentence's, not the password's.
TRAILING = ".,;:)"
