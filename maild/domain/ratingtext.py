"""What a customer's reply to a closed ticket says by itself: a rating, as people write
one, with nothing but thanks or praise beside it («5», «5 - спасибо!», «Спасибо! 5»,
«Оценка 5», «пять»), or only thanks («Спасибо, всё работает!»). customer.py records the
one and keeps the other without reopening; any other reply goes to staff, a rating that
opens it recorded all the same («Оценка: 4. Но вот ещё вопрос: …»: rating_beside).

A post on the site rates only by its rating form (SITE_RATING): a text typed in its
reply form is a follow-up, as that form asked («5» answers staff's «Сколько у вас
пользователей?» on a page left open while they closed the ticket).

Pure text in (the mail's own text: quotes.trim_reply), a rating or a yes/no out.
"""

from __future__ import annotations

import re

from maild.domain.closings import NAME, SEPARATOR_RE, VALEDICTION_RE
from maild.domain.signoff import TAGLINE_RE

__all__ = [
    "BEST",
    "SITE_RATING",
    "WORST",
    "only_thanks",
    "rating_beside",
    "rating_of",
    "scale",
    "site_grade",
]

# The rating scale, the one place it is decided: a customer grades support's work from
# WORST to BEST. The site's rating form offers and accepts these grades (its page,
# web.ticketforms: site_grade), the site's and the mail's texts say «4 из 5», «от 1 до 5»
# (web.rating; render.desk_context: rating_worst, rating_best), and a mail's text is
# read for them (GRADE). The grades' Russian words (WORDS) and BEST's after «из»
# (OF_BEST) are written out below: a scale changed changes them too (a test holds
# WORDS to the scale).
WORST = 1  # the lowest grade: «плохо»
BEST = 5  # the highest: «отлично»
FAIR = 3  # at or under it the work may not be done: the thanks offer to reopen (thanks.txt)


def scale() -> range:
    """The grades, WORST to BEST."""
    return range(WORST, BEST + 1)


def site_grade(value: str) -> int | None:
    """The grade a post of the site's rating form gives (its button's value: «1» …
    «5»), or None for any other value."""
    return int(value) if value in {str(n) for n in scale()} else None


# The text of a post of the site's rating form (web.ticketforms), its grade in the scale
SITE_RATING = "Оценка: {}"

# The grade: a digit of the scale standing alone (no digit, dash, slash or decimal point
# glued to it: «15», «-5», «4.5», «5/10» are other numbers), or its Russian word; "из 5",
# "/5" and "баллов" / "звёзд" may follow.
WORDS = {
    "один": 1, "одна": 1, "единица": 1,
    "два": 2, "две": 2, "двойка": 2,
    "три": 3, "тройка": 3,
    "четыре": 4, "четверка": 4,
    "пять": 5, "пятерка": 5,
}  # fmt: skip
OF_BEST = "пяти"  # «5 из пяти»
_DIGITS = "|".join(str(n) for n in reversed(scale()))  # «10» before «1» on a wider scale
GRADE = (
    rf"(?<!\d[.,])(?<![\d\-−–—/.,])(?:(?P<d>{_DIGITS})(?!\d)|(?P<w>{'|'.join(WORDS)})(?!\w))"
    rf"(?:\s*(?:/|из)\s*(?:{BEST}|{OF_BEST})(?![\d.,]?\d))?(?:\s+(?:балл\w*|звезд\w*))?"
)
# «Оценка: 5», «Оценка 5», «Оцениваю на 5», «Ставлю 5», «Моя оценка — пять», "Rating: 5".
KEYWORD = (
    r"(?:моя\s+|ваша\s+)?(?:оценка|оцениваю|ставлю|ставим|rating|score)(?:\s+работы)?"
    r"(?:\s*[:=\-—–]\s*|\s+)(?:на\s+)?"
)
HEAD_RE = re.compile(rf"(?:{KEYWORD})?{GRADE}(?P<tail>.*)")
# A line that ends in the grade after words of thanks or praise: «Спасибо! 5»,
# «Отлично, 5», «Всё работает, спасибо, ставлю 5 из 5 :)».
TRAILING_RE = re.compile(
    rf"(?P<pre>[^\d?]*?)[\s,.!:;\-—–]*(?:{KEYWORD}|на\s+)?{GRADE}(?P<end>[^\w?]*)"
)
# A grade its keyword names, ended by a mark, at the head of a line that goes on: «Оценка: 4.
# Но вот ещё вопрос», «Ставлю 5, но пришлите счёт» (the keyword makes the figure a grade).
KEYWORD_HEAD_RE = re.compile(rf"(?:{KEYWORD}){GRADE}\s*[.!;,)\-—–](?=\s|$)")
# A problem told beside thanks or praise («Спасибо, но не работает», «всё работает,
# ошибка осталась»): the words are kind, the mail is not. A problem told over is no
# trouble («проблема решена», «ошибку исправили»: RESOLVED).
TROUBLE_RE = re.compile(
    r"\bне\s+(?:работа|открыва|загружа|получа|могу|може|удает|помог|решен|исправ|приход"
    r"|отвеча|видн|грузит|проход)"
    r"|(?:ошибк|проблем|сбо[йяюе])\w*+"
    r"(?!\s+(?:\w+\s+)?(?:решен|решил|исправлен|исправил|устранен|устранил|ушл|исчезл))"
    r"|сломал|пропал|перестал|error|not\s+work|broken|doesn.?t|still\s+not",
    re.IGNORECASE,
)
# A request alone on the last line is no name to sign with («Помогите», «Пришлите»):
# the polite imperative ends in «-те».
IMPERATIVE_RE = re.compile(r"(?i)[а-яё]те\b")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


THANKS = _words(
    "спасибо спасибочки спс благодарю благодарим благодарна благодарен благодарны"
    " благодарность мерси thanks thank thx"
)
# Words that may stand beside a thank-you in a mail that asks nothing: praise, "all
# works", the greeting and the closing. Every word of a thanks-only mail, and of a
# rating's besides its grade, is one of these (or a name after the thank-you): any
# other word may be a request.
KIND = THANKS | _words(
    "большое огромное огромнейшее преогромное вам вас тебе всем за и очень вы ваш вашу"
    " вашей ваша ребята коллеги друзья молодцы лучшие помощь работу оперативность"
    " оперативно оперативную быстро быструю быстрый быстрое ответ ответы решение"
    " подсказку совет разъяснение поддержку поддержке теперь уже все всё работает"
    " работают заработало заработал заработала заработали получилось помогло помогли"
    " отлично хорошо супер класс замечательно прекрасно великолепно идеально ок окей"
    " понятно ясно понял поняла принято да сайт вопрос проблема проблему ошибка"
    " ошибку решен решена решено решили исправлено исправлена исправили устранена"
    " устранили здравствуйте добрый день вечер утро доброе привет приветствую с"
    " уважением наилучшими пожеланиями всего доброго хорошего удачи hello hi ok okay"
    " great works work it is now all good fine perfect you very much so for your help"
    " the support best regards kind"
)
# A noun of trouble is kind only beside the word that it is over: «проблема решена».
TROUBLE_NOUNS = frozenset({"вопрос", "проблема", "проблему", "ошибка", "ошибку"})
RESOLVED = frozenset(
    {"решен", "решена", "решено", "решили", "исправлено", "исправлена", "исправили"}
    | {"устранена", "устранили"}
)
PRAISE = frozenset(
    {"отлично", "хорошо", "супер", "класс", "замечательно", "прекрасно", "великолепно"}
    | {"идеально", "работает", "заработало", "помогло", "решено", "решен", "ок", "ok"}
)
GREETING_RE = re.compile(
    rf"(?i:здравствуйте|добрый\s+(?:день|вечер)|доброе\s+утро|привет|приветствую|hello|hi)"
    rf"(?:\s*,?\s*{NAME})?[\s.!,]*"
)
WORD_RE = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
# Thanks are short: a longer mail tells something, and staff should read it.
MAX_THANKS_CHARS = 200
MAX_THANKS_LINES = 4


def _fold(text: str) -> str:
    """Lower case, «ё» as «е», letter for letter (a match's offsets hold in the text)."""
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text).replace("ё", "е")


def rating_of(text: str, names: frozenset[str] = frozenset(), *, site: bool = False) -> int | None:
    """The rating ``text`` (a mail's own text) gives, or None when it gives none. Its
    first line (a greeting's line above it aside) opens with a grade («5», «Оценка 5»)
    or ends in one after thanks or praise («Спасибо! 5»), and the mail says nothing
    else, its signature aside: every other word is thanks, praise or courtesy (`_kind`:
    «5 - спасибо!», «5, всё отлично»), no question, no other figure. Any other word may
    be a request or a complaint («5 - спасибо, но пришлите счёт», «2 - так и не
    заработало»), a figure a date, count or version («5 марта не работает», «5.1»):
    the mail then goes to staff as any other. A rating taken for news only reopens the
    ticket; news taken for a rating would never reach anyone. ``names``: the words of
    the sender's display name, lower case (a name alone on the last line signs).
    ``site``: a post on the site, a rating only as its rating form writes one."""
    if site:
        prefix = SITE_RATING.format("")
        posted = text.strip()
        return site_grade(posted[len(prefix) :]) if posted.startswith(prefix) else None
    lines = _without_signature(text, names)
    if lines and GREETING_RE.fullmatch(lines[0]):
        lines = lines[1:]
    if not lines or len(lines) > MAX_THANKS_LINES or len(" ".join(lines)) > MAX_THANKS_CHARS:
        return None
    if any("?" in s for s in lines):
        return None
    first, below = lines[0], "\n".join(lines[1:])
    line = _fold(first)  # offsets hold: `first`'s own letters around the grade
    m = HEAD_RE.fullmatch(line)
    if m and _says_no_more(f"{first[m.start('tail') :]}\n{below}"):
        return _grade(m)
    m = TRAILING_RE.fullmatch(line)
    if m and _says_no_more(f"{first[: m.end('pre')]}\n{below}", before=True):
        return _grade(m)
    return None


def rating_beside(
    text: str, names: frozenset[str] = frozenset(), *, site: bool = False
) -> int | None:
    """The rating that opens ``text`` (a mail's own text) when the mail says more than
    a rating (rating_of gives None): its first line (a greeting's line above it aside)
    is a rating by itself («5», «Спасибо! 5», «Оценка: 4») over lines of news, or opens
    with a keyword and its grade that a mark ends («Оценка: 4. Но вот ещё вопрос: …»).
    The customer answered the rating request and wrote on: the rating is theirs, and
    the rest is news for staff (customer.py records the one and reopens for the other).
    None otherwise: a figure in a line of other words with no keyword before it is a
    date, a count or an item («5 марта не работает», «1. Не работает корзина»), and so
    is a bare figure that opens a list (`_opens_a_list`: «1.» alone on its line over
    an item and «2.» over the next, «2» over «3»). None for a post on the site
    (``site``): its rating form's post is a rating alone (rating_of)."""
    if site or rating_of(text, names) is not None:  # a rating and nothing more
        return None
    lines = _without_signature(text, names)
    if lines and GREETING_RE.fullmatch(lines[0]):
        lines = lines[1:]
    if not lines:
        return None
    first = lines[0]
    if _opens_a_list(lines):
        return None
    if len(lines) > 1 and (rating := rating_of(first, names)) is not None:
        return rating
    m = KEYWORD_HEAD_RE.match(_fold(first))
    if m and (first[m.end() :].strip() or len(lines) > 1):
        return _grade(m)
    return None


# A figure alone on its line with a list's dot («1.»), and a line that opens with one
# standing alone or marked as an item («2», «2. Оплата», «2) Оплата»). (A list's figure
# has a few digits: «99...9.» of 5,000 was more than int() reads, and the mail failed)
LIST_MARK_RE = re.compile(r"(\d{1,9})\s*\.")
ITEM_RE = re.compile(r"\d+(?:\s*[.)]|\s*$)")


def _opens_a_list(lines: list[str]) -> bool:
    """Whether the first of ``lines`` (a mail's, over news) is a list's first item, not
    a rating: a figure with a list's dot alone on its line whose next item follows
    («1.» over «Корзина» and «2.» over «Оплата»; «5.» over a question alone is a grade
    with a full stop), or a bare figure over another one («2», «3», «4»). The keyword
    makes a grade of it all the same («Оценка: 4.» over news)."""
    first = lines[0]
    if (m := LIST_MARK_RE.fullmatch(first)) is not None:
        after = re.compile(rf"{int(m.group(1)) + 1}\s*[.)]")
        if any(after.match(line) for line in lines[1:]):
            return True
    return len(lines) > 1 and bool(re.fullmatch(r"\d+\W*", first) and ITEM_RE.match(lines[1]))


def _grade(m: re.Match[str]) -> int:
    return int(m.group("d")) if m.group("d") else WORDS[m.group("w")]


def _says_no_more(rest: str, *, before: bool = False) -> bool:
    """Whether ``rest``, the mail's text besides its grade, leaves the grade a rating:
    marks alone («5!», «5 :)»), or thanks or praise with courtesy (`_kind`). A figure
    makes the grade part of a number or a list («5, 6 и 7 заказы», «4.5», «1. Корзина»
    and «2. Оплата» under it); letters glued to it make a word not in the list («5-го»).
    Thanks or praise ``before`` the grade («Отлично, 5») is what makes it a rating, so
    it must be there; after the grade, marks alone will do."""
    if re.search(r"\d", rest):
        return False
    if not before and not re.search(r"[^\W\d_]", rest):
        return True
    return _kind(rest, need_praise=True)


def _kind(text: str, *, need_praise: bool = False) -> bool:
    """Whether every word of ``text`` is thanks, praise or courtesy (a capitalised name
    right after a thank-you too: «Спасибо, Анна»), with a thank-you among them (or,
    with ``need_praise``, praise: «Отлично»)."""
    folded: list[str] = []
    for line in text.splitlines():  # a name stands after its thank-you on its line
        words = WORD_RE.findall(line)
        low = [_fold(w) for w in words]
        for i, word in enumerate(words):
            if low[i] in KIND:
                continue
            if i and low[i - 1] in THANKS and word[0].isupper() and not IMPERATIVE_RE.search(word):
                continue  # a name: «Спасибо, Анна!» (not «Спасибо, Пришлите», «Спасибо.\nОпять»)
            return False
        folded += low
    if any(w in TROUBLE_NOUNS for w in folded) and not RESOLVED & set(folded):
        return False
    wanted = THANKS | PRAISE if need_praise else THANKS
    return bool(wanted & set(folded)) and not TROUBLE_RE.search(text)


def only_thanks(text: str, names: frozenset[str] = frozenset()) -> bool:
    """True when ``text`` (a mail's own text) only thanks: short, with a thank-you
    word, no question and no word that may ask for something («Спасибо, всё
    работает!», «Благодарю за помощь.»), its signature aside. A digit is no thanks:
    a rating is rating_of's, a figure is news («Спасибо, но 3 заказа пропали»)."""
    lines = _without_signature(text, names)
    body = "\n".join(lines)
    if not lines or len(lines) > MAX_THANKS_LINES or len(body) > MAX_THANKS_CHARS:
        return False
    if "?" in body or re.search(r"\d", body):
        return False
    return _kind(body)


# What a signature holds under its closing, line by line: a name, a company, a phone,
# an address or a site. Any other line there (a postscript, a request: «Выставьте
# счёт», «Но в следующий раз побыстрее») is the mail's text.
SIGNATURE_LINE_RE = re.compile(
    rf"{NAME}"
    r"|(?i:(?:тел|моб|факс|tel|phone|mob|fax|т)\.?(?:\s*[.:]\s*|\s+))?\+?[\d\s()\-.]{6,}"
    r"|(?:ООО|ОАО|ЗАО|АО|ПАО|ИП|LLC|Ltd|Inc|GmbH)\b.*|«[^»]+»|\"[^\"]+\""
    r"|[^\s@]+@[^\s@]+|(?i:https?://|www\.)\S+"
)


def _without_signature(text: str, names: frozenset[str] = frozenset()) -> list[str]:
    """The non-blank lines of ``text`` above its signature: under "--" or a closing
    («С уважением, Иван») when every line there is one a signature holds
    (SIGNATURE_LINE_RE), a phone's tagline, and a last line that is the sender's name
    (its words among ``names``: «Иван» from «Иван Петров»; «Опять» is text)."""
    lines: list[str] = []
    under: list[str] = []
    for raw in text.splitlines():
        s = raw.strip()
        if not under and (SEPARATOR_RE.fullmatch(s) or VALEDICTION_RE.fullmatch(s)):
            under.append(s)  # the cut; its line is the signature's
            continue
        if s and not TAGLINE_RE.fullmatch(s):
            (under if under else lines).append(s)
    if not all(_signs(s) for s in under[1:]):
        lines += under[1:]
    last = [_fold(w) for w in WORD_RE.findall(lines[-1])] if len(lines) > 1 else []
    if last and names and set(last) <= names and re.fullmatch(NAME, lines[-1]):
        lines.pop()
    return lines


def _signs(line: str) -> bool:
    """A line a signature holds (SIGNATURE_LINE_RE), not a request in capitals."""
    return bool(SIGNATURE_LINE_RE.fullmatch(line)) and not IMPERATIVE_RE.search(line)
