from __future__ import annotations

import re
import sys
import time
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from maild.domain.banners import without_subject_tags
from maild.domain.redact import redact_subject
from maild.domain.robots import FOREIGN_TAG_RE
from maild.domain.tid import (
    SIGNS,
    clean_subject,
    find_tid,
    message_ids,
    new_tid,
    normalize_msgid,
    parse_tid,
    tag,
)
from tests.examples import examples


def test_new_tid_is_short_readable_and_avoids_existing():
    seen = {new_tid() for _ in range(200)}
    assert all(re.fullmatch(r"\d{4}-\d{4}", t) for t in seen)
    assert len(seen) > 190
    assert not any(t.startswith("0000") for t in seen)  # new_tid skips the 0000 block
    # both halves range over 0000-9999 (200 draws all below 8000: 0.8**200, never)
    assert max(int(t[:4]) for t in seen) >= 8000 and max(int(t[5:]) for t in seen) >= 8000
    taken = set()
    calls = []

    def exists(t: str) -> bool:
        calls.append(t)
        return len(calls) < 3  # the first two candidates are taken

    t = new_tid(exists)
    assert t == calls[-1] and len(calls) == 3 and t not in taken


def test_new_tid_never_draws_the_no_ticket_block(monkeypatch: pytest.MonkeyPatch) -> None:
    """A draw in "0000-" (NO_TICKET's, which a list mail about no ticket names) is
    drawn again: 200 random draws above meet one once in fifty runs, so the draws
    are given here."""
    import maild.domain.tid as tid_module

    draws = iter([0, 1234, 48217730])  # "0000-0000", "0000-1234", then "4821-7730"
    monkeypatch.setattr(tid_module.secrets, "randbelow", lambda n: next(draws))
    assert new_tid() == "4821-7730"


@pytest.mark.parametrize(
    "subject",
    [
        "[TID#4821-7730]",
        "Re: Ошибка [TID#4821-7730]",
        "RE: FW: Ответ: Fwd: что-то [tid#4821-7730]",
        "[list-prefix] Re: [Tid#4821-7730] вопрос",
        "AW: [ TID # 4821-7730 ]",
        "[TID#48217730] без дефиса",
        "Вопрос по TID#4821-7730: оплата",  # typed by hand, without the brackets
        "tid # 4821-7730",
        # a tag mangled by hand: no "#", another sign for it, "№" (Shift+3 on the
        # Russian layout), the fullwidth "＃" of an input method
        "Re: [TID4821-7730] Ошибка 500",
        "Re: [TID:4821-7730] Ошибка 500",
        "Re: [TID№4821-7730] Ошибка 500",
        "Re: [TID＃4821-7730] Ошибка 500",
        "Re: [TID﹟4821-7730] Ошибка 500",
        "Re: [TID 4821-7730] Ошибка 500",
        "Re: [ tid 48217730 ] Ошибка 500",
        "Вопрос по TID№4821-7730: оплата",
        "Вопрос по TID: 4821-7730",
        "Вопрос по TID＃4821-7730",
    ],
)
def test_find_tid_anywhere_any_case(subject):
    assert find_tid(subject) == "4821-7730"


@pytest.mark.parametrize(
    "subject",
    [
        None,
        "",
        "TID 4821-7730",
        "[TID#482-7730]",
        "#4821-7730",
        "[TID#abcd-efgh]",
        "TID#4821-77301",  # more digits: no TID
        "xTID#4821-7730",
        "TID4821-7730",  # neither a sign nor brackets: prose
        "[TID 4821-7730 и ещё",  # a bracket never closed, no sign
        "TID 4821-7730]",
        "№4821-7730",
        "[4821-7730]",
    ],
)
def test_no_tid(subject):
    assert find_tid(subject) is None


@pytest.mark.parametrize(
    "typed",
    [
        "[ТID#4821-7730]",  # a Russian «Т»: the layout switched for one key
        "[ТІD#4821-7730]",  # a Russian «Т», a Ukrainian «І»
        "[тіd#4821-7730]",  # lower case
        "[ ТID # 4821 - 7730 ]",
        "[ TID # 4821 - 7730 ]",
        "[TID#4821 7730]",  # a blank for the dash
        "[TID#4821–7730]",  # an en dash, as autocorrect puts it
        "[TID#4821‑7730]",  # U+2011, the non-breaking hyphen
        "[TID#4821—7730]",  # an em dash
        "[TID#4821−7730]",  # the minus sign
        "[TID-4821-7730]",  # a dash for the sign
        "[TID – 4821–7730]",
        "[ＴＩＤ#4821-7730]",  # an input method's fullwidth letters
        "[ｔｉｄ＃４８２１－７７３０]",  # and its fullwidth digits and dash
        "[TID#４８２１-７７３０]",
        "ТID№ 4821 – 7730",  # by hand, without the brackets: the sign tells it
        "ＴＩＤ: 4821–7730",
    ],
)
def test_a_tag_typed_with_lookalikes_blanks_or_other_dashes_is_found(typed):
    """The tag as a customer types it by hand names the ticket and goes from its subject."""
    assert find_tid(f"Re: Ошибка {typed}") == "4821-7730"
    assert clean_subject(f"Re: Ошибка {typed} снова") == "Ошибка снова"


@pytest.mark.parametrize(
    "subject",
    [
        "ТID 4821-7730",  # a Russian «Т», neither a sign nor brackets: prose
        "ТID4821-7730",
        "[ТID 4821-7730 и ещё",  # a bracket never closed, no sign
        "[TID-4821-7730 и ещё",  # a dash for the sign: in closed brackets alone
        "TID-4821-7730",
        "[ТID#482-7730]",
        "[ТID#4821 77301]",  # more digits
        "[TID#4821 - - 7730]",  # two dashes
        "[TЕD#4821-7730]",  # a Russian «Е»: no lookalike of "I"
        "#4821–7730",
        "[4821 7730]",
    ],
)
def test_no_tid_in_lookalikes_either(subject):
    assert find_tid(subject) is None


def test_every_unicode_dash_joins_the_halves():
    dashes = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Pd"]
    assert len(dashes) > 20
    for dash in [*dashes, "\u2212"]:  # and the minus sign
        assert find_tid(f"[TID#4821{dash}7730]") == "4821-7730", hex(ord(dash))
        assert find_tid(f"[TID{dash}4821{dash}7730]") == "4821-7730", hex(ord(dash))


def test_blanks_and_dashes_cost_linear_time():
    """Runs of blanks where a tag's parts may stand, after each of many tag openings,
    are gone through once each (blanks, a dash, blanks read as two runs that may split
    the blanks anywhere would take a minute here)."""
    for run in ("[TID#4821" + " " * 20_000, "[TID" + " " * 20_000, "[TID#4821 -" + " " * 20_000):
        text = run * 10
        started = time.process_time()
        assert find_tid(text) is None and clean_subject(text) == " ".join(text.split())
        assert time.process_time() - started < 0.5  # (linear: about 0.03 s)


def test_clean_subject_and_tagging():
    assert clean_subject("Re: Ответ: Fwd: Ошибка 500 [TID#4821-7730]") == "Ошибка 500"
    assert clean_subject("RE[2]: AW: тема") == "тема"
    assert clean_subject("Вопрос по TID#4821-7730") == "Вопрос по"
    assert clean_subject(None) == ""
    assert tag("1-2") == "[TID#1-2]"


@pytest.mark.parametrize(
    "subject",
    [
        "Ответ: Re: вопрос (TID#1234-5678)",
        "Re: вопрос ([TID#1234-5678])",
        "вопрос «TID#1234-5678»",
        "Re: (TID№1234-5678) вопрос",
        "вопрос { TID#1234-5678 }",
        "вопрос (( [TID#1234-5678] ))",
    ],
)
def test_a_tag_in_brackets_leaves_no_empty_brackets(subject):
    assert clean_subject(subject) == "вопрос"


@pytest.mark.parametrize(
    ("subject", "clean"),
    [
        ("вопрос (TID#1234-5678, срочно)", "вопрос (срочно)"),
        ("Re: вопрос (срочно, TID#1234-5678)", "вопрос (срочно)"),
        ("вопрос (TID#1234-5678: срочно)", "вопрос (срочно)"),
        ("вопрос (TID#1234-5678 — срочно)", "вопрос (срочно)"),
        ("вопрос «срочно; [TID#1234-5678]»", "вопрос «срочно»"),
        ("вопрос (срочно; TID#1234-5678; важно)", "вопрос (срочно; важно)"),
        ("вопрос, TID#1234-5678, срочно", "вопрос, срочно"),
        # square brackets: the tag takes the "[" or "]" it does not close
        ("вопрос [TID#1234-5678 - срочно]", "вопрос [срочно]"),
        ("вопрос [TID#1234-5678, срочно]", "вопрос [срочно]"),
        ("Re: вопрос [срочно, TID#1234-5678]", "вопрос [срочно]"),
        ("вопрос [срочно; TID#1234-5678; важно]", "вопрос [срочно; важно]"),
        ("вопрос [срочно] TID#1234-5678]", "вопрос [срочно]"),
        # the customer's own separators stay
        ("вопрос (-5 °C, TID#1234-5678)", "вопрос (-5 °C)"),
        ("вопрос (a - b) :)", "вопрос (a - b) :)"),
    ],
)
def test_a_tag_among_words_in_brackets_leaves_no_stray_separator(subject, clean):
    assert clean_subject(subject) == clean


@pytest.mark.parametrize(
    "subject",
    ["Скидка ( - 5 % )", "Итог: a - - b", "вопрос ( , срочно)", "a ; ; b", "вопрос «  »"],
)
def test_brackets_and_separators_where_no_tag_was_stay(subject):
    """Only where a tag was taken from are its brackets and separators tidied."""
    assert clean_subject(subject) == " ".join(subject.split())
    assert clean_subject(f"Re: {subject} [TID#1234-5678]") == " ".join(subject.split())


@pytest.mark.parametrize(
    "subject",
    [
        "[TID#1234-5678 срочно [важно]",  # the tag's "[" has no "]" of its own
        "вопрос [TID#1234-5678, срочно (x)] [y]",
        "вопрос [срочно [TID#1234-5678]]",  # a whole tag inside the customer's pair
        "[срочно] [TID#1234-5678] [важно]",
    ],
)
def test_a_tag_taken_leaves_the_customers_square_brackets_paired(subject):
    """Taking a tag out of a subject keeps a "[" or "]" only where its pair is on the
    other side of the tag: the ticket's subject, which the customer's mail and the
    staff's list show, gets no stray bracket the customer never typed."""
    clean = clean_subject(subject)
    assert clean.count("[") == clean.count("]"), clean
    assert "TID" not in clean


@pytest.mark.parametrize(
    ("subject", "clean"),
    [
        ("вопрос [срочно [TID#1234-5678]]", "вопрос [срочно]"),
        ("вопрос (срочно TID#1234-5678)", "вопрос (срочно)"),
        ("вопрос (TID#1234-5678 срочно)", "вопрос (срочно)"),
        ("вопрос «TID#1234-5678 срочно»", "вопрос «срочно»"),
        ("вопрос [ [TID#1234-5678] срочно]", "вопрос [срочно]"),
        # «“» opens „…“ and closes “…”: the blank beside it may be the customer's
        ("тема TID#1234-5678 “цитата”", "тема “цитата”"),
        ("„цитата“ TID#1234-5678 тема", "„цитата“ тема"),
        ("тема (срочно) TID#1234-5678 дальше", "тема (срочно) дальше"),
    ],
)
def test_a_tag_beside_a_bracket_leaves_no_blank_inside_it(subject, clean):
    """A tag taken from beside a bracket with a blank alone between them leaves no
    blank inside the pair: «[срочно ]» is what the customer never typed."""
    assert clean_subject(subject) == clean


def test_brackets_the_customer_typed_empty_stay():
    assert clean_subject("Re: не работает foo() [TID#1234-5678]") == "не работает foo()"


def test_clean_subject_strips_a_tag_mangled_by_hand():
    assert clean_subject("Re: [TID№4821-7730] Ошибка 500") == "Ошибка 500"
    assert clean_subject("RE: Ошибка 500 [TID:4821-7730]") == "Ошибка 500"
    assert clean_subject("Ошибка 500 [TID4821-7730]") == "Ошибка 500"
    assert clean_subject("Ответ по TID 4821-7730") == "Ответ по TID 4821-7730"


TIDS = st.from_regex(r"[0-9]{4}-[0-9]{4}", fullmatch=True)
# the text around a tag: letters, spaces and the punctuation of a subject, no digit (a
# number there could be a TID) and no bracket (one would belong to the tag)
AROUND = st.text(alphabet="ReFwdОтвеошибкаTIDtid :.,!?-№#«»", max_size=30)
SPACES = st.sampled_from(["", " ", "  "])


# "TID" letter by letter as typed: Latin, a lookalike (Russian, Ukrainian, Greek), a
# fullwidth one, in any case
LETTERS = [st.sampled_from(list(alike)) for alike in ("tTтТτΤｔＴ", "iIіІιΙｉＩ", "dDԁԀｄＤ")]
# what joins the halves of the number: a dash of any kind or nothing, and in brackets
# a blank too
DASH_JOINS = ["-", "", " - ", "–", "‑", "—", "−", "－", " – "]
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@st.composite
def written_tags(draw) -> tuple[str, str]:
    """(a tag of a TID as maild writes it or a customer types it by hand, the TID)."""
    tid = draw(TIDS)
    if draw(st.booleans()):
        return tag(tid), tid
    bracketed = draw(st.booleans())
    joins = [*DASH_JOINS, " "] if bracketed else DASH_JOINS
    number = tid.replace("-", draw(st.sampled_from(joins)))
    if draw(st.booleans()):
        number = number.translate(FULLWIDTH)  # an input method's digits
    word = "".join(draw(letter) for letter in LETTERS)
    sign = draw(st.sampled_from([*SIGNS, "", "-", "–"] if bracketed else SIGNS))
    typed = f"{word}{draw(SPACES)}{sign}{draw(SPACES)}{number}"
    if bracketed:
        typed = f"[{draw(SPACES)}{typed}{draw(SPACES)}]"
    return typed, tid


@settings(max_examples=examples(400), deadline=None)
@given(written=written_tags(), before=AROUND, after=AROUND)
@example(written=("[TID4821-7730]", "4821-7730"), before="Re:", after="")  # a Jira key's look
@example(written=("[TID-48217730]", "4821-7730"), before="Re:", after="")  # and this
@example(written=("[tІD # 48217730]", "4821-7730"), before="", after="")  # an RT tag's
def test_any_tag_is_found_and_stripped_wherever_it_stands(written, before, after):
    """Every tag maild writes and every hand variant of it names its ticket in any
    subject, goes from the ticket's subject as maild's own does, survives the subject's
    redaction, stays with the Re: run a subject banner is taken from, and is no other
    desk's tag."""
    typed, tid = written
    subject = f"{before} {typed} {after}"
    assert find_tid(subject) == tid
    assert clean_subject(subject) == clean_subject(f"{before} {tag(tid)} {after}")
    assert find_tid(redact_subject(subject)[0]) == tid
    assert find_tid(without_subject_tags(f"Re: {typed} [EXT] x", ("[EXT]",))) == tid
    assert not FOREIGN_TAG_RE.search(typed)


@settings(max_examples=examples(300), deadline=None)
@given(
    tid=TIDS,
    form=st.sampled_from(
        [
            *("TID {}", "TID  {}", "tid {}", "TID{}", "№ {}", "#{}", "{}", "[{}]", "(TID {})"),
            *("[TID {}", "ТID {}", "ТІD{}", "ＴＩＤ {}", "TID-{}", "[TID-{}", "[ＴＩＤ {}"),
        ]
    ),
    before=AROUND,
    after=AROUND,
)
def test_a_number_in_prose_is_no_tag(tid, form, before, after):
    """A TID in prose, without a sign after "TID" or the brackets, names no ticket and
    stays in the subject ("—": what comes before ends no "TID:" of a tag of its own)."""
    subject = f"{before} — {form.format(tid)} {after}"
    assert find_tid(subject) is None
    assert tid in clean_subject(subject)


def test_message_ids():
    assert message_ids("<a@b> <c@d>\r\n <e@f>") == ["<a@b>", "<c@d>", "<e@f>"]
    assert normalize_msgid("  <x@y>  ") == "<x@y>"
    assert normalize_msgid("x@y") == "<x@y>"
    assert normalize_msgid("") is None


@pytest.mark.parametrize(
    ("arg", "tid"),
    [
        ("4821-7730", "4821-7730"),
        ("48217730", "4821-7730"),
        ("[TID#4821-7730]", "4821-7730"),
        ("tid # 4821-7730", "4821-7730"),
        (" [ TID#48217730 ] ", "4821-7730"),
        ("4821-77301", None),
        ("482-7730", None),
        ("TID 4821-7730", None),
        ("TID№4821-7730", "4821-7730"),
        ("[TID＃4821-7730]", "4821-7730"),
        ("4821-7730 и 1234-5678", None),
        ("[TID#4821-7730] и [TID#1234-5678]", None),  # two tags: which is meant?
        ("[TID#4821-7730] срочно", None),
        ("", None),
    ],
)
def test_a_tid_given_as_an_argument(arg, tid):
    assert parse_tid(arg) == tid


@pytest.mark.parametrize(
    "arg",
    [
        "4821–7730",  # an en dash, as autocorrect puts it
        "4821‑7730",  # U+2011, the non-breaking hyphen
        "4821−7730",  # the minus sign
        "4821 – 7730",
        "４８２１-７７３０",  # an input method's fullwidth digits
        "４８２１－７７３０",
        "４８２１７７３０",
        "#4821–7730",
        "«4821–7730»",
        "[ТID#4821–7730]",  # a Russian «Т», an en dash
        "[TID#4821 7730]",  # a blank for the dash, in brackets
        "[ ТІD № 4821 7730 ]",
        "[TID-4821-7730]",
        "[ｔｉｄ＃４８２１－７７３０]",
        "ТID№ 4821–7730",
        "ТID4821–7730",
    ],
)
def test_an_argument_reads_what_a_tag_reads_as_ascii(arg):
    """A command's or the CLI's TID is read as the subject's tag is (find_tid), and
    named as stored: ASCII digits and the hyphen."""
    assert parse_tid(arg) == "4821-7730"


@pytest.mark.parametrize(
    "arg",
    [
        *("4821 7730", "TID#4821 7730", "4821 - - 7730"),  # a blank: in brackets alone
        *("[4821 7730", "４８２１-７７３０１", "TID 4821–7730"),
    ],
)
def test_no_argument_a_tag_would_not_be(arg):
    assert parse_tid(arg) is None


def test_every_dash_and_digit_a_tag_reads_an_argument_reads():
    dashes = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Pd"]
    for dash in [*dashes, "\u2212"]:
        assert parse_tid(f"4821{dash}7730") == find_tid(f"[TID#4821{dash}7730]"), hex(ord(dash))
    for zero in (0x660, 0x966, 0xFF10):  # Arabic-Indic, Devanagari, fullwidth digits
        typed = "".join(chr(zero + int(d)) if d.isdigit() else d for d in "4821-7730")
        assert parse_tid(typed) == find_tid(f"[TID#{typed}]") == "4821-7730"


@pytest.mark.parametrize(
    "subject",
    [
        "Счёт TID#2024 1500 руб",  # a blank joins the halves in brackets alone
        "TID: 2025 2026 год",
        "ТID№ 4821 7730",
        "[TID#4821 7730 и ещё",  # a bracket never closed
    ],
)
def test_a_blank_joins_the_halves_only_in_brackets(subject):
    assert find_tid(subject) is None
    assert clean_subject(subject) == " ".join(subject.split())


@pytest.mark.parametrize(
    "subject",
    [
        "ПЕР: Ошибка",  # Ukrainian Outlook's forward
        "ВІДП: Ошибка",  # and its reply
        "Отв.: Ошибка",
        "Перес.: Ошибка",
        "RE: ПЕР: Отв: Ошибка",
        "Re[2]: Пересл: Ошибка",
    ],
)
def test_cyrillic_reply_and_forward_prefixes_leave_the_subject(subject):
    assert clean_subject(f"{subject} [TID#4821-7730]") == "Ошибка"


def test_a_word_that_only_begins_like_a_prefix_stays():
    assert clean_subject("Перевод не проходит") == "Перевод не проходит"
    assert clean_subject("Пер. 2: отчёт") == "Пер. 2: отчёт"
    assert clean_subject("Отвёртка: где купить") == "Отвёртка: где купить"


def test_a_tid_drawn_from_a_seed_is_the_same_while_it_is_free() -> None:
    """A batch undone by a fault of the environment and run again draws each new
    ticket's TID from its spool key (tid_seed): its log lines name the TID it gets."""
    from maild.domain.tid import TID_RE, new_tid, tid_seed

    seed = tid_seed(b"s" * 32, "1796594416815456752.P19803Q1.vm")
    first = new_tid(seed=seed)
    assert new_tid(seed=seed) == first and TID_RE.fullmatch(first)
    assert new_tid(lambda t: t == first, seed) not in (first, None)  # taken: the next draw
    assert new_tid(seed=tid_seed(b"s" * 32, "1796594416815456752.P19803Q2.vm")) != first
    assert new_tid(seed=tid_seed(b"t" * 32, "1796594416815456752.P19803Q1.vm")) != first
    assert tid_seed(b"s" * 32, None) is None
