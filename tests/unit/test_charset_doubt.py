"""A short text whose label the decoder followed, though it reads as well in the other
of windows-1251 and KOI8-R, is a doubt the staff notice tells (domain.recode): KOI8-R's
capitals are windows-1251's lowercase letters, so «ответ» sent in windows-1251 and
labelled koi8-r read «НРБЕР», and staff got it without the `#charset` hint."""

from __future__ import annotations

import base64

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from maild.domain.charset import decode_bytes
from maild.domain.header_text import decode_header
from maild.domain.recode import SHORT_BYTES, read_text

WORDS = [
    "ответ",
    "спасибо",
    "заказ",
    "оплата",
    "сервер",
    "письмо",
    "пароль",
    "ошибка",
    "другую",
    "копии",
    "архив",
    "сайт",
    "работает",
    "помогите",
    "срочно",
    "счёт",
    "договор",
    "доступ",
    "магазин",
    "обновление",
    "корзина",
    "файл",
    "здравствуйте",
    "добрый",
    "день",
    "вопрос",
    "ждём",
    "жёлтый",
    "объявление",
    "юрист",
    "щит",
    "эхо",
]
CASES = (str.lower, str.capitalize, str.upper)
word = st.tuples(st.sampled_from(WORDS), st.sampled_from(CASES)).map(lambda t: t[1](t[0]))
gap = st.sampled_from([" ", ", ", ". ", "! ", "? ", "\n"])
text = st.lists(st.tuples(word, gap), min_size=1, max_size=12).map(
    lambda pairs: "".join(w + g for w, g in pairs).strip()
)
LABEL = {"cp1251": "windows-1251", "koi8-r": "koi8-r", "utf-8": "utf-8"}
SWAPPED = {"cp1251": "koi8-r", "koi8-r": "windows-1251"}


def test_a_short_text_its_label_alone_decided_is_a_doubt() -> None:
    text, why = read_text("ответ".encode("cp1251"), "koi8-r")
    assert text == "НРБЕР"  # the label is kept: the bytes are words in both tables
    assert why == (
        "в письме указана кодировка koi8-r, но текст короткий: в windows-1251 он тоже читается"
    )


def test_a_short_text_that_reads_only_in_its_label_is_no_doubt() -> None:
    # a capital first letter is a lowercase one in the other table: «яОЮЯХАН», «оТЧЕФ»
    assert read_text("Спасибо".encode("cp1251"), "windows-1251") == ("Спасибо", None)
    assert read_text("Ответ.".encode("koi8-r"), "koi8-r") == ("Ответ.", None)


@settings(max_examples=300)
@given(text=text, codec=st.sampled_from(["cp1251", "koi8-r"]))
def test_a_short_mislabelled_text_is_read_right_or_doubted(text: str, codec: str) -> None:
    """As people write: fewer capitals than lowercase letters. Its bytes read in the other
    table have the cases swapped (KOI8-R's capitals are windows-1251's lowercase), and a
    reading with more capitals than the other is the one doubted; a text in capitals,
    read so, is the rarer mistake (test_lowercase_words_in_their_label_are_no_doubt)."""
    assume(sum(c.isupper() for c in text) < sum(c.islower() for c in text))
    data = text.encode(codec)
    if sum(b >= 0x80 for b in data) >= SHORT_BYTES:
        return  # long enough for detection to overrule the label (test_charset)
    read, why = read_text(data, SWAPPED[codec])
    assert read == text or why is not None


@settings(max_examples=200)
@given(text=text, codec=st.sampled_from(["cp1251", "koi8-r"]))
def test_lowercase_words_in_their_label_are_no_doubt(text: str, codec: str) -> None:
    """Short replies are mostly lowercase («спасибо, работает»); read in the other table
    they are words in capitals, which is no reason to doubt a label they fit. (Detection
    may still overrule the label of a few: «файл файл файл» read «ТЮИК ТЮИК ТЮИК»; that
    reading is doubted, and `#charset` mends it.)"""
    text = text.lower()
    read, why = read_text(text.encode(codec), LABEL[codec])
    assert why is None if read == text else why is not None


def test_capitals_in_windows_1251_are_no_mac_cyrillic_signs() -> None:
    """The two tables share lowercase letters; windows-1251's capitals are signs in
    mac-cyrillic, which a text of few letters read as a better text than its own."""
    text = "ответ спасибо СЧЁТ СЧЁТ СЧЁТ"
    assert decode_bytes(text.encode("cp1251"), "windows-1251") == text


@settings(max_examples=300)
@given(text=text, codec=st.sampled_from(list(LABEL)))
def test_russian_text_labelled_right_comes_back_equal_or_doubted(text: str, codec: str) -> None:
    """Any Russian text in UTF-8, windows-1251 or KOI8-R, labelled right, is read as
    written; only a short one («КОПИИ! архив!», one word over and over) may be read in
    the other table, and then the staff notice says so and offers `#charset`."""
    data = text.encode(codec)
    read, why = read_text(data, LABEL[codec])
    short = sum(b >= 0x80 for b in data) < SHORT_BYTES
    assert read == text or (short and why is not None)
    assert decode_bytes(data, LABEL[codec]) == read
    line = " ".join(text.split())
    word = base64.b64encode(line.encode(codec)).decode()
    header = decode_header(f"=?{LABEL[codec]}?B?{word}?=")
    assert header == line or (short and header == " ".join(read.split()))


def test_short_unlabelled_utf8_is_no_doubt() -> None:
    """Valid UTF-8 practically never happens by accident: a short reply sent without a
    charset is read as it is written, and the staff notice offers no `#charset`."""
    for text in ("Спасибо", "Да, всё работает.", "Ок"):
        assert read_text(text.encode(), None) == (text, None)


def test_an_unlabelled_text_of_short_bytes_8_bit_bytes_is_enough_to_judge() -> None:
    """Unlabelled windows-1251 text: a doubt below SHORT_BYTES 8-bit bytes, none from
    that many on (detection had enough to go on)."""
    words = "Добрый день, заказ оплачен, счёт пришёл, доступа к серверу всё нет, помогите"
    letters = [i for i, c in enumerate(words) if not c.isascii()]
    enough = words[: letters[SHORT_BYTES - 1] + 1]
    short = words[: letters[SHORT_BYTES - 2] + 1]
    assert read_text(enough.encode("cp1251"), None) == (enough, None)
    text, why = read_text(short.encode("cp1251"), None)
    assert text == short and why is not None and why.startswith("кодировка не указана")
    line = "Добрый день, заказ оплачен"  # a line or two: a doubt
    assert read_text(line.encode("cp1251"), None)[1] is not None


def test_a_short_text_with_as_many_capitals_in_either_table_is_no_doubt() -> None:
    """Only a reading with fewer capitals than the label's makes a doubt: «ответ ОТВЕТ»
    reads «НРБЕР нрбер» in the other table, no likelier, and the label stands."""
    for text, label, codec in (("ответ ОТВЕТ", "windows-1251", "cp1251"),
                               ("ответ ОТВЕТ", "koi8-r", "koi8-r")):  # fmt: skip
        assert read_text(text.encode(codec), label) == (text, None)


def test_a_short_text_that_reads_as_no_words_in_the_other_table_is_no_doubt() -> None:
    """«ВСЁ ХОРОШО» in KOI8-R reads «чуі иптпып» in windows-1251: fewer capitals, but no
    Russian words (its «Ё» is «і» there), so the label stands without a doubt."""
    assert read_text("ВСЁ ХОРОШО".encode("koi8-r"), "koi8-r") == ("ВСЁ ХОРОШО", None)


def test_capitals_count_every_capital_and_only_words_in_one_case_or_capitalised() -> None:
    """«А» is a capital like the rest: «АГА да» (three) reads «ага ДА» (two) in KOI8-R,
    words with fewer capitals, a doubt; «АГА АГа» reads «ага агА» there, no words
    (a word of mixed case), and its label stands."""
    _, why = read_text("АГА да".encode("cp1251"), "windows-1251")
    assert why is not None and why.endswith("текст короткий: в koi8-r он тоже читается")
    assert read_text("АГА АГа".encode("cp1251"), "windows-1251") == ("АГА АГа", None)


def test_a_short_text_the_other_table_cannot_read_is_no_doubt() -> None:
    """KOI8-R's «≤» is a byte windows-1251 has no letter for: the other reading fails,
    and the label stands (a reply «цена ≤ 100 рублей» is read, not failed)."""
    text = "цена ≤ 100 рублей"
    assert read_text(text.encode("koi8-r"), "koi8-r") == (text, None)
