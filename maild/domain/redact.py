"""Blank out the access data (passwords, logins, URL userinfo, API keys and tokens, a
config file's settings of them, a remote-desktop tool's ID) customers mail to staff.

The label stays and only the value is replaced, so the text still reads:
"Пароль: [данные доступа удалены]". Pure; idempotent. A subject is redacted by the
same rules, its TID tags kept (redact_subject).

What is not found: a password with no label before it ("вот: qwerty"), a value in a
sentence a label does not start ("мой пароль, кажется, qwerty"), and a lone Latin
word after a login label ("логин admin"): such shapes read as prose just as often.

The patterns are compiled on first use (domain.lazyre): only the credentials job and
staff replies redact, so a process that does neither never compiles them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from maild.domain.lazyre import LazyPattern
from maild.domain.redactwords import (
    LABEL,
    LOGIN,
    MARKER,
    NO_VALUE,
    NOT_MARKER,
    SECRET,
    STOPWORDS,
    TRAILING,
    H,
)
from maild.domain.tid import TAG_RE

__all__ = ["MARKER", "redact_credentials", "redact_subject", "redaction_due"]

# One value after a label: a quoted string or one word. A password rarely has spaces,
# and the words after it ("Пароль: 123 (временный)") are worth keeping.
# A "value" that is the next label means the customer left this one blank
# ("Логин: Пароль: 123"); taking it would leave "123" in the clear.
_VALUE = rf"""{NOT_MARKER}(?!{LABEL}{H}*[:=—–-])(?:"[^"\r\n]*"|'[^'\r\n]*'|«[^»\r\n]*»|\S+)"""

# Labels naming both halves: the whole rest of the line is the value ("admin / 12345").
# "[данные доступа" is MARKER itself, not a label.
_PAIR_LABEL = LazyPattern(
    rf"""(?P<label>(?<!\w)(?:(?:{LOGIN})(?:{H}*(?:/|\\|и|and|&|,){H}*)(?:{SECRET})
        |доступы?|(?<!\[)данные{H}+(?:для{H}+)?(?:доступа|входа)|реквизиты{H}+доступа
        |учетные{H}+данные|учётные{H}+данные|credentials)(?!\w)
        (?:{H}+[^\s:=]+){{0,3}}?{H}*[:=]{H}*)
      (?P<value>{NOT_MARKER}[^\r\n]*\S)""",
    re.IGNORECASE | re.VERBOSE,
)
# "Пароль: x", "pass=x", "Пароль — x", "Логин - admin"; with a qualifier only before
# ":" or "=" ("Пароль от админки: x"), because "пароль от админки - это ..." is prose.
# Not MySQL's "Access denied for user 'x'@'localhost' (using password: YES)".
_LABELLED = LazyPattern(
    rf"""(?P<label>{LABEL}
        (?:{H}*[:=]{H}*|{H}*[—–]{H}*|{H}*-{H}+|(?:{H}+[^\s:=]+){{1,3}}?{H}*[:=]{H}*))
      (?<!\(using{H}password:{H})(?P<value>{_VALUE})""",
    re.IGNORECASE | re.VERBOSE,
)
# No separators at all: "логин admin пароль 12345". Only as a login/password pair, and
# never with a function word as value, so "пришлите логин и пароль от админки" stays.
_BARE_PAIR = LazyPattern(
    rf"""(?P<l1>(?<!\w)(?:{LOGIN})(?!\w){H}+)(?P<v1>{_VALUE})
      (?P<l2>{H}*[,;/]?{H}+(?:{SECRET})(?!\w){H}+)(?P<v2>{_VALUE})""",
    re.IGNORECASE | re.VERBOSE,
)
# A password label with no separator, then within three words a token of six or more
# Latin letters and digits, a digit among them: "пароль Qwerty123", "логин тот же,
# пароль 123456", "пароль от админки Adm1n2024". Only such a token, because words
# after "пароль" are prose ("пароль неверный", "пароль от админки не подходит") and
# "site1.ru", "192.168.1.1" or "12.05.2024" are no secrets. The words between never
# start with MARKER, so a redacted value hides no further one behind it.
_BARE_SECRET = LazyPattern(
    rf"""(?P<label>(?<!\w)(?:{SECRET})(?!\w)(?:{H}+{NOT_MARKER}[^\s:=]+){{0,3}}?{H}+)
      (?P<value>(?=[a-z]*[0-9])[a-z0-9]{{6,}})(?=[.,;:)!?]*(?:\s|\Z))""",
    re.IGNORECASE | re.VERBOSE,
)
# "пароль к ftp такой же qwerty1": four words between, none of them ending a clause
# ("пароль не приходит, хотя заказ AB1234 оплачен" is prose), and a token of Latin
# letters and digits both (a number four words on is an order's or a phone's).
_BARE_SECRET_FAR = LazyPattern(
    rf"""(?P<label>(?<!\w)(?:{SECRET})(?!\w)
        (?:{H}+{NOT_MARKER}[^\s:=]*[^\s:=,;.!?]){{4}}{H}+)
      (?P<value>(?=[a-z]*[0-9])(?=[0-9]*[a-z])[a-z0-9]{{6,}})(?=[.,;:)!?]*(?:\s|\Z))""",
    re.IGNORECASE | re.VERBOSE,
)
# "пароль qwerty": the Russian label, right after it one Latin word of four letters or
# more, and no Latin word after that one ("пароль Windows Server не подходит"). Not a
# word that says whose password it is: "пароль admin", "пароль от WordPress" is prose.
_BARE_WORD = LazyPattern(
    rf"""(?P<label>(?<!\w)пароль{H}+)(?P<value>[a-z]{{4,}})
      (?=[.,;:)!?]*(?:\s|\Z))(?![.,;:)!?]*{H}+[a-z0-9])""",
    re.IGNORECASE | re.VERBOSE,
)
_WHOSE = frozenset(
    ("admin", "administrator", "root", "user", "guest", "demo", "test", "ftp", "sftp", "ssh")
    + ("mysql", "wifi", "email", "mail", "gmail", "bitrix", "wordpress", "joomla", "drupal")
    + ("opencart", "modx", "tilda", "cpanel", "plesk", "ispmanager", "windows", "linux")
    + ("google", "yandex", "apple", "icloud", "telegram", "whatsapp", "skype", "vpn", "rdp")
    + ("api", "smtp", "imap", "from", "for", "the", "and")
)
# Where the access goes, then a login and a password on the rest of the line:
# "Админка: admin / qwerty123", "FTP: ftp.shop.ru admin 9f8d7s", "sftp 203.0.113.5:22
# deploy, Zx81kq". Two tokens of ASCII only, and the line ends there; without a host
# between, only as "login / password" ("SSH: OpenSSH 8.9" is no access data).
_PLACE = rf"ftps?|sftp|ssh|rdp|vpn|админк\w*|админ-?панел\w*|панел\w*{H}+управления"
_HOST = r"(?:[a-z][a-z0-9+.-]*://)?[\w-]+(?:\.[\w-]+)+(?::\d+)?(?:/\S*)?"
_ASCII = rf"{NOT_MARKER}[!-.0-~]+"  # printable ASCII but "/"
_PLACE_ACCESS = LazyPattern(
    rf"""(?P<label>(?<!\w)(?:{_PLACE})(?!\w)
        (?:{H}*[:=—–]{H}*|{H}*-{H}+|(?:{H}+[^\s:=]+){{1,2}}?{H}*[:=]{H}*|{H}+)
        (?:(?P<host>{_HOST})[,;]?{H}+)?)
      (?P<value>(?P<v1>{_ASCII})(?:{H}*/{H}*|(?(host){H}*[,;]?{H}+|(?!)))(?P<v2>{_ASCII}))
      (?={H}*(?:\r?\n|\Z))""",
    re.IGNORECASE | re.VERBOSE,
)
_NOT_LOGIN = frozenset(
    ("port", "порт", "tls", "ssl", "l2tp", "ipsec", "pptp", "sstp", "openvpn", "wireguard")
)
# A label alone on its line with the value alone on the next: "Логин:\nadmin", as
# forms and HTML tables come out. One word only, so "Пароль:\nне подходит" stays.
_NEXT_LINE = LazyPattern(
    rf"""(?P<label>^{H}*{LABEL}(?:{H}+[^\s:=]+){{0,3}}?{H}*[:=—–-]?{H}*\r?\n{H}*)
      (?!{LABEL}{H}*[:=—–-]?{H}*(?:\r?\n|\Z))(?P<value>{_VALUE})(?={H}*(?:\r?\n|\Z))""",
    re.IGNORECASE | re.VERBOSE | re.MULTILINE,
)
# scheme://user:pass@host and ssh://user@host: the whole userinfo goes. The scheme is
# the run of scheme characters before "://" from its first letter at a word start. It is
# tried once per run, from the run's start ("scheme" keeps what precedes that letter):
# a try from each word start inside the run rescanned the rest of it, quadratic on a
# long "a.a.a.a..." line; every such try ends at the same "://" and fails alike.
_C = "[a-z0-9+.-]"
_URL_USERINFO = LazyPattern(
    rf"(?P<scheme>(?<!{_C})(?={_C}*+://)(?>{_C}*?\b[a-z]{_C}*+://))(?P<value>[^\s/?#@\[\]]+)@",
    re.I,
)
# "ssh root@203.0.113.5 -p 22", "ssh -p 2222 root@host": the login is half the access data.
# The options and their arguments after "ssh", then the login. Only the longest run of
# options can be followed by a login (an option starts with "-", a login does not; an
# argument is followed by a space, a login by "@"), hence the atomic group. An "ssh"
# inside that run reaches the same login or none, so a failed try skips the run
# (_ssh_users): a try from each "ssh" of "ssh -a ssh -a ..." was quadratic.
_SSH_OPTIONS = LazyPattern(rf"\bssh(?>(?:{H}+-\S+(?:{H}+[^\s@-]+(?={H}))?)*)", re.I)
_SSH_LOGIN = LazyPattern(rf"{H}+(?P<value>[^\s@/-][^\s@/]*)@")
# What programs and their settings hold, as customers paste it: "DB_PASSWORD=x",
# "define('DB_PASSWORD', 'x');", '$DBPassword = "x";', "'password' => 'x'," and JSON's
# '"password": "x"'. The name is checked by _secret_name; a quoted value keeps its
# quotes. An unquoted value only after a bare name ("cfg.password" in '"password":
# cfg.password' is code), and after ":" only as the line's end: "pass: a" is prose.
_ASSIGNED = LazyPattern(
    rf"""(?P<label>(?<![\w$])(?:define{H}*\({H}*(?P<dq>['"])(?P<dname>\w++)(?P=dq){H}*,
        |(?P<q>['"])?(?P<dollar>\$)?(?P<name>[a-z_]\w*+)(?(q)(?P=q))
        {H}*(?P<sep>(?>=>|[:=]))(?![=>]))
        {H}*(?P<vq>['"])?)
      (?P<value>{NOT_MARKER}(?(vq)(?:(?!(?P=vq))[^\r\n])*|[^\s'";,()]+(?=[\s;,)]|\Z)))
      (?(vq)(?P=vq))""",
    re.IGNORECASE | re.VERBOSE,
)
_ATTRIBUTE = LazyPattern(r"[a-z_]\w*(?:\.[a-z_]\w*)+", re.IGNORECASE)  # self.password
_LINE_END = LazyPattern(rf"{H}*(?:#|\r?\n|\Z)")
_NAME_PART = LazyPattern(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+")
_SECRET_NAMES = frozenset(("password", "passwd", "pass", "pwd", "passphrase", "secret", "token"))
_LOGIN_NAMES = frozenset(("user", "username", "login"))
# "Authorization: Bearer x", "Authorization: Basic x", and a bearer token alone: a
# token of 16 characters or more with a digit, so "Bearer authentication" stays.
_TOKEN = r"[a-z0-9._~+/=-]"
_AUTH_HEADER = LazyPattern(
    rf"""(?P<label>(?<![\w-])(?:authorization{H}*[:=]{H}*
        (?:(?:bearer|basic|token|oauth|apikey){H}+(?={_TOKEN}{{8}})|(?=\S*\d)(?={_TOKEN}{{16}}))
        |bearer{H}+(?=\S*\d)(?={_TOKEN}{{16}})))
      (?P<value>{NOT_MARKER}{_TOKEN}+)(?![^\s'"),;])""",
    re.IGNORECASE | re.VERBOSE,
)
# "TeamViewer ID 123 456 789 пароль 4821", "AnyDesk 123456789, password: x7k2m9": a
# remote-desktop tool, then on its line a password label and an ASCII value; without
# ":" or "=" only one with a digit ("TeamViewer password reset" is prose). The ID
# between goes too: with the password it is the access.
_TOOL = rf"team{H}?viewer|any{H}?desk|rustdesk|ammyy(?:{H}+admin)?|aeroadmin"
_REMOTE = LazyPattern(
    rf"""(?P<label>(?<!\w)(?:{_TOOL})(?!\w)[^\r\n]{{0,60}}?(?<!\w)(?:{SECRET})(?!\w)
        (?P<sep>{H}*[:=—–-]{H}*|{H}+))
      (?P<value>{NOT_MARKER}[!-~]{{4,}})(?=\s|\Z)""",
    re.IGNORECASE | re.VERBOSE,
)
_TOOL_ID = LazyPattern(r"(?<![\w-])\d(?:[ -]?\d){6,}(?![\w-])")

# A pass can uncover a match the previous one hid (a value that itself looked like
# "label: value"); repeating until nothing changes is what makes the result idempotent.
_MAX_PASSES = 5


def redaction_due(closed_at: str, keep_days: int, now: datetime) -> bool:
    """Whether a ticket closed at ``closed_at`` (ISO) has its access data blanked out by
    ``now`` (the job: jobs.redaction): ``keep_days`` after closing (regulation clause 3;
    schedule.credentials_keep_days, 2), not before."""
    return datetime.fromisoformat(closed_at) + timedelta(days=keep_days) <= now


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
        # With no separator a Russian word is the sentence's ("логин верный, пароль
        # нет"); a login in Cyrillic counts when a digit shows the password is one.
        russian = _word(m.group("v1")) and not any(c.isdigit() for c in m.group("v2"))
        if v1 is None or v2 is None or russian or _word(m.group("v2")):
            return m.group(0)
        count += 2
        return m.group("l1") + v1 + m.group("l2") + v2

    def bare_word(m: re.Match[str]) -> str:
        if m.group("value").lower() in _WHOSE:
            return m.group(0)
        return whole(m, "label")

    def place(m: re.Match[str]) -> str:
        nonlocal count
        v1, v2 = m.group("v1"), m.group("v2").rstrip(TRAILING)
        if not v2 or v1[0] == "-" or {v1.lower(), v2.lower()} & (STOPWORDS | _NOT_LOGIN):
            return m.group(0)
        count += 1
        return m.group("label") + MARKER + m.group("v2")[len(v2) :]

    # URLs first: "login:secret@host" inside a URL must not be read as "login: ...".
    text = _URL_USERINFO.sub(lambda m: whole(m, "scheme", "@"), text)
    text, ssh_count = _ssh_users(text)
    # before "пароль: x" is blanked, which would leave the tool's ID behind
    text, tool_count = _sub(_REMOTE, text, _remote)
    count += ssh_count + tool_count
    text, pair_count = _pair_labels(text)
    text = _LABELLED.sub(labelled, text)
    text = _NEXT_LINE.sub(labelled, text)
    text = _BARE_PAIR.sub(pair, text)
    text = _BARE_SECRET.sub(lambda m: whole(m, "label"), text)
    text = _BARE_SECRET_FAR.sub(lambda m: whole(m, "label"), text)
    text = _BARE_WORD.sub(bare_word, text)
    text = _PLACE_ACCESS.sub(place, text)
    text, program_count = _sub(_ASSIGNED, text, _assigned)
    text, header_count = _sub(_AUTH_HEADER, text, lambda m: (m.group("label") + MARKER, 1))
    return text, count + pair_count + program_count + header_count


def _sub(
    pattern: LazyPattern, text: str, new: Callable[[re.Match[str]], tuple[str, int] | None]
) -> tuple[str, int]:
    """``text`` with each match replaced as ``new`` says (None: left as it is), and
    how many values were replaced."""
    count = 0

    def one(m: re.Match[str]) -> str:
        nonlocal count
        found = new(m)
        if found is None:
            return m.group(0)
        count += found[1]
        return found[0]

    return pattern.sub(one, text), count


def _pair_labels(text: str) -> tuple[str, int]:
    """``text`` with the rest of the line after a label naming both halves blanked,
    and how many. Once a URL's userinfo is gone, "Доступ: ftp://[...]@host" stays
    readable; so does each label whose line has a blanked value after it, and the first
    such label after the line's last blanked value is blanked: "Доступ: ftp://[...]@h,
    доступ к админке: admin 123". One search from where the last ended: linear."""
    parts: list[str] = []
    count = done = pos = 0
    while (m := _PAIR_LABEL.search(text, pos)) is not None:
        marker = text.rfind(MARKER, m.start(), m.end())
        if marker >= 0:
            pos = marker + len(MARKER)
            continue
        parts += (text[done : m.start()], m.group("label"), MARKER)
        count += 1
        done = pos = m.end()
    parts.append(text[done:])
    return "".join(parts), count


def _assigned(m: re.Match[str]) -> tuple[str, int] | None:
    """A setting's value blanked when its name is a password's or a login's."""
    name, value = m.group("dname") or m.group("name"), m.group("value")
    bare = m.group("vq") is None
    core = value.rstrip(TRAILING) if bare else value
    if not _secret_name(name) or core.lower() in NO_VALUE | STOPWORDS or not core.strip("* "):
        return None
    code = bare and (core[0] in "$%{" or _ATTRIBUTE.fullmatch(core) is not None)
    if code or bare and (m.group("q") or m.group("dq") or m.group("dollar")):
        return None  # '"password": cfg.password', "DB_PASSWORD=${DB_PASSWORD}": names
    if bare and m.group("sep") == ":" and not _LINE_END.match(m.string, m.end()):
        return None
    end = m.group(0)[len(m.group("label")) + len(core) :]
    return m.group("label") + MARKER + end, 1


def _secret_name(name: str) -> bool:
    """Whether a setting's name ends in a password's or a login's word: DB_PASSWORD,
    DBPassword, db_user, SECRET_KEY, mypassword; not user_id, password_min_length."""
    parts = [p.lower() for p in _NAME_PART.compiled.findall(name)]
    if not parts:
        return False
    last, before = parts[-1], parts[-2] if len(parts) > 1 else ""
    if last in _SECRET_NAMES or last in _LOGIN_NAMES:
        return True
    return (last == "key" and before in ("api", "secret")) or last.endswith(("password", "passwd"))


def _remote(m: re.Match[str]) -> tuple[str, int] | None:
    """A remote-desktop tool's password blanked, and its ID on the way to it."""
    value = m.group("value")
    core = value.rstrip(TRAILING)
    separated = m.group("sep").strip() != ""
    if len(core) < 4 or core.lower() in STOPWORDS | _WHOSE:
        return None
    if not separated and not any(c.isdigit() for c in core):
        return None
    label, ids = _TOOL_ID.compiled.subn(MARKER, m.group("label"))
    return label + MARKER + value[len(core) :], ids + 1


def _ssh_users(text: str) -> tuple[str, int]:
    """``text`` with the login of each "ssh [options] login@host" replaced by MARKER."""
    out: list[str] = []
    count = at = pos = 0
    while (m := _SSH_OPTIONS.search(text, pos)) is not None:
        login = _SSH_LOGIN.match(text, m.end())
        if login is None:
            pos = m.end()
            continue
        out.append(text[at : login.start("value")] + MARKER + "@")
        count += 1
        at = pos = login.end()
    out.append(text[at:])
    return "".join(out), count


def redact_subject(subject: str) -> tuple[str, int]:
    """``subject`` redacted as a text is, and how many values were replaced. Each
    stretch between TID tags is redacted on its own: "Доступ: ..." takes the rest of
    its line, and in "Re: Доступ: admin 123 [TID#4821-7730]" that would be the tag
    too, by which replies find their ticket."""
    out: list[str] = []
    total = at = 0
    for tag in [*TAG_RE.finditer(subject), None]:
        end = len(subject) if tag is None else tag.start()
        part, count = redact_credentials(subject[at:end])
        out.append(part if tag is None else part + tag.group(0))
        total += count
        at = end if tag is None else tag.end()
    return "".join(out), total


_RUSSIAN_WORD = LazyPattern(r"[а-яё]+[.,;:)!?]*", re.IGNORECASE)


def _word(raw: str) -> bool:
    """Whether a value is a Russian word (and the sentence's punctuation after it)."""
    return _RUSSIAN_WORD.fullmatch(raw) is not None


def _token(raw: str) -> str | None:
    """MARKER in place of one value, keeping the sentence's punctuation after it.

    None when there is nothing to redact: only punctuation, or a function word
    ("логин и пароль") that shows the line is prose.
    """
    core = raw if raw[0] in "\"'«" else raw.rstrip(TRAILING)
    if not core.strip("*") or core.lower() in STOPWORDS | NO_VALUE:  # "pass=*****", "pass=true"
        return None
    return MARKER + raw[len(core) :]
