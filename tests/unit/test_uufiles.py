"""Files uuencoded into a plain text (domain.uufiles), as Outlook Express's and The
Bat!'s «uuencode» option sends them, and where read_body takes them: real uuencode
(binascii, as the uuencode tools write it), blocks that are not well-formed, hostile
runs of begin lines."""

from __future__ import annotations

import binascii
import email
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain.attachments import BMP_TEXT, AttachmentPolicy, decide_all
from maild.domain.limits import MAX_UU_FILES
from maild.domain.mimeparts import RAW_POLICY, read_body
from maild.domain.uufiles import UuFile, uu_files
from tests.unit.test_attachments import bmp_bytes, png_bytes

HELLO = "Здравствуйте! Не работает оплата, скриншоты прилагаю.\n\n"
BYE = "\nС уважением, Иван\n"


def uu(name: str, data: bytes, mode: str = "644", backtick: bool = True) -> str:
    """``data`` as a uuencode tool writes it (45 bytes a line, a zero-length line)."""
    lines = [binascii.b2a_uu(data[i : i + 45], backtick=backtick).decode()
             for i in range(0, len(data), 45)]  # fmt: skip
    return f"begin {mode} {name}\n" + "".join(lines) + ("`" if backtick else " ") + "\nend\n"


def test_a_bmp_and_a_png_are_taken_out_of_the_text_as_files():
    bmp, png = bmp_bytes(20, 20), png_bytes(3, 3)
    text = HELLO + uu("screen.bmp", bmp) + "\n" + uu("shot.png", png, backtick=False) + BYE
    left, files, more = uu_files(text, 10)
    assert files == [UuFile("screen.bmp", "image/bmp", bmp), UuFile("shot.png", "image/png", png)]
    assert left == HELLO + "\n" + BYE and not more


def test_crlf_text_and_a_name_with_spaces_and_a_four_digit_mode():
    data = png_bytes(40, 40)
    text = (HELLO + uu("Снимок экрана 1.png", data, "0644") + BYE).replace("\n", "\r\n")
    left, files, _ = uu_files(text, 10)
    assert files == [UuFile("Снимок экрана 1.png", "image/png", data)]
    assert left == (HELLO + BYE).replace("\n", "\r\n")


def test_a_block_without_its_zero_length_line_or_with_it_trimmed_is_a_file():
    data = png_bytes()
    plain = uu("a.png", data)
    for block in (plain.replace("`\nend", "end"), plain.replace("`\nend", "\nend")):
        assert uu_files(block, 10) == ("", [UuFile("a.png", "image/png", data)], False)


GOOD = uu("shot.png", png_bytes(5, 5))
FIRST = GOOD.splitlines()[1]


@pytest.mark.parametrize(
    "block",
    [
        GOOD.replace("begin 644", "begin 64"),  # a mode of two digits
        GOOD.replace("begin 644", "begin 648"),  # not octal
        GOOD.replace("begin 644 shot.png", "begin 644 "),  # no name
        GOOD.replace("\nend\n", "\n"),  # no end
        GOOD.replace("\nend\n", "\nend of the log\n"),
        GOOD.replace(FIRST, FIRST[:-3]),  # a line cut short
        GOOD.replace(FIRST, FIRST + "AB"),  # a line too long
        GOOD.replace(FIRST, FIRST + "\nthe log says"),  # words in it
        GOOD.replace(FIRST + "\n", FIRST + "\n\n"),  # an empty line inside
        "> " + GOOD.replace("\n", "\n> "),  # quoted
        " " + GOOD,  # not at a line's start
        "begin 644 empty.txt\n`\nend\n",  # no byte in it
        "Лог:\nbegin 644 transaction\nERROR 500\nend\n",
    ],
)
def test_a_block_that_is_not_well_formed_stays_text(block):
    text = HELLO + block + BYE
    assert uu_files(text, 10) == (text, [], False)


def test_a_broken_block_leaves_the_next_one_to_be_read():
    data = png_bytes()
    text = "begin 644 a.png\nERROR\n" + uu("b.png", data)
    assert uu_files(text, 10) == (
        "begin 644 a.png\nERROR\n",
        [UuFile("b.png", "image/png", data)],
        False,
    )


def test_blocks_past_the_cap_stay_text_and_are_told():
    blocks = [uu(f"{n}.png", png_bytes()) for n in range(4)]
    left, files, more = uu_files("".join(blocks), 3)
    assert [f.name for f in files] == ["0.png", "1.png", "2.png"]
    assert left == blocks[3] and more


@given(st.text(st.sampled_from("begin 0644 x.png\n`M!end\r>"), max_size=200))
@settings(max_examples=300, deadline=None)
def test_any_text_reads_without_error_and_keeps_what_it_does_not_take(text):
    left, files, _ = uu_files(text, 10)
    assert len(left) <= len(text) and (files or left == text)


@pytest.mark.parametrize(
    "unit",
    ["begin 644 a\n", "begin 644 a\nM" + "A" * 60 + "\n", "begin 644 a\n" + "M" * 61 + "\nx\n"],
)
def test_thousands_of_begin_lines_cost_linear_time(unit):
    """Each begin line is looked at once, its lines once: no rescan from each one."""
    text = unit * 50_000
    started = time.process_time()
    assert uu_files(text, MAX_UU_FILES) == (text, [], False)
    assert time.process_time() - started < 2  # (0.1 s here)


def test_a_big_file_costs_linear_time():
    data = bytes(range(256)) * 40_000  # 10 MB
    started = time.process_time()
    _, [file], _ = uu_files(HELLO + uu("big.jpg", data) + BYE, 10)
    assert time.process_time() - started < 5  # (0.5 s here)
    assert file.data == data


def _mail(body: bytes, charset: str = "windows-1251") -> email.message.Message:
    head = (
        "From: Ivan <ivan@shop-example.ru>\r\nTo: support@example.com\r\nSubject: x\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset={charset}\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    )
    return email.message_from_bytes(head.encode() + body, policy=RAW_POLICY)


def test_read_body_takes_the_files_and_attachments_decide_them_as_attached_ones():
    """A bare BMP refused for the regulation's reason, a PNG kept; the text is the
    customer's words alone."""
    text = HELLO + uu("screen.bmp", bmp_bytes()) + "\n" + uu("shot.png", png_bytes()) + BYE
    body = read_body(_mail(text.replace("\n", "\r\n").encode("cp1251")))
    assert "begin" not in body.text and "end\r\n" not in body.text
    assert body.text.startswith("Здравствуйте!") and "С уважением, Иван" in body.text
    files = [(a.filename, a.content_type, a.data) for a in body.attachments]
    bmp, png = decide_all(files, AttachmentPolicy())
    assert (bmp.filename, bmp.accepted, bmp.kind) == ("screen.bmp", False, "bmp")
    assert bmp.reason and bmp.reason.startswith(BMP_TEXT)
    assert (png.filename, png.accepted) == ("shot.png", True)


def test_read_body_takes_them_out_before_a_flowed_text_is_unflowed():
    """A uuencode line may end in a space: unflowed first, it would be joined to the next."""
    data = bmp_bytes(7, 7)
    block = uu("a.bmp", data, backtick=False)  # as Outlook Express writes it: spaces
    assert any(line.endswith(" ") for line in block.splitlines())
    msg = _mail(("Вот:\n" + block).encode(), "utf-8; format=flowed")
    body = read_body(msg)
    assert body.text.strip() == "Вот:" and [a.data for a in body.attachments] == [data]


def test_uuencoded_files_of_one_mail_are_capped_as_carried_files():
    body = read_body(_mail(uu("a.png", png_bytes()).encode() * (MAX_UU_FILES + 5)))
    assert len(body.attachments) == MAX_UU_FILES and body.problem
    assert body.text.count("begin 644 a.png") == 5
