"""Outlook's plain-text alternative holds "[cid:image001.png@01DA1234.56789ABC]" where a
picture was pasted: staff and the site show the picture's file name there, or nothing."""

from __future__ import annotations

import base64
import email
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain.mimeparts import RAW_POLICY, read_body
from maild.domain.placeholders import name_pictures

PNG = b"\x89PNG\r\n\x1a\n" + bytes(40)
MARK = "[cid:image001.png@01DA]"


def outlook(plain: str, cid: str = "image001.png@01DA1234.56789ABC") -> bytes:
    """Outlook 2016's HTML mail with a pasted screenshot: related(alternative, image)."""
    lines = [
        "From: ivan@shop.example",
        'Content-Type: multipart/related; boundary="r"; type="multipart/alternative"',
        "",
        "--r",
        'Content-Type: multipart/alternative; boundary="a"',
        "",
        "--a",
        'Content-Type: text/plain; charset="utf-8"',
        "Content-Transfer-Encoding: 8bit",
        "",
        plain,
        "--a",
        'Content-Type: text/html; charset="utf-8"',
        "",
        '<p>Вот ошибка:</p><p><img src="cid:image001.png@01DA1234.56789ABC"></p>',
        "--a--",
        "--r",
        'Content-Type: image/png; name="image001.png"',
        'Content-Disposition: inline; filename="image001.png"; size=48',
        f"Content-ID: <{cid}>",
        "Content-Transfer-Encoding: base64",
        "",
        base64.b64encode(PNG).decode(),
        "--r--",
        "",
    ]
    return "\r\n".join(lines).encode()


def test_a_pasted_picture_is_named_by_its_file_in_outlooks_plain_text() -> None:
    plain = "Вот ошибка:\r\n[cid:image001.png@01DA1234.56789ABC]\r\nЧто делать?"
    body = read_body(email.message_from_bytes(outlook(plain), policy=RAW_POLICY))
    assert body.text.splitlines() == ["Вот ошибка:", "[image001.png]", "Что делать?"]
    assert [(a.filename, a.data, a.embedded) for a in body.attachments] == [
        ("image001.png", PNG, True)
    ]


def test_a_placeholder_of_no_picture_in_the_mail_goes_with_its_line() -> None:
    """Outlook's reply quotes the earlier mail's placeholders, whose pictures it did not
    send again: a Content-ID tells a reader nothing, so the line goes."""
    plain = "Вот ошибка:\r\n[cid:image002.png@01DA0000.00000000]\r\nЧто делать?"
    body = read_body(email.message_from_bytes(outlook(plain), policy=RAW_POLICY))
    assert body.text.splitlines() == ["Вот ошибка:", "Что делать?"]


def test_placeholders_amid_text_and_blank_lines_are_kept_in_place() -> None:
    names = {"image001.png@01da1234.56789abc": "Скриншот.png"}
    text = "См. [CID:image001.png@01DA1234.56789ABC] и [cid:x@y]\n\nКонец\n"
    assert name_pictures(text, names) == "См. [Скриншот.png] и\n\nКонец\n"
    # a removed mark leaves one space between words, not two
    assert name_pictures("См. [cid:x@y] выше [cid:z@y]\t и тут", names) == "См. выше и тут"
    assert name_pictures("[cid]", names) == "[cid]"
    # one at a line's start leaves no blank there; «[cid:]» names no picture: text
    assert name_pictures("[cid:x@y] Вот ошибка", names) == "Вот ошибка"
    assert name_pictures("Вот [cid:] так", names) == "Вот [cid:] так"


def test_a_long_run_of_blanks_before_a_removed_mark_costs_linear_time() -> None:
    """Hostile sizes: the gap a removed mark leaves is looked for from the start of a
    run of blanks only; looked for from each blank of a run that a word ends, a line of
    20,000 spaces before «x[cid:...]» cost 2 s, four times the spaces sixteen times it."""

    def cpu(n: int) -> float:
        started = time.process_time()
        assert name_pictures(" " * n + "x[cid:nothing@x]\n", {}) == " " * n + "x\n"
        return time.process_time() - started

    small, large = min(cpu(5_000) for _ in range(2)), min(cpu(20_000) for _ in range(2))
    assert large / max(small, 0.01) < 8, (small, large)  # linear 4, quadratic 16


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["[cid:", "[", "]", "x", " ", "\n", MARK]), max_size=30))
def test_a_mark_is_named_wherever_it_stands(pieces) -> None:
    """Hostile sizes: a candidate mark ends at the next bracket, so a text of 4 million
    «[cid:» is scanned once (each used to be read 200 characters on: 19 s of CPU for a
    20 MB mail), and a real mark right after a broken one is still named."""
    text = "".join(pieces)
    shown = name_pictures(text, {"image001.png@01da": "image001.png"})
    assert shown.count("[image001.png]") == text.count(MARK)
