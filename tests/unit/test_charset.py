"""Unit tests for maild.domain.charset, .plausibility and .header_text: mislabelled
bodies, RFC 2047 headers, base64 repair."""

from __future__ import annotations

import base64
import codecs
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from maild.domain.charset import (
    _CANDIDATES,
    _decode_with_codec,
    b64decode_lenient,
    clearly_russian,
    decode_bytes,
    normalize_charset,
    plausibility,
)
from maild.domain.header_text import _decode_header_str, _q_decode, decode_header
from maild.domain.plausibility import WRONG_TABLES
from tests.examples import examples

SENTENCE = (
    "Здравствуйте! Не работает оформление заказа в магазине, "
    "ошибка 500 после обновления до версии 7.0."
)
MIXED = "Обновил Bitrix до 7.0, теперь cron не запускается и в логах PHP Fatal error."
LETTER = "Добрый день!\nПодскажите, пожалуйста, как перенести сайт на другой хостинг?\n" * 2
URGENT = "СРОЧНО! НЕ РАБОТАЕТ САЙТ"
SHORT = ["Привет", "Спасибо!"]
RUSSIAN = [SENTENCE, MIXED, LETTER, URGENT, *SHORT]
ENCODINGS = ["cp1251", "koi8-r", "utf-8"]
SUBJECT = "Не работает оформление заказа"


def _ids(texts: list[str]) -> list[str]:
    return [t.split()[0].strip("!,") for t in texts]


# --- normalize_charset ------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("cp1251", "cp1251"),
        ("windows-1251", "cp1251"),
        ("Windows-1251", "cp1251"),
        ("win-1251", "cp1251"),
        ("WIN_1251", "cp1251"),
        ('"windows-1251"', "cp1251"),
        ("koi8r", "koi8-r"),
        ("KOI8-R", "koi8-r"),
        ("x-mac-cyrillic", "mac-cyrillic"),
        ("utf8", "utf-8"),
        ("UTF-8", "utf-8"),
        ("utf-8*ru", "utf-8"),
        ("ibm866", "cp866"),
        ("iso-8859-5", "iso8859-5"),
        ("iso-8859-1", "cp1252"),
        ("us-ascii", "ascii"),
        ("'KOI8-R'", "koi8-r"),
        # quoted aliases Python does not know: the quotes must go before the alias table
        ('"win-1251"', "cp1251"),
        ("'x-mac-cyrillic'", "mac-cyrillic"),
        (" Windows_1251 ", "cp1251"),
    ],
)
def test_normalize_charset_aliases(label: str, codec: str) -> None:
    assert normalize_charset(label) == codec


@pytest.mark.parametrize(
    "label", [None, "", "   ", "garbage", "x-unknown", "unknown-8bit", "base64", "rot13",
              "unicode_escape", "idna", "кои8", 5],
)  # fmt: skip
def test_normalize_charset_rejects_unusable_labels(label: object) -> None:
    assert normalize_charset(label) is None  # type: ignore[arg-type]


# --- decode_bytes: correct and missing labels --------------------------------


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("text", RUSSIAN, ids=_ids(RUSSIAN))
def test_correct_label_is_kept(text: str, encoding: str) -> None:
    assert decode_bytes(text.encode(encoding), encoding) == text


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("text", RUSSIAN, ids=_ids(RUSSIAN))
def test_no_label_is_detected(text: str, encoding: str) -> None:
    assert decode_bytes(text.encode(encoding)) == text


@pytest.mark.parametrize("label", ["windows-1251", "win-1251", "CP1251", '"windows-1251"'])
def test_alias_labels_decode(label: str) -> None:
    assert decode_bytes(SENTENCE.encode("cp1251"), label) == SENTENCE


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("label", ["garbage", "x-unknown", "base64", "unicode_escape"])
def test_unknown_label_falls_back_to_detection(encoding: str, label: str) -> None:
    assert decode_bytes(SENTENCE.encode(encoding), label) == SENTENCE


def test_x_mac_cyrillic_label() -> None:
    assert decode_bytes(SENTENCE.encode("mac-cyrillic"), "x-mac-cyrillic") == SENTENCE


# --- decode_bytes: wrong labels ----------------------------------------------

MISLABELLED = [
    ("cp1251", "koi8-r"),
    ("koi8-r", "cp1251"),
    ("koi8-r", "windows-1251"),
    ("utf-8", "cp1251"),
    ("utf-8", "koi8-r"),
    ("cp1251", "utf-8"),
    ("koi8-r", "utf-8"),
    ("cp1251", "iso-8859-1"),
    ("koi8-r", "iso-8859-1"),
    ("utf-8", "iso-8859-1"),
    ("cp1251", "us-ascii"),
    ("utf-8", "x-mac-cyrillic"),
]


@pytest.mark.parametrize(("encoding", "label"), MISLABELLED)
@pytest.mark.parametrize("text", RUSSIAN, ids=_ids(RUSSIAN))
def test_wrong_label_is_overridden(text: str, encoding: str, label: str) -> None:
    assert decode_bytes(text.encode(encoding), label) == text


def test_cp1251_labelled_mac_cyrillic_keeps_capitals() -> None:
    # The two tables share lowercase letters; only the capitals betray the label.
    assert decode_bytes(SENTENCE.encode("cp1251"), "x-mac-cyrillic") == SENTENCE


# --- decode_bytes: ASCII, Western, broken input ------------------------------


@pytest.mark.parametrize("label", [None, "us-ascii", "utf-8", "koi8-r", "windows-1251", "junk"])
def test_pure_english_is_ascii(label: str | None) -> None:
    text = "Hello, the checkout fails with error 500 after upgrading to 7.0.\r\n"
    assert decode_bytes(text.encode("ascii"), label) == text


def test_empty_body() -> None:
    assert decode_bytes(b"") == ""
    assert decode_bytes(b"", "koi8-r") == ""


@pytest.mark.parametrize(("encoding", "label"), [("latin-1", "iso-8859-1"), ("utf-8", "latin1")])
def test_western_text_survives(encoding: str, label: str) -> None:
    text = "Grüße aus München, schöne Straße"
    assert decode_bytes(text.encode(encoding), label) == text


def test_windows_1252_quotes_under_latin1_label() -> None:
    text = "“Smart quotes” – from Outlook"
    assert decode_bytes(text.encode("cp1252"), "iso-8859-1") == text


def test_utf8_bom_wins_over_label() -> None:
    assert decode_bytes(codecs.BOM_UTF8 + SENTENCE.encode(), "koi8-r") == SENTENCE


def test_utf16_with_bom() -> None:
    assert decode_bytes("Привет".encode("utf-16")) == "Привет"


@pytest.mark.parametrize("label", ["utf-16le", "utf-16be"])
def test_latin_text_in_utf16_without_a_bom_is_read_by_its_label(label: str) -> None:
    # every other byte NUL and all of them ASCII: not ASCII text («H\x00e\x00...»)
    assert decode_bytes("Hello, the site is down".encode(label), label) == (
        "Hello, the site is down"
    )


def test_broken_utf8_keeps_the_rest() -> None:
    raw = SENTENCE.encode()
    cut = raw.index("оформление".encode()) + 1  # drop half of a two-byte letter
    result = decode_bytes(raw[:cut] + raw[cut + 1 :], "utf-8")
    assert result == SENTENCE.replace("оформление", "\ufffdформление")


def test_control_bytes_never_raise() -> None:
    assert isinstance(decode_bytes(bytes(range(256)), "utf-8"), str)


# --- plausibility -------------------------------------------------------------


@pytest.mark.parametrize("text", [SENTENCE, MIXED, LETTER, URGENT, "Hello world"])
def test_real_text_is_fully_plausible(text: str) -> None:
    assert plausibility(text) >= 0.99


@pytest.mark.parametrize(
    ("encoding", "wrong"),
    [
        ("cp1251", "koi8-r"),
        ("koi8-r", "cp1251"),
        ("utf-8", "cp1251"),
        ("utf-8", "latin-1"),
        ("cp1251", "latin-1"),
        ("cp1251", "cp866"),
        ("cp1251", "iso8859-5"),
    ],
)
def test_mojibake_is_implausible(encoding: str, wrong: str) -> None:
    mojibake = SENTENCE.encode(encoding).decode(wrong, errors="replace")
    assert plausibility(mojibake) < 0.6 < plausibility(SENTENCE)


def test_plausibility_examples() -> None:
    assert plausibility("") == 1.0
    assert plausibility("Hello\x00\x01\x02\x03") < 0.5
    assert plausibility("РџСЂРёРІРµС‚") < 0.2  # "Привет" in UTF-8 read as cp1251
    assert plausibility("ÐŸÑ€Ð¸Ð²ÐµÑ‚") < 0.2  # ... and read as cp1252
    assert plausibility("пТЙЧЕФ") < 0.2  # "Привет" in cp1251 read as koi8-r
    assert plausibility("Заказ №15 «срочно» — оплачен 😀") >= 0.99


@pytest.mark.parametrize(("encoding", "label"), [("cp1251", "koi8-r"), ("koi8-r", None)])
def test_russian_after_a_long_english_quote_is_still_read(encoding: str, label: str | None) -> None:
    """Plausibility scores the start and the first non-ASCII stretch after it: a reply
    under 1,700 characters of quoted English is judged by its Russian, not by the quote
    alone (which every table reads alike), so the customer's words are not garbled."""
    quote = "> The order page returns error 500 after the update to version 7.0.\n" * 25
    text = quote + SENTENCE
    assert decode_bytes(text.encode(encoding), label) == text


@pytest.mark.parametrize(
    ("text", "encoding", "label"),
    [("Да", "koi8-r", None), ("Да", "cp1251", "koi8-r"), ("Спасибо!", "cp1251", "mac-cyrillic")],
)
def test_a_short_reply_is_read_in_its_table_whatever_its_label(
    text: str, encoding: str, label: str | None
) -> None:
    """A two-letter word read in a wrong table flips its case («дЮ», «дБ»), and a
    capital read through MacCyrillic glues a dash to a lowercase word («—пасибо»):
    both count as debris, so the customer's «Да» or «Спасибо!» reaches staff as sent."""
    assert decode_bytes(text.encode(encoding), label) == text


def test_latin_words_in_maccyrillic_quotes_keep_their_quotes() -> None:
    """A Mac's English line labelled windows-1251: its “ ” – are Т У Р there, and a
    Cyrillic letter glued to Latin ones («ТquotesУ») is debris, so the quotes stay."""
    text = "Smart “quotes” – Outlook"
    assert decode_bytes(text.encode("mac-cyrillic"), "cp1251") == text


def test_the_shortcut_wants_russians_frequent_letters_in_the_label() -> None:
    """Lowercase ISO 8859-5 text labelled KOI8-R reads there as 77 lowercase letters
    and 19 capitals («тчяЮКы тущЛ»), none of them о, е, а, и (Russian: a third): the
    shortcut leaves it to the full score, which reads it right."""
    text = (
        "добрый день. не работает оформление заказа в магазине, ошибка после"
        " обновления до версии семь. помогите пожалуйста"
    )
    assert decode_bytes(text.encode("iso8859-5"), "koi8-r") == text


# --- b64decode_lenient ---------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("0J/RgNC40LLQtdGC", "Привет"),
        ("0J/RgNC4\r\n0LLQtdGC", "Привет"),  # line breaks
        (b" 0J/RgNC4 0LLQ tdGC ", "Привет"),  # stray spaces
        ("0J/RgNC40LLQtdGC===", "Привет"),  # too much padding
        ("0YHQv9Cw0YHQuNCx0L4", "спасибо"),  # missing padding
        ("0YHQv9Cw0YHQuNCx0L4=", "спасибо"),
        ("0YHQv9Cw*0YH#QuNCx0L4", "спасибо"),  # junk characters
        ("0J_RgNC4", "При"),  # URL-safe alphabet
        ("QUI=Qw==", "ABC"),  # two padded chunks glued together
        ("QUJDR", "ABC"),  # a dangling sextet carries no byte
    ],
)
def test_b64decode_lenient(data: str | bytes, expected: str) -> None:
    assert b64decode_lenient(data).decode("utf-8") == expected


@pytest.mark.parametrize("data", ["", "=", "====", "Q", "!!!", "ÿÿÿ", b"\xff\xfe", "Привет"])
def test_b64decode_lenient_garbage(data: str | bytes) -> None:
    assert isinstance(b64decode_lenient(data), bytes)


# --- decode_header ---------------------------------------------------------------


def _b_word(text: str, charset: str, label: str | None = None) -> str:
    payload = base64.b64encode(text.encode(charset)).decode("ascii")
    return f"=?{label or charset}?B?{payload}?="


def _q_word(text: str, charset: str, label: str | None = None) -> str:
    chars = []
    for byte in text.encode(charset):
        if byte == 0x20:
            chars.append("_")
        elif byte > 0x7E or chr(byte) in "=?_":
            chars.append(f"={byte:02X}")
        else:
            chars.append(chr(byte))
    return f"=?{label or charset}?Q?{''.join(chars)}?="


@pytest.mark.parametrize(
    "value",
    [
        _b_word(SUBJECT, "cp1251", "windows-1251"),
        _q_word(SUBJECT, "koi8-r"),
        _b_word(SUBJECT, "utf-8"),
        _q_word(SUBJECT, "utf-8").replace("?Q?", "?q?"),
        _b_word(SUBJECT, "cp1251", "Windows-1251").replace("?B?", "?b?"),
    ],
    ids=["b-cp1251", "q-koi8", "b-utf8", "q-lowercase", "b-lowercase"],
)
def test_header_encoded_words(value: str) -> None:
    assert decode_header(value) == SUBJECT


@pytest.mark.parametrize("fold", ["\r\n ", "\r\n\t", "\n ", " "])
def test_header_split_words_join_without_space(fold: str) -> None:
    raw = SUBJECT.encode("utf-8")
    # Split inside a two-byte letter («р»): clients do it, joining bytes first repairs it.
    first, second = raw[:6], raw[6:]
    value = (
        f"Re: =?utf-8?B?{base64.b64encode(first).decode()}?={fold}"
        f"=?utf-8?B?{base64.b64encode(second).decode()}?= [TID-123]"
    )
    assert decode_header(value) == f"Re: {SUBJECT} [TID-123]"


def test_header_split_words_join_whatever_the_case_of_their_label() -> None:
    """«UTF-8» and «utf-8» name one charset (RFC 2047 labels are case-insensitive): a
    letter split across two words so labelled is joined, not two «�»."""
    raw = SUBJECT.encode("utf-8")
    first, second = raw[:6], raw[6:]  # inside «р»
    value = (
        f"=?UTF-8?B?{base64.b64encode(first).decode()}?=\r\n "
        f"=?utf-8?B?{base64.b64encode(second).decode()}?="
    )
    assert decode_header(value) == SUBJECT


def test_header_split_words_in_two_charsets() -> None:
    value = _b_word("Не работает ", "cp1251") + "\r\n " + _q_word("оформление заказа", "koi8-r")
    assert decode_header(value) == SUBJECT


def test_header_text_between_words_is_kept() -> None:
    value = f"{_b_word('Заказ', 'utf-8')} #123 {_q_word('оплачен', 'koi8-r')}"
    assert decode_header(value) == "Заказ #123 оплачен"


@pytest.mark.parametrize(
    ("charset", "label"),
    [("cp1251", "koi8-r"), ("koi8-r", "windows-1251"), ("utf-8", "windows-1251"),
     ("cp1251", "utf-8"), ("cp1251", "x-unknown")],
)  # fmt: skip
def test_header_wrong_charset_label(charset: str, label: str) -> None:
    assert decode_header(_b_word(SUBJECT, charset, label)) == SUBJECT
    assert decode_header(_q_word(SUBJECT, charset, label)) == SUBJECT


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from('abc XY<>@.,;:()"=?_-\t\r\n\x00\x01\x0b\x0c\x1c\x1f\x7f')))
@example("Re:  Order\r\n\t #123 \x00 [TID#1234-5678] ")
def test_plain_ascii_header_takes_the_short_way_to_the_same_line(value: str) -> None:
    assert decode_header(value) == _decode_header_str(value)
    assert decode_header(value.encode("ascii")) == _decode_header_str(value)


def test_header_short_word_wrong_label() -> None:
    assert decode_header(_b_word("Привет", "cp1251", "koi8-r")) == "Привет"


@pytest.mark.parametrize("damage", ["strip", "extra", "junk"])
def test_header_bad_base64_padding(damage: str) -> None:
    payload = base64.b64encode(SUBJECT.encode("cp1251")).decode("ascii")
    assert payload.endswith("=")
    payload = {
        "strip": payload.rstrip("="),
        "extra": payload + "==",
        "junk": payload[:8] + "*" + payload[8:],
    }[damage]
    assert decode_header(f"=?windows-1251?B?{payload}?=") == SUBJECT


def test_header_missing_terminator() -> None:
    word = _b_word("Спасибо!", "utf-8")
    assert decode_header(word[:-2]) == "Спасибо!"
    assert decode_header(word[:-2] + " [TID-7]") == "Спасибо! [TID-7]"


def test_header_broken_q_escape_is_kept_literally() -> None:
    assert decode_header("=?utf-8?Q?100=ZZ_=D0=BE=D0=BA?=") == "100=ZZ ок"


Q_PIECES = ["=", "_", " ", "\t", "\r", "\n", "=D0", "=bE", "=4", "=Z", "=\n", "a", "9", "\udcd1"]


@settings(max_examples=examples(1000), deadline=None)
@given(text=st.lists(st.sampled_from(Q_PIECES), max_size=16).map("".join))
@example(text="==_")  # binascii reads "==" as an escaped "="
@example(text="a=")  # ... and "=" at the end as a soft line break
def test_q_decoding_is_its_definition(text: str) -> None:
    """_q_decode hands well-formed text to binascii; the bytes must be those of the
    rule itself: "_" is a space, "=XY" a byte, anything else stays as it is."""
    raw = text.replace("_", " ").encode("utf-8", "surrogateescape")
    expected = re.sub(rb"=([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)
    assert _q_decode(text) == expected


@pytest.mark.parametrize("encoding", ["cp1251", "koi8-r"])
def test_header_raw_8bit_bytes(encoding: str) -> None:
    assert decode_header(f"Re: {SUBJECT} [TID-1]".encode(encoding)) == f"Re: {SUBJECT} [TID-1]"


def test_header_raw_8bit_as_surrogate_escaped_str() -> None:
    # email's compat32 policy hands out undecodable header bytes this way.
    value = SUBJECT.encode("cp1251").decode("ascii", errors="surrogateescape")
    assert decode_header(value) == SUBJECT


def test_header_already_decoded_str_is_untouched() -> None:
    assert decode_header(f"  {SUBJECT}  ") == SUBJECT


def test_header_unfolds_plain_text() -> None:
    assert decode_header("Problem with\r\n\tcheckout\r\n page") == "Problem with checkout page"


def test_header_never_yields_line_breaks() -> None:
    # An encoded CR LF must not become header injection when the subject is reused.
    decoded = decode_header("=?utf-8?Q?Hi=0D=0ABcc:_victim@example.com?=")
    assert "\r" not in decoded
    assert "\n" not in decoded
    assert decoded == "Hi Bcc: victim@example.com"
    # nor a line or paragraph separator: str.splitlines breaks lines at them, and the
    # email package refuses a header holding one (a subject shown on one line)
    for sep in ("\u2028", "\u2029", "\x85"):
        encoded = base64.b64encode(f"Hi{sep}Bcc: x@example.com".encode()).decode()
        assert decode_header(f"=?utf-8?B?{encoded}?=") == "Hi Bcc: x@example.com"


@pytest.mark.parametrize("value", [None, "", b"", "=??=", "=?utf-8?X?abc?=", "=?utf-8?B?", "?="])
def test_header_degenerate_values(value: str | bytes | None) -> None:
    assert isinstance(decode_header(value), str)


# --- never raises -------------------------------------------------------------------

LABELS = st.one_of(
    st.none(),
    st.sampled_from(["utf-8", "cp1251", "koi8-r", "us-ascii", "utf-16", "utf-7", "base64",
                     "iso-2022-jp", "x-mac-cyrillic", "gb18030", "garbage"]),
    st.text(max_size=20),
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=300), label=LABELS)
def test_decode_bytes_never_raises(data: bytes, label: str | None) -> None:
    assert isinstance(decode_bytes(data, label), str)


@settings(max_examples=150, deadline=None)
@given(value=st.one_of(st.text(max_size=200), st.binary(max_size=200), st.none()))
def test_decode_header_never_raises(value: str | bytes | None) -> None:
    result = decode_header(value)
    assert isinstance(result, str)
    assert "\n" not in result


@settings(max_examples=150, deadline=None)
@given(
    parts=st.lists(
        st.one_of(
            st.sampled_from(
                ["=?", "?=", "?B?", "?Q?", "utf-8", "koi8-r", "=D0", "_", " ", "\r\n "]
            ),
            st.text(max_size=10),
        ),
        max_size=15,
    )
)
def test_decode_header_never_raises_on_encoded_word_debris(parts: list[str]) -> None:
    assert isinstance(decode_header("".join(parts)), str)


@settings(max_examples=100, deadline=None)
@given(data=st.one_of(st.text(max_size=100), st.binary(max_size=100)))
def test_b64decode_lenient_never_raises(data: str | bytes) -> None:
    assert isinstance(b64decode_lenient(data), bytes)


@settings(max_examples=100, deadline=None)
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
@example(text="\ufeff")  # found by CI: only the mark, nothing after it
@example(text="\ufeff\ufeffа")
def test_utf8_text_round_trips(text: str) -> None:
    # Strict UTF-8 is never second-guessed, whatever the content; a leading U+FEFF
    # encodes as the UTF-8 byte order mark, which says how to read and is not text.
    expected = text.removeprefix("\ufeff")
    assert decode_bytes(text.encode("utf-8"), "utf-8") == expected


# --- the byte-statistics shortcut for declared windows-1251 / KOI8-R ----------

WORDS = [
    "здравствуйте",
    "добрый",
    "день",
    "не",
    "работает",
    "оформление",
    "заказа",
    "в",
    "магазине",
    "ошибка",
    "после",
    "обновления",
    "до",
    "версии",
    "подскажите",
    "пожалуйста",
    "как",
    "перенести",
    "сайт",
    "на",
    "другой",
    "хостинг",
    "спасибо",
    "с",
    "уважением",
    "ёлка",
    "ещё",
    "объём",
    "лицензия",
    "корзина",
    "оплата",
    "ООО",
    "ИНН",
    "СРОЧНО",
    "Bitrix",
    "PHP",
    "cron",
    "1С-Битрикс",
    "Fatal",
    "error",
    "7.0",
    "500",
    "https://shop.example.ru/cart",
]
PUNCT = [" ", " ", " ", ", ", ". ", "! ", "? ", "\n", "\r\n", " — ", " «", "» ", " №", ": "]
# Every MacCyrillic sign whose byte is a Cyrillic capital in windows-1251 ("“" is Т,
# "—" С, "»" И, "°" Ў, "®" Ё): glued to the word before, the word after, or both.
MAC_MARKS = [
    c for b in range(0x80, 0x100)
    if not (c := bytes([b]).decode("mac-cyrillic")).isalpha()
    and bytes([b]).decode("cp1251").isupper()
]  # fmt: skip
GLUED = ["{} ", " {}", "{}"]


@st.composite
def russian_text(draw) -> str:
    out = []
    # Half the texts all lowercase: MacCyrillic's capitals are no letters in
    # windows-1251, such text reaches the shortcut only without them.
    cases = draw(st.sampled_from([["lower"], ["same", "same", "same", "title", "upper"]]))
    for _ in range(draw(st.integers(1, 60))):
        word = draw(st.sampled_from(WORDS))
        case = draw(st.sampled_from(cases))
        out.append(
            {"lower": word.lower(), "same": word, "title": word.title(), "upper": word.upper()}[
                case
            ]
        )
        if draw(st.integers(0, 7)):
            out.append(draw(st.sampled_from(PUNCT)))
        else:
            out.append(draw(st.sampled_from(GLUED)).format(draw(st.sampled_from(MAC_MARKS))))
    return "".join(out)


def _encode(text: str, encoding: str) -> bytes:
    """`text` in `encoding`, its signs that table lacks («, —, №, ≈ ...) as "'"."""
    return "".join(c if c.isascii() or _encodable(c, encoding) else "'" for c in text).encode(
        encoding
    )


def _encodable(c: str, encoding: str) -> bool:
    try:
        c.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


@settings(max_examples=examples(150), deadline=None)
@given(
    text=russian_text(),
    encoding=st.sampled_from(["cp1251", "koi8-r", "mac-cyrillic", "iso8859-5", "cp866"]),
    label=st.sampled_from(["windows-1251", "koi8-r"]),
)
@example(  # MacCyrillic я is Я in windows-1251: "обновлениЯ"
    text="здравствуйте здравствуйте здравствуйте день оформление обновления ",
    encoding="mac-cyrillic",
    label="windows-1251",
)
@example(  # and its ё is Ю: "ещЮ"
    text="здравствуйте здравствуйте здравствуйте работает работает ещё ",
    encoding="mac-cyrillic",
    label="windows-1251",
)
@example(  # and its » is И: "оформлениеИ"
    text="здравствуйте здравствуйте здравствуйте работает оформление» ",
    encoding="mac-cyrillic",
    label="windows-1251",
)
@example(  # and its closing “ is Т: "ЧоформлениеТ"
    text="здравствуйте здравствуйте здравствуйте работает оформление „оформление“ ",
    encoding="mac-cyrillic",
    label="windows-1251",
)
@example(  # and its — is С: "работаСоформление"
    text="здравствуйте здравствуйте здравствуйте работает оформление работа—оформление ",
    encoding="mac-cyrillic",
    label="windows-1251",
)
@example(  # « and » glued to a Latin word: "ЗBitrixИ"
    text="здравствуйте здравствуйте здравствуйте работает оформление «Bitrix» ",
    encoding="mac-cyrillic",
    label="windows-1251",
)
@example(  # two capitals before a lowercase letter: "ТЮлка"
    text="здравствуйте здравствуйте здравствуйте работает оформление “ёлка ",
    encoding="mac-cyrillic",
    label="windows-1251",
)
def test_shortcut_decides_as_the_full_score(text: str, encoding: str, label: str) -> None:
    data = _encode(text, encoding)
    fast = _decode_with_codec(data, label)
    assert fast == _decode_with_codec(data, label, fast=False)


@pytest.mark.parametrize(("encoding", "label"), [("cp1251", "cp1251"), ("koi8-r", "koi8-r")])
def test_shortcut_takes_plain_russian_in_its_label(encoding: str, label: str) -> None:
    assert clearly_russian(LETTER.encode(encoding), label)
    assert not clearly_russian(URGENT.encode(encoding), label)  # capitals: scored
    assert not clearly_russian(SHORT[0].encode(encoding), label)  # too short: scored


@pytest.mark.parametrize(
    ("encoding", "label"),
    [
        ("koi8-r", "cp1251"),
        ("cp1251", "koi8-r"),
        ("utf-8", "cp1251"),
        ("utf-8", "koi8-r"),
        ("mac-cyrillic", "cp1251"),
        ("iso8859-5", "cp1251"),
        ("cp866", "koi8-r"),
    ],
)
def test_shortcut_never_takes_another_table(encoding: str, label: str) -> None:
    assert not clearly_russian(LETTER.encode(encoding), label)
    assert not clearly_russian(LETTER.encode("cp1251") + b"\x00\x01", "cp1251")
    assert not clearly_russian(LETTER.encode("cp1251"), "utf-8")


def test_a_latin_word_after_an_opening_quote_alone_leaves_the_shortcut() -> None:
    """«Bitrix24» in MacCyrillic read as windows-1251 is ЗBitrix24И: the quotes become
    capitals, and a word ending in digits leaves only the capital before the Latin
    letter (З B) to tell it; the shortcut must leave such text to the full score."""
    text = "здравствуйте здравствуйте здравствуйте работает оформление «Bitrix24» "
    assert "ЗBitrix24И" in text.encode("mac-cyrillic").decode("cp1251")
    assert not clearly_russian(text.encode("mac-cyrillic"), "cp1251")


def _b64decode_by_regex(data: bytes | str) -> bytes:
    """b64decode_lenient as first written (regular expressions): the reference."""
    import binascii
    import re

    if isinstance(data, str):
        data = data.encode("ascii", errors="ignore")
    data = bytes(data).translate(bytes.maketrans(b"-_", b"+/"))
    data = re.sub(rb"[^A-Za-z0-9+/=]", b"", data)
    out = bytearray()
    for chunk in re.split(rb"=+", data):
        chunk = chunk[: len(chunk) - (len(chunk) % 4 == 1)]
        if chunk:
            out += binascii.a2b_base64(chunk + b"=" * (-len(chunk) % 4))
    return bytes(out)


@settings(max_examples=500)
@given(
    payload=st.binary(max_size=200),
    junk=st.lists(st.sampled_from(["\r\n", " ", "=", "==", "-", "_", "!", "\x00", "é"])),
    cut=st.integers(0, 300),
)
def test_b64decode_lenient_as_the_regex_version(payload: bytes, junk: list[str], cut: int) -> None:
    text = base64.b64encode(payload).decode()
    for n, j in enumerate(junk):  # spread the junk over the text
        at = (n * 7 + cut) % (len(text) + 1)
        text = text[:at] + j + text[at:]
    text = text[:cut] if cut < len(text) else text
    assert b64decode_lenient(text) == _b64decode_by_regex(text)
    assert b64decode_lenient(text.encode("utf-8")) == _b64decode_by_regex(text.encode("utf-8"))


def test_every_detection_candidate_counts_for_debris() -> None:
    # What a candidate table makes of high bytes must be debris to plausibility,
    # or a wrong reading in that table would score as clean text.
    assert set(_CANDIDATES) <= set(WRONG_TABLES)


def test_ascii_bytes_are_ascii_whatever_the_label_but_for_seven_bit_charsets() -> None:
    assert _decode_with_codec(b"plain text", "windows-1251") == ("plain text", "ascii")
    utf7 = b"+BB8EQAQ4BDIENQRC-"
    assert _decode_with_codec(utf7, "utf-7") == ("Привет", "utf-7")
    assert _decode_with_codec(utf7, None) == (utf7.decode(), "ascii")  # only when labelled


def test_non_breaking_spaces_in_a_row_are_no_decoding_debris() -> None:
    """Three non-breaking spaces in a row (a reply from an HTML editor) are no run of
    signs: an unlabelled short text keeps its table, windows-1251 or KOI8-R (it was
    read as CP866 or windows-1251 garbage when they counted as one)."""
    text = "спасибо \xa0\xa0\xa0Нет "
    for codec in ("cp1251", "koi8-r"):
        assert decode_bytes(text.encode(codec), None) == text, codec


def test_three_letter_capitals_in_mac_cyrillic_labelled_windows_1251_are_read_as_letters() -> None:
    """MacCyrillic's capitals are windows-1251's signs: «ТУТ» read through the label is
    «’“’», three signs in a row, which no real text has; the mail is read as written."""
    text = "ТУТ заказ сервер ВСЁ день заказ ТУТ спасибо работает"
    assert decode_bytes(text.encode("mac-cyrillic"), "windows-1251") == text


def test_a_short_unlabelled_word_in_iso_8859_5_is_not_taken_for_koi8_r() -> None:
    """KOI8-R is rarer in Russian mail than windows-1251 and pays for it (its prior):
    «заказа» in ISO-8859-5, no label, is not the KOI8-R «впзпвп» that scores a little
    better as text."""
    assert decode_bytes("заказа".encode("iso8859-5")) == "заказа"


@pytest.mark.parametrize("text", ["№", "«»", "é"])
@pytest.mark.parametrize("label", [None, "koi8-r"])
def test_valid_utf8_however_short_is_read_as_utf8(text: str, label: str | None) -> None:
    """Bytes that decode as multi-byte UTF-8 are UTF-8 whatever the label says: a lone
    «№» is not windows-1251's «в„–», which scores as well as one character can."""
    assert decode_bytes(text.encode("utf-8"), label) == text


def test_chardet_has_a_say_in_a_long_enough_unlabelled_text() -> None:
    """A mail of more than a name or a subject asks chardet too: this MacCyrillic one,
    no label, whose capitals and dash windows-1251 reads as signs («Џривет С сайт»),
    is read as written."""
    text = (
        "Привет — сайт не работает, server error 500 на странице заказа №123, "
        "Bitrix24 пишет OK. Спасибо"
    )
    assert decode_bytes(text.encode("mac-cyrillic")) == text


def test_a_weak_chardet_guess_does_not_add_a_charset_to_try() -> None:
    """chardet's guess earns a place among the candidates only when it is confident:
    on this Western line, no label, it says windows-1250 at under 0.1, and that
    reading would turn «señor» into «seńor» and «naïve» into «naďve»."""
    text = "Straße résumé und señor café naïve résumé señor résumé price la le"
    assert decode_bytes(text.encode("cp1252")) == text
