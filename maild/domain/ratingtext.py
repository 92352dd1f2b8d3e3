"""What a customer's reply to a closed ticket says by itself: a rating, as people write
one («5», «5 - спасибо!», «Спасибо! 5», «Оценка 5», «пять»), or only thanks («Спасибо,
всё работает!»). customer.py records the one and keeps the other without reopening.

Pure text in (the mail's own text: quotes.trim_reply), a rating or a yes/no out.
"""

from __future__ import annotations

import re

from maild.domain.closings import NAME, SEPARATOR_RE, VALEDICTION_RE
from maild.domain.signoff import TAGLINE_RE

__all__ = ["only_thanks", "rating_of"]

# The grade: a digit 1–5 standing alone (no digit, dash, slash or decimal point glued
# to it: «15», «-5», «4.5», «5/10» are other numbers), or its Russian word; "из 5",
# "/5" and "баллов" / "звёзд" may follow.
WORDS = {
    "один": 1, "одна": 1, "единица": 1,
    "два": 2, "две": 2, "двойка": 2,
    "три": 3, "тройка": 3,
    "четыре": 4, "четверка": 4,
    "пять": 5, "пятерка": 5,
}  # fmt: skip
GRADE = (
    rf"(?<!\d[.,])(?<![\d\-−–—/.,])(?:(?P<d>[1-5])(?!\d)|(?P<w>{'|'.join(WORDS)})(?!\w))"
    r"(?:\s*(?:/|из)\s*(?:5|пяти)(?![\d.,]?\d))?(?:\s+(?:балл\w*|звезд\w*))?"
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
# The comment after a grade («5 - спасибо!», «5, всё отлично», «5. Спасибо»): a
# separator, then text that reports no trouble. A digit after it makes the grade part
# of a number («5, 6 и 7 заказы», «5.1»); a hyphen glued to words, a word («5-го»).
TAIL_RE = re.compile(r"(?P<gap>\s*)(?P<sep>[-—–:;,.!)+]+)(?P<rest>.*)")
# A problem told in the comment: the customer writes that something still does not
# work, so the mail goes to staff (and reopens the ticket) instead of rating it.
TROUBLE_RE = re.compile(
    r"\bне\s+(?:работа|открыва|загружа|получа|могу|може|удает|помог|решен|исправ|приход"
    r"|отвеча|видн|грузит|проход)"
    r"|(?:ошибк|проблем|сбо[йяюе])\w*+(?!\s+(?:\w+\s+)?(?:решен|исправлен|устранен|ушл|исчезл))"
    r"|сломал|пропал|перестал|error|not\s+work|broken|doesn.?t|still\s+not",
    re.IGNORECASE,
)
# A numbered list's second item under the first line («1. Не грузится корзина» /
# «2. ...»): the first line is an item, not a grade.
LIST_ITEM_RE = re.compile(r"\s*2\s*[.)]")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


THANKS = _words(
    "спасибо спасибочки спс благодарю благодарим благодарна благодарен благодарны"
    " благодарность мерси thanks thank thx"
)
# Words that may stand beside a thank-you in a mail that asks nothing: praise, "all
# works", the greeting and the closing. Every word of a thanks-only mail is one of
# these (or a name after the thank-you): any other word may be a request.
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


def rating_of(text: str) -> int | None:
    """The rating the first line of ``text`` gives (a greeting line above it aside), or
    None when it gives none: a number that counts something («5 марта не работает»,
    «5 заказов пропали»), a version («5.1»), a question («5 ошибок, почему?»)."""
    lines = [s.strip() for s in text.splitlines() if s.strip()]
    if lines and GREETING_RE.fullmatch(lines[0]):
        lines = lines[1:]
    if not lines or "?" in lines[0]:
        return None
    line = _fold(lines[0])
    m = HEAD_RE.fullmatch(line)
    if m and _fair_tail(m.group("tail"), lines[1:2]):
        return _grade(m)
    m = TRAILING_RE.fullmatch(line)
    if m and _kind(lines[0][: m.end("pre")], need_praise=True):
        return _grade(m)
    return None


def _grade(m: re.Match[str]) -> int:
    return int(m.group("d")) if m.group("d") else WORDS[m.group("w")]


def _fair_tail(tail: str, below: list[str]) -> bool:
    """Whether what follows the grade on its line leaves it a rating: nothing, marks
    («5!», «5 :)»), a thanks or praise word («5 спасибо»), or a separator and a comment
    that reports no trouble («5 - спасибо!», «5, всё отлично», «5. Спасибо»)."""
    if not re.search(r"\w", tail):
        return True
    words = WORD_RE.findall(tail)
    if tail[:1].isspace() and words and tail.split()[0].strip(",.!") in THANKS | PRAISE:
        return not TROUBLE_RE.search(tail)
    m = TAIL_RE.fullmatch(tail)
    if not m or not m.group("rest").strip() or m.group("rest").lstrip()[:1].isdigit():
        return False
    if m.group("sep") == "-" and not m.group("gap") and not m.group("rest")[:1].isspace():
        return False  # «5-го», «5-й»: a word, not a comment
    if m.group("sep")[0] in ".)" and below and LIST_ITEM_RE.match(below[0]):
        return False
    return not TROUBLE_RE.search(m.group("rest"))


def _kind(text: str, *, need_praise: bool = False) -> bool:
    """Whether every word of ``text`` is thanks, praise or courtesy (a capitalised name
    right after a thank-you too: «Спасибо, Анна»), with a thank-you among them (or,
    with ``need_praise``, praise: «Отлично»)."""
    words = WORD_RE.findall(text)
    folded = [_fold(w) for w in words]
    for i, (word, low) in enumerate(zip(words, folded, strict=True)):
        if low in KIND:
            continue
        if i and folded[i - 1] in THANKS and word[0].isupper():
            continue  # a name: «Спасибо, Анна!»
        return False
    if any(w in TROUBLE_NOUNS for w in folded) and not RESOLVED & set(folded):
        return False
    wanted = THANKS | PRAISE if need_praise else THANKS
    return bool(wanted & set(folded)) and not TROUBLE_RE.search(text)


def only_thanks(text: str) -> bool:
    """True when ``text`` (a mail's own text) only thanks: short, with a thank-you
    word, no question and no word that may ask for something («Спасибо, всё
    работает!», «Благодарю за помощь.»), its signature aside. A digit is no thanks:
    a rating is rating_of's, a figure is news («Спасибо, но 3 заказа пропали»)."""
    lines = _without_signature(text)
    body = " ".join(lines)
    if not lines or len(lines) > MAX_THANKS_LINES or len(body) > MAX_THANKS_CHARS:
        return False
    if "?" in body or re.search(r"\d", body):
        return False
    return _kind(body)


def _without_signature(text: str) -> list[str]:
    """The non-blank lines of ``text`` above its signature: under "--" or a closing
    («С уважением, Иван»), a phone's tagline, a name alone on the last line."""
    lines: list[str] = []
    for raw in text.splitlines():
        s = raw.strip()
        if SEPARATOR_RE.fullmatch(s) or VALEDICTION_RE.fullmatch(s):
            break
        if s and not TAGLINE_RE.fullmatch(s):
            lines.append(s)
    if len(lines) > 1 and re.fullmatch(NAME, lines[-1]):
        lines.pop()
    return lines
