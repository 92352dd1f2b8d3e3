"""A command mistyped on a line of its own under the answer ("#clsoe", "#закрыь",
"# close"): domain/nearmiss.py's rule of one slip, and parse_reply stopping the reply
for it as for an unknown "#word" at the top, while a hashtag, "#123", a heading, a
quoted line and a line of the customer's own mail stay text."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from maild.domain.commands import parse_reply
from maild.domain.commandspec import ALIASES, COMMANDS
from maild.domain.layout import from_russian_layout, to_russian_layout
from maild.domain.lookalike import mixed, unconfused
from maild.domain.nearmiss import SHORT, near_command, swapped
from maild.domain.sender import identify
from maild.domain.snapshot import Snapshot
from tests.unit.test_decide import CUSTOMER, NOW, STAFF, _decide, _msg, _ticket

ANSWER = "Иван, проверьте модуль оплаты.\n"
SIGNED = "\nАнна\n"


def below(line: str, customers: tuple[str, ...] = ()):
    """The reply: an answer, ``line`` under it, a signature."""
    return parse_reply(f"{ANSWER}{line}\n{SIGNED}", customers)


@pytest.mark.parametrize(
    ("line", "meant"),
    [
        ("#clsoe", "#close?"),
        ("#cloes", "#close?"),
        ("#Clsoe.", "#close?"),
        ("#closed", "#close?"),
        ("#закрыь", "#закрыть?"),
        ("#закрыто", "#закрыть?"),
        ("#сдщуы", "#close?"),  # "cloes" typed with the Russian layout left on
        ("#tkae", "#take?"),
        ("№ждтаь", "#ждать?"),
        ("#levle vip", "#level?"),
        ("#думуды мшз", "#level?"),  # "#levels vip", its argument in the same layout
        ("#asign boris@example.com", "#assign?"),
    ],
)
def test_a_command_mistyped_under_the_answer_stops_the_reply(line: str, meant: str) -> None:
    """Read as text it went to the customer, ran nothing, and the staff member was not
    told: now it is the error an unknown "#word" at the top gets, naming the command."""
    reply = below(line)
    [error] = reply.errors
    assert error.startswith(f"Неизвестная команда: #{line.split()[0][1:].rstrip('.')}")
    assert f"(может быть, {meant})" in error
    assert reply.commands == () and line not in reply.body  # never to the customer
    assert reply.body == ANSWER + SIGNED


@pytest.mark.parametrize("line", ["# close", "№ сдщыу", "# level vip", "# Close!"])
def test_a_command_with_a_space_after_its_sign_under_the_answer_stops_it(line: str) -> None:
    reply = below(line)
    [error] = reply.errors
    assert error.startswith(f"«{line}»: между «{line[0]}» и командой не должно быть пробела")
    assert reply.commands == () and reply.body == ANSWER + SIGNED


@pytest.mark.parametrize(
    "line",
    [
        "#123",
        "#новинки",
        "#sale",
        "#cloud",  # two letters off #close
        "#notes",  # one letter off #note, a name too short for more than a swap
        "#make",
        "#scam",
        "#cc1",
        "#closed вопросы",  # a hashtag with words after it, its slip no swap
        "#levels of support",
        "#заметки по настройке",
        "#ответы на вопросы",
        "# Итоги",
        "# Заметка о настройке",  # a heading
        "# level",  # no command even without the space
        "> #clsoe",
        "?сдщуы",  # "?" stands for "№" before a command only
        "Закройте вкладку #clsoe",  # not a line of its own
    ],
)
def test_text_that_is_no_command_mistyped_stays_text(line: str) -> None:
    reply = below(line)
    assert reply.errors == () and reply.commands == ()
    assert line in reply.body


@pytest.mark.parametrize(
    ("line", "meant"),
    [
        ("#clsoe вопрос решён", "#close?"),
        ("#cloes — вопрос решён.", "#close?"),
        ("#сдщуы вопрос решён", "#close?"),  # "cloes" in the Russian layout
        ("#ntoe проверил логи, ошибка в модуле", "#note?"),  # a note, never the customer's
        ("#заемтка проверил логи", "#заметка?"),
        ("#levle vip срочно", "#level?"),
        ("＃clsoe вопрос решён", "#close?"),
    ],
)
def test_a_command_with_two_letters_swapped_and_words_after_it_stops_the_reply(
    line: str, meant: str
) -> None:
    """«#clsoe вопрос решён» under the answer went to the customer as text, the ticket
    stayed open, and a «#ntoe ...» line sent staff's note to the customer: a swap of
    two neighbours is no word of prose, so with words after it the line is a slip."""
    reply = below(line)
    [error] = reply.errors
    assert f"(может быть, {meant})" in error
    assert reply.commands == () and reply.body == ANSWER + SIGNED


SWAPS = sorted(
    {
        w
        for t in (*COMMANDS, *ALIASES)
        for i in range(len(t) - 1)
        if (w := t[:i] + t[i + 1] + t[i] + t[i + 2 :]) != t
    }
)


@settings(max_examples=200)
@given(st.sampled_from(SWAPS), st.sampled_from(["вопрос решён", "done", "— см. выше"]))
def test_every_swap_of_a_name_with_words_after_it_is_a_slip(word: str, words: str) -> None:
    for typed in (word, to_russian_layout(word)):  # a Latin name in the Russian layout too
        reply = below(f"#{typed} {words}")
        assert len(reply.errors) == 1 and reply.body == ANSWER + SIGNED, typed


def test_a_swap_is_a_slip_no_other_is() -> None:
    assert swapped("clsoe") and swapped("Сдщуы") and swapped("заемтка")
    assert not swapped("closed") and not swapped("close") and not swapped("ответы")
    assert not swapped("cloud") and not swapped("notes")


@pytest.mark.parametrize("word", ["tone", "kate", "noel", "clsxe"])
def test_a_swap_is_of_two_neighbours_each_in_the_others_place(word: str) -> None:
    """Only two neighbouring letters exchanged are a swap: "tone" ("note" with its first
    and third letter exchanged), "kate" ("take" so) and "noel" ("note" with one letter
    moved into its neighbour's place and the other replaced; "clsxe" of "close" so) are
    no swap: «#tone of voice» under the answer goes to the customer as text; taken for a
    swap, the line would be stopped as a command mistyped."""
    assert not swapped(word) and near_command(word) is None
    reply = below(f"#{word} of voice")
    assert reply.errors == () and f"#{word} of voice" in reply.body


def test_a_mistyped_command_in_the_quote_is_not_read() -> None:
    text = "Готово.\n\nOn Mon, 25 Nov 2026 at 10:00, Ivan <ivan@example.com> wrote:\n#clsoe\n"
    assert parse_reply(text).errors == ()


def test_a_line_of_the_customers_mail_copied_into_the_answer_is_text() -> None:
    customer = "Добрый день!\nВ каталоге стоит метка\n#closed\nчто она значит?\n"
    reply = below("#closed", (customer,))
    assert reply.errors == () and "#closed" in reply.body
    assert below("#cloes", (customer,)).errors  # a line they did not write is a slip


def test_a_line_of_the_tickets_customer_mail_copied_into_an_answer_goes_as_text() -> None:
    """A staff reply is read against the customers' mails of its ticket: the answer
    that quotes their «#closed» on a line of its own goes to the customer, not stopped
    as «#close» mistyped."""
    ticket, messages = _ticket()
    messages[0]["text"] = "Добрый день!\nВ каталоге стоит метка\n#closed\nчто она значит?\n"
    snap = Snapshot("1111-2222", (ticket, messages), identify(STAFF[0], [], [], NOW.date()), True)
    body = "Иван, метка\n#closed\nзначит, что товар снят с продажи."
    d = _decide(snap, _msg(sender=f"Анна <{STAFF[0]}>", subject="Re: [TID#1111-2222]", body=body))
    assert not d.incoming.get("command_errors")
    [answer] = [o for o in d.outgoing if CUSTOMER in o.to]
    assert "#closed" in answer.body


def test_the_top_block_is_as_before() -> None:
    """At the top every unknown "#word" is an error, near a command or not."""
    [error] = parse_reply("#tags\nТекст").errors
    assert error.startswith("Неизвестная команда: #tags")


# -- the rule of one slip against a plain reference ------------------------------------

TARGETS = (*COMMANDS, *ALIASES)


def osa(a: str, b: str) -> int:
    """Optimal string alignment distance (edits and swaps of neighbours)."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(
                d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def reference(word: str) -> bool:
    low = word.lower()
    forms = {low, unconfused(low), from_russian_layout(low), to_russian_layout(low)}
    if forms & set(TARGETS):
        return False
    # a word mixing alphabets is a slip of a short name too («аtake», «#nоtes»)
    short = 0 if mixed(low) else SHORT
    return any(
        osa(f, t) == 1 and (len(t) > short or sorted(f) == sorted(t))
        for f in forms
        for t in TARGETS
    )


LETTERS = "abcdefghijklmnopqrstuvwxyzабвгдеёжзийклмнопрстуфхцчшщъыьэюя"


@st.composite
def slips(draw: st.DrawFn) -> str:
    """A command's name or alias with one slip (or none, or two), any letter case."""
    word = draw(st.sampled_from(TARGETS))
    for _ in range(draw(st.integers(0, 2))):
        i = draw(st.integers(0, len(word)))
        letter = draw(st.sampled_from(LETTERS))
        op = draw(st.sampled_from(["drop", "add", "replace", "swap"]))
        if op == "drop" and i < len(word):
            word = word[:i] + word[i + 1 :]
        elif op == "add":
            word = word[:i] + letter + word[i:]
        elif op == "replace" and i < len(word):
            word = word[:i] + letter + word[i + 1 :]
        elif op == "swap" and i + 1 < len(word):
            word = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return draw(st.sampled_from([word, word.upper(), word.capitalize()]))


@settings(max_examples=400, deadline=None)
@given(st.one_of(slips(), st.text(LETTERS, min_size=1, max_size=12)))
@example(word="cдose")  # one letter in the Russian layout: "close" itself, no slip
@example(word="аtake")  # a Russian «а» added: a slip, where "atake" is a hashtag
def test_near_command_is_one_slip_as_the_reference_counts_it(word: str) -> None:
    assert (near_command(word) is not None) == reference(word)


@settings(max_examples=200, deadline=None)
@given(slips())
def test_a_line_of_its_own_under_the_answer_is_a_command_a_slip_or_text(word: str) -> None:
    """Whatever the word: run, refused (a slip), or text, and a refused line never
    reaches the customer."""
    if not word or not word[0].isalpha():
        return
    reply = below(f"#{word}")
    if reply.errors:
        assert reply.body == ANSWER + SIGNED and reply.commands == ()
    elif not reply.commands:
        assert f"#{word}" in reply.body and near_command(word) is None


@settings(max_examples=200, deadline=None)
@given(
    st.text(st.characters(blacklist_characters="#№?＃﹟\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"))
)
def test_ordinary_text_has_no_command_errors(line: str) -> None:
    assert below(line).errors == ()
