"""format=flowed plain text (Thunderbird, Apple Mail, iOS Mail, Roundcube): what the
customer typed comes back whole, whatever width the client wrapped it at."""

from __future__ import annotations

import email
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain.flowed import unflow
from maild.domain.mimeparts import RAW_POLICY, read_body

WORD = st.text(alphabet="абвгдежзийклмн.,:/-_?=&ABCxyz0123456789«»", min_size=1, max_size=30)
LINE = st.lists(WORD, max_size=12).map(" ".join)
PARAGRAPH = st.tuples(st.integers(min_value=0, max_value=2), LINE)


def flow(depth: int, line: str, width: int, delsp: bool) -> list[str]:
    """One typed line as a client sends it (RFC 3676 4.2): cut into pieces of at most
    ``width``; with delsp=yes anywhere, each soft break adding a space; else after a
    space, which stays at the end of the piece."""
    pieces = []
    while len(line) > width:
        cut = width if delsp else line.rfind(" ", 1, width) + 1
        if cut <= 0:
            cut = line.find(" ", 1) + 1 or len(line)
        piece = line[:cut] + (" " if delsp else "")
        if cut >= len(line) or piece == "-- ":  # never a signature separator (4.3)
            break
        pieces.append(piece)
        line = line[cut:]
    if depth:  # the quote marks and one space, which also stuffs the piece
        return [">" * depth + " " + p for p in [*pieces, line]]
    return [" " + p if p.startswith((" ", ">")) else p for p in [*pieces, line]]


@settings(max_examples=60, deadline=None)
@given(
    paragraphs=st.lists(PARAGRAPH, min_size=1, max_size=6),
    width=st.integers(min_value=1, max_value=78),
    delsp=st.booleans(),
)
def test_unflow_gives_back_the_typed_lines(paragraphs, width, delsp) -> None:
    typed = [(d, line.rstrip(" ")) for d, line in paragraphs]
    sent = [piece for d, line in typed for piece in flow(d, line, width, delsp)]
    expected = [(">" * d + " " + line).rstrip(" ") if d else line for d, line in typed]
    assert unflow("\r\n".join(sent), delsp).split("\n") == expected


def test_apple_mail_delsp_yes_keeps_a_link_whole() -> None:
    """Apple Mail cuts a long link with delsp=yes: staff must get it clickable, and
    the paragraph as one line; the signature separator stays a line of its own."""
    raw = "\r\n".join(
        [
            "From: ivan@shop.example",
            "Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes",
            "Content-Transfer-Encoding: 8bit",
            "",
            "Ошибка на странице https://shop.example/personal/order/make/?ORDER_ID= ",
            "12345&PAY=Y при оплате картой, после  ",
            "обновления.",
            "-- ",
            "Иван",
            "",
        ]
    ).encode()
    body = read_body(email.message_from_bytes(raw, policy=RAW_POLICY))
    assert body.text.splitlines() == [
        "Ошибка на странице https://shop.example/personal/order/make/?ORDER_ID=12345&PAY=Y"
        " при оплате картой, после обновления.",
        "-- ",
        "Иван",
    ]


def test_a_text_of_many_lines_is_read_in_memory_of_its_size() -> None:
    """Hostile sizes: a 20 MB text of 4 million soft-broken lines held a string object
    per line, twice, 490 MB while it was read. Now the lines are taken a block at a
    time: reading these 220 KB (30,000 soft-broken lines) holds twice the text besides
    it (1.99 times; a string per line: 21 times), and the paragraphs, quoted ones
    among them, come back whole across the blocks. tracemalloc also counts what the
    process's other threads allocate meanwhile (pytest-xdist's, one a test left): the
    bound is three times, not two, which the peak alone came within 3 KB of."""
    text = "ab \r\n" * 29_999 + "ab\r\n" + "> x \r\n> y\r\nz\r\n" * 5_000
    tracemalloc.start()
    try:
        shown = unflow(text, delsp=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert shown == "ab" * 30_000 + "\n" + "> xy\nz\n" * 5_000
    assert peak < 3 * len(text), peak


@pytest.mark.parametrize("delsp", [False, True])
@pytest.mark.parametrize(
    "command",
    [
        "#close",
        "#Close.",
        "#закрыть",
        "#сдщыу",
        "＃close",
        "№заметка",
        "#cc buh@shop.ru",
        # as parse_reply reads a line (commandnames.bare): Gmail's and Thunderbird's
        # emphasis, a zero width space before it: «пиратская. » over «*#note*» joined,
        # and the note went to the customer
        "*#note*",
        "/#close/",
        "_#close_",
        "*/#close/*",
        "\u200b#close",
    ],
)
def test_a_command_line_is_never_joined_onto_the_line_above(command: str, delsp: bool) -> None:
    """A client keeping a space typed at a line's end sends a soft break: «… версии
    7.1. » over «#close» joined into prose that went to the customer, closing nothing."""
    text = f"Иван, обновите модуль до версии 7.1. \r\n{command}\r\nАнна\r\n"
    assert unflow(text, delsp) == f"Иван, обновите модуль до версии 7.1.\n{command}\nАнна\n"
    quoted = f"> Иван, обновите модуль. \r\n> {command}\r\n"
    assert unflow(quoted, delsp) == f"> Иван, обновите модуль.\n> {command}\n"


@pytest.mark.parametrize("delsp", [False, True])
def test_a_command_line_goes_on_and_other_words_with_a_sign_join(delsp: bool) -> None:
    """A command's own line still goes on where it is soft (a long note wrapped); a
    hashtag or a number with «#» is no command, and joins as any word does; so do
    emphasised words and a path («*важно*», «/var/log/»)."""
    text = "#note проверил логи, \r\nвсё чисто\r\nСмотрите \r\n#новинки и \r\n#123\r\n"
    sp = "" if delsp else " "
    assert unflow(text, delsp) == (
        f"#note проверил логи,{sp}всё чисто\nСмотрите{sp}#новинки и{sp}#123\n"
    )
    text = "Это \r\n*важно* \r\n/var/log/ \r\n_всё_\r\n"
    assert unflow(text, delsp) == f"Это{sp}*важно*{sp}/var/log/{sp}_всё_\n"
